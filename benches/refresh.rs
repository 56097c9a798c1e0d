//! The first refresh of 1,000 new watches served by local HTTP servers
//! (one server, then eight), with level-19 compression of every first
//! version (as before issue 21) and with the default (level 3), as ratios
//! to `curl --parallel` fetching the same URLs in the same run. Two more
//! lines say where the time goes: apiradar's fetcher alone under the
//! worker's default limits (no parsing, no storing), and the CPU time of
//! reading one document into its canonical form.
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

/// Seconds for apiradar's fetcher to fetch every URL under the worker's
/// default limits (a host's permit, then a global one), bodies dropped.
fn fetch_alone(rt: &tokio::runtime::Runtime, urls: &[String]) -> f64 {
    use apiradar::fetch::{FetchRequest, Location};
    use tokio::sync::Semaphore;
    let config = WorkerConfig::default();
    let fetcher = Fetcher::new(FetchConfig::default()).expect("fetcher");
    let global = Arc::new(Semaphore::new(config.concurrency));
    let mut hosts = std::collections::HashMap::new();
    let t = Instant::now();
    rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for url in urls {
            let location = Location::parse(url).expect("url");
            let host = location.host().expect("host");
            let host = Arc::clone(
                hosts
                    .entry(host)
                    .or_insert_with(|| Arc::new(Semaphore::new(config.per_host))),
            );
            let (fetcher, global) = (fetcher.clone(), Arc::clone(&global));
            set.spawn(async move {
                let _host = host.acquire_owned().await.expect("host permit");
                let _global = global.acquire_owned().await.expect("permit");
                let request = FetchRequest {
                    location: &location,
                    headers: &[],
                    secrets: &[],
                    etag: None,
                    last_modified: None,
                };
                fetcher.fetch(&request).await.is_ok()
            });
        }
        while let Some(done) = set.join_next().await {
            assert!(done.expect("task"), "every fetch succeeds");
        }
    });
    t.elapsed().as_secs_f64()
}

/// CPU seconds to read one served document into its canonical form (the
/// parse every first version needs), on this thread.
fn read_one(rt: &tokio::runtime::Runtime, url: &str) -> f64 {
    let body = rt
        .block_on(async { reqwest::get(url).await?.bytes().await })
        .expect("document");
    let spec = WatchSpec::new("one", Kind::OpenApi, url);
    let rounds = 500;
    let t = Instant::now();
    for _ in 0..rounds {
        let normalized =
            apiradar::pipeline::ingest::normalize(&spec, &body, apiradar::spec::Limits::default());
        assert!(normalized.is_ok(), "the document reads");
    }
    t.elapsed().as_secs_f64() / f64::from(rounds)
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

/// Runs of each measurement, taken in turn (curl, fetcher, level 19,
/// default, then again), so that the machine's noise falls on all of them;
/// the medians are reported.
const ROUNDS: usize = 5;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    for servers in [1usize, 8] {
        let bases: Vec<String> = (0..servers).map(|_| rt.block_on(spec_server())).collect();
        let urls = urls(&bases);
        eprintln!(
            "\nfirst refresh of {WATCHES} new watches on {servers} local server(s), default limits, \
             medians of {ROUNDS} runs taken in turn"
        );
        let (mut curl, mut alone, mut before, mut after) = (vec![], vec![], vec![], vec![]);
        for round in 0..ROUNDS {
            if let Some(f) = curl_floor(&urls, dir.path()) {
                curl.push(f);
            }
            alone.push(fetch_alone(&rt, &urls));
            let label = format!("before{servers}-{round}");
            before.push(first_refresh(
                &rt,
                &urls,
                dir.path(),
                &label,
                CompressionOptions::legacy(),
            ));
            let label = format!("after{servers}-{round}");
            after.push(first_refresh(
                &rt,
                &urls,
                dir.path(),
                &label,
                CompressionOptions::default(),
            ));
        }
        let floor = (!curl.is_empty()).then(|| median(curl));
        if let Some(f) = floor {
            eprintln!("  floor: curl --parallel: {f:.3} s");
        }
        let ratio = |s: f64| floor.map_or("-".into(), |f| format!("{:.2}x curl", s / f));
        let alone = median(alone);
        eprintln!(
            "  apiradar's fetcher alone (default limits, bodies dropped): {alone:.3} s = {}",
            ratio(alone)
        );
        let before = median(before);
        eprintln!("  level 19 (as before):  {before:.3} s = {}", ratio(before));
        let after = median(after);
        eprintln!("  default (level 3):     {after:.3} s = {}", ratio(after));
        let one = read_one(&rt, &urls[0]);
        eprintln!(
            "  reading one document into its canonical form: {:.0} µs CPU ({:.3} s for {WATCHES} on one core)",
            one * 1e6,
            one * WATCHES as f64
        );
    }
}
