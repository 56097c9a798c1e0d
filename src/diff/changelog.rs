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

use std::collections::HashMap;

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
}

impl Default for PageOptions {
    fn default() -> Self {
        PageOptions {
            keywords: DEFAULT_KEYWORDS.iter().map(|k| (*k).to_owned()).collect(),
            levels: Vec::new(),
        }
    }
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
        path: Some(entry.lines().next().unwrap_or("").trim().to_string()),
        message,
        base_pointer: base.map(place),
        revision_pointer: revision.map(place),
        fingerprint: hex::encode(&h.finalize()[..8]),
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
}
