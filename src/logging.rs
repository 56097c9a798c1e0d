//! Logging: always to a daily-rotated file in the platform state directory;
//! also to stderr in headless mode with `-v`. The dashboard owns the screen,
//! so it never logs to stderr.
//!
//! Every line, at every level and to both places, goes through
//! [`crate::fetch::scrub_known`] on its way out, so no value substituted
//! for a `${VAR}` reference is ever written, whichever part logged it.

use std::path::Path;

use std::io::{self, Write};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, fmt};

/// Log files kept (one per day).
const KEEP_FILES: usize = 7;

/// Where logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Headless command: stderr too when verbose.
    Headless { verbose: u8 },
    /// The terminal UI owns the screen: file only.
    Screen,
}

/// Installs the global subscriber. Keep the guard alive until exit so the
/// file writer flushes. A log directory that cannot be created is not fatal:
/// logging then goes to stderr (headless) or nowhere.
pub fn init(log_dir: &Path, mode: Mode) -> Option<WorkerGuard> {
    let level = match mode {
        Mode::Headless { verbose: 0 } | Mode::Screen => "info",
        Mode::Headless { verbose: 1 } => "debug",
        Mode::Headless { .. } => "trace",
    };
    let filter = || {
        EnvFilter::try_from_env("APIRADAR_LOG")
            .unwrap_or_else(|_| EnvFilter::new(format!("apiradar={level},warn")))
    };
    let file = std::fs::create_dir_all(log_dir).ok().and_then(|_| {
        tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("apiradar")
            .filename_suffix("log")
            .max_log_files(KEEP_FILES)
            .build(log_dir)
            .ok()
    });
    let (file_layer, guard) = match file {
        Some(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            (
                Some(
                    fmt::layer()
                        .with_writer(Scrubbed(writer))
                        .with_ansi(false)
                        .fmt_fields(safe_fields())
                        .with_filter(filter()),
                ),
                Some(guard),
            )
        }
        None => (None, None),
    };
    let stderr_layer = match mode {
        Mode::Headless { verbose } if verbose > 0 => Some(
            fmt::layer()
                .with_writer(Scrubbed(std::io::stderr))
                .with_target(false)
                .fmt_fields(safe_fields())
                .with_filter(filter()),
        ),
        _ => None,
    };
    // Only fails when a subscriber is already set (tests): keep that one.
    let _ = tracing_subscriber::registry()
        .with(file_layer)
        .with(stderr_layer)
        .try_init();
    guard
}

/// Log fields as the default format writes them (`message`, then
/// `name=value`), each value one line with its control characters shown as
/// escapes ([`crate::text::line`]): errors quote documents and servers, and
/// the log is read on a terminal.
fn safe_fields() -> impl for<'w> fmt::FormatFields<'w> + 'static {
    use tracing_subscriber::field::MakeExt;
    fmt::format::debug_fn(|w, field, value| {
        let shown = format!("{value:?}");
        let shown = crate::text::line(&shown);
        if field.name() == "message" {
            write!(w, "{shown}")
        } else {
            write!(w, "{field}={shown}")
        }
    })
    .delimited(" ")
}

/// A writer maker whose writers scrub secrets from what they write.
struct Scrubbed<M>(M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbed<M> {
    type Writer = ScrubbedWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        ScrubbedWriter(self.0.make_writer())
    }
}

/// Scrubs each write: the formatter writes one whole event at a time, so
/// a secret is never split between two writes.
struct ScrubbedWriter<W>(W);

impl<W: Write> Write for ScrubbedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let clean = crate::fetch::scrub_known(&text);
        self.0.write_all(clean.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_lines_lose_remembered_secrets() {
        crate::fetch::Scrubber::new(&["zq7"]).remember();
        let mut out = ScrubbedWriter(Vec::new());
        out.write_all(b"GET http://h/x?key=zq7 failed\n").unwrap();
        assert_eq!(out.0, b"GET http://h/x?key=*** failed\n");
    }
}
