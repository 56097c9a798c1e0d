//! Alerts and alert channels as tables and JSON.

use serde_json::{Value, json};

use super::table;
use crate::app::queries::AlertRow;
use crate::store::alerts::Channel;
use crate::store::format_ms;
use crate::text::{self, Line};

/// An alert with its attempts as JSON (`attempt_log`).
fn alert_value(row: &AlertRow) -> Value {
    let mut v = serde_json::to_value(&row.alert).unwrap_or_default();
    v["attempt_log"] = serde_json::to_value(&row.attempts).unwrap_or_default();
    v
}

pub fn alerts_json(rows: &[AlertRow]) -> Value {
    let list: Vec<Value> = rows.iter().map(alert_value).collect();
    json!({ "alerts": list })
}

pub fn alerts_table(rows: &[AlertRow]) -> String {
    if rows.is_empty() {
        return "no alerts yet\n".into();
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let o = &r.alert;
            vec![
                format_ms(o.created_at),
                o.channel.clone(),
                o.event.to_string(),
                o.title.clone(),
                o.status.to_string(),
                o.attempts.to_string(),
                o.last_error.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "WHEN",
            "CHANNEL",
            "EVENT",
            "TITLE",
            "STATUS",
            "TRIES",
            "LAST ERROR",
        ],
        &rows,
    )
}

pub fn alert_json(row: &AlertRow) -> Value {
    alert_value(row)
}

/// One alert: what, when, each delivery attempt, and its text.
pub fn alert_text(row: &AlertRow) -> String {
    let o = &row.alert;
    let mut out = format!(
        "#{} {} · {} · {}\n",
        o.id,
        o.event,
        Line(&o.channel),
        Line(&o.title)
    );
    out += &format!("raised  {}\n", format_ms(o.created_at));
    let plural = if o.attempts == 1 { "" } else { "s" };
    out += &format!(
        "status  {} after {} attempt{plural}\n",
        o.status, o.attempts
    );
    for a in &row.attempts {
        let what = if a.ok {
            "delivered".to_string()
        } else {
            format!("failed: {}", Line(a.error.as_deref().unwrap_or("")))
        };
        out += &format!("  {}  {what}\n", format_ms(a.at));
    }
    if o.status == crate::store::alerts::OutboxStatus::Pending {
        out += &format!("next try {}\n", format_ms(o.next_attempt_at));
    }
    if let Some(text) = o.payload.get("text").and_then(|t| t.as_str()) {
        out += &format!("\n{}\n", text::block(text));
    }
    out
}

pub fn channels_json(channels: &[Channel]) -> Value {
    json!({ "channels": channels })
}

pub fn channels_table(channels: &[Channel]) -> String {
    let rows: Vec<Vec<String>> = channels
        .iter()
        .map(|c| {
            let t = c.thresholds;
            let mut when = format!("{}/{}", t.down_after, t.recovered_after);
            if let Some(ms) = t.remind_every_ms {
                let every = std::time::Duration::from_millis(ms as u64);
                when += &format!(" every {}", humantime::format_duration(every));
            }
            vec![
                c.name.clone(),
                c.kind.to_string(),
                crate::fetch::without_userinfo(&c.url),
                if c.disabled.is_some() {
                    "(off: not in the config file)".to_string()
                } else {
                    let mut events = c.event_names().join(",");
                    let f = &c.filters;
                    if !f.only.is_empty() {
                        events += &format!(" only {}", f.only.join(","));
                    }
                    if !f.paths.is_empty() {
                        events += &format!(" path {}", f.paths.join(","));
                    }
                    events
                },
                c.watch.clone().unwrap_or_else(|| "(all)".into()),
                when,
                humantime::format_duration(match c.timeout_ms {
                    Some(ms) if ms > 0 => std::time::Duration::from_millis(ms as u64),
                    _ => crate::alert::DEFAULT_TIMEOUT,
                })
                .to_string(),
            ]
        })
        .collect();
    table(
        &[
            "NAME", "KIND", "URL", "EVENTS", "WATCH", "DOWN/UP", "TIMEOUT",
        ],
        &rows,
    )
}

/// The line `alert add` prints.
pub fn channel_added(c: &Channel, kind: crate::store::alerts::ChannelKind) -> String {
    format!(
        "added {kind} channel {} for {} on {}",
        Line(&c.name),
        Line(c.watch.as_deref().unwrap_or("every watch")),
        c.event_names().join(", ")
    )
}
