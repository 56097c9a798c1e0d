//! One store connection shared by the tasks of a process.

use std::sync::{Arc, Mutex};

use super::{Result, Store, StoreError};

/// A store connection shared by the tasks of one process. SQLite work runs
/// on blocking threads through [`with_store`].
pub type SharedStore = Arc<Mutex<Store>>;

/// Runs `f` with the store on a blocking thread.
pub async fn with_store<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
) -> Result<T> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || {
        // A panic elsewhere while holding the lock poisons it; the
        // connection itself is still fine (SQLite rolled back), so go on.
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .unwrap_or_else(|e| Err(StoreError::Task(e.to_string())))
}
