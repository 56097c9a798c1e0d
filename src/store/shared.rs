//! One store connection shared by the tasks of a process.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{Prepared, Recorded, Result, Store, StoreError, SuccessRecord};

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

/// A poll's document waiting in a [`CommitQueue`]: what
/// [`Store::record_success`](super::Store::record_success) takes, owned.
pub struct PendingWrite {
    pub watch_id: i64,
    pub raw: Arc<[u8]>,
    /// The rest of the record (its `raw` is left empty).
    pub meta: SuccessRecord<'static>,
    pub prepared: Prepared,
}

/// Group commit for the polls of one process: a poll's blocking task
/// queues its document, then takes the store. If a task before it wrote
/// the document (with everything else queued by then) in its transaction,
/// the answer is waiting; otherwise it writes everything queued, its own
/// document included, in one transaction. While one transaction commits,
/// the polls finishing meanwhile queue up for the next, so a commit's disk
/// writes are shared by as many polls as there are waiting, and a lone
/// poll is written at once, as before.
///
/// A poll announces its write ([`CommitQueue::expect`]) when its document
/// is in hand, before parsing it; a queued write waits (without the store)
/// until every announced write is queued, up to [`GATHER_WAIT`], so that
/// polls finishing together share one commit even when the store is free.
pub struct CommitQueue {
    state: Mutex<QueueState>,
    changed: Condvar,
    gather_wait: Duration,
}

/// The longest a queued write waits for the writes announced with it.
pub const GATHER_WAIT: Duration = Duration::from_millis(2);

impl Default for CommitQueue {
    fn default() -> Self {
        CommitQueue::new(GATHER_WAIT)
    }
}

#[derive(Default)]
struct QueueState {
    next_ticket: u64,
    waiting: Vec<(u64, PendingWrite)>,
    done: HashMap<u64, Result<Recorded>>,
    /// Writes announced and not yet answered (or given up).
    expected: usize,
    /// Transactions written so far.
    batches: u64,
}

/// A write announced to a [`CommitQueue`]; dropping it (after the write,
/// or when the document turned out not to need one) takes it back.
pub struct ExpectedWrite {
    queue: Arc<CommitQueue>,
}

impl Drop for ExpectedWrite {
    fn drop(&mut self) {
        let mut q = self.queue.lock();
        q.expected = q.expected.saturating_sub(1);
        drop(q);
        self.queue.changed.notify_all();
    }
}

impl CommitQueue {
    /// A queue whose writes wait up to `gather_wait` for the writes
    /// announced with them.
    pub fn new(gather_wait: Duration) -> CommitQueue {
        CommitQueue {
            state: Mutex::default(),
            changed: Condvar::new(),
            gather_wait,
        }
    }

    /// How many transactions this queue has written.
    pub fn batches(&self) -> u64 {
        self.lock().batches
    }

    /// Waits until every announced write is queued, `ticket` was taken by
    /// another writer, or the gathering time has passed.
    fn gather(&self, ticket: u64) {
        let deadline = Instant::now() + self.gather_wait;
        let mut q = self.lock();
        loop {
            let queued = q.waiting.iter().any(|(t, _)| *t == ticket);
            if !queued || q.waiting.len() >= q.expected {
                return;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            q = match self.changed.wait_timeout(q, left) {
                Ok((q, _)) => q,
                Err(p) => p.into_inner().0,
            };
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Announces a write to come (see the type's notes).
    pub fn expect(self: &Arc<Self>) -> ExpectedWrite {
        self.lock().expected += 1;
        ExpectedWrite {
            queue: Arc::clone(self),
        }
    }

    /// Writes `write` through `store` (which this queue must belong to),
    /// with whatever else is queued. Blocks: call it from a blocking task.
    pub fn record(&self, store: &SharedStore, write: PendingWrite) -> Result<Recorded> {
        let ticket = {
            let mut q = self.lock();
            let ticket = q.next_ticket;
            q.next_ticket += 1;
            q.waiting.push((ticket, write));
            ticket
        };
        self.changed.notify_all();
        self.gather(ticket);
        let mut store = lock_store(store);
        let mut batch = {
            let mut q = self.lock();
            if let Some(done) = q.done.remove(&ticket) {
                return done;
            }
            if !q.waiting.iter().any(|(t, _)| *t == ticket) {
                // Taken by a writer that then failed without answering (a
                // panic in the store): nothing of it is known to be written.
                return Err(StoreError::Task(
                    "the batch of writes holding this poll's document was lost".into(),
                ));
            }
            std::mem::take(&mut q.waiting)
        };
        // Writers gathering with the ones just taken go on to their answers.
        self.changed.notify_all();
        let records: Vec<(i64, SuccessRecord<'_>, &Prepared)> = batch
            .iter_mut()
            .map(|(_, w)| {
                let PendingWrite {
                    watch_id,
                    raw,
                    meta,
                    prepared,
                } = w;
                let raw: &Arc<[u8]> = raw;
                let rec = SuccessRecord {
                    raw,
                    ..std::mem::take(meta)
                };
                (*watch_id, rec, &*prepared)
            })
            .collect();
        let results = store.record_successes(&records);
        drop(records);
        // The answers are in before the store is let go: a task that then
        // takes it finds its answer or its write still waiting.
        let tickets: Vec<u64> = batch.iter().map(|(t, _)| *t).collect();
        let mut q = self.lock();
        q.batches += 1;
        let mut mine = None;
        match results {
            Ok(results) => {
                for (t, result) in tickets.into_iter().zip(results) {
                    if t == ticket {
                        mine = Some(result);
                    } else {
                        q.done.insert(t, result);
                    }
                }
            }
            Err(e) => {
                let text = e.to_string();
                for t in tickets.into_iter().filter(|t| *t != ticket) {
                    q.done.insert(t, Err(StoreError::Grouped(text.clone())));
                }
                mine = Some(Err(e));
            }
        }
        drop(q);
        drop(store);
        mine.unwrap_or_else(|| Err(StoreError::Task("a batch of writes lost its answer".into())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::PollOutcome;
    use crate::watch::{Kind, WatchSpec};

    /// A store on a real file, with `watches` watches and a queue that
    /// gathers for as long as a test can take.
    fn store_with(watches: usize) -> (tempfile::TempDir, SharedStore, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("q.db")).unwrap();
        store.set_commit_queue(CommitQueue::new(Duration::from_secs(60)));
        let ids = (0..watches)
            .map(|n| {
                let spec = WatchSpec::new(&format!("w{n}"), Kind::Json, "https://example.test/x");
                store.add_watch(&spec, false).unwrap().id
            })
            .collect();
        (dir, Arc::new(Mutex::new(store)), ids)
    }

    fn write(watch_id: i64, body: &str) -> PendingWrite {
        PendingWrite {
            watch_id,
            raw: body.as_bytes().into(),
            meta: crate::store::versions::tests::success(&[], body),
            prepared: Prepared::first(),
        }
    }

    /// Each of `writes` recorded on a thread of its own, all announced
    /// first; the answers in the order given.
    fn record_together(store: &SharedStore, writes: Vec<PendingWrite>) -> Vec<Result<Recorded>> {
        let queue = lock_store(store).commit_queue();
        let announced: Vec<ExpectedWrite> = writes.iter().map(|_| queue.expect()).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = writes
                .into_iter()
                .zip(announced)
                .map(|(w, announced)| {
                    let queue = Arc::clone(&queue);
                    scope.spawn(move || {
                        let answer = queue.record(store, w);
                        drop(announced);
                        answer
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        })
    }

    fn versions(store: &SharedStore) -> i64 {
        let s = lock_store(store);
        s.conn
            .query_row("SELECT count(*) FROM versions", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn writes_announced_together_share_one_transaction() {
        let (_dir, store, ids) = store_with(12);
        let writes = ids
            .iter()
            .map(|id| write(*id, &format!("{{\"n\": {id}}}")))
            .collect();
        let answers = record_together(&store, writes);
        for answer in &answers {
            let recorded = answer.as_ref().unwrap();
            assert_eq!(recorded.outcome, PollOutcome::New);
            assert_eq!(recorded.seq, Some(1));
        }
        assert_eq!(versions(&store), 12);
        let queue = lock_store(&store).commit_queue();
        assert_eq!(queue.batches(), 1, "twelve writes, one commit");
        // Alone, a write goes at once.
        let mut again = write(ids[0], "{\"n\": \"again\"}");
        again.prepared = Prepared::against(1);
        let answer = record_together(&store, vec![again]).remove(0).unwrap();
        assert_eq!(answer.outcome, PollOutcome::Changed);
        assert_eq!(queue.batches(), 2);
        assert_eq!(versions(&store), 13);
    }

    #[test]
    fn a_failing_write_leaves_the_others_of_its_transaction() {
        let (_dir, store, ids) = store_with(3);
        // No such watch: the version's insert fails on its foreign key,
        // after its blob was written.
        let writes = vec![
            write(ids[0], "{\"a\": 1}"),
            write(9999, "{\"lost\": true}"),
            write(ids[1], "{\"b\": 2}"),
            // The same watch twice, both compared with no version: the
            // one written second finds the other's version, fetched after
            // it was asked for, so it adds nothing (or raced).
            write(ids[2], "{\"c\": 3}"),
            write(ids[2], "{\"c\": 4}"),
        ];
        let answers = record_together(&store, writes);
        assert!(answers[0].is_ok());
        assert!(
            matches!(answers[1], Err(StoreError::Sql(_))),
            "{:?}",
            answers[1]
        );
        assert!(answers[2].is_ok());
        let new = answers[3..]
            .iter()
            .filter(|a| matches!(a, Ok(r) if r.outcome == PollOutcome::New))
            .count();
        assert_eq!(new, 1, "{:?}", &answers[3..]);
        assert_eq!(versions(&store), 3);
        let s = lock_store(&store);
        let blobs: i64 = s
            .conn
            .query_row("SELECT count(*) FROM blobs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(blobs, 3, "the failed write's blob was rolled back with it");
        assert_eq!(s.commit_queue().batches(), 1);
    }

    #[test]
    fn a_failed_transaction_fails_every_write_in_it() {
        let (_dir, store, ids) = store_with(2);
        // Another connection holds the write lock past the busy timeout.
        let path = lock_store(&store).path().to_path_buf();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        lock_store(&store)
            .conn
            .busy_timeout(Duration::from_millis(50))
            .unwrap();
        let writes = ids.iter().map(|id| write(*id, "{}")).collect();
        let answers = record_together(&store, writes);
        assert!(answers.iter().all(Result::is_err), "{answers:?}");
        assert!(
            answers
                .iter()
                .any(|a| matches!(a, Err(StoreError::Grouped(m)) if m.contains("locked"))),
            "{answers:?}"
        );
        other.execute_batch("ROLLBACK").unwrap();
        assert_eq!(versions(&store), 0);
    }
}
