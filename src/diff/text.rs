//! The diff of two pages (changelogs, status and pricing pages), on their
//! canonical text: rendered, tidied, lines ending in LF (see
//! [`crate::spec::page`]).
//!
//! Pages are compared paragraph by paragraph, a paragraph being a run of
//! non-blank lines. The paragraphs of both versions are aligned by a real
//! sequence diff, so a paragraph inserted at the top is one addition, not a
//! change of everything below it:
//!
//! 1. The common head and tail are taken off.
//! 2. What is left is aligned by Myers' O((N+M)·D) algorithm, as long as the
//!    two differ by at most [`MAX_EDIT_COST`] paragraphs.
//! 3. Past that (a rewritten page, a reshuffle), paragraphs that occur
//!    exactly once on each side are matched first (the longest run of them
//!    in the same order, as patience diff does), and the gaps between them
//!    are aligned the same way, a few levels deep at most; a gap that still
//!    resists is taken as replaced wholesale. Time and memory stay bounded
//!    on any input.
//!
//! Between two aligned paragraphs, what the base has and the revision does
//! not is a run of removals, and the other way round additions. A removal
//! and an addition at the same place are one change: when the runs are of
//! equal length they are paired in order; otherwise, for runs small enough,
//! each removed paragraph is paired with the added one it shares the most
//! words with (at least half, in order), and the rest stay additions or
//! removals; for large runs the first ones are paired in order.
//!
//! # Findings
//!
//! All three kinds are `info`: a page says nothing machine-readable about
//! what breaks. [`Finding::path`] is `¶N`, the paragraph's number (from 1)
//! in the revision, or in the base for a removal. The two pointers hold the
//! paragraph's number in each version where it exists, in the same `¶N`
//! notation (a page has no JSON pointers). Messages quote up to
//! [`EXCERPT_CHARS`] characters; a change is quoted from just before its
//! first difference, with the old text after it. The fingerprint hashes the
//! id and the paragraph text (old and new for a change), not its number, so
//! it survives edits elsewhere on the page; a repeated identical finding
//! gets its occurrence number hashed in too.

use std::collections::HashMap;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Finding, Level};

/// A paragraph appeared.
pub const PARAGRAPH_ADDED: &str = "page-paragraph-added";
/// A paragraph is gone.
pub const PARAGRAPH_REMOVED: &str = "page-paragraph-removed";
/// A paragraph was edited (a removal and an addition at the same place).
pub const PARAGRAPH_CHANGED: &str = "page-paragraph-changed";
/// More than [`MAX_FINDINGS`] paragraphs changed; the rest are not listed.
pub const TRUNCATED: &str = "page-truncated";

/// A new changelog entry ([`super::changelog`]).
pub const ENTRY_ADDED: &str = "changelog-entry-added";
/// A changelog entry whose text changed (a removal and an addition in one
/// place).
pub const ENTRY_CHANGED: &str = "changelog-entry-changed";
/// A changelog entry gone from among the entries kept.
pub const ENTRY_REMOVED: &str = "changelog-entry-removed";

/// `(id, default level)` of every page check, sorted by id.
pub const CHECKS: &[(&str, Level)] = &[
    (ENTRY_ADDED, Level::Info),
    (ENTRY_CHANGED, Level::Info),
    (ENTRY_REMOVED, Level::Info),
    (PARAGRAPH_ADDED, Level::Info),
    (PARAGRAPH_CHANGED, Level::Info),
    (PARAGRAPH_REMOVED, Level::Info),
    (TRUNCATED, Level::Info),
];

/// The default level of a page check id.
pub fn level(id: &str) -> Option<Level> {
    super::registry::level_in(CHECKS, id)
}

/// The most findings one diff lists before it ends with `page-truncated`.
pub const MAX_FINDINGS: usize = 10_000;

/// The most paragraphs added plus removed that Myers' algorithm looks for
/// before the diff falls back to unique anchors. Its memory grows with the
/// square of this (about 8 MB at 1000).
pub const MAX_EDIT_COST: usize = 1000;

/// How many times a region is split at unique anchors before its rest is
/// taken as replaced.
const MAX_ANCHOR_DEPTH: usize = 4;

/// Runs of removals × additions up to this size are paired by shared words.
const MAX_PAIRING_CELLS: usize = 10_000;

/// The share of words two paragraphs need in common to be one edited
/// paragraph when runs of different lengths are paired.
const MIN_SIMILARITY: f64 = 0.5;

/// How many characters of a paragraph a message quotes.
pub const EXCERPT_CHARS: usize = 120;

/// Compares two page texts paragraph by paragraph.
pub fn diff_text(base: &str, revision: &str) -> Vec<Finding> {
    let old = paragraphs(base);
    let new = paragraphs(revision);
    let (old_ids, new_ids) = intern(&old, &new);
    let mut out = Out::default();
    let (mut i, mut j) = (0, 0);
    for (mi, mj) in common(&old_ids, &new_ids)
        .into_iter()
        .chain([(old.len(), new.len())])
    {
        if i < mi || j < mj {
            out.hunk(&old[i..mi], i, &new[j..mj], j);
        }
        (i, j) = (mi + 1, mj + 1);
    }
    out.finish()
}

/// The paragraphs of a text: runs of lines holding more than whitespace.
pub(super) fn paragraphs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut end = 0;
    let mut at = 0;
    for line in text.split('\n') {
        let line_end = at + line.len();
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                out.push(text[s..end].trim_end());
            }
        } else {
            start.get_or_insert(at);
            end = line_end;
        }
        at = line_end + 1;
    }
    if let Some(s) = start {
        out.push(text[s..end].trim_end());
    }
    out
}

/// Numbers the distinct paragraphs, so the diff compares integers.
pub(super) fn intern<'t>(old: &[&'t str], new: &[&'t str]) -> (Vec<u32>, Vec<u32>) {
    let mut ids: HashMap<&'t str, u32> = HashMap::new();
    let mut number = |paragraphs: &[&'t str]| -> Vec<u32> {
        paragraphs
            .iter()
            .map(|p| {
                let next = u32::try_from(ids.len()).unwrap_or(u32::MAX);
                *ids.entry(*p).or_insert(next)
            })
            .collect()
    };
    let old_ids = number(old);
    let new_ids = number(new);
    (old_ids, new_ids)
}

/// The aligned pairs `(i, j)` with `a[i] == b[j]`, increasing in both.
pub(super) fn common(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    align(a, b, (0, 0), 0, &mut out);
    out
}

/// Aligns `a` and `b`, which start at `offset` in the whole sequences.
fn align(
    a: &[u32],
    b: &[u32],
    offset: (usize, usize),
    depth: usize,
    out: &mut Vec<(usize, usize)>,
) {
    let head = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    out.extend((0..head).map(|k| (offset.0 + k, offset.1 + k)));
    let (a, b) = (&a[head..], &b[head..]);
    let tail = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - tail], &b[..b.len() - tail]);
    let (ao, bo) = (offset.0 + head, offset.1 + head);
    if !a.is_empty() && !b.is_empty() {
        if let Some(pairs) = myers(a, b, MAX_EDIT_COST) {
            out.extend(pairs.into_iter().map(|(i, j)| (ao + i, bo + j)));
        } else if depth < MAX_ANCHOR_DEPTH {
            let anchors = unique_anchors(a, b);
            if !anchors.is_empty() {
                let (mut i, mut j) = (0, 0);
                for (ai, bj) in anchors {
                    align(&a[i..ai], &b[j..bj], (ao + i, bo + j), depth + 1, out);
                    out.push((ao + ai, bo + bj));
                    (i, j) = (ai + 1, bj + 1);
                }
                align(&a[i..], &b[j..], (ao + i, bo + j), depth + 1, out);
            }
        }
    }
    out.extend((0..tail).map(|k| (ao + a.len() + k, bo + b.len() + k)));
}

/// Myers' greedy shortest edit script, giving up (`None`) when more than
/// `max_cost` insertions and deletions are needed. Returns the matched
/// pairs in order.
fn myers(a: &[u32], b: &[u32], max_cost: usize) -> Option<Vec<(usize, usize)>> {
    let (n, m) = (a.len(), b.len());
    let limit = (n + m).min(max_cost);
    // Diagonal k = x - y lives at v[k + off], for k in -limit-1 ..= limit+1.
    let off = limit + 1;
    let mut v = vec![0usize; 2 * limit + 3];
    // trace[d] is v after round d, for diagonals -d ..= d.
    let mut trace: Vec<Vec<usize>> = Vec::new();
    for d in 0..=limit {
        for k in (off - d..=off + d).step_by(2) {
            // k is a shifted diagonal here: the real one is k - off.
            let down = k == off - d || (k != off + d && v[k - 1] < v[k + 1]);
            let mut x = if down { v[k + 1] } else { v[k - 1] + 1 };
            // y = x - (k - off), never negative on a reachable diagonal.
            let mut y = (x + off).checked_sub(k)?;
            while x < n && y < m && a[x] == b[y] {
                x += 1;
                y += 1;
            }
            v[k] = x;
            if x >= n && y >= m {
                trace.push(v[off - d..=off + d].to_vec());
                return Some(backtrack(&trace, n, m));
            }
        }
        trace.push(v[off - d..=off + d].to_vec());
    }
    None
}

/// Walks the rounds of [`myers`] back from `(n, m)`, collecting the
/// diagonal steps (the matches).
fn backtrack(trace: &[Vec<usize>], n: usize, m: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..trace.len()).rev() {
        let previous = &trace[d - 1];
        // Diagonal k (as x + d - y, shifted by d to stay unsigned) in
        // round d-1's window sits at index k - 1.
        let k = x + d - y;
        let at = |k: usize| previous[k - 1];
        let down = k == 0 || (k != 2 * d && at(k - 1) < at(k + 1));
        let pk = if down { k + 1 } else { k - 1 };
        let px = at(pk);
        // py = px - (pk - d)
        let py = px + d - pk;
        let (sx, sy) = if down { (px, py + 1) } else { (px + 1, py) };
        while x > sx && y > sy {
            x -= 1;
            y -= 1;
            pairs.push((x, y));
        }
        (x, y) = (px, py);
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        pairs.push((x, y));
    }
    pairs.reverse();
    pairs
}

/// Elements occurring exactly once in each of `a` and `b`, as pairs of
/// positions: the longest chain increasing in both.
fn unique_anchors(a: &[u32], b: &[u32]) -> Vec<(usize, usize)> {
    // (count in a, position in a, count in b, position in b)
    let mut seen: HashMap<u32, (u32, usize, u32, usize)> = HashMap::new();
    for (i, x) in a.iter().enumerate() {
        let e = seen.entry(*x).or_insert((0, 0, 0, 0));
        e.0 = e.0.saturating_add(1);
        e.1 = i;
    }
    for (j, y) in b.iter().enumerate() {
        if let Some(e) = seen.get_mut(y) {
            e.2 = e.2.saturating_add(1);
            e.3 = j;
        }
    }
    let mut pairs: Vec<(usize, usize)> = seen
        .into_values()
        .filter(|e| e.0 == 1 && e.2 == 1)
        .map(|e| (e.1, e.3))
        .collect();
    pairs.sort_unstable();
    // Longest increasing run of the b positions (patience sorting).
    let mut tails: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; pairs.len()];
    for (i, &(_, bj)) in pairs.iter().enumerate() {
        let slot = tails.partition_point(|&t| pairs[t].1 < bj);
        before[i] = slot.checked_sub(1).map(|s| tails[s]);
        if slot == tails.len() {
            tails.push(i);
        } else {
            tails[slot] = i;
        }
    }
    let mut chain = Vec::with_capacity(tails.len());
    let mut at = tails.last().copied();
    while let Some(i) = at {
        chain.push(pairs[i]);
        at = before[i];
    }
    chain.reverse();
    chain
}

/// Pairs a run of removed paragraphs with a run of added ones:
/// `(Some(i), Some(j))` is a change, `(Some(i), None)` a removal,
/// `(None, Some(j))` an addition, in page order.
pub(super) fn pair_up(old: &[&str], new: &[&str]) -> Vec<(Option<usize>, Option<usize>)> {
    let (r, a) = (old.len(), new.len());
    if r == a || r.saturating_mul(a) > MAX_PAIRING_CELLS {
        let both = r.min(a);
        let mut out: Vec<_> = (0..both).map(|i| (Some(i), Some(i))).collect();
        out.extend((both..r).map(|i| (Some(i), None)));
        out.extend((both..a).map(|j| (None, Some(j))));
        return out;
    }
    // Most shared words over an in-order pairing (an LCS weighted by
    // similarity, pairs below the threshold not allowed).
    let old_words: Vec<Vec<&str>> = old.iter().map(|p| words(p)).collect();
    let new_words: Vec<Vec<&str>> = new.iter().map(|p| words(p)).collect();
    let width = a + 1;
    let mut score = vec![0f64; (r + 1) * width];
    // 0: pair, 1: skip old (removal), 2: skip new (addition).
    let mut step = vec![0u8; (r + 1) * width];
    for i in 0..=r {
        for j in 0..=a {
            let cell = i * width + j;
            if i == 0 && j == 0 {
                continue;
            }
            let mut best = (f64::NEG_INFINITY, 0u8);
            if i > 0 && j > 0 {
                let s = similarity(&old_words[i - 1], &new_words[j - 1]);
                if s >= MIN_SIMILARITY {
                    best = (score[cell - width - 1] + s, 0);
                }
            }
            // On ties an addition is taken last, so walking back from the
            // end puts removals before additions.
            if j > 0 && score[cell - 1] > best.0 {
                best = (score[cell - 1], 2);
            }
            if i > 0 && score[cell - width] > best.0 {
                best = (score[cell - width], 1);
            }
            (score[cell], step[cell]) = best;
        }
    }
    let mut out = Vec::with_capacity(r.max(a));
    let (mut i, mut j) = (r, a);
    while i > 0 || j > 0 {
        match step[i * width + j] {
            0 => {
                i -= 1;
                j -= 1;
                out.push((Some(i), Some(j)));
            }
            1 => {
                i -= 1;
                out.push((Some(i), None));
            }
            _ => {
                j -= 1;
                out.push((None, Some(j)));
            }
        }
    }
    out.reverse();
    out
}

/// The distinct words of a paragraph, sorted.
fn words(paragraph: &str) -> Vec<&str> {
    let mut w: Vec<&str> = paragraph
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    w.sort_unstable();
    w.dedup();
    w
}

/// Dice's coefficient of two sorted word sets.
fn similarity(a: &[&str], b: &[&str]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    (2 * shared) as f64 / (a.len() + b.len()) as f64
}

/// Collects findings, with the cap and the fingerprint bookkeeping.
#[derive(Default)]
struct Out {
    findings: Vec<Finding>,
    /// Changes past the cap, counted for the closing finding.
    skipped: usize,
    /// How often each fingerprint was given, to tell repeats apart.
    prints: HashMap<String, usize>,
}

impl Out {
    /// Reports one run of differences: `old` starting at paragraph index
    /// `i0` of the base, `new` at `j0` of the revision.
    fn hunk(&mut self, old: &[&str], i0: usize, new: &[&str], j0: usize) {
        for pair in pair_up(old, new) {
            if self.findings.len() >= MAX_FINDINGS {
                self.skipped += 1;
                continue;
            }
            let number = |k: usize| format!("¶{}", k + 1);
            let finding = match pair {
                (Some(i), Some(j)) => {
                    let (was, now) = changed_excerpts(old[i], new[j]);
                    self.finding(
                        PARAGRAPH_CHANGED,
                        &format!("{}\n\0\n{}", old[i], new[j]),
                        number(j0 + j),
                        format!("paragraph changed: \"{now}\" (was \"{was}\")"),
                        Some(number(i0 + i)),
                        Some(number(j0 + j)),
                    )
                }
                (Some(i), None) => self.finding(
                    PARAGRAPH_REMOVED,
                    old[i],
                    number(i0 + i),
                    format!(
                        "paragraph removed: \"{}\"",
                        excerpt(old[i], 0, EXCERPT_CHARS)
                    ),
                    Some(number(i0 + i)),
                    None,
                ),
                (None, Some(j)) => self.finding(
                    PARAGRAPH_ADDED,
                    new[j],
                    number(j0 + j),
                    format!("paragraph added: \"{}\"", excerpt(new[j], 0, EXCERPT_CHARS)),
                    None,
                    Some(number(j0 + j)),
                ),
                (None, None) => continue,
            };
            self.findings.push(finding);
        }
    }

    fn finding(
        &mut self,
        id: &'static str,
        subject: &str,
        path: String,
        message: String,
        base_pointer: Option<String>,
        revision_pointer: Option<String>,
    ) -> Finding {
        let print = |extra: Option<usize>| {
            let mut h = Sha256::new();
            for part in [id, "", "", subject] {
                h.update(part.as_bytes());
                h.update([0]);
            }
            if let Some(n) = extra {
                h.update(n.to_le_bytes());
            }
            crate::diff::fingerprint_hex(&h.finalize()[..8])
        };
        let first = print(None);
        let seen = self.prints.entry(first.clone()).or_insert(0);
        *seen += 1;
        let fingerprint = if *seen == 1 {
            first
        } else {
            print(Some(*seen))
        };
        Finding {
            id,
            level: level(id).unwrap_or(Level::Info),
            operation: None,
            path: Some(path.into()),
            message: message.into(),
            base_pointer: base_pointer.map(Arc::from),
            revision_pointer: revision_pointer.map(Arc::from),
            fingerprint,
            cause: None,
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        if self.skipped > 0 {
            let message = format!(
                "{} more changed paragraph{} not listed (the diff lists at most {MAX_FINDINGS})",
                self.skipped,
                if self.skipped == 1 { " is" } else { "s are" }
            );
            let finding = self.finding(TRUNCATED, "", "¶".to_owned(), message, None, None);
            self.findings.push(Finding {
                path: None,
                ..finding
            });
        }
        self.findings
    }
}

/// A paragraph on one line (whitespace runs as one space), from character
/// `start`, at most `max` characters, with `…` where it was cut.
fn excerpt(paragraph: &str, start: usize, max: usize) -> String {
    let flat = flatten(paragraph);
    let mut chars = flat.chars().skip(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(chars.by_ref().take(max));
    if chars.next().is_some() {
        out.push('…');
    }
    out
}

fn flatten(paragraph: &str) -> String {
    paragraph.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Excerpts of an edited paragraph, old and new, both from a little before
/// the first difference (at a word start) when that lies far in.
fn changed_excerpts(old: &str, new: &str) -> (String, String) {
    let (old_flat, new_flat) = (flatten(old), flatten(new));
    let same = old_flat
        .chars()
        .zip(new_flat.chars())
        .take_while(|(x, y)| x == y)
        .count();
    let mut start = 0;
    if same > EXCERPT_CHARS / 2 {
        // Back up 40 characters, then forward to the next word.
        let back = same - 40;
        let skip_to_word = new_flat
            .chars()
            .skip(back)
            .take(20)
            .position(|c| c == ' ')
            .map_or(0, |p| p + 1);
        start = back + skip_to_word;
    }
    (
        excerpt(&old_flat, start, EXCERPT_CHARS * 2 / 3),
        excerpt(&new_flat, start, EXCERPT_CHARS),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(paragraphs: &[&str]) -> String {
        paragraphs.join("\n\n")
    }

    fn summary(findings: &[Finding]) -> Vec<(&str, &str, Option<&str>, Option<&str>)> {
        findings
            .iter()
            .map(|f| {
                (
                    f.id,
                    f.path.as_deref().unwrap_or(""),
                    f.base_pointer.as_deref(),
                    f.revision_pointer.as_deref(),
                )
            })
            .collect()
    }

    const CHANGELOG: &[&str] = &[
        "# Changelog",
        "## 2024-05-01\n* Added the batch endpoint.\n* Fixed a crash in streaming.",
        "## 2024-04-01\n* Deprecated v1 completions.",
        "## 2024-03-01\n* Launched.",
    ];

    #[test]
    fn paragraphs_split_on_blank_lines() {
        let text = "a\nb\n\n\n  \nc\r\n\r\nd  \n";
        assert_eq!(paragraphs(text), ["a\nb", "c", "d"]);
        assert_eq!(paragraphs(""), Vec::<&str>::new());
        assert_eq!(paragraphs("\n\n"), Vec::<&str>::new());
    }

    #[test]
    fn identical_pages_have_no_findings() {
        let text = page(CHANGELOG);
        assert_eq!(diff_text(&text, &text), []);
        // Blank-line runs do not count.
        assert_eq!(diff_text(&text, &text.replace("\n\n", "\n\n\n")), []);
        assert_eq!(diff_text("", ""), []);
    }

    #[test]
    fn insertion_at_the_top_is_one_addition() {
        let base = page(CHANGELOG);
        let mut with_entry = CHANGELOG.to_vec();
        with_entry.insert(1, "## 2024-06-01\n* Added realtime voices.");
        let findings = diff_text(&base, &page(&with_entry));
        assert_eq!(
            summary(&findings),
            [(PARAGRAPH_ADDED, "¶2", None, Some("¶2"))]
        );
        assert_eq!(
            &*findings[0].message,
            "paragraph added: \"## 2024-06-01 * Added realtime voices.\""
        );
        assert_eq!(findings[0].level, Level::Info);
        assert_eq!(findings[0].operation, None);
        // At the very top too.
        let mut first = CHANGELOG.to_vec();
        first.insert(0, "Banner: we are hiring");
        let findings = diff_text(&base, &page(&first));
        assert_eq!(
            summary(&findings),
            [(PARAGRAPH_ADDED, "¶1", None, Some("¶1"))]
        );
    }

    #[test]
    fn edit_in_the_middle_is_one_change() {
        let base = page(CHANGELOG);
        let mut edited = CHANGELOG.to_vec();
        edited[2] = "## 2024-04-01\n* Deprecated v1 completions (removal on 2024-09-01).";
        let findings = diff_text(&base, &page(&edited));
        assert_eq!(
            summary(&findings),
            [(PARAGRAPH_CHANGED, "¶3", Some("¶3"), Some("¶3"))]
        );
        assert_eq!(
            &*findings[0].message,
            "paragraph changed: \"## 2024-04-01 * Deprecated v1 completions (removal on 2024-09-01).\" \
             (was \"## 2024-04-01 * Deprecated v1 completions.\")"
        );
    }

    #[test]
    fn removal_points_into_the_base() {
        let base = page(CHANGELOG);
        let mut shorter = CHANGELOG.to_vec();
        shorter.remove(2);
        let findings = diff_text(&base, &page(&shorter));
        assert_eq!(
            summary(&findings),
            [(PARAGRAPH_REMOVED, "¶3", Some("¶3"), None)]
        );
        assert!(
            findings[0]
                .message
                .starts_with("paragraph removed: \"## 2024-04-01")
        );
    }

    #[test]
    fn insertion_next_to_an_edit_pairs_by_words() {
        let base = page(&[
            "intro",
            "The rate limit is 60 requests per minute for all plans.",
            "outro",
        ]);
        let revision = page(&[
            "intro",
            "New: organisation-wide keys.",
            "The rate limit is 100 requests per minute for all plans.",
            "outro",
        ]);
        let findings = diff_text(&base, &revision);
        assert_eq!(
            summary(&findings),
            [
                (PARAGRAPH_ADDED, "¶2", None, Some("¶2")),
                (PARAGRAPH_CHANGED, "¶3", Some("¶2"), Some("¶3")),
            ]
        );
    }

    #[test]
    fn long_paragraph_changes_are_quoted_where_they_differ() {
        let head = "word ".repeat(40);
        let base = format!("{head}old ending here");
        let revision = format!("{head}new ending here");
        let findings = diff_text(&base, &revision);
        assert_eq!(findings.len(), 1);
        let m = &findings[0].message;
        assert!(m.starts_with("paragraph changed: \"…word word "), "{m}");
        assert!(
            m.contains(" word new ending here\" (was \"…word word "),
            "{m}"
        );
        assert!(m.ends_with(" word old ending here\")"), "{m}");
        assert!(m.chars().count() < 2 * EXCERPT_CHARS + 60, "{m}");
    }

    #[test]
    fn repeated_paragraphs_get_distinct_fingerprints() {
        let base = page(&["a", "b"]);
        let revision = page(&["a", "* Fixed bugs.", "b", "* Fixed bugs."]);
        let findings = diff_text(&base, &revision);
        assert_eq!(findings.len(), 2);
        assert!(findings.iter().all(|f| f.id == PARAGRAPH_ADDED));
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
        assert_eq!(findings[0].fingerprint.len(), 16);
        // The print does not depend on where the paragraph sits.
        let moved = diff_text(
            &page(&["x", "a", "b"]),
            &page(&["x", "a", "* Fixed bugs.", "b"]),
        );
        assert_eq!(moved[0].fingerprint, findings[0].fingerprint);
        assert_ne!(moved[0].path, findings[0].path);
    }

    /// The length of a longest common subsequence, by the textbook table.
    fn lcs_len(a: &[u32], b: &[u32]) -> usize {
        let mut t = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                t[i][j] = if a[i - 1] == b[j - 1] {
                    t[i - 1][j - 1] + 1
                } else {
                    t[i - 1][j].max(t[i][j - 1])
                };
            }
        }
        t[a.len()][b.len()]
    }

    fn check_alignment(a: &[u32], b: &[u32], pairs: &[(usize, usize)]) {
        for w in pairs.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1, "{pairs:?}");
        }
        for &(i, j) in pairs {
            assert_eq!(a[i], b[j]);
        }
    }

    #[test]
    fn myers_finds_a_longest_common_subsequence() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..300 {
            let a: Vec<u32> = (0..rng.usize(0..30)).map(|_| rng.u32(0..5)).collect();
            let b: Vec<u32> = (0..rng.usize(0..30)).map(|_| rng.u32(0..5)).collect();
            let pairs = common(&a, &b);
            check_alignment(&a, &b, &pairs);
            assert_eq!(pairs.len(), lcs_len(&a, &b), "{a:?} {b:?}");
        }
        // Giving up is reported, not guessed.
        assert_eq!(myers(&[1, 2, 3], &[4, 5, 6], 5), None);
        assert_eq!(myers(&[1, 2, 3], &[4, 5, 6], 6), Some(vec![]));
    }

    #[test]
    fn costly_regions_fall_back_to_anchors() {
        // Every other element differs: far past MAX_EDIT_COST.
        let a: Vec<u32> = (0..3000).collect();
        let b: Vec<u32> = (0..3000)
            .map(|i| if i % 2 == 0 { i } else { i + 10_000 })
            .collect();
        assert_eq!(myers(&a, &b, MAX_EDIT_COST), None);
        let pairs = common(&a, &b);
        check_alignment(&a, &b, &pairs);
        assert_eq!(pairs.len(), 1500);
        // Nothing in common at all: no anchors, no matches.
        let c: Vec<u32> = (5000..8000).collect();
        assert_eq!(common(&a, &c), []);
    }

    #[test]
    fn ten_thousand_paragraphs() {
        let base: Vec<String> = (0..10_000)
            .map(|i| format!("Paragraph {i}: the quick brown fox number {i} jumps."))
            .collect();
        let mut revision = base.clone();
        for i in (0..10_000).step_by(7) {
            revision[i] = format!("Paragraph {i}: the quick brown fox number {i} sleeps.");
        }
        revision.insert(5000, "A new paragraph in the middle.".to_owned());
        revision.remove(100);
        let join = |v: &[String]| v.join("\n\n");
        let findings = diff_text(&join(&base), &join(&revision));
        let count = |id: &str| findings.iter().filter(|f| f.id == id).count();
        assert_eq!(count(PARAGRAPH_REMOVED), 1);
        assert_eq!(count(PARAGRAPH_ADDED), 1);
        assert_eq!(count(PARAGRAPH_CHANGED), 10_000usize.div_ceil(7));
        // A complete rewrite is a change of every paragraph, and is capped.
        let other: Vec<String> = (0..10_001).map(|i| format!("Other text {i}.")).collect();
        let findings = diff_text(&join(&base), &join(&other));
        assert_eq!(findings.len(), MAX_FINDINGS + 1);
        assert_eq!(findings[MAX_FINDINGS].id, TRUNCATED);
        assert_eq!(findings[MAX_FINDINGS].path, None);
        assert!(findings[MAX_FINDINGS].message.starts_with("1 more changed"));
    }

    #[test]
    fn levels_table() {
        assert!(
            CHECKS.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted for search"
        );
        assert!(CHECKS.iter().all(|(_, l)| *l == Level::Info));
        assert_eq!(level(PARAGRAPH_CHANGED), Some(Level::Info));
        assert_eq!(level("json-item-added"), None);
    }
}
