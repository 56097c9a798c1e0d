//! Minimal cases of the diff engine where it used to be silently wrong
//! (issue 14): each pair is written out here, with the exact findings it
//! must give (level, id, operation), and nothing else.

use apiradar::diff::{DiffOptions, Finding, Level, diff_openapi};
use apiradar::spec::{Limits, parse_document};
use serde_json::{Value, json};

fn yaml(text: &str) -> Value {
    let (value, _) =
        parse_document(text.as_bytes(), &Limits::default()).expect("a test document parses");
    value
}

fn diff(base: &Value, revision: &Value) -> Vec<Finding> {
    diff_openapi(base, revision, &DiffOptions::default())
}

/// `(level, id, "METHOD /path")` of each finding, sorted.
fn ids(findings: &[Finding]) -> Vec<(Level, String, String)> {
    let mut out: Vec<(Level, String, String)> = findings
        .iter()
        .map(|f| {
            let op = format!(
                "{} {}",
                f.operation.as_deref().unwrap_or(""),
                f.path.as_deref().unwrap_or("")
            );
            (f.level, f.id.to_string(), op.trim().to_string())
        })
        .collect();
    out.sort();
    out
}

fn expect(findings: &[Finding], want: &[(Level, &str, &str)]) {
    let want: Vec<(Level, String, String)> = want
        .iter()
        .map(|(l, id, op)| (*l, id.to_string(), op.to_string()))
        .collect();
    let mut want = want;
    want.sort();
    assert_eq!(ids(findings), want, "findings: {findings:#?}");
}

/// A `POST /a` that takes and returns `Thing`, with `schemas` as its
/// components.
fn api(schemas: &str) -> Value {
    let text = format!(
        r##"
openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/Thing"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {{$ref: "#/components/schemas/Thing"}}
components:
  schemas:
{schemas}
"##
    );
    yaml(&text)
}

const ERR: &str = r#"
    Err:
      oneOf:
        - {type: object, title: E1, properties: {code: {type: integer}}}
        - {type: object, title: E2, properties: {message: {type: string}}}
"#;

/// Issue 14 item 3: `anyOf: [string, $ref Err, null]` → `anyOf: [$ref Err,
/// null]`. The `string` branch was removed; nothing else changed (it was
/// nullable before, and Err's members were inside Err before).
#[test]
fn a_branch_removed_from_a_nullable_any_of_is_one_finding_per_side() {
    let thing = |branches: &str| {
        format!(
            r#"
    Thing:
      type: object
      properties:
        value:
          anyOf: [{branches}]
{ERR}"#
        )
    };
    let base = api(&thing(
        r##"{type: string}, {$ref: "#/components/schemas/Err"}, {type: "null"}"##,
    ));
    let rev = api(&thing(
        r##"{$ref: "#/components/schemas/Err"}, {type: "null"}"##,
    ));
    expect(
        &diff(&base, &rev),
        &[
            (Level::Error, "request-property-any-of-removed", "POST /a"),
            (Level::Info, "response-property-any-of-removed", "POST /a"),
        ],
    );
    // The null branch itself is the nullability, reported once per side.
    let rev = api(&thing(
        r##"{type: string}, {$ref: "#/components/schemas/Err"}"##,
    ));
    expect(
        &diff(&base, &rev),
        &[
            (
                Level::Info,
                "response-property-became-not-nullable",
                "POST /a",
            ),
            (
                Level::Error,
                "request-property-became-not-nullable",
                "POST /a",
            ),
        ],
    );
}

/// Issue 14 item 7: `$ref: Item` → `allOf: [$ref: Item]` with
/// `required: [price]` beside it. The one real change is that `price`
/// became required.
#[test]
fn wrapping_a_body_in_all_of_reports_only_what_the_wrapper_adds() {
    let item = r#"
    Item:
      type: object
      properties:
        name: {type: string}
        price: {type: number}
        color: {type: string}
"#;
    let doc = |schema: &str| {
        yaml(&format!(
            r##"
openapi: 3.0.3
info: {{title: t, version: "1"}}
paths:
  /items:
    post:
      requestBody:
        content:
          application/json:
            schema:
{schema}
      responses:
        "201": {{description: created}}
components:
  schemas:
{item}
"##
        ))
    };
    let base = doc(r##"              $ref: "#/components/schemas/Item""##);
    let rev = doc(r##"              allOf:
                - $ref: "#/components/schemas/Item"
              required: [price]"##);
    expect(
        &diff(&base, &rev),
        &[(
            Level::Error,
            "request-property-became-required",
            "POST /items",
        )],
    );
    // Unwrapping it again is the reverse, and nothing more.
    expect(
        &diff(&rev, &base),
        &[(
            Level::Info,
            "request-property-became-optional",
            "POST /items",
        )],
    );
}

/// `count` operations `GET /opN`, operation N returning `S{N % chain}`, in
/// a chain `S0 → S1 → … → S{chain-1}` where each links to the next through
/// a property; the last has `value` of type `last_type`. Plus one `GET
/// /alias` returning `A0`, where `A0 … A{chain-1}` are plain `$ref`s to one
/// another and the last to `S{chain-1}`.
fn chain(chain: usize, count: usize, last_type: &str) -> Value {
    let mut schemas = serde_json::Map::new();
    for i in 0..chain {
        let s = if i + 1 == chain {
            json!({"type": "object", "properties": {"value": {"type": last_type}}})
        } else {
            json!({"type": "object", "properties": {
                "next": {"$ref": format!("#/components/schemas/S{}", i + 1)}
            }})
        };
        schemas.insert(format!("S{i}"), s);
        let a = if i + 1 == chain {
            format!("#/components/schemas/S{i}")
        } else {
            format!("#/components/schemas/A{}", i + 1)
        };
        schemas.insert(format!("A{i}"), json!({"$ref": a}));
    }
    let returning = |target: String| {
        json!({"get": {"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": target}}}
        }}}})
    };
    let mut paths = serde_json::Map::new();
    for n in 0..count {
        paths.insert(
            format!("/op{n}"),
            returning(format!("#/components/schemas/S{}", n % chain)),
        );
    }
    paths.insert("/alias".into(), returning("#/components/schemas/A0".into()));
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": paths,
        "components": {"schemas": schemas}
    })
}

/// Issue 14 item 6: a change at the end of a chain of 200 references is
/// reported for every operation that reaches it, however far up the chain
/// it starts (the comparison used to stop after 64 levels, silently).
#[test]
fn a_change_at_the_end_of_a_chain_of_200_references_reaches_every_operation() {
    let (links, ops) = (200, 600);
    let base = chain(links, ops, "string");
    let rev = chain(links, ops, "integer");
    let findings = diff(&base, &rev);
    let typed: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.id == "response-property-type-changed")
        .collect();
    assert_eq!(typed.len(), ops + 1, "one per operation, /alias included");
    assert!(typed.iter().all(|f| f.level == Level::Error));
    assert!(typed.iter().any(|f| f.path.as_deref() == Some("/alias")));
    assert_eq!(findings.len(), ops + 1, "{:#?}", &findings[..3]);
}

/// Past the nesting the comparison follows, a finding says where it
/// stopped: a change below is never silently missed.
#[test]
fn a_chain_deeper_than_the_comparison_follows_says_where_it_stopped() {
    let links = apiradar::diff::SCHEMA_MAX_DEPTH + 50;
    // Run on a thread with the stack the worker's threads have (2 MiB).
    let findings = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || diff(&chain(links, 1, "string"), &chain(links, 1, "integer")))
        .expect("a thread")
        .join()
        .expect("no stack overflow");
    let got: Vec<(Level, &str, Option<&str>)> = findings
        .iter()
        .map(|f| (f.level, f.id, f.path.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            // The aliases lead straight to the last schema.
            (
                Level::Error,
                "response-property-type-changed",
                Some("/alias")
            ),
            (Level::Warning, "schema-comparison-stopped", Some("/op0")),
        ]
    );
    assert!(
        findings[1].message.contains("not compared below"),
        "{}",
        findings[1].message
    );
}

/// Issue 14 item 8: a Swagger 2.0 operation with a required `formData`
/// file has a required request body, as the same API published as OpenAPI
/// 3 says.
#[test]
fn a_required_form_data_file_makes_the_swagger_body_required() {
    let swagger = yaml(
        r#"
swagger: "2.0"
info: {title: t, version: "1"}
paths:
  /upload:
    post:
      consumes: [multipart/form-data]
      parameters:
        - {name: file, in: formData, type: file, required: true}
      responses:
        "200": {description: ok}
"#,
    );
    let openapi = yaml(
        r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /upload:
    post:
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              properties:
                file: {type: string, format: binary}
              required: [file]
      responses:
        "200": {description: ok}
"#,
    );
    expect(&diff(&swagger, &openapi), &[]);
    expect(&diff(&openapi, &swagger), &[]);
}

/// `POST /q` with one query parameter `token` of `schema` (YAML flow), in
/// an OpenAPI 3.1 document with the components `schemas`.
fn query(schema: &str) -> Value {
    yaml(&format!(
        r##"
openapi: 3.1.0
info: {{title: t, version: "1"}}
paths:
  /q:
    post:
      parameters:
        - {{in: query, name: token, schema: {schema}}}
      responses:
        "200": {{description: ok}}
"##
    ))
}

/// Issue 14 item 4: a query parameter of one type that becomes an array of
/// that type (form-exploded, a single value is still valid) is generalized,
/// not changed; with a new constraint on the items it is changed.
#[test]
fn a_query_scalar_that_becomes_an_array_of_itself_is_generalized() {
    let base = query("{type: string}");
    expect(
        &diff(&base, &query("{type: array, items: {type: string}}")),
        &[(Level::Info, "request-parameter-type-generalized", "POST /q")],
    );
    expect(
        &diff(
            &base,
            &query("{type: array, items: {type: string, pattern: '^[a-z]+$'}}"),
        ),
        &[(Level::Error, "request-parameter-type-changed", "POST /q")],
    );
    // A property of a parameter sent as text that must now be a number
    // accepts fewer values.
    let filter = |t: &str| {
        query(&format!(
            "{{type: object, properties: {{id: {{type: {t}}}}}}}"
        ))
    };
    expect(
        &diff(&filter("string"), &filter("number")),
        &[(
            Level::Error,
            "request-parameter-property-type-specialized",
            "POST /q",
        )],
    );
}

/// Issue 14 item 4: an `allOf` added with only annotations constrains
/// nothing: oasdiff's annotation-only id, at info, per side.
#[test]
fn an_annotation_only_all_of_is_information() {
    let thing = |extra: &str| {
        format!(
            r#"
    Thing:
      type: object
      properties:
        name:
          type: string
{extra}"#
        )
    };
    let base = api(&thing(""));
    let rev = api(&thing(
        "          allOf:\n            - {title: Name, description: no validation effect}\n",
    ));
    expect(
        &diff(&base, &rev),
        &[
            (
                Level::Info,
                "request-property-all-of-added-annotation-only",
                "POST /a",
            ),
            (
                Level::Info,
                "response-property-all-of-added-annotation-only",
                "POST /a",
            ),
        ],
    );
    // One that constrains is still an error in a request.
    let rev = api(&thing("          allOf:\n            - {minLength: 3}\n"));
    expect(
        &diff(&base, &rev),
        &[
            (Level::Error, "request-property-all-of-added", "POST /a"),
            (Level::Info, "response-property-all-of-added", "POST /a"),
        ],
    );
}

/// An object body whose properties move into the alternatives of a new
/// `oneOf` is one finding, not every property removed and a oneOf added.
#[test]
fn a_body_wrapped_in_one_of_is_one_finding_per_side() {
    let base = api(r#"
    Thing:
      type: object
      properties:
        foo: {type: string}
        bar: {type: string}
"#);
    let rev = api(r#"
    Thing:
      oneOf:
        - {type: object, required: [foo], properties: {foo: {type: string}, bar: {type: string}}}
        - {type: object, required: [bar], properties: {foo: {type: string}, bar: {type: string}}}
"#);
    expect(
        &diff(&base, &rev),
        &[
            (Level::Error, "request-body-wrapped-in-one-of", "POST /a"),
            (Level::Error, "response-body-wrapped-in-one-of", "POST /a"),
        ],
    );
}
