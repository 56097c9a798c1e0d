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
        }
    }
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
    for (media, bm) in bc {
        let bmp = join_pointer(&bcp, media);
        let subject = owner.subject(media);
        let Some(rm) = rc.get(media) else {
            let msg = format!("{name} no longer {verb} {media}");
            pair.out.emit(removed, &subject, msg, Some(bmp), None);
            continue;
        };
        let rmp = join_pointer(&rcp, media);
        match (bm.get("schema"), rm.get("schema")) {
            (Some(bs), Some(rs)) => {
                let (bsp, rsp) = (join_pointer(&bmp, "schema"), join_pointer(&rmp, "schema"));
                SchemaDiff::new(pair).compare(&owner.site(media), bs, rs, &bsp, &rsp);
            }
            (None, Some(_)) => {
                let msg = format!("{name} ({media}) now has a schema");
                pair.out
                    .emit(schema_added, &subject, msg, Some(bmp), Some(rmp));
            }
            (Some(_), None) => {
                let msg = format!("{name} ({media}) no longer has a schema");
                pair.out
                    .emit(schema_removed, &subject, msg, Some(bmp), Some(rmp));
            }
            (None, None) => {}
        }
    }
    for media in rc.keys().filter(|m| !bc.contains_key(*m)) {
        let msg = format!("{name} also {verb} {media}");
        let subject = owner.subject(media);
        pair.out
            .emit(added, &subject, msg, None, Some(join_pointer(&rcp, media)));
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
            f.message,
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
            f.message,
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
            f.message,
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
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
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
