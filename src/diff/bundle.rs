//! Bundling: documents split over several files are brought into one
//! before they are compared.
//!
//! A `$ref` to another file (`./schemas/pet.yaml#/Pet`) is read, relative
//! to the document that holds it, and the file is copied under
//! `x-apiradar-external` in the root document; the reference is rewritten
//! to a local one pointing there. Each file is read once, so references
//! between files may form cycles. Files are named by their path relative
//! to the root document, so the base and the revision of a split API
//! (`v1/openapi.yaml` and `v2/openapi.yaml`, each with its `schemas/`)
//! name the same schema alike and their references match.
//!
//! Rules that keep this safe:
//! - remote references (`https://…`) are followed only when allowed;
//! - a document read from the network never makes apiradar read a local
//!   file;
//! - text that only looks like a reference inside an example, a default,
//!   a `const` or an `enum` is left alone;
//! - at most [`MAX_DOCUMENTS`] files are read.
//!
//! Nothing here fails: what cannot be resolved stays as written, with a
//! note saying why.

#[cfg(test)]
use std::collections::HashMap;
use std::collections::{HashSet, VecDeque};
use std::path::{Component, Path, PathBuf};

use serde_json::{Map, Value};
use url::Url;

use super::lint::Note;
use crate::fetch::Location;
use crate::spec::{Limits, parse_document};

/// The key of the root document under which other files are copied.
pub const EXTERNAL_KEY: &str = "x-apiradar-external";

/// Most files one document may pull in.
pub const MAX_DOCUMENTS: usize = 256;

/// Reads the documents references point at.
pub trait Loader {
    /// The bytes at `location`, or why they could not be read.
    fn load(&mut self, location: &Location) -> Result<Vec<u8>, String>;
}

/// What may be followed.
#[derive(Debug, Clone, Copy, Default)]
pub struct BundleOptions {
    /// Follow `http://` and `https://` references.
    pub allow_remote: bool,
    pub limits: Limits,
}

/// Keys whose object values are maps of named entries (property names,
/// status codes, media types…), not keywords.
const NAME_MAPS: [&str; 20] = [
    "properties",
    "patternProperties",
    "$defs",
    "definitions",
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "securityDefinitions",
    "links",
    "callbacks",
    "pathItems",
    "paths",
    "webhooks",
    "content",
    "encoding",
    "dependentSchemas",
];

/// Keywords whose values are literal data, never references.
const LITERALS: [&str; 6] = ["example", "default", "const", "enum", "value", "x-examples"];

/// Brings the files `root`'s references point at into `root`. `location`
/// is where `root` was read from; without one (a stored version) external
/// references cannot be resolved and are reported.
pub fn bundle(
    root: &mut Value,
    location: Option<&Location>,
    options: &BundleOptions,
    loader: &mut dyn Loader,
) -> Vec<Note> {
    let mut b = Bundler {
        options,
        notes: Vec::new(),
        keys: HashSet::new(),
        queue: VecDeque::new(),
        loaded: Map::new(),
    };
    let root_ctx = DocCtx {
        key: None,
        location: location.cloned(),
    };
    walk(root, &root_ctx, false, &mut String::new(), &mut b);
    while let Some((key, target)) = b.queue.pop_front() {
        let mut doc = match loader.load(&target) {
            Ok(bytes) => match parse_document(&bytes, &options.limits) {
                Ok((value, _)) => value,
                Err(e) => {
                    b.note(format!("{key}: {e}"));
                    continue;
                }
            },
            Err(e) => {
                b.note(format!("could not read {key}: {e}"));
                continue;
            }
        };
        let ctx = DocCtx {
            key: Some(key.clone()),
            location: Some(target),
        };
        walk(&mut doc, &ctx, false, &mut String::new(), &mut b);
        b.loaded.insert(key, doc);
    }
    if !b.loaded.is_empty()
        && let Some(map) = root.as_object_mut()
    {
        map.insert(EXTERNAL_KEY.to_string(), Value::Object(b.loaded));
    }
    b.notes
}

struct Bundler<'o> {
    options: &'o BundleOptions,
    notes: Vec<Note>,
    /// Every file asked for, by key, whether or not it could be read.
    keys: HashSet<String>,
    queue: VecDeque<(String, Location)>,
    loaded: Map<String, Value>,
}

impl Bundler<'_> {
    fn note(&mut self, message: String) {
        self.notes.push(Note {
            pointer: String::new(),
            message,
        });
    }
}

/// The document being walked.
struct DocCtx {
    /// Its name relative to the root document; `None` for the root.
    key: Option<String>,
    location: Option<Location>,
}

/// `pointer` is where `value` is; it grows and shrinks as the walk goes
/// down and back up (one buffer, not a string per node).
fn walk(value: &mut Value, ctx: &DocCtx, names: bool, pointer: &mut String, b: &mut Bundler<'_>) {
    match value {
        Value::Object(map) => {
            if !names
                && let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(new) = rewrite(reference, ctx, pointer, b)
            {
                *reference = new;
            }
            for (key, child) in map.iter_mut() {
                if key == "$ref" {
                    continue;
                }
                if !names && LITERALS.contains(&key.as_str()) {
                    continue;
                }
                // Schema `examples` (a list) are literal; a map of Example
                // Objects may hold references.
                if !names && key == "examples" && child.is_array() {
                    continue;
                }
                let child_names = !names && child.is_object() && NAME_MAPS.contains(&key.as_str());
                let len = pointer.len();
                super::push_pointer_segment(pointer, key);
                walk(child, ctx, child_names, pointer, b);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = pointer.len();
                use std::fmt::Write as _;
                let _ = write!(pointer, "/{i}");
                walk(item, ctx, false, pointer, b);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The local reference that replaces `reference`, if it changes.
fn rewrite(reference: &str, ctx: &DocCtx, pointer: &str, b: &mut Bundler<'_>) -> Option<String> {
    let (part, fragment) = match reference.split_once('#') {
        Some((p, f)) => (p, f),
        None => (reference, ""),
    };
    // Only JSON pointer fragments can be rewritten; `#anchor` stays.
    if !fragment.is_empty() && !fragment.starts_with('/') {
        return None;
    }
    if part.is_empty() {
        // Local to its document: only references inside another file
        // need to point into that file's copy.
        let key = ctx.key.as_ref()?;
        return Some(external_ref(key, fragment));
    }
    let fail = |b: &mut Bundler<'_>, why: String| {
        b.notes.push(Note {
            pointer: match &ctx.key {
                Some(k) => format!("{k}#{pointer}"),
                None => pointer.to_string(),
            },
            message: format!("`$ref: {reference}` is not followed: {why}"),
        });
        None
    };
    let Some(here) = &ctx.location else {
        return fail(
            b,
            "the document was not read from a file or URL, so there is nothing to resolve it against".into(),
        );
    };
    let absolute = Url::parse(part).ok().filter(|u| u.scheme().len() > 1);
    let (target, key) = match (&absolute, here) {
        (Some(url), _) if matches!(url.scheme(), "http" | "https") => {
            (Location::Url(url.clone()), url.to_string())
        }
        (Some(url), _) if url.scheme() == "file" => match here {
            Location::Url(_) => {
                return fail(
                    b,
                    "a document from the network may not refer to local files".into(),
                );
            }
            Location::File(_) => match url.to_file_path() {
                Ok(p) => (Location::File(p), url.to_string()),
                Err(()) => return fail(b, "not a usable file URL".into()),
            },
        },
        (Some(url), _) => {
            return fail(
                b,
                format!("the `{}:` scheme is not supported", url.scheme()),
            );
        }
        (None, Location::File(path)) => {
            let dir = path.parent().unwrap_or(Path::new(""));
            (
                Location::File(normalize_path(&dir.join(part))),
                relative_key(ctx.key.as_deref(), part),
            )
        }
        (None, Location::Url(url)) => match url.join(part) {
            Ok(joined) => (
                Location::Url(joined),
                relative_key(ctx.key.as_deref(), part),
            ),
            Err(e) => return fail(b, format!("not a valid relative URL: {e}")),
        },
    };
    if matches!(target, Location::Url(_)) && !b.options.allow_remote {
        return fail(
            b,
            "remote references are followed only with --allow-remote-refs".into(),
        );
    }
    if !b.keys.contains(&key) {
        if b.keys.len() >= MAX_DOCUMENTS {
            return fail(b, format!("more than {MAX_DOCUMENTS} files are referenced"));
        }
        b.keys.insert(key.clone());
        b.queue.push_back((key.clone(), target));
    }
    Some(external_ref(&key, fragment))
}

fn external_ref(key: &str, fragment: &str) -> String {
    format!("#/{EXTERNAL_KEY}/{}{fragment}", super::pointer_segment(key))
}

/// The name of a file referenced as `part` from the file named `from`
/// (`None` for the root document): `part` joined to `from`'s folder, with
/// `.` and `..` folded.
fn relative_key(from: Option<&str>, part: &str) -> String {
    let mut segments: Vec<&str> = match from {
        Some(f) => {
            let mut s: Vec<&str> = f.split('/').collect();
            s.pop();
            s
        }
        None => Vec::new(),
    };
    for seg in part.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.last().is_some_and(|s| *s != "..") {
                    segments.pop();
                } else {
                    segments.push("..");
                }
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// Folds `.` and `..` without touching the file system.
fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Reads local files, refusing ones larger than a limit. Remote
/// references need a loader that can fetch (the CLI's).
pub struct FileLoader {
    pub max_bytes: u64,
}

impl Loader for FileLoader {
    fn load(&mut self, location: &Location) -> Result<Vec<u8>, String> {
        match location {
            Location::File(path) => read_file(path, self.max_bytes),
            Location::Url(_) => Err("this loader reads local files only".into()),
        }
    }
}

/// Reads a file of at most `max_bytes`.
pub fn read_file(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > max_bytes {
        return Err(format!("{}: larger than {max_bytes} bytes", path.display()));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Serves documents from memory and counts reads.
    struct Memory {
        files: HashMap<String, &'static str>,
        reads: Vec<String>,
    }

    impl Loader for Memory {
        fn load(&mut self, location: &Location) -> Result<Vec<u8>, String> {
            let name = match location {
                Location::File(p) => p.to_string_lossy().into_owned(),
                Location::Url(u) => u.to_string(),
            };
            self.reads.push(name.clone());
            self.files
                .get(&name)
                .map(|s| s.as_bytes().to_vec())
                .ok_or_else(|| "not found".to_string())
        }
    }

    fn memory(files: &[(&str, &'static str)]) -> Memory {
        Memory {
            files: files.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            reads: Vec::new(),
        }
    }

    #[test]
    fn files_are_copied_in_once_and_cycles_end() {
        let mut loader = memory(&[
            (
                "/api/v1/schemas/pet.yaml",
                "type: object\nproperties:\n  owner: {$ref: './owner.yaml'}\n  sibling: {$ref: '#'}\n",
            ),
            (
                "/api/v1/schemas/owner.yaml",
                "type: object\nproperties:\n  pets: {type: array, items: {$ref: 'pet.yaml'}}\n",
            ),
        ]);
        let mut root = json!({
            "openapi": "3.0.0",
            "paths": {"/pets": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "./schemas/pet.yaml"},
                "example": {"$ref": "./not-a-reference.yaml"}
            }}}}}}}
        });
        let here = Location::File("/api/v1/openapi.yaml".into());
        let notes = bundle(
            &mut root,
            Some(&here),
            &BundleOptions::default(),
            &mut loader,
        );
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(loader.reads.len(), 2, "{:?}", loader.reads);
        let media =
            &root["paths"]["/pets"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(
            media["schema"]["$ref"],
            "#/x-apiradar-external/schemas~1pet.yaml"
        );
        assert_eq!(media["example"]["$ref"], "./not-a-reference.yaml");
        let pet = &root[EXTERNAL_KEY]["schemas/pet.yaml"];
        assert_eq!(
            pet["properties"]["owner"]["$ref"],
            "#/x-apiradar-external/schemas~1owner.yaml"
        );
        assert_eq!(
            pet["properties"]["sibling"]["$ref"],
            "#/x-apiradar-external/schemas~1pet.yaml"
        );
        let owner = &root[EXTERNAL_KEY]["schemas/owner.yaml"];
        assert_eq!(
            owner["properties"]["pets"]["items"]["$ref"],
            "#/x-apiradar-external/schemas~1pet.yaml"
        );
        // And the diff follows them.
        let doc = super::super::Doc::new(&root);
        let (resolved, _) = doc.resolve(&media["schema"]);
        assert_eq!(resolved["type"], "object");
    }

    #[test]
    fn remote_and_unreadable_references_are_notes() {
        let mut loader = memory(&[]);
        let mut root = json!({"components": {"schemas": {
            "A": {"$ref": "https://example.com/a.yaml#/A"},
            "B": {"$ref": "missing.yaml"},
            "C": {"$ref": "ftp://example.com/c.yaml"}
        }}});
        let here = Location::File("/api/openapi.yaml".into());
        let notes = bundle(
            &mut root,
            Some(&here),
            &BundleOptions::default(),
            &mut loader,
        );
        assert_eq!(notes.len(), 3, "{notes:?}");
        assert!(
            notes
                .iter()
                .any(|n| n.message.contains("--allow-remote-refs"))
        );
        assert!(
            notes
                .iter()
                .any(|n| n.message.contains("could not read missing.yaml"))
        );
        assert_eq!(
            root["components"]["schemas"]["A"]["$ref"],
            "https://example.com/a.yaml#/A"
        );
        assert_eq!(loader.reads, ["/api/missing.yaml"]);
    }

    #[test]
    fn network_documents_never_read_local_files() {
        let mut loader = memory(&[]);
        let mut root = json!({"components": {"schemas": {
            "A": {"$ref": "file:///etc/passwd"}
        }}});
        let here = Location::Url(Url::parse("https://example.com/openapi.yaml").unwrap());
        let options = BundleOptions {
            allow_remote: true,
            ..BundleOptions::default()
        };
        let notes = bundle(&mut root, Some(&here), &options, &mut loader);
        assert_eq!(notes.len(), 1);
        assert!(loader.reads.is_empty());
    }

    #[test]
    fn keys_fold_dots() {
        assert_eq!(relative_key(None, "./schemas/pet.yaml"), "schemas/pet.yaml");
        assert_eq!(
            relative_key(Some("schemas/pet.yaml"), "../common/e.yaml"),
            "common/e.yaml"
        );
        assert_eq!(relative_key(None, "../shared/x.yaml"), "../shared/x.yaml");
    }
}
