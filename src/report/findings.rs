//! Renderings of diff findings: text grouped by endpoint, Markdown for
//! changelogs and pull requests, JSON for tools.

use serde_json::{Value, json};

use crate::diff::{Finding, Level};

/// `{"changes": [...]}`, one object per finding.
pub fn findings_json(findings: &[Finding]) -> Value {
    json!({ "changes": findings })
}

fn finding_place(f: &Finding) -> String {
    match (&f.operation, &f.path) {
        (Some(m), Some(p)) => format!("{m} {p}"),
        _ => "the API as a whole".into(),
    }
}

/// Findings grouped by endpoint, most severe first within each.
pub fn findings_text(base: &str, revision: &str, findings: &[Finding]) -> String {
    let mut out = format!("{base} → {revision}: {}\n", summary(findings));
    let mut current = None;
    for f in findings {
        let place = finding_place(f);
        if current.as_ref() != Some(&place) {
            out.push_str(&format!("\n{place}\n"));
            current = Some(place);
        }
        out.push_str(&format!(
            "  {:<7} {}  [{}]\n",
            f.level.as_str(),
            f.message,
            f.id
        ));
    }
    out
}

/// A Markdown section for changelogs and pull requests.
pub fn findings_markdown(base: &str, revision: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "## API changes: `{base}` → `{revision}`\n\n{}\n",
        summary(findings)
    );
    let mut current = None;
    for f in findings {
        let place = finding_place(f);
        if current.as_ref() != Some(&place) {
            out.push_str(&format!("\n### `{place}`\n\n"));
            current = Some(place);
        }
        let mark = match f.level {
            Level::Error => "**breaking**",
            Level::Warning => "warning",
            Level::Info => "info",
        };
        out.push_str(&format!("- {mark}: {} (`{}`)\n", f.message, f.id));
    }
    out
}

fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "no changes at the level shown".into();
    }
    let count = |l| findings.iter().filter(|f| f.level == l).count();
    format!(
        "{} errors, {} warnings, {} info",
        count(Level::Error),
        count(Level::Warning),
        count(Level::Info)
    )
}
