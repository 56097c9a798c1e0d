//! Operations added and removed (with deprecation and sunset dates),
//! deprecation, operation ids, tags and stability levels.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Pair;
use super::lifecycle::{
    Deprecation, judge, sunset, sunset_changed_unreadable, sunset_moved_too_soon,
};
use crate::diff::document::Operation;
use crate::diff::registry;

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
                    registry::API_PATH_REMOVED_WITHOUT_DEPRECATION,
                    format!(
                        "path {} was removed without being deprecated first",
                        op.path
                    ),
                )
            } else {
                (
                    registry::API_REMOVED_WITHOUT_DEPRECATION,
                    format!("{what} was removed without being deprecated first"),
                )
            }
        } else {
            match sunset(op.value) {
                Some(Err(text)) => (
                    registry::API_PATH_SUNSET_PARSE,
                    format!("{what} was removed; its sunset date `{text}` cannot be read"),
                ),
                Some(Ok(date)) if date > pair.options.today => {
                    let id = if path_gone {
                        registry::API_PATH_REMOVED_BEFORE_SUNSET
                    } else {
                        registry::API_REMOVED_BEFORE_SUNSET
                    };
                    (
                        id,
                        format!("{what} was removed before its sunset date {date}"),
                    )
                }
                _ => {
                    let id = if path_gone {
                        registry::API_PATH_REMOVED_WITH_DEPRECATION
                    } else {
                        registry::API_REMOVED_WITH_DEPRECATION
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
            registry::ENDPOINT_ADDED,
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
                Deprecation::Plain => (
                    registry::ENDPOINT_DEPRECATED,
                    format!("{what} is deprecated"),
                ),
                Deprecation::WithSunset(date) => (
                    registry::ENDPOINT_DEPRECATED_WITH_SUNSET,
                    format!("{what} is deprecated, with sunset on {date}"),
                ),
                Deprecation::SunsetMissing => (
                    registry::API_DEPRECATED_SUNSET_MISSING,
                    format!(
                        "{what} is deprecated without a sunset date; the policy asks for {} days' notice",
                        pair.notice_days
                    ),
                ),
                Deprecation::SunsetInvalid(text) => (
                    registry::API_DEPRECATED_SUNSET_PARSE,
                    format!("{what} is deprecated; its sunset date `{text}` cannot be read"),
                ),
                Deprecation::SunsetTooSoon(date, days) => (
                    registry::API_SUNSET_DATE_TOO_SMALL,
                    format!(
                        "{what} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                    ),
                ),
            };
            pair.out.emit(id, "", message, bp.clone(), rp.clone());
        }
        (true, false) => {
            pair.out.emit(
                registry::ENDPOINT_REACTIVATED,
                "",
                format!("{what} is no longer deprecated"),
                bp.clone(),
                rp.clone(),
            );
        }
        (true, true) => {
            if b.value.get("x-sunset").is_some() && r.value.get("x-sunset").is_none() {
                pair.out.emit(
                    registry::SUNSET_DELETED,
                    "",
                    format!("{what} lost its sunset date"),
                    bp.clone(),
                    rp.clone(),
                );
            }
            // A sunset date that was changed, and that cannot be read on
            // one side: no policy can judge the move.
            if let Some(text) = sunset_changed_unreadable(b.value, r.value) {
                pair.out.emit(
                    registry::API_PATH_SUNSET_PARSE,
                    "",
                    format!("{what}'s sunset date changed; `{text}` cannot be read as a date"),
                    bp.clone(),
                    rp.clone(),
                );
            } else if let Some((x, y)) =
                sunset_moved_too_soon(pair.options, pair.notice_days, b.value, r.value)
            {
                pair.out.emit(
                    registry::API_SUNSET_DATE_CHANGED_TOO_SMALL,
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
                registry::API_OPERATION_ID_REMOVED,
                x,
                format!("{what} operation id changed from `{x}` to `{y}`"),
                bp.clone(),
                rp.clone(),
            );
        }
        (Some(x), None) => {
            pair.out.emit(
                registry::API_OPERATION_ID_REMOVED,
                x,
                format!("{what} lost its operation id `{x}`"),
                bp.clone(),
                rp.clone(),
            );
        }
        (None, Some(y)) => {
            pair.out.emit(
                registry::API_OPERATION_ID_ADDED,
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
            registry::API_TAG_REMOVED,
            t,
            format!("{what} is no longer tagged `{t}`"),
            bp.clone(),
            rp.clone(),
        );
    }
    for t in rt.iter().filter(|t| !bt.contains(t)) {
        pair.out.emit(
            registry::API_TAG_ADDED,
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
            registry::API_INVALID_STABILITY_LEVEL,
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
                    registry::API_STABILITY_DECREASED,
                    "",
                    format!("{what} stability decreased from {x} to {y}"),
                    bp,
                    rp,
                );
            } else if j > i {
                pair.out.emit(
                    registry::API_STABILITY_INCREASED,
                    "",
                    format!("{what} stability increased from {x} to {y}"),
                    bp,
                    rp,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::testing::{diff, doc, get_pets, ids, only};
    use crate::diff::Level;

    #[test]
    fn an_operation_id_that_changes_is_reported_as_the_old_one_removed() {
        let base = get_pets(json!({"operationId": "listPets", "responses": {}}));
        let rev = get_pets(json!({"operationId": "findPets", "responses": {}}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!((f.level, f.id), (Level::Info, "api-operation-id-removed"));
        assert_eq!(
            &*f.message,
            "GET /pets operation id changed from `listPets` to `findPets`"
        );
        assert_eq!(
            (f.operation.as_deref(), f.path.as_deref()),
            (Some("GET"), Some("/pets"))
        );
        let bare = get_pets(json!({"responses": {}}));
        let f = only(&diff(&bare, &rev)).clone();
        assert_eq!((f.level, f.id), (Level::Info, "api-operation-id-added"));
        assert_eq!(&*f.message, "GET /pets has the new operation id `findPets`");
    }

    #[test]
    fn a_deprecated_operation_that_loses_its_sunset_date_is_an_error() {
        let base = get_pets(json!({"deprecated": true, "x-sunset": "2027-01-01", "responses": {}}));
        let rev = get_pets(json!({"deprecated": true, "responses": {}}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!((f.level, f.id), (Level::Error, "sunset-deleted"));
        assert_eq!(&*f.message, "GET /pets lost its sunset date");
        // Moving it is not news without a policy.
        let later =
            get_pets(json!({"deprecated": true, "x-sunset": "2028-01-01", "responses": {}}));
        assert!(diff(&base, &later).is_empty());
    }

    #[test]
    fn draft_and_alpha_operations_promise_nothing() {
        let draft = doc(json!({
            "/pets": {"get": {"x-stability-level": "draft", "responses": {}}},
            "/toys": {"get": {"x-stability-level": "alpha", "responses": {}}}
        }));
        assert!(diff(&draft, &doc(json!({}))).is_empty());
        // A change inside one is not compared, but its lifecycle is.
        let base = get_pets(
            json!({"x-stability-level": "alpha", "responses": {"200": {"description": "ok"}}}),
        );
        let rev =
            get_pets(json!({"x-stability-level": "alpha", "deprecated": true, "responses": {}}));
        assert_eq!(
            ids(&diff(&base, &rev)),
            [(Level::Info, "endpoint-deprecated")]
        );
    }

    #[test]
    fn an_unknown_stability_level_stops_the_lifecycle_checks() {
        let base = get_pets(json!({"x-stability-level": "beta", "responses": {}}));
        let rev = get_pets(
            json!({"x-stability-level": "gamma", "deprecated": true, "tags": ["x"], "responses": {}}),
        );
        let f = diff(&base, &rev);
        assert_eq!(
            ids(&f),
            [
                (Level::Error, "api-invalid-stability-level"),
                (Level::Info, "api-tag-added"),
            ]
        );
        assert_eq!(
            &*f[0].message,
            "GET /pets has an unknown stability level `gamma`"
        );
    }
}
