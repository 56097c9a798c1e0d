//! A simulated LLM provider with prompt caching, for the demo.
//!
//! It speaks enough of two hosted APIs for apiradar's caching checks to run
//! offline against it:
//!
//! - OpenAI-compatible: `GET /v1/models`, `POST /v1/chat/completions`
//!   (plain JSON, or server-sent events with `stream_options.include_usage`),
//!   reporting hits in `usage.prompt_tokens_details.cached_tokens`;
//! - Anthropic-style: `POST /v1/messages`, caching only up to the last
//!   `cache_control` marker and reporting `cache_read_input_tokens` and
//!   `cache_creation_input_tokens`.
//!
//! Nothing here is a model: replies are filler words. What is simulated is
//! the part a caching check measures — which prompt tokens the provider
//! reports as served from its cache, and the latency saved by that. Every
//! response carries `x-simulated: true`.
//!
//! Two models are offered, `sim-small` and `sim-large`. The second one obeys
//! [`SimConfig::outage`], so the demo can make its caching silently stop for
//! a while and apiradar shows the regression.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

/// The models the simulated provider serves.
pub const MODELS: [&str; 2] = ["sim-small", "sim-large"];

/// The model whose caching follows [`SimConfig::outage`].
pub const FLAKY_MODEL: &str = "sim-large";

/// The `system_fingerprint` of every chat completion.
pub const FINGERPRINT: &str = "apiradar-demo-sim";

/// At most this many tokens of one prompt are remembered.
const MAX_ENTRY_TOKENS: usize = 65_536;
/// At most this many prompts are remembered, whatever the config asks, so
/// the cache stays under about 64 MiB.
const MAX_SLOTS: usize = 256;
/// Replies never run longer than this many words (one token each).
const MAX_REPLY_WORDS: u64 = 64;
/// The reply length when the request sets no limit.
const DEFAULT_REPLY_WORDS: u64 = 16;
/// The simulated prefill time is capped, so a huge prompt can't stall a
/// demo request for minutes.
const MAX_LATENCY: Duration = Duration::from_secs(5);

/// Settings of the simulated provider.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Prompts shorter than this are never cached, and no hit is shorter.
    pub min_tokens: u32,
    /// Hits on the chat API are whole blocks of this many tokens (hosted
    /// providers use 128).
    pub block: u32,
    /// A cached prompt unused for this long is forgotten.
    pub ttl: Duration,
    /// How many distinct prompts are kept; the least recently used goes
    /// first. Zero turns caching off. Capped at 256.
    pub slots: usize,
    /// Simulated prefill time for each token not served from the cache …
    pub prefill_per_token: Duration,
    /// … on top of this, for every request.
    pub base_latency: Duration,
    /// When set, [`FLAKY_MODEL`] stops caching while this says so.
    pub outage: Option<Outage>,
    /// When set, requests must carry this key (`Authorization: Bearer`, or
    /// `x-api-key` on `/v1/messages`).
    pub api_key: Option<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            min_tokens: 256,
            block: 64,
            ttl: Duration::from_secs(60),
            slots: 16,
            prefill_per_token: Duration::from_micros(40),
            base_latency: Duration::from_millis(15),
            outage: None,
            api_key: None,
        }
    }
}

/// When [`FLAKY_MODEL`]'s cache is out of order. While it is, requests to
/// that model neither hit nor fill the cache, and still answer normally —
/// the "silent" failure a caching check is there to notice.
#[derive(Debug, Clone)]
pub enum Outage {
    /// Out of order while the flag is set; for tests and manual control.
    Switch(Arc<AtomicBool>),
    /// Out of order during `down` of every `period`, counted from `since`:
    /// e.g. `since: start, period: 5 × step, down: 3 × step .. 4 × step`
    /// fails in the fourth phase of a demo cycle.
    Periodic {
        since: Instant,
        period: Duration,
        down: Range<Duration>,
    },
}

impl Outage {
    /// Whether caching is out of order right now.
    pub fn is_down(&self) -> bool {
        self.is_down_at(Instant::now())
    }

    fn is_down_at(&self, now: Instant) -> bool {
        match self {
            Outage::Switch(flag) => flag.load(Ordering::Relaxed),
            Outage::Periodic {
                since,
                period,
                down,
            } => {
                let period = period.as_nanos();
                if period == 0 {
                    return false;
                }
                let into = now.saturating_duration_since(*since).as_nanos() % period;
                down.contains(&Duration::from_nanos(
                    u64::try_from(into).unwrap_or(u64::MAX),
                ))
            }
        }
    }
}

/// The router of the simulated provider, with its own cache. Paths start at
/// `/v1`; the demo nests it under a prefix of its own.
pub fn router(config: SimConfig) -> Router {
    let sim = Arc::new(Sim {
        config,
        cache: Mutex::new(Cache::default()),
        next_id: AtomicU64::new(1),
    });
    Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route("/v1/messages", post(messages))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_url", "no such path").openai()
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this path does not take that method",
            )
            .openai()
        })
        .with_state(sim)
}

// ---------------------------------------------------------------------------
// Tokens
//
// The tokenizer is deliberately crude but deterministic, so counts are
// stable across runs and easy to predict in tests:
//
// - each run of letters or digits is cut into pieces of at most six
//   characters, one token per piece;
// - every other visible character (punctuation, symbols) is a token;
// - a newline is a token; other whitespace only separates tokens;
// - a token's id is the FNV-1a hash of its text.
//
// A chat is rendered through a ChatML-like template before it is tokenized:
// every message becomes `<|im_start|>{role}\n{content}<|im_end|>\n`, where
// the two markers are single reserved tokens (they are inserted directly, so
// text that merely spells them is not mistaken for them). Prompts that share
// their leading messages therefore share a leading run of tokens, which is
// what prefix caching keys on. Tool definitions, when sent, come first as a
// message of role `tools` holding their compact JSON.

const IM_START: u32 = 1;
const IM_END: u32 = 2;
const NEWLINE: u32 = 3;
/// Ids below this are reserved for the tokens above.
const RESERVED: u32 = 16;
/// Letters and digits per token at most.
const PIECE_CHARS: usize = 6;

/// FNV-1a over the bytes of one piece.
struct PieceHash(u32);

impl PieceHash {
    fn new() -> Self {
        Self(0x811c_9dc5)
    }
    fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            self.0 ^= u32::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }
    fn id(&self) -> u32 {
        if self.0 < RESERVED {
            self.0 + RESERVED
        } else {
            self.0
        }
    }
}

/// Appends the tokens of `text` to `out`.
fn tokenize(text: &str, out: &mut Vec<u32>) {
    let mut piece = PieceHash::new();
    let mut len = 0;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if len == PIECE_CHARS {
                out.push(piece.id());
                piece = PieceHash::new();
                len = 0;
            }
            piece.push(c);
            len += 1;
            continue;
        }
        if len > 0 {
            out.push(piece.id());
            piece = PieceHash::new();
            len = 0;
        }
        if c == '\n' {
            out.push(NEWLINE);
        } else if !c.is_whitespace() {
            let mut one = PieceHash::new();
            one.push(c);
            out.push(one.id());
        }
    }
    if len > 0 {
        out.push(piece.id());
    }
}

fn open_message(role: &str, out: &mut Vec<u32>) {
    out.push(IM_START);
    tokenize(role, out);
    out.push(NEWLINE);
}

fn close_message(out: &mut Vec<u32>) {
    out.push(IM_END);
    out.push(NEWLINE);
}

/// Tokens of a content part that isn't plain text: its compact JSON, with
/// any cache marker left out (a marker doesn't change the prompt).
fn tokenize_part(part: &Value, out: &mut Vec<u32>) {
    match part.get("text").and_then(Value::as_str) {
        Some(text) if part.get("type").and_then(Value::as_str) == Some("text") => {
            tokenize(text, out)
        }
        _ => {
            let mut part = part.clone();
            if let Some(map) = part.as_object_mut() {
                map.remove("cache_control");
            }
            tokenize(&part.to_string(), out);
        }
    }
}

// ---------------------------------------------------------------------------
// Cache

/// Which API a prompt came through: the two render prompts differently, so
/// they don't share entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Chat,
    Messages,
}

struct Entry {
    api: Api,
    model: &'static str,
    tokens: Vec<u32>,
    used: Instant,
}

/// Remembered prompts, searched by longest shared prefix.
#[derive(Default)]
struct Cache {
    entries: Vec<Entry>,
}

impl Cache {
    /// How many leading tokens of `tokens` a live entry of the same API and
    /// model shares; the entry that shares most counts as used.
    fn lookup(
        &mut self,
        api: Api,
        model: &str,
        tokens: &[u32],
        ttl: Duration,
        now: Instant,
    ) -> usize {
        self.entries
            .retain(|e| now.saturating_duration_since(e.used) < ttl);
        let best = self
            .entries
            .iter_mut()
            .filter(|e| e.api == api && e.model == model)
            .map(|e| {
                let shared = e
                    .tokens
                    .iter()
                    .zip(tokens)
                    .take_while(|(a, b)| a == b)
                    .count();
                (shared, e)
            })
            .max_by_key(|(shared, _)| *shared);
        match best {
            Some((shared, entry)) if shared > 0 => {
                entry.used = now;
                shared
            }
            _ => 0,
        }
    }

    /// Remembers `tokens` (at most [`MAX_ENTRY_TOKENS`] of them). A prompt
    /// that extends an entry replaces it; one an entry already covers only
    /// refreshes it. Beyond `slots` entries the least recently used goes.
    fn store(&mut self, api: Api, model: &'static str, tokens: &[u32], slots: usize, now: Instant) {
        let slots = slots.min(MAX_SLOTS);
        if slots == 0 || tokens.is_empty() {
            return;
        }
        let tokens = &tokens[..tokens.len().min(MAX_ENTRY_TOKENS)];
        let related = self.entries.iter_mut().find(|e| {
            e.api == api
                && e.model == model
                && (e.tokens.starts_with(tokens) || tokens.starts_with(&e.tokens))
        });
        if let Some(entry) = related {
            if tokens.len() > entry.tokens.len() {
                entry.tokens = tokens.to_vec();
            }
            entry.used = now;
            return;
        }
        self.entries.push(Entry {
            api,
            model,
            tokens: tokens.to_vec(),
            used: now,
        });
        while self.entries.len() > slots {
            let oldest = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.used)
                .map(|(i, _)| i);
            match oldest {
                Some(i) => {
                    self.entries.swap_remove(i);
                }
                None => break,
            }
        }
    }
}

struct Sim {
    config: SimConfig,
    cache: Mutex<Cache>,
    next_id: AtomicU64,
}

impl Sim {
    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether `model` may use the cache now.
    fn caching_on(&self, model: &str) -> bool {
        let down = model == FLAKY_MODEL && self.config.outage.as_ref().is_some_and(Outage::is_down);
        !down && self.config.slots > 0
    }

    fn min_tokens(&self) -> usize {
        self.config.min_tokens as usize
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        // A panic while holding the lock can't leave the cache in a state
        // worse than stale, so a poisoned lock is simply taken over.
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Cached tokens of a chat prompt: the longest prefix shared with a
    /// remembered prompt, in whole blocks, and none below `min_tokens`.
    /// The prompt is then remembered.
    fn chat_hit(&self, model: &'static str, tokens: &[u32]) -> usize {
        if tokens.len() < self.min_tokens() || !self.caching_on(model) {
            return 0;
        }
        let now = Instant::now();
        let mut cache = self.cache();
        let shared = cache.lookup(Api::Chat, model, tokens, self.config.ttl, now);
        cache.store(Api::Chat, model, tokens, self.config.slots, now);
        let block = (self.config.block as usize).max(1);
        let hit = shared / block * block;
        if hit < self.min_tokens() { 0 } else { hit }
    }

    /// (read, created) tokens of a messages prompt. Only the prefix up to
    /// the last marker is cached; a hit ends on one of this prompt's block
    /// boundaries, as Anthropic's does, and whatever of the marked prefix
    /// was not read is written.
    fn messages_hit(&self, model: &'static str, prompt: &Rendered) -> (usize, usize) {
        let Some(marked) = prompt.last_marker else {
            return (0, 0);
        };
        if marked < self.min_tokens() || !self.caching_on(model) {
            return (0, 0);
        }
        let prefix = &prompt.tokens[..marked];
        let now = Instant::now();
        let mut cache = self.cache();
        let shared = cache.lookup(Api::Messages, model, prefix, self.config.ttl, now);
        cache.store(Api::Messages, model, prefix, self.config.slots, now);
        let read = prompt
            .boundaries
            .iter()
            .copied()
            .filter(|&b| b <= shared && b <= marked && b >= self.min_tokens())
            .max()
            .unwrap_or(0);
        (read, marked - read)
    }

    /// Waits as long as prefilling `uncached` tokens would take.
    async fn prefill(&self, uncached: usize) {
        let per_token = self
            .config
            .prefill_per_token
            .saturating_mul(u32::try_from(uncached).unwrap_or(u32::MAX));
        let wait = self
            .config
            .base_latency
            .saturating_add(per_token)
            .min(MAX_LATENCY);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Checks the key when one is configured. `x_api_key` also accepts the
    /// Anthropic header.
    fn authorize(&self, headers: &HeaderMap, x_api_key: bool) -> Result<(), ApiError> {
        let Some(expected) = &self.config.api_key else {
            return Ok(());
        };
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let given = if x_api_key {
            headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .or(bearer)
        } else {
            bearer
        };
        match given {
            Some(key) if key.trim() == expected => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "incorrect API key provided",
            )
            .kind("authentication_error")),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "no API key provided: send `Authorization: Bearer KEY`",
            )
            .kind("authentication_error")),
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// An error in the shape each API uses.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    kind: &'static str,
    code: &'static str,
    param: Option<&'static str>,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind: "invalid_request_error",
            code,
            param: None,
            message: message.into(),
        }
    }

    fn bad(code: &'static str, param: &'static str, message: impl Into<String>) -> Self {
        Self {
            param: Some(param),
            ..Self::new(StatusCode::BAD_REQUEST, code, message)
        }
    }

    fn kind(self, kind: &'static str) -> Self {
        Self { kind, ..self }
    }

    /// `{"error": {"message", "type", "param", "code"}}`.
    fn openai(self) -> Response {
        let body = json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }});
        json_response(self.status, &body)
    }

    /// `{"type": "error", "error": {"type", "message"}}`.
    fn anthropic(self) -> Response {
        let kind = match self.status {
            StatusCode::UNAUTHORIZED => "authentication_error",
            StatusCode::NOT_FOUND => "not_found_error",
            _ => "invalid_request_error",
        };
        let body = json!({"type": "error", "error": {"type": kind, "message": self.message}});
        json_response(self.status, &body)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-simulated"),
                HeaderValue::from_static("true"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

fn sse_response(body: String) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::HeaderName::from_static("x-simulated"),
                HeaderValue::from_static("true"),
            ),
        ],
        Body::from(body),
    )
        .into_response()
}

// ---------------------------------------------------------------------------
// Request parsing shared by both APIs

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("could not parse the JSON body of the request: {e}"),
        )),
    }
}

fn model(req: &Map<String, Value>) -> Result<&'static str, ApiError> {
    let Some(name) = req.get("model").and_then(Value::as_str) else {
        return Err(ApiError::bad(
            "missing_required_parameter",
            "model",
            "you must provide a model parameter",
        ));
    };
    MODELS.into_iter().find(|m| *m == name).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "model_not_found",
            format!(
                "the model `{name}` does not exist; this simulated provider serves {}",
                MODELS.join(" and ")
            ),
        )
    })
}

/// The reply length in words and whether the request's limit cut it.
fn reply_length(
    req: &Map<String, Value>,
    keys: &[&'static str],
    required: bool,
) -> Result<(u64, bool), ApiError> {
    let found = keys
        .iter()
        .find_map(|k| req.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)));
    match found {
        None if required => Err(ApiError::bad(
            "missing_required_parameter",
            keys[0],
            format!("{}: field required", keys[0]),
        )),
        None => Ok((DEFAULT_REPLY_WORDS, false)),
        Some((key, value)) => match value.as_u64() {
            Some(n) if n >= 1 => Ok((n.min(MAX_REPLY_WORDS), n <= MAX_REPLY_WORDS)),
            _ => Err(ApiError::bad(
                "invalid_value",
                key,
                format!("{key} must be a positive integer"),
            )),
        },
    }
}

/// Whether the request asks for a stream.
fn stream_flag(req: &Map<String, Value>) -> Result<bool, ApiError> {
    match req.get("stream") {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::bad(
            "invalid_type",
            "stream",
            "stream must be a boolean",
        )),
    }
}

const REPLY_WORDS: [&str; 12] = [
    "this", "is", "a", "reply", "from", "the", "demo", "cache", "sim", "prefix", "tokens", "ok",
];

/// The filler reply, `words` words of one token each.
fn reply_words(words: u64) -> Vec<&'static str> {
    (0..words)
        .map(|i| REPLY_WORDS[(i as usize) % REPLY_WORDS.len()])
        .collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------
// GET /v1/models

async fn models(State(sim): State<Arc<Sim>>, headers: HeaderMap) -> Response {
    if let Err(e) = sim.authorize(&headers, true) {
        return e.openai();
    }
    let data: Vec<Value> = MODELS
        .iter()
        .map(|id| {
            json!({
                "id": id,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "apiradar-demo (simulated)",
            })
        })
        .collect();
    json_response(StatusCode::OK, &json!({"object": "list", "data": data}))
}

// ---------------------------------------------------------------------------
// POST /v1/chat/completions

const CHAT_ROLES: [&str; 6] = [
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// The tokens of a chat request: tools, then each message, through the
/// template described above.
fn chat_tokens(req: &Map<String, Value>) -> Result<Vec<u32>, ApiError> {
    let messages = match req.get("messages") {
        None | Some(Value::Null) => {
            return Err(ApiError::bad(
                "missing_required_parameter",
                "messages",
                "you must provide a messages parameter",
            ));
        }
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_value",
                "messages",
                "messages must be a non-empty array",
            ));
        }
    };
    let mut out = Vec::new();
    match req.get("tools") {
        None | Some(Value::Null) => {}
        Some(tools @ Value::Array(_)) => {
            open_message("tools", &mut out);
            tokenize(&tools.to_string(), &mut out);
            close_message(&mut out);
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_type",
                "tools",
                "tools must be an array",
            ));
        }
    }
    for message in messages {
        let role = message.get("role").and_then(Value::as_str);
        let Some(role) = role.filter(|r| CHAT_ROLES.contains(r)) else {
            return Err(ApiError::bad(
                "invalid_value",
                "messages",
                format!(
                    "each message needs a role, one of {}",
                    CHAT_ROLES.join(", ")
                ),
            ));
        };
        open_message(role, &mut out);
        match message.get("content") {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => tokenize(text, &mut out),
            Some(Value::Array(parts)) => {
                for part in parts {
                    if !part.is_object() {
                        return Err(ApiError::bad(
                            "invalid_type",
                            "messages",
                            "content parts must be objects",
                        ));
                    }
                    tokenize_part(part, &mut out);
                }
            }
            Some(_) => {
                return Err(ApiError::bad(
                    "invalid_type",
                    "messages",
                    "message content must be a string, an array of parts or null",
                ));
            }
        }
        if let Some(calls) = message.get("tool_calls").filter(|v| !v.is_null()) {
            tokenize(&calls.to_string(), &mut out);
        }
        close_message(&mut out);
    }
    Ok(out)
}

async fn chat_completions(
    State(sim): State<Arc<Sim>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match chat(&sim, &headers, &body).await {
        Ok(response) => response,
        Err(e) => e.openai(),
    }
}

async fn chat(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    sim.authorize(headers, false)?;
    let req = parse_object(body)?;
    let model = model(&req)?;
    let tokens = chat_tokens(&req)?;
    let (words, limited) = reply_length(&req, &["max_completion_tokens", "max_tokens"], false)?;
    let stream = stream_flag(&req)?;
    let include_usage = match req.get("stream_options") {
        None | Some(Value::Null) => false,
        Some(options) if stream => options
            .get("include_usage")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_value",
                "stream_options",
                "stream_options is only allowed when stream is true",
            ));
        }
    };

    let cached = sim.chat_hit(model, &tokens);
    sim.prefill(tokens.len() - cached).await;

    let id = format!("chatcmpl-sim-{}", sim.next_id());
    let created = unix_now();
    let words = reply_words(words);
    let finish = if limited { "length" } else { "stop" };
    let usage = json!({
        "prompt_tokens": tokens.len(),
        "completion_tokens": words.len(),
        "total_tokens": tokens.len() + words.len(),
        "prompt_tokens_details": {"cached_tokens": cached},
    });
    if !stream {
        let body = json!({
            "id": id,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": words.join(" ")},
                "finish_reason": finish,
            }],
            "usage": usage,
        });
        return Ok(json_response(StatusCode::OK, &body));
    }

    // One chunk for the role, one per word, one with the finish reason,
    // then (when asked) one with no choices and the usage.
    let chunk = |choices: Value, usage: Value| {
        let mut c = json!({
            "id": id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "system_fingerprint": FINGERPRINT,
            "choices": choices,
        });
        if include_usage {
            c["usage"] = usage;
        }
        format!("data: {c}\n\n")
    };
    let mut out = chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
        Value::Null,
    );
    for (i, word) in words.iter().enumerate() {
        let piece = if i == 0 {
            (*word).to_string()
        } else {
            format!(" {word}")
        };
        out += &chunk(
            json!([{"index": 0, "delta": {"content": piece}, "finish_reason": null}]),
            Value::Null,
        );
    }
    out += &chunk(
        json!([{"index": 0, "delta": {}, "finish_reason": finish}]),
        Value::Null,
    );
    if include_usage {
        out += &chunk(json!([]), usage);
    }
    out += "data: [DONE]\n\n";
    Ok(sse_response(out))
}

// ---------------------------------------------------------------------------
// POST /v1/messages

/// A messages prompt: its tokens, where each content block ends, and where
/// the last block carrying `cache_control` ends.
#[derive(Debug, Default)]
struct Rendered {
    tokens: Vec<u32>,
    boundaries: Vec<usize>,
    last_marker: Option<usize>,
}

impl Rendered {
    /// Closes a block; `marked` when it carries a cache marker.
    fn end_block(&mut self, marked: bool) {
        self.boundaries.push(self.tokens.len());
        if marked {
            self.last_marker = Some(self.tokens.len());
        }
    }
}

fn has_marker(block: &Value) -> bool {
    block.get("cache_control").is_some_and(Value::is_object)
}

/// Adds the blocks of one content value (a string, or an array of blocks).
fn render_blocks(content: &Value, param: &'static str, out: &mut Rendered) -> Result<(), ApiError> {
    match content {
        Value::String(text) => {
            tokenize(text, &mut out.tokens);
            out.end_block(false);
        }
        Value::Array(blocks) => {
            for block in blocks {
                if block.get("type").and_then(Value::as_str).is_none() {
                    return Err(ApiError::bad(
                        "invalid_value",
                        param,
                        format!("{param}: each content block needs a type"),
                    ));
                }
                if block.get("type").and_then(Value::as_str) == Some("text")
                    && !block.get("text").is_some_and(Value::is_string)
                {
                    return Err(ApiError::bad(
                        "invalid_value",
                        param,
                        format!("{param}: a text block needs a text string"),
                    ));
                }
                tokenize_part(block, &mut out.tokens);
                out.end_block(has_marker(block));
            }
        }
        _ => {
            return Err(ApiError::bad(
                "invalid_type",
                param,
                format!("{param} must be a string or an array of content blocks"),
            ));
        }
    }
    Ok(())
}

/// Renders tools, system and messages, in the order Anthropic caches them.
fn render_messages(req: &Map<String, Value>) -> Result<Rendered, ApiError> {
    let mut out = Rendered::default();
    match req.get("tools") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tools)) => {
            open_message("tools", &mut out.tokens);
            for tool in tools {
                tokenize_part(tool, &mut out.tokens);
                out.end_block(has_marker(tool));
            }
            close_message(&mut out.tokens);
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_type",
                "tools",
                "tools must be an array",
            ));
        }
    }
    if let Some(system) = req.get("system").filter(|v| !v.is_null()) {
        open_message("system", &mut out.tokens);
        render_blocks(system, "system", &mut out)?;
        close_message(&mut out.tokens);
    }
    let messages = match req.get("messages") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        None | Some(Value::Null) => {
            return Err(ApiError::bad(
                "missing_required_parameter",
                "messages",
                "messages: field required",
            ));
        }
        Some(_) => {
            return Err(ApiError::bad(
                "invalid_value",
                "messages",
                "messages must be a non-empty array",
            ));
        }
    };
    for message in messages {
        let role = message.get("role").and_then(Value::as_str);
        let Some(role) = role.filter(|r| matches!(*r, "user" | "assistant")) else {
            return Err(ApiError::bad(
                "invalid_value",
                "messages",
                "each message needs a role, user or assistant (the system prompt goes in `system`)",
            ));
        };
        let Some(content) = message.get("content") else {
            return Err(ApiError::bad(
                "missing_required_parameter",
                "messages",
                "each message needs content",
            ));
        };
        open_message(role, &mut out.tokens);
        render_blocks(content, "messages", &mut out)?;
        close_message(&mut out.tokens);
    }
    // A marker on the request itself caches everything sent.
    if req.get("cache_control").is_some_and(Value::is_object) {
        out.last_marker = out.boundaries.last().copied();
    }
    Ok(out)
}

async fn messages(State(sim): State<Arc<Sim>>, headers: HeaderMap, body: Bytes) -> Response {
    match anthropic(&sim, &headers, &body).await {
        Ok(response) => response,
        Err(e) => e.anthropic(),
    }
}

async fn anthropic(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Result<Response, ApiError> {
    sim.authorize(headers, true)?;
    let req = parse_object(body)?;
    let model = model(&req)?;
    let (words, limited) = reply_length(&req, &["max_tokens"], true)?;
    let prompt = render_messages(&req)?;
    let stream = stream_flag(&req)?;

    let (read, created) = sim.messages_hit(model, &prompt);
    sim.prefill(prompt.tokens.len() - read).await;

    let id = format!("msg_sim_{}", sim.next_id());
    let words = reply_words(words);
    let stop = if limited { "max_tokens" } else { "end_turn" };
    let usage = json!({
        "input_tokens": prompt.tokens.len() - read - created,
        "cache_creation_input_tokens": created,
        "cache_read_input_tokens": read,
        "output_tokens": words.len(),
    });
    if !stream {
        let body = json!({
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": words.join(" ")}],
            "stop_reason": stop,
            "stop_sequence": null,
            "usage": usage,
        });
        return Ok(json_response(StatusCode::OK, &body));
    }

    // Anthropic's event sequence: the prompt's usage comes first, in
    // message_start, and the output count last, in message_delta.
    let event = |name: &str, data: Value| format!("event: {name}\ndata: {data}\n\n");
    let mut start_usage = usage.clone();
    start_usage["output_tokens"] = json!(1);
    let mut out = event(
        "message_start",
        json!({"type": "message_start", "message": {
            "id": id,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": start_usage,
        }}),
    );
    out += &event(
        "content_block_start",
        json!({"type": "content_block_start", "index": 0,
               "content_block": {"type": "text", "text": ""}}),
    );
    for (i, word) in words.iter().enumerate() {
        let piece = if i == 0 {
            (*word).to_string()
        } else {
            format!(" {word}")
        };
        out += &event(
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
                   "delta": {"type": "text_delta", "text": piece}}),
        );
    }
    out += &event(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    );
    out += &event(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": stop, "stop_sequence": null},
               "usage": {"output_tokens": words.len()}}),
    );
    out += &event("message_stop", json!({"type": "message_stop"}));
    Ok(sse_response(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many tokens `text` is.
    fn count_tokens(text: &str) -> usize {
        let mut out = Vec::new();
        tokenize(text, &mut out);
        out.len()
    }

    /// A test config: no simulated latency, so tests run fast.
    fn quick() -> SimConfig {
        SimConfig {
            prefill_per_token: Duration::ZERO,
            base_latency: Duration::ZERO,
            ..SimConfig::default()
        }
    }

    /// Serves `config` on 127.0.0.1 and returns the base URL.
    async fn start(config: SimConfig) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router(config)).await.unwrap();
        });
        format!("http://{addr}")
    }

    /// `n` distinct one-token words starting with `tag`.
    fn words(tag: &str, n: usize) -> String {
        (0..n)
            .map(|i| format!("{tag}{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn chat_body(model: &str, system: &str, user: &str) -> Value {
        json!({
            "model": model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "max_tokens": 8,
            "temperature": 0,
        })
    }

    /// A JSON POST (reqwest's `json` feature is off in this crate).
    fn request(client: &reqwest::Client, url: &str, body: &Value) -> reqwest::RequestBuilder {
        client
            .post(url)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    async fn read_json(response: reqwest::Response) -> Value {
        serde_json::from_str(&response.text().await.unwrap()).unwrap()
    }

    async fn post(url: &str, body: Value) -> (StatusCode, Value) {
        let response = request(&reqwest::Client::new(), url, &body)
            .send()
            .await
            .unwrap();
        let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
        (status, read_json(response).await)
    }

    async fn chat(base: &str, body: Value) -> Value {
        let (status, v) = post(&format!("{base}/v1/chat/completions"), body).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        v
    }

    fn cached(v: &Value) -> u64 {
        v["usage"]["prompt_tokens_details"]["cached_tokens"]
            .as_u64()
            .unwrap()
    }

    fn prompt(v: &Value) -> u64 {
        v["usage"]["prompt_tokens"].as_u64().unwrap()
    }

    /// Tokens of the template around one message: start, role, newline …
    /// end, newline.
    const OPEN: u64 = 3;
    const CLOSE: u64 = 2;

    #[test]
    fn tokenizer_is_deterministic_and_splits_long_words() {
        assert_eq!(count_tokens("hello, world!"), 4);
        assert_eq!(count_tokens("a  b\tc"), 3);
        assert_eq!(count_tokens("line\nnext"), 3);
        // 14 letters: pieces of 6, 6 and 2.
        assert_eq!(count_tokens("internationals"), 3);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        tokenize("same text", &mut a);
        tokenize("same text", &mut b);
        assert_eq!(a, b);
        tokenize("other", &mut b);
        assert_ne!(a, b);
        assert!(a.iter().all(|&t| t >= RESERVED));
    }

    #[test]
    fn chats_sharing_leading_messages_share_leading_tokens() {
        let first = chat_body("sim-small", "be brief", "one");
        let second = chat_body("sim-small", "be brief", "two");
        let (Value::Object(a), Value::Object(b)) = (first, second) else {
            panic!("objects");
        };
        let (a, b) = (chat_tokens(&a).unwrap(), chat_tokens(&b).unwrap());
        let shared = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
        // system message (3 + 2 + 2) and the user message's opening.
        assert_eq!(shared, 7 + 3);
        assert_eq!(a.len(), b.len());
    }

    #[tokio::test]
    async fn identical_prompt_is_cached_on_the_second_request() {
        let base = start(quick()).await;
        let body = chat_body("sim-small", &words("s", 400), "what now?");
        let first = chat(&base, body.clone()).await;
        assert_eq!(cached(&first), 0);
        let second = chat(&base, body).await;
        let total = prompt(&second);
        assert_eq!(total, prompt(&first));
        assert_eq!(cached(&second), total / 64 * 64);
        assert!(cached(&second) > 0);
        assert_eq!(second["system_fingerprint"], FINGERPRINT);
        assert_eq!(second["choices"][0]["finish_reason"], "length");
        assert_eq!(second["usage"]["completion_tokens"], 8);
        assert_eq!(second["usage"]["total_tokens"], total + 8);
    }

    #[tokio::test]
    async fn short_prompts_are_never_cached() {
        let base = start(quick()).await;
        let body = chat_body("sim-small", &words("s", 100), "hi");
        for _ in 0..3 {
            let v = chat(&base, body.clone()).await;
            assert!(prompt(&v) < 256);
            assert_eq!(cached(&v), 0);
        }
    }

    #[tokio::test]
    async fn a_shared_prefix_is_cached_up_to_the_changed_message() {
        let base = start(quick()).await;
        let system = words("s", 400);
        chat(&base, chat_body("sim-small", &system, "first question")).await;
        let v = chat(&base, chat_body("sim-small", &system, "another one")).await;
        // The system message and the opening of the user message match.
        let shared = OPEN + 400 + CLOSE + OPEN;
        assert_eq!(cached(&v), shared / 64 * 64);
    }

    #[tokio::test]
    async fn a_change_at_position_k_caps_the_hit_near_k() {
        let base = start(quick()).await;
        let original: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        chat(&base, chat_body("sim-small", &original.join(" "), "q")).await;

        let mut changed = original.clone();
        changed[700] = "zzz".into();
        let v = chat(&base, chat_body("sim-small", &changed.join(" "), "q")).await;
        assert_eq!(cached(&v), (OPEN + 700) / 64 * 64);

        // A change early on leaves less than min_tokens in common.
        let mut early = original.clone();
        early[100] = "zzz".into();
        let v = chat(&base, chat_body("sim-small", &early.join(" "), "q")).await;
        assert_eq!(cached(&v), 0);
    }

    #[tokio::test]
    async fn entries_expire_after_the_ttl() {
        let base = start(SimConfig {
            ttl: Duration::from_millis(300),
            ..quick()
        })
        .await;
        let body = chat_body("sim-small", &words("s", 400), "q");
        chat(&base, body.clone()).await;
        assert!(cached(&chat(&base, body.clone()).await) > 0);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(cached(&chat(&base, body).await), 0);
    }

    #[tokio::test]
    async fn with_one_slot_a_different_prompt_evicts() {
        let a = chat_body("sim-small", &words("a", 400), "q");
        let b = chat_body("sim-small", &words("b", 400), "q");

        let base = start(SimConfig {
            slots: 1,
            ..quick()
        })
        .await;
        chat(&base, a.clone()).await;
        chat(&base, b.clone()).await;
        assert_eq!(cached(&chat(&base, a.clone()).await), 0);

        let base = start(SimConfig {
            slots: 2,
            ..quick()
        })
        .await;
        chat(&base, a.clone()).await;
        chat(&base, b).await;
        assert!(cached(&chat(&base, a).await) > 0);
    }

    #[tokio::test]
    async fn models_do_not_share_cache_entries() {
        let base = start(quick()).await;
        let system = words("s", 400);
        chat(&base, chat_body("sim-small", &system, "q")).await;
        let v = chat(&base, chat_body("sim-large", &system, "q")).await;
        assert_eq!(cached(&v), 0);
    }

    /// The `data:` payloads of a server-sent event stream.
    fn events(text: &str) -> Vec<&str> {
        text.lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .collect()
    }

    #[tokio::test]
    async fn a_stream_ends_with_usage_then_done() {
        let base = start(quick()).await;
        let mut body = chat_body("sim-small", &words("s", 400), "q");
        body["stream"] = true.into();
        body["stream_options"] = json!({"include_usage": true});
        let url = format!("{base}/v1/chat/completions");
        let client = reqwest::Client::new();
        request(&client, &url, &body).send().await.unwrap();
        let response = request(&client, &url, &body).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["x-simulated"], "true");
        let text = response.text().await.unwrap();
        let data = events(&text);
        assert_eq!(data.last(), Some(&"[DONE]"));

        let last: Value = serde_json::from_str(data[data.len() - 2]).unwrap();
        assert_eq!(last["choices"], json!([]));
        let total = prompt(&last);
        assert_eq!(cached(&last), total / 64 * 64);
        assert_eq!(last["usage"]["completion_tokens"], 8);

        let chunks: Vec<Value> = data[..data.len() - 2]
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        assert!(chunks.iter().all(|c| c["usage"].is_null()));
        assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
        let reply: String = chunks
            .iter()
            .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
            .collect();
        assert_eq!(reply.split(' ').count(), 8);
        assert_eq!(
            chunks.last().unwrap()["choices"][0]["finish_reason"],
            "length"
        );

        // Without include_usage no chunk carries usage.
        body["stream_options"] = json!({"include_usage": false});
        let text = request(&client, &url, &body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!text.contains("\"usage\""), "{text}");
        assert!(text.ends_with("data: [DONE]\n\n"));
    }

    fn messages_body(system: &str, user: &str, mark_user: bool) -> Value {
        let mut user_block = json!({"type": "text", "text": user});
        if mark_user {
            user_block["cache_control"] = json!({"type": "ephemeral"});
        }
        json!({
            "model": "sim-small",
            "max_tokens": 8,
            "system": [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": [user_block]}],
        })
    }

    async fn message(base: &str, body: Value) -> (u64, u64, u64) {
        let (status, v) = post(&format!("{base}/v1/messages"), body).await;
        assert_eq!(status, StatusCode::OK, "{v}");
        let u = &v["usage"];
        assert_eq!(v["type"], "message");
        assert_eq!(u["output_tokens"], 8);
        assert_eq!(v["stop_reason"], "max_tokens");
        (
            u["input_tokens"].as_u64().unwrap(),
            u["cache_read_input_tokens"].as_u64().unwrap(),
            u["cache_creation_input_tokens"].as_u64().unwrap(),
        )
    }

    #[tokio::test]
    async fn messages_cache_up_to_the_last_marker() {
        let base = start(quick()).await;
        let system = words("s", 400);
        let user = words("u", 300);
        // The marked system block ends after its opening and 400 words.
        let marked = OPEN + 400;
        let total = marked + CLOSE + OPEN + 300 + CLOSE;

        // First: the marked prefix is written, the rest is plain input.
        let (input, read, created) = message(&base, messages_body(&system, &user, false)).await;
        assert_eq!((read, created), (0, marked));
        assert_eq!(input, total - marked);

        // A different question reads the system prompt back.
        let other = words("v", 300);
        let (input, read, created) = message(&base, messages_body(&system, &other, false)).await;
        assert_eq!((input, read, created), (total - marked, marked, 0));

        // Marking the question as well writes it past the system prompt …
        let (input, read, created) = message(&base, messages_body(&system, &user, true)).await;
        let whole = total - CLOSE;
        assert_eq!((read, created), (marked, whole - marked));
        assert_eq!(input, CLOSE);

        // … and the next identical request reads all of it.
        let (input, read, created) = message(&base, messages_body(&system, &user, true)).await;
        assert_eq!((input, read, created), (CLOSE, whole, 0));

        // Without any marker nothing is cached or written.
        let mut bare = messages_body(&system, &user, false);
        bare["system"] = json!(system);
        let (input, read, created) = message(&base, bare).await;
        assert_eq!((input, read, created), (total, 0, 0));
    }

    #[tokio::test]
    async fn a_messages_stream_carries_usage_in_message_start() {
        let base = start(quick()).await;
        let mut body = messages_body(&words("s", 400), "q", false);
        body["stream"] = true.into();
        let url = format!("{base}/v1/messages");
        let client = reqwest::Client::new();
        request(&client, &url, &body).send().await.unwrap();
        let text = request(&client, &url, &body)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let data: Vec<Value> = events(&text)
            .iter()
            .map(|d| serde_json::from_str(d).unwrap())
            .collect();
        assert_eq!(data[0]["type"], "message_start");
        assert_eq!(
            data[0]["message"]["usage"]["cache_read_input_tokens"],
            OPEN + 400
        );
        let end = &data[data.len() - 2];
        assert_eq!(end["type"], "message_delta");
        assert_eq!(end["usage"]["output_tokens"], 8);
        assert_eq!(data[data.len() - 1]["type"], "message_stop");
        assert!(text.starts_with("event: message_start\n"));
    }

    #[tokio::test]
    async fn the_outage_switch_stops_caching_for_sim_large_only() {
        let flag = Arc::new(AtomicBool::new(false));
        let base = start(SimConfig {
            outage: Some(Outage::Switch(flag.clone())),
            ..quick()
        })
        .await;
        let large = chat_body("sim-large", &words("s", 400), "q");
        let small = chat_body("sim-small", &words("s", 400), "q");
        chat(&base, large.clone()).await;
        chat(&base, small.clone()).await;
        assert!(cached(&chat(&base, large.clone()).await) > 0);

        flag.store(true, Ordering::Relaxed);
        for _ in 0..2 {
            let v = chat(&base, large.clone()).await;
            assert_eq!(cached(&v), 0);
            assert_eq!(v["choices"][0]["finish_reason"], "length");
        }
        assert!(cached(&chat(&base, small).await) > 0);

        flag.store(false, Ordering::Relaxed);
        assert!(cached(&chat(&base, large).await) > 0);
    }

    #[test]
    fn a_periodic_outage_is_down_inside_its_window() {
        let since = Instant::now();
        let outage = Outage::Periodic {
            since,
            period: Duration::from_secs(10),
            down: Duration::from_secs(6)..Duration::from_secs(8),
        };
        let at = |s: u64| outage.is_down_at(since + Duration::from_secs(s));
        assert!(!at(0) && !at(5) && at(6) && at(7) && !at(8));
        assert!(at(16) && !at(19) && at(27));
        let never = Outage::Periodic {
            since,
            period: Duration::ZERO,
            down: Duration::ZERO..Duration::from_secs(1),
        };
        assert!(!never.is_down());
    }

    #[tokio::test]
    async fn bad_input_gets_json_errors() {
        let base = start(quick()).await;
        let url = format!("{base}/v1/chat/completions");
        let client = reqwest::Client::new();
        let raw = |body: &'static str| {
            let client = client.clone();
            let url = url.clone();
            async move {
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), read_json(r).await)
            }
        };
        let (status, v) = raw("{\"model\": ").await;
        assert_eq!(
            (status, v["error"]["code"].as_str()),
            (400, Some("invalid_json"))
        );
        let (status, _) = raw("[1, 2]").await;
        assert_eq!(status, 400);

        let cases = [
            (
                json!({"model": "sim-small"}),
                400,
                "missing_required_parameter",
            ),
            (
                json!({"model": "sim-small", "messages": []}),
                400,
                "invalid_value",
            ),
            (
                json!({"model": "sim-small", "messages": "hi"}),
                400,
                "invalid_value",
            ),
            (
                json!({"messages": [{"role": "user", "content": "hi"}]}),
                400,
                "missing_required_parameter",
            ),
            (
                json!({"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}),
                404,
                "model_not_found",
            ),
            (
                json!({"model": "sim-small", "messages": [{"role": "robot", "content": "hi"}]}),
                400,
                "invalid_value",
            ),
            (
                json!({"model": "sim-small", "messages": [{"role": "user", "content": 7}]}),
                400,
                "invalid_type",
            ),
            (
                json!({"model": "sim-small", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}),
                400,
                "invalid_value",
            ),
            (
                json!({"model": "sim-small", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}),
                400,
                "invalid_type",
            ),
            (
                json!({"model": "sim-small", "messages": [{"role": "user", "content": "hi"}], "stream_options": {"include_usage": true}}),
                400,
                "invalid_value",
            ),
        ];
        for (body, status, code) in cases {
            let (got, v) = post(&url, body.clone()).await;
            assert_eq!(got.as_u16(), status, "{body}: {v}");
            assert_eq!(v["error"]["code"], code, "{body}: {v}");
            assert_eq!(v["error"]["type"], "invalid_request_error");
            assert!(v["error"]["message"].is_string());
        }

        // Anthropic-shaped errors on /v1/messages.
        let murl = format!("{base}/v1/messages");
        let ok_messages = json!([{"role": "user", "content": "hi"}]);
        let cases = [
            (json!({"model": "sim-small", "messages": ok_messages}), 400),
            (
                json!({"model": "nope", "max_tokens": 5, "messages": ok_messages}),
                404,
            ),
            (
                json!({"model": "sim-small", "max_tokens": 5, "messages": [{"role": "system", "content": "x"}]}),
                400,
            ),
            (
                json!({"model": "sim-small", "max_tokens": 5, "messages": [{"role": "user", "content": [{"text": "x"}]}]}),
                400,
            ),
        ];
        for (body, status) in cases {
            let (got, v) = post(&murl, body.clone()).await;
            assert_eq!(got.as_u16(), status, "{body}: {v}");
            assert_eq!(v["type"], "error", "{v}");
            assert!(v["error"]["message"].is_string());
        }

        // Unknown paths and methods answer in JSON too.
        let r = client
            .get(format!("{base}/v1/nothing"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
        assert!(read_json(r).await["error"].is_object());
        let r = client.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 405);
    }

    #[tokio::test]
    async fn a_configured_key_is_required() {
        let base = start(SimConfig {
            api_key: Some("sekrit".into()),
            ..quick()
        })
        .await;
        let url = format!("{base}/v1/chat/completions");
        let body = chat_body("sim-small", "hi", "there");
        let client = reqwest::Client::new();
        let send = |key: Option<&'static str>| {
            let mut req = request(&client, &url, &body);
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            async move { req.send().await.unwrap() }
        };
        let r = send(None).await;
        assert_eq!(r.status(), 401);
        assert_eq!(read_json(r).await["error"]["type"], "authentication_error");
        assert_eq!(send(Some("wrong")).await.status(), 401);
        assert_eq!(send(Some("sekrit")).await.status(), 200);

        let m = request(
            &client,
            &format!("{base}/v1/messages"),
            &messages_body("hi", "there", false),
        )
        .header("x-api-key", "sekrit")
        .send()
        .await
        .unwrap();
        assert_eq!(m.status(), 200);
        let models = client
            .get(format!("{base}/v1/models"))
            .bearer_auth("sekrit")
            .send()
            .await
            .unwrap();
        assert_eq!(models.status(), 200);
    }

    #[tokio::test]
    async fn models_lists_both_simulated_models() {
        let base = start(quick()).await;
        let r = reqwest::get(format!("{base}/v1/models")).await.unwrap();
        assert_eq!(r.headers()["x-simulated"], "true");
        let v = read_json(r).await;
        assert_eq!(v["object"], "list");
        let ids: Vec<&str> = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|m| m["id"].as_str())
            .collect();
        assert_eq!(ids, MODELS);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let mut cache = Cache::default();
        let now = Instant::now();
        let long: Vec<u32> = (0..MAX_ENTRY_TOKENS as u32 + 10).collect();
        cache.store(Api::Chat, "sim-small", &long, 10_000, now);
        assert_eq!(cache.entries[0].tokens.len(), MAX_ENTRY_TOKENS);
        for i in 0..MAX_SLOTS as u32 + 20 {
            cache.store(Api::Chat, "sim-small", &[i + 1_000_000], 10_000, now);
        }
        assert_eq!(cache.entries.len(), MAX_SLOTS);
    }
}
