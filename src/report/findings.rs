//! Renderings of diff findings: text grouped by endpoint, Markdown for
//! changelogs and pull requests, JSON for tools, JUnit XML and GitHub
//! Actions workflow commands for CI, and a self-contained HTML page.
//!
//! Every string in a finding comes from a fetched document, so each format
//! escapes all of it for its own syntax; the tests feed hostile text through
//! every renderer.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::diff::{Finding, Level};
use crate::text::{self, Line};

/// `{"changes": [...]}`, one object per finding.
pub fn findings_json(findings: &[Finding]) -> Value {
    json!({ "changes": findings })
}

/// The heading a finding is grouped under: its operation, the document
/// for JSON and page findings (their messages name the item), or the API
/// as a whole.
fn finding_place(f: &Finding) -> String {
    match (&f.operation, &f.path) {
        (Some(m), Some(p)) => format!("{m} {p}"),
        (None, _) if f.id.starts_with("json-") || f.id.starts_with("page-") => {
            "the document".into()
        }
        _ => "the API as a whole".into(),
    }
}

/// Findings grouped by endpoint, most severe first within each. Every
/// field is one line with its control characters shown as escapes
/// ([`text::line`]), so nothing in a document can move the cursor, clear
/// the screen or start a line of its own.
pub fn findings_text(base: &str, revision: &str, kind: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "{} → {} ({kind}): {}\n",
        Line(base),
        Line(revision),
        summary(findings)
    );
    let mut current = None;
    for f in findings {
        let place = finding_place(f);
        if current.as_ref() != Some(&place) {
            out.push_str(&format!("\n{}\n", Line(&place)));
            current = Some(place);
        }
        out.push_str(&format!(
            "  {:<7} {}  [{}]\n",
            f.level.as_str(),
            Line(&text::one_line_cut(&f.message, text::ONE_LINE_CHARS)),
            Line(f.id)
        ));
    }
    out
}

/// A Markdown section for changelogs and pull requests. Every line starts
/// with apiradar's own markup; what comes from the documents is one line of
/// escaped text or a code span that survives backticks
/// ([`text::markdown_message`], [`text::markdown_code`]).
pub fn findings_markdown(base: &str, revision: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "## API changes: {} → {}\n\n{}\n",
        text::markdown_code(base),
        text::markdown_code(revision),
        summary(findings)
    );
    let mut current = None;
    for f in findings {
        let place = finding_place(f);
        if current.as_ref() != Some(&place) {
            out.push_str(&format!("\n### {}\n\n", text::markdown_code(&place)));
            current = Some(place);
        }
        let mark = match f.level {
            Level::Error => "**breaking**",
            Level::Warning => "warning",
            Level::Info => "info",
        };
        out.push_str(&format!(
            "- {mark}: {} ({})\n",
            text::markdown_message(&text::one_line_cut(&f.message, text::ONE_LINE_CHARS)),
            text::markdown_code(f.id)
        ));
    }
    out
}

fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no changes at the level shown".into();
    }
    let count = |l| findings.iter().filter(|f| f.level == l).count();
    format!(
        "{}, {}, {} info",
        text::count(count(Level::Error), "error", "errors"),
        text::count(count(Level::Warning), "warning", "warnings"),
        text::thousands(count(Level::Info))
    )
}

/// The operation a finding concerns, as `(METHOD, path)`, or `None` for a
/// finding about the API as a whole.
fn operation_of(f: &Finding) -> Option<(&str, &str)> {
    match (&f.operation, &f.path) {
        (Some(m), Some(p)) => Some((&**m, &**p)),
        _ => None,
    }
}

/// One operation and its findings.
struct Group<'a> {
    operation: Option<(&'a str, &'a str)>,
    findings: Vec<&'a Finding>,
}

impl Group<'_> {
    fn label(&self) -> String {
        match self.operation {
            Some((m, p)) => format!("{m} {p}"),
            None => "api".into(),
        }
    }

    fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// Findings grouped by operation, groups in the order their operation first
/// appears. The diff engine already sorts by operation, but filtered or
/// merged lists may not be, and a JUnit test case or an HTML section must
/// not be split in two.
fn groups(findings: &[Finding]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut index: HashMap<Option<(&str, &str)>, usize> = HashMap::new();
    for f in findings {
        let key = operation_of(f);
        let i = *index.entry(key).or_insert_with(|| {
            out.push(Group {
                operation: key,
                findings: Vec::new(),
            });
            out.len() - 1
        });
        out[i].findings.push(f);
    }
    out
}

/// `[errors, warnings, infos]`.
fn counts(findings: &[Finding]) -> [usize; 3] {
    let count = |l| findings.iter().filter(|f| f.level == l).count();
    [
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info),
    ]
}

// ---------------------------------------------------------------------------
// JUnit XML

/// Whether XML 1.0 allows the character at all, even as a reference.
fn xml_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Escapes text content. Control characters and bidi controls are shown
/// as visible escapes ([`text::push_visible`]), other characters XML
/// cannot carry become U+FFFD; a carriage return is kept as a reference, as
/// a parser would otherwise fold it into the newline after it.
fn xml_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if text::is_unsafe(c) => text::push_visible(&mut out, c),
            c if !xml_allowed(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escapes an attribute value written between double quotes. Tabs and line
/// breaks become references, since a parser turns literal ones into spaces.
fn xml_attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if text::is_unsafe(c) => text::push_visible(&mut out, c),
            c if !xml_allowed(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A finding as a few plain lines, for the body of a JUnit failure or its
/// `system-out`: what, where in each document, and the fingerprint to put
/// in an ignore file.
fn finding_block(f: &Finding) -> String {
    let mut out = format!("{} {}: {}\n", f.level, f.id, f.message);
    if let (None, Some(path)) = (&f.operation, &f.path) {
        let _ = writeln!(out, "  path: {path}");
    }
    if let Some(p) = &f.base_pointer {
        let _ = writeln!(out, "  base: {p}");
    }
    if let Some(p) = &f.revision_pointer {
        let _ = writeln!(out, "  revision: {p}");
    }
    let _ = writeln!(out, "  fingerprint: {}", f.fingerprint);
    out
}

/// A JUnit XML report, as CI servers (GitLab, Jenkins, GitHub test
/// reporters) read it.
///
/// - One `<testsuite>` named after the comparison, holding one
///   `<testcase>` per operation; `classname` and `name` are both
///   `METHOD path`, or `api` for findings about the whole document.
/// - A test case fails when its operation has error-level findings. It then
///   has exactly one `<failure>`: most readers (Jenkins, GitLab) keep only
///   the first failure of a test case, so several would hide findings. With
///   one error, `type` is its check id and `message` its message; with
///   more, `type` lists the distinct ids and `message` joins the messages.
///   The body lists every error with its pointers and fingerprint.
/// - Warnings and info findings do not fail the test: they are listed in
///   the test case's `<system-out>`, so a report fails exactly when the
///   comparison has breaking changes (`--fail-on` decides the exit code
///   separately).
/// - With no findings the suite holds one passing test case, `api`: a
///   report with zero tests is an error for some readers (Jenkins).
/// - `tests` and `failures` count test cases, as JUnit readers expect; the
///   finding counts per level are `<properties>` of the suite.
pub fn findings_junit(base: &str, revision: &str, findings: &[Finding]) -> String {
    let groups = groups(findings);
    let tests = groups.len().max(1);
    let failures = groups.iter().filter(|g| g.count(Level::Error) > 0).count();
    let [errors, warnings, infos] = counts(findings);
    let suite = xml_attr(&format!("apiradar diff {base} → {revision}"));

    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"apiradar\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">"
    );
    out.push_str("    <properties>\n");
    for (name, value) in [
        ("base", base.to_string()),
        ("revision", revision.to_string()),
        ("findings.error", errors.to_string()),
        ("findings.warning", warnings.to_string()),
        ("findings.info", infos.to_string()),
    ] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            xml_attr(&value)
        );
    }
    out.push_str("    </properties>\n");

    if groups.is_empty() {
        out.push_str("    <testcase classname=\"api\" name=\"api\"/>\n");
    }
    for g in &groups {
        let label = xml_attr(&g.label());
        let errs: Vec<&Finding> = g
            .findings
            .iter()
            .copied()
            .filter(|f| f.level == Level::Error)
            .collect();
        let others: Vec<&Finding> = g
            .findings
            .iter()
            .copied()
            .filter(|f| f.level != Level::Error)
            .collect();
        if errs.is_empty() && others.is_empty() {
            let _ = writeln!(
                out,
                "    <testcase classname=\"{label}\" name=\"{label}\"/>"
            );
            continue;
        }
        let _ = writeln!(out, "    <testcase classname=\"{label}\" name=\"{label}\">");
        if let [only] = errs.as_slice() {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_attr(only.id),
                xml_attr(&only.message),
                xml_text(&finding_block(only))
            );
        } else if !errs.is_empty() {
            let mut ids: Vec<&str> = Vec::new();
            for f in &errs {
                if !ids.contains(&f.id) {
                    ids.push(f.id);
                }
            }
            let messages: Vec<&str> = errs.iter().map(|f| &*f.message).collect();
            let message = format!("{} breaking changes: {}", errs.len(), messages.join("; "));
            let body: String = errs.iter().map(|f| finding_block(f)).collect();
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                xml_attr(&ids.join(", ")),
                xml_attr(&message),
                xml_text(&body)
            );
        }
        if !others.is_empty() {
            let body: String = others.iter().map(|f| finding_block(f)).collect();
            let _ = writeln!(out, "      <system-out>{}</system-out>", xml_text(&body));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

// ---------------------------------------------------------------------------
// GitHub Actions

/// Escapes the message of a workflow command: `%`, CR and LF, so hostile
/// text cannot end the command early or start a new one on its own line.
/// Other control characters are shown as visible escapes.
fn github_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if text::is_unsafe(c) => text::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a property value of a workflow command: as the message, plus
/// `:` and `,`, which end a property.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one line per finding:
/// `::error title=ID::METHOD path: message`, with `::warning` and
/// `::notice` for the lower levels; a finding about the whole document has
/// no `METHOD path: ` prefix. Printed in a workflow step, each line becomes
/// an annotation on the run (GitHub shows a limited number per step and
/// keeps the rest in the log). No findings, no output.
pub fn findings_github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let command = match f.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "notice",
        };
        let text = match operation_of(f) {
            Some((m, p)) => format!("{m} {p}: {}", f.message),
            None => f.message.to_string(),
        };
        let _ = writeln!(
            out,
            "::{command} title={}::{}",
            github_property(f.id),
            github_data(&text)
        );
    }
    out
}

// ---------------------------------------------------------------------------
// HTML

/// Escapes text for HTML content and double- or single-quoted attribute
/// values alike. Control characters and bidi controls are shown as visible
/// escapes ([`text::push_visible`]).
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if text::is_unsafe(c) => text::push_visible(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// The page's style: light colours by default, dark ones when the reader's
/// system prefers them. Levels are told apart by their badge text as well
/// as by colour.
pub(crate) const HTML_STYLE: &str = "
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1f2328; --muted: #59636e; --border: #d1d9e0;
  --panel: #f6f8fa; --code: #eff2f5;
  --error-bg: #ffebe9; --error-fg: #a40e26;
  --warning-bg: #fff8c5; --warning-fg: #7d4e00;
  --info-bg: #ddf4ff; --info-fg: #0550ae;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --border: #3d444d;
    --panel: #151b23; --code: #262c36;
    --error-bg: #5d0f12; --error-fg: #ffc1bc;
    --warning-bg: #4b3800; --warning-fg: #f2d46b;
    --info-bg: #0c2d6b; --info-fg: #a5d6ff;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0 auto; max-width: 80rem; padding: 1.5rem;
  background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
}
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 0; padding: .6rem .8rem; background: var(--panel);
  border-bottom: 1px solid var(--border); display: flex; flex-wrap: wrap; gap: .5rem;
  align-items: center; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .9em; background: var(--code); padding: .05em .3em; border-radius: 4px;
  overflow-wrap: anywhere; }
.comparison { color: var(--muted); margin: 0 0 1rem; }
.summary { display: flex; flex-wrap: wrap; gap: .75rem; list-style: none; padding: 0;
  margin: 0 0 1.5rem; }
.summary li { border: 1px solid var(--border); border-radius: 6px; padding: .4rem .8rem;
  background: var(--panel); }
.summary strong { font-size: 1.2rem; margin-left: .4rem; }
section { border: 1px solid var(--border); border-radius: 6px; margin: 0 0 1rem;
  overflow: hidden; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45rem .8rem;
  border-top: 1px solid var(--border); }
thead th { border-top: 0; color: var(--muted); font-weight: 600; font-size: .85em; }
.badge { display: inline-block; min-width: 4.5em; text-align: center; padding: .05em .5em;
  border-radius: 1em; font-size: .8em; font-weight: 700; text-transform: uppercase;
  letter-spacing: .03em; }
.badge.error { background: var(--error-bg); color: var(--error-fg); }
.badge.warning { background: var(--warning-bg); color: var(--warning-fg); }
.badge.info { background: var(--info-bg); color: var(--info-fg); }
.where { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: .1rem .5rem; }
.where dt { color: var(--muted); }
.where dd { margin: 0; }
.fingerprint { color: var(--muted); font-size: .8em; }
.empty, footer { color: var(--muted); }
";

pub(crate) fn badge(level: Level) -> String {
    format!("<span class=\"badge {l}\">{l}</span>", l = level.as_str())
}

/// A self-contained HTML report: one file, inline style, no scripts and
/// nothing fetched (a Content-Security-Policy says so to the browser too),
/// readable in light and dark mode. A summary of counts per level, then one
/// section per operation with its findings, most severe first: level badge,
/// message, check id and fingerprint, and the JSON pointers into each
/// document.
pub fn findings_html(base: &str, revision: &str, findings: &[Finding]) -> String {
    let [errors, warnings, infos] = counts(findings);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    let _ = writeln!(
        out,
        "<title>API changes: {} → {}</title>",
        html(base),
        html(revision)
    );
    let _ = writeln!(
        out,
        "<style>{HTML_STYLE}</style>\n</head>\n<body>\n<header>"
    );
    out.push_str("<h1>API changes</h1>\n");
    let _ = writeln!(
        out,
        "<p class=\"comparison\"><code>{}</code> → <code>{}</code></p>",
        html(base),
        html(revision)
    );
    out.push_str("<ul class=\"summary\">\n");
    for (level, n) in [
        (Level::Error, errors),
        (Level::Warning, warnings),
        (Level::Info, infos),
    ] {
        let _ = writeln!(out, "<li>{}<strong>{n}</strong></li>", badge(level));
    }
    out.push_str("</ul>\n</header>\n<main>\n");

    if findings.is_empty() {
        out.push_str("<p class=\"empty\">No changes at the level shown.</p>\n");
    }
    for g in groups(findings) {
        let title = match g.operation {
            Some((m, p)) => format!("<code>{} {}</code>", html(m), html(p)),
            None => "The API as a whole".into(),
        };
        let _ = writeln!(out, "<section>\n<h2>{title}");
        for level in [Level::Error, Level::Warning, Level::Info] {
            let n = g.count(level);
            if n > 0 {
                let _ = write!(out, " <span class=\"badge {}\">{n} {}</span>", level, level);
            }
        }
        out.push_str("</h2>\n<table>\n<thead><tr><th>Level</th><th>Change</th><th>Check</th><th>Where</th></tr></thead>\n<tbody>\n");
        let mut sorted = g.findings.clone();
        // Stable: findings of one level keep the engine's order.
        sorted.sort_by_key(|f| std::cmp::Reverse(f.level));
        for f in sorted {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td><code>{}</code><br><span class=\"fingerprint\" title=\"fingerprint, for ignore files\">{}</span></td><td>",
                badge(f.level),
                html(&f.message),
                html(f.id),
                html(&f.fingerprint)
            );
            // Findings without an operation (JSON and page watches) carry
            // their own readable locator in `path`.
            let locator = match (&f.operation, &f.path) {
                (None, Some(path)) => Some(&**path),
                _ => None,
            };
            if locator.is_some() || f.base_pointer.is_some() || f.revision_pointer.is_some() {
                out.push_str("<dl class=\"where\">");
                for (name, pointer) in [
                    ("path", &locator),
                    ("base", &f.base_pointer.as_deref()),
                    ("revision", &f.revision_pointer.as_deref()),
                ] {
                    if let Some(p) = pointer {
                        let _ = write!(out, "<dt>{name}</dt><dd><code>{}</code></dd>", html(p));
                    }
                }
                out.push_str("</dl>");
            }
            out.push_str("</td></tr>\n");
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</main>\n<footer><p>Generated by apiradar.</p></footer>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "<script>alert(\"x&y\")</script> 'q' 100%0A\nnext line\r\n::error::pwned";

    fn finding(id: &'static str, level: Level, op: Option<(&str, &str)>, message: &str) -> Finding {
        Finding {
            id,
            level,
            operation: op.map(|(m, _)| m.into()),
            path: op.map(|(_, p)| p.into()),
            message: message.into(),
            base_pointer: Some("/paths/~1pets/get".into()),
            revision_pointer: Some("/paths/~1pets/get/parameters/0".into()),
            fingerprint: "0123456789abcdef".into(),
            cause: None,
        }
    }

    /// An element as the checker saw it, attribute values unescaped.
    #[derive(Debug)]
    struct Element {
        name: String,
        attrs: Vec<(String, String)>,
    }

    impl Element {
        fn attr(&self, name: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        }
    }

    /// Resolves the entities this module writes; anything else (a bare `&`,
    /// an unknown name) is an error.
    fn unescape(s: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let end = after
                .find(';')
                .ok_or_else(|| format!("bare `&` before {after:.20}"))?;
            let name = &after[..end];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad reference &{n};"))?,
                n if n.starts_with('#') => n[1..]
                    .parse::<u32>()
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| format!("bad reference &{n};"))?,
                n => return Err(format!("unknown entity &{n};")),
            };
            out.push(c);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn is_name(s: &str) -> bool {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
    }

    /// A small well-formedness checker, enough for what this module writes:
    /// every start tag is closed in order (except the HTML `void` ones),
    /// names are plain, attribute values are double-quoted without `<`,
    /// and text and values use only valid entities. Returns the elements in
    /// document order and all text content, unescaped.
    fn check_markup(doc: &str, void: &[&str]) -> Result<(Vec<Element>, String), String> {
        let mut stack: Vec<String> = Vec::new();
        let mut elements = Vec::new();
        let mut text = String::new();
        let mut rest = doc;
        while let Some(i) = rest.find('<') {
            text.push_str(&unescape(&rest[..i])?);
            rest = &rest[i..];
            if let Some(r) = rest.strip_prefix("<?") {
                let end = r.find("?>").ok_or("unterminated <?")?;
                rest = &r[end + 2..];
                continue;
            }
            if let Some(r) = rest.strip_prefix("<!DOCTYPE") {
                let end = r.find('>').ok_or("unterminated doctype")?;
                rest = &r[end + 1..];
                continue;
            }
            if let Some(r) = rest.strip_prefix("</") {
                let end = r.find('>').ok_or("unterminated end tag")?;
                let name = &r[..end];
                match stack.pop() {
                    Some(open) if open == name => {}
                    other => return Err(format!("</{name}> closes {other:?}")),
                }
                rest = &r[end + 1..];
                continue;
            }
            let mut r = &rest[1..];
            let name_end = r
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .ok_or("unterminated start tag")?;
            let name = &r[..name_end];
            if !is_name(name) {
                return Err(format!("bad tag name {name:?}"));
            }
            r = &r[name_end..];
            let mut attrs = Vec::new();
            loop {
                r = r.trim_start();
                if let Some(x) = r.strip_prefix("/>") {
                    r = x;
                    break;
                }
                if let Some(x) = r.strip_prefix('>') {
                    if !void.contains(&name) {
                        stack.push(name.to_string());
                    }
                    r = x;
                    break;
                }
                let eq = r
                    .find('=')
                    .ok_or_else(|| format!("attribute without value in <{name}>"))?;
                let attr = &r[..eq];
                if !is_name(attr) {
                    return Err(format!("bad attribute name {attr:?} in <{name}>"));
                }
                let value = r[eq + 1..]
                    .strip_prefix('"')
                    .ok_or_else(|| format!("unquoted value of {attr} in <{name}>"))?;
                let close = value.find('"').ok_or("unterminated attribute value")?;
                let raw = &value[..close];
                if raw.contains('<') {
                    return Err(format!("raw `<` in attribute {attr}"));
                }
                attrs.push((attr.to_string(), unescape(raw)?));
                r = &value[close + 1..];
            }
            elements.push(Element {
                name: name.to_string(),
                attrs,
            });
            rest = r;
        }
        text.push_str(&unescape(rest)?);
        if !stack.is_empty() {
            return Err(format!("unclosed elements {stack:?}"));
        }
        Ok((elements, text))
    }

    fn check_xml(doc: &str) -> (Vec<Element>, String) {
        match check_markup(doc, &[]) {
            Ok(parsed) => parsed,
            Err(e) => panic!("not well-formed: {e}\n{doc}"),
        }
    }

    const HTML_VOID: &[&str] = &["meta", "br"];

    fn check_html(doc: &str) -> (Vec<Element>, String) {
        match check_markup(doc, HTML_VOID) {
            Ok(parsed) => parsed,
            Err(e) => panic!("not well-formed: {e}\n{doc}"),
        }
    }

    fn named<'a>(elements: &'a [Element], name: &str) -> Vec<&'a Element> {
        elements.iter().filter(|e| e.name == name).collect()
    }

    #[test]
    fn the_checker_rejects_broken_markup() {
        for bad in [
            "<a><b></a></b>",
            "<a>",
            "<a x=\"<\"/>",
            "<a>&nope;</a>",
            "<a>fish & chips</a>",
            "<a x='1'/>",
            "<a><script>",
        ] {
            assert!(check_markup(bad, &[]).is_err(), "{bad}");
        }
        assert!(check_markup("<a x=\"&quot;\"><b/>&#10;</a>", &[]).is_ok());
    }

    #[test]
    fn junit_round_trips_hostile_text() {
        let op = Some(("GET", "/a\"b<c>&d"));
        let findings = vec![
            finding("request-parameter-removed", Level::Error, op, HOSTILE),
            finding(
                "response-optional-property-removed",
                Level::Warning,
                op,
                HOSTILE,
            ),
        ];
        let base = "base \"v1\" <&>";
        let out = findings_junit(base, "rev'2", &findings);
        assert!(!out.contains("<script>"));
        let (elements, text) = check_xml(&out);

        let case = named(&elements, "testcase");
        assert_eq!(case.len(), 1);
        assert_eq!(case[0].attr("classname"), Some("GET /a\"b<c>&d"));
        assert_eq!(case[0].attr("name"), Some("GET /a\"b<c>&d"));

        let failure = named(&elements, "failure");
        assert_eq!(failure.len(), 1);
        assert_eq!(failure[0].attr("type"), Some("request-parameter-removed"));
        // Newlines and the carriage return survive as references.
        assert_eq!(failure[0].attr("message"), Some(HOSTILE));
        assert!(text.contains(HOSTILE), "{text}");

        let suite = named(&elements, "testsuite");
        assert_eq!(
            suite[0].attr("name"),
            Some("apiradar diff base \"v1\" <&> → rev'2")
        );
        let props = named(&elements, "property");
        assert_eq!(props[0].attr("value"), Some(base));
    }

    #[test]
    fn junit_has_one_test_case_per_operation_and_counts_them() {
        let get = Some(("GET", "/pets"));
        let post = Some(("POST", "/pets"));
        let put = Some(("PUT", "/pets/{id}"));
        let findings = vec![
            finding("request-parameter-removed", Level::Error, get, "a removed"),
            finding("response-success-status-removed", Level::Error, post, "b"),
            finding(
                "response-optional-property-removed",
                Level::Warning,
                put,
                "w",
            ),
            finding("api-tag-added", Level::Info, None, "tag added"),
            // Not next to its operation's other finding.
            finding(
                "request-parameter-became-required",
                Level::Error,
                get,
                "c required",
            ),
        ];
        let out = findings_junit("a", "b", &findings);
        let (elements, _) = check_xml(&out);

        let cases = named(&elements, "testcase");
        let names: Vec<_> = cases.iter().filter_map(|c| c.attr("classname")).collect();
        assert_eq!(names, ["GET /pets", "POST /pets", "PUT /pets/{id}", "api"]);
        for suite in named(&elements, "testsuite")
            .into_iter()
            .chain(named(&elements, "testsuites"))
        {
            assert_eq!(suite.attr("tests"), Some("4"));
            assert_eq!(suite.attr("failures"), Some("2"));
            assert_eq!(suite.attr("errors"), Some("0"));
        }
        let props: Vec<_> = named(&elements, "property")
            .iter()
            .map(|p| (p.attr("name"), p.attr("value")))
            .collect();
        assert!(props.contains(&(Some("findings.error"), Some("3"))));
        assert!(props.contains(&(Some("findings.warning"), Some("1"))));
        assert!(props.contains(&(Some("findings.info"), Some("1"))));

        // Two errors on GET /pets: one failure naming both.
        let failures = named(&elements, "failure");
        assert_eq!(failures.len(), 2);
        assert_eq!(
            failures[0].attr("type"),
            Some("request-parameter-removed, request-parameter-became-required")
        );
        assert_eq!(
            failures[0].attr("message"),
            Some("2 breaking changes: a removed; c required")
        );
        // Warnings and info go to system-out, failing nothing.
        assert_eq!(named(&elements, "system-out").len(), 2);
        assert!(out.contains("warning response-optional-property-removed: w"));
        assert!(out.contains("fingerprint: 0123456789abcdef"));
    }

    #[test]
    fn junit_without_findings_is_one_passing_test() {
        let out = findings_junit("a", "b", &[]);
        let (elements, _) = check_xml(&out);
        assert!(out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
        assert_eq!(named(&elements, "testcase").len(), 1);
        assert!(named(&elements, "failure").is_empty());
        assert_eq!(named(&elements, "testsuite")[0].attr("tests"), Some("1"));
        assert_eq!(named(&elements, "testsuite")[0].attr("failures"), Some("0"));
    }

    #[test]
    fn junit_replaces_characters_xml_cannot_carry() {
        let f = finding(
            "api-tag-added",
            Level::Error,
            None,
            "bell\u{7} nul\u{0} end\u{FFFF}",
        );
        let out = findings_junit("a", "b", &[f]);
        check_xml(&out);
        assert!(!out.contains('\u{7}') && !out.contains('\u{0}') && !out.contains('\u{FFFF}'));
        assert!(out.contains("bell\\x07 nul\\x00 end\u{FFFD}"));
    }

    #[test]
    fn github_writes_one_command_line_per_finding() {
        let findings = vec![
            finding(
                "request-parameter-removed",
                Level::Error,
                Some(("GET", "/pets")),
                HOSTILE,
            ),
            finding(
                "response-optional-property-removed",
                Level::Warning,
                Some(("PUT", "/x")),
                "w",
            ),
            finding("api-tag-added", Level::Info, None, "tag `beta` added"),
        ];
        let out = findings_github(&findings);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert!(out.ends_with('\n'));
        assert_eq!(
            lines[0],
            "::error title=request-parameter-removed::GET /pets: <script>alert(\"x&y\")</script> 'q' 100%250A%0Anext line%0D%0A::error::pwned"
        );
        assert_eq!(
            lines[1],
            "::warning title=response-optional-property-removed::PUT /x: w"
        );
        assert_eq!(lines[2], "::notice title=api-tag-added::tag `beta` added");
    }

    #[test]
    fn github_escapes_property_separators() {
        let f = finding("odd:id,with%\nall", Level::Error, None, "m");
        assert_eq!(
            findings_github(&[f]),
            "::error title=odd%3Aid%2Cwith%25%0Aall::m\n"
        );
        assert_eq!(findings_github(&[]), "");
    }

    #[test]
    fn html_escapes_hostile_text_everywhere() {
        let op = Some(("GET", "/a\"b<script>"));
        let mut f = finding("request-parameter-removed", Level::Error, op, HOSTILE);
        f.base_pointer = Some("/paths/<script>\"x\"".into());
        let out = findings_html("<b>base</b>", "rev\"'&", &[f]);
        assert!(!out.to_ascii_lowercase().contains("<script"), "{out}");
        let (elements, text) = check_html(&out);
        let allowed = [
            "html", "head", "meta", "title", "style", "body", "header", "h1", "p", "code", "ul",
            "li", "span", "strong", "main", "section", "h2", "table", "thead", "tbody", "tr", "th",
            "td", "br", "dl", "dt", "dd", "footer",
        ];
        for e in &elements {
            assert!(
                allowed.contains(&e.name.as_str()),
                "unexpected <{}>",
                e.name
            );
        }
        assert!(text.contains(HOSTILE));
        assert!(text.contains("GET /a\"b<script>"));
        assert!(text.contains("/paths/<script>\"x\""));
        assert!(text.contains("<b>base</b>"));
        assert!(text.contains("rev\"'&"));
    }

    #[test]
    fn html_is_self_contained_and_groups_by_operation() {
        let get = Some(("GET", "/pets"));
        let findings = vec![
            finding(
                "new-optional-request-parameter",
                Level::Info,
                get,
                "info first",
            ),
            finding("api-tag-added", Level::Info, None, "tag"),
            finding(
                "request-parameter-removed",
                Level::Error,
                get,
                "error later",
            ),
            finding(
                "response-optional-property-removed",
                Level::Warning,
                get,
                "warn",
            ),
        ];
        let out = findings_html("a", "b", &findings);
        let (elements, _) = check_html(&out);
        assert!(out.starts_with("<!DOCTYPE html>"));
        for external in ["<script", "<link", "src=", "href=", "url(", "@import"] {
            assert!(!out.contains(external), "{external}");
        }
        assert!(out.contains("prefers-color-scheme: dark"));
        assert!(out.contains("Content-Security-Policy"));

        let sections = named(&elements, "section");
        assert_eq!(sections.len(), 2);
        // Most severe first within the operation.
        let e = out.find("error later").unwrap_or(usize::MAX);
        let w = out.find(">warn<").unwrap_or(usize::MAX);
        let i = out.find("info first").unwrap_or(usize::MAX);
        assert!(e < w && w < i, "{out}");
        // Summary counts per level.
        assert!(
            out.contains("<li><span class=\"badge error\">error</span><strong>1</strong></li>")
        );
        assert!(
            out.contains("<li><span class=\"badge warning\">warning</span><strong>1</strong></li>")
        );
        assert!(out.contains("<li><span class=\"badge info\">info</span><strong>2</strong></li>"));
        // Check ids, fingerprints and pointers are shown.
        assert!(out.contains("<code>request-parameter-removed</code>"));
        assert!(out.contains("0123456789abcdef"));
        assert!(out.contains("/paths/~1pets/get/parameters/0"));
    }

    #[test]
    fn findings_without_an_operation_show_their_path() {
        let mut f = finding(
            "json-field-removed",
            Level::Warning,
            None,
            "model x: price removed",
        );
        f.path = Some("/data/[id=x]/<price>".into());
        let html_out = findings_html("a", "b", &[f.clone()]);
        let (_, text) = check_html(&html_out);
        assert!(text.contains("path/data/[id=x]/<price>"), "{text}");
        assert!(html_out.contains("The API as a whole"));
        let junit = findings_junit("a", "b", &[f.clone()]);
        let (elements, text) = check_xml(&junit);
        assert_eq!(
            named(&elements, "testcase")[0].attr("classname"),
            Some("api")
        );
        assert!(text.contains("  path: /data/[id=x]/<price>\n"));
        assert_eq!(
            findings_github(&[f]),
            "::warning title=json-field-removed::model x: price removed\n"
        );
    }

    #[test]
    fn every_format_shows_terminal_controls_as_escapes() {
        let message = "gone \u{1b}[2J\u{1b}]0;t\u{7} \u{9b}1m \u{202e}x\u{7f}";
        let f = finding(
            "request-parameter-removed",
            Level::Error,
            Some(("GET", "/p\u{1b}[2J")),
            message,
        );
        let f = std::slice::from_ref(&f);
        let unsafe_char = |c: char| crate::text::is_unsafe(c) && c != '\n' && c != '\t';
        for (format, out) in [
            ("text", findings_text("a", "b", "openapi", f)),
            ("markdown", findings_markdown("a", "b", f)),
            ("github", findings_github(f)),
            ("html", findings_html("a", "b", f)),
            ("junit", findings_junit("a", "b", f)),
        ] {
            assert!(!out.chars().any(unsafe_char), "{format}: {out:?}");
            assert!(
                out.contains("\\e[2J") || out.contains("\\e\\[2J"),
                "{format}: {out}"
            );
            assert!(out.contains("\\u{202e}"), "{format}: {out}");
        }
    }

    #[test]
    fn html_without_findings_is_still_a_page() {
        let out = findings_html("a", "b", &[]);
        check_html(&out);
        assert!(out.contains("No changes at the level shown."));
        assert!(!out.contains("<section>"));
    }
}
