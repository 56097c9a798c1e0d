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
            let (doc, format) = parse_document(raw, &opts.limits)?;
            // YAML reads any text as a string scalar: an error page served
            // as text/plain with status 200 must not become a version.
            if format == DocFormat::Yaml && !(doc.is_object() || doc.is_array()) {
                let text = String::from_utf8_lossy(raw);
                let preview: String = text.trim().chars().take(60).collect();
                return Err(SpecError::PlainText { preview });
            }
            Ok(Normalized {
                canonical: canonical::canonical_bytes(
                    doc,
                    opts.item_key,
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

#[cfg(test)]
mod tests;
