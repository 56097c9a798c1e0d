//! Small text helpers every printer shares: the output sanitiser for
//! third-party text, one-line text, relative times, byte sizes and English
//! plurals.
//!
//! # The output sanitiser
//!
//! Everything a fetched document, page, server or endpoint says is hostile
//! until shown otherwise: a description can hold `ESC[2J` (clear the
//! screen), OSC 0 (set the window title) or OSC 52 (write the clipboard),
//! a carriage return that overwrites what came before, or a bidi override
//! that makes text read differently from what it is. Every printer passes
//! such text through one of these before it reaches a terminal, a Markdown
//! document or a chat message:
//!
//! - [`line`] for one-line fields (names, paths, messages, table cells):
//!   every control character, line breaks included, becomes a visible
//!   escape, so a field can never start a line of its own.
//! - [`block`] for multi-line text (an alert's text, an error): the same,
//!   keeping line feeds, tabs and CR LF line ends.
//! - [`block_bytes`] for a document as published, which need not be UTF-8.
//! - [`markdown_code`], [`markdown_text`] and [`markdown_message`] for
//!   Markdown (code spans that survive backticks, inline text that cannot
//!   turn into markup, and stays in its table cell, a finding's message with
//!   its quoted names as code).
//! - [`json_text`] for JSON printed on a terminal.
//!
//! Escapes: `ESC` is shown as `\e`, line feed, carriage return and tab as
//! `\n`, `\r`, `\t`, other C0 characters and DEL as `\x07`, C1 characters
//! and bidi controls as `\u{9b}`, `\u{202e}`, and bytes that are not UTF-8
//! as `\xff`. So `ESC[2J` in a spec prints as the text `\e[2J`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal as it is: C0 controls (line feed
/// and tab included), DEL, C1 controls (U+0080–U+009F, which some
/// terminals obey as 8-bit escapes) and the bidi embeddings, overrides and
/// isolates (U+202A–U+202E, U+2066–U+2069), which can make text read
/// differently from what it is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Writes the visible escape of an unsafe character ([`is_unsafe`]), for
/// formats that escape some of them their own way.
pub fn push_visible(out: &mut String, c: char) {
    match c {
        '\u{1b}' => out.push_str("\\e"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Third-party text for a one-line field: every control character (line
/// breaks and tabs too), DEL, C1 character and bidi control shown as a
/// visible escape. Borrows when there is nothing to escape.
pub fn line(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Third-party text of several lines: as [`line`], but line feeds, tabs
/// and the carriage return of a CR LF line end are kept.
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, multi_line: bool) -> Cow<'_, str> {
    let keep = |c: char, next: Option<char>| {
        multi_line && (c == '\n' || c == '\t' || (c == '\r' && next == Some('\n')))
    };
    let mut chars = text.chars().peekable();
    let mut clean = true;
    while let Some(c) = chars.next() {
        if is_unsafe(c) && !keep(c, chars.peek().copied()) {
            clean = false;
            break;
        }
    }
    if clean {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if is_unsafe(c) && !keep(c, chars.peek().copied()) {
            push_visible(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A document as published, for a terminal: [`block`] on its UTF-8 text,
/// and every byte that is not part of a UTF-8 character as `\xNN`.
/// Borrows when there is nothing to escape.
pub fn block_bytes(bytes: &[u8]) -> Cow<'_, [u8]> {
    if let Ok(text) = std::str::from_utf8(bytes)
        && let Cow::Borrowed(_) = block(text)
    {
        return Cow::Borrowed(bytes);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(&block(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out.into_bytes())
}

/// A [`Display`](std::fmt::Display) of third-party text as [`line`] shows
/// it, for `format!` arguments.
pub struct Line<'a>(pub &'a str);

impl std::fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&line(self.0))
    }
}

/// Third-party text as a Markdown code span on one line. The fence is one
/// backtick longer than the longest run of backticks inside, and the text
/// is padded with a space where CommonMark would otherwise take one off or
/// read a backtick as part of the fence, so the span shows exactly the
/// text, whatever it holds.
pub fn markdown_code(text: &str) -> String {
    let text = line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if text.is_empty() {
        return "` `".into();
    }
    // CommonMark takes one space off each side when both sides have one
    // and the span is not all spaces; a backtick next to the fence would
    // lengthen it.
    let all_spaces = text.chars().all(|c| c == ' ');
    let pad = text.starts_with('`')
        || text.ends_with('`')
        || (text.starts_with(' ') && text.ends_with(' ') && !all_spaces);
    let pad = if pad { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Third-party text as Markdown inline text on one line: every character
/// that could start markup (emphasis, code, links, HTML, tables,
/// strikethrough, entities) is escaped with a backslash, so the text shows
/// as written and cannot add headings, lists or links.
pub fn markdown_text(text: &str) -> String {
    let text = line(text);
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A finding's message as Markdown on one line. Messages quote names in
/// backticks (``query parameter `limit` was removed``); those quotes
/// become code spans that survive backticks in the name, and the rest is
/// [`markdown_text`].
///
/// A quote opens at a backtick at the start or after a space or `(`, and
/// closes at the first backtick after it that is followed by the end, a
/// space or punctuation, so a name holding backticks stays one span. A
/// backtick that opens nothing is shown as a backtick.
pub fn markdown_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len() + 8);
    let mut rest = message;
    let mut prev: Option<char> = None;
    loop {
        let open = rest.char_indices().find(|&(i, c)| {
            let before = if i == 0 {
                prev
            } else {
                rest[..i].chars().next_back()
            };
            c == '`' && before.is_none_or(|b| b.is_whitespace() || b == '(')
        });
        let Some((start, _)) = open else {
            out.push_str(&markdown_text(rest));
            return out;
        };
        let after = &rest[start + 1..];
        let close = after.char_indices().find(|&(i, c)| {
            c == '`'
                && after[i + 1..].chars().next().is_none_or(|n| {
                    n.is_whitespace() || matches!(n, '.' | ',' | ';' | ':' | ')' | '!' | '?')
                })
        });
        let Some((end, _)) = close else {
            out.push_str(&markdown_text(rest));
            return out;
        };
        out.push_str(&markdown_text(&rest[..start]));
        out.push_str(&markdown_code(&after[..end]));
        prev = Some('`');
        rest = &after[end + 1..];
    }
}

/// Third-party text for a Slack message (`mrkdwn`): on top of [`block`],
/// `&`, `<` and `>` are escaped as Slack asks, so the text cannot make
/// links or mentions (`<!channel>`).
pub fn slack_text(text: &str) -> String {
    block(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// JSON text (as serde writes it) for a terminal. serde escapes the C0
/// controls in strings but writes DEL, C1 characters and bidi controls as
/// they are; those become `\u` escapes here, which any JSON reader turns
/// back into the same characters. Outside strings JSON holds only ASCII
/// punctuation, letters and digits, so this changes no structure.
pub fn json_text(json: String) -> String {
    // serde escapes the C0 controls in strings; the line feeds left are
    // the layout's.
    let unsafe_here = |c: char| c > '\u{7e}' && is_unsafe(c);
    if !json.chars().any(unsafe_here) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if unsafe_here(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// serde_json's pretty layout (two-space indents), writing the characters
/// [`json_text`] escapes as `\u` escapes as it goes: JSON for a terminal
/// without holding the whole text in memory first. The bytes are the same
/// as [`json_text`] of `serde_json::to_string_pretty`.
pub struct TerminalJson<'a>(serde_json::ser::PrettyFormatter<'a>);

impl TerminalJson<'_> {
    pub fn new() -> Self {
        TerminalJson(serde_json::ser::PrettyFormatter::new())
    }
}

impl Default for TerminalJson<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl serde_json::ser::Formatter for TerminalJson<'_> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // serde escapes the C0 controls itself; what is left to escape is
        // never ASCII, so ASCII-only fragments (nearly all) pass at once.
        if fragment.is_ascii() && !fragment.contains('\u{7f}') {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c > '\u{7e}' && is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `text` on one line: line breaks and other control characters become
/// spaces, runs of white space one space, and the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_control() || c.is_whitespace() {
            ' '
        } else {
            c
        };
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(c);
    }
    out.truncate(out.trim_end().len());
    out
}

/// A duration in seconds in its largest whole unit: `45s`, `3m`, `2h`, `5d`.
pub fn span(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// `3m ago`, `in 2h`, or `now` within five seconds, for a time (unix ms)
/// seen at `now`.
pub fn relative(ms: i64, now: i64) -> String {
    let delta = (ms - now) / 1000;
    let secs = delta.unsigned_abs();
    if secs < 5 {
        return "now".into();
    }
    if delta < 0 {
        format!("{} ago", span(secs))
    } else {
        format!("in {}", span(secs))
    }
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

/// `64 MiB`, `1.5 KiB`, `100 bytes`, `1 byte`: whole units without a
/// decimal, others to one.
pub fn size(n: u64) -> String {
    for (unit, name) in [(GIB, "GiB"), (MIB, "MiB"), (KIB, "KiB")] {
        if n >= unit {
            return if n.is_multiple_of(unit) {
                format!("{} {name}", n / unit)
            } else {
                format!("{:.1} {name}", n as f64 / unit as f64)
            };
        }
    }
    plural(n, "byte", "bytes")
}

/// `1 error`, `3 errors`, `0 errors`.
/// A message for a one-line view: one that fits in `max` characters is
/// returned as it is (the printer's sanitiser shows its line breaks as
/// `\n`); a longer one (a changelog entry) has its whitespace runs, line
/// breaks included, read as one space and is cut after `max` characters
/// with `…`. JSON and HTML keep the whole text.
pub fn one_line_cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut chars = 0usize;
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= max {
                out.push('…');
                return Cow::Owned(out);
            }
            out.push(c);
            chars += 1;
        }
    }
    Cow::Owned(out)
}

/// How many characters a one-line view shows of a message.
pub const ONE_LINE_CHARS: usize = 240;

/// An integer that [`thousands`] and [`count`] print.
pub trait Integer: Copy {
    fn wide(self) -> i128;
}

macro_rules! integer {
    ($($t:ty),*) => {$(
        impl Integer for $t {
            fn wide(self) -> i128 {
                // Every one of these fits in an i128.
                self as i128
            }
        }
    )*};
}
integer!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, i128);

/// `12,345` (and `-12,345`): digits in groups of three.
pub fn thousands(n: impl Integer) -> String {
    let n = n.wide();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 error`, `1,402 errors`: [`plural`] with [`thousands`].
pub fn count(n: impl Integer, one: &str, many: &str) -> String {
    let n = n.wide();
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every hostile thing the sanitiser must defuse, in one string.
    const HOSTILE: &str = "a\u{1b}[2J\u{1b}]0;pwned\u{7}\u{1b}]52;c;cHduZWQ=\u{7} cr\rback \
        bidi\u{202e}evil\u{2066} c1\u{9b}31m del\u{7f} nul\u{0}\tx\n# injected\r\n| t |";

    fn assert_terminal_safe(s: &str) {
        assert!(!s.chars().any(is_unsafe), "{s:?}");
    }

    #[test]
    fn line_shows_every_control_as_a_visible_escape() {
        let out = line(HOSTILE);
        assert_terminal_safe(&out);
        assert_eq!(
            out,
            "a\\e[2J\\e]0;pwned\\x07\\e]52;c;cHduZWQ=\\x07 cr\\rback bidi\\u{202e}evil\\u{2066} \
             c1\\u{9b}31m del\\x7f nul\\x00\\tx\\n# injected\\r\\n| t |"
        );
        assert!(matches!(line("plain ünï `code` | x"), Cow::Borrowed(_)));
    }

    #[test]
    fn block_keeps_line_feeds_tabs_and_crlf_only() {
        let out = block(HOSTILE);
        assert_eq!(
            out,
            "a\\e[2J\\e]0;pwned\\x07\\e]52;c;cHduZWQ=\\x07 cr\\rback bidi\\u{202e}evil\\u{2066} \
             c1\\u{9b}31m del\\x7f nul\\x00\tx\n# injected\r\n| t |"
        );
        assert!(matches!(block("two\nlines\r\n\tok"), Cow::Borrowed(_)));
        assert_eq!(block("end\r"), "end\\r");
    }

    #[test]
    fn bytes_that_are_not_utf8_are_shown_as_hex() {
        assert_eq!(
            block_bytes(b"ok\n\x1b[2J \x9b31m \xff"),
            &b"ok\n\\e[2J \\x9b31m \\xff"[..]
        );
        let exact = "à la carte\r\n".as_bytes();
        assert!(matches!(block_bytes(exact), Cow::Borrowed(b) if b == exact));
    }

    #[test]
    fn code_spans_survive_backticks_spaces_and_controls() {
        assert_eq!(markdown_code("limit"), "`limit`");
        assert_eq!(markdown_code("a`b"), "``a`b``");
        assert_eq!(markdown_code("``x"), "``` ``x ```");
        assert_eq!(markdown_code("x` "), "``x` ``");
        assert_eq!(markdown_code(" x "), "`  x  `");
        assert_eq!(markdown_code(" x"), "` x`");
        assert_eq!(markdown_code(""), "` `");
        assert_eq!(markdown_code("q\u{1b}[2J\n# h"), "`q\\e[2J\\n# h`");
    }

    #[test]
    fn markdown_text_cannot_become_markup() {
        assert_eq!(
            markdown_text("*a* _b_ [l](u) <b> `c` | ~d~ &amp; # !x \\"),
            "\\*a\\* \\_b\\_ \\[l\\](u) \\<b\\> \\`c\\` \\| \\~d\\~ \\&amp; \\# \\!x \\\\"
        );
        assert_eq!(markdown_text("x\n# injected"), "x\\\\n\\# injected");
        assert!(!markdown_text(HOSTILE).contains('\n'));
    }

    #[test]
    fn messages_keep_their_quoted_names_as_code() {
        assert_eq!(
            markdown_message("query parameter `limit` was removed"),
            "query parameter `limit` was removed"
        );
        assert_eq!(
            markdown_message("operation id changed from `a` to `b`."),
            "operation id changed from `a` to `b`."
        );
        // A name holding backticks, a line break and a pipe stays one span.
        assert_eq!(
            markdown_message("query parameter `q`x\n# pn`|` was removed"),
            "query parameter ``q`x\\n# pn`|`` was removed"
        );
        // A backtick that opens nothing is text.
        assert_eq!(markdown_message("it`s `open"), "it\\`s \\`open");
        assert_eq!(markdown_message("*x* (`y`)"), "\\*x\\* (`y`)");
    }

    #[test]
    fn slack_text_cannot_link_or_mention() {
        assert_eq!(
            slack_text("<!channel> <http://x|y> & \u{1b}[2J\nnext"),
            "&lt;!channel&gt; &lt;http://x|y&gt; &amp; \\e[2J\nnext"
        );
    }

    #[test]
    fn json_text_escapes_what_serde_leaves() {
        let value = serde_json::json!({ "s": "a\u{1b}b\u{9b}c\u{7f}d\u{202e}e\nf" });
        let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
        let out = json_text(pretty);
        assert_terminal_safe(&out.replace('\n', ""));
        assert!(
            out.contains("a\\u001bb\\u009bc\\u007fd\\u202ee\\nf"),
            "{out}"
        );
        let back: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert_eq!(back, value);
    }

    #[test]
    fn terminal_json_writes_what_json_text_makes_of_pretty_json() {
        let value = serde_json::json!({
            "k\u{9b}ey": ["a\u{1b}b\u{9b}c\u{7f}d\u{202e}e\nf", "plain", "ünï\u{2066}", []],
            "n": {"x": 1.5, "y": null, "z": {}},
            "s": "\u{85}",
        });
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, TerminalJson::new());
        serde::Serialize::serialize(&value, &mut ser).unwrap_or_default();
        let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
        assert_eq!(String::from_utf8_lossy(&out), json_text(pretty));
        assert_terminal_safe(&String::from_utf8_lossy(&out).replace('\n', ""));
    }

    #[test]
    fn one_line_folds_breaks_controls_and_runs() {
        assert_eq!(one_line("  a\r\n\tb  \u{7}c \n"), "a b c");
        assert_eq!(one_line(""), "");
        assert_eq!(one_line("ünï  cödé"), "ünï cödé");
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = 1_000_000_000;
        assert_eq!(relative(now - 2_000, now), "now");
        assert_eq!(relative(now - 45_000, now), "45s ago");
        assert_eq!(relative(now - 3 * 60_000, now), "3m ago");
        assert_eq!(relative(now + 2 * 3_600_000, now), "in 2h");
        assert_eq!(relative(now - 5 * 86_400_000, now), "5d ago");
    }

    #[test]
    fn sizes_and_plurals() {
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(100), "100 bytes");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(64 * MIB), "64 MiB");
        assert_eq!(size(3 * GIB + GIB / 2), "3.5 GiB");
        assert_eq!(plural(1u32, "error", "errors"), "1 error");
        assert_eq!(plural(0u32, "error", "errors"), "0 errors");
        assert_eq!(plural(2u64, "watch", "watches"), "2 watches");
    }
}
