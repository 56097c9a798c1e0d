//! Changelog pages compared by entry.
//!
//! A page whose text has headings repeated at one level (`## 2026-08-01`,
//! `## v1.4.0`, as a rendered changelog or a `CHANGELOG.md` has them) is
//! read as entries: a heading at that level and everything up to the next
//! one. Entries are aligned between versions like paragraphs are
//! ([`super::text`]), and a new entry is one finding with its whole text
//! (one-line views cut it, JSON does not). Entries that fall off the bottom
//! of the page (older ones dropped as new ones arrive) are not reported as
//! removed. A new entry mentioning one of the watch's keywords is a
//! warning. A page without such headings is compared by paragraph.
//!
//! # Volatile lines
//!
//! Some lines change in every version at the same place without saying
//! anything: `Last updated: 2026-09-12 10:31 UTC`, `Build 4f2a9c1`. Site
//! chrome around them is left out by structure ([`crate::spec::page`]);
//! these are found by repetition across the stored versions
//! ([`volatile_lines`]) and compared masked, so a version that differs
//! only by them has no findings and is not a new version. A line is
//! volatile when, in the last [`VOLATILE_WINDOW`] versions:
//!
//! - masked (every word holding a digit, and month and weekday names,
//!   become `#`) it is the same text, on one line of the page only, in at
//!   least four of every five versions, and in at least
//!   [`VOLATILE_MIN_VERSIONS`];
//! - its text differs in every pair of consecutive versions that both have
//!   it, and the old text is then nowhere on the newer page (an entry that
//!   moved down is not volatile);
//! - it is not a heading (headings delimit entries).
//!
//! A new entry with a date in it is new: its masked text was not on the
//! earlier pages, and entry headings share their masked form (`## #-#-#`)
//! so none is on one line only. What the rule can mistake for noise is a
//! line that really changes with every version, such as `Current release:
//! 1.4.2` on a page that changes only at releases.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Finding, Level, text};

pub use super::text::{ENTRY_ADDED, ENTRY_CHANGED, ENTRY_REMOVED};

/// The words that raise a new changelog entry to a warning when a watch
/// names none.
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "deprecat",
    "remove",
    "breaking",
    "sunset",
    "retire",
    "end of life",
    "migrate",
    "price",
];

/// How a `page` watch's versions are compared.
#[derive(Debug, Clone)]
pub struct PageOptions {
    /// Lower-case words whose presence raises a new entry to a warning.
    pub keywords: Vec<String>,
    /// Level overrides by check id.
    pub levels: Vec<(String, Level)>,
    /// The masked forms of the lines found volatile in the watch's history
    /// ([`volatile_lines`]): such lines are compared masked.
    pub volatile: Vec<String>,
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            keywords: DEFAULT_KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
            levels: Vec::new(),
            volatile: Vec::new(),
        }
    }
}

/// How many versions (the one compared and those before it) are read to
/// find volatile lines.
pub const VOLATILE_WINDOW: usize = 10;

/// The fewest versions a line must be on, changing each time, to be
/// volatile.
pub const VOLATILE_MIN_VERSIONS: usize = 3;

/// Month and weekday names (and their common abbreviations), masked like
/// numbers: a date written out changes them too.
const CALENDAR_WORDS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mon",
    "tue",
    "tues",
    "wed",
    "thu",
    "thur",
    "thurs",
    "fri",
    "sat",
    "sun",
    "am",
    "pm",
];

/// A line with every word that holds a digit (`2026`, `10:31` is two,
/// `4f2a9c1`, `v1`) and every month or weekday name replaced by `#`, and
/// whether anything was replaced.
pub fn mask(line: &str) -> (String, bool) {
    let mut out = String::with_capacity(line.len());
    let mut masked = false;
    let mut word = String::new();
    let mut flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        let lower = word.to_ascii_lowercase();
        if word.bytes().any(|b| b.is_ascii_digit()) || CALENDAR_WORDS.contains(&lower.as_str()) {
            out.push('#');
            masked = true;
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in line.chars() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    (out, masked)
}

/// A line that may be volatile: not blank, not a heading, with something
/// to mask. Its masked form, trimmed.
fn candidate(line: &str) -> Option<String> {
    let t = line.trim();
    if t.is_empty() || heading_level(t).is_some() {
        return None;
    }
    let (m, masked) = mask(t);
    masked.then_some(m)
}

/// The masked forms of the lines that change in every version at the same
/// place, from the page texts of consecutive stored versions, oldest
/// first (the one being compared last). See the module's documentation
/// for the rule; fewer than [`VOLATILE_MIN_VERSIONS`] texts find nothing.
pub fn volatile_lines(history: &[&str]) -> Vec<String> {
    let n = history.len();
    if n < VOLATILE_MIN_VERSIONS {
        return Vec::new();
    }
    // For each version: masked form → its one line (None when several
    // lines share the form), and the set of its lines.
    struct Page<'t> {
        by_mask: HashMap<String, Option<&'t str>>,
        lines: HashSet<&'t str>,
    }
    let per_version: Vec<Page<'_>> = history
        .iter()
        .map(|text| {
            let mut by_mask: HashMap<String, Option<&str>> = HashMap::new();
            let mut lines = HashSet::new();
            for line in text.lines() {
                let t = line.trim();
                lines.insert(t);
                if let Some(m) = candidate(t) {
                    by_mask
                        .entry(m)
                        .and_modify(|one| *one = None)
                        .or_insert(Some(t));
                }
            }
            Page { by_mask, lines }
        })
        .collect();
    let needed = VOLATILE_MIN_VERSIONS.max((4 * n).div_ceil(5));
    let mut keys: Vec<&String> = per_version
        .iter()
        .flat_map(|p| p.by_mask.keys())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    keys.sort();
    let mut out = Vec::new();
    'key: for key in keys {
        fn line_in<'t>(p: &Page<'t>, key: &str) -> Option<&'t str> {
            p.by_mask.get(key).copied().flatten()
        }
        let present = per_version
            .iter()
            .filter(|p| line_in(p, key).is_some())
            .count();
        if present < needed {
            continue;
        }
        let mut changes = 0;
        for pair in per_version.windows(2) {
            if let (Some(old), Some(new)) = (line_in(&pair[0], key), line_in(&pair[1], key)) {
                if old == new || pair[1].lines.contains(old) {
                    continue 'key;
                }
                changes += 1;
            }
        }
        if changes + 1 >= VOLATILE_MIN_VERSIONS {
            out.push(key.clone());
        }
    }
    out
}

/// `text` with its volatile lines replaced by their masked form.
pub fn mask_volatile<'t>(text: &'t str, volatile: &[String]) -> std::borrow::Cow<'t, str> {
    if volatile.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        match candidate(line) {
            Some(m) if volatile.contains(&m) => {
                let indent = &line[..line.len() - line.trim_start().len()];
                out.push_str(indent);
                out.push_str(&m);
                if line.ends_with('\n') {
                    out.push('\n');
                }
                changed = true;
            }
            _ => out.push_str(line),
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Whether two page texts differ only in their volatile lines (or not at
/// all).
pub fn same_but_volatile(base: &str, revision: &str, volatile: &[String]) -> bool {
    mask_volatile(base, volatile) == mask_volatile(revision, volatile)
}

impl PageOptions {
    pub fn for_watch(spec: &crate::watch::WatchSpec) -> PageOptions {
        let o = &spec.options;
        PageOptions {
            keywords: match &o.keywords {
                Some(k) => k.iter().map(|w| w.to_lowercase()).collect(),
                None => PageOptions::default().keywords,
            },
            levels: super::json::level_overrides(&o.levels),
            volatile: Vec::new(),
        }
    }
}

/// The level of a markdown-style heading line (`## x` is 2).
fn heading_level(line: &str) -> Option<usize> {
    let hashes = line.bytes().take_while(|b| *b == b'#').count();
    ((1..=6).contains(&hashes) && line[hashes..].starts_with(' ')).then_some(hashes)
}

/// The entries of a page's text, or `None` when no heading level repeats.
/// Text before the first entry heading (the page's title, an intro) is a
/// unit of its own.
pub fn entries(page: &str) -> Option<Vec<&str>> {
    let paragraphs = text::paragraphs(page);
    let mut per_level: HashMap<usize, usize> = HashMap::new();
    for p in &paragraphs {
        if let Some(l) = p.lines().next().and_then(heading_level) {
            *per_level.entry(l).or_default() += 1;
        }
    }
    let level = per_level
        .iter()
        .filter(|(_, n)| **n >= 2)
        .map(|(l, _)| *l)
        .min()?;
    let offset = |p: &str| p.as_ptr() as usize - page.as_ptr() as usize;
    let mut units = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    for p in &paragraphs {
        let starts_entry = p
            .lines()
            .next()
            .and_then(heading_level)
            .is_some_and(|l| l <= level);
        if starts_entry && let Some(s) = start.take() {
            units.push(&page[s..end]);
        }
        start.get_or_insert(offset(p));
        end = offset(p) + p.len();
    }
    if let Some(s) = start {
        units.push(&page[s..end]);
    }
    Some(units)
}

/// Compares two page texts by entry when both read as changelogs, by
/// paragraph otherwise.
pub fn diff_page(base: &str, revision: &str, options: &PageOptions) -> Vec<Finding> {
    let base = &mask_volatile(base, &options.volatile);
    let revision = &mask_volatile(revision, &options.volatile);
    let findings = match (entries(base), entries(revision)) {
        (Some(old), Some(new)) => diff_entries(&old, &new, options),
        _ => text::diff_text(base, revision),
    };
    findings
        .into_iter()
        .map(|mut f| {
            if let Some((_, l)) = options.levels.iter().find(|(id, _)| id == f.id) {
                f.level = *l;
            }
            f
        })
        .collect()
}

fn diff_entries(old: &[&str], new: &[&str], options: &PageOptions) -> Vec<Finding> {
    let (old_ids, new_ids) = text::intern(old, new);
    let common = text::common(&old_ids, &new_ids);
    // Entries after the last one both versions share, with nothing added
    // after it either, fell off the bottom of the page.
    let last_kept = common.last().map(|(i, _)| *i);
    let mut prints: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (mi, mj) in common.iter().copied().chain([(old.len(), new.len())]) {
        let (gone, came) = (&old[i..mi], &new[j..mj]);
        let aged_out = last_kept.is_some_and(|k| i > k) && came.is_empty();
        if !aged_out {
            for pair in text::pair_up(gone, came) {
                let finding = match pair {
                    (Some(a), Some(b)) => entry_finding(
                        ENTRY_CHANGED,
                        came[b],
                        &format!("{}\n\0\n{}", gone[a], came[b]),
                        Some(i + a),
                        Some(j + b),
                        format!("entry changed: {}", came[b]),
                    ),
                    (Some(a), None) => entry_finding(
                        ENTRY_REMOVED,
                        gone[a],
                        gone[a],
                        Some(i + a),
                        None,
                        format!("entry removed: {}", gone[a]),
                    ),
                    (None, Some(b)) => {
                        let mut f = entry_finding(
                            ENTRY_ADDED,
                            came[b],
                            came[b],
                            None,
                            Some(j + b),
                            format!("new entry: {}", came[b]),
                        );
                        let lower = came[b].to_lowercase();
                        if options.keywords.iter().any(|k| lower.contains(k.as_str())) {
                            f.level = Level::Warning;
                        }
                        f
                    }
                    (None, None) => continue,
                };
                let seen = prints.entry(finding.fingerprint.clone()).or_insert(0);
                *seen += 1;
                out.push(if *seen > 1 {
                    Finding {
                        fingerprint: format!("{}-{seen}", &finding.fingerprint[..13]),
                        ..finding
                    }
                } else {
                    finding
                });
            }
        }
        (i, j) = (mi + 1, mj + 1);
    }
    out
}

fn entry_finding(
    id: &'static str,
    entry: &str,
    subject: &str,
    base: Option<usize>,
    revision: Option<usize>,
    message: String,
) -> Finding {
    let mut h = Sha256::new();
    for part in [id, subject] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let place = |k: usize| format!("§{}", k + 1);
    Finding {
        id,
        level: text::level(id).unwrap_or(Level::Info),
        operation: None,
        // The entry's heading names it.
        path: Some(entry.lines().next().unwrap_or("").trim().into()),
        message: message.into(),
        base_pointer: base.map(place).map(Arc::from),
        revision_pointer: revision.map(place).map(Arc::from),
        fingerprint: crate::diff::fingerprint_hex(&h.finalize()[..8]),
        cause: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# Changelog\n\n## 2026-08-02\n\nFaster image models.\n\n## 2026-08-01\n\nNew region in Frankfurt.\n";

    fn ids(findings: &[Finding]) -> Vec<(&str, Level)> {
        findings.iter().map(|f| (f.id, f.level)).collect()
    }

    #[test]
    fn a_new_entry_is_one_finding_with_its_whole_text_and_old_ones_age_out_quietly() {
        let body = "The model `llama-3-70b` will be retired on 2026-10-01 and is deprecated from today. \
                    Requests will fail after that date; move to `llama-3.3-70b`, which costs the same.";
        let new = format!(
            "# Changelog\n\n## 2026-08-03\n\n{body}\n\n* Affects the chat endpoint.\n\n## 2026-08-02\n\nFaster image models.\n"
        );
        let found = diff_page(OLD, &new, &PageOptions::default());
        assert_eq!(
            ids(&found),
            vec![(ENTRY_ADDED, Level::Warning)],
            "{found:#?}"
        );
        let f = &found[0];
        assert!(f.message.contains(body), "{}", f.message);
        assert!(
            f.message.contains("Affects the chat endpoint"),
            "{}",
            f.message
        );
        assert_eq!(f.path.as_deref(), Some("## 2026-08-03"));
        assert_eq!(f.revision_pointer.as_deref(), Some("§2"));
    }

    #[test]
    fn keywords_decide_the_level_and_edits_and_removals_in_the_middle_are_reported() {
        let new = "# Changelog\n\n## 2026-08-03\n\nOffice closed on Friday.\n\n## 2026-08-02\n\nFaster image models, twice as fast.\n\n## 2026-08-01\n\nNew region in Frankfurt.\n";
        let found = diff_page(OLD, new, &PageOptions::default());
        assert_eq!(
            ids(&found),
            vec![(ENTRY_ADDED, Level::Info), (ENTRY_CHANGED, Level::Info)],
            "{found:#?}"
        );
        let gone =
            "# Changelog\n\n## 2026-08-02\n\nFaster image models.\n\n## 2026-07-31\n\nOld.\n";
        let base = "# Changelog\n\n## 2026-08-02\n\nFaster image models.\n\n## 2026-08-01\n\nNew region in Frankfurt.\n\n## 2026-07-31\n\nOld.\n";
        let found = diff_page(base, gone, &PageOptions::default());
        assert_eq!(
            ids(&found),
            vec![(ENTRY_REMOVED, Level::Info)],
            "{found:#?}"
        );
        let custom = PageOptions {
            keywords: vec!["office".into()],
            ..PageOptions::default()
        };
        let found = diff_page(OLD, new, &custom);
        assert_eq!(found[0].level, Level::Warning);
    }

    #[test]
    fn a_page_without_repeated_headings_is_compared_by_paragraph() {
        let found = diff_page(
            "Status: all good.\n",
            "Status: degraded.\n",
            &PageOptions::default(),
        );
        assert_eq!(ids(&found), vec![(text::PARAGRAPH_CHANGED, Level::Info)]);
        assert!(entries("# Title\n\nOne paragraph.\n").is_none());
    }

    /// A changelog page as a site renders it: a stamp and a build id that
    /// change on every deploy, entries that come and go.
    fn page(stamp: &str, build: &str, entries: &[(&str, &str)]) -> String {
        let mut out = format!("# Changelog\n\nLast updated: {stamp}\n\n");
        for (date, body) in entries {
            out += &format!("## {date}\n\n{body}\n\n");
        }
        out += &format!("Build {build} · status: operational\n");
        out
    }

    #[test]
    fn masks_numbers_ids_and_calendar_words() {
        assert_eq!(
            mask("Last updated: September 12, 2026 10:31 UTC").0,
            "Last updated: # #, # #:# UTC"
        );
        assert_eq!(mask("Build 4f2a9c1 (v1)").0, "Build # (#)");
        assert!(!mask("Faster image models.").1);
        assert_eq!(
            candidate("## 2026-08-03"),
            None,
            "headings are never volatile"
        );
    }

    #[test]
    fn stamps_that_change_every_version_are_volatile_and_entries_are_not() {
        let history = [
            page(
                "2026-08-01 09:12",
                "a1b2c3d",
                &[("2026-08-01", "New region in Frankfurt.")],
            ),
            page(
                "2026-08-02 17:40",
                "9f8e7d6",
                &[
                    ("2026-08-02", "Faster image models."),
                    ("2026-08-01", "New region in Frankfurt."),
                ],
            ),
            page(
                "2026-08-02 18:03",
                "77aa001",
                &[
                    ("2026-08-02", "Faster image models."),
                    ("2026-08-01", "New region in Frankfurt."),
                ],
            ),
            page(
                "2026-08-05 08:00",
                "0c0ffee1",
                &[
                    (
                        "2026-08-05",
                        "Rate limits raised to 600 requests per minute on 2026-08-05.",
                    ),
                    ("2026-08-02", "Faster image models."),
                    ("2026-08-01", "New region in Frankfurt."),
                ],
            ),
        ];
        let texts: Vec<&str> = history.iter().map(String::as_str).collect();
        let volatile = volatile_lines(&texts);
        assert_eq!(
            volatile,
            ["Build # · status: operational", "Last updated: #-#-# #:#"],
            "{volatile:?}"
        );
        // Too little history finds nothing.
        assert!(volatile_lines(&texts[..2]).is_empty());
        let options = PageOptions {
            volatile: volatile.clone(),
            ..PageOptions::default()
        };
        // A version that differs only by them: nothing to report.
        assert!(same_but_volatile(texts[1], texts[2], &volatile));
        assert!(diff_page(texts[1], texts[2], &options).is_empty());
        // Without the rule, the stamps are what the diff reports.
        assert!(!diff_page(texts[1], texts[2], &PageOptions::default()).is_empty());
        // A real entry with dates and numbers in it is still one new entry,
        // in full, and the stamps beside it are not reported.
        let found = diff_page(texts[2], texts[3], &options);
        assert_eq!(ids(&found), vec![(ENTRY_ADDED, Level::Info)], "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("Rate limits raised to 600 requests per minute on 2026-08-05.")
        );
        assert!(!same_but_volatile(texts[2], texts[3], &volatile));
    }

    #[test]
    fn a_line_that_sometimes_stays_or_comes_back_is_not_volatile() {
        // "Status" changes in most versions but stays in one: not every time.
        let texts = [
            "Intro\n\nStatus: 3 incidents\n",
            "Intro\n\nStatus: 4 incidents\n",
            "Intro\n\nStatus: 4 incidents\n",
            "Intro\n\nStatus: 5 incidents\n",
        ];
        assert!(volatile_lines(&texts).is_empty());
        // A line that moves down the page as a newer one arrives (a list of
        // releases without headings) keeps its old text: not volatile.
        let texts = [
            "Releases\n\nv1.2.0 released\n",
            "Releases\n\nv1.3.0 released\nv1.2.0 released\n",
            "Releases\n\nv1.4.0 released\nv1.3.0 released\nv1.2.0 released\n",
        ];
        assert!(volatile_lines(&texts).is_empty());
        // On only two of five versions: not "most".
        let texts = [
            "A\n\nBuild 1\n",
            "A\n\nBuild 2\n",
            "A\n\nB\n",
            "A\n\nC\n",
            "A\n\nD\n",
        ];
        assert!(volatile_lines(&texts).is_empty());
    }
}
