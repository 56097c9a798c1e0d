//! A store that cannot record (issue 13, item 3): `run` must not poll a
//! watch in a hot loop when its polls cannot be written, and refuses to
//! start on a database it cannot write at all.
//!
//! The conditions are real ones, made so that they hold for root too (the
//! tests may run as root, for whom file permissions do not stop writes):
//!
//! - A full disk: `run` gets a file-size limit (`RLIMIT_FSIZE`, which binds
//!   root as well) below the size of every file of the database, so SQLite
//!   can read but no write-ahead log frame can be appended. The test keeps
//!   a connection open so the log and its index stay in place at their
//!   full size (without it, the index could not even be created).
//! - A read-only database: SQLite's own read-only mode, through the
//!   `file:…?mode=ro` URI that `--db` accepts; writes then fail exactly as
//!   on a read-only file ("attempt to write a readonly database").

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::{Reply, Sandbox, Server, openapi_yaml};

/// A file-size limit below the size of the database's files once set up.
const FILE_SIZE_LIMIT: u64 = 4096;

/// Reads a child's pipe into a shared string as it comes.
fn collect(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&text);
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut t = sink.lock().unwrap_or_else(|e| e.into_inner());
            t.push_str(&line);
            t.push('\n');
        }
    });
    text
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run_backs_off_a_watch_whose_polls_cannot_be_recorded() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/spec.yaml", Reply::ok(openapi_yaml("api", &["/a"])));
    sb.ok(["add", "api", &server.url("/spec.yaml"), "--every", "30s"]);

    // Held open for the whole test: keeps the write-ahead log and its index
    // at their size, so `run` reads them but cannot grow them. The update
    // changes nothing but puts a few pages in the log.
    let held = rusqlite::Connection::open(sb.db()).expect("open the database");
    held.execute("UPDATE watches SET name = name", [])
        .expect("a write to the log");
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", sb.db().display());
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > FILE_SIZE_LIMIT, "{path} is only {size} bytes");
    }

    let mut process = sb.process();
    process
        .arg("run")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        process.pre_exec(|| {
            // A write past the limit fails with EFBIG instead of killing
            // the process, as a full disk fails with ENOSPC.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: FILE_SIZE_LIMIT,
                rlim_max: FILE_SIZE_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = process.spawn().expect("apiradar run");
    let stdout = collect(child.stdout.take().expect("stdout is piped"));
    let stderr = collect(child.stderr.take().expect("stderr is piped"));
    let output = || {
        format!(
            "{}{}",
            stdout.lock().unwrap_or_else(|e| e.into_inner()),
            stderr.lock().unwrap_or_else(|e| e.into_inner())
        )
    };

    wait_for("the first poll to be reported", || {
        output().contains("could not record the poll")
    });
    // The watch's interval is 30 s and the first backoff is the interval
    // (±10 %): nothing more may reach the server for 27 s. Before the fix
    // the worker polled again at once, about 20 times a second.
    std::thread::sleep(Duration::from_secs(6));
    let hits = server.hits("/spec.yaml");

    // SAFETY: a plain kill(2) of the child this test started.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = child.wait().expect("run ends");
    assert_eq!(hits, 1, "polls in the window; output:\n{}", output());
    assert!(status.code().is_some(), "run died of a signal: {status:?}");
    drop(held);
}

#[test]
fn run_refuses_to_start_on_a_database_it_cannot_write() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/spec.yaml", Reply::ok(openapi_yaml("api", &["/a"])));
    sb.ok(["add", "api", &server.url("/spec.yaml"), "--every", "30s"]);

    let root = sb.root();
    let read_only = format!("file:{}?mode=ro", sb.db().display());
    let out = Command::new(assert_cmd::cargo::cargo_bin("apiradar"))
        .current_dir(root)
        .env("HOME", root.join("home"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("XDG_DATA_HOME", root.join("data"))
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("XDG_CACHE_HOME", root.join("cache"))
        .env("NO_COLOR", "1")
        .env_remove("APIRADAR_CONFIG")
        .env_remove("APIRADAR_LOG")
        .env("APIRADAR_DB", &read_only)
        // Before the fix `run` started and polled; this ends it.
        .args(["run", "--for", "8s"])
        .output()
        .expect("apiradar run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    assert!(
        stderr.contains("cannot write to the database") && stderr.contains("readonly"),
        "the reason is given: {stderr}"
    );
    assert_eq!(server.hits("/spec.yaml"), 0, "nothing may be polled");
    // Reading still works on such a database.
    let list = Command::new(assert_cmd::cargo::cargo_bin("apiradar"))
        .current_dir(root)
        .env("HOME", root.join("home"))
        .env("XDG_STATE_HOME", root.join("state"))
        .env("XDG_CONFIG_HOME", root.join("config"))
        .env("APIRADAR_DB", &read_only)
        .arg("list")
        .output()
        .expect("apiradar list");
    assert_eq!(list.status.code(), Some(0), "{list:?}");
}
