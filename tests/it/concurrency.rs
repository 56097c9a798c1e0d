//! Several `apiradar` processes on one database at once, as when a cron
//! `refresh` runs while another refresh or the dashboard is busy.
//!
//! The store takes the write lock up front (`BEGIN IMMEDIATE`), waits up to
//! 30 s for it, and compares a fetched document with the latest version only
//! while holding it (`src/store/versions.rs`, `record_success`). So two
//! refreshes of the same watches must neither fail on a locked database nor
//! store the same version twice, and readers must never see a lock error.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiradar::store::{Store, sha256_hex};
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// Watches in each database.
const WATCHES: usize = 40;

// --- The server ---------------------------------------------------------------

/// Whether a watch's document is the same on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Fixed,
    /// Numbered by request, so every body differs from every other.
    Changing,
}

struct Corpus {
    content: Content,
    /// Per watch, when set: a meeting point for its first two requests
    /// (see [`spec_handler`]).
    pairs: Option<Vec<tokio::sync::Barrier>>,
    /// Requests answered together with another one for the same watch.
    paired: AtomicU64,
    /// Holds back one response, to force an order of commits.
    hold: Option<Hold>,
    /// Per watch: the unchanging bulk of its document.
    bulk: Vec<String>,
    /// Per watch: SHA-256 (hex) of every body served.
    served: Vec<Mutex<HashSet<String>>>,
    requests: AtomicU64,
}

fn title(watch: usize) -> String {
    format!("Concurrency API {watch:02}")
}

fn watch_name(watch: usize) -> String {
    format!("w{watch:02}")
}

/// Filler that zstd cannot wave away: words from a SplitMix64 stream.
fn filler(seed: u64, size: usize) -> String {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let mut word = move || -> String {
        let bits = next();
        let len = 3 + (bits % 8) as usize;
        (0..len)
            .map(|i| char::from(b'a' + ((bits >> (8 + 5 * i)) % 26) as u8))
            .collect()
    };
    let mut s = String::new();
    let mut op = 0;
    while s.len() < size {
        let summary: Vec<String> = (0..6).map(|_| word()).collect();
        let description: Vec<String> = (0..12).map(|_| word()).collect();
        s.push_str(&format!(
            "  /{}/{op}:\n    get:\n      operationId: {}{op}\n      summary: {}\n      \
             responses:\n        '200':\n          description: {}\n",
            word(),
            word(),
            summary.join(" "),
            description.join(" "),
        ));
        op += 1;
    }
    s
}

impl Corpus {
    /// Documents of 20 to 80 KiB.
    fn new(content: Content, hold: Option<Hold>) -> Corpus {
        // Pairing and holding would wait for each other.
        let pairs = hold
            .is_none()
            .then(|| (0..WATCHES).map(|_| tokio::sync::Barrier::new(2)).collect());
        Corpus {
            content,
            pairs,
            paired: AtomicU64::new(0),
            hold,
            bulk: (0..WATCHES)
                .map(|w| filler(w as u64 + 1, (20 + w * 60 / (WATCHES - 1)) * 1024))
                .collect(),
            served: (0..WATCHES).map(|_| Mutex::default()).collect(),
            requests: AtomicU64::new(0),
        }
    }

    fn document(&self, watch: usize) -> String {
        let n = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let version = match self.content {
            Content::Fixed => "1.0.0".to_string(),
            Content::Changing => format!("1.0.{n}"),
        };
        let doc = format!(
            "openapi: 3.0.3\ninfo:\n  title: {}\n  version: {version}\npaths:\n{}",
            title(watch),
            self.bulk[watch]
        );
        self.served[watch]
            .lock()
            .unwrap()
            .insert(sha256_hex(doc.as_bytes()));
        doc
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
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
    if let Some(pairs) = &corpus.pairs {
        // Two processes polling the same watches in the same order would
        // mostly take turns, one a watch ahead of the other. Answering both
        // requests for a watch together makes them record the same watch at
        // the same moment, racing for the write lock. The wait is short:
        // each process picks its next watches in an order of its own, so a
        // partner may be queued behind requests that are themselves waiting.
        let met = tokio::time::timeout(Duration::from_millis(500), pairs[watch].wait()).await;
        if met.is_ok() {
            corpus.paired.fetch_add(1, Ordering::SeqCst);
        }
    }
    if let Some(hold) = &corpus.hold
        && hold.watch == watch
        && !hold.used.swap(true, Ordering::SeqCst)
    {
        hold.until_stored().await;
    }
    ([(header::CONTENT_TYPE, "application/yaml")], body).into_response()
}

/// Holds the first response for one watch until the database has a version
/// of it, so that the older body is delivered, and committed, last.
struct Hold {
    watch: usize,
    db: PathBuf,
    used: AtomicBool,
}

impl Hold {
    async fn until_stored(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let db = self.db.clone();
            let stored = tokio::task::spawn_blocking(move || versions_stored(&db))
                .await
                .unwrap();
            if stored > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn versions_stored(db: &Path) -> i64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    rusqlite::Connection::open_with_flags(db, flags)
        .and_then(|conn| {
            conn.busy_timeout(Duration::from_secs(5))?;
            conn.query_row("SELECT count(*) FROM versions", [], |r| r.get(0))
        })
        .unwrap_or(0)
}

/// A server on its own runtime, and a database whose watches point at it.
struct Fixture {
    _runtime: tokio::runtime::Runtime,
    corpus: Arc<Corpus>,
    home: tempfile::TempDir,
    db: PathBuf,
}

impl Fixture {
    fn new(content: Content) -> Fixture {
        Fixture::with_hold(content, None)
    }

    /// A fixture whose server holds back the first response for `hold`.
    fn with_hold(content: Content, hold: Option<usize>) -> Fixture {
        let home = tempfile::tempdir().unwrap();
        let db = home.path().join("data").join("radar.db");
        let hold = hold.map(|watch| Hold {
            watch,
            db: db.clone(),
            used: AtomicBool::new(false),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let corpus = Arc::new(Corpus::new(content, hold));
        let router = Router::new()
            .route("/spec/{watch}", get(spec_handler))
            .with_state(Arc::clone(&corpus));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
        let fixture = Fixture {
            _runtime: runtime,
            corpus,
            home,
            db,
        };
        for w in 0..WATCHES {
            let out = fixture
                .apiradar()
                .args(["add", &watch_name(w), &format!("{base}/spec/{w}")])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "add {w}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        fixture
    }

    /// `apiradar --db DB`, with every platform directory inside the
    /// fixture's temporary home.
    fn apiradar(&self) -> Command {
        let home = self.home.path();
        let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("apiradar"));
        cmd.arg("--db")
            .arg(&self.db)
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

    fn spawn_refresh(&self) -> Child {
        self.apiradar()
            .args(["refresh", "--all", "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }

    fn runs_rows(&self) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row("SELECT count(*) FROM runs", [], |r| r.get(0))
            .unwrap()
    }
}

/// One line of a `refresh --json` report.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Polled {
    status: String,
    version: Option<i64>,
}

/// Waits for a refresh, asserts it succeeded, and returns its report by
/// watch name.
fn finish_refresh(child: Child, which: &str) -> BTreeMap<String, Polled> {
    let out: Output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "refresh {which} exited with {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        !stderr.contains("locked"),
        "refresh {which} complained:\n{stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("refresh {which} printed no JSON ({e}):\n{stdout}"));
    report["watches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_string(),
                Polled {
                    status: r["status"].as_str().unwrap().to_string(),
                    version: r["version"].as_i64(),
                },
            )
        })
        .collect()
}

/// Store-level checks every test ends with; returns the stored documents'
/// `info.version` per watch, in version order.
fn verify(fixture: &Fixture) -> BTreeMap<String, Vec<String>> {
    let store = fixture.store();
    let problems = store.check().unwrap();
    assert!(problems.is_empty(), "check() found {problems:#?}");
    let watches = store.list_watches().unwrap();
    assert_eq!(watches.len(), WATCHES);
    let mut stored = BTreeMap::new();
    for (w, watch) in watches.iter().enumerate() {
        let name = &watch.spec.name;
        assert_eq!(*name, watch_name(w));
        let versions = store.versions(watch.id).unwrap();
        let seqs: Vec<i64> = versions.iter().map(|v| v.seq).collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(seqs, expected, "{name}: version numbers");
        let distinct: HashSet<&str> = versions.iter().map(|v| v.canonical_hash.as_str()).collect();
        assert_eq!(
            distinct.len(),
            versions.len(),
            "{name}: the same document stored twice"
        );
        let mut info_versions = Vec::new();
        for v in &versions {
            let bytes = store.read_blob(v.blob_id).unwrap();
            assert_eq!(bytes.len() as i64, v.size, "{name}@{}: size", v.seq);
            assert!(
                fixture.corpus.served[w]
                    .lock()
                    .unwrap()
                    .contains(&v.raw_hash),
                "{name}@{}: not a document the server sent",
                v.seq
            );
            assert_eq!(v.title, Some(title(w)), "{name}@{}", v.seq);
            let text = String::from_utf8(bytes).unwrap();
            let info_version = text
                .lines()
                .find_map(|l| l.strip_prefix("  version: "))
                .unwrap()
                .to_string();
            info_versions.push(info_version);
        }
        stored.insert(name.clone(), info_versions);
    }
    stored
}

// --- The tests ----------------------------------------------------------------

/// The same documents fetched by two processes at once are one version each:
/// whichever process commits second finds its document already stored.
#[test]
fn two_refreshes_of_unchanging_documents_store_each_version_once() {
    let started = Instant::now();
    let fixture = Fixture::new(Content::Fixed);
    let a = fixture.spawn_refresh();
    let b = fixture.spawn_refresh();
    let a = finish_refresh(a, "A");
    let b = finish_refresh(b, "B");
    assert_eq!(fixture.corpus.requests(), 2 * WATCHES as u64);
    let paired = fixture.corpus.paired.load(Ordering::SeqCst);
    assert!(
        paired > 0,
        "the two refreshes never polled a watch at the same time"
    );

    let mut first_by_b = 0;
    for w in 0..WATCHES {
        let name = watch_name(w);
        let (pa, pb) = (&a[&name], &b[&name]);
        let mut statuses = [pa.status.as_str(), pb.status.as_str()];
        statuses.sort_unstable();
        assert_eq!(statuses, ["new", "unchanged"], "{name}: A {pa:?}, B {pb:?}");
        assert_eq!((pa.version, pb.version), (Some(1), Some(1)), "{name}");
        if pb.status == "new" {
            first_by_b += 1;
        }
    }

    let stored = verify(&fixture);
    let store = fixture.store();
    for watch in store.list_watches().unwrap() {
        assert_eq!(watch.version_count, 1, "{}", watch.spec.name);
        let runs = store.runs(watch.id, 10).unwrap();
        assert_eq!(runs.len(), 2, "{}: runs", watch.spec.name);
        assert!(
            runs.iter().all(|r| r.version_seq == Some(1)
                || r.outcome == apiradar::store::PollOutcome::Unchanged)
        );
    }
    assert!(stored.values().all(|v| v == &["1.0.0"]));
    assert_eq!(fixture.runs_rows(), 2 * WATCHES as i64);
    eprintln!(
        "fixed documents: {paired} of {} requests answered in pairs; B stored {first_by_b} of \
         {WATCHES} first versions; {:.1}s",
        2 * WATCHES,
        started.elapsed().as_secs_f64()
    );
}

/// Two processes polling documents that change on every request: every poll
/// is a version, numbered without gaps or repeats, and every poll is a run.
fn changing_documents(with_reader: bool) {
    let started = Instant::now();
    let fixture = Fixture::new(Content::Changing);
    let mut a = fixture.spawn_refresh();
    let mut b = fixture.spawn_refresh();

    let mut listings = 0;
    if with_reader {
        // A third process lists the watches, over and over, until both
        // refreshes are done: it must never meet a locked database.
        loop {
            let a_done = a.try_wait().unwrap().is_some();
            let b_done = b.try_wait().unwrap().is_some();
            let out = fixture
                .apiradar()
                .args(["list", "--json"])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && !stderr.contains("locked"),
                "list {listings} failed during the refreshes: {}\n{stderr}",
                out.status
            );
            let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(listed["watches"].as_array().unwrap().len(), WATCHES);
            listings += 1;
            if a_done && b_done {
                break;
            }
        }
        assert!(listings > 1, "the refreshes ended before a listing ran");
    }
    let reports = [finish_refresh(a, "A"), finish_refresh(b, "B")];

    let polls: usize = reports
        .iter()
        .flat_map(|r| r.values())
        .filter(|p| ["new", "changed", "unchanged", "failed"].contains(&p.status.as_str()))
        .count();
    assert_eq!(polls, 2 * WATCHES, "both processes poll every watch");
    assert_eq!(fixture.corpus.requests(), polls as u64);
    assert_eq!(fixture.runs_rows(), polls as i64, "one runs row per poll");
    let paired = fixture.corpus.paired.load(Ordering::SeqCst);
    assert!(
        paired > 0,
        "the two refreshes never polled a watch at the same time"
    );

    let mut first_by_b = 0;
    let mut out_of_order = Vec::new();
    let mut versions_expected = std::collections::HashMap::new();
    for w in 0..WATCHES {
        let name = watch_name(w);
        let (pa, pb) = (&reports[0][&name], &reports[1][&name]);
        let mut seen = [
            (pa.version, pa.status.as_str()),
            (pb.version, pb.status.as_str()),
        ];
        seen.sort_unstable();
        // Either the later fetch commits last (two versions), or it commits
        // first and the earlier fetch, now older news, adds nothing.
        assert!(
            seen == [(Some(1), "new"), (Some(2), "changed")]
                || seen == [(Some(1), "new"), (Some(1), "unchanged")],
            "{name}: A {pa:?}, B {pb:?}"
        );
        let expected_versions = if seen[1].1 == "changed" { 2 } else { 1 };
        versions_expected.insert(name.clone(), expected_versions);
        if pb.version == Some(1) {
            first_by_b += 1;
        }
    }

    let stored = verify(&fixture);
    let store = fixture.store();
    for watch in store.list_watches().unwrap() {
        let name = &watch.spec.name;
        let expected = versions_expected[name];
        assert_eq!(watch.version_count, expected, "{name}");
        let mut run_seqs: Vec<Option<i64>> = store
            .runs(watch.id, 10)
            .unwrap()
            .iter()
            .map(|r| r.version_seq)
            .collect();
        run_seqs.sort_unstable();
        let want: &[Option<i64>] = if expected == 2 {
            &[Some(1), Some(2)]
        } else {
            &[None, Some(1)]
        };
        assert_eq!(run_seqs, want, "{name}: runs");
        // The request counter shows the order the server numbered the
        // bodies. Two overlapping polls store at most one version, so the
        // stored versions are always in request order.
        let served: Vec<u64> = stored[name]
            .iter()
            .map(|v| v.trim_start_matches("1.0.").parse().unwrap())
            .collect();
        if served.windows(2).any(|p| p[0] > p[1]) {
            out_of_order.push(name.clone());
        }
    }
    eprintln!(
        "changing documents{}: {paired} of {polls} requests answered in pairs; B stored \
         {first_by_b} of {WATCHES} first versions; {listings} listings; {} watches whose versions \
         are not in request order ({:?}); {:.1}s",
        if with_reader { " with a reader" } else { "" },
        out_of_order.len(),
        out_of_order,
        started.elapsed().as_secs_f64()
    );
    assert!(
        out_of_order.is_empty(),
        "versions not in request order: {out_of_order:?}"
    );
}

#[test]
fn two_refreshes_of_changing_documents_number_versions_without_gaps() {
    changing_documents(false);
}

#[test]
fn listing_during_two_refreshes_never_meets_a_locked_database() {
    changing_documents(true);
}

/// Two refreshes of one watch whose document changes between their fetches:
/// the process that fetched first commits last. Its older document must not
/// become the latest version, or the history shows a change that never
/// happened (new, then back to old) and the next poll reports the new
/// document as a change all over again.
///
/// The server makes the order certain: it answers the first request only
/// once the database holds a version, so the older body always arrives last.
#[test]
fn an_older_fetch_committed_last_does_not_become_the_latest_version() {
    let fixture = Fixture::with_hold(Content::Changing, Some(0));
    let spawn = || {
        fixture
            .apiradar()
            .args(["refresh", &watch_name(0), "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    finish_refresh(a, "A");
    finish_refresh(b, "B");
    assert_eq!(fixture.corpus.requests(), 2);

    let stored = verify(&fixture);
    let served: Vec<u64> = stored[&watch_name(0)]
        .iter()
        .map(|v| v.trim_start_matches("1.0.").parse().unwrap())
        .collect();
    assert_eq!(
        served.last(),
        Some(&2),
        "the latest version is not the newest document served; versions hold requests \
         {served:?} in order"
    );
    assert!(
        served.windows(2).all(|p| p[0] < p[1]),
        "versions go back in time: requests {served:?}"
    );
}
