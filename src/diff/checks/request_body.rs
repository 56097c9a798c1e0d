//! Request bodies: added, removed, required-ness, media types, schemas.

use serde_json::Value;

use super::Pair;
use super::schema::{Dir, SchemaDiff, Site};
use crate::diff::document::Operation;
use crate::diff::join_pointer;

fn required(v: &Value) -> bool {
    v.get("required").and_then(Value::as_bool) == Some(true)
}

pub fn compare<'e>(pair: &mut Pair<'e>, b: &Operation<'e>, r: &Operation<'e>) {
    let bptr = join_pointer(&b.pointer, "requestBody");
    let rptr = join_pointer(&r.pointer, "requestBody");
    let (bdoc, rdoc) = (pair.base, pair.rev);
    let bb = b.value.get("requestBody").map(|v| bdoc.resolve(v).0);
    let rb = r.value.get("requestBody").map(|v| rdoc.resolve(v).0);
    let (bb, rb) = match (bb, rb) {
        (None, None) => return,
        (Some(_), None) => {
            pair.out.emit(
                "request-body-removed",
                "",
                "the request body was removed".into(),
                Some(bptr),
                None,
            );
            return;
        }
        (None, Some(rb)) => {
            let (id, msg) = if required(rb) {
                (
                    "request-body-added-required",
                    "a required request body was added",
                )
            } else {
                (
                    "request-body-added-optional",
                    "an optional request body was added",
                )
            };
            pair.out.emit(id, "", msg.into(), None, Some(rptr));
            return;
        }
        (Some(bb), Some(rb)) => (bb, rb),
    };
    match (required(bb), required(rb)) {
        (false, true) => pair.out.emit(
            "request-body-became-required",
            "",
            "the request body became required".into(),
            Some(bptr.clone()),
            Some(rptr.clone()),
        ),
        (true, false) => pair.out.emit(
            "request-body-became-optional",
            "",
            "the request body became optional".into(),
            Some(bptr.clone()),
            Some(rptr.clone()),
        ),
        _ => {}
    }
    let bc = super::members(bb, "content");
    let rc = super::members(rb, "content");
    let bcp = join_pointer(&bptr, "content");
    let rcp = join_pointer(&rptr, "content");
    for (media, bm) in bc {
        let bmp = join_pointer(&bcp, media);
        match rc.get(media) {
            None => pair.out.emit(
                "request-body-media-type-removed",
                media,
                format!("the request body no longer accepts {media}"),
                Some(bmp),
                None,
            ),
            Some(rm) => {
                let rmp = join_pointer(&rcp, media);
                match (bm.get("schema"), rm.get("schema")) {
                    (Some(bs), Some(rs)) => {
                        let site = Site {
                            dir: Dir::Request,
                            root: "request-body",
                            nested: "request-property",
                            label: format!("request body ({media})"),
                            path: String::new(),
                        };
                        let (bsp, rsp) =
                            (join_pointer(&bmp, "schema"), join_pointer(&rmp, "schema"));
                        SchemaDiff::new(pair).compare(&site, bs, rs, &bsp, &rsp);
                    }
                    (None, Some(_)) => pair.out.emit(
                        "request-body-media-type-schema-added",
                        media,
                        format!("the request body ({media}) now has a schema"),
                        Some(bmp),
                        Some(rmp),
                    ),
                    (Some(_), None) => pair.out.emit(
                        "request-body-media-type-schema-removed",
                        media,
                        format!("the request body ({media}) no longer has a schema"),
                        Some(bmp),
                        Some(rmp),
                    ),
                    (None, None) => {}
                }
            }
        }
    }
    for media in rc.keys().filter(|m| !bc.contains_key(*m)) {
        pair.out.emit(
            "request-body-media-type-added",
            media,
            format!("the request body also accepts {media}"),
            None,
            Some(join_pointer(&rcp, media)),
        );
    }
}
