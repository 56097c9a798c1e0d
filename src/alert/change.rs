//! The alerts a watch's versions raise: `change` (and `breaking` when the
//! new version has findings at error level) for a new version found by a
//! poll, and `paused` when failed polls pause a watch. Composed here,
//! queued by the store in the transaction that records the poll.
//!
//! What a document says (paths, messages) and what a failed poll reports
//! goes into the text as one line with its control characters escaped
//! ([`crate::text::line`]), so it cannot add lines to the list or reach a
//! terminal, a chat or an email as it is.

use serde_json::json;

use crate::store::ChangeSummary;
use crate::store::alerts::{AlertEvent, NewAlert};
use crate::text::Line;

/// `change`, and `breaking` when errors were found, for version `seq` of
/// the watch `name`; `summary` is `None` when it could not be compared.
pub fn new_version(name: &str, seq: i64, summary: Option<&ChangeSummary>) -> Vec<NewAlert> {
    let counts = summary.map(|c| &c.counts);
    let top = summary.map_or(&[][..], |c| &c.top[..]);
    let summary_subjects = summary.map_or(&[][..], |c| &c.subjects[..]);
    let summary = counts.map_or("not compared".to_string(), |c| {
        format!(
            "{}, {}, {} info",
            crate::text::count(c.errors, "error", "errors"),
            crate::text::count(c.warnings, "warning", "warnings"),
            crate::text::thousands(c.infos)
        )
    });
    let command = format!("apiradar diff {name}@{} {name}@{seq}", seq - 1);
    let mut text = format!("{name} has a new version #{seq}: {summary}.");
    for f in top {
        // Each finding is one line of the list, whatever its text holds.
        let at = match (&f.operation, &f.path) {
            (Some(op), Some(path)) => format!("{} {}: ", Line(op), Line(path)),
            (None, Some(path)) => format!("{}: ", Line(path)),
            _ => String::new(),
        };
        text += &format!(
            "\n- {} {}: {at}{}",
            Line(&f.level),
            Line(&f.id),
            Line(&f.message)
        );
    }
    let subjects = summary_subjects.to_vec();
    let total = counts.map_or(0, |c| c.errors + c.warnings + c.infos);
    if total > top.len() as i64 {
        text += &format!("\n- … and {} more", total - top.len() as i64);
    }
    text += &format!("\nSee `{command}`.");
    let payload = json!({
        "event": "change",
        "version": seq,
        "counts": counts,
        "findings": top,
        "text": text,
        "command": command,
    });
    let mut alerts = Vec::with_capacity(2);
    if counts.is_some_and(|c| c.errors > 0) {
        let mut breaking = payload.clone();
        breaking["event"] = "breaking".into();
        alerts.push(NewAlert {
            // A breaking alert is about its errors.
            subjects: subjects.iter().filter(|s| s.error).cloned().collect(),
            event: AlertEvent::Breaking,
            title: format!("{name}: breaking changes in version #{seq}"),
            payload: breaking,
        });
    }
    alerts.insert(
        0,
        NewAlert {
            subjects,
            event: AlertEvent::Change,
            title: format!("{name}: new version #{seq}"),
            payload,
        },
    );
    alerts
}

/// Why a watch was paused after `failures` failed polls in a row, the last
/// of which failed with `error`.
pub fn pause_reason(failures: u32, error: &str) -> String {
    format!(
        "auto-paused after {failures} failed polls in a row; last: {}",
        Line(error)
    )
}

/// `paused`, for a watch paused with `reason`.
pub fn paused(reason: &str) -> NewAlert {
    NewAlert {
        subjects: Vec::new(),
        event: AlertEvent::Paused,
        title: "watch paused after failed polls".into(),
        payload: json!({ "event": "paused", "text": reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ChangeCounts, TopFinding};

    fn comparison(errors: i64, listed: usize) -> ChangeSummary {
        ChangeSummary {
            counts: ChangeCounts {
                errors,
                warnings: 1,
                infos: 0,
            },
            top: (0..listed)
                .map(|i| TopFinding {
                    id: "api-path-removed-without-deprecation".into(),
                    level: "error".into(),
                    operation: Some("GET".into()),
                    path: Some(format!("/p{i}")),
                    message: "removed".into(),
                })
                .collect(),
            subjects: Vec::new(),
        }
    }

    #[test]
    fn breaking_follows_change_only_with_errors() {
        let both = new_version("shop", 4, Some(&comparison(2, 1)));
        let events: Vec<AlertEvent> = both.iter().map(|a| a.event).collect();
        assert_eq!(events, [AlertEvent::Change, AlertEvent::Breaking]);
        assert_eq!(both[1].payload["event"], "breaking");
        assert_eq!(both[0].payload["text"], both[1].payload["text"]);
        let mut quiet = comparison(0, 0);
        quiet.counts.warnings = 0;
        assert_eq!(new_version("shop", 4, Some(&quiet)).len(), 1);
    }

    #[test]
    fn text_lists_the_top_findings_and_counts_the_rest() {
        let alerts = new_version("shop", 4, Some(&comparison(3, 2)));
        let text = alerts[0].payload["text"].as_str().unwrap();
        assert_eq!(
            text,
            "shop has a new version #4: 3 errors, 1 warning, 0 info.\n\
             - error api-path-removed-without-deprecation: GET /p0: removed\n\
             - error api-path-removed-without-deprecation: GET /p1: removed\n\
             - … and 2 more\n\
             See `apiradar diff shop@3 shop@4`."
        );
        assert_eq!(alerts[0].title, "shop: new version #4");
    }

    #[test]
    fn hostile_findings_stay_on_their_line_of_the_list() {
        let mut summary = comparison(1, 1);
        summary.top[0].path = Some("/p\n# injected".into());
        summary.top[0].message = "gone \u{1b}[2J\n- fake finding\u{202e}".into();
        let alerts = new_version("shop", 4, Some(&summary));
        let text = alerts[0].payload["text"].as_str().unwrap_or_default();
        assert_eq!(
            text.lines().nth(1),
            Some(
                "- error api-path-removed-without-deprecation: GET /p\\n# injected: \
                 gone \\e[2J\\n- fake finding\\u{202e}"
            )
        );
        assert_eq!(text.lines().count(), 4, "{text}");
        assert_eq!(
            pause_reason(3, "bad \u{1b}]0;t\u{7}\nx"),
            "auto-paused after 3 failed polls in a row; last: bad \\e]0;t\\x07\\nx"
        );
    }

    #[test]
    fn an_uncompared_version_says_so() {
        let alerts = new_version("shop", 2, None);
        assert_eq!(alerts.len(), 1);
        assert!(
            alerts[0].payload["text"]
                .as_str()
                .unwrap()
                .starts_with("shop has a new version #2: not compared.")
        );
        assert_eq!(alerts[0].payload["counts"], serde_json::Value::Null);
    }
}
