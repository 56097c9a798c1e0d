//! `apiradar refresh`: poll the due (or named, or all) watches once.

use std::sync::{Arc, Mutex};

use super::{AppError, Delivery};
use crate::config::Settings;
use crate::diff::Level;
use crate::fetch::Fetcher;
use crate::pipeline::poll::{PollReport, PollStatus};
use crate::pipeline::worker::Worker;
use crate::store::{SharedStore, Store, StoreError, now_ms};

/// What to refresh.
#[derive(Debug, Clone, Default)]
pub struct RefreshRequest {
    /// Only these watches (polled whether due or not); all when empty.
    pub names: Vec<String>,
    /// Poll every active watch, due or not.
    pub all: bool,
    pub max_body: Option<String>,
    pub timeout: Option<String>,
}

/// What a refresh did.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// One report per watch looked at, by name.
    pub reports: Vec<PollReport>,
    pub delivery: Delivery,
}

impl Refreshed {
    /// A poll failed (exit 1), else `fail_on` names a level some new
    /// version has findings at (exit 3).
    pub fn verdict(&self, fail_on: Option<&str>) -> Result<(), AppError> {
        if self.reports.iter().any(|r| r.status == PollStatus::Failed) {
            return Err(AppError::PartialFailure);
        }
        if let Some(level) = fail_on {
            let level: Level = level.parse().map_err(AppError::Usage)?;
            let hit = self
                .reports
                .iter()
                .filter_map(|r| r.counts)
                .any(|c| match level {
                    Level::Error => c.errors > 0,
                    Level::Warning => c.errors + c.warnings > 0,
                    Level::Info => c.errors + c.warnings + c.infos > 0,
                });
            if hit {
                return Err(AppError::FindingsAtLevel);
            }
        }
        Ok(())
    }
}

pub fn refresh(
    store: &mut Store,
    settings: &Settings,
    request: &RefreshRequest,
) -> Result<Refreshed, AppError> {
    let (fetch_config, worker_config) = super::settings::fetch_and_worker(
        settings,
        request.max_body.as_deref(),
        request.timeout.as_deref(),
    )?;
    let all = store.list_watches()?;
    for name in &request.names {
        if !all.iter().any(|w| &w.spec.name == name) {
            return Err(StoreError::NoSuchWatch(name.clone()).into());
        }
    }
    let now = now_ms();
    let mut to_poll = Vec::new();
    let mut skipped: Vec<PollReport> = Vec::new();
    for w in all {
        let named = request.names.contains(&w.spec.name);
        if !request.names.is_empty() && !named {
            continue;
        }
        if w.paused {
            skipped.push(PollReport::skipped(&w, PollStatus::Paused));
        } else if request.all || named || w.is_due(now) {
            to_poll.push(w);
        } else {
            skipped.push(PollReport::skipped(&w, PollStatus::NotDue));
        }
    }
    let db = store.path().to_path_buf();
    let fetcher = Fetcher::new(fetch_config).map_err(|e| AppError::Failed(e.message))?;
    let (mut reports, delivery) = super::runtime()?.block_on(async move {
        let shared: SharedStore = Arc::new(Mutex::new(Store::open(&db)?));
        let worker = Worker::new(Arc::clone(&shared), fetcher, worker_config);
        let reports = worker.poll_many(to_poll).await;
        let delivery = super::send_queued_alerts(&shared).await;
        Ok::<_, StoreError>((reports, delivery))
    })?;
    reports.extend(skipped);
    reports.sort_by(|x, y| x.name.cmp(&y.name));
    Ok(Refreshed { reports, delivery })
}
