//! Security requirements (global and per operation) and security schemes.

use serde_json::Value;

use super::Pair;
use crate::diff::document::Operation;
use crate::diff::join_pointer;

/// One security requirement: its schemes joined with ` AND ` (the key it is
/// matched by), and each scheme with its scopes.
type Requirement = (String, Vec<(String, Vec<String>)>);

/// A security requirement list.
fn requirements(v: Option<&Value>) -> Vec<Requirement> {
    v.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|req| {
            let mut schemes: Vec<(String, Vec<String>)> = req
                .iter()
                .map(|(name, scopes)| {
                    let mut s: Vec<String> = scopes
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(Value::as_str)
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default();
                    s.sort();
                    (name.clone(), s)
                })
                .collect();
            schemes.sort();
            let key = schemes
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join(" AND ");
            (key, schemes)
        })
        .collect()
}

/// Compares two requirement lists; `ids` = (removed, added, scope-removed,
/// scope-added).
fn compare_requirements(
    pair: &mut Pair<'_>,
    b: Option<&Value>,
    r: Option<&Value>,
    ids: [&'static str; 4],
    where_: &str,
    bp: &str,
    rp: &str,
) {
    let (breqs, rreqs) = (requirements(b), requirements(r));
    for (key, bschemes) in &breqs {
        match rreqs.iter().find(|(k, _)| k == key) {
            None => pair.out.emit(
                ids[0],
                key,
                format!("{where_} no longer accepts security `{key}`"),
                Some(bp.into()),
                Some(rp.into()),
            ),
            Some((_, rschemes)) => {
                for (name, bscopes) in bschemes {
                    let Some((_, rscopes)) = rschemes.iter().find(|(n, _)| n == name) else {
                        continue;
                    };
                    for s in bscopes.iter().filter(|s| !rscopes.contains(s)) {
                        pair.out.emit(
                            ids[2],
                            &format!("{key}|{s}"),
                            format!("{where_} security `{name}` no longer takes scope `{s}`"),
                            Some(bp.into()),
                            Some(rp.into()),
                        );
                    }
                    for s in rscopes.iter().filter(|s| !bscopes.contains(s)) {
                        pair.out.emit(
                            ids[3],
                            &format!("{key}|{s}"),
                            format!("{where_} security `{name}` now takes scope `{s}`"),
                            Some(bp.into()),
                            Some(rp.into()),
                        );
                    }
                }
            }
        }
    }
    for (key, _) in &rreqs {
        if !breqs.iter().any(|(k, _)| k == key) {
            pair.out.emit(
                ids[1],
                key,
                format!("{where_} accepts the new security `{key}`"),
                Some(bp.into()),
                Some(rp.into()),
            );
        }
    }
}

pub fn operation(pair: &mut Pair<'_>, b: &Operation<'_>, r: &Operation<'_>) {
    let bp = join_pointer(&b.pointer, "security");
    let rp = join_pointer(&r.pointer, "security");
    let what = format!("{} {}", r.method, r.path);
    compare_requirements(
        pair,
        b.value.get("security"),
        r.value.get("security"),
        [
            "api-security-removed",
            "api-security-added",
            "api-security-scope-removed",
            "api-security-scope-added",
        ],
        &what,
        &bp,
        &rp,
    );
}

pub fn global(pair: &mut Pair<'_>) {
    let (b, r) = (pair.base.root(), pair.rev.root());
    compare_requirements(
        pair,
        b.get("security"),
        r.get("security"),
        [
            "api-global-security-removed",
            "api-global-security-added",
            "api-global-security-scope-removed",
            "api-global-security-scope-added",
        ],
        "the API",
        "/security",
        "/security",
    );
    let schemes = |v: &Value| {
        v.pointer("/components/securitySchemes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (bs, rs) = (schemes(b), schemes(r));
    let ptr = |name: &str| join_pointer("/components/securitySchemes", name);
    for (name, bv) in &bs {
        let Some(rv) = rs.get(name) else {
            pair.out.emit(
                "api-security-component-removed",
                name,
                format!("security scheme `{name}` was removed"),
                Some(ptr(name)),
                None,
            );
            continue;
        };
        let (bv, _) = pair.base.resolve(bv);
        let (rv, _) = pair.rev.resolve(rv);
        if bv.get("type") != rv.get("type") {
            pair.out.emit(
                "api-security-component-type-changed",
                name,
                format!("security scheme `{name}` changed type"),
                Some(ptr(name)),
                Some(ptr(name)),
            );
        }
        let flows = |v: &Value| {
            v.get("flows")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        let (bf, rf) = (flows(bv), flows(rv));
        for (flow, bflow) in &bf {
            let Some(rflow) = rf.get(flow) else { continue };
            for (key, id) in [
                (
                    "authorizationUrl",
                    "api-security-component-oauth-url-changed",
                ),
                ("tokenUrl", "api-security-component-oauth-token-url-changed"),
            ] {
                if bflow.get(key) != rflow.get(key) {
                    pair.out.emit(
                        id,
                        &format!("{name}|{flow}"),
                        format!("security scheme `{name}` {flow} {key} changed"),
                        Some(ptr(name)),
                        Some(ptr(name)),
                    );
                }
            }
            let scopes = |v: &Value| {
                v.get("scopes")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default()
            };
            let (bsc, rsc) = (scopes(bflow), scopes(rflow));
            for (scope, desc) in &bsc {
                match rsc.get(scope) {
                    None => pair.out.emit(
                        "api-security-component-oauth-scope-removed",
                        &format!("{name}|{scope}"),
                        format!("security scheme `{name}` lost scope `{scope}`"),
                        Some(ptr(name)),
                        Some(ptr(name)),
                    ),
                    Some(d) if d != desc => pair.out.emit(
                        "api-security-component-oauth-scope-changed",
                        &format!("{name}|{scope}"),
                        format!("security scheme `{name}` scope `{scope}` changed"),
                        Some(ptr(name)),
                        Some(ptr(name)),
                    ),
                    _ => {}
                }
            }
            for scope in rsc.keys().filter(|s| !bsc.contains_key(*s)) {
                pair.out.emit(
                    "api-security-component-oauth-scope-added",
                    &format!("{name}|{scope}"),
                    format!("security scheme `{name}` gained scope `{scope}`"),
                    Some(ptr(name)),
                    Some(ptr(name)),
                );
            }
        }
    }
    for name in rs.keys().filter(|n| !bs.contains_key(*n)) {
        pair.out.emit(
            "api-security-component-added",
            name,
            format!("security scheme `{name}` was added"),
            None,
            Some(ptr(name)),
        );
    }
}
