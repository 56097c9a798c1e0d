//! `apiradar health` as a table or JSON.

use serde_json::{Value, json};

use super::table;
use crate::app::health::{HealthRow, NotProbed};
use crate::text::Line;

/// The probed endpoints, and the described ones found but not probed.
pub fn health_json(rows: &[HealthRow], not_probed: &[NotProbed]) -> Value {
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (e, p, stats) = (&r.endpoint, &r.probe, &r.stats);
            json!({
                "watch": r.watch,
                "method": e.method,
                "url": e.url,
                "state": e.state,
                "http_status": p.record.http_status,
                "latency_ms": p.record.latency_ms,
                "connect_ms": p.record.connect_ms,
                "ttfb_ms": p.record.ttfb_ms,
                "body_size": p.record.body_size,
                "cert_days": p.record.cert_days,
                "error_class": p.record.error_class,
                "error": p.record.error,
                "notes": p.notes,
                "consecutive_failures": e.consecutive_failures,
                "uptime_24h": stats.uptime_24h,
                "p50_ms": stats.p50_ms,
                "p95_ms": stats.p95_ms,
                "p99_ms": stats.p99_ms,
                "drift": r.drift.map(|(error, warning, info)| {
                    json!({"error": error, "warning": warning, "info": info})
                }),
            })
        })
        .collect();
    json!({ "endpoints": list, "not_probed": not_probed })
}

/// The described endpoints found but not probed, one a line with why; more
/// than [`LISTED`] of one watch for the same reason are counted instead.
pub fn not_probed_text(not_probed: &[NotProbed]) -> String {
    let mut out = String::new();
    if !not_probed.is_empty() {
        out += "not probed:\n";
    }
    let mut groups: Vec<(&str, &str, Vec<&NotProbed>)> = Vec::new();
    for n in not_probed {
        match groups
            .iter_mut()
            .find(|(w, r, _)| *w == n.watch && *r == n.reason)
        {
            Some((_, _, list)) => list.push(n),
            None => groups.push((&n.watch, &n.reason, vec![n])),
        }
    }
    for (watch, reason, list) in groups {
        if list.len() > LISTED {
            out += &format!(
                "  {}: {} described endpoints {}\n",
                Line(watch),
                list.len(),
                Line(reason)
            );
        } else {
            for n in list {
                out += &format!(
                    "  {} {} {}: {}\n",
                    Line(watch),
                    n.method,
                    Line(&n.url),
                    Line(reason)
                );
            }
        }
    }
    out
}

/// How many endpoints of one watch not probed for one reason are listed
/// one by one.
const LISTED: usize = 5;

/// The table, then each endpoint's error or condition notes, each on one
/// line with control characters escaped.
pub fn health_table(rows: &[HealthRow]) -> String {
    let ms = |v: Option<i64>| v.map_or("-".to_string(), |v| format!("{v}ms"));
    let header = [
        "WATCH", "ENDPOINT", "STATE", "STATUS", "LATENCY", "UP 24H", "P50", "P95", "P99", "CERT",
        "DRIFT",
    ];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let (e, p, stats) = (&r.endpoint, &r.probe, &r.stats);
            vec![
                r.watch.clone(),
                format!("{} {}", e.method, e.url),
                e.state.to_string(),
                p.record.http_status.map_or("-".into(), |s| s.to_string()),
                ms(p.record.latency_ms),
                stats
                    .uptime_24h
                    .map_or("-".into(), |u| format!("{:.1}%", u * 100.0)),
                ms(stats.p50_ms),
                ms(stats.p95_ms),
                ms(stats.p99_ms),
                p.record.cert_days.map_or("-".into(), |d| format!("{d}d")),
                drift_cell(r.drift),
            ]
        })
        .collect();
    let mut out = table(&header, &cells);
    for r in rows {
        let e = &r.endpoint;
        let what = format!("{} {} {}", r.watch, e.method, e.url);
        if let Some(err) = &r.probe.record.error {
            out += &format!("  {}: {}\n", Line(&what), Line(err));
        } else {
            for n in &r.probe.notes {
                out += &format!("  {}: {}\n", Line(&what), Line(n));
            }
        }
        if let (Some((errors, warnings, infos)), Some(path)) = (r.drift, &e.path)
            && errors + warnings + infos > 0
        {
            out += &format!(
                "  {}: answers unlike its description: {}, {}, {} (`apiradar conform {} --endpoint '{} {}'`)\n",
                Line(&what),
                crate::text::plural(errors as u64, "error", "errors"),
                crate::text::plural(warnings as u64, "warning", "warnings"),
                crate::text::plural(infos as u64, "info", "info"),
                Line(&r.watch),
                e.method,
                Line(path)
            );
        }
    }
    out
}

/// Open drift as `2E 1W 0I`, `0` without any, `-` when not checked.
pub fn drift_cell(drift: Option<(i64, i64, i64)>) -> String {
    match drift {
        None => "-".into(),
        Some((0, 0, 0)) => "0".into(),
        Some((e, w, i)) => format!("{e}E {w}W {i}I"),
    }
}

/// What `health` says when there is nothing to probe.
pub const NO_ENDPOINTS: &str = "no endpoints to probe: openapi watches get theirs from their latest version (GET and HEAD operations whose required parameters have examples) once health is on for them (--enable-all); add one with --add URL";

/// A line of `health --skipped`: the watch and why an operation is not
/// probed (the reason quotes the spec, so it is one escaped line).
pub fn skipped_line(watch: &str, reason: &str) -> String {
    format!("{}  {}", Line(watch), Line(reason))
}
