//! How `diff` and `import` decide what kind of document they hold (issue
//! 14): from both documents, never by silently falling back to a page diff
//! when an OpenAPI or JSON document does not parse.

use crate::common::{Reply, Sandbox, Server};

/// An OpenAPI document with one GET operation per path.
fn openapi(paths: &[&str]) -> String {
    let mut doc = String::from("openapi: 3.0.3\ninfo:\n  title: Pets\n  version: '1'\npaths:\n");
    for p in paths {
        doc.push_str(&format!(
            "  {p}:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        ));
    }
    doc
}

/// The same document with a YAML syntax error in it.
fn broken(paths: &[&str]) -> String {
    format!(
        "{}components:\n  schemas:\n    X: {{type: [\n",
        openapi(paths)
    )
}

#[test]
fn diff_refuses_a_base_that_looks_like_openapi_but_does_not_parse() {
    let sb = Sandbox::new();
    let a = sb.write("a.yaml", broken(&["/a", "/b", "/c"]));
    let b = sb.write("b.yaml", openapi(&["/a"]));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    // Before: compared as text pages, exit 0 even with --fail-on error.
    let out = sb.run(["diff", a, b, "--fail-on", "error"]).expect_code(2);
    assert!(
        out.stderr.contains("invalid YAML at line"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("a.yaml"), "{}", out.stderr);
    assert!(
        !out.all_output().contains("page-paragraph"),
        "{}",
        out.all_output()
    );
    // Either side, and as JSON too.
    let out = sb.run(["diff", b, a, "--format", "json"]).expect_code(2);
    assert!(out.stdout.is_empty(), "{}", out.text());
}

#[test]
fn diff_refuses_a_yaml_or_json_file_that_does_not_parse_without_an_openapi_field() {
    let sb = Sandbox::new();
    let bad = sb.write("catalog.json", "{\"models\": [1, 2,");
    let good = sb.write("catalog2.json", "{\"models\": [1, 2]}");
    let out = sb
        .run(["diff", bad.to_str().unwrap(), good.to_str().unwrap()])
        .expect_code(2);
    assert!(out.stderr.contains("invalid JSON"), "{}", out.stderr);
}

#[test]
fn diff_prints_the_kind_it_chose_in_text_and_json() {
    let sb = Sandbox::new();
    let a = sb.write("a.yaml", openapi(&["/a", "/b"]));
    let b = sb.write("b.yaml", openapi(&["/a"]));
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let text = sb.run(["diff", a, b]).expect_code(0).text();
    let header = text.lines().next().unwrap_or_default();
    assert!(header.contains("(openapi)"), "{text}");
    let json = sb.json(["diff", a, b, "--format", "json"]);
    assert_eq!(json["kind"], "openapi", "{json:#}");
    assert!(
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "api-path-removed-without-deprecation"),
        "{json:#}"
    );
    let c = sb.write("c.json", "{\"models\": [1]}");
    let d = sb.write("d.json", "{\"models\": [1, 2]}");
    let json = sb.json([
        "diff",
        c.to_str().unwrap(),
        d.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(json["kind"], "json", "{json:#}");
}

#[test]
fn diff_decides_from_both_sides_not_the_older_alone() {
    let sb = Sandbox::new();
    // The older side is a page-looking text, the newer an OpenAPI file: the
    // old code compared them as pages; now the openapi field decides, and
    // the page side is refused as not OpenAPI.
    let a = sb.write("a.txt", "Service Unavailable, retry later\n");
    let b = sb.write("b.yaml", openapi(&["/a"]));
    let out = sb
        .run(["diff", a.to_str().unwrap(), b.to_str().unwrap()])
        .expect_code(2);
    assert!(
        out.stderr
            .contains("expected an OpenAPI 3.x or Swagger 2.0 document"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_json_error_body_is_refused_with_the_message_a_poll_gives() {
    let sb = Sandbox::new();
    let server = Server::start();
    let error_body = r#"{"error":"rate limited"}"#;
    server.set("/openapi.json", Reply::ok(error_body));
    sb.ok(["add", "api", &server.url("/openapi.json")]);
    let poll = sb.run(["refresh", "api", "--json"]).json();
    let poll_error = poll["watches"][0]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("the poll must fail: {poll:#}"))
        .to_string();
    assert!(poll_error.contains("its keys: error"), "{poll_error}");

    let spec = sb.write("spec.json", openapi(&["/a"]));
    let body = sb.write("body.json", error_body);
    // Before: "path /a was removed" (an error finding), exit 0.
    let out = sb
        .run(["diff", spec.to_str().unwrap(), body.to_str().unwrap()])
        .expect_code(2);
    assert!(
        out.stderr.contains(&poll_error),
        "{}\nvs poll: {poll_error}",
        out.stderr
    );
    assert!(
        !out.all_output().contains("api-path-removed"),
        "{}",
        out.all_output()
    );
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
}

#[test]
fn import_does_not_make_a_page_watch_of_openapi_files_that_do_not_parse() {
    let sb = Sandbox::new();
    let dir = sb.path("hist");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("001_2025-01-01_a.yaml"), broken(&["/a", "/b"])).unwrap();
    std::fs::write(dir.join("002_2025-01-02_b.yaml"), openapi(&["/a"])).unwrap();
    let out = sb
        .run(["import", "hist", dir.to_str().unwrap()])
        .expect_code(2);
    assert!(out.stderr.contains("invalid YAML"), "{}", out.stderr);
    assert!(
        out.stderr.contains("nothing was imported"),
        "{}",
        out.stderr
    );
    // No watch was created, page or other.
    let list = sb.ok(["list"]);
    assert!(!list.contains("hist"), "{list}");

    // With the YAML that real specs use (a flow mapping closed at the
    // dash), the same folder imports as an openapi watch.
    std::fs::write(
        dir.join("001_2025-01-01_a.yaml"),
        format!(
            "{}components:\n  schemas:\n    X:\n      example:\n        - {{\n          \"title\": \"Llama\"\n        }}\n",
            openapi(&["/a", "/b"])
        ),
    )
    .unwrap();
    let out = sb
        .run(["import", "hist", dir.to_str().unwrap(), "--json"])
        .expect_code(0);
    assert!(
        out.stderr.contains("created watch `hist` (openapi)"),
        "{}",
        out.stderr
    );
    assert_eq!(out.json()["added"], 2);
}

#[test]
fn import_refuses_a_file_whose_kind_differs_from_the_watch() {
    let sb = Sandbox::new();
    let dir = sb.path("cat");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("001_2025-01-01_a.json"), "{\"models\": [1]}").unwrap();
    std::fs::write(dir.join("002_2025-01-02_b.yaml"), openapi(&["/a"])).unwrap();
    std::fs::write(dir.join("003_2025-01-03_c.json"), "{\"models\": [1, 2]}").unwrap();
    let out = sb
        .run([
            "import",
            "cat",
            dir.to_str().unwrap(),
            "--kind",
            "json",
            "--json",
        ])
        .expect_code(1);
    let v = out.json();
    let files = v["files"].as_array().unwrap_or_else(|| panic!("{v:#}"));
    let statuses: Vec<&str> = files
        .iter()
        .map(|f| f["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["new", "failed", "changed"], "{v:#}");
    let why = files[1]["error"].as_str().unwrap();
    assert!(why.contains("openapi") && why.contains("json"), "{why}");
}
