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
        "the URL holds a password, which would be stored in the database: put credentials in a header instead, e.g. -H 'Authorization: Basic ${{MY_CREDENTIALS}}'"
    )]
    CredentialsInUrl,
    #[error("location: {0}")]
    BadTemplate(String),
    #[error("location is empty")]
    EmptyLocation,
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
        }
    }

    /// Checks everything that can be checked without the network.
    pub fn validate(&self) -> Result<(), WatchError> {
        validate_name(&self.name)?;
        if self.location.trim().is_empty() {
            return Err(WatchError::EmptyLocation);
        }
        if url::Url::parse(self.location.trim()).is_ok_and(|u| u.password().is_some()) {
            return Err(WatchError::CredentialsInUrl);
        }
        expand_env(&self.location, |_| Some(String::new())).map_err(WatchError::BadTemplate)?;
        if self.interval < MIN_INTERVAL {
            return Err(WatchError::IntervalTooShort {
                given: format_interval(self.interval),
            });
        }
        for (name, value) in &self.headers {
            check_header_secret(name, value)?;
        }
        if self.item_key.is_some() && self.kind != Kind::Json {
            return Err(WatchError::KeyWithoutJson);
        }
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

/// Header names whose values are credentials.
fn is_sensitive_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "authorization"
        || n == "proxy-authorization"
        || n == "cookie"
        || n.contains("key")
        || n.contains("token")
        || n.contains("secret")
        || n.contains("password")
}

/// A credential header must reference an environment variable rather than
/// hold the value, so the database never contains it.
pub fn check_header_secret(name: &str, template: &str) -> Result<(), WatchError> {
    if is_sensitive_header(name) && !template.contains("${") {
        return Err(WatchError::LiteralSecret {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Expands `${VAR}` references in a header template from the environment.
/// The error names the variable, never a value.
pub fn expand_env(
    template: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, String> {
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
            Some(value) => out.push_str(&value),
            None => return Err(format!("environment variable {var} is not set")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Templates hold only references, but be careful anyway when echoing one.
fn redact_template(template: &str) -> String {
    template.chars().take(40).collect()
}

/// Resolves every header of a watch from the process environment.
pub fn resolve_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, String> {
    headers
        .iter()
        .map(|(name, template)| {
            expand_env(template, |var| std::env::var(var).ok())
                .map(|value| (name.clone(), value))
                .map_err(|e| format!("header {name}: {e}"))
        })
        .collect()
}

/// Expands `${VAR}`s in a location (for APIs that take their key in the
/// query string: `https://…/models?key=${GEMINI_API_KEY}`). Returns the
/// location and the values substituted, which must be kept out of output.
pub fn resolve_location(template: &str) -> Result<(String, Vec<String>), String> {
    if !template.contains("${") {
        return Ok((template.to_string(), Vec::new()));
    }
    let mut used = Vec::new();
    let location = expand_env(template, |var| {
        let value = std::env::var(var).ok()?;
        used.push(value.clone());
        Some(value)
    })
    .map_err(|e| format!("location: {e}"))?;
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
            spec.validate(),
            Err(WatchError::LiteralSecret { .. })
        ));
        spec.headers = vec![("Authorization".into(), "Bearer ${KEY}".into())];
        assert!(spec.validate().is_ok());
        spec.headers = vec![("Accept".into(), "application/json".into())];
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
        let spec = WatchSpec::new("a", Kind::Json, "https://user@example.test/x");
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
    fn headers_parse() {
        assert_eq!(
            parse_header("Authorization: Bearer ${X}").unwrap(),
            ("Authorization".to_string(), "Bearer ${X}".to_string())
        );
        assert!(parse_header("nocolon").is_err());
    }
}
