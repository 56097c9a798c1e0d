//! Model catalogs as first-class watches: ignored fields at store time,
//! catalog findings, the `catalog` command.

use serde_json::{Value, json};

use crate::common::Sandbox;

/// An OpenAI-style model list whose every model carries a `checked_at`
/// timestamp, as Poe's does.
fn poe_like(checked_at: &str, price: f64, extra: bool) -> String {
    let mut data = vec![
        json!({"id": "claude-3-opus", "object": "model", "owned_by": "anthropic",
               "architecture": {"input_modalities": ["text", "image"]},
               "pricing": {"checked_at": checked_at, "prompt": price, "completion": 75.0}}),
        json!({"id": "llama-3-70b", "object": "model", "owned_by": "meta",
               "architecture": {"input_modalities": ["text"]},
               "pricing": {"checked_at": checked_at, "prompt": 0.9, "completion": 0.9}}),
    ];
    if extra {
        data.push(
            json!({"id": "gpt-5", "object": "model", "owned_by": "openai",
               "architecture": {"input_modalities": ["text"]},
               "pricing": {"checked_at": checked_at, "prompt": 1.25, "completion": 10.0}}),
        );
    }
    serde_json::to_string_pretty(&json!({"object": "list", "data": data})).unwrap()
}

/// A change only in an ignored field is not a new version, does not count
/// and the stored document keeps the field; a real change next to it is a
/// version whose findings leave the ignored field out.
#[test]
fn ignored_field_changes_make_no_new_version_and_documents_stay_whole() {
    let sb = Sandbox::new();
    let v1 = sb.write(
        "v1/models.json",
        poe_like("2025-08-03T01:00:00", 15.0, false),
    );
    let v2 = sb.write(
        "v2/models.json",
        poe_like("2025-08-04T01:00:00", 15.0, false),
    );
    let v3 = sb.write(
        "v3/models.json",
        poe_like("2025-08-05T01:00:00", 18.0, true),
    );
    let added = sb.ok([
        "add",
        "poe",
        v1.to_str().unwrap(),
        "--kind",
        "json",
        "--ignore-field",
        "/data/*/pricing/checked_at",
    ]);
    // The key is found in the file and the user is told.
    assert!(added.contains("`id` field"), "{added}");
    for file in [&v1, &v2, &v3] {
        sb.ok(["import", "poe", file.to_str().unwrap()]);
    }
    let history = sb.json(["history", "poe", "--json"]);
    let versions = history
        .as_array()
        .or_else(|| history["versions"].as_array())
        .expect("a list of versions");
    assert_eq!(
        versions.len(),
        2,
        "v2 differs only by checked_at: {history:#}"
    );
    // The stored document is complete.
    let shown = sb.ok(["show", "poe@2"]);
    assert!(shown.contains("2025-08-05T01:00:00"), "{shown}");
    // The diff of the two versions has the price and the new model only.
    let diff = sb.json(["diff", "poe@1", "poe@2", "--format", "json"]);
    let ids: Vec<&str> = diff["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["catalog-price-changed", "catalog-item-added"],
        "{diff:#}"
    );
    let text = diff.to_string();
    assert!(!text.contains("checked_at"), "{text}");
    // `edit` removes the rule again and says what it knows about a wrong one.
    let wrong = sb.run(["edit", "poe", "--unignore-field", "/data/*/checked_at"]);
    let wrong = wrong.expect_code(2);
    assert!(
        wrong.stderr.contains("/data/*/pricing/checked_at"),
        "{}",
        wrong.stderr
    );
    sb.ok([
        "edit",
        "poe",
        "--unignore-field",
        "/data/*/pricing/checked_at",
    ]);
    let diff = sb.json(["diff", "poe@1", "poe@2", "--format", "json"]);
    assert!(diff.to_string().contains("checked_at"), "{diff:#}");
}

/// Bad ignore rules and options on the wrong kind are usage errors.
#[test]
fn catalog_options_are_checked_when_declared() {
    let sb = Sandbox::new();
    let doc = sb.write("m.json", poe_like("t", 1.0, false));
    let out = sb
        .run([
            "add",
            "m",
            doc.to_str().unwrap(),
            "--kind",
            "json",
            "--ignore-field",
            "pricing.checked_at",
        ])
        .expect_code(2);
    assert!(
        out.stderr.contains("`/pricing/checked_at`"),
        "{}",
        out.stderr
    );
    let out = sb
        .run(["add", "m", doc.to_str().unwrap(), "--ignore-field", "/x"])
        .expect_code(2);
    assert!(out.stderr.contains("json watches"), "{}", out.stderr);
    let out = sb
        .run([
            "add",
            "m",
            doc.to_str().unwrap(),
            "--kind",
            "json",
            "--level-of",
            "catalog-item-gone=error",
        ])
        .expect_code(2);
    assert!(out.stderr.contains("unknown check id"), "{}", out.stderr);
    sb.ok([
        "add",
        "m",
        doc.to_str().unwrap(),
        "--kind",
        "json",
        "--no-key",
        "--level-of",
        "catalog-item-removed=warning",
    ]);
}

/// Unpacks one corpus history, or says it is skipped.
fn corpus(name: &str) -> Option<(tempfile::TempDir, Vec<std::path::PathBuf>)> {
    let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../shared/corpus/histories/{name}.tar.zst"));
    if !archive.exists() {
        eprintln!(
            "skipped: {} not found (no ../shared corpus)",
            archive.display()
        );
        return None;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let status = std::process::Command::new("tar")
        .args(["-I", "zstd", "-xf"])
        .arg(&archive)
        .arg("-C")
        .arg(dir.path())
        .status()
        .expect("run tar");
    assert!(status.success(), "tar failed: {status}");
    let mut files: Vec<_> = std::fs::read_dir(dir.path().join(name))
        .expect("unpacked folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    Some((dir, files))
}

fn without_checked_at(mut doc: Value) -> Value {
    if let Some(items) = doc["data"].as_array_mut() {
        for item in items {
            if let Some(p) = item.get_mut("pricing").and_then(Value::as_object_mut) {
                p.remove("checked_at");
            }
        }
    }
    doc
}

/// Done-when: on the Poe history, `pricing.checked_at` once ignored
/// leaves no stored version that differs from its predecessor only by it.
#[test]
fn poe_history_with_checked_at_ignored_has_no_version_differing_only_by_it() {
    let Some((_dir, files)) = corpus("poe-models") else {
        return;
    };
    let sb = Sandbox::new();
    let first = files[0].to_str().unwrap();
    sb.ok([
        "add",
        "poe",
        first,
        "--kind",
        "json",
        "--ignore-field",
        "/data/*/pricing/checked_at",
    ]);
    // The real history, then its last version polled again a day later:
    // every model's `checked_at` moved, nothing else.
    let last = std::fs::read_to_string(files.last().unwrap()).expect("read the last version");
    let mut later: Value = serde_json::from_str(&last).expect("JSON");
    let mut touched = 0;
    for item in later["data"].as_array_mut().expect("data") {
        if let Some(at) = item.pointer_mut("/pricing/checked_at") {
            *at = json!("2025-09-21T00:00:00.000000");
            touched += 1;
        }
    }
    assert!(touched > 100, "{touched} models with checked_at");
    let again = sb.write("again.json", serde_json::to_vec(&later).unwrap());
    let mut args = vec!["import".to_owned(), "poe".to_owned()];
    args.extend(files.iter().map(|f| f.display().to_string()));
    args.push(again.display().to_string());
    sb.ok(&args);
    let history = sb.json(["history", "poe", "--json"]);
    let count = history
        .as_array()
        .or_else(|| history["versions"].as_array())
        .expect("versions")
        .len();
    assert_eq!(count, files.len(), "the re-poll is no version of its own");
    let mut previous: Option<Value> = None;
    for seq in 1..=count {
        let raw = sb.ok(["show", &format!("poe@{seq}")]);
        let doc: Value = serde_json::from_str(&raw).expect("a stored version is JSON");
        // Stored complete: the ignored field is still there.
        assert!(raw.contains("checked_at"), "poe@{seq} lost checked_at");
        let stripped = without_checked_at(doc);
        if let Some(p) = &previous {
            assert_ne!(
                p,
                &stripped,
                "poe@{seq} differs from poe@{} only by checked_at",
                seq - 1
            );
        }
        previous = Some(stripped);
    }
}

/// One pair of catalogs that gives every catalog id once, with its level
/// and message, against a golden file
/// (`tests/it/snapshots/catalog/ids.txt`; `APIRADAR_BLESS=1` rewrites it:
/// review every changed line).
#[test]
fn every_catalog_id_matches_its_golden_line() {
    let base = serde_json::json!({"data": [
        {"id": "alpha", "name": "Alpha", "pricing": {"input": 1.0}, "traits": ["chat"], "legacy": 1},
        {"id": "beta", "name": "Beta", "pricing": {"input": 2.0}, "traits": ["vision"], "legacy": 2},
        {"id": "gone", "name": "Gone", "pricing": {"input": 3.0}, "traits": [], "legacy": 3}
    ]});
    let revision = serde_json::json!({"data": [
        {"id": "alpha", "name": "Alpha 2", "pricing": {"input": 1.5}, "traits": ["chat", "tools"], "context": 8192},
        {"id": "beta", "name": "Beta", "pricing": {"input": 1.0}, "traits": []},
        {"id": "fresh", "name": "Fresh", "pricing": {"input": 0.5}, "traits": []}
    ]});
    let sb = Sandbox::new();
    sb.write("a.json", base.to_string());
    sb.write("b.json", revision.to_string());
    let text = sb
        .run([
            "diff",
            "files/a.json",
            "files/b.json",
            "--kind",
            "json",
            "--level",
            "info",
            "--flat",
        ])
        .text();
    for id in [
        "catalog-item-added",
        "catalog-item-removed",
        "catalog-price-changed",
        "catalog-field-changed",
        "catalog-field-added",
        "catalog-field-removed",
        "catalog-capability-added",
        "catalog-capability-removed",
    ] {
        assert!(text.contains(id), "{id} missing:\n{text}");
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/snapshots/catalog/ids.txt");
    if std::env::var_os("APIRADAR_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
        std::fs::write(&path, &text).expect("write the golden file");
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (bless with APIRADAR_BLESS=1)", path.display()));
    assert_eq!(text, expected, "differs from {}", path.display());
}
