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
//! `[[alert]]` tables declare alert channels and `[[cache]]` tables
//! prompt-caching targets, with the keys of `alert add` and `cache add`
//! (checked by the same code, [`crate::alert::declare`] and
//! [`crate::caching::declare`]).
//!
//! `apiradar --config watches.toml …` syncs the file into the database
//! before running the command: what is declared is added or updated, and
//! what came from the file but is no longer in it is switched off, not
//! deleted — a watch or caching target is paused, a channel loses its
//! rules — so its history stays until it is removed by hand.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::fetch::FetchConfig;
use crate::pipeline::worker::WorkerConfig;
use crate::store::{Store, StoreError};
use crate::watch::{self, Kind, WatchError, WatchSpec};

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
    #[error("{path}: {what} `{name}`: {reason}")]
    Declared {
        path: String,
        /// `alert` or `cache`.
        what: &'static str,
        name: String,
        reason: String,
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
    /// Polls at once, in all.
    pub concurrency: Option<usize>,
    /// Requests in flight at once to one host.
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
    #[serde(default, rename = "alert")]
    alerts: Vec<crate::alert::declare::ChannelDecl>,
    #[serde(default, rename = "cache")]
    caches: Vec<crate::caching::declare::TargetDecl>,
    #[serde(default, rename = "endpoint")]
    endpoints: Vec<crate::health::declare::EndpointDecl>,
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
    /// Header names whose values are not secret (`--public-header`).
    #[serde(default)]
    public_headers: Vec<String>,
    #[serde(default)]
    paused: bool,
    /// Described operations of other methods to probe (`POST /search`).
    #[serde(default)]
    enable: Option<Vec<String>>,
    /// Described operations not to probe (`GET /export`).
    #[serde(default)]
    disable: Option<Vec<String>>,
    /// Probe the endpoints the description lists (health on).
    #[serde(default)]
    health: Option<bool>,
    /// Let described endpoints reach private and loopback addresses.
    #[serde(default)]
    allow_private: Option<bool>,
    /// Catalog settings (see [`crate::watch::WatchOptions`]).
    #[serde(default)]
    ignore_fields: Vec<String>,
    #[serde(default)]
    no_key: bool,
    #[serde(default)]
    price_paths: Vec<String>,
    /// Level overrides by check id: `levels = { catalog-item-removed = "warning" }`.
    #[serde(default)]
    levels: BTreeMap<String, String>,
    /// Changelog keywords for page watches.
    #[serde(default)]
    keywords: Option<Vec<String>>,
}

/// A parsed watch file.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchFile {
    pub path: PathBuf,
    pub settings: Settings,
    /// Declared watches with whether each is declared paused.
    pub watches: Vec<(WatchSpec, bool)>,
    /// Declared alert channels (`[[alert]]`).
    pub channels: Vec<crate::alert::declare::ChannelDef>,
    /// Declared prompt-caching targets (`[[cache]]`).
    pub targets: Vec<crate::caching::declare::TargetDef>,
    /// Endpoints probed besides the described ones (`[[endpoint]]`).
    pub endpoints: Vec<crate::health::declare::EndpointDef>,
    /// Per watch that lists `enable` or `disable`: its operation switches
    /// (method, path, on), which replace the ones made by hand.
    pub overrides: Vec<(String, Vec<Switch>)>,
    /// Per watch that sets `health` or `allow_private`: (name, health,
    /// allow_private); `None` leaves the database's setting as it is.
    pub health: Vec<(String, Option<bool>, Option<bool>)>,
}

/// A described operation turned on or off: (method, path, on).
pub type Switch = (String, String, bool);

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
    let mut overrides = Vec::new();
    let mut health = Vec::new();
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
            options: Box::new(crate::watch::WatchOptions {
                ignore_fields: w.ignore_fields,
                no_key: w.no_key,
                price_paths: w.price_paths,
                levels: w.levels,
                keywords: w
                    .keywords
                    .map(|k| k.iter().map(|w| w.to_lowercase()).collect()),
            }),
        };
        spec.validate().map_err(err)?;
        crate::diff::json::check_options(&spec.options)
            .map_err(|e| err(WatchError::BadOption(e)))?;
        watch::check_headers(&spec.headers, &w.public_headers).map_err(err)?;
        if w.health.is_some() || w.allow_private.is_some() {
            health.push((spec.name.clone(), w.health, w.allow_private));
        }
        if w.enable.is_some() || w.disable.is_some() {
            let mut switches = Vec::new();
            let lists = [
                (w.enable.unwrap_or_default(), true),
                (w.disable.unwrap_or_default(), false),
            ];
            for (list, on) in lists {
                for op in list {
                    let (method, path) =
                        crate::health::declare::parse_operation(&op).map_err(|reason| {
                            ConfigError::Declared {
                                path: shown.clone(),
                                what: "watch",
                                name: spec.name.clone(),
                                reason,
                            }
                        })?;
                    switches.push((method, path, on));
                }
            }
            switches.sort();
            overrides.push((spec.name.clone(), switches));
        }
        watches.push((spec, w.paused));
    }
    let folder = path.parent().unwrap_or(Path::new("."));
    let declared = |what: &'static str, name: &str, reason: String| ConfigError::Declared {
        path: shown.clone(),
        what,
        name: name.to_owned(),
        reason,
    };
    let mut channels: Vec<crate::alert::declare::ChannelDef> = Vec::new();
    for decl in &raw.alerts {
        let def = decl
            .resolve(folder)
            .map_err(|reason| declared("alert", &decl.name, reason))?;
        if def.kind != crate::store::alerts::ChannelKind::Email {
            watch::check_secret_url(&def.url)
                .map_err(|reason| declared("alert", &decl.name, reason))?;
        }
        if channels.iter().any(|c| c.name == def.name) {
            return Err(declared("alert", &decl.name, "declared twice".into()));
        }
        channels.push(def);
    }
    let mut targets: Vec<crate::caching::declare::TargetDef> = Vec::new();
    for decl in &raw.caches {
        let def = decl
            .resolve()
            .map_err(|reason| declared("cache", &decl.name, reason))?;
        if targets.iter().any(|t| t.name == def.name) {
            return Err(declared("cache", &decl.name, "declared twice".into()));
        }
        targets.push(def);
    }
    let mut endpoints: Vec<crate::health::declare::EndpointDef> = Vec::new();
    for decl in &raw.endpoints {
        let label = format!("{} {}", decl.method.as_deref().unwrap_or("GET"), decl.url);
        let def = decl
            .resolve(folder)
            .map_err(|reason| declared("endpoint", &label, reason))?;
        if endpoints
            .iter()
            .any(|e| e.watch == def.watch && e.method == def.method && e.url == def.url)
        {
            return Err(declared("endpoint", &label, "declared twice".into()));
        }
        endpoints.push(def);
    }
    Ok(WatchFile {
        path: path.to_path_buf(),
        settings: raw.settings,
        watches,
        channels,
        targets,
        endpoints,
        overrides,
        health,
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
    /// Alert channels added or changed to match the file.
    pub channels: Vec<String>,
    /// Alert channels gone from the file: disabled, history kept.
    pub orphaned_channels: Vec<String>,
    /// Caching targets added or changed to match the file.
    pub targets: Vec<String>,
    /// Caching targets gone from the file: paused, runs kept.
    pub orphaned_targets: Vec<String>,
    /// Endpoints added or changed to match the file (`METHOD URL`).
    pub endpoints: Vec<String>,
    /// Endpoints gone from the file: no longer probed, checks kept.
    pub orphaned_endpoints: Vec<String>,
    /// Watches whose operation switches were replaced by the file's.
    pub switches: Vec<String>,
}

impl SyncReport {
    /// What changed, in a few words (`nothing changed` when nothing did).
    pub fn summary(&self) -> String {
        // Each noun in its two forms.
        const WATCH: (&str, &str) = ("watch", "watches");
        const WATCHS: (&str, &str) = ("watch's", "watches'");
        const ENDPOINT: (&str, &str) = ("endpoint", "endpoints");
        const CHANNEL: (&str, &str) = ("alert channel", "alert channels");
        const TARGET: (&str, &str) = ("caching target", "caching targets");
        let parts: Vec<String> = [
            (self.added.len(), WATCH, "added"),
            (self.updated.len(), WATCH, "updated"),
            (self.orphaned.len(), WATCH, "paused"),
            (self.switches.len(), WATCHS, "operation switches replaced"),
            (self.endpoints.len(), ENDPOINT, "added or changed"),
            (self.orphaned_endpoints.len(), ENDPOINT, "switched off"),
            (self.channels.len(), CHANNEL, "added or changed"),
            (self.orphaned_channels.len(), CHANNEL, "switched off"),
            (self.targets.len(), TARGET, "added or changed"),
            (self.orphaned_targets.len(), TARGET, "paused"),
        ]
        .into_iter()
        .filter(|(n, ..)| *n > 0)
        .map(|(n, (one, many), what)| format!("{} {what}", crate::text::count(n, one, many)))
        .collect();
        if parts.is_empty() {
            "nothing changed".into()
        } else {
            parts.join(", ")
        }
    }
}

/// How often a followed config file is looked at.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(2);

/// Follows a config file while apiradar runs (`apiradar run`, the
/// dashboard): when it changes it is read and synced again, watches it adds
/// are polled at once, and each sync is reported as
/// [`WorkerEvent::ConfigSynced`](crate::pipeline::worker::WorkerEvent::ConfigSynced).
/// A file that no longer reads changes nothing. `[settings]` take effect at
/// the next start; the report says so when they changed.
pub async fn follow(
    store: crate::store::SharedStore,
    path: PathBuf,
    started_with: Settings,
    commands: tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::Command>,
    events: tokio::sync::mpsc::UnboundedSender<crate::pipeline::worker::WorkerEvent>,
) {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.modified().ok(), m.len()))
    };
    let mut seen = stamp(&path);
    let mut tick = tokio::time::interval(FOLLOW_EVERY);
    loop {
        tick.tick().await;
        let now = stamp(&path);
        if now == seen {
            continue;
        }
        seen = now;
        let outcome = match load_watch_file(&path) {
            Err(e) => Err(format!("{e}; nothing changed")),
            Ok(file) => {
                let settings_changed = file.settings != started_with;
                let synced =
                    crate::store::with_store(&store, move |s| Ok(sync_watch_file(s, &file))).await;
                match synced {
                    Ok(Ok(r)) => {
                        if !r.added.is_empty() {
                            let _ = commands
                                .send(crate::pipeline::worker::Command::PollNow(r.added.clone()));
                        }
                        let mut summary = r.summary();
                        if settings_changed {
                            summary.push_str("; [settings] take effect at the next start");
                        }
                        Ok(summary)
                    }
                    Ok(Err(e)) => Err(format!("{e}; the rest of the file was not synced")),
                    Err(e) => Err(format!("{}: cannot sync: {e}", path.display())),
                }
            }
        };
        let event = crate::pipeline::worker::WorkerEvent::ConfigSynced {
            file: path.display().to_string(),
            outcome,
        };
        if events.send(event).is_err() {
            return;
        }
    }
}

/// Makes the database's watches, alert channels and caching targets match
/// the file.
pub fn sync_watch_file(store: &mut Store, file: &WatchFile) -> Result<SyncReport, ConfigError> {
    let mut report = sync_watches(store, file)?;
    let gone = |command: &str| {
        format!(
            "{ORPHANED} {}; `apiradar {command} remove NAME` deletes it",
            file.path.display()
        )
    };
    // A channel for one watch needs that watch, from the file or added by
    // hand; say so before changing any channel.
    for def in &file.channels {
        if let Some(w) = &def.watch
            && store.find_watch(w)?.is_none()
        {
            return Err(ConfigError::Declared {
                path: file.path.display().to_string(),
                what: "alert",
                name: def.name.clone(),
                reason: format!("no watch named `{w}` (declare it or add it first)"),
            });
        }
    }
    let existing = store.channels()?;
    for def in &file.channels {
        let current = existing.iter().find(|c| c.name == def.name);
        let same = current.is_some_and(|c| {
            c.from_config
                && c.disabled.is_none()
                && c.kind == def.kind
                && c.url == def.url
                && c.secret_env == def.secret_env
                && c.options == def.options.clone().unwrap_or(serde_json::Value::Null)
                && c.watch == def.watch
                && c.thresholds == def.thresholds
                && sorted(c.events.iter().map(|e| e.as_str()))
                    == sorted(def.events.iter().map(|e| e.as_str()))
        });
        if !same {
            store.declare_channel(&def.as_new())?;
            report.channels.push(def.name.clone());
        }
    }
    for c in existing
        .iter()
        .filter(|c| c.from_config && c.disabled.is_none())
    {
        if !file.channels.iter().any(|d| d.name == c.name) {
            store.disable_channel(&c.name, &gone("alert"))?;
            report.orphaned_channels.push(c.name.clone());
        }
    }
    sync_endpoints(store, file, &mut report)?;
    let existing = store.cache_targets()?;
    for def in &file.targets {
        let current = existing.iter().find(|t| t.name == def.name);
        let same = current.is_some_and(|t| {
            t.from_config
                && !t.paused
                && t.profile == def.profile.name
                && t.base_url == def.base_url
                && t.api_key_env == def.api_key_env
                && t.models == def.models
                && t.settings == def.settings
        });
        if !same {
            store.declare_cache_target(&def.as_new())?;
            report.targets.push(def.name.clone());
        }
    }
    for t in existing.iter().filter(|t| t.from_config && !t.paused) {
        if !file.targets.iter().any(|d| d.name == t.name) {
            store.pause_cache_target(&t.name, &gone("cache"))?;
            report.orphaned_targets.push(t.name.clone());
        }
    }
    Ok(report)
}

/// The `[[endpoint]]` tables and the watches' `enable`/`disable` lists.
fn sync_endpoints(
    store: &mut Store,
    file: &WatchFile,
    report: &mut SyncReport,
) -> Result<(), ConfigError> {
    let shown = file.path.display().to_string();
    for (name, probe, allow_private) in &file.health {
        let watch = store.watch(name)?;
        let current = store.health_settings(watch.id)?;
        if probe.is_some_and(|p| p != current.probe)
            || allow_private.is_some_and(|a| a != current.allow_private)
        {
            store.set_health_settings(watch.id, *probe, *allow_private)?;
            report.switches.push(name.clone());
        }
    }
    for (name, switches) in &file.overrides {
        let watch = store.watch(name)?;
        let mut current = store.endpoint_overrides(watch.id)?;
        current.sort();
        if &current != switches {
            store.replace_endpoint_overrides(watch.id, switches)?;
            report.switches.push(name.clone());
        }
    }
    let mut declared_ids = Vec::new();
    for def in &file.endpoints {
        let label = format!("{} {}", def.method, def.url);
        let Some(watch) = store.find_watch(&def.watch)? else {
            return Err(ConfigError::Declared {
                path: shown,
                what: "endpoint",
                name: label,
                reason: format!(
                    "no watch named `{}` (declare it or add it first)",
                    def.watch
                ),
            });
        };
        let current = store
            .endpoints(watch.id)?
            .into_iter()
            .find(|e| e.method == def.method && e.url == def.url);
        let same = current.as_ref().is_some_and(|e| {
            e.source == "manual"
                && e.enabled
                && e.conditions == def.conditions
                && e.degraded_ms == def.degraded_ms
                && e.headers == def.headers
                && e.body == def.body
        });
        let from_config = store
            .config_endpoints()?
            .iter()
            .any(|(id, ..)| current.as_ref().is_some_and(|e| e.id == *id));
        if same && from_config {
            declared_ids.extend(current.map(|e| e.id));
            continue;
        }
        let e = store.declare_endpoint(watch.id, &def.as_new(), true)?;
        declared_ids.push(e.id);
        report.endpoints.push(label);
    }
    for (id, _, method, url) in store.config_endpoints()? {
        if !declared_ids.contains(&id) {
            store.disable_endpoint(id)?;
            report.orphaned_endpoints.push(format!("{method} {url}"));
        }
    }
    Ok(())
}

fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.collect();
    v.sort_unstable();
    v
}

fn sync_watches(store: &Store, file: &WatchFile) -> Result<SyncReport, ConfigError> {
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

    #[test]
    fn a_sync_summary_counts_in_english() {
        let mut report = SyncReport::default();
        assert_eq!(report.summary(), "nothing changed");
        report.added = vec!["a".into()];
        report.switches = vec!["a".into(), "b".into()];
        report.orphaned_channels = vec!["ops".into()];
        assert_eq!(
            report.summary(),
            "1 watch added, 2 watches' operation switches replaced, 1 alert channel switched off"
        );
    }

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
        let mut store = Store::open_in_memory().unwrap();
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.added, vec!["venice", "models"]);
        let v = store.watch("venice").unwrap();
        assert_eq!(v.spec.interval.as_secs(), 7200);
        assert!(v.from_config);
        // Syncing again changes nothing.
        assert_eq!(
            sync_watch_file(&mut store, &file).unwrap(),
            SyncReport::default()
        );

        let path = write(
            dir.path(),
            "[[watch]]\nname = \"venice\"\nlocation = \"https://example.test/v2.yaml\"\n",
        );
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.updated, vec!["venice"]);
        assert_eq!(r.orphaned, vec!["models"]);
        let m = store.watch("models").unwrap();
        assert!(m.paused);
        assert!(m.paused_reason.unwrap().contains("no longer declared"));
    }

    #[test]
    fn alert_channels_and_caching_targets_sync_and_are_switched_off_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let full = r#"
[[watch]]
name = "api"
location = "https://example.test/openapi.json"

[[alert]]
name = "ops"
webhook = "https://hooks.example.test/apiradar"
secret_env = "HOOK_SECRET"
on = ["breaking", "down", "recovered"]
watch = "api"
down_after = 4
remind_every = "1h"

[[alert]]
name = "team"
slack = "${SLACK_WEBHOOK}"

[[cache]]
name = "local"
profile = "llamacpp"
base_url = "http://127.0.0.1:8080/v1"
models = ["smollm"]
tests = ["identical", "persistence"]
every = "6h"
"#;
        let path = write(dir.path(), full);
        let mut store = Store::open_in_memory().unwrap();
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.channels, vec!["ops", "team"]);
        assert_eq!(r.targets, vec!["local"]);
        let ops = store.channel("ops").unwrap();
        assert!(ops.from_config);
        assert_eq!(ops.watch.as_deref(), Some("api"));
        assert_eq!(ops.thresholds.down_after, 4);
        assert_eq!(ops.thresholds.remind_every_ms, Some(3_600_000));
        let local = store.cache_target("local").unwrap();
        assert!(local.from_config);
        assert_eq!(local.settings.every_secs, Some(21_600));
        // Syncing the same file again changes nothing.
        assert_eq!(
            sync_watch_file(&mut store, &file).unwrap(),
            SyncReport::default()
        );

        // A changed channel keeps its id (and so its history); dropped
        // ones are switched off.
        let changed = full
            .replace("down_after = 4", "down_after = 6")
            .replace(
                "[[alert]]\nname = \"team\"\nslack = \"${SLACK_WEBHOOK}\"\n",
                "",
            )
            .replace("[[cache]]", "[[ignored]]");
        let trimmed: String = changed.split("[[ignored]]").next().unwrap().to_string();
        let path = write(dir.path(), &trimmed);
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.channels, vec!["ops"]);
        assert_eq!(r.orphaned_channels, vec!["team"]);
        assert_eq!(r.orphaned_targets, vec!["local"]);
        assert_eq!(store.channel("ops").unwrap().id, ops.id);
        assert_eq!(store.channel("ops").unwrap().thresholds.down_after, 6);
        let team = store.channel("team").unwrap();
        assert!(team.disabled.unwrap().contains("no longer declared"));
        assert!(
            team.events.is_empty(),
            "a disabled channel matches no event"
        );
        let local = store.cache_target("local").unwrap();
        assert!(local.paused);
        assert!(local.paused_reason.unwrap().contains("no longer declared"));

        // Declared again, both come back.
        let path = write(dir.path(), full);
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.channels, vec!["ops", "team"]);
        assert_eq!(r.targets, vec!["local"]);
        assert!(store.channel("team").unwrap().disabled.is_none());
        assert!(!store.cache_target("local").unwrap().paused);

        // A channel for a watch that exists nowhere is refused by name,
        // before any channel changes.
        let path = write(
            dir.path(),
            "[[alert]]\nname = \"ghost\"\nwebhook = \"http://h\"\nwatch = \"nowhere\"\n",
        );
        let file = load_watch_file(&path).unwrap();
        let e = sync_watch_file(&mut store, &file).unwrap_err().to_string();
        assert!(
            e.contains("watches.toml: alert `ghost`: no watch named `nowhere`"),
            "{e}"
        );
        assert!(store.channel("team").unwrap().disabled.is_none());
    }

    #[test]
    fn endpoints_and_operation_switches_sync_and_are_switched_off_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let full = r#"
[[watch]]
name = "api"
location = "https://example.test/openapi.json"
enable = ["post /search"]
disable = ["GET /export"]

[[endpoint]]
watch = "api"
url = "https://example.test/v1/chat"
method = "POST"
conditions = ["status == 200"]
degraded_after = "800ms"
headers = { Authorization = "Bearer ${API_KEY}" }
body = '{"max_tokens": 1}'
"#;
        let path = write(dir.path(), full);
        let mut store = Store::open_in_memory().unwrap();
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.switches, vec!["api"]);
        assert_eq!(r.endpoints, vec!["POST https://example.test/v1/chat"]);
        let api = store.watch("api").unwrap();
        let mut switches = store.endpoint_overrides(api.id).unwrap();
        switches.sort();
        assert_eq!(
            switches,
            vec![
                ("GET".into(), "/export".into(), false),
                ("POST".into(), "/search".into(), true)
            ]
        );
        let chat = store.endpoints(api.id).unwrap().remove(0);
        assert_eq!(chat.degraded_ms, Some(800));
        assert_eq!(chat.headers[0].1, "Bearer ${API_KEY}");
        assert_eq!(chat.body.as_ref().unwrap().text, r#"{"max_tokens": 1}"#);
        // Nothing changes on a second sync.
        assert_eq!(
            sync_watch_file(&mut store, &file).unwrap(),
            SyncReport::default()
        );

        // Gone from the file: not probed, kept; the switches stay as long
        // as the watch does not list any.
        let path = write(
            dir.path(),
            "[[watch]]\nname = \"api\"\nlocation = \"https://example.test/openapi.json\"\n",
        );
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(
            r.orphaned_endpoints,
            vec!["POST https://example.test/v1/chat"]
        );
        let chat = store.endpoints(api.id).unwrap().remove(0);
        assert!(!chat.enabled);
        assert_eq!(store.endpoint_overrides(api.id).unwrap().len(), 2);

        // Back in the file: probed again.
        let path = write(dir.path(), full);
        let file = load_watch_file(&path).unwrap();
        let r = sync_watch_file(&mut store, &file).unwrap();
        assert_eq!(r.endpoints, vec!["POST https://example.test/v1/chat"]);
        assert!(store.endpoints(api.id).unwrap()[0].enabled);
    }

    /// The README's examples of a config file are valid, together.
    #[test]
    fn the_readme_examples_load_and_sync() {
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let mut toml = String::new();
        let mut inside = false;
        for line in readme.lines() {
            match (inside, line.trim_end()) {
                (false, "```toml") => inside = true,
                (true, "```") => inside = false,
                (true, text) => {
                    toml.push_str(text);
                    toml.push('\n');
                }
                _ => {}
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &toml);
        let file = load_watch_file(&path).unwrap_or_else(|e| panic!("{e}\n{toml}"));
        assert_eq!(file.watches.len(), 2);
        assert_eq!(file.channels.len(), 2);
        assert_eq!(file.targets.len(), 1);
        assert_eq!(file.endpoints.len(), 1);
        let mut store = Store::open_in_memory().unwrap();
        sync_watch_file(&mut store, &file).unwrap();
    }

    #[test]
    fn bad_alert_and_cache_tables_are_refused_with_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "[[alert]]\nname = \"x\"\nslack = \"https://hooks.slack.test/T0/B0/abc\"\n",
                "alert `x`",
            ),
            (
                "[[alert]]\nname = \"x\"\nwebhook = \"http://h\"\nchannel = 1\n",
                ":4:",
            ),
            (
                "[[cache]]\nname = \"c\"\nmodels = [\"m\"]\nprofile = \"nope\"\n",
                "cache `c`: unknown profile",
            ),
            (
                "[[cache]]\nname = \"c\"\nmodels = [\"m\"]\n[[cache]]\nname = \"c\"\nmodels = [\"n\"]\n",
                "declared twice",
            ),
            (
                "[[endpoint]]\nwatch = \"w\"\nurl = \"https://h/x\"\nheaders = { Authorization = \"Bearer sk-1\" }\n",
                "endpoint `GET https://h/x`",
            ),
            (
                "[[watch]]\nname = \"w\"\nlocation = \"https://h/o.json\"\nenable = [\"search\"]\n",
                "watch `w`: `search`",
            ),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), text);
            let e = load_watch_file(&path).unwrap_err().to_string();
            assert!(e.contains(expected), "{e} should contain {expected}");
        }
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
