//! Request parameters: added, removed, required-ness, deprecation, and
//! their schemas.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Pair;
use super::lifecycle::{Deprecation, judge, sunset, sunset_moved_too_soon};
use super::schema::{Dir, SchemaDiff, Site, Subject};
use crate::diff::document::{Operation, path_parameter_names};
use crate::diff::{Doc, join_pointer, registry};

/// A parameter with where it was found.
struct Param<'a> {
    value: &'a Value,
    name: String,
    location: String,
    pointer: String,
}

/// Parameters of an operation keyed by location and name: header names
/// compare case-insensitively, path parameters by position (so renaming
/// `{petId}` to `{id}` is the same parameter).
fn params<'a>(doc: &'a Doc<'a>, op: &Operation<'a>) -> BTreeMap<(String, String), Param<'a>> {
    let mut out = BTreeMap::new();
    let positions = path_parameter_names(&op.path);
    let item_ptr = op
        .pointer
        .rsplit_once('/')
        .map(|(p, _)| p.to_string())
        .unwrap_or_default();
    let sources = [
        (
            op.path_item.get("parameters"),
            join_pointer(&item_ptr, "parameters"),
        ),
        (
            op.value.get("parameters"),
            join_pointer(&op.pointer, "parameters"),
        ),
    ];
    for (list, ptr) in sources {
        for (i, p) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let (resolved, _) = doc.resolve(p);
            let name = resolved
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let location = resolved
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let key_name = match location.as_str() {
                "header" => name.to_ascii_lowercase(),
                "path" => match positions.iter().position(|n| *n == name) {
                    Some(i) => format!("#{i}"),
                    None => name.clone(),
                },
                _ => name.clone(),
            };
            out.insert(
                (location.clone(), key_name),
                Param {
                    value: resolved,
                    name,
                    location,
                    pointer: join_pointer(&ptr, &i.to_string()),
                },
            );
        }
    }
    out
}

fn flag(v: &Value, key: &str) -> bool {
    v.get(key).and_then(Value::as_bool) == Some(true)
}

pub fn compare<'e>(pair: &mut Pair<'e>, b: &Operation<'e>, r: &Operation<'e>) {
    // Path parameters are matched by position; a new name for one is
    // harmless to clients but worth saying.
    for (i, (x, y)) in path_parameter_names(&b.path)
        .iter()
        .zip(path_parameter_names(&r.path))
        .enumerate()
    {
        if *x != y {
            pair.out.emit(
                registry::REQUEST_PATH_PARAMETER_RENAMED,
                &format!("#{i}"),
                format!("path parameter `{x}` is now called `{y}`"),
                Some(b.pointer.clone()),
                Some(r.pointer.clone()),
            );
        }
    }
    let bparams = params(pair.base, b);
    let rparams = params(pair.rev, r);
    for (key, bp) in &bparams {
        let label = format!("{} parameter `{}`", bp.location, bp.name);
        match rparams.get(key) {
            None => {
                let (id, msg) = if flag(bp.value, "deprecated") {
                    match sunset(bp.value) {
                        Some(Err(text)) => (
                            registry::REQUEST_PARAMETER_SUNSET_PARSE,
                            format!(
                                "deprecated {label} was removed; its sunset date `{text}` cannot be read"
                            ),
                        ),
                        Some(Ok(date)) if date > pair.options.today => (
                            registry::REQUEST_PARAMETER_REMOVED_BEFORE_SUNSET,
                            format!("{label} was removed before its sunset date {date}"),
                        ),
                        _ => (
                            registry::REQUEST_PARAMETER_REMOVED_WITH_DEPRECATION,
                            format!("deprecated {label} was removed"),
                        ),
                    }
                } else {
                    (
                        registry::REQUEST_PARAMETER_REMOVED,
                        format!("{label} was removed"),
                    )
                };
                pair.out
                    .emit(id, &label, msg, Some(bp.pointer.clone()), None);
            }
            Some(rp) => {
                let (bptr, rptr) = (Some(bp.pointer.clone()), Some(rp.pointer.clone()));
                match (flag(bp.value, "required"), flag(rp.value, "required")) {
                    (false, true) => pair.out.emit(
                        registry::REQUEST_PARAMETER_BECAME_REQUIRED,
                        &label,
                        format!("{label} became required"),
                        bptr.clone(),
                        rptr.clone(),
                    ),
                    (true, false) => pair.out.emit(
                        registry::REQUEST_PARAMETER_BECAME_OPTIONAL,
                        &label,
                        format!("{label} became optional"),
                        bptr.clone(),
                        rptr.clone(),
                    ),
                    _ => {}
                }
                if flag(bp.value, "deprecated") && flag(rp.value, "deprecated") {
                    match (sunset(bp.value), sunset(rp.value)) {
                        (Some(_), None) => pair.out.emit(
                            registry::REQUEST_PARAMETER_SUNSET_DELETED,
                            &label,
                            format!("deprecated {label} lost its sunset date"),
                            bptr.clone(),
                            rptr.clone(),
                        ),
                        (Some(x), Some(y)) if x != y && (x.is_err() || y.is_err()) => {
                            pair.out.emit(
                                registry::REQUEST_PARAMETER_SUNSET_PARSE,
                                &label,
                                format!("the sunset date of deprecated {label} cannot be read"),
                                bptr.clone(),
                                rptr.clone(),
                            )
                        }
                        _ => {}
                    }
                    if let Some((x, y)) =
                        sunset_moved_too_soon(pair.options, pair.notice_days, bp.value, rp.value)
                    {
                        pair.out.emit(
                            registry::REQUEST_PARAMETER_SUNSET_DATE_CHANGED_TOO_SMALL,
                            &label,
                            format!(
                                "the sunset date of deprecated {label} moved from {x} to {y}, less than the {} days' notice the policy asks",
                                pair.notice_days
                            ),
                            bptr.clone(),
                            rptr.clone(),
                        );
                    }
                }
                match (flag(bp.value, "deprecated"), flag(rp.value, "deprecated")) {
                    (false, true) => {
                        let (id, msg) = match judge(pair.options, pair.notice_days, rp.value) {
                            Deprecation::Plain | Deprecation::WithSunset(_) => (
                                registry::REQUEST_PARAMETER_DEPRECATED,
                                format!("{label} is deprecated"),
                            ),
                            Deprecation::SunsetMissing => (
                                registry::REQUEST_PARAMETER_DEPRECATED_SUNSET_MISSING,
                                format!(
                                    "{label} is deprecated without a sunset date; the policy asks for {} days' notice",
                                    pair.notice_days
                                ),
                            ),
                            Deprecation::SunsetInvalid(text) => (
                                registry::REQUEST_PARAMETER_SUNSET_PARSE,
                                format!(
                                    "{label} is deprecated; its sunset date `{text}` cannot be read"
                                ),
                            ),
                            Deprecation::SunsetTooSoon(date, days) => (
                                registry::REQUEST_PARAMETER_SUNSET_DATE_TOO_SMALL,
                                format!(
                                    "{label} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                                ),
                            ),
                        };
                        pair.out.emit(id, &label, msg, bptr.clone(), rptr.clone())
                    }
                    (true, false) => pair.out.emit(
                        registry::REQUEST_PARAMETER_REACTIVATED,
                        &label,
                        format!("{label} is no longer deprecated"),
                        bptr.clone(),
                        rptr.clone(),
                    ),
                    _ => {}
                }
                if let (Some(bs), Some(rs)) = (bp.value.get("schema"), rp.value.get("schema")) {
                    let site = Site {
                        dir: Dir::Request,
                        root: Subject::RequestParameter,
                        nested: Subject::RequestParameterProperty,
                        label: label.clone(),
                        path: String::new(),
                        loose: false,
                    };
                    let bsp = join_pointer(&bp.pointer, "schema");
                    let rsp = join_pointer(&rp.pointer, "schema");
                    SchemaDiff::new(pair).compare(&site, bs, rs, &bsp, &rsp);
                }
            }
        }
    }
    for (key, rp) in &rparams {
        if bparams.contains_key(key) {
            continue;
        }
        let label = format!("{} parameter `{}`", rp.location, rp.name);
        let (id, msg) = if rp.location == "path" {
            (registry::NEW_REQUEST_PATH_PARAMETER, format!("new {label}"))
        } else if flag(rp.value, "required") {
            (
                registry::NEW_REQUIRED_REQUEST_PARAMETER,
                format!("new required {label}"),
            )
        } else {
            (
                registry::NEW_OPTIONAL_REQUEST_PARAMETER,
                format!("new optional {label}"),
            )
        };
        pair.out
            .emit(id, &label, msg, None, Some(rp.pointer.clone()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{diff, get_pets, ids, only};
    use crate::diff::Level;

    fn with_params(params: Value) -> Value {
        get_pets(json!({"parameters": params, "responses": {}}))
    }

    #[test]
    fn header_names_match_whatever_their_case() {
        let base = with_params(json!([{"name": "X-Request-Id", "in": "header"}]));
        let rev = with_params(json!([{"name": "x-request-id", "in": "header"}]));
        assert!(diff(&base, &rev).is_empty());
        // A query parameter's name is exact.
        let base = with_params(json!([{"name": "Limit", "in": "query"}]));
        let rev = with_params(json!([{"name": "limit", "in": "query"}]));
        assert_eq!(
            ids(&diff(&base, &rev)),
            [
                (Level::Warning, "request-parameter-removed"),
                (Level::Info, "new-optional-request-parameter"),
            ]
        );
    }

    #[test]
    fn a_deprecated_parameter_removed_is_judged_by_its_sunset_date() {
        let deprecated = |sunset: &str| {
            with_params(json!([{
                "name": "limit", "in": "query", "deprecated": true, "x-sunset": sunset
            }]))
        };
        let gone = with_params(json!([]));
        let f = only(&diff(&deprecated("2026-12-01"), &gone)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-parameter-removed-before-sunset")
        );
        assert_eq!(
            &*f.message,
            "query parameter `limit` was removed before its sunset date 2026-12-01"
        );
        assert_eq!(
            f.base_pointer.as_deref(),
            Some("/paths/~1pets/get/parameters/0")
        );
        let f = only(&diff(&deprecated("2026-01-01"), &gone)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "request-parameter-removed-with-deprecation")
        );
        let f = only(&diff(&deprecated("someday"), &gone)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-parameter-sunset-parse")
        );
    }

    #[test]
    fn a_deprecated_parameter_can_lose_its_sunset_or_its_deprecation() {
        let base = with_params(json!([{
            "name": "limit", "in": "query", "deprecated": true, "x-sunset": "2027-01-01"
        }]));
        let no_sunset = with_params(json!([{"name": "limit", "in": "query", "deprecated": true}]));
        let f = only(&diff(&base, &no_sunset)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-parameter-sunset-deleted")
        );
        assert_eq!(
            &*f.message,
            "deprecated query parameter `limit` lost its sunset date"
        );
        let revived = with_params(json!([{"name": "limit", "in": "query"}]));
        let f = only(&diff(&no_sunset, &revived)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "request-parameter-reactivated")
        );
        assert_eq!(
            &*f.message,
            "query parameter `limit` is no longer deprecated"
        );
    }

    #[test]
    fn parameters_of_the_path_item_count_and_the_operations_override_them() {
        let shared = json!({"name": "limit", "in": "query"});
        let base = crate::diff::checks::testing::doc(json!({"/pets": {
            "parameters": [shared],
            "get": {"responses": {}}
        }}));
        let rev = crate::diff::checks::testing::doc(json!({"/pets": {
            "parameters": [shared],
            "get": {"parameters": [{"name": "limit", "in": "query", "required": true}], "responses": {}}
        }}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-parameter-became-required")
        );
        assert_eq!(
            f.base_pointer.as_deref(),
            Some("/paths/~1pets/parameters/0")
        );
        assert_eq!(
            f.revision_pointer.as_deref(),
            Some("/paths/~1pets/get/parameters/0")
        );
    }
}
