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
//! Any number of senders may share one database (two `apiradar run`s, the
//! dashboard, a cron `refresh`): each claims a row before sending it (a
//! lease in the store, see [`crate::store::alerts`]), so each alert is
//! sent by one of them. Channels are delivered to concurrently, each
//! delivery bounded by its channel's timeout ([`DEFAULT_TIMEOUT`] unless
//! the channel sets one); a channel that does not answer holds up only its
//! own alerts, and its error says it timed out and after how long.
//!
//! The generic webhook's body is the event itself:
//! `{"id", "event", "watch", "title", "text", "created_at", …event fields}`,
//! with the header `X-Apiradar-Signature: sha256=<hex HMAC of the body>`
//! when the channel names a secret variable, and `X-Apiradar-Delivery: <id>`
//! on every request (the same on each attempt of one alert).

pub mod caching;
pub mod change;
pub mod declare;
pub mod drift;
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

/// How long one delivery may take when its channel sets no timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest timeout a channel may set.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(300);

/// Channels one sender delivers to at once.
pub const PARALLEL_CHANNELS: usize = 8;

/// Alerts one channel is sent in one round, so that a long queue does not
/// keep a round going for ever.
const ROUND_LIMIT: usize = 100;

/// What an email delivery may take beyond its timeout: the polite QUIT
/// after the message was accepted.
const GRACE: Duration = Duration::from_secs(5);

/// How much longer than the longest delivery a claim lasts, so that
/// recording the attempt (which waits at most 30 s for the database lock)
/// happens before another sender may claim the row again.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Why one delivery failed: one line, naming the channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub message: String,
    /// No answer in time: the channel's other alerts wait for the next
    /// round instead of each waiting for the timeout in turn.
    pub timed_out: bool,
}

impl Failure {
    fn new(message: String) -> Failure {
        Failure {
            message,
            timed_out: false,
        }
    }
}

/// Posts alerts. Each sender has its own owner id (process id, time and a
/// counter), under which it claims the rows it sends.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    default_timeout: Duration,
    owner: std::sync::Arc<str>,
}

/// A new owner id: unique among the senders of every process on a
/// database (the process id, the time in nanoseconds and a counter).
fn new_owner() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos:x}-{n}", std::process::id())
}

impl Sender {
    /// A sender whose deliveries take at most `default_timeout` on
    /// channels that set no timeout of their own ([`DEFAULT_TIMEOUT`] is
    /// the usual one).
    pub fn new(default_timeout: Duration) -> Result<Sender, String> {
        // No client-wide timeout: each delivery is bounded by its
        // channel's timeout.
        let client = reqwest::Client::builder()
            .user_agent(concat!("apiradar/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Sender {
            client,
            default_timeout,
            owner: new_owner().into(),
        })
    }

    /// The id this sender claims rows under.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// How long one delivery to `channel` may take.
    pub fn timeout_for(&self, channel: &Channel) -> Duration {
        match channel.timeout_ms {
            Some(ms) if ms > 0 => Duration::from_millis(ms as u64),
            _ => self.default_timeout,
        }
    }

    /// How long a claim on a row of `channel` lasts: longer than any
    /// delivery to it can take.
    pub fn lease_for(&self, channel: &Channel) -> Duration {
        self.timeout_for(channel) + GRACE + LEASE_MARGIN
    }

    /// Delivers one row to its channel. The error is one line, with any
    /// secret from the URL kept out.
    pub async fn deliver(&self, o: &Outbox, channel: &Channel) -> Result<(), String> {
        self.attempt(o, channel).await.map_err(|f| f.message)
    }

    /// [`Sender::deliver`], saying whether the channel timed out. Nothing
    /// takes longer than the channel's timeout (plus a few seconds for an
    /// email's QUIT).
    pub async fn attempt(&self, o: &Outbox, channel: &Channel) -> Result<(), Failure> {
        let timeout = self.timeout_for(channel);
        let timed_out = |what: &str| Failure {
            message: format!(
                "{}: timed out after {} {what}",
                channel.name,
                humantime::format_duration(timeout)
            ),
            timed_out: true,
        };
        if channel.kind == ChannelKind::Email {
            let mut cfg: email::EmailConfig = serde_json::from_value(channel.options.clone())
                .map_err(|e| {
                    Failure::new(format!(
                        "{}: the channel's email settings are unreadable: {e}",
                        channel.name
                    ))
                })?;
            cfg.server = channel.url.clone();
            let body = email_body(o);
            let send = email::deliver(&cfg, &o.title, &body, timeout);
            return match tokio::time::timeout(timeout + GRACE, send).await {
                Err(_) => Err(timed_out("waiting for the mail server")),
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(Failure {
                    timed_out: e.to_string().starts_with("timed out"),
                    message: format!("{}: {e}", channel.name),
                }),
            };
        }
        let (url, secrets) = crate::watch::resolve_location(&channel.url)
            .map_err(|e| Failure::new(format!("{}: {e}", channel.name)))?;
        // The same scrubber as every fetch: every spelling of a value
        // (percent-encoded too), short values by token, and remembered so
        // that log lines about this delivery are scrubbed as well.
        let scrubber = crate::fetch::Scrubber::new(&secrets);
        scrubber.remember();
        let scrub = |s: String| scrubber.scrub(&s).into_owned();
        // Where it waited, for the timeout's message: the host and port
        // only (a webhook's path often carries its token).
        let target = reqwest::Url::parse(&url)
            .ok()
            .and_then(|u| {
                let host = u.host_str()?.to_string();
                Some(match u.port_or_known_default() {
                    Some(port) => format!("{host}:{port}"),
                    None => host,
                })
            })
            .map(&scrub)
            .unwrap_or_else(|| "the receiver".to_string());
        let body = body_for(channel.kind, o).to_string();
        let mut request = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header(DELIVERY_HEADER, o.id.to_string());
        if let Some(var) = &channel.secret_env {
            let secret = std::env::var(var).map_err(|_| {
                Failure::new(format!(
                    "{}: the secret variable {var} is not set",
                    channel.name
                ))
            })?;
            request = request.header(
                SIGNATURE_HEADER,
                signature(secret.as_bytes(), body.as_bytes()),
            );
        }
        let response = match tokio::time::timeout(timeout, request.body(body).send()).await {
            Err(_) => return Err(timed_out(&format!("waiting for {target}"))),
            Ok(Err(e)) => {
                return Err(Failure {
                    message: scrub(format!("{}: {e}", channel.name)),
                    timed_out: e.is_timeout(),
                });
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(Failure::new(format!("{}: HTTP {status}", channel.name)))
        }
    }
}

/// Delivers every row due at `now`, each channel in its own task (at most
/// [`PARALLEL_CHANNELS`] at once), so a channel that does not answer holds
/// up only itself. Returns how many were sent.
///
/// Every row is claimed before it is sent (see [`deliver_channel`]), so any
/// number of senders, in this process or others, may run this at once on
/// one database and each alert still goes out once.
pub async fn deliver_due(store: &SharedStore, sender: &Sender, now: i64) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    let mut visited: Vec<i64> = Vec::new();
    let mut sent = 0;
    loop {
        if tasks.len() < PARALLEL_CHANNELS {
            let except = visited.clone();
            let due = with_store(store, move |s| {
                s.due_channels(now, crate::store::now_ms(), &except)
            })
            .await;
            match due {
                Ok(channels) => {
                    for channel in channels.into_iter().take(PARALLEL_CHANNELS - tasks.len()) {
                        visited.push(channel.id);
                        let (store, sender) = (std::sync::Arc::clone(store), sender.clone());
                        tasks.spawn(async move {
                            deliver_channel(&store, &sender, &channel, now).await
                        });
                    }
                }
                Err(e) => tracing::warn!("cannot read the alert outbox: {e}"),
            }
        }
        match tasks.join_next().await {
            Some(Ok(n)) => sent += n,
            Some(Err(e)) => tracing::warn!("an alert delivery task failed: {e}"),
            None => break,
        }
    }
    sent
}

/// Delivers the rows of one channel due at `now`, oldest first, one at a
/// time: claim, send, record. Stops at the first delivery that timed out
/// (the channel's other rows wait for the next round rather than each
/// waiting for the timeout), and after [`ROUND_LIMIT`] rows. Returns how
/// many were sent.
pub async fn deliver_channel(
    store: &SharedStore,
    sender: &Sender,
    channel: &Channel,
    now: i64,
) -> usize {
    let mut sent = 0;
    let lease = sender.lease_for(channel).as_millis() as i64;
    for _ in 0..ROUND_LIMIT {
        let (channel_id, owner) = (channel.id, sender.owner.clone());
        let claimed = with_store(store, move |s| {
            let clock = crate::store::now_ms();
            s.claim_alert(channel_id, &owner, now, clock, clock + lease)
        })
        .await;
        let o = match claimed {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(channel = %channel.name, "cannot claim an alert: {e}");
                break;
            }
        };
        let result = sender.attempt(&o, channel).await;
        let at = crate::store::now_ms();
        let stop = matches!(&result, Err(f) if f.timed_out);
        let record = match result {
            Ok(()) => {
                sent += 1;
                Ok(())
            }
            Err(f) => {
                tracing::warn!(channel = %channel.name, "alert not delivered: {}", f.message);
                Err((f.message, retry_at(at, o.attempts + 1)))
            }
        };
        let (id, owner) = (o.id, sender.owner.clone());
        match with_store(store, move |s| {
            s.record_delivery(id, Some(&owner), at, record)
        })
        .await
        {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                channel = %channel.name,
                "alert #{id}: the attempt was not recorded (its claim had expired and another sender took it over)"
            ),
            Err(e) => tracing::warn!("cannot record an alert delivery: {e}"),
        }
        if stop {
            break;
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
///
/// Each channel with due rows gets a task ([`deliver_channel`]); a channel
/// whose task is still busy (waiting for a receiver that does not answer,
/// say) is left out of the next rounds until it is done, while the other
/// channels go on being delivered to. At most [`PARALLEL_CHANNELS`] tasks
/// run at once. Dropping this future stops them all; a row being sent
/// then stays claimed until its lease expires and is sent again after.
pub async fn run_woken(
    store: SharedStore,
    sender: Sender,
    every: Duration,
    wake: std::sync::Arc<tokio::sync::Notify>,
) {
    let mut tasks = tokio::task::JoinSet::new();
    let mut busy: std::collections::HashMap<tokio::task::Id, i64> = Default::default();
    loop {
        if tasks.len() < PARALLEL_CHANNELS {
            let except: Vec<i64> = busy.values().copied().collect();
            let due = with_store(&store, move |s| {
                let now = crate::store::now_ms();
                s.due_channels(now, now, &except)
            })
            .await;
            match due {
                Ok(channels) => {
                    for channel in channels.into_iter().take(PARALLEL_CHANNELS - tasks.len()) {
                        let (store, sender) = (std::sync::Arc::clone(&store), sender.clone());
                        let id = channel.id;
                        let task = tasks.spawn(async move {
                            let now = crate::store::now_ms();
                            deliver_channel(&store, &sender, &channel, now).await
                        });
                        busy.insert(task.id(), id);
                    }
                }
                Err(e) => tracing::warn!("cannot read the alert outbox: {e}"),
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = wake.notified() => {}
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => {
                let id = match done {
                    Ok((id, _)) => id,
                    Err(e) => {
                        tracing::warn!("an alert delivery task failed: {e}");
                        e.id()
                    }
                };
                busy.remove(&id);
            }
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
