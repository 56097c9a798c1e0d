//! `apiradar tests`, `tasks` and `docs`: what the generators make from a
//! stored version, a file or a URL, written where the user said; and the
//! generated cases run against a server (`tests --run`).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use serde_json::Value;

use super::AppError;
use crate::generate::cases::{self, Case, Options, Suite};
use crate::generate::model::Api;
use crate::generate::values::Hint;
use crate::generate::{OpFilter, http, junit, node, postman, pytest, zip};
use crate::health::check::{ProbeConfig, Prober};
use crate::health::policy::{self, Policy};
use crate::spec;
use crate::store::Store;
use crate::store::health::{Endpoint, EndpointState, RequestBody};

/// A test file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Postman,
    Pytest,
    Node,
    Junit,
    Http,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, AppError> {
        match s.to_ascii_lowercase().as_str() {
            "postman" => Ok(Format::Postman),
            "pytest" | "python" => Ok(Format::Pytest),
            "node" | "js" => Ok(Format::Node),
            "junit" | "java" => Ok(Format::Junit),
            "http" => Ok(Format::Http),
            other => Err(AppError::usage(format!(
                "unknown test format `{other}`: use postman, pytest, node, junit or http"
            ))),
        }
    }
}

/// The files of `suite` in `formats` (name, bytes), in a fixed order.
pub fn render(suite: &Suite, formats: &[Format]) -> Vec<(String, Vec<u8>)> {
    let mut formats = formats.to_vec();
    formats.sort();
    formats.dedup();
    let mut out = Vec::new();
    for f in formats {
        match f {
            Format::Postman => out.push((
                "postman_collection.json".to_owned(),
                postman::render(suite).into_bytes(),
            )),
            Format::Pytest => {
                out.push((pytest::FILE.to_owned(), pytest::render(suite).into_bytes()))
            }
            Format::Node => out.push((node::FILE.to_owned(), node::render(suite).into_bytes())),
            Format::Junit => {
                for (name, text) in junit::files(suite) {
                    out.push((format!("junit/{name}"), text.into_bytes()));
                }
            }
            Format::Http => out.push(("api.http".to_owned(), http::render(suite).into_bytes())),
        }
    }
    out
}

/// A description read for generation, with where it came from.
pub struct Loaded {
    pub label: String,
    pub api: Api,
    pub doc: Value,
}

/// Reads `NAME[@REF]`, a file or a URL as an OpenAPI or Swagger
/// description; anything else is refused (exit 2).
pub fn load(store: &Store, target: &str) -> Result<Loaded, AppError> {
    let src = super::diff::source(store, target)?;
    let limits = spec::Limits::default();
    let (doc, format) = spec::parse_document(&src.bytes, &limits)
        .map_err(|e| AppError::Usage(format!("{}: {e}", src.label)))?;
    spec::openapi::spec_version(&doc, format)
        .map_err(|e| AppError::Usage(format!("{}: {e}", src.label)))?;
    let api = Api::new(&doc);
    Ok(Loaded {
        label: src.label,
        api,
        doc,
    })
}

/// `apiradar tests` as asked.
#[derive(Debug, Clone, Default)]
pub struct TestsRequest {
    /// The description; with `changed`, its newer side is used instead.
    pub target: Option<String>,
    /// `--changed A B`: only the operations that changed from A to B.
    pub changed: Option<(String, String)>,
    pub formats: Vec<String>,
    pub cases: usize,
    pub seed: u64,
    pub only: Vec<String>,
    pub hint: Option<String>,
}

/// What `tests` generated.
pub struct Generated {
    pub label: String,
    pub suite: Suite,
    pub files: Vec<(String, Vec<u8>)>,
    pub millis: u128,
}

pub fn tests(store: &Store, r: &TestsRequest) -> Result<Generated, AppError> {
    if r.cases == 0 {
        return Err(AppError::usage("--cases must be at least 1"));
    }
    let formats = r
        .formats
        .iter()
        .flat_map(|f| f.split(','))
        .filter(|f| !f.trim().is_empty())
        .map(|f| Format::parse(f.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let only = r
        .only
        .iter()
        .map(|o| OpFilter::parse(o).map_err(AppError::Usage))
        .collect::<Result<Vec<_>, _>>()?;
    let hint = match &r.hint {
        Some(h) => Hint::parse(h).map_err(AppError::Usage)?,
        None => Hint::General,
    };
    let started = Instant::now();
    let (target, changed) = match (&r.target, &r.changed) {
        (Some(_), Some(_)) => {
            return Err(AppError::usage(
                "give either a description or --changed A B (whose B is the description), not both",
            ));
        }
        (None, None) => {
            return Err(AppError::usage(
                "which description? give NAME[@REF], a file or a URL, or --changed A B",
            ));
        }
        (Some(t), None) => (t.clone(), None),
        (None, Some((a, b))) => (b.clone(), Some(changed_operations(store, a, b)?)),
    };
    let loaded = load(store, &target)?;
    let options = Options {
        cases: r.cases,
        seed: r.seed,
        hint,
        only,
        changed,
    };
    let suite = cases::generate(&loaded.api, &options);
    let files = render(&suite, &formats);
    Ok(Generated {
        label: loaded.label,
        suite,
        files,
        millis: started.elapsed().as_millis(),
    })
}

/// The operations (method, normalized path) that findings between `a`
/// and `b` concern, at any level: what a regression suite for `b` tests.
pub fn changed_operations(
    store: &Store,
    a: &str,
    b: &str,
) -> Result<BTreeSet<(String, String)>, AppError> {
    let outcome = super::diff::run(
        store,
        &super::diff::DiffRequest {
            base: a.to_owned(),
            revision: b.to_owned(),
            kind: Some("openapi".to_owned()),
            level: Some("info".to_owned()),
            ..Default::default()
        },
    )?;
    Ok(outcome
        .findings
        .iter()
        .filter_map(|f| {
            Some((
                f.operation.as_deref()?.to_string(),
                crate::diff::document::normalize_path(f.path.as_deref()?),
            ))
        })
        .collect())
}

/// Writes generated files under `dir` (made if missing), or as one ZIP.
pub fn write_files(
    files: &[(String, Vec<u8>)],
    dir: Option<&std::path::Path>,
    zip_to: Option<&std::path::Path>,
) -> Result<Vec<PathBuf>, AppError> {
    let mut written = Vec::new();
    if let Some(dir) = dir {
        for (name, bytes) in files {
            let path = dir.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    AppError::context(format!("cannot create {}", parent.display()), e)
                })?;
            }
            std::fs::write(&path, bytes)
                .map_err(|e| AppError::context(format!("cannot write {}", path.display()), e))?;
            written.push(path);
        }
    }
    if let Some(path) = zip_to {
        let bytes = zip::archive(files)
            .ok_or_else(|| AppError::Failed("the suite is too large for a ZIP archive".into()))?;
        std::fs::write(path, bytes)
            .map_err(|e| AppError::context(format!("cannot write {}", path.display()), e))?;
        written.push(path.to_path_buf());
    }
    Ok(written)
}

/// How one case ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    Failed(String),
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct CaseRun {
    pub case: Case,
    pub status: Option<u16>,
    pub millis: Option<i64>,
    pub verdict: Verdict,
}

/// `tests --run`: every case's outcome.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub title: String,
    pub base_url: String,
    pub runs: Vec<CaseRun>,
}

impl RunReport {
    pub fn count(&self, f: impl Fn(&Verdict) -> bool) -> usize {
        self.runs.iter().filter(|r| f(&r.verdict)).count()
    }
    pub fn failed(&self) -> usize {
        self.count(|v| matches!(v, Verdict::Failed(_)))
    }
}

/// Settings of `tests --run`.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub base_url: String,
    /// Send other methods than GET and HEAD.
    pub allow_unsafe: bool,
    /// Reach loopback and private addresses even when the base URL is not
    /// on one.
    pub allow_private: bool,
}

/// Checks of a response beyond its status. Status only for now: the
/// response conformance of issue 19 (live response drift) plugs in here,
/// taking the case's operation and the body, once it exists.
pub fn response_checks(_case: &Case, _status: u16) -> Vec<String> {
    Vec::new()
}

/// Runs the cases against `options.base_url`, one after another, within
/// the target policy: the base URL's own address class is allowed (the
/// user named it), link-local and metadata addresses never.
pub fn run(suite: &Suite, options: &RunOptions) -> Result<RunReport, AppError> {
    let base = url::Url::parse(options.base_url.trim())
        .map_err(|e| AppError::usage(format!("`{}` is not a URL: {e}", options.base_url)))?;
    if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
        return Err(AppError::usage(format!(
            "`{}` is not an http(s) URL",
            options.base_url
        )));
    }
    let runtime = super::runtime()?;
    let classes = match policy::watch_classes_literal(base.as_str()) {
        Some(c) => c,
        None => {
            let host = base.host_str().unwrap_or_default().to_owned();
            let port = base.port_or_known_default().unwrap_or(443);
            let addrs = runtime
                .block_on(tokio::net::lookup_host((host.as_str(), port)))
                .map_err(|e| AppError::Failed(format!("cannot resolve {host}: {e}")))?;
            addrs.map(|a| policy::classify_ip(a.ip())).collect()
        }
    };
    let policy = Policy::for_watch(&classes, options.allow_private);
    policy.check_url(&base).map_err(AppError::Failed)?;
    let prober = Prober::new(ProbeConfig::default()).map_err(AppError::Failed)?;
    let root = options.base_url.trim().trim_end_matches('/').to_owned();
    let mut runs = Vec::new();
    for case in &suite.cases {
        let skip = |why: String| CaseRun {
            case: case.clone(),
            status: None,
            millis: None,
            verdict: Verdict::Skipped(why),
        };
        // A credential that is not set fails the case: what was asked
        // could not be done.
        let unsent = |why: String| CaseRun {
            case: case.clone(),
            status: None,
            millis: None,
            verdict: Verdict::Failed(format!("not sent: {why}")),
        };
        if !options.allow_unsafe && !matches!(case.method.as_str(), "GET" | "HEAD") {
            runs.push(skip(format!(
                "{} is not sent without --allow-unsafe",
                case.method
            )));
            continue;
        }
        let resolve = |text: &str| crate::watch::expand_env(text, |var| std::env::var(var).ok());
        let path = match resolve(&case.path_and_query()) {
            Ok(p) => p,
            Err(e) => {
                runs.push(unsent(e));
                continue;
            }
        };
        let mut headers = Vec::new();
        let mut missing = None;
        for (k, v) in &case.headers {
            match resolve(v) {
                Ok(v) => headers.push((k.clone(), v)),
                Err(e) => missing = Some(e.to_string()),
            }
        }
        if let Some(e) = missing {
            runs.push(unsent(e));
            continue;
        }
        let endpoint = Endpoint {
            id: 0,
            watch_id: 0,
            method: case.method.clone(),
            url: format!("{root}{path}"),
            path: Some(case.path.clone()),
            source: "spec".to_owned(),
            enabled: true,
            conditions: Vec::new(),
            degraded_ms: None,
            state: EndpointState::Unknown,
            consecutive_failures: 0,
            consecutive_successes: 0,
            last_checked_at: None,
            headers: Vec::new(),
            body: case.body.as_ref().map(|b| RequestBody {
                media_type: b.media_type.clone(),
                text: b.text.clone(),
            }),
        };
        let probe = runtime.block_on(prober.probe_within(&endpoint, &headers, policy));
        let record = probe.record;
        let verdict = match record.http_status {
            Some(status) => {
                let mut problems = Vec::new();
                if !case.expect.accepts(status) {
                    problems.push(format!("expected {}, got {status}", case.expect.label()));
                }
                problems.extend(response_checks(case, status));
                if problems.is_empty() {
                    Verdict::Passed
                } else {
                    Verdict::Failed(problems.join("; "))
                }
            }
            None => Verdict::Failed(
                record
                    .error
                    .clone()
                    .unwrap_or_else(|| "no answer".to_owned()),
            ),
        };
        runs.push(CaseRun {
            case: case.clone(),
            status: record.http_status,
            millis: record.latency_ms,
            verdict,
        });
    }
    Ok(RunReport {
        title: format!("{} {}", suite.title, suite.version),
        base_url: options.base_url.clone(),
        runs,
    })
}

/// `apiradar tasks A B` as asked.
#[derive(Debug, Clone, Default)]
pub struct TasksRequest {
    pub base: String,
    pub revision: String,
    pub implemented: Option<PathBuf>,
}

/// The checklist between two versions.
pub struct TaskList {
    pub base_label: String,
    pub revision_label: String,
    pub tasks: Vec<crate::generate::tasks::Task>,
    /// Findings that are not a client's task (counted, not listed).
    pub other_findings: usize,
}

pub fn tasks(store: &Store, r: &TasksRequest) -> Result<TaskList, AppError> {
    let implemented = match &r.implemented {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| AppError::usage(format!("cannot read {}: {e}", path.display())))?;
            Some(
                crate::generate::tasks::read_implemented(&text)
                    .map_err(|e| AppError::usage(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let outcome = super::diff::run(
        store,
        &super::diff::DiffRequest {
            base: r.base.clone(),
            revision: r.revision.clone(),
            kind: Some("openapi".to_owned()),
            level: Some("info".to_owned()),
            ..Default::default()
        },
    )?;
    let (tasks, other_findings) =
        crate::generate::tasks::tasks(&outcome.findings, implemented.as_ref());
    Ok(TaskList {
        base_label: outcome.base_label,
        revision_label: outcome.revision_label,
        tasks,
        other_findings,
    })
}

/// `apiradar docs` as asked.
#[derive(Debug, Clone, Default)]
pub struct DocsRequest {
    pub target: String,
    /// `markdown` or `html`.
    pub format: String,
    pub since: Option<String>,
}

/// Rendered docs.
pub struct Docs {
    pub label: String,
    /// `api.md` or `api.html`.
    pub file_name: &'static str,
    pub text: String,
    pub operations: usize,
    /// Findings since `--since`.
    pub changes: Option<usize>,
    pub millis: u128,
}

pub fn docs(store: &Store, r: &DocsRequest) -> Result<Docs, AppError> {
    let started = Instant::now();
    let loaded = load(store, &r.target)?;
    let findings = match &r.since {
        Some(since) => Some(
            super::diff::run(
                store,
                &super::diff::DiffRequest {
                    base: since.clone(),
                    revision: r.target.clone(),
                    kind: Some("openapi".to_owned()),
                    level: Some("info".to_owned()),
                    ..Default::default()
                },
            )?
            .findings,
        ),
        None => None,
    };
    let changes = findings.as_ref().map(|f| crate::generate::docs::Changes {
        since: r.since.clone().unwrap_or_default(),
        findings: f,
    });
    let (file_name, text) = match r.format.as_str() {
        "html" => (
            "api.html",
            crate::generate::docs::html(&loaded.api, changes.as_ref()),
        ),
        "markdown" | "md" => (
            "api.md",
            crate::generate::docs::markdown(&loaded.api, changes.as_ref()),
        ),
        other => {
            return Err(AppError::usage(format!(
                "unknown docs format `{other}`: use markdown or html"
            )));
        }
    };
    Ok(Docs {
        label: loaded.label,
        file_name,
        text,
        operations: loaded.api.operations.len(),
        changes: findings.map(|f| f.len()),
        millis: started.elapsed().as_millis(),
    })
}
