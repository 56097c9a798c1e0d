//! Conformance of live responses: does what an endpoint answers match the
//! response schema its description declares?
//!
//! A probe's response (or a `json` watch's polled document, for a catalog
//! audit) is matched to the operation, then to the response declared for
//! its status (exactly, by its range such as `2XX`, or `default`), then
//! to the media type (exactly, `type/*`, `*/*`), and validated against
//! that schema with the `jsonschema` crate as JSON Schema 2020-12 (see
//! [`translate`] for OpenAPI 3.0 and Swagger 2.0). `$ref`s resolve inside
//! the stored description only: the validator has no network or file
//! resolver.
//!
//! Each problem becomes a [`Drift`] with a stable id and level (see
//! [`ids`]), the pointer of the value in the response, the pointer of
//! the schema keyword in the (translated) description, and a short sample
//! of the value: scrubbed (anything that looks like a credential, or sits
//! under a key named like one, is `***`) and truncated. Properties the
//! schema does not declare (where it does not allow others explicitly)
//! are found by a walk of our own, as JSON Schema lets them through.
//!
//! A body that is not JSON, not valid JSON, cut at the body limit, or has
//! no schema to check against gives one line of [`Verdict::Skipped`] and
//! no finding.

pub mod shape;
pub mod translate;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use crate::diff::Level;
use shape::{Shape, push_escaped, secret_key, type_name};
pub use translate::Dialect;

/// The drift check ids, their default levels and what they mean.
pub mod ids {
    use crate::diff::Level;

    pub const MISSING_REQUIRED: &str = "response-missing-required-property";
    pub const TYPE_MISMATCH: &str = "response-property-type-mismatch";
    pub const ENUM_UNDECLARED: &str = "response-enum-value-undeclared";
    pub const OUT_OF_RANGE: &str = "response-value-out-of-range";
    pub const PATTERN_MISMATCH: &str = "response-value-pattern-mismatch";
    pub const FORMAT_MISMATCH: &str = "response-value-format-mismatch";
    pub const PROPERTY_UNDECLARED: &str = "response-property-undeclared";
    pub const STATUS_UNDECLARED: &str = "response-status-undeclared";
    /// apiradar's own: any other schema keyword the value fails (`not`,
    /// a `oneOf` two members match, `contains`, …).
    pub const SCHEMA_MISMATCH: &str = "response-schema-mismatch";

    /// Every id with its level, in the order the README lists them.
    pub const ALL: [(&str, Level); 9] = [
        (MISSING_REQUIRED, Level::Error),
        (TYPE_MISMATCH, Level::Error),
        (ENUM_UNDECLARED, Level::Warning),
        (OUT_OF_RANGE, Level::Warning),
        (PATTERN_MISMATCH, Level::Warning),
        (FORMAT_MISMATCH, Level::Warning),
        (STATUS_UNDECLARED, Level::Warning),
        (SCHEMA_MISMATCH, Level::Warning),
        (PROPERTY_UNDECLARED, Level::Info),
    ];

    pub fn level(id: &str) -> Level {
        ALL.iter()
            .find(|(i, _)| *i == id)
            .map_or(Level::Warning, |(_, l)| *l)
    }
}

/// Most drifts kept from one response; the rest are counted in a note.
pub const MAX_DRIFTS: usize = 50;
/// Most validation errors looked at in one response.
pub const MAX_ERRORS: usize = 500;
/// Longest sample kept, in characters.
pub const SAMPLE_CHARS: usize = 40;
/// Nodes of a response the undeclared-property walk looks at.
pub const MAX_WALK_NODES: usize = 2_000_000;

/// One way a response differs from its description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drift {
    pub id: &'static str,
    pub level: Level,
    /// Where in the response (JSON pointer), as seen this time.
    pub instance_pointer: String,
    /// The same with array indices as `*`: what makes drifts identical.
    pub pattern: String,
    /// Where in the description the failed keyword is (`#/components/…`;
    /// Swagger 2.0 descriptions in their OpenAPI 3 layout).
    pub schema_pointer: String,
    pub message: String,
    /// A short, scrubbed sample of the value (JSON), if there is one.
    pub sample: Option<String>,
    /// The response status it was seen on (`200`).
    pub status: String,
}

/// What checking one response came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Validated against the declared schema.
    Validated {
        /// The response status validated (`200`).
        status: String,
        drifts: Vec<Drift>,
        shape: Shape,
        /// Drifts beyond [`MAX_DRIFTS`], or errors beyond [`MAX_ERRORS`].
        note: Option<String>,
    },
    /// The status is not declared for the operation (nor its range, nor
    /// `default`): one drift, the body is not validated.
    StatusUndeclared(Drift),
    /// The body could not be validated (not JSON, invalid JSON, cut at the
    /// body limit, a schema the validator cannot use): why, in one line
    /// (no finding).
    Skipped(String),
    /// Nothing to validate: the description declares no schema for this
    /// response (or no such operation, or a 401/403 of an operation that
    /// needs credentials).
    NothingToCheck(String),
}

/// A response to check.
#[derive(Debug, Clone, Copy)]
pub struct Response<'a> {
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    pub body: &'a [u8],
    /// The body was read whole (not cut at the body limit).
    pub complete: bool,
}

/// A description ready to validate responses against.
#[derive(Debug, Clone)]
pub struct Described {
    /// The description in the OpenAPI 3 layout, schemas in 2020-12.
    pub doc: Value,
    pub dialect: Dialect,
}

/// Where the response schema of an operation, status and media type is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The JSON pointer of the schema in the translated description, and
    /// the response key it was found under (`200`, `2XX`, `default`).
    Schema {
        pointer: String,
        status: String,
    },
    /// A response is declared but has no schema for this media type.
    NoSchema(String),
    StatusUndeclared,
    NoOperation,
}

impl Described {
    /// `None` when `doc` is not an OpenAPI or Swagger description.
    pub fn new(doc: &Value) -> Option<Described> {
        let (doc, dialect) = translate::translate(doc)?;
        Some(Described { doc, dialect })
    }

    /// Reads a stored version.
    pub fn from_raw(raw: &[u8]) -> Result<Described, String> {
        let (doc, _) = crate::spec::parse_document(raw, &crate::spec::Limits::default())
            .map_err(|e| format!("the description cannot be read: {e}"))?;
        Described::new(&doc).ok_or_else(|| "the description is not OpenAPI or Swagger".into())
    }

    /// The operation at `method path` (the path as the description writes
    /// it; a path written with other parameter names matches too).
    fn operation(&self, method: &str, path: &str) -> Option<(String, &Value)> {
        let paths = self.doc.get("paths")?.as_object()?;
        let method = method.to_ascii_lowercase();
        let wanted = crate::diff::document::normalize_path(path);
        let (key, item) = paths.get_key_value(path).or_else(|| {
            paths
                .iter()
                .find(|(k, _)| crate::diff::document::normalize_path(k) == wanted)
        })?;
        Some((key.clone(), item.get(&method)?))
    }

    /// Whether the operation exists.
    pub fn has_operation(&self, method: &str, path: &str) -> bool {
        self.operation(method, path).is_some()
    }

    /// Whether the operation (or the whole description) asks for
    /// credentials, so a 401 or 403 is part of its contract.
    fn secured(&self, op: &Value) -> bool {
        let nonempty = |v: Option<&Value>| {
            v.and_then(Value::as_array).is_some_and(|l| {
                l.iter()
                    .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            })
        };
        match op.get("security") {
            Some(s) => nonempty(Some(s)),
            None => nonempty(self.doc.get("security")),
        }
    }

    /// Finds the response schema for a status and media type.
    pub fn lookup(&self, method: &str, path: &str, status: u16, media: Option<&str>) -> Lookup {
        let Some((path_key, op)) = self.operation(method, path) else {
            return Lookup::NoOperation;
        };
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return Lookup::StatusUndeclared;
        };
        let exact = status.to_string();
        let range = format!("{}XX", status / 100);
        let key = responses
            .keys()
            .find(|k| **k == exact)
            .or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case(&range)))
            .or_else(|| responses.keys().find(|k| *k == "default"));
        let Some(key) = key else {
            return Lookup::StatusUndeclared;
        };
        let mut response = &responses[key];
        let mut base = {
            let mut p = String::from("/paths/");
            push_escaped(&mut p, &path_key);
            p.push('/');
            p.push_str(&method.to_ascii_lowercase());
            p.push_str("/responses/");
            push_escaped(&mut p, key);
            p
        };
        // A response may be a reference to `components/responses`.
        if let Some(r) = response.get("$ref").and_then(Value::as_str)
            && let Some(target) = r.strip_prefix('#')
            && let Some(found) = self.doc.pointer(target)
        {
            response = found;
            base = target.to_string();
        }
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            return Lookup::NoSchema(format!("response {key} declares no content"));
        };
        let media = media
            .map(|m| {
                m.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default();
        let major = media.split('/').next().unwrap_or("").to_string();
        let pick = content
            .keys()
            .find(|k| k.eq_ignore_ascii_case(&media))
            .or_else(|| {
                content
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(&format!("{major}/*")))
            })
            .or_else(|| content.keys().find(|k| *k == "*/*"))
            .or_else(|| {
                // No media type given: the one JSON entry, if the response
                // declares exactly one.
                if media.is_empty() {
                    let json: Vec<&String> = content.keys().filter(|k| is_json(k)).collect();
                    (json.len() == 1).then(|| json[0])
                } else {
                    None
                }
            });
        let Some(media_key) = pick else {
            return Lookup::NoSchema(format!(
                "response {key} declares no `{}` content",
                if media.is_empty() { "(none)" } else { &media }
            ));
        };
        if content[media_key].get("schema").is_none() {
            return Lookup::NoSchema(format!("response {key} `{media_key}` has no schema"));
        }
        let mut pointer = base;
        pointer.push_str("/content/");
        push_escaped(&mut pointer, media_key);
        pointer.push_str("/schema");
        Lookup::Schema {
            pointer,
            status: key.clone(),
        }
    }

    /// Checks a response of `method path` against the description.
    pub fn check(&self, method: &str, path: &str, r: &Response) -> Verdict {
        let lookup = self.lookup(method, path, r.status, r.content_type);
        let status = r.status.to_string();
        let pointer = match lookup {
            Lookup::NoOperation => {
                return Verdict::NothingToCheck(format!(
                    "not validated: the description has no operation {method} {path}"
                ));
            }
            Lookup::StatusUndeclared => {
                if matches!(r.status, 401 | 403)
                    && self
                        .operation(method, path)
                        .is_some_and(|(_, op)| self.secured(op))
                {
                    return Verdict::NothingToCheck(format!(
                        "not validated: HTTP {} (the operation needs credentials)",
                        r.status
                    ));
                }
                let (path_key, _) = self
                    .operation(method, path)
                    .unwrap_or((path.to_string(), &Value::Null));
                let mut schema_pointer = String::from("#/paths/");
                push_escaped(&mut schema_pointer, &path_key);
                schema_pointer.push('/');
                schema_pointer.push_str(&method.to_ascii_lowercase());
                schema_pointer.push_str("/responses");
                return Verdict::StatusUndeclared(Drift {
                    id: ids::STATUS_UNDECLARED,
                    level: ids::level(ids::STATUS_UNDECLARED),
                    instance_pointer: String::new(),
                    pattern: String::new(),
                    schema_pointer,
                    message: format!(
                        "status {} is not declared for {method} {path} (nor its range, nor `default`)",
                        r.status
                    ),
                    sample: Some(status.clone()),
                    status,
                });
            }
            Lookup::NoSchema(why) => {
                return match r.content_type.filter(|ct| !is_json(ct)) {
                    Some(ct) => Verdict::Skipped(non_json(ct)),
                    None => Verdict::NothingToCheck(format!("not validated: {why}")),
                };
            }
            Lookup::Schema { pointer, .. } => pointer,
        };
        if !r.complete {
            return Verdict::Skipped(
                "not validated: the body is larger than the probe's body limit".into(),
            );
        }
        if let Some(ct) = r.content_type
            && !is_json(ct)
        {
            return Verdict::Skipped(non_json(ct));
        }
        let instance: Value = match serde_json::from_slice(r.body) {
            Ok(v) => v,
            Err(e) => {
                return Verdict::Skipped(format!(
                    "not validated: the body is not valid JSON ({e})"
                ));
            }
        };
        self.validate(&pointer, &instance, &status)
    }

    /// Validates `instance` against the schema at `pointer` (in the
    /// translated description).
    pub fn validate(&self, pointer: &str, instance: &Value, status: &str) -> Verdict {
        let shape = Shape::of(instance);
        let validator = match self.validator(pointer) {
            Ok(v) => v,
            Err(e) => return Verdict::Skipped(format!("not validated: {e}")),
        };
        let mut drifts: Vec<Drift> = Vec::new();
        let mut errors = 0usize;
        let mut cut = false;
        for error in validator.iter_errors(instance) {
            errors += 1;
            if errors > MAX_ERRORS {
                cut = true;
                break;
            }
            self.drifts_of(&error, instance, status, &mut drifts, 0);
        }
        let schema = self.doc.pointer(pointer).unwrap_or(&Value::Null);
        let mut walk = Walk {
            doc: &self.doc,
            nodes: 0,
            out: Vec::new(),
            status,
        };
        walk.object(schema, pointer, instance, &mut String::new(), 0);
        drifts.extend(walk.out);
        // One drift per pattern and keyword: the first of each kept.
        let mut seen = BTreeSet::new();
        drifts.retain(|d| seen.insert((d.id, d.pattern.clone(), d.schema_pointer.clone())));
        let mut note = None;
        if drifts.len() > MAX_DRIFTS {
            note = Some(format!(
                "{} more differences not kept",
                drifts.len() - MAX_DRIFTS
            ));
            drifts.truncate(MAX_DRIFTS);
        }
        if cut {
            note = Some(format!(
                "validation stopped after {MAX_ERRORS} errors; the rest of the body was not checked"
            ));
        }
        Verdict::Validated {
            status: status.to_string(),
            drifts,
            shape,
            note,
        }
    }

    fn validator(&self, pointer: &str) -> Result<jsonschema::Validator, String> {
        let mut root = serde_json::Map::new();
        root.insert(
            "$schema".into(),
            Value::String("https://json-schema.org/draft/2020-12/schema".into()),
        );
        root.insert(
            "$ref".into(),
            Value::String(format!("#{}", uri_escape(pointer))),
        );
        for key in ["paths", "components", "webhooks"] {
            if let Some(v) = self.doc.get(key) {
                root.insert(key.into(), v.clone());
            }
        }
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .should_ignore_unknown_formats(true)
            .build(&Value::Object(root))
            .map_err(|e| {
                format!(
                    "the response schema cannot be used: {}",
                    crate::text::one_line(&e.to_string())
                )
            })
    }

    /// The drifts one validation error stands for. A failed `anyOf` or
    /// `oneOf` stands for the errors of its closest member.
    fn drifts_of(
        &self,
        error: &jsonschema::ValidationError<'_>,
        instance: &Value,
        status: &str,
        out: &mut Vec<Drift>,
        depth: usize,
    ) {
        use jsonschema::error::ValidationErrorKind as K;
        let at = error.instance_path().as_str().to_string();
        let schema_pointer = error
            .absolute_keyword_location()
            .map(|u| {
                let s = u.as_str();
                format!(
                    "#{}",
                    percent_decode(s.split_once('#').map_or("", |(_, f)| f))
                )
            })
            .unwrap_or_else(|| format!("#{}", error.schema_path().as_str()));
        let expected = self
            .doc
            .pointer(schema_pointer.trim_start_matches('#'))
            .cloned()
            .unwrap_or(Value::Null);
        let value = instance.pointer(&at);
        let key = at.rsplit('/').next().unwrap_or("");
        let secret = at.split('/').any(secret_key);
        let seen = value.map(|v| sample(v, secret));
        let shown = if at.is_empty() {
            "the body".to_string()
        } else {
            format!("`{at}`")
        };
        let mut push =
            |id: &'static str, pointer: String, message: String, sample: Option<String>| {
                out.push(Drift {
                    id,
                    level: ids::level(id),
                    pattern: pattern_of(&pointer),
                    instance_pointer: pointer,
                    schema_pointer: schema_pointer.clone(),
                    message,
                    sample,
                    status: status.to_string(),
                });
            };
        match error.kind() {
            K::Required { property } => {
                let name = property.as_str().unwrap_or("");
                let mut pointer = at.clone();
                pointer.push('/');
                push_escaped(&mut pointer, name);
                push(
                    ids::MISSING_REQUIRED,
                    pointer,
                    format!("required property `{}` is missing", clip(name)),
                    None,
                );
            }
            K::Type { .. } => {
                let got = value.map_or("nothing", type_name);
                push(
                    ids::TYPE_MISMATCH,
                    at.clone(),
                    format!(
                        "{shown} is {got}, the description says {}",
                        brief(&expected)
                    ),
                    seen.clone(),
                );
            }
            K::Enum { .. } | K::Constant { .. } => push(
                ids::ENUM_UNDECLARED,
                at.clone(),
                format!(
                    "{shown} has a value the description does not list ({})",
                    brief(&expected)
                ),
                seen.clone(),
            ),
            K::Minimum { .. }
            | K::Maximum { .. }
            | K::ExclusiveMinimum { .. }
            | K::ExclusiveMaximum { .. }
            | K::MultipleOf { .. }
            | K::MinLength { .. }
            | K::MaxLength { .. }
            | K::MinItems { .. }
            | K::MaxItems { .. }
            | K::MinProperties { .. }
            | K::MaxProperties { .. }
            | K::UniqueItems => push(
                ids::OUT_OF_RANGE,
                at.clone(),
                format!(
                    "{shown} is outside `{}: {}`",
                    error.kind().keyword(),
                    brief(&expected)
                ),
                seen.clone(),
            ),
            K::Pattern { pattern } => push(
                ids::PATTERN_MISMATCH,
                at.clone(),
                format!("{shown} does not match the pattern `{}`", clip(pattern)),
                seen.clone(),
            ),
            K::Format { format } => push(
                ids::FORMAT_MISMATCH,
                at.clone(),
                format!("{shown} is not a valid `{}`", clip(format)),
                seen.clone(),
            ),
            K::AdditionalProperties { unexpected } | K::UnevaluatedProperties { unexpected } => {
                for name in unexpected {
                    let mut pointer = at.clone();
                    pointer.push('/');
                    push_escaped(&mut pointer, name);
                    let v = instance.pointer(&pointer);
                    push(
                        ids::PROPERTY_UNDECLARED,
                        pointer.clone(),
                        format!("property `{}` is not in the description", clip(name)),
                        v.map(|v| sample(v, secret || secret_key(name))),
                    );
                }
            }
            K::AnyOf { context } | K::OneOfNotValid { context } if depth < 8 => {
                // The member the value comes closest to.
                if let Some(best) = context.iter().min_by_key(|errs| errs.len())
                    && !best.is_empty()
                {
                    for e in best.iter().take(MAX_DRIFTS) {
                        self.drifts_of(e, instance, status, out, depth + 1);
                    }
                } else {
                    push(
                        ids::SCHEMA_MISMATCH,
                        at.clone(),
                        format!("{shown} matches none of the alternatives"),
                        seen.clone(),
                    );
                }
            }
            K::Referencing(e) => push(
                ids::SCHEMA_MISMATCH,
                at.clone(),
                format!(
                    "{shown} could not be checked: {}",
                    clip(&crate::text::one_line(&e.to_string()))
                ),
                None,
            ),
            other => {
                let _ = key;
                push(
                    ids::SCHEMA_MISMATCH,
                    at.clone(),
                    format!("{shown} fails `{}`", other.keyword()),
                    seen.clone(),
                )
            }
        }
    }
}

/// Finds properties a schema does not declare, where it does not say
/// whether others are allowed.
struct Walk<'a> {
    doc: &'a Value,
    nodes: usize,
    out: Vec<Drift>,
    status: &'a str,
}

/// How many `$ref`s are followed in a row, and how deep compositions are
/// looked into, before the walk gives up on a schema.
const MAX_REFS: usize = 32;
const MAX_COMPOSITION: usize = 8;

impl<'a> Walk<'a> {
    /// The schema and the schemas it is made of (`$ref`s followed,
    /// `allOf`/`anyOf`/`oneOf` members), with their pointers.
    fn parts(
        &self,
        schema: &'a Value,
        pointer: &str,
        instance: &Value,
        out: &mut Vec<(&'a Value, String)>,
        depth: usize,
    ) {
        if depth > MAX_COMPOSITION || out.len() > 64 {
            return;
        }
        let (mut schema, mut pointer) = (schema, pointer.to_string());
        let mut hops = 0;
        while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            hops += 1;
            let Some(target) = r.strip_prefix('#').map(percent_decode) else {
                return;
            };
            let Some(found) = self.doc.pointer(&target) else {
                return;
            };
            if hops > MAX_REFS || out.iter().any(|(_, p)| *p == target) {
                return;
            }
            schema = found;
            pointer = target;
        }
        if !schema.is_object() {
            return;
        }
        out.push((schema, pointer.clone()));
        for key in ["allOf", "anyOf", "oneOf"] {
            if let Some(list) = schema.get(key).and_then(Value::as_array) {
                for (i, member) in list.iter().enumerate() {
                    let at = format!("{pointer}/{key}/{i}");
                    self.parts(member, &at, instance, out, depth + 1);
                    // A discriminator's branch (see `translate`): its
                    // `then` when the value names it.
                    if let (Some(cond), Some(then)) = (member.get("if"), member.get("then"))
                        && applies(cond, instance)
                    {
                        self.parts(then, &format!("{at}/then"), instance, out, depth + 1);
                    }
                }
            }
        }
    }

    fn object(
        &mut self,
        schema: &'a Value,
        pointer: &str,
        instance: &Value,
        at: &mut String,
        depth: usize,
    ) {
        if self.nodes >= MAX_WALK_NODES || depth > 128 {
            return;
        }
        self.nodes += 1;
        let mut parts = Vec::new();
        self.parts(schema, pointer, instance, &mut parts, 0);
        match instance {
            Value::Object(map) => {
                let declares = parts.iter().any(|(s, _)| s.get("properties").is_some());
                let open = parts.iter().any(|(s, _)| {
                    [
                        "additionalProperties",
                        "patternProperties",
                        "unevaluatedProperties",
                    ]
                    .iter()
                    .any(|k| s.get(*k).is_some())
                });
                let len = at.len();
                for (k, v) in map {
                    at.push('/');
                    push_escaped(at, k);
                    let declared = parts.iter().find_map(|(s, p)| {
                        s.get("properties")
                            .and_then(|props| props.get(k))
                            .map(|sub| (sub, format!("{p}/properties/{}", escaped(k))))
                    });
                    match declared {
                        Some((sub, p)) => self.object(sub, &p, v, at, depth + 1),
                        None if declares && !open => {
                            let (_, p) = parts
                                .iter()
                                .find(|(s, _)| s.get("properties").is_some())
                                .cloned()
                                .unwrap_or((schema, pointer.to_string()));
                            let secret = at.split('/').any(secret_key);
                            self.out.push(Drift {
                                id: ids::PROPERTY_UNDECLARED,
                                level: ids::level(ids::PROPERTY_UNDECLARED),
                                instance_pointer: at.clone(),
                                pattern: pattern_of(at),
                                schema_pointer: format!("#{p}/properties"),
                                message: format!(
                                    "property `{}` is not in the description",
                                    clip(k)
                                ),
                                sample: Some(sample(v, secret)),
                                status: self.status.to_string(),
                            });
                        }
                        None => {
                            if let Some((sub, p)) = parts.iter().find_map(|(s, p)| {
                                s.get("additionalProperties")
                                    .filter(|a| a.is_object())
                                    .map(|a| (a, format!("{p}/additionalProperties")))
                            }) {
                                self.object(sub, &p, v, at, depth + 1);
                            }
                        }
                    }
                    at.truncate(len);
                }
            }
            Value::Array(list) => {
                let Some((items, p)) = parts.iter().find_map(|(s, p)| {
                    s.get("items")
                        .filter(|i| i.is_object())
                        .map(|i| (i, format!("{p}/items")))
                }) else {
                    return;
                };
                let len = at.len();
                for (i, v) in list.iter().enumerate() {
                    if self.nodes >= MAX_WALK_NODES {
                        break;
                    }
                    at.push('/');
                    at.push_str(&i.to_string());
                    self.object(items, &p, v, at, depth + 1);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }
}

/// Whether an `if` holds for `instance`, as far as the walk can tell: a
/// `{properties: {p: {const: v}}}` condition is judged, any other is
/// taken to hold (the walk then knows more properties, never fewer).
fn applies(cond: &Value, instance: &Value) -> bool {
    let Some(props) = cond.get("properties").and_then(Value::as_object) else {
        return true;
    };
    props.iter().all(|(k, s)| match s.get("const") {
        Some(c) => instance.get(k) == Some(c),
        None => true,
    })
}

fn non_json(content_type: &str) -> String {
    format!(
        "not validated: the response is `{}`, not JSON",
        crate::text::one_line(
            content_type
                .split(';')
                .next()
                .unwrap_or(content_type)
                .trim()
        )
    )
}

fn escaped(key: &str) -> String {
    let mut s = String::new();
    push_escaped(&mut s, key);
    s
}

/// Whether a media type is JSON (`application/json`, `…+json`).
pub fn is_json(media: &str) -> bool {
    let m = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    m == "application/json" || m.ends_with("+json") || m == "text/json" || m == "*/*"
}

/// A pointer with its array indices written `*`: `/items/3/id` →
/// `/items/*/id`. (A numeric object key is written `*` too; two such
/// drifts are then one.)
pub fn pattern_of(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// A short, scrubbed sample of a value, as JSON: secrets as `"***"`,
/// long strings cut, containers summarised.
pub fn sample(v: &Value, secret: bool) -> String {
    if secret && !v.is_null() {
        return "\"***\"".into();
    }
    match v {
        Value::String(s) => {
            if crate::watch::looks_like_credential(s) {
                return "\"***\"".into();
            }
            let s = scrub_email(s);
            let cut: String = s.chars().take(SAMPLE_CHARS).collect();
            let mut out = serde_json::to_string(&cut).unwrap_or_default();
            if s.chars().count() > SAMPLE_CHARS {
                out.insert(out.len() - 1, '…');
            }
            out
        }
        Value::Array(l) => format!(
            "[… {}]",
            crate::text::plural(l.len() as u64, "item", "items")
        ),
        Value::Object(m) => format!(
            "{{… {}}}",
            crate::text::plural(m.len() as u64, "key", "keys")
        ),
        other => {
            let s = other.to_string();
            s.chars().take(SAMPLE_CHARS).collect()
        }
    }
}

/// An email address's local part hidden: `***@example.com`.
fn scrub_email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !local.contains(char::is_whitespace)
                && domain.contains('.')
                && !domain.contains(char::is_whitespace) =>
        {
            format!("***@{domain}")
        }
        _ => s.to_string(),
    }
}

/// A schema keyword's value in a few words.
fn brief(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Array(list) => list
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    clip(&s)
}

/// At most 60 characters of a text from the description or response.
fn clip(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(59).collect();
        out.push('…');
        out
    }
}

/// Percent-encodes what may not stand in a URI fragment.
fn uri_escape(pointer: &str) -> String {
    let mut out = String::new();
    for b in pointer.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Undoes percent-encoding (invalid sequences stay as written).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            )
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A drift as the store keeps it.
pub fn stored(d: &Drift) -> crate::store::drift::NewDrift {
    crate::store::drift::NewDrift {
        check_id: d.id.to_string(),
        level: d.level.as_str().to_string(),
        pattern: d.pattern.clone(),
        instance_pointer: d.instance_pointer.clone(),
        schema_pointer: d.schema_pointer.clone(),
        message: d.message.clone(),
        sample: d.sample.clone(),
        status: d.status.clone(),
    }
}

/// What the store records of a verdict; `None` when there was nothing to
/// check (no schema declared for the response).
pub fn observed(v: &Verdict) -> Option<crate::store::drift::Observed> {
    use crate::store::drift::Observed;
    Some(match v {
        Verdict::Validated {
            status,
            drifts,
            shape,
            note,
        } => Observed::Validated {
            status: status.clone(),
            drifts: drifts.iter().map(stored).collect(),
            shape: serde_json::to_string(shape).unwrap_or_else(|_| "{}".into()),
            note: note.clone(),
        },
        Verdict::StatusUndeclared(d) => Observed::StatusUndeclared(stored(d)),
        Verdict::Skipped(why) => Observed::Skipped(why.clone()),
        Verdict::NothingToCheck(_) => return None,
    })
}

/// Merges two shapes kept as JSON (a shape that does not read is
/// replaced).
pub fn merge_shapes(day: &str, response: &str) -> String {
    let theirs: Shape = serde_json::from_str(response).unwrap_or_default();
    let mut mine: Shape = match serde_json::from_str(day) {
        Ok(s) => s,
        Err(_) => return response.to_string(),
    };
    mine.merge(&theirs);
    serde_json::to_string(&mine).unwrap_or_else(|_| response.to_string())
}

/// Checks a probe's response of a described operation and records what
/// it came to (drifts opened and cleared, with their `drift` alerts, the
/// day's shape, the operation's last check). Returns the one-line note a
/// response that could not be validated gets.
pub fn record(
    store: &mut crate::store::Store,
    watch_id: i64,
    operation: &str,
    at: i64,
    verdict: &Verdict,
) -> Result<Option<String>, crate::store::StoreError> {
    let Some(observed) = observed(verdict) else {
        return Ok(None);
    };
    store.record_conformance(
        watch_id,
        operation,
        at,
        &observed,
        merge_shapes,
        |watch, rec| crate::alert::drift::alerts(watch, operation, rec),
    )?;
    Ok(match verdict {
        Verdict::Skipped(why) => Some(why.clone()),
        Verdict::Validated { note: Some(n), .. } => Some(n.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests;
