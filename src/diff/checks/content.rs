//! `content` maps, shared by request bodies and responses: media types
//! added or removed, a schema added or removed, and the schemas compared.

use serde_json::Value;

use super::Pair;
use super::schema::{Dir, SchemaDiff, Site};
use crate::diff::join_pointer;

/// Whose `content` is compared: the request body, or response `code`.
#[derive(Clone, Copy)]
pub enum Owner<'a> {
    Request,
    Response(&'a str),
}

impl Owner<'_> {
    /// Check ids: media type removed, added, schema added, schema removed.
    fn ids(self) -> [&'static str; 4] {
        match self {
            Owner::Request => [
                "request-body-media-type-removed",
                "request-body-media-type-added",
                "request-body-media-type-schema-added",
                "request-body-media-type-schema-removed",
            ],
            Owner::Response(_) => [
                "response-media-type-removed",
                "response-media-type-added",
                "response-body-media-type-schema-added",
                "response-body-media-type-schema-removed",
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
                "request-body",
                "request-property",
                format!("request body ({media})"),
            ),
            Owner::Response(code) => (
                Dir::Response,
                "response-body",
                "response-property",
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
    let [removed, added, schema_added, schema_removed] = owner.ids();
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
