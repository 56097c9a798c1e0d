//! Helpers shared by the integration tests that drive the built `apiradar`
//! binary: an isolated sandbox per test, a scriptable HTTP server and a raw
//! TCP server for peers that misbehave below HTTP.
//!
//! Use it from a test module with `use crate::common::...`. Everything here
//! only touches the test's own temporary directory and 127.0.0.1.
//!
//! - [`Sandbox`]: a temporary directory holding the database, the home and
//!   XDG directories (so logs land where a test can scan them), and any files
//!   the test writes. [`Sandbox::run`] runs the binary with `--db` set and
//!   returns an [`Outcome`] to assert on.
//! - [`Server`]: axum on `127.0.0.1:0` in a background thread. What each path
//!   answers is a [`Reply`] that the test can swap between commands, and every
//!   request is recorded ([`Server::requests`], [`Server::hits`]).
//! - [`RawServer`]: writes fixed bytes to every connection and hangs up, for
//!   responses no well-behaved HTTP server would send (a body cut short).

pub mod smtp;

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::Value;
use tempfile::TempDir;

/// The longest any one command may run before the test fails instead of
/// hanging.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Running the binary

/// An isolated place to run `apiradar`: its own database, home directory,
/// XDG directories and working directory, all inside one temporary folder
/// that is deleted when the sandbox is dropped.
pub struct Sandbox {
    dir: TempDir,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("apiradar-test-")
            .tempdir()
            .expect("create a temporary directory");
        for sub in ["home", "state", "data", "config", "cache", "files"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create sandbox folders");
        }
        Sandbox { dir }
    }

    /// The sandbox folder; everything the binary writes ends up under it.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The database every command is pointed at with `--db`.
    pub fn db(&self) -> PathBuf {
        self.root().join("x.db")
    }

    /// Where the binary writes its logs (`$XDG_STATE_HOME/apiradar/logs`).
    pub fn log_dir(&self) -> PathBuf {
        self.root().join("state").join("apiradar").join("logs")
    }

    /// `files/<name>` in the sandbox, for documents and config files.
    pub fn path(&self, name: &str) -> PathBuf {
        self.root().join("files").join(name)
    }

    /// Writes `bytes` to `files/<name>` (creating folders) and returns the path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, bytes).expect("write file");
        path
    }

    /// A command for the built binary with `--db` and an environment that
    /// points every platform directory into the sandbox. The caller's own
    /// `APIRADAR_*` variables are removed so they cannot leak into a test.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::from_std(self.process());
        cmd.timeout(COMMAND_TIMEOUT);
        cmd
    }

    /// A plain [`std::process::Command`] for the binary with the same
    /// environment and `--db`, for tests that spawn it and act while it runs.
    pub fn process(&self) -> std::process::Command {
        let root = self.root();
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("apiradar"));
        cmd.current_dir(root)
            .env("HOME", root.join("home"))
            .env("XDG_STATE_HOME", root.join("state"))
            .env("XDG_DATA_HOME", root.join("data"))
            .env("XDG_CONFIG_HOME", root.join("config"))
            .env("XDG_CACHE_HOME", root.join("cache"))
            .env("NO_COLOR", "1")
            .env_remove("APIRADAR_DB")
            .env_remove("APIRADAR_CONFIG")
            .env_remove("APIRADAR_LOG")
            .arg("--db")
            .arg(self.db());
        cmd
    }

    /// Runs the binary with `args` and returns what happened.
    pub fn run<I, S>(&self, args: I) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(args, |_| {})
    }

    /// Like [`Sandbox::run`], letting `setup` change the command first
    /// (environment variables, say).
    pub fn run_with<I, S>(&self, args: I, setup: impl FnOnce(&mut assert_cmd::Command)) -> Outcome
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.cmd();
        let args: Vec<String> = args
            .into_iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect();
        cmd.args(&args);
        setup(&mut cmd);
        let output = cmd.output().expect("run apiradar");
        Outcome {
            args,
            code: output.status.code(),
            stdout: output.stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Runs a command that must succeed and returns its stdout as text.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run(args).expect_code(0).text()
    }

    /// Runs a command that must succeed and parses its stdout as JSON.
    pub fn json<I, S>(&self, args: I) -> Value
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run(args).expect_code(0).json()
    }

    /// Every file under the sandbox whose bytes contain `needle`.
    pub fn files_containing(&self, needle: &[u8]) -> Vec<PathBuf> {
        all_files(self.root())
            .into_iter()
            .filter(|p| std::fs::read(p).is_ok_and(|bytes| contains(&bytes, needle)))
            .collect()
    }
}

/// What one run of the binary did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub args: Vec<String>,
    /// `None` when the process was killed by a signal.
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: String,
}

impl Outcome {
    /// Panics, showing the command and its output, unless it exited with `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Outcome {
        assert_eq!(
            self.code,
            Some(code),
            "`apiradar {}` exited with {:?}, expected {code}\n--- stdout\n{}\n--- stderr\n{}",
            self.args.join(" "),
            self.code,
            self.text(),
            self.stderr
        );
        self
    }

    /// stdout as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`apiradar {}` did not print JSON ({e}):\n{}\n--- stderr\n{}",
                self.args.join(" "),
                self.text(),
                self.stderr
            )
        })
    }

    /// stdout and stderr together, for "does not mention" checks.
    pub fn all_output(&self) -> String {
        format!("{}\n{}", self.text(), self.stderr)
    }
}

fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(path),
                Ok(t) if t.is_file() => out.push(path),
                _ => {}
            }
        }
    }
    out
}

/// Whether `haystack` contains `needle` as a byte string.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

// ---------------------------------------------------------------------------
// A scriptable HTTP server

/// What the [`Server`] answers on one path.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When set, sent as `ETag`, and a request whose `If-None-Match` equals
    /// it is answered `304 Not Modified` without a body.
    pub etag: Option<String>,
    /// How long to wait before answering.
    pub delay: Option<std::time::Duration>,
}

impl Reply {
    /// `200 OK` with `body`.
    pub fn ok(body: impl Into<Vec<u8>>) -> Reply {
        Reply::status(200, body)
    }

    /// Any status with `body`.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
            etag: None,
            delay: None,
        }
    }

    /// A redirect (`302 Found`) to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply::status(302, Vec::new()).header("location", location)
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Waits `delay` before answering.
    pub fn delay(mut self, delay: std::time::Duration) -> Reply {
        self.delay = Some(delay);
        self
    }

    /// Sends `etag` and answers a matching `If-None-Match` with 304.
    pub fn etag(mut self, etag: &str) -> Reply {
        self.etag = Some(etag.to_string());
        self
    }
}

/// One request the [`Server`] received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query string, if any (without the `?`).
    pub query: Option<String>,
    /// Header names in lower case, values as sent (lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// The status it was answered with.
    pub status: u16,
    /// Whether a body was sent (false for a 304).
    pub body_sent: bool,
    /// The request's body (up to 1 MiB).
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct ServerState {
    routes: HashMap<String, Reply>,
    requests: Vec<Seen>,
}

type Shared = Arc<Mutex<ServerState>>;

fn lock(state: &Shared) -> MutexGuard<'_, ServerState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// An HTTP/1.1 server on 127.0.0.1 whose answers the test changes between
/// commands. Paths without a reply get `404`. Stopped when dropped (or by
/// [`Server::stop`]), after which its port refuses connections.
pub struct Server {
    addr: SocketAddr,
    state: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Starts a server on a free port.
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let state = Shared::default();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                let serve = std::future::IntoFuture::into_future(axum::serve(listener, app));
                tokio::select! {
                    result = serve => result.expect("serve"),
                    _ = rx => {}
                }
            });
            // Dropping the runtime cancels the connection tasks, closing
            // their sockets.
        });
        Server {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// From now on, answer `path` with `reply`.
    pub fn set(&self, path: &str, reply: Reply) {
        lock(&self.state).routes.insert(path.to_string(), reply);
    }

    /// The requests made to `path` so far, oldest first.
    pub fn requests(&self, path: &str) -> Vec<Seen> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// How many requests `path` received.
    pub fn hits(&self, path: &str) -> usize {
        self.requests(path).len()
    }

    /// The last request made to `path`.
    #[track_caller]
    pub fn last_request(&self, path: &str) -> Seen {
        self.requests(path)
            .pop()
            .unwrap_or_else(|| panic!("no request reached {path}"))
    }

    /// Stops the server and waits until its port is closed.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

async fn handle(State(state): State<Shared>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let if_none_match = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = request.method().to_string();
    let body = axum::body::to_bytes(request.into_body(), 1 << 20)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let (reply, status, not_modified) = {
        let mut state = lock(&state);
        let reply = state
            .routes
            .get(&path)
            .cloned()
            .unwrap_or_else(|| Reply::status(404, "no such path on the test server\n"));
        let not_modified = reply.etag.is_some() && reply.etag == if_none_match;
        let status = if not_modified { 304 } else { reply.status };
        state.requests.push(Seen {
            method,
            path,
            query,
            headers,
            status,
            body_sent: !not_modified && !reply.body.is_empty(),
            body,
        });
        (reply, status, not_modified)
    };
    if let Some(d) = reply.delay {
        tokio::time::sleep(d).await;
    }

    let mut builder =
        Response::builder().status(StatusCode::from_u16(status).expect("a valid status code"));
    if let Some(etag) = &reply.etag {
        builder = builder.header(header::ETAG, etag);
    }
    for (name, value) in &reply.headers {
        builder = builder.header(
            HeaderName::from_bytes(name.as_bytes()).expect("a valid header name"),
            HeaderValue::from_str(value).expect("a valid header value"),
        );
    }
    let body = if not_modified {
        Body::empty()
    } else {
        Body::from(reply.body)
    };
    builder.body(body).expect("a valid response")
}

// ---------------------------------------------------------------------------
// A raw TCP server

/// A TCP server on 127.0.0.1 that reads each request's head, writes the
/// current bytes verbatim and closes the connection. Build the bytes with
/// [`http_response`], or write something broken on purpose.
pub struct RawServer {
    addr: SocketAddr,
    response: Arc<Mutex<Vec<u8>>>,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    pub fn start(response: Vec<u8>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let response = Arc::new(Mutex::new(response));
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (response, hits, stop) =
                (Arc::clone(&response), Arc::clone(&hits), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    hits.fetch_add(1, Ordering::SeqCst);
                    let bytes = response.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    answer_raw(&mut stream, &bytes);
                }
            })
        };
        RawServer {
            addr,
            response,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// From now on, write `bytes` to each connection.
    pub fn set(&self, bytes: Vec<u8>) {
        *self.response.lock().unwrap_or_else(|p| p.into_inner()) = bytes;
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn answer_raw(stream: &mut TcpStream, bytes: &[u8]) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !contains(&head, b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let _ = stream.write_all(bytes);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
}

/// A complete HTTP/1.1 response with `Content-Length` and `Connection: close`.
pub fn http_response(status_line: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status_line}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

// ---------------------------------------------------------------------------
// Documents and data

/// A small valid OpenAPI 3.0 document in YAML with one path per entry of
/// `paths`; `title` goes into `info.title`.
pub fn openapi_yaml(title: &str, paths: &[&str]) -> String {
    let mut doc = format!("openapi: 3.0.3\ninfo:\n  title: {title}\n  version: '1.0'\npaths:\n");
    for path in paths {
        doc.push_str(&format!(
            "  {path}:\n    get:\n      responses:\n        '200':\n          description: ok\n"
        ));
    }
    doc
}

/// The SHA-256 of `bytes` in lower-case hex, as `history --json` shows it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `bytes` gzip-compressed.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// A string no other test (or earlier run) uses, for secrets to search for.
pub fn unique_token(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}{}x{nanos}x{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}
