//! Root-cause groups: one entry per change at the place it happened.
//!
//! A change in a shared component schema (an enum value added to
//! `charge.status`, say) is reported once for every operation and response
//! that reaches it, since each of them is affected and scripts filter by
//! operation. For a reader those thousands of findings are one change: the
//! diff engine records, in each finding reached through a `$ref`, the
//! [`Cause`] (the component, the pointer and the message worded for the
//! component), and [`group`] folds findings with the same check and cause
//! into one [`Group`] listing the operations affected. A finding of an
//! operation itself (a removed path, a parameter of its own) is a group of
//! its own.
//!
//! Levels stay per finding (rules can change one operation's level): a
//! group has the highest level of its findings and counts them by level.

use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Finding, Level};

/// Where a change reached through a shared schema happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cause {
    /// JSON pointers to the changed place inside the component, on each
    /// side that reached it through a reference.
    pub base_pointer: Option<String>,
    pub revision_pointer: Option<String>,
    /// The finding's message, naming the component instead of the
    /// operation: "schema `charge` property `status` allows the new value
    /// \"x\"".
    pub message: String,
}

/// Findings by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LevelCounts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl LevelCounts {
    pub fn add(&mut self, level: Level) {
        match level {
            Level::Error => self.error += 1,
            Level::Warning => self.warning += 1,
            Level::Info => self.info += 1,
        }
    }

    pub fn of(findings: &[Finding]) -> LevelCounts {
        let mut out = LevelCounts::default();
        for f in findings {
            out.add(f.level);
        }
        out
    }

    pub fn get(&self, level: Level) -> usize {
        match level {
            Level::Error => self.error,
            Level::Warning => self.warning,
            Level::Info => self.info,
        }
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.info
    }
}

/// One change and every finding it caused (borrowing their fingerprints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group<'f> {
    /// Stable across runs: the check, the root pointer and the message,
    /// hashed.
    pub id: String,
    /// The oasdiff check id of its findings.
    pub check: &'static str,
    /// The highest level of its findings.
    pub level: Level,
    pub counts: LevelCounts,
    /// Where the change happened: a pointer into the revision (into the
    /// base for a removal), the component's for a shared schema.
    pub root: Option<String>,
    /// The same place on each side, for showing the changed lines.
    pub base_pointer: Option<String>,
    pub revision_pointer: Option<String>,
    /// The change, worded for the component (for a shared schema) or as the
    /// finding says it.
    pub message: String,
    /// Whether it was reached through a shared component schema.
    pub shared: bool,
    /// Operations affected, `METHOD path`, each once, in the order of the
    /// findings. (One string per operation, shared by its groups.)
    pub operations: Vec<Arc<str>>,
    /// The fingerprints of its findings.
    pub fingerprints: Vec<&'f str>,
}

impl Group<'_> {
    /// The path the group sorts by within its level.
    fn sort_path(&self) -> (&str, &str) {
        (
            self.operations
                .first()
                .map_or("", |o| o.split_once(' ').map_or(&**o, |(_, path)| path)),
            self.root.as_deref().unwrap_or(""),
        )
    }
}

/// Folds `findings` into groups by check and cause, errors first, then
/// warnings, then info; within a level by path, then pointer.
pub fn group(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut out: Vec<Group> = Vec::new();
    let mut index: foldhash::HashMap<(&str, Option<&str>, &str), usize> = Default::default();
    // Each operation numbered once, with its name: the findings of an
    // operation come together (they are sorted by path and operation), so
    // it is looked up when the operation changes, not for every finding.
    let mut numbers: foldhash::HashMap<(&str, &str), usize> = Default::default();
    let mut names: Vec<Arc<str>> = Vec::new();
    let mut current: Option<(&Arc<str>, &Arc<str>, usize)> = None;
    // The operations already listed in each group (a bit per operation
    // number), and the last one.
    let mut listed: Vec<Vec<u64>> = Vec::new();
    let mut last: Vec<Option<usize>> = Vec::new();
    // A shared cause (with its check) is one group: found by the cause's
    // address and the check's (the registry's string) once it has been
    // placed by its key. (Two addresses for one check would only find the
    // same group by its key.)
    let mut by_cause: rustc_hash::FxHashMap<(usize, usize), usize> = Default::default();
    for f in findings {
        let cause = f.cause.as_ref();
        let address = cause.map(|c| (Arc::as_ptr(c) as usize, f.id.as_ptr() as usize));
        let i = match address.and_then(|a| by_cause.get(&a)) {
            Some(&i) => i,
            None => {
                let i = place(&mut out, &mut index, f, cause.map(|c| &**c));
                listed.resize_with(out.len(), Default::default);
                last.resize(out.len(), None);
                if let Some(a) = address {
                    by_cause.insert(a, i);
                }
                i
            }
        };
        let g = &mut out[i];
        g.level = g.level.max(f.level);
        g.counts.add(f.level);
        g.fingerprints.push(&f.fingerprint);
        if let (Some(m), Some(p)) = (&f.operation, &f.path) {
            // The findings of one operation share its names.
            let number = match current {
                Some((cm, cp, n)) if Arc::ptr_eq(cm, m) && Arc::ptr_eq(cp, p) => n,
                _ => {
                    let n = *numbers.entry((&**m, &**p)).or_insert_with(|| {
                        names.push(format!("{m} {p}").into());
                        names.len() - 1
                    });
                    current = Some((m, p, n));
                    n
                }
            };
            if last[i] != Some(number) && first_time(&mut listed[i], number) {
                g.operations.push(Arc::clone(&names[number]));
            }
            last[i] = Some(number);
        }
    }
    out.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| a.sort_path().cmp(&b.sort_path()))
            .then_with(|| a.check.cmp(b.check))
            .then_with(|| a.message.cmp(&b.message))
    });
    out
}

/// Sets bit `n` of `bits`; whether it was clear.
fn first_time(bits: &mut Vec<u64>, n: usize) -> bool {
    let (word, bit) = (n / 64, 1 << (n % 64));
    if bits.len() <= word {
        bits.resize(word + 1, 0);
    }
    let clear = bits[word] & bit == 0;
    bits[word] |= bit;
    clear
}

/// The group of `f` (whose cause is `cause`, if it has one) by its check,
/// root and message; made at the end of `out` when there is none yet.
fn place<'f>(
    out: &mut Vec<Group<'f>>,
    index: &mut foldhash::HashMap<(&'f str, Option<&'f str>, &'f str), usize>,
    f: &'f Finding,
    cause: Option<&'f Cause>,
) -> usize {
    let (base_pointer, revision_pointer, message) = match cause {
        Some(c) => (
            c.base_pointer.as_deref(),
            c.revision_pointer.as_deref(),
            c.message.as_str(),
        ),
        None => (
            f.base_pointer.as_deref(),
            f.revision_pointer.as_deref(),
            &*f.message,
        ),
    };
    // The same change worded the same way in several operations (an
    // inline schema each repeats) is one group too.
    let root = revision_pointer.or(base_pointer);
    let key_root = if cause.is_some() { root } else { None };
    *index.entry((f.id, key_root, message)).or_insert_with(|| {
        let mut h = Sha256::new();
        for part in [f.id, key_root.unwrap_or(""), message] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        out.push(Group {
            id: crate::diff::fingerprint_hex(&h.finalize()[..8]),
            check: f.id,
            level: f.level,
            counts: LevelCounts::default(),
            root: root.map(String::from),
            base_pointer: base_pointer.map(String::from),
            revision_pointer: revision_pointer.map(String::from),
            message: message.to_string(),
            shared: cause.is_some(),
            operations: Vec::new(),
            fingerprints: Vec::new(),
        });
        out.len() - 1
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::diff::{DiffOptions, diff_openapi};

    fn names(operations: &[Arc<str>]) -> Vec<&str> {
        operations.iter().map(|o| &**o).collect()
    }

    /// Three operations returning the shared `Charge`, whose `status` gains
    /// a value, and one operation removed.
    fn shared_pair() -> (Value, Value) {
        let doc = |values: Value, removed: bool| {
            let ok = json!({"responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Charge"}}}}}});
            let mut paths = json!({
                "/charges": {"get": ok.clone(), "post": ok.clone()},
                "/charges/{id}": {"get": ok.clone()},
            });
            if removed {
                paths["/refunds"] = json!({"get": ok.clone()});
            }
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": paths,
                "components": {"schemas": {"Charge": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": values}}}}}
            })
        };
        (
            doc(json!(["paid", "failed"]), true),
            doc(json!(["paid", "failed", "pending"]), false),
        )
    }

    #[test]
    fn a_shared_schema_change_is_one_group_listing_every_operation() {
        let (base, rev) = shared_pair();
        let findings = diff_openapi(&base, &rev, &DiffOptions::default());
        let enum_findings = findings
            .iter()
            .filter(|f| f.id == "response-property-enum-value-added")
            .count();
        assert_eq!(enum_findings, 3, "{findings:#?}");
        let groups = group(&findings);
        let g = groups
            .iter()
            .find(|g| g.check == "response-property-enum-value-added")
            .expect("the enum group");
        assert_eq!(g.fingerprints.len(), 3);
        assert_eq!(
            names(&g.operations),
            ["GET /charges", "POST /charges", "GET /charges/{id}"]
        );
        assert_eq!(
            g.root.as_deref(),
            Some("/components/schemas/Charge/properties/status")
        );
        assert_eq!(
            g.message,
            "schema `Charge` property `status` allows the new value \"pending\""
        );
        assert!(g.shared);
        // Errors first.
        assert_eq!(groups[0].level, Level::Error);
        assert_eq!(groups[0].check, "api-path-removed-without-deprecation");
        assert_eq!(groups.len(), 2, "{groups:#?}");
    }

    /// A response that is one of two schemas, both losing the same
    /// property: the operation's finding is one (one fingerprint), and it
    /// is put down to the alternative found first, with the operation
    /// that returns only that schema.
    #[test]
    fn a_change_reached_through_two_alternatives_has_the_cause_found_first() {
        let doc = |with_nickname: bool| {
            let user = |name: &str| {
                let mut properties = json!({"id": {"type": "string"}});
                if with_nickname {
                    properties["nickname"] = json!({"type": "string"});
                }
                (
                    name.to_string(),
                    json!({"type": "object", "properties": properties}),
                )
            };
            let returns = |schema: Value| {
                json!({"responses": {"200": {"description": "ok", "content": {
                    "application/json": {"schema": schema}}}}})
            };
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": {
                    "/user": {"get": returns(json!({"oneOf": [
                        {"$ref": "#/components/schemas/PrivateUser"},
                        {"$ref": "#/components/schemas/PublicUser"}]}))},
                    "/me": {"get": returns(json!({"$ref": "#/components/schemas/PrivateUser"}))},
                },
                "components": {"schemas": serde_json::Map::from_iter([
                    user("PrivateUser"), user("PublicUser")])}
            })
        };
        let findings = diff_openapi(&doc(true), &doc(false), &DiffOptions::default());
        let on_user: Vec<_> = findings
            .iter()
            .filter(|f| f.path.as_deref() == Some("/user"))
            .collect();
        assert_eq!(on_user.len(), 1, "{findings:#?}");
        let groups = group(&findings);
        let private = groups
            .iter()
            .find(|g| names(&g.operations).contains(&"GET /me"))
            .expect("a group for /me");
        assert_eq!(
            private.root.as_deref(),
            Some("/components/schemas/PrivateUser"),
            "{groups:#?}"
        );
        assert_eq!(
            names(&private.operations),
            ["GET /me", "GET /user"],
            "{groups:#?}"
        );
        assert_eq!(groups.len(), 1, "{groups:#?}");
    }
}
