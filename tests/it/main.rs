//! apiradar's integration tests, in one test binary.
//!
//! Every file under `tests/it/` is a module of this crate, so the shared
//! helpers in `common` are compiled once and `cargo test` links one test
//! binary instead of one per file. Run one file's tests with
//! `cargo test --test it alerts::` (a module name, then `::`).
//!
//! All tests share one process and run on its threads: a test must not
//! change process-wide state (the environment, the working directory)
//! while others run. Environment for the `apiradar` binary goes to its
//! `Command`; see `email` for the one place that needs variables in this
//! process and how it sets them before any thread starts.

mod common;

mod alerts;
mod architecture;
mod budgets;
mod caching;
mod caching_local;
#[cfg(unix)]
mod caching_tui;
#[cfg(unix)]
mod careless;
mod catalog;
mod changelog;
mod cli;
mod concurrency;
mod conform;
mod crash;
mod diff_cases;
mod diff_formats;
mod diff_golden;
mod diff_refs;
mod diff_reports;
mod email;
mod fetch;
mod generate;
mod health;
mod hostile_output;
mod kinds;
mod outbox;
mod probing;
mod secrets;
#[cfg(unix)]
mod signals;
mod tui;
mod tui_catalog;
#[cfg(unix)]
mod tui_github;
#[cfg(unix)]
mod tui_pty;
mod tui_review;
mod unrecordable;
mod worker;
mod yaml_suite;

/// With `autotests = false` in Cargo.toml, a test file is built only as a
/// module of this crate: a new `tests/NAME.rs`, or a file here without its
/// `mod` line, would never run. This says so instead.
#[test]
fn every_test_file_is_a_module_of_this_crate() {
    let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let main = std::fs::read_to_string(tests.join("it/main.rs")).expect("read tests/it/main.rs");
    let files = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list a test folder")
            .filter_map(|entry| {
                let path = entry.expect("a folder entry").path();
                let name = path.file_name()?.to_str()?.to_string();
                let module = path.is_dir() && path.join("mod.rs").is_file();
                (name.ends_with(".rs") || module).then_some(name)
            })
            .collect();
        names.sort();
        names
    };

    let outside = files(&tests);
    assert!(
        outside.is_empty(),
        "{outside:?} in tests/ would not be built (autotests = false): move them into tests/it/ and add a `mod` line to tests/it/main.rs"
    );
    let undeclared: Vec<String> = files(&tests.join("it"))
        .into_iter()
        .filter(|name| name != "main.rs")
        .filter(|name| {
            let module = name.trim_end_matches(".rs");
            !main
                .lines()
                .any(|line| line.trim() == format!("mod {module};"))
        })
        .collect();
    assert!(
        undeclared.is_empty(),
        "{undeclared:?} in tests/it/ have no `mod` line in tests/it/main.rs, so they are not built"
    );
}
