//! Pages (changelogs, status pages, pricing pages) compared as readable text.
//!
//! Markup is rendered to plain text at a fixed width, so a page that only
//! changed its indentation, attributes, scripts or styles gives the same
//! text. Headings keep a `#` prefix and list items a `* ` or `1. ` prefix,
//! so a diff still shows structure. Links show their text only (no
//! footnotes of URLs: tracking parameters in hrefs change on every deploy).

use super::{Limits, Normalized, SpecError, text};

/// The width pages are wrapped at. Fixed, so the text does not depend on
/// the terminal it is later shown in.
pub const PAGE_WIDTH: usize = 100;

/// Normalizes a page body (already checked for emptiness and UTF-8).
///
/// A body whose first non-space character is `<` is markup (HTML, XHTML,
/// an RSS/Atom feed) and is rendered to text; anything else is plain text.
/// Either way the text is then tidied by [`tidy`].
///
/// The HTML parser takes time quadratic in element nesting (10 000 nested
/// `<div>`s cost seconds), so markup nested deeper than `limits.max_depth`
/// is refused with [`SpecError::TooDeep`] before it is parsed.
pub fn normalize_page(body: &str, limits: &Limits) -> Result<Normalized, SpecError> {
    let (rendered, format, title) = if text::looks_like_markup(body) {
        let scan = scan_markup(body, limits.max_depth);
        if scan.too_deep {
            return Err(SpecError::TooDeep {
                limit: limits.max_depth,
            });
        }
        // Rendering indents every line by the lists and quotes around it:
        // a megabyte of items 500 lists deep renders to hundreds of
        // megabytes. What the indentation alone will cost is known before
        // rendering.
        if scan.indent_bytes > limits.max_expanded_bytes {
            return Err(SpecError::TooLarge {
                limit: limits.max_expanded_bytes,
                budget: super::ByteBudget::ExpandedBytes,
            });
        }
        let content = strip_chrome(body);
        let rendered = html2text::config::plain_no_decorate()
            .link_footnotes(false)
            // Deeply nested lists or quotes indent past the width; let
            // them overflow rather than fail the page.
            .allow_width_overflow()
            .string_from_read(content.as_bytes(), PAGE_WIDTH)
            .map_err(|e| SpecError::Render {
                message: e.to_string(),
            })?;
        (rendered, "html", text::html_title(body))
    } else {
        (body.to_owned(), "text", None)
    };
    let tidied = tidy(&rendered);
    if tidied.is_empty() {
        return Err(SpecError::NoText);
    }
    if tidied.len() > limits.max_expanded_bytes {
        return Err(SpecError::TooLarge {
            limit: limits.max_expanded_bytes,
            budget: super::ByteBudget::ExpandedBytes,
        });
    }
    Ok(Normalized {
        canonical: tidied.into_bytes(),
        format: format.to_owned(),
        spec_version: None,
        title,
    })
}

/// Site chrome left out of a page's text: navigation always, headers and
/// footers outside the page's content (`article`, `main`, `section`), where
/// a header is usually an entry's title. Menus, banners and "last updated"
/// footers change with every deploy and say nothing about the API.
fn strip_chrome(body: &str) -> std::borrow::Cow<'_, str> {
    let bytes = body.as_bytes();
    let mut out = String::new();
    let mut kept = 0usize;
    let mut content = 0usize;
    let mut at = 0usize;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let lt = at + offset;
        at = lt + 1;
        let closing = bytes.get(lt + 1) == Some(&b'/');
        let start = lt + 1 + usize::from(closing);
        let len = bytes[start.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let name = body[start..start + len].to_ascii_lowercase();
        if matches!(name.as_str(), "article" | "main" | "section") {
            content = if closing {
                content.saturating_sub(1)
            } else {
                content + 1
            };
            continue;
        }
        let chrome = name == "nav" || (content == 0 && (name == "header" || name == "footer"));
        if closing || !chrome {
            continue;
        }
        // The element's end, counting nested elements of the same name.
        let mut depth = 0usize;
        let mut scan = lt;
        let mut end = bytes.len();
        while let Some(o) = bytes[scan..].iter().position(|&b| b == b'<') {
            let t = scan + o;
            scan = t + 1;
            let close = bytes.get(t + 1) == Some(&b'/');
            let s0 = t + 1 + usize::from(close);
            let matches = body
                .get(s0..s0 + name.len())
                .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                && !bytes
                    .get(s0 + name.len())
                    .is_some_and(u8::is_ascii_alphanumeric);
            if !matches {
                continue;
            }
            if close {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    end = find(bytes, t, b">").map_or(bytes.len(), |e| e + 1);
                    break;
                }
            } else {
                depth += 1;
            }
        }
        out.push_str(&body[kept..lt]);
        kept = end;
        at = end;
    }
    if kept == 0 {
        return std::borrow::Cow::Borrowed(body);
    }
    out.push_str(&body[kept..]);
    std::borrow::Cow::Owned(out)
}

/// Elements that never hold content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "command", "embed", "frame", "hr", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];
/// Elements whose end tag may be left out; the parser closes them when a
/// sibling starts, so they do not pile up.
const OPTIONAL_END: &[&str] = &[
    "body", "caption", "colgroup", "dd", "dt", "head", "html", "li", "optgroup", "option", "p",
    "rb", "rp", "rt", "rtc", "tbody", "td", "tfoot", "th", "thead", "tr",
];
/// Elements whose content is raw text, not markup.
const RAW_TEXT: &[&str] = &[
    "iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp",
];

/// Elements whose content the rendered text indents (a list item's marker,
/// a quote's `> `): at least two columns a level.
const INDENTING: &[&str] = &["blockquote", "dir", "dl", "menu", "ol", "ul"];

/// What a linear scan of markup tells before it is parsed.
#[derive(Debug, Default)]
struct MarkupScan {
    /// More than the limit of elements open at once.
    too_deep: bool,
    /// A lower bound of the bytes the rendered text spends on indentation:
    /// two a level of [`INDENTING`] elements for each run of text.
    indent_bytes: usize,
}

/// Whether the markup opens more than `limit` elements without closing
/// them, by a linear scan of its tags. This is an estimate of the depth of
/// the tree the HTML parser would build: void elements, elements with
/// optional end tags, comments and raw text are skipped, and `/>` counts
/// as closing only inside SVG or MathML, as in the parser.
#[cfg(test)]
fn markup_depth_exceeds(body: &str, limit: usize) -> bool {
    scan_markup(body, limit).too_deep
}

/// Scans the tags of `body` once (see [`MarkupScan`]); stops at the first
/// sign of nesting deeper than `limit`.
fn scan_markup(body: &str, limit: usize) -> MarkupScan {
    let bytes = body.as_bytes();
    let mut out = MarkupScan::default();
    let mut depth = 0usize;
    let mut foreign = 0usize;
    let mut indent = 0usize;
    let mut at = 0usize;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let lt = at + offset;
        if bytes[at..lt].iter().any(|b| !b.is_ascii_whitespace()) {
            out.indent_bytes = out.indent_bytes.saturating_add(2 * indent);
        }
        let rest = &bytes[lt + 1..];
        if rest.starts_with(b"!--") {
            at = find(bytes, lt + 4, b"-->").map_or(bytes.len(), |end| end + 3);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        if !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
            at = if rest.first().is_some_and(|b| *b == b'!' || *b == b'?') {
                // `<!doctype …>`, `<![CDATA[…]]>`, `<?xml …?>`.
                find(bytes, lt, b">").map_or(bytes.len(), |end| end + 1)
            } else {
                // A `<` in text.
                lt + 1
            };
            continue;
        }
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
            .count();
        // Every scan for `>` moves `at` past what it read, so the whole
        // walk stays linear. With no `>` left, no tag is left either.
        let Some(tag_end) = find(bytes, name_start, b">").map(|end| end + 1) else {
            break;
        };
        at = tag_end;
        let name = body[name_start..name_start + name_len].to_ascii_lowercase();
        let is_foreign_root = name == "svg" || name == "math";
        let indenting = INDENTING.contains(&name.as_str());
        if closing {
            if is_foreign_root {
                foreign = foreign.saturating_sub(1);
            }
            if indenting {
                indent = indent.saturating_sub(1);
            }
            if !VOID.contains(&name.as_str()) && !OPTIONAL_END.contains(&name.as_str()) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        let self_closed = tag_end >= 2 && bytes[tag_end - 2] == b'/';
        if indenting && !self_closed {
            indent += 1;
        }
        if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            at = find_ignore_case(bytes, tag_end, close.as_bytes()).unwrap_or(bytes.len());
            continue;
        }
        if VOID.contains(&name.as_str())
            || OPTIONAL_END.contains(&name.as_str())
            || (self_closed && (foreign > 0 || is_foreign_root))
        {
            continue;
        }
        if is_foreign_root {
            foreign += 1;
        }
        depth += 1;
        if depth > limit {
            out.too_deep = true;
            return out;
        }
    }
    out
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

fn find_ignore_case(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| from + p)
}

/// Line endings to LF, trailing whitespace off every line, leading and
/// trailing blank lines dropped, and every run of blank lines cut to one,
/// so spacing-only edits do not count as changes. Ends with one newline,
/// or is empty if there is no text.
pub fn tidy(text: &str) -> String {
    let unified = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(unified.len());
    let mut blank_pending = false;
    for line in unified.split('\n').map(str::trim_end) {
        if line.is_empty() {
            blank_pending = !out.is_empty();
            continue;
        }
        if blank_pending {
            out.push('\n');
            blank_pending = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(html: &str) -> Normalized {
        normalize_page(html, &Limits::default()).unwrap()
    }

    fn text_of(n: &Normalized) -> &str {
        std::str::from_utf8(&n.canonical).unwrap()
    }

    const CHANGELOG: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <title>API changelog</title>
    <style>body { color: red; } .secret-style {}</style>
    <script>var trackingToken = "abc123"; console.log("secret-script");</script>
  </head>
  <body>
    <h1>Changelog</h1>
    <h2>2024-05-01</h2>
    <ul>
      <li>Added the <a href="/models?utm=1">models</a> endpoint</li>
      <li>Removed <code>v1/engines</code></li>
    </ul>
    <p>Thanks for   reading.</p>
    <script type="module">import "secret-module";</script>
  </body>
</html>"#;

    #[test]
    fn html_becomes_text_without_scripts() {
        let n = page(CHANGELOG);
        let text = text_of(&n);
        assert_eq!(n.format, "html");
        assert_eq!(n.title.as_deref(), Some("API changelog"));
        assert!(text.contains("# Changelog"), "{text}");
        assert!(text.contains("## 2024-05-01"), "{text}");
        assert!(text.contains("* Added the [models] endpoint"), "{text}");
        assert!(text.contains("* Removed v1/engines"), "{text}");
        assert!(text.contains("Thanks for reading."), "{text}");
        for hidden in ["secret", "trackingToken", "color: red", "utm"] {
            assert!(!text.contains(hidden), "{hidden} leaked into:\n{text}");
        }
        assert!(text.ends_with('\n') && !text.ends_with("\n\n"));
    }

    #[test]
    fn whitespace_only_markup_changes_are_not_changes() {
        let squashed: String = CHANGELOG
            .lines()
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("")
            .replace("Thanks for   reading.", "Thanks for\n\n reading.");
        let crlf = CHANGELOG.replace('\n', "\r\n");
        let base = page(CHANGELOG).canonical;
        assert_eq!(page(&squashed).canonical, base);
        assert_eq!(page(&crlf).canonical, base);
        // A real edit is a change.
        let edited = CHANGELOG.replace("Removed", "Deprecated");
        assert_ne!(page(&edited).canonical, base);
    }

    #[test]
    fn plain_text_is_tidied() {
        let n = normalize_page_default("\r\nline one   \r\n\r\n\r\n\r\nline two\t\n\n").unwrap();
        assert_eq!(n.format, "text");
        assert_eq!(n.title, None);
        assert_eq!(text_of(&n), "line one\n\nline two\n");
    }

    #[test]
    fn script_only_page_has_no_text() {
        let err = normalize_page_default(
            "<html><head><script>render()</script></head><body></body></html>",
        )
        .unwrap_err();
        assert_eq!(err, SpecError::NoText);
    }

    fn normalize_page_default(body: &str) -> Result<Normalized, SpecError> {
        normalize_page(body, &Limits::default())
    }

    #[test]
    fn deeply_nested_markup_is_refused_quickly() {
        let deep = format!(
            "{}text{}",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        );
        assert_eq!(
            normalize_page_default(&deep).unwrap_err(),
            SpecError::TooDeep { limit: 512 }
        );
        let unclosed = format!("<html><body>{}", "<span class=x>a".repeat(100_000));
        assert!(matches!(
            normalize_page_default(&unclosed).unwrap_err(),
            SpecError::TooDeep { .. }
        ));
        let self_closed = format!("<html><body>{}", "<div/>".repeat(100_000));
        assert!(matches!(
            normalize_page_default(&self_closed).unwrap_err(),
            SpecError::TooDeep { .. }
        ));
        // Stray `<`s and unterminated tags are scanned in linear time.
        let strays = format!("<p>{}>", "<<a".repeat(200_000));
        assert!(!markup_depth_exceeds(&strays, 512));
    }

    /// The indentation budget is a lower bound of what rendering spends
    /// (so no page that fits is refused), and a page of items hundreds of
    /// lists deep is refused before it is rendered.
    #[test]
    fn indentation_is_budgeted_before_rendering() {
        for (open, item) in [("<ul>", "<li>x"), ("<blockquote>", "<p>x")] {
            let body = format!("{}{}", open.repeat(40), item.repeat(100));
            let rendered = normalize_page_default(&body).unwrap().canonical.len();
            let scan = scan_markup(&body, 512);
            assert!(scan.indent_bytes > 0, "{open}");
            assert!(
                scan.indent_bytes <= rendered,
                "{open}: {scan:?} > {rendered}"
            );
        }
        let limits = Limits {
            max_expanded_bytes: 1024 * 1024,
            ..Limits::default()
        };
        let hostile = format!("{}{}", "<ul>".repeat(500), "<li>x".repeat(2_000));
        assert!(hostile.len() < 20_000);
        // Known from the scan, before html2text spends the memory.
        assert!(scan_markup(&hostile, 512).indent_bytes > limits.max_expanded_bytes);
        assert_eq!(
            normalize_page(&hostile, &limits).unwrap_err(),
            SpecError::TooLarge {
                limit: 1024 * 1024,
                budget: crate::spec::ByteBudget::ExpandedBytes
            }
        );
        // The same items in a flat list are a page like any other.
        let flat = format!("<ul>{}</ul>", "<li>x".repeat(2_000));
        assert!(normalize_page(&flat, &limits).is_ok());
    }

    #[test]
    fn long_flat_sloppy_markup_is_not_deep() {
        // Thousands of unclosed paragraphs and items, void elements, SVG
        // shapes, comments and scripts full of `<div>`: all flat.
        let mut page = String::from("<!DOCTYPE html><html><head><title>t</title></head><body>");
        for i in 0..3000 {
            page.push_str(&format!(
                "<p>para {i}<br><img src=x.png><ul><li>item<li>item</ul>\
                 <svg viewBox='0 0 1 1'><path d='M0'/><circle r='1'/></svg>\
                 <!-- <div><div> --><script>if (a<b) document.write('<div>')</script>\
                 <div class=\"a>b\">x</div>"
            ));
        }
        assert!(!markup_depth_exceeds(&page, 512));
        let n = normalize_page_default(&page).unwrap();
        assert!(
            std::str::from_utf8(&n.canonical)
                .unwrap()
                .contains("para 2999")
        );
        // Real nesting just inside the limit renders.
        let nested = format!("{}text{}", "<div>".repeat(500), "</div>".repeat(500));
        assert!(normalize_page_default(&nested).is_ok());
    }
}
