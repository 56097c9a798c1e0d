//! Live response drift end to end through the binary: a description on a
//! local server, its endpoints answering unlike it, `health` probing them
//! (the only requests), and `conform` reporting what drifted.

use serde_json::Value;

use crate::common::{Reply, Sandbox, Server};

const JSON: &str = "application/json";

/// The shop of the issue: `GET /v1/items` declares integer ids, a
/// required name, a price of at least 0 and two colours; `GET /v1/broken`
/// declares only 200; `GET /v1/page` declares JSON.
fn shop_spec(base: &str) -> String {
    format!(
        r##"{{"openapi": "3.0.3", "info": {{"title": "shop", "version": "1"}},
  "servers": [{{"url": "{base}"}}],
  "paths": {{
    "/v1/items": {{"get": {{"responses": {{"200": {{"description": "ok",
      "content": {{"application/json": {{"schema": {{"type": "array",
        "items": {{"$ref": "#/components/schemas/Item"}}}}}}}}}}}}}}}},
    "/v1/broken": {{"get": {{"responses": {{"200": {{"description": "ok",
      "content": {{"application/json": {{"schema": {{"type": "object"}}}}}}}}}}}}}},
    "/v1/page": {{"get": {{"responses": {{"200": {{"description": "ok",
      "content": {{"application/json": {{"schema": {{"type": "object"}}}}}}}}}}}}}}
  }},
  "components": {{"schemas": {{"Item": {{"type": "object", "required": ["id", "name"],
    "properties": {{
      "id": {{"type": "integer"}},
      "name": {{"type": "string"}},
      "price": {{"type": "number", "minimum": 0}},
      "color": {{"type": "string", "enum": ["red", "blue"]}},
      "sku": {{"type": "string", "pattern": "^[A-Z]+-[0-9]+$"}},
      "added": {{"type": "string", "format": "date"}},
      "tag": {{"type": "string", "nullable": true}}
    }}}}}}}}
}}"##
    )
}

const DRIFTING: &str = r##"[{"id": "12", "price": -3, "color": "green", "sku": "x",
  "added": "soon", "tag": null, "secret_token": "sk-live-abcdefghijklmnop1234"}]"##;
const FIXED: &str = r##"[{"id": 12, "name": "mug", "price": 3, "color": "red", "sku": "MUG-1",
  "added": "2026-01-02", "tag": null}]"##;

fn shop(sb: &Sandbox, server: &Server) {
    server.set(
        "/openapi.json",
        Reply::ok(shop_spec(&server.url(""))).header("content-type", JSON),
    );
    server.set(
        "/v1/items",
        Reply::ok(DRIFTING).header("content-type", JSON),
    );
    server.set(
        "/v1/broken",
        Reply::status(500, r##"{"error": "boom"}"##).header("content-type", JSON),
    );
    server.set(
        "/v1/page",
        Reply::ok("<html><body>maintenance</body></html>")
            .header("content-type", "text/html; charset=utf-8"),
    );
    sb.ok(["add", "shop", &server.url("/openapi.json"), "--health"]);
    sb.ok(["refresh", "shop"]);
}

fn ids(doc: &Value, operation: &str) -> Vec<String> {
    doc["endpoints"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["operation"] == operation)
        .flat_map(|e| e["drift"].as_array().cloned().unwrap_or_default())
        .map(|d| d["id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn drift_of<'a>(doc: &'a Value, operation: &str, id: &str) -> &'a Value {
    doc["endpoints"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["operation"] == operation))
        .and_then(|e| e["drift"].as_array())
        .and_then(|l| l.iter().find(|d| d["id"] == id))
        .unwrap_or_else(|| panic!("no {id} on {operation}: {doc:#}"))
}

#[test]
fn health_finds_every_drift_and_conform_reports_it_folded_until_it_clears() {
    let sb = Sandbox::new();
    let server = Server::start();
    shop(&sb, &server);

    // Before: the endpoint is up and nothing else is said; now `health`
    // counts the drift per endpoint.
    let doc = sb.run(["health", "shop", "--json"]).expect_code(1).json();
    let items = doc["endpoints"]
        .as_array()
        .and_then(|l| {
            l.iter()
                .find(|e| e["url"].as_str().unwrap_or("").ends_with("/v1/items"))
        })
        .cloned()
        .expect("items endpoint");
    assert_eq!(items["state"], "up");
    assert_eq!(items["drift"]["error"], 2, "{items:#}");
    assert_eq!(items["drift"]["warning"], 4, "{items:#}");
    assert_eq!(items["drift"]["info"], 1, "{items:#}");

    let out = sb.run(["conform", "shop", "--json"]).expect_code(1).json();
    let mut found = ids(&out, "GET /v1/items");
    found.sort();
    assert_eq!(
        found,
        [
            "response-enum-value-undeclared",
            "response-missing-required-property",
            "response-property-type-mismatch",
            "response-property-undeclared",
            "response-value-format-mismatch",
            "response-value-out-of-range",
            "response-value-pattern-mismatch",
        ],
        "{out:#}"
    );
    assert_eq!(
        ids(&out, "GET /v1/broken"),
        ["response-status-undeclared"],
        "{out:#}"
    );
    let t = drift_of(&out, "GET /v1/items", "response-property-type-mismatch");
    assert_eq!(t["level"], "error");
    assert_eq!(t["pointer"], "/0/id");
    assert_eq!(
        t["schema_pointer"],
        "#/components/schemas/Item/properties/id/type"
    );
    assert_eq!(t["sample"], "\"12\"");
    assert_eq!(t["count"], 1);
    // The credential in an undeclared property is not kept.
    let u = drift_of(&out, "GET /v1/items", "response-property-undeclared");
    assert_eq!(u["sample"], "\"***\"");
    assert!(
        !std::fs::read(sb.db())
            .map(|b| crate::common::contains(&b, b"abcdefghijklmnop1234"))
            .unwrap_or(true),
        "the response body reached the database"
    );
    // The HTML page: one line, no finding.
    let page = out["endpoints"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["operation"] == "GET /v1/page"))
        .expect("page");
    assert_eq!(page["drift"], Value::Array(vec![]));
    assert_eq!(
        page["note"],
        "not validated: the response is `text/html`, not JSON"
    );

    // Identical drift on the next probe is the same finding, counted.
    sb.run(["health", "shop"]).expect_code(1);
    let out = sb.run(["conform", "shop", "--json"]).expect_code(1).json();
    let t = drift_of(&out, "GET /v1/items", "response-property-type-mismatch");
    assert_eq!(t["count"], 2);
    assert!(t["last_seen"].as_i64() >= t["first_seen"].as_i64());

    // The text: one line per drift, the endpoint filter, exit 1.
    let text = sb
        .run(["conform", "shop", "--endpoint", "get /v1/items"])
        .expect_code(1)
        .text();
    assert!(
        text.starts_with("shop  GET /v1/items  2 errors, 4 warnings, 1 info"),
        "{text}"
    );
    assert!(
        text.contains("error   response-property-type-mismatch  /*/id  `/0/id` is string, the description says integer  seen \"12\"  ×2"),
        "{text}"
    );
    assert!(!text.contains("/v1/broken"), "{text}");
    sb.run(["conform", "shop", "--endpoint", "GET /v1/nothing"])
        .expect_code(2);

    // The API is fixed: the drift clears, `conform` exits 0 and says so.
    server.set("/v1/items", Reply::ok(FIXED).header("content-type", JSON));
    sb.run(["health", "shop"]).expect_code(1);
    let text = sb
        .run(["conform", "shop", "--endpoint", "GET /v1/items"])
        .expect_code(0)
        .text();
    assert!(text.starts_with("shop  GET /v1/items  no drift"), "{text}");
    assert!(
        text.contains("cleared response-property-type-mismatch /*/id"),
        "{text}"
    );
}

#[test]
fn an_invalid_json_body_is_one_line_and_no_finding() {
    let sb = Sandbox::new();
    let server = Server::start();
    shop(&sb, &server);
    server.set(
        "/v1/items",
        Reply::ok(r##"[{"id": 1,"##).header("content-type", JSON),
    );
    let text = sb.run(["health", "shop"]).expect_code(1).text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("/v1/items") && l.contains("not validated"))
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(
        lines[0].contains("not validated: the body is not valid JSON (EOF while parsing"),
        "{text}"
    );
    let out = sb.run(["conform", "shop", "--json"]).expect_code(0).json();
    assert!(ids(&out, "GET /v1/items").is_empty(), "{out:#}");
}

#[test]
fn no_probe_no_check_while_health_is_off() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set(
        "/openapi.json",
        Reply::ok(shop_spec(&server.url(""))).header("content-type", JSON),
    );
    server.set(
        "/v1/items",
        Reply::ok(DRIFTING).header("content-type", JSON),
    );
    sb.ok(["add", "shop", &server.url("/openapi.json")]);
    sb.ok(["refresh", "shop"]);
    sb.run(["health", "shop"]).expect_code(0);
    let text = sb.run(["conform", "shop"]).expect_code(0).text();
    assert!(text.contains("health is off for this watch"), "{text}");
    assert_eq!(server.hits("/v1/items"), 0);
}

/// One described operation on a local server for each description
/// version; returns the ids `conform` reports for it.
fn drift_ids(spec: &str, body: &str) -> Vec<String> {
    let sb = Sandbox::new();
    let server = Server::start();
    let spec = spec.replace("BASE", &server.url(""));
    server.set("/spec.json", Reply::ok(spec).header("content-type", JSON));
    server.set(
        "/v1/items",
        Reply::ok(body.to_string()).header("content-type", JSON),
    );
    sb.ok(["add", "api", &server.url("/spec.json"), "--health"]);
    sb.ok(["refresh", "api"]);
    sb.run(["health", "api"]).expect_code(0);
    let out = sb.run(["conform", "api", "--json"]).json();
    let mut found = ids(&out, "GET /v1/items");
    found.sort();
    found
}

#[test]
fn openapi_3_1_type_arrays_are_validated_live() {
    let spec = r##"{"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
      "servers": [{"url": "BASE"}],
      "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": {"type": "object", "required": ["id"],
          "properties": {"id": {"type": ["integer", "null"]}}}}}}}}}}}"##;
    assert!(drift_ids(spec, r##"{"id": null}"##).is_empty());
    assert_eq!(
        drift_ids(spec, r##"{"id": "x"}"##),
        ["response-property-type-mismatch"]
    );
}

#[test]
fn openapi_3_0_nullable_is_validated_live() {
    let spec = r##"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
      "servers": [{"url": "BASE"}],
      "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": {"type": "object",
          "properties": {"a": {"type": "integer", "nullable": true}, "b": {"type": "integer"}}}}}}}}}}}"##;
    assert!(drift_ids(spec, r##"{"a": null, "b": 1}"##).is_empty());
    assert_eq!(
        drift_ids(spec, r##"{"a": 1, "b": null}"##),
        ["response-property-type-mismatch"]
    );
}

#[test]
fn swagger_2_0_is_validated_live() {
    let spec = r##"{"swagger": "2.0", "info": {"title": "t", "version": "1"},
      "host": "HOST", "schemes": ["http"], "produces": ["application/json"],
      "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
        "schema": {"$ref": "#/definitions/Item"}}}}}},
      "definitions": {"Item": {"type": "object", "required": ["id"],
        "properties": {"id": {"type": "integer"}, "kind": {"type": "string", "enum": ["a"]}}}}}"##;
    let sb = Sandbox::new();
    let server = Server::start();
    let host = server
        .url("")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    server.set(
        "/spec.json",
        Reply::ok(spec.replace("HOST", &host)).header("content-type", JSON),
    );
    server.set(
        "/v1/items",
        Reply::ok(r##"{"kind": "b"}"##).header("content-type", JSON),
    );
    sb.ok(["add", "api", &server.url("/spec.json"), "--health"]);
    sb.ok(["refresh", "api"]);
    sb.run(["health", "api"]).expect_code(0);
    let out = sb.run(["conform", "api", "--json"]).expect_code(1).json();
    let mut found = ids(&out, "GET /v1/items");
    found.sort();
    assert_eq!(
        found,
        [
            "response-enum-value-undeclared",
            "response-missing-required-property"
        ],
        "{out:#}"
    );
    let m = drift_of(&out, "GET /v1/items", "response-missing-required-property");
    assert_eq!(m["schema_pointer"], "#/components/schemas/Item/required");
}

#[test]
fn ref_cycles_in_a_live_description_end() {
    let spec = r##"{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
      "servers": [{"url": "BASE"}],
      "paths": {"/v1/items": {"get": {"responses": {"200": {"description": "ok",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}}}}}},
      "components": {"schemas": {
        "Node": {"type": "object", "properties": {"name": {"type": "string"},
          "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
          "odd": {"$ref": "#/components/schemas/A"}}},
        "A": {"$ref": "#/components/schemas/B"},
        "B": {"$ref": "#/components/schemas/A"}}}}"##;
    assert_eq!(
        drift_ids(
            spec,
            r##"{"name": "r", "children": [{"children": [{"name": 5}]}], "odd": {"x": 1}}"##
        )
        .first()
        .map(String::as_str),
        Some("response-property-type-mismatch")
    );
}

#[test]
fn a_drift_alert_goes_out_when_error_level_drift_appears_and_when_it_clears() {
    let sb = Sandbox::new();
    let server = Server::start();
    shop(&sb, &server);
    server.set("/hook", Reply::ok("thanks"));
    sb.ok([
        "alert",
        "add",
        "hook",
        "--webhook",
        &server.url("/hook"),
        "--on",
        "drift",
    ]);
    sb.run(["health", "shop"]).expect_code(1);
    // The same drift again: no new alert.
    sb.run(["health", "shop"]).expect_code(1);
    server.set("/v1/items", Reply::ok(FIXED).header("content-type", JSON));
    sb.run(["health", "shop"]).expect_code(1);
    let bodies: Vec<Value> = server
        .requests("/hook")
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap_or(Value::Null))
        .collect();
    let states: Vec<&str> = bodies
        .iter()
        .map(|b| b["state"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(states, ["new", "cleared"], "{bodies:#?}");
    assert_eq!(bodies[0]["event"], "drift");
    assert_eq!(bodies[0]["operation"], "GET /v1/items");
    assert_eq!(
        bodies[0]["title"],
        "shop: GET /v1/items answers unlike its description"
    );
}

#[test]
fn the_demo_shows_a_drift_early_in_apiradar_conform() {
    let sb = Sandbox::new();
    // Phases of one second: the pets list drifts from 1 s to 3 s.
    sb.run_with(
        [
            "demo",
            "--headless",
            "--step",
            "1s",
            "--every",
            "1s",
            "--for",
            "4s",
        ],
        |c| {
            c.env_remove("APIRADAR_LLAMA_FIXTURE");
        },
    )
    .expect_code(0);
    let out = sb.run(["conform", "petstore", "--json"]).json();
    let pets = out["endpoints"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["operation"] == "GET /pets"))
        .unwrap_or_else(|| panic!("GET /pets not checked: {out:#}"));
    let seen: Vec<&str> = ["drift", "cleared"]
        .iter()
        .flat_map(|k| pets[*k].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d["id"].as_str().map(str::to_string))
        .map(|s| {
            if s == "response-property-type-mismatch" {
                "type"
            } else if s == "response-missing-required-property" {
                "required"
            } else {
                "other"
            }
        })
        .collect();
    assert!(
        seen.contains(&"type") && seen.contains(&"required"),
        "{out:#}"
    );
}

/// A catalog (`json` watch) that names the operation whose response it is
/// is validated on every poll, with the same findings as a probe; a bad
/// `--schema` adds nothing.
#[test]
fn a_catalog_audited_against_a_described_operation_drifts_and_clears() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set(
        "/openapi.json",
        Reply::ok(shop_spec(&server.url(""))).header("content-type", JSON),
    );
    server.set(
        "/v1/items",
        Reply::ok(DRIFTING).header("content-type", JSON),
    );
    sb.ok(["add", "shop", &server.url("/openapi.json")]);
    sb.ok(["refresh", "shop"]);
    let items = server.url("/v1/items");
    // Checked before anything is added.
    let bad = sb
        .run([
            "add",
            "bad",
            &items,
            "--kind",
            "json",
            "--schema",
            "shop@latest",
            "GET /v1/nope",
        ])
        .expect_code(2);
    assert!(
        bad.stderr.contains("describes no operation `GET /v1/nope`"),
        "{}",
        bad.stderr
    );
    let not_json = sb
        .run(["add", "bad", &items, "--schema", "shop", "GET /v1/items"])
        .expect_code(2);
    assert!(
        not_json.stderr.contains("json watches"),
        "{}",
        not_json.stderr
    );
    assert!(!sb.ok(["list"]).contains("bad"));

    let added = sb.ok([
        "add",
        "items",
        &items,
        "--kind",
        "json",
        "--schema",
        "shop@latest",
        "GET /v1/items",
    ]);
    assert!(
        added.contains("validated against the response of GET /v1/items"),
        "{added}"
    );
    sb.ok(["refresh", "items"]);
    let out = sb.run(["conform", "items", "--json"]).expect_code(1).json();
    let found = ids(&out, "GET /v1/items");
    for id in [
        "response-property-type-mismatch",
        "response-missing-required-property",
        "response-value-out-of-range",
        "response-enum-value-undeclared",
    ] {
        assert!(found.iter().any(|f| f == id), "{id} missing: {found:?}");
    }
    // The secret-looking value is not kept whole in a sample.
    assert!(
        !out.to_string().contains("sk-live-abcdefghijklmnop1234"),
        "{out:#}"
    );
    server.set("/v1/items", Reply::ok(FIXED).header("content-type", JSON));
    sb.ok(["refresh", "items"]);
    let out = sb.run(["conform", "items", "--json"]).expect_code(0).json();
    assert!(ids(&out, "GET /v1/items").is_empty(), "{out:#}");
    // And it can be turned off.
    sb.ok(["edit", "items", "--no-schema"]);
    let out = sb.run(["conform", "items", "--json"]).expect_code(0).json();
    assert!(out["audit"].is_null(), "{out:#}");
}
