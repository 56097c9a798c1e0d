//! Changelog pages compared by entry.

use super::Level;

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
