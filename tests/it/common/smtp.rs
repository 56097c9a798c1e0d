//! An SMTP receiver on 127.0.0.1 for tests: enough ESMTP for a submission
//! client (EHLO/HELO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA
//! with dot-unstuffing, RSET, NOOP, QUIT), in plain text, with STARTTLS or
//! with TLS from the first byte, under a throw-away CA whose PEM the test
//! can hand to the client.
//!
//! It runs as tasks on the test's own tokio runtime (start it from inside
//! `#[tokio::test]`) and stops when dropped. Every accepted message is
//! recorded ([`SmtpServer::messages`]), and it can be told to require a
//! login, to answer the first transactions with 451, to refuse given
//! recipients, or to accept connections and never greet.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// How a connection starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Plain text throughout; STARTTLS is not offered.
    Plain,
    /// Plain text, offering STARTTLS (and AUTH only once encrypted).
    StartTls,
    /// TLS from the first byte.
    Implicit,
}

/// Where the temporary failures of [`SmtpOptions::fail_first`] are given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailAt {
    /// At the first RCPT TO of the transaction (greylisting style).
    Rcpt,
    /// After the message data has been received.
    DataEnd,
}

/// What the receiver does; [`SmtpOptions::new`] gives a well-behaved one.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    pub mode: Mode,
    /// When set, MAIL is refused with 530 until a login with exactly this
    /// user and password; other credentials get 535.
    pub require_auth: Option<(String, String)>,
    /// How many transactions to answer with 451 before accepting.
    pub fail_first: usize,
    pub fail_at: FailAt,
    /// Recipients refused with 550.
    pub reject: Vec<String>,
    /// Accept connections but never say anything.
    pub silent: bool,
    /// The login methods advertised (`PLAIN LOGIN` unless told).
    pub mechanisms: String,
}

impl SmtpOptions {
    pub fn new(mode: Mode) -> SmtpOptions {
        SmtpOptions {
            mode,
            require_auth: None,
            fail_first: 0,
            fail_at: FailAt::DataEnd,
            reject: Vec::new(),
            silent: false,
            mechanisms: "PLAIN LOGIN".to_string(),
        }
    }

    pub fn require_auth(mut self, user: &str, password: &str) -> SmtpOptions {
        self.require_auth = Some((user.to_string(), password.to_string()));
        self
    }

    pub fn fail_first(mut self, n: usize, at: FailAt) -> SmtpOptions {
        self.fail_first = n;
        self.fail_at = at;
        self
    }

    pub fn reject(mut self, recipient: &str) -> SmtpOptions {
        self.reject.push(recipient.to_string());
        self
    }

    pub fn silent(mut self) -> SmtpOptions {
        self.silent = true;
        self
    }

    /// Advertises only these login methods (space-separated), for example
    /// `LOGIN` to make a client fall back to it.
    pub fn mechanisms(mut self, mechanisms: &str) -> SmtpOptions {
        self.mechanisms = mechanisms.to_string();
        self
    }
}

/// One message the receiver accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The EHLO or HELO argument last given.
    pub helo: String,
    /// The MAIL FROM address, without angle brackets.
    pub from: String,
    /// The RCPT TO addresses, without angle brackets.
    pub to: Vec<String>,
    /// The message as received, dot-unstuffed, lines ending in CRLF,
    /// without the final `.` line.
    pub data: Vec<u8>,
    /// The user name and password of the session's login attempt, if any.
    pub auth: Option<(String, String)>,
    /// Whether the session was encrypted when the message came.
    pub encrypted: bool,
}

impl Received {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The value of the first header called `name` (case-insensitive),
    /// with folded lines joined.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut() {
                if line.starts_with([' ', '\t']) {
                    v.push_str(line);
                    continue;
                }
                break;
            }
            if let Some((n, v)) = line.split_once(':')
                && n.eq_ignore_ascii_case(name)
            {
                value = Some(v.trim_start().to_string());
            }
        }
        value
    }

    /// The body: everything after the blank line ending the headers.
    pub fn body(&self) -> String {
        let text = self.text();
        match text.split_once("\r\n\r\n") {
            Some((_, body)) => body.to_string(),
            None => String::new(),
        }
    }
}

#[derive(Default)]
struct State {
    messages: Vec<Received>,
    connections: usize,
    failed: usize,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running receiver; stops (with every open session) when dropped.
pub struct SmtpServer {
    addr: SocketAddr,
    mode: Mode,
    ca_pem: String,
    state: Shared,
    task: JoinHandle<()>,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SmtpServer {
    /// A well-behaved receiver in `mode`.
    pub async fn start(mode: Mode) -> SmtpServer {
        SmtpServer::start_with(SmtpOptions::new(mode)).await
    }

    pub async fn start_with(options: SmtpOptions) -> SmtpServer {
        let (ca_pem, config) = tls_config();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local address");
        let state = Shared::default();
        let mode = options.mode;
        let options = Arc::new(options);
        let shared = Arc::clone(&state);
        let task = tokio::spawn(async move {
            // Sessions live in the set, so aborting this task ends them too.
            let mut sessions = JoinSet::new();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                lock(&shared).connections += 1;
                let options = Arc::clone(&options);
                let acceptor = acceptor.clone();
                let shared = Arc::clone(&shared);
                sessions.spawn(async move {
                    let _ = session(tcp, acceptor, &options, &shared).await;
                });
                // Forget finished sessions.
                while sessions.try_join_next().is_some() {}
            }
        });
        SmtpServer {
            addr,
            mode,
            ca_pem,
            state,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The server URL for apiradar's email settings, on 127.0.0.1.
    pub fn url(&self) -> String {
        match self.mode {
            Mode::Plain => format!("smtp://127.0.0.1:{}?tls=none", self.port()),
            Mode::StartTls => format!("smtp://127.0.0.1:{}", self.port()),
            Mode::Implicit => format!("smtps://127.0.0.1:{}", self.port()),
        }
    }

    /// The PEM of the CA that signed the server's certificate (for
    /// `localhost` and 127.0.0.1).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The messages accepted so far.
    pub fn messages(&self) -> Vec<Received> {
        lock(&self.state).messages.clone()
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> usize {
        lock(&self.state).connections
    }
}

/// A fresh CA and a certificate for `localhost` and 127.0.0.1 signed by
/// it; returns the CA's PEM and a server configuration (ring provider).
fn tls_config() -> (String, rustls::ServerConfig) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("the CA");
    let key = KeyPair::generate().expect("a key");
    let params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    let cert = params
        .signed_by(&key, &ca, &ca_key)
        .expect("the certificate");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
    )
    .expect("a server config");
    (ca.pem(), config)
}

// ---------------------------------------------------------------------------
// One session

enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// The longest command or data line taken.
const MAX_LINE: usize = 64 * 1024;

struct Conn {
    stream: Option<Stream>,
    buf: Vec<u8>,
}

impl Conn {
    fn encrypted(&self) -> bool {
        matches!(self.stream, Some(Stream::Tls(_)))
    }

    async fn write(&mut self, text: &str) -> io::Result<()> {
        match self.stream.as_mut() {
            Some(Stream::Plain(s)) => {
                s.write_all(text.as_bytes()).await?;
                s.flush().await
            }
            Some(Stream::Tls(s)) => {
                s.write_all(text.as_bytes()).await?;
                s.flush().await
            }
            None => Err(io::Error::other("no stream")),
        }
    }

    async fn reply(&mut self, text: &str) -> io::Result<()> {
        self.write(&format!("{text}\r\n")).await
    }

    /// The next line without its CRLF (or LF), or `None` at end of input.
    async fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(line));
            }
            if self.buf.len() > MAX_LINE {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
            }
            let mut chunk = [0u8; 4096];
            let n = match self.stream.as_mut() {
                Some(Stream::Plain(s)) => s.read(&mut chunk).await?,
                Some(Stream::Tls(s)) => s.read(&mut chunk).await?,
                None => 0,
            };
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    async fn text_line(&mut self) -> io::Result<Option<String>> {
        Ok(self
            .line()
            .await?
            .map(|l| String::from_utf8_lossy(&l).into_owned()))
    }

    async fn upgrade(&mut self, acceptor: &TlsAcceptor) -> io::Result<()> {
        // Anything sent after STARTTLS in plain text is dropped, as a real
        // server must.
        self.buf.clear();
        match self.stream.take() {
            Some(Stream::Plain(tcp)) => {
                let tls = acceptor.accept(tcp).await?;
                self.stream = Some(Stream::Tls(Box::new(tls)));
                Ok(())
            }
            other => {
                self.stream = other;
                Err(io::Error::other("already encrypted"))
            }
        }
    }
}

/// The transaction in progress.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    to: Vec<String>,
}

async fn session(
    tcp: TcpStream,
    acceptor: TlsAcceptor,
    options: &SmtpOptions,
    state: &Shared,
) -> io::Result<()> {
    if options.silent {
        // Hold the connection open without a word until the server stops.
        let _tcp = tcp;
        std::future::pending::<()>().await;
        return Ok(());
    }
    let stream = if options.mode == Mode::Implicit {
        Stream::Tls(Box::new(acceptor.accept(tcp).await?))
    } else {
        Stream::Plain(tcp)
    };
    let mut conn = Conn {
        stream: Some(stream),
        buf: Vec::new(),
    };
    conn.reply("220 localhost ESMTP apiradar-test ready")
        .await?;

    let mut helo = String::new();
    let mut auth: Option<(String, String)> = None;
    let mut authed = false;
    let mut tx = Transaction::default();

    while let Some(line) = conn.text_line().await? {
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        match verb.as_str() {
            "EHLO" => {
                helo = arg;
                tx = Transaction::default();
                let mut lines = vec!["localhost greets you".to_string()];
                lines.push("8BITMIME".to_string());
                lines.push("SMTPUTF8".to_string());
                lines.push("SIZE 10485760".to_string());
                if options.mode == Mode::StartTls && !conn.encrypted() {
                    lines.push("STARTTLS".to_string());
                }
                if options.mode != Mode::StartTls || conn.encrypted() {
                    lines.push(format!("AUTH {}", options.mechanisms));
                }
                let last = lines.len() - 1;
                let mut text = String::new();
                for (i, l) in lines.iter().enumerate() {
                    let sep = if i == last { ' ' } else { '-' };
                    text.push_str(&format!("250{sep}{l}\r\n"));
                }
                conn.write(&text).await?;
            }
            "HELO" => {
                helo = arg;
                tx = Transaction::default();
                conn.reply("250 localhost").await?;
            }
            "STARTTLS" => {
                if options.mode != Mode::StartTls {
                    conn.reply("502 5.5.1 STARTTLS not offered").await?;
                } else if conn.encrypted() {
                    conn.reply("503 5.5.1 already encrypted").await?;
                } else {
                    conn.reply("220 2.0.0 go ahead").await?;
                    conn.upgrade(&acceptor).await?;
                    // The session starts over.
                    helo.clear();
                    auth = None;
                    authed = false;
                    tx = Transaction::default();
                }
            }
            "AUTH" => {
                if authed {
                    conn.reply("503 5.5.1 already logged in").await?;
                    continue;
                }
                let Some(seen) = read_auth(&mut conn, &arg, &options.mechanisms).await? else {
                    continue;
                };
                let ok = match &options.require_auth {
                    Some(expected) => *expected == seen,
                    None => true,
                };
                auth = Some(seen);
                if ok {
                    authed = true;
                    conn.reply("235 2.7.0 authentication succeeded").await?;
                } else {
                    conn.reply("535 5.7.8 authentication credentials invalid")
                        .await?;
                }
            }
            "MAIL" => {
                if options.require_auth.is_some() && !authed {
                    conn.reply("530 5.7.0 authentication required").await?;
                } else if tx.from.is_some() {
                    conn.reply("503 5.5.1 nested MAIL command").await?;
                } else if let Some(from) = path_arg(&arg, "FROM:") {
                    tx.from = Some(from);
                    conn.reply("250 2.1.0 sender ok").await?;
                } else {
                    conn.reply("501 5.5.4 syntax: MAIL FROM:<address>").await?;
                }
            }
            "RCPT" => {
                let Some(to) = path_arg(&arg, "TO:") else {
                    conn.reply("501 5.5.4 syntax: RCPT TO:<address>").await?;
                    continue;
                };
                if tx.from.is_none() {
                    conn.reply("503 5.5.1 need MAIL first").await?;
                } else if options.fail_at == FailAt::Rcpt
                    && tx.to.is_empty()
                    && take_failure(state, options)
                {
                    tx = Transaction::default();
                    conn.reply("451 4.7.1 greylisted, try again later").await?;
                } else if options.reject.iter().any(|r| r.eq_ignore_ascii_case(&to)) {
                    conn.reply(&format!("550 5.1.1 <{to}>: no such user"))
                        .await?;
                } else {
                    tx.to.push(to);
                    conn.reply("250 2.1.5 recipient ok").await?;
                }
            }
            "DATA" => {
                if tx.to.is_empty() {
                    conn.reply("503 5.5.1 need RCPT first").await?;
                    continue;
                }
                conn.reply("354 end data with <CR><LF>.<CR><LF>").await?;
                let mut data = Vec::new();
                loop {
                    let Some(line) = conn.line().await? else {
                        return Ok(());
                    };
                    if line == b"." {
                        break;
                    }
                    let line = line.strip_prefix(b".").unwrap_or(&line);
                    data.extend_from_slice(line);
                    data.extend_from_slice(b"\r\n");
                }
                let done = std::mem::take(&mut tx);
                if options.fail_at == FailAt::DataEnd && take_failure(state, options) {
                    conn.reply("451 4.3.0 temporary failure, try again later")
                        .await?;
                } else {
                    lock(state).messages.push(Received {
                        helo: helo.clone(),
                        from: done.from.unwrap_or_default(),
                        to: done.to,
                        data,
                        auth: auth.clone(),
                        encrypted: conn.encrypted(),
                    });
                    conn.reply("250 2.0.0 queued").await?;
                }
            }
            "RSET" => {
                tx = Transaction::default();
                conn.reply("250 2.0.0 reset").await?;
            }
            "NOOP" => conn.reply("250 2.0.0 ok").await?,
            "QUIT" => {
                conn.reply("221 2.0.0 bye").await?;
                return Ok(());
            }
            _ => conn.reply("500 5.5.2 command not recognized").await?,
        }
    }
    Ok(())
}

/// Whether this transaction is one of the first `fail_first`, counting it.
fn take_failure(state: &Shared, options: &SmtpOptions) -> bool {
    let mut state = lock(state);
    if state.failed < options.fail_first {
        state.failed += 1;
        true
    } else {
        false
    }
}

/// The address in `FROM:<a> …` or `TO:<a> …` (`prefix` case-insensitive).
fn path_arg(arg: &str, prefix: &str) -> Option<String> {
    let head = arg.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = arg[prefix.len()..].trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some(rest[..end].to_string())
}

/// Runs an AUTH exchange; returns the user and password given, or `None`
/// when the exchange was refused or cancelled (the reply already sent).
async fn read_auth(
    conn: &mut Conn,
    arg: &str,
    offered: &str,
) -> io::Result<Option<(String, String)>> {
    let (mechanism, initial) = match arg.split_once(' ') {
        Some((m, i)) => (m.to_ascii_uppercase(), Some(i.trim().to_string())),
        None => (arg.to_ascii_uppercase(), None),
    };
    if !offered
        .split_whitespace()
        .any(|m| m.eq_ignore_ascii_case(&mechanism))
    {
        conn.reply("504 5.5.4 mechanism not offered").await?;
        return Ok(None);
    }
    // Asks for one more base64 line; `None` when cancelled or broken.
    async fn ask(conn: &mut Conn, prompt: &str) -> io::Result<Option<Vec<u8>>> {
        conn.reply(&format!("334 {prompt}")).await?;
        let Some(line) = conn.text_line().await? else {
            return Ok(None);
        };
        if line.trim() == "*" {
            conn.reply("501 5.7.0 authentication cancelled").await?;
            return Ok(None);
        }
        match base64_decode(line.trim()) {
            Some(v) => Ok(Some(v)),
            None => {
                conn.reply("501 5.5.2 invalid base64").await?;
                Ok(None)
            }
        }
    }
    match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(i) if i != "=" => match base64_decode(&i) {
                    Some(v) => v,
                    None => {
                        conn.reply("501 5.5.2 invalid base64").await?;
                        return Ok(None);
                    }
                },
                _ => match ask(conn, "").await? {
                    Some(v) => v,
                    None => return Ok(None),
                },
            };
            // authzid NUL authcid NUL password
            let parts: Vec<&[u8]> = response.split(|&b| b == 0).collect();
            if parts.len() != 3 {
                conn.reply("501 5.5.2 malformed PLAIN response").await?;
                return Ok(None);
            }
            Ok(Some((
                String::from_utf8_lossy(parts[1]).into_owned(),
                String::from_utf8_lossy(parts[2]).into_owned(),
            )))
        }
        "LOGIN" => {
            let user = match initial.as_deref().map(base64_decode) {
                Some(Some(v)) => v,
                Some(None) => {
                    conn.reply("501 5.5.2 invalid base64").await?;
                    return Ok(None);
                }
                // "Username:" and "Password:" in base64.
                None => match ask(conn, "VXNlcm5hbWU6").await? {
                    Some(v) => v,
                    None => return Ok(None),
                },
            };
            let Some(password) = ask(conn, "UGFzc3dvcmQ6").await? else {
                return Ok(None);
            };
            Ok(Some((
                String::from_utf8_lossy(&user).into_owned(),
                String::from_utf8_lossy(&password).into_owned(),
            )))
        }
        _ => {
            conn.reply("504 5.5.4 mechanism not supported").await?;
            Ok(None)
        }
    }
}

/// Decodes standard base64 (padding optional); `None` if malformed.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let s = s.trim_end_matches('=').as_bytes();
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    for chunk in s.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}
