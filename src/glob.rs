//! The one wildcard match of the crate: `*` stands for any run of
//! characters (including none) and every other character for itself.
//! Ignore rules, level overrides, ignored fields and alert filters all
//! match this way. A leaf: it imports nothing, so every layer, the store
//! included, may use it.

/// Whether the whole of `text` matches `pattern`.
///
/// The text between stars must appear in order: the first piece as a
/// prefix, the last as a suffix, and each middle piece at its leftmost
/// place after the one before (leftmost is always safe, since a later
/// star can absorb whatever an earlier choice skipped). Linear in the
/// length of the text for each piece; no allocation.
pub fn matches(pattern: &str, text: &str) -> bool {
    let mut pieces = pattern.split('*');
    let first = pieces.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let Some(last) = pieces.next_back() else {
        // No star: the pattern is the text.
        return rest.is_empty();
    };
    for piece in pieces {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn a_star_matches_any_run_and_nothing_else_is_special() {
        assert!(matches("catalog-price-*", "catalog-price-changed"));
        assert!(matches("*[id=gpt-*", "/data/[id=gpt-4o]/pricing/input"));
        assert!(matches("GET /v1/*s", "GET /v1/models"));
        assert!(!matches("GET /v1/*s", "GET /v1/model"));
        assert!(matches("a*b*c", "aXbYc"));
        assert!(!matches("a*b", "ab-c"));
        assert!(matches("**", "anything"));
        assert!(matches("*", ""));
        assert!(matches("", ""));
        assert!(!matches("", "x"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
        assert!(!matches("a*a", "a"));
        assert!(matches("a*a", "aa"));
        assert!(matches("?.[x]", "?.[x]"));
        assert!(matches("*é*", "café au lait"));
    }

    #[test]
    fn the_last_piece_may_not_reuse_text_a_middle_piece_took() {
        assert!(!matches("*ab*ab", "xab"));
        assert!(matches("*ab*ab", "xabab"));
        assert!(!matches("ab*ba", "aba"));
    }

    #[test]
    fn long_texts_with_many_stars_stay_linear() {
        let text = "a".repeat(100_000);
        let pattern = format!("{}b", "*a".repeat(50));
        assert!(!matches(&pattern, &text));
    }
}
