//! Secrets never escape (issue 13, item 6): values substituted for
//! `${VAR}` references stay out of every message, stored URL, listing and
//! log line at any length and in any URL spelling, and credentials are
//! refused where they would be stored as literals (URL userinfo, webhook
//! URLs, header values).
//!
//! The server echoes the secrets back in a redirect, the way a careless
//! API does, so they reach the error of a failed poll and the final URL of
//! a stored version.

use crate::common::{Sandbox, Server, openapi_yaml, unique_token};

/// Every text column a secret could be stored in: run errors, the watch's
/// last error and the versions' final URLs.
fn stored_texts(sb: &Sandbox) -> String {
    let db = rusqlite::Connection::open(sb.db()).expect("open the database");
    let mut out = String::new();
    for sql in [
        "SELECT coalesce(error, '') FROM runs",
        "SELECT coalesce(last_error, '') FROM watches",
        "SELECT coalesce(final_url, '') FROM versions",
    ] {
        let mut stmt = db.prepare(sql).expect("prepare");
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query");
        for row in rows {
            out += &row.expect("a row");
            out.push('\n');
        }
    }
    out
}

/// The log files, as text.
fn logs(sb: &Sandbox) -> String {
    let mut out = String::new();
    if let Ok(entries) = std::fs::read_dir(sb.log_dir()) {
        for entry in entries.flatten() {
            out += &String::from_utf8_lossy(&std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    out
}

/// Panics when `text` holds any of `spellings`, saying where.
#[track_caller]
fn assert_hidden(place: &str, text: &str, spellings: &[String]) {
    for s in spellings {
        assert!(
            !text.contains(s.as_str()),
            "{place} shows the secret as `{s}`:\n{text}"
        );
    }
}

/// A watch whose location and header take secrets from the environment,
/// polled through a redirect that echoes both: first to a 404 (the error
/// quotes the URL), then to the document (the final URL is stored).
fn echoed_secrets_stay_hidden(key: &str, token: &str, spellings: &[String]) {
    let sb = Sandbox::new();
    let server = Server::start();
    let echo = format!("/moved?key={}&t={}", encode(key), encode(token));
    server.set("/spec", crate::common::Reply::redirect(&echo));
    server.set("/moved", crate::common::Reply::status(404, "nothing here"));
    let location = format!("{}?key=${{APIRADAR_T_KEY}}", server.url("/spec"));
    sb.ok([
        "add",
        "echo",
        &location,
        "--header",
        "Authorization: Bearer ${APIRADAR_T_TOKEN}",
    ]);
    let env = |c: &mut assert_cmd::Command| {
        c.env("APIRADAR_T_KEY", key).env("APIRADAR_T_TOKEN", token);
    };

    // The log file without -v (info and above), and the output.
    let failed = sb
        .run_with(["refresh", "echo", "--json"], env)
        .expect_code(1);
    let error = failed.json()["watches"][0]["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("404") && error.contains("/moved?key=***"),
        "the error should still say where it failed: {error}"
    );
    assert_hidden("refresh's output", &failed.all_output(), spellings);
    assert_hidden("the log file (no -v)", &logs(&sb), spellings);
    assert_hidden(
        "runs.error / watches.last_error",
        &stored_texts(&sb),
        spellings,
    );
    let list = sb.run(["list"]).expect_code(0);
    assert_hidden("list", &list.all_output(), spellings);
    let list_json = sb.run(["list", "--json"]).expect_code(0);
    assert_hidden("list --json", &list_json.all_output(), spellings);

    // -vv: every debug line (fetching, following the redirect, retrying).
    let verbose = sb
        .run_with(["-vv", "refresh", "echo", "--json"], env)
        .expect_code(1);
    assert!(
        verbose.stderr.contains("following redirect"),
        "-vv should log the redirect: {}",
        verbose.stderr
    );
    assert_hidden("-vv stderr", &verbose.all_output(), spellings);
    assert_hidden("the log file (-vv)", &logs(&sb), spellings);

    // The document arrives after the redirect: its final URL is stored.
    server.set(
        "/moved",
        crate::common::Reply::ok(openapi_yaml("Echo", &["/x"])),
    );
    let ok = sb
        .run_with(["refresh", "echo", "--json"], env)
        .expect_code(0);
    assert_eq!(ok.json()["watches"][0]["status"], "new", "{}", ok.text());
    let stored = stored_texts(&sb);
    assert!(stored.contains("/moved?key=***"), "{stored}");
    assert_hidden("versions.final_url", &stored, spellings);
    let history = sb.run(["history", "echo", "--json"]).expect_code(0);
    assert_hidden("history", &history.all_output(), spellings);
    assert_hidden("the log file", &logs(&sb), spellings);
    // The secrets did reach the server: the test is not vacuous.
    let seen = server.last_request("/spec");
    let sent = format!("key={}", &key[..2]);
    assert!(
        seen.query.as_deref().is_some_and(|q| q.starts_with(&sent)),
        "{:?}",
        seen.query
    );
    assert!(
        seen.header("authorization")
            .is_some_and(|v| v.starts_with("Bearer "))
    );
}

/// Percent-encodes everything but unreserved characters, as a server
/// building a redirect would.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn three_character_secrets_stay_out_of_errors_final_urls_listings_and_logs() {
    // Short enough that the old scrubber (6 characters and up) let them by.
    let key = "Zx9";
    let token = "Wv8";
    echoed_secrets_stay_hidden(
        key,
        token,
        &[
            "key=Zx9".to_string(),
            "t=Wv8".to_string(),
            "Zx9".to_string(),
            "Wv8".to_string(),
        ],
    );
}

#[test]
fn secrets_needing_percent_encoding_stay_out_in_every_spelling() {
    let key = "qz b/w&v";
    let token = "Hj k/m&n";
    echoed_secrets_stay_hidden(
        key,
        token,
        &[
            key.to_string(),
            token.to_string(),
            "qz%20b".to_string(),
            "qz+b".to_string(),
            "w%26v".to_string(),
            "b%2Fw".to_string(),
            "Hj%20k".to_string(),
            "m%26n".to_string(),
        ],
    );
}

#[test]
fn userinfo_in_a_watch_url_is_refused_by_add_and_the_watch_file() {
    let sb = Sandbox::new();
    let server = Server::start();
    let user = unique_token("sekrit");
    let url = server.url("/spec").replace("://", &format!("://{user}@"));
    let out = sb.run(["add", "u", &url]).expect_code(2);
    assert!(
        out.stderr.contains("Authorization: Basic ${"),
        "the refusal should give the fix: {}",
        out.stderr
    );
    assert_hidden("add", &out.all_output(), std::slice::from_ref(&user));
    let list = sb.run(["list"]).expect_code(0);
    assert_hidden("list", &list.all_output(), std::slice::from_ref(&user));

    // The same for a reference: credentials go in a header.
    let out = sb
        .run([
            "add",
            "r",
            &server.url("/spec").replace("://", "://${U}:${P}@"),
        ])
        .expect_code(2);
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);

    // And in a watch file.
    let cfg = sb.write(
        "watches.toml",
        format!("[[watch]]\nname = \"f\"\nlocation = \"{url}\"\n"),
    );
    let cfg = cfg.to_string_lossy().into_owned();
    let out = sb.run(["--config", &cfg, "list"]);
    assert_ne!(out.code, Some(0), "{}", out.all_output());
    assert!(out.stderr.contains("credentials"), "{}", out.stderr);
    assert_hidden("list with the watch file", &out.all_output(), &[user]);
}

#[test]
fn literal_credentials_in_headers_are_refused_unless_declared_public() {
    let sb = Sandbox::new();
    let server = Server::start();
    let url = server.url("/spec");
    for (header, why) in [
        ("X-Auth: sekrit", "environment variable"),
        (
            "Authorization: Bearer sekrit${APIRADAR_T_EMPTY}",
            "literal text next to",
        ),
        (
            "X-Client: ghp_0123456789abcdefABCDEF0123",
            "looks like a credential",
        ),
        ("X-Request-Sig: Bearer literal", "environment variable"),
    ] {
        let out = sb
            .run(["add", "h", &url, "--header", header])
            .expect_code(2);
        assert!(out.stderr.contains(why), "{header}: {}", out.stderr);
        assert!(!out.all_output().contains("sekrit"), "{}", out.stderr);
        assert!(!out.all_output().contains("ghp_0123"), "{}", out.stderr);
    }
    let out = sb
        .run([
            "add",
            "h",
            &url,
            "--header",
            "X-Client: ghp_0123456789abcdefABCDEF0123",
        ])
        .expect_code(2);
    assert!(
        out.stderr.contains("--public-header X-Client"),
        "the refusal should name the way out: {}",
        out.stderr
    );
    // Declared public, the value is taken as given.
    sb.ok([
        "add",
        "pub",
        &url,
        "--header",
        "X-Client: q8Zr2Lk9Wm3Xv7Tn4Pb6Yc1H",
        "--public-header",
        "X-Client",
    ]);
    // A scheme and a reference is the way to give a credential.
    sb.ok([
        "add",
        "ref",
        &url,
        "--header",
        "Authorization: Bearer ${APIRADAR_T_TOKEN}",
    ]);
    let list = sb.ok(["list", "--json"]);
    assert!(
        list.contains("\"pub\"") && list.contains("\"ref\""),
        "{list}"
    );
    assert!(!list.contains("\"h\""), "{list}");
}

#[test]
fn credentials_in_webhook_urls_are_refused_and_never_listed() {
    let sb = Sandbox::new();
    let server = Server::start();
    let password = unique_token("pw");
    let with_userinfo = server
        .url("/hook")
        .replace("://", &format!("://u:{password}@"));
    let out = sb
        .run(["alert", "add", "hook", "--webhook", &with_userinfo])
        .expect_code(2);
    assert!(out.stderr.contains("${"), "the fix: {}", out.stderr);
    assert_hidden(
        "alert add",
        &out.all_output(),
        std::slice::from_ref(&password),
    );
    let token = unique_token("tk");
    let with_token = format!("{}?token={token}", server.url("/hook"));
    let out = sb
        .run(["alert", "add", "hook", "--webhook", &with_token])
        .expect_code(2);
    assert_hidden("alert add", &out.all_output(), std::slice::from_ref(&token));
    let list = sb.run(["alert", "list"]).expect_code(0);
    assert_hidden("alert list", &list.all_output(), &[password.clone(), token]);

    // References are the way, and a plain URL is fine.
    sb.ok([
        "alert",
        "add",
        "ref",
        "--webhook",
        &format!("{}?token=${{HOOK_TOKEN}}", server.url("/hook")),
    ]);
    sb.ok(["alert", "add", "plain", "--webhook", &server.url("/hook")]);

    // A channel stored before the check (an older database) is listed
    // without its userinfo.
    let db = rusqlite::Connection::open(sb.db()).expect("open the database");
    db.execute(
        "UPDATE alert_channels SET url = ?1 WHERE name = 'plain'",
        [&with_userinfo],
    )
    .expect("update the channel");
    drop(db);
    let list = sb.run(["alert", "list"]).expect_code(0);
    assert!(list.text().contains("plain"), "{}", list.text());
    assert_hidden("alert list", &list.all_output(), &[password]);
}

#[test]
fn a_webhook_secret_stays_out_of_delivery_errors_in_every_spelling() {
    let sb = Sandbox::new();
    // A port nothing listens on: the delivery fails, and the error names
    // the URL as sent, where the value is percent-encoded.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let token = format!("{} é", unique_token("hk"));
    let url = format!("http://127.0.0.1:{port}/hook/${{APIRADAR_T_HOOK}}/x");
    sb.ok(["alert", "add", "hook", "--webhook", &url]);
    let out = sb
        .run_with(["alert", "test", "hook"], |c| {
            c.env("APIRADAR_T_HOOK", &token);
        })
        .expect_code(1);
    assert!(out.stderr.contains("/hook/***/x"), "{}", out.stderr);
    let spellings = [token.clone(), encode(&token)];
    assert_hidden("alert test", &out.all_output(), &spellings);
    assert_hidden("the log", &logs(&sb), &spellings);
}
