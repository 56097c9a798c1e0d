//! `apiradar conform` as text or JSON. Pointers, messages and samples come
//! from third-party responses and descriptions: every one is printed
//! through the sanitiser as one line.

use serde_json::{Value, json};

use crate::app::conform::{Conformance, EndpointDrift};
use crate::store::drift::DriftRow;
use crate::text::{Line, plural, relative};

/// The drift per endpoint, then what cleared, the shape's changes and the
/// last check's note.
pub fn conform_text(c: &Conformance, now: i64) -> String {
    let mut out = String::new();
    if let Some(a) = &c.audit {
        out += &format!(
            "{}: each poll is validated against {} of {}\n",
            Line(&c.watch),
            Line(&a.operation),
            Line(&a.spec)
        );
    }
    if c.endpoints.is_empty() {
        out += &if c.probed || c.audit.is_some() {
            format!(
                "{}: no response checked yet (described endpoints are checked on each probe)\n",
                Line(&c.watch)
            )
        } else {
            format!(
                "{}: no response checked: health is off for this watch; turn on with `apiradar health {} --enable-all`\n",
                Line(&c.watch),
                Line(&c.watch)
            )
        };
        return out;
    }
    for e in &c.endpoints {
        out += &endpoint_text(&c.watch, e, now);
    }
    out
}

fn endpoint_text(watch: &str, e: &EndpointDrift, now: i64) -> String {
    let (errors, warnings, infos) = e.counts();
    let summary = if e.open.is_empty() {
        "no drift".to_string()
    } else {
        format!(
            "{}, {}, {}",
            plural(errors as u64, "error", "errors"),
            plural(warnings as u64, "warning", "warnings"),
            plural(infos as u64, "info", "info")
        )
    };
    let checked = match (e.checked_at, e.validated_at) {
        (_, Some(v)) => format!("validated {}", relative(v, now)),
        (Some(c), None) => format!("checked {}, never validated", relative(c, now)),
        (None, None) => "not checked yet".into(),
    };
    let mut out = format!(
        "{}  {}  {summary}  ({checked})\n",
        Line(watch),
        Line(&e.operation)
    );
    for d in &e.open {
        out += &format!("  {}\n", drift_line(d, now));
    }
    for d in &e.cleared {
        out += &format!(
            "  cleared {} {} {} ({})\n",
            Line(&d.check_id),
            Line(&d.pattern),
            Line(&d.message),
            d.cleared_at.map(|t| relative(t, now)).unwrap_or_default()
        );
    }
    if let (Some(since), Some(day)) = (&e.shape_since, &e.shape_day) {
        if e.shape_changes.is_empty() {
            out += &format!("  shape: unchanged from {since} to {day}\n");
        }
        for s in &e.shape_changes {
            out += &format!(
                "  shape {since} → {day}: {} {} ({})\n",
                Line(if s.pointer.is_empty() {
                    "(body)"
                } else {
                    &s.pointer
                }),
                s.change,
                Line(&s.detail)
            );
        }
    }
    if let Some(note) = &e.note {
        out += &format!("  {}\n", Line(note));
    }
    out
}

/// One open drift: level, id, where, what, the sample, how often since
/// when, and the schema keyword.
pub fn drift_line(d: &DriftRow, now: i64) -> String {
    let sample = d
        .sample
        .as_deref()
        .map(|s| format!("  seen {}", Line(s)))
        .unwrap_or_default();
    format!(
        "{:<7} {}  {}  {}{sample}  ×{} since {}, last {}  [{}; status {}]",
        d.level,
        Line(&d.check_id),
        Line(if d.pattern.is_empty() {
            "(body)"
        } else {
            &d.pattern
        }),
        Line(&d.message),
        d.count,
        relative(d.first_seen, now),
        relative(d.last_seen, now),
        Line(&d.schema_pointer),
        Line(&d.status)
    )
}

fn drift_json(d: &DriftRow) -> Value {
    json!({
        "id": d.check_id,
        "level": d.level,
        "pointer": d.instance_pointer,
        "pattern": d.pattern,
        "schema_pointer": d.schema_pointer,
        "message": d.message,
        "sample": d.sample,
        "status": d.status,
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
        "count": d.count,
        "cleared_at": d.cleared_at,
    })
}

/// `{"watch", "audit", "endpoints": [{"operation", "counts", "drift",
/// "cleared", "shape_changes", "note", …}]}`.
pub fn conform_json(c: &Conformance) -> Value {
    let endpoints: Vec<Value> = c
        .endpoints
        .iter()
        .map(|e| {
            let (errors, warnings, infos) = e.counts();
            json!({
                "operation": e.operation,
                "counts": {"error": errors, "warning": warnings, "info": infos},
                "checked_at": e.checked_at,
                "validated_at": e.validated_at,
                "note": e.note,
                "drift": e.open.iter().map(drift_json).collect::<Vec<_>>(),
                "cleared": e.cleared.iter().map(drift_json).collect::<Vec<_>>(),
                "shape_since": e.shape_since,
                "shape_day": e.shape_day,
                "shape_changes": e.shape_changes,
            })
        })
        .collect();
    json!({
        "watch": c.watch,
        "audit": c.audit.as_ref().map(|a| json!({"spec": a.spec, "operation": a.operation})),
        "endpoints": endpoints,
    })
}
