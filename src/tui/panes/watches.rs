//! Pane 1: every watch with its kind, status, last and next poll, version
//! count and the latest version's error and warning counts.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{DrawCx, Msg, PaneId, block, matches};
use crate::tui::data::{WatchRow, counts};
use crate::tui::keymap::Action;
use crate::tui::theme::WatchStatus;
use crate::tui::util::{ago, fit, list_move, until};

/// How long a new version keeps a watch marked "changed".
const CHANGED_FOR_MS: i64 = 24 * 3600 * 1000;

/// The orders `s` cycles through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    /// Most serious status first.
    Status,
    /// Most recently changed first.
    Changed,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Name => Sort::Status,
            Sort::Status => Sort::Changed,
            Sort::Changed => Sort::Name,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Sort::Name => "by name",
            Sort::Status => "by status",
            Sort::Changed => "by last change",
        }
    }
}

#[derive(Default)]
pub struct WatchesPane {
    rows: Vec<WatchRow>,
    /// Indices into `rows`, filtered and sorted.
    visible: Vec<usize>,
    /// The watch selected, by id, so reloads and re-sorts keep it.
    selected_id: Option<i64>,
    pub filter: String,
    sort: Sort,
    pub loaded: bool,
    pub error: Option<String>,
    table: TableState,
    now: i64,
}

/// The status shown for a watch.
pub fn status_of(row: &WatchRow, now: i64) -> WatchStatus {
    let w = &row.watch;
    if w.paused {
        WatchStatus::Paused
    } else if w.consecutive_failures > 0 {
        WatchStatus::Failing
    } else if row.latest.is_none() {
        WatchStatus::Pending
    } else if row
        .latest
        .as_ref()
        .and_then(counts)
        .is_some_and(|c| c[0] > 0)
    {
        WatchStatus::Breaking
    } else if row.latest.as_ref().is_some_and(|v| {
        // A new version that no check found anything in is not flagged.
        v.seq > 1
            && now - v.fetched_at < CHANGED_FOR_MS
            && counts(v).is_none_or(|c| c.iter().any(|&n| n > 0))
    }) {
        WatchStatus::Changed
    } else {
        WatchStatus::Ok
    }
}

fn status_word(s: WatchStatus) -> &'static str {
    match s {
        WatchStatus::Ok => "ok",
        WatchStatus::Changed => "changed",
        WatchStatus::Breaking => "breaking",
        WatchStatus::Failing => "failing",
        WatchStatus::Paused => "paused",
        WatchStatus::Pending => "pending",
    }
}

fn status_icon(s: WatchStatus) -> &'static str {
    match s {
        WatchStatus::Ok => "●",
        WatchStatus::Changed => "◆",
        WatchStatus::Breaking => "▲",
        WatchStatus::Failing => "✗",
        WatchStatus::Paused => "‖",
        WatchStatus::Pending => "○",
    }
}

fn severity(s: WatchStatus) -> u8 {
    match s {
        WatchStatus::Failing => 0,
        WatchStatus::Breaking => 1,
        WatchStatus::Changed => 2,
        WatchStatus::Pending => 3,
        WatchStatus::Ok => 4,
        WatchStatus::Paused => 5,
    }
}

impl WatchesPane {
    pub fn set_rows(&mut self, rows: Vec<WatchRow>, now: i64) -> Vec<Msg> {
        let before = self.selected_id;
        self.rows = rows;
        self.loaded = true;
        self.error = None;
        self.now = now;
        self.refilter();
        if self.selected_id != before || !self.rows.is_empty() && before.is_none() {
            vec![Msg::WatchSelected(self.selected_id)]
        } else {
            Vec::new()
        }
    }

    pub fn selected(&self) -> Option<&WatchRow> {
        let id = self.selected_id?;
        self.rows.iter().find(|r| r.watch.id == id)
    }

    pub fn rows(&self) -> &[WatchRow] {
        &self.rows
    }

    fn selected_index(&self) -> usize {
        self.visible
            .iter()
            .position(|&i| Some(self.rows[i].watch.id) == self.selected_id)
            .unwrap_or(0)
    }

    /// Recomputes the visible rows after a filter, sort or reload; keeps
    /// the selected watch if it is still visible, else selects the first.
    pub fn refilter(&mut self) {
        let now = self.now;
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| {
                let w = &self.rows[i].watch;
                matches(
                    &self.filter,
                    &[&w.spec.name, &w.spec.location, w.spec.kind.as_str()],
                )
            })
            .collect();
        let rows = &self.rows;
        match self.sort {
            Sort::Name => {
                visible.sort_by(|&a, &b| rows[a].watch.spec.name.cmp(&rows[b].watch.spec.name))
            }
            Sort::Status => visible.sort_by_key(|&i| {
                (
                    severity(status_of(&rows[i], now)),
                    rows[i].watch.spec.name.clone(),
                )
            }),
            Sort::Changed => visible.sort_by_key(|&i| {
                std::cmp::Reverse(rows[i].latest.as_ref().map_or(0, |v| v.fetched_at))
            }),
        }
        self.visible = visible;
        if !self
            .visible
            .iter()
            .any(|&i| Some(self.rows[i].watch.id) == self.selected_id)
        {
            self.selected_id = self.visible.first().map(|&i| self.rows[i].watch.id);
        }
    }

    fn select_index(&mut self, index: usize) -> Vec<Msg> {
        let before = self.selected_id;
        self.selected_id = self.visible.get(index).map(|&i| self.rows[i].watch.id);
        if self.selected_id != before {
            vec![Msg::WatchSelected(self.selected_id)]
        } else {
            Vec::new()
        }
    }

    /// Applies the filter typed so far; the selection follows.
    pub fn set_filter(&mut self, filter: &str) -> Vec<Msg> {
        let before = self.selected_id;
        self.filter = filter.to_string();
        self.refilter();
        if self.selected_id != before {
            vec![Msg::WatchSelected(self.selected_id)]
        } else {
            Vec::new()
        }
    }

    /// Handles an action; `None` when it is not this pane's.
    pub fn handle(&mut self, action: Action, page: usize) -> Option<Vec<Msg>> {
        let len = self.visible.len();
        let at = self.selected_index();
        if let Some(target) = list_move(action, at, len, page) {
            return Some(self.select_index(target));
        }
        match action {
            Action::Open | Action::Right => Some(vec![Msg::Focus(PaneId::Timeline)]),
            Action::Sort => {
                self.sort = self.sort.next();
                self.refilter();
                Some(vec![Msg::Status(
                    format!("watches sorted {}", self.sort.label()),
                    false,
                )])
            }
            _ => None,
        }
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        self.now = cx.now;
        // A filter says how many of the watches it shows.
        let count = if self.visible.len() == self.rows.len() {
            format!("({}) ", self.rows.len())
        } else {
            format!("({} of {}) ", self.visible.len(), self.rows.len())
        };
        let mut extra = vec![Span::styled(count, cx.theme.dim())];
        if !self.filter.is_empty() {
            extra.push(Span::styled(format!("/{} ", self.filter), cx.theme.input()));
        }
        if self.sort != Sort::Name {
            extra.push(Span::styled(self.sort.label(), cx.theme.dim()));
        }
        let block = block(PaneId::Watches, Line::from(extra), cx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(e) = &self.error {
            f.render_widget(
                Paragraph::new(format!("cannot read the watches: {e}"))
                    .style(cx.theme.level(crate::diff::Level::Error)),
                inner,
            );
            return;
        }
        if self.rows.is_empty() {
            let text = if self.loaded {
                "No watches yet. Press `a` to add one, or run `apiradar add NAME URL`."
            } else {
                "Loading…"
            };
            f.render_widget(
                Paragraph::new(text)
                    .style(cx.theme.dim())
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        }
        let wide = inner.width >= 70;
        // Narrow (the wide layout at 120 columns): the status as its icon
        // alone, so the name gets the room.
        let narrow = inner.width < 60;
        let theme = cx.theme;
        let rows: Vec<Row> = self
            .visible
            .iter()
            .map(|&i| {
                let r = &self.rows[i];
                let w = &r.watch;
                let status = status_of(r, cx.now);
                let c = r.latest.as_ref().and_then(counts);
                let count_cell = |n: Option<i64>, level| match n {
                    Some(n) if n > 0 => Cell::from(n.to_string()).style(theme.level(level)),
                    Some(_) => Cell::from("0").style(theme.dim()),
                    None => Cell::from("–").style(theme.dim()),
                };
                let last = w
                    .last_polled_at
                    .map(|t| ago(cx.now, t))
                    .unwrap_or_else(|| "never".into());
                let next = if w.paused {
                    "paused".to_string()
                } else {
                    w.next_due_at
                        .map(|t| until(cx.now, t))
                        .unwrap_or_else(|| "due".into())
                };
                let mut cells = vec![
                    Cell::from(if narrow {
                        status_icon(status).to_string()
                    } else {
                        format!("{} {}", status_icon(status), status_word(status))
                    })
                    .style(theme.status(status)),
                    Cell::from(crate::text::line(&w.spec.name).into_owned()),
                    Cell::from(w.spec.kind.as_str()).style(theme.dim()),
                    Cell::from(w.version_count.to_string()),
                    count_cell(c.map(|c| c[0]), crate::diff::Level::Error),
                    count_cell(c.map(|c| c[1]), crate::diff::Level::Warning),
                ];
                if wide {
                    cells.push(Cell::from(last).style(theme.dim()));
                    cells.push(Cell::from(next).style(theme.dim()));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(if narrow { 1 } else { 10 }),
            Constraint::Fill(1),
            Constraint::Length(7),
            Constraint::Length(4),
            Constraint::Length(3),
            Constraint::Length(3),
        ];
        let mut header = vec![
            if narrow { "" } else { "status" },
            "name",
            "kind",
            "ver",
            "E",
            "W",
        ];
        if wide {
            widths.push(Constraint::Length(9));
            widths.push(Constraint::Length(8));
            header.push("polled");
            header.push("next");
        }
        let table = Table::new(rows, widths)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(theme.selection(cx.focused))
            .column_spacing(1);
        self.table.select(Some(self.selected_index()));
        f.render_stateful_widget(table, inner, &mut self.table);
        // The failing watch's reason, where it is selected.
        if let Some(row) = self.selected()
            && let Some(err) = &row.watch.last_error
            && row.watch.consecutive_failures > 0
            && inner.height > self.visible.len() as u16 + 2
        {
            let line = Rect::new(inner.x, inner.bottom() - 1, inner.width, 1);
            f.render_widget(
                Paragraph::new(fit(&format!("✗ {err}"), inner.width as usize))
                    .style(theme.status(WatchStatus::Failing)),
                line,
            );
        }
    }

    /// Names of the visible watches, in order, for `n`/`N` and tests.
    pub fn visible_names(&self) -> Vec<String> {
        self.visible
            .iter()
            .map(|&i| self.rows[i].watch.spec.name.clone())
            .collect()
    }
}
