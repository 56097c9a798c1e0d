//! Endpoint health: which endpoints of a watched API to probe, probing
//! them, classifying what came back, and the figures kept about them
//! (uptime, latency percentiles).
//!
//! - [`discover`]: safe probe targets from the latest stored description;
//! - [`conditions`]: the small language of per-endpoint conditions;
//! - [`policy`]: where a probe taken from a description may go, and which
//!   headers it may not set;
//! - [`check`]: one probe, timed and classified;
//! - [`transitions`]: what a check means for each alert channel (down,
//!   still down, recovered);
//! - the store keeps every check, hourly rollups and each endpoint's state
//!   (`store::health`); [`record_check`] writes a check with what it
//!   changes.

pub mod audit;
pub mod check;
pub mod conditions;
pub mod conform;
pub mod declare;
pub mod discover;
pub mod policy;
pub mod transitions;

use std::sync::Arc;

use crate::store::health::{CheckRecord, Endpoint, EndpointState, NewEndpoint, RequestBody};
use crate::store::{SharedStore, Store, StoreError, with_store};
use crate::watch::{Kind, Watch};
use check::{Probe, Prober};
use policy::Policy;

/// How many probes run at once, in all and per host.
#[derive(Debug, Clone, Copy)]
pub struct Concurrency {
    pub global: usize,
    pub per_host: usize,
}

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            global: 16,
            per_host: 4,
        }
    }
}

/// What discovering a watch's endpoints came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Synced {
    pub added: usize,
    pub removed: usize,
    /// Operations not probed, and why (unsafe method, a required parameter
    /// without an example, no server URL, refused by the target
    /// policy…), as `METHOD /path: reason`.
    pub skipped: Vec<String>,
}

/// What is said of a described endpoint while health is off for its watch.
pub fn health_off_reason(watch: &str) -> String {
    format!(
        "not probed: health is off for this watch; turn on with `apiradar health {watch} --enable-all`"
    )
}

/// The SHA-256 (hex) of a body an operation is confirmed with; of the
/// empty text when there is none.
fn body_sha256(body: Option<&(String, String)>) -> String {
    use sha2::Digest;
    let mut hash = sha2::Sha256::new();
    if let Some((media, text)) = body {
        hash.update(media.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Where an operation turned on by hand stands against what a description
/// now says of it.
enum Hold {
    /// Turned on before its server and body were recorded.
    Unconfirmed,
    /// Same server and body as when it was turned on.
    Confirmed,
    /// Another server or body: not probed until confirmed, with why.
    Held(String),
}

fn hold_reason(watch: &str, o: &crate::store::health::Override, t: &discover::Target) -> Hold {
    let confirm = format!(
        "confirm with `apiradar health {watch} --enable '{} {}'`",
        t.method, t.path
    );
    match (&o.server, &o.body_sha256) {
        (Some(server), _) if *server != t.server => Hold::Held(format!(
            "held: turned on for {server}, and the description now sends it to {}; {confirm}",
            t.server
        )),
        (Some(_), Some(body)) if *body != body_sha256(t.body.as_ref()) => Hold::Held(format!(
            "held: its request body changed in the description since it was turned on; {confirm}"
        )),
        (Some(_), Some(_)) => Hold::Confirmed,
        _ => Hold::Unconfirmed,
    }
}

/// The operations turned on by hand for `watch` that `doc` (a version of
/// its description) would hold: moved to another server or given another
/// body since they were confirmed. Each is `(method, path, why)`; a diff
/// shows them so that a reviewer sees that probing of them stopped.
pub fn holds_in(
    store: &Store,
    watch: &Watch,
    doc: &serde_json::Value,
    origin: &str,
) -> Result<Vec<(String, String, String)>, StoreError> {
    let overrides: Vec<_> = store
        .endpoint_override_keys(watch.id)?
        .into_iter()
        .filter(|o| o.enabled && o.server.is_some())
        .collect();
    if overrides.is_empty() {
        return Ok(Vec::new());
    }
    let found = discover::discover_with(doc, Some(origin), &|method, path| {
        overrides
            .iter()
            .any(|o| o.method == method && o.path == path)
    });
    let mut out = Vec::new();
    for t in &found.targets {
        if let Some(o) = overrides
            .iter()
            .find(|o| o.method == t.method && o.path == t.path)
            && let Hold::Held(why) = hold_reason(&watch.spec.name, o, t)
        {
            out.push((t.method.clone(), t.path.clone(), why));
        }
    }
    Ok(out)
}

/// Finds the probe targets in the latest version of an `openapi` watch and
/// stores them as its `spec` endpoints. Other kinds have only the
/// endpoints added by hand.
///
/// Targets the target policy refuses by their address as written (see
/// [`policy`]) are skipped with the reason; names are judged when probed.
/// An operation turned on by hand is keyed on its server and body: the
/// first discovery after it was turned on records them, and a later one
/// that finds another server or body holds it (stored, not probed) until
/// the user turns it on again.
pub fn sync_endpoints(store: &mut crate::store::Store, watch: &Watch) -> Result<Synced, String> {
    if watch.spec.kind != Kind::OpenApi {
        return Ok(Synced::default());
    }
    let Some(version) = store.latest_version(watch.id).map_err(|e| e.to_string())? else {
        return Ok(Synced::default());
    };
    let raw = store
        .read_blob(version.blob_id)
        .map_err(|e| e.to_string())?;
    let (doc, _) =
        crate::spec::parse_document(&raw, &crate::spec::Limits::default()).map_err(|e| {
            format!(
                "{}: the latest version cannot be read: {e}",
                watch.spec.name
            )
        })?;
    let origin = version
        .final_url
        .clone()
        .unwrap_or_else(|| watch.spec.location.clone());
    let settings = store.health_settings(watch.id).map_err(|e| e.to_string())?;
    let overrides = store
        .endpoint_override_keys(watch.id)
        .map_err(|e| e.to_string())?;
    let found = discover::discover_with(&doc, Some(&origin), &|method, path| {
        overrides
            .iter()
            .any(|o| o.enabled && o.method == method && o.path == path)
    });
    // The watch's own address decides whether loopback and private targets
    // may be reached. When it is a name, only what is refused whatever
    // the watch is can be judged here; the rest is judged when probing,
    // once the names are resolved.
    let policy = match policy::watch_classes_literal(&watch.spec.location) {
        Some(classes) => policy::Policy::for_watch(&classes, settings.allow_private),
        None => policy::Policy {
            loopback: true,
            private: true,
        },
    };
    let mut skipped: Vec<String> = found
        .skipped
        .iter()
        .map(|s| format!("{} {}: {}", s.method, s.path, s.reason))
        .collect();
    let mut targets: Vec<NewEndpoint> = Vec::new();
    for t in &found.targets {
        let checked = url::Url::parse(&t.url)
            .map_err(|e| format!("`{}` is not a URL ({e})", t.url))
            .and_then(|u| policy.check_url(&u));
        if let Err(why) = checked {
            skipped.push(format!("{} {}: {why}", t.method, t.path));
            continue;
        }
        let mut held = None;
        if let Some(o) = overrides
            .iter()
            .find(|o| o.enabled && o.method == t.method && o.path == t.path)
        {
            match hold_reason(&watch.spec.name, o, t) {
                Hold::Held(why) => held = Some(why),
                Hold::Confirmed => {}
                Hold::Unconfirmed => {
                    let sha = body_sha256(t.body.as_ref());
                    store
                        .confirm_override(watch.id, &t.method, &t.path, &t.server, &sha)
                        .map_err(|e| e.to_string())?
                }
            }
        }
        if let Some(why) = &held {
            tracing::warn!(watch = %watch.spec.name, "{} {} {why}", t.method, t.path);
        }
        targets.push(NewEndpoint {
            method: t.method.clone(),
            url: t.url.clone(),
            path: Some(t.path.clone()),
            headers: t.headers.clone(),
            body: t
                .body
                .clone()
                .map(|(media_type, text)| RequestBody { media_type, text }),
            held,
        });
    }
    let (added, removed) = store
        .sync_spec_endpoints(watch.id, &targets)
        .map_err(|e| e.to_string())?;
    Ok(Synced {
        added,
        removed,
        skipped,
    })
}

/// The endpoints of a watch that are probed now: those added by hand that
/// are on, and the described ones when health is on for the watch (and
/// they are neither turned off nor held).
pub fn probed_endpoints(store: &Store, watch: &Watch) -> Result<Vec<Endpoint>, StoreError> {
    let settings = store.health_settings(watch.id)?;
    Ok(store
        .endpoints(watch.id)?
        .into_iter()
        .filter(|e| e.enabled && (e.source == "manual" || settings.probe))
        .collect())
}

/// The described endpoints of a watch that are found but not probed, with
/// why: health is off, the user turned them off, or they wait for a
/// confirmation.
pub fn unprobed_endpoints(
    store: &Store,
    watch: &Watch,
) -> Result<Vec<(Endpoint, String)>, StoreError> {
    let settings = store.health_settings(watch.id)?;
    let holds = store.endpoint_holds(watch.id)?;
    let name = &watch.spec.name;
    Ok(store
        .endpoints(watch.id)?
        .into_iter()
        .filter(|e| e.source != "manual" && !(e.enabled && settings.probe))
        .map(|e| {
            let why = if let Some((_, held)) = holds.iter().find(|(id, _)| *id == e.id) {
                held.clone()
            } else if !settings.probe {
                health_off_reason(name)
            } else {
                format!(
                    "turned off (`apiradar health {name} --reset '{} {}'` turns it back on)",
                    e.method,
                    e.path.as_deref().unwrap_or("/")
                )
            };
            (e, why)
        })
        .collect())
}

/// Records a check of an endpoint with its rollup and the endpoint's new
/// state, and queues the `down`, reminder and `recovered` alerts it causes
/// on each channel, in one transaction. Returns the endpoint as it is
/// afterwards.
pub fn record_check(
    store: &mut Store,
    endpoint_id: i64,
    rec: &CheckRecord,
) -> Result<Endpoint, StoreError> {
    store.record_check(endpoint_id, rec, |e, watch, rules| {
        transitions::transitions(e, rec, watch, rules)
    })
}

/// The headers a watch's probes send: the watch's own, resolved from the
/// environment, but only to the watch's own origin so credentials never
/// reach another host.
fn headers_for(watch: &Watch, endpoint: &Endpoint) -> Vec<(String, String)> {
    // An endpoint's own headers may hold `${VAR}` references (added with
    // `health --add URL -H`); only the references are stored.
    let mut headers: Vec<(String, String)> = endpoint
        .headers
        .iter()
        // A described endpoint's headers come from third-party text.
        .filter(|(name, _)| endpoint.source == "manual" || !policy::forbidden_header(name))
        .filter_map(
            |h| match crate::watch::resolve_headers(std::slice::from_ref(h)) {
                Ok(mut v) => v.pop(),
                Err(e) => {
                    tracing::warn!(url = %endpoint.url, "header not sent: {e}");
                    None
                }
            },
        )
        .collect();
    let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
    if !watch.spec.headers.is_empty() && origin(&watch.spec.location) == origin(&endpoint.url) {
        headers.extend(crate::watch::resolve_headers(&watch.spec.headers).unwrap_or_default());
    }
    headers
}

/// Probes `endpoints` (each with its watch) within the concurrency limits,
/// records every check, and returns the endpoints as they are afterwards
/// with what their probe found, in the order given.
pub async fn run_checks(
    store: &SharedStore,
    prober: &Prober,
    endpoints: Vec<(Watch, Endpoint)>,
    limits: Concurrency,
) -> Vec<(Endpoint, Probe)> {
    let limiter = crate::fetch::Limiter::new(limits.global, limits.per_host);
    let mut set = tokio::task::JoinSet::new();
    let total = endpoints.len();
    // Each watch's target policy: its own address (resolved once) and
    // whether the user allows private targets.
    let mut policies: std::collections::HashMap<i64, Policy> = Default::default();
    for (watch, _) in &endpoints {
        if policies.contains_key(&watch.id) {
            continue;
        }
        let id = watch.id;
        let allow = with_store(store, move |s| s.health_settings(id))
            .await
            .map(|h| h.allow_private)
            .unwrap_or(false);
        let classes = policy::watch_classes(&watch.spec.location).await;
        policies.insert(watch.id, Policy::for_watch(&classes, allow));
    }
    // Each watch's latest description, for the conformance of what its
    // described endpoints answer (read once per round; no request).
    let mut described: std::collections::HashMap<i64, Option<Arc<conform::Described>>> =
        Default::default();
    for (watch, endpoint) in &endpoints {
        if endpoint.path.is_none() || described.contains_key(&watch.id) {
            continue;
        }
        described.insert(watch.id, latest_described(store, watch).await.map(Arc::new));
    }
    for (i, (watch, endpoint)) in endpoints.into_iter().enumerate() {
        let policy = policies.get(&watch.id).copied().unwrap_or(Policy::STRICT);
        let description = described.get(&watch.id).cloned().flatten();
        let (prober, limiter, store) = (prober.clone(), limiter.clone(), Arc::clone(store));
        set.spawn(async move {
            // The same server as the worker's polls count it (host:port).
            let host = url::Url::parse(&endpoint.url)
                .map(|u| crate::fetch::host_key(&u))
                .unwrap_or_default();
            let _host = limiter.host(&host).acquire_owned().await.ok();
            let _all = limiter.global.clone().acquire_owned().await.ok();
            let headers = headers_for(&watch, &endpoint);
            let mut probe = prober.probe_within(&endpoint, &headers, policy).await;
            let id = endpoint.id;
            let record = probe.record.clone();
            let stored = with_store(&store, move |s| record_check(s, id, &record)).await;
            // The body is dropped here: only its shape and samples stay.
            let seen = probe.seen.take();
            if let (Some(seen), Some(description), Some(path)) =
                (seen, description, endpoint.path.clone())
                && endpoint.method != "HEAD"
            {
                let note = conform_probe(
                    &store,
                    &description,
                    &endpoint,
                    &path,
                    seen,
                    probe.record.at,
                )
                .await;
                if let Some(note) = note {
                    probe.notes.push(note);
                }
            }
            let endpoint = match stored {
                Ok(e) => e,
                Err(e) => {
                    tracing::warn!(endpoint = %endpoint.url, "cannot record a check: {e}");
                    endpoint
                }
            };
            (i, endpoint, probe)
        });
    }
    let mut out: Vec<Option<(Endpoint, Probe)>> = (0..total).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        if let Ok((i, e, p)) = joined {
            out[i] = Some((e, p));
        }
    }
    out.into_iter().flatten().collect()
}

/// The latest version of an `openapi` watch, ready for conformance
/// checks; `None` (logged) when there is none or it does not read.
pub async fn latest_described(store: &SharedStore, watch: &Watch) -> Option<conform::Described> {
    if watch.spec.kind != Kind::OpenApi {
        return None;
    }
    let id = watch.id;
    let raw = with_store(store, move |s| match s.latest_version(id)? {
        Some(v) => s.read_blob(v.blob_id).map(Some),
        None => Ok(None),
    })
    .await;
    let raw = match raw {
        Ok(Some(raw)) => raw,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(watch = %watch.spec.name, "no conformance check: {e}");
            return None;
        }
    };
    let name = watch.spec.name.clone();
    tokio::task::spawn_blocking(move || match conform::Described::from_raw(&raw) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(watch = %name, "no conformance check: {e}");
            None
        }
    })
    .await
    .ok()
    .flatten()
}

/// Checks what a described endpoint answered against its description and
/// records it; returns the note of a body that could not be validated.
async fn conform_probe(
    store: &SharedStore,
    description: &Arc<conform::Described>,
    endpoint: &Endpoint,
    path: &str,
    seen: check::Seen,
    at: i64,
) -> Option<String> {
    let (description, method, path) = (
        Arc::clone(description),
        endpoint.method.clone(),
        path.to_string(),
    );
    let operation = format!("{method} {path}");
    let verdict = tokio::task::spawn_blocking(move || {
        description.check(
            &method,
            &path,
            &conform::Response {
                status: seen.status,
                content_type: seen.content_type.as_deref(),
                body: &seen.body,
                complete: seen.complete,
            },
        )
    })
    .await
    .ok()?;
    let watch_id = endpoint.watch_id;
    let op = operation.clone();
    match with_store(store, move |s| {
        conform::record(s, watch_id, &op, at, &verdict)
    })
    .await
    {
        Ok(note) => note,
        Err(e) => {
            tracing::warn!(operation = %operation, "cannot record a conformance check: {e}");
            None
        }
    }
}

/// How often the scheduler probes, and how long raw checks are kept.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub every: std::time::Duration,
    pub retention: std::time::Duration,
    pub limits: Concurrency,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            every: std::time::Duration::from_secs(300),
            retention: std::time::Duration::from_secs(30 * 24 * 3600),
            limits: Concurrency::default(),
        }
    }
}

/// One watch's round of checks, for whoever follows the schedule (the
/// worker's events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundReport {
    pub name: String,
    /// Endpoints checked, and how many of them were down.
    pub checked: usize,
    pub down: usize,
}

/// Probes the endpoints of every active watch every `schedule.every`
/// (described ones only for watches with health on)
/// until the task is dropped or aborted. Before each round endpoints are
/// discovered again from the latest versions; after it, raw checks older
/// than the retention are pruned in small batches (rollups stay), so
/// cleanup never holds the database for long. Each watch's round is
/// reported as a [`RoundReport`].
pub async fn schedule<E>(
    store: SharedStore,
    prober: Prober,
    schedule: Schedule,
    events: Option<tokio::sync::mpsc::UnboundedSender<E>>,
) where
    E: From<RoundReport> + Send + 'static,
{
    loop {
        let started = tokio::time::Instant::now();
        let round = with_store(&store, |s| {
            let mut targets = Vec::new();
            for w in s.list_watches()?.into_iter().filter(|w| !w.paused) {
                if let Err(e) = sync_endpoints(s, &w) {
                    tracing::warn!(watch = %w.spec.name, "endpoints not discovered: {e}");
                }
                for e in probed_endpoints(s, &w)? {
                    targets.push((w.clone(), e));
                }
            }
            Ok(targets)
        })
        .await;
        match round {
            Ok(targets) => {
                let names: Vec<(i64, String)> = targets
                    .iter()
                    .map(|(w, _)| (w.id, w.spec.name.clone()))
                    .collect();
                let results = run_checks(&store, &prober, targets, schedule.limits).await;
                if let Some(tx) = &events {
                    let mut per_watch: std::collections::BTreeMap<String, (usize, usize)> =
                        Default::default();
                    for (e, _) in &results {
                        let name = names
                            .iter()
                            .find(|(id, _)| *id == e.watch_id)
                            .map(|(_, n)| n.clone())
                            .unwrap_or_default();
                        let entry = per_watch.entry(name).or_default();
                        entry.0 += 1;
                        entry.1 += usize::from(e.state == EndpointState::Down);
                    }
                    for (name, (checked, down)) in per_watch {
                        let _ = tx.send(E::from(RoundReport {
                            name,
                            checked,
                            down,
                        }));
                    }
                }
            }
            Err(e) => tracing::warn!("health round skipped: {e}"),
        }
        let before = crate::store::now_ms()
            - i64::try_from(schedule.retention.as_millis()).unwrap_or(i64::MAX);
        loop {
            match with_store(&store, move |s| s.prune_checks(before, 5_000)).await {
                Ok(5_000) => tokio::task::yield_now().await,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!("pruning old checks failed: {e}");
                    break;
                }
            }
        }
        tokio::time::sleep_until(started + schedule.every).await;
    }
}
