//! Text and JSON renderings of store data for the headless commands.
//!
//! Functions here turn data into strings; they never touch the store or the
//! network, so the same rendering serves the CLI and tests.

pub mod alerts;
pub mod caching;
pub mod catalog;
pub mod config;
pub mod conform;
pub mod events;
mod findings;
pub mod generate;
pub mod groups;
pub mod health;

pub use findings::{
    findings_github, findings_html, findings_json, findings_junit, findings_markdown, findings_text,
};

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::pipeline::poll::{PollReport, PollStatus};
use crate::store::{ChangeCounts, Version, format_ms, format_ms_rfc3339};
use crate::text::{self, Line};
use crate::watch::{Watch, format_interval};

/// A plain table: a header row and left-aligned columns two spaces apart.
/// The last column is not padded. Every cell is one line, its control
/// characters shown as escapes ([`text::line`]): cells hold names, errors
/// and titles that come from third parties.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| text::line(c).into_owned()).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut s = String::new();
        for (i, cell) in cells.into_iter().enumerate() {
            s.push_str(cell);
            if i < last {
                let pad = widths[i] + 2 - cell.chars().count();
                s.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
    out
}

pub use crate::text::relative;

/// A stored size (bytes) as `2 KiB`, `1.5 MiB`.
pub fn human_size(bytes: i64) -> String {
    crate::text::size(bytes.max(0).unsigned_abs())
}

pub fn watch_table(watches: &[Watch], now: i64) -> String {
    if watches.is_empty() {
        return "no watches yet: add one with `apiradar add NAME URL`\n".into();
    }
    let rows: Vec<Vec<String>> = watches
        .iter()
        .map(|w| {
            let next = if w.paused {
                "-".into()
            } else {
                w.next_due_at.map_or("due".into(), |t| {
                    if t <= now {
                        "due".into()
                    } else {
                        relative(t, now)
                    }
                })
            };
            let note = if w.paused {
                w.paused_reason.clone().unwrap_or_default()
            } else if w.consecutive_failures > 0 {
                format!(
                    "{} failed in a row: {}",
                    w.consecutive_failures,
                    w.last_error.clone().unwrap_or_default()
                )
            } else {
                crate::fetch::without_userinfo(&w.spec.location)
            };
            vec![
                w.spec.name.clone(),
                w.spec.kind.to_string(),
                w.status().to_string(),
                w.version_count.to_string(),
                format_interval(w.spec.interval),
                w.last_polled_at
                    .map_or("never".into(), |t| relative(t, now)),
                next,
                note,
            ]
        })
        .collect();
    table(
        &[
            "NAME",
            "KIND",
            "STATUS",
            "VERSIONS",
            "EVERY",
            "LAST POLL",
            "NEXT",
            "LOCATION / NOTE",
        ],
        &rows,
    )
}

pub fn watch_json(w: &Watch) -> Value {
    json!({
        "name": w.spec.name,
        "kind": w.spec.kind,
        "location": crate::fetch::without_userinfo(&w.spec.location),
        "interval": format_interval(w.spec.interval),
        "interval_secs": w.spec.interval.as_secs(),
        // Header names only: templates are references, but listings need
        // no more than the names.
        "headers": w.spec.headers.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        "key": w.spec.item_key,
        "status": w.status(),
        "paused": w.paused,
        "paused_reason": w.paused_reason,
        "consecutive_failures": w.consecutive_failures,
        "last_error": w.last_error,
        "last_outcome": w.last_outcome,
        "last_polled_at": w.last_polled_at.map(format_ms_rfc3339),
        "next_due_at": w.next_due_at.map(format_ms_rfc3339),
        "versions": w.version_count,
        "latest_version": w.latest_seq,
        "from_config": w.from_config,
    })
}

pub fn watches_json(watches: &[Watch]) -> Value {
    json!({ "watches": watches.iter().map(watch_json).collect::<Vec<_>>() })
}

/// `2 errors, 1 warning` style text of a version's finding counts.
pub fn counts_text(c: Option<&ChangeCounts>) -> String {
    match c {
        None => String::new(),
        Some(c) if c.errors + c.warnings + c.infos == 0 => "no findings".into(),
        Some(c) => format!("{} err, {} warn, {} info", c.errors, c.warnings, c.infos),
    }
}

pub fn refresh_table(reports: &[PollReport]) -> String {
    if reports.is_empty() {
        return "no watches to refresh\n".into();
    }
    let rows: Vec<Vec<String>> = reports
        .iter()
        .map(|r| {
            vec![
                r.name.clone(),
                r.status.as_str().to_string(),
                r.version.map_or("-".into(), |v| v.to_string()),
                match r.status {
                    // Not polled: no time to show.
                    PollStatus::Paused | PollStatus::NotDue => "-".into(),
                    _ if r.duration_ms < 1 => "<1 ms".into(),
                    _ => format!("{} ms", r.duration_ms),
                },
                match (&r.error, &r.auto_paused) {
                    (_, Some(paused)) => paused.clone(),
                    (Some(e), None) => e.clone(),
                    (None, None) => counts_text(r.counts.as_ref()),
                },
            ]
        })
        .collect();
    table(
        &["NAME", "STATUS", "VERSION", "TIME", "FINDINGS / ERROR"],
        &rows,
    )
}

pub fn refresh_json(reports: &[PollReport]) -> Value {
    json!({
        "watches": reports.iter().map(|r| json!({
            "name": r.name,
            "status": r.status,
            "version": r.version,
            "error": r.error,
            "error_class": r.error_class,
            "http_status": r.http_status,
            "duration_ms": r.duration_ms,
            "auto_paused": r.auto_paused,
            "counts": r.counts.map(|c| json!({
                "error": c.errors, "warning": c.warnings, "info": c.infos
            })),
        })).collect::<Vec<_>>()
    })
}

pub fn history_table(versions: &[Version]) -> String {
    if versions.is_empty() {
        return "no versions yet\n".into();
    }
    let rows: Vec<Vec<String>> = versions
        .iter()
        .rev()
        .map(|v| {
            vec![
                v.seq.to_string(),
                format_ms(v.fetched_at),
                v.source_date.clone().unwrap_or_else(|| "-".into()),
                human_size(v.size),
                v.raw_hash.chars().take(12).collect(),
                v.spec_version.clone().unwrap_or_else(|| v.format.clone()),
                if v.counts_pending {
                    "pending".into()
                } else {
                    counts_text(v.counts.as_ref())
                },
            ]
        })
        .collect();
    table(
        &[
            "VERSION",
            "FETCHED",
            "SOURCE DATE",
            "SIZE",
            "SHA-256",
            "FORMAT",
            "FINDINGS",
        ],
        &rows,
    )
}

pub fn history_json(watch: &Watch, versions: &[Version]) -> Value {
    json!({
        "watch": watch.spec.name,
        "versions": versions.iter().map(|v| json!({
            "version": v.seq,
            "fetched_at": format_ms_rfc3339(v.fetched_at),
            "source_date": v.source_date,
            "size": v.size,
            "sha256": v.raw_hash,
            "canonical_sha256": v.canonical_hash,
            "format": v.format,
            "spec_version": v.spec_version,
            "title": v.title,
            "http_status": v.http_status,
            "etag": v.etag,
            "last_modified": v.last_modified,
            "content_type": v.content_type,
            "origin": v.origin,
            "counts": v.counts.map(|c| json!({
                "error": c.errors, "warning": c.warnings, "info": c.infos
            })),
            "counts_pending": v.counts_pending,
        })).collect::<Vec<_>>()
    })
}

/// What `import --json` prints.
pub fn import_json(name: &str, i: &crate::app::import::Imported) -> Value {
    json!({
        "watch": name,
        "files": i.files,
        "added": i.added,
        "unchanged": i.unchanged,
        "failed": i.failed,
        "skipped": i.skipped,
        "counts_pending": i.counts_pending,
    })
}

/// What `import` prints.
pub fn import_text(name: &str, i: &crate::app::import::Imported) -> String {
    let mut text = format!(
        "imported {} files into {} in {:.1}s: {} new versions, {} unchanged, {} failed",
        i.total - i.skipped,
        Line(name),
        i.seconds,
        i.added,
        i.unchanged,
        i.failed
    );
    if i.skipped > 0 {
        text += &format!(
            "; skipped {} already stored",
            crate::text::plural(i.skipped as u64, "file", "files")
        );
    }
    if i.counts_pending > 0 {
        text += &format!(
            "\nfinding counts pending for {}: the worker compares them with their predecessors \
             (`apiradar` or `apiradar run`); `apiradar history` shows them as pending until then",
            crate::text::plural(i.counts_pending as u64, "version", "versions")
        );
    }
    text
}

/// JSON as the commands print it (pretty), safe for a terminal: what serde
/// leaves unescaped in strings (DEL, C1 and bidi controls) is escaped too
/// ([`text::json_text`]); any JSON reader reads the same value.
pub fn json_text(value: &Value) -> String {
    text::json_text(format!("{value:#}"))
}

/// A document as published (`show`): the exact bytes when `terminal` is
/// false (a pipe or a file gets what the server sent, byte for byte), and
/// with every control character, bidi control and byte that is not UTF-8
/// shown as a visible escape when it is a terminal, where those bytes
/// would be obeyed ([`text::block_bytes`]).
pub fn published(bytes: &[u8], terminal: bool) -> std::borrow::Cow<'_, [u8]> {
    if terminal {
        text::block_bytes(bytes)
    } else {
        std::borrow::Cow::Borrowed(bytes)
    }
}

/// What a diff overlooked in its documents, one stderr line each.
pub fn diff_notes(o: &crate::app::diff::DiffOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    for (label, notes) in [
        (&o.base_label, &o.base_notes),
        (&o.revision_label, &o.revision_notes),
    ] {
        // The same note at many places (Stripe repeats one at 200
        // parameters) is one line with a count and the first places; the
        // JSON report lists every one.
        let mut folded: Vec<(&str, Vec<&str>)> = Vec::new();
        for n in notes {
            match folded.iter_mut().find(|(m, _)| *m == n.message) {
                Some((_, at)) => at.push(&n.pointer),
                None => folded.push((&n.message, vec![&n.pointer])),
            }
        }
        for (message, at) in folded {
            let places: Vec<&str> = at.iter().copied().filter(|p| !p.is_empty()).collect();
            let line = match places.as_slice() {
                [] => format!("apiradar: note: {}: {}", Line(label), Line(message)),
                [one] if at.len() == 1 => format!(
                    "apiradar: note: {} at {}: {}",
                    Line(label),
                    Line(one),
                    Line(message)
                ),
                _ => format!(
                    "apiradar: note: {}: {}, at {} (e.g. {}{}; --format json lists them all)",
                    Line(label),
                    Line(message),
                    text::count(at.len(), "place", "places"),
                    places
                        .iter()
                        .take(3)
                        .map(|p| Line(p).to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                    if places.len() > 3 { ", …" } else { "" }
                ),
            };
            lines.push(line);
        }
    }
    if let Some(key) = o.detected_key {
        lines.push(format!(
            "apiradar: note: list items matched by their `{key}` field (found in the documents; --key FIELD chooses another, --no-key compares by position)"
        ));
    }
    if o.ignored > 0 {
        lines.push(format!(
            "apiradar: {} dropped by --ignore / --severity-levels",
            text::count(o.ignored, "finding", "findings")
        ));
    }
    if let Some((level, n)) = o.below_stability.filter(|(_, n)| *n > 0) {
        lines.push(format!(
            "apiradar: {n} {} below stability {} not compared (--stability-level)",
            if n == 1 { "operation" } else { "operations" },
            level.as_str()
        ));
    }
    lines
}

/// `diff --format json`: every finding, the groups, the counts and the
/// notes on both documents, written to `out` as the commands print JSON
/// ([`json_text`]).
///
/// Written item by item: a large diff has tens of thousands of findings,
/// and a `serde_json` value of all of them, then its text, took several
/// times the memory of the findings themselves. Each finding and group is
/// still made a value on its own, so the keys come out sorted as in every
/// other JSON the commands print.
pub fn write_diff_json(
    o: &crate::app::diff::DiffOutcome,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let groups = groups::groups_of(o);
    let mut doc: BTreeMap<String, Part> = BTreeMap::new();
    doc.insert("changes".into(), Part::Findings(EachAsValue(&o.findings)));
    doc.insert("kind".into(), Part::Value(json!(o.kind.as_str())));
    if let Value::Object(parts) = groups::groups_json_parts(o, groups.len()) {
        doc.extend(
            parts
                .into_iter()
                .map(|(key, value)| (key, Part::Value(value))),
        );
    }
    doc.insert("groups".into(), Part::Groups(EachAsValue(&groups)));
    doc.insert(
        "notes".into(),
        Part::Value(json!({
            "base": o.base_notes,
            "revision": o.revision_notes,
        })),
    );
    if let Some((level, n)) = o.below_stability {
        doc.insert(
            "stability_level".into(),
            Part::Value(json!({"level": level.as_str(), "operations_not_compared": n})),
        );
    }
    if let Some(key) = o.detected_key {
        doc.insert(
            "item_key".into(),
            Part::Value(json!({"field": key, "detected": true})),
        );
    }
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut *out, text::TerminalJson::new());
    serde::Serialize::serialize(&doc, &mut serializer)?;
    out.write_all(b"\n")
}

/// [`write_diff_json`] as a string.
pub fn diff_json_text(o: &crate::app::diff::DiffOutcome) -> std::io::Result<String> {
    let mut out = Vec::new();
    write_diff_json(o, &mut out)?;
    // serde writes UTF-8; a lossy read never changes it.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// `diff --format json` as a value (what [`write_diff_json`] prints).
pub fn diff_json(o: &crate::app::diff::DiffOutcome) -> Value {
    diff_json_text(o)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

/// A part of the diff's JSON document.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Part<'a> {
    Value(Value),
    Findings(EachAsValue<'a, crate::diff::Finding>),
    Groups(EachAsValue<'a, crate::diff::group::Group<'a>>),
}

/// A list written one item at a time, each made a `serde_json` value first
/// (whose keys are sorted) and dropped once written.
struct EachAsValue<'a, T>(&'a [T]);

impl<T: serde::Serialize> serde::Serialize for EachAsValue<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(&serde_json::to_value(item).map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_faster_than_a_millisecond_still_shows_its_time() {
        let report = |name: &str, status, duration_ms| PollReport {
            name: name.into(),
            status,
            version: Some(1),
            error: None,
            error_class: None,
            http_status: None,
            duration_ms,
            auto_paused: None,
            counts: None,
        };
        let t = refresh_table(&[
            report("quick", PollStatus::New, 0),
            report("slow", PollStatus::Unchanged, 12),
            report("held", PollStatus::Paused, 0),
        ]);
        let time_of = |name: &str| {
            let line = t.lines().find(|l| l.starts_with(name)).unwrap_or_default();
            line.split_whitespace().nth(3).map(str::to_owned)
        };
        assert_eq!(time_of("quick").as_deref(), Some("<1"), "{t}");
        assert_eq!(time_of("slow").as_deref(), Some("12"), "{t}");
        assert_eq!(time_of("held").as_deref(), Some("-"), "{t}");
    }

    #[test]
    fn table_cells_are_one_safe_line() {
        let t = table(
            &["NAME", "NOTE"],
            &[vec!["x\u{1b}]0;t\u{7}".into(), "a\nb\u{9b}".into()]],
        );
        assert_eq!(t, "NAME         NOTE\nx\\e]0;t\\x07  a\\nb\\u{9b}\n");
    }

    #[test]
    fn tables_align_and_trim() {
        let t = table(
            &["A", "BB"],
            &[
                vec!["xxx".into(), "y".into()],
                vec!["z".into(), String::new()],
            ],
        );
        assert_eq!(t, "A    BB\nxxx  y\nz\n");
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(0, 0), "now");
        assert_eq!(relative(0, 90_000), "1m ago");
        assert_eq!(relative(7_200_000, 0), "in 2h");
        assert_eq!(relative(0, 3 * 86_400_000), "3d ago");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(3 << 20), "3 MiB");
    }
}
