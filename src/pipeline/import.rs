//! Backfilling a watch's history from files.
//!
//! `apiradar import NAME PATH...` takes files, or folders of files, in name
//! order and records each as a version when its canonical form differs from
//! the one before, exactly as polling would. Names like the shared corpus's
//! `<seq>_<date>_<id>.<ext>` give each version its source date.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::pipeline::ingest;
use crate::spec;
use crate::store::{self, PollOutcome, Store, SuccessRecord};
use crate::watch::Watch;

/// File extensions taken from a folder; anything else (an `INDEX.tsv`, a
/// README) is skipped.
const DOCUMENT_EXTENSIONS: &[&str] = &["json", "yaml", "yml", "html", "htm", "txt", "md"];

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0} holds no .json, .yaml, .yml, .html, .txt or .md files")]
    Empty(String),
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedFile {
    pub path: String,
    pub status: PollOutcome,
    pub version: Option<i64>,
    pub error: Option<String>,
}

/// Expands folders into their document files, sorted by name; files given
/// directly are kept as given, in order.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    let mut out = Vec::new();
    for path in paths {
        let shown = || path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|source| ImportError::Read {
            path: shown(),
            source,
        })?;
        if meta.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|source| ImportError::Read {
                    path: shown(),
                    source,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_document(p))
                .collect();
            if files.is_empty() {
                return Err(ImportError::Empty(shown()));
            }
            files.sort();
            out.extend(files);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn is_document(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'));
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    !hidden && ext.is_some_and(|e| DOCUMENT_EXTENSIONS.contains(&e.as_str()))
}

/// The first `YYYY-MM-DD` in a file name, as the version's source date.
pub fn date_from_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).find_map(|i| {
        let s = name.get(i..i + 10)?;
        let b = s.as_bytes();
        let shape = b.iter().enumerate().all(|(j, c)| match j {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
        let bounded = i == 0 || !bytes[i - 1].is_ascii_digit();
        (shape && bounded && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok())
            .then(|| s.to_string())
    })
}

/// Imports `files` into `watch`, one transaction per file. A file that
/// cannot be read or parsed is reported and skipped; the rest go on. The
/// changed versions are stored with their finding counts pending (see
/// [`ingest::fill_pending_counts`]).
///
/// Reading and parsing run on a second thread, a few files ahead of the
/// compression and writing on this one: the two halves take similar time.
pub fn import_files(
    store: &mut Store,
    watch: &Watch,
    files: &[PathBuf],
    limits: spec::Limits,
    progress: impl FnMut(&ImportedFile),
) -> Vec<ImportedFile> {
    import_checked_files(store, watch, files, &[], limits, progress)
}

/// [`import_files`], where `refused[i]`, when set, is why `files[i]` was
/// refused by a check made before anything was stored: that file is
/// reported as failed with that reason and not read again.
pub fn import_checked_files(
    store: &mut Store,
    watch: &Watch,
    files: &[PathBuf],
    refused: &[Option<String>],
    limits: spec::Limits,
    mut progress: impl FnMut(&ImportedFile),
) -> Vec<ImportedFile> {
    let spec = &watch.spec;
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(&Path, Result<Parsed, String>)>(4);
        scope.spawn(move || {
            for (i, path) in files.iter().enumerate() {
                let parsed = match refused.get(i) {
                    Some(Some(why)) => Err(why.clone()),
                    _ => parse_file(path, spec, limits),
                };
                if tx.send((path, parsed)).is_err() {
                    return;
                }
            }
        });
        rx.into_iter()
            .map(|(path, parsed)| {
                let result = record(store, watch, path, parsed);
                progress(&result);
                result
            })
            .collect()
    })
}

/// A file read and normalized, ready to record.
struct Parsed {
    raw: Vec<u8>,
    normalized: spec::Normalized,
}

fn parse_file(
    path: &Path,
    watch: &crate::watch::WatchSpec,
    limits: spec::Limits,
) -> Result<Parsed, String> {
    let raw = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let normalized = ingest::normalize(watch, &raw, limits).map_err(|e| e.to_string())?;
    Ok(Parsed { raw, normalized })
}

fn record(
    store: &mut Store,
    watch: &Watch,
    path: &Path,
    parsed: Result<Parsed, String>,
) -> ImportedFile {
    let shown = path.display().to_string();
    let failed = |error: String| ImportedFile {
        path: shown.clone(),
        status: PollOutcome::Failed,
        version: None,
        error: Some(error),
    };
    let Parsed { raw, normalized } = match parsed {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let record = SuccessRecord {
        raw: &raw,
        canonical_hash: store::sha256(&normalized.canonical),
        format: normalized.format,
        spec_version: normalized.spec_version,
        title: normalized.title,
        source_date: date_from_name(path),
        fetched_at: store::now_ms(),
        run: None,
        ..SuccessRecord::default()
    };
    // The comparison with the version before (for the finding counts) is
    // left to the worker: it would take most of the import's time.
    let recorded = ingest::ingest_deferred(store, watch, &record);
    match recorded {
        Ok(r) => ImportedFile {
            path: shown,
            status: r.outcome,
            version: r.seq,
            error: None,
        },
        Err(e) => failed(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::{Kind, WatchSpec};

    #[test]
    fn dates_come_from_corpus_style_names() {
        let d = |s: &str| date_from_name(Path::new(s));
        assert_eq!(
            d("001_2025-02-17_310df861.yaml").as_deref(),
            Some("2025-02-17")
        );
        assert_eq!(d("spec-2024-13-01.yaml"), None);
        assert_eq!(d("spec.yaml"), None);
        assert_eq!(d("12024-01-01.json"), None);
    }

    #[test]
    fn imports_store_counts_as_pending_and_the_worker_step_fills_them() {
        let dir = tempfile::tempdir().unwrap();
        let doc = |params: &str| {
            format!(
                "openapi: 3.0.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /pets:\n    get:\n      parameters: [{params}]\n      responses: {{'200': {{description: ok}}}}\n"
            )
        };
        let p = "{name: limit, in: query, schema: {type: integer}}";
        std::fs::write(dir.path().join("001.yaml"), doc(p)).unwrap();
        std::fs::write(dir.path().join("002.yaml"), doc("")).unwrap();
        std::fs::write(dir.path().join("003.yaml"), doc(p)).unwrap();
        let files = collect_files(&[dir.path().to_path_buf()]).unwrap();
        let mut store = Store::open_in_memory().unwrap();
        let watch = store
            .add_watch(&WatchSpec::new("t", Kind::OpenApi, "x"), false)
            .unwrap();
        import_files(&mut store, &watch, &files, spec::Limits::default(), |_| {});
        let versions = store.versions(watch.id).unwrap();
        let pending: Vec<bool> = versions.iter().map(|v| v.counts_pending).collect();
        assert_eq!(pending, [false, true, true]);
        assert!(versions.iter().all(|v| v.counts.is_none()));
        assert_eq!(store.pending_count_total(Some(watch.id)).unwrap(), 2);
        let limits = spec::Limits::default();
        assert_eq!(
            ingest::fill_pending_counts(&mut store, 10, limits).unwrap(),
            2
        );
        assert_eq!(
            ingest::fill_pending_counts(&mut store, 10, limits).unwrap(),
            0
        );
        let versions = store.versions(watch.id).unwrap();
        assert!(versions.iter().all(|v| !v.counts_pending));
        // The same counts a poll would have stored: a removed query
        // parameter (a warning), then one added (info).
        let counts: Vec<_> = versions.iter().map(|v| v.counts).collect();
        assert_eq!(counts[0], None);
        let removed = counts[1].unwrap();
        let added = counts[2].unwrap();
        assert!(removed.warnings + removed.errors >= 1, "{removed:?}");
        assert_eq!(added.errors + added.warnings, 0, "{added:?}");
        assert!(added.infos >= 1, "{added:?}");
    }

    #[test]
    fn folders_import_in_name_order_skipping_non_documents() {
        let dir = tempfile::tempdir().unwrap();
        let w = |name: &str, body: &str| std::fs::write(dir.path().join(name), body).unwrap();
        w(
            "002_2025-01-02_b.yaml",
            "openapi: 3.0.0\ninfo: {title: t, version: '2'}\npaths: {}\n",
        );
        w(
            "001_2025-01-01_a.json",
            r#"{"openapi":"3.0.0","info":{"title":"t","version":"1"},"paths":{}}"#,
        );
        // the same document as 001, re-serialised: not a version
        w(
            "003_2025-01-03_c.yaml",
            "openapi: '3.0.0'\npaths: {}\ninfo:\n  version: '1'\n  title: t\n",
        );
        w("004_2025-01-04_d.yaml", "<html><title>Login</title></html>");
        w("INDEX.tsv", "seq\tfile\n");
        let files = collect_files(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files.len(), 4);
        let mut store = Store::open_in_memory().unwrap();
        let watch = store
            .add_watch(&WatchSpec::new("t", Kind::OpenApi, "x"), false)
            .unwrap();
        let results = import_files(&mut store, &watch, &files, spec::Limits::default(), |_| {});
        let statuses: Vec<&str> = results.iter().map(|r| r.status.as_str()).collect();
        assert_eq!(statuses, ["new", "changed", "changed", "failed"]);
        assert!(results[3].error.as_deref().unwrap().contains("HTML"));
        let versions = store.versions(watch.id).unwrap();
        assert_eq!(versions.len(), 3);
        assert_eq!(versions[0].source_date.as_deref(), Some("2025-01-01"));
        assert_eq!(versions[0].canonical_hash, versions[2].canonical_hash);
    }
}
