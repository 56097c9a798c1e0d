//! One probe of one endpoint: the request, its timing, the TLS
//! certificate's remaining days, the conditions, and the outcome.
//!
//! Default classification (without conditions): 2xx and 3xx are up;
//! 401 and 403 are "reachable, needs auth", which counts as up since a
//! monitor without credentials expects them; other 4xx warn; 5xx and
//! transport errors are down. Slower than the endpoint's threshold is
//! degraded. With conditions, any condition that fails makes the check
//! down; one that cannot be judged (no TLS on plain http) is ignored.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::conditions::{Condition, Observation, Outcome};
use super::policy::Policy;
use crate::store::health::{CheckOutcome, CheckRecord, Endpoint};

/// Limits of a probe.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// The whole request, body included.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    /// Body bytes read (for conditions and size); the rest is not read.
    pub max_body: usize,
    /// Slower than this is degraded, unless the endpoint sets its own.
    pub degraded_after: Duration,
    /// CA certificates (PEM) trusted besides the system's, for private or
    /// self-signed servers.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            degraded_after: Duration::from_secs(2),
            extra_roots: Vec::new(),
        }
    }
}

/// Where the connector leaves the time it took to open a connection for
/// the probe being sent.
type ConnectSlot = Arc<Mutex<Option<Duration>>>;

tokio::task_local! {
    /// The slot of the probe whose request is being sent on this task.
    static CONNECT: ConnectSlot;
}

/// A layer around reqwest's connector that times each new connection
/// (DNS, TCP and TLS together: the connector does all three) and reports
/// it to the probe that asked for it.
///
/// The connector is called from inside the request's future, so the probe's
/// task-local slot is visible there. A request that reuses a pooled
/// connection never calls it and its connect time stays unknown. When a
/// connection started for one request is finally used by another, the
/// time goes to the first, which is then done with it; no probe gets a
/// time that is not its own.
#[derive(Clone, Copy)]
struct TimeConnect;

impl<S> tower_layer::Layer<S> for TimeConnect {
    type Service = TimedConnector<S>;

    fn layer(&self, inner: S) -> TimedConnector<S> {
        TimedConnector { inner }
    }
}

#[derive(Clone)]
struct TimedConnector<S> {
    inner: S,
}

impl<S, R> tower_service::Service<R> for TimedConnector<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let slot = CONNECT.try_with(Arc::clone).ok();
        let started = Instant::now();
        let connecting = self.inner.call(request);
        Box::pin(async move {
            let result = connecting.await;
            if result.is_ok()
                && let Some(slot) = slot
                && let Ok(mut time) = slot.lock()
            {
                *time = Some(started.elapsed());
            }
            result
        })
    }
}

/// Where the resolver leaves why it refused a name, for the probe that
/// asked.
type RefusalSlot = Arc<Mutex<Option<String>>>;

tokio::task_local! {
    /// The target policy of the described endpoint being probed on this
    /// task (none for endpoints added by hand).
    static POLICY: (Policy, RefusalSlot);
}

/// Resolves host names for probes and applies the target policy of the
/// probe being sent to every address a name resolves to, so a name that
/// points at a metadata service or (unless allowed) the private network
/// is refused before any connection is opened. Like the connect timer,
/// it reads the probe's task-local policy: the connector resolves inside
/// the request's future.
struct PolicyResolver;

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let scope = POLICY.try_with(|p| p.clone()).ok();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some((policy, slot)) = scope {
                let ips: Vec<std::net::IpAddr> = addrs.iter().map(|a| a.ip()).collect();
                if let Err(why) = policy.check_resolved(&host, &ips) {
                    if let Ok(mut refused) = slot.lock() {
                        *refused = Some(why.clone());
                    }
                    return Err(why.into());
                }
            }
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

fn build_client(config: &ProbeConfig) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder();
    for pem in &config.extra_roots {
        let cert = reqwest::Certificate::from_pem(pem)
            .map_err(|e| format!("not a PEM certificate: {e}"))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .user_agent(concat!(
            "apiradar/",
            env!("CARGO_PKG_VERSION"),
            " (health check)"
        ))
        .timeout(config.timeout)
        .connect_timeout(config.connect_timeout)
        // Never followed: a redirect's target would escape the target
        // policy, and a 3xx answer is "up" anyway.
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(Arc::new(PolicyResolver))
        .tls_info(true)
        .connector_layer(TimeConnect)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// What a probe found: the record to store and why it came out so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub record: CheckRecord,
    /// Conditions that failed or could not be judged, in words.
    pub notes: Vec<String>,
    /// The response, for the conformance check (see
    /// [`super::conform`]); taken (and dropped) once checked, never stored.
    pub seen: Option<Seen>,
}

/// A response as a probe read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The whole body was read (it was not cut at the body limit).
    pub complete: bool,
}

/// Probes endpoints.
///
/// A connection is only reused by probes under the same target policy:
/// one opened for an endpoint added by hand (where the user said, no
/// policy) or for a watch allowed the private network was never judged
/// for a strict one, and a pooled connection is reused without resolving
/// its name again. So each policy has its own client and pool.
#[derive(Clone)]
pub struct Prober {
    /// Index 0: endpoints added by hand; then one per policy, see
    /// [`Prober::client_for`].
    clients: Arc<[reqwest::Client; 5]>,
    config: ProbeConfig,
}

impl Prober {
    pub fn new(config: ProbeConfig) -> Result<Prober, String> {
        let clients = [
            build_client(&config)?,
            build_client(&config)?,
            build_client(&config)?,
            build_client(&config)?,
            build_client(&config)?,
        ];
        Ok(Prober {
            clients: Arc::new(clients),
            config,
        })
    }

    /// The client whose connections were all opened under `policy` (or
    /// under none, for an endpoint added by hand).
    fn client_for(&self, policy: Option<Policy>) -> &reqwest::Client {
        let index = match policy {
            None => 0,
            Some(p) => 1 + usize::from(p.loopback) + 2 * usize::from(p.private),
        };
        &self.clients[index]
    }

    /// Probes `endpoint` now, with `headers` (already resolved from their
    /// `${VAR}` references; never stored). A described endpoint may only
    /// reach public addresses; see [`Prober::probe_within`].
    pub async fn probe(&self, endpoint: &Endpoint, headers: &[(String, String)]) -> Probe {
        self.probe_within(endpoint, headers, Policy::STRICT).await
    }

    /// [`Prober::probe`] with the target policy of the endpoint's watch,
    /// which applies to described endpoints (those added by hand go
    /// where the user said). A refused target is not contacted: the check
    /// is down with the error class `refused` and the reason.
    pub async fn probe_within(
        &self,
        endpoint: &Endpoint,
        headers: &[(String, String)],
        policy: Policy,
    ) -> Probe {
        let at = crate::store::now_ms();
        let refused = |why: String| Probe {
            record: CheckRecord {
                at,
                outcome: Some(CheckOutcome::Down),
                error_class: Some("refused".into()),
                error: Some(format!("not sent: {why}")),
                ..CheckRecord::default()
            },
            notes: Vec::new(),
            seen: None,
        };
        let described = endpoint.source != "manual";
        if described {
            match url::Url::parse(&endpoint.url) {
                Ok(url) => {
                    if let Err(why) = policy.check_url(&url) {
                        return refused(why);
                    }
                }
                Err(_) => return refused(format!("`{}` is not a URL", endpoint.url)),
            }
        }
        let method =
            reqwest::Method::from_bytes(endpoint.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let bodiless = matches!(method, reqwest::Method::GET | reqwest::Method::HEAD);
        let client = self.client_for(described.then_some(policy));
        let mut request = client.request(method, &endpoint.url);
        for (name, value) in headers {
            // A described endpoint's headers come from third-party text.
            if described && super::policy::forbidden_header(name) {
                continue;
            }
            request = request.header(name, value);
        }
        // No body with GET or HEAD, whatever was stored.
        if let Some(body) = endpoint.body.as_ref().filter(|_| !bodiless) {
            // A body given by hand may reference the environment; one from
            // the description's example is sent as written.
            let text = if endpoint.source == "manual" {
                match crate::watch::expand_env(&body.text, |var| std::env::var(var).ok()) {
                    Ok(text) => text,
                    Err(e) => {
                        return Probe {
                            record: CheckRecord {
                                at,
                                outcome: Some(CheckOutcome::Down),
                                error_class: Some("config".into()),
                                error: Some(format!("the request body cannot be sent: {e}")),
                                ..CheckRecord::default()
                            },
                            notes: Vec::new(),
                            seen: None,
                        };
                    }
                }
            } else {
                body.text.clone()
            };
            request = request
                .header(reqwest::header::CONTENT_TYPE, &body.media_type)
                .body(text);
        }
        let started = Instant::now();
        let slot = ConnectSlot::default();
        let refusal = RefusalSlot::default();
        let send = CONNECT.scope(Arc::clone(&slot), request.send());
        let response = if described {
            POLICY.scope((policy, Arc::clone(&refusal)), send).await
        } else {
            send.await
        };
        if let Some(why) = refusal.lock().ok().and_then(|mut r| r.take()) {
            return refused(why);
        }
        let ttfb = started.elapsed();
        let connect = slot.lock().ok().and_then(|t| *t);
        let mut record = CheckRecord {
            at,
            ttfb_ms: Some(ms(ttfb)),
            connect_ms: connect.map(ms),
            ..CheckRecord::default()
        };
        let response = match response {
            Ok(r) => r,
            Err(e) => {
                record.latency_ms = Some(ms(started.elapsed()));
                record.outcome = Some(CheckOutcome::Down);
                let cfg = crate::fetch::FetchConfig {
                    timeout: self.config.timeout,
                    connect_timeout: self.config.connect_timeout,
                    ..crate::fetch::FetchConfig::default()
                };
                let (class, message) = match url::Url::parse(&endpoint.url) {
                    Ok(url) => {
                        let d = crate::fetch::describe_send_error(&e, &url, &cfg);
                        (d.class.as_str(), d.message)
                    }
                    Err(_) => ("invalid", format!("`{}` is not a URL", endpoint.url)),
                };
                record.error_class = Some(class.into());
                record.error = Some(message);
                return Probe {
                    record,
                    notes: Vec::new(),
                    seen: None,
                };
            }
        };
        let status = response.status().as_u16();
        record.http_status = Some(status);
        record.cert_days = response
            .extensions()
            .get::<reqwest::tls::TlsInfo>()
            .and_then(|info| info.peer_certificate())
            .and_then(|der| cert_days_left(der, at));
        let headers_seen: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let (body, body_size, body_error) = read_body(response, self.config.max_body).await;
        let latency = started.elapsed();
        record.latency_ms = Some(ms(latency));
        record.body_size = Some(body_size as i64);
        if let Some(e) = body_error {
            record.outcome = Some(CheckOutcome::Down);
            record.error_class = Some("body".into());
            record.error = Some(e);
            return Probe {
                record,
                notes: Vec::new(),
                seen: None,
            };
        }
        let observation = Observation {
            status: Some(status),
            latency: Some(latency),
            connect,
            ttfb: Some(ttfb),
            cert_days: record.cert_days,
            body: Some(&body),
            body_size: Some(body_size),
            headers: &headers_seen,
        };
        let mut notes = Vec::new();
        let mut failed = false;
        for text in &endpoint.conditions {
            match text.parse::<Condition>() {
                Ok(c) => match c.eval(&observation) {
                    Outcome::Pass => {}
                    Outcome::Fail(why) => {
                        failed = true;
                        notes.push(format!("`{text}` failed: {why}"));
                    }
                    Outcome::Unknown(why) => notes.push(format!("`{text}` not judged: {why}")),
                },
                Err(e) => notes.push(format!("`{text}` is not a condition: {e}")),
            }
        }
        let threshold = endpoint
            .degraded_ms
            .map(|t| Duration::from_millis(t.max(0) as u64))
            .unwrap_or(self.config.degraded_after);
        let outcome = classify(
            status,
            latency,
            threshold,
            !endpoint.conditions.is_empty(),
            failed,
        );
        if outcome == CheckOutcome::Down {
            record.error_class = Some(if failed { "condition" } else { "http" }.into());
            record.error = Some(if failed {
                notes.join("; ")
            } else {
                format!("HTTP {status}")
            });
        }
        record.outcome = Some(outcome);
        let complete = body.len() < self.config.max_body && body.len() as u64 == body_size;
        let seen = Some(Seen {
            status,
            content_type: headers_seen
                .iter()
                .find(|(k, _)| k == "content-type")
                .map(|(_, v)| v.clone()),
            body,
            complete,
        });
        Probe {
            record,
            notes,
            seen,
        }
    }
}

/// The outcome of an answered request.
pub fn classify(
    status: u16,
    latency: Duration,
    degraded_after: Duration,
    has_conditions: bool,
    condition_failed: bool,
) -> CheckOutcome {
    let base = if has_conditions {
        if condition_failed {
            CheckOutcome::Down
        } else {
            CheckOutcome::Up
        }
    } else {
        match status {
            200..=399 => CheckOutcome::Up,
            401 | 403 => CheckOutcome::Auth,
            400..=499 => CheckOutcome::Warn,
            _ => CheckOutcome::Down,
        }
    };
    if base == CheckOutcome::Up && latency > degraded_after {
        CheckOutcome::Degraded
    } else {
        base
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Reads at most `max` bytes of the body; returns them, the size seen
/// (the declared length when larger) and a read error, if any.
async fn read_body(mut response: reqwest::Response, max: usize) -> (Vec<u8>, u64, Option<String>) {
    let declared = response.content_length();
    let mut body = Vec::new();
    let mut seen = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                seen += chunk.len() as u64;
                let room = max.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= max {
                    return (body, declared.unwrap_or(seen).max(seen), None);
                }
            }
            Ok(None) => return (body, seen, None),
            Err(e) => return (body, seen, Some(format!("the body broke off: {e}"))),
        }
    }
}

/// Days until a DER certificate's `notAfter`, from `now_ms`; negative once
/// expired.
pub fn cert_days_left(der: &[u8], now_ms: i64) -> Option<i64> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let not_after = cert.validity().not_after.timestamp();
    Some((not_after * 1000 - now_ms).div_euclid(86_400_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SLOW: Duration = Duration::from_millis(800);

    #[test]
    fn statuses_classify_as_documented() {
        let fast = Duration::from_millis(10);
        assert_eq!(classify(200, fast, SLOW, false, false), CheckOutcome::Up);
        assert_eq!(classify(302, fast, SLOW, false, false), CheckOutcome::Up);
        assert_eq!(classify(401, fast, SLOW, false, false), CheckOutcome::Auth);
        assert_eq!(classify(403, fast, SLOW, false, false), CheckOutcome::Auth);
        assert_eq!(classify(404, fast, SLOW, false, false), CheckOutcome::Warn);
        assert_eq!(classify(503, fast, SLOW, false, false), CheckOutcome::Down);
        assert_eq!(
            classify(200, Duration::from_secs(1), SLOW, false, false),
            CheckOutcome::Degraded
        );
        // Conditions decide when there are some.
        assert_eq!(classify(503, fast, SLOW, true, false), CheckOutcome::Up);
        assert_eq!(classify(200, fast, SLOW, true, true), CheckOutcome::Down);
    }

    /// A keep-alive server on 127.0.0.1 answering `200 ok` to every request
    /// on every connection; returns its URL.
    async fn keep_alive_server() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        seen.extend_from_slice(&buf[..n]);
                        while let Some(end) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
                            seen.drain(..end + 4);
                            let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if socket.write_all(reply).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        format!("http://{addr}/health")
    }

    #[tokio::test]
    async fn a_new_connection_is_timed_and_a_reused_one_is_not() {
        let url = keep_alive_server().await;
        let endpoint = Endpoint {
            id: 1,
            watch_id: 1,
            method: "GET".into(),
            url,
            path: Some("/health".into()),
            source: "manual".into(),
            enabled: true,
            conditions: vec!["connect < 10s".into()],
            degraded_ms: None,
            state: crate::store::health::EndpointState::Unknown,
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_checked_at: None,
            headers: Vec::new(),
            body: None,
        };
        let prober = Prober::new(ProbeConfig::default()).unwrap();
        let first = prober.probe(&endpoint, &[]).await;
        assert_eq!(first.record.outcome, Some(CheckOutcome::Up), "{first:?}");
        let connect = first.record.connect_ms.expect("a new connection is timed");
        assert!(connect <= first.record.ttfb_ms.unwrap_or(0), "{first:?}");
        assert!(first.notes.is_empty(), "{:?}", first.notes);

        // The pooled connection is reused: no connect time, and a condition
        // on it is not judged rather than failed.
        let second = prober.probe(&endpoint, &[]).await;
        assert_eq!(second.record.outcome, Some(CheckOutcome::Up), "{second:?}");
        assert_eq!(second.record.connect_ms, None, "{second:?}");
        assert!(
            second.notes.iter().any(|n| n.contains("not judged")),
            "{:?}",
            second.notes
        );
    }
    /// A pooled connection is reused without its name being resolved (and
    /// judged) again, so a described probe must never get a connection
    /// that was opened for a hand-added endpoint or under a looser policy:
    /// it opens its own (and so it is timed).
    #[tokio::test]
    async fn a_described_probe_never_reuses_a_connection_opened_under_another_policy() {
        let url = keep_alive_server().await;
        let manual = Endpoint {
            id: 1,
            watch_id: 1,
            method: "GET".into(),
            url,
            path: Some("/health".into()),
            source: "manual".into(),
            enabled: true,
            conditions: Vec::new(),
            degraded_ms: None,
            state: crate::store::health::EndpointState::Unknown,
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_checked_at: None,
            headers: Vec::new(),
            body: None,
        };
        let described = Endpoint {
            source: "spec".into(),
            ..manual.clone()
        };
        let loopback = Policy {
            loopback: true,
            private: false,
        };
        let both = Policy {
            loopback: true,
            private: true,
        };
        let prober = Prober::new(ProbeConfig::default()).unwrap();
        let first = prober.probe(&manual, &[]).await;
        assert!(first.record.connect_ms.is_some(), "{first:?}");
        let own = prober.probe_within(&described, &[], loopback).await;
        assert_eq!(own.record.outcome, Some(CheckOutcome::Up), "{own:?}");
        assert!(own.record.connect_ms.is_some(), "a new connection: {own:?}");
        let other = prober.probe_within(&described, &[], both).await;
        assert!(
            other.record.connect_ms.is_some(),
            "a new connection: {other:?}"
        );
        // Under the same policy, the pool serves as before.
        let again = prober.probe_within(&described, &[], loopback).await;
        assert_eq!(again.record.connect_ms, None, "{again:?}");
    }
}
