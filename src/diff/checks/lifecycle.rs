//! Deprecation and sunset dates, shared by operations, parameters and
//! properties.
//!
//! A deprecation policy (`--deprecation-days-beta`, `--deprecation-days-stable`)
//! asks that whatever is deprecated announce a sunset date at least that many
//! days ahead; without one (the default, 0 days) a deprecation is news, not
//! a problem.

use serde_json::Value;

use crate::diff::DiffOptions;

/// A sunset date as written in `x-sunset` (a date or an RFC 3339 time),
/// or the text that is not one.
pub fn sunset(v: &Value) -> Option<Result<chrono::NaiveDate, String>> {
    let text = v.get("x-sunset")?;
    let text = text
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| text.to_string());
    Some(
        chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .or_else(|_| chrono::DateTime::parse_from_rfc3339(&text).map(|t| t.date_naive()))
            .map_err(|_| text.clone()),
    )
}

/// How a newly deprecated thing announces its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deprecation {
    /// No sunset date, and no policy asks for one.
    Plain,
    /// A sunset date far enough ahead.
    WithSunset(chrono::NaiveDate),
    /// The policy asks for a sunset date and there is none.
    SunsetMissing,
    /// `x-sunset` is not a date.
    SunsetInvalid(String),
    /// The sunset date is sooner than the policy allows.
    SunsetTooSoon(chrono::NaiveDate, i64),
}

/// The notice the policy asks for an operation at `stability`: draft and
/// alpha operations need none, beta ones the beta days, anything else the
/// stable days.
pub fn required_days(options: &DiffOptions, stability: Option<&str>) -> i64 {
    match stability {
        Some("draft" | "alpha") => 0,
        Some("beta") => i64::from(options.deprecation_days_beta),
        _ => i64::from(options.deprecation_days_stable),
    }
}

/// Judges the deprecation of `v` (which has just become deprecated) against
/// a policy of `days`.
pub fn judge(options: &DiffOptions, days: i64, v: &Value) -> Deprecation {
    match sunset(v) {
        None if days > 0 => Deprecation::SunsetMissing,
        None => Deprecation::Plain,
        Some(Err(text)) => Deprecation::SunsetInvalid(text),
        Some(Ok(date)) if (date - options.today).num_days() < days => {
            Deprecation::SunsetTooSoon(date, days)
        }
        Some(Ok(date)) => Deprecation::WithSunset(date),
    }
}

/// For something deprecated on both sides: the revision's sunset date when
/// it was moved earlier and now falls inside the policy's notice.
pub fn sunset_moved_too_soon(
    options: &DiffOptions,
    days: i64,
    b: &Value,
    r: &Value,
) -> Option<(chrono::NaiveDate, chrono::NaiveDate)> {
    match (sunset(b), sunset(r)) {
        (Some(Ok(x)), Some(Ok(y))) if y < x && (y - options.today).num_days() < days => {
            Some((x, y))
        }
        _ => None,
    }
}

/// For something deprecated on both sides whose `x-sunset` changed: the
/// text that cannot be read as a date, the revision's first.
pub fn sunset_changed_unreadable(b: &Value, r: &Value) -> Option<String> {
    let (bs, rs) = (b.get("x-sunset")?, r.get("x-sunset")?);
    if bs == rs {
        return None;
    }
    match (sunset(b)?, sunset(r)?) {
        (_, Err(text)) | (Err(text), _) => Some(text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{diff, get_pets, ids, only, policy};
    use super::*;
    use crate::diff::{Level, diff_openapi};
    use serde_json::json;

    fn options() -> DiffOptions {
        DiffOptions {
            today: chrono::NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
            deprecation_days_beta: 30,
            deprecation_days_stable: 180,
            ..DiffOptions::default()
        }
    }

    #[test]
    fn policies_follow_stability() {
        let o = options();
        assert_eq!(required_days(&o, Some("alpha")), 0);
        assert_eq!(required_days(&o, Some("beta")), 30);
        assert_eq!(required_days(&o, None), 180);
        let soon = json!({"deprecated": true, "x-sunset": "2026-07-01"});
        assert!(matches!(
            judge(&o, 180, &soon),
            Deprecation::SunsetTooSoon(_, 180)
        ));
        assert!(matches!(judge(&o, 30, &soon), Deprecation::WithSunset(_)));
        assert_eq!(judge(&o, 0, &json!({})), Deprecation::Plain);
        assert_eq!(judge(&o, 1, &json!({})), Deprecation::SunsetMissing);
        assert!(matches!(
            judge(&o, 0, &json!({"x-sunset": "soon"})),
            Deprecation::SunsetInvalid(_)
        ));
        let later = json!({"x-sunset": "2027-06-01"});
        assert!(sunset_moved_too_soon(&o, 180, &later, &soon).is_some());
        assert!(sunset_moved_too_soon(&o, 0, &later, &soon).is_none());
        assert!(sunset_moved_too_soon(&o, 180, &soon, &later).is_none());
    }

    #[test]
    fn sunset_dates_are_dates_or_rfc3339_times() {
        let date = |v: serde_json::Value| sunset(&json!({ "x-sunset": v }));
        let june = chrono::NaiveDate::from_ymd_opt(2026, 6, 30);
        assert_eq!(date(json!("2026-06-30")), june.map(Ok));
        assert_eq!(date(json!("2026-06-30T23:00:00-05:00")), june.map(Ok));
        assert_eq!(date(json!("30/06/2026")), Some(Err("30/06/2026".into())));
        // Not a string at all: its JSON text is what cannot be read.
        assert_eq!(date(json!(20260630)), Some(Err("20260630".into())));
        assert_eq!(sunset(&json!({"deprecated": true})), None);
    }

    #[test]
    fn a_policy_judges_each_deprecation_by_its_stability() {
        let base = get_pets(json!({"x-stability-level": "beta", "responses": {}}));
        let rev = |sunset: &str| {
            get_pets(json!({
                "x-stability-level": "beta",
                "deprecated": true,
                "x-sunset": sunset,
                "responses": {}
            }))
        };
        // 40 days' notice: enough for beta's 30, too little for stable's 180.
        let findings = diff_openapi(&base, &rev("2026-07-11"), &policy(30, 180));
        assert_eq!(
            ids(&findings),
            [(Level::Info, "endpoint-deprecated-with-sunset")]
        );
        let findings = diff_openapi(&base, &rev("2026-06-20"), &policy(30, 180));
        let f = only(&findings);
        assert_eq!((f.level, f.id), (Level::Error, "api-sunset-date-too-small"));
        assert_eq!(
            &*f.message,
            "GET /pets is deprecated with sunset on 2026-06-20, less than the 30 days' notice the policy asks"
        );
        // Without a stability level, the stable policy applies.
        let plain = get_pets(json!({"responses": {}}));
        let rev = get_pets(json!({"deprecated": true, "x-sunset": "2026-07-11", "responses": {}}));
        let findings = diff_openapi(&plain, &rev, &policy(30, 180));
        assert_eq!(
            ids(&findings),
            [(Level::Error, "api-sunset-date-too-small")]
        );
        // And without a policy, any deprecation is news.
        assert_eq!(
            ids(&diff(&plain, &rev)),
            [(Level::Info, "endpoint-deprecated-with-sunset")]
        );
    }

    #[test]
    fn a_policy_asks_for_a_readable_sunset_date_kept_far_enough_ahead() {
        let op = |extra: serde_json::Value| {
            let mut op = json!({"responses": {}});
            for (k, v) in extra.as_object().into_iter().flatten() {
                op[k] = v.clone();
            }
            get_pets(op)
        };
        let o = policy(0, 90);
        let plain = op(json!({}));
        let missing = diff_openapi(&plain, &op(json!({"deprecated": true})), &o);
        let f = only(&missing);
        assert_eq!(
            (f.level, f.id),
            (Level::Error, "api-deprecated-sunset-missing")
        );
        assert_eq!(
            &*f.message,
            "GET /pets is deprecated without a sunset date; the policy asks for 90 days' notice"
        );
        let garbled = op(json!({"deprecated": true, "x-sunset": "next spring"}));
        let f = diff_openapi(&plain, &garbled, &o);
        assert_eq!(ids(&f), [(Level::Error, "api-deprecated-sunset-parse")]);
        // Already deprecated: moving the date inside the notice is an error,
        // moving it later is not.
        let far = op(json!({"deprecated": true, "x-sunset": "2027-06-01"}));
        let near = op(json!({"deprecated": true, "x-sunset": "2026-07-01"}));
        let f = diff_openapi(&far, &near, &o);
        assert_eq!(
            ids(&f),
            [(Level::Error, "api-sunset-date-changed-too-small")]
        );
        assert_eq!(
            &*f[0].message,
            "GET /pets's sunset date moved from 2027-06-01 to 2026-07-01, less than the 90 days' notice the policy asks"
        );
        assert!(diff_openapi(&near, &far, &o).is_empty());
    }
}
