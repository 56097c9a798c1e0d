//! The aligned rows of two texts: which line of the older text sits beside
//! which line of the newer one.
//!
//! Layout in memory, per side: the text itself (one `String`, as received)
//! and a `Vec<u32>` of line starts; for the pair: one 12-byte record per row
//! and, per side, the row of every line (for jumps from a line to the view).
//! Measured on github-rest-api 015 → 016 (4.2 + 11.3 MiB of canonical JSON,
//! 326 000 rows): the texts plus 7.1 MiB, with a peak of 8.2 MiB more while
//! building (the line numbering and the diff's own tables); 0.6 s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use similar::{Algorithm, DiffOp, capture_diff_slices_deadline};

use super::{Column, Lang};

/// How long the line diff may search for a minimal alignment before it
/// settles for a coarser one (a patience diff of the GitHub pair takes about
/// 0.7 s; the limit only matters for pathological inputs).
const DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// Marks "no line on this side" in a packed row.
const NONE: u32 = u32::MAX;

/// Texts are indexed with `u32`; anything longer is cut at the last line end
/// that fits (4 GiB of description is far beyond any fetch limit anyway).
const MAX_TEXT: usize = (u32::MAX - 1) as usize;

/// Gives every model its own number, so a [`super::Highlighter`] can tell
/// whether it is asked about the model it was made for.
static NEXT_MODEL_ID: AtomicU64 = AtomicU64::new(1);

/// What a row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum RowKind {
    /// The same line on both sides.
    Same,
    /// A line on each side, differing (a removed line paired with an added one).
    Changed,
    /// A line only on the left.
    Removed,
    /// A line only on the right.
    Added,
}

/// One aligned row: the line index on each side (0-based), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Row {
    pub left: Option<usize>,
    pub right: Option<usize>,
    pub kind: RowKind,
}

/// The stored form of a [`Row`]: two `u32` line numbers ([`NONE`] when
/// absent) and the kind.
#[derive(Debug, Clone, Copy)]
struct PackedRow {
    left: u32,
    right: u32,
    kind: RowKind,
}

/// One version: the text and where its lines start.
#[derive(Debug, Default)]
struct SideText {
    text: String,
    /// Byte offset of every line start, followed by one entry for the end of
    /// the text, so line `i` spans `starts[i]..starts[i + 1]` (with its line
    /// break). An empty text has the single entry `[0]` and no lines.
    starts: Vec<u32>,
    /// The row of every line on this side.
    row_of: Vec<u32>,
}

impl SideText {
    fn new(mut text: String) -> SideText {
        if text.len() > MAX_TEXT {
            // Cut at a line end (or at least a char boundary) that fits.
            let cut = text[..MAX_TEXT].rfind('\n').map_or_else(
                || {
                    (0..=MAX_TEXT)
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0)
                },
                |p| p + 1,
            );
            text.truncate(cut);
        }
        let mut starts = Vec::with_capacity(text.len() / 32 + 2);
        starts.push(0u32);
        if !text.is_empty() {
            let len = text.len();
            for (p, _) in text.match_indices('\n') {
                if p + 1 < len {
                    starts.push((p + 1) as u32);
                }
            }
            starts.push(len as u32);
        }
        starts.shrink_to_fit();
        SideText {
            text,
            starts,
            row_of: Vec::new(),
        }
    }

    fn lines(&self) -> usize {
        self.starts.len().saturating_sub(1)
    }

    /// The line with its line break (`\n` or `\r\n`), as a parser wants it.
    fn raw_line(&self, idx: usize) -> Option<&str> {
        let start = *self.starts.get(idx)? as usize;
        let end = *self.starts.get(idx + 1)? as usize;
        self.text.get(start..end)
    }

    /// The line without its line break.
    fn line(&self, idx: usize) -> Option<&str> {
        let raw = self.raw_line(idx)?;
        let raw = raw.strip_suffix('\n').unwrap_or(raw);
        Some(raw.strip_suffix('\r').unwrap_or(raw))
    }
}

/// Both texts and their aligned rows. Built off the UI thread (up to a second
/// or two for 400 000 lines), then cheap to query; `Send + Sync`, so it can
/// be shared in an `Arc` between the UI and a highlighting thread.
#[derive(Debug)]
pub struct DiffModel {
    id: u64,
    lang: Lang,
    sides: [SideText; 2],
    rows: Vec<PackedRow>,
    /// First row of every block of non-`Same` rows, ascending.
    hunks: Vec<usize>,
    removed: usize,
    added: usize,
}

impl DiffModel {
    /// Splits both texts into lines and aligns them.
    ///
    /// Lines are first replaced by small integers (equal lines, equal
    /// numbers), which makes the diff compare `u32`s instead of strings. The
    /// alignment is a patience diff (unique lines as anchors, Myers between
    /// them) with a deadline; each block of removed and added lines is then
    /// paired line by line into `Changed` rows, the surplus of the longer
    /// side becoming `Removed` or `Added` rows (delta's homolog pairing).
    pub fn build(left: String, right: String, lang: Lang) -> DiffModel {
        let mut sides = [SideText::new(left), SideText::new(right)];
        let (ids_left, ids_right) = intern_lines(&sides[0], &sides[1]);
        let deadline = Instant::now().checked_add(DIFF_TIMEOUT);
        let ops =
            capture_diff_slices_deadline(Algorithm::Patience, &ids_left, &ids_right, deadline);
        let rows = align(&ops, &ids_left, &ids_right);
        drop((ids_left, ids_right));

        // Derived indexes: the row of every line, the hunks, the counts.
        for side in &mut sides {
            side.row_of = vec![NONE; side.lines()];
        }
        let mut hunks = Vec::new();
        let (mut removed, mut added) = (0, 0);
        let mut previous_same = true;
        for (i, row) in rows.iter().enumerate() {
            if let Some(slot) = sides[0].row_of.get_mut(row.left as usize) {
                *slot = i as u32;
            }
            if let Some(slot) = sides[1].row_of.get_mut(row.right as usize) {
                *slot = i as u32;
            }
            let same = row.kind == RowKind::Same;
            if !same && previous_same {
                hunks.push(i);
            }
            previous_same = same;
            match row.kind {
                RowKind::Same => {}
                RowKind::Changed => {
                    removed += 1;
                    added += 1;
                }
                RowKind::Removed => removed += 1,
                RowKind::Added => added += 1,
            }
        }
        DiffModel {
            id: NEXT_MODEL_ID.fetch_add(1, Ordering::Relaxed),
            lang,
            sides,
            rows,
            hunks,
            removed,
            added,
        }
    }

    /// The identity of this model (unique in the process).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Number of aligned rows.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

    /// Row `i`, or `None` past the end.
    pub fn row(&self, i: usize) -> Option<Row> {
        let packed = self.rows.get(i)?;
        let unpack = |n: u32| (n != NONE).then_some(n as usize);
        Some(Row {
            left: unpack(packed.left),
            right: unpack(packed.right),
            kind: packed.kind,
        })
    }

    /// Line `idx` (0-based) of one side, without its line break.
    pub fn line(&self, side: Column, idx: usize) -> Option<&str> {
        self.sides[side.index()].line(idx)
    }

    /// Line `idx` with its line break, for the parser.
    pub(crate) fn raw_line(&self, side: Column, idx: usize) -> Option<&str> {
        self.sides[side.index()].raw_line(idx)
    }

    /// Number of lines of one side.
    pub fn line_count(&self, side: Column) -> usize {
        self.sides[side.index()].lines()
    }

    /// The whole text of one side (for [`super::line_of_pointer`]).
    pub fn text(&self, side: Column) -> &str {
        &self.sides[side.index()].text
    }

    /// First row of each change block, ascending.
    pub fn hunks(&self) -> &[usize] {
        &self.hunks
    }

    /// The first hunk starting after `from_row`.
    pub fn next_hunk(&self, from_row: usize) -> Option<usize> {
        let i = self.hunks.partition_point(|&h| h <= from_row);
        self.hunks.get(i).copied()
    }

    /// The last hunk starting before `from_row` (so from inside a hunk this is
    /// the start of that hunk).
    pub fn prev_hunk(&self, from_row: usize) -> Option<usize> {
        let i = self.hunks.partition_point(|&h| h < from_row);
        i.checked_sub(1).and_then(|i| self.hunks.get(i).copied())
    }

    /// The row showing line `line` of `side`.
    pub fn row_of_line(&self, side: Column, line: usize) -> Option<usize> {
        let row = *self.sides[side.index()].row_of.get(line)?;
        (row != NONE).then_some(row as usize)
    }

    /// The row of the place a JSON pointer names in one side's text (see
    /// [`super::line_of_pointer`]).
    pub fn row_of_pointer(&self, side: Column, pointer: &str) -> Option<usize> {
        let line = super::line_of_pointer(self.text(side), self.lang, pointer)?;
        self.row_of_line(side, line)
    }

    /// Lines removed from the left and added on the right (a changed pair
    /// counts once on each side), for a header such as `-12 +40`.
    pub fn changed_lines(&self) -> (usize, usize) {
        (self.removed, self.added)
    }

    /// Bytes held on the heap by this model (texts, line starts, rows,
    /// indexes), for the record.
    pub fn heap_bytes(&self) -> usize {
        let sides: usize = self
            .sides
            .iter()
            .map(|s| s.text.capacity() + 4 * (s.starts.capacity() + s.row_of.capacity()))
            .sum();
        sides
            + self.rows.capacity() * std::mem::size_of::<PackedRow>()
            + self.hunks.capacity() * std::mem::size_of::<usize>()
    }
}

/// Numbers the lines of both sides so that equal lines get equal numbers.
fn intern_lines(left: &SideText, right: &SideText) -> (Vec<u32>, Vec<u32>) {
    fn number<'t>(table: &mut HashMap<&'t str, u32>, side: &'t SideText) -> Vec<u32> {
        (0..side.lines())
            .map(|i| {
                let line = side.line(i).unwrap_or("");
                let next = table.len() as u32;
                *table.entry(line).or_insert(next)
            })
            .collect()
    }
    let mut table: HashMap<&str, u32> = HashMap::with_capacity(1 << 16);
    let ids_left = number(&mut table, left);
    let ids_right = number(&mut table, right);
    (ids_left, ids_right)
}

/// Turns the diff operations into rows. Written to cover every line of both
/// sides exactly once whatever the operations say: lines an operation skips
/// are treated as removed/added.
fn align(ops: &[DiffOp], left: &[u32], right: &[u32]) -> Vec<PackedRow> {
    let mut rows =
        Vec::with_capacity(left.len().max(right.len()) + left.len().min(right.len()) / 8);
    // Next unaligned line on each side, and the start of the pending block
    // of removed/added lines (everything between the last equal run and now).
    let (mut next_left, mut next_right) = (0usize, 0usize);
    for op in ops {
        if let DiffOp::Equal {
            old_index,
            new_index,
            len,
        } = *op
        {
            let (old_index, new_index) = (old_index.min(left.len()), new_index.min(right.len()));
            if old_index < next_left || new_index < next_right {
                continue; // overlapping or out-of-order: ignore, the flush below covers it
            }
            push_block(
                &mut rows,
                left,
                right,
                next_left..old_index,
                next_right..new_index,
            );
            let len = len.min(left.len() - old_index).min(right.len() - new_index);
            for k in 0..len {
                rows.push(PackedRow {
                    left: (old_index + k) as u32,
                    right: (new_index + k) as u32,
                    kind: RowKind::Same,
                });
            }
            next_left = old_index + len;
            next_right = new_index + len;
        }
        // Delete, Insert and Replace only widen the pending block, which the
        // next Equal (or the end) flushes.
    }
    push_block(
        &mut rows,
        left,
        right,
        next_left..left.len(),
        next_right..right.len(),
    );
    rows
}

/// Emits one change block: removed lines paired with added lines in order,
/// then the surplus of the longer side alone.
fn push_block(
    rows: &mut Vec<PackedRow>,
    left: &[u32],
    right: &[u32],
    old: std::ops::Range<usize>,
    new: std::ops::Range<usize>,
) {
    let paired = old.len().min(new.len());
    for k in 0..paired {
        let (l, r) = (old.start + k, new.start + k);
        // A fallback alignment can pair two equal lines; show them as equal.
        let kind = if left.get(l) == right.get(r) {
            RowKind::Same
        } else {
            RowKind::Changed
        };
        rows.push(PackedRow {
            left: l as u32,
            right: r as u32,
            kind,
        });
    }
    for l in old.start + paired..old.end {
        rows.push(PackedRow {
            left: l as u32,
            right: NONE,
            kind: RowKind::Removed,
        });
    }
    for r in new.start + paired..new.end {
        rows.push(PackedRow {
            left: NONE,
            right: r as u32,
            kind: RowKind::Added,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(m: &DiffModel) -> String {
        (0..m.rows())
            .map(|i| match m.row(i).unwrap().kind {
                RowKind::Same => '=',
                RowKind::Changed => '~',
                RowKind::Removed => '-',
                RowKind::Added => '+',
            })
            .collect()
    }

    fn model(a: &str, b: &str) -> DiffModel {
        DiffModel::build(a.to_owned(), b.to_owned(), Lang::Text)
    }

    #[test]
    fn splits_lines() {
        let m = model("a\r\nb\n\nc", "x\n");
        assert_eq!(m.line_count(Column::Left), 4);
        assert_eq!(m.line(Column::Left, 0), Some("a"));
        assert_eq!(m.raw_line(Column::Left, 0), Some("a\r\n"));
        assert_eq!(m.line(Column::Left, 2), Some(""));
        assert_eq!(m.line(Column::Left, 3), Some("c"));
        assert_eq!(m.line(Column::Left, 4), None);
        assert_eq!(m.line_count(Column::Right), 1);
        assert_eq!(m.line(Column::Right, 0), Some("x"));
        let empty = model("", "");
        assert_eq!(empty.rows(), 0);
        assert_eq!(empty.line_count(Column::Left), 0);
        assert_eq!(empty.row(0), None);
        assert_eq!(empty.next_hunk(0), None);
        assert_eq!(empty.prev_hunk(5), None);
        assert_eq!(empty.row_of_line(Column::Left, 0), None);
    }

    #[test]
    fn aligns_same_changed_added_removed() {
        let m = model("a\nb\nc\nd\n", "a\nB\nc\nd\ne\n");
        assert_eq!(kinds(&m), "=~==+");
        assert_eq!(
            m.row(1),
            Some(Row {
                left: Some(1),
                right: Some(1),
                kind: RowKind::Changed
            })
        );
        assert_eq!(
            m.row(4),
            Some(Row {
                left: None,
                right: Some(4),
                kind: RowKind::Added
            })
        );
        assert_eq!(m.hunks(), &[1, 4]);
        assert_eq!(m.changed_lines(), (1, 2));

        let m = model("a\nb\nc\n", "a\nc\n");
        assert_eq!(kinds(&m), "=-=");
        assert_eq!(
            m.row(1),
            Some(Row {
                left: Some(1),
                right: None,
                kind: RowKind::Removed
            })
        );
        assert_eq!(m.changed_lines(), (1, 0));
    }

    #[test]
    fn pairs_homologs_then_the_surplus() {
        // Three lines replaced by five: three changed pairs, then two added.
        let m = model("x\n1\n2\n3\ny\n", "x\nA\nB\nC\nD\nE\ny\n");
        assert_eq!(kinds(&m), "=~~~++=");
        assert_eq!(
            m.row(3).unwrap(),
            Row {
                left: Some(3),
                right: Some(3),
                kind: RowKind::Changed
            }
        );
        assert_eq!(
            m.row(5).unwrap(),
            Row {
                left: None,
                right: Some(5),
                kind: RowKind::Added
            }
        );
        assert_eq!(m.hunks(), &[1]);
        // Five replaced by two: two pairs, then three removed.
        let m = model("x\n1\n2\n3\n4\n5\ny\n", "x\nA\nB\ny\n");
        assert_eq!(kinds(&m), "=~~---=");
        assert_eq!(m.changed_lines(), (5, 2));
    }

    #[test]
    fn hunks_and_navigation() {
        let m = model("a\nb\nc\nd\ne\nf\ng\n", "a\nX\nc\nd\nY\nf\ng\nh\n");
        assert_eq!(kinds(&m), "=~==~==+");
        assert_eq!(m.hunks(), &[1, 4, 7]);
        assert_eq!(m.next_hunk(0), Some(1));
        assert_eq!(m.next_hunk(1), Some(4));
        assert_eq!(m.next_hunk(7), None);
        assert_eq!(m.prev_hunk(7), Some(4));
        assert_eq!(m.prev_hunk(5), Some(4));
        assert_eq!(m.prev_hunk(1), None);
        // Everything differs: one hunk at row 0.
        let m = model("a\nb\n", "c\n");
        assert_eq!(m.hunks(), &[0]);
        // Nothing differs: no hunk.
        let m = model("a\nb\n", "a\nb\n");
        assert!(m.hunks().is_empty());
    }

    #[test]
    fn row_of_line_maps_both_sides() {
        let m = model("a\nb\nc\n", "z\na\nc\nd\n");
        for side in [Column::Left, Column::Right] {
            for line in 0..m.line_count(side) {
                let row = m.row_of_line(side, line).unwrap();
                let r = m.row(row).unwrap();
                let on_side = if side == Column::Left {
                    r.left
                } else {
                    r.right
                };
                assert_eq!(on_side, Some(line));
            }
        }
        assert_eq!(m.row_of_line(Column::Left, 3), None);
        // Every line appears exactly once, in order.
        let lefts: Vec<usize> = (0..m.rows())
            .filter_map(|i| m.row(i).unwrap().left)
            .collect();
        assert_eq!(lefts, vec![0, 1, 2]);
        let rights: Vec<usize> = (0..m.rows())
            .filter_map(|i| m.row(i).unwrap().right)
            .collect();
        assert_eq!(rights, vec![0, 1, 2, 3]);
    }

    #[test]
    fn row_of_pointer_goes_through_the_text() {
        let left = "{\n  \"a\": 1,\n  \"b\": 2\n}\n";
        let right = "{\n  \"a\": 1,\n  \"c\": 3,\n  \"b\": 2\n}\n";
        let m = DiffModel::build(left.into(), right.into(), Lang::Json);
        assert_eq!(m.row_of_pointer(Column::Right, "/c"), Some(2));
        assert_eq!(m.row_of_pointer(Column::Left, "/b"), Some(3));
    }

    #[test]
    fn align_survives_odd_operations() {
        // Operations that skip lines or overlap must still cover every line.
        let left = [1, 2, 3, 4];
        let right = [1, 9, 3, 4, 5];
        let ops = [
            DiffOp::Equal {
                old_index: 0,
                new_index: 0,
                len: 1,
            },
            DiffOp::Equal {
                old_index: 2,
                new_index: 2,
                len: 10,
            },
            DiffOp::Equal {
                old_index: 1,
                new_index: 1,
                len: 1,
            },
        ];
        let rows = align(&ops, &left, &right);
        let l: Vec<u32> = rows
            .iter()
            .filter(|r| r.left != NONE)
            .map(|r| r.left)
            .collect();
        let r: Vec<u32> = rows
            .iter()
            .filter(|r| r.right != NONE)
            .map(|r| r.right)
            .collect();
        assert_eq!(l, vec![0, 1, 2, 3]);
        assert_eq!(r, vec![0, 1, 2, 3, 4]);
        assert!(align(&[], &left, &right).len() >= 5);
    }
}
