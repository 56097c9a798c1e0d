//! The observed shape of an endpoint's responses: which keys come back,
//! with which JSON types, whether they are ever null, and, while they
//! look like an enum, which values. Kept per endpoint and day instead of
//! the bodies, so a change in what the API sends shows up even when its
//! description did not change.
//!
//! Bounded: at most [`MAX_FIELDS`] pointers per shape, [`MAX_VALUES`]
//! values per pointer (a field with more is not enum-like and keeps no
//! values), values of at most [`MAX_VALUE_LEN`] characters, and nothing
//! kept of a value that looks like a credential or sits under a key named
//! like one. Array indices are written `*`, so every item of a list adds
//! to one set of pointers.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub const MAX_FIELDS: usize = 500;
pub const MAX_VALUES: usize = 12;
pub const MAX_VALUE_LEN: usize = 32;
/// Nodes of one response looked at; the rest of a huge body adds nothing.
pub const MAX_NODES: usize = 200_000;

/// What was seen at one pointer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// JSON types seen: `string`, `integer`, `number`, `boolean`, `null`,
    /// `object`, `array`.
    pub types: BTreeSet<String>,
    /// The distinct values while there are few of them (strings and
    /// booleans); `None` once there were too many or one was not kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<BTreeSet<String>>,
}

/// The shape of one or more responses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape {
    pub fields: BTreeMap<String, Field>,
    /// Some pointers were not kept ([`MAX_FIELDS`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

/// The JSON type name of a value, as JSON Schema says it.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a key's value is a secret by its name.
pub fn secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "token",
        "secret",
        "password",
        "passwd",
        "apikey",
        "api_key",
        "api-key",
        "auth",
        "session",
        "credential",
        "signature",
        "cookie",
        "private",
    ]
    .iter()
    .any(|w| k.contains(w))
        || k == "key"
}

impl Shape {
    /// The shape of one response.
    pub fn of(value: &Value) -> Shape {
        let mut shape = Shape::default();
        let mut budget = MAX_NODES;
        let mut pointer = String::new();
        shape.walk(value, &mut pointer, false, &mut budget);
        shape
    }

    fn walk(&mut self, value: &Value, pointer: &mut String, secret: bool, budget: &mut usize) {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        self.note(pointer, value, secret);
        let len = pointer.len();
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    pointer.push('/');
                    push_escaped(pointer, k);
                    self.walk(v, pointer, secret || secret_key(k), budget);
                    pointer.truncate(len);
                }
            }
            Value::Array(list) => {
                pointer.push_str("/*");
                for v in list {
                    self.walk(v, pointer, secret, budget);
                }
                pointer.truncate(len);
            }
            _ => {}
        }
    }

    fn note(&mut self, pointer: &str, value: &Value, secret: bool) {
        if !self.fields.contains_key(pointer) && self.fields.len() >= MAX_FIELDS {
            self.truncated = true;
            return;
        }
        let field = self
            .fields
            .entry(pointer.to_string())
            .or_insert_with(|| Field {
                types: BTreeSet::new(),
                values: Some(BTreeSet::new()),
            });
        field.types.insert(type_name(value).to_string());
        let kept = match value {
            Value::Bool(b) => Some(b.to_string()),
            Value::String(s)
                if !secret
                    && s.chars().count() <= MAX_VALUE_LEN
                    && !crate::watch::looks_like_credential(s) =>
            {
                Some(s.clone())
            }
            Value::String(_) => None,
            // Numbers, objects, arrays and null leave the set as it is.
            _ => return,
        };
        field.values = match (field.values.take(), kept) {
            (Some(mut set), Some(v)) => {
                set.insert(v);
                (set.len() <= MAX_VALUES).then_some(set)
            }
            _ => None,
        };
    }

    /// Adds another response's shape to this one.
    pub fn merge(&mut self, other: &Shape) {
        self.truncated |= other.truncated;
        for (pointer, theirs) in &other.fields {
            if !self.fields.contains_key(pointer) && self.fields.len() >= MAX_FIELDS {
                self.truncated = true;
                continue;
            }
            let mine = self.fields.entry(pointer.clone()).or_insert_with(|| Field {
                types: BTreeSet::new(),
                values: Some(BTreeSet::new()),
            });
            mine.types.extend(theirs.types.iter().cloned());
            mine.values = match (mine.values.take(), &theirs.values) {
                (Some(mut a), Some(b)) => {
                    a.extend(b.iter().cloned());
                    (a.len() <= MAX_VALUES).then_some(a)
                }
                _ => None,
            };
        }
    }
}

/// How the shape seen on one day differs from an earlier one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShapeChange {
    pub pointer: String,
    /// `appeared`, `disappeared`, `type-added`, `type-gone`, `value-added`.
    pub change: &'static str,
    /// The types or values concerned.
    pub detail: String,
}

/// What changed from `before` to `after`. Pointers and values only count
/// as gone when neither shape was truncated.
pub fn changes(before: &Shape, after: &Shape) -> Vec<ShapeChange> {
    let mut out = Vec::new();
    let join = |set: &mut dyn Iterator<Item = &String>| {
        set.map(String::as_str).collect::<Vec<_>>().join(", ")
    };
    for (pointer, field) in &after.fields {
        match before.fields.get(pointer) {
            None if !before.truncated => out.push(ShapeChange {
                pointer: pointer.clone(),
                change: "appeared",
                detail: join(&mut field.types.iter()),
            }),
            None => {}
            Some(old) => {
                let added: Vec<&String> = field.types.difference(&old.types).collect();
                if !added.is_empty() {
                    out.push(ShapeChange {
                        pointer: pointer.clone(),
                        change: "type-added",
                        detail: join(&mut added.into_iter()),
                    });
                }
                let gone: Vec<&String> = old.types.difference(&field.types).collect();
                if !gone.is_empty() {
                    out.push(ShapeChange {
                        pointer: pointer.clone(),
                        change: "type-gone",
                        detail: join(&mut gone.into_iter()),
                    });
                }
                if let (Some(a), Some(b)) = (&old.values, &field.values) {
                    let new: Vec<&String> = b.difference(a).collect();
                    if !new.is_empty() {
                        out.push(ShapeChange {
                            pointer: pointer.clone(),
                            change: "value-added",
                            detail: join(&mut new.into_iter()),
                        });
                    }
                }
            }
        }
    }
    if !after.truncated {
        for (pointer, field) in &before.fields {
            if !after.fields.contains_key(pointer) {
                out.push(ShapeChange {
                    pointer: pointer.clone(),
                    change: "disappeared",
                    detail: join(&mut field.types.iter()),
                });
            }
        }
    }
    out
}

/// Appends a JSON pointer segment (`~` and `/` escaped).
pub fn push_escaped(out: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_shape_keeps_types_nulls_and_few_values_but_no_secrets() {
        let s = Shape::of(&json!({
            "items": [{"id": 1, "color": "red", "token": "abc"}, {"id": null, "color": "blue"}],
        }));
        let id = &s.fields["/items/*/id"];
        assert_eq!(
            id.types.iter().cloned().collect::<Vec<_>>(),
            ["integer", "null"]
        );
        let color = s.fields["/items/*/color"].values.clone().unwrap();
        assert_eq!(color.into_iter().collect::<Vec<_>>(), ["blue", "red"]);
        assert_eq!(s.fields["/items/*/token"].values, None);
    }

    #[test]
    fn changes_between_days_are_listed() {
        let before = Shape::of(&json!({"id": 1, "state": "on"}));
        let after = Shape::of(&json!({"id": "1", "state": "paused", "extra": true}));
        let c: Vec<(String, &str)> = changes(&before, &after)
            .into_iter()
            .map(|c| (c.pointer, c.change))
            .collect();
        assert!(c.contains(&("/extra".into(), "appeared")), "{c:?}");
        assert!(c.contains(&("/id".into(), "type-added")), "{c:?}");
        assert!(c.contains(&("/id".into(), "type-gone")), "{c:?}");
        assert!(c.contains(&("/state".into(), "value-added")), "{c:?}");
    }

    #[test]
    fn many_values_are_not_an_enum_and_fields_are_bounded() {
        let list: Vec<Value> = (0..20).map(|i| json!({"v": format!("x{i}")})).collect();
        let s = Shape::of(&Value::Array(list));
        assert_eq!(s.fields["/*/v"].values, None);
        let wide: serde_json::Map<String, Value> =
            (0..600).map(|i| (format!("k{i}"), json!(i))).collect();
        let s = Shape::of(&Value::Object(wide));
        assert!(s.truncated);
        assert_eq!(s.fields.len(), MAX_FIELDS);
    }
}
