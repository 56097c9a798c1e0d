//! Where a probe taken from a description may go: the target policy.
//!
//! A description is third-party content. Its `servers` (or Swagger
//! `host`) decide where the probes of its operations go, so they are
//! checked before anything is sent:
//!
//! - **never**: link-local addresses (169.254.0.0/16, fe80::/10), cloud
//!   metadata services (169.254.169.254, fd00:ec2::254, 100.100.100.200,
//!   192.0.0.192, `metadata.google.internal` and the like), unspecified
//!   addresses (0.0.0.0/8, `::`), multicast and broadcast;
//! - **loopback** (127.0.0.0/8, `::1`, `localhost`) only when the watch
//!   itself is on a loopback address, or the user allows private targets
//!   for the watch (`--allow-private`);
//! - **private** (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10
//!   CGNAT, fc00::/7) only when the watch itself is on a private address,
//!   or the user allows them;
//! - anything else (public addresses) is allowed.
//!
//! IPv4 addresses written inside IPv6 ones (`::ffff:a.b.c.d`, NAT64
//! `64:ff9b::/96`, 6to4 `2002::/16`) are judged as the IPv4 address.
//! Names are judged by the addresses they resolve to, every one of them:
//! one refused address refuses the name. Probes never follow redirects
//! (a 3xx answer counts as up), so no hop escapes the check.
//!
//! Endpoints the user adds by hand (`health NAME --add URL`) are the
//! user's own choice and are not checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What an address is, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AddrClass {
    Public,
    Loopback,
    Private,
    LinkLocal,
    Metadata,
    Unspecified,
    /// Multicast or broadcast: never one server.
    NotUnicast,
}

impl AddrClass {
    /// Words for messages: "a link-local address".
    pub fn describe(self) -> &'static str {
        match self {
            AddrClass::Public => "a public address",
            AddrClass::Loopback => "a loopback address",
            AddrClass::Private => "a private-network address",
            AddrClass::LinkLocal => "a link-local address",
            AddrClass::Metadata => "a cloud metadata service",
            AddrClass::Unspecified => "an unspecified address",
            AddrClass::NotUnicast => "a multicast or broadcast address",
        }
    }

    /// Refused whatever the watch or the user says.
    pub fn always_refused(self) -> bool {
        matches!(
            self,
            AddrClass::LinkLocal
                | AddrClass::Metadata
                | AddrClass::Unspecified
                | AddrClass::NotUnicast
        )
    }
}

/// Host names of cloud metadata services (compared without a trailing dot,
/// case-insensitively).
const METADATA_NAMES: [&str; 8] = [
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.azure.internal",
    "metadata.platformequinix.com",
    "metadata.packet.net",
];

/// The class of an IP address.
pub fn classify_ip(ip: IpAddr) -> AddrClass {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> AddrClass {
    let [a, b, c, d] = ip.octets();
    match (a, b, c, d) {
        (169, 254, 169, 254) | (100, 100, 100, 200) | (192, 0, 0, 192) => AddrClass::Metadata,
        (169, 254, _, _) => AddrClass::LinkLocal,
        (0, _, _, _) => AddrClass::Unspecified,
        (127, _, _, _) => AddrClass::Loopback,
        (10, _, _, _) | (192, 168, _, _) => AddrClass::Private,
        (172, b, _, _) if (16..=31).contains(&b) => AddrClass::Private,
        (100, b, _, _) if (64..=127).contains(&b) => AddrClass::Private,
        (255, 255, 255, 255) => AddrClass::NotUnicast,
        (a, _, _, _) if (224..=239).contains(&a) => AddrClass::NotUnicast,
        _ => AddrClass::Public,
    }
}

fn classify_v6(ip: Ipv6Addr) -> AddrClass {
    if ip.is_unspecified() {
        return AddrClass::Unspecified;
    }
    if ip.is_loopback() {
        return AddrClass::Loopback;
    }
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    if s == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] {
        return AddrClass::Metadata;
    }
    match s[0] {
        x if x & 0xffc0 == 0xfe80 => AddrClass::LinkLocal,
        x if x & 0xfe00 == 0xfc00 => AddrClass::Private,
        x if x & 0xff00 == 0xff00 => AddrClass::NotUnicast,
        _ => AddrClass::Public,
    }
}

/// An IPv4 address carried inside an IPv6 one: mapped (`::ffff:a.b.c.d`),
/// compatible (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4
/// (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => Some(tail(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(tail(hi, lo)),
        [0x2002, hi, lo, ..] => Some(tail(hi, lo)),
        _ => None,
    }
}

/// The class of a host as written in a URL, when it can be known without
/// resolving it: IP literals, `localhost` and metadata names. `None` for
/// other names.
pub fn classify_host(host: &url::Host<&str>) -> Option<AddrClass> {
    match host {
        url::Host::Ipv4(ip) => Some(classify_v4(*ip)),
        url::Host::Ipv6(ip) => Some(classify_v6(*ip)),
        url::Host::Domain(name) => classify_name(name),
    }
}

/// The class of a host name that is known by its name alone.
pub fn classify_name(name: &str) -> Option<AddrClass> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if METADATA_NAMES.contains(&name.as_str()) {
        Some(AddrClass::Metadata)
    } else if name == "localhost" || name.ends_with(".localhost") {
        Some(AddrClass::Loopback)
    } else {
        None
    }
}

/// What a watch allows its described endpoints to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Policy {
    /// The watch is on a loopback address, or the user allows private
    /// targets.
    pub loopback: bool,
    /// The watch is on a private address, or the user allows them.
    pub private: bool,
}

impl Policy {
    /// Public targets only.
    pub const STRICT: Policy = Policy {
        loopback: false,
        private: false,
    };

    /// The policy of a watch whose own address is of `classes` (empty when
    /// unknown or a file), with the user's `--allow-private`.
    pub fn for_watch(classes: &[AddrClass], allow_private: bool) -> Policy {
        Policy {
            loopback: allow_private || classes.contains(&AddrClass::Loopback),
            private: allow_private || classes.contains(&AddrClass::Private),
        }
    }

    /// Whether an address of `class` may be probed; the reason when not.
    pub fn allows(&self, class: AddrClass) -> Result<(), String> {
        let why = match class {
            AddrClass::Public => return Ok(()),
            AddrClass::Loopback if self.loopback => return Ok(()),
            AddrClass::Private if self.private => return Ok(()),
            AddrClass::Loopback | AddrClass::Private => {
                "allowed only when the watch itself is on such an address or with --allow-private"
            }
            _ => "never probed",
        };
        Err(format!("{} ({why})", class.describe()))
    }

    /// Checks a URL's host as written (IP literals and known names). `Ok`
    /// for names that must be resolved to be judged.
    pub fn check_url(&self, url: &url::Url) -> Result<(), String> {
        let Some(host) = url.host() else {
            return Err(format!("`{url}` has no host"));
        };
        match classify_host(&host) {
            Some(class) => self
                .allows(class)
                .map_err(|why| format!("refused by the target policy: {host} is {why}")),
            None => Ok(()),
        }
    }

    /// Checks every address a name resolved to.
    pub fn check_resolved(&self, name: &str, addrs: &[IpAddr]) -> Result<(), String> {
        for ip in addrs {
            if let Err(why) = self.allows(classify_ip(*ip)) {
                return Err(format!(
                    "refused by the target policy: {name} resolves to {ip}, {why}"
                ));
            }
        }
        Ok(())
    }
}

/// The classes of the address a watch's location is on, found without the
/// network: an IP literal or a known name. `None` when the host is a name
/// that must be resolved; empty for a file.
pub fn watch_classes_literal(location: &str) -> Option<Vec<AddrClass>> {
    let Ok(url) = url::Url::parse(location.trim()) else {
        return Some(Vec::new());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some(Vec::new());
    }
    match url.host() {
        None => Some(Vec::new()),
        Some(host) => classify_host(&host).map(|c| vec![c]),
    }
}

/// The classes of the addresses a watch's location resolves to (empty for
/// a file, or when it cannot be resolved).
pub async fn watch_classes(location: &str) -> Vec<AddrClass> {
    if let Some(classes) = watch_classes_literal(location) {
        return classes;
    }
    let Ok(url) = url::Url::parse(location.trim()) else {
        return Vec::new();
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Vec::new();
    };
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => {
            let mut classes: Vec<AddrClass> = addrs.map(|a| classify_ip(a.ip())).collect();
            classes.sort();
            classes.dedup();
            classes
        }
        Err(_) => Vec::new(),
    }
}

/// Header names a description's parameters may never set: the host,
/// cookies, hop-by-hop and forwarding headers, and the body's length.
pub fn forbidden_header(name: &str) -> bool {
    let name = name.trim().to_ascii_lowercase();
    matches!(
        name.as_str(),
        "host"
            | "cookie"
            | "cookie2"
            | "connection"
            | "keep-alive"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "forwarded"
            | "x-real-ip"
            | "content-length"
            | "via"
    ) || name.starts_with("proxy-")
        || name.starts_with("x-forwarded-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(s: &str) -> AddrClass {
        classify_ip(s.parse().unwrap())
    }

    #[test]
    fn address_classes() {
        for (addr, want) in [
            ("169.254.169.254", AddrClass::Metadata),
            ("fd00:ec2::254", AddrClass::Metadata),
            ("100.100.100.200", AddrClass::Metadata),
            ("192.0.0.192", AddrClass::Metadata),
            ("::ffff:169.254.169.254", AddrClass::Metadata),
            ("64:ff9b::a9fe:a9fe", AddrClass::Metadata),
            ("2002:a9fe:a9fe::1", AddrClass::Metadata),
            ("169.254.1.1", AddrClass::LinkLocal),
            ("fe80::1", AddrClass::LinkLocal),
            ("febf::1", AddrClass::LinkLocal),
            ("0.0.0.0", AddrClass::Unspecified),
            ("0.1.2.3", AddrClass::Unspecified),
            ("::", AddrClass::Unspecified),
            ("127.0.0.1", AddrClass::Loopback),
            ("127.8.9.10", AddrClass::Loopback),
            ("::1", AddrClass::Loopback),
            ("::ffff:127.0.0.1", AddrClass::Loopback),
            ("10.1.2.3", AddrClass::Private),
            ("172.16.0.1", AddrClass::Private),
            ("172.31.255.255", AddrClass::Private),
            ("192.168.1.1", AddrClass::Private),
            ("100.64.0.1", AddrClass::Private),
            ("100.127.255.255", AddrClass::Private),
            ("fc00::1", AddrClass::Private),
            ("fd12:3456::1", AddrClass::Private),
            ("224.0.0.1", AddrClass::NotUnicast),
            ("255.255.255.255", AddrClass::NotUnicast),
            ("ff02::1", AddrClass::NotUnicast),
            ("172.15.0.1", AddrClass::Public),
            ("172.32.0.1", AddrClass::Public),
            ("100.63.0.1", AddrClass::Public),
            ("100.128.0.1", AddrClass::Public),
            ("8.8.8.8", AddrClass::Public),
            ("2606:4700::1111", AddrClass::Public),
            ("fec0::1", AddrClass::Public),
        ] {
            assert_eq!(class(addr), want, "{addr}");
        }
    }

    #[test]
    fn names_known_without_resolving() {
        assert_eq!(
            classify_name("Metadata.Google.Internal."),
            Some(AddrClass::Metadata)
        );
        assert_eq!(classify_name("localhost"), Some(AddrClass::Loopback));
        assert_eq!(classify_name("api.localhost"), Some(AddrClass::Loopback));
        assert_eq!(classify_name("api.example.com"), None);
    }

    #[test]
    fn policies_by_watch_and_consent() {
        let strict = Policy::STRICT;
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(strict.check_url(&url("https://api.example.com/")).is_ok());
        assert!(strict.check_url(&url("https://8.8.8.8/")).is_ok());
        for refused in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://0.0.0.0:8080/",
            "http://[::]/",
            "http://[fe80::1]/",
            "http://127.0.0.1/",
            "http://localhost:8080/",
            "http://10.0.0.5/",
            "http://[fc00::5]/",
            "http://100.64.1.1/",
        ] {
            let err = strict.check_url(&url(refused)).unwrap_err();
            assert!(err.contains("refused by the target policy"), "{err}");
        }
        // A watch on loopback may reach loopback, not the private network.
        let local = Policy::for_watch(&[AddrClass::Loopback], false);
        assert!(local.check_url(&url("http://127.0.0.1:9/")).is_ok());
        assert!(local.check_url(&url("http://10.0.0.5/")).is_err());
        let internal = Policy::for_watch(&[AddrClass::Private], false);
        assert!(internal.check_url(&url("http://192.168.0.9/")).is_ok());
        assert!(internal.check_url(&url("http://127.0.0.1/")).is_err());
        // --allow-private opens both, never the always-refused classes.
        let allowed = Policy::for_watch(&[], true);
        assert!(allowed.check_url(&url("http://10.0.0.5/")).is_ok());
        assert!(allowed.check_url(&url("http://localhost/")).is_ok());
        let err = allowed
            .check_url(&url("http://169.254.169.254/"))
            .unwrap_err();
        assert!(err.contains("cloud metadata"), "{err}");
        assert!(err.contains("never probed"), "{err}");
        // Every resolved address counts.
        let addrs: Vec<IpAddr> = vec![
            "93.184.216.34".parse().unwrap(),
            "169.254.169.254".parse().unwrap(),
        ];
        let err = allowed.check_resolved("evil.example", &addrs).unwrap_err();
        assert!(
            err.contains("evil.example resolves to 169.254.169.254"),
            "{err}"
        );
        assert!(strict.check_resolved("ok.example", &addrs[..1]).is_ok());
    }

    #[test]
    fn literal_watch_classes() {
        assert_eq!(
            watch_classes_literal("http://127.0.0.1:8080/openapi.yaml"),
            Some(vec![AddrClass::Loopback])
        );
        assert_eq!(watch_classes_literal("/tmp/spec.yaml"), Some(vec![]));
        assert_eq!(watch_classes_literal("https://api.example.com/x"), None);
    }

    #[test]
    fn forbidden_headers() {
        for h in [
            "Host",
            "cookie",
            "Connection",
            "Keep-Alive",
            "TE",
            "Trailer",
            "Transfer-Encoding",
            "Upgrade",
            "Proxy-Authorization",
            "Forwarded",
            "X-Forwarded-For",
            "x-forwarded-host",
            "X-Real-IP",
            "Content-Length",
        ] {
            assert!(forbidden_header(h), "{h}");
        }
        for h in ["X-Trace", "Accept-Language", "X-Request-Id"] {
            assert!(!forbidden_header(h), "{h}");
        }
    }
}
