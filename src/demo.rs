//! The embedded demo: a small API on 127.0.0.1 that changes as time passes,
//! so apiradar can be tried with no network and no set-up.
//!
//! The server cycles through phases, one every `step`:
//!
//! 1. Petstore 1.0.0
//! 2. 1.1.0: a new optional parameter, a new operation, a new enum property
//! 3. 2.0.0: breaking — a response property removed, a request property
//!    made required, a maximum lowered
//! 4. an outage: HTTP 503 with an HTML maintenance page
//! 5. 2.1.0: an operation removed, a path added
//!
//! and back to the start. Beside the spec it serves a model catalog that
//! gains and retires models (`/v1/models`) and a changelog page
//! (`/changelog`). Responses carry an `ETag` and honour `If-None-Match`,
//! so the demo shows conditional polling too.
//!
//! The pets list (`GET /api/pets`, probed from the description) drifts
//! from its response schema in phases 2 and 3 and conforms again after,
//! for `apiradar conform` and the health pane.
//!
//! For the prompt-caching tests it serves a simulated LLM provider under
//! `/llm` ([`crate::demo_llm`]) whose `sim-large` model stops caching for
//! two phases of every cycle; its runs are labelled simulated. When the
//! llama.cpp fixture is built (`../shared/tools/llama-fixture.sh build`),
//! the demo starts that real server too and tests it as well.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::store::{Store, StoreError};
use crate::watch::{Kind, WatchSpec};

const SPECS: [&str; 4] = [
    include_str!("../assets/demo/petstore-1.yaml"),
    include_str!("../assets/demo/petstore-2.yaml"),
    include_str!("../assets/demo/petstore-3.yaml"),
    include_str!("../assets/demo/petstore-4.yaml"),
];

/// The number of phases before the demo starts over.
pub const PHASES: u64 = 5;

/// A running demo server.
pub struct DemoServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DemoServer {
    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct Clock {
    started: Instant,
    step: Duration,
    /// Requests to the flapping endpoint so far.
    calls: std::sync::atomic::AtomicU64,
}

impl Clock {
    fn phase(&self) -> u64 {
        let step = self.step.as_millis().max(1);
        ((self.started.elapsed().as_millis() / step) as u64) % PHASES
    }
}

/// Starts the demo API on an ephemeral port of 127.0.0.1. `step` is how
/// long each phase lasts.
pub async fn serve(step: Duration) -> std::io::Result<DemoServer> {
    let clock = Arc::new(Clock {
        started: Instant::now(),
        step,
        calls: Default::default(),
    });
    let app = Router::new()
        .route("/openapi.yaml", get(spec))
        .route("/v1/models", get(models))
        .route("/changelog", get(changelog))
        .route("/api/pets", get(drifting_pets))
        .route("/api/owners", get(pets))
        .route("/api/status", get(status))
        .route("/api/search", get(search))
        .route(
            "/hooks/alerts",
            axum::routing::post(|| async { StatusCode::NO_CONTENT }),
        )
        .with_state(Arc::clone(&clock))
        .nest(
            "/llm",
            crate::demo_llm::router(crate::demo_llm::SimConfig {
                outage: Some(crate::demo_llm::Outage::Periodic {
                    since: clock.started,
                    period: step * PHASES as u32,
                    down: step * 2..step * 4,
                }),
                ..crate::demo_llm::SimConfig::default()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "demo server stopped");
        }
    });
    Ok(DemoServer { addr, task })
}

/// A body with an ETag, or 304 when the client already has it.
fn cached(headers: &HeaderMap, content_type: &'static str, body: String) -> Response {
    let etag = format!("\"{}\"", &crate::store::sha256_hex(body.as_bytes())[..16]);
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag);
    let etag_value = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::ETAG, etag_value),
        ],
        body,
    )
        .into_response()
}

async fn spec(State(clock): State<Arc<Clock>>, headers: HeaderMap) -> Response {
    match clock.phase() {
        3 => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><head><title>Down for maintenance</title></head>\
             <body><h1>We'll be right back</h1></body></html>",
        )
            .into_response(),
        phase => {
            let index = match phase {
                0 => 0,
                1 => 1,
                2 => 2,
                _ => 3,
            };
            cached(&headers, "application/yaml", SPECS[index].to_string())
        }
    }
}

async fn models(State(clock): State<Arc<Clock>>, headers: HeaderMap) -> Response {
    let phase = clock.phase();
    let mut models = vec![("demo-small", 8192, 0.15), ("demo-medium", 32768, 0.60)];
    if phase >= 1 {
        models.push(("demo-large", 131072, 2.50));
    }
    if phase >= 2 {
        // a price change
        models[1].2 = 0.45;
    }
    if phase >= 4 {
        // a model retired
        models.retain(|m| m.0 != "demo-small");
    }
    let data: Vec<serde_json::Value> = models
        .iter()
        .map(|(id, context, price)| {
            serde_json::json!({
                "id": id,
                "object": "model",
                "owned_by": "demo",
                "context_length": context,
                "pricing": { "input_per_mtok": price }
            })
        })
        .collect();
    let body = serde_json::json!({ "object": "list", "data": data });
    cached(&headers, "application/json", format!("{body:#}"))
}

async fn changelog(State(clock): State<Arc<Clock>>, headers: HeaderMap) -> Response {
    let entries = [
        ("1.0.0", "First public release of the Demo Petstore API."),
        (
            "1.1.0",
            "Added sorting to GET /pets and DELETE /pets/{petId}.",
        ),
        ("2.0.0", "Pets no longer carry a tag; new pets need a name."),
        ("2.0.0-ops", "Scheduled maintenance window."),
        ("2.1.0", "Removed DELETE /pets/{petId}; added GET /owners."),
    ];
    let shown = (clock.phase() as usize + 1).min(entries.len());
    let items: String = entries[..shown]
        .iter()
        .rev()
        .map(|(v, text)| format!("<h2>{v}</h2>\n<p>{text}</p>\n"))
        .collect();
    let page = format!(
        "<!doctype html><html><head><title>Demo Petstore changelog</title>\
         <style>body {{ font-family: sans-serif }}</style>\
         <script>console.log('analytics')</script></head>\
         <body><h1>Changelog</h1>\n{items}</body></html>"
    );
    cached(&headers, "text/html; charset=utf-8", page)
}

/// The demo API's own endpoints, for its health checks.
async fn pets() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"[{"id": 1, "name": "Rex"}, {"id": 2, "name": "Tom"}]"#,
    )
        .into_response()
}

/// Drifts now and then: in phases 2 and 3 of every cycle (from one step
/// in, so within the first minute) the list of pets answers unlike its
/// description: one pet's `id` comes back as a string, its required
/// `name` is missing and it carries an undeclared `status`. The other
/// phases it conforms again, and the drift clears.
async fn drifting_pets(State(clock): State<Arc<Clock>>) -> Response {
    if matches!(clock.phase(), 1 | 2) {
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"[{"id": 1, "name": "Rex"}, {"id": "3", "status": "sold"}]"#,
        )
            .into_response()
    } else {
        pets().await
    }
}

/// Flaps: in every 16 checks, down twice briefly (not long enough to
/// alert) and then for a four-check outage, which raises `down` and, once
/// it answers again, `recovered`.
async fn status(State(clock): State<Arc<Clock>>) -> Response {
    let n = clock
        .calls
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    if matches!(n % 16, 3 | 6 | 10..=13) {
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response()
    } else {
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status": "ok"}"#,
        )
            .into_response()
    }
}

/// Answers, slowly.
async fn search() -> Response {
    tokio::time::sleep(SLOW_SEARCH).await;
    ([(header::CONTENT_TYPE, "application/json")], "[]").into_response()
}

/// How long the demo's slow endpoint takes; its health threshold is lower.
const SLOW_SEARCH: Duration = Duration::from_millis(1200);

/// The watches the demo creates against a server at `base`, polled every
/// `every` (the demo may go below the 30 s minimum users get).
pub fn watches(base: &str, every: Duration) -> Vec<WatchSpec> {
    let mut out = vec![
        WatchSpec::new("petstore", Kind::OpenApi, &format!("{base}/openapi.yaml")),
        WatchSpec::new("models", Kind::Json, &format!("{base}/v1/models")),
        WatchSpec::new("changelog", Kind::Page, &format!("{base}/changelog")),
    ];
    out[1].item_key = Some("id".into());
    for w in &mut out {
        w.interval = every;
    }
    out
}

/// Adds the demo watches to `store`, with two endpoints of the petstore
/// probed by hand besides those its description gives (a flapping status
/// endpoint with conditions and a slow search), and an alert channel: a
/// webhook on the demo server itself, for every event.
pub fn add_watches(store: &mut Store, base: &str, every: Duration) -> Result<(), StoreError> {
    store.add_cache_target(
        "sim-provider",
        "openai",
        &format!("{base}/llm/v1"),
        None,
        &[
            "sim-small".to_string(),
            crate::demo_llm::FLAKY_MODEL.to_string(),
        ],
        &demo_cache_settings(every, true),
    )?;
    store.add_channel(
        "demo-hook",
        crate::store::alerts::ChannelKind::Webhook,
        &format!("{base}/hooks/alerts"),
        None,
        &crate::store::alerts::AlertEvent::RULES,
        None,
    )?;
    for spec in watches(base, every) {
        let watch = store.add_watch(&spec, false)?;
        if spec.name == "petstore" {
            // The demo's own API: its described endpoints are probed too.
            store.set_health_settings(watch.id, Some(true), None)?;
            store.add_manual_endpoint(
                watch.id,
                "GET",
                &format!("{base}/api/status"),
                &[
                    "status == 200".to_string(),
                    r#"body.$.status == "ok""#.to_string(),
                ],
                None,
            )?;
            store.add_manual_endpoint(
                watch.id,
                "GET",
                &format!("{base}/api/search?q=rex"),
                &[],
                Some(800),
            )?;
        }
    }
    Ok(())
}

/// The demo's caching suite: small prompts, a short TTL ladder, run
/// about as often as the watches are polled.
fn demo_cache_settings(every: Duration, simulated: bool) -> crate::store::caching::CacheSettings {
    crate::store::caching::CacheSettings {
        min_tokens: Some(if simulated { 256 } else { 0 }),
        ttl_secs: Some(60).filter(|_| simulated),
        price_input: Some(0.5),
        price_cached: Some(0.05),
        // A real server's cold prefill keeps both cores busy for seconds:
        // test it less often than the simulated one.
        every_secs: Some(if simulated {
            every.as_secs().max(10)
        } else {
            every.as_secs().max(60)
        }),
        ttl_ladder: vec![1, 3],
        persistence: Some(4),
        max_prompt_tokens: Some(1024),
        simulated,
        ..Default::default()
    }
}

/// llama.cpp's server from the fixture, when it is built; stopped on drop.
pub struct LlamaServer {
    child: Arc<std::sync::Mutex<std::process::Child>>,
    pub port: u16,
    /// The executable that was started.
    pub server: std::path::PathBuf,
    /// Where its stdout and stderr go.
    pub log: std::path::PathBuf,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The llama.cpp fixture's script: `$APIRADAR_LLAMA_FIXTURE`, else
/// `../shared/tools/llama-fixture.sh` beside the source tree this binary
/// was built from, else beside the current directory.
fn fixture_script() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("APIRADAR_LLAMA_FIXTURE") {
        return Some(p.into());
    }
    let relative = "../shared/tools/llama-fixture.sh";
    [
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative),
        std::path::PathBuf::from(relative),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// The server and model the fixture's `paths` command names
/// (`LLAMA_SERVER=…`, `LLAMA_MODEL=…`), so the demo runs whatever the
/// fixture builds (now `llama-server-portable`) under whatever name.
pub fn llama_fixture_paths(
    script: &std::path::Path,
) -> Result<(std::path::PathBuf, std::path::PathBuf), String> {
    let out = std::process::Command::new("bash")
        .arg(script)
        .arg("paths")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {} paths: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} paths failed ({})",
            script.display(),
            out.status
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .map(|v| std::path::PathBuf::from(v.trim()))
    };
    match (value("LLAMA_SERVER="), value("LLAMA_MODEL=")) {
        (Some(server), Some(model)) => Ok((server, model)),
        _ => Err(format!(
            "{} paths did not print LLAMA_SERVER= and LLAMA_MODEL=",
            script.display()
        )),
    }
}

/// Starts the fixture's server on a free port of 127.0.0.1 if the fixture
/// is built, its output going to `log`. `None` when it is not built (or
/// cannot be started: the demo then says why in its log).
pub fn start_llama(log: &std::path::Path) -> Option<LlamaServer> {
    let script = fixture_script()?;
    let (server, model) = match llama_fixture_paths(&script) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("llama.cpp fixture: {e}");
            return None;
        }
    };
    if !server.is_file() || !model.is_file() {
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .ok()?
        .port();
    let output = std::fs::File::create(log)
        .and_then(|f| Ok((f.try_clone()?, f)))
        .map_err(|e| tracing::warn!("cannot create {}: {e}", log.display()))
        .ok()?;
    let child = std::process::Command::new(&server)
        .arg("-m")
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["-c", "8192", "-np", "1"])
        .stdin(std::process::Stdio::null())
        .stdout(output.0)
        .stderr(output.1)
        .spawn()
        .map_err(|e| tracing::warn!("cannot start {}: {e}", server.display()))
        .ok()?;
    Some(LlamaServer {
        child: Arc::new(std::sync::Mutex::new(child)),
        port,
        server,
        log: log.to_path_buf(),
    })
}

/// What the demo needs to follow a started server: its process and log.
pub struct LlamaWatch {
    child: Arc<std::sync::Mutex<std::process::Child>>,
    port: u16,
    server: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl LlamaServer {
    pub fn watch(&self) -> LlamaWatch {
        LlamaWatch {
            child: Arc::clone(&self.child),
            port: self.port,
            server: self.server.clone(),
            log: self.log.clone(),
        }
    }
}

/// How many lines of a failed server's output the demo shows.
const LAST_LINES: usize = 5;

/// What the demo says when the server exited before it answered: its exit
/// status and the last lines it wrote (made safe to print).
fn exited_note(w: &LlamaWatch, status: std::process::ExitStatus) -> String {
    let text = std::fs::read(&w.log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let lines: Vec<String> = text
        .lines()
        .map(crate::text::one_line)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = &lines[lines.len().saturating_sub(LAST_LINES)..];
    let last = if tail.is_empty() {
        "it wrote nothing".to_string()
    } else {
        format!("its last output: {}", tail.join(" | "))
    };
    format!(
        "llama.cpp's server {} exited at start ({status}); {last}; the demo goes on without it (rebuild the fixture: bash ../shared/tools/llama-fixture.sh build)",
        w.server.display()
    )
}

/// Adds the llama.cpp server as a caching target once it answers (its
/// model takes a second or two to load), so its first run is not a
/// failure to connect. A server that exits first (a build that crashes on
/// this CPU, a missing library) is not waited for: `notes` gets what
/// happened, with its exit status and last output.
pub async fn add_llama_when_ready(
    store: crate::store::SharedStore,
    llama: LlamaWatch,
    every: Duration,
    notes: tokio::sync::mpsc::UnboundedSender<String>,
) {
    let client = reqwest::Client::new();
    let health = format!("http://127.0.0.1:{}/health", llama.port);
    for _ in 0..120 {
        let exited = llama
            .child
            .lock()
            .map(|mut c| c.try_wait().ok().flatten())
            .unwrap_or(None);
        if let Some(status) = exited {
            let note = exited_note(&llama, status);
            tracing::warn!("{note}");
            let _ = notes.send(note);
            return;
        }
        if client
            .get(&health)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            let settings = demo_cache_settings(every, false);
            let port = llama.port;
            let added = crate::store::with_store(&store, move |s| {
                s.add_cache_target(
                    "llama-cpp",
                    "llamacpp",
                    &format!("http://127.0.0.1:{port}/v1"),
                    None,
                    &["smollm2".to_string()],
                    &settings,
                )
            })
            .await;
            if let Err(e) = added {
                let note = format!("the llama.cpp caching target was not added: {e}");
                tracing::warn!("{note}");
                let _ = notes.send(note);
            }
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let note = format!(
        "llama.cpp's server {} did not answer within a minute; its caching target was not added (its output is in {})",
        llama.server.display(),
        llama.log.display()
    );
    tracing::warn!("{note}");
    let _ = notes.send(note);
}
