//! The families of checks. Each file compares one aspect of a matched pair
//! of documents or operations and emits findings by check id; levels come
//! from the [registry](super::registry).

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
use super::{DiffOptions, Doc, Emitter};

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
}

/// Runs every family over the two documents.
pub fn run(base: &Doc<'_>, rev: &Doc<'_>, options: &DiffOptions, out: &mut Emitter) {
    let same = Sameness::new(base, rev);
    let mut pair = Pair {
        base,
        rev,
        out,
        options,
        same: &same,
        notice_days: lifecycle::required_days(options, None),
    };
    let base_ops = base.operations();
    let rev_ops = rev.operations();
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
            "webhook-removed",
            name,
            format!("webhook `{name}` was removed"),
            Some(pointer),
            None,
        );
    }
    for name in rn.difference(&bn) {
        let pointer = format!("/webhooks/{}", super::pointer_segment(name));
        pair.out.emit(
            "webhook-added",
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
