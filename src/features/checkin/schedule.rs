//! When a pod checks in: pure date and time logic, in the pod's own time zone.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::PodConfig;

/// One day's check-in window of a pod, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub day: NaiveDate,
    pub opens: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

impl Window {
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.opens <= now && now < self.closes
    }
}

/// Why a pod has no check-in on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOff {
    Holiday,
    NotAWorkday,
}

/// `time` on `date` in `tz`, computed for that very day so daylight-saving
/// changes keep the local time. A time skipped by the clocks moving forward
/// becomes the first local time after the gap; a repeated one, the earlier.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    // Gaps are at most a few hours; step forward minute by minute past them.
    for minutes in 0..=24 * 60 {
        if let Some(t) = tz
            .from_local_datetime(&(naive + Duration::minutes(minutes)))
            .earliest()
        {
            return t.with_timezone(&Utc);
        }
    }
    naive.and_utc()
}

pub fn local_date(pod: &PodConfig, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&pod.timezone).date_naive()
}

pub fn day_off(pod: &PodConfig, day: NaiveDate) -> Option<DayOff> {
    if pod.holidays.contains(&day) {
        Some(DayOff::Holiday)
    } else if !pod.workdays.contains(&day.weekday()) {
        Some(DayOff::NotAWorkday)
    } else {
        None
    }
}

pub fn window(pod: &PodConfig, day: NaiveDate) -> Window {
    let opens = local_instant(pod.timezone, day, pod.checkin_at);
    let length = Duration::from_std(pod.checkin_window).unwrap_or(Duration::hours(2));
    Window {
        day,
        opens,
        closes: opens + length,
    }
}

/// The pod's check-in days whose window may still matter at `now`: from the
/// oldest day whose window could reach `now`, up to today, oldest first.
pub fn recent_days(pod: &PodConfig, now: DateTime<Utc>) -> Vec<Window> {
    let length = Duration::from_std(pod.checkin_window).unwrap_or(Duration::hours(2));
    let first = local_date(pod, now - length - Duration::days(1));
    let today = local_date(pod, now);
    first
        .iter_days()
        .take_while(|d| *d <= today)
        .filter(|d| day_off(pod, *d).is_none())
        .map(|d| window(pod, d))
        .collect()
}

/// The day a check-in made at `now` counts for: a window open right now
/// (even one that began yesterday), else today when it is a check-in day
/// (early before the window, late after it).
pub fn checkin_day(pod: &PodConfig, now: DateTime<Utc>) -> Result<Window, DayOff> {
    if let Some(open) = recent_days(pod, now).into_iter().find(|w| w.is_open(now)) {
        return Ok(open);
    }
    let today = local_date(pod, now);
    match day_off(pod, today) {
        Some(off) => Err(off),
        None => Ok(window(pod, today)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn pod(window_hours: u64) -> PodConfig {
        let text = format!(
            r#"
[[pods]]
name = "support"
channel = "C0SUPPORT1"
members = ["U0ALICE001"]
timezone = "Europe/Berlin"
checkin_at = "09:00"
checkin_window = "{window_hours}h"
holidays = ["2026-12-25"]
"#
        );
        crate::config::TeamConfig::parse(&text, "t.toml")
            .expect("parses")
            .pods
            .remove(0)
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("valid")
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid")
    }

    #[test]
    fn nine_in_berlin_follows_daylight_saving() {
        let p = pod(2);
        // Summer time (UTC+2) until Sunday 25 October 2026, then UTC+1.
        assert_eq!(
            window(&p, date(2026, 10, 23)).opens,
            utc(2026, 10, 23, 7, 0)
        );
        assert_eq!(
            window(&p, date(2026, 10, 26)).opens,
            utc(2026, 10, 26, 8, 0)
        );
        // And back to summer time on 28 March 2027.
        assert_eq!(window(&p, date(2027, 3, 26)).opens, utc(2027, 3, 26, 8, 0));
        assert_eq!(window(&p, date(2027, 3, 29)).opens, utc(2027, 3, 29, 7, 0));
        assert_eq!(window(&p, date(2027, 3, 29)).closes, utc(2027, 3, 29, 9, 0));
    }

    #[test]
    fn skipped_and_repeated_local_times_resolve() {
        let berlin = chrono_tz::Europe::Berlin;
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).expect("valid");
        // 02:30 does not exist on 28 March 2027: the first time after the gap is 03:00 CEST.
        assert_eq!(
            local_instant(berlin, date(2027, 3, 28), t(2, 30)),
            utc(2027, 3, 28, 1, 0)
        );
        // 02:30 happens twice on 25 October 2026: the earlier one (CEST) is used.
        assert_eq!(
            local_instant(berlin, date(2026, 10, 25), t(2, 30)),
            utc(2026, 10, 25, 0, 30)
        );
    }

    #[test]
    fn weekends_and_holidays_are_off() {
        let p = pod(2);
        assert_eq!(date(2026, 11, 28).weekday(), Weekday::Sat);
        assert_eq!(day_off(&p, date(2026, 11, 28)), Some(DayOff::NotAWorkday));
        assert_eq!(day_off(&p, date(2026, 12, 25)), Some(DayOff::Holiday));
        assert_eq!(day_off(&p, date(2026, 11, 25)), None);
        assert!(
            recent_days(&p, utc(2026, 12, 25, 9, 0))
                .iter()
                .all(|w| w.day != date(2026, 12, 25))
        );
    }

    #[test]
    fn a_checkin_counts_for_the_open_window_or_today() {
        let p = pod(2);
        // Early: before the window, still today.
        let w = checkin_day(&p, utc(2026, 11, 25, 6, 0)).expect("workday");
        assert_eq!(w.day, date(2026, 11, 25));
        assert!(utc(2026, 11, 25, 6, 0) < w.opens);
        // Late: after the window, still today.
        let w = checkin_day(&p, utc(2026, 11, 25, 15, 0)).expect("workday");
        assert!(utc(2026, 11, 25, 15, 0) >= w.closes);
        assert_eq!(
            checkin_day(&p, utc(2026, 11, 28, 9, 0)),
            Err(DayOff::NotAWorkday)
        );

        // A window that runs past midnight keeps counting for the day it began.
        let mut night = pod(4);
        night.checkin_at = NaiveTime::from_hms_opt(22, 0, 0).expect("valid");
        let w = checkin_day(&night, utc(2026, 11, 25, 23, 30)).expect("open");
        assert_eq!(w.day, date(2026, 11, 25));
        assert!(w.is_open(utc(2026, 11, 25, 23, 30)));
    }
}
