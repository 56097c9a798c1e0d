//! The dashboard, driven through key sequences against a real SQLite file,
//! with its loader run inline, and drawn into ratatui's `TestBackend`:
//! insta snapshots of every pane (styles included), and the flows a user
//! goes through (select a watch, open a pair, jump to a finding, filter,
//! mark and compare, help, quit).

use std::path::Path;

use apiradar::pipeline::worker::Command;
use apiradar::spec::{self, NormalizeOptions};
use apiradar::store::{FailureRecord, RunInfo, Store, SuccessRecord};
use apiradar::tui::app::{App, AppEvent, Clock, Effect};
use apiradar::tui::data::{Loader, Request};
use apiradar::tui::keymap::Keymap;
use apiradar::tui::panes::PaneId;
use apiradar::tui::theme::{ColorDepth, Theme};
use apiradar::watch::{Kind, WatchSpec};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// 2030-06-01 12:00 UTC: the dashboard's "now" in these tests. Versions
/// are recorded at fixed times before it, so screens are the same on any
/// day. (It lies in the future because the store refuses a version
/// fetched before the previous one was recorded, and that is real time.)
pub(crate) const NOW: i64 = 1_906_545_600_000;
pub(crate) const HOUR: i64 = 3_600_000;

fn demo_file(n: u32) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("assets/demo/petstore-{n}.yaml"));
    std::fs::read(path).expect("the demo petstore files")
}

/// Records `raw` as a version of watch `id` fetched at `at`, with its
/// finding counts, as a poll would.
pub(crate) fn record(store: &mut Store, id: i64, kind: Kind, raw: &[u8], at: i64) {
    let n = spec::normalize(kind, raw, &NormalizeOptions::default()).expect("a valid document");
    let rec = SuccessRecord {
        raw,
        canonical_hash: apiradar::store::sha256(&n.canonical),
        format: n.format.clone(),
        spec_version: n.spec_version.clone(),
        title: n.title.clone(),
        fetched_at: at,
        run: Some(RunInfo {
            started_at: at,
            duration_ms: 12,
            http_status: Some(200),
            attempts: Some(1),
            next_due_at: Some(at + HOUR),
        }),
        ..SuccessRecord::default()
    };
    let watch = store
        .watch_by_id(id)
        .expect("read the watch")
        .expect("the watch");
    apiradar::pipeline::ingest::ingest(store, &watch, &rec, &n.canonical, spec::Limits::default())
        .expect("record a version");
}

/// A database with two watches: `petstore` with four versions and a
/// failed poll, `catalog` with none yet.
pub(crate) fn database(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("tui.db");
    let mut store = Store::open(&db).expect("open the store");
    let pets = store
        .add_watch(
            &WatchSpec::new("petstore", Kind::OpenApi, "http://127.0.0.1:9/openapi.yaml"),
            false,
        )
        .expect("add petstore");
    store
        .add_channel(
            "team",
            apiradar::store::alerts::ChannelKind::Webhook,
            "http://127.0.0.1:9/hook",
            None,
            &[
                apiradar::store::alerts::AlertEvent::Breaking,
                apiradar::store::alerts::AlertEvent::Down,
            ],
            None,
        )
        .expect("add a channel");
    for n in 1..=4 {
        record(
            &mut store,
            pets.id,
            Kind::OpenApi,
            &demo_file(n),
            NOW - (5 - i64::from(n)) * 24 * HOUR,
        );
    }
    store
        .record_failure(
            pets.id,
            &FailureRecord {
                run: RunInfo {
                    started_at: NOW - 2 * HOUR,
                    duration_ms: 30_000,
                    next_due_at: Some(NOW + HOUR),
                    ..RunInfo::default()
                },
                error_class: "timeout".into(),
                error: "timed out after 30s".into(),
            },
            |_| 0,
            |_| None,
        )
        .expect("record a failure");
    // Two endpoints with an hour of checks: one steady, one flapping.
    use apiradar::store::health::{CheckOutcome, CheckRecord};
    let pets_ep = store
        .add_manual_endpoint(pets.id, "GET", "http://127.0.0.1:9/api/pets", &[], None)
        .expect("endpoint");
    let status_ep = store
        .add_manual_endpoint(
            pets.id,
            "GET",
            "http://127.0.0.1:9/api/status",
            &["status == 200".to_string()],
            None,
        )
        .expect("endpoint");
    for i in 0..12i64 {
        let at = NOW - (12 - i) * 5 * 60_000;
        let steady = CheckRecord {
            at,
            outcome: Some(CheckOutcome::Up),
            http_status: Some(200),
            latency_ms: Some(20 + (i * 7) % 30),
            ..CheckRecord::default()
        };
        apiradar::health::record_check(&mut store, pets_ep.id, &steady).expect("check");
        let down = i % 4 == 3;
        let flapping = CheckRecord {
            at,
            outcome: Some(if down {
                CheckOutcome::Down
            } else {
                CheckOutcome::Up
            }),
            http_status: Some(if down { 503 } else { 200 }),
            latency_ms: Some(if down { 3 } else { 90 + i * 10 }),
            ..CheckRecord::default()
        };
        apiradar::health::record_check(&mut store, status_ep.id, &flapping).expect("check");
    }
    store
        .add_watch(
            &WatchSpec::new("catalog", Kind::Json, "http://127.0.0.1:9/v1/models"),
            false,
        )
        .expect("add catalog");
    db
}

pub(crate) struct Harness {
    pub(crate) app: App,
    pub(crate) loader: Loader,
    pub(crate) terminal: Terminal<TestBackend>,
    pub(crate) worker: Vec<Command>,
    pub(crate) _dir: tempfile::TempDir,
}

impl Harness {
    pub(crate) fn new(width: u16, height: u16) -> Harness {
        Harness::with_theme(width, height, "dark", ColorDepth::Ansi256)
    }

    pub(crate) fn with_theme(width: u16, height: u16, theme: &str, depth: ColorDepth) -> Harness {
        Harness::build(width, height, theme, depth, database)
    }

    /// A harness over a database with nothing in it: no watch, no channel.
    pub(crate) fn empty(width: u16, height: u16) -> Harness {
        Harness::build(width, height, "dark", ColorDepth::Ansi256, |dir| {
            let db = dir.join("tui.db");
            Store::open(&db).expect("open the store");
            db
        })
    }

    pub(crate) fn build(
        width: u16,
        height: u16,
        theme: &str,
        depth: ColorDepth,
        database: fn(&Path) -> std::path::PathBuf,
    ) -> Harness {
        let dir = tempfile::tempdir().expect("a temp dir");
        let db = database(dir.path());
        let theme = Theme::load(theme, None, depth).expect("a builtin theme");
        let loader = Loader::open(&db, &theme.syntax_theme, depth).expect("open the loader");
        let app = App::new(Keymap::default_keymap(), theme, Clock::Fixed(NOW));
        let mut h = Harness {
            app,
            loader,
            terminal: Terminal::new(TestBackend::new(width, height)).expect("a test terminal"),
            worker: Vec::new(),
            _dir: dir,
        };
        h.settle();
        h
    }

    /// Carries out effects until there are none: loads run inline, worker
    /// commands are collected.
    pub(crate) fn settle(&mut self) {
        for _ in 0..50 {
            let effects = self.app.take_effects();
            if effects.is_empty() {
                break;
            }
            for e in effects {
                match e {
                    Effect::Load(ticket, request) => {
                        let answer = self.loader.handle(request);
                        self.app.on_event(AppEvent::Loaded(ticket, answer));
                    }
                    Effect::Worker(c) => self.worker.push(c),
                }
            }
        }
        self.draw();
    }

    pub(crate) fn draw(&mut self) {
        let app = &mut self.app;
        self.terminal.draw(|f| app.draw(f)).expect("draw");
    }

    pub(crate) fn key(&mut self, code: KeyCode) -> &mut Harness {
        self.key_with(code, KeyModifiers::NONE)
    }

    pub(crate) fn key_with(&mut self, code: KeyCode, modifiers: KeyModifiers) -> &mut Harness {
        self.app
            .on_event(AppEvent::Input(Event::Key(KeyEvent::new(code, modifiers))));
        self.settle();
        self
    }

    pub(crate) fn keys(&mut self, text: &str) -> &mut Harness {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    /// The screen as text, one line per row.
    pub(crate) fn screen(&self) -> String {
        let buffer = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    pub(crate) fn shows(&self, needle: &str) -> bool {
        self.screen().contains(needle)
    }

    /// Another connection to the harness's database, as the worker or the
    /// alert sender would have.
    pub(crate) fn store(&self) -> Store {
        Store::open(&self._dir.path().join("tui.db")).expect("open the store")
    }
}

#[test]
fn opening_shows_the_watches_the_newest_pair_and_its_findings() {
    let mut h = Harness::new(160, 45);
    // Watches are sorted by name: the catalog (no versions yet) first.
    assert!(h.shows("No versions yet"), "{}", h.screen());
    h.key(KeyCode::Char('j'));
    let screen = h.screen();
    for needle in ["petstore", "catalog", "#4", "#1", "Timeline", "Diff"] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // The newest pair is open with the engine's findings.
    let view = h.app.diff.view.as_ref().expect("a pair is open");
    assert_eq!((view.request.base_seq, view.request.rev_seq), (3, 4));
    assert!(!view.findings.is_empty());
    // The failed poll is on the timeline.
    assert!(screen.contains("timed out after 30s"), "{screen}");
    // Health shows the endpoints' figures; caching, without a target yet,
    // says how to add one.
    assert!(screen.contains("GET /api/"), "{screen}");
    assert!(screen.contains("75.0%"), "{screen}");
    assert!(screen.contains("No caching targets yet"), "{screen}");
}

#[test]
fn a_finding_chosen_in_the_list_moves_the_diff_to_it() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('j')).key(KeyCode::Char('3'));
    assert_eq!(h.app.focus(), PaneId::Diff);
    h.key(KeyCode::Enter);
    assert!(h.app.diff.findings_focused);
    let view = h.app.diff.view.as_ref().expect("a pair");
    let last = view.findings.len() - 1;
    let target = view.findings[last].clone();
    h.key(KeyCode::Char('G')).key(KeyCode::Enter);
    assert!(!h.app.diff.findings_focused);
    let view = h.app.diff.view.as_ref().expect("a pair");
    assert!(target.lines.is_none(), "findings are located when chosen");
    let lines = view.findings[last].lines.expect("located on the way");
    let line = lines.rev.or(lines.base).expect("the finding has a place");
    let side = if lines.rev.is_some() {
        apiradar::tui::diffview::Column::Right
    } else {
        apiradar::tui::diffview::Column::Left
    };
    let row = view.model.row_of_line(side, line).expect("a row");
    assert_eq!(h.app.diff.state.cursor, row);
}

#[test]
fn marking_two_versions_compares_them() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('j')).key(KeyCode::Char('2'));
    // Newest first (the failed poll is the newest row); mark #4 and #1.
    h.key(KeyCode::Char('g'));
    let mut marked = Vec::new();
    for _ in 0..8 {
        if let Some(seq) = h.app.timeline.selected_seq()
            && (seq == 4 || seq == 1)
            && !marked.contains(&seq)
        {
            h.key(KeyCode::Char('m'));
            marked.push(seq);
        }
        h.key(KeyCode::Char('j'));
    }
    assert_eq!(marked, [4, 1]);
    assert_eq!(h.app.timeline.marks.len(), 2);
    h.key(KeyCode::Char('c'));
    assert_eq!(h.app.focus(), PaneId::Diff);
    let view = h.app.diff.view.as_ref().expect("a pair");
    assert_eq!((view.request.base_seq, view.request.rev_seq), (1, 4));
    assert!(h.shows("#1 → #4"), "{}", h.screen());
}

#[test]
fn the_filter_narrows_the_watch_list_and_esc_clears_it() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('/')).keys("cata");
    assert_eq!(h.app.watches.visible_names(), ["catalog"]);
    h.key(KeyCode::Enter);
    assert_eq!(h.app.watches.filter, "cata");
    // The selection followed: the catalog's (empty) timeline.
    assert!(h.shows("No versions yet"), "{}", h.screen());
    h.key(KeyCode::Char('/')).key(KeyCode::Esc);
    assert_eq!(h.app.watches.visible_names(), ["catalog", "petstore"]);
}

#[test]
fn help_lists_the_keymap_and_closes() {
    let mut h = Harness::new(120, 40);
    h.key(KeyCode::Char('?'));
    assert!(h.app.help_open());
    assert!(h.shows("Help"));
    assert!(h.shows("Everywhere"));
    h.key(KeyCode::Esc);
    assert!(!h.app.help_open());
    h.key(KeyCode::F(1));
    assert!(h.app.help_open());
    h.key(KeyCode::Char('q'));
    assert!(!h.app.help_open());
    assert!(!h.app.quit, "q closes the help before it quits");
    h.key(KeyCode::Char('q'));
    assert!(h.app.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let mut h = Harness::new(120, 40);
    h.key(KeyCode::Char(':')).keys("pau");
    h.key_with(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(h.app.quit);
}

#[test]
fn refresh_keys_ask_the_worker() {
    let mut h = Harness::new(120, 40);
    h.key(KeyCode::Char('r'));
    h.key(KeyCode::Char('R'));
    assert_eq!(
        h.worker,
        [Command::PollNow(vec!["catalog".into()]), Command::PollAll]
    );
}

#[test]
fn the_add_form_validates_before_adding() {
    let mut h = Harness::new(120, 40);
    h.key(KeyCode::Char('a'));
    assert!(h.app.form_open());
    // An empty form is refused with reasons.
    h.key(KeyCode::Enter);
    assert!(h.app.form_open());
    assert!(h.shows("give a URL or a file path"), "{}", h.screen());
    h.keys("weather")
        .key(KeyCode::Tab)
        .keys("http://127.0.0.1:9/weather.json");
    h.key(KeyCode::Tab).key(KeyCode::Right); // kind: json
    h.key(KeyCode::Enter);
    assert!(!h.app.form_open(), "{}", h.screen());
    assert!(
        h.app
            .watches
            .visible_names()
            .contains(&"weather".to_string())
    );
    assert_eq!(h.worker, [Command::PollNow(vec!["weather".into()])]);
}

#[test]
fn commands_pause_diff_and_report_mistakes() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('j')); // petstore
    h.key(KeyCode::Char(':'))
        .keys("diff 1 2")
        .key(KeyCode::Enter);
    let view = h.app.diff.view.as_ref().expect("a pair");
    assert_eq!((view.request.base_seq, view.request.rev_seq), (1, 2));
    h.key(KeyCode::Char(':'))
        .keys("diff 1 9")
        .key(KeyCode::Enter);
    assert_eq!(
        h.app.message(),
        Some("there is no version #9 of the selected watch (it has #1 to #4)")
    );
    h.key(KeyCode::Char(':')).keys("pause").key(KeyCode::Enter);
    assert_eq!(h.app.message(), Some("paused petstore"));
    assert!(h.shows("paused"));
    h.key(KeyCode::Char(':'))
        .keys("frobnicate")
        .key(KeyCode::Enter);
    assert!(
        h.app
            .message()
            .is_some_and(|m| m.starts_with("unknown command"))
    );
}

#[test]
fn the_published_form_toggles() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('j'))
        .key(KeyCode::Char('3'))
        .key(KeyCode::Char('t'));
    assert!(h.app.diff.view.as_ref().expect("a pair").request.published);
    assert!(h.shows("as published"), "{}", h.screen());
    h.key(KeyCode::Char('t'));
    assert!(h.shows("canonical"));
}

#[test]
fn a_small_terminal_gets_a_message_and_a_narrow_one_tabs() {
    let h = Harness::new(50, 10);
    assert!(h.shows("needs at least"), "{}", h.screen());
    let mut h = Harness::new(80, 24);
    assert!(h.shows("1 Watched APIs"), "{}", h.screen());
    h.key(KeyCode::Char('j')).key(KeyCode::Tab);
    assert_eq!(h.app.focus(), PaneId::Timeline);
    assert!(h.shows("#4"), "{}", h.screen());
}

#[test]
fn stale_answers_are_dropped() {
    let mut h = Harness::new(120, 40);
    h.key(KeyCode::Char('j'));
    // Ask for #1 → #2 and keep the request unanswered…
    for c in ":diff 1 2".chars() {
        h.app
            .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Char(
                c,
            )))));
    }
    h.app
        .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Enter))));
    let (ticket, request) = h
        .app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Load(t, r @ Request::Pair(_)) => Some((t, r)),
            _ => None,
        })
        .expect("a pair request");
    // …then ask for #2 → #3, which is answered.
    h.key(KeyCode::Char(':'))
        .keys("diff 2 3")
        .key(KeyCode::Enter);
    // The late answer to the first request changes nothing.
    let late = h.loader.handle(request);
    h.app.on_event(AppEvent::Loaded(ticket, late));
    let view = h.app.diff.view.as_ref().expect("a pair");
    assert_eq!((view.request.base_seq, view.request.rev_seq), (2, 3));
}

// ---- snapshots: every pane, styles included ----

fn snapshot_of(h: &Harness) -> String {
    format!("{:?}", h.terminal.backend().buffer())
}

#[test]
fn snapshot_wide_dashboard() {
    let mut h = Harness::new(140, 40);
    h.key(KeyCode::Char('j'));
    insta::assert_snapshot!("wide_dashboard", snapshot_of(&h));
}

#[test]
fn snapshot_each_pane_zoomed() {
    let mut h = Harness::new(100, 30);
    h.key(KeyCode::Char('j'));
    for (key, name) in [
        ('1', "pane_watches"),
        ('2', "pane_timeline"),
        ('3', "pane_diff"),
        ('4', "pane_health"),
        ('5', "pane_caching"),
    ] {
        h.key(KeyCode::Char(key));
        insta::assert_snapshot!(name, snapshot_of(&h));
    }
}

#[test]
fn snapshot_help_and_form_light_theme() {
    let mut h = Harness::with_theme(100, 32, "light", ColorDepth::TrueColor);
    h.key(KeyCode::Char('?'));
    insta::assert_snapshot!("help_light", snapshot_of(&h));
    h.key(KeyCode::Esc).key(KeyCode::Char('a'));
    insta::assert_snapshot!("form_light", snapshot_of(&h));
}

#[test]
fn snapshot_high_contrast_without_colour() {
    let mut h = Harness::with_theme(140, 40, "high-contrast", ColorDepth::None);
    h.key(KeyCode::Char('j'));
    insta::assert_snapshot!("high_contrast_no_color", snapshot_of(&h));
}

#[test]
fn the_mouse_focuses_and_scrolls_the_pane_under_it() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut h = Harness::new(160, 45);
    let mouse = |kind, column, row| {
        AppEvent::Input(Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }))
    };
    // The timeline is below the watch list on the left.
    h.app
        .on_event(mouse(MouseEventKind::Down(MouseButton::Left), 10, 25));
    h.settle();
    assert_eq!(h.app.focus(), PaneId::Timeline);
    // The wheel over the watch list moves its selection without focusing it.
    h.app.on_event(mouse(MouseEventKind::ScrollDown, 10, 3));
    h.settle();
    assert_eq!(h.app.focus(), PaneId::Timeline);
    assert_eq!(
        h.app.watches.selected().map(|r| r.watch.spec.name.clone()),
        Some("petstore".to_string())
    );
}

#[test]
fn export_writes_the_findings_shown() {
    let mut h = Harness::new(160, 45);
    h.key(KeyCode::Char('j'));
    let out = h._dir.path().join("findings.md");
    h.key(KeyCode::Char(':'))
        .keys(&format!("export {}", out.display()))
        .key(KeyCode::Enter);
    let text = std::fs::read_to_string(&out).expect("the export");
    assert!(text.contains("api-removed-without-deprecation"), "{text}");
    assert!(
        h.app
            .message()
            .is_some_and(|m| m.starts_with("wrote 2 findings")),
        "{:?}",
        h.app.message()
    );
}

// ---- the alert history ----

/// Alerts of every kind and delivery state, on top of the two `breaking`
/// alerts the database already has (petstore #3 and #4, channel `team`):
/// a second channel `ops` takes every event, an endpoint of the catalog
/// goes down and recovers, the catalog gets a second version and is then
/// auto-paused, and the sender's attempts are recorded.
fn add_alerts(store: &mut Store) {
    use apiradar::store::alerts::AlertEvent;
    use apiradar::store::health::{CheckOutcome, CheckRecord};
    const MIN: i64 = 60_000;
    store
        .add_channel(
            "ops",
            apiradar::store::alerts::ChannelKind::Webhook,
            "http://127.0.0.1:9/ops",
            None,
            &AlertEvent::RULES,
            None,
        )
        .expect("add ops");
    let catalog = store.watch("catalog").expect("the catalog");
    let models = store
        .add_manual_endpoint(catalog.id, "GET", "http://127.0.0.1:9/v1/models", &[], None)
        .expect("endpoint");
    // Down after three failures (team and ops), recovered after two passes
    // (ops only: team does not listen for it).
    for (i, up) in [false, false, false, true, true].into_iter().enumerate() {
        let check = CheckRecord {
            at: NOW - (50 - 5 * i as i64) * MIN,
            outcome: Some(if up {
                CheckOutcome::Up
            } else {
                CheckOutcome::Down
            }),
            http_status: Some(if up { 200 } else { 503 }),
            latency_ms: Some(40),
            error: (!up).then(|| "HTTP 503 Service Unavailable".to_string()),
            ..CheckRecord::default()
        };
        apiradar::health::record_check(store, models.id, &check).expect("check");
    }
    // A second version of the catalog (change, for ops), then a failed
    // poll that pauses it (paused, for ops).
    record(
        store,
        catalog.id,
        Kind::Json,
        br#"{"models":[{"id":"small"}]}"#,
        NOW - 3 * HOUR,
    );
    record(
        store,
        catalog.id,
        Kind::Json,
        br#"{"models":[{"id":"small"},{"id":"large"}]}"#,
        NOW - 20 * MIN,
    );
    store
        .record_failure(
            catalog.id,
            &FailureRecord {
                run: RunInfo {
                    started_at: NOW - 10 * MIN,
                    duration_ms: 30_000,
                    ..RunInfo::default()
                },
                error_class: "http".into(),
                error: "HTTP 502 Bad Gateway".into(),
            },
            |_| 0,
            |n| {
                let reason = apiradar::alert::change::pause_reason(n, "HTTP 502 Bad Gateway");
                let alert = apiradar::alert::change::paused(&reason);
                Some((reason, alert))
            },
        )
        .expect("record a failure");

    let history = store.alert_history(50).expect("the history");
    let id = |event: &str, channel: &str| {
        history
            .iter()
            .find(|o| o.event.as_str() == event && o.channel == channel)
            .map(|o| o.id)
            .expect("an alert")
    };
    // team's hook took the down alert at once.
    store
        .record_attempt(id("down", "team"), NOW - 39 * MIN, Ok(()))
        .expect("attempt");
    // ops' hook answered 500 until the sender gave up.
    let down_ops = id("down", "ops");
    for i in 0..7 {
        store
            .record_attempt(
                down_ops,
                NOW - (39 - i) * MIN,
                Err(("HTTP 500 from the hook".into(), Some(NOW - (38 - i) * MIN))),
            )
            .expect("attempt");
    }
    store
        .record_attempt(
            down_ops,
            NOW - 30 * MIN,
            Err(("HTTP 500 from the hook".into(), None)),
        )
        .expect("attempt");
    store
        .record_attempt(id("change", "ops"), NOW - 19 * MIN, Ok(()))
        .expect("attempt");
    // petstore #4 is being retried: two tries, the next in 40 s.
    let newest_breaking = history
        .iter()
        .find(|o| o.title.ends_with("#4"))
        .map(|o| o.id)
        .expect("the #4 alert");
    for _ in 0..2 {
        store
            .record_attempt(
                newest_breaking,
                NOW - MIN,
                Err(("connection refused".into(), Some(NOW + 40_000))),
            )
            .expect("attempt");
    }
}

/// The titles the history should list, newest first.
const TITLES: [&str; 7] = [
    "watch paused after failed polls",
    "catalog: new version #2",
    "catalog: GET http://127.0.0.1:9/v1/models recovered",
    "catalog: GET http://127.0.0.1:9/v1/models is down",
    "catalog: GET http://127.0.0.1:9/v1/models is down",
    "petstore: breaking changes in version #4",
    "petstore: breaking changes in version #3",
];

#[test]
fn the_alert_history_lists_filters_details_and_closes() {
    let mut h = Harness::new(120, 40);
    add_alerts(&mut h.store());
    h.key(KeyCode::Char('A'));
    assert!(h.app.alerts_open());
    assert_eq!(h.app.alerts.visible_titles(), TITLES);
    let screen = h.screen();
    for needle in [
        "Alert history",
        "(7)",
        "4 pending",
        "1 failed",
        "‖ paused",
        "● recovered",
        "✗ down",
        "sent 19m ago",
        "failed 8×",
        "pending 2× in 40s",
        // The selected alert's delivery, in full.
        "pending · not tried yet · due now",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // The newest is selected, with its text below the list.
    assert!(screen.contains("1 of 7"), "{screen}");
    assert!(
        screen.contains("auto-paused after 1 failed polls"),
        "{screen}"
    );

    // Down to the failed delivery: its error and when it was raised.
    h.keys("jjj");
    let selected = h.app.alerts.selected().expect("a selection");
    assert_eq!(
        (selected.channel.as_str(), selected.status.as_str()),
        ("ops", "failed")
    );
    assert!(
        h.shows("last error: HTTP 500 from the hook"),
        "{}",
        h.screen()
    );
    assert!(
        h.shows("raised 2030-06-01 11:20 UTC (40m ago)"),
        "{}",
        h.screen()
    );
    // G, g, PgDn and PgUp move within the list.
    h.key(KeyCode::Char('G'));
    assert!(
        h.app
            .alerts
            .selected()
            .is_some_and(|o| o.title.ends_with("#3"))
    );
    h.key(KeyCode::Char('g'));
    assert!(
        h.app
            .alerts
            .selected()
            .is_some_and(|o| o.event == apiradar::store::alerts::AlertEvent::Paused)
    );
    h.key(KeyCode::PageDown);
    assert!(
        h.app
            .alerts
            .selected()
            .is_some_and(|o| o.title.ends_with("#3"))
    );
    h.key(KeyCode::PageUp);
    assert!(
        h.app
            .alerts
            .selected()
            .is_some_and(|o| o.event == apiradar::store::alerts::AlertEvent::Paused)
    );

    // Enter shows the payload too; the command to look into a version.
    h.key(KeyCode::Char('G'))
        .key(KeyCode::Char('k'))
        .key(KeyCode::Enter);
    assert!(h.app.alerts.expanded);
    let screen = h.screen();
    assert!(
        screen.contains("command: apiradar diff petstore@3 petstore@4"),
        "{screen}"
    );
    assert!(
        screen.contains("last error: connection refused"),
        "{screen}"
    );
    // The payload runs past the bottom: half pages scroll it.
    assert!(screen.contains("ctrl-d/ctrl-u scroll"), "{screen}");
    for _ in 0..20 {
        h.key_with(KeyCode::Char('d'), KeyModifiers::CONTROL);
    }
    assert!(h.shows("\"version\": 4"), "{}", h.screen());
    assert!(!h.shows("last error"), "{}", h.screen());
    h.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert!(
        h.app
            .alerts
            .selected()
            .is_some_and(|o| o.title.ends_with("#4"))
    );
    // Esc folds the details first.
    h.key(KeyCode::Esc);
    assert!(!h.app.alerts.expanded && h.app.alerts_open());

    // `/` narrows by text (the title, the watch, the channel, the text…).
    h.key(KeyCode::Char('/')).keys("get http");
    assert_eq!(h.app.alerts.visible_titles(), TITLES[2..5]);
    h.key(KeyCode::Enter);
    assert_eq!(h.app.alerts.filter, "get http");
    assert!(h.shows("/get http"), "{}", h.screen());
    // `s` cycles all → pending → failed → sent, on top of the text.
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.alerts.visible_titles(), TITLES[2..3]);
    assert!(h.shows("pending only"), "{}", h.screen());
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.alerts.visible_titles(), TITLES[3..4]);
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.alerts.visible_titles(), TITLES[4..5]);
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.alerts.visible_titles(), TITLES[2..5]);
    // Nothing matches: the view says so rather than showing an empty table.
    h.key(KeyCode::Char('/')).key(KeyCode::Esc);
    h.key(KeyCode::Char('/')).keys("nothing like it");
    assert!(h.app.alerts.visible_titles().is_empty());
    assert!(
        h.shows("No alerts matching /nothing like it"),
        "{}",
        h.screen()
    );
    h.key(KeyCode::Esc);
    assert_eq!(h.app.alerts.visible_titles(), TITLES);

    // The help starts with the history's own keys, from the keymap.
    h.key(KeyCode::Char('?'));
    assert!(h.app.help_open());
    assert!(h.shows("Alert history (focused)"), "{}", h.screen());
    assert!(h.shows("Status filter"), "{}", h.screen());
    h.key(KeyCode::Esc);
    assert!(!h.app.help_open() && h.app.alerts_open());

    // Esc closes; q closes too rather than quitting.
    h.key(KeyCode::Esc);
    assert!(!h.app.alerts_open());
    assert!(h.shows("1 Watched APIs"), "{}", h.screen());
    h.key(KeyCode::Char('A')).key(KeyCode::Char('q'));
    assert!(!h.app.alerts_open());
    assert!(!h.app.quit);

    // `:alerts failed` opens it on the failed deliveries.
    h.key(KeyCode::Char(':'))
        .keys("alerts failed")
        .key(KeyCode::Enter);
    assert!(h.app.alerts_open());
    assert_eq!(h.app.alerts.visible_titles(), TITLES[4..5]);
    // Switching panes leaves the history for the pane.
    h.key(KeyCode::Char('2'));
    assert!(!h.app.alerts_open());
    assert_eq!(h.app.focus(), PaneId::Timeline);
}

#[test]
fn the_alert_history_follows_the_worker_and_drops_stale_answers() {
    let mut h = Harness::new(120, 40);
    add_alerts(&mut h.store());
    // Open it, and answer the load later.
    h.app
        .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Char(
            'A',
        )))));
    let (ticket, request) = h
        .app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Load(t, r @ Request::Alerts) => Some((t, r)),
            _ => None,
        })
        .expect("an alerts request");
    h.draw();
    assert!(h.shows("Loading the alert history"), "{}", h.screen());
    let first = h.loader.handle(request.clone());
    // A test alert is queued meanwhile and a health round finishes: the
    // history is asked again once the load on its way is answered.
    h.store().enqueue_test("ops").expect("a test alert");
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::HealthChecked {
            name: "catalog".into(),
            checked: 1,
            down: 0,
        },
    ));
    assert!(
        !h.app
            .take_effects()
            .iter()
            .any(|e| matches!(e, Effect::Load(_, Request::Alerts))),
        "one load at a time"
    );
    h.app.on_event(AppEvent::Loaded(ticket, first));
    assert_eq!(h.app.alerts.visible_titles().len(), 7);
    h.settle();
    assert_eq!(h.app.alerts.visible_titles().len(), 8);
    assert_eq!(h.app.alerts.visible_titles()[0], "apiradar test alert");
    // The first answer arriving again, late, changes nothing.
    let late = h.loader.handle(request);
    h.app.on_event(AppEvent::Loaded(ticket, late));
    assert_eq!(h.app.alerts.visible_titles().len(), 8);
    // A poll that finished reloads it too.
    h.store()
        .record_attempt(
            h.app.alerts.selected().expect("the test alert").id,
            NOW,
            Ok(()),
        )
        .expect("attempt");
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::Polled(apiradar::pipeline::poll::PollReport {
            name: "petstore".into(),
            status: apiradar::pipeline::poll::PollStatus::Unchanged,
            version: Some(4),
            error: None,
            error_class: None,
            http_status: Some(200),
            duration_ms: 12,
            auto_paused: None,
            counts: None,
        }),
    ));
    h.settle();
    assert_eq!(
        h.app.alerts.selected().map(|o| o.status.as_str()),
        Some("sent")
    );
    // Closed, it is not reloaded.
    h.key(KeyCode::Esc);
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::HealthChecked {
            name: "catalog".into(),
            checked: 1,
            down: 0,
        },
    ));
    assert!(
        !h.app
            .take_effects()
            .iter()
            .any(|e| matches!(e, Effect::Load(_, Request::Alerts)))
    );
}

#[test]
fn the_alert_history_fits_large_and_small_terminals() {
    let mut h = Harness::new(200, 60);
    add_alerts(&mut h.store());
    h.key(KeyCode::Char('A'));
    let screen = h.screen();
    for needle in ["date (UTC)", "channel", "2030-06-01 11:50", "ops"] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // At the smallest size the dashboard draws, the title still shows.
    let mut h = Harness::new(60, 15);
    add_alerts(&mut h.store());
    h.key(KeyCode::Char('A'));
    assert!(h.shows("watch paused"), "{}", h.screen());
    h.key(KeyCode::Enter);
    // Below it, the dashboard's own message, and no panic.
    let mut h = Harness::new(30, 8);
    h.key(KeyCode::Char('A')).key(KeyCode::Enter);
    assert!(h.shows("needs at least"), "{}", h.screen());
}

#[test]
fn snapshot_alert_history() {
    let mut h = Harness::new(80, 24);
    add_alerts(&mut h.store());
    h.key(KeyCode::Char('A'));
    insta::assert_snapshot!("alerts_80x24", snapshot_of(&h));
    let mut h = Harness::new(120, 40);
    add_alerts(&mut h.store());
    // The failed delivery selected.
    h.key(KeyCode::Char('A')).keys("jjj");
    insta::assert_snapshot!("alerts_120x40", snapshot_of(&h));
}

#[test]
fn snapshot_alert_history_empty() {
    let mut h = Harness::empty(80, 24);
    h.key(KeyCode::Char('A'));
    assert!(h.shows("--webhook URL"), "{}", h.screen());
    insta::assert_snapshot!("alerts_empty", snapshot_of(&h));
}

// ---- the caching pane ----

/// One test of a caching run: two requests (cold, then warm) whose warm
/// one read `hit` of its prompt from the cache, or two failed requests
/// when `broken`.
fn cache_result(
    test: apiradar::caching::suite::TestKind,
    verdict: apiradar::caching::suite::Verdict,
    hit: Option<f64>,
    model: &str,
    at: i64,
    broken: bool,
) -> apiradar::caching::suite::TestResult {
    use apiradar::caching::client::Exchange;
    use apiradar::caching::suite::TestResult;
    use apiradar::caching::usage::Usage;
    const PROMPT: i64 = 1030;
    let request = serde_json::json!({
        "model": model,
        "messages": [
            {"role": "system", "content": format!("run {at}: {} prompt", test.as_str())},
            {"role": "user", "content": "Reply with one word."},
        ],
        "max_tokens": 1,
        "temperature": 0,
    });
    let exchange = |label: &str, offset: i64, cached: i64| Exchange {
        label: label.into(),
        at: at + offset,
        status: Some(if broken { 503 } else { 200 }),
        latency_ms: if cached > 0 { 140 } else { 820 },
        usage: (!broken).then_some(Usage {
            prompt_tokens: Some(PROMPT),
            cached_tokens: Some(cached),
            cache_creation_tokens: None,
            completion_tokens: Some(1),
        }),
        error: broken.then(|| "HTTP 503: upstream overloaded,\nretry later".to_string()),
        reply: None,
        request: request.clone(),
        retries: 0,
    };
    let cached = (hit.unwrap_or(0.0) * PROMPT as f64) as i64;
    TestResult {
        test,
        verdict,
        summary: if broken {
            "a request failed: HTTP 503".into()
        } else {
            format!("the repeat read {cached} of {PROMPT} prompt tokens from the cache")
        },
        hit_rate: hit,
        cold_ms: (!broken).then_some(820),
        warm_ms: (!broken).then_some(140),
        saved_usd: cached as f64 * 0.075 / 1e6,
        exchanges: vec![exchange("cold", 0, 0), exchange("warm", 900, cached)],
    }
}

/// Caching targets with history, recorded up to `now`:
/// - `openai` (key in `$OPENAI_API_KEY`): `gpt-4o-mini` with 12 runs whose
///   hit rates vary, two with a failed test, one where nothing could be
///   measured, and the newest stopped by the daily budget before its last
///   two tests; `gpt-4.1-nano`, whose last 3 runs failed (a warning);
/// - `local-sim`, a simulated llama.cpp provider with 8 good runs.
fn add_caching(store: &mut Store, now: i64) {
    use apiradar::caching::suite::{TestKind, Verdict};
    use apiradar::store::caching::CacheSettings;
    let openai = store
        .add_cache_target(
            "openai",
            "openai",
            "https://api.openai.com/v1",
            Some("OPENAI_API_KEY"),
            &["gpt-4o-mini".to_string(), "gpt-4.1-nano".to_string()],
            &CacheSettings::default(),
        )
        .expect("add openai");
    let sim = store
        .add_cache_target(
            "local-sim",
            "llamacpp",
            "http://127.0.0.1:9/v1",
            None,
            &["qwen2.5-0.5b".to_string()],
            &CacheSettings {
                simulated: true,
                ..CacheSettings::default()
            },
        )
        .expect("add local-sim");
    let record = |store: &mut Store,
                  target: &apiradar::store::caching::CacheTarget,
                  model: &str,
                  at: i64,
                  hit: Option<f64>,
                  failing: bool,
                  broken: bool,
                  stopped: Option<&str>| {
        let tests: &[TestKind] = if stopped.is_some() {
            &TestKind::ALL[..5]
        } else {
            &TestKind::ALL
        };
        let results: Vec<_> = tests
            .iter()
            .map(|&t| {
                let (verdict, rate) = match (t, hit) {
                    _ if broken => (Verdict::Inconclusive, None),
                    (_, None) => (Verdict::Inconclusive, None),
                    (TestKind::Identical | TestKind::SharedPrefix, Some(h)) if failing => {
                        (Verdict::Fail, Some(h / 4.0))
                    }
                    // The TTL test's long probes sometimes say nothing.
                    (TestKind::Ttl, Some(_)) if at / (6 * HOUR) % 4 == 0 => {
                        (Verdict::Inconclusive, None)
                    }
                    (_, Some(h)) => (Verdict::Pass, Some(h)),
                };
                cache_result(t, verdict, rate, model, at, broken)
            })
            .collect();
        let times = apiradar::store::caching::RunTimes {
            started_at: at,
            finished_at: at + 95_000,
            cooldown_ms: 6 * HOUR,
        };
        apiradar::caching::record_run(store, target, model, times, &results, stopped, None)
            .expect("record a caching run");
    };
    let rates = [
        0.92, 0.95, 0.88, -1.0, 0.97, 0.40, 0.93, 0.96, 0.15, 0.94, 0.98, 0.91,
    ];
    for (i, &rate) in rates.iter().enumerate() {
        let at = now - (12 - i as i64) * 6 * HOUR + 3 * HOUR;
        let hit = (rate >= 0.0).then_some(rate);
        let stopped = (i == 11).then_some("daily budget of 200000 tokens reached");
        record(
            store,
            &openai,
            "gpt-4o-mini",
            at,
            hit,
            rate < 0.5,
            false,
            stopped,
        );
    }
    for i in 0..6i64 {
        let at = now - (6 - i) * 6 * HOUR + HOUR;
        record(
            store,
            &openai,
            "gpt-4.1-nano",
            at,
            Some(0.6),
            false,
            i >= 3,
            None,
        );
    }
    for i in 0..8i64 {
        let at = now - (8 - i) * 6 * HOUR + 2 * HOUR;
        let hit = 0.8 + 0.025 * i as f64;
        record(
            store,
            &sim,
            "qwen2.5-0.5b",
            at,
            Some(hit),
            false,
            false,
            None,
        );
    }
}

/// A harness on the usual database plus the caching targets, with the
/// caching pane focused.
fn caching_harness(width: u16, height: u16) -> Harness {
    let mut h = Harness::new(width, height);
    add_caching(&mut h.store(), NOW);
    h.key(KeyCode::Char('5'));
    h
}

#[test]
fn the_caching_pane_lists_models_with_sparklines_and_details() {
    let mut h = caching_harness(120, 40);
    h.key(KeyCode::Char('f'));
    assert_eq!(h.app.focus(), PaneId::Caching);
    let models: Vec<(String, String)> = h
        .app
        .caching
        .rows()
        .iter()
        .map(|r| (r.target.name.clone(), r.model.clone()))
        .collect();
    assert_eq!(
        models,
        [
            ("local-sim", "qwen2.5-0.5b"),
            ("openai", "gpt-4o-mini"),
            ("openai", "gpt-4.1-nano"),
        ]
        .map(|(t, m)| (t.to_string(), m.to_string()))
    );
    let screen = h.screen();
    for needle in [
        // The list: the simulated label, hit rates, reliability, state.
        "simulated",
        "qwen2.5-0.5b",
        "gpt-4o-mini",
        "3 failed runs",
        "91%",
        // The selected row's latest run.
        "simulated provider",
        "latest run 4h ago",
        "shared-prefix",
        "multi-turn",
        "820→140 ms",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    let openai = &h.app.caching.rows()[1];
    assert_eq!(openai.runs.len(), 12);
    // 12 runs: 10 good ones; the two failing ones and the unmeasured one
    // stand out in the sparkline.
    assert!(screen.contains('·'), "a run without a hit rate:\n{screen}");
    // Reliability over the last 10 runs: 2 failed runs with 2 failed tests
    // each, inconclusive tests left out.
    assert_eq!(openai.reliability, Some(93));
    assert!(h.app.caching.rows()[2].state.warning());

    // Moving selects; the details follow.
    h.key(KeyCode::Char('j'));
    assert_eq!(
        h.app.caching.selected().map(|r| r.model.as_str()),
        Some("gpt-4o-mini")
    );
    let screen = h.screen();
    for needle in [
        "stopped: daily budget of 200000 tokens reached",
        "5 pass, 0 fail",
        "the repeat read 937 of 1030 prompt tokens from the cache",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // The budget stopped the newest run before its last two tests.
    let latest = h.app.caching.selected().expect("a row").runs[0].clone();
    assert_eq!(latest.results.len(), 5);
    h.key(KeyCode::Char('j'));
    assert!(h.shows("a request failed: HTTP 503"), "{}", h.screen());
}

#[test]
fn a_test_shows_its_requests_and_a_curl_with_the_variable() {
    let mut h = caching_harness(120, 40);
    h.key(KeyCode::Char('f')).key(KeyCode::Char('j'));
    // Enter goes into the tests, Enter again opens one's requests.
    h.key(KeyCode::Enter);
    assert_eq!(
        h.app.caching.focus(),
        apiradar::tui::panes::caching::Focus::Tests
    );
    h.key(KeyCode::Char('j')).key(KeyCode::Enter);
    assert_eq!(
        h.app.caching.focus(),
        apiradar::tui::panes::caching::Focus::Requests
    );
    let view = h.app.caching.requests().expect("the requests");
    assert_eq!(view.rows.len(), 2);
    assert!(
        view.curls[0].contains("$OPENAI_API_KEY"),
        "{}",
        view.curls[0]
    );
    let screen = h.screen();
    for needle in [
        "sizes · openai · gpt-4o-mini",
        "cold",
        "warm",
        "1,030",
        "937",
        "curl -sS 'https://api.openai.com/v1/chat/completions'",
        "Authorization: Bearer",
        "$OPENAI_API_KEY\"",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // Esc goes back to the tests, then to the list; `c` opens a test's
    // requests straight from the list.
    h.key(KeyCode::Esc);
    assert_eq!(
        h.app.caching.focus(),
        apiradar::tui::panes::caching::Focus::Tests
    );
    h.key(KeyCode::Esc);
    assert_eq!(
        h.app.caching.focus(),
        apiradar::tui::panes::caching::Focus::List
    );
    assert_eq!(h.app.focus(), PaneId::Caching);
    h.key(KeyCode::Char('j')).key(KeyCode::Char('c'));
    assert!(
        h.shows("identical · openai · gpt-4.1-nano"),
        "{}",
        h.screen()
    );
    assert!(
        h.shows("HTTP 503: upstream overloaded, retry later"),
        "{}",
        h.screen()
    );
    // A model without a key variable gets a curl without a key.
    h.key(KeyCode::Esc)
        .key(KeyCode::Esc)
        .key(KeyCode::Char('g'));
    h.key(KeyCode::Char('c'));
    let view = h.app.caching.requests().expect("the requests");
    assert!(
        !view.curls[0].contains("Authorization"),
        "{}",
        view.curls[0]
    );
    assert!(h.shows("simulated provider"), "{}", h.screen());
    // The help names the pane's keys first, from the keymap.
    h.key(KeyCode::Char('?'));
    for needle in [
        "Caching tests (focused)",
        "Requests & curl",
        "Reload results",
    ] {
        assert!(h.shows(needle), "`{needle}` missing:\n{}", h.screen());
    }
}

#[test]
fn the_caching_pane_reloads_on_focus_and_finished_suites() {
    let mut h = Harness::new(120, 40);
    // Nothing yet: the empty state tells how to add a target.
    h.key(KeyCode::Char('5')).key(KeyCode::Char('f'));
    assert!(
        h.shows("apiradar cache add NAME --profile openai --api-key-env OPENAI_API_KEY --model gpt-4o-mini"),
        "{}",
        h.screen()
    );
    // A suite finishes in the background: the pane reads the store again.
    add_caching(&mut h.store(), NOW);
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::CacheTested {
            name: "openai".into(),
            models: 2,
            failed: 1,
        },
    ));
    let (ticket, request) = h
        .app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Load(t, r @ Request::Caching) => Some((t, r)),
            _ => None,
        })
        .expect("a caching load");
    assert_eq!(
        h.app.message(),
        Some("openai: prompt caching failed for 1 of 2 models")
    );
    // Another event while that load is on its way waits for its answer.
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::CacheTested {
            name: "local-sim".into(),
            models: 1,
            failed: 0,
        },
    ));
    assert!(
        !h.app
            .take_effects()
            .iter()
            .any(|e| matches!(e, Effect::Load(_, Request::Caching))),
        "one load at a time"
    );
    let answer = h.loader.handle(request.clone());
    h.app.on_event(AppEvent::Loaded(ticket, answer));
    assert_eq!(h.app.caching.rows().len(), 3);
    h.settle();
    // A late answer to an old ticket is dropped.
    let stale = h.loader.handle(request);
    h.app.on_event(AppEvent::Loaded(ticket, stale));
    assert_eq!(h.app.caching.rows().len(), 3);
    // Going back to the pane reads it again.
    h.key(KeyCode::Char('1'));
    h.app
        .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Char(
            '5',
        )))));
    assert!(
        h.app
            .take_effects()
            .iter()
            .any(|e| matches!(e, Effect::Load(_, Request::Caching)))
    );
}

#[test]
fn the_caching_pane_fits_large_and_small_terminals() {
    let mut h = caching_harness(200, 60);
    let screen = h.screen();
    // In the wide layout the pane is small: models, sparklines and the
    // simulated label still show.
    for needle in ["qwen2.5-0.5b", "sim"] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    h.key(KeyCode::Char('f'));
    let screen = h.screen();
    for needle in ["target", "model", "rel", "tests", "state", "ran", "recent"] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    for (w, hgt) in [(60, 15), (80, 24), (100, 30), (110, 20)] {
        let mut h = caching_harness(w, hgt);
        if w >= 110 {
            // Side by side, the pane is a glance: zoomed, it has room.
            assert!(h.shows("gpt-4o-min"), "{w}×{hgt}:\n{}", h.screen());
            h.key(KeyCode::Char('f'));
        }
        assert!(h.shows("gpt-4o-mini"), "{w}×{hgt}:\n{}", h.screen());
        h.key(KeyCode::Enter).key(KeyCode::Enter);
        h.key_with(KeyCode::Char('d'), KeyModifiers::CONTROL);
    }
    let mut h = caching_harness(30, 8);
    h.key(KeyCode::Enter).key(KeyCode::Char('c'));
    assert!(h.shows("needs at least"), "{}", h.screen());
}

#[test]
fn snapshot_caching_pane() {
    let h = caching_harness(80, 24);
    insta::assert_snapshot!("caching_80x24", snapshot_of(&h));
    let mut h = caching_harness(120, 40);
    // Zoomed, on the budget-stopped model, in its tests.
    h.key(KeyCode::Char('f'))
        .key(KeyCode::Char('j'))
        .key(KeyCode::Enter)
        .key(KeyCode::Char('j'));
    insta::assert_snapshot!("caching_120x40", snapshot_of(&h));
    h.key(KeyCode::Enter);
    insta::assert_snapshot!("caching_requests_120x40", snapshot_of(&h));
}

#[test]
fn snapshot_caching_empty() {
    let mut h = Harness::new(80, 24);
    h.key(KeyCode::Char('5'));
    insta::assert_snapshot!("caching_empty", snapshot_of(&h));
}

#[test]
fn a_followed_config_file_reports_its_syncs_in_the_status_bar() {
    let mut h = Harness::new(160, 30);
    h.settle();
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::ConfigSynced {
            file: "apiradar.toml".into(),
            outcome: Ok("1 watch added".into()),
        },
    ));
    h.settle();
    let screen = h.screen();
    assert!(
        screen.contains("reloaded apiradar.toml: 1 watch added"),
        "{screen}"
    );
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::ConfigSynced {
            file: "apiradar.toml".into(),
            outcome: Err("apiradar.toml:3:1: missing field `location`; nothing changed".into()),
        },
    ));
    h.settle();
    let screen = h.screen();
    assert!(screen.contains("missing field `location`"), "{screen}");
}

/// Pane 4 shows each described endpoint's open drift in a column and the
/// selected one's drift line by line (escaped: it quotes the response).
#[test]
fn the_health_pane_shows_drift_per_endpoint_and_its_details() {
    use apiradar::store::drift::{NewDrift, Observed};
    use apiradar::store::health::NewEndpoint;
    let mut h = Harness::new(200, 50);
    {
        let mut store = h.store();
        let watch = store.watch("petstore").expect("petstore");
        store
            .set_health_settings(watch.id, Some(true), None)
            .expect("health on");
        store
            .sync_spec_endpoints(
                watch.id,
                &[NewEndpoint {
                    method: "GET".into(),
                    url: "http://127.0.0.1:9/api/v2/pets".into(),
                    path: Some("/v2/pets".into()),
                    headers: Vec::new(),
                    body: None,
                    held: None,
                }],
            )
            .expect("endpoint");
        let drift = NewDrift {
            check_id: "response-property-type-mismatch".into(),
            level: "error".into(),
            pattern: "/*/id".into(),
            instance_pointer: "/1/id".into(),
            schema_pointer: "#/components/schemas/Pet/properties/id/type".into(),
            message: "`/1/id` is string, the description says integer".into(),
            sample: Some("\"3\u{1b}[2J\"".into()),
            status: "200".into(),
        };
        let observed = Observed::Validated {
            status: "200".into(),
            drifts: vec![drift],
            shape: "{}".into(),
            note: None,
        };
        store
            .record_conformance(
                watch.id,
                "GET /v2/pets",
                NOW,
                &observed,
                |a, _| a.to_string(),
                |_, _| Vec::new(),
            )
            .expect("drift");
    }
    h.key(KeyCode::Char('j')).key(KeyCode::Char('4'));
    // The described endpoint sorts after the manual ones.
    h.key(KeyCode::Char('G')).key(KeyCode::Char('f'));
    let screen = h.screen();
    assert!(screen.contains("drift"), "{screen}");
    assert!(screen.contains("GET /v2/pets"), "{screen}");
    assert!(screen.contains("1E"), "{screen}");
    assert!(
        screen.contains("response-property-type-mismatch `/1/id` is string, the description says integer seen \"3\\e[2J\" ×1"),
        "{screen}"
    );
}
