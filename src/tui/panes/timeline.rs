//! Pane 2: the versions of the selected watch, newest first, with their
//! finding counts, the failed polls between them, and how long the latest
//! has been unchanged. Two versions can be marked and compared.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::{DrawCx, Msg, PaneId, block, matches};
use crate::diff::Level;
use crate::report::human_size;
use crate::tui::data::{PairRequest, Timeline, TimelineRow, counts};
use crate::tui::keymap::Action;
use crate::tui::util::{ago, date_time, fit, list_move};

#[derive(Default)]
pub struct TimelinePane {
    pub watch_id: Option<i64>,
    watch_name: String,
    last_checked: Option<i64>,
    rows: Vec<TimelineRow>,
    visible: Vec<usize>,
    selected: usize,
    /// Marked version numbers, at most two, in the order marked.
    pub marks: Vec<i64>,
    pub filter: String,
    pub loading: bool,
    pub error: Option<String>,
    table: TableState,
}

impl TimelinePane {
    /// A new watch is selected: forget the old one's rows and marks.
    pub fn select_watch(&mut self, id: Option<i64>, name: &str, last_checked: Option<i64>) {
        if self.watch_id != id {
            self.rows.clear();
            self.visible.clear();
            self.selected = 0;
            self.marks.clear();
            self.filter.clear();
        }
        self.watch_id = id;
        self.watch_name = name.to_string();
        self.last_checked = last_checked;
        self.loading = id.is_some();
        self.error = None;
    }

    /// A timeline arrived; the selection stays on the same version when it
    /// still exists.
    pub fn set_timeline(&mut self, t: Timeline) {
        if Some(t.watch_id) != self.watch_id {
            return;
        }
        let keep = self.selected_seq();
        self.rows = t.rows;
        self.loading = false;
        self.refilter();
        if let Some(seq) = keep
            && let Some(i) = self
                .visible
                .iter()
                .position(|&i| matches!(&self.rows[i], TimelineRow::Version(v) if v.seq == seq))
        {
            self.selected = i;
        }
    }

    pub fn set_last_checked(&mut self, t: Option<i64>) {
        self.last_checked = t;
    }

    fn refilter(&mut self) {
        let filter = self.filter.clone();
        self.visible = (0..self.rows.len())
            .filter(|&i| match &self.rows[i] {
                TimelineRow::Version(v) => matches(
                    &filter,
                    &[
                        &format!("#{}", v.seq),
                        &date_time(v.fetched_at),
                        v.title.as_deref().unwrap_or(""),
                    ],
                ),
                TimelineRow::Failure(r) => matches(
                    &filter,
                    &[
                        "failed",
                        &date_time(r.started_at),
                        r.error.as_deref().unwrap_or(""),
                    ],
                ),
            })
            .collect();
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.refilter();
    }

    /// The version numbers, newest first (for the pair opened by default).
    pub fn versions(&self) -> impl Iterator<Item = i64> + '_ {
        self.rows.iter().filter_map(|r| match r {
            TimelineRow::Version(v) => Some(v.seq),
            TimelineRow::Failure(_) => None,
        })
    }

    pub fn selected_seq(&self) -> Option<i64> {
        match self.visible.get(self.selected).map(|&i| &self.rows[i]) {
            Some(TimelineRow::Version(v)) => Some(v.seq),
            _ => None,
        }
    }

    /// The version before `seq` that the timeline holds.
    fn previous(&self, seq: i64) -> Option<i64> {
        self.versions().filter(|s| *s < seq).max()
    }

    /// The pair that opening version `seq` shows: its predecessor → it.
    pub fn pair_for(&self, seq: i64, published: bool) -> Option<PairRequest> {
        Some(PairRequest {
            watch_id: self.watch_id?,
            base_seq: self.previous(seq).unwrap_or(seq),
            rev_seq: seq,
            published,
        })
    }

    pub fn handle(&mut self, action: Action, page: usize, published: bool) -> Option<Vec<Msg>> {
        let len = self.visible.len();
        let at = self.selected;
        if let Some(target) = list_move(action, at, len, page) {
            self.selected = target;
            return Some(Vec::new());
        }
        match action {
            Action::Open | Action::Right => {
                let Some(seq) = self.selected_seq() else {
                    return Some(vec![Msg::Status(
                        "a failed poll has no document to show".into(),
                        false,
                    )]);
                };
                let mut out: Vec<Msg> = self
                    .pair_for(seq, published)
                    .map(Msg::OpenPair)
                    .into_iter()
                    .collect();
                out.push(Msg::Focus(PaneId::Diff));
                Some(out)
            }
            Action::Left | Action::Back => Some(vec![Msg::Focus(PaneId::Watches)]),
            Action::Mark => {
                let Some(seq) = self.selected_seq() else {
                    return Some(Vec::new());
                };
                if let Some(i) = self.marks.iter().position(|m| *m == seq) {
                    self.marks.remove(i);
                } else {
                    if self.marks.len() == 2 {
                        self.marks.remove(0);
                    }
                    self.marks.push(seq);
                }
                let hint = match self.marks.len() {
                    2 => "two versions marked: `c` compares them",
                    1 => {
                        "one version marked: mark another, or `c` to compare with the selected one"
                    }
                    _ => "no version marked",
                };
                Some(vec![Msg::Status(hint.into(), false)])
            }
            Action::Compare => {
                let other = match (self.marks.as_slice(), self.selected_seq()) {
                    ([a, b], _) => Some((*a, *b)),
                    ([a], Some(s)) if *a != s => Some((*a, s)),
                    _ => None,
                };
                let Some((a, b)) = other else {
                    return Some(vec![Msg::Status(
                        "mark two versions with `m` to compare them".into(),
                        false,
                    )]);
                };
                let Some(watch_id) = self.watch_id else {
                    return Some(Vec::new());
                };
                Some(vec![
                    Msg::OpenPair(PairRequest {
                        watch_id,
                        base_seq: a.min(b),
                        rev_seq: a.max(b),
                        published,
                    }),
                    Msg::Focus(PaneId::Diff),
                ])
            }
            _ => None,
        }
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let mut extra = vec![Span::styled(self.watch_name.clone(), theme.dim())];
        if !self.filter.is_empty() {
            extra.push(Span::styled(format!(" /{}", self.filter), theme.input()));
        }
        if !self.marks.is_empty() {
            let marks: Vec<String> = self.marks.iter().map(|m| format!("#{m}")).collect();
            extra.push(Span::styled(
                format!(" marked {}", marks.join(" ")),
                theme.marked(),
            ));
        }
        let block = block(PaneId::Timeline, Line::from(extra), cx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(e) = &self.error {
            f.render_widget(
                Paragraph::new(format!("cannot read the timeline: {e}"))
                    .style(theme.level(Level::Error)),
                inner,
            );
            return;
        }
        if self.watch_id.is_none() {
            f.render_widget(
                Paragraph::new("Select a watch to see its versions.").style(theme.dim()),
                inner,
            );
            return;
        }
        if self.rows.is_empty() {
            let text = if self.loading {
                "Loading…"
            } else {
                "No versions yet: the first poll has not succeeded. `r` polls now."
            };
            f.render_widget(Paragraph::new(text).style(theme.dim()), inner);
            return;
        }
        // "Unchanged since" for the newest version, when it is on top.
        let [info, list] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
        let newest = self.rows.iter().find_map(|r| match r {
            TimelineRow::Version(v) => Some(v),
            TimelineRow::Failure(_) => None,
        });
        if let Some(v) = newest {
            let mut text = format!("#{} unchanged since {}", v.seq, ago(cx.now, v.fetched_at));
            if let Some(t) = self.last_checked {
                text.push_str(&format!(" · checked {}", ago(cx.now, t)));
            }
            f.render_widget(
                Paragraph::new(fit(&text, info.width as usize)).style(theme.dim()),
                info,
            );
        }
        let wide = list.width >= 56;
        let rows: Vec<Row> = self
            .visible
            .iter()
            .map(|&i| match &self.rows[i] {
                TimelineRow::Version(v) => {
                    let marked = self.marks.contains(&v.seq);
                    let c = counts(v);
                    let count = |n: Option<i64>, level: Level, tag: &str| match n {
                        Some(n) if n > 0 => Span::styled(format!("{tag}{n} "), theme.level(level)),
                        Some(_) => Span::styled(format!("{tag}0 "), theme.dim()),
                        None => Span::styled(format!("{tag}– "), theme.dim()),
                    };
                    // An imported version waits for the worker to compare it.
                    let counts_line = if v.counts_pending {
                        Line::from(Span::styled("counts pending", theme.dim()))
                    } else {
                        Line::from(vec![
                            count(c.map(|c| c[0]), Level::Error, "E"),
                            count(c.map(|c| c[1]), Level::Warning, "W"),
                            count(c.map(|c| c[2]), Level::Info, "I"),
                        ])
                    };
                    let mut cells = vec![
                        Cell::from(if marked { "◆" } else { " " }).style(theme.marked()),
                        Cell::from(format!("#{}", v.seq)),
                        Cell::from(version_date(v)).style(theme.dim()),
                    ];
                    if wide {
                        cells.push(Cell::from(human_size(v.size)).style(theme.dim()));
                    }
                    cells.push(Cell::from(counts_line));
                    Row::new(cells)
                }
                TimelineRow::Failure(r) => {
                    let why = r
                        .error
                        .clone()
                        .or_else(|| r.error_class.clone())
                        .unwrap_or_else(|| "failed".into());
                    let style = theme.status(crate::tui::theme::WatchStatus::Failing);
                    let mut cells = vec![
                        Cell::from("✗").style(style),
                        Cell::from("poll").style(style),
                        Cell::from(date_time(r.started_at)).style(theme.dim()),
                    ];
                    if wide {
                        cells.push(Cell::from(""));
                    }
                    cells.push(Cell::from(why).style(style));
                    Row::new(cells)
                }
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(1),
            Constraint::Length(5),
            Constraint::Length(16),
        ];
        if wide {
            widths.push(Constraint::Length(9));
        }
        widths.push(Constraint::Fill(1));
        let table = Table::new(rows, widths)
            .row_highlight_style(theme.selection(cx.focused))
            .column_spacing(1);
        self.table.select(Some(self.selected));
        f.render_stateful_widget(table, list, &mut self.table);
    }
}

/// When a version is from: the publisher's date for a backfilled version
/// (the date in an imported file's name), else when it was fetched.
fn version_date(v: &crate::store::Version) -> String {
    match (&v.origin[..], &v.source_date) {
        ("import", Some(date)) => date.chars().take(16).collect(),
        _ => date_time(v.fetched_at),
    }
}
