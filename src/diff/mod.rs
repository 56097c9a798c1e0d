//! The semantic OpenAPI diff: what changed between two versions of an API
//! description, and what it breaks.
//!
//! Findings carry oasdiff-compatible check ids and default levels (see
//! [`registry`]), so ignore lists and CI rules written for oasdiff keep
//! working. Both documents are first brought into one shape (Swagger 2.0
//! is upgraded to the OpenAPI 3 layout by [`upgrade`]), then operations are
//! matched by method and path, and each family of checks in [`checks`]
//! compares one aspect of a matched pair.

pub mod bundle;
pub mod changelog;
pub mod checks;
pub mod document;
pub mod filter;
pub mod group;
pub mod json;
pub mod lint;
pub mod registry;
pub mod same;
pub mod text;
pub mod upgrade;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use checks::schema::MAX_DEPTH as SCHEMA_MAX_DEPTH;
pub use document::Doc;

/// How serious a finding is, oasdiff's ERR / WARN / INFO.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "info" => Ok(Level::Info),
            "warning" | "warn" => Ok(Level::Warning),
            "error" | "err" => Ok(Level::Error),
            other => Err(format!(
                "unknown level `{other}`: use info, warning or error"
            )),
        }
    }
}

/// One difference between the base and the revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The oasdiff check id, e.g. `request-parameter-removed`.
    pub id: &'static str,
    pub level: Level,
    /// The HTTP method of the operation concerned, upper case. (Shared by
    /// the findings of an operation, as is the path: a large diff has tens
    /// of thousands of findings on a few hundred operations.)
    pub operation: Option<Arc<str>>,
    /// The path of the operation concerned, as the revision (or, for a
    /// removal, the base) writes it.
    pub path: Option<Arc<str>>,
    pub message: Arc<str>,
    /// JSON pointers into each document, where the change is. (One string
    /// when they are the same, as they mostly are: deep pointers are most
    /// of a large diff's memory.)
    pub base_pointer: Option<Arc<str>>,
    pub revision_pointer: Option<Arc<str>>,
    /// Stable across runs and unrelated edits: id, operation, path and the
    /// subject of the finding, hashed.
    pub fingerprint: String,
    /// Where the change happened, for a finding reached through a shared
    /// schema: shared by every finding it explains (see [`group`]).
    #[serde(skip)]
    pub cause: Option<Arc<group::Cause>>,
}

/// Settings of a diff.
#[derive(Debug, Clone)]
pub struct DiffOptions {
    /// Today, for sunset dates.
    pub today: chrono::NaiveDate,
    /// Days of notice a deprecated beta operation's sunset date must give
    /// (0: no policy; oasdiff's `--deprecation-days-beta`).
    pub deprecation_days_beta: u32,
    /// The same for stable operations (and those without a level).
    pub deprecation_days_stable: u32,
    /// Operations below this stability on every side they appear are not
    /// compared (oasdiff's `--stability-level`); `None` compares them all.
    pub stability_level: Option<Stability>,
}

/// oasdiff's stability levels (`x-stability-level` on an operation), least
/// stable first. An operation without one is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stability {
    Draft,
    Alpha,
    Beta,
    Stable,
}

impl Stability {
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Draft => "draft",
            Stability::Alpha => "alpha",
            Stability::Beta => "beta",
            Stability::Stable => "stable",
        }
    }

    /// The stability of operation `op`; `None` for a level apiradar does
    /// not know (reported as `api-invalid-stability-level`, never hidden).
    pub fn of(op: &Value) -> Option<Stability> {
        match op.get("x-stability-level") {
            None => Some(Stability::Stable),
            Some(v) => v.as_str().and_then(|s| s.parse().ok()),
        }
    }
}

impl std::str::FromStr for Stability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "draft" => Ok(Stability::Draft),
            "alpha" => Ok(Stability::Alpha),
            "beta" => Ok(Stability::Beta),
            "stable" => Ok(Stability::Stable),
            other => Err(format!(
                "unknown stability level `{other}`: use draft, alpha, beta or stable"
            )),
        }
    }
}

impl Default for DiffOptions {
    fn default() -> Self {
        DiffOptions {
            today: chrono::Utc::now().date_naive(),
            deprecation_days_beta: 0,
            deprecation_days_stable: 0,
            stability_level: None,
        }
    }
}

/// Compares two parsed OpenAPI (or Swagger) documents.
pub fn diff_openapi(base: &Value, revision: &Value, options: &DiffOptions) -> Vec<Finding> {
    // Each side is upgraded (Swagger 2.0) and hashed on a thread of its
    // own: every node is hashed once here, which the comparison needs
    // for nearly all of them anyway.
    diff_docs(
        both(|| hashed(Doc::new(base)), || hashed(Doc::new(revision))),
        options,
    )
}

/// [`diff_openapi`] of documents it may keep: a Swagger 2.0 one is
/// upgraded in place rather than copied.
pub fn diff_openapi_owned(base: Value, revision: Value, options: &DiffOptions) -> Vec<Finding> {
    diff_docs(
        both(
            || hashed(Doc::owning(base)),
            || hashed(Doc::owning(revision)),
        ),
        options,
    )
}

fn hashed(doc: Doc<'_>) -> Doc<'_> {
    doc.written_hash(doc.root());
    doc
}

fn diff_docs((base, revision): (Doc<'_>, Doc<'_>), options: &DiffOptions) -> Vec<Finding> {
    let mut out = Emitter::default();
    checks::run(&base, &revision, options, &mut out);
    // Freeing an upgraded (or kept) document takes a while too: not on the
    // way to the answer.
    free_in_background((base.into_upgraded(), revision.into_upgraded()));
    let mut findings = sorted(out.findings);
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    findings
}

/// `findings` by path, operation, level (errors first), check and message,
/// in the order found where all of those are equal.
///
/// Each name is compared as its rank among the distinct names (see
/// [`Ranks`]): a large diff has tens of thousands of findings on a few
/// hundred operations and a few hundred texts, whose long common prefixes
/// every comparison of the strings would read again.
fn sorted(findings: Vec<Finding>) -> Vec<Finding> {
    let paths = Ranks::of(findings.iter().map(|f| f.path.as_deref()));
    let operations = Ranks::of(findings.iter().map(|f| f.operation.as_deref()));
    let checks = Ranks::of(findings.iter().map(|f| Some(f.id)));
    let messages = Ranks::of(findings.iter().map(|f| Some(&*f.message)));
    let mut keys: Vec<_> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            (
                paths.of_text(f.path.as_deref()),
                operations.of_text(f.operation.as_deref()),
                std::cmp::Reverse(f.level),
                checks.of_text(Some(f.id)),
                messages.of_text(Some(&f.message)),
                // Last: equal findings keep the order they were found in.
                i,
            )
        })
        .collect();
    // Stable, so runs already in order are found and merged, not sorted
    // again (the findings come operation by operation).
    keys.sort();
    permute(findings, keys.into_iter().map(|k| k.5).collect())
}

/// The distinct texts of some findings' field numbered in alphabetical
/// order from 1 (0 is none, which sorts first as `None` does), found by
/// where the text is: one operation's findings share its names, one
/// message is one string ([`Emitter`]), and one check's id is the
/// registry's, so a text is read once to be placed and never again.
struct Ranks(rustc_hash::FxHashMap<(usize, usize), u32>);

impl Ranks {
    fn of<'f>(texts: impl Iterator<Item = Option<&'f str>>) -> Ranks {
        let place = |t: &str| (t.as_ptr() as usize, t.len());
        let mut distinct: rustc_hash::FxHashMap<(usize, usize), &str> = Default::default();
        let mut last = None;
        for text in texts.flatten() {
            let at = place(text);
            if last != Some(at) {
                distinct.entry(at).or_insert(text);
                last = Some(at);
            }
        }
        let mut by_text: Vec<(&str, (usize, usize))> =
            distinct.into_iter().map(|(at, t)| (t, at)).collect();
        by_text.sort_unstable();
        let mut ranks = rustc_hash::FxHashMap::default();
        ranks.reserve(by_text.len());
        let (mut rank, mut previous) = (0, None);
        for (text, at) in by_text {
            // The same text in two places has one rank.
            if previous != Some(text) {
                rank += 1;
                previous = Some(text);
            }
            ranks.insert(at, rank);
        }
        Ranks(ranks)
    }

    fn of_text(&self, text: Option<&str>) -> u32 {
        text.and_then(|t| self.0.get(&(t.as_ptr() as usize, t.len())))
            .copied()
            .unwrap_or(0)
    }
}

/// `items` rearranged in place so that position `k` holds what was at
/// `order[k]` (a permutation of the positions): a cycle at a time, by
/// swaps, without a second vector of that size.
fn permute<T>(mut items: Vec<T>, mut order: Vec<usize>) -> Vec<T> {
    const DONE: usize = usize::MAX;
    for start in 0..order.len() {
        if order[start] == DONE {
            continue;
        }
        // What `start` held moves along the cycle until its place.
        let mut at = start;
        loop {
            let from = std::mem::replace(&mut order[at], DONE);
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
    items
}

/// Runs `a` on a scoped thread and `b` on this one; both results. A panic
/// in `a` goes on here, as if it had run on this thread; when no thread can
/// be had, `a` runs here too, after `b`.
fn both<A: Send, B>(a: impl FnOnce() -> A + Send, b: impl FnOnce() -> B) -> (A, B) {
    /// As much stack as the main thread has: the walks recurse as deep as
    /// the parse budget lets a document nest.
    const STACK: usize = 8 << 20;
    let a = std::sync::Mutex::new(Some(a));
    let take = || a.lock().unwrap_or_else(|p| p.into_inner()).take();
    std::thread::scope(|s| {
        let handle = std::thread::Builder::new()
            .stack_size(STACK)
            .spawn_scoped(s, || take().map(|a| a()));
        let second = b();
        let first = match handle {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => None,
        };
        let first = match first {
            Some(first) => first,
            None => match take() {
                Some(a) => a(),
                None => unreachable!("`a` runs once, on the thread or here"),
            },
        };
        (first, second)
    })
}

/// Drops `value` on a thread of its own: freeing two parsed documents of
/// several megabytes takes about as long as a tenth of the diff, and
/// nothing waits for it. Dropped here when no thread can be had.
fn free_in_background<T: Send + 'static>(value: T) {
    // On failure the closure, and `value` with it, is dropped here.
    let _ = std::thread::Builder::new()
        .name("apiradar-free".into())
        .spawn(move || drop(value));
}

/// Counts of findings by level: `[errors, warnings, infos]`.
pub fn level_counts(findings: &[Finding]) -> [i64; 3] {
    let mut out = [0; 3];
    for f in findings {
        match f.level {
            Level::Error => out[0] += 1,
            Level::Warning => out[1] += 1,
            Level::Info => out[2] += 1,
        }
    }
    out
}

/// The findings of a comparison, and lint notes on each document.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub findings: Vec<Finding>,
    pub base_notes: Vec<lint::Note>,
    pub revision_notes: Vec<lint::Note>,
    /// Operations not compared because they are below
    /// [`DiffOptions::stability_level`].
    pub below_stability: usize,
    /// The item key a JSON comparison found in the documents itself.
    pub detected_key: Option<&'static str>,
}

/// Compares two raw documents of a watch's kind: the OpenAPI diff (with
/// lint notes on each side), the structural JSON diff (list items matched
/// by `item_key`), or the text diff of pages. The error says which side
/// could not be read and why.
pub fn compare_raw(
    kind: crate::watch::Kind,
    base: &[u8],
    revision: &[u8],
    item_key: Option<&str>,
    limits: &crate::spec::Limits,
) -> Result<Comparison, (Side, crate::spec::SpecError)> {
    let watch = WatchOptions {
        json: json::JsonOptions {
            item_key: item_key.map(str::to_owned),
            ..json::JsonOptions::default()
        },
        ..WatchOptions::default()
    };
    compare_raw_with(
        kind,
        base,
        revision,
        &watch,
        limits,
        &DiffOptions::default(),
        &mut |_, _| Vec::new(),
    )
}

/// What a watch declares about comparing its versions, by kind.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    pub json: json::JsonOptions,
    pub page: changelog::PageOptions,
}

impl WatchOptions {
    pub fn for_watch(spec: &crate::watch::WatchSpec) -> WatchOptions {
        WatchOptions {
            json: json::JsonOptions::for_watch(spec),
            page: changelog::PageOptions::for_watch(spec),
        }
    }
}

/// [`compare_raw`], with `prepare` run on each parsed OpenAPI document
/// before the diff (bundling its external references, say); the notes it
/// returns join that side's lint notes.
pub fn compare_raw_with(
    kind: crate::watch::Kind,
    base: &[u8],
    revision: &[u8],
    watch: &WatchOptions,
    limits: &crate::spec::Limits,
    options: &DiffOptions,
    prepare: &mut dyn FnMut(Side, &mut Value) -> Vec<lint::Note>,
) -> Result<Comparison, (Side, crate::spec::SpecError)> {
    compare_inputs_with(
        kind,
        Input::raw(base),
        Input::raw(revision),
        watch,
        limits,
        options,
        prepare,
    )
}

/// One document of a comparison: its bytes, and what
/// [`crate::spec::parse_document`] made of them with the comparison's
/// limits when the caller has that already (telling the kind may have
/// parsed it).
pub struct Input<'a> {
    /// Owned bytes are let go once parsed: a large document's bytes need
    /// not stay beside its parsed form for the whole comparison.
    pub raw: std::borrow::Cow<'a, [u8]>,
    pub parsed: Option<crate::spec::Parsed>,
}

impl<'a> Input<'a> {
    /// Bytes not parsed yet.
    pub fn raw(raw: &'a [u8]) -> Input<'a> {
        Input {
            raw: raw.into(),
            parsed: None,
        }
    }

    /// The parsed document, parsed now if it was not.
    fn parse(
        self,
        limits: &crate::spec::Limits,
        side: Side,
    ) -> Result<crate::spec::Parsed, (Side, crate::spec::SpecError)> {
        match self.parsed {
            Some(parsed) => Ok(parsed),
            None => crate::spec::parse_document(&self.raw, limits).map_err(|e| (side, e)),
        }
    }
}

/// [`compare_raw_with`] from [`Input`]s.
pub fn compare_inputs_with(
    kind: crate::watch::Kind,
    base: Input<'_>,
    revision: Input<'_>,
    watch: &WatchOptions,
    limits: &crate::spec::Limits,
    options: &DiffOptions,
    prepare: &mut dyn FnMut(Side, &mut Value) -> Vec<lint::Note>,
) -> Result<Comparison, (Side, crate::spec::SpecError)> {
    use crate::spec::{NormalizeOptions, normalize};
    use crate::watch::Kind;
    let parse = |input: Input<'_>, side| input.parse(limits, side).map(|(v, _)| v);
    let findings_only = |findings| Comparison {
        findings,
        ..Comparison::default()
    };
    match kind {
        Kind::OpenApi => {
            // A side that is not OpenAPI or Swagger (a JSON error body, say)
            // is refused as a poll refuses it, not diffed as an empty API.
            let parse = |input: Input<'_>, side| {
                let (doc, format) = input.parse(limits, side)?;
                crate::spec::openapi::spec_version(&doc, format).map_err(|e| (side, e))?;
                Ok(doc)
            };
            // The two sides are read and linted at once, one on a thread
            // of its own.
            let (b, r) = both(
                || parse(base, Side::Base).map(|d| (lint::lint(&d), d)),
                || parse(revision, Side::Revision).map(|d| (lint::lint(&d), d)),
            );
            let ((mut base_notes, mut b), (mut revision_notes, mut r)) = (b?, r?);
            base_notes.extend(prepare(Side::Base, &mut b));
            revision_notes.extend(prepare(Side::Revision, &mut r));
            let below_stability = match options.stability_level {
                Some(min) => checks::below_stability(&Doc::new(&b), &Doc::new(&r), min).len(),
                None => 0,
            };
            let findings = diff_openapi_owned(b, r, options);
            Ok(Comparison {
                findings,
                base_notes,
                revision_notes,
                below_stability,
                detected_key: None,
            })
        }
        Kind::Json => {
            let diff = json::diff_json_with(
                &parse(base, Side::Base)?,
                &parse(revision, Side::Revision)?,
                &watch.json,
            );
            Ok(Comparison {
                detected_key: diff.detected_key,
                ..findings_only(diff.findings)
            })
        }
        Kind::Page => {
            let opts = NormalizeOptions {
                limits: *limits,
                ..NormalizeOptions::default()
            };
            let text = |raw: &[u8], side| {
                normalize(Kind::Page, raw, &opts)
                    .map(|n| String::from_utf8_lossy(&n.canonical).into_owned())
                    .map_err(|e| (side, e))
            };
            Ok(findings_only(changelog::diff_page(
                &text(&base.raw, Side::Base)?,
                &text(&revision.raw, Side::Revision)?,
                &watch.page,
            )))
        }
    }
}

/// One of the two documents of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Base,
    Revision,
}

/// Where findings are collected, with the operation being compared.
#[derive(Debug, Default)]
pub struct Emitter {
    findings: Vec<Finding>,
    operation: Option<(Arc<str>, Arc<str>)>,
    /// Each message text once: a change in a shared schema reads the same
    /// on every operation that reaches it by the same route (tens of
    /// thousands of findings, a few hundred texts, on a large diff).
    messages: foldhash::HashSet<Arc<str>>,
    /// Where pointers given in pieces are put together.
    scratch: String,
}

impl Emitter {
    /// Findings emitted from now on concern `method path`.
    pub fn set_operation(&mut self, method: &str, path: &str) {
        self.operation = Some((method.to_ascii_uppercase().into(), path.into()));
    }

    pub fn clear_operation(&mut self) {
        self.operation = None;
    }

    /// How many findings so far.
    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// The findings so far, taken out (the emitter goes on with none).
    pub fn take_findings(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// `runs` of findings put in, one after the other, before finding
    /// number `at` (all of them when there are fewer): a vector made once
    /// for them all.
    pub fn insert_runs(&mut self, at: usize, runs: Vec<Vec<Finding>>) {
        if runs.iter().all(Vec::is_empty) {
            return;
        }
        let at = at.min(self.findings.len());
        let total = self.findings.len() + runs.iter().map(Vec::len).sum::<usize>();
        let mut all = Vec::with_capacity(total);
        let mut own = std::mem::take(&mut self.findings).into_iter();
        all.extend(own.by_ref().take(at));
        runs.into_iter().for_each(|run| all.extend(run));
        all.extend(own);
        self.findings = all;
    }

    /// The findings, taken out.
    pub fn into_findings(self) -> Vec<Finding> {
        self.findings
    }

    /// Adds `findings` after those this one has.
    pub fn extend_findings(&mut self, findings: impl IntoIterator<Item = Finding>) {
        self.findings.extend(findings);
    }

    /// [`Emitter::emit`], with where the change happened when that is not
    /// the operation (a shared schema).
    ///
    /// `subject` is given in pieces, which the fingerprint reads as one
    /// string (no string is made of them).
    pub fn emit_caused(
        &mut self,
        check: registry::Check,
        subject: &[&str],
        message: String,
        base_pointer: Option<String>,
        revision_pointer: Option<String>,
        cause: Option<Arc<group::Cause>>,
    ) {
        self.emit_parts(
            check,
            subject,
            message,
            base_pointer,
            revision_pointer,
            cause,
        );
    }

    /// [`Emitter::emit_caused`] with each pointer given in pieces, put
    /// together here: one string, shared when the two are the same.
    pub fn emit_caused_at(
        &mut self,
        check: registry::Check,
        subject: &[&str],
        message: String,
        base_pointer: &[&str],
        revision_pointer: &[&str],
        cause: Option<Arc<group::Cause>>,
    ) {
        self.scratch.clear();
        base_pointer.iter().for_each(|p| self.scratch.push_str(p));
        let base: Arc<str> = Arc::from(self.scratch.as_str());
        let same = {
            let mut rest = &*base;
            revision_pointer.iter().all(|p| match rest.strip_prefix(p) {
                Some(after) => {
                    rest = after;
                    true
                }
                None => false,
            }) && rest.is_empty()
        };
        let revision = if same {
            base.clone()
        } else {
            self.scratch.clear();
            revision_pointer
                .iter()
                .for_each(|p| self.scratch.push_str(p));
            Arc::from(self.scratch.as_str())
        };
        self.push(check, subject, message, (Some(base), Some(revision)), cause);
    }

    /// Records a finding of `check`, at its default level. `subject` tells
    /// findings of the same check on the same operation apart (a parameter
    /// name, a property path) and goes into the fingerprint.
    pub fn emit(
        &mut self,
        check: registry::Check,
        subject: &str,
        message: String,
        base_pointer: Option<String>,
        revision_pointer: Option<String>,
    ) {
        self.emit_parts(
            check,
            &[subject],
            message,
            base_pointer,
            revision_pointer,
            None,
        );
    }

    /// The one place a finding is made: [`Emitter::emit`] and
    /// [`Emitter::emit_caused`] with the subject in pieces.
    fn emit_parts(
        &mut self,
        check: registry::Check,
        subject: &[&str],
        message: String,
        base_pointer: Option<String>,
        revision_pointer: Option<String>,
        cause: Option<Arc<group::Cause>>,
    ) {
        let pointers = shared_pointers(base_pointer, revision_pointer);
        self.push(check, subject, message, pointers, cause);
    }

    /// Adds the finding; the message is kept once per text.
    fn push(
        &mut self,
        check: registry::Check,
        subject: &[&str],
        message: String,
        (base_pointer, revision_pointer): (Option<Arc<str>>, Option<Arc<str>>),
        cause: Option<Arc<group::Cause>>,
    ) {
        debug_assert_eq!(
            registry::find(check.id),
            Some(check),
            "a check not in the registry"
        );
        let registry::Check { id, level, .. } = check;
        let (operation, path) = match &self.operation {
            Some((m, p)) => (Some(m.clone()), Some(p.clone())),
            None => (None, None),
        };
        let mut h = Sha256::new();
        for part in [
            id,
            operation.as_deref().unwrap_or(""),
            path.as_deref().unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        for piece in subject {
            h.update(piece.as_bytes());
        }
        h.update([0]);
        let fingerprint = fingerprint_hex(&h.finalize()[..8]);
        let message = match self.messages.get(message.as_str()) {
            Some(known) => known.clone(),
            None => {
                let new: Arc<str> = message.into();
                self.messages.insert(new.clone());
                new
            }
        };
        self.findings.push(Finding {
            id,
            level,
            operation,
            path,
            message,
            base_pointer,
            revision_pointer,
            fingerprint,
            cause,
        });
    }
}

/// The two pointers of a finding, one string when they are equal.
pub(crate) fn shared_pointers(
    base: Option<String>,
    revision: Option<String>,
) -> (Option<Arc<str>>, Option<Arc<str>>) {
    match (base, revision) {
        (Some(b), Some(r)) if b == r => {
            let one: Arc<str> = r.into();
            (Some(one.clone()), Some(one))
        }
        (b, r) => (b.map(Arc::from), r.map(Arc::from)),
    }
}

/// Eight bytes of a digest as sixteen hex digits, in one allocation
/// (`hex::encode` collects them a character at a time).
pub(crate) fn fingerprint_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digits = bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .collect();
    // ASCII digits: always text.
    String::from_utf8(digits).unwrap_or_default()
}

/// HTTP methods an OpenAPI path item can hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Escapes one JSON pointer segment (`~` and `/`).
pub fn pointer_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// `base` + `/segment`, escaped.
pub fn join_pointer(base: &str, segment: &str) -> String {
    let mut out = String::with_capacity(base.len() + segment.len() + 1);
    out.push_str(base);
    push_pointer_segment(&mut out, segment);
    out
}

/// Appends `/segment`, escaped, to a pointer being built.
pub fn push_pointer_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    if segment.contains(['~', '/']) {
        pointer.push_str(&pointer_segment(segment));
    } else {
        pointer.push_str(segment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emitter_keeps_each_message_once_and_equal_pointers_as_one() {
        let Some(check) = registry::find("response-property-enum-value-added") else {
            panic!("the check is registered");
        };
        let mut out = Emitter::default();
        for (method, path) in [("get", "/a"), ("post", "/b")] {
            out.set_operation(method, path);
            out.emit_caused_at(
                check,
                &["status"],
                "property `status` allows the new value \"x\"".to_string(),
                &["/paths/", path, "/x"],
                &["/paths/", path, "/x"],
                None,
            );
        }
        out.emit_caused_at(
            check,
            &["kind"],
            "property `kind` allows the new value \"y\"".to_string(),
            &["/paths/a", "/x"],
            &["/paths/a/", "y"],
            None,
        );
        let f = out.into_findings();
        assert!(Arc::ptr_eq(&f[0].message, &f[1].message));
        assert!(!Arc::ptr_eq(&f[0].message, &f[2].message));
        let pointers = |f: &Finding| (f.base_pointer.clone(), f.revision_pointer.clone());
        let (Some(b), Some(r)) = pointers(&f[1]) else {
            panic!("pointers");
        };
        assert_eq!(&*b, "/paths//b/x");
        assert!(Arc::ptr_eq(&b, &r));
        let (Some(b), Some(r)) = pointers(&f[2]) else {
            panic!("pointers");
        };
        assert_eq!((&*b, &*r), ("/paths/a/x", "/paths/a/y"));
        assert_eq!(f[0].operation.as_deref(), Some("GET"));
        assert_ne!(f[0].fingerprint, f[1].fingerprint);
    }

    #[test]
    fn pointers_escape_tilde_and_slash_only() {
        assert_eq!(join_pointer("/paths", "/pets/{id}"), "/paths/~1pets~1{id}");
        assert_eq!(join_pointer("", "a~b"), "/a~0b");
        assert_eq!(join_pointer("/x", "plain"), "/x/plain");
    }

    #[test]
    fn a_permutation_is_applied_in_place() {
        let items: Vec<char> = "abcdef".chars().collect();
        for order in [
            vec![0, 1, 2, 3, 4, 5],
            vec![5, 4, 3, 2, 1, 0],
            vec![1, 2, 0, 4, 5, 3],
            vec![3, 0, 5, 1, 2, 4],
        ] {
            let expected: Vec<char> = order.iter().map(|&i| items[i]).collect();
            assert_eq!(permute(items.clone(), order.clone()), expected, "{order:?}");
        }
    }

    #[test]
    fn runs_of_findings_go_in_at_their_place() {
        let Some(check) = registry::find("response-property-enum-value-added") else {
            panic!("the check is registered");
        };
        let emitted = |subjects: &[&str]| {
            let mut out = Emitter::default();
            for s in subjects {
                out.emit(check, s, (*s).to_string(), None, None);
            }
            out
        };
        let texts = |out: Emitter| -> Vec<String> {
            out.into_findings()
                .iter()
                .map(|f| f.message.to_string())
                .collect()
        };
        let runs = || {
            vec![
                emitted(&["x", "y"]).into_findings(),
                vec![],
                emitted(&["z"]).into_findings(),
            ]
        };
        for (at, expected) in [
            (0, ["x", "y", "z", "a", "b"]),
            (1, ["a", "x", "y", "z", "b"]),
            (2, ["a", "b", "x", "y", "z"]),
            (9, ["a", "b", "x", "y", "z"]),
        ] {
            let mut out = emitted(&["a", "b"]);
            out.insert_runs(at, runs());
            assert_eq!(texts(out), expected, "at {at}");
        }
        let mut out = emitted(&["a"]);
        out.insert_runs(0, vec![vec![]]);
        assert_eq!(texts(out), ["a"]);
    }

    #[test]
    fn both_sides_run_and_a_panic_on_the_thread_comes_back_here() {
        assert_eq!(both(|| 1 + 1, || "b"), (2, "b"));
        let caught = std::panic::catch_unwind(|| both(|| panic!("base side"), || ()));
        let message = caught.expect_err("the panic went on");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"base side"));
    }

    #[test]
    fn local_references_resolve_with_escapes_and_indexes() {
        let value = serde_json::json!({
            "openapi": "3.0.0",
            "components": {"schemas": {"a/b": {"type": "string"}, "t~x": {"type": "integer"}}},
            "list": [{"n": 0}, {"n": 1}]
        });
        let doc = Doc::new(&value);
        let at = |r: &str| doc.lookup(r).cloned();
        assert_eq!(
            at("#/components/schemas/a~1b"),
            Some(serde_json::json!({"type": "string"}))
        );
        assert_eq!(
            at("#/components/schemas/t~0x"),
            Some(serde_json::json!({"type": "integer"}))
        );
        assert_eq!(at("#/list/1/n"), Some(serde_json::json!(1)));
        assert_eq!(at("#/list/01"), None);
        assert_eq!(at("#/list/-1"), None);
        assert_eq!(at("#/nothing"), None);
        assert_eq!(at("#"), Some(value.clone()));
        assert_eq!(at("components"), None);
    }
}
