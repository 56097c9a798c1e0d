//! The dashboard's read model: everything the panes show comes from here,
//! loaded off the UI thread.
//!
//! A [`Loader`] owns its own connection to the store. The app sends it
//! [`Request`]s with a ticket and gets [`Loaded`] answers back on the event
//! channel; an answer whose ticket is no longer the one the app waits for
//! is dropped, so a slow load never overwrites a newer one. Tests drive a
//! `Loader` directly, without a thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::app::health::ProbingState;
use crate::app::queries::{self, RunErrors};
pub use crate::app::queries::{
    ALERT_HISTORY, AlertHistory, CACHE_RUNS, CacheRequestsView, CacheRowView, CachingView,
    HealthView, SPARK_CHECKS, Timeline, TimelineRow, WatchRow,
};
use crate::app::watches;
use crate::diff::{self, Finding};
use crate::spec::{self, NormalizeOptions};
use crate::store::{ChangeCounts, Store, Version};
use crate::tui::diffview::{Column, DiffModel, Highlighter, Lang, line_of_pointer};
use crate::watch::{Kind, Watch, WatchSpec};

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
    /// Whether probing is on for a watch and what it covers; with
    /// `discover`, the latest version's endpoints are found first.
    Probing {
        watch_id: i64,
        discover: bool,
    },
    /// The latest checks of one endpoint, newest first.
    EndpointChecks {
        endpoint_id: i64,
    },
    /// Turns probing of a watch's described endpoints on or off.
    SetProbing {
        watch_id: i64,
        on: bool,
    },
    /// The items of a json watch's version (`NAME` or `NAME@REF`), for
    /// the catalog view.
    Catalog {
        target: String,
    },
    /// One catalog item across every stored version of its watch (slow:
    /// it reads them all).
    CatalogHistory {
        watch: String,
        id: String,
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
    /// The answer to [`Request::Probing`], and whether the user asked to
    /// switch it (so the dashboard asks for confirmation).
    Probing(Result<ProbingState, String>, bool),
    /// The answer to [`Request::EndpointChecks`].
    EndpointChecks(i64, Result<Vec<crate::store::health::Check>, String>),
    Catalog(Result<crate::app::catalog::Catalog, String>),
    /// The answer to [`Request::CatalogHistory`], with the item's key.
    CatalogHistory(String, Result<crate::app::catalog::ItemHistory, String>),
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
    /// Whether a caching run had a failed request, by run id, kept
    /// between reloads.
    run_errors: RunErrors,
    /// Pairs already compared, most recently used last.
    cache: PairCache,
}

/// How many of an endpoint's latest checks its detail view shows.
pub const ENDPOINT_CHECKS: usize = 20;

/// The most memory the pairs kept for re-opening may hold, as charged by
/// [`CachedPair::bytes`]. The github-rest-api 015 → 016 pair charges
/// about 50 MiB, so several of the largest real pairs fit.
pub const PAIR_CACHE_BYTES: usize = 256 * 1024 * 1024;
/// And the most pairs, whatever their size.
pub const PAIR_CACHE_PAIRS: usize = 12;

/// A compared pair, kept so that opening it again (or switching the form
/// back) costs nothing but a lookup.
struct CachedPair {
    request: PairRequest,
    watch_name: String,
    model: Arc<DiffModel>,
    highlighter: Arc<Highlighter>,
    findings: Vec<LocatedFinding>,
    findings_error: Option<String>,
}

impl CachedPair {
    /// What the pair is charged: the model's heap (both texts, line
    /// starts, rows) and as much again for the highlighter's checkpoints
    /// and line cache, plus the findings.
    fn bytes(&self) -> usize {
        let findings: usize = self
            .findings
            .iter()
            .map(|f| {
                std::mem::size_of::<LocatedFinding>()
                    + f.finding.message.len()
                    + f.finding.fingerprint.len()
                    + f.finding.base_pointer.as_deref().map_or(0, str::len)
                    + f.finding.revision_pointer.as_deref().map_or(0, str::len)
            })
            .sum();
        2 * self.model.heap_bytes() + findings
    }
}

/// The compared pairs, least recently used first, within
/// [`PAIR_CACHE_BYTES`] and [`PAIR_CACHE_PAIRS`].
#[derive(Default)]
struct PairCache {
    pairs: Vec<CachedPair>,
}

impl PairCache {
    fn take(&mut self, request: &PairRequest) -> Option<CachedPair> {
        let at = self.pairs.iter().position(|p| &p.request == request)?;
        Some(self.pairs.remove(at))
    }

    fn put(&mut self, pair: CachedPair) {
        self.pairs.retain(|p| p.request != pair.request);
        self.pairs.push(pair);
        while self.pairs.len() > PAIR_CACHE_PAIRS
            || (self.pairs.len() > 1 && self.bytes() > PAIR_CACHE_BYTES)
        {
            self.pairs.remove(0);
        }
    }

    fn bytes(&self) -> usize {
        self.pairs.iter().map(CachedPair::bytes).sum()
    }
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
            run_errors: RunErrors::default(),
            cache: PairCache::default(),
        })
    }

    /// Pairs kept for re-opening, and the bytes they are charged.
    pub fn cached_pairs(&self) -> (usize, usize) {
        (self.cache.pairs.len(), self.cache.bytes())
    }

    /// Answers one request.
    pub fn handle(&mut self, request: Request) -> Loaded {
        match request {
            Request::Watches => {
                Loaded::Watches(queries::watch_rows(&self.store).map_err(|e| e.to_string()))
            }
            Request::Timeline { watch_id } => Loaded::Timeline(
                queries::timeline(&self.store, watch_id).map_err(|e| e.to_string()),
            ),
            Request::Pair(p) => Loaded::Pair(Box::new(self.pair(p))),
            Request::AddWatch(spec) => Loaded::Done(
                watches::add(&mut self.store, &spec, None)
                    .map(|w| format!("added {}", w.spec.name))
                    .map_err(|e| e.to_string()),
            ),
            Request::RemoveWatch(name) => Loaded::Done({
                // Its pairs go; a new watch may get its id.
                self.cache = PairCache::default();
                watches::remove(&mut self.store, &name)
                    .map(|n| {
                        format!(
                            "removed {name} and its {}",
                            crate::text::count(n, "version", "versions")
                        )
                    })
                    .map_err(|e| e.to_string())
            }),
            Request::Probing { watch_id, discover } => Loaded::Probing(
                crate::app::health::probing_state(&mut self.store, watch_id, discover)
                    .map_err(|e| e.to_string()),
                discover,
            ),
            Request::EndpointChecks { endpoint_id } => Loaded::EndpointChecks(
                endpoint_id,
                self.store
                    .checks(endpoint_id, ENDPOINT_CHECKS)
                    .map_err(|e| e.to_string()),
            ),
            Request::SetProbing { watch_id, on } => Loaded::Done(
                crate::app::health::set_probing(&mut self.store, watch_id, on)
                    .map_err(|e| e.to_string()),
            ),
            Request::Pause(name) => Loaded::Done(
                watches::pause(&mut self.store, &name, "paused from the dashboard")
                    .map(|()| format!("paused {name}"))
                    .map_err(|e| e.to_string()),
            ),
            Request::Resume(name) => Loaded::Done(
                watches::resume(&mut self.store, &name)
                    .map(|()| format!("resumed {name}"))
                    .map_err(|e| e.to_string()),
            ),
            Request::Export { pair, path } => Loaded::Done(self.export(&pair, &path)),
            Request::Health { watch_id } => {
                Loaded::Health(queries::health(&self.store, watch_id).map_err(|e| e.to_string()))
            }
            Request::Alerts => {
                Loaded::Alerts(queries::alert_history(&self.store).map_err(|e| e.to_string()))
            }
            Request::Caching => Loaded::Caching(
                queries::caching(&self.store, &mut self.run_errors).map_err(|e| e.to_string()),
            ),
            Request::CacheRequests { target, result_id } => Loaded::CacheRequests(
                queries::cache_requests(&self.store, &target, result_id).map_err(|e| e.to_string()),
            ),
            Request::Catalog { target } => Loaded::Catalog(
                crate::app::catalog::load(&self.store, &target).map_err(|e| e.to_string()),
            ),
            Request::CatalogHistory { watch, id } => {
                let started = std::time::Instant::now();
                let history = crate::app::catalog::history(&self.store, &watch, &id, None)
                    .map_err(|e| e.to_string());
                tracing::debug!(
                    watch,
                    id,
                    ms = started.elapsed().as_millis() as u64,
                    "catalog item history read"
                );
                Loaded::CatalogHistory(id, history)
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
        if let Some(cached) = self.cache.take(&p) {
            let view = self.show(cached);
            return Ok(view);
        }
        let (watch, [(left, lang, base_raw), (right, rlang, rev_raw)]) = self.texts(&p)?;
        let lang = if lang == rlang { lang } else { Lang::Text };
        // The watch's own options, as `apiradar diff NAME@A NAME@B` uses
        // them: a catalog's price paths and levels, a page's keywords and
        // the lines that change in every version.
        let mut options = diff::WatchOptions::for_watch(&watch.spec);
        if watch.spec.kind == Kind::Page {
            options.page.volatile = crate::pipeline::ingest::page_volatile(
                &self.store,
                &watch,
                p.rev_seq,
                spec::Limits::default(),
            )
            .map_err(|e| e.to_string())?;
        }
        let comparison = diff::compare_raw_with(
            watch.spec.kind,
            &base_raw,
            &rev_raw,
            &options,
            &spec::Limits::default(),
            &diff::DiffOptions::default(),
            &mut |_, _| Vec::new(),
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
        let highlighter = Arc::new(Highlighter::new(&model, &self.syntax_theme, self.color));
        Ok(self.show(CachedPair {
            request: p,
            watch_name: watch.spec.name,
            model,
            highlighter,
            findings,
            findings_error,
        }))
    }

    /// Makes `pair` the one shown: keeps it for re-opening, fills (or
    /// goes on filling) its highlighting checkpoints in the background.
    fn show(&mut self, pair: CachedPair) -> PairView {
        let model = Arc::clone(&pair.model);
        let highlighter = Arc::clone(&pair.highlighter);
        self.current = Some(Arc::clone(&model));
        let cancel = Arc::new(AtomicBool::new(false));
        self.cancel = Arc::clone(&cancel);
        if !highlighter.checkpoints_ready() {
            let (model, highlighter) = (Arc::clone(&model), Arc::clone(&highlighter));
            // Parse states for fast jumps anywhere, filled in the background
            // (from where a cancelled fill stopped).
            let spawned = std::thread::Builder::new()
                .name("apiradar-highlight".into())
                .spawn(move || highlighter.fill_checkpoints(&model, &cancel));
            if let Err(e) = spawned {
                tracing::warn!("cannot start the highlighting thread: {e}");
            }
        }
        let view = PairView {
            request: pair.request.clone(),
            watch_name: pair.watch_name.clone(),
            model,
            highlighter,
            findings: pair.findings.clone(),
            findings_error: pair.findings_error.clone(),
        };
        self.cache.put(pair);
        view
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
