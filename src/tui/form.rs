//! The "add a watch" form: name, location, kind, interval and item key,
//! checked by the same rules as `apiradar add` before anything is stored.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Clear, Paragraph};

use super::theme::Theme;
use super::util::centered;
use crate::watch::{self, Kind, WatchSpec};

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

    /// The watch the form describes, or every problem with it.
    fn validate(&self) -> Result<WatchSpec, Vec<(Field, String)>> {
        let mut errors = Vec::new();
        if let Err(e) = watch::validate_name(self.name.trim()) {
            errors.push((Field::Name, e.to_string()));
        }
        let location = self.location.trim();
        if location.is_empty() {
            errors.push((Field::Location, "give a URL or a file path".into()));
        } else if let Err(e) = crate::fetch::Location::parse(location) {
            errors.push((Field::Location, e.message));
        }
        let interval = match watch::parse_interval(self.interval.trim()) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.push((Field::Interval, e.to_string()));
                None
            }
        };
        let kind = KINDS[self.kind];
        let key = self.key.trim();
        if !key.is_empty() && kind != Kind::Json {
            errors.push((
                Field::Key,
                "an item key only applies to json watches".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let location = match std::env::current_dir() {
            Ok(dir) => watch::absolute_location(location, &dir),
            Err(_) => location.to_string(),
        };
        let mut spec = WatchSpec::new(self.name.trim(), kind, &location);
        if let Some(d) = interval {
            spec.interval = d;
        }
        if !key.is_empty() {
            spec.item_key = Some(key.to_string());
        }
        spec.validate()
            .map_err(|e| vec![(Field::Location, e.to_string())])?;
        Ok(spec)
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
