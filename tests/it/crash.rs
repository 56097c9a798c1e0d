//! Crash safety of `apiradar refresh`: the process is SIGKILLed at random
//! moments while it fetches, compresses and commits, again and again, and the
//! database must come back whole every time.
//!
//! The store promises that a version, its blob and its poll run are written
//! in one transaction (`src/store/mod.rs`). If that ever stops being true, a
//! kill between the statements leaves a version without its run, a blob no
//! version uses, or a gap in the version numbers, and the checks below say
//! which.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiradar::spec::{self, NormalizeOptions};
use apiradar::store::{Store, sha256_hex};
use apiradar::watch::Kind;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Watches in the database.
const WATCHES: usize = 30;
/// Refreshes started and killed.
const ITERATIONS: usize = 48;
/// A full check of the database every this many kills.
const CHECK_EVERY: usize = 10;
/// The longest a refresh runs before it is killed, on a machine that starts
/// `apiradar add` within [`MAX_KILL_DELAY_MS`] / [`ADDS_PER_KILL_DELAY`].
const MAX_KILL_DELAY_MS: u64 = 150;
/// On a slower (or busier) machine the longest delay is this many times a
/// typical `apiradar add`, so that kills still land after some commits
/// rather than all during start-up.
const ADDS_PER_KILL_DELAY: u64 = 6;
/// The seed of the kill delays, so a failing run can be repeated.
const SEED: u64 = 0x00C0_FFEE;

// --- A deterministic PRNG ---------------------------------------------------

/// SplitMix64: tiny, deterministic, good enough for delays and filler text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..=max`.
    fn up_to(&mut self, max: u64) -> u64 {
        self.next() % (max + 1)
    }

    /// A lowercase word of 3 to 10 letters.
    fn word(&mut self) -> String {
        let len = 3 + self.up_to(7) as usize;
        (0..len)
            .map(|_| char::from(b'a' + self.up_to(25) as u8))
            .collect()
    }
}

// --- The server ---------------------------------------------------------------

/// What the test server serves and remembers having served.
struct Corpus {
    /// Per watch: the unchanging bulk of its document.
    bulk: Vec<String>,
    /// Per watch: SHA-256 (hex) of every body served.
    served: Vec<Mutex<HashSet<String>>>,
    /// Numbers the requests, so every body differs from every other.
    requests: AtomicU64,
}

fn title(watch: usize) -> String {
    format!("Crash API {watch:02}")
}

fn watch_name(watch: usize) -> String {
    format!("w{watch:02}")
}

/// Document sizes rise from 50 KiB (the first watch polled) to 300 KiB.
fn target_size(watch: usize) -> usize {
    (50 + watch * 250 / (WATCHES - 1)) * 1024
}

impl Corpus {
    fn new() -> Corpus {
        let mut rng = Rng(SEED ^ 0xB01C);
        let bulk = (0..WATCHES)
            .map(|w| {
                let mut s = String::new();
                let mut op = 0;
                while s.len() < target_size(w) {
                    let summary: Vec<String> = (0..6).map(|_| rng.word()).collect();
                    let description: Vec<String> = (0..14).map(|_| rng.word()).collect();
                    s.push_str(&format!(
                        "  /w{w:02}/{}/{op}:\n    get:\n      operationId: {}{op}\n      \
                         summary: {}\n      responses:\n        '200':\n          \
                         description: {}\n",
                        rng.word(),
                        rng.word(),
                        summary.join(" "),
                        description.join(" "),
                    ));
                    op += 1;
                }
                s
            })
            .collect();
        Corpus {
            bulk,
            served: (0..WATCHES).map(|_| Mutex::default()).collect(),
            requests: AtomicU64::new(0),
        }
    }

    /// The next document of `watch`: its bulk under a header that changes on
    /// every request.
    fn document(&self, watch: usize) -> String {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let doc = format!(
            "openapi: 3.0.3\ninfo:\n  title: {}\n  version: 1.0.{n}\n  \
             description: request {n} for {}\nx-request: {n}\npaths:\n{}",
            title(watch),
            watch_name(watch),
            self.bulk[watch]
        );
        self.served[watch]
            .lock()
            .unwrap()
            .insert(sha256_hex(doc.as_bytes()));
        doc
    }

    fn was_served(&self, watch: usize, raw_hash: &str) -> bool {
        self.served[watch].lock().unwrap().contains(raw_hash)
    }
}

async fn spec_handler(
    State(corpus): State<Arc<Corpus>>,
    UrlPath(watch): UrlPath<usize>,
) -> Response {
    if watch >= WATCHES {
        return StatusCode::NOT_FOUND.into_response();
    }
    let body = corpus.document(watch);
    ([(header::CONTENT_TYPE, "application/yaml")], body).into_response()
}

/// The server runs on its own runtime while the test drives processes.
struct Server {
    _runtime: tokio::runtime::Runtime,
    base: String,
    corpus: Arc<Corpus>,
}

fn start_server() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let corpus = Arc::new(Corpus::new());
    let router = Router::new()
        .route("/spec/{watch}", get(spec_handler))
        .with_state(Arc::clone(&corpus));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
    Server {
        _runtime: runtime,
        base,
        corpus,
    }
}

// --- Running apiradar ---------------------------------------------------------

/// `apiradar --db DB`, with every platform directory inside `home` so
/// nothing from the machine running the tests leaks in or out.
fn apiradar(home: &Path, db: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("apiradar"));
    cmd.arg("--db")
        .arg(db)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("APIRADAR_DB")
        .env_remove("APIRADAR_CONFIG")
        .env_remove("APIRADAR_LOG")
        .stdin(Stdio::null());
    cmd
}

/// Adds the watches; returns how long the median `apiradar add` took.
fn add_watches(home: &Path, db: &Path, base: &str) -> Duration {
    let mut took = Vec::with_capacity(WATCHES);
    for w in 0..WATCHES {
        let started = Instant::now();
        let out = apiradar(home, db)
            .args(["add", &watch_name(w), &format!("{base}/spec/{w}")])
            .output()
            .unwrap();
        took.push(started.elapsed());
        assert!(
            out.status.success(),
            "add {w} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    took.sort_unstable();
    took[took.len() / 2]
}

// --- Checking the database ----------------------------------------------------

/// Checks everything the store promises after any number of crashes, and
/// returns the number of versions of each watch.
fn verify(db: &Path, corpus: &Corpus, when: &str) -> Vec<i64> {
    let store = Store::open(db).unwrap_or_else(|e| panic!("{when}: cannot open the database: {e}"));
    let problems = store.check().unwrap();
    assert!(problems.is_empty(), "{when}: check() found {problems:#?}");

    let watches = store.list_watches().unwrap();
    assert_eq!(watches.len(), WATCHES, "{when}: watches");
    let mut counts = Vec::new();
    for (w, watch) in watches.iter().enumerate() {
        let name = &watch.spec.name;
        assert_eq!(*name, watch_name(w), "{when}: watches are listed by name");
        let versions = store.versions(watch.id).unwrap();
        let seqs: Vec<i64> = versions.iter().map(|v| v.seq).collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(seqs, expected, "{when}: {name}: version numbers have gaps");
        assert_eq!(watch.latest_seq, seqs.last().copied(), "{when}: {name}");

        let mut previous_canonical: Option<&str> = None;
        for v in &versions {
            let at = format!("{when}: {name}@{}", v.seq);
            let bytes = store
                .read_blob(v.blob_id)
                .unwrap_or_else(|e| panic!("{at}: blob does not read back: {e}"));
            assert_eq!(bytes.len() as i64, v.size, "{at}: size");
            assert_eq!(sha256_hex(&bytes), v.raw_hash, "{at}: raw hash");
            assert!(
                corpus.was_served(w, &v.raw_hash),
                "{at}: the stored bytes are not a document the server sent"
            );
            let normalized = spec::normalize(Kind::OpenApi, &bytes, &NormalizeOptions::default())
                .unwrap_or_else(|e| panic!("{at}: stored document does not parse: {e}"));
            assert_eq!(normalized.title, Some(title(w)), "{at}: parsed title");
            assert_eq!(v.title, Some(title(w)), "{at}: stored title");
            assert_eq!(
                sha256_hex(&normalized.canonical),
                v.canonical_hash,
                "{at}: canonical hash"
            );
            // Every body served differs, so every version differs from the
            // one before it.
            assert_ne!(
                previous_canonical,
                Some(v.canonical_hash.as_str()),
                "{at}: a version identical to its predecessor"
            );
            previous_canonical = Some(&v.canonical_hash);
        }

        // A version and its run commit together: every run made a version
        // (the server never fails and never repeats itself) and every version
        // has exactly one run.
        let runs = store.runs(watch.id, 100_000).unwrap();
        let mut run_seqs: Vec<i64> = runs
            .iter()
            .map(|r| {
                assert_ne!(
                    r.outcome,
                    apiradar::store::PollOutcome::Failed,
                    "{when}: {name}: failed run {r:?}"
                );
                r.version_seq
                    .unwrap_or_else(|| panic!("{when}: {name}: run without a version: {r:?}"))
            })
            .collect();
        run_seqs.sort_unstable();
        assert_eq!(run_seqs, expected, "{when}: {name}: runs against versions");
        counts.push(versions.len() as i64);
    }
    drop(store);

    // Nothing half-written is left over: no blob that neither a version nor
    // another blob needs.
    let conn = rusqlite::Connection::open(db).unwrap();
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM blobs
             WHERE id NOT IN (SELECT blob_id FROM versions)
               AND id NOT IN (SELECT base FROM blobs WHERE base IS NOT NULL)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0, "{when}: blobs no version uses");
    counts
}

fn total_versions(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(30)).unwrap();
    conn.query_row("SELECT count(*) FROM versions", [], |r| r.get(0))
        .unwrap()
}

// --- The test -------------------------------------------------------------------

#[test]
fn refresh_killed_at_random_moments_leaves_a_whole_database() {
    let started = Instant::now();
    let server = start_server();
    let home = tempfile::tempdir().unwrap();
    let db: PathBuf = home.path().join("data").join("radar.db");
    let add = add_watches(home.path(), &db, &server.base);
    let max_kill_delay_ms = MAX_KILL_DELAY_MS
        .max(ADDS_PER_KILL_DELAY * u64::try_from(add.as_millis()).unwrap_or(u64::MAX / 8));

    let mut rng = Rng(SEED);
    let mut killed_running = 0;
    let mut finished_before_kill = 0;
    let mut kills_after_commits = 0;
    let mut committed = 0;
    let mut last_total = total_versions(&db);
    for i in 1..=ITERATIONS {
        let delay = Duration::from_millis(rng.up_to(max_kill_delay_ms));
        let mut child = apiradar(home.path(), &db)
            .args(["refresh", "--all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        let status = child.wait().unwrap();
        if running {
            killed_running += 1;
        } else {
            finished_before_kill += 1;
            eprintln!("iteration {i}: refresh ended by itself before the kill: {status}");
        }

        let total = total_versions(&db);
        assert!(total >= last_total, "iteration {i}: versions disappeared");
        if running && total > last_total {
            kills_after_commits += 1;
        }
        committed += total - last_total;
        last_total = total;

        if i % CHECK_EVERY == 0 {
            verify(&db, &server.corpus, &format!("after kill {i}"));
        }
    }
    let before = verify(&db, &server.corpus, "after the last kill");
    eprintln!(
        "{ITERATIONS} kills: {killed_running} while running ({kills_after_commits} of them after \
         some commits), {finished_before_kill} after the process ended; {committed} versions \
         committed; kills within {max_kill_delay_ms} ms (a median add took {add:?}); {:.1}s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        killed_running >= ITERATIONS / 2,
        "only {killed_running} of {ITERATIONS} kills hit a running refresh"
    );
    assert!(
        committed > 0,
        "no refresh committed a version before its kill"
    );

    // The database is still usable: a refresh left alone finishes normally
    // and records a version of every watch.
    let out = apiradar(home.path(), &db)
        .args(["refresh", "--all", "--json"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "final refresh: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let reports = report["watches"].as_array().unwrap();
    assert_eq!(reports.len(), WATCHES);
    for (w, r) in reports.iter().enumerate() {
        let expected = if before[w] == 0 { "new" } else { "changed" };
        assert_eq!(
            r["status"],
            expected,
            "final refresh of {}: {r}",
            watch_name(w)
        );
        assert_eq!(
            r["version"],
            before[w] + 1,
            "final refresh of {}",
            watch_name(w)
        );
    }
    let after = verify(&db, &server.corpus, "after the final refresh");
    for w in 0..WATCHES {
        assert_eq!(after[w], before[w] + 1, "{}", watch_name(w));
    }
    eprintln!("total {:.1}s", started.elapsed().as_secs_f64());
}
