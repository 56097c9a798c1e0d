//! Provider profiles: how to talk to an LLM API and what it promises
//! about prompt caching.
//!
//! A profile says which API shape to use (OpenAI-style chat completions or
//! Anthropic messages), how the key is sent, where the response reports
//! cached tokens, the smallest prompt the provider caches, how long it says
//! an entry lives, and the prices that turn cached tokens into money saved.
//! The built-in figures are the providers' published defaults at the time
//! of writing; every one of them can be overridden per target
//! (`apiradar cache add … --min-tokens --ttl --price --cached-price`).

use serde::{Deserialize, Serialize};

use crate::store::caching::CacheTarget;

/// The request and response shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Api {
    /// `POST {base}/chat/completions`.
    Chat,
    /// `POST {base}/messages`, with `cache_control` markers on the prefix.
    Messages,
}

/// Where a response reports cached prompt tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CachedField {
    /// `usage.prompt_tokens_details.cached_tokens` (OpenAI and most
    /// compatible servers; Venice also reports `cache_creation_input_tokens`
    /// there).
    OpenAi,
    /// `usage.prompt_cache_hit_tokens` / `prompt_cache_miss_tokens`.
    DeepSeek,
    /// `usage.cache_read_input_tokens` / `cache_creation_input_tokens`;
    /// `input_tokens` counts only the uncached rest.
    Anthropic,
    /// A JSON pointer into the response (`/usage/cached`), for providers
    /// of one's own.
    Pointer(String),
}

/// How the key travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// `Authorization: Bearer KEY`.
    Bearer,
    /// `x-api-key: KEY` and `anthropic-version`.
    XApiKey,
}

/// Where a provider tells the account's balance, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Balance {
    /// `GET {origin}/user/balance`: `is_available` and `balance_infos`.
    DeepSeek,
    /// `GET {base}/credits`: `data.total_credits` and `data.total_usage`.
    OpenRouter,
    /// `GET {base}/billing/balance`: `canConsume`, `consumptionCurrency`
    /// and `balances.diem` / `balances.usd`.
    Venice,
}

/// A provider's API and caching promises.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub api: Api,
    pub auth: Auth,
    pub cached_field: CachedField,
    /// The base URL when the user gives none (ends before `/chat/...`).
    pub base_url: Option<String>,
    /// Prompts shorter than this many tokens are not cached.
    pub min_tokens: u32,
    /// How long an unused entry lives, as documented (`None`: no promise).
    pub ttl_secs: Option<u64>,
    /// US dollars per million uncached and cached input tokens.
    pub price_input: f64,
    pub price_cached: f64,
    /// Whether the server keeps one prompt at a time (a new prompt evicts
    /// the previous one), so tests must not interleave prompts.
    pub single_slot: bool,
    /// How to read the account's balance, where the provider offers it.
    pub balance: Option<Balance>,
}

impl Profile {
    fn new(name: &str, cached_field: CachedField, base_url: Option<&str>) -> Profile {
        Profile {
            name: name.to_owned(),
            api: Api::Chat,
            auth: Auth::Bearer,
            cached_field,
            base_url: base_url.map(str::to_owned),
            min_tokens: 1024,
            ttl_secs: Some(300),
            price_input: 0.0,
            price_cached: 0.0,
            single_slot: false,
            balance: None,
        }
    }

    /// The built-in profile `name`.
    pub fn builtin(name: &str) -> Option<Profile> {
        let p = match name {
            "openai" => Profile {
                price_input: 0.15,
                price_cached: 0.075,
                ..Profile::new(name, CachedField::OpenAi, Some("https://api.openai.com/v1"))
            },
            "venice" => Profile {
                price_input: 0.5,
                price_cached: 0.25,
                balance: Some(Balance::Venice),
                ..Profile::new(
                    name,
                    CachedField::OpenAi,
                    Some("https://api.venice.ai/api/v1"),
                )
            },
            "openrouter" => Profile {
                balance: Some(Balance::OpenRouter),
                ..Profile::new(
                    name,
                    CachedField::OpenAi,
                    Some("https://openrouter.ai/api/v1"),
                )
            },
            "together" => Profile::new(
                name,
                CachedField::OpenAi,
                Some("https://api.together.xyz/v1"),
            ),
            "vllm" => Profile {
                min_tokens: 16,
                ttl_secs: None,
                ..Profile::new(name, CachedField::OpenAi, None)
            },
            "llamacpp" => Profile {
                min_tokens: 0,
                ttl_secs: None,
                single_slot: true,
                ..Profile::new(name, CachedField::OpenAi, None)
            },
            "deepseek" => Profile {
                min_tokens: 64,
                ttl_secs: None,
                price_input: 0.27,
                price_cached: 0.07,
                balance: Some(Balance::DeepSeek),
                ..Profile::new(
                    name,
                    CachedField::DeepSeek,
                    Some("https://api.deepseek.com/v1"),
                )
            },
            "anthropic" => Profile {
                api: Api::Messages,
                auth: Auth::XApiKey,
                price_input: 3.0,
                price_cached: 0.3,
                ..Profile::new(
                    name,
                    CachedField::Anthropic,
                    Some("https://api.anthropic.com/v1"),
                )
            },
            "gemini" => Profile {
                ttl_secs: Some(3600),
                price_input: 0.3,
                price_cached: 0.075,
                ..Profile::new(
                    name,
                    CachedField::OpenAi,
                    Some("https://generativelanguage.googleapis.com/v1beta/openai"),
                )
            },
            _ => return None,
        };
        Some(p)
    }

    /// The names of the built-in profiles.
    pub const BUILTIN: [&'static str; 9] = [
        "openai",
        "venice",
        "openrouter",
        "together",
        "vllm",
        "llamacpp",
        "deepseek",
        "anthropic",
        "gemini",
    ];

    /// Dollars saved by `cached` tokens read from the cache.
    pub fn saved(&self, cached: i64) -> f64 {
        cached.max(0) as f64 * (self.price_input - self.price_cached) / 1e6
    }
}

/// A target's profile with its overrides applied (a stored profile name
/// this build does not know falls back to `openai`).
pub fn resolved(target: &CacheTarget) -> Profile {
    let mut p = Profile::builtin(&target.profile)
        .or_else(|| Profile::builtin("openai"))
        .unwrap_or_else(|| unreachable_profile(&target.profile));
    let s = &target.settings;
    if let Some(v) = s.min_tokens {
        p.min_tokens = v;
    }
    if let Some(v) = s.ttl_secs {
        p.ttl_secs = Some(v);
    }
    if let Some(v) = s.price_input {
        p.price_input = v;
    }
    if let Some(v) = s.price_cached {
        p.price_cached = v;
    }
    match s.api.as_deref() {
        Some("messages") => {
            p.api = Api::Messages;
            p.auth = Auth::XApiKey;
            p.cached_field = CachedField::Anthropic;
        }
        Some("chat") => {
            p.api = Api::Chat;
            p.auth = Auth::Bearer;
            if p.cached_field == CachedField::Anthropic {
                p.cached_field = CachedField::OpenAi;
            }
        }
        _ => {}
    }
    if let Some(pointer) = &s.cached_field {
        p.cached_field = CachedField::Pointer(pointer.clone());
    }
    p
}

// `openai` is always built in; this only keeps the code free of panics.
fn unreachable_profile(name: &str) -> Profile {
    Profile {
        name: name.to_owned(),
        api: Api::Chat,
        auth: Auth::Bearer,
        cached_field: CachedField::OpenAi,
        base_url: None,
        min_tokens: 1024,
        ttl_secs: None,
        price_input: 0.0,
        price_cached: 0.0,
        single_slot: false,
        balance: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_profile_exists_and_is_consistent() {
        for name in Profile::BUILTIN {
            let p = Profile::builtin(name).expect(name);
            assert_eq!(p.name, name);
            assert!(p.price_cached <= p.price_input, "{name}");
            assert_eq!(p.api == Api::Messages, p.auth == Auth::XApiKey, "{name}");
        }
        assert!(Profile::builtin("nope").is_none());
    }

    #[test]
    fn savings_use_the_price_difference() {
        let p = Profile::builtin("anthropic").expect("profile");
        assert!((p.saved(1_000_000) - 2.7).abs() < 1e-9);
        assert_eq!(p.saved(-5), 0.0);
    }
}
