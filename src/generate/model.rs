//! An API description read for generation: its operations with their
//! parameters, bodies, responses and security, `$ref`s left in place and
//! followed on demand ([`Api::resolve`]). Swagger 2.0 is read through its
//! OpenAPI 3 upgrade, so every writer sees one shape.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::diff::{METHODS, pointer_segment, upgrade};

/// How many `$ref` hops [`Api::resolve`] follows (a cycle ends there).
const MAX_REF_HOPS: usize = 32;

/// A parsed API description.
pub struct Api {
    /// The document in the OpenAPI 3 layout.
    pub root: Value,
    pub title: String,
    pub version: String,
    /// The first server's URL, variables at their defaults, or empty.
    pub server: String,
    pub operations: Vec<Op>,
    /// What could not be read, one line each.
    pub notes: Vec<String>,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum In {
    Path,
    Query,
    Header,
    Cookie,
}

impl In {
    pub fn as_str(self) -> &'static str {
        match self {
            In::Path => "path",
            In::Query => "query",
            In::Header => "header",
            In::Cookie => "cookie",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub location: In,
    pub required: bool,
    pub deprecated: bool,
    pub description: String,
    /// The schema as written (may be a `$ref`); `{}` when none.
    pub schema: Value,
    /// The parameter's own example, if any.
    pub example: Option<Value>,
    /// JSON pointer to the parameter.
    pub pointer: String,
}

#[derive(Debug, Clone)]
pub struct Body {
    pub media_type: String,
    pub required: bool,
    pub schema: Value,
    pub example: Option<Value>,
    pub pointer: String,
}

#[derive(Debug, Clone)]
pub struct Response {
    /// `200`, `4XX`, `default`.
    pub status: String,
    pub description: String,
    pub media_type: Option<String>,
    pub schema: Option<Value>,
    pub pointer: String,
}

/// How a request authenticates, as one header or query parameter whose
/// value is a `${VAR}` reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth {
    pub scheme: String,
    pub location: In,
    pub name: String,
    /// e.g. `Bearer ${PETSTORE_TOKEN}`.
    pub value: String,
    pub var: String,
}

#[derive(Debug, Clone)]
pub struct Op {
    /// Upper case.
    pub method: String,
    pub path: String,
    pub operation_id: Option<String>,
    pub summary: String,
    pub description: String,
    pub tags: Vec<String>,
    pub deprecated: bool,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub responses: Vec<Response>,
    pub auth: Option<Auth>,
    /// Names of the security schemes any of whose requirements admits a
    /// call (for docs).
    pub security: Vec<String>,
    pub pointer: String,
}

impl Op {
    /// `GET /pets/{id}`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// A name for generated code: the operationId, else method and path.
    pub fn code_name(&self) -> String {
        super::ident(self.operation_id.as_deref().unwrap_or(&format!(
            "{} {}",
            self.method.to_ascii_lowercase(),
            self.path
        )))
    }
}

impl Api {
    /// Reads a parsed OpenAPI 3.x or Swagger 2.0 document.
    pub fn new(doc: &Value) -> Api {
        let root = if doc.get("swagger").is_some() {
            upgrade::swagger2_to_openapi3(doc)
        } else {
            doc.clone()
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
        let info = root.get("info");
        let mut api = Api {
            title: text(info.and_then(|i| i.get("title"))),
            version: text(info.and_then(|i| i.get("version"))),
            server: String::new(),
            operations: Vec::new(),
            notes: Vec::new(),
            root: Value::Null,
        };
        api.server = server_url(root.get("servers"));
        let mut ops = Vec::new();
        match root.get("paths") {
            Some(Value::Object(paths)) => {
                for (path, item) in paths {
                    if path.starts_with("x-") {
                        continue;
                    }
                    let (item, _) = resolve_in(&root, item);
                    let Some(item) = item.as_object() else {
                        api.notes
                            .push(format!("path `{path}` is not a mapping; skipped"));
                        continue;
                    };
                    for method in METHODS {
                        let Some(op) = item.get(method).filter(|v| v.is_object()) else {
                            continue;
                        };
                        let pointer = format!("/paths/{}/{method}", pointer_segment(path));
                        ops.push(read_op(&root, path, method, op, item, pointer));
                    }
                }
            }
            Some(_) => api.notes.push("`paths` is not a mapping".to_owned()),
            None => api.notes.push("the description has no `paths`".to_owned()),
        }
        api.operations = ops;
        api.root = root;
        api
    }

    /// Follows `$ref`s from `value` (local ones; at most a few dozen hops).
    pub fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        resolve_in(&self.root, value).0
    }

    /// The operations, sorted by path then method (the order of every
    /// generated file).
    pub fn sorted_operations(&self) -> Vec<&Op> {
        let mut ops: Vec<&Op> = self.operations.iter().collect();
        ops.sort_by(|a, b| {
            (a.path.as_str(), method_rank(&a.method))
                .cmp(&(b.path.as_str(), method_rank(&b.method)))
        });
        ops
    }
}

fn method_rank(m: &str) -> usize {
    METHODS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(m))
        .unwrap_or(METHODS.len())
}

/// `value` with local `$ref`s followed, and the last reference followed.
pub fn resolve_in<'a>(root: &'a Value, mut value: &'a Value) -> (&'a Value, Option<&'a str>) {
    let mut name = None;
    for _ in 0..MAX_REF_HOPS {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let target = reference.strip_prefix('#').and_then(|p| {
            if p.is_empty() {
                Some(root)
            } else {
                root.pointer(p)
            }
        });
        match target {
            Some(t) => {
                name = Some(reference);
                value = t;
            }
            None => break,
        }
    }
    (value, name)
}

fn server_url(servers: Option<&Value>) -> String {
    let Some(server) = servers.and_then(Value::as_array).and_then(|s| s.first()) else {
        return String::new();
    };
    let mut url = server
        .get("url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(default) = var.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    url.trim_end_matches('/').to_owned()
}

fn first_example(v: &Value) -> Option<Value> {
    if let Some(e) = v.get("example") {
        return Some(e.clone());
    }
    match v.get("examples") {
        Some(Value::Object(map)) => map.values().next().and_then(|e| e.get("value")).cloned(),
        Some(Value::Array(items)) => items.first().cloned(),
        _ => None,
    }
}

fn read_op(
    root: &Value,
    path: &str,
    method: &str,
    op: &Value,
    item: &serde_json::Map<String, Value>,
    pointer: String,
) -> Op {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
    // Path-item parameters first; the operation's own override them by
    // location and name.
    let mut params: BTreeMap<(In, String), Param> = BTreeMap::new();
    let mut order: Vec<(In, String)> = Vec::new();
    let lists = [
        (
            item.get("parameters"),
            format!("/paths/{}/parameters", pointer_segment(path)),
        ),
        (op.get("parameters"), format!("{pointer}/parameters")),
    ];
    for (list, list_pointer) in lists {
        for (i, p) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let (p, _) = resolve_in(root, p);
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                continue;
            };
            let location = match p.get("in").and_then(Value::as_str) {
                Some("path") => In::Path,
                Some("query") => In::Query,
                Some("header") => In::Header,
                Some("cookie") => In::Cookie,
                _ => continue,
            };
            let mut schema = p.get("schema").cloned();
            let mut example = first_example(p);
            if schema.is_none()
                && let Some(content) = p.get("content").and_then(Value::as_object)
                && let Some(media) = content.values().next()
            {
                schema = media.get("schema").cloned();
                example = example.or_else(|| first_example(media));
            }
            let key = (location, name.to_owned());
            if !params.contains_key(&key) {
                order.push(key.clone());
            }
            params.insert(
                key,
                Param {
                    name: name.to_owned(),
                    location,
                    required: location == In::Path
                        || p.get("required").and_then(Value::as_bool).unwrap_or(false),
                    deprecated: p
                        .get("deprecated")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    description: text(p.get("description")),
                    schema: schema.unwrap_or_else(|| Value::Object(Default::default())),
                    example,
                    pointer: format!("{list_pointer}/{i}"),
                },
            );
        }
    }
    let params = order
        .into_iter()
        .filter_map(|k| params.remove(&k))
        .collect();

    let body = op.get("requestBody").and_then(|b| {
        let (b, _) = resolve_in(root, b);
        let content = b.get("content")?.as_object()?;
        let (media_type, media) = content
            .iter()
            .find(|(t, _)| is_json(t))
            .or_else(|| content.iter().next())?;
        Some(Body {
            media_type: media_type.clone(),
            required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
            schema: media
                .get("schema")
                .cloned()
                .unwrap_or_else(|| Value::Object(Default::default())),
            example: first_example(media),
            pointer: format!(
                "{pointer}/requestBody/content/{}",
                pointer_segment(media_type)
            ),
        })
    });

    let mut responses = Vec::new();
    if let Some(map) = op.get("responses").and_then(Value::as_object) {
        for (status, r) in map {
            let (r, _) = resolve_in(root, r);
            let content = r.get("content").and_then(Value::as_object);
            let media = content.and_then(|c| {
                c.iter()
                    .find(|(t, _)| is_json(t))
                    .or_else(|| c.iter().next())
            });
            responses.push(Response {
                status: status.clone(),
                description: text(r.get("description")),
                media_type: media.map(|(t, _)| t.clone()),
                schema: media.and_then(|(_, m)| m.get("schema").cloned()),
                pointer: format!("{pointer}/responses/{}", pointer_segment(status)),
            });
        }
    }

    let requirements = op
        .get("security")
        .or_else(|| root.get("security"))
        .and_then(Value::as_array);
    let mut security = Vec::new();
    let mut auth = None;
    for req in requirements.into_iter().flatten() {
        for name in req.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !security.contains(name) {
                security.push(name.clone());
            }
            if auth.is_none() {
                auth = scheme_auth(root, name);
            }
        }
    }

    Op {
        method: method.to_ascii_uppercase(),
        path: path.to_owned(),
        operation_id: op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_owned),
        summary: text(op.get("summary")),
        description: text(op.get("description")),
        tags: op
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        deprecated: op
            .get("deprecated")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        params,
        body,
        responses,
        auth,
        security,
        pointer,
    }
}

/// Whether a media type carries JSON.
pub fn is_json(media_type: &str) -> bool {
    let t = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    t == "application/json" || t.ends_with("+json") || t == "*/*"
}

/// The environment variable a scheme's credential is read from:
/// `SCHEME_NAME_TOKEN` in upper case.
pub fn auth_var(scheme: &str) -> String {
    let mut var = super::ident(scheme).to_ascii_uppercase();
    if let Some(rest) = var.strip_prefix("OP_") {
        var = rest.to_owned();
    }
    if var.is_empty() {
        var = "API".to_owned();
    }
    format!("{var}_TOKEN")
}

fn scheme_auth(root: &Value, name: &str) -> Option<Auth> {
    let scheme = root.pointer(&format!(
        "/components/securitySchemes/{}",
        pointer_segment(name)
    ))?;
    let (scheme, _) = resolve_in(root, scheme);
    let var = auth_var(name);
    let kind = scheme.get("type").and_then(Value::as_str).unwrap_or("");
    let header = |value: String| Auth {
        scheme: name.to_owned(),
        location: In::Header,
        name: "Authorization".to_owned(),
        value,
        var: var.clone(),
    };
    match kind {
        "http" => match scheme
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_ascii_lowercase()
            .as_str()
        {
            "basic" => Some(header(format!("Basic ${{{var}}}"))),
            _ => Some(header(format!("Bearer ${{{var}}}"))),
        },
        "oauth2" | "openIdConnect" => Some(header(format!("Bearer ${{{var}}}"))),
        "apiKey" => {
            let key = scheme.get("name").and_then(Value::as_str)?.to_owned();
            let location = match scheme.get("in").and_then(Value::as_str) {
                Some("query") => In::Query,
                Some("header") => In::Header,
                Some("cookie") => In::Cookie,
                _ => return None,
            };
            Some(Auth {
                scheme: name.to_owned(),
                location,
                name: key,
                value: format!("${{{var}}}"),
                var,
            })
        }
        _ => None,
    }
}
