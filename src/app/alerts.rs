//! Alert channels: add, remove, and send a test alert.

use crate::store::alerts::{ChannelKind, OutboxStatus};
use std::sync::{Arc, Mutex};

use super::AppError;
use crate::alert::declare::ChannelDecl;
use crate::store::alerts::Channel;
use crate::store::{SharedStore, Store, now_ms, with_store};

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

/// Queues a test alert on the channel and delivers it now (with the
/// channel's other due alerts, oldest first). A failed delivery stays
/// queued and is retried while apiradar runs. When a running apiradar
/// (`run`, the dashboard) claims the alert first, this waits for its
/// attempt, at most as long as its claim lasts.
pub fn test(store: &mut Store, name: &str) -> Result<(), AppError> {
    let id = store.enqueue_test(name)?;
    let channel = store.channel(name)?;
    let shared: SharedStore = Arc::new(Mutex::new(Store::open(store.path())?));
    let sender =
        crate::alert::Sender::new(crate::alert::DEFAULT_TIMEOUT).map_err(AppError::Failed)?;
    super::runtime()?.block_on(async {
        crate::alert::deliver_channel(&shared, &sender, &channel, now_ms()).await;
        loop {
            let lease = with_store(&shared, move |s| s.alert_lease(id)).await;
            match lease {
                Ok(Some((_, until))) if until > now_ms() => {
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await
                }
                _ => break,
            }
        }
    });
    let row = store.alert(id)?;
    match row {
        Some(o) if o.status == OutboxStatus::Sent => Ok(()),
        Some(o) => Err(AppError::Failed(format!(
            "test alert to {name} not delivered: {} (it stays queued and is retried while apiradar runs)",
            o.last_error.unwrap_or_else(|| {
                "it waits behind earlier alerts of the channel that failed".into()
            })
        ))),
        None => Err(AppError::Failed(format!(
            "test alert to {name} was not queued"
        ))),
    }
}
