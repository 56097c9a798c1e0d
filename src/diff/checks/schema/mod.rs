//! Schema comparison, shared by request bodies, parameters and response
//! bodies.
//!
//! The walker names each change it finds ([`Change`]); which check that is
//! depends on where the schema sits ([`Subject`]), as the table in `ids.rs`
//! spells out for every pair that has one. Whether a change breaks a client
//! depends on the direction (an enum value added is harmless in a request
//! and breaking in a response): that is the registry's level for the check.
//!
//! Cycles: each pair of schema nodes is compared once per walk, so a
//! recursive schema ends, however long the chain of references that leads
//! to the change. Nesting is bounded as well (the walk recurses), far below
//! what a real API needs; where it stops, a `schema-comparison-stopped`
//! finding says so, so a change below is never silently missed.

mod ids;

use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::Pair;
use crate::diff::group::Cause;
use crate::diff::registry::{self, Check};
use crate::diff::{Doc, join_pointer};
pub use ids::{Change, Subject};

/// Deeper than this, schemas are not compared, and a finding says where the
/// comparison stopped. A chain of references counts one level per schema it
/// passes through; each level costs a few kilobytes of stack, and the diff
/// runs on threads of 2 MiB.
pub const MAX_DEPTH: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dir {
    Request,
    Response,
}

/// Where in an operation a schema sits.
#[derive(Debug, Clone)]
pub struct Site {
    pub dir: Dir,
    /// The subject at the root: the request body, a parameter, …
    pub root: Subject,
    /// The subject below the root: a request property, …
    pub nested: Subject,
    /// What the root is called in messages: "request body",
    /// "query parameter `limit`".
    pub label: String,
    /// Property path below the root, `/`-separated.
    pub path: String,
    /// The body's media type is not JSON (XML, text, a form): values are
    /// text there, where any value also reads as a string (oasdiff's "not
    /// strongly typed"). False for parameters.
    pub loose: bool,
}

impl Site {
    fn subject(&self) -> Subject {
        if self.path.is_empty() {
            self.root
        } else {
            self.nested
        }
    }

    /// The check for `change` here, if there is one.
    /// Below a read-only request (write-only response) property, a change
    /// with a check of its own uses it; others count as for any property.
    pub fn check(&self, change: Change) -> Option<Check> {
        check_at(self.subject(), change)
    }

    fn what(&self) -> String {
        if self.path.is_empty() {
            self.label.clone()
        } else {
            format!("{} property `{}`", self.label, self.path)
        }
    }
}

/// Stands for "what the finding is about" in a message recorded once for a
/// pair of schema nodes; each operation reaching the pair puts its own
/// words in its place ([`Site::what`]). Recorded messages begin with it or
/// with apiradar's own words, so the first occurrence is always this one.
const WHAT: &str = "\u{0}";

/// What the comparison of one pair of schema nodes depends on besides the
/// two nodes: the check ids that apply there. Every operation that reaches
/// the pair from the same kind of place shares one comparison.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Spot {
    dir: Dir,
    root: Subject,
    nested: Subject,
    /// No property path yet: the root of the site.
    at_root: bool,
    /// The root is a query parameter.
    query: bool,
    /// The root is a header parameter.
    header: bool,
    /// The body is not JSON: [`Site::loose`].
    loose: bool,
    /// For a property's own findings and walks: its name below the node.
    seg: Option<String>,
}

impl Spot {
    fn of(site: &Site) -> Spot {
        Spot {
            dir: site.dir,
            root: site.root,
            nested: site.nested,
            at_root: site.path.is_empty(),
            query: site.label.starts_with("query "),
            header: site.label.starts_with("header "),
            loose: site.loose,
            seg: None,
        }
    }

    fn subject(&self) -> Subject {
        if self.at_root { self.root } else { self.nested }
    }

    fn check(&self, change: Change) -> Option<Check> {
        check_at(self.subject(), change)
    }

    fn what(&self) -> String {
        WHAT.to_string()
    }

    fn child(&self, segment: &str) -> Spot {
        Spot {
            at_root: self.at_root && segment.is_empty(),
            seg: Some(segment.to_string()),
            ..self.clone()
        }
    }
}

/// The check for `change` at `subject`. Below a read-only request
/// (write-only response) property, a change with a check of its own uses
/// it; others count as for any property.
fn check_at(subject: Subject, change: Change) -> Option<Check> {
    ids::check(subject, change).or_else(|| {
        let plain = match subject {
            Subject::RequestReadOnlyProperty => Subject::RequestProperty,
            Subject::ResponseWriteOnlyProperty => Subject::ResponseProperty,
            _ => return None,
        };
        ids::check(plain, change)
    })
}

/// What comparing one pair of schema nodes found, in order: findings, with
/// pointers relative to the two nodes and [`WHAT`] in their messages, and
/// the pairs of subschemas to walk into.
enum Item<'e> {
    Found {
        check: Check,
        /// The property the finding is about, below the node.
        seg: Option<String>,
        /// Told after the site's label and path in the fingerprint.
        tail: String,
        message: String,
        bp: String,
        rp: String,
    },
    /// A pair of subschemas that differ, resolved: the nodes and the
    /// references that led to them.
    Walk {
        seg: Option<String>,
        nested: Subject,
        b: Resolved<'e>,
        r: Resolved<'e>,
        bp: String,
        rp: String,
    },
}

/// A schema node with every `$ref` followed, and the last reference that
/// was (which names it).
type Resolved<'e> = (&'e Value, Option<&'e str>);

/// What comparing one pair of nodes found, and whether a whole walk from
/// there once reported nothing.
struct Node<'e> {
    items: Box<[Item<'e>]>,
    /// Set after a walk from this pair that went everywhere below it
    /// (nothing cut short as already seen, nor for depth) and reported
    /// nothing: what lies below depends only on the pair and its spot, so
    /// every later walk from here would report nothing too, and is skipped.
    quiet: std::cell::Cell<bool>,
}

/// Which comparison of a pair of schema nodes: the two resolved nodes, the
/// references that led to them, the spot and the deprecation notice asked.
type MemoKey<'e> = (usize, usize, Option<&'e str>, Option<&'e str>, Spot, i64);

/// Comparisons of schema nodes, kept for the whole pair of documents: a
/// component reached by hundreds of operations is compared once, and each
/// operation replays what was found with its own names and pointers.
#[derive(Default)]
pub struct Memo<'e> {
    nodes: foldhash::HashMap<MemoKey<'e>, Rc<Node<'e>>>,
    /// The root cause of a finding item, by the item and the references
    /// that named its component (addresses), then by where below the
    /// component the item was reached: the same for every operation that
    /// reaches the component the same way.
    causes: rustc_hash::FxHashMap<(usize, usize, usize), Vec<KnownCause>>,
}

/// A root cause made once, with the route below its component that it
/// was made for.
struct KnownCause {
    bp: Box<str>,
    rp: Box<str>,
    path: Box<str>,
    cause: Arc<Cause>,
}

impl Memo<'_> {
    /// How many comparisons of pairs of nodes were made.
    pub fn compared(&self) -> usize {
        self.nodes.len()
    }

    /// The cause of the item at address `item` reached at `at` inside
    /// `frame`, made by `make` the first time.
    fn cause(
        &mut self,
        frame: Frame<'_>,
        at: &Cursor,
        item: usize,
        make: impl FnOnce() -> Cause,
    ) -> Arc<Cause> {
        let name = |r: Option<&str>| r.map_or(0, |r| r.as_ptr() as usize);
        let known = self
            .causes
            .entry((item, name(frame.base), name(frame.rev)))
            .or_default();
        let (bp, rp, path) = (
            at.bp.get(frame.bp..).unwrap_or_default(),
            at.rp.get(frame.rp..).unwrap_or_default(),
            at.site.path.get(frame.path..).unwrap_or_default(),
        );
        if let Some(k) = known
            .iter()
            .find(|k| *k.bp == *bp && *k.rp == *rp && *k.path == *path)
        {
            return Arc::clone(&k.cause);
        }
        let cause = Arc::new(make());
        known.push(KnownCause {
            bp: bp.into(),
            rp: rp.into(),
            path: path.into(),
            cause: Arc::clone(&cause),
        });
        cause
    }
}

/// Every keyword [`NodeDiff::keywords`] reads (JSON Schema 2020-12, OpenAPI
/// 3.1); it reads no other (checked in debug builds, where tests run).
const LATER_KEYWORDS: [&str; 18] = [
    "contains",
    "if",
    "then",
    "else",
    "not",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "prefixItems",
    "contentSchema",
    "minContains",
    "maxContains",
    "const",
    "contentMediaType",
    "contentEncoding",
    "patternProperties",
    "dependentSchemas",
    "dependentRequired",
];

/// Every keyword [`NodeDiff::bounds`] reads (checked as above).
const BOUND_KEYWORDS: [&str; 10] = [
    "maximum",
    "minimum",
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "exclusiveMaximum",
    "exclusiveMinimum",
];

/// Whether `b` or `r` has one of `family`: a family of keywords that most
/// schemas use none of is passed over after one look at each node's few
/// keys, not a lookup of every keyword on each side.
fn either_has(b: &Value, r: &Value, family: &[&str]) -> bool {
    [b, r].iter().any(|v| {
        v.as_object()
            .is_some_and(|m| m.keys().any(|k| family.contains(&k.as_str())))
    })
}

/// The keyed map `keyword` of `v` (empty when absent), `keyword` one of
/// [`LATER_KEYWORDS`].
fn members<'v>(v: &'v Value, keyword: &str) -> &'v serde_json::Map<String, Value> {
    debug_assert!(
        LATER_KEYWORDS.contains(&keyword),
        "`{keyword}` is missing from its family of keywords"
    );
    super::members(v, keyword)
}

/// Reads `keyword` of `v`, which must be one of `family` (the keywords
/// [`either_has`] looked for before this was reached).
fn get<'v>(v: &'v Value, family: &[&str], keyword: &str) -> Option<&'v Value> {
    debug_assert!(
        family.contains(&keyword),
        "`{keyword}` is missing from its family of keywords"
    );
    v.get(keyword)
}

/// `message` with its [`WHAT`] replaced by the pieces of `what`.
fn replace_what(message: &str, what: &[&str]) -> String {
    match message.split_once(WHAT) {
        Some((before, after)) => {
            let mut out =
                String::with_capacity(message.len() + what.iter().map(|w| w.len()).sum::<usize>());
            out.push_str(before);
            what.iter().for_each(|w| out.push_str(w));
            out.push_str(after);
            out
        }
        None => message.to_string(),
    }
}

/// The innermost component a walk is in, for the root cause of what it
/// finds there: the `$ref` that named it on each side, if one did, and
/// where it starts in the walk's pointers and property path (what follows
/// is below the component).
#[derive(Clone, Copy)]
struct Frame<'e> {
    base: Option<&'e str>,
    rev: Option<&'e str>,
    bp: usize,
    rp: usize,
    path: usize,
}

impl<'e> Frame<'e> {
    fn enter(base: Option<&'e str>, rev: Option<&'e str>, at: &Cursor) -> Frame<'e> {
        Frame {
            base,
            rev,
            bp: at.bp.len(),
            rp: at.rp.len(),
            path: at.site.path.len(),
        }
    }

    fn cause(&self, at: &Cursor, seg: Option<&str>, bp: &str, rp: &str, message: &str) -> Cause {
        let pointer = |reference: Option<&str>, inner: &str, rel: &str| {
            reference.map(|r| format!("{}{inner}{rel}", r.strip_prefix('#').unwrap_or(r)))
        };
        let reference = self.rev.or(self.base).unwrap_or_default();
        let name = reference.rsplit('/').next().unwrap_or(reference);
        let below = at.site.path.get(self.path..).unwrap_or_default();
        let below = below.strip_prefix('/').unwrap_or(below);
        let path = join_path(below, seg);
        let what = if path.is_empty() {
            format!("schema `{name}`")
        } else {
            format!("schema `{name}` property `{path}`")
        };
        Cause {
            base_pointer: pointer(self.base, at.bp.get(self.bp..).unwrap_or_default(), bp),
            revision_pointer: pointer(self.rev, at.rp.get(self.rp..).unwrap_or_default(), rp),
            message: message.replacen(WHAT, &what, 1),
        }
    }
}

/// Where a walk is: the site (its property path grows and shrinks as the
/// walk goes down and back up) and the pointers on each side, kept in one
/// buffer each instead of a new string per step.
struct Cursor {
    site: Site,
    bp: String,
    rp: String,
}

fn join_path(path: &str, seg: Option<&str>) -> String {
    match seg {
        None => path.to_string(),
        Some(s) if path.is_empty() => s.to_string(),
        Some(s) => format!("{path}/{s}"),
    }
}

/// Compares two schemas of a matched operation.
pub struct SchemaDiff<'p, 'e> {
    pair: &'p mut Pair<'e>,
    seen: rustc_hash::FxHashSet<(usize, usize)>,
    /// A walk was cut short (a pair already seen, or too deep) since this
    /// was last cleared.
    cut: bool,
    /// Findings reported so far.
    reported: usize,
}

impl<'p, 'e> SchemaDiff<'p, 'e> {
    pub fn new(pair: &'p mut Pair<'e>) -> Self {
        SchemaDiff {
            pair,
            seen: rustc_hash::FxHashSet::default(),
            cut: false,
            reported: 0,
        }
    }

    /// Says that the schemas at `bp`/`rp` were not compared, unless they are
    /// the same (so nothing was missed).
    fn stopped(&mut self, site: &Site, bp: &str, rp: &str) {
        let msg = format!(
            "{} was not compared below `{bp}`: schemas nest more than {MAX_DEPTH} levels deep there; changes below it are not reported",
            site.what()
        );
        let subject = format!("{}|{}|stopped", site.label, site.path);
        self.pair.out.emit(
            registry::SCHEMA_COMPARISON_STOPPED,
            &subject,
            msg,
            Some(bp.to_string()),
            Some(rp.to_string()),
        );
    }

    /// Compares `base` and `rev` (either may be a `$ref`) at `site`.
    pub fn compare(&mut self, site: &Site, base: &'e Value, rev: &'e Value, bp: &str, rp: &str) {
        let mut at = Cursor {
            site: site.clone(),
            bp: bp.to_string(),
            rp: rp.to_string(),
        };
        let (b, r) = (self.pair.base.resolve(base), self.pair.rev.resolve(rev));
        if self.pair.same.same(self.pair.base, b.0, self.pair.rev, r.0) {
            return;
        }
        self.walk(&mut at, b, r, 0, None);
    }

    /// Each pair of nodes once per comparison (so cycles end); what a pair
    /// holds is compared once for the whole pair of documents ([`Memo`]).
    ///
    /// `base` and `rev` are resolved and known to differ: pairs that are
    /// the same are left out when a node's items are made, so a replay
    /// neither resolves nor checks them again.
    fn walk(
        &mut self,
        at: &mut Cursor,
        (b, bname): Resolved<'e>,
        (r, rname): Resolved<'e>,
        depth: usize,
        frame: Option<Frame<'e>>,
    ) {
        let key = (b as *const Value as usize, r as *const Value as usize);
        if !self.seen.insert(key) {
            self.cut = true;
            return;
        }
        if depth > MAX_DEPTH {
            self.cut = true;
            self.stopped(&at.site, &at.bp, &at.rp);
            return;
        }
        let spot = Spot::of(&at.site);
        let memo_key = (key.0, key.1, bname, rname, spot, self.pair.notice_days);
        let node = match self.pair.schemas.nodes.get(&memo_key) {
            Some(node) => Rc::clone(node),
            None => {
                let mut diff = NodeDiff {
                    pair: &*self.pair,
                    items: Vec::new(),
                };
                diff.compare(&memo_key.4, b, r, bname, rname);
                let node = Rc::new(Node {
                    items: diff.items.into(),
                    quiet: std::cell::Cell::new(false),
                });
                self.pair.schemas.nodes.insert(memo_key, Rc::clone(&node));
                node
            }
        };
        if node.quiet.get() {
            return;
        }
        let (cut_before, reported_before) = (std::mem::take(&mut self.cut), self.reported);
        // A reference starts the component the changes below belong to.
        let frame = if bname.is_some() || rname.is_some() {
            Some(Frame::enter(bname, rname, at))
        } else {
            frame
        };
        for item in node.items.iter() {
            match item {
                Item::Found {
                    check,
                    seg,
                    tail,
                    message,
                    bp: rbp,
                    rp: rrp,
                } => {
                    // Every operation reaching this item reports it: its
                    // strings are put together once each, in pieces.
                    let site = &at.site;
                    let seg = seg.as_deref();
                    let sep = if seg.is_some() && !site.path.is_empty() {
                        "/"
                    } else {
                        ""
                    };
                    let seg_text = seg.unwrap_or_default();
                    let path = [site.path.as_str(), sep, seg_text];
                    let what: &[&str] = if path.iter().all(|p| p.is_empty()) {
                        &[site.label.as_str()]
                    } else {
                        &[
                            site.label.as_str(),
                            " property `",
                            path[0],
                            sep,
                            seg_text,
                            "`",
                        ]
                    };
                    let subject = [site.label.as_str(), "|", path[0], sep, seg_text, tail];
                    let cause = frame.map(|f| {
                        let item_at = item as *const Item<'e> as usize;
                        self.pair
                            .schemas
                            .cause(f, at, item_at, || f.cause(at, seg, rbp, rrp, message))
                    });
                    self.reported += 1;
                    self.pair.out.emit_caused_at(
                        *check,
                        &subject,
                        replace_what(message, what),
                        &[&at.bp, rbp],
                        &[&at.rp, rrp],
                        cause,
                    );
                }
                Item::Walk {
                    seg,
                    nested,
                    b,
                    r,
                    bp: rbp,
                    rp: rrp,
                } => {
                    let (bl, rl, pl) = (at.bp.len(), at.rp.len(), at.site.path.len());
                    let outer = at.site.nested;
                    if let Some(s) = seg {
                        if !at.site.path.is_empty() {
                            at.site.path.push('/');
                        }
                        at.site.path.push_str(s);
                    }
                    at.site.nested = *nested;
                    at.bp.push_str(rbp);
                    at.rp.push_str(rrp);
                    self.walk(at, *b, *r, depth + 1, frame);
                    at.bp.truncate(bl);
                    at.rp.truncate(rl);
                    at.site.path.truncate(pl);
                    at.site.nested = outer;
                }
            }
        }
        if !self.cut && self.reported == reported_before {
            node.quiet.set(true);
        }
        self.cut |= cut_before;
    }
}

/// Compares what one pair of schema nodes holds, with pointers relative to
/// the nodes, recording findings and the subschemas to walk into.
struct NodeDiff<'p, 'e> {
    pair: &'p Pair<'e>,
    items: Vec<Item<'e>>,
}

impl<'e> NodeDiff<'_, 'e> {
    fn docs(&self) -> (&'e Doc<'e>, &'e Doc<'e>) {
        (self.pair.base, self.pair.rev)
    }

    fn emit(&mut self, site: &Spot, change: Change, message: String, bp: &str, rp: &str) {
        if let Some(check) = site.check(change) {
            self.items.push(Item::Found {
                check,
                seg: site.seg.clone(),
                tail: format!("|{}", change.as_str()),
                message,
                bp: bp.to_string(),
                rp: rp.to_string(),
            });
        }
    }

    /// Records a walk into `base` and `rev` at `site`.
    fn walk(&mut self, site: &Spot, base: &'e Value, rev: &'e Value, bp: &str, rp: &str, _: usize) {
        let (bdoc, rdoc) = self.docs();
        let (b, r) = (bdoc.resolve(base), rdoc.resolve(rev));
        if self.pair.same.same(bdoc, b.0, rdoc, r.0) {
            return;
        }
        self.items.push(Item::Walk {
            seg: site.seg.clone(),
            nested: site.nested,
            b,
            r,
            bp: bp.to_string(),
            rp: rp.to_string(),
        });
    }

    /// Compares the resolved nodes `b` and `r`, reached through the
    /// references `bname` and `rname`, if any.
    fn compare(
        &mut self,
        site: &Spot,
        b: &'e Value,
        r: &'e Value,
        bname: Option<&str>,
        rname: Option<&str>,
    ) {
        let (bdoc, rdoc) = self.docs();
        let (bp, rp) = ("", "");
        let depth = 0;
        if !b.is_object() || !r.is_object() {
            return;
        }
        // A schema wrapped in `allOf` (`$ref: Item` → `allOf: [$ref: Item]`
        // with keywords beside it), or unwrapped: the merged schema is
        // compared with the plain one, as oasdiff's `--flatten-allof` does,
        // so only what the wrapping changed is reported.
        let (b, r) = if wraps(rdoc, r, bdoc, b, bname) {
            (b, rdoc.merged_all_of(r).unwrap_or(r))
        } else if wraps(bdoc, b, rdoc, r, rname) {
            (bdoc.merged_all_of(b).unwrap_or(b), r)
        } else {
            (b, r)
        };
        // A `{type: null}` member of a `oneOf`/`anyOf` makes the schema
        // nullable; the other members are compared as they are (null
        // members aside), and the nullability after them. `oneOf: [X,
        // {type: null}]` is X made nullable: compare X with X, unless the
        // other side is a list of several members of the same keyword.
        let b_null = has_null_member(b);
        let r_null = has_null_member(r);
        let (b, r) = (
            unwrap_nullable(bdoc, b, r).unwrap_or(b),
            unwrap_nullable(rdoc, r, b).unwrap_or(r),
        );
        // An object whose properties moved into the members of a new
        // `oneOf`: one finding, where there is a check for it (bodies).
        if wrapped_in_one_of(b, r) && site.check(Change::WrappedInOneOf).is_some() {
            let msg = format!(
                "{} was wrapped in a oneOf: its properties moved into the alternatives",
                site.what()
            );
            self.emit(site, Change::WrappedInOneOf, msg, bp, rp);
            return;
        }
        self.types(site, b, r, bp, rp);
        let b_null = b_null || is_nullable(b);
        let r_null = r_null || is_nullable(r);
        self.nullable(site, b_null, r_null, bp, rp);
        self.keywords(site, b, r, bp, rp, depth);
        self.enums(site, b, r, bp, rp);
        self.enum_moved(site, b, r, bp, rp);
        self.pattern(site, b, r, bp, rp);
        self.bounds(site, b, r, bp, rp);
        self.defaults(site, b, r, bp, rp);
        self.deprecation(site, b, r, bp, rp);
        self.properties(site, b, r, bp, rp, depth);
        if let (Some(bi), Some(ri)) = (b.get("items"), r.get("items")) {
            // A parameter's array items are still "the parameter".
            let child = if site.root == Subject::RequestParameter && site.at_root {
                site.clone()
            } else {
                site.child("items")
            };
            self.walk(
                &child,
                bi,
                ri,
                &join_pointer(bp, "items"),
                &join_pointer(rp, "items"),
                depth + 1,
            );
        }
        if let (Some(ba), Some(ra)) = (
            b.get("additionalProperties").filter(|v| v.is_object()),
            r.get("additionalProperties").filter(|v| v.is_object()),
        ) {
            let child = site.child("additionalProperties");
            self.walk(
                &child,
                ba,
                ra,
                &join_pointer(bp, "additionalProperties"),
                &join_pointer(rp, "additionalProperties"),
                depth + 1,
            );
        }
        // A `oneOf`/`anyOf` of bare types is a list of types, compared above.
        let type_list = type_list(b).is_some() || type_list(r).is_some();
        for (keyword, removed, added) in [
            ("allOf", Change::AllOfRemoved, Change::AllOfAdded),
            ("oneOf", Change::OneOfRemoved, Change::OneOfAdded),
            ("anyOf", Change::AnyOfRemoved, Change::AnyOfAdded),
        ] {
            if type_list && keyword != "allOf" {
                continue;
            }
            let changes = (removed, added);
            self.composition(site, b, r, bp, rp, keyword, changes, depth);
        }
        self.discriminator(site, b, r, bp, rp);
    }

    /// JSON Schema 2020-12 keywords (OpenAPI 3.1): subschemas added or
    /// removed, and walked into when both sides have them; `const`;
    /// `contains` bounds; keyed maps of subschemas and requirements.
    fn keywords(
        &mut self,
        site: &Spot,
        b: &'e Value,
        r: &'e Value,
        bp: &str,
        rp: &str,
        depth: usize,
    ) {
        if !either_has(b, r, &LATER_KEYWORDS) {
            return;
        }
        for (keyword, added, removed) in [
            ("contains", Change::ContainsAdded, Change::ContainsRemoved),
            ("if", Change::IfAdded, Change::IfRemoved),
            ("then", Change::ThenAdded, Change::ThenRemoved),
            ("else", Change::ElseAdded, Change::ElseRemoved),
            ("not", Change::NotAdded, Change::NotRemoved),
            (
                "propertyNames",
                Change::PropertyNamesAdded,
                Change::PropertyNamesRemoved,
            ),
            (
                "unevaluatedItems",
                Change::UnevaluatedItemsAdded,
                Change::UnevaluatedItemsRemoved,
            ),
            (
                "unevaluatedProperties",
                Change::UnevaluatedPropertiesAdded,
                Change::UnevaluatedPropertiesRemoved,
            ),
            (
                "prefixItems",
                Change::PrefixItemsAdded,
                Change::PrefixItemsRemoved,
            ),
            (
                "contentSchema",
                Change::ContentSchemaAdded,
                Change::ContentSchemaRemoved,
            ),
        ] {
            let (bv, rv) = (
                get(b, &LATER_KEYWORDS, keyword),
                get(r, &LATER_KEYWORDS, keyword),
            );
            if bv.is_none() && rv.is_none() {
                continue;
            }
            let (bk, rk) = (join_pointer(bp, keyword), join_pointer(rp, keyword));
            match (bv, rv) {
                (None, Some(_)) => {
                    let msg = format!("{} gained `{keyword}`", site.what());
                    self.emit(site, added, msg, bp, &rk);
                }
                (Some(_), None) => {
                    let msg = format!("{} lost `{keyword}`", site.what());
                    self.emit(site, removed, msg, &bk, rp);
                }
                (Some(Value::Array(xs)), Some(Value::Array(ys))) => {
                    for (i, (xi, yi)) in xs.iter().zip(ys).enumerate() {
                        let n = i.to_string();
                        let (xp, yp) = (join_pointer(&bk, &n), join_pointer(&rk, &n));
                        self.walk(site, xi, yi, &xp, &yp, depth + 1);
                    }
                }
                (Some(x), Some(y)) => self.walk(site, x, y, &bk, &rk, depth + 1),
                (None, None) => {}
            }
        }
        for (keyword, increased, decreased) in [
            (
                "minContains",
                Change::MinContainsIncreased,
                Change::MinContainsDecreased,
            ),
            (
                "maxContains",
                Change::MaxContainsIncreased,
                Change::MaxContainsDecreased,
            ),
        ] {
            let bv = get(b, &LATER_KEYWORDS, keyword).and_then(Value::as_f64);
            let rv = get(r, &LATER_KEYWORDS, keyword).and_then(Value::as_f64);
            if let (Some(x), Some(y)) = (bv, rv) {
                let change = if y > x {
                    increased
                } else if y < x {
                    decreased
                } else {
                    continue;
                };
                let msg = format!("{} {keyword} changed from {x} to {y}", site.what());
                self.emit(site, change, msg, bp, rp);
            }
        }
        let constant = match (
            get(b, &LATER_KEYWORDS, "const"),
            get(r, &LATER_KEYWORDS, "const"),
        ) {
            (None, Some(v)) => Some((
                Change::ConstAdded,
                format!("{} must now equal {v}", site.what()),
            )),
            (Some(v), None) => Some((
                Change::ConstRemoved,
                format!("{} no longer has to equal {v}", site.what()),
            )),
            (Some(x), Some(y)) if x != y => Some((
                Change::ConstChanged,
                format!("{} const changed from {x} to {y}", site.what()),
            )),
            _ => None,
        };
        if let Some((change, msg)) = constant {
            self.emit(site, change, msg, bp, rp);
        }
        for (keyword, change) in [
            ("contentMediaType", Change::ContentMediaTypeChanged),
            ("contentEncoding", Change::ContentEncodingChanged),
        ] {
            if get(b, &LATER_KEYWORDS, keyword) != get(r, &LATER_KEYWORDS, keyword) {
                let msg = format!("{} {keyword} changed", site.what());
                self.emit(site, change, msg, bp, rp);
            }
        }
        for (keyword, removed, added) in [
            (
                "patternProperties",
                Change::PatternPropertyRemoved,
                Change::PatternPropertyAdded,
            ),
            (
                "dependentSchemas",
                Change::DependentSchemaRemoved,
                Change::DependentSchemaAdded,
            ),
        ] {
            let (bm, rm) = (members(b, keyword), members(r, keyword));
            if bm.is_empty() && rm.is_empty() {
                continue;
            }
            let (bk, rk) = (join_pointer(bp, keyword), join_pointer(rp, keyword));
            for (key, bv) in bm {
                match rm.get(key) {
                    None => {
                        let msg = format!("{} {keyword} `{key}` was removed", site.what());
                        self.emit_sub(site, removed, msg, &bk, &rk, key);
                    }
                    Some(rv) => {
                        let (xp, yp) = (join_pointer(&bk, key), join_pointer(&rk, key));
                        self.walk(site, bv, rv, &xp, &yp, depth + 1);
                    }
                }
            }
            for key in rm.keys().filter(|k| !bm.contains_key(*k)) {
                let msg = format!("{} {keyword} `{key}` was added", site.what());
                self.emit_sub(site, added, msg, &bk, &rk, key);
            }
        }
        let (bm, rm) = (
            members(b, "dependentRequired"),
            members(r, "dependentRequired"),
        );
        for (key, bv) in bm {
            let (change, msg) = match rm.get(key) {
                None => (
                    Change::DependentRequiredRemoved,
                    format!("{} dependentRequired `{key}` was removed", site.what()),
                ),
                Some(rv) if rv != bv => (
                    Change::DependentRequiredChanged,
                    format!("{} dependentRequired `{key}` changed", site.what()),
                ),
                _ => continue,
            };
            self.emit_sub(site, change, msg, bp, rp, key);
        }
        for key in rm.keys().filter(|k| !bm.contains_key(*k)) {
            let msg = format!("{} dependentRequired `{key}` was added", site.what());
            self.emit_sub(site, Change::DependentRequiredAdded, msg, bp, rp, key);
        }
    }

    fn types(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        let (bt, rt) = (types(b), types(r));
        let (bf, rf) = (format(b), format(r));
        if bt.is_empty() || rt.is_empty() {
            return;
        }
        let multi = bt.len() > 1 || rt.len() > 1;
        if multi && bt != rt {
            let widened = bt.iter().all(|t| rt.contains(t));
            let narrowed = rt.iter().all(|t| bt.contains(t));
            let change = if widened {
                Change::ListOfTypesWidened
            } else if narrowed {
                Change::ListOfTypesNarrowed
            } else {
                Change::TypeChanged
            };
            let msg = format!(
                "{} types changed from {} to {}",
                site.what(),
                bt.join(", "),
                rt.join(", ")
            );
            self.emit(site, change, msg, bp, rp);
            return;
        }
        if bt == rt && bf == rf {
            return;
        }
        let from = type_text(&bt, bf);
        let to = type_text(&rt, rf);
        let generalized = site.dir == Dir::Request
            && (generalizes(&bt, bf, &rt, rf) || self.exploded_array_of(site, b, r));
        // A value a client sends as text (a parameter's property) that must
        // now read as a number: fewer values are accepted, where there is
        // a check for that.
        let specialized = site.dir == Dir::Request
            && specializes(&bt, &rt)
            && site.check(Change::TypeSpecialized).is_some();
        let change = if generalized {
            Change::TypeGeneralized
        } else if specialized {
            Change::TypeSpecialized
        } else {
            response_or_loose_type_change(site, (&bt, bf), (&rt, rf))
        };
        let msg = format!("{} type changed from {from} to {to}", site.what());
        self.emit(site, change, msg, bp, rp);
    }

    /// Whether a query parameter of one type became an array of items of
    /// that type and no other constraint: sent form-exploded
    /// (`?tag=a&tag=b`, OpenAPI's default for query parameters), a single
    /// value is still a valid array of one.
    fn exploded_array_of(&self, site: &Spot, b: &Value, r: &Value) -> bool {
        if site.root != Subject::RequestParameter
            || !site.at_root
            || !site.query
            || types(r) != ["array"]
        {
            return false;
        }
        let Some(items) = r.get("items") else {
            return false;
        };
        let (items, _) = self.pair.rev.resolve(items);
        let Some(map) = items.as_object() else {
            return false;
        };
        types(items) == types(b)
            && types(b).len() == 1
            && format(items) == format(b)
            && map.iter().all(|(k, v)| {
                matches!(
                    k.as_str(),
                    "type" | "format" | "nullable" | "description" | "title"
                ) || b.get(k) == Some(v)
            })
    }

    fn nullable(&mut self, site: &Spot, b: bool, r: bool, bp: &str, rp: &str) {
        match (b, r) {
            (false, true) => {
                let msg = format!("{} became nullable", site.what());
                self.emit(site, Change::BecameNullable, msg, bp, rp);
            }
            (true, false) => {
                let msg = format!("{} is no longer nullable", site.what());
                self.emit(site, Change::BecameNotNullable, msg, bp, rp);
            }
            _ => {}
        }
    }

    fn enums(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        let be = b.get("enum").and_then(Value::as_array);
        let re = r.get("enum").and_then(Value::as_array);
        match (be, re) {
            (None, Some(_)) => {
                let msg = format!("{} is now restricted to an enum", site.what());
                self.emit(site, Change::BecameEnum, msg, bp, rp);
                self.header_became_enum(site, bp, rp);
            }
            (Some(be), Some(re)) => {
                for v in be.iter().filter(|v| !re.contains(v)) {
                    let msg = format!("{} no longer allows the value {v}", site.what());
                    self.emit_value(site, Change::EnumValueRemoved, msg, bp, rp, v);
                }
                for v in re.iter().filter(|v| !be.contains(v)) {
                    let msg = format!("{} allows the new value {v}", site.what());
                    self.emit_value(site, Change::EnumValueAdded, msg, bp, rp, v);
                }
            }
            _ => {}
        }
        let bx = b.get("x-extensible-enum").and_then(Value::as_array);
        let rx = r.get("x-extensible-enum").and_then(Value::as_array);
        if let (Some(bx), Some(rx)) = (bx, rx) {
            for v in bx.iter().filter(|v| !rx.contains(v)) {
                let msg = format!("{} no longer lists the extensible value {v}", site.what());
                self.emit_value(site, Change::XExtensibleEnumValueRemoved, msg, bp, rp, v);
            }
        }
    }

    /// An enum that moved into the members of a `oneOf`/`anyOf` (the type
    /// now one alternative of several), or out of them: the values of the
    /// members of the same type are compared with the plain enum, so a
    /// value dropped on the way is still reported.
    fn enum_moved(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        let (bdoc, rdoc) = self.docs();
        fn direct(s: &Value) -> Option<Vec<&Value>> {
            s.get("enum")
                .and_then(Value::as_array)
                .map(|v| v.iter().collect())
        }
        let (be, re): (Vec<&Value>, Vec<&Value>) = match (direct(b), direct(r)) {
            (Some(x), None) => match member_enum(rdoc, r, &types(b)) {
                Some(y) => (x, y),
                None => return,
            },
            (None, Some(y)) => match member_enum(bdoc, b, &types(r)) {
                Some(x) => (x, y),
                None => return,
            },
            _ => return,
        };
        for v in be.iter().filter(|v| !re.contains(v)) {
            let msg = format!("{} no longer allows the value {v}", site.what());
            self.emit_value(site, Change::EnumValueRemoved, msg, bp, rp, v);
        }
        for v in re.iter().filter(|v| !be.contains(v)) {
            let msg = format!("{} allows the new value {v}", site.what());
            self.emit_value(site, Change::EnumValueAdded, msg, bp, rp, v);
        }
    }

    /// A header parameter's schema, or a property of it, now restricted to
    /// an enum: oasdiff's header check, beside the parameter's own.
    fn header_became_enum(&mut self, site: &Spot, bp: &str, rp: &str) {
        if site.root != Subject::RequestParameter || !site.header {
            return;
        }
        self.items.push(Item::Found {
            check: registry::REQUEST_HEADER_PROPERTY_BECAME_ENUM,
            seg: site.seg.clone(),
            tail: "|header-became-enum".to_string(),
            message: format!("{} is now restricted to an enum", site.what()),
            bp: bp.to_string(),
            rp: rp.to_string(),
        });
    }

    /// Like `emit`, with the value in the fingerprint (one finding per value).
    fn emit_value(
        &mut self,
        site: &Spot,
        change: Change,
        msg: String,
        bp: &str,
        rp: &str,
        v: &Value,
    ) {
        self.emit_sub(site, change, msg, bp, rp, &v.to_string());
    }

    fn pattern(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        // An empty pattern matches everything: the same as none.
        let bpat = b
            .get("pattern")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty());
        let rpat = r
            .get("pattern")
            .and_then(Value::as_str)
            .filter(|p| !p.is_empty());
        let (change, msg) = match (bpat, rpat) {
            (None, Some(p)) => (
                Change::PatternAdded,
                format!("{} must now match `{p}`", site.what()),
            ),
            (Some(p), None) => (
                Change::PatternRemoved,
                format!("{} no longer has to match `{p}`", site.what()),
            ),
            (Some(a), Some(c)) if a != c => {
                let change = if c == ".*" {
                    Change::PatternGeneralized
                } else {
                    Change::PatternChanged
                };
                (
                    change,
                    format!("{} pattern changed from `{a}` to `{c}`", site.what()),
                )
            }
            _ => return,
        };
        self.emit(site, change, msg, bp, rp);
    }

    fn bounds(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        use Change::*;
        if !either_has(b, r, &BOUND_KEYWORDS) {
            return;
        }
        // (keyword, label, [set, increased, decreased])
        for (keyword, label, [set, increased, decreased]) in [
            ("maximum", "maximum", [MaxSet, MaxIncreased, MaxDecreased]),
            ("minimum", "minimum", [MinSet, MinIncreased, MinDecreased]),
            (
                "maxLength",
                "maximum length",
                [MaxLengthSet, MaxLengthIncreased, MaxLengthDecreased],
            ),
            (
                "minLength",
                "minimum length",
                [MinLengthSet, MinLengthIncreased, MinLengthDecreased],
            ),
            (
                "maxItems",
                "maximum number of items",
                [MaxItemsSet, MaxItemsIncreased, MaxItemsDecreased],
            ),
            (
                "minItems",
                "minimum number of items",
                [MinItemsSet, MinItemsIncreased, MinItemsDecreased],
            ),
            (
                "maxProperties",
                "maximum number of properties",
                [
                    MaxPropertiesSet,
                    MaxPropertiesIncreased,
                    MaxPropertiesDecreased,
                ],
            ),
            (
                "minProperties",
                "minimum number of properties",
                [
                    MinPropertiesSet,
                    MinPropertiesIncreased,
                    MinPropertiesDecreased,
                ],
            ),
        ] {
            let bv = get(b, &BOUND_KEYWORDS, keyword).and_then(Value::as_f64);
            let rv = get(r, &BOUND_KEYWORDS, keyword).and_then(Value::as_f64);
            let (change, msg) = match (bv, rv) {
                (None, Some(v)) => (set, format!("{} now has a {label} of {v}", site.what())),
                (Some(x), Some(y)) if y > x => (
                    increased,
                    format!("{} {label} increased from {x} to {y}", site.what()),
                ),
                (Some(x), Some(y)) if y < x => (
                    decreased,
                    format!("{} {label} decreased from {x} to {y}", site.what()),
                ),
                _ => continue,
            };
            self.emit(site, change, msg, bp, rp);
        }
        // OpenAPI 3.1 numeric exclusive bounds.
        for (keyword, [set, increased, decreased]) in [
            (
                "exclusiveMaximum",
                [
                    ExclusiveMaxSet,
                    ExclusiveMaxIncreased,
                    ExclusiveMaxDecreased,
                ],
            ),
            (
                "exclusiveMinimum",
                [
                    ExclusiveMinSet,
                    ExclusiveMinIncreased,
                    ExclusiveMinDecreased,
                ],
            ),
        ] {
            let bv = get(b, &BOUND_KEYWORDS, keyword).and_then(Value::as_f64);
            let rv = get(r, &BOUND_KEYWORDS, keyword).and_then(Value::as_f64);
            let change = match (bv, rv) {
                (None, Some(_)) => set,
                (Some(x), Some(y)) if y > x => increased,
                (Some(x), Some(y)) if y < x => decreased,
                _ => continue,
            };
            let msg = format!("{} {keyword} changed", site.what());
            self.emit(site, change, msg, bp, rp);
        }
    }

    fn defaults(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        let (change, msg) = match (b.get("default"), r.get("default")) {
            (None, Some(v)) => (
                Change::DefaultValueAdded,
                format!("{} has a new default {v}", site.what()),
            ),
            (Some(v), None) => (
                Change::DefaultValueRemoved,
                format!("{} no longer defaults to {v}", site.what()),
            ),
            (Some(x), Some(y)) if x != y => (
                Change::DefaultValueChanged,
                format!("{} default changed from {x} to {y}", site.what()),
            ),
            _ => return,
        };
        self.emit(site, change, msg, bp, rp);
    }

    fn deprecation(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        if site.at_root {
            return;
        }
        let was = b.get("deprecated").and_then(Value::as_bool) == Some(true);
        let is = r.get("deprecated").and_then(Value::as_bool) == Some(true);
        if !was && is {
            use super::lifecycle::{Deprecation, judge};
            let what = site.what();
            let days = self.pair.notice_days;
            let (change, msg) = match judge(self.pair.options, days, r) {
                Deprecation::Plain => (Change::Deprecated, format!("{what} is deprecated")),
                Deprecation::WithSunset(date) => (
                    Change::DeprecatedWithSunset,
                    format!("{what} is deprecated, with sunset on {date}"),
                ),
                Deprecation::SunsetMissing => (
                    Change::DeprecatedSunsetMissing,
                    format!(
                        "{what} is deprecated without a sunset date; the policy asks for {days} days' notice"
                    ),
                ),
                Deprecation::SunsetInvalid(text) => (
                    Change::DeprecatedSunsetInvalid,
                    format!("{what} is deprecated; its sunset date `{text}` cannot be read"),
                ),
                Deprecation::SunsetTooSoon(date, days) => (
                    Change::SunsetDateTooSmall,
                    format!(
                        "{what} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                    ),
                ),
            };
            self.emit(site, change, msg, bp, rp);
        } else if was && !is {
            let msg = format!("{} is no longer deprecated", site.what());
            self.emit(site, Change::Reactivated, msg, bp, rp);
        }
    }

    fn properties(
        &mut self,
        site: &Spot,
        b: &'e Value,
        r: &'e Value,
        bp: &str,
        rp: &str,
        depth: usize,
    ) {
        let bprops = super::members(b, "properties");
        let rprops = super::members(r, "properties");
        let breq = required(b);
        let rreq = required(r);
        let (bdoc, rdoc) = self.docs();
        // A property a side never sees (read-only in requests, write-only
        // in responses) does not count for that side.
        let hidden = |doc: &Doc<'_>, v: &Value| {
            let (v, _) = doc.resolve(v);
            match site.dir {
                Dir::Request => v.get("readOnly").and_then(Value::as_bool) == Some(true),
                Dir::Response => v.get("writeOnly").and_then(Value::as_bool) == Some(true),
            }
        };
        let bprops_ptr = join_pointer(bp, "properties");
        let rprops_ptr = join_pointer(rp, "properties");
        for (name, bv) in bprops {
            let was = breq.contains(&name.as_str());
            let rv = rprops.get(name);
            // A property written the same on both sides (below it too,
            // through its references), as required as it was: nothing to
            // find. (Most properties of a changed schema.)
            if rv.is_some_and(|rv| {
                was == rreq.contains(&name.as_str()) && self.pair.same.same(bdoc, bv, rdoc, rv)
            }) {
                continue;
            }
            let child = site.child(name);
            let cbp = join_pointer(&bprops_ptr, name);
            match rv {
                None => {
                    let was_required = was;
                    if hidden(bdoc, bv) {
                        // Clients never sent a read-only property; a
                        // write-only one in a response is only news.
                        if site.dir == Dir::Response {
                            let check = if was_required {
                                registry::RESPONSE_REQUIRED_WRITE_ONLY_PROPERTY_REMOVED
                            } else {
                                registry::RESPONSE_OPTIONAL_WRITE_ONLY_PROPERTY_REMOVED
                            };
                            let msg = format!("write-only {} was removed", child.what());
                            self.emit_property(check, &child, msg, &cbp, rp);
                        }
                        continue;
                    }
                    let (check, msg) = match site.dir {
                        // Only a plain request property has a check for
                        // this; one of a parameter's schema, or below a
                        // read-only property, has none.
                        Dir::Request => (
                            ids::check(site.nested, Change::Removed),
                            format!("{} was removed", child.what()),
                        ),
                        Dir::Response if was_required => (
                            Some(registry::RESPONSE_REQUIRED_PROPERTY_REMOVED),
                            format!("required {} was removed", child.what()),
                        ),
                        Dir::Response => (
                            Some(registry::RESPONSE_OPTIONAL_PROPERTY_REMOVED),
                            format!("optional {} was removed", child.what()),
                        ),
                    };
                    if let Some(check) = check {
                        self.emit_property(check, &child, msg, &cbp, rp);
                    }
                }
                Some(rv) => {
                    let crp = join_pointer(&rprops_ptr, name);
                    let is = rreq.contains(&name.as_str());
                    // Below a property a side never sees, changes have
                    // their own ids (read-only in requests, write-only in
                    // responses), or none.
                    let mut child = child;
                    if hidden(rdoc, rv) || hidden(bdoc, bv) {
                        child.nested = match site.dir {
                            Dir::Request => Subject::RequestReadOnlyProperty,
                            Dir::Response => Subject::ResponseWriteOnlyProperty,
                        };
                    }
                    if was != is {
                        let change = if is {
                            Change::BecameRequired
                        } else {
                            Change::BecameOptional
                        };
                        let msg = format!(
                            "{} became {}",
                            child.what(),
                            if is { "required" } else { "optional" }
                        );
                        // Without the fallback of `Site::check`: below a
                        // read-only (write-only) property, only the checks
                        // of its own.
                        // A request property with a default that becomes
                        // required: still breaking (the default is the
                        // server's fallback), under oasdiff's own id.
                        let with_default = is
                            && child.nested == Subject::RequestProperty
                            && rdoc.resolve(rv).0.get("default").is_some();
                        let check = if with_default {
                            Some(registry::REQUEST_PROPERTY_BECAME_REQUIRED_WITH_DEFAULT)
                        } else {
                            ids::check(child.nested, change)
                        };
                        if let Some(check) = check {
                            self.emit_property(check, &child, msg, &cbp, &crp);
                        }
                    }
                    self.access_changed(
                        &child,
                        was,
                        bdoc.resolve(bv).0,
                        rdoc.resolve(rv).0,
                        (&cbp, &crp),
                    );
                    self.walk(&child, bv, rv, &cbp, &crp, depth + 1);
                }
            }
        }
        for (name, rv) in rprops {
            if bprops.contains_key(name) {
                continue;
            }
            let child = site.child(name);
            let crp = join_pointer(&rprops_ptr, name);
            let is_required = rreq.contains(&name.as_str());
            if hidden(rdoc, rv) {
                if site.dir == Dir::Response {
                    let check = if is_required {
                        registry::RESPONSE_REQUIRED_WRITE_ONLY_PROPERTY_ADDED
                    } else {
                        registry::RESPONSE_OPTIONAL_WRITE_ONLY_PROPERTY_ADDED
                    };
                    let msg = format!("write-only {} was added", child.what());
                    self.emit_property(check, &child, msg, bp, &crp);
                }
                continue;
            }
            let (rv_resolved, _) = rdoc.resolve(rv);
            let has_default = rv_resolved.get("default").is_some();
            let check = match (site.dir, is_required) {
                // oasdiff has no check for a required property added to a
                // parameter's schema.
                (Dir::Request, true) if site.root == Subject::RequestParameter => continue,
                (Dir::Request, true) if has_default => {
                    registry::NEW_REQUIRED_REQUEST_PROPERTY_WITH_DEFAULT
                }
                (Dir::Request, true) => registry::NEW_REQUIRED_REQUEST_PROPERTY,
                (Dir::Request, false) => registry::NEW_OPTIONAL_REQUEST_PROPERTY,
                (Dir::Response, true) => registry::RESPONSE_REQUIRED_PROPERTY_ADDED,
                (Dir::Response, false) => registry::RESPONSE_OPTIONAL_PROPERTY_ADDED,
            };
            let msg = format!(
                "{} {} was added",
                if is_required { "required" } else { "optional" },
                child.what()
            );
            self.emit_property(check, &child, msg, bp, &crp);
        }
    }

    /// A body property kept on both sides that became, or stopped being,
    /// read-only or write-only: oasdiff's mutability checks, told apart by
    /// whether the base required it. Properties of a parameter's schema
    /// have none.
    fn access_changed(
        &mut self,
        child: &Spot,
        required: bool,
        b: &Value,
        r: &Value,
        (bp, rp): (&str, &str),
    ) {
        if child.root == Subject::RequestParameter {
            return;
        }
        let flag = |v: &Value, k: &str| v.get(k).and_then(Value::as_bool) == Some(true);
        for keyword in ["readOnly", "writeOnly"] {
            let (was, is) = (flag(b, keyword), flag(r, keyword));
            if was == is {
                continue;
            }
            let check = access_check(child.dir, required, keyword == "readOnly", is);
            let what = if keyword == "readOnly" {
                "read-only"
            } else {
                "write-only"
            };
            let msg = format!(
                "{} {} {}",
                child.what(),
                if is { "became" } else { "is no longer" },
                what
            );
            self.emit_property(check, child, msg, bp, rp);
        }
    }

    /// Records a finding about a property as a whole (added, removed,
    /// required or not), told apart by its path alone.
    fn emit_property(&mut self, check: Check, site: &Spot, msg: String, bp: &str, rp: &str) {
        self.items.push(Item::Found {
            check,
            seg: site.seg.clone(),
            tail: String::new(),
            message: msg,
            bp: bp.to_string(),
            rp: rp.to_string(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn composition(
        &mut self,
        site: &Spot,
        b: &'e Value,
        r: &'e Value,
        bp: &str,
        rp: &str,
        keyword: &str,
        (removed, added): (Change, Change),
        depth: usize,
    ) {
        // `{type: null}` members are the nullability, compared apart.
        let members = |s: &'e Value| -> Vec<(usize, &'e Value)> {
            s.get(keyword)
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .enumerate()
                .filter(|(_, m)| keyword == "allOf" || !is_null_member(m))
                .collect()
        };
        let (bm, rm) = (members(b), members(r));
        if bm.is_empty() && rm.is_empty() {
            return;
        }
        let bs: Vec<&'e Value> = bm.iter().map(|(_, m)| *m).collect();
        let rs: Vec<&'e Value> = rm.iter().map(|(_, m)| *m).collect();
        let (bdoc, rdoc) = self.docs();
        let bkeys: Vec<Option<String>> = bs.iter().map(|s| sub_name(bdoc, s)).collect();
        let rkeys: Vec<Option<String>> = rs.iter().map(|s| sub_name(rdoc, s)).collect();
        let bk = join_pointer(bp, keyword);
        let rk = join_pointer(rp, keyword);
        // Members pair up by name (`$ref` target or title); unnamed ones
        // first by equal content, wherever they stand, then in order. So
        // reordering is never a change.
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut r_used = vec![false; rs.len()];
        let mut b_used = vec![false; bs.len()];
        for (i, key) in bkeys.iter().enumerate() {
            if let Some(name) = key
                && let Some(j) =
                    (0..rs.len()).find(|&j| !r_used[j] && rkeys[j].as_ref() == Some(name))
            {
                pairs.push((i, j));
                (b_used[i], r_used[j]) = (true, true);
            }
        }
        for i in (0..bs.len()).filter(|&i| bkeys[i].is_none()) {
            let same = self.pair.same;
            if let Some(j) = (0..rs.len())
                .find(|&j| !r_used[j] && rkeys[j].is_none() && same.same(bdoc, bs[i], rdoc, rs[j]))
            {
                pairs.push((i, j));
                (b_used[i], r_used[j]) = (true, true);
            }
        }
        let b_rest: Vec<usize> = (0..bs.len())
            .filter(|&i| !b_used[i] && bkeys[i].is_none())
            .collect();
        let r_rest: Vec<usize> = (0..rs.len())
            .filter(|&j| !r_used[j] && rkeys[j].is_none())
            .collect();
        for (&i, &j) in b_rest.iter().zip(&r_rest) {
            pairs.push((i, j));
            (b_used[i], r_used[j]) = (true, true);
        }
        for (i, j) in pairs {
            self.walk(
                site,
                bs[i],
                rs[j],
                &join_pointer(&bk, &bm[i].0.to_string()),
                &join_pointer(&rk, &rm[j].0.to_string()),
                depth + 1,
            );
        }
        let label =
            |key: &Option<String>, index: usize| key.clone().unwrap_or_else(|| format!("#{index}"));
        // An `allOf` member with only annotations constrains nothing.
        let plain = |doc: &Doc<'_>, m: &Value, change: Change, note: Change| {
            if keyword == "allOf" && annotation_only(doc.resolve(m).0) {
                note
            } else {
                change
            }
        };
        for i in (0..bs.len()).filter(|&i| !b_used[i]) {
            let key = label(&bkeys[i], bm[i].0);
            let msg = format!("{} {keyword} no longer includes {key}", site.what());
            let change = plain(bdoc, bs[i], removed, Change::AllOfRemovedAnnotationOnly);
            self.emit_sub(site, change, msg, &bk, &rk, &key);
        }
        for j in (0..rs.len()).filter(|&j| !r_used[j]) {
            let key = label(&rkeys[j], rm[j].0);
            let msg = format!("{} {keyword} now includes {key}", site.what());
            let change = plain(rdoc, rs[j], added, Change::AllOfAddedAnnotationOnly);
            self.emit_sub(site, change, msg, &bk, &rk, &key);
        }
    }

    /// Like `emit`, with `key` in the fingerprint (one finding per member
    /// of a map or list).
    fn emit_sub(
        &mut self,
        site: &Spot,
        change: Change,
        msg: String,
        bp: &str,
        rp: &str,
        key: &str,
    ) {
        if let Some(check) = site.check(change) {
            self.items.push(Item::Found {
                check,
                seg: site.seg.clone(),
                tail: format!("|{}|{key}", change.as_str()),
                message: msg,
                bp: bp.to_string(),
                rp: rp.to_string(),
            });
        }
    }

    fn discriminator(&mut self, site: &Spot, b: &Value, r: &Value, bp: &str, rp: &str) {
        let bd = b.get("discriminator");
        let rd = r.get("discriminator");
        match (bd, rd) {
            (None, Some(_)) => {
                let msg = format!("{} gained a discriminator", site.what());
                self.emit(site, Change::DiscriminatorAdded, msg, bp, rp);
            }
            (Some(_), None) => {
                let msg = format!("{} lost its discriminator", site.what());
                self.emit(site, Change::DiscriminatorRemoved, msg, bp, rp);
            }
            (Some(bd), Some(rd)) => {
                let bn = bd.get("propertyName").and_then(Value::as_str);
                let rn = rd.get("propertyName").and_then(Value::as_str);
                if bn != rn {
                    let msg = format!("{} discriminator property changed", site.what());
                    self.emit(site, Change::DiscriminatorPropertyNameChanged, msg, bp, rp);
                }
                let bm = super::members(bd, "mapping");
                let rm = super::members(rd, "mapping");
                for (k, v) in bm {
                    match rm.get(k) {
                        None => {
                            let msg =
                                format!("{} discriminator mapping `{k}` was removed", site.what());
                            self.emit_sub(
                                site,
                                Change::DiscriminatorMappingDeleted,
                                msg,
                                bp,
                                rp,
                                k,
                            );
                        }
                        Some(w) if w != v => {
                            let msg =
                                format!("{} discriminator mapping `{k}` changed", site.what());
                            self.emit_sub(
                                site,
                                Change::DiscriminatorMappingChanged,
                                msg,
                                bp,
                                rp,
                                k,
                            );
                        }
                        _ => {}
                    }
                }
                for k in rm.keys().filter(|k| !bm.contains_key(*k)) {
                    let msg = format!("{} discriminator mapping `{k}` was added", site.what());
                    self.emit_sub(site, Change::DiscriminatorMappingAdded, msg, bp, rp, k);
                }
            }
            (None, None) => {}
        }
    }
}

/// The enum values the `oneOf`/`anyOf` members of `schema` of types `want`
/// allow between them; `None` when no member has those types, or one of
/// them allows any value.
fn member_enum<'a>(doc: &'a Doc<'a>, schema: &'a Value, want: &[String]) -> Option<Vec<&'a Value>> {
    if want.is_empty() || schema.get("type").is_some() {
        return None;
    }
    let members = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)?;
    let mut out = Vec::new();
    let mut found = false;
    for m in members {
        let (m, _) = doc.resolve(m);
        if types(m) != want {
            continue;
        }
        found = true;
        out.extend(m.get("enum")?.as_array()?.iter());
    }
    found.then_some(out)
}

/// The check for a body property that became (`is`) or stopped being
/// read-only (`read_only`) or write-only, by direction and whether the base
/// required it.
fn access_check(dir: Dir, required: bool, read_only: bool, is: bool) -> Check {
    use registry::*;
    match (dir, required, read_only, is) {
        (Dir::Request, true, true, true) => REQUEST_REQUIRED_PROPERTY_BECAME_READ_ONLY,
        (Dir::Request, true, true, false) => REQUEST_REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY,
        (Dir::Request, true, false, true) => REQUEST_REQUIRED_PROPERTY_BECAME_WRITE_ONLY,
        (Dir::Request, true, false, false) => REQUEST_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY,
        (Dir::Request, false, true, true) => REQUEST_OPTIONAL_PROPERTY_BECAME_READ_ONLY,
        (Dir::Request, false, true, false) => REQUEST_OPTIONAL_PROPERTY_BECAME_NOT_READ_ONLY,
        (Dir::Request, false, false, true) => REQUEST_OPTIONAL_PROPERTY_BECAME_WRITE_ONLY,
        (Dir::Request, false, false, false) => REQUEST_OPTIONAL_PROPERTY_BECAME_NOT_WRITE_ONLY,
        (Dir::Response, true, true, true) => RESPONSE_REQUIRED_PROPERTY_BECAME_READ_ONLY,
        (Dir::Response, true, true, false) => RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_READ_ONLY,
        (Dir::Response, true, false, true) => RESPONSE_REQUIRED_PROPERTY_BECAME_WRITE_ONLY,
        (Dir::Response, true, false, false) => RESPONSE_REQUIRED_PROPERTY_BECAME_NOT_WRITE_ONLY,
        (Dir::Response, false, true, true) => RESPONSE_OPTIONAL_PROPERTY_BECAME_READ_ONLY,
        (Dir::Response, false, true, false) => RESPONSE_OPTIONAL_PROPERTY_BECAME_NOT_READ_ONLY,
        (Dir::Response, false, false, true) => RESPONSE_OPTIONAL_PROPERTY_BECAME_WRITE_ONLY,
        (Dir::Response, false, false, false) => RESPONSE_OPTIONAL_PROPERTY_BECAME_NOT_WRITE_ONLY,
    }
}

/// A name for a `oneOf`/`anyOf`/`allOf` member: its `$ref` target, else its
/// title; `None` for an unnamed inline schema.
fn sub_name(doc: &Doc<'_>, schema: &Value) -> Option<String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(r.rsplit('/').next().unwrap_or(r).to_string());
    }
    let (resolved, _) = doc.resolve(schema);
    resolved
        .get("title")
        .and_then(Value::as_str)
        .map(String::from)
}

/// The schema's types without `null`, sorted (3.0 `type: x` and 3.1 lists).
pub fn types(schema: &Value) -> Vec<String> {
    let mut out: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => type_list(schema).unwrap_or_default(),
    };
    out.retain(|t| t != "null");
    out.sort();
    out.dedup();
    out
}

/// The types of a `oneOf`/`anyOf` whose members are bare types
/// (`{type: string}` and nothing else but annotations), or `None`.
fn type_list(schema: &Value) -> Option<Vec<String>> {
    if schema.get("type").is_some() {
        return None;
    }
    let members = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)?;
    let mut out = Vec::new();
    for m in members {
        let map = m.as_object()?;
        let bare = map
            .keys()
            .all(|k| matches!(k.as_str(), "type" | "description" | "title" | "format"));
        out.push(
            m.get("type")
                .and_then(Value::as_str)
                .filter(|_| bare)?
                .to_string(),
        );
    }
    (out.len() > 1).then_some(out)
}

/// Whether `schema` wraps `plain` (reached through the reference `name`, if
/// any) in an `allOf`: it has an `allOf` with `plain` among its members,
/// and `plain` has none.
fn wraps(
    doc: &Doc<'_>,
    schema: &Value,
    plain_doc: &Doc<'_>,
    plain: &Value,
    name: Option<&str>,
) -> bool {
    let Some(members) = schema.get("allOf").and_then(Value::as_array) else {
        return false;
    };
    if plain.get("allOf").is_some() {
        return false;
    }
    let plain_hash = plain_doc.written_hash(plain);
    members.iter().any(|m| {
        let reference = m.get("$ref").and_then(Value::as_str);
        (reference.is_some() && reference == name)
            || doc.written_hash(doc.resolve(m).0) == plain_hash
    })
}

/// Whether `schema` has only annotation keywords (JSON Schema's
/// meta-data vocabulary, and extensions), so it accepts every instance.
fn annotation_only(schema: &Value) -> bool {
    schema.as_object().is_some_and(|map| {
        map.keys().all(|k| {
            k.starts_with("x-")
                || matches!(
                    k.as_str(),
                    "title"
                        | "description"
                        | "example"
                        | "examples"
                        | "deprecated"
                        | "externalDocs"
                        | "$comment"
                )
        })
    })
}

/// Whether `rev` is `base`, an object with properties and no `oneOf`, made
/// a `oneOf` of several alternatives with no properties of its own.
fn wrapped_in_one_of(base: &Value, rev: &Value) -> bool {
    let has_props = |s: &Value| {
        s.get("properties")
            .and_then(Value::as_object)
            .is_some_and(|p| !p.is_empty())
    };
    base.get("oneOf").is_none()
        && has_props(base)
        && !has_props(rev)
        && non_null_members(rev, "oneOf").is_some_and(|ms| ms.len() > 1)
}

/// Whether `member` of a `oneOf`/`anyOf` is `{type: null}`.
fn is_null_member(member: &Value) -> bool {
    member.get("type").and_then(Value::as_str) == Some("null")
}

/// Whether a `oneOf`/`anyOf` of `schema` has a `{type: null}` member.
fn has_null_member(schema: &Value) -> bool {
    ["oneOf", "anyOf"].iter().any(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .is_some_and(|ms| ms.iter().any(is_null_member))
    })
}

/// The members of `schema`'s `keyword` that are not `{type: null}`, if it
/// has that keyword.
fn non_null_members<'a>(schema: &'a Value, keyword: &str) -> Option<Vec<&'a Value>> {
    let members = schema.get(keyword).and_then(Value::as_array)?;
    Some(members.iter().filter(|m| !is_null_member(m)).collect())
}

/// `oneOf`/`anyOf` of exactly one schema besides `{type: null}`: that
/// schema (it only made it nullable). Not when `other`, the schema it is
/// compared with, has the same keyword with another number of members:
/// then the lists are compared member by member.
fn unwrap_nullable<'a>(doc: &'a Doc<'a>, schema: &'a Value, other: &Value) -> Option<&'a Value> {
    for keyword in ["oneOf", "anyOf"] {
        let Some(members) = non_null_members(schema, keyword) else {
            continue;
        };
        let all = schema
            .get(keyword)
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        if members.len() != 1 || all == 1 {
            continue;
        }
        if non_null_members(other, keyword).is_some_and(|o| o.len() != 1) {
            continue;
        }
        return Some(doc.resolve(members[0]).0);
    }
    None
}

fn format(schema: &Value) -> Option<&str> {
    schema.get("format").and_then(Value::as_str)
}

fn type_text(types: &[String], format: Option<&str>) -> String {
    let t = types.join("|");
    match format {
        Some(f) => format!("{t}/{f}"),
        None => t,
    }
}

/// A type change that is neither a request's widening nor its
/// specialization: in a response, returning a narrower type (`number` →
/// `integer`) is specialized and a wider one (`integer` → `number`)
/// generalized; in a body that is not JSON, a swap to (request) or from
/// (response) `string` is compatible; anything else is a change.
fn response_or_loose_type_change(
    site: &Spot,
    (bt, bf): (&[String], Option<&str>),
    (rt, rf): (&[String], Option<&str>),
) -> Change {
    let single = bt.len() == 1 && rt.len() == 1;
    if site.dir == Dir::Response && generalizes(rt, rf, bt, bf) {
        return Change::TypeSpecialized;
    }
    if site.dir == Dir::Response && single && bt[0] == "integer" && rt[0] == "number" {
        return Change::TypeGeneralized;
    }
    let (to_text, format_kept) = match site.dir {
        Dir::Request => (rt == ["string"], bf == rf || rf.is_none()),
        Dir::Response => (bt == ["string"], bf == rf || bf.is_none()),
    };
    if site.loose && single && bt != rt && to_text && format_kept {
        return Change::TypeCompatible;
    }
    Change::TypeChanged
}

/// Whether `from` → `to` is the one specialization oasdiff reports as such
/// (`string` → `number`: every number is a string as sent). Others, such
/// as `string` → `integer`, stay type changes, as oasdiff reports them.
fn specializes(from: &[String], to: &[String]) -> bool {
    matches!((from, to), ([f], [t]) if f == "string" && t == "number")
}

/// Whether a request accepting `to` still accepts everything `from` did.
fn generalizes(
    from: &[String],
    from_fmt: Option<&str>,
    to: &[String],
    to_fmt: Option<&str>,
) -> bool {
    fn single(v: &[String]) -> Option<&str> {
        v.first().map(String::as_str).filter(|_| v.len() == 1)
    }
    match (single(from), single(to)) {
        (Some("integer"), Some("number")) => true,
        (Some(a), Some(b)) if a == b => matches!(
            (from_fmt, to_fmt),
            (Some("int32"), Some("int64")) | (Some("float"), Some("double")) | (Some(_), None)
        ),
        _ => false,
    }
}

pub fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable").and_then(Value::as_bool) == Some(true)
        || match schema.get("type") {
            Some(Value::Array(ts)) => ts.iter().any(|t| t == "null"),
            Some(Value::String(t)) => t == "null",
            _ => false,
        }
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    use super::super::testing::{diff, get_pets, ids, only, policy};
    use crate::diff::{Level, diff_openapi};

    /// `GET /pets` taking a JSON body of `schema`.
    fn accepting(schema: Value) -> Value {
        get_pets(json!({
            "requestBody": {"content": {"application/json": {"schema": schema}}},
            "responses": {}
        }))
    }

    /// `GET /pets` returning a JSON body of `schema`.
    fn returning(schema: Value) -> Value {
        get_pets(json!({"responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": schema}}
        }}}))
    }

    fn object(properties: Value, required: &[&str]) -> Value {
        json!({"type": "object", "properties": properties, "required": required})
    }

    #[test]
    fn a_shared_schema_is_compared_once_for_every_operation_reaching_it() {
        use crate::diff::checks::run_on;
        use crate::diff::{Doc, Emitter};
        let doc = |values: Value| {
            let ok = json!({"responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Charge"}}}}}});
            let paths: serde_json::Map<String, Value> = (0..40)
                .map(|i| (format!("/charges{i}"), json!({"get": ok.clone()})))
                .collect();
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t", "version": "1"},
                "paths": paths,
                "components": {"schemas": {"Charge": {"type": "object", "properties": {
                    "status": {"type": "string", "enum": values},
                    "customer": {"$ref": "#/components/schemas/Customer"}}},
                    "Customer": {"type": "object", "properties": {
                        "name": {"type": "string", "maxLength": 10}}}}}
            })
        };
        let (base, rev) = (doc(json!(["paid"])), doc(json!(["paid", "pending"])));
        let mut rev = rev;
        rev["components"]["schemas"]["Customer"]["properties"]["name"]["maxLength"] = json!(20);
        let (b, r) = (Doc::new(&base), Doc::new(&rev));
        let mut out = Emitter::default();
        let compared = run_on(&b, &r, &policy(0, 0), &mut out, 1);
        // Charge, its status, Customer, its name: once each, not 40 times
        // (on one thread; each thread keeps a memo of its own).
        assert_eq!(compared, 4);
        let findings = diff(&base, &rev);
        let count = |id: &str| findings.iter().filter(|f| f.id == id).count();
        assert_eq!(count("response-property-enum-value-added"), 40);
        assert_eq!(count("response-property-max-length-increased"), 40);
        // Each operation's finding names it and its own pointers.
        let f = findings
            .iter()
            .find(|f| f.path.as_deref() == Some("/charges7") && f.id.contains("max-length"))
            .expect("the finding of /charges7");
        assert_eq!(
            &*f.message,
            "response 200 (application/json) property `customer/name` maximum length increased from 10 to 20"
        );
        assert_eq!(
            f.revision_pointer.as_deref(),
            Some(
                "/paths/~1charges7/get/responses/200/content/application~1json/schema/properties/customer/properties/name"
            )
        );
    }

    #[test]
    fn below_a_read_only_property_only_some_changes_have_checks_of_their_own() {
        let name = |extra: Value| {
            let mut p = json!({"type": "object", "readOnly": true, "properties": {"first": {"type": "string"}}});
            for (k, v) in extra.as_object().into_iter().flatten() {
                p[k] = v.clone();
            }
            object(json!({ "name": p }), &[])
        };
        // Its own required list: `request-read-only-property-became-required`
        // does not exist, and there is no falling back to the plain one.
        let base = accepting(name(json!({})));
        let rev = accepting(name(json!({"required": ["first"]})));
        assert!(diff(&base, &rev).is_empty());
        // A type change there has no check of its own: it counts as for
        // any property.
        let rev = accepting(name(json!({"properties": {"first": {"type": "integer"}}})));
        let f = only(&diff(&base, &rev)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-property-type-changed")
        );
        assert_eq!(
            &*f.message,
            "request body (application/json) property `name/first` type changed from string to integer"
        );
        // The same change on a property clients do send.
        let plain = |required: &[&str]| {
            accepting(object(
                json!({"name": {"type": "object", "properties": {"first": {"type": "string"}}, "required": required}}),
                &[],
            ))
        };
        assert_eq!(
            ids(&diff(&plain(&[]), &plain(&["first"]))),
            [(Level::Error, "request-property-became-required")]
        );
    }

    #[test]
    fn properties_added_to_a_parameters_schema() {
        let param = |schema: Value| {
            get_pets(json!({
                "parameters": [{"name": "filter", "in": "query", "schema": schema}],
                "responses": {}
            }))
        };
        let base = param(object(json!({"a": {"type": "string"}}), &[]));
        // oasdiff has no check for a required one; an optional one is as
        // in a body.
        let required = param(object(
            json!({"a": {"type": "string"}, "b": {"type": "string"}}),
            &["b"],
        ));
        assert!(diff(&base, &required).is_empty());
        let optional = param(object(
            json!({"a": {"type": "string"}, "b": {"type": "string"}}),
            &[],
        ));
        let f = only(&diff(&base, &optional)).clone();
        assert_eq!(
            (f.level, f.id),
            (Level::Info, "new-optional-request-property")
        );
        assert_eq!(
            &*f.message,
            "optional query parameter `filter` property `b` was added"
        );
        // A property removed from it has no check either.
        assert!(diff(&optional, &base).is_empty());
        // A change inside a property of it has checks of its own.
        let typed = param(object(json!({"a": {"type": "integer"}}), &[]));
        assert_eq!(
            ids(&diff(&base, &typed)),
            [(Level::Warning, "request-parameter-property-type-changed")]
        );
    }

    #[test]
    fn bounds_break_in_the_direction_clients_feel() {
        let text = |max: u32| json!({"type": "string", "maxLength": max});
        // A request accepting less breaks; a response returning more does.
        let req = diff(&accepting(text(10)), &accepting(text(5)));
        let f = only(&req);
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "request-body-max-length-decreased")
        );
        assert_eq!(
            &*f.message,
            "request body (application/json) maximum length decreased from 10 to 5"
        );
        assert!(diff(&accepting(text(5)), &accepting(text(10)))[0].level == Level::Info);
        assert_eq!(
            ids(&diff(&returning(text(5)), &returning(text(10)))),
            [(Level::Error, "response-body-max-length-increased")]
        );
        // A response returning less is nothing oasdiff reports.
        assert!(diff(&returning(text(10)), &returning(text(5))).is_empty());
        let list = |min: Option<u32>| {
            let mut s = json!({"type": "array", "items": {"type": "string"}});
            if let Some(min) = min {
                s["minItems"] = json!(min);
            }
            s
        };
        let f = diff(&accepting(list(None)), &accepting(list(Some(1))));
        assert_eq!(ids(&f), [(Level::Warning, "request-body-min-items-set")]);
        assert_eq!(
            &*f[0].message,
            "request body (application/json) now has a minimum number of items of 1"
        );
    }

    #[test]
    fn each_enum_value_is_its_own_finding_with_a_stable_fingerprint() {
        let status = |values: Value| {
            returning(object(
                json!({"status": {"type": "string", "enum": values}}),
                &[],
            ))
        };
        let findings = diff(&status(json!(["a"])), &status(json!(["a", "b", "c"])));
        assert_eq!(
            ids(&findings),
            [
                (Level::Warning, "response-property-enum-value-added"),
                (Level::Warning, "response-property-enum-value-added"),
            ]
        );
        assert_eq!(
            &*findings[0].message,
            "response 200 (application/json) property `status` allows the new value \"b\""
        );
        // The fingerprint hashes the id, the operation and the subject: the
        // site, the change and the value. Stored findings keep theirs.
        let mut h = Sha256::new();
        for part in [
            "response-property-enum-value-added",
            "GET",
            "/pets",
            "response 200 (application/json)|status|enum-value-added|\"b\"",
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        assert_eq!(findings[0].fingerprint, hex::encode(&h.finalize()[..8]));
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
        // An extensible enum warns clients that more values may come; one
        // dropped from a request property still breaks those who send it.
        let extensible = |values: Value| {
            let kind = json!({"type": "string", "x-extensible-enum": values});
            accepting(object(json!({ "kind": kind }), &[]))
        };
        let f = diff(&extensible(json!(["a", "b"])), &extensible(json!(["a"])));
        assert_eq!(
            ids(&f),
            [(
                Level::Error,
                "request-property-x-extensible-enum-value-removed"
            )]
        );
        assert!(diff(&extensible(json!(["a"])), &extensible(json!(["a", "b"]))).is_empty());
    }

    #[test]
    fn discriminator_mappings_are_compared_entry_by_entry() {
        let with = |mapping: Value| {
            returning(json!({
                "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "kind", "mapping": mapping}
            }))
        };
        let add_components = |mut d: Value| {
            d["components"] = json!({"schemas": {
                "Cat": {"type": "object"}, "Dog": {"type": "object"}
            }});
            d
        };
        let base = add_components(with(
            json!({"cat": "#/components/schemas/Cat", "dog": "#/components/schemas/Dog"}),
        ));
        let rev = add_components(with(
            json!({"cat": "#/components/schemas/Dog", "puppy": "#/components/schemas/Dog"}),
        ));
        let findings = diff(&base, &rev);
        assert_eq!(
            ids(&findings),
            [
                (Level::Info, "response-body-discriminator-mapping-added"),
                (Level::Info, "response-body-discriminator-mapping-changed"),
                (Level::Info, "response-body-discriminator-mapping-deleted"),
            ]
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(
            messages,
            [
                "response 200 (application/json) discriminator mapping `puppy` was added",
                "response 200 (application/json) discriminator mapping `cat` changed",
                "response 200 (application/json) discriminator mapping `dog` was removed",
            ]
        );
    }

    #[test]
    fn a_deprecated_property_answers_to_the_policy() {
        let with = |extra: Value| {
            let mut p = json!({"type": "string"});
            for (k, v) in extra.as_object().into_iter().flatten() {
                p[k] = v.clone();
            }
            returning(object(json!({ "nick": p }), &[]))
        };
        let base = with(json!({}));
        let deprecated = with(json!({"deprecated": true}));
        let f = diff_openapi(&base, &deprecated, &policy(0, 30));
        let f = only(&f);
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "response-property-deprecated-sunset-missing")
        );
        assert_eq!(
            &*f.message,
            "response 200 (application/json) property `nick` is deprecated without a sunset date; the policy asks for 30 days' notice"
        );
        assert_eq!(
            ids(&diff(&base, &deprecated)),
            [(Level::Info, "response-property-deprecated")]
        );
        let garbled = with(json!({"deprecated": true, "x-sunset": "soon"}));
        assert_eq!(
            ids(&diff(&base, &garbled)),
            [(Level::Error, "response-property-deprecated-sunset-invalid")]
        );
        assert_eq!(
            ids(&diff(&deprecated, &base)),
            [(Level::Info, "response-property-reactivated")]
        );
    }
}
