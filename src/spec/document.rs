//! From a body to a parsed document: telling JSON from YAML by content.

use serde_json::Value;

use super::yaml::parse_yaml;
use super::{DocFormat, Limits, SpecError, text};

/// Parses a fetched body as JSON or YAML.
///
/// The format is told by content, never by a file name: after an optional
/// UTF-8 BOM, a body that parses as JSON is JSON, anything else is read as
/// YAML. An HTML page is refused up front with [`SpecError::Html`] rather
/// than being mistaken for a YAML string.
///
/// When the body starts with `{` or `[` but is not valid JSON, it is still
/// tried as YAML (`{a: 1}` is YAML flow style); if that fails too, the JSON
/// error is reported, since the author most likely meant JSON.
pub fn parse_document(raw: &[u8], limits: &Limits) -> Result<(Value, DocFormat), SpecError> {
    let text = text::decode(raw)?;
    if text::looks_like_html_page(text) {
        return Err(SpecError::Html {
            title: text::html_title(text),
        });
    }
    parse_text(text, limits)
}

fn parse_text(text: &str, limits: &Limits) -> Result<(Value, DocFormat), SpecError> {
    let json_error = match serde_json::from_str::<Value>(text) {
        Ok(value) => {
            check_limits(&value, limits)?;
            return Ok((value, DocFormat::Json));
        }
        Err(e) => e,
    };
    // serde_json stops at 128 levels of nesting. The YAML builder reads JSON
    // as well and does not recurse, so valid JSON up to its flow nesting
    // limit (255) still loads, and absurd nesting gets TooDeep as in YAML.
    if json_error
        .to_string()
        .starts_with("recursion limit exceeded")
    {
        return match parse_yaml(text, limits) {
            Ok(value) => Ok((value, DocFormat::Json)),
            Err(e) if e.is_limit() => Err(e),
            Err(_) => Err(to_json_error(&json_error)),
        };
    }
    if text::trim_start(text).starts_with(['{', '[']) {
        return match parse_yaml(text, limits) {
            Ok(value) => Ok((value, DocFormat::Yaml)),
            Err(e) if e.is_limit() => Err(e),
            Err(_) => Err(to_json_error(&json_error)),
        };
    }
    parse_yaml(text, limits).map(|value| (value, DocFormat::Yaml))
}

fn to_json_error(e: &serde_json::Error) -> SpecError {
    // serde_json's message ends with its own " at line L column C".
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    SpecError::Json {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Applies the node, byte and depth limits to a value serde_json built.
/// Its own recursion limit keeps it shallow, but `Limits` may be stricter.
/// Bytes are counted as for YAML: the text of strings and keys (JSON has
/// no aliases, so they are never more than the body's size).
fn check_limits(value: &Value, limits: &Limits) -> Result<(), SpecError> {
    let mut nodes = 0usize;
    let mut bytes = 0usize;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        // Keys count as nodes, as they do for YAML.
        let (keys, key_bytes) = v
            .as_object()
            .map_or((0, 0), |m| (m.len(), m.keys().map(String::len).sum()));
        nodes = nodes.saturating_add(1 + keys);
        let text = v.as_str().map_or(0, str::len);
        bytes = bytes.saturating_add(text).saturating_add(key_bytes);
        if nodes > limits.max_nodes {
            return Err(SpecError::TooManyNodes {
                limit: limits.max_nodes,
                through_aliases: false,
            });
        }
        if bytes > limits.max_expanded_bytes {
            return Err(SpecError::TooLarge {
                limit: limits.max_expanded_bytes,
                budget: super::ByteBudget::ExpandedBytes,
            });
        }
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth + 1 > limits.max_depth {
            return Err(SpecError::TooDeep {
                limit: limits.max_depth,
            });
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(text: &str) -> Result<(Value, DocFormat), SpecError> {
        parse_document(text.as_bytes(), &Limits::default())
    }

    #[test]
    fn format_is_told_by_content() {
        assert_eq!(
            parse("{\"a\": [1, 2]}").unwrap(),
            (json!({"a": [1, 2]}), DocFormat::Json)
        );
        assert_eq!(parse("\u{feff}[1]").unwrap(), (json!([1]), DocFormat::Json));
        assert_eq!(
            parse("a: [1, 2]\n").unwrap(),
            (json!({"a": [1, 2]}), DocFormat::Yaml)
        );
        assert_eq!(parse("{a: 1}").unwrap(), (json!({"a": 1}), DocFormat::Yaml));
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let err = parse("{\"a\":").unwrap_err();
        assert_eq!(
            err,
            SpecError::Json {
                line: 1,
                column: 5,
                message: "EOF while parsing a value".to_owned()
            }
        );
        assert_eq!(
            err.to_string(),
            "invalid JSON at line 1, column 5: EOF while parsing a value"
        );
        let err = parse("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert!(matches!(err, SpecError::Json { line: 3, .. }), "{err:?}");
    }

    #[test]
    fn invalid_yaml_reports_line_and_column() {
        let err = parse("openapi: 3.0.0\ninfo:\n  title: x\n bad: [\n").unwrap_err();
        let SpecError::Yaml { line, column, .. } = &err else {
            panic!("{err:?}");
        };
        assert!(*line >= 3 && *column >= 1, "{err}");
        assert!(
            err.to_string().starts_with("invalid YAML at line "),
            "{err}"
        );
    }

    #[test]
    fn deep_json_is_refused_and_moderate_depth_loads() {
        // JSON nesting is flow nesting to the YAML scanner, which stops at 255.
        let too_deep = SpecError::TooDeep {
            limit: super::super::yaml::FLOW_DEPTH_LIMIT,
        };
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err(), too_deep);
        let closed = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse(&closed).unwrap_err(), too_deep);
        // Deeper than serde_json's own 128 still loads.
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(&ok).unwrap().1, DocFormat::Json);
        // A stricter limit applies to JSON too.
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let err = parse_document(b"[[[[1]]]]", &limits).unwrap_err();
        assert_eq!(err, SpecError::TooDeep { limit: 3 });
        assert!(parse_document(b"[[[1]]]", &limits).is_ok());
        let limits = Limits {
            max_nodes: 3,
            ..Limits::default()
        };
        assert!(matches!(
            parse_document(b"[1, 2, 3]", &limits).unwrap_err(),
            SpecError::TooManyNodes { limit: 3, .. }
        ));
    }

    #[test]
    fn html_is_refused_with_its_title() {
        let page =
            b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>...</body></html>";
        let err = parse_document(page, &Limits::default()).unwrap_err();
        assert_eq!(
            err,
            SpecError::Html {
                title: Some("Sign in".to_owned())
            }
        );
        assert!(err.to_string().starts_with(
            "got an HTML page (\"Sign in\") where a JSON or YAML document was expected"
        ));
    }
}
