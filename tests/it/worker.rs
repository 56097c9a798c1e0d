//! The worker against a real HTTP server on 127.0.0.1: concurrency limits,
//! isolation of failures, the run loop's schedule, commands and events.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apiradar::fetch::{FetchConfig, Fetcher};
use apiradar::pipeline::poll::PollStatus;
use apiradar::pipeline::worker::{Command, Worker, WorkerConfig, WorkerEvent};
use apiradar::store::SharedStore;
use apiradar::store::Store;
use apiradar::watch::{Kind, WatchSpec};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;

#[derive(Default)]
struct Load {
    now: AtomicUsize,
    max: AtomicUsize,
    hits: AtomicUsize,
}

/// Serves `/doc/{n}` slowly (so polls overlap) and counts how many
/// requests are in flight at once. `/missing/{n}` answers 404.
async fn server(delay: Duration) -> (String, Arc<Load>) {
    let load = Arc::new(Load::default());
    let app = axum::Router::new()
        .route(
            "/doc/{n}",
            get(
                move |State(load): State<Arc<Load>>, Path(n): Path<u32>| async move {
                    load.hits.fetch_add(1, Ordering::SeqCst);
                    let now = load.now.fetch_add(1, Ordering::SeqCst) + 1;
                    load.max.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(delay).await;
                    load.now.fetch_sub(1, Ordering::SeqCst);
                    format!("{{\"openapi\":\"3.0.0\",\"info\":{{\"title\":\"doc {n}\"}},\"paths\":{{}}}}")
                },
            ),
        )
        .route(
            "/missing/{n}",
            get(|Path(_n): Path<u32>| async { (StatusCode::NOT_FOUND, "no").into_response() }),
        )
        .with_state(Arc::clone(&load));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("127.0.0.1:{port}"), load)
}

fn store_with(watches: &[(String, String)]) -> (tempfile::TempDir, SharedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db")).unwrap();
    for (name, url) in watches {
        store
            .add_watch(&WatchSpec::new(name, Kind::OpenApi, url), false)
            .unwrap();
    }
    (dir, Arc::new(Mutex::new(store)))
}

fn fetcher() -> Fetcher {
    Fetcher::new(FetchConfig {
        retries: 0,
        timeout: Duration::from_secs(10),
        ..FetchConfig::default()
    })
    .unwrap()
}

fn all(store: &SharedStore) -> Vec<apiradar::watch::Watch> {
    store.lock().unwrap().list_watches().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn at_most_two_polls_per_host() {
    let (host, load) = server(Duration::from_millis(150)).await;
    let port = host.rsplit(':').next().unwrap().to_string();
    // Two host names for one server: each gets its own limit of 2.
    let mut watches = Vec::new();
    for n in 0..8 {
        watches.push((format!("a{n}"), format!("http://127.0.0.1:{port}/doc/{n}")));
        watches.push((format!("b{n}"), format!("http://localhost:{port}/doc/{n}")));
    }
    let (_dir, store) = store_with(&watches);
    let worker = Worker::new(Arc::clone(&store), fetcher(), WorkerConfig::default());
    let reports = worker.poll_many(all(&store)).await;
    assert_eq!(reports.len(), 16);
    assert!(
        reports.iter().all(|r| r.status == PollStatus::New),
        "{reports:?}"
    );
    let max = load.max.load(Ordering::SeqCst);
    assert!(max <= 4, "{max} requests at once for two hosts");
    assert!(max >= 3, "hosts did not poll in parallel (max {max})");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn global_concurrency_is_bounded() {
    let (host, load) = server(Duration::from_millis(100)).await;
    let watches: Vec<_> = (0..12)
        .map(|n| (format!("w{n}"), format!("http://{host}/doc/{n}")))
        .collect();
    let (_dir, store) = store_with(&watches);
    let config = WorkerConfig {
        concurrency: 3,
        per_host: 100,
        ..WorkerConfig::default()
    };
    let worker = Worker::new(Arc::clone(&store), fetcher(), config);
    worker.poll_many(all(&store)).await;
    let max = load.max.load(Ordering::SeqCst);
    assert!(max <= 3, "{max} requests at once with concurrency 3");
    assert_eq!(load.hits.load(Ordering::SeqCst), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_watch_does_not_stop_the_others() {
    let (host, _load) = server(Duration::ZERO).await;
    let watches = vec![
        ("bad".to_string(), format!("http://{host}/missing/1")),
        ("good".to_string(), format!("http://{host}/doc/1")),
        (
            "nofile".to_string(),
            "/definitely/not/here.yaml".to_string(),
        ),
    ];
    let (_dir, store) = store_with(&watches);
    let worker = Worker::new(Arc::clone(&store), fetcher(), WorkerConfig::default());
    let reports = worker.poll_many(all(&store)).await;
    let by = |n: &str| reports.iter().find(|r| r.name == n).unwrap().clone();
    assert_eq!(by("bad").status, PollStatus::Failed);
    assert!(by("bad").error.unwrap().contains("404"));
    assert_eq!(by("nofile").status, PollStatus::Failed);
    assert_eq!(by("good").status, PollStatus::New);
}

async fn next_polled(
    events: &mut tokio::sync::mpsc::UnboundedReceiver<WorkerEvent>,
) -> apiradar::pipeline::poll::PollReport {
    // One deadline for the report, not one per event: the worker's other
    // events (`Idle` after each scan) must not keep a lost poll waiting.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("no poll reported within 20 s")
            .expect("worker hung up");
        if let WorkerEvent::Polled(r) = event {
            return r;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_loop_polls_due_watches_obeys_commands_and_reports_pauses() {
    let (host, load) = server(Duration::ZERO).await;
    let watches = vec![
        ("doc".to_string(), format!("http://{host}/doc/1")),
        ("gone".to_string(), format!("http://{host}/missing/1")),
    ];
    let (_dir, store) = store_with(&watches);
    let mut config = WorkerConfig {
        rescan: Duration::from_millis(200),
        ..WorkerConfig::default()
    };
    config.policy.pause_after = 2;
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(Arc::clone(&store), fetcher(), config).with_events(events_tx);
    let run = tokio::spawn(worker.run(commands_rx));

    // Both are due at once.
    let mut first = [
        next_polled(&mut events).await,
        next_polled(&mut events).await,
    ];
    first.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(first[0].status, PollStatus::New);
    assert_eq!(first[1].status, PollStatus::Failed);

    // Neither is due again for an hour: nothing happens on its own...
    let hits = load.hits.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(load.hits.load(Ordering::SeqCst), hits);

    // ...until asked.
    commands.send(Command::PollNow(vec!["doc".into()])).unwrap();
    let r = next_polled(&mut events).await;
    assert_eq!((r.name.as_str(), r.status), ("doc", PollStatus::Unchanged));

    // The second failure in a row pauses `gone`, and says so.
    commands
        .send(Command::PollNow(vec!["gone".into()]))
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let paused = loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap()
            .unwrap();
        if let WorkerEvent::AutoPaused { name, reason } = e {
            break (name, reason);
        }
    };
    assert_eq!(paused.0, "gone");
    assert!(paused.1.contains("404"), "{}", paused.1);
    assert!(store.lock().unwrap().watch("gone").unwrap().paused);

    // A paused watch is not polled even when everything is asked for.
    commands.send(Command::PollAll).unwrap();
    let r = next_polled(&mut events).await;
    assert_eq!(r.name, "doc");

    commands.send(Command::Stop).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("worker did not stop")
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_now_during_a_running_poll_polls_again_after_it() {
    let (host, load) = server(Duration::from_millis(400)).await;
    let watches = vec![("slow".to_string(), format!("http://{host}/doc/1"))];
    let (_dir, store) = store_with(&watches);
    let config = WorkerConfig {
        rescan: Duration::from_millis(100),
        ..WorkerConfig::default()
    };
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands, commands_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = Worker::new(Arc::clone(&store), fetcher(), config).with_events(events_tx);
    let run = tokio::spawn(worker.run(commands_rx));

    // Asked for while the first poll is on the wire...
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let e = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("no poll started within 20 s")
            .expect("worker hung up");
        if matches!(e, WorkerEvent::Polling { .. }) {
            break;
        }
    }
    commands
        .send(Command::PollNow(vec!["slow".into()]))
        .unwrap();
    // ...the request is not lost to the poll that started before it.
    assert_eq!(next_polled(&mut events).await.status, PollStatus::New);
    assert_eq!(next_polled(&mut events).await.status, PollStatus::Unchanged);
    assert_eq!(load.hits.load(Ordering::SeqCst), 2);

    commands.send(Command::Stop).unwrap();
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("worker did not stop")
        .unwrap();
}
