//! Third-party text never reaches a terminal as it is (issue 13, item 7).
//!
//! A hostile spec pair puts `ESC[2J` (clear the screen), OSC 0 (set the
//! window title), OSC 52 (write the clipboard), a carriage return, bidi
//! overrides, C1 characters, DEL, backticks, `\n# injected` and `|` into
//! descriptions, operation ids, parameter names, enum values, paths and
//! titles. Every format of every command that prints such text is run
//! through the real binary, and its output must hold no control character
//! (but line feeds and tabs), no C1 character and no bidi control, while
//! showing the visible escape (`\e[2J`) instead. Markdown is checked line
//! by line: the documents cannot add a heading or a list item, and code
//! spans hold their whole text.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{Outcome, Reply, Sandbox, Server};

const ESC: char = '\u{1b}';

/// Everything a description, title or error may hold to attack a terminal
/// or a Markdown reader.
fn hostile(tag: &str) -> String {
    format!(
        "{tag} {ESC}[2J{ESC}]0;pwned\u{7}{ESC}]52;c;cHduZWQ=\u{7} cr\rback \
         bidi\u{202e}evil\u{202c} c1\u{9b}31m del\u{7f} tick`s``x\n# injected\n| a | b |"
    )
}

/// A path with a clear-screen, a C1 CSI, a bidi override, backticks and a
/// heading after a line break.
fn hostile_path() -> String {
    format!("/p{ESC}[2J\u{9b}1m`x`\u{202e}\n# path")
}

/// A parameter name that is removed in the revision.
fn hostile_param() -> String {
    format!("q{ESC}[2J\n# pn`|")
}

/// The base and revision of the hostile pair. The revision removes a path
/// (an error at the default level), the hostile parameter (a warning) and
/// an enum value, and changes the operation id (info).
fn spec(base: bool) -> Value {
    let mut params = vec![json!({
        "name": "keep", "in": "query", "required": false,
        "description": hostile("param"),
        "schema": {"type": "string", "enum": if base {
            json!([format!("e1{ESC}[31m\n# ie`"), format!("e2{ESC}]0;enum\u{7}")])
        } else {
            json!([format!("e1{ESC}[31m\n# ie`")])
        }}
    })];
    if base {
        params.push(json!({
            "name": hostile_param(), "in": "query", "required": false,
            "schema": {"type": "string"}
        }));
    }
    let mut paths = serde_json::Map::new();
    paths.insert(
        hostile_path(),
        json!({"get": {
            "operationId": if base { format!("op{ESC}[2J") } else { format!("op2{ESC}]0;x\u{7}") },
            "description": hostile("op"),
            "parameters": params,
            "responses": {"200": {"description": hostile("response")}}
        }}),
    );
    if base {
        paths.insert(
            format!("/gone{ESC}]0;title\u{7}"),
            json!({"get": {"responses": {"200": {"description": "ok"}}}}),
        );
    }
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": hostile("title"),
            "version": if base { "1" } else { "2" },
            "description": hostile("info"),
        },
        "paths": paths,
    })
}

fn write_pair(sb: &Sandbox) -> (PathBuf, PathBuf) {
    (
        sb.write("base.json", spec(true).to_string()),
        sb.write("rev.json", spec(false).to_string()),
    )
}

/// Whether `c` must not reach a terminal: a C0 control other than line
/// feed and tab, DEL, a C1 character or a bidi control.
fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `bytes` is UTF-8 without a terminal control (but CR LF line ends).
#[track_caller]
fn assert_terminal_safe(what: &str, bytes: &[u8]) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => panic!("{what}: not UTF-8 ({e}): {bytes:?}"),
    };
    // A carriage return is harmless only as part of a CR LF line end.
    let bad: Vec<(usize, char)> = text
        .char_indices()
        .filter(|&(i, c)| is_terminal_control(c) && !(c == '\r' && text[i + 1..].starts_with('\n')))
        .collect();
    assert!(
        bad.is_empty(),
        "{what}: terminal controls {bad:?} reach the output:\n{}",
        text.escape_debug()
    );
}

/// Both streams of `out` are safe.
#[track_caller]
fn assert_outcome_safe(out: &Outcome) {
    let what = format!("`apiradar {}`", out.args.join(" "));
    assert_terminal_safe(&format!("{what} stdout"), &out.stdout);
    assert_terminal_safe(&format!("{what} stderr"), out.stderr.as_bytes());
}

fn diff(sb: &Sandbox, extra: &[&str]) -> Outcome {
    let (base, rev) = write_pair(sb);
    let mut args = vec![
        "diff".to_string(),
        base.display().to_string(),
        rev.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let out = sb.run(&args).expect_code(0);
    assert_outcome_safe(&out);
    out
}

#[test]
fn diff_text_at_the_default_level_shows_escapes_instead_of_controls() {
    let sb = Sandbox::new();
    let text = diff(&sb, &["--flat"]).text();
    // The removed path, heading its group and quoted in the message.
    assert!(text.contains("\nGET /gone\\e]0;title\\x07\n"), "{text}");
    assert!(
        text.contains("error   path /gone\\e]0;title\\x07 was removed"),
        "{text}"
    );
    // The hostile parameter's name stays on its finding's line.
    assert!(
        text.contains("query parameter `q\\e[2J\\n# pn`|` was removed"),
        "{text}"
    );
    assert!(
        text.contains("\nGET /p\\e[2J\\u{9b}1m`x`\\u{202e}\\n# path\n"),
        "{text}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with('#')),
        "a line starts with `#`:\n{text}"
    );
}

#[test]
fn grouped_diff_text_and_markdown_keep_hostile_text_on_its_own_line() {
    let sb = Sandbox::new();
    let text = diff(&sb, &["--level", "info"]).text();
    assert!(
        text.contains("query parameter `q\\e[2J\\n# pn`|` was removed"),
        "{text}"
    );
    assert!(!text.lines().any(|l| l.starts_with('#')), "{text}");
    let md = diff(&sb, &["--format", "markdown", "--level", "info"]).text();
    assert!(
        !md.lines().any(|l| l.starts_with('#')
            && !l.starts_with("## API changes: ")
            && !l.starts_with("### Breaking: ")),
        "{md}"
    );
}

#[test]
fn diff_text_at_the_info_level_shows_escapes_instead_of_controls() {
    let sb = Sandbox::new();
    let text = diff(&sb, &["--level", "info", "--flat"]).text();
    assert!(
        text.contains("operation id changed from `op\\e[2J` to `op2\\e]0;x\\x07`"),
        "{text}"
    );
    assert!(text.contains("no longer allows the value"), "{text}");
    // Every finding is one line: a level, the message, the id.
    let findings: Vec<&str> = text.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(findings.len(), 4, "{text}");
    for line in findings {
        assert!(line.ends_with(']'), "a finding spans lines: {line}\n{text}");
    }
}

#[test]
fn diff_markdown_cannot_gain_headings_and_keeps_its_code_spans() {
    let sb = Sandbox::new();
    let text = diff(&sb, &["--format", "markdown", "--level", "info", "--flat"]).text();
    // Only apiradar's own headings and list items start a line.
    for line in text.lines() {
        let own = line.is_empty()
            || line.starts_with("## API changes: ")
            || line.starts_with("### ")
            || line.starts_with("- ")
            || line.ends_with(" info");
        assert!(own, "a line apiradar did not write: {line:?}\n{text}");
    }
    assert_eq!(
        text.lines().filter(|l| l.starts_with('#')).count(),
        3,
        "{text}"
    );
    // A place with backticks is one code span with a longer fence.
    assert!(
        text.contains("\n### ``GET /p\\e[2J\\u{9b}1m`x`\\u{202e}\\n# path``\n"),
        "{text}"
    );
    assert!(
        text.contains("\n### `GET /gone\\e]0;title\\x07`\n"),
        "{text}"
    );
    // A quoted name holding backticks and `|` stays one code span.
    assert!(
        text.contains("- warning: query parameter ``q\\e[2J\\n# pn`|`` was removed (`request-parameter-removed`)"),
        "{text}"
    );
    assert!(
        text.contains("operation id changed from `op\\e[2J` to `op2\\e]0;x\\x07`"),
        "{text}"
    );
}

#[test]
fn diff_html_by_root_cause_escapes_markup_and_controls() {
    let sb = Sandbox::new();
    let page = diff(&sb, &["--format", "html", "--level", "info"]).text();
    // Only apiradar's own elements: no control character, no tag or
    // attribute from the documents.
    assert!(
        !page.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reached the page"
    );
    assert!(page.contains("<details class=\"group "), "{page}");
    assert!(page.contains("GET /p\\e[2J"), "{page}");
    assert!(page.contains("Content-Security-Policy"), "{page}");
    // Markup in a removed path is text on the page.
    let spec = |extra: &str| {
        format!(
            r#"{{"openapi":"3.0.3","info":{{"title":"t","version":"1"}},"paths":{{"/a":{{"get":{{"responses":{{"200":{{"description":"ok"}}}}}}}}{extra}}}}}"#
        )
    };
    sb.write(
        "m1.json",
        spec(r#","/x<script>alert(1)</script>\"'":{"get":{"responses":{"200":{"description":"ok"}}}}"#),
    );
    sb.write("m2.json", spec(""));
    let page = sb
        .run(["diff", "files/m1.json", "files/m2.json", "--format", "html"])
        .text();
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("/x&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;"),
        "{page}"
    );
}

#[test]
fn diff_json_escapes_every_control_and_keeps_the_exact_text() {
    let sb = Sandbox::new();
    let out = diff(&sb, &["--format", "json", "--level", "info"]);
    let doc = out.json();
    let paths: Vec<&str> = doc["changes"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["path"].as_str()).collect())
        .unwrap_or_default();
    // The JSON carries the path exactly as the spec wrote it.
    assert!(paths.contains(&hostile_path().as_str()), "{paths:?}");
    assert!(out.text().contains("\\u009b"), "{}", out.text());
    assert!(out.text().contains("\\u202e"), "{}", out.text());
}

#[test]
fn diff_notes_quoting_a_document_show_escapes() {
    let sb = Sandbox::new();
    let mut doc = spec(true);
    doc["paths"]["/a"] = json!({"get": {"responses": {"200": {
        "$ref": format!("#/components/responses/{ESC}]0;t\u{7}\n# x")
    }}}});
    let base = sb.write("ref.json", doc.to_string());
    let rev = sb.write("rev.json", spec(false).to_string());
    let out = sb
        .run([
            "diff".to_string(),
            base.display().to_string(),
            rev.display().to_string(),
        ])
        .expect_code(0);
    assert_outcome_safe(&out);
    assert!(
        out.stderr.contains(
            "`$ref` to `#/components/responses/\\e]0;t\\x07\\n# x`, which does not exist"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn list_and_refresh_show_a_poll_error_quoting_the_document_as_one_safe_line() {
    let sb = Sandbox::new();
    let weird = sb.write(
        "weird.json",
        json!({ format!("swagger{ESC}[2J"): 1, format!("openapi{ESC}]0;t\u{7}\n# x"): 3 })
            .to_string(),
    );
    sb.ok(["add", "weird", &weird.display().to_string()]);
    let refresh = sb.run(["refresh"]);
    assert_outcome_safe(&refresh);
    assert!(refresh.text().contains("openapi\\e]0;t\\x07\\n# x"));
    let list = sb.run(["list"]).expect_code(0);
    assert_outcome_safe(&list);
    let text = list.text();
    assert!(text.contains("openapi\\e]0;t\\x07\\n# x"), "{text}");
    assert_eq!(text.lines().count(), 2, "one header, one watch:\n{text}");
    let json = sb.run(["list", "--json"]).expect_code(0);
    assert_outcome_safe(&json);
    assert!(
        json.json()["watches"][0]["last_error"]
            .as_str()
            .is_some_and(|e| e.contains(&format!("openapi{ESC}]0;t\u{7}\n# x")))
    );
}

#[test]
fn history_shows_the_documents_version_field_with_escapes() {
    let sb = Sandbox::new();
    let mut doc = spec(true);
    doc["openapi"] = format!("3.0.3{ESC}[2J\u{9b}").into();
    let file = sb.write("v.json", doc.to_string());
    sb.ok(["add", "v", &file.display().to_string()]);
    sb.run(["refresh"]).expect_code(0);
    let out = sb.run(["history", "v"]).expect_code(0);
    assert_outcome_safe(&out);
    assert!(
        out.text().contains("openapi 3.0.3\\e[2J\\u{9b}"),
        "{}",
        out.text()
    );
    let json = sb.run(["history", "v", "--json"]).expect_code(0);
    assert_outcome_safe(&json);
}

#[test]
fn alerts_show_their_text_with_escapes_and_one_line_per_finding() {
    let sb = Sandbox::new();
    let server = Server::start();
    server.set("/hook", Reply::ok("ok"));
    let file = sb.path("api.json");
    std::fs::write(&file, spec(true).to_string()).expect("write the spec");
    sb.ok(["add", "api", &file.display().to_string()]);
    sb.ok(["alert", "add", "hook", "--webhook", &server.url("/hook")]);
    sb.run(["refresh"]).expect_code(0);
    std::fs::write(&file, spec(false).to_string()).expect("write the revision");
    sb.run(["refresh", "--all"]);
    let table = sb.run(["alerts"]).expect_code(0);
    assert_outcome_safe(&table);
    let alerts = sb.json(["alerts", "--json"]);
    let ids: Vec<i64> = alerts["alerts"]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default();
    assert!(!ids.is_empty(), "{alerts:#}");
    for id in ids {
        let out = sb.run(["alerts", &id.to_string()]).expect_code(0);
        assert_outcome_safe(&out);
        let text = out.text();
        assert!(text.contains("/gone\\e]0;title\\x07"), "{text}");
        // The list of findings: each one a line of its own.
        for line in text.lines().filter(|l| l.starts_with("- ")) {
            assert!(
                line.starts_with("- error ")
                    || line.starts_with("- warning ")
                    || line.starts_with("- info ")
                    || line.starts_with("- … and"),
                "{line}\n{text}"
            );
        }
        assert!(!text.lines().any(|l| l.starts_with("# ")), "{text}");
    }
}

/// `show` of a page watch, piped: the bytes exactly as published. On a
/// terminal (a real pty): control characters, C1 and bidi controls as
/// visible escapes, CR LF line ends kept.
#[cfg(unix)]
#[test]
fn show_of_a_page_escapes_controls_on_a_terminal_and_keeps_bytes_in_a_pipe() {
    let sb = Sandbox::new();
    let page = format!(
        "<html><head><title>T{ESC}]0;pwned\u{7}</title></head><body>\
         <h1>Changelog{ESC}[2J</h1><p>new {ESC}]52;c;cHduZWQ=\u{7} thing \u{9b}31m \
         bidi \u{202e} x</p></body></html>"
    );
    let mut bytes = page.into_bytes();
    bytes.extend_from_slice(b"\r\n");
    let file = sb.write("page.html", &bytes);
    sb.ok(["add", "page", &file.display().to_string(), "--kind", "page"]);
    sb.run(["refresh"]).expect_code(0);

    let piped = sb.run(["show", "page"]).expect_code(0);
    assert_eq!(
        piped.stdout, bytes,
        "a pipe gets the document byte for byte"
    );

    let (code, shown) = pty::run(&sb, &["show", "page"]);
    assert_eq!(code, Some(0), "{}", String::from_utf8_lossy(&shown));
    assert_terminal_safe("`show page` on a terminal", &shown);
    let text = String::from_utf8_lossy(&shown);
    for visible in [
        "T\\e]0;pwned\\x07",
        "Changelog\\e[2J",
        "\\e]52;c;cHduZWQ=\\x07",
        "\\u{9b}31m",
        "\\u{202e}",
    ] {
        assert!(text.contains(visible), "{visible} in {text}");
    }
}

#[cfg(unix)]
mod pty {
    //! Runs the binary with stdout and stderr on a real pty, so it sees a
    //! terminal, and collects what it wrote.

    use std::fs::File;
    use std::io::Read;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::process::Stdio;
    use std::time::Instant;

    use crate::common::{COMMAND_TIMEOUT, Sandbox};

    fn open() -> (OwnedFd, OwnedFd) {
        let mut master: libc::c_int = -1;
        let mut slave: libc::c_int = -1;
        // SAFETY: valid out-pointers; null name, termios and size are allowed.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: openpty succeeded; nothing else owns these descriptors.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        for fd in [&master, &slave] {
            // SAFETY: fcntl on a descriptor we own.
            let rc = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
            assert_ne!(rc, -1, "FD_CLOEXEC: {}", std::io::Error::last_os_error());
        }
        // Raw output: the line discipline passes bytes as written (no LF →
        // CR LF), so the test sees exactly what the binary wrote.
        // SAFETY: termios is plain data, filled by tcgetattr before use.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and out-pointer.
        let ok = unsafe { libc::tcgetattr(slave.as_raw_fd(), &mut t) } == 0;
        assert!(ok, "tcgetattr: {}", std::io::Error::last_os_error());
        // SAFETY: a termios read above.
        unsafe { libc::cfmakeraw(&mut t) };
        // SAFETY: a valid descriptor and termios.
        let ok = unsafe { libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &t) } == 0;
        assert!(ok, "tcsetattr: {}", std::io::Error::last_os_error());
        (master, slave)
    }

    /// Runs `apiradar ARGS` on a pty; its exit code and output.
    pub fn run(sb: &Sandbox, args: &[&str]) -> (Option<i32>, Vec<u8>) {
        let (master, slave) = open();
        let mut cmd = sb.process();
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(slave.try_clone().expect("dup the pty")))
            .stderr(Stdio::from(slave));
        let mut child = cmd.spawn().expect("spawn apiradar");
        // The command holds our copies of the slave: closing them lets the
        // master see the hang-up when the child is done.
        drop(cmd);
        let mut master = File::from(master);
        let mut output = Vec::new();
        let mut buf = [0u8; 8192];
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        let mut status = None;
        loop {
            let mut pfd = libc::pollfd {
                fd: master.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, 200) };
            if ready > 0 {
                match master.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        output.extend_from_slice(&buf[..n]);
                        continue;
                    }
                    // EIO: every slave descriptor is closed.
                    Err(_) => break,
                }
            }
            // Nothing to read: everything the child wrote before it exited
            // has been read, should another test's child still hold a copy
            // of the slave and keep the hang-up from coming.
            if status.is_some() {
                break;
            }
            status = child.try_wait().expect("wait for apiradar");
            if status.is_none() && Instant::now() > deadline {
                let _ = child.kill();
                panic!("`apiradar {}` did not finish", args.join(" "));
            }
        }
        let status = match status {
            Some(s) => s,
            None => child.wait().expect("wait for apiradar"),
        };
        (status.code(), output)
    }
}

#[test]
fn logs_on_stderr_and_in_the_file_show_escapes() {
    let sb = Sandbox::new();
    let weird = sb.write(
        "weird.json",
        json!({ format!("swagger{ESC}[2J"): 1, format!("openapi{ESC}]0;t\u{7}"): 3 }).to_string(),
    );
    sb.ok(["add", "weird", &weird.display().to_string()]);
    let out = sb.run(["-vv", "refresh"]);
    // Without colour (NO_COLOR), so any ESC would be the document's.
    assert_outcome_safe(&out);
    assert!(out.stderr.contains("openapi\\e]0;t\\x07"), "{}", out.stderr);
    assert!(
        sb.files_containing(b"openapi\\e]0;t\\x07")
            .iter()
            .any(|p| p.starts_with(sb.log_dir()))
    );
    assert_eq!(
        sb.files_containing(b"openapi\x1b]0;t")
            .iter()
            .filter(|p| p.starts_with(sb.log_dir()))
            .count(),
        0
    );
}
