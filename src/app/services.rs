//! The background work behind `apiradar run`, the demo and the dashboard:
//! the poll worker, the health rounds, the alert sender, the caching
//! schedule and the config follower, started and stopped as one value so
//! the front ends cannot drift apart.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::JoinHandle;

use super::AppError;
use crate::config::Settings;
use crate::fetch::{FetchConfig, Fetcher};
use crate::health::check::{ProbeConfig, Prober};
use crate::pipeline::worker::{Command, Worker, WorkerConfig, WorkerEvent};
use crate::store::{SharedStore, Store};

/// How often the alert sender looks for due alerts when nothing wakes it.
const ALERT_TICK: Duration = Duration::from_secs(2);
/// How often the caching schedule looks for due targets.
const CACHING_TICK: Duration = Duration::from_secs(5);
/// How long one caching request may take.
const CACHING_TIMEOUT: Duration = Duration::from_secs(120);

/// What the background tasks run with.
#[derive(Debug, Clone, Default)]
pub struct ServicesConfig {
    pub fetch: FetchConfig,
    pub worker: WorkerConfig,
    pub health: crate::health::Schedule,
    /// A config file to follow, with the settings it started with.
    pub follow: Option<(PathBuf, Settings)>,
}

impl ServicesConfig {
    /// The configuration a config file's `[settings]` give (the defaults
    /// without one), following `follow` when given.
    pub fn from_settings(
        settings: &Settings,
        follow: Option<PathBuf>,
    ) -> Result<ServicesConfig, AppError> {
        let mut config = ServicesConfig::default();
        settings
            .apply(&mut config.fetch, &mut config.worker)
            .map_err(AppError::Usage)?;
        settings
            .apply_health(&mut config.health)
            .map_err(AppError::Usage)?;
        config.follow = follow.map(|path| (path, settings.clone()));
        Ok(config)
    }
}

/// The running background tasks.
pub struct Services {
    commands: UnboundedSender<Command>,
    events: Option<UnboundedReceiver<WorkerEvent>>,
    worker: JoinHandle<()>,
    /// Everything else, aborted on stop.
    tasks: Vec<JoinHandle<()>>,
}

impl Services {
    /// Starts every task on `runtime`, sharing `store`.
    pub fn start(
        store: SharedStore,
        config: ServicesConfig,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Services, AppError> {
        // Everything that can fail is built before anything starts, and
        // the database must take writes: a worker that cannot record its
        // polls would only hammer the APIs it watches.
        check_writable(&store.lock().unwrap_or_else(|p| p.into_inner()))?;
        let fetcher = Fetcher::new(config.fetch).map_err(|e| AppError::Failed(e.message))?;
        let prober = Prober::new(ProbeConfig::default()).map_err(AppError::Failed)?;
        let sender =
            crate::alert::Sender::new(crate::alert::DEFAULT_TIMEOUT).map_err(AppError::Failed)?;
        let client =
            crate::caching::client::Client::new(CACHING_TIMEOUT).map_err(AppError::Failed)?;

        let (inner_tx, mut inner_rx) = unbounded_channel();
        let (events_tx, events) = unbounded_channel();
        let (commands, mut public_rx) = unbounded_channel();
        // Commands go to the worker, except runs of caching suites, which
        // go to the caching schedule (one suite at a time per process).
        let (worker_tx, commands_rx) = unbounded_channel();
        let (cache_now_tx, cache_now_rx) = unbounded_channel();
        let router = runtime.spawn(async move {
            while let Some(command) = public_rx.recv().await {
                match command {
                    Command::CacheTestNow {
                        target,
                        models,
                        force,
                    } => {
                        let _ = cache_now_tx.send(crate::caching::RunNow {
                            target,
                            models,
                            force,
                        });
                    }
                    other => {
                        let stop = matches!(other, Command::Stop);
                        if worker_tx.send(other).is_err() || stop {
                            return;
                        }
                    }
                }
            }
        });
        let worker =
            Worker::new(Arc::clone(&store), fetcher, config.worker).with_events(inner_tx.clone());
        let worker = runtime.spawn(worker.run(commands_rx));
        let wake = Arc::new(tokio::sync::Notify::new());
        let mut tasks = vec![
            runtime.spawn(crate::alert::run_woken(
                Arc::clone(&store),
                sender,
                ALERT_TICK,
                Arc::clone(&wake),
            )),
            runtime.spawn(crate::caching::schedule(
                Arc::clone(&store),
                client,
                CACHING_TICK,
                Some(inner_tx.clone()),
                Some(cache_now_rx),
            )),
            runtime.spawn(crate::health::schedule(
                Arc::clone(&store),
                prober,
                config.health,
                Some(inner_tx.clone()),
            )),
        ];
        tasks.push(router);
        if let Some((path, settings)) = config.follow {
            tasks.push(runtime.spawn(crate::config::follow(
                Arc::clone(&store),
                path,
                settings,
                commands.clone(),
                inner_tx,
            )));
        } else {
            drop(inner_tx);
        }
        // Events pass through here on their way out; what may have queued
        // an alert wakes the sender, so it does not wait for its tick.
        tasks.push(runtime.spawn(async move {
            while let Some(event) = inner_rx.recv().await {
                if may_queue_alerts(&event) {
                    wake.notify_one();
                }
                if events_tx.send(event).is_err() {
                    // Nobody listens; keep waking the sender all the same.
                    while let Some(event) = inner_rx.recv().await {
                        if may_queue_alerts(&event) {
                            wake.notify_one();
                        }
                    }
                    return;
                }
            }
        }));
        Ok(Services {
            commands,
            events: Some(events),
            worker,
            tasks,
        })
    }

    /// Where to send the worker commands (poll now, stop).
    pub fn commands(&self) -> UnboundedSender<Command> {
        self.commands.clone()
    }

    /// What the tasks report, for one listener; `None` once taken.
    pub fn take_events(&mut self) -> Option<UnboundedReceiver<WorkerEvent>> {
        self.events.take()
    }

    /// Stops every task; running polls get `wait` to finish (forever
    /// when `None`) before they are abandoned.
    pub async fn stop(self, wait: Option<Duration>) {
        let _ = self.commands.send(Command::Stop);
        for task in &self.tasks {
            task.abort();
        }
        match wait {
            Some(d) => {
                let _ = tokio::time::timeout(d, self.worker).await;
            }
            None => {
                let _ = self.worker.await;
            }
        }
    }
}

/// Refuses a database the background tasks could not write to, saying why
/// and what to do. [`Services::start`] calls it; a front end may call it
/// earlier, before it prints anything.
pub fn check_writable(store: &Store) -> Result<(), AppError> {
    store.check_writable().map_err(|e| {
        AppError::Failed(format!(
            "cannot write to the database {}: {e}; the background work needs to record what \
             it does, so it did not start (check the file's permissions and the free disk \
             space, or point --db elsewhere)",
            store.path().display()
        ))
    })
}

/// Whether an event may have queued alerts.
pub fn may_queue_alerts(event: &WorkerEvent) -> bool {
    matches!(
        event,
        WorkerEvent::Polled(_) | WorkerEvent::AutoPaused { .. } | WorkerEvent::HealthChecked { .. }
    )
}

/// Whether an event tells of something that went wrong (what a quiet
/// `run` still shows).
pub fn is_problem(event: &WorkerEvent) -> bool {
    match event {
        WorkerEvent::Polled(r) => r.error.is_some(),
        WorkerEvent::AutoPaused { .. } | WorkerEvent::StoreFailed { .. } => true,
        WorkerEvent::HealthChecked { down, .. } => *down > 0,
        WorkerEvent::CacheTested { failed, .. } => *failed > 0,
        WorkerEvent::ConfigSynced { outcome, .. } => outcome.is_err(),
        WorkerEvent::Polling { .. } | WorkerEvent::Idle { .. } | WorkerEvent::CacheProgress(_) => {
            false
        }
    }
}

/// Why [`run_until_stopped`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Ctrl-C or SIGTERM.
    Signal,
    /// The `run_for` time passed.
    Deadline,
    /// Every task that reports events has ended.
    Finished,
}

/// Runs `services` until Ctrl-C, SIGTERM or `run_for`, handing each
/// event to `on_event`, then stops them.
pub async fn run_until_stopped(
    mut services: Services,
    run_for: Option<Duration>,
    mut on_event: impl FnMut(&WorkerEvent),
) -> Stopped {
    let Some(mut events) = services.take_events() else {
        services.stop(None).await;
        return Stopped::Finished;
    };
    let deadline = async {
        match run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            term.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::pin!(terminate);
    let stopped = loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break Stopped::Signal,
            _ = &mut terminate => break Stopped::Signal,
            _ = &mut deadline => break Stopped::Deadline,
            event = events.recv() => match event {
                Some(e) => on_event(&e),
                None => break Stopped::Finished,
            },
        }
    };
    services.stop(None).await;
    stopped
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn alerts_are_woken_by_polls_pauses_and_health_rounds() {
        assert!(may_queue_alerts(&WorkerEvent::AutoPaused {
            name: "a".into(),
            reason: "r".into()
        }));
        assert!(may_queue_alerts(&WorkerEvent::HealthChecked {
            name: "a".into(),
            checked: 1,
            down: 0
        }));
        assert!(!may_queue_alerts(&WorkerEvent::Idle { next_due_at: None }));
        assert!(!may_queue_alerts(&WorkerEvent::Polling {
            name: "a".into()
        }));
    }

    #[test]
    fn problems_are_what_a_quiet_run_shows() {
        assert!(is_problem(&WorkerEvent::StoreFailed { error: "x".into() }));
        assert!(!is_problem(&WorkerEvent::HealthChecked {
            name: "a".into(),
            checked: 3,
            down: 0
        }));
        assert!(is_problem(&WorkerEvent::ConfigSynced {
            file: "f".into(),
            outcome: Err("bad".into())
        }));
    }

    #[tokio::test]
    async fn services_start_report_and_stop() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let shared: SharedStore = Arc::new(Mutex::new(store));
        let mut services = Services::start(
            Arc::clone(&shared),
            ServicesConfig::default(),
            &tokio::runtime::Handle::current(),
        )
        .unwrap();
        let mut events = services.take_events().unwrap();
        assert!(services.take_events().is_none());
        services.commands().send(Command::PollAll).unwrap();
        // With nothing to poll the worker says it is idle.
        let first = tokio::time::timeout(Duration::from_secs(10), events.recv())
            .await
            .unwrap();
        assert!(first.is_some());
        tokio::time::timeout(Duration::from_secs(10), services.stop(None))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn services_refuse_a_database_they_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        drop(Store::open(&path).unwrap());
        // SQLite's read-only mode: writes fail as on a read-only file, for
        // root too (who may write files whatever their permissions).
        let uri = format!("file:{}?mode=ro", path.display());
        let store = Store::open(std::path::Path::new(&uri)).unwrap();
        let shared: SharedStore = Arc::new(Mutex::new(store));
        let err = Services::start(
            shared,
            ServicesConfig::default(),
            &tokio::runtime::Handle::current(),
        )
        .err()
        .expect("a read-only database is refused");
        let message = err.to_string();
        assert!(
            message.contains("cannot write to the database"),
            "{message}"
        );
        assert!(message.contains("readonly"), "{message}");
    }
}
