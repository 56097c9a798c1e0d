//! Pane 4: the endpoints of the selected watch, each with its state, last
//! status, a sparkline of its recent latencies (gaps where it was down),
//! uptime over 24 hours and latency percentiles.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{DrawCx, Msg, PaneId, block};
use crate::store::alerts::OutboxStatus;
use crate::store::health::{Check, CheckOutcome, Endpoint, EndpointState, EndpointStats};
use crate::tui::data::HealthView;
use crate::tui::keymap::Action;
use crate::tui::theme::{Theme, WatchStatus};
use crate::tui::util::{fit, list_move};

#[derive(Default)]
pub struct HealthPane {
    pub watch_id: Option<i64>,
    watch_name: String,
    view: Option<HealthView>,
    selected: usize,
    pub error: Option<String>,
    table: TableState,
    /// Whether the selected watch's described endpoints are probed.
    pub probing: Option<crate::app::health::ProbingState>,
    /// The detail view of the selected endpoint (Enter), with its latest
    /// checks once loaded.
    pub detail: Option<Detail>,
}

/// The detail view of one endpoint.
pub struct Detail {
    pub endpoint_id: i64,
    pub checks: Option<Result<Vec<Check>, String>>,
    scroll: u16,
}

/// The style family of an endpoint state.
fn state_style(state: EndpointState) -> WatchStatus {
    match state {
        EndpointState::Up | EndpointState::Auth => WatchStatus::Ok,
        EndpointState::Warn | EndpointState::Degraded => WatchStatus::Changed,
        EndpointState::Down => WatchStatus::Failing,
        EndpointState::Unknown => WatchStatus::Pending,
    }
}

fn state_icon(state: EndpointState) -> &'static str {
    match state {
        EndpointState::Up => "●",
        EndpointState::Auth => "◐",
        EndpointState::Warn | EndpointState::Degraded => "◆",
        EndpointState::Down => "✗",
        EndpointState::Unknown => "○",
    }
}

/// Latencies as block characters scaled to the slowest, `·` where down.
fn sparkline(recent: &[Option<i64>], theme: &Theme) -> Line<'static> {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = recent.iter().flatten().copied().max().unwrap_or(1).max(1);
    let spans = recent
        .iter()
        .map(|v| match v {
            Some(ms) => {
                let i = ((*ms as f64 / max as f64) * 7.0).round() as usize;
                Span::styled(BARS[i.min(7)].to_string(), theme.sparkline())
            }
            None => Span::styled("·", theme.sparkline_bad()),
        })
        .collect::<Vec<_>>();
    Line::from(spans)
}

fn ms(v: Option<i64>) -> String {
    v.map_or("–".into(), |v| format!("{v}"))
}

impl HealthPane {
    pub fn select_watch(&mut self, id: Option<i64>, name: &str) {
        if self.watch_id != id {
            self.view = None;
            self.selected = 0;
            self.probing = None;
            self.detail = None;
        }
        self.watch_id = id;
        self.watch_name = name.to_string();
        self.error = None;
    }

    pub fn set_view(&mut self, view: HealthView) {
        if Some(view.watch_id) != self.watch_id {
            return;
        }
        self.selected = self.selected.min(view.rows.len().saturating_sub(1));
        self.view = Some(view);
    }

    /// The latest checks of the endpoint whose detail is open.
    pub fn set_checks(&mut self, endpoint_id: i64, checks: Result<Vec<Check>, String>) {
        if let Some(d) = &mut self.detail
            && d.endpoint_id == endpoint_id
        {
            d.checks = Some(checks);
        }
    }

    /// Whether the detail view is open.
    pub fn detail_open(&self) -> bool {
        self.detail.is_some()
    }

    pub fn set_probing(&mut self, state: crate::app::health::ProbingState) {
        if Some(state.watch_id) == self.watch_id {
            self.probing = Some(state);
        }
    }

    /// What `y` copies: the selected endpoint as `METHOD URL`.
    pub fn copy_text(&self) -> Option<(String, String)> {
        let (e, _) = self.view.as_ref()?.rows.get(self.selected)?;
        Some(("the endpoint".into(), format!("{} {}", e.method, e.url)))
    }

    pub fn handle(&mut self, action: Action, page: usize) -> Option<Vec<Msg>> {
        if let Some(d) = &mut self.detail {
            match action {
                Action::Back | Action::Left => self.detail = None,
                Action::Down => d.scroll = d.scroll.saturating_add(1),
                Action::Up => d.scroll = d.scroll.saturating_sub(1),
                Action::Top => d.scroll = 0,
                Action::PageDown | Action::HalfPageDown => {
                    d.scroll = d.scroll.saturating_add(page as u16)
                }
                Action::PageUp | Action::HalfPageUp => {
                    d.scroll = d.scroll.saturating_sub(page as u16)
                }
                _ => return None,
            }
            return Some(Vec::new());
        }
        let len = self.view.as_ref().map_or(0, |v| v.rows.len());
        if action == Action::Open {
            let (e, _) = self.view.as_ref()?.rows.get(self.selected)?;
            self.detail = Some(Detail {
                endpoint_id: e.id,
                checks: None,
                scroll: 0,
            });
            return Some(vec![Msg::LoadEndpointChecks { endpoint_id: e.id }]);
        }
        let target = list_move(action, self.selected, len, page)?;
        self.selected = target;
        Some(Vec::new())
    }

    /// The line that says probing is off, and how to turn it on.
    fn probing_off(&self) -> Option<String> {
        let p = self.probing.as_ref().filter(|p| !p.on)?;
        let name = crate::text::line(&p.watch).into_owned();
        if !p.describes {
            // A page or a catalog lists no endpoints: nothing to turn on.
            return (p.endpoints == 0).then(|| {
                format!(
                    "{name} describes no endpoints (it is not an OpenAPI description). Endpoints \
                     added by hand are checked: `apiradar health {name} --add URL`."
                )
            });
        }
        Some(format!(
            "Probing is off for {name}: the endpoints its description lists are not checked \
             (endpoints added by hand still are). Press e to turn it on, or run \
             `apiradar health {name} --enable-all`."
        ))
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let down = self.view.as_ref().map_or(0, |v| {
            v.rows
                .iter()
                .filter(|(e, _)| e.state == EndpointState::Down)
                .count()
        });
        // Said first: in the wide layout's small pane the title is cut.
        let mut extra = Line::default();
        if self.probing.as_ref().is_some_and(|p| !p.on && p.describes) {
            extra.push_span(Span::styled(
                "probing off (e) ",
                theme.status(WatchStatus::Changed),
            ));
        }
        if down > 0 {
            extra.push_span(Span::styled(
                format!("{down} down"),
                theme.status(WatchStatus::Failing),
            ));
        } else {
            extra.push_span(Span::styled(
                crate::text::line(&self.watch_name).into_owned(),
                theme.dim(),
            ));
        }
        let block = block(PaneId::Health, extra, cx);
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(e) = &self.error {
            f.render_widget(
                Paragraph::new(format!("cannot read endpoint health: {e}"))
                    .style(theme.level(crate::diff::Level::Error))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        let rows = self.view.as_ref().map(|v| v.rows.as_slice()).unwrap_or(&[]);
        if let Some(d) = &self.detail
            && let Some((e, stats)) = rows.iter().find(|(e, _)| e.id == d.endpoint_id)
        {
            let lines = detail_lines(e, stats, d.checks.as_ref(), cx.now, theme);
            f.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((d.scroll, 0)),
                inner,
            );
            return;
        }
        let off = self.probing_off();
        let mut inner = inner;
        if let Some(off) = &off
            && !rows.is_empty()
            && inner.height > 6
        {
            let needed = (off.chars().count() as u16)
                .div_ceil(inner.width.max(1))
                .min(3);
            f.render_widget(
                Paragraph::new(off.as_str())
                    .style(theme.status(WatchStatus::Changed))
                    .wrap(Wrap { trim: true }),
                Rect::new(inner.x, inner.y, inner.width, needed),
            );
            inner = Rect::new(
                inner.x,
                inner.y + needed,
                inner.width,
                inner.height - needed,
            );
        }
        if rows.is_empty() {
            let text = match (self.watch_id, off) {
                (None, _) => "Select a watch to see its endpoints.".to_string(),
                (Some(_), Some(off)) => off,
                (Some(_), None) => format!(
                    "No endpoints probed for {} yet. OpenAPI watches get theirs from their latest \
                     version (GET and HEAD operations whose required parameters have examples), \
                     checked every 5 minutes while apiradar runs; `apiradar health {} --add URL` \
                     adds one by hand.",
                    self.watch_name, self.watch_name
                ),
            };
            f.render_widget(
                Paragraph::new(text)
                    .style(theme.dim())
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        // Columns by the room there is: everything from 90 columns, no p99
        // from 60, just state, endpoint, sparkline and uptime below.
        let wide = inner.width >= 90;
        let narrow = inner.width < 60;
        // Very narrow (the wide layout's corner): the path gets the room,
        // the sparkline goes.
        let tiny = inner.width < 40;
        let spark_width = if wide {
            // The path keeps 40 columns before the sparkline grows past
            // 12 checks: state, uptime, drift, percentiles and spacing
            // take 46.
            usize::from(inner.width)
                .saturating_sub(46 + 40)
                .clamp(12, 30)
        } else if tiny {
            0
        } else if narrow {
            8
        } else {
            12
        };
        let table_rows: Vec<Row> = rows
            .iter()
            .map(|(e, stats): &(_, EndpointStats)| {
                let style = theme.status(state_style(e.state));
                // The path as described, else the URL's path and query (the
                // whole URL shows below for the selected endpoint).
                let what = e.path.clone().unwrap_or_else(|| {
                    url::Url::parse(&e.url)
                        .map(|u| match u.query() {
                            Some(q) => format!("{}?{q}", u.path()),
                            None => u.path().to_string(),
                        })
                        .unwrap_or_else(|_| e.url.clone())
                });
                let recent = &stats.recent[stats.recent.len().saturating_sub(spark_width)..];
                let state = if narrow {
                    state_icon(e.state).to_string()
                } else {
                    format!("{} {}", state_icon(e.state), e.state)
                };
                // Why it is down or degraded, on the row itself.
                let reason = match e.state {
                    EndpointState::Down | EndpointState::Degraded | EndpointState::Warn => {
                        stats.last.as_ref().map(last_check)
                    }
                    _ => None,
                };
                let endpoint = match reason {
                    Some(r) => Line::from(vec![
                        Span::raw(format!("{} {} ", e.method, crate::text::line(&what))),
                        Span::styled(format!("· {}", crate::text::line(&r)), style),
                    ]),
                    None => Line::from(format!("{} {}", e.method, crate::text::line(&what))),
                };
                let mut cells = vec![
                    Cell::from(state).style(style),
                    Cell::from(endpoint),
                    Cell::from(sparkline(recent, theme)),
                    Cell::from(
                        stats
                            .uptime_24h
                            .map_or("–".into(), |u| format!("{:.1}%", u * 100.0)),
                    ),
                ];
                if !narrow {
                    cells.push(drift_cell(self.view.as_ref(), e, theme));
                    cells.push(Cell::from(ms(stats.p50_ms)).style(theme.dim()));
                    cells.push(Cell::from(ms(stats.p95_ms)).style(theme.dim()));
                }
                if wide {
                    cells.push(Cell::from(ms(stats.p99_ms)).style(theme.dim()));
                }
                Row::new(cells)
            })
            .collect();
        let mut widths = vec![
            Constraint::Length(if narrow { 1 } else { 10 }),
            Constraint::Fill(1),
            Constraint::Length(spark_width as u16),
            Constraint::Length(if tiny { 6 } else { 7 }),
        ];
        let mut header = vec![
            if narrow { "" } else { "state" },
            "endpoint",
            "latency",
            "up 24h",
        ];
        if !narrow {
            widths.extend([
                Constraint::Length(6),
                Constraint::Length(5),
                Constraint::Length(5),
            ]);
            header.extend(["drift", "p50", "p95"]);
        }
        if wide {
            widths.push(Constraint::Length(5));
            header.push("p99");
        }
        let table = Table::new(table_rows, widths)
            .header(Row::new(header).style(theme.dim()))
            .row_highlight_style(theme.selection(cx.focused))
            .column_spacing(1);
        // The watch's latest alerts under the endpoints, when there is room.
        let alerts = self
            .view
            .as_ref()
            .map(|v| v.alerts.as_slice())
            .unwrap_or(&[]);
        let spare = (inner.height as usize).saturating_sub(rows.len() + 3);
        // The selected endpoint's open drift first, then alerts.
        let drift_lines = rows
            .get(self.selected)
            .map(|(e, _)| drift_lines(self.view.as_ref(), e, theme))
            .unwrap_or_default();
        let drift_shown = drift_lines.len().min(spare.saturating_sub(1));
        let spare = spare.saturating_sub(if drift_shown > 0 { drift_shown + 1 } else { 0 });
        let shown = alerts.len().min(spare.saturating_sub(1));
        let drift_height = if drift_shown > 0 {
            drift_shown as u16 + 1
        } else {
            0
        };
        let table_area = Rect {
            height: inner.height - drift_height - if shown > 0 { shown as u16 + 1 } else { 0 },
            ..inner
        };
        self.table.select(Some(self.selected));
        f.render_stateful_widget(table, table_area, &mut self.table);
        if drift_shown > 0 {
            let area = Rect {
                y: table_area.bottom(),
                height: drift_height,
                ..inner
            };
            let mut lines = vec![Line::from(Span::styled("drift", theme.dim()))];
            lines.extend(drift_lines.into_iter().take(drift_shown));
            f.render_widget(Paragraph::new(lines), area);
        }
        if shown > 0 {
            let mut lines = vec![Line::from(Span::styled("alerts", theme.dim()))];
            for a in &alerts[..shown] {
                let style = match a.status {
                    OutboxStatus::Sent => theme.dim(),
                    OutboxStatus::Failed => theme.input_error(),
                    OutboxStatus::Pending => theme.status(WatchStatus::Changed),
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{} ", crate::tui::util::date_time(a.created_at)),
                        theme.dim(),
                    ),
                    Span::styled(format!("{:<9} ", a.event), theme.base()),
                    Span::raw(format!("{} ", a.title)),
                    Span::styled(format!("→ {} {}", a.channel, a.status), style),
                ]));
            }
            let area = Rect {
                y: table_area.bottom() + drift_height,
                height: shown as u16 + 1,
                ..inner
            };
            f.render_widget(Paragraph::new(lines), area);
        }
        // The selected endpoint's URL, in full, and its latest check, at
        // the bottom when room.
        if let Some((e, stats)) = rows.get(self.selected)
            && table_area.height as usize > rows.len() + 2
        {
            let line = Rect::new(inner.x, table_area.bottom() - 1, inner.width, 1);
            let mut text = e.url.clone();
            if let Some(last) = &stats.last {
                text.push_str(" · last: ");
                text.push_str(&last_check(last));
            }
            if e.consecutive_failures > 0 {
                text.push_str(&format!(
                    " · down {} checks in a row",
                    e.consecutive_failures
                ));
            }
            f.render_widget(
                Paragraph::new(fit(&text, inner.width as usize)).style(theme.dim()),
                line,
            );
        }
    }
}

/// The detail view of an endpoint: what it is, why it is in its state,
/// its figures, the classes of its recent errors and its latest checks.
fn detail_lines<'a>(
    e: &Endpoint,
    stats: &EndpointStats,
    checks: Option<&Result<Vec<Check>, String>>,
    now: i64,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let clean = |s: &str| crate::text::line(s).into_owned();
    let style = theme.status(state_style(e.state));
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", e.method), theme.title(true)),
            Span::raw(clean(&e.url)),
        ]),
        Line::from(vec![
            Span::styled(format!("{} {}", state_icon(e.state), e.state), style),
            Span::styled(
                format!(
                    " · {} · {}",
                    if e.source == "manual" {
                        "added by hand"
                    } else {
                        "from the description"
                    },
                    if e.enabled { "on" } else { "turned off" }
                ),
                theme.dim(),
            ),
        ]),
    ];
    if e.consecutive_failures > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "failing: {} in a row",
                crate::text::plural(u64::from(e.consecutive_failures), "check", "checks")
            ),
            style,
        )));
    }
    if let Some(last) = &stats.last {
        lines.push(Line::from(vec![
            Span::styled("last check ", theme.dim()),
            Span::raw(format!(
                "{}: {}",
                crate::tui::util::ago(now, last.at),
                clean(&last_check(last))
            )),
        ]));
        if let Some(err) = &last.error {
            for l in err.lines().skip(1).take(4) {
                lines.push(Line::from(Span::styled(
                    format!("  {}", clean(l)),
                    theme.dim(),
                )));
            }
        }
    }
    let pct = |u: Option<f64>| u.map_or("–".into(), |u| format!("{:.1}%", u * 100.0));
    lines.push(Line::from(format!(
        "uptime 24h {} · 7d {} · 30d {} ({} in 24h)",
        pct(stats.uptime_24h),
        pct(stats.uptime_7d),
        pct(stats.uptime_30d),
        crate::text::plural(stats.checks_24h.max(0) as u64, "check", "checks")
    )));
    lines.push(Line::from(format!(
        "latency p50 {} · p95 {} · p99 {} ms",
        ms(stats.p50_ms),
        ms(stats.p95_ms),
        ms(stats.p99_ms)
    )));
    if !e.conditions.is_empty() {
        lines.push(Line::from(format!(
            "conditions: {}",
            clean(&e.conditions.join(", "))
        )));
    }
    lines.push(Line::default());
    match checks {
        None => lines.push(Line::from(Span::styled("loading its checks…", theme.dim()))),
        Some(Err(err)) => lines.push(Line::from(Span::styled(
            format!("cannot read its checks: {}", clean(err)),
            theme.input_error(),
        ))),
        Some(Ok(checks)) if checks.is_empty() => {
            lines.push(Line::from(Span::styled("not checked yet", theme.dim())))
        }
        Some(Ok(checks)) => {
            // Error classes: the failed checks grouped by what went wrong.
            let mut classes: Vec<(String, usize)> = Vec::new();
            for c in checks.iter().filter(|c| c.outcome != CheckOutcome::Up) {
                let class = match (&c.error, c.http_status) {
                    (Some(err), _) => err.lines().next().unwrap_or("").to_string(),
                    (None, Some(status)) => format!("HTTP {status}"),
                    (None, None) => c.outcome.to_string(),
                };
                match classes.iter_mut().find(|(k, _)| *k == class) {
                    Some((_, n)) => *n += 1,
                    None => classes.push((class, 1)),
                }
            }
            if !classes.is_empty() {
                lines.push(Line::from(Span::styled(
                    format!("what went wrong in the last {}", checks.len()),
                    theme.title(true),
                )));
                for (class, n) in classes {
                    lines.push(Line::from(format!("  {n}× {}", clean(&class))));
                }
            }
            lines.push(Line::from(Span::styled("latest checks", theme.title(true))));
            for c in checks {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {} ", crate::tui::util::date_time(c.at)),
                        theme.dim(),
                    ),
                    Span::styled(
                        format!("{:<9}", c.outcome.to_string()),
                        theme.status(match c.outcome {
                            CheckOutcome::Up => WatchStatus::Ok,
                            CheckOutcome::Down => WatchStatus::Failing,
                            _ => WatchStatus::Changed,
                        }),
                    ),
                    Span::raw(format!(" {}", clean(&last_check(c)))),
                ]));
            }
        }
    }
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(
        "Esc back · y copies the method and URL",
        theme.dim(),
    )));
    lines
}

/// The open drift of an endpoint's operation (described endpoints only).
fn endpoint_drift<'a>(
    view: Option<&'a HealthView>,
    e: &crate::store::health::Endpoint,
) -> Vec<&'a crate::store::drift::DriftRow> {
    let (Some(view), Some(path)) = (view, &e.path) else {
        return Vec::new();
    };
    let op = format!("{} {path}", e.method);
    view.drift.iter().filter(|d| d.operation == op).collect()
}

/// The drift column: `2E 1W` (errors, warnings; infos when nothing
/// else), `–` without open drift.
fn drift_cell<'a>(
    view: Option<&HealthView>,
    e: &crate::store::health::Endpoint,
    theme: &Theme,
) -> Cell<'a> {
    let rows = endpoint_drift(view, e);
    let n = |l: &str| rows.iter().filter(|d| d.level == l).count();
    let (errors, warnings, infos) = (n("error"), n("warning"), n("info"));
    let text = match (errors, warnings) {
        (0, 0) if infos > 0 => format!("{infos}I"),
        (0, 0) => return Cell::from("–").style(theme.dim()),
        (0, w) => format!("{w}W"),
        (e, 0) => format!("{e}E"),
        (e, w) => format!("{e}E {w}W"),
    };
    let level = if errors > 0 {
        crate::diff::Level::Error
    } else if warnings > 0 {
        crate::diff::Level::Warning
    } else {
        crate::diff::Level::Info
    };
    Cell::from(text).style(theme.level(level))
}

/// One line per open drift of the endpoint: level, id, where, what, the
/// sample and how often (third-party text, escaped).
fn drift_lines(
    view: Option<&HealthView>,
    e: &crate::store::health::Endpoint,
    theme: &Theme,
) -> Vec<Line<'static>> {
    use crate::text::line;
    endpoint_drift(view, e)
        .into_iter()
        .map(|d| {
            let level = d
                .level
                .parse::<crate::diff::Level>()
                .unwrap_or(crate::diff::Level::Info);
            let sample = d
                .sample
                .as_deref()
                .map(|s| format!(" seen {}", line(s)))
                .unwrap_or_default();
            Line::from(vec![
                Span::styled(format!("{:<7} ", d.level), theme.level(level)),
                Span::styled(format!("{} ", line(&d.check_id)), theme.dim()),
                Span::raw(format!("{}{sample} ×{}", line(&d.message), d.count)),
            ])
        })
        .collect()
}

/// The latest check in a few words: status and timings, or its error.
fn last_check(c: &crate::store::health::Check) -> String {
    if let Some(error) = c
        .error
        .as_deref()
        .filter(|_| c.outcome == CheckOutcome::Down)
    {
        return error.lines().next().unwrap_or("").to_string();
    }
    let mut text = c
        .http_status
        .map_or_else(|| c.outcome.to_string(), |s| s.to_string());
    if let Some(ms) = c.latency_ms {
        text.push_str(&format!(" in {ms} ms"));
    }
    let parts: Vec<String> = [("connect", c.connect_ms), ("first byte", c.ttfb_ms)]
        .into_iter()
        .filter_map(|(what, ms)| ms.map(|ms| format!("{what} {ms} ms")))
        .collect();
    if !parts.is_empty() {
        text.push_str(&format!(" ({})", parts.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::health::Check;

    /// A page or catalog watch has no description of endpoints: the pane
    /// does not offer to turn probing on for it.
    #[test]
    fn probing_is_offered_only_for_descriptions() {
        let state = |describes: bool| crate::app::health::ProbingState {
            watch_id: 1,
            watch: "changelog".into(),
            on: false,
            endpoints: 0,
            hosts: Vec::new(),
            discovery_error: None,
            describes,
        };
        let mut pane = HealthPane {
            probing: Some(state(true)),
            ..HealthPane::default()
        };
        assert!(pane.probing_off().is_some_and(|m| m.contains("Press e")));
        pane.probing = Some(state(false));
        let said = pane.probing_off().expect("said");
        assert!(said.contains("describes no endpoints"), "{said}");
        assert!(!said.contains("Press e"), "{said}");
    }

    #[test]
    fn the_latest_check_reads_as_status_and_timings_or_its_error() {
        let up = Check {
            at: 0,
            outcome: CheckOutcome::Degraded,
            http_status: Some(200),
            latency_ms: Some(1201),
            cert_days: None,
            error: None,
            connect_ms: Some(3),
            ttfb_ms: Some(1200),
        };
        assert_eq!(
            last_check(&up),
            "200 in 1201 ms (connect 3 ms, first byte 1200 ms)"
        );
        let reused = Check {
            connect_ms: None,
            ..up.clone()
        };
        assert_eq!(last_check(&reused), "200 in 1201 ms (first byte 1200 ms)");
        let down = Check {
            outcome: CheckOutcome::Down,
            http_status: None,
            error: Some("connection refused\nmore".into()),
            ..up
        };
        assert_eq!(last_check(&down), "connection refused");
    }
}
