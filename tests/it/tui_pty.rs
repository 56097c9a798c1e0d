//! The dashboard gives the terminal back: run the real `apiradar` binary in a
//! pseudo-terminal, let it draw, make it quit (or panic), and check that the
//! terminal ends up as it was before: alternate screen left, cursor shown,
//! mouse capture off and the line discipline cooked again (ICANON, ECHO).
//!
//! The in-process TUI tests (`tests/it/tui.rs`) draw into a test backend and
//! never touch a real terminal, so they cannot see a forgotten
//! `disable_raw_mode` or a panic hook that prints into the alternate screen.
//! Only a real pty can: the escape sequences the binary writes are read off
//! the master side, and the termios is read from the slave side after the
//! child is gone, which is exactly what the user's shell would find.
//!
//! Nothing here may hang the test run: every wait has a deadline, the child
//! is killed whenever a test fails with it still running (see
//! [`Session`]'s `Drop`), and the reader thread stops on a flag instead of
//! relying on end-of-file alone.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long the dashboard may take to show its first frame. A debug build
/// opening a fresh database is quick; this only has to be generous on a
/// loaded CI machine.
pub(crate) const SCREEN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the dashboard may take to exit after a quit key or a panic.
pub(crate) const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the reader thread may take to hand over the last output once the
/// child is gone and the slave side is closed.
const READER_TIMEOUT: Duration = Duration::from_secs(5);
/// The title of the watches pane, the sign that a frame has been drawn.
pub(crate) const READY_TEXT: &str = "Watched APIs";
/// The text of the panic that `APIRADAR_TUI_TEST_PANIC=1` provokes.
const PANIC_TEXT: &str = "APIRADAR_TUI_TEST_PANIC";

pub(crate) const ENTER_ALT_SCREEN: &[u8] = b"\x1b[?1049h";
pub(crate) const LEAVE_ALT_SCREEN: &[u8] = b"\x1b[?1049l";
pub(crate) const SHOW_CURSOR: &[u8] = b"\x1b[?25h";
pub(crate) const HIDE_CURSOR: &[u8] = b"\x1b[?25l";
/// The private modes crossterm's `EnableMouseCapture` turns on (normal,
/// button-event and any-event tracking, SGR encoding). Each one that the
/// binary switched on must be switched off again.
const MOUSE_MODES: &[u32] = &[1000, 1002, 1003, 1006];

/// Serialises "open a pty and mark it close-on-exec" against "spawn a
/// child" for the tests in this file. `openpty` hands out descriptors
/// without `FD_CLOEXEC`; if a child were forked in between, it would inherit
/// our slave and keep it open, so our master would not see the hang-up.
/// Holding one lock across both steps closes that window here; a test in
/// another module of this binary may still fork inside it, which is why the
/// reader thread also stops on a flag (see [`read_master`]).
static SPAWN_LOCK: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------
// The pty and the child

/// Opens a pty of 100×30 cells; both descriptors close on exec.
fn open_pty() -> (OwnedFd, OwnedFd) {
    let mut master: libc::c_int = -1;
    let mut slave: libc::c_int = -1;
    // A real size matters: without one the pty reports 0×0 and the
    // dashboard would draw nothing worth waiting for.
    let mut size = libc::winsize {
        ws_row: 30,
        ws_col: 100,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: the out-pointers are valid for writes; a null name and termios
    // are allowed and mean "don't return the name" and "default settings".
    // A `*mut` pointer coerces to `*const` too, whichever this platform's
    // declaration of `openpty` wants.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &raw mut size,
        )
    };
    assert_eq!(rc, 0, "openpty failed: {}", std::io::Error::last_os_error());
    // SAFETY: openpty succeeded, so both are open descriptors that nothing
    // else owns.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    for fd in [&master, &slave] {
        // SAFETY: fcntl on a descriptor we own.
        let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        assert_ne!(
            rc,
            -1,
            "cannot mark a pty descriptor close-on-exec: {}",
            std::io::Error::last_os_error()
        );
    }
    (master, slave)
}

/// The termios of a terminal descriptor.
pub(crate) fn termios_of(fd: &OwnedFd) -> libc::termios {
    // SAFETY: termios is plain data; tcgetattr fills it in completely or
    // fails, and a failure is checked below.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a valid out-pointer.
    let rc = unsafe { libc::tcgetattr(fd.as_raw_fd(), &mut t) };
    assert_eq!(
        rc,
        0,
        "tcgetattr on the pty failed: {}",
        std::io::Error::last_os_error()
    );
    t
}

/// Whether the line discipline is cooked: canonical input and echo, the two
/// things raw mode turns off and a shell cannot live without.
pub(crate) fn is_cooked(t: &libc::termios) -> bool {
    t.c_lflag & libc::ICANON != 0 && t.c_lflag & libc::ECHO != 0
}

/// A running `apiradar` dashboard on a pty, and everything the test needs to
/// take it apart again. Dropping it kills the child if it is still running
/// and stops the reader thread, so a failed assertion never leaves a process
/// or a thread behind.
pub(crate) struct Session {
    pub(crate) child: Child,
    /// The master side, for typing keys.
    master: File,
    /// The slave side, kept open so its termios can be read after the child
    /// has exited. `None` once [`Session::finish`] has closed it.
    pub(crate) slave: Option<OwnedFd>,
    /// Everything read off the master so far.
    output: Arc<Mutex<Vec<u8>>>,
    /// Tells the reader thread to stop once the master has gone quiet.
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    /// The slave's termios before the child started.
    pub(crate) before: libc::termios,
    /// Owns the database and the home and XDG directories; deleted last.
    pub(crate) dir: TempDir,
}

impl Session {
    /// Starts the dashboard on an empty database in a fresh temporary
    /// directory, with `extra_env` set on top of the isolated environment.
    pub(crate) fn start(extra_env: &[(&str, &str)]) -> Session {
        Session::start_with(extra_env, |dir| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_apiradar"));
            cmd.arg("--db").arg(dir.join("t.db"));
            cmd
        })
    }

    /// Starts the command `build` makes (given the temporary directory) on
    /// the pty, in the same isolated environment as [`Session::start`]: for
    /// other `apiradar` commands, or a shell that runs the dashboard as a job.
    pub(crate) fn start_with(
        extra_env: &[(&str, &str)],
        build: impl FnOnce(&std::path::Path) -> Command,
    ) -> Session {
        let dir = tempfile::tempdir().expect("cannot create a temporary directory");
        let home = dir.path().join("home");
        let config = dir.path().join("config");
        let state = dir.path().join("state");
        let data = dir.path().join("data");
        for d in [&home, &config, &state, &data] {
            std::fs::create_dir_all(d).expect("cannot create the home and XDG directories");
        }

        let mut cmd = build(dir.path());
        cmd.current_dir(dir.path())
            // Keep the user's own config, database and logs out of it.
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", &config)
            .env("XDG_STATE_HOME", &state)
            .env("XDG_DATA_HOME", &data)
            .env("TERM", "xterm-256color")
            // A backtrace would only make the panic output longer.
            .env("RUST_BACKTRACE", "0")
            .env_remove("APIRADAR_DB")
            .env_remove("APIRADAR_CONFIG")
            .env_remove("APIRADAR_TUI_TEST_PANIC");
        for (k, v) in extra_env {
            cmd.env(k, v);
        }
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A new session without a controlling terminal, then make
                // the pty (already on fd 0) the controlling terminal, as a
                // terminal emulator would. Without it `/dev/tty` does not
                // open, and crossterm may go looking for it.
                if libc::setsid() == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY as _, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }

        let (master, slave, before, child) = {
            let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            let (master, slave) = open_pty();
            let before = termios_of(&slave);
            // The check after exit only means something if the pty starts
            // cooked, so say so now rather than pass by accident later.
            assert!(
                is_cooked(&before),
                "a fresh pty should be cooked (ICANON and ECHO set), lflag = {:#x}",
                before.c_lflag
            );
            let stdio = |what: &str| {
                Stdio::from(
                    slave
                        .try_clone()
                        .unwrap_or_else(|e| panic!("cannot dup the pty slave for {what}: {e}")),
                )
            };
            cmd.stdin(stdio("stdin"))
                .stdout(stdio("stdout"))
                .stderr(stdio("stderr"));
            let child = cmd.spawn().expect("cannot start the apiradar binary");
            // `cmd` still holds the three dups; drop it so the only slave
            // descriptors left are the child's and `slave`.
            drop(cmd);
            (master, slave, before, child)
        };

        let output = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader_fd = File::from(
            master
                .try_clone()
                .expect("cannot dup the pty master for the reader thread"),
        );
        let reader = {
            let (output, stop) = (Arc::clone(&output), Arc::clone(&stop));
            std::thread::spawn(move || read_master(reader_fd, &output, &stop))
        };

        Session {
            child,
            master: File::from(master),
            slave: Some(slave),
            output,
            stop,
            reader: Some(reader),
            before,
            dir,
        }
    }

    /// Resizes the terminal, as a terminal emulator does when its window
    /// changes: the kernel signals SIGWINCH to the child.
    pub(crate) fn resize(&mut self, cols: u16, rows: u16) {
        let size = libc::winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: a valid descriptor and a valid winsize.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &size) };
        assert_eq!(
            rc,
            0,
            "cannot resize the pty: {}",
            std::io::Error::last_os_error()
        );
    }

    /// Waits until the output written after byte `from` shows `text` (see
    /// [`screen_text`]), failing as [`Session::wait_for_screen`] does.
    pub(crate) fn wait_for_screen_after(&mut self, from: usize, text: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.output();
            if screen_text(&out[from.min(out.len())..]).contains(text) {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("cannot poll the child") {
                panic!(
                    "apiradar exited ({}) before the screen showed {text:?}; output:\n{}",
                    describe(status),
                    excerpt(&out)
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "the screen did not show {text:?} within {timeout:?}; since then:\n{}",
                    screen_text(&out[from.min(out.len())..])
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// A copy of everything read off the master so far.
    pub(crate) fn output(&self) -> Vec<u8> {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Waits until the screen shows `text`, failing with the output so far
    /// if it does not within [`SCREEN_TIMEOUT`] or the child exits first.
    pub(crate) fn wait_for_screen(&mut self, text: &str) {
        let deadline = Instant::now() + SCREEN_TIMEOUT;
        loop {
            if screen_text(&self.output()).contains(text) {
                return;
            }
            if let Some(status) = self.child.try_wait().expect("cannot poll the child") {
                // Give the reader a moment to collect the last words.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "apiradar exited ({}) before the screen showed {text:?}; output:\n{}",
                    describe(status),
                    excerpt(&self.output())
                );
            }
            if Instant::now() >= deadline {
                panic!(
                    "the screen did not show {text:?} within {SCREEN_TIMEOUT:?}; output:\n{}",
                    excerpt(&self.output())
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Types `bytes` as if at the keyboard.
    pub(crate) fn send(&mut self, bytes: &[u8]) {
        self.master
            .write_all(bytes)
            .and_then(|()| self.master.flush())
            .expect("cannot write to the pty master");
    }

    /// Closes the master side, as a terminal window or an SSH connection
    /// that goes away does: the kernel hangs up the pty and sends SIGHUP to
    /// the child, the session's leader. The reader thread is stopped first
    /// (it holds a copy of the master).
    pub(crate) fn hang_up(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let deadline = Instant::now() + READER_TIMEOUT;
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            assert!(reader.is_finished(), "the pty reader did not stop");
            reader.join().expect("the pty reader thread panicked");
        }
        let null = File::open("/dev/null").expect("cannot open /dev/null");
        drop(std::mem::replace(&mut self.master, null));
    }

    /// Waits for the child to exit; on timeout kills it and fails with the
    /// output so far.
    pub(crate) fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot poll the child") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "apiradar did not exit within {EXIT_TIMEOUT:?} (killed it); output:\n{}",
                    excerpt(&self.output())
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// After the child has exited: reads the slave's termios, closes the
    /// slave so the master hangs up, and returns the termios with all the
    /// output the child wrote.
    pub(crate) fn finish(&mut self) -> (libc::termios, Vec<u8>) {
        let slave = self.slave.take().expect("finish called twice");
        let after = termios_of(&slave);
        // With the child gone this was the last slave descriptor: the
        // master now drains and then reports a hang-up, which ends the
        // reader on its own. The flag is the fallback if it does not.
        drop(slave);
        self.stop.store(true, Ordering::SeqCst);
        if let Some(reader) = self.reader.take() {
            let deadline = Instant::now() + READER_TIMEOUT;
            while !reader.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if reader.is_finished() {
                reader.join().expect("the pty reader thread panicked");
            }
            // Otherwise leave it detached rather than hang the test; it
            // stops at its next poll timeout anyway.
        }
        (after, self.output())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// The reader thread: copies the master's output into `output` until the
/// master hangs up (every slave descriptor closed) or, once `stop` is set,
/// until it has been quiet for one poll interval. It must keep reading while
/// the child runs, or the child would block once the pty buffer is full.
fn read_master(mut master: File, output: &Mutex<Vec<u8>>, stop: &AtomicBool) {
    let mut buf = [0u8; 8192];
    loop {
        let mut pfd = libc::pollfd {
            fd: master.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let n = unsafe { libc::poll(&mut pfd, 1, 100) };
        if n < 0 {
            if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        if n == 0 {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            continue;
        }
        // Readable or hung up: a read returns data, 0 or an error (EIO on
        // Linux once the slave is closed and drained) and never blocks.
        match master.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => output
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&buf[..n]),
        }
    }
}

// ---------------------------------------------------------------------------
// Reading the output

/// The text a screen built from `bytes` would show, roughly: escape
/// sequences that only change colours are dropped, the others (cursor
/// moves) become a space, and runs of white space become one space.
/// ratatui skips cells that have not changed, so the space in "Watched APIs"
/// may reach the pty as a cursor move rather than a space; this makes both
/// read the same.
pub(crate) fn screen_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.next() {
                Some('[') => {
                    let mut fin = None;
                    for c in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&c) {
                            fin = Some(c);
                            break;
                        }
                    }
                    if fin != Some('m') {
                        out.push(' ');
                    }
                }
                Some(']') => {
                    // An OSC string ends with BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\x07' {
                            break;
                        }
                        if c == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => out.push(' '),
            }
        } else if c.is_control() || c.is_whitespace() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The output for a failure message: escaped so escape sequences are
/// visible, and cut in the middle if long (the start shows the set-up, the
/// end shows the exit).
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const HEAD: usize = 1_500;
    const TAIL: usize = 4_000;
    let s = String::from_utf8_lossy(bytes).escape_debug().to_string();
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= HEAD + TAIL {
        return s;
    }
    let head: String = chars[..HEAD].iter().collect();
    let tail: String = chars[chars.len() - TAIL..].iter().collect();
    format!(
        "{head}\n[… {} characters left out …]\n{tail}",
        chars.len() - HEAD - TAIL
    )
}

pub(crate) fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => format!("{status:?}"),
    }
}

/// The screen was handed back: after the last switch to the alternate
/// screen, the binary left it again and showed the cursor, and every mouse
/// mode it turned on was turned off again, each after it was last turned on.
pub(crate) fn assert_screen_restored(out: &[u8]) {
    let enter = rfind(out, ENTER_ALT_SCREEN).unwrap_or_else(|| {
        panic!(
            "the dashboard never entered the alternate screen; output:\n{}",
            excerpt(out)
        )
    });
    let tail = &out[enter..];
    assert!(
        find(tail, LEAVE_ALT_SCREEN).is_some(),
        "the alternate screen was not left after it was last entered; output:\n{}",
        excerpt(out)
    );
    assert!(
        find(tail, SHOW_CURSOR).is_some(),
        "the cursor was not shown again after the alternate screen was last entered; output:\n{}",
        excerpt(out)
    );
    // The state at the very end is what the shell inherits.
    assert!(
        rfind(out, SHOW_CURSOR) > rfind(out, HIDE_CURSOR),
        "the last cursor sequence hides it; output:\n{}",
        excerpt(out)
    );
    for mode in MOUSE_MODES {
        let on = format!("\x1b[?{mode}h");
        let off = format!("\x1b[?{mode}l");
        if let Some(on_at) = rfind(out, on.as_bytes()) {
            assert!(
                rfind(out, off.as_bytes()).is_some_and(|off_at| off_at > on_at),
                "mouse mode {mode} was turned on and not off again; output:\n{}",
                excerpt(out)
            );
        }
    }
}

/// The line discipline is as it was: cooked, and with the same flags the
/// pty had before the child started (crossterm saves the termios when it
/// enters raw mode and puts that exact copy back).
pub(crate) fn assert_cooked(before: &libc::termios, after: &libc::termios, out: &[u8]) {
    assert!(
        is_cooked(after),
        "raw mode is still on after exit: ICANON {}, ECHO {} (lflag = {:#x}); output:\n{}",
        after.c_lflag & libc::ICANON != 0,
        after.c_lflag & libc::ECHO != 0,
        after.c_lflag,
        excerpt(out)
    );
    assert_eq!(
        (after.c_iflag, after.c_oflag, after.c_lflag),
        (before.c_iflag, before.c_oflag, before.c_lflag),
        "the termios flags (iflag, oflag, lflag) differ from before the dashboard started"
    );
}

/// Starts the dashboard, waits for its first frame, checks that it really
/// switched the pty to raw mode (so the later check is not vacuous), types
/// `key`, and checks a clean exit with the terminal restored.
fn quit_with(key: &[u8]) {
    let mut s = Session::start(&[]);
    s.wait_for_screen(READY_TEXT);
    let during = termios_of(s.slave.as_ref().expect("slave open while running"));
    assert!(
        !is_cooked(&during),
        "the dashboard is drawn but the pty is not in raw mode (lflag = {:#x})",
        during.c_lflag
    );
    s.send(key);
    let status = s.wait_exit();
    let (after, out) = s.finish();
    assert!(
        status.success(),
        "quitting with {key:?} should exit 0, got {}; output:\n{}",
        describe(status),
        excerpt(&out)
    );
    assert_screen_restored(&out);
    assert_cooked(&s.before, &after, &out);
}

// ---------------------------------------------------------------------------
// The tests

#[test]
fn quitting_with_q_restores_the_terminal() {
    quit_with(b"q");
}

#[test]
fn ctrl_c_quits_and_restores_the_terminal() {
    // In raw mode ISIG is off, so ^C reaches the dashboard as a key rather
    // than as SIGINT: this checks that the key quits, not that a signal
    // happens to kill the process.
    quit_with(b"\x03");
}

#[test]
fn a_terminal_that_goes_away_ends_the_dashboard() {
    let mut s = Session::start(&[]);
    s.wait_for_screen(READY_TEXT);
    s.hang_up();
    // Before: SIGHUP ended the event loop, but the dashboard then waited
    // for its input thread, which spun on the hung-up terminal for good.
    let status = s.wait_exit();
    assert_eq!(
        status.code(),
        Some(129),
        "a hang-up should end the dashboard as SIGHUP does (128 + 1), got {}",
        describe(status)
    );
}

#[test]
fn a_panic_restores_the_terminal_before_the_message() {
    let mut s = Session::start(&[("APIRADAR_TUI_TEST_PANIC", "1")]);
    // The panic comes right after the first frame, so no wait for the
    // screen: the process may be gone before a poll would see it.
    let status = s.wait_exit();
    let (after, out) = s.finish();
    assert_eq!(
        status.code(),
        Some(101),
        "a panic should exit with Rust's panic code 101, got {}; output:\n{}",
        describe(status),
        excerpt(&out)
    );
    let enter = rfind(&out, ENTER_ALT_SCREEN).unwrap_or_else(|| {
        panic!(
            "the dashboard never entered the alternate screen; output:\n{}",
            excerpt(&out)
        )
    });
    assert!(
        screen_text(&out).contains(READY_TEXT),
        "the panic should come after the first frame, which shows {READY_TEXT:?}; output:\n{}",
        excerpt(&out)
    );
    let leave = find(&out[enter..], LEAVE_ALT_SCREEN).unwrap_or_else(|| {
        panic!(
            "the panic left the alternate screen on; output:\n{}",
            excerpt(&out)
        )
    });
    let message = find(&out[enter..], PANIC_TEXT.as_bytes()).unwrap_or_else(|| {
        panic!(
            "the panic message {PANIC_TEXT:?} is not in the output; output:\n{}",
            excerpt(&out)
        )
    });
    // Printed on the alternate screen, the message would vanish the moment
    // the screen is switched back, and the user would never see it.
    assert!(
        message > leave,
        "the panic message was printed before the alternate screen was left; output:\n{}",
        excerpt(&out)
    );
    assert_screen_restored(&out);
    assert_cooked(&s.before, &after, &out);
}
