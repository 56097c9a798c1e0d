//! Prompt-caching targets, runs, results and the evidence of each request.
//!
//! A run's results, its requests, the model's failure streaks and any
//! regression alert are written in one transaction.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::alerts::NewAlert;
use super::{Result, Store, StoreError};

/// Failed runs in a row before a model is flagged.
pub const WARN_AFTER: u32 = 3;
/// Failed runs in a row before a model is left alone for a while.
pub const COOLDOWN_AFTER: u32 = 5;
/// Good runs in a row that clear a model's failures.
pub const RESET_AFTER: u32 = 2;
/// Identical-test failures in a row, after it once passed, that raise a
/// caching regression alert.
pub const REGRESSION_AFTER: u32 = 3;

/// What a target overrides in its profile, and how its suite runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CacheSettings {
    pub min_tokens: Option<u32>,
    pub ttl_secs: Option<u64>,
    pub price_input: Option<f64>,
    pub price_cached: Option<f64>,
    /// Tests run by the schedule (empty: all).
    pub tests: Vec<String>,
    /// Seconds between scheduled runs (`None`: the default, 6 h).
    pub every_secs: Option<u64>,
    /// Tokens a day the target may spend (`None`: no limit).
    pub daily_budget: Option<i64>,
    /// The TTL test's delays, in seconds.
    pub ttl_ladder: Vec<u64>,
    pub persistence: Option<u32>,
    pub max_prompt_tokens: Option<u32>,
    pub stream: bool,
    /// Label runs as simulated (the demo's provider).
    pub simulated: bool,
    /// A JSON pointer to the cached-token count, for a provider of one's
    /// own (`/usage/cached_tokens`).
    pub cached_field: Option<String>,
    /// `chat` or `messages`, overriding the profile's API shape (and with
    /// it how the key is sent).
    pub api: Option<String>,
}

/// A provider endpoint whose models are tested.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheTarget {
    pub id: i64,
    pub name: String,
    pub profile: String,
    pub base_url: String,
    pub api_key_env: Option<String>,
    pub models: Vec<String>,
    pub settings: CacheSettings,
    pub paused: bool,
    /// Why it is paused (dropped from its config file), if it is.
    pub paused_reason: Option<String>,
    /// Declared in a config file.
    pub from_config: bool,
}

/// The caching tests, in the order a suite runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TestKind {
    Identical,
    Sizes,
    SharedPrefix,
    ChangedAtK,
    Persistence,
    Ttl,
    MultiTurn,
}

impl TestKind {
    pub const ALL: [TestKind; 7] = [
        TestKind::Identical,
        TestKind::Sizes,
        TestKind::SharedPrefix,
        TestKind::ChangedAtK,
        TestKind::Persistence,
        TestKind::Ttl,
        TestKind::MultiTurn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TestKind::Identical => "identical",
            TestKind::Sizes => "sizes",
            TestKind::SharedPrefix => "shared-prefix",
            TestKind::ChangedAtK => "changed-at-k",
            TestKind::Persistence => "persistence",
            TestKind::Ttl => "ttl",
            TestKind::MultiTurn => "multi-turn",
        }
    }

    pub fn parse(s: &str) -> Option<TestKind> {
        TestKind::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

stored_words!(TestKind, "caching test");

/// How a test came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Inconclusive => "inconclusive",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Pass, Verdict::Fail, Verdict::Inconclusive]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

stored_words!(Verdict, "verdict");

/// A target as declared in a config file, to add or update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewCacheTarget<'a> {
    pub name: &'a str,
    /// The name of its provider profile.
    pub profile: &'a str,
    pub base_url: &'a str,
    pub api_key_env: Option<&'a str>,
    pub models: &'a [String],
    pub settings: &'a CacheSettings,
}

/// One test of a run, to store with its requests.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCacheResult {
    pub test: TestKind,
    pub verdict: Verdict,
    pub summary: String,
    pub hit_rate: Option<f64>,
    pub cold_ms: Option<i64>,
    pub warm_ms: Option<i64>,
    pub saved_usd: f64,
    pub requests: Vec<CacheRequestRow>,
}

/// One run of one model, to store.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewCacheRun<'a> {
    pub model: &'a str,
    pub times: RunTimes,
    pub results: &'a [NewCacheResult],
    /// Why the suite stopped before its end.
    pub stopped: Option<&'a str>,
    /// The account's balance before the run, where the provider tells.
    pub balance: Option<&'a str>,
    /// Queued (to every channel taking `caching` alerts for all watches)
    /// if this run is the one that makes a caching regression.
    pub regression_alert: &'a NewAlert,
}

/// One run of one model, with its results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheRun {
    pub id: i64,
    pub target: String,
    pub model: String,
    pub started_at: i64,
    pub finished_at: i64,
    pub hit_rate: Option<f64>,
    pub tokens: i64,
    pub saved_usd: f64,
    pub stopped: Option<String>,
    pub simulated: bool,
    /// The account's balance before the run, where the provider tells.
    pub balance: Option<String>,
    pub results: Vec<CacheResultRow>,
}

/// One test of a run, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheResultRow {
    pub id: i64,
    pub test: TestKind,
    pub verdict: Verdict,
    pub summary: String,
    pub hit_rate: Option<f64>,
    pub cold_ms: Option<i64>,
    pub warm_ms: Option<i64>,
    pub saved_usd: f64,
}

/// One request of a test, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheRequestRow {
    pub at: i64,
    pub label: String,
    pub http_status: Option<u16>,
    pub latency_ms: i64,
    pub prompt_tokens: Option<i64>,
    pub cached_tokens: Option<i64>,
    pub cache_creation_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub error: Option<String>,
    pub retries: u32,
    pub request: Value,
}

/// A model's standing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ModelState {
    pub model: String,
    pub consecutive_failures: u32,
    pub consecutive_successes: u32,
    pub cooldown_until: Option<i64>,
    pub identical_passed: bool,
    pub identical_failures: u32,
}

impl ModelState {
    /// Flagged after [`WARN_AFTER`] failed runs in a row.
    pub fn warning(&self) -> bool {
        self.consecutive_failures >= WARN_AFTER
    }
}

/// When a run started and finished, and how long a model rests once it
/// has failed too often (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunTimes {
    pub started_at: i64,
    pub finished_at: i64,
    pub cooldown_ms: i64,
}

/// What recording a run changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub run_id: i64,
    pub state: ModelState,
    /// A caching regression alert was queued.
    pub regression: bool,
}

const TARGET_COLUMNS: &str = "id, name, profile, base_url, api_key_env, models, settings, paused, paused_reason, from_config";

fn target_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CacheTarget> {
    let models: String = r.get(5)?;
    let settings: String = r.get(6)?;
    Ok(CacheTarget {
        id: r.get(0)?,
        name: r.get(1)?,
        profile: r.get(2)?,
        base_url: r.get(3)?,
        api_key_env: r.get(4)?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        settings: serde_json::from_str(&settings).unwrap_or_default(),
        paused: r.get(7)?,
        paused_reason: r.get(8)?,
        from_config: r.get(9)?,
    })
}

impl Store {
    /// Adds a caching target.
    pub fn add_cache_target(
        &mut self,
        name: &str,
        profile: &str,
        base_url: &str,
        api_key_env: Option<&str>,
        models: &[String],
        settings: &CacheSettings,
    ) -> Result<CacheTarget> {
        if self.find_cache_target(name)?.is_some() {
            return Err(StoreError::CacheTargetExists(name.to_owned()));
        }
        self.conn.execute(
            "INSERT INTO cache_targets (name, profile, base_url, api_key_env, models, settings,
                 created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                name,
                profile,
                base_url,
                api_key_env,
                serde_json::to_string(models).unwrap_or_else(|_| "[]".into()),
                serde_json::to_string(settings).unwrap_or_else(|_| "{}".into()),
                super::now_ms()
            ],
        )?;
        self.cache_target(name)
    }

    /// Replaces a target's models and settings.
    pub fn update_cache_target(
        &mut self,
        name: &str,
        models: &[String],
        settings: &CacheSettings,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE cache_targets SET models = ?2, settings = ?3 WHERE name = ?1",
            params![
                name,
                serde_json::to_string(models).unwrap_or_else(|_| "[]".into()),
                serde_json::to_string(settings).unwrap_or_else(|_| "{}".into()),
            ],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchCacheTarget(name.to_owned()));
        }
        Ok(())
    }

    /// Adds a target declared in a config file, or makes the existing one
    /// match it (its runs stay; a target paused because it had left the
    /// file runs again).
    pub fn declare_cache_target(&mut self, def: &NewCacheTarget<'_>) -> Result<CacheTarget> {
        let name = def.name;
        if self.find_cache_target(name)?.is_none() {
            self.add_cache_target(
                name,
                def.profile,
                def.base_url,
                def.api_key_env,
                def.models,
                def.settings,
            )?;
        } else {
            self.update_cache_target(name, def.models, def.settings)?;
        }
        self.conn.execute(
            "UPDATE cache_targets SET profile = ?2, base_url = ?3, api_key_env = ?4,
                 from_config = 1, paused = 0, paused_reason = NULL
             WHERE name = ?1",
            params![name, def.profile, def.base_url, def.api_key_env],
        )?;
        self.cache_target(name)
    }

    /// Stops a target's scheduled runs, keeping it and its history.
    pub fn pause_cache_target(&mut self, name: &str, reason: &str) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE cache_targets SET paused = 1, paused_reason = ?2 WHERE name = ?1",
            params![name, reason],
        )?;
        if n == 0 {
            return Err(StoreError::NoSuchCacheTarget(name.to_owned()));
        }
        Ok(())
    }

    pub fn remove_cache_target(&mut self, name: &str) -> Result<()> {
        let n = self
            .conn
            .execute("DELETE FROM cache_targets WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(StoreError::NoSuchCacheTarget(name.to_owned()));
        }
        Ok(())
    }

    pub fn find_cache_target(&self, name: &str) -> Result<Option<CacheTarget>> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM cache_targets WHERE name = ?1");
        Ok(self
            .conn
            .query_row(&sql, [name], target_from_row)
            .optional()?)
    }

    pub fn cache_target(&self, name: &str) -> Result<CacheTarget> {
        self.find_cache_target(name)?
            .ok_or_else(|| StoreError::NoSuchCacheTarget(name.to_owned()))
    }

    /// Every target, by name.
    pub fn cache_targets(&self) -> Result<Vec<CacheTarget>> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM cache_targets ORDER BY name");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], target_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Tokens the target's requests used since `since` (ms), for the daily
    /// budget.
    pub fn cache_tokens_since(&self, target_id: i64, since: i64) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(coalesce(q.prompt_tokens, 0) + coalesce(q.completion_tokens, 0)), 0)
             FROM cache_requests q JOIN cache_results r ON r.id = q.result_id
             JOIN cache_runs u ON u.id = r.run_id
             WHERE u.target_id = ?1 AND q.at >= ?2",
            params![target_id, since],
            |r| r.get(0),
        )?)
    }

    /// When the target's model was last run.
    pub fn last_cache_run_at(&self, target_id: i64, model: &str) -> Result<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT max(started_at) FROM cache_runs WHERE target_id = ?1 AND model = ?2",
            params![target_id, model],
            |r| r.get(0),
        )?)
    }

    pub fn model_state(&self, target_id: i64, model: &str) -> Result<ModelState> {
        Ok(self
            .conn
            .query_row(
                "SELECT model, consecutive_failures, consecutive_successes, cooldown_until,
                        identical_passed, identical_failures
                 FROM cache_models WHERE target_id = ?1 AND model = ?2",
                params![target_id, model],
                |r| {
                    Ok(ModelState {
                        model: r.get(0)?,
                        consecutive_failures: r.get(1)?,
                        consecutive_successes: r.get(2)?,
                        cooldown_until: r.get(3)?,
                        identical_passed: r.get(4)?,
                        identical_failures: r.get(5)?,
                    })
                },
            )
            .optional()?
            .unwrap_or(ModelState {
                model: model.to_owned(),
                ..ModelState::default()
            }))
    }

    /// Records one run of a model: its results and requests, the model's
    /// streaks (a run with a failed request is a failure; `cooldown_ms`
    /// of rest after [`COOLDOWN_AFTER`] of them), and the run's
    /// regression alert when the identical test fails
    /// [`REGRESSION_AFTER`] times in a row after having passed, all in one
    /// transaction.
    pub fn record_cache_run(
        &mut self,
        target: &CacheTarget,
        run: &NewCacheRun<'_>,
    ) -> Result<Recorded> {
        let NewCacheRun {
            model,
            times,
            results,
            stopped,
            balance,
            regression_alert,
        } = *run;
        let RunTimes {
            started_at,
            finished_at,
            cooldown_ms,
        } = times;
        // The run's hit rate: the mean of its tests' hit rates.
        let rates: Vec<f64> = results.iter().filter_map(|r| r.hit_rate).collect();
        let hit_rate = (!rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64);
        // Tokens billed, for the daily budget.
        let tokens: i64 = results
            .iter()
            .flat_map(|r| &r.requests)
            .map(|q| q.prompt_tokens.unwrap_or(0) + q.completion_tokens.unwrap_or(0))
            .sum();
        let saved: f64 = results.iter().map(|r| r.saved_usd).sum();
        let failed = results
            .iter()
            .flat_map(|r| &r.requests)
            .any(|q| q.error.is_some());
        let identical = results
            .iter()
            .find(|r| r.test == TestKind::Identical)
            .map(|r| r.verdict);
        self.in_write(|s| {
            s.conn.execute(
                "INSERT INTO cache_runs (target_id, model, started_at, finished_at, hit_rate,
                     tokens, saved_usd, stopped, simulated, balance)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    target.id,
                    model,
                    started_at,
                    finished_at,
                    hit_rate,
                    tokens,
                    saved,
                    stopped,
                    target.settings.simulated,
                    balance
                ],
            )?;
            let run_id = s.conn.last_insert_rowid();
            for r in results {
                s.conn.execute(
                    "INSERT INTO cache_results (run_id, test, verdict, summary, hit_rate, cold_ms,
                         warm_ms, saved_usd)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        run_id,
                        r.test.as_str(),
                        r.verdict.as_str(),
                        r.summary,
                        r.hit_rate,
                        r.cold_ms,
                        r.warm_ms,
                        r.saved_usd
                    ],
                )?;
                let result_id = s.conn.last_insert_rowid();
                let mut stmt = s.conn.prepare_cached(
                    "INSERT INTO cache_requests (result_id, at, label, http_status, latency_ms,
                         prompt_tokens, cached_tokens, cache_creation_tokens, completion_tokens,
                         error, retries, request)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )?;
                for q in &r.requests {
                    stmt.execute(params![
                        result_id,
                        q.at,
                        q.label,
                        q.http_status,
                        q.latency_ms,
                        q.prompt_tokens,
                        q.cached_tokens,
                        q.cache_creation_tokens,
                        q.completion_tokens,
                        q.error,
                        q.retries,
                        q.request.to_string()
                    ])?;
                }
            }
            let mut state = s.model_state(target.id, model)?;
            if failed {
                state.consecutive_failures += 1;
                state.consecutive_successes = 0;
                if state.consecutive_failures >= COOLDOWN_AFTER {
                    state.cooldown_until = Some(finished_at + cooldown_ms);
                }
            } else {
                state.consecutive_successes += 1;
                if state.consecutive_successes >= RESET_AFTER {
                    state.consecutive_failures = 0;
                    state.cooldown_until = None;
                }
            }
            let mut regression = false;
            match identical {
                Some(Verdict::Pass) => {
                    state.identical_passed = true;
                    state.identical_failures = 0;
                }
                Some(Verdict::Fail) => {
                    state.identical_failures += 1;
                    if state.identical_passed && state.identical_failures == REGRESSION_AFTER {
                        regression = true;
                    }
                }
                _ => {}
            }
            s.conn.execute(
                "INSERT INTO cache_models (target_id, model, consecutive_failures,
                     consecutive_successes, cooldown_until, identical_passed, identical_failures)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (target_id, model) DO UPDATE SET
                     consecutive_failures = excluded.consecutive_failures,
                     consecutive_successes = excluded.consecutive_successes,
                     cooldown_until = excluded.cooldown_until,
                     identical_passed = excluded.identical_passed,
                     identical_failures = excluded.identical_failures",
                params![
                    target.id,
                    model,
                    state.consecutive_failures,
                    state.consecutive_successes,
                    state.cooldown_until,
                    state.identical_passed,
                    state.identical_failures
                ],
            )?;
            if regression {
                s.enqueue_global(&target.name, finished_at, regression_alert)?;
            }
            Ok(Recorded {
                run_id,
                state,
                regression,
            })
        })
    }

    /// The most recent runs of a target (one model, or all), newest
    /// first, with their results.
    pub fn cache_runs(
        &self,
        target: &str,
        model: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CacheRun>> {
        let mut stmt = self.conn.prepare(
            "SELECT u.id, t.name, u.model, u.started_at, u.finished_at, u.hit_rate, u.tokens,
                    u.saved_usd, u.stopped, u.simulated, u.balance
             FROM cache_runs u JOIN cache_targets t ON t.id = u.target_id
             WHERE t.name = ?1 AND (?2 IS NULL OR u.model = ?2)
             ORDER BY u.started_at DESC, u.id DESC LIMIT ?3",
        )?;
        let runs: Vec<CacheRun> = stmt
            .query_map(params![target, model, limit as i64], |r| {
                Ok(CacheRun {
                    id: r.get(0)?,
                    target: r.get(1)?,
                    model: r.get(2)?,
                    started_at: r.get(3)?,
                    finished_at: r.get(4)?,
                    hit_rate: r.get(5)?,
                    tokens: r.get(6)?,
                    saved_usd: r.get(7)?,
                    stopped: r.get(8)?,
                    simulated: r.get(9)?,
                    balance: r.get(10)?,
                    results: Vec::new(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut results = self.conn.prepare_cached(
            "SELECT id, test, verdict, summary, hit_rate, cold_ms, warm_ms, saved_usd
             FROM cache_results WHERE run_id = ?1 ORDER BY id",
        )?;
        let mut out = Vec::with_capacity(runs.len());
        for mut run in runs {
            run.results = results
                .query_map([run.id], |r| {
                    Ok(CacheResultRow {
                        id: r.get(0)?,
                        test: r.get(1)?,
                        verdict: r.get(2)?,
                        summary: r.get(3)?,
                        hit_rate: r.get(4)?,
                        cold_ms: r.get(5)?,
                        warm_ms: r.get(6)?,
                        saved_usd: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<_>>()?;
            out.push(run);
        }
        Ok(out)
    }

    /// The requests of one stored test result, in order.
    pub fn cache_requests(&self, result_id: i64) -> Result<Vec<CacheRequestRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT at, label, http_status, latency_ms, prompt_tokens, cached_tokens,
                    cache_creation_tokens, completion_tokens, error, retries, request
             FROM cache_requests WHERE result_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([result_id], |r| {
            let request: String = r.get(10)?;
            Ok(CacheRequestRow {
                at: r.get(0)?,
                label: r.get(1)?,
                http_status: r.get(2)?,
                latency_ms: r.get(3)?,
                prompt_tokens: r.get(4)?,
                cached_tokens: r.get(5)?,
                cache_creation_tokens: r.get(6)?,
                completion_tokens: r.get(7)?,
                error: r.get(8)?,
                retries: r.get(9)?,
                request: serde_json::from_str(&request).unwrap_or(Value::Null),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Deletes request evidence older than `before` (ms), at most `batch`
    /// rows; results and runs stay. Returns the rows deleted.
    pub fn prune_cache_requests(&mut self, before: i64, batch: usize) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM cache_requests WHERE id IN
                 (SELECT id FROM cache_requests WHERE at < ?1 LIMIT ?2)",
            params![before, batch as i64],
        )?)
    }
}
