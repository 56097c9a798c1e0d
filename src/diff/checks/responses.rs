//! Responses: status codes, media types, headers and body schemas.

use serde_json::Value;

use super::Pair;
use super::content::{self, Owner};
use crate::diff::document::Operation;
use crate::diff::{join_pointer, registry};

/// `2XX`, `200`, `default`: is it a success status?
fn success(code: &str) -> bool {
    code.starts_with('2')
}

pub fn compare<'e>(pair: &mut Pair<'e>, b: &Operation<'e>, r: &Operation<'e>) {
    let brs = super::members(b.value, "responses");
    let rrs = super::members(r.value, "responses");
    let bptr = join_pointer(&b.pointer, "responses");
    let rptr = join_pointer(&r.pointer, "responses");
    for (code, bresp) in brs {
        let bcp = join_pointer(&bptr, code);
        let Some(rresp) = rrs.get(code) else {
            let id = if success(code) {
                registry::RESPONSE_SUCCESS_STATUS_REMOVED
            } else {
                registry::RESPONSE_NON_SUCCESS_STATUS_REMOVED
            };
            pair.out.emit(
                id,
                code,
                format!("response {code} was removed"),
                Some(bcp),
                None,
            );
            continue;
        };
        let rcp = join_pointer(&rptr, code);
        let (bresp, _) = pair.base.resolve(bresp);
        let (rresp, _) = pair.rev.resolve(rresp);
        content::compare(pair, Owner::Response(code), bresp, rresp, &bcp, &rcp);
        headers(pair, code, bresp, rresp, &bcp, &rcp);
    }
    for code in rrs.keys().filter(|c| !brs.contains_key(*c)) {
        let id = if success(code) {
            registry::RESPONSE_SUCCESS_STATUS_ADDED
        } else {
            registry::RESPONSE_NON_SUCCESS_STATUS_ADDED
        };
        pair.out.emit(
            id,
            code,
            format!("response {code} was added"),
            None,
            Some(join_pointer(&rptr, code)),
        );
    }
}

fn headers<'e>(pair: &mut Pair<'e>, code: &str, b: &'e Value, r: &'e Value, bp: &str, rp: &str) {
    let bh = super::members(b, "headers");
    let rh = super::members(r, "headers");
    let bhp = join_pointer(bp, "headers");
    let rhp = join_pointer(rp, "headers");
    let find = |map: &'_ serde_json::Map<String, Value>, name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(k, v)| (k.clone(), v.clone()))
    };
    let required = |v: &Value| v.get("required").and_then(Value::as_bool) == Some(true);
    for (name, bv) in bh {
        let (bv, _) = pair.base.resolve(bv);
        let subject = format!("{code}|{}", name.to_ascii_lowercase());
        let bptr = join_pointer(&bhp, name);
        match find(rh, name) {
            None => {
                let id = if required(bv) {
                    registry::REQUIRED_RESPONSE_HEADER_REMOVED
                } else {
                    registry::OPTIONAL_RESPONSE_HEADER_REMOVED
                };
                pair.out.emit(
                    id,
                    &subject,
                    format!("response {code} header `{name}` was removed"),
                    Some(bptr),
                    None,
                );
            }
            Some((rname, rv)) => {
                let (rv, _) = pair.rev.resolve(&rv);
                let rv = rv.clone();
                let rptr = join_pointer(&rhp, &rname);
                if required(bv) && !required(&rv) {
                    pair.out.emit(
                        registry::RESPONSE_HEADER_BECAME_OPTIONAL,
                        &subject,
                        format!("response {code} header `{name}` became optional"),
                        Some(bptr.clone()),
                        Some(rptr.clone()),
                    );
                }
                if let (Some(bs), Some(rs)) = (bv.get("schema"), rv.get("schema")) {
                    let label = format!("response {code} header `{name}`");
                    header_schema(pair, &label, bs, rs, &bptr, &rptr);
                }
            }
        }
    }
    for name in rh.keys() {
        if find(bh, name).is_none() {
            let subject = format!("{code}|{}", name.to_ascii_lowercase());
            pair.out.emit(
                registry::RESPONSE_HEADER_ADDED,
                &subject,
                format!("response {code} has the new header `{name}`"),
                None,
                Some(join_pointer(&rhp, name)),
            );
        }
    }
}

/// A response header's type, compared on its own (the schema walker is not
/// run on headers); `label` names the header.
fn header_schema(pair: &mut Pair<'_>, label: &str, bs: &Value, rs: &Value, bp: &str, rp: &str) {
    let bt = super::schema::types(pair.base.resolve(bs).0);
    let rt = super::schema::types(pair.rev.resolve(rs).0);
    if !bt.is_empty() && !rt.is_empty() && bt != rt {
        pair.out.emit(
            registry::RESPONSE_HEADER_TYPE_CHANGED,
            label,
            format!(
                "{label} type changed from {} to {}",
                bt.join("|"),
                rt.join("|")
            ),
            Some(join_pointer(bp, "schema")),
            Some(join_pointer(rp, "schema")),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{diff, get_pets, ids, only};
    use crate::diff::Level;

    fn with_headers(headers: Value) -> Value {
        get_pets(json!({"responses": {"200": {"description": "ok", "headers": headers}}}))
    }

    #[test]
    fn a_header_matched_whatever_its_case_can_become_optional() {
        let base = with_headers(
            json!({"X-Rate-Limit": {"required": true, "schema": {"type": "integer"}}}),
        );
        let rev = with_headers(json!({"x-rate-limit": {"schema": {"type": "integer"}}}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "response-header-became-optional")
        );
        assert_eq!(
            &*f.message,
            "response 200 header `X-Rate-Limit` became optional"
        );
        assert_eq!(
            f.revision_pointer.as_deref(),
            Some("/paths/~1pets/get/responses/200/headers/x-rate-limit")
        );
    }

    #[test]
    fn a_header_type_change_names_both_types() {
        let base = with_headers(json!({"X-Count": {"schema": {"type": "integer"}}}));
        let rev = with_headers(json!({"X-Count": {"schema": {"type": ["string", "null"]}}}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "response-header-type-changed")
        );
        assert_eq!(
            &*f.message,
            "response 200 header `X-Count` type changed from integer to string"
        );
        assert_eq!(
            f.base_pointer.as_deref(),
            Some("/paths/~1pets/get/responses/200/headers/X-Count/schema")
        );
        // Only the type counts: a new format is no finding.
        let formatted =
            with_headers(json!({"X-Count": {"schema": {"type": "integer", "format": "int64"}}}));
        assert!(diff(&base, &formatted).is_empty());
    }

    #[test]
    fn statuses_are_success_or_not_by_their_first_digit() {
        let with = |codes: &[&str]| {
            let responses: serde_json::Map<String, Value> = codes
                .iter()
                .map(|c| (c.to_string(), json!({"description": "x"})))
                .collect();
            get_pets(json!({ "responses": responses }))
        };
        let findings = diff(&with(&["2XX", "default"]), &with(&["201", "404"]));
        assert_eq!(
            ids(&findings),
            [
                (Level::Error, "response-success-status-removed"),
                (Level::Info, "response-non-success-status-added"),
                (Level::Info, "response-non-success-status-removed"),
                (Level::Info, "response-success-status-added"),
            ]
        );
    }
}
