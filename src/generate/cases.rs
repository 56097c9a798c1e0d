//! Test cases derived from an operation's schemas.
//!
//! For each operation, in this order: one positive case with every
//! required field (the description's examples, defaults and enums first),
//! one with the optional fields too, then boundary values (positive) and
//! one negative case per constraint, interleaved: a required field
//! missing, a wrong type, a value outside an enum, below `minimum`, above
//! `maximum`, longer than `maxLength`, shorter than `minLength`, against a
//! `pattern`, no body where one is required. The first `cases` of them
//! are kept. Each case says what it expects: 2xx for a positive case; for
//! a negative one the 4xx statuses the operation declares, else "not 2xx".

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Api, In, Op, is_json};
use super::values::{self, Gen, Hint, Rng, SimplePattern, int_bounds, type_of};

/// What a case expects of the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// 200–299.
    Success,
    /// One of these (the operation's declared 4xx statuses).
    OneOf(Vec<u16>),
    /// 400–499 (a declared `4XX` range).
    ClientError,
    /// Anything but 2xx (nothing declared).
    NotSuccess,
}

impl Expect {
    pub fn label(&self) -> String {
        match self {
            Expect::Success => "2xx".to_owned(),
            Expect::OneOf(codes) => codes
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            Expect::ClientError => "4xx".to_owned(),
            Expect::NotSuccess => "not 2xx".to_owned(),
        }
    }

    pub fn accepts(&self, status: u16) -> bool {
        match self {
            Expect::Success => (200..300).contains(&status),
            Expect::OneOf(codes) => codes.contains(&status),
            Expect::ClientError => (400..500).contains(&status),
            Expect::NotSuccess => !(200..300).contains(&status),
        }
    }

    /// (low, high) status ranges accepted, inclusive, for generated code.
    pub fn ranges(&self) -> Vec<(u16, u16)> {
        match self {
            Expect::Success => vec![(200, 299)],
            Expect::OneOf(codes) => codes.iter().map(|c| (*c, *c)).collect(),
            Expect::ClientError => vec![(400, 499)],
            Expect::NotSuccess => vec![(100, 199), (300, 599)],
        }
    }
}

/// A request body as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseBody {
    pub media_type: String,
    pub text: String,
}

/// One generated request and what it expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Unique in the suite, an identifier: `listPets_03`.
    pub id: String,
    pub method: String,
    /// The path as described (`/pets/{petId}`).
    pub path: String,
    /// The path with its parameters filled in and encoded.
    pub url_path: String,
    /// What the case tries, in words (third-party names inside).
    pub name: String,
    pub positive: bool,
    pub expect: Expect,
    /// Query parameters, encoded later; `${VAR}` references for auth.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<CaseBody>,
}

impl Case {
    /// The path and query, percent-encoded (auth references as written).
    pub fn path_and_query(&self) -> String {
        let mut out = self.url_path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&super::encode(k));
            out.push('=');
            if is_reference(v) {
                out.push_str(v);
            } else {
                out.push_str(&super::encode(v));
            }
        }
        out
    }
}

/// Whether `v` is one whole `${VAR}` reference.
pub fn is_reference(v: &str) -> bool {
    v.starts_with("${")
        && v.ends_with('}')
        && v[2..v.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The environment variables a text's `${VAR}` references name.
pub fn references(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub cases: usize,
    pub seed: u64,
    pub hint: Hint,
    pub only: Vec<super::OpFilter>,
    /// Keep only these operations (`METHOD /normalized/{}/path`), for
    /// `--changed`.
    pub changed: Option<BTreeSet<(String, String)>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            cases: 10,
            seed: 1,
            hint: Hint::General,
            only: Vec::new(),
            changed: None,
        }
    }
}

/// The generated cases of a description.
#[derive(Debug, Clone)]
pub struct Suite {
    pub title: String,
    pub version: String,
    /// The base URL the suite targets by default.
    pub server: String,
    pub seed: u64,
    pub operations: usize,
    pub cases: Vec<Case>,
    /// Environment variables the cases reference (auth), sorted.
    pub variables: Vec<String>,
    /// What was left out, one line each.
    pub notes: Vec<String>,
}

impl Suite {
    pub fn positives(&self) -> usize {
        self.cases.iter().filter(|c| c.positive).count()
    }
}

/// Generates the cases of `api`.
pub fn generate(api: &Api, options: &Options) -> Suite {
    let mut cases = Vec::new();
    let mut notes = api.notes.clone();
    let mut operations = 0;
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    for op in api.sorted_operations() {
        if !options.only.is_empty() && !options.only.iter().any(|f| f.matches(&op.method, &op.path))
        {
            continue;
        }
        if let Some(changed) = &options.changed {
            let key = (
                op.method.clone(),
                crate::diff::document::normalize_path(&op.path),
            );
            if !changed.contains(&key) {
                continue;
            }
        }
        operations += 1;
        let mut rng = Rng::for_subject(options.seed, &op.key());
        let mut made = for_operation(api, op, options, &mut rng, &mut notes);
        let base = op.code_name();
        let n = ids.entry(base.clone()).or_default();
        *n += 1;
        let base = if *n > 1 { format!("{base}_{n}") } else { base };
        for (i, c) in made.iter_mut().enumerate() {
            c.id = format!("{base}_{:02}", i + 1);
        }
        cases.extend(made);
    }
    let mut variables: BTreeSet<String> = BTreeSet::new();
    for c in &cases {
        for (_, v) in c.query.iter().chain(&c.headers) {
            variables.extend(references(v));
        }
    }
    Suite {
        title: api.title.clone(),
        version: api.version.clone(),
        server: api.server.clone(),
        seed: options.seed,
        operations,
        cases,
        variables: variables.into_iter().collect(),
        notes,
    }
}

/// One field a case may fill or break: a parameter or a top-level body
/// property.
struct Field<'a> {
    /// `query parameter `limit``.
    label: String,
    slot: Slot,
    schema: &'a Value,
    required: bool,
}

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    Param(In, String),
    Prop(String),
}

/// A request being built: field values (`None`: left out), body or none.
#[derive(Clone)]
struct Draft {
    params: Vec<(In, String, Option<Value>)>,
    body: Option<Value>,
}

fn for_operation(
    api: &Api,
    op: &Op,
    options: &Options,
    rng: &mut Rng,
    notes: &mut Vec<String>,
) -> Vec<Case> {
    let mut fields: Vec<Field> = Vec::new();
    for p in &op.params {
        if p.location == In::Cookie {
            if p.required {
                notes.push(format!(
                    "{}: cookie parameter `{}` is not sent by generated cases",
                    op.key(),
                    p.name
                ));
            }
            continue;
        }
        if p.location == In::Header && crate::health::policy::forbidden_header(&p.name) {
            continue;
        }
        fields.push(Field {
            label: format!("{} parameter `{}`", p.location.as_str(), p.name),
            slot: Slot::Param(p.location, p.name.clone()),
            schema: &p.schema,
            required: p.required,
        });
    }
    let body_json = op
        .body
        .as_ref()
        .filter(|b| is_json(&b.media_type) || is_form(&b.media_type));
    if let Some(b) = &op.body
        && body_json.is_none()
    {
        notes.push(format!(
            "{}: a body of type {} is not generated (JSON and form bodies are)",
            op.key(),
            b.media_type
        ));
    }
    let (props, body_required) = match body_json {
        Some(b) => flat_props(api, &b.schema),
        None => (Vec::new(), Vec::new()),
    };
    for (name, schema) in &props {
        fields.push(Field {
            label: format!("body property `{name}`"),
            slot: Slot::Prop(name.clone()),
            schema,
            required: body_required.contains(name),
        });
    }

    let gen_with = |full: bool, rng: &mut Rng| {
        let mut g = Gen {
            api,
            rng,
            hint: options.hint,
            full,
            examples_first: true,
        };
        let params = op
            .params
            .iter()
            .filter(|p| {
                fields
                    .iter()
                    .any(|f| f.slot == Slot::Param(p.location, p.name.clone()))
            })
            .map(|p| {
                let v = (p.required || full).then(|| {
                    p.example
                        .clone()
                        .unwrap_or_else(|| g.value(&p.schema, &p.name))
                });
                (p.location, p.name.clone(), v)
            })
            .collect();
        let body = body_json.map(|b| match (&b.example, full) {
            (Some(e), _) => e.clone(),
            (None, _) => g.value(&b.schema, "body"),
        });
        Draft { params, body }
    };
    let base = gen_with(false, rng);
    let full = gen_with(true, rng);

    let mut drafts: Vec<(String, bool, Draft)> = vec![(
        "required fields, examples first".to_owned(),
        true,
        base.clone(),
    )];
    drafts.push(("all fields".to_owned(), true, full));
    let mut positives = Vec::new();
    let mut negatives = Vec::new();
    for f in &fields {
        let schema = api.resolve(f.schema);
        let set = |v: Option<Value>| {
            let mut d = base.clone();
            set_field(&mut d, &f.slot, v);
            d
        };
        let in_body = matches!(f.slot, Slot::Prop(_));
        let typ = type_of(schema);
        let pattern = schema.get("pattern").and_then(Value::as_str);
        let simple = pattern.and_then(SimplePattern::parse);
        if f.required && !matches!(f.slot, Slot::Param(In::Path, _)) {
            negatives.push((format!("{} missing (required)", f.label), set(None)));
        }
        match typ {
            Some("integer") | Some("number") => {
                negatives.push((
                    format!("{} of the wrong type (text, not a number)", f.label),
                    set(Some(Value::String("not-a-number".into()))),
                ));
                let (lo, hi) = int_bounds(schema);
                if typ == Some("integer") || schema.get("multipleOf").is_none() {
                    if let Some(lo) = lo {
                        positives.push((
                            format!("{} at its minimum {lo}", f.label),
                            set(Some(lo.into())),
                        ));
                        negatives.push((
                            format!("{} below its minimum ({})", f.label, lo - 1),
                            set(Some((lo - 1).into())),
                        ));
                    }
                    if let Some(hi) = hi {
                        positives.push((
                            format!("{} at its maximum {hi}", f.label),
                            set(Some(hi.into())),
                        ));
                        negatives.push((
                            format!("{} above its maximum ({})", f.label, hi + 1),
                            set(Some((hi + 1).into())),
                        ));
                    }
                }
            }
            Some("boolean") => negatives.push((
                format!("{} of the wrong type (text, not a boolean)", f.label),
                set(Some(Value::String("not-a-boolean".into()))),
            )),
            Some("array") if in_body => negatives.push((
                format!("{} of the wrong type (text, not a list)", f.label),
                set(Some(Value::String("not-a-list".into()))),
            )),
            Some("object") if in_body => negatives.push((
                format!("{} of the wrong type (text, not an object)", f.label),
                set(Some(Value::String("not-an-object".into()))),
            )),
            Some("string") | None if in_body && typ.is_some() => negatives.push((
                format!("{} of the wrong type (a number, not text)", f.label),
                set(Some(Value::from(12345))),
            )),
            _ => {}
        }
        if let Some(e) = schema.get("enum").and_then(Value::as_array) {
            let strings: Vec<&str> = e.iter().filter_map(Value::as_str).collect();
            if !strings.is_empty() {
                if let Some(last) = e
                    .iter()
                    .rev()
                    .find(|v| !v.is_null())
                    .filter(|_| e.len() > 1)
                {
                    positives.push((
                        format!("{} set to another listed value", f.label),
                        set(Some(last.clone())),
                    ));
                }
                let mut outside = "not-a-listed-value".to_owned();
                while strings.contains(&outside.as_str()) {
                    outside.push('x');
                }
                negatives.push((
                    format!("{} outside its enum", f.label),
                    set(Some(Value::String(outside))),
                ));
            }
        }
        if typ == Some("string") && schema.get("enum").is_none() && schema.get("format").is_none() {
            let min = schema
                .get("minLength")
                .and_then(Value::as_u64)
                .map(|v| v as usize);
            let max = schema
                .get("maxLength")
                .and_then(Value::as_u64)
                .map(|v| v as usize);
            // Length boundaries only where the pattern cannot refuse them.
            let of_len = |n: usize| match &simple {
                Some(p) => p.sample(&mut Rng::new(n as u64), n, Some(n)),
                None => "a".repeat(n),
            };
            let free = pattern.is_none() || simple.is_some();
            if let Some(max) = max.filter(|m| *m <= 4096) {
                if free {
                    positives.push((
                        format!("{} at its maxLength {max}", f.label),
                        set(Some(Value::String(of_len(max)))),
                    ));
                }
                negatives.push((
                    format!("{} longer than its maxLength {max}", f.label),
                    set(Some(Value::String("a".repeat(max + 1)))),
                ));
            }
            if let Some(min) = min.filter(|m| *m > 0 && *m <= 4096) {
                if free {
                    positives.push((
                        format!("{} at its minLength {min}", f.label),
                        set(Some(Value::String(of_len(min)))),
                    ));
                }
                negatives.push((
                    format!("{} shorter than its minLength {min}", f.label),
                    set(Some(Value::String(of_len(min - 1)))),
                ));
            }
            if let Some(p) = &simple {
                let bad = p.breaking();
                let fits = min.is_none_or(|m| bad.chars().count() >= m)
                    && max.is_none_or(|m| bad.chars().count() <= m);
                if fits {
                    negatives.push((
                        format!("{} against its pattern", f.label),
                        set(Some(Value::String(bad))),
                    ));
                }
            }
        }
    }
    if let Some(b) = body_json
        && b.required
    {
        negatives.push((
            "no request body (required)".to_owned(),
            Draft {
                params: base.params.clone(),
                body: None,
            },
        ));
    }
    // Interleave: a negative, then a boundary, so a small --cases still
    // covers both.
    let mut neg = negatives.into_iter();
    let mut pos = positives.into_iter();
    loop {
        let (n, p) = (neg.next(), pos.next());
        if n.is_none() && p.is_none() {
            break;
        }
        if let Some((name, d)) = n {
            drafts.push((name, false, d));
        }
        if let Some((name, d)) = p {
            drafts.push((name, true, d));
        }
    }

    let failure = declared_client_errors(op);
    let mut out: Vec<Case> = Vec::new();
    for (name, positive, draft) in drafts {
        if out.len() >= options.cases {
            break;
        }
        let case = to_case(op, body_json, &name, positive, &draft, &failure);
        if out.iter().any(|c| same_request(c, &case)) {
            continue;
        }
        out.push(case);
    }
    out
}

fn same_request(a: &Case, b: &Case) -> bool {
    a.url_path == b.url_path && a.query == b.query && a.headers == b.headers && a.body == b.body
}

fn is_form(media_type: &str) -> bool {
    media_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
}

/// The top-level properties of a body schema (`allOf` members joined),
/// and its required names.
fn flat_props<'a>(api: &'a Api, schema: &'a Value) -> (Vec<(String, &'a Value)>, Vec<String>) {
    let mut props: Vec<(String, &Value)> = Vec::new();
    let mut required = Vec::new();
    let mut stack = vec![(schema, 0)];
    while let Some((s, depth)) = stack.pop() {
        let s = api.resolve(s);
        if depth > 8 {
            continue;
        }
        required.extend(values::required_of(s));
        if let Some(map) = s.get("properties").and_then(Value::as_object) {
            for (k, v) in map {
                let read_only =
                    api.resolve(v).get("readOnly").and_then(Value::as_bool) == Some(true);
                if !read_only && !props.iter().any(|(n, _)| n == k) {
                    props.push((k.clone(), v));
                }
            }
        }
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for m in all.iter().rev() {
                stack.push((m, depth + 1));
            }
        }
    }
    (props, required)
}

fn set_field(d: &mut Draft, slot: &Slot, v: Option<Value>) {
    match slot {
        Slot::Param(location, name) => {
            for (l, n, value) in &mut d.params {
                if l == location && n == name {
                    *value = v.clone();
                }
            }
        }
        Slot::Prop(name) => {
            if !d.body.as_ref().is_some_and(Value::is_object) {
                d.body = Some(Value::Object(Default::default()));
            }
            if let Some(Value::Object(map)) = &mut d.body {
                match v {
                    Some(v) => {
                        map.insert(name.clone(), v);
                    }
                    None => {
                        map.remove(name);
                    }
                }
            }
        }
    }
}

/// What a negative case expects: the 4xx statuses the operation declares.
fn declared_client_errors(op: &Op) -> Expect {
    let mut codes: Vec<u16> = Vec::new();
    let mut range = false;
    for r in &op.responses {
        match r.status.parse::<u16>() {
            Ok(c) if (400..500).contains(&c) && c != 401 && c != 403 && c != 429 => codes.push(c),
            Ok(_) => {}
            Err(_) if r.status.eq_ignore_ascii_case("4xx") => range = true,
            Err(_) => {}
        }
    }
    codes.sort_unstable();
    codes.dedup();
    if range {
        Expect::ClientError
    } else if codes.is_empty() {
        Expect::NotSuccess
    } else {
        Expect::OneOf(codes)
    }
}

/// A parameter value as text.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

fn to_case(
    op: &Op,
    body: Option<&super::model::Body>,
    name: &str,
    positive: bool,
    draft: &Draft,
    failure: &Expect,
) -> Case {
    let mut url_path = op.path.clone();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    for (location, pname, value) in &draft.params {
        let Some(value) = value else { continue };
        match location {
            In::Path => {
                let text = match value {
                    Value::Array(items) => {
                        items.iter().map(scalar_text).collect::<Vec<_>>().join(",")
                    }
                    v => scalar_text(v),
                };
                url_path = url_path.replace(&format!("{{{pname}}}"), &super::encode(&text));
            }
            In::Query => match value {
                Value::Array(items) => {
                    for item in items {
                        query.push((pname.clone(), scalar_text(item)));
                    }
                }
                v => query.push((pname.clone(), scalar_text(v))),
            },
            In::Header => headers.push((pname.clone(), crate::text::one_line(&scalar_text(value)))),
            In::Cookie => {}
        }
    }
    if let Some(auth) = &op.auth {
        match auth.location {
            In::Header => headers.push((auth.name.clone(), auth.value.clone())),
            In::Query => query.push((auth.name.clone(), auth.value.clone())),
            _ => {}
        }
    }
    let body = match (body, &draft.body) {
        (Some(b), Some(v)) => {
            let text = if is_form(&b.media_type) {
                match v {
                    Value::Object(map) => map
                        .iter()
                        .map(|(k, v)| {
                            format!("{}={}", super::encode(k), super::encode(&scalar_text(v)))
                        })
                        .collect::<Vec<_>>()
                        .join("&"),
                    v => scalar_text(v),
                }
            } else {
                serde_json::to_string(v).unwrap_or_default()
            };
            let media_type = if b.media_type == "*/*" {
                "application/json".to_owned()
            } else {
                b.media_type.clone()
            };
            Some(CaseBody { media_type, text })
        }
        _ => None,
    };
    Case {
        id: String::new(),
        method: op.method.clone(),
        path: op.path.clone(),
        url_path,
        name: name.to_owned(),
        positive,
        expect: if positive {
            Expect::Success
        } else {
            failure.clone()
        },
        query,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"{
      "openapi": "3.0.3",
      "info": {"title": "Pets", "version": "1"},
      "servers": [{"url": "https://pets.example.com/v1"}],
      "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
      "security": [{"bearer": []}],
      "paths": {
        "/pets": {
          "get": {
            "operationId": "listPets",
            "parameters": [
              {"name": "limit", "in": "query", "required": true,
               "schema": {"type": "integer", "minimum": 1, "maximum": 100}, "example": 20},
              {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["cat", "dog"]}}
            ],
            "responses": {"200": {"description": "ok"}, "400": {"description": "bad"}}
          },
          "post": {
            "operationId": "createPet",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {
              "type": "object", "required": ["name"],
              "properties": {"name": {"type": "string", "maxLength": 8},
                             "tag": {"type": "string", "pattern": "^[a-z]+$"}}}}}},
            "responses": {"201": {"description": "made"}}
          }
        }
      }
    }"#;

    fn suite(cases: usize, seed: u64) -> Suite {
        let doc: Value = serde_json::from_str(SPEC).unwrap();
        let api = Api::new(&doc);
        generate(
            &api,
            &Options {
                cases,
                seed,
                ..Options::default()
            },
        )
    }

    #[test]
    fn cases_cover_examples_boundaries_and_one_negative_per_constraint() {
        let s = suite(50, 1);
        let list: Vec<&Case> = s
            .cases
            .iter()
            .filter(|c| c.id.starts_with("listPets"))
            .collect();
        assert_eq!(
            list[0].query[0],
            ("limit".into(), "20".into()),
            "example first"
        );
        assert!(list[0].positive && list[0].expect == Expect::Success);
        let names: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
        for wanted in [
            "query parameter `limit` missing (required)",
            "query parameter `limit` below its minimum (0)",
            "query parameter `limit` above its maximum (101)",
            "query parameter `limit` at its minimum 1",
            "query parameter `kind` outside its enum",
        ] {
            assert!(names.contains(&wanted), "{wanted} not in {names:#?}");
        }
        let below = list.iter().find(|c| c.name.contains("below")).unwrap();
        assert_eq!(below.expect, Expect::OneOf(vec![400]));
        // Auth from the security scheme, as a reference.
        assert!(
            list[0]
                .headers
                .contains(&("Authorization".into(), "Bearer ${BEARER_TOKEN}".into()))
        );
        assert_eq!(s.variables, vec!["BEARER_TOKEN".to_owned()]);
        let create: Vec<&Case> = s
            .cases
            .iter()
            .filter(|c| c.id.starts_with("createPet"))
            .collect();
        let names: Vec<&str> = create.iter().map(|c| c.name.as_str()).collect();
        assert!(
            names.contains(&"body property `name` longer than its maxLength 8"),
            "{names:#?}"
        );
        assert!(
            names.contains(&"body property `tag` against its pattern"),
            "{names:#?}"
        );
        assert!(names.contains(&"no request body (required)"), "{names:#?}");
        let missing = create.iter().find(|c| c.name.contains("missing")).unwrap();
        assert_eq!(missing.expect, Expect::NotSuccess, "nothing 4xx declared");
        assert!(!missing.body.as_ref().unwrap().text.contains("\"name\""));
    }

    #[test]
    fn the_case_count_is_a_ceiling_and_seeds_matter() {
        let s = suite(3, 1);
        assert_eq!(s.cases.len(), 6);
        assert_eq!(s.cases[0].id, "listPets_01");
        let again = suite(3, 1);
        assert_eq!(s.cases, again.cases);
        let other = suite(50, 2);
        assert_ne!(suite(50, 1).cases, other.cases);
    }

    #[test]
    fn expectations() {
        assert!(Expect::NotSuccess.accepts(404) && !Expect::NotSuccess.accepts(204));
        assert!(Expect::OneOf(vec![400, 422]).accepts(422));
        assert!(!Expect::OneOf(vec![400]).accepts(500));
        assert_eq!(Expect::OneOf(vec![400, 422]).label(), "400 or 422");
    }
}
