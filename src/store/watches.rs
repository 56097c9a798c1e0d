//! Watch rows: declare, edit, pause, resume, remove.

use std::time::Duration;

use rusqlite::{OptionalExtension, Row, params};

use super::{CachedSql, Result, Store, StoreError, now_ms};
use crate::watch::{Kind, Watch, WatchSpec};

const WATCH_COLUMNS: &str = "w.id, w.name, w.kind, w.location, w.interval_secs, w.headers,
    w.item_key, w.paused, w.paused_reason, w.consecutive_failures, w.etag, w.last_modified,
    w.last_polled_at, w.next_due_at, w.last_outcome, w.last_error, w.from_config,
    (SELECT count(*) FROM versions v WHERE v.watch_id = w.id),
    (SELECT max(seq) FROM versions v WHERE v.watch_id = w.id), w.options";

fn watch_from_row(r: &Row<'_>) -> rusqlite::Result<Watch> {
    let kind: String = r.get(2)?;
    let kind = kind.parse::<Kind>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, e.into())
    })?;
    let headers: String = r.get(5)?;
    let headers: Vec<(String, String)> = serde_json::from_str(&headers).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
    })?;
    let interval: i64 = r.get(4)?;
    Ok(Watch {
        id: r.get(0)?,
        spec: WatchSpec {
            name: r.get(1)?,
            kind,
            location: r.get(3)?,
            interval: Duration::from_secs(interval.max(1) as u64),
            headers,
            item_key: r.get(6)?,
            options: {
                let text: String = r.get(19)?;
                serde_json::from_str(&text).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        19,
                        rusqlite::types::Type::Text,
                        e.into(),
                    )
                })?
            },
        },
        paused: r.get(7)?,
        paused_reason: r.get(8)?,
        consecutive_failures: r.get(9)?,
        etag: r.get(10)?,
        last_modified: r.get(11)?,
        last_polled_at: r.get(12)?,
        next_due_at: r.get(13)?,
        last_outcome: r.get(14)?,
        last_error: r.get(15)?,
        from_config: r.get(16)?,
        version_count: r.get(17)?,
        latest_seq: r.get(18)?,
    })
}

fn headers_json(spec: &WatchSpec) -> String {
    serde_json::to_string(&spec.headers).unwrap_or_else(|_| "[]".into())
}

fn options_json(spec: &WatchSpec) -> String {
    serde_json::to_string(&spec.options).unwrap_or_else(|_| "{}".into())
}

impl Store {
    /// Adds a new watch; it is due at once.
    pub fn add_watch(&self, spec: &WatchSpec, from_config: bool) -> Result<Watch> {
        if self.find_watch(&spec.name)?.is_some() {
            return Err(StoreError::WatchExists(spec.name.clone()));
        }
        self.conn.exec(
            "INSERT INTO watches (name, kind, location, interval_secs, headers, item_key,
                                  from_config, created_at, options)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                spec.name,
                spec.kind.as_str(),
                spec.location,
                spec.interval.as_secs() as i64,
                headers_json(spec),
                spec.item_key,
                from_config,
                now_ms(),
                options_json(spec)
            ],
        )?;
        self.watch(&spec.name)
    }

    /// Replaces a watch's declaration, keeping its history. A changed
    /// location or kind forgets the conditional-GET validators and makes the
    /// watch due now.
    pub fn update_watch(&self, name: &str, spec: &WatchSpec, from_config: bool) -> Result<Watch> {
        let old = self.watch(name)?;
        let moved = old.spec.location != spec.location || old.spec.kind != spec.kind;
        self.conn.exec(
            "UPDATE watches SET name = ?2, kind = ?3, location = ?4, interval_secs = ?5,
                headers = ?6, item_key = ?7, from_config = ?8, options = ?10,
                etag = CASE WHEN ?9 THEN NULL ELSE etag END,
                last_modified = CASE WHEN ?9 THEN NULL ELSE last_modified END,
                next_due_at = CASE WHEN ?9 THEN NULL ELSE next_due_at END
             WHERE id = ?1",
            params![
                old.id,
                spec.name,
                spec.kind.as_str(),
                spec.location,
                spec.interval.as_secs() as i64,
                headers_json(spec),
                spec.item_key,
                from_config,
                moved,
                options_json(spec)
            ],
        )?;
        self.watch(&spec.name)
    }

    pub fn find_watch(&self, name: &str) -> Result<Option<Watch>> {
        let sql = format!("SELECT {WATCH_COLUMNS} FROM watches w WHERE w.name = ?1");
        Ok(self.conn.row(&sql, [name], watch_from_row).optional()?)
    }

    /// The named watch, or a `NoSuchWatch` error.
    pub fn watch(&self, name: &str) -> Result<Watch> {
        self.find_watch(name)?
            .ok_or_else(|| StoreError::NoSuchWatch(name.to_string()))
    }

    pub fn watch_by_id(&self, id: i64) -> Result<Option<Watch>> {
        let sql = format!("SELECT {WATCH_COLUMNS} FROM watches w WHERE w.id = ?1");
        Ok(self.conn.row(&sql, [id], watch_from_row).optional()?)
    }

    /// All watches, by name.
    pub fn list_watches(&self) -> Result<Vec<Watch>> {
        let sql = format!("SELECT {WATCH_COLUMNS} FROM watches w ORDER BY w.name");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], watch_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes a watch with its versions and runs, then the blobs nothing
    /// else uses. Returns how many versions went with it.
    pub fn remove_watch(&mut self, name: &str) -> Result<i64> {
        let watch = self.watch(name)?;
        self.in_write(|s| {
            s.conn
                .exec("DELETE FROM watches WHERE id = ?1", [watch.id])?;
            s.collect_garbage()?;
            Ok(())
        })?;
        Ok(watch.version_count)
    }

    /// Pauses a watch with a reason people will see in listings.
    pub fn pause_watch(&self, name: &str, reason: &str) -> Result<Watch> {
        let n = self.conn.exec(
            "UPDATE watches SET paused = 1, paused_reason = ?2 WHERE name = ?1",
            params![name, reason],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchWatch(name.to_string()));
        }
        self.watch(name)
    }

    /// Resumes a paused watch, clears its failure count and makes it due now.
    pub fn resume_watch(&self, name: &str) -> Result<Watch> {
        let n = self.conn.exec(
            "UPDATE watches SET paused = 0, paused_reason = NULL, consecutive_failures = 0,
                next_due_at = NULL
             WHERE name = ?1",
            [name],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchWatch(name.to_string()));
        }
        self.watch(name)
    }

    /// Runs `f` inside one write transaction (`BEGIN IMMEDIATE`): all of its
    /// writes commit together or not at all.
    pub(crate) fn in_write<T>(&mut self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(value) => match self.conn.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                Err(e) => {
                    let _ = self.conn.execute_batch("ROLLBACK");
                    Err(e.into())
                }
            },
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_edit_pause_resume_remove() {
        let mut store = Store::open_in_memory().unwrap();
        let mut spec = WatchSpec::new("venice", Kind::OpenApi, "https://example.test/s.yaml");
        spec.headers = vec![("Authorization".into(), "Bearer ${VENICE_API_KEY}".into())];
        let w = store.add_watch(&spec, false).unwrap();
        assert_eq!(w.spec, spec);
        assert!(w.is_due(now_ms()));
        assert!(matches!(
            store.add_watch(&spec, false),
            Err(StoreError::WatchExists(_))
        ));

        spec.interval = Duration::from_secs(300);
        let w = store.update_watch("venice", &spec, false).unwrap();
        assert_eq!(w.spec.interval.as_secs(), 300);

        let w = store.pause_watch("venice", "paused by user").unwrap();
        assert!(w.paused);
        assert!(!w.is_due(now_ms()));
        assert_eq!(w.status(), "paused");
        let w = store.resume_watch("venice").unwrap();
        assert!(!w.paused && w.paused_reason.is_none());

        assert_eq!(store.list_watches().unwrap().len(), 1);
        store.remove_watch("venice").unwrap();
        assert!(store.list_watches().unwrap().is_empty());
        assert!(matches!(
            store.remove_watch("venice"),
            Err(StoreError::NoSuchWatch(_))
        ));
    }
}
