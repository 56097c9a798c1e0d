//! Request parameters: added, removed, required-ness, deprecation, and
//! their schemas.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Pair;
use super::lifecycle::{Deprecation, judge, sunset, sunset_moved_too_soon};
use super::schema::{Dir, SchemaDiff, Site};
use crate::diff::document::{Operation, path_parameter_names};
use crate::diff::{Doc, join_pointer};

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
                "request-path-parameter-renamed",
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
                            "request-parameter-sunset-parse",
                            format!(
                                "deprecated {label} was removed; its sunset date `{text}` cannot be read"
                            ),
                        ),
                        Some(Ok(date)) if date > pair.options.today => (
                            "request-parameter-removed-before-sunset",
                            format!("{label} was removed before its sunset date {date}"),
                        ),
                        _ => (
                            "request-parameter-removed-with-deprecation",
                            format!("deprecated {label} was removed"),
                        ),
                    }
                } else {
                    ("request-parameter-removed", format!("{label} was removed"))
                };
                pair.out
                    .emit(id, &label, msg, Some(bp.pointer.clone()), None);
            }
            Some(rp) => {
                let (bptr, rptr) = (Some(bp.pointer.clone()), Some(rp.pointer.clone()));
                match (flag(bp.value, "required"), flag(rp.value, "required")) {
                    (false, true) => pair.out.emit(
                        "request-parameter-became-required",
                        &label,
                        format!("{label} became required"),
                        bptr.clone(),
                        rptr.clone(),
                    ),
                    (true, false) => pair.out.emit(
                        "request-parameter-became-optional",
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
                            "request-parameter-sunset-deleted",
                            &label,
                            format!("deprecated {label} lost its sunset date"),
                            bptr.clone(),
                            rptr.clone(),
                        ),
                        (Some(x), Some(y)) if x != y && (x.is_err() || y.is_err()) => {
                            pair.out.emit(
                                "request-parameter-sunset-parse",
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
                            "request-parameter-sunset-date-changed-too-small",
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
                                "request-parameter-deprecated",
                                format!("{label} is deprecated"),
                            ),
                            Deprecation::SunsetMissing => (
                                "request-parameter-deprecated-sunset-missing",
                                format!(
                                    "{label} is deprecated without a sunset date; the policy asks for {} days' notice",
                                    pair.notice_days
                                ),
                            ),
                            Deprecation::SunsetInvalid(text) => (
                                "request-parameter-sunset-parse",
                                format!(
                                    "{label} is deprecated; its sunset date `{text}` cannot be read"
                                ),
                            ),
                            Deprecation::SunsetTooSoon(date, days) => (
                                "request-parameter-sunset-date-too-small",
                                format!(
                                    "{label} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                                ),
                            ),
                        };
                        pair.out.emit(id, &label, msg, bptr.clone(), rptr.clone())
                    }
                    (true, false) => pair.out.emit(
                        "request-parameter-reactivated",
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
                        root: "request-parameter",
                        nested: "request-parameter-property",
                        label: label.clone(),
                        path: String::new(),
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
            ("new-request-path-parameter", format!("new {label}"))
        } else if flag(rp.value, "required") {
            (
                "new-required-request-parameter",
                format!("new required {label}"),
            )
        } else {
            (
                "new-optional-request-parameter",
                format!("new optional {label}"),
            )
        };
        pair.out
            .emit(id, &label, msg, None, Some(rp.pointer.clone()));
    }
}
