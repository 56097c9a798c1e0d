//! The dashboard's catalog view, driven by keys against a real SQLite file
//! with its loader run inline: a model catalog with six stored versions
//! (prices that rise and fall, a model removed and back, one added late,
//! one whose name carries terminal escapes), searched, filtered with
//! `--where` conditions, sorted, and one model's price history.

use std::path::{Path, PathBuf};

use apiradar::store::Store;
use apiradar::tui::app::{AppEvent, Effect};
use apiradar::tui::data::Request;
use apiradar::tui::theme::ColorDepth;
use apiradar::watch::{Kind, WatchSpec};
use crossterm::event::{Event, KeyCode, KeyEvent};

use crate::tui::{HOUR, Harness, NOW, record};

/// The catalog as version `v` (1 to 6) has it.
fn catalog(v: u32) -> String {
    let gpt_input = match v {
        1 | 2 => 2.5,
        3 | 4 => 3.0,
        _ => 2.0,
    };
    let mut items = vec![
        format!(
            r#"{{"id": "gpt-4o", "name": "GPT-4o", "type": "text", "context_length": 128000,
                 "pricing": {{"input": {gpt_input}, "output": 10.0}}}}"#
        ),
        format!(
            r#"{{"id": "llama-3.3-70b", "name": "{}", "type": "text", "context_length": 65536,
                 "pricing": {{"input": 0.7, "output": 2.8}}}}"#,
            if v == 1 { "Llama 3.3 70B" } else { "Llama 3.3 70B Instruct" }
        ),
        r#"{"id": "flux-dev", "name": "FLUX dev", "type": "image",
            "pricing": {"generation": 0.01}}"#
            .to_string(),
        // A name meant to clear the screen and reverse the text after it.
        r#"{"id": "evil", "name": "Evil \u001b[2J\u202emodel", "type": "text", "context_length": 8192,
            "pricing": {"input": 9.0, "output": 9.0}}"#
            .to_string(),
    ];
    // o3 is withdrawn in version 4 and back in 6, cheaper.
    match v {
        1..=3 => items.push(
            r#"{"id": "o3", "name": "o3", "type": "text", "context_length": 200000,
                "pricing": {"input": 2.0, "output": 8.0}}"#
                .to_string(),
        ),
        6 => items.push(
            r#"{"id": "o3", "name": "o3", "type": "text", "context_length": 200000,
                "pricing": {"input": 1.0, "output": 4.0}}"#
                .to_string(),
        ),
        _ => {}
    }
    if v >= 5 {
        items.push(
            r#"{"id": "qwen3-4b", "name": "Venice Small", "type": "text", "context_length": 32768,
                "pricing": {"input": 0.05, "output": 0.15}}"#
                .to_string(),
        );
    }
    format!(r#"{{"object": "list", "data": [{}]}}"#, items.join(","))
}

/// `models` (a json catalog, six versions a day apart) and `petstore` (an
/// OpenAPI watch with one version).
fn database(dir: &Path) -> PathBuf {
    let db = dir.join("tui.db");
    let mut store = Store::open(&db).expect("open the store");
    let models = store
        .add_watch(
            &WatchSpec::new("models", Kind::Json, "http://127.0.0.1:9/v1/models"),
            false,
        )
        .expect("add models");
    for v in 1..=6u32 {
        record(
            &mut store,
            models.id,
            Kind::Json,
            catalog(v).as_bytes(),
            NOW - (7 - i64::from(v)) * 24 * HOUR,
        );
    }
    let pets = store
        .add_watch(
            &WatchSpec::new("petstore", Kind::OpenApi, "http://127.0.0.1:9/openapi.yaml"),
            false,
        )
        .expect("add petstore");
    record(
        &mut store,
        pets.id,
        Kind::OpenApi,
        crate::common::openapi_yaml("Pets", &["/pets"]).as_bytes(),
        NOW - HOUR,
    );
    db
}

fn harness(width: u16, height: u16) -> Harness {
    Harness::build(width, height, "dark", ColorDepth::Ansi256, database)
}

fn snapshot_of(h: &Harness) -> String {
    format!("{:?}", h.terminal.backend().buffer())
}

#[test]
fn the_catalog_view_lists_searches_filters_and_sorts_the_items() {
    let mut h = harness(120, 40);
    // `models` sorts first in the watch list; the key bar offers `c`.
    assert!(h.shows("c Catalog"), "{}", h.screen());
    h.key(KeyCode::Char('c'));
    assert!(h.app.catalog_open());
    assert_eq!(
        h.app.catalog.listed(),
        [
            "evil",
            "flux-dev",
            "gpt-4o",
            "llama-3.3-70b",
            "o3",
            "qwen3-4b"
        ]
    );
    assert_eq!(
        h.app.catalog.columns(),
        [
            "id",
            "name",
            "type",
            "context_length",
            "pricing.input",
            "pricing.output",
            "pricing.generation"
        ]
    );
    let screen = h.screen();
    for needle in [
        "Catalog models@6 (latest) 6 items",
        "context_length",
        "input",
        "Venice Small",
        "128000",
        // The key bar: the view's own keys, from the keymap.
        "/ Search",
        "w Where",
        "enter Item & history",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // Third-party text through the sanitiser: the escape is visible and
    // does nothing.
    assert!(screen.contains(r"Evil \e[2J\u{202e}model"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains('\u{202e}'));

    // `/` searches as it is typed, on the key and the text fields.
    h.key(KeyCode::Char('/')).keys("lla");
    assert_eq!(h.app.catalog.listed(), ["llama-3.3-70b"]);
    h.keys("x");
    assert!(h.app.catalog.listed().is_empty());
    assert!(h.shows("No items matching /llax"), "{}", h.screen());
    h.key(KeyCode::Backspace).key(KeyCode::Enter);
    assert_eq!(h.app.catalog.search, "lla");
    assert!(h.shows("1 of 6 items /lla"), "{}", h.screen());
    h.key(KeyCode::Char('/')).key(KeyCode::Esc);
    assert_eq!(h.app.catalog.listed().len(), 6);
    h.key(KeyCode::Char('/')).keys("VENICE").key(KeyCode::Enter);
    assert_eq!(h.app.catalog.listed(), ["qwen3-4b"]);
    h.key(KeyCode::Char('/')).key(KeyCode::Esc);

    // `w` takes the conditions of `catalog --where`, applied on Enter.
    h.key(KeyCode::Char('w'))
        .keys("input < 2.5 and type = text");
    assert!(
        h.shows("where input < 2.5 and type = text"),
        "{}",
        h.screen()
    );
    assert_eq!(h.app.catalog.listed().len(), 6, "not applied while typed");
    h.key(KeyCode::Enter);
    assert_eq!(
        h.app.catalog.listed(),
        ["gpt-4o", "llama-3.3-70b", "o3", "qwen3-4b"]
    );
    assert!(
        h.shows("4 of 6 items where input < 2.5 and type = text"),
        "{}",
        h.screen()
    );
    // A bad condition says why, keeps the line open and the list as it was.
    h.key(KeyCode::Char('w'));
    for _ in 0..40 {
        h.key(KeyCode::Backspace);
    }
    h.keys("cost < 1").key(KeyCode::Enter);
    assert!(
        h.app
            .message()
            .is_some_and(|m| m.contains("no item has a field `cost`")),
        "{:?}",
        h.app.message()
    );
    assert_eq!(h.app.catalog.wheres, "input < 2.5 and type = text");
    for _ in 0..8 {
        h.key(KeyCode::Backspace);
    }
    h.keys("context >= lots").key(KeyCode::Enter);
    assert!(
        h.app
            .message()
            .is_some_and(|m| m.contains("is not a number")),
        "{:?}",
        h.app.message()
    );
    // Esc clears the conditions.
    h.key(KeyCode::Esc);
    assert!(h.app.catalog.wheres.is_empty());
    assert_eq!(h.app.catalog.listed().len(), 6);

    // `s` sorts by the next column, `S` the other way; items without the
    // field stay last.
    h.keys("sss");
    assert!(h.shows("context_length ▲"), "{}", h.screen());
    assert_eq!(
        h.app.catalog.listed(),
        [
            "evil",
            "qwen3-4b",
            "llama-3.3-70b",
            "gpt-4o",
            "o3",
            "flux-dev"
        ]
    );
    h.key(KeyCode::Char('S'));
    assert!(h.shows("context_length ▼"), "{}", h.screen());
    assert_eq!(
        h.app.catalog.listed(),
        [
            "o3",
            "gpt-4o",
            "llama-3.3-70b",
            "qwen3-4b",
            "evil",
            "flux-dev"
        ]
    );
    assert_eq!(
        h.app.message(),
        Some("catalog sorted by context_length downwards")
    );

    // The help starts with the view's keys.
    h.key(KeyCode::Char('?'));
    assert!(h.shows("Catalog (focused)"), "{}", h.screen());
    assert!(h.shows("Where (as --where)"), "{}", h.screen());
    h.key(KeyCode::Esc);
    // q closes the view (it does not quit), and the panes are back.
    h.key(KeyCode::Char('q'));
    assert!(!h.app.catalog_open() && !h.app.quit);
    assert!(h.shows("1 Watched APIs"), "{}", h.screen());
    // Opened again, it keeps the sort.
    h.key(KeyCode::Char('c'));
    assert!(h.shows("context_length ▼"), "{}", h.screen());
}

#[test]
fn an_item_shows_its_price_across_every_version_and_its_changes() {
    let mut h = harness(120, 40);
    h.key(KeyCode::Char('c'));
    // Down to gpt-4o, then Enter: its history loads in the background.
    h.keys("jj");
    assert_eq!(h.app.catalog.selected(), Some("gpt-4o"));
    h.app
        .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Enter))));
    let (ticket, request) = h
        .app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Load(t, r @ Request::CatalogHistory { .. }) => Some((t, r)),
            _ => None,
        })
        .expect("a history request");
    h.draw();
    assert!(
        h.shows("Reading gpt-4o in every stored version of models"),
        "{}",
        h.screen()
    );
    let answer = h.loader.handle(request);
    h.app.on_event(AppEvent::Loaded(ticket, answer));
    h.draw();
    let screen = h.screen();
    for needle in [
        "› gpt-4o",
        "price pricing.input  (1 of 2, p next)",
        "#1–#6 · 2.5 → 2 · min 2 · max 3 · 2 changes",
        "changes (3)",
        "pricing.input: 3 → 2 (−33.3%)",
        "pricing.input: 2.5 → 3 (+20.0%)",
        "appeared",
        "fields (6)",
        "context_length",
    ] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    // The key bar says the item's own keys.
    assert!(
        screen.contains("q/esc Back to the list  p Next price"),
        "{screen}"
    );
    // Newest change first.
    assert!(
        screen.find("3 → 2 (").unwrap_or(0) < screen.find("2.5 → 3 (").unwrap_or(0),
        "{screen}"
    );
    // The sparkline: the rise and the fall are bars of different heights.
    assert!(screen.contains('█'), "{screen}");
    // `p` follows the next price.
    h.key(KeyCode::Char('p'));
    assert!(
        h.shows("price pricing.output  (2 of 2, p next)"),
        "{}",
        h.screen()
    );
    assert!(
        h.shows("10 → 10 · min 10 · max 10 · 0 changes"),
        "{}",
        h.screen()
    );
    // `y` copies the item as JSON.
    h.key(KeyCode::Char('y'));
    let copied = h.app.clipboard.take().expect("copied");
    assert!(copied.contains("\"id\": \"gpt-4o\""), "{copied}");
    // Esc goes back to the list, on the same item.
    h.key(KeyCode::Esc);
    assert!(h.app.catalog.item.is_none() && h.app.catalog_open());
    assert_eq!(h.app.catalog.selected(), Some("gpt-4o"));

    // o3: withdrawn in #4, back in #6; its absence is a gap.
    h.keys("jj").key(KeyCode::Enter);
    assert_eq!(
        h.app.catalog.item.as_ref().map(|i| i.id.as_str()),
        Some("o3")
    );
    let screen = h.screen();
    for needle in ["removed", "#4", "#6", "2 → 1 · min 1 · max 2 · 1 change"] {
        assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
    }
    h.key(KeyCode::Esc);

    // An answer for an item no longer shown is dropped.
    h.key(KeyCode::Char('g'));
    h.app
        .on_event(AppEvent::Input(Event::Key(KeyEvent::from(KeyCode::Enter))));
    let (first, request) = h
        .app
        .take_effects()
        .into_iter()
        .find_map(|e| match e {
            Effect::Load(t, r @ Request::CatalogHistory { .. }) => Some((t, r)),
            _ => None,
        })
        .expect("a history request");
    h.key(KeyCode::Esc)
        .key(KeyCode::Char('j'))
        .key(KeyCode::Enter);
    let late = h.loader.handle(request);
    h.app.on_event(AppEvent::Loaded(first, late));
    h.draw();
    assert_eq!(
        h.app.catalog.item.as_ref().map(|i| i.id.as_str()),
        Some("flux-dev")
    );
    assert!(h.shows("price pricing.generation"), "{}", h.screen());
    assert!(!h.shows("Evil"), "{}", h.screen());
}

#[test]
fn the_version_shown_follows_the_timeline_and_the_command() {
    let mut h = harness(120, 40);
    // The timeline's selection: two versions back, before qwen3-4b.
    h.key(KeyCode::Char('2')).keys("jj").key(KeyCode::Char('1'));
    h.key(KeyCode::Char('c'));
    assert!(h.shows("Catalog models@4 4 items"), "{}", h.screen());
    assert!(!h.app.catalog.listed().contains(&"o3".to_string()));
    h.key(KeyCode::Esc);
    // `:catalog NAME@N` opens any version; Tab completes json watches.
    h.key(KeyCode::Char(':'))
        .keys("catalog models@1")
        .key(KeyCode::Enter);
    assert!(h.shows("Catalog models@1 5 items"), "{}", h.screen());
    assert!(!h.app.catalog.listed().contains(&"qwen3-4b".to_string()));
    h.key(KeyCode::Esc);
    // References as `diff` takes them: latest~N, dates.
    h.key(KeyCode::Char(':'))
        .keys("catalog models@latest~1")
        .key(KeyCode::Enter);
    assert!(h.shows("Catalog models@5 5 items"), "{}", h.screen());
    h.key(KeyCode::Esc);
    // A reference that does not read, and an OpenAPI watch, say so.
    h.key(KeyCode::Char(':'))
        .keys("catalog models@x")
        .key(KeyCode::Enter);
    assert!(h.app.catalog_open());
    assert!(h.shows("cannot read version"), "{}", h.screen());
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('j')).key(KeyCode::Char('c'));
    assert!(!h.app.catalog_open());
    assert!(
        h.app
            .message()
            .is_some_and(|m| m.contains("petstore is a openapi watch")),
        "{:?}",
        h.app.message()
    );
}

#[test]
fn the_catalog_view_follows_new_versions_and_fits_any_size() {
    let mut h = harness(120, 40);
    h.key(KeyCode::Char('c'));
    // A poll stores version 7 with a new model: the view on the latest
    // reloads.
    let mut store = h.store();
    let id = store.watch("models").expect("models").id;
    let v7 = catalog(6).replace(
        r#""data": ["#,
        r#""data": [{"id": "new-model", "name": "New", "pricing": {"input": 1}},"#,
    );
    record(&mut store, id, Kind::Json, v7.as_bytes(), NOW - HOUR);
    h.app.on_event(AppEvent::Worker(
        apiradar::pipeline::worker::WorkerEvent::Polled(apiradar::pipeline::poll::PollReport {
            name: "models".into(),
            status: apiradar::pipeline::poll::PollStatus::Changed,
            version: Some(7),
            error: None,
            error_class: None,
            http_status: Some(200),
            duration_ms: 12,
            auto_paused: None,
            counts: None,
        }),
    ));
    h.settle();
    assert!(h.app.catalog.listed().contains(&"new-model".to_string()));
    assert!(
        h.shows("Catalog models@7 (latest) 7 items"),
        "{}",
        h.screen()
    );
    for (w, hgt) in [(60, 15), (80, 24), (200, 60)] {
        let mut h = harness(w, hgt);
        h.key(KeyCode::Char('c')).key(KeyCode::Enter);
        assert!(h.shows("› evil"), "{w}×{hgt}:\n{}", h.screen());
        h.key(KeyCode::Esc);
        assert!(h.shows("Catalog models@6"), "{w}×{hgt}:\n{}", h.screen());
    }
}

#[test]
fn snapshot_catalog_view() {
    let mut h = harness(100, 30);
    h.key(KeyCode::Char('c'));
    insta::assert_snapshot!("catalog_list_100x30", snapshot_of(&h));
    let mut h = harness(120, 36);
    h.key(KeyCode::Char('c')).keys("jj").key(KeyCode::Enter);
    insta::assert_snapshot!("catalog_item_120x36", snapshot_of(&h));
}
