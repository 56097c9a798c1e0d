//! Diff reports by root cause ([`crate::diff::group`]): one entry per change
//! at the place it happened, with the operations it affects, errors first;
//! and summaries that say what is shown and what is hidden.
//!
//! As everywhere in `report`, what comes from the documents goes through
//! the sanitiser of the format ([`text::Line`], [`text::markdown_message`],
//! [`text::markdown_code`]).

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::app::diff::DiffOutcome;
use crate::diff::Level;
use crate::diff::group::{Group, LevelCounts, group};
use crate::text::{self, Line, count, thousands};

/// English list: `a`, `a and b`, `a, b and c`.
fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_string(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

fn level_words(level: Level, n: usize) -> String {
    match level {
        Level::Error => count(n, "error", "errors"),
        Level::Warning => count(n, "warning", "warnings"),
        Level::Info => format!("{} info", thousands(n)),
    }
}

/// The summary of a diff: what is shown, in how many groups, and what the
/// level hides ("2 errors, 16,448 warnings in 9 groups; 1,204 info hidden:
/// --level info").
pub fn summary(o: &DiffOutcome, groups: usize) -> String {
    let shown = LevelCounts::of(&o.findings);
    if o.documentation_only {
        return "no API changes: the documents differ only in what no check compares \
                (descriptions, examples, formatting)"
            .into();
    }
    let levels = [Level::Error, Level::Warning, Level::Info];
    let mut out = if shown.total() == 0 {
        format!("no changes at level {} or above", o.level)
    } else {
        let parts: Vec<String> = levels
            .iter()
            .filter(|l| **l >= o.level)
            .map(|l| level_words(*l, shown.get(*l)))
            .collect();
        format!(
            "{} in {}",
            parts.join(", "),
            count(groups, "group", "groups")
        )
    };
    let hidden: Vec<String> = levels
        .iter()
        .filter(|l| o.hidden.get(**l) > 0)
        .map(|l| level_words(*l, o.hidden.get(*l)))
        .collect();
    if let Some(lowest) = levels.iter().rev().find(|l| o.hidden.get(**l) > 0) {
        let _ = write!(
            out,
            "; {} hidden: --level {}",
            and_list(&hidden),
            lowest.as_str()
        );
    }
    if shown.total() == 0 && o.hidden.total() == 0 && o.ignored == 0 {
        out = "no changes found".into();
    }
    out
}

/// The groups of a diff's shown findings.
pub fn groups_of(o: &DiffOutcome) -> Vec<Group<'_>> {
    group(&o.findings)
}

/// How many operations a text line names before "and N more".
const FIRST_OPERATIONS: usize = 3;

/// "GET /a, POST /a and 410 more", or the only operation.
fn operations_line(g: &Group, first: usize) -> String {
    let n = g.operations.len();
    let named: Vec<&str> = g.operations.iter().take(first).map(|o| &**o).collect();
    if n > first {
        format!(
            "{}: {} and {} more",
            count(n, "operation", "operations"),
            named.join(", "),
            thousands(n - first)
        )
    } else if n > 1 {
        format!(
            "{}: {}",
            count(n, "operation", "operations"),
            and_list(&named)
        )
    } else {
        named.join("")
    }
}

/// Lines the text view aims at: errors are always listed; warnings and info
/// past this are summed up by check (`--flat` lists them all).
pub const TEXT_LINES: usize = 180;

/// One entry of the text view: one line for a change in one operation,
/// two for a change reaching several.
fn text_entry(g: &Group) -> String {
    let mut detail = Vec::new();
    let single = g.operations.len() == 1;
    if !single {
        let ops = operations_line(g, FIRST_OPERATIONS);
        if !ops.is_empty() {
            detail.push(ops);
        }
    }
    if g.shared
        && let Some(root) = &g.root
    {
        detail.push(format!("at {root}"));
    }
    if g.counts.total() > 1 && g.counts.get(g.level) != g.counts.total() {
        detail.push(mixed_levels(g));
    }
    let mut out = if single {
        format!(
            "{:<7} {} · {}  [{}]\n",
            g.level.as_str(),
            Line(&g.operations[0]),
            Line(&text::one_line_cut(&g.message, text::ONE_LINE_CHARS)),
            Line(g.check)
        )
    } else {
        format!(
            "{:<7} {}  [{}]\n",
            g.level.as_str(),
            Line(&text::one_line_cut(&g.message, text::ONE_LINE_CHARS)),
            Line(g.check)
        )
    };
    if !detail.is_empty() {
        let _ = writeln!(out, "        {}", Line(&detail.join(" · ")));
    }
    out
}

/// The default text view: one entry per root cause, errors first, within
/// a level by path. Past [`TEXT_LINES`], warnings and info are summed up
/// by check, saying how to see them.
pub fn groups_text(o: &DiffOutcome) -> String {
    let groups = groups_of(o);
    let mut out = format!(
        "{} → {} ({}): {}\n",
        Line(&o.base_label),
        Line(&o.revision_label),
        o.kind.as_str(),
        summary(o, groups.len())
    );
    if !groups.is_empty() {
        out.push('\n');
    }
    let mut lines = 2usize;
    let mut summed: Vec<(Level, &'static str, usize, usize)> = Vec::new();
    for g in &groups {
        let entry = text_entry(g);
        let n = entry.lines().count();
        if g.level == Level::Error || lines + n + 20 <= TEXT_LINES {
            out.push_str(&entry);
            lines += n;
            continue;
        }
        match summed
            .iter_mut()
            .find(|(l, c, _, _)| *l == g.level && *c == g.check)
        {
            Some((_, _, changes, findings)) => {
                *changes += 1;
                *findings += g.counts.total();
            }
            None => summed.push((g.level, g.check, 1, g.counts.total())),
        }
    }
    if !summed.is_empty() {
        let _ = writeln!(
            out,
            "\nnot listed (--flat or --format json lists every one):"
        );
        for (level, check, changes, findings) in summed {
            let _ = writeln!(
                out,
                "{:<7} {} in {}  [{}]",
                level.as_str(),
                count(changes, "more change", "more changes"),
                count(findings, "finding", "findings"),
                Line(check)
            );
        }
    }
    out
}

/// "3 errors, 1 warning": the levels of a group whose findings differ.
fn mixed_levels(g: &Group) -> String {
    [Level::Error, Level::Warning, Level::Info]
        .iter()
        .filter(|l| g.counts.get(**l) > 0)
        .map(|l| level_words(*l, g.counts.get(*l)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `diff --format json` says beside the findings and the groups:
/// the summary line, the level shown, the counts and what is hidden.
pub fn groups_json_parts(o: &DiffOutcome, groups: usize) -> Value {
    json!({
        "summary": summary(o, groups),
        "level": o.level,
        "counts": LevelCounts::of(&o.findings),
        "hidden": o.hidden,
        "documentation_only": o.documentation_only,
    })
}

/// What the grouped HTML page adds to the report style: the level filter
/// (radio buttons and CSS, no script), the contents and the collapsible
/// groups.
const GROUPS_STYLE: &str = "
.filter { display: flex; gap: .5rem; align-items: center; margin: 0 0 1rem; }
.filter input { position: absolute; opacity: 0; }
.filter label { border: 1px solid var(--border); border-radius: 1em; padding: .1rem .8rem;
  cursor: pointer; }
#lv-all:checked ~ .filter label[for=lv-all], #lv-error:checked ~ .filter label[for=lv-error],
#lv-warning:checked ~ .filter label[for=lv-warning], #lv-info:checked ~ .filter label[for=lv-info]
  { background: var(--panel); font-weight: 700; }
#lv-error:checked ~ main .group:not(.error), #lv-warning:checked ~ main .group:not(.warning),
#lv-info:checked ~ main .group:not(.info) { display: none; }
nav ol { padding-left: 1.5rem; columns: 2 28rem; }
nav li { break-inside: avoid; margin: .1rem 0; }
details.group { border: 1px solid var(--border); border-radius: 6px; margin: 0 0 .6rem; }
details.group > summary { padding: .5rem .8rem; background: var(--panel); cursor: pointer; }
details.group[open] > summary { border-bottom: 1px solid var(--border); }
.body { padding: .5rem .8rem; }
.ops { margin: .3rem 0 0; padding-left: 1.2rem; columns: 2 24rem; }
.muted { color: var(--muted); }
";

/// `diff --format html`: one self-contained page by root cause. The
/// summary and a filter by level on top, the contents (one link per
/// change), then one collapsible entry per change: errors open, the rest
/// closed; each with its check, where it happened and every operation it
/// reaches. Like the flat page: no script, nothing fetched, a
/// Content-Security-Policy that says so.
pub fn groups_html(o: &DiffOutcome) -> String {
    use super::findings::{HTML_STYLE, badge, html};
    let groups = groups_of(o);
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n",
    );
    let _ = writeln!(
        out,
        "<title>API changes: {} → {}</title>\n<style>{HTML_STYLE}{GROUPS_STYLE}</style>\n</head>\n<body>",
        html(&o.base_label),
        html(&o.revision_label)
    );
    let _ = writeln!(
        out,
        "<header>\n<h1>API changes</h1>\n<p class=\"comparison\"><code>{}</code> → <code>{}</code> ({})</p>",
        html(&o.base_label),
        html(&o.revision_label),
        html(o.kind.as_str())
    );
    let counts = LevelCounts::of(&o.findings);
    out.push_str("<ul class=\"summary\">\n");
    for level in [Level::Error, Level::Warning, Level::Info] {
        let _ = writeln!(
            out,
            "<li>{}<strong>{}</strong></li>",
            badge(level),
            thousands(counts.get(level))
        );
    }
    let _ = writeln!(
        out,
        "</ul>\n<p>{}</p>\n</header>",
        html(&summary(o, groups.len()))
    );
    // The filter: radio buttons before `main`, so CSS alone can hide the
    // other levels.
    for (id, checked) in [
        ("lv-all", true),
        ("lv-error", false),
        ("lv-warning", false),
        ("lv-info", false),
    ] {
        let _ = writeln!(
            out,
            "<input type=\"radio\" name=\"level\" id=\"{id}\"{} hidden>",
            if checked { " checked" } else { "" }
        );
    }
    let per_level = |l: Level| groups.iter().filter(|g| g.level == l).count();
    let _ = writeln!(
        out,
        "<div class=\"filter\"><span class=\"muted\">show</span>\
         <label for=\"lv-all\">all {}</label><label for=\"lv-error\">errors {}</label>\
         <label for=\"lv-warning\">warnings {}</label><label for=\"lv-info\">info {}</label></div>",
        thousands(groups.len()),
        thousands(per_level(Level::Error)),
        thousands(per_level(Level::Warning)),
        thousands(per_level(Level::Info))
    );
    out.push_str("<main>\n");
    if groups.is_empty() {
        out.push_str("<p class=\"empty\">No changes at the level shown.</p>\n");
    } else {
        out.push_str("<nav>\n<h2>Contents</h2>\n<ol>\n");
        for g in &groups {
            let _ = writeln!(
                out,
                "<li>{} <a href=\"#g-{}\">{}</a> <span class=\"muted\">{}</span></li>",
                badge(g.level),
                html(&g.id),
                html(&g.message),
                html(&count(g.operations.len(), "operation", "operations"))
            );
        }
        out.push_str("</ol>\n</nav>\n");
    }
    for g in &groups {
        let _ = writeln!(
            out,
            "<details class=\"group {}\" id=\"g-{}\"{}>\n<summary>{} {} <code>{}</code> <span class=\"muted\">· {}</span></summary>\n<div class=\"body\">",
            g.level.as_str(),
            html(&g.id),
            if g.level == Level::Error { " open" } else { "" },
            badge(g.level),
            html(&g.message),
            html(g.check),
            html(&count(g.operations.len(), "operation", "operations"))
        );
        if g.counts.total() > 1 && g.counts.get(g.level) != g.counts.total() {
            let _ = writeln!(out, "<p class=\"muted\">{}</p>", html(&mixed_levels(g)));
        }
        out.push_str("<dl class=\"where\">");
        if g.shared {
            out.push_str(
                "<dt>cause</dt><dd>a shared schema, reached through <code>$ref</code></dd>",
            );
        }
        for (name, pointer) in [("base", &g.base_pointer), ("revision", &g.revision_pointer)] {
            if let Some(p) = pointer {
                let _ = write!(out, "<dt>{name}</dt><dd><code>{}</code></dd>", html(p));
            }
        }
        out.push_str("</dl>\n");
        if !g.operations.is_empty() {
            out.push_str("<ul class=\"ops\">");
            for op in &g.operations {
                let _ = write!(out, "<li><code>{}</code></li>", html(op));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</div>\n</details>\n");
    }
    out.push_str("</main>\n<footer><p>Generated by apiradar. <code>--flat</code> lists every finding with its fingerprint.</p></footer>\n</body>\n</html>\n");
    out
}

/// The default cap of `--format markdown`: under the 65,536 characters of
/// a GitHub comment, with room for a heading around it.
pub const MARKDOWN_MAX_BYTES: usize = 60_000;

/// Markdown for a pull request or issue comment: a summary table, errors in
/// full, warnings and info in `<details>` sections; trimmed to `max_bytes`
/// with a line saying how many groups were left out.
pub fn groups_markdown(o: &DiffOutcome, max_bytes: usize) -> String {
    let groups = groups_of(o);
    let mut out = format!(
        "## API changes: {} → {}\n\n{}\n\n",
        text::markdown_code(&o.base_label),
        text::markdown_code(&o.revision_label),
        text::markdown_message(&summary(o, groups.len()))
    );
    let shown = LevelCounts::of(&o.findings);
    if shown.total() > 0 || o.hidden.total() > 0 {
        out.push_str("| level | findings | groups | hidden |\n|---|---:|---:|---:|\n");
        for level in [Level::Error, Level::Warning, Level::Info] {
            let n_groups = groups.iter().filter(|g| g.level == level).count();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                level.as_str(),
                thousands(shown.get(level)),
                thousands(n_groups),
                thousands(o.hidden.get(level))
            );
        }
        out.push('\n');
    }
    // Sections, each a list of entries; what does not fit is counted.
    let mut omitted = 0usize;
    let trim_room = 200;
    for level in [Level::Error, Level::Warning, Level::Info] {
        let of_level: Vec<&Group> = groups.iter().filter(|g| g.level == level).collect();
        if of_level.is_empty() {
            continue;
        }
        let title = match level {
            Level::Error => format!("Breaking: {}", count(of_level.len(), "change", "changes")),
            Level::Warning => format!("Warnings: {}", count(of_level.len(), "change", "changes")),
            Level::Info => format!("Info: {}", count(of_level.len(), "change", "changes")),
        };
        let (open, close) = if level == Level::Error {
            (format!("### {title}\n\n"), "\n".to_string())
        } else {
            (
                format!("<details><summary>{title}</summary>\n\n"),
                "\n</details>\n\n".to_string(),
            )
        };
        if out.len() + open.len() + close.len() + trim_room > max_bytes {
            omitted += of_level.len();
            continue;
        }
        out.push_str(&open);
        for g in of_level {
            let entry = markdown_entry(g);
            if out.len() + entry.len() + close.len() + trim_room > max_bytes {
                omitted += 1;
                continue;
            }
            out.push_str(&entry);
        }
        out.push_str(&close);
    }
    if omitted > 0 {
        let _ = writeln!(
            out,
            "_{} left out to stay under {} bytes: see `--format html` or `--format json` for all of them._",
            count(omitted, "change was", "changes were"),
            thousands(max_bytes)
        );
    }
    out
}

fn markdown_entry(g: &Group) -> String {
    let mut entry = format!(
        "- {} ({})",
        text::markdown_message(&text::one_line_cut(&g.message, text::ONE_LINE_CHARS)),
        text::markdown_code(g.check)
    );
    let ops = operations_line(g, FIRST_OPERATIONS);
    if !ops.is_empty() {
        let _ = write!(entry, "  \n  {}", text::markdown_message(&ops));
    }
    entry.push('\n');
    entry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_plurals_read_as_english() {
        assert_eq!(thousands(16448), "16,448");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(2, "error", "errors"), "2 errors");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
