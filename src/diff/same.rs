//! Which parts of two documents are the same, so the diff can skip them.
//!
//! Most of a large API does not change between versions. Comparing every
//! operation's schemas in full would cost the size of the API times the
//! number of operations. Instead:
//!
//! 1. every node has a hash of its content as written (`$ref`s by their
//!    text), computed once;
//! 2. a reference is *dirty* when its target differs between the two
//!    documents (or exists in only one), or when the target contains a
//!    dirty reference: a fixpoint over the reference graph, which handles
//!    recursive schemas;
//! 3. two nodes are the same when their written hashes are equal and
//!    nothing below them refers to a dirty reference.
//!
//! All of it is linear in the size of the documents; nothing is
//! approximate.

use std::cell::RefCell;

use serde_json::Value;

use super::Doc;

pub struct Sameness {
    dirty: foldhash::HashSet<String>,
    /// Per document: node address → "refers to a dirty reference".
    touches: [RefCell<rustc_hash::FxHashMap<usize, bool>>; 2],
}

/// Every `$ref` text below `value`.
fn refs_below<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs_below(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs_below(v, out)),
        _ => {}
    }
}

/// Every `$ref` text in `root`.
fn all_refs(root: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    refs_below(root, &mut out);
    out
}

/// For each of `names` (in the set's order): what it points at in `root`,
/// and the references below that.
fn targets<'a, 'n>(
    root: &'a Value,
    names: &foldhash::HashSet<&'n str>,
) -> Vec<(&'n str, Option<&'a Value>, Vec<&'a str>)> {
    names
        .iter()
        .map(|&name| {
            let target = super::document::lookup_in(root, name);
            let mut inner = Vec::new();
            if let Some(t) = target {
                refs_below(t, &mut inner);
            }
            (name, target, inner)
        })
        .collect()
}

impl Sameness {
    pub fn new(base: &Doc<'_>, rev: &Doc<'_>) -> Sameness {
        // Each document is walked on a thread of its own: every reference
        // it has, then what each reference of either document points at in
        // it and which references that target holds.
        let (b_root, r_root) = (base.root(), rev.root());
        let (b_refs, r_refs) = super::both(|| all_refs(b_root), || all_refs(r_root));
        let names: foldhash::HashSet<&str> = b_refs.into_iter().chain(r_refs).collect();
        let (b_targets, r_targets) =
            super::both(|| targets(b_root, &names), || targets(r_root, &names));
        // For each reference: whether its target changed, and which
        // references its targets contain (edges of the reference graph).
        let mut changed: Vec<&str> = Vec::new();
        let mut users: foldhash::HashMap<&str, Vec<&str>> = Default::default();
        for ((name, b, b_inner), (_, r, r_inner)) in b_targets.into_iter().zip(r_targets) {
            let differs = match (b, r) {
                (Some(b), Some(r)) => base.written_hash(b) != rev.written_hash(r),
                (None, None) => false,
                _ => true,
            };
            if differs {
                changed.push(name);
            }
            for used in b_inner.into_iter().chain(r_inner) {
                users.entry(used).or_default().push(name);
            }
        }
        // Dirt flows from a changed target to every reference whose target
        // (transitively) refers to it.
        let mut dirty: foldhash::HashSet<String> = Default::default();
        let mut queue = changed;
        while let Some(name) = queue.pop() {
            if dirty.insert(name.to_string())
                && let Some(us) = users.get(name)
            {
                queue.extend(us.iter().copied());
            }
        }
        Sameness {
            dirty,
            touches: Default::default(),
        }
    }

    /// The same answers for another thread, with what is known so far.
    pub fn fork(&self) -> Sameness {
        Sameness {
            dirty: self.dirty.clone(),
            touches: [
                RefCell::new(self.touches[0].borrow().clone()),
                RefCell::new(self.touches[1].borrow().clone()),
            ],
        }
    }

    /// Whether `b` (in `base`) and `r` (in `rev`) mean the same.
    pub fn same(&self, base: &Doc<'_>, b: &Value, rev: &Doc<'_>, r: &Value) -> bool {
        base.written_hash(b) == rev.written_hash(r)
            && !self.touches_dirty(0, b)
            && !self.touches_dirty(1, r)
    }

    fn touches_dirty(&self, side: usize, value: &Value) -> bool {
        // Only collections hold references, and only they are remembered.
        if !matches!(value, Value::Object(_) | Value::Array(_)) {
            return false;
        }
        let key = value as *const Value as usize;
        if let Some(t) = self.touches[side].borrow().get(&key) {
            return *t;
        }
        let t = match value {
            Value::Object(map) => map.iter().any(|(k, v)| match (k.as_str(), v) {
                ("$ref", Value::String(r)) => self.dirty.contains(r.as_str()),
                _ => self.touches_dirty(side, v),
            }),
            Value::Array(items) => items.iter().any(|v| self.touches_dirty(side, v)),
            _ => false,
        };
        self.touches[side].borrow_mut().insert(key, t);
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn docs(b: Value, r: Value) -> (Value, Value) {
        (b, r)
    }

    #[test]
    fn a_change_behind_references_and_cycles_is_seen() {
        let (b, r) = docs(
            json!({"components": {"schemas": {
                "Node": {"properties": {"kids": {"items": {"$ref": "#/components/schemas/Node"}},
                                        "leaf": {"$ref": "#/components/schemas/Leaf"}}},
                "Leaf": {"type": "string"},
                "Other": {"type": "integer"}
            }}}),
            json!({"components": {"schemas": {
                "Node": {"properties": {"kids": {"items": {"$ref": "#/components/schemas/Node"}},
                                        "leaf": {"$ref": "#/components/schemas/Leaf"}}},
                "Leaf": {"type": "integer"},
                "Other": {"type": "integer"}
            }}}),
        );
        let (base, rev) = (Doc::new(&b), Doc::new(&r));
        let same = Sameness::new(&base, &rev);
        let node = |d: &Value| d.pointer("/components/schemas/Node").unwrap().clone();
        let other = |d: &Value| d.pointer("/components/schemas/Other").unwrap().clone();
        let (bn, rn) = (node(&b), node(&r));
        // Node is written the same but reaches the changed Leaf.
        assert!(!same.same(&base, &bn, &rev, &rn));
        let (bo, ro) = (other(&b), other(&r));
        assert!(same.same(&base, &bo, &rev, &ro));
    }
}

#[cfg(test)]
mod dense {
    use serde_json::{Map, Value, json};

    use crate::diff::{DiffOptions, diff_openapi};

    /// 30 schemas each referring to every other (like Stripe's expandable
    /// fields): walking or hashing through references without memoizing
    /// would take exponential time. This must finish at once.
    fn dense(changed: bool) -> Value {
        let n = 30;
        let mut schemas = Map::new();
        for i in 0..n {
            let mut props = Map::new();
            for j in 0..n {
                props.insert(
                    format!("to{j}"),
                    json!({"anyOf": [{"type": "string"}, {"$ref": format!("#/components/schemas/S{j}")}]}),
                );
            }
            let leaf = if changed && i == n - 1 {
                "integer"
            } else {
                "string"
            };
            props.insert("leaf".into(), json!({"type": leaf}));
            schemas.insert(
                format!("S{i}"),
                json!({"type": "object", "properties": props}),
            );
        }
        json!({
            "openapi": "3.0.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/s": {"get": {"responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S0"}}}}}}}},
            "components": {"schemas": schemas}
        })
    }

    #[test]
    fn densely_recursive_schemas_diff_quickly_and_completely() {
        let findings = diff_openapi(&dense(false), &dense(true), &DiffOptions::default());
        assert!(
            findings
                .iter()
                .any(|f| f.id == "response-property-type-changed" && f.message.contains("leaf")),
            "{findings:#?}"
        );
        assert!(diff_openapi(&dense(false), &dense(false), &DiffOptions::default()).is_empty());
    }
}
