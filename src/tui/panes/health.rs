//! Pane 4: the endpoints of the selected watch, each with its state, last
//! status, a sparkline of its recent latencies (gaps where it was down),
//! uptime over 24 hours and latency percentiles.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState, Wrap};

use super::{DrawCx, Msg, PaneId, block};
use crate::store::alerts::OutboxStatus;
use crate::store::health::{CheckOutcome, EndpointState, EndpointStats};
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

    pub fn handle(&mut self, action: Action, page: usize) -> Option<Vec<Msg>> {
        let len = self.view.as_ref().map_or(0, |v| v.rows.len());
        let target = list_move(action, self.selected, len, page)?;
        self.selected = target;
        Some(Vec::new())
    }

    pub fn draw(&mut self, f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
        let theme = cx.theme;
        let down = self.view.as_ref().map_or(0, |v| {
            v.rows
                .iter()
                .filter(|(e, _)| e.state == EndpointState::Down)
                .count()
        });
        let extra = if down > 0 {
            Line::from(Span::styled(
                format!("{down} down"),
                theme.status(WatchStatus::Failing),
            ))
        } else {
            Line::from(Span::styled(self.watch_name.clone(), theme.dim()))
        };
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
        if rows.is_empty() {
            let text = match self.watch_id {
                None => "Select a watch to see its endpoints.".to_string(),
                Some(_) => format!(
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
        let spark_width = if wide {
            30
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
                let mut cells = vec![
                    Cell::from(state).style(style),
                    Cell::from(format!("{} {}", e.method, what)),
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
            Constraint::Length(7),
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
