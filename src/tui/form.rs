//! The "add a watch" form: name, location, kind, interval and item key,
//! checked by the same rules as `apiradar add` (the application's
//! [`WatchInput`]) before anything is stored.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme::Theme;
use super::util::centered;
use crate::app::watches::{Field as InputField, InputError, WatchInput};
use crate::watch::{Kind, WatchError, WatchSpec};

const KINDS: [Kind; 3] = [Kind::OpenApi, Kind::Json, Kind::Page];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Name,
    Location,
    Kind,
    Interval,
    Key,
}

const FIELDS: [Field; 5] = [
    Field::Name,
    Field::Location,
    Field::Kind,
    Field::Interval,
    Field::Key,
];

/// What a key did to the form.
pub enum FormOutcome {
    Editing,
    Cancelled,
    /// A valid watch to add.
    Submit(Box<WatchSpec>),
}

pub struct AddForm {
    name: String,
    location: String,
    kind: usize,
    interval: String,
    key: String,
    field: usize,
    /// Problems found on the last submit, by field.
    errors: Vec<(Field, String)>,
}

impl AddForm {
    pub fn new() -> AddForm {
        AddForm {
            name: String::new(),
            location: String::new(),
            kind: 0,
            interval: "1h".into(),
            key: String::new(),
            field: 0,
            errors: Vec::new(),
        }
    }

    /// `:add NAME LOCATION [KIND]` fills in what it names.
    pub fn prefill(&mut self, args: &[&str]) {
        if let Some(n) = args.first() {
            self.name = n.to_string();
            self.field = 1;
        }
        if let Some(l) = args.get(1) {
            self.location = l.to_string();
            self.field = 2;
        }
        if let Some(k) = args.get(2).and_then(|k| k.parse::<Kind>().ok()) {
            self.kind = KINDS.iter().position(|x| *x == k).unwrap_or(0);
        }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match FIELDS[self.field] {
            Field::Name => Some(&mut self.name),
            Field::Location => Some(&mut self.location),
            Field::Interval => Some(&mut self.interval),
            Field::Key => Some(&mut self.key),
            Field::Kind => None,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> FormOutcome {
        let n = FIELDS.len();
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancelled,
            KeyCode::Tab | KeyCode::Down => self.field = (self.field + 1) % n,
            KeyCode::BackTab | KeyCode::Up => self.field = (self.field + n - 1) % n,
            KeyCode::Enter => {
                return match self.validate() {
                    Ok(spec) => FormOutcome::Submit(Box::new(spec)),
                    Err(errors) => {
                        self.field = FIELDS
                            .iter()
                            .position(|f| Some(f) == errors.first().map(|(f, _)| f))
                            .unwrap_or(self.field);
                        self.errors = errors;
                        FormOutcome::Editing
                    }
                };
            }
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if FIELDS[self.field] == Field::Kind =>
            {
                self.kind = if key.code == KeyCode::Left {
                    (self.kind + KINDS.len() - 1) % KINDS.len()
                } else {
                    (self.kind + 1) % KINDS.len()
                };
            }
            KeyCode::Backspace => {
                if let Some(t) = self.text_mut() {
                    t.pop();
                }
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(t) = self.text_mut() {
                    t.clear();
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if let Some(t) = self.text_mut() {
                    t.push(c);
                }
            }
            _ => {}
        }
        FormOutcome::Editing
    }

    /// The watch the form describes, or every problem with it, checked by
    /// the same rules as `apiradar add` ([`WatchInput::check`]).
    fn validate(&self) -> Result<WatchSpec, Vec<(Field, String)>> {
        let key = self.key.trim();
        let input = WatchInput {
            name: self.name.trim().to_string(),
            location: self.location.trim().to_string(),
            kind: KINDS[self.kind].as_str().to_string(),
            every: Some(self.interval.trim().to_string()),
            headers: Vec::new(),
            key: (!key.is_empty()).then(|| key.to_string()),
            public_headers: Vec::new(),
        };
        let base = std::env::current_dir().ok();
        input.check(base.as_deref()).map_err(|errors| {
            let mut errors: Vec<(Field, String)> = errors
                .into_iter()
                .map(|e| (field_of(e.field), message(e.error)))
                .collect();
            // Top to bottom, as the fields are laid out.
            errors.sort_by_key(|(f, _)| FIELDS.iter().position(|x| x == f));
            errors
        })
    }

    pub fn draw(&self, f: &mut Frame, body: Rect, theme: &Theme) {
        let area = centered(body, 72.min(body.width), 14.min(body.height));
        f.render_widget(Clear, area);
        let block = Block::bordered()
            .border_type(BorderType::Rounded)
            .title(" Add a watch · Tab next field · Enter add · Esc cancel ")
            .style(theme.popup());
        let labels = [
            ("Name", self.name.clone()),
            ("Location", self.location.clone()),
            (
                "Kind",
                KINDS
                    .iter()
                    .enumerate()
                    .map(|(i, k)| {
                        if i == self.kind {
                            format!("[{k}]")
                        } else {
                            format!(" {k} ")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            ("Interval", self.interval.clone()),
            ("Item key", self.key.clone()),
        ];
        let mut lines = Vec::new();
        for (i, (label, value)) in labels.iter().enumerate() {
            let current = i == self.field;
            let cursor = if current && FIELDS[i] != Field::Kind {
                "▏"
            } else {
                ""
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{}{label:<9}", if current { "› " } else { "  " }),
                    if current {
                        theme.title(true)
                    } else {
                        theme.dim()
                    },
                ),
                Span::styled(format!("{value}{cursor}"), theme.input()),
            ]));
            if let Some((_, e)) = self.errors.iter().find(|(f, _)| *f == FIELDS[i]) {
                lines.push(Line::from(Span::styled(
                    format!("           {e}"),
                    theme.input_error(),
                )));
            }
        }
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            "  Kind: ←/→ or space. Item key: for json catalogs, the field naming an item (e.g. id).",
            theme.dim(),
        )));
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: false }),
            area,
        );
    }
}

impl Default for AddForm {
    fn default() -> Self {
        AddForm::new()
    }
}

/// The form's field for a part of a watch input (it has no headers: a
/// problem there would be the location's).
fn field_of(f: InputField) -> Field {
    match f {
        InputField::Name => Field::Name,
        InputField::Location | InputField::Headers => Field::Location,
        InputField::Kind => Field::Kind,
        InputField::Interval => Field::Interval,
        InputField::Key => Field::Key,
    }
}

/// A problem in the form's words where they differ from the CLI's.
fn message(e: InputError) -> String {
    match e {
        InputError::Watch(WatchError::EmptyLocation) => "give a URL or a file path".into(),
        InputError::Watch(WatchError::KeyWithoutJson) => {
            "an item key only applies to json watches".into()
        }
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(form: &mut AddForm, text: &str) {
        for c in text.chars() {
            form.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn problems_are_shown_beside_their_fields_in_the_forms_words() {
        let mut form = AddForm::new();
        form.prefill(&["bad name"]);
        // openapi, the default kind, takes no item key
        form.key = "id".into();
        form.interval = "10s".into();
        let errors = form.validate().unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [Field::Name, Field::Location, Field::Interval, Field::Key]
        );
        assert_eq!(errors[1].1, "give a URL or a file path");
        assert_eq!(errors[3].1, "an item key only applies to json watches");
    }

    #[test]
    fn a_valid_form_submits_its_watch() {
        let mut form = AddForm::new();
        typed(&mut form, "petstore");
        form.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        typed(&mut form, "https://example.test/openapi.yaml");
        match form.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)) {
            FormOutcome::Submit(spec) => {
                assert_eq!(spec.name, "petstore");
                assert_eq!(spec.kind, Kind::OpenApi);
                assert_eq!(spec.interval, std::time::Duration::from_secs(3600));
            }
            _ => panic!("the form did not submit"),
        }
    }
}
