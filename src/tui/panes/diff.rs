//! Pane 3: two versions of a document, side by side or unified, with the
//! findings between them above the text: a list (filtered by level and
//! text, grouped by level, operation or root cause) beside the selected
//! finding in full. Choosing a finding jumps both sides to where it is.

use std::collections::HashMap;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};

use super::{DrawCx, Msg, PaneId, block};
use crate::diff::group::group;
use crate::diff::{Finding, Level};
use crate::tui::data::{Lines, LocatedFinding, PairRequest, PairView};
use crate::tui::diffview::{
    Column, DiffModel, DiffStyles, DiffView, DiffViewState, ViewOptions, contains_ignoring_case,
};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::util::{fit, moved};

/// Below this many columns (of the diff pane: the terminal's, when it
/// shows one pane at a time) the diff is unified unless told otherwise
/// (`u`).
pub const UNIFIED_BELOW: u16 = 120;

/// How the findings list is grouped. By root cause unless asked, as the
/// CLI's reports are: a change in a shared schema is one header, not a
/// line for every operation that reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    /// Most serious first, no headers.
    Level,
    /// Under one header per operation.
    Operation,
    /// Under one header per root cause (see [`root_cause_groups`]).
    #[default]
    RootCause,
}

impl Grouping {
    fn label(self) -> &'static str {
        match self {
            Grouping::Level => "by level",
            Grouping::Operation => "by operation",
            Grouping::RootCause => "by root cause",
        }
    }
}

/// Side by side or unified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayoutMode {
    /// Unified below [`UNIFIED_BELOW`] columns, side by side above.
    #[default]
    Auto,
    Split,
    Unified,
}

/// One line of the findings list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Header {
        title: String,
        count: usize,
    },
    /// An index into the pair's findings, and whether it is under a
    /// header (indented).
    Finding(usize, bool),
}

/// The root-cause groups of the findings `shown` (indexes into
/// `findings`), as (cause, members): the engine's own grouping
/// ([`diff::group`]), so a change to a shared schema reached by many
/// operations is one header, worded for the component.
pub fn root_cause_groups(
    findings: &[LocatedFinding],
    shown: &[usize],
) -> Vec<(String, Vec<usize>)> {
    let subset: Vec<Finding> = shown.iter().map(|&i| findings[i].finding.clone()).collect();
    let by_fingerprint: HashMap<&str, usize> = shown
        .iter()
        .map(|&i| (findings[i].finding.fingerprint.as_str(), i))
        .collect();
    group(&subset)
        .into_iter()
        .map(|g| {
            let members = g
                .fingerprints
                .iter()
                .filter_map(|fp| by_fingerprint.get(*fp).copied())
                .collect();
            (format!("{}  [{}]", g.message, g.check), members)
        })
        .collect()
}

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
    /// The selected finding: an index into the pair's findings.
    finding: usize,
    findings_list: ListState,
    /// Text searched with `/`; `n`/`N` then jump between matches.
    pub search: String,
    /// The rows holding a match of the search, ascending, once counted
    /// (`None` while the search is being typed: a keystroke only looks
    /// as far as the next match).
    matches: Option<Vec<usize>>,
    /// The search changed since the last frame: find its next match
    /// before drawing (once for a burst of keys, such as a paste).
    search_pending: bool,
    /// Long lines wrap instead of being cut.
    pub wrap: bool,
    pub layout: LayoutMode,
    /// The pane's width in the last frame.
    pub pane_width: u16,
    /// Only findings of this level.
    pub level_filter: Option<Level>,
    /// Only findings containing this text (message, id, operation, path).
    pub finding_filter: String,
    pub grouping: Grouping,
    entries: Vec<Entry>,
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

    /// Whether the text is drawn unified now.
    pub fn unified(&self) -> bool {
        match self.layout {
            LayoutMode::Auto => self.pane_width > 0 && self.pane_width < UNIFIED_BELOW,
            LayoutMode::Split => false,
            LayoutMode::Unified => true,
        }
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
        let (wrap_left, height) = (self.state.left_col, self.state.last_height());
        self.state = DiffViewState::default();
        let _ = height;
        if same_pair {
            self.state
                .jump_to_row(&view.model, cursor.min(view.model.rows().saturating_sub(1)));
            self.state.left_col = wrap_left;
        } else {
            // Start at the first change.
            self.state.next_change(&view.model);
        }
        self.findings_focused = self.findings_focused && !view.findings.is_empty();
        self.matches = (!self.search.is_empty()).then(|| search_rows(&view.model, &self.search));
        self.view = Some(view);
        self.rebuild_entries();
    }

    /// The finding indexes in the order the list shows them.
    fn order(&self) -> Vec<usize> {
        self.entries
            .iter()
            .filter_map(|e| match e {
                Entry::Finding(i, _) => Some(*i),
                Entry::Header { .. } => None,
            })
            .collect()
    }

    /// Rebuilds the list after a change of pair, filter or grouping; keeps
    /// the selected finding when it is still shown.
    fn rebuild_entries(&mut self) {
        let Some(view) = &self.view else {
            self.entries.clear();
            return;
        };
        let needle = self.finding_filter.to_lowercase();
        let shown: Vec<usize> = view
            .findings
            .iter()
            .enumerate()
            .filter(|(_, lf)| self.level_filter.is_none_or(|l| lf.finding.level == l))
            .filter(|(_, lf)| needle.is_empty() || finding_matches(&lf.finding, &needle))
            .map(|(i, _)| i)
            .collect();
        let groups = match self.grouping {
            Grouping::Level => None,
            Grouping::Operation => Some(operation_groups(&view.findings, &shown)),
            Grouping::RootCause => Some(root_cause_groups(&view.findings, &shown)),
        };
        // A root cause with one finding is that finding, without a header
        // saying the same again; an operation's header says which one.
        let lone_headers = self.grouping == Grouping::Operation;
        self.entries = match groups {
            None => shown.iter().map(|&i| Entry::Finding(i, false)).collect(),
            Some(groups) => groups
                .into_iter()
                .flat_map(|(title, members)| {
                    let header = (lone_headers || members.len() > 1).then_some(Entry::Header {
                        title,
                        count: members.len(),
                    });
                    let nested = header.is_some();
                    header
                        .into_iter()
                        .chain(members.into_iter().map(move |i| Entry::Finding(i, nested)))
                })
                .collect(),
        };
        let order = self.order();
        if !order.contains(&self.finding) {
            self.finding = order.first().copied().unwrap_or(0);
        }
    }

    /// Filters the findings by text (the `/` line with the list focused).
    pub fn set_finding_filter(&mut self, text: &str) -> Vec<Msg> {
        self.finding_filter = text.to_string();
        self.rebuild_entries();
        Vec::new()
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
                base_pointer: f.finding.base_pointer.as_deref().map(String::from),
                rev_pointer: f.finding.revision_pointer.as_deref().map(String::from),
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

    /// Starts or updates a text search from the cursor: jumps to the next
    /// row that matches (looking no further than that, so typing stays
    /// quick on large documents); [`DiffPane::count_matches`] counts them.
    pub fn set_search(&mut self, text: &str) -> Vec<Msg> {
        self.search = text.to_string();
        self.matches = None;
        self.search_pending = true;
        Vec::new()
    }

    /// Carries out a search typed since the last frame: jumps to the next
    /// row that matches, or says it is not there.
    pub fn run_pending_search(&mut self) -> Option<Msg> {
        if !std::mem::take(&mut self.search_pending) || self.search.is_empty() {
            return None;
        }
        let view = self.view.as_ref()?;
        let from = self.state.cursor;
        match find_row(&view.model, &self.search, from.saturating_sub(1), true) {
            Some(row) => {
                self.state.jump_to_row(&view.model, row);
                None
            }
            None => Some(Msg::Status(
                format!("`{}` is not in this diff", self.search),
                true,
            )),
        }
    }

    /// Counts the matches of the search (Enter on the `/` line), for "3/17".
    pub fn count_matches(&mut self) -> Option<Msg> {
        let note = self.run_pending_search();
        self.matches = match &self.view {
            Some(view) if !self.search.is_empty() => Some(search_rows(&view.model, &self.search)),
            _ => None,
        };
        note
    }

    /// "3/17": the match at the cursor (or `–` between matches) of all;
    /// "…" while the search is typed.
    pub fn match_count(&self) -> Option<String> {
        if self.search.is_empty() {
            return None;
        }
        let Some(matches) = &self.matches else {
            return Some("…".into());
        };
        let total = matches.len();
        Some(match matches.binary_search(&self.state.cursor) {
            Ok(i) => format!("{}/{total}", i + 1),
            Err(_) => format!("–/{total}"),
        })
    }

    /// The next (or previous) match row from the cursor, wrapping around.
    fn next_match(&self, forward: bool) -> Option<usize> {
        let cursor = self.state.cursor;
        let Some(matches) = &self.matches else {
            let view = self.view.as_ref()?;
            return find_row(&view.model, &self.search, cursor, forward);
        };
        if forward {
            let at = matches.partition_point(|&r| r <= cursor);
            matches.get(at).or(matches.first()).copied()
        } else {
            let at = matches.partition_point(|&r| r < cursor);
            at.checked_sub(1)
                .and_then(|i| matches.get(i))
                .or(matches.last())
                .copied()
        }
    }

    /// What `y` copies here: the selected finding, or the line under the
    /// cursor; as (what, text).
    pub fn copy_text(&self) -> Option<(String, String)> {
        let view = self.view.as_ref()?;
        if self.findings_focused {
            let f = &view.findings.get(self.finding)?.finding;
            return Some(("the finding".into(), finding_text(f)));
        }
        let row = view.model.row(self.state.cursor)?;
        let (side, line) = match (row.right, row.left) {
            (Some(r), _) => (Column::Right, r),
            (None, Some(l)) => (Column::Left, l),
            (None, None) => return None,
        };
        let text = view.model.line(side, line)?.to_string();
        Some((format!("line {}", line + 1), text))
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
            Action::Wrap => {
                self.wrap = !self.wrap;
                let m = if self.wrap {
                    "long lines wrap (w again cuts them; h/l then scroll)"
                } else {
                    "long lines are cut: h/l or ←/→ scroll sideways"
                };
                return Some(vec![Msg::Status(m.into(), false)]);
            }
            Action::Unified => {
                self.layout = if self.unified() {
                    LayoutMode::Split
                } else {
                    LayoutMode::Unified
                };
                return Some(Vec::new());
            }
            Action::Back if self.findings_focused => {
                self.findings_focused = false;
                return Some(Vec::new());
            }
            Action::Back if !self.search.is_empty() => {
                self.search.clear();
                self.matches = None;
                return Some(Vec::new());
            }
            Action::Back => return Some(vec![Msg::Focus(PaneId::Timeline)]),
            _ => {}
        }
        let view = self.view.as_ref()?;
        let model = &view.model;
        let has_findings = self.show_findings && !view.findings.is_empty();
        if self.findings_focused {
            return self.handle_findings(action);
        }
        let step = (self.state.text_width() / 2).max(8) as isize;
        match action {
            Action::Up => self.state.move_by(model, -1),
            Action::Down => self.state.move_by(model, 1),
            Action::PageUp => self.state.page(model, false),
            Action::PageDown => self.state.page(model, true),
            Action::HalfPageUp => self.state.half_page(model, false),
            Action::HalfPageDown => self.state.half_page(model, true),
            Action::Top => self.state.to_start(),
            Action::Bottom => self.state.to_end(model),
            Action::Left | Action::Right | Action::LineEnd if self.wrap => {
                return Some(vec![Msg::Status(
                    "lines wrap: nothing to scroll sideways (w cuts them again)".into(),
                    false,
                )]);
            }
            Action::Left => self.state.scroll_x(-step),
            Action::Right => self.state.scroll_x(step),
            Action::LineEnd => self.state.to_line_end(model),
            Action::LineStart => self.state.left_col = 0,
            Action::NextChange | Action::NextMatch | Action::PrevChange | Action::PrevMatch => {
                let forward = matches!(action, Action::NextChange | Action::NextMatch);
                if !self.search.is_empty() {
                    match self.next_match(forward) {
                        Some(row) => self.state.jump_to_row(model, row),
                        None => {
                            return Some(vec![Msg::Status(
                                format!("`{}` is not in this diff", self.search),
                                true,
                            )]);
                        }
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
            Action::Open if has_findings => self.findings_focused = true,
            Action::LevelFilter | Action::Group if has_findings => {
                self.findings_focused = true;
                return self.handle_findings(action);
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    /// A key while the findings list has the keys.
    fn handle_findings(&mut self, action: Action) -> Option<Vec<Msg>> {
        let order = self.order();
        let len = order.len();
        let at = order.iter().position(|&i| i == self.finding).unwrap_or(0);
        let page = 5;
        let to = match action {
            Action::Up => moved(at, len, -1),
            Action::Down => moved(at, len, 1),
            Action::Top => 0,
            Action::Bottom => len.saturating_sub(1),
            Action::PageUp | Action::HalfPageUp => moved(at, len, -page),
            Action::PageDown | Action::HalfPageDown => moved(at, len, page),
            Action::Open => {
                self.findings_focused = false;
                return Some(self.jump_to_finding());
            }
            Action::Right => {
                self.findings_focused = false;
                return Some(Vec::new());
            }
            Action::LevelFilter => {
                self.level_filter = match self.level_filter {
                    None => Some(Level::Error),
                    Some(Level::Error) => Some(Level::Warning),
                    Some(Level::Warning) => Some(Level::Info),
                    Some(Level::Info) => None,
                };
                self.rebuild_entries();
                return Some(self.jump_to_finding());
            }
            Action::Group => {
                self.grouping = match self.grouping {
                    Grouping::Level => Grouping::Operation,
                    Grouping::Operation => Grouping::RootCause,
                    Grouping::RootCause => Grouping::Level,
                };
                self.rebuild_entries();
                return Some(vec![Msg::Status(
                    format!("findings listed {}", self.grouping.label()),
                    false,
                )]);
            }
            _ => return None,
        };
        match order.get(to) {
            Some(&i) => self.finding = i,
            None => return Some(Vec::new()),
        }
        // Following the selection keeps the text in step.
        Some(self.jump_to_finding())
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        self.pane_width = area.width;
        let unified = self.unified();
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
                    Span::styled(
                        format!("{} ", crate::text::line(&v.watch_name)),
                        theme.title(cx.focused),
                    ),
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
                let mut modes = Vec::new();
                if unified {
                    modes.push("unified");
                }
                if self.wrap {
                    modes.push("wrap");
                }
                if !modes.is_empty() {
                    spans.push(Span::styled(format!(" {}", modes.join(" ")), theme.dim()));
                }
                if let Some(count) = self.match_count() {
                    spans.push(Span::styled(
                        format!(" /{} {count}", crate::text::line(&self.search)),
                        theme.input(),
                    ));
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
                Paragraph::new(format!("cannot show this pair: {}", crate::text::line(e)))
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
        let findings_height = if !self.show_findings {
            0
        } else if self.findings_focused {
            // The list gets room to be read (and the finding in full, at
            // least 8 lines), up to three fifths; the text keeps the rest.
            let wanted = self.entries.len().max(8) as u16 + 1;
            wanted.min(inner.height * 3 / 5).max(inner.height.min(6))
        } else {
            let wanted = self.entries.len().max(1) as u16 + 1;
            wanted.min(inner.height / 3).min(10)
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
            options: ViewOptions {
                unified,
                wrap: self.wrap,
            },
            search: &self.search,
        };
        f.render_stateful_widget(widget, text, &mut self.state);
    }

    fn draw_findings(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let Some(view) = &self.view else {
            return;
        };
        let [head, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let count = |l: Level| {
            view.findings
                .iter()
                .filter(|f| f.finding.level == l)
                .count()
        };
        let order = self.order();
        let mut head_spans = vec![
            Span::styled(
                format!(
                    "{} ",
                    crate::text::count(count(Level::Error), "error", "errors")
                ),
                theme.level(Level::Error),
            ),
            Span::styled(
                format!(
                    "{} ",
                    crate::text::count(count(Level::Warning), "warning", "warnings")
                ),
                theme.level(Level::Warning),
            ),
            Span::styled(
                format!("{} info", count(Level::Info)),
                theme.level(Level::Info),
            ),
        ];
        if !view.findings.is_empty() {
            let at = order
                .iter()
                .position(|&i| i == self.finding)
                .map_or(0, |p| p + 1);
            let mut where_ = format!("  {at} of {}", order.len());
            if order.len() != view.findings.len() {
                where_ += &format!(" (of {})", view.findings.len());
            }
            head_spans.push(Span::styled(where_, theme.title(false)));
            let mut shown = Vec::new();
            if let Some(l) = self.level_filter {
                shown.push(format!("{} only", short(l)));
            }
            if !self.finding_filter.is_empty() {
                shown.push(format!("/{}", crate::text::line(&self.finding_filter)));
            }
            if self.grouping != Grouping::Level {
                shown.push(self.grouping.label().to_string());
            }
            if !shown.is_empty() {
                head_spans.push(Span::styled(
                    format!(" · {}", shown.join(" · ")),
                    theme.input(),
                ));
            }
        }
        if self.findings_focused {
            head_spans.push(Span::styled(
                "  Enter jumps · s level · o group · / filter · y copy",
                theme.dim(),
            ));
        } else if !view.findings.is_empty() {
            head_spans.push(Span::styled("  Enter to choose a finding", theme.dim()));
        }
        f.render_widget(Paragraph::new(Line::from(head_spans)), head);
        if let Some(e) = &view.findings_error {
            f.render_widget(
                Paragraph::new(crate::text::line(e).into_owned())
                    .style(theme.level(Level::Warning))
                    .wrap(Wrap { trim: true }),
                body,
            );
            return;
        }
        if view.findings.is_empty() {
            let text = if view.request.base_seq == view.request.rev_seq {
                "the first version: nothing to compare it with yet"
            } else {
                "no findings between these versions"
            };
            f.render_widget(Paragraph::new(text).style(theme.dim()), body);
            return;
        }
        // lazygit's list + detail: beside each other when wide, the detail
        // under the list when narrow (and only while the list has the keys).
        let (list, detail) = if body.width >= 100 {
            let [l, d] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(body);
            (l, Some(d))
        } else if self.findings_focused && body.height >= 6 {
            let [l, d] =
                Layout::vertical([Constraint::Percentage(45), Constraint::Fill(1)]).areas(body);
            (l, Some(d))
        } else {
            (body, None)
        };
        let width = list.width as usize;
        let items: Vec<ListItem> = self
            .entries
            .iter()
            .map(|e| match e {
                // The count first: a long message is cut at the right edge.
                Entry::Header { title, count } => ListItem::new(Line::from(vec![Span::styled(
                    fit(&format!("({count}) {}", crate::text::line(title)), width),
                    theme.title(true),
                )])),
                Entry::Finding(i, nested) => {
                    let fd = &view.findings[*i].finding;
                    let indent = if *nested { "  " } else { "" };
                    let text = crate::text::line(&list_text(fd, self.grouping)).into_owned();
                    ListItem::new(Line::from(vec![
                        Span::raw(indent),
                        Span::styled(format!("{:<5} ", short(fd.level)), theme.level(fd.level)),
                        Span::raw(fit(&text, width.saturating_sub(6 + indent.len()))),
                    ]))
                }
            })
            .collect();
        let selected = self
            .entries
            .iter()
            .position(|e| matches!(e, Entry::Finding(i, _) if *i == self.finding));
        let list_widget =
            List::new(items).highlight_style(theme.selection(self.findings_focused && cx.focused));
        self.findings_list.select(selected);
        f.render_stateful_widget(list_widget, list, &mut self.findings_list);
        if let (Some(d), Some(lf)) = (detail, view.findings.get(self.finding)) {
            let lines = detail_lines(lf, theme);
            f.render_widget(
                Paragraph::new(lines)
                    .block(
                        ratatui::widgets::Block::new()
                            .borders(ratatui::widgets::Borders::LEFT)
                            .border_style(theme.border(false)),
                    )
                    .wrap(Wrap { trim: false }),
                d,
            );
        }
    }
}

/// Whether row `r` holds `needle` on either side.
fn row_matches(model: &DiffModel, r: usize, needle: &str) -> bool {
    model.row(r).is_some_and(|row| {
        [(Column::Left, row.left), (Column::Right, row.right)]
            .into_iter()
            .any(|(side, line)| {
                line.and_then(|l| model.line(side, l))
                    .is_some_and(|t| contains_ignoring_case(t, needle))
            })
    })
}

/// The rows of `model` where `needle` occurs on either side.
fn search_rows(model: &DiffModel, needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    (0..model.rows())
        .filter(|&r| row_matches(model, r, needle))
        .collect()
}

/// The next row after `from` (or before, backwards) holding `needle`,
/// wrapping around.
fn find_row(model: &DiffModel, needle: &str, from: usize, forward: bool) -> Option<usize> {
    let n = model.rows();
    if n == 0 || needle.is_empty() {
        return None;
    }
    (1..=n)
        .map(|k| {
            if forward {
                (from + k) % n
            } else {
                (from + n - k % n) % n
            }
        })
        .find(|&r| row_matches(model, r, needle))
}

/// Whether a finding contains `needle` (lower case) anywhere a reader sees.
fn finding_matches(f: &Finding, needle: &str) -> bool {
    [
        Some(&*f.message),
        Some(f.id),
        f.operation.as_deref(),
        f.path.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(|s| s.to_lowercase().contains(needle))
}

/// The operation a finding concerns, as a group title.
fn operation_of(f: &Finding) -> String {
    match (&f.operation, &f.path) {
        (Some(m), Some(p)) => format!("{m} {p}"),
        (None, Some(p)) => p.to_string(),
        _ => "the document as a whole".into(),
    }
}

/// Groups `shown` by operation, groups in the order their first member
/// comes (most serious first).
fn operation_groups(findings: &[LocatedFinding], shown: &[usize]) -> Vec<(String, Vec<usize>)> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for &i in shown {
        let key = operation_of(&findings[i].finding);
        match index.get(&key) {
            Some(&g) => groups[g].1.push(i),
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![i]));
            }
        }
    }
    groups
}

/// A finding's line in the list.
fn list_text(fd: &Finding, grouping: Grouping) -> String {
    // Messages about a whole operation already name it, and a group
    // header names it once for all its members.
    let place = match (&fd.operation, &fd.path) {
        _ if grouping == Grouping::Operation => String::new(),
        (_, Some(p)) if fd.message.contains(&**p) => String::new(),
        (Some(m), Some(p)) => format!("{m} {p} · "),
        (None, Some(p)) => format!("{p} · "),
        _ => String::new(),
    };
    format!("{place}{}  [{}]", fd.message, fd.id)
}

/// A finding as plain text, for the clipboard.
fn finding_text(f: &Finding) -> String {
    let mut out = format!("{} {}\n", short(f.level), f.id);
    if f.operation.is_some() || f.path.is_some() {
        out += &format!("{}\n", operation_of(f));
    }
    out += &format!("{}\n", f.message);
    if let Some(p) = &f.base_pointer {
        out += &format!("older: {p}\n");
    }
    if let Some(p) = &f.revision_pointer {
        out += &format!("newer: {p}\n");
    }
    out
}

/// The selected finding in full, for the detail panel.
fn detail_lines<'a>(lf: &LocatedFinding, theme: &Theme) -> Vec<Line<'a>> {
    let f = &lf.finding;
    let clean = |s: &str| crate::text::line(s).into_owned();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{} ", short(f.level)), theme.level(f.level)),
        Span::styled(f.id.to_string(), theme.title(true)),
    ])];
    if f.operation.is_some() || f.path.is_some() {
        lines.push(Line::from(Span::styled(
            clean(&operation_of(f)),
            theme.key_hint_key(),
        )));
    }
    lines.push(Line::from(clean(&f.message)));
    let at = |line: Option<usize>| {
        line.map(|l| format!(" (line {})", l + 1))
            .unwrap_or_default()
    };
    let located = lf.lines.unwrap_or_default();
    if let Some(p) = &f.base_pointer {
        lines.push(Line::from(vec![
            Span::styled("older ", theme.dim()),
            Span::raw(format!("{}{}", clean(p), at(located.base))),
        ]));
    }
    if let Some(p) = &f.revision_pointer {
        lines.push(Line::from(vec![
            Span::styled("newer ", theme.dim()),
            Span::raw(format!("{}{}", clean(p), at(located.rev))),
        ]));
    }
    lines
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
        cursor_mark: theme.cursor_mark(),
        search_match: theme.search_match(),
        header: theme.title(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::Kind;

    /// A value added to a schema two operations share is one root cause
    /// listing both, worded for the component.
    #[test]
    fn a_shared_schema_change_is_one_root_cause_for_every_operation_it_reaches() {
        let spec = |values: &str| {
            format!(
                r##"{{"openapi":"3.0.3","info":{{"title":"t","version":"1"}},
                "paths":{{
                  "/a":{{"get":{{"responses":{{"200":{{"description":"ok","content":{{"application/json":{{"schema":{{"$ref":"#/components/schemas/S"}}}}}}}}}}}}}},
                  "/b":{{"get":{{"responses":{{"200":{{"description":"ok","content":{{"application/json":{{"schema":{{"$ref":"#/components/schemas/S"}}}}}}}}}}}}}}}},
                "components":{{"schemas":{{"S":{{"type":"object","properties":{{"status":{{"type":"string","enum":[{values}]}}}}}}}}}}}}"##
            )
        };
        let c = crate::diff::compare_raw(
            Kind::OpenApi,
            spec(r#""a""#).as_bytes(),
            spec(r#""a","b""#).as_bytes(),
            None,
            &crate::spec::Limits::default(),
        )
        .expect("both sides parse");
        assert_eq!(c.findings.len(), 2, "{:#?}", c.findings);
        let located: Vec<LocatedFinding> = c
            .findings
            .into_iter()
            .map(|finding| LocatedFinding {
                finding,
                lines: None,
            })
            .collect();
        let groups = root_cause_groups(&located, &[0, 1]);
        assert_eq!(groups.len(), 1, "{groups:#?}");
        assert_eq!(groups[0].1.len(), 2);
        assert!(groups[0].0.contains("`S`"), "{}", groups[0].0);
        // A filtered list groups only what it shows.
        let one = root_cause_groups(&located, &[1]);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].1, vec![1]);
    }
}
