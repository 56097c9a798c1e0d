//! Run-now in the dashboard, in a real pseudo-terminal: the caching pane's
//! `t` asks to confirm with the tokens the suite will spend, Enter runs it
//! in the background, the tests' verdicts and the TTL ladder's countdown
//! show as the suite goes, and the finished run is read back from the
//! store. `:cache-test NAME` asks the same; Esc cancels.

use std::process::Command;

use crate::caching_local::LocalProvider;
use crate::tui_pty::Session;

/// Runs `apiradar --db DIR/t.db ARGS` in the session's isolated
/// directories, before the dashboard starts.
fn prepare(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_apiradar"))
        .arg("--db")
        .arg(dir.join("t.db"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env_remove("APIRADAR_DB")
        .env_remove("APIRADAR_CONFIG")
        .output()
        .expect("run apiradar");
    assert!(
        out.status.success(),
        "apiradar {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The screen as it stands after `bytes`: a 100×30 grid that takes the
/// characters and the cursor moves (`ESC [ row ; col H`) the dashboard
/// writes, and clears; colours and modes are skipped. (Matching the raw
/// stream is not enough: ratatui sends only the cells that changed, so a
/// word whose letter was already there arrives in pieces.)
fn screen(bytes: &[u8]) -> Vec<String> {
    let (w, h) = (100usize, 30usize);
    let mut grid = vec![vec![' '; w]; h];
    let (mut row, mut col) = (0usize, 0usize);
    let text = String::from_utf8_lossy(bytes);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.next() {
                Some('[') => {
                    let mut params = String::new();
                    let mut fin = ' ';
                    for c in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            fin = c;
                            break;
                        }
                        params.push(c);
                    }
                    match fin {
                        'H' if !params.starts_with('?') => {
                            let mut n = params.split(';').map(|p| p.parse::<usize>().unwrap_or(1));
                            row = n.next().unwrap_or(1).saturating_sub(1);
                            col = n.next().unwrap_or(1).saturating_sub(1);
                        }
                        'J' if params == "2" => grid = vec![vec![' '; w]; h],
                        _ => {}
                    }
                }
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            }
        } else if c == '\r' {
            col = 0;
        } else if c == '\n' {
            row += 1;
        } else if !c.is_control() {
            if row < h && col < w {
                grid[row][col] = c;
            }
            col += 1;
        }
    }
    grid.into_iter().map(|r| r.into_iter().collect()).collect()
}

/// Waits until the screen as it stands shows `text` on one of its lines.
fn wait_for(s: &Session, text: &str) {
    let deadline = std::time::Instant::now() + crate::tui_pty::SCREEN_TIMEOUT;
    loop {
        let now = screen(&s.output());
        if now.iter().any(|l| l.contains(text)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the screen does not show {text:?}:\n{}",
            now.join("\n")
        );
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
}

#[test]
fn run_now_in_the_caching_pane_confirms_then_shows_results_as_they_come() {
    let p = LocalProvider::start();
    let url = p.url.clone();
    let mut s = Session::start_with(&[], |dir| {
        prepare(
            dir,
            &[
                "cache",
                "add",
                "local",
                "--profile",
                "vllm",
                "--base-url",
                &url,
                "--model",
                "m1",
                "--tests",
                "identical,ttl",
                "--ttl-ladder",
                "3s",
                "--every",
                "24h",
            ],
        );
        // Run once, so the schedule does not find it due when the
        // dashboard starts: only run-now runs it.
        prepare(dir, &["cache-test", "local", "--tests", "identical"]);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_apiradar"));
        cmd.arg("--db").arg(dir.join("t.db"));
        cmd
    });
    s.wait_for_screen("Watched APIs");
    s.send(b"5");
    wait_for(&s, "local");
    let sent = p.chats();

    // `t`: the confirmation, with what the suite will spend.
    s.send(b"t");
    wait_for(&s, "Run the caching tests now?");
    wait_for(&s, "spends about");
    wait_for(&s, "Enter runs it");
    assert_eq!(p.chats(), sent, "nothing is sent before the yes");
    s.send(b"\r");
    // As it runs: the live panel, the TTL rung and its countdown.
    wait_for(&s, "running now");
    wait_for(&s, "rung 1/1 (3s): next probe in");
    // Done: the run is read back from the store.
    wait_for(&s, "hit 3s");
    assert_eq!(
        p.chats(),
        sent + 4,
        "identical twice, the TTL warm and probe"
    );

    // `:cache-test NAME` asks too; Esc cancels and nothing is sent.
    s.send(b":cache-test local\r");
    wait_for(&s, "Run the caching tests now?");
    s.send(b"\x1b");
    wait_for(&s, "caching run cancelled");
    s.send(b":cache-test nope\r");
    wait_for(&s, "no caching target `nope`");
    assert_eq!(p.chats(), sent + 4);
    s.send(b"q");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
}

#[test]
fn cache_test_on_a_terminal_counts_down_to_the_next_ttl_probe() {
    let p = LocalProvider::start();
    let url = p.url.clone();
    let mut s = Session::start_with(&[], |dir| {
        prepare(
            dir,
            &[
                "cache",
                "add",
                "local",
                "--profile",
                "vllm",
                "--base-url",
                &url,
                "--model",
                "m1",
                "--ttl-ladder",
                "2s",
            ],
        );
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_apiradar"));
        cmd.arg("--db")
            .arg(dir.join("t.db"))
            .args(["cache-test", "local", "--tests", "ttl"]);
        cmd
    });
    // The progress line, rewritten in place while the probe is waited for.
    s.wait_for_screen("test 1/1 ttl: rung 1/1 (2s), next probe in");
    let status = s.wait_exit();
    assert!(status.success(), "{status:?}");
    s.wait_for_screen("hit 2s");
}
