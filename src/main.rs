//! The `apiradar` binary: parses arguments, calls the application layer
//! ([`apiradar::app`]), prints what it returns through [`apiradar::report`]
//! and turns errors into exit codes: 0 success, 1 a failure, 2 a usage
//! error, 3 findings at the `refresh --fail-on` level.

mod cli;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use apiradar::app::{self, AppError, ErrorClass, Services, ServicesConfig};
use apiradar::config::Paths;
use apiradar::report::{self, events::Stream};
use apiradar::store::{Store, now_ms};
use apiradar::{logging, tui};
use cli::{Cli, Command};

/// mimalloc: see its line in Cargo.toml. The benches use it too, so that
/// their figures are this binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A line on stderr. Unlike `eprintln!` it never panics: a closed stderr
/// (`2>&-`, a terminal gone after SIGHUP) only loses the line.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

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
        // The reader has what it wanted (`apiradar diff … | head`): end
        // quietly, as `git log | head` does from the user's point of view.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(stopped) = e.downcast_ref::<tui::StoppedBySignal>() {
                note!("apiradar: {stopped}");
                return ExitCode::from(stopped.exit_code());
            }
            let class = match e.downcast_ref::<AppError>() {
                Some(e) => Some(e.class()),
                None => e
                    .downcast_ref::<apiradar::store::StoreError>()
                    .filter(|e| app::error::store_usage(e))
                    .map(|_| ErrorClass::Usage),
            };
            match class {
                Some(ErrorClass::Partial) => return ExitCode::from(1),
                Some(ErrorClass::FindingsAtLevel) => return ExitCode::from(3),
                _ => {}
            }
            note!("apiradar: {}", apiradar::text::block(&format!("{e:#}")));
            ExitCode::from(if class == Some(ErrorClass::Usage) {
                2
            } else {
                1
            })
        }
    }
}

/// Whether `e` is a write to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || matches!(c.downcast_ref::<AppError>(), Some(AppError::Io(e)) if e.kind() == BrokenPipe)
    })
}

/// Whether the user is at a terminal that can answer a question.
fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Whether this invocation opens the dashboard.
fn dashboard_wanted(cli: &Cli) -> bool {
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
        Command::Completions { shell } => {
            std::io::stdout()
                .lock()
                .write_all(&cli::completions(shell))?;
            Ok(())
        }
        Command::Config { show: _ } => {
            let view = app::settings::show(paths, config_file.as_deref())?;
            let out = &mut std::io::stdout().lock();
            write!(out, "{}", report::config::config_text(&view))?;
            write!(out, "{}", apiradar::tui::settings_text(&paths.config_dir))?;
            Ok(())
        }
        Command::Demo(args) => {
            let request = app::demo::DemoRequest {
                step: args.step,
                every: args.every,
                run_for: args.run_for,
                db: cli.db.is_some().then(|| paths.db.clone()),
            };
            if dashboard {
                run_demo_dashboard(&request)
            } else {
                run_demo(&request)
            }
        }
        command => {
            let mut store = open_store(paths)?;
            let settings = sync_config(&mut store, config_file.as_deref())?;
            if let Command::Run(a) = command {
                return run_daemon(a, &store, &settings, config_file);
            }
            dispatch(command, &mut store, &settings)
        }
    }
}

fn open_store(paths: &Paths) -> Result<Store, AppError> {
    app::open_store(&paths.db)
}

/// Syncs the config file into the store, saying what it switched off.
fn sync_config(store: &mut Store, file: Option<&Path>) -> Result<apiradar::config::Settings> {
    let (settings, synced) = app::settings::sync(store, file)?;
    if let Some(s) = synced {
        for name in &s.report.added {
            tracing::info!(watch = %name, "added from config");
        }
        for line in report::events::sync_notes(&s.path, &s.report) {
            note!("{line}");
        }
    }
    Ok(settings)
}

fn note_delivery(d: &app::Delivery) {
    if let Some(line) = report::events::delivery_note(d) {
        note!("{line}");
    }
}

fn dispatch(
    command: Command,
    store: &mut Store,
    settings: &apiradar::config::Settings,
) -> Result<()> {
    use app::{queries, watches};
    let out = &mut std::io::stdout().lock();
    match command {
        Command::Add(a) => {
            let input = watches::WatchInput::from(&a);
            let mut spec = input.to_spec(Some(&app::current_dir()?))?;
            watches::OptionsInput::from(&a.options).apply(&mut spec.options)?;
            let detected = watches::detect_key(&mut spec);
            // Checked before the watch exists, so a bad --schema adds nothing.
            let audit = match &a.schema {
                Some(_) if spec.kind != apiradar::watch::Kind::Json => {
                    return Err(app::AppError::Usage(format!(
                        "--schema applies to json watches (this one is {})",
                        spec.kind
                    ))
                    .into());
                }
                Some(s) => Some((
                    s[0].clone(),
                    app::conform::check_audit(store, &s[0], &s[1])?,
                )),
                None => None,
            };
            let watch = watches::add(store, &spec, a.paused.then_some("added paused"))?;
            if let Some((description, operation)) = &audit {
                app::conform::set_audit(store, &watch.spec.name, Some((description, operation)))?;
            }
            if a.health || a.allow_private {
                store.set_health_settings(
                    watch.id,
                    a.health.then_some(true),
                    a.allow_private.then_some(true),
                )?;
            }
            let every = apiradar::watch::format_interval(spec.interval);
            let (name, kind, location) = (&spec.name, spec.kind, &spec.location);
            writeln!(out, "added {name} ({kind}, every {every}): {location}")?;
            if let Some(key) = detected {
                writeln!(
                    out,
                    "items matched by their `{key}` field (found in the document; --key FIELD chooses another, --no-key compares by position)"
                )?;
            }
            if a.health {
                writeln!(
                    out,
                    "health on: the endpoints its description lists are probed"
                )?;
            }
            if let Some((description, operation)) = &audit {
                writeln!(
                    out,
                    "each polled document is validated against the response of {operation} in {description} (see `apiradar conform {}`)",
                    apiradar::text::line(&watch.spec.name)
                )?;
            }
        }
        Command::Edit(e) => {
            let name = e.name.clone();
            let (schema, no_schema) = (e.schema.clone(), e.no_schema);
            let edited = watches::edit(store, e.into(), &app::current_dir()?)?;
            if let Some(s) = &schema {
                let op = app::conform::set_audit(store, &edited.spec.name, Some((&s[0], &s[1])))?;
                if let Some(op) = op {
                    writeln!(
                        out,
                        "each polled document is validated against the response of {op} in {}",
                        apiradar::text::line(&s[0])
                    )?;
                }
            } else if no_schema {
                app::conform::set_audit(store, &edited.spec.name, None)?;
            }
            if edited.from_config {
                note!(
                    "apiradar: note: `{name}` is declared in a config file; the next sync with --config will restore it"
                );
            }
            writeln!(out, "updated {}", edited.spec.name)?;
        }
        Command::List(a) => {
            let list = queries::watches(store)?;
            if a.json {
                writeln!(out, "{}", report::json_text(&report::watches_json(&list)))?;
            } else {
                write!(out, "{}", report::watch_table(&list, now_ms()))?;
            }
        }
        Command::Remove { name, yes } => {
            let versions = watches::version_count(store, &name)?;
            if !yes {
                confirm_remove(&name, versions)?;
            }
            let versions = watches::remove(store, &name)?;
            writeln!(out, "removed {name} and its {versions} versions")?;
        }
        Command::Pause { name, reason } => {
            watches::pause(store, &name, &reason)?;
            writeln!(out, "paused {name}")?;
        }
        Command::Resume { name } => {
            watches::resume(store, &name)?;
            writeln!(out, "resumed {name}: it will be polled at the next refresh")?;
        }
        Command::Refresh(a) => {
            let done = app::refresh::refresh(store, settings, &(&a).into())?;
            note_delivery(&done.delivery);
            if a.json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::refresh_json(&done.reports))
                )?;
            } else {
                write!(out, "{}", report::refresh_table(&done.reports))?;
            }
            done.verdict(a.fail_on.as_deref())?;
        }
        Command::Health(a) => {
            let h = app::health::run(store, &(&a).into()).map_err(cli::health_flag_names)?;
            for (watch, e) in &h.sync_errors {
                note!(
                    "apiradar: {watch}: {}",
                    apiradar::text::line(&e.to_string())
                );
            }
            for line in &h.switched {
                note!("apiradar: {line}");
            }
            match &h.outcome {
                app::health::HealthOutcome::Skipped(lines) => {
                    for (watch, s) in lines {
                        writeln!(out, "{}", report::health::skipped_line(watch, s))?;
                    }
                }
                app::health::HealthOutcome::NoEndpoints if a.json => {
                    let doc = report::health::health_json(&[], &h.not_probed);
                    writeln!(out, "{doc:#}")?;
                }
                app::health::HealthOutcome::NoEndpoints => {
                    write!(out, "{}", report::health::not_probed_text(&h.not_probed))?;
                    if h.not_probed.is_empty() {
                        writeln!(out, "{}", report::health::NO_ENDPOINTS)?;
                    }
                }
                app::health::HealthOutcome::Checked { rows, delivery, .. } => {
                    note_delivery(delivery);
                    if a.json {
                        writeln!(
                            out,
                            "{}",
                            report::json_text(&report::health::health_json(rows, &h.not_probed))
                        )?;
                    } else {
                        write!(out, "{}", report::health::health_table(rows))?;
                        write!(out, "{}", report::health::not_probed_text(&h.not_probed))?;
                    }
                }
            }
            h.verdict()?;
        }
        Command::Conform(a) => {
            let c = app::conform::run(
                store,
                &app::conform::ConformRequest {
                    name: a.name,
                    endpoint: a.endpoint,
                },
            )?;
            if a.json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::conform::conform_json(&c))
                )?;
            } else {
                write!(out, "{}", report::conform::conform_text(&c, now_ms()))?;
            }
            c.verdict()?;
        }
        Command::Run(_) => unreachable!("`run` is started before dispatch"),
        Command::Alert(a) => run_alert(a, store, out)?,
        Command::Cache(a) => run_cache(a, store, out)?,
        Command::CacheTest(a) => {
            let curl = a.curl.clone();
            let json = a.json;
            let mut progress = Progress::on_terminal();
            let tested = app::caching::test(store, &a.into(), |p| progress.show(&p.to_string()));
            progress.clear();
            let mut tested = tested?;
            note_delivery(&tested.delivery);
            if let Some(dir) = &curl {
                tested.save_bodies(dir)?;
            }
            if json {
                let doc = report::caching::cache_test_json(&tested, now_ms());
                writeln!(out, "{}", report::json_text(&doc))?;
            } else {
                write!(
                    out,
                    "{}",
                    report::caching::cache_test_text(&tested, now_ms())
                )?;
            }
            tested.verdict()?;
        }
        Command::Alerts {
            id: Some(id), json, ..
        } => {
            let row = queries::alert(store, id)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::alerts::alert_json(&row))
                )?;
            } else {
                write!(out, "{}", report::alerts::alert_text(&row))?;
            }
        }
        Command::Alerts {
            id: None,
            json,
            limit,
        } => {
            let rows = queries::alerts(store, limit)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::alerts::alerts_json(&rows))
                )?;
            } else {
                write!(out, "{}", report::alerts::alerts_table(&rows))?;
            }
        }
        Command::History { name, json } => {
            let (watch, versions) = queries::history(store, &name)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::history_json(&watch, &versions))
                )?;
            } else {
                write!(out, "{}", report::history_table(&versions))?;
            }
        }
        Command::Catalog(a) => run_catalog(a, store, out)?,
        Command::Show { target } => {
            use std::io::IsTerminal;
            let bytes = app::diff::show(store, &target)?;
            out.write_all(&report::published(&bytes, std::io::stdout().is_terminal()))?;
        }
        Command::Import(a) => {
            let (name, quiet) = (a.name.clone(), a.json);
            let mut progress = Progress::on_terminal();
            let (mut done_files, mut to_import) = (0usize, 0usize);
            let done = app::import::run(store, &a.into(), |event| match event {
                app::import::ImportEvent::CreatedWatch {
                    name,
                    kind,
                    location,
                } => {
                    progress.clear();
                    note!("apiradar: created watch `{name}` ({kind}) watching {location}");
                }
                app::import::ImportEvent::DetectedKey { field } => {
                    progress.clear();
                    note!(
                        "apiradar: items matched by their `{field}` field (found in the first file; --key FIELD chooses another, --no-key compares by position)"
                    );
                }
                app::import::ImportEvent::Starting { files, .. } => to_import = files,
                app::import::ImportEvent::File(f) => {
                    done_files += 1;
                    if !quiet && f.status == apiradar::store::PollOutcome::Failed {
                        progress.clear();
                        note!(
                            "apiradar: {}: {}",
                            f.path,
                            apiradar::text::line(f.error.as_deref().unwrap_or("failed"))
                        );
                    }
                    progress.show(&format!("importing {done_files}/{to_import} files…"));
                }
            });
            progress.clear();
            let done = done?;
            if quiet {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::import_json(&name, &done))
                )?;
            } else {
                writeln!(out, "{}", report::import_text(&name, &done))?;
            }
            if done.failed > 0 {
                return Err(AppError::PartialFailure.into());
            }
        }
        Command::Diff(a) => {
            let diff = app::diff::run(store, &(&a).into())?;
            for line in report::diff_notes(&diff) {
                note!("{line}");
            }
            a.format.write(&diff, a.flat, a.max_bytes, out)?;
            diff.verdict(a.fail_on.as_deref())?;
        }
        Command::Tests(a) => run_tests(a, store, out)?,
        Command::Tasks(a) => run_tasks(a, store, out)?,
        Command::Docs(a) => run_docs(a, store, out)?,
        Command::Demo(_) | Command::Completions { .. } | Command::Config { .. } => {
            unreachable!("handled before the store is opened")
        }
    }
    Ok(())
}

fn run_tests(a: cli::TestsArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    let request = app::generate::TestsRequest {
        target: a.target,
        changed: a.changed.and_then(|c| match c.as_slice() {
            [x, y] => Some((x.clone(), y.clone())),
            _ => None,
        }),
        formats: a.format,
        cases: a.cases,
        seed: a.seed,
        only: a.only,
        hint: a.hint,
    };
    let generated = app::generate::tests(store, &request)?;
    note!("{}", report::generate::generated_line(&generated));
    for line in report::generate::notes(&generated.suite.notes, 10) {
        note!("{line}");
    }
    let wrote = app::generate::write_files(&generated.files, a.out.as_deref(), a.zip.as_deref())?;
    for path in &wrote {
        note!(
            "apiradar: wrote {}",
            apiradar::text::Line(&path.display().to_string())
        );
    }
    if let Some(base_url) = a.run {
        let report = app::generate::run(
            &generated.suite,
            &app::generate::RunOptions {
                base_url,
                allow_unsafe: a.allow_unsafe,
                allow_private: a.allow_private,
            },
        )?;
        write!(out, "{}", report::generate::run_junit(&report))?;
        for line in report::generate::run_summary(&report) {
            note!("{line}");
        }
        if report.failed() > 0 {
            return Err(AppError::PartialFailure.into());
        }
    } else if wrote.is_empty() {
        match generated.files.as_slice() {
            [(_, bytes)] => out.write_all(bytes)?,
            _ => {
                return Err(AppError::usage(
                    "these formats make several files: say where with --out DIR or --zip FILE",
                )
                .into());
            }
        }
    }
    Ok(())
}

fn run_tasks(a: cli::TasksArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    let list = app::generate::tasks(
        store,
        &app::generate::TasksRequest {
            base: a.base,
            revision: a.revision,
            implemented: a.implemented,
        },
    )?;
    let text = match a.format.as_str() {
        "json" => report::generate::tasks_json(&list),
        _ => report::generate::tasks_markdown(&list),
    };
    write!(out, "{text}")?;
    Ok(())
}

fn run_docs(a: cli::DocsArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    let docs = app::generate::docs(
        store,
        &app::generate::DocsRequest {
            target: a.target,
            format: a.format,
            since: a.since,
        },
    )?;
    note!("{}", report::generate::docs_line(&docs));
    match a.out {
        Some(dir) => {
            let files = [(docs.file_name.to_owned(), docs.text.into_bytes())];
            for path in app::generate::write_files(&files, Some(&dir), None)? {
                note!(
                    "apiradar: wrote {}",
                    apiradar::text::Line(&path.display().to_string())
                );
            }
        }
        None => write!(out, "{}", docs.text)?,
    }
    Ok(())
}

fn run_alert(a: cli::AlertCommand, store: &mut Store, out: &mut impl Write) -> Result<()> {
    match a {
        cli::AlertCommand::Add(a) => {
            let (channel, kind) = app::alerts::add(store, &(*a).into()).map_err(cli::flag_names)?;
            writeln!(out, "{}", report::alerts::channel_added(&channel, kind))?;
        }
        cli::AlertCommand::List { json } => {
            let channels = app::queries::channels(store)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::alerts::channels_json(&channels))
                )?;
            } else {
                write!(out, "{}", report::alerts::channels_table(&channels))?;
            }
        }
        cli::AlertCommand::Remove { name } => {
            app::alerts::remove(store, &name)?;
            writeln!(out, "removed alert channel {name}")?;
        }
        cli::AlertCommand::Test { name } => {
            app::alerts::test(store, &name)?;
            writeln!(out, "test alert sent to {name}")?;
        }
    }
    Ok(())
}

fn run_catalog(a: cli::CatalogArgs, store: &mut Store, out: &mut impl Write) -> Result<()> {
    use apiradar::app::catalog;
    if let Some(id) = &a.item {
        if a.csv || !a.wheres.is_empty() || a.search.is_some() || a.sort.is_some() {
            return Err(AppError::usage(
                "with an ITEM, `catalog` shows that item: --search, --where, --sort and --csv list items",
            )
            .into());
        }
        if let Some(field) = &a.history {
            let name = a
                .target
                .split_once('@')
                .map_or(a.target.as_str(), |(n, _)| n);
            let field = (!field.is_empty()).then_some(field.as_str());
            let h = catalog::history(store, name, id, field)?;
            if a.json {
                writeln!(out, "{}", report::catalog::history_json(&h))?;
            } else {
                write!(out, "{}", report::catalog::history_text(&h))?;
            }
            return Ok(());
        }
        let (_, item) = catalog::item(store, &a.target, id)?;
        write!(out, "{}", report::catalog::item_text(&item))?;
        return Ok(());
    }
    let req = catalog::ListRequest {
        search: a.search.clone(),
        wheres: a.wheres.clone(),
        sort: a.sort.clone(),
        columns: a.columns.clone(),
    };
    let listing = catalog::list(store, &a.target, &req)?;
    if a.json {
        writeln!(out, "{}", report::catalog::listing_json(&listing))?;
    } else if a.csv {
        write!(out, "{}", report::catalog::listing_csv(&listing))?;
    } else {
        write!(out, "{}", report::catalog::listing_text(&listing))?;
    }
    Ok(())
}

fn run_cache(a: cli::CacheCommand, store: &mut Store, out: &mut impl Write) -> Result<()> {
    match a {
        cli::CacheCommand::Add(a) => {
            let added = app::caching::add(store, &(&*a).into(), a.watch_catalog)
                .map_err(cli::flag_names)?;
            let t = &added.target;
            let models = t.models.join(", ");
            let (name, profile, base) = (&t.name, &t.profile, &t.base_url);
            writeln!(
                out,
                "added caching target {name} ({profile} profile, {base}) for {models}"
            )?;
            if let Some(spec) = &added.catalog {
                let every = humantime::format_duration(spec.interval);
                let (name, location) = (&spec.name, &spec.location);
                writeln!(
                    out,
                    "added json watch {name} of {location} (polled every {every})"
                )?;
            }
            if let Some(var) = &added.missing_env {
                note!("apiradar: note: {var} is not set in this environment; tests need it");
            }
        }
        cli::CacheCommand::List { json } => {
            let rows = app::queries::cache_list(store)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::caching::cache_list_json(&rows, now_ms()))
                )?;
            } else {
                write!(
                    out,
                    "{}",
                    report::caching::cache_list_table(&rows, now_ms())
                )?;
            }
        }
        cli::CacheCommand::Remove { name } => {
            store.remove_cache_target(&name).map_err(AppError::from)?;
            writeln!(out, "removed caching target {name}")?;
        }
        cli::CacheCommand::Models { name } => {
            for (model, tested) in app::caching::models(store, &name)? {
                writeln!(out, "{}", report::caching::model_line(&model, tested))?;
            }
        }
        cli::CacheCommand::History {
            name,
            model,
            limit,
            json,
        } => {
            let runs = app::queries::cache_history(store, &name, model.as_deref(), limit)?;
            if json {
                writeln!(
                    out,
                    "{}",
                    report::json_text(&report::caching::cache_history_json(&runs))
                )?;
            } else {
                let text = report::caching::cache_history_table(&name, &runs, now_ms());
                write!(out, "{text}")?;
            }
        }
    }
    Ok(())
}

/// Prints what the background tasks report (with `quiet`, only what went
/// wrong).
fn print_event(event: &apiradar::pipeline::worker::WorkerEvent, quiet: bool) {
    if quiet && !app::services::is_problem(event) {
        return;
    }
    let time = chrono::Local::now().format("%H:%M:%S").to_string();
    match report::events::event_line(event, &time) {
        Some((Stream::Out, line)) => print_or_stop(&format!("{line}\n")),
        Some((Stream::Err, line)) => note!("{line}"),
        None => {}
    }
}

/// Prints what a long-running command (`run`, the headless demo) says.
/// When nobody reads stdout any more (`apiradar run | head`), the command
/// stops as if sent SIGTERM: its work ends cleanly and it exits 0.
fn print_or_stop(text: &str) {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STOPPING: AtomicBool = AtomicBool::new(false);
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if let Err(e) = written
        && e.kind() == std::io::ErrorKind::BrokenPipe
        && !STOPPING.swap(true, Ordering::SeqCst)
    {
        // `run_until_stopped` listens for SIGTERM and stops the services.
        let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTERM);
    }
}

/// A one-line progress report on stderr, redrawn in place, shown only
/// when stderr is a terminal (never in logs, pipes or CI output).
struct Progress {
    on: bool,
    shown: bool,
}

impl Progress {
    fn on_terminal() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn show(&mut self, line: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{line}");
            let _ = err.flush();
            self.shown = true;
        }
    }

    /// Erases the line, before other output or at the end.
    fn clear(&mut self) {
        if self.shown {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
            self.shown = false;
        }
    }
}

/// `remove` deletes a history: on a terminal it asks first; elsewhere it
/// needs `--yes`.
fn confirm_remove(name: &str, versions: i64) -> Result<()> {
    let what = format!(
        "watch `{name}` and its {}",
        apiradar::text::plural(versions.max(0) as u64, "version", "versions")
    );
    if !interactive() {
        return Err(AppError::usage(format!(
            "`remove` would delete the {what} for good and there is no terminal to confirm it: pass --yes to remove it"
        ))
        .into());
    }
    let mut err = std::io::stderr().lock();
    write!(err, "Remove the {what}? This cannot be undone. [y/N] ")?;
    err.flush()?;
    drop(err);
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(AppError::Failed(format!("nothing removed: {name} is kept")).into())
    }
}

/// `apiradar run`: the background work without the dashboard.
fn run_daemon(
    a: cli::RunArgs,
    store: &Store,
    settings: &apiradar::config::Settings,
    config_file: Option<PathBuf>,
) -> Result<()> {
    let run_for = a.run_for.as_deref().map(app::parse_duration).transpose()?;
    let config = ServicesConfig::from_settings(settings, config_file.clone())?;
    app::services::check_writable(store)?;
    let watches = app::queries::watches(store)?;
    let (path, health) = (store.path(), config.health.every);
    let banner = report::events::run_banner(path, &watches, health, config_file.as_deref());
    write!(std::io::stdout().lock(), "{banner}")?;
    let shared = std::sync::Arc::new(std::sync::Mutex::new(Store::open(store.path())?));
    let rt = app::runtime()?;
    let services = Services::start(shared, config, rt.handle())?;
    rt.block_on(app::services::run_until_stopped(services, run_for, |e| {
        print_event(e, a.quiet)
    }));
    let _ = writeln!(std::io::stdout(), "apiradar: stopped");
    Ok(())
}

/// `apiradar demo --headless`: the demo API, its watches and the
/// background work, printing what happens.
fn run_demo(request: &app::demo::DemoRequest) -> Result<()> {
    let rt = app::runtime()?;
    let mut demo = app::demo::Demo::start(request, &rt)?;
    write!(
        std::io::stdout().lock(),
        "{}",
        report::events::demo_banner(&demo)
    )?;
    if let Some(mut notes) = demo.take_notes() {
        rt.spawn(async move {
            while let Some(n) = notes.recv().await {
                note!("apiradar: demo: {n}");
            }
        });
    }
    let services = Services::start(demo.store.clone(), demo.services_config(), rt.handle())?;
    rt.block_on(app::services::run_until_stopped(
        services,
        demo.run_for,
        |e| print_event(e, false),
    ));
    let watches = rt.block_on(apiradar::store::with_store(&demo.store, |s| {
        s.list_watches()
    }))?;
    let table = report::watch_table(&watches, now_ms());
    drop(demo);
    write!(std::io::stdout().lock(), "\n{table}")?;
    Ok(())
}

/// `apiradar` without a command: the dashboard over the database.
fn run_dashboard(paths: &Paths, config_file: Option<&Path>) -> Result<()> {
    // A broken keymap or theme is reported before anything else.
    tui::resolve(&paths.config_dir).map_err(AppError::Usage)?;
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(AppError::usage(
            "the dashboard needs a terminal; in scripts and CI use `apiradar refresh`, `list`, `history` or `diff` (see --help)",
        )
        .into());
    }
    let mut store = open_store(paths)?;
    let settings = sync_config(&mut store, config_file)?;
    drop(store);
    let services = ServicesConfig::from_settings(&settings, config_file.map(Path::to_path_buf))?;
    let options = tui::TuiOptions {
        db: paths.db.clone(),
        config_dir: paths.config_dir.clone(),
        services,
        greeting: None,
        notes: None,
    };
    tui::run(options, &app::runtime()?)
}

/// `apiradar demo` in a terminal: the demo API, its watches, and the
/// dashboard on them.
fn run_demo_dashboard(request: &app::demo::DemoRequest) -> Result<()> {
    let config_dir = Paths::resolve(None).config_dir;
    let rt = app::runtime()?;
    let mut demo = app::demo::Demo::start(request, &rt)?;
    let options = tui::TuiOptions {
        db: demo.db.clone(),
        config_dir,
        services: demo.services_config(),
        greeting: Some(format!(
            "demo: the API at {} changes every {}",
            demo.server.url(),
            humantime::format_duration(demo.step)
        )),
        notes: demo.take_notes(),
    };
    let result = tui::run(options, &rt);
    drop(demo);
    result
}
