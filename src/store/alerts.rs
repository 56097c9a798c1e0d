//! Alerts in the store: channels, rules, and the outbox.
//!
//! An alert event is written to the outbox (`alert_events`) in the same
//! transaction as the version, health transition or pause that caused it,
//! one row per channel whose rules match. The sender
//! (the alert module) delivers pending rows and records each attempt; a row
//! marked `sent` is never sent again, and a crash between delivery and
//! marking can at worst deliver a row twice, never lose it.
//!
//! Several senders may work on one database (two `apiradar run`s, the
//! dashboard and a cron `refresh`). Each claims a row before sending it
//! ([`Store::claim_alert`]): one statement sets the row's lease (its owner
//! and until when) only if nobody holds an unexpired lease on it, so one
//! sender wins and the others move on. Recording the attempt clears the
//! lease. A lease left by a sender that was killed mid-send expires, and the
//! row is claimed again after that time. A leased row is still `pending`.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::Value;

use super::{CachedSql, Result, Store, StoreError};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertEvent {
    /// A new version with findings at error level.
    Breaking,
    /// Any new version.
    Change,
    /// An endpoint down for [`DOWN_AFTER`] checks in a row.
    Down,
    /// A down endpoint up again for [`RECOVERED_AFTER`] checks.
    Recovered,
    /// A watch paused after repeated failed polls.
    Paused,
    /// A model's prompt caching stopped working (its identical test
    /// passed before and now fails again and again).
    Caching,
    /// An operation's live responses drifted from its description at
    /// error level, or such a drift cleared.
    Drift,
    /// `apiradar alert test`.
    Test,
}

/// Failed checks in a row before an endpoint counts as down, unless a
/// rule says otherwise.
pub const DOWN_AFTER: u32 = 3;
/// Successful checks in a row before a down endpoint counts as recovered,
/// unless a rule says otherwise.
pub const RECOVERED_AFTER: u32 = 2;

/// When a channel hears about an endpoint going down and coming back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Failed checks in a row before `down`.
    pub down_after: u32,
    /// Passed checks in a row, after `down`, before `recovered`.
    pub recovered_after: u32,
    /// Repeat `down` this often (ms) while the endpoint stays down.
    pub remind_every_ms: Option<i64>,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            down_after: DOWN_AFTER,
            recovered_after: RECOVERED_AFTER,
            remind_every_ms: None,
        }
    }
}

/// A channel to add.
#[derive(Debug, Clone, Default)]
pub struct NewChannel<'a> {
    pub name: &'a str,
    pub kind: ChannelKind,
    /// The webhook URL, or the SMTP server of an email channel.
    pub url: &'a str,
    pub secret_env: Option<&'a str>,
    /// Settings of the kind (email: the alert module's `EmailConfig`).
    pub options: Option<Value>,
    pub events: &'a [AlertEvent],
    pub watch: Option<&'a str>,
    pub thresholds: Thresholds,
    /// Declared in a config file.
    pub from_config: bool,
    /// How long one delivery may take (ms); `None`: the sender's default.
    pub timeout_ms: Option<i64>,
    /// Filters of its `change` and `breaking` rules.
    pub filters: RuleFilters,
}

impl AlertEvent {
    pub const RULES: [AlertEvent; 7] = [
        AlertEvent::Breaking,
        AlertEvent::Change,
        AlertEvent::Down,
        AlertEvent::Recovered,
        AlertEvent::Paused,
        AlertEvent::Caching,
        AlertEvent::Drift,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertEvent::Breaking => "breaking",
            AlertEvent::Change => "change",
            AlertEvent::Down => "down",
            AlertEvent::Recovered => "recovered",
            AlertEvent::Paused => "paused",
            AlertEvent::Caching => "caching",
            AlertEvent::Drift => "drift",
            AlertEvent::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<AlertEvent> {
        AlertEvent::RULES
            .into_iter()
            .chain([AlertEvent::Test])
            .find(|e| e.as_str() == s)
    }
}

stored_words!(AlertEvent, "alert event");

/// Where a channel sends its alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// A generic webhook: the event as JSON, signed when a secret is set.
    #[default]
    Webhook,
    /// A Slack incoming webhook.
    Slack,
    /// A Discord incoming webhook.
    Discord,
    /// Mail through an SMTP server.
    Email,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 4] = [
        ChannelKind::Webhook,
        ChannelKind::Slack,
        ChannelKind::Discord,
        ChannelKind::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Webhook => "webhook",
            ChannelKind::Slack => "slack",
            ChannelKind::Discord => "discord",
            ChannelKind::Email => "email",
        }
    }

    pub fn parse(s: &str) -> Option<ChannelKind> {
        ChannelKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

stored_words!(ChannelKind, "channel kind");

/// Where an outbox row stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    /// Waiting for its first delivery or a retry.
    Pending,
    /// Accepted by its channel; never sent again.
    Sent,
    /// Given up after too many failed attempts.
    Failed,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<OutboxStatus> {
        [
            OutboxStatus::Pending,
            OutboxStatus::Sent,
            OutboxStatus::Failed,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

stored_words!(OutboxStatus, "alert status");

/// An alert composed above the store (in the alert module), ready to
/// queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub event: AlertEvent,
    pub title: String,
    pub payload: Value,
    /// The findings behind a `change` or `breaking` alert, for rules with
    /// filters (`alert add --only/--path`); empty for other alerts, which
    /// such rules do not filter.
    pub subjects: Vec<AlertSubject>,
    /// The alert as a channel with filters gets it: composed (in the alert
    /// module) for each filter set the watch's rules had when it was
    /// planned, holding and counting only the findings that pass. A rule
    /// whose filters have none here (added while the version was being
    /// compared) gets the whole payload.
    pub narrowed: Vec<Narrowed>,
}

/// A `change` or `breaking` alert narrowed to the findings that pass one
/// set of rule filters.
#[derive(Debug, Clone, PartialEq)]
pub struct Narrowed {
    pub filters: RuleFilters,
    pub payload: Value,
}

/// One finding behind an alert: its check id and where it is (`GET
/// /pets`, a catalog item's path, a changelog entry's heading).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSubject {
    pub id: String,
    pub place: String,
    /// At error level (what a `breaking` alert is about).
    pub error: bool,
}

/// Which findings a rule about `change` and `breaking` takes (`--only
/// ID_GLOB`, `--path GLOB`): an alert goes to the channel when one of its
/// findings matches an id glob (if any are given) and a path glob (if any
/// are given). `*` matches any run of characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RuleFilters {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
}

impl RuleFilters {
    pub fn is_empty(&self) -> bool {
        self.only.is_empty() && self.paths.is_empty()
    }

    /// Whether an alert about `subjects` passes.
    pub fn takes(&self, subjects: &[AlertSubject]) -> bool {
        self.is_empty() || subjects.iter().any(|s| self.passes(s))
    }

    /// Whether one finding passes both filters (an empty one passes all).
    pub fn passes(&self, s: &AlertSubject) -> bool {
        (self.only.is_empty() || self.only.iter().any(|g| crate::glob::matches(g, &s.id)))
            && (self.paths.is_empty()
                || self.paths.iter().any(|g| crate::glob::matches(g, &s.place)))
    }
}

impl AlertSubject {
    /// The subject of a finding: its id, `METHOD /path` (or the path
    /// alone), and whether it is at error level.
    pub fn of(f: &super::TopFinding) -> AlertSubject {
        AlertSubject {
            id: f.id.clone(),
            place: match (&f.operation, &f.path) {
                (Some(m), Some(p)) => format!("{m} {p}"),
                (_, Some(p)) => p.clone(),
                _ => String::new(),
            },
            error: f.level == "error",
        }
    }
}

/// One channel's rule about an endpoint going down and coming back (its
/// `down` and `recovered` rules together), with the endpoint's down state
/// on that channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownRule {
    pub channel_id: i64,
    /// The channel takes `down` alerts (and their reminders).
    pub down: bool,
    /// The channel takes `recovered` alerts.
    pub recovered: bool,
    pub down_after: u32,
    pub recovered_after: u32,
    /// Remind this often (ms) while the endpoint stays down.
    pub remind_every_ms: Option<i64>,
    /// Set while the endpoint counts as down for this channel.
    pub state: Option<DownState>,
}

/// Since when an endpoint counts as down for a channel, and when the
/// channel last heard of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownState {
    pub since: i64,
    pub reminded_at: i64,
}

/// A change to an endpoint's down state on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DownChange {
    /// It went down at `at`.
    Opened { at: i64 },
    /// It is still down; the channel was reminded at `at`.
    Reminded { at: i64 },
    /// It recovered.
    Closed,
}

/// What one check does on one channel: its down state changes, and maybe
/// an alert goes out.
#[derive(Debug, Clone, PartialEq)]
pub struct DownStep {
    pub channel_id: i64,
    pub change: DownChange,
    /// `None` when the channel does not take the event.
    pub alert: Option<NewAlert>,
}

/// Where alerts go. The URL may hold `${VAR}` references (Slack and Discord
/// webhook URLs carry their token, so for those it must), resolved only
/// when sending.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    /// The environment variable holding the HMAC secret of a webhook.
    pub secret_env: Option<String>,
    /// Settings of the kind (`Null` for webhooks).
    pub options: Value,
    /// The events it gets, and for which watch (`None`: every watch).
    pub events: Vec<AlertEvent>,
    pub watch: Option<String>,
    pub thresholds: Thresholds,
    /// Declared in a config file.
    pub from_config: bool,
    /// Why it gets no new alerts (dropped from its config file), if so.
    pub disabled: Option<String>,
    /// How long one delivery may take (ms); `None`: the sender's default.
    pub timeout_ms: Option<i64>,
    /// Filters of its `change` and `breaking` rules.
    pub filters: RuleFilters,
}

impl Channel {
    /// The events it gets, as words.
    pub fn event_names(&self) -> Vec<&'static str> {
        self.events.iter().map(|e| e.as_str()).collect()
    }
}

/// One delivery attempt of an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub at: i64,
    pub ok: bool,
    pub error: Option<String>,
}

/// One outbox row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outbox {
    pub id: i64,
    pub channel: String,
    pub created_at: i64,
    pub event: AlertEvent,
    pub watch: String,
    pub title: String,
    pub payload: Value,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
}

const OUTBOX_COLUMNS: &str = "e.id, c.name, e.created_at, e.event, e.watch, e.title, e.payload,
    e.status, e.attempts, e.next_attempt_at, e.last_error, e.sent_at";

fn outbox_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Outbox> {
    let payload: String = r.get(6)?;
    Ok(Outbox {
        id: r.get(0)?,
        channel: r.get(1)?,
        created_at: r.get(2)?,
        event: r.get(3)?,
        watch: r.get(4)?,
        title: r.get(5)?,
        payload: serde_json::from_str(&payload).unwrap_or(Value::Null),
        status: r.get(7)?,
        attempts: r.get(8)?,
        next_attempt_at: r.get(9)?,
        last_error: r.get(10)?,
        sent_at: r.get(11)?,
    })
}

impl Store {
    /// Adds a webhook-style channel with the events it gets (for one
    /// watch, or all) and the default thresholds.
    pub fn add_channel(
        &mut self,
        name: &str,
        kind: ChannelKind,
        url: &str,
        secret_env: Option<&str>,
        events: &[AlertEvent],
        watch: Option<&str>,
    ) -> Result<Channel> {
        self.add_channel_with(&NewChannel {
            name,
            kind,
            url,
            secret_env,
            events,
            watch,
            ..NewChannel::default()
        })
    }

    /// Adds a channel with its rules.
    pub fn add_channel_with(&mut self, c: &NewChannel<'_>) -> Result<Channel> {
        let NewChannel {
            name,
            kind,
            url,
            secret_env,
            events,
            watch,
            thresholds,
            from_config,
            timeout_ms,
            ..
        } = *c;
        let options = c.options.as_ref().map(Value::to_string);
        let watch_id = match watch {
            Some(w) => Some(self.watch(w)?.id),
            None => None,
        };
        let now = super::now_ms();
        self.in_write(|s| {
            let exists: Option<i64> = s
                .conn
                .row(
                    "SELECT id FROM alert_channels WHERE name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .optional()?;
            if exists.is_some() {
                return Err(StoreError::ChannelExists(name.to_string()));
            }
            s.conn.exec(
                "INSERT INTO alert_channels (name, kind, url, secret_env, options, created_at,
                     from_config, timeout_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    name,
                    kind.as_str(),
                    url,
                    secret_env,
                    options,
                    now,
                    from_config,
                    timeout_ms
                ],
            )?;
            let id = s.conn.last_insert_rowid();
            s.insert_rules(id, watch_id, events, thresholds, &c.filters)
        })?;
        self.channel(name)
    }

    fn insert_rules(
        &self,
        channel_id: i64,
        watch_id: Option<i64>,
        events: &[AlertEvent],
        thresholds: Thresholds,
        filters: &RuleFilters,
    ) -> Result<()> {
        for e in events {
            // Only alerts about findings can be filtered by them.
            let filters = (matches!(e, AlertEvent::Change | AlertEvent::Breaking)
                && !filters.is_empty())
            .then(|| serde_json::json!(filters).to_string());
            self.conn.exec(
                "INSERT INTO alert_rules (channel_id, watch_id, event, down_after,
                     recovered_after, remind_every, filters)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    channel_id,
                    watch_id,
                    e.as_str(),
                    thresholds.down_after,
                    thresholds.recovered_after,
                    thresholds.remind_every_ms,
                    filters
                ],
            )?;
        }
        Ok(())
    }

    /// Adds a channel declared in a config file, or makes an existing one
    /// match the declaration (its id, and with it its alert history, stays;
    /// a disabled one is enabled again).
    pub fn declare_channel(&mut self, c: &NewChannel<'_>) -> Result<Channel> {
        let Some(current) = self.channels()?.into_iter().find(|ch| ch.name == c.name) else {
            return self.add_channel_with(&NewChannel {
                from_config: true,
                ..c.clone()
            });
        };
        let watch_id = match c.watch {
            Some(w) => Some(self.watch(w)?.id),
            None => None,
        };
        let options = c.options.as_ref().map(Value::to_string);
        self.in_write(|s| {
            s.conn.exec(
                "UPDATE alert_channels SET kind = ?2, url = ?3, secret_env = ?4, options = ?5,
                     from_config = 1, disabled = NULL, timeout_ms = ?6
                 WHERE id = ?1",
                params![
                    current.id,
                    c.kind.as_str(),
                    c.url,
                    c.secret_env,
                    options,
                    c.timeout_ms
                ],
            )?;
            s.conn.exec(
                "DELETE FROM alert_rules WHERE channel_id = ?1",
                [current.id],
            )?;
            s.insert_rules(current.id, watch_id, c.events, c.thresholds, &c.filters)
        })?;
        self.channel(c.name)
    }

    /// Stops a channel's new alerts (its rules go; it and its history
    /// stay), with the reason shown in `alert list`.
    pub fn disable_channel(&mut self, name: &str, reason: &str) -> Result<()> {
        let channel = self.channel(name)?;
        self.in_write(|s| {
            s.conn.exec(
                "UPDATE alert_channels SET disabled = ?2 WHERE id = ?1",
                params![channel.id, reason],
            )?;
            s.conn.exec(
                "DELETE FROM alert_rules WHERE channel_id = ?1",
                [channel.id],
            )?;
            Ok(())
        })
    }

    pub fn remove_channel(&mut self, name: &str) -> Result<()> {
        let n = self
            .conn
            .exec("DELETE FROM alert_channels WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(StoreError::NoSuchChannel(name.to_string()));
        }
        Ok(())
    }

    /// The distinct filters of the rules that narrow a watch's `change` and
    /// `breaking` alerts, so they can be composed for each (see
    /// [`NewAlert::narrowed`]).
    pub fn alert_filters(&self, watch_id: i64) -> Result<Vec<RuleFilters>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT filters FROM alert_rules
             WHERE event IN ('change', 'breaking') AND filters IS NOT NULL
                 AND (watch_id IS NULL OR watch_id = ?1)",
        )?;
        let rows = stmt.query_map([watch_id], |r| r.get::<_, String>(0))?;
        let mut out: Vec<RuleFilters> = Vec::new();
        for text in rows {
            if let Ok(f) = serde_json::from_str::<RuleFilters>(&text?)
                && !f.is_empty()
                && !out.contains(&f)
            {
                out.push(f);
            }
        }
        Ok(out)
    }

    pub fn channel(&self, name: &str) -> Result<Channel> {
        self.channels()?
            .into_iter()
            .find(|c| c.name == name)
            .ok_or_else(|| StoreError::NoSuchChannel(name.to_string()))
    }

    /// Every channel with its rules, by name.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT c.id, c.name, c.kind, c.url, c.secret_env,
                    group_concat(r.event, ','), max(w.name), c.options,
                    max(r.down_after), max(r.recovered_after), max(r.remind_every),
                    c.from_config, c.disabled, c.timeout_ms, max(r.filters)
             FROM alert_channels c
             LEFT JOIN alert_rules r ON r.channel_id = c.id
             LEFT JOIN watches w ON w.id = r.watch_id
             GROUP BY c.id ORDER BY c.name",
        )?;
        let rows = stmt.query_map([], |r| {
            let events: Option<String> = r.get(5)?;
            let options: Option<String> = r.get(7)?;
            let down_after: Option<u32> = r.get(8)?;
            let recovered_after: Option<u32> = r.get(9)?;
            Ok(Channel {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                url: r.get(3)?,
                secret_env: r.get(4)?,
                events: events
                    .map(|e| e.split(',').filter_map(AlertEvent::parse).collect())
                    .unwrap_or_default(),
                watch: r.get(6)?,
                options: options
                    .and_then(|o| serde_json::from_str(&o).ok())
                    .unwrap_or(Value::Null),
                thresholds: Thresholds {
                    down_after: down_after.unwrap_or(DOWN_AFTER),
                    recovered_after: recovered_after.unwrap_or(RECOVERED_AFTER),
                    remind_every_ms: r.get(10)?,
                },
                from_config: r.get(11)?,
                disabled: r.get(12)?,
                timeout_ms: r.get(13)?,
                filters: r
                    .get::<_, Option<String>>(14)?
                    .and_then(|f| serde_json::from_str(&f).ok())
                    .unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Queues `alert` for every channel whose rules take its event for the
    /// watch: one outbox row each, dated `at` (when what caused it
    /// happened) and due now. Runs inside the caller's transaction.
    /// Returns how many rows were queued.
    pub fn enqueue(&self, watch_id: i64, at: i64, alert: &NewAlert) -> Result<usize> {
        self.enqueue_rows(None, watch_id, at, alert)
    }

    /// [`Store::enqueue`], for one channel only (its rules must still take
    /// the event for the watch).
    pub fn enqueue_to(
        &self,
        channel_id: i64,
        watch_id: i64,
        at: i64,
        alert: &NewAlert,
    ) -> Result<usize> {
        self.enqueue_rows(Some(channel_id), watch_id, at, alert)
    }

    fn enqueue_rows(
        &self,
        channel_id: Option<i64>,
        watch_id: i64,
        at: i64,
        alert: &NewAlert,
    ) -> Result<usize> {
        let watch: String =
            self.conn
                .row("SELECT name FROM watches WHERE id = ?1", [watch_id], |r| {
                    r.get(0)
                })?;
        // The channels whose rules take the event for the watch; a rule
        // with filters only when one of the alert's findings passes them.
        // Filters that no longer read are not applied: an alert too many
        // rather than one lost.
        let mut stmt = self.conn.prepare_cached(
            "SELECT channel_id, filters FROM alert_rules
             WHERE event = ?1 AND (watch_id IS NULL OR watch_id = ?2)
                 AND (?3 IS NULL OR channel_id = ?3)",
        )?;
        let rules = stmt.query_map(params![alert.event.as_str(), watch_id, channel_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        // Each channel gets the payload its filters narrow the alert to.
        let whole = alert.payload.to_string();
        let mut channels: std::collections::BTreeMap<i64, String> =
            std::collections::BTreeMap::new();
        for rule in rules {
            let (channel, filters) = rule?;
            let payload = match filters.map(|f| serde_json::from_str::<RuleFilters>(&f)) {
                None | Some(Err(_)) => Some(whole.clone()),
                Some(Ok(f)) if f.takes(&alert.subjects) => Some(
                    alert
                        .narrowed
                        .iter()
                        .find(|n| n.filters == f)
                        .map_or_else(|| whole.clone(), |n| n.payload.to_string()),
                ),
                Some(Ok(_)) => None,
            };
            if let Some(payload) = payload {
                // Two rules of one channel for the event: the wider wins.
                let entry = channels.entry(channel).or_insert_with(|| payload.clone());
                if payload == whole {
                    *entry = payload;
                }
            }
        }
        let now = super::now_ms();
        for (channel, payload) in &channels {
            self.conn.exec(
                "INSERT INTO alert_events (channel_id, created_at, event, watch, title, payload,
                     next_attempt_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    channel,
                    at,
                    alert.event.as_str(),
                    watch,
                    alert.title,
                    payload,
                    now
                ],
            )?;
        }
        Ok(channels.len())
    }

    /// Writes one outbox row per channel with a rule for the alert's event
    /// that is not tied to a watch (caching targets are not watches);
    /// `subject` takes the watch's place in the row. Runs inside the
    /// caller's transaction.
    pub(crate) fn enqueue_global(&self, subject: &str, at: i64, alert: &NewAlert) -> Result<usize> {
        Ok(self.conn.exec(
            "INSERT INTO alert_events (channel_id, created_at, event, watch, title, payload,
                 next_attempt_at)
             SELECT DISTINCT channel_id, ?1, ?2, ?3, ?4, ?5, ?6 FROM alert_rules
             WHERE event = ?2 AND watch_id IS NULL",
            params![
                at,
                alert.event.as_str(),
                subject,
                alert.title,
                alert.payload.to_string(),
                super::now_ms()
            ],
        )?)
    }

    /// The rules about `down` and `recovered` that apply to an endpoint of
    /// the watch, one per channel (by channel id), each with the
    /// endpoint's down state on that channel.
    pub(crate) fn down_rules(&self, watch_id: i64, endpoint_id: i64) -> Result<Vec<DownRule>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.channel_id, max(r.event = 'down'), max(r.event = 'recovered'),
                    max(r.down_after), max(r.recovered_after),
                    max(CASE WHEN r.event = 'down' THEN r.remind_every END),
                    d.since, d.reminded_at
             FROM alert_rules r
             LEFT JOIN alert_downs d ON d.channel_id = r.channel_id AND d.endpoint_id = ?2
             WHERE r.event IN ('down', 'recovered')
               AND (r.watch_id IS NULL OR r.watch_id = ?1)
             GROUP BY r.channel_id",
        )?;
        let rows = stmt.query_map(params![watch_id, endpoint_id], |r| {
            let since: Option<i64> = r.get(6)?;
            let reminded: Option<i64> = r.get(7)?;
            Ok(DownRule {
                channel_id: r.get(0)?,
                down: r.get(1)?,
                recovered: r.get(2)?,
                down_after: r.get::<_, Option<u32>>(3)?.unwrap_or(DOWN_AFTER),
                recovered_after: r.get::<_, Option<u32>>(4)?.unwrap_or(RECOVERED_AFTER),
                remind_every_ms: r.get::<_, Option<i64>>(5)?.filter(|&ms| ms > 0),
                state: since
                    .zip(reminded)
                    .map(|(since, reminded_at)| DownState { since, reminded_at }),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Applies one change to an endpoint's down state on a channel. Runs
    /// inside the caller's transaction.
    pub(crate) fn change_down_state(
        &self,
        channel_id: i64,
        endpoint_id: i64,
        change: DownChange,
    ) -> Result<()> {
        match change {
            DownChange::Opened { at } => self.conn.exec(
                "INSERT INTO alert_downs (channel_id, endpoint_id, since, reminded_at)
                 VALUES (?1, ?2, ?3, ?3)",
                params![channel_id, endpoint_id, at],
            )?,
            DownChange::Reminded { at } => self.conn.exec(
                "UPDATE alert_downs SET reminded_at = ?3
                 WHERE channel_id = ?1 AND endpoint_id = ?2",
                params![channel_id, endpoint_id, at],
            )?,
            DownChange::Closed => self.conn.exec(
                "DELETE FROM alert_downs WHERE channel_id = ?1 AND endpoint_id = ?2",
                params![channel_id, endpoint_id],
            )?,
        };
        Ok(())
    }

    /// Marks an endpoint as alerted down while any channel holds it down.
    pub(crate) fn refresh_alerted_down(&self, endpoint_id: i64) -> Result<()> {
        self.conn.exec(
            "UPDATE endpoints SET alerted_down =
                 EXISTS (SELECT 1 FROM alert_downs WHERE endpoint_id = ?1)
             WHERE id = ?1",
            [endpoint_id],
        )?;
        Ok(())
    }

    /// Queues a test event for one channel.
    pub fn enqueue_test(&mut self, channel: &str) -> Result<i64> {
        let c = self.channel(channel)?;
        let now = super::now_ms();
        let payload = serde_json::json!({
            "event": "test",
            "watch": "",
            "title": "apiradar test alert",
            "text": format!("This is a test of the alert channel `{channel}`."),
        });
        self.conn.exec(
            "INSERT INTO alert_events (channel_id, created_at, event, watch, title, payload,
                 next_attempt_at)
             VALUES (?1, ?2, 'test', '', 'apiradar test alert', ?3, ?2)",
            params![c.id, now, payload.to_string()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Pending rows due at `now` that no sender holds a lease on, oldest
    /// first, with their channels. Only a look: a sender claims each row
    /// with [`Store::claim_alert`] before sending it.
    pub fn due_alerts(&self, now: i64, limit: usize) -> Result<Vec<(Outbox, Channel)>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM alert_events e JOIN alert_channels c ON c.id = e.channel_id
             WHERE e.status = 'pending' AND e.next_attempt_at <= ?1
                 AND (e.lease_until IS NULL OR e.lease_until <= ?3)
             ORDER BY e.id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows: Vec<Outbox> = stmt
            .query_map(params![now, limit as i64, super::now_ms()], outbox_from_row)?
            .collect::<rusqlite::Result<_>>()?;
        let channels = self.channels()?;
        Ok(rows
            .into_iter()
            .filter_map(|o| {
                let c = channels.iter().find(|c| c.name == o.channel)?.clone();
                Some((o, c))
            })
            .collect())
    }

    /// The channels with at least one row due at `now` that no sender
    /// holds an unexpired lease on (at `clock`, the time now), except
    /// those in `except`, by name.
    pub fn due_channels(&self, now: i64, clock: i64, except: &[i64]) -> Result<Vec<Channel>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT DISTINCT channel_id FROM alert_events
             WHERE status = 'pending' AND next_attempt_at <= ?1
                 AND (lease_until IS NULL OR lease_until <= ?2)",
        )?;
        let due: std::collections::HashSet<i64> = stmt
            .query_map(params![now, clock], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(self
            .channels()?
            .into_iter()
            .filter(|c| due.contains(&c.id) && !except.contains(&c.id))
            .collect())
    }

    /// Claims the oldest row of the channel that is due at `now` and that
    /// no sender holds an unexpired lease on at `clock` (the time now):
    /// `owner` holds it until `lease_until`. The claim is one `UPDATE`
    /// whose condition is checked under SQLite's write lock, so of several
    /// senders (in any number of processes) racing for a row exactly one
    /// gets it; the others get the next row or `None`.
    pub fn claim_alert(
        &mut self,
        channel_id: i64,
        owner: &str,
        now: i64,
        clock: i64,
        lease_until: i64,
    ) -> Result<Option<Outbox>> {
        let claimable = "status = 'pending' AND next_attempt_at <= ?2
            AND (lease_until IS NULL OR lease_until <= ?3)";
        let sql = format!(
            "UPDATE alert_events SET lease_owner = ?4, lease_until = ?5
             WHERE id = (SELECT id FROM alert_events
                         WHERE channel_id = ?1 AND {claimable}
                         ORDER BY id LIMIT 1)
               AND {claimable}
             RETURNING id"
        );
        // One statement in a write transaction taken up front: the
        // condition is read and the lease written under one lock.
        let claimed: Option<i64> = self.in_write(|s| {
            Ok(s.conn
                .row(
                    &sql,
                    params![channel_id, now, clock, owner, lease_until],
                    |r| r.get(0),
                )
                .optional()?)
        })?;
        match claimed {
            Some(id) => self.alert(id),
            None => Ok(None),
        }
    }

    /// Who holds a lease on the row and until when, if anyone does.
    pub fn alert_lease(&self, id: i64) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .row(
                "SELECT lease_owner, lease_until FROM alert_events
                 WHERE id = ?1 AND lease_owner IS NOT NULL AND lease_until IS NOT NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Records a delivery: sent, or failed with the error and when to try
    /// again (`None`: give up). Clears any lease on the row.
    pub fn record_attempt(
        &mut self,
        id: i64,
        now: i64,
        result: std::result::Result<(), (String, Option<i64>)>,
    ) -> Result<()> {
        self.record_delivery(id, None, now, result).map(|_| ())
    }

    /// [`Store::record_attempt`] by the sender `owner` that claimed the
    /// row. A success is always recorded (the alert did go out, so it must
    /// never be sent again); a failure only while `owner` still holds the
    /// lease, since after it expired another sender may have claimed the
    /// row and sent it. Returns whether the attempt was recorded.
    pub fn record_delivery(
        &mut self,
        id: i64,
        owner: Option<&str>,
        now: i64,
        result: std::result::Result<(), (String, Option<i64>)>,
    ) -> Result<bool> {
        let (ok, error) = match &result {
            Ok(()) => (true, None),
            Err((e, _)) => (false, Some(e.clone())),
        };
        self.in_write(|s| {
            let changed = match &result {
                Ok(()) => s.conn.exec(
                    "UPDATE alert_events SET status = 'sent', attempts = attempts + 1,
                         sent_at = ?2, last_error = NULL, lease_owner = NULL, lease_until = NULL
                     WHERE id = ?1 AND status = 'pending'",
                    params![id, now],
                )?,
                Err((error, Some(retry_at))) => s.conn.exec(
                    "UPDATE alert_events SET attempts = attempts + 1, last_error = ?2,
                         next_attempt_at = ?3, lease_owner = NULL, lease_until = NULL
                     WHERE id = ?1 AND status = 'pending'
                         AND (?4 IS NULL OR lease_owner = ?4)",
                    params![id, error, retry_at, owner],
                )?,
                Err((error, None)) => s.conn.exec(
                    "UPDATE alert_events SET status = 'failed', attempts = attempts + 1,
                         last_error = ?2, lease_owner = NULL, lease_until = NULL
                     WHERE id = ?1 AND status = 'pending'
                         AND (?3 IS NULL OR lease_owner = ?3)",
                    params![id, error, owner],
                )?,
            };
            if changed > 0 {
                s.conn.exec(
                    "INSERT INTO alert_attempts (event_id, at, ok, error) VALUES (?1, ?2, ?3, ?4)",
                    params![id, now, ok, error],
                )?;
            }
            Ok(changed > 0)
        })
    }

    /// The delivery attempts of one alert, oldest first.
    /// The attempts of the alerts `ids`, oldest first, by alert (one
    /// query, for a history view).
    pub fn attempts_of(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<Attempt>>> {
        let mut by_alert: std::collections::HashMap<i64, Vec<Attempt>> = Default::default();
        let Some(&oldest) = ids.iter().min() else {
            return Ok(by_alert);
        };
        let wanted: std::collections::HashSet<i64> = ids.iter().copied().collect();
        let mut stmt = self.conn.prepare_cached(
            "SELECT event_id, at, ok, error FROM alert_attempts WHERE event_id >= ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([oldest], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Attempt {
                    at: r.get(1)?,
                    ok: r.get(2)?,
                    error: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (id, attempt) = row?;
            if wanted.contains(&id) {
                by_alert.entry(id).or_default().push(attempt);
            }
        }
        Ok(by_alert)
    }

    pub fn alert_attempts(&self, id: i64) -> Result<Vec<Attempt>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, ok, error FROM alert_attempts WHERE event_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(Attempt {
                at: r.get(0)?,
                ok: r.get(1)?,
                error: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One outbox row by id.
    pub fn alert(&self, id: i64) -> Result<Option<Outbox>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM alert_events e JOIN alert_channels c ON c.id = e.channel_id
             WHERE e.id = ?1"
        );
        Ok(self.conn.row(&sql, [id], outbox_from_row).optional()?)
    }

    /// How many rows wait for delivery (retries included).
    pub fn pending_alerts(&self) -> Result<i64> {
        Ok(self.conn.row(
            "SELECT count(*) FROM alert_events WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?)
    }

    /// The most recent outbox rows of one watch, newest first.
    pub fn watch_alerts(&self, watch: &str, limit: usize) -> Result<Vec<Outbox>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM alert_events e JOIN alert_channels c ON c.id = e.channel_id
             WHERE e.watch = ?1 ORDER BY e.id DESC LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![watch, limit as i64], outbox_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The most recent outbox rows, newest first.
    pub fn alert_history(&self, limit: usize) -> Result<Vec<Outbox>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM alert_events e JOIN alert_channels c ON c.id = e.channel_id
             ORDER BY e.id DESC LIMIT ?1"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([limit as i64], outbox_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod filter_tests {
    use super::*;

    fn subject(id: &str, place: &str) -> AlertSubject {
        AlertSubject {
            id: id.into(),
            place: place.into(),
            error: false,
        }
    }

    #[test]
    fn a_rule_takes_an_alert_when_one_finding_passes_both_filters() {
        let f = RuleFilters {
            only: vec!["catalog-price-*".into()],
            paths: vec!["*[id=gpt-*".into()],
        };
        let price_o3 = subject("catalog-price-changed", "/data/[id=o3]/pricing/input");
        let name_gpt = subject("catalog-field-changed", "/data/[id=gpt-4o]/name");
        assert!(!f.takes(&[price_o3.clone(), name_gpt.clone()]));
        let price_gpt = subject("catalog-price-changed", "/data/[id=gpt-4o]/pricing/input");
        assert!(f.takes(&[price_o3, price_gpt]));
        assert!(RuleFilters::default().takes(&[]));
        assert!(!f.takes(&[]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two connections to one database file, as two processes have.
    fn two_stores() -> (tempfile::TempDir, Store, Store, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.db");
        let mut a = Store::open(&path).unwrap();
        let channel = a
            .add_channel(
                "hook",
                ChannelKind::Webhook,
                "http://127.0.0.1:9/hook",
                None,
                &[AlertEvent::Change],
                None,
            )
            .unwrap();
        let b = Store::open(&path).unwrap();
        (dir, a, b, channel.id)
    }

    #[test]
    fn a_claimed_alert_goes_to_one_sender_until_its_lease_expires() {
        let (_dir, mut a, mut b, channel) = two_stores();
        let first = a.enqueue_test("hook").unwrap();
        let second = a.enqueue_test("hook").unwrap();
        let now = super::super::now_ms();
        let lease = 60_000;

        // Each sender gets a different row; then there is none left.
        let got = a.claim_alert(channel, "A", now, now, now + lease).unwrap();
        assert_eq!(got.map(|o| o.id), Some(first));
        let got = b.claim_alert(channel, "B", now, now, now + lease).unwrap();
        assert_eq!(got.map(|o| o.id), Some(second));
        assert!(
            b.claim_alert(channel, "B", now, now, now + lease)
                .unwrap()
                .is_none()
        );
        assert_eq!(
            a.alert_lease(first).unwrap(),
            Some(("A".into(), now + lease))
        );
        // Leased rows are not due for anyone, but are still pending.
        assert!(a.due_alerts(now, 10).unwrap().is_empty());
        assert!(a.due_channels(now, now, &[]).unwrap().is_empty());
        assert_eq!(a.pending_alerts().unwrap(), 2);

        // B sends its row: sent, the lease gone.
        assert!(b.record_delivery(second, Some("B"), now, Ok(())).unwrap());
        assert_eq!(b.alert_lease(second).unwrap(), None);

        // A dies holding its lease: after it expires, B takes the row over,
        // and A's late failure is no longer recorded.
        let later = now + lease + 1;
        assert_eq!(b.due_channels(later, later, &[]).unwrap().len(), 1);
        let got = b.claim_alert(channel, "B", later, later, later + lease);
        assert_eq!(got.unwrap().map(|o| o.id), Some(first));
        let failed = Err(("hook: HTTP 500".to_string(), Some(later + 5_000)));
        assert!(!a.record_delivery(first, Some("A"), later, failed).unwrap());
        assert!(b.record_delivery(first, Some("B"), later, Ok(())).unwrap());
        let row = a.alert(first).unwrap().unwrap();
        assert_eq!((row.status, row.attempts), (OutboxStatus::Sent, 1));
        assert_eq!(a.alert_attempts(first).unwrap().len(), 1);
        // A success is never recorded twice.
        assert!(!a.record_delivery(first, Some("A"), later, Ok(())).unwrap());
    }

    #[test]
    fn a_failed_attempt_frees_the_row_for_its_retry() {
        let (_dir, mut a, _b, channel) = two_stores();
        let id = a.enqueue_test("hook").unwrap();
        let now = super::super::now_ms();
        a.claim_alert(channel, "A", now, now, now + 60_000).unwrap();
        let failed = Err(("hook: timed out after 10s".to_string(), Some(now + 10_000)));
        assert!(a.record_delivery(id, Some("A"), now, failed).unwrap());
        assert_eq!(a.alert_lease(id).unwrap(), None);
        // Not before its retry time; then by anyone.
        assert!(
            a.claim_alert(channel, "B", now, now, now + 60_000)
                .unwrap()
                .is_none()
        );
        let retry = now + 10_000;
        let got = a
            .claim_alert(channel, "B", retry, now, now + 60_000)
            .unwrap();
        assert_eq!(got.map(|o| o.attempts), Some(1));
    }
}
