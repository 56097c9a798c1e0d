//! The background worker: polls watches when they are due.
//!
//! Concurrency is bounded twice: at most `concurrency` polls at once in
//! all, and at most `per_host` requests in flight to any one host, so a
//! long watch list on one provider never looks like an attack on it. A poll
//! takes its host permit before its global one, so polls queued for a busy
//! host do not hold global slots that other hosts could use, and lets the
//! host permit go once its answer is in: parsing and recording it is this
//! machine's work, bounded by the global limit only.
//!
//! The worker reports what it does as [`WorkerEvent`]s on a channel (the
//! dashboard listens) and takes [`Command`]s (poll now, stop). Each poll is
//! its own task: a failing or panicking poll ends as a report, never as the
//! end of the loop.
//!
//! The store says when each watch is due, and a poll moves that time on
//! when it is recorded. A poll the store could not take (a full disk, a
//! read-only or locked database; see [`PollReport::unrecorded`]) leaves the
//! watch due at once, so the worker keeps its own schedule for such
//! watches, in memory: the same backoff as for a failed poll (the
//! interval, doubled per failure in a row, capped). Without it one watch
//! would be polled, with a real request upstream each time, as fast as the
//! loop turns.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::fetch::{Fetcher, Location};
use crate::pipeline::poll::{self, Policy, PollReport, PollStatus};
use crate::store::now_ms;
use crate::store::{SharedStore, with_store};
use crate::watch::Watch;

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Polls running at once, in all.
    pub concurrency: usize,
    /// Requests in flight at once to one host.
    pub per_host: usize,
    /// The longest the loop sleeps before looking at the watch list again
    /// (picks up watches added by another process).
    pub rescan: Duration,
    pub policy: Policy,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 8,
            per_host: 2,
            rescan: Duration::from_secs(5),
            policy: Policy::default(),
        }
    }
}

/// What the worker tells its listeners.
#[derive(Debug, Clone, PartialEq)]
pub enum WorkerEvent {
    /// A poll of this watch started.
    Polling { name: String },
    /// A poll finished (successfully or not).
    Polled(PollReport),
    /// A watch was paused after repeated failures.
    AutoPaused { name: String, reason: String },
    /// Nothing to do until this time (unix ms), if anything is scheduled.
    Idle { next_due_at: Option<i64> },
    /// The store could not be read; the worker retries.
    StoreFailed { error: String },
    /// A round of endpoint health checks of this watch finished.
    HealthChecked {
        name: String,
        checked: usize,
        down: usize,
    },
    /// A caching target's suite ran on its models.
    CacheTested {
        name: String,
        models: usize,
        /// Models with a test that should have passed and failed.
        failed: usize,
    },
    /// The followed config file changed and was synced (what changed), or
    /// could not be (why; nothing changed then).
    ConfigSynced {
        file: String,
        outcome: Result<String, String>,
    },
    /// A caching suite moved on (a test started or ended, a TTL probe is
    /// waited for, a model is done).
    CacheProgress(Box<crate::store::caching::RunProgress>),
}

/// Watches whose last polls the store could not record: when each may be
/// polled again. Held by the running worker only.
#[derive(Debug, Default)]
struct Unrecorded {
    /// Watch id to (polls in a row not recorded, not before this unix ms).
    watches: HashMap<i64, (u32, i64)>,
}

impl Unrecorded {
    /// Notes how a poll of watch `id` started at `started_at` ended.
    fn note(
        &mut self,
        id: i64,
        interval: Duration,
        started_at: i64,
        report: &PollReport,
        policy: &Policy,
    ) {
        if !report.unrecorded() {
            self.watches.remove(&id);
            return;
        }
        let failures = self.watches.get(&id).map_or(0, |(n, _)| *n) + 1;
        let not_before = policy.backoff_due(started_at, interval, failures);
        tracing::warn!(
            watch = %report.name,
            failures,
            retry_in_s = (not_before - started_at) / 1000,
            "poll not recorded; backing off"
        );
        self.watches.insert(id, (failures, not_before));
    }

    /// When watch `id` may be polled on schedule, if it is held back.
    fn not_before(&self, id: i64) -> Option<i64> {
        self.watches.get(&id).map(|(_, at)| *at)
    }
}

/// What the worker can be asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Poll these watches now, due or not (paused ones are skipped).
    PollNow(Vec<String>),
    /// Poll every active watch now.
    PollAll,
    /// Run a caching target's suite now (models: all the target's when
    /// empty; `force`: resting models too). Handled by the caching
    /// schedule, not the poll worker.
    CacheTestNow {
        target: String,
        models: Vec<String>,
        force: bool,
    },
    /// Finish running polls and return.
    Stop,
}

impl From<crate::health::RoundReport> for WorkerEvent {
    fn from(r: crate::health::RoundReport) -> WorkerEvent {
        WorkerEvent::HealthChecked {
            name: r.name,
            checked: r.checked,
            down: r.down,
        }
    }
}

pub struct Worker {
    store: SharedStore,
    fetcher: Fetcher,
    config: WorkerConfig,
    limiter: crate::fetch::Limiter,
    events: Option<mpsc::UnboundedSender<WorkerEvent>>,
}

impl Worker {
    pub fn new(store: SharedStore, fetcher: Fetcher, config: WorkerConfig) -> Worker {
        let limiter = crate::fetch::Limiter::new(config.concurrency, config.per_host);
        Worker {
            store,
            fetcher,
            config,
            limiter,
            events: None,
        }
    }

    /// Sends events to `tx` from now on.
    pub fn with_events(mut self, tx: mpsc::UnboundedSender<WorkerEvent>) -> Worker {
        self.events = Some(tx);
        self
    }

    fn emit(&self, event: WorkerEvent) {
        if let Some(tx) = &self.events {
            // A listener that went away is not the worker's problem.
            let _ = tx.send(event);
        }
    }

    /// Polls `watches` once each, with the worker's concurrency limits, and
    /// returns the reports in the order given. Paused watches are reported,
    /// not polled.
    pub async fn poll_many(&self, watches: Vec<Watch>) -> Vec<PollReport> {
        let mut set = JoinSet::new();
        let mut reports: Vec<Option<PollReport>> = vec![None; watches.len()];
        for (index, watch) in watches.into_iter().enumerate() {
            if watch.paused {
                reports[index] = Some(PollReport::skipped(&watch, PollStatus::Paused));
                continue;
            }
            let task = self.poll_task(watch.clone());
            set.spawn(async move { (index, task.await) });
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((index, report)) => reports[index] = Some(report),
                Err(e) => tracing::error!(error = %e, "poll task failed"),
            }
        }
        reports.into_iter().flatten().collect()
    }

    /// A future polling one watch under the limits, reporting as it goes.
    fn poll_task(&self, watch: Watch) -> impl Future<Output = PollReport> + Send + 'static {
        let store = Arc::clone(&self.store);
        let fetcher = self.fetcher.clone();
        let policy = self.config.policy.clone();
        let limiter = self.limiter.clone();
        let events = self.events.clone();
        async move {
            let host = Location::parse(&watch.spec.location)
                .ok()
                .and_then(|l| l.host());
            let host_permit = match &host {
                Some(h) => limiter.host(h).acquire_owned().await.ok(),
                None => None,
            };
            let global_permit = limiter.global.clone().acquire_owned().await.ok();
            let send = |e| {
                if let Some(tx) = &events {
                    let _ = tx.send(e);
                }
            };
            send(WorkerEvent::Polling {
                name: watch.spec.name.clone(),
            });
            // Run the poll as its own task so a panic in it is caught here.
            let name = watch.spec.name.clone();
            let handle = tokio::spawn(async move {
                poll::poll_watch(&store, &fetcher, &policy, &watch, host_permit).await
            });
            let report = match handle.await {
                Ok(report) => report,
                Err(e) => PollReport {
                    name,
                    status: PollStatus::Failed,
                    version: None,
                    error: Some(format!("internal error while polling: {e}")),
                    error_class: Some(poll::INTERNAL.into()),
                    http_status: None,
                    duration_ms: 0,
                    auto_paused: None,
                    counts: None,
                },
            };
            drop(global_permit);
            send(WorkerEvent::Polled(report.clone()));
            if let Some(reason) = &report.auto_paused {
                send(WorkerEvent::AutoPaused {
                    name: report.name.clone(),
                    reason: reason.clone(),
                });
            }
            report
        }
    }

    /// Runs until a [`Command::Stop`] arrives or the command channel closes:
    /// polls each watch when due, and on request. Meanwhile it computes the
    /// finding counts imports left pending and recompresses blobs written
    /// at the fast level ([`maintain`]).
    pub async fn run(self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let maintenance = tokio::spawn(maintain(Arc::clone(&self.store), self.config.rescan));
        let _stop_maintenance = AbortOnDrop(maintenance);
        let mut running: JoinSet<(i64, Duration, i64, PollReport)> = JoinSet::new();
        let mut in_flight: HashSet<i64> = HashSet::new();
        let mut unrecorded = Unrecorded::default();
        let mut forced: HashSet<String> = HashSet::new();
        let mut force_all = false;
        let mut stopping = false;
        loop {
            if !stopping {
                let now = now_ms();
                let listed = with_store(&self.store, |s| s.list_watches()).await;
                let next_due_at = match listed {
                    Ok(watches) => {
                        let mut next: Option<i64> = None;
                        // Asked for while a poll of it was still running
                        // (its events already sent, its end not yet seen
                        // here): that poll may have started before the
                        // request, so the request waits for it to end.
                        let mut deferred: HashSet<String> = HashSet::new();
                        for w in watches {
                            if w.paused {
                                continue;
                            }
                            if in_flight.contains(&w.id) {
                                if force_all || forced.contains(&w.spec.name) {
                                    deferred.insert(w.spec.name);
                                }
                                continue;
                            }
                            let wanted = force_all || forced.remove(&w.spec.name);
                            // The store's time, or later when the last
                            // polls could not be recorded.
                            let due = match (w.next_due_at, unrecorded.not_before(w.id)) {
                                (Some(d), Some(held)) => Some(d.max(held)),
                                (d, held) => d.or(held),
                            };
                            if wanted || due.is_none_or(|d| d <= now) {
                                in_flight.insert(w.id);
                                let (id, interval) = (w.id, w.spec.interval);
                                let task = self.poll_task(w);
                                running.spawn(async move { (id, interval, now, task.await) });
                            } else if let Some(due) = due {
                                next = Some(next.map_or(due, |n: i64| n.min(due)));
                            }
                        }
                        force_all = false;
                        forced = deferred;
                        next
                    }
                    Err(e) => {
                        self.emit(WorkerEvent::StoreFailed {
                            error: e.to_string(),
                        });
                        None
                    }
                };
                if running.is_empty() {
                    self.emit(WorkerEvent::Idle { next_due_at });
                }
                let wait = next_due_at
                    .map(|due| Duration::from_millis((due - now).max(0) as u64))
                    .unwrap_or(self.config.rescan)
                    .min(self.config.rescan);
                tokio::select! {
                    command = commands.recv() => match command {
                        Some(Command::PollNow(names)) => forced.extend(names),
                        Some(Command::PollAll) => force_all = true,
                        // The caching schedule's: never routed here.
                        Some(Command::CacheTestNow { .. }) => {}
                        Some(Command::Stop) | None => stopping = true,
                    },
                    Some(done) = running.join_next(), if !running.is_empty() => {
                        if let Ok((id, interval, started_at, report)) = done {
                            in_flight.remove(&id);
                            unrecorded.note(id, interval, started_at, &report, &self.config.policy);
                        }
                    }
                    _ = tokio::time::sleep(wait) => {}
                }
            } else {
                match running.join_next().await {
                    Some(_) => continue,
                    None => return,
                }
            }
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The store's deferred work, one item at a time, until aborted: finding
/// counts an import left pending first (users see them), then blobs to
/// recompress at the settle level. The slow part of each item (a diff, a
/// level-19 compression) runs off the store's lock. When there is nothing
/// to do it looks again after `idle`.
pub async fn maintain(store: SharedStore, idle: Duration) {
    let limits = crate::spec::Limits::default();
    loop {
        match maintain_step(&store, limits).await {
            Ok(true) => tokio::time::sleep(Duration::from_millis(5)).await,
            Ok(false) => tokio::time::sleep(idle).await,
            Err(e) => {
                tracing::warn!("store maintenance failed: {e}");
                tokio::time::sleep(idle).await;
            }
        }
    }
}

/// One item of [`maintain`]; `false` when there was nothing to do.
async fn maintain_step(
    store: &SharedStore,
    limits: crate::spec::Limits,
) -> crate::store::Result<bool> {
    use crate::pipeline::ingest;
    use crate::store::StoreError;
    let task = |e: tokio::task::JoinError| StoreError::Task(e.to_string());
    if let Some(pending) = with_store(store, ingest::next_pending_counts).await? {
        let pending = Arc::new(pending);
        let p = Arc::clone(&pending);
        let counts = tokio::task::spawn_blocking(move || p.compute(limits))
            .await
            .map_err(task)?;
        with_store(store, move |s| pending.store(s, counts)).await?;
        return Ok(true);
    }
    let next = with_store(store, |s| match s.unsettled_blobs(1)?.pop() {
        Some(id) => s.settle_blob(id).map(Some),
        None => Ok(None),
    })
    .await?;
    let Some(next) = next else {
        return Ok(false);
    };
    // Gone or damaged meanwhile: on to the next.
    let Some(settle) = next else {
        return Ok(true);
    };
    let settled = tokio::task::spawn_blocking(move || settle.compress())
        .await
        .map_err(task)??;
    with_store(store, move |s| s.apply_settled(&settled)).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(error_class: Option<&str>) -> PollReport {
        PollReport {
            name: "w".into(),
            status: PollStatus::Failed,
            version: None,
            error: error_class.map(|_| "x".into()),
            error_class: error_class.map(Into::into),
            http_status: None,
            duration_ms: 0,
            auto_paused: None,
            counts: None,
        }
    }

    #[test]
    fn unrecorded_polls_back_off_like_failed_ones() {
        let policy = Policy {
            jitter: 0.0,
            ..Policy::default()
        };
        let interval = Duration::from_secs(30);
        let mut held = Unrecorded::default();
        held.note(7, interval, 0, &report(Some(poll::UNRECORDED)), &policy);
        assert_eq!(held.not_before(7), Some(30_000));
        held.note(7, interval, 30_000, &report(Some(poll::INTERNAL)), &policy);
        assert_eq!(held.not_before(7), Some(90_000));
        // A failure the store did record is the store's to schedule.
        held.note(7, interval, 90_000, &report(Some("http")), &policy);
        assert_eq!(held.not_before(7), None);
        held.note(8, interval, 0, &report(Some(poll::UNRECORDED)), &policy);
        held.note(8, interval, 1, &report(None), &policy);
        assert_eq!(held.not_before(8), None);
    }
}
