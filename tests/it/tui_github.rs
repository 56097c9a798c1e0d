//! The dashboard on the largest pair of a real history, through a real
//! terminal (issue 16's "done when"): github-rest-api's two largest
//! adjacent versions (13 MB of JSON each) imported with `apiradar import`,
//! the dashboard scrolled right to the end of the longest line and a
//! finding opened in full, at 80×24 and at 200×60. Skips, saying so, when
//! `../shared/corpus` is not beside the project.
//!
//! Screens are read after a resize: ratatui then redraws every cell, so
//! the text on screen reaches the pty whole (otherwise only changed cells
//! are written, and a line scrolled sideways may share cells with the
//! frame before).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use apiradar::spec::NormalizeOptions;
use apiradar::watch::Kind;

use crate::tui_pty::{Session, describe, excerpt};

/// A debug build compares 2 × 13 MB and lays out 450 000 lines: generous.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

fn archive() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus/histories/github-rest-api.tar.zst");
    p.exists().then_some(p)
}

/// Unpacks `members` of the archive into `dir`.
fn unpack(archive: &Path, dir: &Path, members: &[String]) -> bool {
    Command::new("tar")
        .args(["-I", "zstd", "-xf"])
        .arg(archive)
        .arg("-C")
        .arg(dir)
        .args(members)
        .status()
        .is_ok_and(|s| s.success())
}

/// The two adjacent versions with the most bytes between them, from the
/// history's INDEX.tsv (seq, date, id, file, bytes, …).
fn largest_pair(index: &str) -> Option<(String, String)> {
    let rows: Vec<(String, u64)> = index
        .lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Some((cols.get(3)?.to_string(), cols.get(4)?.parse().ok()?))
        })
        .collect();
    rows.windows(2)
        .max_by_key(|w| w[0].1 + w[1].1)
        .map(|w| (w[0].0.clone(), w[1].0.clone()))
}

/// Text as the screen reader in `tui_pty` sees it: whitespace runs as one
/// space.
fn squeezed(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_largest_github_pair_scrolls_to_the_end_of_its_longest_line_and_opens_a_finding() {
    let Some(archive) = archive() else {
        eprintln!(
            "skipped: ../shared/corpus/histories/github-rest-api.tar.zst is not beside the project"
        );
        return;
    };
    let corpus = tempfile::tempdir().expect("a temporary directory");
    let index_member = "github-rest-api/INDEX.tsv".to_string();
    if !unpack(&archive, corpus.path(), std::slice::from_ref(&index_member)) {
        eprintln!(
            "skipped: cannot unpack {} (tar with zstd)",
            archive.display()
        );
        return;
    }
    let index = std::fs::read_to_string(corpus.path().join(&index_member)).expect("INDEX.tsv");
    let (older, newer) = largest_pair(&index).expect("a pair in INDEX.tsv");
    let members = [older, newer].map(|f| format!("github-rest-api/{f}"));
    assert!(
        unpack(&archive, corpus.path(), &members),
        "cannot unpack {members:?}"
    );
    let files = members.map(|m| corpus.path().join(m));

    // The longest line of the newer version as the dashboard shows it
    // (the canonical form), its start to search for and its end to read.
    let raw = std::fs::read(&files[1]).expect("the newer file");
    let canonical = apiradar::spec::normalize(Kind::OpenApi, &raw, &NormalizeOptions::default())
        .expect("the newer version normalizes")
        .canonical;
    let text = String::from_utf8_lossy(&canonical);
    let longest = text
        .lines()
        .max_by_key(|l| l.chars().count())
        .expect("lines");
    let chars: Vec<char> = longest.trim().chars().collect();
    assert!(chars.len() > 200, "a long line: {} characters", chars.len());
    // The search: 24 characters from its middle (no whitespace at the
    // ends, which the search line would keep but the screen reader not).
    let needle: String = chars[chars.len() / 2..chars.len() / 2 + 24]
        .iter()
        .collect();
    let needle = needle.trim().to_string();
    let tail = squeezed(&chars[chars.len() - 24..].iter().collect::<String>());
    // The finding the list selects first: the most serious, as the engine
    // ordered them.
    let base_raw = std::fs::read(&files[0]).expect("the older file");
    let mut findings = apiradar::diff::compare_raw(
        Kind::OpenApi,
        &base_raw,
        &raw,
        None,
        &apiradar::spec::Limits::default(),
    )
    .map_err(|(_, e)| e.to_string())
    .expect("the pair compares")
    .findings;
    findings.sort_by_key(|f| std::cmp::Reverse(f.level));
    let first = findings
        .first()
        .expect("the largest pair has a finding")
        .clone();

    let db_files = files.clone();
    let mut s = Session::start_with(&[], move |dir| {
        let db = dir.join("github.db");
        // `apiradar import` into a fresh database, isolated like the session.
        let out = Command::new(env!("CARGO_BIN_EXE_apiradar"))
            .arg("import")
            .arg("github")
            .args(&db_files)
            .arg("--db")
            .arg(&db)
            .env("HOME", dir.join("home"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .env("XDG_STATE_HOME", dir.join("state"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env_remove("APIRADAR_DB")
            .env_remove("APIRADAR_CONFIG")
            .output()
            .expect("run apiradar import");
        assert!(
            out.status.success(),
            "import failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_apiradar"));
        cmd.arg("--db").arg(db);
        cmd
    });
    s.resize(80, 24);
    s.wait_for_screen_after(0, "github", LOAD_TIMEOUT);
    // The newest pair opens by itself: #1 → #2, unified at 80 columns.
    s.send(b"3");
    s.wait_for_screen_after(0, "#1 → #2 canonical", LOAD_TIMEOUT);
    s.send(b"/");
    s.send(needle.as_bytes());
    s.send(b"\r$");
    // The match count says the search is counted; then a full redraw.
    s.wait_for_screen_after(0, &format!("/{needle}"), STEP_TIMEOUT);
    std::thread::sleep(Duration::from_millis(500));
    let at = s.output().len();
    s.resize(81, 24);
    s.wait_for_screen_after(at, &tail, STEP_TIMEOUT);
    s.wait_for_screen_after(at, "unified", STEP_TIMEOUT);

    // At 200×60, side by side: `$` again, then read it after a redraw.
    s.resize(200, 60);
    std::thread::sleep(Duration::from_millis(300));
    s.send(b"$");
    std::thread::sleep(Duration::from_millis(500));
    let at = s.output().len();
    s.resize(201, 60);
    s.wait_for_screen_after(at, &tail, STEP_TIMEOUT);

    // One finding in full: Enter chooses the list; the detail panel shows
    // the first finding's id, message and pointers.
    s.send(b"\r");
    std::thread::sleep(Duration::from_millis(500));
    let at = s.output().len();
    s.resize(200, 60);
    s.wait_for_screen_after(at, "1 of ", STEP_TIMEOUT);
    s.wait_for_screen_after(at, "Enter jumps", STEP_TIMEOUT);
    let in_full = |shown: &str, size: &str| {
        // Its id, every word of its message (the detail wraps between
        // words) and the side its pointer is on.
        assert!(
            shown.contains(first.id),
            "{size}: no {}:\n{shown}",
            first.id
        );
        for word in first.message.split_whitespace() {
            assert!(shown.contains(word), "{size}: no {word:?}:\n{shown}");
        }
        let side = if first.base_pointer.is_some() {
            "older"
        } else {
            "newer"
        };
        assert!(shown.contains(side), "{size}: no {side}:\n{shown}");
    };
    // The whole frame, not the part written so far.
    s.wait_for_screen_after(at, first.id, STEP_TIMEOUT);
    std::thread::sleep(Duration::from_millis(700));
    in_full(&crate::tui_pty::screen_text(&s.output()[at..]), "200x60");
    let at = s.output().len();
    s.resize(80, 24);
    s.wait_for_screen_after(at, first.id, STEP_TIMEOUT);
    std::thread::sleep(Duration::from_millis(700));
    in_full(&crate::tui_pty::screen_text(&s.output()[at..]), "80x24");

    s.send(b"q");
    let status = s.wait_exit();
    let (_, out) = s.finish();
    assert!(
        status.success(),
        "quitting should exit 0, got {}; output:\n{}",
        describe(status),
        excerpt(&out)
    );
}
