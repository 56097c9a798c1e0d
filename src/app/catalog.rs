//! `apiradar catalog`: the items of a stored model catalog, searched,
//! filtered and sorted; one item in full; one item across every stored
//! version.
//!
//! A catalog is a `json` watch's document: its items are the elements of
//! its main array (the document itself, or the largest array among the
//! root object's members), or the entries of a root object whose values
//! are all objects (LiteLLM's shape: the entry's name becomes its key).
//! Items are named by the watch's item key, else the detected one.
//!
//! Fields are written as dotted paths (`model_spec.pricing.input.usd`). A
//! path that is not in an item as written may name the end of a longer one
//! (`pricing.input.usd` or `input.usd` for `model_spec.pricing.input.usd`),
//! when only one path ends that way; two or more is an error that lists
//! them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::AppError;
use crate::store::Store;
use crate::watch::Kind;

/// The items of one stored version of a catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub watch: String,
    pub seq: i64,
    /// The field naming items.
    pub key: String,
    pub items: Vec<Value>,
}

/// Reads `NAME[@REF]` from the store as a catalog.
pub fn load(store: &Store, target: &str) -> Result<Catalog, AppError> {
    let (name, selector) = match target.split_once('@') {
        Some((n, s)) => (n, Some(s)),
        None => (target, None),
    };
    let watch = store.watch(name)?;
    if watch.spec.kind != Kind::Json {
        return Err(AppError::usage(format!(
            "`{name}` is a {} watch: `catalog` reads json watches (model lists, price lists)",
            watch.spec.kind
        )));
    }
    // Numbers, `latest~N` and dates (`@2026-08-01`, `@-7d`), as `diff` takes them.
    let seq = super::diff::resolve_ref(store, &watch, selector, crate::store::now_ms())?;
    let version = store.version(&watch, seq)?;
    let raw = store.read_blob(version.blob_id)?;
    let doc = parse(&raw).map_err(|e| AppError::usage(format!("{name}@{seq}: {e}")))?;
    let key = watch
        .spec
        .item_key
        .clone()
        .or_else(|| crate::spec::canonical::detect_item_key(&doc).map(str::to_owned));
    let (items, key) = items_of(doc, key.as_deref()).ok_or_else(|| {
        AppError::usage(format!(
            "{name}@{seq} holds no list of items: `catalog` needs an array of objects (or an object of objects); give the watch an item key with `apiradar edit {name} --key FIELD`"
        ))
    })?;
    Ok(Catalog {
        watch: name.to_owned(),
        seq,
        key,
        items,
    })
}

/// A stored document as JSON (YAML through the crate's parser).
fn parse(raw: &[u8]) -> Result<Value, String> {
    match serde_json::from_slice(raw) {
        Ok(v) => Ok(v),
        Err(_) => crate::spec::parse_document(raw, &crate::spec::Limits::default())
            .map(|(v, _)| v)
            .map_err(|e| e.to_string()),
    }
}

/// The items of a document, and the key naming them (`id` when a keyed
/// object's entry names become the key).
fn items_of(doc: Value, key: Option<&str>) -> Option<(Vec<Value>, String)> {
    let main = |doc: Value| -> Option<Vec<Value>> {
        match doc {
            Value::Array(items) => Some(items),
            Value::Object(map) => map
                .into_iter()
                .filter_map(|(_, v)| match v {
                    Value::Array(a) => Some(a),
                    _ => None,
                })
                .max_by_key(Vec::len),
            _ => None,
        }
    };
    if let Value::Object(map) = &doc
        && map.len() >= 2
        && map.values().all(Value::is_object)
    {
        let key = key.unwrap_or("id").to_owned();
        let Value::Object(map) = doc else {
            return None;
        };
        let items = map
            .into_iter()
            .map(|(name, v)| {
                let mut item = Map::new();
                item.insert(key.clone(), Value::String(name));
                if let Value::Object(fields) = v {
                    item.extend(fields);
                }
                Value::Object(item)
            })
            .collect();
        return Some((items, key));
    }
    let items = main(doc)?;
    if items.is_empty() || !items.iter().all(Value::is_object) {
        return None;
    }
    Some((items, key.unwrap_or("id").to_owned()))
}

/// The text of an item's key.
pub fn item_id(item: &Value, key: &str) -> String {
    match item.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Every leaf of an item as `(dotted path, value)`: scalars, and lists of
/// scalars as one value. Lists of objects are entered by index (`[0]`).
pub fn leaves(item: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    walk(item, String::new(), &mut out, 0);
    out
}

fn walk<'v>(v: &'v Value, path: String, out: &mut Vec<(String, &'v Value)>, depth: usize) {
    // Catalog items are shallow; the parser already bounds depth.
    if depth > 64 {
        out.push((path, v));
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(child, p, out, depth + 1);
            }
        }
        Value::Array(items) if items.iter().any(|i| i.is_object() || i.is_array()) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, format!("{path}[{i}]"), out, depth + 1);
            }
        }
        _ => out.push((path, v)),
    }
}

/// The value at a dotted path, exactly as written.
fn at_path<'v>(item: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = item;
    for seg in path.split('.') {
        v = v.get(seg)?;
    }
    Some(v)
}

/// What a field name resolves to across the catalog: the path itself
/// when some item has it, else the one leaf path that ends with it.
pub fn resolve_field(items: &[Value], field: &str) -> Result<String, String> {
    let field = field.trim();
    if field.is_empty() {
        return Err("a field name is empty".to_owned());
    }
    if items.iter().any(|i| at_path(i, field).is_some()) {
        return Ok(field.to_owned());
    }
    let suffix = format!(".{field}");
    let mut found: Vec<String> = Vec::new();
    for item in items {
        for (path, _) in leaves(item) {
            if path.ends_with(&suffix) && !found.contains(&path) {
                found.push(path);
            }
        }
    }
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => {
            let mut known: Vec<String> = items.first().map_or_else(Vec::new, |i| {
                leaves(i).into_iter().map(|(p, _)| p).collect()
            });
            known.truncate(12);
            Err(format!(
                "no item has a field `{field}`; the first item has {}",
                known.join(", ")
            ))
        }
        _ => Err(format!(
            "`{field}` could be {}: write the whole path",
            found.join(" or ")
        )),
    }
}

/// A comparison operator of `--where`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    /// Equal (strings without regard to case; a list holds the value).
    Eq,
    Ne,
    /// Contains the text (strings, and lists of strings).
    Contains,
}

/// One `--where` condition: `FIELD OP VALUE`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub value: Literal,
}

/// The right-hand side of a condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Number(f64),
    Text(String),
}

/// Reads a `--where` condition: `pricing.input < 2`, `context >= 128000`,
/// `modality = image`, `name ~ llama`, `type != text`. Errors say what is
/// wrong and show the form.
pub fn parse_where(text: &str) -> Result<Condition, String> {
    const FORM: &str =
        "write FIELD OP VALUE, e.g. `pricing.input < 2` (OP is one of < <= > >= = != ~)";
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("--where is empty: {FORM}"));
    }
    // The first operator in the text; two-character ones first.
    let ops: [(&str, Op); 8] = [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("!=", Op::Ne),
        ("==", Op::Eq),
        ("<", Op::Lt),
        (">", Op::Gt),
        ("=", Op::Eq),
        ("~", Op::Contains),
    ];
    let Some((at, sym, op)) = ops
        .iter()
        .filter_map(|(sym, op)| t.find(sym).map(|at| (at, *sym, *op)))
        .min_by_key(|(at, sym, _)| (*at, std::cmp::Reverse(sym.len())))
    else {
        return Err(format!("--where `{t}` has no comparison: {FORM}"));
    };
    let field = t[..at].trim();
    let value = t[at + sym.len()..].trim();
    if field.is_empty() {
        return Err(format!(
            "--where `{t}` names no field before `{sym}`: {FORM}"
        ));
    }
    if field.contains(char::is_whitespace) {
        return Err(format!(
            "--where `{t}`: `{field}` is not one field name (no spaces; nested fields are dotted: pricing.input)"
        ));
    }
    if value.is_empty() {
        return Err(format!("--where `{t}` has no value after `{sym}`: {FORM}"));
    }
    let unquoted = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')));
    let literal = match (unquoted, value.parse::<f64>()) {
        (Some(s), _) => Literal::Text(s.to_owned()),
        (None, Ok(n)) if n.is_finite() => Literal::Number(n),
        _ => Literal::Text(value.to_owned()),
    };
    if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge) && !matches!(literal, Literal::Number(_)) {
        return Err(format!(
            "--where `{t}`: `{sym}` compares numbers, and `{value}` is not a number"
        ));
    }
    Ok(Condition {
        field: field.to_owned(),
        op,
        value: literal,
    })
}

impl Condition {
    /// Whether an item's value at `path` (resolved) meets the condition. A
    /// missing value meets only `!=`.
    fn holds(&self, item: &Value, path: &str) -> bool {
        let Some(v) = at_path(item, path) else {
            return self.op == Op::Ne;
        };
        match v {
            Value::Array(list) => match self.op {
                Op::Ne => !list.iter().any(|e| self.scalar(e, Op::Eq)),
                op => list.iter().any(|e| self.scalar(e, op)),
            },
            other => self.scalar(other, self.op),
        }
    }

    fn scalar(&self, v: &Value, op: Op) -> bool {
        let number = match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        match (&self.value, op) {
            (Literal::Number(x), Op::Lt) => number.is_some_and(|n| n < *x),
            (Literal::Number(x), Op::Le) => number.is_some_and(|n| n <= *x),
            (Literal::Number(x), Op::Gt) => number.is_some_and(|n| n > *x),
            (Literal::Number(x), Op::Ge) => number.is_some_and(|n| n >= *x),
            (Literal::Number(x), Op::Eq) => number == Some(*x),
            (Literal::Number(x), Op::Ne) => number != Some(*x),
            (Literal::Number(x), Op::Contains) => text.contains(&x.to_string()),
            (Literal::Text(s), Op::Eq) => text.eq_ignore_ascii_case(s),
            (Literal::Text(s), Op::Ne) => !text.eq_ignore_ascii_case(s),
            (Literal::Text(s), Op::Contains) => text.to_lowercase().contains(&s.to_lowercase()),
            (Literal::Text(_), _) => false,
        }
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    pub search: Option<String>,
    pub wheres: Vec<String>,
    /// A field; `-field` sorts descending.
    pub sort: Option<String>,
    /// Comma-separated fields; default: the key and the fields catalogs
    /// usually have.
    pub columns: Option<String>,
}

/// The rows a listing shows.
#[derive(Debug, Clone)]
pub struct Listing {
    pub catalog: Catalog,
    /// Resolved column paths; the first is the key.
    pub columns: Vec<String>,
    /// The matching items, in order.
    pub items: Vec<Value>,
}

impl Listing {
    /// Each row's cells, as text.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.items
            .iter()
            .map(|item| {
                self.columns
                    .iter()
                    .map(|c| at_path(item, c).map(cell).unwrap_or_default())
                    .collect()
            })
            .collect()
    }
}

/// A value as a table cell.
pub fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Array(items) if items.iter().all(|i| !i.is_object() && !i.is_array()) => {
            items.iter().map(cell).collect::<Vec<_>>().join(" ")
        }
        other => other.to_string(),
    }
}

/// What a query on a loaded catalog picks: the columns (resolved paths,
/// the key first) and the matching items, as indices into
/// [`Catalog::items`], in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub columns: Vec<String>,
    pub rows: Vec<usize>,
}

impl Catalog {
    /// Searches, filters and sorts the items as `req` asks, without the
    /// store (the dashboard runs it as the user types). Errors name the
    /// condition or field that is wrong.
    pub fn query(&self, req: &ListRequest) -> Result<Query, String> {
        let conditions: Vec<Condition> = req
            .wheres
            .iter()
            .map(|w| parse_where(w))
            .collect::<Result<_, _>>()?;
        let resolved: Vec<(String, &Condition)> = conditions
            .iter()
            .map(|c| Ok((resolve_field(&self.items, &c.field)?, c)))
            .collect::<Result<_, String>>()?;
        let search = req
            .search
            .as_deref()
            .map(str::to_lowercase)
            .filter(|s| !s.is_empty());
        let mut rows: Vec<usize> = (0..self.items.len())
            .filter(|&i| {
                let item = &self.items[i];
                resolved.iter().all(|(path, c)| c.holds(item, path))
                    && search.as_deref().is_none_or(|s| {
                        item_id(item, &self.key).to_lowercase().contains(s)
                            || leaves(item).iter().any(|(_, v)| {
                                v.as_str().is_some_and(|t| t.to_lowercase().contains(s))
                            })
                    })
            })
            .collect();
        // By key first, so that equal values of a sort field keep an order.
        rows.sort_by_cached_key(|&i| item_id(&self.items[i], &self.key));
        if let Some(sort) = &req.sort {
            let (field, descending) = match sort.strip_prefix('-') {
                Some(f) => (f, true),
                None => (sort.as_str(), false),
            };
            let path = resolve_field(&self.items, field)?;
            rows.sort_by(|&a, &b| {
                let (a, b) = (
                    at_path(&self.items[a], &path),
                    at_path(&self.items[b], &path),
                );
                // Missing values stay last either way.
                match (a.is_some(), b.is_some(), descending) {
                    (true, true, true) => compare_values(a, b).reverse(),
                    _ => compare_values(a, b),
                }
            });
        }
        let columns = match &req.columns {
            Some(list) => {
                let mut cols = vec![self.key.clone()];
                for c in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
                    let path = resolve_field(&self.items, c)?;
                    if !cols.contains(&path) {
                        cols.push(path);
                    }
                }
                cols
            }
            None => default_columns(&self.items, &self.key),
        };
        Ok(Query { columns, rows })
    }

    /// The item named `id`.
    pub fn find(&self, id: &str) -> Option<&Value> {
        self.items.iter().find(|i| item_id(i, &self.key) == id)
    }
}

/// A value of an item at a dotted path, as a table cell (empty when the
/// item has none).
pub fn cell_at(item: &Value, path: &str) -> String {
    at_path(item, path).map(cell).unwrap_or_default()
}

/// Lists a catalog's items.
pub fn list(store: &Store, target: &str, req: &ListRequest) -> Result<Listing, AppError> {
    // A bad condition is reported before the store is read.
    for w in &req.wheres {
        parse_where(w).map_err(AppError::Usage)?;
    }
    let catalog = load(store, target)?;
    let query = catalog
        .query(req)
        .map_err(|e| AppError::usage(format!("{}@{}: {e}", catalog.watch, catalog.seq)))?;
    let items = query
        .rows
        .iter()
        .map(|&i| catalog.items[i].clone())
        .collect();
    Ok(Listing {
        catalog,
        columns: query.columns,
        items,
    })
}

/// Missing values last; numbers by value, the rest by text.
fn compare_values(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let num = |v: &Value| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<f64>().ok(),
        _ => None,
    };
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => match (num(x), num(y)) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            _ => cell(x).cmp(&cell(y)),
        },
    }
}

/// The key, then a name, a type, a context length and up to three
/// prices, as the items have them.
fn default_columns(items: &[Value], key: &str) -> Vec<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for item in items.iter().take(200) {
        for (path, v) in leaves(item) {
            if !v.is_object() {
                *seen.entry(path).or_insert(0) += 1;
            }
        }
    }
    let mut cols = vec![key.to_owned()];
    let last = |p: &str| p.rsplit('.').next().unwrap_or(p).to_ascii_lowercase();
    let mut pick = |want: &dyn Fn(&str) -> bool, limit: usize| {
        let mut found: Vec<&String> = seen
            .keys()
            .filter(|p| !p.contains('[') && want(p))
            .collect();
        // Shallow paths first: `name` before `model_spec.name`.
        found.sort_by_key(|p| (p.matches('.').count(), (*p).clone()));
        for p in found.into_iter().take(limit) {
            if !cols.contains(p) {
                cols.push(p.clone());
            }
        }
    };
    pick(&|p| last(p) == "name" && p != key, 1);
    pick(
        &|p| matches!(last(p).as_str(), "type" | "owned_by" | "mode"),
        1,
    );
    // A context length, not a price per search context.
    pick(
        &|p| {
            let l = last(p);
            (l.contains("context") || l == "max_input_tokens")
                && !["search", "cost", "price"].iter().any(|w| l.contains(w))
                && !is_price_field(p)
        },
        1,
    );
    // Prices: input before output before the rest, one per price (not
    // `input.usd` and `input.diem`), volatile stamps left out.
    let mut prices: Vec<&String> = seen
        .keys()
        .filter(|p| !p.contains('[') && is_price_field(p))
        .collect();
    // Input and output first (shallow first), then the prices most items
    // have (an image model's `generation.usd`).
    prices.sort_by_key(|p| {
        let (cached, depth, side, unit, path) = price_rank(p);
        let count = seen.get(*p).copied().unwrap_or(0);
        let order = if side <= 1 {
            depth as i64
        } else {
            -(count as i64)
        };
        (cached, u8::from(side > 1), order, unit, path)
    });
    let mut parents: Vec<&str> = Vec::new();
    for p in prices {
        let parent = p.rsplit_once('.').map_or("", |(parent, _)| parent);
        // Up to three prices; past two, none that only mentions input or
        // output (`inputImages.included`).
        let side = price_rank(p).2;
        if parents.len() >= 3
            || (parents.len() >= 2 && (side == 2 || side == 3))
            || cols.contains(p)
        {
            continue;
        }
        // `pricing.input.usd` and `pricing.input.diem` are one price.
        let leaf_is_currency = p.rsplit('.').next().is_some_and(|l| l.len() <= 4);
        if leaf_is_currency && parents.contains(&parent) {
            continue;
        }
        parents.push(parent);
        cols.push(p.clone());
    }
    cols
}

/// Whether a leaf path holds a price: under a price path (by its name),
/// and either an amount in a unit (`input.usd`), named for one (`prompt`,
/// `input_cost_per_token`) or straight under a price object
/// (`pricing.generation`); not when prices were checked, a threshold or a
/// number of seconds.
pub fn is_price_field(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let last = lower.rsplit('.').next().unwrap_or(&lower);
    let is_unit = last.len() <= 4 && last.chars().all(|c| c.is_ascii_alphabetic());
    let named = ["price", "cost", "input", "output", "prompt", "completion"]
        .iter()
        .any(|w| last.contains(w));
    // A number straight under `pricing` is a price, whatever it is for.
    let under_prices = lower
        .rsplit('.')
        .nth(1)
        .is_some_and(|parent| parent.contains("pric") || parent.contains("cost"));
    crate::diff::json::is_price_path(path, &[])
        && (is_unit || named || under_prices)
        && ![
            "checked",
            "currency",
            "unit",
            "threshold",
            "seconds",
            "included",
        ]
        .iter()
        .any(|w| last.contains(w))
}

/// Prices in the order people read them: cached prices last, shallow
/// before deep, input (prompt) before output (completion) before the rest,
/// dollars before other units.
pub fn price_rank(path: &str) -> (u8, usize, u8, u8, String) {
    let lower = path.to_ascii_lowercase();
    let cached = u8::from(lower.contains("cache"));
    let mut segments = lower.rsplit('.');
    let last = segments.next().unwrap_or(&lower);
    // A short leaf such as `usd`, `diem` or `eur` names a unit: the price
    // is named by the segment above it.
    let is_unit = last.len() <= 4 && last.chars().all(|c| c.is_ascii_alphabetic());
    let name = if is_unit {
        segments.next().unwrap_or(last)
    } else {
        last
    };
    (
        cached,
        path.matches('.').count(),
        price_side(name),
        u8::from(is_unit && last != "usd"),
        path.to_owned(),
    )
}

/// 0 for an input price, 1 for an output price (by the exact name), 2 and
/// 3 for names that contain those words, 4 for the rest.
fn price_side(name: &str) -> u8 {
    match name {
        "input" | "prompt" => 0,
        "output" | "completion" => 1,
        n if n.contains("input") || n.contains("prompt") => 2,
        n if n.contains("output") || n.contains("completion") => 3,
        _ => 4,
    }
}

/// One item in full.
pub fn item(store: &Store, target: &str, id: &str) -> Result<(Catalog, Value), AppError> {
    let catalog = load(store, target)?;
    let found = catalog
        .items
        .iter()
        .find(|i| item_id(i, &catalog.key) == id)
        .cloned();
    match found {
        Some(item) => Ok((catalog, item)),
        None => Err(AppError::usage(no_such_item(
            &catalog.items,
            &catalog.key,
            id,
            &format!("{}@{}", catalog.watch, catalog.seq),
        ))),
    }
}

fn no_such_item(items: &[Value], key: &str, id: &str, at: &str) -> String {
    let lower = id.to_lowercase();
    let mut close: Vec<String> = items
        .iter()
        .map(|i| item_id(i, key))
        .filter(|k| k.to_lowercase().contains(&lower) || lower.contains(&k.to_lowercase()))
        .collect();
    close.sort();
    close.truncate(5);
    if close.is_empty() {
        format!("{at} has no item `{id}` (by its `{key}`); `--search TEXT` finds items by any text")
    } else {
        format!(
            "{at} has no item `{id}` (by its `{key}`); did you mean {}?",
            close.join(", ")
        )
    }
}

/// One item across every stored version of a catalog.
#[derive(Debug, Clone)]
pub struct ItemHistory {
    pub watch: String,
    pub key: String,
    pub id: String,
    /// The field followed, when one was asked for.
    pub field: Option<String>,
    pub events: Vec<HistoryEvent>,
    /// How many versions were read.
    pub versions: usize,
    /// The versions read, oldest first: number and date.
    pub seqs: Vec<(i64, String)>,
    /// The item's values (the field followed, or all its leaves) each time
    /// it appeared, by version: with the events, its value in any version.
    pub appearances: Vec<(i64, BTreeMap<String, Value>)>,
}

impl ItemHistory {
    /// The value of `field` in every version read, oldest first: `None`
    /// where the item is absent or the field not set or not a number.
    pub fn series(&self, field: &str) -> Vec<(i64, Option<f64>)> {
        let number = |v: Option<&Value>| match v {
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let mut events = self.events.iter().peekable();
        let mut current: Option<f64> = None;
        let mut out = Vec::with_capacity(self.seqs.len());
        for (seq, _) in &self.seqs {
            while let Some(e) = events.next_if(|e| e.seq <= *seq) {
                match &e.what {
                    HistoryChange::Appeared => {
                        current = self
                            .appearances
                            .iter()
                            .find(|(s, _)| *s == e.seq)
                            .and_then(|(_, values)| number(values.get(field)));
                    }
                    HistoryChange::Disappeared => current = None,
                    HistoryChange::Changed { field: f, new, .. } if f == field => {
                        current = number(new.as_ref());
                    }
                    HistoryChange::Changed { .. } => {}
                }
            }
            out.push((*seq, current));
        }
        out
    }

    /// The item's price fields with a number in some version, in the
    /// order [`price_rank`] gives.
    pub fn price_fields(&self) -> Vec<String> {
        let mut found: Vec<String> = Vec::new();
        let changed = self.events.iter().filter_map(|e| match &e.what {
            HistoryChange::Changed { field, old, new } => {
                Some((field, old.as_ref().or(new.as_ref())))
            }
            _ => None,
        });
        let appeared = self
            .appearances
            .iter()
            .flat_map(|(_, values)| values.iter().map(|(f, v)| (f, Some(v))));
        for (field, value) in appeared.chain(changed) {
            let numeric = value.is_some_and(|v| {
                v.is_number() || v.as_str().is_some_and(|s| s.trim().parse::<f64>().is_ok())
            });
            if numeric && is_price_field(field) && !found.contains(field) {
                found.push(field.clone());
            }
        }
        found.sort_by_key(|f| price_rank(f));
        found
    }
}

/// Something that happened to the item in one version.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub seq: i64,
    /// The version's date (from the file name of an import, else when
    /// fetched), `YYYY-MM-DD HH:MM`.
    pub date: String,
    pub what: HistoryChange,
}

#[derive(Debug, Clone, PartialEq)]
pub enum HistoryChange {
    /// The item is in this version and was not in the one before.
    Appeared,
    /// The item is gone from this version.
    Disappeared,
    /// A field's value, from `old` (`None`: not set) to `new`.
    Changed {
        field: String,
        old: Option<Value>,
        new: Option<Value>,
    },
}

/// The values of item `id` (all its fields, or `field` only) in every
/// stored version of `name`, oldest first: when it appeared, each change
/// with its version and date, and when it went.
pub fn history(
    store: &Store,
    name: &str,
    id: &str,
    field: Option<&str>,
) -> Result<ItemHistory, AppError> {
    let watch = store.watch(name)?;
    if watch.spec.kind != Kind::Json {
        return Err(AppError::usage(format!(
            "`{name}` is a {} watch: `catalog` reads json watches",
            watch.spec.kind
        )));
    }
    let versions = store.versions(watch.id)?;
    let mut events = Vec::new();
    let mut previous: Option<BTreeMap<String, Value>> = None;
    let mut key: Option<String> = watch.spec.item_key.clone();
    let mut field_path: Option<String> = None;
    let mut ever = false;
    let mut seqs = Vec::with_capacity(versions.len());
    let mut appearances = Vec::new();
    for v in &versions {
        let raw = store.read_blob(v.blob_id)?;
        let Ok(doc) = parse(&raw) else {
            continue;
        };
        if key.is_none() {
            key = crate::spec::canonical::detect_item_key(&doc).map(str::to_owned);
        }
        let Some((items, k)) = items_of(doc, key.as_deref()) else {
            continue;
        };
        let date = version_date(v);
        seqs.push((v.seq, date.clone()));
        let current = items.iter().find(|i| item_id(i, &k) == id);
        if let (Some(f), None, Some(item)) = (field, &field_path, current) {
            // Resolved against the first version that has the item.
            field_path = Some(
                resolve_field(std::slice::from_ref(item), f)
                    .map_err(|e| AppError::usage(format!("{name}@{}: {e}", v.seq)))?,
            );
        }
        let values: Option<BTreeMap<String, Value>> = current.map(|item| {
            leaves(item)
                .into_iter()
                .filter(|(p, _)| {
                    field_path
                        .as_ref()
                        .is_none_or(|f| p == f || p.starts_with(&format!("{f}.")))
                })
                .map(|(p, v)| (p, v.clone()))
                .collect()
        });
        match (&previous, &values) {
            (None, Some(now)) => {
                ever = true;
                appearances.push((v.seq, now.clone()));
                events.push(HistoryEvent {
                    seq: v.seq,
                    date: date.clone(),
                    what: HistoryChange::Appeared,
                });
                if field_path.is_some() {
                    for (f, value) in now {
                        events.push(HistoryEvent {
                            seq: v.seq,
                            date: date.clone(),
                            what: HistoryChange::Changed {
                                field: f.clone(),
                                old: None,
                                new: Some(value.clone()),
                            },
                        });
                    }
                }
            }
            (Some(_), None) => events.push(HistoryEvent {
                seq: v.seq,
                date: date.clone(),
                what: HistoryChange::Disappeared,
            }),
            (Some(before), Some(now)) => {
                let mut fields: Vec<&String> = before.keys().chain(now.keys()).collect();
                fields.sort();
                fields.dedup();
                for f in fields {
                    let (old, new) = (before.get(f), now.get(f));
                    if !same(old, new) {
                        events.push(HistoryEvent {
                            seq: v.seq,
                            date: date.clone(),
                            what: HistoryChange::Changed {
                                field: f.clone(),
                                old: old.cloned(),
                                new: new.cloned(),
                            },
                        });
                    }
                }
            }
            (None, None) => {}
        }
        previous = values;
    }
    let key = key.unwrap_or_else(|| "id".to_owned());
    if !ever {
        return Err(AppError::usage(format!(
            "no stored version of `{name}` ({} {}) has an item `{id}` (by its `{key}`)",
            versions.len(),
            if versions.len() == 1 {
                "version"
            } else {
                "versions"
            }
        )));
    }
    if let (Some(f), None) = (field, &field_path) {
        return Err(AppError::usage(format!("`{id}` has no field `{f}`")));
    }
    Ok(ItemHistory {
        watch: name.to_owned(),
        key,
        id: id.to_owned(),
        field: field_path,
        events,
        versions: versions.len(),
        seqs,
        appearances,
    })
}

/// Numbers equal by value.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn version_date(v: &crate::store::Version) -> String {
    if let Some(d) = &v.source_date {
        return d.clone();
    }
    chrono::DateTime::from_timestamp_millis(v.fetched_at)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn where_conditions_parse() {
        let c = parse_where("pricing.input < 2").unwrap();
        assert_eq!(
            c,
            Condition {
                field: "pricing.input".into(),
                op: Op::Lt,
                value: Literal::Number(2.0)
            }
        );
        assert_eq!(parse_where("context>=128000").unwrap().op, Op::Ge);
        assert_eq!(
            parse_where("context <= 1e6").unwrap().value,
            Literal::Number(1e6)
        );
        let m = parse_where("modality = image").unwrap();
        assert_eq!((m.op, m.value), (Op::Eq, Literal::Text("image".into())));
        assert_eq!(parse_where("type != text").unwrap().op, Op::Ne);
        assert_eq!(parse_where("name ~ llama").unwrap().op, Op::Contains);
        assert_eq!(
            parse_where("id == 'gpt-4o'").unwrap().value,
            Literal::Text("gpt-4o".into())
        );
        // A quoted number is text.
        assert_eq!(
            parse_where("v = \"2\"").unwrap().value,
            Literal::Text("2".into())
        );
    }

    #[test]
    fn bad_where_conditions_say_what_is_wrong() {
        let cases = [
            ("", "is empty"),
            ("   ", "is empty"),
            ("pricing.input 2", "has no comparison"),
            ("< 2", "names no field"),
            ("context >=", "has no value"),
            (
                "context >= lots",
                "`>=` compares numbers, and `lots` is not a number",
            ),
            ("input price < 2", "is not one field name"),
            ("x < inf", "not a number"),
        ];
        for (text, want) in cases {
            let e = parse_where(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(
                e.contains("--where"),
                "{text:?}: the error names the flag: {e}"
            );
        }
    }

    fn venice_like() -> Vec<Value> {
        vec![
            json!({"id": "llama-3.3-70b", "type": "text", "model_spec": {"name": "Llama 3.3 70B",
                "availableContextTokens": 65536, "traits": ["default"],
                "pricing": {"input": {"usd": 0.7, "diem": 0.7}, "output": {"usd": 2.8}}}}),
            json!({"id": "qwen3-4b", "type": "text", "model_spec": {"name": "Venice Small",
                "availableContextTokens": 32768, "traits": ["fastest"],
                "pricing": {"input": {"usd": 0.05}, "output": {"usd": 0.15}}}}),
            json!({"id": "flux-dev", "type": "image", "model_spec": {"name": "FLUX",
                "pricing": {"generation": {"usd": 0.01}}}}),
        ]
    }

    #[test]
    fn conditions_filter_items_and_fields_resolve_by_their_end() {
        let items = venice_like();
        let path = resolve_field(&items, "input.usd").unwrap();
        assert_eq!(path, "model_spec.pricing.input.usd");
        let e = resolve_field(&items, "usd").unwrap_err();
        assert!(e.contains("could be"), "{e}");
        let e = resolve_field(&items, "nope").unwrap_err();
        assert!(e.contains("no item has a field `nope`"), "{e}");
        let cheap = parse_where("input.usd < 0.5").unwrap();
        let got: Vec<String> = items
            .iter()
            .filter(|i| cheap.holds(i, &path))
            .map(|i| item_id(i, "id"))
            .collect();
        assert_eq!(got, ["qwen3-4b"]);
        let traits = parse_where("traits = FASTEST").unwrap();
        let p = resolve_field(&items, "traits").unwrap();
        assert!(traits.holds(&items[1], &p));
        assert!(!traits.holds(&items[0], &p));
        // Missing values meet only `!=`.
        let ne = parse_where("traits != fastest").unwrap();
        assert!(ne.holds(&items[2], &p) && ne.holds(&items[0], &p));
        let cols = default_columns(&items, "id");
        assert_eq!(cols[0], "id");
        assert!(cols.contains(&"model_spec.name".to_owned()), "{cols:?}");
        assert!(cols.contains(&"type".to_owned()), "{cols:?}");
        assert!(
            cols.contains(&"model_spec.availableContextTokens".to_owned()),
            "{cols:?}"
        );
    }

    #[test]
    fn queries_search_filter_and_sort_a_loaded_catalog() {
        let catalog = Catalog {
            watch: "venice".into(),
            seq: 3,
            key: "id".into(),
            items: venice_like(),
        };
        let ids = |q: &Query| -> Vec<String> {
            q.rows
                .iter()
                .map(|&i| item_id(&catalog.items[i], "id"))
                .collect()
        };
        let all = catalog.query(&ListRequest::default()).unwrap();
        assert_eq!(ids(&all), ["flux-dev", "llama-3.3-70b", "qwen3-4b"]);
        // Prices: input before output, one per price, dollars first.
        assert_eq!(
            all.columns,
            [
                "id",
                "model_spec.name",
                "type",
                "model_spec.availableContextTokens",
                "model_spec.pricing.input.usd",
                "model_spec.pricing.output.usd",
                "model_spec.pricing.generation.usd",
            ]
        );
        let search = ListRequest {
            search: Some("SMALL".into()),
            ..ListRequest::default()
        };
        assert_eq!(ids(&catalog.query(&search).unwrap()), ["qwen3-4b"]);
        // Descending keeps items without the field last.
        let by_context = ListRequest {
            sort: Some("-availableContextTokens".into()),
            ..ListRequest::default()
        };
        assert_eq!(
            ids(&catalog.query(&by_context).unwrap()),
            ["llama-3.3-70b", "qwen3-4b", "flux-dev"]
        );
        let cheap = ListRequest {
            wheres: vec!["input.usd < 1".into(), "type = text".into()],
            sort: Some("input.usd".into()),
            ..ListRequest::default()
        };
        assert_eq!(
            ids(&catalog.query(&cheap).unwrap()),
            ["qwen3-4b", "llama-3.3-70b"]
        );
        let bad = ListRequest {
            wheres: vec!["usd < 1".into()],
            ..ListRequest::default()
        };
        assert!(catalog.query(&bad).unwrap_err().contains("could be"));
        assert_eq!(
            catalog
                .find("qwen3-4b")
                .map(|i| cell_at(i, "model_spec.name")),
            Some("Venice Small".into())
        );
    }

    #[test]
    fn a_history_gives_a_field_in_every_version() {
        let at = |seq: i64, what: HistoryChange| HistoryEvent {
            seq,
            date: format!("2026-01-0{seq}"),
            what,
        };
        let changed = |f: &str, old: f64, new: f64| HistoryChange::Changed {
            field: f.into(),
            old: Some(json!(old)),
            new: Some(json!(new)),
        };
        let values = |input: f64| -> BTreeMap<String, Value> {
            [
                ("pricing.input.usd".to_owned(), json!(input)),
                ("pricing.input.diem".to_owned(), json!(input)),
                ("pricing.checked_at".to_owned(), json!(1_700_000_000)),
                ("name".to_owned(), json!("Small")),
            ]
            .into_iter()
            .collect()
        };
        let h = ItemHistory {
            watch: "venice".into(),
            key: "id".into(),
            id: "small".into(),
            field: None,
            events: vec![
                at(2, HistoryChange::Appeared),
                at(4, changed("pricing.input.usd", 0.5, 0.7)),
                at(5, HistoryChange::Disappeared),
                at(7, HistoryChange::Appeared),
            ],
            versions: 7,
            seqs: (1..=7).map(|s| (s, String::new())).collect(),
            appearances: vec![(2, values(0.5)), (7, values(0.6))],
        };
        let series: Vec<Option<f64>> = h
            .series("pricing.input.usd")
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        assert_eq!(
            series,
            [None, Some(0.5), Some(0.5), Some(0.7), None, None, Some(0.6)]
        );
        assert_eq!(
            h.price_fields(),
            ["pricing.input.usd", "pricing.input.diem"]
        );
    }
}
