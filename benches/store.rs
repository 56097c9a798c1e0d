//! Storage and polling benchmarks.
//!
//! - `storage`: stores the venice-api and github-rest-api histories (from
//!   `../shared/corpus`) in the layout before (forward deltas at level 19)
//!   and after (reverse deltas at level 3, then settled at level 19), and
//!   prints a table of stored size, database size, write and settle time,
//!   deepest chain and slowest read, with the ratios to git's blob objects
//!   and pack for the same history, measured in the same run; then
//!   benchmarks reading the slowest version back.
//! - `refresh`: polls 200 watches served by a local HTTP server, all
//!   unchanged and all changed.
//!
//! `cargo bench --bench store`. The corpus part skips, saying so, when
//! `../shared/corpus` is absent.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiradar::fetch::{FetchConfig, Fetcher};
use apiradar::pipeline::poll::PollStatus;
use apiradar::pipeline::worker::{Worker, WorkerConfig};
use apiradar::spec::{self, NormalizeOptions};
use apiradar::store::SharedStore;
use apiradar::store::{CompressionOptions, Store, SuccessRecord, now_ms, sha256};
use apiradar::watch::{Kind, WatchSpec};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;
use common::{git_floor, kib, unpack};

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Doc {
    raw: Vec<u8>,
    canonical_hash: Vec<u8>,
    source_date: Option<String>,
}

fn prepare(files: &[PathBuf]) -> Vec<Doc> {
    files
        .iter()
        .filter_map(|p| {
            let raw = std::fs::read(p).ok()?;
            let n = spec::normalize(Kind::OpenApi, &raw, &NormalizeOptions::default()).ok()?;
            Some(Doc {
                canonical_hash: sha256(&n.canonical),
                raw,
                source_date: apiradar::pipeline::import::date_from_name(p),
            })
        })
        .collect()
}

/// Imports `docs` into a fresh database file; returns it with the import time.
fn import(dir: &Path, label: &str, options: CompressionOptions, docs: &[Doc]) -> (Store, Duration) {
    let path = dir.join(format!("{}.db", label.replace([' ', ','], "_")));
    let mut store = Store::open(&path).expect("open bench database");
    store.set_compression(options);
    let watch = store
        .add_watch(&WatchSpec::new("venice", Kind::OpenApi, "x"), false)
        .expect("add watch");
    let started = Instant::now();
    let mut latest = None;
    for d in docs {
        let rec = SuccessRecord {
            raw: &d.raw,
            canonical_hash: d.canonical_hash.clone(),
            format: "yaml".into(),
            source_date: d.source_date.clone(),
            fetched_at: now_ms(),
            ..SuccessRecord::default()
        };
        let prepared = apiradar::store::Prepared {
            against: latest,
            ..Default::default()
        };
        latest = store
            .record_success(watch.id, &rec, &prepared)
            .expect("record")
            .seq;
    }
    (store, started.elapsed())
}

fn file_size(store: &Store) -> u64 {
    // Fold the WAL into the main file so its size is the database's.
    let _ = store.checkpoint();
    std::fs::metadata(store.path())
        .map(|m| m.len())
        .unwrap_or(0)
}

/// The slowest version to read back (best of three reads each): (time,
/// seq, blob).
fn slowest_read(store: &Store, watch: &str) -> (Duration, i64, i64) {
    let watch = store.watch(watch).expect("watch");
    let versions = store.versions(watch.id).expect("versions");
    let mut slowest = (Duration::ZERO, 0i64, 0i64);
    for v in &versions {
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                let bytes = store.read_blob(v.blob_id).expect("read");
                std::hint::black_box(bytes);
                t.elapsed()
            })
            .min()
            .unwrap_or_default();
        if best > slowest.0 {
            slowest = (best, v.seq, v.blob_id);
        }
    }
    slowest
}

/// One history: git's floor, then each layout, as a table; returns the
/// settled database of the current layout (for the read benchmark).
fn storage_of(history: &str, dir: &Path) -> Option<Store> {
    let Some((_unpacked, files)) = unpack(history) else {
        eprintln!(
            "storage benchmark of {history} skipped: ../shared/corpus/histories/{history}.tar.zst not found"
        );
        return None;
    };
    let docs = prepare(&files);
    let raw_total: usize = docs.iter().map(|d| d.raw.len()).sum();
    eprintln!(
        "\n{history}: {} files, {:.1} MiB raw",
        docs.len(),
        raw_total as f64 / (1 << 20) as f64
    );
    let git = git_floor(&files);
    if let Some(g) = &git {
        eprintln!(
            "  git (commit each file, gc --aggressive): blob objects {}, whole pack {}, {:.1} s",
            kib(g.blob_bytes),
            kib(g.pack_bytes),
            g.seconds
        );
    }
    let ratio = |n: u64, floor: Option<u64>| match floor {
        Some(f) if f > 0 => format!("{:.2}x", n as f64 / f as f64),
        _ => "-".into(),
    };
    let legacy = CompressionOptions::legacy();
    let current = CompressionOptions::default();
    let configs: [(&str, CompressionOptions, bool); 4] = [
        ("before: forward deltas, level 19 on write", legacy, false),
        (
            "reverse deltas, level 9 on write",
            CompressionOptions {
                level: 9,
                ..current
            },
            false,
        ),
        ("after: reverse deltas, level 3 on write", current, false),
        ("after, settled at level 19 (9 > 4 MiB)", current, true),
    ];
    let mut kept = None;
    eprintln!(
        "  {:<44} {:>11} {:>9} {:>11} {:>9} {:>8} {:>8} {:>6} {:>12}",
        "layout",
        "blobs",
        "vs git",
        "db file",
        "vs pack",
        "write",
        "settle",
        "depth",
        "slowest read"
    );
    for (label, options, settle) in configs {
        let (mut store, took) = import(dir, &format!("{history} {label}"), options, &docs);
        let mut settle_time = None;
        if settle {
            let t = Instant::now();
            while store.settle_blobs(16).expect("settle") > 0 {}
            settle_time = Some(t.elapsed());
        }
        let stats = store.blob_stats().expect("stats");
        let file = file_size(&store);
        let (read, seq, _) = slowest_read(&store, "venice");
        eprintln!(
            "  {label:<44} {:>11} {:>9} {:>11} {:>9} {:>7.1}s {:>8} {:>6} {:>6.2} ms (#{seq})",
            kib(stats.stored_bytes as u64),
            ratio(
                stats.stored_bytes as u64,
                git.as_ref().map(|g| g.blob_bytes)
            ),
            kib(file),
            ratio(file, git.as_ref().map(|g| g.pack_bytes)),
            took.as_secs_f64(),
            settle_time.map_or("-".into(), |t| format!("{:.1}s", t.as_secs_f64())),
            stats.max_depth,
            read.as_secs_f64() * 1000.0,
        );
        if settle {
            kept = Some(store);
        }
    }
    kept
}

fn storage(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let venice = storage_of("venice-api", dir.path());
    storage_of("github-rest-api", dir.path());
    let Some(store) = venice else { return };
    let (_, seq, blob) = slowest_read(&store, "venice");
    c.bench_function(
        &format!("read venice-api version {seq} (slowest, settled)"),
        |b| b.iter(|| store.read_blob(blob).expect("read")),
    );
    let watch = store.watch("venice").expect("watch");
    if let Some(latest) = store.latest_version(watch.id).expect("latest") {
        c.bench_function("read venice-api latest version (settled)", |b| {
            b.iter(|| store.read_blob(latest.blob_id).expect("read"))
        });
    }
}

/// A server for 200 watches: `/spec/{n}` is a small OpenAPI document that
/// changes whenever the generation counter moves.
async fn spec_server(generation: Arc<AtomicU64>) -> String {
    use axum::extract::{Path as UrlPath, State};
    use axum::routing::get;
    let app = axum::Router::new()
        .route(
            "/spec/{n}",
            get(
                |State(g): State<Arc<AtomicU64>>, UrlPath(n): UrlPath<u32>| async move {
                    let generation = g.load(Ordering::SeqCst);
                    let mut doc = format!(
                        "openapi: 3.0.3\ninfo:\n  title: service {n}\n  version: '{generation}'\npaths:\n"
                    );
                    for p in 0..40 {
                        doc.push_str(&format!(
                            "  /things/{p}:\n    get:\n      operationId: get{p}\n      responses:\n        '200':\n          description: ok\n"
                        ));
                    }
                    doc
                },
            ),
        )
        .with_state(generation);
    common::serve(app).await
}

fn refresh(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let generation = Arc::new(AtomicU64::new(0));
    let base = rt.block_on(spec_server(Arc::clone(&generation)));
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("refresh.db")).expect("open");
    for n in 0..200 {
        let spec = WatchSpec::new(&format!("w{n}"), Kind::OpenApi, &format!("{base}/spec/{n}"));
        store.add_watch(&spec, false).expect("add");
    }
    let shared: SharedStore = Arc::new(Mutex::new(store));
    // The bench server is one host: let the per-host limit match the global one.
    let config = WorkerConfig {
        per_host: 8,
        ..WorkerConfig::default()
    };
    let worker = Worker::new(
        Arc::clone(&shared),
        Fetcher::new(FetchConfig::default()).expect("fetcher"),
        config,
    );
    let watches = || shared.lock().expect("lock").list_watches().expect("list");
    // First poll stores version 1 of each.
    rt.block_on(worker.poll_many(watches()));
    let mut group = c.benchmark_group("refresh 200 watches");
    group.sample_size(10);
    group.bench_function("all unchanged", |b| {
        b.iter(|| {
            let reports = rt.block_on(worker.poll_many(watches()));
            assert!(reports.iter().all(|r| r.status == PollStatus::Unchanged));
        })
    });
    group.bench_function("all changed", |b| {
        b.iter(|| {
            generation.fetch_add(1, Ordering::SeqCst);
            let reports = rt.block_on(worker.poll_many(watches()));
            assert!(reports.iter().all(|r| r.status == PollStatus::Changed));
        })
    });
    group.finish();
}

criterion_group!(benches, storage, refresh);
criterion_main!(benches);
