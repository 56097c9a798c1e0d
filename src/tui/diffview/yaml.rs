//! A small YAML tokenizer for highlighting, used instead of syntect's YAML
//! syntax.
//!
//! Why: syntect's bundled YAML grammar runs on the `fancy-regex` engine at
//! about 5 000 lines a second (measured on OpenAI's 87 000-line description:
//! 15 s to parse it once, 60–170 ms to highlight one screen from a
//! checkpoint), far outside a frame. This tokenizer does the same job for
//! block-style YAML in microseconds a line, and assigns the scopes syntect's
//! grammar would (`entity.name.tag.yaml` for keys, …) so that the colours
//! still come from the syntect theme.
//!
//! The only state carried from line to line is "inside a block scalar
//! (`key: |`) whose key sits at column `c`". It can be recovered for any line
//! by walking up the lines of decreasing indentation (see
//! [`block_state_before`]), so no checkpoints are needed. Multi-line quoted
//! and flow scalars are coloured line by line (best effort; they are rare in
//! API descriptions).

use std::ops::Range;

/// What a piece of a YAML line is; each maps to a scope stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Key,
    Colon,
    Dash,
    Plain,
    DoubleQuoted,
    SingleQuoted,
    Number,
    Bool,
    Null,
    Comment,
    Anchor,
    Alias,
    Tag,
    BlockIndicator,
    BlockContent,
    Document,
    Directive,
    FlowPunctuation,
}

impl Kind {
    /// Every kind, in the order of [`Kind::index`].
    pub(crate) const ALL: [Kind; 18] = [
        Kind::Key,
        Kind::Colon,
        Kind::Dash,
        Kind::Plain,
        Kind::DoubleQuoted,
        Kind::SingleQuoted,
        Kind::Number,
        Kind::Bool,
        Kind::Null,
        Kind::Comment,
        Kind::Anchor,
        Kind::Alias,
        Kind::Tag,
        Kind::BlockIndicator,
        Kind::BlockContent,
        Kind::Document,
        Kind::Directive,
        Kind::FlowPunctuation,
    ];

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The scopes syntect's YAML grammar gives this kind of token (below
    /// `source.yaml`), so a theme colours it the same way.
    pub(crate) fn scopes(self) -> &'static [&'static str] {
        match self {
            Kind::Key => &["string.unquoted.plain.out.yaml", "entity.name.tag.yaml"],
            Kind::Colon => &["punctuation.separator.key-value.mapping.yaml"],
            Kind::Dash => &["punctuation.definition.block.sequence.item.yaml"],
            Kind::Plain => &["string.unquoted.plain.out.yaml"],
            Kind::DoubleQuoted => &["string.quoted.double.yaml"],
            Kind::SingleQuoted => &["string.quoted.single.yaml"],
            Kind::Number => &["constant.numeric.integer.yaml"],
            Kind::Bool => &["constant.language.boolean.yaml"],
            Kind::Null => &["constant.language.null.yaml"],
            Kind::Comment => &["comment.line.number-sign.yaml"],
            Kind::Anchor => &["meta.property.yaml", "entity.name.other.anchor.yaml"],
            Kind::Alias => &["variable.other.alias.yaml"],
            Kind::Tag => &["meta.property.yaml", "storage.type.tag-handle.yaml"],
            Kind::BlockIndicator => &["keyword.control.flow.block-scalar.literal.yaml"],
            Kind::BlockContent => &["string.unquoted.block.yaml"],
            Kind::Document => &["entity.other.document.begin.yaml"],
            Kind::Directive => &["meta.directive.yaml", "keyword.other.directive.yaml.yaml"],
            Kind::FlowPunctuation => &["punctuation.definition.mapping.begin.yaml"],
        }
    }
}

/// Tokens of one line: kind and byte range, ascending, gaps are plain text.
pub(crate) type Tokens = Vec<(Kind, Range<usize>)>;

/// Number of leading spaces.
fn indent(line: &str) -> usize {
    line.bytes().take_while(|&b| b == b' ').count()
}

/// Whether a line is blank (only spaces/tabs).
fn blank(line: &str) -> bool {
    line.bytes().all(|b| b == b' ' || b == b'\t' || b == b'\r')
}

/// Tokenizes `line`. `block` is the block-scalar state before the line
/// (`Some(c)`: inside a block scalar whose key or dash is at column `c`) and
/// is updated for the next line.
pub(crate) fn lex_line(line: &str, block: &mut Option<usize>, out: &mut Tokens) {
    out.clear();
    let start = indent(line);
    if let Some(col) = *block {
        if blank(line) {
            return;
        }
        if start > col {
            out.push((Kind::BlockContent, start..line.trim_end().len().max(start)));
            return;
        }
        *block = None;
    }
    let rest = &line[start..];
    if rest.is_empty() {
        return;
    }
    if start == 0 && rest.starts_with('%') {
        out.push((Kind::Directive, 0..line.len()));
        return;
    }
    let mut pos = start;
    if start == 0 && (is_marker(rest, "---") || is_marker(rest, "...")) {
        out.push((Kind::Document, 0..3));
        pos = skip_spaces(line, 3);
    }
    // Sequence dashes, possibly nested (`- - x`).
    let mut node_col = pos;
    while let Some(after) = dash_at(line, pos) {
        out.push((Kind::Dash, pos..pos + 1));
        node_col = pos;
        pos = after;
    }
    // A key, if the line has one here.
    if let Some((key_end, colon)) = key_at(line, pos) {
        // Quoted keys get the key colour too, quotes included.
        out.push((Kind::Key, pos..key_end));
        out.push((Kind::Colon, colon..colon + 1));
        node_col = pos;
        pos = skip_spaces(line, colon + 1);
    }
    lex_value(line, pos, node_col, block, out);
}

/// `---`/`...` alone or followed by a space.
fn is_marker(rest: &str, marker: &str) -> bool {
    rest.strip_prefix(marker)
        .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t']))
}

/// After spaces from `pos`.
fn skip_spaces(line: &str, pos: usize) -> usize {
    pos + line
        .get(pos..)
        .map_or(0, |r| r.len() - r.trim_start_matches([' ', '\t']).len())
}

/// If a `- ` sequence dash is at `pos`, the position after it and its spaces.
fn dash_at(line: &str, pos: usize) -> Option<usize> {
    let rest = line.get(pos..)?;
    if rest == "-" || rest.starts_with("- ") || rest.starts_with("-\t") {
        Some(skip_spaces(line, pos + 1))
    } else {
        None
    }
}

/// If a mapping key starts at `pos`: the end of the key and the position of
/// its `:`.
fn key_at(line: &str, pos: usize) -> Option<(usize, usize)> {
    let bytes = line.as_bytes();
    let first = *bytes.get(pos)?;
    let end = match first {
        b'"' => closing_double(bytes, pos + 1)? + 1,
        b'\'' => closing_single(bytes, pos + 1)? + 1,
        b'[' | b'{' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`' => return None,
        _ => {
            // Plain: up to the first `: ` (or final `:`), unless a comment
            // starts first.
            let mut i = pos;
            loop {
                let b = *bytes.get(i)?;
                if b == b'#' && i > pos && matches!(bytes[i - 1], b' ' | b'\t') {
                    return None;
                }
                if b == b':' && matches!(bytes.get(i + 1), None | Some(b' ') | Some(b'\t')) {
                    let end = pos + line[pos..i].trim_end().len();
                    return Some((end.max(pos), i));
                }
                i += 1;
            }
        }
    };
    let colon = skip_spaces(line, end);
    (bytes.get(colon) == Some(&b':')
        && matches!(bytes.get(colon + 1), None | Some(b' ') | Some(b'\t')))
    .then_some((end, colon))
}

/// Index of the closing `"` of a double-quoted scalar whose body starts at
/// `from` (backslash escapes skipped).
fn closing_double(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

/// Index of the closing `'` of a single-quoted scalar (`''` is an escaped
/// quote).
fn closing_single(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                i += 2;
                continue;
            }
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Tokenizes the value part of a line from `pos` (node properties, then a
/// scalar, a flow collection or a block scalar header, then a comment).
fn lex_value(
    line: &str,
    mut pos: usize,
    node_col: usize,
    block: &mut Option<usize>,
    out: &mut Tokens,
) {
    let bytes = line.as_bytes();
    let len = line.trim_end().len();
    // Anchors and tags before the value.
    while pos < len && matches!(bytes[pos], b'&' | b'!') {
        let end = word_end(bytes, pos, len);
        out.push((
            if bytes[pos] == b'&' {
                Kind::Anchor
            } else {
                Kind::Tag
            },
            pos..end,
        ));
        pos = skip_spaces(line, end);
    }
    if pos >= len {
        return;
    }
    match bytes[pos] {
        b'#' => out.push((Kind::Comment, pos..len)),
        b'*' => {
            let end = word_end(bytes, pos, len);
            out.push((Kind::Alias, pos..end));
            trailing_comment(line, end, out);
        }
        b'|' | b'>' => {
            // A block scalar header: indicator, optional chomping and
            // indentation digits, then nothing but a comment.
            let mut end = pos + 1;
            while end < len && matches!(bytes[end], b'-' | b'+' | b'0'..=b'9') {
                end += 1;
            }
            let after = skip_spaces(line, end);
            if after >= len || bytes[after] == b'#' {
                out.push((Kind::BlockIndicator, pos..end));
                trailing_comment(line, end, out);
                *block = Some(node_col);
            } else {
                plain_scalar(line, pos, len, out);
            }
        }
        b'"' => {
            let end = closing_double(bytes, pos + 1).map_or(len, |e| e + 1);
            out.push((Kind::DoubleQuoted, pos..end.min(len)));
            trailing_comment(line, end, out);
        }
        b'\'' => {
            let end = closing_single(bytes, pos + 1).map_or(len, |e| e + 1);
            out.push((Kind::SingleQuoted, pos..end.min(len)));
            trailing_comment(line, end, out);
        }
        b'{' | b'[' => flow(line, pos, len, out),
        _ => plain_scalar(line, pos, len, out),
    }
}

/// End of an anchor/alias/tag word (up to white space or a flow indicator).
fn word_end(bytes: &[u8], pos: usize, len: usize) -> usize {
    let mut end = pos + 1;
    while end < len && !matches!(bytes[end], b' ' | b'\t' | b',' | b']' | b'}' | b'[' | b'{') {
        end += 1;
    }
    end
}

/// A comment after a value, if any.
fn trailing_comment(line: &str, from: usize, out: &mut Tokens) {
    let len = line.trim_end().len();
    let pos = skip_spaces(line, from);
    if pos < len && line.as_bytes()[pos] == b'#' && pos > from {
        out.push((Kind::Comment, pos..len));
    }
}

/// A plain scalar from `pos` to a ` #` comment or the end, classified.
fn plain_scalar(line: &str, pos: usize, len: usize, out: &mut Tokens) {
    let bytes = line.as_bytes();
    let mut end = len;
    for i in pos + 1..len {
        if bytes[i] == b'#' && matches!(bytes[i - 1], b' ' | b'\t') {
            end = i;
            break;
        }
    }
    let text_end = pos + line[pos..end].trim_end().len();
    out.push((classify(&line[pos..text_end]), pos..text_end));
    if end < len {
        out.push((Kind::Comment, end..len));
    }
}

/// What a plain scalar is: YAML 1.2 core schema booleans, nulls and numbers,
/// else a string.
fn classify(text: &str) -> Kind {
    match text {
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return Kind::Bool,
        "null" | "Null" | "NULL" | "~" => return Kind::Null,
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | "+.Inf" | "-.Inf" | ".nan" | ".NaN"
        | ".NAN" => return Kind::Number,
        _ => {}
    }
    if is_number(text) {
        Kind::Number
    } else {
        Kind::Plain
    }
}

/// Decimal integers and floats (with exponent), `0x…` and `0o…`.
fn is_number(text: &str) -> bool {
    if let Some(hex) = text.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = text.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(whole)
        && fraction.is_none_or(digits)
        && (!whole.is_empty() || fraction.is_some_and(|f| !f.is_empty()));
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// A flow collection on one line: punctuation, keys (`a:`), scalars.
fn flow(line: &str, mut pos: usize, len: usize, out: &mut Tokens) {
    let bytes = line.as_bytes();
    while pos < len {
        match bytes[pos] {
            b'{' | b'}' | b'[' | b']' | b',' => {
                out.push((Kind::FlowPunctuation, pos..pos + 1));
                pos += 1;
            }
            b' ' | b'\t' => pos += 1,
            b'#' if pos > 0 && matches!(bytes[pos - 1], b' ' | b'\t') => {
                out.push((Kind::Comment, pos..len));
                return;
            }
            b':' => {
                out.push((Kind::Colon, pos..pos + 1));
                pos += 1;
            }
            b'"' | b'\'' => {
                let close = if bytes[pos] == b'"' {
                    closing_double(bytes, pos + 1)
                } else {
                    closing_single(bytes, pos + 1)
                };
                let end = close.map_or(len, |e| e + 1).min(len);
                let kind = if bytes[pos] == b'"' {
                    Kind::DoubleQuoted
                } else {
                    Kind::SingleQuoted
                };
                out.push((kind, pos..end));
                pos = end;
            }
            _ => {
                // A scalar up to a flow indicator or `: `.
                let mut end = pos;
                while end < len
                    && !matches!(bytes[end], b',' | b'[' | b']' | b'{' | b'}')
                    && !(bytes[end] == b':'
                        && matches!(
                            bytes.get(end + 1),
                            None | Some(b' ') | Some(b',') | Some(b'}')
                        ))
                {
                    end += 1;
                }
                let text_end = pos + line[pos..end].trim_end().len();
                let is_key = bytes.get(end) == Some(&b':');
                let kind = if is_key {
                    Kind::Key
                } else {
                    classify(&line[pos..text_end])
                };
                if text_end > pos {
                    out.push((kind, pos..text_end));
                }
                pos = end.max(pos + 1);
            }
        }
    }
}

/// The column of the node owning a block scalar header on `line` (the key,
/// or the dash for `- |`), if the line is such a header.
fn header_col(line: &str) -> Option<usize> {
    let mut block = None;
    let mut scratch = Tokens::new();
    // Cheap pre-check: a header ends with an indicator (or a comment).
    if !line.contains(['|', '>']) {
        return None;
    }
    lex_line(line, &mut block, &mut scratch);
    block
}

/// The block-scalar state before line `target`: `Some(c)` if it lies inside
/// a block scalar whose key (or dash) is at column `c`. `line(i)` gives line
/// `i`.
///
/// Walks up from `target` over its ancestors: the lines indented less than
/// every line seen so far. A block scalar header among them whose key column
/// is below all those lines owns `target`; the outermost such header wins (a
/// header-like line inside a block scalar is only text). The walk ends at
/// column 0. Cost: one indentation check per line walked (at worst, up to the
/// enclosing top-level key).
pub(crate) fn block_state_before<'a>(
    target: usize,
    line: impl Fn(usize) -> Option<&'a str>,
) -> Option<usize> {
    let mut lowest = usize::MAX; // lowest indentation between here and target
    let mut found = None;
    for i in (0..target).rev() {
        let Some(text) = line(i) else { break };
        if blank(text) {
            continue;
        }
        let ind = indent(text);
        if ind >= lowest {
            continue;
        }
        if let Some(col) = header_col(text)
            && lowest > col
        {
            found = Some(col);
        }
        lowest = ind;
        if lowest == 0 {
            break;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(line: &str) -> Vec<(Kind, &str)> {
        let mut block = None;
        let mut out = Tokens::new();
        lex_line(line, &mut block, &mut out);
        out.iter().map(|(k, r)| (*k, &line[r.clone()])).collect()
    }

    #[test]
    fn keys_values_and_items() {
        assert_eq!(
            lex("openapi: 3.1.0"),
            vec![
                (Kind::Key, "openapi"),
                (Kind::Colon, ":"),
                (Kind::Plain, "3.1.0")
            ]
        );
        assert_eq!(
            lex("      - in: path # c"),
            vec![
                (Kind::Dash, "-"),
                (Kind::Key, "in"),
                (Kind::Colon, ":"),
                (Kind::Plain, "path"),
                (Kind::Comment, "# c")
            ]
        );
        assert_eq!(
            lex("  /pets/{id}:"),
            vec![(Kind::Key, "/pets/{id}"), (Kind::Colon, ":")]
        );
        assert_eq!(
            lex("  '200':"),
            vec![(Kind::Key, "'200'"), (Kind::Colon, ":")]
        );
        assert_eq!(
            lex("n: 12"),
            vec![(Kind::Key, "n"), (Kind::Colon, ":"), (Kind::Number, "12")]
        );
        assert_eq!(lex("f: -1.5e3")[2], (Kind::Number, "-1.5e3"));
        assert_eq!(lex("b: true")[2], (Kind::Bool, "true"));
        assert_eq!(lex("x: ~")[2], (Kind::Null, "~"));
        assert_eq!(
            lex("d: \"a \\\" b\" # c")[2..],
            [(Kind::DoubleQuoted, "\"a \\\" b\""), (Kind::Comment, "# c")]
        );
        assert_eq!(lex("s: 'it''s'")[2], (Kind::SingleQuoted, "'it''s'"));
        assert_eq!(
            lex("a: &anc !t x"),
            vec![
                (Kind::Key, "a"),
                (Kind::Colon, ":"),
                (Kind::Anchor, "&anc"),
                (Kind::Tag, "!t"),
                (Kind::Plain, "x")
            ]
        );
        assert_eq!(lex("b: *anc")[2], (Kind::Alias, "*anc"));
        assert_eq!(
            lex("- - x"),
            vec![(Kind::Dash, "-"), (Kind::Dash, "-"), (Kind::Plain, "x")]
        );
        assert_eq!(lex("url: http://x.y/z")[2], (Kind::Plain, "http://x.y/z"));
        assert_eq!(
            lex("# only a comment"),
            vec![(Kind::Comment, "# only a comment")]
        );
        assert_eq!(lex("---"), vec![(Kind::Document, "---")]);
        assert_eq!(lex("%YAML 1.2"), vec![(Kind::Directive, "%YAML 1.2")]);
        let flow = lex("f: {a: 1, b: [x, \"y\"]}");
        assert!(flow.contains(&(Kind::Key, "a")) && flow.contains(&(Kind::Number, "1")));
        assert!(
            flow.contains(&(Kind::DoubleQuoted, "\"y\""))
                && flow.contains(&(Kind::FlowPunctuation, "]"))
        );
    }

    #[test]
    fn block_scalars() {
        let text = "a:\n  description: |\n    line: not a key\n\n      - not an item\n  next: 1\n- >-\n  folded\nz: 'x'\n";
        let lines: Vec<&str> = text.lines().collect();
        let mut block = None;
        let mut out = Tokens::new();
        let mut kinds = Vec::new();
        for line in &lines {
            lex_line(line, &mut block, &mut out);
            kinds.push(out.first().map(|t| t.0));
        }
        assert_eq!(kinds[1], Some(Kind::Key));
        assert_eq!(kinds[2], Some(Kind::BlockContent));
        assert_eq!(kinds[3], None);
        assert_eq!(kinds[4], Some(Kind::BlockContent));
        assert_eq!(kinds[5], Some(Kind::Key));
        assert_eq!(kinds[6], Some(Kind::Dash));
        assert_eq!(kinds[7], Some(Kind::BlockContent));
        assert_eq!(kinds[8], Some(Kind::Key));
        // The state recovered by walking up agrees with the forward pass.
        let mut block = None;
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(
                block_state_before(i, |k| lines.get(k).copied()),
                block,
                "line {i}"
            );
            lex_line(line, &mut block, &mut out);
        }
        assert_eq!(lex("x: a | b")[2], (Kind::Plain, "a | b"));
        assert_eq!(header_col("  - key: |+2 # c"), Some(4));
        assert_eq!(header_col("  - |"), Some(2));
        assert_eq!(header_col("  - key: value |"), None);
        // A header-like line inside a block scalar is text: the outer
        // scalar still owns what follows.
        let text = "d: |\n  run: |\n    x\n  more\ne: 1\n";
        let lines: Vec<&str> = text.lines().collect();
        let mut block = None;
        for (i, line) in lines.iter().enumerate() {
            assert_eq!(
                block_state_before(i, |k| lines.get(k).copied()),
                block,
                "line {i}"
            );
            lex_line(line, &mut block, &mut out);
        }
    }

    #[test]
    fn numbers() {
        for yes in [
            "0", "12", "-3", "+4.5", "1e10", "2.5E-3", ".5", "0x1F", "0o17", ".inf", "-.inf",
            ".NaN",
        ] {
            assert_eq!(classify(yes), Kind::Number, "{yes}");
        }
        for no in ["1.2.3", "-", ".", "e5", "0x", "12a", "1e", "v1"] {
            assert_eq!(classify(no), Kind::Plain, "{no}");
        }
    }

    #[test]
    fn never_panics() {
        let samples = [
            "",
            " ",
            "-",
            "- ",
            ":",
            ": x",
            "\"",
            "'",
            "\"\\",
            "{",
            "[",
            "a: {",
            "a: [\"",
            "&",
            "!",
            "*",
            "|",
            ">",
            "key: |",
            "- - - ",
            "#",
            " #",
            "a:b",
            "a :b",
            "é: ü",
            "  - \"k\": v",
            "'a'b: c",
            "x: 'unterminated",
            "%",
            "---x",
            "... y",
            "a: {b: \"c",
            "a: [x, {y: z}]",
            "\u{0}: \u{1}",
        ];
        for s in samples {
            let mut out = Tokens::new();
            for state in [None, Some(0), Some(3)] {
                let mut block = state;
                lex_line(s, &mut block, &mut out);
                for (_, r) in &out {
                    assert!(r.start <= r.end && r.end <= s.len(), "{s:?} {r:?}");
                    assert!(s.is_char_boundary(r.start) && s.is_char_boundary(r.end));
                }
                // Tokens are in order and do not overlap.
                assert!(
                    out.windows(2).all(|w| w[0].1.end <= w[1].1.start),
                    "{s:?} {out:?}"
                );
            }
        }
    }
}
