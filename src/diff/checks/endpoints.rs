//! Operations added and removed (with deprecation and sunset dates),
//! deprecation, operation ids, tags and stability levels.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Pair;
use super::lifecycle::{Deprecation, judge, sunset, sunset_moved_too_soon};
use crate::diff::document::Operation;

type Ops<'a> = BTreeMap<(String, String), Operation<'a>>;

fn deprecated(v: &Value) -> bool {
    v.get("deprecated").and_then(Value::as_bool) == Some(true)
}

/// Whether an operation is marked `draft` or `alpha`, stability levels
/// that promise nothing: removing or changing it is not reported as
/// breaking.
pub fn unstable(op: &Value) -> bool {
    matches!(
        op.get("x-stability-level").and_then(Value::as_str),
        Some("draft" | "alpha")
    )
}

pub fn added_and_removed(pair: &mut Pair<'_>, base: &Ops<'_>, rev: &Ops<'_>) {
    let rev_paths = pair.rev.paths();
    for (key, op) in base {
        if rev.contains_key(key) || unstable(op.value) {
            continue;
        }
        let path_gone = !rev_paths.contains_key(&key.0);
        pair.out.set_operation(&op.method, &op.path);
        let what = format!("{} {}", op.method, op.path);
        let (id, message) = if !deprecated(op.value) {
            if path_gone {
                (
                    "api-path-removed-without-deprecation",
                    format!(
                        "path {} was removed without being deprecated first",
                        op.path
                    ),
                )
            } else {
                (
                    "api-removed-without-deprecation",
                    format!("{what} was removed without being deprecated first"),
                )
            }
        } else {
            match sunset(op.value) {
                Some(Err(text)) => (
                    "api-path-sunset-parse",
                    format!("{what} was removed; its sunset date `{text}` cannot be read"),
                ),
                Some(Ok(date)) if date > pair.options.today => {
                    let id = if path_gone {
                        "api-path-removed-before-sunset"
                    } else {
                        "api-removed-before-sunset"
                    };
                    (
                        id,
                        format!("{what} was removed before its sunset date {date}"),
                    )
                }
                _ => {
                    let id = if path_gone {
                        "api-path-removed-with-deprecation"
                    } else {
                        "api-removed-with-deprecation"
                    };
                    (id, format!("deprecated {what} was removed"))
                }
            }
        };
        pair.out
            .emit(id, "", message, Some(op.pointer.clone()), None);
    }
    let base_paths = pair.base.paths();
    for (key, op) in rev {
        if base.contains_key(key) {
            continue;
        }
        // A path both have is named as the base spells it.
        let path = base_paths
            .get(&key.0)
            .map_or(op.path.as_str(), |(p, _)| p.as_str());
        pair.out.set_operation(&op.method, path);
        pair.out.emit(
            "endpoint-added",
            "",
            format!("{} {} was added", op.method, op.path),
            None,
            Some(op.pointer.clone()),
        );
    }
    pair.out.clear_operation();
}

/// Stability levels, least stable first.
const STABILITY: [&str; 4] = ["draft", "alpha", "beta", "stable"];

pub fn changed(pair: &mut Pair<'_>, b: &Operation<'_>, r: &Operation<'_>) {
    let (bp, rp) = (Some(b.pointer.clone()), Some(r.pointer.clone()));
    let what = format!("{} {}", r.method, r.path);
    // An unknown stability level is reported below; no policy can be
    // applied to it.
    let known_level = r
        .value
        .get("x-stability-level")
        .and_then(Value::as_str)
        .is_none_or(|s| STABILITY.contains(&s));
    match (deprecated(b.value), deprecated(r.value)) {
        _ if !known_level => {}
        (false, true) => {
            let (id, message) = match judge(pair.options, pair.notice_days, r.value) {
                Deprecation::Plain => ("endpoint-deprecated", format!("{what} is deprecated")),
                Deprecation::WithSunset(date) => (
                    "endpoint-deprecated-with-sunset",
                    format!("{what} is deprecated, with sunset on {date}"),
                ),
                Deprecation::SunsetMissing => (
                    "api-deprecated-sunset-missing",
                    format!(
                        "{what} is deprecated without a sunset date; the policy asks for {} days' notice",
                        pair.notice_days
                    ),
                ),
                Deprecation::SunsetInvalid(text) => (
                    "api-deprecated-sunset-parse",
                    format!("{what} is deprecated; its sunset date `{text}` cannot be read"),
                ),
                Deprecation::SunsetTooSoon(date, days) => (
                    "api-sunset-date-too-small",
                    format!(
                        "{what} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                    ),
                ),
            };
            pair.out.emit(id, "", message, bp.clone(), rp.clone());
        }
        (true, false) => {
            pair.out.emit(
                "endpoint-reactivated",
                "",
                format!("{what} is no longer deprecated"),
                bp.clone(),
                rp.clone(),
            );
        }
        (true, true) => {
            if b.value.get("x-sunset").is_some() && r.value.get("x-sunset").is_none() {
                pair.out.emit(
                    "sunset-deleted",
                    "",
                    format!("{what} lost its sunset date"),
                    bp.clone(),
                    rp.clone(),
                );
            }
            if let Some((x, y)) =
                sunset_moved_too_soon(pair.options, pair.notice_days, b.value, r.value)
            {
                pair.out.emit(
                    "api-sunset-date-changed-too-small",
                    "",
                    format!(
                        "{what}'s sunset date moved from {x} to {y}, less than the {} days' notice the policy asks",
                        pair.notice_days
                    ),
                    bp.clone(),
                    rp.clone(),
                );
            }
        }
        (false, false) => {}
    }
    let bid = b.value.get("operationId").and_then(Value::as_str);
    let rid = r.value.get("operationId").and_then(Value::as_str);
    match (bid, rid) {
        (Some(x), Some(y)) if x != y => {
            pair.out.emit(
                "api-operation-id-removed",
                x,
                format!("{what} operation id changed from `{x}` to `{y}`"),
                bp.clone(),
                rp.clone(),
            );
        }
        (Some(x), None) => {
            pair.out.emit(
                "api-operation-id-removed",
                x,
                format!("{what} lost its operation id `{x}`"),
                bp.clone(),
                rp.clone(),
            );
        }
        (None, Some(y)) => {
            pair.out.emit(
                "api-operation-id-added",
                y,
                format!("{what} has the new operation id `{y}`"),
                bp.clone(),
                rp.clone(),
            );
        }
        _ => {}
    }
    let tags = |v: &Value| -> Vec<String> {
        v.get("tags")
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    };
    let (bt, rt) = (tags(b.value), tags(r.value));
    for t in bt.iter().filter(|t| !rt.contains(t)) {
        pair.out.emit(
            "api-tag-removed",
            t,
            format!("{what} is no longer tagged `{t}`"),
            bp.clone(),
            rp.clone(),
        );
    }
    for t in rt.iter().filter(|t| !bt.contains(t)) {
        pair.out.emit(
            "api-tag-added",
            t,
            format!("{what} is now tagged `{t}`"),
            bp.clone(),
            rp.clone(),
        );
    }
    let level = |v: &Value| {
        v.get("x-stability-level")
            .and_then(Value::as_str)
            .map(String::from)
    };
    let (bs, rs) = (level(b.value), level(r.value));
    let invalid = rs
        .as_deref()
        .filter(|s| !STABILITY.contains(s))
        .or_else(|| bs.as_deref().filter(|s| !STABILITY.contains(s)));
    if let Some(s) = invalid {
        pair.out.emit(
            "api-invalid-stability-level",
            s,
            format!("{what} has an unknown stability level `{s}`"),
            bp.clone(),
            rp.clone(),
        );
        return;
    }
    if let (Some(x), Some(y)) = (bs.as_deref(), rs.as_deref()) {
        let rank = |s: &str| STABILITY.iter().position(|k| *k == s);
        if let (Some(i), Some(j)) = (rank(x), rank(y)) {
            if j < i {
                pair.out.emit(
                    "api-stability-decreased",
                    "",
                    format!("{what} stability decreased from {x} to {y}"),
                    bp,
                    rp,
                );
            } else if j > i {
                pair.out.emit(
                    "api-stability-increased",
                    "",
                    format!("{what} stability increased from {x} to {y}"),
                    bp,
                    rp,
                );
            }
        }
    }
}
