//! One poll of one watch: fetch, normalize, record.
//!
//! This is the pipeline step the worker schedules and `apiradar refresh`
//! runs directly. It never returns an error: whatever goes wrong becomes a
//! failed run in the store and a [`PollReport`] saying why, so one broken
//! watch never stops the others.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::alert;
use crate::fetch::{FetchOutcome, FetchRequest, Fetcher, HttpMeta, Location};
use crate::pipeline::ingest::{self, Incoming};
use crate::spec;
use crate::store::{
    self, ChangeCounts, FailureRecord, PollOutcome, Recorded, RunInfo, SharedStore, SuccessRecord,
    with_store,
};
use crate::watch::{self, Watch};

/// How polling reacts to time and failure.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Pause a watch after this many failed polls in a row (0: never).
    pub pause_after: u32,
    /// Spread of the schedule: the next poll is the interval ± this fraction.
    pub jitter: f64,
    /// The longest wait after repeated failures.
    pub max_backoff: Duration,
    /// Parsing limits for fetched documents.
    pub limits: spec::Limits,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            pause_after: 5,
            jitter: 0.1,
            max_backoff: Duration::from_secs(24 * 3600),
            limits: spec::Limits::default(),
        }
    }
}

impl Policy {
    /// When to poll again after a success.
    pub fn next_due(&self, started_at: i64, interval: Duration) -> i64 {
        started_at + self.jittered(interval)
    }

    /// When to poll again after the `failures`-th failure in a row: the
    /// interval doubled per failure, capped.
    pub fn backoff_due(&self, started_at: i64, interval: Duration, failures: u32) -> i64 {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        let wait = interval
            .saturating_mul(factor)
            .min(self.max_backoff.max(interval));
        started_at + self.jittered(wait)
    }

    fn jittered(&self, d: Duration) -> i64 {
        let ms = d.as_millis() as f64;
        let spread = (fastrand::f64() * 2.0 - 1.0) * self.jitter.clamp(0.0, 0.5);
        (ms * (1.0 + spread)).round() as i64
    }
}

/// What a poll (or a decision not to poll) came to, for output and events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PollReport {
    pub name: String,
    pub status: PollStatus,
    /// The watch's latest version afterwards.
    pub version: Option<i64>,
    pub error: Option<String>,
    pub error_class: Option<String>,
    pub http_status: Option<u16>,
    pub duration_ms: i64,
    /// Set when this poll paused the watch.
    pub auto_paused: Option<String>,
    /// For a changed OpenAPI version: its findings against the previous one.
    pub counts: Option<ChangeCounts>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PollStatus {
    New,
    Changed,
    Unchanged,
    Failed,
    Paused,
    NotDue,
}

impl PollStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PollStatus::New => "new",
            PollStatus::Changed => "changed",
            PollStatus::Unchanged => "unchanged",
            PollStatus::Failed => "failed",
            PollStatus::Paused => "paused",
            PollStatus::NotDue => "not-due",
        }
    }
}

impl From<PollOutcome> for PollStatus {
    fn from(o: PollOutcome) -> Self {
        match o {
            PollOutcome::New => PollStatus::New,
            PollOutcome::Changed => PollStatus::Changed,
            PollOutcome::Unchanged => PollStatus::Unchanged,
            PollOutcome::Failed => PollStatus::Failed,
        }
    }
}

/// The error class of a poll whose outcome the store could not take (a
/// full disk, a read-only or locked database): nothing about it was
/// recorded, so the store still says the watch is due.
pub const UNRECORDED: &str = "store";

/// The error class of a poll that ended in a panic (nothing recorded).
pub const INTERNAL: &str = "internal";

impl PollReport {
    /// Whether the store holds nothing of this poll: its result could not
    /// be written, or the poll ended in a panic before it was. The watch's
    /// next poll time in the store is then stale, and whoever schedules it
    /// must back off by itself (the worker does, in memory).
    pub fn unrecorded(&self) -> bool {
        matches!(
            self.error_class.as_deref(),
            Some(UNRECORDED) | Some(INTERNAL)
        )
    }

    /// A report for a watch that was not polled.
    pub fn skipped(watch: &Watch, status: PollStatus) -> PollReport {
        PollReport {
            name: watch.spec.name.clone(),
            status,
            version: watch.latest_seq,
            error: match status {
                PollStatus::Paused => watch.paused_reason.clone(),
                _ => None,
            },
            error_class: None,
            http_status: None,
            duration_ms: 0,
            auto_paused: None,
            counts: None,
        }
    }
}

/// Why a poll failed, before it is recorded.
struct Failure {
    class: &'static str,
    message: String,
    status: Option<u16>,
    attempts: Option<u32>,
}

/// What the network produced.
enum Fetched {
    NotModified(HttpMeta),
    Document { raw: Vec<u8>, meta: HttpMeta },
}

/// What became of a poll before its report: recorded (or not, with the
/// store's error), or failed before anything was recorded.
struct Outcome {
    result: Result<store::Result<Recorded>, Failure>,
    duration_ms: i64,
    http_status: Option<u16>,
}

/// Polls `watch` once and records the result. `host_permit`, the poll's
/// place among the requests to its host, is let go as soon as the answer
/// is in hand: the host's limit bounds requests, not the parsing and
/// recording of their answers.
pub async fn poll_watch(
    store: &SharedStore,
    fetcher: &Fetcher,
    policy: &Policy,
    watch: &Watch,
    host_permit: Option<tokio::sync::OwnedSemaphorePermit>,
) -> PollReport {
    let started_at = store::now_ms();
    let clock = Instant::now();
    let fetched = fetch(fetcher, watch).await;
    drop(host_permit);
    let outcome = match fetched {
        Ok(Fetched::NotModified(meta)) => {
            let run = run_info(policy, watch, started_at, clock, &meta);
            let id = watch.id;
            let duration_ms = run.duration_ms;
            Outcome {
                result: Ok(with_store(store, move |s| s.record_not_modified(id, &run)).await),
                duration_ms,
                http_status: meta.status,
            }
        }
        Ok(Fetched::Document { raw, meta }) => {
            // Parsing, comparing and recording are CPU and disk work: one
            // blocking task for all of it, holding the store only to read
            // the latest version and to write.
            let (store, policy, watch) = (Arc::clone(store), policy.clone(), watch.clone());
            let http_status = meta.status;
            let attempts = meta.attempts;
            tokio::task::spawn_blocking(move || {
                ingest_document(&store, &policy, &watch, raw, meta, started_at, clock)
            })
            .await
            .unwrap_or_else(|e| Outcome {
                result: Err(Failure {
                    class: "document",
                    message: format!("reading or comparing the document crashed: {e}"),
                    status: http_status,
                    attempts: Some(attempts),
                }),
                duration_ms: clock.elapsed().as_millis() as i64,
                http_status,
            })
        }
        Err(f) => Outcome {
            http_status: f.status,
            result: Err(f),
            duration_ms: clock.elapsed().as_millis() as i64,
        },
    };
    let Outcome {
        result,
        duration_ms,
        http_status,
    } = outcome;
    let (recorded, failure) = match result {
        Ok(recorded) => (recorded, None),
        Err(mut f) => {
            // Whatever went wrong is stored, listed and logged: without the
            // secrets substituted into this watch's request, at any length.
            f.message = crate::fetch::scrub_known(&f.message).into_owned();
            let run = RunInfo {
                started_at,
                duration_ms,
                http_status,
                attempts: f.attempts,
                next_due_at: Some(policy.next_due(started_at, watch.spec.interval)),
            };
            let rec = FailureRecord {
                run,
                error_class: f.class.to_string(),
                error: f.message.clone(),
            };
            let (id, interval) = (watch.id, watch.spec.interval);
            let backoff = policy.clone();
            let pause_after = policy.pause_after;
            let recorded = with_store(store, move |s| {
                s.record_failure(
                    id,
                    &rec,
                    |n| backoff.backoff_due(started_at, interval, n),
                    |n| {
                        (pause_after > 0 && n >= pause_after).then(|| {
                            let reason = alert::change::pause_reason(n, &rec.error);
                            let alert = alert::change::paused(&reason);
                            (reason, alert)
                        })
                    },
                )
            })
            .await;
            (recorded, Some(f))
        }
    };
    let name = watch.spec.name.clone();

    match recorded {
        Ok(r) => {
            let (error_class, error) = match failure {
                Some(f) => (Some(f.class.to_string()), Some(f.message)),
                None => (None, None),
            };
            if let Some(e) = &error {
                tracing::warn!(watch = %name, error = %e, "poll failed");
            } else {
                tracing::info!(watch = %name, outcome = r.outcome.as_str(), seq = ?r.seq, "polled");
            }
            PollReport {
                name,
                status: r.outcome.into(),
                version: r.seq,
                error,
                error_class,
                http_status,
                duration_ms,
                auto_paused: r.auto_paused,
                counts: r.counts,
            }
        }
        Err(e) => {
            tracing::error!(watch = %name, error = %e, "could not record poll");
            PollReport {
                name,
                status: PollStatus::Failed,
                version: watch.latest_seq,
                error: Some(format!(
                    "could not record the poll in the database: {e} (is the disk full, or the \
                     database read-only?)"
                )),
                error_class: Some(UNRECORDED.into()),
                http_status,
                duration_ms,
                auto_paused: None,
                counts: None,
            }
        }
    }
}

/// The run of a poll that got an answer, timed up to now.
fn run_info(
    policy: &Policy,
    watch: &Watch,
    started_at: i64,
    clock: Instant,
    meta: &HttpMeta,
) -> RunInfo {
    RunInfo {
        started_at,
        duration_ms: clock.elapsed().as_millis() as i64,
        http_status: meta.status,
        attempts: Some(meta.attempts),
        next_due_at: Some(policy.next_due(started_at, watch.spec.interval)),
    }
}

/// Normalizes a fetched document, audits a catalog against its described
/// operation (drift recorded, not a failure) and records it. Blocks.
fn ingest_document(
    store: &SharedStore,
    policy: &Policy,
    watch: &Watch,
    raw: Vec<u8>,
    meta: HttpMeta,
    started_at: i64,
    clock: Instant,
) -> Outcome {
    // The document will be written: announced now, so that the polls
    // finishing while it is read wait for it and share its commit.
    let _write = store::lock_store(store).commit_queue().expect();
    let normalized = ingest::normalize(&watch.spec, &raw, policy.limits);
    let run = run_info(policy, watch, started_at, clock, &meta);
    let (duration_ms, http_status) = (run.duration_ms, meta.status);
    let normalized = match normalized {
        Ok(n) => n,
        Err(e) => {
            return Outcome {
                result: Err(Failure {
                    class: "document",
                    message: e.to_string(),
                    status: meta.status,
                    attempts: Some(meta.attempts),
                }),
                duration_ms,
                http_status,
            };
        }
    };
    if let Some(note) = crate::health::audit::audit_poll(
        store,
        watch,
        &raw,
        meta.status.unwrap_or(200),
        meta.content_type.as_deref(),
        started_at,
    ) {
        tracing::info!(watch = %watch.spec.name, "{note}");
    }
    let incoming = Incoming {
        raw,
        normalized,
        meta: SuccessRecord {
            source_date: meta.last_modified.as_deref().and_then(http_date_to_rfc3339),
            etag: meta.etag,
            last_modified: meta.last_modified,
            content_type: meta.content_type,
            final_url: meta.final_url,
            // When we asked: orders this document against one another
            // process may have stored meanwhile (`Store::record_success`).
            fetched_at: started_at,
            run: Some(run),
            ..SuccessRecord::default()
        },
    };
    Outcome {
        result: Ok(ingest::ingest_shared(
            store,
            watch,
            &incoming,
            policy.limits,
        )),
        duration_ms,
        http_status,
    }
}

async fn fetch(fetcher: &Fetcher, watch: &Watch) -> Result<Fetched, Failure> {
    let fail = |class, message: String| Failure {
        class,
        message,
        status: None,
        attempts: None,
    };
    let (headers, mut secrets) =
        watch::resolve_headers_hiding(&watch.spec.headers).map_err(|e| fail("config", e))?;
    let (location_text, in_location) =
        watch::resolve_location(&watch.spec.location).map_err(|e| fail("config", e))?;
    secrets.extend(in_location);
    let scrubber = crate::fetch::Scrubber::new(&secrets);
    let location = Location::parse(&location_text).map_err(|e| Failure {
        class: e.class.as_str(),
        message: scrubber.scrub(&e.message).into_owned(),
        status: None,
        attempts: None,
    })?;
    // Validators are only worth sending when there is a version they
    // vouch for.
    let have_version = watch.version_count > 0;
    let request = FetchRequest {
        location: &location,
        headers: &headers,
        secrets: &secrets,
        etag: watch.etag.as_deref().filter(|_| have_version),
        last_modified: watch.last_modified.as_deref().filter(|_| have_version),
    };
    let outcome = fetcher.fetch(&request).await.map_err(|e| Failure {
        class: e.class.as_str(),
        message: scrubber.scrub(&e.message).into_owned(),
        status: e.status,
        attempts: Some(e.attempts),
    })?;
    Ok(match outcome {
        FetchOutcome::NotModified(meta) => Fetched::NotModified(meta),
        FetchOutcome::Body { bytes, meta } => Fetched::Document { raw: bytes, meta },
    })
}

/// `Last-Modified` (an HTTP date) as RFC 3339, for the version's source date.
pub fn http_date_to_rfc3339(date: &str) -> Option<String> {
    let t = httpdate::parse_http_date(date).ok()?;
    let dt: chrono::DateTime<chrono::Utc> = t.into();
    Some(dt.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = Policy {
            jitter: 0.0,
            max_backoff: Duration::from_secs(3600),
            ..Policy::default()
        };
        let i = Duration::from_secs(60);
        assert_eq!(p.backoff_due(0, i, 1), 60_000);
        assert_eq!(p.backoff_due(0, i, 2), 120_000);
        assert_eq!(p.backoff_due(0, i, 3), 240_000);
        assert_eq!(p.backoff_due(0, i, 30), 3_600_000);
        // an interval longer than the cap is never shortened
        assert_eq!(p.backoff_due(0, Duration::from_secs(7200), 3), 7_200_000);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        let p = Policy::default();
        for _ in 0..1000 {
            let due = p.next_due(0, Duration::from_secs(100));
            assert!((90_000..=110_000).contains(&due), "{due}");
        }
    }

    #[test]
    fn http_dates_convert() {
        assert_eq!(
            http_date_to_rfc3339("Sun, 06 Nov 1994 08:49:37 GMT").as_deref(),
            Some("1994-11-06T08:49:37Z")
        );
        assert_eq!(http_date_to_rfc3339("yesterday"), None);
    }
}
