//! The families of checks. Each file compares one aspect of a matched pair
//! of documents or operations and emits findings as checks declared in the
//! [registry](super::registry), which holds their ids and levels.

mod components;
mod content;
mod endpoints;
mod lifecycle;
mod parameters;
mod request_body;
mod responses;
pub mod schema;
mod security;

use super::document::Operation;
use super::same::Sameness;
use super::{DiffOptions, Doc, Emitter, registry};

/// An empty JSON object, for lookups that find nothing.
static EMPTY: std::sync::LazyLock<serde_json::Map<String, serde_json::Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// The object under `key`, or an empty one.
pub fn members<'a>(
    v: &'a serde_json::Value,
    key: &str,
) -> &'a serde_json::Map<String, serde_json::Value> {
    v.get(key)
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&EMPTY)
}

/// Two documents being compared, and where findings go.
pub struct Pair<'e> {
    pub base: &'e Doc<'e>,
    pub rev: &'e Doc<'e>,
    pub out: &'e mut Emitter,
    pub options: &'e DiffOptions,
    pub same: &'e Sameness,
    /// Days of notice the deprecation policy asks of the operation being
    /// compared (see [`lifecycle::required_days`]).
    pub notice_days: i64,
    /// Schema comparisons, shared by every operation reaching them.
    pub schemas: schema::Memo<'e>,
}

/// Runs every family over the two documents. Returns how many pairs of
/// schema nodes were compared (each once, however many operations reach
/// it).
pub fn run(base: &Doc<'_>, rev: &Doc<'_>, options: &DiffOptions, out: &mut Emitter) -> usize {
    let same = Sameness::new(base, rev);
    let mut pair = Pair {
        base,
        rev,
        out,
        options,
        same: &same,
        notice_days: lifecycle::required_days(options, None),
        schemas: schema::Memo::default(),
    };
    let mut base_ops = base.operations();
    let mut rev_ops = rev.operations();
    if let Some(min) = options.stability_level {
        for key in below_stability(base, rev, min) {
            base_ops.remove(&key);
            rev_ops.remove(&key);
        }
    }
    endpoints::added_and_removed(&mut pair, &base_ops, &rev_ops);
    for (key, b) in &base_ops {
        if let Some(r) = rev_ops.get(key) {
            // Nothing below differs: nothing to report.
            let same_params = match (b.path_item.get("parameters"), r.path_item.get("parameters")) {
                (Some(x), Some(y)) => same.same(base, x, rev, y),
                (None, None) => true,
                _ => false,
            };
            if same_params && same.same(base, b.value, rev, r.value) {
                continue;
            }
            // Like oasdiff, name the operation as the base spells its path.
            pair.out.set_operation(&b.method, &b.path);
            operation(&mut pair, b, r);
        }
    }
    pair.out.clear_operation();
    webhooks(&mut pair);
    security::global(&mut pair);
    components::compare(&mut pair);
    pair.schemas.compared()
}

/// The operations (method and path keys) below stability `min` on every
/// side that has them: `--stability-level` leaves them out. One that is
/// below it on one side only (promoted, or demoted) is still compared, so
/// its stability change is reported.
pub fn below_stability(
    base: &Doc<'_>,
    rev: &Doc<'_>,
    min: crate::diff::Stability,
) -> std::collections::BTreeSet<(String, String)> {
    let below = |op: Option<&Operation<'_>>| {
        op.is_none_or(|op| crate::diff::Stability::of(op.value).is_some_and(|s| s < min))
    };
    let (b, r) = (base.operations(), rev.operations());
    b.keys()
        .chain(r.keys())
        .filter(|k| below(b.get(*k)) && below(r.get(*k)))
        .cloned()
        .collect()
}

/// Every per-operation family, on a matched pair of operations.
fn operation<'e>(pair: &mut Pair<'e>, b: &Operation<'e>, r: &Operation<'e>) {
    pair.notice_days = lifecycle::required_days(
        pair.options,
        r.value
            .get("x-stability-level")
            .and_then(serde_json::Value::as_str),
    );
    endpoints::changed(pair, b, r);
    // A draft or alpha operation makes no promises: only its lifecycle
    // (stability, deprecation, tags) is reported.
    if endpoints::unstable(b.value) {
        return;
    }
    parameters::compare(pair, b, r);
    request_body::compare(pair, b, r);
    responses::compare(pair, b, r);
    security::operation(pair, b, r);
}

/// OpenAPI 3.1 webhooks: requests the API sends. Whole webhooks added and
/// removed are reported as such; a webhook both sides have is compared
/// like an operation, named `METHOD webhook-name`.
fn webhooks(pair: &mut Pair<'_>) {
    let base = pair.base.webhook_operations();
    let rev = pair.rev.webhook_operations();
    let names = |ops: &std::collections::BTreeMap<(String, String), Operation<'_>>| {
        ops.values()
            .map(|o| o.path.clone())
            .collect::<std::collections::BTreeSet<_>>()
    };
    let (bn, rn) = (names(&base), names(&rev));
    for name in bn.difference(&rn) {
        let pointer = format!("/webhooks/{}", super::pointer_segment(name));
        pair.out.emit(
            registry::WEBHOOK_REMOVED,
            name,
            format!("webhook `{name}` was removed"),
            Some(pointer),
            None,
        );
    }
    for name in rn.difference(&bn) {
        let pointer = format!("/webhooks/{}", super::pointer_segment(name));
        pair.out.emit(
            registry::WEBHOOK_ADDED,
            name,
            format!("webhook `{name}` was added"),
            None,
            Some(pointer),
        );
    }
    for (key, b) in &base {
        if let Some(r) = rev.get(key) {
            if pair.same.same(pair.base, b.value, pair.rev, r.value) {
                continue;
            }
            pair.out.set_operation(&b.method, &b.path);
            operation(pair, b, r);
        }
    }
    pair.out.clear_operation();
}

/// Small documents and a diff of them, for the tests beside each family.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::{Value, json};

    use crate::diff::{DiffOptions, Finding, Level, diff_openapi};

    /// An OpenAPI 3.0 document with these `paths`.
    pub fn doc(paths: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "test", "version": "1"},
            "paths": paths
        })
    }

    /// A document whose only operation is `GET /pets`.
    pub fn get_pets(operation: Value) -> Value {
        doc(json!({"/pets": {"get": operation}}))
    }

    /// A deprecation policy of `beta` and `stable` days, on 2026-06-01.
    pub fn policy(beta: u32, stable: u32) -> DiffOptions {
        DiffOptions {
            today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("a valid date"),
            deprecation_days_beta: beta,
            deprecation_days_stable: stable,
            ..DiffOptions::default()
        }
    }

    /// The findings of `base` against `revision`, with no deprecation policy.
    pub fn diff(base: &Value, revision: &Value) -> Vec<Finding> {
        diff_openapi(base, revision, &policy(0, 0))
    }

    /// Each finding as `(level, id)`.
    pub fn ids(findings: &[Finding]) -> Vec<(Level, &'static str)> {
        findings.iter().map(|f| (f.level, f.id)).collect()
    }

    /// The only finding, or a panic listing them all.
    pub fn only(findings: &[Finding]) -> &Finding {
        match findings {
            [f] => f,
            _ => panic!("one finding expected, got {findings:#?}"),
        }
    }
}
