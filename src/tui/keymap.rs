//! Key bindings for the dashboard.
//!
//! Panes never match on key codes: they ask the [`Keymap`] which [`Action`]
//! a key press means in their [`Context`]. The defaults live in
//! `assets/keymap.toml` (embedded in the binary); a user `keymap.toml` in the
//! config directory replaces, adds or removes single bindings. Every binding
//! carries a description, so the bottom bar and the help overlay are built
//! from the same data that drives the keys and cannot go stale.
//!
//! The file layout is one array per context:
//!
//! ```toml
//! global = [
//!   { keys = ["j", "down"], action = "down", desc = "Down" },
//! ]
//! diff = [
//!   { keys = ["n", "]"], action = "next_change", desc = "Next change" },
//! ]
//! ```

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::theme::{did_you_mean, line_of};

/// The default bindings, parsed by [`Keymap::default_keymap`].
const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");
/// How the default file is named in (test-only) error messages.
const DEFAULT_FILE: &str = "assets/keymap.toml";

// ---------------------------------------------------------------------------
// Actions
// ---------------------------------------------------------------------------

/// Everything a key can do in the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    /// Esc: close an overlay, leave a filter, go back.
    Back,
    /// Enter.
    Open,
    NextPane,
    PrevPane,
    /// Focus pane 1..=5.
    FocusPane(u8),
    Up,
    Down,
    Left,
    Right,
    /// g
    Top,
    /// G
    Bottom,
    PageUp,
    PageDown,
    /// Ctrl-u
    HalfPageUp,
    /// Ctrl-d
    HalfPageDown,
    /// `/`
    Filter,
    /// n: next filter match in a list.
    NextMatch,
    /// N
    PrevMatch,
    /// `:`
    Command,
    /// r: poll the selected watch now.
    Refresh,
    /// R: poll every watch now.
    RefreshAll,
    /// f: give the focused pane the whole screen.
    Zoom,
    /// m: mark a version for comparison.
    Mark,
    /// c: compare the two marked versions.
    Compare,
    /// n or ] in the diff pane.
    NextChange,
    /// N or [ in the diff pane.
    PrevChange,
    /// t: canonical form vs the document as published.
    ToggleForm,
    /// F: show or hide the findings list.
    ToggleFindings,
    /// a
    AddWatch,
    /// s: cycle the sort order.
    Sort,
    /// p: pause or resume polling.
    Pause,
    /// A: open or close the alert history.
    Alerts,
    /// s in the alert history: all, pending, failed or sent alerts.
    StatusFilter,
    /// c in the caching pane: the requests of a test, with `curl`.
    Requests,
    /// w in the diff: wrap long lines.
    Wrap,
    /// u in the diff: unified or side by side.
    Unified,
    /// $ in the diff: scroll to the end of the cursor line.
    LineEnd,
    /// 0 in the diff: scroll back to the start of the lines.
    LineStart,
    /// s in the findings: all levels, errors, warnings or info only.
    LevelFilter,
    /// o in the findings: by level, by operation or by root cause.
    Group,
    /// y: copy what is selected to the clipboard (OSC 52).
    Copy,
    /// e in the health pane: turn probing of the selected watch on or off.
    ToggleProbing,
    /// t in the caching pane: run the selected model's suite now.
    RunNow,
    /// c in the watch list: the catalog of a json watch.
    Catalog,
    /// w in the catalog: conditions on fields, as `--where`.
    Where,
    /// S in the catalog: the other direction of the sort.
    SortReverse,
    /// p in a catalog item: the next price field its sparkline shows.
    NextField,
}

/// The actions without a parameter, by file name. `focus_pane_N` is
/// handled apart.
const ACTION_NAMES: &[(&str, Action)] = &[
    ("quit", Action::Quit),
    ("help", Action::Help),
    ("back", Action::Back),
    ("open", Action::Open),
    ("next_pane", Action::NextPane),
    ("prev_pane", Action::PrevPane),
    ("up", Action::Up),
    ("down", Action::Down),
    ("left", Action::Left),
    ("right", Action::Right),
    ("top", Action::Top),
    ("bottom", Action::Bottom),
    ("page_up", Action::PageUp),
    ("page_down", Action::PageDown),
    ("half_page_up", Action::HalfPageUp),
    ("half_page_down", Action::HalfPageDown),
    ("filter", Action::Filter),
    ("next_match", Action::NextMatch),
    ("prev_match", Action::PrevMatch),
    ("command", Action::Command),
    ("refresh", Action::Refresh),
    ("refresh_all", Action::RefreshAll),
    ("zoom", Action::Zoom),
    ("mark", Action::Mark),
    ("compare", Action::Compare),
    ("next_change", Action::NextChange),
    ("prev_change", Action::PrevChange),
    ("toggle_form", Action::ToggleForm),
    ("toggle_findings", Action::ToggleFindings),
    ("add_watch", Action::AddWatch),
    ("sort", Action::Sort),
    ("pause", Action::Pause),
    ("alerts", Action::Alerts),
    ("status_filter", Action::StatusFilter),
    ("requests", Action::Requests),
    ("wrap", Action::Wrap),
    ("unified", Action::Unified),
    ("line_end", Action::LineEnd),
    ("line_start", Action::LineStart),
    ("level_filter", Action::LevelFilter),
    ("group", Action::Group),
    ("copy", Action::Copy),
    ("toggle_probing", Action::ToggleProbing),
    ("run_now", Action::RunNow),
    ("catalog", Action::Catalog),
    ("where", Action::Where),
    ("sort_reverse", Action::SortReverse),
    ("next_field", Action::NextField),
];

/// The number of panes `focus_pane_N` can address.
const PANES: u8 = 5;

impl FromStr for Action {
    type Err = String;

    /// Parses the snake_case name used in keymap files: `quit`,
    /// `half_page_down`, `focus_pane_3`, …
    fn from_str(s: &str) -> Result<Action, String> {
        if let Some(n) = s.strip_prefix("focus_pane_") {
            return match n.parse::<u8>() {
                Ok(n) if (1..=PANES).contains(&n) => Ok(Action::FocusPane(n)),
                _ => Err(format!("`{s}`: panes are numbered 1 to {PANES}")),
            };
        }
        if let Some((_, action)) = ACTION_NAMES.iter().find(|(name, _)| *name == s) {
            return Ok(*action);
        }
        let mut msg = format!("`{s}`: unknown action");
        let names = ACTION_NAMES
            .iter()
            .map(|(n, _)| *n)
            .chain(["focus_pane_1", "none"]);
        if let Some(hint) = did_you_mean(s, names) {
            msg.push_str(&format!(" (did you mean `{hint}`?)"));
        }
        Err(msg)
    }
}

impl fmt::Display for Action {
    /// The name [`Action::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Action::FocusPane(n) = self {
            return write!(f, "focus_pane_{n}");
        }
        let name = ACTION_NAMES
            .iter()
            .find(|(_, a)| a == self)
            .map_or("?", |(n, _)| *n);
        f.write_str(name)
    }
}

// ---------------------------------------------------------------------------
// Contexts
// ---------------------------------------------------------------------------

/// Where a key is pressed: a pane, or anywhere (`Global`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Watches,
    Timeline,
    Diff,
    Findings,
    Health,
    Caching,
    /// The alert history view (not a pane: it takes the whole body).
    Alerts,
    /// The catalog view of a json watch (over the whole body too).
    Catalog,
    /// One item of the catalog view, with its history.
    CatalogItem,
}

impl Context {
    /// Every context, in file order.
    pub const ALL: [Context; 10] = [
        Context::Global,
        Context::Watches,
        Context::Timeline,
        Context::Diff,
        Context::Findings,
        Context::Health,
        Context::Caching,
        Context::Alerts,
        Context::Catalog,
        Context::CatalogItem,
    ];

    /// The section name in a keymap file.
    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Watches => "watches",
            Context::Timeline => "timeline",
            Context::Diff => "diff",
            Context::Findings => "findings",
            Context::Health => "health",
            Context::Caching => "caching",
            Context::Alerts => "alerts",
            Context::Catalog => "catalog",
            Context::CatalogItem => "catalog_item",
        }
    }
}

impl FromStr for Context {
    type Err = String;

    fn from_str(s: &str) -> Result<Context, String> {
        Context::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Context::ALL.iter().map(|c| c.name()).collect();
                format!("`{s}`: unknown context (one of: {})", names.join(", "))
            })
    }
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

/// A key with its modifiers, normalised so that the same key press compares
/// equal however the terminal reported it.
///
/// Normal form: only Ctrl, Alt and Shift are kept; a character never carries
/// Shift (a shifted letter is its uppercase, and `?` is just `?`); Shift+Tab
/// is `BackTab` without a modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    modifiers: KeyModifiers,
}

/// Key names accepted in files (lowercase) and the codes they stand for.
const KEY_NAMES: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("backspace", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
];

impl Key {
    /// Builds the normal form (see the type's documentation).
    fn normalised(code: KeyCode, modifiers: KeyModifiers) -> Key {
        let mut mods =
            modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                // Some terminals (and the kitty protocol without "report
                // alternate keys") send `g`+Shift for G; most send `G`, with
                // or without Shift. Symbols keep their character: the shift
                // needed for `?` depends on the keyboard layout.
                let shifted = mods.contains(KeyModifiers::SHIFT);
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(if shifted { c.to_ascii_uppercase() } else { c })
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key {
            code,
            modifiers: mods,
        }
    }

    /// The key of a terminal event.
    pub fn from_event(event: &KeyEvent) -> Key {
        Key::normalised(event.code, event.modifiers)
    }

    /// Parses the file syntax: `j`, `G`, `ctrl-d`, `shift-tab`, `f1`, …
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        // Peel `ctrl-` / `alt-` / `shift-` prefixes; a lone `-` (or one after
        // a prefix, `ctrl--`) is the minus key itself.
        while let Some((prefix, tail)) = rest.split_once('-') {
            if tail.is_empty() {
                break;
            }
            let m = match prefix.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => KeyModifiers::CONTROL,
                "alt" | "meta" => KeyModifiers::ALT,
                "shift" => KeyModifiers::SHIFT,
                _ => break,
            };
            mods |= m;
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = KEY_NAMES.iter().find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=12).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(format!(
                        "`{text}`: not a key (try `j`, `G`, `ctrl-d`, `shift-tab`, `enter`, `pagedown` or `f1`)"
                    ));
                }
            }
        };
        Ok(Key::normalised(code, mods))
    }

    /// The key code (normalised).
    pub fn code(&self) -> KeyCode {
        self.code
    }

    /// The modifiers (normalised: a subset of Ctrl, Alt, Shift).
    pub fn modifiers(&self) -> KeyModifiers {
        self.modifiers
    }

    fn is_ctrl_c(&self) -> bool {
        self.modifiers == KeyModifiers::CONTROL
            && matches!(self.code, KeyCode::Char('c') | KeyCode::Char('C'))
    }
}

impl fmt::Display for Key {
    /// The key as the help and bottom bar show it: `j`, `↓`, `ctrl-d`, `F1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("del"),
            KeyCode::Insert => f.write_str("ins"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The keymap
// ---------------------------------------------------------------------------

/// One entry: keys, what they do, and how the help describes it.
#[derive(Debug, Clone)]
struct Binding {
    keys: Vec<Key>,
    action: Action,
    desc: String,
}

/// The bindings of one context.
#[derive(Debug, Clone, Default)]
struct Section {
    /// In file order (user additions after the defaults).
    bindings: Vec<Binding>,
    /// Keys a user unbound here with `"none"`; they also hide the global
    /// binding of that key in this context.
    unbound: Vec<Key>,
}

impl Section {
    fn lookup(&self, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action)
    }

    /// Whether this context decides what `key` means (so Global does not).
    fn shadows(&self, key: Key) -> bool {
        self.unbound.contains(&key) || self.lookup(key).is_some()
    }
}

/// Why a keymap file was rejected.
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// A bad entry: unknown action, context or key, or bad TOML.
    #[error("{file}:{line}: {reason}")]
    Invalid {
        file: String,
        line: usize,
        reason: String,
    },
    /// The file exists but cannot be read.
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// All key bindings, per context.
#[derive(Debug, Clone)]
pub struct Keymap {
    /// Indexed by `Context as usize`, in [`Context::ALL`] order.
    sections: [Section; 10],
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::default_keymap()
    }
}

impl Keymap {
    /// The built-in bindings from `assets/keymap.toml`. A test guarantees the
    /// file parses; should it not, the result is an empty keymap in which
    /// Ctrl-c still quits.
    pub fn default_keymap() -> Keymap {
        let mut map = Keymap::empty();
        // Errors are impossible here by test; ignoring them keeps this
        // infallible without `expect`.
        let _ = map.apply_file(DEFAULT_KEYMAP, DEFAULT_FILE, false);
        map
    }

    /// The defaults plus the user's file, if `user_file` names one that
    /// exists. A user entry rebinds each of its keys in its context (the key
    /// leaves whatever binding had it there) and `action = "none"` unbinds
    /// them; bindings the file does not mention stay.
    pub fn load(user_file: Option<&Path>) -> Result<Keymap, KeymapError> {
        let mut map = Keymap::default_keymap();
        let Some(path) = user_file.filter(|p| p.exists()) else {
            return Ok(map);
        };
        let file = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|source| KeymapError::Read {
            file: file.clone(),
            source,
        })?;
        map.apply_file(&src, &file, true)?;
        Ok(map)
    }

    fn empty() -> Keymap {
        Keymap {
            sections: Default::default(),
        }
    }

    fn section(&self, context: Context) -> &Section {
        &self.sections[context as usize]
    }

    /// What a key press does in `context`: the context's own bindings first,
    /// then the global ones. Ctrl-c always quits, whatever the files say, so
    /// a broken keymap can never trap the user.
    pub fn action(&self, context: Context, key: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(key);
        if key.is_ctrl_c() {
            return Some(Action::Quit);
        }
        let own = self.section(context);
        if context == Context::Global || own.shadows(key) {
            return own.lookup(key);
        }
        self.section(Context::Global).lookup(key)
    }

    /// Key hints for the bottom bar and the help overlay: (keys, description)
    /// in file order, for the context's own bindings and then, with
    /// `with_global`, the global bindings the context does not override.
    /// Keys sharing a description are merged ("j/↓", "1–5").
    pub fn hints(&self, context: Context, with_global: bool) -> Vec<(String, String)> {
        let own = self.section(context);
        let mut hints = merge_hints(own.bindings.iter().map(|b| (b.keys.clone(), &b.desc)));
        if with_global && context != Context::Global {
            let global = self.section(Context::Global).bindings.iter().map(|b| {
                let keys: Vec<Key> = b
                    .keys
                    .iter()
                    .copied()
                    .filter(|k| !own.shadows(*k))
                    .collect();
                (keys, &b.desc)
            });
            hints.extend(merge_hints(global));
        }
        hints
    }

    /// The keys that trigger `action` in `context` (own bindings, then global
    /// ones not overridden), as hints show them: "n/]". Empty if unbound.
    pub fn keys_for(&self, context: Context, action: Action) -> String {
        let own = self.section(context);
        let mut keys: Vec<Key> = own
            .bindings
            .iter()
            .filter(|b| b.action == action)
            .flat_map(|b| b.keys.iter().copied())
            .collect();
        if context != Context::Global {
            keys.extend(
                self.section(Context::Global)
                    .bindings
                    .iter()
                    .filter(|b| b.action == action)
                    .flat_map(|b| b.keys.iter().copied())
                    .filter(|k| !own.shadows(*k)),
            );
        }
        show_keys(&keys)
    }

    /// The description for `action` when a user entry gives none: the one
    /// the keymap already uses for it, else its name in words.
    fn desc_for(&self, action: Action) -> String {
        self.sections
            .iter()
            .flat_map(|s| s.bindings.iter())
            .find(|b| b.action == action)
            .map(|b| b.desc.clone())
            .unwrap_or_else(|| {
                let words = action.to_string().replace('_', " ");
                let mut chars = words.chars();
                match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => words,
                }
            })
    }

    /// Binds `keys` to `action` (or unbinds them for `None`) in `context`.
    fn bind(
        &mut self,
        context: Context,
        keys: &[Key],
        action: Option<Action>,
        desc: Option<String>,
    ) {
        let desc = match (action, desc) {
            (Some(_), Some(d)) => d,
            (Some(a), None) => self.desc_for(a),
            (None, _) => String::new(),
        };
        let section = &mut self.sections[context as usize];
        // Each key leaves the binding that had it; emptied bindings go.
        for b in &mut section.bindings {
            b.keys.retain(|k| !keys.contains(k));
        }
        section.bindings.retain(|b| !b.keys.is_empty());
        section.unbound.retain(|k| !keys.contains(k));
        match action {
            None => section.unbound.extend_from_slice(keys),
            Some(action) => {
                // Joining the binding with the same action and description
                // keeps "j/↓/e" together in the help.
                if let Some(b) = section
                    .bindings
                    .iter_mut()
                    .find(|b| b.action == action && b.desc == desc)
                {
                    b.keys.extend_from_slice(keys);
                } else {
                    section.bindings.push(Binding {
                        keys: keys.to_vec(),
                        action,
                        desc,
                    });
                }
            }
        }
    }

    /// Parses a keymap file and applies its entries in file order.
    /// `user` relaxes `desc` to optional and allows `"none"`.
    fn apply_file(&mut self, src: &str, file: &str, user: bool) -> Result<(), KeymapError> {
        let err = |offset: usize, reason: String| KeymapError::Invalid {
            file: file.to_string(),
            line: line_of(src, offset),
            reason,
        };
        let root = DeTable::parse(src).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            err(offset, e.message().trim().to_string())
        })?;
        // toml's table is sorted by key; the spans give back file order,
        // which is the order of the help.
        let mut sections: Vec<(&Spanned<_>, &Spanned<DeValue<'_>>)> =
            root.get_ref().iter().collect();
        sections.sort_by_key(|(k, _)| k.span().start);
        for (name, value) in sections {
            let name_str: &str = name.get_ref();
            let context = Context::from_str(name_str).map_err(|e| err(name.span().start, e))?;
            let Some(entries) = value.get_ref().as_array() else {
                return Err(err(
                    name.span().start,
                    format!(
                        "`{name_str}`: expected a list of bindings, e.g. {name_str} = [ {{ keys = [\"j\"], action = \"down\" }} ]"
                    ),
                ));
            };
            for entry in entries.iter() {
                let entry = parse_entry(entry, user).map_err(|(at, reason)| err(at, reason))?;
                self.bind(context, &entry.keys, entry.action, entry.desc);
            }
        }
        Ok(())
    }
}

/// One `{ keys = […], action = "…", desc = "…" }` entry of a file.
struct Entry {
    keys: Vec<Key>,
    /// `None` for `action = "none"`.
    action: Option<Action>,
    desc: Option<String>,
}

/// Parses one entry; errors carry the byte offset they refer to.
fn parse_entry(entry: &Spanned<DeValue<'_>>, user: bool) -> Result<Entry, (usize, String)> {
    let at = entry.span().start;
    let Some(table) = entry.get_ref().as_table() else {
        return Err((
            at,
            "expected a binding such as { keys = [\"j\"], action = \"down\", desc = \"Down\" }"
                .into(),
        ));
    };
    let mut keys: Option<Vec<Key>> = None;
    let mut action: Option<Option<Action>> = None;
    let mut desc: Option<String> = None;
    for (field, value) in table.iter() {
        let field_at = field.span().start;
        let value_at = value.span().start;
        let field_name: &str = field.get_ref();
        match field_name {
            "keys" | "key" => {
                // A single key may be written without the list.
                let texts: Vec<(&str, usize)> = match value.get_ref() {
                    DeValue::String(s) => vec![(s.as_ref(), value_at)],
                    DeValue::Array(items) => items
                        .iter()
                        .map(|i| (i.get_ref().as_str().unwrap_or(""), i.span().start))
                        .collect(),
                    _ => {
                        return Err((
                            value_at,
                            "`keys`: expected a list of keys such as [\"j\", \"down\"]".into(),
                        ));
                    }
                };
                if texts.is_empty() {
                    return Err((value_at, "`keys`: the list is empty".into()));
                }
                let mut parsed = Vec::new();
                for (text, key_at) in texts {
                    parsed.push(Key::parse(text).map_err(|e| (key_at, e))?);
                }
                keys = Some(parsed);
            }
            "action" | "run" => {
                let Some(name) = value.get_ref().as_str() else {
                    return Err((
                        value_at,
                        "`action`: expected an action name in quotes".into(),
                    ));
                };
                action = Some(if name == "none" {
                    if !user {
                        return Err((value_at, "`none` only makes sense in a user keymap".into()));
                    }
                    None
                } else {
                    Some(Action::from_str(name).map_err(|e| (value_at, e))?)
                });
            }
            "desc" => {
                let Some(text) = value.get_ref().as_str() else {
                    return Err((value_at, "`desc`: expected a description in quotes".into()));
                };
                desc = Some(text.to_string());
            }
            other => {
                return Err((
                    field_at,
                    format!("`{other}`: unknown field (keys, action, desc)"),
                ));
            }
        }
    }
    let Some(keys) = keys else {
        return Err((at, "binding without `keys`".into()));
    };
    let Some(action) = action else {
        return Err((at, "binding without `action`".into()));
    };
    if !user && desc.is_none() {
        return Err((at, "binding without `desc`".into()));
    }
    Ok(Entry { keys, action, desc })
}

/// Groups (keys, description) pairs by description, in order of first
/// appearance; entries left without keys are skipped.
fn merge_hints<'a>(entries: impl Iterator<Item = (Vec<Key>, &'a String)>) -> Vec<(String, String)> {
    let mut groups: Vec<(Vec<Key>, &String)> = Vec::new();
    for (keys, desc) in entries {
        if keys.is_empty() {
            continue;
        }
        match groups.iter_mut().find(|(_, d)| *d == desc) {
            Some((group, _)) => group.extend(keys),
            None => groups.push((keys, desc)),
        }
    }
    groups
        .into_iter()
        .map(|(keys, desc)| (show_keys(&keys), desc.clone()))
        .collect()
}

/// Keys joined with `/`; a run of three or more consecutive digits is
/// shown as a range ("1–5").
fn show_keys(keys: &[Key]) -> String {
    let digits: Option<Vec<u32>> = keys
        .iter()
        .map(|k| match (k.code, k.modifiers.is_empty()) {
            (KeyCode::Char(c), true) => c.to_digit(10),
            _ => None,
        })
        .collect();
    if let Some(d) = digits
        && d.len() >= 3
        && d.windows(2).all(|w| w[1] == w[0] + 1)
    {
        return format!("{}–{}", d[0], d[d.len() - 1]);
    }
    keys.iter()
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }
    fn ch(c: char) -> KeyEvent {
        ev(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn every_key_form_parses() {
        let none = KeyModifiers::NONE;
        let cases: &[(&str, KeyCode, KeyModifiers)] = &[
            ("j", KeyCode::Char('j'), none),
            ("G", KeyCode::Char('G'), none),
            ("shift-g", KeyCode::Char('G'), none),
            ("ctrl-d", KeyCode::Char('d'), KeyModifiers::CONTROL),
            ("Ctrl-D", KeyCode::Char('D'), KeyModifiers::CONTROL),
            ("alt-x", KeyCode::Char('x'), KeyModifiers::ALT),
            (
                "ctrl-alt-x",
                KeyCode::Char('x'),
                KeyModifiers::CONTROL | KeyModifiers::ALT,
            ),
            ("shift-tab", KeyCode::BackTab, none),
            ("backtab", KeyCode::BackTab, none),
            ("enter", KeyCode::Enter, none),
            ("Return", KeyCode::Enter, none),
            ("esc", KeyCode::Esc, none),
            ("tab", KeyCode::Tab, none),
            ("up", KeyCode::Up, none),
            ("down", KeyCode::Down, none),
            ("left", KeyCode::Left, none),
            ("right", KeyCode::Right, none),
            ("shift-up", KeyCode::Up, KeyModifiers::SHIFT),
            ("pageup", KeyCode::PageUp, none),
            ("pagedown", KeyCode::PageDown, none),
            ("home", KeyCode::Home, none),
            ("end", KeyCode::End, none),
            ("f1", KeyCode::F(1), none),
            ("F12", KeyCode::F(12), none),
            ("space", KeyCode::Char(' '), none),
            ("/", KeyCode::Char('/'), none),
            ("?", KeyCode::Char('?'), none),
            (":", KeyCode::Char(':'), none),
            ("[", KeyCode::Char('['), none),
            ("]", KeyCode::Char(']'), none),
            ("-", KeyCode::Char('-'), none),
            ("ctrl--", KeyCode::Char('-'), KeyModifiers::CONTROL),
            ("1", KeyCode::Char('1'), none),
            ("backspace", KeyCode::Backspace, none),
            ("delete", KeyCode::Delete, none),
        ];
        for (text, code, mods) in cases {
            let key = Key::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((key.code(), key.modifiers()), (*code, *mods), "{text}");
        }
        for bad in [
            "", "ctrl-", "hyper-x", "f13", "f0", "pgupp", "jj", "ctrl-foo",
        ] {
            assert!(Key::parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn shift_and_uppercase_are_the_same_key() {
        let map = Keymap::default_keymap();
        for mods in [KeyModifiers::NONE, KeyModifiers::SHIFT] {
            assert_eq!(
                map.action(Context::Watches, &ev(KeyCode::Char('G'), mods)),
                Some(Action::Bottom)
            );
            assert_eq!(
                map.action(Context::Watches, &ev(KeyCode::Char('?'), mods)),
                Some(Action::Help)
            );
            assert_eq!(
                map.action(Context::Diff, &ev(KeyCode::Char('N'), mods)),
                Some(Action::PrevChange)
            );
            assert_eq!(
                map.action(Context::Global, &ev(KeyCode::BackTab, mods)),
                Some(Action::PrevPane)
            );
        }
        // `g` with Shift (kitty protocol) is G; plain g is not.
        assert_eq!(
            map.action(
                Context::Watches,
                &ev(KeyCode::Char('g'), KeyModifiers::SHIFT)
            ),
            Some(Action::Bottom)
        );
        assert_eq!(map.action(Context::Watches, &ch('g')), Some(Action::Top));
        // Shift+Tab reported as Tab with Shift.
        assert_eq!(
            map.action(Context::Global, &ev(KeyCode::Tab, KeyModifiers::SHIFT)),
            Some(Action::PrevPane)
        );
        // Modifiers we don't bind (Super) don't break a match; Ctrl does.
        assert_eq!(
            map.action(
                Context::Global,
                &ev(KeyCode::Char('j'), KeyModifiers::SUPER)
            ),
            Some(Action::Down)
        );
        assert_eq!(
            map.action(
                Context::Global,
                &ev(KeyCode::Char('j'), KeyModifiers::CONTROL)
            ),
            None
        );
    }

    #[test]
    fn default_bindings() {
        let map = Keymap::default_keymap();
        let g = Context::Global;
        let ctrl = |c| ev(KeyCode::Char(c), KeyModifiers::CONTROL);
        let expect = [
            (ch('q'), Action::Quit),
            (ctrl('c'), Action::Quit),
            (ev(KeyCode::F(1), KeyModifiers::NONE), Action::Help),
            (ev(KeyCode::Esc, KeyModifiers::NONE), Action::Back),
            (ev(KeyCode::Enter, KeyModifiers::NONE), Action::Open),
            (ev(KeyCode::Tab, KeyModifiers::NONE), Action::NextPane),
            (ch('3'), Action::FocusPane(3)),
            (ch('k'), Action::Up),
            (ev(KeyCode::Down, KeyModifiers::NONE), Action::Down),
            (ch('h'), Action::Left),
            (ev(KeyCode::Right, KeyModifiers::NONE), Action::Right),
            (ctrl('u'), Action::HalfPageUp),
            (ctrl('d'), Action::HalfPageDown),
            (ev(KeyCode::PageUp, KeyModifiers::NONE), Action::PageUp),
            (ev(KeyCode::PageDown, KeyModifiers::NONE), Action::PageDown),
            (ch('/'), Action::Filter),
            (ch('n'), Action::NextMatch),
            (ch('N'), Action::PrevMatch),
            (ch(':'), Action::Command),
            (ch('r'), Action::Refresh),
            (ch('R'), Action::RefreshAll),
            (ch('f'), Action::Zoom),
        ];
        for (event, action) in expect {
            assert_eq!(map.action(g, &event), Some(action), "{event:?}");
        }
        assert_eq!(map.action(Context::Timeline, &ch('m')), Some(Action::Mark));
        assert_eq!(
            map.action(Context::Timeline, &ch('c')),
            Some(Action::Compare)
        );
        assert_eq!(
            map.action(Context::Diff, &ch(']')),
            Some(Action::NextChange)
        );
        assert_eq!(
            map.action(Context::Diff, &ch('[')),
            Some(Action::PrevChange)
        );
        assert_eq!(
            map.action(Context::Diff, &ch('t')),
            Some(Action::ToggleForm)
        );
        assert_eq!(
            map.action(Context::Diff, &ch('F')),
            Some(Action::ToggleFindings)
        );
        assert_eq!(
            map.action(Context::Watches, &ch('a')),
            Some(Action::AddWatch)
        );
        assert_eq!(map.action(Context::Watches, &ch('s')), Some(Action::Sort));
        assert_eq!(map.action(Context::Watches, &ch('p')), Some(Action::Pause));
        assert_eq!(map.action(g, &ch('A')), Some(Action::Alerts));
        assert_eq!(
            map.action(Context::Alerts, &ch('s')),
            Some(Action::StatusFilter)
        );
        assert_eq!(
            map.action(Context::Caching, &ch('c')),
            Some(Action::Requests)
        );
        assert_eq!(
            map.action(Context::Caching, &ch('r')),
            Some(Action::Refresh)
        );
        assert_eq!(map.action(Context::Caching, &ch('l')), Some(Action::Open));
        assert_eq!(map.action(Context::Caching, &ch('t')), Some(Action::RunNow));
        assert_eq!(map.action(Context::Caching, &ch('y')), Some(Action::Copy));
        // `s` sorts the watch list and filters the alert history by status.
        assert_eq!(map.action(Context::Watches, &ch('s')), Some(Action::Sort));
        // Pane keys stay in their pane.
        assert_eq!(map.action(Context::Diff, &ch('m')), None);
        assert_eq!(map.action(g, &ch('a')), None);

        // No key is bound twice in one context of the default file.
        for ctx in Context::ALL {
            let keys: Vec<Key> = map
                .section(ctx)
                .bindings
                .iter()
                .flat_map(|b| b.keys.clone())
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{} binds {k} twice", ctx.name());
            }
        }
        // Every action is reachable somewhere by default.
        for (name, action) in ACTION_NAMES {
            assert!(
                map.sections
                    .iter()
                    .any(|s| s.bindings.iter().any(|b| b.action == *action)),
                "no default key for {name}"
            );
        }
    }

    #[test]
    fn the_default_file_parses_strictly() {
        let mut map = Keymap::empty();
        map.apply_file(DEFAULT_KEYMAP, DEFAULT_FILE, false).unwrap();
    }

    #[test]
    fn context_bindings_win_over_global() {
        let map = Keymap::default_keymap();
        assert_eq!(
            map.action(Context::Diff, &ch('n')),
            Some(Action::NextChange)
        );
        assert_eq!(
            map.action(Context::Findings, &ch('n')),
            Some(Action::NextMatch)
        );
        assert_eq!(
            map.action(Context::Global, &ch('n')),
            Some(Action::NextMatch)
        );
        // Global keys still work in a pane that doesn't override them.
        assert_eq!(map.action(Context::Diff, &ch('j')), Some(Action::Down));
    }

    #[test]
    fn actions_round_trip_by_name() {
        for (name, action) in ACTION_NAMES {
            assert_eq!(Action::from_str(name), Ok(*action));
            assert_eq!(action.to_string(), *name);
        }
        for n in 1..=5 {
            let a = Action::from_str(&format!("focus_pane_{n}")).unwrap();
            assert_eq!(a, Action::FocusPane(n));
            assert_eq!(a.to_string(), format!("focus_pane_{n}"));
        }
        assert!(Action::from_str("focus_pane_6").is_err());
        assert!(Action::from_str("focus_pane_0").is_err());
        let e = Action::from_str("half_page_dwn").unwrap_err();
        assert!(e.contains("did you mean `half_page_down`"), "{e}");
        for ctx in Context::ALL {
            assert_eq!(Context::from_str(ctx.name()), Ok(ctx));
        }
    }

    #[test]
    fn user_file_rebinds_adds_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keymap.toml");
        fs::write(
            &path,
            r#"
# quit on x instead of q, e also moves down, J pages down
global = [
  { keys = ["q"], action = "none" },
  { keys = ["x"], action = "quit" },
  { keys = "e", action = "down" },
  { keys = ["J"], action = "page_down", desc = "Page down fast" },
  { keys = ["ctrl-c"], action = "none" },
]
# in the diff, n means nothing (no fallback to next_match), f is next change
diff = [
  { keys = ["n"], action = "none" },
  { keys = ["f"], action = "next_change" },
]
"#,
        )
        .unwrap();
        let map = Keymap::load(Some(&path)).unwrap();
        let g = Context::Global;
        assert_eq!(map.action(g, &ch('q')), None);
        assert_eq!(map.action(g, &ch('x')), Some(Action::Quit));
        assert_eq!(map.action(g, &ch('e')), Some(Action::Down));
        assert_eq!(map.action(g, &ch('j')), Some(Action::Down));
        assert_eq!(map.action(g, &ch('J')), Some(Action::PageDown));
        // Ctrl-c is hard-wired.
        let ctrl_c = ev(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.action(Context::Diff, &ctrl_c), Some(Action::Quit));
        // A context's "none" hides the global binding there, not elsewhere.
        assert_eq!(map.action(Context::Diff, &ch('n')), None);
        assert_eq!(
            map.action(Context::Watches, &ch('n')),
            Some(Action::NextMatch)
        );
        assert_eq!(
            map.action(Context::Diff, &ch(']')),
            Some(Action::NextChange)
        );
        assert_eq!(
            map.action(Context::Diff, &ch('f')),
            Some(Action::NextChange)
        );
        assert_eq!(map.action(Context::Timeline, &ch('f')), Some(Action::Zoom));

        let hints = map.hints(g, false);
        // Quit kept its place (and description) with only its new key.
        assert_eq!(hints[0], ("x".to_string(), "Quit".to_string()));
        assert!(
            hints.contains(&("j/↓/e".into(), "Down".into())),
            "{hints:?}"
        );
        assert!(
            hints.contains(&("J".into(), "Page down fast".into())),
            "{hints:?}"
        );
        let diff = map.hints(Context::Diff, false);
        assert_eq!(diff[0], ("]/f".to_string(), "Next change".to_string()));

        // A missing user file means the defaults.
        let none = Keymap::load(Some(&dir.path().join("absent.toml"))).unwrap();
        assert_eq!(none.action(g, &ch('q')), Some(Action::Quit));
        assert_eq!(
            Keymap::load(None).unwrap().action(g, &ch('q')),
            Some(Action::Quit)
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let cases: &[(&str, usize, &str)] = &[
            (
                "global = [\n  { keys = [\"q\"], action = \"quit\" },\n  { keys = [\"x\"], action = \"qiut\" },\n]\n",
                3,
                "`qiut`: unknown action (did you mean `quit`?)",
            ),
            (
                "\nglobal = [\n  { keys = [\"ctrl-foo\"], action = \"quit\" },\n]\n",
                3,
                "`ctrl-foo`: not a key",
            ),
            ("\n\nbrowser = []\n", 3, "`browser`: unknown context"),
            (
                "diff = [\n  { keys = [\"n\"], action = \"down\", colour = \"red\" },\n]\n",
                2,
                "`colour`: unknown field",
            ),
            (
                "diff = [\n  { action = \"down\" },\n]\n",
                2,
                "binding without `keys`",
            ),
            (
                "diff = [\n\n  { keys = [\"n\"] },\n]\n",
                3,
                "binding without `action`",
            ),
            ("diff = \"n\"\n", 1, "expected a list of bindings"),
            (
                "global = [\n  { keys = [\"q\"], action = \"quit\" \n",
                2,
                "",
            ),
            (
                "global = [\n  { keys = [\"q\"], action = \"focus_pane_9\" },\n]\n",
                2,
                "panes are numbered 1 to 5",
            ),
        ];
        for (i, (body, line, reason)) in cases.iter().enumerate() {
            let path = dir.path().join(format!("k{i}.toml"));
            fs::write(&path, body).unwrap();
            let err = Keymap::load(Some(&path)).unwrap_err();
            let msg = err.to_string();
            let expected_prefix = format!("{}:{line}: ", path.display());
            assert!(msg.starts_with(&expected_prefix), "case {i}: {msg}");
            assert!(msg.contains(reason), "case {i}: {msg}");
        }
    }

    #[test]
    fn hints_merge_keys_and_respect_overrides() {
        let map = Keymap::default_keymap();
        let global = map.hints(Context::Global, false);
        assert_eq!(global[0], ("q/ctrl-c".to_string(), "Quit".to_string()));
        assert_eq!(global[1], ("?/F1".to_string(), "Help".to_string()));
        assert!(
            global.contains(&("1–5".into(), "Go to pane".into())),
            "{global:?}"
        );
        assert!(
            global.contains(&("j/↓".into(), "Down".into())),
            "{global:?}"
        );
        assert!(
            global.contains(&("shift-tab".into(), "Previous pane".into())),
            "{global:?}"
        );

        // A pane's hints: its own first, then global ones it doesn't shadow.
        let diff = map.hints(Context::Diff, true);
        assert_eq!(diff[0], ("n/]".to_string(), "Next change".to_string()));
        assert_eq!(diff[1], ("N/[".to_string(), "Previous change".to_string()));
        assert!(!diff.iter().any(|(_, d)| d == "Next match"), "{diff:?}");
        assert!(diff.contains(&("q/ctrl-c".into(), "Quit".into())));
        assert_eq!(map.hints(Context::Diff, false).len(), 11);
        assert!(
            map.hints(Context::Findings, false)
                .iter()
                .any(|(_, d)| d == "Level filter")
        );
        assert!(
            map.hints(Context::Findings, true)
                .iter()
                .any(|(_, d)| d == "Next match")
        );

        assert_eq!(map.keys_for(Context::Diff, Action::NextChange), "n/]");
        assert_eq!(map.keys_for(Context::Diff, Action::NextMatch), "");
        assert_eq!(map.keys_for(Context::Watches, Action::Help), "?/F1");
    }
}
