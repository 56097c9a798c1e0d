//! Alert channels: add, remove, and send a test alert.

use crate::store::alerts::{ChannelKind, OutboxStatus};
use std::sync::{Arc, Mutex};

use super::AppError;
use crate::alert::declare::ChannelDecl;
use crate::store::alerts::Channel;
use crate::store::{SharedStore, Store, now_ms};

/// Adds the channel `decl` declares; relative files are taken from the
/// current directory. Returns the channel and its kind.
pub fn add(store: &mut Store, decl: &ChannelDecl) -> Result<(Channel, ChannelKind), AppError> {
    let def = decl
        .resolve(&super::current_dir()?)
        .map_err(AppError::Declaration)?;
    // Credentials in a webhook URL must be `${VAR}` references, so neither
    // the database nor `alert list` ever holds them.
    if def.kind != ChannelKind::Email {
        crate::watch::check_secret_url(&def.url)
            .map_err(|e| AppError::Declaration(format!("{}: {e}", def.kind)))?;
    }
    let channel = store.add_channel_with(&def.as_new())?;
    Ok((channel, def.kind))
}

pub fn remove(store: &mut Store, name: &str) -> Result<(), AppError> {
    store.remove_channel(name)?;
    Ok(())
}

/// Queues a test alert on the channel and delivers it now. A failed
/// delivery stays queued and is retried while apiradar runs.
pub fn test(store: &mut Store, name: &str) -> Result<(), AppError> {
    let id = store.enqueue_test(name)?;
    let shared: SharedStore = Arc::new(Mutex::new(Store::open(store.path())?));
    let sender =
        crate::alert::Sender::new(std::time::Duration::from_secs(15)).map_err(AppError::Failed)?;
    super::runtime()?.block_on(crate::alert::deliver_due(&shared, &sender, now_ms()));
    let row = store.alert_history(50)?.into_iter().find(|o| o.id == id);
    match row {
        Some(o) if o.status == OutboxStatus::Sent => Ok(()),
        Some(o) => Err(AppError::Failed(format!(
            "test alert to {name} not delivered: {} (it stays queued and is retried while apiradar runs)",
            o.last_error.unwrap_or_default()
        ))),
        None => Err(AppError::Failed(format!(
            "test alert to {name} was not queued"
        ))),
    }
}
