//! `apiradar conform NAME`: what the watch's endpoints answered compared
//! with its description: the open drift per endpoint, what cleared in the
//! last day, the last check's note, and how the observed shape of the
//! responses changed between the last two days seen. Reads the store
//! only: the probes (and a catalog audit's polls) do the checking.

use serde::Serialize;

use super::AppError;
use crate::health::conform::shape::{Shape, ShapeChange, changes};
use crate::store::Store;
use crate::store::drift::{Audit, DriftRow};

#[derive(Debug, Clone, Default)]
pub struct ConformRequest {
    pub name: String,
    /// Only this operation (`GET /v1/items`).
    pub endpoint: Option<String>,
}

/// The drift of one operation.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointDrift {
    pub operation: String,
    /// When a response was last checked, and validated.
    pub checked_at: Option<i64>,
    pub validated_at: Option<i64>,
    /// Why the last response was not validated, if it was not.
    pub note: Option<String>,
    pub open: Vec<DriftRow>,
    /// Cleared in the last 24 hours.
    pub cleared: Vec<DriftRow>,
    /// How the shape of the responses changed from `shape_since` (a day,
    /// `YYYY-MM-DD`) to the latest day.
    pub shape_since: Option<String>,
    pub shape_day: Option<String>,
    pub shape_changes: Vec<ShapeChange>,
}

impl EndpointDrift {
    /// Open drifts at (errors, warnings, infos).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |l: &str| self.open.iter().filter(|d| d.level == l).count();
        (n("error"), n("warning"), n("info"))
    }
}

/// What `conform` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Conformance {
    pub watch: String,
    /// A `json` watch validated against a described operation.
    pub audit: Option<Audit>,
    /// Health is on for the watch (its described endpoints are probed).
    pub probed: bool,
    pub endpoints: Vec<EndpointDrift>,
}

impl Conformance {
    /// An open error-level drift fails the command (exit 1).
    pub fn verdict(&self) -> Result<(), AppError> {
        if self.endpoints.iter().any(|e| e.counts().0 > 0) {
            Err(AppError::PartialFailure)
        } else {
            Ok(())
        }
    }
}

/// `add`/`edit --schema SPEC OPERATION` of a json watch, checked against
/// the stored description before anything is changed: the operation as
/// stored (`GET /models`).
pub fn check_audit(store: &Store, spec: &str, operation: &str) -> Result<String, AppError> {
    crate::health::audit::check_audit(store, spec, operation)
        .map_err(|e| AppError::Usage(format!("--schema: {e}")))
}

/// Sets (or with `None` removes) the catalog audit of watch `name`.
pub fn set_audit(
    store: &mut Store,
    name: &str,
    audit: Option<(&str, &str)>,
) -> Result<Option<String>, AppError> {
    let watch = store.watch(name)?;
    crate::health::audit::set_audit(store, &watch, audit)
        .map_err(|e| AppError::Usage(format!("--schema: {e}")))
}

fn day_text(day: i64) -> String {
    chrono::DateTime::from_timestamp(day * 86_400, 0)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub fn run(store: &Store, req: &ConformRequest) -> Result<Conformance, AppError> {
    let watch = store.watch(&req.name)?;
    let wanted = match &req.endpoint {
        Some(op) => {
            let (m, p) = crate::health::declare::parse_operation(op).map_err(AppError::Usage)?;
            Some(format!("{m} {p}"))
        }
        None => None,
    };
    let now = crate::store::now_ms();
    let states = store.conform_states(watch.id)?;
    let open = store.drifts(watch.id, None)?;
    let recent = store.drifts(watch.id, Some(now - 86_400_000))?;
    let mut operations: Vec<String> = states.iter().map(|s| s.operation.clone()).collect();
    operations.extend(recent.iter().map(|d| d.operation.clone()));
    // Endpoints probed but never checked yet are listed too.
    for e in crate::health::probed_endpoints(store, &watch)? {
        if let Some(path) = &e.path
            && e.method != "HEAD"
        {
            operations.push(format!("{} {path}", e.method));
        }
    }
    let audit = store.audit(watch.id)?;
    if let Some(a) = &audit {
        operations.push(a.operation.clone());
    }
    operations.sort();
    operations.dedup();
    if let Some(w) = &wanted {
        if !operations.contains(w) {
            return Err(AppError::Usage(format!(
                "{}: no response of `{w}` was checked (see `apiradar conform {}` for the endpoints that were)",
                watch.spec.name, watch.spec.name
            )));
        }
        operations.retain(|o| o == w);
    }
    let mut endpoints = Vec::new();
    for operation in operations {
        let state = states.iter().find(|s| s.operation == operation);
        let days = store.day_shapes(watch.id, &operation, 2)?;
        let (mut shape_since, mut shape_day, mut shape_changes) = (None, None, Vec::new());
        if let [latest, before] = days.as_slice() {
            let a: Shape = serde_json::from_str(&before.shape).unwrap_or_default();
            let b: Shape = serde_json::from_str(&latest.shape).unwrap_or_default();
            shape_changes = changes(&a, &b);
            shape_since = Some(day_text(before.day));
            shape_day = Some(day_text(latest.day));
        }
        endpoints.push(EndpointDrift {
            checked_at: state.map(|s| s.checked_at),
            validated_at: state.and_then(|s| s.validated_at),
            note: state.and_then(|s| s.note.clone()),
            open: open
                .iter()
                .filter(|d| d.operation == operation)
                .cloned()
                .collect(),
            cleared: recent
                .iter()
                .filter(|d| d.operation == operation && d.cleared_at.is_some())
                .cloned()
                .collect(),
            shape_since,
            shape_day,
            shape_changes,
            operation,
        });
    }
    Ok(Conformance {
        probed: store.health_settings(watch.id)?.probe,
        watch: watch.spec.name,
        audit,
        endpoints,
    })
}
