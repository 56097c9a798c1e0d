//! Prompt-caching targets, runs, results and the evidence of each request.
//!
//! A run's results, its requests, the model's failure streaks and any
//! regression alert are written in one transaction.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::alerts::NewAlert;
use super::{CachedSql, Result, Store, StoreError};

/// Failed runs in a row before a model is flagged, by default.
pub const WARN_AFTER: u32 = 3;
/// Failed runs in a row before a model is left alone for a while, by
/// default.
pub const COOLDOWN_AFTER: u32 = 5;
/// Good runs in a row that clear a model's failures, by default.
pub const RESET_AFTER: u32 = 2;
/// How long a model rests once it has failed too often, by default (ms).
pub const REST_MS: i64 = 15 * 60 * 1000;
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
    /// Failed runs in a row before a model is flagged [default: 3].
    pub warn_after: Option<u32>,
    /// Failed runs in a row before a model rests [default: 5].
    pub rest_after: Option<u32>,
    /// How long it rests, in seconds [default: 15 min].
    pub rest_secs: Option<u64>,
    /// Good runs in a row that clear its failures [default: 2].
    pub clear_after: Option<u32>,
}

/// When a model's failed runs flag it, rest it and clear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Cooldown {
    pub warn_after: u32,
    pub rest_after: u32,
    pub rest_ms: i64,
    pub clear_after: u32,
}

impl Default for Cooldown {
    fn default() -> Self {
        Cooldown {
            warn_after: WARN_AFTER,
            rest_after: COOLDOWN_AFTER,
            rest_ms: REST_MS,
            clear_after: RESET_AFTER,
        }
    }
}

impl CacheSettings {
    /// The target's cooldown, its settings over the defaults.
    pub fn cooldown(&self) -> Cooldown {
        let d = Cooldown::default();
        Cooldown {
            warn_after: self.warn_after.unwrap_or(d.warn_after).max(1),
            rest_after: self.rest_after.unwrap_or(d.rest_after).max(1),
            rest_ms: self.rest_secs.map_or(d.rest_ms, |s| {
                i64::try_from(s.saturating_mul(1000)).unwrap_or(i64::MAX)
            }),
            clear_after: self.clear_after.unwrap_or(d.clear_after).max(1),
        }
    }
}

/// Whether a run counts against its model: a test that should pass
/// failed, or a request got no usable answer (its test could decide
/// nothing). The store's streaks, the status bar and the exit code of
/// `cache-test` all go by this.
pub fn run_counts_as_failed(results: &[NewCacheResult]) -> bool {
    results
        .iter()
        .any(|r| r.verdict == Verdict::Fail || r.requests.iter().any(|q| q.error.is_some()))
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

/// How far a run of the suite is: for a progress line, or the dashboard
/// showing results as they come.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunProgress {
    pub target: String,
    pub model: String,
    /// The model's place among the run's (from 0), and their number.
    pub model_index: usize,
    pub models: usize,
    /// The run's tests, in order.
    pub tests: Vec<TestKind>,
    pub step: Step,
}

/// One step of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// Test `index` of the run's tests starts.
    Starting { index: usize },
    /// Test `index` ended so.
    Finished {
        index: usize,
        verdict: Verdict,
        summary: String,
    },
    /// Test `index` waits before its next request: the TTL ladder's rung
    /// `rung` (from 0) of `rungs`, probed after `delay_secs`, with
    /// `left_ms` to go.
    Waiting {
        index: usize,
        rung: usize,
        rungs: usize,
        delay_secs: u64,
        left_ms: u64,
    },
    /// The model's run is over: recorded, or skipped (why).
    ModelDone { skipped: Option<String> },
}

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
    /// Its target's thresholds, which the figures above are judged by.
    pub cooldown: Cooldown,
}

impl ModelState {
    /// Flagged after the target's `warn_after` failed runs in a row.
    pub fn warning(&self) -> bool {
        self.consecutive_failures >= self.cooldown.warn_after
    }

    /// Resting at `now` (ms): runs skip it unless forced.
    pub fn resting(&self, now: i64) -> bool {
        self.cooldown_until.is_some_and(|u| u > now)
    }

    /// The streaks after one more run ending at `finished_at` that failed
    /// or not ([`run_counts_as_failed`]): a failure restarts the good
    /// streak and, at `rest_after` failures or more, rests the model for
    /// `rest_ms` from the run's end (each further failure extends it);
    /// `clear_after` good runs in a row clear the failures and the rest.
    pub fn after_run(&mut self, failed: bool, finished_at: i64) {
        let c = self.cooldown;
        if failed {
            self.consecutive_failures += 1;
            self.consecutive_successes = 0;
            if self.consecutive_failures >= c.rest_after {
                self.cooldown_until = Some(finished_at.saturating_add(c.rest_ms));
            }
        } else {
            self.consecutive_successes += 1;
            if self.consecutive_successes >= c.clear_after {
                self.consecutive_failures = 0;
                self.cooldown_until = None;
            }
        }
    }
}

/// When a run started and finished, and how long a model rests once it
/// has failed too often (ms; the target's `rest`,
/// [`CacheSettings::cooldown`], for runs of the suite).
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
        self.conn.exec(
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
        let n = self.conn.exec(
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
        self.conn.exec(
            "UPDATE cache_targets SET profile = ?2, base_url = ?3, api_key_env = ?4,
                 from_config = 1, paused = 0, paused_reason = NULL
             WHERE name = ?1",
            params![name, def.profile, def.base_url, def.api_key_env],
        )?;
        self.cache_target(name)
    }

    /// Stops a target's scheduled runs, keeping it and its history.
    pub fn pause_cache_target(&mut self, name: &str, reason: &str) -> Result<()> {
        let n = self.conn.exec(
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
            .exec("DELETE FROM cache_targets WHERE name = ?1", [name])?;
        if n == 0 {
            return Err(StoreError::NoSuchCacheTarget(name.to_owned()));
        }
        Ok(())
    }

    pub fn find_cache_target(&self, name: &str) -> Result<Option<CacheTarget>> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM cache_targets WHERE name = ?1");
        Ok(self.conn.row(&sql, [name], target_from_row).optional()?)
    }

    pub fn cache_target(&self, name: &str) -> Result<CacheTarget> {
        self.find_cache_target(name)?
            .ok_or_else(|| StoreError::NoSuchCacheTarget(name.to_owned()))
    }

    /// Every target, by name.
    pub fn cache_targets(&self) -> Result<Vec<CacheTarget>> {
        let sql = format!("SELECT {TARGET_COLUMNS} FROM cache_targets ORDER BY name");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], target_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Tokens the target's requests used since `since` (ms), for the daily
    /// budget.
    pub fn cache_tokens_since(&self, target_id: i64, since: i64) -> Result<i64> {
        Ok(self.conn.row(
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
        Ok(self.conn.row(
            "SELECT max(started_at) FROM cache_runs WHERE target_id = ?1 AND model = ?2",
            params![target_id, model],
            |r| r.get(0),
        )?)
    }

    pub fn model_state(&self, target_id: i64, model: &str) -> Result<ModelState> {
        let settings: Option<String> = self
            .conn
            .row(
                "SELECT settings FROM cache_targets WHERE id = ?1",
                [target_id],
                |r| r.get(0),
            )
            .optional()?;
        let cooldown = settings
            .and_then(|s| serde_json::from_str::<CacheSettings>(&s).ok())
            .unwrap_or_default()
            .cooldown();
        let mut state = self
            .conn
            .row(
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
                        cooldown: Cooldown::default(),
                    })
                },
            )
            .optional()?
            .unwrap_or(ModelState {
                model: model.to_owned(),
                ..ModelState::default()
            });
        state.cooldown = cooldown;
        Ok(state)
    }

    /// Records one run of a model: its results and requests, the model's
    /// streaks ([`ModelState::after_run`]: a run that
    /// [counts as failed](run_counts_as_failed) is a failure; `cooldown_ms`
    /// of rest after the target's `rest_after` of them), and the run's
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
        let failed = run_counts_as_failed(results);
        let identical = results
            .iter()
            .find(|r| r.test == TestKind::Identical)
            .map(|r| r.verdict);
        self.in_write(|s| {
            s.conn.exec(
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
                s.conn.exec(
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
            let policy = target.settings.cooldown();
            state.cooldown = Cooldown {
                rest_ms: cooldown_ms,
                ..policy
            };
            state.after_run(failed, finished_at);
            state.cooldown = policy;
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
            s.conn.exec(
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
        let mut stmt = self.conn.prepare_cached(
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
        let mut stmt = self.conn.prepare_cached(
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
        Ok(self.conn.exec(
            "DELETE FROM cache_requests WHERE id IN
                 (SELECT id FROM cache_requests WHERE at < ?1 LIMIT ?2)",
            params![before, batch as i64],
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn policy(warn: u32, rest: u32, rest_ms: i64, clear: u32) -> ModelState {
        ModelState {
            cooldown: Cooldown {
                warn_after: warn,
                rest_after: rest,
                rest_ms,
                clear_after: clear,
            },
            ..ModelState::default()
        }
    }

    #[test]
    fn defaults_warn_at_3_rest_15_minutes_at_5_and_clear_after_2() {
        let d = CacheSettings::default().cooldown();
        assert_eq!(
            (d.warn_after, d.rest_after, d.rest_ms, d.clear_after),
            (3, 5, 15 * MIN, 2)
        );
        let mut s = ModelState::default();
        for i in 1..=4 {
            s.after_run(true, i * MIN);
            assert_eq!(s.warning(), i >= 3, "after {i} failures");
            assert!(!s.resting(i * MIN));
        }
        s.after_run(true, 5 * MIN);
        assert_eq!(s.cooldown_until, Some(20 * MIN));
        assert!(s.resting(19 * MIN) && !s.resting(20 * MIN));
        // One good run does not clear it; a failure after it rests again
        // from that run's end.
        s.after_run(false, 21 * MIN);
        assert_eq!((s.consecutive_failures, s.consecutive_successes), (5, 1));
        s.after_run(true, 22 * MIN);
        assert_eq!(s.cooldown_until, Some(37 * MIN));
        // Two good runs in a row clear everything.
        s.after_run(false, 40 * MIN);
        s.after_run(false, 41 * MIN);
        assert_eq!(s.consecutive_failures, 0);
        assert_eq!(s.cooldown_until, None);
        assert!(!s.warning());
    }

    #[test]
    fn thresholds_come_from_the_settings() {
        let settings = CacheSettings {
            warn_after: Some(1),
            rest_after: Some(2),
            rest_secs: Some(3600),
            clear_after: Some(3),
            ..CacheSettings::default()
        };
        let c = settings.cooldown();
        assert_eq!(
            (c.warn_after, c.rest_after, c.rest_ms, c.clear_after),
            (1, 2, 3_600_000, 3)
        );
        let mut s = policy(1, 2, c.rest_ms, 3);
        s.after_run(true, 0);
        assert!(s.warning() && s.cooldown_until.is_none());
        s.after_run(true, 10);
        assert_eq!(s.cooldown_until, Some(3_600_010));
        s.after_run(false, 20);
        s.after_run(false, 30);
        assert!(s.cooldown_until.is_some(), "two of three good runs");
        s.after_run(false, 40);
        assert_eq!((s.cooldown_until, s.consecutive_failures), (None, 0));
        // Zero is not a threshold: it reads as 1.
        let zero = CacheSettings {
            rest_after: Some(0),
            ..CacheSettings::default()
        };
        assert_eq!(zero.cooldown().rest_after, 1);
    }

    fn result(verdict: Verdict, error: Option<&str>) -> NewCacheResult {
        NewCacheResult {
            test: TestKind::Identical,
            verdict,
            summary: String::new(),
            hit_rate: None,
            cold_ms: None,
            warm_ms: None,
            saved_usd: 0.0,
            requests: vec![CacheRequestRow {
                at: 0,
                label: "cold".into(),
                http_status: Some(200),
                latency_ms: 1,
                prompt_tokens: Some(10),
                cached_tokens: Some(0),
                cache_creation_tokens: None,
                completion_tokens: Some(1),
                error: error.map(str::to_owned),
                retries: 0,
                request: Value::Null,
            }],
        }
    }

    #[test]
    fn a_failed_test_or_a_failed_request_counts_against_the_model() {
        assert!(!run_counts_as_failed(&[result(Verdict::Pass, None)]));
        assert!(!run_counts_as_failed(&[result(
            Verdict::Inconclusive,
            None
        )]));
        assert!(run_counts_as_failed(&[
            result(Verdict::Pass, None),
            result(Verdict::Fail, None)
        ]));
        assert!(run_counts_as_failed(&[result(
            Verdict::Inconclusive,
            Some("HTTP 500")
        )]));
    }

    #[test]
    fn recorded_runs_rest_and_clear_a_model_by_its_targets_settings() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("db")).expect("store");
        let settings = CacheSettings {
            rest_after: Some(2),
            clear_after: Some(1),
            ..CacheSettings::default()
        };
        let target = store
            .add_cache_target(
                "t",
                "openai",
                "http://127.0.0.1:9/v1",
                None,
                &["m".into()],
                &settings,
            )
            .expect("target");
        let alert = crate::store::alerts::NewAlert {
            subjects: Vec::new(),
            narrowed: Vec::new(),
            event: crate::store::alerts::AlertEvent::Caching,
            title: "t".into(),
            payload: Value::Null,
        };
        let record = |store: &mut Store, at: i64, verdict: Verdict| {
            let results = [result(verdict, None)];
            store
                .record_cache_run(
                    &target,
                    &NewCacheRun {
                        model: "m",
                        times: RunTimes {
                            started_at: at,
                            finished_at: at + 1,
                            cooldown_ms: 10 * MIN,
                        },
                        results: &results,
                        stopped: None,
                        balance: None,
                        regression_alert: &alert,
                    },
                )
                .expect("record")
                .state
        };
        record(&mut store, 0, Verdict::Fail);
        let s = record(&mut store, MIN, Verdict::Fail);
        assert_eq!(s.cooldown_until, Some(MIN + 1 + 10 * MIN));
        assert_eq!(store.model_state(target.id, "m").expect("state"), s);
        assert_eq!(s.cooldown.rest_after, 2);
        let s = record(&mut store, 20 * MIN, Verdict::Pass);
        assert_eq!((s.cooldown_until, s.consecutive_failures), (None, 0));
    }
}
