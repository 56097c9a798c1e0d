//! An SDK maintainer's checklist from the diff of two versions: the work
//! a client library has to do, one task per finding that concerns it,
//! grouped by operation.
//!
//! Only the diff's findings are read (their check ids decide the kind);
//! findings of other kinds (a changed description, a tag) are counted, not
//! listed.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::diff::{Finding, document::normalize_path};

/// What a task asks of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaskKind {
    NewOperation,
    NewParameter,
    NewProperty,
    NewEnumValue,
    Deprecation,
    Removal,
}

impl TaskKind {
    pub fn label(self) -> &'static str {
        match self {
            TaskKind::NewOperation => "new operation",
            TaskKind::NewParameter => "new parameter",
            TaskKind::NewProperty => "new property",
            TaskKind::NewEnumValue => "new enum value",
            TaskKind::Deprecation => "deprecation",
            TaskKind::Removal => "removal to handle",
        }
    }
}

/// One item of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    pub kind: TaskKind,
    /// `GET`, or none for the API as a whole.
    pub method: Option<String>,
    pub path: Option<String>,
    /// The check id of the finding it comes from.
    pub check: &'static str,
    pub message: String,
    /// Where it is declared: in the newer document, or for a removal in
    /// the older one.
    pub pointer: Option<String>,
    /// What a client must do, in one line.
    pub hint: String,
    pub fingerprint: String,
}

/// The kind of task a finding's check id asks for, if any.
pub fn kind_of(id: &str) -> Option<TaskKind> {
    const REMOVALS: &[&str] = &[
        "request-parameter-removed",
        "request-property-removed",
        "response-optional-property-removed",
        "response-required-property-removed",
        "request-body-removed",
        "response-media-type-removed",
        "response-success-status-removed",
        "webhook-removed",
    ];
    if matches!(id, "endpoint-added" | "webhook-added") {
        Some(TaskKind::NewOperation)
    } else if id.starts_with("new-") && id.contains("parameter")
        || id == "new-required-request-header-property"
    {
        Some(TaskKind::NewParameter)
    } else if id.starts_with("new-") && id.contains("property")
        || matches!(
            id,
            "response-optional-property-added"
                | "response-required-property-added"
                | "request-body-added-optional"
                | "request-body-added-required"
        )
    {
        Some(TaskKind::NewProperty)
    } else if id.ends_with("-enum-value-added") {
        Some(TaskKind::NewEnumValue)
    } else if id.contains("deprecated") && !id.contains("sunset-parse") {
        Some(TaskKind::Deprecation)
    } else if id.starts_with("api-path-removed")
        || id.starts_with("api-removed")
        || id.ends_with("-enum-value-removed")
        || REMOVALS.iter().any(|r| id.starts_with(r))
    {
        Some(TaskKind::Removal)
    } else {
        None
    }
}

fn hint(kind: TaskKind, id: &str) -> String {
    let request = id.starts_with("request-") || id.starts_with("new-");
    match kind {
        TaskKind::NewOperation => "add a method for it, with its request and response types".into(),
        TaskKind::NewParameter if id.contains("required") => {
            "add it as a required argument: callers must pass it".into()
        }
        TaskKind::NewParameter => {
            "add it as an optional argument (keyword or options field)".into()
        }
        TaskKind::NewProperty if id.contains("required") && request => {
            "add the field to the request model; callers must set it".into()
        }
        TaskKind::NewProperty if request => "add the optional field to the request model".into(),
        TaskKind::NewProperty => "add the field to the response model".into(),
        TaskKind::NewEnumValue if request => "accept the new value in the enum type".into(),
        TaskKind::NewEnumValue => {
            "handle the new value in responses (keep a fallback for unknown ones)".into()
        }
        TaskKind::Deprecation => "mark it deprecated in the client (docs, a warning)".into(),
        TaskKind::Removal => "remove it from the client, or keep it behind a version switch".into(),
    }
}

/// The checklist of `findings`, and how many findings are not tasks.
/// With `implemented` (method, normalized path), tasks of other
/// operations are left out, except new operations.
pub fn tasks(
    findings: &[Finding],
    implemented: Option<&BTreeSet<(String, String)>>,
) -> (Vec<Task>, usize) {
    let mut out = Vec::new();
    let mut others = 0;
    for f in findings {
        let Some(kind) = kind_of(f.id) else {
            others += 1;
            continue;
        };
        if let (Some(set), Some(m), Some(p)) = (implemented, &f.operation, &f.path)
            && kind != TaskKind::NewOperation
            && !set.contains(&(m.to_string(), normalize_path(p)))
        {
            continue;
        }
        let pointer = if kind == TaskKind::Removal {
            f.base_pointer
                .as_deref()
                .or(f.revision_pointer.as_deref())
                .map(String::from)
        } else {
            f.revision_pointer
                .as_deref()
                .or(f.base_pointer.as_deref())
                .map(String::from)
        };
        out.push(Task {
            kind,
            method: f.operation.as_deref().map(String::from),
            path: f.path.as_deref().map(String::from),
            check: f.id,
            message: f.message.to_string(),
            pointer,
            hint: hint(kind, f.id),
            fingerprint: f.fingerprint.clone(),
        });
    }
    out.sort_by(|a, b| {
        (a.path.as_deref(), a.method.as_deref(), a.kind).cmp(&(
            b.path.as_deref(),
            b.method.as_deref(),
            b.kind,
        ))
    });
    (out, others)
}

/// Reads an `--implemented` list: `METHOD /path` per line, `#` comments.
pub fn read_implemented(text: &str) -> Result<BTreeSet<(String, String)>, String> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((method, path)) = line.split_once(char::is_whitespace) else {
            return Err(format!("line {}: `{line}` is not `METHOD /path`", i + 1));
        };
        let path = path.trim();
        if !path.starts_with('/') {
            return Err(format!("line {}: `{path}` does not start with /", i + 1));
        }
        out.insert((method.to_ascii_uppercase(), normalize_path(path)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_map_to_task_kinds() {
        assert_eq!(kind_of("endpoint-added"), Some(TaskKind::NewOperation));
        assert_eq!(
            kind_of("new-optional-request-parameter"),
            Some(TaskKind::NewParameter)
        );
        assert_eq!(
            kind_of("new-required-request-property"),
            Some(TaskKind::NewProperty)
        );
        assert_eq!(
            kind_of("response-optional-property-added"),
            Some(TaskKind::NewProperty)
        );
        assert_eq!(
            kind_of("response-property-enum-value-added"),
            Some(TaskKind::NewEnumValue)
        );
        assert_eq!(
            kind_of("request-parameter-enum-value-added"),
            Some(TaskKind::NewEnumValue)
        );
        assert_eq!(kind_of("endpoint-deprecated"), Some(TaskKind::Deprecation));
        assert_eq!(
            kind_of("request-property-deprecated-with-sunset"),
            Some(TaskKind::Deprecation)
        );
        assert_eq!(
            kind_of("api-path-removed-without-deprecation"),
            Some(TaskKind::Removal)
        );
        assert_eq!(
            kind_of("request-parameter-removed"),
            Some(TaskKind::Removal)
        );
        assert_eq!(
            kind_of("response-property-enum-value-removed"),
            Some(TaskKind::Removal)
        );
        assert_eq!(kind_of("api-tag-added"), None);
        assert_eq!(kind_of("response-property-one-of-added"), None);
        // Every id the registry knows maps without a panic, and each kind
        // is reachable.
        let kinds: BTreeSet<TaskKind> = crate::diff::registry::ALL
            .iter()
            .filter_map(|c| kind_of(c.id))
            .collect();
        assert_eq!(kinds.len(), 6);
    }

    #[test]
    fn implemented_lists() {
        let set = read_implemented("GET /pets/{id}  # the one we have\n\npost /pets\n").unwrap();
        assert!(set.contains(&("GET".into(), "/pets/{}".into())));
        assert!(set.contains(&("POST".into(), "/pets".into())));
        assert!(read_implemented("GET pets").is_err());
        assert!(read_implemented("nonsense").is_err());
    }
}
