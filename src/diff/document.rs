//! An OpenAPI document ready for comparison: upgraded to the OpenAPI 3
//! layout, with `$ref`s followed on demand and operations listed.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use serde_json::Value;

use super::{METHODS, upgrade};

/// How many `$ref` hops are followed before [`Doc::resolve`] starts to
/// remember the references it passed (to stop at a cycle, not at a depth).
const CHEAP_REF_HOPS: usize = 32;

/// The hasher of [`Doc::written_hash`]: seeded at random once per process
/// (a document cannot be prepared against a seed it does not know), the
/// same for both documents of a comparison, and several times faster than
/// SipHash on a tree of small nodes.
fn content_hasher() -> impl Hasher {
    static STATE: std::sync::OnceLock<foldhash::quality::RandomState> = std::sync::OnceLock::new();
    STATE.get_or_init(Default::default).build_hasher()
}

/// [`Doc::written_hash`] of a scalar, hashed whenever asked for; `None`
/// for a collection.
fn scalar_hash(value: &Value) -> Option<u64> {
    let mut h = content_hasher();
    match value {
        Value::String(s) => {
            h.write_u8(b's');
            s.hash(&mut h);
        }
        // An integer by its value; anything else (rare in a
        // description) by its text.
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => {
                h.write_u8(b'u');
                h.write_u64(u);
            }
            (None, Some(i)) => {
                h.write_u8(b'i');
                h.write_i64(i);
            }
            (None, None) => {
                h.write_u8(b'f');
                n.to_string().hash(&mut h);
            }
        },
        Value::Bool(b) => {
            h.write_u8(b'b');
            b.hash(&mut h);
        }
        Value::Null => h.write_u8(b'z'),
        Value::Object(_) | Value::Array(_) => return None,
    }
    Some(h.finish())
}

/// The value the local `$ref` `reference` points at in `root`.
pub fn lookup_in<'a>(root: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    if pointer.is_empty() {
        return Some(root);
    }
    // As `Value::pointer`, without a new string for each segment: only a
    // segment with an escape (`~0`, `~1`) is copied.
    let mut node = root;
    for segment in pointer.strip_prefix('/')?.split('/') {
        let unescaped;
        let key = if segment.contains('~') {
            unescaped = segment.replace("~1", "/").replace("~0", "~");
            unescaped.as_str()
        } else {
            segment
        };
        node = match node {
            Value::Object(map) => map.get(key)?,
            Value::Array(items) => items.get(array_index(key)?)?,
            _ => return None,
        };
    }
    Some(node)
}

pub struct Doc<'v> {
    /// The document as given, or its OpenAPI 3 upgrade (Swagger 2.0).
    root: std::borrow::Cow<'v, Value>,
    /// Hashes of nodes as written, by address (see [`Doc::written_hash`]).
    hashes: RefCell<FxHashMap<usize, u64>>,
    /// Schemas made during the comparison (an `allOf` merged into one
    /// schema), kept as long as the document.
    made: Made,
    /// Address of an `allOf` schema → its merged form in `made`.
    merged: RefCell<FxHashMap<usize, usize>>,
}

/// Slots for values made during a comparison. A value stays where it was
/// put until the document is dropped, so references to it stay valid and
/// its address, which the memo tables key on, stays unique.
struct Made {
    chunks: Box<[OnceCell<Chunk>]>,
    next: Cell<usize>,
}

/// [`MADE_CHUNK`] slots, made when the first is needed.
type Chunk = Box<[OnceCell<Value>]>;

const MADE_CHUNK: usize = 256;
/// At most this many values are made per document (a merge beyond it is
/// not done; the schemas are compared as written).
const MADE_CHUNKS: usize = 256;

impl Made {
    fn new() -> Made {
        Made {
            chunks: (0..MADE_CHUNKS).map(|_| OnceCell::new()).collect(),
            next: Cell::new(0),
        }
    }

    /// Keeps `value`; its slot number, or `None` when every slot is taken.
    fn keep(&self, value: Value) -> Option<usize> {
        let i = self.next.get();
        let chunk = self.chunks.get(i / MADE_CHUNK)?;
        self.next.set(i + 1);
        let chunk = chunk.get_or_init(|| (0..MADE_CHUNK).map(|_| OnceCell::new()).collect());
        chunk.get(i % MADE_CHUNK)?.set(value).ok()?;
        Some(i)
    }

    fn get(&self, i: usize) -> Option<&Value> {
        self.chunks
            .get(i / MADE_CHUNK)?
            .get()?
            .get(i % MADE_CHUNK)?
            .get()
    }
}

/// One operation of a document.
pub struct Operation<'a> {
    /// The path as written, e.g. `/pets/{petId}`.
    pub path: String,
    /// Upper case, e.g. `GET`.
    pub method: String,
    pub value: &'a Value,
    /// Parameters declared on the path item (the operation's own override
    /// them by location and name).
    pub path_item: &'a Value,
    /// JSON pointer to the operation.
    pub pointer: String,
}

impl<'v> Doc<'v> {
    /// Takes a parsed document; Swagger 2.0 is upgraded to the OpenAPI 3
    /// layout so both diff alike. An OpenAPI 3 document is borrowed, not
    /// copied.
    pub fn new(value: &'v Value) -> Doc<'v> {
        if value.get("swagger").is_some() {
            Doc::with_root(std::borrow::Cow::Owned(upgrade::swagger2_to_openapi3(
                value,
            )))
        } else {
            Doc::with_root(std::borrow::Cow::Borrowed(value))
        }
    }

    /// [`Doc::new`] of a document it keeps: a Swagger 2.0 one is upgraded
    /// in place, not copied.
    pub fn owning(value: Value) -> Doc<'static> {
        if value.get("swagger").is_some() {
            Doc::with_root(std::borrow::Cow::Owned(upgrade::upgrade(value)))
        } else {
            Doc::with_root(std::borrow::Cow::Owned(value))
        }
    }

    fn with_root(root: std::borrow::Cow<'v, Value>) -> Doc<'v> {
        Doc {
            root,
            hashes: RefCell::default(),
            made: Made::new(),
            merged: RefCell::default(),
        }
    }

    /// A second view of the same document for another thread: the same
    /// root (so addresses, which the memo tables key on, are the same), the
    /// written hashes known so far, and schemas merged from here on made
    /// anew.
    pub fn fork(&self) -> Doc<'_> {
        Doc {
            root: std::borrow::Cow::Borrowed(&*self.root),
            hashes: RefCell::new(self.hashes.borrow().clone()),
            made: Made::new(),
            merged: RefCell::default(),
        }
    }

    /// `schema` (which has an `allOf`) as one schema: its own keywords and
    /// those of its members, properties and required lists joined, as
    /// oasdiff's `--flatten-allof` does. Made once per schema; `None` when
    /// the document has made too many already.
    pub fn merged_all_of(&self, schema: &Value) -> Option<&Value> {
        let key = schema as *const Value as usize;
        let known = self.merged.borrow().get(&key).copied();
        let slot = match known {
            Some(slot) => slot,
            None => {
                let mut out = serde_json::Map::new();
                merge_into(self, schema, &mut out, 0);
                let slot = self.made.keep(Value::Object(out))?;
                self.merged.borrow_mut().insert(key, slot);
                slot
            }
        };
        self.made.get(slot)
    }

    /// A hash of `value` as written (a `$ref` counts by its text). Two
    /// nodes with equal hashes whose references all point at unchanged
    /// targets are the same (see [`super::same::Sameness`]). Memoized by
    /// address, so hashing a whole document is linear.
    pub fn written_hash(&self, value: &Value) -> u64 {
        // Only collections are remembered: a scalar (most nodes) costs no
        // more to hash again than to look up.
        if let Some(hash) = scalar_hash(value) {
            return hash;
        }
        let key = value as *const Value as usize;
        if let Some(h) = self.hashes.borrow().get(&key) {
            return *h;
        }
        let mut h = content_hasher();
        match value {
            Value::Object(map) => {
                h.write_u8(b'o');
                for (k, v) in map {
                    k.hash(&mut h);
                    h.write_u64(self.written_hash(v));
                }
            }
            Value::Array(items) => {
                h.write_u8(b'a');
                for v in items {
                    h.write_u64(self.written_hash(v));
                }
            }
            // Scalars returned above.
            _ => {}
        }
        let hash = h.finish();
        self.hashes.borrow_mut().insert(key, hash);
        hash
    }

    /// The document it keeps (the OpenAPI 3 upgrade it made of a Swagger
    /// 2.0 one, or the one given to [`Doc::owning`]), if any; the rest is
    /// dropped.
    pub fn into_upgraded(self) -> Option<Value> {
        match self.root {
            std::borrow::Cow::Owned(v) => Some(v),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    /// The value a local `$ref` (`#/components/...`) points at.
    pub fn lookup(&self, reference: &str) -> Option<&Value> {
        lookup_in(&self.root, reference)
    }

    /// Follows `$ref` from `value` until a value without one (or an
    /// unresolvable reference, or a cycle of references). Returns the value
    /// and the last reference followed, which names it. A chain of any
    /// length is followed: past a few hops the references passed are
    /// remembered, and coming back to one ends the walk.
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> (&'a Value, Option<&'a str>) {
        let mut name = None;
        let mut passed: Option<std::collections::HashSet<&'a str>> = None;
        let mut hops = 0usize;
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            hops += 1;
            if hops > CHEAP_REF_HOPS
                && !passed
                    .get_or_insert_with(Default::default)
                    .insert(reference)
            {
                break;
            }
            match self.lookup(reference) {
                Some(target) => {
                    name = Some(reference);
                    value = target;
                }
                None => break,
            }
        }
        (value, name)
    }

    /// Every operation, keyed by method and the path with parameter names
    /// blanked (`/pets/{}`), so a renamed path parameter still matches.
    pub fn operations(&self) -> BTreeMap<(String, String), Operation<'_>> {
        self.operations_in("paths")
    }

    /// The operations of OpenAPI 3.1 `webhooks`, keyed by method and
    /// webhook name (the `path` of each is the name).
    pub fn webhook_operations(&self) -> BTreeMap<(String, String), Operation<'_>> {
        self.operations_in("webhooks")
    }

    fn operations_in(&self, section: &str) -> BTreeMap<(String, String), Operation<'_>> {
        let mut out = BTreeMap::new();
        let Some(paths) = self.root.get(section).and_then(Value::as_object) else {
            return out;
        };
        for (path, item) in paths {
            let (item, _) = self.resolve(item);
            let Some(map) = item.as_object() else {
                continue;
            };
            for method in METHODS {
                if let Some(op) = map.get(method).filter(|v| v.is_object()) {
                    let key = (normalize_path(path), method.to_ascii_uppercase());
                    out.insert(
                        key,
                        Operation {
                            path: path.clone(),
                            method: method.to_ascii_uppercase(),
                            value: op,
                            path_item: item,
                            pointer: format!(
                                "/{section}/{}/{method}",
                                super::pointer_segment(path)
                            ),
                        },
                    );
                }
            }
        }
        out
    }

    /// Path items keyed by normalized path.
    pub fn paths(&self) -> BTreeMap<String, (String, &Value)> {
        let mut out = BTreeMap::new();
        if let Some(paths) = self.root.get("paths").and_then(Value::as_object) {
            for (path, item) in paths {
                let (item, _) = self.resolve(item);
                out.insert(normalize_path(path), (path.clone(), item));
            }
        }
        out
    }
}

/// A JSON pointer segment as an array index: digits only, no leading zero.
fn array_index(segment: &str) -> Option<usize> {
    let digits = !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit());
    if !digits || (segment.len() > 1 && segment.starts_with('0')) {
        return None;
    }
    segment.parse().ok()
}

/// `/pets/{petId}/toys/{id}` → `/pets/{}/toys/{}`; a trailing slash is
/// kept (it is a different path to a server).
pub fn normalize_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    out.push('{');
                }
                depth += 1;
            }
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    out.push('}');
                }
            }
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

/// The names of a path's parameters, in order.
pub fn path_parameter_names(path: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                names.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    names
}

/// Adds `schema`'s keywords to `out` (what is there first stays), then
/// those of its `allOf` members, nested ones too (a few levels deep).
fn merge_into(
    doc: &Doc<'_>,
    schema: &Value,
    out: &mut serde_json::Map<String, Value>,
    depth: usize,
) {
    let Some(map) = schema.as_object() else {
        return;
    };
    for (k, v) in map {
        match k.as_str() {
            "allOf" => {}
            "properties" => {
                let props = out
                    .entry(k.clone())
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let (Some(props), Some(v)) = (props.as_object_mut(), v.as_object()) {
                    for (name, p) in v {
                        props.entry(name.clone()).or_insert_with(|| p.clone());
                    }
                }
            }
            "required" => {
                let req = out
                    .entry(k.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let (Some(req), Some(v)) = (req.as_array_mut(), v.as_array()) {
                    for name in v {
                        if !req.contains(name) {
                            req.push(name.clone());
                        }
                    }
                }
            }
            _ => {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    if depth >= 8 {
        return;
    }
    for member in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (member, _) = doc.resolve(member);
        merge_into(doc, member, out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_match_whatever_their_parameters_are_called() {
        assert_eq!(normalize_path("/pets/{petId}"), "/pets/{}");
        assert_eq!(normalize_path("/pets/{id}/toys"), "/pets/{}/toys");
        assert_eq!(path_parameter_names("/a/{x}/b/{y}"), ["x", "y"]);
    }

    #[test]
    fn refs_resolve_and_loops_end() {
        let value = json!({
            "openapi": "3.0.0",
            "components": {"schemas": {
                "A": {"$ref": "#/components/schemas/B"},
                "B": {"type": "string"},
                "L": {"$ref": "#/components/schemas/M"},
                "M": {"$ref": "#/components/schemas/L"}
            }}
        });
        let doc = Doc::new(&value);
        let a = json!({"$ref": "#/components/schemas/A"});
        let (v, name) = doc.resolve(&a);
        assert_eq!(v, &json!({"type": "string"}));
        assert_eq!(name, Some("#/components/schemas/B"));
        let l = json!({"$ref": "#/components/schemas/L"});
        let (v, _) = doc.resolve(&l);
        assert!(v.get("$ref").is_some());
        let missing = json!({"$ref": "#/components/schemas/Nope"});
        assert_eq!(doc.resolve(&missing).0, &missing);
    }
}
