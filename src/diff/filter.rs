//! Ignore lists and severity overrides: the user's say over which findings
//! count and how much.
//!
//! Both files are plain text, one rule per line. `#` starts a comment when
//! it begins a line or follows whitespace (so `a#b` is not a comment);
//! blank lines are skipped; a byte-order mark and CRLF line ends are fine.
//!
//! # Ignore file
//!
//! Each line is one of:
//!
//! - **A fingerprint**, the 16 hex digits of [`Finding::fingerprint`]
//!   (shown by the JSON, JUnit and HTML reports), alone on its line:
//!   `3f2a9c0d41b7e685`. It ignores exactly one finding, and keeps ignoring
//!   it across runs and unrelated edits.
//! - **`ID [METHOD] [PATH]`**: a check id, optionally the operation's
//!   method and a path pattern.
//!   - `ID` is a check id (`request-parameter-removed`, or a `json-*` or
//!     `page-*` id for those kinds of watch), or a prefix ending in `*`
//!     (`response-*`; `*` alone is every id). A full id must be one
//!     apiradar knows, so a typo is an error, not a rule that silently
//!     never matches.
//!   - `METHOD` is an HTTP method (any case) or `*` for any; leaving it out
//!     means any too.
//!   - `PATH` starts with `/` and is matched against [`Finding::path`]:
//!     the operation's path for OpenAPI findings, the readable locator
//!     (`/data/[id=gpt-4o]/pricing`) for JSON ones. Within a segment `*`
//!     stands for any characters (`/pets/*`, `/v*/users`,
//!     `/data/[id=gpt-*]`); a whole segment `**` stands for any number of
//!     segments, none included (`/admin/**` matches `/admin` and
//!     `/admin/a/b`). Everything else, `{petId}` included, is literal and
//!     case-sensitive.
//!   - A method only matches findings about an operation, a path only
//!     findings that have one; a rule with neither also matches findings
//!     about the document as a whole.
//! - **oasdiff's `err-ignore` line**, `METHOD /path text...`: recognised by
//!   its first word being an HTTP method. It matches a finding on that
//!   operation (method and path compared without regard to case, as oasdiff
//!   does) whose message contains the text or is contained in it, after
//!   both are lower-cased, quote characters (`'`, `"`, `` ` ``) removed and
//!   runs of whitespace collapsed. oasdiff's own matching is "the line
//!   contains the message", so lines copied from its output keep working
//!   where apiradar words a change as oasdiff does; a short fragment of
//!   apiradar's message works too. With no text, every finding on the
//!   operation matches.
//!
//! # Severity-override file
//!
//! Each line is `ID LEVEL`: a check id (or a prefix ending in `*`) and one
//! of `error`, `warning`, `info` or `none` (`err` and `warn` are accepted
//! too). `none` drops the finding. When several lines match, a full id
//! wins over a prefix and a longer prefix over a shorter one; the same id
//! twice in one file is an error.
//!
//! # Order
//!
//! [`Filter::apply`] first drops ignored findings, then applies overrides.
//! Ignore rules do not look at levels, so the order only matters for the
//! count: findings dropped by `none` are counted as ignored too.

use std::cmp::Reverse;
use std::path::Path;

use crate::diff::{Finding, Level, json, registry, text};

/// Why an ignore or override file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// A line that is not a valid rule; `line` counts from 1.
    #[error("{file}:{line}: {reason}")]
    Line {
        file: String,
        line: usize,
        reason: String,
    },
}

/// The methods an ignore rule may name. An oasdiff line is recognised by
/// its first word being one of them; no check id is a method name.
const METHODS: &[&str] = &[
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "QUERY",
];

/// Ignore rules and severity overrides, parsed and ready to apply.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    ignores: Vec<Ignore>,
    overrides: Vec<Override>,
}

#[derive(Debug, Clone)]
enum Ignore {
    /// Lower-case hex.
    Fingerprint(String),
    Check {
        id: IdPattern,
        /// Upper case; `None` for any.
        method: Option<String>,
        path: Option<PathPattern>,
    },
    /// oasdiff's `METHOD /path text` line.
    Oasdiff {
        /// Upper case.
        method: String,
        /// Lower case.
        path: String,
        /// Normalized by [`loose`].
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum IdPattern {
    Exact(String),
    Prefix(String),
}

impl IdPattern {
    fn matches(&self, id: &str) -> bool {
        match self {
            IdPattern::Exact(e) => e == id,
            IdPattern::Prefix(p) => id.starts_with(p.as_str()),
        }
    }

    /// Higher is more specific: a full id over any prefix, a longer prefix
    /// over a shorter one.
    fn specificity(&self) -> (bool, usize) {
        match self {
            IdPattern::Exact(e) => (true, e.len()),
            IdPattern::Prefix(p) => (false, p.len()),
        }
    }
}

#[derive(Debug, Clone)]
struct Override {
    id: IdPattern,
    /// `None` drops the finding.
    level: Option<Level>,
}

/// A path pattern, split into `/`-separated segments.
#[derive(Debug, Clone)]
struct PathPattern(Vec<Segment>);

#[derive(Debug, Clone)]
enum Segment {
    /// `**`: any number of segments.
    Any,
    /// A segment glob where `*` matches any run of characters.
    Glob(String),
}

impl PathPattern {
    fn parse(text: &str) -> Self {
        PathPattern(
            text.split('/')
                .map(|s| {
                    if s == "**" {
                        Segment::Any
                    } else {
                        Segment::Glob(s.to_string())
                    }
                })
                .collect(),
        )
    }

    /// Dynamic programming over segments, so patterns with several `**`
    /// stay linear in each input rather than exponential.
    fn matches(&self, path: &str) -> bool {
        let segments: Vec<&str> = path.split('/').collect();
        let pattern = &self.0;
        // reach[j]: the pattern so far can match exactly segments[..j].
        let mut reach = vec![false; segments.len() + 1];
        reach[0] = true;
        for seg in pattern {
            let mut next = vec![false; segments.len() + 1];
            match seg {
                Segment::Any => {
                    let mut on = false;
                    for j in 0..=segments.len() {
                        on |= reach[j];
                        next[j] = on;
                    }
                }
                Segment::Glob(g) => {
                    for j in 0..segments.len() {
                        if reach[j] && crate::glob::matches(g, segments[j]) {
                            next[j + 1] = true;
                        }
                    }
                }
            }
            reach = next;
        }
        reach[segments.len()]
    }
}

/// Text as the oasdiff-style rules compare it: lower case, without quote
/// characters, whitespace runs collapsed to one space.
fn loose(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '\'' | '"' | '`'))
        .flat_map(char::to_lowercase)
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rule part of each line, numbered from 1, comments and blank lines
/// left out.
fn rule_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines().enumerate().filter_map(|(i, line)| {
        let mut end = line.len();
        let mut prev_space = true;
        for (at, c) in line.char_indices() {
            if c == '#' && prev_space {
                end = at;
                break;
            }
            prev_space = c.is_whitespace();
        }
        let rule = line[..end].trim();
        (!rule.is_empty()).then_some((i + 1, rule))
    })
}

/// Whether any kind of diff reports this check id: the OpenAPI registry,
/// or the JSON and page checks.
fn known_id(id: &str) -> bool {
    registry::level(id)
        .or_else(|| json::level(id))
        .or_else(|| text::level(id))
        .is_some()
}

fn is_fingerprint(word: &str) -> bool {
    word.len() == 16 && word.chars().all(|c| c.is_ascii_hexdigit())
}

fn method(word: &str) -> Option<String> {
    let upper = word.to_ascii_uppercase();
    METHODS.contains(&upper.as_str()).then_some(upper)
}

/// Reads a check id or id prefix, checking a full id against the registry.
fn id_pattern(word: &str) -> Result<IdPattern, String> {
    let lower = word.to_ascii_lowercase();
    let (stem, prefix) = match lower.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (lower.as_str(), false),
    };
    if let Some(bad) = stem
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(if bad == '*' {
            format!("`*` may only end a check id, as in `response-*` (found `{word}`)")
        } else {
            format!("`{word}` is not a check id (ids are like `request-parameter-removed`)")
        });
    }
    if prefix {
        return Ok(IdPattern::Prefix(stem.to_string()));
    }
    if !known_id(stem) {
        return Err(format!(
            "unknown check id `{word}` (end it with `*` to match ids by prefix)"
        ));
    }
    Ok(IdPattern::Exact(stem.to_string()))
}

fn parse_ignore_rule(rule: &str) -> Result<Ignore, String> {
    let words: Vec<&str> = rule.split_whitespace().collect();
    let Some((&first, rest)) = words.split_first() else {
        return Err("empty rule".into());
    };

    if let Some(m) = method(first) {
        // oasdiff's `METHOD /path text...`: the text is whatever follows
        // the path on the line, so take it from the line itself.
        let Some(&path) = rest.first() else {
            return Err(format!(
                "`{first}` must be followed by a path, as in `{first} /pets removed ...`"
            ));
        };
        if !path.starts_with('/') {
            return Err(format!("the path after `{first}` must start with `/`"));
        }
        let text = rule
            .split_once(path)
            .map(|(_, after)| after)
            .unwrap_or_default();
        return Ok(Ignore::Oasdiff {
            method: m,
            path: path.to_lowercase(),
            text: loose(text),
        });
    }

    if is_fingerprint(first) {
        if let Some(extra) = rest.first() {
            return Err(format!(
                "a fingerprint stands alone on its line (found `{extra}` after it)"
            ));
        }
        return Ok(Ignore::Fingerprint(first.to_ascii_lowercase()));
    }

    let id = id_pattern(first)?;
    let mut method_part = None;
    let mut path_part = None;
    let mut rest = rest.iter();
    if let Some(&word) = rest.next() {
        if word.starts_with('/') {
            path_part = Some(PathPattern::parse(word));
        } else if word == "*" {
            // Any method.
        } else if let Some(m) = method(word) {
            method_part = Some(m);
        } else {
            return Err(format!(
                "`{word}` is neither an HTTP method, `*`, nor a path starting with `/`"
            ));
        }
    }
    if let Some(&word) = rest.next() {
        if path_part.is_some() || !word.starts_with('/') {
            return Err(format!(
                "unexpected `{word}`: a rule is `ID [METHOD] [/PATH]`, a fingerprint, or `METHOD /path text`"
            ));
        }
        path_part = Some(PathPattern::parse(word));
    }
    if let Some(&word) = rest.next() {
        return Err(format!(
            "unexpected `{word}` after the path (comments start with ` #`)"
        ));
    }
    Ok(Ignore::Check {
        id,
        method: method_part,
        path: path_part,
    })
}

fn parse_override(rule: &str) -> Result<Override, String> {
    let words: Vec<&str> = rule.split_whitespace().collect();
    let [id, level] = words.as_slice() else {
        return Err(format!(
            "expected `ID LEVEL`, as in `request-parameter-removed warning` (found {} words)",
            words.len()
        ));
    };
    let id = id_pattern(id)?;
    let level = match level.to_ascii_lowercase().as_str() {
        "none" => None,
        "error" | "err" => Some(Level::Error),
        "warning" | "warn" => Some(Level::Warning),
        "info" => Some(Level::Info),
        _ => {
            return Err(format!(
                "unknown level `{level}` (use error, warning, info or none)"
            ));
        }
    };
    Ok(Override { id, level })
}

impl Ignore {
    fn matches(&self, f: &Finding) -> bool {
        match self {
            Ignore::Fingerprint(fp) => f.fingerprint.eq_ignore_ascii_case(fp),
            Ignore::Check { id, method, path } => {
                id.matches(f.id)
                    && method
                        .as_ref()
                        .is_none_or(|m| f.operation.as_deref() == Some(m.as_str()))
                    && path
                        .as_ref()
                        .is_none_or(|p| f.path.as_deref().is_some_and(|fp| p.matches(fp)))
            }
            Ignore::Oasdiff { method, path, text } => {
                let (Some(fm), Some(fpath)) = (&f.operation, &f.path) else {
                    return false;
                };
                if !fm.eq_ignore_ascii_case(method) || fpath.to_lowercase() != *path {
                    return false;
                }
                let message = loose(&f.message);
                text.is_empty() || message.contains(text.as_str()) || text.contains(&message)
            }
        }
    }
}

impl Filter {
    /// Parses an ignore file's text; `source` names it in errors.
    pub fn parse_ignore(text: &str, source: &str) -> Result<Self, FilterError> {
        let mut ignores = Vec::new();
        for (line, rule) in rule_lines(text) {
            let parsed = parse_ignore_rule(rule).map_err(|reason| FilterError::Line {
                file: source.to_string(),
                line,
                reason,
            })?;
            ignores.push(parsed);
        }
        Ok(Filter {
            ignores,
            overrides: Vec::new(),
        })
    }

    /// Parses a severity-override file's text; `source` names it in errors.
    pub fn parse_overrides(text: &str, source: &str) -> Result<Self, FilterError> {
        let mut overrides: Vec<Override> = Vec::new();
        let mut seen: Vec<(IdPattern, usize)> = Vec::new();
        for (line, rule) in rule_lines(text) {
            let error = |reason| FilterError::Line {
                file: source.to_string(),
                line,
                reason,
            };
            let parsed = parse_override(rule).map_err(error)?;
            if let Some((_, first)) = seen.iter().find(|(id, _)| *id == parsed.id) {
                let word = rule.split_whitespace().next().unwrap_or_default();
                return Err(error(format!(
                    "`{word}` already has a level on line {first}"
                )));
            }
            seen.push((parsed.id.clone(), line));
            overrides.push(parsed);
        }
        Ok(Filter {
            ignores: Vec::new(),
            overrides,
        })
    }

    /// Reads and parses the files given; with neither, an empty filter that
    /// keeps every finding as it is.
    pub fn load(ignore: Option<&Path>, overrides: Option<&Path>) -> Result<Self, FilterError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| FilterError::Read {
                file: path.display().to_string(),
                source,
            })
        };
        let mut filter = Filter::default();
        if let Some(path) = ignore {
            let parsed = Filter::parse_ignore(&read(path)?, &path.display().to_string())?;
            filter = filter.merge(parsed);
        }
        if let Some(path) = overrides {
            let parsed = Filter::parse_overrides(&read(path)?, &path.display().to_string())?;
            filter = filter.merge(parsed);
        }
        Ok(filter)
    }

    /// This filter's rules followed by `other`'s.
    pub fn merge(mut self, other: Filter) -> Filter {
        self.ignores.extend(other.ignores);
        self.overrides.extend(other.overrides);
        self
    }

    /// Whether the filter has no rules at all.
    pub fn is_empty(&self) -> bool {
        self.ignores.is_empty() && self.overrides.is_empty()
    }

    /// Whether an ignore rule matches the finding.
    pub fn is_ignored(&self, f: &Finding) -> bool {
        self.ignores.iter().any(|rule| rule.matches(f))
    }

    /// The most specific override for a check id: `Some(None)` drops the
    /// finding, `None` leaves its level alone.
    fn override_for(&self, id: &str) -> Option<Option<Level>> {
        self.overrides
            .iter()
            .filter(|o| o.id.matches(id))
            .max_by_key(|o| o.id.specificity())
            .map(|o| o.level)
    }

    /// Drops ignored findings and applies level overrides. Returns the
    /// findings kept, in their order (re-sorted most severe first within
    /// each operation when an override changed a level), and how many were
    /// dropped, by ignore rules and `none` overrides together.
    pub fn apply(&self, findings: Vec<Finding>) -> (Vec<Finding>, usize) {
        let before = findings.len();
        let mut relevelled = false;
        let mut kept: Vec<Finding> = findings
            .into_iter()
            .filter(|f| !self.is_ignored(f))
            .filter_map(|mut f| match self.override_for(f.id) {
                None => Some(f),
                Some(None) => None,
                Some(Some(level)) => {
                    relevelled |= f.level != level;
                    f.level = level;
                    Some(f)
                }
            })
            .collect();
        if relevelled {
            for run in kept.chunk_by_mut(|a, b| a.operation == b.operation && a.path == b.path) {
                run.sort_by_key(|f| Reverse(f.level));
            }
        }
        let dropped = before - kept.len();
        (kept, dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &'static str, level: Level, op: Option<(&str, &str)>, message: &str) -> Finding {
        Finding {
            id,
            level,
            operation: op.map(|(m, _)| m.into()),
            path: op.map(|(_, p)| p.into()),
            message: message.into(),
            base_pointer: None,
            revision_pointer: None,
            fingerprint: format!("{:016x}", message.len()),
            cause: None,
        }
    }

    fn sample() -> Vec<Finding> {
        vec![
            finding(
                "request-parameter-removed",
                Level::Warning,
                Some(("GET", "/pets")),
                "query parameter `limit` was removed",
            ),
            finding(
                "response-success-status-removed",
                Level::Error,
                Some(("POST", "/pets/{petId}/photos")),
                "the success response with status 201 was removed",
            ),
            finding(
                "api-path-removed-without-deprecation",
                Level::Error,
                Some(("DELETE", "/admin/users/{id}")),
                "path /admin/users/{id} was removed without being deprecated first",
            ),
            finding("api-tag-added", Level::Info, None, "tag `beta` was added"),
        ]
    }

    fn kept_ids(filter: &Filter) -> (Vec<&'static str>, usize) {
        let (kept, dropped) = filter.apply(sample());
        (kept.iter().map(|f| f.id).collect(), dropped)
    }

    fn ignore(text: &str) -> Filter {
        match Filter::parse_ignore(text, "rules.txt") {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        }
    }

    fn ignore_err(text: &str) -> String {
        match Filter::parse_ignore(text, "rules.txt") {
            Ok(f) => panic!("accepted {text:?}: {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn overrides_err(text: &str) -> String {
        match Filter::parse_overrides(text, "levels.txt") {
            Ok(f) => panic!("accepted {text:?}: {f:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn an_empty_filter_keeps_everything() {
        let filter = ignore("\n# only a comment\n   \n");
        assert!(filter.is_empty());
        let (kept, dropped) = filter.apply(sample());
        assert_eq!(kept, sample());
        assert_eq!(dropped, 0);
    }

    #[test]
    fn a_fingerprint_ignores_one_finding() {
        let fp = sample()[1].fingerprint.to_ascii_uppercase();
        let (ids, dropped) = kept_ids(&ignore(&format!("{fp}  # known, ticket 12")));
        assert_eq!(dropped, 1);
        assert!(!ids.contains(&"response-success-status-removed"));
        assert!(ignore_err(&format!("{fp} GET")).contains("stands alone"));
    }

    #[test]
    fn an_id_alone_matches_everywhere_and_a_prefix_matches_by_start() {
        let (ids, dropped) = kept_ids(&ignore("api-tag-added\nresponse-*\n"));
        assert_eq!(dropped, 2);
        assert_eq!(
            ids,
            [
                "request-parameter-removed",
                "api-path-removed-without-deprecation"
            ]
        );
        let (ids, dropped) = kept_ids(&ignore("*"));
        assert!(ids.is_empty());
        assert_eq!(dropped, 4);
    }

    #[test]
    fn method_and_path_narrow_a_rule() {
        // Wrong method: nothing.
        assert_eq!(
            kept_ids(&ignore("request-parameter-removed POST /pets")).1,
            0
        );
        // Method in any case, exact path.
        assert_eq!(
            kept_ids(&ignore("request-parameter-removed get /pets")).1,
            1
        );
        // A path without a method, and `*` for the method.
        assert_eq!(kept_ids(&ignore("request-parameter-removed /pets")).1, 1);
        assert_eq!(kept_ids(&ignore("request-* * /pets")).1, 1);
        // A method or path never matches a finding about the whole API.
        assert_eq!(kept_ids(&ignore("api-tag-added GET")).1, 0);
        assert_eq!(kept_ids(&ignore("api-tag-added /**")).1, 0);
        assert_eq!(kept_ids(&ignore("api-tag-added *")).1, 1);
    }

    #[test]
    fn path_rules_match_json_locators() {
        let mut f = finding(
            "json-field-removed",
            Level::Warning,
            None,
            "model gpt-4o: pricing.input removed",
        );
        f.path = Some("/data/[id=gpt-4o]/pricing/input".into());
        let other = Finding {
            path: Some("/data/[id=o3]/pricing/input".into()),
            ..f.clone()
        };
        let filter = ignore("json-* /data/[id=gpt-*]/**");
        assert!(filter.is_ignored(&f));
        assert!(!filter.is_ignored(&other));
        // A method needs an operation, which JSON findings never have.
        assert!(!ignore("json-field-removed GET /data/**").is_ignored(&f));
    }

    #[test]
    fn path_patterns_glob_within_and_across_segments() {
        let p = PathPattern::parse;
        assert!(p("/pets/*").matches("/pets/{petId}"));
        assert!(!p("/pets/*").matches("/pets/{petId}/photos"));
        assert!(!p("/pets/*").matches("/pets"));
        assert!(p("/pets/**").matches("/pets"));
        assert!(p("/pets/**").matches("/pets/{petId}/photos"));
        assert!(p("/**/photos").matches("/pets/{petId}/photos"));
        assert!(p("/**/photos").matches("/photos"));
        assert!(p("/v*/users").matches("/v2/users"));
        assert!(!p("/v*/users").matches("/api/v2/users"));
        assert!(p("/*-internal/**").matches("/x-internal/a/b"));
        assert!(p("/pets/{petId}").matches("/pets/{petId}"));
        assert!(!p("/pets/{petId}").matches("/pets/{id}"));
        assert!(p("/**").matches("/"));
        // Many `**` against a long path finishes at once.
        let long = format!("/{}", vec!["a"; 200].join("/"));
        assert!(!p("/**/**/**/**/**/**/**/**/b").matches(&long));

        let (ids, dropped) = kept_ids(&ignore(
            "response-success-status-removed POST /pets/*/photos\n\
             api-path-removed-without-deprecation * /admin/**",
        ));
        assert_eq!(dropped, 2);
        assert_eq!(ids, ["request-parameter-removed", "api-tag-added"]);
    }

    #[test]
    fn oasdiff_lines_match_method_path_and_message() {
        // oasdiff's style: the line holds the whole message, plus extras.
        let (_, dropped) = kept_ids(&ignore(
            "GET /pets query parameter 'limit' was removed - accepted in JIRA-42",
        ));
        assert_eq!(dropped, 1);
        // A fragment of the message, in other case and spacing.
        let (ids, dropped) = kept_ids(&ignore("post /PETS/{petId}/photos   SUCCESS response"));
        assert_eq!(dropped, 1);
        assert!(!ids.contains(&"response-success-status-removed"));
        // Text that is not in the message, or the wrong path: nothing.
        assert_eq!(kept_ids(&ignore("GET /pets header was removed")).1, 0);
        assert_eq!(kept_ids(&ignore("GET /dogs query parameter")).1, 0);
        // No text: the whole operation.
        assert_eq!(kept_ids(&ignore("DELETE /admin/users/{id}")).1, 1);
        assert!(ignore_err("GET pets").contains("must start with `/`"));
        assert!(ignore_err("GET").contains("followed by a path"));
    }

    #[test]
    fn comments_need_a_space_before_the_hash() {
        let filter = ignore(
            "\u{feff}# header comment\r\n\
             \r\n\
             api-tag-added   # trailing comment\r\n\
             \t# indented comment\n",
        );
        assert_eq!(kept_ids(&filter).1, 1);
        // `#` inside a word is not a comment, so this is an unknown id.
        assert!(ignore_err("api-tag-added#x").contains("`api-tag-added#x` is not a check id"));
    }

    #[test]
    fn bad_ignore_lines_name_file_line_and_reason() {
        let text = "# ok\napi-tag-added\nrequest-paramter-removed GET /x\n";
        assert_eq!(
            ignore_err(text),
            "rules.txt:3: unknown check id `request-paramter-removed` (end it with `*` to match ids by prefix)"
        );
        assert!(ignore_err("req*uest").contains("`*` may only end a check id"));
        assert!(ignore_err("api-tag-added FETCH").contains("neither an HTTP method"));
        assert!(ignore_err("api-tag-added GET /a /b").starts_with("rules.txt:1: unexpected `/b`"));
        assert!(ignore_err("api-tag-added /a GET").contains("unexpected `GET`"));
        assert!(ignore_err("api-tag-added GET /a text").contains("after the path"));
    }

    #[test]
    fn overrides_change_levels_and_none_drops() {
        let filter = match Filter::parse_overrides(
            "# make removals louder\n\
             request-parameter-removed error\n\
             api-* none   # not interested\n\
             api-path-removed-without-deprecation WARN\n",
            "levels.txt",
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let (kept, dropped) = filter.apply(sample());
        // api-tag-added dropped by the prefix; the full id wins over it.
        assert_eq!(dropped, 1);
        let levels: Vec<_> = kept.iter().map(|f| (f.id, f.level)).collect();
        assert_eq!(
            levels,
            [
                ("request-parameter-removed", Level::Error),
                ("response-success-status-removed", Level::Error),
                ("api-path-removed-without-deprecation", Level::Warning),
            ]
        );
    }

    #[test]
    fn a_longer_prefix_wins_and_levels_are_resorted_within_an_operation() {
        let findings = vec![
            finding(
                "response-success-status-removed",
                Level::Error,
                Some(("GET", "/a")),
                "one",
            ),
            finding(
                "response-optional-property-removed",
                Level::Warning,
                Some(("GET", "/a")),
                "two",
            ),
            finding(
                "request-parameter-removed",
                Level::Warning,
                Some(("GET", "/b")),
                "three",
            ),
        ];
        let filter = match Filter::parse_overrides(
            "response-* info\nresponse-optional-* error\n",
            "levels.txt",
        ) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        let (kept, dropped) = filter.apply(findings);
        assert_eq!(dropped, 0);
        let got: Vec<_> = kept.iter().map(|f| (f.message.as_ref(), f.level)).collect();
        assert_eq!(
            got,
            [
                ("two", Level::Error),
                ("one", Level::Info),
                ("three", Level::Warning)
            ]
        );
    }

    #[test]
    fn bad_override_lines_name_file_line_and_reason() {
        assert_eq!(
            overrides_err("\n\nrequest-parameter-removed fatal"),
            "levels.txt:3: unknown level `fatal` (use error, warning, info or none)"
        );
        assert_eq!(
            overrides_err("no-such-check error"),
            "levels.txt:1: unknown check id `no-such-check` (end it with `*` to match ids by prefix)"
        );
        assert!(overrides_err("api-tag-added").contains("expected `ID LEVEL`"));
        assert!(overrides_err("api-tag-added error extra").contains("found 3 words"));
        assert_eq!(
            overrides_err("api-tag-added error\n# c\napi-tag-added info"),
            "levels.txt:3: `api-tag-added` already has a level on line 1"
        );
        // Unknown prefixes are fine: they just match nothing.
        assert!(Filter::parse_overrides("no-such-* error", "levels.txt").is_ok());
        // Ids of the JSON and page checks are known too.
        assert!(Filter::parse_overrides("json-item-removed error", "levels.txt").is_ok());
        assert!(Filter::parse_ignore("page-paragraph-changed", "rules.txt").is_ok());
    }

    #[test]
    fn load_reads_both_files_and_names_a_missing_one() {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        };
        let ignore_path = dir.path().join("ignore.txt");
        let levels_path = dir.path().join("levels.txt");
        let written = std::fs::write(&ignore_path, "api-tag-added\n")
            .and_then(|()| std::fs::write(&levels_path, "request-parameter-removed none\n"));
        if let Err(e) = written {
            panic!("{e}");
        }
        let filter = match Filter::load(Some(&ignore_path), Some(&levels_path)) {
            Ok(f) => f,
            Err(e) => panic!("{e}"),
        };
        assert_eq!(kept_ids(&filter).1, 2);
        assert!(Filter::load(None, None).is_ok_and(|f| f.is_empty()));

        let missing = dir.path().join("missing.txt");
        match Filter::load(Some(&missing), None) {
            Err(e @ FilterError::Read { .. }) => {
                assert!(
                    e.to_string()
                        .starts_with(&format!("cannot read {}", missing.display()))
                )
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(&levels_path, "api-tag-added loud\n").ok();
        match Filter::load(None, Some(&levels_path)) {
            Err(e) => assert_eq!(
                e.to_string(),
                format!(
                    "{}:1: unknown level `loud` (use error, warning, info or none)",
                    levels_path.display()
                )
            ),
            Ok(f) => panic!("accepted {f:?}"),
        }
    }
}
