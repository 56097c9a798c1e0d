//! What a check means for each alert channel: an endpoint counts as down
//! on a channel once it has failed the channel's number of checks in a
//! row, is reminded of while it stays down if the channel asks for it, and
//! counts as recovered once it has passed the channel's number of checks;
//! each exactly once per crossing, per channel.
//!
//! [`transitions`] decides; the store reads the rules and writes the
//! changes and alerts in the check's own transaction
//! ([`crate::store::Store::record_check`]); the alerts' words come from
//! [`crate::alert::endpoint`].

use crate::alert::endpoint;
use crate::store::alerts::{DownChange, DownRule, DownStep};
use crate::store::health::{CheckRecord, Endpoint};

/// What the check `rec` changes on each channel with a rule in `rules`,
/// given the endpoint `e` as it is after the check (its counters already
/// include it) and its watch's name. Channels where nothing changes are
/// left out.
pub fn transitions(
    e: &Endpoint,
    rec: &CheckRecord,
    watch: &str,
    rules: &[DownRule],
) -> Vec<DownStep> {
    rules
        .iter()
        .filter_map(|rule| step(e, rec, watch, rule))
        .collect()
}

fn step(e: &Endpoint, rec: &CheckRecord, watch: &str, rule: &DownRule) -> Option<DownStep> {
    let (change, alert) = match rule.state {
        None if e.consecutive_failures >= rule.down_after.max(1) => (
            DownChange::Opened { at: rec.at },
            rule.down.then(|| endpoint::down(watch, e, rec)),
        ),
        Some(state)
            if e.consecutive_failures > 0
                && rule
                    .remind_every_ms
                    .is_some_and(|every| rec.at - state.reminded_at >= every) =>
        {
            (
                DownChange::Reminded { at: rec.at },
                rule.down
                    .then(|| endpoint::still_down(watch, e, rec, state.since)),
            )
        }
        Some(_) if e.consecutive_successes >= rule.recovered_after.max(1) => (
            DownChange::Closed,
            rule.recovered.then(|| endpoint::recovered(watch, e, rec)),
        ),
        _ => return None,
    };
    Some(DownStep {
        channel_id: rule.channel_id,
        change,
        alert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::alerts::{AlertEvent, DOWN_AFTER, DownState, RECOVERED_AFTER};
    use crate::store::health::{CheckOutcome, EndpointState};

    const MIN: i64 = 60_000;

    fn endpoint(failures: u32, successes: u32) -> Endpoint {
        Endpoint {
            id: 7,
            watch_id: 1,
            method: "GET".into(),
            url: "http://x/health".into(),
            path: None,
            source: "manual".into(),
            enabled: true,
            conditions: Vec::new(),
            degraded_ms: None,
            state: if failures > 0 {
                EndpointState::Down
            } else {
                EndpointState::Up
            },
            consecutive_failures: failures,
            consecutive_successes: successes,
            last_checked_at: None,
            headers: Vec::new(),
            body: None,
        }
    }

    fn check(at: i64, up: bool) -> CheckRecord {
        CheckRecord {
            at,
            outcome: Some(if up {
                CheckOutcome::Up
            } else {
                CheckOutcome::Down
            }),
            http_status: Some(if up { 200 } else { 503 }),
            error: (!up).then(|| "HTTP 503".to_string()),
            ..CheckRecord::default()
        }
    }

    fn rule(channel_id: i64) -> DownRule {
        DownRule {
            channel_id,
            down: true,
            recovered: true,
            down_after: DOWN_AFTER,
            recovered_after: RECOVERED_AFTER,
            remind_every_ms: None,
            state: None,
        }
    }

    fn down_since(since: i64, reminded_at: i64) -> Option<DownState> {
        Some(DownState { since, reminded_at })
    }

    /// Feeds checks one by one through [`transitions`], keeping the
    /// counters and down states as the store would; returns, per check,
    /// the (channel, event, reminder) of each alert.
    fn run(rules: &mut [DownRule], checks: &[(i64, bool)]) -> Vec<Vec<(i64, AlertEvent, bool)>> {
        let (mut failures, mut successes) = (0, 0);
        let mut out = Vec::new();
        for &(at, up) in checks {
            if up {
                failures = 0;
                successes += 1;
            } else {
                failures += 1;
                successes = 0;
            }
            let steps = transitions(&endpoint(failures, successes), &check(at, up), "api", rules);
            let mut alerts = Vec::new();
            for step in steps {
                let Some(rule) = rules.iter_mut().find(|r| r.channel_id == step.channel_id) else {
                    panic!("a step for an unknown channel");
                };
                rule.state = match (step.change, rule.state) {
                    (DownChange::Opened { at }, None) => down_since(at, at),
                    (DownChange::Reminded { at }, Some(s)) => down_since(s.since, at),
                    (DownChange::Closed, Some(_)) => None,
                    (change, state) => panic!("{change:?} on {state:?}"),
                };
                if let Some(a) = step.alert {
                    alerts.push((step.channel_id, a.event, a.payload["reminder"] == true));
                }
            }
            out.push(alerts);
        }
        out
    }

    #[test]
    fn down_after_n_failures_once_per_crossing() {
        let mut rules = [rule(1)];
        let checks: Vec<(i64, bool)> = (0..6).map(|t| (t * MIN, false)).collect();
        let fired = run(&mut rules, &checks);
        assert_eq!(fired[..2], [vec![], vec![]], "within the threshold");
        assert_eq!(fired[2], [(1, AlertEvent::Down, false)]);
        assert!(fired[3..].iter().all(Vec::is_empty), "{fired:?}");
        assert_eq!(rules[0].state, down_since(2 * MIN, 2 * MIN));
    }

    #[test]
    fn recovered_after_m_successes_once() {
        let mut rules = [rule(1)];
        let checks: Vec<(i64, bool)> = (0..3)
            .map(|t| (t * MIN, false))
            .chain((3..7).map(|t| (t * MIN, true)))
            .collect();
        let fired = run(&mut rules, &checks);
        assert_eq!(fired[3], [], "one success is not a recovery");
        assert_eq!(fired[4], [(1, AlertEvent::Recovered, false)]);
        assert!(fired[5..].iter().all(Vec::is_empty));
        assert_eq!(rules[0].state, None);
    }

    #[test]
    fn a_flap_shorter_than_the_thresholds_raises_nothing() {
        let mut rules = [rule(1)];
        let fired = run(
            &mut rules,
            &[
                (0, false),
                (1, false),
                (2, true),
                (3, false),
                (4, false),
                (5, true),
            ],
        );
        assert!(fired.iter().all(Vec::is_empty), "{fired:?}");
    }

    #[test]
    fn reminders_come_every_interval_while_down() {
        let mut rules = [DownRule {
            remind_every_ms: Some(10 * MIN),
            ..rule(1)
        }];
        let checks: Vec<(i64, bool)> = (0..=25).map(|t| (t * MIN, false)).collect();
        let fired = run(&mut rules, &checks);
        let alerts: Vec<(usize, bool)> = fired
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.iter().map(move |x| (i, x.2)))
            .collect();
        // Down at the third check (minute 2), reminded at minutes 12 and 22.
        assert_eq!(alerts, [(2, false), (12, true), (22, true)]);
        assert_eq!(rules[0].state, down_since(2 * MIN, 22 * MIN));
    }

    #[test]
    fn each_channel_has_its_own_thresholds() {
        let mut rules = [
            rule(1),
            DownRule {
                down_after: 5,
                recovered_after: 1,
                ..rule(2)
            },
        ];
        let checks: Vec<(i64, bool)> = (0..5)
            .map(|t| (t * MIN, false))
            .chain((5..7).map(|t| (t * MIN, true)))
            .collect();
        let fired = run(&mut rules, &checks);
        assert_eq!(fired[2], [(1, AlertEvent::Down, false)]);
        assert_eq!(fired[4], [(2, AlertEvent::Down, false)]);
        assert_eq!(fired[5], [(2, AlertEvent::Recovered, false)]);
        assert_eq!(fired[6], [(1, AlertEvent::Recovered, false)]);
    }

    #[test]
    fn a_channel_without_the_event_keeps_its_state_but_hears_nothing() {
        // Only `recovered`: the down state is still kept, so the recovery
        // is told once.
        let mut rules = [DownRule {
            down: false,
            ..rule(1)
        }];
        let checks: Vec<(i64, bool)> = (0..3)
            .map(|t| (t, false))
            .chain((3..5).map(|t| (t, true)))
            .collect();
        let fired = run(&mut rules, &checks);
        assert_eq!(
            fired.concat(),
            [(1, AlertEvent::Recovered, false)],
            "{fired:?}"
        );
        // Only `down`: nothing on recovery, yet the state closes so the next
        // outage is told again.
        let mut rules = [DownRule {
            recovered: false,
            ..rule(1)
        }];
        let outage = |from: i64| (from..from + 3).map(|t| (t, false));
        let checks: Vec<(i64, bool)> = outage(0)
            .chain([(3, true), (4, true)])
            .chain(outage(5))
            .collect();
        let fired = run(&mut rules, &checks);
        assert_eq!(
            fired.concat(),
            [(1, AlertEvent::Down, false), (1, AlertEvent::Down, false)]
        );
    }

    #[test]
    fn a_threshold_of_zero_counts_as_one() {
        let mut rules = [DownRule {
            down_after: 0,
            recovered_after: 0,
            ..rule(1)
        }];
        let fired = run(&mut rules, &[(0, false), (1, true)]);
        assert_eq!(
            fired,
            [
                vec![(1, AlertEvent::Down, false)],
                vec![(1, AlertEvent::Recovered, false)]
            ]
        );
    }

    #[test]
    fn the_alerts_carry_the_endpoint_alert_text() {
        let e = endpoint(3, 0);
        let rec = check(5 * MIN, false);
        let steps = transitions(&e, &rec, "api", &[rule(4)]);
        assert_eq!(
            steps,
            [DownStep {
                channel_id: 4,
                change: DownChange::Opened { at: 5 * MIN },
                alert: Some(endpoint::down("api", &e, &rec)),
            }]
        );
        let reminded = DownRule {
            remind_every_ms: Some(MIN),
            state: down_since(0, 0),
            ..rule(4)
        };
        let steps = transitions(&e, &rec, "api", &[reminded]);
        assert_eq!(
            steps[0].alert,
            Some(endpoint::still_down("api", &e, &rec, 0))
        );
    }
}
