//! The dashboard's first frame on a database holding the whole venice-api
//! history (439 files) and the venice-models catalog (230 files): from
//! opening the app to a frame that shows the watch list, the selected
//! watch's timeline and its newest pair, loads included, rendered into
//! ratatui's `TestBackend`.
//!
//! `cargo bench --bench tui`; skips, saying so, without `../shared/corpus`.
//! Building the database takes about a minute and is done once per run.

use std::path::Path;

use apiradar::store::Store;
use apiradar::tui::app::{App, AppEvent, Clock, Effect};
use apiradar::tui::data::Loader;
use apiradar::tui::keymap::Keymap;
use apiradar::tui::theme::{ColorDepth, Theme};
use apiradar::watch::{Kind, WatchSpec};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

mod common;

/// The binary's allocator (`src/main.rs`), so that these figures are its.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn build_database(dir: &Path) -> Option<std::path::PathBuf> {
    let db = dir.join("venice.db");
    let mut store = Store::open(&db).ok()?;
    for (name, kind, key) in [
        ("venice-api", Kind::OpenApi, None),
        ("venice-models", Kind::Json, Some("id")),
    ] {
        let (_unpacked, files) = common::unpack(name)?;
        let mut spec = WatchSpec::new(name, kind, &format!("https://example.com/{name}"));
        spec.item_key = key.map(str::to_string);
        let watch = store.add_watch(&spec, false).ok()?;
        let started = std::time::Instant::now();
        let imported = apiradar::pipeline::import::import_files(
            &mut store,
            &watch,
            &files,
            apiradar::spec::Limits::default(),
            |_| {},
        );
        eprintln!(
            "imported {} files of {name} in {:.1}s",
            imported.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Some(db)
}

/// Carries out the app's loads until it asks for nothing more; returns
/// how many there were. `APIRADAR_BENCH_VERBOSE=1` prints each one's time.
fn settle(app: &mut App, loader: &mut Loader) -> usize {
    let mut loads = 0;
    loop {
        let effects = app.take_effects();
        if effects.is_empty() {
            return loads;
        }
        for e in effects {
            if let Effect::Load(ticket, request) = e {
                loads += 1;
                let what = format!("{request:?}");
                let started = std::time::Instant::now();
                let answer = loader.handle(request);
                if std::env::var_os("APIRADAR_BENCH_VERBOSE").is_some() {
                    eprintln!(
                        "  {:.1} ms  {}",
                        started.elapsed().as_secs_f64() * 1000.0,
                        what.chars().take(60).collect::<String>()
                    );
                }
                app.on_event(AppEvent::Loaded(ticket, answer));
            }
        }
    }
}

/// Opens the app and carries out its loads until it has nothing left to
/// ask, then draws: the first frame with real data in every pane.
fn first_frame(db: &Path, theme: &Theme, size: (u16, u16)) -> usize {
    let mut loader =
        Loader::open(db, &theme.syntax_theme, ColorDepth::TrueColor).expect("open the loader");
    let mut app = App::new(Keymap::default_keymap(), theme.clone(), Clock::System);
    let loads = settle(&mut app, &mut loader);
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).expect("terminal");
    terminal.draw(|f| app.draw(f)).expect("draw");
    loads
}

fn dashboard(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let Some(db) = build_database(dir.path()) else {
        eprintln!(
            "tui benchmark skipped: ../shared/corpus/histories/venice-api.tar.zst or venice-models.tar.zst not found"
        );
        return;
    };
    let theme = Theme::load("dark", None, ColorDepth::TrueColor).expect("the dark theme");
    let loads = first_frame(&db, &theme, (200, 60));
    eprintln!("first frame needs {loads} loads");
    let mut group = c.benchmark_group("dashboard");
    group.sample_size(20);
    group.bench_function("first frame with data, 200x60 (venice db)", |b| {
        b.iter(|| first_frame(&db, &theme, (200, 60)))
    });
    group.bench_function("first frame with data, 80x24 (venice db)", |b| {
        b.iter(|| first_frame(&db, &theme, (80, 24)))
    });
    group.finish();
}

/// Keypress to frame in the diff pane on github-rest-api 015 → 016 (about
/// 400 000 lines on the right), through the whole app: the key goes in as
/// an event, the frame is drawn into a `TestBackend`.
fn scrolling(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let Some((_unpacked, files)) = common::unpack("github-rest-api") else {
        eprintln!(
            "diff scrolling benchmark skipped: ../shared/corpus/histories/github-rest-api.tar.zst not found"
        );
        return;
    };
    let pair: Vec<_> = ["015_", "016_"]
        .iter()
        .filter_map(|p| common::file_starting(&files, p))
        .collect();
    let db = dir.path().join("github.db");
    let mut store = Store::open(&db).expect("store");
    let watch = store
        .add_watch(
            &WatchSpec::new("github", Kind::OpenApi, "https://example.com/github.json"),
            false,
        )
        .expect("watch");
    apiradar::pipeline::import::import_files(
        &mut store,
        &watch,
        &pair,
        apiradar::spec::Limits::default(),
        |_| {},
    );
    drop(store);
    let theme = Theme::load("dark", None, ColorDepth::TrueColor).expect("the dark theme");
    let mut loader = Loader::open(&db, &theme.syntax_theme, ColorDepth::TrueColor).expect("loader");
    let mut app = App::new(Keymap::default_keymap(), theme, Clock::System);
    let started = std::time::Instant::now();
    settle(&mut app, &mut loader);
    let Some(view) = app.diff.view.as_ref() else {
        eprintln!("diff scrolling benchmark: no pair opened");
        return;
    };
    eprintln!(
        "pair loaded in {:.2}s: {} rows",
        started.elapsed().as_secs_f64(),
        view.model.rows()
    );
    // Checkpoints fill in the background; measure once they are there.
    let filling = std::time::Instant::now();
    while !view.highlighter.checkpoints_ready() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    eprintln!(
        "checkpoints filled in {:.2}s more",
        filling.elapsed().as_secs_f64()
    );
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("terminal");
    let key = |code| {
        AppEvent::Input(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::from(code),
        ))
    };
    use crossterm::event::KeyCode;
    app.on_event(key(KeyCode::Char('3')));
    terminal.draw(|f| app.draw(f)).expect("draw");
    let mut group = c.benchmark_group("diff pane 200x60, github 015->016");
    group.bench_function("j (one row down)", |b| {
        b.iter(|| {
            app.on_event(key(KeyCode::Char('j')));
            terminal.draw(|f| app.draw(f)).expect("draw");
        })
    });
    group.bench_function("ctrl-d (half page)", |b| {
        b.iter(|| {
            app.on_event(AppEvent::Input(crossterm::event::Event::Key(
                crossterm::event::KeyEvent::new(
                    KeyCode::Char('d'),
                    crossterm::event::KeyModifiers::CONTROL,
                ),
            )));
            terminal.draw(|f| app.draw(f)).expect("draw");
        })
    });
    group.bench_function("G then g (last line, first line)", |b| {
        b.iter(|| {
            app.on_event(key(KeyCode::Char('G')));
            terminal.draw(|f| app.draw(f)).expect("draw");
            app.on_event(key(KeyCode::Char('g')));
            terminal.draw(|f| app.draw(f)).expect("draw");
        })
    });
    group.bench_function("] (next change)", |b| {
        b.iter(|| {
            app.on_event(key(KeyCode::Char(']')));
            terminal.draw(|f| app.draw(f)).expect("draw");
        })
    });
    group.finish();
}

/// Resident memory of this process, from /proc (Linux), in MiB.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Re-opening a pair of github-rest-api (the largest, 029 → 030) once it
/// has been compared, and toggling the form back (`t`), as the dashboard
/// asks the loader; then the resident memory after opening ten large
/// pairs (the last eleven versions), against the cache's bound.
fn reopening(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let Some((_unpacked, files)) = common::unpack("github-rest-api") else {
        eprintln!(
            "re-opening benchmark skipped: ../shared/corpus/histories/github-rest-api.tar.zst not found"
        );
        return;
    };
    let last: Vec<_> = files[files.len().saturating_sub(11)..].to_vec();
    let db = dir.path().join("github.db");
    let mut store = Store::open(&db).expect("store");
    let watch = store
        .add_watch(
            &WatchSpec::new("github", Kind::OpenApi, "https://example.com/github.json"),
            false,
        )
        .expect("watch");
    let started = std::time::Instant::now();
    apiradar::pipeline::import::import_files(
        &mut store,
        &watch,
        &last,
        apiradar::spec::Limits::default(),
        |_| {},
    );
    let seqs: Vec<i64> = store
        .versions(watch.id)
        .expect("versions")
        .iter()
        .map(|v| v.seq)
        .collect();
    eprintln!(
        "imported {} versions in {:.1}s",
        seqs.len(),
        started.elapsed().as_secs_f64()
    );
    drop(store);
    let theme = Theme::load("dark", None, ColorDepth::TrueColor).expect("the dark theme");
    let mut loader = Loader::open(&db, &theme.syntax_theme, ColorDepth::TrueColor).expect("loader");
    let pair = |base: i64, rev: i64, published: bool| {
        apiradar::tui::data::Request::Pair(apiradar::tui::data::PairRequest {
            watch_id: watch.id,
            base_seq: base,
            rev_seq: rev,
            published,
        })
    };
    let rss_before = rss_mib().unwrap_or(0.0);
    // The largest pair is the last two (029 → 030 before 031 repeats 030's size).
    let (Some(&newest), true) = (seqs.iter().max(), seqs.len() >= 3) else {
        eprintln!("re-opening benchmark: too few versions");
        return;
    };
    let (a, b) = (newest - 2, newest - 1);
    let first = std::time::Instant::now();
    let _ = loader.handle(pair(a, b, false));
    eprintln!(
        "first open of #{a} -> #{b}: {:.0} ms",
        first.elapsed().as_secs_f64() * 1000.0
    );
    let _ = loader.handle(pair(a, b, true));
    let mut group = c.benchmark_group("re-open github pair");
    group.bench_function("re-open (kept pair)", |bench| {
        bench.iter(|| loader.handle(pair(a, b, false)))
    });
    group.bench_function("t twice (both forms kept)", |bench| {
        bench.iter(|| {
            let _ = loader.handle(pair(a, b, true));
            loader.handle(pair(a, b, false))
        })
    });
    group.finish();
    // Ten large pairs, one after the other, as a reviewer would open them.
    for w in seqs.windows(2).take(10) {
        let _ = loader.handle(pair(w[0], w[1], false));
    }
    let (kept, bytes) = loader.cached_pairs();
    eprintln!(
        "after ten large pairs: RSS {:.0} MiB (was {:.0} MiB before the first); {kept} pairs kept, charged {:.0} MiB of a {:.0} MiB bound",
        rss_mib().unwrap_or(0.0),
        rss_before,
        bytes as f64 / 1048576.0,
        apiradar::tui::data::PAIR_CACHE_BYTES as f64 / 1048576.0
    );
}

criterion_group!(benches, dashboard, scrolling, reopening);
criterion_main!(benches);
