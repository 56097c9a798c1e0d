//! Fetched bodies to documents, and documents to the canonical bytes that
//! decide whether a poll found a new version.
//!
//! The store keeps every body exactly as published, but compares versions by
//! their canonical form, so re-serialising the same document (other key
//! order, indentation, JSON instead of YAML, other quoting) is not a change:
//!
//! - `openapi` and `json` watches: parsed ([`parse_document`]), then printed
//!   as pretty JSON with sorted keys ([`canonical`]).
//! - `page` watches: rendered to readable text and tidied ([`page`]).
//!
//! Every body is untrusted. Empty bodies, non-UTF-8, HTML login pages,
//! invalid syntax, absurd nesting and YAML alias bombs all come back as a
//! [`SpecError`] whose message is one line a user can act on; parsing never
//! recurses without a bound and never expands aliases past [`Limits`].

pub mod canonical;
mod document;
mod error;
pub mod ignore;
pub mod openapi;
pub mod page;
mod text;
pub mod yaml;

use std::fmt;

pub use document::parse_document;
pub use error::{ByteBudget, SpecError};

use crate::watch::Kind;

/// The syntax a structured document was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocFormat {
    Json,
    Yaml,
}

impl DocFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DocFormat::Json => "json",
            DocFormat::Yaml => "yaml",
        }
    }
}

impl fmt::Display for DocFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Bounds on what a document may cost to load.
///
/// Values are serialised and dropped recursively once built, so `max_depth`
/// also bounds stack use; keep it in the hundreds, not the millions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest nesting of arrays/objects (sequences/mappings) allowed,
    /// counted after alias expansion; for pages, of HTML elements. Default
    /// 512; real specs stay below 40. Flow-style nesting (`[[…]]`, and so
    /// all JSON) is capped lower, at 255, by the YAML scanner
    /// ([`yaml::FLOW_DEPTH_LIMIT`]).
    pub max_depth: usize,
    /// Most nodes (scalars, collections and mapping keys) a document may
    /// expand to, aliases copied out. Default 20 000 000; the 13 MB GitHub
    /// REST spec has about 480 000, the largest OpenAI spec about 110 000.
    pub max_nodes: usize,
    /// Most nodes YAML aliases may copy in total. This is what stops an
    /// alias bomb early: a few hundred bytes could otherwise still expand
    /// to `max_nodes` and gigabytes of memory. Default 1 000 000; OpenAI's
    /// specs copy about 250.
    pub max_alias_nodes: usize,
    /// Most bytes of text (scalars and keys) YAML aliases and merge keys
    /// may copy in total. Nodes alone do not bound memory: one 1 MiB
    /// string aliased 3 000 times is 3 001 nodes and 3 GB. Default 16 MiB;
    /// the real specs of the shared corpus copy at most a few KiB.
    pub max_alias_bytes: usize,
    /// Most bytes a document may expand to. Checked twice: while loading,
    /// against the text of every scalar and key counted once per copy
    /// (aliases and merge keys copied out); and while writing the
    /// canonical form, against its size, which also counts indentation
    /// (deep nesting multiplies it: one byte per item of a list 250 levels
    /// down becomes 500). Default 256 MiB: four times the default
    /// `max_body`; the 12 MiB GitHub REST spec has a 12 MiB canonical form.
    pub max_expanded_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 512,
            max_nodes: 20_000_000,
            max_alias_nodes: 1_000_000,
            max_alias_bytes: 16 * 1024 * 1024,
            max_expanded_bytes: 256 * 1024 * 1024,
        }
    }
}

/// How to normalize a body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NormalizeOptions<'a> {
    /// For `json` watches: sort arrays of objects by this key (see
    /// [`canonical`]), so a catalog returned in another order is not a new
    /// version. Ignored for other kinds.
    pub item_key: Option<&'a str>,
    pub limits: Limits,
    /// For `json` watches: fields left out of the canonical form (see
    /// [`ignore`]), so a change only there is not a new version.
    pub ignore: &'a [ignore::FieldGlob],
    /// For `json` watches without `item_key`: use the key
    /// [`canonical::detect_item_key`] finds, if any.
    pub detect_key: bool,
}

/// A body reduced to what versions are compared by, plus what was learnt
/// about it on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    /// The bytes that decide whether this is a new version.
    pub canonical: Vec<u8>,
    /// The source format: `"json"`, `"yaml"`, `"html"` or `"text"`.
    pub format: String,
    /// `"openapi 3.1.0"` or `"swagger 2.0"` for `openapi` watches.
    pub spec_version: Option<String>,
    /// `info.title` of an OpenAPI document, or the `<title>` of a page.
    pub title: Option<String>,
}

/// Parses and normalizes a fetched body according to the watch's kind.
///
/// - [`Kind::OpenApi`]: JSON or YAML that must be a mapping with
///   `openapi: 3.x` or `swagger: 2.x`; anything else is
///   [`SpecError::NotOpenApi`]. Nothing else is required.
/// - [`Kind::Json`]: any JSON or YAML value, with catalog arrays sorted by
///   `opts.item_key` when given.
/// - [`Kind::Page`]: HTML rendered to text, or plain text, tidied.
pub fn normalize(kind: Kind, raw: &[u8], opts: &NormalizeOptions) -> Result<Normalized, SpecError> {
    match kind {
        Kind::OpenApi => {
            let (doc, format) = parse_document(raw, &opts.limits)?;
            let spec_version = openapi::spec_version(&doc, format)?;
            let title = openapi::info_title(&doc);
            Ok(Normalized {
                canonical: canonical::canonical_bytes(doc, None, opts.limits.max_expanded_bytes)?,
                format: format.as_str().to_owned(),
                spec_version: Some(spec_version),
                title,
            })
        }
        Kind::Json => {
            let (mut doc, format) = parse_document(raw, &opts.limits)?;
            check_json(&doc, format, raw)?;
            let detected = match opts.item_key {
                None if opts.detect_key => canonical::detect_item_key(&doc),
                _ => None,
            };
            ignore::strip(&mut doc, opts.ignore);
            Ok(Normalized {
                canonical: canonical::canonical_bytes(
                    doc,
                    opts.item_key.or(detected),
                    opts.limits.max_expanded_bytes,
                )?,
                format: format.as_str().to_owned(),
                spec_version: None,
                title: None,
            })
        }
        Kind::Page => page::normalize_page(text::decode(raw)?, &opts.limits),
    }
}

/// Refuses, for a `json` watch, what YAML reads as one string: an error
/// page served as text/plain with status 200 must not become a version.
pub fn check_json(doc: &serde_json::Value, format: DocFormat, raw: &[u8]) -> Result<(), SpecError> {
    if format == DocFormat::Yaml && !(doc.is_object() || doc.is_array()) {
        let text = String::from_utf8_lossy(raw);
        let preview: String = text.trim().chars().take(60).collect();
        return Err(SpecError::PlainText { preview });
    }
    Ok(())
}

/// What told a document's kind, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    /// The bytes alone: JSON syntax, an HTML page, plain text.
    Content,
    /// The file or URL name: `.json`, `.yaml`, `.yml` (structured) or
    /// `.html`, `.htm` (a page).
    Extension,
    /// A top-level `openapi` or `swagger` field.
    Key,
}

/// The kind one document looks like, told before anything is compared or
/// stored, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub kind: Kind,
    pub evidence: Evidence,
    /// Set when the document looks like OpenAPI or JSON (by a version field
    /// in its text, its extension or its first character) but does not
    /// parse. Comparing or storing it as a page would be silently wrong,
    /// so the caller must refuse it with this error.
    pub error: Option<SpecError>,
}

impl Detection {
    /// `openapi (by its `openapi` field)`, for messages.
    pub fn describe(&self) -> String {
        let why = match (self.kind, self.evidence) {
            (_, Evidence::Key) => "by its `openapi`/`swagger` field",
            (_, Evidence::Extension) => "by its file extension",
            (_, Evidence::Content) => "by its content",
        };
        format!("{} ({why})", self.kind)
    }
}

/// Tells the kind of one document: its `openapi`/`swagger` key first, then
/// the extension of `name` (a path or URL, when known), then the content.
///
/// Never falls back silently: a document that looks like OpenAPI or JSON
/// and fails to parse comes back with `error` set.
pub fn detect(raw: &[u8], name: Option<&str>, limits: &Limits) -> Detection {
    detect_keeping(raw, name, limits).0
}

/// A document as [`parse_document`] reads it, and the syntax it was in.
pub type Parsed = (serde_json::Value, DocFormat);

/// [`detect`], with the document it parsed to tell (`None` when it told
/// without parsing, or could not parse): the same as
/// [`parse_document`] with these limits gives, so a comparison can start
/// from it instead of parsing again.
pub fn detect_keeping(
    raw: &[u8],
    name: Option<&str>,
    limits: &Limits,
) -> (Detection, Option<Parsed>) {
    let ext = name.and_then(extension_of);
    let structured_ext = matches!(ext.as_deref(), Some("json" | "yaml" | "yml"));
    let page_ext = matches!(ext.as_deref(), Some("html" | "htm"));
    let found = |kind, evidence| Detection {
        kind,
        evidence,
        error: None,
    };
    // The common case, a JSON description, is told from its top-level
    // keys without building the whole tree (the comparison parses it in
    // full, and says so if it cannot).
    if openapi_json_object(raw) {
        return (found(Kind::OpenApi, Evidence::Key), None);
    }
    match parse_document(raw, limits) {
        Ok((doc, format)) => {
            let has_key = doc
                .as_object()
                .is_some_and(|m| m.contains_key("openapi") || m.contains_key("swagger"));
            let detection = if has_key {
                found(Kind::OpenApi, Evidence::Key)
            } else if structured_ext {
                found(Kind::Json, Evidence::Extension)
            } else if page_ext {
                found(Kind::Page, Evidence::Extension)
            } else if format == DocFormat::Json
                || (doc.is_object() || doc.is_array()) && check_json(&doc, format, raw).is_ok()
            {
                found(Kind::Json, Evidence::Content)
            } else {
                found(Kind::Page, Evidence::Content)
            };
            (detection, Some((doc, format)))
        }
        Err(error) => {
            let text = String::from_utf8_lossy(raw);
            let refuse = |kind, evidence| Detection {
                kind,
                evidence,
                error: Some(error.clone()),
            };
            let detection = if looks_like_openapi(&text) {
                refuse(Kind::OpenApi, Evidence::Key)
            } else if structured_ext {
                refuse(Kind::Json, Evidence::Extension)
            } else if page_ext {
                found(Kind::Page, Evidence::Extension)
            } else if text::trim_start(&text).starts_with(['{', '[']) {
                refuse(Kind::Json, Evidence::Content)
            } else if matches!(error, SpecError::NotUtf8 { .. } | SpecError::Empty) {
                // Not readable as any kind; the comparison says so.
                refuse(Kind::Page, Evidence::Content)
            } else {
                found(Kind::Page, Evidence::Content)
            };
            (detection, None)
        }
    }
}

/// Whether `raw` is well-formed JSON whose top level is an object with an
/// `openapi` or `swagger` member: read through, only the top-level keys
/// kept. False for anything else (YAML, an HTML page, another encoding, a
/// nesting serde_json stops at), which [`detect`] then parses in full.
fn openapi_json_object(raw: &[u8]) -> bool {
    use serde::de::IgnoredAny;
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    serde_json::from_slice::<std::collections::HashMap<String, IgnoredAny>>(raw)
        .is_ok_and(|top| top.contains_key("openapi") || top.contains_key("swagger"))
}

/// The lower-case extension of the last segment of a path or URL.
fn extension_of(name: &str) -> Option<String> {
    let path = name.split(['?', '#']).next().unwrap_or(name);
    let last = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let (stem, ext) = last.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// Whether text that did not parse still declares itself OpenAPI or
/// Swagger: a top-level `openapi:`/`swagger:` line (YAML, the field may be
/// quoted) or an `"openapi":`/`"swagger":` member (JSON).
pub fn looks_like_openapi(text: &str) -> bool {
    let field = |s: &str| {
        let s = s.trim_start_matches(['"', '\'']);
        ["openapi", "swagger"].iter().any(|k| {
            s.strip_prefix(k).is_some_and(|rest| {
                rest.trim_start_matches(['"', '\''])
                    .trim_start()
                    .starts_with(':')
            })
        })
    };
    // YAML: the field at column 0.
    if text.lines().any(field) {
        return true;
    }
    // JSON: the member anywhere after a `{` or `,`, as the first lines of
    // a JSON document usually hold it.
    let start = text::trim_start(text);
    start.starts_with('{')
        && start
            .match_indices(['{', ','])
            .take(10_000)
            .any(|(at, _)| field(start[at + 1..].trim_start()))
}

#[cfg(test)]
mod tests;
