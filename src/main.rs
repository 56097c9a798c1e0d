//! The `apiradar` binary: parses arguments, opens the store, calls the
//! library and prints. Everything else lives in the library.

mod cli;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser};

use apiradar::config::{self, Paths};
use apiradar::fetch::{FetchConfig, Fetcher};
use apiradar::pipeline::import;
use apiradar::pipeline::poll::{PollReport, PollStatus};
use apiradar::pipeline::worker::{Worker, WorkerConfig, WorkerEvent};
use apiradar::store::SharedStore;
use apiradar::store::alerts::OutboxStatus;
use apiradar::store::caching::Verdict;
use apiradar::store::health::EndpointState;
use apiradar::store::{Store, StoreError, now_ms};
use apiradar::watch::{self, Kind, WatchSpec};
use apiradar::{demo, logging, report, spec};
use cli::{Cli, Command};

/// An error that should end the process with a usage exit code (2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct UsageError(String);

/// A command that ran but failed in part (exit 1), having said why.
#[derive(Debug, thiserror::Error)]
#[error("")]
struct PartialFailure;

/// `refresh --fail-on`: a new version has findings at the level (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("")]
struct FindingsAtLevel;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let paths = Paths::resolve(cli.db.clone());
    // While the dashboard owns the screen, logs go to the file only.
    let mode = if dashboard_wanted(&cli) {
        logging::Mode::Screen
    } else {
        logging::Mode::Headless {
            verbose: cli.verbose,
        }
    };
    let _log = logging::init(&paths.log_dir, mode);
    match run(cli, &paths) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<PartialFailure>() => ExitCode::from(1),
        Err(e) if e.is::<FindingsAtLevel>() => ExitCode::from(3),
        Err(e) => {
            let usage = e.is::<UsageError>()
                || matches!(
                    e.downcast_ref::<StoreError>(),
                    Some(
                        StoreError::NoSuchWatch(_)
                            | StoreError::WatchExists(_)
                            | StoreError::NoSuchChannel(_)
                            | StoreError::ChannelExists(_)
                            | StoreError::NoSuchVersion { .. }
                    )
                )
                || e.is::<watch::WatchError>()
                || e.is::<config::ConfigError>();
            eprintln!("apiradar: {e:#}");
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn usage(msg: impl Into<String>) -> anyhow::Error {
    UsageError(msg.into()).into()
}

/// Whether this invocation opens the dashboard.
fn dashboard_wanted(cli: &Cli) -> bool {
    use std::io::IsTerminal;
    match &cli.command {
        None => true,
        Some(Command::Demo(a)) => !a.headless && std::io::stdout().is_terminal(),
        Some(_) => false,
    }
}

fn run(cli: Cli, paths: &Paths) -> Result<()> {
    let config_file = cli.config.clone();
    let dashboard = dashboard_wanted(&cli);
    let Some(command) = cli.command else {
        return run_dashboard(paths, config_file.as_deref());
    };
    match command {
        Command::Demo(args) if dashboard => {
            run_demo_dashboard(args, cli.db.is_some().then_some(paths))
        }
        Command::Completions { shell } => {
            print_completions(shell);
            Ok(())
        }
        Command::Config { show: _ } => show_config(paths, config_file.as_deref()),
        Command::Demo(args) => run_demo(args, cli.db.is_some().then_some(paths)),
        command => {
            let mut store = open_store(paths)?;
            let settings = sync_config(&mut store, config_file.as_deref())?;
            if let Command::Run(a) = command {
                return run_daemon(a, &mut store, &settings, config_file);
            }
            dispatch(command, &mut store, &settings)
        }
    }
}

fn open_store(paths: &Paths) -> Result<Store> {
    Store::open(&paths.db)
        .context("cannot open the database (set another with --db or APIRADAR_DB)")
}

/// Syncs the watch file into the store, returning its settings.
fn sync_config(store: &mut Store, file: Option<&Path>) -> Result<config::Settings> {
    let Some(path) = file else {
        return Ok(config::Settings::default());
    };
    let file = config::load_watch_file(path)?;
    let r = config::sync_watch_file(store, &file)?;
    print_sync(path, &r);
    Ok(file.settings)
}

/// Says what a sync switched off (and logs what it added).
fn print_sync(path: &Path, r: &config::SyncReport) {
    for name in &r.added {
        tracing::info!(watch = %name, "added from config");
    }
    for name in &r.orphaned {
        eprintln!(
            "apiradar: watch `{name}` is no longer in {}: paused, history kept",
            path.display()
        );
    }
    for name in &r.orphaned_channels {
        eprintln!(
            "apiradar: alert channel `{name}` is no longer in {}: it gets no new alerts, history kept",
            path.display()
        );
    }
    for name in &r.orphaned_endpoints {
        eprintln!(
            "apiradar: endpoint `{name}` is no longer in {}: not probed, checks kept",
            path.display()
        );
    }
    for name in &r.orphaned_targets {
        eprintln!(
            "apiradar: caching target `{name}` is no longer in {}: paused, runs kept",
            path.display()
        );
    }
}

fn dispatch(command: Command, store: &mut Store, settings: &config::Settings) -> Result<()> {
    let out = &mut std::io::stdout().lock();
    match command {
        Command::Add(a) => {
            let location = watch::absolute_location(&a.location, &current_dir()?);
            let mut spec = WatchSpec::new(&a.name, parse_kind(&a.kind)?, &location);
            spec.interval = watch::parse_interval(&a.every)?;
            spec.headers = a
                .headers
                .iter()
                .map(|h| watch::parse_header(h))
                .collect::<Result<_, _>>()?;
            spec.item_key = a.key;
            spec.validate()?;
            check_location(&spec.location)?;
            store.add_watch(&spec, false)?;
            if a.paused {
                store.pause_watch(&spec.name, "added paused")?;
            }
            writeln!(
                out,
                "added {} ({}, every {}): {}",
                spec.name,
                spec.kind,
                watch::format_interval(spec.interval),
                spec.location
            )?;
        }
        Command::Edit(e) => {
            let current = store.watch(&e.name)?;
            let mut spec = current.spec.clone();
            if let Some(l) = e.location {
                spec.location = watch::absolute_location(&l, &current_dir()?);
            }
            if let Some(k) = e.kind {
                spec.kind = parse_kind(&k)?;
            }
            if let Some(every) = e.every {
                spec.interval = watch::parse_interval(&every)?;
            }
            if e.clear_headers {
                spec.headers.clear();
            } else if !e.headers.is_empty() {
                spec.headers = e
                    .headers
                    .iter()
                    .map(|h| watch::parse_header(h))
                    .collect::<Result<_, _>>()?;
            }
            if e.clear_key {
                spec.item_key = None;
            } else if let Some(k) = e.key {
                spec.item_key = Some(k);
            }
            if let Some(n) = e.rename {
                spec.name = n;
            }
            spec.validate()?;
            check_location(&spec.location)?;
            if spec.name != current.spec.name && store.find_watch(&spec.name)?.is_some() {
                return Err(StoreError::WatchExists(spec.name).into());
            }
            store.update_watch(&e.name, &spec, current.from_config)?;
            if current.from_config {
                eprintln!(
                    "apiradar: note: `{}` is declared in a config file; the next sync with --config will restore it",
                    e.name
                );
            }
            writeln!(out, "updated {}", spec.name)?;
        }
        Command::List(a) => {
            let watches = store.list_watches()?;
            if a.json {
                writeln!(out, "{:#}", report::watches_json(&watches))?;
            } else {
                write!(out, "{}", report::watch_table(&watches, now_ms()))?;
            }
        }
        Command::Remove { name } => {
            let versions = store.remove_watch(&name)?;
            writeln!(out, "removed {name} and its {versions} versions")?;
        }
        Command::Pause { name, reason } => {
            store.pause_watch(&name, &reason)?;
            writeln!(out, "paused {name}")?;
        }
        Command::Resume { name } => {
            store.resume_watch(&name)?;
            writeln!(out, "resumed {name}: it will be polled at the next refresh")?;
        }
        Command::Refresh(a) => return refresh(a, store, settings, out),
        Command::Health(a) => return run_health(a, store, out),
        Command::Run(a) => return run_daemon(a, store, settings, None),
        Command::Alert(a) => return run_alert(a, store, out),
        Command::Cache(a) => return run_cache(a, store, out),
        Command::CacheTest(a) => return run_cache_test(a, store, out),
        Command::Alerts {
            id: Some(id), json, ..
        } => {
            let Some(o) = store.alert(id)? else {
                bail!(usage(format!("no alert #{id} (see `apiradar alerts`)")));
            };
            let attempts = store.alert_attempts(id)?;
            if json {
                let mut v = serde_json::to_value(&o)?;
                v["attempt_log"] = serde_json::to_value(&attempts)?;
                writeln!(out, "{v:#}")?;
            } else {
                writeln!(out, "#{} {} · {} · {}", o.id, o.event, o.channel, o.title)?;
                writeln!(out, "raised  {}", apiradar::store::format_ms(o.created_at))?;
                let plural = if o.attempts == 1 { "" } else { "s" };
                writeln!(
                    out,
                    "status  {} after {} attempt{plural}",
                    o.status, o.attempts
                )?;
                for a in &attempts {
                    let what = if a.ok {
                        "delivered".to_string()
                    } else {
                        format!("failed: {}", a.error.as_deref().unwrap_or(""))
                    };
                    writeln!(out, "  {}  {what}", apiradar::store::format_ms(a.at))?;
                }
                if o.status == OutboxStatus::Pending {
                    writeln!(
                        out,
                        "next try {}",
                        apiradar::store::format_ms(o.next_attempt_at)
                    )?;
                }
                if let Some(text) = o.payload.get("text").and_then(|t| t.as_str()) {
                    writeln!(out, "\n{text}")?;
                }
            }
        }
        Command::Alerts {
            id: None,
            json,
            limit,
        } => {
            let history = store.alert_history(limit)?;
            if json {
                let mut list = Vec::with_capacity(history.len());
                for o in &history {
                    let mut v = serde_json::to_value(o)?;
                    v["attempt_log"] = serde_json::to_value(store.alert_attempts(o.id)?)?;
                    list.push(v);
                }
                writeln!(out, "{:#}", serde_json::json!({ "alerts": list }))?;
            } else if history.is_empty() {
                writeln!(out, "no alerts yet")?;
            } else {
                let rows: Vec<Vec<String>> = history
                    .iter()
                    .map(|o| {
                        vec![
                            apiradar::store::format_ms(o.created_at),
                            o.channel.clone(),
                            o.event.to_string(),
                            o.title.clone(),
                            o.status.to_string(),
                            o.attempts.to_string(),
                            o.last_error.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                write!(
                    out,
                    "{}",
                    report::table(
                        &[
                            "WHEN",
                            "CHANNEL",
                            "EVENT",
                            "TITLE",
                            "STATUS",
                            "TRIES",
                            "LAST ERROR"
                        ],
                        &rows
                    )
                )?;
            }
        }
        Command::History { name, json } => {
            let watch = store.watch(&name)?;
            let versions = store.versions(watch.id)?;
            if json {
                writeln!(out, "{:#}", report::history_json(&watch, &versions))?;
            } else {
                write!(out, "{}", report::history_table(&versions))?;
            }
        }
        Command::Show { target } => {
            let (name, selector) = match target.split_once('@') {
                Some((n, s)) => (n, Some(s)),
                None => (target.as_str(), None),
            };
            let watch = store.watch(name)?;
            let seq = resolve_version(store, &watch, selector)?;
            let version = store.version(&watch, seq)?;
            let bytes = store.read_blob(version.blob_id)?;
            out.write_all(&bytes)?;
        }
        Command::Import(a) => return run_import(a, store, out),
        Command::Diff(a) => return run_diff(a, store, out),
        Command::Demo(_) | Command::Completions { .. } | Command::Config { .. } => {
            unreachable!("handled before the store is opened")
        }
    }
    Ok(())
}

/// A declaration's error names a config key at its start (`secret_env
/// is for webhook channels`); on the command line the key is a flag.
fn as_flag(message: String) -> String {
    let key_len = message
        .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
        .unwrap_or(message.len());
    let (key, rest) = message.split_at(key_len);
    let is_key = !key.is_empty() && (rest.starts_with(' ') || rest.starts_with(':'));
    const KEYS: &[&str] = &[
        "email",
        "from",
        "to",
        "smtp_user_env",
        "smtp_password_env",
        "ca_cert",
        "secret_env",
        "remind_every",
        "down_after",
        "recovered_after",
        "body",
        "body_type",
        "degraded_after",
        "condition",
        "method",
        "base_url",
        "api_key_env",
        "ttl",
        "ttl_ladder",
        "every",
        "cached_field",
        "daily_budget",
        "api",
    ];
    if is_key && KEYS.contains(&key) {
        format!("--{}{rest}", key.replace('_', "-"))
    } else {
        message
    }
}

fn current_dir() -> Result<std::path::PathBuf> {
    std::env::current_dir().context("cannot read the current directory")
}

fn parse_kind(s: &str) -> Result<Kind> {
    s.parse::<Kind>().map_err(usage)
}

/// Refuses locations that could never be fetched, before they are stored.
fn check_location(location: &str) -> Result<()> {
    apiradar::fetch::Location::parse(location)
        .map(|_| ())
        .map_err(|e| usage(e.message))
}

/// `3`, `latest`, `latest~2`, or nothing (latest).
fn resolve_version(store: &Store, watch: &watch::Watch, selector: Option<&str>) -> Result<i64> {
    let latest = watch
        .latest_seq
        .ok_or_else(|| StoreError::NoVersions(watch.spec.name.clone()))?;
    let seq = match selector {
        None | Some("latest") => latest,
        Some(s) if s.starts_with("latest~") => {
            let back: u32 = s["latest~".len()..].parse().map_err(|_| {
                usage(format!(
                    "cannot read version `{s}`: use latest~N with N ≥ 0"
                ))
            })?;
            latest - i64::from(back)
        }
        Some(s) => s.parse().map_err(|_| {
            usage(format!(
                "cannot read version `{s}`: use a number, latest or latest~N"
            ))
        })?,
    };
    // Existence is checked by the caller's lookup; this only names it.
    let _ = store;
    Ok(seq)
}

fn build_fetch_and_worker(
    settings: &config::Settings,
    max_body: Option<&str>,
    timeout: Option<&str>,
) -> Result<(FetchConfig, WorkerConfig)> {
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    settings.apply(&mut fetch, &mut worker).map_err(usage)?;
    if let Some(size) = max_body {
        fetch.max_body = config::parse_size(size).map_err(usage)?;
    }
    if let Some(t) = timeout {
        fetch.timeout = humantime::parse_duration(t)
            .map_err(|_| usage(format!("`{t}` is not a duration (e.g. 60s)")))?;
    }
    Ok((fetch, worker))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn refresh(
    a: cli::RefreshArgs,
    store: &mut Store,
    settings: &config::Settings,
    out: &mut impl Write,
) -> Result<()> {
    let (fetch_config, worker_config) =
        build_fetch_and_worker(settings, a.max_body.as_deref(), a.timeout.as_deref())?;
    let all = store.list_watches()?;
    for name in &a.names {
        if !all.iter().any(|w| &w.spec.name == name) {
            return Err(StoreError::NoSuchWatch(name.clone()).into());
        }
    }
    let now = now_ms();
    let mut to_poll = Vec::new();
    let mut skipped: Vec<PollReport> = Vec::new();
    for w in all {
        let named = a.names.contains(&w.spec.name);
        if !a.names.is_empty() && !named {
            continue;
        }
        if w.paused {
            skipped.push(PollReport::skipped(&w, PollStatus::Paused));
        } else if a.all || named || w.is_due(now) {
            to_poll.push(w);
        } else {
            skipped.push(PollReport::skipped(&w, PollStatus::NotDue));
        }
    }
    let db = store.path().to_path_buf();
    let fetcher = Fetcher::new(fetch_config).map_err(|e| anyhow::anyhow!(e.message))?;
    let reports = runtime()?.block_on(async move {
        let shared: SharedStore = Arc::new(Mutex::new(Store::open(&db)?));
        let worker = Worker::new(Arc::clone(&shared), fetcher, worker_config);
        let reports = worker.poll_many(to_poll).await;
        send_queued_alerts(&shared).await;
        Ok::<_, StoreError>(reports)
    })?;
    let mut all_reports = reports;
    all_reports.extend(skipped);
    all_reports.sort_by(|x, y| x.name.cmp(&y.name));
    if a.json {
        writeln!(out, "{:#}", report::refresh_json(&all_reports))?;
    } else {
        write!(out, "{}", report::refresh_table(&all_reports))?;
    }
    if all_reports.iter().any(|r| r.status == PollStatus::Failed) {
        return Err(PartialFailure.into());
    }
    if let Some(level) = a.fail_on.as_deref() {
        let level: apiradar::diff::Level = level.parse().map_err(usage)?;
        let hit = all_reports
            .iter()
            .filter_map(|r| r.counts)
            .any(|c| match level {
                apiradar::diff::Level::Error => c.errors > 0,
                apiradar::diff::Level::Warning => c.errors + c.warnings > 0,
                apiradar::diff::Level::Info => c.errors + c.warnings + c.infos > 0,
            });
        if hit {
            return Err(FindingsAtLevel.into());
        }
    }
    Ok(())
}

/// Delivers the alerts that are due (those a headless run just queued,
/// and earlier ones waiting for a retry), so `refresh` and `health` from
/// cron alert without a running dashboard. Failures stay queued.
async fn send_queued_alerts(shared: &SharedStore) {
    let sender = match apiradar::alert::Sender::new(std::time::Duration::from_secs(15)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("apiradar: alerts not sent: {e}");
            return;
        }
    };
    apiradar::alert::deliver_due(shared, &sender, now_ms()).await;
    let pending = apiradar::store::with_store(shared, |s| s.pending_alerts()).await;
    if let Ok(n @ 1..) = pending {
        eprintln!(
            "apiradar: {n} alerts not delivered yet; they are retried by the next run (see `apiradar alerts`)"
        );
    }
}

/// Reads one side of a diff: `NAME@VERSION` from the store (with its
/// watch), else a URL or a file.
struct DiffSource {
    label: String,
    bytes: Vec<u8>,
    watch: Option<watch::Watch>,
    /// Where a file or URL was read from, for its relative `$ref`s.
    location: Option<apiradar::fetch::Location>,
}

fn diff_source(store: &Store, arg: &str) -> Result<DiffSource> {
    if let Some((name, selector)) = arg.split_once('@')
        && let Some(watch) = store.find_watch(name)?
    {
        let seq = resolve_version(store, &watch, Some(selector))?;
        let version = store.version(&watch, seq)?;
        let bytes = store.read_blob(version.blob_id)?;
        return Ok(DiffSource {
            label: format!("{name}@{seq}"),
            bytes,
            watch: Some(watch),
            location: None,
        });
    }
    let location = apiradar::fetch::Location::parse(arg).map_err(|e| usage(e.message))?;
    let mut loader = RefLoader::new()?;
    let bytes = loader
        .fetch(&location)
        .map_err(|e| anyhow::anyhow!("{arg}: {e}"))?;
    Ok(DiffSource {
        label: arg.to_string(),
        bytes,
        watch: None,
        location: Some(location),
    })
}

/// Reads diff inputs and the files and URLs their `$ref`s point at.
struct RefLoader {
    fetcher: Fetcher,
    runtime: tokio::runtime::Runtime,
    max_bytes: u64,
}

impl RefLoader {
    fn new() -> Result<RefLoader> {
        let config = FetchConfig::default();
        let max_bytes = config.max_body;
        Ok(RefLoader {
            fetcher: Fetcher::new(config).map_err(|e| anyhow::anyhow!(e.message))?,
            runtime: runtime()?,
            max_bytes,
        })
    }

    fn fetch(&mut self, location: &apiradar::fetch::Location) -> Result<Vec<u8>, String> {
        let outcome = self
            .runtime
            .block_on(
                self.fetcher
                    .fetch(&apiradar::fetch::FetchRequest::new(location)),
            )
            .map_err(|e| e.message)?;
        match outcome {
            apiradar::fetch::FetchOutcome::Body { bytes, .. } => Ok(bytes),
            apiradar::fetch::FetchOutcome::NotModified(_) => Err("unexpected 304".into()),
        }
    }
}

impl apiradar::diff::bundle::Loader for RefLoader {
    fn load(&mut self, location: &apiradar::fetch::Location) -> Result<Vec<u8>, String> {
        match location {
            apiradar::fetch::Location::File(path) => {
                apiradar::diff::bundle::read_file(path, self.max_bytes)
            }
            apiradar::fetch::Location::Url(_) => self.fetch(location),
        }
    }
}

fn run_diff(a: cli::DiffArgs, store: &Store, out: &mut impl Write) -> Result<()> {
    // A bad rules file fails before anything is fetched.
    let filter =
        apiradar::diff::filter::Filter::load(a.ignore.as_deref(), a.severity_levels.as_deref())
            .map_err(|e| usage(e.to_string()))?;
    let base_src = diff_source(store, &a.base)?;
    let rev_src = diff_source(store, &a.revision)?;
    let (base_label, base) = (&base_src.label, &base_src.bytes);
    let (rev_label, rev) = (&rev_src.label, &rev_src.bytes);
    let watch = base_src.watch.clone().or(rev_src.watch.clone());
    let kind = match (&a.kind, &watch) {
        (Some(k), _) => parse_kind(k)?,
        (None, Some(w)) => w.spec.kind,
        (None, None) => guess_kind_of(base),
    };
    let key = a
        .key
        .clone()
        .or_else(|| watch.as_ref().and_then(|w| w.spec.item_key.clone()));
    let level: apiradar::diff::Level = match &a.level {
        Some(l) => l.parse().map_err(usage)?,
        None if kind == Kind::OpenApi => apiradar::diff::Level::Warning,
        None => apiradar::diff::Level::Info,
    };
    let limits = spec::Limits::default();
    let bundle_options = apiradar::diff::bundle::BundleOptions {
        allow_remote: a.allow_remote_refs,
        limits,
    };
    let mut loader = RefLoader::new()?;
    let mut prepare = |side, doc: &mut serde_json::Value| {
        let location = match side {
            apiradar::diff::Side::Base => base_src.location.as_ref(),
            apiradar::diff::Side::Revision => rev_src.location.as_ref(),
        };
        apiradar::diff::bundle::bundle(doc, location, &bundle_options, &mut loader)
    };
    let comparison = apiradar::diff::compare_raw_with(
        kind,
        base,
        rev,
        key.as_deref(),
        &limits,
        &apiradar::diff::DiffOptions {
            deprecation_days_beta: a.deprecation_days_beta,
            deprecation_days_stable: a.deprecation_days_stable,
            ..apiradar::diff::DiffOptions::default()
        },
        &mut prepare,
    )
    .map_err(|(side, e)| {
        let label = match side {
            apiradar::diff::Side::Base => base_label,
            apiradar::diff::Side::Revision => rev_label,
        };
        anyhow::anyhow!("{label}: {e}")
    })?;
    // Sloppy documents are diffed anyway; say what was overlooked.
    for (label, notes) in [
        (&base_label, &comparison.base_notes),
        (&rev_label, &comparison.revision_notes),
    ] {
        for n in notes {
            eprintln!(
                "apiradar: note: {label}{}: {}",
                if n.pointer.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", n.pointer)
                },
                n.message
            );
        }
    }
    // Overrides change levels, so they apply before the level filter.
    let (findings, ignored) = filter.apply(comparison.findings);
    if ignored > 0 {
        eprintln!("apiradar: {ignored} finding(s) dropped by --ignore / --severity-levels");
    }
    let shown: Vec<_> = findings.into_iter().filter(|f| f.level >= level).collect();
    match a.format {
        cli::DiffFormat::Junit => write!(
            out,
            "{}",
            report::findings_junit(base_label, rev_label, &shown)
        )?,
        cli::DiffFormat::Github => write!(out, "{}", report::findings_github(&shown))?,
        cli::DiffFormat::Html => write!(
            out,
            "{}",
            report::findings_html(base_label, rev_label, &shown)
        )?,
        cli::DiffFormat::Json => {
            let mut doc = report::findings_json(&shown);
            doc["notes"] = serde_json::json!({
                "base": comparison.base_notes,
                "revision": comparison.revision_notes,
            });
            writeln!(out, "{doc:#}")?
        }
        cli::DiffFormat::Text => write!(
            out,
            "{}",
            report::findings_text(base_label, rev_label, &shown)
        )?,
        cli::DiffFormat::Markdown => write!(
            out,
            "{}",
            report::findings_markdown(base_label, rev_label, &shown)
        )?,
    }
    if let Some(fail_on) = a.fail_on {
        let threshold: apiradar::diff::Level = fail_on.parse().map_err(usage)?;
        if shown.iter().any(|f| f.level >= threshold) {
            return Err(PartialFailure.into());
        }
    }
    Ok(())
}

fn run_import(a: cli::ImportArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    let files = import::collect_files(&a.paths).map_err(|e| usage(e.to_string()))?;
    let watch = match store.find_watch(&a.name)? {
        Some(w) => w,
        None => {
            let kind = match &a.kind {
                Some(k) => parse_kind(k)?,
                None => guess_kind(files.first().map(|p| p.as_path())),
            };
            let location = a.location.clone().unwrap_or_else(|| {
                files
                    .last()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            });
            let location = watch::absolute_location(&location, &current_dir()?);
            let mut spec = WatchSpec::new(&a.name, kind, &location);
            spec.item_key = a.key.clone();
            spec.validate()?;
            let w = store.add_watch(&spec, false)?;
            eprintln!(
                "apiradar: created watch `{}` ({kind}) watching {location}",
                a.name
            );
            w
        }
    };
    let total = files.len();
    let started = std::time::Instant::now();
    let quiet = a.json;
    let results = import::import_files(store, &watch, &files, spec::Limits::default(), |f| {
        if !quiet && f.status == "failed" {
            eprintln!(
                "apiradar: {}: {}",
                f.path,
                f.error.as_deref().unwrap_or("failed")
            );
        }
    });
    let count = |s: &str| results.iter().filter(|r| r.status == s).count();
    let (added, unchanged, failed) = (
        count("new") + count("changed"),
        count("unchanged"),
        count("failed"),
    );
    if a.json {
        let doc = serde_json::json!({
            "watch": a.name,
            "files": results,
            "added": added,
            "unchanged": unchanged,
            "failed": failed,
        });
        writeln!(out, "{doc:#}")?;
    } else {
        writeln!(
            out,
            "imported {total} files into {} in {:.1}s: {added} new versions, {unchanged} unchanged, {failed} failed",
            a.name,
            started.elapsed().as_secs_f64()
        )?;
    }
    if failed > 0 {
        return Err(PartialFailure.into());
    }
    Ok(())
}

/// openapi when the file is one, json otherwise (page for HTML/text).
fn guess_kind(first: Option<&Path>) -> Kind {
    match first.and_then(|p| std::fs::read(p).ok()) {
        Some(raw) => guess_kind_of(&raw),
        None => Kind::OpenApi,
    }
}

/// openapi when the bytes are one, json when they parse, page otherwise.
fn guess_kind_of(raw: &[u8]) -> Kind {
    let opts = spec::NormalizeOptions::default();
    if spec::normalize(Kind::OpenApi, raw, &opts).is_ok() {
        Kind::OpenApi
    } else if spec::normalize(Kind::Json, raw, &opts).is_ok() {
        Kind::Json
    } else {
        Kind::Page
    }
}

fn show_config(paths: &Paths, config_file: Option<&Path>) -> Result<()> {
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    if let Some(path) = config_file {
        let file = config::load_watch_file(path)?;
        file.settings
            .apply(&mut fetch, &mut worker)
            .map_err(usage)?;
    }
    println!("database     {}", paths.db.display());
    println!("config dir   {}", paths.config_dir.display());
    println!("logs         {}", paths.log_dir.display());
    println!(
        "watch file   {}",
        config_file.map_or("(none; pass --config FILE)".into(), |p| p
            .display()
            .to_string())
    );
    if let Some(path) = config_file {
        let file = config::load_watch_file(path)?;
        println!(
            "declares     {} watches, {} alert channels, {} caching targets",
            file.watches.len(),
            file.channels.len(),
            file.targets.len()
        );
    }
    println!("max body     {}", report::human_size(fetch.max_body as i64));
    println!("timeout      {}", humantime::format_duration(fetch.timeout));
    println!(
        "connect      {}",
        humantime::format_duration(fetch.connect_timeout)
    );
    println!(
        "concurrency  {} (at most {} per host)",
        worker.concurrency, worker.per_host
    );
    println!(
        "auto-pause   after {} failed polls in a row",
        worker.policy.pause_after
    );
    let mut health = apiradar::health::Schedule::default();
    if let Some(path) = config_file {
        config::load_watch_file(path)?
            .settings
            .apply_health(&mut health)
            .map_err(usage)?;
    }
    println!(
        "health       every {}, raw checks kept {}",
        humantime::format_duration(health.every),
        humantime::format_duration(health.retention)
    );
    let ui = apiradar::tui::UiPaths::new(&paths.config_dir);
    println!("ui config    {} ([ui] theme, mouse)", ui.config.display());
    println!("keymap       {}", ui.keymap.display());
    println!(
        "themes       {} (builtin: {})",
        ui.themes.display(),
        apiradar::tui::theme::Theme::builtin_names().join(", ")
    );
    match apiradar::tui::resolve(&paths.config_dir) {
        Ok(r) => {
            println!(
                "theme        {} (syntax: {})",
                r.theme.name, r.theme.syntax_theme
            );
            println!(
                "mouse        {}",
                if r.settings.mouse.unwrap_or(false) {
                    "on"
                } else {
                    "off"
                }
            );
            println!("colours      {:?}", r.depth);
        }
        Err(e) => println!("ui settings  error: {e}"),
    }
    Ok(())
}

fn print_completions(shell: cli::Shell) {
    use clap_complete::Shell as S;
    let shell = match shell {
        cli::Shell::Bash => S::Bash,
        cli::Shell::Zsh => S::Zsh,
        cli::Shell::Fish => S::Fish,
        cli::Shell::Elvish => S::Elvish,
        cli::Shell::Powershell => S::PowerShell,
    };
    clap_complete::generate(
        shell,
        &mut Cli::command(),
        "apiradar",
        &mut std::io::stdout(),
    );
}

/// What both demo modes start from: the phase length, the poll interval,
/// how long to run, and the database (a throw-away one unless `--db` was
/// given; keep the temp dir alive while it is used).
struct DemoSetup {
    step: std::time::Duration,
    every: std::time::Duration,
    run_for: Option<std::time::Duration>,
    db: std::path::PathBuf,
    _temp: tempfile::TempDir,
}

fn demo_setup(args: &cli::DemoArgs, persistent: Option<&Paths>) -> Result<DemoSetup> {
    let parse = |s: &str| {
        humantime::parse_duration(s).map_err(|_| usage(format!("`{s}` is not a duration")))
    };
    let step = parse(&args.step)?;
    let every = parse(&args.every)?;
    let run_for = args.run_for.as_deref().map(parse).transpose()?;
    if every.is_zero() || step.is_zero() {
        bail!(usage("--step and --every must be longer than zero"));
    }
    let temp = tempfile::Builder::new()
        .prefix("apiradar-demo-")
        .tempdir()?;
    let db = match persistent {
        Some(p) => p.db.clone(),
        None => temp.path().join("demo.db"),
    };
    Ok(DemoSetup {
        step,
        every,
        run_for,
        db,
        _temp: temp,
    })
}

fn run_demo(args: cli::DemoArgs, persistent: Option<&Paths>) -> Result<()> {
    let DemoSetup {
        step,
        every,
        run_for,
        db,
        _temp,
    } = demo_setup(&args, persistent)?;
    runtime()?.block_on(async move {
        let server = demo::serve(step)
            .await
            .context("cannot start the demo API")?;
        let mut store = Store::open(&db)?;
        demo::add_watches(&mut store, &server.url(), every)?;
        println!("apiradar demo");
        println!(
            "  demo API   {}/openapi.yaml, /v1/models, /changelog",
            server.url()
        );
        println!("  database   {}", db.display());
        let shared: SharedStore = Arc::new(Mutex::new(store));
        let llama = demo::start_llama();
        match &llama {
            Some(l) => {
                println!("  caching    the simulated provider at {}/llm/v1, and llama.cpp's server on port {}", server.url(), l.port);
                tokio::spawn(demo::add_llama_when_ready(Arc::clone(&shared), l.port, every));
            }
            None => println!("  caching    a simulated provider at {}/llm/v1 (build the llama.cpp fixture to test a real server)", server.url()),
        }
        println!(
            "  the API changes every {}; watches are polled every {}",
            humantime::format_duration(step),
            humantime::format_duration(every)
        );
        println!("  Ctrl-C to stop\n");
        let background = Background {
            fetch: FetchConfig::default(),
            worker: WorkerConfig::default(),
            health: apiradar::health::Schedule {
                every,
                ..apiradar::health::Schedule::default()
            },
            config: None,
        };
        run_background(Arc::clone(&shared), background, run_for, false).await?;
        let watches = apiradar::store::with_store(&shared, |s| s.list_watches()).await?;
        println!();
        print!("{}", report::watch_table(&watches, now_ms()));
        drop(server);
        Ok::<_, anyhow::Error>(())
    })?;
    drop(_temp);
    Ok(())
}

/// What runs behind the dashboard, the headless demo and `apiradar run`.
struct Background {
    fetch: FetchConfig,
    worker: WorkerConfig,
    health: apiradar::health::Schedule,
    /// The config file to follow, with the settings it started with.
    config: Option<(PathBuf, config::Settings)>,
}

/// Runs the poll worker, the health rounds and the alert sender on
/// `shared` until Ctrl-C, SIGTERM or `run_for`, printing what happens
/// (with `quiet`, only what went wrong).
async fn run_background(
    shared: SharedStore,
    bg: Background,
    run_for: Option<std::time::Duration>,
    quiet: bool,
) -> Result<()> {
    use apiradar::health::check::{ProbeConfig, Prober};
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (commands_tx, commands) = tokio::sync::mpsc::unbounded_channel();
    let fetcher = Fetcher::new(bg.fetch).map_err(|e| anyhow::anyhow!(e.message))?;
    let worker =
        Worker::new(Arc::clone(&shared), fetcher, bg.worker).with_events(events_tx.clone());
    let worker_task = tokio::spawn(worker.run(commands));
    let prober = Prober::new(ProbeConfig::default()).map_err(anyhow::Error::msg)?;
    let sender = apiradar::alert::Sender::new(std::time::Duration::from_secs(15))
        .map_err(anyhow::Error::msg)?;
    let wake = Arc::new(tokio::sync::Notify::new());
    let alert_task = tokio::spawn(apiradar::alert::run_woken(
        Arc::clone(&shared),
        sender,
        std::time::Duration::from_secs(2),
        Arc::clone(&wake),
    ));
    let caching_task = tokio::spawn(apiradar::caching::schedule(
        Arc::clone(&shared),
        apiradar::caching::client::Client::new(std::time::Duration::from_secs(120))
            .map_err(anyhow::Error::msg)?,
        std::time::Duration::from_secs(5),
        Some(events_tx.clone()),
    ));
    let health_task = tokio::spawn(apiradar::health::schedule(
        Arc::clone(&shared),
        prober,
        bg.health,
        Some(events_tx.clone()),
    ));
    let config_task = bg.config.map(|(path, settings)| {
        tokio::spawn(config::follow(
            Arc::clone(&shared),
            path,
            settings,
            commands_tx.clone(),
            events_tx.clone(),
        ))
    });
    let deadline = async {
        match run_for {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let terminate = async {
        #[cfg(unix)]
        if let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            term.recv().await;
            return;
        }
        std::future::pending::<()>().await
    };
    tokio::pin!(terminate);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = &mut terminate => break,
            _ = &mut deadline => break,
            event = events.recv() => match event {
                Some(e) => {
                    // What may have queued an alert wakes the sender.
                    if matches!(
                        e,
                        WorkerEvent::Polled(_) | WorkerEvent::AutoPaused { .. } | WorkerEvent::HealthChecked { .. }
                    ) {
                        wake.notify_one();
                    }
                    if !quiet || event_is_problem(&e) {
                        print_event(&e);
                    }
                }
                None => break,
            },
        }
    }
    let _ = commands_tx.send(apiradar::pipeline::worker::Command::Stop);
    health_task.abort();
    caching_task.abort();
    if let Some(task) = config_task {
        task.abort();
    }
    alert_task.abort();
    let _ = worker_task.await;
    Ok(())
}

fn event_is_problem(event: &WorkerEvent) -> bool {
    match event {
        WorkerEvent::Polled(r) => r.error.is_some(),
        WorkerEvent::AutoPaused { .. } | WorkerEvent::StoreFailed { .. } => true,
        WorkerEvent::HealthChecked { down, .. } => *down > 0,
        WorkerEvent::CacheTested { failed, .. } => *failed > 0,
        WorkerEvent::ConfigSynced { outcome, .. } => outcome.is_err(),
        WorkerEvent::Polling { .. } | WorkerEvent::Idle { .. } => false,
    }
}

/// `apiradar run`: the background work without the dashboard.
fn run_daemon(
    a: cli::RunArgs,
    store: &mut Store,
    settings: &config::Settings,
    config_file: Option<PathBuf>,
) -> Result<()> {
    let run_for = a
        .run_for
        .as_deref()
        .map(|s| {
            humantime::parse_duration(s).map_err(|_| usage(format!("`{s}` is not a duration")))
        })
        .transpose()?;
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    settings.apply(&mut fetch, &mut worker).map_err(usage)?;
    let mut health = apiradar::health::Schedule::default();
    settings.apply_health(&mut health).map_err(usage)?;
    let watches = store.list_watches()?;
    let active = watches.iter().filter(|w| !w.paused).count();
    println!(
        "apiradar: running on {} ({active} active watches, {} paused; health every {}); Ctrl-C or SIGTERM stops",
        store.path().display(),
        watches.len() - active,
        humantime::format_duration(health.every)
    );
    if let Some(file) = &config_file {
        println!(
            "apiradar: following {} (edits are synced as they are saved)",
            file.display()
        );
    }
    let path = store.path().to_path_buf();
    runtime()?.block_on(async move {
        let shared: SharedStore = Arc::new(Mutex::new(Store::open(&path)?));
        let bg = Background {
            fetch,
            worker,
            health,
            config: config_file.map(|path| (path, settings.clone())),
        };
        run_background(shared, bg, run_for, a.quiet).await
    })?;
    println!("apiradar: stopped");
    Ok(())
}

fn print_event(event: &WorkerEvent) {
    let time = chrono::Local::now().format("%H:%M:%S");
    match event {
        // Unchanged polls are the common case; the demo shows what moves.
        WorkerEvent::Polled(r) if r.status == PollStatus::Unchanged => {}
        WorkerEvent::Polled(r) => {
            let detail = match (&r.status, &r.error) {
                (_, Some(e)) => e.clone(),
                (PollStatus::New | PollStatus::Changed, _) => {
                    let counts = report::counts_text(r.counts.as_ref());
                    let version = format!("now at version {}", r.version.unwrap_or_default());
                    if counts.is_empty() {
                        version
                    } else {
                        format!("{version}: {counts}")
                    }
                }
                _ => String::new(),
            };
            println!("{time}  {:<10} {:<9}  {detail}", r.name, r.status.as_str());
        }
        WorkerEvent::AutoPaused { name, reason } => {
            println!("{time}  {name:<10} paused     {reason}");
        }
        WorkerEvent::StoreFailed { error } => println!("{time}  store error: {error}"),
        WorkerEvent::HealthChecked {
            name,
            checked,
            down,
        } => println!("{time}  {name:<10} health: {checked} endpoints checked, {down} down"),
        WorkerEvent::CacheTested {
            name,
            models,
            failed,
        } => println!("{time}  {name:<10} caching: {models} models tested, {failed} failing"),
        WorkerEvent::ConfigSynced { file, outcome } => match outcome {
            Ok(summary) => println!("{time}  reloaded {file}: {summary}"),
            Err(e) => eprintln!("{time}  apiradar: {e}"),
        },
        WorkerEvent::Polling { .. } | WorkerEvent::Idle { .. } => {}
    }
}

/// `apiradar` without a command: the dashboard over the database.
fn run_dashboard(paths: &Paths, config_file: Option<&Path>) -> Result<()> {
    use std::io::IsTerminal;
    // A broken keymap or theme is reported before anything else.
    apiradar::tui::resolve(&paths.config_dir).map_err(usage)?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(usage(
            "the dashboard needs a terminal; in scripts and CI use `apiradar refresh`, `list`, `history` or `diff` (see --help)"
        ));
    }
    let mut store = open_store(paths)?;
    let settings = sync_config(&mut store, config_file)?;
    drop(store);
    let mut fetch = FetchConfig::default();
    let mut worker = WorkerConfig::default();
    settings.apply(&mut fetch, &mut worker).map_err(usage)?;
    let mut health = apiradar::health::Schedule::default();
    settings.apply_health(&mut health).map_err(usage)?;
    let options = apiradar::tui::TuiOptions {
        db: paths.db.clone(),
        config_dir: paths.config_dir.clone(),
        fetch,
        worker,
        greeting: None,
        health,
        follow: config_file.map(|p| (p.to_path_buf(), settings.clone())),
    };
    apiradar::tui::run(options, &runtime()?)
}

/// `apiradar demo` in a terminal: the demo API, its watches, and the
/// dashboard on them.
fn run_demo_dashboard(args: cli::DemoArgs, persistent: Option<&Paths>) -> Result<()> {
    let DemoSetup {
        step,
        every,
        db,
        _temp,
        ..
    } = demo_setup(&args, persistent)?;
    let config_dir = Paths::resolve(None).config_dir;
    let rt = runtime()?;
    let server = rt
        .block_on(demo::serve(step))
        .context("cannot start the demo API")?;
    let mut store = Store::open(&db)?;
    demo::add_watches(&mut store, &server.url(), every)?;
    let llama = demo::start_llama();
    if let Some(l) = &llama {
        let shared: SharedStore = Arc::new(Mutex::new(store));
        rt.spawn(demo::add_llama_when_ready(shared, l.port, every));
    } else {
        drop(store);
    }
    let options = apiradar::tui::TuiOptions {
        db,
        config_dir,
        fetch: FetchConfig::default(),
        worker: WorkerConfig::default(),
        greeting: Some(format!(
            "demo: the API at {} changes every {}",
            server.url(),
            humantime::format_duration(step)
        )),
        health: apiradar::health::Schedule {
            every,
            ..apiradar::health::Schedule::default()
        },
        follow: None,
    };
    let result = apiradar::tui::run(options, &rt);
    drop(llama);
    drop(server);
    result
}

/// `apiradar health`: discover, probe and record the endpoints of the
/// named (or all active) watches, then print them with their figures.
fn run_health(a: cli::HealthArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    use apiradar::health::{self, check::ProbeConfig};
    let parse = |s: &str| {
        humantime::parse_duration(s).map_err(|_| usage(format!("`{s}` is not a duration")))
    };
    let mut config = ProbeConfig {
        timeout: parse(&a.timeout)?,
        ..ProbeConfig::default()
    };
    if let Some(d) = &a.degraded_after {
        config.degraded_after = parse(d)?;
    }
    if let Some(path) = &a.ca_cert {
        let pem = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
        config.extra_roots.push(pem);
    }
    let watches: Vec<watch::Watch> = if a.names.is_empty() {
        store
            .list_watches()?
            .into_iter()
            .filter(|w| !w.paused)
            .collect()
    } else {
        a.names
            .iter()
            .map(|n| store.watch(n))
            .collect::<Result<_, _>>()?
    };
    if let Some(url) = &a.add {
        let [watch] = watches.as_slice() else {
            bail!(usage("--add needs exactly one watch name"));
        };
        let mut headers = std::collections::BTreeMap::new();
        for h in &a.headers {
            let (name, value) = watch::parse_header(h)?;
            headers.insert(name, value);
        }
        let decl = health::declare::EndpointDecl {
            watch: watch.spec.name.clone(),
            url: url.clone(),
            method: Some(a.method.clone()),
            conditions: a.conditions.clone(),
            degraded_after: a.degraded_after.clone(),
            headers,
            body: a.body.clone(),
            body_type: a.body.as_ref().map(|_| a.body_type.clone()),
        };
        let def = decl.resolve(&current_dir()?).map_err(|e| {
            let e = match e.strip_prefix("url ") {
                Some(rest) => format!("--add {rest}"),
                None => as_flag(e),
            };
            usage(e)
        })?;
        store.declare_endpoint(watch.id, &def.as_new(), false)?;
    }
    let toggles = [
        (&a.enable, Some(true)),
        (&a.disable, Some(false)),
        (&a.reset, None),
    ];
    for (list, enabled) in toggles {
        for op in list {
            let [watch] = watches.as_slice() else {
                bail!(usage(
                    "--enable, --disable and --reset need exactly one watch name"
                ));
            };
            let (method, path) = health::declare::parse_operation(op).map_err(usage)?;
            store.set_endpoint_override(watch.id, &method, &path, enabled)?;
        }
    }
    let mut targets = Vec::new();
    for w in &watches {
        match health::sync_endpoints(store, w) {
            Ok(synced) if a.skipped => {
                for s in &synced.skipped {
                    writeln!(out, "{}  {s}", w.spec.name)?;
                }
                continue;
            }
            Ok(synced) => {
                for s in &synced.skipped {
                    tracing::debug!(watch = %w.spec.name, "not probed: {s}");
                }
            }
            Err(e) => eprintln!("apiradar: {}: {e}", w.spec.name),
        }
        for e in store.endpoints(w.id)?.into_iter().filter(|e| e.enabled) {
            targets.push((w.clone(), e));
        }
    }
    if a.skipped {
        return Ok(());
    }
    if targets.is_empty() {
        writeln!(
            out,
            "no endpoints to probe: openapi watches get theirs from their latest version (GET and HEAD operations whose required parameters have examples); add one with --add URL"
        )?;
        return Ok(());
    }
    let prober = health::check::Prober::new(config).map_err(anyhow::Error::msg)?;
    let shared: SharedStore = Arc::new(Mutex::new(Store::open(store.path())?));
    let results = runtime()?.block_on(async {
        let results = health::run_checks(
            &shared,
            &prober,
            targets.clone(),
            health::Concurrency::default(),
        )
        .await;
        send_queued_alerts(&shared).await;
        results
    });
    let now = now_ms();
    let name_of = |id: i64| {
        watches
            .iter()
            .find(|w| w.id == id)
            .map(|w| w.spec.name.clone())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for (endpoint, probe) in &results {
        let stats = store.endpoint_stats(endpoint.id, now, 0)?;
        rows.push((name_of(endpoint.watch_id), endpoint, probe, stats));
    }
    let down = results
        .iter()
        .filter(|(e, _)| e.state == EndpointState::Down)
        .count();
    if a.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(watch, e, p, stats)| {
                serde_json::json!({
                    "watch": watch,
                    "method": e.method,
                    "url": e.url,
                    "state": e.state,
                    "http_status": p.record.http_status,
                    "latency_ms": p.record.latency_ms,
                    "connect_ms": p.record.connect_ms,
                    "ttfb_ms": p.record.ttfb_ms,
                    "body_size": p.record.body_size,
                    "cert_days": p.record.cert_days,
                    "error_class": p.record.error_class,
                    "error": p.record.error,
                    "notes": p.notes,
                    "consecutive_failures": e.consecutive_failures,
                    "uptime_24h": stats.uptime_24h,
                    "p50_ms": stats.p50_ms,
                    "p95_ms": stats.p95_ms,
                    "p99_ms": stats.p99_ms,
                })
            })
            .collect();
        writeln!(out, "{:#}", serde_json::json!({ "endpoints": list }))?;
    } else {
        let ms = |v: Option<i64>| v.map_or("-".to_string(), |v| format!("{v}ms"));
        let header = [
            "WATCH", "ENDPOINT", "STATE", "STATUS", "LATENCY", "UP 24H", "P50", "P95", "P99",
            "CERT",
        ];
        let mut table = Vec::new();
        for (watch, e, p, stats) in &rows {
            table.push(vec![
                watch.clone(),
                format!("{} {}", e.method, e.url),
                e.state.to_string(),
                p.record.http_status.map_or("-".into(), |s| s.to_string()),
                ms(p.record.latency_ms),
                stats
                    .uptime_24h
                    .map_or("-".into(), |u| format!("{:.1}%", u * 100.0)),
                ms(stats.p50_ms),
                ms(stats.p95_ms),
                ms(stats.p99_ms),
                p.record.cert_days.map_or("-".into(), |d| format!("{d}d")),
            ]);
        }
        write!(out, "{}", report::table(&header, &table))?;
        for (watch, e, p, _) in &rows {
            if let Some(err) = &p.record.error {
                writeln!(out, "  {watch} {} {}: {err}", e.method, e.url)?;
            } else {
                for n in &p.notes {
                    writeln!(out, "  {watch} {} {}: {n}", e.method, e.url)?;
                }
            }
        }
    }
    if down > 0 {
        return Err(PartialFailure.into());
    }
    Ok(())
}

fn run_alert(a: cli::AlertCommand, store: &mut Store, out: &mut impl Write) -> Result<()> {
    match a {
        cli::AlertCommand::Add(a) => {
            let decl = apiradar::alert::declare::ChannelDecl {
                name: a.name,
                webhook: a.webhook,
                slack: a.slack,
                discord: a.discord,
                email: a.email,
                from: a.from,
                to: a.to,
                smtp_user_env: a.smtp_user_env,
                smtp_password_env: a.smtp_password_env,
                ca_cert: a.ca_cert,
                secret_env: a.secret_env,
                on: a.on,
                watch: a.watch,
                down_after: Some(a.down_after),
                recovered_after: Some(a.recovered_after),
                remind_every: a.remind_every,
            };
            let def = decl
                .resolve(&current_dir()?)
                .map_err(|e| usage(as_flag(e)))?;
            let kind = def.kind;
            let c = store.add_channel_with(&def.as_new())?;
            writeln!(
                out,
                "added {kind} channel {} for {} on {}",
                c.name,
                c.watch.as_deref().unwrap_or("every watch"),
                c.event_names().join(", ")
            )?;
        }
        cli::AlertCommand::List { json } => {
            let channels = store.channels()?;
            if json {
                writeln!(out, "{:#}", serde_json::json!({ "channels": channels }))?;
            } else {
                let rows: Vec<Vec<String>> = channels
                    .iter()
                    .map(|c| {
                        let t = c.thresholds;
                        let mut when = format!("{}/{}", t.down_after, t.recovered_after);
                        if let Some(ms) = t.remind_every_ms {
                            let every = std::time::Duration::from_millis(ms as u64);
                            when += &format!(" every {}", humantime::format_duration(every));
                        }
                        vec![
                            c.name.clone(),
                            c.kind.to_string(),
                            c.url.clone(),
                            if c.disabled.is_some() {
                                "(off: not in the config file)".to_string()
                            } else {
                                c.event_names().join(",")
                            },
                            c.watch.clone().unwrap_or_else(|| "(all)".into()),
                            when,
                        ]
                    })
                    .collect();
                write!(
                    out,
                    "{}",
                    report::table(
                        &["NAME", "KIND", "URL", "EVENTS", "WATCH", "DOWN/UP"],
                        &rows
                    )
                )?;
            }
        }
        cli::AlertCommand::Remove { name } => {
            store.remove_channel(&name)?;
            writeln!(out, "removed alert channel {name}")?;
        }
        cli::AlertCommand::Test { name } => {
            let id = store.enqueue_test(&name)?;
            let shared: SharedStore = Arc::new(Mutex::new(Store::open(store.path())?));
            let sender = apiradar::alert::Sender::new(std::time::Duration::from_secs(15))
                .map_err(anyhow::Error::msg)?;
            runtime()?.block_on(apiradar::alert::deliver_due(&shared, &sender, now_ms()));
            let row = store.alert_history(50)?.into_iter().find(|o| o.id == id);
            match row {
                Some(o) if o.status == OutboxStatus::Sent => {
                    writeln!(out, "test alert sent to {name}")?
                }
                Some(o) => {
                    bail!(
                        "test alert to {name} not delivered: {} (it stays queued and is retried while apiradar runs)",
                        o.last_error.unwrap_or_default()
                    )
                }
                None => bail!("test alert to {name} was not queued"),
            }
        }
    }
    Ok(())
}

fn parse_duration_arg(s: &str) -> Result<std::time::Duration> {
    humantime::parse_duration(s).map_err(|_| usage(format!("`{s}` is not a duration")))
}

fn run_cache(a: cli::CacheCommand, store: &mut Store, out: &mut impl Write) -> Result<()> {
    match a {
        cli::CacheCommand::Add(a) => {
            let decl = apiradar::caching::declare::TargetDecl {
                name: a.name.clone(),
                profile: Some(a.profile.clone()),
                base_url: a.base_url.clone(),
                api_key_env: a.api_key_env.clone(),
                models: a.models.clone(),
                min_tokens: a.min_tokens,
                ttl: a.ttl.clone(),
                price: a.price,
                cached_price: a.cached_price,
                tests: a.tests.clone(),
                every: a.every.clone(),
                daily_budget: a.daily_budget,
                ttl_ladder: a.ttl_ladder.clone(),
                persistence: a.persistence,
                max_prompt_tokens: a.max_prompt_tokens,
                stream: a.stream,
                cached_field: a.cached_field.clone(),
                api: a.api.clone(),
            };
            let def = decl.resolve().map_err(|e| usage(as_flag(e)))?;
            let profile = def.profile;
            let t = store.add_cache_target(
                &def.name,
                &profile.name,
                &def.base_url,
                def.api_key_env.as_deref(),
                &def.models,
                &def.settings,
            )?;
            writeln!(
                out,
                "added caching target {} ({} profile, {}) for {}",
                t.name,
                t.profile,
                t.base_url,
                t.models.join(", ")
            )?;
            if a.watch_catalog {
                let mut spec = WatchSpec::new(
                    &format!("{}-models", t.name),
                    Kind::Json,
                    &format!("{}/models", t.base_url.trim_end_matches('/')),
                );
                spec.item_key = Some("id".into());
                if let Some(var) = &t.api_key_env {
                    let header = match profile.auth {
                        apiradar::caching::profile::Auth::Bearer => {
                            ("Authorization".to_string(), format!("Bearer ${{{var}}}"))
                        }
                        apiradar::caching::profile::Auth::XApiKey => {
                            ("x-api-key".to_string(), format!("${{{var}}}"))
                        }
                    };
                    spec.headers.push(header);
                }
                spec.validate()?;
                store.add_watch(&spec, false)?;
                writeln!(
                    out,
                    "added json watch {} of {} (polled every {})",
                    spec.name,
                    spec.location,
                    humantime::format_duration(spec.interval)
                )?;
            }
            if let Some(var) = &t.api_key_env
                && std::env::var(var).is_err()
            {
                eprintln!("apiradar: note: {var} is not set in this environment; tests need it");
            }
        }
        cli::CacheCommand::List { json } => {
            let targets = store.cache_targets()?;
            let mut rows = Vec::new();
            let mut list = Vec::new();
            for t in &targets {
                for m in &t.models {
                    let runs = store.cache_runs(
                        &t.name,
                        Some(m),
                        apiradar::caching::suite::RELIABILITY_RUNS,
                    )?;
                    let verdicts: Vec<Verdict> = runs
                        .iter()
                        .flat_map(|r| r.results.iter().map(|x| x.verdict))
                        .collect();
                    let score = apiradar::caching::suite::reliability(verdicts);
                    let state = store.model_state(t.id, m)?;
                    let last = runs.first();
                    rows.push(vec![
                        t.name.clone(),
                        m.clone(),
                        t.profile.clone(),
                        last.map_or("never".into(), |r| report::relative(r.started_at, now_ms())),
                        last.and_then(|r| r.hit_rate)
                            .map_or("-".into(), |h| format!("{:.0}%", h * 100.0)),
                        score.map_or("-".into(), |s| s.to_string()),
                        if t.paused {
                            "paused".into()
                        } else if state.warning() {
                            format!("{} failed runs", state.consecutive_failures)
                        } else {
                            "ok".into()
                        },
                    ]);
                    list.push(serde_json::json!({
                        "target": t.name, "model": m, "profile": t.profile, "base_url": t.base_url,
                        "api_key_env": t.api_key_env, "last_run": last, "reliability": score,
                        "state": state, "paused": t.paused, "paused_reason": t.paused_reason,
                        "from_config": t.from_config,
                    }));
                }
            }
            if json {
                writeln!(out, "{:#}", serde_json::json!({ "targets": list }))?;
            } else if rows.is_empty() {
                writeln!(
                    out,
                    "no caching targets yet: apiradar cache add NAME --profile openai --api-key-env OPENAI_API_KEY --model gpt-4o-mini"
                )?;
            } else {
                write!(
                    out,
                    "{}",
                    report::table(
                        &[
                            "TARGET",
                            "MODEL",
                            "PROFILE",
                            "LAST RUN",
                            "HIT RATE",
                            "RELIABILITY",
                            "STATE"
                        ],
                        &rows
                    )
                )?;
            }
        }
        cli::CacheCommand::Remove { name } => {
            store.remove_cache_target(&name)?;
            writeln!(out, "removed caching target {name}")?;
        }
        cli::CacheCommand::Models { name } => {
            let t = store.cache_target(&name)?;
            let endpoint = apiradar::caching::endpoint_of(&t);
            let client = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .context("cannot build the HTTP client")?;
            let models = runtime()?
                .block_on(apiradar::caching::list_models(&client, &endpoint))
                .map_err(anyhow::Error::msg)?;
            for m in models {
                let mark = if t.models.contains(&m) {
                    "  (tested)"
                } else {
                    ""
                };
                writeln!(out, "{m}{mark}")?;
            }
        }
        cli::CacheCommand::History {
            name,
            model,
            limit,
            json,
        } => {
            store.cache_target(&name)?;
            let runs = store.cache_runs(&name, model.as_deref(), limit)?;
            if json {
                writeln!(out, "{:#}", serde_json::json!({ "runs": runs }))?;
            } else if runs.is_empty() {
                writeln!(out, "no runs yet: apiradar cache-test {name}")?;
            } else {
                let rows: Vec<Vec<String>> = runs
                    .iter()
                    .map(|r| {
                        let pass = r
                            .results
                            .iter()
                            .filter(|x| x.verdict == Verdict::Pass)
                            .count();
                        let fail = r
                            .results
                            .iter()
                            .filter(|x| x.verdict == Verdict::Fail)
                            .count();
                        vec![
                            report::relative(r.started_at, now_ms()),
                            r.model.clone(),
                            r.hit_rate
                                .map_or("-".into(), |h| format!("{:.0}%", h * 100.0)),
                            format!(
                                "{pass} pass, {fail} fail, {} other",
                                r.results.len() - pass - fail
                            ),
                            r.tokens.to_string(),
                            r.stopped.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                write!(
                    out,
                    "{}",
                    report::table(
                        &["WHEN", "MODEL", "HIT RATE", "TESTS", "TOKENS", "NOTE"],
                        &rows
                    )
                )?;
            }
        }
    }
    Ok(())
}

fn run_cache_test(a: cli::CacheTestArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    use apiradar::caching::{self, suite::TestKind};
    let target = store.cache_target(&a.name)?;
    let tests = if a.tests.is_empty() {
        None
    } else {
        Some(
            a.tests
                .iter()
                .map(|t| {
                    TestKind::parse(t.trim()).ok_or_else(|| {
                        usage(format!(
                            "unknown test `{t}`: use identical, sizes, shared-prefix, changed-at-k, persistence, ttl or multi-turn"
                        ))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
        )
    };
    let opts = caching::RunOptions {
        tests,
        models: (!a.models.is_empty()).then(|| a.models.clone()),
        isolation: parse_duration_arg(&a.isolation)?,
        ignore_cooldown: true,
    };
    let client = caching::client::Client::new(parse_duration_arg(&a.timeout)?)
        .map_err(anyhow::Error::msg)?;
    let endpoint = caching::endpoint_of(&target);
    let path = store.path().to_path_buf();
    let runs = runtime()?.block_on(async {
        let shared: SharedStore = Arc::new(Mutex::new(Store::open(&path)?));
        let runs = caching::run_target(&shared, &client, &target, &opts).await;
        send_queued_alerts(&shared).await;
        Ok::<_, StoreError>(runs)
    })?;
    if a.json {
        let list: Vec<serde_json::Value> = runs
            .iter()
            .map(|r| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if a.curl
                    && let Some(results) = v.get_mut("results").and_then(|x| x.as_array_mut())
                {
                    for (res, orig) in results.iter_mut().zip(&r.results) {
                        if let Some(first) = orig.exchanges.first() {
                            res["curl"] = caching::client::curl(&endpoint, &first.request).into();
                        }
                    }
                }
                v
            })
            .collect();
        writeln!(
            out,
            "{:#}",
            serde_json::json!({ "target": target.name, "runs": list })
        )?;
    } else {
        for r in &runs {
            let label = if target.settings.simulated {
                " (simulated provider)"
            } else {
                ""
            };
            writeln!(out, "{} · {}{label}", target.name, r.model)?;
            if let Some(b) = &r.balance {
                writeln!(out, "  {b}")?;
            }
            if let Some(why) = &r.skipped {
                writeln!(out, "  skipped: {why}")?;
                continue;
            }
            for t in &r.results {
                writeln!(
                    out,
                    "  {:<13} {:<12} {}",
                    t.test.as_str(),
                    t.verdict.as_str().to_uppercase(),
                    t.summary
                )?;
                let lat = match (t.cold_ms, t.warm_ms) {
                    (Some(c), Some(w)) => format!("cold {c} ms, warm {w} ms"),
                    _ => String::new(),
                };
                let hit = t.hit_rate.map(|h| format!("hit rate {:.0}%", h * 100.0));
                let detail: Vec<String> = hit
                    .into_iter()
                    .chain((!lat.is_empty()).then_some(lat))
                    .collect();
                if !detail.is_empty() {
                    writeln!(out, "  {:<13} {:<12} {}", "", "", detail.join(", "))?;
                }
                if a.curl
                    && let Some(first) = t.exchanges.first()
                {
                    writeln!(
                        out,
                        "    {}",
                        caching::client::curl(&endpoint, &first.request)
                    )?;
                }
            }
            if let Some(why) = &r.stopped {
                writeln!(out, "  stopped: {why}")?;
            }
            if r.state.warning() {
                writeln!(
                    out,
                    "  warning: {} failed runs in a row",
                    r.state.consecutive_failures
                )?;
            }
            if r.regression {
                writeln!(out, "  caching regression: alert queued")?;
            }
            writeln!(out, "  took {:.1} s", r.seconds)?;
        }
    }
    if runs.iter().any(|r| r.failed()) {
        return Err(PartialFailure.into());
    }
    Ok(())
}
