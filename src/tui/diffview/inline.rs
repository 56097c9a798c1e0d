//! Which parts of a changed pair of lines differ, word by word.
//!
//! Computed only for the rows being drawn, so it has to be cheap for any
//! input: the common prefix and suffix are cut off first (most changed lines
//! in API descriptions differ in one value), and only a bounded middle goes
//! through a token diff. The bound is in size, not time: a deadline on the
//! clock would give a coarser answer on a busy machine than on an idle one.

use similar::{Algorithm, DiffOp, capture_diff_slices};
use std::ops::Range;

/// Middles longer than this (bytes, both sides together) are emphasised
/// whole instead of diffed token by token: a rewrite that large is shown as
/// one, and a screen of such rows stays cheap (at most ~200 tokens a side,
/// so Myers' O((N+M)·D) stays under a few hundred thousand steps a row).
const TOKEN_DIFF_MAX: usize = 1024;

/// Letters, digits and `_` form words; the rest are separators.
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The byte ranges of `old` and `new` that differ, ascending and
/// non-overlapping. Equal lines give two empty lists.
pub fn changed_ranges(old: &str, new: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    let (prefix, suffix) = common_ends(old, new);
    let old_mid = prefix..old.len() - suffix;
    let new_mid = prefix..new.len() - suffix;
    if old_mid.is_empty() && new_mid.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let whole = |r: &Range<usize>| {
        if r.is_empty() {
            Vec::new()
        } else {
            vec![r.clone()]
        }
    };
    if old_mid.len() + new_mid.len() > TOKEN_DIFF_MAX || old_mid.is_empty() || new_mid.is_empty() {
        return (whole(&old_mid), whole(&new_mid));
    }
    let old_tokens = tokens(&old[old_mid.clone()], prefix);
    let new_tokens = tokens(&new[new_mid.clone()], prefix);
    let old_words: Vec<&str> = old_tokens.iter().map(|r| &old[r.clone()]).collect();
    let new_words: Vec<&str> = new_tokens.iter().map(|r| &new[r.clone()]).collect();
    let ops = capture_diff_slices(Algorithm::Myers, &old_words, &new_words);
    let mut old_out = Vec::new();
    let mut new_out = Vec::new();
    for op in ops {
        let (old_range, new_range) = match op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len, 0..0),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (0..0, new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (
                old_index..old_index + old_len,
                new_index..new_index + new_len,
            ),
        };
        push_span(&mut old_out, &old_tokens, old_range);
        push_span(&mut new_out, &new_tokens, new_range);
    }
    (old_out, new_out)
}

/// Appends the byte span of tokens `range`, merging with the previous span
/// when they touch.
fn push_span(out: &mut Vec<Range<usize>>, tokens: &[Range<usize>], range: Range<usize>) {
    let (Some(first), Some(last)) = (
        tokens.get(range.start),
        range.end.checked_sub(1).and_then(|e| tokens.get(e)),
    ) else {
        return;
    };
    let span = first.start..last.end;
    match out.last_mut() {
        Some(prev) if prev.end >= span.start => prev.end = prev.end.max(span.end),
        _ => out.push(span),
    }
}

/// Lengths in bytes of the common prefix and suffix, on char boundaries and
/// widened to whole words: `"alpha"` → `"alphabet"` emphasises the whole
/// word, not `"bet"`.
fn common_ends(old: &str, new: &str) -> (usize, usize) {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !old.is_char_boundary(prefix) {
        prefix -= 1;
    }
    // Back off to a word start if the cut falls inside a word on either side.
    let inside_word = |text: &str, at: usize| {
        text[..at].chars().next_back().is_some_and(is_word)
            && text[at..].chars().next().is_some_and(is_word)
    };
    while prefix > 0 && (inside_word(old, prefix) || inside_word(new, prefix)) {
        prefix -= old[..prefix].chars().next_back().map_or(1, char::len_utf8);
    }
    let max_suffix = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    while suffix > 0
        && (inside_word(old, old.len() - suffix) || inside_word(new, new.len() - suffix))
    {
        let at = old.len() - suffix;
        suffix -= old[at..].chars().next().map_or(1, char::len_utf8);
    }
    (prefix, suffix)
}

/// Splits `text` into words, runs of white space, and single other
/// characters; ranges are shifted by `offset` (the position of `text` in its
/// line).
fn tokens(text: &str, offset: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        let same_class = |d: char| {
            if is_word(c) {
                is_word(d)
            } else if c.is_whitespace() {
                d.is_whitespace()
            } else {
                false
            }
        };
        while let Some(&(i, d)) = chars.peek() {
            if !same_class(d) {
                break;
            }
            end = i + d.len_utf8();
            chars.next();
        }
        out.push(offset + start..offset + end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(text: &str, ranges: &[Range<usize>]) -> Vec<String> {
        ranges.iter().map(|r| text[r.clone()].to_owned()).collect()
    }

    #[test]
    fn one_value_changed() {
        let (a, b) = (r#"  "version": "1.2.3","#, r#"  "version": "1.2.4","#);
        let (l, r) = changed_ranges(a, b);
        assert_eq!(show(a, &l), vec!["3"]);
        assert_eq!(show(b, &r), vec!["4"]);
    }

    #[test]
    fn whole_words() {
        let (a, b) = (r#""type": "alpha","#, r#""type": "alphabet","#);
        let (l, r) = changed_ranges(a, b);
        assert_eq!(show(a, &l), vec!["alpha"]);
        assert_eq!(show(b, &r), vec!["alphabet"]);
    }

    #[test]
    fn several_words() {
        let (a, b) = ("the quick brown fox jumps", "the slow brown cat jumps");
        let (l, r) = changed_ranges(a, b);
        assert_eq!(show(a, &l), vec!["quick", "fox"]);
        assert_eq!(show(b, &r), vec!["slow", "cat"]);
    }

    #[test]
    fn pure_insertion_and_equal_lines() {
        let (a, b) = ("a, c", "a, b, c");
        let (l, r) = changed_ranges(a, b);
        assert!(l.is_empty());
        assert_eq!(show(b, &r), vec!["b, "]);
        assert_eq!(changed_ranges("same", "same"), (vec![], vec![]));
        let (l, r) = changed_ranges("", "x");
        assert!(l.is_empty());
        assert_eq!(r, vec![0..1]);
    }

    #[test]
    fn unicode_and_long_lines_are_safe() {
        let (a, b) = ("é😀ü", "é😃ü");
        let (l, r) = changed_ranges(a, b);
        assert_eq!(show(a, &l), vec!["😀"]);
        assert_eq!(show(b, &r), vec!["😃"]);
        let a = "x".repeat(10_000) + "A" + &"y".repeat(10_000);
        let b = "z".repeat(9_000) + "B" + &"y".repeat(10_000);
        let (l, r) = changed_ranges(&a, &b);
        assert_eq!(l.len(), 1);
        assert_eq!(r.len(), 1);
        for (text, ranges) in [(&a, &l), (&b, &r)] {
            for range in ranges {
                assert!(text.is_char_boundary(range.start) && text.is_char_boundary(range.end));
            }
        }
    }
}
