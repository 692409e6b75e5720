//! `/understaffed` text → a typed command, and `--until` → an instant.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Until {
    /// `--until 17:00`: today in the pod's zone, or tomorrow if already past.
    Time(NaiveTime),
    /// `--until 2026-11-27`: through the end of that day (23:59) in the pod's zone.
    Date(NaiveDate),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/understaffed`: every pod's state.
    Status,
    On {
        reason: String,
        until: Option<Until>,
        pod: Option<String>,
    },
    Off {
        pod: Option<String>,
    },
    Help,
}

pub use super::limits::MAX_REASON_CHARS;

pub const USAGE: &str = "• `/understaffed`: see which pods are understaffed\n• `/understaffed on REASON [--until 17:00 | --until 2026-12-24] [--pod NAME]`: switch it on (managers)\n• `/understaffed off [--pod NAME]`: switch it off (managers)";

pub fn parse(text: &str) -> Result<Command, String> {
    let mut words = text.split_whitespace();
    let Some(verb) = words.next() else {
        return Ok(Command::Status);
    };
    let mut pod = None;
    let mut until = None;
    let mut reason = Vec::new();
    while let Some(word) = words.next() {
        match word {
            "--pod" => {
                pod = Some(
                    words
                        .next()
                        .ok_or("`--pod` needs a pod name, e.g. `--pod support`.")?
                        .to_string(),
                )
            }
            "--until" => {
                let raw = words
                    .next()
                    .ok_or("`--until` needs a time or a date, e.g. `--until 17:00` or `--until 2026-12-24`.")?;
                until = Some(parse_until(raw)?);
            }
            other => reason.push(other),
        }
    }
    match verb.to_lowercase().as_str() {
        "on" => {
            if reason.is_empty() {
                return Err("Please add the reason, so the team hears why and not just that they should work harder: `/understaffed on two agents out sick --until 17:00`.".into());
            }
            let reason = reason.join(" ");
            let chars = reason.chars().count();
            if chars > MAX_REASON_CHARS {
                return Err(super::render::reason_too_long(chars));
            }
            Ok(Command::On { reason, until, pod })
        }
        "off" => {
            if until.is_some() {
                return Err(
                    "`--until` goes with `on`; `/understaffed off` switches it off now.".into(),
                );
            }
            Ok(Command::Off { pod })
        }
        "help" => Ok(Command::Help),
        "status" => Ok(Command::Status),
        other => Err(format!(
            "I don't know `/understaffed {other}`. Here is what it does:\n{USAGE}"
        )),
    }
}

fn parse_until(raw: &str) -> Result<Until, String> {
    if let Ok(time) = NaiveTime::parse_from_str(raw, "%H:%M") {
        return Ok(Until::Time(time));
    }
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Ok(Until::Date(date));
    }
    Err(format!(
        "I can't read `{}` as a time or a date. Use `--until 17:00` (today, in the pod's time zone) or `--until 2026-12-24` (through the end of that day).",
        crate::domain::mrkdwn::echo(raw)
    ))
}

/// The instant `until` means for a pod in `tz`, seen at `now`.
pub fn resolve_until(until: &Until, now: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, String> {
    let local_now = now.with_timezone(&tz);
    let today = local_now.date_naive();
    let at = |date: NaiveDate, time: NaiveTime| {
        // In a DST gap, take the first valid instant after the wall-clock time.
        tz.from_local_datetime(&date.and_time(time))
            .earliest()
            .or_else(|| {
                // Checked: at the last day chrono knows the hour after overflows.
                date.and_time(time)
                    .checked_add_signed(chrono::Duration::hours(1))
                    .and_then(|later| tz.from_local_datetime(&later).earliest())
            })
            .map(|t| t.with_timezone(&Utc))
            .ok_or_else(|| format!("{date} {time} does not exist in {tz}; pick another time."))
    };
    match until {
        Until::Time(time) => {
            let candidate = at(today, *time)?;
            if candidate > now {
                Ok(candidate)
            } else {
                let tomorrow = today
                    .checked_add_days(Days::new(1))
                    .ok_or("That date is out of range.")?;
                at(tomorrow, *time)
            }
        }
        Until::Date(date) => {
            let end = at(
                *date,
                NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default(),
            )?;
            if end <= now {
                Err(format!(
                    "{date} has already passed. Pick today or a later date, e.g. `--until {}`.",
                    today
                ))
            } else {
                Ok(end)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn reads_the_fixture_command() {
        let c = parse("on two agents out sick and the phone queue is at 40 --until 17:00").unwrap();
        assert_eq!(
            c,
            Command::On {
                reason: "two agents out sick and the phone queue is at 40".into(),
                until: Some(Until::Time(NaiveTime::from_hms_opt(17, 0, 0).unwrap())),
                pod: None
            }
        );
    }

    #[test]
    fn flags_anywhere_and_other_verbs() {
        assert_eq!(parse("").unwrap(), Command::Status);
        assert_eq!(
            parse("off --pod sales").unwrap(),
            Command::Off {
                pod: Some("sales".into())
            }
        );
        let c = parse("ON --pod support launch day --until 2026-12-24").unwrap();
        assert_eq!(
            c,
            Command::On {
                reason: "launch day".into(),
                until: Some(Until::Date(NaiveDate::from_ymd_opt(2026, 12, 24).unwrap())),
                pod: Some("support".into())
            }
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        assert!(parse("on").unwrap_err().contains("reason"));
        assert!(parse("on --until 17:00").unwrap_err().contains("reason"));
        assert!(parse("on sick --until soon").unwrap_err().contains("17:00"));
        assert!(
            parse("on sick --pod")
                .unwrap_err()
                .contains("--pod support")
        );
        assert!(parse("maybe").unwrap_err().contains("/understaffed on"));
    }

    #[test]
    fn until_a_time_is_today_or_tomorrow_in_the_pods_zone() {
        let berlin = chrono_tz::Europe::Berlin;
        let now = utc("2026-11-25T08:30:00Z"); // 09:30 in Berlin
        let t = |h| Until::Time(NaiveTime::from_hms_opt(h, 0, 0).unwrap());
        assert_eq!(
            resolve_until(&t(17), now, berlin).unwrap(),
            utc("2026-11-25T16:00:00Z")
        );
        assert_eq!(
            resolve_until(&t(9), now, berlin).unwrap(),
            utc("2026-11-26T08:00:00Z")
        );
    }

    /// Found by `fuzz_understaffed_resolve_until`: the last date chrono can read,
    /// in a zone behind UTC, panicked adding an hour to 23:59 (a 500 for the manager).
    #[test]
    fn regression_until_the_last_date_chrono_knows() {
        let until = parse("on sick --until +262142-12-31").unwrap();
        let Command::On {
            until: Some(until), ..
        } = until
        else {
            panic!("{until:?}")
        };
        assert_eq!(until, Until::Date(NaiveDate::MAX));
        let now = utc("1970-01-01T00:00:00Z");
        let err = resolve_until(&until, now, chrono_tz::America::Adak).unwrap_err();
        assert!(!err.is_empty());
        // Zones ahead of UTC still resolve it.
        assert!(resolve_until(&until, now, chrono_tz::Europe::Berlin).is_ok());
    }

    #[test]
    fn until_a_date_runs_through_that_day() {
        let berlin = chrono_tz::Europe::Berlin;
        let now = utc("2026-11-25T08:30:00Z");
        let d = |day| Until::Date(NaiveDate::from_ymd_opt(2026, 11, day).unwrap());
        assert_eq!(
            resolve_until(&d(27), now, berlin).unwrap(),
            utc("2026-11-27T22:59:00Z")
        );
        assert!(resolve_until(&d(25), now, berlin).is_ok());
        assert!(
            resolve_until(&d(24), now, berlin)
                .unwrap_err()
                .contains("passed")
        );
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{self, any_text, command_text, words};

    fn check(text: &str) -> Result<(), TestCaseError> {
        match parse(text) {
            Ok(Command::On { reason, pod, .. }) => {
                prop_assert!(!reason.is_empty());
                if let Some(pod) = pod {
                    prop_assert!(text.contains(pod.as_str()));
                }
            }
            Ok(_) => {}
            Err(message) => prop_assert!(!message.trim().is_empty()),
        }
        Ok(())
    }

    fn any_until() -> impl Strategy<Value = Until> {
        prop_oneof![
            (0u32..24, 0u32..60)
                .prop_map(|(h, m)| Until::Time(NaiveTime::from_hms_opt(h, m, 0).unwrap())),
            (NaiveDate::MIN.num_days_from_ce()..=NaiveDate::MAX.num_days_from_ce())
                .prop_map(|n| Until::Date(NaiveDate::from_num_days_from_ce_opt(n).unwrap())),
            (1970i32..2200, 1u32..=365)
                .prop_map(|(y, d)| Until::Date(NaiveDate::from_yo_opt(y, d).unwrap())),
            proptest::sample::select(&[NaiveDate::MIN, NaiveDate::MAX][..]).prop_map(Until::Date),
        ]
    }

    /// `now` comes from the clock, so any moment of the years needful can run in
    /// (1970–2199); the adversarial part is `until`, which comes from the text.
    fn any_now() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..7_258_118_400).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    fn any_tz() -> impl Strategy<Value = Tz> {
        proptest::sample::select(&chrono_tz::TZ_VARIANTS[..])
    }

    use chrono::Datelike;

    proptest! {
        #![proptest_config(fuzzing::config())]

        #[test]
        fn fuzz_understaffed_any_text(text in any_text()) {
            check(&text)?;
        }

        #[test]
        fn fuzz_understaffed_flags(
            verb in proptest::sample::select(&["on", "off", "ON", "status", "help", ""][..]),
            text in command_text(),
        ) {
            check(&format!("{verb} {text}"))?;
        }

        /// Whatever `--until` was read as, resolving it for any pod's zone at any
        /// moment gives an instant still ahead, or says why not.
        #[test]
        fn fuzz_understaffed_resolve_until(until in any_until(), now in any_now(), tz in any_tz()) {
            match resolve_until(&until, now, tz) {
                Ok(at) => prop_assert!(at > now),
                Err(message) => prop_assert!(!message.trim().is_empty()),
            }
        }

        /// `on REASON --until X --pod P` round-trips, flags in any order.
        #[test]
        fn fuzz_understaffed_round_trip(
            reason in words(),
            until in proptest::option::of(prop_oneof![
                (0u32..24, 0u32..60)
                    .prop_map(|(h, m)| Until::Time(NaiveTime::from_hms_opt(h, m, 0).unwrap())),
                // Only 4-digit years print the way `%Y-%m-%d` reads them back.
                (0i32..=9999, 1u32..=365)
                    .prop_map(|(y, d)| Until::Date(NaiveDate::from_yo_opt(y, d).unwrap())),
            ]),
            pod in proptest::option::of("[a-z][a-z0-9-]{0,12}"),
            flags_first in any::<bool>(),
        ) {
            let mut flags = String::new();
            if let Some(u) = &until {
                match u {
                    Until::Time(t) => flags.push_str(&format!(" --until {}", t.format("%H:%M"))),
                    Until::Date(d) => flags.push_str(&format!(" --until {}", d.format("%Y-%m-%d"))),
                }
            }
            if let Some(p) = &pod {
                flags.push_str(&format!(" --pod {p}"));
            }
            let text = if flags_first { format!("on{flags} {reason}") } else { format!("on {reason}{flags}") };
            prop_assert_eq!(parse(&text), Ok(Command::On { reason, until, pod }), "{}", text);
        }
    }
}
