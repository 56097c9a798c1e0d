//! An alert channel as a user declares it — by `apiradar alert add` flags
//! or an `[[alert]]` table of a config file — checked and turned into what
//! the store keeps. Both ways go through [`ChannelDecl::resolve`], so they
//! accept and refuse the same things with the same messages.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::email::EmailConfig;
use crate::store::alerts::{AlertEvent, ChannelKind, NewChannel, RuleFilters, Thresholds};

/// The events a channel gets when it names none.
pub const DEFAULT_EVENTS: &str = "breaking,down,recovered,paused";

/// A channel as declared. Exactly one of `webhook`, `slack`, `discord` and
/// `email` is given.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ChannelDecl {
    pub name: String,
    pub webhook: Option<String>,
    pub slack: Option<String>,
    pub discord: Option<String>,
    /// The SMTP server of an email channel.
    pub email: Option<String>,
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    pub smtp_user_env: Option<String>,
    pub smtp_password_env: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub secret_env: Option<String>,
    /// Events; empty means [`DEFAULT_EVENTS`].
    #[serde(default)]
    pub on: Vec<String>,
    pub watch: Option<String>,
    pub down_after: Option<u32>,
    pub recovered_after: Option<u32>,
    pub remind_every: Option<String>,
    /// How long one delivery may take, e.g. `"30s"`; the default is
    /// [`super::DEFAULT_TIMEOUT`].
    pub timeout: Option<String>,
    /// For `change` and `breaking`: only alerts with a finding whose check
    /// id matches one of these globs (`catalog-price-*`).
    #[serde(default)]
    pub only: Vec<String>,
    /// For `change` and `breaking`: only alerts with a finding at a place
    /// matching one of these globs (`GET /v1/models*`, `*[id=gpt-*`).
    #[serde(default)]
    pub path: Vec<String>,
}

/// A checked channel, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelDef {
    pub name: String,
    pub kind: ChannelKind,
    pub url: String,
    pub secret_env: Option<String>,
    pub options: Option<Value>,
    pub events: Vec<AlertEvent>,
    pub watch: Option<String>,
    pub thresholds: Thresholds,
    /// How long one delivery may take (ms); `None`: the default.
    pub timeout_ms: Option<i64>,
    /// Filters of its `change` and `breaking` rules.
    pub filters: RuleFilters,
}

impl ChannelDef {
    /// The store's view of it.
    pub fn as_new(&self) -> NewChannel<'_> {
        NewChannel {
            name: &self.name,
            kind: self.kind,
            url: &self.url,
            secret_env: self.secret_env.as_deref(),
            options: self.options.clone(),
            events: &self.events,
            watch: self.watch.as_deref(),
            thresholds: self.thresholds,
            from_config: false,
            timeout_ms: self.timeout_ms,
            filters: self.filters.clone(),
        }
    }
}

impl ChannelDecl {
    /// Checks the declaration. Relative paths (`ca_cert`) are taken from
    /// `folder`. The error is one line naming the setting (as a flag name
    /// without the dashes, which is also the config key).
    pub fn resolve(&self, folder: &Path) -> Result<ChannelDef, String> {
        crate::watch::validate_name(&self.name).map_err(|e| e.to_string())?;
        let given: Vec<(ChannelKind, &String)> = [
            (ChannelKind::Webhook, &self.webhook),
            (ChannelKind::Slack, &self.slack),
            (ChannelKind::Discord, &self.discord),
            (ChannelKind::Email, &self.email),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        let (kind, url) = match given.as_slice() {
            [one] => *one,
            [] => return Err("give one of webhook, slack, discord or email".into()),
            _ => {
                let kinds: Vec<&str> = given.iter().map(|(k, _)| k.as_str()).collect();
                return Err(format!(
                    "give only one of webhook, slack, discord or email, not {}",
                    kinds.join(" and ")
                ));
            }
        };
        let mut options = None;
        if kind == ChannelKind::Email {
            let from = self
                .from
                .clone()
                .ok_or("an email channel needs `from` (the sender)")?;
            let to: Vec<String> = self
                .to
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
            if to.is_empty() {
                return Err("an email channel needs `to` (one or more recipients)".into());
            }
            let cfg = EmailConfig {
                server: url.clone(),
                from,
                to,
                user_env: self.smtp_user_env.clone(),
                password_env: self.smtp_password_env.clone(),
                ca_cert: self.ca_cert.as_ref().map(|p| {
                    let p = folder.join(p);
                    std::path::absolute(&p).unwrap_or(p)
                }),
            };
            cfg.validate().map_err(|e| format!("email: {e}"))?;
            options = serde_json::to_value(&cfg).ok();
        } else {
            let email_only = [
                ("from", self.from.is_some()),
                ("to", !self.to.is_empty()),
                ("smtp_user_env", self.smtp_user_env.is_some()),
                ("smtp_password_env", self.smtp_password_env.is_some()),
                ("ca_cert", self.ca_cert.is_some()),
            ];
            if let Some((key, _)) = email_only.iter().find(|(_, set)| *set) {
                return Err(format!("{key} is for email channels"));
            }
            if kind != ChannelKind::Webhook && !url.contains("${") {
                return Err(format!(
                    "a {kind} webhook URL carries its token: give it as an environment variable reference, e.g. '${{{}_WEBHOOK}}'",
                    kind.as_str().to_ascii_uppercase()
                ));
            }
        }
        if self.secret_env.is_some() && kind != ChannelKind::Webhook {
            return Err("secret_env is for webhook channels".into());
        }
        let on: Vec<&str> = if self.on.is_empty() {
            DEFAULT_EVENTS.split(',').collect()
        } else {
            self.on.iter().map(|e| e.trim()).collect()
        };
        let events = on
            .iter()
            .map(|e| {
                AlertEvent::parse(e)
                    .filter(|e| *e != AlertEvent::Test)
                    .ok_or_else(|| {
                        format!(
                            "unknown event `{e}`: use breaking, change, down, recovered, paused or caching"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let defaults = Thresholds::default();
        let count = |key: &str, v: Option<u32>, default: u32| match v {
            None => Ok(default),
            Some(n) if (1..=1000).contains(&n) => Ok(n),
            Some(n) => Err(format!("{key} must be between 1 and 1000, not {n}")),
        };
        let remind_every_ms = match &self.remind_every {
            Some(d) => {
                let every = humantime::parse_duration(d.trim())
                    .map_err(|_| format!("remind_every: `{d}` is not a duration (e.g. 1h)"))?;
                if every < Duration::from_secs(60) {
                    return Err("remind_every must be at least 1m".into());
                }
                Some(every.as_millis() as i64)
            }
            None => None,
        };
        let timeout_ms = match &self.timeout {
            Some(t) => {
                let timeout = humantime::parse_duration(t.trim())
                    .map_err(|_| format!("timeout: `{t}` is not a duration (e.g. 30s)"))?;
                if !(Duration::from_secs(1)..=super::MAX_TIMEOUT).contains(&timeout) {
                    return Err(format!(
                        "timeout must be between 1s and {}, not {t}",
                        humantime::format_duration(super::MAX_TIMEOUT)
                    ));
                }
                Some(timeout.as_millis() as i64)
            }
            None => None,
        };
        let filters = RuleFilters {
            only: self.only.iter().map(|g| g.trim().to_string()).collect(),
            paths: self.path.iter().map(|g| g.trim().to_string()).collect(),
        };
        if !filters.is_empty()
            && !events
                .iter()
                .any(|e| matches!(e, AlertEvent::Change | AlertEvent::Breaking))
        {
            return Err(
                "only and path filter the findings of `change` and `breaking` alerts; this channel gets neither (add them with `on`)"
                    .into(),
            );
        }
        if let Some(g) = filters.only.iter().find(|g| g.is_empty()) {
            return Err(format!("only: `{g}` is empty"));
        }
        Ok(ChannelDef {
            name: self.name.clone(),
            kind,
            url: url.clone(),
            secret_env: self.secret_env.clone(),
            options,
            events,
            watch: self.watch.clone(),
            thresholds: Thresholds {
                down_after: count("down_after", self.down_after, defaults.down_after)?,
                recovered_after: count(
                    "recovered_after",
                    self.recovered_after,
                    defaults.recovered_after,
                )?,
                remind_every_ms,
            },
            timeout_ms,
            filters,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(name: &str) -> ChannelDecl {
        ChannelDecl {
            name: name.into(),
            ..ChannelDecl::default()
        }
    }

    #[test]
    fn a_webhook_gets_the_default_events_and_thresholds() {
        let d = ChannelDecl {
            webhook: Some("http://127.0.0.1:9/hook".into()),
            ..decl("ops")
        };
        let def = d.resolve(Path::new(".")).unwrap();
        assert_eq!(def.kind, ChannelKind::Webhook);
        assert_eq!(
            def.events,
            vec![
                AlertEvent::Breaking,
                AlertEvent::Down,
                AlertEvent::Recovered,
                AlertEvent::Paused
            ]
        );
        assert_eq!(def.thresholds, Thresholds::default());
        assert_eq!(def.timeout_ms, None, "the sender's default applies");
        let d = ChannelDecl {
            timeout: Some("30s".into()),
            ..d
        };
        assert_eq!(d.resolve(Path::new(".")).unwrap().timeout_ms, Some(30_000));
    }

    #[test]
    fn refusals_name_the_setting() {
        let cases: Vec<(ChannelDecl, &str)> = vec![
            (decl("a"), "give one of"),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    slack: Some("${S}".into()),
                    ..decl("a")
                },
                "not webhook and slack",
            ),
            (
                ChannelDecl {
                    slack: Some("https://hooks.slack.test/T000/B000/secret".into()),
                    ..decl("a")
                },
                "environment variable",
            ),
            (
                ChannelDecl {
                    discord: Some("${D}".into()),
                    secret_env: Some("S".into()),
                    ..decl("a")
                },
                "secret_env is for webhook",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    to: vec!["a@example.com".into()],
                    ..decl("a")
                },
                "to is for email",
            ),
            (
                ChannelDecl {
                    email: Some("smtp://mail.example.com".into()),
                    to: vec!["a@example.com".into()],
                    ..decl("a")
                },
                "needs `from`",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    on: vec!["sometimes".into()],
                    ..decl("a")
                },
                "unknown event `sometimes`",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    down_after: Some(0),
                    ..decl("a")
                },
                "down_after must be between 1 and 1000",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    remind_every: Some("10s".into()),
                    ..decl("a")
                },
                "at least 1m",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    timeout: Some("soon".into()),
                    ..decl("a")
                },
                "timeout: `soon` is not a duration",
            ),
            (
                ChannelDecl {
                    webhook: Some("http://x".into()),
                    timeout: Some("1h".into()),
                    ..decl("a")
                },
                "timeout must be between 1s and 5m",
            ),
        ];
        for (d, expected) in cases {
            let e = d.resolve(Path::new(".")).unwrap_err();
            assert!(e.contains(expected), "{e} should contain {expected}");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn an_email_channel_keeps_its_settings_as_options() {
        let d = ChannelDecl {
            email: Some("smtp://mail.example.com:587".into()),
            from: Some("apiradar <alerts@example.com>".into()),
            to: vec!["ops@example.com".into(), " dev@example.com ".into()],
            smtp_user_env: Some("SMTP_USER".into()),
            smtp_password_env: Some("SMTP_PASSWORD".into()),
            on: vec!["down".into(), "recovered".into()],
            down_after: Some(5),
            remind_every: Some("2h".into()),
            ..decl("mail")
        };
        let def = d.resolve(Path::new(".")).unwrap();
        assert_eq!(def.kind, ChannelKind::Email);
        assert_eq!(def.thresholds.down_after, 5);
        assert_eq!(def.thresholds.remind_every_ms, Some(7_200_000));
        let cfg: EmailConfig = serde_json::from_value(def.options.unwrap()).unwrap();
        assert_eq!(cfg.to, vec!["ops@example.com", "dev@example.com"]);
        assert_eq!(cfg.password_env.as_deref(), Some("SMTP_PASSWORD"));
    }
}
