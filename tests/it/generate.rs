//! `apiradar tests` (issue 20): generated suites run for real. A small
//! server on 127.0.0.1 answers from the same description the suites are
//! generated from: it checks each request against the description's
//! parameters and body schema (types, required fields, enums, bounds,
//! lengths, the one pattern), 400 when one is broken, 401 without the
//! token, else the first 2xx the operation declares. The pytest, Node and
//! Java suites must then pass whole: every positive case 2xx, every
//! negative one not. Each language's test skips, saying so, when its
//! runner is not installed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};

use crate::common::Sandbox;

pub const PETS: &str = r##"
openapi: 3.0.3
info: {title: Pet store, version: "1.0"}
servers: [{url: "http://pets.example.com/v1"}]
security: [{petsAuth: []}]
components:
  securitySchemes:
    petsAuth: {type: http, scheme: bearer}
  schemas:
    NewPet:
      type: object
      required: [name, kind]
      properties:
        name: {type: string, minLength: 1, maxLength: 20}
        kind: {type: string, enum: [cat, dog, bird]}
        age: {type: integer, minimum: 0, maximum: 40}
        tag: {type: string, pattern: "^[a-z]{2,8}$"}
        vaccinated: {type: boolean}
paths:
  /pets:
    get:
      operationId: listPets
      tags: [pets]
      parameters:
        - {name: limit, in: query, required: true, schema: {type: integer, minimum: 1, maximum: 100}, example: 20}
        - {name: kind, in: query, schema: {type: string, enum: [cat, dog, bird]}}
        - {name: name, in: query, schema: {type: string, maxLength: 10}}
      responses:
        "200": {description: the pets}
        "400": {description: a bad query}
    post:
      operationId: createPet
      tags: [pets]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewPet"}
      responses:
        "201": {description: created}
        "400": {description: invalid}
        "422": {description: unprocessable}
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: integer, minimum: 1}, example: 7}
    get:
      operationId: getPet
      tags: [pets]
      responses:
        "200": {description: a pet}
        "400": {description: a bad id}
    delete:
      operationId: deletePet
      tags: [pets]
      responses:
        "204": {description: gone}
        "400": {description: a bad id}
  /health:
    get:
      operationId: health
      security: []
      responses:
        "200": {description: up}
"##;

const TOKEN: &str = "s3cret-token";

/// The server: spec-checking, or answering 200 to everything (`lenient`)
/// for the tests that need failures.
pub struct SpecServer {
    pub base: String,
    pub hits: Arc<AtomicUsize>,
    pub methods: Arc<std::sync::Mutex<Vec<String>>>,
}

impl SpecServer {
    pub fn start(spec_yaml: &str, lenient: bool) -> SpecServer {
        let doc: Value = serde_yaml_like(spec_yaml);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}/v1", listener.local_addr().expect("addr"));
        let hits = Arc::new(AtomicUsize::new(0));
        let methods = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (h, m) = (Arc::clone(&hits), Arc::clone(&methods));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let doc = doc.clone();
                let (h, m) = (Arc::clone(&h), Arc::clone(&m));
                std::thread::spawn(move || serve(stream, &doc, lenient, &h, &m));
            }
        });
        SpecServer {
            base,
            hits,
            methods,
        }
    }
}

/// YAML through apiradar's own loader (the test needs no YAML crate).
fn serde_yaml_like(text: &str) -> Value {
    apiradar::spec::parse_document(text.as_bytes(), &apiradar::spec::Limits::default())
        .expect("the test description loads")
        .0
}

fn serve(
    stream: TcpStream,
    doc: &Value,
    lenient: bool,
    hits: &AtomicUsize,
    methods: &std::sync::Mutex<Vec<String>>,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut stream = stream;
    {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_owned(), target.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(k, _)| k == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        hits.fetch_add(1, Ordering::SeqCst);
        methods.lock().expect("lock").push(method.clone());
        let status = if lenient {
            200
        } else {
            judge(doc, &method, &target, &headers, &body)
        };
        let reply =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = stream.write_all(reply.as_bytes());
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(v),
        None => v,
    }
}

/// Whether `value` (JSON, or text from a URL when `text`) fits `schema`.
fn fits(doc: &Value, schema: &Value, value: &Value, text: bool) -> bool {
    let schema = resolve(doc, schema);
    let typ = schema.get("type").and_then(Value::as_str).unwrap_or("");
    let value = match (text, typ, value) {
        (true, "integer", Value::String(s)) => match s.parse::<i64>() {
            Ok(n) => json!(n),
            Err(_) => return false,
        },
        (true, "boolean", Value::String(s)) => match s.as_str() {
            "true" => json!(true),
            "false" => json!(false),
            _ => return false,
        },
        _ => value.clone(),
    };
    let ok_type = match typ {
        "integer" => value.is_i64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        _ => true,
    };
    if !ok_type {
        return false;
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array)
        && !e.contains(&value)
    {
        return false;
    }
    if let Some(n) = value.as_f64() {
        if schema
            .get("minimum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n < m)
        {
            return false;
        }
        if schema
            .get("maximum")
            .and_then(Value::as_f64)
            .is_some_and(|m| n > m)
        {
            return false;
        }
    }
    if let Some(s) = value.as_str() {
        let n = s.chars().count() as u64;
        if schema
            .get("minLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n < m)
        {
            return false;
        }
        if schema
            .get("maxLength")
            .and_then(Value::as_u64)
            .is_some_and(|m| n > m)
        {
            return false;
        }
        match schema.get("pattern").and_then(Value::as_str) {
            None => {}
            Some("^[a-z]{2,8}$")
                if !((2..=8).contains(&n) && s.chars().all(|c| c.is_ascii_lowercase())) =>
            {
                return false;
            }
            Some("^[a-z]{2,8}$") => {}
            Some(other) => panic!("the test server knows no pattern {other}"),
        }
    }
    if let Some(map) = value.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if !map.contains_key(r.as_str().unwrap_or_default()) {
                return false;
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in map {
                if let Some(p) = props.get(k)
                    && !fits(doc, p, v, false)
                {
                    return false;
                }
            }
        }
    }
    true
}

fn judge(
    doc: &Value,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> u16 {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let Some(path) = path.strip_prefix("/v1") else {
        return 404;
    };
    let query: Vec<(String, String)> = query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (k, v) = q.split_once('=').unwrap_or((q, ""));
            (decode(k), decode(v))
        })
        .collect();
    let segments: Vec<&str> = path.split('/').collect();
    for (template, item) in doc["paths"].as_object().expect("paths") {
        let tsegs: Vec<&str> = template.split('/').collect();
        if tsegs.len() != segments.len() {
            continue;
        }
        let mut path_values = Vec::new();
        let matched = tsegs.iter().zip(&segments).all(|(t, s)| {
            if t.starts_with('{') {
                path_values.push((
                    t.trim_matches(|c| c == '{' || c == '}').to_owned(),
                    decode(s),
                ));
                true
            } else {
                t == s
            }
        });
        if !matched {
            continue;
        }
        let m = if method == "HEAD" {
            "get"
        } else {
            &method.to_ascii_lowercase()
        };
        let Some(op) = item.get(m) else {
            return 405;
        };
        let secured = op
            .get("security")
            .or(doc.get("security"))
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        let auth = headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str());
        if secured && auth != Some(&format!("Bearer {TOKEN}")) {
            return 401;
        }
        let params = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for p in params {
            let name = p["name"].as_str().unwrap_or_default();
            let values: Vec<&String> = match p["in"].as_str() {
                Some("path") => path_values
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v)
                    .collect(),
                Some("query") => query
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v)
                    .collect(),
                _ => Vec::new(),
            };
            let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
            if values.is_empty() && required {
                return 400;
            }
            for v in values {
                if !fits(doc, &p["schema"], &Value::String(v.clone()), true) {
                    return 400;
                }
            }
        }
        if let Some(rb) = op.get("requestBody") {
            let required = rb.get("required").and_then(Value::as_bool).unwrap_or(false);
            if body.is_empty() {
                if required {
                    return 400;
                }
            } else {
                let Ok(v) = serde_json::from_slice::<Value>(body) else {
                    return 400;
                };
                if !fits(doc, &rb["content"]["application/json"]["schema"], &v, false) {
                    return 400;
                }
            }
        }
        return op["responses"]
            .as_object()
            .and_then(|r| r.keys().find(|k| k.starts_with('2')))
            .and_then(|k| k.parse().ok())
            .unwrap_or(200);
    }
    404
}

fn spec_file(sb: &Sandbox) -> PathBuf {
    sb.write("pets.yaml", PETS)
}

/// Generates `format` into `files/out` and returns the folder.
fn generate(sb: &Sandbox, format: &str) -> PathBuf {
    let spec = spec_file(sb);
    let out = sb.path("out");
    sb.run([
        "tests",
        spec.to_str().unwrap(),
        "--format",
        format,
        "--out",
        out.to_str().unwrap(),
        "--cases",
        "12",
    ])
    .expect_code(0);
    out
}

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_in(dir: &Path, cmd: &mut Command, server: &SpecServer) -> std::process::Output {
    cmd.current_dir(dir)
        .env("API_BASE_URL", &server.base)
        .env("PETSAUTH_TOKEN", TOKEN)
        .output()
        .expect("run the test runner")
}

#[test]
fn tests_pytest_suite_passes_against_a_server_of_the_description() {
    if !have("python3", "-c")
        || !Command::new("python3")
            .args(["-c", "import pytest"])
            .output()
            .is_ok_and(|o| o.status.success())
    {
        eprintln!("skipped: pytest is not installed (pip install pytest)");
        return;
    }
    let sb = Sandbox::new();
    let out = generate(&sb, "pytest");
    let server = SpecServer::start(PETS, false);
    let o = run_in(
        &out,
        Command::new("python3").args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_api.py",
        ]),
        &server,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "pytest failed:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Every case ran: positives, negatives, boundaries.
    let cases = std::fs::read_to_string(out.join("test_api.py"))
        .unwrap()
        .matches("\"id\":")
        .count();
    assert!(cases >= 25, "only {cases} cases");
    assert!(text.contains(&format!("{cases} passed")), "{text}");
    assert_eq!(server.hits.load(Ordering::SeqCst), cases);
}

#[test]
fn tests_node_suite_passes_against_a_server_of_the_description() {
    if !have("node", "--version") {
        eprintln!("skipped: node is not installed");
        return;
    }
    let sb = Sandbox::new();
    let out = generate(&sb, "node");
    let server = SpecServer::start(PETS, false);
    let o = run_in(
        &out,
        Command::new("node").args(["--test", "api.test.mjs"]),
        &server,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "node --test failed:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("# fail 0"), "{text}");
    let cases = server.hits.load(Ordering::SeqCst);
    assert!(
        text.contains(&format!("# pass {cases}")),
        "{cases} requests; {text}"
    );
    // A server that answers 200 to everything fails every negative case.
    let lenient = SpecServer::start(PETS, true);
    let o = run_in(
        &out,
        Command::new("node").args(["--test", "api.test.mjs"]),
        &lenient,
    );
    assert!(!o.status.success());
}

/// The JUnit sources compile with javac and their test methods pass.
/// Maven Central is out of reach here, so JUnit's jar is not there: the
/// test compiles against the two JUnit annotations the sources use
/// (declared in the test, as in junit-jupiter-api) and calls every
/// `@Test` method with a small reflective runner.
#[test]
fn tests_junit_sources_compile_and_pass_against_a_server_of_the_description() {
    if !have("javac", "-version") || !have("java", "-version") {
        eprintln!("skipped: no JDK (javac, java) installed");
        return;
    }
    let sb = Sandbox::new();
    let out = generate(&sb, "junit").join("junit");
    let api = out.join("org/junit/jupiter/api");
    std::fs::create_dir_all(&api).unwrap();
    for (name, body) in [
        (
            "Test",
            "@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME) public @interface Test {}",
        ),
        (
            "DisplayName",
            "@java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME) public @interface DisplayName { String value(); }",
        ),
    ] {
        std::fs::write(
            api.join(format!("{name}.java")),
            format!("package org.junit.jupiter.api;\n{body}\n"),
        )
        .unwrap();
    }
    std::fs::write(
        out.join("Runner.java"),
        r#"import java.lang.reflect.Method;
public class Runner {
    public static void main(String[] args) throws Exception {
        int passed = 0, failed = 0;
        for (String name : args) {
            Class<?> c = Class.forName(name);
            Object o = c.getDeclaredConstructor().newInstance();
            for (Method m : c.getDeclaredMethods()) {
                if (!m.isAnnotationPresent(org.junit.jupiter.api.Test.class)) continue;
                try { m.invoke(o); passed++; }
                catch (java.lang.reflect.InvocationTargetException e) { failed++; System.out.println("FAIL " + m.getName() + ": " + e.getCause()); }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
"#,
    )
    .unwrap();
    let sources: Vec<String> = [
        "ApiSupport.java",
        "ApiTest.java",
        "Runner.java",
        "org/junit/jupiter/api/Test.java",
        "org/junit/jupiter/api/DisplayName.java",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let o = Command::new("javac")
        .current_dir(&out)
        .args(["-d", "classes"])
        .args(&sources)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "javac failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let server = SpecServer::start(PETS, false);
    let o = run_in(
        &out,
        Command::new("java").args(["-cp", "classes", "Runner", "ApiTest"]),
        &server,
    );
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "the Java cases failed:\n{text}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let cases = server.hits.load(Ordering::SeqCst);
    assert!(
        cases >= 25 && text.contains(&format!("{cases} passed, 0 failed")),
        "{text}"
    );
}

#[test]
fn tests_same_seed_gives_the_same_bytes() {
    let sb = Sandbox::new();
    let spec = spec_file(&sb);
    let zip = |name: &str, seed: &str| {
        let path = sb.path(name);
        sb.run([
            "tests",
            spec.to_str().unwrap(),
            "--format",
            "postman,pytest,node,junit,http",
            "--zip",
            path.to_str().unwrap(),
            "--seed",
            seed,
            "--hint",
            "people",
        ])
        .expect_code(0);
        std::fs::read(path).unwrap()
    };
    let a = zip("a.zip", "42");
    let b = zip("b.zip", "42");
    assert!(a.len() > 10_000, "{} bytes", a.len());
    assert!(a == b, "the same seed gave other bytes");
    assert!(zip("c.zip", "43") != a, "another seed gave the same values");
    // One format without --out or --zip goes to stdout, the same bytes.
    let once = sb
        .run([
            "tests",
            spec.to_str().unwrap(),
            "--format",
            "http",
            "--seed",
            "42",
        ])
        .expect_code(0)
        .stdout;
    assert_eq!(
        once,
        sb.run([
            "tests",
            spec.to_str().unwrap(),
            "--format",
            "http",
            "--seed",
            "42"
        ])
        .stdout
    );
    assert!(String::from_utf8_lossy(&once).contains("GET {{baseUrl}}/pets?limit=20"));
}

/// Validates the collection at `path` against the Postman Collection v2.1
/// schema named by `APIRADAR_POSTMAN_SCHEMA` (the single-file compile, its
/// `$ref`s all `#/definitions/...`; the draft-04 file served at
/// `info.schema`'s URL and the draft-07 compile of postmanlabs/schemas
/// both work) with Python's `jsonschema`, which picks the validator from
/// the schema's `$schema`. Without the variable it says the check is
/// skipped and returns.
fn check_postman_schema(path: &Path) {
    let Ok(schema) = std::env::var("APIRADAR_POSTMAN_SCHEMA") else {
        eprintln!(
            "note: the full Postman v2.1 schema check skipped: set APIRADAR_POSTMAN_SCHEMA to a copy of collection.json (needs python3 -m pip install jsonschema)"
        );
        return;
    };
    let o = Command::new("python3")
        .args(["-c", "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))"])
        .arg(path)
        .arg(&schema)
        .output()
        .expect("run python3");
    assert!(
        o.status.success(),
        "{} against {schema}:\n{}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The Postman collection has the shape of the published v2.1 schema
/// (checked here field by field: the schema itself is not carried by any
/// package this machine can install), and validates against the schema
/// when `APIRADAR_POSTMAN_SCHEMA` names a copy ([`check_postman_schema`]).
#[test]
fn tests_postman_collection_has_the_v2_1_shape() {
    let sb = Sandbox::new();
    let out = generate(&sb, "postman");
    let path = out.join("postman_collection.json");
    let c: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        c["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    assert!(
        c["info"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Pet store 1.0")
    );
    assert!(c["info"]["_postman_id"].as_str().unwrap().len() == 36);
    let folders = c["item"].as_array().unwrap();
    assert_eq!(folders.len(), 5, "one folder per operation");
    let mut requests = 0;
    for folder in folders {
        assert!(folder["name"].is_string());
        for item in folder["item"].as_array().unwrap() {
            requests += 1;
            let r = &item["request"];
            assert!(["GET", "POST", "DELETE"].contains(&r["method"].as_str().unwrap()));
            let url = &r["url"];
            assert!(url["raw"].as_str().unwrap().starts_with("{{baseUrl}}/"));
            assert_eq!(url["host"], json!(["{{baseUrl}}"]));
            assert!(url["path"].as_array().unwrap().iter().all(Value::is_string));
            for q in url["query"].as_array().into_iter().flatten() {
                assert!(q["key"].is_string() && q["value"].is_string());
            }
            for h in r["header"].as_array().unwrap() {
                assert!(h["key"].is_string() && h["value"].is_string());
            }
            if let Some(b) = r.get("body") {
                assert_eq!(b["mode"], "raw");
                assert!(b["raw"].is_string());
            }
            let event = &item["event"][0];
            assert_eq!(event["listen"], "test");
            assert_eq!(event["script"]["type"], "text/javascript");
            assert!(
                event["script"]["exec"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(Value::is_string)
            );
        }
    }
    assert!(requests >= 25);
    // Auth is a variable reference, never a value.
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"Bearer {{PETSAUTH_TOKEN}}\""), "{text}");
    let vars: Vec<&str> = c["variable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["key"].as_str().unwrap())
        .collect();
    assert_eq!(vars, ["baseUrl", "PETSAUTH_TOKEN"]);
    check_postman_schema(&path);
}

#[test]
fn tests_run_sends_get_and_head_only_and_prints_a_junit_report() {
    let sb = Sandbox::new();
    let spec = spec_file(&sb);
    let server = SpecServer::start(PETS, false);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "tests",
            spec.to_str().unwrap(),
            "--run",
            server.base.as_str(),
        ];
        args.extend_from_slice(extra);
        sb.run_with(args, |c| {
            c.env("PETSAUTH_TOKEN", TOKEN);
        })
    };
    let o = run(&[]).expect_code(0);
    let xml = o.text();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testcase classname=\"GET /pets\""), "{xml}");
    assert!(
        xml.contains("<skipped message=\"POST is not sent without --allow-unsafe\"/>"),
        "{xml}"
    );
    assert!(o.stderr.contains(" 0 failed"), "{}", o.stderr);
    let methods = server.methods.lock().unwrap().clone();
    assert!(
        !methods.is_empty() && methods.iter().all(|m| m == "GET"),
        "{methods:?}"
    );
    // With --allow-unsafe every case is sent, and every one passes.
    let before = server.hits.load(Ordering::SeqCst);
    let o = run(&["--allow-unsafe"]).expect_code(0);
    assert!(!o.text().contains("<skipped"), "{}", o.text());
    assert!(server.methods.lock().unwrap().iter().any(|m| m == "POST"));
    let sent = server.hits.load(Ordering::SeqCst) - before;
    assert!(
        o.stderr
            .contains(&format!("{sent} passed, 0 failed, 0 skipped")),
        "{}",
        o.stderr
    );
    // A server that takes anything fails the negative cases: exit 1, each
    // failure named.
    let lenient = SpecServer::start(PETS, true);
    let o = sb
        .run_with(
            [
                "tests",
                spec.to_str().unwrap(),
                "--run",
                lenient.base.as_str(),
                "--only",
                "GET /pets",
            ],
            |c| {
                c.env("PETSAUTH_TOKEN", TOKEN);
            },
        )
        .expect_code(1);
    assert!(
        o.text()
            .contains("<failure message=\"expected 400, got 200\"/>"),
        "{}",
        o.text()
    );
    assert!(o.stderr.contains("failed listPets_"), "{}", o.stderr);
    // A credential that is not set: the case is not sent, fails, and
    // says why.
    let before = server.hits.load(Ordering::SeqCst);
    let o = sb
        .run([
            "tests",
            spec.to_str().unwrap(),
            "--run",
            server.base.as_str(),
            "--only",
            "GET /pets/*",
        ])
        .expect_code(1);
    assert!(
        o.text()
            .contains("not sent: environment variable PETSAUTH_TOKEN is not set"),
        "{}",
        o.text()
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), before);
}

#[test]
fn tests_run_keeps_to_the_target_policy() {
    let sb = Sandbox::new();
    let spec = spec_file(&sb);
    for base in [
        "http://169.254.169.254/v1",
        "http://[fe80::1]/v1",
        "http://0.0.0.0:9/v1",
    ] {
        let o = sb
            .run(["tests", spec.to_str().unwrap(), "--run", base])
            .expect_code(1);
        assert!(
            o.stderr.contains("refused by the target policy"),
            "{base}: {}",
            o.stderr
        );
    }
    let o = sb
        .run([
            "tests",
            spec.to_str().unwrap(),
            "--run",
            "ftp://example.com/",
        ])
        .expect_code(2);
    assert!(o.stderr.contains("not an http(s) URL"), "{}", o.stderr);
}

#[test]
fn tests_refuses_what_it_cannot_do() {
    let sb = Sandbox::new();
    let spec = spec_file(&sb);
    let spec = spec.to_str().unwrap();
    for (args, says) in [
        (
            vec!["tests", spec, "--format", "cobol"],
            "unknown test format",
        ),
        (vec!["tests", spec, "--cases", "0"], "--cases"),
        (
            vec!["tests", spec, "--hint", "astrology"],
            "unknown domain hint",
        ),
        (
            vec!["tests", spec, "--only", "GET"],
            "not an operation pattern",
        ),
        (
            vec!["tests", spec, "--format", "junit"],
            "--out DIR or --zip FILE",
        ),
        (vec!["tests"], "which description"),
    ] {
        let o = sb.run(&args).expect_code(2);
        assert!(o.stderr.contains(says), "{args:?}: {}", o.stderr);
    }
    let page = sb.write("page.html", "<html><body>hello</body></html>");
    sb.run(["tests", page.to_str().unwrap()]).expect_code(2);
}

#[test]
fn tests_changed_covers_only_the_operations_that_changed() {
    let sb = Sandbox::new();
    let old = sb.write("old.yaml", PETS.replace("maxLength: 10}", "maxLength: 12}").replace(
        "  /health:\n    get:\n      operationId: health\n      security: []\n      responses:\n        \"200\": {description: up}\n",
        "",
    ));
    let new = spec_file(&sb);
    let o = sb
        .run([
            "tests",
            "--changed",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "http",
        ])
        .expect_code(0);
    let text = o.text();
    let ops: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("### "))
        .map(|l| l.split('_').next().unwrap())
        .collect();
    assert_eq!(ops, ["health", "listPets"].into_iter().collect(), "{text}");
}

fn corpus_file(history: &str, pick: impl Fn(&str) -> bool) -> Option<(String, Vec<u8>)> {
    let archive = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../shared/corpus/histories/{history}.tar.zst"));
    if !archive.is_file() {
        return None;
    }
    let mut found = None;
    crate::yaml_suite::untar(&archive, |name, bytes| {
        if pick(name) {
            found = Some((name.to_owned(), bytes.to_vec()));
        }
    });
    found
}

/// The venice-api and github-rest-api descriptions (the latest of each
/// history) generate every format without an error, and their Postman
/// collections validate against the v2.1 schema ([`check_postman_schema`]).
#[test]
fn tests_generate_from_the_real_corpus() {
    let sb = Sandbox::new();
    for (history, last) in [("venice-api", "439_"), ("github-rest-api", "031_")] {
        let Some((name, bytes)) = corpus_file(history, |n| n.contains(last)) else {
            eprintln!(
                "skipped: ../shared/corpus/histories/{history}.tar.zst is not beside the project"
            );
            return;
        };
        let doc = apiradar::spec::parse_document(&bytes, &apiradar::spec::Limits::default())
            .unwrap()
            .0;
        let api = apiradar::generate::Api::new(&doc);
        let suite = apiradar::generate::cases::generate(&api, &Default::default());
        let files = apiradar::app::generate::render(
            &suite,
            &[
                apiradar::app::generate::Format::Postman,
                apiradar::app::generate::Format::Pytest,
                apiradar::app::generate::Format::Node,
                apiradar::app::generate::Format::Junit,
                apiradar::app::generate::Format::Http,
            ],
        );
        assert!(
            suite.operations > 40 && suite.cases.len() > suite.operations,
            "{name}: {} cases",
            suite.cases.len()
        );
        assert!(suite.cases.iter().all(|c| c.url_path.starts_with('/')));
        assert!(files.len() >= 6, "{name}");
        let postman = files
            .iter()
            .find(|(file, _)| file == "postman_collection.json")
            .expect("a Postman collection");
        check_postman_schema(&sb.write(&format!("{history}.postman.json"), &postman.1));
        eprintln!(
            "{name}: {} cases for {} operations",
            suite.cases.len(),
            suite.operations
        );
    }
}

/// Findings that add to an API: each must be a task, and nothing else of
/// the additive kinds may be.
fn additive(id: &str) -> bool {
    id == "endpoint-added"
        || id.starts_with("new-optional-request-")
        || id == "response-optional-property-added"
        || id == "response-required-property-added"
        || id.ends_with("-enum-value-added")
}

/// `tasks` on two real versions of the Venice.ai description, checked
/// against the diff's additive findings: each is a task with its
/// operation and where it is declared, and `--implemented` keeps only the
/// listed operations' tasks (and new operations).
#[test]
fn tasks_match_the_diffs_additive_findings_on_real_versions() {
    let (Some((_, old)), Some((_, new))) = (
        corpus_file("venice-api", |n| n.contains("/300_")),
        corpus_file("venice-api", |n| n.contains("/439_")),
    ) else {
        eprintln!(
            "skipped: ../shared/corpus/histories/venice-api.tar.zst is not beside the project"
        );
        return;
    };
    let sb = Sandbox::new();
    let (a, b) = (sb.write("a.yaml", old), sb.write("b.yaml", new));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let diff = sb.json(["diff", a, b, "--format", "json", "--level", "info"]);
    let tasks = sb.json(["tasks", a, b, "--format", "json"]);
    let findings = diff["changes"].as_array().unwrap();
    let list = tasks["tasks"].as_array().unwrap();
    let wanted: Vec<&Value> = findings
        .iter()
        .filter(|f| additive(f["id"].as_str().unwrap()))
        .collect();
    assert!(
        wanted.len() >= 20,
        "only {} additive findings",
        wanted.len()
    );
    for f in &wanted {
        let t = list
            .iter()
            .find(|t| t["fingerprint"] == f["fingerprint"])
            .unwrap_or_else(|| panic!("no task for {f}"));
        assert_eq!(t["check"], f["id"]);
        assert_eq!((&t["method"], &t["path"]), (&f["operation"], &f["path"]));
        assert_eq!(t["pointer"], f["revision_pointer"], "{t}");
        assert!(t["hint"].as_str().unwrap().len() > 10);
    }
    for t in list {
        let f = findings
            .iter()
            .find(|f| f["fingerprint"] == t["fingerprint"])
            .unwrap_or_else(|| panic!("a task without a finding: {t}"));
        let kind = t["kind"].as_str().unwrap();
        if ["new-operation", "new-property", "new-enum-value"].contains(&kind)
            && !f["id"].as_str().unwrap().starts_with("new-required")
        {
            assert!(
                additive(f["id"].as_str().unwrap()) || f["id"] == "request-body-added-optional",
                "{t}"
            );
        }
    }
    assert_eq!(
        list.len() + tasks["other_findings"].as_u64().unwrap() as usize,
        findings.len(),
        "every finding is a task or counted"
    );
    // Markdown: a checklist grouped by operation.
    let md = sb.ok(["tasks", a, b]);
    assert!(md.starts_with("# Client tasks: `"), "{md}");
    assert!(md.contains("\n## `POST /chat/completions`\n"), "{md}");
    assert_eq!(md.matches("- [ ] **").count(), list.len());
    // --implemented keeps the listed operations' tasks and new operations.
    let mine = sb.write(
        "mine.txt",
        "# what our client covers\nPOST /chat/completions\n",
    );
    let only = sb.json([
        "tasks",
        a,
        b,
        "--format",
        "json",
        "--implemented",
        mine.to_str().unwrap(),
    ]);
    let only = only["tasks"].as_array().unwrap();
    assert!(!only.is_empty() && only.len() < list.len());
    for t in only {
        assert!(
            t["kind"] == "new-operation" || t["path"] == "/chat/completions",
            "{t}"
        );
    }
    let bad = sb.write("bad.txt", "chat completions\n");
    let o = sb
        .run(["tasks", a, b, "--implemented", bad.to_str().unwrap()])
        .expect_code(2);
    assert!(o.stderr.contains("line 1"), "{}", o.stderr);
}

/// `docs`: one self-contained HTML file (the CSP pins its one script),
/// a table of contents entry per operation, and with `--since` each
/// changed operation marked and linked to its finding.
#[test]
fn docs_render_with_changes_marked() {
    let sb = Sandbox::new();
    let old = sb.write("old.yaml", PETS.replace("maxLength: 10}", "maxLength: 12}"));
    let new = spec_file(&sb);
    let html = sb.ok([
        "docs",
        new.to_str().unwrap(),
        "--format",
        "html",
        "--since",
        old.to_str().unwrap(),
    ]);
    assert!(
        html.contains("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-"),
        "{html}"
    );
    assert_eq!(html.matches("<script>").count(), 1);
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
    assert_eq!(
        html.matches("<li><a data-op=").count(),
        5,
        "a contents entry per operation"
    );
    let marks = html.matches("changed in this version").count();
    assert_eq!(marks, 1, "only GET /pets changed");
    let id = html
        .split("<li id=\"change-")
        .nth(1)
        .expect("the finding is listed")
        .split('"')
        .next()
        .unwrap();
    assert!(html.contains(&format!("href=\"#change-{id}\"")));
    let md = sb.ok(["docs", new.to_str().unwrap()]);
    assert!(md.starts_with("# Pet store `1.0`"), "{md}");
    assert!(
        md.contains("### `GET /pets`")
            && md.contains("| `limit` | query | integer | yes | ≥ 1; ≤ 100 |"),
        "{md}"
    );
    sb.run(["docs", new.to_str().unwrap(), "--format", "pdf"])
        .expect_code(2);
}

/// The GitHub REST description renders whole (its size is printed).
#[test]
fn docs_of_the_github_description_render() {
    let Some((_, bytes)) = corpus_file("github-rest-api", |n| n.contains("/031_")) else {
        eprintln!(
            "skipped: ../shared/corpus/histories/github-rest-api.tar.zst is not beside the project"
        );
        return;
    };
    let doc = apiradar::spec::parse_document(&bytes, &apiradar::spec::Limits::default())
        .unwrap()
        .0;
    let api = apiradar::generate::Api::new(&doc);
    let html = apiradar::generate::docs::html(&api, None);
    assert_eq!(
        html.matches("<section class=\"op\"").count(),
        api.operations.len()
    );
    assert!(api.operations.len() > 1000);
    eprintln!(
        "github-rest-api 031: {} operations, {} bytes of HTML",
        api.operations.len(),
        html.len()
    );
}
