//! Versions and poll runs, and the transactions that record a poll.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::alerts::NewAlert;
use super::{CachedSql, Result, Store, StoreError};

/// What a poll found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollOutcome {
    /// The first version of the watch.
    New,
    /// A version whose canonical form differs from the latest one.
    Changed,
    /// Same canonical content (or HTTP 304).
    Unchanged,
    Failed,
}

impl PollOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            PollOutcome::New => "new",
            PollOutcome::Changed => "changed",
            PollOutcome::Unchanged => "unchanged",
            PollOutcome::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<PollOutcome> {
        [
            PollOutcome::New,
            PollOutcome::Changed,
            PollOutcome::Unchanged,
            PollOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

stored_words!(PollOutcome, "poll outcome");

/// How many findings of each level a version has against its predecessor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub errors: i64,
    pub warnings: i64,
    pub infos: i64,
}

/// What comparing a version with its predecessor found, in short: counts
/// by level and the first findings (for the version row and alerts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ChangeSummary {
    pub counts: ChangeCounts,
    /// The most severe findings, first in the diff's order within a level
    /// (at most [`TOP_FINDINGS`]), for alert messages.
    pub top: Vec<TopFinding>,
    /// Every finding, ordered as `top` (not stored, not printed): alert
    /// rules with filters match them, and a channel with filters is sent
    /// those that pass.
    #[serde(skip)]
    pub all: Vec<TopFinding>,
}

/// How many findings an alert about a new version lists.
pub const TOP_FINDINGS: usize = 5;

/// One finding, as an alert message shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TopFinding {
    pub id: String,
    pub level: String,
    pub operation: Option<String>,
    pub path: Option<String>,
    pub message: String,
}

/// What was decided about a document before its write transaction: the
/// version it was compared against, the comparison, and the alerts to
/// queue if it is stored as the next version (see `pipeline::ingest`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prepared {
    /// The watch's latest version when the document was compared (`None`:
    /// it had none). Recording fails with [`StoreError::Raced`] when a
    /// different document has been stored after it since.
    pub against: Option<i64>,
    /// The findings against `against`, when the document differs from it
    /// and both could be read.
    pub summary: Option<ChangeSummary>,
    /// Queued when the document becomes a changed version of a poll.
    pub alerts: Vec<NewAlert>,
    /// Not compared yet: a changed version is stored with its counts
    /// pending, for the worker to compute (imports, which would otherwise
    /// spend most of their time diffing).
    pub defer_counts: bool,
    /// The document differs from `against` only in what the watch's
    /// rules leave out (a page's volatile lines): it is not a new version.
    pub equivalent: bool,
}

impl Prepared {
    /// For the first version of a watch.
    pub fn first() -> Prepared {
        Prepared::default()
    }

    /// For a document compared with version `seq` and found the same, or
    /// not compared at all.
    pub fn against(seq: i64) -> Prepared {
        Prepared {
            against: Some(seq),
            ..Prepared::default()
        }
    }
}

/// One stored version of a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Version {
    #[serde(skip)]
    pub id: i64,
    pub seq: i64,
    pub fetched_at: i64,
    pub source_date: Option<String>,
    /// SHA-256 of the bytes as published (hex).
    pub raw_hash: String,
    /// SHA-256 of the canonical form (hex): equal means "no change".
    pub canonical_hash: String,
    /// The blob holding the bytes (see [`Store::read_blob`]).
    #[serde(skip)]
    pub blob_id: i64,
    pub size: i64,
    pub format: String,
    pub spec_version: Option<String>,
    pub title: Option<String>,
    pub http_status: Option<u16>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub final_url: Option<String>,
    /// `poll` or `import`.
    pub origin: String,
    /// Findings against the previous version, by level; `None` for a
    /// first version, a kind not compared, or counts still pending.
    pub counts: Option<ChangeCounts>,
    /// The counts are still to be computed (by the worker, after an
    /// import).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub counts_pending: bool,
}

/// One poll attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub started_at: i64,
    pub duration_ms: i64,
    pub outcome: PollOutcome,
    pub http_status: Option<u16>,
    pub attempts: Option<u32>,
    pub error_class: Option<String>,
    pub error: Option<String>,
    pub version_seq: Option<i64>,
}

/// The timing and HTTP facts of one poll attempt.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    pub started_at: i64,
    pub duration_ms: i64,
    pub http_status: Option<u16>,
    pub attempts: Option<u32>,
    /// When the worker should poll next.
    pub next_due_at: Option<i64>,
}

/// A successfully fetched and parsed document.
#[derive(Debug, Clone, Default)]
pub struct SuccessRecord<'a> {
    pub raw: &'a [u8],
    /// SHA-256 of the canonical form (32 bytes).
    pub canonical_hash: Vec<u8>,
    pub format: String,
    pub spec_version: Option<String>,
    pub title: Option<String>,
    pub source_date: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub final_url: Option<String>,
    /// When the content was obtained (unix ms).
    pub fetched_at: i64,
    /// `None` for an import: a version without a poll run, and the
    /// watch's polling state untouched.
    pub run: Option<RunInfo>,
}

/// A failed poll.
#[derive(Debug, Clone, Default)]
pub struct FailureRecord {
    pub run: RunInfo,
    pub error_class: String,
    pub error: String,
}

/// What recording a poll did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub outcome: PollOutcome,
    /// The version the watch is at afterwards.
    pub seq: Option<i64>,
    pub consecutive_failures: u32,
    /// Set when this failure paused the watch.
    pub auto_paused: Option<String>,
    /// For a changed version: its findings against the one before.
    pub counts: Option<ChangeCounts>,
}

const VERSION_COLUMNS: &str = "v.id, v.seq, v.fetched_at, v.source_date, lower(hex(b.hash)),
    lower(hex(v.canonical_hash)), v.blob_id, v.size, v.format, v.spec_version, v.title,
    v.http_status, v.etag, v.last_modified, v.content_type, v.final_url, v.origin,
    v.errors, v.warnings, v.infos, v.counts_pending";
const VERSION_FROM: &str = "versions v JOIN blobs b ON b.id = v.blob_id";

fn version_from_row(r: &Row<'_>) -> rusqlite::Result<Version> {
    Ok(Version {
        id: r.get(0)?,
        seq: r.get(1)?,
        fetched_at: r.get(2)?,
        source_date: r.get(3)?,
        raw_hash: r.get(4)?,
        canonical_hash: r.get(5)?,
        blob_id: r.get(6)?,
        size: r.get(7)?,
        format: r.get(8)?,
        spec_version: r.get(9)?,
        title: r.get(10)?,
        http_status: r.get(11)?,
        etag: r.get(12)?,
        last_modified: r.get(13)?,
        content_type: r.get(14)?,
        final_url: r.get(15)?,
        origin: r.get(16)?,
        counts: match (r.get(17)?, r.get(18)?, r.get(19)?) {
            (Some(errors), Some(warnings), Some(infos)) => Some(ChangeCounts {
                errors,
                warnings,
                infos,
            }),
            _ => None,
        },
        counts_pending: r.get(20)?,
    })
}

impl Store {
    /// Records a fetched document: a new version when its canonical form
    /// differs from the latest one, and the poll run, in one transaction.
    /// "Is this new?" is decided under the write lock, so two processes
    /// polling the same watch cannot both add the same version; the
    /// comparison and the alerts in `prepared` were made beforehand, against
    /// `prepared.against`, and are used only if that is still the latest
    /// version (otherwise nothing is written and the error is
    /// [`StoreError::Raced`]: compare again).
    pub fn record_success(
        &mut self,
        watch_id: i64,
        rec: &SuccessRecord<'_>,
        prepared: &Prepared,
    ) -> Result<Recorded> {
        self.in_write(|s| s.write_success(watch_id, rec, prepared))
    }

    /// [`Store::record_success`] for several documents in one transaction
    /// (group commit: one commit's disk writes for all of them). Each is
    /// written in a savepoint of its own, so one that fails or raced leaves
    /// the others in; its error is in its place in the answer. The outer
    /// error is the transaction's: then nothing of any of them was written.
    pub fn record_successes(
        &mut self,
        batch: &[(i64, SuccessRecord<'_>, &Prepared)],
    ) -> Result<Vec<Result<Recorded>>> {
        self.in_write(|s| {
            let mut results = Vec::with_capacity(batch.len());
            for (watch_id, rec, prepared) in batch {
                s.conn.exec("SAVEPOINT record_one", [])?;
                let result = s.write_success(*watch_id, rec, prepared);
                if result.is_err() {
                    s.conn.exec("ROLLBACK TO record_one", [])?;
                }
                s.conn.exec("RELEASE record_one", [])?;
                results.push(result);
            }
            Ok(results)
        })
    }

    /// The writes of [`Store::record_success`], inside the caller's
    /// transaction.
    fn write_success(
        &self,
        watch_id: i64,
        rec: &SuccessRecord<'_>,
        prepared: &Prepared,
    ) -> Result<Recorded> {
        let mut counts = None;
        let canonical = &rec.canonical_hash;
        let latest: Option<(i64, Vec<u8>, i64)> = self
            .conn
            .row(
                "SELECT seq, canonical_hash, recorded_at FROM versions WHERE watch_id = ?1
                     ORDER BY seq DESC LIMIT 1",
                [watch_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        // Another process may have stored a version while this poll was
        // in flight. Which of the two documents is newer cannot be told
        // from here (requests overtake each other), and storing ours
        // could make the history flip back to an older document. So a
        // poll that overlapped a stored version adds nothing; if its
        // document really is the newer one, the next poll stores it.
        let superseded = latest
            .as_ref()
            .is_some_and(|(_, _, recorded_at)| *recorded_at > rec.fetched_at);
        let (outcome, seq, version_id) = match &latest {
            Some((seq, hash, _))
                if hash == canonical
                    || superseded
                    || (prepared.equivalent && prepared.against == Some(*seq)) =>
            {
                (PollOutcome::Unchanged, *seq, None)
            }
            // Compared with another version than the latest.
            latest if latest.as_ref().map(|(seq, _, _)| *seq) != prepared.against => {
                return Err(StoreError::Raced);
            }
            _ => {
                let seq = latest.as_ref().map_or(1, |(seq, _, _)| seq + 1);
                let blob_id = self.put_version_blob(watch_id, seq, rec.raw)?;
                let (status, origin) = match &rec.run {
                    Some(run) => (run.http_status, "poll"),
                    None => (None, "import"),
                };
                self.conn.exec(
                    "INSERT INTO versions (watch_id, seq, fetched_at, source_date, blob_id,
                            canonical_hash, size, format, spec_version, title, http_status, etag,
                            last_modified, content_type, final_url, origin, recorded_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,
                                 ?15, ?16, ?17)",
                    params![
                        watch_id,
                        seq,
                        rec.fetched_at,
                        rec.source_date,
                        blob_id,
                        canonical,
                        rec.raw.len() as i64,
                        rec.format,
                        rec.spec_version,
                        rec.title,
                        status,
                        rec.etag,
                        rec.last_modified,
                        rec.content_type,
                        rec.final_url
                            .as_deref()
                            .map(|u| crate::fetch::scrub_known(u).into_owned()),
                        origin,
                        super::now_ms().max(rec.fetched_at)
                    ],
                )?;
                let version_id = self.conn.last_insert_rowid();
                let outcome = if latest.is_none() {
                    PollOutcome::New
                } else {
                    PollOutcome::Changed
                };
                if outcome == PollOutcome::Changed && prepared.defer_counts {
                    self.conn.exec(
                        "UPDATE versions SET counts_pending = 1 WHERE id = ?1",
                        [version_id],
                    )?;
                } else if outcome == PollOutcome::Changed
                    && let Some(c) = &prepared.summary
                {
                    counts = Some(c.counts);
                    self.conn.exec(
                        "UPDATE versions SET errors = ?2, warnings = ?3, infos = ?4
                             WHERE id = ?1",
                        params![
                            version_id,
                            c.counts.errors,
                            c.counts.warnings,
                            c.counts.infos
                        ],
                    )?;
                }
                // Alerts go out for polls, not for backfilled history.
                if rec.run.is_some() && outcome == PollOutcome::Changed {
                    for alert in &prepared.alerts {
                        self.enqueue(watch_id, rec.fetched_at, alert)?;
                    }
                }
                (outcome, seq, Some(version_id))
            }
        };
        if let Some(run) = &rec.run {
            self.insert_run(watch_id, run, outcome, None, None, version_id)?;
            // A superseded poll must not roll the validators back to
            // those of an older document.
            self.conn.exec(
                    "UPDATE watches SET consecutive_failures = 0,
                        last_polled_at = max(coalesce(last_polled_at, 0), ?2),
                        next_due_at = CASE WHEN ?7 THEN max(coalesce(next_due_at, 0), ?3) ELSE ?3 END,
                        last_outcome = ?4, last_error = NULL,
                        etag = CASE WHEN ?7 THEN etag ELSE ?5 END,
                        last_modified = CASE WHEN ?7 THEN last_modified ELSE ?6 END
                     WHERE id = ?1",
                    params![
                        watch_id,
                        run.started_at,
                        run.next_due_at,
                        outcome.as_str(),
                        rec.etag,
                        rec.last_modified,
                        superseded
                    ],
                )?;
        }
        Ok(Recorded {
            outcome,
            seq: Some(seq),
            consecutive_failures: 0,
            auto_paused: None,
            counts,
        })
    }

    /// Records a poll the server answered with 304 Not Modified.
    pub fn record_not_modified(&mut self, watch_id: i64, run: &RunInfo) -> Result<Recorded> {
        self.in_write(|s| {
            s.insert_run(watch_id, run, PollOutcome::Unchanged, None, None, None)?;
            s.conn.exec(
                "UPDATE watches SET consecutive_failures = 0, last_polled_at = ?2,
                    next_due_at = ?3, last_outcome = 'unchanged', last_error = NULL
                 WHERE id = ?1",
                params![watch_id, run.started_at, run.next_due_at],
            )?;
            let seq = s.latest_seq(watch_id)?;
            Ok(Recorded {
                outcome: PollOutcome::Unchanged,
                seq,
                consecutive_failures: 0,
                auto_paused: None,
                counts: None,
            })
        })
    }

    /// Records a failed poll. `backoff` gives the next due time from the
    /// new number of failures in a row, and `pause` whether that many
    /// pause the watch: the reason and the alert to queue.
    pub fn record_failure(
        &mut self,
        watch_id: i64,
        rec: &FailureRecord,
        backoff: impl Fn(u32) -> i64,
        pause: impl Fn(u32) -> Option<(String, NewAlert)>,
    ) -> Result<Recorded> {
        // The error may quote a URL: stored without the secrets this
        // process substituted (the poller scrubs it too; this is the last
        // line of defence).
        let error = crate::fetch::scrub_known(&rec.error).into_owned();
        self.in_write(|s| {
            s.insert_run(
                watch_id,
                &rec.run,
                PollOutcome::Failed,
                Some(&rec.error_class),
                Some(&error),
                None,
            )?;
            let failures: u32 = s.conn.row(
                "UPDATE watches SET consecutive_failures = consecutive_failures + 1
                 WHERE id = ?1 RETURNING consecutive_failures",
                [watch_id],
                |r| r.get(0),
            )?;
            let (auto_paused, alert) = pause(failures).unzip();
            s.conn.exec(
                "UPDATE watches SET last_polled_at = ?2, next_due_at = ?3,
                    last_outcome = 'failed', last_error = ?4,
                    paused = CASE WHEN ?5 IS NOT NULL THEN 1 ELSE paused END,
                    paused_reason = coalesce(?5, paused_reason)
                 WHERE id = ?1",
                params![
                    watch_id,
                    rec.run.started_at,
                    backoff(failures),
                    error,
                    auto_paused
                ],
            )?;
            if let Some(alert) = &alert {
                s.enqueue(watch_id, rec.run.started_at, alert)?;
            }
            Ok(Recorded {
                outcome: PollOutcome::Failed,
                seq: s.latest_seq(watch_id)?,
                consecutive_failures: failures,
                auto_paused,
                counts: None,
            })
        })
    }

    fn insert_run(
        &self,
        watch_id: i64,
        run: &RunInfo,
        outcome: PollOutcome,
        error_class: Option<&str>,
        error: Option<&str>,
        version_id: Option<i64>,
    ) -> Result<()> {
        self.conn.exec(
            "INSERT INTO runs (watch_id, started_at, duration_ms, outcome, http_status, attempts,
                               error_class, error, version_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                watch_id,
                run.started_at,
                run.duration_ms,
                outcome.as_str(),
                run.http_status,
                run.attempts,
                error_class,
                error,
                version_id
            ],
        )?;
        Ok(())
    }

    /// Versions whose finding counts are still to be computed, oldest
    /// first (at most `limit`): (watch id, seq).
    pub fn pending_counts(&self, limit: usize) -> Result<Vec<(i64, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT watch_id, seq FROM versions WHERE counts_pending = 1
             ORDER BY id LIMIT ?1",
        )?;
        Ok(stmt
            .query_map([limit as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// How many versions of a watch (of every watch: `None`) still wait
    /// for their counts.
    pub fn pending_count_total(&self, watch_id: Option<i64>) -> Result<i64> {
        Ok(self.conn.row(
            "SELECT count(*) FROM versions WHERE counts_pending = 1
               AND (?1 IS NULL OR watch_id = ?1)",
            [watch_id],
            |r| r.get(0),
        )?)
    }

    /// Stores the counts of a version that waited for them (`None`: the
    /// two versions could not be compared; it stays without counts).
    /// Returns whether the version was still pending.
    pub fn set_pending_counts(
        &mut self,
        watch_id: i64,
        seq: i64,
        counts: Option<ChangeCounts>,
    ) -> Result<bool> {
        let (e, w, i) = match counts {
            Some(c) => (Some(c.errors), Some(c.warnings), Some(c.infos)),
            None => (None, None, None),
        };
        let n = self.conn.exec(
            "UPDATE versions SET errors = ?3, warnings = ?4, infos = ?5, counts_pending = 0
             WHERE watch_id = ?1 AND seq = ?2 AND counts_pending = 1",
            params![watch_id, seq, e, w, i],
        )?;
        Ok(n > 0)
    }

    fn latest_seq(&self, watch_id: i64) -> Result<Option<i64>> {
        Ok(self.conn.row(
            "SELECT max(seq) FROM versions WHERE watch_id = ?1",
            [watch_id],
            |r| r.get(0),
        )?)
    }

    /// All versions of a watch, oldest first.
    pub fn versions(&self, watch_id: i64) -> Result<Vec<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE v.watch_id = ?1 ORDER BY v.seq"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([watch_id], version_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One version by number.
    pub fn version(&self, watch: &crate::watch::Watch, seq: i64) -> Result<Version> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE v.watch_id = ?1 AND v.seq = ?2"
        );
        self.conn
            .row(&sql, params![watch.id, seq], version_from_row)
            .optional()?
            .ok_or_else(|| StoreError::NoSuchVersion {
                watch: watch.spec.name.clone(),
                seq,
            })
    }

    /// The newest version, if any.
    pub fn latest_version(&self, watch_id: i64) -> Result<Option<Version>> {
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM {VERSION_FROM} WHERE v.watch_id = ?1 ORDER BY v.seq DESC LIMIT 1"
        );
        Ok(self
            .conn
            .row(&sql, [watch_id], version_from_row)
            .optional()?)
    }

    /// The most recent runs of a watch, newest first.
    pub fn runs(&self, watch_id: i64, limit: usize) -> Result<Vec<Run>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.started_at, r.duration_ms, r.outcome, r.http_status, r.attempts,
                    r.error_class, r.error, v.seq
             FROM runs r LEFT JOIN versions v ON v.id = r.version_id
             WHERE r.watch_id = ?1 ORDER BY r.started_at DESC, r.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![watch_id, limit as i64], |r| {
            Ok(Run {
                started_at: r.get(0)?,
                duration_ms: r.get(1)?,
                outcome: r.get(2)?,
                http_status: r.get(3)?,
                attempts: r.get(4)?,
                error_class: r.get(5)?,
                error: r.get(6)?,
                version_seq: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::store::now_ms;
    use crate::watch::{Kind, WatchSpec};

    /// A poll's record of `raw`, whose canonical form is `canonical`.
    pub(in crate::store) fn success<'a>(raw: &'a [u8], canonical: &str) -> SuccessRecord<'a> {
        SuccessRecord {
            raw,
            canonical_hash: crate::store::sha256(canonical.as_bytes()),
            format: "yaml".into(),
            fetched_at: now_ms(),
            run: Some(RunInfo {
                started_at: now_ms(),
                ..RunInfo::default()
            }),
            ..SuccessRecord::default()
        }
    }

    /// Records as ingest would, compared against the latest version.
    fn record(store: &mut Store, watch_id: i64, rec: &SuccessRecord<'_>) -> Recorded {
        let against = store.latest_version(watch_id).unwrap().map(|v| v.seq);
        let prepared = Prepared {
            against,
            ..Prepared::default()
        };
        store.record_success(watch_id, rec, &prepared).unwrap()
    }

    fn pause_at(n: u32) -> impl Fn(u32) -> Option<(String, NewAlert)> {
        move |failures| {
            (failures >= n).then(|| {
                let reason = format!("auto-paused after {failures}: HTTP 500");
                let alert = NewAlert {
                    subjects: Vec::new(),
                    narrowed: Vec::new(),
                    event: super::super::alerts::AlertEvent::Paused,
                    title: "paused".into(),
                    payload: serde_json::json!({ "text": reason }),
                };
                (reason, alert)
            })
        }
    }

    #[test]
    fn a_document_compared_with_an_older_latest_is_refused() {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(&WatchSpec::new("a", Kind::OpenApi, "x.yaml"), false)
            .unwrap();
        let compared_with_none = Prepared::first();
        record(&mut store, w.id, &success(b"v: 1", "c1"));
        // Another process stored version 1 after this document was compared
        // with an empty history: nothing is written, compare again.
        let late = success(b"v: 2", "c2");
        let err = store.record_success(w.id, &late, &compared_with_none);
        assert!(matches!(err, Err(StoreError::Raced)), "{err:?}");
        assert_eq!(store.versions(w.id).unwrap().len(), 1);
        assert_eq!(store.runs(w.id, 10).unwrap().len(), 1);
        // The same content as the latest is unchanged whatever it was
        // compared with.
        let same = success(b"v:  1", "c1");
        let r = store
            .record_success(w.id, &same, &compared_with_none)
            .unwrap();
        assert_eq!((r.outcome, r.seq), (PollOutcome::Unchanged, Some(1)));
        let r = store
            .record_success(w.id, &late, &Prepared::against(1))
            .unwrap();
        assert_eq!((r.outcome, r.seq), (PollOutcome::Changed, Some(2)));
    }

    #[test]
    fn versions_follow_canonical_changes_and_reverts_share_blobs() {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(&WatchSpec::new("a", Kind::OpenApi, "x.yaml"), false)
            .unwrap();
        let r = record(&mut store, w.id, &success(b"v: 1", "c1"));
        assert_eq!((r.outcome, r.seq), (PollOutcome::New, Some(1)));
        // Same meaning, other bytes: not a version.
        let r = record(&mut store, w.id, &success(b"v:   1", "c1"));
        assert_eq!((r.outcome, r.seq), (PollOutcome::Unchanged, Some(1)));
        let r = record(&mut store, w.id, &success(b"v: 2", "c2"));
        assert_eq!((r.outcome, r.seq), (PollOutcome::Changed, Some(2)));
        // A revert is a new version, but its bytes are stored once.
        let r = record(&mut store, w.id, &success(b"v: 1", "c1"));
        assert_eq!((r.outcome, r.seq), (PollOutcome::Changed, Some(3)));
        assert_eq!(store.blob_stats().unwrap().blobs, 2);
        let versions = store.versions(w.id).unwrap();
        assert_eq!(versions.len(), 3);
        assert_eq!(versions[0].raw_hash, versions[2].raw_hash);
        assert_eq!(store.read_blob(versions[2].blob_id).unwrap(), b"v: 1");
        assert_eq!(store.runs(w.id, 10).unwrap().len(), 4);
        assert!(store.check().unwrap().is_empty());
    }

    #[test]
    fn an_older_fetch_committed_later_does_not_become_latest() {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(&WatchSpec::new("a", Kind::OpenApi, "x.yaml"), false)
            .unwrap();
        let mut newer = success(b"v: 2", "c2");
        newer.fetched_at = 2_000;
        newer.etag = Some("\"2\"".into());
        let mut older = success(b"v: 1", "c1");
        older.fetched_at = 1_000;
        older.etag = Some("\"1\"".into());
        record(&mut store, w.id, &newer);
        let r = record(&mut store, w.id, &older);
        assert_eq!((r.outcome, r.seq), (PollOutcome::Unchanged, Some(1)));
        assert_eq!(store.versions(w.id).unwrap().len(), 1);
        assert_eq!(store.watch("a").unwrap().etag.as_deref(), Some("\"2\""));
    }

    #[test]
    fn failures_count_up_pause_and_reset() {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(&WatchSpec::new("a", Kind::Json, "x.json"), false)
            .unwrap();
        let fail = FailureRecord {
            run: RunInfo::default(),
            error_class: "http".into(),
            error: "HTTP 500".into(),
        };
        for n in 1..=4 {
            let r = store
                .record_failure(w.id, &fail, |_| 0, pause_at(5))
                .unwrap();
            assert_eq!(r.consecutive_failures, n);
            assert!(r.auto_paused.is_none());
        }
        let r = store
            .record_failure(w.id, &fail, |_| 0, pause_at(5))
            .unwrap();
        assert!(r.auto_paused.as_deref().unwrap().contains("HTTP 500"));
        let w = store.watch("a").unwrap();
        assert!(w.paused);
        assert!(w.paused_reason.unwrap().contains("auto-paused"));
        let w = store.resume_watch("a").unwrap();
        assert_eq!(w.consecutive_failures, 0);
        store
            .record_failure(w.id, &fail, |_| 0, pause_at(5))
            .unwrap();
        record(&mut store, w.id, &success(b"{}", "c"));
        assert_eq!(store.watch("a").unwrap().consecutive_failures, 0);
    }

    #[test]
    fn removing_a_watch_frees_only_its_blobs() {
        let mut store = Store::open_in_memory().unwrap();
        let a = store
            .add_watch(&WatchSpec::new("a", Kind::Json, "a.json"), false)
            .unwrap();
        let b = store
            .add_watch(&WatchSpec::new("b", Kind::Json, "b.json"), false)
            .unwrap();
        record(&mut store, a.id, &success(b"shared", "s"));
        record(&mut store, a.id, &success(b"only a", "a"));
        record(&mut store, b.id, &success(b"shared", "s"));
        assert_eq!(store.blob_stats().unwrap().blobs, 2);
        store.remove_watch("a").unwrap();
        assert_eq!(store.blob_stats().unwrap().blobs, 1);
        let v = store.latest_version(b.id).unwrap().unwrap();
        assert_eq!(store.read_blob(v.blob_id).unwrap(), b"shared");
    }
}
