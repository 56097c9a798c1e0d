//! The caching tests, each with a stated pass criterion.
//!
//! Every prompt of a run starts with the run's nonce, so nothing can be
//! cached from before and two runs never share a prefix. A request "hits"
//! when the provider reports at least half of its prompt tokens as cached;
//! a prompt "stays cold" when it reports no more than [`cold_allowance`]
//! tokens ([`NOISE`], a chat template's fixed opening that servers caching
//! every prefix may report, but never more than a quarter of the prompt).
//!
//! | test | requests | passes when |
//! |---|---|---|
//! | `identical` | one prompt twice | the second hits |
//! | `sizes` | a ladder of sizes, each twice; one at half the profile's minimum | the rung below the minimum stays cold (see [`judge_rung`]), every rung above it hits |
//! | `shared-prefix` | one long prefix, three different last messages | the second and third read at least half the prefix from the cache |
//! | `changed-at-k` | a prompt, then the same prompt altered at 60 % | the cached count falls to about the unchanged part (50 %–115 % of it) |
//! | `persistence` | one prompt N times (default 10) | at least 80 % of requests 2…N hit |
//! | `ttl` | one prompt per delay, warmed then probed once after its delay | every probe within the documented TTL hits (all of them when none is documented) |
//! | `multi-turn` | a conversation growing for four turns | each turn reads at least half of the previous turn's prompt from the cache |
//!
//! A test is `inconclusive` when a request failed or the provider did not
//! report cached tokens: that says nothing about its cache either way.

use std::time::Duration;

use serde::Serialize;

use super::client::{Client, Endpoint, Exchange, Message, body};
use crate::store::caching::{CacheRequestRow, NewCacheResult};

/// Cached tokens a fresh prompt may still report.
pub const NOISE: i64 = 32;

pub use crate::store::caching::{Step, TestKind, Verdict};

/// One test's result and evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    pub test: TestKind,
    pub verdict: Verdict,
    /// One line: what was seen against what was expected.
    pub summary: String,
    /// Cached over prompt tokens, over the requests expected to hit.
    pub hit_rate: Option<f64>,
    /// Mean latency of the requests expected cold, and of those expected
    /// warm.
    pub cold_ms: Option<i64>,
    pub warm_ms: Option<i64>,
    /// Dollars the cached tokens saved, at the profile's prices.
    pub saved_usd: f64,
    pub exchanges: Vec<Exchange>,
}

impl TestResult {
    /// The result as the store keeps it, with its requests.
    pub fn to_row(&self) -> NewCacheResult {
        NewCacheResult {
            test: self.test,
            verdict: self.verdict,
            summary: self.summary.clone(),
            hit_rate: self.hit_rate,
            cold_ms: self.cold_ms,
            warm_ms: self.warm_ms,
            saved_usd: self.saved_usd,
            requests: self
                .exchanges
                .iter()
                .map(|e| {
                    let u = e.usage.unwrap_or_default();
                    CacheRequestRow {
                        at: e.at,
                        label: e.label.clone(),
                        http_status: e.status,
                        latency_ms: e.latency_ms,
                        prompt_tokens: u.prompt_tokens,
                        cached_tokens: u.cached_tokens,
                        cache_creation_tokens: u.cache_creation_tokens,
                        completion_tokens: u.completion_tokens,
                        error: e.error.clone(),
                        retries: e.retries,
                        request: e.request.clone(),
                    }
                })
                .collect(),
        }
    }
}

/// Settings of a suite.
#[derive(Debug, Clone, PartialEq)]
pub struct SuiteConfig {
    pub tests: Vec<TestKind>,
    /// Requests of the persistence test.
    pub persistence: u32,
    /// The delays of the TTL test.
    pub ttl_ladder: Vec<Duration>,
    /// The largest prompt sent, in tokens (estimated before sending).
    pub max_prompt_tokens: u32,
    /// Tokens asked for in each answer.
    pub max_tokens: u32,
}

impl Default for SuiteConfig {
    fn default() -> Self {
        SuiteConfig {
            tests: TestKind::ALL.to_vec(),
            persistence: 10,
            ttl_ladder: [5, 30, 120, 300, 600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            max_prompt_tokens: 4096,
            max_tokens: 1,
        }
    }
}

/// Asked before each request: may this many more tokens be spent? `Err`
/// says why not, and the suite stops.
pub type Budget<'a> = &'a mut (dyn FnMut(i64) -> Result<(), String> + Send);

/// Told each step of a suite as it happens.
pub type Progress<'a> = &'a mut (dyn FnMut(Step) + Send);

/// Runs tests against one model, producing their results.
pub struct Runner<'a> {
    pub client: &'a Client,
    pub endpoint: &'a Endpoint,
    pub model: &'a str,
    pub config: &'a SuiteConfig,
    /// Starts every prompt; unique per run.
    pub nonce: String,
    pub budget: Budget<'a>,
    /// Where steps go ([`Step`]); `None` for nobody.
    pub progress: Option<Progress<'a>>,
}

/// Why a suite stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped(pub String);

/// Words the filler text is made of: common, so most are one token.
const WORDS: [&str; 64] = [
    "the", "service", "returns", "a", "list", "of", "records", "with", "their", "status", "and",
    "each", "request", "must", "include", "an", "id", "for", "tracking", "when", "errors", "occur",
    "clients", "should", "retry", "after", "waiting", "as", "long", "header", "says", "data", "is",
    "stored", "in", "region", "where", "account", "was", "created", "limits", "apply", "per",
    "minute", "hour", "day", "tokens", "are", "counted", "on", "input", "output", "prices",
    "change", "notice", "given", "before", "model", "retired", "new", "version", "released",
    "every", "month",
];

/// About `tokens` tokens of filler, deterministic for `seed`.
pub fn filler(tokens: u32, seed: u64) -> String {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = String::new();
    for i in 0..tokens {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if i > 0 {
            out.push(if i % 16 == 15 { '.' } else { ' ' });
            if i % 16 == 15 {
                out.push(' ');
            }
        }
        out.push_str(WORDS[(x % WORDS.len() as u64) as usize]);
    }
    out
}

/// The most cached tokens a fresh prompt of `prompt` tokens may report and
/// still count as cold: [`NOISE`], but never more than a quarter of the
/// prompt. A hit needs half of it, so no answer is both cold and a hit.
pub fn cold_allowance(prompt: i64) -> i64 {
    NOISE.min(prompt.max(0) / 4)
}

/// The `sizes` test's rungs for a provider that caches prompts of at least
/// `min` tokens: (tokens, expected to hit). With a minimum of 64 or more,
/// one rung at half the minimum (far enough below it that a chat
/// template's few tokens cannot lift it over) and two well above it;
/// below 64 there is no rung below the minimum worth sending, and three
/// sizes must hit.
pub fn size_rungs(min: u32) -> Vec<(u32, bool)> {
    if min >= 64 {
        vec![
            (min / 2, false),
            (min + min / 4 + 64, true),
            (min * 2 + 128, true),
        ]
    } else {
        [128, 512, 1536].into_iter().map(|n| (n, true)).collect()
    }
}

/// How one rung of the `sizes` test came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rung {
    /// As expected.
    Good,
    /// Against the provider's figures: a rung below the minimum was
    /// cached, or one above it was not.
    Bad,
    /// The provider's own prompt count puts the rung on the other side of
    /// its minimum, so what to expect cannot be decided.
    Undecided(String),
}

/// Judges a rung from the repeat's prompt (`prompt`) and cached (`cached`)
/// tokens: a rung expected to hit must report at least `min` prompt tokens
/// and hit; one below the minimum must report fewer than `min` and no more
/// than [`cold_allowance`] cached.
pub fn judge_rung(min: u32, should_hit: bool, prompt: i64, cached: i64) -> Rung {
    let min = i64::from(min);
    if should_hit {
        if prompt < min {
            return Rung::Undecided(format!(
                "a rung meant to be above the minimum of {min} tokens came to only {prompt}"
            ));
        }
        if prompt > 0 && cached * 2 >= prompt {
            Rung::Good
        } else {
            Rung::Bad
        }
    } else {
        if prompt >= min {
            return Rung::Undecided(format!(
                "the rung meant to be below the minimum of {min} tokens came to {prompt}"
            ));
        }
        if cached <= cold_allowance(prompt) {
            Rung::Good
        } else {
            Rung::Bad
        }
    }
}

fn estimate_tokens(request: &serde_json::Value) -> i64 {
    (request.to_string().len() / 4) as i64 + 16
}

fn hits(e: &Exchange) -> Option<bool> {
    let (c, p) = (e.cached()?, e.prompt()?);
    Some(p > 0 && c * 2 >= p)
}

fn mean(values: impl Iterator<Item = i64>) -> Option<i64> {
    let v: Vec<i64> = values.collect();
    (!v.is_empty()).then(|| v.iter().sum::<i64>() / v.len() as i64)
}

/// What a test needs to say when a request told it nothing.
fn unusable(exchanges: &[Exchange]) -> Option<String> {
    if let Some(e) = exchanges.iter().find(|e| e.error.is_some()) {
        return Some(format!(
            "{}: {}",
            e.label,
            e.error.as_deref().unwrap_or_default()
        ));
    }
    if exchanges
        .iter()
        .any(|e| e.usage.is_some() && e.cached().is_none())
    {
        return Some("the provider does not report cached tokens".to_owned());
    }
    None
}

/// Why no request of a test got an HTTP answer (the server cannot be
/// reached, the key variable is not set), when none did.
pub fn no_answer(exchanges: &[Exchange]) -> Option<String> {
    let first = exchanges.first()?;
    exchanges
        .iter()
        .all(|e| e.status.is_none() && e.error.is_some())
        .then(|| first.error.clone().unwrap_or_default())
}

/// The size of most prompts of a suite: above the provider's minimum
/// with room to spare, at least 512 tokens, at most the configured largest.
fn prompt_size_for(min: u32, config: &SuiteConfig) -> u32 {
    (min + min / 4 + 256).max(512).min(config.max_prompt_tokens)
}

/// Tokens a request adds to its system prompt: the question, the chat
/// template, the answer.
const REQUEST_OVERHEAD: i64 = 24;

/// About how many tokens a suite of `config` spends on one model of a
/// provider caching from `min` tokens, before it runs: what the dashboard
/// asks the user to confirm and what a balance is checked against.
pub fn estimate(config: &SuiteConfig, min: u32) -> i64 {
    let size = i64::from(prompt_size_for(min, config));
    let one = size + REQUEST_OVERHEAD + i64::from(config.max_tokens);
    config
        .tests
        .iter()
        .map(|t| match t {
            TestKind::Identical => 2 * one,
            TestKind::Sizes => size_rungs(min)
                .into_iter()
                .filter(|r| r.0 <= config.max_prompt_tokens)
                .map(|r| 2 * (i64::from(r.0) + REQUEST_OVERHEAD))
                .sum(),
            TestKind::SharedPrefix | TestKind::ChangedAtK => 3 * one,
            TestKind::Persistence => i64::from(config.persistence.max(2)) * one,
            TestKind::Ttl => 2 * one * config.ttl_ladder.len() as i64,
            // Each turn adds a question and an answer to the conversation.
            TestKind::MultiTurn => 4 * one + 6 * 20,
        })
        .sum()
}

impl Runner<'_> {
    fn prompt_size(&self) -> u32 {
        prompt_size_for(self.endpoint.profile.min_tokens, self.config)
    }

    /// The system message of a prompt: the nonce, a tag, then filler.
    fn system(&self, tag: &str, tokens: u32) -> String {
        let seed = tag
            .bytes()
            .fold(7u64, |h, b| h.wrapping_mul(31) ^ u64::from(b));
        format!(
            "Run {} ({tag}). {}",
            self.nonce,
            filler(tokens.saturating_sub(12), seed)
        )
    }

    async fn send(&mut self, label: &str, messages: &[Message]) -> Result<Exchange, Stopped> {
        let request = body(self.endpoint, self.model, messages, self.config.max_tokens);
        (self.budget)(estimate_tokens(&request) + i64::from(self.config.max_tokens))
            .map_err(Stopped)?;
        Ok(self.client.send(self.endpoint, label, request).await)
    }

    fn step(&mut self, step: Step) {
        if let Some(p) = &mut self.progress {
            p(step);
        }
    }

    /// Waits until `deadline`, telling progress how long is left about
    /// once a second: test `index`, rung `rung` of `rungs` of `delay`.
    async fn wait_for_probe(
        &mut self,
        deadline: tokio::time::Instant,
        index: usize,
        (rung, rungs): (usize, usize),
        delay: Duration,
    ) {
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return;
            }
            self.step(Step::Waiting {
                index,
                rung,
                rungs,
                delay_secs: delay.as_secs(),
                left_ms: left.as_millis() as u64,
            });
            tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        }
    }

    /// Runs the configured tests in order, telling progress as each starts
    /// and ends; stops at the budget, and when a test got no answer at all
    /// from the server (the rest would only wait for the same failure: the
    /// TTL test alone waits minutes).
    pub async fn run_all(&mut self) -> (Vec<TestResult>, Option<Stopped>) {
        let mut results = Vec::new();
        for (i, test) in self.config.tests.clone().into_iter().enumerate() {
            self.step(Step::Starting { index: i });
            let outcome = self.run_at(test, i).await;
            if let Ok(r) = &outcome {
                self.step(Step::Finished {
                    index: i,
                    verdict: r.verdict,
                    summary: r.summary.clone(),
                });
            }
            match outcome {
                Ok(r) => {
                    let unanswered = no_answer(&r.exchanges);
                    results.push(r);
                    if let Some(why) = unanswered
                        && i + 1 < self.config.tests.len()
                    {
                        return (
                            results,
                            Some(Stopped(format!(
                                "no answer from the server ({why}); the remaining tests were not run"
                            ))),
                        );
                    }
                }
                Err(stop) => return (results, Some(stop)),
            }
        }
        (results, None)
    }

    pub async fn run(&mut self, test: TestKind) -> Result<TestResult, Stopped> {
        self.run_at(test, 0).await
    }

    /// [`Runner::run`] for the test at `index` of the run (for progress).
    async fn run_at(&mut self, test: TestKind, index: usize) -> Result<TestResult, Stopped> {
        match test {
            TestKind::Identical => self.identical().await,
            TestKind::Sizes => self.sizes().await,
            TestKind::SharedPrefix => self.shared_prefix().await,
            TestKind::ChangedAtK => self.changed_at_k().await,
            TestKind::Persistence => self.persistence().await,
            TestKind::Ttl => self.ttl(index).await,
            TestKind::MultiTurn => self.multi_turn().await,
        }
    }

    /// A result from the exchanges, with the requests at `warm` expected to
    /// hit and the others cold.
    fn result(
        &self,
        test: TestKind,
        exchanges: Vec<Exchange>,
        warm: &[usize],
        judged: Result<(bool, String), String>,
    ) -> TestResult {
        let (verdict, summary) = match (unusable(&exchanges), judged) {
            (Some(why), _) | (None, Err(why)) => (Verdict::Inconclusive, why),
            (None, Ok((true, s))) => (Verdict::Pass, s),
            (None, Ok((false, s))) => (Verdict::Fail, s),
        };
        let warm_ex = || {
            exchanges
                .iter()
                .enumerate()
                .filter(|(i, _)| warm.contains(i))
        };
        let cached: i64 = warm_ex().filter_map(|(_, e)| e.cached()).sum();
        let prompt: i64 = warm_ex().filter_map(|(_, e)| e.prompt()).sum();
        TestResult {
            test,
            verdict,
            summary,
            hit_rate: (prompt > 0 && verdict != Verdict::Inconclusive)
                .then(|| cached as f64 / prompt as f64),
            cold_ms: mean(
                exchanges
                    .iter()
                    .enumerate()
                    .filter(|(i, e)| !warm.contains(i) && e.error.is_none())
                    .map(|(_, e)| e.latency_ms),
            ),
            warm_ms: mean(
                warm_ex()
                    .filter(|(_, e)| e.error.is_none())
                    .map(|(_, e)| e.latency_ms),
            ),
            saved_usd: self
                .endpoint
                .profile
                .saved(exchanges.iter().filter_map(Exchange::cached).sum()),
            exchanges,
        }
    }

    async fn identical(&mut self) -> Result<TestResult, Stopped> {
        let msgs = [
            Message::system(self.system("identical", self.prompt_size())),
            Message::user("Reply with one word."),
        ];
        let cold = self.send("cold", &msgs).await?;
        let warm = self.send("warm", &msgs).await?;
        let judged = match (warm.cached(), warm.prompt()) {
            (Some(c), Some(p)) => Ok((
                hits(&warm) == Some(true),
                format!("the repeat read {c} of {p} prompt tokens from the cache"),
            )),
            _ => Err("no usage".to_owned()),
        };
        Ok(self.result(TestKind::Identical, vec![cold, warm], &[1], judged))
    }

    async fn sizes(&mut self) -> Result<TestResult, Stopped> {
        let min = self.endpoint.profile.min_tokens;
        let max = self.config.max_prompt_tokens;
        let mut rungs = size_rungs(min);
        let dropped: Vec<u32> = rungs.iter().filter(|r| r.0 > max).map(|r| r.0).collect();
        rungs.retain(|r| r.0 <= max);
        let mut exchanges = Vec::new();
        let mut warm = Vec::new();
        let mut seen = Vec::new();
        let (mut failed, mut undecided) = (false, Vec::new());
        for (tokens, should_hit) in &rungs {
            let msgs = [
                Message::system(self.system(&format!("size {tokens}"), *tokens)),
                Message::user("Reply with one word."),
            ];
            exchanges.push(self.send(&format!("{tokens} cold"), &msgs).await?);
            let repeat = self.send(&format!("{tokens} repeat"), &msgs).await?;
            let c = repeat.cached().unwrap_or(0);
            let p = repeat.prompt().unwrap_or(0);
            match judge_rung(min, *should_hit, p, c) {
                Rung::Good => {}
                Rung::Bad => failed = true,
                Rung::Undecided(why) => undecided.push(why),
            }
            seen.push(if *should_hit {
                format!("{p} tokens: {c} cached")
            } else {
                format!(
                    "{p} tokens: {c} cached (below the minimum of {min}: at most {} may be)",
                    cold_allowance(p)
                )
            });
            if *should_hit {
                warm.push(exchanges.len());
            }
            exchanges.push(repeat);
        }
        let mut summary = seen.join("; ");
        if !dropped.is_empty() {
            summary += &format!("; not sent (over {max} tokens): {dropped:?}");
        }
        let judged = if rungs.is_empty() {
            Err(format!("every rung is over {max} tokens"))
        } else if failed {
            Ok((false, summary))
        } else if let Some(why) = undecided.first() {
            Err(format!("{why} ({summary})"))
        } else {
            Ok((true, summary))
        };
        Ok(self.result(TestKind::Sizes, exchanges, &warm, judged))
    }

    async fn shared_prefix(&mut self) -> Result<TestResult, Stopped> {
        let system = Message::system(self.system("shared prefix", self.prompt_size()));
        let mut exchanges = Vec::new();
        for (i, q) in ["Name a colour.", "Name a number.", "Name an animal."]
            .iter()
            .enumerate()
        {
            let label = if i == 0 { "first" } else { "other question" };
            exchanges.push(
                self.send(label, &[system.clone(), Message::user(*q)])
                    .await?,
            );
        }
        // The prefix is everything but the last message: about the first
        // request's prompt less a few tokens.
        let prefix = exchanges[0].prompt().unwrap_or(0) - 16;
        let cached: Vec<i64> = exchanges[1..]
            .iter()
            .map(|e| e.cached().unwrap_or(0))
            .collect();
        let ok = prefix > 0 && cached.iter().all(|&c| c * 2 >= prefix);
        let summary = format!(
            "prefix of about {prefix} tokens; later requests read {cached:?} from the cache"
        );
        Ok(self.result(
            TestKind::SharedPrefix,
            exchanges,
            &[1, 2],
            Ok((ok, summary)),
        ))
    }

    async fn changed_at_k(&mut self) -> Result<TestResult, Stopped> {
        let text = self.system("changed at k", self.prompt_size());
        // Alter one word at 60 % of the text.
        let cut = text.len() * 3 / 5;
        let cut = text[..cut].rfind(' ').unwrap_or(cut);
        let changed = format!("{} CHANGED{}", &text[..cut], &text[cut..]);
        let user = Message::user("Reply with one word.");
        let base = self
            .send("full", &[Message::system(text.clone()), user.clone()])
            .await?;
        let warm = self
            .send("full again", &[Message::system(text.clone()), user.clone()])
            .await?;
        let altered = self
            .send("altered", &[Message::system(changed), user])
            .await?;
        let prompt = altered.prompt().unwrap_or(0);
        // Tokens before the change, in proportion to the characters (the
        // chat template's opening is a few more).
        let k = prompt * cut as i64 / text.len().max(1) as i64;
        let c = altered.cached().unwrap_or(0);
        let block = 128;
        let ok = hits(&warm) == Some(true) && c * 2 >= k && c <= k + k * 15 / 100 + block;
        let summary = format!(
            "altered at about token {k} of {prompt}: {c} cached (expected about {k}); unaltered repeat: {} cached",
            warm.cached().unwrap_or(0)
        );
        Ok(self.result(
            TestKind::ChangedAtK,
            vec![base, warm, altered],
            &[1, 2],
            Ok((ok, summary)),
        ))
    }

    async fn persistence(&mut self) -> Result<TestResult, Stopped> {
        let n = self.config.persistence.max(2);
        let msgs = [
            Message::system(self.system("persistence", self.prompt_size())),
            Message::user("Reply with one word."),
        ];
        let mut exchanges = Vec::new();
        for i in 0..n {
            exchanges.push(self.send(&format!("request {}", i + 1), &msgs).await?);
        }
        let hit = exchanges[1..]
            .iter()
            .filter(|e| hits(e) == Some(true))
            .count();
        let rate = hit as f64 / (n - 1) as f64;
        let summary = format!("{hit} of {} repeats hit ({:.0} %)", n - 1, rate * 100.0);
        let warm: Vec<usize> = (1..n as usize).collect();
        Ok(self.result(
            TestKind::Persistence,
            exchanges,
            &warm,
            Ok((rate >= 0.8, summary)),
        ))
    }

    async fn ttl(&mut self, index: usize) -> Result<TestResult, Stopped> {
        let mut ladder = self.config.ttl_ladder.clone();
        ladder.sort();
        let size = self.prompt_size();
        let prompts: Vec<[Message; 2]> = ladder
            .iter()
            .map(|d| {
                [
                    Message::system(
                        self.system(&format!("ttl {}", humantime::format_duration(*d)), size),
                    ),
                    Message::user("Reply with one word."),
                ]
            })
            .collect();
        let mut exchanges = Vec::new();
        let mut probes = Vec::new();
        if self.endpoint.profile.single_slot {
            // One prompt at a time: warming the next would evict this one.
            let rungs = ladder.len();
            for (rung, (d, msgs)) in ladder.iter().zip(&prompts).enumerate() {
                let label = humantime::format_duration(*d).to_string();
                exchanges.push(self.send(&format!("warm {label}"), msgs).await?);
                let deadline = tokio::time::Instant::now() + *d;
                self.wait_for_probe(deadline, index, (rung, rungs), *d)
                    .await;
                probes.push(exchanges.len());
                exchanges.push(self.send(&format!("probe after {label}"), msgs).await?);
            }
        } else {
            // Warm them all, then probe each once when its delay is up.
            let mut warmed = Vec::new();
            for (d, msgs) in ladder.iter().zip(&prompts) {
                let label = humantime::format_duration(*d).to_string();
                exchanges.push(self.send(&format!("warm {label}"), msgs).await?);
                warmed.push(tokio::time::Instant::now());
            }
            let rungs = ladder.len();
            for (i, (d, msgs)) in ladder.iter().zip(&prompts).enumerate() {
                self.wait_for_probe(warmed[i] + *d, index, (i, rungs), *d)
                    .await;
                let label = humantime::format_duration(*d).to_string();
                probes.push(exchanges.len());
                exchanges.push(self.send(&format!("probe after {label}"), msgs).await?);
            }
        }
        let ttl = self.endpoint.profile.ttl_secs.map(Duration::from_secs);
        let mut ok = true;
        let mut seen = Vec::new();
        for (d, &i) in ladder.iter().zip(&probes) {
            let hit = hits(&exchanges[i]) == Some(true);
            if ttl.is_none_or(|t| *d <= t) {
                ok &= hit;
            }
            seen.push(format!(
                "{} {}",
                if hit { "hit" } else { "miss" },
                humantime::format_duration(*d)
            ));
        }
        let promised = ttl.map_or("none documented".to_owned(), |t| {
            humantime::format_duration(t).to_string()
        });
        let summary = format!("{} (documented TTL: {promised})", seen.join(", "));
        Ok(self.result(TestKind::Ttl, exchanges, &probes, Ok((ok, summary))))
    }

    async fn multi_turn(&mut self) -> Result<TestResult, Stopped> {
        let mut msgs = vec![Message::system(
            self.system("conversation", self.prompt_size()),
        )];
        let questions = [
            "What is an API?",
            "Name one HTTP method.",
            "Name one status code.",
            "Say goodbye.",
        ];
        let mut exchanges: Vec<Exchange> = Vec::new();
        for (turn, q) in questions.iter().enumerate() {
            msgs.push(Message::user(*q));
            let e = self.send(&format!("turn {}", turn + 1), &msgs).await?;
            let reply = e
                .reply
                .clone()
                .filter(|r| !r.trim().is_empty())
                .unwrap_or_else(|| "ok".into());
            msgs.push(Message::assistant(reply));
            exchanges.push(e);
        }
        let mut ok = true;
        let mut seen = Vec::new();
        for pair in exchanges.windows(2) {
            let previous = pair[0].prompt().unwrap_or(0);
            let c = pair[1].cached().unwrap_or(0);
            ok &= previous > 0 && c * 2 >= previous;
            seen.push(format!("{c}/{}", pair[1].prompt().unwrap_or(0)));
        }
        let summary = format!(
            "turns 2–{} read {} tokens from the cache",
            questions.len(),
            seen.join(", ")
        );
        let warm: Vec<usize> = (1..exchanges.len()).collect();
        Ok(self.result(TestKind::MultiTurn, exchanges, &warm, Ok((ok, summary))))
    }
}

/// The reliability of a model: of its decided tests (pass or fail) in
/// the last [`RELIABILITY_RUNS`] runs, the share that passed, 0–100.
/// Inconclusive tests do not count; `None` until some test is decided.
pub fn reliability(verdicts: impl IntoIterator<Item = Verdict>) -> Option<u8> {
    let (mut pass, mut decided) = (0u32, 0u32);
    for v in verdicts {
        match v {
            Verdict::Pass => {
                pass += 1;
                decided += 1;
            }
            Verdict::Fail => decided += 1,
            Verdict::Inconclusive => {}
        }
    }
    (decided > 0).then(|| (pass * 100 / decided) as u8)
}

/// Runs counted by [`reliability`].
pub const RELIABILITY_RUNS: usize = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_is_deterministic_and_about_the_size_asked() {
        assert_eq!(filler(50, 3), filler(50, 3));
        assert_ne!(filler(50, 3), filler(50, 4));
        assert_eq!(filler(100, 1).split_whitespace().count(), 100);
    }

    #[test]
    fn reliability_ignores_inconclusive_tests() {
        assert_eq!(
            reliability([
                Verdict::Pass,
                Verdict::Pass,
                Verdict::Fail,
                Verdict::Inconclusive
            ]),
            Some(66)
        );
        assert_eq!(reliability([Verdict::Inconclusive]), None);
        assert_eq!(reliability([]), None);
    }

    fn exchange(label: &str, latency_ms: i64, prompt: i64, cached: Option<i64>) -> Exchange {
        Exchange {
            label: label.into(),
            at: 0,
            status: Some(200),
            latency_ms,
            usage: Some(super::super::usage::Usage {
                prompt_tokens: Some(prompt),
                cached_tokens: cached,
                cache_creation_tokens: None,
                completion_tokens: Some(1),
            }),
            error: None,
            reply: None,
            request: serde_json::Value::Null,
            retries: 0,
        }
    }

    /// Scoring on the usage llama.cpp's server reported for an identical
    /// pair (581 prompt tokens, 580 cached on the repeat).
    #[test]
    fn results_score_recorded_exchanges() {
        let client = Client::new(Duration::from_secs(1)).expect("client");
        let endpoint = Endpoint {
            base_url: "http://127.0.0.1:9/v1".into(),
            api_key_env: None,
            profile: super::super::profile::Profile::builtin("openai").expect("profile"),
            stream: false,
        };
        let config = SuiteConfig::default();
        let mut budget = |_: i64| Ok(());
        let runner = Runner {
            client: &client,
            endpoint: &endpoint,
            model: "m",
            config: &config,
            nonce: "n".into(),
            budget: &mut budget,
            progress: None,
        };
        let pair = vec![
            exchange("cold", 2712, 581, Some(0)),
            exchange("warm", 40, 581, Some(580)),
        ];
        assert_eq!(hits(&pair[1]), Some(true));
        assert_eq!(hits(&pair[0]), Some(false));
        let r = runner.result(TestKind::Identical, pair, &[1], Ok((true, "ok".into())));
        assert_eq!(r.verdict, Verdict::Pass);
        assert!((r.hit_rate.expect("rate") - 580.0 / 581.0).abs() < 1e-9);
        assert_eq!((r.cold_ms, r.warm_ms), (Some(2712), Some(40)));
        // 580 tokens at $0.15 − $0.075 per million.
        assert!((r.saved_usd - 580.0 * 0.075 / 1e6).abs() < 1e-12);

        // Not reported is inconclusive, whatever the judgement said.
        let silent = vec![
            exchange("cold", 5, 581, None),
            exchange("warm", 5, 581, None),
        ];
        let r = runner.result(TestKind::Identical, silent, &[1], Ok((false, "x".into())));
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert_eq!(r.summary, "the provider does not report cached tokens");
        assert_eq!(r.hit_rate, None);
        // A failed request says which one and why.
        let mut broken = vec![exchange("cold", 5, 581, Some(0))];
        broken.push(Exchange {
            error: Some("HTTP 500: overloaded".into()),
            usage: None,
            ..exchange("warm", 5, 0, None)
        });
        let r = runner.result(TestKind::Identical, broken, &[1], Ok((false, "x".into())));
        assert_eq!(r.verdict, Verdict::Inconclusive);
        assert_eq!(r.summary, "warm: HTTP 500: overloaded");
    }

    #[test]
    fn the_estimate_counts_every_request_of_the_suite() {
        let mut c = SuiteConfig {
            tests: vec![TestKind::Identical],
            ..SuiteConfig::default()
        };
        // 1024 + 256 + 256 tokens of prompt, the overhead and one answer.
        assert_eq!(estimate(&c, 1024), 2 * (1536 + REQUEST_OVERHEAD + 1));
        c.tests = vec![TestKind::Ttl];
        assert_eq!(estimate(&c, 0), 10 * (512 + REQUEST_OVERHEAD + 1));
        c.tests = TestKind::ALL.to_vec();
        let all = estimate(&c, 1024);
        c.max_prompt_tokens = 1200;
        assert!(estimate(&c, 1024) < all);
    }

    #[test]
    fn every_sizes_rung_is_decidable() {
        for min in [0, 16, 64, 100, 1024, 4096] {
            for (tokens, should_hit) in size_rungs(min) {
                if should_hit {
                    assert!(tokens >= min + 64, "min {min}: {tokens}");
                } else {
                    // Far enough below the minimum, and the allowance well
                    // under the rung and under a hit.
                    assert!(tokens * 2 <= min, "min {min}: {tokens}");
                    let p = i64::from(tokens);
                    assert!(cold_allowance(p) * 2 < p, "min {min}: {tokens}");
                }
            }
        }
    }

    #[test]
    fn a_rung_below_the_minimum_that_is_cached_fails() {
        // The case: --min-tokens 64, 30 of 30 tokens cached.
        assert_eq!(judge_rung(64, false, 30, 30), Rung::Bad);
        assert_eq!(judge_rung(64, false, 30, 7), Rung::Good);
        assert_eq!(judge_rung(64, false, 30, 8), Rung::Bad);
        assert_eq!(judge_rung(1024, false, 530, 32), Rung::Good);
        assert_eq!(judge_rung(1024, false, 530, 33), Rung::Bad);
        // A provider counting the rung over its own minimum: undecided.
        assert!(matches!(judge_rung(64, false, 70, 0), Rung::Undecided(_)));
        assert!(matches!(
            judge_rung(1024, true, 1000, 1000),
            Rung::Undecided(_)
        ));
        assert_eq!(judge_rung(64, true, 300, 150), Rung::Good);
        assert_eq!(judge_rung(64, true, 300, 149), Rung::Bad);
    }

    #[test]
    fn test_names_round_trip() {
        for t in TestKind::ALL {
            assert_eq!(TestKind::parse(t.as_str()), Some(t));
        }
    }
}
