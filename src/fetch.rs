//! Getting one document for a watch, from an http(s) URL or a local file.
//!
//! Everything that comes back is untrusted, so the fetcher is defensive:
//!
//! - bodies are capped while they stream, after transparent gzip/brotli/deflate
//!   decoding, so a small compressed bomb cannot make us hold gigabytes;
//! - only transient failures (refused or dropped connections, timeouts, 429
//!   and 500/502/503/504) are retried, with jittered exponential backoff, and a
//!   server's `Retry-After` is honoured up to a limit;
//! - every error is one line naming what failed and what the user can do, with
//!   no header values in it and no `user:password@` part in any URL;
//! - redirects are followed here rather than inside reqwest, so the watch's own
//!   headers (which often carry API keys) are only ever sent to the origin the
//!   watch names. reqwest's built-in policy only strips `Authorization` and
//!   cookies on a cross-host hop, and would forward e.g. `X-Api-Key`.

use std::borrow::Cow;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Response, StatusCode, redirect};
use tokio::io::AsyncReadExt;
use tracing::debug;
use url::Url;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// What a response body may be at most before we start reserving memory for it
/// up front; beyond this the buffer grows as bytes actually arrive.
const MAX_PREALLOC: u64 = 8 * MIB;

/// Spellings of a secret at least this long are hidden wherever they
/// appear; shorter ones only where they stand as a whole token (see
/// [`Scrubber`]), so a two-letter secret does not eat every word it is part
/// of.
const MIN_SCRUB_LEN: usize = 6;

/// What a hidden secret is replaced with.
const HIDDEN: &str = "***";

/// The `Accept` header sent unless the watch sets its own.
const DEFAULT_ACCEPT: &str = "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.8";

// ---------------------------------------------------------------------------
// Locations

/// Where a watch's document lives.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An `http://` or `https://` URL.
    Url(Url),
    /// A local file; relative paths are kept as given and resolved against
    /// the current directory when read.
    File(PathBuf),
}

impl Location {
    /// Reads a location as a user wrote it.
    ///
    /// `http://` and `https://` give a URL; `file:///path` and anything
    /// without a `scheme://` prefix give a file path. Other schemes (`ftp://`
    /// and the like) are refused.
    pub fn parse(s: &str) -> Result<Location, FetchError> {
        if s.trim().is_empty() {
            return Err(FetchError::new(
                ErrorClass::Invalid,
                "empty location: give an http:// or https:// URL or a file path",
            ));
        }
        let Some(scheme) = url_scheme(s) else {
            return Ok(Location::File(PathBuf::from(s)));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "http" | "https" => {
                let url = Url::parse(s.trim()).map_err(|e| {
                    FetchError::new(
                        ErrorClass::Invalid,
                        format!("invalid URL `{}`: {e}", redact_raw(s.trim())),
                    )
                })?;
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(FetchError::new(
                        ErrorClass::Invalid,
                        format!("invalid URL `{}`: it has no host", redact_raw(s.trim())),
                    ));
                }
                Ok(Location::Url(url))
            }
            "file" => {
                let bad = || {
                    FetchError::new(
                        ErrorClass::Invalid,
                        format!(
                            "invalid file URL `{}` (write it as file:///absolute/path or give a plain path)",
                            s.trim()
                        ),
                    )
                };
                let url = Url::parse(s.trim()).map_err(|_| bad())?;
                let path = url.to_file_path().map_err(|()| bad())?;
                Ok(Location::File(path))
            }
            other => Err(FetchError::new(
                ErrorClass::Invalid,
                format!(
                    "unsupported URL scheme `{other}` in `{}`: use an http:// or https:// URL or a file path",
                    redact_raw(s.trim())
                ),
            )),
        }
    }

    /// The server a URL's requests go to, as [`host_key`] names it; `None`
    /// for a file. The worker uses it to limit how many requests go to one
    /// server at once.
    pub fn host(&self) -> Option<String> {
        match self {
            Location::Url(url) => url.host_str().map(|_| host_key(url)),
            Location::File(_) => None,
        }
    }

    /// The location for display: a URL without any `user:password@` part,
    /// or the file path as given.
    ///
    /// This is safe to log; to get at the full URL, match on
    /// [`Location::Url`].
    pub fn as_string(&self) -> String {
        match self {
            Location::Url(url) => redact(url),
            Location::File(path) => path.display().to_string(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

// Written by hand so a URL's password never reaches a `{:?}`.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Url(_) => f.debug_tuple("Url").field(&self.as_string()).finish(),
            Location::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// The scheme of `s` if it starts with `scheme://`.
fn url_scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.trim_start().split_once("://")?;
    let mut chars = scheme.chars();
    let first = chars.next()?;
    let valid = first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// A URL as text with its userinfo removed.
fn redact(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    // These only fail for URLs that cannot have userinfo at all.
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.to_string()
}

/// A URL as text without its `user:password@` part, for listings of
/// locations and webhook URLs stored before such parts were refused.
pub fn without_userinfo(text: &str) -> String {
    redact_raw(text)
}

/// Best-effort removal of `user:password@` from text that did not parse as
/// a URL, so it can still be quoted in an error.
fn redact_raw(s: &str) -> String {
    let Some(start) = s.find("://").map(|i| i + 3) else {
        return s.to_string();
    };
    let rest = &s[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}{}", &s[..start], &rest[at + 1..]),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Secrets

/// Hides secrets (the values substituted for `${VAR}` references) in text
/// on its way out: messages, log lines, stored URLs and errors.
///
/// Each secret is hidden in every spelling a URL or a request can give it:
/// as is, percent-encoded the way each part of a URL encodes it (path,
/// query, fragment, userinfo), fully percent-encoded in upper and lower
/// case, and form-encoded (`a+b%2F…`).
///
/// A spelling of [`MIN_SCRUB_LEN`] characters or more is replaced wherever
/// it appears. A shorter one is replaced only where it stands as a whole
/// token: the characters on both sides are not letters or digits (or are
/// the edge of the text, or an ANSI colour sequence). So the secret `k3y`
/// is hidden in `?key=k3y&` and `/k3y/`, while a secret `a` does not turn
/// `apiradar` into `***pir***d***r` — it does hide a lone word `a`, which
/// is the price of never showing it. The values are registered where they
/// are substituted (`crate::watch`), with the token around each
/// substitution, so a short value written next to literal text
/// (`/v1/${ID}x`) is hidden as the whole `…x` token.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Spellings to hide, longest first.
    needles: Vec<String>,
}

// By hand: the whole point is that the values never print.
impl fmt::Debug for Scrubber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scrubber")
            .field("spellings", &self.needles.len())
            .finish()
    }
}

/// Every secret substituted in this process, for the log writer (which
/// sees lines from every part of apiradar, not just one request).
static KNOWN: RwLock<Scrubber> = RwLock::new(Scrubber {
    needles: Vec::new(),
});

impl Scrubber {
    /// A scrubber for `secrets`.
    pub fn new<S: AsRef<str>>(secrets: &[S]) -> Scrubber {
        let mut scrubber = Scrubber::default();
        for secret in secrets {
            scrubber.add(secret.as_ref());
        }
        scrubber
    }

    /// Hides `secret` (in all its spellings) from now on. Empty and
    /// blank values hide nothing.
    pub fn add(&mut self, secret: &str) {
        for spelling in spellings(secret) {
            if !self.needles.contains(&spelling) {
                self.needles.push(spelling);
            }
        }
        self.needles
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `text` with every secret replaced by `***`.
    pub fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if !out.contains(needle.as_str()) {
                continue;
            }
            let replaced = if needle.chars().count() >= MIN_SCRUB_LEN {
                out.replace(needle.as_str(), HIDDEN)
            } else {
                replace_tokens(&out, needle)
            };
            out = Cow::Owned(replaced);
        }
        out
    }

    /// Adds these secrets to the ones every log line is scrubbed of
    /// ([`scrub_known`]).
    pub fn remember(&self) {
        if self.needles.is_empty() {
            return;
        }
        // A poisoned lock only means another thread panicked mid-update;
        // the list itself is still usable.
        let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
        for needle in &self.needles {
            if !known.needles.contains(needle) {
                known.needles.push(needle.clone());
            }
        }
        known
            .needles
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }
}

/// `text` scrubbed of every secret substituted so far in this process
/// (see [`Scrubber::remember`]): for log lines and anything else written
/// where the request that produced it is not known.
pub fn scrub_known(text: &str) -> Cow<'_, str> {
    let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
    if known.needles.is_empty() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(known.scrub(text).into_owned())
}

/// Hides `value` from every log line from now on (see [`scrub_known`]):
/// for secrets read outside a watch's location, such as a caching
/// target's API key.
pub fn remember_secret(value: &str) {
    Scrubber::new(&[value]).remember();
}

/// The ways `secret` can be spelled in a URL, a header or a message.
fn spellings(secret: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if secret.trim().is_empty() {
        // Blank values hide nothing; hiding every space would hide everything.
        return out;
    }
    let mut push = |s: &str| {
        if !s.trim().is_empty() && !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    };
    for value in [secret, secret.trim()] {
        push(value);
        push(&percent_encode_all(value, false));
        push(&percent_encode_all(value, true));
        push(&url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>());
        // How the url crate spells it in each part of a URL, since that is
        // what a location goes through before any message quotes it.
        if let Ok(mut u) = Url::parse("http://h/") {
            u.set_query(Some(value));
            if let Some(q) = u.query() {
                push(q);
            }
            u.set_fragment(Some(value));
            if let Some(f) = u.fragment() {
                push(f);
            }
            u.set_path(value);
            let path = u.path();
            push(if value.starts_with('/') {
                path
            } else {
                path.strip_prefix('/').unwrap_or(path)
            });
            if u.set_password(Some(value)).is_ok()
                && let Some(p) = u.password()
            {
                push(p);
            }
            if u.set_username(value).is_ok() {
                push(u.username());
            }
        }
    }
    out
}

/// Every byte but the unreserved ones (`A-Za-z0-9-._~`) as `%XX`.
fn percent_encode_all(value: &str, lower: bool) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else if lower {
            out.push_str(&format!("%{b:02x}"));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `text` with the occurrences of `needle` that stand as a whole token
/// replaced.
fn replace_tokens(text: &str, needle: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (at, _) in text.match_indices(needle) {
        if at < last {
            continue; // overlaps a replaced one
        }
        let end = at + needle.len();
        let before = &text[..at];
        let open = before
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
            || ends_with_ansi_sequence(before);
        let close = text[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric());
        if open && close {
            out.push_str(&text[last..at]);
            out.push_str(HIDDEN);
            last = end;
        }
    }
    out.push_str(&text[last..]);
    out
}

/// Whether `text` ends with an ANSI escape sequence (`ESC [ 0 m`), after
/// which a token starts even though the sequence ends in a letter.
fn ends_with_ansi_sequence(text: &str) -> bool {
    let Some(esc) = text.rfind('\u{1b}') else {
        return false;
    };
    let rest = &text[esc + 1..];
    let Some(params) = rest.strip_prefix('[') else {
        return false;
    };
    let mut chars = params.chars();
    let Some(last) = chars.next_back() else {
        return false;
    };
    last.is_ascii_alphabetic() && chars.all(|c| c.is_ascii_digit() || c == ';')
}

// ---------------------------------------------------------------------------
// Configuration, requests and results

/// How the fetcher behaves; the defaults suit polling public API descriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchConfig {
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// How long one attempt may take in all: connecting, redirects and the
    /// whole body.
    pub timeout: Duration,
    /// Redirects followed before giving up.
    pub max_redirects: usize,
    /// The largest body accepted, in bytes after decoding.
    pub max_body: u64,
    /// Extra attempts after a transient failure.
    pub retries: u32,
    /// The shortest wait before a retry.
    pub backoff_base: Duration,
    /// The longest wait before a retry.
    pub backoff_max: Duration,
    /// The longest `Retry-After` we wait for; a server asking for more makes
    /// the fetch fail with a message saying when to come back.
    pub max_retry_after: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(60),
            max_redirects: 10,
            max_body: 64 * MIB,
            retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            user_agent: concat!("apiradar/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

/// One fetch: where, with which headers, and what we already have.
#[derive(Clone, Copy)]
pub struct FetchRequest<'a> {
    pub location: &'a Location,
    /// Extra request headers with their values already resolved. They may
    /// hold secrets: they are never logged nor quoted in errors, and they are
    /// only sent to the origin of `location` (not after a redirect elsewhere).
    pub headers: &'a [(String, String)],
    /// Other values that must never show in messages, logs or metadata:
    /// the expanded `${VAR}`s of a location such as `…?key=${API_KEY}`.
    pub secrets: &'a [String],
    /// The `ETag` of the version we have; sent as `If-None-Match`.
    pub etag: Option<&'a str>,
    /// The `Last-Modified` of the version we have; sent as `If-Modified-Since`.
    pub last_modified: Option<&'a str>,
}

impl<'a> FetchRequest<'a> {
    /// A plain request: no extra headers, nothing cached.
    pub fn new(location: &'a Location) -> Self {
        FetchRequest {
            location,
            headers: &[],
            secrets: &[],
            etag: None,
            last_modified: None,
        }
    }
}

// By hand, so header values stay out of debug output.
impl fmt::Debug for FetchRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("FetchRequest")
            .field("location", self.location)
            .field("headers", &names)
            .field("etag", &self.etag)
            .field("last_modified", &self.last_modified)
            .finish()
    }
}

/// What we learned about a fetch besides the body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpMeta {
    /// The HTTP status; `None` for files.
    pub status: Option<u16>,
    /// The `ETag` to send next time. On a 304 without one, the one we sent.
    pub etag: Option<String>,
    /// The `Last-Modified` to send next time (for files: the mtime as an
    /// HTTP date). On a 304 without one, the one we sent.
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    /// A `Content-Encoding` still applied to the body. Encodings we decode
    /// (gzip, br, deflate) are removed on the way in, so this is normally
    /// `None`; anything else means the bytes are still encoded.
    pub content_encoding: Option<String>,
    /// The URL the body came from after redirects, without userinfo.
    pub final_url: Option<String>,
    /// Requests made, retries included (each redirect chain counts once).
    pub attempts: u32,
}

/// The result of a successful fetch.
#[derive(Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The server answered 304: what we have is current.
    NotModified(HttpMeta),
    /// A fresh body, decoded and within the size limit.
    Body { bytes: Vec<u8>, meta: HttpMeta },
}

impl FetchOutcome {
    pub fn meta(&self) -> &HttpMeta {
        match self {
            FetchOutcome::NotModified(meta) | FetchOutcome::Body { meta, .. } => meta,
        }
    }

    fn meta_mut(&mut self) -> &mut HttpMeta {
        match self {
            FetchOutcome::NotModified(meta) | FetchOutcome::Body { meta, .. } => meta,
        }
    }
}

// By hand: a body can be megabytes, its length is what a reader wants.
impl fmt::Debug for FetchOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchOutcome::NotModified(meta) => f.debug_tuple("NotModified").field(meta).finish(),
            FetchOutcome::Body { bytes, meta } => f
                .debug_struct("Body")
                .field("len", &bytes.len())
                .field("meta", meta)
                .finish(),
        }
    }
}

// ---------------------------------------------------------------------------
// Errors

/// What kind of thing went wrong; stored with a failed run and shown in
/// reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The host name did not resolve.
    Dns,
    /// No TCP connection, or it dropped before a response.
    Connect,
    /// The TLS handshake failed (certificate, protocol, plain-HTTP server).
    Tls,
    /// Connecting or the whole request took too long.
    Timeout,
    /// Too many redirects, or a redirect we cannot follow.
    Redirect,
    /// The server answered with an error status or an invalid response.
    Http,
    /// The body is over the size limit.
    TooLarge,
    /// The body broke off or could not be decoded.
    Body,
    /// A local file could not be read.
    File,
    /// The request itself is wrong (bad location, bad header).
    Invalid,
}

impl ErrorClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorClass::Dns => "dns",
            ErrorClass::Connect => "connect",
            ErrorClass::Tls => "tls",
            ErrorClass::Timeout => "timeout",
            ErrorClass::Redirect => "redirect",
            ErrorClass::Http => "http",
            ErrorClass::TooLarge => "too-large",
            ErrorClass::Body => "body",
            ErrorClass::File => "file",
            ErrorClass::Invalid => "invalid",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed fetch. `message` is one line meant for the user; it never holds
/// header values or URL credentials.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct FetchError {
    pub class: ErrorClass,
    pub message: String,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// Requests made before giving up (0 when the request was refused
    /// before any was sent).
    pub attempts: u32,
}

impl FetchError {
    fn new(class: ErrorClass, message: impl Into<String>) -> Self {
        FetchError {
            class,
            message: message.into(),
            status: None,
            attempts: 0,
        }
    }

    fn with_status(mut self, status: StatusCode) -> Self {
        self.status = Some(status.as_u16());
        self
    }
}

/// How a failed attempt may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    No,
    /// After the usual jittered backoff.
    Backoff,
    /// After exactly this long, as the server asked.
    After(Duration),
}

/// A failed attempt: the error to report if it is the last, and whether it
/// may be retried.
#[derive(Debug)]
struct Failure {
    error: FetchError,
    retry: Retry,
}

impl Failure {
    fn new(class: ErrorClass, message: impl Into<String>, retry: Retry) -> Self {
        Failure {
            error: FetchError::new(class, message),
            retry,
        }
    }

    fn fatal(class: ErrorClass, message: impl Into<String>) -> Self {
        Failure::new(class, message, Retry::No)
    }
}

// ---------------------------------------------------------------------------
// The fetcher

/// Fetches documents. Cheap to clone: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    cfg: Arc<FetchConfig>,
}

impl Fetcher {
    pub fn new(cfg: FetchConfig) -> Result<Fetcher, FetchError> {
        if HeaderValue::from_str(&cfg.user_agent).is_err() {
            return Err(FetchError::new(
                ErrorClass::Invalid,
                "the configured User-Agent is not a valid HTTP header value",
            ));
        }
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.timeout)
            // Redirects are followed in `attempt`, see the module docs.
            .redirect(redirect::Policy::none())
            .user_agent(cfg.user_agent.clone())
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()
            .map_err(|e| {
                FetchError::new(
                    ErrorClass::Invalid,
                    format!("could not set up the HTTP client: {}", error_reason(&e)),
                )
            })?;
        Ok(Fetcher {
            client,
            cfg: Arc::new(cfg),
        })
    }

    pub fn config(&self) -> &FetchConfig {
        &self.cfg
    }

    /// Fetches `req.location`, retrying transient failures.
    pub async fn fetch(&self, req: &FetchRequest<'_>) -> Result<FetchOutcome, FetchError> {
        match req.location {
            Location::File(path) => self.fetch_file(path).await,
            Location::Url(url) => self.fetch_url(url, req).await,
        }
    }

    async fn fetch_url(
        &self,
        url: &Url,
        req: &FetchRequest<'_>,
    ) -> Result<FetchOutcome, FetchError> {
        let caller = caller_headers(req.headers)?;
        let conditional = conditional_headers(req.etag, req.last_modified);
        // The substituted values at any length; whole header values as a
        // last line of defence (they are never put in a message), but only
        // long ones, as a short one such as `2` is not worth hiding.
        let mut secrets = Scrubber::new(req.secrets);
        for (_, value) in req.headers {
            if value.trim().chars().count() >= MIN_SCRUB_LEN {
                secrets.add(value);
            }
        }
        secrets.remember();
        let shown = secrets.scrub(&redact(url)).into_owned();
        let max_attempts = self.cfg.retries.saturating_add(1);
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            debug!(url = %shown, attempt, max_attempts, "fetching");
            let result = tokio::time::timeout(
                self.cfg.timeout,
                self.attempt(url, &caller, &conditional, &secrets),
            )
            .await
            .unwrap_or_else(|_| {
                Err(Failure::new(
                    ErrorClass::Timeout,
                    format!(
                        "timed out after {} fetching {shown}",
                        human_duration(self.cfg.timeout)
                    ),
                    Retry::Backoff,
                ))
            });
            let failure = match result {
                Ok(mut outcome) => {
                    let meta = outcome.meta_mut();
                    meta.attempts = attempt;
                    meta.final_url = meta
                        .final_url
                        .take()
                        .map(|u| secrets.scrub(&u).into_owned());
                    if let FetchOutcome::NotModified(meta) = &mut outcome {
                        if meta.etag.is_none() {
                            meta.etag = req.etag.map(str::to_string);
                        }
                        if meta.last_modified.is_none() {
                            meta.last_modified = req.last_modified.map(str::to_string);
                        }
                    }
                    debug!(url = %shown, attempt, "fetched");
                    return Ok(outcome);
                }
                Err(failure) => failure,
            };
            let wait = match failure.retry {
                _ if attempt >= max_attempts => None,
                Retry::No => None,
                Retry::Backoff => Some(backoff(&self.cfg, attempt)),
                Retry::After(wait) => Some(wait),
            };
            if let Some(wait) = wait {
                debug!(
                    url = %shown,
                    attempt,
                    class = failure.error.class.as_str(),
                    reason = %secrets.scrub(&failure.error.message),
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "retrying",
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let mut error = failure.error;
            if attempt > 1 {
                error.message = format!("{}; gave up after {attempt} attempts", error.message);
            }
            error.message = secrets.scrub(&error.message).into_owned();
            error.attempts = attempt;
            debug!(url = %shown, attempt, class = error.class.as_str(), "fetch failed");
            return Err(error);
        }
    }

    /// One try: follow redirects, then read the final response.
    async fn attempt(
        &self,
        start: &Url,
        caller: &HeaderMap,
        conditional: &HeaderMap,
        secrets: &Scrubber,
    ) -> Result<FetchOutcome, Failure> {
        let origin = start.origin();
        let mut url = start.clone();
        let mut hops = 0usize;
        loop {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_static(DEFAULT_ACCEPT));
            headers.extend(conditional.clone());
            if url.origin() == origin {
                // `extend` replaces defaults the watch overrides (e.g. Accept).
                headers.extend(caller.clone());
            } else if !caller.is_empty() {
                debug!(
                    to = %secrets.scrub(&redact(&url)),
                    "redirected to another origin: not sending the watch's headers"
                );
            }
            let response = self
                .client
                .get(url.clone())
                .headers(headers)
                .send()
                .await
                .map_err(|e| classify_send(&e, &url, &self.cfg))?;

            let status = response.status();
            if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
                && let Some(location) = response.headers().get(header::LOCATION)
            {
                hops += 1;
                if hops > self.cfg.max_redirects {
                    return Err(Failure::fatal(
                        ErrorClass::Redirect,
                        format!(
                            "too many redirects (more than {}) starting at {}",
                            self.cfg.max_redirects,
                            redact(start)
                        ),
                    ));
                }
                let next = next_url(&url, start, location)?;
                debug!(
                    from = %secrets.scrub(&redact(&url)),
                    to = %secrets.scrub(&redact(&next)),
                    hop = hops,
                    "following redirect"
                );
                url = next;
                continue;
            }
            return self.finish(response, &url, !conditional.is_empty()).await;
        }
    }

    /// Turns the final response of an attempt into an outcome.
    async fn finish(
        &self,
        mut response: Response,
        url: &Url,
        conditional_sent: bool,
    ) -> Result<FetchOutcome, Failure> {
        let status = response.status();
        let meta = response_meta(&response);
        if status == StatusCode::NOT_MODIFIED {
            if conditional_sent {
                return Ok(FetchOutcome::NotModified(meta));
            }
            return Err(Failure::fatal(
                ErrorClass::Http,
                format!(
                    "HTTP 304 Not Modified from {} although the request was not conditional",
                    redact(url)
                ),
            ));
        }
        if !status.is_success() {
            return Err(status_failure(status, response.headers(), url, &self.cfg));
        }

        let limit = self.cfg.max_body;
        let declared = response.content_length();
        if let Some(len) = declared.filter(|&len| len > limit) {
            return Err(too_large(url, limit, Some(len)));
        }

        // The limit is checked on decoded bytes as they arrive, so a
        // compressed body is cut off as soon as its expansion passes it.
        let reserve = declared.unwrap_or(0).min(limit).min(MAX_PREALLOC);
        let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let total = (bytes.len() as u64).saturating_add(chunk.len() as u64);
                    if total > limit {
                        // Dropping the response here closes the connection.
                        return Err(too_large(url, limit, None));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(classify_body(&e, url, bytes.len(), declared, &self.cfg));
                }
            }
        }
        Ok(FetchOutcome::Body { bytes, meta })
    }

    async fn fetch_file(&self, path: &Path) -> Result<FetchOutcome, FetchError> {
        let fail = |e: FetchError| FetchError { attempts: 1, ..e };
        let limit = self.cfg.max_body;
        let metadata = tokio::fs::metadata(path)
            .await
            .map_err(|e| fail(file_error(path, &e)))?;
        if metadata.is_dir() {
            return Err(fail(FetchError::new(
                ErrorClass::File,
                format!(
                    "{} is a directory, not a file (point the watch at the document inside it)",
                    path.display()
                ),
            )));
        }
        if metadata.len() > limit {
            return Err(fail(too_large_file(path, limit, metadata.len())));
        }
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| fail(file_error(path, &e)))?;
        // The file may grow between the size check and the read (or be a
        // device with no size at all), so the read itself is capped too.
        let reserve = metadata.len().min(MAX_PREALLOC);
        let mut bytes = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| fail(file_error(path, &e)))?;
        if bytes.len() as u64 > limit {
            return Err(fail(too_large_file(path, limit, bytes.len() as u64)));
        }
        let last_modified = metadata.modified().ok().map(httpdate::fmt_http_date);
        debug!(path = %path.display(), len = bytes.len(), "read file");
        Ok(FetchOutcome::Body {
            bytes,
            meta: HttpMeta {
                last_modified,
                attempts: 1,
                ..HttpMeta::default()
            },
        })
    }
}

// ---------------------------------------------------------------------------
// Requests

/// The watch's headers as a header map, values marked sensitive. A bad name
/// or value is reported by the header's name only.
fn caller_headers(pairs: &[(String, String)]) -> Result<HeaderMap, FetchError> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        let shown = name.trim().escape_debug();
        let parsed = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
            FetchError::new(
                ErrorClass::Invalid,
                format!("header name `{shown}` is not a valid HTTP header name"),
            )
        })?;
        let mut value = HeaderValue::from_str(value).map_err(|_| {
            FetchError::new(
                ErrorClass::Invalid,
                format!(
                    "the value of header `{shown}` is not valid in HTTP (it must be one line of text without control characters)"
                ),
            )
        })?;
        value.set_sensitive(true);
        map.append(parsed, value);
    }
    Ok(map)
}

/// `If-None-Match` / `If-Modified-Since` for what we already have. The values
/// came from an earlier response, so one that no longer fits in a header is
/// simply not sent.
fn conditional_headers(etag: Option<&str>, last_modified: Option<&str>) -> HeaderMap {
    let mut map = HeaderMap::new();
    if let Some(value) = etag.and_then(|v| HeaderValue::from_str(v).ok()) {
        map.insert(header::IF_NONE_MATCH, value);
    }
    if let Some(value) = last_modified.and_then(|v| HeaderValue::from_str(v).ok()) {
        map.insert(header::IF_MODIFIED_SINCE, value);
    }
    map
}

/// Where a redirect points, resolved against the URL that sent it.
fn next_url(current: &Url, start: &Url, location: &HeaderValue) -> Result<Url, Failure> {
    let invalid = || {
        Failure::fatal(
            ErrorClass::Redirect,
            format!("{} redirected to an invalid Location", redact(current)),
        )
    };
    let text = location.to_str().map_err(|_| invalid())?;
    let mut next = current.join(text).map_err(|_| invalid())?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(Failure::fatal(
            ErrorClass::Redirect,
            format!(
                "{} redirected to a `{}:` URL, which cannot be fetched",
                redact(current),
                next.scheme()
            ),
        ));
    }
    // Credentials in the watch's URL stay valid within its origin.
    if next.origin() == start.origin() && next.username().is_empty() && next.password().is_none() {
        let _ = next.set_username(start.username());
        let _ = next.set_password(start.password());
    }
    Ok(next)
}

/// The metadata of a response.
fn response_meta(response: &Response) -> HttpMeta {
    let text = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    HttpMeta {
        status: Some(response.status().as_u16()),
        etag: text(header::ETAG),
        last_modified: text(header::LAST_MODIFIED),
        content_type: text(header::CONTENT_TYPE),
        content_encoding: text(header::CONTENT_ENCODING),
        final_url: Some(redact(response.url())),
        attempts: 0,
    }
}

// ---------------------------------------------------------------------------
// Retries

/// The wait before the retry that follows attempt number `attempt` (1-based).
///
/// The ceiling doubles each time from `backoff_base` up to `backoff_max`, and
/// the wait is drawn uniformly between the base and that ceiling ("full
/// jitter" above a floor, so a retry never comes back immediately).
fn backoff(cfg: &FetchConfig, attempt: u32) -> Duration {
    let base = cfg.backoff_base.min(cfg.backoff_max);
    let doublings = attempt.saturating_sub(1).min(30);
    let ceiling = base.saturating_mul(1u32 << doublings).min(cfg.backoff_max);
    let spread = u64::try_from((ceiling - base).as_millis()).unwrap_or(u64::MAX);
    base + Duration::from_millis(fastrand::u64(0..=spread))
}

/// How long a `Retry-After` value asks us to wait, from `now`: either a
/// number of seconds or an HTTP date.
fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

// ---------------------------------------------------------------------------
// Error messages

/// The failure for a response with an error status.
fn status_failure(
    status: StatusCode,
    headers: &HeaderMap,
    url: &Url,
    cfg: &FetchConfig,
) -> Failure {
    let head = match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason} from {}", status.as_u16(), redact(url)),
        None => format!("HTTP {} from {}", status.as_u16(), redact(url)),
    };
    let hint = match status.as_u16() {
        300..=399 => Some("a redirect without a Location header"),
        400 => Some("the server rejected the request; check the URL and the watch's headers"),
        401 => Some("check the credentials in the watch's headers"),
        403 => Some("access denied; check the credentials in the watch's headers"),
        404 | 410 => Some("check the URL"),
        407 => Some("the proxy wants credentials"),
        429 => Some("rate limited; poll this watch less often"),
        500..=599 => Some("a server-side problem; try again later"),
        _ => None,
    };
    let mut message = match hint {
        Some(hint) => format!("{head} ({hint})"),
        None => head.clone(),
    };

    let retry = match status.as_u16() {
        429 | 503 => {
            let asked = headers
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, SystemTime::now()));
            match asked {
                Some(wait) if wait <= cfg.max_retry_after => Retry::After(wait),
                Some(wait) => {
                    // Saying when beats a generic hint; a wait too long for
                    // a calendar date just goes without one.
                    let at = chrono::Duration::from_std(wait)
                        .ok()
                        .and_then(|d| chrono::Utc::now().checked_add_signed(d))
                        .map(|at| format!(" (at {} UTC)", at.format("%Y-%m-%d %H:%M:%S")))
                        .unwrap_or_default();
                    message = format!(
                        "{head}: the server asks to retry after {}{at}, longer than the {} this fetch waits",
                        human_duration(wait),
                        human_duration(cfg.max_retry_after)
                    );
                    Retry::No
                }
                None => Retry::Backoff,
            }
        }
        500 | 502 | 504 => Retry::Backoff,
        _ => Retry::No,
    };
    Failure {
        error: FetchError::new(ErrorClass::Http, message).with_status(status),
        retry,
    }
}

/// The failure for an error from sending a request (before any response).
/// How a request to `url` failed, classified and worded as polls report
/// it (URL secrets redacted); for other clients such as health probes.
pub fn describe_send_error(err: &reqwest::Error, url: &Url, cfg: &FetchConfig) -> FetchError {
    classify_send(err, url, cfg).error
}

fn classify_send(err: &reqwest::Error, url: &Url, cfg: &FetchConfig) -> Failure {
    let reason = error_reason(err);
    let target = host_port(url);
    let chain = || error_chain(err);

    if err.is_timeout() {
        let message = if err.is_connect() {
            format!(
                "timed out after {} connecting to {target}",
                human_duration(cfg.connect_timeout)
            )
        } else {
            format!(
                "timed out after {} waiting for {}",
                human_duration(cfg.timeout),
                redact(url)
            )
        };
        return Failure::new(ErrorClass::Timeout, message, Retry::Backoff);
    }
    if chain().any(|e| e.to_string().starts_with("dns error")) {
        let host = url.host_str().unwrap_or_default();
        return Failure::fatal(
            ErrorClass::Dns,
            format!("could not resolve host `{host}` ({reason})"),
        );
    }
    if err.is_connect() && is_tls_failure(err) {
        let mut message = format!("TLS handshake with {target} failed: {reason}");
        if reason.contains("corrupt message") || reason.contains("InvalidContentType") {
            message.push_str(" (does the server speak plain HTTP? try http://)");
        }
        return Failure::fatal(ErrorClass::Tls, message);
    }
    if err.is_connect() {
        let refused = io_kinds(err).contains(&io::ErrorKind::ConnectionRefused);
        let message = if refused {
            format!("connection refused by {target}")
        } else {
            format!("could not connect to {target}: {reason}")
        };
        return Failure::new(ErrorClass::Connect, message, Retry::Backoff);
    }
    if err.is_redirect() {
        return Failure::fatal(
            ErrorClass::Redirect,
            format!("could not follow a redirect from {}: {reason}", redact(url)),
        );
    }
    if is_dropped_connection(err) {
        return Failure::new(
            ErrorClass::Connect,
            format!("{target} closed the connection before responding"),
            Retry::Backoff,
        );
    }
    Failure::fatal(
        ErrorClass::Http,
        format!("invalid HTTP response from {}: {reason}", redact(url)),
    )
}

/// The failure for an error while reading a body.
fn classify_body(
    err: &reqwest::Error,
    url: &Url,
    received: usize,
    declared: Option<u64>,
    cfg: &FetchConfig,
) -> Failure {
    if err.is_timeout() {
        return Failure::new(
            ErrorClass::Timeout,
            format!(
                "timed out after {} reading the body of {}",
                human_duration(cfg.timeout),
                redact(url)
            ),
            Retry::Backoff,
        );
    }
    let progress = match declared {
        Some(len) => format!("{received} of {len} bytes"),
        None => format!("{received} bytes"),
    };
    if is_dropped_connection(err) {
        return Failure::fatal(
            ErrorClass::Body,
            format!(
                "connection closed before the body was complete (got {progress} from {})",
                redact(url)
            ),
        );
    }
    if err.is_decode() {
        return Failure::fatal(
            ErrorClass::Body,
            format!(
                "could not decode the body of {}: {}",
                redact(url),
                error_reason(err)
            ),
        );
    }
    Failure::fatal(
        ErrorClass::Body,
        format!(
            "could not read the body of {} after {progress}: {}",
            redact(url),
            error_reason(err)
        ),
    )
}

/// The failure for a body over `limit`; `declared` is its Content-Length
/// when that is what gave it away.
fn too_large(url: &Url, limit: u64, declared: Option<u64>) -> Failure {
    let declared = declared
        .map(|len| format!("Content-Length is {}; ", crate::text::size(len)))
        .unwrap_or_default();
    Failure::fatal(
        ErrorClass::TooLarge,
        format!(
            "body of {} is larger than the {} limit ({declared}raise it with --max-body)",
            redact(url),
            crate::text::size(limit)
        ),
    )
}

fn too_large_file(path: &Path, limit: u64, len: u64) -> FetchError {
    FetchError::new(
        ErrorClass::TooLarge,
        format!(
            "file {} is larger than the {} limit (it has {}; raise it with --max-body)",
            path.display(),
            crate::text::size(limit),
            crate::text::size(len)
        ),
    )
}

fn file_error(path: &Path, err: &io::Error) -> FetchError {
    let message = match err.kind() {
        io::ErrorKind::NotFound => format!("file not found: {}", path.display()),
        io::ErrorKind::PermissionDenied => {
            format!("cannot read {}: permission denied", path.display())
        }
        _ => format!(
            "cannot read {}: {}",
            path.display(),
            crate::text::one_line(&err.to_string())
        ),
    };
    FetchError::new(ErrorClass::File, message)
}

/// The errors under `err`, outermost first (`err` itself excluded).
fn error_chain<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(err.source(), |e| e.source())
}

/// The most specific description of what went wrong: the innermost cause
/// that is not a reqwest error (those print the URL, credentials included).
fn error_reason(err: &reqwest::Error) -> String {
    let innermost = error_chain(err)
        .filter(|e| e.downcast_ref::<reqwest::Error>().is_none())
        .last();
    match innermost {
        Some(cause) => crate::text::one_line(&cause.to_string()),
        // reqwest's own text ends with " for url (...)"; keep what precedes.
        None => {
            let text = err.to_string();
            let text = text.split(" for url (").next().unwrap_or_default();
            crate::text::one_line(text)
        }
    }
}

/// The I/O error kinds anywhere under `err`. An `io::Error` that wraps
/// another hides it from `source()` (hyper-rustls does this to the TLS
/// error), so wrapped errors are opened with `get_ref` as well.
fn io_kinds(err: &reqwest::Error) -> Vec<io::ErrorKind> {
    let mut kinds = Vec::new();
    for cause in error_chain(err) {
        let mut io = cause.downcast_ref::<io::Error>();
        while let Some(e) = io {
            kinds.push(e.kind());
            io = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<io::Error>());
        }
    }
    kinds
}

/// Whether a connect error came from the TLS layer. rustls is not a direct
/// dependency, so its errors are recognised by how tokio-rustls wraps them
/// (an `InvalidData` I/O error) and by their wording.
fn is_tls_failure(err: &reqwest::Error) -> bool {
    io_kinds(err).contains(&io::ErrorKind::InvalidData)
        || error_chain(err).any(|e| {
            let text = e.to_string().to_ascii_lowercase();
            text.contains("tls") || text.contains("certificate") || text.contains("handshake")
        })
}

/// Whether the peer hung up (reset, EOF, or hyper's "connection closed
/// before message completed").
fn is_dropped_connection(err: &reqwest::Error) -> bool {
    io_kinds(err).iter().any(|kind| {
        matches!(
            kind,
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    }) || error_chain(err).any(|e| {
        let text = e.to_string();
        text.contains("connection closed") || text.contains("end of file before message length")
    })
}

/// What one server is, for every limit on requests at once (polls and
/// health probes alike): `host:port` of a URL, with the scheme's default
/// port filled in, so `https://h/` and `https://h:443/` are one server and
/// two local servers on different ports are two. The host is lower-cased
/// by URL parsing already.
pub fn host_key(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

fn host_port(url: &Url) -> String {
    host_key(url)
}

/// `60s`, `250ms`, `1.5s`, `2h` / `90m` for long waits.
fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if !ms.is_multiple_of(1000) {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let secs = d.as_secs();
    if secs >= 3600 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs >= 120 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_is_one_host_and_port_for_every_limit() {
        let key = |s: &str| host_key(&Url::parse(s).unwrap());
        assert_eq!(key("https://API.example.com/x"), "api.example.com:443");
        assert_eq!(key("https://api.example.com:443/y"), "api.example.com:443");
        assert_eq!(key("http://api.example.com/"), "api.example.com:80");
        // Two local servers are two hosts, for polls and probes alike.
        assert_ne!(key("http://127.0.0.1:8001/"), key("http://127.0.0.1:8002/"));
        let poll = Location::parse("http://127.0.0.1:8001/spec").unwrap();
        assert_eq!(poll.host().as_deref(), Some("127.0.0.1:8001"));
        assert_eq!(
            Location::parse("https://api.example.com/openapi.json")
                .unwrap()
                .host(),
            Some(key("https://api.example.com:443/v1/things"))
        );
        assert_eq!(Location::parse("/tmp/spec.yaml").unwrap().host(), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(90))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_stays_between_base_and_max() {
        let cfg = FetchConfig {
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_millis(1000),
            ..FetchConfig::default()
        };
        for attempt in 1..40 {
            let wait = backoff(&cfg, attempt);
            assert!(
                wait >= cfg.backoff_base && wait <= cfg.backoff_max,
                "{wait:?}"
            );
        }
        assert_eq!(backoff(&cfg, 1), cfg.backoff_base);
        // A base above the max is clamped rather than panicking.
        let odd = FetchConfig {
            backoff_base: Duration::from_secs(5),
            backoff_max: Duration::from_secs(1),
            ..FetchConfig::default()
        };
        assert_eq!(backoff(&odd, 3), Duration::from_secs(1));
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(crate::text::size(64 * MIB), "64 MiB");
        assert_eq!(crate::text::size(1536), "1.5 KiB");
        assert_eq!(crate::text::size(100), "100 bytes");
        assert_eq!(human_duration(Duration::from_secs(60)), "60s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(Duration::from_secs(3600)), "1h");
        assert_eq!(human_duration(Duration::from_secs(300)), "5m");
    }

    #[test]
    fn raw_urls_lose_their_credentials() {
        assert_eq!(redact_raw("ftp://me:pw@host/x@y"), "ftp://host/x@y");
        assert_eq!(redact_raw("http://host/a"), "http://host/a");
        assert_eq!(redact_raw("no scheme"), "no scheme");
    }

    #[test]
    fn scrub_hides_secrets() {
        let s = Scrubber::new(&["sk-123456"]);
        assert_eq!(s.scrub("key sk-123456 leaked"), "key *** leaked");
        assert_eq!(s.scrub("keysk-123456leaked"), "key***leaked");
    }

    #[test]
    fn short_secrets_are_hidden_as_whole_tokens() {
        let s = Scrubber::new(&["k3y"]);
        assert_eq!(
            s.scrub("HTTP 404 from http://h/x?key=k3y&a=k3y2 (k3y)"),
            "HTTP 404 from http://h/x?key=***&a=k3y2 (***)"
        );
        let a = Scrubber::new(&["a"]);
        assert_eq!(a.scrub("apiradar saw a/b"), "apiradar saw ***/b");
        // After an ANSI colour sequence a token starts.
        assert_eq!(
            s.scrub("\u{1b}[2mkey=\u{1b}[0mk3y"),
            "\u{1b}[2mkey=\u{1b}[0m***"
        );
    }

    #[test]
    fn encoded_spellings_are_hidden() {
        let s = Scrubber::new(&["a b/c&d"]);
        for text in [
            "http://h/x?key=a%20b/c&d",
            "http://h/x?key=a+b%2Fc%26d",
            "http://h/x?key=a%20b%2Fc%26d",
            "http://h/x?key=a%20b%2fc%26d",
            "http://h/a%20b/c&d/spec",
            "raw a b/c&d",
        ] {
            let shown = s.scrub(text);
            assert!(!shown.contains("b/c") && !shown.contains("b%2"), "{shown}");
            assert!(shown.contains("***"), "{shown}");
        }
        assert!(format!("{s:?}").contains("spellings"));
        assert!(Scrubber::new(&["", "  "]).is_empty());
    }
}

/// Limits concurrent polls (and health probes), in all and per host. A
/// task takes its host permit before its global one, so tasks waiting on
/// a busy host do not hold global permits others could use.
#[derive(Clone)]
pub(crate) struct Limiter {
    pub(crate) global: Arc<tokio::sync::Semaphore>,
    per_host: usize,
    hosts: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>>>,
}

impl Limiter {
    pub(crate) fn new(concurrency: usize, per_host: usize) -> Limiter {
        Limiter {
            global: Arc::new(tokio::sync::Semaphore::new(concurrency.max(1))),
            per_host: per_host.max(1),
            hosts: Arc::default(),
        }
    }

    pub(crate) fn host(&self, host: &str) -> Arc<tokio::sync::Semaphore> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(
            hosts
                .entry(host.to_string())
                .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.per_host))),
        )
    }
}
