//! Email delivery over SMTP: one plain-text message per call, sent through
//! a submission server named by URL.
//!
//! - `smtp://host[:port]` (port 587 by default) must offer STARTTLS and the
//!   session is upgraded before anything else is said;
//! - `smtps://host[:port]` (port 465 by default) speaks TLS from the first
//!   byte;
//! - `smtp://host[:port]?tls=none` stays in plain text, for a relay on the
//!   same machine. A password is only sent that way to a loopback address.
//!
//! The server's certificate is checked against the bundled Mozilla roots
//! plus the channel's own CA file, if any. User name and password come from
//! environment variables named in the settings and are read at send time,
//! so they never reach the database.
//!
//! Each send opens a connection, says EHLO, upgrades, logs in, hands over
//! the message and says QUIT. The SMTP session is driven step by step (not
//! through lettre's all-in-one transport) so that an error can say which
//! step failed — the TCP connection, TLS, the greeting, the login, the
//! sender, a recipient or the message — and whether trying again later may
//! help ([`SendError::is_permanent`]). The whole attempt, QUIT excepted,
//! runs under one deadline. A message goes to all recipients or to none:
//! one refused recipient fails the send.

use std::error::Error as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, SinglePart};
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use serde::{Deserialize, Serialize};

/// What the `User-Agent` and `X-Mailer` headers say.
const AGENT: &str = concat!("apiradar/", env!("CARGO_PKG_VERSION"));

/// The longest wait for the server's answer to QUIT (or to the QUIT sent
/// after a refusal); the outcome is known by then, so this only keeps a
/// silent server from holding the caller.
const QUIT_WAIT: Duration = Duration::from_secs(2);

/// The login methods offered to the server, in order of preference.
const MECHANISMS: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// How an email channel reaches its server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailConfig {
    /// `smtp://host[:port]` (STARTTLS required, port 587 by default),
    /// `smtps://host[:port]` (TLS from the start, port 465 by default) or
    /// `smtp://host[:port]?tls=none` (plain text, for a local relay).
    /// Credentials never go in the URL.
    pub server: String,
    /// The sender: `apiradar <alerts@example.com>` or a bare address.
    pub from: String,
    /// One or more recipients, in the same forms as `from`.
    pub to: Vec<String>,
    /// The environment variable holding the SMTP user name.
    pub user_env: Option<String>,
    /// The environment variable holding the SMTP password.
    pub password_env: Option<String>,
    /// A PEM file with one or more extra CA certificates to trust, for a
    /// server with a private or self-signed certificate.
    pub ca_cert: Option<PathBuf>,
}

impl EmailConfig {
    /// Checks everything that can be checked without connecting: the
    /// server URL, the addresses, that user and password variables come as
    /// a pair, and that the CA file can be read and holds certificates.
    /// The error is one line.
    pub fn validate(&self) -> Result<(), String> {
        let plan = Plan::new(self)?;
        if let Some(path) = &self.ca_cert {
            if plan.security == Security::None {
                return Err(
                    "ca_cert has no effect with tls=none: remove one or the other".to_string(),
                );
            }
            let pem = std::fs::read(path).map_err(|e| ca_read_error(path, &e))?;
            check_ca(path, &pem)?;
        }
        Ok(())
    }
}

/// The step of an SMTP session an error comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The settings themselves (URL, addresses, CA file).
    Config,
    /// Reading the user name or password from the environment.
    Credentials,
    /// Resolving the host and opening the TCP connection.
    Connect,
    /// The TLS handshake, implicit or after STARTTLS.
    Tls,
    /// The server's greeting and the answer to EHLO.
    Greeting,
    /// The STARTTLS command.
    StartTls,
    /// Logging in (AUTH).
    Auth,
    /// MAIL FROM.
    Sender,
    /// RCPT TO.
    Recipient,
    /// The DATA command.
    Data,
    /// Sending the message and the server's verdict on it.
    Message,
}

impl Stage {
    /// What was going on, for "no answer … while …".
    fn doing(self) -> &'static str {
        match self {
            Stage::Config | Stage::Credentials => "preparing",
            Stage::Connect => "connecting",
            Stage::Tls => "negotiating TLS",
            Stage::Greeting => "waiting for the greeting",
            Stage::StartTls => "starting TLS",
            Stage::Auth => "logging in",
            Stage::Sender => "giving the sender",
            Stage::Recipient => "giving the recipients",
            Stage::Data => "starting the message",
            Stage::Message => "sending the message",
        }
    }
}

/// Why a message was not sent: one line naming the step that failed, with
/// no secret in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    stage: Stage,
    message: String,
    permanent: bool,
}

impl SendError {
    fn new(stage: Stage, message: impl Into<String>, permanent: bool) -> SendError {
        SendError {
            stage,
            message: crate::text::one_line(&message.into()),
            permanent,
        }
    }

    /// The step that failed.
    pub fn stage(&self) -> Stage {
        self.stage
    }

    /// Whether sending the same message again cannot succeed until the
    /// settings or the server change: a 5xx reply, bad settings, a missing
    /// variable, a certificate that does not verify, a server without
    /// STARTTLS or without a login method we know. Timeouts, dropped
    /// connections and 4xx replies are transient.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
}

/// Sends one plain-text (UTF-8) message with this subject and body.
/// Credentials are read from the environment now. The error is one line,
/// says which step failed and never contains the password.
pub async fn send(
    cfg: &EmailConfig,
    subject: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), String> {
    deliver(cfg, subject, body, timeout)
        .await
        .map_err(|e| e.to_string())
}

/// [`send`] with a typed error, for callers that want to know whether a
/// retry can help.
pub async fn deliver(
    cfg: &EmailConfig,
    subject: &str,
    body: &str,
    timeout: Duration,
) -> Result<(), SendError> {
    let plan = Plan::new(cfg).map_err(|e| SendError::new(Stage::Config, e, true))?;
    let credentials = read_credentials(cfg)?;
    let tls = match plan.security {
        Security::None => None,
        Security::StartTls | Security::Implicit => {
            Some(tls_parameters(&plan.host, cfg.ca_cert.as_deref()).await?)
        }
    };
    let message = wire_form(build_message(&plan, subject, body)?.formatted());
    let password = credentials
        .as_ref()
        .map(|(_, p)| p.clone())
        .unwrap_or_default();
    let credentials = credentials.map(|(user, password)| Credentials::new(user, password));

    let mut stage = Stage::Connect;
    let outcome = tokio::time::timeout(
        timeout,
        attempt(&plan, tls, credentials.as_ref(), &message, &mut stage),
    )
    .await;
    let wait = QUIT_WAIT.min(timeout);
    let result = match outcome {
        Ok(Ok(mut conn)) => {
            // The message is accepted: a failed QUIT changes nothing.
            let _ = tokio::time::timeout(wait, conn.quit()).await;
            Ok(())
        }
        Ok(Err(failure)) => {
            if let Some(mut conn) = failure.conn {
                let _ = tokio::time::timeout(wait, conn.abort()).await;
            }
            Err(failure.error)
        }
        Err(_) => Err(SendError::new(
            stage,
            format!(
                "timed out: no answer from {} within {} while {}",
                plan.server(),
                humantime::format_duration(timeout),
                stage.doing()
            ),
            false,
        )),
    };
    result.map_err(|mut e| {
        if !password.is_empty() {
            e.message = e.message.replace(&password, "***");
        }
        e
    })
}

/// An error from inside the session, with the connection when it is still
/// worth a QUIT.
struct Failure {
    error: SendError,
    conn: Option<AsyncSmtpConnection>,
}

impl Failure {
    fn bare(error: SendError) -> Failure {
        Failure { error, conn: None }
    }
}

/// Runs the session up to the server's acceptance of the message and
/// returns the connection, ready for QUIT. `stage` follows along so that a
/// timeout can say where it struck.
async fn attempt(
    plan: &Plan,
    tls: Option<TlsParameters>,
    credentials: Option<&Credentials>,
    message: &[u8],
    stage: &mut Stage,
) -> Result<AsyncSmtpConnection, Failure> {
    let server = plan.server();
    let mut conn = match (plan.security, tls) {
        (Security::Implicit, Some(tls)) => {
            *stage = Stage::Connect;
            let hello = hello_name(None);
            AsyncSmtpConnection::connect_tokio1(
                (plan.host.as_str(), plan.port),
                None,
                &hello,
                Some(tls),
                None,
            )
            .await
            .map_err(|e| Failure::bare(implicit_connect_error(&server, &e)))?
        }
        (_, tls) => {
            *stage = Stage::Connect;
            let tcp = tokio::net::TcpStream::connect((plan.host.as_str(), plan.port))
                .await
                .map_err(|e| {
                    Failure::bare(SendError::new(
                        Stage::Connect,
                        format!("cannot connect to {server}: {e}"),
                        false,
                    ))
                })?;
            let hello = hello_name(tcp.local_addr().ok().map(|a| a.ip()));
            *stage = Stage::Greeting;
            let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello)
                .await
                .map_err(|e| Failure::bare(greeting_error(&server, &e)))?;
            if let Some(tls) = tls {
                *stage = Stage::StartTls;
                if !conn.can_starttls() {
                    return Err(Failure {
                        error: SendError::new(
                            Stage::StartTls,
                            format!(
                                "{server} does not offer STARTTLS: use smtps:// if it expects \
                                 TLS from the start, or ?tls=none for a plain-text local relay"
                            ),
                            true,
                        ),
                        conn: Some(conn),
                    });
                }
                if let Err(e) = conn.starttls(tls, &hello).await {
                    // A refused STARTTLS or EHLO carries a reply code;
                    // anything else went wrong in the handshake itself.
                    let error = if e.status().is_some() {
                        smtp_error(
                            Stage::StartTls,
                            format!("STARTTLS with {server} failed"),
                            &e,
                        )
                    } else {
                        tls_error(&server, &e)
                    };
                    return Err(Failure::bare(error));
                }
            }
            conn
        }
    };

    if let Some(credentials) = credentials {
        *stage = Stage::Auth;
        if conn.server_info().get_auth_mechanism(&MECHANISMS).is_none() {
            return Err(Failure {
                error: SendError::new(
                    Stage::Auth,
                    format!("{server} offers no login method apiradar can use (PLAIN or LOGIN)"),
                    true,
                ),
                conn: Some(conn),
            });
        }
        if let Err(e) = conn.auth(&MECHANISMS, credentials).await {
            return Err(failure(
                conn,
                smtp_error(Stage::Auth, format!("login at {server} failed"), &e),
            ));
        }
    }

    *stage = Stage::Sender;
    let mut options = Vec::new();
    if !plan.addresses_are_ascii() {
        if !conn.server_info().supports_feature(Extension::SmtpUtfEight) {
            return Err(Failure {
                error: SendError::new(
                    Stage::Sender,
                    format!("{server} does not accept non-ASCII addresses (no SMTPUTF8)"),
                    true,
                ),
                conn: Some(conn),
            });
        }
        options.push(MailParameter::SmtpUtfEight);
    }
    if !message.is_ascii() {
        // lettre encodes bodies as quoted-printable or base64, so this only
        // guards against a future change there.
        if !conn.server_info().supports_feature(Extension::EightBitMime) {
            return Err(Failure {
                error: SendError::new(
                    Stage::Sender,
                    format!("{server} does not accept 8-bit messages (no 8BITMIME)"),
                    true,
                ),
                conn: Some(conn),
            });
        }
        options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    let from = plan.from.email.clone();
    if let Err(e) = conn.command(Mail::new(Some(from.clone()), options)).await {
        return Err(failure(
            conn,
            smtp_error(
                Stage::Sender,
                format!("{server} refused the sender <{from}>"),
                &e,
            ),
        ));
    }

    *stage = Stage::Recipient;
    for to in &plan.to {
        let to = to.email.clone();
        if let Err(e) = conn.command(Rcpt::new(to.clone(), Vec::new())).await {
            return Err(failure(
                conn,
                smtp_error(
                    Stage::Recipient,
                    format!("{server} refused the recipient <{to}>"),
                    &e,
                ),
            ));
        }
    }

    *stage = Stage::Data;
    if let Err(e) = conn.command(Data).await {
        return Err(failure(
            conn,
            smtp_error(Stage::Data, format!("{server} refused DATA"), &e),
        ));
    }
    *stage = Stage::Message;
    if let Err(e) = conn.message(message).await {
        return Err(failure(
            conn,
            smtp_error(
                Stage::Message,
                format!("{server} did not accept the message"),
                &e,
            ),
        ));
    }
    Ok(conn)
}

/// A refusal in mid-session: the connection is kept for a polite QUIT.
fn failure(conn: AsyncSmtpConnection, error: SendError) -> Failure {
    Failure {
        error,
        conn: Some(conn),
    }
}

// ---------------------------------------------------------------------------
// Settings

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// Plain TCP, upgraded with STARTTLS before anything else.
    StartTls,
    /// TLS from the first byte.
    Implicit,
    /// Plain text throughout.
    None,
}

/// The settings, parsed.
#[derive(Debug)]
struct Plan {
    /// A DNS name or an IP address (IPv6 without brackets).
    host: String,
    port: u16,
    security: Security,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl Plan {
    fn new(cfg: &EmailConfig) -> Result<Plan, String> {
        let (host, port, security) = parse_server(&cfg.server)?;
        let from: Mailbox = cfg
            .from
            .trim()
            .parse()
            .map_err(|e| format!("from `{}` is not an email address: {e}", cfg.from))?;
        if cfg.to.is_empty() {
            return Err("no recipient: `to` needs at least one address".to_string());
        }
        let to = cfg
            .to
            .iter()
            .map(|t| {
                t.trim()
                    .parse::<Mailbox>()
                    .map_err(|e| format!("recipient `{t}` is not an email address: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        match (&cfg.user_env, &cfg.password_env) {
            (Some(user), Some(password)) => {
                check_var_name("user_env", user)?;
                check_var_name("password_env", password)?;
                if security == Security::None && !is_loopback(&host) {
                    return Err(format!(
                        "refusing to send a password in plain text to {host}: use STARTTLS \
                         (smtp://) or smtps://, or drop tls=none"
                    ));
                }
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(
                    "user_env is set but password_env is not: give both or neither".to_string(),
                );
            }
            (None, Some(_)) => {
                return Err(
                    "password_env is set but user_env is not: give both or neither".to_string(),
                );
            }
        }
        Ok(Plan {
            host,
            port,
            security,
            from,
            to,
        })
    }

    /// `host:port` for messages, with brackets around an IPv6 address.
    fn server(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    fn addresses_are_ascii(&self) -> bool {
        std::iter::once(&self.from)
            .chain(&self.to)
            .all(|m| m.email.to_string().is_ascii())
    }
}

/// Host, port and protection from the server URL.
fn parse_server(server: &str) -> Result<(String, u16, Security), String> {
    let url = url::Url::parse(server.trim()).map_err(|e| {
        format!("the server must look like smtp://host[:port] or smtps://host[:port] ({e})")
    })?;
    // Checked before anything that quotes the URL, which may hold a password.
    if !url.username().is_empty() || url.password().is_some() {
        return Err("the server URL must not hold credentials: \
                    name their variables in user_env and password_env"
            .to_string());
    }
    let (mut security, default_port) = match url.scheme() {
        "smtp" => (Security::StartTls, 587),
        "smtps" => (Security::Implicit, 465),
        other => {
            return Err(format!(
                "unsupported scheme `{other}`: use smtp:// (STARTTLS) or smtps:// (TLS)"
            ));
        }
    };
    let host = match url.host() {
        Some(url::Host::Domain(d)) if is_host_name(d) => d.to_ascii_lowercase(),
        Some(url::Host::Ipv4(ip)) => ip.to_string(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(url::Host::Domain(d)) if !d.is_empty() => {
            return Err(format!("`{d}` is not a valid host name"));
        }
        _ => return Err("the server URL has no host".to_string()),
    };
    let port = url.port().unwrap_or(default_port);
    if port == 0 {
        return Err("port 0 is not a valid SMTP port".to_string());
    }
    if !matches!(url.path(), "" | "/") {
        return Err(format!(
            "the server URL has a path (`{}`); SMTP uses none",
            url.path()
        ));
    }
    if url.fragment().is_some() {
        return Err("the server URL must not have a #fragment".to_string());
    }
    let mut tls_seen = false;
    for (key, value) in url.query_pairs() {
        if key != "tls" {
            return Err(format!(
                "unknown server URL parameter `{key}` (only tls=none is known)"
            ));
        }
        if tls_seen {
            return Err("the tls parameter is given twice".to_string());
        }
        tls_seen = true;
        security = match (security, value.as_ref()) {
            (Security::StartTls, "none") => Security::None,
            (Security::StartTls, "starttls") => Security::StartTls,
            (Security::Implicit, _) => {
                return Err("smtps:// always uses TLS: drop the tls parameter, \
                            or use smtp://…?tls=none for plain text"
                    .to_string());
            }
            (_, other) => {
                return Err(format!(
                    "tls={other} is not known: smtp:// uses STARTTLS unless tls=none"
                ));
            }
        };
    }
    Ok((host, port, security))
}

/// Whether `s` is a syntactically valid DNS host name.
fn is_host_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_var_name(field: &str, name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        Err(format!(
            "{field} must name an environment variable, not `{name}`"
        ))
    } else {
        Ok(())
    }
}

fn ca_read_error(path: &Path, e: &std::io::Error) -> String {
    format!("cannot read the CA file {}: {e}", path.display())
}

/// Checks that `pem` holds at least one certificate and that every
/// certificate in it parses.
fn check_ca(path: &Path, pem: &[u8]) -> Result<(), String> {
    let mut found = 0;
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| format!("the CA file {} is not PEM: {e}", path.display()))?;
        if block.label != "CERTIFICATE" {
            continue;
        }
        block.parse_x509().map_err(|e| {
            format!(
                "the CA file {} holds a broken certificate: {e}",
                path.display()
            )
        })?;
        found += 1;
    }
    if found == 0 {
        return Err(format!(
            "the CA file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(())
}

/// The TLS settings for `host`: the bundled roots plus the CA file.
async fn tls_parameters(host: &str, ca: Option<&Path>) -> Result<TlsParameters, SendError> {
    let config = |m: String| SendError::new(Stage::Config, m, true);
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = ca {
        let pem = tokio::fs::read(path)
            .await
            .map_err(|e| config(ca_read_error(path, &e)))?;
        check_ca(path, &pem).map_err(config)?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| config(format!("cannot use the CA file {}: {e}", path.display())))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| config(format!("cannot set up TLS: {e}")))
}

/// User name and password from the environment, when the settings name
/// them.
fn read_credentials(cfg: &EmailConfig) -> Result<Option<(String, String)>, SendError> {
    let (Some(user_var), Some(password_var)) = (&cfg.user_env, &cfg.password_env) else {
        return Ok(None);
    };
    let read = |what: &str, var: &str| -> Result<String, SendError> {
        let problem = match std::env::var(var) {
            Ok(v) if !v.is_empty() => return Ok(v),
            Ok(_) => "is empty",
            Err(std::env::VarError::NotPresent) => "is not set",
            Err(std::env::VarError::NotUnicode(_)) => "is not valid UTF-8",
        };
        Err(SendError::new(
            Stage::Credentials,
            format!("the SMTP {what} variable {var} {problem}"),
            true,
        ))
    };
    Ok(Some((
        read("user", user_var)?,
        read("password", password_var)?,
    )))
}

/// The message: the subject with control characters replaced by spaces, a
/// `text/plain; charset=utf-8` body (lettre picks 7bit, quoted-printable or
/// base64), a Message-ID in the sender's domain, Date, User-Agent and
/// X-Mailer.
fn build_message(plan: &Plan, subject: &str, body: &str) -> Result<Message, SendError> {
    let subject: String = subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let id: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(32)
        .collect();
    let mut builder = Message::builder()
        .from(plan.from.clone())
        .subject(subject.trim())
        .message_id(Some(format!("<{id}@{}>", plan.from.email.domain())))
        .user_agent(AGENT.to_string())
        .raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("X-Mailer"),
            AGENT.to_string(),
        ));
    for to in &plan.to {
        builder = builder.to(to.clone());
    }
    builder
        .singlepart(SinglePart::plain(body.to_string()))
        .map_err(|e| {
            SendError::new(
                Stage::Config,
                format!("cannot build the message: {e}"),
                true,
            )
        })
}

/// `raw` as handed to the DATA step. lettre ends a formatted message with
/// a line break of its own after the body, and its DATA terminator
/// (`CRLF . CRLF`) starts with another, so the body would arrive with one
/// or two blank lines added; dropping them here (the terminator supplies
/// the last line's end) delivers the body as given.
fn wire_form(mut raw: Vec<u8>) -> Vec<u8> {
    for _ in 0..2 {
        if raw.ends_with(b"\r\n") {
            raw.truncate(raw.len() - 2);
        }
    }
    raw
}

/// The name given in EHLO: the machine's host name when it is a full
/// domain name, else the local address of the connection as an address
/// literal, else whatever lettre finds (the short host name or 127.0.0.1).
fn hello_name(local: Option<IpAddr>) -> ClientId {
    let fallback = ClientId::default();
    if let ClientId::Domain(name) = &fallback
        && name.contains('.')
        && is_host_name(name)
    {
        return fallback;
    }
    match local {
        Some(IpAddr::V4(ip)) => ClientId::Ipv4(ip),
        Some(IpAddr::V6(ip)) => ClientId::Ipv6(ip),
        None => match fallback {
            ClientId::Domain(name) if is_host_name(&name) => ClientId::Domain(name),
            ClientId::Domain(_) => ClientId::Ipv4(std::net::Ipv4Addr::LOCALHOST),
            other => other,
        },
    }
}

// ---------------------------------------------------------------------------
// Errors

/// The I/O error under a lettre error, if any.
fn io_error(e: &SmtpError) -> Option<&std::io::Error> {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        source = s.source();
    }
    None
}

/// What lettre says went wrong, without its generic prefixes: the reply
/// code and text for a refusal, the I/O or TLS error otherwise.
fn detail(e: &SmtpError) -> String {
    if let Some(code) = e.status() {
        return match e.source() {
            Some(text) => format!("{code} {text}"),
            None => code.to_string(),
        };
    }
    if let Some(io) = io_error(e) {
        return io.to_string();
    }
    let text = e.source().map_or_else(|| e.to_string(), |s| s.to_string());
    if text == "incomplete response" {
        "the server closed the connection".to_string()
    } else {
        text
    }
}

/// An error at `stage`, permanent for a 5xx reply.
fn smtp_error(stage: Stage, what: String, e: &SmtpError) -> SendError {
    SendError::new(stage, format!("{what}: {}", detail(e)), e.is_permanent())
}

/// Whether an I/O error came from the TLS handshake: rustls reports its
/// own errors (a certificate that does not verify, a peer that does not
/// speak TLS) as invalid data, and a peer hanging up mid-handshake as an
/// unexpected end of file, which a plain TCP connect never sees.
fn is_handshake_error(e: &SmtpError) -> bool {
    io_error(e).is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
        )
    })
}

fn tls_error(server: &str, e: &SmtpError) -> SendError {
    // A certificate or protocol problem stays until someone fixes it; a
    // hang-up may not.
    let permanent = io_error(e).is_some_and(|io| io.kind() == std::io::ErrorKind::InvalidData);
    SendError::new(
        Stage::Tls,
        format!("TLS with {server} failed: {}", detail(e)),
        permanent,
    )
}

/// Sorts out a failed implicit-TLS connect, where lettre does the TCP
/// connection, the handshake, the greeting and EHLO in one call.
fn implicit_connect_error(server: &str, e: &SmtpError) -> SendError {
    if e.status().is_some() || e.is_response() {
        greeting_error(server, e)
    } else if is_handshake_error(e) {
        tls_error(server, e)
    } else {
        SendError::new(
            Stage::Connect,
            format!("cannot connect to {server}: {}", detail(e)),
            false,
        )
    }
}

fn greeting_error(server: &str, e: &SmtpError) -> SendError {
    if e.status().is_some() {
        smtp_error(Stage::Greeting, format!("{server} refused the session"), e)
    } else {
        SendError::new(
            Stage::Greeting,
            format!("no proper greeting from {server}: {}", detail(e)),
            false,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(server: &str) -> EmailConfig {
        EmailConfig {
            server: server.to_string(),
            from: "apiradar <alerts@example.com>".to_string(),
            to: vec!["ops@example.com".to_string()],
            user_env: None,
            password_env: None,
            ca_cert: None,
        }
    }

    fn with_auth(mut cfg: EmailConfig) -> EmailConfig {
        cfg.user_env = Some("SMTP_USER".to_string());
        cfg.password_env = Some("SMTP_PASSWORD".to_string());
        cfg
    }

    fn plan(server: &str) -> Plan {
        Plan::new(&config(server)).expect("a valid config")
    }

    /// A self-signed CA certificate in PEM.
    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().expect("a key");
        let mut params =
            rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).expect("a CA").pem()
    }

    #[test]
    fn server_urls_give_host_port_and_protection() {
        let cases = [
            (
                "smtp://mail.example.com",
                "mail.example.com",
                587,
                Security::StartTls,
            ),
            (
                "smtp://Mail.Example.com:2525",
                "mail.example.com",
                2525,
                Security::StartTls,
            ),
            (
                "smtps://mail.example.com",
                "mail.example.com",
                465,
                Security::Implicit,
            ),
            (
                "smtps://mail.example.com:4650/",
                "mail.example.com",
                4650,
                Security::Implicit,
            ),
            (
                "smtp://127.0.0.1:25?tls=none",
                "127.0.0.1",
                25,
                Security::None,
            ),
            (
                "smtp://localhost?tls=starttls",
                "localhost",
                587,
                Security::StartTls,
            ),
            ("smtp://[::1]:2525", "::1", 2525, Security::StartTls),
        ];
        for (url, host, port, security) in cases {
            let p = plan(url);
            assert_eq!(
                (p.host.as_str(), p.port, p.security),
                (host, port, security),
                "{url}"
            );
        }
        assert_eq!(plan("smtp://[::1]:2525").server(), "[::1]:2525");
        assert_eq!(
            plan("smtps://mx.example.org").server(),
            "mx.example.org:465"
        );
    }

    #[test]
    fn good_configs_pass() {
        assert_eq!(config("smtp://mail.example.com").validate(), Ok(()));
        assert_eq!(config("smtps://mail.example.com:465").validate(), Ok(()));
        assert_eq!(config("smtp://127.0.0.1:2525?tls=none").validate(), Ok(()));
        assert_eq!(
            with_auth(config("smtp://mail.example.com")).validate(),
            Ok(())
        );
        // A password in plain text is fine to a relay on this machine.
        assert_eq!(
            with_auth(config("smtp://localhost:25?tls=none")).validate(),
            Ok(())
        );

        let mut cfg = config("smtp://mail.example.com");
        cfg.from = "alerts@example.com".to_string();
        cfg.to = vec![
            "Ops <ops@example.com>".to_string(),
            "oncall@example.org".to_string(),
        ];
        assert_eq!(cfg.validate(), Ok(()));

        let dir = tempfile::tempdir().expect("a temporary directory");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, ca_pem()).expect("write the CA");
        cfg.ca_cert = Some(ca);
        assert_eq!(cfg.validate(), Ok(()));
    }

    /// `cfg` fails validation with a one-line message containing `needle`.
    #[track_caller]
    fn rejected(cfg: &EmailConfig, needle: &str) {
        match cfg.validate() {
            Ok(()) => panic!("{cfg:?} passed"),
            Err(e) => {
                assert!(e.contains(needle), "`{e}` does not mention `{needle}`");
                assert!(!e.contains('\n'), "`{e}` is not one line");
            }
        }
    }

    #[test]
    fn bad_server_urls_are_refused() {
        rejected(&config("mail.example.com"), "smtp://host");
        rejected(
            &config("http://mail.example.com"),
            "unsupported scheme `http`",
        );
        rejected(&config("smtp://"), "no host");
        rejected(&config("smtp://mail.example.com:0"), "port 0");
        rejected(&config("smtp://mail.example.com:99999"), "smtp://host");
        rejected(&config("smtp://mail.example.com/inbox"), "path");
        rejected(&config("smtp://mail.example.com#x"), "fragment");
        rejected(&config("smtp://mail.example.com?tls=maybe"), "tls=maybe");
        rejected(
            &config("smtp://mail.example.com?tls=none&tls=none"),
            "twice",
        );
        rejected(&config("smtp://mail.example.com?auth=plain"), "`auth`");
        rejected(
            &config("smtps://mail.example.com?tls=none"),
            "always uses TLS",
        );
        rejected(
            &config("smtp://bad_host!.example.com"),
            "not a valid host name",
        );
    }

    #[test]
    fn credentials_in_the_url_are_refused_without_echoing_them() {
        let cfg = config("smtp://me:hunter2@mail.example.com");
        rejected(&cfg, "must not hold credentials");
        assert!(!cfg.validate().unwrap_err().contains("hunter2"));
        rejected(
            &config("smtps://me@mail.example.com"),
            "must not hold credentials",
        );
    }

    #[test]
    fn bad_addresses_are_refused() {
        let mut cfg = config("smtp://mail.example.com");
        cfg.from = "not an address".to_string();
        rejected(&cfg, "from `not an address`");

        let mut cfg = config("smtp://mail.example.com");
        cfg.to = Vec::new();
        rejected(&cfg, "at least one");

        let mut cfg = config("smtp://mail.example.com");
        cfg.to.push("ops@".to_string());
        rejected(&cfg, "recipient `ops@`");
    }

    #[test]
    fn credential_variables_come_in_pairs() {
        let mut cfg = config("smtp://mail.example.com");
        cfg.user_env = Some("SMTP_USER".to_string());
        rejected(&cfg, "password_env is not");

        let mut cfg = config("smtp://mail.example.com");
        cfg.password_env = Some("SMTP_PASSWORD".to_string());
        rejected(&cfg, "user_env is not");

        let mut cfg = with_auth(config("smtp://mail.example.com"));
        cfg.password_env = Some("A=B".to_string());
        rejected(&cfg, "password_env must name");
    }

    #[test]
    fn passwords_are_not_sent_in_plain_text_to_remote_hosts() {
        rejected(
            &with_auth(config("smtp://mail.example.com?tls=none")),
            "refusing to send a password in plain text",
        );
    }

    #[test]
    fn ca_files_must_exist_and_hold_certificates() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut cfg = config("smtp://mail.example.com");

        cfg.ca_cert = Some(dir.path().join("missing.pem"));
        rejected(&cfg, "cannot read the CA file");

        let text = dir.path().join("text.pem");
        std::fs::write(&text, "hello").expect("write");
        cfg.ca_cert = Some(text);
        rejected(&cfg, "holds no PEM certificate");

        let broken = dir.path().join("broken.pem");
        std::fs::write(
            &broken,
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        )
        .expect("write");
        cfg.ca_cert = Some(broken);
        rejected(&cfg, "broken certificate");

        let good = dir.path().join("ca.pem");
        std::fs::write(&good, ca_pem()).expect("write");
        let mut cfg = config("smtp://127.0.0.1?tls=none");
        cfg.ca_cert = Some(good);
        rejected(&cfg, "no effect with tls=none");
    }

    #[test]
    fn messages_carry_the_expected_headers() {
        let p = plan("smtp://mail.example.com");
        let raw = build_message(&p, "line\r\nBcc: someone@evil.example", "hello\n")
            .expect("a message")
            .formatted();
        let raw = String::from_utf8(raw).expect("ASCII");
        let (head, _) = raw.split_once("\r\n\r\n").expect("headers and body");
        assert!(head.contains("\r\nDate: "), "{head}");
        assert!(head.contains("Message-ID: <"), "{head}");
        assert!(head.contains("@example.com>"), "{head}");
        assert!(head.contains(&format!("X-Mailer: {AGENT}")), "{head}");
        assert!(head.contains(&format!("User-Agent: {AGENT}")), "{head}");
        assert!(
            head.contains("Content-Type: text/plain; charset=utf-8"),
            "{head}"
        );
        // A line break in the subject cannot add a header.
        assert!(!head.contains("\r\nBcc:"), "{head}");
        assert!(
            head.contains("Subject: line  Bcc: someone@evil.example"),
            "{head}"
        );
    }

    #[test]
    fn errors_are_one_line() {
        assert_eq!(
            crate::text::one_line("451 4.7.1 try\r\n  later\n"),
            "451 4.7.1 try later"
        );
        assert_eq!(crate::text::one_line("\n a\tb "), "a b");
    }

    #[test]
    fn host_names_are_checked() {
        assert!(is_host_name("mail.example.com"));
        assert!(is_host_name("mail.example.com."));
        assert!(is_host_name("localhost"));
        assert!(!is_host_name("-bad.example.com"));
        assert!(!is_host_name("a..b"));
        assert!(!is_host_name("sp ace"));
        assert!(is_loopback("127.0.0.2"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("mail.example.com"));
    }
}
