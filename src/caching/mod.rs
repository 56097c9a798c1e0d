//! LLM prompt-caching tests: does a provider's prompt caching work, per
//! model, over time?
//!
//! - [`profile`]: how each provider is called and what it promises.
//! - [`usage`]: reading cached tokens from its answers.
//! - [`client`]: one request, with its evidence.
//! - [`suite`]: the tests and their pass criteria.
//!
//! [`run_target`] runs a target's models one after another, with a pause
//! between models so one model's traffic does not colour the next, within
//! the target's daily token budget, skipping models resting after repeated
//! failures; every result goes to the store. [`schedule`] does that for
//! every target when it is due.

pub mod client;
pub mod declare;
pub mod profile;
pub mod suite;
pub mod usage;

use std::time::Duration;

use serde::Serialize;

use crate::store::caching::{CacheTarget, ModelState, NewCacheRun, Recorded, RunTimes};
use crate::store::{SharedStore, with_store};
use crate::store::{Store, StoreError};
use client::{Client, Endpoint};
use suite::{Runner, SuiteConfig, TestKind, TestResult};

/// How long a target waits between scheduled runs by default.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(6 * 3600);
/// How long a model rests after [`crate::store::caching::COOLDOWN_AFTER`]
/// failed runs in a row.
pub const COOLDOWN: Duration = Duration::from_secs(6 * 3600);
/// Request evidence kept by default.
pub const RETENTION: Duration = Duration::from_secs(30 * 24 * 3600);

/// How one run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Only these tests [default: the target's, else all].
    pub tests: Option<Vec<TestKind>>,
    /// Only these models [default: the target's].
    pub models: Option<Vec<String>>,
    /// The pause between two models.
    pub isolation: Duration,
    /// Run models that are resting after failures too.
    pub ignore_cooldown: bool,
    /// Where to say how far the run is (a terminal's progress line).
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<RunProgress>>,
}

/// How far a run is, for a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunProgress {
    pub model: String,
    /// The model's place among the run's (from 0), and their number.
    pub model_index: usize,
    pub models: usize,
    /// The test starting, its place (from 0) and the number of tests.
    pub test: TestKind,
    pub test_index: usize,
    pub tests: usize,
}

impl std::fmt::Display for RunProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "model {}/{} {}: test {}/{} {}…",
            self.model_index + 1,
            self.models,
            crate::text::one_line(&self.model),
            self.test_index + 1,
            self.tests,
            self.test.as_str()
        )
    }
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            tests: None,
            models: None,
            isolation: Duration::from_secs(5),
            ignore_cooldown: false,
            progress: None,
        }
    }
}

/// What happened to one model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelRun {
    pub model: String,
    pub results: Vec<TestResult>,
    /// Why the suite stopped before its end (the budget).
    pub stopped: Option<String>,
    /// Why the model was not run at all (resting).
    pub skipped: Option<String>,
    pub run_id: Option<i64>,
    pub state: ModelState,
    /// A caching regression alert was queued.
    pub regression: bool,
    pub seconds: f64,
    /// The account's balance before the run, where the provider tells.
    pub balance: Option<String>,
}

impl ModelRun {
    /// Whether a test that should pass failed.
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| r.verdict == suite::Verdict::Fail)
    }

    /// Why tests of this model could not run, if any could not: a request
    /// that got no usable answer (no connection, an HTTP error, the key
    /// variable unset), the suite stopped for want of an answer, or the
    /// model skipped (no balance, resting). A provider that simply does
    /// not report cached tokens is an answer, not a failure to run.
    pub fn not_run(&self) -> Option<String> {
        if let Some(why) = &self.skipped {
            return Some(why.clone());
        }
        if let Some(r) = self.results.iter().find(|r| {
            r.verdict == suite::Verdict::Inconclusive
                && r.exchanges.iter().any(|e| e.error.is_some())
        }) {
            return Some(format!("{}: {}", r.test.as_str(), r.summary));
        }
        None
    }
}

/// Stores one run of `model` with its results and requests, updates the
/// model's streaks, and queues a `caching` alert when the identical test
/// has now failed [`crate::store::caching::REGRESSION_AFTER`] times in a
/// row after having passed: one transaction.
pub fn record_run(
    store: &mut Store,
    target: &CacheTarget,
    model: &str,
    times: RunTimes,
    results: &[TestResult],
    stopped: Option<&str>,
    balance: Option<&str>,
) -> Result<Recorded, StoreError> {
    let rows: Vec<_> = results.iter().map(TestResult::to_row).collect();
    let regression_alert = crate::alert::caching::regression(&target.name, model);
    store.record_cache_run(
        target,
        &NewCacheRun {
            model,
            times,
            results: &rows,
            stopped,
            balance,
            regression_alert: &regression_alert,
        },
    )
}

/// The endpoint requests go to.
pub fn endpoint_of(target: &CacheTarget) -> Endpoint {
    Endpoint {
        base_url: target.base_url.clone(),
        api_key_env: target.api_key_env.clone(),
        profile: profile::resolved(target),
        stream: target.settings.stream,
    }
}

/// The suite's settings for a target.
pub fn suite_config(target: &CacheTarget, tests: Option<&[TestKind]>) -> SuiteConfig {
    let mut c = SuiteConfig::default();
    let s = &target.settings;
    c.tests = match tests {
        Some(t) => t.to_vec(),
        None if !s.tests.is_empty() => s.tests.iter().filter_map(|t| TestKind::parse(t)).collect(),
        None => TestKind::ALL.to_vec(),
    };
    if !s.ttl_ladder.is_empty() {
        c.ttl_ladder = s
            .ttl_ladder
            .iter()
            .map(|&t| Duration::from_secs(t))
            .collect();
    }
    if let Some(n) = s.persistence {
        c.persistence = n;
    }
    if let Some(n) = s.max_prompt_tokens {
        c.max_prompt_tokens = n;
    }
    c
}

/// A nonce no earlier prompt can have started with.
pub fn nonce() -> String {
    format!("{:x}-{:016x}", crate::store::now_ms(), fastrand::u64(..))
}

/// Start of the current UTC day, ms.
fn day_start(now: i64) -> i64 {
    now - now.rem_euclid(24 * 3600 * 1000)
}

/// An account's balance, as its provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountBalance {
    /// Whether requests can still be paid for.
    pub available: bool,
    /// The amount, for people: `110.00 CNY`, `8.20 USD left`.
    pub text: String,
}

/// Sends a GET and reads its JSON answer; the error names the URL.
async fn get_json(req: reqwest::RequestBuilder, url: &str) -> Result<serde_json::Value, String> {
    let resp = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}"));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| format!("{url}: the answer broke off: {e}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("{url}: not JSON: {e}"))
}

/// Reads a balance answer of `kind`.
pub fn parse_balance(kind: profile::Balance, v: &serde_json::Value) -> Option<AccountBalance> {
    let num = |v: &serde_json::Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    match kind {
        profile::Balance::DeepSeek => {
            let available = v.get("is_available")?.as_bool()?;
            let infos = v.get("balance_infos")?.as_array()?;
            let text = infos
                .iter()
                .filter_map(|i| {
                    let total: f64 = num(i.get("total_balance")?)?;
                    let currency = i.get("currency")?.as_str()?;
                    Some(format!("{total:.2} {currency}"))
                })
                .collect::<Vec<_>>()
                .join(", ");
            Some(AccountBalance { available, text })
        }
        profile::Balance::OpenRouter => {
            let data = v.get("data")?;
            let total: f64 = num(data.get("total_credits")?)?;
            let used: f64 = num(data.get("total_usage")?)?;
            let left = total - used;
            Some(AccountBalance {
                available: left > 0.0,
                text: format!("{left:.2} USD left"),
            })
        }
    }
}

/// Asks the provider for the account's balance, when its profile says
/// where; `None` when it does not.
pub async fn balance(
    http: &reqwest::Client,
    endpoint: &Endpoint,
) -> Option<Result<AccountBalance, String>> {
    let kind = endpoint.profile.balance?;
    let base = endpoint.base_url.trim_end_matches('/');
    let url = match kind {
        profile::Balance::DeepSeek => match url::Url::parse(base) {
            Ok(u) => format!("{}/user/balance", u.origin().ascii_serialization()),
            Err(e) => return Some(Err(format!("{base}: {e}"))),
        },
        profile::Balance::OpenRouter => format!("{base}/credits"),
    };
    let mut req = http.get(&url);
    if let Some(var) = &endpoint.api_key_env {
        match std::env::var(var) {
            Ok(key) => {
                crate::fetch::remember_secret(&key);
                req = req.bearer_auth(key)
            }
            Err(_) => return Some(Err(format!("the key variable {var} is not set"))),
        }
    }
    let answer = async {
        let v = get_json(req, &url).await?;
        parse_balance(kind, &v).ok_or_else(|| format!("{url}: no balance in the answer"))
    };
    Some(answer.await)
}

/// Runs the suite on each of the target's models in turn and records
/// every run. Where the provider reports a balance, an exhausted one
/// skips the suite.
pub async fn run_target(
    store: &SharedStore,
    client: &Client,
    target: &CacheTarget,
    opts: &RunOptions,
) -> Vec<ModelRun> {
    let endpoint = endpoint_of(target);
    let config = suite_config(target, opts.tests.as_deref());
    let models = opts.models.clone().unwrap_or_else(|| target.models.clone());
    let mut out = Vec::new();
    let account = balance(client.http(), &endpoint).await;
    let (note, exhausted) = match &account {
        Some(Ok(b)) => (Some(format!("balance {}", b.text)), !b.available),
        Some(Err(e)) => (Some(format!("balance unknown: {e}")), false),
        None => (None, false),
    };
    for (i, model) in models.iter().enumerate() {
        if i > 0 && !opts.isolation.is_zero() {
            tokio::time::sleep(opts.isolation).await;
        }
        let started_at = crate::store::now_ms();
        let (id, m) = (target.id, model.clone());
        let state = with_store(store, move |s| s.model_state(id, &m))
            .await
            .unwrap_or_default();
        if exhausted {
            out.push(ModelRun {
                model: model.clone(),
                results: Vec::new(),
                stopped: None,
                skipped: Some(format!(
                    "the account has no balance left ({})",
                    note.as_deref().unwrap_or_default()
                )),
                run_id: None,
                state,
                regression: false,
                seconds: 0.0,
                balance: note.clone(),
            });
            continue;
        }
        if let Some(until) = state.cooldown_until.filter(|&u| u > started_at)
            && !opts.ignore_cooldown
        {
            out.push(ModelRun {
                model: model.clone(),
                results: Vec::new(),
                stopped: None,
                skipped: Some(format!(
                    "resting after {} failed runs until {}",
                    state.consecutive_failures,
                    chrono::DateTime::from_timestamp_millis(until)
                        .map(|t| t
                            .with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M")
                            .to_string())
                        .unwrap_or_default()
                )),
                run_id: None,
                state,
                regression: false,
                seconds: 0.0,
                balance: note.clone(),
            });
            continue;
        }
        let used = with_store(store, move |s| {
            s.cache_tokens_since(id, day_start(started_at))
        })
        .await
        .unwrap_or(0);
        let limit = target.settings.daily_budget;
        let mut spent = 0i64;
        let mut budget = move |tokens: i64| -> Result<(), String> {
            if let Some(limit) = limit
                && used + spent + tokens > limit
            {
                return Err(format!(
                    "stopped before the daily budget of {limit} tokens ({} used today)",
                    used + spent
                ));
            }
            spent += tokens;
            Ok(())
        };
        let clock = std::time::Instant::now();
        let mut runner = Runner {
            client,
            endpoint: &endpoint,
            model,
            config: &config,
            nonce: nonce(),
            budget: &mut budget,
        };
        let (model_index, models_count, tests) = (i, models.len(), config.tests.len());
        let (results, stopped) = runner
            .run_all(|test_index, test| {
                if let Some(p) = &opts.progress {
                    let _ = p.send(RunProgress {
                        model: model.clone(),
                        model_index,
                        models: models_count,
                        test,
                        test_index,
                        tests,
                    });
                }
            })
            .await;
        let stopped = stopped.map(|s| s.0);
        let finished_at = crate::store::now_ms();
        let seconds = clock.elapsed().as_secs_f64();
        let (t, m, r, st, b) = (
            target.clone(),
            model.clone(),
            results.clone(),
            stopped.clone(),
            note.clone(),
        );
        let recorded = with_store(store, move |s| {
            let times = RunTimes {
                started_at,
                finished_at,
                cooldown_ms: COOLDOWN.as_millis() as i64,
            };
            record_run(s, &t, &m, times, &r, st.as_deref(), b.as_deref())
        })
        .await;
        let (run_id, state, regression) = match recorded {
            Ok(rec) => (Some(rec.run_id), rec.state, rec.regression),
            Err(e) => {
                tracing::warn!(target = %target.name, model = %model, "caching run not stored: {e}");
                (None, state, false)
            }
        };
        out.push(ModelRun {
            model: model.clone(),
            results,
            stopped,
            skipped: None,
            run_id,
            state,
            regression,
            seconds,
            balance: note.clone(),
        });
    }
    out
}

/// The model ids a provider lists at `{base}/models` (OpenAI's
/// `{"data": [{"id"}]}`, or `{"models": [{"name"}]}`).
pub async fn list_models(
    client: &reqwest::Client,
    endpoint: &Endpoint,
) -> Result<Vec<String>, String> {
    let url = format!("{}/models", endpoint.base_url.trim_end_matches('/'));
    let mut req = client.get(&url);
    if let Some(var) = &endpoint.api_key_env {
        let key = std::env::var(var).map_err(|_| format!("the key variable {var} is not set"))?;
        crate::fetch::remember_secret(&key);
        req = match endpoint.profile.auth {
            profile::Auth::Bearer => req.bearer_auth(key),
            profile::Auth::XApiKey => req
                .header("x-api-key", key)
                .header("anthropic-version", "2023-06-01"),
        };
    }
    let v = get_json(req, &url).await?;
    let ids: Vec<String> = v
        .get("data")
        .and_then(|d| d.as_array())
        .map(|items| {
            items
                .iter()
                .filter_map(|m| m.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                .collect()
        })
        .or_else(|| {
            v.get("models").and_then(|d| d.as_array()).map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get("name").and_then(|i| i.as_str()).map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default();
    if ids.is_empty() {
        return Err(format!("{url}: the answer lists no models"));
    }
    Ok(ids)
}

/// Runs each target when it is due, one target at a time (so one
/// provider never sees two suites at once), until the task is dropped.
/// Old request evidence is pruned after each pass.
pub async fn schedule(
    store: SharedStore,
    client: Client,
    tick: Duration,
    events: Option<tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::WorkerEvent>>,
) {
    loop {
        let targets = with_store(&store, |s| s.cache_targets())
            .await
            .unwrap_or_default();
        for target in targets.into_iter().filter(|t| !t.paused) {
            let every = target
                .settings
                .every_secs
                .map_or(DEFAULT_EVERY, Duration::from_secs);
            let now = crate::store::now_ms();
            let id = target.id;
            let models = target.models.clone();
            let last = with_store(&store, move |s| {
                let mut last: Option<i64> = None;
                for m in &models {
                    let at = s.last_cache_run_at(id, m)?;
                    // A model never run makes the target due.
                    last = match (last, at) {
                        (_, None) => return Ok(None),
                        (None, Some(a)) => Some(a),
                        (Some(l), Some(a)) => Some(l.min(a)),
                    };
                }
                Ok(last)
            })
            .await
            .unwrap_or(None);
            if last.is_some_and(|l| now - l < every.as_millis() as i64) {
                continue;
            }
            let runs = run_target(&store, &client, &target, &RunOptions::default()).await;
            if let Some(tx) = &events {
                let _ = tx.send(crate::pipeline::worker::WorkerEvent::CacheTested {
                    name: target.name.clone(),
                    models: runs.len(),
                    failed: runs.iter().filter(|r| r.failed()).count(),
                });
            }
        }
        let before = crate::store::now_ms() - RETENTION.as_millis() as i64;
        let _ = with_store(&store, move |s| s.prune_cache_requests(before, 5_000)).await;
        tokio::time::sleep(tick).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn balances_of_deepseek_and_openrouter() {
        let ds = json!({"is_available": true, "balance_infos": [
            {"currency": "CNY", "total_balance": "110.00", "granted_balance": "10.00"}]});
        let b = parse_balance(profile::Balance::DeepSeek, &ds).expect("balance");
        assert_eq!((b.available, b.text.as_str()), (true, "110.00 CNY"));
        let or = json!({"data": {"total_credits": 10.5, "total_usage": 10.5}});
        let b = parse_balance(profile::Balance::OpenRouter, &or).expect("balance");
        assert!(!b.available);
        assert_eq!(b.text, "0.00 USD left");
        assert_eq!(
            parse_balance(profile::Balance::OpenRouter, &json!({})),
            None
        );
    }
}
