//! Endpoint health at scale: 1 000 endpoints on a local server, probed in
//! rounds through `health::run_checks` with every check recorded in
//! SQLite (check, rollup and state in one transaction each). Prints checks
//! per second and how much the database grows per check (so per million),
//! then measures one round with criterion.
//!
//! `cargo bench --bench health` (no corpus needed).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use apiradar::health::check::{ProbeConfig, Prober};
use apiradar::health::{Concurrency, run_checks};
use apiradar::store::SharedStore;
use apiradar::store::Store;
use apiradar::watch::{Kind, Watch, WatchSpec};
use criterion::{Criterion, criterion_group, criterion_main};

mod common;

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ENDPOINTS: usize = 1_000;

async fn local_server() -> String {
    use axum::Router;
    use axum::routing::get;
    common::serve(Router::new().route("/e/{n}", get(|| async { "ok" }))).await
}

fn file_size(path: &std::path::Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn health(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let base = runtime.block_on(local_server());
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("health.db");
    let mut store = Store::open(&db).expect("store");
    let watch: Watch = store
        .add_watch(
            &WatchSpec::new("local", Kind::Json, &format!("{base}/spec")),
            false,
        )
        .expect("watch");
    for n in 0..ENDPOINTS {
        store
            .add_manual_endpoint(watch.id, "GET", &format!("{base}/e/{n}"), &[], None)
            .expect("endpoint");
    }
    let targets: Vec<_> = store
        .endpoints(watch.id)
        .expect("endpoints")
        .into_iter()
        .map(|e| (watch.clone(), e))
        .collect();
    store.checkpoint().expect("checkpoint");
    let shared: SharedStore = Arc::new(Mutex::new(store));
    let prober = Prober::new(ProbeConfig::default()).expect("prober");
    // One host here; the default per-host limit (4) is for real APIs.
    let limits = Concurrency {
        global: 64,
        per_host: 64,
    };
    let before = file_size(&db);
    let started = Instant::now();
    let rounds = 5;
    for _ in 0..rounds {
        let done = runtime.block_on(run_checks(&shared, &prober, targets.clone(), limits));
        assert_eq!(done.len(), ENDPOINTS);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let checks = (rounds * ENDPOINTS) as f64;
    if let Ok(s) = shared.lock() {
        let _ = s.checkpoint();
    }
    let grown = file_size(&db).saturating_sub(before) as f64;
    eprintln!(
        "{checks} checks of {ENDPOINTS} local endpoints in {elapsed:.1}s: {:.0} checks/s; database +{:.0} bytes per check, about {:.0} MiB per million checks (rollups included)",
        checks / elapsed,
        grown / checks,
        grown / checks * 1e6 / (1024.0 * 1024.0)
    );
    // Alert delivery: 100 queued test alerts to a local webhook.
    let hook = runtime.block_on(common::serve(
        axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" })),
    ));
    if let Ok(mut s) = shared.lock() {
        s.add_channel(
            "hook",
            apiradar::store::alerts::ChannelKind::Webhook,
            &format!("{hook}/hook"),
            None,
            &[],
            None,
        )
        .expect("channel");
        for _ in 0..100 {
            s.enqueue_test("hook").expect("queue");
        }
    }
    let sender = apiradar::alert::Sender::new(std::time::Duration::from_secs(5)).expect("sender");
    let started = Instant::now();
    let sent = runtime.block_on(apiradar::alert::deliver_due(
        &shared,
        &sender,
        apiradar::store::now_ms(),
    ));
    let elapsed = started.elapsed();
    eprintln!(
        "{sent} alerts delivered to a local webhook in {:.1} ms ({:.2} ms each, attempt recorded); the sender runs right after each poll or health round and every 2 s",
        elapsed.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64() * 1000.0 / sent.max(1) as f64
    );
    let mut group = c.benchmark_group("health");
    group.sample_size(10);
    group.bench_function("one round of 1000 local endpoints, recorded", |b| {
        b.iter(|| runtime.block_on(run_checks(&shared, &prober, targets.clone(), limits)))
    });
    group.finish();
}

criterion_group!(benches, health);
criterion_main!(benches);
