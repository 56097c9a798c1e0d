//! Where things live on disk, and watches declared in a TOML file.
//!
//! A team can keep its watch list in version control:
//!
//! ```toml
//! [settings]
//! max_body = "64MiB"
//! timeout = "60s"
//!
//! [[watch]]
//! name = "venice"
//! location = "https://api.venice.ai/doc/api/swagger.yaml"
//! kind = "openapi"          # openapi (default) | json | page
//! every = "1h"
//! headers = { Authorization = "Bearer ${VENICE_API_KEY}" }
//!
//! [[watch]]
//! name = "venice-models"
//! location = "https://api.venice.ai/api/v1/models"
//! kind = "json"
//! key = "id"
//! ```
//!
//! `apiradar --config watches.toml …` syncs the file into the database
//! before running the command: declared watches are added or updated, and
//! a watch that came from the file but is no longer in it is paused (not
//! deleted: its history stays until `apiradar remove`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fetch::FetchConfig;
use crate::store::{Store, StoreError};
use crate::watch::{self, Kind, WatchError, WatchSpec};
use crate::worker::WorkerConfig;

/// The platform directories apiradar uses.
#[derive(Debug, Clone, Serialize)]
pub struct Paths {
    pub db: PathBuf,
    pub config_dir: PathBuf,
    pub log_dir: PathBuf,
}

impl Paths {
    /// The default locations (XDG on Linux, Application Support on macOS,
    /// AppData on Windows), with the database overridden when given.
    pub fn resolve(db: Option<PathBuf>) -> Paths {
        let dirs = directories::ProjectDirs::from("", "", "apiradar");
        let (data, config, state) = match &dirs {
            Some(d) => (
                d.data_dir().to_path_buf(),
                d.config_dir().to_path_buf(),
                d.state_dir().unwrap_or(d.data_dir()).to_path_buf(),
            ),
            // No home directory (some containers): work in the current one.
            None => (
                PathBuf::from(".apiradar"),
                PathBuf::from(".apiradar"),
                PathBuf::from(".apiradar"),
            ),
        };
        Paths {
            db: db.unwrap_or_else(|| data.join("apiradar.db")),
            config_dir: config,
            log_dir: state.join("logs"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {reason}")]
    Syntax {
        path: String,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("{path}: watch `{name}`: {source}")]
    Watch {
        path: String,
        name: String,
        #[source]
        source: WatchError,
    },
    #[error("{path}: watch `{0}` is declared twice", path = .1)]
    Duplicate(String, String),
    #[error("{path}: settings: {reason}")]
    Setting { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Tunables that can be set in the `[settings]` table (and some by flags).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Largest body accepted, e.g. `"64MiB"`.
    pub max_body: Option<String>,
    /// Whole-request timeout, e.g. `"60s"`.
    pub timeout: Option<String>,
    pub connect_timeout: Option<String>,
    /// Polls at once, in all and per host.
    pub concurrency: Option<usize>,
    pub per_host: Option<usize>,
    /// Failed polls in a row before a watch is paused.
    pub pause_after: Option<u32>,
    /// How often endpoints are probed while apiradar runs, e.g. `"5m"`.
    pub health_every: Option<String>,
    /// How long raw health checks are kept (hourly rollups stay), e.g. `"30d"`.
    pub health_retention: Option<String>,
}

impl Settings {
    /// Applies the settings to fetch and worker configuration.
    pub fn apply(&self, fetch: &mut FetchConfig, worker: &mut WorkerConfig) -> Result<(), String> {
        if let Some(size) = &self.max_body {
            fetch.max_body = parse_size(size)?;
        }
        if let Some(t) = &self.timeout {
            fetch.timeout = parse_duration(t)?;
        }
        if let Some(t) = &self.connect_timeout {
            fetch.connect_timeout = parse_duration(t)?;
        }
        if let Some(n) = self.concurrency {
            worker.concurrency = n.max(1);
        }
        if let Some(n) = self.per_host {
            worker.per_host = n.max(1);
        }
        if let Some(n) = self.pause_after {
            worker.policy.pause_after = n;
        }
        Ok(())
    }

    /// Applies the health settings to a schedule.
    pub fn apply_health(&self, schedule: &mut crate::health::Schedule) -> Result<(), String> {
        if let Some(d) = &self.health_every {
            let every = parse_duration(d)?;
            if every < Duration::from_secs(10) {
                return Err(format!("health_every `{d}` is below the minimum of 10s"));
            }
            schedule.every = every;
        }
        if let Some(d) = &self.health_retention {
            schedule.retention = parse_duration(d)?;
        }
        Ok(())
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|_| format!("`{s}` is not a duration (e.g. 30s)"))
}

/// Parses `64MiB`, `10MB`, `512KiB`, `1GiB` or a plain byte count.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 64MiB)"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mib" => 1024.0 * 1024.0,
        "g" | "gb" => 1e9,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("`{s}` has an unknown unit (use KiB, MiB or GiB)")),
    };
    Ok((number * scale) as u64)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    settings: Settings,
    #[serde(default, rename = "watch")]
    watches: Vec<RawWatch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWatch {
    name: String,
    #[serde(alias = "url")]
    location: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    every: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    paused: bool,
}

/// A parsed watch file.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchFile {
    pub path: PathBuf,
    pub settings: Settings,
    /// Declared watches with whether each is declared paused.
    pub watches: Vec<(WatchSpec, bool)>,
}

/// Reads and validates a watch file. Errors name the file, the line and
/// the reason.
pub fn load_watch_file(path: &Path) -> Result<WatchFile, ConfigError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: shown.clone(),
        source,
    })?;
    let raw: RawFile = toml::from_str(&text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|span| line_column(&text, span.start))
            .unwrap_or((1, 1));
        ConfigError::Syntax {
            path: shown.clone(),
            line,
            column,
            reason: e.message().to_string(),
        }
    })?;
    raw.settings
        .apply(&mut FetchConfig::default(), &mut WorkerConfig::default())
        .map_err(|reason| ConfigError::Setting {
            path: shown.clone(),
            reason,
        })?;
    let mut watches = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for w in raw.watches {
        let name = w.name.clone();
        let err = |source| ConfigError::Watch {
            path: shown.clone(),
            name: name.clone(),
            source,
        };
        if !seen.insert(name.clone()) {
            return Err(ConfigError::Duplicate(name, shown));
        }
        let kind = match &w.kind {
            Some(k) => k
                .parse::<Kind>()
                .map_err(|_| err(WatchError::BadKind(k.clone())))?,
            None => Kind::OpenApi,
        };
        let interval = match &w.every {
            Some(e) => watch::parse_interval(e).map_err(err)?,
            None => watch::DEFAULT_INTERVAL,
        };
        let folder = path.parent().unwrap_or(Path::new("."));
        let spec = WatchSpec {
            name: w.name,
            kind,
            location: watch::absolute_location(&w.location, folder),
            interval,
            headers: w.headers.into_iter().collect(),
            item_key: w.key,
        };
        spec.validate().map_err(err)?;
        watches.push((spec, w.paused));
    }
    Ok(WatchFile {
        path: path.to_path_buf(),
        settings: raw.settings,
        watches,
    })
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |i| before.len() - i - 1)
        + 1;
    (line, column)
}

/// The pause reason of a watch declared with `paused = true`.
const PAUSED_IN_FILE: &str = "paused in the config file";
/// The start of the pause reason of a watch dropped from the file.
const ORPHANED: &str = "no longer declared in";

/// What syncing a watch file changed.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    pub added: Vec<String>,
    pub updated: Vec<String>,
    /// From the file before, gone from it now: paused, history kept.
    pub orphaned: Vec<String>,
}

/// Makes the database's watches match the file.
pub fn sync_watch_file(store: &Store, file: &WatchFile) -> Result<SyncReport, ConfigError> {
    let mut report = SyncReport::default();
    let existing = store.list_watches()?;
    for (spec, paused) in &file.watches {
        match existing.iter().find(|w| w.spec.name == spec.name) {
            None => {
                store.add_watch(spec, true)?;
                report.added.push(spec.name.clone());
            }
            Some(w) if w.spec != *spec || !w.from_config => {
                store.update_watch(&spec.name, spec, true)?;
                report.updated.push(spec.name.clone());
            }
            Some(_) => {}
        }
        let current = store.watch(&spec.name)?;
        // Only pauses the file itself caused are undone by the file; a
        // user's or the worker's pause stays until `resume`.
        let paused_by_file = current
            .paused_reason
            .as_deref()
            .is_some_and(|r| r == PAUSED_IN_FILE || r.starts_with(ORPHANED));
        if *paused && !current.paused {
            store.pause_watch(&spec.name, PAUSED_IN_FILE)?;
        } else if !*paused && current.paused && paused_by_file {
            store.resume_watch(&spec.name)?;
        }
    }
    let orphan_reason = format!(
        "{ORPHANED} {}; `apiradar remove NAME` deletes its history",
        file.path.display()
    );
    for w in existing.iter().filter(|w| w.from_config) {
        if !file.watches.iter().any(|(s, _)| s.name == w.spec.name) && !w.paused {
            store.pause_watch(&w.spec.name, &orphan_reason)?;
            report.orphaned.push(w.spec.name.clone());
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {

    #[test]
    fn health_settings_apply_with_a_floor() {
        let mut schedule = crate::health::Schedule::default();
        let settings = Settings {
            health_every: Some("2m".into()),
            health_retention: Some("7d".into()),
            ..Settings::default()
        };
        settings.apply_health(&mut schedule).unwrap();
        assert_eq!(schedule.every, Duration::from_secs(120));
        assert_eq!(schedule.retention, Duration::from_secs(7 * 86_400));
        let too_often = Settings {
            health_every: Some("1s".into()),
            ..Settings::default()
        };
        assert!(too_often.apply_health(&mut schedule).is_err());
    }

    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("watches.toml");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("10 MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("3 parsecs").is_err());
    }

    #[test]
    fn a_watch_file_syncs_and_orphans_are_paused_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            r#"
[[watch]]
name = "venice"
location = "https://example.test/swagger.yaml"
every = "2h"
headers = { Authorization = "Bearer ${VENICE_API_KEY}" }

[[watch]]
name = "models"
url = "https://example.test/models"
kind = "json"
key = "id"
"#,
        );
        let store = Store::open_in_memory().unwrap();
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&store, &file).unwrap();
        assert_eq!(r.added, vec!["venice", "models"]);
        let v = store.watch("venice").unwrap();
        assert_eq!(v.spec.interval.as_secs(), 7200);
        assert!(v.from_config);
        // Syncing again changes nothing.
        assert_eq!(
            sync_watch_file(&store, &file).unwrap(),
            SyncReport::default()
        );

        let path = write(
            dir.path(),
            "[[watch]]\nname = \"venice\"\nlocation = \"https://example.test/v2.yaml\"\n",
        );
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&store, &file).unwrap();
        assert_eq!(r.updated, vec!["venice"]);
        assert_eq!(r.orphaned, vec!["models"]);
        let m = store.watch("models").unwrap();
        assert!(m.paused);
        assert!(m.paused_reason.unwrap().contains("no longer declared"));
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "[[watch]]\nname = \"a\"\nlocation = 5\n");
        let e = load_watch_file(&path).unwrap_err().to_string();
        assert!(e.contains("watches.toml:3:"), "{e}");

        let path = write(
            dir.path(),
            "[[watch]]\nname = \"a\"\nlocation = \"x\"\nheaders = { Authorization = \"Bearer sk-1\" }\n",
        );
        let e = load_watch_file(&path).unwrap_err().to_string();
        assert!(e.contains("environment variable"), "{e}");
        assert!(!e.contains("sk-1"), "{e}");

        let path = write(
            dir.path(),
            "[[watch]]\nname = \"a\"\nlocation = \"x\"\nevery = \"5s\"\n",
        );
        let e = load_watch_file(&path).unwrap_err().to_string();
        assert!(e.contains("minimum"), "{e}");

        let path = write(dir.path(), "[settings]\nmax_body = \"huge\"\n");
        let e = load_watch_file(&path).unwrap_err().to_string();
        assert!(e.contains("max_body") || e.contains("size"), "{e}");
    }
}
