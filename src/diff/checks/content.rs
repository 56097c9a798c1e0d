//! `content` maps, shared by request bodies and responses: media types
//! added or removed, a schema added or removed, and the schemas compared.

use serde_json::Value;

use super::Pair;
use super::schema::{Dir, SchemaDiff, Site, Subject};
use crate::diff::join_pointer;
use crate::diff::registry::{self, Check};

/// Whose `content` is compared: the request body, or response `code`.
#[derive(Clone, Copy)]
pub enum Owner<'a> {
    Request,
    Response(&'a str),
}

impl Owner<'_> {
    /// Checks: media type removed, added, schema added, schema removed.
    fn checks(self) -> [Check; 4] {
        match self {
            Owner::Request => [
                registry::REQUEST_BODY_MEDIA_TYPE_REMOVED,
                registry::REQUEST_BODY_MEDIA_TYPE_ADDED,
                registry::REQUEST_BODY_MEDIA_TYPE_SCHEMA_ADDED,
                registry::REQUEST_BODY_MEDIA_TYPE_SCHEMA_REMOVED,
            ],
            Owner::Response(_) => [
                registry::RESPONSE_MEDIA_TYPE_REMOVED,
                registry::RESPONSE_MEDIA_TYPE_ADDED,
                registry::RESPONSE_BODY_MEDIA_TYPE_SCHEMA_ADDED,
                registry::RESPONSE_BODY_MEDIA_TYPE_SCHEMA_REMOVED,
            ],
        }
    }

    fn subject(self, media: &str) -> String {
        match self {
            Owner::Request => media.to_string(),
            Owner::Response(code) => format!("{code}|{media}"),
        }
    }

    fn name(self) -> String {
        match self {
            Owner::Request => "the request body".into(),
            Owner::Response(code) => format!("response {code}"),
        }
    }

    /// "accepts" for what a client sends, "returns" for what it receives.
    fn verb(self) -> &'static str {
        match self {
            Owner::Request => "accepts",
            Owner::Response(_) => "returns",
        }
    }

    fn site(self, media: &str) -> Site {
        let (dir, root, nested, label) = match self {
            Owner::Request => (
                Dir::Request,
                Subject::RequestBody,
                Subject::RequestProperty,
                format!("request body ({media})"),
            ),
            Owner::Response(code) => (
                Dir::Response,
                Subject::ResponseBody,
                Subject::ResponseProperty,
                format!("response {code} ({media})"),
            ),
        };
        Site {
            dir,
            root,
            nested,
            label,
            path: String::new(),
            loose: !is_json(media),
        }
    }
}

/// Whether values of media type `media` are JSON (`application/json` or a
/// `+json` type), where a number is not a string.
fn is_json(media: &str) -> bool {
    media_name(media).is_some_and(|m| {
        (m.kind == "application" && m.subtype == "json") || m.suffix.as_deref() == Some("json")
    })
}

/// Compares the `content` of `b` and `r` (a request body or a response),
/// found at pointers `bp` and `rp`.
pub fn compare<'e>(
    pair: &mut Pair<'e>,
    owner: Owner<'_>,
    b: &'e Value,
    r: &'e Value,
    bp: &str,
    rp: &str,
) {
    let [removed, added, schema_added, schema_removed] = owner.checks();
    let (name, verb) = (owner.name(), owner.verb());
    let bc = super::members(b, "content");
    let rc = super::members(r, "content");
    let bcp = join_pointer(bp, "content");
    let rcp = join_pointer(rp, "content");
    // Media types compared: those both sides name, then (for responses) a
    // name that was only specialised or given other parameters, paired with
    // the one it replaced, as oasdiff pairs them.
    let mut matched: Vec<(&String, &String)> = Vec::new();
    let mut gone: Vec<&String> = Vec::new();
    for media in bc.keys() {
        if rc.contains_key(media) {
            matched.push((media, media));
        } else {
            gone.push(media);
        }
    }
    let mut new: Vec<&String> = rc.keys().filter(|m| !bc.contains_key(*m)).collect();
    if let Owner::Response(code) = owner {
        let renamed = pair_renamed(&mut gone, &mut new);
        for (from, to) in renamed {
            let (check, how) = renamed_check(from, to);
            let msg = format!("response {code} media type {from} was {how} {to}");
            let subject = owner.subject(to);
            let (bmp, rmp) = (join_pointer(&bcp, from), join_pointer(&rcp, to));
            pair.out.emit(check, &subject, msg, Some(bmp), Some(rmp));
            matched.push((from, to));
        }
    }
    for media in gone {
        let msg = format!("{name} no longer {verb} {media}");
        let subject = owner.subject(media);
        let bmp = join_pointer(&bcp, media);
        pair.out.emit(removed, &subject, msg, Some(bmp), None);
    }
    for (bmedia, rmedia) in matched {
        let (Some(bm), Some(rm)) = (bc.get(bmedia), rc.get(rmedia)) else {
            continue;
        };
        let subject = owner.subject(rmedia);
        let (bmp, rmp) = (join_pointer(&bcp, bmedia), join_pointer(&rcp, rmedia));
        match (bm.get("schema"), rm.get("schema")) {
            (Some(bs), Some(rs)) => {
                let (bsp, rsp) = (join_pointer(&bmp, "schema"), join_pointer(&rmp, "schema"));
                SchemaDiff::new(pair).compare(&owner.site(rmedia), bs, rs, &bsp, &rsp);
            }
            (None, Some(_)) => {
                let msg = format!("{name} ({rmedia}) now has a schema");
                pair.out
                    .emit(schema_added, &subject, msg, Some(bmp), Some(rmp));
            }
            (Some(_), None) => {
                let msg = format!("{name} ({rmedia}) no longer has a schema");
                pair.out
                    .emit(schema_removed, &subject, msg, Some(bmp), Some(rmp));
            }
            (None, None) => {}
        }
    }
    for media in new {
        let msg = format!("{name} also {verb} {media}");
        let subject = owner.subject(media);
        pair.out
            .emit(added, &subject, msg, None, Some(join_pointer(&rcp, media)));
    }
}

/// A media type name taken apart: `application/problem+json; q=1` is type
/// `application`, subtype `problem`, suffix `json` and parameter `q=1`.
#[derive(Debug, PartialEq, Eq)]
struct MediaName {
    kind: String,
    subtype: String,
    suffix: Option<String>,
    params: std::collections::BTreeMap<String, String>,
}

/// Parses a media type name; `None` when it is not one (no `/`, an empty
/// part, more than one suffix, a parameter without `=`). Type, subtype and
/// parameter names compare without case; parameter values keep theirs.
fn media_name(text: &str) -> Option<MediaName> {
    let mut parts = text.split(';');
    let bare = parts.next()?.trim().to_ascii_lowercase();
    let (kind, sub) = bare.split_once('/')?;
    let token = |t: &str| !t.is_empty() && !t.contains(char::is_whitespace);
    let (subtype, suffix) = match sub.split_once('+') {
        Some((s, x)) if !x.contains('+') && token(x) => (s, Some(x.to_string())),
        Some(_) => return None,
        None => (sub, None),
    };
    if !token(kind) || !token(subtype) {
        return None;
    }
    let mut params = std::collections::BTreeMap::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (k, v) = p.split_once('=')?;
        let v = v.trim().trim_matches('"');
        params.insert(k.trim().to_ascii_lowercase(), v.to_string());
    }
    Some(MediaName {
        kind: kind.to_string(),
        subtype: subtype.to_string(),
        suffix,
        params,
    })
}

/// Whether a client expecting `from` can take `to` (parameters aside): the
/// same type and subtype and suffix, or `to` a structured-syntax refinement
/// of a plain `from` (`application/json` → `application/problem+json`).
fn contains(from: &MediaName, to: &MediaName) -> bool {
    if from.kind != to.kind {
        return false;
    }
    if from.suffix.is_none() && to.suffix.as_deref() == Some(from.subtype.as_str()) {
        return true;
    }
    from.subtype == to.subtype && from.suffix == to.suffix
}

/// Pairs each new media type with the first removed one it is related to
/// (either contains the other), taking both out of their lists.
fn pair_renamed<'m>(
    gone: &mut Vec<&'m String>,
    new: &mut Vec<&'m String>,
) -> Vec<(&'m String, &'m String)> {
    let mut out = Vec::new();
    new.retain(|to| {
        let Some(t) = media_name(to) else {
            return true;
        };
        let found = gone.iter().position(|from| {
            media_name(from).is_some_and(|f| contains(&f, &t) || contains(&t, &f))
        });
        match found {
            Some(i) => {
                out.push((gone.remove(i), *to));
                false
            }
            None => true,
        }
    });
    out
}

/// The check for a response media type renamed from `from` to `to` (a pair
/// [`pair_renamed`] made), and how the message says it: other parameters
/// are a change, a more specific name is safe, a more general one breaks.
fn renamed_check(from: &str, to: &str) -> (Check, &'static str) {
    let (Some(f), Some(t)) = (media_name(from), media_name(to)) else {
        return (registry::RESPONSE_MEDIA_TYPE_NAME_CHANGED, "changed to");
    };
    if f.params != t.params {
        (registry::RESPONSE_MEDIA_TYPE_NAME_CHANGED, "changed to")
    } else if contains(&f, &t) {
        (
            registry::RESPONSE_MEDIA_TYPE_NAME_SPECIALIZED,
            "specialized to",
        )
    } else {
        (
            registry::RESPONSE_MEDIA_TYPE_NAME_GENERALIZED,
            "generalized to",
        )
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{diff, get_pets, ids, only};
    use crate::diff::Level;

    fn returning(content: Value) -> Value {
        get_pets(json!({"responses": {"200": {"description": "ok", "content": content}}}))
    }

    fn accepting(content: Value) -> Value {
        let mut d = get_pets(json!({"responses": {}}));
        d["paths"]["/pets"]["get"]["requestBody"] = json!({ "content": content });
        d
    }

    #[test]
    fn a_response_schema_added_or_dropped_is_reported_per_media_type() {
        let bare = returning(json!({"application/json": {}, "text/csv": {}}));
        let typed = returning(json!({
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {}
        }));
        let f = only(&diff(&bare, &typed)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "response-body-media-type-schema-added")
        );
        assert_eq!(
            &*f.message,
            "response 200 (application/json) now has a schema"
        );
        assert_eq!(
            f.revision_pointer.as_deref(),
            Some("/paths/~1pets/get/responses/200/content/application~1json")
        );
        let f = only(&diff(&typed, &bare)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Warning, "response-body-media-type-schema-removed")
        );
        assert_eq!(
            &*f.message,
            "response 200 (application/json) no longer has a schema"
        );
    }

    #[test]
    fn a_request_schema_added_breaks_clients_and_dropped_does_not() {
        let bare = accepting(json!({"application/json": {}}));
        let typed = accepting(json!({"application/json": {"schema": {"type": "string"}}}));
        let f = only(&diff(&bare, &typed)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-body-media-type-schema-added")
        );
        assert_eq!(
            &*f.message,
            "the request body (application/json) now has a schema"
        );
        assert_eq!(
            ids(&diff(&typed, &bare)),
            [(Level::Info, "request-body-media-type-schema-removed")]
        );
    }

    #[test]
    fn each_media_type_of_a_response_is_its_own_finding() {
        let base = returning(json!({"application/json": {}, "text/csv": {}}));
        let rev = returning(json!({"application/xml": {}}));
        let findings = diff(&base, &rev);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(
            messages,
            [
                "response 200 no longer returns application/json",
                "response 200 no longer returns text/csv",
                "response 200 also returns application/xml",
            ]
        );
        assert_eq!(
            ids(&findings),
            [
                (Level::Error, "response-media-type-removed"),
                (Level::Error, "response-media-type-removed"),
                (Level::Info, "response-media-type-added"),
            ]
        );
        let fingerprints: std::collections::BTreeSet<&str> =
            findings.iter().map(|f| f.fingerprint.as_str()).collect();
        assert_eq!(fingerprints.len(), 3);
    }
}
