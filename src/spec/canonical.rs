//! The canonical form of a structured document: the bytes two versions are
//! compared by.
//!
//! Two bodies that mean the same thing must give the same bytes whatever
//! their key order, indentation, quoting or syntax (JSON or YAML). The form
//! is serde_json's pretty printing of the parsed value, with object keys in
//! sorted order, plus a final newline.
//!
//! Catalogs (model lists, price lists) often come back in a different order
//! from one request to the next. With an item key (say `id`), every array
//! whose elements are all objects holding that key with a scalar value is
//! sorted by the text of that value, so a reshuffle alone is not a new
//! version. The sort is stable and compares strings (`"10"` sorts before
//! `"9"`); numbers and booleans compare by their JSON text. Arrays that do
//! not qualify keep their order, since order may mean something there.
//!
//! Pretty printing indents every line by its depth, so the canonical form
//! can be far larger than the body (a list of `0`s 250 levels deep grows
//! 250-fold). It is written through a counting writer that stops at
//! `max_bytes`, so no body can make it larger than that.

use std::io::{self, Write};

use serde_json::Value;

use super::{ByteBudget, SpecError};

/// Pretty JSON with sorted keys and a trailing newline, after sorting
/// catalog arrays by `item_key` when one is given. Longer than `max_bytes`
/// ([`Limits::max_expanded_bytes`](super::Limits::max_expanded_bytes)) is
/// [`SpecError::TooLarge`], found before more than that is written.
pub fn canonical_bytes(
    mut value: Value,
    item_key: Option<&str>,
    max_bytes: usize,
) -> Result<Vec<u8>, SpecError> {
    order(&mut value, item_key);
    let mut out = Bounded {
        bytes: Vec::new(),
        max: max_bytes,
        exceeded: false,
    };
    let written = serde_json::to_writer_pretty(&mut out, &value)
        .and_then(|()| out.write_all(b"\n").map_err(serde_json::Error::io));
    match written {
        Ok(()) => Ok(out.bytes),
        Err(_) if out.exceeded => Err(SpecError::TooLarge {
            limit: max_bytes,
            budget: ByteBudget::ExpandedBytes,
        }),
        Err(e) => Err(SpecError::Canonical {
            message: e.to_string(),
        }),
    }
}

/// A `Vec` that refuses to grow past `max` bytes.
struct Bounded {
    bytes: Vec<u8>,
    max: usize,
    exceeded: bool,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.max {
            self.exceeded = true;
            return Err(io::Error::other("the canonical form is too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Puts every object's keys in sorted order and sorts qualifying arrays by
/// `item_key`. Walks with an explicit stack, not recursion.
///
/// serde_json here keeps objects in a `BTreeMap`, so sorting keys costs
/// nothing; it is done anyway so the canonical form survives another crate
/// turning on serde_json's `preserve_order`.
fn order(value: &mut Value, item_key: Option<&str>) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                map.sort_keys();
                stack.extend(map.values_mut());
            }
            Value::Array(items) => {
                if let Some(key) = item_key {
                    sort_by_item_key(items, key);
                }
                stack.extend(items.iter_mut());
            }
            _ => {}
        }
    }
}

fn sort_by_item_key(items: &mut [Value], key: &str) {
    let mut keyed = Vec::with_capacity(items.len());
    for item in items.iter() {
        match item.get(key).and_then(scalar_text) {
            Some(text) => keyed.push(text),
            None => return,
        }
    }
    if keyed.is_empty() {
        return;
    }
    // Sort positions by their key text, then apply the permutation.
    let mut positions: Vec<usize> = (0..items.len()).collect();
    positions.sort_by(|&a, &b| keyed[a].cmp(&keyed[b]));
    let mut taken: Vec<Option<Value>> = items.iter_mut().map(|v| Some(v.take())).collect();
    for (slot, from) in items.iter_mut().zip(positions) {
        if let Some(v) = taken[from].take() {
            *slot = v;
        }
    }
}

/// The fields tried, in this order, as the key of a catalog's items.
pub const KEY_CANDIDATES: [&str; 4] = ["id", "name", "slug", "key"];

/// The item key a catalog document suggests: its main array (the document
/// itself, or the largest array among the root object's members) holds only
/// objects, at least two, that all carry a unique string or number under
/// one of [`KEY_CANDIDATES`]. The first candidate that fits wins.
pub fn detect_item_key(doc: &Value) -> Option<&'static str> {
    let main = match doc {
        Value::Array(items) => items,
        Value::Object(map) => map
            .values()
            .filter_map(Value::as_array)
            .max_by_key(|items| items.len())?,
        _ => return None,
    };
    if main.len() < 2 || !main.iter().all(Value::is_object) {
        return None;
    }
    KEY_CANDIDATES.into_iter().find(|key| {
        let mut seen = std::collections::HashSet::with_capacity(main.len());
        main.iter().all(|item| match item.get(*key) {
            Some(v @ (Value::String(_) | Value::Number(_))) => {
                scalar_text(v).is_some_and(|t| seen.insert(t))
            }
            _ => false,
        })
    })
}

/// The text of a string, number or boolean; `None` for anything else.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn canon(v: Value, key: Option<&str>) -> String {
        String::from_utf8(canonical_bytes(v, key, usize::MAX).unwrap()).unwrap()
    }

    #[test]
    fn pretty_sorted_with_newline() {
        assert_eq!(
            canon(json!({"b": 1, "a": [true]}), None),
            "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}\n"
        );
    }

    #[test]
    fn item_keys_are_detected_only_when_unique_everywhere() {
        let list =
            json!({"object": "list", "data": [{"id": "a", "name": "x"}, {"id": "b", "name": "x"}]});
        assert_eq!(detect_item_key(&list), Some("id"));
        let named = json!([{"name": "a"}, {"name": "b", "slug": "b"}]);
        assert_eq!(detect_item_key(&named), Some("name"));
        // A repeated id, a missing one, an object id, or a single item.
        assert_eq!(detect_item_key(&json!([{"id": 1}, {"id": 1}])), None);
        assert_eq!(detect_item_key(&json!([{"id": 1}, {"x": 2}])), None);
        assert_eq!(detect_item_key(&json!([{"id": {}}, {"id": []}])), None);
        assert_eq!(detect_item_key(&json!([{"id": 1}])), None);
        assert_eq!(detect_item_key(&json!([1, 2])), None);
        assert_eq!(detect_item_key(&json!("x")), None);
    }

    #[test]
    fn item_key_sorts_catalog_arrays_only() {
        let v = json!({
            "data": [
                {"id": "b", "n": 1},
                {"id": "a", "n": 2, "tags": [{"id": 2}, {"id": 10}]},
                {"id": "a", "n": 3}
            ],
            "mixed": [{"id": "z"}, {"name": "no id"}],
            "nested_id": [{"id": {"x": 1}}, {"id": {"x": 0}}],
            "plain": [3, 1, 2]
        });
        let sorted: Value = serde_json::from_str(&canon(v.clone(), Some("id"))).unwrap();
        assert_eq!(
            sorted["data"],
            json!([
                {"id": "a", "n": 2, "tags": [{"id": 10}, {"id": 2}]},
                {"id": "a", "n": 3},
                {"id": "b", "n": 1}
            ])
        );
        assert_eq!(sorted["mixed"], v["mixed"]);
        assert_eq!(sorted["nested_id"], v["nested_id"]);
        assert_eq!(sorted["plain"], v["plain"]);
        // Without an item key, order is kept.
        let kept: Value = serde_json::from_str(&canon(v.clone(), None)).unwrap();
        assert_eq!(kept, v);
    }

    #[test]
    fn canonical_form_stops_at_max_bytes() {
        let v = json!({"a": [1, 2, 3]});
        let full = canonical_bytes(v.clone(), None, usize::MAX).unwrap();
        // Exactly the size fits; a byte less is refused with the limit named.
        assert_eq!(canonical_bytes(v.clone(), None, full.len()).unwrap(), full);
        let err = canonical_bytes(v, None, full.len() - 1).unwrap_err();
        assert_eq!(
            err,
            SpecError::TooLarge {
                limit: full.len() - 1,
                budget: ByteBudget::ExpandedBytes
            }
        );
        assert!(err.to_string().contains("max_expanded_bytes"), "{err}");
    }

    #[test]
    fn indentation_counts_against_the_budget() {
        // 10 000 zeros 200 levels down: about 20 KB as compact JSON, but
        // the pretty form indents every zero by 400 spaces (about 4 MB).
        let mut v = Value::Array(vec![Value::from(0); 10_000]);
        for _ in 0..199 {
            v = Value::Array(vec![v]);
        }
        assert!(v.to_string().len() < 30_000);
        let err = canonical_bytes(v, None, 1024 * 1024).unwrap_err();
        assert!(matches!(err, SpecError::TooLarge { .. }), "{err:?}");
    }
}
