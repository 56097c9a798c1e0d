//! From a JSON pointer (RFC 6901) to the line of a text where that value is.
//!
//! Both readers are single forward passes over the text with no allocation
//! beyond a small stack, tolerate any input (unbalanced brackets, stray
//! bytes, broken indentation) and stop as soon as the answer is known:
//!
//! * JSON: a byte-level scanner that tracks the container stack, so it works
//!   for any layout, pretty-printed or not (the answer is the line where the
//!   key, or the array element, starts).
//! * YAML: a line reader for block style (keys by indentation, `- ` items,
//!   compact `- key: value` items, block scalars skipped). Flow collections
//!   (`{a: 1}` on one line) are not entered: the pointer lands on their key.
//!
//! When the pointer names something that does not exist, the answer is the
//! line of its deepest existing ancestor.

use super::Lang;

/// JSON pointer (RFC 6901, e.g. `/paths/~1pets~1{id}/get/responses/200`) →
/// 0-based line in `text`. A leading `#` (URI fragment form) is accepted.
/// Returns the line of the deepest existing prefix of the pointer, so a
/// pointer to something removed lands on its parent; `None` only for an empty
/// text. Linear in the text, never panics.
pub fn line_of_pointer(text: &str, lang: Lang, pointer: &str) -> Option<usize> {
    if text.is_empty() {
        return None;
    }
    let tokens = parse_pointer(pointer);
    match lang {
        Lang::Json => Some(json_line(text, &tokens)),
        Lang::Yaml => Some(yaml_line(text, &tokens)),
        Lang::Text => Some(0),
    }
}

/// One reference token of a pointer, with its array index if it reads as one.
#[derive(Debug)]
struct Token {
    key: String,
    index: Option<usize>,
}

impl Token {
    fn new(key: String) -> Token {
        // Array indexes are "0" or digits without a leading zero.
        let canonical = !key.is_empty()
            && key.bytes().all(|b| b.is_ascii_digit())
            && (key == "0" || !key.starts_with('0'));
        let index = if canonical { key.parse().ok() } else { None };
        Token { key, index }
    }
}

/// Splits a pointer into unescaped tokens: `~1` is `/`, `~0` is `~`, in that
/// order of meaning (so `~01` is the two characters `~1`).
fn parse_pointer(pointer: &str) -> Vec<Token> {
    let pointer = pointer.strip_prefix('#').unwrap_or(pointer);
    let Some(rest) = pointer.strip_prefix('/') else {
        // "" is the whole document; anything else is not a pointer: treat it
        // as the root too rather than guessing.
        return Vec::new();
    };
    rest.split('/')
        .map(|raw| {
            let mut key = String::with_capacity(raw.len());
            let mut chars = raw.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '~' {
                    match chars.peek() {
                        Some('0') => {
                            key.push('~');
                            chars.next();
                        }
                        Some('1') => {
                            key.push('/');
                            chars.next();
                        }
                        _ => key.push('~'),
                    }
                } else {
                    key.push(c);
                }
            }
            Token::new(key)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// JSON
// ---------------------------------------------------------------------------

/// One open container while scanning JSON.
struct Frame {
    array: bool,
    /// Arrays: index of the current element.
    index: usize,
    /// Arrays: the next value starts a new element. Objects: the next string
    /// is a key.
    expecting: bool,
}

/// What the scanner does with the value starting at the current position.
enum Found {
    /// Keep scanning.
    Continue,
    /// The answer is known.
    Done(usize),
}

struct JsonSearch<'t> {
    tokens: &'t [Token],
    /// Tokens matched so far.
    matched: usize,
    /// Line of the deepest match (the root value to begin with).
    best: Option<usize>,
    /// The next value to start is the one the matched tokens name.
    pending: bool,
    /// Stack depth of the container in which `tokens[matched]` is searched.
    want_depth: Option<usize>,
}

impl JsonSearch<'_> {
    /// A value (scalar or container) starts on `line`, inside `stack`.
    fn value_start(&mut self, stack: &mut [Frame], line: usize, container: bool) -> Found {
        let depth = stack.len();
        if let Some(top) = stack.last_mut() {
            if top.array && top.expecting {
                top.expecting = false;
                if self.want_depth == Some(depth)
                    && self.tokens.get(self.matched).and_then(|t| t.index) == Some(top.index)
                {
                    self.matched += 1;
                    self.best = Some(line);
                    if self.matched == self.tokens.len() {
                        return Found::Done(line);
                    }
                    self.pending = true;
                }
            }
        } else if self.best.is_none() {
            // The root value.
            self.best = Some(line);
            if self.tokens.is_empty() {
                return Found::Done(line);
            }
        }
        if self.pending {
            if container {
                // Its members are searched one level down.
                self.want_depth = Some(depth + 1);
                self.pending = false;
            } else {
                // The pointer goes on into a scalar: it ends here.
                return Found::Done(self.best.unwrap_or(line));
            }
        }
        Found::Continue
    }
}

/// The line of the value a pointer names in JSON text (see module docs).
fn json_line(text: &str, tokens: &[Token]) -> usize {
    let bytes = text.as_bytes();
    let mut search = JsonSearch {
        tokens,
        matched: 0,
        best: None,
        pending: true,
        want_depth: None,
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut line = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'{' | b'[' => {
                if let Found::Done(l) = search.value_start(&mut stack, line, true) {
                    return l;
                }
                stack.push(Frame {
                    array: b == b'[',
                    index: 0,
                    expecting: true,
                });
                i += 1;
            }
            b'}' | b']' => {
                if search.want_depth.is_some_and(|d| d == stack.len()) {
                    // The container being searched ends without the token.
                    return search.best.unwrap_or(0);
                }
                stack.pop();
                i += 1;
            }
            b',' => {
                if let Some(top) = stack.last_mut() {
                    if top.array {
                        top.index += 1;
                    }
                    top.expecting = true;
                }
                i += 1;
            }
            b':' => {
                if let Some(top) = stack.last_mut().filter(|t| !t.array) {
                    top.expecting = false;
                }
                i += 1;
            }
            b'"' => {
                let start_line = line;
                let (end, newlines, escaped) = scan_string(bytes, i + 1);
                line += newlines;
                let content = &bytes[(i + 1).min(end)..end];
                i = (end + 1).min(bytes.len());
                let depth = stack.len();
                let is_key = stack.last().is_some_and(|t| !t.array && t.expecting);
                if is_key {
                    if let Some(top) = stack.last_mut() {
                        top.expecting = false;
                    }
                    let Some(token) = tokens.get(search.matched) else {
                        continue;
                    };
                    if search.want_depth == Some(depth) && key_equals(content, escaped, &token.key)
                    {
                        search.matched += 1;
                        search.best = Some(start_line);
                        if search.matched == tokens.len() {
                            return start_line;
                        }
                        search.pending = true;
                    }
                } else if let Found::Done(l) = search.value_start(&mut stack, start_line, false) {
                    return l;
                }
            }
            _ => {
                // A number, a literal, or garbage: one value up to a delimiter.
                if let Found::Done(l) = search.value_start(&mut stack, line, false) {
                    return l;
                }
                while i < bytes.len()
                    && !matches!(
                        bytes[i],
                        b',' | b':'
                            | b'{'
                            | b'}'
                            | b'['
                            | b']'
                            | b'"'
                            | b' '
                            | b'\t'
                            | b'\r'
                            | b'\n'
                    )
                {
                    i += 1;
                }
            }
        }
    }
    search.best.unwrap_or(0)
}

/// Scans a string body from `start` (just after the opening quote). Returns
/// the index of the closing quote (or the end of the text), the number of
/// line breaks inside (invalid JSON, but counted so lines stay right), and
/// whether it contains escapes.
fn scan_string(bytes: &[u8], start: usize) -> (usize, usize, bool) {
    let mut i = start;
    let mut newlines = 0;
    let mut escaped = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (i, newlines, escaped),
            b'\\' => {
                escaped = true;
                if bytes.get(i + 1) == Some(&b'\n') {
                    newlines += 1;
                }
                i += 2;
            }
            b'\n' => {
                newlines += 1;
                i += 1;
            }
            _ => i += 1,
        }
    }
    (bytes.len(), newlines, escaped)
}

/// Compares a JSON string body (still escaped) with a pointer token.
fn key_equals(raw: &[u8], escaped: bool, token: &str) -> bool {
    if !escaped {
        return raw == token.as_bytes();
    }
    decode_json_string(raw) == token
}

/// Decodes the escapes of a JSON string body; invalid escapes and lone
/// surrogates become U+FFFD.
fn decode_json_string(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let high = read_hex4(&mut chars);
                let c = match high {
                    Some(h @ 0xD800..=0xDBFF) => {
                        // A surrogate pair is written as two \u escapes.
                        let mut look = chars.clone();
                        let low = (look.next() == Some('\\') && look.next() == Some('u'))
                            .then(|| read_hex4(&mut look))
                            .flatten()
                            .filter(|l| (0xDC00..=0xDFFF).contains(l));
                        match low {
                            Some(l) => {
                                chars = look;
                                char::from_u32(0x10000 + ((h - 0xD800) << 10) + (l - 0xDC00))
                            }
                            None => None,
                        }
                    }
                    Some(code) => char::from_u32(code),
                    None => None,
                };
                out.push(c.unwrap_or('\u{FFFD}'));
            }
            Some(other) => out.push(other), // \" \\ \/ and unknown escapes
            None => {}
        }
    }
    out
}

fn read_hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let mut value = 0u32;
    for _ in 0..4 {
        value = value * 16 + chars.next()?.to_digit(16)?;
    }
    Some(value)
}

// ---------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------

/// What a piece of a YAML line is.
enum Entry<'a> {
    /// A `- ` sequence item marker.
    Item,
    /// A mapping key (unquoted and unescaped).
    Key(std::borrow::Cow<'a, str>),
    /// Anything else (a scalar, a flow collection, a comment...).
    Other,
}

struct YamlSearch<'t> {
    tokens: &'t [Token],
    matched: usize,
    best: usize,
    /// Column of the matched node (-1 for the root) and whether it is a key
    /// (a key's sequence value may sit at the key's own column).
    parent_col: isize,
    parent_is_key: bool,
    /// Column of the matched node's children, once the first one is seen.
    child_col: Option<usize>,
    /// Items seen so far among those children.
    items: usize,
}

impl YamlSearch<'_> {
    /// Looks at one entry starting at `col` on `line`; `Some(line)` ends the
    /// search.
    fn entry(&mut self, col: usize, entry: &Entry<'_>, line: usize) -> Option<usize> {
        let is_item = matches!(entry, Entry::Item);
        let col_i = col as isize;
        let inside =
            col_i > self.parent_col || (col_i == self.parent_col && self.parent_is_key && is_item);
        if !inside {
            // The matched node ended before the next token was found.
            return Some(self.best);
        }
        let child_col = *self.child_col.get_or_insert(col);
        if col != child_col {
            return None; // deeper content, or odd indentation: not a child
        }
        let token = self.tokens.get(self.matched)?;
        let hit = match entry {
            Entry::Item => {
                let index = self.items;
                self.items += 1;
                token.index == Some(index)
            }
            Entry::Key(key) => *key == token.key,
            Entry::Other => false,
        };
        if hit {
            self.matched += 1;
            self.best = line;
            if self.matched == self.tokens.len() {
                return Some(line);
            }
            self.parent_col = col_i;
            self.parent_is_key = !is_item;
            self.child_col = None;
            self.items = 0;
        }
        None
    }
}

/// The line of the value a pointer names in block-style YAML.
fn yaml_line(text: &str, tokens: &[Token]) -> usize {
    let mut search = YamlSearch {
        tokens,
        matched: 0,
        best: 0,
        parent_col: -1,
        parent_is_key: false,
        child_col: None,
        items: 0,
    };
    let mut first_content = None;
    // Column at or below which a block scalar (`key: |`) ends.
    let mut block_scalar: Option<usize> = None;
    for (number, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let mut rest = &line[indent..];
        if let Some(col) = block_scalar {
            if rest.trim().is_empty() || indent > col {
                continue;
            }
            block_scalar = None;
        }
        if rest.trim().is_empty() || rest.starts_with('#') {
            continue;
        }
        if indent == 0 && (is_marker(rest, "---") || is_marker(rest, "...")) {
            continue;
        }
        if first_content.is_none() {
            first_content = Some(number);
            search.best = number;
            if tokens.is_empty() {
                return number;
            }
        }
        // Walk the entries of this line: any number of `- ` markers, then a
        // key or something else.
        let mut col = indent;
        loop {
            if rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
                if let Some(found) = search.entry(col, &Entry::Item, number) {
                    return found;
                }
                let after = &rest[1..];
                let gap = after.len() - after.trim_start_matches([' ', '\t']).len();
                let dash_col = col;
                col += 1 + gap;
                rest = &after[gap..];
                if rest.starts_with('|') || rest.starts_with('>') {
                    block_scalar = Some(dash_col);
                }
                if rest.is_empty() || rest.starts_with('#') {
                    break;
                }
                continue;
            }
            let entry = match parse_key(rest) {
                Some((key, value)) => {
                    if value.starts_with('|') || value.starts_with('>') {
                        block_scalar = Some(col);
                    }
                    Entry::Key(key)
                }
                None => Entry::Other,
            };
            if let Some(found) = search.entry(col, &entry, number) {
                return found;
            }
            break;
        }
    }
    search.best
}

/// `---` or `...` alone or followed by a space.
fn is_marker(rest: &str, marker: &str) -> bool {
    rest.strip_prefix(marker)
        .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t']))
}

/// Reads `key: value` (or `key:`) at the start of `rest`: the key unquoted,
/// and the value text (trimmed at the start). `None` if this is no key.
fn parse_key(rest: &str) -> Option<(std::borrow::Cow<'_, str>, &str)> {
    use std::borrow::Cow;
    let (key, after): (Cow<'_, str>, &str) = if let Some(body) = rest.strip_prefix('"') {
        // Double-quoted: backslash escapes, like JSON's.
        let bytes = body.as_bytes();
        let (end, _, escaped) = scan_string(bytes, 0);
        let raw = &bytes[..end.min(bytes.len())];
        let key = if escaped {
            Cow::Owned(decode_json_string(raw))
        } else {
            Cow::Borrowed(body.get(..end)?)
        };
        (key, body.get(end + 1..)?)
    } else if let Some(body) = rest.strip_prefix('\'') {
        // Single-quoted: '' stands for one quote.
        let mut key = String::new();
        let mut chars = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|&(_, c)| c) == Some('\'') {
                    key.push('\'');
                    chars.next();
                } else {
                    end = Some(i);
                    break;
                }
            } else {
                key.push(c);
            }
        }
        (Cow::Owned(key), body.get(end? + 1..)?)
    } else {
        // Plain: up to the first ": " (or a final ':'), not after a comment.
        if rest.starts_with(['[', '{', '&', '*', '!', '|', '>', '%', '@', '`', '?', '#']) {
            return None;
        }
        let bytes = rest.as_bytes();
        let mut colon = None;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'#' && i > 0 && matches!(bytes[i - 1], b' ' | b'\t') {
                break;
            }
            if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ') | Some(b'\t')) {
                colon = Some(i);
                break;
            }
        }
        let colon = colon?;
        return Some((
            Cow::Borrowed(rest[..colon].trim_end()),
            rest[colon + 1..].trim_start(),
        ));
    };
    let after = after.trim_start_matches([' ', '\t']);
    let value = after.strip_prefix(':')?;
    if !(value.is_empty() || value.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, value.trim_start()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical form the store keeps: sorted keys, two-space indent.
    fn pretty(value: serde_json::Value) -> String {
        serde_json::to_string_pretty(&value).unwrap()
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).unwrap()
    }

    #[test]
    fn parses_pointers() {
        let keys = |p: &str| {
            parse_pointer(p)
                .into_iter()
                .map(|t| t.key)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(""), Vec::<String>::new());
        assert_eq!(keys("/"), vec![""]);
        assert_eq!(keys("/a~1b/c~0d/~01"), vec!["a/b", "c~d", "~1"]);
        assert_eq!(keys("#/paths/x"), vec!["paths", "x"]);
        assert_eq!(keys("/~"), vec!["~"]);
        let t = parse_pointer("/0/12/012/-/x");
        let idx: Vec<_> = t.iter().map(|t| t.index).collect();
        assert_eq!(idx, vec![Some(0), Some(12), None, None, None]);
    }

    #[test]
    fn json_pretty_text() {
        let text = pretty(serde_json::json!({
            "openapi": "3.0.0",
            "paths": {
                "/pets": { "get": { "responses": { "200": { "description": "ok" } } } },
                "/pets/{id}": {
                    "get": {
                        "parameters": [
                            { "in": "path", "name": "id" },
                            { "in": "query", "name": "verbose" }
                        ],
                        "responses": { "200": { "description": "a pet" } }
                    }
                },
                "/a~b": { "post": {} }
            }
        }));
        let at = |p: &str| line_of_pointer(&text, Lang::Json, p).unwrap();
        assert_eq!(at(""), 0);
        assert_eq!(at("/openapi"), line_of(&text, "\"openapi\""));
        assert_eq!(at("/paths"), line_of(&text, "\"paths\""));
        let id_path = line_of(&text, "\"/pets/{id}\"");
        assert_eq!(at("/paths/~1pets~1{id}"), id_path);
        let responses = text
            .lines()
            .enumerate()
            .skip(id_path)
            .find(|(_, l)| l.contains("responses"));
        assert_eq!(
            at("/paths/~1pets~1{id}/get/responses"),
            responses.unwrap().0
        );
        assert_eq!(at("/paths/~1a~0b/post"), line_of(&text, "\"post\""));
        // Arrays by index: the line where the element starts.
        let second = line_of(&text, "\"verbose\"") - 2; // the element's `{`
        assert!(text.lines().nth(second).unwrap().trim() == "{");
        assert_eq!(at("/paths/~1pets~1{id}/get/parameters/1"), second);
        assert_eq!(
            at("/paths/~1pets~1{id}/get/parameters/1/name"),
            line_of(&text, "\"verbose\"")
        );
        // Missing leaf: the parent. Missing middle: the deepest existing part.
        assert_eq!(
            at("/paths/~1pets~1{id}/get/parameters/7"),
            line_of(&text, "\"parameters\"")
        );
        assert_eq!(at("/paths/~1nope/get"), line_of(&text, "\"paths\""));
        assert_eq!(at("/openapi/deeper"), line_of(&text, "\"openapi\""));
        assert_eq!(
            at("/paths/~1pets~1{id}/get/parameters/01"),
            line_of(&text, "\"parameters\"")
        );
        // Not a pointer at all: the root.
        assert_eq!(at("paths"), 0);
    }

    #[test]
    fn json_compact_and_escaped_keys() {
        let text = "{\"a\":{\"b\\/c\":1,\n\"d\\u0041\":[10,\n20,\n{\"e\":\"x\\\"y\"}]}}";
        let at = |p: &str| line_of_pointer(text, Lang::Json, p).unwrap();
        assert_eq!(at("/a/b~1c"), 0);
        assert_eq!(at("/a/dA"), 1);
        assert_eq!(at("/a/dA/1"), 2);
        assert_eq!(at("/a/dA/2/e"), 3);
        assert_eq!(at("/a/zz"), 0);
        assert_eq!(
            decode_json_string(br"\ud83d\ude00 \ud800x \u00e9"),
            "😀 \u{FFFD}x é"
        );
    }

    #[test]
    fn yaml_block_text() {
        let text = "\
# comment
openapi: 3.0.0
info:
  title: Pets
  description: |
    servers: not a key
    paths: nor this
paths:
  /pets/{id}:
    get:
      parameters:
      - in: path
        name: id
      - in: query
        name: verbose
      responses:
        '200':
          description: a pet
  \"/a~b\":
    post: {}
tags:
  - name: one
  -   name: two
      x-list:
        - - deep
          - deeper
";
        let at = |p: &str| line_of_pointer(text, Lang::Yaml, p).unwrap();
        assert_eq!(at(""), 1);
        assert_eq!(at("/info/title"), 3);
        assert_eq!(at("/paths"), 7);
        assert_eq!(at("/servers"), 1, "keys inside a block scalar are not keys");
        assert_eq!(at("/info/description/paths"), 4);
        assert_eq!(at("/paths/~1pets~1{id}/get"), 9);
        assert_eq!(at("/paths/~1pets~1{id}/get/parameters/0"), 11);
        assert_eq!(at("/paths/~1pets~1{id}/get/parameters/1/name"), 14);
        assert_eq!(at("/paths/~1pets~1{id}/get/parameters/2"), 10);
        assert_eq!(at("/paths/~1pets~1{id}/get/responses/200/description"), 17);
        assert_eq!(at("/paths/~1pets~1{id}/get/responses/404"), 15);
        assert_eq!(at("/paths/~1a~0b/post"), 19);
        assert_eq!(
            at("/paths/~1a~0b/post/x"),
            19,
            "flow style: lands on the key"
        );
        assert_eq!(at("/tags/1"), 22);
        assert_eq!(at("/tags/1/name"), 22);
        assert_eq!(at("/tags/1/x-list/0/1"), 25);
        assert_eq!(at("/tags/0/name"), 21);
        assert_eq!(at("/nothing/here"), 1);
    }

    #[test]
    fn yaml_keys_quoted_and_plain() {
        assert_eq!(
            parse_key("a: b").map(|(k, v)| (k.into_owned(), v)),
            Some(("a".into(), "b"))
        );
        assert_eq!(
            parse_key("a:").map(|(k, _)| k.into_owned()),
            Some("a".into())
        );
        assert_eq!(
            parse_key("http://x: y").map(|(k, _)| k.into_owned()),
            Some("http://x".into())
        );
        assert_eq!(
            parse_key("'it''s': 1").map(|(k, _)| k.into_owned()),
            Some("it's".into())
        );
        assert_eq!(
            parse_key("\"a\\\"b\" : 1").map(|(k, _)| k.into_owned()),
            Some("a\"b".into())
        );
        assert!(parse_key("just text").is_none());
        assert!(parse_key("a #: b").is_none());
        assert!(parse_key("{a: 1}").is_none());
        assert!(parse_key("'unterminated: 1").is_none());
    }

    #[test]
    fn empty_text_and_text_lang() {
        assert_eq!(line_of_pointer("", Lang::Json, "/a"), None);
        assert_eq!(line_of_pointer("", Lang::Yaml, ""), None);
        assert_eq!(line_of_pointer("hello", Lang::Text, "/a"), Some(0));
        assert_eq!(line_of_pointer("\n\n  \n", Lang::Yaml, "/a"), Some(0));
        assert_eq!(line_of_pointer("\n\n  ", Lang::Json, "/a"), Some(0));
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "}}}]]]",
            "{{{{[[[",
            "\"",
            "\"\\",
            "\"\\u12",
            "{\"a\":",
            "{\"a\"",
            ":::,,,",
            "- - - -",
            "a:\n  - :\n -:\n- ",
            "\"\\ud800",
            "'",
            "\"a\": ",
            "  \"x\n",
            "é: ü\n  - ¿",
            "[1,2,{\"a\":[}]",
            "{\"a\":1}}}{\"a\":2}",
            "\u{0}\u{1}\u{ffff}",
        ];
        let pointers = [
            "",
            "/",
            "/a",
            "/a/0",
            "/0/0/0",
            "/~",
            "/a/b/c/d/e/f",
            "#",
            "x",
        ];
        for text in inputs {
            for p in pointers {
                for lang in [Lang::Json, Lang::Yaml, Lang::Text] {
                    let line = line_of_pointer(text, lang, p).unwrap();
                    assert!(line <= text.matches('\n').count());
                }
            }
        }
        // Pseudo-random byte soup.
        let mut seed = 0x2545_f491_u32;
        let alphabet = b"{}[]\":,\\ \n-ab0#'|u";
        for _ in 0..300 {
            let text: String = (0..64)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    alphabet[seed as usize % alphabet.len()] as char
                })
                .collect();
            for p in pointers {
                let _ = line_of_pointer(&text, Lang::Json, p);
                let _ = line_of_pointer(&text, Lang::Yaml, p);
            }
        }
    }
}
