//! Byte budgets on what a document may expand to (issue 13, item 1).
//!
//! A YAML alias bomb made of one long string aliased thousands of times
//! has few nodes, so node budgets let it through; expanded, it is
//! gigabytes. These tests serve such documents from 127.0.0.1 and poll them
//! with the real binary under an address-space limit, as a small machine
//! would: the poll must fail with a recorded reason, the process must exit
//! normally, and the watch must back off like any failed poll.

use std::os::unix::process::CommandExt;

use apiradar::store::{PollOutcome, Store};

use crate::common::{Outcome, Reply, Sandbox, Server};

/// The address space `refresh` gets: far above what a normal poll needs,
/// far below what the expanded bomb would take.
const MEMORY_LIMIT: u64 = 1 << 30;

/// An OpenAPI document holding a `string_bytes` string, anchored once and
/// aliased `aliases` times.
fn scalar_alias_bomb(string_bytes: usize, aliases: usize) -> String {
    let mut doc = format!(
        "openapi: 3.0.0\ninfo:\n  title: bomb\n  version: '1'\npaths: {{}}\n\
         x-big: &big \"{}\"\nx-copies:\n",
        "x".repeat(string_bytes)
    );
    for _ in 0..aliases {
        doc.push_str("  - *big\n");
    }
    doc
}

/// Runs the binary with `args` under `limit` bytes of address space.
fn run_limited(sb: &Sandbox, args: &[&str], limit: u64) -> Outcome {
    let mut cmd = sb.process();
    cmd.args(args);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let output = cmd.output().expect("run apiradar");
    Outcome {
        args: args.iter().map(|a| a.to_string()).collect(),
        code: output.status.code(),
        stdout: output.stdout,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn scalar_alias_bomb_fails_the_poll_with_a_recorded_reason_and_backs_off() {
    let sb = Sandbox::new();
    let server = Server::start();
    // 1 MiB aliased 3 000 times: a 1 MB body, 3 GB expanded.
    let bomb = scalar_alias_bomb(1 << 20, 3_000);
    assert!(bomb.len() < (1 << 20) + 64 * 1024);
    server.set("/bomb.yaml", Reply::ok(bomb));
    sb.ok(["add", "bomb", &server.url("/bomb.yaml"), "--every", "30s"]);

    // The poll fails (exit 1, like any failed poll), the process does not
    // abort (exit 134) or die of a signal.
    let first = run_limited(&sb, &["refresh"], MEMORY_LIMIT);
    assert_eq!(first.code, Some(1), "{}", first.all_output());
    let output = first.all_output();
    assert!(
        output.contains("max_alias_bytes"),
        "the output names the limit: {output}"
    );
    assert_eq!(server.hits("/bomb.yaml"), 1);

    // The failure is recorded: a failed run with the reason, and a watch
    // that is no longer due.
    let store = Store::open(&sb.db()).expect("open the database");
    let watch = store
        .list_watches()
        .expect("list")
        .into_iter()
        .find(|w| w.spec.name == "bomb")
        .expect("the watch");
    let runs = store.runs(watch.id, 10).expect("runs");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].outcome, PollOutcome::Failed);
    assert_eq!(runs[0].error_class.as_deref(), Some("document"));
    let error = runs[0].error.as_deref().unwrap_or_default();
    assert!(error.contains("max_alias_bytes"), "{error}");
    assert_eq!(watch.consecutive_failures, 1);
    assert!(
        watch
            .next_due_at
            .is_some_and(|due| due > runs[0].started_at),
        "{watch:?}"
    );
    drop(store);

    // A second refresh leaves it alone until its backoff has passed.
    let second = run_limited(&sb, &["refresh", "--json"], MEMORY_LIMIT);
    assert_eq!(second.code, Some(0), "{}", second.all_output());
    assert_eq!(server.hits("/bomb.yaml"), 1, "{}", second.all_output());
}

#[test]
fn deep_indentation_is_bounded_by_the_canonical_budget() {
    // 600 000 zeros 250 levels deep: a 1.2 MB JSON body whose pretty
    // canonical form indents each zero by 500 spaces, 300 MB in all. The
    // canonical writer stops at max_expanded_bytes (256 MiB by default).
    // (Twice the address space of the bomb test: the 600 000 parsed nodes
    // take their share, which is the node budget's business.)
    let sb = Sandbox::new();
    let server = Server::start();
    let nested = |zeros: usize| {
        format!(
            "{}{}{}",
            "[".repeat(250),
            vec!["0"; zeros].join(","),
            "]".repeat(250)
        )
    };
    server.set("/deep.json", Reply::ok(nested(600_000)));
    sb.ok(["add", "deep", &server.url("/deep.json"), "--kind", "json"]);
    let out = run_limited(&sb, &["refresh"], 2 * MEMORY_LIMIT);
    assert_eq!(out.code, Some(1), "{}", out.all_output());
    assert!(
        out.all_output().contains("max_expanded_bytes"),
        "{}",
        out.all_output()
    );
}
