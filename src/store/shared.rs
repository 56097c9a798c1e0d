//! One store connection shared by the tasks of a process.

use std::sync::{Arc, Mutex, MutexGuard};

use super::{Result, Store, StoreError};

/// A store connection shared by the tasks of one process. SQLite work runs
/// on blocking threads through [`with_store`].
pub type SharedStore = Arc<Mutex<Store>>;

/// Locks the store from a thread that may block (a blocking task, a test).
/// A panic elsewhere while holding the lock poisons it; the connection
/// itself is still fine (SQLite rolled back), so this goes on.
pub fn lock_store(store: &SharedStore) -> MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs `f` with the store on a blocking thread.
pub async fn with_store<T: Send + 'static>(
    store: &SharedStore,
    f: impl FnOnce(&mut Store) -> Result<T> + Send + 'static,
) -> Result<T> {
    let store = Arc::clone(store);
    tokio::task::spawn_blocking(move || f(&mut lock_store(&store)))
        .await
        .unwrap_or_else(|e| Err(StoreError::Task(e.to_string())))
}
