//! Signals to the dashboard, in a real pseudo-terminal (the harness of
//! `tui_pty`): SIGTERM and SIGHUP give the terminal back before the process
//! ends, and Ctrl-z suspends it the way a shell user expects, with `fg`
//! bringing it back fully redrawn.

use std::time::{Duration, Instant};

use crate::tui_pty::{
    ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, READY_TEXT, SHOW_CURSOR, Session, assert_cooked,
    assert_screen_restored, describe, excerpt, find, is_cooked, rfind, screen_text, termios_of,
};

/// Sends `signal` to the running dashboard.
fn kill(s: &Session, signal: libc::c_int) {
    let pid = libc::pid_t::try_from(s.child.id()).expect("a pid fits pid_t");
    // SAFETY: kill with a pid we spawned and still own (not yet waited for).
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(rc, 0, "kill failed: {}", std::io::Error::last_os_error());
}

/// Starts the dashboard, waits for its first frame in raw mode, sends
/// `signal`, and checks it exits with `code` and the terminal as it was.
fn stopped_by(signal: libc::c_int, code: i32, name: &str) {
    let mut s = Session::start(&[]);
    s.wait_for_screen(READY_TEXT);
    let during = termios_of(s.slave.as_ref().expect("slave open while running"));
    assert!(
        !is_cooked(&during),
        "the dashboard is drawn but the pty is not in raw mode (lflag = {:#x})",
        during.c_lflag
    );
    kill(&s, signal);
    let status = s.wait_exit();
    let (after, out) = s.finish();
    assert_eq!(
        status.code(),
        Some(code),
        "{name} should end the dashboard with exit code {code} (128 + signal), got {}; output:\n{}",
        describe(status),
        excerpt(&out)
    );
    assert_screen_restored(&out);
    assert_cooked(&s.before, &after, &out);
    assert!(
        screen_text(&out).contains(&format!("stopped by {name}")),
        "the dashboard should say it was stopped by {name}; output:\n{}",
        excerpt(&out)
    );
}

#[test]
fn sigterm_restores_the_terminal_and_exits_143() {
    stopped_by(libc::SIGTERM, 143, "SIGTERM");
}

#[test]
fn sighup_restores_the_terminal_and_exits_129() {
    stopped_by(libc::SIGHUP, 129, "SIGHUP");
}

/// Waits until everything written so far holds `text` after byte `from`.
fn wait_for_text_after(s: &mut Session, from: usize, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = s.output();
        if screen_text(&out[from.min(out.len())..]).contains(text) {
            return;
        }
        if let Some(status) = s.child.try_wait().expect("cannot poll the shell") {
            panic!(
                "the shell exited ({}) before {text:?} showed; output:\n{}",
                describe(status),
                excerpt(&s.output())
            );
        }
        assert!(
            Instant::now() < deadline,
            "{text:?} did not show within 20 s; output:\n{}",
            excerpt(&out)
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The dashboard runs as a job of a shell with job control, as in a
/// terminal: Ctrl-z must stop it (the shell sees a stopped job, exit
/// status 148) with the screen and the line discipline given back, and
/// `fg` must bring it back in raw mode on the alternate screen, fully
/// redrawn, where `q` still quits.
#[test]
fn ctrl_z_suspends_the_dashboard_and_fg_brings_it_back() {
    let mut s = Session::start_with(&[], |dir| {
        let mut cmd = std::process::Command::new("bash");
        cmd.args(["--norc", "--noprofile", "-m", "-c"])
            .arg(
                r#""$0" --db "$1"; echo "[stopped $?]"; read -r _; fg >/dev/null; echo "[ended $?]""#,
            )
            .arg(env!("CARGO_BIN_EXE_apiradar"))
            .arg(dir.join("t.db"));
        cmd
    });
    s.wait_for_screen(READY_TEXT);
    let before_z = s.output().len();
    s.send(b"\x1a");
    wait_for_text_after(&mut s, before_z, "[stopped 148]");

    // Stopped: the screen was handed back before the shell spoke again,
    // and the terminal is cooked for the shell.
    let out = s.output();
    let tail = &out[before_z..];
    let stopped_at = find(tail, b"[stopped").expect("seen above");
    let leave = find(tail, LEAVE_ALT_SCREEN);
    let show = find(tail, SHOW_CURSOR);
    assert!(
        leave.is_some_and(|at| at < stopped_at) && show.is_some_and(|at| at < stopped_at),
        "Ctrl-z should leave the alternate screen and show the cursor before stopping; output:\n{}",
        excerpt(&out)
    );
    let stopped = termios_of(s.slave.as_ref().expect("slave open"));
    assert!(
        is_cooked(&stopped),
        "while the dashboard is stopped the terminal should be cooked (lflag = {:#x})",
        stopped.c_lflag
    );

    // `fg` (after the shell reads a line): back on the alternate screen,
    // in raw mode, with the whole frame drawn again.
    let before_fg = s.output().len();
    s.send(b"\n");
    wait_for_text_after(&mut s, before_fg, READY_TEXT);
    let out = s.output();
    let again = rfind(&out, ENTER_ALT_SCREEN).unwrap_or(0);
    assert!(
        again > before_fg,
        "after fg the dashboard should enter the alternate screen again; output:\n{}",
        excerpt(&out)
    );
    assert!(
        screen_text(&out[again..]).contains(READY_TEXT),
        "after fg the whole frame should be drawn again; output:\n{}",
        excerpt(&out)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while is_cooked(&termios_of(s.slave.as_ref().expect("slave open"))) {
        assert!(
            Instant::now() < deadline,
            "after fg the dashboard should be back in raw mode"
        );
        std::thread::sleep(Duration::from_millis(25));
    }

    let before_q = s.output().len();
    s.send(b"q");
    wait_for_text_after(&mut s, before_q, "[ended 0]");
    let status = s.wait_exit();
    let (after, out) = s.finish();
    assert!(
        status.success(),
        "the shell should end normally, got {}",
        describe(status)
    );
    assert_screen_restored(&out);
    assert_cooked(&s.before, &after, &out);
}
