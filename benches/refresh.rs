//! The first refresh of 1,000 new watches served by local HTTP servers
//! (one server, then eight), before (level-19 compression of every first
//! version) and after (level 3), as ratios to `curl --parallel` fetching
//! the same URLs in the same run.
//!
//! `cargo bench --bench refresh`. The curl floor is skipped, saying so,
//! when curl is not installed.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use apiradar::fetch::{FetchConfig, Fetcher};
use apiradar::pipeline::poll::PollStatus;
use apiradar::pipeline::worker::{Worker, WorkerConfig};
use apiradar::store::{CompressionOptions, SharedStore, Store};
use apiradar::watch::{Kind, WatchSpec};

mod common;

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WATCHES: usize = 1000;

/// A server whose `/spec/{n}` is a 4 KB OpenAPI document of its own.
async fn spec_server() -> String {
    use axum::extract::Path as UrlPath;
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/spec/{n}",
        get(|UrlPath(n): UrlPath<u32>| async move {
            let mut doc =
                format!("openapi: 3.0.3\ninfo:\n  title: service {n}\n  version: '1'\npaths:\n");
            for p in 0..36 {
                doc.push_str(&format!(
                    "  /things{n}/{p}:\n    get:\n      operationId: get{n}x{p}\n      responses:\n        '200':\n          description: ok\n"
                ));
            }
            doc
        }),
    );
    common::serve(app).await
}

fn urls(bases: &[String]) -> Vec<String> {
    (0..WATCHES)
        .map(|n| format!("{}/spec/{n}", bases[n % bases.len()]))
        .collect()
}

/// Seconds for curl to fetch every URL, `--parallel` (its default of 50
/// at once), bodies thrown away.
fn curl_floor(urls: &[String], dir: &std::path::Path) -> Option<f64> {
    let config = dir.join("curl.cfg");
    let text: String = urls
        .iter()
        .map(|u| format!("url = \"{u}\"\noutput = \"/dev/null\"\n"))
        .collect();
    std::fs::write(&config, text).ok()?;
    let t = Instant::now();
    let ok = std::process::Command::new("curl")
        .args(["--parallel", "--no-progress-meter", "-s", "-K"])
        .arg(&config)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("curl floor skipped: curl is missing or failed");
        return None;
    }
    Some(t.elapsed().as_secs_f64())
}

/// Seconds for the worker (default limits) to poll `urls` as new watches.
fn first_refresh(
    rt: &tokio::runtime::Runtime,
    urls: &[String],
    dir: &std::path::Path,
    label: &str,
    options: CompressionOptions,
) -> f64 {
    let mut store = Store::open(&dir.join(format!("{label}.db"))).expect("open");
    store.set_compression(options);
    for (n, url) in urls.iter().enumerate() {
        store
            .add_watch(&WatchSpec::new(&format!("w{n}"), Kind::OpenApi, url), false)
            .expect("add");
    }
    let shared: SharedStore = Arc::new(Mutex::new(store));
    let worker = Worker::new(
        Arc::clone(&shared),
        Fetcher::new(FetchConfig::default()).expect("fetcher"),
        WorkerConfig::default(),
    );
    let watches = shared.lock().expect("lock").list_watches().expect("list");
    let t = Instant::now();
    let reports = rt.block_on(worker.poll_many(watches));
    let took = t.elapsed().as_secs_f64();
    let new = reports
        .iter()
        .filter(|r| r.status == PollStatus::New)
        .count();
    assert_eq!(new, WATCHES, "every watch gets its first version");
    took
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    for servers in [1usize, 8] {
        let bases: Vec<String> = (0..servers).map(|_| rt.block_on(spec_server())).collect();
        let urls = urls(&bases);
        eprintln!(
            "\nfirst refresh of {WATCHES} new watches on {servers} local server(s), default limits"
        );
        let floor = curl_floor(&urls, dir.path());
        if let Some(f) = floor {
            eprintln!("  floor: curl --parallel: {f:.2} s");
        }
        let ratio = |s: f64| floor.map_or("-".into(), |f| format!("{:.2}x curl", s / f));
        let label = format!("before{servers}");
        let before = first_refresh(&rt, &urls, dir.path(), &label, CompressionOptions::legacy());
        eprintln!("  before (level 19): {before:.2} s = {}", ratio(before));
        let label = format!("after{servers}");
        let after = first_refresh(
            &rt,
            &urls,
            dir.path(),
            &label,
            CompressionOptions::default(),
        );
        eprintln!("  after (level 3):   {after:.2} s = {}", ratio(after));
    }
}
