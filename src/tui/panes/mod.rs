//! The dashboard's panes. Each owns its state, turns the actions it
//! understands into changes of that state (and [`Msg`]s for the app when
//! another pane or the loader must follow), and draws itself.

pub mod alerts;
pub mod caching;
pub mod catalog;
pub mod diff;
pub mod health;
pub mod timeline;
pub mod watches;

use super::data::PairRequest;
use super::keymap::Context;
use super::theme::Theme;

/// The five panes, in `Tab` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Watches,
    Timeline,
    Diff,
    Health,
    Caching,
}

impl PaneId {
    pub const ALL: [PaneId; 5] = [
        PaneId::Watches,
        PaneId::Timeline,
        PaneId::Diff,
        PaneId::Health,
        PaneId::Caching,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneId::Watches => "Watched APIs",
            PaneId::Timeline => "Timeline",
            PaneId::Diff => "Diff",
            PaneId::Health => "Endpoint health",
            PaneId::Caching => "Caching tests",
        }
    }

    /// The number key that focuses it.
    pub fn number(self) -> u8 {
        match self {
            PaneId::Watches => 1,
            PaneId::Timeline => 2,
            PaneId::Diff => 3,
            PaneId::Health => 4,
            PaneId::Caching => 5,
        }
    }

    pub fn from_number(n: u8) -> Option<PaneId> {
        PaneId::ALL.into_iter().find(|p| p.number() == n)
    }

    pub fn context(self) -> Context {
        match self {
            PaneId::Watches => Context::Watches,
            PaneId::Timeline => Context::Timeline,
            PaneId::Diff => Context::Diff,
            PaneId::Health => Context::Health,
            PaneId::Caching => Context::Caching,
        }
    }

    pub fn next(self, forward: bool) -> PaneId {
        let i = PaneId::ALL.iter().position(|p| *p == self).unwrap_or(0);
        let n = PaneId::ALL.len();
        PaneId::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// What a pane asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The selected watch changed (its timeline should load).
    WatchSelected(Option<i64>),
    /// Show these two versions side by side.
    OpenPair(PairRequest),
    Focus(PaneId),
    /// A line for the status bar; `true` for an error.
    Status(String, bool),
    /// Reload the caching pane's targets and runs.
    LoadCaching,
    /// Load the requests of one stored caching test.
    LoadCacheRequests {
        target: String,
        result_id: i64,
    },
    /// Load the latest checks of one endpoint (the health pane's detail).
    LoadEndpointChecks {
        endpoint_id: i64,
    },
    /// Ask to confirm a run of a caching target's models now (all of them
    /// when `models` is empty).
    AskCacheRun {
        target: String,
        models: Vec<String>,
    },
    /// Copy text to the clipboard: what it is (`curl command`), the text.
    Copy(&'static str, String),
    /// Run a caching target's models now, as confirmed.
    RunCacheTest {
        target: String,
        models: Vec<String>,
        force: bool,
    },
    /// Load one catalog item's history across every stored version.
    LoadCatalogHistory {
        watch: String,
        id: String,
    },
    /// Find where finding `index` of the pair shown is, then jump there.
    Locate {
        index: usize,
        base_pointer: Option<String>,
        rev_pointer: Option<String>,
    },
}

/// What panes draw with.
pub struct DrawCx<'a> {
    pub theme: &'a Theme,
    /// Unix ms, from the app's clock (fixed in tests).
    pub now: i64,
    pub focused: bool,
}

/// A block with the pane's number and title, styled for focus.
pub fn block<'a>(
    id: PaneId,
    extra: impl Into<ratatui::text::Line<'a>>,
    cx: &DrawCx<'_>,
) -> ratatui::widgets::Block<'a> {
    use ratatui::text::{Line, Span};
    use ratatui::widgets::{Block, BorderType};
    let mut title = vec![Span::styled(
        format!(" {} {} ", id.number(), id.title()),
        cx.theme.title(cx.focused),
    )];
    let extra: Line<'a> = extra.into();
    if !extra.spans.is_empty() {
        title.extend(extra.spans);
        title.push(Span::raw(" "));
    }
    Block::bordered()
        .border_type(if cx.focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(cx.theme.border(cx.focused))
        .style(cx.theme.base())
        .title(Line::from(title))
}

/// Draws the frame of a view over the panes (the catalog, the alert
/// history) with `title`; the area inside it, or `None` when there is no
/// room to draw in.
pub fn overlay_frame(
    f: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    theme: &Theme,
    title: ratatui::text::Line<'_>,
) -> Option<ratatui::layout::Rect> {
    use ratatui::widgets::{Block, BorderType};
    let block = Block::bordered()
        .border_type(BorderType::Thick)
        .border_style(theme.border(true))
        .style(theme.base())
        .title(title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    (inner.width > 0 && inner.height > 0).then_some(inner)
}

/// A list filter: case-insensitive substring match on any of `fields`.
pub fn matches(filter: &str, fields: &[&str]) -> bool {
    if filter.is_empty() {
        return true;
    }
    let needle = filter.to_lowercase();
    fields.iter().any(|f| f.to_lowercase().contains(&needle))
}
