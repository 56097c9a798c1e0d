//! Pane 5: prompt-caching tests.
//!
//! One row per target and model: a sparkline of the hit rate over the
//! recent runs, the latest hit rate, a reliability score, the latest run's
//! verdict per test, the model's standing and when it last ran. Below the
//! list, the selected row's latest run test by test. Enter (or `l`) moves
//! into those tests; Enter on a test (or `c`) shows the requests it sent and
//! a `curl` command that sends one again, with the key left as `$VAR`.
//!
//! The rows come from the loader ([`Request::Caching`]); the app reloads
//! them when the pane gets the focus, when a scheduled suite finishes and
//! every few seconds while the pane is on screen. Anything measured on a
//! simulated provider says so wherever it shows.
//!
//! [`Request::Caching`]: crate::tui::data::Request::Caching

use crate::text::thousands;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{DrawCx, Msg, PaneId, block};
use crate::caching::standing::{Severity, Standing};
use crate::caching::suite::{TestKind, Verdict};
use crate::diff::Level;
use crate::store::caching::{CacheResultRow, CacheRun};
use crate::store::caching::{RunProgress, Step};
use crate::tui::data::{CACHE_RUNS, CacheRequestsView, CacheRowView, CachingView};
use crate::tui::keymap::Action;
use crate::tui::theme::{Theme, WatchStatus};
use crate::tui::util::{ago, fit, list_move, span};

/// What the pane's movement keys move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Focus {
    /// The target × model rows.
    #[default]
    List,
    /// The tests of the selected row's latest run.
    Tests,
    /// The requests of one test.
    Requests,
}

/// The requests of one test, as shown over the pane.
struct RequestsState {
    target: String,
    model: String,
    test: TestKind,
    verdict: Verdict,
    summary: String,
    simulated: bool,
    result_id: i64,
    view: Option<CacheRequestsView>,
    error: Option<String>,
    selected: usize,
    /// Rows of the `curl` text scrolled past, and the most there can be
    /// (as last drawn).
    scroll: usize,
    scroll_max: usize,
    table: TableState,
}

#[derive(Default)]
pub struct CachingPane {
    /// `None` until the first answer arrives.
    view: Option<CachingView>,
    pub error: Option<String>,
    /// A load is on its way.
    pub loading: bool,
    /// Something changed while a load was on its way: load again once it
    /// is answered.
    pub stale: bool,
    /// When the last load was asked for (the app's clock, ms).
    pub asked_at: i64,
    selected: usize,
    /// The selected row's target and model, so a reload keeps it.
    selected_key: Option<(String, String)>,
    focus: Focus,
    /// The test selected, in display order.
    test: usize,
    /// A line about the last run-now (a model it skipped), shown until
    /// the next one.
    notice: Option<String>,
    requests: Option<RequestsState>,
    table: TableState,
    tests_table: TableState,
    /// A run-now waiting for the user's yes.
    confirm: Option<Confirm>,
    /// Runs asked for that have not reported yet: (target, models; empty
    /// for all).
    queued: Vec<(String, Vec<String>)>,
    /// The suite running now, as its progress says.
    live: Option<Live>,
}

/// A run-now the user is asked to confirm, with what it will spend.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub target: String,
    /// The models to run (every one of the target's when it is all).
    pub models: Vec<String>,
    /// Whether that is all of the target's.
    all: bool,
    pub tests: Vec<TestKind>,
    /// About how many tokens the run will spend, all models together.
    pub tokens: i64,
    /// Dollars at the profile's input price.
    usd: f64,
    /// The daily budget and the tokens spent today, when there is one.
    budget: Option<(i64, i64)>,
    /// The provider's balance is checked before it starts.
    balance: bool,
    /// The models resting, with their standing: run anyway.
    resting: Vec<String>,
    /// The TTL test's longest wait.
    longest_wait: Option<u64>,
    simulated: bool,
}

/// A suite running now.
#[derive(Debug, Clone, PartialEq)]
struct Live {
    target: String,
    model: String,
    model_index: usize,
    models: usize,
    tests: Vec<TestKind>,
    /// Verdicts and summaries of the tests done, by index.
    done: Vec<Option<(Verdict, String)>>,
    current: Option<usize>,
    /// The TTL ladder's rung waited for: (rung, rungs, delay, probe at ms).
    waiting: Option<(usize, usize, u64, i64)>,
}

// ---- what a row says ----

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A hit rate (0–1) as one of eight bars, on a fixed scale so that the
/// same height always means the same rate.
fn bar(rate: f64) -> char {
    let i = (rate.clamp(0.0, 1.0) * 7.0).round() as usize;
    BARS[i.min(7)]
}

/// Whether the run failed: a test failed, or a request did (which leaves
/// its tests inconclusive, but is a failed run all the same).
fn run_failed(row: &CacheRowView, run: &CacheRun) -> bool {
    row.errored.contains(&run.id) || run.results.iter().any(|r| r.verdict == Verdict::Fail)
}

/// Points oldest → newest as bars: `·` where nothing was measured, and the
/// failed ones in the error style rather than as a fake height.
fn sparkline(points: &[(Option<f64>, bool)], theme: &Theme) -> Line<'static> {
    Line::from(
        points
            .iter()
            .map(|&(rate, failed)| {
                let style = if failed {
                    theme.sparkline_bad()
                } else {
                    theme.sparkline()
                };
                match rate {
                    Some(r) => Span::styled(bar(r).to_string(), style),
                    None if failed => Span::styled("·", style),
                    None => Span::styled("·", theme.dim()),
                }
            })
            .collect::<Vec<_>>(),
    )
}

/// The runs' hit rates for a sparkline `width` wide, oldest first.
fn run_points(row: &CacheRowView, width: usize) -> Vec<(Option<f64>, bool)> {
    row.runs
        .iter()
        .take(width)
        .rev()
        .map(|r| (r.hit_rate, run_failed(row, r)))
        .collect()
}

/// One test's hit rates over the runs that ran it, oldest first; failed
/// where the test failed or a request of its run did.
fn test_points(row: &CacheRowView, test: TestKind, width: usize) -> Vec<(Option<f64>, bool)> {
    let mut points: Vec<(Option<f64>, bool)> = row
        .runs
        .iter()
        .filter_map(|r| Some((r, r.results.iter().find(|x| x.test == test)?)))
        .take(width)
        .map(|(r, x)| {
            let failed = x.verdict == Verdict::Fail
                || (x.verdict == Verdict::Inconclusive && row.errored.contains(&r.id));
            (x.hit_rate, failed)
        })
        .collect();
    points.reverse();
    points
}

fn verdict_glyph(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✓",
        Verdict::Fail => "✗",
        Verdict::Inconclusive => "?",
    }
}

fn verdict_style(verdict: Verdict, theme: &Theme) -> Style {
    match verdict {
        Verdict::Pass => theme.status(WatchStatus::Ok),
        Verdict::Fail => theme.level(Level::Error),
        Verdict::Inconclusive => theme.level(Level::Warning),
    }
}

/// How "simulated" is marked: a caution, not an error.
fn sim_style(theme: &Theme) -> Style {
    theme.level(Level::Warning)
}

/// The results of a run in the suite's order.
fn ordered(run: &CacheRun) -> Vec<&CacheResultRow> {
    let mut results: Vec<&CacheResultRow> = run.results.iter().collect();
    results.sort_by_key(|r| {
        TestKind::ALL
            .iter()
            .position(|k| *k == r.test)
            .unwrap_or(TestKind::ALL.len())
    });
    results
}

/// The latest run's verdicts, one glyph per test in suite order (`-` for
/// a test it did not run).
fn verdicts(run: Option<&CacheRun>, theme: &Theme) -> Line<'static> {
    let Some(run) = run else {
        return Line::default();
    };
    Line::from(
        TestKind::ALL
            .iter()
            .map(|t| match run.results.iter().find(|r| r.test == *t) {
                Some(r) => Span::styled(verdict_glyph(r.verdict), verdict_style(r.verdict, theme)),
                None => Span::styled("-", theme.dim()),
            })
            .collect::<Vec<_>>(),
    )
}

fn percent(rate: Option<f64>) -> String {
    rate.map_or("–".into(), |r| {
        format!("{:.0}%", r.clamp(0.0, 1.0) * 100.0)
    })
}

fn dollars(usd: f64) -> String {
    if usd >= 1.0 {
        format!("${usd:.2}")
    } else {
        format!("${usd:.4}")
    }
}

fn latency(cold: Option<i64>, warm: Option<i64>) -> String {
    match (cold, warm) {
        (Some(c), Some(w)) => format!("{c}→{w} ms"),
        (Some(c), None) => format!("{c} ms cold"),
        (None, Some(w)) => format!("{w} ms warm"),
        (None, None) => "–".into(),
    }
}

/// Where a row's model stands: the same words as `cache list` and
/// `cache-test` ([`crate::caching::standing`]).
fn standing_of(row: &CacheRowView, now: i64) -> Standing {
    crate::caching::standing::standing(row.target.paused, !row.runs.is_empty(), &row.state, now)
}

/// The model's standing as the state column shows it.
fn state(row: &CacheRowView, now: i64, long: bool, theme: &Theme) -> (String, Style) {
    let st = standing_of(row, now);
    let text = if long { st.text(now) } else { st.short() };
    let style = match st {
        Standing::Paused => theme.status(WatchStatus::Paused),
        Standing::NeverRun => theme.status(WatchStatus::Pending),
        Standing::Ok => theme.status(WatchStatus::Ok),
        Standing::Resting { .. } => theme.status(WatchStatus::Failing),
        Standing::Failed { .. } | Standing::Recovering { .. } => theme.level(Level::Warning),
    };
    (text, style)
}

fn reliability_style(score: Option<u8>, theme: &Theme) -> Style {
    match score {
        Some(s) if s >= 90 => theme.status(WatchStatus::Ok),
        Some(s) if s >= 60 => theme.level(Level::Warning),
        Some(_) => theme.level(Level::Error),
        None => theme.dim(),
    }
}

/// Whether anything on the row was measured on a simulated provider.
fn simulated(row: &CacheRowView) -> bool {
    row.target.settings.simulated || row.runs.iter().any(|r| r.simulated)
}

// ---- which columns fit ----

/// The list's columns at one width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cols {
    /// Target and model in columns of their own (else `target · model`).
    split: bool,
    /// A `simulated` column (else a `sim` tag in front of the name).
    sim_column: bool,
    /// The narrowest the sparkline may be at this level.
    spark: u16,
    reliability: bool,
    tests: bool,
    /// The state column: `Some(true)` spelled out, `Some(false)` short.
    state: Option<bool>,
    last: bool,
}

/// From the richest list to the barest; the first that fits is used.
const LEVELS: [Cols; 9] = [
    Cols {
        split: true,
        sim_column: true,
        spark: 30,
        reliability: true,
        tests: true,
        state: Some(true),
        last: true,
    },
    Cols {
        split: true,
        sim_column: true,
        spark: 16,
        reliability: true,
        tests: true,
        state: Some(true),
        last: true,
    },
    Cols {
        split: true,
        sim_column: true,
        spark: 12,
        reliability: true,
        tests: true,
        state: Some(true),
        last: false,
    },
    Cols {
        split: true,
        sim_column: true,
        spark: 10,
        reliability: true,
        tests: true,
        state: Some(false),
        last: false,
    },
    Cols {
        split: true,
        sim_column: false,
        spark: 10,
        reliability: true,
        tests: true,
        state: Some(false),
        last: false,
    },
    Cols {
        split: false,
        sim_column: false,
        spark: 10,
        reliability: true,
        tests: true,
        state: Some(false),
        last: false,
    },
    Cols {
        split: false,
        sim_column: false,
        spark: 8,
        reliability: false,
        tests: false,
        state: Some(false),
        last: false,
    },
    Cols {
        split: false,
        sim_column: false,
        spark: 8,
        reliability: false,
        tests: false,
        state: None,
        last: false,
    },
    Cols {
        split: false,
        sim_column: false,
        spark: 4,
        reliability: false,
        tests: false,
        state: None,
        last: false,
    },
];

const SIM_WIDTH: u16 = 9;
const HIT_WIDTH: u16 = 4;
const STATE_LONG: u16 = 25;
const STATE_SHORT: u16 = 9;
const LAST_WIDTH: u16 = 8;
const TESTS_WIDTH: u16 = TestKind::ALL.len() as u16;

impl Cols {
    /// The fixed columns' widths (the name columns apart), spacing included.
    fn fixed(&self, target_w: u16, spark: u16) -> u16 {
        let mut widths = vec![spark, HIT_WIDTH];
        if self.split {
            widths.push(target_w);
        }
        if self.sim_column {
            widths.push(SIM_WIDTH);
        }
        if self.reliability {
            widths.push(3);
        }
        if self.tests {
            widths.push(TESTS_WIDTH);
        }
        match self.state {
            Some(true) => widths.push(STATE_LONG),
            Some(false) => widths.push(STATE_SHORT),
            None => {}
        }
        if self.last {
            widths.push(LAST_WIDTH);
        }
        // One space between each, the name column included.
        widths.iter().sum::<u16>() + widths.len() as u16
    }

    /// The narrowest the model column (or `target · model`) may get.
    fn name_min(&self) -> u16 {
        if self.split { 12 } else { 16 }
    }

    fn for_width(width: u16, target_w: u16) -> Cols {
        LEVELS
            .iter()
            .copied()
            .find(|c| c.fixed(target_w, c.spark) + c.name_min() <= width)
            .unwrap_or(LEVELS[LEVELS.len() - 1])
    }

    /// The richest columns that leave the names whole (`model_w`: the
    /// longest model with its tag; target names in front of it when not
    /// split), else those of [`Cols::for_width`]: names are cut only
    /// when no level has room for them.
    fn for_names(width: u16, target_w: u16, model_w: u16) -> Cols {
        let need = |c: &Cols| {
            if c.split {
                model_w.max(c.name_min())
            } else {
                (model_w + target_w + 3).max(c.name_min())
            }
        };
        LEVELS
            .iter()
            .copied()
            .find(|c| c.fixed(target_w, c.spark) + need(c) <= width)
            .unwrap_or_else(|| Cols::for_width(width, target_w))
    }
}

impl CachingPane {
    pub fn focus(&self) -> Focus {
        self.focus
    }

    /// The run-now waiting for confirmation, if any.
    pub fn confirming(&self) -> Option<&Confirm> {
        self.confirm.as_ref()
    }

    /// Asks to confirm a run of `target`'s `models` (all of its models
    /// when empty) now: what it will spend, and which resting models it
    /// runs anyway. The pane must show the target; an unknown one is an
    /// error for the status bar.
    pub fn ask_run_now(&mut self, target: &str, models: &[String], now: i64) -> Vec<Msg> {
        let rows: Vec<&CacheRowView> = self
            .rows()
            .iter()
            .filter(|r| r.target.name == target)
            .collect();
        let Some(first) = rows.first() else {
            let known: Vec<String> =
                self.rows()
                    .iter()
                    .map(|r| r.target.name.clone())
                    .fold(Vec::new(), |mut v, n| {
                        if !v.contains(&n) {
                            v.push(n);
                        }
                        v
                    });
            let known = if known.is_empty() {
                "there are none yet: apiradar cache add".to_string()
            } else {
                format!("known: {}", known.join(", "))
            };
            return vec![Msg::Status(
                format!("no caching target `{target}` ({known})"),
                true,
            )];
        };
        let t = &first.target;
        if let Some(m) = models.iter().find(|m| !t.models.contains(m)) {
            return vec![Msg::Status(
                format!(
                    "`{m}` is not a model of caching target `{target}` (it tests {})",
                    t.models.join(", ")
                ),
                true,
            )];
        }
        let all = models.is_empty() || t.models.iter().all(|m| models.contains(m));
        let chosen: Vec<String> = if models.is_empty() {
            t.models.clone()
        } else {
            models.to_vec()
        };
        if chosen.is_empty() {
            return vec![Msg::Status(
                format!("caching target `{target}` has no models to test"),
                true,
            )];
        }
        let config = crate::caching::suite_config(t, None);
        let profile = crate::caching::profile::resolved(t);
        let per_model = crate::caching::suite::estimate(&config, profile.min_tokens);
        let tokens = per_model * chosen.len() as i64;
        let resting = rows
            .iter()
            .filter(|r| chosen.contains(&r.model))
            .filter_map(|r| {
                let st = standing_of(r, now);
                matches!(st, Standing::Resting { .. })
                    .then(|| format!("{} {}", r.model, st.text(now)))
            })
            .collect();
        self.confirm = Some(Confirm {
            target: target.to_owned(),
            models: chosen,
            all,
            tests: config.tests.clone(),
            tokens,
            usd: tokens as f64 * profile.price_input / 1e6,
            budget: t.settings.daily_budget.map(|b| (b, first.tokens_today)),
            balance: profile.balance.is_some(),
            resting,
            longest_wait: config
                .tests
                .contains(&TestKind::Ttl)
                .then(|| config.ttl_ladder.iter().map(|d| d.as_secs()).max())
                .flatten(),
            simulated: t.settings.simulated,
        });
        Vec::new()
    }

    /// Follows a running suite; `true` when a model's run ended (its
    /// results are in the store: reload).
    pub fn on_progress(&mut self, p: RunProgress, now: i64) -> bool {
        self.queued.retain(|(t, _)| *t != p.target);
        let same = self
            .live
            .as_ref()
            .is_some_and(|l| l.target == p.target && l.model == p.model);
        if !same {
            self.live = Some(Live {
                target: p.target.clone(),
                model: p.model.clone(),
                model_index: p.model_index,
                models: p.models,
                done: vec![None; p.tests.len()],
                tests: p.tests.clone(),
                current: None,
                waiting: None,
            });
        }
        let Some(live) = &mut self.live else {
            return false;
        };
        match p.step {
            Step::Starting { index } => {
                live.current = Some(index);
                live.waiting = None;
            }
            Step::Finished {
                index,
                verdict,
                summary,
            } => {
                if let Some(slot) = live.done.get_mut(index) {
                    *slot = Some((verdict, crate::text::one_line(&summary)));
                }
                live.current = None;
                live.waiting = None;
            }
            Step::Waiting {
                index,
                rung,
                rungs,
                delay_secs,
                left_ms,
            } => {
                live.current = Some(index);
                live.waiting = Some((rung, rungs, delay_secs, now + left_ms as i64));
            }
            Step::ModelDone { skipped } => {
                self.live = None;
                if let Some(why) = skipped {
                    self.notice = Some(format!(
                        "{} · {} not run: {}",
                        p.target,
                        p.model,
                        crate::text::one_line(&why)
                    ));
                }
                return true;
            }
        }
        false
    }

    /// A run of `target` ended (or was found to have nothing to run).
    pub fn run_ended(&mut self, target: &str) {
        self.queued.retain(|(t, _)| t != target);
        if self.live.as_ref().is_some_and(|l| l.target == target) {
            self.live = None;
        }
    }

    /// What a row is doing now: `running 3/7`, `queued`; `None` when idle.
    fn activity(&self, row: &CacheRowView) -> Option<String> {
        if let Some(l) = &self.live
            && l.target == row.target.name
            && l.model == row.model
        {
            let at = l
                .current
                .map_or_else(|| l.done.iter().filter(|d| d.is_some()).count(), |i| i + 1);
            return Some(format!("running {at}/{}", l.tests.len()));
        }
        self.queued
            .iter()
            .any(|(t, models)| {
                *t == row.target.name && (models.is_empty() || models.contains(&row.model))
            })
            .then(|| "queued".to_string())
    }

    /// The line about the last run-now's skipped model, once.
    pub fn take_notice(&mut self) -> Option<String> {
        self.notice.take()
    }

    /// Whether a suite runs now or is waiting to.
    pub fn running(&self) -> bool {
        self.live.is_some() || !self.queued.is_empty()
    }

    /// What `y` copies here: the selected request's `curl`, the body in a
    /// heredoc (pasted into a shell, it sends the same request).
    pub fn copy_text(&self) -> Option<String> {
        let state = self.requests.as_ref()?;
        state.view.as_ref()?.curls.get(state.selected).cloned()
    }

    pub fn rows(&self) -> &[CacheRowView] {
        self.view.as_ref().map_or(&[], |v| v.rows.as_slice())
    }

    pub fn selected(&self) -> Option<&CacheRowView> {
        self.rows().get(self.selected)
    }

    /// The test selected in the latest run of the selected row.
    pub fn selected_test(&self) -> Option<&CacheResultRow> {
        let run = self.selected()?.runs.first()?;
        ordered(run).get(self.test).copied()
    }

    /// The requests shown, once loaded.
    pub fn requests(&self) -> Option<&CacheRequestsView> {
        self.requests.as_ref().and_then(|r| r.view.as_ref())
    }

    pub fn set_view(&mut self, view: CachingView) {
        self.error = None;
        let at = self
            .selected_key
            .as_ref()
            .and_then(|(t, m)| {
                view.rows
                    .iter()
                    .position(|r| &r.target.name == t && &r.model == m)
            })
            .unwrap_or(self.selected);
        self.selected = at.min(view.rows.len().saturating_sub(1));
        self.view = Some(view);
        self.remember();
        let tests = self
            .selected()
            .and_then(|r| r.runs.first())
            .map_or(0, |r| r.results.len());
        self.test = self.test.min(tests.saturating_sub(1));
        if tests == 0 && self.focus == Focus::Tests {
            self.focus = Focus::List;
        }
    }

    /// The answer to a requests load: kept if it is for the test shown.
    pub fn set_requests(&mut self, result: Result<CacheRequestsView, String>) {
        let Some(state) = &mut self.requests else {
            return;
        };
        match result {
            Ok(view) if view.result_id == state.result_id => {
                state.selected = state.selected.min(view.rows.len().saturating_sub(1));
                state.view = Some(view);
                state.error = None;
            }
            Ok(_) => {}
            Err(e) => state.error = Some(e),
        }
    }

    fn remember(&mut self) {
        self.selected_key = self
            .selected()
            .map(|r| (r.target.name.clone(), r.model.clone()));
    }

    /// Opens the requests of the selected test.
    fn open_requests(&mut self) -> Vec<Msg> {
        let Some(row) = self.selected() else {
            return Vec::new();
        };
        let Some(run) = row.runs.first() else {
            return vec![Msg::Status(
                format!(
                    "{} on {} has not run yet: apiradar cache-test {}",
                    row.model, row.target.name, row.target.name
                ),
                false,
            )];
        };
        let Some(result) = ordered(run).get(self.test).copied() else {
            return vec![Msg::Status("the latest run has no tests".into(), false)];
        };
        let state = RequestsState {
            target: row.target.name.clone(),
            model: row.model.clone(),
            test: result.test,
            verdict: result.verdict,
            summary: crate::text::one_line(&result.summary),
            simulated: row.target.settings.simulated || run.simulated,
            result_id: result.id,
            view: None,
            error: None,
            selected: 0,
            scroll: 0,
            scroll_max: 0,
            table: TableState::default(),
        };
        let msg = Msg::LoadCacheRequests {
            target: state.target.clone(),
            result_id: state.result_id,
        };
        self.requests = Some(state);
        self.focus = Focus::Requests;
        vec![msg]
    }

    /// Turns an action into a change of the pane; `None` when it is not the
    /// pane's to handle.
    pub fn handle(&mut self, action: Action, page: usize) -> Option<Vec<Msg>> {
        if let Some(confirm) = self.confirm.take() {
            return match action {
                Action::Open => {
                    let models = if confirm.all {
                        Vec::new()
                    } else {
                        confirm.models.clone()
                    };
                    self.queued.push((confirm.target.clone(), models.clone()));
                    self.notice = None;
                    Some(vec![Msg::RunCacheTest {
                        target: confirm.target,
                        models,
                        force: true,
                    }])
                }
                Action::Back | Action::Left => {
                    Some(vec![Msg::Status("caching run cancelled".into(), false)])
                }
                Action::Quit => None,
                _ => {
                    self.confirm = Some(confirm);
                    Some(Vec::new())
                }
            };
        }
        if action == Action::RunNow && self.focus != Focus::Requests {
            let row = self.selected()?;
            return Some(vec![Msg::AskCacheRun {
                target: row.target.name.clone(),
                models: vec![row.model.clone()],
            }]);
        }
        match self.focus {
            Focus::Requests => self.handle_requests(action, page),
            Focus::Tests => {
                let tests = self
                    .selected()
                    .and_then(|r| r.runs.first())
                    .map_or(0, |r| r.results.len());
                if let Some(t) = list_move(action, self.test, tests, page) {
                    self.test = t;
                    return Some(Vec::new());
                }
                match action {
                    Action::Open | Action::Right | Action::Requests => Some(self.open_requests()),
                    Action::Back | Action::Left => {
                        self.focus = Focus::List;
                        Some(Vec::new())
                    }
                    Action::Refresh => Some(vec![Msg::LoadCaching]),
                    _ => None,
                }
            }
            Focus::List => {
                let len = self.rows().len();
                if let Some(at) = list_move(action, self.selected, len, page) {
                    if at != self.selected {
                        self.test = 0;
                    }
                    self.selected = at;
                    self.remember();
                    return Some(Vec::new());
                }
                match action {
                    Action::Open | Action::Right | Action::Requests => {
                        let row = self.selected()?;
                        if row.runs.first().is_none_or(|r| r.results.is_empty()) {
                            return Some(vec![Msg::Status(
                                format!(
                                    "{} on {} has no test results yet: apiradar cache-test {}",
                                    row.model, row.target.name, row.target.name
                                ),
                                false,
                            )]);
                        }
                        self.focus = Focus::Tests;
                        if action == Action::Requests {
                            return Some(self.open_requests());
                        }
                        Some(Vec::new())
                    }
                    Action::Refresh => Some(vec![Msg::LoadCaching]),
                    _ => None,
                }
            }
        }
    }

    fn handle_requests(&mut self, action: Action, page: usize) -> Option<Vec<Msg>> {
        let state = self.requests.as_mut()?;
        let len = state.view.as_ref().map_or(0, |v| v.rows.len());
        let half = (page / 2).max(1);
        match action {
            Action::Up | Action::Down | Action::Top | Action::Bottom => {
                let at = list_move(action, state.selected, len, page)?;
                if at != state.selected {
                    state.scroll = 0;
                }
                state.selected = at;
            }
            Action::HalfPageDown | Action::PageDown => {
                let by = if action == Action::PageDown {
                    page
                } else {
                    half
                };
                state.scroll = (state.scroll + by).min(state.scroll_max);
            }
            Action::HalfPageUp | Action::PageUp => {
                let by = if action == Action::PageUp { page } else { half };
                state.scroll = state.scroll.saturating_sub(by);
            }
            Action::Back | Action::Left | Action::Requests => {
                self.requests = None;
                self.focus = Focus::Tests;
            }
            Action::Refresh => {
                return Some(vec![Msg::LoadCacheRequests {
                    target: state.target.clone(),
                    result_id: state.result_id,
                }]);
            }
            Action::Copy => {
                let text = state.view.as_ref()?.curls.get(state.selected)?.clone();
                return Some(vec![Msg::Copy("curl command", text)]);
            }
            Action::Open | Action::Right => {}
            _ => return None,
        }
        Some(Vec::new())
    }

    // ---- drawing ----

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let block = block(PaneId::Caching, self.title_extra(theme), cx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if inner.width == 0 || inner.height == 0 {
            return;
        }
        let Some(view) = &self.view else {
            let text = match &self.error {
                Some(e) => Span::styled(
                    format!(
                        "cannot read the caching results: {}",
                        crate::text::one_line(e)
                    ),
                    theme.level(Level::Error),
                ),
                None => Span::styled("Loading the caching results…", theme.dim()),
            };
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), inner);
            return;
        };
        if view.rows.is_empty() {
            draw_empty(f, inner, view.targets, theme);
            return;
        }
        // A failed reload keeps the rows last read and says so at the bottom.
        let mut body = inner;
        if let Some(e) = &self.error
            && inner.height > 2
        {
            body.height -= 1;
            let line = Rect::new(inner.x, body.bottom(), inner.width, 1);
            f.render_widget(
                Paragraph::new(fit(
                    &format!("cannot reload: {}", crate::text::one_line(e)),
                    inner.width as usize,
                ))
                .style(theme.level(Level::Error)),
                line,
            );
        }
        if self.focus == Focus::Requests && self.requests.is_some() {
            self.draw_requests(f, body, cx);
            self.draw_confirm(f, inner, cx);
            return;
        }
        // The list on top; the selected row's latest run below, when there
        // is room for a few of its tests.
        let rows = self.rows().len() as u16;
        let detail = body.height >= 9 && body.width >= 40;
        let list_h = if detail {
            (rows + 1).min((body.height * 2 / 5).max(3))
        } else {
            body.height
        };
        let list = Rect {
            height: list_h,
            ..body
        };
        self.draw_list(f, list, cx);
        if detail {
            // A blank line between the two when it costs nothing.
            let tests = self
                .selected()
                .and_then(|r| r.runs.first())
                .map_or(0, |r| r.results.len() as u16);
            let left = body.height - list_h;
            let gap = u16::from(left > tests + 4);
            let area = Rect {
                y: list.bottom() + gap,
                height: left - gap,
                ..body
            };
            self.draw_detail(f, area, cx);
        }
        self.draw_confirm(f, inner, cx);
    }

    /// The run-now confirmation over the pane: what runs and what it will
    /// spend; Enter runs it, Esc cancels.
    fn draw_confirm(&self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let Some(c) = &self.confirm else {
            return;
        };
        let theme = cx.theme;
        let dim = |t: String| Line::from(Span::styled(t, theme.dim()));
        let mut lines = vec![Line::from(Span::styled(
            "Run the caching tests now?",
            theme.title(true),
        ))];
        let who = if c.models.len() == 1 {
            format!("{} · {}", c.target, c.models[0])
        } else {
            format!(
                "{} · {} models: {}",
                c.target,
                c.models.len(),
                c.models.join(", ")
            )
        };
        lines.push(Line::from(Span::raw(crate::text::one_line(&who))));
        if c.simulated {
            lines.push(Line::from(Span::styled(
                "simulated provider",
                sim_style(theme),
            )));
        }
        lines.push(dim(format!(
            "{}: {}",
            crate::text::plural(c.tests.len() as u64, "test", "tests"),
            c.tests
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )));
        let mut spend = format!("spends about {} tokens", thousands(c.tokens));
        if c.usd > 0.0 {
            spend += &format!(" (about {} at the profile's price)", dollars(c.usd));
        }
        lines.push(Line::from(Span::styled(spend, theme.level(Level::Warning))));
        lines.push(dim(match c.budget {
            Some((limit, used)) => format!(
                "daily budget {} tokens, {} used today: the suite stops before it",
                thousands(limit),
                thousands(used)
            ),
            None => "no daily budget on this target".to_string(),
        }));
        if c.balance {
            lines.push(dim(
                "the provider's balance is checked first; a suite it cannot pay for is skipped"
                    .into(),
            ));
        }
        if let Some(secs) = c.longest_wait {
            lines.push(dim(format!(
                "the ttl test waits up to {} for its last probe",
                span(secs as i64)
            )));
        }
        for r in &c.resting {
            lines.push(Line::from(Span::styled(
                format!("{}: runs anyway", crate::text::one_line(r)),
                theme.level(Level::Warning),
            )));
        }
        lines.push(Line::from(vec![
            Span::styled("Enter", theme.title(true)),
            Span::styled(" runs it · ", theme.dim()),
            Span::styled("Esc", theme.title(true)),
            Span::styled(" cancels", theme.dim()),
        ]));
        let width = lines
            .iter()
            .map(|l| l.width())
            .max()
            .unwrap_or(0)
            .saturating_add(4)
            .min(area.width as usize) as u16;
        let height = (lines.len() as u16 + 2).min(area.height);
        if width < 3 || height < 3 {
            return;
        }
        let rect = Rect::new(
            area.x + (area.width - width) / 2,
            area.y + (area.height - height) / 2,
            width,
            height,
        );
        let block = ratatui::widgets::Block::bordered()
            .border_style(theme.title(true))
            .style(theme.base());
        let inner = block.inner(rect);
        f.render_widget(ratatui::widgets::Clear, rect);
        f.render_widget(block, rect);
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }

    /// The suite running now on `row`'s model, test by test, as its
    /// progress comes: verdicts of the tests done, the test running and,
    /// in the TTL test, the rung waited for and the time to its probe.
    fn draw_live(
        &self,
        f: &mut Frame,
        area: Rect,
        head: Vec<Span<'static>>,
        cx: &DrawCx<'_>,
    ) -> bool {
        let theme = cx.theme;
        let Some(l) = &self.live else {
            return false;
        };
        let mut lines = vec![Line::from(head)];
        let done = l.done.iter().filter(|d| d.is_some()).count();
        lines.push(Line::from(Span::styled(
            format!(
                "running now: model {}/{}, {done} of {} tests done",
                l.model_index + 1,
                l.models,
                l.tests.len()
            ),
            theme.level(Level::Warning),
        )));
        for (i, test) in l.tests.iter().enumerate() {
            let mut spans = Vec::new();
            match (&l.done[i], l.current == Some(i)) {
                (Some((verdict, summary)), _) => {
                    spans.push(Span::styled(
                        format!("{} ", verdict_glyph(*verdict)),
                        verdict_style(*verdict, theme),
                    ));
                    spans.push(Span::raw(format!("{:<13} ", test.as_str())));
                    spans.push(Span::styled(summary.clone(), theme.dim()));
                }
                (None, true) => {
                    spans.push(Span::styled("▶ ", theme.level(Level::Warning)));
                    spans.push(Span::raw(format!("{:<13} ", test.as_str())));
                    let doing = match l.waiting {
                        Some((rung, rungs, delay, at)) => format!(
                            "rung {}/{rungs} ({}): next probe in {}",
                            rung + 1,
                            span(delay as i64),
                            humantime::format_duration(std::time::Duration::from_secs(
                                ((at - cx.now).max(0) as u64).div_ceil(1000)
                            ))
                        ),
                        None => "sending…".to_string(),
                    };
                    spans.push(Span::styled(doing, theme.level(Level::Warning)));
                }
                (None, false) => {
                    spans.push(Span::styled("· ", theme.dim()));
                    spans.push(Span::styled(test.as_str().to_string(), theme.dim()));
                }
            }
            lines.push(Line::from(spans));
        }
        let lines: Vec<Line> = lines
            .into_iter()
            .map(|l| {
                let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                if text.chars().count() > area.width as usize {
                    // Cut whole lines at the width: the summaries are long.
                    let mut left = area.width as usize;
                    let spans: Vec<Span> = l
                        .spans
                        .into_iter()
                        .filter_map(|s| {
                            if left == 0 {
                                return None;
                            }
                            let t = fit(&s.content, left);
                            left = left.saturating_sub(t.chars().count());
                            Some(Span::styled(t, s.style))
                        })
                        .collect();
                    Line::from(spans)
                } else {
                    l
                }
            })
            .collect();
        f.render_widget(Paragraph::new(lines), area);
        true
    }

    fn title_extra(&self, theme: &Theme) -> Line<'static> {
        let rows = self.rows();
        if let Some(l) = &self.live {
            return Line::from(Span::styled(
                format!("running {} · {}", l.target, l.model),
                theme.level(Level::Warning),
            ));
        }
        // Resting or flagged: the standing at its latest run.
        let trouble = rows
            .iter()
            .filter(|r| {
                let at = r.runs.first().map_or(0, |run| run.finished_at);
                r.state.cooldown_until.is_some()
                    || standing_of(r, at).severity() == Severity::Trouble
            })
            .count();
        if trouble > 0 {
            Line::from(Span::styled(
                format!("{trouble} failing"),
                theme.status(WatchStatus::Failing),
            ))
        } else if rows.is_empty() {
            Line::default()
        } else {
            Line::from(Span::styled(
                match rows.len() {
                    1 => "1 model".to_string(),
                    n => format!("{n} models"),
                },
                theme.dim(),
            ))
        }
    }

    fn draw_list(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let rows = self.view.as_ref().map_or(&[][..], |v| v.rows.as_slice());
        let target_w = rows
            .iter()
            .map(|r| r.target.name.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, 24) as u16;
        let tagged_w = rows
            .iter()
            .map(|r| r.model.chars().count() + if simulated(r) { 4 } else { 0 })
            .max()
            .unwrap_or(0) as u16;
        let cols = Cols::for_names(area.width, target_w, tagged_w);
        let tag = |r: &CacheRowView| {
            if simulated(r) && !cols.sim_column {
                4
            } else {
                0
            }
        };
        let model_w = rows
            .iter()
            .map(|r| r.model.chars().count() + tag(r))
            .max()
            .unwrap_or(0) as u16;
        let name_need = if cols.split {
            model_w
        } else {
            model_w + target_w + 3
        };
        // The room left beyond the narrowest name goes to the name up to
        // its length, then to the sparkline up to the runs there are.
        let spare = area
            .width
            .saturating_sub(cols.fixed(target_w, cols.spark) + cols.name_min());
        let to_name = spare.min(name_need.saturating_sub(cols.name_min()));
        let spark = (cols.spark + spare - to_name).min(CACHE_RUNS as u16);
        let name_w = (cols.name_min() + to_name) as usize;
        // Without a target column, targets go in front of the models when
        // every row has room for both; a tiny pane shows models alone.
        let with_target = !cols.split
            && rows.iter().all(|r| {
                r.target.name.chars().count() + 3 + r.model.chars().count() + tag(r) <= name_w
            });
        let now = cx.now;

        let mut header = Vec::new();
        let mut widths = Vec::new();
        if cols.split {
            header.push("target".to_string());
            widths.push(Constraint::Length(target_w));
        }
        header.push(
            if with_target {
                "target · model"
            } else {
                "model"
            }
            .to_string(),
        );
        // The name takes what the others leave: it is the first to give
        // way when nothing fits.
        widths.push(Constraint::Fill(1));
        if cols.sim_column {
            header.push(String::new());
            widths.push(Constraint::Length(SIM_WIDTH));
        }
        header.push(fit("hit rate, oldest → newest", spark as usize));
        widths.push(Constraint::Length(spark));
        header.push("hit".into());
        widths.push(Constraint::Length(HIT_WIDTH));
        if cols.reliability {
            header.push("rel".into());
            widths.push(Constraint::Length(3));
        }
        if cols.tests {
            header.push("tests".into());
            widths.push(Constraint::Length(TESTS_WIDTH));
        }
        if let Some(long) = cols.state {
            header.push("state".into());
            widths.push(Constraint::Length(if long {
                STATE_LONG
            } else {
                STATE_SHORT
            }));
        }
        if cols.last {
            header.push("ran".into());
            widths.push(Constraint::Length(LAST_WIDTH));
        }

        let table_rows: Vec<Row> = rows
            .iter()
            .map(|r| {
                let sim = simulated(r);
                let latest = r.runs.first();
                let mut cells = Vec::new();
                if cols.split {
                    cells.push(Cell::from(r.target.name.clone()));
                }
                let mut name = Vec::new();
                if sim && !cols.sim_column {
                    name.push(Span::styled("sim ", sim_style(theme)));
                }
                if with_target {
                    name.push(Span::styled(format!("{} · ", r.target.name), theme.dim()));
                }
                name.push(Span::raw(r.model.clone()));
                cells.push(Cell::from(Line::from(name)));
                if cols.sim_column {
                    cells.push(Cell::from(Span::styled(
                        if sim { "simulated" } else { "" },
                        sim_style(theme),
                    )));
                }
                cells.push(if r.runs.is_empty() {
                    Cell::from(Span::styled("no runs yet", theme.dim()))
                } else {
                    Cell::from(sparkline(&run_points(r, spark as usize), theme))
                });
                let hit_style = if latest.is_some_and(|l| run_failed(r, l)) {
                    theme.level(Level::Error)
                } else {
                    theme.base()
                };
                cells.push(Cell::from(percent(latest.and_then(|l| l.hit_rate))).style(hit_style));
                if cols.reliability {
                    cells.push(
                        Cell::from(r.reliability.map_or("–".into(), |s| s.to_string()))
                            .style(reliability_style(r.reliability, theme)),
                    );
                }
                if cols.tests {
                    cells.push(Cell::from(verdicts(latest, theme)));
                }
                if let Some(long) = cols.state {
                    let (text, style) = match self.activity(r) {
                        Some(doing) => (
                            if long {
                                doing
                            } else {
                                doing.chars().take(9).collect()
                            },
                            theme.level(Level::Warning),
                        ),
                        None => state(r, now, long, theme),
                    };
                    cells.push(Cell::from(text).style(style));
                }
                if cols.last {
                    cells.push(
                        Cell::from(latest.map_or("never".into(), |l| ago(now, l.started_at)))
                            .style(theme.dim()),
                    );
                }
                Row::new(cells)
            })
            .collect();
        let selection = if self.focus == Focus::List {
            theme.selection(cx.focused)
        } else {
            theme.selection(false)
        };
        let table = Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(selection)
            .column_spacing(1);
        self.table.select(Some(self.selected));
        f.render_stateful_widget(table, area, &mut self.table);
    }

    fn draw_detail(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let now = cx.now;
        let focus = self.focus;
        let test = self.test;
        let Some(row) = self.view.as_ref().and_then(|v| v.rows.get(self.selected)) else {
            return;
        };
        let mut head = Vec::new();
        if simulated(row) {
            head.push(Span::styled("simulated provider ", sim_style(theme)));
        }
        head.push(Span::styled(
            format!("{} · {}", row.target.name, row.model),
            theme.title(false),
        ));
        if self
            .live
            .as_ref()
            .is_some_and(|l| l.target == row.target.name && l.model == row.model)
            && self.draw_live(f, area, head.clone(), cx)
        {
            return;
        }
        let Some(run) = row.runs.first() else {
            let every = row.target.settings.every_secs.map_or_else(
                || span(crate::caching::DEFAULT_EVERY.as_secs() as i64),
                |s| span(s as i64),
            );
            let lines = vec![
                Line::from(head),
                Line::from(Span::styled(
                    format!(
                        "No runs yet. `apiradar cache-test {}` runs the suite now; while the \
                         dashboard runs, the schedule runs it every {every}.",
                        row.target.name
                    ),
                    theme.dim(),
                )),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
            return;
        };
        let (pass, fail) = (
            run.results
                .iter()
                .filter(|r| r.verdict == Verdict::Pass)
                .count(),
            run.results
                .iter()
                .filter(|r| r.verdict == Verdict::Fail)
                .count(),
        );
        let other = run.results.len() - pass - fail;
        let facts = Span::styled(
            format!(
                "latest run {} · took {} · {} tokens · saved {} · {pass} pass, {fail} fail{}",
                ago(now, run.started_at),
                span(((run.finished_at - run.started_at) / 1000).max(0)),
                thousands(run.tokens),
                dollars(run.saved_usd),
                if other > 0 {
                    format!(", {other} inconclusive")
                } else {
                    String::new()
                }
            ),
            theme.dim(),
        );
        // The run's figures beside the name when they fit, else below it.
        let name_w: usize = head.iter().map(|s| s.width()).sum();
        let mut top = if name_w + 2 + facts.width() <= area.width as usize {
            head.push(Span::raw("  "));
            head.push(facts);
            vec![Line::from(head)]
        } else {
            vec![Line::from(head), Line::from(facts)]
        };
        if let Some(why) = &run.stopped {
            top.push(Line::from(Span::styled(
                format!("stopped: {}", crate::text::one_line(why)),
                theme.level(Level::Warning),
            )));
        }
        let top_h = (top.len() as u16).min(area.height);
        f.render_widget(
            Paragraph::new(top),
            Rect {
                height: top_h,
                ..area
            },
        );
        let table_area = Rect {
            y: area.y + top_h,
            height: area.height - top_h,
            ..area
        };
        if table_area.height < 2 {
            return;
        }
        // Columns by the room there is: the summary always, latency and
        // savings from 60 columns, a sparkline per test from 90.
        let w = area.width;
        let mid = w >= 60;
        let spark = match w {
            w if w >= 130 => 15usize,
            w if w >= 90 => 10,
            _ => 0,
        };
        let results = ordered(run);
        let table_rows: Vec<Row> = results
            .iter()
            .map(|r| {
                let mut cells = vec![
                    Cell::from(verdict_glyph(r.verdict)).style(verdict_style(r.verdict, theme)),
                    Cell::from(r.test.as_str()),
                    Cell::from(percent(r.hit_rate)),
                ];
                if mid {
                    cells.push(Cell::from(latency(r.cold_ms, r.warm_ms)).style(theme.dim()));
                    cells.push(Cell::from(dollars(r.saved_usd)).style(theme.dim()));
                }
                if spark > 0 {
                    cells.push(Cell::from(sparkline(
                        &test_points(row, r.test, spark),
                        theme,
                    )));
                }
                cells.push(Cell::from(crate::text::one_line(&r.summary)));
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(13),
            Constraint::Length(4),
        ];
        let mut header = vec!["", "test", "hit"];
        if mid {
            widths.extend([Constraint::Length(15), Constraint::Length(8)]);
            header.extend(["cold→warm", "saved"]);
        }
        if spark > 0 {
            widths.push(Constraint::Length(spark as u16));
            header.push("recent");
        }
        widths.push(Constraint::Fill(1));
        header.push("summary");
        let selection = theme.selection(cx.focused);
        let table = Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(selection)
            .column_spacing(1);
        self.tests_table
            .select((focus != Focus::List).then_some(test));
        // A legend at the bottom, in the lines the tests leave free.
        let legend = [
            "bars: hit rate per run, oldest → newest · `·` nothing measured · red: the run failed",
            "tests: identical sizes shared-prefix changed-at-k persistence ttl multi-turn · \
             ✓ pass ✗ fail ? undecided - not run",
        ];
        let free = (table_area.height as usize).saturating_sub(results.len() + 2);
        let shown = free.min(legend.len());
        let tests_area = Rect {
            height: table_area.height - shown as u16,
            ..table_area
        };
        f.render_stateful_widget(table, tests_area, &mut self.tests_table);
        for (i, text) in legend[..shown].iter().enumerate() {
            f.render_widget(
                Paragraph::new(fit(text, w as usize)).style(theme.dim()),
                Rect::new(area.x, area.bottom() - (shown - i) as u16, w, 1),
            );
        }
    }

    fn draw_requests(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let Some(state) = &mut self.requests else {
            return;
        };
        let mut head = Vec::new();
        if state.simulated {
            head.push(Span::styled("simulated provider ", sim_style(theme)));
        }
        head.push(Span::styled(
            format!("{} ", verdict_glyph(state.verdict)),
            verdict_style(state.verdict, theme),
        ));
        head.push(Span::styled(
            format!("{} · {} · {}", state.test, state.target, state.model),
            theme.title(false),
        ));
        head.push(Span::styled(format!("  {}", state.summary), theme.dim()));
        f.render_widget(Paragraph::new(Line::from(head)), Rect { height: 1, ..area });
        let rest = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        if rest.height == 0 {
            return;
        }
        let Some(view) = &state.view else {
            let text = match &state.error {
                Some(e) => Span::styled(
                    format!("cannot read the requests: {}", crate::text::one_line(e)),
                    theme.level(Level::Error),
                ),
                None => Span::styled("Loading the requests…", theme.dim()),
            };
            f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), rest);
            return;
        };
        if view.rows.is_empty() {
            f.render_widget(
                Paragraph::new(
                    "No requests kept for this test (evidence older than 30 days is pruned).",
                )
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
                rest,
            );
            return;
        }
        let wide = rest.width >= 70;
        let label_w = view
            .rows
            .iter()
            .map(|r| r.label.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(5, 18) as u16;
        let table_rows: Vec<Row> = view
            .rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let bad = r.error.is_some() || r.http_status.is_none_or(|s| s >= 400);
                let status_style = if bad {
                    theme.level(Level::Error)
                } else {
                    theme.base()
                };
                let num = |v: Option<i64>| v.map_or("–".into(), thousands);
                let hit = match (r.cached_tokens, r.prompt_tokens) {
                    (Some(c), Some(p)) if p > 0 => Some(c as f64 / p as f64),
                    _ => None,
                };
                let mut cells = vec![
                    Cell::from(format!("{}", i + 1)).style(theme.dim()),
                    Cell::from(crate::text::one_line(&r.label)),
                    Cell::from(r.http_status.map_or("–".into(), |s| s.to_string()))
                        .style(status_style),
                    Cell::from(num(r.prompt_tokens)),
                    Cell::from(num(r.cached_tokens)),
                ];
                if wide {
                    cells.push(Cell::from(percent(hit)));
                }
                cells.push(Cell::from(format!("{} ms", r.latency_ms)).style(theme.dim()));
                if wide {
                    let note = match (&r.error, r.retries) {
                        (Some(e), _) => {
                            Span::styled(crate::text::one_line(e), theme.level(Level::Error))
                        }
                        (None, 0) => Span::raw(""),
                        (None, n) => Span::styled(format!("after {n} × 429"), theme.dim()),
                    };
                    cells.push(Cell::from(note));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(2),
            Constraint::Length(label_w),
            Constraint::Length(6),
            Constraint::Length(7),
            Constraint::Length(7),
        ];
        let mut header = vec!["#", "label", "status", "prompt", "cached"];
        if wide {
            widths.push(Constraint::Length(4));
            header.push("hit");
        }
        widths.push(Constraint::Length(9));
        header.push("latency");
        if wide {
            widths.push(Constraint::Fill(1));
            header.push("error");
        }
        let table_h = (view.rows.len() as u16 + 1).min((rest.height / 2).max(2));
        let table = Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(theme.selection(cx.focused))
            .column_spacing(1);
        state.table.select(Some(state.selected));
        f.render_stateful_widget(
            table,
            Rect {
                height: table_h,
                ..rest
            },
            &mut state.table,
        );
        // Below: the selected request's error in full, then its `curl`.
        let Some(req) = view.rows.get(state.selected) else {
            return;
        };
        let mut y = rest.y + table_h;
        // The command as a shell takes it: one option a line, the body in
        // a heredoc, never wrapped (a wrapped line pastes as two). Lines
        // longer than the pane (the prompt's text) end in `›`; `y` copies
        // the whole command.
        let curl = view.curls.get(state.selected).map_or("", String::as_str);
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!(
                    "request {} ({})",
                    state.selected + 1,
                    crate::text::one_line(&req.label)
                ),
                theme.title(false),
            ),
            Span::styled(
                " as curl; the key stays in its variable; y copies it",
                theme.dim(),
            ),
        ])];
        if let Some(e) = &req.error {
            lines.insert(
                0,
                Line::from(Span::styled(
                    format!("error: {}", crate::text::one_line(e)),
                    theme.level(Level::Error),
                )),
            );
        }
        for line in lines {
            if y >= rest.bottom() {
                return;
            }
            f.render_widget(Paragraph::new(line), Rect::new(rest.x, y, rest.width, 1));
            y += 1;
        }
        let text_area = Rect::new(rest.x, y, rest.width, rest.bottom().saturating_sub(y));
        if text_area.height == 0 {
            return;
        }
        // Only the rows on screen are built: a request body can be tens of
        // kilobytes of prompt.
        let total = curl.lines().count();
        state.scroll_max = total.saturating_sub(text_area.height as usize);
        state.scroll = state.scroll.min(state.scroll_max);
        let width = rest.width as usize;
        let lines: Vec<Line> = curl
            .lines()
            .skip(state.scroll)
            .take(text_area.height as usize)
            .map(|l| Line::from(cut(&crate::text::line(l), width)))
            .collect();
        f.render_widget(Paragraph::new(lines).style(theme.base()), text_area);
    }
}

/// `line` cut to `width` characters, ending in `›` when cut.
fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = line.chars().take(width - 1).collect();
    out.push('›');
    out
}

/// Nothing to list: how to add a target.
fn draw_empty(f: &mut Frame, area: Rect, targets: usize, theme: &Theme) {
    let prose = |t: &str| Line::from(Span::styled(t.to_string(), theme.dim()));
    let command = |t: &str| Line::from(Span::styled(format!("  {t}"), theme.base()));
    let add =
        "apiradar cache add NAME --profile openai --api-key-env OPENAI_API_KEY --model gpt-4o-mini";
    let lines = if targets == 0 && area.height < 10 {
        // A small pane: the way out first.
        vec![
            Line::from(Span::styled(
                "No caching targets yet. Add one:",
                theme.base(),
            )),
            command(add),
        ]
    } else if targets == 0 {
        vec![
            Line::from(Span::styled("No caching targets yet.", theme.base())),
            prose(
                "apiradar sends a model the same prompts more than once and checks that the \
                 provider reports cached tokens: hit rate, latency and money saved, per model \
                 and over time. Add a target:",
            ),
            Line::default(),
            command(add),
            command("apiradar cache-test NAME"),
            Line::default(),
            prose(
                "The key stays in its environment variable. `cache-test` runs the suite now; \
                 while the dashboard runs, each target is tested every 6 hours and shows here \
                 with a hit-rate sparkline per model.",
            ),
        ]
    } else {
        vec![
            Line::from(Span::styled(
                "The caching targets list no models.",
                theme.base(),
            )),
            prose("Add the models to test, e.g.:"),
            command("apiradar cache add NAME --profile openai --model gpt-4o-mini"),
        ]
    };
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::caching::{CacheSettings, CacheTarget, ModelState};
    use crate::tui::panes::DrawCx;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    const NOW: i64 = 1_900_000_000_000;

    fn result(id: i64, test: TestKind, verdict: &str, hit: Option<f64>) -> CacheResultRow {
        CacheResultRow {
            id,
            test,
            verdict: Verdict::parse(verdict).unwrap(),
            summary: format!("{} said\nso", test.as_str()),
            hit_rate: hit,
            cold_ms: Some(800),
            warm_ms: Some(120),
            saved_usd: 0.0012,
        }
    }

    fn run(i: i64, hit: Option<f64>, failed: bool) -> CacheRun {
        CacheRun {
            id: i,
            target: "openai".into(),
            model: "gpt-4o-mini".into(),
            started_at: NOW - i * 3_600_000,
            finished_at: NOW - i * 3_600_000 + 42_000,
            hit_rate: hit,
            tokens: 12_345,
            saved_usd: 0.0031,
            stopped: (i == 0).then(|| "daily budget of 50000 tokens reached".into()),
            simulated: false,
            balance: None,
            results: TestKind::ALL
                .iter()
                .enumerate()
                .map(|(k, t)| {
                    let verdict = match k {
                        2 if failed => "fail",
                        5 => "inconclusive",
                        _ => "pass",
                    };
                    result(i * 10 + k as i64, *t, verdict, hit)
                })
                .collect(),
        }
    }

    fn row(name: &str, model: &str, simulated: bool, runs: Vec<CacheRun>) -> CacheRowView {
        CacheRowView {
            target: CacheTarget {
                id: 1,
                name: name.into(),
                profile: "openai".into(),
                base_url: "http://127.0.0.1:9/v1".into(),
                api_key_env: Some("OPENAI_API_KEY".into()),
                models: vec![model.into()],
                settings: CacheSettings {
                    simulated,
                    ..CacheSettings::default()
                },
                paused: false,
                paused_reason: None,
                from_config: false,
            },
            model: model.into(),
            runs,
            state: ModelState {
                consecutive_failures: 3,
                ..ModelState::default()
            },
            reliability: Some(83),
            errored: vec![3],
            tokens_today: 1_234,
        }
    }

    fn pane() -> CachingPane {
        let mut p = CachingPane::default();
        p.set_view(CachingView {
            rows: vec![
                row(
                    "openai",
                    "gpt-4o-mini",
                    false,
                    (0..12)
                        .map(|i| run(i, (i != 4).then_some(0.1 * i as f64), i % 5 == 1))
                        .collect(),
                ),
                row("local", "qwen", true, Vec::new()),
            ],
            targets: 2,
        });
        p
    }

    fn draw(p: &mut CachingPane, w: u16, h: u16) -> String {
        let theme = Theme::default();
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| {
            let cx = DrawCx {
                theme: &theme,
                now: NOW,
                focused: true,
            };
            p.draw(f, f.area(), &cx);
        })
        .expect("draw");
        let b = t.backend().buffer();
        let mut s = String::new();
        for y in 0..b.area.height {
            for x in 0..b.area.width {
                s.push_str(b[(x, y)].symbol());
            }
            s.push('\n');
        }
        s
    }

    #[test]
    fn bars_use_a_fixed_scale_and_mark_gaps_and_failures() {
        assert_eq!(bar(0.0), '▁');
        assert_eq!(bar(1.0), '█');
        assert_eq!(bar(7.0), '█');
        assert_eq!(bar(-1.0), '▁');
        let theme = Theme::default();
        let line = sparkline(
            &[(Some(1.0), false), (None, false), (Some(0.5), true)],
            &theme,
        );
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(text, "█·▅");
        assert_eq!(line.spans[2].style, theme.sparkline_bad());
        assert_eq!(line.spans[0].style, theme.sparkline());
    }

    #[test]
    fn sparklines_run_oldest_to_newest() {
        let runs: Vec<CacheRun> = (0..4)
            .map(|i| run(i, (i < 3).then_some(0.5 * i as f64), false))
            .collect();
        let r = row("openai", "gpt-4o-mini", false, runs);
        // runs[0] is the newest (hit 0), runs[3] the oldest, with a failed
        // request and nothing measured.
        let points = run_points(&r, 30);
        assert_eq!(
            points,
            [
                (None, true),
                (Some(1.0), false),
                (Some(0.5), false),
                (Some(0.0), false)
            ]
        );
        assert_eq!(run_points(&r, 2).len(), 2);
        let t = test_points(&r, TestKind::Ttl, 30);
        assert_eq!(t.len(), 4);
        assert_eq!(
            t[0],
            (None, true),
            "inconclusive in a run whose request failed"
        );
        assert_eq!(t[1], (Some(1.0), false));
        let mut without_ttl = r.runs.clone();
        for run in &mut without_ttl {
            run.results.retain(|x| x.test != TestKind::Ttl);
        }
        let r = row("openai", "gpt-4o-mini", false, without_ttl);
        assert!(test_points(&r, TestKind::Ttl, 30).is_empty());
    }

    #[test]
    fn small_helpers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(-1000), "-1,000");
        assert_eq!(dollars(0.0031), "$0.0031");
        assert_eq!(dollars(12.5), "$12.50");
        assert_eq!(latency(Some(800), Some(90)), "800→90 ms");
        assert_eq!(percent(Some(0.456)), "46%");
        assert_eq!(percent(None), "–");
        assert_eq!(crate::text::one_line("a\nb"), "a b");
        assert_eq!(cut("curl -sS", 20), "curl -sS");
        assert_eq!(cut("curl -sS", 5), "curl›");
        assert_eq!(cut("curl", 0), "");
    }

    #[test]
    fn columns_drop_as_the_width_shrinks() {
        let wide = Cols::for_width(200, 8);
        assert_eq!(wide, LEVELS[0]);
        let at80 = Cols::for_width(78, 8);
        assert!(at80.split && at80.tests && at80.state.is_some(), "{at80:?}");
        let tiny = Cols::for_width(22, 8);
        assert!(
            !tiny.split && !tiny.tests && tiny.state.is_none(),
            "{tiny:?}"
        );
    }

    #[test]
    fn the_list_shows_rows_details_and_the_simulated_label() {
        let mut p = pane();
        let screen = draw(&mut p, 140, 30);
        for needle in [
            "gpt-4o-mini",
            "simulated",
            "no runs yet",
            "3 failed runs",
            "83",
            "stopped: daily budget of 50000 tokens reached",
            "shared-prefix",
            "identical said so",
            "12,345 tokens",
            "800→120 ms",
        ] {
            assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
        }
        // The simulated row stays labelled in a narrow pane.
        p.handle(Action::Down, 10);
        let narrow = draw(&mut p, 30, 8);
        assert!(narrow.contains("sim"), "{narrow}");
    }

    #[test]
    fn keys_move_into_tests_and_requests_and_back() {
        let mut p = pane();
        assert_eq!(p.handle(Action::Open, 10), Some(Vec::new()));
        assert_eq!(p.focus(), Focus::Tests);
        p.handle(Action::Down, 10);
        assert_eq!(p.selected_test().map(|t| t.test.as_str()), Some("sizes"));
        let msgs = p.handle(Action::Open, 10).expect("handled");
        assert_eq!(
            msgs,
            vec![Msg::LoadCacheRequests {
                target: "openai".into(),
                result_id: 1
            }]
        );
        assert_eq!(p.focus(), Focus::Requests);
        // An answer for another test is not shown.
        p.set_requests(Ok(CacheRequestsView {
            result_id: 99,
            rows: Vec::new(),
            curls: Vec::new(),
        }));
        assert!(p.requests().is_none());
        assert_eq!(p.handle(Action::Back, 10), Some(Vec::new()));
        assert_eq!(p.focus(), Focus::Tests);
        p.handle(Action::Left, 10);
        assert_eq!(p.focus(), Focus::List);
        // Out of the list, Esc belongs to the app.
        assert_eq!(p.handle(Action::Back, 10), None);
        // A row without runs says so instead of opening.
        p.handle(Action::Down, 10);
        let msgs = p.handle(Action::Open, 10).expect("handled");
        assert!(matches!(&msgs[..], [Msg::Status(m, false)] if m.contains("cache-test local")));
        assert_eq!(p.focus(), Focus::List);
    }

    #[test]
    fn a_reload_keeps_the_selected_row() {
        let mut p = pane();
        p.handle(Action::Down, 10);
        let mut view = CachingView {
            rows: p.rows().to_vec(),
            targets: 2,
        };
        view.rows.reverse();
        p.set_view(view);
        assert_eq!(p.selected().map(|r| r.model.as_str()), Some("qwen"));
    }

    #[test]
    fn any_size_draws_without_panicking() {
        for focus in [Action::Top, Action::Open, Action::Requests] {
            let mut p = pane();
            p.handle(focus, 10);
            if focus == Action::Requests {
                p.set_requests(Ok(CacheRequestsView {
                    result_id: 0,
                    rows: vec![crate::store::caching::CacheRequestRow {
                        at: NOW,
                        label: "cold".into(),
                        http_status: Some(200),
                        latency_ms: 800,
                        prompt_tokens: Some(1030),
                        cached_tokens: Some(0),
                        cache_creation_tokens: None,
                        completion_tokens: Some(1),
                        error: Some("oops\nagain".into()),
                        retries: 0,
                        request: serde_json::json!({"model": "m"}),
                    }],
                    curls: vec!["curl -sS 'x' ".repeat(40)],
                }));
                assert!(p.requests().is_some());
                p.handle(Action::PageDown, 10);
            }
            for (w, h) in [
                (1, 1),
                (2, 2),
                (3, 9),
                (10, 3),
                (20, 8),
                (40, 12),
                (59, 14),
                (80, 22),
                (200, 58),
            ] {
                draw(&mut p, w, h);
            }
        }
        let mut empty = CachingPane::default();
        draw(&mut empty, 5, 5);
        empty.set_view(CachingView::default());
        let screen = draw(&mut empty, 120, 12);
        assert!(
            screen.contains("apiradar cache add NAME --profile openai"),
            "{screen}"
        );
    }

    #[test]
    fn names_stay_whole_when_there_is_room() {
        // The wide layout's caching pane is about 40 columns; the demo's
        // names fit whole once the sparkline gives way.
        let mut p = CachingPane::default();
        let mut r = row(
            "demo-llm",
            "sim-small",
            true,
            vec![run(1, Some(0.9), false)],
        );
        r.state = ModelState::default();
        p.set_view(CachingView {
            rows: vec![r],
            targets: 1,
        });
        for w in [40, 46, 60, 80] {
            let screen = draw(&mut p, w, 8);
            assert!(screen.contains("sim-small"), "{w} columns:\n{screen}");
        }
    }

    #[test]
    fn the_state_says_a_failed_run_as_the_status_bar_does() {
        // One run with 6 of 7 tests failed: the store counts it, the state
        // says so (it said "ok" until the third).
        let mut p = CachingPane::default();
        let mut latest = run(1, Some(0.1), false);
        for r in latest.results.iter_mut().skip(1) {
            r.verdict = Verdict::Fail;
        }
        let mut r = row("openai", "gpt-4o-mini", false, vec![latest]);
        r.state = ModelState {
            consecutive_failures: 1,
            ..ModelState::default()
        };
        p.set_view(CachingView {
            rows: vec![r],
            targets: 1,
        });
        let screen = draw(&mut p, 140, 20);
        assert!(screen.contains("1 failed run"), "{screen}");
        assert!(!screen.contains(" ok "), "{screen}");
    }

    #[test]
    fn run_now_asks_with_the_tokens_it_spends_then_runs_or_cancels() {
        let mut p = pane();
        let asked = p.handle(Action::RunNow, 10).expect("handled");
        assert_eq!(
            asked,
            vec![Msg::AskCacheRun {
                target: "openai".into(),
                models: vec!["gpt-4o-mini".into()]
            }]
        );
        assert!(
            p.ask_run_now("openai", &["gpt-4o-mini".into()], NOW)
                .is_empty()
        );
        let c = p.confirming().expect("asked").clone();
        assert!(c.tokens > 10_000, "{c:?}");
        assert_eq!(c.tests.len(), 7);
        let screen = draw(&mut p, 120, 30);
        for needle in [
            "Run the caching tests now?",
            "openai · gpt-4o-mini",
            "spends about",
            "no daily budget",
            "the ttl test waits up to 10m",
            "Enter runs it",
        ] {
            assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
        }
        // Other keys wait for the answer; Esc cancels.
        assert_eq!(p.handle(Action::Down, 10), Some(Vec::new()));
        assert!(p.confirming().is_some());
        let cancelled = p.handle(Action::Back, 10).expect("handled");
        assert!(matches!(&cancelled[..], [Msg::Status(m, false)] if m.contains("cancelled")));
        assert!(p.confirming().is_none() && !p.running());
        // Enter runs it, resting or not.
        p.ask_run_now("openai", &[], NOW);
        let run = p.handle(Action::Open, 10).expect("handled");
        assert_eq!(
            run,
            vec![Msg::RunCacheTest {
                target: "openai".into(),
                models: Vec::new(),
                force: true
            }]
        );
        assert!(p.running());
        assert!(draw(&mut p, 140, 30).contains("queued"));
        // Unknown names say so.
        let msgs = p.ask_run_now("nope", &[], NOW);
        assert!(
            matches!(&msgs[..], [Msg::Status(m, true)] if m.contains("no caching target `nope`"))
        );
        let msgs = p.ask_run_now("openai", &["gpt-9".into()], NOW);
        assert!(matches!(&msgs[..], [Msg::Status(m, true)] if m.contains("not a model")));
    }

    #[test]
    fn a_running_suite_shows_its_verdicts_and_the_next_probe() {
        let mut p = pane();
        let tests = vec![TestKind::Identical, TestKind::Ttl];
        let progress = |step: Step| RunProgress {
            target: "openai".into(),
            model: "gpt-4o-mini".into(),
            model_index: 0,
            models: 1,
            tests: tests.clone(),
            step,
        };
        assert!(!p.on_progress(progress(Step::Starting { index: 0 }), NOW));
        p.on_progress(
            progress(Step::Finished {
                index: 0,
                verdict: Verdict::Pass,
                summary: "the repeat read 900 of 901".into(),
            }),
            NOW,
        );
        p.on_progress(
            progress(Step::Waiting {
                index: 1,
                rung: 2,
                rungs: 5,
                delay_secs: 120,
                left_ms: 72_000,
            }),
            NOW,
        );
        let screen = draw(&mut p, 140, 30);
        for needle in [
            "running now: model 1/1, 1 of 2 tests done",
            "the repeat read 900 of 901",
            "rung 3/5 (2m): next probe in 1m 12s",
            "running 2/2",
            "running openai · gpt-4o-mini",
        ] {
            assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
        }
        assert!(p.on_progress(progress(Step::ModelDone { skipped: None }), NOW));
        assert!(!p.running());
        p.on_progress(
            progress(Step::ModelDone {
                skipped: Some("resting until 13:15".into()),
            }),
            NOW,
        );
        assert!(
            p.take_notice()
                .is_some_and(|n| n.contains("resting until 13:15"))
        );
    }

    #[test]
    fn the_curl_of_a_request_is_shown_unwrapped_and_copied_whole() {
        let mut p = pane();
        p.handle(Action::Requests, 10);
        let curl = "curl -sS 'https://api.openai.com/v1/chat/completions' \\\n  -H \"Authorization: Bearer $OPENAI_API_KEY\" \\\n  --data-binary @- <<'JSON'\n{\n  \"messages\": \"".to_string()
            + &"long prompt ".repeat(40)
            + "\"\n}\nJSON";
        p.set_requests(Ok(CacheRequestsView {
            result_id: 0,
            rows: Vec::new(),
            curls: vec![curl.clone()],
        }));
        p.set_requests(Ok(CacheRequestsView {
            result_id: 0,
            rows: vec![crate::store::caching::CacheRequestRow {
                at: NOW,
                label: "cold".into(),
                http_status: Some(200),
                latency_ms: 800,
                prompt_tokens: Some(1030),
                cached_tokens: Some(0),
                cache_creation_tokens: None,
                completion_tokens: Some(1),
                error: None,
                retries: 0,
                request: serde_json::json!({"model": "m"}),
            }],
            curls: vec![curl.clone()],
        }));
        assert_eq!(p.copy_text(), Some(curl));
        let screen = draw(&mut p, 100, 30);
        // One option a line, as pasted; the prompt's line cut, not wrapped.
        assert!(
            screen.contains("  -H \"Authorization: Bearer $OPENAI_API_KEY\" \\"),
            "{screen}"
        );
        assert!(screen.contains("--data-binary @- <<'JSON'"), "{screen}");
        assert!(screen.contains("long promp›"), "{screen}");
        assert_eq!(
            p.handle(Action::Copy, 10),
            Some(vec![Msg::Copy(
                "curl command",
                p.copy_text().unwrap_or_default()
            )])
        );
        assert!(
            screen
                .lines()
                .any(|l| l.trim_matches(|c| c == '┃' || c == ' ') == "JSON"),
            "{screen}"
        );
    }
}
