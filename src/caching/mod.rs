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
pub mod standing;
pub mod suite;
pub mod usage;

use std::time::Duration;

use serde::Serialize;

use crate::store::caching::{CacheTarget, ModelState, NewCacheRun, Recorded, RunTimes};
pub use crate::store::caching::{RunProgress, Step};
use crate::store::{SharedStore, with_store};
use crate::store::{Store, StoreError};
use client::{Client, Endpoint};
use standing::Standing;
use suite::{Runner, SuiteConfig, TestKind, TestResult};

/// How long a target waits between scheduled runs by default.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(6 * 3600);
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
    /// Run models that are resting after failures too (`--force`).
    pub ignore_cooldown: bool,
    /// Where to say how far the run is (a terminal's progress line, the
    /// dashboard).
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<RunProgress>>,
}

/// A run asked for now (the dashboard's run-now), outside the schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunNow {
    pub target: String,
    /// Only these models [default: the target's].
    pub models: Vec<String>,
    /// Run resting models too.
    pub force: bool,
}

impl std::fmt::Display for RunProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let test = |i: usize| self.tests.get(i).map_or("?", |t| t.as_str());
        write!(
            f,
            "model {}/{} {}: ",
            self.model_index + 1,
            self.models,
            crate::text::one_line(&self.model)
        )?;
        let n = self.tests.len();
        match &self.step {
            Step::Starting { index } => write!(f, "test {}/{n} {}…", index + 1, test(*index)),
            Step::Finished { index, verdict, .. } => write!(
                f,
                "test {}/{n} {} {}",
                index + 1,
                test(*index),
                verdict.as_str()
            ),
            Step::Waiting {
                index,
                rung,
                rungs,
                delay_secs,
                left_ms,
            } => write!(
                f,
                "test {}/{n} {}: rung {}/{rungs} ({}), next probe in {}",
                index + 1,
                test(*index),
                rung + 1,
                humantime::format_duration(Duration::from_secs(*delay_secs)),
                humantime::format_duration(Duration::from_secs(left_ms.div_ceil(1000)))
            ),
            Step::ModelDone { skipped: Some(why) } => {
                write!(f, "skipped: {}", crate::text::one_line(why))
            }
            Step::ModelDone { skipped: None } => write!(f, "done"),
        }
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
    /// Where the model stands after the run (as `cache list` says).
    pub standing: Standing,
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

    /// Whether the run counts against the model, as the store counts it
    /// ([`crate::store::caching::run_counts_as_failed`]): a test failed or
    /// a request got no usable answer.
    pub fn counts_as_failed(&self) -> bool {
        self.failed()
            || self
                .results
                .iter()
                .any(|r| r.exchanges.iter().any(|e| e.error.is_some()))
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

/// Start of the current UTC day, ms (the daily budget's day).
pub fn day_start(now: i64) -> i64 {
    now - now.rem_euclid(24 * 3600 * 1000)
}

/// An account's balance, as its provider reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountBalance {
    /// Whether requests can still be paid for.
    pub available: bool,
    /// The amount, for people: `110.00 CNY`, `8.20 USD left`.
    pub text: String,
    /// What is left to spend in US dollars, when the account pays in them
    /// (a balance in another currency is not converted).
    pub usd: Option<f64>,
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
            .filter(|n: &f64| n.is_finite())
    };
    match kind {
        profile::Balance::DeepSeek => {
            let available = v.get("is_available")?.as_bool()?;
            let infos = v.get("balance_infos")?.as_array()?;
            let mut usd = None;
            let text = infos
                .iter()
                .filter_map(|i| {
                    let total: f64 = num(i.get("total_balance")?)?;
                    let currency = i.get("currency")?.as_str()?;
                    if currency == "USD" {
                        usd = Some(total);
                    }
                    Some(format!("{total:.2} {}", crate::text::one_line(currency)))
                })
                .collect::<Vec<_>>()
                .join(", ");
            Some(AccountBalance {
                available,
                text,
                usd,
            })
        }
        profile::Balance::OpenRouter => {
            let data = v.get("data")?;
            let total: f64 = num(data.get("total_credits")?)?;
            let used: f64 = num(data.get("total_usage")?)?;
            let left = total - used;
            Some(AccountBalance {
                available: left > 0.0,
                text: format!("{left:.2} USD left"),
                usd: Some(left),
            })
        }
        profile::Balance::Venice => {
            // `GET /billing/balance`: `canConsume`, the currency spent
            // first (`consumptionCurrency`: DIEM, USD, …) and the balances
            // left, either of which may be null.
            let available = v.get("canConsume")?.as_bool()?;
            let balances = v.get("balances")?;
            let diem = balances.get("diem").and_then(num);
            let usd = balances.get("usd").and_then(num);
            let spending = v
                .get("consumptionCurrency")
                .and_then(|c| c.as_str())
                .map(crate::text::one_line);
            let mut parts = Vec::new();
            if let Some(d) = diem {
                parts.push(format!("{d:.2} DIEM"));
            }
            if let Some(u) = usd {
                parts.push(format!("{u:.2} USD"));
            }
            if parts.is_empty() {
                parts.push("no balance reported".into());
            }
            let mut text = parts.join(", ");
            if let Some(c) = &spending {
                text += &format!(" (spending {c})");
            }
            Some(AccountBalance {
                available,
                text,
                // Only a USD balance being spent says how far the money
                // goes; DIEM is an allowance of its own.
                usd: usd.filter(|_| spending.as_deref() == Some("USD")),
            })
        }
    }
}

/// Where the account's balance of `kind` is read, for a base URL.
pub fn balance_url(kind: profile::Balance, base_url: &str) -> Result<String, String> {
    let base = base_url.trim_end_matches('/');
    Ok(match kind {
        profile::Balance::DeepSeek => match url::Url::parse(base) {
            Ok(u) => format!("{}/user/balance", u.origin().ascii_serialization()),
            Err(e) => return Err(format!("{base}: {e}")),
        },
        profile::Balance::OpenRouter => format!("{base}/credits"),
        profile::Balance::Venice => format!("{base}/billing/balance"),
    })
}

/// Asks the provider for the account's balance, when its profile says
/// where; `None` when it does not.
pub async fn balance(
    http: &reqwest::Client,
    endpoint: &Endpoint,
) -> Option<Result<AccountBalance, String>> {
    let kind = endpoint.profile.balance?;
    let url = match balance_url(kind, &endpoint.base_url) {
        Ok(u) => u,
        Err(e) => return Some(Err(e)),
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

/// Why the account cannot pay for a suite of about `tokens` tokens at the
/// profile's input price, when its balance says so; `None` when it can or
/// nobody knows.
pub fn balance_stop(
    balance: &AccountBalance,
    tokens: i64,
    profile: &profile::Profile,
) -> Option<String> {
    if !balance.available {
        return Some(format!(
            "the account has no balance left ({})",
            balance.text
        ));
    }
    let left = balance.usd?;
    let cost = tokens.max(0) as f64 * profile.price_input / 1e6;
    (cost > left).then(|| {
        format!(
            "the suite would cost about ${cost:.4} ({tokens} tokens at ${} per million), more than the {left:.2} USD left",
            profile.price_input
        )
    })
}

/// Runs the suite on each of the target's models in turn and records
/// every run. A model resting after failed runs is skipped unless
/// `ignore_cooldown`; where the provider reports a balance, a suite the
/// account cannot pay for is skipped; otherwise the daily token budget
/// stops a suite before it would be exceeded.
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
    let note = match &account {
        Some(Ok(b)) => Some(format!("balance {}", b.text)),
        Some(Err(e)) => Some(format!("balance unknown: {e}")),
        None => None,
    };
    let estimate = suite::estimate(&config, endpoint.profile.min_tokens);
    let progress = |model_index: usize, model: &str, step: Step| {
        if let Some(p) = &opts.progress {
            let _ = p.send(RunProgress {
                target: target.name.clone(),
                model: model.to_owned(),
                model_index,
                models: models.len(),
                tests: config.tests.clone(),
                step,
            });
        }
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
        let ran_before = {
            let m = model.clone();
            with_store(store, move |s| s.last_cache_run_at(id, &m))
                .await
                .ok()
                .flatten()
                .is_some()
        };
        let now_standing = standing::standing(false, ran_before, &state, started_at);
        let skip = match &account {
            Some(Ok(b)) => balance_stop(b, estimate, &endpoint.profile),
            _ => None,
        }
        .or_else(|| {
            now_standing
                .skip_reason(started_at)
                .filter(|_| !opts.ignore_cooldown)
        });
        if let Some(why) = skip {
            progress(
                i,
                model,
                Step::ModelDone {
                    skipped: Some(why.clone()),
                },
            );
            out.push(ModelRun {
                model: model.clone(),
                results: Vec::new(),
                stopped: None,
                skipped: Some(why),
                run_id: None,
                state,
                standing: now_standing,
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
        let mut on_step = |step: Step| progress(i, model, step);
        let clock = std::time::Instant::now();
        let mut runner = Runner {
            client,
            endpoint: &endpoint,
            model,
            config: &config,
            nonce: nonce(),
            budget: &mut budget,
            progress: Some(&mut on_step),
        };
        let (results, stopped) = runner.run_all().await;
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
        let rest_ms = target.settings.cooldown().rest_ms;
        let recorded = with_store(store, move |s| {
            let times = RunTimes {
                started_at,
                finished_at,
                cooldown_ms: rest_ms,
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
        let after = standing::standing(false, run_id.is_some() || ran_before, &state, finished_at);
        progress(i, model, Step::ModelDone { skipped: None });
        out.push(ModelRun {
            model: model.clone(),
            results,
            stopped,
            skipped: None,
            run_id,
            state,
            standing: after,
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
/// provider never sees two suites at once), and the runs asked for on
/// `now` (the dashboard's run-now) as soon as the target running finishes,
/// until the task is dropped. Old request evidence is pruned after each
/// pass. Events go to `events`: a run's progress as it goes and its end.
pub async fn schedule(
    store: SharedStore,
    client: Client,
    tick: Duration,
    events: Option<tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::WorkerEvent>>,
    mut now: Option<tokio::sync::mpsc::UnboundedReceiver<RunNow>>,
) {
    use crate::pipeline::worker::WorkerEvent;
    // Progress goes out as worker events.
    let (progress_tx, mut progress_rx) = tokio::sync::mpsc::unbounded_channel::<RunProgress>();
    if let Some(tx) = events.clone() {
        tokio::spawn(async move {
            while let Some(p) = progress_rx.recv().await {
                if tx.send(WorkerEvent::CacheProgress(Box::new(p))).is_err() {
                    return;
                }
            }
        });
    }
    let run = |target: CacheTarget, opts: RunOptions| {
        let (store, client, events) = (store.clone(), client.clone(), events.clone());
        async move {
            let runs = run_target(&store, &client, &target, &opts).await;
            if let Some(tx) = &events {
                let _ = tx.send(WorkerEvent::CacheTested {
                    name: target.name.clone(),
                    models: runs.len(),
                    failed: runs.iter().filter(|r| r.counts_as_failed()).count(),
                });
            }
        }
    };
    loop {
        let targets = with_store(&store, |s| s.cache_targets())
            .await
            .unwrap_or_default();
        for target in targets.into_iter().filter(|t| !t.paused) {
            // A run asked for goes before the next scheduled one.
            while let Some(asked) = now.as_mut().and_then(|rx| rx.try_recv().ok()) {
                run_now(&store, asked, &progress_tx, &events, &run).await;
            }
            let every = target
                .settings
                .every_secs
                .map_or(DEFAULT_EVERY, Duration::from_secs);
            let now_ms = crate::store::now_ms();
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
            if last.is_some_and(|l| now_ms - l < every.as_millis() as i64) {
                continue;
            }
            let opts = RunOptions {
                progress: Some(progress_tx.clone()),
                ..RunOptions::default()
            };
            run(target, opts).await;
        }
        let before = crate::store::now_ms() - RETENTION.as_millis() as i64;
        let _ = with_store(&store, move |s| s.prune_cache_requests(before, 5_000)).await;
        match now.as_mut() {
            Some(rx) => {
                tokio::select! {
                    _ = tokio::time::sleep(tick) => {}
                    asked = rx.recv() => match asked {
                        Some(asked) => run_now(&store, asked, &progress_tx, &events, &run).await,
                        // Nobody can ask any more: the schedule goes on alone.
                        None => now = None,
                    },
                }
            }
            None => tokio::time::sleep(tick).await,
        }
    }
}

/// Runs one target now, as asked; a target that does not exist (removed
/// meanwhile) is reported as a run of no models.
async fn run_now<F, Fut>(
    store: &SharedStore,
    asked: RunNow,
    progress: &tokio::sync::mpsc::UnboundedSender<RunProgress>,
    events: &Option<tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::WorkerEvent>>,
    run: &F,
) where
    F: Fn(CacheTarget, RunOptions) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let name = asked.target.clone();
    let target = with_store(store, move |s| s.find_cache_target(&name)).await;
    match target {
        Ok(Some(target)) => {
            let opts = RunOptions {
                models: (!asked.models.is_empty()).then(|| asked.models.clone()),
                ignore_cooldown: asked.force,
                progress: Some(progress.clone()),
                ..RunOptions::default()
            };
            run(target, opts).await;
        }
        Ok(None) | Err(_) => {
            if let Some(tx) = events {
                let _ = tx.send(crate::pipeline::worker::WorkerEvent::CacheTested {
                    name: asked.target,
                    models: 0,
                    failed: 0,
                });
            }
        }
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
        assert_eq!(b.usd, None, "CNY is not converted");
        let or = json!({"data": {"total_credits": 10.5, "total_usage": 10.5}});
        let b = parse_balance(profile::Balance::OpenRouter, &or).expect("balance");
        assert!(!b.available);
        assert_eq!(b.text, "0.00 USD left");
        assert_eq!(
            parse_balance(profile::Balance::OpenRouter, &json!({})),
            None
        );
    }

    #[test]
    fn progress_lines_say_the_test_and_the_time_to_the_next_probe() {
        let p = |step: Step| RunProgress {
            target: "t".into(),
            model: "m\x1b[2J".into(),
            model_index: 0,
            models: 2,
            tests: vec![TestKind::Identical, TestKind::Ttl],
            step,
        };
        assert_eq!(
            p(Step::Starting { index: 0 }).to_string(),
            "model 1/2 m [2J: test 1/2 identical…"
        );
        assert_eq!(
            p(Step::Waiting {
                index: 1,
                rung: 2,
                rungs: 5,
                delay_secs: 120,
                left_ms: 71_200,
            })
            .to_string(),
            "model 1/2 m [2J: test 2/2 ttl: rung 3/5 (2m), next probe in 1m 12s"
        );
        assert_eq!(
            p(Step::Finished {
                index: 1,
                verdict: suite::Verdict::Pass,
                summary: String::new()
            })
            .to_string(),
            "model 1/2 m [2J: test 2/2 ttl pass"
        );
    }

    /// The shape of Venice's `GET /billing/balance`
    /// (`BillingBalanceResponse` in its published swagger.yaml).
    #[test]
    fn balances_of_venice() {
        let v = json!({"canConsume": true, "consumptionCurrency": "DIEM",
            "balances": {"diem": 90.5, "usd": 25}, "diemEpochAllocation": 100});
        let b = parse_balance(profile::Balance::Venice, &v).expect("balance");
        assert_eq!(b.text, "90.50 DIEM, 25.00 USD (spending DIEM)");
        assert!(b.available);
        assert_eq!(b.usd, None, "DIEM is spent first");
        let v = json!({"canConsume": false, "consumptionCurrency": "USD",
            "balances": {"diem": null, "usd": 0.004}, "diemEpochAllocation": 0});
        let b = parse_balance(profile::Balance::Venice, &v).expect("balance");
        assert_eq!(b.usd, Some(0.004));
        assert!(!b.available);
        assert_eq!(
            parse_balance(profile::Balance::Venice, &json!({"balances": {}})),
            None
        );
        assert_eq!(
            balance_url(profile::Balance::Venice, "https://api.venice.ai/api/v1/").as_deref(),
            Ok("https://api.venice.ai/api/v1/billing/balance")
        );
    }

    #[test]
    fn a_balance_stops_a_suite_it_cannot_pay_for() {
        let p = profile::Profile::builtin("venice").expect("profile");
        let usd = |left: f64| AccountBalance {
            available: true,
            text: format!("{left} USD"),
            usd: Some(left),
        };
        // 100,000 tokens at $0.50 a million: 5 cents.
        assert_eq!(balance_stop(&usd(1.0), 100_000, &p), None);
        let why = balance_stop(&usd(0.01), 100_000, &p).expect("stopped");
        assert!(why.contains("more than the 0.01 USD left"), "{why}");
        let empty = AccountBalance {
            available: false,
            text: "0.00 DIEM".into(),
            usd: None,
        };
        assert!(balance_stop(&empty, 1, &p).is_some_and(|w| w.contains("no balance left")));
        let unknown = AccountBalance {
            usd: None,
            ..usd(0.0)
        };
        assert_eq!(balance_stop(&unknown, 10_000_000, &p), None);
    }
}
