//! The application layer under both front ends: what `apiradar`'s
//! commands and the dashboard do, without terminals or argument parsing.
//!
//! Calls take plain requests and return typed rows, outcomes and
//! [`AppError`]s; what the command line printed as it went (a created
//! watch, a failed file) comes back through a callback or as a value. The
//! app never prints.
//!
//! - [`watches`]: one validation of a declared watch; add, edit, remove,
//!   pause, resume.
//! - [`queries`]: typed rows for lists, history, alerts, caching, health.
//! - [`diff`]: diff sources (`NAME@N`, files, URLs with their `$ref`s) and
//!   a whole diff request.
//! - [`refresh`], [`health`], [`alerts`], [`caching`], [`import`]: the
//!   one-shot commands.
//! - [`services`]: the background tasks as one value.
//! - [`settings`]: the config file: sync, show, the settings it gives.
//! - [`demo`]: what both demo modes start from.

pub mod alerts;
pub mod caching;
pub mod catalog;
pub mod conform;
pub mod demo;
pub mod diff;
pub mod error;
pub mod generate;
pub mod health;
pub mod import;
pub mod queries;
pub mod refresh;
pub mod services;
pub mod settings;
pub mod watches;

pub use error::{AppError, ErrorClass};
pub use services::{Services, ServicesConfig};

use crate::store::{SharedStore, Store, now_ms};

/// A multi-threaded tokio runtime for the work that runs async.
pub fn runtime() -> Result<tokio::runtime::Runtime, AppError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| AppError::context("cannot start the async runtime", e))
}

/// Opens the database at `path`.
pub fn open_store(path: &std::path::Path) -> Result<Store, AppError> {
    Store::open(path).map_err(|e| {
        AppError::context(
            "cannot open the database (set another with --db or APIRADAR_DB)",
            e,
        )
    })
}

/// The current directory, which relative paths are taken from.
pub fn current_dir() -> Result<std::path::PathBuf, AppError> {
    std::env::current_dir().map_err(|e| AppError::context("cannot read the current directory", e))
}

/// Parses a duration argument such as `30s` or `2m`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, AppError> {
    humantime::parse_duration(s).map_err(|_| AppError::usage(format!("`{s}` is not a duration")))
}

/// What happened to the alerts a one-shot command may have queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// All due alerts went out (or none were due).
    Done,
    /// The sender could not be built; nothing was sent.
    NotSent(String),
    /// This many alerts wait for a retry by the next run.
    Pending(i64),
}

/// Delivers the alerts that are due (those a one-shot command just queued,
/// and earlier ones waiting for a retry), so `refresh` and `health` from
/// cron alert without a running dashboard. Failures stay queued.
pub async fn send_queued_alerts(shared: &SharedStore) -> Delivery {
    let sender = match crate::alert::Sender::new(crate::alert::DEFAULT_TIMEOUT) {
        Ok(s) => s,
        Err(e) => return Delivery::NotSent(e),
    };
    crate::alert::deliver_due(shared, &sender, now_ms()).await;
    match crate::store::with_store(shared, |s| s.pending_alerts()).await {
        Ok(n @ 1..) => Delivery::Pending(n),
        _ => Delivery::Done,
    }
}
