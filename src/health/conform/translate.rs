//! A description's schemas as JSON Schema 2020-12, for the validator.
//!
//! - Swagger 2.0 first goes through the diff engine's conversion to the
//!   OpenAPI 3 layout (`definitions` under `components`, response schemas
//!   under `content`, `x-nullable` as `nullable`), then is read as 3.0.
//! - OpenAPI 3.0 schemas are a dialect of draft 4/5 JSON Schema:
//!   `nullable: true` adds `null` to the type (and to an `enum`); a
//!   boolean `exclusiveMinimum`/`exclusiveMaximum` turns its `minimum`/
//!   `maximum` into the 2020-12 number form; keywords beside a `$ref`
//!   are ignored, as 3.0 says; a `discriminator` over a `oneOf`/`anyOf`
//!   picks the member by the property's value (so overlapping members
//!   are not "more than one matched", and an unknown value is an enum
//!   value nobody declared).
//! - OpenAPI 3.1 schemas are 2020-12 already; only `discriminator` is
//!   translated.
//!
//! In both versions a property marked `writeOnly` is never sent in a
//! response, so it is dropped from `required`.
//!
//! Only schemas are rewritten (those under `components`, and the response
//! schemas of every operation), walking schema keywords, never examples,
//! so a property that happens to be called `nullable` stays what it is.
//! The walk stops [`MAX_DEPTH`] levels down; deeper schemas are left as
//! written.

use serde_json::{Map, Value, json};

/// Deepest schema nesting translated.
pub const MAX_DEPTH: usize = 200;

/// The OpenAPI version family of a description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Swagger 2.0, converted to the 3.0 layout.
    Swagger2,
    Openapi30,
    Openapi31,
}

impl Dialect {
    pub fn of(doc: &Value) -> Option<Dialect> {
        if doc.get("swagger").and_then(Value::as_str).is_some() {
            return Some(Dialect::Swagger2);
        }
        let v = doc.get("openapi").and_then(Value::as_str)?;
        Some(if v.starts_with("3.0") {
            Dialect::Openapi30
        } else {
            Dialect::Openapi31
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Swagger2 => "Swagger 2.0",
            Dialect::Openapi30 => "OpenAPI 3.0",
            Dialect::Openapi31 => "OpenAPI 3.1",
        }
    }
}

/// The description in the OpenAPI 3 layout with its schemas in 2020-12.
/// `None` when it is not an OpenAPI or Swagger description.
pub fn translate(doc: &Value) -> Option<(Value, Dialect)> {
    let dialect = Dialect::of(doc)?;
    let mut out = match dialect {
        Dialect::Swagger2 => crate::diff::upgrade::swagger2_to_openapi3(doc),
        _ => doc.clone(),
    };
    let legacy = dialect != Dialect::Openapi31;
    if let Some(components) = out.get_mut("components").and_then(Value::as_object_mut) {
        if let Some(schemas) = components.get_mut("schemas").and_then(Value::as_object_mut) {
            for schema in schemas.values_mut() {
                schema_in_place(schema, legacy, 0);
            }
        }
        if let Some(responses) = components
            .get_mut("responses")
            .and_then(Value::as_object_mut)
        {
            for response in responses.values_mut() {
                response_in_place(response, legacy);
            }
        }
    }
    if let Some(paths) = out.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for op in item.values_mut() {
                let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
                    continue;
                };
                for response in responses.values_mut() {
                    response_in_place(response, legacy);
                }
            }
        }
    }
    Some((out, dialect))
}

fn response_in_place(response: &mut Value, legacy: bool) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    for media in content.values_mut() {
        if let Some(schema) = media.get_mut("schema") {
            schema_in_place(schema, legacy, 0);
        }
    }
}

/// Keywords whose value is one schema.
const ONE: &[&str] = &[
    "items",
    "additionalProperties",
    "not",
    "contains",
    "propertyNames",
    "if",
    "then",
    "else",
    "unevaluatedProperties",
    "unevaluatedItems",
    "additionalItems",
];
/// Keywords whose value is a list of schemas.
const LIST: &[&str] = &["allOf", "anyOf", "oneOf", "prefixItems"];
/// Keywords whose value maps names to schemas.
const MAP: &[&str] = &[
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "dependentSchemas",
];

/// Translates one schema and everything under it.
pub fn schema_in_place(schema: &mut Value, legacy: bool, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if legacy && obj.contains_key("$ref") {
        // 3.0: a reference object's siblings are ignored.
        obj.retain(|k, _| k == "$ref");
        return;
    }
    for key in ONE {
        if let Some(sub) = obj.get_mut(*key) {
            schema_in_place(sub, legacy, depth + 1);
        }
    }
    for key in LIST {
        if let Some(list) = obj.get_mut(*key).and_then(Value::as_array_mut) {
            for sub in list {
                schema_in_place(sub, legacy, depth + 1);
            }
        }
    }
    for key in MAP {
        if let Some(map) = obj.get_mut(*key).and_then(Value::as_object_mut) {
            for sub in map.values_mut() {
                schema_in_place(sub, legacy, depth + 1);
            }
        }
    }
    if legacy {
        // Swagger's list form of `items` is a draft-4 tuple.
        if obj.get("items").is_some_and(Value::is_array)
            && let Some(tuple) = obj.remove("items")
        {
            obj.insert("prefixItems".into(), tuple);
        }
        bounds(obj, "exclusiveMinimum", "minimum");
        bounds(obj, "exclusiveMaximum", "maximum");
        nullable(obj);
    }
    write_only_not_required(obj);
    discriminator(obj);
}

/// 3.0's `minimum: 5, exclusiveMinimum: true` is 2020-12's
/// `exclusiveMinimum: 5`; `false` only says the bound is inclusive.
fn bounds(obj: &mut Map<String, Value>, exclusive: &str, inclusive: &str) {
    match obj.get(exclusive) {
        Some(Value::Bool(true)) => {
            obj.remove(exclusive);
            if let Some(limit) = obj.remove(inclusive) {
                obj.insert(exclusive.into(), limit);
            }
        }
        Some(Value::Bool(false)) => {
            obj.remove(exclusive);
        }
        _ => {}
    }
}

/// 3.0's `nullable: true`: `null` is one more type and one more enum value.
fn nullable(obj: &mut Map<String, Value>) {
    let on = obj.remove("nullable") == Some(Value::Bool(true));
    obj.remove("x-nullable");
    if !on {
        return;
    }
    if let Some(list) = obj.get_mut("enum").and_then(Value::as_array_mut)
        && !list.contains(&Value::Null)
    {
        list.push(Value::Null);
    }
    match obj.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            obj.insert("type".into(), json!([t, "null"]));
        }
        Some(Value::Array(list)) => {
            if !list.contains(&json!("null")) {
                list.push(json!("null"));
            }
        }
        _ => {
            // No type: the schema's other keywords (an allOf, a oneOf)
            // or null.
            let rest = std::mem::take(obj);
            obj.insert(
                "anyOf".into(),
                json!([{"type": "null"}, Value::Object(rest)]),
            );
        }
    }
}

/// A `writeOnly` property never comes back in a response.
fn write_only_not_required(obj: &mut Map<String, Value>) {
    let write_only: Vec<String> = match obj.get("properties").and_then(Value::as_object) {
        Some(props) => props
            .iter()
            .filter(|(_, p)| p.get("writeOnly") == Some(&Value::Bool(true)))
            .map(|(k, _)| k.clone())
            .collect(),
        None => return,
    };
    if write_only.is_empty() {
        return;
    }
    if let Some(required) = obj.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|r| {
            r.as_str()
                .is_none_or(|r| !write_only.iter().any(|w| w == r))
        });
    }
}

/// A `discriminator` over `oneOf`/`anyOf` members that are references:
/// the property's value picks the member (by the mapping, or by the
/// referenced schema's name), and a value no member is named for is an
/// undeclared enum value.
fn discriminator(obj: &mut Map<String, Value>) {
    let Some(property) = obj
        .get("discriminator")
        .and_then(|d| d.get("propertyName"))
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return;
    };
    let key = ["oneOf", "anyOf"]
        .into_iter()
        .find(|k| obj.get(*k).and_then(Value::as_array).is_some());
    let Some(key) = key else {
        return;
    };
    let members: Vec<Value> = obj
        .get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mapping: Vec<(String, String)> = obj
        .get("discriminator")
        .and_then(|d| d.get("mapping"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let mut values: Vec<Value> = Vec::new();
    let mut branches: Vec<Value> = Vec::new();
    for member in &members {
        // Only references can be named; any other member leaves the
        // composition as written.
        let Some(reference) = member.get("$ref").and_then(Value::as_str) else {
            return;
        };
        let mut names: Vec<String> = mapping
            .iter()
            .filter(|(_, target)| {
                target == reference || reference.rsplit('/').next() == Some(target.as_str())
            })
            .map(|(name, _)| name.clone())
            .collect();
        if names.is_empty() {
            names.push(
                reference
                    .rsplit('/')
                    .next()
                    .unwrap_or(reference)
                    .to_string(),
            );
        }
        for name in names {
            values.push(Value::String(name.clone()));
            branches.push(json!({
                "if": {"properties": {property.as_str(): {"const": name}}, "required": [property.as_str()]},
                "then": {"$ref": reference},
            }));
        }
    }
    obj.remove(key);
    let mut all = vec![json!({
        "properties": {property.as_str(): {"enum": values}},
        "required": [property.as_str()],
    })];
    all.extend(branches);
    match obj.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(list) => list.extend(all),
        None => {
            obj.insert("allOf".into(), Value::Array(all));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t30(mut v: Value) -> Value {
        schema_in_place(&mut v, true, 0);
        v
    }

    #[test]
    fn nullable_adds_null_to_the_type_and_the_enum() {
        assert_eq!(
            t30(json!({"type": "string", "nullable": true, "enum": ["a"]})),
            json!({"type": ["string", "null"], "enum": ["a", null]})
        );
        assert_eq!(
            t30(json!({"nullable": true, "allOf": [{"$ref": "#/x"}]})),
            json!({"anyOf": [{"type": "null"}, {"allOf": [{"$ref": "#/x"}]}]})
        );
        assert_eq!(
            t30(json!({"type": "string", "nullable": false})),
            json!({"type": "string"})
        );
    }

    #[test]
    fn boolean_exclusive_bounds_become_numbers() {
        assert_eq!(
            t30(
                json!({"type": "number", "minimum": 0, "exclusiveMinimum": true,
                        "maximum": 9, "exclusiveMaximum": false})
            ),
            json!({"type": "number", "exclusiveMinimum": 0, "maximum": 9})
        );
    }

    #[test]
    fn siblings_of_a_ref_are_ignored_in_3_0_and_a_property_named_nullable_stays() {
        assert_eq!(
            t30(json!({"$ref": "#/a", "nullable": true})),
            json!({"$ref": "#/a"})
        );
        let s = t30(json!({"type": "object", "properties": {"nullable": {"type": "boolean"}}}));
        assert_eq!(s["properties"]["nullable"], json!({"type": "boolean"}));
    }

    #[test]
    fn a_discriminator_picks_the_member_by_value() {
        let s = t30(json!({
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind", "mapping": {"kitty": "#/components/schemas/Cat"}}
        }));
        assert!(s.get("oneOf").is_none(), "{s}");
        assert_eq!(
            s["allOf"][0]["properties"]["kind"]["enum"],
            json!(["kitty", "Dog"])
        );
    }
}
