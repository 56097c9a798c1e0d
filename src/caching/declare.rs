//! A caching target as a user declares it — by `apiradar cache add` flags
//! or a `[[cache]]` table of a config file — checked and turned into what
//! the store keeps. Both ways go through [`TargetDecl::resolve`].

use std::time::Duration;

use serde::Deserialize;

use super::profile::Profile;
use super::suite::TestKind;
use crate::store::caching::{CacheSettings, NewCacheTarget};

/// A target as declared.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetDecl {
    pub name: String,
    /// A built-in profile; `openai` when not given.
    pub profile: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub models: Vec<String>,
    pub min_tokens: Option<u32>,
    pub ttl: Option<String>,
    pub price: Option<f64>,
    pub cached_price: Option<f64>,
    #[serde(default)]
    pub tests: Vec<String>,
    pub every: Option<String>,
    pub daily_budget: Option<i64>,
    #[serde(default)]
    pub ttl_ladder: Vec<String>,
    pub persistence: Option<u32>,
    pub max_prompt_tokens: Option<u32>,
    #[serde(default)]
    pub stream: bool,
    pub cached_field: Option<String>,
    pub api: Option<String>,
    /// Failed runs in a row before a model is flagged [default: 3].
    pub warn_after: Option<u32>,
    /// Failed runs in a row before it rests [default: 5].
    pub rest_after: Option<u32>,
    /// How long it rests (`15m`) [default: 15m].
    pub rest: Option<String>,
    /// Good runs in a row that clear it [default: 2].
    pub clear_after: Option<u32>,
}

/// A checked target, ready for the store.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetDef {
    pub name: String,
    pub profile: Profile,
    pub base_url: String,
    pub api_key_env: Option<String>,
    pub models: Vec<String>,
    pub settings: CacheSettings,
}

impl TargetDef {
    /// The store's view of it.
    pub fn as_new(&self) -> NewCacheTarget<'_> {
        NewCacheTarget {
            name: &self.name,
            profile: &self.profile.name,
            base_url: &self.base_url,
            api_key_env: self.api_key_env.as_deref(),
            models: &self.models,
            settings: &self.settings,
        }
    }
}

fn duration(key: &str, s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|_| format!("{key}: `{s}` is not a duration (e.g. 30s)"))
}

impl TargetDecl {
    /// Checks the declaration; the error is one line naming the setting.
    pub fn resolve(&self) -> Result<TargetDef, String> {
        crate::watch::validate_name(&self.name).map_err(|e| e.to_string())?;
        let wanted = self.profile.as_deref().unwrap_or("openai");
        let profile = Profile::builtin(wanted).ok_or_else(|| {
            format!(
                "unknown profile `{wanted}`: use one of {}",
                Profile::BUILTIN.join(", ")
            )
        })?;
        let base_url = match self.base_url.as_deref().or(profile.base_url.as_deref()) {
            Some(u) => u.to_string(),
            None => {
                return Err(format!(
                    "the {} profile has no default address: give base_url",
                    profile.name
                ));
            }
        };
        let parsed = url::Url::parse(&base_url).map_err(|e| format!("base_url: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("base_url must be http or https".into());
        }
        if let Some(var) = &self.api_key_env
            && (var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            // The value is not repeated: it may be the key itself.
            return Err(
                "api_key_env takes the name of an environment variable, such as OPENAI_API_KEY"
                    .into(),
            );
        }
        let models: Vec<String> = self
            .models
            .iter()
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
        if models.is_empty() {
            return Err("give one or more models".into());
        }
        for t in &self.tests {
            TestKind::parse(t.trim()).ok_or_else(|| {
                format!(
                    "unknown test `{t}`: use identical, sizes, shared-prefix, changed-at-k, persistence, ttl or multi-turn"
                )
            })?;
        }
        let ttl_ladder = self
            .ttl_ladder
            .iter()
            .map(|d| duration("ttl_ladder", d).map(|d| d.as_secs()))
            .collect::<Result<Vec<_>, _>>()?;
        let every = self
            .every
            .as_deref()
            .map(|e| duration("every", e))
            .transpose()?;
        if every.is_some_and(|e| e < Duration::from_secs(60)) {
            return Err("every must be at least 1m".into());
        }
        if let Some(p) = &self.cached_field
            && !p.starts_with('/')
        {
            return Err(format!(
                "cached_field takes a JSON pointer such as /usage/cached_tokens, not `{p}`"
            ));
        }
        if let Some(api) = &self.api
            && api != "chat"
            && api != "messages"
        {
            return Err(format!("api is chat or messages, not `{api}`"));
        }
        if self.daily_budget.is_some_and(|b| b <= 0) {
            return Err("daily_budget must be a positive number of tokens".into());
        }
        for (key, n) in [
            ("warn_after", self.warn_after),
            ("rest_after", self.rest_after),
            ("clear_after", self.clear_after),
        ] {
            if n.is_some_and(|n| !(1..=1000).contains(&n)) {
                return Err(format!("{key} takes a number of runs from 1 to 1000"));
            }
        }
        let rest = self
            .rest
            .as_deref()
            .map(|r| duration("rest", r))
            .transpose()?;
        if rest.is_some_and(|r| r < Duration::from_secs(1) || r > Duration::from_secs(30 * 86_400))
        {
            return Err("rest must be from 1s to 30d".into());
        }
        let settings = CacheSettings {
            min_tokens: self.min_tokens,
            ttl_secs: self
                .ttl
                .as_deref()
                .map(|t| duration("ttl", t))
                .transpose()?
                .map(|d| d.as_secs()),
            price_input: self.price,
            price_cached: self.cached_price,
            tests: self.tests.iter().map(|t| t.trim().to_string()).collect(),
            every_secs: every.map(|d| d.as_secs()),
            daily_budget: self.daily_budget,
            ttl_ladder,
            persistence: self.persistence,
            max_prompt_tokens: self.max_prompt_tokens,
            stream: self.stream,
            simulated: false,
            cached_field: self.cached_field.clone(),
            api: self.api.clone(),
            warn_after: self.warn_after,
            rest_after: self.rest_after,
            rest_secs: rest.map(|r| r.as_secs()),
            clear_after: self.clear_after,
        };
        Ok(TargetDef {
            name: self.name.clone(),
            profile,
            base_url,
            api_key_env: self.api_key_env.clone(),
            models,
            settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl() -> TargetDecl {
        TargetDecl {
            name: "local".into(),
            profile: Some("llamacpp".into()),
            base_url: Some("http://127.0.0.1:8080/v1".into()),
            models: vec!["smollm".into()],
            ..TargetDecl::default()
        }
    }

    #[test]
    fn a_declaration_becomes_settings() {
        let d = TargetDecl {
            tests: vec!["identical".into(), " ttl".into()],
            ttl_ladder: vec!["5s".into(), "2m".into()],
            every: Some("6h".into()),
            daily_budget: Some(50_000),
            ..decl()
        };
        let def = d.resolve().unwrap();
        assert_eq!(def.profile.name, "llamacpp");
        assert_eq!(def.settings.tests, vec!["identical", "ttl"]);
        assert_eq!(def.settings.ttl_ladder, vec![5, 120]);
        assert_eq!(def.settings.every_secs, Some(21_600));
        assert_eq!(def.settings.daily_budget, Some(50_000));
        // The cooldown: defaults unless declared.
        assert_eq!(def.settings.cooldown().rest_ms, 15 * 60_000);
        let d = TargetDecl {
            warn_after: Some(2),
            rest_after: Some(4),
            rest: Some("1h".into()),
            clear_after: Some(3),
            ..decl()
        };
        let c = d.resolve().unwrap().settings.cooldown();
        assert_eq!(
            (c.warn_after, c.rest_after, c.rest_ms, c.clear_after),
            (2, 4, 3_600_000, 3)
        );
    }

    #[test]
    fn refusals_name_the_setting() {
        let cases: Vec<(TargetDecl, &str)> = vec![
            (
                TargetDecl {
                    profile: Some("acme".into()),
                    ..decl()
                },
                "unknown profile `acme`",
            ),
            (
                TargetDecl {
                    base_url: Some("ftp://x".into()),
                    ..decl()
                },
                "http or https",
            ),
            (
                TargetDecl {
                    api_key_env: Some("sk-live-123".into()),
                    ..decl()
                },
                "api_key_env takes the name",
            ),
            (
                TargetDecl {
                    models: vec![" ".into()],
                    ..decl()
                },
                "models",
            ),
            (
                TargetDecl {
                    tests: vec!["vibes".into()],
                    ..decl()
                },
                "unknown test `vibes`",
            ),
            (
                TargetDecl {
                    every: Some("10s".into()),
                    ..decl()
                },
                "at least 1m",
            ),
            (
                TargetDecl {
                    cached_field: Some("usage.cached".into()),
                    ..decl()
                },
                "JSON pointer",
            ),
            (
                TargetDecl {
                    daily_budget: Some(0),
                    ..decl()
                },
                "daily_budget",
            ),
            (
                TargetDecl {
                    rest_after: Some(0),
                    ..decl()
                },
                "rest_after takes a number of runs",
            ),
            (
                TargetDecl {
                    rest: Some("forever".into()),
                    ..decl()
                },
                "rest: `forever` is not a duration",
            ),
            (
                TargetDecl {
                    rest: Some("0s".into()),
                    ..decl()
                },
                "rest must be from 1s to 30d",
            ),
        ];
        for (d, expected) in cases {
            let e = d.resolve().unwrap_err();
            assert!(e.contains(expected), "{e} should contain {expected}");
            assert!(!e.contains("sk-live"), "{e}");
        }
    }
}
