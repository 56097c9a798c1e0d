//! The text of endpoint alerts: an endpoint went down, is still down (a
//! reminder), or recovered. What happens when is decided in
//! `crate::health::transitions`; this only words it.

use serde_json::{Value, json};

use crate::store::alerts::{AlertEvent, NewAlert};
use crate::store::health::{CheckRecord, Endpoint};

/// `e` (of watch `watch`) has just failed its channel's number of checks in
/// a row; `rec` is the latest.
pub fn down(watch: &str, e: &Endpoint, rec: &CheckRecord) -> NewAlert {
    let (what, last, look) = words(watch, e, rec);
    let text = format!(
        "{what} failed {} checks in a row; last: {last}. See `{look}`.",
        e.consecutive_failures
    );
    NewAlert {
        event: AlertEvent::Down,
        title: format!("{watch}: {what} is down"),
        payload: payload(AlertEvent::Down, e, rec, false, text, look),
    }
}

/// `e` has been down since `since` (ms) and is still down at `rec`.
pub fn still_down(watch: &str, e: &Endpoint, rec: &CheckRecord, since: i64) -> NewAlert {
    let (what, last, look) = words(watch, e, rec);
    let minutes = (rec.at - since).max(0) / 60_000;
    let text = format!(
        "{what} has been down for {}h {:02}m ({} failed checks); last: {last}. See `{look}`.",
        minutes / 60,
        minutes % 60,
        e.consecutive_failures
    );
    NewAlert {
        event: AlertEvent::Down,
        title: format!("{watch}: {what} is still down"),
        payload: payload(AlertEvent::Down, e, rec, true, text, look),
    }
}

/// `e` has passed its channel's number of checks in a row after being
/// down.
pub fn recovered(watch: &str, e: &Endpoint, rec: &CheckRecord) -> NewAlert {
    let (what, _, look) = words(watch, e, rec);
    let text = format!(
        "{what} answers again ({} checks in a row). See `{look}`.",
        e.consecutive_successes
    );
    NewAlert {
        event: AlertEvent::Recovered,
        title: format!("{watch}: {what} recovered"),
        payload: payload(AlertEvent::Recovered, e, rec, false, text, look),
    }
}

/// What it is (`GET https://…`), the latest error, and the command to
/// look at it.
fn words<'a>(watch: &str, e: &Endpoint, rec: &'a CheckRecord) -> (String, &'a str, String) {
    (
        format!("{} {}", e.method, e.url),
        rec.error.as_deref().unwrap_or("no answer"),
        format!("apiradar health {watch}"),
    )
}

fn payload(
    event: AlertEvent,
    e: &Endpoint,
    rec: &CheckRecord,
    reminder: bool,
    text: String,
    look: String,
) -> Value {
    json!({
        "event": event.as_str(),
        "endpoint": {"method": e.method, "url": e.url, "path": e.path},
        "http_status": rec.http_status,
        "error": rec.error,
        "reminder": reminder,
        "text": text,
        "command": look,
    })
}
