//! Why a fetched body could not be turned into a document.
//!
//! Every variant renders as one line that says what was wrong with the body
//! and, where there is one, what the user can do about it. The watch name is
//! added by the caller; these messages describe only the document.

/// A fetched body that could not be parsed or normalized.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SpecError {
    /// Nothing but whitespace (or, for YAML, nothing but comments).
    #[error("the document is empty")]
    Empty,

    /// The bytes are not UTF-8.
    #[error("{}", not_utf8_message(*offset, *looks_like))]
    NotUtf8 {
        /// Byte offset of the first invalid sequence (counting any BOM).
        offset: usize,
        /// What the bytes seem to be instead, when it can be told
        /// ("UTF-16 text", "gzip-compressed data").
        looks_like: Option<&'static str>,
    },

    /// An HTML page came back where a JSON or YAML document was expected;
    /// typically a login wall, a consent page or an error page.
    #[error("{}", html_message(title.as_deref()))]
    Html {
        /// The page's `<title>`, if it has one.
        title: Option<String>,
    },

    /// The body looked like JSON but is not valid JSON.
    #[error("invalid JSON at line {line}, column {column}: {message}")]
    Json {
        line: usize,
        column: usize,
        message: String,
    },

    /// The body is not valid YAML (or uses YAML in a way apiradar refuses).
    #[error("invalid YAML at line {line}, column {column}: {message}")]
    Yaml {
        line: usize,
        column: usize,
        message: String,
    },

    /// A YAML stream with more than one non-empty document.
    #[error(
        "the YAML holds more than one document (the second starts at line {line}); \
         apiradar reads one document per URL"
    )]
    MultipleDocuments { line: usize },

    /// Nesting deeper than [`Limits::max_depth`](super::Limits::max_depth).
    #[error(
        "the document nests deeper than {limit} levels; it is malformed or hostile, \
         so it was not loaded"
    )]
    TooDeep { limit: usize },

    /// More nodes than the limits allow, usually a YAML alias bomb.
    #[error("{}", too_many_nodes_message(*limit, *through_aliases))]
    TooManyNodes {
        /// The limit that was hit.
        limit: usize,
        /// True when the limit on nodes copied by alias expansion was hit
        /// ([`Limits::max_alias_nodes`](super::Limits::max_alias_nodes)),
        /// false for the overall node limit.
        through_aliases: bool,
    },

    /// More bytes than the limits allow: text copied by YAML aliases past
    /// [`Limits::max_alias_bytes`](super::Limits::max_alias_bytes), or the
    /// document or its canonical form past
    /// [`Limits::max_expanded_bytes`](super::Limits::max_expanded_bytes).
    #[error("{}", too_large_message(*limit, *budget))]
    TooLarge {
        /// The limit that was hit, in bytes.
        limit: usize,
        /// Which of the two.
        budget: ByteBudget,
    },

    /// An `openapi` watch got a document that is not OpenAPI or Swagger.
    #[error(
        "expected an OpenAPI 3.x or Swagger 2.0 document but found {found}; \
         to track it as plain data, use `--kind json`"
    )]
    NotOpenApi {
        /// What was found instead, e.g. "a JSON array".
        found: String,
    },

    /// A `json` watch got plain text (which YAML would read as one string)
    /// instead of a JSON or YAML object or array.
    #[error(
        "expected a JSON document but got plain text ({preview:?}); \
         if this page is what you want to follow, use `--kind page`"
    )]
    PlainText { preview: String },

    /// A page with no readable text once markup, scripts and styles are gone.
    #[error(
        "the page has no readable text (it is probably rendered by JavaScript); \
         watch the API or a static page behind it instead"
    )]
    NoText,

    /// The HTML renderer gave up on the page.
    #[error("could not turn the HTML page into text: {message}")]
    Render { message: String },

    /// Writing the canonical form failed; a bug, not a problem with the body.
    #[error("could not write the canonical form of the document: {message}")]
    Canonical { message: String },
}

/// The byte budgets of [`Limits`](super::Limits), for [`SpecError::TooLarge`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteBudget {
    /// [`Limits::max_alias_bytes`](super::Limits::max_alias_bytes).
    AliasBytes,
    /// [`Limits::max_expanded_bytes`](super::Limits::max_expanded_bytes).
    ExpandedBytes,
}

impl ByteBudget {
    /// The name of the limit, as in [`Limits`](super::Limits).
    pub fn name(self) -> &'static str {
        match self {
            ByteBudget::AliasBytes => "max_alias_bytes",
            ByteBudget::ExpandedBytes => "max_expanded_bytes",
        }
    }
}

impl SpecError {
    /// Whether the body was refused for breaking one of the
    /// [`Limits`](super::Limits) (depth, nodes or bytes) rather than for
    /// its syntax or content.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            SpecError::TooDeep { .. } | SpecError::TooManyNodes { .. } | SpecError::TooLarge { .. }
        )
    }
}

fn not_utf8_message(offset: usize, looks_like: Option<&str>) -> String {
    match looks_like {
        Some(what) => format!(
            "the document is {what}, not UTF-8 text; point the watch at a UTF-8 (uncompressed) \
             version of it"
        ),
        None => format!(
            "the document is not valid UTF-8 (first bad byte at offset {offset}); \
             apiradar reads UTF-8 documents only"
        ),
    }
}

fn html_message(title: Option<&str>) -> String {
    let page = match title {
        Some(t) => format!("an HTML page ({t:?})"),
        None => "an HTML page".to_owned(),
    };
    format!(
        "got {page} where a JSON or YAML document was expected; is the URL behind a login, \
         or does it point at the documentation page instead of the raw file?"
    )
}

fn too_many_nodes_message(limit: usize, through_aliases: bool) -> String {
    if through_aliases {
        format!(
            "YAML aliases expand the document by more than {limit} nodes (an alias bomb?); \
             it was not loaded"
        )
    } else {
        format!("the document has more than {limit} nodes; it was not loaded")
    }
}

fn too_large_message(limit: usize, budget: ByteBudget) -> String {
    let size = crate::text::size(limit as u64);
    let name = budget.name();
    match budget {
        ByteBudget::AliasBytes => format!(
            "YAML aliases copy more than {size} of text (limit {name}; an alias bomb?); \
             it was not loaded"
        ),
        ByteBudget::ExpandedBytes => format!(
            "the document expands to more than {size} (limit {name}; an alias bomb or \
             hostile nesting?); it was not loaded"
        ),
    }
}
