//! `apiradar health` end to end through the binary, against endpoints on
//! 127.0.0.1 that are healthy, slow, failing, flapping, closing the
//! connection, asking for credentials, or serving TLS with a certificate
//! close to expiry (generated here).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::common::{RawServer, Reply, Sandbox, Server};
use serde_json::Value;

/// An OpenAPI description whose server is `base` and whose GET operations
/// are `paths`.
fn spec(base: &str, paths: &[&str]) -> String {
    let mut out = format!(
        "openapi: 3.0.3\ninfo: {{title: probe, version: '1'}}\nservers:\n  - url: {base}\npaths:\n"
    );
    for p in paths {
        out.push_str(&format!(
            "  {p}:\n    get:\n      responses:\n        '200': {{description: ok}}\n"
        ));
    }
    // An unsafe operation and one with a required parameter without an
    // example: neither is probed.
    out.push_str(
        "  /orders:\n    post:\n      responses:\n        '201': {description: made}\n  /search:\n    get:\n      parameters:\n        - {name: q, in: query, required: true, schema: {type: string}}\n      responses:\n        '200': {description: ok}\n",
    );
    out
}

/// The endpoints of a `health --json` run, by URL path.
fn by_path(doc: &Value) -> std::collections::BTreeMap<String, Value> {
    doc["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let url = e["url"].as_str().unwrap_or_default();
            let path = url::Url::parse(url)
                .map(|u| u.path().to_string())
                .unwrap_or_default();
            (path, e.clone())
        })
        .collect()
}

fn health(sb: &Sandbox, args: &[&str], code: i32) -> Value {
    let mut all = vec!["health"];
    all.extend_from_slice(args);
    all.push("--json");
    sb.run(all).expect_code(code).json()
}

#[test]
fn endpoints_from_the_description_are_probed_and_classified() {
    let sb = Sandbox::new();
    let server = Server::start();
    let base = server.url("/v1");
    server.set(
        "/openapi.yaml",
        Reply::ok(spec(
            &base,
            &["/ok", "/slow", "/broken", "/private", "/missing"],
        )),
    );
    server.set("/v1/ok", Reply::ok("fine"));
    server.set(
        "/v1/slow",
        Reply::ok("late").delay(Duration::from_millis(600)),
    );
    server.set("/v1/broken", Reply::status(500, "oops"));
    server.set("/v1/private", Reply::status(401, "who are you"));
    server.set("/v1/missing", Reply::status(404, "gone"));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);

    let doc = health(&sb, &["api", "--degraded-after", "300ms"], 1);
    let eps = by_path(&doc);
    let state = |p: &str| eps[p]["state"].as_str().unwrap_or("?").to_string();
    assert_eq!(
        eps.len(),
        5,
        "POST and the un-fillable parameter are skipped: {doc:#}"
    );
    assert_eq!(state("/v1/ok"), "up");
    assert_eq!(state("/v1/slow"), "degraded");
    assert_eq!(state("/v1/broken"), "down");
    assert_eq!(state("/v1/private"), "auth");
    assert_eq!(state("/v1/missing"), "warn");
    assert_eq!(eps["/v1/broken"]["http_status"], 500);
    assert!(eps["/v1/slow"]["latency_ms"].as_i64().unwrap_or(0) >= 600);
    assert_eq!(server.hits("/orders"), 0);

    // Without --json: a table, the failure spelled out, exit 1.
    let out = sb.run(["health", "api"]).expect_code(1);
    assert!(out.text().contains("UP 24H"), "{}", out.text());
    assert!(out.text().contains("HTTP 500"), "{}", out.text());
}

#[test]
fn operations_are_turned_on_and_off_one_by_one() {
    let sb = Sandbox::new();
    let server = Server::start();
    let base = server.url("/v1");
    server.set("/openapi.yaml", Reply::ok(spec(&base, &["/ok", "/export"])));
    server.set("/v1/ok", Reply::ok("fine"));
    server.set("/v1/export", Reply::ok("big"));
    server.set("/v1/orders", Reply::status(201, "made"));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);

    // What is not probed, and why.
    let skipped = sb.ok(["health", "api", "--skipped"]);
    assert!(
        skipped.contains("POST /orders: POST is not a safe method"),
        "{skipped}"
    );
    assert!(skipped.contains("GET /search"), "{skipped}");
    assert_eq!(server.hits("/v1/ok"), 0, "--skipped does not probe");

    // The POST on, the expensive GET off.
    let doc = health(
        &sb,
        &[
            "api",
            "--enable",
            "POST /orders",
            "--disable",
            "get /export",
        ],
        0,
    );
    let eps = by_path(&doc);
    assert_eq!(
        eps.keys().collect::<Vec<_>>(),
        ["/v1/ok", "/v1/orders"],
        "{doc:#}"
    );
    assert_eq!(eps["/v1/orders"]["method"], "POST");
    assert_eq!(server.last_request("/v1/orders").method, "POST");
    assert_eq!(server.hits("/v1/export"), 0);

    // The choices outlive a new version of the description.
    server.set(
        "/openapi.yaml",
        Reply::ok(spec(&base, &["/ok", "/export", "/new"])),
    );
    server.set("/v1/new", Reply::ok("hi"));
    sb.ok(["refresh", "api"]);
    let eps = by_path(&health(&sb, &["api"], 0));
    assert_eq!(
        eps.keys().collect::<Vec<_>>(),
        ["/v1/new", "/v1/ok", "/v1/orders"]
    );
    // --reset goes back to the default.
    let eps = by_path(&health(
        &sb,
        &["api", "--reset", "GET /export", "--reset", "POST /orders"],
        0,
    ));
    assert_eq!(
        eps.keys().collect::<Vec<_>>(),
        ["/v1/export", "/v1/new", "/v1/ok"]
    );
    // An added endpoint probed with a header from the environment: the
    // reference is stored, never the value.
    server.set("/elsewhere/me", Reply::ok("you"));
    let out = sb.run_with(
        [
            "health",
            "api",
            "--add",
            &server.url("/elsewhere/me"),
            "-H",
            "Authorization: Bearer ${PROBE_TOKEN}",
        ],
        |c| {
            c.env("PROBE_TOKEN", "t0ken-Secret-42");
        },
    );
    assert_eq!(out.code, Some(0), "{}", out.all_output());
    assert_eq!(
        server.last_request("/elsewhere/me").header("authorization"),
        Some("Bearer t0ken-Secret-42")
    );
    assert!(sb.files_containing(b"t0ken-Secret-42").is_empty());
    let out = sb
        .run([
            "health",
            "api",
            "--add",
            &server.url("/x"),
            "-H",
            "Authorization: Bearer abc",
        ])
        .expect_code(2);
    assert!(
        out.all_output().contains("Authorization"),
        "{}",
        out.all_output()
    );
    // A malformed operation is a usage error.
    let out = sb
        .run(["health", "api", "--enable", "orders"])
        .expect_code(2);
    assert!(
        out.all_output().contains("'METHOD /path'"),
        "{}",
        out.all_output()
    );
}

#[test]
fn flapping_endpoints_count_failures_and_uptime() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set(
        "/openapi.yaml",
        Reply::ok(spec(&server.url(""), &["/flap"])),
    );
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);
    let mut failures = Vec::new();
    for round in 0..4 {
        let up = round % 2 == 0;
        server.set(
            "/flap",
            if up {
                Reply::ok("ok")
            } else {
                Reply::status(503, "busy")
            },
        );
        let doc = health(&sb, &["api"], if up { 0 } else { 1 });
        let e = &by_path(&doc)["/flap"];
        failures.push(e["consecutive_failures"].as_i64().unwrap_or(-1));
        if round == 3 {
            assert_eq!(e["uptime_24h"].as_f64(), Some(0.5), "{e:#}");
        }
    }
    assert_eq!(failures, [0, 1, 0, 1]);
}

#[test]
fn added_endpoints_with_conditions_and_dropped_connections() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/openapi.yaml", Reply::ok(spec(&server.url(""), &[])));
    server.set(
        "/status",
        Reply::ok(r#"{"status": "degraded"}"#).header("content-type", "application/json"),
    );
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);
    // A bad condition is a usage error, before anything is stored.
    let out = sb
        .run([
            "health",
            "api",
            "--add",
            &server.url("/status"),
            "--condition",
            "status ==",
        ])
        .expect_code(2);
    assert!(out.stderr.contains("--condition"), "{}", out.stderr);
    let doc = health(
        &sb,
        &[
            "api",
            "--add",
            &server.url("/status"),
            "--condition",
            "status == 200",
            "--condition",
            r#"body.$.status == "ok""#,
        ],
        1,
    );
    let e = &by_path(&doc)["/status"];
    assert_eq!(e["state"], "down", "{e:#}");
    assert!(
        e["error"].as_str().unwrap_or("").contains("body.$.status"),
        "{e:#}"
    );

    // A server that accepts and hangs up at once.
    let raw = RawServer::start(Vec::new());
    let doc = health(&sb, &["api", "--add", &raw.url("/")], 1);
    let e = &by_path(&doc)["/"];
    assert_eq!(e["state"], "down", "{e:#}");
    assert_eq!(e["error_class"], "connect", "{e:#}");
}

// ---- TLS with a certificate close to expiry ----

struct TlsServer {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A CA and a `localhost` certificate signed by it that expires in
/// `days`, served over HTTPS on 127.0.0.1 answering `200 ok` to anything.
/// Returns the server and the CA's PEM.
fn tls_server(days: i64) -> (TlsServer, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("the CA");
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    // rcgen takes a date (midnight UTC): the day after `days` from now
    // leaves between `days` and `days + 1` days.
    let expiry = chrono::Utc::now() + chrono::Duration::days(days + 1);
    use chrono::Datelike;
    params.not_after =
        rcgen::date_time_ymd(expiry.year(), expiry.month() as u8, expiry.day() as u8);
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("the certificate");

    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        tokio_rustls::rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("a server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = Arc::clone(&stop);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stopping.load(Ordering::Relaxed) {
                break;
            }
            let Ok(mut tcp) = stream else { continue };
            let Ok(mut conn) = tokio_rustls::rustls::ServerConnection::new(Arc::clone(&config))
            else {
                continue;
            };
            std::thread::spawn(move || {
                let mut tls = tokio_rustls::rustls::Stream::new(&mut conn, &mut tcp);
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf);
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                let _ = tls.flush();
            });
        }
    });
    (TlsServer { port, stop }, ca.pem())
}

#[test]
fn tls_certificates_close_to_expiry_are_seen() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/openapi.yaml", Reply::ok(spec(&server.url(""), &[])));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);
    let (tls, ca) = tls_server(5);
    let ca_file = sb.write("ca.pem", ca);
    let url = format!("https://localhost:{}/", tls.port);

    // Not trusted: a TLS failure.
    let doc = health(&sb, &["api", "--add", &url], 1);
    let e = &by_path(&doc)["/"];
    assert_eq!(e["error_class"], "tls", "{e:#}");

    // Trusted: up, five days left; a condition asking for two weeks fails.
    let ca_arg = ca_file.display().to_string();
    let doc = health(&sb, &["api", "--ca-cert", &ca_arg], 0);
    let e = &by_path(&doc)["/"];
    assert_eq!(e["state"], "up", "{e:#}");
    assert_eq!(e["cert_days"], 5, "{e:#}");
    // A new connection was opened: its set-up (TCP and the TLS handshake)
    // is timed, and comes before the first byte.
    let connect = e["connect_ms"].as_i64().expect("connect_ms measured");
    let ttfb = e["ttfb_ms"].as_i64().expect("ttfb_ms measured");
    assert!(connect <= ttfb, "{e:#}");
    let doc = health(
        &sb,
        &[
            "api",
            "--add",
            &url,
            "--condition",
            "connect < 30s",
            "--ca-cert",
            &ca_arg,
        ],
        0,
    );
    let e = &by_path(&doc)["/"];
    assert_eq!(e["notes"], serde_json::json!([]), "judged, and held: {e:#}");
    let doc = health(
        &sb,
        &[
            "api",
            "--add",
            &url,
            "--condition",
            "cert_days > 14",
            "--ca-cert",
            &ca_arg,
        ],
        1,
    );
    let e = &by_path(&doc)["/"];
    assert_eq!(e["state"], "down", "{e:#}");
    assert!(
        e["error"].as_str().unwrap_or("").contains("cert_days"),
        "{e:#}"
    );
}

#[test]
fn the_scheduler_probes_in_rounds_and_reports_each() {
    use apiradar::health::{Schedule, check::ProbeConfig, check::Prober, schedule};
    use apiradar::pipeline::worker::WorkerEvent;
    use apiradar::store::Store;
    use apiradar::watch::{Kind, WatchSpec};
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.set("/up", Reply::ok("ok"));
    server.set("/down", Reply::status(502, "bad gateway"));
    let mut store = Store::open(&dir.path().join("h.db")).expect("store");
    let w = store
        .add_watch(
            &WatchSpec::new("api", Kind::Json, &server.url("/models")),
            false,
        )
        .expect("watch");
    let up = store
        .add_manual_endpoint(w.id, "GET", &server.url("/up"), &[], None)
        .expect("endpoint");
    store
        .add_manual_endpoint(w.id, "GET", &server.url("/down"), &[], None)
        .expect("endpoint");
    let shared = Arc::new(std::sync::Mutex::new(store));
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let events = runtime.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<WorkerEvent>();
        let task = tokio::spawn(schedule(
            Arc::clone(&shared),
            Prober::new(ProbeConfig::default()).expect("prober"),
            Schedule {
                every: Duration::from_millis(200),
                ..Schedule::default()
            },
            Some(tx),
        ));
        let mut events = Vec::new();
        while events.len() < 3 {
            match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
                Ok(Some(e)) => events.push(e),
                _ => break,
            }
        }
        task.abort();
        events
    });
    assert_eq!(events.len(), 3, "{events:?}");
    for e in &events {
        assert_eq!(
            e,
            &WorkerEvent::HealthChecked {
                name: "api".into(),
                checked: 2,
                down: 1
            }
        );
    }
    let store = shared.lock().expect("lock");
    assert!(store.checks(up.id, 10).expect("checks").len() >= 3);
    assert_eq!(server.hits("/down"), server.hits("/up"));
}

#[test]
fn required_bodies_come_from_examples_and_bodies_can_be_given_by_hand() {
    let sb = Sandbox::new();
    let server = Server::start();
    let base = server.url("/v1");
    let spec = format!(
        "openapi: 3.0.3\ninfo: {{title: bodies, version: '1'}}\nservers:\n  - url: {base}\npaths:\n  \
         /search:\n    post:\n      requestBody:\n        required: true\n        content:\n          \
         application/json:\n            example: {{q: rex, limit: 2}}\n      responses:\n        '200': {{description: ok}}\n  \
         /bare:\n    post:\n      requestBody:\n        required: true\n        content:\n          \
         application/json:\n            schema: {{type: object}}\n      responses:\n        '200': {{description: ok}}\n"
    );
    server.set("/openapi.yaml", Reply::ok(spec));
    server.set("/v1/search", Reply::ok(r#"{"hits": 1}"#));
    server.set("/v1/bare", Reply::ok("{}"));
    server.set("/v1/chat", Reply::ok(r#"{"ok": true}"#));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);

    // Turned on, the search is sent its example; the other has none and
    // stays skipped, saying so.
    let doc = health(
        &sb,
        &["api", "--enable", "POST /search", "--enable", "POST /bare"],
        0,
    );
    assert_eq!(by_path(&doc)["/v1/search"]["state"], "up", "{doc:#}");
    let seen = server.last_request("/v1/search");
    assert_eq!(seen.method, "POST");
    assert_eq!(seen.header("content-type"), Some("application/json"));
    let sent: Value = serde_json::from_slice(&seen.body).expect("a JSON body");
    assert_eq!(sent, serde_json::json!({"q": "rex", "limit": 2}));
    assert_eq!(server.hits("/v1/bare"), 0);
    let skipped = sb.ok(["health", "api", "--skipped"]);
    assert!(
        skipped.contains(
            "POST /bare: it requires a request body and the description gives no example"
        ),
        "{skipped}"
    );

    // By hand, with a reference resolved when probing; the value is never
    // stored.
    let body = r#"{"model": "m", "max_tokens": 1, "user": "${PROBE_USER}"}"#;
    let chat = server.url("/v1/chat");
    let out = sb
        .run_with(
            [
                "health", "api", "--add", &chat, "--method", "POST", "--body", body, "--json",
            ],
            |c| {
                c.env("PROBE_USER", "probe-7f3a");
            },
        )
        .expect_code(0);
    assert_eq!(by_path(&out.json())["/v1/chat"]["state"], "up");
    let sent: Value =
        serde_json::from_slice(&server.last_request("/v1/chat").body).expect("a JSON body");
    assert_eq!(sent["user"], "probe-7f3a");
    assert!(sb.files_containing(b"probe-7f3a").is_empty());

    // Without the variable the probe cannot be made: down, saying why.
    let doc = health(&sb, &["api"], 1);
    let e = &by_path(&doc)["/v1/chat"];
    assert_eq!(e["error_class"], "config", "{e:#}");
    assert!(
        e["error"]
            .as_str()
            .unwrap_or("")
            .contains("PROBE_USER is not set"),
        "{e:#}"
    );

    // A body that claims to be JSON and is not is refused before storing.
    let out = sb
        .run([
            "health", "api", "--add", &chat, "--method", "POST", "--body", "{oops",
        ])
        .expect_code(2);
    assert!(out.stderr.contains("--body is not JSON"), "{}", out.stderr);
}

#[test]
fn adding_an_endpoint_checks_only_the_endpoint_it_adds() {
    let sb = Sandbox::new();
    let server = Server::start();
    let base = server.url("/v1");
    server.set("/openapi.yaml", Reply::ok(spec(&base, &["/ok", "/other"])));
    server.set("/v1/ok", Reply::ok("fine"));
    server.set("/v1/other", Reply::ok("fine"));
    server.set("/extra", Reply::ok("fine"));
    server.set("/extra2", Reply::ok("fine"));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);
    let doc = health(&sb, &["api", "--add", &server.url("/extra")], 0);
    assert_eq!(
        by_path(&doc).keys().collect::<Vec<_>>(),
        ["/extra"],
        "{doc:#}"
    );
    let doc = health(&sb, &["api", "--add", &server.url("/extra2")], 0);
    assert_eq!(by_path(&doc).keys().collect::<Vec<_>>(), ["/extra2"]);
    assert_eq!(server.hits("/v1/ok"), 0);
    assert_eq!(server.hits("/v1/other"), 0);
    assert_eq!(server.hits("/extra"), 1);
    // A plain run checks them all, the added ones too.
    let doc = health(&sb, &["api"], 0);
    assert_eq!(
        by_path(&doc).keys().collect::<Vec<_>>(),
        ["/extra", "/extra2", "/v1/ok", "/v1/other"]
    );
    assert_eq!(server.hits("/extra"), 2);
}
