//! The dashboard: a ratatui TUI over the store, with the worker running in
//! the same process.
//!
//! Threads: the UI loop (this one) owns the terminal and the [`App`]; an
//! input thread forwards key presses, mouse and resize events; a loader
//! thread answers [`data::Request`]s from its own store connection, so no
//! SQLite query or diff runs on the UI thread; the tokio runtime runs the
//! background [`Services`] (the same as `apiradar run`'s), whose events are
//! forwarded to the same channel. The loop redraws only after something changed.

pub mod app;
pub mod color;
pub mod data;
pub mod diffview;
pub mod form;
pub mod keymap;
pub mod line;
pub mod panes;
pub mod term;
pub mod theme;
pub mod util;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;

use crate::app::{Services, ServicesConfig};
use crate::pipeline::worker::Command;
use crate::store::Store;
pub use app::{App, AppEvent, Clock, Effect, TermRequest};
use keymap::Keymap;
pub use term::StoppedBySignal;
use theme::{ColorDepth, Theme};

/// Settings of the dashboard, from the `[ui]` table of `config.toml` in the
/// platform config directory.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    /// A builtin theme (`dark`, `light`, `high-contrast`) or one in the
    /// config directory's `themes/`.
    pub theme: Option<String>,
    /// Mouse support (wheel scrolls the pane under the pointer, a click
    /// focuses). Off by default: it gets in the way of selecting text.
    pub mouse: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    ui: UiSettings,
}

/// Where the dashboard's own files live in the config directory.
pub struct UiPaths {
    pub config: PathBuf,
    pub keymap: PathBuf,
    pub themes: PathBuf,
}

impl UiPaths {
    pub fn new(config_dir: &Path) -> UiPaths {
        UiPaths {
            config: config_dir.join("config.toml"),
            keymap: config_dir.join("keymap.toml"),
            themes: config_dir.join("themes"),
        }
    }
}

/// Reads `config.toml`'s `[ui]` table; a missing file is the defaults.
pub fn load_ui_settings(path: &Path) -> Result<UiSettings, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(UiSettings::default()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    toml::from_str::<ConfigFile>(&text)
        .map(|c| c.ui)
        .map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
                .unwrap_or(1);
            format!("{}:{line}: {}", path.display(), e.message())
        })
}

/// Everything the dashboard is configured by, resolved before the terminal
/// is touched so a broken file is reported on a normal screen.
pub struct Resolved {
    pub settings: UiSettings,
    pub keymap: Keymap,
    pub theme: Theme,
    pub depth: ColorDepth,
}

pub fn resolve(config_dir: &Path) -> Result<Resolved, String> {
    let paths = UiPaths::new(config_dir);
    let settings = load_ui_settings(&paths.config)?;
    let keymap = Keymap::load(Some(&paths.keymap)).map_err(|e| e.to_string())?;
    let depth = ColorDepth::detect();
    let theme = Theme::load(
        settings.theme.as_deref().unwrap_or("dark"),
        Some(&paths.themes),
        depth,
    )
    .map_err(|e| e.to_string())?;
    Ok(Resolved {
        settings,
        keymap,
        theme,
        depth,
    })
}

/// How to run the dashboard.
pub struct TuiOptions {
    pub db: PathBuf,
    pub config_dir: PathBuf,
    /// The background work behind the dashboard: polls, health rounds,
    /// alerts, caching tests and a followed config file.
    pub services: ServicesConfig,
    /// A first line for the status bar (the demo says what it is).
    pub greeting: Option<String>,
    /// Problems to show in the status bar as they come (the demo's own).
    pub notes: Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
}

/// Runs the dashboard until the user quits. `runtime` runs the
/// background services. SIGTERM, SIGHUP and SIGINT end it with the
/// terminal restored and a [`StoppedBySignal`] error; Ctrl-z suspends it.
pub fn run(options: TuiOptions, runtime: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    let resolved = resolve(&options.config_dir).map_err(anyhow::Error::msg)?;
    let store = Store::open(&options.db)?;
    let mut loader = data::Loader::open(&options.db, &resolved.theme.syntax_theme, resolved.depth)
        .map_err(anyhow::Error::msg)?;

    let (tx, rx) = mpsc::channel::<AppEvent>();

    // The loader thread: requests in, answers out. Of several pair requests
    // waiting, only the last is worth loading.
    let (load_tx, load_rx) = mpsc::channel::<(u64, data::Request)>();
    {
        let tx = tx.clone();
        std::thread::Builder::new()
            .name("apiradar-loader".into())
            .spawn(move || {
                while let Ok(first) = load_rx.recv() {
                    let mut batch = vec![first];
                    while let Ok(more) = load_rx.try_recv() {
                        batch.push(more);
                    }
                    let last_pair = batch
                        .iter()
                        .rposition(|(_, r)| matches!(r, data::Request::Pair(_)));
                    let last_history = batch
                        .iter()
                        .rposition(|(_, r)| matches!(r, data::Request::CatalogHistory { .. }));
                    for (i, (ticket, request)) in batch.into_iter().enumerate() {
                        if matches!(request, data::Request::Pair(_)) && Some(i) != last_pair {
                            continue;
                        }
                        // So is only the last item history asked for.
                        if matches!(request, data::Request::CatalogHistory { .. })
                            && Some(i) != last_history
                        {
                            continue;
                        }
                        let answer = loader.handle(request);
                        if tx.send(AppEvent::Loaded(ticket, answer)).is_err() {
                            return;
                        }
                    }
                }
            })?;
    }

    // The background services, with their events forwarded to the UI.
    let shared = Arc::new(Mutex::new(store));
    let mut services = Services::start(shared, options.services, runtime.handle())?;
    let commands_tx = services.commands();
    if let Some(mut events_rx) = services.take_events() {
        let tx = tx.clone();
        runtime.spawn(async move {
            while let Some(e) = events_rx.recv().await {
                if tx.send(AppEvent::Worker(e)).is_err() {
                    break;
                }
            }
        });
    }

    if let Some(mut notes) = options.notes {
        let tx = tx.clone();
        runtime.spawn(async move {
            while let Some(n) = notes.recv().await {
                if tx.send(AppEvent::Note(n)).is_err() {
                    break;
                }
            }
        });
    }

    let mut app = App::new(resolved.keymap, resolved.theme, Clock::System);
    if let Some(g) = &options.greeting {
        app.on_event(AppEvent::Loaded(0, data::Loaded::Done(Ok(g.clone()))));
    }
    let mouse = resolved.settings.mouse.unwrap_or(false);
    // Watched before the terminal changes, so no signal finds it half set.
    let signals = {
        let tx = tx.clone();
        term::watch_signals(move |s| tx.send(AppEvent::Signal(s)).is_ok())?
    };
    let mut term = term::Term::enter(mouse)?;

    // The input thread; it stops when asked or when the app is gone.
    let stop = Arc::new(AtomicBool::new(false));
    let input = {
        let (tx, stop) = (tx.clone(), Arc::clone(&stop));
        std::thread::Builder::new()
            .name("apiradar-input".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match crossterm::event::poll(Duration::from_millis(100)) {
                        Ok(true) => match crossterm::event::read() {
                            Ok(event) => {
                                if tx.send(AppEvent::Input(event)).is_err() {
                                    break;
                                }
                            }
                            Err(_) => break,
                        },
                        Ok(false) => {}
                        Err(_) => break,
                    }
                }
            })?
    };
    drop(tx);

    let result = event_loop(&mut app, &mut term, &rx, &load_tx, &commands_tx);

    stop.store(true, Ordering::Relaxed);
    term.restore();
    signals.close();
    // The input thread sees `stop` within its poll interval, except on a
    // terminal that has hung up (the SSH connection or the window gone):
    // there crossterm's poll can spin without ever returning. It gets a
    // moment, then is left to end with the process rather than keep the
    // dashboard (and a core) busy for good.
    let deadline = std::time::Instant::now() + Duration::from_millis(500);
    while !input.is_finished() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if input.is_finished() {
        let _ = input.join();
    }
    // Running polls finish quickly or are abandoned with the runtime.
    runtime.block_on(services.stop(Some(Duration::from_secs(3))));
    result
}

fn event_loop(
    app: &mut App,
    term: &mut term::Term,
    rx: &mpsc::Receiver<AppEvent>,
    load_tx: &mpsc::Sender<(u64, data::Request)>,
    commands_tx: &tokio::sync::mpsc::UnboundedSender<Command>,
) -> anyhow::Result<()> {
    let force_panic = std::env::var_os("APIRADAR_TUI_TEST_PANIC").is_some();
    loop {
        for effect in app.take_effects() {
            match effect {
                Effect::Load(ticket, request) => {
                    let _ = load_tx.send((ticket, request));
                }
                Effect::Worker(command) => {
                    let _ = commands_tx.send(command);
                }
            }
        }
        if let Some(signal) = app.stopped_by {
            return Err(StoppedBySignal(signal).into());
        }
        if app.quit {
            return Ok(());
        }
        if let Some(text) = app.clipboard.take()
            && let Err(e) = term::copy_to_clipboard(&text)
        {
            tracing::warn!("cannot write the OSC 52 copy to the terminal: {e}");
        }
        let taken = match app.term_request.take() {
            Some(TermRequest::Suspend) => term.suspend(),
            // A hang-up sends SIGCONT with SIGHUP, so this can be the
            // first write to a terminal that is gone.
            Some(TermRequest::Retake) => term.retake(),
            None => Ok(()),
        };
        if let Err(e) = taken {
            return Err(signal_or(app, rx, e.into()));
        }
        if app.dirty {
            use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
            let _ = crossterm::execute!(std::io::stdout(), BeginSynchronizedUpdate);
            if let Err(e) = term.draw(|f| app.draw(f)) {
                return Err(signal_or(app, rx, e.into()));
            }
            let _ = crossterm::execute!(std::io::stdout(), EndSynchronizedUpdate);
            // A hook for the test that checks the terminal survives a panic.
            if force_panic {
                panic!("APIRADAR_TUI_TEST_PANIC is set: panicking inside the dashboard");
            }
        }
        let wait = Duration::from_millis(if app.is_busy() { 100 } else { 1000 });
        match rx.recv_timeout(wait) {
            Ok(event) => app.on_event(event),
            Err(mpsc::RecvTimeoutError::Timeout) => app.on_event(AppEvent::Tick),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        }
        // Whatever else is already waiting goes into the same frame.
        for _ in 0..256 {
            match rx.try_recv() {
                Ok(event) => app.on_event(event),
                Err(_) => break,
            }
        }
    }
}

/// A terminal that hangs up fails the next write to it (a draw, or taking
/// it back after the SIGCONT a hang-up also sends), often before the SIGHUP
/// reaches the loop: the events already sent are read for a moment, and
/// when the signal is among them the dashboard ends for it (exit 129, as
/// for any hang-up) rather than for the write error it caused.
fn signal_or(app: &mut App, rx: &mpsc::Receiver<AppEvent>, error: anyhow::Error) -> anyhow::Error {
    let deadline = std::time::Instant::now() + Duration::from_millis(250);
    while app.stopped_by.is_none() {
        let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
            break;
        };
        match rx.recv_timeout(left) {
            Ok(event) => app.on_event(event),
            Err(_) => break,
        }
    }
    match app.stopped_by {
        Some(signal) => StoppedBySignal(signal).into(),
        None => error,
    }
}

/// The dashboard's files and settings, for `apiradar config --show`.
pub fn settings_text(config_dir: &std::path::Path) -> String {
    let ui = UiPaths::new(config_dir);
    let mut out = format!("ui config    {} ([ui] theme, mouse)\n", ui.config.display());
    out += &format!("keymap       {}\n", ui.keymap.display());
    out += &format!(
        "themes       {} (builtin: {})\n",
        ui.themes.display(),
        theme::Theme::builtin_names().join(", ")
    );
    match resolve(config_dir) {
        Ok(r) => {
            out += &format!(
                "theme        {} (syntax: {})\n",
                r.theme.name, r.theme.syntax_theme
            );
            out += &format!(
                "mouse        {}\n",
                if r.settings.mouse.unwrap_or(false) {
                    "on"
                } else {
                    "off"
                }
            );
            out += &format!("colours      {:?}\n", r.depth);
        }
        Err(e) => out += &format!("ui settings  error: {e}\n"),
    }
    out
}
