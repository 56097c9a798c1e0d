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
use super::{DiffOptions, Doc, Emitter, Finding, registry};

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
/// schema nodes were compared (each once per thread, however many
/// operations reach it).
pub fn run(base: &Doc<'_>, rev: &Doc<'_>, options: &DiffOptions, out: &mut Emitter) -> usize {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    run_on(base, rev, options, out, threads.min(MAX_THREADS))
}

/// Threads that compare operations at most: each beyond the first compares
/// again the shared schemas its operations reach (its memo is its own), so
/// more would mostly repeat work.
const MAX_THREADS: usize = 4;

/// Operations handed out at a time to the threads comparing them.
const CHUNK: usize = 4;

/// [`run`] on at most `threads` threads.
pub(crate) fn run_on(
    base: &Doc<'_>,
    rev: &Doc<'_>,
    options: &DiffOptions,
    out: &mut Emitter,
    threads: usize,
) -> usize {
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
    let matched: Vec<(&Operation<'_>, &Operation<'_>)> = base_ops
        .iter()
        .filter_map(|(key, b)| Some((b, rev_ops.get(key)?)))
        .collect();
    let chunks: Vec<_> = matched.chunks(CHUNK).collect();
    let mut compared = 0;
    let before = pair.out.len();
    let mut found_apart = Vec::new();
    if threads > 1 && chunks.len() > 1 {
        let (others, found) = in_parallel(&mut pair, &chunks, threads);
        compared += others;
        found_apart = found;
    } else {
        for &(b, r) in &matched {
            matched_operation(&mut pair, b, r);
        }
        pair.out.clear_operation();
    }
    webhooks(&mut pair);
    security::global(&mut pair);
    components::compare(&mut pair);
    // The threads' findings go where one thread would have put them, into
    // a vector made once for all: appended first, the few findings after
    // them would have grown it by doubling (a copy of every finding, in
    // fresh memory).
    pair.out.insert_runs(before, found_apart);
    compared + pair.schemas.compared()
}

/// Compares the matched operations of `chunks` on this thread and up to
/// `threads - 1` more, each taking the next chunk when it is done with
/// one, and returns their findings in the order of the chunks (the same
/// findings in the same order as one thread comparing them all).
/// Each thread has its own view of the documents and its own memo (they
/// keep memo tables in cells); the documents themselves are shared.
/// Returns how many pairs of schema nodes the other threads compared, and
/// the findings.
fn in_parallel<'e>(
    pair: &mut Pair<'e>,
    chunks: &[&[(&Operation<'e>, &Operation<'e>)]],
    threads: usize,
) -> (usize, Vec<Vec<Finding>>) {
    /// As much stack as the main thread has: schema walks recurse.
    const STACK: usize = 8 << 20;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let helpers = (threads - 1).min(chunks.len() - 1);
    let forks: Vec<_> = (0..helpers)
        .map(|_| (pair.base.fork(), pair.rev.fork(), pair.same.fork()))
        .collect();
    let options = pair.options;
    let (mine, theirs) = std::thread::scope(|s| {
        let handles: Vec<_> = forks
            .into_iter()
            .filter_map(|(base, rev, same)| {
                let next = &next;
                std::thread::Builder::new()
                    .stack_size(STACK)
                    .spawn_scoped(s, move || {
                        let mut out = Emitter::default();
                        let mut pair = Pair {
                            base: &base,
                            rev: &rev,
                            out: &mut out,
                            options,
                            same: &same,
                            notice_days: lifecycle::required_days(options, None),
                            schemas: schema::Memo::default(),
                        };
                        let taken = take_chunks(&mut pair, chunks, next);
                        (taken, pair.schemas.compared())
                    })
                    // A thread that cannot start leaves its share to the others.
                    .ok()
            })
            .collect();
        let mine = take_chunks(pair, chunks, &next);
        let theirs: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect();
        (mine, theirs)
    });
    let mut compared = 0;
    let mut chunks_found = mine;
    for (t, c) in theirs {
        chunks_found.extend(t);
        compared += c;
    }
    chunks_found.sort_unstable_by_key(|(i, _)| *i);
    (compared, chunks_found.into_iter().map(|(_, f)| f).collect())
}

/// Compares chunk after chunk (the next not yet taken, from `next`) until
/// none is left, and returns the findings of each with its number. The emitter's own findings are left as they were.
///
/// A vector per chunk: a few hundred findings each, in blocks the
/// allocator reuses, where one vector for all of a thread's chunks grew by
/// doubling into fresh memory, copied at each step.
fn take_chunks<'e>(
    pair: &mut Pair<'e>,
    chunks: &[&[(&Operation<'e>, &Operation<'e>)]],
    next: &std::sync::atomic::AtomicUsize,
) -> Vec<(usize, Vec<Finding>)> {
    let kept = pair.out.take_findings();
    let mut taken = Vec::new();
    loop {
        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let Some(chunk) = chunks.get(i) else { break };
        for &(b, r) in *chunk {
            matched_operation(pair, b, r);
        }
        pair.out.clear_operation();
        taken.push((i, pair.out.take_findings()));
    }
    pair.out.extend_findings(kept);
    taken
}

/// An operation both documents have, unless nothing in it differs.
fn matched_operation<'e>(pair: &mut Pair<'e>, b: &Operation<'e>, r: &Operation<'e>) {
    let (same, base, rev) = (pair.same, pair.base, pair.rev);
    let same_params = match (b.path_item.get("parameters"), r.path_item.get("parameters")) {
        (Some(x), Some(y)) => same.same(base, x, rev, y),
        (None, None) => true,
        _ => false,
    };
    if same_params && same.same(base, b.value, rev, r.value) {
        return;
    }
    // Like oasdiff, name the operation as the base spells its path.
    pair.out.set_operation(&b.method, &b.path);
    operation(pair, b, r);
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::run_on;
    use crate::diff::{Doc, Emitter};

    /// Forty operations reaching a shared schema, each with changes of its
    /// own, and one removed.
    fn api(revision: bool) -> Value {
        let paths: serde_json::Map<String, Value> = (0..40)
            .filter(|i| !(revision && *i == 17))
            .map(|i| {
                let limit = if revision && i % 3 == 0 { 50 } else { 100 };
                let op = json!({
                    "parameters": [{"name": "limit", "in": "query",
                        "schema": {"type": "integer", "maximum": limit}}],
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "object", "properties": {
                            "data": {"$ref": "#/components/schemas/Charge"},
                            "count": {"type": if revision && i % 5 == 0 { "string" } else { "integer" }}
                        }}}}}}
                });
                (format!("/charges{i}"), json!({"get": op, "post": op}))
            })
            .collect();
        let status = if revision {
            json!(["paid", "pending"])
        } else {
            json!(["paid"])
        };
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": paths,
            "components": {"schemas": {"Charge": {"type": "object", "properties": {
                "status": {"type": "string", "enum": status}}}}}
        })
    }

    #[test]
    fn operations_compared_on_several_threads_give_what_one_thread_gives() {
        let (base, rev) = (api(false), api(true));
        let found = |threads: usize| {
            let (b, r) = (Doc::new(&base), Doc::new(&rev));
            let mut out = Emitter::default();
            run_on(
                &b,
                &r,
                &crate::diff::DiffOptions::default(),
                &mut out,
                threads,
            );
            // As the diff reports them: sorted. The causes are in the
            // findings.
            let findings = crate::diff::sorted(out.findings);
            (format!("{findings:#?}"), findings.len())
        };
        let one = found(1);
        assert!(one.1 > 100, "only {} findings", one.1);
        for threads in [2, 3, 4] {
            assert_eq!(found(threads), one, "{threads} threads");
        }
    }
}
