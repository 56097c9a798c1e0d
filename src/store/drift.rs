//! Live response drift in the store: findings (one row per distinct
//! drift of an operation, with first and last seen and a count), the
//! latest conformance check of each operation, the observed shape of its
//! responses per day, and the catalog audits (a `json` watch validated
//! against an operation of another watch's description).
//!
//! Response bodies are never stored: only the shape, and each drift's
//! short scrubbed sample. Levels and check ids are plain text here; the
//! health module decides them.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::alerts::NewAlert;
use super::{CachedSql, Result, Store};

const DAY_MS: i64 = 86_400_000;

/// A drift seen in one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDrift {
    pub check_id: String,
    pub level: String,
    /// Instance pointer with array indices as `*` (identity).
    pub pattern: String,
    pub instance_pointer: String,
    pub schema_pointer: String,
    pub message: String,
    pub sample: Option<String>,
    pub status: String,
}

/// What checking one response came to, for the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// Validated against the schema of response `status`: these drifts
    /// are open, the other open ones of that status (and any undeclared
    /// status) are cleared. `shape` is the response's shape (JSON) merged
    /// into the day's by `merge`.
    Validated {
        status: String,
        drifts: Vec<NewDrift>,
        shape: String,
        note: Option<String>,
    },
    /// An undeclared status: this one drift is open; nothing is cleared.
    StatusUndeclared(NewDrift),
    /// Not validated, and why (nothing opened or cleared).
    Skipped(String),
}

/// A stored drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DriftRow {
    pub id: i64,
    pub operation: String,
    pub check_id: String,
    pub level: String,
    pub pattern: String,
    pub instance_pointer: String,
    pub schema_pointer: String,
    pub message: String,
    pub sample: Option<String>,
    pub status: String,
    pub first_seen: i64,
    pub last_seen: i64,
    pub count: i64,
    /// When it was last not seen in a validated response; `None` while
    /// open.
    pub cleared_at: Option<i64>,
}

/// The latest conformance check of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConformState {
    pub operation: String,
    pub checked_at: i64,
    /// The note of the last check (`not validated: …`), if any.
    pub note: Option<String>,
    /// When a response was last validated.
    pub validated_at: Option<i64>,
}

/// The shape seen on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayShape {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub shape: String,
    pub responses: i64,
}

/// What recording a check changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Drifts that opened (new, or back after being cleared).
    pub opened: Vec<DriftRow>,
    /// Drifts that cleared.
    pub cleared: Vec<DriftRow>,
}

/// A `json` watch validated against an operation of a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Audit {
    pub watch_id: i64,
    /// The description, as `NAME@latest` or `NAME@N`.
    pub spec: String,
    /// `GET /models`.
    pub operation: String,
}

const DRIFT_COLUMNS: &str = "id, operation, check_id, level, pattern, instance_pointer,
    schema_pointer, message, sample, status, first_seen, last_seen, count, cleared_at";

fn drift_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DriftRow> {
    Ok(DriftRow {
        id: r.get(0)?,
        operation: r.get(1)?,
        check_id: r.get(2)?,
        level: r.get(3)?,
        pattern: r.get(4)?,
        instance_pointer: r.get(5)?,
        schema_pointer: r.get(6)?,
        message: r.get(7)?,
        sample: r.get(8)?,
        status: r.get(9)?,
        first_seen: r.get(10)?,
        last_seen: r.get(11)?,
        count: r.get(12)?,
        cleared_at: r.get(13)?,
    })
}

impl Store {
    /// Records what checking a response of `operation` came to: drifts
    /// opened (or seen again), cleared, the day's shape, the operation's
    /// latest check, and the alerts `alerts` composes from what opened
    /// and cleared (given the watch's name), in one transaction.
    /// `merge(day_shape, response_shape)` merges two shapes (JSON).
    pub fn record_conformance(
        &mut self,
        watch_id: i64,
        operation: &str,
        at: i64,
        observed: &Observed,
        merge: impl Fn(&str, &str) -> String,
        alerts: impl FnOnce(&str, &Recorded) -> Vec<NewAlert>,
    ) -> Result<Recorded> {
        self.in_write(|s| {
            let mut rec = Recorded::default();
            let (note, validated) = match observed {
                Observed::Validated {
                    status,
                    drifts,
                    shape,
                    note,
                } => {
                    let mut kept = Vec::new();
                    for d in drifts {
                        let (id, opened) = s.upsert_drift(watch_id, operation, at, d)?;
                        kept.push(id);
                        if opened {
                            rec.opened.push(s.drift(id)?);
                        }
                    }
                    let open: Vec<(i64, String, String)> = {
                        let mut stmt = s.conn.prepare_cached(
                            "SELECT id, status, check_id FROM drift_findings
                             WHERE watch_id = ?1 AND operation = ?2 AND cleared_at IS NULL",
                        )?;
                        let rows = stmt.query_map(params![watch_id, operation], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })?;
                        rows.collect::<rusqlite::Result<_>>()?
                    };
                    for (id, st, check) in open {
                        let undeclared = check == "response-status-undeclared";
                        if kept.contains(&id) || (!undeclared && st != *status) {
                            continue;
                        }
                        s.conn.exec(
                            "UPDATE drift_findings SET cleared_at = ?2 WHERE id = ?1",
                            params![id, at],
                        )?;
                        rec.cleared.push(s.drift(id)?);
                    }
                    let day = at.div_euclid(DAY_MS);
                    let existing: Option<String> = s
                        .conn
                        .row(
                            "SELECT shape FROM response_shapes
                             WHERE watch_id = ?1 AND operation = ?2 AND day = ?3",
                            params![watch_id, operation, day],
                            |r| r.get(0),
                        )
                        .optional()?;
                    let merged = match existing {
                        Some(old) => merge(&old, shape),
                        None => shape.clone(),
                    };
                    s.conn.exec(
                        "INSERT INTO response_shapes (watch_id, operation, day, shape, responses,
                             last_seen)
                         VALUES (?1, ?2, ?3, ?4, 1, ?5)
                         ON CONFLICT (watch_id, operation, day) DO UPDATE SET
                             shape = excluded.shape, responses = responses + 1,
                             last_seen = excluded.last_seen",
                        params![watch_id, operation, day, merged, at],
                    )?;
                    (note.clone(), true)
                }
                Observed::StatusUndeclared(d) => {
                    let (id, opened) = s.upsert_drift(watch_id, operation, at, d)?;
                    if opened {
                        rec.opened.push(s.drift(id)?);
                    }
                    (None, false)
                }
                Observed::Skipped(why) => (Some(why.clone()), false),
            };
            s.conn.exec(
                "INSERT INTO conform_state (watch_id, operation, checked_at, note, validated_at)
                 VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 THEN ?3 END)
                 ON CONFLICT (watch_id, operation) DO UPDATE SET
                     checked_at = excluded.checked_at, note = excluded.note,
                     validated_at = coalesce(excluded.validated_at, validated_at)",
                params![watch_id, operation, at, note, validated],
            )?;
            let watch: String =
                s.conn
                    .row("SELECT name FROM watches WHERE id = ?1", [watch_id], |r| {
                        r.get(0)
                    })?;
            for alert in alerts(&watch, &rec) {
                s.enqueue(watch_id, at, &alert)?;
            }
            Ok(rec)
        })
    }

    /// Inserts a drift or counts it seen again; returns its id and whether
    /// it opened (new, or cleared before).
    fn upsert_drift(
        &self,
        watch_id: i64,
        operation: &str,
        at: i64,
        d: &NewDrift,
    ) -> Result<(i64, bool)> {
        let found: Option<(i64, Option<i64>)> = self
            .conn
            .row(
                "SELECT id, cleared_at FROM drift_findings
                 WHERE watch_id = ?1 AND operation = ?2 AND check_id = ?3 AND pattern = ?4
                   AND schema_pointer = ?5 AND status = ?6",
                params![
                    watch_id,
                    operation,
                    d.check_id,
                    d.pattern,
                    d.schema_pointer,
                    d.status
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match found {
            Some((id, cleared)) => {
                self.conn.exec(
                    "UPDATE drift_findings SET count = count + 1, last_seen = ?2,
                         instance_pointer = ?3, message = ?4, sample = ?5, level = ?6,
                         cleared_at = NULL
                     WHERE id = ?1",
                    params![id, at, d.instance_pointer, d.message, d.sample, d.level],
                )?;
                Ok((id, cleared.is_some()))
            }
            None => {
                self.conn.exec(
                    "INSERT INTO drift_findings (watch_id, operation, check_id, level, pattern,
                         instance_pointer, schema_pointer, message, sample, status, first_seen,
                         last_seen, count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, 1)",
                    params![
                        watch_id,
                        operation,
                        d.check_id,
                        d.level,
                        d.pattern,
                        d.instance_pointer,
                        d.schema_pointer,
                        d.message,
                        d.sample,
                        d.status,
                        at
                    ],
                )?;
                Ok((self.conn.last_insert_rowid(), true))
            }
        }
    }

    fn drift(&self, id: i64) -> Result<DriftRow> {
        let sql = format!("SELECT {DRIFT_COLUMNS} FROM drift_findings WHERE id = ?1");
        Ok(self.conn.row(&sql, [id], drift_from_row)?)
    }

    /// A watch's drifts, open ones first (errors first), then those cleared
    /// since `cleared_since`; by operation.
    pub fn drifts(&self, watch_id: i64, cleared_since: Option<i64>) -> Result<Vec<DriftRow>> {
        let sql = format!(
            "SELECT {DRIFT_COLUMNS} FROM drift_findings
             WHERE watch_id = ?1 AND (cleared_at IS NULL OR cleared_at >= ?2)
             ORDER BY cleared_at IS NOT NULL, operation,
                 CASE level WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, pattern"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![watch_id, cleared_since.unwrap_or(i64::MAX)],
            drift_from_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Open drifts per operation of a watch: (operation, errors, warnings,
    /// infos).
    pub fn drift_counts(&self, watch_id: i64) -> Result<Vec<(String, i64, i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT operation, sum(level = 'error'), sum(level = 'warning'), sum(level = 'info')
             FROM drift_findings WHERE watch_id = ?1 AND cleared_at IS NULL
             GROUP BY operation ORDER BY operation",
        )?;
        let rows = stmt.query_map([watch_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The latest conformance check of each operation of a watch.
    pub fn conform_states(&self, watch_id: i64) -> Result<Vec<ConformState>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT operation, checked_at, note, validated_at FROM conform_state
             WHERE watch_id = ?1 ORDER BY operation",
        )?;
        let rows = stmt.query_map([watch_id], |r| {
            Ok(ConformState {
                operation: r.get(0)?,
                checked_at: r.get(1)?,
                note: r.get(2)?,
                validated_at: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The latest `limit` days' shapes of an operation, newest first.
    pub fn day_shapes(
        &self,
        watch_id: i64,
        operation: &str,
        limit: usize,
    ) -> Result<Vec<DayShape>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT day, shape, responses FROM response_shapes
             WHERE watch_id = ?1 AND operation = ?2 ORDER BY day DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![watch_id, operation, limit as i64], |r| {
            Ok(DayShape {
                day: r.get(0)?,
                shape: r.get(1)?,
                responses: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Validates a `json` watch against `operation` of `spec` on every poll
    /// (`None` stops it).
    pub fn set_audit(&mut self, watch_id: i64, audit: Option<(&str, &str)>) -> Result<()> {
        match audit {
            Some((spec, operation)) => self.conn.exec(
                "INSERT INTO catalog_audits (watch_id, spec, operation) VALUES (?1, ?2, ?3)
                 ON CONFLICT (watch_id) DO UPDATE SET spec = excluded.spec,
                     operation = excluded.operation",
                params![watch_id, spec, operation],
            )?,
            None => self
                .conn
                .exec("DELETE FROM catalog_audits WHERE watch_id = ?1", [watch_id])?,
        };
        Ok(())
    }

    /// The audit of a `json` watch, if it has one.
    pub fn audit(&self, watch_id: i64) -> Result<Option<Audit>> {
        Ok(self
            .conn
            .row(
                "SELECT watch_id, spec, operation FROM catalog_audits WHERE watch_id = ?1",
                [watch_id],
                |r| {
                    Ok(Audit {
                        watch_id: r.get(0)?,
                        spec: r.get(1)?,
                        operation: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::{Kind, WatchSpec};

    fn drift(check: &str, level: &str, pattern: &str) -> NewDrift {
        NewDrift {
            check_id: check.into(),
            level: level.into(),
            pattern: pattern.into(),
            instance_pointer: pattern.replace('*', "0"),
            schema_pointer: "#/x".into(),
            message: "m".into(),
            sample: Some("1".into()),
            status: "200".into(),
        }
    }

    fn validated(drifts: Vec<NewDrift>) -> Observed {
        Observed::Validated {
            status: "200".into(),
            drifts,
            shape: "{}".into(),
            note: None,
        }
    }

    #[test]
    fn identical_drift_is_folded_and_clears_when_gone() {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(
                &WatchSpec::new("shop", Kind::OpenApi, "http://127.0.0.1/s"),
                false,
            )
            .unwrap()
            .id;
        let op = "GET /v1/items";
        let merge = |a: &str, _: &str| a.to_string();
        let t = drift("response-property-type-mismatch", "error", "/*/id");
        let r1 = store
            .record_conformance(
                w,
                op,
                1_000,
                &validated(vec![t.clone()]),
                merge,
                |_, _| vec![],
            )
            .unwrap();
        assert_eq!(r1.opened.len(), 1);
        let r2 = store
            .record_conformance(
                w,
                op,
                2_000,
                &validated(vec![t.clone()]),
                merge,
                |_, _| vec![],
            )
            .unwrap();
        assert!(r2.opened.is_empty() && r2.cleared.is_empty());
        let rows = store.drifts(w, None).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].first_seen, rows[0].last_seen, rows[0].count),
            (1_000, 2_000, 2)
        );
        assert_eq!(store.drift_counts(w).unwrap(), [(op.to_string(), 1, 0, 0)]);
        // A response of another status clears nothing; a skipped one neither.
        let other = Observed::Validated {
            status: "201".into(),
            drifts: vec![],
            shape: "{}".into(),
            note: None,
        };
        let r = store
            .record_conformance(w, op, 2_500, &other, merge, |_, _| vec![])
            .unwrap();
        assert!(r.cleared.is_empty());
        store
            .record_conformance(
                w,
                op,
                2_600,
                &Observed::Skipped("x".into()),
                merge,
                |_, _| vec![],
            )
            .unwrap();
        let r3 = store
            .record_conformance(w, op, 3_000, &validated(vec![]), merge, |_, _| vec![])
            .unwrap();
        assert_eq!(r3.cleared.len(), 1);
        assert!(store.drift_counts(w).unwrap().is_empty());
        assert_eq!(store.drifts(w, Some(0)).unwrap().len(), 1);
        assert_eq!(store.drifts(w, None).unwrap().len(), 0);
        let states = store.conform_states(w).unwrap();
        assert_eq!(states[0].validated_at, Some(3_000));
        assert_eq!(store.day_shapes(w, op, 2).unwrap()[0].responses, 4);
    }
}
