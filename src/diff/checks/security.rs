//! Security requirements (global and per operation) and security schemes.

use serde_json::Value;

use super::Pair;
use crate::diff::document::Operation;
use crate::diff::join_pointer;
use crate::diff::registry::{self, Check};

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

/// Compares two requirement lists; `checks` = (removed, added,
/// scope-removed, scope-added).
fn compare_requirements(
    pair: &mut Pair<'_>,
    b: Option<&Value>,
    r: Option<&Value>,
    checks: [Check; 4],
    where_: &str,
    bp: &str,
    rp: &str,
) {
    let (breqs, rreqs) = (requirements(b), requirements(r));
    for (key, bschemes) in &breqs {
        match rreqs.iter().find(|(k, _)| k == key) {
            None => pair.out.emit(
                checks[0],
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
                            checks[2],
                            &format!("{key}|{s}"),
                            format!("{where_} security `{name}` no longer takes scope `{s}`"),
                            Some(bp.into()),
                            Some(rp.into()),
                        );
                    }
                    for s in rscopes.iter().filter(|s| !bscopes.contains(s)) {
                        pair.out.emit(
                            checks[3],
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
                checks[1],
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
            registry::API_SECURITY_REMOVED,
            registry::API_SECURITY_ADDED,
            registry::API_SECURITY_SCOPE_REMOVED,
            registry::API_SECURITY_SCOPE_ADDED,
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
            registry::API_GLOBAL_SECURITY_REMOVED,
            registry::API_GLOBAL_SECURITY_ADDED,
            registry::API_GLOBAL_SECURITY_SCOPE_REMOVED,
            registry::API_GLOBAL_SECURITY_SCOPE_ADDED,
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
                registry::API_SECURITY_COMPONENT_REMOVED,
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
                registry::API_SECURITY_COMPONENT_TYPE_CHANGED,
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
                    registry::API_SECURITY_COMPONENT_OAUTH_URL_CHANGED,
                ),
                (
                    "tokenUrl",
                    registry::API_SECURITY_COMPONENT_OAUTH_TOKEN_URL_CHANGED,
                ),
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
                        registry::API_SECURITY_COMPONENT_OAUTH_SCOPE_REMOVED,
                        &format!("{name}|{scope}"),
                        format!("security scheme `{name}` lost scope `{scope}`"),
                        Some(ptr(name)),
                        Some(ptr(name)),
                    ),
                    Some(d) if d != desc => pair.out.emit(
                        registry::API_SECURITY_COMPONENT_OAUTH_SCOPE_CHANGED,
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
                    registry::API_SECURITY_COMPONENT_OAUTH_SCOPE_ADDED,
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
            registry::API_SECURITY_COMPONENT_ADDED,
            name,
            format!("security scheme `{name}` was added"),
            None,
            Some(ptr(name)),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{diff, doc, get_pets, ids, only};
    use crate::diff::Level;

    fn with_scheme(scheme: Value) -> Value {
        let mut d = doc(json!({}));
        d["components"] = json!({"securitySchemes": {"oauth": scheme}});
        d
    }

    fn oauth(token_url: &str, scopes: Value) -> Value {
        with_scheme(json!({
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": scopes}}
        }))
    }

    #[test]
    fn an_oauth_flow_reports_its_urls_and_scopes() {
        let base = oauth("https://a/token", json!({"read": "Read", "write": "Write"}));
        let rev = oauth(
            "https://b/token",
            json!({"read": "Read all", "admin": "Admin"}),
        );
        let findings = diff(&base, &rev);
        assert_eq!(
            ids(&findings),
            [
                (Level::Info, "api-security-component-oauth-scope-added"),
                (Level::Info, "api-security-component-oauth-scope-changed"),
                (Level::Info, "api-security-component-oauth-scope-removed"),
                (
                    Level::Info,
                    "api-security-component-oauth-token-url-changed"
                ),
            ]
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(
            messages,
            [
                "security scheme `oauth` gained scope `admin`",
                "security scheme `oauth` scope `read` changed",
                "security scheme `oauth` lost scope `write`",
                "security scheme `oauth` clientCredentials tokenUrl changed",
            ]
        );
        assert!(
            findings
                .iter()
                .all(|f| f.base_pointer.as_deref() == Some("/components/securitySchemes/oauth"))
        );
    }

    #[test]
    fn a_scheme_that_changes_type_is_one_finding() {
        let base = with_scheme(json!({"type": "http", "scheme": "bearer"}));
        let rev = with_scheme(json!({"type": "apiKey", "in": "header", "name": "X-Key"}));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "api-security-component-type-changed")
        );
        assert_eq!(&*f.message, "security scheme `oauth` changed type");
    }

    #[test]
    fn requirements_match_by_their_schemes_in_any_order() {
        let op = |security: Value| get_pets(json!({"security": security, "responses": {}}));
        let base = op(json!([{"a": [], "b": ["read"]}]));
        let same = op(json!([{"b": ["read"], "a": []}]));
        assert!(diff(&base, &same).is_empty());
        let findings = diff(
            &base,
            &op(json!([{"a": []}, {"b": ["read", "write"], "a": []}])),
        );
        assert_eq!(
            ids(&findings),
            [
                (Level::Info, "api-security-added"),
                (Level::Info, "api-security-scope-added"),
            ]
        );
        assert_eq!(
            &*findings[0].message,
            "GET /pets accepts the new security `a`"
        );
        assert_eq!(
            &*findings[1].message,
            "GET /pets security `b` now takes scope `write`"
        );
    }

    #[test]
    fn global_scopes_are_compared_like_an_operations() {
        let with = |security: Value| {
            let mut d = doc(json!({}));
            d["security"] = security;
            d
        };
        let f = only(&diff(
            &with(json!([{"oauth": ["read", "write"]}])),
            &with(json!([{"oauth": ["read"]}])),
        ))
        .clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "api-global-security-scope-removed")
        );
        assert_eq!(
            &*f.message,
            "the API security `oauth` no longer takes scope `write`"
        );
        assert_eq!((f.operation, f.path), (None, None));
    }
}
