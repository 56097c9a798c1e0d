//! The dashboard for daily reviews (issue 16): readable diffs (sideways
//! scrolling, wrapping, a unified view on narrow terminals, a visible
//! cursor, counted search matches), a findings list beside the finding in
//! full, pairs kept for re-opening, a real `:` line, copying with OSC 52,
//! endpoint details and probing switched on with a confirmation. Each is
//! checked at 80×24 and at 200×60 through the same harness as `tui`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use apiradar::store::Store;
use apiradar::tui::data::{Loaded, PairRequest, Request};
use apiradar::tui::theme::{ColorDepth, Theme};
use apiradar::watch::{Kind, WatchSpec};
use crossterm::event::{KeyCode, KeyModifiers};

use crate::tui::{HOUR, Harness, NOW, database, record};

const SIZES: [(u16, u16); 2] = [(80, 24), (200, 60)];

/// The end of the long line: only visible once scrolled (or wrapped).
const MARKER: &str = "END-OF-THE-LONG-LINE";

/// The `tui` database plus `longdoc`, a JSON watch with two versions whose
/// one description is 400 characters long.
fn long_database(dir: &Path) -> PathBuf {
    let db = database(dir);
    let mut store = Store::open(&db).expect("open the store");
    let w = store
        .add_watch(
            &WatchSpec::new("longdoc", Kind::Json, "http://127.0.0.1:9/long.json"),
            false,
        )
        .expect("add longdoc");
    store
        .add_watch(
            &WatchSpec::new(
                "openai-api-description",
                Kind::OpenApi,
                "http://127.0.0.1:9/openapi.yaml",
            ),
            false,
        )
        .expect("add a watch with a long name");
    let words = "lorem ipsum dolor sit amet ".repeat(15);
    for (n, note) in [(1, "first"), (2, "second")] {
        let doc = format!(
            r#"{{"items": [{{"id": "a", "description": "{words}{MARKER}"}}, {{"id": "b", "note": "{note}"}}], "version": {n}}}"#
        );
        record(
            &mut store,
            w.id,
            Kind::Json,
            doc.as_bytes(),
            NOW - (3 - n) * HOUR,
        );
    }
    db
}

fn harness(width: u16, height: u16) -> Harness {
    Harness::build(width, height, "dark", ColorDepth::Ansi256, long_database)
}

/// Watches sort by name: catalog, longdoc, openai-api-description, petstore.
fn select(h: &mut Harness, name: &str) {
    h.key(KeyCode::Char('1')).key(KeyCode::Char('g'));
    for _ in 0..6 {
        if h.app.watches.selected().map(|r| r.watch.spec.name.as_str()) == Some(name) {
            return;
        }
        h.key(KeyCode::Char('j'));
    }
    panic!("no watch {name} in the list");
}

/// Opens longdoc's pair in the diff pane, cursor on the long line.
fn long_line_open(width: u16, height: u16) -> Harness {
    let mut h = harness(width, height);
    select(&mut h, "longdoc");
    h.key(KeyCode::Char('3'));
    // Hide the findings: the text gets the room.
    h.key(KeyCode::Char('F'));
    h.key(KeyCode::Char('/')).keys("lorem").key(KeyCode::Enter);
    let view = h.app.diff.view.as_ref().expect("longdoc's pair is open");
    assert_eq!(view.watch_name, "longdoc");
    h
}

#[test]
fn the_diff_scrolls_sideways_to_the_end_of_a_long_line() {
    for (w, hgt) in SIZES {
        let mut h = long_line_open(w, hgt);
        assert!(
            !h.shows(MARKER),
            "{w}x{hgt}: the end is off screen at first"
        );
        assert!(h.shows("›"), "{w}x{hgt}: a cut line is marked");
        // Below 120 columns the diff is unified; above, side by side.
        assert_eq!(h.app.diff.unified(), w < 120, "{w}x{hgt}");
        let mut presses = 0;
        while !h.shows(MARKER) && presses < 60 {
            h.key(KeyCode::Char('l'));
            presses += 1;
        }
        assert!(
            h.shows(MARKER),
            "{w}x{hgt}: never reached the end:\n{}",
            h.screen()
        );
        assert!(
            h.shows("‹"),
            "{w}x{hgt}: scrolled text is marked on the left"
        );
        // ← goes back; `0` to the start, `$` to the end at once.
        h.key(KeyCode::Char('0'));
        assert!(!h.shows(MARKER) && h.app.diff.state.left_col == 0);
        h.key(KeyCode::Char('$'));
        assert!(
            h.shows(MARKER),
            "{w}x{hgt}: $ shows the end:\n{}",
            h.screen()
        );
        h.key(KeyCode::Left);
        assert!(h.app.diff.state.left_col > 0);
    }
}

#[test]
fn wrapping_shows_the_long_line_whole() {
    for (w, hgt) in SIZES {
        let mut h = long_line_open(w, hgt);
        h.key(KeyCode::Char('w'));
        assert!(h.app.diff.wrap);
        assert!(h.shows(MARKER), "{w}x{hgt}: wrapped:\n{}", h.screen());
        assert!(h.shows(" wrap"), "{w}x{hgt}: the title says so");
        // Nothing is cut while wrapping.
        let diff_rows = h.screen();
        assert!(!diff_rows.contains('›'), "{w}x{hgt}:\n{diff_rows}");
        // `u` switches the layout by hand.
        let before = h.app.diff.unified();
        h.key(KeyCode::Char('u'));
        assert_ne!(h.app.diff.unified(), before);
        assert_eq!(h.shows(" unified"), !before, "{w}x{hgt}:\n{}", h.screen());
    }
}

#[test]
fn search_counts_its_matches_and_marks_them_and_the_cursor() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        select(&mut h, "petstore");
        h.key(KeyCode::Char('3')).key(KeyCode::Char('F'));
        h.key(KeyCode::Char('/')).keys("petid").key(KeyCode::Enter);
        let count = h.app.diff.match_count().expect("a search is active");
        let total: usize = count
            .split('/')
            .nth(1)
            .and_then(|t| t.parse().ok())
            .expect("n/N");
        assert!(total >= 2, "{count}");
        assert!(count.starts_with("1/"), "{count}");
        assert!(
            h.shows(&format!("/petid {count}")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        // The key bar says what n does now.
        assert!(
            h.shows(&format!("Next match {count}")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        h.key(KeyCode::Char('n'));
        assert_eq!(h.app.diff.match_count(), Some(format!("2/{total}")));
        h.key(KeyCode::Char('N'));
        assert_eq!(h.app.diff.match_count(), Some(format!("1/{total}")));
        // Matches and the cursor's numbers carry their theme styles.
        let theme = Theme::load("dark", None, ColorDepth::Ansi256).expect("dark");
        let buffer = h.terminal.backend().buffer();
        let has_bg = |bg| buffer.content().iter().any(|c| Some(c.bg) == bg);
        assert!(has_bg(theme.search_match().bg), "{w}x{hgt}: no match drawn");
        assert!(has_bg(theme.cursor_mark().bg), "{w}x{hgt}: no cursor mark");
        // Esc ends the search; the key bar says "Next change" again.
        h.key(KeyCode::Esc);
        assert!(h.app.diff.match_count().is_none());
        assert!(h.shows("Next change"), "{w}x{hgt}:\n{}", h.screen());
    }
}

#[test]
fn the_findings_list_filters_groups_counts_and_shows_one_in_full() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        select(&mut h, "petstore");
        h.key(KeyCode::Char('3')).key(KeyCode::Enter);
        assert!(h.app.diff.findings_focused, "Enter chooses a finding");
        let view = h.app.diff.view.as_ref().expect("a pair");
        let total = view.findings.len();
        assert!(total >= 2, "petstore #3 → #4 has findings");
        assert!(
            h.shows(&format!("1 of {total}")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        // The detail shows the selected finding in full: its id and every
        // word of its message, however narrow the list.
        let first = view.findings[0].finding.clone();
        let screen = h.screen();
        assert!(screen.contains(first.id), "{w}x{hgt}: id:\n{screen}");
        let last_word = first.message.split_whitespace().last().unwrap_or("");
        assert!(
            screen.contains(last_word),
            "{w}x{hgt}: {last_word}:\n{screen}"
        );
        h.key(KeyCode::Char('j'));
        assert!(
            h.shows(&format!("2 of {total}")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        // Level filter: errors only, then warnings only.
        h.key(KeyCode::Char('s'));
        let errors = view_count(&h, apiradar::diff::Level::Error);
        assert!(h.shows("error only"), "{w}x{hgt}:\n{}", h.screen());
        assert!(
            h.shows(&format!("of {errors} (of {total})")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        h.key(KeyCode::Char('s'))
            .key(KeyCode::Char('s'))
            .key(KeyCode::Char('s'));
        assert!(h.app.diff.level_filter.is_none());
        // By root cause to begin with, as the CLI's reports; `o` turns
        // to one list by level, then a header per operation with its count.
        assert_eq!(
            h.app.diff.grouping,
            apiradar::tui::panes::diff::Grouping::RootCause
        );
        h.key(KeyCode::Char('o'));
        assert_eq!(
            h.app.diff.grouping,
            apiradar::tui::panes::diff::Grouping::Level
        );
        h.key(KeyCode::Char('o'));
        assert!(h.shows("by operation"), "{w}x{hgt}:\n{}", h.screen());
        assert!(
            h.screen()
                .lines()
                .any(|l| l.contains("(1) DELETE /pets/{petId}")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        // By root cause: a header per change, with the findings it caused.
        h.key(KeyCode::Char('o'));
        assert!(
            h.shows("by root cause"),
            "{w}x{hgt}:
{}",
            h.screen()
        );
        assert_eq!(
            h.app.diff.grouping,
            apiradar::tui::panes::diff::Grouping::RootCause
        );
        assert!(
            h.screen().lines().any(|l| l.contains("[endpoint-added]")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        // `/` filters the findings by text.
        h.key(KeyCode::Char('/')).keys("owners").key(KeyCode::Enter);
        assert_eq!(h.app.diff.finding_filter, "owners");
        assert!(
            h.shows(&format!("1 of 1 (of {total})")),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        assert!(h.shows("/owners"), "{w}x{hgt}:\n{}", h.screen());
        // `y` copies the selected finding with OSC 52 and says so.
        h.key(KeyCode::Char('y'));
        let copied = h.app.clipboard.clone().expect("something copied");
        assert!(copied.contains("GET /owners was added"), "{copied}");
        assert!(
            h.app
                .message()
                .is_some_and(|m| m.starts_with("copied the finding")),
            "{:?}",
            h.app.message()
        );
        // Enter still jumps both sides to it.
        h.key(KeyCode::Enter);
        assert!(!h.app.diff.findings_focused);
    }
}

fn view_count(h: &Harness, level: apiradar::diff::Level) -> usize {
    h.app.diff.view.as_ref().map_or(0, |v| {
        v.findings
            .iter()
            .filter(|f| f.finding.level == level)
            .count()
    })
}

#[test]
fn reopening_a_pair_or_toggling_the_form_back_uses_the_kept_pair() {
    let mut h = harness(120, 40);
    select(&mut h, "petstore");
    let first = h.app.diff.view.as_ref().expect("a pair").model.clone();
    let request = h.app.diff.view.as_ref().expect("a pair").request.clone();
    // `t` twice: the published form, then the canonical one again.
    h.key(KeyCode::Char('3'))
        .key(KeyCode::Char('t'))
        .key(KeyCode::Char('t'));
    let again = h.app.diff.view.as_ref().expect("a pair").model.clone();
    assert!(
        Arc::ptr_eq(&first, &again),
        "the canonical pair was compared again"
    );
    assert!(h.loader.cached_pairs().0 >= 2);
    // Another watch and back: the same pair, not a new comparison.
    select(&mut h, "longdoc");
    select(&mut h, "petstore");
    let back = h.app.diff.view.as_ref().expect("a pair").model.clone();
    assert!(Arc::ptr_eq(&first, &back));
    // Asked directly, the loader answers from what it kept.
    let Loaded::Pair(answer) = h.loader.handle(Request::Pair(PairRequest { ..request })) else {
        panic!("not a pair");
    };
    let view = (*answer).expect("the pair");
    assert!(Arc::ptr_eq(&first, &view.model));
    let (pairs, bytes) = h.loader.cached_pairs();
    assert!((2..=apiradar::tui::data::PAIR_CACHE_PAIRS).contains(&pairs));
    assert!(bytes > 0 && bytes <= apiradar::tui::data::PAIR_CACHE_BYTES);
}

#[test]
fn the_command_line_edits_completes_remembers_and_asks_before_removing() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        select(&mut h, "catalog");
        // Readline keys edit rather than insert letters.
        h.key(KeyCode::Char(':')).keys("pause xyz");
        h.key_with(KeyCode::Char('w'), KeyModifiers::CONTROL);
        assert!(h.shows(":pause ▏"), "{w}x{hgt}:\n{}", h.screen());
        h.key_with(KeyCode::Char('u'), KeyModifiers::CONTROL);
        assert!(h.shows(":▏"), "{w}x{hgt}:\n{}", h.screen());
        h.keys("dif").key(KeyCode::Left).key(KeyCode::Left);
        assert!(h.shows(":d▏if"), "{w}x{hgt}:\n{}", h.screen());
        // Tab completes the command, then a watch name.
        h.key_with(KeyCode::Char('e'), KeyModifiers::CONTROL)
            .key(KeyCode::Tab)
            .keys("pet")
            .key(KeyCode::Tab);
        assert!(h.shows(":diff petstore@▏"), "{w}x{hgt}:\n{}", h.screen());
        // `:diff A@N B@M` uses the watch named, not the one selected.
        h.keys("1 petstore@2").key(KeyCode::Enter);
        let view = h.app.diff.view.as_ref().expect("a pair");
        assert_eq!(view.watch_name, "petstore");
        assert_eq!((view.request.base_seq, view.request.rev_seq), (1, 2));
        // Or says why not.
        h.key(KeyCode::Char(':'))
            .keys("diff catalog@1 petstore@2")
            .key(KeyCode::Enter);
        assert!(
            h.app
                .message()
                .is_some_and(|m| m.contains("not catalog and petstore")),
            "{:?}",
            h.app.message()
        );
        h.key(KeyCode::Char(':'))
            .keys("diff petstore@1 petstore@9")
            .key(KeyCode::Enter);
        assert_eq!(
            h.app.message(),
            Some("there is no version #9 of petstore (it has #1 to #4)")
        );
        // ↑ brings back the last line.
        h.key(KeyCode::Char(':')).key(KeyCode::Up);
        assert!(
            h.shows(":diff petstore@1 petstore@9▏"),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        h.key(KeyCode::Esc);
        // Removing asks first; `n` keeps the watch.
        h.key(KeyCode::Char(':'))
            .keys("remove petstore")
            .key(KeyCode::Enter);
        assert!(h.app.confirming());
        assert!(
            h.shows("Remove the watch petstore"),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        h.key(KeyCode::Char('n'));
        assert!(!h.app.confirming());
        assert!(h.store().watch("petstore").is_ok(), "n kept it");
        h.key(KeyCode::Char(':'))
            .keys("remove petstore")
            .key(KeyCode::Enter);
        h.key(KeyCode::Char('y'));
        assert!(h.store().watch("petstore").is_err(), "y removed it");
    }
}

#[test]
fn probing_is_switched_on_after_a_confirmation_and_the_pane_says_when_it_is_off() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        select(&mut h, "petstore");
        let id = h.store().watch("petstore").expect("petstore").id;
        h.key(KeyCode::Char('4'));
        // Even the small pane of the wide layout says so in its title.
        assert!(h.shows("probing off (e)"), "{w}x{hgt}:\n{}", h.screen());
        if w >= 120 {
            h.key(KeyCode::Char('f'));
        }
        assert!(
            h.shows("Probing is off for petstore"),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        assert!(
            h.shows("Press e to turn it on"),
            "{w}x{hgt}:\n{}",
            h.screen()
        );
        h.key(KeyCode::Char('e'));
        assert!(h.app.confirming(), "turning it on asks first");
        let screen = h.screen();
        assert!(screen.contains("Turn probing on for petstore?"), "{screen}");
        // The numbers: endpoints and hosts.
        let asked = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            asked.contains(" on 1 host (127.0.0.1)"),
            "{w}x{hgt}: {asked}"
        );
        assert!(!h.store().health_settings(id).expect("settings").probe);
        h.key(KeyCode::Char('y'));
        assert!(h.store().health_settings(id).expect("settings").probe);
        assert!(
            h.app.message().is_some_and(|m| m.contains("probing on")),
            "{:?}",
            h.app.message()
        );
        assert!(!h.shows("Probing is off"), "{w}x{hgt}:\n{}", h.screen());
        assert!(!h.shows("probing off"), "{w}x{hgt}:\n{}", h.screen());
        // Off again without a question.
        h.key(KeyCode::Char('e'));
        assert!(!h.app.confirming());
        assert!(!h.store().health_settings(id).expect("settings").probe);
        assert!(h.shows("Probing is off for petstore"));
    }
}

#[test]
fn the_health_pane_gives_the_reason_and_details_on_enter() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        select(&mut h, "petstore");
        h.key(KeyCode::Char('4'));
        if w < 120 {
            // One pane at a time: zoomed already.
        } else {
            h.key(KeyCode::Char('f'));
        }
        // The flapping endpoint's last check was down with a 503: the
        // reason is on its row.
        assert!(h.shows("· 503"), "{w}x{hgt}:\n{}", h.screen());
        // Its detail: the latest checks and what went wrong.
        let rows = h.app.health.copy_text();
        assert!(rows.is_some());
        h.key(KeyCode::Char('j'));
        let (_, endpoint) = h.app.health.copy_text().expect("an endpoint");
        assert!(endpoint.ends_with("/api/status"), "{endpoint}");
        h.key(KeyCode::Enter);
        assert!(h.app.health.detail_open());
        let screen = h.screen();
        for needle in [
            "latest checks",
            "what went wrong",
            "HTTP 503",
            "p95",
            "/api/status",
        ] {
            assert!(screen.contains(needle), "{w}x{hgt}: {needle}:\n{screen}");
        }
        h.key(KeyCode::Esc);
        assert!(!h.app.health.detail_open());
    }
}

#[test]
fn help_scrolls_with_the_pane_keys_and_says_there_is_more() {
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        h.key(KeyCode::Char('?'));
        if hgt < 40 {
            assert!(h.shows("more below"), "{w}x{hgt}:\n{}", h.screen());
            h.key(KeyCode::Char('G'));
            assert!(!h.shows("more below"), "{w}x{hgt}:\n{}", h.screen());
            assert!(h.shows("above"), "{w}x{hgt}:\n{}", h.screen());
            assert!(h.shows("quit"), "{w}x{hgt}: the last line:\n{}", h.screen());
            h.key(KeyCode::Char('g'));
            assert!(h.shows("more below"));
        } else {
            // Everything fits at 200×60 but the commands' end is still
            // reachable and nothing claims more.
            h.key(KeyCode::Char('G'));
            assert!(h.shows("leave"), "{w}x{hgt}:\n{}", h.screen());
        }
        h.key(KeyCode::Esc);
        assert!(!h.app.help_open());
    }
}

#[test]
fn the_watch_list_shows_whole_names_and_counts_what_a_filter_keeps() {
    // At 120 columns the list is a narrow pane of the wide layout: the
    // status is its icon, and the name is whole.
    let h = harness(120, 40);
    assert!(h.shows("openai-api-description"), "{}", h.screen());
    for (w, hgt) in SIZES {
        let mut h = harness(w, hgt);
        assert!(h.shows("(4)"), "{w}x{hgt}:\n{}", h.screen());
        h.key(KeyCode::Char('/')).keys("pet").key(KeyCode::Enter);
        assert!(h.shows("(1 of 4)"), "{w}x{hgt}:\n{}", h.screen());
    }
}

/// A version whose finding counts the worker has not computed yet (an
/// import's) says so in the timeline instead of showing blanks.
#[test]
fn the_timeline_says_when_counts_are_pending() {
    let mut h = Harness::build(120, 40, "dark", ColorDepth::Ansi256, |dir| {
        let db = long_database(dir);
        let conn = rusqlite::Connection::open(&db).expect("open");
        conn.execute(
            "UPDATE versions SET counts_pending = 1, errors = NULL, warnings = NULL, infos = NULL
             WHERE seq = 2 AND watch_id = (SELECT id FROM watches WHERE name = 'longdoc')",
            [],
        )
        .expect("mark pending");
        db
    });
    select(&mut h, "longdoc");
    assert!(h.shows("counts pending"), "{}", h.screen());
}
