//! The one owner of the terminal: raw mode, the alternate screen and mouse
//! capture go on in [`Term::enter`] and come off when it is dropped, when
//! the app returns an error, when anything panics, on SIGTERM, SIGHUP and
//! SIGINT ([`watch_signals`]), and while the dashboard is suspended with
//! Ctrl-z ([`Term::suspend`]; SIGCONT takes the terminal back).

use std::io::{self, Stdout, Write};
use std::sync::Once;

use crossterm::{
    cursor,
    event::{DisableMouseCapture, EnableMouseCapture},
    execute,
    terminal::{self, EnterAlternateScreen, LeaveAlternateScreen},
};
use ratatui::{Terminal, backend::CrosstermBackend};

pub type Backend = CrosstermBackend<Stdout>;

/// The terminal while the dashboard owns it.
pub struct Term {
    /// Always there but in [`Term`]'s own drop, which drops it only while
    /// the terminal is still there: ratatui's drop reports a cursor it
    /// cannot show on standard error, which panics when that is a terminal
    /// that has hung up.
    terminal: Option<Terminal<Backend>>,
    mouse: bool,
    restored: bool,
}

impl Term {
    /// Takes over the terminal. If anything fails half-way, what was
    /// already changed is put back before the error is returned.
    pub fn enter(mouse: bool) -> io::Result<Term> {
        install_panic_hook();
        terminal::enable_raw_mode()?;
        let setup = (|| {
            let mut out = io::stdout();
            execute!(out, EnterAlternateScreen, cursor::Hide)?;
            if mouse {
                execute!(out, EnableMouseCapture)?;
            }
            Terminal::new(CrosstermBackend::new(io::stdout()))
        })();
        match setup {
            Ok(terminal) => Ok(Term {
                terminal: Some(terminal),
                mouse,
                restored: false,
            }),
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }

    /// Ctrl-z: gives the terminal back and stops the process as the shell
    /// expects (SIGTSTP); when continued (`fg`), takes the terminal again.
    /// The next draw repaints every cell.
    pub fn suspend(&mut self) -> io::Result<()> {
        self.release();
        // Stops here until SIGCONT. In an orphaned process group (no job
        // control to continue it) the kernel discards the signal and this
        // returns at once, which is right too.
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        self.retake()
    }

    /// After a stop (our own Ctrl-z, or SIGSTOP/SIGTSTP from elsewhere):
    /// raw mode, the alternate screen and the hidden cursor again, from
    /// whatever state the shell left the terminal in, and a full repaint.
    pub fn retake(&mut self) -> io::Result<()> {
        // Raw mode from the terminal's present settings: crossterm skips
        // `enable_raw_mode` while it believes raw mode is on.
        let _ = terminal::disable_raw_mode();
        terminal::enable_raw_mode()?;
        let mut out = io::stdout();
        execute!(
            out,
            EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        )?;
        if self.mouse {
            execute!(out, EnableMouseCapture)?;
        }
        self.restored = false;
        // A new ratatui terminal knows nothing of the screen, so the next
        // draw paints every cell. (`Terminal::clear` would ask the
        // terminal for the cursor position and wait for its answer.)
        self.terminal = Some(Terminal::new(CrosstermBackend::new(io::stdout()))?);
        Ok(())
    }

    /// The terminal as it was, for a while (Ctrl-z).
    fn release(&mut self) {
        if self.mouse {
            let _ = execute!(io::stdout(), DisableMouseCapture);
        }
        restore_terminal();
    }

    /// Draws a frame.
    pub fn draw(&mut self, render: impl FnOnce(&mut ratatui::Frame)) -> io::Result<()> {
        match &mut self.terminal {
            Some(terminal) => terminal.draw(render).map(|_| ()),
            None => Ok(()),
        }
    }

    /// Gives the terminal back; also done on drop.
    pub fn restore(&mut self) {
        if self.restored {
            return;
        }
        self.restored = true;
        self.release();
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.restore();
        // The cursor is shown already; telling ratatui so leaves its drop
        // nothing to do. When even that cannot be written (the terminal
        // has hung up), its drop would try again and report the failure
        // on a standard error that is gone too: it is forgotten instead
        // (a buffer the ending process frees anyway).
        if let Some(mut terminal) = self.terminal.take()
            && terminal.show_cursor().is_err()
        {
            std::mem::forget(terminal);
        }
    }
}

/// Leaves the alternate screen, shows the cursor and turns raw mode and
/// mouse capture off. Safe to call more than once and when none of it
/// was on.
pub fn restore_terminal() {
    let mut out = io::stdout();
    let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before the panic message is printed, so the
/// message is readable and the shell usable.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

/// A signal the dashboard acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermSignal {
    /// SIGTERM, SIGHUP or SIGINT: give the terminal back and exit with
    /// 128 + the signal's number (see [`StoppedBySignal`]).
    Stop(i32),
    /// SIGCONT: continued after being stopped; take the terminal again
    /// and repaint.
    Continued,
}

/// Forwards SIGTERM, SIGHUP, SIGINT and SIGCONT to `forward` from a thread
/// of their own, until the handle is closed or `forward` returns false.
/// (SIGTSTP keeps its default action, stopping the process: Ctrl-z in raw
/// mode arrives as a key, and [`Term::suspend`] raises it itself.)
pub fn watch_signals(
    forward: impl Fn(TermSignal) -> bool + Send + 'static,
) -> io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT, SIGCONT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("apiradar-signals".into())
        .spawn(move || {
            for signal in signals.forever() {
                let event = match signal {
                    SIGCONT => TermSignal::Continued,
                    other => TermSignal::Stop(other),
                };
                if !forward(event) {
                    break;
                }
            }
        })?;
    Ok(handle)
}

/// The dashboard ended because of a signal, with the terminal restored.
/// The process exits with 128 + the signal's number, as a shell reports a
/// process killed by it (143 for SIGTERM, 129 for SIGHUP, 130 for SIGINT).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoppedBySignal(pub i32);

impl StoppedBySignal {
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.0).unwrap_or(u8::MAX)
    }
}

impl std::fmt::Display for StoppedBySignal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match signal_hook::low_level::signal_name(self.0) {
            Some(name) => write!(f, "the dashboard was stopped by {name}"),
            None => write!(f, "the dashboard was stopped by signal {}", self.0),
        }
    }
}

impl std::error::Error for StoppedBySignal {}

/// The most text `y` sends through OSC 52: xterm takes about 74 000
/// base64 characters by default, tmux and most others more; beyond it the
/// copy would be cut or dropped without a word.
pub const OSC52_MAX: usize = 48 * 1024;

/// The OSC 52 sequence that puts `text` on the terminal's clipboard. The
/// text travels base64-encoded, so nothing in it can act as a terminal
/// control sequence. Inside tmux the sequence is passed through as is:
/// tmux with `set-clipboard on` takes it itself.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

/// Writes `text` to the clipboard through the terminal (OSC 52).
pub fn copy_to_clipboard(text: &str) -> io::Result<()> {
    let mut out = io::stdout();
    out.write_all(osc52(text).as_bytes())?;
    out.flush()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod osc52_tests {
    use super::*;

    #[test]
    fn osc52_wraps_base64_of_the_text() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(osc52("hi\x1b[2J"), "\x1b]52;c;aGkbWzJK\x07");
    }
}
