//! The one owner of the terminal: raw mode, the alternate screen and mouse
//! capture go on in [`Term::enter`] and come off when it is dropped, when
//! the app returns an error, and when anything panics.

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
    pub terminal: Terminal<Backend>,
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
                terminal,
                mouse,
                restored: false,
            }),
            Err(e) => {
                restore_terminal();
                Err(e)
            }
        }
    }

    /// Gives the terminal back; also done on drop.
    pub fn restore(&mut self) {
        if self.restored {
            return;
        }
        self.restored = true;
        if self.mouse {
            let _ = execute!(io::stdout(), DisableMouseCapture);
        }
        restore_terminal();
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        self.restore();
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
