//! Diff speed on the large real pair: github-rest-api 015 → 016 (3.9 MiB →
//! 11.3 MiB of JSON), against the time it takes just to parse both files;
//! and the Stripe shape (a Swagger 2.0 description whose deep shared
//! components are reached by hundreds of operations): the largest
//! consecutive pair of stripe-api-swagger2, diffed and folded into
//! root-cause groups, against parsing its two files; and the same pair
//! upgraded to OpenAPI 3.0 and written back as JSON, the shape of Stripe's
//! own OpenAPI 3 descriptions (no upgrade on the diff's side); and that
//! form with a change in every component, for the tens of thousands of
//! findings Stripe's current pairs have; and that pair doubled (a copy of
//! every path and component schema, changed in one copy only), the size
//! of Stripe's current descriptions written with indentation.
//!
//! For the Stripe cases it also prints the peak resident memory of the
//! `apiradar diff` command on the pair, in text and in JSON: the whole
//! process (documents, findings, output, allocator), as a user sees it.
//!
//! `cargo bench --bench diff`; skips, saying so, without `../shared/corpus`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use apiradar::diff::{DiffOptions, compare_raw, diff_openapi, group};
use apiradar::spec::{Limits, parse_document};
use apiradar::watch::Kind;
use criterion::{Criterion, criterion_group};

mod common;

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn unpack_github() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let (dir, files) = common::unpack("github-rest-api")?;
    let a = common::file_starting(&files, "015_")?;
    let b = common::file_starting(&files, "016_")?;
    Some((dir, a, b))
}

fn diff(c: &mut Criterion) {
    let Some((_dir, a, b)) = unpack_github() else {
        eprintln!(
            "diff benchmark skipped: ../shared/corpus/histories/github-rest-api.tar.zst not found"
        );
        return;
    };
    let (ra, rb) = (
        std::fs::read(&a).expect("read 015"),
        std::fs::read(&b).expect("read 016"),
    );
    let limits = Limits::default();
    let (da, _) = parse_document(&ra, &limits).expect("parse 015");
    let (db, _) = parse_document(&rb, &limits).expect("parse 016");
    let options = DiffOptions::default();
    let mut group = c.benchmark_group("github-rest-api 015 -> 016");
    group.sample_size(10);
    group.bench_function("parse both", |bench| {
        bench.iter(|| {
            let x = parse_document(&ra, &limits).expect("parse");
            let y = parse_document(&rb, &limits).expect("parse");
            (x, y)
        })
    });
    group.bench_function("diff (parsed)", |bench| {
        bench.iter(|| diff_openapi(&da, &db, &options))
    });
    group.bench_function("parse both and diff", |bench| {
        bench.iter(|| {
            let (x, _) = parse_document(&ra, &limits).expect("parse");
            let (y, _) = parse_document(&rb, &limits).expect("parse");
            diff_openapi(&x, &y, &options)
        })
    });
    group.finish();
}

/// Times `f` as a user waits for it: from the call to its answer. What it
/// returns is dropped after the clock stops, and the next call waits
/// (unclocked) for the documents the diff frees on a thread of its own,
/// so that freeing never shares this machine's two cores with the next
/// measurement. Both sides of a ratio are timed this way.
fn waited<T>(bench: &mut criterion::Bencher<'_>, mut f: impl FnMut() -> T) {
    bench.iter_custom(|iters| {
        let mut total = std::time::Duration::ZERO;
        for _ in 0..iters {
            let t = std::time::Instant::now();
            let out = std::hint::black_box(f());
            total += t.elapsed();
            drop(out);
            std::thread::sleep(std::time::Duration::from_millis(40));
        }
        total
    })
}

/// The consecutive pair of stripe-api-swagger2 with the most bytes.
fn stripe(c: &mut Criterion) {
    let Some((_dir, files)) = common::unpack("stripe-api-swagger2") else {
        eprintln!(
            "stripe benchmark skipped: ../shared/corpus/histories/stripe-api-swagger2.tar.zst not found"
        );
        return;
    };
    let size = |p: &PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    let Some(pair) = files.windows(2).max_by_key(|w| size(&w[0]) + size(&w[1])) else {
        eprintln!("stripe benchmark: too few versions");
        return;
    };
    let (ra, rb) = (
        std::fs::read(&pair[0]).expect("read base"),
        std::fs::read(&pair[1]).expect("read revision"),
    );
    eprintln!(
        "stripe pair: {} ({} bytes) -> {} ({} bytes)",
        pair[0].display(),
        ra.len(),
        pair[1].display(),
        rb.len()
    );
    let limits = Limits::default();
    parse_against_diff(c, "stripe-api-swagger2 largest pair", &ra, &rb, &limits);
    // The same pair as OpenAPI 3: what a watch of Stripe's current
    // descriptions compares.
    let upgrade = |raw: &[u8]| {
        let (doc, _) = parse_document(raw, &limits).expect("parse");
        serde_json::to_vec(&apiradar::diff::upgrade::swagger2_to_openapi3(&doc)).expect("write")
    };
    let (oa, ob) = (upgrade(&ra), upgrade(&rb));
    eprintln!("as OpenAPI 3: {} -> {} bytes", oa.len(), ob.len());
    parse_against_diff(c, "stripe largest pair as OpenAPI 3", &oa, &ob, &limits);
    // Stripe's current pairs report ten times the findings of this one
    // (a change in a component reached along many more routes). The same
    // pair with a change in every component: a new value in each
    // property's enum and a new property in each schema.
    let (doc, _) = parse_document(&ob, &limits).expect("parse");
    let widened = serde_json::to_vec(&changed_everywhere(doc)).expect("write");
    let findings = compare_raw(Kind::OpenApi, &oa, &widened, None, &limits)
        .expect("compare")
        .findings
        .len();
    eprintln!("as OpenAPI 3, every component changed: {findings} findings");
    parse_against_diff(
        c,
        "stripe largest pair as OpenAPI 3, every component changed",
        &oa,
        &widened,
        &limits,
    );
    // The size of Stripe's current descriptions (about 4 MB each, written
    // with indentation): each document with a second copy of its paths
    // and component schemas, the change in every component of the first
    // copy only.
    let (base, _) = parse_document(&oa, &limits).expect("parse");
    let (changed, _) = parse_document(&widened, &limits).expect("parse");
    let write = |doc: &serde_json::Value| serde_json::to_vec_pretty(doc).expect("write");
    let (da, db) = (
        write(&with_copy(base.clone(), &base)),
        write(&with_copy(changed, &base)),
    );
    eprintln!(
        "doubled: {} -> {} bytes, {} findings",
        da.len(),
        db.len(),
        compare_raw(Kind::OpenApi, &da, &db, None, &limits)
            .expect("compare")
            .findings
            .len()
    );
    parse_against_diff(
        c,
        "stripe largest pair as OpenAPI 3 doubled, every component of one copy changed",
        &da,
        &db,
        &limits,
    );
}

/// `doc` with a copy of `from`'s paths (under `/copy`) and component
/// schemas (named `copy_…`, their references renamed to match).
fn with_copy(mut doc: serde_json::Value, from: &serde_json::Value) -> serde_json::Value {
    let renamed = |v: &serde_json::Value| -> serde_json::Map<String, serde_json::Value> {
        let text = serde_json::to_string(v)
            .expect("write")
            .replace("\"#/components/schemas/", "\"#/components/schemas/copy_");
        serde_json::from_str(&text).expect("read")
    };
    let schemas = renamed(&from["components"]["schemas"]);
    let paths = renamed(&from["paths"]);
    if let Some(to) = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut)
    {
        to.extend(schemas.into_iter().map(|(k, v)| (format!("copy_{k}"), v)));
    }
    if let Some(to) = doc
        .get_mut("paths")
        .and_then(serde_json::Value::as_object_mut)
    {
        to.extend(paths.into_iter().map(|(k, v)| (format!("/copy{k}"), v)));
    }
    doc
}

/// `doc` with a new enum value in every component property that has an
/// enum, and a new string property in every component schema that has
/// properties.
fn changed_everywhere(mut doc: serde_json::Value) -> serde_json::Value {
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(serde_json::Value::as_object_mut);
    for schema in schemas.into_iter().flat_map(|s| s.values_mut()) {
        let Some(properties) = schema
            .get_mut("properties")
            .and_then(serde_json::Value::as_object_mut)
        else {
            continue;
        };
        for property in properties.values_mut() {
            if let Some(values) = property
                .get_mut("enum")
                .and_then(serde_json::Value::as_array_mut)
            {
                values.push(serde_json::json!("bench_new_value"));
            }
        }
        properties.insert(
            "bench_new_property".into(),
            serde_json::json!({"type": "string"}),
        );
    }
    doc
}

/// The two sides of the ratio for one pair: parsing both documents, and
/// parsing, diffing and grouping them.
fn parse_against_diff(c: &mut Criterion, name: &str, a: &[u8], b: &[u8], limits: &Limits) {
    peak_memory(name, a, b);
    let mut bench_group = c.benchmark_group(name);
    bench_group.sample_size(10);
    bench_group.bench_function("parse both", |bench| {
        waited(bench, || {
            let x = parse_document(a, limits).expect("parse");
            let y = parse_document(b, limits).expect("parse");
            (x, y)
        })
    });
    bench_group.bench_function("parse, diff and group", |bench| {
        waited(bench, || {
            let c = compare_raw(Kind::OpenApi, a, b, None, limits).expect("compare");
            // The groups borrow the findings: freed here, on the clock
            // (a few hundred vectors), the findings after it.
            let groups = group::group(&c.findings).len();
            (c, groups)
        })
    });
    bench_group.finish();
}

/// Prints the peak resident memory of `apiradar diff` on the pair, text
/// and JSON, the least and the most of three runs each.
fn peak_memory(name: &str, a: &[u8], b: &[u8]) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (base, revision) = (
        dir.path().join("base.json"),
        dir.path().join("revision.json"),
    );
    std::fs::write(&base, a).expect("write base");
    std::fs::write(&revision, b).expect("write revision");
    for format in ["text", "json"] {
        let runs: Vec<f64> = (0..3)
            .map(|_| peak_mib(dir.path(), &base, &revision, format))
            .collect();
        let least = runs.iter().copied().fold(f64::INFINITY, f64::min);
        let most = runs.iter().copied().fold(0.0, f64::max);
        eprintln!(
            "{name}: `apiradar diff --format {format}` peak resident memory {least:.1}–{most:.1} MiB"
        );
    }
}

/// Set in a run of this bench binary that is only a go-between: it runs
/// the command in its arguments and prints the command's peak resident
/// memory (see [`peak_mib`]).
const PEAK_OF: &str = "APIRADAR_BENCH_PEAK_OF";

/// One run of the binary built with this bench, in MiB at its peak.
///
/// Linux counts a process's peak from the address space it was started
/// from: a command spawned by this bench, grown large by the documents it
/// holds, would report the bench's size whenever that is the larger. So
/// the command is started by a fresh, small copy of this binary
/// ([`PEAK_OF`]), which waits for it and prints its figure.
fn peak_mib(home: &Path, base: &Path, revision: &Path, format: &str) -> f64 {
    let this = std::env::current_exe().expect("the bench's own path");
    let out = Command::new(this)
        .arg(env!("CARGO_BIN_EXE_apiradar"))
        .arg("diff")
        .arg(base)
        .arg(revision)
        .args(["--format", format])
        .env(PEAK_OF, "1")
        .env("HOME", home)
        .env("APIRADAR_DB", home.join("apiradar.db"))
        .stderr(Stdio::inherit())
        .output()
        .expect("run the go-between");
    let kib: f64 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("apiradar diff --format {format}: {out:?}"));
    kib / 1024.0
}

/// The go-between's work: runs `command`, waits for it, and gives its
/// peak resident memory in KiB from the kernel's accounting (`wait4`).
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also gives its resource usage"
)]
fn child_peak_kib(command: &[std::ffi::OsString]) -> i64 {
    let (program, args) = command.split_first().expect("a command");
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run the command");
    let mut status = 0;
    // SAFETY: `rusage` is plain integers, for which all zeroes is a
    // value; `wait4` writes both out-parameters and reads nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(
        waited > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{command:?} failed: {status:#x}"
    );
    // Linux counts `ru_maxrss` in KiB.
    usage.ru_maxrss
}

criterion_group!(benches, diff, stripe);

fn main() {
    if std::env::var_os(PEAK_OF).is_some() {
        let command: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
        println!("{}", child_peak_kib(&command));
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
