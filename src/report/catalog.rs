//! `apiradar catalog`: listings, one item, one item's history.

use serde_json::{Value, json};

use super::{json_text, table};
use crate::app::catalog::{HistoryChange, ItemHistory, Listing, cell};
use crate::text::{self, Line};

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The listing as a table under a one-line summary.
pub fn listing_text(l: &Listing) -> String {
    let c = &l.catalog;
    let mut out = format!(
        "{}@{}: {} of {}\n",
        Line(&c.watch),
        c.seq,
        plural(l.items.len(), "item", "items"),
        c.items.len()
    );
    if l.items.is_empty() {
        return out;
    }
    let header: Vec<String> = l.columns.iter().map(|c| c.to_uppercase()).collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    out.push_str(&table(&header, &l.rows()));
    out
}

/// The listing as CSV (RFC 4180 quoting), each cell made safe for a
/// terminal first.
pub fn listing_csv(l: &Listing) -> String {
    let quote = |s: &str| {
        let s = text::line(s);
        if s.contains([',', '"', '\n', '\r']) || s.starts_with(' ') || s.ends_with(' ') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.into_owned()
        }
    };
    let mut out = String::new();
    let row = |cells: Vec<String>| cells.iter().map(|c| quote(c)).collect::<Vec<_>>().join(",");
    out.push_str(&row(l.columns.clone()));
    out.push('\n');
    for r in l.rows() {
        out.push_str(&row(r));
        out.push('\n');
    }
    out
}

/// The listing as JSON: the matching items in full.
pub fn listing_json(l: &Listing) -> String {
    let c = &l.catalog;
    json_text(&json!({
        "watch": c.watch,
        "version": c.seq,
        "key": c.key,
        "total": c.items.len(),
        "count": l.items.len(),
        "columns": l.columns,
        "items": l.items,
    }))
}

/// One item in full, as indented JSON.
pub fn item_text(item: &Value) -> String {
    format!("{}\n", json_text(item))
}

/// How a value reads in a history line.
pub fn shown(v: &Option<Value>) -> String {
    match v {
        None => "(not set)".to_owned(),
        Some(v) => {
            let c = cell(v);
            if v.is_string() { format!("{c:?}") } else { c }
        }
    }
}

/// The change between two numbers in percent, when both are numbers.
pub fn percent(old: &Option<Value>, new: &Option<Value>) -> Option<String> {
    let (a, b) = (old.as_ref()?.as_f64()?, new.as_ref()?.as_f64()?);
    if a == 0.0 {
        return None;
    }
    let p = (b - a) / a.abs() * 100.0;
    Some(format!(
        "{}{:.1}%",
        if p >= 0.0 { "+" } else { "−" },
        p.abs()
    ))
}

/// One line per event: version, date, what happened.
pub fn history_text(h: &ItemHistory) -> String {
    let mut out = format!(
        "{} in {}{} ({} read)\n",
        Line(&h.id),
        Line(&h.watch),
        h.field
            .as_deref()
            .map(|f| format!(", field {}", Line(f)))
            .unwrap_or_default(),
        plural(h.versions, "version", "versions")
    );
    for e in &h.events {
        let what = match &e.what {
            HistoryChange::Appeared => "appeared".to_owned(),
            HistoryChange::Disappeared => "removed".to_owned(),
            HistoryChange::Changed { field, old, new } => {
                let pct = percent(old, new)
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default();
                format!("{}: {} → {}{pct}", field, shown(old), shown(new))
            }
        };
        out.push_str(&format!(
            "#{:<4} {:<16}  {}\n",
            e.seq,
            Line(&e.date),
            Line(&what)
        ));
    }
    if h.events.len() <= 1 {
        out.push_str("no change since it appeared\n");
    }
    out
}

pub fn history_json(h: &ItemHistory) -> String {
    let events: Vec<Value> = h
        .events
        .iter()
        .map(|e| {
            let mut v = json!({"version": e.seq, "date": e.date});
            match &e.what {
                HistoryChange::Appeared => v["event"] = json!("appeared"),
                HistoryChange::Disappeared => v["event"] = json!("removed"),
                HistoryChange::Changed { field, old, new } => {
                    v["event"] = json!("changed");
                    v["field"] = json!(field);
                    v["old"] = old.clone().unwrap_or(Value::Null);
                    v["new"] = new.clone().unwrap_or(Value::Null);
                }
            }
            v
        })
        .collect();
    json_text(&json!({
        "watch": h.watch,
        "key": h.key,
        "item": h.id,
        "field": h.field,
        "versions": h.versions,
        "events": events,
    }))
}
