//! The widget: two panes side by side, drawing only the rows on screen.
//!
//! Each pane is `[number][mark] [text]`: the line number right-aligned in
//! the width of the side's largest number (plus one column of padding when
//! there is room), a one-column mark (`-` removed, `+` added, `~` changed),
//! a space, then the text, syntax-highlighted, tabs expanded, cut at the
//! pane's edge with `›` (and `‹` when scrolled sideways). Styles are layered
//! text < row background < syntax colour < changed-word emphasis < cursor.

use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::StatefulWidget;

use super::{Column, DiffModel, Highlighter, RowKind, changed_ranges};

/// Columns per tab stop.
const TAB_WIDTH: usize = 4;

/// Drawn in place of control characters.
const CONTROL_GLYPH: char = '\u{FFFD}';

/// Styles the caller passes in (from the theme). All plain ratatui styles;
/// the widget patches them onto each other, so a style that sets only a
/// background keeps the syntax colours visible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DiffStyles {
    /// Unchanged text, and the base of every other text style.
    pub text: Style,
    pub line_number: Style,
    /// The `-`/`+`/`~` marks, the pane separator and the cut markers.
    pub gutter: Style,
    /// Line backgrounds of added/removed rows (both sides of changed rows).
    pub added: Style,
    pub removed: Style,
    /// The changed spans inside a changed pair.
    pub added_emph: Style,
    pub removed_emph: Style,
    /// The empty side of an added/removed row.
    pub filler: Style,
    /// Patched onto the cursor row when the view is focused.
    pub cursor: Style,
    /// Patched onto the cursor row's numbers and mark: what the eye finds.
    pub cursor_mark: Style,
    /// Patched onto text matching the search.
    pub search_match: Style,
    /// The message shown when there is nothing to show.
    pub header: Style,
}

/// Scroll and cursor position; remembers the last drawn height for the page
/// maths. Positions are rows of the [`DiffModel`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiffViewState {
    /// The selected row.
    pub cursor: usize,
    /// The first row on screen.
    pub top: usize,
    /// Display columns hidden on the left of both panes (horizontal scroll).
    pub left_col: usize,
    /// Height of the last drawn area (0 until drawn).
    height: usize,
    /// Text columns of a pane in the last frame (0 until drawn).
    text_width: usize,
}

impl DiffViewState {
    /// Height of the last drawn view, in rows (0 before the first draw).
    pub fn last_height(&self) -> usize {
        self.height
    }

    /// Moves the cursor by `delta` rows, scrolling as needed.
    pub fn move_by(&mut self, model: &DiffModel, delta: isize) {
        self.cursor = self.cursor.saturating_add_signed(delta);
        self.follow(model.rows());
    }

    /// Scrolls a full page down or up, the cursor moving along.
    pub fn page(&mut self, model: &DiffModel, down: bool) {
        self.scroll(model, self.height.max(1), down);
    }

    /// Scrolls half a page (Ctrl-d / Ctrl-u).
    pub fn half_page(&mut self, model: &DiffModel, down: bool) {
        self.scroll(model, (self.height / 2).max(1), down);
    }

    /// First row.
    pub fn to_start(&mut self) {
        self.cursor = 0;
        self.top = 0;
    }

    /// Last row, at the bottom of the view.
    pub fn to_end(&mut self, model: &DiffModel) {
        self.cursor = model.rows().saturating_sub(1);
        self.top = model.rows().saturating_sub(self.height.max(1));
        self.follow(model.rows());
    }

    /// Cursor to the start of the next change block, centred. Returns false
    /// (and stays) when there is none after the cursor.
    pub fn next_change(&mut self, model: &DiffModel) -> bool {
        match model.next_hunk(self.cursor) {
            Some(row) => {
                self.jump_to_row(model, row);
                true
            }
            None => false,
        }
    }

    /// Cursor to the start of the current change block if inside one, else of
    /// the previous one, centred. Returns false (and stays) when there is
    /// none before the cursor.
    pub fn prev_change(&mut self, model: &DiffModel) -> bool {
        match model.prev_hunk(self.cursor) {
            Some(row) => {
                self.jump_to_row(model, row);
                true
            }
            None => false,
        }
    }

    /// Cursor to `row` (clamped), centred in the view as far as the ends
    /// allow.
    pub fn jump_to_row(&mut self, model: &DiffModel, row: usize) {
        self.cursor = row.min(model.rows().saturating_sub(1));
        self.top = self.cursor.saturating_sub(self.height / 2);
        self.follow(model.rows());
    }

    /// Scrolls sideways by `delta` columns (clamped to the visible lines when
    /// drawn).
    pub fn scroll_x(&mut self, delta: isize) {
        self.left_col = self.left_col.saturating_add_signed(delta);
    }

    /// Text columns of one pane in the last frame (0 before the first draw).
    pub fn text_width(&self) -> usize {
        self.text_width
    }

    /// Scrolls sideways so that the end of the cursor row's longer line is
    /// at the right edge.
    pub fn to_line_end(&mut self, model: &DiffModel) {
        let Some(row) = model.row(self.cursor) else {
            return;
        };
        let longest = [(Column::Left, row.left), (Column::Right, row.right)]
            .into_iter()
            .filter_map(|(side, line)| model.line(side, line?))
            .map(display_width)
            .max()
            .unwrap_or(0);
        self.left_col = longest.saturating_sub(self.text_width.max(1));
    }

    fn scroll(&mut self, model: &DiffModel, amount: usize, down: bool) {
        if down {
            self.cursor = self.cursor.saturating_add(amount);
            self.top = self.top.saturating_add(amount);
        } else {
            self.cursor = self.cursor.saturating_sub(amount);
            self.top = self.top.saturating_sub(amount);
        }
        self.follow(model.rows());
    }

    /// Clamps the cursor to the rows and `top` so that the cursor is on
    /// screen and the view does not scroll past the last row.
    fn follow(&mut self, rows: usize) {
        if rows == 0 {
            self.cursor = 0;
            self.top = 0;
            return;
        }
        let height = self.height.max(1);
        self.cursor = self.cursor.min(rows - 1);
        if self.cursor < self.top {
            self.top = self.cursor;
        } else if self.cursor >= self.top + height {
            self.top = self.cursor + 1 - height;
        }
        self.top = self.top.min(rows.saturating_sub(height));
    }
}

/// How the rows are laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewOptions {
    /// One column, the older line above the newer one (`-`/`+`), both line
    /// numbers in the gutter; for narrow terminals.
    pub unified: bool,
    /// Long lines continue on the next screen lines instead of being cut;
    /// sideways scrolling is then moot.
    pub wrap: bool,
}

/// The diff widget, side by side or unified. Draws only the rows on screen;
/// highlights only their lines (see [`Highlighter::prepare`]).
pub struct DiffView<'a> {
    pub model: &'a DiffModel,
    pub highlighter: &'a Highlighter,
    pub styles: &'a DiffStyles,
    pub focused: bool,
    pub options: ViewOptions,
    /// Text to mark wherever it occurs (ASCII case-insensitive); empty for
    /// none.
    pub search: &'a str,
}

/// The most screen lines one line of text may take when wrapped; the rest
/// of a longer line is reached by turning wrapping off and scrolling.
const MAX_WRAPPED: usize = 500;

/// A line-number field of a pane.
#[derive(Debug, Clone, Copy)]
struct NumberField {
    side: Column,
    x: u16,
    width: u16,
}

/// Where one pane's columns are: number fields, a mark, then the text.
#[derive(Debug, Clone, Copy)]
struct Pane {
    x: u16,
    width: u16,
    fields: [Option<NumberField>; 2],
    /// The gutter between the numbers and the text: a space when there is
    /// room, the mark (`-`, `+`, `~`), a space.
    gutter_x: u16,
    mark_x: Option<u16>,
    text_x: u16,
    text_width: u16,
}

impl Pane {
    /// One side of a side-by-side view: `digits` wide numbers, the mark and
    /// a space when there is room for a few text columns, clipped to `width`.
    fn split(side: Column, x: u16, width: u16, digits: u16) -> Pane {
        let number = digits.min(width);
        let rest = width - number;
        let gutter = if rest >= 3 + 4 { 3 } else { rest.min(1) };
        Pane {
            x,
            width,
            fields: [
                (number > 0).then_some(NumberField {
                    side,
                    x,
                    width: number,
                }),
                None,
            ],
            gutter_x: x + number,
            mark_x: (gutter > 0).then_some(x + number + u16::from(gutter == 3)),
            text_x: x + number + gutter,
            text_width: rest - gutter,
        }
    }

    /// The unified view: both numbers (older, newer), the mark, a space.
    fn unified(x: u16, width: u16, digits: [u16; 2]) -> Pane {
        let [l, r] = digits;
        let full = l + 1 + r + 3;
        if width < full + 4 {
            // Too narrow for both numbers: the text alone, with its mark.
            let mark = width.min(2);
            return Pane {
                x,
                width,
                fields: [None, None],
                gutter_x: x,
                mark_x: (mark > 0).then_some(x),
                text_x: x + mark,
                text_width: width - mark,
            };
        }
        Pane {
            x,
            width,
            fields: [
                Some(NumberField {
                    side: Column::Left,
                    x,
                    width: l,
                }),
                Some(NumberField {
                    side: Column::Right,
                    x: x + l + 1,
                    width: r,
                }),
            ],
            gutter_x: x + l + 1 + r,
            mark_x: Some(x + l + 1 + r + 1),
            text_x: x + full,
            text_width: width - full,
        }
    }
}

/// Decimal digits of `n`.
fn digits(mut n: usize) -> usize {
    let mut d = 1;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// One line of text to draw in a pane, with what surrounds it.
#[derive(Debug, Clone, Copy)]
struct Segment<'t> {
    /// The side the text comes from.
    side: Column,
    line: usize,
    text: &'t str,
    kind: RowKind,
    /// The line numbers to print, per side.
    numbers: [Option<usize>; 2],
}

/// The segments of row `r` per pane: one pane per side side by side
/// (`None` is the empty side of an added or removed row), or one list of
/// lines for the unified view.
fn segments(model: &DiffModel, r: usize, unified: bool) -> Vec<Vec<Segment<'_>>> {
    let Some(row) = model.row(r) else {
        return Vec::new();
    };
    let seg = |side: Column, line: usize| {
        let mut numbers = [None, None];
        numbers[side.index()] = Some(line);
        if row.kind == RowKind::Same {
            numbers = [row.left, row.right];
        }
        Segment {
            side,
            line,
            text: model.line(side, line).unwrap_or(""),
            kind: row.kind,
            numbers,
        }
    };
    if unified {
        let list = match (row.kind, row.left, row.right) {
            (RowKind::Same, _, Some(r)) => vec![seg(Column::Right, r)],
            (_, l, r) => l
                .map(|l| seg(Column::Left, l))
                .into_iter()
                .chain(r.map(|r| seg(Column::Right, r)))
                .collect(),
        };
        vec![list]
    } else {
        vec![
            row.left.map(|l| seg(Column::Left, l)).into_iter().collect(),
            row.right
                .map(|r| seg(Column::Right, r))
                .into_iter()
                .collect(),
        ]
    }
}

/// Screen lines a text takes in `width` columns when wrapped.
fn wrapped_lines(text: &str, width: u16) -> usize {
    let width = usize::from(width.max(1));
    display_width(text).div_ceil(width).clamp(1, MAX_WRAPPED)
}

impl DiffView<'_> {
    /// Screen lines row `r` takes.
    fn row_height(&self, r: usize, panes: &[Pane]) -> usize {
        let unified = self.options.unified;
        segments(self.model, r, unified)
            .iter()
            .zip(panes)
            .map(|(list, pane)| {
                let each = |s: &Segment| {
                    if self.options.wrap {
                        wrapped_lines(s.text, pane.text_width)
                    } else {
                        1
                    }
                };
                if unified {
                    list.iter().map(each).sum::<usize>().max(1)
                } else {
                    list.iter().map(each).max().unwrap_or(1)
                }
            })
            .max()
            .unwrap_or(1)
    }
}

impl StatefulWidget for DiffView<'_> {
    type State = DiffViewState;

    fn render(self, area: Rect, buf: &mut Buffer, state: &mut DiffViewState) {
        let area = area.intersection(buf.area);
        state.height = usize::from(area.height);
        let model = self.model;
        let rows = model.rows();
        state.follow(rows);
        if area.is_empty() {
            return;
        }
        let styles = self.styles;
        let unified = self.options.unified;

        if rows == 0 {
            for y in area.top()..area.bottom() {
                fill(buf, area.x, y, area.width, styles.text);
            }
            let message = "both versions are empty";
            let width = Span::raw(message).width().min(usize::from(area.width)) as u16;
            let x = area.x + (area.width - width) / 2;
            let y = area.y + area.height / 2;
            buf.set_stringn(x, y, message, usize::from(width), styles.header);
            return;
        }

        // The gutter is as wide as the largest line number on screen.
        let shown = |top: usize| top..(top + usize::from(area.height)).min(rows);
        let widest = |top: usize| {
            let mut most = [1usize; 2];
            for r in shown(top) {
                if let Some(row) = model.row(r) {
                    for (side, line) in [(0, row.left), (1, row.right)] {
                        if let Some(l) = line {
                            most[side] = most[side].max(l + 1);
                        }
                    }
                }
            }
            most.map(|n| digits(n).min(usize::from(u16::MAX)) as u16)
        };
        let make_panes = |top: usize| -> Vec<Pane> {
            let d = widest(top);
            if unified {
                return vec![Pane::unified(area.x, area.width, d)];
            }
            // Two panes with a one-column separator between them when there is room.
            let separator = area.width >= 3;
            let left_width = if separator {
                (area.width - 1) / 2
            } else {
                area.width / 2
            };
            let right_width = area.width - left_width - u16::from(separator);
            vec![
                Pane::split(Column::Left, area.x, left_width, d[0]),
                Pane::split(
                    Column::Right,
                    area.x + left_width + u16::from(separator),
                    right_width,
                    d[1],
                ),
            ]
        };
        let mut panes = make_panes(state.top);
        // Rows taller than one line (wrapped, or unified changes): move the
        // top down until the cursor's row fits on screen.
        if self.options.wrap || unified {
            let height = usize::from(area.height);
            loop {
                let used: usize = (state.top..=state.cursor.min(rows - 1))
                    .map(|r| self.row_height(r, &panes))
                    .sum();
                if used <= height || state.top >= state.cursor {
                    break;
                }
                state.top += 1;
                panes = make_panes(state.top);
            }
        }
        let text_width = panes.iter().map(|p| p.text_width).max().unwrap_or(0);
        state.text_width = usize::from(text_width);

        // The lines on screen per side (first and last), the longest of them
        // for the horizontal-scroll clamp, then how many bytes of each line
        // fit on screen, so that long lines are highlighted only that far;
        // then one highlighting pass per side over the window.
        let visible = shown(state.top);
        let window = [Column::Left, Column::Right].map(|side| {
            let mut lines = visible.clone().filter_map(|r| {
                let row = model.row(r)?;
                if side == Column::Left {
                    row.left
                } else {
                    row.right
                }
            });
            let first = lines.next()?;
            Some(first..lines.next_back().unwrap_or(first) + 1)
        });
        let longest = [Column::Left, Column::Right]
            .iter()
            .zip(&window)
            .filter_map(|(side, lines)| {
                let lines = lines.clone()?;
                lines
                    .filter_map(|i| model.line(*side, i))
                    .map(display_width)
                    .max()
            })
            .max()
            .unwrap_or(0);
        let left_col = if self.options.wrap {
            0
        } else {
            state.left_col = state
                .left_col
                .min(longest.saturating_sub(usize::from(text_width)));
            state.left_col
        };
        let mut upto = [0usize; 2];
        for ((side, lines), upto) in [Column::Left, Column::Right]
            .iter()
            .zip(&window)
            .zip(&mut upto)
        {
            let Some(lines) = lines.clone() else { continue };
            let columns = if self.options.wrap {
                usize::MAX
            } else {
                left_col + usize::from(text_width)
            };
            *upto = lines
                .clone()
                .filter_map(|i| model.line(*side, i))
                .map(|text| bytes_for_columns(text, columns))
                .max()
                .unwrap_or(0);
            self.highlighter.prepare_upto(model, *side, lines, *upto);
        }

        let separator_x = (!unified && area.width >= 3).then(|| area.x + (area.width - 1) / 2);
        let bottom = area.bottom();
        let mut y = area.y;
        let mut r = state.top;
        while y < bottom {
            if r >= rows {
                fill(buf, area.x, y, area.width, styles.text);
                y += 1;
                continue;
            }
            let height = (self.row_height(r, &panes) as u16).min(bottom - y);
            // Emphasis of the changed words, for changed pairs only.
            let emphasis = match model.row(r) {
                Some(row) if row.kind == RowKind::Changed => {
                    let old = row.left.and_then(|l| model.line(Column::Left, l));
                    let new = row.right.and_then(|l| model.line(Column::Right, l));
                    changed_ranges(old.unwrap_or(""), new.unwrap_or(""))
                }
                _ => (Vec::new(), Vec::new()),
            };
            let cursor = self.focused && r == state.cursor;
            for (list, pane) in segments(model, r, unified).iter().zip(&panes) {
                let mut line_y = y;
                if list.is_empty() {
                    for k in 0..height {
                        fill(buf, pane.x, y + k, pane.width, styles.filler);
                    }
                }
                for (i, seg) in list.iter().enumerate() {
                    let lines = if unified {
                        let own = if self.options.wrap {
                            wrapped_lines(seg.text, pane.text_width) as u16
                        } else {
                            1
                        };
                        own.min(bottom - line_y)
                    } else {
                        height
                    };
                    let emph = match seg.side {
                        Column::Left => &emphasis.0,
                        Column::Right => &emphasis.1,
                    };
                    let upto = upto[seg.side.index()];
                    self.draw_segment(buf, pane, line_y, lines, seg, emph, (left_col, upto));
                    line_y += lines;
                    if line_y >= bottom && i + 1 < list.len() {
                        break;
                    }
                }
            }
            if let Some(x) = separator_x {
                for k in 0..height {
                    if let Some(cell) = buf.cell_mut((x, y + k)) {
                        cell.reset();
                        cell.set_char('│')
                            .set_style(styles.text.patch(styles.gutter));
                    }
                }
            }
            if cursor {
                buf.set_style(Rect::new(area.x, y, area.width, height), styles.cursor);
                // The numbers and mark stand out: the cursor is found at a glance.
                for pane in &panes {
                    for field in pane.fields.iter().flatten() {
                        buf.set_style(
                            Rect::new(field.x, y, field.width, height),
                            styles.cursor_mark,
                        );
                    }
                    if let Some(x) = pane.mark_x {
                        buf.set_style(Rect::new(x, y, 1, height), styles.cursor_mark);
                    }
                }
            }
            y += height.max(1);
            r += 1;
        }
    }
}

impl DiffView<'_> {
    /// One line of text (with its numbers and mark) over `lines` screen
    /// lines: the continuation lines when wrapping, else blanks.
    #[allow(clippy::too_many_arguments)]
    fn draw_segment(
        &self,
        buf: &mut Buffer,
        pane: &Pane,
        y: u16,
        lines: u16,
        seg: &Segment<'_>,
        emph: &[Range<usize>],
        (left_col, upto): (usize, usize),
    ) {
        let styles = self.styles;
        let (row_style, emph_style, mark) = match (seg.kind, seg.side) {
            (RowKind::Same, _) => (Style::default(), Style::default(), ' '),
            (RowKind::Changed, Column::Left) if self.options.unified => {
                (styles.removed, styles.removed_emph, '-')
            }
            (RowKind::Changed, Column::Right) if self.options.unified => {
                (styles.added, styles.added_emph, '+')
            }
            (RowKind::Changed, Column::Left) => (styles.removed, styles.removed_emph, '~'),
            (RowKind::Changed, Column::Right) => (styles.added, styles.added_emph, '~'),
            (RowKind::Removed, _) => (styles.removed, styles.removed_emph, '-'),
            (RowKind::Added, _) => (styles.added, styles.added_emph, '+'),
        };
        let base = styles.text.patch(row_style);
        let number_style = styles.text.patch(styles.line_number);
        let spans = if pane.text_width > 0 {
            self.highlighter
                .line_upto(self.model, seg.side, seg.line, upto)
        } else {
            Vec::new()
        };
        let found = match_ranges(seg.text, self.search);
        let width = usize::from(pane.text_width);
        let total = display_width(seg.text);
        for k in 0..lines {
            let y = y + k;
            // Line numbers, right-aligned, on the first line only.
            for field in pane.fields.iter().flatten() {
                fill(buf, field.x, y, field.width, number_style);
                if k > 0 {
                    continue;
                }
                if let Some(line) = seg.numbers[field.side.index()] {
                    let number = (line + 1).to_string();
                    let w = usize::from(field.width);
                    let x = field.x + w.saturating_sub(number.len()) as u16;
                    buf.set_stringn(x, y, &number, w, number_style);
                }
            }
            // The space between the two number fields of the unified view.
            if let [Some(a), Some(_)] = pane.fields {
                fill(buf, a.x + a.width, y, 1, number_style);
            }
            // Mark, then a space in the row's background.
            fill(buf, pane.gutter_x, y, pane.text_x - pane.gutter_x, base);
            if let Some(x) = pane.mark_x
                && k == 0
                && let Some(cell) = buf.cell_mut((x, y))
            {
                cell.set_char(mark).set_style(base.patch(styles.gutter));
            }
            if width == 0 {
                continue;
            }
            let skip = if self.options.wrap {
                usize::from(k) * width
            } else {
                left_col
            };
            if self.options.wrap && k > 0 && skip >= total {
                fill(buf, pane.text_x, y, pane.text_width, base);
                continue;
            }
            draw_text(
                buf,
                TextArea {
                    x: pane.text_x,
                    y,
                    width,
                    skip,
                    markers: !self.options.wrap,
                },
                seg.text,
                &spans,
                emph,
                &found,
                TextStyles {
                    base,
                    emph: emph_style,
                    found: styles.search_match,
                    marker: base.patch(styles.gutter),
                },
            );
        }
    }
}

/// Where `needle` occurs in `text`, ASCII case-insensitively, as byte
/// ranges (none for an empty needle).
pub fn match_ranges(text: &str, needle: &str) -> Vec<Range<usize>> {
    let (hay, pin) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = pin.first() else {
        return Vec::new();
    };
    if pin.len() > hay.len() {
        return Vec::new();
    }
    let first = first.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut i = 0;
    // Only where the first byte matches is the rest compared.
    while i + pin.len() <= hay.len() {
        if hay[i].to_ascii_lowercase() == first && hay[i..i + pin.len()].eq_ignore_ascii_case(pin) {
            out.push(i..i + pin.len());
            i += pin.len();
        } else {
            i += 1;
        }
    }
    out
}

/// Whether `needle` occurs in `text`, ASCII case-insensitively.
pub fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    let (hay, pin) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = pin.first() else {
        return true;
    };
    let first = first.to_ascii_lowercase();
    hay.len() >= pin.len()
        && (0..=hay.len() - pin.len()).any(|i| {
            hay[i].to_ascii_lowercase() == first && hay[i..i + pin.len()].eq_ignore_ascii_case(pin)
        })
}

/// Display columns of a line, tabs expanded.
pub fn display_width(text: &str) -> usize {
    let mut column = 0;
    for ch in text.chars() {
        column += match ch {
            '\t' => TAB_WIDTH - column % TAB_WIDTH,
            c if c.is_control() => 1,
            c => char_width(c),
        };
    }
    column
}

/// Where a line of text goes: `width` cells from `x`, after hiding `skip`
/// display columns.
struct TextArea {
    x: u16,
    y: u16,
    width: usize,
    skip: usize,
    /// `‹`/`›` where the line goes on beyond the area (not when wrapping).
    markers: bool,
}

/// The styles of one line of text.
struct TextStyles {
    base: Style,
    emph: Style,
    /// Search matches.
    found: Style,
    marker: Style,
}

/// Writes one character into the cell at `column` of the text area; a wide
/// character blanks the cells it covers, as ratatui expects.
fn put(buf: &mut Buffer, area: &TextArea, column: usize, glyph: char, width: usize, style: Style) {
    let x = area.x.saturating_add(column as u16);
    if let Some(cell) = buf.cell_mut((x, area.y)) {
        cell.reset();
        cell.set_char(glyph).set_style(style);
    }
    for extra in 1..width {
        if let Some(cell) = buf.cell_mut((x.saturating_add(extra as u16), area.y)) {
            cell.reset();
        }
    }
}

/// Draws one line of text: syntax spans, emphasis ranges, tabs expanded,
/// control characters replaced, cut at the width with markers. Every cell of
/// the area is written (text, then blanks in the base style).
///
/// Cells are written directly rather than through `Buffer::set_stringn`: the
/// widths are known here already, and skipping grapheme segmentation and a
/// second pass over each cell halves the cost of a frame.
fn draw_text(
    buf: &mut Buffer,
    area: TextArea,
    text: &str,
    spans: &[(Style, Range<usize>)],
    emph: &[Range<usize>],
    found: &[Range<usize>],
    styles: TextStyles,
) {
    if area.width == 0 {
        return;
    }
    let (mut column, mut written) = (0usize, 0usize);
    let (mut span_i, mut emph_i, mut found_i) = (0usize, 0usize, 0usize);
    let (mut cut_left, mut cut_right) = (false, false);
    // Column of the last visible character, for combining marks.
    let mut last_visible: Option<usize> = None;
    for (byte, ch) in text.char_indices() {
        // The style at this byte: base, then syntax, then emphasis.
        while spans.get(span_i).is_some_and(|s| s.1.end <= byte) {
            span_i += 1;
        }
        while emph.get(emph_i).is_some_and(|r| r.end <= byte) {
            emph_i += 1;
        }
        let mut style = styles.base;
        if let Some((syntax, _)) = spans.get(span_i).filter(|s| s.1.start <= byte) {
            style = style.patch(*syntax);
        }
        if emph.get(emph_i).is_some_and(|r| r.start <= byte) {
            style = style.patch(styles.emph);
        }
        while found.get(found_i).is_some_and(|r| r.end <= byte) {
            found_i += 1;
        }
        if found.get(found_i).is_some_and(|r| r.start <= byte) {
            style = style.patch(styles.found);
        }
        let (glyph, width) = match ch {
            '\t' => (' ', TAB_WIDTH - column % TAB_WIDTH),
            c if c.is_control() => (CONTROL_GLYPH, 1),
            c => (c, char_width(c)),
        };
        if width == 0 {
            // A combining mark joins the previous visible character's cell.
            if let Some(at) = last_visible {
                let x = area.x.saturating_add(at as u16);
                if let Some(cell) = buf.cell_mut((x, area.y)) {
                    let joined = format!("{}{ch}", cell.symbol());
                    cell.set_symbol(&joined);
                }
            }
            continue;
        }
        if column + width <= area.skip {
            column += width;
            cut_left = true;
            continue;
        }
        // Partly hidden (a tab or a wide character across the left edge):
        // its visible part is blank.
        let (glyph, shown) = if column < area.skip {
            cut_left = true;
            (' ', column + width - area.skip)
        } else {
            (glyph, width)
        };
        if written + shown > area.width {
            cut_right = true;
            break;
        }
        if glyph == ' ' || ch == '\t' {
            for k in 0..shown {
                put(buf, &area, written + k, ' ', 1, style);
            }
            last_visible = None;
        } else {
            put(buf, &area, written, glyph, shown, style);
            last_visible = Some(written);
        }
        column += width;
        written += shown;
    }
    // The rest of the line in the row's background.
    for k in written..area.width {
        put(buf, &area, k, ' ', 1, styles.base);
    }
    let last = area
        .x
        .saturating_add((area.width - 1).min(usize::from(u16::MAX)) as u16);
    if cut_right && area.markers {
        // If the cell before the marker starts a wide character, its second
        // half would be under the marker: blank it.
        if area.width >= 2
            && let Some(cell) = buf.cell_mut((last - 1, area.y))
            && Span::raw(cell.symbol()).width() > 1
        {
            cell.set_char(' ');
        }
        if let Some(cell) = buf.cell_mut((last, area.y)) {
            cell.set_char('›').set_style(styles.marker);
        }
    }
    if cut_left
        && area.markers
        && area.skip > 0
        && let Some(cell) = buf.cell_mut((area.x, area.y))
    {
        cell.set_char('‹').set_style(styles.marker);
    }
}

/// The length of the prefix of `text` that fills `columns` display columns
/// (with tabs expanded), plus the next character.
fn bytes_for_columns(text: &str, columns: usize) -> usize {
    let mut column = 0;
    for (i, ch) in text.char_indices() {
        if column > columns {
            return i;
        }
        column += match ch {
            '\t' => TAB_WIDTH - column % TAB_WIDTH,
            c if c.is_control() => 1,
            c => char_width(c),
        };
    }
    text.len()
}

/// Display width of one (non-control) character.
fn char_width(c: char) -> usize {
    if c.is_ascii() {
        return 1;
    }
    let mut bytes = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut bytes)).width()
}

/// Blanks `width` cells from `(x, y)` with `style` (clipped to the buffer).
fn fill(buf: &mut Buffer, x: u16, y: u16, width: u16, style: Style) {
    for dx in 0..width {
        let Some(cell) = buf.cell_mut((x.saturating_add(dx), y)) else {
            break;
        };
        cell.reset();
        cell.set_char(' ').set_style(style);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::diffview::{ColorDepth, Lang};
    use ratatui::style::{Color, Modifier};

    fn styles() -> DiffStyles {
        DiffStyles {
            text: Style::default(),
            line_number: Style::default().fg(Color::DarkGray),
            gutter: Style::default().fg(Color::Gray),
            added: Style::default().bg(Color::Rgb(0, 40, 0)),
            removed: Style::default().bg(Color::Rgb(40, 0, 0)),
            added_emph: Style::default()
                .bg(Color::Rgb(0, 90, 0))
                .add_modifier(Modifier::BOLD),
            removed_emph: Style::default()
                .bg(Color::Rgb(90, 0, 0))
                .add_modifier(Modifier::BOLD),
            filler: Style::default().bg(Color::Rgb(20, 20, 20)),
            cursor: Style::default().add_modifier(Modifier::REVERSED),
            cursor_mark: Style::default().fg(Color::Black).bg(Color::Yellow),
            search_match: Style::default().fg(Color::Black).bg(Color::Magenta),
            header: Style::default().add_modifier(Modifier::BOLD),
        }
    }

    fn text_model(left: &str, right: &str) -> DiffModel {
        DiffModel::build(left.to_owned(), right.to_owned(), Lang::Text)
    }

    fn render(
        model: &DiffModel,
        state: &mut DiffViewState,
        w: u16,
        h: u16,
        focused: bool,
    ) -> Buffer {
        let highlighter = Highlighter::new(model, "base16-ocean.dark", ColorDepth::TrueColor);
        let styles = styles();
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        DiffView {
            model,
            highlighter: &highlighter,
            styles: &styles,
            focused,
            options: ViewOptions::default(),
            search: "",
        }
        .render(buf.area, &mut buf, state);
        buf
    }

    fn row_text(buf: &Buffer, y: u16) -> String {
        (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect()
    }

    /// The x of the first cell of `needle` on row `y`, from column `from`.
    fn find(buf: &Buffer, y: u16, from: u16, needle: &str) -> u16 {
        let row: Vec<String> = (0..buf.area.width)
            .map(|x| buf[(x, y)].symbol().to_owned())
            .collect();
        let chars: Vec<String> = needle.chars().map(String::from).collect();
        (from..buf.area.width)
            .find(|&x| {
                chars
                    .iter()
                    .enumerate()
                    .all(|(i, c)| row.get(x as usize + i) == Some(c))
            })
            .unwrap_or_else(|| panic!("{needle:?} not on row {y}: {:?}", row_text(buf, y)))
    }

    #[test]
    fn draws_numbers_marks_and_emphasis() {
        let model = text_model(
            "keep\nthe quick fox\ngone\nend\n",
            "keep\nthe slow fox\nend\nnew\n",
        );
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 61, 6, false);
        // Pane widths: (61 - 1) / 2 = 30 each, separator at 30; the
        // numbers take the width of the largest one shown (one digit).
        assert_eq!(
            row_text(&buf, 0).trim_end(),
            "1   keep                      │1   keep"
        );
        assert_eq!(buf[(30, 0)].symbol(), "│");
        // Row 1: a changed pair, `~` on both sides.
        assert_eq!(buf[(2, 1)].symbol(), "~");
        assert_eq!(buf[(33, 1)].symbol(), "~");
        assert_eq!(buf[(0, 1)].symbol(), "2");
        // The changed word carries the emphasis, its neighbours only the row colour.
        let quick = find(&buf, 1, 0, "quick");
        assert_eq!(buf[(quick, 1)].bg, Color::Rgb(90, 0, 0));
        assert!(buf[(quick, 1)].modifier.contains(Modifier::BOLD));
        assert_eq!(buf[(quick - 2, 1)].bg, Color::Rgb(40, 0, 0));
        let fox = find(&buf, 1, quick, "fox");
        assert_eq!(buf[(fox, 1)].bg, Color::Rgb(40, 0, 0));
        let slow = find(&buf, 1, 31, "slow");
        assert_eq!(buf[(slow, 1)].bg, Color::Rgb(0, 90, 0));
        assert_eq!(buf[(slow + 5, 1)].bg, Color::Rgb(0, 40, 0));
        // Row 2: removed on the left, filler on the right.
        assert_eq!(buf[(2, 2)].symbol(), "-");
        assert_eq!(buf[(0, 2)].symbol(), "3");
        assert_eq!(buf[(40, 2)].bg, Color::Rgb(20, 20, 20));
        assert_eq!(buf[(31, 2)].symbol(), " ");
        // Row 4: added on the right, the number is the right side's.
        assert_eq!(buf[(33, 4)].symbol(), "+");
        assert_eq!(buf[(31, 4)].symbol(), "4");
        assert_eq!(buf[(5, 4)].bg, Color::Rgb(20, 20, 20));
        // Past the last row: blank.
        assert_eq!(row_text(&buf, 5).trim(), "");
        // Not focused: no cursor.
        assert!(!buf[(5, 0)].modifier.contains(Modifier::REVERSED));
    }

    #[test]
    fn cursor_row_is_patched_when_focused() {
        let model = text_model("a\nb\nc\n", "a\nB\nc\n");
        let mut state = DiffViewState {
            cursor: 1,
            ..Default::default()
        };
        let buf = render(&model, &mut state, 30, 3, true);
        for x in 0..30 {
            assert!(buf[(x, 1)].modifier.contains(Modifier::REVERSED));
            assert!(!buf[(x, 0)].modifier.contains(Modifier::REVERSED));
        }
        // The row colour is still there under the cursor's modifier.
        assert_eq!(buf[(6, 1)].bg, Color::Rgb(40, 0, 0));
    }

    #[test]
    fn syntax_colours_sit_on_the_row_background() {
        let model = DiffModel::build(
            "{\n  \"a\": 1\n}\n".into(),
            "{\n  \"a\": 2\n}\n".into(),
            Lang::Json,
        );
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 40, 3, false);
        let key = find(&buf, 1, 0, "\"a\"");
        assert!(matches!(buf[(key + 1, 1)].fg, Color::Rgb(..)));
        assert_eq!(buf[(key + 1, 1)].bg, Color::Rgb(40, 0, 0));
        let one = find(&buf, 1, key, "1");
        assert_eq!(buf[(one, 1)].bg, Color::Rgb(90, 0, 0));
    }

    #[test]
    fn tabs_long_lines_and_sideways_scroll() {
        let long = format!("\tx{}END", "y".repeat(100));
        let model = text_model(&long, &long);
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 41, 1, false);
        // 20 columns per pane: "1" + " ~ " + 16 text columns.
        assert_eq!(
            row_text(&buf, 0),
            "1       xyyyyyyyyyy›│1       xyyyyyyyyyy›"
        );
        assert_eq!(state.text_width(), 16);
        // Columns 0..=89 hidden: the tab (4), `x` and 85 of the `y`s.
        state.scroll_x(90);
        let buf = render(&model, &mut state, 41, 1, false);
        assert_eq!(
            row_text(&buf, 0),
            "1   ‹yyyyyyyyyyyyyy›│1   ‹yyyyyyyyyyyyyy›"
        );
        // Clamped so that the end of the longest visible line sits at the
        // right edge, in full: 108 columns in all, 16 shown.
        state.scroll_x(10_000);
        let buf = render(&model, &mut state, 41, 1, false);
        assert_eq!(state.left_col, 108 - 16);
        assert_eq!(
            row_text(&buf, 0),
            "1   ‹yyyyyyyyyyyyEND│1   ‹yyyyyyyyyyyyEND"
        );
        // `$` goes there directly, `0` (left_col = 0) back.
        let mut state = DiffViewState::default();
        let _ = render(&model, &mut state, 41, 1, false);
        state.to_line_end(&model);
        let buf = render(&model, &mut state, 41, 1, false);
        assert!(row_text(&buf, 0).contains("yEND│"), "{}", row_text(&buf, 0));
        // Wide characters and control characters.
        let model = text_model("日本\u{1}z", "");
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 21, 1, false);
        assert_eq!(buf[(4, 0)].symbol(), "日");
        assert_eq!(buf[(6, 0)].symbol(), "本");
        assert_eq!(buf[(8, 0)].symbol(), "\u{FFFD}");
        assert_eq!(buf[(9, 0)].symbol(), "z");
        // A wide character cut at the edge leaves a blank, then the marker.
        let model = text_model("日本語\u{1}z", "");
        let buf = render(&model, &mut state, 21, 1, false);
        assert_eq!((buf[(8, 0)].symbol(), buf[(9, 0)].symbol()), (" ", "›"));
        // A combining mark stays with its letter.
        let model = text_model("e\u{301}x", "");
        let buf = render(&model, &mut state, 21, 1, false);
        assert_eq!(
            (buf[(4, 0)].symbol(), buf[(5, 0)].symbol()),
            ("e\u{301}", "x")
        );
    }

    fn render_with(
        model: &DiffModel,
        state: &mut DiffViewState,
        (w, h): (u16, u16),
        options: ViewOptions,
        search: &str,
    ) -> Buffer {
        let highlighter = Highlighter::new(model, "base16-ocean.dark", ColorDepth::TrueColor);
        let styles = styles();
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        DiffView {
            model,
            highlighter: &highlighter,
            styles: &styles,
            focused: true,
            options,
            search,
        }
        .render(buf.area, &mut buf, state);
        buf
    }

    #[test]
    fn wrapping_shows_a_long_line_whole_on_the_following_screen_lines() {
        let long = format!("start {} end", "abcdefghij".repeat(5));
        let model = text_model(&format!("a\n{long}\nz\n"), &format!("a\n{long}!\nz\n"));
        let mut state = DiffViewState::default();
        let wrap = ViewOptions {
            unified: false,
            wrap: true,
        };
        let buf = render_with(&model, &mut state, (41, 6), wrap, "");
        // 16 text columns a side: 62 characters take 4 screen lines.
        let rows: Vec<String> = (0..6).map(|y| row_text(&buf, y)).collect();
        assert_eq!(
            rows[1], "2 ~ start abcdefghij│2 ~ start abcdefghij",
            "{rows:#?}"
        );
        assert_eq!(
            rows[2], "    abcdefghijabcdef│    abcdefghijabcdef",
            "{rows:#?}"
        );
        assert_eq!(
            rows[4], "    cdefghij end    │    cdefghij end!   ",
            "{rows:#?}"
        );
        assert!(rows[5].starts_with("3   z"), "{rows:#?}");
        // No cut markers when wrapping.
        assert!(!rows.iter().any(|r| r.contains('›')), "{rows:#?}");
    }

    #[test]
    fn unified_view_puts_the_older_line_above_the_newer_with_both_numbers() {
        let model = text_model("keep\nold\ngone\nend\n", "keep\nnew\nend\nadded\n");
        let mut state = DiffViewState::default();
        let unified = ViewOptions {
            unified: true,
            wrap: false,
        };
        let buf = render_with(&model, &mut state, (30, 7), unified, "");
        let rows: Vec<String> = (0..7)
            .map(|y| row_text(&buf, y).trim_end().to_string())
            .collect();
        assert_eq!(
            rows,
            vec![
                "1 1   keep",
                "2   - old",
                "  2 + new",
                "3   - gone",
                "4 3   end",
                "  4 + added",
                "",
            ]
        );
        // No separator: one column.
        assert!(!rows.iter().any(|r| r.contains('│')));
    }

    #[test]
    fn the_gutter_is_as_wide_as_the_numbers_on_screen() {
        let text: String = (0..1200).map(|i| format!("line {i}\n")).collect();
        let model = text_model(&text, &text);
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 41, 3, false);
        assert!(
            row_text(&buf, 0).starts_with("1   line 0"),
            "{}",
            row_text(&buf, 0)
        );
        state.to_end(&model);
        let buf = render(&model, &mut state, 41, 3, false);
        assert!(
            row_text(&buf, 2).starts_with("1200   line 1199"),
            "{}",
            row_text(&buf, 2)
        );
    }

    #[test]
    fn search_matches_and_the_cursor_numbers_are_marked() {
        let model = text_model("one Needle two needle\n", "one Needle two needle\n");
        let mut state = DiffViewState::default();
        let buf = render_with(
            &model,
            &mut state,
            (61, 1),
            ViewOptions::default(),
            "neeDLE",
        );
        let x = find(&buf, 0, 0, "Needle");
        assert_eq!(buf[(x, 0)].bg, Color::Magenta);
        assert_eq!(buf[(x + 5, 0)].bg, Color::Magenta);
        assert_ne!(buf[(x + 6, 0)].bg, Color::Magenta);
        let second = find(&buf, 0, x + 6, "needle");
        assert_eq!(buf[(second, 0)].bg, Color::Magenta);
        // The cursor row's number carries the cursor mark.
        assert_eq!(buf[(0, 0)].bg, Color::Yellow);
        assert_eq!(match_ranges("aXa xa", "xA"), vec![1..3, 4..6]);
        assert!(match_ranges("abc", "").is_empty());
    }

    #[test]
    fn never_panics_on_any_size() {
        let model = text_model("a\nb\tc\nd\n", "a\nB\n日本\ne\nf\n");
        let empty = text_model("", "");
        for m in [&model, &empty] {
            for (w, h) in [
                (0, 0),
                (0, 5),
                (5, 0),
                (1, 1),
                (2, 1),
                (3, 1),
                (5, 3),
                (7, 2),
                (12, 4),
                (1000, 2),
                (80, 100),
            ] {
                for cursor in [0, 2, 99] {
                    let mut state = DiffViewState {
                        cursor,
                        top: 50,
                        left_col: 3,
                        ..Default::default()
                    };
                    let buf = render(m, &mut state, w, h, true);
                    assert_eq!(buf.area, Rect::new(0, 0, w, h));
                    assert!(state.cursor < m.rows().max(1));
                }
            }
        }
        // An area outside the buffer is clipped.
        let highlighter = Highlighter::new(&model, "x", ColorDepth::None);
        let styles = styles();
        let mut buf = Buffer::empty(Rect::new(0, 0, 10, 2));
        let mut state = DiffViewState::default();
        DiffView {
            model: &model,
            highlighter: &highlighter,
            styles: &styles,
            focused: true,
            options: ViewOptions::default(),
            search: "",
        }
        .render(Rect::new(5, 1, 50, 50), &mut buf, &mut state);
        assert_eq!(state.last_height(), 1);
    }

    #[test]
    fn random_texts_sizes_and_scrolls_never_panic() {
        let seed = std::cell::Cell::new(0x9E37_79B9_u32);
        let next = |n: usize| {
            let mut x = seed.get();
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            seed.set(x);
            x as usize % n.max(1)
        };
        let pieces = [
            "a", "key", ": ", "\t", " ", "日本", "é", "e\u{301}", "\u{7}", "😀", "{", "\"x\"", "\r",
        ];
        for round in 0..60 {
            let text = |lines: usize| -> String {
                (0..lines)
                    .map(|_| {
                        let words: String =
                            (0..next(12)).map(|_| pieces[next(pieces.len())]).collect();
                        words + "\n"
                    })
                    .collect()
            };
            let (left, right) = (text(next(30)), text(next(30)));
            let lang = [Lang::Json, Lang::Yaml, Lang::Text][round % 3];
            let model = DiffModel::build(left, right, lang);
            let highlighter = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::Ansi256);
            let styles = styles();
            for _ in 0..5 {
                let (w, h) = (next(90) as u16, next(12) as u16);
                let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
                let mut state = DiffViewState {
                    cursor: next(40),
                    top: next(40),
                    left_col: next(8),
                    ..Default::default()
                };
                DiffView {
                    model: &model,
                    highlighter: &highlighter,
                    styles: &styles,
                    focused: true,
                    options: ViewOptions::default(),
                    search: "",
                }
                .render(buf.area, &mut buf, &mut state);
                state.page(&model, true);
                state.next_change(&model);
                state.move_by(&model, -3);
            }
        }
    }

    #[test]
    fn empty_model_says_so() {
        let model = text_model("", "");
        let mut state = DiffViewState::default();
        let buf = render(&model, &mut state, 40, 5, true);
        assert_eq!(row_text(&buf, 2).trim(), "both versions are empty");
        let x = find(&buf, 2, 0, "both");
        assert!(buf[(x, 2)].modifier.contains(Modifier::BOLD));
    }

    /// A model of `n` rows with changes at rows 10, 50 and 90.
    fn long_model() -> DiffModel {
        let left: String = (0..100).map(|i| format!("line {i}\n")).collect();
        let right: String = (0..100)
            .map(|i| {
                if i % 40 == 10 {
                    format!("changed {i}\n")
                } else {
                    format!("line {i}\n")
                }
            })
            .collect();
        text_model(&left, &right)
    }

    #[test]
    fn state_moves_and_pages() {
        let model = long_model();
        assert_eq!(model.hunks(), &[10, 50, 90]);
        let mut state = DiffViewState::default();
        let _ = render(&model, &mut state, 40, 10, true);
        assert_eq!(state.last_height(), 10);
        state.move_by(&model, 12);
        assert_eq!((state.cursor, state.top), (12, 3));
        state.move_by(&model, -5);
        assert_eq!((state.cursor, state.top), (7, 3));
        state.move_by(&model, -100);
        assert_eq!((state.cursor, state.top), (0, 0));
        state.page(&model, true);
        assert_eq!((state.cursor, state.top), (10, 10));
        state.half_page(&model, true);
        assert_eq!((state.cursor, state.top), (15, 15));
        state.half_page(&model, false);
        state.page(&model, false);
        assert_eq!((state.cursor, state.top), (0, 0));
        state.to_end(&model);
        assert_eq!((state.cursor, state.top), (99, 90));
        state.page(&model, true);
        assert_eq!((state.cursor, state.top), (99, 90));
        state.page(&model, false);
        assert_eq!((state.cursor, state.top), (89, 80));
        state.to_start();
        assert_eq!((state.cursor, state.top), (0, 0));
        state.move_by(&model, 1000);
        assert_eq!((state.cursor, state.top), (99, 90));
    }

    #[test]
    fn next_and_prev_change_stop_at_the_ends() {
        let model = long_model();
        let mut state = DiffViewState::default();
        let _ = render(&model, &mut state, 40, 10, true);
        assert!(state.next_change(&model));
        assert_eq!((state.cursor, state.top), (10, 5), "centred");
        assert!(state.next_change(&model));
        assert_eq!(state.cursor, 50);
        assert!(state.next_change(&model));
        assert_eq!((state.cursor, state.top), (90, 85));
        assert!(!state.next_change(&model), "no wrap at the end");
        assert_eq!(state.cursor, 90);
        state.move_by(&model, 3);
        assert!(
            state.prev_change(&model),
            "back to the start of this change"
        );
        assert_eq!(state.cursor, 90);
        assert!(state.prev_change(&model));
        assert_eq!(state.cursor, 50);
        assert!(state.prev_change(&model));
        assert_eq!(state.cursor, 10);
        assert!(!state.prev_change(&model), "no wrap at the start");
        assert_eq!(state.cursor, 10);
        state.jump_to_row(&model, 1000);
        assert_eq!((state.cursor, state.top), (99, 90));
        state.jump_to_row(&model, 2);
        assert_eq!((state.cursor, state.top), (2, 0));
        // No model rows, no height: nothing moves, nothing panics.
        let empty = text_model("", "");
        let mut state = DiffViewState::default();
        state.move_by(&empty, 5);
        state.page(&empty, true);
        state.to_end(&empty);
        assert!(!state.next_change(&empty) && !state.prev_change(&empty));
        assert_eq!((state.cursor, state.top), (0, 0));
    }

    #[test]
    fn snapshot_with_styles() {
        let model = text_model(
            "{\n  \"a\": 1,\n  \"b\": \"old\",\n  \"c\": 3\n}\n",
            "{\n  \"a\": 1,\n  \"b\": \"new\",\n  \"d\": 4,\n  \"c\": 3\n}\n",
        );
        let mut state = DiffViewState {
            cursor: 2,
            ..Default::default()
        };
        let buf = render(&model, &mut state, 41, 7, true);
        insta::assert_debug_snapshot!(buf);
    }
}
