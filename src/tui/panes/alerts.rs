//! The alert history: every alert of every channel, newest first, with how
//! its delivery went, and the selected alert in full below the list.
//!
//! It is not one of the five panes: `A` (or `:alerts`) opens it over the
//! whole body, and Esc or `q` closes it, as with the help. Its rows come from
//! the loader ([`Request::Alerts`](crate::tui::data::Request::Alerts)); the
//! app reloads them when the view opens, when polls and health checks finish
//! (they are what raise alerts), and every couple of seconds while it is
//! open, since the sender marks rows sent in the background.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};
use serde_json::Value;

use super::{DrawCx, Msg, matches};
use crate::diff::Level;
use crate::store::alerts::{AlertEvent, Outbox, OutboxStatus};
use crate::tui::data::{ALERT_HISTORY, AlertHistory};
use crate::tui::keymap::Action;
use crate::tui::theme::{Theme, WatchStatus};
use crate::tui::util::{ago, date_time, fit, list_move, until};

/// Which deliveries the list shows; `s` cycles through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Pending,
    Failed,
    Sent,
}

impl StatusFilter {
    pub fn next(self) -> StatusFilter {
        match self {
            StatusFilter::All => StatusFilter::Pending,
            StatusFilter::Pending => StatusFilter::Failed,
            StatusFilter::Failed => StatusFilter::Sent,
            StatusFilter::Sent => StatusFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            StatusFilter::Pending => "pending",
            StatusFilter::Failed => "failed",
            StatusFilter::Sent => "sent",
        }
    }

    /// The filter named `all`, `pending`, `failed` or `sent`.
    pub fn parse(s: &str) -> Option<StatusFilter> {
        [
            StatusFilter::All,
            StatusFilter::Pending,
            StatusFilter::Failed,
            StatusFilter::Sent,
        ]
        .into_iter()
        .find(|f| f.label() == s)
    }

    fn admits(self, status: OutboxStatus) -> bool {
        match self {
            StatusFilter::All => true,
            StatusFilter::Pending => status == OutboxStatus::Pending,
            StatusFilter::Failed => status == OutboxStatus::Failed,
            StatusFilter::Sent => status == OutboxStatus::Sent,
        }
    }
}

#[derive(Default)]
pub struct AlertsPane {
    /// Whether the view is showing.
    pub open: bool,
    /// `None` until the first answer arrives.
    history: Option<AlertHistory>,
    /// A load is on its way.
    pub loading: bool,
    /// Something may have changed while a load was on its way: load again
    /// once it is answered, rather than queueing a request per event.
    pub stale: bool,
    /// When the last load was asked for (the app's clock, ms).
    pub asked_at: i64,
    pub error: Option<String>,
    /// Indices into the rows, after the text and status filters.
    visible: Vec<usize>,
    /// The alert selected, by id, so reloads keep it.
    selected_id: Option<i64>,
    pub filter: String,
    pub status: StatusFilter,
    /// The details take most of the view (Enter toggles).
    pub expanded: bool,
    table: TableState,
    /// Rows of the list as last drawn, for the page keys.
    page: usize,
    /// How far the expanded details are scrolled, and how far they can be
    /// (as last drawn).
    detail_scroll: u16,
    detail_max: u16,
    detail_height: u16,
    /// The keys that unfold the details and scroll them, as the separator
    /// names them when there is more to see (the app fills these in from
    /// the keymap).
    pub open_keys: String,
    pub scroll_keys: String,
}

/// The event's icon, in the watch list's vocabulary.
fn event_icon(event: AlertEvent) -> &'static str {
    match event {
        AlertEvent::Breaking => "▲",
        AlertEvent::Down => "✗",
        AlertEvent::Recovered => "●",
        AlertEvent::Change => "◆",
        AlertEvent::Paused => "‖",
        AlertEvent::Test => "○",
        AlertEvent::Caching => "·",
        AlertEvent::Drift => "≠",
    }
}

/// Down and breaking read as errors, recovered as good news, the rest plain.
pub fn event_style(event: AlertEvent, theme: &Theme) -> Style {
    match event {
        AlertEvent::Breaking | AlertEvent::Down => theme.level(Level::Error),
        AlertEvent::Recovered => theme.status(WatchStatus::Ok),
        _ => theme.base(),
    }
}

/// The delivery state's style, as the health pane shows it.
fn status_style(status: OutboxStatus, theme: &Theme) -> Style {
    match status {
        OutboxStatus::Sent => theme.dim(),
        OutboxStatus::Failed => theme.input_error(),
        OutboxStatus::Pending => theme.status(WatchStatus::Changed),
    }
}

fn tries(n: u32) -> String {
    match n {
        0 => "not tried yet".into(),
        1 => "1 try".into(),
        n => format!("{n} tries"),
    }
}

/// The delivery state for the list: `pending 2× in 40s`, `sent 3m ago`,
/// `failed 8×`; `full` spells it out for wide terminals.
fn status_text(o: &Outbox, now: i64, full: bool) -> String {
    match o.status {
        OutboxStatus::Pending => {
            let next = until(now, o.next_attempt_at);
            match (full, o.attempts) {
                (true, _) => format!(
                    "pending · {} · {}",
                    tries(o.attempts),
                    if next == "due" {
                        "due now".to_string()
                    } else {
                        format!("next try {next}")
                    }
                ),
                (false, 0) if next == "due" => "pending".into(),
                (false, 0) => format!("pending {next}"),
                (false, n) if next == "due" => format!("pending {n}×, due"),
                (false, n) => format!("pending {n}× {next}"),
            }
        }
        OutboxStatus::Sent => match o.sent_at {
            Some(t) => format!("sent {}", ago(now, t)),
            None => "sent".into(),
        },
        OutboxStatus::Failed if full => format!("failed after {}", tries(o.attempts)),
        OutboxStatus::Failed => format!("failed {}×", o.attempts),
    }
}

fn payload_str<'a>(o: &'a Outbox, key: &str) -> Option<&'a str> {
    o.payload.get(key).and_then(Value::as_str)
}

/// How many rows `lines` take wrapped at `width`, roughly (word wrapping
/// can take a row more; a line that wraps gets one spare).
fn wrapped_height(lines: &[Line], width: u16) -> usize {
    let w = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| {
            let n = l.width();
            if n <= w { 1 } else { n.div_ceil(w) + 1 }
        })
        .sum()
}

impl AlertsPane {
    /// The loaded rows, newest first (empty until loaded).
    pub fn rows(&self) -> &[Outbox] {
        self.history.as_ref().map_or(&[], |h| h.rows.as_slice())
    }

    pub fn loaded(&self) -> bool {
        self.history.is_some()
    }

    /// A history arrived. A selection on the newest alert follows new
    /// ones as they come (unless its details are open, being read); any
    /// other stays on the same alert while it is listed.
    pub fn set_history(&mut self, history: AlertHistory) {
        let follow = self.selected_index() == 0 && !self.expanded;
        self.history = Some(history);
        self.error = None;
        self.refilter();
        if follow {
            let rows = self.rows();
            let newest = self.visible.first().map(|&i| rows[i].id);
            if newest != self.selected_id {
                self.detail_scroll = 0;
            }
            self.selected_id = newest;
        }
    }

    /// Applies the text filter typed so far.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_string();
        self.refilter();
    }

    pub fn set_status(&mut self, status: StatusFilter) {
        self.status = status;
        self.refilter();
    }

    fn refilter(&mut self) {
        let rows = self.rows();
        let visible: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let o = &rows[i];
                self.status.admits(o.status)
                    && matches(
                        &self.filter,
                        &[
                            o.event.as_str(),
                            &o.watch,
                            &o.channel,
                            &o.title,
                            o.status.as_str(),
                            payload_str(o, "text").unwrap_or(""),
                            o.last_error.as_deref().unwrap_or(""),
                        ],
                    )
            })
            .collect();
        let keep = visible
            .iter()
            .any(|&i| Some(rows[i].id) == self.selected_id);
        if !keep {
            self.selected_id = visible.first().map(|&i| rows[i].id);
        }
        self.visible = visible;
    }

    fn selected_index(&self) -> usize {
        let rows = self.rows();
        self.visible
            .iter()
            .position(|&i| Some(rows[i].id) == self.selected_id)
            .unwrap_or(0)
    }

    /// The alert selected, if any is listed.
    pub fn selected(&self) -> Option<&Outbox> {
        let id = self.selected_id?;
        self.visible
            .iter()
            .map(|&i| &self.rows()[i])
            .find(|o| o.id == id)
    }

    /// The titles of the listed alerts, in order (for tests).
    pub fn visible_titles(&self) -> Vec<String> {
        let rows = self.rows();
        self.visible
            .iter()
            .map(|&i| rows[i].title.clone())
            .collect()
    }

    /// Rows to a page, as last drawn.
    pub fn page(&self) -> usize {
        self.page.max(1)
    }

    /// Handles an action; `None` when it is not the view's (the app then
    /// closes the view on Back, say).
    pub fn handle(&mut self, action: Action) -> Option<Vec<Msg>> {
        let action = match action {
            // The filter already narrows the rows; n/N walk them.
            Action::NextMatch => Action::Down,
            Action::PrevMatch => Action::Up,
            a => a,
        };
        // Expanded, half pages scroll the details; the rest still moves
        // the selection, so alerts can be read one after another.
        if self.expanded && matches!(action, Action::HalfPageDown | Action::HalfPageUp) {
            let step = (self.detail_height / 2).max(1);
            self.detail_scroll = if action == Action::HalfPageDown {
                self.detail_scroll.saturating_add(step).min(self.detail_max)
            } else {
                self.detail_scroll.saturating_sub(step)
            };
            return Some(Vec::new());
        }
        if let Some(target) = list_move(
            action,
            self.selected_index(),
            self.visible.len(),
            self.page(),
        ) {
            let rows = self.rows();
            let id = self.visible.get(target).map(|&i| rows[i].id);
            if id != self.selected_id {
                self.detail_scroll = 0;
            }
            self.selected_id = id;
            return Some(Vec::new());
        }
        match action {
            Action::Open => {
                if self.selected().is_some() {
                    self.expanded = !self.expanded;
                    self.detail_scroll = 0;
                }
                Some(Vec::new())
            }
            Action::StatusFilter => {
                self.set_status(self.status.next());
                let what = match self.status {
                    StatusFilter::All => "all alerts".to_string(),
                    s => format!("{} alerts only", s.label()),
                };
                Some(vec![Msg::Status(format!("alert history: {what}"), false)])
            }
            // Esc folds the details before it closes the view.
            Action::Back if self.expanded => {
                self.expanded = false;
                Some(Vec::new())
            }
            _ => None,
        }
    }

    fn title(&self, theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(" Alert history ", theme.title(true))];
        if let Some(h) = &self.history {
            let n = h.rows.len();
            spans.push(Span::styled(
                if h.truncated {
                    format!("latest {ALERT_HISTORY} ")
                } else {
                    format!("({n}) ")
                },
                theme.dim(),
            ));
            let count = |s: OutboxStatus| h.rows.iter().filter(|o| o.status == s).count();
            for (status, n) in [
                (OutboxStatus::Pending, count(OutboxStatus::Pending)),
                (OutboxStatus::Failed, count(OutboxStatus::Failed)),
            ] {
                if n > 0 {
                    spans.push(Span::styled(
                        format!("{n} {status} "),
                        status_style(status, theme),
                    ));
                }
            }
        }
        if !self.filter.is_empty() {
            spans.push(Span::styled(format!("/{} ", self.filter), theme.input()));
        }
        if self.status != StatusFilter::All {
            spans.push(Span::styled(
                format!("{} only ", self.status.label()),
                theme.dim(),
            ));
        }
        Line::from(spans)
    }

    /// What the view says when there is no row to show.
    fn empty_lines(&self, theme: &Theme) -> Option<Vec<Line<'static>>> {
        let prose = |t: String| Line::from(Span::styled(t, theme.dim()));
        let command = |t: &str| Line::from(Span::styled(format!("  {t}"), theme.base()));
        if let Some(e) = &self.error {
            return Some(vec![Line::from(Span::styled(
                format!("cannot read the alert history: {e}"),
                theme.level(Level::Error),
            ))]);
        }
        let Some(h) = &self.history else {
            return Some(vec![prose("Loading the alert history…".into())]);
        };
        let when = "Alerts show here when a watch changes or breaks, is paused after failed \
                    polls, and when an endpoint goes down or recovers.";
        if h.rows.is_empty() && h.channels.is_empty() {
            return Some(vec![
                prose("No alerts yet, and no channel to send them to. Add one:".into()),
                Line::default(),
                command("apiradar alert add NAME --webhook URL"),
                command("apiradar alert add NAME --slack '${SLACK_WEBHOOK_URL}'"),
                command("apiradar alert test NAME"),
                Line::default(),
                prose(when.into()),
            ]);
        }
        if h.rows.is_empty() {
            return Some(vec![
                prose(format!(
                    "No alerts yet. Channels: {}.",
                    h.channels.join(", ")
                )),
                Line::default(),
                prose(when.into()),
                prose("To check a channel now:".into()),
                command("apiradar alert test NAME"),
            ]);
        }
        if self.visible.is_empty() {
            let what = match self.status {
                StatusFilter::All => "alerts".to_string(),
                s => format!("{} alerts", s.label()),
            };
            let matching = if self.filter.is_empty() {
                String::new()
            } else {
                format!(" matching /{}", self.filter)
            };
            return Some(vec![prose(format!(
                "No {what}{matching} among the latest {}. Change the status or text filter \
                 to see the others.",
                h.rows.len()
            ))]);
        }
        None
    }

    /// The selected alert in full: what, where, when, how its delivery
    /// went, its text and the command to look into it; `expanded` adds the
    /// payload as sent.
    fn detail_lines(&self, o: &Outbox, now: i64, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = vec![Line::from(vec![
            Span::styled(
                format!("{} {}", event_icon(o.event), o.event),
                event_style(o.event, theme),
            ),
            Span::styled("  ", theme.base()),
            Span::styled(crate::text::one_line(&o.title), theme.base()),
        ])];
        let watch = if o.watch.is_empty() {
            "no watch".to_string()
        } else {
            crate::text::one_line(&o.watch)
        };
        lines.push(Line::from(Span::styled(
            format!(
                "{watch} → {} · raised {} UTC ({}) · #{}",
                crate::text::one_line(&o.channel),
                date_time(o.created_at),
                ago(now, o.created_at),
                o.id
            ),
            theme.dim(),
        )));
        let delivery = match (o.status, o.sent_at) {
            (OutboxStatus::Sent, Some(t)) => format!(
                "sent {} UTC ({}) after {}",
                date_time(t),
                ago(now, t),
                tries(o.attempts)
            ),
            _ => status_text(o, now, true),
        };
        lines.push(Line::from(Span::styled(
            delivery,
            status_style(o.status, theme),
        )));
        if let Some(e) = &o.last_error {
            lines.push(Line::from(Span::styled(
                format!("last error: {}", crate::text::one_line(e)),
                theme.input_error(),
            )));
        }
        // The command before the text: it is short, and the text (with
        // its findings) may not fit the folded details.
        if let Some(cmd) = payload_str(o, "command") {
            lines.push(Line::from(vec![
                Span::styled("command: ", theme.dim()),
                Span::styled(crate::text::one_line(cmd), theme.key_hint_key()),
            ]));
        }
        if let Some(text) = payload_str(o, "text") {
            lines.extend(
                text.lines()
                    .map(|l| Line::from(Span::styled(crate::text::one_line(l), theme.base()))),
            );
        }
        let attempts = self
            .history
            .as_ref()
            .and_then(|h| h.attempts.get(&o.id))
            .map_or(&[][..], Vec::as_slice);
        if self.expanded && !attempts.is_empty() {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled("delivery attempts", theme.dim())));
            for (n, a) in attempts.iter().enumerate() {
                let (what, style) = if a.ok {
                    ("sent".to_string(), status_style(OutboxStatus::Sent, theme))
                } else {
                    (
                        format!(
                            "failed: {}",
                            crate::text::one_line(a.error.as_deref().unwrap_or("?"))
                        ),
                        theme.input_error(),
                    )
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{:>3}. {} UTC  ", n + 1, date_time(a.at)),
                        theme.dim(),
                    ),
                    Span::styled(what, style),
                ]));
            }
        }
        if self.expanded {
            lines.push(Line::default());
            lines.push(Line::from(Span::styled("payload", theme.dim())));
            let pretty = serde_json::to_string_pretty(&o.payload).unwrap_or_default();
            lines.extend(
                pretty
                    .lines()
                    .map(|l| Line::from(Span::styled(crate::text::one_line(l), theme.dim()))),
            );
        }
        lines
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let Some(inner) = super::overlay_frame(f, area, theme, self.title(theme)) else {
            return;
        };
        if let Some(lines) = self.empty_lines(theme) {
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
            return;
        }

        // The list on top, the selected alert below it once there is room
        // for both: at most two fifths of the height for the details, more
        // when the list is short, most of it when expanded.
        let h = usize::from(inner.height);
        let list_wanted = self.visible.len() + 1;
        let detail = self
            .selected()
            .filter(|_| h >= 8)
            .map(|o| self.detail_lines(o, cx.now, theme));
        let list_h = match &detail {
            None => h,
            Some(lines) => {
                let detail_h = if self.expanded {
                    h - 1 - list_wanted.min((h / 4).max(4))
                } else {
                    let cap = (h * 2 / 5).max(3).max(h.saturating_sub(1 + list_wanted));
                    wrapped_height(lines, inner.width).min(cap)
                };
                list_wanted.min(h - 1 - detail_h)
            }
        };
        let list_area = Rect {
            height: list_h as u16,
            ..inner
        };
        self.draw_list(f, list_area, cx);
        if let Some(lines) = detail {
            let sep = Rect::new(inner.x, inner.y + list_h as u16, inner.width, 1);
            let area = Rect::new(
                inner.x,
                sep.y + 1,
                inner.width,
                inner.bottom().saturating_sub(sep.y + 1),
            );
            let overflow = wrapped_height(&lines, area.width).saturating_sub(area.height.into());
            self.detail_max = if self.expanded {
                u16::try_from(overflow).unwrap_or(u16::MAX)
            } else {
                0
            };
            self.detail_scroll = self.detail_scroll.min(self.detail_max);
            self.detail_height = area.height;
            let mut label = format!(
                "── {} of {} ",
                self.selected_index() + 1,
                self.visible.len()
            );
            if self.detail_max > 0 && !self.scroll_keys.is_empty() {
                label.push_str(&format!("· {} scroll ", self.scroll_keys));
            } else if !self.expanded && overflow > 0 && !self.open_keys.is_empty() {
                label.push_str(&format!("· {} more ", self.open_keys));
            }
            let rest = usize::from(inner.width).saturating_sub(label.chars().count());
            f.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(fit(&label, usize::from(inner.width)), theme.border(false)),
                    Span::styled("─".repeat(rest), theme.border(false)),
                ])),
                sep,
            );
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((self.detail_scroll, 0)),
                area,
            );
        }
    }

    /// The table of alerts. Columns give way as the width shrinks: the date
    /// goes first, then the watch (most titles start with it; those that do
    /// not get it put in front), then the channel; the title takes what is
    /// left and is cut with `…`.
    fn draw_list(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let w = usize::from(area.width);
        let show_date = w >= 130;
        let show_watch = w >= 96;
        let show_channel = w >= 70;
        // The status spelt out only when the title keeps room (the details
        // below spell it out anyway).
        let full_status = w >= 150;
        let rows = self.rows();
        let width_of = |f: &dyn Fn(&Outbox) -> usize, lo: usize, hi: usize| {
            self.visible
                .iter()
                .map(|&i| f(&rows[i]))
                .max()
                .unwrap_or(0)
                .clamp(lo, hi)
        };
        let statuses: Vec<String> = self
            .visible
            .iter()
            .map(|&i| status_text(&rows[i], cx.now, full_status))
            .collect();
        let watch_w = width_of(&|o| o.watch.chars().count(), 5, 16);
        let channel_w = width_of(&|o| o.channel.chars().count(), 7, 14);
        let status_w = statuses
            .iter()
            .map(|s| s.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, if full_status { 36 } else { 18 });

        let mut header = vec!["when"];
        let mut widths = vec![8];
        if show_date {
            header.insert(0, "date (UTC)");
            widths.insert(0, 16);
        }
        header.push("event");
        widths.push(11);
        if show_watch {
            header.push("watch");
            widths.push(watch_w);
        }
        if show_channel {
            header.push("channel");
            widths.push(channel_w);
        }
        header.push("status");
        widths.push(status_w);
        let used = widths.iter().sum::<usize>() + widths.len();
        let title_w = w.saturating_sub(used);
        header.push("title");

        let table_rows: Vec<Row> = self
            .visible
            .iter()
            .zip(&statuses)
            .map(|(&i, status)| {
                let o = &rows[i];
                let mut cells = Vec::with_capacity(header.len());
                if show_date {
                    cells.push(Cell::from(date_time(o.created_at)).style(theme.dim()));
                }
                cells.push(Cell::from(ago(cx.now, o.created_at)).style(theme.dim()));
                cells.push(
                    Cell::from(format!("{} {}", event_icon(o.event), o.event))
                        .style(event_style(o.event, theme)),
                );
                if show_watch {
                    cells.push(Cell::from(fit(&crate::text::one_line(&o.watch), watch_w)));
                }
                if show_channel {
                    cells.push(
                        Cell::from(fit(&crate::text::one_line(&o.channel), channel_w))
                            .style(theme.dim()),
                    );
                }
                cells.push(Cell::from(fit(status, status_w)).style(status_style(o.status, theme)));
                let title = if show_watch || o.watch.is_empty() || o.title.starts_with(&o.watch) {
                    crate::text::one_line(&o.title)
                } else {
                    crate::text::one_line(&format!("{}: {}", o.watch, o.title))
                };
                cells.push(Cell::from(fit(&title, title_w)));
                Row::new(cells)
            })
            .collect();
        let mut constraints: Vec<Constraint> = widths
            .iter()
            .map(|&n| Constraint::Length(n as u16))
            .collect();
        constraints.push(Constraint::Fill(1));
        let table = Table::new(table_rows, constraints)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(theme.selection(true))
            .column_spacing(1);
        self.page = usize::from(area.height.saturating_sub(1));
        let selected = self.selected_index();
        self.table.select(Some(selected));
        f.render_stateful_widget(table, area, &mut self.table);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::panes::DrawCx;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    const NOW: i64 = 1_900_000_000_000;

    fn outbox(id: i64, event: &str, status: &str, attempts: u32) -> Outbox {
        Outbox {
            id,
            channel: "team".into(),
            created_at: NOW - id * 60_000,
            event: AlertEvent::parse(event).unwrap(),
            watch: "petstore".into(),
            title: format!("petstore: {event} number {id}"),
            payload: serde_json::json!({
                "text": format!("line one of {id}\nline two"),
                "command": "apiradar diff petstore@3 petstore@4",
            }),
            status: OutboxStatus::parse(status).unwrap(),
            attempts,
            next_attempt_at: NOW + 40_000,
            last_error: (status != "sent").then(|| "HTTP 500\r\nfrom the hook".to_string()),
            sent_at: (status == "sent").then_some(NOW - 5_000),
        }
    }

    fn pane() -> AlertsPane {
        let mut p = AlertsPane {
            open: true,
            ..AlertsPane::default()
        };
        p.set_history(AlertHistory {
            rows: vec![
                outbox(1, "down", "pending", 2),
                outbox(2, "recovered", "sent", 1),
                outbox(3, "breaking", "failed", 8),
                outbox(4, "test", "pending", 0),
            ],
            channels: vec!["team".into()],
            truncated: false,
            attempts: [(
                1,
                vec![
                    crate::store::alerts::Attempt {
                        at: NOW - 50_000,
                        ok: false,
                        error: Some("connection refused".into()),
                    },
                    crate::store::alerts::Attempt {
                        at: NOW - 40_000,
                        ok: false,
                        error: Some("HTTP 500\r\nfrom the hook".into()),
                    },
                ],
            )]
            .into_iter()
            .collect(),
        });
        p
    }

    fn draw(p: &mut AlertsPane, width: u16, height: u16) -> String {
        let theme = Theme::default();
        let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a terminal");
        terminal
            .draw(|f| {
                let cx = DrawCx {
                    theme: &theme,
                    now: NOW,
                    focused: true,
                };
                p.draw(f, f.area(), &cx);
            })
            .expect("draw");
        let buffer = terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    #[test]
    fn status_reads_as_the_delivery_went() {
        let p = pending_row();
        assert_eq!(status_text(&p, NOW, false), "pending 2× in 40s");
        assert_eq!(
            status_text(&p, NOW, true),
            "pending · 2 tries · next try in 40s"
        );
        let due = Outbox {
            attempts: 0,
            next_attempt_at: NOW - 1,
            ..pending_row()
        };
        assert_eq!(status_text(&due, NOW, false), "pending");
        let retry_due = Outbox {
            next_attempt_at: NOW - 1,
            ..pending_row()
        };
        assert_eq!(status_text(&retry_due, NOW, false), "pending 2×, due");
        assert_eq!(
            status_text(&due, NOW, true),
            "pending · not tried yet · due now"
        );
        assert_eq!(
            status_text(&outbox(2, "recovered", "sent", 1), NOW, false),
            "sent just now"
        );
        assert_eq!(
            status_text(&outbox(3, "down", "failed", 8), NOW, true),
            "failed after 8 tries"
        );
    }

    fn pending_row() -> Outbox {
        outbox(1, "down", "pending", 2)
    }

    #[test]
    fn filters_narrow_and_keep_the_selection() {
        let mut p = pane();
        assert_eq!(p.visible_titles().len(), 4);
        p.handle(Action::Down);
        assert_eq!(p.selected().map(|o| o.id), Some(2));
        p.set_filter("RECOVERED");
        assert_eq!(p.visible_titles(), ["petstore: recovered number 2"]);
        p.set_filter("");
        assert_eq!(p.selected().map(|o| o.id), Some(2));
        // all → pending → failed → sent → all
        p.handle(Action::StatusFilter);
        assert_eq!(p.status, StatusFilter::Pending);
        assert_eq!(p.visible_titles().len(), 2);
        assert_eq!(p.selected().map(|o| o.id), Some(1), "selection moved");
        p.handle(Action::StatusFilter);
        assert_eq!(p.visible_titles(), ["petstore: breaking number 3"]);
        p.handle(Action::StatusFilter);
        p.handle(Action::StatusFilter);
        assert_eq!(p.status, StatusFilter::All);
        // The error's text is searched too.
        p.set_filter("from the hook");
        assert_eq!(p.visible_titles().len(), 3);
        assert_eq!(StatusFilter::parse("failed"), Some(StatusFilter::Failed));
        assert_eq!(StatusFilter::parse("nope"), None);
    }

    #[test]
    fn the_newest_is_followed_and_others_are_kept() {
        let mut p = pane();
        let reload = |p: &mut AlertsPane, newest: i64| {
            let mut rows = vec![outbox(newest, "change", "pending", 0)];
            rows.extend(p.rows().iter().cloned());
            p.set_history(AlertHistory {
                rows,
                channels: vec!["team".into()],
                truncated: false,
                attempts: Default::default(),
            });
        };
        // On the newest: a newer one takes the selection.
        reload(&mut p, 10);
        assert_eq!(p.selected().map(|o| o.id), Some(10));
        // Elsewhere: the selection stays on its alert.
        p.handle(Action::Down);
        reload(&mut p, 11);
        assert_eq!(p.selected().map(|o| o.id), Some(1));
        // On the newest with its details open: it stays, to be read.
        p.handle(Action::Top);
        p.handle(Action::Open);
        reload(&mut p, 12);
        assert_eq!(p.selected().map(|o| o.id), Some(11));
    }

    #[test]
    fn enter_expands_and_esc_folds_before_closing() {
        let mut p = pane();
        assert!(p.handle(Action::Open).is_some());
        assert!(p.expanded);
        assert!(p.handle(Action::Back).is_some());
        assert!(!p.expanded);
        assert!(p.handle(Action::Back).is_none(), "the app closes the view");
        assert!(p.handle(Action::Zoom).is_none());
    }

    #[test]
    fn details_show_text_error_and_command() {
        let mut p = pane();
        let screen = draw(&mut p, 100, 24);
        for needle in [
            "Alert history",
            "2 pending",
            "1 failed",
            "line one of 1",
            "line two",
            "last error: HTTP 500 from the hook",
            "command: apiradar diff petstore@3 petstore@4",
            "pending · 2 tries · next try in 40s",
        ] {
            assert!(screen.contains(needle), "`{needle}` missing:\n{screen}");
        }
        assert!(!screen.contains("delivery attempts"), "{screen}");
        p.handle(Action::Open);
        let screen = draw(&mut p, 100, 24);
        assert!(screen.contains("delivery attempts"), "{screen}");
        assert!(
            screen.contains("1. ") && screen.contains("failed: connection refused"),
            "{screen}"
        );
        assert!(
            screen.contains("2. ") && screen.contains("failed: HTTP 500 from the hook"),
            "{screen}"
        );
        assert!(screen.contains("payload"), "{screen}");
        assert!(screen.contains("\"command\""), "{screen}");
    }

    #[test]
    fn any_size_draws_without_panicking() {
        for expanded in [false, true] {
            let mut p = pane();
            p.expanded = expanded;
            for (w, h) in [
                (1, 1),
                (2, 2),
                (3, 9),
                (10, 3),
                (20, 8),
                (40, 12),
                (59, 14),
                (80, 22),
                (200, 58),
            ] {
                draw(&mut p, w, h);
            }
        }
        let mut empty = AlertsPane::default();
        draw(&mut empty, 5, 5);
        empty.set_history(AlertHistory::default());
        let screen = draw(&mut empty, 120, 10);
        assert!(
            screen.contains("apiradar alert add NAME --webhook URL"),
            "{screen}"
        );
    }

    #[test]
    fn narrow_lists_drop_columns_but_keep_the_title() {
        let mut p = pane();
        let wide = draw(&mut p, 200, 20);
        assert!(
            wide.contains("date (UTC)") && wide.contains("channel"),
            "{wide}"
        );
        let medium = draw(&mut p, 80, 20);
        assert!(
            medium.contains("channel") && !medium.contains("watch "),
            "{medium}"
        );
        let narrow = draw(&mut p, 62, 20);
        assert!(!narrow.contains("channel"), "{narrow}");
        assert!(narrow.contains("petstore: d"), "{narrow}");
    }
}
