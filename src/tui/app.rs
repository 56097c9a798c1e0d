//! The dashboard's state machine: events in, state changes and effects out,
//! and a frame drawn from the state.
//!
//! `App` does no I/O. Keys, worker events and loaded data arrive as
//! [`AppEvent`]s; what must happen elsewhere (load from the store, ask the
//! worker to poll) leaves as [`Effect`]s that the event loop (or a test)
//! carries out. Every load carries a ticket; an answer to anything but the
//! latest request of its kind is dropped.

use std::collections::BTreeSet;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph, Wrap};

use super::data::{Loaded, PairRequest, Request};
use super::form::{AddForm, FormOutcome};
use super::keymap::{Action, Context, Keymap};
use super::line::{Edit, LineEditor};
use super::panes::alerts::{AlertsPane, StatusFilter};
use super::panes::caching::CachingPane;
use super::panes::catalog::CatalogPane;
use super::panes::diff::DiffPane;
use super::panes::health::HealthPane;
use super::panes::timeline::TimelinePane;
use super::panes::watches::WatchesPane;
use super::panes::{DrawCx, Msg, PaneId};
use super::theme::Theme;
use super::util::{centered, fit, until};
use crate::pipeline::poll::PollStatus;
use crate::pipeline::worker::{Command, WorkerEvent};

/// The smallest terminal the dashboard draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
/// Below this width panes are shown one at a time, with tabs.
pub const WIDE: u16 = 110;
/// How often an open alert history reloads when nothing else asks it to.
const ALERTS_EVERY_MS: i64 = 2_000;
/// How often the caching pane reloads while it is on screen (runs finish
/// in the background; the worker's event covers scheduled suites only).
const CACHING_EVERY_MS: i64 = 5_000;

/// What the app reacts to.
pub enum AppEvent {
    Input(Event),
    Worker(WorkerEvent),
    Loaded(u64, Loaded),
    /// Time passing (spinner, relative times).
    Tick,
    /// A problem to show in the status bar (the demo's own parts).
    Note(String),
    /// A signal the process received.
    Signal(super::term::TermSignal),
}

/// What the event loop must do with the terminal; the app does no I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermRequest {
    /// Ctrl-z: give the terminal back and stop until continued.
    Suspend,
    /// Continued after a stop: take the terminal again and repaint it all.
    Retake,
}

/// What the app asks the outside world to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Load(u64, Request),
    Worker(Command),
}

/// Where time comes from: the system clock, or a fixed instant in tests.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(i64),
}

impl Clock {
    pub fn now(self) -> i64 {
        match self {
            Clock::System => crate::store::now_ms(),
            Clock::Fixed(t) => t,
        }
    }
}

/// What a `/` line filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FilterTarget {
    /// A pane's list, or the diff's text search.
    Pane(PaneId),
    /// The diff's findings list.
    Findings,
    /// The alert history.
    Alerts,
    /// The catalog view's search (applied as it is typed).
    Catalog,
    /// The catalog view's `--where` conditions (applied on Enter).
    CatalogWhere,
}

/// What keys are going to, besides the panes.
enum Mode {
    Normal,
    /// Typing a `/` filter for a pane (or a search in the diff).
    Filter {
        target: FilterTarget,
        input: String,
    },
    /// Typing a `:` command.
    Command {
        line: LineEditor,
    },
    Help {
        scroll: u16,
    },
    Form(AddForm),
    /// A question before something that cannot be taken back (or that
    /// starts contacting hosts): `y` carries out `yes`, anything else
    /// cancels.
    Confirm {
        lines: Vec<String>,
        yes: Request,
    },
}

/// The latest ticket of each kind of load.
#[derive(Default)]
struct Tickets {
    watches: u64,
    timeline: u64,
    pair: u64,
    /// The last place asked for; it belongs to the pair loaded before it.
    locate: u64,
    health: u64,
    alerts: u64,
    caching: u64,
    cache_requests: u64,
    probing: u64,
    checks: u64,
    catalog: u64,
    catalog_history: u64,
}

#[derive(Default)]
struct Status {
    polling: BTreeSet<String>,
    next_due: Option<i64>,
    message: Option<(String, bool)>,
    spinner: usize,
}

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    focus: PaneId,
    zoom: bool,
    mode: Mode,
    pub watches: WatchesPane,
    pub timeline: TimelinePane,
    pub diff: DiffPane,
    pub health: HealthPane,
    pub caching: CachingPane,
    /// The alert history, over the panes while open.
    pub alerts: AlertsPane,
    /// The catalog view of a json watch, over the panes while open.
    pub catalog: CatalogPane,
    tickets: Tickets,
    next_ticket: u64,
    effects: Vec<Effect>,
    status: Status,
    pub quit: bool,
    /// The signal (SIGTERM, SIGHUP, SIGINT) the dashboard must end for.
    pub stopped_by: Option<i32>,
    /// What the terminal needs next, for the event loop to carry out.
    pub term_request: Option<TermRequest>,
    clock: Clock,
    /// Where each pane was last drawn, for the mouse and page sizes.
    rects: Vec<(PaneId, Rect)>,
    /// Open the newest pair when the selected watch's timeline arrives.
    auto_open: bool,
    /// Whether anything changed since the last frame.
    pub dirty: bool,
    /// Text for the terminal's clipboard (OSC 52), for the event loop to
    /// write.
    pub clipboard: Option<String>,
    /// How far the help can scroll, as last drawn.
    help_max: u16,
    /// The `:` lines run, oldest first.
    command_history: Vec<String>,
}

impl App {
    pub fn new(keymap: Keymap, theme: Theme, clock: Clock) -> App {
        let mut app = App {
            keymap,
            theme,
            focus: PaneId::Watches,
            zoom: false,
            mode: Mode::Normal,
            watches: WatchesPane::default(),
            timeline: TimelinePane::default(),
            diff: DiffPane::new(),
            health: HealthPane::default(),
            caching: CachingPane::default(),
            alerts: AlertsPane::default(),
            catalog: CatalogPane::default(),
            tickets: Tickets::default(),
            next_ticket: 0,
            effects: Vec::new(),
            status: Status::default(),
            quit: false,
            stopped_by: None,
            term_request: None,
            clock,
            rects: Vec::new(),
            auto_open: true,
            dirty: true,
            clipboard: None,
            help_max: 0,
            command_history: Vec::new(),
        };
        app.load_watches();
        app.load_caching();
        app
    }

    /// Whether something is in progress (the spinner turns faster).
    pub fn is_busy(&self) -> bool {
        !self.status.polling.is_empty() || self.diff.loading.is_some()
    }

    pub fn focus(&self) -> PaneId {
        self.focus
    }

    /// The effects produced since the last call.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// The status bar's message, if any (for tests).
    pub fn message(&self) -> Option<&str> {
        self.status.message.as_ref().map(|(m, _)| m.as_str())
    }

    pub fn help_open(&self) -> bool {
        matches!(self.mode, Mode::Help { .. })
    }

    pub fn form_open(&self) -> bool {
        matches!(self.mode, Mode::Form(_))
    }

    pub fn alerts_open(&self) -> bool {
        self.alerts.open
    }

    pub fn catalog_open(&self) -> bool {
        self.catalog.open
    }

    /// Opens the catalog view on `target` (`NAME` or `NAME@N`).
    fn open_catalog(&mut self, name: &str, seq: Option<String>) {
        self.alerts.open = false;
        self.catalog.open_on(name, seq);
        self.load_catalog();
    }

    fn load_catalog(&mut self) {
        let t = self.ticket();
        self.tickets.catalog = t;
        self.catalog.loading = true;
        self.effects.push(Effect::Load(
            t,
            Request::Catalog {
                target: self.catalog.target(),
            },
        ));
    }

    /// `c` in the watch list: the selected json watch's catalog, at the
    /// version the timeline has selected (else the latest).
    fn open_selected_catalog(&mut self) {
        let Some(row) = self.watches.selected() else {
            self.say("no watch selected", false);
            return;
        };
        let (name, kind, id) = (
            row.watch.spec.name.clone(),
            row.watch.spec.kind,
            row.watch.id,
        );
        if kind != crate::watch::Kind::Json {
            self.say(
                format!(
                    "{} is a {kind} watch: the catalog view lists the items of a json watch (a model list, a price list)",
                    crate::text::line(&name)
                ),
                true,
            );
            return;
        }
        if row.latest.is_none() {
            self.say(
                format!("{} has no version yet", crate::text::line(&name)),
                true,
            );
            return;
        }
        let seq = (self.timeline.watch_id == Some(id))
            .then(|| self.timeline.selected_seq())
            .flatten()
            .filter(|s| Some(*s) != row.latest.as_ref().map(|v| v.seq));
        self.open_catalog(&name, seq.map(|s| s.to_string()));
    }

    fn ticket(&mut self) -> u64 {
        self.next_ticket += 1;
        self.next_ticket
    }

    fn load_watches(&mut self) {
        let t = self.ticket();
        self.tickets.watches = t;
        self.effects.push(Effect::Load(t, Request::Watches));
    }

    fn load_timeline(&mut self, watch_id: i64) {
        let t = self.ticket();
        self.tickets.timeline = t;
        self.effects
            .push(Effect::Load(t, Request::Timeline { watch_id }));
    }

    fn open_pair(&mut self, request: PairRequest) {
        let t = self.ticket();
        self.tickets.pair = t;
        self.diff.loading = Some(request.clone());
        self.effects.push(Effect::Load(t, Request::Pair(request)));
    }

    fn load_health(&mut self, watch_id: i64) {
        let t = self.ticket();
        self.tickets.health = t;
        self.effects
            .push(Effect::Load(t, Request::Health { watch_id }));
    }

    fn load_probing(&mut self, watch_id: i64, discover: bool) {
        let t = self.ticket();
        self.tickets.probing = t;
        self.effects
            .push(Effect::Load(t, Request::Probing { watch_id, discover }));
    }

    /// Whether a confirmation is waiting for an answer.
    pub fn confirming(&self) -> bool {
        matches!(self.mode, Mode::Confirm { .. })
    }

    /// `e` in the health pane: probing off needs no question; on, it asks
    /// first, with what would be probed (found afresh from the latest
    /// version).
    fn toggle_probing(&mut self) {
        let Some(watch_id) = self.health.watch_id else {
            self.say("no watch selected", false);
            return;
        };
        match &self.health.probing {
            Some(p) if p.watch_id == watch_id && p.on => {
                self.change(Request::SetProbing {
                    watch_id,
                    on: false,
                });
            }
            _ => {
                self.say("finding the endpoints of the latest version…", false);
                self.load_probing(watch_id, true);
            }
        }
    }

    fn load_alerts(&mut self) {
        let t = self.ticket();
        self.tickets.alerts = t;
        self.alerts.loading = true;
        self.alerts.stale = false;
        self.alerts.asked_at = self.clock.now();
        self.effects.push(Effect::Load(t, Request::Alerts));
    }

    /// New alerts may exist: reload the history if it is showing, once the
    /// load on its way (if any) is answered.
    fn refresh_alerts(&mut self) {
        if !self.alerts.open {
            return;
        }
        if self.alerts.loading {
            self.alerts.stale = true;
        } else {
            self.load_alerts();
        }
    }

    fn load_caching(&mut self) {
        let t = self.ticket();
        self.tickets.caching = t;
        self.caching.loading = true;
        self.caching.stale = false;
        self.caching.asked_at = self.clock.now();
        self.effects.push(Effect::Load(t, Request::Caching));
    }

    /// The caching results may have changed: reload them, once the load on
    /// its way (if any) is answered.
    fn refresh_caching(&mut self) {
        if self.caching.loading {
            self.caching.stale = true;
        } else {
            self.load_caching();
        }
    }

    /// Whether the caching pane was on screen in the last frame.
    fn caching_visible(&self) -> bool {
        self.rects.iter().any(|(p, _)| *p == PaneId::Caching)
    }

    /// Follows a change of focus: the caching pane reads fresh results when
    /// it gets the focus.
    fn focus_moved(&mut self, before: PaneId) {
        if self.focus != before && self.focus == PaneId::Caching {
            self.refresh_caching();
        }
    }

    fn open_alerts(&mut self) {
        self.alerts.open = true;
        self.alerts.expanded = false;
        self.load_alerts();
    }

    /// A request whose answer only goes to the status bar.
    fn change(&mut self, request: Request) {
        let t = self.ticket();
        self.effects.push(Effect::Load(t, request));
    }

    fn say(&mut self, message: impl Into<String>, error: bool) {
        self.status.message = Some((message.into(), error));
    }

    pub fn on_event(&mut self, event: AppEvent) {
        match event {
            AppEvent::Input(Event::Key(key)) if key.kind == KeyEventKind::Press => self.on_key(key),
            AppEvent::Input(Event::Mouse(m)) => self.on_mouse(m),
            AppEvent::Input(Event::Resize(..)) => self.dirty = true,
            AppEvent::Input(_) => {}
            AppEvent::Worker(e) => self.on_worker(e),
            AppEvent::Loaded(ticket, loaded) => self.on_loaded(ticket, loaded),
            AppEvent::Note(note) => {
                self.say(note, true);
                self.dirty = true;
            }
            AppEvent::Signal(super::term::TermSignal::Stop(signal)) => {
                self.stopped_by = Some(signal);
                self.quit = true;
            }
            AppEvent::Signal(super::term::TermSignal::Continued) => {
                self.term_request = Some(TermRequest::Retake);
                self.dirty = true;
            }
            AppEvent::Tick => {
                if !self.status.polling.is_empty() {
                    self.status.spinner = self.status.spinner.wrapping_add(1);
                }
                // The sender marks alerts sent in the background (every 2 s):
                // keep an open history current.
                if self.alerts.open
                    && !self.alerts.loading
                    && self.clock.now() - self.alerts.asked_at >= ALERTS_EVERY_MS
                {
                    self.load_alerts();
                }
                if self.caching_visible()
                    && !self.caching.loading
                    && self.clock.now() - self.caching.asked_at >= CACHING_EVERY_MS
                {
                    self.load_caching();
                }
                self.dirty = true;
            }
        }
    }

    fn apply(&mut self, msgs: Vec<Msg>) {
        for msg in msgs {
            match msg {
                Msg::WatchSelected(id) => {
                    let (name, checked) = self
                        .watches
                        .selected()
                        .map(|r| (r.watch.spec.name.clone(), r.watch.last_polled_at))
                        .unwrap_or_default();
                    self.timeline.select_watch(id, &name, checked);
                    self.health.select_watch(id, &name);
                    self.auto_open = true;
                    if let Some(id) = id {
                        self.load_timeline(id);
                        self.load_health(id);
                        self.load_probing(id, false);
                    }
                }
                Msg::OpenPair(p) => self.open_pair(p),
                Msg::Focus(p) => {
                    let before = self.focus;
                    self.focus = p;
                    self.focus_moved(before);
                }
                Msg::LoadCaching => self.refresh_caching(),
                Msg::LoadCacheRequests { target, result_id } => {
                    let t = self.ticket();
                    self.tickets.cache_requests = t;
                    self.effects.push(Effect::Load(
                        t,
                        Request::CacheRequests { target, result_id },
                    ));
                }
                Msg::AskCacheRun { target, models } => {
                    let now = self.clock.now();
                    let msgs = self.caching.ask_run_now(&target, &models, now);
                    if self.caching.confirming().is_some() {
                        let before = self.focus;
                        self.focus = PaneId::Caching;
                        self.focus_moved(before);
                    }
                    self.apply(msgs);
                }
                Msg::RunCacheTest {
                    target,
                    models,
                    force,
                } => {
                    self.say(format!("caching tests of {target} asked for…"), false);
                    self.effects.push(Effect::Worker(Command::CacheTestNow {
                        target,
                        models,
                        force,
                    }));
                }
                Msg::Copy(what, text) => self.put_on_clipboard(format!("the {what}"), text),
                Msg::Status(m, e) => self.say(m, e),
                Msg::LoadEndpointChecks { endpoint_id } => {
                    let t = self.ticket();
                    self.tickets.checks = t;
                    self.effects
                        .push(Effect::Load(t, Request::EndpointChecks { endpoint_id }));
                }
                Msg::LoadCatalogHistory { watch, id } => {
                    let t = self.ticket();
                    self.tickets.catalog_history = t;
                    self.effects
                        .push(Effect::Load(t, Request::CatalogHistory { watch, id }));
                }
                Msg::Locate {
                    index,
                    base_pointer,
                    rev_pointer,
                } => {
                    let t = self.ticket();
                    self.tickets.locate = t;
                    self.effects.push(Effect::Load(
                        t,
                        Request::Locate {
                            index,
                            base_pointer,
                            rev_pointer,
                        },
                    ));
                }
            }
        }
    }

    fn on_loaded(&mut self, ticket: u64, loaded: Loaded) {
        self.dirty = true;
        let now = self.clock.now();
        match loaded {
            Loaded::Watches(result) => {
                if ticket != self.tickets.watches {
                    return;
                }
                match result {
                    Ok(rows) => {
                        let msgs = self.watches.set_rows(rows, now);
                        if let Some(row) = self.watches.selected() {
                            self.timeline.set_last_checked(row.watch.last_polled_at);
                        }
                        self.apply(msgs);
                    }
                    Err(e) => self.watches.error = Some(e),
                }
            }
            Loaded::Timeline(result) => {
                if ticket != self.tickets.timeline {
                    return;
                }
                match result {
                    Ok(t) => {
                        self.timeline.set_timeline(t);
                        if self.auto_open {
                            self.auto_open = false;
                            let newest = self.timeline.versions().next();
                            let showing = self
                                .diff
                                .view
                                .as_ref()
                                .map(|v| &v.request)
                                .or(self.diff.loading.as_ref());
                            let published = self.diff.published();
                            if let Some(seq) = newest
                                && let Some(req) = self.timeline.pair_for(seq, published)
                                && showing != Some(&req)
                            {
                                self.open_pair(req);
                            }
                        }
                    }
                    Err(e) => {
                        self.timeline.loading = false;
                        self.timeline.error = Some(e);
                    }
                }
            }
            Loaded::Pair(result) => {
                if ticket != self.tickets.pair {
                    return;
                }
                match *result {
                    Ok(view) => self.diff.set_view(view),
                    Err(e) => {
                        self.diff.loading = None;
                        self.diff.error = Some(e);
                    }
                }
            }
            Loaded::Located { index, lines } => {
                // Only for the pair shown: a place asked for before the
                // current pair was requested belongs to another pair.
                if ticket == self.tickets.locate && ticket > self.tickets.pair {
                    let msgs = self.diff.located(index, lines);
                    self.apply(msgs);
                }
            }
            Loaded::Health(result) => {
                if ticket != self.tickets.health {
                    return;
                }
                match result {
                    Ok(view) => self.health.set_view(view),
                    Err(e) => self.health.error = Some(e),
                }
            }
            Loaded::Alerts(result) => {
                if ticket != self.tickets.alerts {
                    return;
                }
                self.alerts.loading = false;
                match result {
                    Ok(history) => self.alerts.set_history(history),
                    Err(e) => self.alerts.error = Some(e),
                }
                if self.alerts.stale {
                    self.load_alerts();
                }
            }
            Loaded::Caching(result) => {
                if ticket != self.tickets.caching {
                    return;
                }
                self.caching.loading = false;
                match result {
                    Ok(view) => self.caching.set_view(view),
                    Err(e) => self.caching.error = Some(e),
                }
                if self.caching.stale {
                    self.load_caching();
                }
            }
            Loaded::CacheRequests(result) => {
                if ticket != self.tickets.cache_requests {
                    return;
                }
                self.caching.set_requests(result);
            }
            Loaded::Done(result) => {
                match result {
                    Ok(m) => self.say(m, false),
                    Err(e) => self.say(e, true),
                }
                self.load_watches();
                self.refresh_alerts();
                if let Some(id) = self.health.watch_id {
                    self.load_probing(id, false);
                    self.load_health(id);
                }
            }
            Loaded::Catalog(result) => {
                if ticket == self.tickets.catalog {
                    self.catalog.set_catalog(result);
                }
            }
            Loaded::CatalogHistory(id, result) => {
                if ticket == self.tickets.catalog_history {
                    self.catalog.set_history(&id, result);
                }
            }
            Loaded::EndpointChecks(endpoint_id, result) => {
                if ticket == self.tickets.checks {
                    self.health.set_checks(endpoint_id, result);
                }
            }
            Loaded::Probing(result, asked) => {
                if ticket != self.tickets.probing {
                    return;
                }
                match result {
                    Ok(state) => {
                        if asked && !state.on {
                            self.mode = Mode::Confirm {
                                lines: probing_question(&state),
                                yes: Request::SetProbing {
                                    watch_id: state.watch_id,
                                    on: true,
                                },
                            };
                        }
                        self.health.set_probing(state);
                    }
                    Err(e) => self.say(format!("probing: {e}"), true),
                }
            }
        }
    }

    fn on_worker(&mut self, event: WorkerEvent) {
        self.dirty = true;
        match event {
            WorkerEvent::Polling { name } => {
                self.status.polling.insert(name);
            }
            WorkerEvent::Polled(report) => {
                self.status.polling.remove(&report.name);
                match report.status {
                    PollStatus::New | PollStatus::Changed => {
                        let counts = report
                            .counts
                            .as_ref()
                            .map(|c| {
                                format!(
                                    ": {} errors, {} warnings, {} info",
                                    c.errors, c.warnings, c.infos
                                )
                            })
                            .unwrap_or_default();
                        let seq = report.version.map(|v| format!(" #{v}")).unwrap_or_default();
                        self.say(format!("{}: new version{seq}{counts}", report.name), false);
                        // A catalog view on the latest version follows it.
                        if self.catalog.open
                            && self.catalog.asked.is_none()
                            && self.catalog.watch == report.name
                        {
                            self.load_catalog();
                        }
                        // Follow the newest pair when the selected watch changed.
                        if self
                            .watches
                            .selected()
                            .is_some_and(|r| r.watch.spec.name == report.name)
                        {
                            self.auto_open = true;
                            if let Some(id) = self.timeline.watch_id {
                                self.load_timeline(id);
                            }
                        }
                    }
                    PollStatus::Failed => {
                        let why = report.error.clone().unwrap_or_else(|| "failed".into());
                        self.say(format!("{}: {why}", report.name), true);
                        if self
                            .watches
                            .selected()
                            .is_some_and(|r| r.watch.spec.name == report.name)
                            && let Some(id) = self.timeline.watch_id
                        {
                            self.load_timeline(id);
                        }
                    }
                    _ => {}
                }
                self.load_watches();
                self.refresh_alerts();
            }
            WorkerEvent::AutoPaused { name, reason } => {
                self.say(format!("{name} paused: {reason}"), true);
                self.load_watches();
                self.refresh_alerts();
            }
            WorkerEvent::Idle { next_due_at } => self.status.next_due = next_due_at,
            WorkerEvent::StoreFailed { error } => self.say(format!("store: {error}"), true),
            WorkerEvent::CacheTested {
                name,
                models,
                failed,
            } => {
                if failed > 0 {
                    self.say(
                        format!(
                            "{name}: prompt caching failed for {failed} of {}",
                            crate::text::count(models, "model", "models")
                        ),
                        true,
                    );
                }
                self.caching.run_ended(&name);
                self.refresh_caching();
                self.refresh_alerts();
            }
            WorkerEvent::CacheProgress(progress) => {
                let now = self.clock.now();
                // A model done: its run is in the store now.
                if self.caching.on_progress(*progress, now) {
                    self.refresh_caching();
                }
                if let Some(notice) = self.caching.take_notice() {
                    self.say(notice, true);
                }
            }
            WorkerEvent::ConfigSynced { file, outcome } => {
                match outcome {
                    Ok(summary) => self.say(format!("reloaded {file}: {summary}"), false),
                    Err(e) => self.say(e, true),
                }
                self.load_watches();
                self.refresh_alerts();
                self.refresh_caching();
            }
            WorkerEvent::HealthChecked { name, down, .. } => {
                if down > 0 {
                    self.say(
                        format!(
                            "{name}: {} down",
                            crate::text::plural(down as u64, "endpoint", "endpoints")
                        ),
                        true,
                    );
                }
                self.refresh_alerts();
                if self
                    .watches
                    .selected()
                    .is_some_and(|r| r.watch.spec.name == name)
                    && let Some(id) = self.timeline.watch_id
                {
                    self.load_health(id);
                }
            }
        }
    }

    /// The keymap context of what has the keys.
    pub fn context(&self) -> Context {
        if self.catalog.open && self.catalog.item.is_some() {
            Context::CatalogItem
        } else if self.catalog.open {
            Context::Catalog
        } else if self.alerts.open {
            Context::Alerts
        } else if self.focus == PaneId::Diff && self.diff.findings_focused {
            Context::Findings
        } else {
            self.focus.context()
        }
    }

    fn page(&self) -> usize {
        if self.alerts.open || self.catalog.open {
            return self.alerts.page();
        }
        self.rects
            .iter()
            .find(|(p, _)| *p == self.focus)
            .map_or(10, |(_, r)| r.height.saturating_sub(3).max(1) as usize)
    }

    fn on_key(&mut self, key: KeyEvent) {
        self.dirty = true;
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        // In raw mode Ctrl-z is a key, not SIGTSTP: suspend as a shell
        // user expects, in any mode.
        if key.code == KeyCode::Char('z') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.term_request = Some(TermRequest::Suspend);
            return;
        }
        match std::mem::replace(&mut self.mode, Mode::Normal) {
            Mode::Normal => {}
            Mode::Help { scroll } => {
                let action = self.keymap.action(Context::Global, &key);
                let page = self.help_page();
                let max = self.help_max;
                let to = |s: i32| Mode::Help {
                    scroll: s.clamp(0, i32::from(max)) as u16,
                };
                let at = i32::from(scroll);
                self.mode = match (key.code, action) {
                    (KeyCode::Esc, _) | (_, Some(Action::Help | Action::Quit | Action::Back)) => {
                        Mode::Normal
                    }
                    (_, Some(Action::Down)) => to(at + 1),
                    (_, Some(Action::Up)) => to(at - 1),
                    (_, Some(Action::PageDown)) => to(at + page),
                    (_, Some(Action::PageUp)) => to(at - page),
                    (_, Some(Action::HalfPageDown)) => to(at + page / 2),
                    (_, Some(Action::HalfPageUp)) => to(at - page / 2),
                    (_, Some(Action::Top)) => to(0),
                    (_, Some(Action::Bottom)) => to(i32::from(max)),
                    _ => Mode::Help { scroll },
                };
                return;
            }
            Mode::Filter {
                target: FilterTarget::CatalogWhere,
                mut input,
            } => {
                // Conditions apply on Enter: half-typed ones do not read.
                match key.code {
                    KeyCode::Esc => {
                        let _ = self.catalog.set_wheres("");
                    }
                    KeyCode::Enter => {
                        if let Err(e) = self.catalog.set_wheres(&input) {
                            self.say(e, true);
                            self.mode = Mode::Filter {
                                target: FilterTarget::CatalogWhere,
                                input,
                            };
                        }
                    }
                    KeyCode::Backspace => {
                        input.pop();
                        self.mode = Mode::Filter {
                            target: FilterTarget::CatalogWhere,
                            input,
                        };
                    }
                    KeyCode::Char(c) => {
                        input.push(c);
                        self.mode = Mode::Filter {
                            target: FilterTarget::CatalogWhere,
                            input,
                        };
                    }
                    _ => {
                        self.mode = Mode::Filter {
                            target: FilterTarget::CatalogWhere,
                            input,
                        }
                    }
                }
                return;
            }
            Mode::Filter { target, mut input } => {
                match key.code {
                    KeyCode::Esc => {
                        input.clear();
                        self.apply_filter(target, "");
                    }
                    KeyCode::Enter if target == FilterTarget::Pane(PaneId::Diff) => {
                        let note = self.diff.count_matches();
                        self.apply(note.into_iter().collect());
                    }
                    KeyCode::Enter => {}
                    KeyCode::Backspace => {
                        input.pop();
                        self.apply_filter(target, &input.clone());
                        self.mode = Mode::Filter { target, input };
                    }
                    KeyCode::Char(c) => {
                        input.push(c);
                        self.apply_filter(target, &input.clone());
                        self.mode = Mode::Filter { target, input };
                    }
                    _ => self.mode = Mode::Filter { target, input },
                }
                return;
            }
            Mode::Command { mut line } => {
                match line.key(key, &self.command_history) {
                    Edit::Cancel => {}
                    Edit::Submit => {
                        let text = line.text();
                        if !text.trim().is_empty() && self.command_history.last() != Some(&text) {
                            self.command_history.push(text.clone());
                        }
                        self.run_command(&text);
                    }
                    Edit::Complete => {
                        let candidates = self.completions(&line);
                        let matches = line.complete(&candidates);
                        if matches.len() > 1 {
                            self.say(matches.join("  "), false);
                        } else if matches.is_empty() {
                            self.say("nothing to complete", false);
                        }
                        self.mode = Mode::Command { line };
                    }
                    Edit::Editing => self.mode = Mode::Command { line },
                }
                return;
            }
            Mode::Confirm { lines, yes } => {
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') => self.change(yes),
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                        self.say("cancelled: nothing changed", false)
                    }
                    _ => self.mode = Mode::Confirm { lines, yes },
                }
                return;
            }
            Mode::Form(mut form) => {
                match form.on_key(key) {
                    FormOutcome::Editing => self.mode = Mode::Form(form),
                    FormOutcome::Cancelled => self.say("add cancelled", false),
                    FormOutcome::Submit(spec) => {
                        let name = spec.name.clone();
                        self.change(Request::AddWatch(*spec));
                        self.effects
                            .push(Effect::Worker(Command::PollNow(vec![name])));
                    }
                }
                return;
            }
        }
        let Some(action) = self.keymap.action(self.context(), &key) else {
            return;
        };
        self.on_action(action);
    }

    fn apply_filter(&mut self, target: FilterTarget, text: &str) {
        let msgs = match target {
            FilterTarget::Pane(PaneId::Watches) => self.watches.set_filter(text),
            FilterTarget::Pane(PaneId::Timeline) => {
                self.timeline.set_filter(text);
                Vec::new()
            }
            FilterTarget::Pane(PaneId::Diff) => self.diff.set_search(text),
            FilterTarget::Findings => self.diff.set_finding_filter(text),
            FilterTarget::Alerts => {
                self.alerts.set_filter(text);
                Vec::new()
            }
            FilterTarget::Catalog => {
                self.catalog.set_search(text);
                Vec::new()
            }
            _ => Vec::new(),
        };
        self.apply(msgs);
    }

    /// An action while the alert history is open. Returns whether the
    /// dashboard-wide handling should still see it (quit, help, commands,
    /// polls, and pane switches, which close the history first).
    fn on_alerts_action(&mut self, action: Action) -> bool {
        if let Some(msgs) = self.alerts.handle(action) {
            self.apply(msgs);
            return false;
        }
        match action {
            Action::Back | Action::Alerts => {
                self.alerts.open = false;
                false
            }
            Action::Filter => {
                self.mode = Mode::Filter {
                    target: FilterTarget::Alerts,
                    input: self.alerts.filter.clone(),
                };
                false
            }
            Action::NextPane | Action::PrevPane | Action::FocusPane(_) => {
                self.alerts.open = false;
                true
            }
            Action::Quit
            | Action::Help
            | Action::Command
            | Action::Refresh
            | Action::RefreshAll => true,
            _ => false,
        }
    }

    /// An action while the catalog view is open; as
    /// [`App::on_alerts_action`].
    fn on_catalog_action(&mut self, action: Action) -> bool {
        if let Some(msgs) = self.catalog.handle(action) {
            self.apply(msgs);
            return false;
        }
        match action {
            Action::Back => {
                self.catalog.open = false;
                false
            }
            Action::Filter if self.catalog.item.is_none() => {
                self.mode = Mode::Filter {
                    target: FilterTarget::Catalog,
                    input: self.catalog.search.clone(),
                };
                false
            }
            Action::Where if self.catalog.item.is_none() => {
                self.mode = Mode::Filter {
                    target: FilterTarget::CatalogWhere,
                    input: self.catalog.wheres.clone(),
                };
                false
            }
            Action::NextPane | Action::PrevPane | Action::FocusPane(_) | Action::Alerts => {
                self.catalog.open = false;
                true
            }
            Action::Quit
            | Action::Help
            | Action::Command
            | Action::Refresh
            | Action::RefreshAll => true,
            _ => false,
        }
    }

    pub fn on_action(&mut self, action: Action) {
        let before = self.focus;
        self.act(action);
        self.focus_moved(before);
    }

    fn act(&mut self, action: Action) {
        self.dirty = true;
        let page = self.page();
        if self.catalog.open {
            if !self.on_catalog_action(action) {
                return;
            }
        } else if self.alerts.open {
            if !self.on_alerts_action(action) {
                return;
            }
        } else {
            // The focused pane first: it may give a key its own meaning.
            let handled = match self.focus {
                PaneId::Watches => self.watches.handle(action, page),
                PaneId::Timeline => self.timeline.handle(action, page, self.diff.published()),
                PaneId::Diff => self.diff.handle(action),
                PaneId::Health => self.health.handle(action, page),
                PaneId::Caching => self.caching.handle(action, page),
            };
            if let Some(msgs) = handled {
                self.apply(msgs);
                return;
            }
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Back => {
                if self.zoom {
                    self.zoom = false;
                } else if self.focus != PaneId::Watches {
                    self.focus = match self.focus {
                        PaneId::Diff => PaneId::Timeline,
                        _ => PaneId::Watches,
                    };
                }
            }
            Action::NextPane => self.focus = self.focus.next(true),
            Action::PrevPane => self.focus = self.focus.next(false),
            Action::FocusPane(n) => {
                if let Some(p) = PaneId::from_number(n) {
                    self.focus = p;
                }
            }
            Action::Zoom => self.zoom = !self.zoom,
            Action::Filter => {
                let findings = self.focus == PaneId::Diff && self.diff.findings_focused;
                let current = match self.focus {
                    PaneId::Watches => self.watches.filter.clone(),
                    PaneId::Timeline => self.timeline.filter.clone(),
                    PaneId::Diff if findings => self.diff.finding_filter.clone(),
                    PaneId::Diff => self.diff.search.clone(),
                    _ => {
                        self.say("nothing to filter here", false);
                        return;
                    }
                };
                self.mode = Mode::Filter {
                    target: if findings {
                        FilterTarget::Findings
                    } else {
                        FilterTarget::Pane(self.focus)
                    },
                    input: current,
                };
            }
            Action::Alerts => self.open_alerts(),
            Action::Catalog => self.open_selected_catalog(),
            Action::Copy => self.copy(),
            Action::ToggleProbing if self.focus == PaneId::Health => self.toggle_probing(),
            Action::Command => {
                self.mode = Mode::Command {
                    line: LineEditor::new(),
                }
            }
            Action::AddWatch => self.mode = Mode::Form(AddForm::new()),
            Action::Refresh => match self.watches.selected() {
                Some(r) => {
                    let name = r.watch.spec.name.clone();
                    self.say(format!("polling {name}…"), false);
                    self.effects
                        .push(Effect::Worker(Command::PollNow(vec![name])));
                }
                None => self.say("no watch selected", false),
            },
            Action::RefreshAll => {
                self.say("polling every watch…", false);
                self.effects.push(Effect::Worker(Command::PollAll));
            }
            Action::Pause => match self.watches.selected() {
                Some(r) if r.watch.paused => {
                    let name = r.watch.spec.name.clone();
                    self.change(Request::Resume(name));
                }
                Some(r) => {
                    let name = r.watch.spec.name.clone();
                    self.change(Request::Pause(name));
                }
                None => self.say("no watch selected", false),
            },
            Action::NextMatch | Action::PrevMatch => {
                // In lists the filter already narrows the rows; n/N move
                // between them.
                let a = if action == Action::NextMatch {
                    Action::Down
                } else {
                    Action::Up
                };
                let msgs = match self.focus {
                    PaneId::Watches => self.watches.handle(a, page),
                    PaneId::Timeline => self.timeline.handle(a, page, self.diff.published()),
                    _ => None,
                };
                if let Some(m) = msgs {
                    self.apply(m);
                }
            }
            _ => {}
        }
    }

    /// `y`: what the focused pane has selected goes to the terminal's
    /// clipboard with OSC 52 (through SSH, and through tmux with
    /// `set-clipboard on`).
    fn copy(&mut self) {
        let what = match self.focus {
            PaneId::Diff => self.diff.copy_text(),
            PaneId::Health => self.health.copy_text(),
            _ => None,
        };
        match what {
            Some((what, text)) => self.put_on_clipboard(what, text),
            None => self.say("nothing to copy here", false),
        }
    }

    /// Hands `text` to the event loop for the clipboard, or says why not.
    fn put_on_clipboard(&mut self, what: String, text: String) {
        if text.len() > super::term::OSC52_MAX {
            self.say(
                format!(
                    "not copied: {} bytes is more than a terminal takes through OSC 52 ({} bytes)",
                    text.len(),
                    super::term::OSC52_MAX
                ),
                true,
            );
            return;
        }
        self.say(
            format!(
                "copied {what} ({}) to the clipboard with OSC 52",
                crate::text::plural(text.len() as u64, "byte", "bytes")
            ),
            false,
        );
        self.clipboard = Some(text);
    }

    fn selected_name(&self) -> Option<String> {
        self.watches.selected().map(|r| r.watch.spec.name.clone())
    }

    /// Runs a `:` command line.
    pub fn run_command(&mut self, line: &str) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((&cmd, args)) = words.split_first() else {
            return;
        };
        let name_or_selected = |app: &App| -> Option<String> {
            args.first()
                .map(|s| s.to_string())
                .or_else(|| app.selected_name())
        };
        match cmd {
            "q" | "quit" => self.quit = true,
            "help" | "h" => self.mode = Mode::Help { scroll: 0 },
            "add" => {
                let mut form = AddForm::new();
                form.prefill(args);
                self.mode = Mode::Form(form);
            }
            "remove" | "rm" => match args.first() {
                Some(name) => {
                    let versions = self
                        .watches
                        .rows()
                        .iter()
                        .find(|r| r.watch.spec.name == *name)
                        .map(|r| r.latest.as_ref().map_or(0, |v| v.seq));
                    match versions {
                        Some(n) => {
                            self.mode = Mode::Confirm {
                                lines: vec![
                                    format!(
                                        "Remove the watch {} and its {} (up to #{n})?",
                                        crate::text::line(name),
                                        "versions".to_string()
                                    ),
                                    "Its history, endpoints and findings go with it; this cannot be undone.".into(),
                                ],
                                yes: Request::RemoveWatch(name.to_string()),
                            }
                        }
                        None => self.say(
                            format!("there is no watch named `{}`", crate::text::line(name)),
                            true,
                        ),
                    }
                }
                None => self.say(
                    "`:remove NAME` — name the watch, so nothing is removed by accident",
                    true,
                ),
            },
            "pause" | "resume" => match name_or_selected(self) {
                Some(name) if cmd == "pause" => self.change(Request::Pause(name)),
                Some(name) => self.change(Request::Resume(name)),
                None => self.say("no watch selected", true),
            },
            "refresh" | "r" => match args.first() {
                Some(&"all") => self.effects.push(Effect::Worker(Command::PollAll)),
                Some(_) => self.effects.push(Effect::Worker(Command::PollNow(
                    args.iter().map(|s| s.to_string()).collect(),
                ))),
                None => self.on_action(Action::Refresh),
            },
            "diff" => self.command_diff(args),
            "cache-test" => match args.split_first() {
                Some((target, models)) => self.apply(vec![Msg::AskCacheRun {
                    target: target.to_string(),
                    models: models.iter().map(|m| m.to_string()).collect(),
                }]),
                None => self.say(
                    "`:cache-test NAME [MODEL…]` — name the caching target to run now",
                    true,
                ),
            },
            "export" => self.command_export(args.first().copied()),
            "catalog" => match args.first() {
                Some(target) => match target.split_once('@') {
                    Some((name, r)) => self.open_catalog(name, Some(r.to_owned())),
                    None => self.open_catalog(target, None),
                },
                None => self.open_selected_catalog(),
            },
            "alerts" | "alert" => match args.first() {
                None => self.open_alerts(),
                Some(s) => match StatusFilter::parse(s) {
                    Some(status) => {
                        self.alerts.set_status(status);
                        self.open_alerts();
                    }
                    None => self.say(
                        format!("`:alerts [all|pending|failed|sent]`: no status `{s}`"),
                        true,
                    ),
                },
            },
            other => self.say(
                format!(
                    "unknown command `{other}`: add, remove, pause, resume, refresh, diff, export, alerts, catalog, cache-test, quit"
                ),
                true,
            ),
        }
    }

    /// What Tab completes the word under the cursor from: commands first,
    /// then watch names (with `@` after them for `:diff`).
    fn completions(&self, line: &LineEditor) -> Vec<String> {
        let (index, _) = line.word();
        if index == 0 {
            return COMMANDS.iter().map(|c| c.to_string()).collect();
        }
        let command = line.text();
        let command = command.split_whitespace().next().unwrap_or("");
        let names = self
            .watches
            .rows()
            .iter()
            .map(|r| r.watch.spec.name.clone());
        match command {
            "diff" => names.map(|n| format!("{n}@")).collect(),
            "catalog" => self
                .watches
                .rows()
                .iter()
                .filter(|r| r.watch.spec.kind == crate::watch::Kind::Json)
                .map(|r| r.watch.spec.name.clone())
                .collect(),
            "refresh" | "r" => names.chain(["all".to_string()]).collect(),
            "alerts" | "alert" => ["all", "pending", "failed", "sent"]
                .map(String::from)
                .to_vec(),
            _ => names.collect(),
        }
    }

    /// `:diff A B`: two versions, `NAME@N` (the watch named) or `N`/`#N`
    /// (the selected watch); both of one watch.
    fn command_diff(&mut self, args: &[&str]) {
        let usage = "`:diff A B`: two versions of one watch, as NAME@N or N (the selected watch)";
        let parse = |s: &str| -> Option<(Option<String>, i64)> {
            let (name, n) = match s.rsplit_once('@') {
                Some((name, n)) => (Some(name.to_string()), n),
                None => (None, s),
            };
            Some((name, n.trim_start_matches('#').parse::<i64>().ok()?))
        };
        let (Some((name_a, a)), Some((name_b, b)), None) = (
            args.first().and_then(|s| parse(s)),
            args.get(1).and_then(|s| parse(s)),
            args.get(2),
        ) else {
            self.say(usage, true);
            return;
        };
        let name = match (name_a, name_b) {
            (Some(x), Some(y)) if x != y => {
                self.say(
                    format!(
                        "`:diff` compares two versions of one watch, not {} and {}",
                        crate::text::line(&x),
                        crate::text::line(&y)
                    ),
                    true,
                );
                return;
            }
            (Some(x), _) | (None, Some(x)) => Some(x),
            (None, None) => None,
        };
        let (watch_id, latest) = match &name {
            Some(n) => match self.watches.rows().iter().find(|r| r.watch.spec.name == *n) {
                Some(r) => (r.watch.id, r.latest.as_ref().map_or(0, |v| v.seq)),
                None => {
                    self.say(
                        format!("there is no watch named `{}`", crate::text::line(n)),
                        true,
                    );
                    return;
                }
            },
            None => match self.timeline.watch_id {
                Some(id) => (id, self.timeline.versions().max().unwrap_or(0)),
                None => {
                    self.say("no watch selected: name it, `:diff NAME@N NAME@M`", true);
                    return;
                }
            },
        };
        if let Some(missing) = [a, b].into_iter().find(|s| *s < 1 || *s > latest) {
            let who = name
                .as_deref()
                .map_or("the selected watch".into(), crate::text::line);
            self.say(
                format!("there is no version #{missing} of {who} (it has #1 to #{latest})"),
                true,
            );
            return;
        }
        self.open_pair(PairRequest {
            watch_id,
            base_seq: a.min(b),
            rev_seq: a.max(b),
            published: self.diff.published(),
        });
        self.focus = PaneId::Diff;
    }

    /// `:export [FILE]`: the findings of the pair shown, as Markdown.
    fn command_export(&mut self, file: Option<&str>) {
        let Some(view) = &self.diff.view else {
            self.say("open a pair of versions first", true);
            return;
        };
        let r = view.request.clone();
        let path = file.map(std::path::PathBuf::from).unwrap_or_else(|| {
            format!("{}-{}-{}.md", view.watch_name, r.base_seq, r.rev_seq).into()
        });
        self.change(Request::Export { pair: r, path });
    }

    fn on_mouse(&mut self, m: MouseEvent) {
        if self.catalog.open || self.alerts.open {
            // A view over the panes (the catalog, the alert history): the
            // wheel moves its selection, three rows a notch.
            let action = match m.kind {
                MouseEventKind::ScrollDown => Action::Down,
                MouseEventKind::ScrollUp => Action::Up,
                _ => return,
            };
            for _ in 0..3 {
                if self.catalog.open {
                    self.catalog.handle(action);
                } else {
                    self.alerts.handle(action);
                }
            }
            self.dirty = true;
            return;
        }
        let at = Position::new(m.column, m.row);
        let Some(pane) = self
            .rects
            .iter()
            .find(|(_, r)| r.contains(at))
            .map(|(p, _)| *p)
        else {
            return;
        };
        self.dirty = true;
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let before = self.focus;
                self.focus = pane;
                self.focus_moved(before);
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let action = if m.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                let focus = self.focus;
                self.focus = pane;
                for _ in 0..3 {
                    self.on_action(action);
                }
                self.focus = focus;
            }
            _ => {}
        }
    }

    // ---- drawing ----

    pub fn draw(&mut self, f: &mut Frame) {
        self.dirty = false;
        let area = f.area();
        if let Some(note) = self.diff.run_pending_search() {
            self.apply(vec![note]);
        }
        let base = Block::default().style(self.theme.base());
        f.render_widget(base, area);
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let text = format!(
                "The terminal is {}×{}; apiradar needs at least {MIN_WIDTH}×{MIN_HEIGHT}. Enlarge it, or press q to quit.",
                area.width, area.height
            );
            f.render_widget(
                Paragraph::new(text)
                    .style(self.theme.base())
                    .wrap(Wrap { trim: true }),
                area,
            );
            self.rects.clear();
            return;
        }
        let [body, status, keys] = Layout::vertical([
            Constraint::Fill(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(area);
        let now = self.clock.now();
        self.rects = if self.catalog.open {
            let cx = DrawCx {
                theme: &self.theme,
                now,
                focused: true,
            };
            self.catalog.draw(f, body, &cx);
            Vec::new()
        } else if self.alerts.open {
            self.alerts.open_keys = self.keymap.keys_for(Context::Alerts, Action::Open);
            self.alerts.scroll_keys = [Action::HalfPageDown, Action::HalfPageUp]
                .map(|a| self.keymap.keys_for(Context::Alerts, a))
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect::<Vec<_>>()
                .join("/");
            let cx = DrawCx {
                theme: &self.theme,
                now,
                focused: true,
            };
            self.alerts.draw(f, body, &cx);
            Vec::new()
        } else {
            self.layout(body)
        };
        for (pane, rect) in self.rects.clone() {
            let cx = DrawCx {
                theme: &self.theme,
                now,
                focused: pane == self.focus,
            };
            match pane {
                PaneId::Watches => self.watches.draw(f, rect, &cx),
                PaneId::Timeline => self.timeline.draw(f, rect, &cx),
                PaneId::Diff => self.diff.draw(f, rect, &cx),
                PaneId::Health => self.health.draw(f, rect, &cx),
                PaneId::Caching => self.caching.draw(f, rect, &cx),
            }
        }
        if let Some(tabs) = self
            .tabs_area(body)
            .filter(|_| !self.alerts.open && !self.catalog.open)
        {
            self.draw_tabs(f, tabs);
        }
        self.draw_status(f, status, now);
        self.draw_keys(f, keys);
        match &self.mode {
            Mode::Help { scroll } => {
                let scroll = *scroll;
                self.help_max = self.draw_help(f, body, scroll);
            }
            Mode::Form(form) => form.draw(f, body, &self.theme),
            Mode::Confirm { lines, .. } => draw_confirm(f, body, lines, &self.theme),
            _ => {}
        }
    }

    /// Whether panes are shown one at a time (narrow terminals, zoom).
    fn single(&self, body: Rect) -> bool {
        self.zoom || body.width < WIDE
    }

    fn tabs_area(&self, body: Rect) -> Option<Rect> {
        (body.width < WIDE && !self.zoom).then(|| Rect::new(body.x, body.y, body.width, 1))
    }

    /// Where each pane goes.
    fn layout(&self, body: Rect) -> Vec<(PaneId, Rect)> {
        if self.single(body) {
            let area = match self.tabs_area(body) {
                Some(_) => Rect::new(body.x, body.y + 1, body.width, body.height - 1),
                None => body,
            };
            return vec![(self.focus, area)];
        }
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                .areas(body);
        let bottom = if left.height >= 30 { 8 } else { 6 };
        let [watches, timeline, lower] = Layout::vertical([
            Constraint::Percentage(35),
            Constraint::Fill(1),
            Constraint::Length(bottom),
        ])
        .areas(left);
        let [health, caching] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(lower);
        vec![
            (PaneId::Watches, watches),
            (PaneId::Timeline, timeline),
            (PaneId::Diff, right),
            (PaneId::Health, health),
            (PaneId::Caching, caching),
        ]
    }

    fn draw_tabs(&self, f: &mut Frame, area: Rect) {
        let mut spans = Vec::new();
        for p in PaneId::ALL {
            let style = if p == self.focus {
                self.theme.selection(true)
            } else {
                self.theme.dim()
            };
            spans.push(Span::styled(
                format!(" {} {} ", p.number(), p.title()),
                style,
            ));
            spans.push(Span::raw(" "));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn draw_status(&self, f: &mut Frame, area: Rect, now: i64) {
        const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];
        let theme = &self.theme;
        let mut left = Vec::new();
        if self.status.polling.is_empty() {
            let next = self
                .status
                .next_due
                .map(|t| format!("idle · next poll {}", until(now, t)))
                .unwrap_or_else(|| "idle".into());
            left.push(Span::styled(format!(" {next} "), theme.status_bar()));
        } else {
            let names: Vec<&str> = self.status.polling.iter().map(String::as_str).collect();
            left.push(Span::styled(
                format!(" {} ", SPINNER[self.status.spinner % SPINNER.len()]),
                theme.spinner(),
            ));
            left.push(Span::styled(
                format!("polling {} ", names.join(", ")),
                theme.status_bar(),
            ));
        }
        let failing = self
            .watches
            .rows()
            .iter()
            .filter(|r| r.watch.consecutive_failures > 0 && !r.watch.paused)
            .count();
        let right = format!(
            " {}{} ",
            crate::text::count(self.watches.rows().len(), "watch", "watches"),
            if failing > 0 {
                format!(" · {failing} failing")
            } else {
                String::new()
            }
        );
        let used: usize = left
            .iter()
            .map(|s| s.content.chars().count())
            .sum::<usize>()
            + right.chars().count();
        if let Some((m, error)) = &self.status.message {
            let room = (area.width as usize).saturating_sub(used + 1);
            let style = if *error {
                theme.input_error()
            } else {
                theme.status_bar()
            };
            left.push(Span::styled(fit(m, room), style));
        }
        let used: usize = left.iter().map(|s| s.content.chars().count()).sum();
        let pad = (area.width as usize).saturating_sub(used + right.chars().count());
        left.push(Span::styled(" ".repeat(pad), theme.status_bar()));
        left.push(Span::styled(right, theme.status_bar()));
        f.render_widget(
            Paragraph::new(Line::from(left)).style(theme.status_bar()),
            area,
        );
    }

    fn draw_keys(&self, f: &mut Frame, area: Rect) {
        let theme = &self.theme;
        // The line being typed replaces the key bar.
        let typing = match &self.mode {
            Mode::Filter {
                input,
                target: FilterTarget::CatalogWhere,
            } => Some((
                "where ",
                input.clone(),
                "Enter applies · Esc clears · FIELD OP VALUE (< <= > >= = != ~), joined by `and`",
            )),
            Mode::Filter { input, target } => Some((
                if matches!(
                    target,
                    FilterTarget::Pane(PaneId::Diff) | FilterTarget::Catalog
                ) {
                    "search "
                } else {
                    "filter "
                },
                format!("/{input}"),
                "Enter keeps · Esc clears",
            )),
            Mode::Command { line } => Some((
                "",
                {
                    // The cursor is drawn where it is, not at the end.
                    let text = line.text();
                    let at = text
                        .char_indices()
                        .nth(line.cursor())
                        .map_or(text.len(), |(i, _)| i);
                    format!(":{}▏{}", &text[..at], &text[at..])
                },
                "Tab completes · ↑/↓ history · add · remove NAME · pause · resume · refresh [all] · diff A@N B@M · export [FILE] · alerts · catalog [NAME] · quit",
            )),
            _ => None,
        };
        if let Some((label, text, hint)) = typing {
            let line = Line::from(vec![
                Span::styled(label, theme.dim()),
                Span::styled(format!("{text}▏"), theme.input()),
                Span::styled(format!("   {hint}"), theme.dim()),
            ]);
            f.render_widget(Paragraph::new(line), area);
            return;
        }
        // The focused pane's (or the alert history's) own keys, then the
        // global ones used most; help and quit always show, at the right.
        let context = self.context();
        let global = |action, label: &str| {
            let keys = self.keymap.keys_for(context, action);
            (!keys.is_empty()).then(|| (keys, label.to_string()))
        };
        let mut hints = self.keymap.hints(context, false);
        // While a search is active, `n`/`N` in the diff go from match to
        // match: say so, with the count.
        if context == Context::Diff
            && let Some(count) = self.diff.match_count()
        {
            for (action, label) in [
                (Action::NextChange, format!("Next match {count}")),
                (Action::PrevChange, "Previous match".to_string()),
            ] {
                let keys = self.keymap.keys_for(context, action);
                for hint in hints.iter_mut().filter(|(k, _)| *k == keys) {
                    hint.1 = label.clone();
                }
            }
        }
        let common: &[(Action, &str)] = if self.catalog.open {
            &[(Action::Command, "command")]
        } else if self.alerts.open {
            &[(Action::Filter, "filter"), (Action::Command, "command")]
        } else {
            &[
                (Action::Open, "open"),
                (Action::Filter, "filter"),
                (Action::NextPane, "pane"),
                (Action::Refresh, "refresh"),
                (Action::Command, "command"),
                (Action::Zoom, "zoom"),
                (Action::Alerts, "alerts"),
            ]
        };
        // A pane that binds a common action itself already names it.
        let common: Vec<(String, String)> = common
            .iter()
            .filter_map(|&(a, l)| global(a, l))
            .filter(|(keys, _)| !hints.iter().any(|(k, _)| k == keys))
            .collect();
        hints.extend(common);
        let fixed: Vec<(String, String)> = [(Action::Help, "help"), (Action::Quit, "quit")]
            .into_iter()
            .filter_map(|(a, l)| global(a, l))
            .collect();
        let width = |(k, d): &(String, String)| k.chars().count() + d.chars().count() + 3;
        let room = (area.width as usize).saturating_sub(fixed.iter().map(width).sum());
        let mut spans = Vec::new();
        let mut used = 0;
        let push = |(keys, desc): (String, String), spans: &mut Vec<Span>| {
            spans.push(Span::styled(format!(" {keys}"), theme.key_hint_key()));
            spans.push(Span::styled(format!(" {desc} "), theme.key_hint()));
        };
        for hint in hints {
            let len = width(&hint);
            if used + len > room {
                continue;
            }
            used += len;
            push(hint, &mut spans);
        }
        spans.push(Span::raw(" ".repeat(room - used)));
        for hint in fixed {
            push(hint, &mut spans);
        }
        f.render_widget(
            Paragraph::new(Line::from(spans)).style(theme.key_hint()),
            area,
        );
    }

    /// Lines of help on one screen, as last drawn.
    fn help_page(&self) -> i32 {
        self.rects
            .first()
            .map_or(10, |(_, r)| i32::from(r.height.saturating_sub(4)).max(1))
    }

    /// The help overlay; returns how far it can scroll.
    fn draw_help(&self, f: &mut Frame, body: Rect, scroll: u16) -> u16 {
        let theme = &self.theme;
        let area = centered(
            body,
            body.width.saturating_sub(8).min(90),
            body.height.saturating_sub(2),
        );
        f.render_widget(Clear, area);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(" Help · keys from the keymap (Esc closes) ")
            .style(theme.popup());
        let mut lines = Vec::new();
        let section = |title: &str, ctx: Context, lines: &mut Vec<Line>| {
            let hints = self.keymap.hints(ctx, false);
            if hints.is_empty() {
                return;
            }
            lines.push(Line::from(Span::styled(
                title.to_string(),
                theme.title(true),
            )));
            for (k, d) in hints {
                lines.push(Line::from(vec![
                    Span::styled(format!("  {k:<18}"), theme.key_hint_key()),
                    Span::raw(d),
                ]));
            }
            lines.push(Line::default());
        };
        let here = self.context();
        let (title, ctx) = match here {
            Context::Findings => ("Findings list", Context::Findings),
            Context::Alerts => ("Alert history", Context::Alerts),
            Context::Catalog => ("Catalog", Context::Catalog),
            Context::CatalogItem => ("Catalog item", Context::CatalogItem),
            _ => (self.focus.title(), here),
        };
        section(&format!("{title} (focused)"), ctx, &mut lines);
        section("Everywhere", Context::Global, &mut lines);
        for (t, c) in [
            ("Watched APIs", Context::Watches),
            ("Timeline", Context::Timeline),
            ("Diff", Context::Diff),
            ("Findings list", Context::Findings),
            ("Endpoint health", Context::Health),
            ("Caching tests", Context::Caching),
            ("Alert history", Context::Alerts),
            ("Catalog", Context::Catalog),
            ("Catalog item", Context::CatalogItem),
        ] {
            if c != ctx {
                section(t, c, &mut lines);
            }
        }
        lines.push(Line::from(Span::styled("Commands (:)", theme.title(true))));
        for (c, d) in [
            ("add [NAME URL]", "add a watch (opens the form)"),
            ("remove NAME", "remove a watch and its history (asks first)"),
            ("pause / resume [NAME]", "stop or restart polling"),
            ("refresh [NAME…|all]", "poll now"),
            (
                "diff A@N B@M",
                "compare two versions of a watch (N M: the selected one)",
            ),
            ("export [FILE]", "write the findings shown as Markdown"),
            (
                "alerts [STATUS]",
                "the alert history (all, pending, failed, sent)",
            ),
            (
                "catalog [NAME[@N]]",
                "the items of a json watch (the selected one)",
            ),
            ("quit", "leave"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {c:<22}"), theme.key_hint_key()),
                Span::raw(d),
            ]));
        }
        let visible = area.height.saturating_sub(2);
        let max = (lines.len() as u16).saturating_sub(visible);
        let scroll = scroll.min(max);
        let mut block = block;
        if scroll < max {
            block = block.title_bottom(
                Line::from(Span::styled(
                    format!(" ↓ {} more below (j, PgDn, G) ", max - scroll),
                    theme.key_hint_key(),
                ))
                .right_aligned(),
            );
        }
        if scroll > 0 {
            block = block.title_bottom(Line::from(Span::styled(
                format!(" ↑ {scroll} above "),
                theme.dim(),
            )));
        }
        f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), area);
        max
    }
}

/// The `:` commands, for Tab completion.
const COMMANDS: &[&str] = &[
    "add",
    "alerts",
    "cache-test",
    "catalog",
    "diff",
    "export",
    "help",
    "pause",
    "quit",
    "refresh",
    "remove",
    "resume",
];

/// The question before probing is turned on, with what it would probe.
fn probing_question(p: &crate::app::health::ProbingState) -> Vec<String> {
    let name = crate::text::line(&p.watch).into_owned();
    let mut lines = vec![format!("Turn probing on for {name}?")];
    if p.endpoints == 0 {
        lines.push("No endpoint would be probed yet: the latest version describes none that can be (GET or HEAD with examples for the required parameters).".into());
    } else {
        let hosts = p
            .hosts
            .iter()
            .take(3)
            .map(|h| crate::text::line(h).into_owned())
            .collect::<Vec<_>>()
            .join(", ");
        let more = if p.hosts.len() > 3 {
            format!(" and {} more", p.hosts.len() - 3)
        } else {
            String::new()
        };
        lines.push(format!(
            "{} on {} ({hosts}{more}) will be requested every 5 minutes while apiradar runs.",
            crate::text::plural(p.endpoints as u64, "endpoint", "endpoints"),
            crate::text::plural(p.hosts.len() as u64, "host", "hosts"),
        ));
    }
    if let Some(e) = &p.discovery_error {
        lines.push(format!(
            "The latest version could not be read: {}",
            crate::text::line(e)
        ));
    }
    lines
}

/// A confirmation over the panes.
fn draw_confirm(f: &mut Frame, body: Rect, lines: &[String], theme: &Theme) {
    let width = body.width.saturating_sub(4).min(72);
    let inner_width = width.saturating_sub(2).max(1) as usize;
    let text_lines: usize = lines
        .iter()
        .map(|l| l.chars().count().div_ceil(inner_width).max(1))
        .sum();
    let height = (text_lines as u16 + 4).min(body.height);
    let area = centered(body, width, height);
    f.render_widget(Clear, area);
    let mut text: Vec<Line> = lines.iter().map(|l| Line::from(l.clone())).collect();
    text.push(Line::default());
    text.push(Line::from(vec![
        Span::styled(" y ", theme.key_hint_key()),
        Span::raw("yes   "),
        Span::styled(" n/esc ", theme.key_hint_key()),
        Span::raw("no"),
    ]));
    f.render_widget(
        Paragraph::new(text)
            .block(
                Block::bordered()
                    .border_type(BorderType::Rounded)
                    .title(" Confirm ")
                    .style(theme.popup()),
            )
            .wrap(Wrap { trim: true }),
        area,
    );
}
