//! Fields a `json` watch ignores: volatile values (a `checked_at`
//! timestamp on every model, a request id) that would otherwise make every
//! poll a new version.
//!
//! A rule is a pointer glob: a JSON pointer whose segments may be `*` (any
//! one member name or index, or `*` inside a segment for any run of
//! characters, as in `*_at`) or `**` (any number of segments, none
//! included). `/data/*/pricing/checked_at` drops the `checked_at` of every
//! model of an OpenAI-style list; `/**/checked_at` drops it wherever it is.
//!
//! The rules are applied to a copy of the document when its canonical form
//! is computed (so a change only there is not a new version) and when two
//! versions are compared; the stored bytes are never touched.

use serde_json::Value;

/// One parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldGlob {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// `**`: any number of segments.
    Any,
    /// A segment pattern; `*` stands for any run of characters.
    One(String),
}

impl FieldGlob {
    /// Reads a rule. It must start with `/`, name at least one segment and
    /// not end in `**` alone (that would ignore the whole document).
    pub fn parse(text: &str) -> Result<FieldGlob, String> {
        let trimmed = text.trim();
        let Some(rest) = trimmed.strip_prefix('/') else {
            let hint = trimmed.replace('.', "/");
            return Err(format!(
                "ignored field `{trimmed}` is not a pointer: write it as a JSON pointer from the document's root, e.g. `/{hint}`, or `/**/{hint}` for anywhere"
            ));
        };
        if rest.is_empty() {
            return Err("ignored field `/` would ignore the whole document".to_owned());
        }
        let segments: Vec<Segment> = rest
            .split('/')
            .map(|s| {
                if s == "**" {
                    Segment::Any
                } else {
                    Segment::One(s.replace("~1", "/").replace("~0", "~"))
                }
            })
            .collect();
        if segments.iter().all(|s| *s == Segment::Any) {
            return Err(format!(
                "ignored field `{trimmed}` would ignore the whole document: name the field, e.g. `/**/checked_at`"
            ));
        }
        Ok(FieldGlob {
            text: trimmed.to_owned(),
            segments,
        })
    }

    /// The rule as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Parses every rule, stopping at the first bad one.
pub fn parse_all(rules: &[String]) -> Result<Vec<FieldGlob>, String> {
    rules.iter().map(|r| FieldGlob::parse(r)).collect()
}

/// Removes every member (or array element) whose pointer matches a rule;
/// returns how many were removed. Rules that do not parse are skipped (they
/// are refused when a watch is declared).
pub fn strip(value: &mut Value, rules: &[FieldGlob]) -> usize {
    if rules.is_empty() {
        return 0;
    }
    // A state is (rule, next segment of that rule to match).
    let start: Vec<(usize, usize)> = (0..rules.len()).map(|r| (r, 0)).collect();
    strip_at(value, rules, &close(rules, start))
}

/// Adds the states reachable by letting a `**` match nothing.
fn close(rules: &[FieldGlob], mut states: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut i = 0;
    while i < states.len() {
        let (r, s) = states[i];
        if rules[r].segments.get(s) == Some(&Segment::Any) && !states.contains(&(r, s + 1)) {
            states.push((r, s + 1));
        }
        i += 1;
    }
    states
}

/// The states after matching one segment named `name`, and whether one of
/// them completes a rule.
fn step(rules: &[FieldGlob], states: &[(usize, usize)], name: &str) -> (Vec<(usize, usize)>, bool) {
    let mut next = Vec::new();
    for &(r, s) in states {
        match rules[r].segments.get(s) {
            Some(Segment::Any) if !next.contains(&(r, s)) => next.push((r, s)),
            Some(Segment::One(p))
                if crate::glob::matches(p, name) && !next.contains(&(r, s + 1)) =>
            {
                next.push((r, s + 1));
            }
            _ => {}
        }
    }
    let next = close(rules, next);
    let done = next.iter().any(|&(r, s)| s == rules[r].segments.len());
    (next, done)
}

fn strip_at(value: &mut Value, rules: &[FieldGlob], states: &[(usize, usize)]) -> usize {
    let mut removed = 0;
    match value {
        Value::Object(map) => {
            let mut drop = Vec::new();
            for (key, child) in map.iter_mut() {
                let (next, done) = step(rules, states, key);
                if done {
                    drop.push(key.clone());
                } else if !next.is_empty() {
                    removed += strip_at(child, rules, &next);
                }
            }
            for key in drop {
                map.remove(&key);
                removed += 1;
            }
        }
        Value::Array(items) => {
            let mut keep = Vec::with_capacity(items.len());
            for (i, mut child) in std::mem::take(items).into_iter().enumerate() {
                let (next, done) = step(rules, states, &i.to_string());
                if done {
                    removed += 1;
                    continue;
                }
                if !next.is_empty() {
                    removed += strip_at(&mut child, rules, &next);
                }
                keep.push(child);
            }
            *items = keep;
        }
        _ => {}
    }
    removed
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(r: &[&str]) -> Vec<FieldGlob> {
        r.iter().map(|r| FieldGlob::parse(r).unwrap()).collect()
    }

    #[test]
    fn strips_matching_fields_only() {
        let mut doc = json!({"object": "list", "data": [
            {"id": "a", "pricing": {"checked_at": "t1", "input": 1}},
            {"id": "b", "pricing": {"checked_at": "t2", "input": 2}, "updated_at": 5},
        ]});
        let n = strip(&mut doc, &rules(&["/data/*/pricing/checked_at"]));
        assert_eq!(n, 2);
        assert_eq!(
            doc,
            json!({"object": "list", "data": [
                {"id": "a", "pricing": {"input": 1}},
                {"id": "b", "pricing": {"input": 2}, "updated_at": 5},
            ]})
        );
        let n = strip(&mut doc, &rules(&["/**/*_at", "/object"]));
        assert_eq!(n, 2);
        assert_eq!(doc["data"][1].get("updated_at"), None);
        assert_eq!(doc.get("object"), None);
        // `**` matches zero segments too.
        let mut doc = json!({"ts": 1, "a": {"ts": 2, "b": [{"ts": 3}]}});
        assert_eq!(strip(&mut doc, &rules(&["/**/ts"])), 3);
        assert_eq!(doc, json!({"a": {"b": [{}]}}));
    }

    #[test]
    fn bad_rules_are_refused_with_a_hint() {
        let e = FieldGlob::parse("pricing.checked_at").unwrap_err();
        assert!(e.contains("`/pricing/checked_at`"), "{e}");
        assert!(FieldGlob::parse("/").is_err());
        assert!(FieldGlob::parse("/**").is_err());
        assert!(FieldGlob::parse("/a~1b").is_ok());
    }
}
