//! What a watch is: a named API source, how to fetch it and how often.
//!
//! A watch is plain data. The store persists it, the worker schedules it, the
//! fetcher reads its location and headers. Header values may reference
//! environment variables (`Bearer ${VENICE_API_KEY}`); the reference is what
//! is stored, the value is resolved only at request time and never written.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The shortest interval a watch may be polled at.
pub const MIN_INTERVAL: Duration = Duration::from_secs(30);
/// The interval a watch gets when none is given.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);

/// What kind of document a watch follows; decides how a body is parsed and
/// what counts as a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// OpenAPI 3.0/3.1 or Swagger 2.0, JSON or YAML.
    OpenApi,
    /// Any JSON (or YAML) document, e.g. a model catalog.
    Json,
    /// An HTML or text page, compared as readable text.
    Page,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OpenApi => "openapi",
            Kind::Json => "json",
            Kind::Page => "page",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "openapi" | "swagger" | "oas" => Ok(Kind::OpenApi),
            "json" => Ok(Kind::Json),
            "page" | "html" | "text" => Ok(Kind::Page),
            other => Err(format!(
                "unknown kind `{other}`: expected openapi, json or page"
            )),
        }
    }
}

/// What a user declares about a watch (from the CLI or a config file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchSpec {
    pub name: String,
    pub kind: Kind,
    /// An http(s) URL or a local file path.
    pub location: String,
    #[serde(with = "interval_serde")]
    pub interval: Duration,
    /// Request headers as `(name, template)`; templates may hold `${VAR}`.
    pub headers: Vec<(String, String)>,
    /// For `json` watches: the field naming list items (e.g. `id`).
    pub item_key: Option<String>,
    /// Catalog and changelog settings (ignored fields, price paths, levels,
    /// keywords); empty for most watches.
    /// Boxed: most watches have none, and specs travel in messages.
    #[serde(default)]
    pub options: Box<WatchOptions>,
}

/// What a watch declares about how its versions are compared, beyond its
/// kind and key. Stored as one JSON column; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WatchOptions {
    /// For `json` watches: pointer globs of fields left out when deciding
    /// whether a document is a new version and when diffing (see
    /// [`crate::spec::ignore`]). The stored document keeps them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignore_fields: Vec<String>,
    /// For `json` watches: compare arrays by position, never by a detected
    /// item key.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_key: bool,
    /// For `json` watches: globs on an item's dotted field path
    /// (`pricing.*`, `*.usd`) whose numbers are prices. Empty: any field
    /// whose path names a price or cost.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub price_paths: Vec<String>,
    /// Level overrides by check id (`catalog-item-removed = "warning"`).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub levels: std::collections::BTreeMap<String, String>,
    /// For `page` watches: words that raise a new changelog entry to a
    /// warning. `None`: the default list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub keywords: Option<Vec<String>>,
}

impl WatchOptions {
    pub fn is_empty(&self) -> bool {
        *self == WatchOptions::default()
    }
}

/// A stored watch: the declaration plus what the store knows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Watch {
    pub id: i64,
    #[serde(flatten)]
    pub spec: WatchSpec,
    /// Paused by the user or by the worker after repeated failures.
    pub paused: bool,
    /// Why it is paused, when it is.
    pub paused_reason: Option<String>,
    pub consecutive_failures: u32,
    /// Conditional-GET validators from the last successful fetch.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// Unix milliseconds.
    pub last_polled_at: Option<i64>,
    pub next_due_at: Option<i64>,
    pub last_outcome: Option<String>,
    pub last_error: Option<String>,
    /// Declared in a config file (synced on start).
    pub from_config: bool,
    pub version_count: i64,
    pub latest_seq: Option<i64>,
}

impl Watch {
    /// A one-word state for listings: `paused`, `failing`, `new` (never
    /// polled), or `ok`.
    pub fn status(&self) -> &'static str {
        if self.paused {
            "paused"
        } else if self.consecutive_failures > 0 {
            "failing"
        } else if self.last_polled_at.is_none() && self.version_count == 0 {
            "new"
        } else {
            "ok"
        }
    }

    /// Whether the worker should poll it at `now` (unix ms).
    pub fn is_due(&self, now: i64) -> bool {
        !self.paused && self.next_due_at.is_none_or(|due| due <= now)
    }
}

/// Why a watch declaration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WatchError {
    #[error(
        "watch name `{0}` is not allowed: use letters, digits, `-`, `_` or `.` (at most 64), starting with a letter or digit"
    )]
    BadName(String),
    #[error("interval {given} is shorter than the minimum of 30s")]
    IntervalTooShort { given: String },
    #[error("cannot read interval `{0}`: use a duration such as 30s, 5m, 1h or 1d")]
    BadInterval(String),
    #[error("header `{0}` is not `Name: value`")]
    BadHeader(String),
    #[error(
        "header `{name}` looks like it carries a secret: give it as an environment variable reference, e.g. `{name}: Bearer ${{MY_API_KEY}}`, so it is never stored"
    )]
    LiteralSecret { name: String },
    #[error("--key only applies to json watches")]
    KeyWithoutJson,
    #[error("unknown kind `{0}`: expected openapi, json or page")]
    BadKind(String),
    #[error(
        "the URL holds credentials (a `user@` or `user:password@` part), which would be stored in the database and shown in listings: put them in a header with an environment variable reference instead, e.g. -H 'Authorization: Basic ${{MY_CREDENTIALS}}'"
    )]
    CredentialsInUrl,
    #[error(
        "header `{name}` has literal text next to its `${{…}}` reference: the whole credential must come from the variable, e.g. `{name}: Bearer ${{MY_API_KEY}}`"
    )]
    LiteralAroundReference { name: String },
    #[error(
        "the value of header `{name}` looks like a credential: give it as an environment variable reference, e.g. `{name}: ${{MY_TOKEN}}`, or, if it is not secret, declare the header public (--public-header {name}, or public_headers = [\"{name}\"] in a watch file)"
    )]
    LooksLikeCredential { name: String },
    #[error("location: {0}")]
    BadTemplate(String),
    #[error("location is empty")]
    EmptyLocation,
    #[error("--ignore-field, --no-key and --price-path only apply to json watches")]
    JsonOnly,
    #[error("--keywords only applies to page watches")]
    KeywordsWithoutPage,
    #[error("{0}")]
    BadOption(String),
}

impl WatchSpec {
    /// A spec with defaults for everything but name, kind and location.
    pub fn new(name: &str, kind: Kind, location: &str) -> WatchSpec {
        WatchSpec {
            name: name.to_string(),
            kind,
            location: location.to_string(),
            interval: DEFAULT_INTERVAL,
            headers: Vec::new(),
            item_key: None,
            options: Box::default(),
        }
    }

    /// Checks everything that can be checked without the network.
    pub fn validate(&self) -> Result<(), WatchError> {
        validate_name(&self.name)?;
        if self.location.trim().is_empty() {
            return Err(WatchError::EmptyLocation);
        }
        if has_userinfo(&self.location) {
            return Err(WatchError::CredentialsInUrl);
        }
        expand_env(&self.location, |_| Some(String::new())).map_err(WatchError::BadTemplate)?;
        if self.interval < MIN_INTERVAL {
            return Err(WatchError::IntervalTooShort {
                given: format_interval(self.interval),
            });
        }
        if self.item_key.is_some() && self.kind != Kind::Json {
            return Err(WatchError::KeyWithoutJson);
        }
        let o = &self.options;
        if (!o.ignore_fields.is_empty() || o.no_key || !o.price_paths.is_empty())
            && self.kind != Kind::Json
        {
            return Err(WatchError::JsonOnly);
        }
        if o.keywords.is_some() && self.kind != Kind::Page {
            return Err(WatchError::KeywordsWithoutPage);
        }
        // The ignore rules and level overrides are read by the diff, which
        // checks them: `crate::diff::json::check_options`.
        Ok(())
    }
}

/// Makes a relative file location absolute against `base` (the current
/// directory for the CLI, the config file's folder for a watch file), so a
/// watch means the same file whichever directory cron runs in. URLs and
/// absolute paths are returned unchanged.
pub fn absolute_location(location: &str, base: &std::path::Path) -> String {
    match crate::fetch::Location::parse(location) {
        Ok(crate::fetch::Location::File(path)) if path.is_relative() => {
            base.join(path).display().to_string()
        }
        _ => location.to_string(),
    }
}

pub fn validate_name(name: &str) -> Result<(), WatchError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(WatchError::BadName(name.to_string()))
    }
}

/// Parses `Name: value` as given on the command line.
pub fn parse_header(s: &str) -> Result<(String, String), WatchError> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| WatchError::BadHeader(s.to_string()))?;
    let name = name.trim();
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(WatchError::BadHeader(s.to_string()));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

/// Whether a location has a `user@` or `user:password@` part. Only http(s)
/// URLs can; a file path with an `@` in it is fine.
pub fn has_userinfo(location: &str) -> bool {
    let text = location.trim();
    let lower = text.to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return false;
    }
    match url::Url::parse(text) {
        Ok(u) => !u.username().is_empty() || u.password().is_some(),
        // Unparsable (a reference in the host, say): look at the authority.
        Err(_) => {
            let rest = &text[text.find("://").map_or(0, |i| i + 3)..];
            let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
            authority.contains('@')
        }
    }
}

/// Header names whose values are credentials.
fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "proxy-authorization"
        || n == "cookie"
        || [
            "key",
            "token",
            "secret",
            "password",
            "passwd",
            "auth",
            "session",
            "credential",
            "signature",
        ]
        .iter()
        .any(|part| n.contains(part))
}

/// The literal parts of a template: the text between its `${…}`
/// references. An unclosed reference is all literal.
fn literal_parts(template: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        parts.push(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    parts.push(rest);
    parts
}

/// Whether the literal text of a credential header is only structure
/// around its references: an auth scheme word first (`Bearer `), `name=`
/// keys and `;`/`,` separators (`session=${SID}; theme=${T}` would fail on
/// `theme`'s literal value, so all values must be references).
fn literal_text_is_structure(template: &str) -> bool {
    let parts = literal_parts(template);
    for (i, part) in parts.iter().enumerate() {
        let mut words = part
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | ','))
            .filter(|w| !w.is_empty())
            .peekable();
        let mut first = true;
        while let Some(word) = words.next() {
            let is_key =
                word.ends_with('=') && word.len() > 1 && !word[..word.len() - 1].contains('=');
            // `Bearer ` at the very start, followed by a reference.
            let is_scheme = i == 0
                && first
                && words.peek().is_none()
                && part.starts_with(word)
                && part[word.len()..].starts_with(char::is_whitespace)
                && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !(is_key || is_scheme) {
                return false;
            }
            first = false;
        }
    }
    true
}

/// Whether a literal value looks like a credential: a known token prefix,
/// an auth scheme followed by a literal, or a long high-entropy token.
pub fn looks_like_credential(value: &str) -> bool {
    let v = value.trim();
    let mut words = v.split_whitespace();
    if let (Some(first), Some(_)) = (words.next(), words.next())
        && ["bearer", "basic", "token", "digest", "apikey", "api-key"]
            .contains(&first.to_ascii_lowercase().as_str())
    {
        return true;
    }
    v.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '=' | '&' | '/' | '?' | ':'))
        .any(|token| {
            const PREFIXES: &[&str] = &[
                "sk-",
                "sk_",
                "pk_live",
                "rk_live",
                "ghp_",
                "gho_",
                "ghu_",
                "ghs_",
                "ghr_",
                "github_pat_",
                "glpat-",
                "xoxa-",
                "xoxb-",
                "xoxp-",
                "xoxr-",
                "xoxs-",
                "xapp-",
                "AKIA",
                "ASIA",
                "AIza",
                "eyJ",
                "hf_",
                "npm_",
                "pypi-",
                "SG.",
            ];
            (token.len() >= 8 && PREFIXES.iter().any(|p| token.starts_with(p)))
                || is_high_entropy(token)
        })
}

/// A token of 20+ characters mixing letters and digits with at least 3.5
/// bits of entropy per character: what generated keys look like, and
/// what words, versions, media types and dates do not.
fn is_high_entropy(token: &str) -> bool {
    if token.len() < 20 {
        return false;
    }
    let letters = token.chars().filter(char::is_ascii_alphabetic).count();
    let digits = token.chars().filter(char::is_ascii_digit).count();
    if letters == 0 || digits == 0 {
        return false;
    }
    let mut counts = std::collections::HashMap::new();
    for c in token.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = token.chars().count() as f64;
    let entropy: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    entropy >= 3.5
}

/// A credential header must reference an environment variable rather than
/// hold the value, so the database never contains it. For a header not
/// declared public, see [`check_header`].
pub fn check_header_secret(name: &str, template: &str) -> Result<(), WatchError> {
    check_header(name, template, &[])
}

/// The rules for one request header, `public` being the header names the
/// user declared non-secret (`--public-header`, `public_headers`), whose
/// values are taken as they are:
///
/// - a credential header (Authorization, Cookie, anything naming a key,
///   token, secret, password, auth, session…) must take its value from
///   `${VAR}` references, with no literal text beside them but an auth
///   scheme (`Bearer ${TOKEN}`) or `name=` keys;
/// - any other header must not carry a literal that looks like a
///   credential ([`looks_like_credential`]).
pub fn check_header(name: &str, template: &str, public: &[String]) -> Result<(), WatchError> {
    if public
        .iter()
        .any(|p| p.trim().eq_ignore_ascii_case(name.trim()))
    {
        return Ok(());
    }
    let name_owned = || name.to_string();
    if is_sensitive_header(name) {
        if !template.contains("${") {
            return Err(WatchError::LiteralSecret { name: name_owned() });
        }
        if !literal_text_is_structure(template) {
            return Err(WatchError::LiteralAroundReference { name: name_owned() });
        }
        return Ok(());
    }
    if literal_parts(template)
        .iter()
        .any(|part| looks_like_credential(part))
    {
        return Err(WatchError::LooksLikeCredential { name: name_owned() });
    }
    Ok(())
}

/// Checks every header of a watch; see [`check_header`].
pub fn check_headers(headers: &[(String, String)], public: &[String]) -> Result<(), WatchError> {
    headers
        .iter()
        .try_for_each(|(name, value)| check_header(name, value, public))
}

/// Why a URL that carries secrets by design (an alert channel's webhook)
/// was refused: credentials in it must be `${VAR}` references, so the
/// database and `alert list` never hold them. Checks userinfo, query
/// parameters named like credentials (`token=`, `key=`, `sig=`…) and any
/// path segment or query value that looks like a credential.
pub fn check_secret_url(template: &str) -> Result<(), String> {
    let fix = "give it as an environment variable reference, e.g. '${HOOK_URL}' for the whole URL or '…?token=${HOOK_TOKEN}'";
    if has_userinfo(template)
        && literal_parts(authority_of(template))
            .iter()
            .any(|p| p.split([':', '@']).any(|w| !w.is_empty()))
    {
        return Err(format!(
            "the URL holds a literal `user:password@` part: {fix}"
        ));
    }
    let (path, query) = match template.split_once('?') {
        Some((p, q)) => (p, q.split('#').next().unwrap_or_default()),
        None => (template.split('#').next().unwrap_or_default(), ""),
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let literal = literal_parts(value).iter().any(|p| !p.is_empty());
        let sensitive = is_sensitive_header(key)
            || ["sig", "code", "pass", "pwd", "apikey", "access"]
                .iter()
                .any(|k| key.to_ascii_lowercase().contains(k));
        if (sensitive && literal)
            || literal_parts(value)
                .iter()
                .any(|p| looks_like_credential(p))
        {
            return Err(format!(
                "query parameter `{}` of the URL carries a literal credential: {fix}",
                key.chars().take(40).collect::<String>()
            ));
        }
    }
    let after_scheme = path.find("://").map_or(path, |i| &path[i + 3..]);
    if let Some((_, segments)) = after_scheme.split_once('/')
        && segments
            .split('/')
            .flat_map(|seg| literal_parts(seg))
            .any(looks_like_credential)
    {
        return Err(format!(
            "the URL's path carries what looks like a literal token: {fix}"
        ));
    }
    Ok(())
}

/// The `host[:port]` part of a URL template, with any userinfo.
fn authority_of(template: &str) -> &str {
    let rest = template
        .find("://")
        .map_or(template, |i| &template[i + 3..]);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => &rest[..at],
        None => "",
    }
}

/// Expands `${VAR}` references in a header template from the environment.
/// The error names the variable, never a value.
pub fn expand_env(
    template: &str,
    lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
    expand_tracked(template, lookup).map(|(text, _)| text)
}

/// [`expand_env`], also giving what must be hidden from output: each value
/// substituted, and the whole token around each substitution (the value
/// with the letters and digits written next to it, as in `/v1/${ID}x`),
/// so a short value is hidden where it was put.
fn expand_tracked(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<(String, Vec<String>), String> {
    let mut secrets = Vec::new();
    let mut spans = Vec::new();
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{}`", redact_template(template)))?;
        let var = &after[..end];
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("`${{{var}}}` is not an environment variable name"));
        }
        match lookup(var) {
            Some(value) => {
                spans.push((out.len(), out.len() + value.len()));
                out.push_str(&value);
                secrets.push(value);
            }
            None => return Err(format!("environment variable {var} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    for (start, end) in spans {
        if start == end {
            continue;
        }
        let word = |c: &char| c.is_alphanumeric();
        let left: usize = out[..start]
            .chars()
            .rev()
            .take_while(word)
            .map(char::len_utf8)
            .sum();
        let right: usize = out[end..]
            .chars()
            .take_while(word)
            .map(char::len_utf8)
            .sum();
        if left > 0 || right > 0 {
            secrets.push(out[start - left..end + right].to_string());
        }
    }
    Ok((out, secrets))
}

/// Templates hold only references, but be careful anyway when echoing one.
fn redact_template(template: &str) -> String {
    template.chars().take(40).collect()
}

/// Resolves every header of a watch from the process environment. The
/// values substituted are remembered for the log writer
/// ([`crate::fetch::scrub_known`]).
pub fn resolve_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
    resolve_headers_hiding(headers).map(|(headers, _)| headers)
}

/// Headers with their references substituted, and what must be hidden
/// from output.
pub type Resolved = (Vec<(String, String)>, Vec<String>);

/// [`resolve_headers`], also giving what must be hidden from output (the
/// values substituted, see [`expand_env`]'s tracking).
pub fn resolve_headers_hiding(headers: &[(String, String)]) -> Result<Resolved, String> {
    let mut hidden = Vec::new();
    let mut resolved = Vec::with_capacity(headers.len());
    for (name, template) in headers {
        let (value, secrets) = expand_tracked(template, |var| std::env::var(var).ok())
            .map_err(|e| format!("header {name}: {e}"))?;
        resolved.push((name.clone(), value));
        hidden.extend(secrets);
    }
    crate::fetch::Scrubber::new(&hidden).remember();
    Ok((resolved, hidden))
}

/// Expands `${VAR}`s in a location (for APIs that take their key in the
/// query string: `https://…/models?key=${GEMINI_API_KEY}`). Returns the
/// location and what must be kept out of output: the values substituted
/// and the tokens they were written into. They are also remembered for the
/// log writer.
pub fn resolve_location(template: &str) -> Result<(String, Vec<String>), String> {
    if !template.contains("${") {
        return Ok((template.to_string(), Vec::new()));
    }
    let (location, used) = expand_tracked(template, |var| std::env::var(var).ok())
        .map_err(|e| format!("location: {e}"))?;
    crate::fetch::Scrubber::new(&used).remember();
    Ok((location, used))
}

/// Parses `30s`, `5m`, `1h`, `1d`, `1h30m` (and plain seconds).
pub fn parse_interval(s: &str) -> Result<Duration, WatchError> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(t).map_err(|_| WatchError::BadInterval(s.to_string()))
}

/// The shortest readable form: `30s`, `5m`, `1h`, `1h30m`.
pub fn format_interval(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

mod interval_serde {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_interval(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_interval(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_round_trip() {
        for (text, secs) in [
            ("30s", 30),
            ("5m", 300),
            ("1h", 3600),
            ("1d", 86_400),
            ("1h30m", 5400),
        ] {
            let d = parse_interval(text).unwrap();
            assert_eq!(d.as_secs(), secs);
            assert_eq!(format_interval(d), text);
        }
        assert_eq!(parse_interval("90").unwrap().as_secs(), 90);
        assert!(parse_interval("soon").is_err());
    }

    #[test]
    fn short_interval_is_refused() {
        let mut spec = WatchSpec::new("a", Kind::OpenApi, "https://x/y");
        spec.interval = Duration::from_secs(10);
        assert!(matches!(
            spec.validate(),
            Err(WatchError::IntervalTooShort { .. })
        ));
    }

    #[test]
    fn names_are_checked() {
        assert!(validate_name("venice-api").is_ok());
        assert!(validate_name("v1.models_2").is_ok());
        for bad in ["", "-x", "a b", "a/b", "é"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_must_be_references() {
        let mut spec = WatchSpec::new("a", Kind::Json, "https://x/y");
        spec.headers = vec![("Authorization".into(), "Bearer sk-live-123".into())];
        assert!(matches!(
            check_headers(&spec.headers, &[]),
            Err(WatchError::LiteralSecret { .. })
        ));
        spec.headers = vec![("Authorization".into(), "Bearer ${KEY}".into())];
        assert!(check_headers(&spec.headers, &[]).is_ok());
        spec.headers = vec![("Accept".into(), "application/json".into())];
        assert!(check_headers(&spec.headers, &[]).is_ok());
        assert!(spec.validate().is_ok());
    }

    #[test]
    fn env_expansion_names_missing_variables_only() {
        let lookup = |v: &str| (v == "K").then(|| "s3cret".to_string());
        assert_eq!(expand_env("Bearer ${K}", lookup).unwrap(), "Bearer s3cret");
        let err = expand_env("Bearer ${MISSING}", lookup).unwrap_err();
        assert!(err.contains("MISSING"));
        assert!(expand_env("Bearer ${K", lookup).is_err());
        assert_eq!(expand_env("plain", lookup).unwrap(), "plain");
    }

    #[test]
    fn passwords_in_urls_are_refused() {
        let spec = WatchSpec::new("a", Kind::Json, "https://user:hunter2@example.test/x");
        assert_eq!(spec.validate(), Err(WatchError::CredentialsInUrl));
        assert!(!WatchError::CredentialsInUrl.to_string().contains("hunter2"));
        let spec = WatchSpec::new("a", Kind::Json, "https://sekrit@example.test/x");
        assert_eq!(spec.validate(), Err(WatchError::CredentialsInUrl));
        let spec = WatchSpec::new("a", Kind::Json, "https://${U}:${P}@example.test/x");
        assert_eq!(spec.validate(), Err(WatchError::CredentialsInUrl));
        let spec = WatchSpec::new("a", Kind::Json, "/srv/specs/me@home.yaml");
        assert!(spec.validate().is_ok());
    }

    #[test]
    fn relative_files_become_absolute() {
        let base = std::path::Path::new("/srv/specs");
        assert_eq!(absolute_location("a/b.yaml", base), "/srv/specs/a/b.yaml");
        assert_eq!(absolute_location("/x.yaml", base), "/x.yaml");
        assert_eq!(absolute_location("https://h/x", base), "https://h/x");
    }

    #[test]
    fn locations_take_environment_references() {
        let spec = WatchSpec::new("a", Kind::Json, "https://h/models?key=${K");
        assert!(matches!(spec.validate(), Err(WatchError::BadTemplate(_))));
        let spec = WatchSpec::new("a", Kind::Json, "https://h/models?key=${K}");
        assert!(spec.validate().is_ok());
        let (plain, used) = resolve_location("https://h/x").unwrap();
        assert_eq!((plain.as_str(), used.len()), ("https://h/x", 0));
        let err = resolve_location("https://h/x?key=${APIRADAR_SURELY_UNSET_VAR}").unwrap_err();
        assert!(err.contains("APIRADAR_SURELY_UNSET_VAR"));
    }

    #[test]
    fn credential_headers_take_only_references() {
        let ok = |n: &str, v: &str| check_header(n, v, &[]).is_ok();
        assert!(ok("Authorization", "Bearer ${TOKEN}"));
        assert!(ok("Authorization", "${TOKEN}"));
        assert!(ok("Cookie", "session=${SID}; csrf=${CSRF}"));
        assert!(!ok("Authorization", "Bearer sekrit${EMPTY}"));
        assert!(!ok("Authorization", "Bearer ${T}sekrit"));
        assert!(!ok("Authorization", "${T} sekrit"));
        assert!(!ok("Cookie", "theme=dark; session=${SID}"));
        assert!(matches!(
            check_header("X-Auth", "sekrit", &[]),
            Err(WatchError::LiteralSecret { .. })
        ));
        // A header named as public is taken as it is.
        assert!(check_header("X-Auth", "sekrit", &["x-auth".to_string()]).is_ok());
    }

    #[test]
    fn credential_looking_values_need_a_public_header() {
        let ok = |n: &str, v: &str| check_header(n, v, &[]).is_ok();
        for value in [
            "application/json",
            "2024-06-01",
            "en-US,en;q=0.9",
            "v1.2.3",
            "max-age=0",
            "apiradar-test-client",
        ] {
            assert!(ok("X-Plain", value), "{value}");
        }
        for value in [
            "sk-live-0123456789abcdef",
            "ghp_0123456789abcdefABCDEF",
            "xoxb-1234-5678-abcdefgh",
            "Bearer literal",
            "q8Zr2Lk9Wm3Xv7Tn4Pb6Yc1H",
        ] {
            assert!(
                matches!(
                    check_header("X-Plain", value, &[]),
                    Err(WatchError::LooksLikeCredential { .. })
                ),
                "{value}"
            );
            assert!(check_header("X-Plain", value, &["X-Plain".into()]).is_ok());
        }
        let message = WatchError::LooksLikeCredential {
            name: "X-Plain".into(),
        }
        .to_string();
        assert!(message.contains("--public-header X-Plain"), "{message}");
    }

    #[test]
    fn webhook_urls_keep_credentials_in_references() {
        for ok in [
            "https://hooks.example.test/alerts",
            "${HOOK_URL}",
            "https://hooks.example.test/alerts?token=${HOOK_TOKEN}",
            "https://${U}:${P}@hooks.example.test/alerts",
            "http://127.0.0.1:8080/hook?channel=ops",
        ] {
            assert!(check_secret_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://u:pw@hooks.example.test/alerts",
            "http://sekrit@hooks.example.test/alerts",
            "https://hooks.example.test/alerts?token=abc",
            "https://hooks.example.test/alerts?api_key=abc",
            "https://hooks.example.test/alerts?sig=abc&x=1",
            "https://hooks.example.test/T0/q8Zr2Lk9Wm3Xv7Tn4Pb6Yc1H",
        ] {
            let err = check_secret_url(bad).unwrap_err();
            assert!(!err.contains("pw@") && !err.contains("=abc"), "{err}");
        }
    }

    #[test]
    fn short_values_are_hidden_with_their_token() {
        let lookup = |v: &str| Some(if v == "ID" { "ab" } else { "x" }.to_string());
        let (text, secrets) = expand_tracked("/v1/${ID}x/${ID}?k=${K}", lookup).unwrap();
        assert_eq!(text, "/v1/abx/ab?k=x");
        assert!(secrets.contains(&"abx".to_string()));
        let shown = crate::fetch::Scrubber::new(&secrets)
            .scrub(&text)
            .into_owned();
        assert_eq!(shown, "/v1/***/***?k=***");
    }

    #[test]
    fn headers_parse() {
        assert_eq!(
            parse_header("Authorization: Bearer ${X}").unwrap(),
            ("Authorization".to_string(), "Bearer ${X}".to_string())
        );
        assert!(parse_header("nocolon").is_err());
    }
}
