use super::*;
use serde_json::json;

fn shop30() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "shop", "version": "1"},
        "paths": {
            "/v1/items": {"get": {"responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Item"}}}}},
                "404": {"description": "none"}
            }}}
        },
        "components": {"schemas": {"Item": {
            "type": "object",
            "required": ["id", "name"],
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "price": {"type": "number", "minimum": 0},
                "color": {"type": "string", "enum": ["red", "blue"]},
                "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
                "updated": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": true},
                "secret_token": {"type": "integer"}
            }
        }}}
    })
}

fn check(doc: &Value, body: &str) -> Verdict {
    Described::new(doc).unwrap().check(
        "GET",
        "/v1/items",
        &Response {
            status: 200,
            content_type: Some("application/json; charset=utf-8"),
            body: body.as_bytes(),
            complete: true,
        },
    )
}

fn drifts(v: &Verdict) -> Vec<(&'static str, String)> {
    match v {
        Verdict::Validated { drifts, .. } => drifts
            .iter()
            .map(|d| (d.id, d.instance_pointer.clone()))
            .collect(),
        other => panic!("not validated: {other:?}"),
    }
}

#[test]
fn every_schema_drift_id_is_found_with_its_pointer_and_level() {
    let v = check(
        &shop30(),
        r#"[{"id": "7", "price": -3, "color": "green", "sku": "abc",
             "updated": "yesterday", "note": null, "extra": 1}]"#,
    );
    let found = drifts(&v);
    for want in [
        (ids::TYPE_MISMATCH, "/0/id"),
        (ids::MISSING_REQUIRED, "/0/name"),
        (ids::OUT_OF_RANGE, "/0/price"),
        (ids::ENUM_UNDECLARED, "/0/color"),
        (ids::PATTERN_MISMATCH, "/0/sku"),
        (ids::FORMAT_MISMATCH, "/0/updated"),
        (ids::PROPERTY_UNDECLARED, "/0/extra"),
    ] {
        assert!(
            found.contains(&(want.0, want.1.to_string())),
            "{want:?} not in {found:?}"
        );
    }
    // `note: null` is allowed by `nullable: true`.
    assert!(!found.iter().any(|(_, p)| p == "/0/note"), "{found:?}");
    let Verdict::Validated { drifts, .. } = &v else {
        unreachable!()
    };
    let t = drifts.iter().find(|d| d.id == ids::TYPE_MISMATCH).unwrap();
    assert_eq!(t.level, Level::Error);
    assert_eq!(t.pattern, "/*/id");
    assert_eq!(
        t.schema_pointer,
        "#/components/schemas/Item/properties/id/type"
    );
    assert_eq!(t.sample.as_deref(), Some("\"7\""));
    assert_eq!(t.message, "`/0/id` is string, the description says integer");
    let e = drifts
        .iter()
        .find(|d| d.id == ids::ENUM_UNDECLARED)
        .unwrap();
    assert_eq!(e.level, Level::Warning);
    let u = drifts
        .iter()
        .find(|d| d.id == ids::PROPERTY_UNDECLARED)
        .unwrap();
    assert_eq!(u.level, Level::Info);
}

#[test]
fn a_conforming_response_has_no_drift() {
    let v = check(
        &shop30(),
        r#"[{"id": 7, "name": "a", "price": 0, "color": "red", "sku": "ABC-1",
             "updated": "2025-01-01T00:00:00Z", "note": null}]"#,
    );
    assert_eq!(drifts(&v), []);
}

#[test]
fn identical_drift_in_every_item_is_one_drift() {
    let v = check(
        &shop30(),
        r#"[{"id": "1", "name": "a"}, {"id": "2", "name": "b"}]"#,
    );
    assert_eq!(drifts(&v), [(ids::TYPE_MISMATCH, "/0/id".to_string())]);
}

#[test]
fn samples_are_scrubbed_and_truncated() {
    let long = "x".repeat(100);
    let v = check(
        &shop30(),
        &format!(
            r#"[{{"id": "{long}", "name": "a", "secret_token": "hunter2", "extra": "me@example.com"}}]"#
        ),
    );
    let Verdict::Validated { drifts, .. } = &v else {
        panic!("{v:?}")
    };
    let sample = |p: &str| {
        drifts
            .iter()
            .find(|d| d.instance_pointer == p)
            .and_then(|d| d.sample.clone())
    };
    assert_eq!(sample("/0/id").unwrap().chars().count(), SAMPLE_CHARS + 3);
    assert!(sample("/0/id").unwrap().ends_with("…\""));
    assert_eq!(sample("/0/secret_token").as_deref(), Some("\"***\""));
    assert_eq!(sample("/0/extra").as_deref(), Some("\"***@example.com\""));
}

#[test]
fn an_undeclared_status_is_a_warning_and_a_declared_range_is_used() {
    let mut doc = shop30();
    let d = Described::new(&doc).unwrap();
    let r = |status| Response {
        status,
        content_type: Some("application/json"),
        body: b"{}",
        complete: true,
    };
    match d.check("GET", "/v1/items", &r(500)) {
        Verdict::StatusUndeclared(drift) => {
            assert_eq!(drift.id, ids::STATUS_UNDECLARED);
            assert_eq!(drift.level, Level::Warning);
            assert_eq!(drift.sample.as_deref(), Some("500"));
        }
        other => panic!("{other:?}"),
    }
    // 404 is declared without content: nothing to validate, no drift.
    assert!(matches!(
        d.check("GET", "/v1/items", &r(404)),
        Verdict::NothingToCheck(_)
    ));
    doc["paths"]["/v1/items"]["get"]["responses"]["5XX"] = json!({"description": "oops",
        "content": {"application/json": {"schema": {"type": "object", "required": ["error"]}}}});
    let d = Described::new(&doc).unwrap();
    let v = d.check("GET", "/v1/items", &r(503));
    assert_eq!(drifts(&v), [(ids::MISSING_REQUIRED, "/error".to_string())]);
}

#[test]
fn a_non_json_or_invalid_json_body_is_one_line_and_no_drift() {
    let d = Described::new(&shop30()).unwrap();
    let html = d.check(
        "GET",
        "/v1/items",
        &Response {
            status: 200,
            content_type: Some("text/html; charset=utf-8"),
            body: b"<html>maintenance</html>",
            complete: true,
        },
    );
    let Verdict::Skipped(line) = html else {
        panic!("{html:?}")
    };
    assert_eq!(line, "not validated: the response is `text/html`, not JSON");
    let broken = check(&shop30(), "[{\"id\": 1,");
    let Verdict::Skipped(line) = broken else {
        panic!("{broken:?}")
    };
    assert!(
        line.starts_with("not validated: the body is not valid JSON ("),
        "{line}"
    );
    assert!(!line.contains('\n'));
}

#[test]
fn openapi_3_1_type_arrays_are_json_schema() {
    let doc = json!({
        "openapi": "3.1.0",
        "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}}}}}}},
        "components": {"schemas": {"Item": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": ["integer", "null"]},
                           "n": {"type": "integer", "exclusiveMinimum": 0}}}}}
    });
    assert_eq!(drifts(&check(&doc, r#"{"id": null, "n": 1}"#)), []);
    assert_eq!(
        drifts(&check(&doc, r#"{"id": "x", "n": 0}"#)),
        [
            (ids::TYPE_MISMATCH, "/id".to_string()),
            (ids::OUT_OF_RANGE, "/n".to_string())
        ]
    );
}

#[test]
fn openapi_3_0_null_without_nullable_is_a_type_mismatch() {
    assert_eq!(
        drifts(&check(&shop30(), r#"[{"id": null, "name": "a"}]"#)),
        [(ids::TYPE_MISMATCH, "/0/id".to_string())]
    );
}

#[test]
fn swagger_2_0_goes_through_the_conversion() {
    let doc = json!({
        "swagger": "2.0",
        "produces": ["application/json"],
        "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
            "schema": {"$ref": "#/definitions/Item"}}}}}},
        "definitions": {"Item": {"type": "object", "required": ["id"],
            "properties": {"id": {"type": "integer"}, "tag": {"type": "string", "x-nullable": true},
                           "n": {"type": "integer", "minimum": 0, "exclusiveMinimum": true}}}}
    });
    assert_eq!(
        drifts(&check(&doc, r#"{"id": 1, "tag": null, "n": 1}"#)),
        []
    );
    let v = check(&doc, r#"{"id": true, "n": 0}"#);
    assert_eq!(
        drifts(&v),
        [
            (ids::TYPE_MISMATCH, "/id".to_string()),
            (ids::OUT_OF_RANGE, "/n".to_string())
        ]
    );
}

#[test]
fn ref_cycles_end() {
    let doc = json!({
        "openapi": "3.0.0",
        "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
        "components": {"schemas": {
            "Node": {"type": "object", "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "loop": {"$ref": "#/components/schemas/A"}}},
            "A": {"$ref": "#/components/schemas/B"},
            "B": {"$ref": "#/components/schemas/A"}
        }}
    });
    let v = check(
        &doc,
        r#"{"name": "root", "children": [{"name": 1, "children": [{"odd": true}]}]}"#,
    );
    let found = drifts(&v);
    assert!(
        found.contains(&(ids::TYPE_MISMATCH, "/children/0/name".to_string())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            ids::PROPERTY_UNDECLARED,
            "/children/0/children/0/odd".to_string()
        )),
        "{found:?}"
    );
    // A value under the pure A → B → A cycle: whatever the validator
    // says, the check ends.
    let _ = check(&doc, r#"{"loop": {"x": 1}}"#);
}

#[test]
fn a_discriminator_selects_the_member() {
    let doc = json!({
        "openapi": "3.0.0",
        "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}}},
        "components": {"schemas": {
            "Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                    "discriminator": {"propertyName": "kind"}},
            "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "lives": {"type": "integer"}}},
            "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}, "good": {"type": "boolean"}}}
        }}
    });
    // Both members would match `{"kind": "Cat"}`; the discriminator says
    // which one applies.
    assert_eq!(drifts(&check(&doc, r#"{"kind": "Cat", "lives": 9}"#)), []);
    assert_eq!(
        drifts(&check(&doc, r#"{"kind": "Cat", "lives": "nine"}"#)),
        [(ids::TYPE_MISMATCH, "/lives".to_string())]
    );
    assert_eq!(
        drifts(&check(&doc, r#"{"kind": "Bird"}"#)),
        [(ids::ENUM_UNDECLARED, "/kind".to_string())]
    );
}
