//! Request bodies: added, removed, required-ness, media types, schemas.

use serde_json::Value;

use super::Pair;
use super::content::{self, Owner};
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
    content::compare(pair, Owner::Request, bb, rb, &bptr, &rptr);
}
