//! The fetcher against real servers on 127.0.0.1: axum for well-behaved
//! HTTP, raw TCP listeners for servers that misbehave on purpose.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apiradar::fetch::*;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

// --- Memory accounting ------------------------------------------------------
//
// The decompression-bomb tests must show the fetcher never holds the expanded
// body. A counting allocator tracks, per thread, the heap bytes allocated
// minus those freed, and their peak. Every integration test runs in this one
// process, so a process-wide count would add whatever the tests of other
// modules allocate meanwhile; a thread's own count holds only its test.
// `#[tokio::test]` runs a test and every task it spawns on the test's
// thread (a current-thread runtime; `peak_growth` checks it), so the
// fetcher's allocations are all counted there.

struct Counting;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread (a block freed on
    /// another thread than the one that allocated it moves both counts).
    static LIVE: Cell<isize> = const { Cell::new(0) };
    /// The highest `LIVE` since `peak_growth` last reset it.
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Adds `by` (negative when freed) to this thread's count. `try_with`, not
/// `with`: it must not panic while the thread's locals are torn down. The
/// locals are constant-initialised cells, so reaching them never allocates.
fn count(by: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(by);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn size(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            count(size(layout.size()));
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            count(size(layout.size()));
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-size(layout.size()));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            count(size(new_size) - size(layout.size()));
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns how far this thread's live heap rose above where it
/// started.
async fn peak_growth<F: std::future::Future>(f: F) -> (F::Output, usize) {
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        tokio::runtime::RuntimeFlavor::CurrentThread,
        "on a multi-thread runtime the fetcher's allocations are spread over threads this does not count"
    );
    let start = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(start));
    let out = f.await;
    let peak = PEAK.with(Cell::get);
    (
        out,
        usize::try_from(peak.saturating_sub(start)).unwrap_or(0),
    )
}

// --- Helpers ----------------------------------------------------------------

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// Small limits and waits so the whole file runs in a few seconds.
fn cfg() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(2),
        timeout: Duration::from_secs(5),
        max_redirects: 5,
        max_body: 256 * KIB as u64,
        retries: 3,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(3),
        ..FetchConfig::default()
    }
}

fn fetcher(cfg: FetchConfig) -> Fetcher {
    Fetcher::new(cfg).unwrap()
}

/// Serves `router` on a fresh port; returns its base URL.
async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// What a test server saw: how many requests and their headers.
#[derive(Clone, Default)]
struct Seen {
    hits: Arc<AtomicUsize>,
    headers: Arc<Mutex<Vec<HeaderMap>>>,
}

impl Seen {
    /// Records one request; returns its 1-based number.
    fn record(&self, headers: &HeaderMap) -> usize {
        self.headers.lock().unwrap().push(headers.clone());
        self.hits.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }

    fn last(&self) -> HeaderMap {
        self.headers.lock().unwrap().last().cloned().unwrap()
    }
}

/// A server answering every request on `path` with `respond(n)`, n being the
/// request number.
async fn counting_server<F>(path: &str, respond: F) -> (String, Seen)
where
    F: Fn(usize) -> Response + Clone + Send + Sync + 'static,
{
    let seen = Seen::default();
    let s = seen.clone();
    let router = Router::new().route(
        path,
        get(move |headers: HeaderMap| {
            let n = s.record(&headers);
            let respond = respond.clone();
            async move { respond(n) }
        }),
    );
    (serve(router).await, seen)
}

async fn fetch_url(f: &Fetcher, url: &str) -> Result<FetchOutcome, FetchError> {
    let location = Location::parse(url).unwrap();
    f.fetch(&FetchRequest::new(&location)).await
}

fn body_of(outcome: FetchOutcome) -> (Vec<u8>, HttpMeta) {
    match outcome {
        FetchOutcome::Body { bytes, meta } => (bytes, meta),
        other => panic!("expected a body, got {other:?}"),
    }
}

/// A raw TCP server that runs `script` on each accepted connection.
async fn raw_server<F, Fut>(script: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(script(stream));
        }
    });
    addr
}

/// Reads an HTTP request head off a raw connection.
async fn read_head(stream: &mut tokio::net::TcpStream) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
}

fn gzip(data_chunks: impl Iterator<Item = Vec<u8>>) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for chunk in data_chunks {
        enc.write_all(&chunk).unwrap();
    }
    enc.finish().unwrap()
}

// --- Locations and configuration ---------------------------------------------

#[test]
fn locations_parse_and_display() {
    let url = Location::parse("https://api.example.com/openapi.json").unwrap();
    assert!(matches!(url, Location::Url(_)));
    assert_eq!(url.host().as_deref(), Some("api.example.com:443"));
    assert_eq!(url.to_string(), "https://api.example.com/openapi.json");

    let with_port = Location::parse("HTTP://Example.com:8080/x").unwrap();
    assert_eq!(with_port.host().as_deref(), Some("example.com:8080"));

    let secret = Location::parse("https://me:hunter2pass@example.com/spec").unwrap();
    assert_eq!(secret.as_string(), "https://example.com/spec");
    assert!(!format!("{secret} {secret:?}").contains("hunter2pass"));

    let err = Location::parse("ftp://me:pw1234@example.com/spec.yaml").unwrap_err();
    assert_eq!(err.class, ErrorClass::Invalid);
    assert!(err.message.contains("`ftp`"), "{}", err.message);
    assert!(!err.message.contains("pw1234"), "{}", err.message);

    let file = Location::parse("file:///srv/specs/api.yaml").unwrap();
    assert_eq!(file, Location::File("/srv/specs/api.yaml".into()));
    assert_eq!(file.host(), None);

    let relative = Location::parse("specs/api.yaml").unwrap();
    assert_eq!(relative, Location::File("specs/api.yaml".into()));
    assert_eq!(relative.to_string(), "specs/api.yaml");

    assert_eq!(
        Location::parse("  ").unwrap_err().class,
        ErrorClass::Invalid
    );
    assert_eq!(
        Location::parse("http://").unwrap_err().class,
        ErrorClass::Invalid
    );
}

#[test]
fn defaults_and_class_names() {
    let d = FetchConfig::default();
    assert_eq!(d.connect_timeout, Duration::from_secs(10));
    assert_eq!(d.timeout, Duration::from_secs(60));
    assert_eq!(d.max_redirects, 10);
    assert_eq!(d.max_body, 64 * MIB as u64);
    assert_eq!(d.retries, 3);
    assert_eq!(d.max_retry_after, Duration::from_secs(120));
    assert!(d.user_agent.starts_with("apiradar/"));
    assert_eq!(ErrorClass::TooLarge.as_str(), "too-large");
    assert_eq!(ErrorClass::Dns.as_str(), "dns");
}

#[test]
fn fetch_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let f = fetcher(cfg());
    let location = Location::parse("http://127.0.0.1:1/").unwrap();
    let req = FetchRequest::new(&location);
    let fut = f.fetch(&req);
    assert_send(&fut);
}

// --- Successful fetches -------------------------------------------------------

#[tokio::test]
async fn plain_body_with_validators_and_user_agent() {
    let (base, seen) = counting_server("/spec.json", |_| {
        (
            [
                (header::ETAG, "\"v1\""),
                (header::LAST_MODIFIED, "Wed, 21 Oct 2015 07:28:00 GMT"),
                (header::CONTENT_TYPE, "application/json"),
            ],
            r#"{"openapi":"3.1.0"}"#,
        )
            .into_response()
    })
    .await;
    let url = format!("{base}/spec.json");
    let (bytes, meta) = body_of(fetch_url(&fetcher(cfg()), &url).await.unwrap());
    assert_eq!(bytes, br#"{"openapi":"3.1.0"}"#);
    assert_eq!(meta.status, Some(200));
    assert_eq!(meta.etag.as_deref(), Some("\"v1\""));
    assert_eq!(
        meta.last_modified.as_deref(),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(meta.content_type.as_deref(), Some("application/json"));
    assert_eq!(meta.final_url.as_deref(), Some(url.as_str()));
    assert_eq!(meta.attempts, 1);

    let sent = seen.last();
    let ua = sent[header::USER_AGENT].to_str().unwrap();
    assert!(ua.starts_with("apiradar/"), "{ua}");
    let accept_encoding = sent[header::ACCEPT_ENCODING].to_str().unwrap();
    assert!(accept_encoding.contains("gzip") && accept_encoding.contains("br"));
}

#[tokio::test]
async fn conditional_get_gives_not_modified() {
    let (base, seen) = counting_server("/spec", |_| StatusCode::NOT_MODIFIED.into_response()).await;
    let location = Location::parse(&format!("{base}/spec")).unwrap();
    let req = FetchRequest {
        location: &location,
        headers: &[],
        secrets: &[],
        etag: Some("\"v1\""),
        last_modified: Some("Wed, 21 Oct 2015 07:28:00 GMT"),
    };
    let outcome = fetcher(cfg()).fetch(&req).await.unwrap();
    let FetchOutcome::NotModified(meta) = outcome else {
        panic!("expected NotModified, got {outcome:?}");
    };
    assert_eq!(meta.status, Some(304));
    assert_eq!(meta.attempts, 1);
    // The 304 carried no validators, so the ones we sent are kept.
    assert_eq!(meta.etag.as_deref(), Some("\"v1\""));
    let sent = seen.last();
    assert_eq!(sent[header::IF_NONE_MATCH], "\"v1\"");
    assert_eq!(
        sent[header::IF_MODIFIED_SINCE],
        "Wed, 21 Oct 2015 07:28:00 GMT"
    );
}

#[tokio::test]
async fn compressed_bodies_are_decoded() {
    let text = b"openapi: 3.0.0\ninfo: {title: demo}\n".repeat(50);
    let packed = gzip(std::iter::once(text.clone()));
    let (base, _) = counting_server("/gz", move |_| {
        ([(header::CONTENT_ENCODING, "gzip")], packed.clone()).into_response()
    })
    .await;
    let (bytes, meta) = body_of(
        fetch_url(&fetcher(cfg()), &format!("{base}/gz"))
            .await
            .unwrap(),
    );
    assert_eq!(bytes, text);
    assert_eq!(meta.content_encoding, None);
}

// --- HTTP errors and retries --------------------------------------------------

#[tokio::test]
async fn not_found_is_not_retried() {
    let (base, seen) = counting_server("/gone", |_| StatusCode::NOT_FOUND.into_response()).await;
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/gone"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Http);
    assert_eq!(err.status, Some(404));
    assert_eq!(err.attempts, 1);
    assert_eq!(seen.hits(), 1);
    assert_eq!(
        err.message,
        format!("HTTP 404 Not Found from {base}/gone (check the URL)")
    );
}

#[tokio::test]
async fn unauthorized_keeps_secrets_out_of_the_message() {
    let (base, seen) = counting_server("/private", |_| {
        // Even a server echoing the key back must not get it into the error.
        (StatusCode::UNAUTHORIZED, "bad key sk-live-0123456789").into_response()
    })
    .await;
    let url = base.replace("http://", "http://admin:hunter2pass@") + "/private";
    let location = Location::parse(&url).unwrap();
    let headers = vec![("X-Api-Key".to_string(), "sk-live-0123456789".to_string())];
    let req = FetchRequest {
        headers: &headers,
        ..FetchRequest::new(&location)
    };
    let err = fetcher(cfg()).fetch(&req).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Http);
    assert_eq!(err.status, Some(401));
    assert_eq!(seen.hits(), 1);
    assert!(err.message.contains("401 Unauthorized"), "{}", err.message);
    assert!(err.message.contains("credentials"), "{}", err.message);
    for secret in ["sk-live-0123456789", "hunter2pass", "admin"] {
        assert!(!err.message.contains(secret), "{}", err.message);
        assert!(!format!("{err:?}").contains(secret));
    }
    // The header was sent, and so were the URL's credentials (as Basic auth).
    let sent = seen.last();
    assert_eq!(sent["x-api-key"], "sk-live-0123456789");
    assert!(
        sent[header::AUTHORIZATION]
            .to_str()
            .unwrap()
            .starts_with("Basic ")
    );
}

#[tokio::test]
async fn service_unavailable_is_retried_until_it_works() {
    let (base, seen) = counting_server("/flaky", |n| {
        if n <= 2 {
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        } else {
            "ok".into_response()
        }
    })
    .await;
    let (bytes, meta) = body_of(
        fetch_url(&fetcher(cfg()), &format!("{base}/flaky"))
            .await
            .unwrap(),
    );
    assert_eq!(bytes, b"ok");
    assert_eq!(meta.attempts, 3);
    assert_eq!(seen.hits(), 3);
}

#[tokio::test]
async fn server_errors_give_up_after_the_retries() {
    let (base, seen) = counting_server("/down", |_| StatusCode::BAD_GATEWAY.into_response()).await;
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/down"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Http);
    assert_eq!(err.status, Some(502));
    assert_eq!(err.attempts, 4);
    assert_eq!(seen.hits(), 4);
    assert!(
        err.message.contains("gave up after 4 attempts"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let (base, seen) = counting_server("/limited", |n| {
        if n == 1 {
            (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")]).into_response()
        } else {
            "ok".into_response()
        }
    })
    .await;
    let started = Instant::now();
    let (bytes, meta) = body_of(
        fetch_url(&fetcher(cfg()), &format!("{base}/limited"))
            .await
            .unwrap(),
    );
    assert_eq!(bytes, b"ok");
    assert_eq!(meta.attempts, 2);
    assert_eq!(seen.hits(), 2);
    // The backoff alone would be at most 40ms.
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_long_retry_after_is_not_waited_for() {
    let (base, seen) = counting_server("/later", |_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "3600")],
        )
            .into_response()
    })
    .await;
    let started = Instant::now();
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/later"))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.class, ErrorClass::Http);
    assert_eq!(err.status, Some(429));
    assert_eq!(seen.hits(), 1);
    assert!(err.message.contains("retry after 1h"), "{}", err.message);
    assert!(!err.message.contains('\n'));
}

// --- Timeouts, redirects, connections ------------------------------------------

#[tokio::test]
async fn slow_server_times_out_and_is_retried() {
    let seen = Seen::default();
    let s = seen.clone();
    let router = Router::new().route(
        "/slow",
        get(move |headers: HeaderMap| {
            s.record(&headers);
            async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "late"
            }
        }),
    );
    let base = serve(router).await;
    let f = fetcher(FetchConfig {
        timeout: Duration::from_millis(300),
        retries: 1,
        ..cfg()
    });
    let err = fetch_url(&f, &format!("{base}/slow")).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Timeout);
    assert_eq!(err.attempts, 2);
    assert_eq!(seen.hits(), 2);
    assert!(
        err.message.starts_with("timed out after 300ms"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn redirect_loop_is_cut_off() {
    let router = Router::new()
        .route(
            "/a",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/b")]) }),
        )
        .route(
            "/b",
            get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/a")]) }),
        );
    let base = serve(router).await;
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/a"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Redirect);
    assert_eq!(err.attempts, 1);
    assert!(
        err.message.contains("too many redirects (more than 5)"),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn redirects_keep_the_watch_headers_on_their_origin() {
    let (other, elsewhere) = counting_server("/doc", |_| "moved doc".into_response()).await;
    let home = Seen::default();
    let h = home.clone();
    let target = format!("{other}/doc");
    let router = Router::new()
        .route(
            "/start",
            get(|| async { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/next")]) }),
        )
        .route(
            "/next",
            get(move |headers: HeaderMap| {
                h.record(&headers);
                let target = target.clone();
                async move { (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]) }
            }),
        );
    let base = serve(router).await;
    let location = Location::parse(&format!("{base}/start")).unwrap();
    let headers = vec![("X-Api-Key".to_string(), "sk-live-0123456789".to_string())];
    let req = FetchRequest {
        headers: &headers,
        ..FetchRequest::new(&location)
    };
    let (bytes, meta) = body_of(fetcher(cfg()).fetch(&req).await.unwrap());
    assert_eq!(bytes, b"moved doc");
    assert_eq!(meta.final_url, Some(format!("{other}/doc")));
    // Same origin: the key goes along. Other origin: it does not.
    assert_eq!(home.last()["x-api-key"], "sk-live-0123456789");
    assert!(elsewhere.last().get("x-api-key").is_none());
    assert!(
        elsewhere.last()[header::USER_AGENT]
            .to_str()
            .unwrap()
            .starts_with("apiradar/")
    );
}

#[tokio::test]
async fn refused_connection_is_retried_then_reported() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let f = fetcher(FetchConfig {
        retries: 2,
        ..cfg()
    });
    let err = fetch_url(&f, &format!("http://127.0.0.1:{port}/"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Connect, "{}", err.message);
    assert_eq!(err.attempts, 3);
    assert!(
        err.message
            .starts_with(&format!("connection refused by 127.0.0.1:{port}")),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn unknown_host_is_a_dns_error() {
    // `.invalid` never resolves (RFC 6761). On this machine the resolver
    // answers at once; a sandbox whose resolver hangs would hit the short
    // timeout instead, which is the only other acceptable outcome.
    let f = fetcher(FetchConfig {
        connect_timeout: Duration::from_secs(3),
        timeout: Duration::from_secs(4),
        ..cfg()
    });
    let err = fetch_url(&f, "http://does-not-exist.invalid/")
        .await
        .unwrap_err();
    match err.class {
        ErrorClass::Dns => {
            assert_eq!(err.attempts, 1, "DNS failures are not retried");
            assert!(
                err.message
                    .starts_with("could not resolve host `does-not-exist.invalid`"),
                "{}",
                err.message
            );
        }
        ErrorClass::Timeout => {}
        other => panic!("expected a DNS error, got {other:?}: {}", err.message),
    }
}

#[tokio::test]
async fn tls_to_a_plain_server_is_a_tls_error() {
    let addr = raw_server(|mut stream| async move {
        let mut hello = [0u8; 512];
        let _ = stream.read(&mut hello).await;
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
    })
    .await;
    let err = fetch_url(&fetcher(cfg()), &format!("https://{addr}/"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Tls, "{}", err.message);
    assert_eq!(err.attempts, 1);
    assert!(
        err.message
            .starts_with(&format!("TLS handshake with {addr} failed")),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn connection_closed_mid_body() {
    let addr = raw_server(|mut stream| async move {
        read_head(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
            .await;
        // Dropping the stream closes the connection 990 bytes short.
    })
    .await;
    let err = fetch_url(&fetcher(cfg()), &format!("http://{addr}/spec"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Body, "{}", err.message);
    assert_eq!(err.attempts, 1);
    assert!(
        err.message
            .starts_with("connection closed before the body was complete"),
        "{}",
        err.message
    );
}

// --- Size limits ----------------------------------------------------------------

#[tokio::test]
async fn declared_length_over_the_limit_is_refused_up_front() {
    // The server claims 10 GiB and then sends nothing: only a check of the
    // header can answer before the timeout.
    let addr = raw_server(|mut stream| async move {
        read_head(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10737418240\r\n\r\n")
            .await;
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;
    let f = fetcher(FetchConfig {
        timeout: Duration::from_secs(3),
        ..cfg()
    });
    let started = Instant::now();
    let err = fetch_url(&f, &format!("http://{addr}/big"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::TooLarge, "{}", err.message);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        err.message,
        format!(
            "body of http://{addr}/big is larger than the 256 KiB limit \
             (Content-Length is 10 GiB; raise it with --max-body)"
        )
    );
}

#[tokio::test]
async fn body_over_the_limit_with_a_length() {
    let (base, _) = counting_server("/big", |_| vec![b'x'; 300 * KIB].into_response()).await;
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/big"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::TooLarge);
    assert_eq!(err.attempts, 1);
}

#[tokio::test]
async fn streamed_body_over_the_limit_without_a_length() {
    let (base, _) = counting_server("/stream", |_| {
        let chunks = (0..1000).map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![b'y'; 16 * KIB])));
        Body::from_stream(futures_util::stream::iter(chunks)).into_response()
    })
    .await;
    let err = fetch_url(&fetcher(cfg()), &format!("{base}/stream"))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::TooLarge, "{}", err.message);
    assert_eq!(
        err.message,
        format!(
            "body of {base}/stream is larger than the 256 KiB limit (raise it with --max-body)"
        )
    );
}

#[tokio::test]
async fn exactly_the_limit_is_fine() {
    let (base, _) = counting_server("/edge", |_| vec![b'z'; 256 * KIB].into_response()).await;
    let (bytes, _) = body_of(
        fetch_url(&fetcher(cfg()), &format!("{base}/edge"))
            .await
            .unwrap(),
    );
    assert_eq!(bytes.len(), 256 * KIB);
}

/// 64 MiB of zeros, brotli quality 11: 106 bytes on the wire.
const BROTLI_BOMB: [u8; 106] = [
    0xcb, 0xff, 0xff, 0x3f, 0xf8, 0x27, 0x00, 0xe2, 0xb1, 0x40, 0x20, 0xf7, 0xfe, 0x8f, 0xff, 0xff,
    0x7f, 0xf0, 0x4f, 0x00, 0xc4, 0x61, 0x11, 0x80, 0xee, 0xfd, 0x1f, 0xff, 0xff, 0xff, 0xe0, 0x9f,
    0x00, 0x88, 0xc3, 0x02, 0x00, 0xdd, 0xfb, 0x3f, 0xfe, 0xff, 0xff, 0xc1, 0x3f, 0x01, 0x10, 0x87,
    0x05, 0x00, 0xba, 0xf7, 0x7f, 0xfc, 0xff, 0xff, 0x83, 0x7f, 0x02, 0x20, 0x0e, 0x0b, 0x00, 0x74,
    0xef, 0xff, 0xf8, 0xff, 0xff, 0x07, 0xff, 0x04, 0x40, 0x1c, 0x16, 0x00, 0xe8, 0xde, 0xff, 0xf1,
    0xff, 0xff, 0x0f, 0xfe, 0x09, 0x80, 0x38, 0x2c, 0x00, 0xd0, 0xbd, 0xff, 0xe3, 0xff, 0xff, 0x1f,
    0xfc, 0x13, 0x00, 0x71, 0x58, 0x00, 0xa0, 0x7b, 0xff, 0x37,
];

/// Both bombs in one test, so no other bomb runs while the peak is measured.
#[tokio::test]
async fn decompression_bombs_stop_at_the_limit() {
    // 64 MiB of zeros, gzipped a megabyte at a time (about 64 KiB).
    let gz = Bytes::from(gzip((0..64).map(|_| vec![0u8; MIB])));
    assert!(gz.len() < 200 * KIB);
    let br = Bytes::from_static(&BROTLI_BOMB);
    let router = Router::new()
        .route(
            "/gz",
            get(move || {
                let gz = gz.clone();
                async move {
                    (
                        [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))],
                        gz,
                    )
                }
            }),
        )
        .route(
            "/br",
            get(move || {
                let br = br.clone();
                async move {
                    (
                        [(header::CONTENT_ENCODING, HeaderValue::from_static("br"))],
                        br,
                    )
                }
            }),
        );
    let base = serve(router).await;
    let f = fetcher(FetchConfig {
        max_body: MIB as u64,
        ..cfg()
    });
    for path in ["gz", "br"] {
        let (result, growth) = peak_growth(fetch_url(&f, &format!("{base}/{path}"))).await;
        let err = result.unwrap_err();
        assert_eq!(err.class, ErrorClass::TooLarge, "{path}: {}", err.message);
        assert!(err.message.contains("1 MiB limit"), "{}", err.message);
        // The 1 MiB limit plus decoder state (brotli's window is 4 MiB for
        // this stream, 16 MiB at most by the format): nowhere near 64 MiB.
        assert!(growth < 24 * MIB, "{path}: heap grew by {growth} bytes");
    }
}

// --- Invalid headers ------------------------------------------------------------

#[tokio::test]
async fn invalid_headers_are_named_but_not_shown() {
    let (base, seen) = counting_server("/", |_| "ok".into_response()).await;
    let location = Location::parse(&format!("{base}/")).unwrap();
    let f = fetcher(cfg());

    let bad_name = vec![("X Api Key".to_string(), "sk-live-0123456789".to_string())];
    let err = f
        .fetch(&FetchRequest {
            headers: &bad_name,
            ..FetchRequest::new(&location)
        })
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Invalid);
    assert!(err.message.contains("`X Api Key`"), "{}", err.message);
    assert!(!err.message.contains("sk-live"));

    let bad_value = vec![(
        "X-Api-Key".to_string(),
        "sk-live-01234\r\nEvil: 1".to_string(),
    )];
    let err = f
        .fetch(&FetchRequest {
            headers: &bad_value,
            ..FetchRequest::new(&location)
        })
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Invalid);
    assert_eq!(err.attempts, 0);
    assert!(err.message.contains("`X-Api-Key`"), "{}", err.message);
    assert!(!err.message.contains("sk-live") && !err.message.contains("Evil"));
    assert_eq!(seen.hits(), 0);
}

// --- Local files ----------------------------------------------------------------

#[tokio::test]
async fn local_files() {
    let dir = tempfile::tempdir().unwrap();
    let f = fetcher(FetchConfig {
        max_body: 1000,
        ..cfg()
    });
    let fetch_path = |path: std::path::PathBuf| {
        let f = f.clone();
        async move {
            let location = Location::File(path);
            f.fetch(&FetchRequest::new(&location)).await
        }
    };

    let ok = dir.path().join("api.yaml");
    std::fs::write(&ok, "openapi: 3.1.0\n").unwrap();
    let (bytes, meta) = body_of(fetch_path(ok.clone()).await.unwrap());
    assert_eq!(bytes, b"openapi: 3.1.0\n");
    assert_eq!(meta.status, None);
    let modified = meta.last_modified.unwrap();
    assert!(httpdate::parse_http_date(&modified).is_ok(), "{modified}");

    // A file:// URL reads the same file.
    let url = url::Url::from_file_path(&ok).unwrap();
    let location = Location::parse(url.as_str()).unwrap();
    assert!(f.fetch(&FetchRequest::new(&location)).await.is_ok());

    let missing = dir.path().join("nope.yaml");
    let err = fetch_path(missing.clone()).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::File);
    assert_eq!(
        err.message,
        format!("file not found: {}", missing.display())
    );

    let err = fetch_path(dir.path().to_path_buf()).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::File);
    assert!(err.message.contains("is a directory"), "{}", err.message);

    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 1001]).unwrap();
    let err = fetch_path(big).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::TooLarge);
    assert!(err.message.contains("1000 bytes limit"), "{}", err.message);

    let exact = dir.path().join("exact.json");
    std::fs::write(&exact, vec![b' '; 1000]).unwrap();
    assert!(fetch_path(exact).await.is_ok());
}

#[cfg(unix)]
#[tokio::test]
async fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.yaml");
    std::fs::write(&path, "x").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not apply, nothing to test.
        return;
    }
    let location = Location::File(path.clone());
    let err = fetcher(cfg())
        .fetch(&FetchRequest::new(&location))
        .await
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::File);
    assert_eq!(
        err.message,
        format!("cannot read {}: permission denied", path.display())
    );
}
