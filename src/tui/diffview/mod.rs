//! The side-by-side diff of two versions of one document (older on the left,
//! newer on the right), built for documents of hundreds of thousands of lines.
//!
//! The work is split so that nothing proportional to the document size runs
//! on the UI thread:
//!
//! * [`DiffModel::build`] (background): splits both texts into lines, aligns
//!   them with a patience line diff and stores the aligned rows compactly.
//!   After that every query is O(1) or O(log n).
//! * [`Highlighter::fill_checkpoints`] (background): runs syntect over both
//!   texts once and keeps its parse state every [`CHECKPOINT_EVERY`] lines,
//!   so any line can later be highlighted by re-parsing at most that many
//!   lines. (YAML uses a fast tokenizer of its own instead and needs no
//!   checkpoints; plain text is not highlighted.)
//! * [`DiffView`] (UI thread): draws only the rows on screen, asking the
//!   highlighter for just those lines, and computes the word-level emphasis
//!   of changed pairs only for the rows it draws.
//!
//! [`line_of_pointer`] maps a JSON pointer (as found in diff findings) to a
//! line, so the dashboard can jump from a finding to its place in the text.

mod highlight;
mod inline;
mod model;
mod pointer;
mod view;
mod yaml;

pub use highlight::{
    CHECKPOINT_EVERY, ColorDepth, Highlighter, MAX_HIGHLIGHT_BYTES, syntax_themes,
};
pub use inline::changed_ranges;
pub use model::{DiffModel, Row, RowKind};
pub use pointer::line_of_pointer;
pub use view::{
    DiffStyles, DiffView, DiffViewState, ViewOptions, contains_ignoring_case, display_width,
    match_ranges,
};

/// The language of a document, which picks the syntax highlighting and the
/// way [`line_of_pointer`] reads the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    Json,
    Yaml,
    /// Anything else (web pages converted to text): no highlighting.
    Text,
}

impl Lang {
    /// A cheap guess from the first non-blank character and the first lines:
    /// `{` or `[` means JSON, a `key:` line or a `---` marker means YAML,
    /// anything else is text. Meant for documents whose type was not recorded.
    pub fn guess(text: &str) -> Lang {
        let trimmed = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
        match trimmed.as_bytes().first() {
            None => Lang::Text,
            Some(b'{') | Some(b'[') => Lang::Json,
            Some(_) => {
                let yamlish = trimmed
                    .lines()
                    .take(20)
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .take(5)
                    .any(|l| {
                        l.starts_with("---")
                            || l.trim_start().starts_with("- ")
                            || l.trim_end().ends_with(':')
                            || l.contains(": ")
                    });
                if yamlish { Lang::Yaml } else { Lang::Text }
            }
        }
    }
}

/// One of the two panes: the older version is on the left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    Left,
    Right,
}

impl Column {
    /// 0 for the left side, 1 for the right one: the index into per-side arrays.
    pub(crate) fn index(self) -> usize {
        match self {
            Column::Left => 0,
            Column::Right => 1,
        }
    }

    /// The opposite pane.
    pub fn other(self) -> Column {
        match self {
            Column::Left => Column::Right,
            Column::Right => Column::Left,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_languages() {
        assert_eq!(Lang::guess("  {\n \"a\": 1}"), Lang::Json);
        assert_eq!(Lang::guess("[1]"), Lang::Json);
        assert_eq!(
            Lang::guess("openapi: 3.0.0\ninfo:\n  title: x\n"),
            Lang::Yaml
        );
        assert_eq!(Lang::guess("---\n- a\n"), Lang::Yaml);
        assert_eq!(Lang::guess("Hello world.\nThis is a page."), Lang::Text);
        assert_eq!(Lang::guess(""), Lang::Text);
        assert_eq!(Column::Left.other(), Column::Right);
    }
}
