//! `apiradar import`: backfill a watch's versions from files, creating
//! the watch when it does not exist yet. A file whose bytes are already
//! stored as a version of the watch (imported before, or polled) is
//! skipped, so running the same import again adds nothing.

use crate::store::PollOutcome;
use std::path::PathBuf;

use super::AppError;
use crate::pipeline::import::{self, ImportedFile};
use crate::spec;
use crate::store::Store;
use crate::watch::{self, Kind, WatchSpec};

#[derive(Debug, Clone, Default)]
pub struct ImportRequest {
    pub name: String,
    pub paths: Vec<PathBuf>,
    /// For a new watch: its kind (else guessed from the first file).
    pub kind: Option<String>,
    pub key: Option<String>,
    /// For a new watch: where it will be polled (else the last file).
    pub location: Option<String>,
    /// For a new watch: its catalog and changelog settings.
    pub options: super::watches::OptionsInput,
}

/// What happens as an import goes.
pub enum ImportEvent<'a> {
    /// The watch did not exist and was created.
    CreatedWatch {
        name: &'a str,
        kind: Kind,
        location: &'a str,
    },
    /// A new json watch's item key was found in its first file.
    DetectedKey { field: &'static str },
    /// The files to import are known: `files` will be read, `skipped`
    /// are already stored.
    Starting { files: usize, skipped: usize },
    /// A file was read (or failed to be).
    File(&'a ImportedFile),
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    pub files: Vec<ImportedFile>,
    pub total: usize,
    /// New and changed versions.
    pub added: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Files not imported because their bytes are already a stored version.
    pub skipped: usize,
    /// How long reading and storing took.
    pub seconds: f64,
    /// Versions of the watch whose finding counts are not computed yet:
    /// an import leaves them to the worker (`apiradar`, `apiradar run`).
    pub counts_pending: i64,
}

/// The kind of each file, or `None` for one that cannot be read (the
/// import reports that file's read error).
fn detect_files(files: &[PathBuf], limits: &spec::Limits) -> Vec<Option<spec::Detection>> {
    files
        .iter()
        .map(|path| {
            let raw = std::fs::read(path).ok()?;
            Some(spec::detect(&raw, path.to_str(), limits))
        })
        .collect()
}

/// Why a file of this detection must not become a version of a watch of
/// `kind`: it looks like OpenAPI or JSON and does not parse, or it is
/// plainly another kind (by its `openapi` field or its extension). What the
/// content alone suggests is left to the watch's own normalisation, which
/// refuses what a poll would refuse, with the same message.
fn refusal(d: &spec::Detection, kind: Kind) -> Option<String> {
    if let Some(e) = &d.error {
        return Some(format!("{e} (it looks like {})", d.describe()));
    }
    (d.kind != kind && d.evidence > spec::Evidence::Content && kind != Kind::OpenApi).then(|| {
        format!(
            "it looks like {} but the watch is {kind}; not imported",
            d.describe()
        )
    })
}

pub fn run(
    store: &mut Store,
    a: &ImportRequest,
    mut on_event: impl FnMut(ImportEvent<'_>),
) -> Result<Imported, AppError> {
    let files = import::collect_files(&a.paths).map_err(|e| AppError::Usage(e.to_string()))?;
    let limits = spec::Limits::default();
    // Every file is looked at the same way before anything is stored.
    let detections = detect_files(&files, &limits);
    let existing = store.find_watch(&a.name)?;
    let watch = match existing {
        Some(w) => w,
        None => {
            let kind = match &a.kind {
                Some(k) => super::watches::parse_kind(k)?,
                None => {
                    let named: Vec<(String, &spec::Detection)> = files
                        .iter()
                        .zip(&detections)
                        .filter_map(|(p, d)| Some((p.display().to_string(), d.as_ref()?)))
                        .collect();
                    super::diff::combine(named.iter().map(|(n, d)| (n.as_str(), *d))).map_err(
                        |e| {
                            AppError::Usage(format!(
                                "{e}; nothing was imported (give --kind to import the other files)"
                            ))
                        },
                    )?
                }
            };
            let location = a.location.clone().unwrap_or_else(|| {
                files
                    .last()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            });
            let location = watch::absolute_location(&location, &super::current_dir()?);
            let mut spec = WatchSpec::new(&a.name, kind, &location);
            spec.item_key = a.key.clone();
            a.options.apply(&mut spec.options)?;
            let detected = files
                .first()
                .and_then(|first| super::watches::detect_key_in(first, &mut spec));
            spec.validate()?;
            let w = store.add_watch(&spec, false)?;
            on_event(ImportEvent::CreatedWatch {
                name: &a.name,
                kind,
                location: &location,
            });
            if let Some(field) = detected {
                on_event(ImportEvent::DetectedKey { field });
            }
            w
        }
    };
    let total = files.len();
    let started = std::time::Instant::now();
    let refused_of: std::collections::HashMap<PathBuf, Option<String>> = files
        .iter()
        .cloned()
        .zip(
            detections
                .iter()
                .map(|d| d.as_ref().and_then(|d| refusal(d, watch.spec.kind))),
        )
        .collect();
    let (files, skipped) = not_stored(store, watch.id, files)?;
    on_event(ImportEvent::Starting {
        files: files.len(),
        skipped,
    });
    let refused: Vec<Option<String>> = files
        .iter()
        .map(|p| refused_of.get(p).cloned().flatten())
        .collect();
    let results = import::import_checked_files(store, &watch, &files, &refused, limits, |f| {
        on_event(ImportEvent::File(f))
    });
    let count = |s: PollOutcome| results.iter().filter(|r| r.status == s).count();
    Ok(Imported {
        added: count(PollOutcome::New) + count(PollOutcome::Changed),
        unchanged: count(PollOutcome::Unchanged),
        failed: count(PollOutcome::Failed),
        skipped,
        total,
        seconds: started.elapsed().as_secs_f64(),
        counts_pending: store.pending_count_total(Some(watch.id))?,
        files: results,
    })
}

/// The files whose bytes are not already stored as a version of the
/// watch, in order, and how many were left out. Versions stored by this
/// import itself do not count: a history that goes back to an earlier
/// document keeps that step.
fn not_stored(
    store: &Store,
    watch_id: i64,
    files: Vec<PathBuf>,
) -> Result<(Vec<PathBuf>, usize), AppError> {
    let stored: std::collections::HashSet<String> = store
        .versions(watch_id)?
        .into_iter()
        .map(|v| v.raw_hash)
        .collect();
    if stored.is_empty() {
        return Ok((files, 0));
    }
    let before = files.len();
    // A file that cannot be read stays in: the import reports it.
    let keep: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| {
            std::fs::read(p).map_or(true, |bytes| {
                !stored.contains(&crate::store::sha256_hex(&bytes))
            })
        })
        .collect();
    let skipped = before - keep.len();
    Ok((keep, skipped))
}
