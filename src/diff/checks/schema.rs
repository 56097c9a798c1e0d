//! Schema comparison, shared by request bodies, parameters, response bodies
//! and headers.
//!
//! oasdiff's ids follow a pattern: `<subject>-<change>`, where the subject is
//! the root being compared (`request-body`, `request-parameter`,
//! `response-body`, `response-header`) or, below it, a property
//! (`request-property`, `request-parameter-property`, `response-property`).
//! The walker names the change; [`Site::id`] composes the id, and only ids
//! the registry knows are reported. Whether a change breaks a client
//! depends on the direction (an enum value added is harmless in a request
//! and breaking in a response): that is the registry's level for the id.
//!
//! Cycles: each pair of schema nodes is compared once per walk, so a
//! recursive schema ends; depth is bounded as well.

use std::collections::HashSet;

use serde_json::Value;

use super::Pair;
use crate::diff::{Doc, join_pointer, registry};

/// Deeper than this, schemas are not compared (no real API nests so far).
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    Request,
    Response,
}

/// Where in an operation a schema sits.
#[derive(Debug, Clone)]
pub struct Site {
    pub dir: Dir,
    /// Id prefix at the root: `request-body`, `request-parameter`, …
    pub root: &'static str,
    /// Id prefix below the root: `request-property`, …
    pub nested: &'static str,
    /// What the root is called in messages: "request body",
    /// "query parameter `limit`".
    pub label: String,
    /// Property path below the root, `/`-separated.
    pub path: String,
}

impl Site {
    fn prefix(&self) -> &'static str {
        if self.path.is_empty() {
            self.root
        } else {
            self.nested
        }
    }

    /// The registered id for `change` here, if there is one.
    /// Below a read-only request (write-only response) property, a change
    /// with an id of its own uses it; others count as for any property.
    pub fn id(&self, change: &str) -> Option<&'static str> {
        let prefix = self.prefix();
        registry::known(&format!("{prefix}-{change}")).or_else(|| {
            let plain = match prefix {
                "request-read-only-property" => "request-property",
                "response-write-only-property" => "response-property",
                _ => return None,
            };
            registry::known(&format!("{plain}-{change}"))
        })
    }

    fn what(&self) -> String {
        if self.path.is_empty() {
            self.label.clone()
        } else {
            format!("{} property `{}`", self.label, self.path)
        }
    }

    fn child(&self, segment: &str) -> Site {
        let mut s = self.clone();
        s.path = if self.path.is_empty() {
            segment.to_string()
        } else {
            format!("{}/{segment}", self.path)
        };
        s
    }
}

/// Compares two schemas of a matched operation.
pub struct SchemaDiff<'p, 'e> {
    pair: &'p mut Pair<'e>,
    seen: HashSet<(usize, usize)>,
}

impl<'p, 'e> SchemaDiff<'p, 'e> {
    pub fn new(pair: &'p mut Pair<'e>) -> Self {
        SchemaDiff {
            pair,
            seen: HashSet::new(),
        }
    }

    fn docs(&self) -> (&'e Doc<'e>, &'e Doc<'e>) {
        (self.pair.base, self.pair.rev)
    }

    fn emit(&mut self, site: &Site, change: &str, message: String, bp: &str, rp: &str) {
        if let Some(id) = site.id(change) {
            let subject = format!("{}|{}|{change}", site.label, site.path);
            self.pair.out.emit(
                id,
                &subject,
                message,
                Some(bp.to_string()),
                Some(rp.to_string()),
            );
        }
    }

    /// Compares `base` and `rev` (either may be a `$ref`) at `site`.
    pub fn compare(&mut self, site: &Site, base: &'e Value, rev: &'e Value, bp: &str, rp: &str) {
        self.walk(site, base, rev, bp, rp, 0);
    }

    fn walk(
        &mut self,
        site: &Site,
        base: &'e Value,
        rev: &'e Value,
        bp: &str,
        rp: &str,
        depth: usize,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        let (bdoc, rdoc) = self.docs();
        let (b, _) = bdoc.resolve(base);
        let (r, _) = rdoc.resolve(rev);
        let key = (b as *const Value as usize, r as *const Value as usize);
        if !self.seen.insert(key) {
            return;
        }
        if self.pair.same.same(bdoc, b, rdoc, r) {
            return;
        }
        if !b.is_object() || !r.is_object() {
            return;
        }
        // `oneOf: [X, {type: null}]` is X made nullable: compare X with X.
        let (b, b_wrapped) = unwrap_nullable(bdoc, b);
        let (r, r_wrapped) = unwrap_nullable(rdoc, r);
        self.types(site, b, r, bp, rp);
        let b_null = b_wrapped || is_nullable(b);
        let r_null = r_wrapped || is_nullable(r);
        self.nullable(site, b_null, r_null, bp, rp);
        self.keywords(site, b, r, bp, rp, depth);
        self.enums(site, b, r, bp, rp);
        self.pattern(site, b, r, bp, rp);
        self.bounds(site, b, r, bp, rp);
        self.defaults(site, b, r, bp, rp);
        self.deprecation(site, b, r, bp, rp);
        self.properties(site, b, r, bp, rp, depth);
        if let (Some(bi), Some(ri)) = (b.get("items"), r.get("items")) {
            // A parameter's array items are still "the parameter".
            let child = if site.root == "request-parameter" && site.path.is_empty() {
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
        for (keyword, change) in [
            ("allOf", "all-of"),
            ("oneOf", "one-of"),
            ("anyOf", "any-of"),
        ] {
            if type_list && keyword != "allOf" {
                continue;
            }
            self.composition(site, b, r, bp, rp, keyword, change, depth);
        }
        self.discriminator(site, b, r, bp, rp);
    }

    /// JSON Schema 2020-12 keywords (OpenAPI 3.1): subschemas added or
    /// removed, and walked into when both sides have them; `const`;
    /// `contains` bounds; keyed maps of subschemas and requirements.
    fn keywords(
        &mut self,
        site: &Site,
        b: &'e Value,
        r: &'e Value,
        bp: &str,
        rp: &str,
        depth: usize,
    ) {
        for (keyword, stem) in [
            ("contains", "contains"),
            ("if", "if"),
            ("then", "then"),
            ("else", "else"),
            ("not", "not"),
            ("propertyNames", "property-names"),
            ("unevaluatedItems", "unevaluated-items"),
            ("unevaluatedProperties", "unevaluated-properties"),
            ("prefixItems", "prefix-items"),
            ("contentSchema", "content-schema"),
        ] {
            let (bk, rk) = (join_pointer(bp, keyword), join_pointer(rp, keyword));
            match (b.get(keyword), r.get(keyword)) {
                (None, Some(_)) => {
                    let msg = format!("{} gained `{keyword}`", site.what());
                    self.emit(site, &format!("{stem}-added"), msg, bp, &rk);
                }
                (Some(_), None) => {
                    let msg = format!("{} lost `{keyword}`", site.what());
                    self.emit(site, &format!("{stem}-removed"), msg, &bk, rp);
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
        for (keyword, stem) in [
            ("minContains", "min-contains"),
            ("maxContains", "max-contains"),
        ] {
            let bv = b.get(keyword).and_then(Value::as_f64);
            let rv = r.get(keyword).and_then(Value::as_f64);
            if let (Some(x), Some(y)) = (bv, rv) {
                let change = if y > x {
                    "increased"
                } else if y < x {
                    "decreased"
                } else {
                    continue;
                };
                let msg = format!("{} {keyword} changed from {x} to {y}", site.what());
                self.emit(site, &format!("{stem}-{change}"), msg, bp, rp);
            }
        }
        let constant = match (b.get("const"), r.get("const")) {
            (None, Some(v)) => Some(("const-added", format!("{} must now equal {v}", site.what()))),
            (Some(v), None) => Some((
                "const-removed",
                format!("{} no longer has to equal {v}", site.what()),
            )),
            (Some(x), Some(y)) if x != y => Some((
                "const-changed",
                format!("{} const changed from {x} to {y}", site.what()),
            )),
            _ => None,
        };
        if let Some((change, msg)) = constant {
            self.emit(site, change, msg, bp, rp);
        }
        for (keyword, stem) in [
            ("contentMediaType", "content-media-type"),
            ("contentEncoding", "content-encoding"),
        ] {
            if b.get(keyword) != r.get(keyword) {
                let msg = format!("{} {keyword} changed", site.what());
                self.emit(site, &format!("{stem}-changed"), msg, bp, rp);
            }
        }
        for (keyword, stem) in [
            ("patternProperties", "pattern-property"),
            ("dependentSchemas", "dependent-schema"),
        ] {
            let (bm, rm) = (super::members(b, keyword), super::members(r, keyword));
            let (bk, rk) = (join_pointer(bp, keyword), join_pointer(rp, keyword));
            for (key, bv) in bm {
                match rm.get(key) {
                    None => {
                        let msg = format!("{} {keyword} `{key}` was removed", site.what());
                        self.emit_sub(site, &format!("{stem}-removed"), msg, &bk, &rk, key);
                    }
                    Some(rv) => {
                        let (xp, yp) = (join_pointer(&bk, key), join_pointer(&rk, key));
                        self.walk(site, bv, rv, &xp, &yp, depth + 1);
                    }
                }
            }
            for key in rm.keys().filter(|k| !bm.contains_key(*k)) {
                let msg = format!("{} {keyword} `{key}` was added", site.what());
                self.emit_sub(site, &format!("{stem}-added"), msg, &bk, &rk, key);
            }
        }
        let (bm, rm) = (
            super::members(b, "dependentRequired"),
            super::members(r, "dependentRequired"),
        );
        for (key, bv) in bm {
            let (change, msg) = match rm.get(key) {
                None => (
                    "dependent-required-removed",
                    format!("{} dependentRequired `{key}` was removed", site.what()),
                ),
                Some(rv) if rv != bv => (
                    "dependent-required-changed",
                    format!("{} dependentRequired `{key}` changed", site.what()),
                ),
                _ => continue,
            };
            self.emit_sub(site, change, msg, bp, rp, key);
        }
        for key in rm.keys().filter(|k| !bm.contains_key(*k)) {
            let msg = format!("{} dependentRequired `{key}` was added", site.what());
            self.emit_sub(site, "dependent-required-added", msg, bp, rp, key);
        }
    }

    fn types(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
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
                "list-of-types-widened"
            } else if narrowed {
                "list-of-types-narrowed"
            } else {
                "type-changed"
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
        let generalized = site.dir == Dir::Request && generalizes(&bt, bf, &rt, rf);
        let change = if generalized {
            "type-generalized"
        } else {
            "type-changed"
        };
        let msg = format!("{} type changed from {from} to {to}", site.what());
        self.emit(site, change, msg, bp, rp);
    }

    fn nullable(&mut self, site: &Site, b: bool, r: bool, bp: &str, rp: &str) {
        match (b, r) {
            (false, true) => {
                let msg = format!("{} became nullable", site.what());
                self.emit(site, "became-nullable", msg, bp, rp);
            }
            (true, false) => {
                let msg = format!("{} is no longer nullable", site.what());
                self.emit(site, "became-not-nullable", msg, bp, rp);
            }
            _ => {}
        }
    }

    fn enums(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
        let be = b.get("enum").and_then(Value::as_array);
        let re = r.get("enum").and_then(Value::as_array);
        match (be, re) {
            (None, Some(_)) => {
                let msg = format!("{} is now restricted to an enum", site.what());
                self.emit(site, "became-enum", msg, bp, rp);
            }
            (Some(be), Some(re)) => {
                for v in be.iter().filter(|v| !re.contains(v)) {
                    let msg = format!("{} no longer allows the value {v}", site.what());
                    self.emit_value(site, "enum-value-removed", msg, bp, rp, v);
                }
                for v in re.iter().filter(|v| !be.contains(v)) {
                    let msg = format!("{} allows the new value {v}", site.what());
                    self.emit_value(site, "enum-value-added", msg, bp, rp, v);
                }
            }
            _ => {}
        }
        let bx = b.get("x-extensible-enum").and_then(Value::as_array);
        let rx = r.get("x-extensible-enum").and_then(Value::as_array);
        if let (Some(bx), Some(rx)) = (bx, rx) {
            for v in bx.iter().filter(|v| !rx.contains(v)) {
                let msg = format!("{} no longer lists the extensible value {v}", site.what());
                self.emit_value(site, "x-extensible-enum-value-removed", msg, bp, rp, v);
            }
        }
    }

    /// Like `emit`, with the value in the fingerprint (one finding per value).
    fn emit_value(
        &mut self,
        site: &Site,
        change: &str,
        msg: String,
        bp: &str,
        rp: &str,
        v: &Value,
    ) {
        self.emit_sub(site, change, msg, bp, rp, &v.to_string());
    }

    fn pattern(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
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
                "pattern-added",
                format!("{} must now match `{p}`", site.what()),
            ),
            (Some(p), None) => (
                "pattern-removed",
                format!("{} no longer has to match `{p}`", site.what()),
            ),
            (Some(a), Some(c)) if a != c => {
                let change = if c == ".*" {
                    "pattern-generalized"
                } else {
                    "pattern-changed"
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

    fn bounds(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
        // (keyword, id stem, label)
        for (keyword, stem, label) in [
            ("maximum", "max", "maximum"),
            ("minimum", "min", "minimum"),
            ("maxLength", "max-length", "maximum length"),
            ("minLength", "min-length", "minimum length"),
            ("maxItems", "max-items", "maximum number of items"),
            ("minItems", "min-items", "minimum number of items"),
            (
                "maxProperties",
                "max-properties",
                "maximum number of properties",
            ),
            (
                "minProperties",
                "min-properties",
                "minimum number of properties",
            ),
        ] {
            let bv = b.get(keyword).and_then(Value::as_f64);
            let rv = r.get(keyword).and_then(Value::as_f64);
            let (change, msg) = match (bv, rv) {
                (None, Some(v)) => (
                    format!("{stem}-set"),
                    format!("{} now has a {label} of {v}", site.what()),
                ),
                (Some(x), Some(y)) if y > x => (
                    format!("{stem}-increased"),
                    format!("{} {label} increased from {x} to {y}", site.what()),
                ),
                (Some(x), Some(y)) if y < x => (
                    format!("{stem}-decreased"),
                    format!("{} {label} decreased from {x} to {y}", site.what()),
                ),
                _ => continue,
            };
            self.emit(site, &change, msg, bp, rp);
        }
        // OpenAPI 3.1 numeric exclusive bounds.
        for (keyword, stem) in [
            ("exclusiveMaximum", "exclusive-max"),
            ("exclusiveMinimum", "exclusive-min"),
        ] {
            let bv = b.get(keyword).and_then(Value::as_f64);
            let rv = r.get(keyword).and_then(Value::as_f64);
            let change = match (bv, rv) {
                (None, Some(_)) => format!("{stem}-set"),
                (Some(x), Some(y)) if y > x => format!("{stem}-increased"),
                (Some(x), Some(y)) if y < x => format!("{stem}-decreased"),
                _ => continue,
            };
            let msg = format!("{} {keyword} changed", site.what());
            self.emit(site, &change, msg, bp, rp);
        }
    }

    fn defaults(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
        let (change, msg) = match (b.get("default"), r.get("default")) {
            (None, Some(v)) => (
                "default-value-added",
                format!("{} has a new default {v}", site.what()),
            ),
            (Some(v), None) => (
                "default-value-removed",
                format!("{} no longer defaults to {v}", site.what()),
            ),
            (Some(x), Some(y)) if x != y => (
                "default-value-changed",
                format!("{} default changed from {x} to {y}", site.what()),
            ),
            _ => return,
        };
        self.emit(site, change, msg, bp, rp);
    }

    fn deprecation(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
        if site.path.is_empty() {
            return;
        }
        let was = b.get("deprecated").and_then(Value::as_bool) == Some(true);
        let is = r.get("deprecated").and_then(Value::as_bool) == Some(true);
        if !was && is {
            use super::lifecycle::{Deprecation, judge};
            let what = site.what();
            let days = self.pair.notice_days;
            let (change, msg) = match judge(self.pair.options, days, r) {
                Deprecation::Plain => ("deprecated", format!("{what} is deprecated")),
                Deprecation::WithSunset(date) => (
                    "deprecated-with-sunset",
                    format!("{what} is deprecated, with sunset on {date}"),
                ),
                Deprecation::SunsetMissing => (
                    "deprecated-sunset-missing",
                    format!(
                        "{what} is deprecated without a sunset date; the policy asks for {days} days' notice"
                    ),
                ),
                Deprecation::SunsetInvalid(text) => (
                    "deprecated-sunset-invalid",
                    format!("{what} is deprecated; its sunset date `{text}` cannot be read"),
                ),
                Deprecation::SunsetTooSoon(date, days) => (
                    "sunset-date-too-small",
                    format!(
                        "{what} is deprecated with sunset on {date}, less than the {days} days' notice the policy asks"
                    ),
                ),
            };
            self.emit(site, change, msg, bp, rp);
        } else if was && !is {
            let msg = format!("{} is no longer deprecated", site.what());
            self.emit(site, "reactivated", msg, bp, rp);
        }
    }

    fn properties(
        &mut self,
        site: &Site,
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
            let child = site.child(name);
            let cbp = join_pointer(&bprops_ptr, name);
            match rprops.get(name) {
                None => {
                    let was_required = breq.contains(&name.as_str());
                    if hidden(bdoc, bv) {
                        // Clients never sent a read-only property; a
                        // write-only one in a response is only news.
                        if site.dir == Dir::Response {
                            let id = if was_required {
                                "response-required-write-only-property-removed"
                            } else {
                                "response-optional-write-only-property-removed"
                            };
                            let msg = format!("write-only {} was removed", child.what());
                            self.emit_id(id, &child, msg, &cbp, rp);
                        }
                        continue;
                    }
                    let (id, msg) = match site.dir {
                        Dir::Request => (
                            format!("{}-removed", site.nested_prefix()),
                            format!("{} was removed", child.what()),
                        ),
                        Dir::Response if was_required => (
                            "response-required-property-removed".to_string(),
                            format!("required {} was removed", child.what()),
                        ),
                        Dir::Response => (
                            "response-optional-property-removed".to_string(),
                            format!("optional {} was removed", child.what()),
                        ),
                    };
                    self.emit_id(&id, &child, msg, &cbp, rp);
                }
                Some(rv) => {
                    let crp = join_pointer(&rprops_ptr, name);
                    let was = breq.contains(&name.as_str());
                    let is = rreq.contains(&name.as_str());
                    // Below a property a side never sees, changes have
                    // their own ids (read-only in requests, write-only in
                    // responses), or none.
                    let mut child = child;
                    if hidden(rdoc, rv) || hidden(bdoc, bv) {
                        child.nested = match site.dir {
                            Dir::Request => "request-read-only-property",
                            Dir::Response => "response-write-only-property",
                        };
                    }
                    if was != is {
                        let change = if is {
                            "became-required"
                        } else {
                            "became-optional"
                        };
                        let msg = format!(
                            "{} became {}",
                            child.what(),
                            if is { "required" } else { "optional" }
                        );
                        let id = format!("{}-{change}", child.nested);
                        self.emit_id(&id, &child, msg, &cbp, &crp);
                    }
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
                    let id = if is_required {
                        "response-required-write-only-property-added"
                    } else {
                        "response-optional-write-only-property-added"
                    };
                    let msg = format!("write-only {} was added", child.what());
                    self.emit_id(id, &child, msg, bp, &crp);
                }
                continue;
            }
            let (rv_resolved, _) = rdoc.resolve(rv);
            let has_default = rv_resolved.get("default").is_some();
            let id = match (site.dir, is_required) {
                (Dir::Request, true) if site.root == "request-parameter" => {
                    "new-required-request-parameter-property".to_string()
                }
                (Dir::Request, true) if has_default => {
                    "new-required-request-property-with-default".to_string()
                }
                (Dir::Request, true) => "new-required-request-property".to_string(),
                (Dir::Request, false) => "new-optional-request-property".to_string(),
                (Dir::Response, true) => "response-required-property-added".to_string(),
                (Dir::Response, false) => "response-optional-property-added".to_string(),
            };
            let msg = format!(
                "{} {} was added",
                if is_required { "required" } else { "optional" },
                child.what()
            );
            self.emit_id(&id, &child, msg, bp, &crp);
        }
    }

    fn emit_id(&mut self, id: &str, site: &Site, msg: String, bp: &str, rp: &str) {
        if let Some(id) = registry::known(id) {
            let subject = format!("{}|{}", site.label, site.path);
            self.pair.out.emit(
                id,
                &subject,
                msg,
                Some(bp.to_string()),
                Some(rp.to_string()),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn composition(
        &mut self,
        site: &Site,
        b: &'e Value,
        r: &'e Value,
        bp: &str,
        rp: &str,
        keyword: &str,
        change: &str,
        depth: usize,
    ) {
        let bs: &'e [Value] = b
            .get(keyword)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        let rs: &'e [Value] = r
            .get(keyword)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice);
        if bs.is_empty() && rs.is_empty() {
            return;
        }
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
            if let Some(j) = (0..rs.len()).find(|&j| {
                !r_used[j] && rkeys[j].is_none() && same.same(bdoc, &bs[i], rdoc, &rs[j])
            }) {
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
                &bs[i],
                &rs[j],
                &join_pointer(&bk, &i.to_string()),
                &join_pointer(&rk, &j.to_string()),
                depth + 1,
            );
        }
        let label =
            |key: &Option<String>, index: usize| key.clone().unwrap_or_else(|| format!("#{index}"));
        for i in (0..bs.len()).filter(|&i| !b_used[i]) {
            let key = label(&bkeys[i], i);
            let msg = format!("{} {keyword} no longer includes {key}", site.what());
            self.emit_sub(site, &format!("{change}-removed"), msg, &bk, &rk, &key);
        }
        for j in (0..rs.len()).filter(|&j| !r_used[j]) {
            let key = label(&rkeys[j], j);
            let msg = format!("{} {keyword} now includes {key}", site.what());
            self.emit_sub(site, &format!("{change}-added"), msg, &bk, &rk, &key);
        }
    }

    fn emit_sub(&mut self, site: &Site, change: &str, msg: String, bp: &str, rp: &str, key: &str) {
        if let Some(id) = site.id(change) {
            let subject = format!("{}|{}|{change}|{key}", site.label, site.path);
            self.pair.out.emit(
                id,
                &subject,
                msg,
                Some(bp.to_string()),
                Some(rp.to_string()),
            );
        }
    }

    fn discriminator(&mut self, site: &Site, b: &Value, r: &Value, bp: &str, rp: &str) {
        let bd = b.get("discriminator");
        let rd = r.get("discriminator");
        match (bd, rd) {
            (None, Some(_)) => {
                let msg = format!("{} gained a discriminator", site.what());
                self.emit(site, "discriminator-added", msg, bp, rp);
            }
            (Some(_), None) => {
                let msg = format!("{} lost its discriminator", site.what());
                self.emit(site, "discriminator-removed", msg, bp, rp);
            }
            (Some(bd), Some(rd)) => {
                let bn = bd.get("propertyName").and_then(Value::as_str);
                let rn = rd.get("propertyName").and_then(Value::as_str);
                if bn != rn {
                    let msg = format!("{} discriminator property changed", site.what());
                    self.emit(site, "discriminator-property-name-changed", msg, bp, rp);
                }
                let bm = super::members(bd, "mapping");
                let rm = super::members(rd, "mapping");
                for (k, v) in bm {
                    match rm.get(k) {
                        None => {
                            let msg =
                                format!("{} discriminator mapping `{k}` was removed", site.what());
                            self.emit_sub(site, "discriminator-mapping-deleted", msg, bp, rp, k);
                        }
                        Some(w) if w != v => {
                            let msg =
                                format!("{} discriminator mapping `{k}` changed", site.what());
                            self.emit_sub(site, "discriminator-mapping-changed", msg, bp, rp, k);
                        }
                        _ => {}
                    }
                }
                for k in rm.keys().filter(|k| !bm.contains_key(*k)) {
                    let msg = format!("{} discriminator mapping `{k}` was added", site.what());
                    self.emit_sub(site, "discriminator-mapping-added", msg, bp, rp, k);
                }
            }
            (None, None) => {}
        }
    }
}

impl Site {
    /// The property-level prefix used by ids that exist only there.
    fn nested_prefix(&self) -> &'static str {
        self.nested
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

/// `oneOf`/`anyOf` of exactly one schema and `{type: null}`: that schema,
/// and `true` for "wrapped to be nullable".
fn unwrap_nullable<'a>(doc: &'a Doc<'a>, schema: &'a Value) -> (&'a Value, bool) {
    for keyword in ["oneOf", "anyOf"] {
        let Some(members) = schema.get(keyword).and_then(Value::as_array) else {
            continue;
        };
        if members.len() != 2 {
            continue;
        }
        let is_null = |m: &Value| m.get("type").and_then(Value::as_str) == Some("null");
        let inner = match (is_null(&members[0]), is_null(&members[1])) {
            (true, false) => &members[1],
            (false, true) => &members[0],
            _ => continue,
        };
        return (doc.resolve(inner).0, true);
    }
    (schema, false)
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
