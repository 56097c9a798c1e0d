//! Syntax highlighting of the diff's lines with syntect, built so that any
//! line of a 400 000-line document can be highlighted within a frame.
//!
//! syntect's parser is a state machine over lines: to colour line `n`
//! correctly it needs the parse state after line `n - 1`, which naively means
//! parsing from the top (several seconds for the GitHub description). So:
//!
//! * [`Highlighter::fill_checkpoints`] parses each side once, on a
//!   background thread, keeping a copy of the state every
//!   [`CHECKPOINT_EVERY`] lines (the state before that line). It only
//!   parses; it does not compute colours.
//! * [`Highlighter::prepare`] / [`Highlighter::line`] start from the nearest
//!   checkpoint at or before the wanted lines (or from where the previous
//!   request stopped, when that is nearer), parse forward, colour, and keep
//!   the results in a bounded cache. A request therefore re-parses at most
//!   `CHECKPOINT_EVERY` lines plus the window itself.
//! * Before the checkpoints reach a line, a request parses from a fresh state
//!   a few lines above it: the colours may be slightly off (a JSON key taken
//!   for a string value) until the checkpoint arrives, then the line is
//!   redone.
//!
//! States parsed from a checkpoint are exact and extend the checkpoints as
//! they cross block boundaries, so the set of checkpoints always grows
//! contiguously from line 0, whoever computed them.
//!
//! Checkpoints hold syntect's `ParseState` and `ScopeStack`, which do not
//! depend on the colour theme; colours come from the scope stack when a line
//! is drawn.
//!
//! Long lines (over 512 bytes) are taken not to change the parse state and
//! are coloured only as far as the screen shows, so a screen of long lines
//! costs little more than one of short lines.
//!
//! YAML does not go through syntect's parser at all: its bundled YAML grammar
//! is ~15 times slower than the JSON one on the `fancy-regex` engine, too slow
//! for a frame. A small tokenizer (`yaml.rs`) assigns the same scopes, and the
//! colours still come from the syntect theme; it needs no checkpoints.

pub use crate::tui::color::ColorDepth;
use crate::tui::color::nearest_256;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use ratatui::style::{Color, Modifier, Style};
use syntect::highlighting::{
    self as sh, FontStyle, HighlightState, RangedHighlightIterator, ScopeSelectors, StyleModifier,
    Theme, ThemeItem, ThemeSet,
};
use syntect::parsing::{ParseState, Scope, ScopeStack, SyntaxReference, SyntaxSet};

use super::yaml::{self, Kind, Tokens};
use super::{Column, DiffModel, Lang};

/// The syntaxes bundled with syntect (the "newlines" flavour: lines are
/// parsed with their `\n`), loaded once per process on first use.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The colour themes bundled with syntect, loaded once per process.
static THEMES: LazyLock<ThemeSet> = LazyLock::new(ThemeSet::load_defaults);

/// The theme used when the requested one does not exist.
const FALLBACK_THEME: &str = "base16-ocean.dark";

/// Themes as used: bundled ones, possibly with a rule for JSON keys added
/// (see [`with_json_keys`]). One entry per theme name, made on first use and
/// kept for the life of the process.
static PREPARED_THEMES: LazyLock<Mutex<HashMap<String, &'static Theme>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Lines between two stored parse states. Jumping anywhere costs at most this
/// many lines of re-parsing per side (about 1.8 ms at syntect's ~70 000 JSON
/// lines a second); memory is one state per block (about 2 KB for the deep
/// GitHub description: 6.3 MiB for its 430 000 lines).
pub const CHECKPOINT_EVERY: usize = 128;

/// Only this many bytes of a line are highlighted; the rest is plain.
pub const MAX_HIGHLIGHT_BYTES: usize = 2000;

/// Lines longer than this are taken to leave the parse state unchanged (true
/// of every line of pretty-printed JSON but brackets, and of the long
/// `description:` lines of YAML): the checkpoint fill skips them, and they
/// are coloured from a copy of the state, only as far as asked (the widget
/// asks for what fits on screen). So a window of long lines costs little more
/// than one of short lines, and a long line cannot derail the ones after it.
const NEUTRAL_LINE_BYTES: usize = 512;

/// Highlighted prefixes of long lines are rounded up to a multiple of this,
/// so that a little sideways scrolling does not redo them.
const PREFIX_STEP: usize = 256;

/// Lines highlighted past the last one asked for, so scrolling down hits the
/// cache.
const PREFETCH: usize = 64;

/// ... and at most this many bytes past the last wanted line (a window of
/// long lines costs more to highlight than one of short lines).
const PREFETCH_BYTES: usize = 8 * 1024;

/// The most lines re-parsed from an exact state before the first wanted line;
/// further away (checkpoints not filled yet), the approximate start is used.
const MAX_CATCHUP: usize = 2 * CHECKPOINT_EVERY;

/// An approximate start begins this many lines above the wanted line, so that
/// the parser has seen the enclosing brackets of most lines.
const WARMUP: usize = 32;

/// Lines kept per cache generation and side (two generations: a line survives
/// at least this many insertions after its last use).
const CACHE_GENERATION: usize = 4096;

/// The names of syntect's bundled themes, for validating a theme file.
pub fn syntax_themes() -> Vec<&'static str> {
    THEMES.themes.keys().map(String::as_str).collect()
}

/// Highlighted pieces of one line: style and byte range, ascending.
type Spans = Vec<(Style, Range<usize>)>;

/// The parser's state before some line.
#[derive(Clone)]
struct Checkpoint {
    parse: ParseState,
    scopes: ScopeStack,
}

/// A highlighted line; `exact` when it was parsed from an exact state;
/// `upto`: bytes coloured (the rest of the line is plain).
struct Cached {
    spans: Spans,
    exact: bool,
    upto: usize,
}

impl Cached {
    /// Whether this entry colours the first `want` bytes (already clamped to
    /// the line's length and the cap).
    fn covers(&self, want: usize) -> bool {
        self.upto >= want
    }
}

/// How much of a line of `len` bytes a request for `upto` bytes wants
/// coloured.
fn wanted(len: usize, upto: usize) -> usize {
    len.min(upto).min(MAX_HIGHLIGHT_BYTES)
}

/// A two-generation cache, an approximation of LRU that costs O(1): new
/// entries go to `hot`; when `hot` is full it becomes `cold` (dropping the
/// old `cold`); a hit in `cold` moves the entry back to `hot`.
#[derive(Default)]
struct LineCache {
    hot: HashMap<usize, Cached>,
    cold: HashMap<usize, Cached>,
}

impl LineCache {
    fn get(&mut self, line: usize) -> Option<&Cached> {
        if !self.hot.contains_key(&line) {
            let entry = self.cold.remove(&line)?;
            self.insert(line, entry);
        }
        self.hot.get(&line)
    }

    fn insert(&mut self, line: usize, entry: Cached) {
        if self.hot.len() >= CACHE_GENERATION && !self.hot.contains_key(&line) {
            self.cold = std::mem::take(&mut self.hot);
        }
        self.hot.insert(line, entry);
    }

    fn clear(&mut self) {
        self.hot.clear();
        self.cold.clear();
    }
}

/// Where the last highlighting run stopped: the state before `next_line`.
struct Resume {
    next_line: usize,
    parse: ParseState,
    highlight: HighlightState,
    exact: bool,
}

/// Everything kept per side.
struct SideState {
    /// Entry `b` is the state before line `b * CHECKPOINT_EVERY`.
    checkpoints: Mutex<Vec<Option<Arc<Checkpoint>>>>,
    cache: Mutex<LineCache>,
    resume: Mutex<Option<Resume>>,
    /// YAML: the line after the last run, and the block-scalar state there.
    yaml_resume: Mutex<Option<(usize, Option<usize>)>>,
    /// `fill_checkpoints` got to the end of this side.
    filled: AtomicBool,
}

/// Locks a mutex, carrying on after a panic in another holder (the data are
/// caches: at worst a line is highlighted again).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Syntax highlighting of one [`DiffModel`]'s lines, with parse-state
/// checkpoints and a cache of highlighted lines. Thread-safe: the app can run
/// [`Highlighter::fill_checkpoints`] on a background thread while the UI
/// draws with the same `Highlighter` (in an `Arc`).
pub struct Highlighter {
    /// The model this highlighter was made for; other models get plain text.
    model_id: u64,
    /// The syntect grammar (JSON); `None` for YAML and plain text.
    syntax: Option<&'static SyntaxReference>,
    /// YAML: the style of each token kind of the own tokenizer (see
    /// `yaml.rs` for why syntect's YAML grammar is not used).
    yaml: Option<Box<[Style; Kind::ALL.len()]>>,
    theme: sh::Highlighter<'static>,
    /// The theme's default text colour, left out of the spans so that plain
    /// text takes the UI theme's text colour.
    default_fg: sh::Color,
    depth: ColorDepth,
    sides: [SideState; 2],
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter")
            .field("model_id", &self.model_id)
            .field("syntax", &self.syntax.map(|s| s.name.as_str()))
            .field("yaml", &self.yaml.is_some())
            .field("depth", &self.depth)
            .field("ready", &self.checkpoints_ready())
            .finish_non_exhaustive()
    }
}

impl Highlighter {
    /// A highlighter for `model`'s language. `syntax_theme` is one of
    /// syntect's bundled themes (see [`syntax_themes`]); an unknown name
    /// falls back to `base16-ocean.dark`. Cheap apart from loading syntect's
    /// data on the first call in the process (tens of milliseconds).
    pub fn new(model: &DiffModel, syntax_theme: &str, color: ColorDepth) -> Highlighter {
        let syntax = match model.lang() {
            Lang::Json => SYNTAXES.find_syntax_by_name("JSON"),
            Lang::Yaml | Lang::Text => None,
        };
        let theme = sh::Highlighter::new(theme_named(syntax_theme));
        let default_fg = theme.get_default().foreground;
        let side = |side: Column| {
            let blocks = model.line_count(side).div_ceil(CHECKPOINT_EVERY);
            let mut checkpoints = vec![None; blocks];
            if let (Some(first), Some(syntax)) = (checkpoints.first_mut(), syntax) {
                // The state before line 0 is the fresh one.
                *first = Some(Arc::new(Checkpoint {
                    parse: ParseState::new(syntax),
                    scopes: ScopeStack::new(),
                }));
            }
            SideState {
                checkpoints: Mutex::new(checkpoints),
                cache: Mutex::new(LineCache::default()),
                resume: Mutex::new(None),
                yaml_resume: Mutex::new(None),
                filled: AtomicBool::new(syntax.is_none() || blocks <= 1),
            }
        };
        let mut highlighter = Highlighter {
            model_id: model.id(),
            syntax,
            yaml: None,
            theme,
            default_fg,
            depth: color,
            sides: [side(Column::Left), side(Column::Right)],
        };
        if model.lang() == Lang::Yaml {
            // One style per token kind, from the scopes syntect's YAML
            // grammar would give it.
            let table = Kind::ALL.map(|kind| {
                let scopes: Vec<Scope> = std::iter::once("source.yaml")
                    .chain(kind.scopes().iter().copied())
                    .filter_map(|name| Scope::new(name).ok())
                    .collect();
                highlighter.convert(highlighter.theme.style_for_stack(&scopes))
            });
            highlighter.yaml = Some(Box::new(table));
        }
        highlighter
    }

    /// The colour depth this highlighter maps to.
    pub fn color_depth(&self) -> ColorDepth {
        self.depth
    }

    /// Whether `fill_checkpoints` has been through both sides (always true
    /// for plain text).
    pub fn checkpoints_ready(&self) -> bool {
        self.sides.iter().all(|s| s.filled.load(Ordering::Acquire))
    }

    /// Drops the highlighted lines (keeps the checkpoints). For benchmarks of
    /// the cold path, or to free memory when the view is hidden.
    pub fn clear_cache(&self) {
        for side in &self.sides {
            lock(&side.cache).clear();
            *lock(&side.resume) = None;
            *lock(&side.yaml_resume) = None;
        }
    }

    /// Spans (style, byte range) of one line, covering the whole line
    /// (without its line break). Highlights from the nearest checkpoint at or
    /// before the line, plus a few lines ahead for the next call. Past
    /// [`MAX_HIGHLIGHT_BYTES`] the line is plain. Out-of-range lines and
    /// lines of another model give plain text (or nothing).
    pub fn line(&self, model: &DiffModel, side: Column, idx: usize) -> Vec<(Style, Range<usize>)> {
        self.line_upto(model, side, idx, MAX_HIGHLIGHT_BYTES)
    }

    /// Like [`Highlighter::line`], but long lines need only be coloured up
    /// to byte `upto` (what is on screen); the rest may be plain.
    pub fn line_upto(
        &self,
        model: &DiffModel,
        side: Column,
        idx: usize,
        upto: usize,
    ) -> Vec<(Style, Range<usize>)> {
        let Some(text) = model.line(side, idx) else {
            return Vec::new();
        };
        if (self.syntax.is_none() && self.yaml.is_none()) || model.id() != self.model_id {
            return plain(text.len());
        }
        let want = wanted(text.len(), upto);
        if let Some(spans) = self.cached(side, idx, want, false) {
            return spans;
        }
        self.prepare_upto(model, side, idx..idx + 1, upto);
        self.cached(side, idx, 0, true)
            .unwrap_or_else(|| plain(text.len()))
    }

    /// Makes sure lines `lines` of `side` are highlighted and cached, in one
    /// pass (the widget calls this with the visible window before asking for
    /// single lines).
    pub fn prepare(&self, model: &DiffModel, side: Column, lines: Range<usize>) {
        self.prepare_upto(model, side, lines, MAX_HIGHLIGHT_BYTES);
    }

    /// Like [`Highlighter::prepare`], colouring long lines only up to byte
    /// `upto` (rounded up), as [`Highlighter::line_upto`].
    pub fn prepare_upto(&self, model: &DiffModel, side: Column, lines: Range<usize>, upto: usize) {
        if let Some(table) = &self.yaml {
            self.prepare_yaml(table, model, side, lines);
            return;
        }
        let Some(syntax) = self.syntax else { return };
        let upto = upto.div_ceil(PREFIX_STEP).saturating_mul(PREFIX_STEP);
        if model.id() != self.model_id {
            return;
        }
        let count = model.line_count(side);
        let end = lines.end.min(count);
        if lines.start >= end {
            return;
        }
        let state = &self.sides[side.index()];

        // The first line that needs work: missing, approximate while an
        // exact start is now at hand, or coloured over too short a prefix.
        let Some(target) = ({
            let checkpoints = lock(&state.checkpoints);
            let mut cache = lock(&state.cache);
            (lines.start..end).find(|&i| match cache.get(i) {
                None => true,
                Some(c) => {
                    let len = model.line(side, i).map_or(0, str::len);
                    (!c.exact && has_checkpoint(&checkpoints, i)) || !c.covers(wanted(len, upto))
                }
            })
        }) else {
            return;
        };

        // Where to start: the nearest exact state at or before `target`
        // (a checkpoint, or where the last run stopped), else an
        // approximation.
        let from_checkpoint = {
            let checkpoints = lock(&state.checkpoints);
            let block = target / CHECKPOINT_EVERY;
            (block.saturating_sub(MAX_CATCHUP / CHECKPOINT_EVERY)..=block)
                .rev()
                .find_map(|b| {
                    checkpoints
                        .get(b)
                        .cloned()
                        .flatten()
                        .map(|c| (b * CHECKPOINT_EVERY, c))
                })
        };
        let from_resume = {
            let resume = lock(&state.resume);
            resume
                .as_ref()
                .filter(|r| r.next_line <= target && target - r.next_line <= MAX_CATCHUP)
                .map(|r| (r.next_line, r.parse.clone(), r.highlight.clone(), r.exact))
        };
        let (start, mut parse, mut highlight, exact) = match (from_checkpoint, from_resume) {
            (Some((line, _)), Some(r)) if r.3 && r.0 >= line => r,
            (Some((line, c)), _) => {
                let highlight = HighlightState::new(&self.theme, c.scopes.clone());
                (line, c.parse.clone(), highlight, true)
            }
            (None, Some(r)) => r,
            (None, None) => {
                let fresh = HighlightState::new(&self.theme, ScopeStack::new());
                (
                    target.saturating_sub(WARMUP),
                    ParseState::new(syntax),
                    fresh,
                    false,
                )
            }
        };

        // Parse (without holding any lock): lines well above the first
        // wanted one only advance the state; from `colour_from` on, lines are
        // coloured and cached; past the window, up to PREFETCH lines or
        // PREFETCH_BYTES more are done for the next scroll.
        let colour_from = target.saturating_sub(PREFETCH).max(start);
        let mut done: Vec<(usize, Spans, usize)> = Vec::new();
        let mut new_checkpoints = Vec::new();
        let mut line = start;
        if line < colour_from {
            let mut scopes = highlight.path.clone();
            while line < colour_from {
                if exact && line % CHECKPOINT_EVERY == 0 {
                    let checkpoint = Checkpoint {
                        parse: parse.clone(),
                        scopes: scopes.clone(),
                    };
                    new_checkpoints.push((line / CHECKPOINT_EVERY, checkpoint));
                }
                advance(syntax, &mut parse, &mut scopes, model, side, line);
                line += 1;
            }
            highlight = HighlightState::new(&self.theme, scopes);
        }
        let mut prefetched_bytes = 0;
        while line < count {
            if line >= end && (line >= end + PREFETCH || prefetched_bytes >= PREFETCH_BYTES) {
                break;
            }
            if exact && line % CHECKPOINT_EVERY == 0 {
                let checkpoint = Checkpoint {
                    parse: parse.clone(),
                    scopes: highlight.path.clone(),
                };
                new_checkpoints.push((line / CHECKPOINT_EVERY, checkpoint));
            }
            let raw = model.raw_line(side, line).unwrap_or("");
            let len = model.line(side, line).map_or(0, str::len);
            if line >= end {
                prefetched_bytes += raw.len();
            }
            let (spans, covered) =
                self.highlight_line(syntax, &mut parse, &mut highlight, raw, len, upto);
            done.push((line, spans, covered));
            line += 1;
        }
        let stop = line;

        // Publish: checkpoints first (so the cache check above sees them),
        // then the lines, then the resume point.
        if !new_checkpoints.is_empty() {
            let mut checkpoints = lock(&state.checkpoints);
            for (block, checkpoint) in new_checkpoints {
                if let Some(slot @ None) = checkpoints.get_mut(block) {
                    *slot = Some(Arc::new(checkpoint));
                }
            }
        }
        {
            let mut cache = lock(&state.cache);
            for (line, spans, upto) in done {
                // Never replace an exact line with an approximate one, nor a
                // longer coloured prefix with a shorter one of the same kind.
                let keep = cache
                    .get(line)
                    .is_some_and(|c| (c.exact && !exact) || (c.exact == exact && c.upto > upto));
                if !keep {
                    cache.insert(line, Cached { spans, exact, upto });
                }
            }
        }
        *lock(&state.resume) = Some(Resume {
            next_line: stop,
            parse,
            highlight,
            exact,
        });
    }

    /// `prepare` for YAML: the own tokenizer, fast enough to need no
    /// checkpoints; the block-scalar state at the first missing line comes
    /// from where the last run stopped, or from walking up the text.
    fn prepare_yaml(
        &self,
        table: &[Style; Kind::ALL.len()],
        model: &DiffModel,
        side: Column,
        lines: Range<usize>,
    ) {
        if model.id() != self.model_id {
            return;
        }
        let count = model.line_count(side);
        let end = lines.end.min(count);
        if lines.start >= end {
            return;
        }
        let state = &self.sides[side.index()];
        let Some(target) = ({
            let mut cache = lock(&state.cache);
            (lines.start..end).find(|&i| cache.get(i).is_none())
        }) else {
            return;
        };
        let resumed = lock(&state.yaml_resume)
            .filter(|(next, _)| *next == target)
            .map(|(_, block)| block);
        let mut block = match resumed {
            Some(block) => block,
            None => yaml::block_state_before(target, |i| model.line(side, i)),
        };
        let mut tokens = Tokens::new();
        let mut done = Vec::new();
        let mut line = target;
        let mut prefetched_bytes = 0;
        while line < count {
            if line >= end && (line >= end + PREFETCH || prefetched_bytes >= PREFETCH_BYTES) {
                break;
            }
            let text = model.line(side, line).unwrap_or("");
            if line >= end {
                prefetched_bytes += text.len();
            }
            yaml::lex_line(text, &mut block, &mut tokens);
            done.push((line, yaml_spans(table, &tokens, text)));
            line += 1;
        }
        {
            let mut cache = lock(&state.cache);
            for (line, spans) in done {
                let upto = model.line(side, line).map_or(0, str::len);
                cache.insert(
                    line,
                    Cached {
                        spans,
                        exact: true,
                        upto,
                    },
                );
            }
        }
        *lock(&state.yaml_resume) = Some((line, block));
    }

    /// Parses both texts from the top (or from where an earlier, cancelled
    /// call stopped), storing a checkpoint every [`CHECKPOINT_EVERY`] lines;
    /// returns early when `cancel` is set. The two sides run in parallel
    /// (this thread and one scoped thread). Meant for a background thread;
    /// afterwards any line highlights in bounded time.
    pub fn fill_checkpoints(&self, model: &DiffModel, cancel: &AtomicBool) {
        if self.syntax.is_none() || model.id() != self.model_id {
            return;
        }
        std::thread::scope(|scope| {
            let left = std::thread::Builder::new()
                .name("diffview-fill".into())
                .spawn_scoped(scope, || self.fill_side(model, Column::Left, cancel));
            self.fill_side(model, Column::Right, cancel);
            match left {
                Ok(handle) => {
                    // A panic there leaves its side unfilled, nothing worse.
                    let _ = handle.join();
                }
                // No thread available: do the left side here.
                Err(_) => self.fill_side(model, Column::Left, cancel),
            }
        });
    }

    /// `fill_checkpoints` for one side.
    fn fill_side(&self, model: &DiffModel, side: Column, cancel: &AtomicBool) {
        let Some(syntax) = self.syntax else { return };
        let state = &self.sides[side.index()];
        if state.filled.load(Ordering::Acquire) {
            return;
        }
        // Checkpoints are contiguous from block 0: continue after the last.
        let (start_block, checkpoint) = {
            let checkpoints = lock(&state.checkpoints);
            let first_missing = checkpoints.iter().position(Option::is_none);
            let Some(first_missing) = first_missing else {
                state.filled.store(true, Ordering::Release);
                return;
            };
            let last = first_missing
                .checked_sub(1)
                .and_then(|b| checkpoints.get(b).cloned().flatten());
            (first_missing.saturating_sub(1), last)
        };
        let (mut parse, mut scopes) = match checkpoint {
            Some(c) => (c.parse.clone(), c.scopes.clone()),
            None => (ParseState::new(syntax), ScopeStack::new()),
        };
        let count = model.line_count(side);
        for line in start_block * CHECKPOINT_EVERY..count {
            if line % CHECKPOINT_EVERY == 0 {
                if cancel.load(Ordering::Relaxed) {
                    return;
                }
                let mut checkpoints = lock(&state.checkpoints);
                if let Some(slot @ None) = checkpoints.get_mut(line / CHECKPOINT_EVERY) {
                    *slot = Some(Arc::new(Checkpoint {
                        parse: parse.clone(),
                        scopes: scopes.clone(),
                    }));
                }
            }
            advance(syntax, &mut parse, &mut scopes, model, side, line);
        }
        state.filled.store(true, Ordering::Release);
    }

    /// The cached spans of a line; with `any`, approximate ones too, else
    /// only those that are as good as they will get.
    fn cached(&self, side: Column, idx: usize, want: usize, any: bool) -> Option<Spans> {
        let state = &self.sides[side.index()];
        let checkpoints = lock(&state.checkpoints);
        let mut cache = lock(&state.cache);
        let entry = cache.get(idx)?;
        let good = entry.covers(want) && (entry.exact || !has_checkpoint(&checkpoints, idx));
        (any || good).then(|| entry.spans.clone())
    }

    /// Parses one line (`raw`, with its line break; `len` bytes without it)
    /// from `parse`/`highlight`, advancing them, and returns its spans and
    /// how many bytes of it are coloured. A line longer than
    /// [`NEUTRAL_LINE_BYTES`] is coloured up to `upto` from a copy of the
    /// state, and leaves the state as it was.
    fn highlight_line(
        &self,
        syntax: &'static SyntaxReference,
        parse: &mut ParseState,
        highlight: &mut HighlightState,
        raw: &str,
        len: usize,
        upto: usize,
    ) -> (Spans, usize) {
        if len > NEUTRAL_LINE_BYTES {
            let mut cut = wanted(len, upto);
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            if cut == 0 {
                return (plain(len), 0);
            }
            let mut parse = parse.clone();
            let mut highlight = highlight.clone();
            let prefix = &raw[..cut];
            let mut spans = match parse.parse_line(prefix, &SYNTAXES) {
                Ok(ops) => self.spans(&mut highlight, &ops, prefix, cut),
                Err(_) => Vec::new(),
            };
            let covered = spans.last().map_or(0, |s| s.1.end);
            if covered < len {
                spans.push((Style::default(), covered..len));
            }
            return (spans, cut);
        }
        match parse.parse_line(raw, &SYNTAXES) {
            Ok(ops) => {
                let mut spans = self.spans(highlight, &ops, raw, len);
                let covered = spans.last().map_or(0, |s| s.1.end);
                if covered < len {
                    spans.push((Style::default(), covered..len));
                }
                (spans, len)
            }
            Err(_) => {
                *parse = ParseState::new(syntax);
                *highlight = HighlightState::new(&self.theme, ScopeStack::new());
                (plain(len), len)
            }
        }
    }

    /// Colours a parsed line: syntect's ranges clipped to `len`, converted to
    /// ratatui styles, neighbours with equal styles merged.
    fn spans(
        &self,
        highlight: &mut HighlightState,
        ops: &[(usize, syntect::parsing::ScopeStackOp)],
        text: &str,
        len: usize,
    ) -> Spans {
        let mut spans: Spans = Vec::new();
        for (style, _, range) in RangedHighlightIterator::new(highlight, ops, text, &self.theme) {
            let range = range.start.min(len)..range.end.min(len);
            if range.is_empty() {
                continue;
            }
            let style = self.convert(style);
            match spans.last_mut() {
                Some(last) if last.0 == style && last.1.end == range.start => {
                    last.1.end = range.end
                }
                _ => spans.push((style, range)),
            }
        }
        spans
    }

    /// syntect style → ratatui style: the foreground (unless it is the
    /// theme's default text colour) at the chosen depth, and the font style.
    /// The theme's background is never used: rows have their own.
    fn convert(&self, style: sh::Style) -> Style {
        let mut out = Style::default();
        if style.foreground != self.default_fg && style.foreground.a != 0 {
            let c = style.foreground;
            out = match self.depth {
                ColorDepth::TrueColor => out.fg(Color::Rgb(c.r, c.g, c.b)),
                ColorDepth::Ansi256 => out.fg(Color::Indexed(nearest_256([c.r, c.g, c.b]))),
                ColorDepth::None => out,
            };
        }
        let font = style.font_style;
        for (flag, modifier) in [
            (FontStyle::BOLD, Modifier::BOLD),
            (FontStyle::ITALIC, Modifier::ITALIC),
            (FontStyle::UNDERLINE, Modifier::UNDERLINED),
        ] {
            if font.contains(flag) {
                out = out.add_modifier(modifier);
            }
        }
        out
    }
}

/// The bundled theme `name` (or the fallback), prepared for JSON.
fn theme_named(name: &str) -> &'static Theme {
    let (name, base) = match THEMES.themes.get_key_value(name) {
        Some(found) => found,
        None => match THEMES
            .themes
            .get_key_value(FALLBACK_THEME)
            .or_else(|| THEMES.themes.iter().next())
        {
            Some(found) => found,
            None => {
                // syntect always bundles themes; this only satisfies the types.
                static EMPTY: LazyLock<Theme> = LazyLock::new(Theme::default);
                return &EMPTY;
            }
        },
    };
    let mut prepared = lock(&PREPARED_THEMES);
    if let Some(theme) = prepared.get(name) {
        return theme;
    }
    // Leaked on purpose: at most one copy per bundled theme, for the process.
    let theme: &'static Theme = match with_json_keys(base) {
        Some(patched) => Box::leak(Box::new(patched)),
        None => base,
    };
    prepared.insert(name.clone(), theme);
    theme
}

/// Most bundled themes colour JSON keys exactly like string values, which
/// makes a large description hard to scan. When a theme does, this returns a
/// copy with one extra rule giving keys the colour the theme uses for tags
/// (YAML keys), keywords or variables, whichever differs from strings.
/// `None` when the theme already tells keys apart (InspiredGitHub does).
fn with_json_keys(theme: &Theme) -> Option<Theme> {
    let scopes = |names: &[&str]| -> Option<Vec<Scope>> {
        names.iter().map(|n| Scope::new(n).ok()).collect()
    };
    let highlighter = sh::Highlighter::new(theme);
    let colour = |names: &[&str]| scopes(names).map(|s| highlighter.style_for_stack(&s).foreground);
    let key = colour(&[
        "source.json",
        "meta.structure.dictionary.key.json",
        "string.quoted.double.json",
    ])?;
    let value = colour(&[
        "source.json",
        "meta.structure.dictionary.value.json",
        "string.quoted.double.json",
    ])?;
    if key != value {
        return None;
    }
    let default = highlighter.get_default().foreground;
    let candidates = [
        ["source.yaml", "entity.name.tag.yaml"],
        ["source.json", "keyword.other"],
        ["source.json", "variable.other"],
        ["source.json", "entity.name.function"],
    ];
    let replacement = candidates
        .iter()
        .filter_map(|c| colour(c))
        .find(|c| *c != value && *c != default)?;
    let selector: ScopeSelectors = "meta.structure.dictionary.key.json string".parse().ok()?;
    let mut patched = theme.clone();
    patched.scopes.push(ThemeItem {
        scope: selector,
        style: StyleModifier {
            foreground: Some(replacement),
            background: None,
            font_style: None,
        },
    });
    Some(patched)
}

/// Advances a parse over line `line` of `side` without colouring it (lines
/// longer than [`NEUTRAL_LINE_BYTES`] leave the state as it is, as in
/// `Highlighter::highlight_line`; a parse error restarts from a fresh state).
fn advance(
    syntax: &'static SyntaxReference,
    parse: &mut ParseState,
    scopes: &mut ScopeStack,
    model: &DiffModel,
    side: Column,
    line: usize,
) {
    let raw = model.raw_line(side, line).unwrap_or("");
    if model.line(side, line).map_or(0, str::len) > NEUTRAL_LINE_BYTES {
        return;
    }
    match parse.parse_line(raw, &SYNTAXES) {
        Ok(ops) => {
            for (_, op) in &ops {
                // A pop below the bottom is ignored, as the highlighter does.
                let _ = scopes.apply(op);
            }
        }
        Err(_) => {
            *parse = ParseState::new(syntax);
            *scopes = ScopeStack::new();
        }
    }
}

/// Whether an exact state is available close enough before `line` to redo an
/// approximate line (its block's checkpoint).
fn has_checkpoint(checkpoints: &[Option<Arc<Checkpoint>>], line: usize) -> bool {
    checkpoints
        .get(line / CHECKPOINT_EVERY)
        .is_some_and(Option::is_some)
}

/// Spans of a tokenized YAML line: token styles, plain text between tokens,
/// plain from [`MAX_HIGHLIGHT_BYTES`] on.
fn yaml_spans(table: &[Style; Kind::ALL.len()], tokens: &Tokens, text: &str) -> Spans {
    let len = text.len();
    let mut cap = MAX_HIGHLIGHT_BYTES.min(len);
    while !text.is_char_boundary(cap) {
        cap -= 1;
    }
    let mut spans: Spans = Vec::with_capacity(tokens.len() * 2 + 1);
    let mut push = |style: Style, range: Range<usize>| {
        if range.is_empty() {
            return;
        }
        match spans.last_mut() {
            Some(last) if last.0 == style && last.1.end == range.start => last.1.end = range.end,
            _ => spans.push((style, range)),
        }
    };
    let mut at = 0;
    for (kind, range) in tokens {
        let (start, end) = (range.start.max(at).min(cap), range.end.min(cap));
        if start >= end {
            continue;
        }
        push(Style::default(), at..start);
        push(table[kind.index()], start..end);
        at = end;
    }
    push(Style::default(), at..len);
    spans
}

/// One unstyled span over a line of `len` bytes.
fn plain(len: usize) -> Spans {
    if len == 0 {
        Vec::new()
    } else {
        vec![(Style::default(), 0..len)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "{\n  \"name\": \"value\",\n  \"count\": 12,\n  \"list\": [\n    true,\n    null\n  ]\n}\n";

    fn json_model(left: &str, right: &str) -> DiffModel {
        DiffModel::build(left.to_owned(), right.to_owned(), Lang::Json)
    }

    fn distinct(spans: &[(Style, Range<usize>)]) -> usize {
        let mut styles: Vec<Style> = spans.iter().map(|s| s.0).collect();
        styles.dedup();
        styles.sort_by_key(|s| format!("{s:?}"));
        styles.dedup();
        styles.len()
    }

    fn covers(spans: &[(Style, Range<usize>)], len: usize) -> bool {
        let mut at = 0;
        for (_, r) in spans {
            if r.start != at || r.end <= r.start {
                return false;
            }
            at = r.end;
        }
        at == len
    }

    #[test]
    fn is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Highlighter>();
        check::<DiffModel>();
    }

    #[test]
    fn truecolor_json_line_has_several_styles() {
        let model = json_model(SAMPLE, SAMPLE);
        let h = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        h.fill_checkpoints(&model, &AtomicBool::new(false));
        assert!(h.checkpoints_ready());
        let line = model.line(Column::Left, 1).unwrap();
        let spans = h.line(&model, Column::Left, 1);
        assert!(covers(&spans, line.len()), "{spans:?}");
        assert!(distinct(&spans) > 1, "{spans:?}");
        assert!(spans.iter().any(|s| matches!(s.0.fg, Some(Color::Rgb(..)))));
        // Key and value are coloured differently.
        let style_at = |byte: usize| spans.iter().find(|s| s.1.contains(&byte)).unwrap().0;
        assert_ne!(
            style_at(line.find("name").unwrap()),
            style_at(line.find("value").unwrap())
        );
    }

    #[test]
    fn ansi256_and_no_colour() {
        let model = json_model(SAMPLE, SAMPLE);
        let h = Highlighter::new(&model, "Solarized (dark)", ColorDepth::Ansi256);
        let spans = h.line(&model, Column::Right, 2);
        assert!(
            spans
                .iter()
                .all(|s| matches!(s.0.fg, None | Some(Color::Indexed(16..=255))))
        );
        assert!(spans.iter().any(|s| s.0.fg.is_some()));
        let h = Highlighter::new(&model, "InspiredGitHub", ColorDepth::None);
        for idx in 0..model.line_count(Column::Left) {
            for (style, _) in h.line(&model, Column::Left, idx) {
                assert_eq!(style.fg, None);
                assert_eq!(style.bg, None);
            }
        }
    }

    #[test]
    fn unknown_theme_falls_back() {
        let model = json_model(SAMPLE, SAMPLE);
        let a = Highlighter::new(&model, "no such theme", ColorDepth::TrueColor);
        let b = Highlighter::new(&model, FALLBACK_THEME, ColorDepth::TrueColor);
        assert_eq!(
            a.line(&model, Column::Left, 1),
            b.line(&model, Column::Left, 1)
        );
        assert!(syntax_themes().contains(&"base16-ocean.dark"));
    }

    #[test]
    fn long_lines_are_capped() {
        let long = format!(
            "{{\n  \"description\": \"{}\",\n  \"b\": 1\n}}\n",
            "word ".repeat(2000)
        );
        let model = json_model(&long, &long);
        let h = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        let line = model.line(Column::Left, 1).unwrap();
        let spans = h.line(&model, Column::Left, 1);
        assert!(covers(&spans, line.len()));
        let last = spans.last().unwrap();
        assert_eq!(last.0, Style::default());
        assert!(last.1.start <= MAX_HIGHLIGHT_BYTES && last.1.end == line.len());
        // The line after it is still highlighted as a key, like without it.
        let short = "{\n  \"description\": \"x\",\n  \"b\": 1\n}\n";
        let model2 = json_model(short, short);
        let h2 = Highlighter::new(&model2, "base16-ocean.dark", ColorDepth::TrueColor);
        assert_eq!(
            h.line(&model, Column::Left, 2),
            h2.line(&model2, Column::Left, 2)
        );
    }

    #[test]
    fn long_lines_are_coloured_as_far_as_asked() {
        let long = format!(
            "{{\n  \"description\": \"{}\",\n  \"b\": 1\n}}\n",
            "word ".repeat(300)
        );
        let model = json_model(&long, &long);
        let h = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        let len = model.line(Column::Left, 1).unwrap().len();
        assert!(len > NEUTRAL_LINE_BYTES && len < MAX_HIGHLIGHT_BYTES);
        // Asked for 100 bytes: coloured up to the next step, plain after.
        let short = h.line_upto(&model, Column::Left, 1, 100);
        assert!(covers(&short, len));
        assert_eq!(short.last().unwrap(), &(Style::default(), PREFIX_STEP..len));
        // Asked for everything: the string's colour runs to its end.
        let full = h.line(&model, Column::Left, 1);
        assert!(covers(&full, len));
        assert!(
            full.iter()
                .any(|s| s.1.end >= len - 2 && s.0 != Style::default())
        );
        // And the short request is now served by the full entry.
        assert_eq!(h.line_upto(&model, Column::Left, 1, 100), full);
    }

    #[test]
    fn checkpoints_give_the_same_colours_as_parsing_from_the_top() {
        // A document long enough for several blocks.
        let mut doc = String::from("{\n");
        for i in 0..1000 {
            doc.push_str(&format!(
                "  \"key{i}\": {{\n    \"n\": {i},\n    \"s\": \"v{i}\"\n  }},\n"
            ));
        }
        doc.push_str("  \"end\": true\n}\n");
        let model = json_model(&doc, &doc);
        let filled = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        filled.fill_checkpoints(&model, &AtomicBool::new(false));
        // Reference: highlight every line in order from the top.
        let reference = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        let all: Vec<_> = (0..model.line_count(Column::Left))
            .map(|i| reference.line(&model, Column::Left, i))
            .collect();
        for idx in [3999, 2500, 130, 128, 127, 0, 4001] {
            assert_eq!(
                filled.line(&model, Column::Left, idx),
                all[idx],
                "line {idx}"
            );
        }
        filled.clear_cache();
        filled.prepare(&model, Column::Right, 3000..3060);
        assert_eq!(filled.line(&model, Column::Right, 3030), all[3030]);
    }

    #[test]
    fn cancelled_fill_resumes_and_approximations_get_redone() {
        let mut doc = String::from("{\n");
        for i in 0..1200 {
            doc.push_str(&format!("  \"k{i}\": [\n    {i}\n  ],\n"));
        }
        doc.push_str("  \"z\": 0\n}\n");
        let model = json_model(&doc, &doc);
        let h = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        // Cancelled at once: nothing filled beyond block 0.
        h.fill_checkpoints(&model, &AtomicBool::new(true));
        assert!(!h.checkpoints_ready());
        // A line far down is approximate for now but never panics.
        let before = h.line(&model, Column::Left, 3000);
        assert!(covers(
            &before,
            model.line(Column::Left, 3000).unwrap().len()
        ));
        h.fill_checkpoints(&model, &AtomicBool::new(false));
        assert!(h.checkpoints_ready());
        let reference = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        for i in 0..=3000 {
            let _ = reference.line(&model, Column::Left, i);
        }
        assert_eq!(
            h.line(&model, Column::Left, 3000),
            reference.line(&model, Column::Left, 3000)
        );
    }

    #[test]
    fn plain_text_and_other_models() {
        let text = DiffModel::build("a\tb\n\nc".into(), "x".into(), Lang::Text);
        let h = Highlighter::new(&text, "base16-ocean.dark", ColorDepth::TrueColor);
        assert!(h.checkpoints_ready());
        assert_eq!(
            h.line(&text, Column::Left, 0),
            vec![(Style::default(), 0..3)]
        );
        assert_eq!(h.line(&text, Column::Left, 1), vec![]);
        assert_eq!(h.line(&text, Column::Left, 9), vec![]);
        let other = json_model(SAMPLE, SAMPLE);
        assert_eq!(h.line(&other, Column::Left, 1).len(), 1);
        let yaml = DiffModel::build("a: 1\nb:\n  - c\n".into(), String::new(), Lang::Yaml);
        let h = Highlighter::new(&yaml, "base16-ocean.dark", ColorDepth::TrueColor);
        assert!(distinct(&h.line(&yaml, Column::Left, 0)) > 1);
        assert_eq!(h.line(&yaml, Column::Right, 0), vec![]);
    }

    #[test]
    fn yaml_uses_the_theme_and_knows_block_scalars_anywhere() {
        let mut doc = String::from("openapi: 3.1.0\npaths:\n");
        for i in 0..300 {
            doc.push_str(&format!(
                "  /p{i}:\n    get:\n      description: |\n        text: {i}\n        - more\n      operationId: op{i}\n"
            ));
        }
        let model = DiffModel::build(doc.clone(), doc, Lang::Yaml);
        let h = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::TrueColor);
        assert!(h.checkpoints_ready(), "YAML needs no checkpoints");
        // Jump straight to the middle: line 2 + 6 * 150 + 3 is a block line.
        let idx = 2 + 6 * 150 + 3;
        let line = model.line(Column::Left, idx).unwrap();
        assert_eq!(line.trim(), "text: 150");
        let block = h.line(&model, Column::Left, idx);
        let key_line = h.line(&model, Column::Left, idx + 2);
        assert!(
            covers(&block, line.len())
                && covers(&key_line, model.line(Column::Left, idx + 2).unwrap().len())
        );
        // The block line is one string span; `operationId` is a key, coloured
        // differently from its value.
        let block_style = block.iter().find(|s| s.1.contains(&8)).unwrap().0;
        assert!(block_style.fg.is_some());
        let style_at = |spans: &[(Style, Range<usize>)], byte: usize| {
            spans.iter().find(|s| s.1.contains(&byte)).unwrap().0
        };
        assert_eq!(
            style_at(&block, 8),
            style_at(&block, 12),
            "`text:` is not a key here"
        );
        assert_ne!(style_at(&key_line, 7), style_at(&key_line, 20));
        let none = Highlighter::new(&model, "base16-ocean.dark", ColorDepth::None);
        assert!(
            none.line(&model, Column::Right, idx + 2)
                .iter()
                .all(|s| s.0.fg.is_none())
        );
        for (i, kind) in Kind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
    }
}
