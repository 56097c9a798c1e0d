//! The config file as the commands use it: synced into the store before a
//! command runs, the settings it gives, and what `config --show` shows.

use std::path::{Path, PathBuf};

use super::AppError;
use crate::config::{self, Paths, Settings, SyncReport};
use crate::fetch::FetchConfig;
use crate::pipeline::worker::WorkerConfig;
use crate::store::Store;

/// A config file synced into the store.
#[derive(Debug, Clone)]
pub struct Synced {
    pub path: PathBuf,
    pub report: SyncReport,
}

/// Syncs the config file (if any) into the store, returning its settings
/// and what the sync did.
pub fn sync(
    store: &mut Store,
    file: Option<&Path>,
) -> Result<(Settings, Option<Synced>), AppError> {
    let Some(path) = file else {
        return Ok((Settings::default(), None));
    };
    let file = config::load_watch_file(path)?;
    let report = config::sync_watch_file(store, &file)?;
    let synced = Synced {
        path: path.to_path_buf(),
        report,
    };
    Ok((file.settings, Some(synced)))
}

/// The fetch and worker configuration of `settings`, with a command's
/// `--max-body` and `--timeout`.
pub fn fetch_and_worker(
    settings: &Settings,
    max_body: Option<&str>,
    timeout: Option<&str>,
) -> Result<(FetchConfig, WorkerConfig), AppError> {
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    settings
        .apply(&mut fetch, &mut worker)
        .map_err(AppError::Usage)?;
    if let Some(size) = max_body {
        fetch.max_body = config::parse_size(size).map_err(AppError::Usage)?;
    }
    if let Some(t) = timeout {
        fetch.timeout = humantime::parse_duration(t)
            .map_err(|_| AppError::usage(format!("`{t}` is not a duration (e.g. 60s)")))?;
    }
    Ok((fetch, worker))
}

/// What `apiradar config --show` shows (besides the dashboard's own
/// settings, which the front end adds).
#[derive(Debug, Clone)]
pub struct ConfigView {
    pub paths: Paths,
    pub file: Option<PathBuf>,
    /// Watches, alert channels and caching targets the file declares.
    pub declares: Option<(usize, usize, usize)>,
    pub fetch: FetchConfig,
    pub worker: WorkerConfig,
    pub health: crate::health::Schedule,
}

pub fn show(paths: &Paths, file: Option<&Path>) -> Result<ConfigView, AppError> {
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    let mut health = crate::health::Schedule::default();
    let mut declares = None;
    if let Some(path) = file {
        let f = config::load_watch_file(path)?;
        f.settings
            .apply(&mut fetch, &mut worker)
            .map_err(AppError::Usage)?;
        declares = Some((f.watches.len(), f.channels.len(), f.targets.len()));
        f.settings
            .apply_health(&mut health)
            .map_err(AppError::Usage)?;
    }
    Ok(ConfigView {
        paths: paths.clone(),
        file: file.map(Path::to_path_buf),
        declares,
        fetch,
        worker,
        health,
    })
}
