//! Prompt-caching targets, runs and test results as tables, text and JSON.

use serde_json::{Value, json};

use super::{relative, table};
use crate::app::caching::Tested;
use crate::app::queries::CacheListRow;
use crate::caching::client::curl_file;
use crate::caching::standing::Standing;
use crate::store::caching::CacheRun;
use crate::text::Line;

fn percent(h: Option<f64>) -> String {
    h.map_or("-".into(), |h| format!("{:.0}%", h * 100.0))
}

/// The standing of a listed model at `now`, as every front end words it.
fn standing_of(r: &CacheListRow, now: i64) -> Standing {
    crate::caching::standing::standing(r.target.paused, r.last.is_some(), &r.state, now)
}

pub fn cache_list_json(rows: &[CacheListRow], now: i64) -> Value {
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            let t = &r.target;
            let standing = standing_of(r, now);
            json!({
                "target": t.name, "model": r.model, "profile": t.profile, "base_url": t.base_url,
                "api_key_env": t.api_key_env, "last_run": r.last, "reliability": r.reliability,
                "state": r.state, "standing": standing, "standing_text": standing.text(now),
                "paused": t.paused, "paused_reason": t.paused_reason,
                "from_config": t.from_config,
            })
        })
        .collect();
    json!({ "targets": list })
}

pub fn cache_list_table(rows: &[CacheListRow], now: i64) -> String {
    if rows.is_empty() {
        return "no caching targets yet: apiradar cache add NAME --profile openai --api-key-env OPENAI_API_KEY --model gpt-4o-mini\n".into();
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let t = &r.target;
            vec![
                t.name.clone(),
                r.model.clone(),
                t.profile.clone(),
                r.last
                    .as_ref()
                    .map_or("never".into(), |l| relative(l.started_at, now)),
                percent(r.last.as_ref().and_then(|l| l.hit_rate)),
                r.reliability.map_or("-".into(), |s| s.to_string()),
                standing_of(r, now).text(now),
            ]
        })
        .collect();
    table(
        &[
            "TARGET",
            "MODEL",
            "PROFILE",
            "LAST RUN",
            "HIT RATE",
            "RELIABILITY",
            "STATE",
        ],
        &rows,
    )
}

pub fn cache_history_json(runs: &[CacheRun]) -> Value {
    json!({ "runs": runs })
}

pub fn cache_history_table(name: &str, runs: &[CacheRun], now: i64) -> String {
    if runs.is_empty() {
        return format!("no runs yet: apiradar cache-test {name}\n");
    }
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let pass = r
                .results
                .iter()
                .filter(|x| x.verdict == crate::store::caching::Verdict::Pass)
                .count();
            let fail = r
                .results
                .iter()
                .filter(|x| x.verdict == crate::store::caching::Verdict::Fail)
                .count();
            vec![
                relative(r.started_at, now),
                r.model.clone(),
                percent(r.hit_rate),
                format!(
                    "{pass} pass, {fail} fail, {} other",
                    r.results.len() - pass - fail
                ),
                r.tokens.to_string(),
                r.stopped.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &["WHEN", "MODEL", "HIT RATE", "TESTS", "TOKENS", "NOTE"],
        &rows,
    )
}

/// `cache-test --json`; once the bodies are saved
/// ([`Tested::save_bodies`]), each result names the file with its first
/// request's body and a `curl` command that sends it.
pub fn cache_test_json(t: &Tested, now: i64) -> Value {
    let list: Vec<Value> = t
        .runs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut v = serde_json::to_value(r).unwrap_or_default();
            v["standing_text"] = r.standing.text(now).into();
            if let Some(results) = v.get_mut("results").and_then(|x| x.as_array_mut()) {
                for (k, res) in results.iter_mut().enumerate() {
                    if let Some(file) = t.body_file(i, k) {
                        let file = file.display().to_string();
                        res["curl"] = curl_file(&t.endpoint, &file).into();
                        res["body_file"] = file.into();
                    }
                }
            }
            v
        })
        .collect();
    json!({ "target": t.target.name, "runs": list })
}

/// `cache-test` as text: each model's tests with their verdicts, a `curl`
/// line per test once the bodies are saved, and the model's standing. What
/// the server said (model names, summaries, reasons) is shown on one line
/// with control characters escaped.
pub fn cache_test_text(t: &Tested, now: i64) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    for (i, r) in t.runs.iter().enumerate() {
        let label = if t.target.settings.simulated {
            " (simulated provider)"
        } else {
            ""
        };
        line(format!(
            "{} · {}{label}",
            Line(&t.target.name),
            Line(&r.model)
        ));
        if let Some(b) = &r.balance {
            line(format!("  {}", Line(b)));
        }
        if let Some(why) = &r.skipped {
            line(format!("  skipped: {}", Line(why)));
            continue;
        }
        for (k, x) in r.results.iter().enumerate() {
            line(format!(
                "  {:<13} {:<12} {}",
                x.test.as_str(),
                x.verdict.as_str().to_uppercase(),
                Line(&x.summary)
            ));
            let lat = match (x.cold_ms, x.warm_ms) {
                (Some(c), Some(w)) => format!("cold {c} ms, warm {w} ms"),
                _ => String::new(),
            };
            let hit = x.hit_rate.map(|h| format!("hit rate {:.0}%", h * 100.0));
            let detail: Vec<String> = hit
                .into_iter()
                .chain((!lat.is_empty()).then_some(lat))
                .collect();
            if !detail.is_empty() {
                line(format!("  {:<13} {:<12} {}", "", "", detail.join(", ")));
            }
            if let Some(file) = t.body_file(i, k) {
                line(format!(
                    "    {}",
                    Line(&curl_file(&t.endpoint, &file.display().to_string()))
                ));
            }
        }
        if let Some(why) = &r.stopped {
            line(format!("  stopped: {}", Line(why)));
        }
        line(format!("  state: {}", r.standing.text(now)));
        if r.regression {
            line("  caching regression: alert queued".into());
        }
        line(format!("  took {:.1} s", r.seconds));
    }
    out
}

/// A line of `cache models`: a model the target's catalog lists (the
/// server's text, so one escaped line), marked when it is tested.
pub fn model_line(model: &str, tested: bool) -> String {
    format!("{}{}", Line(model), if tested { "  (tested)" } else { "" })
}
