//! Swagger 2.0 → OpenAPI 3 layout, so a migration between the two diffs
//! meaningfully and every check reads one shape.
//!
//! - `host` / `basePath` / `schemes` become `servers`;
//! - `definitions`, `parameters`, `responses`, `securityDefinitions` move
//!   under `components` (references rewritten to match);
//! - `in: body` and `in: formData` parameters become a `requestBody`, with
//!   the media types of `consumes`; response `schema`s get the media types
//!   of `produces`;
//! - a non-body parameter's `type`, `format`, `items`, `enum`, bounds and
//!   `default` move into its `schema`; `x-nullable` becomes `nullable`.

use serde_json::{Map, Value, json};

const SCHEMA_KEYWORDS: &[&str] = &[
    "type",
    "format",
    "items",
    "enum",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "multipleOf",
    "x-nullable",
];

/// The OpenAPI 3 form of a Swagger 2.0 document (a copy; see [`upgrade`]).
pub fn swagger2_to_openapi3(doc: &Value) -> Value {
    upgrade(doc.clone())
}

/// The OpenAPI 3 form of a Swagger 2.0 document, made of the document
/// itself: its nodes are moved and edited, not copied.
pub fn upgrade(doc: Value) -> Value {
    let mut refs = RefRewrite::default();
    if let Some(params) = doc.get("parameters").and_then(Value::as_object) {
        for (name, p) in params {
            if p.get("in").and_then(Value::as_str) == Some("body") {
                refs.body_params.push(name.clone());
            }
        }
    }
    let servers = servers(&doc);
    let consumes = media_types(doc.get("consumes"));
    let produces = media_types(doc.get("produces"));
    let mut source = match doc {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let definitions = source.remove("definitions");
    let parameters = source.remove("parameters");
    let responses = source.remove("responses");
    let security = source.remove("securityDefinitions");
    let paths_in = source.remove("paths");
    for key in [
        "swagger", "host", "basePath", "schemes", "consumes", "produces",
    ] {
        source.remove(key);
    }
    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.0"));
    for (key, mut value) in source {
        refs.rewrite(&mut value);
        out.insert(key, value);
    }
    if let Some(servers) = servers {
        out.insert("servers".into(), servers);
    }

    let mut components = Map::new();
    if let Some(mut schemas) = definitions {
        refs.rewrite(&mut schemas);
        make_nullable(&mut schemas);
        components.insert("schemas".into(), schemas);
    }
    if let Some(Value::Object(params)) = parameters {
        let mut parameters = Map::new();
        let mut bodies = Map::new();
        for (name, mut p) in params {
            refs.rewrite(&mut p);
            if p.get("in").and_then(Value::as_str) == Some("body") {
                bodies.insert(name, body_from(&[&p], &consumes));
            } else {
                parameters.insert(name, parameter(p));
            }
        }
        if !parameters.is_empty() {
            components.insert("parameters".into(), Value::Object(parameters));
        }
        if !bodies.is_empty() {
            components.insert("requestBodies".into(), Value::Object(bodies));
        }
    }
    if let Some(Value::Object(responses)) = responses {
        let converted: Map<String, Value> = responses
            .into_iter()
            .map(|(k, mut r)| {
                refs.rewrite(&mut r);
                (k, response(r, &produces))
            })
            .collect();
        components.insert("responses".into(), Value::Object(converted));
    }
    if let Some(Value::Object(schemes)) = security {
        let converted: Map<String, Value> = schemes
            .iter()
            .map(|(k, s)| (k.clone(), security_scheme(s)))
            .collect();
        components.insert("securitySchemes".into(), Value::Object(converted));
    }
    if !components.is_empty() {
        out.insert("components".into(), Value::Object(components));
    }

    let mut paths = Map::new();
    if let Some(Value::Object(items)) = paths_in {
        for (path, mut item) in items {
            refs.rewrite(&mut item);
            let item_map = match item {
                Value::Object(map) => map,
                other => {
                    paths.insert(path, other);
                    continue;
                }
            };
            let mut new_item = Map::new();
            for (key, value) in item_map {
                if super::METHODS.contains(&key.as_str()) {
                    new_item.insert(key, operation(value, &consumes, &produces));
                } else if key == "parameters" {
                    let (params, _) = split_parameters(value);
                    new_item.insert(key, Value::Array(params));
                } else {
                    new_item.insert(key, value);
                }
            }
            paths.insert(path, Value::Object(new_item));
        }
    }
    out.insert("paths".into(), Value::Object(paths));
    Value::Object(out)
}

#[derive(Default)]
struct RefRewrite {
    body_params: Vec<String>,
}

impl RefRewrite {
    /// Points every `$ref` below `value` at where its target moved.
    fn rewrite(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => {
                            if let Some(moved) = self.target(r) {
                                *r = moved;
                            }
                        }
                        (_, v) => self.rewrite(v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.rewrite(v)),
            _ => {}
        }
    }

    /// Where the target of `r` is in the OpenAPI 3 form; `None` if it
    /// stays where it is.
    fn target(&self, r: &str) -> Option<String> {
        if let Some(name) = r.strip_prefix("#/definitions/") {
            Some(format!("#/components/schemas/{name}"))
        } else if let Some(name) = r.strip_prefix("#/parameters/") {
            Some(if self.body_params.iter().any(|b| b == name) {
                format!("#/components/requestBodies/{name}")
            } else {
                format!("#/components/parameters/{name}")
            })
        } else {
            r.strip_prefix("#/responses/")
                .map(|name| format!("#/components/responses/{name}"))
        }
    }
}

fn servers(doc: &Value) -> Option<Value> {
    let host = doc.get("host").and_then(Value::as_str);
    let base = doc.get("basePath").and_then(Value::as_str).unwrap_or("");
    if host.is_none() && base.is_empty() {
        return None;
    }
    let schemes: Vec<&str> = doc
        .get("schemes")
        .and_then(Value::as_array)
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .filter(|s: &Vec<&str>| !s.is_empty())
        .unwrap_or_else(|| vec!["https"]);
    let urls: Vec<Value> = match host {
        Some(h) => schemes
            .iter()
            .map(|s| json!({ "url": format!("{s}://{h}{base}") }))
            .collect(),
        None => vec![json!({ "url": base })],
    };
    Some(Value::Array(urls))
}

fn media_types(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// `x-nullable: true` → `nullable: true`, everywhere below, in place.
fn make_nullable(v: &mut Value) {
    match v {
        Value::Object(map) => {
            let flag = map.remove("x-nullable");
            map.values_mut().for_each(make_nullable);
            if let Some(flag) = flag {
                map.insert("nullable".into(), flag);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(make_nullable),
        _ => {}
    }
}

/// A non-body parameter with its schema keywords moved into `schema`.
fn parameter(p: Value) -> Value {
    let map = match p {
        Value::Object(map) if !map.contains_key("$ref") => map,
        other => return other,
    };
    let mut out = Map::new();
    let mut schema = Map::new();
    for (k, mut v) in map {
        if SCHEMA_KEYWORDS.contains(&k.as_str()) {
            let key = if k == "x-nullable" {
                "nullable".into()
            } else {
                k
            };
            make_nullable(&mut v);
            schema.insert(key, v);
        } else if k != "collectionFormat" && k != "allowEmptyValue" {
            out.insert(k, v);
        }
    }
    if !schema.is_empty() {
        out.insert("schema".into(), Value::Object(schema));
    }
    Value::Object(out)
}

/// Splits an operation's parameters into ordinary ones and body/formData.
fn split_parameters(params: Value) -> (Vec<Value>, Vec<Value>) {
    let mut plain = Vec::new();
    let mut body = Vec::new();
    let Value::Array(params) = params else {
        return (plain, body);
    };
    for p in params {
        let reference = p.get("$ref");
        let is_body = matches!(
            p.get("in").and_then(Value::as_str),
            Some("body") | Some("formData")
        )
            // References were rewritten already: a body parameter's now
            // points into `requestBodies`.
            || reference
                .and_then(Value::as_str)
                .is_some_and(|r| r.starts_with("#/components/requestBodies/"));
        let is_reference = reference.is_some();
        if is_body {
            body.push(p);
        } else if is_reference {
            plain.push(p);
        } else {
            plain.push(parameter(p));
        }
    }
    (plain, body)
}

/// A `requestBody` from `in: body` or `in: formData` parameters.
fn body_from(params: &[&Value], consumes: &[String]) -> Value {
    let form: Vec<&&Value> = params
        .iter()
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("formData"))
        .collect();
    if !form.is_empty() {
        let multipart = form
            .iter()
            .any(|p| p.get("type").and_then(Value::as_str) == Some("file"))
            || consumes.iter().any(|c| c == "multipart/form-data");
        let mut properties = Map::new();
        let mut required = Vec::new();
        for p in &form {
            let name = p.get("name").and_then(Value::as_str).unwrap_or("");
            let mut schema = match parameter((**p).clone()) {
                Value::Object(mut map) => map.remove("schema"),
                _ => None,
            }
            .unwrap_or(json!({}));
            if schema.get("type").and_then(Value::as_str) == Some("file") {
                schema = json!({"type": "string", "format": "binary"});
            }
            properties.insert(name.to_string(), schema);
            if p.get("required").and_then(Value::as_bool) == Some(true) {
                required.push(json!(name));
            }
        }
        let media = if multipart {
            "multipart/form-data"
        } else {
            "application/x-www-form-urlencoded"
        };
        let mut schema = json!({"type": "object", "properties": properties});
        // A required form field (a file upload, say) cannot be sent without
        // a body: the body is required, as in the OpenAPI 3 form of the API.
        let body_required = !required.is_empty();
        if body_required {
            schema["required"] = Value::Array(required);
        }
        let mut body = json!({ "content": { media: { "schema": schema } } });
        if body_required {
            body["required"] = json!(true);
        }
        return body;
    }
    let Some(p) = params.first() else {
        return json!({});
    };
    let mut schema = p.get("schema").cloned().unwrap_or_else(|| json!({}));
    make_nullable(&mut schema);
    let types: Vec<String> = if consumes.is_empty() {
        vec!["application/json".into()]
    } else {
        consumes.to_vec()
    };
    let content: Map<String, Value> = types
        .iter()
        .map(|t| (t.clone(), json!({ "schema": schema })))
        .collect();
    let mut body = json!({ "content": content });
    if let Some(r) = p.get("required") {
        body["required"] = r.clone();
    }
    if let Some(d) = p.get("description") {
        body["description"] = d.clone();
    }
    body
}

fn response(r: Value, produces: &[String]) -> Value {
    let map = match r {
        Value::Object(map) if !map.contains_key("$ref") => map,
        other => return other,
    };
    let mut out = Map::new();
    for (k, mut v) in map {
        match k.as_str() {
            "schema" => {
                let types: Vec<String> = if produces.is_empty() {
                    vec!["application/json".into()]
                } else {
                    produces.to_vec()
                };
                make_nullable(&mut v);
                let content: Map<String, Value> = types
                    .iter()
                    .map(|t| (t.clone(), json!({ "schema": v.clone() })))
                    .collect();
                out.insert("content".into(), Value::Object(content));
            }
            "headers" => {
                let headers: Map<String, Value> = match v {
                    Value::Object(headers) => headers
                        .into_iter()
                        .map(|(name, h)| (name, parameter(h)))
                        .collect(),
                    _ => Map::new(),
                };
                out.insert("headers".into(), Value::Object(headers));
            }
            "examples" => {}
            _ => {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

fn operation(op: Value, consumes: &[String], produces: &[String]) -> Value {
    let Value::Object(map) = op else {
        return op;
    };
    let consumes = match map.get("consumes") {
        Some(c) => media_types(Some(c)),
        None => consumes.to_vec(),
    };
    let produces = match map.get("produces") {
        Some(p) => media_types(Some(p)),
        None => produces.to_vec(),
    };
    let mut out = Map::new();
    for (k, v) in map {
        match k.as_str() {
            "consumes" | "produces" | "schemes" => {}
            "parameters" => {
                let (plain, body) = split_parameters(v);
                if !plain.is_empty() {
                    out.insert("parameters".into(), Value::Array(plain));
                }
                let refs: Vec<&Value> = body.iter().collect();
                if let Some(reference) = body
                    .iter()
                    .find_map(|b| b.get("$ref").and_then(Value::as_str))
                {
                    out.insert("requestBody".into(), json!({ "$ref": reference }));
                } else if !body.is_empty() {
                    out.insert("requestBody".into(), body_from(&refs, &consumes));
                }
            }
            "responses" => {
                let responses: Map<String, Value> = match v {
                    Value::Object(responses) => responses
                        .into_iter()
                        .map(|(code, r)| (code, response(r, &produces)))
                        .collect(),
                    _ => Map::new(),
                };
                out.insert("responses".into(), Value::Object(responses));
            }
            _ => {
                out.insert(k, v);
            }
        }
    }
    Value::Object(out)
}

fn security_scheme(s: &Value) -> Value {
    match s.get("type").and_then(Value::as_str) {
        Some("basic") => json!({"type": "http", "scheme": "basic"}),
        Some("oauth2") => {
            let flow = s.get("flow").and_then(Value::as_str).unwrap_or("implicit");
            let name = match flow {
                "accessCode" => "authorizationCode",
                "application" => "clientCredentials",
                other => other,
            };
            let mut f = Map::new();
            for key in ["authorizationUrl", "tokenUrl", "scopes"] {
                if let Some(v) = s.get(key) {
                    f.insert(key.to_string(), v.clone());
                }
            }
            json!({"type": "oauth2", "flows": { name: f }})
        }
        _ => s.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swagger_document_takes_the_openapi_3_shape() {
        let doc = json!({
            "swagger": "2.0",
            "host": "api.example.com", "basePath": "/v1", "schemes": ["https"],
            "consumes": ["application/json"], "produces": ["application/json"],
            "paths": {"/pets": {"post": {
                "parameters": [
                    {"in": "body", "name": "pet", "required": true,
                     "schema": {"$ref": "#/definitions/Pet"}},
                    {"in": "query", "name": "dry", "type": "boolean", "x-nullable": true}
                ],
                "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}}
            }}},
            "definitions": {"Pet": {"type": "object"}}
        });
        let v = swagger2_to_openapi3(&doc);
        assert_eq!(v["servers"][0]["url"], "https://api.example.com/v1");
        let op = &v["paths"]["/pets"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        assert_eq!(op["requestBody"]["required"], true);
        assert_eq!(op["parameters"][0]["schema"]["type"], "boolean");
        assert_eq!(op["parameters"][0]["schema"]["nullable"], true);
        assert_eq!(
            op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        assert!(v["components"]["schemas"]["Pet"].is_object());
    }

    #[test]
    fn x_nullable_becomes_nullable_in_bodies_responses_and_definitions() {
        let nullable_name = json!({"type": "object", "properties": {
            "name": {"type": "string", "x-nullable": true}}});
        let doc = json!({
            "swagger": "2.0",
            "paths": {"/pets": {"post": {
                "parameters": [{"in": "body", "name": "pet", "schema": nullable_name}],
                "responses": {"200": {"description": "ok", "schema": nullable_name}}
            }}},
            "definitions": {"Pet": nullable_name}
        });
        let original = doc.clone();
        let v = upgrade(doc);
        let op = &v["paths"]["/pets"]["post"];
        for schema in [
            &op["requestBody"]["content"]["application/json"]["schema"],
            &op["responses"]["200"]["content"]["application/json"]["schema"],
            &v["components"]["schemas"]["Pet"],
        ] {
            assert_eq!(schema["properties"]["name"]["nullable"], true, "{v}");
            assert!(
                schema["properties"]["name"].get("x-nullable").is_none(),
                "{v}"
            );
        }
        // The copying form gives the same document.
        assert_eq!(swagger2_to_openapi3(&original), v);
    }
}
