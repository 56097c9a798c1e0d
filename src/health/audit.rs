//! Catalog audits: a `json` watch that names the operation whose response
//! it is (`add models URL --kind json --schema venice@latest 'GET /models'`)
//! has every polled document validated against that operation's response
//! schema, with the same drift findings, folding and alerts as a probe's
//! response. No request of its own: the poll's body is what is checked.

use crate::health::conform::{self, Described, Response};
use crate::store::{SharedStore, Store, lock_store};
use crate::watch::{Kind, Watch};

/// `NAME`, `NAME@latest`, `NAME@N` or `NAME@latest~N`: the watch and the
/// version of the description an audit validates against.
pub fn description_version(store: &Store, spec: &str) -> Result<(Watch, i64), String> {
    let (name, reference) = spec.split_once('@').unwrap_or((spec, "latest"));
    let watch = store
        .find_watch(name)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no watch named `{name}` (the description to validate against)"))?;
    if watch.spec.kind != Kind::OpenApi {
        return Err(format!(
            "`{name}` is a {} watch, not an OpenAPI description",
            watch.spec.kind
        ));
    }
    let latest = watch
        .latest_seq
        .ok_or_else(|| format!("`{name}` has no stored version yet"))?;
    let seq = match reference {
        "latest" => latest,
        r if r.starts_with("latest~") => r["latest~".len()..]
            .parse::<i64>()
            .map(|back| latest - back)
            .map_err(|_| format!("cannot read version `{r}` of `{name}`"))?,
        r => r
            .parse::<i64>()
            .map_err(|_| format!("cannot read version `{r}` of `{name}`"))?,
    };
    if seq < 1 || seq > latest {
        return Err(format!(
            "`{name}` has no version {seq} ({} stored)",
            crate::text::count(latest, "version", "versions")
        ));
    }
    Ok((watch, seq))
}

/// The description an audit names, read from the store.
pub fn read_description(store: &Store, spec: &str) -> Result<Vec<u8>, String> {
    let (watch, seq) = description_version(store, spec)?;
    let version = store.version(&watch, seq).map_err(|e| e.to_string())?;
    store.read_blob(version.blob_id).map_err(|e| e.to_string())
}

/// Checks that `spec` describes `operation` (for `add`/`edit --schema`).
pub fn check_audit(store: &Store, spec: &str, operation: &str) -> Result<String, String> {
    let (method, path) = crate::health::declare::parse_operation(operation)?;
    let described = Described::from_raw(&read_description(store, spec)?)?;
    if !described.has_operation(&method, &path) {
        return Err(format!("{spec} describes no operation `{method} {path}`"));
    }
    Ok(format!("{method} {path}"))
}

/// Validates a polled document of `watch` against its audit, if it has
/// one, and records the drift. Returns a note when the document could not
/// be validated (the description gone, no such operation, not JSON).
pub fn audit_poll(
    store: &SharedStore,
    watch: &Watch,
    raw: &[u8],
    status: u16,
    content_type: Option<&str>,
    at: i64,
) -> Option<String> {
    if watch.spec.kind != Kind::Json {
        return None;
    }
    let id = watch.id;
    let found = {
        let s = lock_store(store);
        s.audit(id)
            .map(|audit| audit.map(|audit| (read_description(&s, &audit.spec), audit)))
    };
    let (description, audit) = match found {
        Ok(Some(x)) => x,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(watch = %watch.spec.name, "cannot read the catalog audit: {e}");
            return None;
        }
    };
    let operation = &audit.operation;
    let verdict = (|| {
        let described = Described::from_raw(&description?)?;
        let (method, path) = crate::health::declare::parse_operation(operation)?;
        if !described.has_operation(&method, &path) {
            return Err(format!(
                "{} describes no operation `{operation}`",
                audit.spec
            ));
        }
        Ok(described.check(
            &method,
            &path,
            &Response {
                status,
                content_type,
                body: raw,
                complete: true,
            },
        ))
    })();
    let verdict = match verdict {
        Ok(v) => v,
        Err(why) => {
            let why = format!("not audited: {why}");
            tracing::warn!(watch = %watch.spec.name, "{why}");
            return Some(why);
        }
    };
    match conform::record(&mut lock_store(store), id, operation, at, &verdict) {
        Ok(note) => note,
        Err(e) => {
            tracing::warn!(watch = %watch.spec.name, "cannot record the catalog audit: {e}");
            None
        }
    }
}

/// Stores `--schema SPEC OPERATION` for a `json` watch (checked first), or
/// removes it.
pub fn set_audit(
    store: &mut Store,
    watch: &Watch,
    audit: Option<(&str, &str)>,
) -> Result<Option<String>, String> {
    let Some((spec, operation)) = audit else {
        store.set_audit(watch.id, None).map_err(|e| e.to_string())?;
        return Ok(None);
    };
    if watch.spec.kind != Kind::Json {
        return Err(format!(
            "--schema applies to json watches; `{}` is {}",
            watch.spec.name, watch.spec.kind
        ));
    }
    let operation = check_audit(store, spec, operation)?;
    store
        .set_audit(watch.id, Some((spec, &operation)))
        .map_err(|e| e.to_string())?;
    Ok(Some(operation))
}
