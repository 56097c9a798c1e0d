//! Recognising an OpenAPI or Swagger document, leniently: only the version
//! field is required, everything else may be missing or odd.

use serde_json::Value;

use super::{DocFormat, SpecError};

/// How many keys of a wrong mapping to name in the error.
const KEYS_SHOWN: usize = 5;

/// `"openapi 3.1.0"` or `"swagger 2.0"`, from the top-level version field.
///
/// A version written as a YAML number (`swagger: 2.0`) is accepted by its
/// text. `openapi` must be 3.x and `swagger` 2.x; when both are present,
/// `openapi` decides.
pub fn spec_version(doc: &Value, format: DocFormat) -> Result<String, SpecError> {
    let Value::Object(map) = doc else {
        return Err(SpecError::NotOpenApi {
            found: describe(doc, format),
        });
    };
    if let Some(v) = map.get("openapi") {
        return match version_text(v) {
            Some(text) if text.starts_with("3.") => Ok(format!("openapi {text}")),
            _ => Err(SpecError::NotOpenApi {
                found: format!(
                    "`openapi: {}`; apiradar reads OpenAPI 3.x",
                    short(&v.to_string())
                ),
            }),
        };
    }
    if let Some(v) = map.get("swagger") {
        return match version_text(v) {
            Some(text) if text.starts_with("2.") => Ok(format!("swagger {text}")),
            _ => Err(SpecError::NotOpenApi {
                found: format!(
                    "`swagger: {}`; apiradar reads Swagger 2.0",
                    short(&v.to_string())
                ),
            }),
        };
    }
    let keys: Vec<&str> = map.keys().take(KEYS_SHOWN).map(String::as_str).collect();
    let found = if keys.is_empty() {
        "an empty mapping".to_owned()
    } else {
        let more = if map.len() > KEYS_SHOWN { ", …" } else { "" };
        format!(
            "a mapping without a top-level `openapi` or `swagger` field (its keys: {}{more})",
            keys.join(", ")
        )
    };
    Err(SpecError::NotOpenApi { found })
}

/// `info.title`, if it is a non-blank string.
pub fn info_title(doc: &Value) -> Option<String> {
    let title = doc.get("info")?.get("title")?.as_str()?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

fn version_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Says what a non-mapping document is, for the error message.
fn describe(doc: &Value, format: DocFormat) -> String {
    let syntax = match format {
        DocFormat::Json => "JSON",
        DocFormat::Yaml => "YAML",
    };
    match doc {
        Value::Array(items) => {
            let kind = match format {
                DocFormat::Json => "array",
                DocFormat::Yaml => "sequence",
            };
            format!(
                "a {syntax} {kind} of {}",
                crate::text::count(items.len(), "item", "items")
            )
        }
        Value::String(s) => format!("a {syntax} string ({:?})", short(s)),
        Value::Number(n) => format!("a {syntax} number ({n})"),
        Value::Bool(b) => format!("a {syntax} boolean ({b})"),
        Value::Null => format!("a {syntax} null"),
        Value::Object(_) => format!("a {syntax} mapping"),
    }
}

/// The first line of `s`, cut to 60 characters.
fn short(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    match line.char_indices().nth(60) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None if line.len() < s.trim_end().len() => format!("{line}…"),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn versions() {
        let v = json!({"openapi": "3.1.0"});
        assert_eq!(spec_version(&v, DocFormat::Json).unwrap(), "openapi 3.1.0");
        let v = json!({"swagger": "2.0", "info": {"title": " Petstore "}});
        assert_eq!(spec_version(&v, DocFormat::Yaml).unwrap(), "swagger 2.0");
        assert_eq!(info_title(&v).as_deref(), Some("Petstore"));
        let v = json!({"swagger": 2.0});
        assert_eq!(spec_version(&v, DocFormat::Yaml).unwrap(), "swagger 2.0");
    }

    #[test]
    fn not_openapi_says_what_was_found() {
        let err = spec_version(&json!([1, 2]), DocFormat::Json).unwrap_err();
        assert_eq!(
            err.to_string(),
            "expected an OpenAPI 3.x or Swagger 2.0 document but found a JSON array of 2 items; \
             to track it as plain data, use `--kind json`"
        );
        let err = spec_version(&json!({"object": "list", "data": []}), DocFormat::Json)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a mapping without a top-level `openapi` or `swagger` field (its keys: data, object)"),
            "{err}"
        );
        let err = spec_version(&json!({"openapi": "2.0"}), DocFormat::Json)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`openapi: \"2.0\"`"), "{err}");
        let err = spec_version(&json!("Service Unavailable\nretry later"), DocFormat::Yaml)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("a YAML string (\"Service Unavailable…\")"),
            "{err}"
        );
    }
}
