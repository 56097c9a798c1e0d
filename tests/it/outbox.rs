//! The alert outbox under several senders and a receiver that never
//! answers: real `apiradar run` processes on one database file, webhook
//! receivers on 127.0.0.1.
//!
//! - Two runners on one database send every alert exactly once: each row is
//!   claimed (a lease) before it is sent.
//! - A channel that accepts the connection and never answers holds up only
//!   itself: the healthy channel gets all its alerts while the hanging one
//!   still waits for its first, and the failed attempt says it timed out.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::common::{Reply, Sandbox, Server};
use apiradar::store::Store;

/// The longest a test waits for something that should happen in seconds:
/// a safety net against hanging, not a measurement.
const PATIENCE: Duration = Duration::from_secs(120);

/// Waits until `done` holds, polling; panics with `what` and the last
/// `state` after [`PATIENCE`].
#[track_caller]
fn wait_for(what: &str, mut done: impl FnMut() -> bool, state: impl Fn() -> String) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > PATIENCE {
            panic!("gave up waiting for {what}: {}", state());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `apiradar run` on the sandbox's database, output discarded.
fn spawn_run(sandbox: &Sandbox) -> Child {
    sandbox
        .process()
        .args(["run", "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apiradar run")
}

/// Stops a runner, first checking it was still running (it did not exit
/// on its own, with an error, say).
#[track_caller]
fn stop(mut child: Child, which: &str) {
    let status = child.try_wait().expect("poll the runner");
    assert!(
        status.is_none(),
        "runner {which} exited before the end: {status:?}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// Adds a webhook channel through the CLI.
fn add_channel(sandbox: &Sandbox, name: &str, url: &str) {
    sandbox.ok(["alert", "add", name, "--webhook", url]);
}

/// The delivery ids `server` received on `path`, with how many times each.
fn receipts(server: &Server, path: &str) -> BTreeMap<i64, usize> {
    let mut by_id = BTreeMap::new();
    for seen in server.requests(path) {
        let id = seen
            .header(apiradar::alert::DELIVERY_HEADER)
            .and_then(|v| v.parse::<i64>().ok())
            .expect("every delivery carries its id");
        *by_id.entry(id).or_insert(0) += 1;
    }
    by_id
}

#[test]
fn two_runners_on_one_database_deliver_every_alert_exactly_once() {
    let sandbox = Sandbox::new();
    // A receiver that takes a second per alert, so both runners are busy
    // at once for several seconds.
    let server = Server::start();
    for path in ["/a", "/b"] {
        server.set(path, Reply::ok("thanks").delay(Duration::from_secs(1)));
    }
    add_channel(&sandbox, "a", &server.url("/a"));
    add_channel(&sandbox, "b", &server.url("/b"));
    let mut queued: Vec<i64> = Vec::new();
    let mut store = Store::open(&sandbox.db()).expect("store");
    for _ in 0..8 {
        for channel in ["a", "b"] {
            queued.push(store.enqueue_test(channel).expect("queue an alert"));
        }
    }

    let first = spawn_run(&sandbox);
    let second = spawn_run(&sandbox);
    wait_for(
        "every alert to be marked sent",
        || store.pending_alerts().expect("count pending") == 0,
        || {
            format!(
                "{} pending, received {:?} and {:?}",
                store.pending_alerts().unwrap_or(-1),
                receipts(&server, "/a"),
                receipts(&server, "/b")
            )
        },
    );
    stop(first, "one");
    stop(second, "two");

    let mut received = receipts(&server, "/a");
    received.extend(receipts(&server, "/b"));
    let twice: Vec<(&i64, &usize)> = received.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "alerts delivered more than once (id, times): {twice:?}"
    );
    let ids: Vec<i64> = received.keys().copied().collect();
    queued.sort();
    assert_eq!(ids, queued, "every queued alert, and nothing else");
    // Each is on record as sent once, after one attempt.
    for id in queued {
        let row = store.alert(id).expect("read").expect("the row");
        assert_eq!((row.status.as_str(), row.attempts), ("sent", 1), "#{id}");
        assert_eq!(store.alert_attempts(id).expect("attempts").len(), 1);
    }
}

/// A TCP server that accepts connections and never answers, holding each
/// open until the client hangs up (or the server is dropped).
struct Silent {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    held: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Silent {
    fn start() -> Silent {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let accepted = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let held = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (accepted, closed, held, stop) = (
                Arc::clone(&accepted),
                Arc::clone(&closed),
                Arc::clone(&held),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    accepted.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut reader) = stream.try_clone() else {
                        continue;
                    };
                    held.lock().unwrap_or_else(|p| p.into_inner()).push(stream);
                    let closed = Arc::clone(&closed);
                    // Read (and drop) the request; the read ends when the
                    // client closes its side.
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 4096];
                        while matches!(reader.read(&mut buf), Ok(n) if n > 0) {}
                        closed.fetch_add(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Silent {
            addr,
            accepted,
            closed,
            held,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for s in self
            .held
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}

#[test]
fn a_channel_that_never_answers_holds_up_only_itself_and_its_error_says_timed_out() {
    let sandbox = Sandbox::new();
    let silent = Silent::start();
    let healthy = Server::start();
    healthy.set("/hook", Reply::ok("thanks"));
    // `hang` keeps the default timeout (10 s).
    add_channel(&sandbox, "hang", &silent.url("/hook"));
    add_channel(&sandbox, "ok", &healthy.url("/hook"));
    let list = sandbox.ok(["alert", "list"]);
    assert!(list.contains("TIMEOUT") && list.contains("10s"), "{list}");

    // Queued in turn, the hanging channel's first: one at a time, every
    // healthy alert would wait behind a timeout.
    let mut store = Store::open(&sandbox.db()).expect("store");
    let mut hang = Vec::new();
    for _ in 0..3 {
        hang.push(store.enqueue_test("hang").expect("queue"));
        store.enqueue_test("ok").expect("queue");
    }
    for _ in 0..2 {
        store.enqueue_test("ok").expect("queue");
    }

    let run = spawn_run(&sandbox);
    wait_for(
        "the healthy channel to receive its 5 alerts",
        || healthy.hits("/hook") >= 5,
        || {
            format!(
                "healthy got {}, the silent server accepted {}",
                healthy.hits("/hook"),
                silent.accepted()
            )
        },
    );
    // All of them arrived while the silent server still holds the first
    // (and only) connection, with nothing recorded for it yet.
    assert_eq!(silent.accepted(), 1, "one connection to the silent channel");
    assert_eq!(silent.closed(), 0, "its first delivery is still waiting");
    assert!(
        store.alert_attempts(hang[0]).expect("attempts").is_empty(),
        "the silent channel's first alert has not timed out yet"
    );

    // Then that delivery times out, and says so, naming the channel.
    wait_for(
        "the silent channel's first delivery to time out",
        || !store.alert_attempts(hang[0]).expect("attempts").is_empty(),
        || format!("{:?}", store.alert(hang[0])),
    );
    stop(run, "run");
    let attempts = store.alert_attempts(hang[0]).expect("attempts");
    let error = attempts[0].error.clone().unwrap_or_default();
    assert!(!attempts[0].ok);
    assert!(
        error.contains("hang: timed out after 10s"),
        "the error names the channel and the timeout: {error}"
    );
    let row = store.alert(hang[0]).expect("read").expect("row");
    assert_eq!(row.status.as_str(), "pending", "it is retried later");
    assert!(silent.accepted() >= 1);
    // The healthy channel got each of its alerts once.
    assert!(receipts(&healthy, "/hook").values().all(|n| *n == 1));
    let shown = sandbox.ok(["alerts"]);
    assert!(shown.contains("timed out after 10s"), "{shown}");
}
