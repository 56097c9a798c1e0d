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
            rule.recovered
                .then(|| endpoint::recovered(watch, e, rec)),
        ),
        _ => return None,
    };
    Some(DownStep {
        channel_id: rule.channel_id,
        change,
        alert,
    })
}
