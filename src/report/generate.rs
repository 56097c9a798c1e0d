//! What `tests`, `tasks` and `docs` print: the run's JUnit report and
//! summary, and one-line notes.

use std::fmt::Write as _;

use crate::app::generate::{Generated, RunReport, Verdict};
use crate::text::{self, Line, plural};

/// XML text: the sanitiser's one-line form, then `&<>"'` escaped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in text::line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The run as a JUnit XML report: one test case per generated case, its
/// class the operation.
pub fn run_junit(r: &RunReport) -> String {
    let failures = r.failed();
    let skipped = r.count(|v| matches!(v, Verdict::Skipped(_)));
    let total_ms: i64 = r.runs.iter().filter_map(|x| x.millis).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"apiradar tests\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{:.3}\">",
        r.runs.len(),
        total_ms as f64 / 1000.0
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
        xml(&r.title),
        r.runs.len()
    );
    for run in &r.runs {
        let c = &run.case;
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            xml(&format!("{} {}", c.method, c.path)),
            xml(&format!(
                "{} {} (expect {})",
                c.id,
                c.name,
                c.expect.label()
            )),
            run.millis.unwrap_or(0) as f64 / 1000.0
        );
        match &run.verdict {
            Verdict::Passed => out.push_str("/>\n"),
            Verdict::Failed(why) => {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\"/>\n    </testcase>",
                    xml(why)
                );
            }
            Verdict::Skipped(why) => {
                let _ = writeln!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                    xml(why)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// The run in a few lines: counts, then each failure.
pub fn run_summary(r: &RunReport) -> Vec<String> {
    let passed = r.count(|v| *v == Verdict::Passed);
    let failed = r.failed();
    let skipped = r.count(|v| matches!(v, Verdict::Skipped(_)));
    let mut lines = vec![format!(
        "apiradar: {} against {}: {passed} passed, {failed} failed, {skipped} skipped",
        plural(r.runs.len() as u64, "case", "cases"),
        Line(&r.base_url)
    )];
    for run in &r.runs {
        if let Verdict::Failed(why) = &run.verdict {
            lines.push(format!(
                "  failed {} {} {}: {}",
                run.case.id,
                run.case.method,
                Line(&run.case.path),
                Line(why)
            ));
        }
    }
    lines
}

/// One line about what `tests` generated.
pub fn generated_line(g: &Generated) -> String {
    let s = &g.suite;
    format!(
        "apiradar: {}: {} ({} positive, {} negative) for {} in {} ms, seed {}",
        Line(&g.label),
        plural(s.cases.len() as u64, "case", "cases"),
        s.positives(),
        s.cases.len() - s.positives(),
        plural(s.operations as u64, "operation", "operations"),
        g.millis,
        s.seed
    )
}

/// Notes of what was left out, at most `max` and a count of the rest.
pub fn notes(notes: &[String], max: usize) -> Vec<String> {
    let mut out: Vec<String> = notes
        .iter()
        .take(max)
        .map(|n| format!("apiradar: note: {}", Line(n)))
        .collect();
    if notes.len() > max {
        out.push(format!(
            "apiradar: note: … and {} more",
            plural((notes.len() - max) as u64, "note", "notes")
        ));
    }
    out
}

/// The checklist as Markdown: a section per operation, a task box per
/// item with its kind, the change, the hint and where it is declared.
pub fn tasks_markdown(t: &crate::app::generate::TaskList) -> String {
    let mut out = format!(
        "# Client tasks: {} → {}\n",
        text::markdown_code(&t.base_label),
        text::markdown_code(&t.revision_label)
    );
    if t.tasks.is_empty() {
        out.push_str("Nothing for a client to do.\n");
    }
    let mut current: Option<(Option<&str>, Option<&str>)> = None;
    for task in &t.tasks {
        let key = (task.method.as_deref(), task.path.as_deref());
        if current != Some(key) {
            current = Some(key);
            match key {
                (Some(m), Some(p)) => {
                    let _ = writeln!(out, "\n## {}\n", text::markdown_code(&format!("{m} {p}")));
                }
                _ => out.push_str("\n## The API as a whole\n\n"),
            }
        }
        let _ = write!(
            out,
            "- [ ] **{}**: {} — {}",
            task.kind.label(),
            text::markdown_message(&task.message),
            text::markdown_text(&task.hint)
        );
        if let Some(p) = &task.pointer {
            let _ = write!(out, " (at {})", text::markdown_code(p));
        }
        let _ = writeln!(out, " `{}`", task.check);
    }
    if t.other_findings > 0 {
        let _ = writeln!(
            out,
            "\n{} not a client task; `apiradar diff` lists them.",
            plural(
                t.other_findings as u64,
                "other finding is",
                "other findings are"
            )
        );
    }
    out
}

pub fn tasks_json(t: &crate::app::generate::TaskList) -> String {
    let value = serde_json::json!({
        "base": t.base_label,
        "revision": t.revision_label,
        "tasks": t.tasks,
        "other_findings": t.other_findings,
    });
    text::json_text(serde_json::to_string_pretty(&value).unwrap_or_default()) + "\n"
}

/// One line about the docs made.
pub fn docs_line(d: &crate::app::generate::Docs) -> String {
    let changes = match d.changes {
        Some(n) => format!(", {} marked", plural(n as u64, "change", "changes")),
        None => String::new(),
    };
    format!(
        "apiradar: {}: docs of {}{changes}, {} in {} ms",
        Line(&d.label),
        plural(d.operations as u64, "operation", "operations"),
        text::size(d.text.len() as u64),
        d.millis
    )
}
