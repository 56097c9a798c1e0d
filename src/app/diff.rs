//! Diffs on request: each side a stored version (`NAME@3`, `NAME@latest`,
//! `NAME@latest~1`), a file or a URL, with the files and URLs their
//! `$ref`s point at; the findings filtered by rules and level.

use std::path::PathBuf;

use super::AppError;
use crate::diff::bundle::{self, BundleOptions};
use crate::diff::filter::Filter;
use crate::diff::group::LevelCounts;
use crate::diff::lint::Note;
use crate::diff::{self as engine, DiffOptions, Finding, Level, Side, Stability};
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
            let seq = latest - i64::from(back);
            if seq < 1 {
                return Err(AppError::usage(format!(
                    "`{}` has {} stored: `{s}` goes back past the first (latest~0 … latest~{})",
                    watch.spec.name,
                    crate::text::count(latest, "version", "versions"),
                    latest - 1
                )));
            }
            seq
        }
        Some(s) => s.parse().map_err(|_| {
            AppError::usage(format!(
                "cannot read version `{s}`: use a number, latest or latest~N"
            ))
        })?,
    };
    Ok(seq)
}

/// Which version `NAME@SELECTOR` names, dates included: `2026-08-01` is
/// the version in force at the end of that day (UTC), the latest fetched on
/// or before it; `-7d` (any duration `humantime` reads) the one in force
/// that long ago. Numbers and `latest~N` as [`resolve_version`].
pub fn resolve_ref(
    store: &Store,
    watch: &Watch,
    selector: Option<&str>,
    now_ms: i64,
) -> Result<i64, AppError> {
    let Some(s) = selector else {
        return resolve_version(watch, None);
    };
    let cutoff = if let Ok(day) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let end = day
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .ok_or_else(|| AppError::usage(format!("cannot read the date `{s}`")))?;
        Some(end.and_utc().timestamp_millis() - 1)
    } else if let Some(ago) = s.strip_prefix('-') {
        let d = humantime::parse_duration(ago).map_err(|e| {
            AppError::usage(format!(
                "cannot read `{s}` as a time ago ({e}): use, say, -7d or -12h"
            ))
        })?;
        Some(now_ms - i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    } else {
        None
    };
    let Some(cutoff) = cutoff else {
        return resolve_version(watch, Some(s));
    };
    let versions = store.versions(watch.id)?;
    versions
        .iter()
        .filter(|v| v.fetched_at <= cutoff)
        .map(|v| v.seq)
        .max()
        .ok_or_else(|| {
            let first = versions.iter().map(|v| v.fetched_at).min();
            AppError::usage(format!(
                "`{}` has no version fetched by `{s}`{}",
                watch.spec.name,
                first.map_or(String::new(), |t| format!(
                    ": the first was fetched at {}",
                    crate::store::format_ms(t)
                ))
            ))
        })
}

/// A usage error for `NAME@…` naming no watch, with the closest names.
fn unknown_watch(store: &Store, name: &str, arg: &str) -> AppError {
    let names: Vec<String> = store
        .list_watches()
        .map(|ws| ws.into_iter().map(|w| w.spec.name).collect())
        .unwrap_or_default();
    let mut close: Vec<(usize, &String)> = names
        .iter()
        .map(|n| (edit_distance(&n.to_lowercase(), &name.to_lowercase()), n))
        .filter(|(d, n)| *d <= (n.chars().count().max(name.chars().count()) / 3).max(1))
        .collect();
    close.sort();
    let hint = match close.as_slice() {
        [] if names.is_empty() => " (no watches yet: add one with `apiradar add`)".to_string(),
        [] => String::new(),
        found => format!(
            "; did you mean {}?",
            found
                .iter()
                .take(3)
                .map(|(_, n)| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    };
    AppError::usage(format!(
        "no watch named `{name}` (and no file `{arg}`){hint}"
    ))
}

/// Levenshtein distance, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The bytes of a stored version named `NAME[@VERSION]`, as published.
pub fn show(store: &Store, target: &str) -> Result<Vec<u8>, AppError> {
    let (name, selector) = match target.split_once('@') {
        Some((n, s)) => (n, Some(s)),
        None => (target, None),
    };
    let watch = match store.find_watch(name)? {
        Some(w) => w,
        None => return Err(unknown_watch(store, name, target)),
    };
    let seq = resolve_ref(store, &watch, selector, crate::store::now_ms())?;
    let version = store.version(&watch, seq)?;
    Ok(store.read_blob(version.blob_id)?)
}

/// One side of a diff.
pub struct DiffSource {
    pub label: String,
    pub bytes: Vec<u8>,
    /// The watch, for a stored version.
    pub watch: Option<Watch>,
    /// The version's number, for a stored version.
    pub seq: Option<i64>,
    /// Where a file or URL was read from, for its relative `$ref`s.
    pub location: Option<Location>,
    /// Where a stored version was fetched from (after redirects).
    pub fetched_from: Option<String>,
}

/// Reads `NAME@VERSION` from the store (when such a watch exists), else a
/// URL or a file.
pub fn source(store: &Store, arg: &str) -> Result<DiffSource, AppError> {
    if let Some((name, selector)) = arg.split_once('@')
        && let Some(watch) = store.find_watch(name)?
    {
        let seq = resolve_ref(store, &watch, Some(selector), crate::store::now_ms())?;
        let version = store.version(&watch, seq)?;
        let bytes = store.read_blob(version.blob_id)?;
        return Ok(DiffSource {
            label: format!("{name}@{seq}"),
            bytes,
            fetched_from: Some(
                version
                    .final_url
                    .clone()
                    .unwrap_or_else(|| watch.spec.location.clone()),
            ),
            watch: Some(watch),
            seq: Some(seq),
            location: None,
        });
    }
    // `NAME@…` with no such watch and no such file: a mistyped name.
    if let Some((name, _)) = arg.split_once('@')
        && !arg.contains("://")
        && !std::path::Path::new(arg).exists()
        && !name.is_empty()
        && !name.contains(['/', '\\', '.'])
    {
        return Err(unknown_watch(store, name, arg));
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
        seq: None,
        location: Some(location),
        fetched_from: None,
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
    /// The document kind; from the watch, else told from both documents
    /// ([`choose_kind`]).
    pub kind: Option<String>,
    /// The least level shown; warning for openapi, info otherwise.
    pub level: Option<String>,
    /// For json documents: the field naming list items.
    pub key: Option<String>,
    /// For json documents: compare lists by position, detecting no key.
    pub no_key: bool,
    /// A rules file of findings to drop.
    pub ignore: Option<PathBuf>,
    /// A rules file of levels to change.
    pub severity_levels: Option<PathBuf>,
    pub deprecation_days_beta: u32,
    pub deprecation_days_stable: u32,
    pub allow_remote_refs: bool,
    /// `--stability-level`: operations below it are not compared.
    pub stability_level: Option<String>,
}

/// What a diff found.
#[derive(Debug, Clone)]
pub struct DiffOutcome {
    /// How the two documents were compared.
    pub kind: Kind,
    pub base_label: String,
    pub revision_label: String,
    /// The findings at or above the level, after the rules.
    pub findings: Vec<Finding>,
    /// What each document had wrong that the diff overlooked.
    pub base_notes: Vec<Note>,
    pub revision_notes: Vec<Note>,
    /// How many findings the rules dropped.
    pub ignored: usize,
    /// `--stability-level`, and how many operations it left out.
    pub below_stability: Option<(Stability, usize)>,
    /// The least level shown.
    pub level: Level,
    /// The findings below it, by level: counted, not shown.
    pub hidden: LevelCounts,
    /// No check found anything at any level, yet the documents differ:
    /// only what no check compares (descriptions, examples, layout).
    pub documentation_only: bool,
    /// The item key found in the documents, when none was given.
    pub detected_key: Option<&'static str>,
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
    let mut base_src = source(store, &a.base)?;
    let mut rev_src = source(store, &a.revision)?;
    let watch = base_src.watch.clone().or(rev_src.watch.clone());
    // Telling the kind of two files may parse them: the comparison starts
    // from those documents.
    let mut parsed = [None, None];
    let kind = match (&a.kind, &watch) {
        (Some(k), _) => super::watches::parse_kind(k)?,
        (None, Some(w)) => w.spec.kind,
        (None, None) => {
            let (kind, docs) = choose_kind(&base_src, &rev_src)?;
            parsed = docs;
            kind
        }
    };
    // A stored version is compared with its watch's options (ignored
    // fields, price paths, levels, keywords); the command line's key wins.
    let mut watch_options = match &watch {
        Some(w) => engine::WatchOptions::for_watch(&w.spec),
        None => engine::WatchOptions::default(),
    };
    if a.key.is_some() {
        watch_options.json.item_key = a.key.clone();
    }
    if a.no_key {
        watch_options.json.item_key = None;
        watch_options.json.no_key = true;
    }
    // Two stored versions of a page: its lines that change in every
    // version, as of the newer one, are compared masked, as polls do.
    if kind == Kind::Page
        && let (Some(w), Some(seq)) = (&rev_src.watch, rev_src.seq)
        && base_src.watch.as_ref().is_some_and(|b| b.id == w.id)
    {
        watch_options.page.volatile =
            crate::pipeline::ingest::page_volatile(store, w, seq, spec::Limits::default())?;
    }
    let level: Level = match &a.level {
        Some(l) => l.parse().map_err(AppError::Usage)?,
        None if kind == Kind::OpenApi => Level::Warning,
        None => Level::Info,
    };
    let stability_level: Option<Stability> = a
        .stability_level
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(AppError::Usage)?;
    if stability_level.is_some() && kind != Kind::OpenApi {
        return Err(AppError::Usage(format!(
            "--stability-level applies to OpenAPI operations; these documents are compared as {kind}"
        )));
    }
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
    let [base_parsed, rev_parsed] = parsed;
    let same_bytes = base_src.bytes == rev_src.bytes;
    // The bytes go to the comparison, which lets them go once parsed; a
    // stored revision keeps its own for the probing holds below.
    let rev_bytes = if rev_src.watch.is_some() && rev_src.fetched_from.is_some() {
        std::borrow::Cow::Borrowed(rev_src.bytes.as_slice())
    } else {
        std::borrow::Cow::Owned(std::mem::take(&mut rev_src.bytes))
    };
    let comparison = engine::compare_inputs_with(
        kind,
        engine::Input {
            raw: std::mem::take(&mut base_src.bytes).into(),
            parsed: base_parsed,
        },
        engine::Input {
            raw: rev_bytes,
            parsed: rev_parsed,
        },
        &watch_options,
        &limits,
        &DiffOptions {
            deprecation_days_beta: a.deprecation_days_beta,
            deprecation_days_stable: a.deprecation_days_stable,
            stability_level,
            ..DiffOptions::default()
        },
        &mut prepare,
    )
    .map_err(|(side, e)| {
        let label = match side {
            Side::Base => &base_src.label,
            Side::Revision => &rev_src.label,
        };
        // Exit 2: the diff could not be made, which `--fail-on` (exit 1)
        // must not be mistaken for.
        AppError::Usage(format!("{label}: {e} (compared as {kind})"))
    })?;
    // Overrides change levels, so they apply before the level filter.
    let (findings, ignored) = filter.apply(comparison.findings);
    // Operations left out by --stability-level may hold the difference.
    let documentation_only =
        findings.is_empty() && ignored == 0 && comparison.below_stability == 0 && !same_bytes;
    // Below the level shown only counts: those findings go now, in place
    // (a large diff hides tens of thousands of info findings).
    let mut findings = findings;
    let mut hidden = LevelCounts::default();
    findings.retain(|f| {
        let shown = f.level >= level;
        if !shown {
            hidden.add(f.level);
        }
        shown
    });
    let mut revision_notes = comparison.revision_notes;
    if kind == Kind::OpenApi {
        revision_notes.extend(probing_holds(store, &rev_src, &limits)?);
    }
    Ok(DiffOutcome {
        level,
        hidden,
        documentation_only,
        kind,
        base_label: base_src.label,
        revision_label: rev_src.label,
        findings,
        base_notes: comparison.base_notes,
        revision_notes,
        ignored,
        below_stability: stability_level.map(|l| (l, comparison.below_stability)),
        detected_key: comparison.detected_key,
    })
}

/// The operations turned on for probing that the revision, a stored
/// version of a watch, moves to another server or gives another body:
/// their probing is held until the user confirms them again, and the diff
/// says so beside its findings.
fn probing_holds(
    store: &Store,
    revision: &DiffSource,
    limits: &spec::Limits,
) -> Result<Vec<Note>, AppError> {
    let (Some(watch), Some(origin)) = (&revision.watch, &revision.fetched_from) else {
        return Ok(Vec::new());
    };
    // The comparison has parsed this document already; a failure here
    // would have failed it first.
    let Ok((doc, _)) = spec::parse_document(&revision.bytes, limits) else {
        return Ok(Vec::new());
    };
    let holds = crate::health::holds_in(store, watch, &doc, origin)?;
    Ok(holds
        .into_iter()
        .map(|(method, path, why)| Note {
            pointer: format!(
                "/paths/{}/{}",
                path.replace('~', "~0").replace('/', "~1"),
                method.to_lowercase()
            ),
            message: format!("probing of {method} {path} is {why}"),
        })
        .collect())
}

/// The kind two files or URLs are compared as, told from both: a side
/// with an `openapi`/`swagger` field makes it openapi (and the other side
/// must then be OpenAPI too, which the comparison checks), else the
/// stronger of the two sides' evidence (extension over content) decides.
///
/// Never a silent fallback: a side that looks like OpenAPI or JSON but does
/// not parse fails with its parse error, and two sides that look like
/// different kinds on equal evidence ask for `--kind`.
///
/// Each side is read on a thread of its own, and what parsing them made is
/// given back for the comparison (with the limits it uses).
fn choose_kind(
    base: &DiffSource,
    revision: &DiffSource,
) -> Result<(Kind, [Option<spec::Parsed>; 2]), AppError> {
    let limits = spec::Limits::default();
    let detect = |s: &DiffSource| {
        let name = s.location.as_ref().map(|l| l.to_string());
        spec::detect_keeping(&s.bytes, name.as_deref(), &limits)
    };
    let (b, r) = std::thread::scope(|scope| {
        let other = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn_scoped(scope, || detect(revision));
        let b = detect(base);
        let r = match other {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => detect(revision),
        };
        (b, r)
    });
    let kind = combine([(base.label.as_str(), &b.0), (revision.label.as_str(), &r.0)].into_iter())?;
    Ok((kind, [b.1, r.1]))
}

/// What [`choose_kind`] and `import` decide from several documents'
/// detections (name, detection).
pub fn combine<'a>(
    detections: impl Iterator<Item = (&'a str, &'a spec::Detection)> + Clone,
) -> Result<Kind, AppError> {
    for (name, d) in detections.clone() {
        if let Some(e) = &d.error {
            return Err(AppError::Usage(format!(
                "{name}: {e} (it looks like {}; apiradar does not compare it as \
                 anything else)",
                d.describe()
            )));
        }
    }
    if detections.clone().any(|(_, d)| d.kind == Kind::OpenApi) {
        return Ok(Kind::OpenApi);
    }
    let strongest = detections
        .clone()
        .map(|(_, d)| d.evidence)
        .max()
        .unwrap_or(spec::Evidence::Content);
    let mut kinds = detections.clone().filter(|(_, d)| d.evidence == strongest);
    let Some((first_name, first)) = kinds.next() else {
        return Ok(Kind::OpenApi);
    };
    if let Some((name, other)) = kinds.find(|(_, d)| d.kind != first.kind) {
        return Err(AppError::Usage(format!(
            "{first_name} looks like {} but {name} looks like {}; \
             say how to compare them with --kind openapi|json|page",
            first.describe(),
            other.describe()
        )));
    }
    Ok(first.kind)
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

    fn kind_of(docs: &[(&str, &str)]) -> Result<Kind, AppError> {
        let limits = spec::Limits::default();
        let found: Vec<(&str, spec::Detection)> = docs
            .iter()
            .map(|(name, body)| (*name, spec::detect(body.as_bytes(), Some(name), &limits)))
            .collect();
        combine(found.iter().map(|(n, d)| (*n, d)))
    }

    #[test]
    fn kinds_are_told_from_both_documents() {
        let oas = "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n";
        let broken = "openapi: 3.0.0\ninfo:\n  title: t\n bad: [\n";
        assert_eq!(
            kind_of(&[("a.yaml", oas), ("b.yaml", oas)]).unwrap(),
            Kind::OpenApi
        );
        assert_eq!(
            kind_of(&[("a", r#"{"models": [1, 2]}"#)]).unwrap(),
            Kind::Json
        );
        assert_eq!(kind_of(&[("a", "<html><p>hello</p>")]).unwrap(), Kind::Page);
        // The older side alone no longer decides.
        assert_eq!(
            kind_of(&[("a.json", r#"{"error": "rate limited"}"#), ("b.yaml", oas)]).unwrap(),
            Kind::OpenApi
        );
        // A side that looks like OpenAPI but does not parse is an error,
        // whichever side it is, and whatever its name.
        for docs in [
            [("a.yaml", broken), ("b.yaml", oas)],
            [("a", oas), ("b", broken)],
        ] {
            let err = kind_of(&docs).unwrap_err();
            assert!(matches!(err, AppError::Usage(_)), "{err:?}");
            assert!(err.to_string().contains("invalid YAML"), "{err}");
        }
        // So is a .json file that does not parse, and a text starting `{`.
        assert!(kind_of(&[("a.json", "not: [json"), ("b.json", "{}")]).is_err());
        assert!(kind_of(&[("a", "{\"a\": "), ("b", "{}")]).is_err());
        // A page and a JSON document on equal evidence: say so.
        let err = kind_of(&[("a.html", "<p>x</p>"), ("b.json", "{}")]).unwrap_err();
        assert!(err.to_string().contains("--kind"), "{err}");
        // Extension beats content.
        assert_eq!(
            kind_of(&[("a.json", "{}"), ("b", "plain words")]).unwrap(),
            Kind::Json
        );
    }

    #[test]
    fn fail_on_is_read_after_the_output() {
        let outcome = DiffOutcome {
            kind: Kind::OpenApi,
            base_label: "a".into(),
            revision_label: "b".into(),
            findings: Vec::new(),
            base_notes: Vec::new(),
            revision_notes: Vec::new(),
            ignored: 0,
            below_stability: None,
            level: Level::Warning,
            hidden: LevelCounts::default(),
            documentation_only: false,
            detected_key: None,
        };
        assert!(outcome.verdict(None).is_ok());
        assert!(outcome.verdict(Some("error")).is_ok());
        assert!(matches!(
            outcome.verdict(Some("loud")),
            Err(AppError::Usage(_))
        ));
    }
}
