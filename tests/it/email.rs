//! Email alerts through `apiradar::alert::email::send`, against the SMTP
//! receiver in `common::smtp` on 127.0.0.1: plain text, STARTTLS and
//! implicit TLS, logins, untrusted certificates, temporary and permanent
//! refusals, a missing password variable, a server that never greets, and
//! what arrives (dot lines, non-ASCII body and subject, headers).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::smtp::{FailAt, Mode, Received, SmtpOptions, SmtpServer, base64_decode};
use apiradar::alert::email::{EmailConfig, Stage, deliver, send};

const USER_VAR: &str = "APIRADAR_EMAIL_TEST_USER";
const PASSWORD_VAR: &str = "APIRADAR_EMAIL_TEST_PASSWORD";
const WRONG_PASSWORD_VAR: &str = "APIRADAR_EMAIL_TEST_WRONG_PASSWORD";
const UNSET_VAR: &str = "APIRADAR_EMAIL_TEST_NEVER_SET";
const USER: &str = "alice@example.com";
const PASSWORD: &str = "s3cret-Pa55word";
const WRONG_PASSWORD: &str = "not-the-Pa55word";

const TIMEOUT: Duration = Duration::from_secs(20);

/// Sets the credential variables (and clears `UNSET_VAR`) before `main`,
/// while the process still has one thread. Every test module shares this
/// process, and the others start `apiradar`, resolve names and open
/// databases on their own threads at any moment, so a `set_var` once the
/// tests run could race with a read of the environment. The loader runs
/// the functions listed in this section before `main`: `.init_array` (ELF),
/// `__mod_init_func` (Mach-O), `.CRT$XCU` (Windows).
#[used]
#[cfg_attr(
    target_vendor = "apple",
    unsafe(link_section = "__DATA,__mod_init_func")
)]
#[cfg_attr(windows, unsafe(link_section = ".CRT$XCU"))]
#[cfg_attr(
    not(any(target_vendor = "apple", windows)),
    unsafe(link_section = ".init_array")
)]
static SET_CREDENTIALS_BEFORE_MAIN: extern "C" fn() = {
    extern "C" fn set_credentials() {
        // SAFETY: the loader runs this before `main`, on the only thread.
        unsafe {
            std::env::set_var(USER_VAR, USER);
            std::env::set_var(PASSWORD_VAR, PASSWORD);
            std::env::set_var(WRONG_PASSWORD_VAR, WRONG_PASSWORD);
            std::env::remove_var(UNSET_VAR);
        }
    }
    set_credentials
};

/// Checks that the credential variables are as
/// [`SET_CREDENTIALS_BEFORE_MAIN`] left them; every test calls it first.
fn env() {
    assert_eq!(std::env::var(USER_VAR).as_deref(), Ok(USER), "{USER_VAR}");
    assert_eq!(
        std::env::var(PASSWORD_VAR).as_deref(),
        Ok(PASSWORD),
        "{PASSWORD_VAR}"
    );
    assert_eq!(
        std::env::var(WRONG_PASSWORD_VAR).as_deref(),
        Ok(WRONG_PASSWORD),
        "{WRONG_PASSWORD_VAR}"
    );
    assert!(std::env::var_os(UNSET_VAR).is_none(), "{UNSET_VAR} is set");
}

/// Settings for `server`, trusting its CA (written into `dir`).
fn config(server: &SmtpServer, dir: &tempfile::TempDir) -> EmailConfig {
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, server.ca_pem()).expect("write the CA");
    EmailConfig {
        server: server.url(),
        from: "apiradar <alerts@example.com>".to_string(),
        to: vec!["ops@example.com".to_string()],
        user_env: None,
        password_env: None,
        ca_cert: if server.url().contains("tls=none") {
            None
        } else {
            Some(ca)
        },
    }
}

fn with_login(mut cfg: EmailConfig, password_var: &str) -> EmailConfig {
    cfg.user_env = Some(USER_VAR.to_string());
    cfg.password_env = Some(password_var.to_string());
    cfg
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// The only message `server` accepted.
fn only_message(server: &SmtpServer) -> Received {
    let mut messages = server.messages();
    assert_eq!(messages.len(), 1, "{messages:#?}");
    messages.remove(0)
}

/// Checks the headers every message must carry.
fn assert_well_formed(m: &Received) {
    assert_eq!(m.from, "alerts@example.com");
    assert_eq!(m.to, ["ops@example.com"]);
    assert!(!m.helo.is_empty());
    let from = m.header("From").expect("From");
    assert!(from.contains("alerts@example.com"), "{from}");
    assert_eq!(m.header("To").expect("To"), "ops@example.com");
    let id = m.header("Message-ID").expect("Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    assert!(m.header("Date").is_some());
    let mailer = m.header("X-Mailer").expect("X-Mailer");
    assert!(mailer.starts_with("apiradar/"), "{mailer}");
    assert!(
        m.header("User-Agent")
            .expect("User-Agent")
            .starts_with("apiradar/")
    );
    assert_eq!(m.header("MIME-Version").as_deref(), Some("1.0"));
    assert_eq!(
        m.header("Content-Type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
}

// ---- the three modes ----

#[tokio::test]
async fn plain_text_to_a_local_relay() {
    env();
    let server = SmtpServer::start(Mode::Plain).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);
    assert_eq!(cfg.ca_cert, None);
    cfg.validate().expect("valid settings");
    send(&cfg, "API changed", "Something changed.\n", TIMEOUT)
        .await
        .expect("sent");
    let m = only_message(&server);
    assert_well_formed(&m);
    assert!(!m.encrypted);
    assert_eq!(m.auth, None);
    assert_eq!(m.header("Subject").as_deref(), Some("API changed"));
    assert_eq!(m.body(), "Something changed.\r\n");
}

#[tokio::test]
async fn a_password_goes_in_plain_text_only_to_loopback() {
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::Plain).require_auth(USER, PASSWORD)).await;
    let dir = tempdir();
    let cfg = with_login(config(&server, &dir), PASSWORD_VAR);
    send(&cfg, "s", "b", TIMEOUT).await.expect("sent");
    let m = only_message(&server);
    assert_eq!(m.auth, Some((USER.to_string(), PASSWORD.to_string())));
}

#[tokio::test]
async fn starttls_with_a_login() {
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::StartTls).require_auth(USER, PASSWORD)).await;
    let dir = tempdir();
    let cfg = with_login(config(&server, &dir), PASSWORD_VAR);
    assert!(
        cfg.server.starts_with("smtp://127.0.0.1:"),
        "{}",
        cfg.server
    );
    cfg.validate().expect("valid settings");
    send(&cfg, "API changed", "body", TIMEOUT)
        .await
        .expect("sent");
    let m = only_message(&server);
    assert_well_formed(&m);
    assert!(m.encrypted);
    assert_eq!(m.auth, Some((USER.to_string(), PASSWORD.to_string())));
}

#[tokio::test]
async fn implicit_tls_with_a_login_by_host_name() {
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::Implicit).require_auth(USER, PASSWORD)).await;
    let dir = tempdir();
    let mut cfg = with_login(config(&server, &dir), PASSWORD_VAR);
    // The certificate is checked against the name, not only the address.
    cfg.server = format!("smtps://localhost:{}", server.port());
    send(&cfg, "API changed", "body", TIMEOUT)
        .await
        .expect("sent");
    let m = only_message(&server);
    assert_well_formed(&m);
    assert!(m.encrypted);
    assert_eq!(m.auth, Some((USER.to_string(), PASSWORD.to_string())));
}

#[tokio::test]
async fn login_falls_back_to_auth_login() {
    env();
    let options = SmtpOptions::new(Mode::StartTls)
        .require_auth(USER, PASSWORD)
        .mechanisms("LOGIN");
    let server = SmtpServer::start_with(options).await;
    let dir = tempdir();
    let cfg = with_login(config(&server, &dir), PASSWORD_VAR);
    send(&cfg, "s", "b", TIMEOUT).await.expect("sent");
    let m = only_message(&server);
    assert_eq!(m.auth, Some((USER.to_string(), PASSWORD.to_string())));
}

// ---- failures ----

#[tokio::test]
async fn a_wrong_password_fails_at_login_without_showing_it() {
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::StartTls).require_auth(USER, PASSWORD)).await;
    let dir = tempdir();
    let cfg = with_login(config(&server, &dir), WRONG_PASSWORD_VAR);
    let e = deliver(&cfg, "s", "b", TIMEOUT).await.expect_err("refused");
    assert_eq!(e.stage(), Stage::Auth, "{e}");
    assert!(e.is_permanent(), "{e}");
    let text = e.to_string();
    assert!(text.contains("login") && text.contains("535"), "{text}");
    assert!(!text.contains(WRONG_PASSWORD), "{text}");
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_server_that_wants_a_login_refuses_the_sender() {
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::StartTls).require_auth(USER, PASSWORD)).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);
    let e = deliver(&cfg, "s", "b", TIMEOUT).await.expect_err("refused");
    assert_eq!(e.stage(), Stage::Sender, "{e}");
    assert!(e.to_string().contains("530"), "{e}");
    assert!(e.is_permanent());
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_tls_error() {
    env();
    for mode in [Mode::StartTls, Mode::Implicit] {
        let server = SmtpServer::start(mode).await;
        let dir = tempdir();
        let mut cfg = config(&server, &dir);
        cfg.ca_cert = None;
        let e = deliver(&cfg, "s", "b", TIMEOUT)
            .await
            .expect_err("not trusted");
        assert_eq!(e.stage(), Stage::Tls, "{mode:?}: {e}");
        assert!(e.is_permanent(), "{mode:?}: {e}");
        let text = e.to_string();
        assert!(
            text.contains("TLS") && text.contains("certificate"),
            "{mode:?}: {text}"
        );
        assert!(!text.contains('\n'));
        assert!(server.messages().is_empty());
    }
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_unless_told() {
    env();
    let server = SmtpServer::start(Mode::Plain).await;
    let dir = tempdir();
    let mut cfg = config(&server, &dir);
    cfg.server = format!("smtp://127.0.0.1:{}", server.port());
    let e = deliver(&cfg, "s", "b", TIMEOUT)
        .await
        .expect_err("no STARTTLS");
    assert_eq!(e.stage(), Stage::StartTls, "{e}");
    assert!(e.to_string().contains("does not offer STARTTLS"), "{e}");
    assert!(e.is_permanent());
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_temporary_refusal_of_the_message_is_transient() {
    env();
    let options = SmtpOptions::new(Mode::StartTls).fail_first(1, FailAt::DataEnd);
    let server = SmtpServer::start_with(options).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);
    let e = deliver(&cfg, "s", "b", TIMEOUT).await.expect_err("451");
    assert_eq!(e.stage(), Stage::Message, "{e}");
    assert!(!e.is_permanent(), "{e}");
    assert!(e.to_string().contains("451"), "{e}");
    assert!(server.messages().is_empty());
    // The next attempt goes through.
    send(&cfg, "s", "b", TIMEOUT).await.expect("sent");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn greylisting_at_the_recipient_is_transient() {
    env();
    let options = SmtpOptions::new(Mode::Plain).fail_first(2, FailAt::Rcpt);
    let server = SmtpServer::start_with(options).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);
    for _ in 0..2 {
        let text = send(&cfg, "s", "b", TIMEOUT).await.expect_err("451");
        assert!(
            text.contains("451") && text.contains("<ops@example.com>"),
            "{text}"
        );
    }
    send(&cfg, "s", "b", TIMEOUT).await.expect("sent");
    assert_eq!(server.messages().len(), 1);
}

#[tokio::test]
async fn a_refused_recipient_fails_the_whole_message() {
    env();
    let options = SmtpOptions::new(Mode::Plain).reject("nobody@example.com");
    let server = SmtpServer::start_with(options).await;
    let dir = tempdir();
    let mut cfg = config(&server, &dir);
    cfg.to.push("nobody@example.com".to_string());
    let e = deliver(&cfg, "s", "b", TIMEOUT).await.expect_err("refused");
    assert_eq!(e.stage(), Stage::Recipient, "{e}");
    assert!(e.is_permanent());
    let text = e.to_string();
    assert!(
        text.contains("recipient <nobody@example.com>") && text.contains("550"),
        "{text}"
    );
    assert!(server.messages().is_empty());
}

#[tokio::test]
async fn a_missing_password_variable_is_named_before_connecting() {
    env();
    let server = SmtpServer::start(Mode::StartTls).await;
    let dir = tempdir();
    let cfg = with_login(config(&server, &dir), UNSET_VAR);
    let e = deliver(&cfg, "s", "b", TIMEOUT)
        .await
        .expect_err("no password");
    assert_eq!(e.stage(), Stage::Credentials);
    assert!(e.is_permanent());
    assert_eq!(
        e.to_string(),
        format!("the SMTP password variable {UNSET_VAR} is not set")
    );
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn a_server_that_never_greets_times_out() {
    env();
    let timeout = Duration::from_millis(500);
    for (mode, stage) in [
        (Mode::StartTls, Stage::Greeting),
        (Mode::Implicit, Stage::Connect),
    ] {
        let server = SmtpServer::start_with(SmtpOptions::new(mode).silent()).await;
        let dir = tempdir();
        let cfg = config(&server, &dir);
        let started = Instant::now();
        let e = deliver(&cfg, "s", "b", timeout)
            .await
            .expect_err("timed out");
        // Generous: this only tells a timeout from a hang.
        assert!(started.elapsed() < Duration::from_secs(10), "{mode:?}");
        assert_eq!(e.stage(), stage, "{mode:?}: {e}");
        assert!(!e.is_permanent());
        assert!(e.to_string().contains("no answer from 127.0.0.1:"), "{e}");
        assert!(e.to_string().contains("within 500ms"), "{e}");
        assert_eq!(server.connections(), 1);
    }
}

#[tokio::test]
async fn a_closed_port_fails_to_connect() {
    env();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let cfg = EmailConfig {
        server: format!("smtp://127.0.0.1:{port}"),
        from: "alerts@example.com".to_string(),
        to: vec!["ops@example.com".to_string()],
        user_env: None,
        password_env: None,
        ca_cert: None::<PathBuf>,
    };
    let e = deliver(&cfg, "s", "b", TIMEOUT).await.expect_err("refused");
    assert_eq!(e.stage(), Stage::Connect, "{e}");
    assert!(!e.is_permanent());
    assert!(
        e.to_string()
            .starts_with(&format!("cannot connect to 127.0.0.1:{port}: ")),
        "{e}"
    );
}

// ---- what arrives ----

/// Undoes the message's Content-Transfer-Encoding.
fn decoded_body(m: &Received) -> String {
    let body = m.body();
    let encoding = m
        .header("Content-Transfer-Encoding")
        .unwrap_or_else(|| "7bit".to_string())
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "7bit" | "8bit" => body.into_bytes(),
        "quoted-printable" => quoted_printable_decode(&body),
        "base64" => base64_decode(&body.replace("\r\n", "")).expect("base64 body"),
        other => panic!("unexpected encoding {other}"),
    };
    String::from_utf8(bytes).expect("UTF-8 body")
}

fn quoted_printable_decode(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "");
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Decodes a header value with RFC 2047 encoded words, for a text whose
/// words were separated by single spaces: the space between two encoded
/// words is dropped, any other is kept.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut last_encoded = false;
    for (i, word) in value.split_whitespace().enumerate() {
        let encoded = word
            .strip_prefix("=?")
            .and_then(|w| w.strip_suffix("?="))
            .map(|inner| {
                let mut parts = inner.splitn(3, '?');
                let charset = parts.next().expect("charset");
                assert!(charset.eq_ignore_ascii_case("utf-8"), "{charset}");
                let kind = parts.next().expect("encoding");
                let text = parts.next().expect("text");
                let bytes = match kind {
                    "B" | "b" => base64_decode(text).expect("base64 word"),
                    "Q" | "q" => quoted_printable_decode(&text.replace('_', " ")),
                    other => panic!("unexpected word encoding {other}"),
                };
                String::from_utf8(bytes).expect("UTF-8 word")
            });
        if i > 0 && !(last_encoded && encoded.is_some()) {
            out.push(' ');
        }
        last_encoded = encoded.is_some();
        out.push_str(encoded.as_deref().unwrap_or(word));
    }
    out
}

#[tokio::test]
async fn the_body_arrives_intact() {
    env();
    let server = SmtpServer::start(Mode::StartTls).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);

    // ASCII goes as 7bit, so the dot lines travel dot-stuffed as they are.
    let ascii = ".leading dot\n..two dots\n.\nlast line\n";
    send(&cfg, "ascii", ascii, TIMEOUT).await.expect("sent");
    // Non-ASCII text needs a transfer encoding.
    let text = "Grüße aus Köln — 東京 ✓\n.dot after UTF-8\n.\nfin\n";
    send(&cfg, "utf-8", text, TIMEOUT).await.expect("sent");
    // The last line's end is supplied, blank lines are kept.
    send(&cfg, "ends", "no line break", TIMEOUT)
        .await
        .expect("sent");
    send(&cfg, "blank", "one\n\n", TIMEOUT).await.expect("sent");

    let messages = server.messages();
    assert_eq!(messages.len(), 4);
    assert_eq!(
        messages[0].header("Content-Transfer-Encoding").as_deref(),
        Some("7bit")
    );
    assert_eq!(decoded_body(&messages[0]), ascii.replace('\n', "\r\n"));
    assert_eq!(decoded_body(&messages[1]), text.replace('\n', "\r\n"));
    assert_eq!(decoded_body(&messages[2]), "no line break\r\n");
    assert_eq!(decoded_body(&messages[3]), "one\r\n\r\n");
    for m in &messages {
        assert!(m.data.is_ascii(), "{}", m.text());
    }
}

#[tokio::test]
async fn a_non_ascii_subject_is_encoded() {
    env();
    let server = SmtpServer::start(Mode::Plain).await;
    let dir = tempdir();
    let cfg = config(&server, &dir);
    let subject = "⚠ Breaking change in Zahlungs-API: Größe entfernt";
    send(&cfg, subject, "b", TIMEOUT).await.expect("sent");
    let m = only_message(&server);
    let raw = m.header("Subject").expect("Subject");
    assert!(raw.is_ascii() && raw.starts_with("=?"), "{raw}");
    assert_eq!(decode_words(&raw), subject);
}

// ---- through the alert channel ----

/// `apiradar alert add --email … && alert test`, then an endpoint going
/// down: the CLI stores the channel (STARTTLS, a login from the
/// environment, a private CA), and the sender mails both alerts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_channel_receives_test_and_down_alerts() {
    use apiradar::store::Store;
    use apiradar::store::health::{CheckOutcome, CheckRecord};
    use apiradar::watch::{Kind, WatchSpec};
    env();
    let server =
        SmtpServer::start_with(SmtpOptions::new(Mode::StartTls).require_auth(USER, PASSWORD)).await;
    let sb = common::Sandbox::new();
    let ca = sb.write("ca.pem", server.ca_pem());
    let url = server.url();
    let sb = tokio::task::spawn_blocking(move || {
        sb.ok([
            "alert",
            "add",
            "mail",
            "--email",
            &url,
            "--from",
            "apiradar <alerts@example.com>",
            "--to",
            "ops@example.com,oncall@example.com",
            "--smtp-user-env",
            USER_VAR,
            "--smtp-password-env",
            PASSWORD_VAR,
            "--ca-cert",
            ca.to_str().expect("utf-8 path"),
            "--on",
            "down",
        ]);
        let out = sb.ok(["alert", "test", "mail"]);
        assert!(out.contains("test alert sent to mail"), "{out}");
        // A broken channel is refused before it is stored.
        let bad = sb
            .run([
                "alert", "add", "bad", "--email", "http://x", "--from", "a@b.c", "--to", "d@e.f",
            ])
            .expect_code(2);
        assert!(bad.all_output().contains("--email"), "{}", bad.all_output());
        sb
    })
    .await
    .expect("the CLI steps");
    let m = only_message(&server);
    assert!(m.encrypted);
    assert_eq!(m.auth, Some((USER.to_string(), PASSWORD.to_string())));
    assert_eq!(m.to, ["ops@example.com", "oncall@example.com"]);
    assert_eq!(m.header("Subject").as_deref(), Some("apiradar test alert"));

    // An endpoint down for three checks: one email, saying what and how to look.
    let db = sb.db();
    let sent = tokio::task::spawn_blocking(move || {
        let mut store = Store::open(&db).expect("store");
        let w = store
            .add_watch(
                &WatchSpec::new("api", Kind::Json, "http://127.0.0.1:9/m"),
                false,
            )
            .expect("watch");
        let e = store
            .add_manual_endpoint(w.id, "GET", "http://127.0.0.1:9/health", &[], None)
            .expect("endpoint");
        for at in 0..3 {
            let rec = CheckRecord {
                at,
                outcome: Some(CheckOutcome::Down),
                error: Some("cannot connect".into()),
                ..CheckRecord::default()
            };
            apiradar::health::record_check(&mut store, e.id, &rec).expect("check");
        }
        let shared = std::sync::Arc::new(std::sync::Mutex::new(store));
        let sender = apiradar::alert::Sender::new(TIMEOUT).expect("sender");
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(apiradar::alert::deliver_due(
                &shared,
                &sender,
                apiradar::store::now_ms(),
            ))
    })
    .await
    .expect("the down alert");
    assert_eq!(sent, 1);
    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let down = &messages[1];
    assert_eq!(
        down.header("Subject").as_deref(),
        Some("api: GET http://127.0.0.1:9/health is down")
    );
    // Quoted-printable: undo the soft line breaks.
    let body = down.body().replace("=\r\n", "").replace("=\n", "");
    assert!(
        body.contains("failed 3 checks in a row; last: cannot connect"),
        "{body}"
    );
    assert!(body.contains("See `apiradar health api`."), "{body}");
}
