//! Byte-level checks shared by every kind: BOM, emptiness, UTF-8, and
//! sniffing whether a body is an HTML page.

use super::SpecError;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How far into a body to look for `<html` or a `<title>`.
const SNIFF_WINDOW: usize = 1024;
const TITLE_WINDOW: usize = 64 * 1024;
/// Longest title kept, in characters; titles go into one-line messages.
const TITLE_MAX_CHARS: usize = 120;

/// Skips a UTF-8 BOM, rejects empty bodies and checks UTF-8.
pub(crate) fn decode(raw: &[u8]) -> Result<&str, SpecError> {
    let (body, skipped) = match raw.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, UTF8_BOM.len()),
        None => (raw, 0),
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(SpecError::Empty);
    }
    std::str::from_utf8(body).map_err(|e| SpecError::NotUtf8 {
        offset: skipped + e.valid_up_to(),
        looks_like: sniff_binary(raw),
    })
}

/// Names the encoding or container of a body that is not UTF-8, when its
/// first bytes make that plain.
fn sniff_binary(raw: &[u8]) -> Option<&'static str> {
    if raw.starts_with(b"\xFF\xFE") || raw.starts_with(b"\xFE\xFF") {
        Some("UTF-16 text")
    } else if raw.starts_with(b"\x1F\x8B") {
        Some("gzip-compressed data")
    } else if raw.starts_with(b"\x28\xB5\x2F\xFD") {
        Some("zstd-compressed data")
    } else if raw.starts_with(b"PK\x03\x04") {
        Some("a ZIP archive")
    } else if raw.starts_with(b"%PDF") {
        Some("a PDF file")
    } else {
        None
    }
}

/// The body without leading whitespace.
pub(crate) fn trim_start(text: &str) -> &str {
    text.trim_start_matches(|c: char| c.is_whitespace())
}

/// Whether a body meant to be JSON or YAML is in fact an HTML page: it
/// starts with `<!doctype html`, `<html`, `<head` or `<body`, or it starts
/// with some other markup (an XML declaration, a comment) and has `<html`
/// within its first kilobyte.
pub(crate) fn looks_like_html_page(text: &str) -> bool {
    let start = trim_start(text);
    if !start.starts_with('<') {
        return false;
    }
    let head = prefix_bytes(start, SNIFF_WINDOW);
    ["<!doctype html", "<html", "<head", "<body"]
        .iter()
        .any(|tag| starts_with_ignore_case(head, tag))
        || find_ignore_case(head, "<html").is_some()
}

/// Whether a page body is markup (HTML, XHTML or an XML feed) rather than
/// plain text: its first non-space character is `<`.
pub(crate) fn looks_like_markup(text: &str) -> bool {
    trim_start(text).starts_with('<')
}

/// The text of the first `<title>` element near the top of a page, with the
/// common entities decoded and whitespace collapsed; `None` if there is no
/// title or it is blank.
pub(crate) fn html_title(text: &str) -> Option<String> {
    let head = prefix_bytes(text, TITLE_WINDOW);
    let open = find_ignore_case(head, "<title")?;
    // `<title` must be the whole tag name, not `<titlebar>`.
    let after_name = head.as_bytes().get(open + "<title".len())?;
    if !(*after_name == b'>' || after_name.is_ascii_whitespace()) {
        return None;
    }
    let content_start = open + head[open..].find('>')? + 1;
    let rest = &head[content_start..];
    let content = match find_ignore_case(rest, "</title") {
        Some(end) => &rest[..end],
        None => rest,
    };
    let decoded = decode_entities(content);
    let collapsed = decoded.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    Some(truncate_chars(&collapsed, TITLE_MAX_CHARS))
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// Decodes the handful of entities that show up in page titles. Anything
/// else is left as written; a title only labels a page in messages.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let entity = tail
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| decode_entity(&tail[1..semi]).map(|c| (c, semi)));
        match entity {
            Some((c, semi)) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some(' '),
        _ => {
            let code =
                if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok()?
                } else {
                    name.strip_prefix('#')?.parse().ok()?
                };
            char::from_u32(code)
        }
    }
}

/// At most `max` bytes from the start of `s`, cut back to a char boundary.
fn prefix_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

fn starts_with_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .get(..needle.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Byte index of the first ASCII-case-insensitive occurrence of `needle`
/// (which must be ASCII), so the index is always a char boundary.
fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_is_skipped_and_blank_is_empty() {
        assert_eq!(decode(b"\xEF\xBB\xBF{}").unwrap(), "{}");
        assert_eq!(decode(b"").unwrap_err(), SpecError::Empty);
        assert_eq!(decode(b" \n\t\r\n").unwrap_err(), SpecError::Empty);
        assert_eq!(decode(b"\xEF\xBB\xBF  \n").unwrap_err(), SpecError::Empty);
    }

    #[test]
    fn invalid_utf8_reports_offset_and_guess() {
        let err = decode(b"abc\xFFdef").unwrap_err();
        assert_eq!(
            err,
            SpecError::NotUtf8 {
                offset: 3,
                looks_like: None
            }
        );
        assert!(err.to_string().contains("offset 3"), "{err}");
        let err = decode(b"\xFF\xFEa\x00").unwrap_err();
        assert!(err.to_string().contains("UTF-16"), "{err}");
        let err = decode(b"\x1F\x8B\x08\x00\x00").unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    #[test]
    fn html_sniffing() {
        assert!(looks_like_html_page("  <!DOCTYPE html><html>"));
        assert!(looks_like_html_page("<HTML lang=en>"));
        assert!(looks_like_html_page("<body>x</body>"));
        assert!(looks_like_html_page(
            "<?xml version=\"1.0\"?>\n<!-- x -->\n<html>"
        ));
        assert!(!looks_like_html_page("openapi: 3.0.0\ndescription: <html>"));
        assert!(!looks_like_html_page("{\"a\": \"<html>\"}"));
        assert!(!looks_like_html_page("<?xml version=\"1.0\"?><rss/>"));
    }

    #[test]
    fn titles() {
        assert_eq!(
            html_title("<html><head><TITLE lang=en>\n  Sign in &amp; go\n</title>").as_deref(),
            Some("Sign in & go")
        );
        assert_eq!(
            html_title("<title>Caf&#233; &#x2014; x</title>").as_deref(),
            Some("Café — x")
        );
        assert_eq!(html_title("<title>  </title>"), None);
        assert_eq!(html_title("<titlebar>no</titlebar>"), None);
        assert_eq!(html_title("<p>no title</p>"), None);
        let long = format!("<title>{}</title>", "é".repeat(500));
        let t = html_title(&long).unwrap();
        assert_eq!(t.chars().count(), TITLE_MAX_CHARS + 1);
    }
}
