//! Pane 3: two versions side by side, with the findings between them above
//! the text. Choosing a finding jumps both sides to where it is.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};

use super::{DrawCx, Msg, PaneId, block};
use crate::diff::Level;
use crate::tui::data::{Lines, PairRequest, PairView};
use crate::tui::diffview::{Column, DiffStyles, DiffView, DiffViewState};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::util::{fit, moved};

#[derive(Default)]
pub struct DiffPane {
    pub view: Option<PairView>,
    pub state: DiffViewState,
    /// The pair being loaded, if any.
    pub loading: Option<PairRequest>,
    pub error: Option<String>,
    pub show_findings: bool,
    /// Keys go to the findings list rather than the text.
    pub findings_focused: bool,
    finding: usize,
    findings_list: ListState,
    /// Text searched with `/`; `n`/`N` then jump between matches.
    pub search: String,
}

impl DiffPane {
    pub fn new() -> DiffPane {
        DiffPane {
            show_findings: true,
            ..DiffPane::default()
        }
    }

    pub fn published(&self) -> bool {
        self.view
            .as_ref()
            .map(|v| v.request.published)
            .or(self.loading.as_ref().map(|r| r.published))
            .unwrap_or(false)
    }

    pub fn set_view(&mut self, view: PairView) {
        // The same pair in the other form keeps roughly its place.
        let same_pair = self.view.as_ref().is_some_and(|v| {
            v.request.watch_id == view.request.watch_id
                && v.request.base_seq == view.request.base_seq
                && v.request.rev_seq == view.request.rev_seq
        });
        self.loading = None;
        self.error = None;
        self.finding = 0;
        let cursor = self.state.cursor;
        self.state = DiffViewState::default();
        if same_pair {
            self.state
                .jump_to_row(&view.model, cursor.min(view.model.rows().saturating_sub(1)));
        } else {
            // Start at the first change.
            self.state.next_change(&view.model);
        }
        self.findings_focused = self.findings_focused && !view.findings.is_empty();
        self.view = Some(view);
    }

    /// Jumps both sides to the selected finding, asking for its place
    /// first when it is not known yet.
    fn jump_to_finding(&mut self) -> Vec<Msg> {
        let Some(view) = &self.view else {
            return Vec::new();
        };
        let Some(f) = view.findings.get(self.finding) else {
            return Vec::new();
        };
        let Some(lines) = f.lines else {
            return vec![Msg::Locate {
                index: self.finding,
                base_pointer: f.finding.base_pointer.clone(),
                rev_pointer: f.finding.revision_pointer.clone(),
            }];
        };
        let row = lines
            .rev
            .and_then(|l| view.model.row_of_line(Column::Right, l))
            .or_else(|| {
                lines
                    .base
                    .and_then(|l| view.model.row_of_line(Column::Left, l))
            });
        match row {
            Some(row) => {
                self.state.jump_to_row(&view.model, row);
                Vec::new()
            }
            None => vec![Msg::Status(
                "this finding has no place in the text shown".into(),
                false,
            )],
        }
    }

    /// The place of finding `index` arrived: remember it, and jump there if
    /// that finding is still the one chosen.
    pub fn located(&mut self, index: usize, lines: Lines) -> Vec<Msg> {
        let Some(view) = &mut self.view else {
            return Vec::new();
        };
        let Some(f) = view.findings.get_mut(index) else {
            return Vec::new();
        };
        f.lines = Some(lines);
        if index == self.finding {
            self.jump_to_finding()
        } else {
            Vec::new()
        }
    }

    /// The next row at or after `from` (or before, backwards) whose text
    /// contains the search, wrapping around.
    fn find(&self, from: usize, forward: bool) -> Option<usize> {
        let view = self.view.as_ref()?;
        let model = &view.model;
        let n = model.rows();
        if n == 0 || self.search.is_empty() {
            return None;
        }
        let needle = self.search.to_lowercase();
        let hit = |row: usize| {
            model.row(row).is_some_and(|r| {
                [(Column::Left, r.left), (Column::Right, r.right)]
                    .into_iter()
                    .any(|(side, line)| {
                        line.and_then(|l| model.line(side, l))
                            .is_some_and(|t| t.to_lowercase().contains(&needle))
                    })
            })
        };
        (1..=n)
            .map(|k| {
                if forward {
                    (from + k) % n
                } else {
                    (from + n - k % n) % n
                }
            })
            .find(|&r| hit(r))
    }

    /// Starts or updates a text search from the cursor.
    pub fn set_search(&mut self, text: &str) -> Vec<Msg> {
        self.search = text.to_string();
        let from = self.state.cursor.saturating_sub(1);
        match self.find(from, true) {
            Some(row) => {
                if let Some(v) = &self.view {
                    self.state.jump_to_row(&v.model, row);
                }
                Vec::new()
            }
            None if text.is_empty() => Vec::new(),
            None => vec![Msg::Status(format!("`{text}` is not in this diff"), true)],
        }
    }

    pub fn handle(&mut self, action: Action) -> Option<Vec<Msg>> {
        // Keys that work with or without a document.
        match action {
            Action::ToggleFindings => {
                self.show_findings = !self.show_findings;
                self.findings_focused &= self.show_findings;
                return Some(Vec::new());
            }
            Action::ToggleForm => {
                let request = self
                    .view
                    .as_ref()
                    .map(|v| &v.request)
                    .or(self.loading.as_ref());
                return Some(match request {
                    Some(r) => vec![Msg::OpenPair(PairRequest {
                        published: !r.published,
                        ..r.clone()
                    })],
                    None => Vec::new(),
                });
            }
            Action::Back if self.findings_focused => {
                self.findings_focused = false;
                return Some(Vec::new());
            }
            Action::Back if !self.search.is_empty() => {
                self.search.clear();
                return Some(Vec::new());
            }
            Action::Back => return Some(vec![Msg::Focus(PaneId::Timeline)]),
            _ => {}
        }
        let view = self.view.as_ref()?;
        let model = &view.model;
        let has_findings = self.show_findings && !view.findings.is_empty();
        if self.findings_focused {
            let len = view.findings.len();
            let page = 5;
            self.finding = match action {
                Action::Up => moved(self.finding, len, -1),
                Action::Down => moved(self.finding, len, 1),
                Action::Top => 0,
                Action::Bottom => len.saturating_sub(1),
                Action::PageUp | Action::HalfPageUp => moved(self.finding, len, -page),
                Action::PageDown | Action::HalfPageDown => moved(self.finding, len, page),
                Action::Open => {
                    self.findings_focused = false;
                    return Some(self.jump_to_finding());
                }
                Action::Right => {
                    self.findings_focused = false;
                    return Some(Vec::new());
                }
                _ => return None,
            };
            // Following the selection keeps the text in step.
            return Some(self.jump_to_finding());
        }
        match action {
            Action::Up => self.state.move_by(model, -1),
            Action::Down => self.state.move_by(model, 1),
            Action::PageUp => self.state.page(model, false),
            Action::PageDown => self.state.page(model, true),
            Action::HalfPageUp => self.state.half_page(model, false),
            Action::HalfPageDown => self.state.half_page(model, true),
            Action::Top => self.state.to_start(),
            Action::Bottom => self.state.to_end(model),
            Action::NextChange | Action::NextMatch | Action::PrevChange | Action::PrevMatch => {
                let forward = matches!(action, Action::NextChange | Action::NextMatch);
                if !self.search.is_empty() {
                    if let Some(row) = self.find(self.state.cursor, forward) {
                        self.state.jump_to_row(model, row);
                    }
                } else {
                    let moved = if forward {
                        self.state.next_change(model)
                    } else {
                        self.state.prev_change(model)
                    };
                    if !moved {
                        let msg = if forward {
                            "no change below"
                        } else {
                            "no change above"
                        };
                        return Some(vec![Msg::Status(msg.into(), false)]);
                    }
                }
            }
            Action::Left if has_findings => self.findings_focused = true,
            Action::Open if has_findings => {
                self.findings_focused = true;
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let title = match (&self.view, &self.loading) {
            (_, Some(r)) => Line::from(Span::styled(
                format!("loading #{} → #{}…", r.base_seq, r.rev_seq),
                theme.dim(),
            )),
            (Some(v), None) => {
                let r = &v.request;
                let (removed, added) = v.model.changed_lines();
                let pair = if r.base_seq == r.rev_seq {
                    format!("#{} (the first version) ", r.rev_seq)
                } else {
                    format!("#{} → #{} ", r.base_seq, r.rev_seq)
                };
                let mut spans = vec![
                    Span::styled(format!("{} ", v.watch_name), theme.title(cx.focused)),
                    Span::raw(pair),
                    Span::styled(
                        if r.published {
                            "as published "
                        } else {
                            "canonical "
                        },
                        theme.dim(),
                    ),
                    Span::styled(format!("−{removed} "), theme.diff_removed()),
                    Span::styled(format!("+{added}"), theme.diff_added()),
                ];
                if !self.search.is_empty() {
                    spans.push(Span::styled(format!(" /{}", self.search), theme.input()));
                }
                Line::from(spans)
            }
            (None, None) => Line::default(),
        };
        let block = block(PaneId::Diff, title, cx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(e) = &self.error {
            f.render_widget(
                Paragraph::new(format!("cannot show this pair: {e}"))
                    .style(theme.level(Level::Error))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let Some(view) = &self.view else {
            let text = if self.loading.is_some() {
                "Loading…"
            } else {
                "Choose a version in the timeline (Enter) to see what changed."
            };
            f.render_widget(Paragraph::new(text).style(theme.dim()), inner);
            return;
        };
        let findings_height = if self.show_findings {
            let wanted = view.findings.len().max(1) as u16 + 1;
            wanted.min(inner.height / 3).min(10)
        } else {
            0
        };
        let _ = view;
        let [top, text] =
            Layout::vertical([Constraint::Length(findings_height), Constraint::Fill(1)])
                .areas(inner);
        if findings_height > 0 {
            self.draw_findings(f, top, cx);
        }
        let Some(view) = &self.view else {
            return;
        };
        let styles = diff_styles(theme);
        let widget = DiffView {
            model: &view.model,
            highlighter: &view.highlighter,
            styles: &styles,
            focused: cx.focused && !self.findings_focused,
        };
        f.render_stateful_widget(widget, text, &mut self.state);
    }

    fn draw_findings(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let Some(view) = &self.view else {
            return;
        };
        let [head, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let count = |l: Level| {
            view.findings
                .iter()
                .filter(|f| f.finding.level == l)
                .count()
        };
        let mut head_spans = vec![
            Span::styled(
                format!("{} errors ", count(Level::Error)),
                theme.level(Level::Error),
            ),
            Span::styled(
                format!("{} warnings ", count(Level::Warning)),
                theme.level(Level::Warning),
            ),
            Span::styled(
                format!("{} info", count(Level::Info)),
                theme.level(Level::Info),
            ),
        ];
        if self.findings_focused {
            head_spans.push(Span::styled(
                "  Enter jumps to it, l/→ to the text",
                theme.dim(),
            ));
        } else if !view.findings.is_empty() {
            head_spans.push(Span::styled("  h/← to choose a finding", theme.dim()));
        }
        f.render_widget(Paragraph::new(Line::from(head_spans)), head);
        if let Some(e) = &view.findings_error {
            f.render_widget(
                Paragraph::new(fit(e, list.width as usize)).style(theme.level(Level::Warning)),
                list,
            );
            return;
        }
        if view.findings.is_empty() {
            let text = if view.request.base_seq == view.request.rev_seq {
                "the first version: nothing to compare it with yet"
            } else {
                "no findings between these versions"
            };
            f.render_widget(Paragraph::new(text).style(theme.dim()), list);
            return;
        }
        let width = list.width as usize;
        let items: Vec<ListItem> = view
            .findings
            .iter()
            .map(|lf| {
                let fd = &lf.finding;
                // Messages about a whole operation already name it.
                let place = match (&fd.operation, &fd.path) {
                    (_, Some(p)) if fd.message.contains(p.as_str()) => String::new(),
                    (Some(m), Some(p)) => format!("{m} {p} · "),
                    (None, Some(p)) => format!("{p} · "),
                    _ => String::new(),
                };
                let text = format!("{place}{}  [{}]", fd.message, fd.id);
                ListItem::new(Line::from(vec![
                    Span::styled(format!("{:<5} ", short(fd.level)), theme.level(fd.level)),
                    Span::raw(fit(&text, width.saturating_sub(6))),
                ]))
            })
            .collect();
        let list_widget =
            List::new(items).highlight_style(theme.selection(self.findings_focused && cx.focused));
        self.findings_list.select(Some(self.finding));
        f.render_stateful_widget(list_widget, list, &mut self.findings_list);
    }
}

fn short(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warn",
        Level::Info => "info",
    }
}

/// The diff view's styles from the theme.
pub fn diff_styles(theme: &Theme) -> DiffStyles {
    DiffStyles {
        text: theme.base(),
        line_number: theme.line_number(),
        gutter: theme.dim(),
        added: theme.diff_added(),
        removed: theme.diff_removed(),
        added_emph: theme.diff_added_emph(),
        removed_emph: theme.diff_removed_emph(),
        filler: theme.diff_filler(),
        cursor: theme.cursor_line(),
        header: theme.title(true),
    }
}
