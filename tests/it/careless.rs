//! Careless input and careless pipes, through the real binary: a location
//! that is not there or lacks its scheme, an import run twice, a `remove`
//! nobody confirmed, a caching test that could not run or runs against the
//! wrong model, output piped into `head`, and the demo's llama.cpp server
//! dying at start.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Sandbox, openapi_yaml};
use crate::tui_pty::{Session, describe, excerpt, screen_text};

/// A port on 127.0.0.1 that nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Waits for `child` with a generous deadline (a safety net, not a
/// measurement); kills it and fails past it.
fn wait(child: &mut Child, what: &str) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().expect("poll the child") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`apiradar {what}` did not end within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// add

#[test]
fn add_refuses_a_missing_file_and_a_location_that_reads_like_a_host() {
    let sb = Sandbox::new();
    let out = sb.run(["add", "x", "./nope.yaml"]).expect_code(2);
    assert!(
        out.stderr.contains("there is no file") && out.stderr.contains("nope.yaml"),
        "{}",
        out.stderr
    );
    let out = sb.run(["add", "y", "127.0.0.1:8080/spec"]).expect_code(2);
    assert!(
        out.stderr.contains("write `http://127.0.0.1:8080/spec`"),
        "{}",
        out.stderr
    );
    let out = sb
        .run(["add", "z", "example.com/openapi.json"])
        .expect_code(2);
    assert!(
        out.stderr
            .contains("write `https://example.com/openapi.json`"),
        "{}",
        out.stderr
    );
    let listed = sb.json(["list", "--json"]);
    assert_eq!(
        listed["watches"].as_array().map(Vec::len),
        Some(0),
        "nothing should have been added: {listed:#}"
    );
    // A file that is there is still fine, and so is editing to one.
    let file = sb.write("spec.yaml", openapi_yaml("Here", &["/a"]));
    sb.ok(["add", "here", file.to_str().unwrap()]);
    let out = sb
        .run(["edit", "here", "--location", "./gone.yaml"])
        .expect_code(2);
    assert!(out.stderr.contains("there is no file"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------
// import

fn corpus(sb: &Sandbox) -> PathBuf {
    for (i, paths) in [&["/a"][..], &["/a", "/b"], &["/a", "/b", "/c"]]
        .iter()
        .enumerate()
    {
        sb.write(
            &format!("corpus/00{}_2025-01-0{}_x.yaml", i + 1, i + 1),
            openapi_yaml("Corpus", paths),
        );
    }
    sb.path("corpus")
}

#[test]
fn import_run_again_skips_the_files_already_stored() {
    let sb = Sandbox::new();
    let dir = corpus(&sb);
    let dir = dir.to_str().unwrap();
    let first = sb.json(["import", "hist", dir, "--json"]);
    assert_eq!(
        (first["added"].clone(), first["skipped"].clone()),
        (3.into(), 0.into())
    );

    let again = sb.run(["import", "hist", dir]).expect_code(0);
    assert!(
        again.text().contains("0 new versions")
            && again.text().contains("skipped 3 files already stored"),
        "{}",
        again.text()
    );
    let history = sb.json(["history", "hist", "--json"]);
    let versions = history["versions"].as_array().map_or(0, Vec::len);
    assert_eq!(
        versions, 3,
        "the second import must add nothing: {history:#}"
    );

    // A new file in the folder is imported; the old ones are skipped.
    sb.write(
        "corpus/004_2025-01-04_x.yaml",
        openapi_yaml("Corpus", &["/d"]),
    );
    let third = sb.json(["import", "hist", dir, "--json"]);
    assert_eq!(
        (third["added"].clone(), third["skipped"].clone()),
        (1.into(), 3.into())
    );
}

/// Runs `apiradar ARGS` on a pty with its own database in the session's
/// folder, after `setup` (commands run with that database, not on the pty).
fn on_terminal(setup: &[&[&str]], args: &[&str]) -> Session {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let setup: Vec<Vec<String>> = setup
        .iter()
        .map(|c| c.iter().map(|a| a.to_string()).collect())
        .collect();
    Session::start_with(&[], move |dir| {
        let apiradar = || {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_apiradar"));
            cmd.current_dir(dir)
                .env("HOME", dir.join("home"))
                .env("XDG_CONFIG_HOME", dir.join("config"))
                .env("XDG_STATE_HOME", dir.join("state"))
                .env("XDG_DATA_HOME", dir.join("data"))
                .env_remove("APIRADAR_DB")
                .env_remove("APIRADAR_CONFIG")
                .arg("--db")
                .arg(dir.join("t.db"));
            cmd
        };
        for c in &setup {
            let c: Vec<String> = c
                .iter()
                .map(|a| a.replace("{dir}", &dir.display().to_string()))
                .collect();
            if let Some(file) = c.iter().find_map(|a| a.strip_prefix("@write:")) {
                let path = dir.join(file);
                std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
                std::fs::write(&path, openapi_yaml(file, &["/a"])).expect("write");
                continue;
            }
            let out = apiradar().args(&c).output().expect("run the setup");
            assert!(
                out.status.success(),
                "setup `{}` failed: {}",
                c.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut cmd = apiradar();
        cmd.args(&args);
        cmd
    })
}

#[test]
fn import_shows_a_progress_line_on_a_terminal_only() {
    let sb = Sandbox::new();
    let dir = corpus(&sb);
    let piped = sb
        .run(["import", "hist", dir.to_str().unwrap()])
        .expect_code(0);
    assert!(
        !piped.stderr.contains("importing"),
        "no progress line without a terminal: {}",
        piped.stderr
    );

    let mut s = on_terminal(
        &[&["@write:c/001.yaml"], &["@write:c/002.yaml"]],
        &["import", "hist", "c"],
    );
    let status = s.wait_exit();
    let (_, out) = s.finish();
    assert!(status.success(), "{}: {}", describe(status), excerpt(&out));
    let text = screen_text(&out);
    assert!(
        text.contains("importing 2/2 files"),
        "a progress line on the terminal: {}",
        excerpt(&out)
    );
}

// ---------------------------------------------------------------------------
// remove

#[test]
fn remove_without_a_terminal_needs_yes() {
    let sb = Sandbox::new();
    let file = sb.write("spec.yaml", openapi_yaml("Keep", &["/a"]));
    sb.ok(["import", "keep", file.to_str().unwrap()]);
    let out = sb.run(["remove", "keep"]).expect_code(2);
    assert!(
        out.stderr.contains("--yes") && out.stderr.contains("1 version"),
        "{}",
        out.stderr
    );
    let history = sb.json(["history", "keep", "--json"]);
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(1));
    let out = sb.run(["remove", "keep", "--yes"]).expect_code(0);
    assert!(out.text().contains("removed keep"), "{}", out.text());
    sb.run(["history", "keep"]).expect_code(2);
}

#[test]
fn remove_on_a_terminal_asks_first() {
    for (answer, code, kept) in [(&b"n\r"[..], 1, true), (&b"y\r"[..], 0, false)] {
        let mut s = on_terminal(
            &[&["@write:spec.yaml"], &["import", "keep", "spec.yaml"]],
            &["remove", "keep"],
        );
        s.wait_for_screen("[y/N]");
        s.send(answer);
        let status = s.wait_exit();
        let db = s.dir.path().join("t.db");
        let (_, out) = s.finish();
        assert_eq!(status.code(), Some(code), "{}", excerpt(&out));
        let history = Command::new(env!("CARGO_BIN_EXE_apiradar"))
            .env("HOME", s.dir.path().join("home"))
            .env("XDG_STATE_HOME", s.dir.path().join("state"))
            .arg("--db")
            .arg(&db)
            .args(["history", "keep"])
            .output()
            .expect("run history");
        assert_eq!(history.status.success(), kept, "{}", excerpt(&out));
    }
}

// ---------------------------------------------------------------------------
// cache-test

fn add_target(sb: &Sandbox, port: u16, extra: &[&str]) {
    let base = format!("http://127.0.0.1:{port}/v1");
    let mut args = vec![
        "cache",
        "add",
        "t",
        "--profile",
        "vllm",
        "--base-url",
        &base,
        "--model",
        "m1",
    ];
    args.extend_from_slice(extra);
    sb.ok(args);
}

#[test]
fn cache_test_exits_1_when_the_key_variable_is_not_set() {
    let sb = Sandbox::new();
    add_target(
        &sb,
        closed_port(),
        &["--api-key-env", "APIRADAR_TEST_UNSET_KEY"],
    );
    let out = sb
        .run_with(["cache-test", "t", "--isolation", "0s"], |c| {
            c.env_remove("APIRADAR_TEST_UNSET_KEY");
        })
        .expect_code(1);
    assert!(
        out.stderr.contains("APIRADAR_TEST_UNSET_KEY is not set"),
        "{}",
        out.stderr
    );
}

#[test]
fn cache_test_exits_1_when_the_server_cannot_be_reached() {
    let sb = Sandbox::new();
    add_target(&sb, closed_port(), &[]);
    let out = sb
        .run(["cache-test", "t", "--isolation", "0s", "--json"])
        .expect_code(1);
    assert!(out.stderr.contains("could not run"), "{}", out.stderr);
    // It stopped at the first test instead of waiting out the TTL ladder.
    let doc: Value = out.json();
    let results = doc["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert_eq!(results, 1, "{doc:#}");
    let stopped = doc["runs"][0]["stopped"].as_str().unwrap_or("");
    assert!(stopped.contains("no answer from the server"), "{doc:#}");
}

#[test]
fn cache_test_refuses_a_model_that_is_not_the_targets() {
    let sb = Sandbox::new();
    add_target(&sb, closed_port(), &[]);
    let out = sb
        .run([
            "cache-test",
            "t",
            "--model",
            "gpt-huge",
            "--isolation",
            "0s",
        ])
        .expect_code(2);
    assert!(
        out.stderr.contains("`gpt-huge` is not a model") && out.stderr.contains("--any-model"),
        "{}",
        out.stderr
    );
    // Forced, it runs (and here cannot reach the server).
    let out = sb
        .run([
            "cache-test",
            "t",
            "--model",
            "gpt-huge",
            "--any-model",
            "--isolation",
            "0s",
        ])
        .expect_code(1);
    assert!(out.stderr.contains("could not run"), "{}", out.stderr);
}

#[test]
fn cache_test_shows_progress_on_a_terminal() {
    let port = closed_port().to_string();
    let base = format!("http://127.0.0.1:{port}/v1");
    let mut s = on_terminal(
        &[&[
            "cache",
            "add",
            "t",
            "--profile",
            "vllm",
            "--base-url",
            &base,
            "--model",
            "m1",
        ]],
        &["cache-test", "t", "--isolation", "0s"],
    );
    let status = s.wait_exit();
    let (_, out) = s.finish();
    assert_eq!(status.code(), Some(1), "{}", excerpt(&out));
    assert!(
        screen_text(&out).contains("model 1/1 m1: test 1/7 identical"),
        "{}",
        excerpt(&out)
    );
}

// ---------------------------------------------------------------------------
// Broken pipes

/// Runs `apiradar ARGS` with stdout into a pipe whose reader takes the
/// first `read` bytes and then goes away, as `| head -c` does (with
/// `read` 0 it is gone before the command starts). Returns the exit
/// status and stderr.
fn into_closed_pipe(sb: &Sandbox, args: &[&str], read: usize) -> (ExitStatus, String) {
    let (mut reader, writer) = std::io::pipe().expect("a pipe");
    let mut child = {
        let mut cmd = sb.process();
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped());
        cmd.spawn().expect("start apiradar")
        // `cmd`, holding our copy of the write end, is dropped here.
    };
    if read > 0 {
        let mut first = vec![0u8; read];
        reader.read_exact(&mut first).expect("the first bytes");
    }
    drop(reader);
    let status = wait(&mut child, &args.join(" "));
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    (status, stderr)
}

fn assert_quiet_success(what: &str, status: ExitStatus, stderr: &str) {
    assert_eq!(
        status.code(),
        Some(0),
        "`apiradar {what}` into a closed pipe should exit 0, got {}; stderr:\n{stderr}",
        describe(status)
    );
    assert!(
        !stderr.contains("Broken pipe") && !stderr.contains("panicked"),
        "`apiradar {what}` into a closed pipe should end quietly; stderr:\n{stderr}"
    );
}

#[test]
fn diff_into_a_pipe_closed_early_ends_quietly_with_0() {
    let sb = Sandbox::new();
    // Enough removed paths that the findings are far larger than a pipe's
    // buffer (64 KiB), so the reader is gone while they are being written.
    let paths: Vec<String> = (0..3000).map(|i| format!("/things/{i}")).collect();
    let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let old = sb.write("old.yaml", openapi_yaml("Big", &refs));
    let new = sb.write("new.yaml", openapi_yaml("Big", &[]));
    let args = ["diff", old.to_str().unwrap(), new.to_str().unwrap()];
    let full = sb.run(args).text();
    assert!(
        full.len() > 256 * 1024,
        "the diff should be large: {} bytes",
        full.len()
    );
    let (status, stderr) = into_closed_pipe(&sb, &args, 100);
    assert_quiet_success("diff", status, &stderr);
}

#[test]
fn completions_into_a_closed_pipe_end_quietly_with_0() {
    let sb = Sandbox::new();
    let (status, stderr) = into_closed_pipe(&sb, &["completions", "bash"], 0);
    assert_quiet_success("completions bash", status, &stderr);
}

#[test]
fn list_and_run_into_a_closed_pipe_end_quietly_with_0() {
    let sb = Sandbox::new();
    let file = sb.write("spec.yaml", openapi_yaml("Listed", &["/a"]));
    sb.ok(["add", "listed", file.to_str().unwrap()]);
    let (status, stderr) = into_closed_pipe(&sb, &["list"], 0);
    assert_quiet_success("list", status, &stderr);
    let (status, stderr) = into_closed_pipe(&sb, &["run", "--for", "30s"], 0);
    assert_quiet_success("run", status, &stderr);
}

// ---------------------------------------------------------------------------
// The demo's llama.cpp server

/// A fixture whose server exits at once with status 3 after a complaint on
/// stderr, in `dir`: the server and model files, and a `paths` script
/// naming them as `llama-fixture.sh paths` does.
fn dying_server(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let server = dir.join("llama-server-portable");
    std::fs::write(
        &server,
        "#!/bin/sh\necho 'loading model' >&2\necho 'fatal: illegal instruction in ggml_fake_amx' >&2\nexit 3\n",
    )
    .expect("write the server");
    std::fs::set_permissions(&server, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(dir.join("SmolLM2-135M-Instruct.Q4_1.gguf"), b"GGUF").expect("model");
    server
}

fn demo_reports_the_dying_server(sb: &Sandbox, env: &[(&str, &Path)]) {
    let out = sb.run_with(["demo", "--headless", "--step", "5s", "--for", "8s"], |c| {
        c.env_remove("APIRADAR_LLAMA_FIXTURE")
            .env_remove("APIRADAR_FIXTURE_CACHE");
        for (k, v) in env {
            c.env(k, v);
        }
    });
    let out = out.expect_code(0);
    assert!(
        out.stderr.contains("llama.cpp's server")
            && out.stderr.contains("llama-server-portable exited at start")
            && out.stderr.contains("exit status: 3")
            && out
                .stderr
                .contains("fatal: illegal instruction in ggml_fake_amx"),
        "the demo should report the server's exit, status and last lines; stderr:\n{}",
        out.stderr
    );
}

#[test]
fn demo_reports_a_llama_server_that_exits_at_start() {
    let sb = Sandbox::new();
    let dir = sb.root().join("fixture");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let server = dying_server(&dir);
    let script = dir.join("llama-fixture.sh");
    std::fs::write(
        &script,
        format!(
            "#!/usr/bin/env bash\ncase \"$1\" in paths) echo \"LLAMA_SERVER={}\"; echo \"LLAMA_MODEL={}\";; *) exit 2;; esac\n",
            server.display(),
            dir.join("SmolLM2-135M-Instruct.Q4_1.gguf").display()
        ),
    )
    .expect("write the script");
    demo_reports_the_dying_server(&sb, &[("APIRADAR_LLAMA_FIXTURE", &script)]);
}

/// The same through the real `../shared/tools/llama-fixture.sh`, with its
/// cache pointed at a folder holding the dying server under the name the
/// script prints.
#[test]
fn demo_runs_the_server_the_fixture_script_names() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/llama-fixture.sh");
    if !real.is_file() {
        eprintln!("skipped: ../shared is not beside this checkout");
        return;
    }
    let sb = Sandbox::new();
    let cache = sb.root().join("fixture-cache");
    std::fs::create_dir_all(&cache).expect("mkdir");
    dying_server(&cache);
    demo_reports_the_dying_server(&sb, &[("APIRADAR_FIXTURE_CACHE", &cache)]);
}
