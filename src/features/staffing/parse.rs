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
            Ok(Command::On {
                reason: reason.join(" "),
                until,
                pod,
            })
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
        "I can't read `{raw}` as a time or a date. Use `--until 17:00` (today, in the pod's time zone) or `--until 2026-12-24` (through the end of that day)."
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
                tz.from_local_datetime(&(date.and_time(time) + chrono::Duration::hours(1)))
                    .earliest()
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
