//! `apiradar diff` with the CI formats (JUnit, GitHub Actions, HTML) and
//! with ignore and severity-override files, end to end through the binary,
//! on the demo petstore pair.

use crate::common::Sandbox;
use serde_json::Value;

fn pair() -> (String, String) {
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    (
        assets.join("petstore-2.yaml").display().to_string(),
        assets.join("petstore-3.yaml").display().to_string(),
    )
}

/// The findings at info level and above, as `diff --format json` gives them.
fn changes(sb: &Sandbox, extra: &[&str]) -> Vec<Value> {
    let (v2, v3) = pair();
    let mut args = vec!["diff", &v2, &v3, "--format", "json", "--level", "info"];
    args.extend_from_slice(extra);
    sb.json(args)["changes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn ci_formats_render_the_findings() {
    let sb = Sandbox::new();
    let (v2, v3) = pair();

    let junit = sb.ok(["diff", &v2, &v3, "--format", "junit"]);
    assert!(junit.starts_with("<?xml"), "{junit}");
    assert!(
        junit.contains("<failure type=\"request-property-became-required\""),
        "{junit}"
    );
    assert!(junit.contains("classname=\"POST /pets\""), "{junit}");
    assert!(junit.trim_end().ends_with("</testsuites>"));

    let github = sb.ok(["diff", &v2, &v3, "--format", "github"]);
    assert!(!github.is_empty());
    for line in github.lines() {
        assert!(
            line.starts_with("::error title=") || line.starts_with("::warning title="),
            "{line}"
        );
    }
    assert!(github.contains("::error title=request-property-became-required::POST /pets: "));

    let html = sb.ok(["diff", &v2, &v3, "--format", "html", "--level", "info"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<code>POST /pets</code>"));
    assert!(!html.contains("<script"));

    // Nothing to report is still a valid document.
    let empty = sb.ok(["diff", &v2, &v2, "--format", "junit"]);
    assert!(empty.contains("tests=\"1\" failures=\"0\""), "{empty}");
    assert_eq!(sb.ok(["diff", &v2, &v2, "--format", "github"]), "");
}

#[test]
fn ignore_files_drop_findings_by_fingerprint_rule_and_oasdiff_line() {
    let sb = Sandbox::new();
    let (v2, v3) = pair();
    let all = changes(&sb, &[]);
    let errors: Vec<&Value> = all.iter().filter(|c| c["level"] == "error").collect();
    assert!(errors.len() >= 2, "{all:?}");

    // One error by fingerprint, the rest by id and operation.
    let first = &errors[0];
    let mut rules = format!(
        "# accepted breaking changes\n{}  # by fingerprint\n",
        first["fingerprint"].as_str().unwrap_or_default()
    );
    for c in &errors[1..] {
        rules.push_str(&format!(
            "{} {} {}\n",
            c["id"].as_str().unwrap_or_default(),
            c["operation"].as_str().unwrap_or("*"),
            c["path"].as_str().unwrap_or("/**"),
        ));
    }
    let file = sb.write("ignore.txt", rules);
    let file = file.display().to_string();
    let kept = changes(&sb, &["--ignore", &file]);
    assert_eq!(kept.len(), all.len() - errors.len());
    assert!(kept.iter().all(|c| c["level"] != "error"));
    sb.run(["diff", &v2, &v3, "--fail-on", "error", "--ignore", &file])
        .expect_code(0);

    // oasdiff's line format: method, path, and text of the message.
    let c = &errors[0];
    let line = format!(
        "{} {} {}\n",
        c["operation"].as_str().unwrap_or_default(),
        c["path"].as_str().unwrap_or_default(),
        c["message"].as_str().unwrap_or_default().to_uppercase()
    );
    let file = sb.write("oasdiff.txt", line).display().to_string();
    assert_eq!(changes(&sb, &["--ignore", &file]).len(), all.len() - 1);
}

#[test]
fn severity_levels_change_levels_and_none_drops() {
    let sb = Sandbox::new();
    let all = changes(&sb, &[]);
    let file = sb
        .write(
            "levels.txt",
            "request-property-became-required none\nrequest-* warning # soften\n",
        )
        .display()
        .to_string();
    let kept = changes(&sb, &["--severity-levels", &file]);
    let dropped = all
        .iter()
        .filter(|c| c["id"] == "request-property-became-required")
        .count();
    assert!(dropped > 0);
    assert_eq!(kept.len(), all.len() - dropped);
    for c in &kept {
        if c["id"].as_str().unwrap_or_default().starts_with("request-") {
            assert_eq!(c["level"], "warning", "{c}");
        }
    }
}

#[test]
fn bad_rule_files_are_usage_errors_naming_file_and_line() {
    let sb = Sandbox::new();
    let (v2, v3) = pair();
    let file = sb
        .write("levels.txt", "# levels\napi-tag-added fatal\n")
        .display()
        .to_string();
    let out = sb
        .run(["diff", &v2, &v3, "--severity-levels", &file])
        .expect_code(2);
    assert!(
        out.stderr.contains(&format!(
            "{file}:2: unknown level `fatal` (use error, warning, info or none)"
        )),
        "{}",
        out.stderr
    );
    let missing = sb.path("missing.txt").display().to_string();
    let out = sb
        .run(["diff", &v2, &v3, "--ignore", &missing])
        .expect_code(2);
    assert!(out.stderr.contains("cannot read"), "{}", out.stderr);
}

#[test]
fn a_deprecation_policy_asks_for_sunset_dates() {
    let sb = Sandbox::new();
    let doc = |extra: &str| {
        format!(
            "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\npaths:\n  /a:\n    get:\n{extra}      responses:\n        '200': {{description: ok}}\n  /b:\n    get:\n      x-stability-level: beta\n{extra}      responses:\n        '200': {{description: ok}}\n"
        )
    };
    let base = sb.write("base.yaml", doc(""));
    let rev = sb.write("rev.yaml", doc("      deprecated: true\n"));
    let soon = (chrono::Utc::now().date_naive() + chrono::Days::new(20)).to_string();
    let with_sunset = sb.write(
        "sunset.yaml",
        doc(&format!(
            "      deprecated: true\n      x-sunset: '{soon}'\n"
        )),
    );
    let ids = |rev: &std::path::Path, extra: &[&str]| -> Vec<String> {
        let mut args = vec![
            "diff".to_string(),
            base.display().to_string(),
            rev.display().to_string(),
            "--format".into(),
            "json".into(),
            "--level".into(),
            "info".into(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut ids: Vec<String> = sb.json(args)["changes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| {
                format!(
                    "{} {}",
                    c["id"].as_str().unwrap_or(""),
                    c["path"].as_str().unwrap_or("")
                )
            })
            .collect();
        ids.sort();
        ids
    };
    // No policy: deprecation is news.
    assert_eq!(
        ids(&rev, &[]),
        ["endpoint-deprecated /a", "endpoint-deprecated /b"]
    );
    let policy = [
        "--deprecation-days-beta",
        "10",
        "--deprecation-days-stable",
        "90",
    ];
    assert_eq!(
        ids(&rev, &policy),
        [
            "api-deprecated-sunset-missing /a",
            "api-deprecated-sunset-missing /b"
        ]
    );
    // A sunset 20 days ahead is enough notice for beta, not for stable.
    assert_eq!(
        ids(&with_sunset, &policy),
        [
            "api-sunset-date-too-small /a",
            "endpoint-deprecated-with-sunset /b"
        ]
    );
}

/// `--format json` is written finding by finding (a large diff's findings
/// are never one value in memory): it must still be the one layout every
/// other JSON command prints, keys sorted at every level, two-space
/// indents, a final line feed.
#[test]
fn diff_json_is_the_canonical_pretty_layout() {
    let sb = Sandbox::new();
    let (v2, v3) = pair();
    for level in ["error", "info"] {
        let out = sb.run(["diff", &v2, &v3, "--format", "json", "--level", level]);
        let text = out.text();
        let value: Value = serde_json::from_str(&text).expect("JSON");
        assert!(
            value["changes"].as_array().is_some_and(|c| !c.is_empty()),
            "{text}"
        );
        assert!(value["groups"].as_array().is_some_and(|g| !g.is_empty()));
        assert_eq!(text, format!("{value:#}\n"), "--level {level}");
    }
}
