//! Days and weeks in a person's time zone: the daily limit, "this week",
//! personal bests and streaks. Pure, with unit tests across DST and midnight.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::{config::TeamConfig, domain::ids::UserId};

/// The zone a person's day is counted in: their pod's (member or manager),
/// else UTC.
pub fn zone_for(team: &TeamConfig, user: &UserId) -> Tz {
    team.pods
        .iter()
        .find(|p| p.members.contains(user) || p.managers.contains(user))
        .map(|p| p.timezone)
        .unwrap_or(Tz::UTC)
}

/// The first instant of `date` in `tz` (the earliest one if midnight is
/// skipped or repeated by a DST change).
pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A zone that skips midnight starts the day at the first valid minute.
    for _ in 0..180 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return at.with_timezone(&Utc);
        }
        t += Duration::minutes(1);
    }
    t.and_utc()
}

/// `[start, end)` of the local day containing `now`.
pub fn day_bounds(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now.with_timezone(&tz).date_naive();
    let tomorrow = today.succ_opt().unwrap_or(today);
    (start_of(today, tz), start_of(tomorrow, tz))
}

/// The Monday of the week holding `date`.
pub fn monday_of(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// "in 3 h 20 min" style, for when an allowance comes back.
pub fn until(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let mins = ((then - now).num_seconds().max(0) + 59) / 60;
    match (mins / 60, mins % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// A person's own numbers (no one else's).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub received_week: u32,
    pub received_month: u32,
    pub received_all: u32,
    pub given_week: u32,
    pub given_month: u32,
    pub given_all: u32,
    /// The Monday and count of the week they received the most kudos.
    pub best_week: Option<(NaiveDate, u32)>,
    /// Weeks in a row, up to this one, with at least one kudos given. A week
    /// not over yet does not break the streak.
    pub giving_streak: u32,
}

pub fn stats(
    received: &[DateTime<Utc>],
    given: &[DateTime<Utc>],
    now: DateTime<Utc>,
    tz: Tz,
) -> Stats {
    let today = now.with_timezone(&tz).date_naive();
    let week = monday_of(today);
    let month = today.with_day(1).unwrap_or(today);
    let local = |t: &DateTime<Utc>| t.with_timezone(&tz).date_naive();
    let count = |times: &[DateTime<Utc>], from: NaiveDate| {
        times
            .iter()
            .filter(|t| **t <= now && local(t) >= from)
            .count() as u32
    };

    let mut per_week: std::collections::BTreeMap<NaiveDate, u32> = Default::default();
    for t in received {
        *per_week.entry(monday_of(local(t))).or_default() += 1;
    }
    // Ties go to the earliest week: that is when the best was first reached.
    let best_week =
        per_week
            .iter()
            .fold(None, |best: Option<(NaiveDate, u32)>, (w, n)| match best {
                Some((_, b)) if b >= *n => best,
                _ => Some((*w, *n)),
            });

    let given_weeks: std::collections::BTreeSet<NaiveDate> =
        given.iter().map(|t| monday_of(local(t))).collect();
    let mut cursor = if given_weeks.contains(&week) {
        week
    } else {
        week - Duration::days(7)
    };
    let mut giving_streak = 0;
    while given_weeks.contains(&cursor) {
        giving_streak += 1;
        cursor -= Duration::days(7);
    }

    Stats {
        received_week: count(received, week),
        received_month: count(received, month),
        received_all: received.len() as u32,
        given_week: count(given, week),
        given_month: count(given, month),
        given_all: given.len() as u32,
        best_week,
        giving_streak,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_berlin_day_starts_at_berlin_midnight() {
        let berlin = chrono_tz::Europe::Berlin;
        // 23:30 UTC on the 25th is already the 26th in Berlin (UTC+1 in November).
        let (start, end) = day_bounds(utc("2026-11-25T23:30:00Z"), berlin);
        assert_eq!(start, utc("2026-11-25T23:00:00Z"));
        assert_eq!(end, utc("2026-11-26T23:00:00Z"));
        let (start, _) = day_bounds(utc("2026-11-25T22:59:59Z"), berlin);
        assert_eq!(start, utc("2026-11-24T23:00:00Z"));
    }

    #[test]
    fn dst_days_are_23_and_25_hours() {
        let berlin = chrono_tz::Europe::Berlin;
        let (s, e) = day_bounds(utc("2026-03-29T12:00:00Z"), berlin);
        assert_eq!(e - s, Duration::hours(23));
        let (s, e) = day_bounds(utc("2026-10-25T12:00:00Z"), berlin);
        assert_eq!(e - s, Duration::hours(25));
    }

    #[test]
    fn a_zone_that_skips_midnight_starts_at_the_first_valid_minute() {
        // Santiago moved clocks from 00:00 to 01:00 on 2024-09-08.
        let tz = chrono_tz::America::Santiago;
        let start = start_of(NaiveDate::from_ymd_opt(2024, 9, 8).unwrap(), tz);
        assert_eq!(start, utc("2024-09-08T04:00:00Z"));
    }

    #[test]
    fn until_reads_well() {
        let now = utc("2026-11-25T08:30:00Z");
        assert_eq!(until(now, utc("2026-11-25T23:00:00Z")), "14 h 30 min");
        assert_eq!(until(now, utc("2026-11-25T09:30:00Z")), "1 h");
        assert_eq!(until(now, utc("2026-11-25T08:30:30Z")), "1 min");
    }

    #[test]
    fn stats_count_weeks_months_bests_and_streaks() {
        let tz = chrono_tz::Europe::Berlin;
        let now = utc("2026-11-25T08:30:00Z"); // Wednesday
        let received = [
            utc("2026-11-24T10:00:00Z"), // this week
            utc("2026-11-23T00:30:00Z"), // Monday 01:30 Berlin: this week
            utc("2026-11-22T22:30:00Z"), // Sunday 23:30 Berlin: last week
            utc("2026-11-10T10:00:00Z"),
            utc("2026-11-11T10:00:00Z"),
            utc("2026-11-12T10:00:00Z"),
            utc("2026-10-30T10:00:00Z"),
        ];
        let given = [
            utc("2026-11-18T10:00:00Z"), // last week
            utc("2026-11-11T10:00:00Z"), // the week before
            utc("2026-10-28T10:00:00Z"), // a gap before this
        ];
        let s = stats(&received, &given, now, tz);
        assert_eq!(s.received_week, 2);
        assert_eq!(s.received_month, 6);
        assert_eq!(s.received_all, 7);
        assert_eq!(s.given_week, 0);
        assert_eq!(s.given_month, 2);
        assert_eq!(s.given_all, 3);
        assert_eq!(
            s.best_week,
            Some((NaiveDate::from_ymd_opt(2026, 11, 9).unwrap(), 3))
        );
        // This week has none yet, but it is not over: the streak still stands.
        assert_eq!(s.giving_streak, 2);
        let s = stats(&received, &given, utc("2026-12-02T08:00:00Z"), tz);
        assert_eq!(s.giving_streak, 0, "a whole week without giving ends it");
    }

    #[test]
    fn no_kudos_no_numbers() {
        let s = stats(&[], &[], utc("2026-11-25T08:30:00Z"), Tz::UTC);
        assert_eq!(s, Stats::default());
    }
}
