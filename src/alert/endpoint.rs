//! The text of endpoint alerts: an endpoint went down, is still down (a
//! reminder), or recovered. What happens when is decided in
//! the health module's `transitions`; this only words it.

use serde_json::{Value, json};

use crate::store::alerts::{AlertEvent, NewAlert};
use crate::store::health::{CheckRecord, Endpoint};
use crate::text::Line;

/// `e` (of watch `watch`) has just failed its channel's number of checks in
/// a row; `rec` is the latest.
pub fn down(watch: &str, e: &Endpoint, rec: &CheckRecord) -> NewAlert {
    let (what, last, look) = words(watch, e, rec);
    let text = format!(
        "{what} failed {} checks in a row; last: {last}. See `{look}`.",
        e.consecutive_failures
    );
    NewAlert {
        subjects: Vec::new(),
        narrowed: Vec::new(),
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
        subjects: Vec::new(),
        narrowed: Vec::new(),
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
        subjects: Vec::new(),
        narrowed: Vec::new(),
        event: AlertEvent::Recovered,
        title: format!("{watch}: {what} recovered"),
        payload: payload(AlertEvent::Recovered, e, rec, false, text, look),
    }
}

/// What it is (`GET https://…`), the latest error, and the command to
/// look at it. The URL comes from a spec and the error from a server, so
/// both are one line with control characters escaped.
fn words<'a>(watch: &str, e: &Endpoint, rec: &'a CheckRecord) -> (String, Line<'a>, String) {
    (
        format!("{} {}", Line(&e.method), Line(&e.url)),
        Line(rec.error.as_deref().unwrap_or("no answer")),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::health::EndpointState;

    fn endpoint(failures: u32, successes: u32) -> Endpoint {
        Endpoint {
            id: 1,
            watch_id: 1,
            method: "GET".into(),
            url: "http://x/pets".into(),
            path: Some("/pets".into()),
            source: "spec".into(),
            enabled: true,
            conditions: Vec::new(),
            degraded_ms: None,
            state: EndpointState::Down,
            consecutive_failures: failures,
            consecutive_successes: successes,
            last_checked_at: None,
            headers: Vec::new(),
            body: None,
        }
    }

    fn failed(at: i64) -> CheckRecord {
        CheckRecord {
            at,
            http_status: Some(503),
            error: Some("HTTP 503".into()),
            ..CheckRecord::default()
        }
    }

    #[test]
    fn down_words_and_payload() {
        let a = down("api", &endpoint(3, 0), &failed(0));
        assert_eq!(a.event, AlertEvent::Down);
        assert_eq!(a.title, "api: GET http://x/pets is down");
        assert_eq!(
            a.payload.to_string(),
            r#"{"command":"apiradar health api","endpoint":{"method":"GET","path":"/pets","url":"http://x/pets"},"error":"HTTP 503","event":"down","http_status":503,"reminder":false,"text":"GET http://x/pets failed 3 checks in a row; last: HTTP 503. See `apiradar health api`."}"#
        );
    }

    #[test]
    fn still_down_tells_how_long() {
        let a = still_down("api", &endpoint(25, 0), &failed(125 * 60_000), 2 * 60_000);
        assert_eq!(a.event, AlertEvent::Down);
        assert_eq!(a.title, "api: GET http://x/pets is still down");
        assert_eq!(a.payload["reminder"], true);
        assert_eq!(
            a.payload["text"],
            "GET http://x/pets has been down for 2h 03m (25 failed checks); last: HTTP 503. See `apiradar health api`."
        );
    }

    #[test]
    fn recovered_words_and_a_missing_error() {
        let rec = CheckRecord {
            at: 9,
            http_status: Some(200),
            ..CheckRecord::default()
        };
        let a = recovered("api", &endpoint(0, 2), &rec);
        assert_eq!(a.event, AlertEvent::Recovered);
        assert_eq!(a.title, "api: GET http://x/pets recovered");
        assert_eq!(
            a.payload.to_string(),
            r#"{"command":"apiradar health api","endpoint":{"method":"GET","path":"/pets","url":"http://x/pets"},"error":null,"event":"recovered","http_status":200,"reminder":false,"text":"GET http://x/pets answers again (2 checks in a row). See `apiradar health api`."}"#
        );
        let silent = CheckRecord {
            error: None,
            ..failed(0)
        };
        assert!(
            down("api", &endpoint(3, 0), &silent).payload["text"]
                .as_str()
                .is_some_and(|t| t.contains("last: no answer"))
        );
    }
}
