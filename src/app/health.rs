//! `apiradar health`: discover, probe and record the endpoints of the
//! named (or all active) watches, with their figures.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{AppError, Delivery};
use crate::health::{self, check::Probe, check::ProbeConfig, declare::EndpointDecl};
use crate::store::health::{Endpoint, EndpointStats};
use crate::store::{SharedStore, Store, now_ms};
use crate::watch::{self, Watch};

#[derive(Debug, Clone, Default)]
pub struct HealthRequest {
    /// The watches; every active one when empty.
    pub names: Vec<String>,
    /// How long a probe may take.
    pub timeout: String,
    pub degraded_after: Option<String>,
    /// A PEM file of extra root certificates.
    pub ca_cert: Option<PathBuf>,
    /// An endpoint to add to the (one) named watch first.
    pub add: Option<NewEndpoint>,
    /// Operations (`GET /path`) to switch on, off, or back to the default.
    pub enable: Vec<String>,
    pub disable: Vec<String>,
    pub reset: Vec<String>,
    /// Only list the operations that are not probed, and why.
    pub skipped: bool,
    /// Turn probing of the (one) named watch's described endpoints on
    /// (`Some(true)`) or off.
    pub probe: Option<bool>,
    /// Allow (`Some(true)`) or refuse private and loopback targets for the
    /// (one) named watch's described endpoints.
    pub allow_private: Option<bool>,
}

/// A described endpoint that is found but not probed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotProbed {
    pub watch: String,
    pub method: String,
    pub url: String,
    pub reason: String,
}

/// `health --add URL` and its flags.
#[derive(Debug, Clone, Default)]
pub struct NewEndpoint {
    pub url: String,
    pub method: String,
    pub conditions: Vec<String>,
    /// `Name: value` headers.
    pub headers: Vec<String>,
    pub body: Option<String>,
    pub body_type: String,
}

/// One probed endpoint.
#[derive(Debug)]
pub struct HealthRow {
    pub watch: String,
    pub endpoint: Endpoint,
    pub probe: Probe,
    pub stats: EndpointStats,
    /// Open drift of its responses from the description: (errors,
    /// warnings, infos); `None` for an endpoint not matched to a described
    /// operation.
    pub drift: Option<(i64, i64, i64)>,
}

/// What a health command came to.
#[derive(Debug)]
pub enum HealthOutcome {
    /// `--skipped`: each watch's operations that are not probed, and why.
    Skipped(Vec<(String, String)>),
    /// Nothing to probe.
    NoEndpoints,
    Checked {
        rows: Vec<HealthRow>,
        /// How many are down.
        down: usize,
        delivery: Delivery,
    },
}

/// A health command's outcome, with the watches whose endpoints could
/// not be discovered (and why).
#[derive(Debug)]
pub struct Health {
    pub outcome: HealthOutcome,
    pub sync_errors: Vec<(String, String)>,
    /// Described endpoints found but not probed (health off, turned off,
    /// held for confirmation), with why.
    pub not_probed: Vec<NotProbed>,
    /// What was switched for the named watch (`--enable-all`, …), in words.
    pub switched: Vec<String>,
}

impl Health {
    /// An endpoint down fails the command (exit 1).
    pub fn verdict(&self) -> Result<(), AppError> {
        match &self.outcome {
            HealthOutcome::Checked { down, .. } if *down > 0 => Err(AppError::PartialFailure),
            _ => Ok(()),
        }
    }
}

pub fn run(store: &mut Store, a: &HealthRequest) -> Result<Health, AppError> {
    let mut config = ProbeConfig {
        timeout: super::parse_duration(&a.timeout)?,
        ..ProbeConfig::default()
    };
    if let Some(d) = &a.degraded_after {
        config.degraded_after = super::parse_duration(d)?;
    }
    if let Some(path) = &a.ca_cert {
        let pem =
            std::fs::read(path).map_err(|e| AppError::context(path.display().to_string(), e))?;
        config.extra_roots.push(pem);
    }
    let watches: Vec<Watch> = if a.names.is_empty() {
        store
            .list_watches()?
            .into_iter()
            .filter(|w| !w.paused)
            .collect()
    } else {
        a.names
            .iter()
            .map(|n| store.watch(n))
            .collect::<Result<_, _>>()?
    };
    let mut added = None;
    if let Some(new) = &a.add {
        let [watch] = watches.as_slice() else {
            return Err(AppError::usage("--add needs exactly one watch name"));
        };
        let mut headers = BTreeMap::new();
        for h in &new.headers {
            let (name, value) = watch::parse_header(h)?;
            headers.insert(name, value);
        }
        let decl = EndpointDecl {
            watch: watch.spec.name.clone(),
            url: new.url.clone(),
            method: Some(new.method.clone()),
            conditions: new.conditions.clone(),
            degraded_after: a.degraded_after.clone(),
            headers,
            body: new.body.clone(),
            body_type: new.body.as_ref().map(|_| new.body_type.clone()),
        };
        let def = decl
            .resolve(&super::current_dir()?)
            .map_err(AppError::Declaration)?;
        added = Some((
            watch.clone(),
            store.declare_endpoint(watch.id, &def.as_new(), false)?,
        ));
    }
    let mut switched = Vec::new();
    if a.probe.is_some() || a.allow_private.is_some() {
        let [watch] = watches.as_slice() else {
            return Err(AppError::usage(
                "--enable-all, --disable-all, --allow-private and --deny-private need exactly one watch name",
            ));
        };
        let now = store.set_health_settings(watch.id, a.probe, a.allow_private)?;
        let name = &watch.spec.name;
        if let Some(on) = a.probe {
            switched.push(if on {
                format!("{name}: health on: its described endpoints are probed")
            } else {
                format!(
                    "{name}: health off: its described endpoints are no longer probed (endpoints added with --add still are)"
                )
            });
        }
        if let Some(allow) = a.allow_private {
            switched.push(if allow {
                format!("{name}: its described endpoints may reach private and loopback addresses")
            } else {
                format!("{name}: its described endpoints may reach public addresses only")
            });
        }
        tracing::info!(watch = %name, probe = now.probe, allow_private = now.allow_private, "health settings changed");
    }
    let toggles = [
        (&a.enable, Some(true)),
        (&a.disable, Some(false)),
        (&a.reset, None),
    ];
    for (list, enabled) in toggles {
        for op in list {
            let [watch] = watches.as_slice() else {
                return Err(AppError::usage(
                    "--enable, --disable and --reset need exactly one watch name",
                ));
            };
            let (method, path) = health::declare::parse_operation(op).map_err(AppError::Usage)?;
            store.set_endpoint_override(watch.id, &method, &path, enabled)?;
        }
    }
    let mut sync_errors = Vec::new();
    let mut skipped = Vec::new();
    let mut targets = Vec::new();
    let mut not_probed = Vec::new();
    // `--add` checks the endpoint it adds, not every endpoint of the watch
    // again (adding many one by one would probe each n times).
    let only_added = added.filter(|_| !a.skipped);
    let survey: &[Watch] = if only_added.is_some() { &[] } else { &watches };
    if let Some(target) = only_added {
        targets.push(target);
    }
    for w in survey {
        let name = w.spec.name.clone();
        match health::sync_endpoints(store, w) {
            Ok(synced) if a.skipped => {
                for s in synced.skipped {
                    skipped.push((name.clone(), s));
                }
            }
            Ok(synced) => {
                for s in &synced.skipped {
                    tracing::debug!(watch = %name, "not probed: {s}");
                }
            }
            Err(e) => sync_errors.push((name.clone(), e)),
        }
        for (e, reason) in health::unprobed_endpoints(store, w)? {
            not_probed.push(NotProbed {
                watch: name.clone(),
                method: e.method,
                url: e.url,
                reason,
            });
        }
        let probed = health::probed_endpoints(store, w)?;
        if a.skipped {
            // Found and on, but refused by the target policy when last
            // probed (a name that resolves where probes may not go).
            for e in &probed {
                let last = store.checks(e.id, 1)?;
                if let Some(error) = last
                    .first()
                    .and_then(|c| c.error.as_deref())
                    .filter(|err| err.contains("refused by the target policy"))
                {
                    let path = e.path.as_deref().unwrap_or(&e.url);
                    skipped.push((name.clone(), format!("{} {path}: {error}", e.method)));
                }
            }
            continue;
        }
        for e in probed {
            targets.push((w.clone(), e));
        }
    }
    if a.skipped {
        for n in &not_probed {
            skipped.push((
                n.watch.clone(),
                format!("{} {}: {}", n.method, n.url, n.reason),
            ));
        }
        return Ok(Health {
            outcome: HealthOutcome::Skipped(skipped),
            sync_errors,
            not_probed: Vec::new(),
            switched,
        });
    }
    if targets.is_empty() {
        return Ok(Health {
            outcome: HealthOutcome::NoEndpoints,
            sync_errors,
            not_probed,
            switched,
        });
    }
    let prober = health::check::Prober::new(config).map_err(AppError::Failed)?;
    let shared: SharedStore = Arc::new(Mutex::new(Store::open(store.path())?));
    let (results, delivery) = super::runtime()?.block_on(async {
        let results =
            health::run_checks(&shared, &prober, targets, health::Concurrency::default()).await;
        let delivery = super::send_queued_alerts(&shared).await;
        (results, delivery)
    });
    let now = now_ms();
    let name_of = |id: i64| {
        watches
            .iter()
            .find(|w| w.id == id)
            .map(|w| w.spec.name.clone())
            .unwrap_or_default()
    };
    let down = results
        .iter()
        .filter(|(e, _)| e.state == crate::store::health::EndpointState::Down)
        .count();
    let mut rows = Vec::new();
    let mut drift_counts: BTreeMap<i64, Vec<(String, i64, i64, i64)>> = BTreeMap::new();
    for (endpoint, probe) in results {
        let stats = store.endpoint_stats(endpoint.id, now, 0)?;
        if let std::collections::btree_map::Entry::Vacant(slot) =
            drift_counts.entry(endpoint.watch_id)
        {
            slot.insert(store.drift_counts(endpoint.watch_id)?);
        }
        let drift = endpoint.path.as_ref().map(|path| {
            let op = format!("{} {path}", endpoint.method);
            drift_counts
                .get(&endpoint.watch_id)
                .and_then(|list| list.iter().find(|(o, ..)| *o == op))
                .map_or((0, 0, 0), |(_, e, w, i)| (*e, *w, *i))
        });
        rows.push(HealthRow {
            watch: name_of(endpoint.watch_id),
            endpoint,
            probe,
            stats,
            drift,
        });
    }
    Ok(Health {
        outcome: HealthOutcome::Checked {
            rows,
            down,
            delivery,
        },
        sync_errors,
        not_probed,
        switched,
    })
}

/// What probing a watch's endpoints means, before the user turns it on or
/// off from the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbingState {
    pub watch_id: i64,
    pub watch: String,
    /// Whether the watch's described endpoints are probed now.
    pub on: bool,
    /// The endpoints probed once it is on (described and added by hand,
    /// minus those turned off).
    pub endpoints: usize,
    /// Their hosts, sorted.
    pub hosts: Vec<String>,
    /// Why the latest version's endpoints could not be discovered, if so.
    pub discovery_error: Option<String>,
    /// The watch is an OpenAPI description (json and page watches
    /// describe no endpoints).
    pub describes: bool,
}

/// Whether probing is on for a watch, and what it covers when on. With
/// `discover`, the endpoints of the latest version are found first (a
/// parse of the stored description; nothing is fetched).
pub fn probing_state(
    store: &mut Store,
    watch_id: i64,
    discover: bool,
) -> Result<ProbingState, AppError> {
    let w = store
        .watch_by_id(watch_id)?
        .ok_or_else(|| AppError::Failed("the watch is gone".into()))?;
    let discovery_error = if discover {
        health::sync_endpoints(store, &w).err()
    } else {
        None
    };
    let settings = store.health_settings(w.id)?;
    let enabled: Vec<Endpoint> = store
        .endpoints(w.id)?
        .into_iter()
        .filter(|e| e.enabled)
        .collect();
    let mut hosts: Vec<String> = enabled
        .iter()
        .map(|e| {
            url::Url::parse(&e.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_else(|| e.url.clone())
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    Ok(ProbingState {
        watch_id: w.id,
        watch: w.spec.name,
        on: settings.probe,
        endpoints: enabled.len(),
        hosts,
        discovery_error,
        describes: w.spec.kind == crate::watch::Kind::OpenApi,
    })
}

/// Turns probing of a watch's described endpoints on or off (what
/// `apiradar health NAME --enable-all/--disable-all` does); returns the
/// change in words.
pub fn set_probing(store: &mut Store, watch_id: i64, on: bool) -> Result<String, AppError> {
    let w = store
        .watch_by_id(watch_id)?
        .ok_or_else(|| AppError::Failed("the watch is gone".into()))?;
    store.set_health_settings(w.id, Some(on), None)?;
    let name = &w.spec.name;
    tracing::info!(watch = %name, probe = on, "health settings changed from the dashboard");
    Ok(if on {
        format!("{name}: probing on: its endpoints are checked every 5 minutes while apiradar runs")
    } else {
        format!("{name}: probing off: its described endpoints are no longer checked")
    })
}
