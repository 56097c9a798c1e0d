//! Sending one chat request and keeping the evidence: the body sent, the
//! status, the latency and the usage reported, with `429 Too Many
//! Requests` waited out as `Retry-After` says.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use super::profile::{Api, Auth, Profile};
use super::usage::{self, Usage};

/// Where a suite sends its requests.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Up to, not including, `/chat/completions` or `/messages`.
    pub base_url: String,
    /// The environment variable holding the key (never the key itself).
    pub api_key_env: Option<String>,
    pub profile: Profile,
    /// Ask for a streamed answer and read usage from its final chunk.
    pub stream: bool,
}

impl Endpoint {
    pub fn url(&self) -> String {
        let base = self.base_url.trim_end_matches('/');
        match self.profile.api {
            Api::Chat => format!("{base}/chat/completions"),
            Api::Messages => format!("{base}/messages"),
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message {
            role: "system",
            content: content.into(),
        }
    }
    pub fn user(content: impl Into<String>) -> Message {
        Message {
            role: "user",
            content: content.into(),
        }
    }
    pub fn assistant(content: impl Into<String>) -> Message {
        Message {
            role: "assistant",
            content: content.into(),
        }
    }
}

/// One request and what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// What the test meant by it (`cold`, `warm`, `probe 30s`…).
    pub label: String,
    pub at: i64,
    pub status: Option<u16>,
    pub latency_ms: i64,
    pub usage: Option<Usage>,
    /// Why it failed (transport, HTTP status with the provider's message).
    pub error: Option<String>,
    /// The answer's text, for conversations that go on.
    #[serde(skip)]
    pub reply: Option<String>,
    /// The body sent, for the reproducible `curl` command.
    pub request: Value,
    /// `429` answers waited out before this one.
    pub retries: u32,
}

impl Exchange {
    pub fn cached(&self) -> Option<i64> {
        self.usage.and_then(|u| u.cached_tokens)
    }
    pub fn prompt(&self) -> Option<i64> {
        self.usage.and_then(|u| u.prompt_tokens)
    }
}

/// The request body for `messages` to `model`.
pub fn body(endpoint: &Endpoint, model: &str, messages: &[Message], max_tokens: u32) -> Value {
    match endpoint.profile.api {
        Api::Chat => {
            let mut b = json!({
                "model": model,
                "messages": messages,
                "max_tokens": max_tokens,
                "temperature": 0,
            });
            if endpoint.stream {
                b["stream"] = true.into();
                b["stream_options"] = json!({"include_usage": true});
            }
            b
        }
        Api::Messages => {
            // The system prompt and the last message carry cache markers:
            // the first caches a shared prefix, the second the whole prompt.
            let marker = json!({"type": "ephemeral"});
            let system: Vec<Value> = messages
                .iter()
                .filter(|m| m.role == "system")
                .map(|m| json!({"type": "text", "text": m.content, "cache_control": marker}))
                .collect();
            let rest: Vec<&Message> = messages.iter().filter(|m| m.role != "system").collect();
            let turns: Vec<Value> = rest
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let mut block = json!({"type": "text", "text": m.content});
                    if i + 1 == rest.len() {
                        block["cache_control"] = marker.clone();
                    }
                    json!({"role": m.role, "content": [block]})
                })
                .collect();
            let mut b = json!({
                "model": model,
                "max_tokens": max_tokens,
                "temperature": 0,
                "messages": turns,
            });
            if !system.is_empty() {
                b["system"] = system.into();
            }
            if endpoint.stream {
                b["stream"] = true.into();
            }
            b
        }
    }
}

/// Quotes `s` for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The parts of a `curl` command to the endpoint before its body: the
/// URL, then each header, with the key as `$VAR`.
fn curl_head(endpoint: &Endpoint) -> Vec<String> {
    let mut parts = vec![
        format!("curl -sS {}", shell_quote(&endpoint.url())),
        "-H 'content-type: application/json'".to_owned(),
    ];
    if let Some(var) = &endpoint.api_key_env {
        match endpoint.profile.auth {
            Auth::Bearer => parts.push(format!("-H \"Authorization: Bearer ${var}\"")),
            Auth::XApiKey => {
                parts.push(format!("-H \"x-api-key: ${var}\""));
                parts.push("-H 'anthropic-version: 2023-06-01'".to_owned());
            }
        }
    } else if endpoint.profile.auth == Auth::XApiKey {
        parts.push("-H 'anthropic-version: 2023-06-01'".to_owned());
    }
    parts
}

/// A `curl` command that repeats `request`, with the key as `$VAR` and the
/// body inline (one long line).
pub fn curl(endpoint: &Endpoint, request: &Value) -> String {
    format!(
        "{} -d {}",
        curl_head(endpoint).join(" "),
        shell_quote(&request.to_string())
    )
}

/// A `curl` command that sends the body kept in the file `body_path`.
pub fn curl_file(endpoint: &Endpoint, body_path: &str) -> String {
    format!(
        "{} --data-binary @{}",
        curl_head(endpoint).join(" "),
        shell_quote(body_path)
    )
}

/// A `curl` command that repeats `request`, one option a line (continued
/// with `\`), with the body pretty-printed in a heredoc after it: one
/// paste in a shell, short lines but for the prompt's own text.
pub fn curl_heredoc(endpoint: &Endpoint, request: &Value) -> String {
    let body = serde_json::to_string_pretty(request).unwrap_or_else(|_| request.to_string());
    let mut parts = curl_head(endpoint);
    parts.push("--data-binary @- <<'JSON'".to_owned());
    // JSON never has a line that is only `JSON`: its strings are quoted.
    format!("{}\n{body}\nJSON", parts.join(" \\\n  "))
}

/// Sends chat requests.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    /// The longest `Retry-After` honoured; longer waits fail the request.
    pub max_retry_wait: Duration,
    /// `429` answers waited out per request.
    pub max_retries: u32,
    /// The largest response read.
    pub max_body: usize,
}

impl Client {
    pub fn new(timeout: Duration) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("apiradar/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(10).min(timeout))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            max_retry_wait: Duration::from_secs(60),
            max_retries: 3,
            max_body: 4 << 20,
        })
    }

    /// The underlying HTTP client, for side requests (balances).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends `request` (a body from [`body`]) and reads the usage.
    pub async fn send(&self, endpoint: &Endpoint, label: &str, request: Value) -> Exchange {
        let mut exchange = Exchange {
            label: label.to_owned(),
            at: crate::store::now_ms(),
            status: None,
            latency_ms: 0,
            usage: None,
            error: None,
            reply: None,
            request,
            retries: 0,
        };
        let key = match &endpoint.api_key_env {
            Some(var) => match std::env::var(var) {
                Ok(k) => {
                    crate::fetch::remember_secret(&k);
                    Some(k)
                }
                Err(_) => {
                    exchange.error = Some(format!("the key variable {var} is not set"));
                    return exchange;
                }
            },
            None => None,
        };
        // A kept-alive connection the server has closed meanwhile fails
        // before anything was answered; such a request is sent once more,
        // on a fresh connection.
        let mut stale_retried = false;
        loop {
            let mut req = self
                .http
                .post(endpoint.url())
                .header("content-type", "application/json")
                .body(exchange.request.to_string());
            match (endpoint.profile.auth, &key) {
                (Auth::Bearer, Some(k)) => req = req.bearer_auth(k),
                (Auth::XApiKey, k) => {
                    req = req.header("anthropic-version", "2023-06-01");
                    if let Some(k) = k {
                        req = req.header("x-api-key", k);
                    }
                }
                (Auth::Bearer, None) => {}
            }
            exchange.at = crate::store::now_ms();
            let started = Instant::now();
            let result = self.read(req).await;
            exchange.latency_ms = started.elapsed().as_millis() as i64;
            let (status, retry_after, bytes) = match result {
                Ok(r) => r,
                Err(e) if !stale_retried && e.ends_with(STALE_CONNECTION) => {
                    stale_retried = true;
                    tracing::debug!("{e}: sending again on a new connection");
                    continue;
                }
                Err(e) => {
                    let e = match &key {
                        Some(k) if !k.is_empty() => e.replace(k.as_str(), "***"),
                        _ => e,
                    };
                    exchange.error = Some(e);
                    return exchange;
                }
            };
            exchange.status = Some(status);
            if status == 429 && exchange.retries < self.max_retries {
                let wait = retry_after.unwrap_or(Duration::from_secs(5));
                if wait <= self.max_retry_wait {
                    exchange.retries += 1;
                    tracing::info!(wait = ?wait, "rate limited; waiting as Retry-After says");
                    tokio::time::sleep(wait).await;
                    continue;
                }
            }
            if !(200..300).contains(&status) {
                exchange.error = Some(format!("HTTP {status}: {}", error_message(&bytes)));
                return exchange;
            }
            let field = &endpoint.profile.cached_field;
            let looks_streamed = bytes.starts_with(b"data:") || bytes.starts_with(b"event:");
            if endpoint.stream || looks_streamed {
                exchange.usage = usage::parse_stream(&bytes, field);
                exchange.reply = Some(stream_text(&bytes));
            } else {
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => {
                        exchange.usage = usage::parse(&v, field);
                        exchange.reply = reply_text(&v);
                    }
                    Err(_) => {
                        exchange.error =
                            Some(format!("the answer is not JSON: {}", error_message(&bytes)));
                        return exchange;
                    }
                }
            }
            if exchange.usage.is_none() {
                exchange.error = Some("the answer reports no token usage".to_owned());
            }
            return exchange;
        }
    }

    /// Status, `Retry-After`, and the body up to [`Client::max_body`].
    async fn read(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, Option<Duration>, Vec<u8>), String> {
        let mut resp = req.send().await.map_err(|e| describe(&e))?;
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let mut bytes = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("the answer broke off: {e}"))?
        {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(format!("the answer is larger than {} bytes", self.max_body));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok((status, retry_after, bytes))
    }
}

/// How hyper reports a kept-alive connection that the server closed
/// before it answered (llama.cpp's server does so after a streamed answer).
const STALE_CONNECTION: &str = "connection closed before message completed";

/// A transport error in one line, with its cause.
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    let mut cause = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        format!("{what}: {e}")
    } else {
        format!("{what}: {cause}")
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The provider's error message, or the start of the body.
fn error_message(bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        let msg = v
            .pointer("/error/message")
            .or_else(|| v.get("error"))
            .or_else(|| v.get("message"))
            .and_then(Value::as_str);
        if let Some(m) = msg {
            return m.chars().take(300).collect();
        }
    }
    let text = String::from_utf8_lossy(bytes);
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(200).collect()
}

fn reply_text(v: &Value) -> Option<String> {
    v.pointer("/choices/0/message/content")
        .or_else(|| v.pointer("/content/0/text"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn stream_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<Value>(data) {
            let piece = v
                .pointer("/choices/0/delta/content")
                .or_else(|| v.pointer("/delta/text"))
                .and_then(Value::as_str);
            out.push_str(piece.unwrap_or(""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(profile: &str) -> Endpoint {
        Endpoint {
            base_url: "https://api.example.com/v1/".into(),
            api_key_env: Some("EXAMPLE_KEY".into()),
            profile: Profile::builtin(profile).expect("profile"),
            stream: false,
        }
    }

    #[test]
    fn bodies_follow_the_api_shape() {
        let msgs = [Message::system("rules"), Message::user("hi")];
        let e = endpoint("openai");
        let b = body(&e, "m", &msgs, 1);
        assert_eq!(e.url(), "https://api.example.com/v1/chat/completions");
        assert_eq!(b["messages"][1]["content"], "hi");
        assert!(b.get("stream").is_none());
        let e = endpoint("anthropic");
        let b = body(&e, "m", &msgs, 1);
        assert_eq!(e.url(), "https://api.example.com/v1/messages");
        assert_eq!(b["system"][0]["cache_control"]["type"], "ephemeral");
        assert_eq!(
            b["messages"][0]["content"][0]["cache_control"]["type"],
            "ephemeral"
        );
        assert_eq!(b["messages"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn curl_names_the_variable_never_the_key() {
        let e = endpoint("openai");
        let c = curl(&e, &json!({"messages": [{"content": "it's"}]}));
        assert!(c.contains("Bearer $EXAMPLE_KEY"), "{c}");
        assert!(c.contains(r#"it'\''s"#), "{c}");
        let c = curl(&endpoint("anthropic"), &json!({}));
        assert!(c.contains("x-api-key: $EXAMPLE_KEY"), "{c}");
        let c = curl_file(&e, "out/it's.json");
        assert!(c.ends_with(r#"--data-binary @'out/it'\''s.json'"#), "{c}");
        assert!(c.len() < 200, "{c}");
        let c = curl_heredoc(
            &e,
            &json!({"model": "m", "messages": [{"content": "JSON"}]}),
        );
        let lines: Vec<&str> = c.lines().collect();
        assert!(
            lines[0].starts_with("curl -sS 'https://api.example.com/v1/chat/completions' \\"),
            "{c}"
        );
        assert_eq!(
            lines[2], "  -H \"Authorization: Bearer $EXAMPLE_KEY\" \\",
            "{c}"
        );
        assert_eq!(lines[3], "  --data-binary @- <<'JSON'", "{c}");
        assert_eq!(lines.last(), Some(&"JSON"));
        assert_eq!(lines.iter().filter(|l| **l == "JSON").count(), 1, "{c}");
        assert!(lines.iter().all(|l| l.len() < 120), "{c}");
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn provider_errors_are_one_line() {
        let m = error_message(br#"{"error":{"message":"model not found","type":"x"}}"#);
        assert_eq!(m, "model not found");
        assert_eq!(
            error_message(b"<html>\n<body>Login</body>"),
            "<html> <body>Login</body>"
        );
    }
}
