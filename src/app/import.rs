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
}

/// What happens as an import goes.
pub enum ImportEvent<'a> {
    /// The watch did not exist and was created.
    CreatedWatch {
        name: &'a str,
        kind: Kind,
        location: &'a str,
    },
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
}

pub fn run(
    store: &mut Store,
    a: &ImportRequest,
    mut on_event: impl FnMut(ImportEvent<'_>),
) -> Result<Imported, AppError> {
    let files = import::collect_files(&a.paths).map_err(|e| AppError::Usage(e.to_string()))?;
    let watch = match store.find_watch(&a.name)? {
        Some(w) => w,
        None => {
            let kind = match &a.kind {
                Some(k) => super::watches::parse_kind(k)?,
                None => super::diff::guess_kind(files.first().map(|p| p.as_path())),
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
            spec.validate()?;
            let w = store.add_watch(&spec, false)?;
            on_event(ImportEvent::CreatedWatch {
                name: &a.name,
                kind,
                location: &location,
            });
            w
        }
    };
    let total = files.len();
    let started = std::time::Instant::now();
    let (files, skipped) = not_stored(store, watch.id, files)?;
    on_event(ImportEvent::Starting {
        files: files.len(),
        skipped,
    });
    let results = import::import_files(store, &watch, &files, spec::Limits::default(), |f| {
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
