//! The SQLite store: watches, versions, content-addressed blobs and poll runs.
//!
//! The store is the only shared state. The worker and the headless commands
//! write through it; listings and (later) the dashboard read from it. Every
//! write that creates a version also records its poll run in the same
//! transaction, so a process killed at any moment leaves either the whole
//! version or none of it.
//!
//! Concurrency: WAL mode and a busy timeout let a dashboard, a worker and a
//! cron `refresh` share one database file. Writers take the write lock up
//! front (`BEGIN IMMEDIATE`) and re-read what they decide on inside it.

/// Implements `Display` (the enum's word, padded like a `str`) and
/// `FromSql` (its word read back; an unknown word is an error naming
/// `what`) for an enum stored as the word its `as_str` gives and its
/// `parse` reads.
macro_rules! stored_words {
    ($enum:ty, $what:literal) => {
        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }

        impl rusqlite::types::FromSql for $enum {
            fn column_result(
                v: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                let s = v.as_str()?;
                <$enum>::parse(s).ok_or_else(|| {
                    rusqlite::types::FromSqlError::Other(
                        format!("unknown {} `{s}` in the database", $what).into(),
                    )
                })
            }
        }
    };
}

pub mod alerts;
mod blobs;
pub mod caching;
pub mod drift;
pub mod health;
mod schema;
mod shared;
mod versions;
mod watches;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

/// Statements through the connection's cache of prepared statements. The
/// store runs the same few dozen statements for every poll; parsing their
/// SQL again each time was a sixth of the CPU of a first refresh.
pub(crate) trait CachedSql {
    /// [`Connection::execute`], prepared once per connection.
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    /// [`Connection::query_row`], prepared once per connection.
    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl CachedSql for Connection {
    fn exec<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn row<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// How many prepared statements a connection keeps: every statement the
/// store runs on a hot path, with room to spare.
const STATEMENT_CACHE: usize = 96;

pub use blobs::{BlobStats, CompressionOptions, sha256, sha256_hex};
pub use shared::{CommitQueue, GATHER_WAIT, PendingWrite, SharedStore, lock_store, with_store};
pub use versions::{
    ChangeCounts, ChangeSummary, FailureRecord, PollOutcome, Prepared, Recorded, Run, RunInfo,
    SuccessRecord, TOP_FINDINGS, TopFinding, Version,
};

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("cannot create the database folder {path}: {source}")]
    CreateDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "database {path} was written by a newer apiradar (schema {found}, this build knows up to {known}); upgrade apiradar"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("database migration {number} failed: {reason}")]
    Migration { number: i64, reason: String },
    #[error("no caching target named `{0}` (see `apiradar cache list`)")]
    NoSuchCacheTarget(String),
    #[error("a caching target named `{0}` already exists")]
    CacheTargetExists(String),
    #[error("no watch named `{0}` (see `apiradar list`)")]
    NoSuchWatch(String),
    #[error("a watch named `{0}` already exists (use `apiradar edit` to change it)")]
    WatchExists(String),
    #[error("no alert channel named `{0}` (see `apiradar alert list`)")]
    NoSuchChannel(String),
    #[error("an alert channel named `{0}` already exists")]
    ChannelExists(String),
    #[error("watch `{watch}` has no version {seq} (see `apiradar history {watch}`)")]
    NoSuchVersion { watch: String, seq: i64 },
    #[error("watch `{0}` has no versions yet (run `apiradar refresh {0}`)")]
    NoVersions(String),
    #[error("stored blob {blob} is damaged: {reason}")]
    CorruptBlob { blob: i64, reason: String },
    #[error("{reason}")]
    Compression { reason: String },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    /// Another process stored a version of the watch after the document
    /// being recorded was compared; compare again with the new latest.
    #[error("another process kept storing versions of this watch meanwhile")]
    Raced,
    /// A blocking task that held the store failed (a panic).
    #[error("store task failed: {0}")]
    Task(String),
    /// The transaction that held this write among others (a group commit)
    /// failed, with this message: nothing of it was written.
    #[error("{0}")]
    Grouped(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One connection to the database. Cheap to open; not `Sync`, so each thread
/// or blocking task opens its own (or shares one behind a mutex).
pub struct Store {
    conn: Connection,
    path: PathBuf,
    compression: CompressionOptions,
    /// Successful polls waiting to be written through this connection
    /// together (see [`CommitQueue`]).
    commits: std::sync::Arc<CommitQueue>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and applies any
    /// pending migrations.
    pub fn open(path: &Path) -> Result<Store> {
        // A `file:` URI (`file:/x/db?mode=ro`) is SQLite's to read; its
        // "parent" is no folder to create.
        let uri = path.to_str().is_some_and(|p| p.starts_with("file:"));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && !uri) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Store::init(conn, path.to_path_buf())
    }

    /// A private in-memory database, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        Store::init(Connection::open_in_memory()?, PathBuf::from(":memory:"))
    }

    fn init(conn: Connection, path: PathBuf) -> Result<Store> {
        let wrap = |source| StoreError::Open {
            path: path.display().to_string(),
            source,
        };
        conn.busy_timeout(BUSY_TIMEOUT).map_err(wrap)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL lets readers proceed during a write; NORMAL sync is durable
        // across process crashes (only an OS crash can lose the last commit,
        // never corrupt the file).
        conn.pragma_update(None, "journal_mode", "wal")
            .map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "normal")
            .map_err(wrap)?;
        conn.pragma_update(None, "foreign_keys", "on")
            .map_err(wrap)?;
        let mut store = Store {
            conn,
            path,
            compression: CompressionOptions::default(),
            commits: Default::default(),
        };
        schema::migrate(&mut store.conn, &store.path)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The queue through which tasks sharing this connection write their
    /// polls' documents together.
    pub fn commit_queue(&self) -> std::sync::Arc<CommitQueue> {
        std::sync::Arc::clone(&self.commits)
    }

    /// Gives this connection a queue of its own (tests: another gathering
    /// time).
    pub fn set_commit_queue(&mut self, queue: CommitQueue) {
        self.commits = std::sync::Arc::new(queue);
    }

    /// Whether this connection can write to the database: takes the write
    /// lock and changes the schema in a transaction that is rolled back.
    /// Fails on a read-only file or connection, or a write lock another
    /// process holds past the busy timeout. A full disk shows only when a
    /// transaction commits, so it is not found here.
    pub fn check_writable(&self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let probe = self.conn.execute_batch(
            "CREATE TABLE apiradar_write_probe (x); DROP TABLE apiradar_write_probe;",
        );
        let _ = self.conn.execute_batch("ROLLBACK");
        Ok(probe?)
    }

    /// Folds the write-ahead log into the database file.
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// Changes how new blobs are compressed (benchmarks compare settings).
    pub fn set_compression(&mut self, options: CompressionOptions) {
        self.compression = options;
    }

    /// `PRAGMA integrity_check` plus a check that every version's blob reads
    /// back with the hash it is stored under. Returns the problems found.
    pub fn check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        for row in rows {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        let mut stmt = self.conn.prepare("PRAGMA foreign_key_check")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let table: String = row.get(0)?;
            problems.push(format!("dangling reference in {table}"));
        }
        let blobs: Vec<i64> = self
            .conn
            .prepare("SELECT DISTINCT blob_id FROM versions")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for blob in blobs {
            if let Err(e) = self.verify_blob(blob) {
                problems.push(e.to_string());
            }
        }
        Ok(problems)
    }
}

/// Milliseconds since the Unix epoch, the store's unit of time.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Formats a store timestamp for people: `2026-11-21 23:16:55Z`.
pub fn format_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%SZ").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// Formats a store timestamp as RFC 3339, for JSON output.
pub fn format_ms_rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}
