//! Semantic themes for the dashboard.
//!
//! Panes never pick a colour: they ask the [`Theme`] for a *role* — "the
//! selected row", "an error finding", "an added diff line" — and get back a
//! ratatui [`Style`] that is already adapted to what the terminal can show
//! ([`ColorDepth`]). Swapping themes, or running under `NO_COLOR`, then needs
//! no change anywhere else.
//!
//! Themes are TOML files. Three are built in (`themes/*.toml`, embedded in
//! the binary); users may add their own in the config directory, and a user
//! theme may `extends` another and override only some roles. The file format
//! is documented in `themes/README.md`. A broken file is reported with its
//! path, line and reason; it is never silently replaced by a default.

pub use crate::tui::color::ColorDepth;
use crate::tui::color::nearest_256;
use std::fmt;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diff::Level;

/// The syntax-highlighting themes syntect ships (its "default themes"); a UI
/// theme must name one of them in `syntax_theme`.
pub const SYNTAX_THEMES: &[&str] = &[
    "base16-ocean.dark",
    "base16-eighties.dark",
    "base16-mocha.dark",
    "base16-ocean.light",
    "InspiredGitHub",
    "Solarized (dark)",
    "Solarized (light)",
];

/// The built-in themes: (name, path shown in errors, TOML source).
const BUILTINS: &[(&str, &str, &str)] = &[
    (
        "dark",
        "themes/dark.toml",
        include_str!("../../themes/dark.toml"),
    ),
    (
        "light",
        "themes/light.toml",
        include_str!("../../themes/light.toml"),
    ),
    (
        "high-contrast",
        "themes/high-contrast.toml",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The names of the built-in themes, in the order they are offered.
const BUILTIN_NAMES: &[&str] = &["dark", "light", "high-contrast"];

/// The theme a user file extends when it does not say (and is not itself
/// named after a built-in).
const DEFAULT_PARENT: &str = "dark";

// ---------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------

/// Declares the roles once: the enum, the key used in theme files, and the
/// modifiers a role gets when there is no colour. Adding a role is one line
/// here, one accessor (if it deserves one) and one line per builtin theme
/// (a test checks the builtins set every role).
macro_rules! roles {
    ($( $(#[doc = $doc:literal])* $variant:ident = $key:literal, mono = $mono:expr; )*) => {
        /// Something on screen that has a style of its own. Theme files use
        /// the snake_case names ([`Role::key`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl Role {
            /// Every role, in the order the builtin theme files list them.
            pub const ALL: &'static [Role] = &[ $( Role::$variant, )* ];

            /// The key naming this role in a theme file.
            pub fn key(self) -> &'static str {
                match self { $( Role::$variant => $key, )* }
            }

            /// Modifiers that stand in for colour under [`ColorDepth::None`].
            fn mono(self) -> Modifier {
                match self { $( Role::$variant => $mono, )* }
            }
        }
    };
}

roles! {
    /// Normal text and the pane background.
    Base = "base", mono = Modifier::empty();
    /// Secondary text: dates, counts, hints.
    Dim = "dim", mono = Modifier::DIM;
    /// The border of a pane without focus.
    Border = "border", mono = Modifier::empty();
    /// The border of the focused pane.
    BorderFocused = "border_focused", mono = Modifier::BOLD;
    /// A pane title without focus.
    Title = "title", mono = Modifier::empty();
    /// The focused pane's title.
    TitleFocused = "title_focused", mono = Modifier::BOLD.union(Modifier::REVERSED);
    /// The selected row of the focused list.
    Selection = "selection", mono = Modifier::REVERSED;
    /// The selected row of a list without focus.
    SelectionUnfocused = "selection_unfocused", mono = Modifier::UNDERLINED;
    /// A finding of level error (breaking).
    LevelError = "level_error", mono = Modifier::BOLD;
    /// A finding of level warning.
    LevelWarning = "level_warning", mono = Modifier::ITALIC;
    /// A finding of level info.
    LevelInfo = "level_info", mono = Modifier::empty();
    /// A watch whose last poll found nothing new.
    StatusOk = "status_ok", mono = Modifier::empty();
    /// A watch with a new, non-breaking version.
    StatusChanged = "status_changed", mono = Modifier::ITALIC;
    /// A watch with a breaking change.
    StatusBreaking = "status_breaking", mono = Modifier::BOLD;
    /// A watch whose fetch is failing.
    StatusFailing = "status_failing", mono = Modifier::BOLD.union(Modifier::UNDERLINED);
    /// A paused watch.
    StatusPaused = "status_paused", mono = Modifier::DIM;
    /// A watch never polled yet.
    StatusPending = "status_pending", mono = Modifier::DIM.union(Modifier::ITALIC);
    /// An added line in the diff.
    DiffAdded = "diff_added", mono = Modifier::empty();
    /// A removed line in the diff.
    DiffRemoved = "diff_removed", mono = Modifier::empty();
    /// The changed words inside an added line.
    DiffAddedEmph = "diff_added_emph", mono = Modifier::BOLD.union(Modifier::UNDERLINED);
    /// The changed words inside a removed line.
    DiffRemovedEmph = "diff_removed_emph", mono = Modifier::BOLD.union(Modifier::UNDERLINED);
    /// The empty side of a side-by-side row.
    DiffFiller = "diff_filler", mono = Modifier::DIM;
    /// Line numbers in the diff gutter.
    LineNumber = "line_number", mono = Modifier::DIM;
    /// The line under the cursor in the diff.
    CursorLine = "cursor_line", mono = Modifier::REVERSED;
    /// The line numbers of the cursor line: what makes the cursor easy to
    /// find (at least 3:1 against every background of the diff).
    CursorMark = "cursor_mark", mono = Modifier::BOLD.union(Modifier::REVERSED);
    /// Text matching the diff search (at least 3:1 against every background
    /// of the diff).
    SearchMatch = "search_match", mono = Modifier::BOLD.union(Modifier::UNDERLINED);
    /// The description part of a key hint.
    KeyHint = "key_hint", mono = Modifier::empty();
    /// The key part of a key hint.
    KeyHintKey = "key_hint_key", mono = Modifier::BOLD;
    /// The status bar at the bottom.
    StatusBar = "status_bar", mono = Modifier::REVERSED;
    /// The busy spinner.
    Spinner = "spinner", mono = Modifier::BOLD;
    /// Text being typed: filter, command line, form fields.
    Input = "input", mono = Modifier::empty();
    /// An input the app rejected.
    InputError = "input_error", mono = Modifier::BOLD;
    /// Sparkline bars of successful runs.
    Sparkline = "sparkline", mono = Modifier::empty();
    /// Sparkline bars of failed or slow runs.
    SparklineBad = "sparkline_bad", mono = Modifier::DIM;
    /// A version marked for comparison.
    Marked = "marked", mono = Modifier::BOLD.union(Modifier::ITALIC);
    /// Overlays: the help screen, forms.
    Popup = "popup", mono = Modifier::empty();
}

const ROLE_COUNT: usize = Role::ALL.len();

impl Role {
    /// The role with this theme-file key.
    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.key() == key)
    }
}

/// What the dashboard knows about a watch, for its colour in the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchStatus {
    /// The last poll found nothing new.
    Ok,
    /// A new version without breaking changes.
    Changed,
    /// A new version with breaking changes.
    Breaking,
    /// Fetching fails.
    Failing,
    /// Polling is paused.
    Paused,
    /// Never polled.
    Pending,
}

// ---------------------------------------------------------------------------
// Colours as written in a file
// ---------------------------------------------------------------------------

/// A colour as the theme file wrote it, before adapting it to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paint {
    /// One of the 16 ANSI colours (whose look the terminal decides), or
    /// `Color::Reset` for the terminal's default.
    Named(Color),
    /// An xterm-256 palette index.
    Indexed(u8),
    /// 24-bit colour with an optional palette index for 256-colour
    /// terminals (`#rrggbb/22`), used instead of the computed nearest one.
    Rgb { rgb: [u8; 3], fallback: Option<u8> },
}

impl Paint {
    /// The colour to send to a terminal of this depth.
    fn adapt(self, depth: ColorDepth) -> Option<Color> {
        match (self, depth) {
            (_, ColorDepth::None) => None,
            (Paint::Named(c), _) => Some(c),
            (Paint::Indexed(i), _) => Some(Color::Indexed(i)),
            (Paint::Rgb { rgb: [r, g, b], .. }, ColorDepth::TrueColor) => Some(Color::Rgb(r, g, b)),
            (Paint::Rgb { rgb, fallback }, ColorDepth::Ansi256) => {
                Some(Color::Indexed(fallback.unwrap_or_else(|| nearest_256(rgb))))
            }
        }
    }
}

/// Names for the 16 ANSI colours (after removing `-`/`_` and lowercasing),
/// plus the terminal default.
const COLOR_NAMES: &[(&str, Color)] = &[
    ("default", Color::Reset),
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("darkgray", Color::DarkGray),
    ("darkgrey", Color::DarkGray),
    ("brightblack", Color::DarkGray),
    ("lightred", Color::LightRed),
    ("brightred", Color::LightRed),
    ("lightgreen", Color::LightGreen),
    ("brightgreen", Color::LightGreen),
    ("lightyellow", Color::LightYellow),
    ("brightyellow", Color::LightYellow),
    ("lightblue", Color::LightBlue),
    ("brightblue", Color::LightBlue),
    ("lightmagenta", Color::LightMagenta),
    ("brightmagenta", Color::LightMagenta),
    ("lightcyan", Color::LightCyan),
    ("brightcyan", Color::LightCyan),
    ("white", Color::White),
    ("brightwhite", Color::White),
];

/// Modifier names accepted in a theme (with aliases).
const MODIFIER_NAMES: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("underline", Modifier::UNDERLINED),
    ("slow_blink", Modifier::SLOW_BLINK),
    ("blink", Modifier::SLOW_BLINK),
    ("rapid_blink", Modifier::RAPID_BLINK),
    ("reversed", Modifier::REVERSED),
    ("reverse", Modifier::REVERSED),
    ("hidden", Modifier::HIDDEN),
    ("crossed_out", Modifier::CROSSED_OUT),
    ("strikethrough", Modifier::CROSSED_OUT),
];

/// Parses `#rrggbb`, `#rrggbb/NNN`, a colour name or a palette index.
fn parse_paint(text: &str) -> Option<Paint> {
    let text = text.trim();
    if let Some(hex) = text.strip_prefix('#') {
        let (hex, fallback) = match hex.split_once('/') {
            Some((hex, idx)) => (hex, Some(idx.trim().parse::<u8>().ok()?)),
            None => (hex, None),
        };
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        return Some(Paint::Rgb {
            rgb: [byte(0)?, byte(2)?, byte(4)?],
            fallback,
        });
    }
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse::<u8>().ok().map(Paint::Indexed);
    }
    let folded: String = text
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_ascii_lowercase();
    COLOR_NAMES
        .iter()
        .find(|(name, _)| *name == folded)
        .map(|(_, c)| Paint::Named(*c))
}

fn parse_modifier(text: &str) -> Option<Modifier> {
    let folded = text.trim().to_ascii_lowercase().replace('-', "_");
    MODIFIER_NAMES
        .iter()
        .find(|(name, _)| *name == folded)
        .map(|(_, m)| *m)
}

const COLOUR_HELP: &str = "not a colour (use #rrggbb, a name such as `lightblue`, or 0-255)";

// ---------------------------------------------------------------------------
// Role styles as written in a file
// ---------------------------------------------------------------------------

/// One role's style before adapting it: colours as written plus modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Spec {
    fg: Option<Paint>,
    bg: Option<Paint>,
    modifiers: Modifier,
}

impl Spec {
    /// The ratatui style for this spec on a terminal of `depth`.
    fn style(self, role: Role, depth: ColorDepth) -> Style {
        let mut style = Style::new().add_modifier(self.modifiers);
        if depth == ColorDepth::None {
            // No colours at all, so the role needs another way to stand out.
            return style.add_modifier(role.mono());
        }
        if let Some(fg) = self.fg.and_then(|p| p.adapt(depth)) {
            style = style.fg(fg);
        }
        if let Some(bg) = self.bg.and_then(|p| p.adapt(depth)) {
            style = style.bg(bg);
        }
        style
    }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Why a theme could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// The file is not valid: bad TOML, unknown role, bad colour…
    #[error("{file}:{line}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        reason: String,
    },
    /// The user's theme file exists but cannot be read.
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Neither a builtin nor a file in the user theme directory.
    #[error("no theme named `{name}`: {hint}")]
    NotFound { name: String, hint: String },
}

/// 1-based line number of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The closest of `candidates` to `word`, if it is close enough to be a
/// likely typo (edit distance at most a third of the word, and at least 1).
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    /// Optimal string alignment distance: Levenshtein plus swaps of two
    /// neighbouring letters, the commonest typo (`qiut`, `blod`).
    fn edit_distance(a: &str, b: &str) -> usize {
        let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1)
                    .min(d[i - 1][j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[i - 2][j - 2] + 1);
                }
                d[i][j] = best;
            }
        }
        d[a.len()][b.len()]
    }
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

// ---------------------------------------------------------------------------
// Parsing one file
// ---------------------------------------------------------------------------

/// One theme file, parsed but not merged with what it extends.
#[derive(Debug, Clone)]
struct Layer {
    /// The theme this one builds on, and the line that said so.
    extends: Option<(String, usize)>,
    syntax_theme: Option<String>,
    roles: [Option<Spec>; ROLE_COUNT],
}

/// Turns a byte span into a `ThemeError::Invalid` for `file`.
struct Reporter<'a> {
    file: &'a str,
    src: &'a str,
}

impl Reporter<'_> {
    fn at(&self, offset: usize, reason: impl Into<String>) -> ThemeError {
        ThemeError::Invalid {
            file: self.file.to_string(),
            line: line_of(self.src, offset),
            reason: reason.into(),
        }
    }
}

fn parse_layer(src: &str, file: &str) -> Result<Layer, ThemeError> {
    let report = Reporter { file, src };
    let root = DeTable::parse(src).map_err(|e| {
        let offset = e.span().map(|s| s.start).unwrap_or(0);
        report.at(offset, e.message().trim().to_string())
    })?;
    let mut layer = Layer {
        extends: None,
        syntax_theme: None,
        roles: [None; ROLE_COUNT],
    };
    // toml's table is sorted by key; walking it in file order makes the
    // first mistake in the file the one reported.
    let mut entries: Vec<_> = root.get_ref().iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    for (key, value) in entries {
        let name: &str = key.get_ref();
        let at = key.span().start;
        match name {
            "extends" => {
                let Some(parent) = value.get_ref().as_str() else {
                    return Err(report.at(at, "`extends`: expected a theme name in quotes"));
                };
                layer.extends = Some((parent.to_string(), line_of(src, at)));
            }
            "syntax_theme" => {
                let Some(theme) = value.get_ref().as_str() else {
                    return Err(report.at(at, "`syntax_theme`: expected a string"));
                };
                if !SYNTAX_THEMES.contains(&theme) {
                    return Err(report.at(
                        value.span().start,
                        format!(
                            "`syntax_theme = \"{theme}\"`: not a syntax theme (one of: {})",
                            SYNTAX_THEMES.join(", ")
                        ),
                    ));
                }
                layer.syntax_theme = Some(theme.to_string());
            }
            _ => {
                let Some(role) = Role::from_key(name) else {
                    let mut reason = format!("`{name}`: unknown role");
                    let known = Role::ALL
                        .iter()
                        .map(|r| r.key())
                        .chain(["extends", "syntax_theme"]);
                    if let Some(hint) = did_you_mean(name, known) {
                        reason.push_str(&format!(" (did you mean `{hint}`?)"));
                    }
                    return Err(report.at(at, reason));
                };
                layer.roles[role as usize] = Some(parse_spec(name, value, &report)?);
            }
        }
    }
    Ok(layer)
}

/// A role's value: either `"fg=#… bg=#… bold"` or
/// `{ fg = "#…", bg = "#…", modifiers = ["bold"] }`.
fn parse_spec(
    role: &str,
    value: &Spanned<DeValue<'_>>,
    report: &Reporter<'_>,
) -> Result<Spec, ThemeError> {
    let at = value.span().start;
    match value.get_ref() {
        DeValue::String(text) => parse_spec_str(role, text, at, report),
        DeValue::Table(table) => {
            let mut spec = Spec::default();
            for (field, v) in table.iter() {
                let field_at = field.span().start;
                let field_name: &str = field.get_ref();
                match field_name {
                    "fg" | "bg" => {
                        let paint = paint_value(role, v, report)?;
                        if field_name == "fg" {
                            spec.fg = Some(paint);
                        } else {
                            spec.bg = Some(paint);
                        }
                    }
                    "modifiers" => {
                        let Some(items) = v.get_ref().as_array() else {
                            return Err(report.at(
                                field_at,
                                format!("`{role}.modifiers`: expected a list such as [\"bold\"]"),
                            ));
                        };
                        for item in items.iter() {
                            let word = item.get_ref().as_str().unwrap_or_default();
                            let Some(m) = parse_modifier(word) else {
                                return Err(report.at(
                                    item.span().start,
                                    format!("`{role}`: `{word}`: unknown modifier"),
                                ));
                            };
                            spec.modifiers |= m;
                        }
                    }
                    other => {
                        return Err(report.at(
                            field_at,
                            format!("`{role}.{other}`: unknown field (fg, bg, modifiers)"),
                        ));
                    }
                }
            }
            Ok(spec)
        }
        _ => Err(report.at(
            at,
            format!(
                "`{role}`: expected a style such as \"fg=#c0c5ce bold\" or {{ fg = \"#c0c5ce\" }}"
            ),
        )),
    }
}

/// A colour in the table form: a string, or a bare palette index.
fn paint_value(
    role: &str,
    value: &Spanned<DeValue<'_>>,
    report: &Reporter<'_>,
) -> Result<Paint, ThemeError> {
    let at = value.span().start;
    let text = match value.get_ref() {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) if i.radix() == 10 => i.as_str().to_string(),
        _ => return Err(report.at(at, format!("`{role}`: {COLOUR_HELP}"))),
    };
    parse_paint(&text).ok_or_else(|| report.at(at, format!("`{role}`: `{text}`: {COLOUR_HELP}")))
}

/// The string form: whitespace-separated `fg=COLOUR`, `bg=COLOUR` and
/// modifier names.
fn parse_spec_str(
    role: &str,
    text: &str,
    at: usize,
    report: &Reporter<'_>,
) -> Result<Spec, ThemeError> {
    let mut spec = Spec::default();
    for word in text.split_whitespace() {
        if let Some((slot, colour)) = word.split_once('=') {
            let paint = parse_paint(colour)
                .ok_or_else(|| report.at(at, format!("`{role}`: `{colour}`: {COLOUR_HELP}")))?;
            match slot.to_ascii_lowercase().as_str() {
                "fg" => spec.fg = Some(paint),
                "bg" => spec.bg = Some(paint),
                _ => {
                    return Err(report.at(
                        at,
                        format!("`{role}`: `{word}`: expected fg=COLOUR or bg=COLOUR"),
                    ));
                }
            }
        } else if let Some(m) = parse_modifier(word) {
            spec.modifiers |= m;
        } else {
            let mut reason = format!("`{role}`: `{word}`: unknown modifier");
            if let Some(hint) = did_you_mean(word, MODIFIER_NAMES.iter().map(|(n, _)| *n)) {
                reason.push_str(&format!(" (did you mean `{hint}`?)"));
            }
            return Err(report.at(at, reason));
        }
    }
    Ok(spec)
}

// ---------------------------------------------------------------------------
// The theme
// ---------------------------------------------------------------------------

/// A resolved theme: every role's style, adapted to one colour depth.
#[derive(Debug, Clone)]
pub struct Theme {
    /// The name it was loaded by ("dark", or a user theme's file stem).
    pub name: String,
    /// The syntect theme for highlighting specs (one of [`SYNTAX_THEMES`]).
    pub syntax_theme: String,
    depth: ColorDepth,
    /// The roles as written, kept so [`Theme::with_depth`] can re-adapt.
    specs: [Spec; ROLE_COUNT],
    /// The roles adapted to `depth`, handed out by the accessors.
    styles: [Style; ROLE_COUNT],
}

impl Theme {
    /// A builtin theme in 24-bit colour (use [`Theme::with_depth`] or
    /// [`Theme::load`] for another depth), or `None` for an unknown name.
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, file, src) = BUILTINS.iter().find(|(n, _, _)| *n == name)?;
        let layer = parse_layer(src, file).ok()?;
        Some(Theme::from_layers(name, &[layer], ColorDepth::TrueColor))
    }

    /// The builtin theme names.
    pub fn builtin_names() -> &'static [&'static str] {
        BUILTIN_NAMES
    }

    /// Resolves the theme called `name`: a file `NAME.toml` in `user_dir`
    /// (the `themes` folder of the config directory) when there is one,
    /// otherwise a builtin. A user file builds on the theme its `extends`
    /// names — by default the builtin of the same name if there is one (so a
    /// user `dark.toml` tweaks the builtin dark), else `dark` — and may set
    /// any subset of roles.
    pub fn load(
        name: &str,
        user_dir: Option<&Path>,
        depth: ColorDepth,
    ) -> Result<Theme, ThemeError> {
        // Walk the `extends` chain from the requested theme down to a builtin,
        // collecting layers top first.
        let mut layers: Vec<Layer> = Vec::new();
        let mut visited: Vec<String> = Vec::new();
        let mut current = name.to_string();
        // Where the current name came from: None for the requested theme,
        // (file, line) for an `extends`.
        let mut referrer: Option<(String, usize)> = None;
        loop {
            let user_file = user_dir
                .map(|dir| dir.join(format!("{current}.toml")))
                .filter(|path| path.is_file() && !visited.contains(&current));
            if let Some(path) = user_file {
                let file = path.display().to_string();
                let src = std::fs::read_to_string(&path).map_err(|source| ThemeError::Read {
                    file: file.clone(),
                    source,
                })?;
                let layer = parse_layer(&src, &file)?;
                let parent = match &layer.extends {
                    Some((parent, line)) => (parent.clone(), *line),
                    None if BUILTIN_NAMES.contains(&current.as_str()) => (current.clone(), 1),
                    None => (DEFAULT_PARENT.to_string(), 1),
                };
                visited.push(current);
                layers.push(layer);
                current = parent.0;
                referrer = Some((file, parent.1));
                continue;
            }
            if let Some((_, file, src)) = BUILTINS.iter().find(|(n, _, _)| *n == current) {
                layers.push(parse_layer(src, file)?);
                break;
            }
            // Neither a user file nor a builtin.
            return Err(match referrer {
                Some((file, line)) => {
                    let reason = if visited.contains(&current) {
                        format!(
                            "`extends = \"{current}\"`: themes extend each other in a cycle ({} → {current})",
                            visited.join(" → ")
                        )
                    } else {
                        format!(
                            "`extends = \"{current}\"`: no such theme (builtins: {})",
                            BUILTIN_NAMES.join(", ")
                        )
                    };
                    ThemeError::Invalid { file, line, reason }
                }
                None => ThemeError::NotFound {
                    name: current.clone(),
                    hint: match user_dir {
                        Some(dir) => format!(
                            "not a builtin ({}) and no file {}",
                            BUILTIN_NAMES.join(", "),
                            dir.join(format!("{current}.toml")).display()
                        ),
                        None => format!("the builtin themes are {}", BUILTIN_NAMES.join(", ")),
                    },
                },
            });
        }
        Ok(Theme::from_layers(name, &layers, depth))
    }

    /// Merges layers (top first: the first layer that sets a role wins).
    fn from_layers(name: &str, layers: &[Layer], depth: ColorDepth) -> Theme {
        let mut specs = [Spec::default(); ROLE_COUNT];
        for (i, spec) in specs.iter_mut().enumerate() {
            if let Some(found) = layers.iter().find_map(|l| l.roles[i]) {
                *spec = found;
            }
        }
        let syntax_theme = layers
            .iter()
            .find_map(|l| l.syntax_theme.clone())
            .unwrap_or_else(|| SYNTAX_THEMES[0].to_string());
        let mut theme = Theme {
            name: name.to_string(),
            syntax_theme,
            depth,
            specs,
            styles: [Style::new(); ROLE_COUNT],
        };
        theme.adapt();
        theme
    }

    fn adapt(&mut self) {
        for (i, role) in Role::ALL.iter().enumerate() {
            self.styles[i] = self.specs[i].style(*role, self.depth);
        }
    }

    /// The same theme for another colour depth.
    pub fn with_depth(&self, depth: ColorDepth) -> Theme {
        let mut theme = self.clone();
        theme.depth = depth;
        theme.adapt();
        theme
    }

    /// The colour depth the styles are adapted to.
    pub fn depth(&self) -> ColorDepth {
        self.depth
    }

    /// Any role's style, for code that holds a [`Role`] as data.
    pub fn role(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// Normal text and the pane background.
    pub fn base(&self) -> Style {
        self.role(Role::Base)
    }
    /// Secondary text: dates, counts, hints.
    pub fn dim(&self) -> Style {
        self.role(Role::Dim)
    }
    /// A pane border.
    pub fn border(&self, focused: bool) -> Style {
        self.role(if focused {
            Role::BorderFocused
        } else {
            Role::Border
        })
    }
    /// A pane title.
    pub fn title(&self, focused: bool) -> Style {
        self.role(if focused {
            Role::TitleFocused
        } else {
            Role::Title
        })
    }
    /// The selected row of a list, in a focused pane or not.
    pub fn selection(&self, focused: bool) -> Style {
        self.role(if focused {
            Role::Selection
        } else {
            Role::SelectionUnfocused
        })
    }
    /// A finding's level.
    pub fn level(&self, level: Level) -> Style {
        self.role(match level {
            Level::Error => Role::LevelError,
            Level::Warning => Role::LevelWarning,
            Level::Info => Role::LevelInfo,
        })
    }
    /// A watch's status in the list.
    pub fn status(&self, status: WatchStatus) -> Style {
        self.role(match status {
            WatchStatus::Ok => Role::StatusOk,
            WatchStatus::Changed => Role::StatusChanged,
            WatchStatus::Breaking => Role::StatusBreaking,
            WatchStatus::Failing => Role::StatusFailing,
            WatchStatus::Paused => Role::StatusPaused,
            WatchStatus::Pending => Role::StatusPending,
        })
    }
    /// An added diff line.
    pub fn diff_added(&self) -> Style {
        self.role(Role::DiffAdded)
    }
    /// A removed diff line.
    pub fn diff_removed(&self) -> Style {
        self.role(Role::DiffRemoved)
    }
    /// The changed words of an added line.
    pub fn diff_added_emph(&self) -> Style {
        self.role(Role::DiffAddedEmph)
    }
    /// The changed words of a removed line.
    pub fn diff_removed_emph(&self) -> Style {
        self.role(Role::DiffRemovedEmph)
    }
    /// The empty side of a side-by-side row.
    pub fn diff_filler(&self) -> Style {
        self.role(Role::DiffFiller)
    }
    /// Gutter line numbers.
    pub fn line_number(&self) -> Style {
        self.role(Role::LineNumber)
    }
    /// The line under the diff cursor.
    pub fn cursor_line(&self) -> Style {
        self.role(Role::CursorLine)
    }
    /// The line numbers of the line under the diff cursor.
    pub fn cursor_mark(&self) -> Style {
        self.role(Role::CursorMark)
    }
    /// Text that matches the diff search.
    pub fn search_match(&self) -> Style {
        self.role(Role::SearchMatch)
    }
    /// A key hint's description.
    pub fn key_hint(&self) -> Style {
        self.role(Role::KeyHint)
    }
    /// A key hint's key.
    pub fn key_hint_key(&self) -> Style {
        self.role(Role::KeyHintKey)
    }
    /// The status bar.
    pub fn status_bar(&self) -> Style {
        self.role(Role::StatusBar)
    }
    /// The busy spinner.
    pub fn spinner(&self) -> Style {
        self.role(Role::Spinner)
    }
    /// Text being typed (filter, command line, forms).
    pub fn input(&self) -> Style {
        self.role(Role::Input)
    }
    /// Input that was rejected.
    pub fn input_error(&self) -> Style {
        self.role(Role::InputError)
    }
    /// Sparkline bars of good runs.
    pub fn sparkline(&self) -> Style {
        self.role(Role::Sparkline)
    }
    /// Sparkline bars of failed or slow runs.
    pub fn sparkline_bad(&self) -> Style {
        self.role(Role::SparklineBad)
    }
    /// A version marked for comparison.
    pub fn marked(&self) -> Style {
        self.role(Role::Marked)
    }
    /// Overlays: help, forms.
    pub fn popup(&self) -> Style {
        self.role(Role::Popup)
    }
}

impl Default for Theme {
    /// The builtin dark theme in 256 colours (a safe choice anywhere).
    fn default() -> Theme {
        Theme::builtin(DEFAULT_PARENT)
            .map(|t| t.with_depth(ColorDepth::Ansi256))
            .unwrap_or_else(|| Theme::from_layers(DEFAULT_PARENT, &[], ColorDepth::Ansi256))
    }
}

impl fmt::Display for ColorDepth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ColorDepth::TrueColor => "truecolor",
            ColorDepth::Ansi256 => "256",
            ColorDepth::None => "none",
        })
    }
}

/// The user theme folder inside apiradar's config directory.
pub fn user_dir(config_dir: &Path) -> PathBuf {
    config_dir.join("themes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const DEPTHS: [ColorDepth; 3] = [ColorDepth::TrueColor, ColorDepth::Ansi256, ColorDepth::None];

    /// Each accessor's style, so tests cover the public surface, not `role`.
    fn every_style(t: &Theme) -> Vec<Style> {
        let mut v = vec![
            t.base(),
            t.dim(),
            t.border(false),
            t.border(true),
            t.title(false),
            t.title(true),
            t.selection(true),
            t.selection(false),
            t.diff_added(),
            t.diff_removed(),
            t.diff_added_emph(),
            t.diff_removed_emph(),
            t.diff_filler(),
            t.line_number(),
            t.cursor_line(),
            t.cursor_mark(),
            t.search_match(),
            t.key_hint(),
            t.key_hint_key(),
            t.status_bar(),
            t.spinner(),
            t.input(),
            t.input_error(),
            t.sparkline(),
            t.sparkline_bad(),
            t.marked(),
            t.popup(),
        ];
        v.extend([Level::Error, Level::Warning, Level::Info].map(|l| t.level(l)));
        v.extend(
            [
                WatchStatus::Ok,
                WatchStatus::Changed,
                WatchStatus::Breaking,
                WatchStatus::Failing,
                WatchStatus::Paused,
                WatchStatus::Pending,
            ]
            .map(|s| t.status(s)),
        );
        v
    }

    #[test]
    fn every_builtin_sets_every_role_and_loads_at_every_depth() {
        for (name, file, src) in BUILTINS {
            let layer = parse_layer(src, file).unwrap();
            for role in Role::ALL {
                assert!(
                    layer.roles[*role as usize].is_some(),
                    "{file} does not set `{}`",
                    role.key()
                );
            }
            assert!(layer.syntax_theme.is_some(), "{file} has no syntax_theme");
            assert!(layer.extends.is_none(), "{file}: builtins stand alone");
            for depth in DEPTHS {
                let t = Theme::load(name, Option::None, depth).unwrap();
                assert_eq!(t.name, *name);
                assert_eq!(t.depth(), depth);
                assert!(SYNTAX_THEMES.contains(&t.syntax_theme.as_str()));
            }
        }
        assert_eq!(
            Theme::builtin_names(),
            BUILTINS.iter().map(|(n, _, _)| *n).collect::<Vec<_>>()
        );
        assert!(Theme::builtin("nope").is_none());
    }

    #[test]
    fn no_colour_means_no_colour_but_roles_stay_distinct() {
        for name in Theme::builtin_names() {
            let t = Theme::load(name, Option::None, ColorDepth::None).unwrap();
            for style in every_style(&t) {
                assert_eq!(style.fg, Option::None, "{name}: {style:?}");
                assert_eq!(style.bg, Option::None, "{name}: {style:?}");
            }
            assert!(t.selection(true).add_modifier.contains(Modifier::REVERSED));
            assert!(t.level(Level::Error).add_modifier.contains(Modifier::BOLD));
            assert_ne!(t.selection(true), t.selection(false));
            assert_ne!(t.title(true), t.title(false));
            assert_ne!(t.diff_added(), t.diff_added_emph());
        }
    }

    #[test]
    fn depths_shape_the_colours() {
        let tc = Theme::load("dark", Option::None, ColorDepth::TrueColor).unwrap();
        assert!(matches!(tc.base().fg, Some(Color::Rgb(..))));
        let c256 = Theme::load("dark", Option::None, ColorDepth::Ansi256).unwrap();
        for style in every_style(&c256) {
            for colour in [style.fg, style.bg].into_iter().flatten() {
                match colour {
                    Color::Indexed(i) => assert!(i >= 16, "{style:?}"),
                    Color::Rgb(..) => panic!("24-bit colour in 256 mode: {style:?}"),
                    _ => {}
                }
            }
        }
        // with_depth re-adapts the same theme.
        assert_eq!(tc.with_depth(ColorDepth::Ansi256).base(), c256.base());
    }

    #[test]
    fn builtins_are_readable() {
        // WCAG contrast of normal text and of findings against the pane
        // background; high-contrast must reach AAA (7:1), the others AA.
        fn lum(c: Option<Color>) -> f64 {
            let Some(Color::Rgb(r, g, b)) = c else {
                panic!("expected 24-bit colour, got {c:?}")
            };
            let ch = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        }
        fn contrast(a: Option<Color>, b: Option<Color>) -> f64 {
            let (a, b) = (lum(a), lum(b));
            (a.max(b) + 0.05) / (a.min(b) + 0.05)
        }
        for (name, min) in [("dark", 4.5), ("light", 4.5), ("high-contrast", 7.0)] {
            let t = Theme::builtin(name).unwrap();
            let bg = t.base().bg;
            // (what, style): text colour against the style's own background,
            // or the pane's when it has none.
            for (what, style) in [
                ("base", t.base()),
                ("error", t.level(Level::Error)),
                ("warning", t.level(Level::Warning)),
                ("info", t.level(Level::Info)),
                ("breaking", t.status(WatchStatus::Breaking)),
                ("failing", t.status(WatchStatus::Failing)),
                ("changed", t.status(WatchStatus::Changed)),
                ("ok", t.status(WatchStatus::Ok)),
                ("title", t.title(true)),
                ("selection", t.selection(true)),
                ("key", t.key_hint_key()),
                ("hint", t.key_hint()),
                ("status bar", t.status_bar()),
                ("input", t.input()),
                ("input error", t.input_error()),
                ("popup", t.popup()),
                ("marked", t.marked()),
            ] {
                let c = contrast(style.fg.or(t.base().fg), style.bg.or(bg));
                assert!(c >= min, "{name}: {what} contrast {c:.2} < {min}");
            }
            // Secondary text may be quieter, but not unreadable.
            let c = contrast(t.dim().fg, bg);
            assert!(c >= 4.5_f64.min(min), "{name}: dim contrast {c:.2}");
        }
    }

    /// The RGB of an xterm-256 palette entry (16..=255).
    fn palette_rgb(i: u8) -> [u8; 3] {
        const LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];
        if i >= 232 {
            let g = 8 + 10 * (i - 232);
            return [g, g, g];
        }
        let i = usize::from(i.saturating_sub(16));
        [LEVELS[i / 36], LEVELS[(i / 6) % 6], LEVELS[i % 6]]
    }

    /// WCAG contrast of two colours, 24-bit or palette entries.
    fn contrast_ratio(a: Color, b: Color) -> f64 {
        fn lum(c: Color) -> f64 {
            let [r, g, b] = match c {
                Color::Rgb(r, g, b) => [r, g, b],
                Color::Indexed(i) => palette_rgb(i),
                other => panic!("expected a 24-bit or palette colour, got {other:?}"),
            };
            let ch = |v: u8| {
                let v = f64::from(v) / 255.0;
                if v <= 0.03928 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(r) + 0.7152 * ch(g) + 0.0722 * ch(b)
        }
        let (a, b) = (lum(a), lum(b));
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    #[test]
    fn cursor_and_search_matches_reach_three_to_one_in_every_builtin() {
        // The cursor's mark and the search matches must be found at a
        // glance on every background the diff draws: the pane's, the
        // cursor line's and the added/removed rows' (WCAG 1.4.11 asks 3:1
        // of what must be seen). Their text must stay readable too.
        for name in Theme::builtin_names() {
            for depth in [ColorDepth::TrueColor, ColorDepth::Ansi256] {
                let t = Theme::load(name, Option::None, depth).unwrap();
                let pane = t.base().bg.unwrap();
                let backgrounds = [
                    ("pane", pane),
                    ("cursor line", t.cursor_line().bg.unwrap_or(pane)),
                    ("added row", t.diff_added().bg.unwrap_or(pane)),
                    ("removed row", t.diff_removed().bg.unwrap_or(pane)),
                ];
                for (what, style) in [
                    ("cursor mark", t.cursor_mark()),
                    ("search match", t.search_match()),
                ] {
                    let bg = style
                        .bg
                        .unwrap_or_else(|| panic!("{name}: {what} has no background"));
                    for (against, other) in backgrounds {
                        let c = contrast_ratio(bg, other);
                        assert!(
                            c >= 3.0,
                            "{name} {depth:?}: {what} against the {against}: {c:.2}:1"
                        );
                    }
                    let text = contrast_ratio(style.fg.unwrap(), bg);
                    assert!(text >= 4.5, "{name} {depth:?}: {what} text {text:.2}:1");
                }
                // The old cursor line alone (237 on 236) was 1.16:1: the
                // proof that this test measures what the issue saw.
                assert!(contrast_ratio(Color::Indexed(237), Color::Indexed(236)) < 1.2);
            }
        }
    }

    #[test]
    fn colour_and_style_syntax() {
        assert_eq!(
            parse_paint("#0a0B0c"),
            Some(Paint::Rgb {
                rgb: [10, 11, 12],
                fallback: None
            })
        );
        assert_eq!(
            parse_paint("#0a0b0c/22"),
            Some(Paint::Rgb {
                rgb: [10, 11, 12],
                fallback: Some(22)
            })
        );
        assert_eq!(
            parse_paint("light-blue"),
            Some(Paint::Named(Color::LightBlue))
        );
        assert_eq!(parse_paint("DarkGrey"), Some(Paint::Named(Color::DarkGray)));
        assert_eq!(parse_paint("default"), Some(Paint::Named(Color::Reset)));
        assert_eq!(parse_paint("203"), Some(Paint::Indexed(203)));
        for bad in [
            "#12345",
            "#1234567",
            "#gg0000",
            "256",
            "-1",
            "purple",
            "",
            "#123456/300",
        ] {
            assert_eq!(parse_paint(bad), Option::None, "{bad}");
        }
        let src = "a = \"fg=#102030 bg=17 bold underline\"\nb = { fg = \"red\", bg = 234, modifiers = [\"italic\"] }\n";
        let root = DeTable::parse(src).unwrap();
        let report = Reporter { file: "x", src };
        let a = parse_spec("a", root.get_ref().get("a").unwrap(), &report).unwrap();
        assert_eq!(
            a,
            Spec {
                fg: Some(Paint::Rgb {
                    rgb: [16, 32, 48],
                    fallback: None
                }),
                bg: Some(Paint::Indexed(17)),
                modifiers: Modifier::BOLD | Modifier::UNDERLINED,
            }
        );
        let b = parse_spec("b", root.get_ref().get("b").unwrap(), &report).unwrap();
        assert_eq!(
            b.style(Role::Base, ColorDepth::TrueColor),
            Style::new()
                .fg(Color::Red)
                .bg(Color::Indexed(234))
                .add_modifier(Modifier::ITALIC)
        );
    }

    #[test]
    fn user_theme_overrides_part_and_extends() {
        let dir = tempfile::tempdir().unwrap();
        // Partial override of light: only the error colour changes.
        fs::write(
            dir.path().join("mine.toml"),
            "# my tweaks\nextends = \"light\"\nlevel_error = \"fg=#ff0000 bold\"\n",
        )
        .unwrap();
        let mine = Theme::load("mine", Some(dir.path()), ColorDepth::TrueColor).unwrap();
        let light = Theme::load("light", Option::None, ColorDepth::TrueColor).unwrap();
        assert_eq!(mine.name, "mine");
        assert_eq!(
            mine.level(Level::Error),
            Style::new()
                .fg(Color::Rgb(255, 0, 0))
                .add_modifier(Modifier::BOLD)
        );
        assert_eq!(mine.base(), light.base());
        assert_eq!(mine.diff_added(), light.diff_added());
        assert_eq!(mine.syntax_theme, light.syntax_theme);

        // Without `extends`, a user theme builds on dark.
        fs::write(
            dir.path().join("plain.toml"),
            "syntax_theme = \"Solarized (dark)\"\n",
        )
        .unwrap();
        let plain = Theme::load("plain", Some(dir.path()), ColorDepth::TrueColor).unwrap();
        let dark = Theme::load("dark", Option::None, ColorDepth::TrueColor).unwrap();
        assert_eq!(plain.base(), dark.base());
        assert_eq!(plain.syntax_theme, "Solarized (dark)");

        // A user file named after a builtin tweaks that builtin.
        fs::write(dir.path().join("light.toml"), "dim = \"fg=#000000\"\n").unwrap();
        let tweaked = Theme::load("light", Some(dir.path()), ColorDepth::TrueColor).unwrap();
        assert_eq!(tweaked.dim(), Style::new().fg(Color::Rgb(0, 0, 0)));
        assert_eq!(tweaked.base(), light.base());

        // Chains of user themes: a → mine → (user) light → builtin light.
        fs::write(
            dir.path().join("a.toml"),
            "extends = \"mine\"\nmarked = \"bold\"\n",
        )
        .unwrap();
        let a = Theme::load("a", Some(dir.path()), ColorDepth::TrueColor).unwrap();
        assert_eq!(a.level(Level::Error), mine.level(Level::Error));
        assert_eq!(a.dim(), tweaked.dim());
        assert_eq!(a.marked(), Style::new().add_modifier(Modifier::BOLD));
    }

    #[test]
    fn broken_user_files_name_file_line_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, &str, usize, &str)] = &[
            (
                "typo",
                "base = \"fg=#ffffff\"\n\nlvel_error = \"fg=red\"\n",
                3,
                "`lvel_error`: unknown role (did you mean `level_error`?)",
            ),
            (
                "colour",
                "# c\n\n\n\ndim = \"fg=#12345\"\n",
                5,
                "`dim`: `#12345`: not a colour",
            ),
            (
                "modifier",
                "dim = \"fg=red blod\"\n",
                1,
                "`blod`: unknown modifier (did you mean `bold`?)",
            ),
            ("toml", "base = \"fg=red\"\ndim = \n", 2, ""),
            (
                "field",
                "\nbase = { fg = \"red\", colour = \"blue\" }\n",
                2,
                "`base.colour`: unknown field",
            ),
            (
                "table_colour",
                "\n\nbase = { fg = \"#zzzzzz\" }\n",
                3,
                "`base`: `#zzzzzz`: not a colour",
            ),
            (
                "syntax",
                "syntax_theme = \"Monokai\"\n",
                1,
                "not a syntax theme",
            ),
            ("parent", "x = 1\n", 1, "unknown role"),
            (
                "missing",
                "\nextends = \"nowhere\"\n",
                2,
                "`extends = \"nowhere\"`: no such theme",
            ),
            ("cyc1", "extends = \"cyc2\"\n", 1, "cycle"),
            ("cyc2", "\nextends = \"cyc1\"\n", 2, "cycle"),
            ("dup", "dim = \"bold\"\ndim = \"italic\"\n", 2, ""),
        ];
        for (name, body, _, _) in cases {
            fs::write(dir.path().join(format!("{name}.toml")), body).unwrap();
        }
        for (name, _, line, reason) in cases {
            let err = Theme::load(name, Some(dir.path()), ColorDepth::TrueColor).unwrap_err();
            let msg = err.to_string();
            let ThemeError::Invalid {
                file, line: got, ..
            } = &err
            else {
                panic!("{name}: {err:?}")
            };
            if let Some(other) = name.strip_prefix("cyc") {
                // The cycle is noticed in the file that closes it.
                let (closer, closer_line) = if other == "1" {
                    ("cyc2", 2)
                } else {
                    ("cyc1", 1)
                };
                assert!(file.ends_with(&format!("{closer}.toml")), "{msg}");
                assert_eq!(*got, closer_line, "{msg}");
            } else {
                assert!(file.ends_with(&format!("{name}.toml")), "{msg}");
                assert_eq!(*got, *line, "{msg}");
            }
            assert!(msg.starts_with(&format!("{file}:{got}: ")), "{msg}");
            assert!(msg.contains(reason), "{name}: {msg}");
        }

        let err = Theme::load("ghost", Some(dir.path()), ColorDepth::TrueColor).unwrap_err();
        assert!(matches!(err, ThemeError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("ghost.toml"), "{err}");
        let err = Theme::load("ghost", Option::None, ColorDepth::TrueColor).unwrap_err();
        assert!(
            err.to_string().contains("dark, light, high-contrast"),
            "{err}"
        );
    }
}
