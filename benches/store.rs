//! Storage and polling benchmarks.
//!
//! - `storage`: imports the venice-api history (439 real versions, from
//!   `../shared/corpus`) under several compression settings and prints the
//!   stored size, database size, import time and deepest chain of each;
//!   then benchmarks reading the slowest version back.
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
use common::unpack;

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
    let path = dir.join(format!("{}.db", label.replace(' ', "_")));
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

fn storage(c: &mut Criterion) {
    let Some((_unpacked, files)) = unpack("venice-api") else {
        eprintln!(
            "storage benchmark skipped: ../shared/corpus/histories/venice-api.tar.zst not found"
        );
        return;
    };
    let docs = prepare(&files);
    let raw_total: usize = docs.iter().map(|d| d.raw.len()).sum();
    eprintln!(
        "\nvenice-api: {} files, {:.1} MiB raw (git pack: 274 KiB, solid zstd archive: 155 KiB)",
        docs.len(),
        raw_total as f64 / (1 << 20) as f64
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let default = CompressionOptions::default();
    let configs = [
        ("default (level 19, radix 16)", default),
        (
            "level 12, radix 16",
            CompressionOptions {
                level: 12,
                ..default
            },
        ),
        (
            "level 15, radix 16",
            CompressionOptions {
                level: 15,
                ..default
            },
        ),
        (
            "level 19, radix 8",
            CompressionOptions {
                radix: 8,
                ..default
            },
        ),
        (
            "linear chain, depth cap 40",
            CompressionOptions {
                radix: u64::MAX,
                ..default
            },
        ),
    ];
    let mut kept = None;
    for (label, options) in configs {
        let (store, took) = import(dir.path(), label, options, &docs);
        let stats = store.blob_stats().expect("stats");
        eprintln!(
            "  {label:<30} blobs {:>3} ({} snapshots), stored {:>7.1} KiB, database file {:>7.1} KiB, deepest chain {:>2}, import {:>5.1} s",
            stats.blobs,
            stats.snapshots,
            stats.stored_bytes as f64 / 1024.0,
            file_size(&store) as f64 / 1024.0,
            stats.max_depth,
            took.as_secs_f64()
        );
        if kept.is_none() {
            kept = Some(store);
        }
    }
    let Some(store) = kept else { return };
    let watch = store.watch("venice").expect("watch");
    let versions = store.versions(watch.id).expect("versions");
    // Find the slowest version to read (best of three reads each).
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
    eprintln!(
        "  slowest read: version {} in {:.2} ms (of {} versions)\n",
        slowest.1,
        slowest.0.as_secs_f64() * 1000.0,
        versions.len()
    );
    let (_, seq, blob) = slowest;
    c.bench_function(&format!("read venice-api version {seq} (slowest)"), |b| {
        b.iter(|| store.read_blob(blob).expect("read"))
    });
    if let Some(latest) = versions.last() {
        c.bench_function("read venice-api latest version", |b| {
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
