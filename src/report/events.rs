//! The lines `apiradar run` and the headless demo print as things happen,
//! and the notes the commands print on stderr.

use std::path::Path;

use crate::app::Delivery;
use crate::config::SyncReport;
use crate::pipeline::poll::PollStatus;
use crate::pipeline::worker::WorkerEvent;
use crate::text::Line;

/// Where a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

/// The line for an event at `time` (`HH:MM:SS`), if it gets one.
pub fn event_line(event: &WorkerEvent, time: &str) -> Option<(Stream, String)> {
    let out = |s: String| Some((Stream::Out, s));
    match event {
        // Unchanged polls are the common case; the demo shows what moves.
        WorkerEvent::Polled(r) if r.status == PollStatus::Unchanged => None,
        WorkerEvent::Polled(r) => {
            let detail = match (&r.status, &r.error) {
                (_, Some(e)) => e.clone(),
                (PollStatus::New | PollStatus::Changed, _) => {
                    let counts = super::counts_text(r.counts.as_ref());
                    let version = format!("now at version {}", r.version.unwrap_or_default());
                    if counts.is_empty() {
                        version
                    } else {
                        format!("{version}: {counts}")
                    }
                }
                _ => String::new(),
            };
            out(format!(
                "{time}  {:<10} {:<9}  {}",
                Line(&r.name).to_string(),
                r.status.as_str(),
                Line(&detail)
            ))
        }
        WorkerEvent::AutoPaused { name, reason } => {
            let name = Line(name).to_string();
            out(format!("{time}  {name:<10} paused     {}", Line(reason)))
        }
        WorkerEvent::StoreFailed { error } => out(format!("{time}  store error: {}", Line(error))),
        WorkerEvent::HealthChecked {
            name,
            checked,
            down,
        } => out(format!(
            "{time}  {:<10} health: {checked} endpoints checked, {down} down",
            Line(name).to_string()
        )),
        WorkerEvent::CacheTested {
            name,
            models,
            failed,
        } => out(format!(
            "{time}  {:<10} caching: {models} models tested, {failed} failing",
            Line(name).to_string()
        )),
        WorkerEvent::ConfigSynced { file, outcome } => match outcome {
            Ok(summary) => out(format!(
                "{time}  reloaded {}: {}",
                Line(file),
                Line(summary)
            )),
            Err(e) => Some((Stream::Err, format!("{time}  apiradar: {}", Line(e)))),
        },
        WorkerEvent::Polling { .. } | WorkerEvent::Idle { .. } | WorkerEvent::CacheProgress(_) => {
            None
        }
    }
}

/// What `apiradar run` says as it starts.
pub fn run_banner(
    db: &Path,
    watches: &[crate::watch::Watch],
    health_every: std::time::Duration,
    following: Option<&Path>,
) -> String {
    let active = watches.iter().filter(|w| !w.paused).count();
    let mut out = format!(
        "apiradar: running on {} ({active} active watches, {} paused; health every {}); Ctrl-C or SIGTERM stops\n",
        db.display(),
        watches.len() - active,
        humantime::format_duration(health_every)
    );
    if let Some(file) = following {
        out += &format!(
            "apiradar: following {} (edits are synced as they are saved)\n",
            file.display()
        );
    }
    out
}

/// What the headless demo says as it starts.
pub fn demo_banner(demo: &crate::app::demo::Demo) -> String {
    let url = demo.server.url();
    let caching = match &demo.llama {
        Some(l) => format!(
            "the simulated provider at {url}/llm/v1, and llama.cpp's server on port {}",
            l.port
        ),
        None => format!(
            "a simulated provider at {url}/llm/v1 (build the llama.cpp fixture to test a real server)"
        ),
    };
    format!(
        "apiradar demo\n  demo API   {url}/openapi.yaml, /v1/models, /changelog\n  database   {}\n  caching    {caching}\n  the API changes every {}; watches are polled every {}\n  Ctrl-C to stop\n\n",
        demo.db.display(),
        humantime::format_duration(demo.step),
        humantime::format_duration(demo.every)
    )
}

/// What a config sync switched off, one stderr line each.
pub fn sync_notes(path: &Path, r: &SyncReport) -> Vec<String> {
    let path = path.display();
    let mut notes = Vec::new();
    for name in r.orphaned.iter().map(|n| Line(n)) {
        notes.push(format!(
            "apiradar: watch `{name}` is no longer in {path}: paused, history kept"
        ));
    }
    for name in r.orphaned_channels.iter().map(|n| Line(n)) {
        notes.push(format!(
            "apiradar: alert channel `{name}` is no longer in {path}: it gets no new alerts, history kept"
        ));
    }
    for name in r.orphaned_endpoints.iter().map(|n| Line(n)) {
        notes.push(format!(
            "apiradar: endpoint `{name}` is no longer in {path}: not probed, checks kept"
        ));
    }
    for name in r.orphaned_targets.iter().map(|n| Line(n)) {
        notes.push(format!(
            "apiradar: caching target `{name}` is no longer in {path}: paused, runs kept"
        ));
    }
    notes
}

/// What a one-shot command says about the alerts it could not send.
pub fn delivery_note(d: &Delivery) -> Option<String> {
    match d {
        Delivery::Done => None,
        Delivery::NotSent(e) => Some(format!("apiradar: alerts not sent: {}", Line(e))),
        Delivery::Pending(n) => Some(format!(
            "apiradar: {n} alerts not delivered yet; they are retried by the next run (see `apiradar alerts`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_events_have_no_line_and_sync_failures_go_to_stderr() {
        assert_eq!(
            event_line(&WorkerEvent::Idle { next_due_at: None }, "12:00:00"),
            None
        );
        assert_eq!(
            event_line(
                &WorkerEvent::HealthChecked {
                    name: "petstore".into(),
                    checked: 4,
                    down: 1
                },
                "12:00:00"
            ),
            Some((
                Stream::Out,
                "12:00:00  petstore   health: 4 endpoints checked, 1 down".to_string()
            ))
        );
        let (stream, line) = event_line(
            &WorkerEvent::ConfigSynced {
                file: "w.toml".into(),
                outcome: Err("bad".into()),
            },
            "t",
        )
        .unwrap();
        assert_eq!((stream, line.as_str()), (Stream::Err, "t  apiradar: bad"));
    }

    #[test]
    fn event_lines_show_what_a_server_said_as_one_escaped_line() {
        let (_, line) = event_line(
            &WorkerEvent::AutoPaused {
                name: "api".into(),
                reason: "last: bad \u{1b}]0;t\u{7}\nnext".into(),
            },
            "t",
        )
        .unwrap_or((Stream::Err, String::new()));
        assert_eq!(
            line,
            "t  api        paused     last: bad \\e]0;t\\x07\\nnext"
        );
    }

    #[test]
    fn delivery_notes() {
        assert_eq!(delivery_note(&Delivery::Done), None);
        assert!(
            delivery_note(&Delivery::Pending(2))
                .unwrap()
                .starts_with("apiradar: 2 alerts not delivered yet")
        );
    }
}
