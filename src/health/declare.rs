//! An endpoint probed by hand as a user declares it — by `apiradar health
//! --add` flags or an `[[endpoint]]` table of a config file — checked and
//! turned into what the store keeps. Both ways go through
//! [`EndpointDecl::resolve`].

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::conditions::Condition;
use super::discover::MAX_EXAMPLE_BODY;
use crate::store::health::{NewManualEndpoint, RequestBody};

/// An endpoint as declared.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EndpointDecl {
    /// The watch it belongs to.
    pub watch: String,
    pub url: String,
    /// `GET` unless given.
    pub method: Option<String>,
    #[serde(default)]
    pub conditions: Vec<String>,
    /// Slower than this is degraded, e.g. `800ms`.
    pub degraded_after: Option<String>,
    /// Credentials as `${VAR}` references.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The body sent, or `@FILE` to read it (relative to the config file
    /// or the current directory).
    pub body: Option<String>,
    /// The body's media type, `application/json` unless given.
    pub body_type: Option<String>,
}

/// A checked endpoint, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDef {
    pub watch: String,
    pub method: String,
    pub url: String,
    pub conditions: Vec<String>,
    pub degraded_ms: Option<i64>,
    pub headers: Vec<(String, String)>,
    pub body: Option<RequestBody>,
}

impl EndpointDef {
    /// The store's view of it.
    pub fn as_new(&self) -> NewManualEndpoint<'_> {
        NewManualEndpoint {
            method: &self.method,
            url: &self.url,
            conditions: &self.conditions,
            degraded_ms: self.degraded_ms,
            headers: &self.headers,
            body: self.body.as_ref(),
        }
    }
}

impl EndpointDecl {
    /// Checks the declaration; `folder` anchors a relative `@FILE` body.
    /// The error is one line naming the setting (the flag without its
    /// dashes, which is also the config key).
    pub fn resolve(&self, folder: &Path) -> Result<EndpointDef, String> {
        let url =
            url::Url::parse(self.url.trim()).map_err(|e| format!("url `{}`: {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("url `{}` is not http or https", self.url));
        }
        let method = self
            .method
            .as_deref()
            .unwrap_or("GET")
            .trim()
            .to_ascii_uppercase();
        if method.is_empty() || !method.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(format!("method `{method}` is not an HTTP method"));
        }
        for c in &self.conditions {
            c.parse::<Condition>()
                .map_err(|e| format!("condition `{c}`: {e}"))?;
        }
        let degraded_ms = match &self.degraded_after {
            Some(d) => Some(
                humantime::parse_duration(d.trim())
                    .map_err(|_| format!("degraded_after: `{d}` is not a duration (e.g. 800ms)"))?
                    .as_millis() as i64,
            ),
            None => None,
        };
        let mut headers = Vec::new();
        for (name, value) in &self.headers {
            let (name, value) = crate::watch::parse_header(&format!("{name}: {value}"))
                .map_err(|e| e.to_string())?;
            crate::watch::check_header_secret(&name, &value).map_err(|e| e.to_string())?;
            headers.push((name, value));
        }
        let media_type = self
            .body_type
            .clone()
            .unwrap_or_else(|| "application/json".into());
        let body = match &self.body {
            None if self.body_type.is_some() => {
                return Err("body_type without a body".into());
            }
            None => None,
            Some(_) if matches!(method.as_str(), "GET" | "HEAD") => {
                return Err(format!(
                    "body: a {method} probe sends no body; give --method POST (or another) to send one"
                ));
            }
            Some(text) => {
                let text = match text.strip_prefix('@') {
                    Some(file) => std::fs::read_to_string(folder.join(file))
                        .map_err(|e| format!("body @{file}: {e}"))?,
                    None => text.clone(),
                };
                if text.len() > MAX_EXAMPLE_BODY {
                    return Err(format!(
                        "body is {} bytes; a probe sends at most {MAX_EXAMPLE_BODY}",
                        text.len()
                    ));
                }
                if media_type.to_ascii_lowercase().contains("json")
                    && !text.contains("${")
                    && let Err(e) = serde_json::from_str::<serde_json::Value>(&text)
                {
                    return Err(format!("body is not JSON ({e}); set body_type"));
                }
                Some(RequestBody { media_type, text })
            }
        };
        Ok(EndpointDef {
            watch: self.watch.clone(),
            method,
            url: url.to_string(),
            conditions: self.conditions.clone(),
            degraded_ms,
            headers,
            body,
        })
    }
}

/// Reads `METHOD /path`, as `--enable` and a watch's `enable` list take a
/// described operation.
pub fn parse_operation(op: &str) -> Result<(String, String), String> {
    op.trim()
        .split_once(' ')
        .map(|(m, p)| (m.to_ascii_uppercase(), p.trim().to_string()))
        .filter(|(m, p)| {
            !m.is_empty() && m.chars().all(|c| c.is_ascii_alphabetic()) && p.starts_with('/')
        })
        .ok_or_else(|| {
            format!(
                "`{op}`: give an operation as 'METHOD /path', as the description writes the path"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl() -> EndpointDecl {
        EndpointDecl {
            watch: "api".into(),
            url: "https://api.example.com/v1/chat".into(),
            ..EndpointDecl::default()
        }
    }

    #[test]
    fn a_declaration_becomes_an_endpoint() {
        let d = EndpointDecl {
            method: Some("post".into()),
            conditions: vec!["status == 200".into()],
            degraded_after: Some("800ms".into()),
            headers: [("Authorization".into(), "Bearer ${KEY}".into())].into(),
            body: Some(r#"{"max_tokens": 1}"#.into()),
            ..decl()
        };
        let def = d.resolve(Path::new(".")).unwrap();
        assert_eq!(def.method, "POST");
        assert_eq!(def.degraded_ms, Some(800));
        assert_eq!(
            def.headers,
            [("Authorization".into(), "Bearer ${KEY}".into())]
        );
        assert_eq!(def.body.unwrap().media_type, "application/json");
    }

    #[test]
    fn a_body_file_is_read_next_to_the_config() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ping.json"), r#"{"q": 1}"#).unwrap();
        let d = EndpointDecl {
            method: Some("POST".into()),
            body: Some("@ping.json".into()),
            ..decl()
        };
        assert_eq!(
            d.resolve(dir.path()).unwrap().body.unwrap().text,
            r#"{"q": 1}"#
        );
    }

    #[test]
    fn refusals_name_the_setting() {
        let cases: Vec<(EndpointDecl, &str)> = vec![
            (
                EndpointDecl {
                    url: "ftp://x".into(),
                    ..decl()
                },
                "not http or https",
            ),
            (
                EndpointDecl {
                    conditions: vec!["status ==".into()],
                    ..decl()
                },
                "condition `status ==`",
            ),
            (
                EndpointDecl {
                    headers: [("Authorization".into(), "Bearer sk-123".into())].into(),
                    ..decl()
                },
                "environment variable",
            ),
            (
                EndpointDecl {
                    method: Some("POST".into()),
                    body: Some("{oops".into()),
                    ..decl()
                },
                "body is not JSON",
            ),
            (
                EndpointDecl {
                    body: Some("{}".into()),
                    ..decl()
                },
                "a GET probe sends no body",
            ),
            (
                EndpointDecl {
                    body_type: Some("text/plain".into()),
                    ..decl()
                },
                "body_type without a body",
            ),
            (
                EndpointDecl {
                    degraded_after: Some("soon".into()),
                    ..decl()
                },
                "degraded_after",
            ),
        ];
        for (d, expected) in cases {
            let e = d.resolve(Path::new(".")).unwrap_err();
            assert!(e.contains(expected), "{e} should contain {expected}");
            assert!(!e.contains("sk-123"), "{e}");
        }
    }

    #[test]
    fn operations_read_as_method_and_path() {
        assert_eq!(
            parse_operation(" post /search ").unwrap(),
            ("POST".into(), "/search".into())
        );
        assert!(parse_operation("POST search").is_err());
        assert!(parse_operation("/search").is_err());
    }
}
