//! Panes 4 and 5, endpoint health and caching tests. Neither kind of check
//! exists in this build yet, so both say so and how they will be turned
//! on, rather than showing numbers nobody measured.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{DrawCx, PaneId, block};

/// Draws the honest empty state of `id` (Health or Caching) for the
/// selected watch.
pub fn draw(f: &mut Frame, area: Rect, id: PaneId, watch: Option<&str>, cx: &DrawCx<'_>) {
    let theme = cx.theme;
    let block = block(id, Line::default(), cx);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines: Vec<Line> = match id {
        PaneId::Health => vec![
            Line::from(Span::styled(
                match watch {
                    Some(w) => format!("No endpoint checks for {w}."),
                    None => "No endpoint checks.".to_string(),
                },
                theme.base(),
            )),
            Line::from(Span::styled(
                "This build does not probe endpoints yet: nothing here is measured. \
                 When it does, `apiradar health NAME` will run the checks and this pane \
                 will show status, latency and uptime per endpoint.",
                theme.dim(),
            )),
        ],
        _ => vec![
            Line::from(Span::styled("No caching tests recorded.", theme.base())),
            Line::from(Span::styled(
                "This build does not run prompt-caching tests yet. When it does, \
                 `apiradar cache add NAME --base-url URL --model M` will set them up and \
                 this pane will show hit-rate sparklines per provider and model.",
                theme.dim(),
            )),
        ],
    };
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
