//! Endpoint health in the store: the endpoints of each watch, every check,
//! hourly rollups, and the figures computed from them.
//!
//! A check is written with its rollup and its endpoint's new state in one
//! transaction. Raw checks are kept for a retention period
//! ([`Store::prune_checks`]); the rollups (count, count up, a latency
//! histogram per hour) stay, so uptime over 30 days and latency
//! percentiles over any window remain available.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::alerts::{DownRule, DownStep};
use super::{CachedSql, Result, Store};

/// Upper bounds (ms, inclusive) of the latency histogram's buckets; the
/// last catches everything slower.
pub const LATENCY_BUCKETS: [u32; 26] = [
    1,
    2,
    5,
    10,
    20,
    50,
    75,
    100,
    150,
    200,
    300,
    400,
    500,
    750,
    1_000,
    1_500,
    2_000,
    3_000,
    5_000,
    7_500,
    10_000,
    15_000,
    20_000,
    30_000,
    60_000,
    u32::MAX,
];

const HOUR_MS: i64 = 3_600_000;

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    /// 2xx/3xx (and conditions held, fast enough).
    Up,
    /// 401/403: reachable, needs credentials a monitor does not have.
    Auth,
    /// Another 4xx.
    Warn,
    /// Up, but slower than the endpoint's threshold.
    Degraded,
    /// 5xx, a transport error, or a condition that failed.
    Down,
}

impl CheckOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Up => "up",
            CheckOutcome::Auth => "auth",
            CheckOutcome::Warn => "warn",
            CheckOutcome::Degraded => "degraded",
            CheckOutcome::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<CheckOutcome> {
        Some(match s {
            "up" => CheckOutcome::Up,
            "auth" => CheckOutcome::Auth,
            "warn" => CheckOutcome::Warn,
            "degraded" => CheckOutcome::Degraded,
            "down" => CheckOutcome::Down,
            _ => return None,
        })
    }

    /// Whether it counts towards uptime: anything that answered without a
    /// server error.
    pub fn is_up(self) -> bool {
        self != CheckOutcome::Down
    }
}

stored_words!(CheckOutcome, "check outcome");

/// Where an endpoint stands: its last check's outcome, or `unknown`
/// before the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointState {
    Unknown,
    Up,
    Auth,
    Warn,
    Degraded,
    Down,
}

impl EndpointState {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointState::Unknown => "unknown",
            EndpointState::Up => "up",
            EndpointState::Auth => "auth",
            EndpointState::Warn => "warn",
            EndpointState::Degraded => "degraded",
            EndpointState::Down => "down",
        }
    }

    pub fn parse(s: &str) -> Option<EndpointState> {
        match s {
            "unknown" => Some(EndpointState::Unknown),
            _ => CheckOutcome::parse(s).map(EndpointState::from),
        }
    }

    /// The last check's outcome, `None` before the first.
    pub fn outcome(self) -> Option<CheckOutcome> {
        Some(match self {
            EndpointState::Unknown => return None,
            EndpointState::Up => CheckOutcome::Up,
            EndpointState::Auth => CheckOutcome::Auth,
            EndpointState::Warn => CheckOutcome::Warn,
            EndpointState::Degraded => CheckOutcome::Degraded,
            EndpointState::Down => CheckOutcome::Down,
        })
    }
}

impl From<CheckOutcome> for EndpointState {
    fn from(o: CheckOutcome) -> EndpointState {
        match o {
            CheckOutcome::Up => EndpointState::Up,
            CheckOutcome::Auth => EndpointState::Auth,
            CheckOutcome::Warn => EndpointState::Warn,
            CheckOutcome::Degraded => EndpointState::Degraded,
            CheckOutcome::Down => EndpointState::Down,
        }
    }
}

stored_words!(EndpointState, "endpoint state");

/// An endpoint of a watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub id: i64,
    pub watch_id: i64,
    pub method: String,
    pub url: String,
    /// The path as the description writes it (`/pets/{petId}`).
    pub path: Option<String>,
    /// `spec` (from the description) or `manual`.
    pub source: String,
    pub enabled: bool,
    pub conditions: Vec<String>,
    pub degraded_ms: Option<i64>,
    /// The last outcome, or `unknown` before the first check.
    pub state: EndpointState,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub last_checked_at: Option<i64>,
    /// Headers the request needs (required header parameters).
    pub headers: Vec<(String, String)>,
    /// The body sent, with its media type: a required body's example, or
    /// one given by hand.
    pub body: Option<RequestBody>,
}

/// A body a probe sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RequestBody {
    pub media_type: String,
    /// May hold `${VAR}` references, resolved when probing.
    pub text: String,
}

/// An endpoint found in a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEndpoint {
    pub method: String,
    pub url: String,
    pub path: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: Option<RequestBody>,
    /// Why it waits for the user's confirmation before it is probed (an
    /// operation turned on by hand that moved to another server or got
    /// another body), if it does.
    pub held: Option<String>,
}

/// Whether a watch's described endpoints are probed, and where they may go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HealthSettings {
    /// The user turned health on for the watch.
    pub probe: bool,
    /// Private and loopback targets are allowed (`--allow-private`).
    pub allow_private: bool,
}

/// An operation turned on or off by hand, with what it was confirmed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub method: String,
    pub path: String,
    pub enabled: bool,
    /// The server (base URL) it was confirmed on; `None` until the next
    /// discovery records it.
    pub server: Option<String>,
    /// The SHA-256 (hex) of the body it was confirmed with (of the empty
    /// text when it has none).
    pub body_sha256: Option<String>,
}

/// An endpoint added by hand or declared in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewManualEndpoint<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub conditions: &'a [String],
    pub degraded_ms: Option<i64>,
    /// Headers sent with each probe (values may hold `${VAR}` references).
    pub headers: &'a [(String, String)],
    pub body: Option<&'a RequestBody>,
}

/// One check, as measured.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckRecord {
    pub at: i64,
    pub outcome: Option<CheckOutcome>,
    pub http_status: Option<u16>,
    pub latency_ms: Option<i64>,
    pub ttfb_ms: Option<i64>,
    /// Opening the connection (DNS, TCP, TLS); `None` when one was reused.
    pub connect_ms: Option<i64>,
    pub cert_days: Option<i64>,
    pub body_size: Option<i64>,
    pub error_class: Option<String>,
    pub error: Option<String>,
}

/// A stored check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub at: i64,
    pub outcome: CheckOutcome,
    pub http_status: Option<u16>,
    pub latency_ms: Option<i64>,
    pub cert_days: Option<i64>,
    pub error: Option<String>,
    pub connect_ms: Option<i64>,
    pub ttfb_ms: Option<i64>,
}

/// Uptime and latency of an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EndpointStats {
    /// Share of checks that were up (0–1), over 24 h, 7 d and 30 d; `None`
    /// without checks in the window.
    pub uptime_24h: Option<f64>,
    pub uptime_7d: Option<f64>,
    pub uptime_30d: Option<f64>,
    /// Latency percentiles (ms) over the last 24 h of checks that got an
    /// answer, by the nearest-rank method.
    pub p50_ms: Option<i64>,
    pub p95_ms: Option<i64>,
    pub p99_ms: Option<i64>,
    pub checks_24h: i64,
    /// The latest checks, oldest first, for a sparkline: the latency, or
    /// `None` where the check was down.
    pub recent: Vec<Option<i64>>,
    /// The latest check.
    pub last: Option<Check>,
}

const ENDPOINT_COLUMNS: &str = "id, watch_id, method, url, path, source, enabled, conditions,
    degraded_ms, state, consecutive_failures, consecutive_successes, last_checked_at, headers,
    body, body_type";

fn endpoint_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Endpoint> {
    let conditions: Option<String> = r.get(7)?;
    Ok(Endpoint {
        id: r.get(0)?,
        watch_id: r.get(1)?,
        method: r.get(2)?,
        url: r.get(3)?,
        path: r.get(4)?,
        source: r.get(5)?,
        enabled: r.get(6)?,
        conditions: conditions
            .map(|c| c.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        degraded_ms: r.get(8)?,
        state: r.get(9)?,
        consecutive_failures: r.get(10)?,
        consecutive_successes: r.get(11)?,
        last_checked_at: r.get(12)?,
        headers: serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default(),
        body: match (
            r.get::<_, Option<String>>(14)?,
            r.get::<_, Option<String>>(15)?,
        ) {
            (Some(text), media_type) => Some(RequestBody {
                media_type: media_type.unwrap_or_else(|| "application/json".into()),
                text,
            }),
            (None, _) => None,
        },
    })
}

/// The histogram bucket of a latency.
pub fn bucket_of(latency_ms: i64) -> usize {
    let ms = latency_ms.clamp(0, i64::from(u32::MAX)) as u32;
    LATENCY_BUCKETS
        .iter()
        .position(|&b| ms <= b)
        .unwrap_or(LATENCY_BUCKETS.len() - 1)
}

/// The `p`th percentile (0–100) of `values` by the nearest-rank method:
/// the smallest value with at least p % of the values at or below it.
pub fn percentile(sorted: &[i64], p: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn decode_histogram(blob: &[u8]) -> Vec<u32> {
    let mut counts = vec![0u32; LATENCY_BUCKETS.len()];
    for (i, chunk) in blob.chunks_exact(4).enumerate().take(counts.len()) {
        counts[i] = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    counts
}

fn encode_histogram(counts: &[u32]) -> Vec<u8> {
    counts.iter().flat_map(|c| c.to_le_bytes()).collect()
}

impl Store {
    /// Replaces the `spec` endpoints of a watch with `found` (new ones are
    /// added, ones no longer in the description removed with their
    /// checks, the others kept with their history). Manual endpoints are
    /// untouched. Returns (added, removed).
    pub fn sync_spec_endpoints(
        &mut self,
        watch_id: i64,
        found: &[NewEndpoint],
    ) -> Result<(usize, usize)> {
        let now = super::now_ms();
        self.in_write(|s| {
            let existing: Vec<(i64, String, String)> = {
                let mut stmt = s.conn.prepare_cached(
                    "SELECT id, method, url FROM endpoints WHERE watch_id = ?1 AND source = 'spec'",
                )?;
                let rows = stmt.query_map([watch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let mut removed = 0;
            for (id, method, url) in &existing {
                if !found.iter().any(|f| &f.method == method && &f.url == url) {
                    s.conn.exec("DELETE FROM endpoints WHERE id = ?1", [id])?;
                    removed += 1;
                }
            }
            let mut added = 0;
            for f in found {
                let headers = serde_json::to_string(&f.headers).unwrap_or_else(|_| "[]".into());
                let (body, body_type) = match &f.body {
                    Some(b) => (Some(&b.text), Some(&b.media_type)),
                    None => (None, None),
                };
                let known = existing
                    .iter()
                    .any(|(_, m, u)| m == &f.method && u == &f.url);
                if known {
                    // What the description says the request needs may have
                    // changed with it; the history stays.
                    s.conn.exec(
                        "UPDATE endpoints SET path = ?4, headers = ?5, body = ?6, body_type = ?7,
                             held = ?8
                         WHERE watch_id = ?1 AND method = ?2 AND url = ?3 AND source = 'spec'",
                        params![
                            watch_id,
                            f.method,
                            f.url,
                            f.path,
                            headers,
                            body,
                            body_type,
                            f.held
                        ],
                    )?;
                } else {
                    added += s.conn.exec(
                        "INSERT INTO endpoints (watch_id, method, url, path, headers, body, body_type,
                             held, source, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'spec', ?9)
                         ON CONFLICT (watch_id, method, url) DO NOTHING",
                        params![
                            watch_id,
                            f.method,
                            f.url,
                            f.path,
                            headers,
                            body,
                            body_type,
                            f.held,
                            now
                        ],
                    )?;
                }
            }
            s.apply_overrides(watch_id)?;
            Ok((added, removed))
        })
    }

    /// Switches a watch's described endpoints on or off: on only when
    /// health is on for the watch, the endpoint is not held for
    /// confirmation, and no override turns it off.
    fn apply_overrides(&self, watch_id: i64) -> Result<()> {
        self.conn.exec(
            "UPDATE endpoints SET enabled = held IS NULL
                 AND coalesce((SELECT h.probe FROM watch_health h
                               WHERE h.watch_id = endpoints.watch_id), 0)
                 AND coalesce((SELECT o.enabled FROM endpoint_overrides o
                               WHERE o.watch_id = endpoints.watch_id AND o.method = endpoints.method
                                 AND o.path = endpoints.path), 1)
             WHERE watch_id = ?1 AND source = 'spec'",
            [watch_id],
        )?;
        Ok(())
    }

    /// Whether a watch's described endpoints are probed, and where they may
    /// go (off for a watch never switched on).
    pub fn health_settings(&self, watch_id: i64) -> Result<HealthSettings> {
        Ok(self
            .conn
            .row(
                "SELECT probe, allow_private FROM watch_health WHERE watch_id = ?1",
                [watch_id],
                |r| {
                    Ok(HealthSettings {
                        probe: r.get(0)?,
                        allow_private: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Turns probing of a watch's described endpoints on or off, and
    /// allows or refuses private targets (`None` keeps what is set). The
    /// endpoints follow at once.
    pub fn set_health_settings(
        &mut self,
        watch_id: i64,
        probe: Option<bool>,
        allow_private: Option<bool>,
    ) -> Result<HealthSettings> {
        self.in_write(|s| {
            let current = s.health_settings(watch_id)?;
            let new = HealthSettings {
                probe: probe.unwrap_or(current.probe),
                allow_private: allow_private.unwrap_or(current.allow_private),
            };
            s.conn.exec(
                "INSERT INTO watch_health (watch_id, probe, allow_private) VALUES (?1, ?2, ?3)
                 ON CONFLICT (watch_id) DO UPDATE SET
                    probe = excluded.probe, allow_private = excluded.allow_private",
                params![watch_id, new.probe, new.allow_private],
            )?;
            s.apply_overrides(watch_id)?;
            Ok(new)
        })
    }

    /// Turns probing of a described operation on or off (`None`: back to
    /// the default, on for GET and HEAD). Kept across description changes.
    /// Turning one on (again) confirms it: its server and body are taken
    /// from the next discovery, and a hold on it is lifted.
    pub fn set_endpoint_override(
        &mut self,
        watch_id: i64,
        method: &str,
        path: &str,
        enabled: Option<bool>,
    ) -> Result<()> {
        self.in_write(|s| {
            match enabled {
                Some(on) => s.conn.exec(
                    "INSERT INTO endpoint_overrides (watch_id, method, path, enabled)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (watch_id, method, path) DO UPDATE SET
                        enabled = excluded.enabled, server = NULL, body_sha256 = NULL",
                    params![watch_id, method, path, on],
                )?,
                None => s.conn.exec(
                    "DELETE FROM endpoint_overrides
                     WHERE watch_id = ?1 AND method = ?2 AND path = ?3",
                    params![watch_id, method, path],
                )?,
            };
            s.conn.exec(
                "UPDATE endpoints SET held = NULL
                 WHERE watch_id = ?1 AND method = ?2 AND path = ?3 AND source = 'spec'",
                params![watch_id, method, path],
            )?;
            s.apply_overrides(watch_id)
        })
    }

    /// The operations turned on or off by hand, with what each was
    /// confirmed with.
    pub fn endpoint_override_keys(&self, watch_id: i64) -> Result<Vec<Override>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT method, path, enabled, server, body_sha256 FROM endpoint_overrides
             WHERE watch_id = ?1 ORDER BY path, method",
        )?;
        let rows = stmt.query_map([watch_id], |r| {
            Ok(Override {
                method: r.get(0)?,
                path: r.get(1)?,
                enabled: r.get(2)?,
                server: r.get(3)?,
                body_sha256: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records the server and body an operation turned on by hand is
    /// probed with, the first time it is discovered after being turned on.
    pub fn confirm_override(
        &mut self,
        watch_id: i64,
        method: &str,
        path: &str,
        server: &str,
        body_sha256: &str,
    ) -> Result<()> {
        self.conn.exec(
            "UPDATE endpoint_overrides SET server = ?4, body_sha256 = ?5
             WHERE watch_id = ?1 AND method = ?2 AND path = ?3",
            params![watch_id, method, path, server, body_sha256],
        )?;
        Ok(())
    }

    /// The described endpoints of a watch held for confirmation, with why:
    /// (endpoint id, reason).
    pub fn endpoint_holds(&self, watch_id: i64) -> Result<Vec<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, held FROM endpoints WHERE watch_id = ?1 AND held IS NOT NULL ORDER BY id",
        )?;
        let rows = stmt.query_map([watch_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The operations turned on or off by hand: (method, path, enabled).
    pub fn endpoint_overrides(&self, watch_id: i64) -> Result<Vec<(String, String, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT method, path, enabled FROM endpoint_overrides WHERE watch_id = ?1
             ORDER BY path, method",
        )?;
        let rows = stmt.query_map([watch_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Adds (or updates) an endpoint by hand, with its conditions and
    /// degraded threshold.
    pub fn add_manual_endpoint(
        &mut self,
        watch_id: i64,
        method: &str,
        url: &str,
        conditions: &[String],
        degraded_ms: Option<i64>,
    ) -> Result<Endpoint> {
        let def = NewManualEndpoint {
            method,
            url,
            conditions,
            degraded_ms,
            headers: &[],
            body: None,
        };
        self.declare_endpoint(watch_id, &def, false)
    }

    /// Adds or updates an endpoint declared by hand (`health --add`) or in
    /// a config file (`from_config`), with its headers, in one
    /// transaction.
    pub fn declare_endpoint(
        &mut self,
        watch_id: i64,
        def: &NewManualEndpoint<'_>,
        from_config: bool,
    ) -> Result<Endpoint> {
        let now = super::now_ms();
        let conditions = (!def.conditions.is_empty()).then(|| def.conditions.join("\n"));
        let (body, body_type) = match def.body {
            Some(b) => (Some(&b.text), Some(&b.media_type)),
            None => (None, None),
        };
        let headers = serde_json::to_string(def.headers).unwrap_or_else(|_| "[]".into());
        self.in_write(|s| {
            s.conn.exec(
                "INSERT INTO endpoints (watch_id, method, url, source, conditions, degraded_ms,
                     body, body_type, headers, from_config, created_at)
                 VALUES (?1, ?2, ?3, 'manual', ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (watch_id, method, url) DO UPDATE SET
                    source = 'manual', conditions = excluded.conditions,
                    degraded_ms = excluded.degraded_ms, enabled = 1,
                    body = excluded.body, body_type = excluded.body_type,
                    headers = excluded.headers, from_config = excluded.from_config",
                params![
                    watch_id,
                    def.method,
                    def.url,
                    conditions,
                    def.degraded_ms,
                    body,
                    body_type,
                    headers,
                    from_config,
                    now
                ],
            )?;
            let sql = format!(
                "SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE watch_id = ?1 AND method = ?2 AND url = ?3"
            );
            Ok(s.conn
                .row(&sql, params![watch_id, def.method, def.url], endpoint_from_row)?)
        })
    }

    /// Endpoints declared in a config file and still on: (id, watch id,
    /// method, url).
    pub fn config_endpoints(&self) -> Result<Vec<(i64, i64, String, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, watch_id, method, url FROM endpoints
             WHERE from_config = 1 AND source = 'manual' AND enabled = 1 ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stops probing an endpoint, keeping it and its checks.
    pub fn disable_endpoint(&mut self, id: i64) -> Result<()> {
        self.conn
            .exec("UPDATE endpoints SET enabled = 0 WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Makes a watch's operation switches exactly `overrides` (method,
    /// path, on), as a config file declares them.
    pub fn replace_endpoint_overrides(
        &mut self,
        watch_id: i64,
        overrides: &[(String, String, bool)],
    ) -> Result<()> {
        self.in_write(|s| {
            // Switches that stay keep the server and body they were
            // confirmed with.
            let current = s.endpoint_overrides(watch_id)?;
            for (method, path, _) in &current {
                if !overrides.iter().any(|(m, p, _)| m == method && p == path) {
                    s.conn.exec(
                        "DELETE FROM endpoint_overrides
                         WHERE watch_id = ?1 AND method = ?2 AND path = ?3",
                        params![watch_id, method, path],
                    )?;
                }
            }
            for (method, path, on) in overrides {
                s.conn.exec(
                    "INSERT INTO endpoint_overrides (watch_id, method, path, enabled)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (watch_id, method, path) DO UPDATE SET enabled = excluded.enabled",
                    params![watch_id, method, path, on],
                )?;
            }
            // Described endpoints follow at once; operations newly turned
            // on appear at the next discovery.
            s.apply_overrides(watch_id)?;
            Ok(())
        })
    }

    /// Replaces the headers an endpoint is probed with (values may hold
    /// `${VAR}` references, resolved when probing).
    pub fn set_endpoint_headers(
        &mut self,
        endpoint_id: i64,
        headers: &[(String, String)],
    ) -> Result<()> {
        let json = serde_json::to_string(headers).unwrap_or_else(|_| "[]".into());
        self.conn.exec(
            "UPDATE endpoints SET headers = ?2 WHERE id = ?1",
            params![endpoint_id, json],
        )?;
        Ok(())
    }

    /// The endpoints of a watch, manual ones first, then by path.
    pub fn endpoints(&self, watch_id: i64) -> Result<Vec<Endpoint>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE watch_id = ?1
             ORDER BY source = 'spec', coalesce(path, url), method"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([watch_id], endpoint_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a check, its hour's rollup, the endpoint's new state and
    /// what that changes on each alert channel, in one transaction.
    /// `transitions` gets the endpoint as it is after the check, its
    /// watch's name and the channels' `down`/`recovered` rules with the
    /// endpoint's down state on each (read inside the transaction), and
    /// says what changes per channel (the health module decides that).
    /// Returns the endpoint as it is afterwards.
    pub fn record_check(
        &mut self,
        endpoint_id: i64,
        rec: &CheckRecord,
        transitions: impl FnOnce(&Endpoint, &str, &[DownRule]) -> Vec<DownStep>,
    ) -> Result<Endpoint> {
        let outcome = rec.outcome.unwrap_or(CheckOutcome::Down);
        self.in_write(|s| {
            s.conn.exec(
                "INSERT INTO checks (endpoint_id, at, outcome, http_status, latency_ms, ttfb_ms,
                     cert_days, body_size, error_class, error, connect_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    endpoint_id,
                    rec.at,
                    outcome.as_str(),
                    rec.http_status,
                    rec.latency_ms,
                    rec.ttfb_ms,
                    rec.cert_days,
                    rec.body_size,
                    rec.error_class,
                    rec.error,
                    rec.connect_ms
                ],
            )?;
            let hour = rec.at - rec.at.rem_euclid(HOUR_MS);
            let blob: Option<Vec<u8>> = s
                .conn
                .row(
                    "SELECT latencies FROM check_rollups WHERE endpoint_id = ?1 AND hour = ?2",
                    params![endpoint_id, hour],
                    |r| r.get(0),
                )
                .optional()?;
            let mut counts = blob
                .as_deref()
                .map(decode_histogram)
                .unwrap_or_else(|| vec![0; LATENCY_BUCKETS.len()]);
            if let (Some(ms), true) = (rec.latency_ms, outcome.is_up()) {
                counts[bucket_of(ms)] += 1;
            }
            s.conn.exec(
                "INSERT INTO check_rollups (endpoint_id, hour, checks, up, latencies)
                 VALUES (?1, ?2, 1, ?3, ?4)
                 ON CONFLICT (endpoint_id, hour) DO UPDATE SET
                    checks = checks + 1, up = up + excluded.up, latencies = excluded.latencies",
                params![
                    endpoint_id,
                    hour,
                    i64::from(outcome.is_up()),
                    encode_histogram(&counts)
                ],
            )?;
            let (fail, success) = if outcome.is_up() {
                ("0", "consecutive_successes + 1")
            } else {
                ("consecutive_failures + 1", "0")
            };
            s.conn.exec(
                &format!(
                    "UPDATE endpoints SET state = ?2, last_checked_at = ?3,
                        consecutive_failures = {fail}, consecutive_successes = {success}
                     WHERE id = ?1"
                ),
                params![endpoint_id, outcome.as_str(), rec.at],
            )?;
            let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM endpoints WHERE id = ?1");
            let endpoint = s.conn.row(&sql, [endpoint_id], endpoint_from_row)?;
            let rules = s.down_rules(endpoint.watch_id, endpoint.id)?;
            let watch: String = s.conn.row(
                "SELECT name FROM watches WHERE id = ?1",
                [endpoint.watch_id],
                |r| r.get(0),
            )?;
            for step in transitions(&endpoint, &watch, &rules) {
                s.change_down_state(step.channel_id, endpoint.id, step.change)?;
                if let Some(alert) = &step.alert {
                    s.enqueue_to(step.channel_id, endpoint.watch_id, rec.at, alert)?;
                }
            }
            s.refresh_alerted_down(endpoint.id)?;
            Ok(endpoint)
        })
    }

    /// The most recent checks of an endpoint, newest first.
    pub fn checks(&self, endpoint_id: i64, limit: usize) -> Result<Vec<Check>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT at, outcome, http_status, latency_ms, cert_days, error, connect_ms, ttfb_ms
             FROM checks WHERE endpoint_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![endpoint_id, limit as i64], |r| {
            Ok(Check {
                at: r.get(0)?,
                outcome: r.get(1)?,
                http_status: r.get(2)?,
                latency_ms: r.get(3)?,
                cert_days: r.get(4)?,
                error: r.get(5)?,
                connect_ms: r.get(6)?,
                ttfb_ms: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Uptime over 24 h / 7 d / 30 d (from the rollups of the hours that
    /// overlap the window), latency percentiles over the last 24 h of raw
    /// checks, and the latest `recent` checks for a sparkline.
    pub fn endpoint_stats(
        &self,
        endpoint_id: i64,
        now: i64,
        recent: usize,
    ) -> Result<EndpointStats> {
        let uptime = |window: i64| -> Result<Option<f64>> {
            let since = now - window;
            let since_hour = since - since.rem_euclid(HOUR_MS);
            let (checks, up): (i64, i64) = self.conn.row(
                "SELECT coalesce(sum(checks), 0), coalesce(sum(up), 0) FROM check_rollups
                 WHERE endpoint_id = ?1 AND hour >= ?2",
                params![endpoint_id, since_hour],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((checks > 0).then(|| up as f64 / checks as f64))
        };
        let mut latencies: Vec<i64> = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT latency_ms FROM checks WHERE endpoint_id = ?1 AND at > ?2
                 AND outcome != 'down' AND latency_ms IS NOT NULL",
            )?;
            let rows = stmt.query_map(params![endpoint_id, now - 24 * HOUR_MS], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        latencies.sort_unstable();
        let checks_24h: i64 = self.conn.row(
            "SELECT count(*) FROM checks WHERE endpoint_id = ?1 AND at > ?2",
            params![endpoint_id, now - 24 * HOUR_MS],
            |r| r.get(0),
        )?;
        let latest = self.checks(endpoint_id, recent.max(1))?;
        let last = latest.first().cloned();
        let mut recent: Vec<Option<i64>> = latest
            .into_iter()
            .take(recent)
            .map(|c| c.outcome.is_up().then_some(c.latency_ms).flatten())
            .collect();
        recent.reverse();
        Ok(EndpointStats {
            uptime_24h: uptime(24 * HOUR_MS)?,
            uptime_7d: uptime(7 * 24 * HOUR_MS)?,
            uptime_30d: uptime(30 * 24 * HOUR_MS)?,
            p50_ms: percentile(&latencies, 50.0),
            p95_ms: percentile(&latencies, 95.0),
            p99_ms: percentile(&latencies, 99.0),
            checks_24h,
            recent,
            last,
        })
    }

    /// Latency percentiles over the rollups since `since` (approximate: the
    /// upper bound of the bucket the percentile falls in), for windows
    /// longer than raw checks are kept.
    pub fn rollup_percentile(&self, endpoint_id: i64, since: i64, p: f64) -> Result<Option<i64>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT latencies FROM check_rollups WHERE endpoint_id = ?1 AND hour >= ?2",
        )?;
        let blobs = stmt.query_map(
            params![endpoint_id, since - since.rem_euclid(HOUR_MS)],
            |r| r.get::<_, Vec<u8>>(0),
        )?;
        let mut total = vec![0u64; LATENCY_BUCKETS.len()];
        for blob in blobs {
            for (t, c) in total.iter_mut().zip(decode_histogram(&blob?)) {
                *t += u64::from(c);
            }
        }
        let n: u64 = total.iter().sum();
        if n == 0 {
            return Ok(None);
        }
        let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in total.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Ok(Some(i64::from(LATENCY_BUCKETS[i])));
            }
        }
        Ok(None)
    }

    /// Deletes raw checks older than `before` (unix ms), at most `batch` at
    /// a time so a large backlog never holds the write lock for long.
    /// Rollups are kept. Returns how many were deleted.
    pub fn prune_checks(&mut self, before: i64, batch: usize) -> Result<usize> {
        self.in_write(|s| {
            Ok(s.conn.exec(
                "DELETE FROM checks WHERE id IN
                    (SELECT id FROM checks WHERE at < ?1 ORDER BY at LIMIT ?2)",
                params![before, batch as i64],
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::{Kind, WatchSpec};

    fn store_with_endpoint() -> (Store, i64) {
        let mut store = Store::open_in_memory().unwrap();
        let w = store
            .add_watch(
                &WatchSpec::new("api", Kind::OpenApi, "http://x/o.yaml"),
                false,
            )
            .unwrap();
        let found = [NewEndpoint {
            method: "GET".into(),
            url: "http://x/pets".into(),
            path: Some("/pets".into()),
            headers: Vec::new(),
            body: None,
            held: None,
        }];
        store.sync_spec_endpoints(w.id, &found).unwrap();
        let id = store.endpoints(w.id).unwrap()[0].id;
        (store, id)
    }

    fn no_alerts(_: &Endpoint, _: &str, _: &[DownRule]) -> Vec<DownStep> {
        Vec::new()
    }

    fn check(at: i64, outcome: CheckOutcome, latency: i64) -> CheckRecord {
        CheckRecord {
            at,
            outcome: Some(outcome),
            http_status: Some(if outcome == CheckOutcome::Down {
                503
            } else {
                200
            }),
            latency_ms: Some(latency),
            ..CheckRecord::default()
        }
    }

    #[test]
    fn percentiles_match_a_hand_computed_set() {
        let (mut store, id) = store_with_endpoint();
        let now = 1_000 * HOUR_MS;
        // 20 latencies: 10, 20, …, 200 ms, plus a down check that must not
        // count towards latency.
        for (i, ms) in (1..=20).map(|k| k * 10).enumerate() {
            store
                .record_check(
                    id,
                    &check(now - 1000 * (i as i64 + 1), CheckOutcome::Up, ms),
                    no_alerts,
                )
                .unwrap();
        }
        store
            .record_check(id, &check(now - 500, CheckOutcome::Down, 5), no_alerts)
            .unwrap();
        let stats = store.endpoint_stats(id, now, 10).unwrap();
        // Nearest rank: p50 → rank 10 → 100; p95 → rank 19 → 190; p99 → rank 20 → 200.
        assert_eq!(
            (stats.p50_ms, stats.p95_ms, stats.p99_ms),
            (Some(100), Some(190), Some(200))
        );
        assert_eq!(stats.checks_24h, 21);
        assert_eq!(stats.uptime_24h, Some(20.0 / 21.0));
        assert_eq!(stats.recent.len(), 10);
        assert_eq!(stats.recent.last(), Some(&None), "the down check is a gap");
        // The rollup histogram agrees within its buckets: 100 ms is in the
        // (75, 100] bucket.
        assert_eq!(
            store
                .rollup_percentile(id, now - 24 * HOUR_MS, 50.0)
                .unwrap(),
            Some(100)
        );
    }

    #[test]
    fn states_count_consecutive_failures_and_successes() {
        let (mut store, id) = store_with_endpoint();
        let e = store
            .record_check(id, &check(1, CheckOutcome::Down, 5), no_alerts)
            .unwrap();
        let e2 = store
            .record_check(id, &check(2, CheckOutcome::Down, 5), no_alerts)
            .unwrap();
        assert_eq!((e.consecutive_failures, e2.consecutive_failures), (1, 2));
        let e3 = store
            .record_check(id, &check(3, CheckOutcome::Auth, 5), no_alerts)
            .unwrap();
        assert_eq!(
            (e3.state, e3.consecutive_failures, e3.consecutive_successes),
            (EndpointState::Auth, 0, 1)
        );
    }

    #[test]
    fn syncing_keeps_history_and_manual_endpoints() {
        let (mut store, id) = store_with_endpoint();
        let watch_id = store.endpoints_watch(id);
        store
            .record_check(id, &check(1, CheckOutcome::Up, 5), no_alerts)
            .unwrap();
        store
            .add_manual_endpoint(
                watch_id,
                "GET",
                "http://x/health",
                &["status == 200".into()],
                Some(800),
            )
            .unwrap();
        let found = [
            NewEndpoint {
                method: "GET".into(),
                url: "http://x/pets".into(),
                path: Some("/pets".into()),
                headers: Vec::new(),
                body: None,
                held: None,
            },
            NewEndpoint {
                method: "GET".into(),
                url: "http://x/owners".into(),
                path: Some("/owners".into()),
                headers: Vec::new(),
                body: None,
                held: None,
            },
        ];
        assert_eq!(store.sync_spec_endpoints(watch_id, &found).unwrap(), (1, 0));
        assert_eq!(store.checks(id, 10).unwrap().len(), 1, "history kept");
        assert_eq!(
            store.sync_spec_endpoints(watch_id, &found[1..]).unwrap(),
            (0, 1)
        );
        let left: Vec<String> = store
            .endpoints(watch_id)
            .unwrap()
            .into_iter()
            .map(|e| e.url)
            .collect();
        assert_eq!(left, ["http://x/health", "http://x/owners"]);
        let manual = &store.endpoints(watch_id).unwrap()[0];
        assert_eq!(manual.conditions, ["status == 200"]);
        assert_eq!(manual.degraded_ms, Some(800));
    }

    #[test]
    fn pruning_keeps_rollups() {
        let (mut store, id) = store_with_endpoint();
        for i in 0..10 {
            store
                .record_check(id, &check(i * 1000, CheckOutcome::Up, 20), no_alerts)
                .unwrap();
        }
        assert_eq!(store.prune_checks(5_000, 3).unwrap(), 3);
        assert_eq!(store.prune_checks(5_000, 100).unwrap(), 2);
        assert_eq!(store.checks(id, 100).unwrap().len(), 5);
        assert_eq!(
            store.endpoint_stats(id, 10_000, 5).unwrap().uptime_30d,
            Some(1.0)
        );
    }

    #[test]
    fn a_check_its_down_states_and_alerts_commit_together() {
        use crate::store::alerts::{AlertEvent, ChannelKind, DownChange, NewAlert, OutboxStatus};
        let (mut store, id) = store_with_endpoint();
        let channel = store
            .add_channel(
                "hook",
                ChannelKind::Webhook,
                "http://x/hook",
                None,
                &[AlertEvent::Down, AlertEvent::Recovered],
                None,
            )
            .unwrap();
        let alert = NewAlert {
            subjects: Vec::new(),
            narrowed: Vec::new(),
            event: AlertEvent::Down,
            title: "api: down".into(),
            payload: serde_json::json!({"text": "down"}),
        };
        let mut seen = None;
        let e = store
            .record_check(id, &check(7, CheckOutcome::Down, 5), |e, watch, rules| {
                seen = Some((e.consecutive_failures, watch.to_owned(), rules.to_vec()));
                vec![DownStep {
                    channel_id: channel.id,
                    change: DownChange::Opened { at: 7 },
                    alert: Some(alert.clone()),
                }]
            })
            .unwrap();
        let (failures, watch, rules) = seen.unwrap();
        assert_eq!((failures, watch.as_str()), (1, "api"));
        assert_eq!(rules.len(), 1);
        assert_eq!((rules[0].channel_id, rules[0].state), (channel.id, None));
        assert_eq!(e.state, EndpointState::Down);
        let queued = store.alert_history(10).unwrap();
        assert_eq!(queued.len(), 1);
        assert_eq!(
            (queued[0].event, queued[0].status, queued[0].title.as_str()),
            (AlertEvent::Down, OutboxStatus::Pending, "api: down")
        );
        assert_eq!(queued[0].created_at, 7);
        let rules = store.down_rules(e.watch_id, id).unwrap();
        assert_eq!(
            rules[0].state.map(|s| (s.since, s.reminded_at)),
            Some((7, 7))
        );
        assert!(store.alerted_down(id));

        // A step that cannot be written (no such channel) takes the check
        // with it.
        let failed = store.record_check(id, &check(8, CheckOutcome::Down, 5), |_, _, _| {
            vec![DownStep {
                channel_id: channel.id + 100,
                change: DownChange::Opened { at: 8 },
                alert: None,
            }]
        });
        assert!(failed.is_err());
        assert_eq!(
            store.checks(id, 10).unwrap().len(),
            1,
            "the check rolled back"
        );
        assert_eq!(store.alert_history(10).unwrap().len(), 1);

        // Closing the state clears the endpoint's alerted flag.
        store
            .record_check(id, &check(9, CheckOutcome::Up, 5), |_, _, _| {
                vec![DownStep {
                    channel_id: channel.id,
                    change: DownChange::Closed,
                    alert: None,
                }]
            })
            .unwrap();
        assert_eq!(store.down_rules(e.watch_id, id).unwrap()[0].state, None);
        assert!(!store.alerted_down(id));
    }

    impl Store {
        fn alerted_down(&self, endpoint_id: i64) -> bool {
            self.conn
                .row(
                    "SELECT alerted_down FROM endpoints WHERE id = ?1",
                    [endpoint_id],
                    |r| r.get(0),
                )
                .unwrap()
        }

        fn endpoints_watch(&self, endpoint_id: i64) -> i64 {
            self.conn
                .row(
                    "SELECT watch_id FROM endpoints WHERE id = ?1",
                    [endpoint_id],
                    |r| r.get(0),
                )
                .unwrap()
        }
    }
}
