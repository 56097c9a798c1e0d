//! The text of a `drift` alert: an operation's live responses started to
//! differ from its description at error level, or such a drift cleared.

use serde_json::json;

use crate::store::alerts::{AlertEvent, NewAlert};
use crate::store::drift::{DriftRow, Recorded};

/// Drifts listed in one alert.
const LISTED: usize = 5;

/// The alerts a recorded check raises: one when error-level drifts
/// opened, one when error-level drifts cleared.
pub fn alerts(watch: &str, operation: &str, rec: &Recorded) -> Vec<NewAlert> {
    let errors = |rows: &[DriftRow]| -> Vec<DriftRow> {
        rows.iter()
            .filter(|d| d.level == "error")
            .cloned()
            .collect()
    };
    let opened = errors(&rec.opened);
    let cleared = errors(&rec.cleared);
    let shown_op = crate::text::line(operation);
    let command = format!("apiradar conform {watch} --endpoint '{shown_op}'");
    let mut out = Vec::new();
    for (rows, state) in [(opened, "new"), (cleared, "cleared")] {
        if rows.is_empty() {
            continue;
        }
        let n = crate::text::plural(rows.len() as u64, "error-level drift", "error-level drifts");
        let (title, head) = if state == "new" {
            (
                format!("{watch}: {shown_op} answers unlike its description"),
                format!("{shown_op} of {watch} answers unlike its description: {n}."),
            )
        } else {
            (
                format!("{watch}: {shown_op} drift cleared"),
                format!("{shown_op} of {watch} no longer shows {n}."),
            )
        };
        let mut text = head;
        for d in rows.iter().take(LISTED) {
            text.push_str(&format!(
                "\n- {} {}: {}{}",
                d.check_id,
                crate::text::line(&d.pattern),
                crate::text::line(&d.message),
                d.sample
                    .as_deref()
                    .map(|s| format!(" (seen {})", crate::text::line(s)))
                    .unwrap_or_default()
            ));
        }
        if rows.len() > LISTED {
            text.push_str(&format!("\n- and {} more", rows.len() - LISTED));
        }
        text.push_str(&format!("\nSee `{command}`."));
        let findings: Vec<_> = rows
            .iter()
            .map(|d| {
                json!({
                    "id": d.check_id,
                    "level": d.level,
                    "pointer": d.instance_pointer,
                    "schema_pointer": d.schema_pointer,
                    "message": d.message,
                    "sample": d.sample,
                    "status": d.status,
                })
            })
            .collect();
        out.push(NewAlert {
            subjects: Vec::new(),
            narrowed: Vec::new(),
            event: AlertEvent::Drift,
            title,
            payload: json!({
                "event": "drift",
                "state": state,
                "operation": operation,
                "text": text,
                "findings": findings,
                "command": command,
            }),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(level: &str) -> DriftRow {
        DriftRow {
            id: 1,
            operation: "GET /v1/items".into(),
            check_id: "response-property-type-mismatch".into(),
            level: level.into(),
            pattern: "/*/id".into(),
            instance_pointer: "/0/id".into(),
            schema_pointer: "#/components/schemas/Item/properties/id/type".into(),
            message: "`/0/id` is string, the description says integer".into(),
            sample: Some("\"7\"".into()),
            status: "200".into(),
            first_seen: 1,
            last_seen: 1,
            count: 1,
            cleared_at: None,
        }
    }

    #[test]
    fn only_error_level_drift_opening_or_clearing_alerts() {
        let rec = Recorded {
            opened: vec![row("error"), row("warning")],
            cleared: vec![row("info")],
        };
        let a = alerts("shop", "GET /v1/items", &rec);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].event, AlertEvent::Drift);
        assert_eq!(
            a[0].title,
            "shop: GET /v1/items answers unlike its description"
        );
        assert_eq!(a[0].payload["state"], "new");
        assert_eq!(
            a[0].payload["text"],
            "GET /v1/items of shop answers unlike its description: 1 error-level drift.\n- response-property-type-mismatch /*/id: `/0/id` is string, the description says integer (seen \"7\")\nSee `apiradar conform shop --endpoint 'GET /v1/items'`."
        );
        let rec = Recorded {
            opened: vec![],
            cleared: vec![row("error")],
        };
        let a = alerts("shop", "GET /v1/items", &rec);
        assert_eq!(a[0].payload["state"], "cleared");
        assert!(alerts("shop", "GET /v1/items", &Recorded::default()).is_empty());
    }
}
