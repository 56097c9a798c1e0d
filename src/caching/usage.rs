//! Reading token usage from a provider's response, with "not reported"
//! kept apart from zero: a provider that stops sending the cached-token
//! field is a different problem from one whose cache stopped hitting.

use serde::Serialize;
use serde_json::Value;

use super::profile::CachedField;

/// The tokens of one request, as the provider reported them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Every prompt token, cached or not.
    pub prompt_tokens: Option<i64>,
    /// Prompt tokens read from the cache; `None` when the response does
    /// not say.
    pub cached_tokens: Option<i64>,
    /// Prompt tokens written to the cache (Anthropic, Venice).
    pub cache_creation_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
}

impl Usage {
    /// Cached tokens as a share of the prompt (0–1), when both are known.
    pub fn hit_rate(&self) -> Option<f64> {
        match (self.cached_tokens, self.prompt_tokens) {
            (Some(c), Some(p)) if p > 0 => Some((c as f64 / p as f64).clamp(0.0, 1.0)),
            _ => None,
        }
    }

    /// Tokens billed, for the daily budget.
    pub fn total(&self) -> i64 {
        self.prompt_tokens.unwrap_or(0) + self.completion_tokens.unwrap_or(0)
    }
}

fn int(v: &Value, pointer: &str) -> Option<i64> {
    let v = v.pointer(pointer)?;
    v.as_i64()
        .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
}

/// The usage in a (non-streamed) response body, read where `field` says.
/// `None` when the body has no `usage` at all.
pub fn parse(body: &Value, field: &CachedField) -> Option<Usage> {
    let usage = body.get("usage").filter(|u| u.is_object());
    match field {
        CachedField::Anthropic => {
            let u = usage?;
            let uncached = int(u, "/input_tokens");
            let read = int(u, "/cache_read_input_tokens");
            let created = int(u, "/cache_creation_input_tokens");
            Some(Usage {
                prompt_tokens: uncached.map(|n| n + read.unwrap_or(0) + created.unwrap_or(0)),
                cached_tokens: read,
                cache_creation_tokens: created,
                completion_tokens: int(u, "/output_tokens"),
            })
        }
        CachedField::DeepSeek => {
            let u = usage?;
            let hit = int(u, "/prompt_cache_hit_tokens");
            let miss = int(u, "/prompt_cache_miss_tokens");
            Some(Usage {
                prompt_tokens: int(u, "/prompt_tokens").or(hit.zip(miss).map(|(h, m)| h + m)),
                cached_tokens: hit,
                cache_creation_tokens: None,
                completion_tokens: int(u, "/completion_tokens"),
            })
        }
        CachedField::OpenAi => {
            let u = usage?;
            Some(Usage {
                prompt_tokens: int(u, "/prompt_tokens"),
                cached_tokens: int(u, "/prompt_tokens_details/cached_tokens"),
                cache_creation_tokens: int(u, "/prompt_tokens_details/cache_creation_input_tokens")
                    .or_else(|| int(u, "/cache_creation_input_tokens")),
                completion_tokens: int(u, "/completion_tokens"),
            })
        }
        CachedField::Pointer(pointer) => {
            let cached = int(body, pointer);
            if usage.is_none() && cached.is_none() {
                return None;
            }
            let u = usage.unwrap_or(&Value::Null);
            Some(Usage {
                prompt_tokens: int(u, "/prompt_tokens").or_else(|| int(u, "/input_tokens")),
                cached_tokens: cached,
                cache_creation_tokens: None,
                completion_tokens: int(u, "/completion_tokens")
                    .or_else(|| int(u, "/output_tokens")),
            })
        }
    }
}

/// The usage of a streamed (server-sent events) response: the last event
/// that carries one (`stream_options.include_usage` puts it in the final
/// chunk; Anthropic splits it between `message_start` and
/// `message_delta`, which are merged).
pub fn parse_stream(body: &[u8], field: &CachedField) -> Option<Usage> {
    let text = String::from_utf8_lossy(body);
    let mut found: Option<Usage> = None;
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim) else {
            continue;
        };
        if data == "[DONE]" {
            break;
        }
        let Ok(event) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        // Anthropic nests the first usage in `message`.
        let event = match event.get("message") {
            Some(m) if m.get("usage").is_some() => m.clone(),
            _ => event,
        };
        if let Some(u) = parse(&event, field) {
            found = Some(match found {
                None => u,
                Some(prev) => Usage {
                    prompt_tokens: u.prompt_tokens.or(prev.prompt_tokens),
                    cached_tokens: u.cached_tokens.or(prev.cached_tokens),
                    cache_creation_tokens: u.cache_creation_tokens.or(prev.cache_creation_tokens),
                    completion_tokens: u.completion_tokens.or(prev.completion_tokens),
                },
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn openai_style_usage_keeps_missing_apart_from_zero() {
        // Recorded from llama.cpp's server.
        let hit = json!({"usage": {"completion_tokens": 1, "prompt_tokens": 70, "total_tokens": 71,
            "prompt_tokens_details": {"cached_tokens": 69}}});
        let u = parse(&hit, &CachedField::OpenAi).expect("usage");
        assert_eq!((u.prompt_tokens, u.cached_tokens), (Some(70), Some(69)));
        assert!((u.hit_rate().expect("rate") - 69.0 / 70.0).abs() < 1e-9);
        let zero =
            json!({"usage": {"prompt_tokens": 70, "prompt_tokens_details": {"cached_tokens": 0}}});
        assert_eq!(
            parse(&zero, &CachedField::OpenAi)
                .expect("usage")
                .cached_tokens,
            Some(0)
        );
        // A provider that does not report the field at all.
        let silent = json!({"usage": {"prompt_tokens": 70, "completion_tokens": 1}});
        let u = parse(&silent, &CachedField::OpenAi).expect("usage");
        assert_eq!(u.cached_tokens, None);
        assert_eq!(u.hit_rate(), None);
        assert_eq!(parse(&json!({"choices": []}), &CachedField::OpenAi), None);
        // Venice reports cache writes beside the reads.
        let venice = json!({"usage": {"prompt_tokens": 2000, "prompt_tokens_details":
            {"cached_tokens": 0, "cache_creation_input_tokens": 1900}}});
        let u = parse(&venice, &CachedField::OpenAi).expect("usage");
        assert_eq!(u.cache_creation_tokens, Some(1900));
    }

    #[test]
    fn deepseek_and_anthropic_fields() {
        let ds = json!({"usage": {"prompt_tokens": 1200, "completion_tokens": 5,
            "prompt_cache_hit_tokens": 1088, "prompt_cache_miss_tokens": 112}});
        let u = parse(&ds, &CachedField::DeepSeek).expect("usage");
        assert_eq!((u.prompt_tokens, u.cached_tokens), (Some(1200), Some(1088)));
        // Anthropic's input_tokens excludes cache reads and writes.
        let an = json!({"usage": {"input_tokens": 12, "cache_read_input_tokens": 25,
            "cache_creation_input_tokens": 0, "output_tokens": 1}});
        let u = parse(&an, &CachedField::Anthropic).expect("usage");
        assert_eq!(u.prompt_tokens, Some(37));
        assert_eq!(u.cached_tokens, Some(25));
        let none = json!({"usage": {"input_tokens": 12, "output_tokens": 1}});
        assert_eq!(
            parse(&none, &CachedField::Anthropic)
                .expect("usage")
                .cached_tokens,
            None
        );
    }

    #[test]
    fn a_pointer_reads_a_custom_field() {
        let body = json!({"usage": {"prompt_tokens": 10}, "x": {"cached": 8}});
        let u = parse(&body, &CachedField::Pointer("/x/cached".into())).expect("usage");
        assert_eq!((u.prompt_tokens, u.cached_tokens), (Some(10), Some(8)));
    }

    #[test]
    fn streams_take_the_usage_of_the_final_chunk() {
        // Recorded from llama.cpp's server with stream_options.include_usage.
        let sse = b"data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\n\
data: {\"choices\":[],\"usage\":{\"completion_tokens\":2,\"prompt_tokens\":31,\"total_tokens\":33,\"prompt_tokens_details\":{\"cached_tokens\":3}}}\n\n\
data: [DONE]\n\n";
        let u = parse_stream(sse, &CachedField::OpenAi).expect("usage");
        assert_eq!((u.prompt_tokens, u.cached_tokens), (Some(31), Some(3)));
        // Anthropic: message_start has the input side, message_delta the output.
        let sse = b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":5,\"cache_read_input_tokens\":100,\"output_tokens\":1}}}\n\n\
event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":7}}\n\n";
        let u = parse_stream(sse, &CachedField::Anthropic).expect("usage");
        assert_eq!(u.cached_tokens, Some(100));
        assert_eq!(u.completion_tokens, Some(7));
        assert_eq!(parse_stream(b"data: [DONE]\n", &CachedField::OpenAi), None);
        assert_eq!(parse_stream(b"garbage\0\xff", &CachedField::OpenAi), None);
    }
}
