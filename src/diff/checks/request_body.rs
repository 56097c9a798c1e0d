//! Request bodies: added, removed, required-ness, media types, schemas.

use serde_json::Value;

use super::Pair;
use super::content::{self, Owner};
use crate::diff::document::Operation;
use crate::diff::{join_pointer, registry};

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
                registry::REQUEST_BODY_REMOVED,
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
                    registry::REQUEST_BODY_ADDED_REQUIRED,
                    "a required request body was added",
                )
            } else {
                (
                    registry::REQUEST_BODY_ADDED_OPTIONAL,
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
            registry::REQUEST_BODY_BECAME_REQUIRED,
            "",
            "the request body became required".into(),
            Some(bptr.clone()),
            Some(rptr.clone()),
        ),
        (true, false) => pair.out.emit(
            registry::REQUEST_BODY_BECAME_OPTIONAL,
            "",
            "the request body became optional".into(),
            Some(bptr.clone()),
            Some(rptr.clone()),
        ),
        _ => {}
    }
    content::compare(pair, Owner::Request, bb, rb, &bptr, &rptr);
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::testing::{diff, get_pets, ids, only};
    use crate::diff::Level;

    fn with_body(body: Value) -> Value {
        get_pets(json!({"requestBody": body, "responses": {}}))
    }

    #[test]
    fn a_body_that_becomes_optional_is_harmless() {
        let content = json!({"application/json": {"schema": {"type": "object"}}});
        let required = with_body(json!({"required": true, "content": content}));
        let optional = with_body(json!({"content": content}));
        let f = only(&diff(&required, &optional)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "request-body-became-optional")
        );
        assert_eq!(&*f.message, "the request body became optional");
        assert_eq!(
            f.revision_pointer.as_deref(),
            Some("/paths/~1pets/get/requestBody")
        );
        // `required: false` is the same as no `required`.
        let explicit = with_body(json!({"required": false, "content": content}));
        assert!(diff(&optional, &explicit).is_empty());
    }

    #[test]
    fn a_body_behind_a_ref_is_compared_as_its_target() {
        let mut base = with_body(json!({"$ref": "#/components/requestBodies/Pet"}));
        base["components"] = json!({"requestBodies": {"Pet": {
            "content": {"application/json": {"schema": {"type": "object"}}}
        }}});
        // The same body written inline: nothing changed.
        let inline = with_body(json!({
            "content": {"application/json": {"schema": {"type": "object"}}}
        }));
        assert!(diff(&base, &inline).is_empty());
        // The target made required.
        let mut rev = base.clone();
        rev["components"]["requestBodies"]["Pet"]["required"] = json!(true);
        assert_eq!(
            ids(&diff(&base, &rev)),
            [(Level::Error, "request-body-became-required")]
        );
    }
}
