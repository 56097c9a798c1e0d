//! The alerts a watch's versions raise: `change` (and `breaking` when the
//! new version has findings at error level) for a new version found by a
//! poll, and `paused` when failed polls pause a watch. Composed here,
//! queued by the store in the transaction that records the poll.
//!
//! What a document says (paths, messages) and what a failed poll reports
//! goes into the text as one line with its control characters escaped
//! ([`crate::text::line`]), so it cannot add lines to the list or reach a
//! terminal, a chat or an email as it is.

use serde_json::{Value, json};

use crate::store::alerts::{AlertEvent, AlertSubject, Narrowed, NewAlert, RuleFilters};
use crate::store::{ChangeCounts, ChangeSummary, TOP_FINDINGS, TopFinding};
use crate::text::Line;

/// `change`, and `breaking` when errors were found, for version `seq` of
/// the watch `name`; `summary` is `None` when it could not be compared.
///
/// A channel whose rule has filters (`alert add --only/--path`) is sent a
/// narrowed alert: one is composed for each of `filters` (the watch's rule
/// filters), listing and counting only the findings that pass them, and
/// saying of how many.
pub fn new_version(
    name: &str,
    seq: i64,
    summary: Option<&ChangeSummary>,
    filters: &[RuleFilters],
) -> Vec<NewAlert> {
    let counts = summary.map(|c| c.counts);
    let top = summary.map_or(&[][..], |c| &c.top[..]);
    let all = summary.map_or(&[][..], |c| &c.all[..]);
    let command = format!("apiradar diff {name}@{} {name}@{seq}", seq - 1);
    let head = counts.map_or("not compared".to_string(), |c| counts_text(&c));
    let total = counts.map_or(0, |c| c.errors + c.warnings + c.infos);
    let text = compose(
        &format!("{name} has a new version #{seq}: {head}."),
        top.iter(),
        total,
        &command,
    );
    let payload = json!({
        "event": "change",
        "version": seq,
        "counts": counts,
        "findings": top,
        "text": text,
        "command": command,
    });
    let narrowed = |event: &str, pool: &[&TopFinding]| -> Vec<Narrowed> {
        filters
            .iter()
            .filter_map(|f| {
                let matching: Vec<&TopFinding> = pool
                    .iter()
                    .copied()
                    .filter(|t| f.passes(&AlertSubject::of(t)))
                    .collect();
                (!matching.is_empty()).then(|| Narrowed {
                    filters: f.clone(),
                    payload: narrowed_payload(name, seq, event, &matching, total, f, &command),
                })
            })
            .collect()
    };
    let everything: Vec<&TopFinding> = all.iter().collect();
    let errors: Vec<&TopFinding> = all.iter().filter(|t| t.level == "error").collect();
    let mut alerts = Vec::with_capacity(2);
    alerts.push(NewAlert {
        subjects: everything.iter().map(|t| AlertSubject::of(t)).collect(),
        narrowed: narrowed("change", &everything),
        event: AlertEvent::Change,
        title: format!("{name}: new version #{seq}"),
        payload: payload.clone(),
    });
    if counts.is_some_and(|c| c.errors > 0) {
        let mut breaking = payload;
        breaking["event"] = "breaking".into();
        alerts.push(NewAlert {
            // A breaking alert is about its errors.
            subjects: errors.iter().map(|t| AlertSubject::of(t)).collect(),
            narrowed: narrowed("breaking", &errors),
            event: AlertEvent::Breaking,
            title: format!("{name}: breaking changes in version #{seq}"),
            payload: breaking,
        });
    }
    alerts
}

/// `2 errors, 1 warning, 0 info`.
fn counts_text(c: &ChangeCounts) -> String {
    format!(
        "{}, {}, {} info",
        crate::text::count(c.errors, "error", "errors"),
        crate::text::count(c.warnings, "warning", "warnings"),
        crate::text::thousands(c.infos)
    )
}

/// The headline, one line per listed finding, how many more there are,
/// and the command to look.
fn compose<'a>(
    headline: &str,
    listed: impl Iterator<Item = &'a TopFinding>,
    total: i64,
    command: &str,
) -> String {
    let mut text = headline.to_string();
    let mut shown = 0i64;
    for f in listed {
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
        shown += 1;
    }
    if total > shown {
        text += &format!("\n- … and {} more", total - shown);
    }
    text += &format!("\nSee `{command}`.");
    text
}

/// The payload a channel with `filters` gets: the findings that pass
/// them (`matching`, most severe first), counted by level, and of how many
/// the version has (`total`).
fn narrowed_payload(
    name: &str,
    seq: i64,
    event: &str,
    matching: &[&TopFinding],
    total: i64,
    filters: &RuleFilters,
    command: &str,
) -> Value {
    let level = |l: &str| matching.iter().filter(|t| t.level == l).count() as i64;
    let counts = ChangeCounts {
        errors: level("error"),
        warnings: level("warning"),
        infos: level("info"),
    };
    let mut rule = Vec::new();
    if !filters.only.is_empty() {
        rule.push(format!("only {}", Line(&filters.only.join(", "))));
    }
    if !filters.paths.is_empty() {
        rule.push(format!("path {}", Line(&filters.paths.join(", "))));
    }
    let matched = matching.len() as i64;
    let headline = format!(
        "{name} has a new version #{seq}: {} of {} findings {} this channel's filters ({}): {}.",
        crate::text::thousands(matched),
        crate::text::thousands(total),
        if matched == 1 { "matches" } else { "match" },
        rule.join("; "),
        counts_text(&counts),
    );
    let listed: Vec<&TopFinding> = matching.iter().copied().take(TOP_FINDINGS).collect();
    let text = compose(&headline, listed.iter().copied(), matched, command);
    json!({
        "event": event,
        "version": seq,
        "counts": counts,
        "findings": listed,
        "text": text,
        "command": command,
        "filters": filters,
        "matched": matched,
        "total": total,
    })
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
        narrowed: Vec::new(),
        event: AlertEvent::Paused,
        title: "watch paused after failed polls".into(),
        payload: json!({ "event": "paused", "text": reason }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            all: Vec::new(),
        }
    }

    #[test]
    fn breaking_follows_change_only_with_errors() {
        let both = new_version("shop", 4, Some(&comparison(2, 1)), &[]);
        let events: Vec<AlertEvent> = both.iter().map(|a| a.event).collect();
        assert_eq!(events, [AlertEvent::Change, AlertEvent::Breaking]);
        assert_eq!(both[1].payload["event"], "breaking");
        assert_eq!(both[0].payload["text"], both[1].payload["text"]);
        let mut quiet = comparison(0, 0);
        quiet.counts.warnings = 0;
        assert_eq!(new_version("shop", 4, Some(&quiet), &[]).len(), 1);
    }

    #[test]
    fn text_lists_the_top_findings_and_counts_the_rest() {
        let alerts = new_version("shop", 4, Some(&comparison(3, 2)), &[]);
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
        let alerts = new_version("shop", 4, Some(&summary), &[]);
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
        let alerts = new_version("shop", 2, None, &[]);
        assert_eq!(alerts.len(), 1);
        assert!(
            alerts[0].payload["text"]
                .as_str()
                .unwrap()
                .starts_with("shop has a new version #2: not compared.")
        );
        assert_eq!(alerts[0].payload["counts"], serde_json::Value::Null);
    }

    fn finding(id: &str, level: &str, path: &str) -> TopFinding {
        TopFinding {
            id: id.into(),
            level: level.into(),
            operation: None,
            path: Some(path.into()),
            message: format!("{id} at {path}"),
        }
    }

    #[test]
    fn a_channel_with_filters_gets_only_the_findings_that_pass_them() {
        let mut all = vec![
            finding("catalog-item-removed", "error", "/data/[id=o1]"),
            finding(
                "catalog-price-changed",
                "warning",
                "/data/[id=gpt-4o]/pricing/input",
            ),
        ];
        for i in 0..8 {
            all.push(finding(
                "catalog-price-changed",
                "info",
                &format!("/data/[id=gpt-{i}]/pricing/output"),
            ));
        }
        all.push(finding(
            "catalog-field-changed",
            "info",
            "/data/[id=gpt-4o]/name",
        ));
        let summary = ChangeSummary {
            counts: ChangeCounts {
                errors: 1,
                warnings: 1,
                infos: 9,
            },
            top: all.iter().take(TOP_FINDINGS).cloned().collect(),
            all,
        };
        let prices = RuleFilters {
            only: vec!["catalog-price-*".into()],
            paths: Vec::new(),
        };
        let gpt4o = RuleFilters {
            only: Vec::new(),
            paths: vec!["*gpt-4o*".into()],
        };
        let nothing = RuleFilters {
            only: vec!["catalog-capability-*".into()],
            paths: Vec::new(),
        };
        let alerts = new_version(
            "models",
            7,
            Some(&summary),
            &[prices.clone(), gpt4o.clone(), nothing.clone()],
        );
        let change = &alerts[0];
        // The whole alert is untouched; one narrowed payload per filter set
        // that something passes.
        assert!(change.payload["text"].as_str().unwrap().contains("1 error"));
        let by = |f: &RuleFilters| {
            change
                .narrowed
                .iter()
                .find(|n| &n.filters == f)
                .map(|n| n.payload.clone())
        };
        assert!(by(&nothing).is_none());
        let p = by(&prices).expect("prices narrowed");
        assert_eq!(p["counts"], json!({"errors": 0, "warnings": 1, "infos": 8}));
        assert_eq!(
            (p["matched"].as_i64(), p["total"].as_i64()),
            (Some(9), Some(11))
        );
        assert_eq!(p["findings"].as_array().map(Vec::len), Some(TOP_FINDINGS));
        let text = p["text"].as_str().unwrap();
        assert!(
            text.starts_with(
                "models has a new version #7: 9 of 11 findings match this channel's filters \
                 (only catalog-price-*): 0 errors, 1 warning, 8 info."
            ),
            "{text}"
        );
        assert!(!text.contains("catalog-item-removed"), "{text}");
        assert!(!text.contains("catalog-field-changed"), "{text}");
        assert!(text.contains("- … and 4 more\n"), "{text}");
        let g = by(&gpt4o).expect("gpt-4o narrowed");
        let text = g["text"].as_str().unwrap();
        assert_eq!(
            text.lines().filter(|l| l.starts_with("- ")).count(),
            2,
            "{text}"
        );
        assert!(text.contains("catalog-field-changed"), "{text}");
        assert!(!text.contains("gpt-3"), "{text}");
        // The breaking alert is narrowed over its errors only.
        let breaking = &alerts[1];
        assert_eq!(breaking.event, AlertEvent::Breaking);
        assert!(breaking.narrowed.is_empty(), "{:?}", breaking.narrowed);
        let removed = RuleFilters {
            only: vec!["catalog-item-*".into()],
            paths: Vec::new(),
        };
        let alerts = new_version("models", 7, Some(&summary), &[removed]);
        let b = &alerts[1].narrowed[0].payload;
        assert_eq!(b["event"], "breaking");
        assert_eq!(b["counts"]["errors"], 1);
        assert_eq!(b["matched"], 1);
    }
}
