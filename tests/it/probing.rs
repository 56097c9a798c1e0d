//! Probing is opt-in, and a description cannot send probes where they must
//! not go (issue 13, item 5): imported watches are never probed, servers
//! on metadata, link-local or (for a watch that is not itself local)
//! loopback addresses are refused and listed, header parameters never set
//! `Host`, `Cookie` or forwarding headers, a GET never carries a body, and
//! an operation turned on by hand is held when the description moves it to
//! another server or changes its body. Every receiver is a real server on
//! 127.0.0.1 that records what it got.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Reply, Sandbox, Server};
use serde_json::Value;

/// An OpenAPI 3 description with `servers: [base]` and `paths` (YAML
/// fragments, indented under `paths:`).
fn described(base: &str, paths: &str) -> String {
    format!(
        "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\nservers:\n  - url: {base}\npaths:\n{paths}"
    )
}

const PETS: &str = "  /pets:\n    get:\n      responses:\n        '200': {description: ok}\n";

/// The URLs of the endpoints a `health --json` run probed.
fn probed(doc: &Value) -> Vec<String> {
    doc["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {}",
                e["method"].as_str().unwrap_or("?"),
                e["url"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn not_probed(doc: &Value) -> Vec<String> {
    doc["not_probed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} {}: {}",
                e["method"].as_str().unwrap_or("?"),
                e["url"].as_str().unwrap_or("?"),
                e["reason"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[test]
fn an_imported_watch_is_never_probed_until_health_is_turned_on() {
    let sb = Sandbox::new();
    let vendor = Server::start();
    vendor.set("/v1/pets", Reply::ok("[]"));
    let file = sb.write("vendor.yaml", described(&vendor.url("/v1"), PETS));
    // Imported from a local file, for a watch that will poll the vendor
    // (on 127.0.0.1 here, so the target policy lets its servers through).
    sb.ok([
        "import",
        "vendor",
        file.to_str().expect("a UTF-8 path"),
        "--location",
        &vendor.url("/openapi.yaml"),
    ]);

    // `health` over every watch lists the endpoint and says why it is not
    // probed; nothing reaches the vendor.
    let doc = sb.json(["health", "--json"]);
    assert!(probed(&doc).is_empty(), "{doc:#}");
    let listed = not_probed(&doc);
    assert_eq!(listed.len(), 1, "{doc:#}");
    assert!(
        listed[0].contains("/v1/pets: not probed: health is off for this watch; turn on with `apiradar health vendor --enable-all`"),
        "{listed:?}"
    );
    let text = sb.ok(["health", "vendor"]);
    assert!(text.contains("health is off for this watch"), "{text}");
    assert_eq!(vendor.hits("/v1/pets"), 0);

    // Neither does the scheduler the dashboard and `run` start: two rounds,
    // counted by another watch's endpoint added by hand (consent), and the
    // vendor still got nothing.
    let marker = Server::start();
    marker.set("/up", Reply::ok("ok"));
    {
        use apiradar::health::{Schedule, check::ProbeConfig, check::Prober, schedule};
        use apiradar::pipeline::worker::WorkerEvent;
        use apiradar::store::Store;
        use apiradar::watch::{Kind, WatchSpec};
        let mut store = Store::open(&sb.db()).expect("store");
        let w = store
            .add_watch(
                &WatchSpec::new("marker", Kind::Json, &marker.url("/models")),
                false,
            )
            .expect("watch");
        store
            .add_manual_endpoint(w.id, "GET", &marker.url("/up"), &[], None)
            .expect("endpoint");
        let shared = Arc::new(std::sync::Mutex::new(store));
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let rounds = runtime.block_on(async {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let task = tokio::spawn(schedule(
                Arc::clone(&shared),
                Prober::new(ProbeConfig::default()).expect("prober"),
                Schedule {
                    every: Duration::from_millis(100),
                    ..Schedule::default()
                },
                Some(tx),
            ));
            let mut rounds = Vec::new();
            while rounds.iter().filter(|(n, _)| n == "marker").count() < 2 {
                match tokio::time::timeout(Duration::from_secs(20), rx.recv()).await {
                    Ok(Some(WorkerEvent::HealthChecked { name, checked, .. })) => {
                        rounds.push((name, checked));
                    }
                    Ok(Some(_)) => {}
                    _ => break,
                }
            }
            task.abort();
            rounds
        });
        assert_eq!(
            rounds,
            [("marker".to_string(), 1), ("marker".to_string(), 1)],
            "only the endpoint added by hand is probed"
        );
    }
    assert!(marker.hits("/up") >= 2);
    assert_eq!(vendor.hits("/v1/pets"), 0, "the imported watch was probed");

    // Turned on, it is probed.
    let doc = sb.json(["health", "vendor", "--enable-all", "--json"]);
    assert_eq!(
        probed(&doc),
        [format!("GET {}", vendor.url("/v1/pets"))],
        "{doc:#}"
    );
    assert_eq!(vendor.hits("/v1/pets"), 1);
    // And off again.
    let doc = sb.json(["health", "vendor", "--disable-all", "--json"]);
    assert!(probed(&doc).is_empty(), "{doc:#}");
    assert_eq!(vendor.hits("/v1/pets"), 1);
}

#[test]
fn metadata_and_private_servers_in_a_description_are_refused_and_listed() {
    let sb = Sandbox::new();
    let docs = Server::start();
    // OpenAPI `servers` on the metadata address, per operation too.
    docs.set(
        "/meta.yaml",
        Reply::ok(described(
            "http://169.254.169.254/",
            "  /latest/meta-data/iam/security-credentials/:\n    get:\n      responses:\n        '200': {description: ok}\n  \
             /v6:\n    get:\n      servers: [{url: 'http://[fd00:ec2::254]/'}]\n      responses:\n        '200': {description: ok}\n  \
             /gce:\n    get:\n      servers: [{url: 'http://metadata.google.internal/computeMetadata/v1'}]\n      responses:\n        '200': {description: ok}\n  \
             /any:\n    get:\n      servers: [{url: 'http://0.0.0.0:8080/'}]\n      responses:\n        '200': {description: ok}\n",
        )),
    );
    // Swagger `host` on link-local.
    docs.set(
        "/swagger.yaml",
        Reply::ok(
            "swagger: '2.0'\ninfo: {title: t, version: '1'}\nhost: 169.254.10.1\nschemes: [http]\npaths:\n  /x:\n    get:\n      responses:\n        '200': {description: ok}\n",
        ),
    );
    sb.ok([
        "add",
        "meta",
        &docs.url("/meta.yaml"),
        "--health",
        "--allow-private",
    ]);
    sb.ok([
        "add",
        "swag",
        &docs.url("/swagger.yaml"),
        "--health",
        "--allow-private",
    ]);
    sb.ok(["refresh"]);

    let skipped = sb.ok(["health", "meta", "--skipped"]);
    for (op, why) in [
        (
            "GET /latest/meta-data/iam/security-credentials/",
            "169.254.169.254 is a cloud metadata service (never probed)",
        ),
        ("GET /v6", "[fd00:ec2::254] is a cloud metadata service"),
        (
            "GET /gce",
            "metadata.google.internal is a cloud metadata service",
        ),
        ("GET /any", "0.0.0.0 is an unspecified address"),
    ] {
        assert!(
            skipped.contains(&format!("meta  {op}: refused by the target policy: {why}")),
            "{op}: {skipped}"
        );
    }
    let skipped = sb.ok(["health", "swag", "--skipped"]);
    assert!(
        skipped.contains("GET /x: refused by the target policy: 169.254.10.1 is a link-local address (never probed)"),
        "{skipped}"
    );
    // Nothing left to probe, and nothing was: the probe would have gone
    // to the refused addresses.
    let doc = sb.json(["health", "meta", "swag", "--json"]);
    assert!(probed(&doc).is_empty(), "{doc:#}");

    // A description read from a file (not on 127.0.0.1) naming a server on
    // loopback: refused unless the user allows private targets.
    let api = Server::start();
    api.set("/v1/pets", Reply::ok("[]"));
    let file = sb.write("local.yaml", described(&api.url("/v1"), PETS));
    sb.ok([
        "add",
        "local",
        file.to_str().expect("a UTF-8 path"),
        "--health",
    ]);
    sb.ok(["refresh", "local"]);
    let skipped = sb.ok(["health", "local", "--skipped"]);
    assert!(
        skipped.contains("GET /pets: refused by the target policy: 127.0.0.1 is a loopback address (allowed only when the watch itself is on such an address or with --allow-private)"),
        "{skipped}"
    );
    sb.ok(["health", "local"]);
    assert_eq!(api.hits("/v1/pets"), 0);
    sb.ok(["health", "local", "--allow-private"]);
    assert_eq!(api.hits("/v1/pets"), 1);
}

#[test]
fn header_parameters_never_set_host_cookies_or_forwarding_headers() {
    let sb = Sandbox::new();
    let server = Server::start();
    let param = |name: &str, location: &str, example: &str| {
        format!(
            "        - {{name: '{name}', in: {location}, required: true, example: '{example}'}}\n"
        )
    };
    let op = |path: &str, params: &[String]| {
        format!(
            "  {path}:\n    get:\n      parameters:\n{}      responses:\n        '200': {{description: ok}}\n",
            params.concat()
        )
    };
    let paths = [
        op("/host", &[param("Host", "header", "169.254.169.254")]),
        op("/cookie", &[param("Cookie", "header", "session=stolen")]),
        op("/session", &[param("session", "cookie", "stolen")]),
        op("/xff", &[param("X-Forwarded-For", "header", "127.0.0.1")]),
        op("/real", &[param("X-Real-IP", "header", "10.0.0.1")]),
        op(
            "/hop",
            &[param("Connection", "header", "close, authorization")],
        ),
        op("/length", &[param("Content-Length", "header", "5")]),
        op("/trace", &[param("X-Trace", "header", "t-1")]),
    ]
    .concat();
    server.set(
        "/openapi.yaml",
        Reply::ok(described(&server.url("/v1"), &paths)),
    );
    for p in [
        "host", "cookie", "session", "xff", "real", "hop", "length", "trace",
    ] {
        server.set(&format!("/v1/{p}"), Reply::ok("ok"));
    }
    let token = crate::common::unique_token("probe-token-");
    sb.run_with(
        [
            "add",
            "api",
            &server.url("/openapi.yaml"),
            "--health",
            "-H",
            "Authorization: Bearer ${PROBE_TOKEN}",
        ],
        |_| {},
    )
    .expect_code(0);
    sb.run_with(["refresh", "api"], |c| {
        c.env("PROBE_TOKEN", &token);
    })
    .expect_code(0);
    let out = sb.run_with(["health", "api", "--json"], |c| {
        c.env("PROBE_TOKEN", &token);
    });
    assert_eq!(out.code, Some(0), "{}", out.all_output());

    // The receiver saw only its own host, no cookie and no forwarding or
    // hop-by-hop header, on every request it got.
    let host = server.url("").trim_start_matches("http://").to_string();
    let mut seen = 0;
    for p in [
        "host", "cookie", "session", "xff", "real", "hop", "length", "trace",
    ] {
        for r in server.requests(&format!("/v1/{p}")) {
            seen += 1;
            assert_eq!(r.header("host"), Some(host.as_str()), "{p}: {r:?}");
            for h in ["cookie", "x-forwarded-for", "x-real-ip"] {
                assert_eq!(r.header(h), None, "{p}: {h} sent: {r:?}");
            }
            assert_ne!(
                r.header("connection"),
                Some("close, authorization"),
                "{p}: {r:?}"
            );
        }
    }
    // The allowed header parameter still goes, with the watch's own
    // credentials (same origin).
    let trace = server.last_request("/v1/trace");
    assert_eq!(trace.header("x-trace"), Some("t-1"));
    assert_eq!(
        trace.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(seen, 1, "only /trace is probed");

    let skipped = sb.ok(["health", "api", "--skipped"]);
    for p in ["/host", "/cookie", "/xff", "/real", "/hop", "/length"] {
        assert!(
            skipped.contains(&format!("GET {p}: it requires the header")),
            "{p}: {skipped}"
        );
    }
    assert!(
        skipped.contains("GET /session: it requires the cookie `session`"),
        "{skipped}"
    );
}

#[test]
fn a_get_never_carries_a_body() {
    let sb = Sandbox::new();
    let server = Server::start();
    let body_op = |method: &str| {
        format!(
            "    {method}:\n      requestBody:\n        required: true\n        content:\n          application/json:\n            example: {{q: rex}}\n      responses:\n        '200': {{description: ok}}\n"
        )
    };
    let paths = format!(
        "  /search:\n{}{}  /plain:\n    get:\n      responses:\n        '200': {{description: ok}}\n",
        body_op("get"),
        body_op("post")
    );
    server.set(
        "/openapi.yaml",
        Reply::ok(described(&server.url("/v1"), &paths)),
    );
    server.set("/v1/search", Reply::ok("[]"));
    server.set("/v1/plain", Reply::ok("ok"));
    server.set("/v1/hand", Reply::ok("ok"));
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);

    // The POST on the same path, turned on, is sent its example.
    let doc = sb.json(["health", "api", "--enable", "POST /search", "--json"]);
    assert_eq!(probed(&doc).len(), 2, "{doc:#}");
    let searches = server.requests("/v1/search");
    assert_eq!(
        searches
            .iter()
            .map(|r| r.method.as_str())
            .collect::<Vec<_>>(),
        ["POST"],
        "the GET that requires a body is not probed"
    );
    assert_eq!(
        serde_json::from_slice::<Value>(&searches[0].body).expect("JSON"),
        serde_json::json!({"q": "rex"})
    );
    for p in ["/v1/search", "/v1/plain"] {
        for r in server.requests(p).iter().filter(|r| r.method == "GET") {
            assert!(r.body.is_empty(), "a GET carried a body: {r:?}");
            assert_eq!(r.header("content-type"), None, "{r:?}");
        }
    }
    let skipped = sb.ok(["health", "api", "--skipped"]);
    assert!(
        skipped.contains(
            "GET /search: it requires a request body, and a probe never sends a body with GET"
        ),
        "{skipped}"
    );
    // A GET added by hand with a body is refused before it is stored.
    let out = sb
        .run([
            "health",
            "api",
            "--add",
            &server.url("/v1/hand"),
            "--body",
            "{}",
        ])
        .expect_code(2);
    assert!(
        out.stderr.contains("a GET probe sends no body"),
        "{}",
        out.stderr
    );
    assert_eq!(server.hits("/v1/hand"), 0);
}

#[test]
fn an_enabled_operation_is_held_when_its_server_or_body_changes() {
    let sb = Sandbox::new();
    let server = Server::start();
    let items = |base: &str, example: &str| {
        described(
            base,
            &format!(
                "  /items:\n    post:\n      requestBody:\n        required: true\n        content:\n          application/json:\n            example: {example}\n      responses:\n        '201': {{description: made}}\n"
            ),
        )
    };
    for p in ["/v1/items", "/v2/items"] {
        server.set(p, Reply::status(201, "made"));
    }
    server.set(
        "/openapi.yaml",
        Reply::ok(items(&server.url("/v1"), "{a: 1}")),
    );
    sb.ok(["add", "api", &server.url("/openapi.yaml"), "--health"]);
    sb.ok(["refresh", "api"]);
    let doc = sb.json(["health", "api", "--enable", "POST /items", "--json"]);
    assert_eq!(
        probed(&doc),
        [format!("POST {}", server.url("/v1/items"))],
        "{doc:#}"
    );
    assert_eq!(server.hits("/v1/items"), 1);

    // The next version moves it to another server: held, and said so.
    server.set(
        "/openapi.yaml",
        Reply::ok(items(&server.url("/v2"), "{a: 1}")),
    );
    sb.ok(["refresh", "api"]);
    let doc = sb.json(["health", "api", "--json"]);
    assert!(probed(&doc).is_empty(), "{doc:#}");
    let held = not_probed(&doc);
    assert_eq!(held.len(), 1, "{doc:#}");
    assert!(
        held[0].contains(&format!(
            "held: turned on for {}, and the description now sends it to {}; confirm with `apiradar health api --enable 'POST /items'`",
            server.url("/v1"),
            server.url("/v2")
        )),
        "{held:?}"
    );
    let text = sb.ok(["health", "api"]);
    assert!(text.contains("held: turned on for"), "{text}");
    // The diff that moved it says so too, beside its findings.
    let diff = sb.run(["diff", "api@1", "api@2"]).expect_code(0);
    assert!(
        diff.stderr.contains(
            "note: api@2 at /paths/~1items/post: probing of POST /items is held: turned on for"
        ),
        "{}",
        diff.all_output()
    );
    let doc = sb.json(["diff", "api@1", "api@2", "--format", "json"]);
    assert!(
        doc["notes"]["revision"][0]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("probing of POST /items is held")),
        "{doc:#}"
    );
    // Before the move, nothing was held.
    let diff = sb.run(["diff", "api@1", "api@1"]).expect_code(0);
    assert!(!diff.stderr.contains("held"), "{}", diff.all_output());
    assert_eq!(server.hits("/v2/items"), 0);
    assert_eq!(server.hits("/v1/items"), 1);

    // Confirmed, it is probed on its new server.
    let doc = sb.json(["health", "api", "--enable", "POST /items", "--json"]);
    assert_eq!(
        probed(&doc),
        [format!("POST {}", server.url("/v2/items"))],
        "{doc:#}"
    );
    assert_eq!(server.hits("/v2/items"), 1);

    // A new body holds it too.
    server.set(
        "/openapi.yaml",
        Reply::ok(items(&server.url("/v2"), "{a: 2, drop: everything}")),
    );
    sb.ok(["refresh", "api"]);
    let doc = sb.json(["health", "api", "--json"]);
    assert!(probed(&doc).is_empty(), "{doc:#}");
    assert!(
        not_probed(&doc)[0].contains("held: its request body changed in the description"),
        "{doc:#}"
    );
    assert_eq!(server.hits("/v2/items"), 1);
}
