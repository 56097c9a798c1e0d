//! What apiradar makes from an API description for the people who act on
//! a change: test suites ([`cases`] and the writers [`postman`],
//! [`pytest`], [`node`], [`junit`], [`http`], packed by [`zip`]), an SDK
//! maintainer's task list ([`tasks`]) and reference docs ([`docs`]).
//!
//! Everything here is offline and deterministic: values come from the
//! description (examples first) and from [`values`], whose generator is
//! seeded, so the same description, options and seed give the same bytes.
//! Descriptions are third-party text: names become identifiers only
//! through [`ident`], and text goes into generated code only as escaped
//! string literals ([`literal`]).

pub mod cases;
pub mod docs;
pub mod http;
pub mod junit;
pub mod model;
pub mod node;
pub mod postman;
pub mod pytest;
pub mod tasks;
pub mod values;
pub mod zip;

pub use cases::{Case, Expect, Suite};
pub use model::{Api, Op};

/// A string literal for JSON, JavaScript, Python and Java source alike:
/// JSON's escapes, with the characters serde leaves as they are (DEL, C1,
/// bidi controls) as `\u` escapes too, so a description cannot hide code
/// in a generated file (the "Trojan Source" trick).
pub fn literal(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    crate::text::json_text(json)
}

/// `s` as an identifier of ASCII letters, digits and `_`, never empty and
/// never starting with a digit.
pub fn ident(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last_underscore = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            last_underscore = false;
        } else if !last_underscore && !out.is_empty() {
            out.push('_');
            last_underscore = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "op_");
    }
    out
}

/// Percent-encodes a path segment or query value: everything but letters,
/// digits and `-._~`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A pattern of `METHOD /path` to select operations (`--only`): the
/// method may be `*`, and in the path `*` matches within one segment and
/// `**` across segments, as in ignore files.
#[derive(Debug, Clone)]
pub struct OpFilter {
    method: String,
    path: String,
}

impl OpFilter {
    pub fn parse(s: &str) -> Result<OpFilter, String> {
        let s = s.trim();
        let (method, path) = match s.split_once(char::is_whitespace) {
            Some((m, p)) => (m.trim().to_ascii_uppercase(), p.trim().to_owned()),
            None if s.starts_with('/') => ("*".to_owned(), s.to_owned()),
            None => {
                return Err(format!(
                    "`{s}` is not an operation pattern: use 'METHOD /path' ('GET /v1/*', '* /users/**')"
                ));
            }
        };
        if !path.starts_with('/') {
            return Err(format!(
                "`{s}`: the path of an operation pattern starts with `/`"
            ));
        }
        Ok(OpFilter { method, path })
    }

    pub fn matches(&self, method: &str, path: &str) -> bool {
        (self.method == "*" || self.method.eq_ignore_ascii_case(method))
            && glob(self.path.as_bytes(), path.as_bytes())
    }
}

/// `*` within a segment, `**` across segments.
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => {
            let (across, rest) = match rest.split_first() {
                Some((b'*', r)) => (true, r),
                _ => (false, rest),
            };
            for i in 0..=text.len() {
                if glob(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && !across && text[i] == b'/' {
                    return false;
                }
            }
            false
        }
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_could_hide_code() {
        assert_eq!(literal("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(literal("x\u{202e}y\u{7f}"), r#""x\u202ey\u007f""#);
    }

    #[test]
    fn identifiers_are_plain() {
        assert_eq!(ident("get /pets/{id}"), "get_pets_id");
        assert_eq!(ident("9lives"), "op_9lives");
        assert_eq!(ident("ü"), "op_");
    }

    #[test]
    fn operation_patterns() {
        let f = OpFilter::parse("GET /v1/*").unwrap();
        assert!(f.matches("get", "/v1/models"));
        assert!(!f.matches("GET", "/v1/models/{id}"));
        assert!(!f.matches("POST", "/v1/models"));
        let f = OpFilter::parse("* /v1/**").unwrap();
        assert!(f.matches("DELETE", "/v1/a/b/c"));
        assert!(OpFilter::parse("GET").is_err());
        assert!(OpFilter::parse("/x/*").unwrap().matches("PUT", "/x/y"));
    }
}
