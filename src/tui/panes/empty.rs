//! Pane 5, caching tests. They do not exist in this build yet, so the
//! pane says so and how they will be turned on, rather than showing
//! numbers nobody measured.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{DrawCx, PaneId, block};

/// Draws the honest empty state of the caching pane.
pub fn draw_caching(f: &mut Frame, area: Rect, cx: &DrawCx<'_>) {
    let theme = cx.theme;
    let block = block(PaneId::Caching, Line::default(), cx);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines = vec![
        Line::from(Span::styled("No caching tests recorded.", theme.base())),
        Line::from(Span::styled(
            "This build does not run prompt-caching tests yet. When it does, \
             `apiradar cache add NAME --base-url URL --model M` will set them up and \
             this pane will show hit-rate sparklines per provider and model.",
            theme.dim(),
        )),
    ];
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}
