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

/// `GET /old`, deprecated, with `x-sunset: sunset` (YAML flow).
fn deprecated_with_sunset(sunset: &str) -> Value {
    yaml(&format!(
        r#"
openapi: 3.0.3
info: {{title: t, version: "1"}}
paths:
  /old:
    get:
      deprecated: true
      x-sunset: {sunset}
      responses:
        "200": {{description: ok}}
"#
    ))
}

/// Issue 14 item 5: a deprecated operation's sunset date that becomes, or
/// stops being, unreadable is `api-path-sunset-parse`, either way.
#[test]
fn a_sunset_date_changed_to_or_from_an_unreadable_one_is_a_parse_error() {
    let (good, bad) = (
        deprecated_with_sunset("\"2030-01-01\""),
        deprecated_with_sunset("next-spring"),
    );
    let want = [(Level::Error, "api-path-sunset-parse", "GET /old")];
    expect(&diff(&good, &bad), &want);
    expect(&diff(&bad, &good), &want);
    // Unchanged, even unreadable, is not news; a readable move is not either.
    expect(&diff(&bad, &bad), &[]);
    expect(&diff(&good, &deprecated_with_sunset("\"2031-01-01\"")), &[]);
}

/// `GET /r` whose 200 response has one media type, `media`, of an object
/// with a string `id`.
fn returning_media(media: &str) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/r": {"get": {"responses": {"200": {
            "description": "ok",
            "content": {media: {"schema": {
                "type": "object",
                "properties": {"id": {"type": "string"}}
            }}}
        }}}}}
    })
}

/// Issue 14 item 4: a response media type whose name only gained
/// parameters or was made more specific is renamed, not removed and added:
/// oasdiff's `response-media-type-name-*` ids, and its schema is still
/// compared under the new name.
#[test]
fn a_response_media_type_renamed_within_its_family_is_one_finding() {
    let json_ = returning_media("application/json");
    let problem = returning_media("application/problem+json");
    expect(
        &diff(&json_, &problem),
        &[(
            Level::Info,
            "response-media-type-name-specialized",
            "GET /r",
        )],
    );
    expect(
        &diff(&problem, &json_),
        &[(
            Level::Error,
            "response-media-type-name-generalized",
            "GET /r",
        )],
    );
    expect(
        &diff(&json_, &returning_media("application/problem+json;q=1")),
        &[(Level::Info, "response-media-type-name-changed", "GET /r")],
    );
    expect(
        &diff(&json_, &returning_media("application/json; charset=utf-8")),
        &[(Level::Info, "response-media-type-name-changed", "GET /r")],
    );
    // The schema is compared across the rename.
    let mut typed = problem.clone();
    typed["paths"]["/r"]["get"]["responses"]["200"]["content"]["application/problem+json"]["schema"]
        ["properties"]["id"]["type"] = json!("integer");
    expect(
        &diff(&json_, &typed),
        &[
            (
                Level::Info,
                "response-media-type-name-specialized",
                "GET /r",
            ),
            (Level::Error, "response-property-type-changed", "GET /r"),
        ],
    );
    // Unrelated media types are still one removed and one added.
    expect(
        &diff(&json_, &returning_media("application/xml")),
        &[
            (Level::Error, "response-media-type-removed", "GET /r"),
            (Level::Info, "response-media-type-added", "GET /r"),
        ],
    );
}

/// `GET /h` with one header parameter `X-Mode` of `schema` (JSON).
fn with_header(schema: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/h": {"get": {
            "parameters": [{"in": "header", "name": "X-Mode", "schema": schema}],
            "responses": {"200": {"description": "ok"}}
        }}}
    })
}

/// Issue 14 item 5: a header parameter, or a property of its schema, that
/// becomes an enum is `request-header-property-became-enum`.
#[test]
fn a_header_that_becomes_an_enum_has_the_header_check() {
    expect(
        &diff(
            &with_header(json!({"type": "string"})),
            &with_header(json!({"type": "string", "enum": ["a", "b"]})),
        ),
        &[
            (
                Level::Error,
                "request-header-property-became-enum",
                "GET /h",
            ),
            (Level::Error, "request-parameter-became-enum", "GET /h"),
        ],
    );
    let object = |mode: Value| with_header(json!({"type": "object", "properties": {"mode": mode}}));
    expect(
        &diff(
            &object(json!({"type": "string"})),
            &object(json!({"type": "string", "enum": ["fast"]})),
        ),
        &[(
            Level::Error,
            "request-header-property-became-enum",
            "GET /h",
        )],
    );
}

/// Issue 14 item 5: a request property with a default that becomes
/// required is oasdiff's `request-property-became-required-with-default`
/// (an error all the same: a request without it is now invalid).
#[test]
fn a_property_with_a_default_that_becomes_required_has_its_own_id() {
    let thing = |required: &str| {
        api(&format!(
            r#"
    Thing:
      type: object
      required: [{required}]
      properties:
        name: {{type: string}}
        size: {{type: integer, default: 1}}
"#
        ))
    };
    expect(
        &diff(&thing("name"), &thing("name, size")),
        &[
            (
                Level::Error,
                "request-property-became-required-with-default",
                "POST /a",
            ),
            (Level::Info, "response-property-became-required", "POST /a"),
        ],
    );
}

/// Issue 14 item 5: a required response property that stops being
/// write-only is now sent to clients that never saw it: oasdiff's warning;
/// its siblings (read-only, optional, requests) are information.
#[test]
fn a_property_that_stops_being_write_only_has_the_mutability_checks() {
    let thing = |secret: &str| {
        api(&format!(
            r#"
    Thing:
      type: object
      required: [secret]
      properties:
        secret: {secret}
        note: {{type: string}}
"#
        ))
    };
    let hidden = thing("{type: string, writeOnly: true}");
    let plain = thing("{type: string}");
    expect(
        &diff(&hidden, &plain),
        &[
            (
                Level::Info,
                "request-required-property-became-not-write-only",
                "POST /a",
            ),
            (
                Level::Warning,
                "response-required-property-became-not-write-only",
                "POST /a",
            ),
        ],
    );
    expect(
        &diff(&plain, &hidden),
        &[
            (
                Level::Info,
                "request-required-property-became-write-only",
                "POST /a",
            ),
            (
                Level::Info,
                "response-required-property-became-write-only",
                "POST /a",
            ),
        ],
    );
    // An optional property made read-only.
    let note = |note: &str| {
        api(&format!(
            "\n    Thing:\n      type: object\n      properties:\n        note: {note}\n"
        ))
    };
    expect(
        &diff(
            &note("{type: string}"),
            &note("{type: string, readOnly: true}"),
        ),
        &[
            (
                Level::Info,
                "request-optional-property-became-read-only",
                "POST /a",
            ),
            (
                Level::Info,
                "response-optional-property-became-read-only",
                "POST /a",
            ),
        ],
    );
}

/// Issue 14 item 5: an enum whose type moves into a `oneOf` beside another
/// type still reports the values it lost on the way (they used to vanish
/// with the plain enum), and only those.
#[test]
fn enum_values_dropped_when_the_type_moves_into_a_one_of_are_reported() {
    let thing = |level: &str| {
        api(&format!(
            "\n    Thing:\n      type: object\n      properties:\n        level: {level}\n"
        ))
    };
    let plain = thing("{type: string, enum: [low, mid, high]}");
    let moved = thing("{oneOf: [{type: string, enum: [low, mid]}, {type: integer}]}");
    let findings = diff(&plain, &moved);
    let removed: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.id.ends_with("-enum-value-removed"))
        .collect();
    assert_eq!(
        ids(&removed.iter().map(|f| (*f).clone()).collect::<Vec<_>>()),
        [
            (
                Level::Info,
                "response-property-enum-value-removed".to_string(),
                "POST /a".to_string()
            ),
            (
                Level::Error,
                "request-property-enum-value-removed".to_string(),
                "POST /a".to_string()
            ),
        ],
        "{findings:#?}"
    );
    assert!(removed.iter().all(|f| f.message.contains("\"high\"")));
    // The same values inside the oneOf: nothing was dropped.
    let kept = thing("{oneOf: [{type: string, enum: [low, mid, high]}, {type: integer}]}");
    assert!(
        diff(&plain, &kept)
            .iter()
            .all(|f| !f.id.contains("enum-value")),
        "{:#?}",
        diff(&plain, &kept)
    );
    // And back out of the oneOf, a value dropped is reported as well.
    let back = thing("{type: string, enum: [low]}");
    let f = diff(&kept, &back);
    assert_eq!(
        f.iter()
            .filter(|f| f.id == "request-property-enum-value-removed")
            .count(),
        2,
        "{f:#?}"
    );
}

/// An API with `GET` on each path, its `x-stability-level` as given
/// (`None`: no level, which is stable).
fn staged(ops: &[(&str, Option<&str>)]) -> String {
    let mut doc = String::from("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n");
    for (path, level) in ops {
        doc.push_str(&format!("  {path}:\n    get:\n"));
        if let Some(level) = level {
            doc.push_str(&format!("      x-stability-level: {level}\n"));
        }
        doc.push_str("      responses:\n        '200': {description: ok}\n");
    }
    doc
}

/// `diff --stability-level LEVEL` (oasdiff's option): operations below the
/// level on both sides are left out, and a note says how many; one that
/// changed stability across the level is still compared.
#[test]
fn stability_level_leaves_out_operations_below_it_and_says_so() {
    let sb = crate::common::Sandbox::new();
    let base = sb.write(
        "base.yaml",
        staged(&[
            ("/beta", Some("beta")),
            ("/plain", None),
            ("/promoted", Some("beta")),
            ("/demoted", Some("stable")),
        ]),
    );
    let rev = sb.write(
        "rev.yaml",
        staged(&[("/promoted", Some("stable")), ("/demoted", Some("alpha"))]),
    );
    let (base, rev) = (base.to_str().unwrap(), rev.to_str().unwrap());
    let run = |extra: &[&str]| {
        let mut args = vec!["diff", base, rev, "--format", "json", "--level", "info"];
        args.extend_from_slice(extra);
        let out = sb.run(args).expect_code(0);
        let doc = out.json();
        let mut got: Vec<(String, String)> = doc["changes"]
            .as_array()
            .expect("a list of findings")
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or("").to_string(),
                    f["path"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        got.sort();
        (got, doc, out.stderr)
    };
    let pair = |id: &str, path: &str| (id.to_string(), path.to_string());
    let (all, _, _) = run(&[]);
    assert!(all.contains(&pair("api-path-removed-without-deprecation", "/beta")));
    let (stable, doc, stderr) = run(&["--stability-level", "stable"]);
    assert_eq!(
        stable,
        [
            pair("api-path-removed-without-deprecation", "/plain"),
            pair("api-stability-decreased", "/demoted"),
            pair("api-stability-increased", "/promoted"),
        ]
    );
    assert_eq!(
        doc["stability_level"],
        json!({"level": "stable", "operations_not_compared": 1})
    );
    assert!(
        stderr.contains("1 operation below stability stable not compared"),
        "{stderr}"
    );
    // Beta is not below beta.
    let (beta, _, _) = run(&["--stability-level", "beta"]);
    assert!(beta.contains(&pair("api-path-removed-without-deprecation", "/beta")));
    // A level oasdiff does not have is a usage error, as is the option on
    // documents that have no operations.
    sb.run(["diff", base, rev, "--stability-level", "gamma"])
        .expect_code(2);
    let a = sb.write("a.json", "{\"x\": 1}");
    let b = sb.write("b.json", "{\"x\": 2}");
    let out = sb
        .run([
            "diff",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--stability-level",
            "beta",
        ])
        .expect_code(2);
    assert!(out.stderr.contains("--stability-level"), "{}", out.stderr);
}

/// `POST /x` taking and returning `media` bodies of an object whose `n`
/// has type `t`.
fn bodies(media: &str, t: &str) -> Value {
    let body = json!({media: {"schema": {
        "type": "object",
        "properties": {"n": {"type": t}}
    }}});
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/x": {"post": {
            "requestBody": {"content": body.clone()},
            "responses": {"200": {"description": "ok", "content": body}}
        }}}
    })
}

/// Issue 14 item 4: in a body that is not JSON (XML here) every value also
/// reads as a string, so a request value that becomes a string, or a
/// response value that was one, is oasdiff's `*-type-compatible`; in JSON
/// the same swap is a type change. A response that returns a narrower
/// number is specialized, a wider one generalized.
#[test]
fn type_swaps_in_non_json_bodies_are_compatible() {
    let xml = "application/xml";
    expect(
        &diff(&bodies(xml, "integer"), &bodies(xml, "string")),
        &[
            (Level::Info, "request-property-type-compatible", "POST /x"),
            (Level::Error, "response-property-type-changed", "POST /x"),
        ],
    );
    expect(
        &diff(&bodies(xml, "string"), &bodies(xml, "integer")),
        &[
            (Level::Error, "request-property-type-changed", "POST /x"),
            (Level::Info, "response-property-type-compatible", "POST /x"),
        ],
    );
    let json_ = "application/json";
    expect(
        &diff(&bodies(json_, "integer"), &bodies(json_, "string")),
        &[
            (Level::Error, "request-property-type-changed", "POST /x"),
            (Level::Error, "response-property-type-changed", "POST /x"),
        ],
    );
    expect(
        &diff(&bodies(json_, "number"), &bodies(json_, "integer")),
        &[
            (Level::Error, "request-property-type-changed", "POST /x"),
            (Level::Info, "response-property-type-specialized", "POST /x"),
        ],
    );
    expect(
        &diff(&bodies(json_, "integer"), &bodies(json_, "number")),
        &[
            (Level::Info, "request-property-type-generalized", "POST /x"),
            (
                Level::Error,
                "response-property-type-generalized",
                "POST /x",
            ),
        ],
    );
}
