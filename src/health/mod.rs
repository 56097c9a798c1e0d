//! Endpoint health: which endpoints of a watched API to probe, probing
//! them, classifying what came back, and the figures kept about them
//! (uptime, latency percentiles).
//!
//! - [`discover`]: safe probe targets from the latest stored description;
//! - [`conditions`]: the small language of per-endpoint conditions;
//! - [`check`]: one probe, timed and classified;
//! - [`transitions`]: what a check means for each alert channel (down,
//!   still down, recovered);
//! - the store keeps every check, hourly rollups and each endpoint's state
//!   (`store::health`); [`record_check`] writes a check with what it
//!   changes.

pub mod check;
pub mod conditions;
pub mod declare;
pub mod discover;
pub mod transitions;

use std::sync::Arc;

use crate::store::health::{CheckRecord, Endpoint, EndpointState, NewEndpoint, RequestBody};
use crate::store::{SharedStore, Store, StoreError, with_store};
use crate::watch::{Kind, Watch};
use check::{Probe, Prober};

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
    /// without an example, no server URL…).
    pub skipped: Vec<String>,
}

/// Finds the probe targets in the latest version of an `openapi` watch and
/// stores them as its `spec` endpoints. Other kinds have only the
/// endpoints added by hand.
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
    let overrides = store
        .endpoint_overrides(watch.id)
        .map_err(|e| e.to_string())?;
    let found = discover::discover_with(&doc, Some(&origin), &|method, path| {
        overrides
            .iter()
            .any(|(m, p, on)| *on && m == method && p == path)
    });
    let targets: Vec<NewEndpoint> = found
        .targets
        .iter()
        .map(|t| NewEndpoint {
            method: t.method.clone(),
            url: t.url.clone(),
            path: Some(t.path.clone()),
            headers: t.headers.clone(),
            body: t
                .body
                .clone()
                .map(|(media_type, text)| RequestBody { media_type, text }),
        })
        .collect();
    let (added, removed) = store
        .sync_spec_endpoints(watch.id, &targets)
        .map_err(|e| e.to_string())?;
    Ok(Synced {
        added,
        removed,
        skipped: found
            .skipped
            .iter()
            .map(|s| format!("{} {}: {}", s.method, s.path, s.reason))
            .collect(),
    })
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
    let limiter = crate::pipeline::worker::Limiter::new(limits.global, limits.per_host);
    let mut set = tokio::task::JoinSet::new();
    let total = endpoints.len();
    for (i, (watch, endpoint)) in endpoints.into_iter().enumerate() {
        let (prober, limiter, store) = (prober.clone(), limiter.clone(), Arc::clone(store));
        set.spawn(async move {
            let host = url::Url::parse(&endpoint.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let _host = limiter.host(&host).acquire_owned().await.ok();
            let _all = limiter.global.clone().acquire_owned().await.ok();
            let headers = headers_for(&watch, &endpoint);
            let probe = prober.probe(&endpoint, &headers).await;
            let id = endpoint.id;
            let record = probe.record.clone();
            let stored = with_store(&store, move |s| record_check(s, id, &record)).await;
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

/// Probes the endpoints of every active watch every `schedule.every`
/// until the task is dropped or aborted. Before each round endpoints are
/// discovered again from the latest versions; after it, raw checks older
/// than the retention are pruned in small batches (rollups stay), so
/// cleanup never holds the database for long. Each watch's round is
/// reported as [`WorkerEvent::HealthChecked`].
pub async fn schedule(
    store: SharedStore,
    prober: Prober,
    schedule: Schedule,
    events: Option<tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::WorkerEvent>>,
) {
    loop {
        let started = tokio::time::Instant::now();
        let round = with_store(&store, |s| {
            let mut targets = Vec::new();
            for w in s.list_watches()?.into_iter().filter(|w| !w.paused) {
                if let Err(e) = sync_endpoints(s, &w) {
                    tracing::warn!(watch = %w.spec.name, "endpoints not discovered: {e}");
                }
                for e in s.endpoints(w.id)?.into_iter().filter(|e| e.enabled) {
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
                        let _ = tx.send(crate::pipeline::worker::WorkerEvent::HealthChecked {
                            name,
                            checked,
                            down,
                        });
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
