//! End-to-end tests of `normalize`: same meaning gives the same bytes, a
//! real change does not, and hostile bodies give typed errors.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

fn opts() -> NormalizeOptions<'static> {
    NormalizeOptions::default()
}

fn norm(kind: Kind, body: &str) -> Result<Normalized, SpecError> {
    normalize(kind, body.as_bytes(), &opts())
}

fn canon(kind: Kind, body: &str) -> Vec<u8> {
    norm(kind, body).unwrap().canonical
}

const SPEC_JSON: &str = r#"{
  "openapi": "3.1.0",
  "info": {"title": "Pets", "version": "1.0"},
  "paths": {
    "/pets": {
      "get": {
        "responses": {
          "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "maxItems": 100}}}},
          "default": {"description": "error"}
        }
      }
    }
  },
  "x-flags": [true, null, 1.5, -2]
}"#;

const SPEC_JSON_REORDERED: &str = r#"{"x-flags":[true,null,1.5,-2],"paths":{"/pets":{"get":{"responses":{"default":{"description":"error"},
"200":{"content":{"application/json":{"schema":{"maxItems":100,"type":"array"}}},"description":"ok"}}}}},
    "info":{"version":"1.0","title":"Pets"},"openapi":"3.1.0"}"#;

const SPEC_YAML: &str = "\
openapi: 3.1.0
info:
  title: Pets
  version: '1.0'
paths:
  /pets:
    get:
      responses:
        200:
          description: ok
          content:
            application/json:
              schema: {type: array, maxItems: 100}
        default:
          description: \"error\"
x-flags: [true, ~, 1.5, -2]
";

const SPEC_YAML_OTHER_STYLE: &str = "\
\u{feff}# same document, other quoting and layout
'openapi': \"3.1.0\"
x-flags:
  - True
  - null
  - 1.50
  - -2
paths:
    \"/pets\":
        get:
            responses:
                default: {description: error}
                \"200\":
                    content:
                        'application/json':
                            schema:
                                maxItems: 0x64
                                type: >-
                                    array
                    description: |-
                        ok
info: {version: \"1.0\", title: 'Pets'}
";

#[test]
fn same_document_in_other_bytes_has_the_same_canonical_form() {
    let base = canon(Kind::OpenApi, SPEC_JSON);
    assert_eq!(canon(Kind::OpenApi, SPEC_JSON_REORDERED), base);
    assert_eq!(canon(Kind::OpenApi, SPEC_YAML), base);
    assert_eq!(canon(Kind::OpenApi, SPEC_YAML_OTHER_STYLE), base);
    assert_eq!(canon(Kind::Json, SPEC_YAML_OTHER_STYLE), base);
    assert!(base.ends_with(b"}\n"));
}

#[test]
fn a_real_change_changes_the_canonical_form() {
    let base = canon(Kind::OpenApi, SPEC_JSON);
    let changed = SPEC_JSON.replace("\"maxItems\": 100", "\"maxItems\": 50");
    assert_ne!(canon(Kind::OpenApi, &changed), base);
    // A number is not its string.
    let quoted = SPEC_YAML.replace("maxItems: 100", "maxItems: '100'");
    assert_ne!(canon(Kind::OpenApi, &quoted), base);
    let reordered_list = SPEC_JSON.replace("[true, null, 1.5, -2]", "[null, true, 1.5, -2]");
    assert_ne!(canon(Kind::OpenApi, &reordered_list), base);
}

#[test]
fn openapi_metadata() {
    let n = norm(Kind::OpenApi, SPEC_YAML).unwrap();
    assert_eq!(n.format, "yaml");
    assert_eq!(n.spec_version.as_deref(), Some("openapi 3.1.0"));
    assert_eq!(n.title.as_deref(), Some("Pets"));

    let n = norm(
        Kind::OpenApi,
        r#"{"swagger": "2.0", "info": {"title": "Stripe"}, "paths": {}}"#,
    )
    .unwrap();
    assert_eq!(n.format, "json");
    assert_eq!(n.spec_version.as_deref(), Some("swagger 2.0"));
    assert_eq!(n.title.as_deref(), Some("Stripe"));

    // Lenient: no info at all is fine.
    let n = norm(Kind::OpenApi, "swagger: '2.0'\n").unwrap();
    assert_eq!(n.spec_version.as_deref(), Some("swagger 2.0"));
    assert_eq!(n.title, None);
}

#[test]
fn not_openapi_suggests_kind_json() {
    let err = norm(Kind::OpenApi, r#"[{"id": "gpt"}]"#).unwrap_err();
    assert!(matches!(err, SpecError::NotOpenApi { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("a JSON array"), "{msg}");
    assert!(msg.contains("--kind json"), "{msg}");

    let err = norm(Kind::OpenApi, "object: list\ndata: []\n").unwrap_err();
    assert!(
        err.to_string()
            .contains("a mapping without a top-level `openapi` or `swagger` field"),
        "{err}"
    );
    // The same bodies are fine as json watches.
    assert!(norm(Kind::Json, r#"[{"id": "gpt"}]"#).is_ok());
    assert!(norm(Kind::Json, "object: list\ndata: []\n").is_ok());
}

#[test]
fn html_login_page_is_refused_for_structured_kinds() {
    let login = "\n  <!doctype HTML>\n<html><head><meta charset=utf-8>\n<title>Sign in · Example</title></head>\
                 <body><form>...</form></body></html>";
    for kind in [Kind::OpenApi, Kind::Json] {
        let err = norm(kind, login).unwrap_err();
        assert_eq!(
            err,
            SpecError::Html {
                title: Some("Sign in · Example".to_owned())
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("(\"Sign in · Example\")"), "{msg}");
        assert!(msg.contains("behind a login"), "{msg}");
        assert!(!msg.contains('\n'));
    }
    // The same page is what a page watch is for.
    let n = norm(Kind::Page, login).unwrap();
    assert_eq!(n.format, "html");
    assert_eq!(n.title.as_deref(), Some("Sign in · Example"));
}

#[test]
fn empty_and_non_utf8_bodies() {
    for kind in [Kind::OpenApi, Kind::Json, Kind::Page] {
        for body in [&b""[..], b"  \r\n\t", b"\xEF\xBB\xBF\n"] {
            let err = normalize(kind, body, &opts()).unwrap_err();
            assert_eq!(err, SpecError::Empty);
            assert_eq!(err.to_string(), "the document is empty");
        }
        let err = normalize(kind, b"openapi: 3.0.0\ntitle: caf\xE9\n", &opts()).unwrap_err();
        assert_eq!(
            err,
            SpecError::NotUtf8 {
                offset: 25,
                looks_like: None
            }
        );
    }
}

#[test]
fn billion_laughs_fails_fast() {
    let bomb = "\
a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
j: &j [*i, *i, *i, *i, *i, *i, *i, *i, *i]
";
    for kind in [Kind::OpenApi, Kind::Json] {
        let err = norm(kind, bomb).unwrap_err();
        assert!(matches!(err, SpecError::TooManyNodes { .. }), "{err:?}");
        assert!(err.to_string().contains("alias bomb"), "{err}");
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(100_000);
    let deep_yaml = format!("openapi: 3.0.0\nx: {deep}");
    for body in [deep.as_str(), deep_yaml.as_str()] {
        for kind in [Kind::OpenApi, Kind::Json] {
            let err = norm(kind, body).unwrap_err();
            assert!(matches!(err, SpecError::TooDeep { .. }), "{err:?}");
            assert!(
                err.to_string()
                    .starts_with("the document nests deeper than")
            );
        }
    }
}

#[test]
fn yaml_features_survive_normalization() {
    let doc = "\
openapi: 3.0.3
components:
  schemas:
    Error: &err {type: object, description: first}
    A: *err
    Error2: &err {type: object, description: second}
    B: *err
    Base: &base {type: string, maxLength: 10}
    Derived:
      <<: *base
      maxLength: 20
paths:
  /x:
    get:
      responses:
        200: {description: ok}
        true: {description: odd}
x-limit: .inf
";
    let n = norm(Kind::OpenApi, doc).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&n.canonical).unwrap();
    let schemas = &v["components"]["schemas"];
    assert_eq!(schemas["A"]["description"], "first");
    assert_eq!(schemas["B"]["description"], "second");
    assert_eq!(
        schemas["Derived"],
        serde_json::json!({"type": "string", "maxLength": 20})
    );
    let responses = &v["paths"]["/x"]["get"]["responses"];
    assert_eq!(responses["200"]["description"], "ok");
    assert_eq!(responses["true"]["description"], "odd");
    assert_eq!(v["x-limit"], ".inf");
}

#[test]
fn item_key_makes_catalog_order_irrelevant() {
    let a = r#"{"object": "list", "data": [{"id": "b", "price": 2}, {"id": "a", "price": 1}]}"#;
    let b = r#"{"object": "list", "data": [{"price": 1, "id": "a"}, {"id": "b", "price": 2}]}"#;
    let keyed = NormalizeOptions {
        item_key: Some("id"),
        ..NormalizeOptions::default()
    };
    let ka = normalize(Kind::Json, a.as_bytes(), &keyed)
        .unwrap()
        .canonical;
    let kb = normalize(Kind::Json, b.as_bytes(), &keyed)
        .unwrap()
        .canonical;
    assert_eq!(ka, kb);
    // Without the key, order matters.
    assert_ne!(canon(Kind::Json, a), canon(Kind::Json, b));
    // A price change is still a change.
    let c = b.replace("\"price\": 1", "\"price\": 3");
    let kc = normalize(Kind::Json, c.as_bytes(), &keyed)
        .unwrap()
        .canonical;
    assert_ne!(ka, kc);
}

#[test]
fn page_kind_reads_html_and_text() {
    let n = norm(
        Kind::Page,
        "<h1>News</h1><ul><li>one</li></ul><script>x()</script>",
    )
    .unwrap();
    assert_eq!(n.format, "html");
    assert_eq!(String::from_utf8(n.canonical).unwrap(), "# News\n* one\n");
    let n = norm(Kind::Page, "v2 released\r\n").unwrap();
    assert_eq!(n.format, "text");
    assert_eq!(n.canonical, b"v2 released\n");
    assert_eq!(n.spec_version, None);
}

fn corpus_archive(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/histories")
        .join(format!("{name}.tar.zst"));
    path.is_file().then_some(path)
}

/// Every version of the OpenAI spec loads, including the ones that redefine
/// YAML anchors, and stays far inside the default limits.
#[test]
fn openai_history_normalizes() {
    let Some(archive) = corpus_archive("openai-api") else {
        eprintln!("skipping: ../shared/corpus/histories/openai-api.tar.zst is absent");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("tar")
        .arg("-I")
        .arg("zstd")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .status();
    match status {
        Ok(s) if s.success() => {}
        other => {
            eprintln!(
                "skipping: could not unpack {} with tar+zstd: {other:?}",
                archive.display()
            );
            return;
        }
    }
    let mut files: Vec<PathBuf> = walk(dir.path())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "only {} files unpacked", files.len());
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        let n = normalize(Kind::OpenApi, &raw, &opts())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(n.format, "yaml");
        assert!(
            n.spec_version
                .as_deref()
                .is_some_and(|v| v.starts_with("openapi 3.")),
            "{}: {:?}",
            file.display(),
            n.spec_version
        );
        // Canonical form is stable: normalizing it again gives itself.
        let again = normalize(Kind::OpenApi, &n.canonical, &opts()).unwrap();
        assert_eq!(again.canonical, n.canonical, "{}", file.display());
        assert_eq!(again.format, "json");
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn json_watches_refuse_plain_text_but_take_yaml_collections() {
    let opts = NormalizeOptions::default();
    let err = normalize(Kind::Json, b"Service Unavailable", &opts).unwrap_err();
    assert!(matches!(err, SpecError::PlainText { .. }), "{err}");
    assert!(err.to_string().contains("Service Unavailable"));
    assert!(normalize(Kind::Json, b"- a\n- b\n", &opts).is_ok());
    assert!(normalize(Kind::Json, b"a: 1\n", &opts).is_ok());
    // A JSON scalar is still JSON.
    assert!(normalize(Kind::Json, b"42", &opts).is_ok());
}

#[test]
fn a_json_description_is_told_from_its_top_level_keys_and_anything_else_is_parsed() {
    let limits = Limits::default();
    let kind = |raw: &[u8], name| detect(raw, Some(name), &limits);
    // The quick path: well-formed JSON with `openapi` or `swagger` on top.
    assert!(openapi_json_object(
        b" {\"openapi\": \"3.1.0\", \"paths\": {}}"
    ));
    assert!(openapi_json_object(b"{\"swagger\": \"2.0\"}"));
    // Not for a key below the top, YAML, broken JSON or a byte-order mark:
    // those go through the full parse, which names what is wrong.
    assert!(!openapi_json_object(
        b"{\"info\": {\"openapi\": \"3.0.0\"}}"
    ));
    assert!(!openapi_json_object(b"openapi: 3.0.0\npaths: {}\n"));
    assert!(!openapi_json_object(
        b"{\"openapi\": \"3.0.0\", \"paths\": {"
    ));
    assert!(!openapi_json_object(
        b"\xEF\xBB\xBF{\"openapi\": \"3.0.0\"}"
    ));
    let d = kind(b"{\"openapi\": \"3.0.0\", \"paths\": {}}", "a.json");
    assert_eq!(
        (d.kind, d.evidence, d.error.is_none()),
        (Kind::OpenApi, Evidence::Key, true)
    );
    let d = kind(b"{\"openapi\": \"3.0.0\", \"paths\": {", "a.json");
    assert_eq!((d.kind, d.error.is_some()), (Kind::OpenApi, true));
    let d = kind(b"{\"models\": []}", "a.json");
    assert_eq!(d.kind, Kind::Json);
}

#[test]
fn detection_gives_back_what_it_parsed_as_parse_document_would() {
    let limits = Limits::default();
    let yaml = b"openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n";
    let (d, parsed) = detect_keeping(yaml, Some("a.yaml"), &limits);
    assert_eq!((d.kind, d.evidence), (Kind::OpenApi, Evidence::Key));
    assert_eq!(parsed, parse_document(yaml, &limits).ok());
    let catalog = br#"[{"id": "a"}, {"id": "b"}]"#;
    let (d, parsed) = detect_keeping(catalog, None, &limits);
    assert_eq!(d.kind, Kind::Json);
    assert_eq!(parsed, parse_document(catalog, &limits).ok());
    // An OpenAPI JSON document is told by its top-level keys: nothing
    // parsed in full, nothing given back.
    let json = br#"{"openapi": "3.1.0", "info": {}, "paths": {}}"#;
    let (d, parsed) = detect_keeping(json, None, &limits);
    assert_eq!(d.kind, Kind::OpenApi);
    assert_eq!(parsed, None);
    // What does not parse is refused, with nothing to give back.
    let (d, parsed) = detect_keeping(b"openapi: [", Some("x.yaml"), &limits);
    assert!(d.error.is_some());
    assert_eq!(parsed, None);
}
