//! The structural diff of two JSON documents, for `json` watches: model
//! catalogs, price lists, any JSON an API publishes.
//!
//! Both values are walked side by side:
//!
//! - **Objects** are compared key by key. A key only in the base is a
//!   removed field, a key only in the revision an added field, a key in both
//!   is compared recursively.
//! - **Arrays** are compared in one of three ways:
//!   1. *Catalogs.* With an item key (say `id`) and every element on both
//!      sides an object holding a string, number or boolean at that key,
//!      elements are matched by the text of that value (the rule
//!      [`crate::spec::canonical`] sorts by). An id only in the base is a
//!      removed item, an id only in the revision an added one, and matched
//!      items are compared field by field, so a reordered catalog gives no
//!      finding. An id that occurs more than once is matched occurrence by
//!      occurrence.
//!   2. *Lists of scalars* (tags, modalities, capability names) are compared
//!      as multisets: each value gained or lost is one finding
//!      (`json-item-added` / `json-item-removed`: a capability that is gone
//!      is as much a warning as a model that is gone). When only the
//!      order changed, one `json-value-changed` says so, since a reorder is
//!      the whole difference between the two versions.
//!   3. *Anything else* is compared by position: element `i` with element
//!      `i`, then extra elements as added or removed. An insertion near the
//!      start shows as changes all the way down; give the watch an item key
//!      to avoid that.
//! - **Scalars** of the same type are compared by value (`2` and `2.0` are
//!   the same number). A change of type is `json-type-changed`, except that
//!   `null` is read as "not set": `null` becoming a value, or a string,
//!   number or boolean becoming `null`, is a value change. An object or
//!   array becoming `null` is a type change, since whatever consumers read
//!   inside it is gone.
//!
//! A top-level object whose values are all objects, with at least two
//! entries on one side, is read as a catalog keyed by name (LiteLLM's
//! `model_prices_and_context_window.json`): its keys are items, so a key
//! added or removed there is `json-item-added` / `json-item-removed`.
//!
//! Messages name the outermost catalog item a change is in, then the dotted
//! path inside it: `model gpt-4o: pricing.input changed from 2.5 to 2.0`.
//! An item is called by its `object` field when that is a plain lower-case
//! word (`"object": "model"` in OpenAI-style lists), otherwise `item`.
//!
//! # Paths
//!
//! [`Finding::path`] is a readable, stable locator written like a JSON
//! pointer (segments after `/`, `~` and `/` escaped as `~0` and `~1`), with
//! two kinds of bracketed segments for array elements matched by content
//! rather than position:
//!
//! - `[id=gpt-4o]`: the element of a catalog array whose item key `id` has
//!   the text `gpt-4o`. A repeated id adds the occurrence: `[id=gpt-4o#2]`.
//! - `[="vision"]`: the element of a list of scalars equal to this JSON
//!   value.
//!
//! So `/data/[id=gpt-4o]/pricing/input` is the input price of model
//! `gpt-4o` wherever it sits in either version. Elements compared by
//! position use their index, as in a pointer. [`Finding::base_pointer`] and
//! [`Finding::revision_pointer`] are real RFC 6901 pointers into each
//! document (`/data/17/pricing/input`), `None` on the side where the thing
//! does not exist. The fingerprint hashes the id and the path the way
//! [`super::Emitter::emit`] hashes an id and subject with no operation.
//!
//! # Bounds
//!
//! At most [`MAX_FINDINGS`] findings are listed, then the walk stops and
//! one `json-truncated` finding says so. Nesting deeper than [`MAX_DEPTH`]
//! is not walked: a difference below it is one `json-value-changed` at that
//! depth. The walk itself is linear in the size of the documents, plus a
//! sort of each object's keys and each catalog's ids.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use super::{Finding, Level, pointer_segment};

/// A catalog item (or a list element) appeared.
pub const ITEM_ADDED: &str = "json-item-added";
/// A catalog item (or a list element) is gone: whoever used it breaks.
pub const ITEM_REMOVED: &str = "json-item-removed";
/// An object gained a field.
pub const FIELD_ADDED: &str = "json-field-added";
/// An object lost a field that consumers may read.
pub const FIELD_REMOVED: &str = "json-field-removed";
/// A scalar changed value (a price, a context length), or a list changed
/// order.
pub const VALUE_CHANGED: &str = "json-value-changed";
/// A value changed type: a number became a string, an object an array.
pub const TYPE_CHANGED: &str = "json-type-changed";
/// More than [`MAX_FINDINGS`] changes; the rest are not listed.
pub const TRUNCATED: &str = "json-truncated";

/// A catalog gained an item (a model).
pub const CATALOG_ITEM_ADDED: &str = "catalog-item-added";
/// A catalog item is gone: whoever calls it breaks.
pub const CATALOG_ITEM_REMOVED: &str = "catalog-item-removed";
/// A number under a price path changed; a rise is a warning, a fall info.
pub const CATALOG_PRICE_CHANGED: &str = "catalog-price-changed";
/// Any other value of an item changed (or changed type).
pub const CATALOG_FIELD_CHANGED: &str = "catalog-field-changed";
/// An item gained a field (one finding when every item gained it).
pub const CATALOG_FIELD_ADDED: &str = "catalog-field-added";
/// An item lost a field (one finding when every item lost it).
pub const CATALOG_FIELD_REMOVED: &str = "catalog-field-removed";
/// A list-valued field of an item (capabilities, modalities, traits)
/// gained a value.
pub const CATALOG_CAPABILITY_ADDED: &str = "catalog-capability-added";
/// A list-valued field of an item lost a value.
pub const CATALOG_CAPABILITY_REMOVED: &str = "catalog-capability-removed";

/// `(id, default level)` of every JSON check, sorted by id.
pub const CHECKS: &[(&str, Level)] = &[
    (CATALOG_CAPABILITY_ADDED, Level::Info),
    (CATALOG_CAPABILITY_REMOVED, Level::Info),
    (CATALOG_FIELD_ADDED, Level::Info),
    (CATALOG_FIELD_CHANGED, Level::Info),
    (CATALOG_FIELD_REMOVED, Level::Info),
    (CATALOG_ITEM_ADDED, Level::Info),
    (CATALOG_ITEM_REMOVED, Level::Error),
    (CATALOG_PRICE_CHANGED, Level::Warning),
    (FIELD_ADDED, Level::Info),
    (FIELD_REMOVED, Level::Warning),
    (ITEM_ADDED, Level::Info),
    (ITEM_REMOVED, Level::Warning),
    (TRUNCATED, Level::Info),
    (TYPE_CHANGED, Level::Warning),
    (VALUE_CHANGED, Level::Info),
];

/// The default level of a JSON check id.
pub fn level(id: &str) -> Option<Level> {
    super::registry::level_in(CHECKS, id)
}

/// The most findings one diff lists before it stops with `json-truncated`.
pub const MAX_FINDINGS: usize = 10_000;

/// The deepest nesting walked. The parser already refuses documents nested
/// past [`crate::spec::Limits::max_depth`]; this bound keeps the walk's own
/// recursion safe whatever value it is given.
pub const MAX_DEPTH: usize = 256;

/// How many characters of a value or name a message quotes.
const QUOTE_CHARS: usize = 80;

/// Compares two JSON documents. `item_key` is the watch's item key: the
/// field that names the elements of catalog arrays (see the module docs).
/// No key is detected and nothing is ignored: see [`diff_json_with`].
pub fn diff_json(base: &Value, revision: &Value, item_key: Option<&str>) -> Vec<Finding> {
    let options = JsonOptions {
        item_key: item_key.map(str::to_owned),
        no_key: true,
        ..JsonOptions::default()
    };
    diff_json_with(base, revision, &options).findings
}

/// How a `json` watch's versions are compared.
#[derive(Debug, Clone, Default)]
pub struct JsonOptions {
    /// The field naming catalog items; `None`: detected (see
    /// [`crate::spec::canonical::detect_item_key`]) unless `no_key`.
    pub item_key: Option<String>,
    /// Compare arrays without a key by position, detecting nothing.
    pub no_key: bool,
    /// Globs on an item's dotted field path whose numbers are prices (see
    /// [`is_price_path`]); empty: the built-in rule.
    pub price_paths: Vec<String>,
    /// Fields left out of both documents before they are compared.
    pub ignore: Vec<crate::spec::ignore::FieldGlob>,
    /// Level overrides by check id (or prefix ending in `*`).
    pub levels: Vec<(String, Level)>,
}

impl JsonOptions {
    /// The options a watch declares. Rules that do not read (refused when
    /// the watch was declared) are left out.
    pub fn for_watch(spec: &crate::watch::WatchSpec) -> JsonOptions {
        let o = &spec.options;
        JsonOptions {
            item_key: spec.item_key.clone(),
            no_key: o.no_key,
            price_paths: o.price_paths.clone(),
            ignore: o
                .ignore_fields
                .iter()
                .filter_map(|r| crate::spec::ignore::FieldGlob::parse(r).ok())
                .collect(),
            levels: level_overrides(&o.levels),
        }
    }
}

/// Checks a per-watch level override: a known check id (or id prefix
/// ending in `*`) and a level.
pub fn validate_level_override(id: &str, wanted: &str) -> Result<(), String> {
    wanted.parse::<Level>()?;
    let stem = id.strip_suffix('*').unwrap_or(id);
    let known = self::level(id).is_some()
        || super::text::level(id).is_some()
        || super::registry::level(id).is_some()
        || (id.ends_with('*') && !stem.is_empty());
    if known {
        Ok(())
    } else {
        Err(format!(
            "unknown check id `{id}` in a level override: catalog ids start with `catalog-`, page ids with `changelog-` or `page-`"
        ))
    }
}

/// Checks a watch's catalog options as the diff will read them: ignore
/// rules and level overrides.
pub fn check_options(o: &crate::watch::WatchOptions) -> Result<(), String> {
    crate::spec::ignore::parse_all(&o.ignore_fields)?;
    for (id, level) in &o.levels {
        validate_level_override(id, level)?;
    }
    Ok(())
}

/// Parsed level overrides; unreadable levels are left out.
pub fn level_overrides(
    levels: &std::collections::BTreeMap<String, String>,
) -> Vec<(String, Level)> {
    levels
        .iter()
        .filter_map(|(id, l)| Some((id.clone(), l.parse::<Level>().ok()?)))
        .collect()
}

/// Applies level overrides (exact ids first, then the longest prefix).
pub fn apply_levels(findings: &mut [Finding], levels: &[(String, Level)]) {
    if levels.is_empty() {
        return;
    }
    for f in findings {
        let exact = levels.iter().find(|(id, _)| id == f.id);
        let prefix = || {
            levels
                .iter()
                .filter(|(id, _)| {
                    id.strip_suffix('*')
                        .is_some_and(|stem| f.id.starts_with(stem))
                })
                .max_by_key(|(id, _)| id.len())
        };
        if let Some((_, level)) = exact.or_else(prefix) {
            f.level = *level;
        }
    }
}

/// The findings of a JSON comparison, and the item key it used when it
/// found one itself.
#[derive(Debug, Clone, Default)]
pub struct JsonDiff {
    pub findings: Vec<Finding>,
    /// The key detected in the documents (`None` when one was given, or
    /// none fits).
    pub detected_key: Option<&'static str>,
}

/// Compares two JSON documents with a watch's options: ignored fields
/// dropped from copies of both, the item key given or detected, catalog
/// semantics inside keyed items, levels overridden.
pub fn diff_json_with(base: &Value, revision: &Value, options: &JsonOptions) -> JsonDiff {
    let stripped;
    let (base, revision) = if options.ignore.is_empty() {
        (base, revision)
    } else {
        let (mut b, mut r) = (base.clone(), revision.clone());
        crate::spec::ignore::strip(&mut b, &options.ignore);
        crate::spec::ignore::strip(&mut r, &options.ignore);
        stripped = (b, r);
        (&stripped.0, &stripped.1)
    };
    let detected_key = match &options.item_key {
        None if !options.no_key => {
            let key = crate::spec::canonical::detect_item_key(revision)
                .or_else(|| crate::spec::canonical::detect_item_key(base));
            // Only when the other side does not contradict it.
            key.filter(|k| {
                [base, revision]
                    .iter()
                    .all(|doc| crate::spec::canonical::detect_item_key(doc).is_none_or(|d| d == *k))
            })
        }
        _ => None,
    };
    let item_key = options.item_key.as_deref().or(detected_key);
    let mut walker = Walker {
        item_key,
        price_paths: &options.price_paths,
        findings: Vec::new(),
        truncated: false,
        matched: HashMap::new(),
        fields: Vec::new(),
    };
    let root = Place::root();
    match (base, revision) {
        (Value::Object(b), Value::Object(r)) if is_keyed_object(b, r) => {
            walker.object(b, r, &root, 0, true);
        }
        _ => walker.value(base, revision, &root, 0),
    }
    let mut findings = walker.finish();
    apply_levels(&mut findings, &options.levels);
    JsonDiff {
        findings,
        detected_key,
    }
}

/// Whether a field of a catalog item holds a price: with `globs`, one
/// matches its dotted path (`pricing.input.usd`; `*` is any run of
/// characters, dots included); without, a segment of the path names a
/// price or a cost (`pricing`, `price`, `input_cost_per_token`).
pub fn is_price_path(rel: &str, globs: &[String]) -> bool {
    if globs.is_empty() {
        return rel.split(['.', '[']).any(|segment| {
            let lower = segment.to_ascii_lowercase();
            lower.contains("pric") || lower.contains("cost")
        });
    }
    globs.iter().any(|g| crate::glob::matches(g, rel))
}

/// Whether a top-level object reads as a catalog keyed by item name.
fn is_keyed_object(base: &Map<String, Value>, revision: &Map<String, Value>) -> bool {
    (base.len() >= 2 || revision.len() >= 2)
        && base.values().chain(revision.values()).all(Value::is_object)
}

/// Where the walk is, in every notation a finding needs.
#[derive(Debug, Clone)]
struct Place {
    /// The readable path (module docs, "Paths").
    path: String,
    /// RFC 6901 pointers; `None` on a side where this place does not exist.
    base: Option<String>,
    revision: Option<String>,
    /// The outermost catalog item this place is in: `model gpt-4o`.
    label: Option<String>,
    /// The dotted path from that item (or from the root) for messages:
    /// `pricing.input`, `endpoints[id=e1].price`, `data[3]`.
    rel: String,
    /// The readable path of the catalog the outermost item is in.
    catalog: Option<String>,
}

impl Place {
    fn root() -> Place {
        Place {
            path: String::new(),
            base: Some(String::new()),
            revision: Some(String::new()),
            label: None,
            rel: String::new(),
            catalog: None,
        }
    }

    /// Whether this place is inside a catalog item.
    fn in_item(&self) -> bool {
        self.label.is_some()
    }

    /// The noun an item's label starts with (`model`), for messages about
    /// every item.
    fn noun(&self) -> &str {
        self.label
            .as_deref()
            .and_then(|l| l.split(' ').next())
            .unwrap_or("item")
    }

    /// A child whose readable segment is `segment`, and whose pointer
    /// segments on each side are given where the child exists there.
    fn child(
        &self,
        segment: &str,
        base: Option<&str>,
        revision: Option<&str>,
        label: Option<String>,
        rel: String,
    ) -> Place {
        let join = |parent: &Option<String>, seg: Option<&str>| match (parent, seg) {
            (Some(p), Some(s)) => Some(format!("{p}/{s}")),
            _ => None,
        };
        // The outermost item starts its catalog's scope.
        let catalog = match (&self.label, &label) {
            (None, Some(_)) => Some(self.path.clone()),
            _ => self.catalog.clone(),
        };
        Place {
            path: format!("{}/{segment}", self.path),
            base: join(&self.base, base),
            revision: join(&self.revision, revision),
            label,
            rel,
            catalog,
        }
    }

    /// The member `key` of an object.
    fn member(&self, key: &str, in_base: bool, in_revision: bool) -> Place {
        let seg = pointer_segment(key);
        let rel = if self.rel.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.rel)
        };
        self.child(
            &seg,
            in_base.then_some(seg.as_str()),
            in_revision.then_some(seg.as_str()),
            self.label.clone(),
            rel,
        )
    }

    /// A top-level entry of a catalog keyed by name.
    fn named_item(&self, name: &str, noun: &str, in_base: bool, in_revision: bool) -> Place {
        let seg = pointer_segment(name);
        self.child(
            &seg,
            in_base.then_some(seg.as_str()),
            in_revision.then_some(seg.as_str()),
            Some(format!("{noun} {}", quote_name(name))),
            String::new(),
        )
    }

    /// Element `index` of an array compared by position.
    fn position(&self, index: usize, in_base: bool, in_revision: bool) -> Place {
        let seg = index.to_string();
        self.child(
            &seg,
            in_base.then_some(seg.as_str()),
            in_revision.then_some(seg.as_str()),
            self.label.clone(),
            format!("{}[{index}]", self.rel),
        )
    }

    /// The element of a catalog array whose item key reads `id`
    /// (`occurrence` counts from 1), at these indices on each side.
    fn keyed(&self, item: KeyedItem<'_>, noun: &str) -> Place {
        let nth = if item.occurrence > 1 {
            format!("#{}", item.occurrence)
        } else {
            String::new()
        };
        // Escaped in the path, as written in messages.
        let selector = format!(
            "{}={}{nth}",
            pointer_segment(item.key),
            pointer_segment(item.id)
        );
        let shown = format!("{}={}{nth}", item.key, cut(item.id, QUOTE_CHARS));
        let (label, rel) = match &self.label {
            // The outermost item names everything inside it.
            None => {
                let mut label = format!("{noun} {}", quote_name(item.id));
                if item.occurrence > 1 {
                    label.push_str(&format!(" (#{})", item.occurrence));
                }
                (Some(label), String::new())
            }
            Some(label) => (Some(label.clone()), format!("{}[{shown}]", self.rel)),
        };
        let base = item.base.map(|i| i.to_string());
        let revision = item.revision.map(|i| i.to_string());
        self.child(
            &format!("[{selector}]"),
            base.as_deref(),
            revision.as_deref(),
            label,
            rel,
        )
    }

    /// The element of a list of scalars equal to `json` (its JSON text).
    fn scalar(&self, json: &str, base: Option<usize>, revision: Option<usize>) -> Place {
        let base = base.map(|i| i.to_string());
        let revision = revision.map(|i| i.to_string());
        self.child(
            &format!("[={}]", pointer_segment(json)),
            base.as_deref(),
            revision.as_deref(),
            self.label.clone(),
            self.rel.clone(),
        )
    }

    /// What a message calls this place: `model gpt-4o: pricing.input`,
    /// `model gpt-4o`, `data[3]`, or `the document`.
    fn subject(&self) -> String {
        match (&self.label, self.rel.is_empty()) {
            (Some(label), true) => label.clone(),
            (Some(label), false) => format!("{label}: {}", self.rel),
            (None, false) => self.rel.clone(),
            (None, true) => "the document".to_owned(),
        }
    }
}

/// One side-by-side position in a catalog array.
#[derive(Debug, Clone, Copy)]
struct KeyedItem<'a> {
    key: &'a str,
    id: &'a str,
    occurrence: usize,
    base: Option<usize>,
    revision: Option<usize>,
}

struct Walker<'k> {
    item_key: Option<&'k str>,
    price_paths: &'k [String],
    findings: Vec<Finding>,
    truncated: bool,
    /// Per catalog (by its path): how many items are on both sides.
    matched: HashMap<String, usize>,
    /// Field added or removed inside catalog items: the finding's index,
    /// its catalog and its dotted path in the item, and the item's noun.
    fields: Vec<(usize, String, String, String)>,
}

impl Walker<'_> {
    fn emit(&mut self, id: &'static str, at: &Place, message: String) {
        if self.findings.len() >= MAX_FINDINGS {
            self.truncated = true;
            return;
        }
        let mut f = finding(
            id,
            Some(at.path.clone()),
            message,
            at.base.clone(),
            at.revision.clone(),
        );
        // A model gaining a deprecation notice, or its retirement date
        // changing, is what a catalog is watched for.
        if matches!(id, CATALOG_FIELD_ADDED | CATALOG_FIELD_CHANGED) && lifecycle(&at.rel) {
            f.level = Level::Warning;
        }
        self.findings.push(f);
    }

    /// Records a field added to or removed from an item, to be merged
    /// with the same change in every other item.
    fn emit_field(&mut self, id: &'static str, at: &Place, message: String) {
        let index = self.findings.len();
        self.emit(id, at, message);
        if self.findings.len() > index
            && let Some(catalog) = &at.catalog
        {
            self.fields
                .push((index, catalog.clone(), at.rel.clone(), at.noun().to_owned()));
        }
    }

    /// A field added to or removed from every matched item of a catalog
    /// (at least two) becomes one finding with the count.
    fn merge_fields(&mut self) {
        let mut groups: HashMap<(&'static str, &str, &str), Vec<usize>> = HashMap::new();
        for (index, catalog, rel, _) in &self.fields {
            let id = self.findings[*index].id;
            groups
                .entry((id, catalog.as_str(), rel.as_str()))
                .or_default()
                .push(*index);
        }
        let mut merged: Vec<(usize, Finding)> = Vec::new();
        let mut drop = std::collections::HashSet::new();
        for ((id, catalog, rel), indices) in groups {
            let items = self.matched.get(catalog).copied().unwrap_or(0);
            if indices.len() < 2 || indices.len() != items {
                continue;
            }
            let first = &self.findings[indices[0]];
            let noun = self
                .fields
                .iter()
                .find(|f| f.0 == indices[0])
                .map_or("item", |f| f.3.as_str());
            let verb = if id == CATALOG_FIELD_ADDED {
                "was added to"
            } else {
                "was removed from"
            };
            let pointer: Vec<String> = rel.split('.').map(pointer_segment).collect();
            let message = format!(
                "{rel} {verb} every {noun} ({} {})",
                indices.len(),
                plural(noun, indices.len())
            );
            let f = finding(
                id,
                Some(format!("{catalog}/*/{}", pointer.join("/"))),
                message,
                first.base_pointer.as_deref().map(String::from),
                first.revision_pointer.as_deref().map(String::from),
            );
            // The level the findings had (a lifecycle field is a warning).
            let f = Finding {
                level: first.level,
                ..f
            };
            merged.push((indices[0], f));
            drop.extend(indices);
        }
        if drop.is_empty() {
            return;
        }
        let replacements: HashMap<usize, Finding> = merged.into_iter().collect();
        let old = std::mem::take(&mut self.findings);
        for (i, f) in old.into_iter().enumerate() {
            if let Some(m) = replacements.get(&i) {
                self.findings.push(m.clone());
            } else if !drop.contains(&i) {
                self.findings.push(f);
            }
        }
    }

    fn finish(mut self) -> Vec<Finding> {
        self.merge_fields();
        if self.truncated {
            self.findings.push(finding(
                TRUNCATED,
                None,
                format!(
                    "only the first {MAX_FINDINGS} changes are listed; the rest was not compared"
                ),
                None,
                None,
            ));
        }
        self.findings
    }

    fn value(&mut self, base: &Value, revision: &Value, at: &Place, depth: usize) {
        if self.truncated {
            return;
        }
        match (base, revision) {
            (Value::Object(_) | Value::Array(_), _) if depth >= MAX_DEPTH => {
                if !equal(base, revision) {
                    self.emit(
                        if at.in_item() {
                            CATALOG_FIELD_CHANGED
                        } else {
                            VALUE_CHANGED
                        },
                        at,
                        format!(
                            "{} changed (nested too deeply to compare further)",
                            at.subject()
                        ),
                    );
                }
            }
            (Value::Object(b), Value::Object(r)) => self.object(b, r, at, depth, false),
            (Value::Array(b), Value::Array(r)) => self.array(b, r, at, depth),
            _ if kind(base) == kind(revision) => {
                if same_scalar(base, revision) {
                    return;
                }
                if let (Value::Number(b), Value::Number(r)) = (base, revision)
                    && at.in_item()
                    && is_price_path(&at.rel, self.price_paths)
                {
                    self.price(b, r, at);
                    return;
                }
                let message = format!(
                    "{} changed from {} to {}",
                    at.subject(),
                    show(base),
                    show(revision)
                );
                let id = if at.in_item() {
                    CATALOG_FIELD_CHANGED
                } else {
                    VALUE_CHANGED
                };
                self.emit(id, at, message);
            }
            // "Not set" and set: a value change, unless a structure went.
            (Value::Null, _)
            | (Value::Bool(_) | Value::Number(_) | Value::String(_), Value::Null) => {
                let message = format!(
                    "{} changed from {} to {}",
                    at.subject(),
                    show(base),
                    show(revision)
                );
                let id = if at.in_item() {
                    CATALOG_FIELD_CHANGED
                } else {
                    VALUE_CHANGED
                };
                self.emit(id, at, message);
            }
            _ => {
                let message = format!(
                    "{} changed type from {} to {}",
                    at.subject(),
                    typed(base),
                    typed(revision)
                );
                let id = if at.in_item() {
                    CATALOG_FIELD_CHANGED
                } else {
                    TYPE_CHANGED
                };
                self.emit(id, at, message);
            }
        }
    }

    /// A price of an item changed: old, new and the change in percent; a
    /// rise is a warning, a fall info.
    fn price(&mut self, base: &Number, revision: &Number, at: &Place) {
        let (old, new) = (
            base.as_f64().unwrap_or(0.0),
            revision.as_f64().unwrap_or(0.0),
        );
        let verb = if new > old { "rose" } else { "fell" };
        let percent = if old == 0.0 {
            "from zero".to_owned()
        } else {
            let p = (new - old) / old.abs() * 100.0;
            let sign = if p >= 0.0 { "+" } else { "−" };
            let p = p.abs();
            if p >= 10.0 || p == p.round() {
                format!("{sign}{p:.0}%")
            } else {
                format!("{sign}{p:.1}%")
            }
        };
        let message = format!(
            "{} {verb} from {base} to {revision} ({percent})",
            at.subject()
        );
        let index = self.findings.len();
        self.emit(CATALOG_PRICE_CHANGED, at, message);
        if new <= old
            && let Some(f) = self.findings.get_mut(index)
        {
            f.level = Level::Info;
        }
    }

    /// Compares two objects; with `items`, each key is a catalog item.
    fn object(
        &mut self,
        base: &Map<String, Value>,
        revision: &Map<String, Value>,
        at: &Place,
        depth: usize,
        items: bool,
    ) {
        let mut keys: Vec<&String> = base.keys().chain(revision.keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        if items {
            let both = base.keys().filter(|k| revision.contains_key(*k)).count();
            self.matched.insert(at.path.clone(), both);
        }
        for key in keys {
            if self.truncated {
                return;
            }
            match (base.get(key), revision.get(key)) {
                // Unchanged members cost no path building.
                (Some(b), Some(r)) if equal(b, r) => {}
                (Some(b), Some(r)) => {
                    let place = if items {
                        at.named_item(key, noun(r), true, true)
                    } else {
                        at.member(key, true, true)
                    };
                    self.value(b, r, &place, depth + 1);
                }
                (Some(b), None) => {
                    if items {
                        let place = at.named_item(key, noun(b), true, false);
                        let message = format!("{} was removed", place.subject());
                        self.emit(CATALOG_ITEM_REMOVED, &place, message);
                    } else {
                        let place = at.member(key, true, false);
                        let message = format!("{} was removed (was {})", place.subject(), show(b));
                        if place.in_item() {
                            self.emit_field(CATALOG_FIELD_REMOVED, &place, message);
                        } else {
                            self.emit(FIELD_REMOVED, &place, message);
                        }
                    }
                }
                (None, Some(r)) => {
                    if items {
                        let place = at.named_item(key, noun(r), false, true);
                        let message = format!("{} was added", place.subject());
                        self.emit(CATALOG_ITEM_ADDED, &place, message);
                    } else {
                        let place = at.member(key, false, true);
                        let message = format!("{} was added ({})", place.subject(), show(r));
                        if place.in_item() {
                            self.emit_field(CATALOG_FIELD_ADDED, &place, message);
                        } else {
                            self.emit(FIELD_ADDED, &place, message);
                        }
                    }
                }
                (None, None) => {}
            }
        }
    }

    fn array(&mut self, base: &[Value], revision: &[Value], at: &Place, depth: usize) {
        if let Some(key) = self.item_key
            && let (Some(b), Some(r)) = (item_ids(base, key), item_ids(revision, key))
            && !(b.is_empty() && r.is_empty())
        {
            self.catalog(base, revision, (&b, &r), key, at, depth);
            return;
        }
        let scalar = |v: &Value| !(v.is_object() || v.is_array());
        if base.iter().chain(revision).all(scalar) {
            self.scalars(base, revision, at);
        } else {
            self.positions(base, revision, at, depth);
        }
    }

    /// Matches catalog items by id; `ids` are those of [`item_ids`].
    fn catalog(
        &mut self,
        base: &[Value],
        revision: &[Value],
        ids: (&[ItemId], &[ItemId]),
        key: &str,
        at: &Place,
        depth: usize,
    ) {
        let index = |ids: &[ItemId]| -> HashMap<ItemId, usize> {
            ids.iter()
                .enumerate()
                .map(|(i, id)| (id.clone(), i))
                .collect()
        };
        let (base_at, revision_at) = (index(ids.0), index(ids.1));
        let mut all: Vec<&ItemId> = ids.0.iter().chain(ids.1).collect();
        all.sort_unstable();
        all.dedup();
        // The outermost catalog's items are added and removed as items;
        // inside an item, a nested list's entries are its fields.
        let (added, removed) = if at.in_item() {
            (CATALOG_FIELD_CHANGED, CATALOG_FIELD_CHANGED)
        } else {
            let both = base_at
                .keys()
                .filter(|id| revision_at.contains_key(*id))
                .count();
            self.matched.insert(at.path.clone(), both);
            (CATALOG_ITEM_ADDED, CATALOG_ITEM_REMOVED)
        };
        for id in all {
            if self.truncated {
                return;
            }
            let item = KeyedItem {
                key,
                id: &id.0,
                occurrence: id.1,
                base: base_at.get(id).copied(),
                revision: revision_at.get(id).copied(),
            };
            let b = item.base.and_then(|i| base.get(i));
            let r = item.revision.and_then(|i| revision.get(i));
            match (b, r) {
                (Some(b), Some(r)) => {
                    // Most items of a catalog are unchanged: skip them
                    // before building any path.
                    if !equal(b, r) {
                        let place = at.keyed(item, noun(r));
                        self.value(b, r, &place, depth + 1);
                    }
                }
                (Some(b), None) => {
                    let place = at.keyed(item, noun(b));
                    let message = format!("{} was removed", place.subject());
                    self.emit(removed, &place, message);
                }
                (None, Some(r)) => {
                    let place = at.keyed(item, noun(r));
                    let message = format!("{} was added", place.subject());
                    self.emit(added, &place, message);
                }
                (None, None) => {}
            }
        }
    }

    /// Compares two lists of scalars as multisets.
    fn scalars(&mut self, base: &[Value], revision: &[Value], at: &Place) {
        if base.len() == revision.len() && base.iter().zip(revision).all(|(b, r)| same_scalar(b, r))
        {
            return;
        }
        let text = |v: &Value| v.to_string();
        let mut unmatched: HashMap<String, VecDeque<usize>> = HashMap::new();
        for (i, v) in revision.iter().enumerate() {
            unmatched.entry(text(v)).or_default().push_back(i);
        }
        let mut lost = Vec::new();
        for (i, v) in base.iter().enumerate() {
            let json = text(v);
            if unmatched
                .get_mut(&json)
                .and_then(VecDeque::pop_front)
                .is_none()
            {
                lost.push((i, json));
            }
        }
        let mut gained: Vec<(usize, String)> = unmatched
            .into_iter()
            .flat_map(|(json, left)| left.into_iter().map(move |i| (i, json.clone())))
            .collect();
        gained.sort_unstable();
        let in_item = at.in_item();
        if lost.is_empty() && gained.is_empty() {
            let message = format!("{} changed order", at.subject());
            let id = if in_item {
                CATALOG_FIELD_CHANGED
            } else {
                VALUE_CHANGED
            };
            self.emit(id, at, message);
            return;
        }
        let (added, removed) = if in_item {
            (CATALOG_CAPABILITY_ADDED, CATALOG_CAPABILITY_REMOVED)
        } else {
            (ITEM_ADDED, ITEM_REMOVED)
        };
        for (i, json) in lost {
            let place = at.scalar(&json, Some(i), None);
            let message = format!("{} lost {}", at.subject(), quote(&json));
            self.emit(removed, &place, message);
        }
        for (i, json) in gained {
            let place = at.scalar(&json, None, Some(i));
            let message = format!("{} gained {}", at.subject(), quote(&json));
            self.emit(added, &place, message);
        }
    }

    /// Compares two arrays element by element.
    fn positions(&mut self, base: &[Value], revision: &[Value], at: &Place, depth: usize) {
        let (added, removed) = if at.in_item() {
            (CATALOG_FIELD_CHANGED, CATALOG_FIELD_CHANGED)
        } else {
            (ITEM_ADDED, ITEM_REMOVED)
        };
        for i in 0..base.len().max(revision.len()) {
            if self.truncated {
                return;
            }
            match (base.get(i), revision.get(i)) {
                (Some(b), Some(r)) => self.value(b, r, &at.position(i, true, true), depth + 1),
                (Some(_), None) => {
                    let place = at.position(i, true, false);
                    let message = format!("{} was removed", place.subject());
                    self.emit(removed, &place, message);
                }
                (None, Some(_)) => {
                    let place = at.position(i, false, true);
                    let message = format!("{} was added", place.subject());
                    self.emit(added, &place, message);
                }
                (None, None) => {}
            }
        }
    }
}

/// Whether an item's field is about its end of life (`deprecation`,
/// `deprecated`, `retire_at`, `sunset`, `end_of_life`, `eol`): such a
/// field added or changed is a warning, not information.
fn lifecycle(rel: &str) -> bool {
    let rel = rel.to_ascii_lowercase();
    ["deprecat", "retire", "sunset", "end_of_life", "endoflife"]
        .iter()
        .any(|w| rel.contains(w))
        || rel.split(['.', '_', '-']).any(|part| part == "eol")
}

/// A finding with its fingerprint: the id and path hashed as
/// [`super::Emitter::emit`] hashes an id and subject with no operation.
fn finding(
    id: &'static str,
    path: Option<String>,
    message: String,
    base_pointer: Option<String>,
    revision_pointer: Option<String>,
) -> Finding {
    let mut h = Sha256::new();
    for part in [id, "", "", path.as_deref().unwrap_or("")] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let (base_pointer, revision_pointer) =
        crate::diff::shared_pointers(base_pointer, revision_pointer);
    Finding {
        id,
        level: level(id).unwrap_or(Level::Info),
        operation: None,
        path: path.map(Arc::from),
        message: message.into(),
        base_pointer,
        revision_pointer,
        fingerprint: crate::diff::fingerprint_hex(&h.finalize()[..8]),
        cause: None,
    }
}

/// The text of an item's id and which occurrence of it this is (from 1).
type ItemId = (String, usize);

/// The id text and occurrence number (from 1) of every element, when every
/// element is an object with a string, number or boolean at `key`.
fn item_ids(items: &[Value], key: &str) -> Option<Vec<ItemId>> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    items
        .iter()
        .map(|item| {
            let id = match item.as_object()?.get(key)? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null | Value::Array(_) | Value::Object(_) => return None,
            };
            let count = seen.entry(id.clone()).or_insert(0);
            *count += 1;
            Some((id, *count))
        })
        .collect()
}

/// What to call an item: its `object` field when that is a plain word (the
/// OpenAI-style catalogs say `"object": "model"`), else `item`.
fn noun(item: &Value) -> &str {
    match item.get("object").and_then(Value::as_str) {
        Some(word)
            if (1..=24).contains(&word.len())
                && word != "list"
                && word.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') =>
        {
            word
        }
        _ => "item",
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Null => Kind::Null,
        Value::Bool(_) => Kind::Bool,
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Array(_) => Kind::Array,
        Value::Object(_) => Kind::Object,
    }
}

fn same_number(a: &Number, b: &Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    a.as_f64() == b.as_f64()
}

/// Equality of two values at least one of which is a scalar (containers of
/// different variants compare unequal without recursing).
fn same_scalar(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::Object(_), Value::Object(_)) | (Value::Array(_), Value::Array(_)) => equal(a, b),
        _ => a == b,
    }
}

/// Deep equality without recursion, numbers compared as numbers.
fn equal(a: &Value, b: &Value) -> bool {
    let mut stack = vec![(a, b)];
    while let Some(pair) = stack.pop() {
        match pair {
            (Value::Object(x), Value::Object(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                for (k, xv) in x {
                    match y.get(k) {
                        Some(yv) => stack.push((xv, yv)),
                        None => return false,
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                if x.len() != y.len() {
                    return false;
                }
                stack.extend(x.iter().zip(y));
            }
            (Value::Number(x), Value::Number(y)) => {
                if !same_number(x, y) {
                    return false;
                }
            }
            (Value::Object(_) | Value::Array(_), _) | (_, Value::Object(_) | Value::Array(_)) => {
                return false;
            }
            (x, y) => {
                if x != y {
                    return false;
                }
            }
        }
    }
    true
}

/// A value as a message quotes it: scalars as JSON (long strings cut),
/// containers by their size.
fn show(v: &Value) -> String {
    match v {
        Value::Object(m) if m.is_empty() => "an empty object".to_owned(),
        Value::Object(m) if m.len() == 1 => "an object with 1 field".to_owned(),
        Value::Object(m) => format!("an object with {} fields", m.len()),
        Value::Array(a) if a.is_empty() => "an empty array".to_owned(),
        Value::Array(a) if a.len() == 1 => "an array of 1 element".to_owned(),
        Value::Array(a) => format!("an array of {} elements", a.len()),
        scalar => quote(&scalar.to_string()),
    }
}

/// A value with its type, for type changes: `number 2.5`, `an object …`.
fn typed(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => format!("boolean {}", show(v)),
        Value::Number(_) => format!("number {}", show(v)),
        Value::String(_) => format!("string {}", show(v)),
        Value::Array(_) | Value::Object(_) => show(v),
    }
}

/// JSON text cut to [`QUOTE_CHARS`] characters, marked with `…` when cut.
fn quote(json: &str) -> String {
    cut(json, QUOTE_CHARS)
}

/// An item name for a label, cut like a quote.
fn quote_name(name: &str) -> String {
    cut(name, QUOTE_CHARS)
}

/// `model` → `models`, for counts other than one.
fn plural(noun: &str, n: usize) -> String {
    if n == 1 {
        noun.to_owned()
    } else if noun.ends_with('s') {
        format!("{noun}es")
    } else {
        format!("{noun}s")
    }
}

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &s[..end]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ids(findings: &[Finding]) -> Vec<(&str, &str)> {
        findings
            .iter()
            .map(|f| (f.id, f.path.as_deref().unwrap_or("")))
            .collect()
    }

    fn find<'a>(findings: &'a [Finding], path: &str) -> &'a Finding {
        findings
            .iter()
            .find(|f| f.path.as_deref() == Some(path))
            .unwrap_or_else(|| panic!("no finding at {path}: {findings:#?}"))
    }

    fn openai_catalog(models: Value) -> Value {
        json!({"object": "list", "data": models})
    }

    #[test]
    fn a_deprecation_added_to_an_item_is_a_warning() {
        let base = openai_catalog(json!([
            {"id": "a", "model_spec": {"name": "A"}},
            {"id": "b", "model_spec": {"name": "B", "deprecation": {"date": "2026-09-01"}}},
        ]));
        let revision = openai_catalog(json!([
            {"id": "a", "model_spec": {"name": "A", "deprecation": {"date": "2026-10-01"}, "beta": true}},
            {"id": "b", "model_spec": {"name": "B", "deprecation": {"date": "2026-08-15"}}},
        ]));
        let findings = diff_json(&base, &revision, Some("id"));
        let level_of = |path: &str| find(&findings, path).level;
        assert_eq!(
            level_of("/data/[id=a]/model_spec/deprecation"),
            Level::Warning
        );
        assert_eq!(
            level_of("/data/[id=b]/model_spec/deprecation/date"),
            Level::Warning
        );
        assert_eq!(level_of("/data/[id=a]/model_spec/beta"), Level::Info);
    }

    #[test]
    fn catalog_items_added_removed_and_changed() {
        let base = openai_catalog(json!([
            {"id": "gpt-4o", "object": "model", "pricing": {"input": 2.5, "output": 10}, "context_length": 128000},
            {"id": "gpt-3.5-turbo", "object": "model", "pricing": {"input": 0.5, "output": 1.5}},
        ]));
        let revision = openai_catalog(json!([
            {"id": "o3", "object": "model", "pricing": {"input": 2, "output": 8}},
            {"id": "gpt-4o", "object": "model", "pricing": {"input": 2.0, "output": 10}, "context_length": 200000},
        ]));
        let findings = diff_json(&base, &revision, Some("id"));
        assert_eq!(
            ids(&findings),
            [
                (CATALOG_ITEM_REMOVED, "/data/[id=gpt-3.5-turbo]"),
                (CATALOG_FIELD_CHANGED, "/data/[id=gpt-4o]/context_length"),
                (CATALOG_PRICE_CHANGED, "/data/[id=gpt-4o]/pricing/input"),
                (CATALOG_ITEM_ADDED, "/data/[id=o3]"),
            ]
        );
        let price = find(&findings, "/data/[id=gpt-4o]/pricing/input");
        assert_eq!(
            &*price.message,
            "model gpt-4o: pricing.input fell from 2.5 to 2.0 (−20%)"
        );
        assert_eq!(price.level, Level::Info);
        assert_eq!(price.operation, None);
        assert_eq!(price.base_pointer.as_deref(), Some("/data/0/pricing/input"));
        assert_eq!(
            price.revision_pointer.as_deref(),
            Some("/data/1/pricing/input")
        );
        let gone = find(&findings, "/data/[id=gpt-3.5-turbo]");
        assert_eq!(&*gone.message, "model gpt-3.5-turbo was removed");
        assert_eq!(gone.level, Level::Error);
        assert_eq!(gone.base_pointer.as_deref(), Some("/data/1"));
        assert_eq!(gone.revision_pointer, None);
        let new = find(&findings, "/data/[id=o3]");
        assert_eq!(&*new.message, "model o3 was added");
        assert_eq!(new.base_pointer, None);
        assert_eq!(new.revision_pointer.as_deref(), Some("/data/0"));
        // Pointers resolve in their documents.
        for f in &findings {
            if let Some(p) = &f.base_pointer {
                assert!(base.pointer(p).is_some(), "{p}");
            }
            if let Some(p) = &f.revision_pointer {
                assert!(revision.pointer(p).is_some(), "{p}");
            }
        }
    }

    #[test]
    fn reordered_catalog_is_no_change() {
        let base = json!([{"id": "a", "n": 1}, {"id": "b", "n": 2}, {"id": 3, "n": 3}]);
        let revision = json!([{"n": 3, "id": 3}, {"id": "b", "n": 2}, {"id": "a", "n": 1.0}]);
        assert_eq!(diff_json(&base, &revision, Some("id")), []);
        // Without the item key, position decides.
        assert!(!diff_json(&base, &revision, None).is_empty());
    }

    #[test]
    fn plain_array_catalog_reads_as_items() {
        let base = json!([
            {"id": "venice-uncensored", "type": "text", "model_spec": {"pricing": {"input": {"usd": 0.2}}}},
            {"id": "qwen3-4b", "type": "text"},
        ]);
        let revision = json!([
            {"id": "qwen3-4b", "type": "text", "model_spec": {"traits": ["fastest"]}},
        ]);
        let findings = diff_json(&base, &revision, Some("id"));
        assert_eq!(
            ids(&findings),
            [
                (CATALOG_FIELD_ADDED, "/[id=qwen3-4b]/model_spec"),
                (CATALOG_ITEM_REMOVED, "/[id=venice-uncensored]"),
            ]
        );
        assert_eq!(&*findings[1].message, "item venice-uncensored was removed");
        assert_eq!(
            &*findings[0].message,
            "item qwen3-4b: model_spec was added (an object with 1 field)"
        );
        assert_eq!(
            findings[0].revision_pointer.as_deref(),
            Some("/0/model_spec")
        );
    }

    #[test]
    fn keyed_object_catalog_litellm_style() {
        let base = json!({
            "sample_spec": {"max_tokens": "set to max"},
            "gpt-4": {"max_tokens": 8192, "input_cost_per_token": 3e-5, "litellm_provider": "openai"},
            "claude-2": {"max_tokens": 100000},
        });
        let revision = json!({
            "sample_spec": {"max_tokens": "set to max"},
            "gpt-4": {"max_tokens": 16384, "input_cost_per_token": 3e-5, "litellm_provider": "openai", "supports_vision": true},
            "bedrock/claude-3": {"max_tokens": 200000},
        });
        let findings = diff_json(&base, &revision, None);
        assert_eq!(
            ids(&findings),
            [
                (CATALOG_ITEM_ADDED, "/bedrock~1claude-3"),
                (CATALOG_ITEM_REMOVED, "/claude-2"),
                (CATALOG_FIELD_CHANGED, "/gpt-4/max_tokens"),
                (CATALOG_FIELD_ADDED, "/gpt-4/supports_vision"),
            ]
        );
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_ref()).collect();
        assert_eq!(
            messages,
            [
                "item bedrock/claude-3 was added",
                "item claude-2 was removed",
                "item gpt-4: max_tokens changed from 8192 to 16384",
                "item gpt-4: supports_vision was added (true)",
            ]
        );
        assert_eq!(
            findings[0].revision_pointer.as_deref(),
            Some("/bedrock~1claude-3")
        );
        // A wrapper object with one key, or with scalar members, is not a
        // keyed catalog.
        let f = diff_json(&json!({"result": {"a": 1}}), &json!({"result": {}}), None);
        assert_eq!(ids(&f), [(FIELD_REMOVED, "/result/a")]);
        let f = diff_json(
            &json!({"object": "list", "data": {}}),
            &json!({"object": "list"}),
            None,
        );
        assert_eq!(ids(&f), [(FIELD_REMOVED, "/data")]);
    }

    #[test]
    fn nested_fields_and_lists() {
        let base = json!({
            "info": {"version": "1.0", "limits": {"rpm": 60, "tpm": 1000}, "regions": ["eu", "us"]},
            "models": [{"name": "a"}, {"name": "b"}],
            "tags": ["x", "y", "z"],
        });
        let revision = json!({
            "info": {"version": "1.1", "limits": {"rpm": 120}, "regions": ["us", "eu", "ap"]},
            "models": [{"name": "a", "beta": true}],
            "tags": ["z", "y", "x"],
        });
        let findings = diff_json(&base, &revision, None);
        assert_eq!(
            ids(&findings),
            [
                (VALUE_CHANGED, "/info/limits/rpm"),
                (FIELD_REMOVED, "/info/limits/tpm"),
                (ITEM_ADDED, "/info/regions/[=\"ap\"]"),
                (VALUE_CHANGED, "/info/version"),
                (FIELD_ADDED, "/models/0/beta"),
                (ITEM_REMOVED, "/models/1"),
                (VALUE_CHANGED, "/tags"),
            ]
        );
        assert_eq!(
            &*find(&findings, "/info/limits/tpm").message,
            "info.limits.tpm was removed (was 1000)"
        );
        assert_eq!(
            &*find(&findings, "/info/regions/[=\"ap\"]").message,
            "info.regions gained \"ap\""
        );
        assert_eq!(
            find(&findings, "/info/regions/[=\"ap\"]")
                .revision_pointer
                .as_deref(),
            Some("/info/regions/2")
        );
        assert_eq!(
            &*find(&findings, "/models/1").message,
            "models[1] was removed"
        );
        assert_eq!(&*find(&findings, "/tags").message, "tags changed order");
    }

    #[test]
    fn list_fields_of_items_change_as_sets() {
        let base = json!([{"id": "m", "capabilities": ["tools", "vision", "vision"]}]);
        let revision = json!([{"id": "m", "capabilities": ["vision", "json"]}]);
        let findings = diff_json(&base, &revision, Some("id"));
        let got: Vec<(&str, &str, Level)> = findings
            .iter()
            .map(|f| (f.id, f.message.as_ref(), f.level))
            .collect();
        assert_eq!(
            got,
            [
                (
                    CATALOG_CAPABILITY_REMOVED,
                    "item m: capabilities lost \"tools\"",
                    Level::Info
                ),
                (
                    CATALOG_CAPABILITY_REMOVED,
                    "item m: capabilities lost \"vision\"",
                    Level::Info
                ),
                (
                    CATALOG_CAPABILITY_ADDED,
                    "item m: capabilities gained \"json\"",
                    Level::Info
                ),
            ]
        );
        assert_eq!(
            findings[1].base_pointer.as_deref(),
            Some("/0/capabilities/2")
        );
    }

    #[test]
    fn type_changes() {
        let base = json!({
            "price": 2.5, "limits": {"rpm": 1}, "tags": ["a"], "note": null,
            "max": 10, "meta": {"a": 1}, "flag": true
        });
        let revision = json!({
            "price": "2.5", "limits": [1], "tags": null, "note": "set",
            "max": null, "meta": {"a": 1}, "flag": 1
        });
        let findings = diff_json(&base, &revision, None);
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.id, f.message.as_ref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    TYPE_CHANGED,
                    "flag changed type from boolean true to number 1"
                ),
                (
                    TYPE_CHANGED,
                    "limits changed type from an object with 1 field to an array of 1 element"
                ),
                (VALUE_CHANGED, "max changed from 10 to null"),
                (VALUE_CHANGED, "note changed from null to \"set\""),
                (
                    TYPE_CHANGED,
                    "price changed type from number 2.5 to string \"2.5\""
                ),
                (
                    TYPE_CHANGED,
                    "tags changed type from an array of 1 element to null"
                ),
            ]
        );
        assert!(findings.iter().all(|f| f.level == level(f.id).unwrap()));
        // A different root type.
        let f = diff_json(&json!({"a": 1}), &json!([1]), None);
        assert_eq!(ids(&f), [(TYPE_CHANGED, "")]);
        assert!(f[0].message.starts_with("the document changed type"));
    }

    #[test]
    fn no_change_is_empty() {
        let doc = json!({"object": "list", "data": [{"id": "a", "n": [1, {"x": null}]}]});
        assert_eq!(diff_json(&doc, &doc.clone(), Some("id")), []);
        assert_eq!(diff_json(&doc, &doc.clone(), None), []);
        assert_eq!(diff_json(&json!({"n": 2}), &json!({"n": 2.0}), None), []);
        assert_eq!(diff_json(&json!([]), &json!([]), Some("id")), []);
        assert_eq!(diff_json(&json!(null), &json!(null), None), []);
    }

    #[test]
    fn repeated_ids_match_by_occurrence() {
        let base = json!([{"id": "a", "v": 1}, {"id": "a", "v": 2}]);
        let revision = json!([{"id": "a", "v": 1}, {"id": "a", "v": 3}, {"id": "a", "v": 4}]);
        let findings = diff_json(&base, &revision, Some("id"));
        assert_eq!(
            ids(&findings),
            [
                (CATALOG_FIELD_CHANGED, "/[id=a#2]/v"),
                (CATALOG_ITEM_ADDED, "/[id=a#3]"),
            ]
        );
        assert_eq!(&*findings[0].message, "item a (#2): v changed from 2 to 3");
        assert_eq!(findings[1].revision_pointer.as_deref(), Some("/2"));
    }

    #[test]
    fn nested_catalogs_name_the_outer_item() {
        let base = json!({"data": [{"id": "m", "object": "model", "endpoints": [{"id": "e1", "price": 1}]}]});
        let revision = json!({"data": [{"id": "m", "object": "model", "endpoints": [{"id": "e1", "price": 2}, {"id": "e/2"}]}]});
        let findings = diff_json(&base, &revision, Some("id"));
        let got: Vec<(&str, &str)> = findings
            .iter()
            .map(|f| (f.path.as_deref().unwrap_or(""), f.message.as_ref()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "/data/[id=m]/endpoints/[id=e~12]",
                    "model m: endpoints[id=e/2] was added"
                ),
                (
                    "/data/[id=m]/endpoints/[id=e1]/price",
                    "model m: endpoints[id=e1].price rose from 1 to 2 (+100%)"
                ),
            ]
        );
    }

    #[test]
    fn findings_are_capped() {
        let many = |v: i64| {
            Value::Object(
                (0..MAX_FINDINGS + 50)
                    .map(|i| (format!("k{i:05}"), json!(v)))
                    .collect(),
            )
        };
        let findings = diff_json(&json!({"x": many(1)}), &json!({"x": many(2)}), None);
        assert_eq!(findings.len(), MAX_FINDINGS + 1);
        let last = &findings[MAX_FINDINGS];
        assert_eq!(last.id, TRUNCATED);
        assert_eq!(last.path, None);
        assert!(
            findings[..MAX_FINDINGS]
                .iter()
                .all(|f| f.id == VALUE_CHANGED)
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let nest = |leaf: Value| {
            let mut v = leaf;
            for _ in 0..(MAX_DEPTH + 100) {
                v = json!({"a": [v]});
            }
            v
        };
        let findings = diff_json(&nest(json!(1)), &nest(json!(2)), None);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].id, VALUE_CHANGED);
        assert!(findings[0].message.contains("too deeply"));
        assert_eq!(diff_json(&nest(json!(1)), &nest(json!(1)), None), []);
    }

    #[test]
    fn fingerprints_and_levels() {
        assert!(
            CHECKS.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted for search"
        );
        assert_eq!(level(ITEM_REMOVED), Some(Level::Warning));
        assert_eq!(level("endpoint-added"), None);
        let base = json!({"a": 1, "b": 1});
        let revision = json!({"a": 2, "b": 2});
        let findings = diff_json(&base, &revision, None);
        assert_eq!(findings.len(), 2);
        for f in &findings {
            assert_eq!(f.fingerprint.len(), 16);
            assert!(f.fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
        }
        assert_ne!(findings[0].fingerprint, findings[1].fingerprint);
        // Stable: the same change elsewhere in time has the same print.
        let again = diff_json(&json!({"a": 5}), &json!({"a": 6}), None);
        assert_eq!(again[0].fingerprint, findings[0].fingerprint);
    }

    /// Unpacks one history of the shared corpus into a temp dir and parses
    /// its JSON versions in order; `None` (with a note) without the corpus.
    fn corpus_history(name: &str) -> Option<Vec<Value>> {
        let archive = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../shared/corpus/histories/{name}.tar.zst"));
        if !archive.exists() {
            eprintln!("skipped: {} not found", archive.display());
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let status = std::process::Command::new("tar")
            .args(["-I", "zstd", "-xf"])
            .arg(&archive)
            .arg("-C")
            .arg(dir.path())
            .status()
            .expect("run tar");
        assert!(status.success(), "tar -I zstd -xf failed: {status}");
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join(name))
            .expect("unpacked folder")
            .map(|e| e.expect("dir entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        // serde_json, not the crate's own parser: this test is about the
        // diff, and the dependency is built optimised.
        Some(
            files
                .iter()
                .map(|p| {
                    let raw = std::fs::read(p).expect("read version");
                    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                })
                .collect(),
        )
    }

    /// The ids of a catalog's items, with how often each occurs.
    fn id_counts<'v>(items: impl IntoIterator<Item = &'v Value>) -> HashMap<String, usize> {
        let mut out = HashMap::new();
        for item in items {
            let id = match &item["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            *out.entry(id).or_insert(0) += 1;
        }
        out
    }

    /// The keyed set difference `a − b`, as (id, how many more).
    fn minus(a: &HashMap<String, usize>, b: &HashMap<String, usize>) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = a
            .iter()
            .filter_map(|(id, n)| {
                let m = b.get(id).copied().unwrap_or(0);
                (*n > m).then(|| (id.clone(), n - m))
            })
            .collect();
        out.sort();
        out
    }

    /// Every catalog-item-added and -removed finding of every consecutive
    /// pair of a history, as (id, count), read back through its pointer.
    type Counts = Vec<(String, usize)>;

    fn reported(pair: &[Value]) -> (Counts, Counts) {
        let findings = diff_json_with(&pair[0], &pair[1], &JsonOptions::default()).findings;
        let side = |id: &str, doc: &Value, pointer: fn(&Finding) -> &Option<Arc<str>>| {
            let picked: Vec<&Value> = findings
                .iter()
                .filter(|f| f.id == id)
                .map(|f| {
                    let p = pointer(f).as_deref().expect("a pointer on its side");
                    doc.pointer(p).expect("the pointer resolves")
                })
                .collect();
            let mut out: Vec<(String, usize)> = id_counts(picked).into_iter().collect();
            out.sort();
            out
        };
        (
            side(CATALOG_ITEM_ADDED, &pair[1], |f| &f.revision_pointer),
            side(CATALOG_ITEM_REMOVED, &pair[0], |f| &f.base_pointer),
        )
    }

    fn check_history(name: &str, items: fn(&Value) -> &[Value]) {
        let Some(docs) = corpus_history(name) else {
            eprintln!("{name}: catalog item test skipped (no ../shared corpus)");
            return;
        };
        assert!(docs.len() >= 2, "{} versions", docs.len());
        let mut changed = 0;
        for (n, pair) in docs.windows(2).enumerate() {
            let (b, r) = (id_counts(items(&pair[0])), id_counts(items(&pair[1])));
            let (added, removed) = reported(pair);
            assert_eq!(added, minus(&r, &b), "{name} pair {}: added", n + 1);
            assert_eq!(removed, minus(&b, &r), "{name} pair {}: removed", n + 1);
            changed += added.len() + removed.len();
        }
        assert!(changed > 0, "{name}: no model was added or removed");
    }

    /// Done-when of the catalog work: on the Venice history (a plain
    /// array) every added and removed model of every pair is reported as a
    /// catalog item, with the key detected, exactly the keyed set
    /// difference of the two files.
    #[test]
    fn venice_catalog_items_match_the_keyed_set_difference() {
        check_history("venice-models", |doc| {
            doc.as_array().map_or(&[], Vec::as_slice)
        });
    }

    /// The same on the Poe history (`{object: list, data: [...]}`).
    #[test]
    fn poe_catalog_items_match_the_keyed_set_difference() {
        check_history("poe-models", |doc| {
            doc["data"].as_array().map_or(&[], Vec::as_slice)
        });
    }
}
