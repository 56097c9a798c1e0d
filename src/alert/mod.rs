//! Alert delivery: the sender that takes pending rows from the store's
//! outbox and posts them to their channel — a generic webhook (JSON, with
//! an HMAC-SHA256 signature when a secret is set), a Slack or a Discord
//! incoming webhook — recording every attempt.
//!
//! Failed deliveries are retried with exponential backoff (5 s doubling,
//! at most an hour apart) and given up after [`MAX_ATTEMPTS`]. A row is
//! marked sent right after its channel accepted it; a crash in between can
//! deliver it again on restart, but a row recorded as sent is never sent
//! again and a pending one is never lost.
//!
//! The generic webhook's body is the event itself:
//! `{"id", "event", "watch", "title", "text", "created_at", …event fields}`,
//! with the header `X-Apiradar-Signature: sha256=<hex HMAC of the body>`
//! when the channel names a secret variable, and `X-Apiradar-Delivery: <id>`
//! on every request (the same on each attempt of one alert).

pub mod caching;
pub mod change;
pub mod declare;
pub mod email;
pub mod endpoint;

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::store::alerts::{Channel, ChannelKind, Outbox};
use crate::store::{SharedStore, with_store};

/// Attempts before a row is marked failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// The header carrying a webhook body's HMAC-SHA256.
pub const SIGNATURE_HEADER: &str = "X-Apiradar-Signature";

/// The header carrying the outbox row's id, the same on every attempt, so
/// a receiver can drop the rare second delivery after a crash.
pub const DELIVERY_HEADER: &str = "X-Apiradar-Delivery";

/// When to try again after `attempts` failed attempts, or `None` to give
/// up.
pub fn retry_at(now: i64, attempts: u32) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let delay = (5_000i64 << attempts.min(20)).min(3_600_000);
    Some(now + delay)
}

/// `sha256=<hex>` of `body` under `secret`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error case cannot happen.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::new(),
    }
}

/// The JSON a channel of `kind` is sent for `o`. Slack and Discord read
/// their text as markup, so it is escaped for each (the text quotes
/// documents and servers): no links, mentions, headings or formatting
/// come from it, and Discord is told to ping no one.
pub fn body_for(kind: ChannelKind, o: &Outbox) -> Value {
    let text = o
        .payload
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or(&o.title)
        .to_string();
    match kind {
        ChannelKind::Slack => json!({
            "text": format!(
                "*{}*\n{}",
                crate::text::slack_text(&crate::text::line(&o.title)),
                crate::text::slack_text(&text)
            )
        }),
        ChannelKind::Discord => {
            let lines: Vec<String> = text.split('\n').map(crate::text::markdown_text).collect();
            json!({
                "content": format!(
                    "**{}**\n{}",
                    crate::text::markdown_text(&o.title),
                    lines.join("\n")
                ),
                "allowed_mentions": { "parse": [] },
            })
        }
        ChannelKind::Webhook | ChannelKind::Email => {
            let mut body = json!({
                "id": o.id,
                "event": o.event,
                "watch": o.watch,
                "title": o.title,
                "text": text,
                "created_at": o.created_at,
            });
            if let (Some(b), Some(p)) = (body.as_object_mut(), o.payload.as_object()) {
                for (k, v) in p {
                    b.entry(k.clone()).or_insert(v.clone());
                }
            }
            body
        }
    }
}

/// The plain-text body of an email alert: the text, then how to look.
pub fn email_body(o: &Outbox) -> String {
    let text = o
        .payload
        .get("text")
        .and_then(Value::as_str)
        .unwrap_or(&o.title);
    let mut body = format!("{}\n", crate::text::block(text));
    if let Some(cmd) = o.payload.get("command").and_then(Value::as_str)
        && !text.contains(cmd)
    {
        body += &format!("\nTo look at it: {cmd}\n");
    }
    body += &format!(
        "\n-- \napiradar alert #{} ({}{})\n",
        o.id,
        o.event,
        if o.watch.is_empty() {
            String::new()
        } else {
            format!(", {}", o.watch)
        }
    );
    body
}

/// Posts alerts.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    timeout: Duration,
}

impl Sender {
    pub fn new(timeout: Duration) -> Result<Sender, String> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("apiradar/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Sender { client, timeout })
    }

    /// Delivers one row to its channel. The error is one line, with any
    /// secret from the URL kept out.
    pub async fn deliver(&self, o: &Outbox, channel: &Channel) -> Result<(), String> {
        if channel.kind == ChannelKind::Email {
            let mut cfg: email::EmailConfig = serde_json::from_value(channel.options.clone())
                .map_err(|e| {
                    format!(
                        "{}: the channel's email settings are unreadable: {e}",
                        channel.name
                    )
                })?;
            cfg.server = channel.url.clone();
            return email::send(&cfg, &o.title, &email_body(o), self.timeout)
                .await
                .map_err(|e| format!("{}: {e}", channel.name));
        }
        let (url, secrets) = crate::watch::resolve_location(&channel.url)?;
        let scrub = |s: String| {
            secrets
                .iter()
                .filter(|v| !v.is_empty())
                .fold(s, |acc, v| acc.replace(v.as_str(), "***"))
        };
        let body = body_for(channel.kind, o).to_string();
        let mut request = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(DELIVERY_HEADER, o.id.to_string());
        if let Some(var) = &channel.secret_env {
            let secret =
                std::env::var(var).map_err(|_| format!("the secret variable {var} is not set"))?;
            request = request.header(
                SIGNATURE_HEADER,
                signature(secret.as_bytes(), body.as_bytes()),
            );
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| scrub(format!("{}: {e}", channel.name)))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("{}: HTTP {status}", channel.name))
        }
    }
}

/// Delivers every row due at `now`; returns how many were sent.
pub async fn deliver_due(store: &SharedStore, sender: &Sender, now: i64) -> usize {
    let due = match with_store(store, move |s| s.due_alerts(now, 100)).await {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("cannot read the alert outbox: {e}");
            return 0;
        }
    };
    let mut sent = 0;
    for (o, channel) in due {
        let result = sender.deliver(&o, &channel).await;
        let at = crate::store::now_ms();
        let record = match result {
            Ok(()) => {
                sent += 1;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(channel = %channel.name, "alert not delivered: {e}");
                Err((e, retry_at(at, o.attempts + 1)))
            }
        };
        let id = o.id;
        if let Err(e) = with_store(store, move |s| s.record_attempt(id, at, record)).await {
            tracing::warn!("cannot record an alert delivery: {e}");
        }
    }
    sent
}

/// Delivers due alerts every `every` until the task is dropped.
pub async fn run(store: SharedStore, sender: Sender, every: Duration) {
    run_woken(
        store,
        sender,
        every,
        std::sync::Arc::new(tokio::sync::Notify::new()),
    )
    .await
}

/// [`run`], also delivering as soon as `wake` is notified (after a poll or
/// a health round that may have queued alerts), so an alert does not wait
/// for the next tick.
pub async fn run_woken(
    store: SharedStore,
    sender: Sender,
    every: Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
) {
    loop {
        deliver_due(&store, &sender, crate::store::now_ms()).await;
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = wake.notified() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_gives_up() {
        assert_eq!(retry_at(0, 1), Some(10_000));
        assert_eq!(retry_at(0, 2), Some(20_000));
        assert_eq!(retry_at(0, 7), Some(640_000));
        assert_eq!(retry_at(0, MAX_ATTEMPTS), None);
    }

    #[test]
    fn chat_bodies_cannot_carry_markup_mentions_or_escapes() {
        use crate::store::alerts::{AlertEvent, OutboxStatus};
        let text = "w has a new version #2.\n- error x: GET /a: `q`x` @everyone <!channel> \
                    [click](http://evil) **b** \u{1b}[2J";
        let o = Outbox {
            id: 1,
            channel: "c".into(),
            created_at: 0,
            event: AlertEvent::Change,
            watch: "w".into(),
            title: "w: new\u{1b}]0;t\u{7}".into(),
            payload: json!({ "text": text }),
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
            sent_at: None,
        };
        let slack = body_for(ChannelKind::Slack, &o)["text"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert_eq!(
            slack,
            "*w: new\\e]0;t\\x07*\nw has a new version #2.\n- error x: GET /a: `q`x` @everyone \
             &lt;!channel&gt; [click](http://evil) **b** \\e[2J"
        );
        let discord = body_for(ChannelKind::Discord, &o);
        assert_eq!(discord["allowed_mentions"], json!({ "parse": [] }));
        assert_eq!(
            discord["content"],
            "**w: new\\\\e\\]0;t\\\\x07**\nw has a new version \\#2.\n- error x: GET /a: \\`q\\`x\\` \
             @everyone \\<\\!channel\\> \\[click\\](http://evil) \\*\\*b\\*\\* \\\\e\\[2J"
        );
        assert!(email_body(&o).contains("\\e[2J"));
        assert!(!email_body(&o).contains('\u{1b}'));
    }

    #[test]
    fn signatures_are_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
