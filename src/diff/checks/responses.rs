//! Responses: status codes, media types, headers and body schemas.

use serde_json::Value;

use super::Pair;
use super::content::{self, Owner};
use super::schema::{Dir, Site};
use crate::diff::document::Operation;
use crate::diff::join_pointer;

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
                "response-success-status-removed"
            } else {
                "response-non-success-status-removed"
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
            "response-success-status-added"
        } else {
            "response-non-success-status-added"
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
                    "required-response-header-removed"
                } else {
                    "optional-response-header-removed"
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
                        "response-header-became-optional",
                        &subject,
                        format!("response {code} header `{name}` became optional"),
                        Some(bptr.clone()),
                        Some(rptr.clone()),
                    );
                }
                if let (Some(bs), Some(rs)) = (bv.get("schema"), rv.get("schema")) {
                    let site = Site {
                        dir: Dir::Response,
                        root: "response-header",
                        nested: "response-header",
                        label: format!("response {code} header `{name}`"),
                        path: String::new(),
                    };
                    header_schema(pair, &site, bs, rs, &bptr, &rptr);
                }
            }
        }
    }
    for name in rh.keys() {
        if find(bh, name).is_none() {
            let subject = format!("{code}|{}", name.to_ascii_lowercase());
            pair.out.emit(
                "response-header-added",
                &subject,
                format!("response {code} has the new header `{name}`"),
                None,
                Some(join_pointer(&rhp, name)),
            );
        }
    }
}

fn header_schema(pair: &mut Pair<'_>, site: &Site, bs: &Value, rs: &Value, bp: &str, rp: &str) {
    let bt = super::schema::types(pair.base.resolve(bs).0);
    let rt = super::schema::types(pair.rev.resolve(rs).0);
    if !bt.is_empty() && !rt.is_empty() && bt != rt {
        pair.out.emit(
            "response-header-type-changed",
            &site.label,
            format!(
                "{} type changed from {} to {}",
                site.label,
                bt.join("|"),
                rt.join("|")
            ),
            Some(join_pointer(bp, "schema")),
            Some(join_pointer(rp, "schema")),
        );
    }
}
