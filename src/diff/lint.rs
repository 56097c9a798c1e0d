//! Lint notes: what is wrong with a description but does not stop the
//! diff. Real specs are sloppy (an array without `items`, no `info`, a
//! `$ref` to nothing); apiradar loads them anyway, diffs the rest, and says
//! what it had to overlook.

use serde::Serialize;
use serde_json::Value;

use super::push_pointer_segment;

/// At most this many notes per document; one more says how many were left.
const MAX_NOTES: usize = 200;

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// JSON pointer to where the problem is.
    pub pointer: String,
    pub message: String,
}

/// Lints an OpenAPI 3 or Swagger 2.0 document as given.
pub fn lint(doc: &Value) -> Vec<Note> {
    let mut notes = Vec::new();
    if !doc.is_object() {
        return notes;
    }
    match doc.get("info") {
        None => notes.push(note("", "the document has no `info` object")),
        Some(info) => {
            for field in ["title", "version"] {
                if info.get(field).is_none() {
                    notes.push(note("/info", &format!("`info` has no `{field}`")));
                }
            }
        }
    }
    if doc.get("paths").is_none() && doc.get("webhooks").is_none() {
        notes.push(note("", "the document has no `paths`"));
    }
    let mut walker = Walker {
        root: doc,
        notes: &mut notes,
        skipped: 0,
        path: Vec::new(),
    };
    walker.walk(doc, 0);
    let skipped = walker.skipped;
    if skipped > 0 {
        notes.push(note("", &format!("{skipped} more problems not listed")));
    }
    notes
}

fn note(pointer: &str, message: &str) -> Note {
    Note {
        pointer: pointer.to_string(),
        message: message.to_string(),
    }
}

struct Walker<'a> {
    root: &'a Value,
    notes: &'a mut Vec<Note>,
    skipped: usize,
    /// Where the walk is: written out as a pointer only for a note.
    path: Vec<Segment<'a>>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Key(&'a str),
    Index(usize),
}

impl<'a> Walker<'a> {
    /// A note at the walk's place.
    fn push(&mut self, message: String) {
        if self.notes.len() < MAX_NOTES {
            let mut pointer = String::new();
            for segment in &self.path {
                match segment {
                    Segment::Key(key) => push_pointer_segment(&mut pointer, key),
                    Segment::Index(i) => push_pointer_segment(&mut pointer, &i.to_string()),
                }
            }
            self.notes.push(Note { pointer, message });
        } else {
            self.skipped += 1;
        }
    }

    /// `value` is at `self.path`, which comes back as it was given.
    fn walk(&mut self, value: &'a Value, depth: usize) {
        if depth > 512 {
            return;
        }
        match value {
            Value::Object(map) => {
                // Values under `example(s)` are data, not schema: a
                // `$ref`-looking string there is not a reference.
                if let Some(Value::String(r)) = map.get("$ref")
                    && let Some(local) = r.strip_prefix('#')
                    && !local.is_empty()
                    && super::document::lookup_in(self.root, r).is_none()
                {
                    self.push(format!("`$ref` to `{r}`, which does not exist"));
                }
                if map.get("type").and_then(Value::as_str) == Some("array")
                    && !map.contains_key("items")
                    && !map.contains_key("prefixItems")
                {
                    self.push("an array without `items`".to_string());
                }
                for (key, child) in map {
                    if matches!(key.as_str(), "example" | "examples" | "x-examples") {
                        continue;
                    }
                    self.path.push(Segment::Key(key));
                    self.walk(child, depth + 1);
                    self.path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    self.path.push(Segment::Index(i));
                    self.walk(child, depth + 1);
                    self.path.pop();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sloppy_documents_get_notes() {
        let doc = json!({
            "openapi": "3.0.0",
            "paths": {"/a": {"get": {
                "parameters": [{"name": "ids", "in": "query", "schema": {"type": "array"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Missing"},
                    "example": {"$ref": "#/not/a/ref"}
                }}}}
            }}}
        });
        let notes = lint(&doc);
        let messages: Vec<&str> = notes.iter().map(|n| n.message.as_str()).collect();
        assert!(
            messages.contains(&"the document has no `info` object"),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("array without `items`")));
        assert!(
            messages
                .iter()
                .any(|m| m.contains("#/components/schemas/Missing"))
        );
        assert!(
            !messages.iter().any(|m| m.contains("#/not/a/ref")),
            "{messages:?}"
        );
        assert_eq!(notes.len(), 3);
    }

    #[test]
    fn a_clean_document_has_none() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {}
        });
        assert!(lint(&doc).is_empty());
    }
}
