//! The dashboard's read model: everything the panes show comes from here,
//! loaded off the UI thread.
//!
//! A [`Loader`] owns its own connection to the store. The app sends it
//! [`Request`]s with a ticket and gets [`Loaded`] answers back on the event
//! channel; an answer whose ticket is no longer the one the app waits for
//! is dropped, so a slow load never overwrites a newer one. Tests drive a
//! `Loader` directly, without a thread.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::caching::suite::{RELIABILITY_RUNS, reliability};
use crate::diff::{self, Finding};
use crate::spec::{self, NormalizeOptions};
use crate::store::caching::{CacheRequestRow, CacheRun, CacheTarget, ModelState};
use crate::store::health::{Endpoint, EndpointStats};
use crate::store::{ChangeCounts, Run, Store, Version};
use crate::tui::diffview::{Column, DiffModel, Highlighter, Lang, line_of_pointer};
use crate::watch::{Kind, Watch, WatchSpec};

/// How many recent polls the timeline looks at for failures.
const RECENT_RUNS: usize = 200;

/// What the app asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    /// Every watch with its latest version.
    Watches,
    /// The versions and recent failed polls of a watch.
    Timeline {
        watch_id: i64,
    },
    /// Two versions of a watch side by side, with the findings between them.
    Pair(PairRequest),
    /// Changes to the watch list.
    AddWatch(WatchSpec),
    RemoveWatch(String),
    Pause(String),
    Resume(String),
    /// Writes the findings of a pair as Markdown to a file.
    Export {
        pair: PairRequest,
        path: PathBuf,
    },
    /// The endpoints of a watch with their health figures.
    Health {
        watch_id: i64,
    },
    /// The latest alerts of every channel, for the alert history.
    Alerts,
    /// Every caching target × model with its recent runs.
    Caching,
    /// The requests of one stored caching test, with `curl` commands that
    /// repeat them.
    CacheRequests {
        target: String,
        result_id: i64,
    },
    /// The lines finding `index` of the pair last loaded points at.
    Locate {
        index: usize,
        base_pointer: Option<String>,
        rev_pointer: Option<String>,
    },
}

/// Which two versions to show, and in which form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRequest {
    pub watch_id: i64,
    pub base_seq: i64,
    pub rev_seq: i64,
    /// The canonical form (stable, diffable) or the bytes as published.
    pub published: bool,
}

/// One row of the watch list.
#[derive(Debug, Clone)]
pub struct WatchRow {
    pub watch: Watch,
    pub latest: Option<Version>,
}

/// One row of a timeline, newest first.
#[derive(Debug, Clone)]
pub enum TimelineRow {
    Version(Box<Version>),
    /// A poll that failed.
    Failure(Run),
}

/// A loaded timeline.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub watch_id: i64,
    pub rows: Vec<TimelineRow>,
}

/// A loaded pair: the aligned texts, their highlighter and the findings.
pub struct PairView {
    pub request: PairRequest,
    pub watch_name: String,
    pub model: Arc<DiffModel>,
    pub highlighter: Arc<Highlighter>,
    pub findings: Vec<LocatedFinding>,
    /// Why the findings could not be computed (a document that no longer
    /// parses, say); the text diff is still shown.
    pub findings_error: Option<String>,
}

/// A finding with the lines its pointers land on, once located. Finding
/// a pointer's line scans the text, so it is done when a finding is
/// chosen, not for all of them up front (GitHub's 015 → 016 has 1 400).
#[derive(Debug, Clone)]
pub struct LocatedFinding {
    pub finding: Finding,
    /// `None` until located.
    pub lines: Option<Lines>,
}

/// Where a finding is on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Lines {
    pub base: Option<usize>,
    pub rev: Option<usize>,
}

/// One side of a pair: its text as shown, its language, and the bytes its
/// findings are computed from.
type Document = (String, Lang, Vec<u8>);

/// An answer.
pub enum Loaded {
    Watches(Result<Vec<WatchRow>, String>),
    Timeline(Result<Timeline, String>),
    Pair(Box<Result<PairView, String>>),
    /// The outcome of a change, as a line for the status bar.
    Done(Result<String, String>),
    /// Where a finding is (see [`Request::Locate`]).
    Located {
        index: usize,
        lines: Lines,
    },
    Health(Result<HealthView, String>),
    Alerts(Result<AlertHistory, String>),
    Caching(Result<CachingView, String>),
    CacheRequests(Result<CacheRequestsView, String>),
}

/// How many of the latest alerts the history loads: enough to scroll back
/// days of a busy setup, bounded so a years-old outbox costs the same.
pub const ALERT_HISTORY: usize = 500;

/// The alert history: the latest outbox rows, newest first.
#[derive(Debug, Clone, Default)]
pub struct AlertHistory {
    pub rows: Vec<crate::store::alerts::Outbox>,
    /// The channels' names, so an empty history can say whether any exist.
    pub channels: Vec<String>,
    /// Whether older alerts exist beyond [`ALERT_HISTORY`].
    pub truncated: bool,
    /// Each alert's delivery attempts, oldest first (alerts not tried yet
    /// have none).
    pub attempts: std::collections::HashMap<i64, Vec<crate::store::alerts::Attempt>>,
}

/// How many recent checks the health pane's sparklines show.
pub const SPARK_CHECKS: usize = 30;

/// The endpoints of a watch, each with its figures.
#[derive(Debug, Clone)]
pub struct HealthView {
    pub watch_id: i64,
    pub rows: Vec<(Endpoint, EndpointStats)>,
    /// The watch's latest alerts, newest first.
    pub alerts: Vec<crate::store::alerts::Outbox>,
}

/// How many recent runs of a model the caching pane loads (its hit-rate
/// sparklines show up to this many).
pub const CACHE_RUNS: usize = 30;

/// One model of one caching target, with its recent runs.
#[derive(Debug, Clone)]
pub struct CacheRowView {
    pub target: CacheTarget,
    pub model: String,
    /// Newest first, at most [`CACHE_RUNS`], each with its test results.
    pub runs: Vec<CacheRun>,
    pub state: ModelState,
    /// Share of decided tests that passed over the last
    /// [`RELIABILITY_RUNS`] runs, 0–100.
    pub reliability: Option<u8>,
    /// The runs (by id) in which a request failed: the store counts them
    /// as failed runs even though their tests could only be inconclusive.
    pub errored: Vec<i64>,
}

/// Everything the caching pane lists.
#[derive(Debug, Clone, Default)]
pub struct CachingView {
    /// By target name, then in the target's model order.
    pub rows: Vec<CacheRowView>,
    /// How many targets exist (some may have no model to list).
    pub targets: usize,
}

/// The requests one caching test sent.
#[derive(Debug, Clone)]
pub struct CacheRequestsView {
    pub result_id: i64,
    pub rows: Vec<CacheRequestRow>,
    /// For each request, a `curl` command that sends it again; the key is
    /// named as `$VAR`, never written out.
    pub curls: Vec<String>,
}

/// Reads (and for the few commands that change things, writes) the store.
pub struct Loader {
    store: Store,
    syntax_theme: String,
    color: crate::tui::diffview::ColorDepth,
    /// Stops the checkpoint filling of the previous pair.
    cancel: Arc<AtomicBool>,
    /// The pair last loaded, for locating its findings.
    current: Option<Arc<DiffModel>>,
    /// Whether a caching run had a failed request, by run id. A recorded
    /// run never changes, so each is looked up once, not on every reload.
    run_errors: HashMap<i64, bool>,
}

impl Loader {
    pub fn open(
        db: &Path,
        syntax_theme: &str,
        color: crate::tui::diffview::ColorDepth,
    ) -> Result<Loader, String> {
        let store = Store::open(db).map_err(|e| e.to_string())?;
        Ok(Loader {
            store,
            syntax_theme: syntax_theme.to_string(),
            color,
            cancel: Arc::new(AtomicBool::new(false)),
            current: None,
            run_errors: HashMap::new(),
        })
    }

    /// Answers one request.
    pub fn handle(&mut self, request: Request) -> Loaded {
        match request {
            Request::Watches => Loaded::Watches(self.watches()),
            Request::Timeline { watch_id } => Loaded::Timeline(self.timeline(watch_id)),
            Request::Pair(p) => Loaded::Pair(Box::new(self.pair(p))),
            Request::AddWatch(spec) => Loaded::Done(
                spec.validate()
                    .map_err(|e| e.to_string())
                    .and_then(|()| {
                        self.store
                            .add_watch(&spec, false)
                            .map_err(|e| e.to_string())
                    })
                    .map(|w| format!("added {}", w.spec.name)),
            ),
            Request::RemoveWatch(name) => Loaded::Done(
                self.store
                    .remove_watch(&name)
                    .map(|n| format!("removed {name} and its {n} versions"))
                    .map_err(|e| e.to_string()),
            ),
            Request::Pause(name) => Loaded::Done(
                self.store
                    .pause_watch(&name, "paused from the dashboard")
                    .map(|_| format!("paused {name}"))
                    .map_err(|e| e.to_string()),
            ),
            Request::Resume(name) => Loaded::Done(
                self.store
                    .resume_watch(&name)
                    .map(|_| format!("resumed {name}"))
                    .map_err(|e| e.to_string()),
            ),
            Request::Export { pair, path } => Loaded::Done(self.export(&pair, &path)),
            Request::Health { watch_id } => Loaded::Health(self.health(watch_id)),
            Request::Alerts => Loaded::Alerts(self.alerts()),
            Request::Caching => Loaded::Caching(self.caching()),
            Request::CacheRequests { target, result_id } => {
                Loaded::CacheRequests(self.cache_requests(&target, result_id))
            }
            Request::Locate {
                index,
                base_pointer,
                rev_pointer,
            } => {
                let lines = match &self.current {
                    Some(model) => {
                        let locate = |side, ptr: Option<String>| {
                            ptr.and_then(|p| line_of_pointer(model.text(side), model.lang(), &p))
                        };
                        Lines {
                            base: locate(Column::Left, base_pointer),
                            rev: locate(Column::Right, rev_pointer),
                        }
                    }
                    None => Lines::default(),
                };
                Loaded::Located { index, lines }
            }
        }
    }

    fn watches(&self) -> Result<Vec<WatchRow>, String> {
        let watches = self.store.list_watches().map_err(|e| e.to_string())?;
        watches
            .into_iter()
            .map(|watch| {
                let latest = self
                    .store
                    .latest_version(watch.id)
                    .map_err(|e| e.to_string())?;
                Ok(WatchRow { watch, latest })
            })
            .collect()
    }

    fn alerts(&self) -> Result<AlertHistory, String> {
        // One row more than shown tells whether there are older ones.
        let mut rows = self
            .store
            .alert_history(ALERT_HISTORY + 1)
            .map_err(|e| e.to_string())?;
        let truncated = rows.len() > ALERT_HISTORY;
        rows.truncate(ALERT_HISTORY);
        let channels = self
            .store
            .channels()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|c| c.name)
            .collect();
        let ids: Vec<i64> = rows.iter().map(|o| o.id).collect();
        let attempts = self.store.attempts_of(&ids).map_err(|e| e.to_string())?;
        Ok(AlertHistory {
            rows,
            channels,
            truncated,
            attempts,
        })
    }

    fn caching(&mut self) -> Result<CachingView, String> {
        let err = |e: crate::store::StoreError| e.to_string();
        let targets = self.store.cache_targets().map_err(err)?;
        let mut view = CachingView {
            rows: Vec::new(),
            targets: targets.len(),
        };
        for target in targets {
            let mut models = target.models.clone();
            if models.is_empty() {
                // A target whose model list was emptied keeps its history.
                for run in self
                    .store
                    .cache_runs(&target.name, None, CACHE_RUNS)
                    .map_err(err)?
                {
                    if !models.contains(&run.model) {
                        models.push(run.model);
                    }
                }
            }
            for model in models {
                let runs = self
                    .store
                    .cache_runs(&target.name, Some(&model), CACHE_RUNS)
                    .map_err(err)?;
                let reliability = reliability(
                    runs.iter()
                        .take(RELIABILITY_RUNS)
                        .flat_map(|r| r.results.iter().map(|x| x.verdict)),
                );
                let state = self.store.model_state(target.id, &model).map_err(err)?;
                let mut errored = Vec::new();
                for run in &runs {
                    if self.run_errored(run).map_err(err)? {
                        errored.push(run.id);
                    }
                }
                view.rows.push(CacheRowView {
                    target: target.clone(),
                    model,
                    runs,
                    state,
                    reliability,
                    errored,
                });
            }
        }
        Ok(view)
    }

    /// Whether a request of `run` failed. Only its inconclusive tests can
    /// hold one (a failed request leaves a test nothing to decide).
    fn run_errored(&mut self, run: &CacheRun) -> Result<bool, crate::store::StoreError> {
        if let Some(&known) = self.run_errors.get(&run.id) {
            return Ok(known);
        }
        let mut errored = false;
        for result in run
            .results
            .iter()
            .filter(|r| r.verdict == crate::store::caching::Verdict::Inconclusive)
        {
            if self
                .store
                .cache_requests(result.id)?
                .iter()
                .any(|q| q.error.is_some())
            {
                errored = true;
                break;
            }
        }
        self.run_errors.insert(run.id, errored);
        Ok(errored)
    }

    fn cache_requests(&self, target: &str, result_id: i64) -> Result<CacheRequestsView, String> {
        let target = self.store.cache_target(target).map_err(|e| e.to_string())?;
        let endpoint = crate::caching::endpoint_of(&target);
        let rows = self
            .store
            .cache_requests(result_id)
            .map_err(|e| e.to_string())?;
        let curls = rows
            .iter()
            .map(|r| crate::caching::client::curl(&endpoint, &r.request))
            .collect();
        Ok(CacheRequestsView {
            result_id,
            rows,
            curls,
        })
    }

    fn health(&self, watch_id: i64) -> Result<HealthView, String> {
        let now = crate::store::now_ms();
        let endpoints = self.store.endpoints(watch_id).map_err(|e| e.to_string())?;
        let rows = endpoints
            .into_iter()
            .map(|e| {
                let stats = self
                    .store
                    .endpoint_stats(e.id, now, SPARK_CHECKS)
                    .map_err(|e| e.to_string())?;
                Ok((e, stats))
            })
            .collect::<Result<_, String>>()?;
        let alerts = match self
            .store
            .watch_by_id(watch_id)
            .map_err(|e| e.to_string())?
        {
            Some(w) => self
                .store
                .watch_alerts(&w.spec.name, 8)
                .map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        Ok(HealthView {
            watch_id,
            rows,
            alerts,
        })
    }

    fn timeline(&self, watch_id: i64) -> Result<Timeline, String> {
        let versions = self.store.versions(watch_id).map_err(|e| e.to_string())?;
        let runs = self
            .store
            .runs(watch_id, RECENT_RUNS)
            .map_err(|e| e.to_string())?;
        let mut rows: Vec<(i64, TimelineRow)> = versions
            .into_iter()
            .map(|v| (v.fetched_at, TimelineRow::Version(Box::new(v))))
            .collect();
        rows.extend(
            runs.into_iter()
                .filter(|r| r.outcome == "failed")
                .map(|r| (r.started_at, TimelineRow::Failure(r))),
        );
        // Newest first; a version and a failure at the same instant keep
        // the version on top.
        rows.sort_by(|a, b| {
            b.0.cmp(&a.0).then_with(|| {
                matches!(a.1, TimelineRow::Failure(_)).cmp(&matches!(b.1, TimelineRow::Failure(_)))
            })
        });
        Ok(Timeline {
            watch_id,
            rows: rows.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// The two documents of a pair as text, with their language.
    fn texts(&self, p: &PairRequest) -> Result<(Watch, [Document; 2]), String> {
        let watch = self
            .store
            .watch_by_id(p.watch_id)
            .map_err(|e| e.to_string())?
            .ok_or("the watch is gone")?;
        let side = |seq: i64| -> Result<Document, String> {
            let version = self.store.version(&watch, seq).map_err(|e| e.to_string())?;
            let raw = self
                .store
                .read_blob(version.blob_id)
                .map_err(|e| e.to_string())?;
            // The bytes the findings come from: the canonical form when there
            // is one (JSON parses many times faster than the YAML it may come
            // from, and means the same), else the document as stored.
            let (text, lang, compared) = if p.published {
                let lang = match (watch.spec.kind, version.format.as_str()) {
                    (Kind::Page, _) | (_, "html" | "text") => Lang::Text,
                    (_, "yaml") => Lang::Yaml,
                    _ => Lang::Json,
                };
                (String::from_utf8_lossy(&raw).into_owned(), lang, raw)
            } else {
                let opts = NormalizeOptions {
                    item_key: watch.spec.item_key.as_deref(),
                    ..NormalizeOptions::default()
                };
                let lang = if watch.spec.kind == Kind::Page {
                    Lang::Text
                } else {
                    Lang::Json
                };
                match spec::normalize(watch.spec.kind, &raw, &opts) {
                    Ok(n) if watch.spec.kind != Kind::Page => (
                        String::from_utf8_lossy(&n.canonical).into_owned(),
                        lang,
                        n.canonical,
                    ),
                    Ok(n) => (
                        String::from_utf8_lossy(&n.canonical).into_owned(),
                        lang,
                        raw,
                    ),
                    // Stored bytes that no longer normalize are shown as they are.
                    Err(_) => (String::from_utf8_lossy(&raw).into_owned(), Lang::Text, raw),
                }
            };
            Ok((text, lang, compared))
        };
        let base = side(p.base_seq)?;
        let rev = side(p.rev_seq)?;
        Ok((watch, [base, rev]))
    }

    fn pair(&mut self, p: PairRequest) -> Result<PairView, String> {
        // Whatever the previous pair was still highlighting is moot.
        self.cancel.store(true, Ordering::Relaxed);
        let (watch, [(left, lang, base_raw), (right, rlang, rev_raw)]) = self.texts(&p)?;
        let lang = if lang == rlang { lang } else { Lang::Text };
        let comparison = diff::compare_raw(
            watch.spec.kind,
            &base_raw,
            &rev_raw,
            watch.spec.item_key.as_deref(),
            &spec::Limits::default(),
        );
        let (mut found, findings_error) = match comparison {
            Ok(c) => (c.findings, None),
            Err((side, e)) => (
                Vec::new(),
                Some(format!(
                    "{} cannot be compared: {e}",
                    match side {
                        diff::Side::Base => "the older version",
                        diff::Side::Revision => "the newer version",
                    }
                )),
            ),
        };
        // Most serious first, then as the engine ordered them.
        found.sort_by_key(|f| std::cmp::Reverse(f.level));
        let model = DiffModel::build(left, right, lang);
        let findings = found
            .into_iter()
            .map(|finding| LocatedFinding {
                finding,
                lines: None,
            })
            .collect();
        let model = Arc::new(model);
        self.current = Some(Arc::clone(&model));
        let highlighter = Arc::new(Highlighter::new(&model, &self.syntax_theme, self.color));
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Arc::clone(&cancel);
        {
            let (model, highlighter) = (Arc::clone(&model), Arc::clone(&highlighter));
            // Parse states for fast jumps anywhere, filled in the background.
            let spawned = std::thread::Builder::new()
                .name("apiradar-highlight".into())
                .spawn(move || highlighter.fill_checkpoints(&model, &cancel));
            if let Err(e) = spawned {
                tracing::warn!("cannot start the highlighting thread: {e}");
            }
        }
        Ok(PairView {
            request: p,
            watch_name: watch.spec.name,
            model,
            highlighter,
            findings,
            findings_error,
        })
    }

    fn export(&self, p: &PairRequest, path: &Path) -> Result<String, String> {
        let (watch, [(_, _, base), (_, _, rev)]) = self.texts(p)?;
        let comparison = diff::compare_raw(
            watch.spec.kind,
            &base,
            &rev,
            watch.spec.item_key.as_deref(),
            &spec::Limits::default(),
        )
        .map_err(|(_, e)| e.to_string())?;
        let name = &watch.spec.name;
        let text = crate::report::findings_markdown(
            &format!("{name}@{}", p.base_seq),
            &format!("{name}@{}", p.rev_seq),
            &comparison.findings,
        );
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(format!(
            "wrote {} findings to {}",
            comparison.findings.len(),
            path.display()
        ))
    }
}

impl Drop for Loader {
    /// Highlighting the last pair is of no use to anyone any more.
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// The counts of a version as `[errors, warnings, infos]`, if compared.
pub fn counts(v: &Version) -> Option<[i64; 3]> {
    v.counts
        .as_ref()
        .map(|c: &ChangeCounts| [c.errors, c.warnings, c.infos])
}
