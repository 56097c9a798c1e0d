//! YAML to `serde_json::Value`, built from `saphyr-parser` events with hard
//! limits, for bodies nobody has vetted.
//!
//! The build has two passes:
//!
//! 1. Events go into an arena of nodes. An alias does not copy anything: it
//!    points at the node its anchor named, so the arena stays as small as the
//!    input. Every node records its *expanded* size and depth, what it would
//!    cost once aliases are copied out. Those are checked against [`Limits`]
//!    the moment a node is complete, so a "billion laughs" file is refused
//!    after reading its few hundred bytes, before anything is expanded, and
//!    deep nesting is refused at the first level past the limit. Size is
//!    counted in nodes and in bytes (the text of scalars and keys): one
//!    long string aliased a thousand times is few nodes but many bytes. (Flow
//!    collections, `[…]` and `{…}`, stop even earlier, at the scanner's own
//!    limit of 255 levels; see [`FLOW_DEPTH_LIMIT`].)
//! 2. The root is turned into a `Value`. That recursion is bounded by the
//!    depth already checked.
//!
//! Scalars follow the YAML 1.2 core schema, with choices JSON forces:
//!
//! - Plain scalars resolve to null (`null`, `Null`, `NULL`, `~`, empty),
//!   booleans (`true`/`True`/`TRUE`, same for false), integers (decimal,
//!   `0o` octal, `0x` hex) and floats. Anything else, and every quoted or
//!   block scalar, is a string.
//! - Numbers go through serde_json's own number parser, so `1.0`, `-0` or
//!   `1e3` give exactly the value the same text gives in a JSON body, and
//!   YAML and JSON versions of a document get the same canonical form. As in
//!   serde_json, an integer beyond i64/u64 becomes the nearest f64. A hex or
//!   octal integer beyond u64, or a float beyond f64 range, stays a string.
//! - `.inf`, `-.inf` and `.nan` (any of their spellings) cannot be JSON
//!   numbers; they become the strings `".inf"`, `"-.inf"` and `".nan"`.
//! - The tags `!!str`, `!!int`, `!!float`, `!!bool` and `!!null` are
//!   honoured (a value that does not fit its tag is an error). Any other tag
//!   (`!!binary`, `!!timestamp`, `!Custom`) makes the scalar a string.
//! - JSON keys are strings, so a scalar key becomes its text as written
//!   (`200:` gives `"200"`, `true:` gives `"true"`). A collection used as a
//!   key becomes its compact JSON text.
//! - A duplicate key is not an error: the last value wins, as in serde_json.
//! - Merge keys: a plain `<<` key whose value is a mapping or a list of
//!   mappings merges those entries. Keys written in the mapping win over
//!   merged ones, and an earlier mapping in the list wins over a later one.
//!   A `<<` whose value is anything else is kept as an ordinary key.
//! - An anchor may be defined again; an alias refers to the latest
//!   definition before it (YAML 1.2; real OpenAI specs do this).
//! - Only the first document of a stream is read. Further documents that are
//!   empty (a trailing `---`) are ignored; a further non-empty document is an
//!   error, since silently dropping half of what was published would hide
//!   changes.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, StrInput, Tag};
use serde_json::{Map, Number, Value};

use super::{ByteBudget, Limits, SpecError};

type NodeId = usize;

/// Deepest flow nesting (`[[[…]]]`, `{a: {…}}`, and so all JSON) the
/// `saphyr-parser` scanner accepts. Block nesting is bounded by
/// [`Limits::max_depth`] alone.
pub const FLOW_DEPTH_LIMIT: usize = 255;

/// Bytes the flow-indentation repair may re-scan in total (see
/// [`parse_yaml`]): a 500 KB spec may be re-read 256 times, a 64 MB one
/// twice, so a hostile file cannot turn the repair into a slow loop.
const REPAIR_SCAN_BUDGET: usize = 128 << 20;

/// Most re-reads of one document by the flow-indentation repair.
const MAX_REPAIRS: usize = 1000;

/// The scanner's errors for a token of a flow collection (`{…}`, `[…]`)
/// that sits left of the block indentation around it. Its indentation
/// check can only fail inside a flow collection, where indentation carries
/// no meaning.
const FLOW_INDENTATION_ERRORS: &[&str] = &[
    "invalid indentation",
    "invalid indentation in flow construct",
];

/// Parses the first document of a YAML stream into a JSON value.
///
/// The scanner refuses a flow collection whose lines are not indented past
/// the block that holds it, as the YAML spec says, while PyYAML, libyaml
/// and the tools specs are written with accept it, and real specs have it:
///
/// ```yaml
/// example:
///   - {
///     "title": "Llama"
///   }
/// ```
///
/// Inside a flow collection leading spaces are insignificant (multi-line
/// scalars fold them away), so such a document is read again with the
/// offending lines indented further: every line that starts with `}` or
/// `]` (outside block scalars) by one space, then each line the scanner
/// still points at, until it loads. The value is the one PyYAML gives. If
/// it still fails, the first error is reported, with its true position.
pub fn parse_yaml(text: &str, limits: &Limits) -> Result<Value, SpecError> {
    let first = match parse_stream(text, limits) {
        Ok(value) => return Ok(value),
        Err(e) => e,
    };
    let Some(mut line) = flow_indentation_line(&first) else {
        return Err(first);
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut pads = closing_bracket_pads(&lines);
    let mut scanned = text.len();
    for _ in 0..MAX_REPAIRS {
        let Some(pad) = pads.get_mut(line.wrapping_sub(1)) else {
            break;
        };
        *pad = if *pad == 0 { 1 } else { pad.saturating_mul(2) };
        if *pad > 4096 {
            break;
        }
        let repaired: String = lines
            .iter()
            .zip(&pads)
            .flat_map(|(l, &p)| [" ".repeat(p), (*l).to_owned()])
            .collect();
        scanned = scanned.saturating_add(repaired.len());
        if scanned > REPAIR_SCAN_BUDGET.max(text.len().saturating_mul(2)) {
            break;
        }
        match parse_stream(&repaired, limits) {
            Ok(value) => return Ok(value),
            Err(e) => match flow_indentation_line(&e) {
                Some(next) => line = next,
                None => break,
            },
        }
    }
    Err(first)
}

/// The 1-based line of a flow-indentation error.
fn flow_indentation_line(e: &SpecError) -> Option<usize> {
    match e {
        SpecError::Yaml { line, message, .. }
            if FLOW_INDENTATION_ERRORS.contains(&message.as_str()) =>
        {
            Some(*line)
        }
        _ => None,
    }
}

/// One space for each line that starts with `}` or `]`, none elsewhere.
///
/// Such a line is inside a flow collection (in block context it is an
/// error whatever its indentation) or inside a multi-line scalar, whose
/// leading spaces fold away; only block scalars (`|`, `>`) keep them, so
/// their lines are left alone. The search for them over-approximates: a
/// line that merely looks like a block scalar header counts as one.
fn closing_bracket_pads(lines: &[&str]) -> Vec<usize> {
    let mut pads = vec![0; lines.len()];
    let mut block_scalar: Option<usize> = None;
    for (i, line) in lines.iter().enumerate() {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        let content = content.trim_end();
        if let Some(header) = block_scalar {
            if content.is_empty() || indent > header {
                continue;
            }
            block_scalar = None;
        }
        if is_block_scalar_header(content) {
            block_scalar = Some(indent);
        } else if content.starts_with(['}', ']']) {
            pads[i] = 1;
        }
    }
    pads
}

/// `key: |`, `- >-`, `key: |2 # note` and the like.
fn is_block_scalar_header(content: &str) -> bool {
    let content = match content.find(" #") {
        Some(at) => content[..at].trim_end(),
        None => content,
    };
    let body = content.trim_end_matches(|c: char| c == '+' || c == '-' || c.is_ascii_digit());
    let Some(before) = body.strip_suffix(['|', '>']) else {
        return false;
    };
    before.is_empty() || before.ends_with([' ', '\t', ':', '-'])
}

/// Parses the first document of a YAML stream into a JSON value, as the
/// scanner reads it.
fn parse_stream(text: &str, limits: &Limits) -> Result<Value, SpecError> {
    let mut events = Events {
        parser: Parser::new_from_str(text),
    };

    // Everything before the first document: stream start, directives.
    loop {
        let (event, _) = events.next()?;
        match event {
            Event::DocumentStart(_) => break,
            // Only comments, or nothing at all.
            Event::StreamEnd => return Err(SpecError::Empty),
            _ => {}
        }
    }

    let mut builder = Builder::new(limits);
    let root = loop {
        let (event, span) = events.next()?;
        if let Some(root) = builder.on_event(event, span)? {
            break root;
        }
    };

    // Whatever follows the first document must be empty documents.
    loop {
        let (event, span) = events.next()?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let (first, _) = events.next()?;
                if !is_empty_document_body(&first) {
                    return Err(SpecError::MultipleDocuments {
                        line: span.start.line(),
                    });
                }
            }
            _ => {}
        }
    }

    Ok(builder.value(root, false))
}

/// A document with nothing in it comes through as one empty plain scalar.
fn is_empty_document_body(event: &Event<'_>) -> bool {
    matches!(
        event,
        Event::Scalar(text, ScalarStyle::Plain, 0, None) if text.is_empty()
    )
}

/// The parser's events with its errors turned into ours.
struct Events<'a> {
    parser: Parser<'a, StrInput<'a>>,
}

impl<'a> Events<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), SpecError> {
        match self.parser.next() {
            Some(Ok(pair)) => Ok(pair),
            // The scanner counts flow nesting in a `u8` and stops at 255
            // levels, before our own depth check when `max_depth` is higher.
            Some(Err(e)) if e.info() == "recursion limit exceeded" => Err(SpecError::TooDeep {
                limit: FLOW_DEPTH_LIMIT,
            }),
            Some(Err(e)) => Err(SpecError::Yaml {
                line: e.marker().line(),
                column: e.marker().col() + 1,
                message: e.info().to_owned(),
            }),
            // The parser stops after `StreamEnd`; treat running dry the same way.
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }
}

fn error_at(span: Span, message: impl Into<String>) -> SpecError {
    SpecError::Yaml {
        line: span.start.line(),
        column: span.start.col() + 1,
        message: message.into(),
    }
}

/// What a scalar resolved to.
#[derive(Debug)]
enum Resolved {
    Null,
    Bool(bool),
    Number(Number),
    /// A string: the scalar's text itself.
    Str,
    /// A string other than the text, e.g. `".inf"` for `+.Inf`.
    Text(&'static str),
    /// A plain, untagged `<<`: a merge key when in key position, the string
    /// `"<<"` anywhere else.
    Merge,
}

#[derive(Debug, Clone, Copy)]
enum Key {
    Merge,
    Node(NodeId),
}

#[derive(Debug)]
enum Node {
    Scalar { text: String, resolved: Resolved },
    Seq(Vec<NodeId>),
    Map(Vec<(Key, NodeId)>),
}

#[derive(Debug)]
struct Slot {
    node: Node,
    /// Nodes this one expands to, aliases copied out; saturating.
    size: usize,
    /// Bytes of scalar and key text this one expands to, aliases copied
    /// out; saturating.
    bytes: usize,
    /// Collection nesting once expanded: 0 for a scalar.
    depth: usize,
    /// An anchor names this node: aliases may copy it out again.
    anchored: bool,
}

/// What a node costs once aliases are copied out, checked against
/// [`Limits`] before it enters the arena.
struct Cost {
    size: usize,
    bytes: usize,
    depth: usize,
}

/// A collection whose end event has not come yet.
enum Open {
    Seq {
        anchor: usize,
        items: Vec<NodeId>,
    },
    Map {
        anchor: usize,
        entries: Vec<(Key, NodeId)>,
        key: Option<Key>,
    },
}

struct Builder<'l> {
    limits: &'l Limits,
    arena: Vec<Slot>,
    /// Anchor id (fresh for each definition) to the node it names. A node is
    /// entered only once complete, so an alias inside its own anchor's node
    /// finds nothing and is reported as recursive.
    anchors: HashMap<usize, NodeId>,
    open: Vec<Open>,
    /// Nodes copied by alias expansion so far.
    alias_nodes: usize,
    /// Bytes of text copied by alias expansion so far.
    alias_bytes: usize,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits) -> Self {
        Builder {
            limits,
            arena: Vec::new(),
            anchors: HashMap::new(),
            open: Vec::new(),
            alias_nodes: 0,
            alias_bytes: 0,
        }
    }

    /// Feeds one event; returns the root once the document's node is complete.
    fn on_event(&mut self, event: Event<'_>, span: Span) -> Result<Option<NodeId>, SpecError> {
        let done = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let resolved = resolve_scalar(&text, style, tag.as_deref(), span)?;
                let bytes = text.len();
                let id = self.push(
                    Node::Scalar {
                        text: text.into_owned(),
                        resolved,
                    },
                    Cost {
                        size: 1,
                        bytes,
                        depth: 0,
                    },
                )?;
                self.define(anchor, id);
                id
            }
            Event::Alias(anchor) => {
                let Some(&id) = self.anchors.get(&anchor) else {
                    return Err(error_at(
                        span,
                        "an alias refers to the node that contains it (a recursive alias)",
                    ));
                };
                let copied = &self.arena[id];
                self.alias_nodes = self.alias_nodes.saturating_add(copied.size);
                self.alias_bytes = self.alias_bytes.saturating_add(copied.bytes);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(SpecError::TooManyNodes {
                        limit: self.limits.max_alias_nodes,
                        through_aliases: true,
                    });
                }
                if self.alias_bytes > self.limits.max_alias_bytes {
                    return Err(SpecError::TooLarge {
                        limit: self.limits.max_alias_bytes,
                        budget: ByteBudget::AliasBytes,
                    });
                }
                id
            }
            Event::SequenceStart(anchor, _) => {
                self.open(Open::Seq {
                    anchor,
                    items: Vec::new(),
                })?;
                return Ok(None);
            }
            Event::MappingStart(anchor, _) => {
                self.open(Open::Map {
                    anchor,
                    entries: Vec::new(),
                    key: None,
                })?;
                return Ok(None);
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(span)?,
            Event::DocumentEnd | Event::StreamEnd => {
                return Err(error_at(span, "the document ends inside a collection"));
            }
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => return Ok(None),
        };
        Ok(self.attach(done))
    }

    fn open(&mut self, open: Open) -> Result<(), SpecError> {
        if self.open.len() >= self.limits.max_depth {
            return Err(SpecError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.open.push(open);
        Ok(())
    }

    fn close(&mut self, span: Span) -> Result<NodeId, SpecError> {
        let Some(open) = self.open.pop() else {
            return Err(error_at(span, "a collection ends that never started"));
        };
        let (node, anchor) = match open {
            Open::Seq { anchor, items } => (Node::Seq(items), anchor),
            Open::Map {
                anchor,
                entries,
                key: None,
            } => (Node::Map(entries), anchor),
            Open::Map { key: Some(_), .. } => {
                return Err(error_at(span, "a mapping key has no value"));
            }
        };
        let mut cost = Cost {
            size: 1,
            bytes: 0,
            depth: 0,
        };
        let mut count = |id: NodeId| {
            let child = &self.arena[id];
            cost.size = cost.size.saturating_add(child.size);
            cost.bytes = cost.bytes.saturating_add(child.bytes);
            cost.depth = cost.depth.max(child.depth);
        };
        match &node {
            Node::Seq(items) => items.iter().copied().for_each(&mut count),
            Node::Map(entries) => {
                for (key, value) in entries {
                    if let Key::Node(k) = key {
                        count(*k);
                    }
                    count(*value);
                }
            }
            Node::Scalar { .. } => {}
        }
        cost.depth = cost.depth.saturating_add(1);
        let id = self.push(node, cost)?;
        self.define(anchor, id);
        Ok(id)
    }

    /// Adds a complete node to the arena after checking its expanded cost.
    fn push(&mut self, node: Node, cost: Cost) -> Result<NodeId, SpecError> {
        let limits = self.limits;
        if cost.size > limits.max_nodes || self.arena.len() >= limits.max_nodes {
            return Err(SpecError::TooManyNodes {
                limit: limits.max_nodes,
                through_aliases: false,
            });
        }
        if cost.bytes > limits.max_expanded_bytes {
            return Err(SpecError::TooLarge {
                limit: limits.max_expanded_bytes,
                budget: ByteBudget::ExpandedBytes,
            });
        }
        if cost.depth > limits.max_depth {
            return Err(SpecError::TooDeep {
                limit: limits.max_depth,
            });
        }
        self.arena.push(Slot {
            node,
            size: cost.size,
            bytes: cost.bytes,
            depth: cost.depth,
            anchored: false,
        });
        Ok(self.arena.len() - 1)
    }

    fn define(&mut self, anchor: usize, id: NodeId) {
        // Id 0 means "no anchor"; a redefined name gets a new id from the
        // parser, and aliases after it carry that new id.
        if anchor != 0 {
            self.anchors.insert(anchor, id);
            self.arena[id].anchored = true;
        }
    }

    /// Hands a complete node to the collection it belongs to; returns it if
    /// it is the document's root.
    fn attach(&mut self, id: NodeId) -> Option<NodeId> {
        let is_merge = matches!(
            self.arena[id].node,
            Node::Scalar {
                resolved: Resolved::Merge,
                ..
            }
        );
        match self.open.last_mut() {
            None => return Some(id),
            Some(Open::Seq { items, .. }) => items.push(id),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                Some(k) => entries.push((k, id)),
                None if is_merge => *key = Some(Key::Merge),
                None => *key = Some(Key::Node(id)),
            },
        }
        None
    }

    /// Builds the JSON value of a node. Recursion depth is bounded by
    /// `max_depth`, checked when the node was pushed.
    /// The value of node `id`. Its text and children are moved out of the
    /// arena unless it is `shared`: named by an anchor, or inside a node
    /// that is (each other node is reached once, from its parent).
    fn value(&mut self, id: NodeId, shared: bool) -> Value {
        let shared = shared || self.arena[id].anchored;
        match &mut self.arena[id].node {
            Node::Scalar { text, resolved } => match resolved {
                Resolved::Null => Value::Null,
                Resolved::Bool(b) => Value::Bool(*b),
                Resolved::Number(n) => Value::Number(n.clone()),
                Resolved::Str if shared => Value::String(text.clone()),
                Resolved::Str => Value::String(std::mem::take(text)),
                Resolved::Text(t) => Value::String((*t).to_owned()),
                Resolved::Merge => Value::String("<<".to_owned()),
            },
            Node::Seq(items) => {
                let items = if shared {
                    items.clone()
                } else {
                    std::mem::take(items)
                };
                Value::Array(items.into_iter().map(|i| self.value(i, shared)).collect())
            }
            Node::Map(entries) => {
                let entries = if shared {
                    entries.clone()
                } else {
                    std::mem::take(entries)
                };
                Value::Object(self.mapping(&entries, shared))
            }
        }
    }

    fn mapping(&mut self, entries: &[(Key, NodeId)], shared: bool) -> Map<String, Value> {
        let mut out = Map::new();
        let mut merged = Vec::new();
        for &(key, value) in entries {
            match key {
                Key::Merge if self.is_merge_source(value) => merged.push(value),
                Key::Merge => {
                    let value = self.value(value, shared);
                    out.insert("<<".to_owned(), value);
                }
                // Duplicate keys: the last one wins.
                Key::Node(k) => {
                    let key = self.key_text(k, shared);
                    let value = self.value(value, shared);
                    out.insert(key, value);
                }
            }
        }
        // Merged entries only fill gaps, and the first source to fill a gap
        // keeps it: explicit keys beat merged ones, earlier sources beat
        // later ones.
        for source in merged {
            let maps: Vec<NodeId> = match &self.arena[source].node {
                Node::Seq(items) => items.clone(),
                _ => vec![source],
            };
            let shared = shared || self.arena[source].anchored;
            for map in maps {
                if let Value::Object(entries) = self.value(map, shared) {
                    for (k, v) in entries {
                        out.entry(k).or_insert(v);
                    }
                }
            }
        }
        out
    }

    /// A merge key takes a mapping or a list of mappings.
    fn is_merge_source(&self, id: NodeId) -> bool {
        match &self.arena[id].node {
            Node::Map(_) => true,
            Node::Seq(items) => items
                .iter()
                .all(|&i| matches!(self.arena[i].node, Node::Map(_))),
            Node::Scalar { .. } => false,
        }
    }

    fn key_text(&mut self, id: NodeId, shared: bool) -> String {
        let shared = shared || self.arena[id].anchored;
        match &mut self.arena[id].node {
            Node::Scalar { text, .. } if shared => text.clone(),
            Node::Scalar { text, .. } => std::mem::take(text),
            _ => self.value(id, shared).to_string(),
        }
    }
}

fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<Resolved, SpecError> {
    let Some(tag) = tag else {
        return Ok(if style == ScalarStyle::Plain {
            resolve_plain(text)
        } else {
            Resolved::Str
        });
    };
    if !tag.is_yaml_core_schema() {
        return Ok(Resolved::Str);
    }
    let resolved = match tag.suffix.as_str() {
        "null" => is_null(text).then_some(Resolved::Null),
        "bool" => parse_bool(text).map(Resolved::Bool),
        "int" => parse_int(text).map(Resolved::Number),
        "float" => parse_float(text),
        "merge" if text == "<<" => Some(Resolved::Merge),
        _ => Some(Resolved::Str),
    };
    resolved.ok_or_else(|| {
        let shown: String = text.chars().take(40).collect();
        error_at(
            span,
            format!("`{shown}` is tagged !!{} but is not one", tag.suffix),
        )
    })
}

/// Core-schema resolution of an untagged plain scalar.
fn resolve_plain(text: &str) -> Resolved {
    if text == "<<" {
        return Resolved::Merge;
    }
    if is_null(text) {
        return Resolved::Null;
    }
    if let Some(b) = parse_bool(text) {
        return Resolved::Bool(b);
    }
    // Every number, `.inf` and `.nan` starts with one of these: the rest
    // (nearly every scalar of a description) is a string, unread.
    if !matches!(
        text.as_bytes().first(),
        Some(b'0'..=b'9' | b'-' | b'+' | b'.')
    ) {
        return Resolved::Str;
    }
    if looks_like_int(text) {
        return parse_int(text).map_or(Resolved::Str, Resolved::Number);
    }
    parse_float(text).unwrap_or(Resolved::Str)
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

fn all_digits(s: &str, radix: u32) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_digit(radix))
}

fn strip_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
fn looks_like_int(text: &str) -> bool {
    if let Some(oct) = text.strip_prefix("0o") {
        return all_digits(oct, 8);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16);
    }
    all_digits(strip_sign(text).1, 10)
}

fn parse_int(text: &str) -> Option<Number> {
    if let Some(oct) = text.strip_prefix("0o") {
        return all_digits(oct, 8)
            .then(|| u64::from_str_radix(oct, 8).ok())
            .flatten()
            .map(Number::from);
    }
    if let Some(hex) = text.strip_prefix("0x") {
        return all_digits(hex, 16)
            .then(|| u64::from_str_radix(hex, 16).ok())
            .flatten()
            .map(Number::from);
    }
    let (negative, digits) = strip_sign(text);
    if !all_digits(digits, 10) {
        return None;
    }
    // JSON has no `+` and no leading zeros; otherwise serde_json reads the
    // digits exactly as it would in a JSON body.
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let json = if negative {
        format!("-{digits}")
    } else {
        digits.to_owned()
    };
    serde_json::from_str(&json).ok()
}

/// A core-schema float (integers included, for `!!float 1`), `.inf` or
/// `.nan`. `None` if the text is none of those.
fn parse_float(text: &str) -> Option<Resolved> {
    let (negative, body) = strip_sign(text);
    match body {
        ".inf" | ".Inf" | ".INF" => {
            return Some(Resolved::Text(if negative { "-.inf" } else { ".inf" }));
        }
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => {
            return Some(Resolved::Text(".nan"));
        }
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let whole_ok = whole.is_empty() || all_digits(whole, 10);
    let fraction_ok = fraction.is_none_or(|f| f.is_empty() || all_digits(f, 10));
    let has_digits = !whole.is_empty() || fraction.is_some_and(|f| !f.is_empty());
    let exponent_ok = exponent.is_none_or(|e| all_digits(strip_sign(e).1, 10));
    if !(whole_ok && fraction_ok && has_digits && exponent_ok) {
        return None;
    }
    // Rewrite in JSON's grammar and let serde_json read it, so the value is
    // bit-for-bit what a JSON body with the same number gives.
    let whole = whole.trim_start_matches('0');
    let mut json = String::with_capacity(text.len() + 3);
    if negative {
        json.push('-');
    }
    json.push_str(if whole.is_empty() { "0" } else { whole });
    json.push('.');
    match fraction {
        Some(f) if !f.is_empty() => json.push_str(f),
        _ => json.push('0'),
    }
    if let Some(e) = exponent {
        json.push('e');
        json.push_str(e);
    }
    // The text is valid JSON now, so serde_json refuses it only when it is
    // out of f64 range; such a number stays a string.
    Some(serde_json::from_str::<Number>(&json).map_or(Resolved::Str, Resolved::Number))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn yaml(text: &str) -> Result<Value, SpecError> {
        parse_yaml(text, &Limits::default())
    }

    #[test]
    fn core_schema_plain_scalars() {
        let v = yaml(
            "a: null\nb: ~\nc: Null\nd:\ne: true\nf: FALSE\ng: 12\nh: -0x1\ni: 0x1F\nj: 0o17\n\
             k: +12\nl: 007\nm: 1.5\nn: .5\no: 1.\np: 1e3\nq: .inf\nr: -.Inf\ns: .NaN\n\
             t: yes\nu: 1_000\nv: 3.0.0\nw: 2.0\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "a": null, "b": null, "c": null, "d": null, "e": true, "f": false,
                "g": 12, "h": "-0x1", "i": 31, "j": 15, "k": 12, "l": 7,
                "m": 1.5, "n": 0.5, "o": 1.0, "p": 1000.0,
                "q": ".inf", "r": "-.inf", "s": ".nan",
                "t": "yes", "u": "1_000", "v": "3.0.0", "w": 2.0
            })
        );
    }

    #[test]
    fn quoted_and_block_scalars_are_strings() {
        let v = yaml("a: '12'\nb: \"true\"\nc: |\n  null\nd: >-\n  1.5\ne: 'null'\n").unwrap();
        assert_eq!(
            v,
            json!({"a": "12", "b": "true", "c": "null\n", "d": "1.5", "e": "null"})
        );
    }

    #[test]
    fn tags_are_honoured() {
        let v = yaml(
            "a: !!str 12\nb: !!int \"12\"\nc: !!float 1\nd: !!bool 'true'\ne: !!null ''\n\
             f: !custom 12\ng: !!binary aGk=\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({"a": "12", "b": 12, "c": 1.0, "d": true, "e": null, "f": "12", "g": "aGk="})
        );
        let err = yaml("a: !!int twelve\n").unwrap_err();
        assert!(matches!(err, SpecError::Yaml { line: 1, .. }), "{err:?}");
    }

    #[test]
    fn numbers_match_serde_json() {
        for text in [
            "0.1",
            "-0",
            "1e3",
            "123456789012345678901234567890",
            "1.7976931348623157e308",
            "-9223372036854775808",
            "18446744073709551615",
        ] {
            let from_json: Value = serde_json::from_str(text).unwrap();
            let from_yaml = yaml(text).unwrap();
            assert_eq!(from_yaml, from_json, "{text}");
            assert_eq!(from_yaml.to_string(), from_json.to_string(), "{text}");
        }
        // Beyond f64: JSON refuses it, YAML keeps the text.
        assert_eq!(yaml("1e400").unwrap(), json!("1e400"));
    }

    #[test]
    fn non_string_keys_become_their_text() {
        let v = yaml("200:\n  ok: 1\ntrue: t\n~: n\n1.50: f\n? [a, b]\n: c\n").unwrap();
        assert_eq!(
            v,
            json!({"200": {"ok": 1}, "true": "t", "~": "n", "1.50": "f", "[\"a\",\"b\"]": "c"})
        );
    }

    #[test]
    fn duplicate_keys_last_wins() {
        assert_eq!(yaml("a: 1\na: 2\n").unwrap(), json!({"a": 2}));
    }

    #[test]
    fn anchors_aliases_and_redefinition() {
        let v = yaml(
            "one: &x {v: 1}\nfirst: *x\ntwo: &x {v: 2}\nsecond: *x\nlist: [&y a, *y, &y b, *y]\n",
        )
        .unwrap();
        assert_eq!(
            v,
            json!({
                "one": {"v": 1}, "first": {"v": 1},
                "two": {"v": 2}, "second": {"v": 2},
                "list": ["a", "a", "b", "b"]
            })
        );
    }

    /// The build moves text out of nodes read once and copies it out of
    /// nodes an alias may read again (and everything inside them).
    #[test]
    fn nodes_inside_anchors_survive_every_read() {
        let v = yaml(
            "outer: &o\n  inner: &i {k: [x, y]}\n  plain: {m: n}\n\
             again: *o\n\
             inner_again: *i\n\
             merged:\n  <<: {p: 1, q: [r]}\n  s: 2\n\
             merged_list:\n  <<: [{t: 1}, *i]\n\
             ? [a, &key b]\n: complex key\n\
             last: *key\n",
        )
        .unwrap();
        let outer = json!({"inner": {"k": ["x", "y"]}, "plain": {"m": "n"}});
        assert_eq!(v["outer"], outer);
        assert_eq!(v["again"], outer);
        assert_eq!(v["inner_again"], json!({"k": ["x", "y"]}));
        assert_eq!(v["merged"], json!({"p": 1, "q": ["r"], "s": 2}));
        assert_eq!(v["merged_list"], json!({"t": 1, "k": ["x", "y"]}));
        assert_eq!(v["[\"a\",\"b\"]"], json!("complex key"));
        assert_eq!(v["last"], json!("b"));
    }

    #[test]
    fn recursive_alias_is_an_error() {
        let err = yaml("a: &a [1, *a]\n").unwrap_err();
        assert!(matches!(err, SpecError::Yaml { .. }), "{err:?}");
        assert!(err.to_string().contains("recursive"), "{err}");
    }

    #[test]
    fn merge_keys() {
        let v = yaml(
            "base: &base {a: 1, b: 1}\nother: &other {b: 2, c: 2}\n\
             single:\n  <<: *base\n  b: 9\n\
             list:\n  <<: [*other, *base]\n  d: 4\n\
             quoted:\n  '<<': *base\n\
             scalar:\n  <<: 5\n",
        )
        .unwrap();
        assert_eq!(v["single"], json!({"a": 1, "b": 9}));
        // Explicit keys win; among sources, the earlier one wins (`b` from other).
        assert_eq!(v["list"], json!({"a": 1, "b": 2, "c": 2, "d": 4}));
        // A quoted `<<` is an ordinary key, as is one with a scalar value.
        assert_eq!(v["quoted"], json!({"<<": {"a": 1, "b": 1}}));
        assert_eq!(v["scalar"], json!({"<<": 5}));
    }

    #[test]
    fn billion_laughs_is_refused_before_expanding() {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            .windows(2)
            .map(|w| (w[0], w[1]))
        {
            let refs = vec![format!("*{prev}"); 9].join(",");
            doc.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let err = yaml(&doc).unwrap_err();
        assert!(matches!(err, SpecError::TooManyNodes { .. }), "{err:?}");

        // With no alias or byte budgets to speak of, the overall node limit
        // still holds.
        let limits = Limits {
            max_alias_nodes: usize::MAX,
            max_alias_bytes: usize::MAX,
            max_expanded_bytes: usize::MAX,
            ..Limits::default()
        };
        let err = parse_yaml(&doc, &limits).unwrap_err();
        assert_eq!(
            err,
            SpecError::TooManyNodes {
                limit: limits.max_nodes,
                through_aliases: false
            }
        );
    }

    /// One long string aliased many times: few nodes, many bytes.
    fn scalar_bomb(string_bytes: usize, aliases: usize) -> String {
        let mut doc = format!("s: &s \"{}\"\nl:\n", "x".repeat(string_bytes));
        for _ in 0..aliases {
            doc.push_str("  - *s\n");
        }
        doc
    }

    #[test]
    fn scalar_alias_bomb_is_refused_by_bytes() {
        // 1 MiB aliased 3 000 times is 3 GB once expanded, but only 3 002
        // nodes: far inside the node budgets.
        let doc = scalar_bomb(1 << 20, 3_000);
        let err = yaml(&doc).unwrap_err();
        assert_eq!(
            err,
            SpecError::TooLarge {
                limit: Limits::default().max_alias_bytes,
                budget: ByteBudget::AliasBytes
            }
        );
        assert!(err.to_string().contains("max_alias_bytes"), "{err}");

        // Without an alias byte budget, the expanded byte budget holds.
        let limits = Limits {
            max_alias_bytes: usize::MAX,
            max_expanded_bytes: 64 << 20,
            ..Limits::default()
        };
        assert_eq!(
            parse_yaml(&doc, &limits).unwrap_err(),
            SpecError::TooLarge {
                limit: 64 << 20,
                budget: ByteBudget::ExpandedBytes
            }
        );

        // Within both budgets the same shape loads.
        let small = scalar_bomb(1_000, 100);
        let v = yaml(&small).unwrap();
        assert_eq!(v["l"].as_array().map(Vec::len), Some(100));
    }

    #[test]
    fn merge_keys_count_their_copied_bytes() {
        let mut doc = format!("base: &b {{k: \"{}\"}}\n", "x".repeat(10_000));
        for i in 0..20 {
            doc.push_str(&format!("m{i}:\n  <<: *b\n  own: 1\n"));
        }
        // 20 aliases copy 20 × 10 001 bytes (key and value).
        let limits = Limits {
            max_alias_bytes: 300_000,
            ..Limits::default()
        };
        assert!(parse_yaml(&doc, &limits).is_ok());
        let limits = Limits {
            max_alias_bytes: 150_000,
            ..Limits::default()
        };
        assert_eq!(
            parse_yaml(&doc, &limits).unwrap_err(),
            SpecError::TooLarge {
                limit: 150_000,
                budget: ByteBudget::AliasBytes
            }
        );
        let limits = Limits {
            max_alias_bytes: 300_000,
            max_expanded_bytes: 150_000,
            ..Limits::default()
        };
        // 21 copies of 10 000 bytes in all: over the expanded budget.
        assert_eq!(
            parse_yaml(&doc, &limits).unwrap_err(),
            SpecError::TooLarge {
                limit: 150_000,
                budget: ByteBudget::ExpandedBytes
            }
        );
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Flow nesting stops at the scanner's limit.
        let deep = "[".repeat(100_000);
        assert_eq!(
            yaml(&deep).unwrap_err(),
            SpecError::TooDeep {
                limit: FLOW_DEPTH_LIMIT
            }
        );
        let deep_maps = "{a: ".repeat(100_000);
        assert_eq!(
            yaml(&deep_maps).unwrap_err(),
            SpecError::TooDeep {
                limit: FLOW_DEPTH_LIMIT
            }
        );
        // Depth grown through aliases counts too.
        let mut doc = String::from("a0: &a0 [[[[[[[[[[1]]]]]]]]]]\n");
        for i in 1..60 {
            doc.push_str(&format!("a{i}: &a{i} [[[[[[[[[[*a{}]]]]]]]]]]\n", i - 1));
        }
        assert_eq!(yaml(&doc).unwrap_err(), SpecError::TooDeep { limit: 512 });
        // Block nesting goes up to max_depth exactly.
        let ok = format!("{}1\n", "- ".repeat(512));
        assert!(yaml(&ok).is_ok());
        let over = format!("{}1\n", "- ".repeat(513));
        assert_eq!(yaml(&over).unwrap_err(), SpecError::TooDeep { limit: 512 });
        // A stricter limit applies to flow nesting too.
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        assert!(parse_yaml("[[[1]]]", &limits).is_ok());
        let err = parse_yaml("[[[[1]]]]", &limits).unwrap_err();
        assert_eq!(err, SpecError::TooDeep { limit: 3 });
    }

    #[test]
    fn documents() {
        assert_eq!(yaml("a: 1\n---\n").unwrap(), json!({"a": 1}));
        assert_eq!(
            yaml("--- \na: 1\n...\n--- # nothing\n").unwrap(),
            json!({"a": 1})
        );
        let err = yaml("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err, SpecError::MultipleDocuments { line: 2 });
        assert_eq!(yaml("# only a comment\n").unwrap_err(), SpecError::Empty);
    }

    #[test]
    fn flow_collection_closed_at_the_dash_loads_as_pyyaml_reads_it() {
        // The case of issue 14, found in a published spec.
        let v = yaml("example:\n  - {\n    \"title\": \"Llama\"\n  }\n").unwrap();
        assert_eq!(v, json!({"example": [{"title": "Llama"}]}));
        let v =
            yaml("a:\n  b:\n    - [\n      \"x\",\n      {\"y\": 1}\n    ]\n    - z\n").unwrap();
        assert_eq!(v, json!({"a": {"b": [["x", {"y": 1}], "z"]}}));
        // Content lines at the dash too, and below it.
        let v = yaml("list:\n    - {\n    \"a\": 1,\n  \"b\": [1,\n2]\n    }\nnext: 2\n").unwrap();
        assert_eq!(v, json!({"list": [{"a": 1, "b": [1, 2]}], "next": 2}));
        // Many of them in one document.
        let mut doc = String::from("items:\n");
        for i in 0..300 {
            doc.push_str(&format!("  - {{\n    \"id\": {i}\n  }}\n"));
        }
        let v = yaml(&doc).unwrap();
        assert_eq!(v["items"].as_array().unwrap().len(), 300);
        assert_eq!(v["items"][299], json!({"id": 299}));
    }

    #[test]
    fn the_repair_leaves_block_scalars_and_real_errors_alone() {
        // A block scalar keeps its `}` line as written while a flow
        // collection after it is repaired.
        let v = yaml("d: |\n  {\n  }\nl:\n  - {\n    \"a\": 1\n  }\n").unwrap();
        assert_eq!(v, json!({"d": "{\n}\n", "l": [{"a": 1}]}));
        // Still an error, at its own position: a bracket never closed, and a
        // block mapping indented wrongly.
        let err = yaml("a:\n  - {\n    \"x\": 1\n  \nb: 2\n").unwrap_err();
        assert!(matches!(err, SpecError::Yaml { .. }), "{err:?}");
        let err = yaml("a:\n    b: 1\n  c: 2\n").unwrap_err();
        assert!(matches!(err, SpecError::Yaml { line: 3, .. }), "{err:?}");
        assert!(is_block_scalar_header("description: |"));
        assert!(is_block_scalar_header("- >-"));
        assert!(is_block_scalar_header("key: |2 # note"));
        assert!(!is_block_scalar_header("key: a | b c"));
        assert!(!is_block_scalar_header("}"));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = yaml("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        let SpecError::Yaml { line, column, .. } = err else {
            panic!("{err:?}");
        };
        assert!(line >= 2 && column >= 1, "{line}:{column}");
        let err = yaml("a: *missing\n").unwrap_err();
        assert!(matches!(err, SpecError::Yaml { line: 1, .. }), "{err:?}");
    }
}
