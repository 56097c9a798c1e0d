//! Prompt-caching tests end to end.
//!
//! - Against a real LLM server: llama.cpp's `llama-server` with a small
//!   model, built by `../shared/tools/llama-fixture.sh` (`.ci/run` builds
//!   it when missing). Without `../shared` or the built fixture the test
//!   says so and skips.
//! - Against a provider on 127.0.0.1 that rate-limits, breaks its cache on
//!   demand and fails: `Retry-After`, the daily budget, failure streaks and
//!   the caching regression alert.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::{self, Sandbox};
use serde_json::{Value, json};

/// `../shared/tools/llama-fixture.sh`, when it is there.
fn fixture_script() -> Option<PathBuf> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/llama-fixture.sh");
    script.is_file().then_some(script)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The llama.cpp server, stopped on drop.
struct Llama {
    child: Child,
    port: u16,
}

impl Drop for Llama {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_llama(script: &PathBuf) -> Option<Llama> {
    let paths = Command::new("bash")
        .arg(script)
        .arg("paths")
        .output()
        .ok()?;
    let paths = String::from_utf8_lossy(&paths.stdout).to_string();
    let get = |key: &str| {
        paths
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(PathBuf::from)
    };
    let (server, model) = (get("LLAMA_SERVER")?, get("LLAMA_MODEL")?);
    if !server.is_file() || !model.is_file() {
        return None;
    }
    let port = free_port();
    // Started directly (not through the script) so the test owns the
    // process and stops it.
    let child = Command::new(&server)
        .args(["-m"])
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["-c", "8192", "-np", "1", "-t", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let llama = Llama { child, port };
    let start = Instant::now();
    let healthy = || -> bool {
        use std::io::{Read, Write};
        let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
        let mut answer = String::new();
        s.write_all(b"GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .is_ok()
            && s.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 200")
    };
    loop {
        if healthy() {
            return Some(llama);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "llama-server did not start"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_whole_suite_passes_against_llama_cpp() {
    let Some(script) = fixture_script() else {
        eprintln!(
            "skipped: ../shared is not beside this checkout, so there is no llama.cpp fixture"
        );
        return;
    };
    let Some(llama) = start_llama(&script) else {
        eprintln!(
            "skipped: the llama.cpp fixture is not built; run `bash ../shared/tools/llama-fixture.sh build` (about 10 minutes)"
        );
        return;
    };
    let sb = Sandbox::new();
    let base = format!("http://127.0.0.1:{}/v1", llama.port);
    sb.ok([
        "cache",
        "add",
        "llama",
        "--profile",
        "llamacpp",
        "--base-url",
        &base,
        "--model",
        "smollm2",
        "--ttl-ladder",
        "1s,3s",
        "--persistence",
        "5",
        "--max-prompt-tokens",
        "1200",
        "--watch-catalog",
    ]);
    // The model catalog is watched too.
    let refreshed = sb.ok(["refresh", "llama-models"]);
    assert!(refreshed.contains("new"), "{refreshed}");
    let started = Instant::now();
    // Cold prefill runs at about 250 tokens/s on two cores: allow minutes.
    let doc = sb
        .run_with(["cache-test", "llama", "--json", "--curl"], |c| {
            c.timeout(Duration::from_secs(900));
        })
        .expect_code(0)
        .json();
    let took = started.elapsed();
    let run = &doc["runs"][0];
    let results = run["results"].as_array().cloned().unwrap_or_default();
    let verdicts: Vec<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["test"].as_str().unwrap_or("?").to_string(),
                r["verdict"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    eprintln!("llama.cpp suite took {took:?}:");
    for r in &results {
        eprintln!(
            "  {:<14} {:<5} {}",
            r["test"].as_str().unwrap_or(""),
            r["verdict"].as_str().unwrap_or(""),
            r["summary"].as_str().unwrap_or("")
        );
    }
    assert_eq!(verdicts.len(), 7, "{doc:#}");
    assert!(
        verdicts.iter().all(|(_, v)| v == "pass"),
        "every test passes against a server that caches every prefix: {verdicts:?}"
    );
    // The repeat of the identical test read nearly all of its prompt.
    let identical = &results[0]["exchanges"][1]["usage"];
    let (cached, prompt) = (
        identical["cached_tokens"].as_i64().unwrap_or(0),
        identical["prompt_tokens"].as_i64().unwrap_or(1),
    );
    assert!(cached * 10 >= prompt * 9, "{identical}");
    assert!(
        results[0]["curl"]
            .as_str()
            .unwrap_or("")
            .starts_with("curl -sS 'http://127.0.0.1:")
    );

    // Stored: history, and the list with a reliability score.
    let history = sb.json(["cache", "history", "llama", "--json"]);
    assert_eq!(
        history["runs"][0]["results"].as_array().map(Vec::len),
        Some(7)
    );
    let list = sb.json(["cache", "list", "--json"]);
    assert_eq!(list["targets"][0]["reliability"], 100);
    // The provider's model list.
    let models = sb.ok(["cache", "models", "llama"]);
    assert!(models.contains("SmolLM2"), "{models}");

    // The same server through a streamed answer's final chunk, and through
    // its Anthropic-style /v1/messages with cache_control markers.
    for (name, extra) in [("streamed", "--stream"), ("messages", "--api=messages")] {
        sb.ok([
            "cache",
            "add",
            name,
            "--profile",
            "llamacpp",
            "--base-url",
            &base,
            "--model",
            "smollm2",
            "--max-prompt-tokens",
            "600",
            extra,
        ]);
        let doc = sb
            .run_with(
                ["cache-test", name, "--tests", "identical", "--json"],
                |c| {
                    c.timeout(Duration::from_secs(300));
                },
            )
            .expect_code(0)
            .json();
        let r = &doc["runs"][0]["results"][0];
        eprintln!("  {name}: {} {}", r["verdict"], r["summary"]);
        assert_eq!(r["verdict"], "pass", "{doc:#}");
    }
}

/// A provider on 127.0.0.1: caches whole prompts it has seen (when
/// `caching` is on), answers the first request of each `rate_limit`
/// window with 429, and fails with 500 while `broken`.
struct Provider {
    url: String,
    caching: Arc<AtomicBool>,
    broken: Arc<AtomicBool>,
    limited: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

fn provider() -> Provider {
    use axum::body::Bytes;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let caching = Arc::new(AtomicBool::new(true));
    let broken = Arc::new(AtomicBool::new(false));
    let limited = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(
        std::collections::HashSet::<String>::new(),
    ));
    let (c, b, l, n) = (
        caching.clone(),
        broken.clone(),
        limited.clone(),
        requests.clone(),
    );
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |body: Bytes| {
            let (c, b, l, n, seen) = (c.clone(), b.clone(), l.clone(), n.clone(), seen.clone());
            async move {
                n.fetch_add(1, Ordering::SeqCst);
                if l.load(Ordering::SeqCst) > 0 {
                    l.fetch_sub(1, Ordering::SeqCst);
                    return (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")], "slow down".to_string())
                        .into_response();
                }
                if b.load(Ordering::SeqCst) {
                    return (StatusCode::INTERNAL_SERVER_ERROR, [("x-a", "b")], r#"{"error":{"message":"overloaded"}}"#.to_string()).into_response();
                }
                let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let text = v["messages"].to_string();
                let prompt = (text.len() / 4) as i64;
                let hit = c.load(Ordering::SeqCst) && !seen.lock().expect("lock").insert(text);
                let body = json!({
                    "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                    "usage": {"prompt_tokens": prompt, "completion_tokens": 1,
                              "prompt_tokens_details": {"cached_tokens": if hit { prompt - 1 } else { 0 }}}
                });
                (StatusCode::OK, [("content-type", "application/json")], body.to_string()).into_response()
            }
        }),
    );
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().expect("addr"));
    runtime.spawn(async move { axum::serve(listener, app).await });
    Provider {
        url,
        caching,
        broken,
        limited,
        requests,
        _runtime: runtime,
    }
}

#[test]
fn rate_limits_budgets_failures_and_regressions() {
    let sb = Sandbox::new();
    let p = provider();
    let hook = common::Server::start();
    hook.set("/hook", common::Reply::ok("thanks"));
    sb.ok([
        "alert",
        "add",
        "hook",
        "--webhook",
        &hook.url("/hook"),
        "--on",
        "caching",
    ]);
    sb.ok([
        "cache",
        "add",
        "sim",
        "--profile",
        "vllm",
        "--base-url",
        &p.url,
        "--model",
        "m1",
        "--min-tokens",
        "0",
    ]);
    let identical = |sb: &Sandbox, code: i32| -> Value {
        sb.run(["cache-test", "sim", "--tests", "identical", "--json"])
            .expect_code(code)
            .json()
    };

    // A 429 is waited out as Retry-After says, and the test still passes.
    p.limited.store(1, Ordering::SeqCst);
    let doc = identical(&sb, 0);
    let first = &doc["runs"][0]["results"][0];
    assert_eq!(first["verdict"], "pass", "{doc:#}");
    assert_eq!(first["exchanges"][0]["retries"], 1);

    // Caching silently stops: three failed runs after a pass raise one
    // `caching` alert, delivered by the command.
    p.caching.store(false, Ordering::SeqCst);
    for _ in 0..3 {
        let doc = identical(&sb, 1);
        assert_eq!(doc["runs"][0]["results"][0]["verdict"], "fail");
    }
    identical(&sb, 1);
    let alerts = sb.json(["alerts", "--json"]);
    let events: Vec<&str> = alerts["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["event"].as_str())
        .collect();
    assert_eq!(events, ["caching"], "{alerts:#}");
    assert_eq!(hook.hits("/hook"), 1);

    // A provider failing: inconclusive (not a cache verdict), counted as a
    // failed run like the four above; the fifth in a row rests the model.
    // The test could not run, so the command exits 1.
    p.broken.store(true, Ordering::SeqCst);
    let doc = identical(&sb, 1);
    let r = &doc["runs"][0]["results"][0];
    assert_eq!(r["verdict"], "inconclusive");
    assert!(
        r["summary"]
            .as_str()
            .unwrap_or("")
            .contains("HTTP 500: overloaded"),
        "{r}"
    );
    let list = sb.json(["cache", "list", "--json"]);
    assert_eq!(list["targets"][0]["state"]["consecutive_failures"], 5);
    assert_eq!(list["targets"][0]["standing"]["state"], "resting");
    // Resting: nothing is sent unless forced.
    let before = p.requests.load(Ordering::SeqCst);
    let out = sb
        .run(["cache-test", "sim", "--tests", "identical"])
        .expect_code(1)
        .all_output();
    assert!(
        out.contains("resting until") && out.contains("--force"),
        "{out}"
    );
    assert_eq!(p.requests.load(Ordering::SeqCst), before);
    p.broken.store(false, Ordering::SeqCst);
    p.caching.store(true, Ordering::SeqCst);
    for _ in 0..2 {
        sb.run(["cache-test", "sim", "--tests", "identical", "--force"])
            .expect_code(0);
    }
    let list = sb.json(["cache", "list", "--json"]);
    assert_eq!(list["targets"][0]["standing_text"], "ok", "{list:#}");

    // The daily budget stops the suite before it is exceeded.
    sb.ok(["cache", "remove", "sim"]);
    sb.ok([
        "cache",
        "add",
        "sim",
        "--profile",
        "vllm",
        "--base-url",
        &p.url,
        "--model",
        "m1",
        "--daily-budget",
        "3000",
    ]);
    let before = p.requests.load(Ordering::SeqCst);
    // Stopping at the budget is not a failed test.
    let doc = sb.json(["cache-test", "sim", "--json"]);
    let stopped = doc["runs"][0]["stopped"].as_str().unwrap_or("");
    assert!(stopped.contains("daily budget of 3000 tokens"), "{doc:#}");
    let sent = p.requests.load(Ordering::SeqCst) - before;
    let used: i64 = doc["runs"][0]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["exchanges"].as_array().cloned().unwrap_or_default())
        .map(|e| e["usage"]["prompt_tokens"].as_i64().unwrap_or(0) + 1)
        .sum();
    assert!(
        sent > 0 && used <= 3000,
        "sent {sent} requests, {used} tokens"
    );

    // A provider of one's own: the cached count where a pointer says; a
    // field the answers lack is "not reported", not a failed cache.
    for (name, pointer, verdict) in [
        ("own", "/usage/prompt_tokens_details/cached_tokens", "pass"),
        ("silent", "/usage/nope", "inconclusive"),
    ] {
        sb.ok([
            "cache",
            "add",
            name,
            "--profile",
            "vllm",
            "--base-url",
            &p.url,
            "--model",
            "m1",
            "--cached-field",
            pointer,
        ]);
        let doc = sb.json(["cache-test", name, "--tests", "identical", "--json"]);
        let r = &doc["runs"][0]["results"][0];
        assert_eq!(r["verdict"], verdict, "{doc:#}");
        if verdict == "inconclusive" {
            assert_eq!(r["summary"], "the provider does not report cached tokens");
        }
    }
    let bad = sb
        .run([
            "cache",
            "add",
            "x",
            "--profile",
            "vllm",
            "--base-url",
            &p.url,
            "--model",
            "m",
            "--cached-field",
            "usage.cached",
        ])
        .expect_code(2);
    assert!(
        bad.all_output().contains("JSON pointer"),
        "{}",
        bad.all_output()
    );
}
