//! Diff reports by root cause: a change in a shared schema is one entry
//! listing the operations it reaches, errors come first, summaries say what
//! is hidden, markdown fits a GitHub comment, and a mistyped watch name is
//! a usage error with suggestions.
//!
//! Golden files: `tests/it/snapshots/diff_reports/<format>.txt`, one per
//! report format on the same pair (errors, warnings and hidden info).
//! `APIRADAR_BLESS=1 cargo test --test it diff_reports::` rewrites them:
//! review every changed line before keeping it.

use std::path::{Path, PathBuf};

use crate::common::Sandbox;

/// Four operations share `Charge`; its `status` gains a value (a warning
/// in each response), its `amount` loses a required property (an error in
/// each), `/refunds` is removed (an error) and a query parameter is added
/// (info, hidden at the default level).
fn api(version: u32) -> String {
    let (values, extra, refunds, param) = if version == 1 {
        (
            r#"["paid", "failed"]"#,
            r#"currency: {type: string}
        "#,
            r#"
  /refunds:
    get: {responses: {"200": {description: ok}}}"#,
            "",
        )
    } else {
        (
            r#"["paid", "failed", "pending"]"#,
            "",
            "",
            r#"
      parameters: [{name: limit, in: query, schema: {type: integer}}]"#,
        )
    };
    let ok = r##"{"200": {description: ok, content: {application/json: {schema: {$ref: "#/components/schemas/Charge"}}}}}"##;
    format!(
        r#"openapi: 3.0.3
info: {{title: shop, version: "{version}"}}
paths:
  /charges:
    get:{param}
      responses: {ok}
    post:
      responses: {ok}
  /charges/{{id}}:
    get:
      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}]
      responses: {ok}
    delete:
      parameters: [{{name: id, in: path, required: true, schema: {{type: string}}}}]
      responses: {ok}{refunds}
components:
  schemas:
    Charge:
      type: object
      required: [status{req}]
      properties:
        status: {{type: string, enum: {values}}}
        {extra}
"#,
        req = if version == 1 { ", currency" } else { "" },
    )
}

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/diff_reports")
}

/// Compares `actual` with the golden file `name`, or writes it when
/// blessing.
#[track_caller]
fn golden(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    if std::env::var_os("APIRADAR_BLESS").is_some() {
        std::fs::write(&path, actual).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with APIRADAR_BLESS=1)", path.display()));
    assert_eq!(actual, expected, "{name} differs from {}", path.display());
}

fn pair() -> Sandbox {
    let sb = Sandbox::new();
    sb.write("v1.yaml", api(1));
    sb.write("v2.yaml", api(2));
    sb
}

#[test]
fn every_report_format_matches_its_golden_file() {
    let sb = pair();
    for (format, extra) in [
        ("text", None),
        ("markdown", None),
        ("html", None),
        ("github", None),
        ("junit", None),
        ("json", None),
        ("text", Some("--flat")),
    ] {
        let mut args = vec!["diff", "files/v1.yaml", "files/v2.yaml", "--format", format];
        args.extend(extra);
        let out = sb.run(&args).expect_code(0);
        let name = match extra {
            Some(_) => format!("{format}-flat.txt"),
            None => format!("{format}.txt"),
        };
        golden(&name, &out.text());
    }
}

#[test]
fn a_shared_schema_change_is_one_entry_and_errors_come_first() {
    let sb = pair();
    let text = sb.ok(["diff", "files/v1.yaml", "files/v2.yaml"]);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("5 errors, 4 warnings in 3 groups; 1 info hidden: --level info"),
        "{text}"
    );
    // Errors first, then the warning group naming the component once.
    let levels: Vec<&str> = lines[2..]
        .iter()
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .collect();
    assert_eq!(levels, ["error", "error", "warning"], "{text}");
    assert_eq!(
        text.matches("allows the new value \"pending\"").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("4 operations: GET /charges, POST /charges, DELETE /charges/{id} and 1 more"),
        "{text}"
    );
    // --flat keeps one line per finding and operation.
    let flat = sb.ok(["diff", "files/v1.yaml", "files/v2.yaml", "--flat"]);
    assert_eq!(flat.matches("allows the new value").count(), 4, "{flat}");
}

#[test]
fn json_keeps_every_finding_and_groups_cover_them_all() {
    let sb = pair();
    let doc = sb.json([
        "diff",
        "files/v1.yaml",
        "files/v2.yaml",
        "--format",
        "json",
        "--level",
        "info",
    ]);
    let changes = doc["changes"].as_array().expect("changes");
    let groups = doc["groups"].as_array().expect("groups");
    let mut grouped: Vec<&str> = groups
        .iter()
        .flat_map(|g| g["fingerprints"].as_array().into_iter().flatten())
        .filter_map(|f| f.as_str())
        .collect();
    let mut all: Vec<&str> = changes
        .iter()
        .filter_map(|c| c["fingerprint"].as_str())
        .collect();
    grouped.sort_unstable();
    all.sort_unstable();
    assert_eq!(grouped, all);
    let shared = groups
        .iter()
        .find(|g| g["check"] == "response-property-enum-value-added")
        .expect("the enum group");
    assert_eq!(
        shared["root"],
        "/components/schemas/Charge/properties/status"
    );
    assert_eq!(shared["operations"].as_array().map(Vec::len), Some(4));
    assert_eq!(doc["hidden"]["info"], 0);
    // At the default level, the info finding is counted as hidden.
    let doc = sb.json(["diff", "files/v1.yaml", "files/v2.yaml", "--format", "json"]);
    assert_eq!(doc["hidden"]["info"], 1);
}

#[test]
fn markdown_is_trimmed_to_max_bytes_saying_what_was_left_out() {
    let sb = pair();
    let md = sb.ok([
        "diff",
        "files/v1.yaml",
        "files/v2.yaml",
        "--format",
        "markdown",
    ]);
    assert!(
        md.contains("| level | findings | groups | hidden |"),
        "{md}"
    );
    assert!(
        md.contains("<details><summary>Warnings: 1 change</summary>"),
        "{md}"
    );
    let md = sb.ok([
        "diff",
        "files/v1.yaml",
        "files/v2.yaml",
        "--format",
        "markdown",
        "--max-bytes",
        "700",
    ]);
    assert!(md.len() <= 700, "{} bytes:\n{md}", md.len());
    assert!(md.contains("left out to stay under 700 bytes"), "{md}");
}

#[test]
fn only_documentation_changed_is_said_so() {
    let sb = Sandbox::new();
    let v1 = api(1);
    sb.write("v1.yaml", &v1);
    sb.write("v1-doc.yaml", v1.replace("title: shop", "title: the shop"));
    let text = sb.ok(["diff", "files/v1.yaml", "files/v1-doc.yaml"]);
    assert!(
        text.contains("no API changes: the documents differ only in"),
        "{text}"
    );
    let same = sb.ok(["diff", "files/v1.yaml", "files/v1.yaml"]);
    assert!(same.contains("no changes found"), "{same}");
}

#[test]
fn a_mistyped_watch_name_is_a_usage_error_with_the_closest_names() {
    let sb = pair();
    sb.ok(["add", "venice", "files/v1.yaml"]);
    let out = sb.run(["diff", "venic@1", "venice@1"]).expect_code(2);
    assert!(
        out.stderr.contains("no watch named `venic`") && out.stderr.contains("`venice`"),
        "{}",
        out.stderr
    );
    let out = sb.run(["show", "venic@1"]).expect_code(2);
    assert!(
        out.stderr.contains("did you mean `venice`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn versions_beyond_the_history_and_by_date() {
    let sb = pair();
    sb.ok(["add", "shop", "files/v1.yaml"]);
    sb.ok(["refresh"]);
    let out = sb.run(["show", "shop@latest~5"]).expect_code(2);
    assert!(
        out.stderr.contains("`shop` has 1 version stored"),
        "{}",
        out.stderr
    );
    // Fetched today: in force at the end of a day far ahead, not before.
    let shown = sb.ok(["show", "shop@2999-01-01"]);
    assert!(shown.contains("title: shop"), "{shown}");
    let out = sb.run(["show", "shop@2000-01-01"]).expect_code(2);
    assert!(
        out.stderr.contains("no version fetched by `2000-01-01`"),
        "{}",
        out.stderr
    );
    let shown = sb.ok(["show", "shop@-0s"]);
    assert!(shown.contains("title: shop"), "{shown}");
}

/// A lint note repeated at many places (Stripe has one at 176 parameters)
/// is one stderr line with the count and the first places; the JSON
/// report still lists every place.
#[test]
fn a_note_repeated_at_many_places_is_one_line_with_a_count() {
    let sb = Sandbox::new();
    let paths: String = (0..5)
        .map(|i| {
            format!(
                "\n  /p{i}:\n    get:\n      parameters: [{{name: expand, in: query, schema: {{type: array}}}}]\n      responses: {{\"200\": {{description: ok}}}}"
            )
        })
        .collect();
    let spec = format!("openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:{paths}\n");
    sb.write("a.yaml", &spec);
    sb.write("b.yaml", spec.replace("version: '1'", "version: '2'"));
    let out = sb
        .run(["diff", "files/a.yaml", "files/b.yaml"])
        .expect_code(0);
    let notes: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("an array without `items`"))
        .collect();
    assert_eq!(notes.len(), 2, "one line a side:\n{}", out.stderr);
    assert!(
        notes[0].contains("at 5 places (e.g. /paths/~1p0/"),
        "{}",
        notes[0]
    );
    assert!(
        notes[0].contains(", …; --format json lists them all)"),
        "{}",
        notes[0]
    );
    let json = sb
        .run(["diff", "files/a.yaml", "files/b.yaml", "--format", "json"])
        .expect_code(0);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(doc["notes"]["base"].as_array().map(Vec::len), Some(5));
}
