//! Normalize → compare → record: what becomes of a document once it is in
//! hand, whether a poll fetched it or an import read it from a file.
//!
//! The comparison with the previous version is the expensive step (a large
//! OpenAPI diff takes seconds), so it runs before the write transaction,
//! never inside it: [`prepare`] reads the latest version, [`plan`] compares
//! against it without holding anything, and [`Store::record_success`]
//! stores the document only if the latest version is still the one
//! compared, deciding "is this new?" and queueing the alerts in one
//! transaction. When another process stored a version meanwhile, the store
//! says so ([`StoreError::Raced`]) and the document is compared again.
//! Polls sharing a store ([`ingest_shared`]) write through its
//! [`CommitQueue`](store::CommitQueue): the documents ready together go in
//! one transaction, each in a savepoint of its own.

use crate::diff::{self, Finding};
use crate::spec::{self, Limits, NormalizeOptions};
use crate::store::{
    self, ChangeCounts, ChangeSummary, Prepared, Recorded, SharedStore, Store, StoreError,
    SuccessRecord, TopFinding, Version, lock_store,
};
use crate::watch::{Kind, Watch, WatchSpec};

/// How often a document is compared again when other processes keep
/// storing versions of the same watch under it.
const MAX_RACES: usize = 3;

/// The latest version of a watch with its bytes as published.
pub struct Latest {
    pub version: Version,
    pub raw: Vec<u8>,
    /// The filters of the alert rules that narrow the watch's `change` and
    /// `breaking` alerts: a narrowed alert is composed for each.
    pub filters: Vec<store::alerts::RuleFilters>,
    /// For a page watch, the versions before the latest (oldest first, up
    /// to a window of [`diff::changelog::VOLATILE_WINDOW`] with the latest
    /// and the new document), whose lines tell which change every time.
    pub earlier: Vec<Vec<u8>>,
}

/// Reads the version a new document will be compared against.
pub fn prepare(store: &Store, watch: &Watch) -> store::Result<Option<Latest>> {
    let Some(version) = store.latest_version(watch.id)? else {
        return Ok(None);
    };
    let raw = store.read_blob(version.blob_id)?;
    let filters = store.alert_filters(watch.id)?;
    let earlier = page_window(
        store,
        watch,
        version.seq - 1,
        diff::changelog::VOLATILE_WINDOW.saturating_sub(2),
    )?;
    Ok(Some(Latest {
        version,
        raw,
        filters,
        earlier,
    }))
}

/// The bytes of up to `count` versions of a page watch ending with
/// version `last`, oldest first; nothing for other kinds.
pub fn page_window(
    store: &Store,
    watch: &Watch,
    last: i64,
    count: usize,
) -> store::Result<Vec<Vec<u8>>> {
    if watch.spec.kind != Kind::Page || count == 0 || last < 1 {
        return Ok(Vec::new());
    }
    let first = (last - count as i64 + 1).max(1);
    (first..=last)
        .map(|seq| {
            let v = store.version(watch, seq)?;
            store.read_blob(v.blob_id)
        })
        .collect()
}

/// The page texts of `raws` (versions as stored, oldest first), then
/// `newest` (a canonical text) when given; versions that no longer read
/// are left out.
fn page_texts(raws: &[Vec<u8>], newest: Option<&str>, limits: Limits) -> Vec<String> {
    let opts = NormalizeOptions {
        limits,
        ..NormalizeOptions::default()
    };
    raws.iter()
        .filter_map(|raw| spec::normalize(Kind::Page, raw, &opts).ok())
        .map(|n| String::from_utf8_lossy(&n.canonical).into_owned())
        .chain(newest.map(str::to_owned))
        .collect()
}

/// The volatile lines of a page watch at version `seq` (see
/// [`diff::changelog::volatile_lines`]), from the versions up to it:
/// what the dashboard and `diff NAME@A NAME@B` compare its versions with.
/// Nothing for other kinds.
pub fn page_volatile(
    store: &Store,
    watch: &Watch,
    seq: i64,
    limits: Limits,
) -> store::Result<Vec<String>> {
    let raws = page_window(store, watch, seq, diff::changelog::VOLATILE_WINDOW)?;
    let texts = page_texts(&raws, None, limits);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    Ok(diff::changelog::volatile_lines(&refs))
}

/// Compares `canonical` (the new document's canonical form) with `latest`
/// and composes the alerts a poll raises if it is stored as the next
/// version. Holds no lock: run it off the store.
pub fn plan(
    watch: &Watch,
    latest: Option<&Latest>,
    canonical: &[u8],
    alert: bool,
    limits: Limits,
) -> Prepared {
    let Some(latest) = latest else {
        return Prepared::first();
    };
    let against = latest.version.seq;
    if latest.version.canonical_hash == store::sha256_hex(canonical) {
        return Prepared::against(against);
    }
    // A page that differs from the latest only in lines that change in
    // every version (a "last updated" stamp) is not a new version.
    let mut volatile = Vec::new();
    if watch.spec.kind == Kind::Page
        && let Ok(new_text) = std::str::from_utf8(canonical)
    {
        let mut raws = latest.earlier.clone();
        raws.push(latest.raw.clone());
        let texts = page_texts(&raws, Some(new_text), limits);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        volatile = diff::changelog::volatile_lines(&refs);
        if let [.., previous, _] = refs.as_slice()
            && !volatile.is_empty()
            && diff::changelog::same_but_volatile(previous, new_text, &volatile)
        {
            return Prepared {
                equivalent: true,
                ..Prepared::against(against)
            };
        }
    }
    let summary = compare(&watch.spec, &latest.raw, canonical, &volatile, limits);
    let alerts = if alert {
        crate::alert::change::new_version(
            &watch.spec.name,
            against + 1,
            summary.as_ref(),
            &latest.filters,
        )
    } else {
        Vec::new()
    };
    Prepared {
        against: Some(against),
        summary,
        alerts,
        defer_counts: false,
        equivalent: false,
    }
}

/// Records a document on a store this thread owns (imports, tests):
/// prepare, plan and record, again if another process got in between.
pub fn ingest(
    store: &mut Store,
    watch: &Watch,
    rec: &SuccessRecord<'_>,
    canonical: &[u8],
    limits: Limits,
) -> store::Result<Recorded> {
    let alert = rec.run.is_some();
    for _ in 0..MAX_RACES {
        let latest = prepare(store, watch)?;
        let prepared = plan(watch, latest.as_ref(), canonical, alert, limits);
        match store.record_success(watch.id, rec, &prepared) {
            Err(StoreError::Raced) => continue,
            other => return other,
        }
    }
    Err(StoreError::Raced)
}

/// Records a document without comparing it (imports): a changed version
/// is stored with its counts pending, for [`fill_pending_counts`] to
/// compute later, off the import. Nothing is read but the latest
/// version's row.
pub fn ingest_deferred(
    store: &mut Store,
    watch: &Watch,
    rec: &SuccessRecord<'_>,
) -> store::Result<Recorded> {
    for _ in 0..MAX_RACES {
        let against = store.latest_version(watch.id)?.map(|v| v.seq);
        let prepared = Prepared {
            against,
            defer_counts: true,
            ..Prepared::default()
        };
        match store.record_success(watch.id, rec, &prepared) {
            Err(StoreError::Raced) => continue,
            other => return other,
        }
    }
    Err(StoreError::Raced)
}

/// A version that waits for its counts, read with its predecessor.
pub struct PendingCounts {
    watch: Watch,
    seq: i64,
    previous: Vec<u8>,
    current: Vec<u8>,
    /// For a page watch, the versions before `previous` (see
    /// [`Latest::earlier`]).
    earlier: Vec<Vec<u8>>,
}

/// Reads the next version whose counts are pending, with what comparing it
/// needs; `None` when there is none. A version that can no longer be read
/// (its watch removed meanwhile) is settled without counts.
pub fn next_pending_counts(store: &mut Store) -> store::Result<Option<PendingCounts>> {
    loop {
        let Some((watch_id, seq)) = store.pending_counts(1)?.pop() else {
            return Ok(None);
        };
        let found = store
            .list_watches()?
            .into_iter()
            .find(|w| w.id == watch_id)
            .map(|watch| -> store::Result<_> {
                let current = store.version(&watch, seq)?;
                let previous = store.version(&watch, seq - 1)?;
                Ok(PendingCounts {
                    previous: store.read_blob(previous.blob_id)?,
                    current: store.read_blob(current.blob_id)?,
                    earlier: page_window(
                        store,
                        &watch,
                        seq - 2,
                        diff::changelog::VOLATILE_WINDOW.saturating_sub(2),
                    )?,
                    watch,
                    seq,
                })
            });
        match found {
            Some(Ok(p)) => return Ok(Some(p)),
            Some(Err(e)) => {
                tracing::warn!(watch_id, seq, "finding counts not computed: {e}");
                store.set_pending_counts(watch_id, seq, None)?;
            }
            None => {
                store.set_pending_counts(watch_id, seq, None)?;
            }
        }
    }
}

impl PendingCounts {
    /// Compares the version with its predecessor (slow: run it off the
    /// store).
    pub fn compute(&self, limits: Limits) -> Option<ChangeCounts> {
        let spec = &self.watch.spec;
        let normalized = normalize(spec, &self.current, limits).ok()?;
        let volatile = match (spec.kind, std::str::from_utf8(&normalized.canonical)) {
            (Kind::Page, Ok(text)) => {
                let mut raws = self.earlier.clone();
                raws.push(self.previous.clone());
                let texts = page_texts(&raws, Some(text), limits);
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                diff::changelog::volatile_lines(&refs)
            }
            _ => Vec::new(),
        };
        compare(
            spec,
            &self.previous,
            &normalized.canonical,
            &volatile,
            limits,
        )
        .map(|s| s.counts)
    }

    /// Stores what [`PendingCounts::compute`] found.
    pub fn store(&self, store: &mut Store, counts: Option<ChangeCounts>) -> store::Result<bool> {
        store.set_pending_counts(self.watch.id, self.seq, counts)
    }
}

/// Computes up to `limit` pending counts on this thread (tests, tools);
/// returns how many were computed.
pub fn fill_pending_counts(
    store: &mut Store,
    limit: usize,
    limits: Limits,
) -> store::Result<usize> {
    let mut done = 0;
    while done < limit {
        let Some(pending) = next_pending_counts(store)? else {
            break;
        };
        let counts = pending.compute(limits);
        pending.store(store, counts)?;
        done += 1;
    }
    Ok(done)
}

/// A document to record through a [`SharedStore`], owned so that it can
/// move between the store's thread and the comparing one.
pub struct Incoming {
    pub raw: Vec<u8>,
    pub normalized: spec::Normalized,
    /// Everything of the record but the bytes and the canonical hash.
    pub meta: SuccessRecord<'static>,
}

/// [`ingest`] for tasks sharing a store: the store is locked to read the
/// latest version and to record, not while comparing, and the record goes
/// through the store's [`CommitQueue`](store::CommitQueue), in one
/// transaction with the other polls' documents ready by then. It blocks:
/// call it from a blocking task, never on an async thread.
pub fn ingest_shared(
    store: &SharedStore,
    watch: &Watch,
    incoming: &Incoming,
    limits: Limits,
) -> store::Result<Recorded> {
    let alert = incoming.meta.run.is_some();
    let raw: std::sync::Arc<[u8]> = incoming.raw.as_slice().into();
    let meta = SuccessRecord {
        raw: &[],
        canonical_hash: store::sha256(&incoming.normalized.canonical),
        format: incoming.normalized.format.clone(),
        spec_version: incoming.normalized.spec_version.clone(),
        title: incoming.normalized.title.clone(),
        ..incoming.meta.clone()
    };
    for _ in 0..MAX_RACES {
        let (latest, queue) = {
            let store = lock_store(store);
            (prepare(&store, watch)?, store.commit_queue())
        };
        let prepared = plan(
            watch,
            latest.as_ref(),
            &incoming.normalized.canonical,
            alert,
            limits,
        );
        let write = store::PendingWrite {
            watch_id: watch.id,
            raw: std::sync::Arc::clone(&raw),
            meta: meta.clone(),
            prepared,
        };
        match queue.record(store, write) {
            Err(StoreError::Raced) => continue,
            other => return other,
        }
    }
    Err(StoreError::Raced)
}

/// Normalizes `raw` as a document of the watch's kind (its canonical form
/// decides whether it is a new version): catalogs sorted by the item key
/// (given or detected) and ignored fields left out.
pub fn normalize(
    watch: &WatchSpec,
    raw: &[u8],
    limits: Limits,
) -> Result<spec::Normalized, spec::SpecError> {
    let ignore: Vec<spec::ignore::FieldGlob> = watch
        .options
        .ignore_fields
        .iter()
        .filter_map(|r| spec::ignore::FieldGlob::parse(r).ok())
        .collect();
    spec::normalize(
        watch.kind,
        raw,
        &NormalizeOptions {
            item_key: watch.item_key.as_deref(),
            limits,
            ignore: &ignore,
            detect_key: !watch.options.no_key,
        },
    )
}

/// The findings of a new document (its canonical form) against the raw
/// bytes of its predecessor: the OpenAPI diff, the structural JSON diff
/// (with the watch's catalog options) or the page diff, by kind, with a
/// page's `volatile` lines compared masked. `None` when either side no
/// longer reads.
pub fn compare(
    watch: &WatchSpec,
    previous: &[u8],
    canonical: &[u8],
    volatile: &[String],
    limits: Limits,
) -> Option<ChangeSummary> {
    let kind = watch.kind;
    let findings = match kind {
        Kind::OpenApi | Kind::Json => {
            let current: serde_json::Value = serde_json::from_slice(canonical).ok()?;
            let (previous, _) = spec::parse_document(previous, &limits).ok()?;
            if kind == Kind::OpenApi {
                diff::diff_openapi(&previous, &current, &diff::DiffOptions::default())
            } else {
                let options = diff::json::JsonOptions::for_watch(watch);
                diff::json::diff_json_with(&previous, &current, &options).findings
            }
        }
        Kind::Page => {
            let current = std::str::from_utf8(canonical).ok()?;
            let opts = NormalizeOptions {
                limits,
                ..NormalizeOptions::default()
            };
            let previous = spec::normalize(Kind::Page, previous, &opts).ok()?;
            diff::changelog::diff_page(
                std::str::from_utf8(&previous.canonical).ok()?,
                current,
                &diff::changelog::PageOptions {
                    volatile: volatile.to_vec(),
                    ..diff::changelog::PageOptions::for_watch(watch)
                },
            )
        }
    };
    let [errors, warnings, infos] = diff::level_counts(&findings);
    let all = ranked_findings(&findings);
    Some(ChangeSummary {
        counts: ChangeCounts {
            errors,
            warnings,
            infos,
        },
        top: all.iter().take(store::TOP_FINDINGS).cloned().collect(),
        all,
    })
}

/// The findings, most severe first, in the diff's order within each level.
fn ranked_findings(findings: &[Finding]) -> Vec<TopFinding> {
    let mut ranked: Vec<&Finding> = findings.iter().collect();
    // Stable: findings of one level keep the diff's order.
    ranked.sort_by_key(|f| std::cmp::Reverse(f.level));
    ranked
        .into_iter()
        .map(|f| TopFinding {
            id: f.id.to_string(),
            level: f.level.as_str().to_string(),
            operation: f.operation.as_deref().map(String::from),
            path: f.path.as_deref().map(String::from),
            message: f.message.to_string(),
        })
        .collect()
}
