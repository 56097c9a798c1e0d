//! A one-line editor with the readline keys a shell user's fingers expect
//! (Ctrl-a/e/u/k/w, ←/→, Home/End, Delete), a history walked with ↑/↓ and
//! Tab completion from a list of candidates. Used by the `:` command line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The line (or the cursor) changed, or nothing happened.
    Editing,
    /// Enter.
    Submit,
    /// Esc.
    Cancel,
    /// Tab: the caller completes (see [`LineEditor::complete`]).
    Complete,
}

/// The text, the cursor (a char index) and the history position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineEditor {
    chars: Vec<char>,
    cursor: usize,
    /// Where ↑/↓ are in the history (`None`: the line being typed).
    browsing: Option<usize>,
    /// The line being typed, kept while browsing the history.
    draft: Vec<char>,
}

impl LineEditor {
    pub fn new() -> LineEditor {
        LineEditor::default()
    }

    pub fn text(&self) -> String {
        self.chars.iter().collect()
    }

    /// The cursor, as a char index into [`LineEditor::text`].
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn set_text(&mut self, text: &str) {
        self.chars = text.chars().collect();
        self.cursor = self.chars.len();
    }

    /// Applies a key; `history` is oldest first.
    pub fn key(&mut self, key: KeyEvent, history: &[String]) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::Enter => return Edit::Submit,
            KeyCode::Esc => return Edit::Cancel,
            KeyCode::Tab => return Edit::Complete,
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = self.chars.len(),
            KeyCode::Char('b') if ctrl => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char('f') if ctrl => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Char('u') if ctrl => {
                self.chars.drain(..self.cursor);
                self.cursor = 0;
            }
            KeyCode::Char('k') if ctrl => self.chars.truncate(self.cursor),
            KeyCode::Char('w') if ctrl => self.kill_word(),
            KeyCode::Backspace if alt => self.kill_word(),
            KeyCode::Char('h') if ctrl => self.backspace(),
            KeyCode::Char('p') if ctrl => self.history(history, true),
            KeyCode::Char('n') if ctrl => self.history(history, false),
            KeyCode::Char(_) if ctrl || alt => {}
            KeyCode::Char(c) => {
                self.chars.insert(self.cursor, c);
                self.cursor += 1;
            }
            KeyCode::Backspace => self.backspace(),
            KeyCode::Delete if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.chars.len()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.chars.len(),
            KeyCode::Up => self.history(history, true),
            KeyCode::Down => self.history(history, false),
            _ => {}
        }
        Edit::Editing
    }

    fn backspace(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.chars.remove(self.cursor);
        }
    }

    /// Ctrl-w: the word before the cursor and the spaces after it.
    fn kill_word(&mut self) {
        let mut start = self.cursor;
        while start > 0 && self.chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && self.chars[start - 1] != ' ' {
            start -= 1;
        }
        self.chars.drain(start..self.cursor);
        self.cursor = start;
    }

    /// ↑ (older) or ↓ (newer) in the history; past the newest entry is the
    /// line that was being typed.
    fn history(&mut self, history: &[String], older: bool) {
        if history.is_empty() {
            return;
        }
        let next = match (self.browsing, older) {
            (None, true) => {
                self.draft = self.chars.clone();
                Some(history.len() - 1)
            }
            (None, false) => return,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < history.len() => Some(i + 1),
            (Some(_), false) => None,
        };
        self.browsing = next;
        self.chars = match next {
            Some(i) => history[i].chars().collect(),
            None => std::mem::take(&mut self.draft),
        };
        self.cursor = self.chars.len();
    }

    /// The word under completion: from the last space before the cursor
    /// to the cursor, and which word of the line it is (0 = the command).
    pub fn word(&self) -> (usize, String) {
        let start = self.chars[..self.cursor]
            .iter()
            .rposition(|c| *c == ' ')
            .map_or(0, |p| p + 1);
        let index = self.chars[..start]
            .iter()
            .collect::<String>()
            .split_whitespace()
            .count();
        (index, self.chars[start..self.cursor].iter().collect())
    }

    /// Completes the word before the cursor from `candidates`: one match
    /// is completed with a space after it; several are completed to their
    /// common prefix. Returns the matches (empty when none).
    pub fn complete(&mut self, candidates: &[String]) -> Vec<String> {
        let (_, word) = self.word();
        let matches: Vec<String> = candidates
            .iter()
            .filter(|c| c.starts_with(&word))
            .cloned()
            .collect();
        let completion = match matches.as_slice() {
            [] => return matches,
            // A watch name with `@` after it waits for its version.
            [one] if one.ends_with('@') => one.clone(),
            [one] => format!("{one} "),
            [first, rest @ ..] => {
                let mut prefix: String = first.clone();
                for m in rest {
                    while !m.starts_with(&prefix) {
                        prefix.pop();
                    }
                }
                prefix
            }
        };
        let start = self.cursor - word.chars().count();
        let tail: Vec<char> = self.chars.split_off(self.cursor);
        self.chars.truncate(start);
        self.chars.extend(completion.chars());
        self.cursor = self.chars.len();
        // A completed word ends with a space already.
        let tail = if completion.ends_with(' ') && tail.first() == Some(&' ') {
            &tail[1..]
        } else {
            &tail[..]
        };
        self.chars.extend(tail);
        matches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(e: &mut LineEditor, code: KeyCode, mods: KeyModifiers, history: &[String]) -> Edit {
        e.key(KeyEvent::new(code, mods), history)
    }

    fn typed(text: &str) -> LineEditor {
        let mut e = LineEditor::new();
        for c in text.chars() {
            press(&mut e, KeyCode::Char(c), KeyModifiers::NONE, &[]);
        }
        e
    }

    #[test]
    fn readline_keys_edit_instead_of_inserting_letters() {
        let none: &[String] = &[];
        let ctrl = KeyModifiers::CONTROL;
        let mut e = typed("diff one two");
        press(&mut e, KeyCode::Char('w'), ctrl, none);
        assert_eq!(e.text(), "diff one ");
        press(&mut e, KeyCode::Char('a'), ctrl, none);
        assert_eq!(e.cursor(), 0);
        press(&mut e, KeyCode::Char('x'), KeyModifiers::NONE, none);
        assert_eq!(e.text(), "xdiff one ");
        press(&mut e, KeyCode::Char('e'), ctrl, none);
        press(&mut e, KeyCode::Left, KeyModifiers::NONE, none);
        press(&mut e, KeyCode::Left, KeyModifiers::NONE, none);
        press(&mut e, KeyCode::Char('u'), ctrl, none);
        assert_eq!(e.text(), "e ");
        assert_eq!(e.cursor(), 0);
        press(&mut e, KeyCode::Char('k'), ctrl, none);
        assert_eq!(e.text(), "");
        assert_eq!(
            press(&mut e, KeyCode::Enter, KeyModifiers::NONE, none),
            Edit::Submit
        );
    }

    #[test]
    fn history_walks_back_and_returns_to_the_draft() {
        let history = vec!["pause a".to_string(), "diff 1 2".to_string()];
        let mut e = typed("ref");
        press(&mut e, KeyCode::Up, KeyModifiers::NONE, &history);
        assert_eq!(e.text(), "diff 1 2");
        press(&mut e, KeyCode::Up, KeyModifiers::NONE, &history);
        press(&mut e, KeyCode::Up, KeyModifiers::NONE, &history);
        assert_eq!(e.text(), "pause a");
        press(&mut e, KeyCode::Down, KeyModifiers::NONE, &history);
        press(&mut e, KeyCode::Down, KeyModifiers::NONE, &history);
        assert_eq!(e.text(), "ref");
    }

    #[test]
    fn tab_completes_one_match_and_common_prefixes() {
        let commands: Vec<String> = ["diff", "pause", "pause-all", "refresh"]
            .map(String::from)
            .to_vec();
        let mut e = typed("di");
        assert_eq!(e.complete(&commands), vec!["diff".to_string()]);
        assert_eq!(e.text(), "diff ");
        let mut e = typed("pa");
        assert_eq!(e.complete(&commands).len(), 2);
        assert_eq!(e.text(), "pause");
        let mut e = typed("zz");
        assert!(e.complete(&commands).is_empty());
        assert_eq!(e.text(), "zz");
        assert_eq!(typed("diff open").word(), (1, "open".to_string()));
    }
}
