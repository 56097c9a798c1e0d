//! End-to-end tests of the `apiradar` binary: each test runs the built
//! binary against its own SQLite file in a temporary folder and, for HTTP,
//! a server on 127.0.0.1 started inside the test (see `common`).

use std::path::Path;

use serde_json::Value;

use crate::common::{
    self, RawServer, Reply, Sandbox, Server, gzip, http_response, openapi_yaml, sha256_hex,
    unique_token,
};

/// The report for watch `name` in `refresh --json` output.
#[track_caller]
fn report<'a>(refresh: &'a Value, name: &str) -> &'a Value {
    refresh["watches"]
        .as_array()
        .expect("a `watches` array")
        .iter()
        .find(|w| w["name"] == name)
        .unwrap_or_else(|| panic!("no report for `{name}` in {refresh:#}"))
}

/// The entry for watch `name` in `list --json` output.
#[track_caller]
fn listed(sb: &Sandbox, name: &str) -> Value {
    let list = sb.json(["list", "--json"]);
    list["watches"]
        .as_array()
        .expect("a `watches` array")
        .iter()
        .find(|w| w["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("`{name}` is not listed in {list:#}"))
}

/// The names in `list --json`, in order.
fn listed_names(sb: &Sandbox) -> Vec<String> {
    sb.json(["list", "--json"])["watches"]
        .as_array()
        .expect("a `watches` array")
        .iter()
        .map(|w| w["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `show TARGET` must print exactly `expected`.
#[track_caller]
fn assert_shows(sb: &Sandbox, target: &str, expected: &[u8]) {
    let out = sb.run(["show", target]).expect_code(0);
    assert!(
        out.stdout == expected,
        "`show {target}` printed {} bytes, expected {}:\n{}",
        out.stdout.len(),
        expected.len(),
        out.text()
    );
}

/// The `versions` array of `history NAME --json`.
#[track_caller]
fn history(sb: &Sandbox, name: &str) -> Vec<Value> {
    let h = sb.json(["history", name, "--json"]);
    assert_eq!(h["watch"], name);
    h["versions"]
        .as_array()
        .expect("a `versions` array")
        .clone()
}

// ---------------------------------------------------------------------------
// 1. Versions: new, changed, unchanged

#[test]
fn refresh_records_new_changed_and_unchanged_versions() {
    let sb = Sandbox::new();
    let server = Server::start();
    let v1 = openapi_yaml("Pets", &["/pets"]);
    server.set(
        "/openapi.yaml",
        Reply::ok(v1.clone()).header("content-type", "application/yaml"),
    );
    let url = server.url("/openapi.yaml");

    let added = sb.ok(["add", "pets", &url]);
    assert_eq!(
        added.trim(),
        format!("added pets (openapi, every 1h): {url}")
    );

    // First poll: a new watch gets version 1.
    let out = sb.json(["refresh", "--json"]);
    let watches = out["watches"].as_array().unwrap();
    assert_eq!(watches.len(), 1, "{out:#}");
    let r = &watches[0];
    assert_eq!(r["name"], "pets");
    assert_eq!(r["status"], "new");
    assert_eq!(r["version"], 1);
    assert_eq!(r["error"], Value::Null);
    assert_eq!(r["http_status"], 200);

    // The server publishes a new path: version 2.
    let v2 = openapi_yaml("Pets", &["/pets", "/owners"]);
    server.set("/openapi.yaml", Reply::ok(v2.clone()));
    let out = sb.json(["refresh", "pets", "--json"]);
    assert_eq!(report(&out, "pets")["status"], "changed");
    assert_eq!(report(&out, "pets")["version"], 2);

    // The same document as JSON, keys in another order: not a version.
    let v2_as_json = r#"{"paths":{"/owners":{"get":{"responses":{"200":{"description":"ok"}}}},
        "/pets":{"get":{"responses":{"200":{"description":"ok"}}}}},
        "info":{"version":"1.0","title":"Pets"},"openapi":"3.0.3"}"#;
    server.set(
        "/openapi.yaml",
        Reply::ok(v2_as_json).header("content-type", "application/json"),
    );
    let out = sb.json(["refresh", "pets", "--json"]);
    assert_eq!(report(&out, "pets")["status"], "unchanged");
    assert_eq!(report(&out, "pets")["version"], 2);
    assert_eq!(server.hits("/openapi.yaml"), 3);

    // History: two versions, as published.
    let versions = history(&sb, "pets");
    assert_eq!(versions.len(), 2, "{versions:#?}");
    for (v, (seq, body)) in versions.iter().zip([(1, &v1), (2, &v2)]) {
        assert_eq!(v["version"], seq);
        assert_eq!(v["size"], body.len());
        assert_eq!(v["sha256"], sha256_hex(body.as_bytes()));
        assert_eq!(v["format"], "yaml");
        assert_eq!(v["spec_version"], "openapi 3.0.3");
        assert_eq!(v["title"], "Pets");
        assert_eq!(v["origin"], "poll");
        assert_eq!(v["http_status"], 200);
    }
    assert_ne!(
        versions[0]["canonical_sha256"],
        versions[1]["canonical_sha256"]
    );

    assert_shows(&sb, "pets@1", v1.as_bytes());
    assert_shows(&sb, "pets", v2.as_bytes());
    assert_shows(&sb, "pets@latest", v2.as_bytes());
    assert_shows(&sb, "pets@latest~1", v1.as_bytes());

    let w = listed(&sb, "pets");
    assert_eq!(w["versions"], 2);
    assert_eq!(w["latest_version"], 2);
    assert_eq!(w["status"], "ok");
    assert_eq!(w["last_outcome"], "unchanged");
    assert_eq!(w["consecutive_failures"], 0);
    assert_eq!(w["paused"], false);
    assert_eq!(w["location"], url);
    assert_eq!(w["kind"], "openapi");
    assert_eq!(w["interval"], "1h");

    // The table forms agree.
    let table = sb.ok(["history", "pets"]);
    assert!(table.starts_with("VERSION"), "{table}");
    assert_eq!(table.lines().count(), 3, "{table}");
    let table = sb.ok(["list"]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("pets") && l.contains(" ok ")),
        "{table}"
    );
}

// ---------------------------------------------------------------------------
// 2. Conditional GET

#[test]
fn etag_is_sent_back_and_304_keeps_the_version() {
    let sb = Sandbox::new();
    let server = Server::start();
    let v1 = openapi_yaml("Cond", &["/a"]);
    let modified = "Tue, 15 Apr 2025 10:00:00 GMT";
    server.set(
        "/spec",
        Reply::ok(v1.clone())
            .etag("\"v1\"")
            .header("last-modified", modified),
    );
    sb.ok(["add", "cond", &server.url("/spec")]);

    let out = sb.json(["refresh", "--json"]);
    assert_eq!(report(&out, "cond")["status"], "new");
    let first = server.last_request("/spec");
    assert_eq!(first.header("if-none-match"), None);

    // The validators come back; the server answers 304 and sends no body.
    let out = sb.json(["refresh", "cond", "--json"]);
    let r = report(&out, "cond");
    assert_eq!(r["status"], "unchanged");
    assert_eq!(r["version"], 1);
    assert_eq!(r["http_status"], 304);
    let second = server.last_request("/spec");
    assert_eq!(second.header("if-none-match"), Some("\"v1\""));
    assert_eq!(second.header("if-modified-since"), Some(modified));
    assert_eq!(second.status, 304);
    assert!(!second.body_sent);
    let bodies = server
        .requests("/spec")
        .iter()
        .filter(|r| r.body_sent)
        .count();
    assert_eq!(bodies, 1, "the body was sent again");

    let versions = history(&sb, "cond");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["etag"], "\"v1\"");
    assert_eq!(versions[0]["last_modified"], modified);
    assert_eq!(versions[0]["source_date"], "2025-04-15T10:00:00Z");
    assert_eq!(listed(&sb, "cond")["last_outcome"], "unchanged");

    // A new ETag: the old one does not match, the new body is a version,
    // and the next request carries the new validator.
    let v2 = openapi_yaml("Cond", &["/a", "/b"]);
    server.set("/spec", Reply::ok(v2.clone()).etag("\"v2\""));
    let out = sb.json(["refresh", "cond", "--json"]);
    assert_eq!(report(&out, "cond")["status"], "changed");
    assert_eq!(report(&out, "cond")["version"], 2);
    let out = sb.json(["refresh", "cond", "--json"]);
    assert_eq!(report(&out, "cond")["status"], "unchanged");
    assert_eq!(
        server.last_request("/spec").header("if-none-match"),
        Some("\"v2\"")
    );
    assert_eq!(server.last_request("/spec").status, 304);
    assert_shows(&sb, "cond", v2.as_bytes());
    assert_shows(&sb, "cond@1", v1.as_bytes());
}

// ---------------------------------------------------------------------------
// 3. Which watches a refresh polls

#[test]
fn plain_refresh_skips_watches_that_are_not_due() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/a", Reply::ok(openapi_yaml("A", &["/a"])));
    server.set("/b", Reply::ok(openapi_yaml("B", &["/b"])));
    sb.ok(["add", "alpha", &server.url("/a")]);
    assert_eq!(
        report(&sb.json(["refresh", "--json"]), "alpha")["status"],
        "new"
    );
    assert_eq!(server.hits("/a"), 1);

    // A watch added now is due, the polled one is not.
    sb.ok(["add", "beta", &server.url("/b")]);
    let out = sb.json(["refresh", "--json"]);
    assert_eq!(out["watches"].as_array().unwrap().len(), 2);
    let a = report(&out, "alpha");
    assert_eq!(a["status"], "not-due");
    assert_eq!(a["version"], 1);
    assert_eq!(a["duration_ms"], 0);
    assert_eq!(report(&out, "beta")["status"], "new");
    assert_eq!(server.hits("/a"), 1, "a watch that is not due was polled");
    assert_eq!(server.hits("/b"), 1);

    // Nothing is due now.
    let out = sb.json(["refresh", "--json"]);
    assert_eq!(report(&out, "alpha")["status"], "not-due");
    assert_eq!(report(&out, "beta")["status"], "not-due");
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 1));
    let table = sb.ok(["refresh"]);
    assert!(table.contains("not-due"), "{table}");
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 1));

    // --all polls both.
    let out = sb.json(["refresh", "--all", "--json"]);
    assert_eq!(report(&out, "alpha")["status"], "unchanged");
    assert_eq!(report(&out, "beta")["status"], "unchanged");
    assert_eq!((server.hits("/a"), server.hits("/b")), (2, 2));

    // A name polls that watch only, and reports only it.
    let out = sb.json(["refresh", "alpha", "--json"]);
    assert_eq!(out["watches"].as_array().unwrap().len(), 1, "{out:#}");
    assert_eq!(report(&out, "alpha")["status"], "unchanged");
    assert_eq!((server.hits("/a"), server.hits("/b")), (3, 2));

    // A paused watch is not polled even with --all.
    sb.ok(["pause", "beta", "--reason", "holiday"]);
    let out = sb.json(["refresh", "--all", "--json"]);
    assert_eq!(report(&out, "beta")["status"], "paused");
    assert_eq!(report(&out, "beta")["error"], "holiday");
    assert_eq!((server.hits("/a"), server.hits("/b")), (4, 2));
}

// ---------------------------------------------------------------------------
// 4. Hostile endpoints, all in one refresh

/// A watch whose endpoint turns hostile after its first good version.
struct Case {
    name: &'static str,
    kind: &'static str,
    /// The error must contain each of these.
    expect: &'static [&'static str],
    class: &'static str,
}

fn case(
    name: &'static str,
    kind: &'static str,
    class: &'static str,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        kind,
        expect,
        class,
    }
}

const HTML_LOGIN: &str = "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\
    <body><form action=\"/login\"><input name=\"user\"></form></body></html>\n";

/// Nine levels of nine aliases: 9^9 nodes once expanded.
fn billion_laughs() -> String {
    let mut doc =
        String::from("openapi: 3.0.0\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for level in 1..9 {
        let prev = format!("*a{}", level - 1);
        let items = [prev.as_str(); 9].join(", ");
        doc.push_str(&format!("a{level}: &a{level} [{items}]\n"));
    }
    doc
}

#[test]
fn hostile_endpoints_fail_one_by_one_and_lose_nothing() {
    let sb = Sandbox::new();
    let server = Server::start();
    let doomed = Server::start(); // stopped before the second refresh
    let raw_good = openapi_yaml("Raw", &["/raw"]);
    let raw = RawServer::start(http_response(
        "200 OK",
        &[("Content-Type", "application/yaml")],
        raw_good.as_bytes(),
    ));

    // name, kind, error class, what the error must mention
    #[rustfmt::skip]
    let http_cases = [
        case("http-404",      "openapi", "http",      &["HTTP 404", "check the URL"]),
        case("http-401",      "openapi", "http",      &["HTTP 401", "credentials"]),
        case("http-500",      "openapi", "http",      &["HTTP 500", "gave up after 4 attempts"]),
        case("html-openapi",  "openapi", "document",  &["HTML", "Sign in"]),
        case("html-json",     "json",    "document",  &["HTML", "Sign in"]),
        case("bad-json",      "json",    "document",  &["invalid JSON at line"]),
        case("bad-yaml",      "openapi", "document",  &["invalid YAML at line"]),
        case("alias-bomb",    "openapi", "document",  &["alias"]),
        case("empty",         "openapi", "document",  &["empty"]),
        case("not-utf8",      "openapi", "document",  &["UTF-8"]),
        case("too-big",       "openapi", "too-large", &["larger than the 64 KiB limit"]),
        case("gzip-bomb",     "json",    "too-large", &["larger than the 64 KiB limit"]),
        case("redirect-loop", "openapi", "redirect",  &["too many redirects"]),
        case("not-openapi",   "openapi", "document",  &["OpenAPI", "--kind json"]),
    ];
    #[rustfmt::skip]
    let other_cases = [
        case("file-missing",  "openapi", "file",      &["file not found"]),
        case("file-dir",      "openapi", "file",      &["is a directory"]),
        case("unreachable",   "openapi", "connect",   &["connection refused", "gave up after 4 attempts"]),
        case("cut-body",      "openapi", "body",      &["connection closed before the body was complete"]),
    ];

    // Everything starts healthy and gets a version 1.
    let good = |case: &Case| -> Vec<u8> {
        match case.kind {
            "json" => format!("{{\"data\": [{{\"id\": \"{}\"}}]}}\n", case.name).into_bytes(),
            _ => openapi_yaml(case.name, &["/things"]).into_bytes(),
        }
    };
    for case in &http_cases {
        let path = format!("/{}", case.name);
        server.set(&path, Reply::ok(good(case)));
        sb.ok(["add", case.name, &server.url(&path), "--kind", case.kind]);
    }
    let missing = sb.write("specs/missing.yaml", good(&other_cases[0]));
    let dir = sb.write("specs/dir.yaml", good(&other_cases[1]));
    sb.ok(["add", "file-missing", missing.to_str().unwrap()]);
    sb.ok(["add", "file-dir", dir.to_str().unwrap()]);
    doomed.set("/spec", Reply::ok(good(&other_cases[2])));
    sb.ok(["add", "unreachable", &doomed.url("/spec")]);
    sb.ok(["add", "cut-body", &raw.url("/spec")]);
    let same = openapi_yaml("Same", &["/same"]);
    server.set("/healthy-same", Reply::ok(same.clone()));
    sb.ok(["add", "healthy-same", &server.url("/healthy-same")]);
    server.set("/healthy-new", Reply::ok(openapi_yaml("New", &["/one"])));
    sb.ok(["add", "healthy-new", &server.url("/healthy-new")]);

    let limits = ["--max-body", "64KiB", "--timeout", "2s"];
    let first = sb
        .run(["refresh", "--json"].iter().chain(&limits))
        .expect_code(0)
        .json();
    let all_names: Vec<&str> = http_cases
        .iter()
        .chain(&other_cases)
        .map(|c| c.name)
        .chain(["healthy-same", "healthy-new"])
        .collect();
    assert_eq!(first["watches"].as_array().unwrap().len(), all_names.len());
    for name in &all_names {
        let r = report(&first, name);
        assert_eq!(r["status"], "new", "{r:#}");
        assert_eq!(r["version"], 1, "{r:#}");
    }
    let originals: Vec<(&str, Vec<u8>)> = all_names
        .iter()
        .map(|name| (*name, sb.run(["show", name]).expect_code(0).stdout))
        .collect();
    assert_eq!(originals[0].1, good(&http_cases[0]));
    assert_eq!(
        originals
            .iter()
            .find(|(n, _)| *n == "healthy-same")
            .unwrap()
            .1,
        same.as_bytes()
    );
    assert_eq!(
        originals.iter().find(|(n, _)| *n == "cut-body").unwrap().1,
        raw_good.as_bytes()
    );

    // Now every endpoint but the healthy ones turns hostile.
    let set = |name: &str, reply: Reply| server.set(&format!("/{name}"), reply);
    set("http-404", Reply::status(404, "not here"));
    set(
        "http-401",
        Reply::status(401, "{\"error\": \"unauthorized\"}"),
    );
    set("http-500", Reply::status(500, "oops"));
    set(
        "html-openapi",
        Reply::ok(HTML_LOGIN).header("content-type", "text/html"),
    );
    set(
        "html-json",
        Reply::ok(HTML_LOGIN).header("content-type", "text/html"),
    );
    set("bad-json", Reply::ok("{\"data\": [{\"id\": \"m1\"},"));
    set(
        "bad-yaml",
        Reply::ok("openapi: 3.0.0\ninfo:\n  title: x\n bad: [\n"),
    );
    set("alias-bomb", Reply::ok(billion_laughs()));
    set("empty", Reply::ok(" \n\n"));
    set(
        "not-utf8",
        Reply::ok(b"openapi: 3.0.0\ninfo:\n  title: caf\xe9\xff\n".to_vec()),
    );
    set("too-big", Reply::ok(vec![b'#'; 100 * 1024]));
    set(
        "gzip-bomb",
        Reply::ok(gzip(&vec![0u8; 8 * 1024 * 1024]))
            .header("content-encoding", "gzip")
            .header("content-type", "application/json"),
    );
    set("redirect-loop", Reply::redirect("/redirect-loop"));
    set(
        "not-openapi",
        Reply::ok("{\"data\": [{\"id\": \"gpt\"}], \"object\": \"list\"}"),
    );
    std::fs::remove_file(&missing).unwrap();
    std::fs::remove_file(&dir).unwrap();
    std::fs::create_dir(&dir).unwrap();
    doomed.stop();
    let mut cut =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/yaml\r\nContent-Length: 5000\r\n\r\n"
            .to_vec();
    cut.extend_from_slice(b"openapi: 3.0.0\ninfo:\n  title: cut");
    raw.set(cut);
    server.set(
        "/healthy-new",
        Reply::ok(openapi_yaml("New", &["/one", "/two"])),
    );

    let out = sb
        .run(["refresh", "--all", "--json"].iter().chain(&limits))
        .expect_code(1);
    let second = out.json();
    assert_eq!(second["watches"].as_array().unwrap().len(), all_names.len());
    for case in http_cases.iter().chain(&other_cases) {
        let r = report(&second, case.name);
        assert_eq!(r["status"], "failed", "{r:#}");
        assert_eq!(r["version"], 1, "{r:#}");
        assert_eq!(r["error_class"], case.class, "{r:#}");
        let error = r["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error: {r:#}"));
        assert!(
            !error.contains('\n') && !error.contains('\r'),
            "{}: not one line: {error:?}",
            case.name
        );
        for word in case.expect {
            assert!(
                error.contains(word),
                "{}: `{error}` does not mention `{word}`",
                case.name
            );
        }
    }
    assert_eq!(report(&second, "http-404")["http_status"], 404);
    assert_eq!(report(&second, "html-openapi")["http_status"], 200);
    assert_eq!(report(&second, "healthy-same")["status"], "unchanged");
    assert_eq!(report(&second, "healthy-same")["error"], Value::Null);
    assert_eq!(report(&second, "healthy-new")["status"], "changed");
    assert_eq!(report(&second, "healthy-new")["version"], 2);
    // Only transient failures are retried.
    assert_eq!(server.hits("/http-500"), 1 + 4);
    assert_eq!(server.hits("/http-404"), 1 + 1);
    assert_eq!(server.hits("/http-401"), 1 + 1);
    assert_eq!(raw.hits(), 1 + 1);
    assert_eq!(server.hits("/redirect-loop"), 1 + 11);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);

    // Nothing was lost: every version 1 reads back byte for byte.
    for (name, original) in &originals {
        assert_shows(&sb, &format!("{name}@1"), original);
        let versions = history(&sb, name);
        let expected = if *name == "healthy-new" { 2 } else { 1 };
        assert_eq!(versions.len(), expected, "{name}: {versions:#?}");
        assert_eq!(versions[0]["sha256"], sha256_hex(original), "{name}");
    }
    let list = sb.json(["list", "--json"]);
    for case in http_cases.iter().chain(&other_cases) {
        let w = list["watches"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == case.name)
            .unwrap();
        assert_eq!(w["status"], "failing", "{w:#}");
        assert_eq!(w["consecutive_failures"], 1, "{w:#}");
        assert_eq!(w["paused"], false, "{w:#}");
        assert_eq!(w["versions"], 1, "{w:#}");
        assert_eq!(
            w["last_error"],
            report(&second, case.name)["error"],
            "{w:#}"
        );
    }

    // The table output keeps each watch on one line.
    let table = sb
        .run(["refresh", "--all"].iter().chain(&limits))
        .expect_code(1)
        .text();
    assert_eq!(table.lines().count(), 1 + all_names.len(), "{table}");
}

// ---------------------------------------------------------------------------
// 5. Secrets

#[test]
fn header_secrets_come_from_the_environment_and_are_never_written() {
    let sb = Sandbox::new();
    let server = Server::start();
    let elsewhere = Server::start();
    let secret = unique_token("sk-apiradar-test-");
    let spec = openapi_yaml("Secret", &["/x"]);
    server.set("/spec", Reply::ok(spec.clone()));

    // A literal credential is refused and not stored.
    let literal = unique_token("sk-literal-");
    let out = sb
        .run([
            "add",
            "lit",
            &server.url("/spec"),
            "--header",
            &format!("Authorization: Bearer {literal}"),
        ])
        .expect_code(2);
    assert!(
        out.stderr.contains("environment variable"),
        "{}",
        out.stderr
    );
    assert!(!out.all_output().contains(&literal), "{}", out.stderr);
    // So is a password in the URL.
    let password = unique_token("pw-");
    let url_with_password = server
        .url("/spec")
        .replace("://", &format!("://me:{password}@"));
    let out = sb.run(["add", "pw", &url_with_password]).expect_code(2);
    assert!(out.stderr.contains("password"), "{}", out.stderr);
    assert!(!out.all_output().contains(&password), "{}", out.stderr);
    assert!(listed_names(&sb).is_empty());

    let reference = "Bearer ${APIRADAR_TEST_KEY}";
    sb.ok([
        "add",
        "secure",
        &server.url("/spec"),
        "--header",
        &format!("Authorization: {reference}"),
        "--header",
        "X-Api-Key: ${APIRADAR_TEST_KEY}",
    ]);
    // This one is redirected to another origin, which must get no credentials.
    server.set("/hop", Reply::redirect(&elsewhere.url("/spec")));
    elsewhere.set("/spec", Reply::ok(openapi_yaml("Elsewhere", &["/y"])));
    sb.ok([
        "add",
        "hop",
        &server.url("/hop"),
        "-H",
        "Authorization: Bearer ${APIRADAR_TEST_KEY}",
    ]);

    let with_key = |cmd: &mut assert_cmd::Command| {
        cmd.env("APIRADAR_TEST_KEY", &secret);
    };
    let refresh = sb
        .run_with(["-vv", "refresh", "--json"], with_key)
        .expect_code(0);
    let out = refresh.json();
    assert_eq!(report(&out, "secure")["status"], "new");
    assert_eq!(report(&out, "hop")["status"], "new");
    let seen = server.last_request("/spec");
    assert_eq!(
        seen.header("authorization"),
        Some(format!("Bearer {secret}").as_str())
    );
    assert_eq!(seen.header("x-api-key"), Some(secret.as_str()));
    let hopped = elsewhere.last_request("/spec");
    assert_eq!(
        hopped.header("authorization"),
        None,
        "credentials followed a redirect to another origin"
    );
    assert_eq!(
        server.last_request("/hop").header("authorization"),
        Some(format!("Bearer {secret}").as_str())
    );
    assert!(
        !refresh.all_output().contains(&secret),
        "refresh printed the secret"
    );
    // -vv did log the requests, so the check above means something.
    assert!(refresh.stderr.contains("fetching"), "{}", refresh.stderr);

    // A failing poll with the key set does not quote it either.
    server.set("/spec", Reply::status(401, "bad key"));
    let failed = sb
        .run_with(["-vv", "refresh", "secure", "--json"], with_key)
        .expect_code(1);
    let error = report(&failed.json(), "secure")["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("401"), "{error}");
    assert!(
        !failed.all_output().contains(&secret),
        "{}",
        failed.all_output()
    );

    // Listings show the header names (or references), never the value.
    let list = sb.run(["list", "--json"]).expect_code(0);
    assert!(!list.all_output().contains(&secret));
    assert_eq!(
        listed(&sb, "secure")["headers"],
        serde_json::json!(["Authorization", "X-Api-Key"])
    );
    let history_out = sb.run(["history", "secure", "--json"]).expect_code(0);
    assert!(!history_out.all_output().contains(&secret));
    assert!(
        !sb.run(["list"])
            .expect_code(0)
            .all_output()
            .contains(&secret)
    );

    // Not in the database files, the logs, nor anywhere else in the sandbox.
    let mut db = std::fs::read(sb.db()).expect("the database file");
    assert!(
        !common::contains(&db, secret.as_bytes()),
        "the secret is in the database"
    );
    for suffix in ["-wal", "-shm"] {
        let path = format!("{}{suffix}", sb.db().display());
        if let Ok(bytes) = std::fs::read(&path) {
            assert!(
                !common::contains(&bytes, secret.as_bytes()),
                "the secret is in {path}"
            );
            db.extend(bytes);
        }
    }
    assert!(
        common::contains(&db, reference.as_bytes()),
        "the reference should be stored as written"
    );
    let logs: Vec<_> = std::fs::read_dir(sb.log_dir())
        .expect("a log folder under XDG_STATE_HOME")
        .flatten()
        .collect();
    assert!(
        !logs.is_empty(),
        "no log files in {}",
        sb.log_dir().display()
    );
    let log_text: Vec<u8> = logs
        .iter()
        .flat_map(|e| std::fs::read(e.path()).unwrap_or_default())
        .collect();
    assert!(
        common::contains(&log_text, b"secure"),
        "the logs do not mention the watch at all"
    );
    assert_eq!(
        sb.files_containing(secret.as_bytes()),
        Vec::<std::path::PathBuf>::new()
    );

    // Without the variable the poll fails, naming it, and sends nothing.
    let hits = server.hits("/spec");
    let out = sb
        .run_with(["refresh", "secure", "--json"], |c| {
            c.env_remove("APIRADAR_TEST_KEY");
        })
        .expect_code(1)
        .json();
    let r = report(&out, "secure");
    assert_eq!(r["status"], "failed");
    assert_eq!(r["error_class"], "config");
    let error = r["error"].as_str().unwrap();
    assert!(
        error.contains("APIRADAR_TEST_KEY") && error.contains("not set"),
        "{error}"
    );
    assert_eq!(
        server.hits("/spec"),
        hits,
        "a request went out without the credential"
    );
}

// ---------------------------------------------------------------------------
// 6. Auto-pause

#[test]
fn five_failures_in_a_row_pause_a_watch_until_resumed() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/gone", Reply::status(404, "gone"));
    sb.ok(["add", "flaky", &server.url("/gone")]);

    for n in 1..=5 {
        let out = sb.run(["refresh", "flaky", "--json"]).expect_code(1).json();
        let r = report(&out, "flaky");
        assert_eq!(r["status"], "failed");
        if n < 5 {
            assert_eq!(r["auto_paused"], Value::Null, "paused after {n} failures");
            assert_eq!(listed(&sb, "flaky")["consecutive_failures"], n);
        } else {
            let reason = r["auto_paused"]
                .as_str()
                .expect("paused by the fifth failure");
            assert!(
                reason.contains("auto-paused") && reason.contains("404"),
                "{reason}"
            );
        }
    }
    assert_eq!(server.hits("/gone"), 5);

    let w = listed(&sb, "flaky");
    assert_eq!(w["paused"], true);
    assert_eq!(w["status"], "paused");
    let reason = w["paused_reason"].as_str().unwrap();
    assert!(
        reason.contains("auto-paused after 5 failed polls"),
        "{reason}"
    );

    // Named or --all, a paused watch is reported, not polled.
    for args in [
        &["refresh", "flaky", "--json"][..],
        &["refresh", "--all", "--json"][..],
    ] {
        let out = sb.json(args);
        let r = report(&out, "flaky");
        assert_eq!(r["status"], "paused");
        assert!(
            r["error"].as_str().unwrap().contains("auto-paused"),
            "{r:#}"
        );
    }
    assert_eq!(server.hits("/gone"), 5);

    server.set("/gone", Reply::ok(openapi_yaml("Back", &["/back"])));
    let resumed = sb.ok(["resume", "flaky"]);
    assert!(resumed.contains("resumed flaky"), "{resumed}");
    let w = listed(&sb, "flaky");
    assert_eq!(
        (w["paused"].clone(), w["consecutive_failures"].clone()),
        (Value::Bool(false), 0.into())
    );
    // Due again at once: a plain refresh polls it.
    let out = sb.json(["refresh", "--json"]);
    assert_eq!(report(&out, "flaky")["status"], "new");
    assert_eq!(server.hits("/gone"), 6);
    assert_eq!(listed(&sb, "flaky")["status"], "ok");
}

// ---------------------------------------------------------------------------
// 7. Usage errors

#[test]
fn usage_errors_exit_2_with_a_reason() {
    let sb = Sandbox::new();
    let doc = openapi_yaml("Local", &["/l"]);
    let file = sb.write("local.yaml", &doc);
    let file = file.to_str().unwrap();
    sb.ok(["add", "local", file]);
    sb.json(["refresh", "--json"]);

    let cases: &[(&[&str], &str)] = &[
        (&["refresh", "nope"], "no watch named `nope`"),
        (
            &["refresh", "local", "nope", "--json"],
            "no watch named `nope`",
        ),
        (&["history", "nope"], "no watch named `nope`"),
        (&["show", "nope"], "no watch named `nope`"),
        (&["show", "nope@1"], "no watch named `nope`"),
        (&["remove", "nope"], "no watch named `nope`"),
        (&["pause", "nope"], "no watch named `nope`"),
        (&["resume", "nope"], "no watch named `nope`"),
        (&["edit", "nope", "--every", "2h"], "no watch named `nope`"),
        (&["add", "fast", file, "--every", "10s"], "minimum of 30s"),
        (
            &["add", "fast", file, "--every", "soon"],
            "cannot read interval",
        ),
        (&["edit", "local", "--every", "5s"], "minimum of 30s"),
        (
            &["add", "odd", file, "--kind", "yaml"],
            "invalid value 'yaml'",
        ),
        (&["edit", "local", "--kind", "xml"], "invalid value 'xml'"),
        (&["add", "local", file], "already exists"),
        (&["add", "bad name", file], "not allowed"),
        (
            &["add", "ftp", "ftp://example.test/spec.yaml"],
            "unsupported URL scheme",
        ),
        (
            &["add", "keyed", file, "--key", "id"],
            "--key only applies to json",
        ),
        (
            &["add", "hdr", file, "-H", "no colon here"],
            "is not `Name: value`",
        ),
        (&["show", "local@99"], "has no version 99"),
        (&["show", "local@latest~1"], "has 1 version stored"),
        (&["show", "local@first"], "cannot read version `first`"),
        (&["refresh", "--max-body", "lots"], "not a size"),
        (&["refresh", "--timeout", "later"], "not a duration"),
        (&["frobnicate"], "unrecognized subcommand"),
    ];
    for (args, message) in cases {
        let out = sb.run(args.iter()).expect_code(2);
        assert!(
            out.stderr.contains(message),
            "`apiradar {}`: stderr does not mention {message:?}:\n{}",
            args.join(" "),
            out.stderr
        );
        assert!(
            out.stdout.is_empty() || args[0] == "refresh",
            "{}",
            out.text()
        );
    }
    // Nothing changed on the way.
    assert_eq!(listed_names(&sb), ["local"]);
    let w = listed(&sb, "local");
    assert_eq!(
        (w["interval"].clone(), w["versions"].clone()),
        ("1h".into(), 1.into())
    );
    assert_shows(&sb, "local@1", doc.as_bytes());

    // A watch without versions is not a usage error, but says what to do.
    sb.ok(["add", "empty", file, "--paused"]);
    let out = sb.run(["show", "empty"]);
    assert_eq!(out.code, Some(1));
    assert!(
        out.stderr.contains("apiradar refresh empty"),
        "{}",
        out.stderr
    );
}

#[test]
fn an_absurd_version_selector_is_a_usage_error() {
    let sb = Sandbox::new();
    let file = sb.write("local.yaml", openapi_yaml("Local", &["/l"]));
    sb.ok(["add", "local", file.to_str().unwrap()]);
    sb.json(["refresh", "--json"]);
    let out = sb.run(["show", "local@latest~-9223372036854775808"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// 8. Import

#[test]
fn import_backfills_versions_with_dates_from_file_names() {
    let sb = Sandbox::new();
    let v1 = openapi_yaml("Hist", &["/a"]);
    let v2 = openapi_yaml("Hist", &["/a", "/b"]);
    let v3 = openapi_yaml("Hist", &["/a", "/b", "/c"]);
    // v1 again, written as JSON with other key order: same meaning.
    let v1_json = r#"{"paths": {"/a": {"get": {"responses": {"200": {"description": "ok"}}}}},
  "openapi": "3.0.3", "info": {"version": "1.0", "title": "Hist"}}"#;
    let files = [
        ("001_2025-01-01_aaaa.yaml", v1.as_str()),
        ("002_2025-01-15_bbbb.yaml", v2.as_str()),
        ("003_2025-02-01_cccc.yaml", v1.as_str()), // a revert
        ("004_2025-02-10_dddd.json", v1_json),     // same meaning as 003
        ("005_2025-03-01_eeee.yaml", v3.as_str()),
    ];
    for (name, body) in files {
        sb.write(&format!("corpus/{name}"), body);
    }
    sb.write(
        "corpus/INDEX.tsv",
        "seq\tdate\tfile\n1\t2025-01-01\t001_2025-01-01_aaaa.yaml\n",
    );
    let dir = sb.path("corpus");

    let out = sb
        .run(["import", "hist", dir.to_str().unwrap(), "--json"])
        .expect_code(0);
    assert!(
        out.stderr.contains("created watch `hist` (openapi)"),
        "{}",
        out.stderr
    );
    let doc = out.json();
    assert_eq!(doc["watch"], "hist");
    assert_eq!(
        (
            doc["added"].clone(),
            doc["unchanged"].clone(),
            doc["failed"].clone()
        ),
        (4.into(), 1.into(), 0.into())
    );
    let statuses: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["new", "changed", "changed", "unchanged", "changed"]
    );
    let versions: Vec<i64> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["version"].as_i64().unwrap())
        .collect();
    assert_eq!(versions, [1, 2, 3, 3, 4]);

    let versions = history(&sb, "hist");
    assert_eq!(versions.len(), 4);
    let dates: Vec<&str> = versions
        .iter()
        .map(|v| v["source_date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        ["2025-01-01", "2025-01-15", "2025-02-01", "2025-03-01"]
    );
    for v in &versions {
        assert_eq!(v["origin"], "import");
        assert_eq!(v["http_status"], Value::Null);
    }
    assert_eq!(versions[0]["sha256"], versions[2]["sha256"]);
    assert_eq!(
        versions[0]["canonical_sha256"],
        versions[2]["canonical_sha256"]
    );
    assert_eq!(versions[3]["sha256"], sha256_hex(v3.as_bytes()));
    assert_shows(&sb, "hist@2", v2.as_bytes());
    assert_shows(&sb, "hist@3", v1.as_bytes());
    assert_shows(&sb, "hist", v3.as_bytes());

    let w = listed(&sb, "hist");
    assert_eq!(w["versions"], 4);
    assert_eq!(w["kind"], "openapi");
    assert!(
        w["location"]
            .as_str()
            .unwrap()
            .ends_with("005_2025-03-01_eeee.yaml"),
        "{w:#}"
    );

    // A folder with a broken file imports the rest and exits 1.
    sb.write(
        "more/006_2025-04-01_ffff.yaml",
        "<html><title>Login</title></html>",
    );
    sb.write(
        "more/007_2025-04-02_gggg.yaml",
        openapi_yaml("Hist", &["/d"]),
    );
    let out = sb
        .run(["import", "hist", sb.path("more").to_str().unwrap()])
        .expect_code(1);
    assert!(
        out.text().contains("1 new versions, 0 unchanged, 1 failed"),
        "{}",
        out.text()
    );
    assert!(
        out.stderr.contains("006_2025-04-01_ffff.yaml") && out.stderr.contains("HTML"),
        "{}",
        out.stderr
    );
    assert_eq!(history(&sb, "hist").len(), 5);

    // A folder with no documents is a usage error.
    sb.write("nothing/INDEX.tsv", "seq\n");
    let out = sb
        .run(["import", "hist", sb.path("nothing").to_str().unwrap()])
        .expect_code(2);
    assert!(out.stderr.contains("holds no"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// 9. Watch files

fn watch_file(sb: &Sandbox, text: &str) -> std::path::PathBuf {
    sb.write("watches.toml", text)
}

fn toml_path(p: &Path) -> String {
    p.display().to_string().replace('\\', "\\\\")
}

#[test]
fn a_watch_file_is_synced_on_every_command() {
    let sb = Sandbox::new();
    let a = sb.write("a.yaml", openapi_yaml("A", &["/a"]));
    let b = sb.write("b.json", r#"{"data": [{"id": "m2"}, {"id": "m1"}]}"#);
    let (a, b) = (toml_path(&a), toml_path(&b));
    let config = watch_file(
        &sb,
        &format!(
            "[settings]\ntimeout = \"5s\"\n\n[[watch]]\nname = \"cfg-a\"\nlocation = \"{a}\"\nevery = \"1h\"\n\n\
             [[watch]]\nname = \"cfg-b\"\nurl = \"{b}\"\nkind = \"json\"\nkey = \"id\"\n"
        ),
    );
    let cfg = config.to_str().unwrap();

    // Any command syncs: `list` creates both.
    let w = sb.json(["--config", cfg, "list", "--json"]);
    let names: Vec<&str> = w["watches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["cfg-a", "cfg-b"]);
    let b_listed = listed(&sb, "cfg-b");
    assert_eq!(b_listed["from_config"], true);
    assert_eq!(b_listed["kind"], "json");
    assert_eq!(b_listed["key"], "id");
    assert_eq!(listed(&sb, "cfg-a")["interval"], "1h");
    let out = sb.json(["--config", cfg, "refresh", "--json"]);
    assert_eq!(report(&out, "cfg-a")["status"], "new");
    assert_eq!(report(&out, "cfg-b")["status"], "new");
    // The environment variable works as well as the flag.
    let out = sb.run_with(["list", "--json"], |c| {
        c.env("APIRADAR_CONFIG", &config);
    });
    assert_eq!(
        out.expect_code(0).json()["watches"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The file changes: cfg-a is edited, cfg-b is gone from it.
    watch_file(
        &sb,
        &format!("[[watch]]\nname = \"cfg-a\"\nlocation = \"{a}\"\nevery = \"2h\"\n"),
    );
    let out = sb.run(["--config", cfg, "list", "--json"]).expect_code(0);
    assert!(
        out.stderr.contains("`cfg-b` is no longer in")
            && out.stderr.contains("paused, history kept"),
        "{}",
        out.stderr
    );
    assert_eq!(listed(&sb, "cfg-a")["interval"], "2h");
    assert_eq!(listed(&sb, "cfg-a")["versions"], 1);
    let b_listed = listed(&sb, "cfg-b");
    assert_eq!(b_listed["paused"], true, "{b_listed:#}");
    assert!(
        b_listed["paused_reason"]
            .as_str()
            .unwrap()
            .contains("no longer declared"),
        "{b_listed:#}"
    );
    assert_eq!(b_listed["versions"], 1);
    assert_eq!(history(&sb, "cfg-b").len(), 1);
    // Said once, not on every command.
    let out = sb.run(["--config", cfg, "list", "--json"]).expect_code(0);
    assert!(!out.stderr.contains("cfg-b"), "{}", out.stderr);

    // A broken file is reported with file:line:column and changes nothing.
    watch_file(
        &sb,
        &format!("[[watch]]\nname = \"cfg-a\"\nlocation = \"{a}\"\nevery = 2h\n"),
    );
    let out = sb.run(["--config", cfg, "list", "--json"]).expect_code(2);
    assert!(out.stderr.contains(&format!("{cfg}:4:9")), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert_eq!(listed(&sb, "cfg-a")["interval"], "2h");

    // A bad watch in the file names the watch.
    watch_file(
        &sb,
        &format!("[[watch]]\nname = \"cfg-a\"\nlocation = \"{a}\"\nevery = \"10s\"\n"),
    );
    let out = sb.run(["--config", cfg, "list"]).expect_code(2);
    assert!(
        out.stderr.contains("watch `cfg-a`") && out.stderr.contains("minimum"),
        "{}",
        out.stderr
    );

    // A missing file is an error too, not an empty list.
    let out = sb
        .run(["--config", "/nonexistent/watches.toml", "list"])
        .expect_code(2);
    assert!(
        out.stderr.contains("cannot read /nonexistent/watches.toml"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_watch_declared_again_is_resumed() {
    let sb = Sandbox::new();
    let a = toml_path(&sb.write("a.yaml", openapi_yaml("A", &["/a"])));
    let both = format!(
        "[[watch]]\nname = \"one\"\nlocation = \"{a}\"\n\n[[watch]]\nname = \"two\"\nlocation = \"{a}\"\n"
    );
    let config = watch_file(&sb, &both);
    let cfg = config.to_str().unwrap();
    sb.json(["--config", cfg, "list", "--json"]);
    watch_file(
        &sb,
        &format!("[[watch]]\nname = \"one\"\nlocation = \"{a}\"\n"),
    );
    sb.json(["--config", cfg, "list", "--json"]);
    assert_eq!(listed(&sb, "two")["paused"], true);
    watch_file(&sb, &both);
    sb.json(["--config", cfg, "list", "--json"]);
    let two = listed(&sb, "two");
    assert_eq!(
        two["paused"], false,
        "declared again but still paused: {two:#}"
    );
}

// ---------------------------------------------------------------------------
// 10. Completions and config

#[test]
fn completions_and_config_show() {
    let sb = Sandbox::new();
    let script = sb.ok(["completions", "bash"]);
    assert!(script.contains("_apiradar()"), "{script}");
    assert!(script.contains("complete -F _apiradar"), "{script}");
    for sub in ["refresh", "history", "import"] {
        assert!(script.contains(sub), "no `{sub}` in the bash completions");
    }
    assert!(
        !sb.db().exists(),
        "printing completions created the database"
    );

    let shown = sb.ok(["config", "--show"]);
    let line = |key: &str| {
        shown
            .lines()
            .find_map(|l| l.strip_prefix(key).map(|rest| rest.trim().to_string()))
            .unwrap_or_else(|| panic!("no `{key}` line in:\n{shown}"))
    };
    assert_eq!(line("database"), sb.db().display().to_string());
    assert_eq!(line("logs"), sb.log_dir().display().to_string());
    assert_eq!(line("max body"), "64 MiB");
    assert!(
        line("auto-pause").contains("after 5 failed polls"),
        "{shown}"
    );

    // Settings from a watch file show through.
    let config = watch_file(&sb, "[settings]\nmax_body = \"2MiB\"\npause_after = 3\n");
    let shown = sb.ok(["--config", config.to_str().unwrap(), "config"]);
    assert!(
        shown.contains("2 MiB") && shown.contains("after 3 failed polls"),
        "{shown}"
    );

    // APIRADAR_DB is honoured like --db.
    let other = sb.root().join("other.db");
    let out = sb.run_with(["config"], |c| {
        c.env("APIRADAR_DB", &other);
    });
    // --db on the command line wins over the environment.
    assert!(
        out.expect_code(0)
            .text()
            .contains(&sb.db().display().to_string())
    );
    let mut cmd = assert_cmd::Command::cargo_bin("apiradar").unwrap();
    let out = cmd
        .env("APIRADAR_DB", &other)
        .env_remove("APIRADAR_CONFIG")
        .env("HOME", sb.root().join("home"))
        .env("XDG_STATE_HOME", sb.root().join("state"))
        .args(["config", "--show"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(&other.display().to_string()));
}

// ---------------------------------------------------------------------------
// 11. Edit

#[test]
fn edit_and_rename_keep_history() {
    let sb = Sandbox::new();
    let v1 = openapi_yaml("Old", &["/a"]);
    let v2 = openapi_yaml("Old", &["/a", "/b"]);
    let file = sb.write("spec.yaml", &v1);
    let file = file.to_str().unwrap();
    sb.ok(["add", "old", file]);
    sb.json(["refresh", "--json"]);
    sb.write("spec.yaml", &v2);
    assert_eq!(
        report(&sb.json(["refresh", "old", "--json"]), "old")["status"],
        "changed"
    );

    let out = sb.ok(["edit", "old", "--every", "2h", "--rename", "new"]);
    assert_eq!(out.trim(), "updated new");
    assert_eq!(listed_names(&sb), ["new"]);
    let w = listed(&sb, "new");
    assert_eq!(w["interval"], "2h");
    assert_eq!(w["interval_secs"], 7200);
    assert_eq!(w["versions"], 2);
    assert_eq!(w["location"], file);
    let versions = history(&sb, "new");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["sha256"], sha256_hex(v1.as_bytes()));
    assert_shows(&sb, "new@1", v1.as_bytes());
    assert_shows(&sb, "new", v2.as_bytes());
    let out = sb.run(["history", "old"]).expect_code(2);
    assert!(
        out.stderr.contains("no watch named `old`"),
        "{}",
        out.stderr
    );
    // Renaming onto an existing watch is refused.
    sb.ok(["add", "other", file]);
    let out = sb.run(["edit", "other", "--rename", "new"]).expect_code(2);
    assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    assert_eq!(history(&sb, "new").len(), 2);

    // Polling goes on under the new name with the same history.
    sb.write("spec.yaml", openapi_yaml("Old", &["/a", "/b", "/c"]));
    let out = sb.json(["refresh", "new", "--json"]);
    assert_eq!(report(&out, "new")["status"], "changed");
    assert_eq!(report(&out, "new")["version"], 3);

    // remove takes the history with it.
    let out = sb.ok(["remove", "new", "--yes"]);
    assert_eq!(out.trim(), "removed new and its 3 versions");
    assert_eq!(listed_names(&sb), ["other"]);
}

#[test]
fn a_key_in_the_query_string_comes_from_the_environment_and_is_never_written() {
    let sb = Sandbox::new();
    let server = Server::start();
    let secret = unique_token("qk-apiradar-test-");
    server.set("/models", Reply::ok(r#"{"data":[{"id":"m1"}]}"#));
    let location = format!("{}?key=${{APIRADAR_TEST_QKEY}}", server.url("/models"));
    sb.ok(["add", "models", &location, "--kind", "json", "--key", "id"]);
    let with_key = |cmd: &mut assert_cmd::Command| {
        cmd.env("APIRADAR_TEST_QKEY", &secret);
    };
    let first = sb
        .run_with(["-vv", "refresh", "--json"], with_key)
        .expect_code(0);
    assert_eq!(first.json()["watches"][0]["status"], "new");
    let seen = server.last_request("/models");
    assert_eq!(
        seen.query.as_deref(),
        Some(format!("key={secret}").as_str())
    );

    // A failure names the URL, but not the key in it.
    server.set("/models", Reply::status(404, "gone"));
    let failed = sb
        .run_with(["-vv", "refresh", "models", "--json"], with_key)
        .expect_code(1);
    let error = failed.json()["watches"][0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        error.contains("404") && error.contains("/models"),
        "{error}"
    );
    assert!(
        !failed.all_output().contains(&secret),
        "{}",
        failed.all_output()
    );
    assert!(
        !first.all_output().contains(&secret),
        "{}",
        first.all_output()
    );
    let history = sb.ok(["history", "models", "--json"]);
    assert!(!history.contains(&secret));
    assert!(
        sb.files_containing(secret.as_bytes()).is_empty(),
        "the key was written to {:?}",
        sb.files_containing(secret.as_bytes())
    );

    // Without the variable the poll fails, naming it, and sends nothing.
    let hits = server.hits("/models");
    let out = sb.run(["refresh", "models", "--json"]).expect_code(1);
    let error = out.json()["watches"][0]["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("APIRADAR_TEST_QKEY"), "{error}");
    assert_eq!(server.hits("/models"), hits);
}

#[test]
fn diff_compares_files_and_stored_versions_and_refresh_counts_findings() {
    let sb = Sandbox::new();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let v2 = assets.join("petstore-2.yaml").display().to_string();
    let v3 = assets.join("petstore-3.yaml").display().to_string();

    // Two files, JSON at info level.
    let out = sb.json(["diff", &v2, &v3, "--format", "json", "--level", "info"]);
    let changes = out["changes"].as_array().unwrap();
    let has = |id: &str, method: &str, path: &str, level: &str| {
        changes.iter().any(|c| {
            c["id"] == id && c["operation"] == method && c["path"] == path && c["level"] == level
        })
    };
    assert!(
        has("request-property-became-required", "POST", "/pets", "error"),
        "{out:#}"
    );
    assert!(
        has("request-parameter-max-decreased", "GET", "/pets", "error"),
        "{out:#}"
    );
    assert!(has(
        "response-optional-property-removed",
        "GET",
        "/pets/{petId}",
        "warning"
    ));
    for c in changes {
        assert_eq!(c["fingerprint"].as_str().unwrap().len(), 16);
        assert!(
            c["base_pointer"].as_str().unwrap().starts_with("/paths/"),
            "{c}"
        );
    }
    // --level hides what is below it; --fail-on exits 1 when something remains.
    let errors = sb.json(["diff", &v2, &v3, "--format", "json", "--level", "error"]);
    assert!(
        errors["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["level"] == "error")
    );
    sb.run(["diff", &v2, &v3, "--fail-on", "error"])
        .expect_code(1);
    sb.run(["diff", &v2, &v2, "--fail-on", "warning"])
        .expect_code(0);
    let text = sb.ok(["diff", &v2, &v3]);
    assert!(
        text.contains("POST /pets") && text.contains("became required"),
        "{text}"
    );

    // A watch whose spec turns breaking: refresh reports the counts and
    // --fail-on error exits 3.
    let server = Server::start();
    server.set("/spec", Reply::ok(std::fs::read(&v2).unwrap()));
    sb.ok(["add", "pets", &server.url("/spec")]);
    sb.ok(["refresh", "pets"]);
    server.set("/spec", Reply::ok(std::fs::read(&v3).unwrap()));
    let out = sb
        .run(["refresh", "pets", "--json", "--fail-on", "error"])
        .expect_code(3);
    let report = &out.json()["watches"][0];
    assert_eq!(report["status"], "changed");
    assert_eq!(report["counts"]["error"], 2, "{report}");
    let history = sb.json(["history", "pets", "--json"]);
    assert_eq!(history["versions"][1]["counts"]["error"], 2);
    assert!(history["versions"][0]["counts"].is_null());

    // Stored versions diff like files.
    let stored = sb.json(["diff", "pets@1", "pets@latest", "--format", "json"]);
    assert_eq!(
        stored["changes"].as_array().unwrap().len(),
        changes.iter().filter(|c| c["level"] != "info").count()
    );
    sb.run(["diff", "pets@9", "pets@1"]).expect_code(2);
}

#[test]
fn the_dashboard_reports_a_broken_theme_and_needs_a_terminal() {
    let sb = Sandbox::new();
    // Without a terminal, the dashboard says what to use instead.
    let out = sb.run(Vec::<&str>::new()).expect_code(2);
    assert!(out.stderr.contains("needs a terminal"), "{}", out.stderr);
    // A broken theme is named with file and line, before anything else.
    let config = sb.root().join("config/apiradar");
    let put = |name: &str, text: &str| {
        let path = config.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    put("config.toml", "[ui]\ntheme = \"mine\"\n");
    put(
        "themes/mine.toml",
        "extends = \"dark\"\nbase = \"fg=#zzzzzz\"\n",
    );
    let out = sb.run(Vec::<&str>::new()).expect_code(2);
    assert!(out.stderr.contains("mine.toml:2"), "{}", out.stderr);
    let shown = sb.ok(["config", "--show"]);
    assert!(shown.contains("mine.toml:2"), "{shown}");
    assert!(
        shown.contains(&config.join("keymap.toml").display().to_string()),
        "{shown}"
    );
    // A bad key in the keymap too.
    std::fs::remove_file(config.join("config.toml")).unwrap();
    put(
        "keymap.toml",
        "diff = [ { keys = [\"J\"], action = \"jump_around\" } ]\n",
    );
    let out = sb.run(Vec::<&str>::new()).expect_code(2);
    assert!(out.stderr.contains("keymap.toml:1"), "{}", out.stderr);
}

/// `apiradar run --config FILE` follows the file: a watch added to it
/// while running is polled at once, and a broken edit changes nothing.
#[test]
fn run_follows_its_config_file() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/a.json", Reply::ok(r#"{"a": 1}"#));
    server.set("/b.json", Reply::ok(r#"{"b": 1}"#));
    let one = format!(
        "[[watch]]\nname = \"a\"\nkind = \"json\"\nlocation = \"{}\"\n",
        server.url("/a.json")
    );
    let cfg = sb.write("apiradar.toml", &one);
    let mut child = sb
        .process()
        .arg("--config")
        .arg(&cfg)
        .args(["run", "--for", "12s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("apiradar run");
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !done() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out: {what}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    // Collects stderr as it comes, to wait for a report without a sleep.
    let stderr_so_far = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let stderr_reader = {
        use std::io::BufRead;
        let pipe = child.stderr.take().expect("stderr is piped");
        let sink = std::sync::Arc::clone(&stderr_so_far);
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                let mut text = sink.lock().unwrap_or_else(|e| e.into_inner());
                text.push_str(&line);
                text.push('\n');
            }
        })
    };
    let stderr_shows = |text: &str| {
        stderr_so_far
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(text)
    };
    wait_for("the first poll", &|| server.hits("/a.json") >= 1);

    // A broken edit is reported and leaves everything as it was.
    sb.write("apiradar.toml", format!("{one}\n[[watch]]\nname = \"b\"\n"));
    wait_for("the report of the broken edit", &|| {
        stderr_shows("nothing changed")
    });
    // The fixed edit adds the watch, which is polled at once.
    sb.write(
        "apiradar.toml",
        format!(
            "{one}\n[[watch]]\nname = \"b\"\nkind = \"json\"\nlocation = \"{}\"\nevery = \"1h\"\n",
            server.url("/b.json")
        ),
    );
    wait_for("the added watch's poll", &|| server.hits("/b.json") >= 1);
    let out = child.wait_with_output().expect("run ends");
    stderr_reader.join().expect("the stderr reader");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = stderr_so_far
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("apiradar.toml") && stderr.contains("nothing changed"),
        "{stderr}"
    );
    assert!(
        stdout.contains("reloaded") && stdout.contains("1 watch added"),
        "{stdout}"
    );
}

#[test]
fn imported_versions_show_their_counts_as_pending_until_the_worker_computes_them() {
    let sb = Sandbox::new();
    sb.write(
        "h/001_2025-01-01_a.yaml",
        openapi_yaml("Pend", &["/a", "/b"]),
    );
    sb.write("h/002_2025-01-02_b.yaml", openapi_yaml("Pend", &["/a"]));
    sb.write(
        "h/003_2025-01-03_c.yaml",
        openapi_yaml("Pend", &["/a", "/c"]),
    );
    let dir = sb.path("h");
    let doc = sb.json(["import", "pend", dir.to_str().unwrap(), "--json"]);
    assert_eq!(doc["counts_pending"], 2, "{doc:#}");
    let versions = history(&sb, "pend");
    let pending: Vec<&Value> = versions.iter().map(|v| &v["counts_pending"]).collect();
    assert_eq!(pending, [false, true, true]);
    assert!(versions.iter().all(|v| v["counts"].is_null()));
    let table = sb.ok(["history", "pend"]);
    assert_eq!(table.matches("pending").count(), 2, "{table}");

    // Importing more says how many are still pending, all told.
    sb.write("more/004_2025-01-04_d.yaml", openapi_yaml("Pend", &["/d"]));
    let text = sb.ok(["import", "pend", sb.path("more").to_str().unwrap()]);
    assert!(
        text.contains("finding counts pending for 3 versions"),
        "{text}"
    );

    // The worker of `run` computes them.
    sb.run(["run", "--for", "4s", "--quiet"]).expect_code(0);
    let versions = history(&sb, "pend");
    assert!(
        versions.iter().all(|v| v["counts_pending"] == false),
        "{versions:#?}"
    );
    // /b removed: an error; /c added: info only; /a and /c removed: errors.
    assert!(versions[1]["counts"]["error"].as_i64().unwrap_or(0) >= 1);
    assert_eq!(versions[2]["counts"]["error"], 0);
    assert!(versions[3]["counts"]["error"].as_i64().unwrap_or(0) >= 1);
    assert!(!sb.ok(["history", "pend"]).contains("pending"));
}
