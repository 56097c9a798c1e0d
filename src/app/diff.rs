//! Diffs on request: each side a stored version (`NAME@3`, `NAME@latest`,
//! `NAME@latest~1`), a file or a URL, with the files and URLs their
//! `$ref`s point at; the findings filtered by rules and level.

use std::path::{Path, PathBuf};

use super::AppError;
use crate::diff::bundle::{self, BundleOptions};
use crate::diff::filter::Filter;
use crate::diff::lint::Note;
use crate::diff::{self as engine, DiffOptions, Finding, Level, Side};
use crate::fetch::{FetchConfig, FetchOutcome, FetchRequest, Fetcher, Location};
use crate::spec;
use crate::store::{Store, StoreError};
use crate::watch::{Kind, Watch};

/// Which version `NAME@SELECTOR` names: `3`, `latest`, `latest~2`, or
/// nothing (the latest).
pub fn resolve_version(watch: &Watch, selector: Option<&str>) -> Result<i64, AppError> {
    let latest = watch
        .latest_seq
        .ok_or_else(|| StoreError::NoVersions(watch.spec.name.clone()))?;
    let seq = match selector {
        None | Some("latest") => latest,
        Some(s) if s.starts_with("latest~") => {
            let back: u32 = s["latest~".len()..].parse().map_err(|_| {
                AppError::usage(format!(
                    "cannot read version `{s}`: use latest~N with N ≥ 0"
                ))
            })?;
            latest - i64::from(back)
        }
        Some(s) => s.parse().map_err(|_| {
            AppError::usage(format!(
                "cannot read version `{s}`: use a number, latest or latest~N"
            ))
        })?,
    };
    Ok(seq)
}

/// The bytes of a stored version named `NAME[@VERSION]`, as published.
pub fn show(store: &Store, target: &str) -> Result<Vec<u8>, AppError> {
    let (name, selector) = match target.split_once('@') {
        Some((n, s)) => (n, Some(s)),
        None => (target, None),
    };
    let watch = store.watch(name)?;
    let seq = resolve_version(&watch, selector)?;
    let version = store.version(&watch, seq)?;
    Ok(store.read_blob(version.blob_id)?)
}

/// One side of a diff.
pub struct DiffSource {
    pub label: String,
    pub bytes: Vec<u8>,
    /// The watch, for a stored version.
    pub watch: Option<Watch>,
    /// Where a file or URL was read from, for its relative `$ref`s.
    pub location: Option<Location>,
}

/// Reads `NAME@VERSION` from the store (when such a watch exists), else a
/// URL or a file.
pub fn source(store: &Store, arg: &str) -> Result<DiffSource, AppError> {
    if let Some((name, selector)) = arg.split_once('@')
        && let Some(watch) = store.find_watch(name)?
    {
        let seq = resolve_version(&watch, Some(selector))?;
        let version = store.version(&watch, seq)?;
        let bytes = store.read_blob(version.blob_id)?;
        return Ok(DiffSource {
            label: format!("{name}@{seq}"),
            bytes,
            watch: Some(watch),
            location: None,
        });
    }
    let location = Location::parse(arg).map_err(|e| AppError::Usage(e.message))?;
    let mut loader = RefLoader::new()?;
    let bytes = loader
        .fetch(&location)
        .map_err(|e| AppError::Failed(format!("{arg}: {e}")))?;
    Ok(DiffSource {
        label: arg.to_string(),
        bytes,
        watch: None,
        location: Some(location),
    })
}

/// Reads diff inputs and the files and URLs their `$ref`s point at.
struct RefLoader {
    fetcher: Fetcher,
    runtime: tokio::runtime::Runtime,
    max_bytes: u64,
}

impl RefLoader {
    fn new() -> Result<RefLoader, AppError> {
        let config = FetchConfig::default();
        let max_bytes = config.max_body;
        Ok(RefLoader {
            fetcher: Fetcher::new(config).map_err(|e| AppError::Failed(e.message))?,
            runtime: super::runtime()?,
            max_bytes,
        })
    }

    fn fetch(&mut self, location: &Location) -> Result<Vec<u8>, String> {
        let outcome = self
            .runtime
            .block_on(self.fetcher.fetch(&FetchRequest::new(location)))
            .map_err(|e| e.message)?;
        match outcome {
            FetchOutcome::Body { bytes, .. } => Ok(bytes),
            FetchOutcome::NotModified(_) => Err("unexpected 304".into()),
        }
    }
}

impl bundle::Loader for RefLoader {
    fn load(&mut self, location: &Location) -> Result<Vec<u8>, String> {
        match location {
            Location::File(path) => bundle::read_file(path, self.max_bytes),
            Location::Url(_) => self.fetch(location),
        }
    }
}

/// A diff as asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct DiffRequest {
    pub base: String,
    pub revision: String,
    /// The document kind; from the watch, else guessed from the base.
    pub kind: Option<String>,
    /// The least level shown; warning for openapi, info otherwise.
    pub level: Option<String>,
    /// For json documents: the field naming list items.
    pub key: Option<String>,
    /// A rules file of findings to drop.
    pub ignore: Option<PathBuf>,
    /// A rules file of levels to change.
    pub severity_levels: Option<PathBuf>,
    pub deprecation_days_beta: u32,
    pub deprecation_days_stable: u32,
    pub allow_remote_refs: bool,
}

/// What a diff found.
#[derive(Debug, Clone)]
pub struct DiffOutcome {
    pub base_label: String,
    pub revision_label: String,
    /// The findings at or above the level, after the rules.
    pub findings: Vec<Finding>,
    /// What each document had wrong that the diff overlooked.
    pub base_notes: Vec<Note>,
    pub revision_notes: Vec<Note>,
    /// How many findings the rules dropped.
    pub ignored: usize,
}

impl DiffOutcome {
    /// `--fail-on LEVEL`: a finding shown at or above it fails (exit 1).
    pub fn verdict(&self, fail_on: Option<&str>) -> Result<(), AppError> {
        if let Some(fail_on) = fail_on {
            let threshold: Level = fail_on.parse().map_err(AppError::Usage)?;
            if self.findings.iter().any(|f| f.level >= threshold) {
                return Err(AppError::PartialFailure);
            }
        }
        Ok(())
    }
}

pub fn run(store: &Store, a: &DiffRequest) -> Result<DiffOutcome, AppError> {
    // A bad rules file fails before anything is fetched.
    let filter = Filter::load(a.ignore.as_deref(), a.severity_levels.as_deref())
        .map_err(|e| AppError::Usage(e.to_string()))?;
    let base_src = source(store, &a.base)?;
    let rev_src = source(store, &a.revision)?;
    let watch = base_src.watch.clone().or(rev_src.watch.clone());
    let kind = match (&a.kind, &watch) {
        (Some(k), _) => super::watches::parse_kind(k)?,
        (None, Some(w)) => w.spec.kind,
        (None, None) => guess_kind_of(&base_src.bytes),
    };
    let key = a
        .key
        .clone()
        .or_else(|| watch.as_ref().and_then(|w| w.spec.item_key.clone()));
    let level: Level = match &a.level {
        Some(l) => l.parse().map_err(AppError::Usage)?,
        None if kind == Kind::OpenApi => Level::Warning,
        None => Level::Info,
    };
    let limits = spec::Limits::default();
    let bundle_options = BundleOptions {
        allow_remote: a.allow_remote_refs,
        limits,
    };
    let mut loader = RefLoader::new()?;
    let mut prepare = |side, doc: &mut serde_json::Value| {
        let location = match side {
            Side::Base => base_src.location.as_ref(),
            Side::Revision => rev_src.location.as_ref(),
        };
        bundle::bundle(doc, location, &bundle_options, &mut loader)
    };
    let comparison = engine::compare_raw_with(
        kind,
        &base_src.bytes,
        &rev_src.bytes,
        key.as_deref(),
        &limits,
        &DiffOptions {
            deprecation_days_beta: a.deprecation_days_beta,
            deprecation_days_stable: a.deprecation_days_stable,
            ..DiffOptions::default()
        },
        &mut prepare,
    )
    .map_err(|(side, e)| {
        let label = match side {
            Side::Base => &base_src.label,
            Side::Revision => &rev_src.label,
        };
        AppError::Failed(format!("{label}: {e}"))
    })?;
    // Overrides change levels, so they apply before the level filter.
    let (findings, ignored) = filter.apply(comparison.findings);
    let findings = findings.into_iter().filter(|f| f.level >= level).collect();
    Ok(DiffOutcome {
        base_label: base_src.label,
        revision_label: rev_src.label,
        findings,
        base_notes: comparison.base_notes,
        revision_notes: comparison.revision_notes,
        ignored,
    })
}

/// openapi when the file is one, json otherwise (page for HTML/text).
pub fn guess_kind(first: Option<&Path>) -> Kind {
    match first.and_then(|p| std::fs::read(p).ok()) {
        Some(raw) => guess_kind_of(&raw),
        None => Kind::OpenApi,
    }
}

/// openapi when the bytes are one, json when they parse, page otherwise.
pub fn guess_kind_of(raw: &[u8]) -> Kind {
    let opts = spec::NormalizeOptions::default();
    if spec::normalize(Kind::OpenApi, raw, &opts).is_ok() {
        Kind::OpenApi
    } else if spec::normalize(Kind::Json, raw, &opts).is_ok() {
        Kind::Json
    } else {
        Kind::Page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch_with_latest(latest: Option<i64>) -> Watch {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("db")).unwrap();
        let spec = crate::watch::WatchSpec::new("w", Kind::Json, "https://example.test/x");
        let mut w = store.add_watch(&spec, false).unwrap();
        w.latest_seq = latest;
        w
    }

    #[test]
    fn version_selectors() {
        let w = watch_with_latest(Some(5));
        assert_eq!(resolve_version(&w, None).unwrap(), 5);
        assert_eq!(resolve_version(&w, Some("latest")).unwrap(), 5);
        assert_eq!(resolve_version(&w, Some("latest~2")).unwrap(), 3);
        assert_eq!(resolve_version(&w, Some("2")).unwrap(), 2);
        assert!(matches!(
            resolve_version(&w, Some("latest~x")),
            Err(AppError::Usage(_))
        ));
        assert!(matches!(
            resolve_version(&w, Some("newest")),
            Err(AppError::Usage(_))
        ));
        let empty = watch_with_latest(None);
        assert!(matches!(
            resolve_version(&empty, None),
            Err(AppError::Store(StoreError::NoVersions(_)))
        ));
    }

    #[test]
    fn kinds_are_guessed_from_the_bytes() {
        assert_eq!(
            guess_kind_of(b"openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n"),
            Kind::OpenApi
        );
        assert_eq!(guess_kind_of(br#"{"models": [1, 2]}"#), Kind::Json);
        assert_eq!(guess_kind_of(b"<html><p>hello</p>"), Kind::Page);
    }

    #[test]
    fn fail_on_is_read_after_the_output() {
        let outcome = DiffOutcome {
            base_label: "a".into(),
            revision_label: "b".into(),
            findings: Vec::new(),
            base_notes: Vec::new(),
            revision_notes: Vec::new(),
            ignored: 0,
        };
        assert!(outcome.verdict(None).is_ok());
        assert!(outcome.verdict(Some("error")).is_ok());
        assert!(matches!(
            outcome.verdict(Some("loud")),
            Err(AppError::Usage(_))
        ));
    }
}
