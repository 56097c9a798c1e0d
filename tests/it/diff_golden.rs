//! Golden tests for the OpenAPI diff engine, one spec pair per family of
//! checks.
//!
//! Each folder `tests/golden/<case>/` holds:
//!
//! - `base.yaml` and `revision.yaml`: a small spec pair; YAML comments in
//!   them say what changed and which finding each change must produce;
//! - `expected.txt`: the findings the engine must report at level info and
//!   above, one per line as `LEVEL ID METHOD PATH`
//!   (`error request-parameter-removed GET /pets`), or `LEVEL ID` for a
//!   finding about the whole document (global security, components).
//!
//! A case passes when the engine's findings, written the same way and
//! sorted, equal the sorted lines of `expected.txt` exactly. Duplicates
//! count: a change reported twice is a failure. An empty `expected.txt`
//! means "no finding at all". The test runs with today = 2026-06-01, so
//! sunset dates in the specs keep their meaning.
//!
//! Blessing: `APIRADAR_BLESS=1 cargo test --test it diff_golden::` rewrites each
//! `expected.txt` from what the engine reports. That records what the engine
//! does, not what it should do: review every changed line before keeping it.
//! Cases marked as known engine defects (the `#[ignore]`d ones) are never
//! blessed, since their files hold the correct behaviour the engine lacks.
//!
//! Adding a case: create the folder with its three files and add one line to
//! the `golden!` list below (a test checks that every folder is listed).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use apiradar::diff::registry::CHECKS;
use apiradar::diff::{DiffOptions, Finding, Level, diff_openapi};
use apiradar::spec::{DocFormat, Limits, parse_document};
use serde_json::Value;

/// The day the golden cases are run on, for sunset dates.
fn options() -> DiffOptions {
    DiffOptions {
        today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a valid date"),
        ..DiffOptions::default()
    }
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn load(path: &Path) -> Value {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let (value, _) = parse_document(&bytes, &Limits::default())
        .unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    value
}

/// The base and revision of a case.
fn pair(case: &str) -> (Value, Value) {
    let dir = golden_dir().join(case);
    (
        load(&dir.join("base.yaml")),
        load(&dir.join("revision.yaml")),
    )
}

/// A finding as a line of `expected.txt`.
fn line(f: &Finding) -> String {
    match (&f.operation, &f.path) {
        (Some(method), Some(path)) => format!("{} {} {method} {path}", f.level, f.id),
        (None, None) => format!("{} {}", f.level, f.id),
        _ => panic!("a finding with only half an operation: {f:?}"),
    }
}

fn findings(case: &str) -> Vec<Finding> {
    let (base, revision) = pair(case);
    diff_openapi(&base, &revision, &options())
}

/// `expected.txt` as sorted lines (blank lines skipped).
fn expected(case: &str) -> Vec<String> {
    let path = golden_dir().join(case).join("expected.txt");
    let text =
        fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    lines.sort();
    lines
}

/// Lines of `a` not matched by a line of `b`, counting duplicates.
fn minus(a: &[String], b: &[String]) -> Vec<String> {
    let mut rest = b.to_vec();
    a.iter()
        .filter(|l| match rest.iter().position(|r| r == *l) {
            Some(i) => {
                rest.remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

fn bless_requested() -> bool {
    std::env::var("APIRADAR_BLESS").is_ok_and(|v| v == "1")
}

/// Runs one golden case; `known_defect` cases hold the correct behaviour
/// and are never blessed.
fn check_case(case: &str, known_defect: bool) {
    let found = findings(case);
    let mut actual: Vec<String> = found.iter().map(line).collect();
    actual.sort();
    if bless_requested() && !known_defect {
        let path = golden_dir().join(case).join("expected.txt");
        let mut text = actual.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("blessed {} ({} findings)", path.display(), actual.len());
        return;
    }
    let expected = expected(case);
    if actual == expected {
        return;
    }
    let mut report = format!("golden case `{case}` differs from expected.txt\n");
    for l in minus(&expected, &actual) {
        let _ = writeln!(report, "- {l}    (expected, not reported)");
    }
    for l in minus(&actual, &expected) {
        let _ = writeln!(report, "+ {l}    (reported, not expected)");
    }
    report.push_str("\nall findings reported:\n");
    for f in &found {
        let _ = writeln!(report, "  {}: {}", line(f), f.message);
    }
    panic!("{report}");
}

/// One test per case. `defect: "..."` marks a case whose expected file
/// holds the correct behaviour the engine does not have yet: it is ignored
/// with that reason and never blessed.
macro_rules! golden {
    (@defect) => {
        false
    };
    (@defect $why:literal) => {
        true
    };
    ($($name:ident => $dir:literal $(, defect: $why:literal)?;)*) => {
        $(
            #[test]
            $(#[ignore = $why])?
            fn $name() {
                check_case($dir, golden!(@defect $($why)?));
            }
        )*
        /// Every case folder, as listed above.
        const CASES: &[&str] = &[$($dir),*];
    };
}

golden! {
    endpoints => "endpoints";
    stability => "stability";
    parameters => "parameters";
    parameter_schema => "parameter-schema";
    request_body => "request-body";
    request_read_only => "request-read-only";
    response => "response";
    response_write_only => "response-write-only";
    nullable => "nullable";
    nullable_oas31 => "nullable-oas31";
    composition => "composition";
    composition_inline_reorder => "composition-inline-reorder";
    json_schema_2020 => "json-schema-2020";
    security => "security";
    swagger2 => "swagger2";
    migration => "migration";
    migration_shared_parameters => "migration-shared-parameters";
    cycles => "cycles";
    refs => "refs";
    components => "components";
    webhooks => "webhooks";
}

#[test]
fn every_golden_folder_has_a_test() {
    let mut folders = BTreeSet::new();
    for entry in fs::read_dir(golden_dir()).expect("tests/golden exists") {
        let entry = entry.expect("a readable entry");
        if entry.path().is_dir() {
            folders.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    let listed: BTreeSet<String> = CASES.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        folders, listed,
        "tests/golden/* and the `golden!` list must name the same cases"
    );
    for case in CASES {
        for file in ["base.yaml", "revision.yaml", "expected.txt"] {
            let path = golden_dir().join(case).join(file);
            assert!(path.is_file(), "missing {}", path.display());
        }
    }
}

/// Every id the engine emits on the golden cases, and every id the expected
/// files name, is a registered check, with the registry's level.
#[test]
fn every_id_is_in_the_registry() {
    let registered = |id: &str| CHECKS.iter().find(|(known, _)| *known == id).map(|c| c.1);
    let mut emitted = BTreeSet::new();
    for case in CASES {
        for f in findings(case) {
            assert_eq!(
                registered(f.id),
                Some(f.level),
                "`{case}`: {} is not registered at level {}",
                f.id,
                f.level
            );
            emitted.insert(f.id);
        }
        for l in expected(case) {
            let mut words = l.split_whitespace();
            let (level, id) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let level: Level = level
                .parse()
                .unwrap_or_else(|e| panic!("`{case}` expected.txt: `{l}`: {e}"));
            assert_eq!(
                registered(id),
                Some(level),
                "`{case}` expected.txt: `{l}` names no check registered at that level"
            );
            let rest: Vec<&str> = words.collect();
            assert!(
                rest.is_empty() || rest.len() == 2,
                "`{case}` expected.txt: `{l}` is not `LEVEL ID [METHOD PATH]`"
            );
        }
    }
    assert!(
        !emitted.is_empty(),
        "the golden cases emit no finding at all"
    );
}

/// JSON text of `v` with every object's keys in reverse order.
fn reordered_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().rev().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                reordered_json(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                reordered_json(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// What the engine reports for `case/file` against itself, re-serialised as
/// JSON with every object's keys in reverse order.
fn against_reserialised_self(case: &str, file: &str) -> Vec<String> {
    let path = golden_dir().join(case).join(file);
    let original = load(&path);
    let mut json = String::new();
    reordered_json(&original, &mut json);
    let (again, format) = parse_document(json.as_bytes(), &Limits::default())
        .unwrap_or_else(|e| panic!("{}: re-serialised JSON: {e}", path.display()));
    assert_eq!(format, DocFormat::Json);
    assert_eq!(again, original, "{}: JSON round trip", path.display());
    diff_openapi(&original, &again, &options())
        .iter()
        .map(line)
        .collect()
}

/// Golden documents whose no-op diff is a known engine defect, each with its
/// own ignored test below.
const NO_OP_DEFECTS: &[(&str, &str)] = &[("stability", "revision.yaml")];

/// The same document re-serialised as JSON with its keys reordered is no
/// change: every golden document, against itself.
#[test]
fn a_reserialised_document_is_no_change() {
    for case in CASES {
        for file in ["base.yaml", "revision.yaml"] {
            if NO_OP_DEFECTS.contains(&(case, file)) {
                continue;
            }
            let found = against_reserialised_self(case, file);
            assert!(
                found.is_empty(),
                "{case}/{file} against its re-serialised self: {found:#?}"
            );
        }
    }
}

/// An operation whose `x-stability-level` is not a known level, unchanged
/// on both sides, is no change (oasdiff checks the level of modified
/// operations only).
#[test]
fn an_unchanged_invalid_stability_level_is_no_change() {
    let found = against_reserialised_self("stability", "revision.yaml");
    assert!(found.is_empty(), "{found:#?}");
}

/// A Swagger 2.0 description and its OpenAPI 3.0 translation describe the
/// same API: whatever else the expected file says, nothing may break.
#[test]
fn migration_breaks_nothing() {
    let serious: Vec<String> = findings("migration")
        .iter()
        .filter(|f| f.level > Level::Info)
        .map(line)
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}

/// Write-only properties are never sent in responses: adding or removing one
/// is at most information.
#[test]
fn write_only_response_properties_break_nothing() {
    let serious: Vec<String> = findings("response-write-only")
        .iter()
        .filter(|f| f.level > Level::Info)
        .map(line)
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");
}
