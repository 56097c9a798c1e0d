//! Which endpoints of an API description can be probed safely, and at which
//! URLs.
//!
//! [`discover`] reads an OpenAPI 3.0/3.1 or Swagger 2.0 document (already
//! parsed into JSON) and returns one [`Target`] per operation a health check
//! may call without side effects, and one [`Skipped`] with a reason for every
//! other operation.
//!
//! # Base URL
//!
//! - OpenAPI 3: the first entry of `servers`, with each `{variable}` replaced
//!   by its `default`. An operation's own `servers`, else its path item's,
//!   override the document's. A relative server URL (`/v1`, `v1`,
//!   `//api.example.com`) is resolved against the URL the document was
//!   fetched from, and a document without `servers` means `/` on that host,
//!   as the specification says.
//! - Swagger 2.0: `schemes` (https preferred; an operation's own `schemes`
//!   override), `host` (else the host the document came from) and
//!   `basePath`. Without `schemes`, the scheme the document was fetched
//!   with, else https.
//!
//! A base URL must be http or https. Without one, nothing is probed and
//! every operation is skipped with the reason.
//!
//! # Which operations
//!
//! Only GET and HEAD. Every path parameter, and every *required* query and
//! header parameter, needs a value, taken from the first of:
//! the parameter's `example`, the first of its `examples`, `x-example`, its
//! schema's `example`, first `examples` item, `default`, `const`, first
//! `enum` value, then the parameter's own `default` and `enum` (Swagger 2.0),
//! and for OpenAPI 3 `content` parameters the same from the first media
//! type. Optional parameters are left out. A required request body is sent
//! from the example found the same way (of the JSON media type when there
//! is one; Swagger 2.0's `in: body` parameter as its `consumes` says), as
//! JSON or, for other media types, a string example as written; a form
//! body is never filled in. An operation that lacks a value for any
//! required parameter or body is skipped with a reason naming what is
//! missing.
//!
//! What a description may not make a probe do, whatever it says (the
//! operation is skipped, with the reason):
//!
//! - send a body with GET or HEAD (a GET that requires a body is skipped
//!   rather than probed without it);
//! - set the `Host`, `Cookie`, hop-by-hop (`Connection`, `Keep-Alive`,
//!   `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-*`),
//!   forwarding (`Forwarded`, `X-Forwarded-*`, `X-Real-IP`, `Via`) or
//!   `Content-Length` header ([`super::policy::forbidden_header`]);
//! - send a required cookie parameter.
//!
//! Where the probes may go (the servers' addresses) is the target policy's
//! business ([`super::policy`]), applied by the caller.
//!
//! Parameters and path items may be local `$ref`s (`#/components/…`,
//! `#/parameters/…`, `#/paths/…`); a chain longer than [`MAX_REF_HOPS`]
//! (a cycle, typically) is reported, not followed forever. `$ref`s into
//! other files cannot be followed, and an operation that needs one is
//! skipped.
//!
//! Path and query values are percent-encoded (everything except letters,
//! digits and `-._~`). Arrays are joined with `,` in paths and repeated as
//! `name=a&name=b` in queries (OpenAPI's default `form` style; `explode:
//! false` joins them with `,`). Object values are not filled in.
//!
//! Targets keep the order of `paths` (as `serde_json` gives it) and, within
//! a path, the order GET, HEAD; two operations that come out as the same
//! method and URL are probed once.
//!
//! Malformed input (`paths` not a mapping, `parameters` not a list, names
//! that are not strings…) is skipped over or reported; it never panics.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};
use url::Url;

/// How many `$ref`s a lookup follows before giving up.
pub const MAX_REF_HOPS: usize = 16;

/// Path item keys that are operations, in the order they are reported.
const METHODS: [&str; 9] = [
    "get", "head", "post", "put", "patch", "delete", "options", "trace", "query",
];

/// Header parameters OpenAPI says to ignore: the client sets them.
const IGNORED_HEADERS: [&str; 3] = ["accept", "content-type", "authorization"];

/// One request a health check may send.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// `GET` or `HEAD`.
    pub method: String,
    /// The full URL, parameters filled in and percent-encoded.
    pub url: String,
    /// The path as written in the document, such as `/pets/{petId}`.
    pub path: String,
    pub operation_id: Option<String>,
    /// Required header parameters, with their example values. Names
    /// lower-cased; never a [forbidden](super::policy::forbidden_header) one.
    pub headers: Vec<(String, String)>,
    /// A required request body, from the description's example: its media
    /// type and text. Never on GET or HEAD.
    pub body: Option<(String, String)>,
    /// The base URL the operation is sent to (its server), which an
    /// operation turned on by hand is keyed on.
    pub server: String,
}

/// The largest example body sent; a bigger one is not probed.
pub const MAX_EXAMPLE_BODY: usize = 64 * 1024;

/// An operation that is not probed, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Upper case; `*` when a whole path item could not be read.
    pub method: String,
    pub path: String,
    pub reason: String,
}

/// What [`discover`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Discovery {
    pub targets: Vec<Target>,
    pub skipped: Vec<Skipped>,
    /// The document-level base URL, when there is a usable one.
    pub base_url: Option<String>,
    /// Remarks about the document as a whole: why there is no base URL, an
    /// assumed scheme, a missing `paths`.
    pub notes: Vec<String>,
}

/// Finds the operations of `doc` that can be probed safely. `fetched_from`
/// is the URL the document was downloaded from, used to resolve relative
/// server URLs (ignored unless http or https).
pub fn discover(doc: &Value, fetched_from: Option<&str>) -> Discovery {
    discover_with(doc, fetched_from, &|_, _| false)
}

/// [`discover`], also probing the operations of other methods for which
/// `enabled(METHOD, path)` is true (the user turned them on one by one).
/// They still need every required parameter, and an example of a
/// required body.
pub fn discover_with(
    doc: &Value,
    fetched_from: Option<&str>,
    enabled: &dyn Fn(&str, &str) -> bool,
) -> Discovery {
    let mut out = Discovery::default();
    let Some(root) = doc.as_object() else {
        out.notes
            .push("the document is not a mapping, so it has no operations".to_owned());
        return out;
    };
    let origin = fetched_from
        .and_then(|u| Url::parse(u.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    let dialect = if root.contains_key("swagger") {
        Dialect::Swagger2
    } else {
        if !root.contains_key("openapi") {
            out.notes.push(
                "no `openapi` or `swagger` version field; reading it as OpenAPI 3".to_owned(),
            );
        }
        Dialect::OpenApi3
    };
    let ctx = Ctx {
        doc,
        root,
        origin,
        dialect,
    };
    let root_base = ctx.root_base(&mut out.notes);
    match &root_base {
        Ok(url) => out.base_url = Some(url.to_string()),
        Err(why) => out.notes.push(format!("no usable base URL: {why}")),
    }

    let paths = match root.get("paths") {
        Some(Value::Object(paths)) => paths,
        None => {
            out.notes.push("the document has no `paths`".to_owned());
            return out;
        }
        Some(other) => {
            out.notes
                .push(format!("`paths` is {}, not a mapping", kind(other)));
            return out;
        }
    };

    // (method, url) → the path first probed with it.
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    for (path, item) in paths {
        if path.starts_with("x-") {
            continue;
        }
        let item = match ctx.path_item(item) {
            Ok(item) => item,
            Err(why) => {
                out.skipped.push(Skipped {
                    method: "*".to_owned(),
                    path: path.clone(),
                    reason: why,
                });
                continue;
            }
        };
        for method in METHODS {
            let Some(op) = item.get(method) else {
                continue;
            };
            let upper = method.to_ascii_uppercase();
            let skip = |reason: String| Skipped {
                method: upper.clone(),
                path: path.clone(),
                reason,
            };
            let Value::Object(op) = op else {
                out.skipped.push(skip(format!(
                    "the operation is {}, not a mapping",
                    kind(op)
                )));
                continue;
            };
            if !matches!(method, "get" | "head") && !enabled(&upper, path) {
                out.skipped.push(skip(format!(
                    "{upper} is not a safe method; only GET and HEAD are probed unless enabled (apiradar health NAME --enable '{upper} {path}')"
                )));
                continue;
            }
            match ctx.target(path, &item, op, &upper, &root_base) {
                Ok(target) => {
                    let key = (target.method.clone(), target.url.clone());
                    if let Some(first) = seen.get(&key) {
                        out.skipped.push(skip(format!(
                            "same request as {} {first}, which is probed already",
                            target.method
                        )));
                    } else {
                        seen.insert(key, path.clone());
                        out.targets.push(target);
                    }
                }
                Err(why) => out.skipped.push(skip(why)),
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    OpenApi3,
    Swagger2,
}

struct Ctx<'d> {
    doc: &'d Value,
    root: &'d Map<String, Value>,
    /// `fetched_from`, when it is an http(s) URL.
    origin: Option<Url>,
    dialect: Dialect,
}

/// A path item: its own keys, then those of the item its `$ref` names.
struct PathItem<'d> {
    own: &'d Map<String, Value>,
    referenced: Option<&'d Map<String, Value>>,
}

impl<'d> PathItem<'d> {
    fn get(&self, key: &str) -> Option<&'d Value> {
        self.own
            .get(key)
            .filter(|_| key != "$ref")
            .or_else(|| self.referenced.and_then(|r| r.get(key)))
    }
}

/// A parameter, reduced to what filling it in needs.
struct Param<'d> {
    name: &'d str,
    location: &'d str,
    required: bool,
    object: &'d Map<String, Value>,
}

impl<'d> Ctx<'d> {
    fn root_base(&self, notes: &mut Vec<String>) -> Result<Url, String> {
        match self.dialect {
            Dialect::OpenApi3 => self.server_base(self.root.get("servers"), "the document's"),
            Dialect::Swagger2 => {
                let has_schemes = self
                    .root
                    .get("schemes")
                    .and_then(Value::as_array)
                    .is_some_and(|s| !s.is_empty());
                if !has_schemes && self.origin.is_none() {
                    notes.push("no `schemes`; assuming https".to_owned());
                }
                self.swagger_base(None)
            }
        }
    }

    /// OpenAPI 3: the first server of `servers`, or `/` when there is none.
    fn server_base(&self, servers: Option<&'d Value>, whose: &str) -> Result<Url, String> {
        let first = match servers {
            None => None,
            Some(Value::Array(list)) => list.first(),
            Some(other) => {
                return Err(format!("{whose} `servers` is {}, not a list", kind(other)));
            }
        };
        let Some(server) = first else {
            return match &self.origin {
                Some(origin) => origin
                    .join("/")
                    .map_err(|e| format!("cannot resolve `/` against {origin}: {e}")),
                None => Err(
                    "the document lists no `servers` (which means the host it came from), \
                     and it was not fetched from an http(s) URL"
                        .to_owned(),
                ),
            };
        };
        let Some(raw) = server.get("url").and_then(Value::as_str) else {
            return Err(format!("{whose} first server has no `url`"));
        };
        let expanded = expand_variables(raw.trim(), server.get("variables"))?;
        self.absolute(&expanded)
    }

    /// Resolves a server URL against the document's own URL if relative.
    fn absolute(&self, url: &str) -> Result<Url, String> {
        let mut resolved = match Url::parse(url) {
            Ok(u) => u,
            Err(url::ParseError::RelativeUrlWithoutBase) => match &self.origin {
                Some(origin) => origin
                    .join(url)
                    .map_err(|e| format!("server URL `{url}` cannot be resolved: {e}"))?,
                None => {
                    return Err(format!(
                        "server URL `{url}` is relative and the document was not fetched from an http(s) URL"
                    ));
                }
            },
            Err(e) => return Err(format!("server URL `{url}` is not a valid URL ({e})")),
        };
        if !matches!(resolved.scheme(), "http" | "https") || resolved.host_str().is_none() {
            return Err(format!(
                "server URL `{url}` is not an http(s) URL with a host"
            ));
        }
        resolved.set_query(None);
        resolved.set_fragment(None);
        Ok(resolved)
    }

    /// Swagger 2.0: `schemes` + `host` + `basePath`.
    fn swagger_base(&self, op_schemes: Option<&Value>) -> Result<Url, String> {
        let schemes: Vec<&str> = op_schemes
            .or_else(|| self.root.get("schemes"))
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let has = |s: &str| schemes.iter().any(|x| x.eq_ignore_ascii_case(s));
        let scheme = if has("https") {
            "https"
        } else if has("http") {
            "http"
        } else if !schemes.is_empty() {
            return Err(format!(
                "`schemes` ({}) has neither http nor https",
                schemes.join(", ")
            ));
        } else {
            self.origin.as_ref().map_or("https", Url::scheme)
        };
        let host = match self.root.get("host").and_then(Value::as_str).map(str::trim) {
            Some(host) if !host.is_empty() => {
                // Tolerate a scheme or a trailing slash written into `host`.
                let host = host.split_once("://").map_or(host, |(_, h)| h);
                host.trim_end_matches('/').to_owned()
            }
            _ => match &self.origin {
                Some(origin) => {
                    let name = origin.host_str().unwrap_or_default();
                    match origin.port() {
                        Some(port) => format!("{name}:{port}"),
                        None => name.to_owned(),
                    }
                }
                None => {
                    return Err(
                        "no `host`, and the document was not fetched from an http(s) URL"
                            .to_owned(),
                    );
                }
            },
        };
        let base_path = self
            .root
            .get("basePath")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("/");
        let slash = if base_path.starts_with('/') { "" } else { "/" };
        let text = format!("{scheme}://{host}{slash}{base_path}");
        let url = Url::parse(&text).map_err(|e| format!("`{text}` is not a valid URL ({e})"))?;
        if url.host_str().is_none_or(str::is_empty) {
            return Err(format!("`{text}` has no host"));
        }
        Ok(url)
    }

    fn path_item(&self, item: &'d Value) -> Result<PathItem<'d>, String> {
        let Value::Object(own) = item else {
            return Err(format!("the path item is {}, not a mapping", kind(item)));
        };
        let referenced = match own.get("$ref") {
            None => None,
            Some(_) => match self.resolve(item)? {
                Value::Object(target) => Some(target),
                other => {
                    return Err(format!(
                        "the path item's `$ref` points to {}, not a mapping",
                        kind(other)
                    ));
                }
            },
        };
        Ok(PathItem { own, referenced })
    }

    /// Follows `$ref`s from `value` until a value without one.
    fn resolve(&self, value: &'d Value) -> Result<&'d Value, String> {
        let mut current = value;
        let mut first_ref = None;
        for _ in 0..=MAX_REF_HOPS {
            match current.get("$ref") {
                None => return Ok(current),
                Some(Value::String(reference)) => {
                    first_ref.get_or_insert(reference.as_str());
                    current = self.follow(reference)?;
                }
                Some(other) => return Err(format!("a `$ref` is {}, not a string", kind(other))),
            }
        }
        Err(format!(
            "`$ref: {}` leads through more than {MAX_REF_HOPS} references (a cycle?)",
            first_ref.unwrap_or_default()
        ))
    }

    fn follow(&self, reference: &str) -> Result<&'d Value, String> {
        let Some(fragment) = reference.strip_prefix('#') else {
            return Err(format!(
                "`$ref: {reference}` points into another file, which is not followed"
            ));
        };
        let pointer = percent_decode(fragment);
        if pointer.is_empty() {
            return Ok(self.doc);
        }
        self.doc
            .pointer(&pointer)
            .ok_or_else(|| format!("`$ref: {reference}` points to nothing in the document"))
    }

    fn target(
        &self,
        path: &str,
        item: &PathItem<'d>,
        op: &'d Map<String, Value>,
        method: &str,
        root_base: &Result<Url, String>,
    ) -> Result<Target, String> {
        let base = match self.dialect {
            Dialect::OpenApi3 => {
                if let Some(servers) = op.get("servers").filter(|s| has_entries(s)) {
                    self.server_base(Some(servers), "the operation's")
                } else if let Some(servers) = item.get("servers").filter(|s| has_entries(s)) {
                    self.server_base(Some(servers), "the path's")
                } else {
                    root_base.clone()
                }
            }
            Dialect::Swagger2 => match op.get("schemes").filter(|s| has_entries(s)) {
                Some(schemes) => self.swagger_base(Some(schemes)),
                None => root_base.clone(),
            },
        }
        .map_err(|why| format!("no usable base URL: {why}"))?;

        let bodiless = matches!(method, "GET" | "HEAD");
        let no_body_on = || {
            format!(
                "it requires a request body, and a probe never sends a body with {method} \
                 (the operation is not probed)"
            )
        };
        let mut body = None;
        if let Some(request_body) = op.get("requestBody") {
            let request_body = self.resolve(request_body).unwrap_or(request_body);
            if request_body.get("required").and_then(Value::as_bool) == Some(true) {
                if bodiless {
                    return Err(no_body_on());
                }
                body = Some(self.body_example(request_body.get("content"))?);
            }
        }

        let params = self.parameters(item.get("parameters"), op.get("parameters"))?;
        let mut path_values: HashMap<&str, String> = HashMap::new();
        let mut query: Vec<(String, String)> = Vec::new();
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for param in &params {
            let needed = match param.location {
                "path" => true,
                "query" | "header" | "cookie" => param.required,
                "body" if param.required && bodiless => return Err(no_body_on()),
                "body" if param.required => {
                    let example = self.example_of(param.object).ok_or_else(|| {
                        format!(
                            "it requires a request body (parameter `{}`) and the description gives no example of it",
                            param.name
                        )
                    })?;
                    let media = self.swagger_json_type(op);
                    body = Some((media.clone(), body_text(&media, example)?));
                    continue;
                }
                "formData" if param.required => {
                    return Err(format!(
                        "it requires a form body (parameter `{}` in formData), which is not filled in",
                        param.name
                    ));
                }
                _ => false,
            };
            if !needed
                || (param.location == "header"
                    && IGNORED_HEADERS
                        .iter()
                        .any(|h| h.eq_ignore_ascii_case(param.name)))
            {
                continue;
            }
            if param.location == "header" && super::policy::forbidden_header(param.name) {
                return Err(format!(
                    "it requires the header `{}`, which a probe never takes from a description \
                     (Host, Cookie, hop-by-hop, forwarding and Content-Length headers)",
                    param.name
                ));
            }
            if param.location == "cookie" {
                return Err(format!(
                    "it requires the cookie `{}`, and a probe never sends cookies from a description",
                    param.name
                ));
            }
            let Some(value) = self.example_of(param.object) else {
                missing.push(format!("`{}` ({})", param.name, param.location));
                continue;
            };
            let values = scalars(value).ok_or_else(|| {
                format!(
                    "the example of {} parameter `{}` is an object or nested list, which is not filled in",
                    param.location, param.name
                )
            })?;
            match param.location {
                "path" => {
                    let encoded: Vec<String> = values.iter().map(|v| encode(v)).collect();
                    let joined = encoded.join(",");
                    if joined.is_empty() || joined == "." || joined == ".." {
                        return Err(format!(
                            "path parameter `{}` has the value `{joined}`, which would change the path",
                            param.name
                        ));
                    }
                    path_values.insert(param.name, joined);
                }
                "query" => {
                    let explode = param
                        .object
                        .get("explode")
                        .and_then(Value::as_bool)
                        .unwrap_or(true);
                    if explode {
                        for v in &values {
                            query.push((encode(param.name), encode(v)));
                        }
                    } else {
                        let joined: Vec<String> = values.iter().map(|v| encode(v)).collect();
                        query.push((encode(param.name), joined.join(",")));
                    }
                }
                _ => {
                    let joined = values.join(",");
                    if joined.chars().any(char::is_control) {
                        return Err(format!(
                            "the example of {} parameter `{}` contains control characters",
                            param.location, param.name
                        ));
                    }
                    headers.push((param.name.to_ascii_lowercase(), joined));
                }
            }
        }
        if !missing.is_empty() {
            let (noun, verb) = if missing.len() == 1 {
                ("parameter", "has")
            } else {
                ("parameters", "have")
            };
            return Err(format!(
                "required {noun} {} {verb} no example, default or enum value",
                missing.join(", ")
            ));
        }

        let filled = fill_template(path, &path_values)?;
        let mut text = base.as_str().trim_end_matches('/').to_owned();
        if !filled.starts_with('/') {
            text.push('/');
        }
        text.push_str(&filled);
        for (i, (name, value)) in query.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            let _ = write!(text, "{sep}{name}={value}");
        }
        let url = Url::parse(&text).map_err(|e| format!("`{text}` is not a valid URL ({e})"))?;
        Ok(Target {
            method: method.to_owned(),
            url: url.to_string(),
            path: path.to_owned(),
            operation_id: op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned),
            headers,
            body,
            server: base.to_string(),
        })
    }

    /// The example of a required OpenAPI 3 request body: of its JSON media
    /// type when it has one, else of its first.
    fn body_example(&self, content: Option<&'d Value>) -> Result<(String, String), String> {
        let no_example =
            || "it requires a request body and the description gives no example of it".to_owned();
        let content = content.and_then(Value::as_object).ok_or_else(no_example)?;
        let (media, object) = content
            .iter()
            .find(|(m, _)| is_json(m))
            .or_else(|| content.iter().next())
            .ok_or_else(no_example)?;
        let object = self.resolve(object).unwrap_or(object);
        let wrapper = serde_json::json!({ "content": { media.as_str(): object } });
        let example = wrapper
            .as_object()
            .and_then(|w| self.example_of(w))
            .ok_or_else(no_example)?
            .clone();
        Ok((media.clone(), body_text(media, &example)?))
    }

    /// The JSON media type a Swagger 2.0 operation consumes (its own
    /// `consumes`, else the document's), `application/json` by default.
    fn swagger_json_type(&self, op: &Map<String, Value>) -> String {
        op.get("consumes")
            .or_else(|| self.doc.get("consumes"))
            .and_then(Value::as_array)
            .and_then(|list| list.iter().filter_map(Value::as_str).find(|m| is_json(m)))
            .unwrap_or("application/json")
            .to_owned()
    }

    /// Path-level then operation-level parameters; an operation's parameter
    /// replaces the path's with the same name and location.
    fn parameters(
        &self,
        path_level: Option<&'d Value>,
        op_level: Option<&'d Value>,
    ) -> Result<Vec<Param<'d>>, String> {
        let mut params: Vec<Param<'d>> = Vec::new();
        for list in [path_level, op_level].into_iter().flatten() {
            let Value::Array(list) = list else {
                continue;
            };
            for entry in list {
                let object = match self.resolve(entry) {
                    Ok(Value::Object(object)) => object,
                    Ok(_) => continue,
                    Err(why) => return Err(format!("a parameter cannot be read: {why}")),
                };
                let (Some(name), Some(location)) = (
                    object.get("name").and_then(Value::as_str),
                    object.get("in").and_then(Value::as_str),
                ) else {
                    continue;
                };
                let param = Param {
                    name,
                    location,
                    required: object.get("required").and_then(Value::as_bool) == Some(true),
                    object,
                };
                match params
                    .iter_mut()
                    .find(|p| p.name == name && p.location == location)
                {
                    Some(existing) => *existing = param,
                    None => params.push(param),
                }
            }
        }
        Ok(params)
    }

    /// The first usable example value of a parameter.
    fn example_of(&self, param: &'d Map<String, Value>) -> Option<&'d Value> {
        let from_examples = |examples: Option<&'d Value>| -> Option<&'d Value> {
            match examples? {
                // OpenAPI 3: name → Example Object (or a `$ref` to one).
                Value::Object(map) => map
                    .values()
                    .filter_map(|ex| self.resolve(ex).ok()?.get("value"))
                    .find(|v| !v.is_null()),
                // JSON Schema (3.1): a list of values.
                Value::Array(list) => list.iter().find(|v| !v.is_null()),
                _ => None,
            }
        };
        let from_schema = |schema: Option<&'d Value>| -> Option<&'d Value> {
            let schema = self.resolve(schema?).ok()?;
            present(schema.get("example"))
                .or_else(|| from_examples(schema.get("examples")))
                .or_else(|| present(schema.get("default")))
                .or_else(|| present(schema.get("const")))
                .or_else(|| first_enum(schema.get("enum")))
        };
        let from_content = || -> Option<&'d Value> {
            let media = param.get("content")?.as_object()?.values().next()?;
            present(media.get("example"))
                .or_else(|| from_examples(media.get("examples")))
                .or_else(|| from_schema(media.get("schema")))
        };
        present(param.get("example"))
            .or_else(|| from_examples(param.get("examples")))
            .or_else(|| present(param.get("x-example")))
            .or_else(|| from_schema(param.get("schema")))
            .or_else(|| present(param.get("default")))
            .or_else(|| first_enum(param.get("enum")))
            .or_else(from_content)
    }
}

fn is_json(media: &str) -> bool {
    let media = media.to_ascii_lowercase();
    media.starts_with("application/json") || media.contains("+json")
}

/// The text of an example body: JSON for a JSON media type, a string
/// example as it is for the others.
fn body_text(media: &str, example: &Value) -> Result<String, String> {
    let text = match example {
        Value::String(s) if !is_json(media) => s.clone(),
        other if is_json(media) => other.to_string(),
        _ => {
            return Err(format!(
                "it requires a {media} request body and the description's example is not text"
            ));
        }
    };
    if text.len() > MAX_EXAMPLE_BODY {
        return Err(format!(
            "the example request body is {} bytes, over the {MAX_EXAMPLE_BODY} sent",
            text.len()
        ));
    }
    Ok(text)
}

fn present(value: Option<&Value>) -> Option<&Value> {
    value.filter(|v| !v.is_null())
}

fn first_enum(value: Option<&Value>) -> Option<&Value> {
    value?.as_array()?.iter().find(|v| !v.is_null())
}

fn has_entries(value: &Value) -> bool {
    value.as_array().is_some_and(|list| !list.is_empty())
}

/// The texts of a scalar or a list of scalars; `None` for anything else.
fn scalars(value: &Value) -> Option<Vec<String>> {
    fn scalar(value: &Value) -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
    match value {
        Value::Array(items) => items.iter().map(scalar).collect(),
        other => scalar(other).map(|s| vec![s]),
    }
}

/// `{variable}`s of a server URL replaced by their defaults.
fn expand_variables(raw: &str, variables: Option<&Value>) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!(
                "server URL `{raw}` has a `{{` that is never closed"
            ));
        };
        let name = &after[..close];
        let default = variables
            .and_then(|vars| vars.get(name))
            .and_then(|var| var.get("default"));
        match default {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Number(n)) => out.push_str(&n.to_string()),
            Some(Value::Bool(b)) => out.push_str(&b.to_string()),
            _ => {
                return Err(format!(
                    "server URL `{raw}` uses the variable `{{{name}}}`, which has no default"
                ));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The path with each `{name}` replaced by its (encoded) value.
fn fill_template(path: &str, values: &HashMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err(format!("the path `{path}` has a `{{` that is never closed"));
        };
        let name = &after[..close];
        let Some(value) = values.get(name) else {
            return Err(format!(
                "the path parameter `{name}` is not declared in `parameters`"
            ));
        };
        out.push_str(value);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes of a URI fragment; invalid escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match decoded {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn urls(d: &Discovery) -> Vec<String> {
        d.targets
            .iter()
            .map(|t| format!("{} {}", t.method, t.url))
            .collect()
    }

    fn reason(d: &Discovery, method: &str, path: &str) -> String {
        d.skipped
            .iter()
            .find(|s| s.method == method && s.path == path)
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{method} {path} not skipped: {d:#?}"))
    }

    #[test]
    fn oas3_server_variables_and_parameters() {
        let doc = json!({
            "openapi": "3.0.3",
            "servers": [
                {"url": "https://{region}.api.example.com:{port}/{version}",
                 "variables": {
                     "region": {"default": "eu", "enum": ["eu", "us"]},
                     "port": {"default": "8443"},
                     "version": {"default": "v1"}}},
                {"url": "https://other.example.com"}
            ],
            "paths": {
                "/pets": {
                    "get": {"operationId": "listPets", "parameters": [
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}},
                        {"name": "kind", "in": "query", "required": true, "schema": {"enum": ["cat", "dog"]}}
                    ]},
                    "post": {"operationId": "createPet"}
                },
                "/pets/{petId}": {
                    "parameters": [
                        {"name": "petId", "in": "path", "required": true, "example": "a b/c"}
                    ],
                    "get": {"operationId": "showPet"},
                    "head": {},
                    "delete": {}
                },
                "/search": {
                    "get": {"parameters": [
                        {"name": "q", "in": "query", "required": true,
                         "examples": {"first": {"value": "ünïcode & more"}, "second": {"value": "x"}}},
                        {"name": "tags", "in": "query", "required": true, "example": ["a", "b"]},
                        {"name": "ids", "in": "query", "required": true, "explode": false, "example": [1, 2]},
                        {"name": "X-Trace", "in": "header", "required": true, "schema": {"example": "t-1"}},
                        {"name": "Authorization", "in": "header", "required": true},
                        {"name": "session", "in": "cookie", "example": "s1"}
                    ]}
                }
            }
        });
        let d = discover(&doc, None);
        assert_eq!(
            d.base_url.as_deref(),
            Some("https://eu.api.example.com:8443/v1")
        );
        assert_eq!(
            urls(&d),
            [
                "GET https://eu.api.example.com:8443/v1/pets?kind=cat",
                "GET https://eu.api.example.com:8443/v1/pets/a%20b%2Fc",
                "HEAD https://eu.api.example.com:8443/v1/pets/a%20b%2Fc",
                "GET https://eu.api.example.com:8443/v1/search?q=%C3%BCn%C3%AFcode%20%26%20more&tags=a&tags=b&ids=1,2",
            ]
        );
        assert_eq!(d.targets[0].operation_id.as_deref(), Some("listPets"));
        assert_eq!(d.targets[0].path, "/pets");
        assert_eq!(d.targets[1].path, "/pets/{petId}");
        assert_eq!(d.targets[2].operation_id, None);
        assert_eq!(
            d.targets[3].headers,
            [("x-trace".to_owned(), "t-1".to_owned())]
        );
        assert_eq!(
            reason(&d, "POST", "/pets"),
            "POST is not a safe method; only GET and HEAD are probed unless enabled (apiradar health NAME --enable 'POST /pets')"
        );
        assert!(reason(&d, "DELETE", "/pets/{petId}").contains("not a safe method"));
        assert_eq!(d.skipped.len(), 2);
        assert!(d.notes.is_empty(), "{:?}", d.notes);
        // Turned on one by one, other methods are probed like GET.
        let d = discover_with(&doc, None, &|m, p| m == "POST" && p == "/pets");
        assert!(urls(&d).contains(&"POST https://eu.api.example.com:8443/v1/pets".to_owned()));
        assert!(reason(&d, "DELETE", "/pets/{petId}").contains("not a safe method"));
        assert_eq!(d.skipped.len(), 1);
    }

    #[test]
    fn server_variable_without_default() {
        let doc = json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://{tenant}.example.com", "variables": {"tenant": {"enum": ["a"]}}}],
            "paths": {"/ping": {"get": {}}, "/pong": {"post": {}}}
        });
        let d = discover(&doc, Some("https://docs.example.com/openapi.json"));
        assert!(d.targets.is_empty());
        assert_eq!(d.base_url, None);
        assert_eq!(
            d.notes,
            [
                "no usable base URL: server URL `https://{tenant}.example.com` uses the variable `{tenant}`, which has no default"
            ]
        );
        assert!(reason(&d, "GET", "/ping").starts_with("no usable base URL: server URL"));
        assert!(reason(&d, "POST", "/pong").contains("not a safe method"));
    }

    #[test]
    fn relative_and_missing_servers() {
        let from = Some("https://docs.example.com:8443/specs/openapi.yaml?raw=1");
        let with = |servers: Value| json!({"openapi": "3.0.0", "servers": servers, "paths": {"/a": {"get": {}}}});

        let d = discover(&with(json!([{"url": "/v1"}])), from);
        assert_eq!(urls(&d), ["GET https://docs.example.com:8443/v1/a"]);
        let d = discover(&with(json!([{"url": "//api.example.com/base/"}])), from);
        assert_eq!(d.base_url.as_deref(), Some("https://api.example.com/base/"));
        assert_eq!(urls(&d), ["GET https://api.example.com/base/a"]);
        let d = discover(&with(json!([{"url": "v2"}])), from);
        assert_eq!(urls(&d), ["GET https://docs.example.com:8443/specs/v2/a"]);
        // No servers: `/` on the host the document came from.
        let d = discover(
            &json!({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}),
            from,
        );
        assert_eq!(urls(&d), ["GET https://docs.example.com:8443/a"]);
        let d = discover(&with(json!([])), from);
        assert_eq!(urls(&d), ["GET https://docs.example.com:8443/a"]);
        // Relative, but nothing to resolve it against.
        for fetched in [None, Some("file:///tmp/openapi.json"), Some("not a url")] {
            let d = discover(&with(json!([{"url": "/v1"}])), fetched);
            assert!(d.targets.is_empty());
            assert!(d.notes[0].contains("is relative"), "{:?}", d.notes);
        }
        let d = discover(
            &json!({"openapi": "3.0.0", "paths": {"/a": {"get": {}}}}),
            None,
        );
        assert!(d.notes[0].contains("lists no `servers`"), "{:?}", d.notes);
        // Not http(s).
        let d = discover(&with(json!([{"url": "wss://stream.example.com"}])), from);
        assert!(d.notes[0].contains("not an http(s) URL"), "{:?}", d.notes);
        // Query and fragment of a server URL are dropped.
        let d = discover(
            &with(json!([{"url": "https://h.example.com/x?y=1#z"}])),
            None,
        );
        assert_eq!(urls(&d), ["GET https://h.example.com/x/a"]);
    }

    #[test]
    fn path_and_operation_servers_override() {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{"url": "https://root.example.com"}],
            "paths": {
                "/a": {"servers": [{"url": "https://path.example.com/p"}], "get": {},
                       "head": {"servers": [{"url": "https://op.example.com"}]}},
                "/b": {"get": {"servers": []}},
                "/c": {"get": {"servers": [{"url": "https://{x}.example.com"}]}}
            }
        });
        let d = discover(&doc, None);
        assert_eq!(
            urls(&d),
            [
                "GET https://path.example.com/p/a",
                "HEAD https://op.example.com/a",
                "GET https://root.example.com/b",
            ]
        );
        assert!(reason(&d, "GET", "/c").contains("`{x}`, which has no default"));
    }

    #[test]
    fn swagger2_host_base_path_schemes() {
        let doc = json!({
            "swagger": "2.0",
            "host": "petstore.example.com",
            "basePath": "/api/v2",
            "schemes": ["http", "https"],
            "parameters": {"Id": {"name": "id", "in": "path", "required": true, "type": "integer", "x-example": 7}},
            "paths": {
                "/pets/{id}": {"get": {"parameters": [{"$ref": "#/parameters/Id"}]}},
                "/pets": {
                    "get": {"parameters": [{"name": "status", "in": "query", "required": true, "type": "string", "enum": ["available", "sold"]}]},
                    "post": {"parameters": [{"name": "body", "in": "body", "required": true}]}
                },
                "/find": {"get": {"parameters": [{"name": "tag", "in": "query", "required": true, "type": "string", "default": "x"}]}},
                "/plain": {"get": {"schemes": ["http"]}},
                "/upload": {"get": {"parameters": [{"name": "file", "in": "formData", "required": true}]}}
            }
        });
        let d = discover(&doc, Some("https://elsewhere.example.com/swagger.json"));
        assert_eq!(
            d.base_url.as_deref(),
            Some("https://petstore.example.com/api/v2")
        );
        assert_eq!(
            urls(&d),
            [
                "GET https://petstore.example.com/api/v2/find?tag=x",
                "GET https://petstore.example.com/api/v2/pets?status=available",
                "GET https://petstore.example.com/api/v2/pets/7",
                "GET http://petstore.example.com/api/v2/plain",
            ]
        );
        assert!(reason(&d, "GET", "/upload").contains("requires a form body"));

        // Missing host → the host the document came from; missing schemes →
        // its scheme; missing basePath → `/`.
        let doc = json!({"swagger": "2.0", "paths": {"/a": {"get": {}}}});
        let d = discover(&doc, Some("http://localhost:8080/v2/swagger.json"));
        assert_eq!(urls(&d), ["GET http://localhost:8080/a"]);
        assert!(d.notes.is_empty());
        // Nothing to go on at all.
        let d = discover(&doc, None);
        assert!(d.targets.is_empty());
        assert_eq!(
            d.notes,
            [
                "no `schemes`; assuming https",
                "no usable base URL: no `host`, and the document was not fetched from an http(s) URL"
            ]
        );
        // Only non-http schemes.
        let doc = json!({"swagger": "2.0", "host": "h.example.com", "schemes": ["ws"], "paths": {"/a": {"get": {}}}});
        assert!(discover(&doc, None).notes[0].contains("neither http nor https"));
        // A scheme written into `host`, a basePath without a slash.
        let doc = json!({"swagger": "2.0", "host": "https://h.example.com/", "basePath": "v1", "paths": {"/a": {"get": {}}}});
        assert_eq!(
            urls(&discover(&doc, None)),
            ["GET https://h.example.com/v1/a"]
        );
    }

    #[test]
    fn required_bodies_are_sent_from_their_examples() {
        let doc = json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://api.example.com"}],
            "components": {
                "examples": {"Search": {"value": {"q": "rex", "limit": 1}}},
                "schemas": {"Login": {"type": "object", "example": {"user": "demo"}}}
            },
            "paths": {
                "/search": {"post": {"requestBody": {"required": true, "content": {
                    "text/plain": {"example": "not this one"},
                    "application/json": {"examples": {"s": {"$ref": "#/components/examples/Search"}}}
                }}}},
                "/login": {"post": {"requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Login"}}
                }}}},
                "/note": {"put": {"requestBody": {"required": true, "content": {
                    "text/plain": {"example": "hello"}
                }}}},
                "/blob": {"put": {"requestBody": {"required": true, "content": {
                    "application/octet-stream": {"example": {"not": "text"}}
                }}}},
                "/bare": {"post": {"requestBody": {"required": true, "content": {
                    "application/json": {"schema": {"type": "object"}}
                }}}}
            }
        });
        let d = discover_with(&doc, None, &|_, _| true);
        let body = |path: &str| {
            d.targets
                .iter()
                .find(|t| t.path == path)
                .and_then(|t| t.body.clone())
                .unwrap_or_else(|| panic!("{path} has no body: {d:#?}"))
        };
        let (media, text) = body("/search");
        assert_eq!(media, "application/json");
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"q": "rex", "limit": 1})
        );
        assert_eq!(body("/login").1, r#"{"user":"demo"}"#);
        assert_eq!(body("/note"), ("text/plain".into(), "hello".into()));
        assert!(reason(&d, "PUT", "/blob").contains("not text"));
        assert!(reason(&d, "POST", "/bare").contains("no example"));

        let swagger = json!({
            "swagger": "2.0",
            "host": "api.example.com",
            "consumes": ["application/vnd.api+json"],
            "paths": {
                "/pets": {"post": {"parameters": [{"name": "pet", "in": "body", "required": true,
                    "schema": {"type": "object", "example": {"name": "rex"}}}]}},
                "/bare": {"post": {"parameters": [{"name": "pet", "in": "body", "required": true,
                    "schema": {"type": "object"}}]}},
                "/form": {"post": {"parameters": [{"name": "f", "in": "formData", "required": true,
                    "type": "string", "example": "x"}]}}
            }
        });
        let d = discover_with(&swagger, None, &|_, _| true);
        let pets = d.targets.iter().find(|t| t.path == "/pets").unwrap();
        assert_eq!(
            pets.body,
            Some((
                "application/vnd.api+json".into(),
                r#"{"name":"rex"}"#.into()
            ))
        );
        assert!(reason(&d, "POST", "/bare").contains("no example"));
        assert!(reason(&d, "POST", "/form").contains("form body"));
    }

    #[test]
    fn required_parameters_need_values() {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{"url": "https://api.example.com"}],
            "components": {
                "schemas": {"Color": {"type": "string", "enum": ["red", "green"]}},
                "examples": {"Name": {"value": "rex"}}
            },
            "paths": {
                "/none/{id}": {"get": {"parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "opt", "in": "query", "schema": {"type": "string"}}
                ]}},
                "/undeclared/{id}": {"get": {}},
                "/schema-ref/{color}": {"get": {"parameters": [
                    {"name": "color", "in": "path", "required": true, "schema": {"$ref": "#/components/schemas/Color"}}
                ]}},
                "/example-ref/{name}": {"get": {"parameters": [
                    {"name": "name", "in": "path", "required": true, "examples": {"x": {"$ref": "#/components/examples/Name"}}}
                ]}},
                "/content": {"get": {"parameters": [
                    {"name": "filter", "in": "query", "required": true, "content": {"application/json": {"example": "{\"a\":1}"}}}
                ]}},
                "/object/{o}": {"get": {"parameters": [
                    {"name": "o", "in": "path", "required": true, "example": {"a": 1}}
                ]}},
                "/dots/{d}": {"get": {"parameters": [{"name": "d", "in": "path", "example": ".."}]}},
                "/typed/{n}/{b}": {"get": {"parameters": [
                    {"name": "n", "in": "path", "schema": {"default": 3.5}},
                    {"name": "b", "in": "path", "schema": {"examples": [null, true]}}
                ]}},
                "/body": {"get": {"requestBody": {"required": true, "content": {}}}},
                "/optional-body": {"get": {"requestBody": {"content": {}}}},
                "/crlf": {"get": {"parameters": [{"name": "X-A", "in": "header", "required": true, "example": "a\r\nInjected: 1"}]}},
                "/multi/{a}.{b}": {"get": {"parameters": [
                    {"name": "a", "in": "path", "example": "file"},
                    {"name": "b", "in": "path", "example": "json"}
                ]}}
            }
        });
        let d = discover(&doc, None);
        assert_eq!(
            urls(&d),
            [
                "GET https://api.example.com/content?filter=%7B%22a%22%3A1%7D",
                "GET https://api.example.com/example-ref/rex",
                "GET https://api.example.com/multi/file.json",
                "GET https://api.example.com/optional-body",
                "GET https://api.example.com/schema-ref/red",
                "GET https://api.example.com/typed/3.5/true",
            ]
        );
        assert_eq!(
            reason(&d, "GET", "/none/{id}"),
            "required parameters `id` (path), `q` (query) have no example, default or enum value"
        );
        assert_eq!(
            reason(&d, "GET", "/undeclared/{id}"),
            "the path parameter `id` is not declared in `parameters`"
        );
        assert!(reason(&d, "GET", "/object/{o}").contains("is an object"));
        assert!(reason(&d, "GET", "/dots/{d}").contains("would change the path"));
        assert_eq!(
            reason(&d, "GET", "/body"),
            "it requires a request body, and a probe never sends a body with GET (the operation is not probed)"
        );
        assert!(reason(&d, "GET", "/crlf").contains("control characters"));
    }

    #[test]
    fn operation_parameters_override_path_parameters() {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{"url": "https://api.example.com"}],
            "paths": {"/x/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true}],
                "get": {"parameters": [{"name": "id", "in": "path", "required": true, "example": 5}]}
            }}
        });
        assert_eq!(
            urls(&discover(&doc, None)),
            ["GET https://api.example.com/x/5"]
        );
    }

    #[test]
    fn refs_cycles_and_external_refs() {
        let doc = json!({
            "openapi": "3.1.0",
            "servers": [{"url": "https://api.example.com"}],
            "components": {
                "parameters": {
                    "Loop1": {"$ref": "#/components/parameters/Loop2"},
                    "Loop2": {"$ref": "#/components/parameters/Loop1"},
                    "Self": {"$ref": "#/components/parameters/Self"},
                    "Id": {"$ref": "#/components/parameters/RealId"},
                    "RealId": {"name": "id", "in": "path", "required": true, "example": "42"}
                },
                "pathItems": {
                    "Shared": {"get": {"operationId": "shared", "parameters": [{"$ref": "#/components/parameters/Id"}]}},
                    "Cyclic": {"$ref": "#/components/pathItems/Cyclic"}
                }
            },
            "paths": {
                "/cycle": {"get": {"parameters": [{"$ref": "#/components/parameters/Loop1"}]}},
                "/self": {"get": {"parameters": [{"$ref": "#/components/parameters/Self"}]}},
                "/external": {"get": {"parameters": [{"$ref": "common.yaml#/parameters/Id"}]}},
                "/dangling": {"get": {"parameters": [{"$ref": "#/components/parameters/Nope"}]}},
                "/shared/{id}": {"$ref": "#/components/pathItems/Shared"},
                "/alias": {"$ref": "#/paths/~1shared~1%7Bid%7D", "summary": "same as /shared/{id}"},
                "/cyclic": {"$ref": "#/components/pathItems/Cyclic"},
                "/ref-to-string": {"$ref": "#/openapi"}
            }
        });
        let d = discover(&doc, None);
        // `/alias` is the path item of `/shared/{id}`, by a percent-encoded
        // pointer through another `$ref`, under its own path.
        assert_eq!(
            urls(&d),
            [
                "GET https://api.example.com/alias",
                "GET https://api.example.com/shared/42",
            ]
        );
        assert_eq!(d.targets[0].operation_id.as_deref(), Some("shared"));
        assert_eq!(d.targets[1].operation_id.as_deref(), Some("shared"));
        assert!(reason(&d, "GET", "/cycle").contains("more than 16 references (a cycle?)"));
        assert!(reason(&d, "GET", "/self").contains("a cycle?"));
        assert!(reason(&d, "GET", "/external").contains("another file"));
        assert!(reason(&d, "GET", "/dangling").contains("points to nothing"));
        assert!(reason(&d, "*", "/cyclic").contains("a cycle?"));
        assert!(reason(&d, "*", "/ref-to-string").contains("not a mapping"));
    }

    #[test]
    fn duplicates_are_probed_once() {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{"url": "https://api.example.com"}],
            "paths": {
                "/a": {"get": {}},
                "/a/": {"get": {}, "head": {}},
                "/b/{x}": {"get": {"parameters": [{"name": "x", "in": "path", "example": "c"}]}},
                "/b/c": {"get": {}}
            }
        });
        let d = discover(&doc, None);
        assert_eq!(
            urls(&d),
            [
                "GET https://api.example.com/a",
                "GET https://api.example.com/a/",
                "HEAD https://api.example.com/a/",
                "GET https://api.example.com/b/c",
            ]
        );
        // `/b/c` sorts before `/b/{x}`, so it is the one probed.
        assert_eq!(
            reason(&d, "GET", "/b/{x}"),
            "same request as GET /b/c, which is probed already"
        );
    }

    #[test]
    fn malformed_documents_do_not_panic() {
        let cases = [
            json!(null),
            json!([1, 2]),
            json!("openapi"),
            json!({}),
            json!({"openapi": "3.0.0", "paths": []}),
            json!({"openapi": "3.0.0", "paths": {"/a": 5, "/b": {"get": "x"}, "x-ext": {"get": {}}}}),
            json!({"openapi": "3.0.0", "servers": {"url": "x"}, "paths": {"/a": {"get": {}}}}),
            json!({"openapi": "3.0.0", "servers": [5], "paths": {"/a": {"get": {}}}}),
            json!({"openapi": "3.0.0", "servers": [{"url": 5}], "paths": {"/a": {"get": {}}}}),
            json!({"openapi": "3.0.0", "servers": [{"url": "https://{x"}], "paths": {"/a": {"get": {}}}}),
            json!({"openapi": "3.0.0", "servers": [{"url": "https://h.example.com"}], "paths": {
                "/p": {"parameters": "nope", "get": {"parameters": {"a": 1}}},
                "/q": {"get": {"parameters": [5, null, {"name": 1, "in": "query"}, {"$ref": 5}]}},
                "/r/{": {"get": {}},
                "/s": {"$ref": 12},
                "/t": {"get": {"requestBody": {"$ref": "#/nope"}, "operationId": 5}}
            }}),
            json!({"swagger": "2.0", "host": 5, "schemes": "https", "basePath": ["/"], "paths": {"/a": {"get": {}}}}),
            json!({"swagger": "2.0", "host": "bad host name with spaces", "paths": {"/a": {"get": {}}}}),
        ];
        for doc in &cases {
            let d = discover(doc, Some("https://docs.example.com/spec.json"));
            for t in &d.targets {
                assert!(t.url.starts_with("http"), "{t:?}");
            }
        }
        let d = discover(&json!([1]), None);
        assert_eq!(
            d.notes,
            ["the document is not a mapping, so it has no operations"]
        );
        let d = discover(&json!({"openapi": "3.0.0", "paths": []}), None);
        assert!(
            d.notes
                .contains(&"`paths` is a list, not a mapping".to_owned())
        );
        let d = discover(&cases[5], Some("https://docs.example.com/spec.json"));
        assert!(d.targets.is_empty());
        assert!(reason(&d, "*", "/a").contains("is a number, not a mapping"));
        assert!(reason(&d, "GET", "/b").contains("is a string, not a mapping"));
        let d = discover(&cases[10], None);
        assert_eq!(
            urls(&d),
            ["GET https://h.example.com/p", "GET https://h.example.com/t",]
        );
        assert_eq!(d.targets[1].operation_id, None);
        // Malformed entries are passed over, but a `$ref` that cannot be
        // followed might hide a required parameter.
        assert!(reason(&d, "GET", "/q").contains("a parameter cannot be read"));
        assert!(reason(&d, "GET", "/r/{").contains("never closed"));
        assert!(reason(&d, "*", "/s").contains("not a string"));
        let d = discover(&cases[11], Some("https://docs.example.com/spec.json"));
        assert_eq!(urls(&d), ["GET https://docs.example.com/a"]);
    }

    #[test]
    fn descriptions_cannot_set_host_cookies_or_bodies_on_get() {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{"url": "https://api.example.com"}],
            "paths": {
                "/host": {"get": {"parameters": [{"name": "Host", "in": "header", "required": true, "example": "169.254.169.254"}]}},
                "/xff": {"get": {"parameters": [{"name": "X-Forwarded-For", "in": "header", "required": true, "example": "127.0.0.1"}]}},
                "/te": {"head": {"parameters": [{"name": "Transfer-Encoding", "in": "header", "required": true, "example": "chunked"}]}},
                "/cookie-header": {"get": {"parameters": [{"name": "Cookie", "in": "header", "required": true, "example": "a=b"}]}},
                "/cookie": {"get": {"parameters": [{"name": "session", "in": "cookie", "required": true, "example": "s1"}]}},
                "/optional": {"get": {"parameters": [{"name": "Host", "in": "header", "example": "evil"}]}},
                "/get-body": {"get": {"requestBody": {"required": true, "content": {"application/json": {"example": {"a": 1}}}}}},
                "/fine": {"get": {"parameters": [{"name": "X-Trace", "in": "header", "required": true, "example": "t"}]}}
            }
        });
        let d = discover_with(&doc, None, &|_, _| true);
        assert_eq!(
            urls(&d),
            [
                "GET https://api.example.com/fine",
                "GET https://api.example.com/optional",
            ]
        );
        assert!(d.targets.iter().all(|t| t.body.is_none()));
        assert!(d.targets[1].headers.is_empty(), "{:?}", d.targets[1]);
        for (m, p) in [
            ("GET", "/host"),
            ("GET", "/xff"),
            ("HEAD", "/te"),
            ("GET", "/cookie-header"),
        ] {
            assert!(
                reason(&d, m, p).contains("never takes from a description"),
                "{p}"
            );
        }
        assert!(reason(&d, "GET", "/cookie").contains("never sends cookies"));
        assert!(reason(&d, "GET", "/get-body").contains("never sends a body with GET"));
        let swagger = json!({
            "swagger": "2.0", "host": "api.example.com",
            "paths": {"/b": {"get": {"parameters": [{"name": "b", "in": "body", "required": true, "schema": {"example": {"a": 1}}}]}}}
        });
        let d = discover(&swagger, None);
        assert!(reason(&d, "GET", "/b").contains("never sends a body with GET"));
        assert_eq!(d.base_url.as_deref(), Some("https://api.example.com/"));
    }

    #[test]
    fn helpers() {
        assert_eq!(
            encode("a b/c?d=e&f~g.h_i-j"),
            "a%20b%2Fc%3Fd%3De%26f~g.h_i-j"
        );
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(percent_decode("/a%7Bb%7d/%zz/%4"), "/a{b}/%zz/%4");
        assert_eq!(percent_decode("%+1"), "%+1");
        assert_eq!(
            expand_variables(
                "https://{a}.x/{b}",
                Some(&json!({"a": {"default": "s"}, "b": {"default": 2}}))
            ),
            Ok("https://s.x/2".to_owned())
        );
        assert!(expand_variables("{a}", None).is_err());
    }
}
