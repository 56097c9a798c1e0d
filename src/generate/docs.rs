//! Reference docs of one version of a description: operations grouped by
//! tag, with their parameters, request and response schemas (types,
//! constraints, examples) and security; with the findings since an older
//! version, each changed item is marked and linked to its finding.
//!
//! Markdown escapes everything the description says ([`crate::text`]'s
//! Markdown helpers); HTML is one self-contained file, its text escaped,
//! with a table of contents and a search box. Its Content-Security-Policy
//! is the diff report's (`default-src 'none'; style-src 'unsafe-inline'`)
//! plus `script-src` pinned to the SHA-256 of the one inline search
//! script: no other script, inline or fetched, can run, whatever the
//! description holds.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::model::{Api, Op};
use super::values::{int_bounds, required_of, type_of};
use crate::diff::Finding;
use crate::text;

/// Rows of one schema shown at most; the rest are counted.
const MAX_ROWS: usize = 80;
/// Nesting of properties shown.
const MAX_DEPTH: usize = 3;

/// One property (or the schema itself) as a row.
struct Row {
    name: String,
    typ: String,
    required: bool,
    constraints: String,
    description: String,
    example: String,
    pointer: String,
}

/// What changed since the older version, by pointer and operation.
pub struct Changes<'a> {
    pub since: String,
    pub findings: &'a [Finding],
}

impl Changes<'_> {
    /// Findings whose revision pointer is at or under `pointer`.
    fn under(&self, pointer: &str) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| {
                f.revision_pointer
                    .as_deref()
                    .is_some_and(|p| p == pointer || p.starts_with(&format!("{pointer}/")))
            })
            .collect()
    }

    fn of_op(&self, op: &Op) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| {
                f.operation.as_deref() == Some(op.method.as_str())
                    && f.path.as_deref().map(crate::diff::document::normalize_path)
                        == Some(crate::diff::document::normalize_path(&op.path))
            })
            .collect()
    }
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    let s = text::one_line(&s);
    if s.chars().count() > 120 {
        s.chars().take(117).collect::<String>() + "…"
    } else {
        s
    }
}

fn type_label(api: &Api, schema: &Value) -> String {
    let (resolved, name) = super::model::resolve_in(&api.root, schema);
    let base = match type_of(resolved) {
        Some("array") => {
            let items = resolved.get("items").cloned().unwrap_or(Value::Null);
            format!("array of {}", type_label(api, &items))
        }
        Some(t) => {
            let format = resolved.get("format").and_then(Value::as_str);
            match format {
                Some(f) => format!("{t} ({f})"),
                None => t.to_owned(),
            }
        }
        None if resolved.get("oneOf").is_some() => "one of several".to_owned(),
        None if resolved.get("anyOf").is_some() => "any of several".to_owned(),
        None if resolved.get("allOf").is_some() => "object (all of)".to_owned(),
        None => "any".to_owned(),
    };
    match name.and_then(|n| n.rsplit('/').next()) {
        Some(n) if type_of(resolved) == Some("object") || resolved.get("allOf").is_some() => {
            n.to_owned()
        }
        _ => base,
    }
}

fn constraints(schema: &Value) -> String {
    let mut parts = Vec::new();
    let (lo, hi) = int_bounds(schema);
    if type_of(schema) == Some("integer") {
        if let Some(lo) = lo {
            parts.push(format!("≥ {lo}"));
        }
        if let Some(hi) = hi {
            parts.push(format!("≤ {hi}"));
        }
    } else {
        for (k, sym) in [("minimum", "≥"), ("maximum", "≤")] {
            if let Some(v) = schema.get(k).and_then(Value::as_f64) {
                parts.push(format!("{sym} {v}"));
            }
        }
    }
    for (k, label) in [
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ] {
        if let Some(v) = schema.get(k).and_then(Value::as_u64) {
            parts.push(format!("{label} {v}"));
        }
    }
    if let Some(p) = schema.get("pattern").and_then(Value::as_str) {
        parts.push(format!("pattern {p}"));
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        let values: Vec<String> = e.iter().take(12).map(short).collect();
        let more = if e.len() > 12 {
            format!(", … ({} in all)", e.len())
        } else {
            String::new()
        };
        parts.push(format!("one of: {}{more}", values.join(", ")));
    }
    if let Some(d) = schema.get("default") {
        parts.push(format!("default {}", short(d)));
    }
    if schema.get("nullable").and_then(Value::as_bool) == Some(true) {
        parts.push("nullable".to_owned());
    }
    if schema.get("deprecated").and_then(Value::as_bool) == Some(true) {
        parts.push("deprecated".to_owned());
    }
    text::one_line(&parts.join("; "))
}

fn example_of(schema: &Value) -> String {
    super::values::known_value(schema)
        .map(|v| short(&v))
        .unwrap_or_default()
}

/// The rows of a schema: the properties of objects (their own properties
/// nested as `a.b`, arrays' items as `a[]`), depth-limited.
fn rows(api: &Api, schema: &Value, pointer: &str) -> (Vec<Row>, usize) {
    let mut out = Vec::new();
    let mut dropped = 0;
    walk(api, schema, "", pointer, 0, &mut out, &mut dropped);
    (out, dropped)
}

fn walk(
    api: &Api,
    schema: &Value,
    prefix: &str,
    pointer: &str,
    depth: usize,
    out: &mut Vec<Row>,
    dropped: &mut usize,
) {
    let s = api.resolve(schema);
    let mut props: Vec<(&String, &Value)> = Vec::new();
    let mut required = required_of(s);
    let mut members = vec![s];
    if let Some(all) = s.get("allOf").and_then(Value::as_array) {
        members.extend(all.iter().map(|m| api.resolve(m)));
    }
    for m in &members {
        required.extend(required_of(m));
        if let Some(map) = m.get("properties").and_then(Value::as_object) {
            props.extend(map.iter());
        }
    }
    if props.is_empty() && depth == 0 {
        if type_of(s) == Some("array")
            && let Some(items) = s.get("items")
        {
            let before = out.len();
            walk(
                api,
                items,
                "[]",
                &format!("{pointer}/items"),
                depth + 1,
                out,
                dropped,
            );
            if out.len() > before {
                return;
            }
        }
        out.push(Row {
            name: "(body)".to_owned(),
            typ: type_label(api, schema),
            required: true,
            constraints: constraints(s),
            description: text::one_line(s.get("description").and_then(Value::as_str).unwrap_or("")),
            example: example_of(s),
            pointer: pointer.to_owned(),
        });
        return;
    }
    for (name, prop) in props {
        if out.len() >= MAX_ROWS {
            *dropped += 1;
            continue;
        }
        let p = api.resolve(prop);
        let full = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        let here = format!(
            "{pointer}/properties/{}",
            crate::diff::pointer_segment(name)
        );
        out.push(Row {
            name: full.clone(),
            typ: type_label(api, prop),
            required: required.iter().any(|r| r == name),
            constraints: constraints(p),
            description: text::one_line(p.get("description").and_then(Value::as_str).unwrap_or("")),
            example: example_of(p),
            pointer: here.clone(),
        });
        if depth + 1 < MAX_DEPTH {
            match type_of(p) {
                Some("object") => walk(api, prop, &full, &here, depth + 1, out, dropped),
                Some("array") => {
                    if let Some(items) = p.get("items")
                        && type_of(api.resolve(items)) == Some("object")
                    {
                        walk(
                            api,
                            items,
                            &format!("{full}[]"),
                            &format!("{here}/items"),
                            depth + 1,
                            out,
                            dropped,
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

/// Operations by tag, tags in the order the description declares them
/// (then by name), operations by path and method; untagged ones last.
fn by_tag(api: &Api) -> Vec<(String, Vec<&Op>)> {
    let declared: Vec<String> = api
        .root
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut groups: BTreeMap<(usize, String), Vec<&Op>> = BTreeMap::new();
    for op in api.sorted_operations() {
        let tag = op.tags.first().cloned();
        let key = match tag {
            Some(t) => (
                declared
                    .iter()
                    .position(|d| *d == t)
                    .unwrap_or(declared.len()),
                t,
            ),
            None => (usize::MAX, "Other operations".to_owned()),
        };
        groups.entry(key).or_default().push(op);
    }
    groups.into_iter().map(|((_, t), ops)| (t, ops)).collect()
}

/// An id for an operation's section: its method and a hash of its path
/// (paths hold characters ids should not).
fn anchor(op: &Op) -> String {
    format!(
        "op-{}-{:016x}",
        op.method.to_ascii_lowercase(),
        super::values::fnv1a(op.path.as_bytes())
    )
}

fn finding_anchor(f: &Finding) -> String {
    format!("change-{}", f.fingerprint)
}

fn security_text(api: &Api, op: &Op) -> String {
    if op.security.is_empty() {
        return "none".to_owned();
    }
    op.security
        .iter()
        .map(|name| {
            let scheme = api
                .root
                .pointer(&format!(
                    "/components/securitySchemes/{}",
                    crate::diff::pointer_segment(name)
                ))
                .map(|s| api.resolve(s));
            let kind = scheme
                .map(|s| {
                    let t = s.get("type").and_then(Value::as_str).unwrap_or("");
                    match (
                        t,
                        s.get("scheme").and_then(Value::as_str),
                        s.get("in").and_then(Value::as_str),
                        s.get("name").and_then(Value::as_str),
                    ) {
                        ("http", Some(scheme), _, _) => format!("HTTP {scheme}"),
                        ("apiKey", _, Some(place), Some(n)) => format!("API key in {place} `{n}`"),
                        (t, _, _, _) => t.to_owned(),
                    }
                })
                .unwrap_or_default();
            text::one_line(&format!("{name} ({kind})"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------
// Markdown

fn md_cell(s: &str) -> String {
    text::markdown_text(s).replace('|', "\\|")
}

fn md_rows(out: &mut String, rows: &[Row], dropped: usize, changes: Option<&Changes>) {
    out.push_str("| name | type | required | constraints | description | example |\n|---|---|---|---|---|---|\n");
    for r in rows {
        let mark = changes
            .map(|c| c.under(&r.pointer))
            .filter(|f| !f.is_empty())
            .map(|f| format!(" [changed](#{})", finding_anchor(f[0])))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {}{mark} | {} | {} | {} | {} | {} |",
            text::markdown_code(&r.name),
            md_cell(&r.typ),
            if r.required { "yes" } else { "no" },
            md_cell(&r.constraints),
            md_cell(&r.description),
            if r.example.is_empty() {
                String::new()
            } else {
                text::markdown_code(&r.example)
            },
        );
    }
    if dropped > 0 {
        let _ = writeln!(
            out,
            "\n… and {} not shown.",
            text::plural(dropped as u64, "more property", "more properties")
        );
    }
}

pub fn markdown(api: &Api, changes: Option<&Changes>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} {}\n",
        text::markdown_text(&api.title),
        text::markdown_code(&api.version)
    );
    if !api.server.is_empty() {
        let _ = writeln!(out, "Server: {}\n", text::markdown_code(&api.server));
    }
    if let Some(d) = api
        .root
        .pointer("/info/description")
        .and_then(Value::as_str)
    {
        let _ = writeln!(out, "{}\n", text::markdown_text(d));
    }
    if let Some(c) = changes {
        let _ = writeln!(
            out,
            "Changes since {}: {}, marked *changed* below.\n",
            text::markdown_code(&c.since),
            text::plural(c.findings.len() as u64, "finding", "findings")
        );
    }
    let groups = by_tag(api);
    out.push_str("## Contents\n\n");
    for (tag, ops) in &groups {
        let _ = writeln!(out, "- {} ({})", text::markdown_text(tag), ops.len());
    }
    for (tag, ops) in &groups {
        let _ = writeln!(out, "\n## {}\n", text::markdown_text(tag));
        for op in ops {
            let _ = writeln!(out, "<a id=\"{}\"></a>\n", anchor(op));
            let _ = write!(out, "### {}", text::markdown_code(&op.key()));
            if op.deprecated {
                out.push_str(" (deprecated)");
            }
            if let Some(c) = changes {
                let found = c.of_op(op);
                if let Some(f) = found.first() {
                    let _ = write!(out, " — [changed in this version](#{})", finding_anchor(f));
                }
            }
            out.push_str("\n\n");
            if !op.summary.is_empty() {
                let _ = writeln!(out, "{}\n", text::markdown_text(&op.summary));
            }
            if !op.description.is_empty() && op.description != op.summary {
                let _ = writeln!(out, "{}\n", text::markdown_text(&op.description));
            }
            if let Some(id) = &op.operation_id {
                let _ = writeln!(out, "Operation id: {}  ", text::markdown_code(id));
            }
            let _ = writeln!(out, "Security: {}\n", md_cell(&security_text(api, op)));
            if !op.params.is_empty() {
                out.push_str("**Parameters**\n\n| name | in | type | required | constraints | description | example |\n|---|---|---|---|---|---|---|\n");
                for p in &op.params {
                    let s = api.resolve(&p.schema);
                    let mark = changes
                        .map(|c| c.under(&p.pointer))
                        .filter(|f| !f.is_empty())
                        .map(|f| format!(" [changed](#{})", finding_anchor(f[0])))
                        .unwrap_or_default();
                    let example = p
                        .example
                        .as_ref()
                        .map(short)
                        .unwrap_or_else(|| example_of(s));
                    let _ = writeln!(
                        out,
                        "| {}{mark} | {} | {} | {} | {} | {} | {} |",
                        text::markdown_code(&p.name),
                        p.location.as_str(),
                        md_cell(&type_label(api, &p.schema)),
                        if p.required { "yes" } else { "no" },
                        md_cell(&constraints(s)),
                        md_cell(&text::one_line(&p.description)),
                        if example.is_empty() {
                            String::new()
                        } else {
                            text::markdown_code(&example)
                        },
                    );
                }
                out.push('\n');
            }
            if let Some(b) = &op.body {
                let _ = writeln!(
                    out,
                    "**Request body** ({}, {})\n",
                    text::markdown_code(&b.media_type),
                    if b.required { "required" } else { "optional" }
                );
                let (r, dropped) = rows(api, &b.schema, &format!("{}/schema", b.pointer));
                md_rows(&mut out, &r, dropped, changes);
                out.push('\n');
            }
            if !op.responses.is_empty() {
                out.push_str("**Responses**\n\n");
                for r in &op.responses {
                    let _ = write!(
                        out,
                        "- {} {}",
                        text::markdown_code(&r.status),
                        text::markdown_text(&text::one_line(&r.description))
                    );
                    if let (Some(t), Some(s)) = (&r.media_type, &r.schema) {
                        let _ = write!(
                            out,
                            " ({}: {})",
                            text::markdown_code(t),
                            md_cell(&type_label(api, s))
                        );
                    }
                    out.push('\n');
                }
                out.push('\n');
            }
        }
    }
    if let Some(c) = changes
        && !c.findings.is_empty()
    {
        let _ = writeln!(
            out,
            "\n## Changes since {}\n",
            text::markdown_code(&c.since)
        );
        for f in c.findings {
            let _ = writeln!(
                out,
                "- <a id=\"{}\"></a>**{}** {} `{}`",
                finding_anchor(f),
                f.level,
                text::markdown_message(&f.message),
                f.id
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------
// HTML

fn h(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if text::is_unsafe(c) => text::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The search box's script: filters operations and the contents by the
/// words typed. Its hash is in the page's CSP.
const SEARCH_JS: &str = r#"
const box = document.getElementById("search");
const ops = Array.from(document.querySelectorAll("section.op"));
const links = Array.from(document.querySelectorAll("nav a[data-op]"));
const count = document.getElementById("count");
box.addEventListener("input", () => {
  const words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  const visible = new Set();
  for (const op of ops) {
    const text = op.dataset.search || (op.dataset.search = op.textContent.toLowerCase());
    const hit = words.every((w) => text.includes(w));
    op.hidden = !hit;
    if (hit) { shown++; visible.add(op.id); }
  }
  for (const a of links) a.parentElement.hidden = !visible.has(a.dataset.op);
  for (const g of document.querySelectorAll("section.tag")) {
    g.hidden = !g.querySelector("section.op:not([hidden])");
  }
  count.textContent = words.length ? shown + " of " + ops.length + " operations" : "";
});
"#;

const STYLE: &str = "
:root { color-scheme: light dark; --fg: #1f2328; --bg: #fff; --muted: #656d76; --line: #d0d7de; --mark: #fff8c5; --code: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --line: #30363d; --mark: #3b2e00; --code: #161b22; } }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 0; display: grid; grid-template-columns: 300px 1fr; }
nav { position: sticky; top: 0; height: 100vh; overflow: auto; border-right: 1px solid var(--line); padding: 1em; box-sizing: border-box; font-size: .9em; }
nav ul { list-style: none; padding-left: .8em; margin: .2em 0 .8em; }
nav a { color: inherit; text-decoration: none; }
main { padding: 1em 2em; max-width: 1100px; overflow-wrap: break-word; min-width: 0; }
input#search { width: 100%; box-sizing: border-box; padding: .4em; margin-bottom: .3em; }
#count { color: var(--muted); font-size: .85em; }
code { background: var(--code); padding: 0 .2em; border-radius: 3px; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid var(--line); padding: .25em .5em; text-align: left; vertical-align: top; }
.method { font-weight: bold; text-transform: uppercase; }
.deprecated { color: var(--muted); text-decoration: line-through; }
.changed { background: var(--mark); border-radius: 3px; padding: 0 .3em; font-size: .8em; }
section.op { border-top: 1px solid var(--line); padding-top: .5em; }
.muted { color: var(--muted); }
";

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The page's Content-Security-Policy.
pub fn csp() -> String {
    let hash = base64(&Sha256::digest(SEARCH_JS.as_bytes()));
    format!("default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{hash}'")
}

fn html_rows(out: &mut String, rows: &[Row], dropped: usize, changes: Option<&Changes>) {
    out.push_str("<table><thead><tr><th>name</th><th>type</th><th>required</th><th>constraints</th><th>description</th><th>example</th></tr></thead><tbody>\n");
    for r in rows {
        let _ = write!(out, "<tr><td><code>{}</code>", h(&r.name));
        if let Some(c) = changes {
            let found = c.under(&r.pointer);
            if let Some(f) = found.first() {
                let _ = write!(
                    out,
                    " <a class=\"changed\" href=\"#{}\">changed</a>",
                    finding_anchor(f)
                );
            }
        }
        let _ = writeln!(
            out,
            "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            h(&r.typ),
            if r.required { "yes" } else { "no" },
            h(&r.constraints),
            h(&r.description),
            if r.example.is_empty() {
                String::new()
            } else {
                format!("<code>{}</code>", h(&r.example))
            }
        );
    }
    out.push_str("</tbody></table>\n");
    if dropped > 0 {
        let _ = writeln!(
            out,
            "<p class=\"muted\">… and {} not shown.</p>",
            text::plural(dropped as u64, "more property", "more properties")
        );
    }
}

pub fn html(api: &Api, changes: Option<&Changes>) -> String {
    let groups = by_tag(api);
    let mut out = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"color-scheme\" content=\"light dark\">\n",
    );
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        csp()
    );
    let _ = writeln!(
        out,
        "<title>{} {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        h(&api.title),
        h(&api.version)
    );
    out.push_str("<nav>\n<input id=\"search\" type=\"search\" placeholder=\"Search operations\" aria-label=\"Search operations\">\n<div id=\"count\"></div>\n");
    for (tag, ops) in &groups {
        let _ = writeln!(out, "<strong>{}</strong>\n<ul>", h(tag));
        for op in ops {
            let _ = writeln!(
                out,
                "<li><a data-op=\"{a}\" href=\"#{a}\"><span class=\"method\">{}</span> {}</a></li>",
                h(&op.method),
                h(&op.path),
                a = anchor(op)
            );
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</nav>\n<main>\n");
    let _ = writeln!(
        out,
        "<h1>{} <code>{}</code></h1>",
        h(&api.title),
        h(&api.version)
    );
    if !api.server.is_empty() {
        let _ = writeln!(out, "<p>Server: <code>{}</code></p>", h(&api.server));
    }
    if let Some(d) = api
        .root
        .pointer("/info/description")
        .and_then(Value::as_str)
    {
        let _ = writeln!(out, "<p>{}</p>", h(&text::one_line(d)));
    }
    if let Some(c) = changes {
        let _ = writeln!(
            out,
            "<p>Changes since <code>{}</code>: <a href=\"#changes\">{}</a>, marked <span class=\"changed\">changed</span> below.</p>",
            h(&c.since),
            text::plural(c.findings.len() as u64, "finding", "findings")
        );
    }
    for (tag, ops) in &groups {
        let _ = writeln!(out, "<section class=\"tag\">\n<h2>{}</h2>", h(tag));
        for op in ops {
            let _ = write!(out, "<section class=\"op\" id=\"{}\">\n<h3", anchor(op));
            if op.deprecated {
                out.push_str(" class=\"deprecated\"");
            }
            let _ = write!(
                out,
                "><span class=\"method\">{}</span> <code>{}</code></h3>",
                h(&op.method),
                h(&op.path)
            );
            if let Some(c) = changes
                && let Some(f) = c.of_op(op).first()
            {
                let _ = write!(
                    out,
                    "<p><a class=\"changed\" href=\"#{}\">changed in this version</a></p>",
                    finding_anchor(f)
                );
            }
            out.push('\n');
            if !op.summary.is_empty() {
                let _ = writeln!(out, "<p>{}</p>", h(&text::one_line(&op.summary)));
            }
            if !op.description.is_empty() && op.description != op.summary {
                let _ = writeln!(
                    out,
                    "<p class=\"muted\">{}</p>",
                    h(&text::one_line(&op.description))
                );
            }
            let _ = write!(out, "<p class=\"muted\">");
            if let Some(id) = &op.operation_id {
                let _ = write!(out, "Operation id <code>{}</code> · ", h(id));
            }
            let _ = writeln!(out, "Security: {}</p>", h(&security_text(api, op)));
            if !op.params.is_empty() {
                out.push_str("<h4>Parameters</h4>\n<table><thead><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>constraints</th><th>description</th><th>example</th></tr></thead><tbody>\n");
                for p in &op.params {
                    let s = api.resolve(&p.schema);
                    let _ = write!(out, "<tr><td><code>{}</code>", h(&p.name));
                    if let Some(c) = changes
                        && let Some(f) = c.under(&p.pointer).first()
                    {
                        let _ = write!(
                            out,
                            " <a class=\"changed\" href=\"#{}\">changed</a>",
                            finding_anchor(f)
                        );
                    }
                    let example = p
                        .example
                        .as_ref()
                        .map(short)
                        .unwrap_or_else(|| example_of(s));
                    let _ = writeln!(
                        out,
                        "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        p.location.as_str(),
                        h(&type_label(api, &p.schema)),
                        if p.required { "yes" } else { "no" },
                        h(&constraints(s)),
                        h(&text::one_line(&p.description)),
                        if example.is_empty() {
                            String::new()
                        } else {
                            format!("<code>{}</code>", h(&example))
                        }
                    );
                }
                out.push_str("</tbody></table>\n");
            }
            if let Some(b) = &op.body {
                let _ = writeln!(
                    out,
                    "<h4>Request body <code>{}</code> <span class=\"muted\">{}</span></h4>",
                    h(&b.media_type),
                    if b.required { "required" } else { "optional" }
                );
                let (r, dropped) = rows(api, &b.schema, &format!("{}/schema", b.pointer));
                html_rows(&mut out, &r, dropped, changes);
            }
            if !op.responses.is_empty() {
                out.push_str("<h4>Responses</h4>\n<ul>\n");
                for r in &op.responses {
                    let _ = write!(
                        out,
                        "<li><code>{}</code> {}",
                        h(&r.status),
                        h(&text::one_line(&r.description))
                    );
                    if let (Some(t), Some(s)) = (&r.media_type, &r.schema) {
                        let _ = write!(
                            out,
                            " <span class=\"muted\">({}: {})</span>",
                            h(t),
                            h(&type_label(api, s))
                        );
                    }
                    out.push_str("</li>\n");
                }
                out.push_str("</ul>\n");
            }
            out.push_str("</section>\n");
        }
        out.push_str("</section>\n");
    }
    if let Some(c) = changes
        && !c.findings.is_empty()
    {
        let _ = writeln!(
            out,
            "<section id=\"changes\">\n<h2>Changes since <code>{}</code></h2>\n<ul>",
            h(&c.since)
        );
        for f in c.findings {
            let _ = writeln!(
                out,
                "<li id=\"{}\"><strong>{}</strong> {} <code>{}</code></li>",
                finding_anchor(f),
                f.level,
                h(&text::one_line(&f.message)),
                f.id
            );
        }
        out.push_str("</ul>\n</section>\n");
    }
    let _ = writeln!(
        out,
        "<footer class=\"muted\"><p>Generated by apiradar.</p></footer>\n</main>\n<script>{SEARCH_JS}</script>\n</body>\n</html>"
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_of_known_strings() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn hostile_text_stays_text() {
        let doc: Value = serde_json::from_str(
            r##"{"openapi": "3.0.0", "info": {"title": "<script>alert(1)</script>", "version": "1"},
                "paths": {"/x": {"get": {"summary": "# Heading\n<img src=x onerror=alert(1)>",
                 "tags": ["a | b"], "responses": {"200": {"description": "[link](javascript:alert(1))"}}}}}}"##,
        )
        .unwrap();
        let api = Api::new(&doc);
        let page = html(&api, None);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert_eq!(
            page.matches("<script>").count(),
            1,
            "only the search script"
        );
        let md = markdown(&api, None);
        assert!(!md.contains("\n# Heading"), "{md}");
        // Markup is escaped, so it shows as text.
        assert!(md.contains("\\<img") && !md.contains(" <img"), "{md}");
        assert!(
            md.contains("\\[link\\](javascript") && !md.contains("[link]("),
            "{md}"
        );
    }
}
