//! What the front ends list: typed rows read from the store, for the
//! command line's tables and JSON and for the dashboard's panes.

use std::collections::HashMap;

use super::AppError;
use crate::caching::suite::{RELIABILITY_RUNS, reliability};
use crate::store::alerts::{Attempt, Channel, Outbox};
use crate::store::caching::{CacheRequestRow, CacheRun, CacheTarget, ModelState};
use crate::store::health::{Endpoint, EndpointStats};
use crate::store::{Run, Store, StoreError, Version, now_ms};
use crate::watch::Watch;

// ---- the command line --------------------------------------------------

pub fn watches(store: &Store) -> Result<Vec<Watch>, AppError> {
    Ok(store.list_watches()?)
}

/// A watch and its versions, oldest first.
pub fn history(store: &Store, name: &str) -> Result<(Watch, Vec<Version>), AppError> {
    let watch = store.watch(name)?;
    let versions = store.versions(watch.id)?;
    Ok((watch, versions))
}

/// An alert with its delivery attempts, oldest first.
#[derive(Debug, Clone)]
pub struct AlertRow {
    pub alert: Outbox,
    pub attempts: Vec<Attempt>,
}

/// The latest `limit` alerts, newest first.
pub fn alerts(store: &Store, limit: usize) -> Result<Vec<AlertRow>, AppError> {
    store
        .alert_history(limit)?
        .into_iter()
        .map(|alert| {
            let attempts = store.alert_attempts(alert.id)?;
            Ok(AlertRow { alert, attempts })
        })
        .collect()
}

/// One alert by its number.
pub fn alert(store: &Store, id: i64) -> Result<AlertRow, AppError> {
    let Some(alert) = store.alert(id)? else {
        return Err(AppError::usage(format!(
            "no alert #{id} (see `apiradar alerts`)"
        )));
    };
    let attempts = store.alert_attempts(id)?;
    Ok(AlertRow { alert, attempts })
}

pub fn channels(store: &Store) -> Result<Vec<Channel>, AppError> {
    Ok(store.channels()?)
}

/// One model of one caching target, as `cache list` shows it.
#[derive(Debug, Clone)]
pub struct CacheListRow {
    pub target: CacheTarget,
    pub model: String,
    /// The latest run.
    pub last: Option<CacheRun>,
    /// Over the last [`RELIABILITY_RUNS`] runs, 0–100.
    pub reliability: Option<u8>,
    pub state: ModelState,
}

pub fn cache_list(store: &Store) -> Result<Vec<CacheListRow>, AppError> {
    let mut rows = Vec::new();
    for t in store.cache_targets()? {
        for m in &t.models {
            let runs = store.cache_runs(&t.name, Some(m), RELIABILITY_RUNS)?;
            let score = reliability(
                runs.iter()
                    .flat_map(|r| r.results.iter().map(|x| x.verdict)),
            );
            let state = store.model_state(t.id, m)?;
            rows.push(CacheListRow {
                target: t.clone(),
                model: m.clone(),
                last: runs.into_iter().next(),
                reliability: score,
                state,
            });
        }
    }
    Ok(rows)
}

/// The latest runs of a target (of one model, when given), newest first.
pub fn cache_history(
    store: &Store,
    name: &str,
    model: Option<&str>,
    limit: usize,
) -> Result<Vec<CacheRun>, AppError> {
    store.cache_target(name)?;
    Ok(store.cache_runs(name, model, limit)?)
}

// ---- the dashboard -----------------------------------------------------

/// How many recent polls the timeline looks at for failures.
const RECENT_RUNS: usize = 200;

/// One row of the watch list.
#[derive(Debug, Clone)]
pub struct WatchRow {
    pub watch: Watch,
    pub latest: Option<Version>,
}

/// Every watch with its latest version.
pub fn watch_rows(store: &Store) -> Result<Vec<WatchRow>, StoreError> {
    store
        .list_watches()?
        .into_iter()
        .map(|watch| {
            let latest = store.latest_version(watch.id)?;
            Ok(WatchRow { watch, latest })
        })
        .collect()
}

/// One row of a timeline, newest first.
#[derive(Debug, Clone)]
pub enum TimelineRow {
    Version(Box<Version>),
    /// A poll that failed.
    Failure(Run),
}

/// A loaded timeline.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub watch_id: i64,
    pub rows: Vec<TimelineRow>,
}

/// The versions and recent failed polls of a watch, newest first.
pub fn timeline(store: &Store, watch_id: i64) -> Result<Timeline, StoreError> {
    let versions = store.versions(watch_id)?;
    let runs = store.runs(watch_id, RECENT_RUNS)?;
    let mut rows: Vec<(i64, TimelineRow)> = versions
        .into_iter()
        .map(|v| (v.fetched_at, TimelineRow::Version(Box::new(v))))
        .collect();
    rows.extend(
        runs.into_iter()
            .filter(|r| r.outcome == crate::store::PollOutcome::Failed)
            .map(|r| (r.started_at, TimelineRow::Failure(r))),
    );
    // Newest first; a version and a failure at the same instant keep
    // the version on top.
    rows.sort_by(|a, b| {
        b.0.cmp(&a.0).then_with(|| {
            matches!(a.1, TimelineRow::Failure(_)).cmp(&matches!(b.1, TimelineRow::Failure(_)))
        })
    });
    Ok(Timeline {
        watch_id,
        rows: rows.into_iter().map(|(_, r)| r).collect(),
    })
}

/// How many of the latest alerts the history loads: enough to scroll back
/// days of a busy setup, bounded so a years-old outbox costs the same.
pub const ALERT_HISTORY: usize = 500;

/// The alert history: the latest outbox rows, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertHistory {
    pub rows: Vec<Outbox>,
    /// The channels' names, so an empty history can say whether any exist.
    pub channels: Vec<String>,
    /// Whether older alerts exist beyond [`ALERT_HISTORY`].
    pub truncated: bool,
    /// Each alert's delivery attempts, oldest first (alerts not tried yet
    /// have none).
    pub attempts: HashMap<i64, Vec<Attempt>>,
}

pub fn alert_history(store: &Store) -> Result<AlertHistory, StoreError> {
    // One row more than shown tells whether there are older ones.
    let mut rows = store.alert_history(ALERT_HISTORY + 1)?;
    let truncated = rows.len() > ALERT_HISTORY;
    rows.truncate(ALERT_HISTORY);
    let channels = store.channels()?.into_iter().map(|c| c.name).collect();
    let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
    let attempts = store.attempts_of(&ids)?;
    Ok(AlertHistory {
        rows,
        channels,
        truncated,
        attempts,
    })
}

/// How many recent checks the health pane's sparklines show.
pub const SPARK_CHECKS: usize = 30;

/// The endpoints of a watch, each with its figures.
#[derive(Debug, Clone)]
pub struct HealthView {
    pub watch_id: i64,
    pub rows: Vec<(Endpoint, EndpointStats)>,
    /// The watch's latest alerts, newest first.
    pub alerts: Vec<Outbox>,
    /// Open drift of the watch's responses from its description, by
    /// operation (`GET /path`), errors first.
    pub drift: Vec<crate::store::drift::DriftRow>,
}

pub fn health(store: &Store, watch_id: i64) -> Result<HealthView, StoreError> {
    let now = now_ms();
    let rows = store
        .endpoints(watch_id)?
        .into_iter()
        .map(|e| {
            let stats = store.endpoint_stats(e.id, now, SPARK_CHECKS)?;
            Ok((e, stats))
        })
        .collect::<Result<_, StoreError>>()?;
    let alerts = match store.watch_by_id(watch_id)? {
        Some(w) => store.watch_alerts(&w.spec.name, 8)?,
        None => Vec::new(),
    };
    Ok(HealthView {
        watch_id,
        rows,
        alerts,
        drift: store.drifts(watch_id, None)?,
    })
}

/// How many recent runs of a model the caching pane loads (its hit-rate
/// sparklines show up to this many).
pub const CACHE_RUNS: usize = 30;

/// One model of one caching target, with its recent runs.
#[derive(Debug, Clone)]
pub struct CacheRowView {
    pub target: CacheTarget,
    pub model: String,
    /// Newest first, at most [`CACHE_RUNS`], each with its test results.
    pub runs: Vec<CacheRun>,
    pub state: ModelState,
    /// Share of decided tests that passed over the last
    /// [`RELIABILITY_RUNS`] runs, 0–100.
    pub reliability: Option<u8>,
    /// The runs (by id) in which a request failed: the store counts them
    /// as failed runs even though their tests could only be inconclusive.
    pub errored: Vec<i64>,
    /// Tokens the target's requests used today (its daily budget's day).
    pub tokens_today: i64,
}

/// Everything the caching pane lists.
#[derive(Debug, Clone, Default)]
pub struct CachingView {
    /// By target name, then in the target's model order.
    pub rows: Vec<CacheRowView>,
    /// How many targets exist (some may have no model to list).
    pub targets: usize,
}

/// Whether a caching run had a failed request, by run id. A recorded run
/// never changes, so a reader keeps this between loads and looks each up
/// once.
#[derive(Debug, Default)]
pub struct RunErrors(HashMap<i64, bool>);

impl RunErrors {
    /// Whether a request of `run` failed. Only its inconclusive tests can
    /// hold one (a failed request leaves a test nothing to decide).
    fn errored(&mut self, store: &Store, run: &CacheRun) -> Result<bool, StoreError> {
        if let Some(&known) = self.0.get(&run.id) {
            return Ok(known);
        }
        let mut errored = false;
        for result in run
            .results
            .iter()
            .filter(|r| r.verdict == crate::store::caching::Verdict::Inconclusive)
        {
            if store
                .cache_requests(result.id)?
                .iter()
                .any(|q| q.error.is_some())
            {
                errored = true;
                break;
            }
        }
        self.0.insert(run.id, errored);
        Ok(errored)
    }
}

/// Every caching target × model with its recent runs.
pub fn caching(store: &Store, known: &mut RunErrors) -> Result<CachingView, StoreError> {
    let targets = store.cache_targets()?;
    let mut view = CachingView {
        rows: Vec::new(),
        targets: targets.len(),
    };
    let today = crate::caching::day_start(now_ms());
    for target in targets {
        let tokens_today = store.cache_tokens_since(target.id, today)?;
        let mut models = target.models.clone();
        if models.is_empty() {
            // A target whose model list was emptied keeps its history.
            for run in store.cache_runs(&target.name, None, CACHE_RUNS)? {
                if !models.contains(&run.model) {
                    models.push(run.model);
                }
            }
        }
        for model in models {
            let runs = store.cache_runs(&target.name, Some(&model), CACHE_RUNS)?;
            let reliability = reliability(
                runs.iter()
                    .take(RELIABILITY_RUNS)
                    .flat_map(|r| r.results.iter().map(|x| x.verdict)),
            );
            let state = store.model_state(target.id, &model)?;
            let mut errored = Vec::new();
            for run in &runs {
                if known.errored(store, run)? {
                    errored.push(run.id);
                }
            }
            view.rows.push(CacheRowView {
                target: target.clone(),
                model,
                runs,
                state,
                reliability,
                errored,
                tokens_today,
            });
        }
    }
    Ok(view)
}

/// The requests one caching test sent.
#[derive(Debug, Clone)]
pub struct CacheRequestsView {
    pub result_id: i64,
    pub rows: Vec<CacheRequestRow>,
    /// For each request, a `curl` command that sends it again (options a
    /// line each, the body in a heredoc); the key is named as `$VAR`, never
    /// written out.
    pub curls: Vec<String>,
}

pub fn cache_requests(
    store: &Store,
    target: &str,
    result_id: i64,
) -> Result<CacheRequestsView, StoreError> {
    let target = store.cache_target(target)?;
    let endpoint = crate::caching::endpoint_of(&target);
    let rows = store.cache_requests(result_id)?;
    let curls = rows
        .iter()
        .map(|r| crate::caching::client::curl_heredoc(&endpoint, &r.request))
        .collect();
    Ok(CacheRequestsView {
        result_id,
        rows,
        curls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::{Kind, WatchSpec};

    #[test]
    fn empty_store_lists_nothing_and_unknown_names_are_usage_errors() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        assert!(watches(&store).unwrap().is_empty());
        assert!(alerts(&store, 10).unwrap().is_empty());
        assert!(cache_list(&store).unwrap().is_empty());
        assert!(matches!(alert(&store, 7), Err(AppError::Usage(m)) if m.contains("#7")));
        let e = history(&store, "nope").unwrap_err();
        assert_eq!(e.class(), super::super::ErrorClass::Usage);
        store
            .add_watch(
                &WatchSpec::new("a", Kind::Json, "https://example.test/a"),
                false,
            )
            .unwrap();
        let rows = watch_rows(&store).unwrap();
        assert_eq!(rows.len(), 1);
        assert!(rows[0].latest.is_none());
        let t = timeline(&store, rows[0].watch.id).unwrap();
        assert!(t.rows.is_empty());
        let h = alert_history(&store).unwrap();
        assert!(!h.truncated && h.rows.is_empty());
        let view = caching(&store, &mut RunErrors::default()).unwrap();
        assert_eq!(view.targets, 0);
    }
}
