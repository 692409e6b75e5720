//! SQL for check-ins: prompts, check-ins and away times. Days are stored as
//! `YYYY-MM-DD` (the pod's local date), instants as UTC.

use crate::storage::on;
use chrono::{DateTime, NaiveDate, Utc};

use super::Tx;

fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The outbox key of a pod's prompt for `day`.
pub fn prompt_key(pod: &str, day: NaiveDate) -> String {
    format!("checkin:{pod}:{}", day_key(day))
}

/// Remembers that the prompt for `day`, whose window is `[opens, closes)`,
/// was enqueued.
pub async fn record_prompt(
    tx: &mut Tx<'_>,
    pod: &str,
    channel: &str,
    day: NaiveDate,
    opens: DateTime<Utc>,
    closes: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        "INSERT INTO checkin_prompts (pod, day, channel, message_key, opens_at, closes_at, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pod, day) DO NOTHING",
        |q, c| sqlx::query(q)
            .bind(pod)
            .bind(day_key(day))
            .bind(channel)
            .bind(prompt_key(pod, day))
            .bind(opens)
            .bind(closes)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

pub async fn prompt_exists(
    tx: &mut Tx<'_>,
    pod: &str,
    day: NaiveDate,
) -> Result<bool, sqlx::Error> {
    let n: i64 = on!(
        tx.on(),
        "SELECT COUNT(*) FROM checkin_prompts WHERE pod = ? AND day = ?",
        |q, c| sqlx::query_scalar(q)
            .bind(pod)
            .bind(day_key(day))
            .fetch_one(c)
            .await
    )?;
    Ok(n > 0)
}

/// The (pod, day) of the prompt posted as `channel`/`ts`, if it is one.
pub async fn prompt_at(
    tx: &mut Tx<'_>,
    channel: &str,
    ts: &str,
) -> Result<Option<(String, NaiveDate)>, sqlx::Error> {
    let row = on!(
        tx.on(),
        "SELECT p.pod, p.day FROM checkin_prompts p \
         JOIN slack_messages m ON m.message_key = p.message_key \
         WHERE m.channel = ? AND m.ts = ?",
        |q, c| sqlx::query_as::<_, (String, String)>(q)
            .bind(channel)
            .bind(ts)
            .fetch_optional(c)
            .await
    )?;
    Ok(match row {
        Some((pod, day)) => NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .ok()
            .map(|d| (pod, d)),
        None => None,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckIn {
    pub user: String,
    pub note: Option<String>,
    pub late: bool,
    pub checked_in_at: DateTime<Utc>,
}

/// What recording a check-in did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    First,
    Updated,
}

/// Records a check-in; a second one for the same day replaces the note (a
/// check-in without a note keeps the earlier one) and is not counted again.
#[expect(clippy::too_many_arguments, reason = "one row's columns")]
pub async fn record_checkin(
    tx: &mut Tx<'_>,
    pod: &str,
    day: NaiveDate,
    user: &str,
    note: Option<&str>,
    via: &str,
    late: bool,
    now: DateTime<Utc>,
) -> Result<Recorded, sqlx::Error> {
    let inserted = on!(
        tx.on(),
        "INSERT INTO checkins (pod, day, user_id, note, via, late, checked_in_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pod, day, user_id) DO NOTHING",
        |q, c| sqlx::query(q)
            .bind(pod)
            .bind(day_key(day))
            .bind(user)
            .bind(note)
            .bind(via)
            .bind(late)
            .bind(now)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    if inserted == 1 {
        return Ok(Recorded::First);
    }
    on!(
        tx.on(),
        "UPDATE checkins SET note = COALESCE(?, note), updated_at = ? \
         WHERE pod = ? AND day = ? AND user_id = ?",
        |q, c| sqlx::query(q)
            .bind(note)
            .bind(now)
            .bind(pod)
            .bind(day_key(day))
            .bind(user)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(Recorded::Updated)
}

pub async fn checkins(
    tx: &mut Tx<'_>,
    pod: &str,
    day: NaiveDate,
) -> Result<Vec<CheckIn>, sqlx::Error> {
    let rows = on!(
        tx.on(),
        "SELECT user_id, note, late, checked_in_at FROM checkins \
         WHERE pod = ? AND day = ? ORDER BY checked_in_at, user_id",
        |q, c| sqlx::query_as::<_, (String, Option<String>, bool, DateTime<Utc>)>(q)
            .bind(pod)
            .bind(day_key(day))
            .fetch_all(c)
            .await
    )?;
    Ok(rows
        .into_iter()
        .map(|(user, note, late, checked_in_at)| CheckIn {
            user,
            note,
            late,
            checked_in_at,
        })
        .collect())
}

pub async fn checkin_of(
    tx: &mut Tx<'_>,
    pod: &str,
    day: NaiveDate,
    user: &str,
) -> Result<Option<CheckIn>, sqlx::Error> {
    Ok(checkins(tx, pod, day)
        .await?
        .into_iter()
        .find(|c| c.user == user))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Away {
    pub until: NaiveDate,
    pub reason: Option<String>,
}

pub async fn set_away(
    tx: &mut Tx<'_>,
    user: &str,
    until: NaiveDate,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        "INSERT INTO checkin_away (user_id, until_day, reason, set_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET until_day = excluded.until_day, \
         reason = excluded.reason, set_at = excluded.set_at",
        |q, c| sqlx::query(q)
            .bind(user)
            .bind(day_key(until))
            .bind(reason)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// Ends `user`'s away time; false when there was none.
pub async fn clear_away(tx: &mut Tx<'_>, user: &str) -> Result<bool, sqlx::Error> {
    let done = on!(
        tx.on(),
        "DELETE FROM checkin_away WHERE user_id = ?",
        |q, c| sqlx::query(q)
            .bind(user)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(done > 0)
}

/// `user`'s away time if it covers `day`.
pub async fn away_on(
    tx: &mut Tx<'_>,
    user: &str,
    day: NaiveDate,
) -> Result<Option<Away>, sqlx::Error> {
    let row: Option<(String, Option<String>)> = on!(
        tx.on(),
        "SELECT until_day, reason FROM checkin_away WHERE user_id = ? AND until_day >= ?",
        |q, c| sqlx::query_as(q)
            .bind(user)
            .bind(day_key(day))
            .fetch_optional(c)
            .await
    )?;
    Ok(row.and_then(|(until, reason)| {
        NaiveDate::parse_from_str(&until, "%Y-%m-%d")
            .ok()
            .map(|until| Away { until, reason })
    }))
}
