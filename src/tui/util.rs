//! Small helpers the panes share: times, sizes, list selection.

use ratatui::layout::{Constraint, Flex, Layout, Rect};

/// `3m ago`, `2h ago`, `5d ago` for a past time; `just now` under 10 s.
pub fn ago(now_ms: i64, then_ms: i64) -> String {
    let secs = (now_ms - then_ms).max(0) / 1000;
    if secs < 10 {
        "just now".into()
    } else {
        format!("{} ago", span(secs))
    }
}

/// `in 3m` for a future time, `due` when it has passed.
pub fn until(now_ms: i64, then_ms: i64) -> String {
    let secs = (then_ms - now_ms) / 1000;
    if secs <= 0 {
        "due".into()
    } else {
        format!("in {}", span(secs))
    }
}

/// A duration in seconds in its largest sensible unit.
pub fn span(secs: i64) -> String {
    crate::text::span(secs.max(0).unsigned_abs())
}

/// A local-free, fixed date and time (UTC) for lists: `2026-11-21 14:03`.
pub fn date_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "?".into())
}

/// A selection in a list of `len` rows moved by `delta`, clamped.
pub fn moved(selected: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    let target = selected as isize + delta;
    target.clamp(0, len as isize - 1) as usize
}

/// Where a list selection at `at` of `len` rows goes for a movement key
/// (`page` rows to a page); `None` for other actions.
pub fn list_move(
    action: crate::tui::keymap::Action,
    at: usize,
    len: usize,
    page: usize,
) -> Option<usize> {
    use crate::tui::keymap::Action;
    let page = page as isize;
    Some(match action {
        Action::Up => moved(at, len, -1),
        Action::Down => moved(at, len, 1),
        Action::Top => 0,
        Action::Bottom => len.saturating_sub(1),
        Action::PageUp => moved(at, len, -page),
        Action::PageDown => moved(at, len, page),
        Action::HalfPageUp => moved(at, len, -(page / 2).max(1)),
        Action::HalfPageDown => moved(at, len, (page / 2).max(1)),
        _ => return None,
    })
}

/// A rectangle of `width` × `height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(height.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [cell] = Layout::horizontal([Constraint::Length(width.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    cell
}

/// Cuts `s` to at most `width` characters, ending in `…` when cut.
pub fn fit(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_naturally() {
        assert_eq!(ago(100_000, 95_000), "just now");
        assert_eq!(ago(4_000_000, 400_000), "1h ago");
        assert_eq!(until(0, 90_000), "in 1m");
        assert_eq!(until(10, 0), "due");
        assert_eq!(date_time(0), "1970-01-01 00:00");
    }

    #[test]
    fn selections_and_text_stay_in_bounds() {
        assert_eq!(moved(0, 0, 5), 0);
        assert_eq!(moved(3, 5, 10), 4);
        assert_eq!(moved(3, 5, -10), 0);
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(fit("abc", 0), "");
        let r = centered(Rect::new(0, 0, 10, 4), 20, 2);
        assert_eq!((r.width, r.height), (10, 2));
    }
}
