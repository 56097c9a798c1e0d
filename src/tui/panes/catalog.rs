//! The catalog view: the items of one stored version of a json watch (a
//! model catalog), searched, filtered with the conditions of `apiradar
//! catalog --where`, sorted by a column; and one item with its price across
//! every stored version as a sparkline, the list of its changes and all
//! its fields.
//!
//! It is not one of the five panes: `c` on a json watch in the watch list
//! (or `:catalog [NAME[@REF]]`) opens it over the whole body, and Esc or
//! `q` close it, as with the alert history. The version read is the one
//! selected in the timeline, else the latest.
//!
//! The catalog is read off the UI thread ([`Request::Catalog`]) and then
//! queried in memory with the application layer's [`Catalog::query`] as
//! the user types: that costs what one version's items cost, whatever the
//! history. An item's history reads every stored version (0.4 s on the
//! 230 versions of Venice's catalog), so it is loaded in the background
//! too ([`Request::CatalogHistory`]) and an answer for another item than
//! the one shown is dropped.
//!
//! Everything a catalog says (ids, names, values) is third-party text and
//! goes through [`crate::text::line`] before it is drawn.
//!
//! [`Request::Catalog`]: crate::tui::data::Request::Catalog
//! [`Request::CatalogHistory`]: crate::tui::data::Request::CatalogHistory

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Sparkline, Table, TableState, Wrap};
use serde_json::Value;

use super::{DrawCx, Msg};
use crate::app::catalog::{
    Catalog, HistoryChange, ItemHistory, ListRequest, Query, cell, cell_at, item_id, leaves,
};
use crate::tui::keymap::Action;
use crate::tui::theme::Theme;
use crate::tui::util::{fit, list_move};

/// Third-party text for one line of the view.
fn safe(text: &str) -> String {
    crate::text::line(text).into_owned()
}

/// How the columns are headed: each by the end of its path
/// ([`column_label`]), longer where two would read the same
/// (`input.usd` and `extended.input.usd`).
pub fn column_labels(paths: &[String]) -> Vec<String> {
    let mut labels: Vec<String> = paths.iter().map(|p| column_label(p)).collect();
    // Lengthen every label that reads like another, together, one segment
    // at a time, until none do (or they are whole paths).
    loop {
        let clashing: Vec<usize> = (0..labels.len())
            .filter(|&i| {
                labels
                    .iter()
                    .enumerate()
                    .any(|(j, l)| j != i && *l == labels[i])
                    && labels[i] != paths[i]
            })
            .collect();
        if clashing.is_empty() {
            return labels;
        }
        for i in clashing {
            let take = labels[i].matches('.').count() + 2;
            let parts: Vec<&str> = paths[i].rsplit('.').take(take).collect();
            labels[i] = parts.into_iter().rev().collect::<Vec<_>>().join(".");
        }
    }
}

/// How a column is headed: the end of its path (`input.usd` for
/// `model_spec.pricing.input.usd`, a unit keeping what it prices).
pub fn column_label(path: &str) -> String {
    let mut parts = path.rsplit('.');
    let last = parts.next().unwrap_or(path);
    let is_unit = last.len() <= 4 && last.chars().all(|c| c.is_ascii_alphabetic());
    match parts.next() {
        Some(above) if is_unit => format!("{above}.{last}"),
        _ => last.to_owned(),
    }
}

/// One item with its history, as the detail shows it.
pub struct ItemView {
    pub id: String,
    /// `None` while it loads.
    pub history: Option<Result<ItemHistory, String>>,
    /// Which of the item's price fields the sparkline follows.
    field: usize,
    /// How far the list of changes is scrolled, and how far it can be (as
    /// last drawn).
    scroll: usize,
    max_scroll: usize,
    page: usize,
}

impl ItemView {
    /// The price fields of the item, once its history is in.
    pub fn price_fields(&self) -> Vec<String> {
        match &self.history {
            Some(Ok(h)) => h.price_fields(),
            _ => Vec::new(),
        }
    }

    /// The price field the sparkline follows.
    pub fn field(&self) -> Option<String> {
        let fields = self.price_fields();
        (!fields.is_empty()).then(|| fields[self.field % fields.len()].clone())
    }
}

#[derive(Default)]
pub struct CatalogPane {
    /// Whether the view is showing.
    pub open: bool,
    /// The watch read and the version asked for (`None`: the latest), as
    /// `NAME@REF` takes it (`3`, `latest~2`, `2026-08-01`).
    pub watch: String,
    pub asked: Option<String>,
    catalog: Option<Catalog>,
    /// A load is on its way.
    pub loading: bool,
    pub error: Option<String>,
    /// The search typed (`/`), on the key and every text field.
    pub search: String,
    /// The conditions in force (`w`), as typed: `--where` conditions
    /// joined by `and`.
    pub wheres: String,
    /// The column sorted on and whether downwards; `None`: by key.
    sort: Option<(String, bool)>,
    query: Option<Query>,
    /// Each listed item's cells, made safe, in `query.rows` order.
    cells: Vec<Vec<String>>,
    /// The item selected, by key, so a new search keeps it.
    selected: Option<String>,
    table: TableState,
    /// Rows of the list as last drawn, for the page keys.
    page: usize,
    /// The item shown in full, over the list.
    pub item: Option<ItemView>,
}

impl CatalogPane {
    /// Opens the view on `watch` (`NAME`), at version `asked` (`None`: the
    /// latest). The same watch again keeps the search, conditions and sort.
    pub fn open_on(&mut self, watch: &str, asked: Option<String>) {
        if self.watch != watch {
            *self = CatalogPane::default();
            self.watch = watch.to_owned();
        }
        self.open = true;
        self.asked = asked;
        self.loading = true;
        self.item = None;
    }

    /// What the loader is asked for: `NAME` or `NAME@N`.
    pub fn target(&self) -> String {
        match &self.asked {
            Some(r) => format!("{}@{r}", self.watch),
            None => self.watch.clone(),
        }
    }

    /// The catalog loaded (or why it could not be).
    pub fn set_catalog(&mut self, result: Result<Catalog, String>) {
        self.loading = false;
        match result {
            Ok(c) => {
                self.catalog = Some(c);
                self.error = None;
                // Conditions that no longer hold on this version are
                // dropped rather than leaving an empty list unexplained.
                if let Err(e) = self.requery() {
                    self.wheres.clear();
                    self.sort = None;
                    self.error = self.requery().err().or(Some(e));
                }
            }
            Err(e) => {
                self.catalog = None;
                self.query = None;
                self.cells.clear();
                self.error = Some(e);
            }
        }
    }

    pub fn catalog(&self) -> Option<&Catalog> {
        self.catalog.as_ref()
    }

    /// The request the view's state makes.
    fn request(&self, wheres: &str) -> ListRequest {
        ListRequest {
            search: (!self.search.is_empty()).then(|| self.search.clone()),
            wheres: split_wheres(wheres),
            sort: self.sort.as_ref().map(|(path, down)| {
                if *down {
                    format!("-{path}")
                } else {
                    path.clone()
                }
            }),
            columns: None,
        }
    }

    /// Runs the query again; on an error the listing stays as it was.
    fn requery(&mut self) -> Result<(), String> {
        let Some(c) = &self.catalog else {
            return Ok(());
        };
        let q = c.query(&self.request(&self.wheres))?;
        self.cells = q
            .rows
            .iter()
            .map(|&i| {
                q.columns
                    .iter()
                    .map(|col| safe(&cell_at(&c.items[i], col)))
                    .collect()
            })
            .collect();
        let ids: Vec<String> = q
            .rows
            .iter()
            .map(|&i| item_id(&c.items[i], &c.key))
            .collect();
        if !self.selected.as_ref().is_some_and(|s| ids.contains(s)) {
            self.selected = ids.first().cloned();
        }
        self.query = Some(q);
        Ok(())
    }

    /// Applies the search typed so far.
    pub fn set_search(&mut self, text: &str) {
        self.search = text.to_owned();
        // A search cannot fail; the conditions were checked when set.
        let _ = self.requery();
    }

    /// Sets the conditions (`w`); a condition that does not read, or a
    /// field no item has, is refused with the reason and the listing is
    /// left as it was.
    pub fn set_wheres(&mut self, text: &str) -> Result<(), String> {
        let before = std::mem::replace(&mut self.wheres, text.trim().to_owned());
        match self.requery() {
            Ok(()) => Ok(()),
            Err(e) => {
                self.wheres = before;
                Err(e)
            }
        }
    }

    /// The keys of the listed items, in order (for tests).
    pub fn listed(&self) -> Vec<String> {
        match (&self.catalog, &self.query) {
            (Some(c), Some(q)) => q
                .rows
                .iter()
                .map(|&i| item_id(&c.items[i], &c.key))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The columns shown (resolved paths), the key first.
    pub fn columns(&self) -> &[String] {
        self.query.as_ref().map_or(&[], |q| q.columns.as_slice())
    }

    fn selected_index(&self) -> usize {
        let listed = self.listed();
        self.selected
            .as_ref()
            .and_then(|s| listed.iter().position(|i| i == s))
            .unwrap_or(0)
    }

    /// The item selected in the list.
    pub fn selected(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    fn selected_item(&self) -> Option<&Value> {
        self.catalog.as_ref()?.find(self.selected.as_deref()?)
    }

    /// An item's history arrived; dropped unless it is the item shown.
    pub fn set_history(&mut self, id: &str, result: Result<ItemHistory, String>) {
        if let Some(v) = self.item.as_mut().filter(|v| v.id == id) {
            v.history = Some(result);
        }
    }

    /// Handles an action; `None` when it is not the view's (the app then
    /// closes it on Back, opens the search or the conditions line, …).
    pub fn handle(&mut self, action: Action) -> Option<Vec<Msg>> {
        if let Some(view) = &mut self.item {
            let at = view.scroll;
            if let Some(to) = list_move(action, at, view.max_scroll + 1, view.page.max(1)) {
                view.scroll = to;
                return Some(Vec::new());
            }
            return match action {
                Action::Back => {
                    self.item = None;
                    Some(Vec::new())
                }
                Action::NextField => {
                    let n = view.price_fields().len();
                    if n > 1 {
                        view.field = (view.field + 1) % n;
                    }
                    let msg = match view.field() {
                        Some(f) => format!("price shown: {}", safe(&f)),
                        None => "this item has no price field".to_owned(),
                    };
                    Some(vec![Msg::Status(msg, false)])
                }
                Action::Copy => Some(self.copy()),
                _ => None,
            };
        }
        let action = match action {
            Action::NextMatch => Action::Down,
            Action::PrevMatch => Action::Up,
            a => a,
        };
        let listed = self.listed();
        if let Some(to) = list_move(
            action,
            self.selected_index(),
            listed.len(),
            self.page.max(1),
        ) {
            self.selected = listed.get(to).cloned();
            return Some(Vec::new());
        }
        match action {
            Action::Open => {
                let Some(id) = self.selected.clone() else {
                    return Some(Vec::new());
                };
                self.item = Some(ItemView {
                    id: id.clone(),
                    history: None,
                    field: 0,
                    scroll: 0,
                    max_scroll: 0,
                    page: 10,
                });
                Some(vec![Msg::LoadCatalogHistory {
                    watch: self.watch.clone(),
                    id,
                }])
            }
            Action::Sort | Action::SortReverse => Some(self.cycle_sort(action)),
            Action::Copy => Some(self.copy()),
            _ => None,
        }
    }

    /// `s`: the next column (after the last, back to the key); `S`: the
    /// other direction.
    fn cycle_sort(&mut self, action: Action) -> Vec<Msg> {
        let columns = self.columns().to_vec();
        self.sort = match (&self.sort, action) {
            (None, Action::SortReverse) => columns.first().map(|c| (c.clone(), true)),
            (Some((c, down)), Action::SortReverse) => Some((c.clone(), !down)),
            (current, _) => {
                let at = current
                    .as_ref()
                    .and_then(|(c, _)| columns.iter().position(|x| x == c))
                    .unwrap_or(0);
                columns.get(at + 1).map(|c| (c.clone(), false))
            }
        };
        if let Err(e) = self.requery() {
            self.sort = None;
            let _ = self.requery();
            return vec![Msg::Status(e, true)];
        }
        let what = match &self.sort {
            None => "by key".to_owned(),
            Some((c, down)) => format!(
                "by {} {}",
                safe(&column_label(c)),
                if *down { "downwards" } else { "upwards" }
            ),
        };
        vec![Msg::Status(format!("catalog sorted {what}"), false)]
    }

    /// `y`: the selected (or shown) item as JSON.
    fn copy(&self) -> Vec<Msg> {
        let item = match &self.item {
            Some(v) => self.catalog.as_ref().and_then(|c| c.find(&v.id)),
            None => self.selected_item(),
        };
        match item.and_then(|i| serde_json::to_string_pretty(i).ok()) {
            Some(text) => vec![Msg::Copy("item as JSON", text)],
            None => vec![Msg::Status("nothing to copy here".into(), false)],
        }
    }

    fn title(&self, theme: &Theme) -> Line<'static> {
        let mut spans = vec![Span::styled(" Catalog ", theme.title(true))];
        match &self.catalog {
            Some(c) => {
                spans.push(Span::styled(
                    format!(
                        "{}@{}{} ",
                        safe(&c.watch),
                        c.seq,
                        if self.asked.is_none() {
                            " (latest)"
                        } else {
                            ""
                        }
                    ),
                    theme.title(true),
                ));
                let n = self.query.as_ref().map_or(0, |q| q.rows.len());
                spans.push(Span::styled(
                    if n == c.items.len() {
                        format!("{} ", crate::text::count(n, "item", "items"))
                    } else {
                        format!(
                            "{n} of {} ",
                            crate::text::count(c.items.len(), "item", "items")
                        )
                    },
                    theme.dim(),
                ));
            }
            None => spans.push(Span::styled(format!("{} ", safe(&self.watch)), theme.dim())),
        }
        if !self.search.is_empty() {
            spans.push(Span::styled(
                format!("/{} ", safe(&self.search)),
                theme.input(),
            ));
        }
        if !self.wheres.is_empty() {
            spans.push(Span::styled(
                format!("where {} ", safe(&self.wheres)),
                theme.input(),
            ));
        }
        if let Some(item) = &self.item {
            spans.push(Span::styled(
                format!("› {} ", safe(&item.id)),
                theme.title(true),
            ));
        }
        Line::from(spans)
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let Some(inner) = super::overlay_frame(f, area, theme, self.title(theme)) else {
            return;
        };
        let prose = |t: String| Line::from(Span::styled(t, theme.dim()));
        if let Some(e) = &self.error {
            let lines = vec![
                Line::from(Span::styled(safe(e), theme.input_error())),
                Line::default(),
                prose(
                    "The catalog view lists the items of a json watch whose main array holds \
                     objects (a model list, a price list)."
                        .into(),
                ),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
            return;
        }
        if self.catalog.is_none() {
            f.render_widget(
                Paragraph::new(prose(format!(
                    "Loading the catalog of {}…",
                    safe(&self.watch)
                ))),
                inner,
            );
            return;
        }
        if self.item.is_some() {
            self.draw_item(f, inner, cx);
            return;
        }
        if self.listed().is_empty() {
            let mut what = Vec::new();
            if !self.search.is_empty() {
                what.push(format!("matching /{}", safe(&self.search)));
            }
            if !self.wheres.is_empty() {
                what.push(format!("where {}", safe(&self.wheres)));
            }
            f.render_widget(
                Paragraph::new(prose(format!(
                    "No items {}. Esc on the search (/) or the conditions (w) clears them.",
                    what.join(" ")
                )))
                .wrap(Wrap { trim: false }),
                inner,
            );
            return;
        }
        self.draw_list(f, inner, theme);
    }

    /// The items as a table. Each column is as wide as its widest cell on
    /// the list (the key up to 40, others up to 24); columns that do not
    /// fit are left out from the right.
    fn draw_list(&mut self, f: &mut Frame, area: Rect, theme: &Theme) {
        let columns = self.columns().to_vec();
        let mut labels: Vec<String> = column_labels(&columns).iter().map(|l| safe(l)).collect();
        if let Some((path, down)) = &self.sort
            && let Some(i) = columns.iter().position(|c| c == path)
        {
            labels[i].push_str(if *down { " ▼" } else { " ▲" });
        }
        let mut widths: Vec<usize> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let widest = self
                    .cells
                    .iter()
                    .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                    .max()
                    .unwrap_or(0);
                widest
                    .max(l.chars().count())
                    .min(if i == 0 { 40 } else { 24 })
            })
            .collect();
        // Leave out columns from the right until the rest fit.
        let room = usize::from(area.width);
        while widths.len() > 1 && widths.iter().sum::<usize>() + widths.len() - 1 > room {
            widths.pop();
        }
        let shown = widths.len();
        let numeric: Vec<bool> = (0..shown)
            .map(|i| {
                i > 0
                    && self
                        .cells
                        .iter()
                        .filter_map(|r| r.get(i))
                        .filter(|c| !c.is_empty())
                        .all(|c| c.parse::<f64>().is_ok())
            })
            .collect();
        let aligned = |text: &str, i: usize| -> String {
            let w = widths[i];
            let t = fit(text, w);
            if numeric[i] { format!("{t:>w$}") } else { t }
        };
        let header = Row::new(
            labels
                .iter()
                .take(shown)
                .enumerate()
                .map(|(i, l)| Cell::from(aligned(l, i))),
        )
        .style(theme.dim());
        let rows: Vec<Row> = self
            .cells
            .iter()
            .map(|r| {
                Row::new(
                    r.iter()
                        .take(shown)
                        .enumerate()
                        .map(|(i, c)| Cell::from(aligned(c, i))),
                )
            })
            .collect();
        let constraints: Vec<Constraint> = widths
            .iter()
            .map(|&w| Constraint::Length(w as u16))
            .collect();
        let table = Table::new(rows, constraints)
            .header(header)
            .row_highlight_style(theme.selection(true))
            .column_spacing(1);
        self.page = usize::from(area.height.saturating_sub(1));
        self.table.select(Some(self.selected_index()));
        f.render_stateful_widget(table, area, &mut self.table);
    }

    /// One item: the price sparkline and the changes (newest first) beside
    /// all its fields when wide, above them when narrow.
    fn draw_item(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let (history_area, fields_area) = if area.width >= 100 {
            let [fields, history] =
                Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)])
                    .spacing(1)
                    .areas(area);
            (history, fields)
        } else {
            let [history, fields] =
                Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(area);
            (history, fields)
        };
        let shown_field = self.item.as_ref().and_then(ItemView::field);
        self.draw_fields(f, fields_area, shown_field.as_deref(), theme);
        let watch = safe(&self.watch);
        let Some(view) = self.item.as_mut() else {
            return;
        };
        let prose = |t: String| Line::from(Span::styled(t, theme.dim()));
        let history = match &view.history {
            None => {
                f.render_widget(
                    Paragraph::new(prose(format!(
                        "Reading {} in every stored version of {watch}…",
                        safe(&view.id)
                    )))
                    .wrap(Wrap { trim: false }),
                    history_area,
                );
                return;
            }
            Some(Err(e)) => {
                f.render_widget(
                    Paragraph::new(Line::from(Span::styled(safe(e), theme.input_error())))
                        .wrap(Wrap { trim: false }),
                    history_area,
                );
                return;
            }
            Some(Ok(h)) => h,
        };
        let fields = history.price_fields();
        let spark_h: u16 = if history_area.height >= 16 { 4 } else { 2 };
        let [head, spark, summary, changes] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(if fields.is_empty() { 0 } else { spark_h }),
            Constraint::Length(1),
            Constraint::Fill(1),
        ])
        .areas(history_area);
        match fields.get(view.field % fields.len().max(1)) {
            Some(field) => {
                let series = history.series(field);
                let points = buckets(&series, usize::from(spark.width));
                f.render_widget(
                    Paragraph::new(Line::from(vec![
                        Span::styled("price ", theme.dim()),
                        Span::styled(safe(field), theme.title(true)),
                        Span::styled(
                            if fields.len() > 1 {
                                format!(
                                    "  ({} of {}, p next)",
                                    view.field % fields.len() + 1,
                                    fields.len()
                                )
                            } else {
                                String::new()
                            },
                            theme.dim(),
                        ),
                    ])),
                    head,
                );
                f.render_widget(
                    Sparkline::default()
                        .data(scaled(&points))
                        .max(SCALE)
                        .style(theme.sparkline())
                        .absent_value_symbol(" ")
                        .absent_value_style(theme.dim()),
                    spark,
                );
                f.render_widget(
                    Paragraph::new(Line::from(Span::styled(
                        series_summary(&series, history),
                        theme.dim(),
                    ))),
                    summary,
                );
            }
            None => f.render_widget(
                Paragraph::new(prose(format!(
                    "No price field in any of the {} versions read.",
                    history.versions
                ))),
                head,
            ),
        }
        let lines = change_lines(history, fields.get(view.field % fields.len().max(1)), theme);
        let rows = usize::from(changes.height.saturating_sub(1));
        view.page = rows.max(1);
        view.max_scroll = lines.len().saturating_sub(rows);
        view.scroll = view.scroll.min(view.max_scroll);
        let mut shown = vec![Line::from(Span::styled(
            format!(
                "changes ({}){}",
                lines.len(),
                if view.max_scroll > 0 {
                    format!(
                        " · {}–{} · j/k scroll",
                        view.scroll + 1,
                        (view.scroll + rows).min(lines.len())
                    )
                } else {
                    String::new()
                }
            ),
            theme.dim(),
        ))];
        shown.extend(lines.into_iter().skip(view.scroll).take(rows));
        f.render_widget(Paragraph::new(shown), changes);
    }

    /// Every leaf of the item, path and value, the price the sparkline
    /// follows highlighted.
    fn draw_fields(&self, f: &mut Frame, area: Rect, shown: Option<&str>, theme: &Theme) {
        let item = self
            .item
            .as_ref()
            .and_then(|v| self.catalog.as_ref()?.find(&v.id));
        let Some(item) = item else {
            let gone = Line::from(Span::styled(
                "Not in this version (its history says when it was).",
                theme.dim(),
            ));
            f.render_widget(Paragraph::new(gone).wrap(Wrap { trim: false }), area);
            return;
        };
        let all = leaves(item);
        let width = all
            .iter()
            .map(|(p, _)| p.chars().count())
            .max()
            .unwrap_or(0)
            .min(usize::from(area.width) / 2)
            .min(36);
        let rows = usize::from(area.height.saturating_sub(1));
        let mut lines = vec![Line::from(Span::styled(
            format!("fields ({})", all.len()),
            theme.dim(),
        ))];
        let more = all.len().saturating_sub(rows);
        for (path, value) in all.iter().take(if more > 0 {
            rows.saturating_sub(1)
        } else {
            rows
        }) {
            let style = if Some(path.as_str()) == shown {
                theme.selection(true)
            } else {
                theme.base()
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:<width$} ", fit_end(&safe(path), width)),
                    theme.dim(),
                ),
                Span::styled(safe(&cell(value)), style),
            ]));
        }
        if more > 0 {
            lines.push(Line::from(Span::styled(
                format!("… {} more (y copies the item as JSON)", more + 1),
                theme.dim(),
            )));
        }
        f.render_widget(Paragraph::new(lines), area);
    }
}

/// `s` cut to `width` characters from the start, keeping its end (a
/// field's name): `…capabilities.supportsVision`.
fn fit_end(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width {
        return s.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = s.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

/// `--where` conditions as typed on one line: joined by `and`.
pub fn split_wheres(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let lower = rest.to_ascii_lowercase();
        match lower.find(" and ") {
            Some(at) => {
                out.push(rest[..at].trim().to_owned());
                rest = rest[at + 5..].trim();
            }
            None => {
                out.push(rest.to_owned());
                break;
            }
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

/// The tallest bar of a price sparkline.
const SCALE: u64 = 100;

/// A series as `width` bars, oldest first: squeezed, each bar the last
/// value of its run of versions (none when the item was in none of them);
/// or, for fewer versions than columns, each version as wide as the
/// columns allow.
fn buckets(series: &[(i64, Option<f64>)], width: usize) -> Vec<Option<f64>> {
    if width == 0 || series.is_empty() {
        return Vec::new();
    }
    if series.len() <= width {
        let each = width / series.len();
        return series
            .iter()
            .flat_map(|(_, v)| std::iter::repeat_n(*v, each))
            .collect();
    }
    let per = series.len().div_ceil(width);
    series
        .chunks(per)
        .map(|run| run.iter().rev().find_map(|(_, v)| *v))
        .collect()
}

/// Bars from a price's lowest (an eighth: still a bar, unlike an absent
/// version) to its highest (full), so the changes of a price show however
/// small; the summary beside says the values.
fn scaled(points: &[Option<f64>]) -> Vec<Option<u64>> {
    const LOW: f64 = (SCALE / 8) as f64;
    let present = points.iter().flatten().copied();
    let (lo, hi) = present.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    points
        .iter()
        .map(|p| {
            p.map(|v| {
                if hi > lo {
                    (LOW + (v - lo) / (hi - lo) * (SCALE as f64 - LOW)).round() as u64
                } else {
                    SCALE / 2
                }
            })
        })
        .collect()
}

/// A number at its shortest (`0.7`, `3.75`, `2`, `128000`).
fn number(v: f64) -> String {
    format!("{v}")
}

/// `#1–#230 · 0.5 → 0.7 · min 0.5 · max 0.7 · 3 changes`.
fn series_summary(series: &[(i64, Option<f64>)], h: &ItemHistory) -> String {
    let values: Vec<f64> = series.iter().filter_map(|(_, v)| *v).collect();
    let (Some(first), Some(last)) = (values.first(), values.last()) else {
        return format!(
            "no value in the {} read",
            crate::text::count(h.versions, "version", "versions")
        );
    };
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let changes = values.windows(2).filter(|w| w[0] != w[1]).count();
    let span = match (series.first(), series.last()) {
        (Some((a, _)), Some((b, _))) => format!("#{a}–#{b} · "),
        _ => String::new(),
    };
    format!(
        "{span}{} → {} · min {} · max {} · {}",
        number(*first),
        number(*last),
        number(lo),
        number(hi),
        crate::text::plural(changes as u64, "change", "changes")
    )
}

/// The item's changes, newest first: date, version, what; those of the
/// price the sparkline shows stand out.
fn change_lines(
    h: &ItemHistory,
    shown_field: Option<&String>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use crate::report::catalog::{percent, shown};
    h.events
        .iter()
        .rev()
        .map(|e| {
            let (what, style): (String, Style) = match &e.what {
                HistoryChange::Appeared => (
                    "appeared".into(),
                    theme.status(crate::tui::theme::WatchStatus::Ok),
                ),
                HistoryChange::Disappeared => {
                    ("removed".into(), theme.level(crate::diff::Level::Error))
                }
                HistoryChange::Changed { field, old, new } => {
                    let pct = percent(old, new)
                        .map(|p| format!(" ({p})"))
                        .unwrap_or_default();
                    (
                        format!(
                            "{}: {} → {}{pct}",
                            safe(field),
                            safe(&shown(old)),
                            safe(&shown(new))
                        ),
                        if Some(field) == shown_field {
                            theme.title(true)
                        } else {
                            theme.base()
                        },
                    )
                }
            };
            Line::from(vec![
                Span::styled(format!("{:<16} #{:<4} ", safe(&e.date), e.seq), theme.dim()),
                Span::styled(what, style),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_headed_by_the_end_of_their_path() {
        assert_eq!(column_label("model_spec.pricing.input.usd"), "input.usd");
        assert_eq!(
            column_label("model_spec.availableContextTokens"),
            "availableContextTokens"
        );
        assert_eq!(column_label("id"), "id");
        let paths: Vec<String> = [
            "id",
            "model_spec.pricing.input.usd",
            "model_spec.pricing.extended.input.usd",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            column_labels(&paths),
            ["id", "pricing.input.usd", "extended.input.usd"]
        );
    }

    #[test]
    fn long_field_names_keep_their_end() {
        assert_eq!(
            fit_end("model_spec.capabilities.supportsVision", 16),
            "….supportsVision"
        );
        assert_eq!(fit_end("id", 16), "id");
    }

    #[test]
    fn conditions_split_on_and() {
        assert_eq!(
            split_wheres("input.usd < 2 AND context >= 128000 and type = text"),
            ["input.usd < 2", "context >= 128000", "type = text"]
        );
        assert!(split_wheres("  ").is_empty());
        // `and` inside a word is not a separator.
        assert_eq!(split_wheres("name ~ android"), ["name ~ android"]);
    }

    #[test]
    fn a_long_series_is_squeezed_and_scaled_from_its_lowest_to_its_highest() {
        let series: Vec<(i64, Option<f64>)> = (1..=230)
            .map(|s| {
                (
                    s,
                    if s < 20 {
                        None
                    } else if s < 120 {
                        Some(0.5)
                    } else {
                        Some(0.7)
                    },
                )
            })
            .collect();
        let points = buckets(&series, 60);
        assert_eq!(points.len(), 58, "230 versions in bars of 4");
        assert_eq!(points[0], None, "absent at first: a gap");
        assert_eq!(points[10], Some(0.5));
        assert_eq!(points.last(), Some(&Some(0.7)));
        let bars = scaled(&points);
        assert_eq!(bars[10], Some(SCALE / 8), "the lowest price is still a bar");
        assert_eq!(bars.last(), Some(&Some(SCALE)));
        assert_eq!(scaled(&[Some(3.0), Some(3.0)]), [Some(SCALE / 2); 2]);
        assert!(buckets(&series, 0).is_empty());
        // Six versions on 20 columns: three columns each.
        let few: Vec<(i64, Option<f64>)> = (1..=6).map(|s| (s, Some(s as f64))).collect();
        let wide = buckets(&few, 20);
        assert_eq!(wide.len(), 18);
        assert_eq!(&wide[..4], [Some(1.0), Some(1.0), Some(1.0), Some(2.0)]);
    }
}
