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

/// The side-by-side diff widget. Draws only the rows on screen; highlights
/// only their lines (see [`Highlighter::prepare`]).
pub struct DiffView<'a> {
    pub model: &'a DiffModel,
    pub highlighter: &'a Highlighter,
    pub styles: &'a DiffStyles,
    pub focused: bool,
}

/// Where one pane's columns are.
#[derive(Debug, Clone, Copy)]
struct Pane {
    side: Column,
    x: u16,
    width: u16,
    number_width: u16,
    /// Mark column plus the space after it (0, 1 or 2 columns).
    gutter_width: u16,
    text_x: u16,
    text_width: u16,
}

impl Pane {
    fn new(side: Column, x: u16, width: u16, lines: usize) -> Pane {
        let digits = digits(lines.max(1)).min(usize::from(u16::MAX)) as u16;
        // Full layout when it leaves at least a few text columns, else the
        // bare minimum; either way clipped to the width.
        let (number_width, gutter_width) = if width >= digits + 3 + 4 {
            (digits + 1, 2)
        } else {
            (digits, 1)
        };
        let number_width = number_width.min(width);
        let gutter_width = gutter_width.min(width - number_width);
        let text_width = width - number_width - gutter_width;
        Pane {
            side,
            x,
            width,
            number_width,
            gutter_width,
            text_x: x + number_width + gutter_width,
            text_width,
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

        // Two panes with a one-column separator between them when there is room.
        let separator = area.width >= 3;
        let left_width = if separator {
            (area.width - 1) / 2
        } else {
            area.width / 2
        };
        let right_width = area.width - left_width - u16::from(separator);
        let panes = [
            Pane::new(
                Column::Left,
                area.x,
                left_width,
                model.line_count(Column::Left),
            ),
            Pane::new(
                Column::Right,
                area.x + left_width + u16::from(separator),
                right_width,
                model.line_count(Column::Right),
            ),
        ];

        // The lines on screen per side (first and last), the longest of them
        // for the horizontal-scroll clamp, then how many bytes of each line
        // fit on screen, so that long lines are highlighted only that far;
        // then one highlighting pass per side over the window.
        let visible = state.top..(state.top + usize::from(area.height)).min(rows);
        let window = panes.map(|pane| {
            let mut lines = visible.clone().filter_map(|r| {
                let row = model.row(r)?;
                if pane.side == Column::Left {
                    row.left
                } else {
                    row.right
                }
            });
            let first = lines.next()?;
            Some(first..lines.next_back().unwrap_or(first) + 1)
        });
        let longest = panes
            .iter()
            .zip(&window)
            .filter_map(|(pane, lines)| {
                let lines = lines.clone()?;
                lines
                    .filter_map(|i| model.line(pane.side, i))
                    .map(str::len)
                    .max()
            })
            .max()
            .unwrap_or(0);
        state.left_col = state.left_col.min(longest.saturating_sub(1));
        let mut upto = [0usize; 2];
        for ((pane, lines), upto) in panes.iter().zip(&window).zip(&mut upto) {
            let Some(lines) = lines.clone() else { continue };
            let columns = state.left_col + usize::from(pane.text_width);
            *upto = lines
                .clone()
                .filter_map(|i| model.line(pane.side, i))
                .map(|text| bytes_for_columns(text, columns))
                .max()
                .unwrap_or(0);
            self.highlighter
                .prepare_upto(model, pane.side, lines, *upto);
        }

        for (offset, r) in (state.top..state.top + usize::from(area.height)).enumerate() {
            let y = area.y + offset as u16;
            let Some(row) = model.row(r) else {
                fill(buf, area.x, y, area.width, styles.text);
                continue;
            };
            // Emphasis of the changed words, for changed pairs only.
            let emphasis = match (row.kind, row.left, row.right) {
                (RowKind::Changed, Some(l), Some(rr)) => {
                    let (old, new) = (model.line(Column::Left, l), model.line(Column::Right, rr));
                    changed_ranges(old.unwrap_or(""), new.unwrap_or(""))
                }
                _ => (Vec::new(), Vec::new()),
            };
            for pane in &panes {
                let (line, emph) = match pane.side {
                    Column::Left => (row.left, &emphasis.0),
                    Column::Right => (row.right, &emphasis.1),
                };
                let upto = upto[pane.side.index()];
                self.draw_pane(buf, pane, y, row.kind, line, emph, (state.left_col, upto));
            }
            if separator && let Some(cell) = buf.cell_mut((area.x + left_width, y)) {
                cell.reset();
                cell.set_char('│')
                    .set_style(styles.text.patch(styles.gutter));
            }
            if self.focused && r == state.cursor {
                buf.set_style(Rect::new(area.x, y, area.width, 1), styles.cursor);
            }
        }
    }
}

impl DiffView<'_> {
    /// One pane of one row.
    #[allow(clippy::too_many_arguments)]
    fn draw_pane(
        &self,
        buf: &mut Buffer,
        pane: &Pane,
        y: u16,
        kind: RowKind,
        line: Option<usize>,
        emph: &[Range<usize>],
        (left_col, upto): (usize, usize),
    ) {
        let styles = self.styles;
        let text = line.and_then(|i| self.model.line(pane.side, i));
        let (Some(idx), Some(text)) = (line, text) else {
            // The empty side of an added or removed row.
            fill(buf, pane.x, y, pane.width, styles.filler);
            return;
        };
        let (row_style, emph_style, mark) = match (kind, pane.side) {
            (RowKind::Same, _) => (Style::default(), Style::default(), ' '),
            (RowKind::Changed, Column::Left) => (styles.removed, styles.removed_emph, '~'),
            (RowKind::Changed, Column::Right) => (styles.added, styles.added_emph, '~'),
            (RowKind::Removed, _) => (styles.removed, styles.removed_emph, '-'),
            (RowKind::Added, _) => (styles.added, styles.added_emph, '+'),
        };
        let base = styles.text.patch(row_style);

        // Line number, right-aligned.
        if pane.number_width > 0 {
            fill(
                buf,
                pane.x,
                y,
                pane.number_width,
                styles.text.patch(styles.line_number),
            );
            let number = (idx + 1).to_string();
            let width = usize::from(pane.number_width);
            let x = pane.x + width.saturating_sub(number.len()) as u16;
            buf.set_stringn(x, y, &number, width, styles.text.patch(styles.line_number));
        }
        // Mark, then a space in the row's background.
        let gutter_x = pane.x + pane.number_width;
        if pane.gutter_width > 0 {
            fill(buf, gutter_x, y, pane.gutter_width, base);
            if let Some(cell) = buf.cell_mut((gutter_x, y)) {
                cell.set_char(mark).set_style(base.patch(styles.gutter));
            }
        }
        if pane.text_width == 0 {
            return;
        }
        let spans = self.highlighter.line_upto(self.model, pane.side, idx, upto);
        let marker = base.patch(styles.gutter);
        draw_text(
            buf,
            TextArea {
                x: pane.text_x,
                y,
                width: usize::from(pane.text_width),
                skip: left_col,
            },
            text,
            &spans,
            emph,
            TextStyles {
                base,
                emph: emph_style,
                marker,
            },
        );
    }
}

/// Where a line of text goes: `width` cells from `x`, after hiding `skip`
/// display columns.
struct TextArea {
    x: u16,
    y: u16,
    width: usize,
    skip: usize,
}

/// The styles of one line of text.
struct TextStyles {
    base: Style,
    emph: Style,
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
    styles: TextStyles,
) {
    if area.width == 0 {
        return;
    }
    let (mut column, mut written) = (0usize, 0usize);
    let (mut span_i, mut emph_i) = (0usize, 0usize);
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
    if cut_right {
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
        // Pane widths: (61 - 1) / 2 = 30 each, separator at 30.
        assert_eq!(
            row_text(&buf, 0).trim_end(),
            " 1  keep                      │ 1  keep"
        );
        assert_eq!(buf[(30, 0)].symbol(), "│");
        // Row 1: a changed pair, `~` on both sides.
        assert_eq!(buf[(2, 1)].symbol(), "~");
        assert_eq!(buf[(33, 1)].symbol(), "~");
        assert_eq!(buf[(1, 1)].symbol(), "2");
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
        assert_eq!(buf[(1, 2)].symbol(), "3");
        assert_eq!(buf[(40, 2)].bg, Color::Rgb(20, 20, 20));
        assert_eq!(buf[(31, 2)].symbol(), " ");
        // Row 4: added on the right, the number is the right side's.
        assert_eq!(buf[(33, 4)].symbol(), "+");
        assert_eq!(buf[(32, 4)].symbol(), "4");
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
        // 20 columns per pane: " 1" + "  " + 16 text columns.
        assert_eq!(
            row_text(&buf, 0),
            " 1      xyyyyyyyyyy›│ 1      xyyyyyyyyyy›"
        );
        // Columns 0..=101 hidden: the tab (4), `x` and 97 of the `y`s.
        state.scroll_x(102);
        let buf = render(&model, &mut state, 41, 1, false);
        assert_eq!(
            row_text(&buf, 0),
            " 1  ‹yyEND          │ 1  ‹yyEND          "
        );
        // Clamped to the longest visible line.
        state.scroll_x(10_000);
        let _ = render(&model, &mut state, 41, 1, false);
        assert_eq!(state.left_col, long.len() - 1);
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
