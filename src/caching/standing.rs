//! A model's standing, worded once for `cache list`, `cache-test` and the
//! dashboard so the three cannot disagree.
//!
//! It follows the store's streaks ([`ModelState::after_run`]): a run
//! counts against its model when a test that should pass failed or a
//! request got no usable answer; `warn_after` failures in a row flag the
//! model, `rest_after` rest it for `rest`, and `clear_after` good runs in a
//! row clear it.

use serde::Serialize;

use crate::store::caching::ModelState;

/// Where a model stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Standing {
    /// Its target is paused.
    Paused,
    /// No run recorded yet.
    NeverRun,
    /// The latest runs went well.
    Ok,
    /// Failed runs in a row; `flagged` from the target's `warn_after`.
    Failed { failures: u32, flagged: bool },
    /// Good runs since its failures, not yet enough to clear them.
    Recovering {
        failures: u32,
        good: u32,
        needed: u32,
    },
    /// Left alone until `until` (unix ms) unless a run is forced.
    Resting { until: i64, failures: u32 },
}

/// How much a standing asks for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Fine,
    Notice,
    Trouble,
}

/// The standing of a model whose streaks are `state`, at `now` (ms).
pub fn standing(paused: bool, ran: bool, state: &ModelState, now: i64) -> Standing {
    if paused {
        return Standing::Paused;
    }
    if let Some(until) = state.cooldown_until.filter(|&u| u > now) {
        return Standing::Resting {
            until,
            failures: state.consecutive_failures,
        };
    }
    if state.consecutive_failures > 0 {
        if state.consecutive_successes > 0 {
            return Standing::Recovering {
                failures: state.consecutive_failures,
                good: state.consecutive_successes,
                needed: state.cooldown.clear_after,
            };
        }
        return Standing::Failed {
            failures: state.consecutive_failures,
            flagged: state.warning(),
        };
    }
    if ran {
        Standing::Ok
    } else {
        Standing::NeverRun
    }
}

/// A time of day in local time, with the date when it is not `now`'s day.
pub fn local_time(now: i64, at: i64) -> String {
    use chrono::TimeZone;
    let local = |t: i64| chrono::Local.timestamp_millis_opt(t).single();
    match (local(now), local(at)) {
        (Some(n), Some(a)) if n.date_naive() == a.date_naive() => a.format("%H:%M").to_string(),
        (_, Some(a)) => a.format("%m-%d %H:%M").to_string(),
        _ => "?".into(),
    }
}

impl Standing {
    /// A short word for machines and narrow columns.
    pub fn key(&self) -> &'static str {
        match self {
            Standing::Paused => "paused",
            Standing::NeverRun => "never-run",
            Standing::Ok => "ok",
            Standing::Failed { .. } => "failed",
            Standing::Recovering { .. } => "recovering",
            Standing::Resting { .. } => "resting",
        }
    }

    /// The standing in words: `resting until 13:15`, `3 failed runs`,
    /// `recovering: 1 of 2 good`.
    pub fn text(&self, now: i64) -> String {
        match *self {
            Standing::Paused => "paused".into(),
            Standing::NeverRun => "never run".into(),
            Standing::Ok => "ok".into(),
            Standing::Failed { failures, .. } => {
                crate::text::plural(u64::from(failures), "failed run", "failed runs")
            }
            Standing::Recovering { good, needed, .. } => {
                format!("recovering: {good} of {needed} good")
            }
            Standing::Resting { until, .. } => format!("resting until {}", local_time(now, until)),
        }
    }

    /// At most 9 characters: `resting`, `3 failed`, `recover`.
    pub fn short(&self) -> String {
        match *self {
            Standing::Failed { failures, .. } if failures < 100 => format!("{failures} failed"),
            Standing::Failed { .. } => "99+ fail".into(),
            Standing::Recovering { .. } => "recovering".chars().take(9).collect(),
            Standing::NeverRun => "never run".into(),
            _ => self.key().into(),
        }
    }

    pub fn severity(&self) -> Severity {
        match self {
            Standing::Paused | Standing::NeverRun | Standing::Ok => Severity::Fine,
            Standing::Failed { flagged: false, .. } | Standing::Recovering { .. } => {
                Severity::Notice
            }
            Standing::Failed { flagged: true, .. } | Standing::Resting { .. } => Severity::Trouble,
        }
    }

    /// Why a run skips the model, when it does: resting.
    pub fn skip_reason(&self, now: i64) -> Option<String> {
        match *self {
            Standing::Resting { until, failures } => Some(format!(
                "resting until {} after {}; --force runs it anyway",
                local_time(now, until),
                crate::text::plural(u64::from(failures), "failed run", "failed runs")
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::caching::Cooldown;

    const MIN: i64 = 60_000;

    #[test]
    fn one_state_through_failures_rest_and_recovery() {
        let mut s = ModelState {
            cooldown: Cooldown::default(),
            ..ModelState::default()
        };
        assert_eq!(standing(false, false, &s, 0), Standing::NeverRun);
        s.after_run(false, 0);
        assert_eq!(standing(false, true, &s, 0), Standing::Ok);
        assert_eq!(standing(true, true, &s, 0), Standing::Paused);
        let mut texts = Vec::new();
        for i in 1..=5 {
            s.after_run(true, i * MIN);
            let st = standing(false, true, &s, i * MIN);
            texts.push((st.text(i * MIN), st.severity()));
        }
        assert_eq!(texts[0], ("1 failed run".to_string(), Severity::Notice));
        assert_eq!(texts[2], ("3 failed runs".to_string(), Severity::Trouble));
        assert!(texts[4].0.starts_with("resting until "), "{texts:?}");
        let resting = standing(false, true, &s, 5 * MIN);
        assert_eq!(
            resting,
            Standing::Resting {
                until: 20 * MIN,
                failures: 5
            }
        );
        assert!(
            resting
                .skip_reason(5 * MIN)
                .is_some_and(|r| r.contains("--force"))
        );
        // The rest over, the failures stand until cleared.
        let later = standing(false, true, &s, 21 * MIN);
        assert_eq!(later.text(21 * MIN), "5 failed runs");
        assert_eq!(later.skip_reason(21 * MIN), None);
        s.after_run(false, 22 * MIN);
        assert_eq!(
            standing(false, true, &s, 22 * MIN).text(22 * MIN),
            "recovering: 1 of 2 good"
        );
        s.after_run(false, 23 * MIN);
        assert_eq!(standing(false, true, &s, 23 * MIN), Standing::Ok);
    }

    #[test]
    fn short_forms_fit_nine_columns() {
        for st in [
            Standing::Paused,
            Standing::NeverRun,
            Standing::Ok,
            Standing::Failed {
                failures: 999,
                flagged: true,
            },
            Standing::Recovering {
                failures: 1,
                good: 1,
                needed: 2,
            },
            Standing::Resting {
                until: 0,
                failures: 5,
            },
        ] {
            assert!(st.short().chars().count() <= 9, "{st:?}");
        }
    }
}
