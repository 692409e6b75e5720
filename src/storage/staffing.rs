//! Understaffed mode's SQL. Instants are stored as Unix seconds.

use crate::storage::on;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, Tx};
use crate::domain::ids::UserId;

#[derive(Debug, Clone)]
pub struct Switch {
    pub id: i64,
    pub pod: String,
    pub reason: String,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub until_at: Option<DateTime<Utc>>,
}

type SwitchRow = (i64, String, String, String, i64, Option<i64>);

const SWITCH_COLUMNS: &str = "id, pod, reason, started_by, started_at, until_at";

fn instant(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

fn to_switch(row: SwitchRow) -> Switch {
    let (id, pod, reason, started_by, started_at, until_at) = row;
    Switch {
        id,
        pod,
        reason,
        started_by,
        started_at: instant(started_at),
        until_at: until_at.map(instant),
    }
}

/// The pod's current period, if it is understaffed.
pub async fn open_switch(tx: &mut Tx<'_>, pod: &str) -> Result<Option<Switch>, sqlx::Error> {
    let row: Option<SwitchRow> = on!(
        tx.on(),
        &format!(
            "SELECT {SWITCH_COLUMNS} FROM staffing_switches WHERE pod = ? AND ended_at IS NULL"
        ),
        |q, c| sqlx::query_as(q).bind(pod).fetch_optional(c).await
    )?;
    Ok(row.map(to_switch))
}

/// The period `id` while it is still on.
pub async fn open_switch_by_id(tx: &mut Tx<'_>, id: i64) -> Result<Option<Switch>, sqlx::Error> {
    let row: Option<SwitchRow> = on!(
        tx.on(),
        &format!(
            "SELECT {SWITCH_COLUMNS} FROM staffing_switches WHERE id = ? AND ended_at IS NULL"
        ),
        |q, c| sqlx::query_as(q).bind(id).fetch_optional(c).await
    )?;
    Ok(row.map(to_switch))
}

/// Starts a period; None when the pod is already on (the unique open index).
pub async fn switch_on(
    tx: &mut Tx<'_>,
    pod: &str,
    reason: &str,
    by: &UserId,
    at: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<i64>, sqlx::Error> {
    let done = on!(
        tx.on(),
        "INSERT INTO staffing_switches (pod, reason, started_by, started_at, until_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        |q, c| sqlx::query_scalar(q)
            .bind(pod)
            .bind(reason)
            .bind(by.as_str())
            .bind(at.timestamp())
            .bind(until.map(|u| u.timestamp()))
            .fetch_optional(c)
            .await
    )?;
    Ok(done)
}

/// A second `on`: the new reason, and the new end when one was given.
pub async fn update_reason(
    tx: &mut Tx<'_>,
    id: i64,
    reason: &str,
    until: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        "UPDATE staffing_switches SET reason = ?, until_at = COALESCE(?, until_at), reason_updates = reason_updates + 1 WHERE id = ?",
        |q, c| sqlx::query(q)
            .bind(reason)
            .bind(until.map(|u| u.timestamp()))
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// Ends the period; false when it had already ended (so the caller does nothing).
pub async fn switch_off(
    tx: &mut Tx<'_>,
    id: i64,
    at: DateTime<Utc>,
    by: Option<&UserId>,
) -> Result<bool, sqlx::Error> {
    let done = on!(
        tx.on(),
        "UPDATE staffing_switches SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL",
        |q, c| sqlx::query(q)
            .bind(at.timestamp())
            .bind(by.map(|u| u.as_str()))
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(done == 1)
}

/// Open periods whose `--until` has come.
pub async fn due(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT id FROM staffing_switches WHERE ended_at IS NULL AND until_at IS NOT NULL AND until_at <= ? ORDER BY id",
        |q, c| sqlx::query_scalar(q)
            .bind(now.timestamp())
            .fetch_all(c)
            .await
    )
}

/// Records an offer of help; false when this person already offered.
pub async fn add_helper(
    tx: &mut Tx<'_>,
    switch_id: i64,
    user: &UserId,
    channel: &str,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = on!(
        tx.on(),
        "INSERT INTO staffing_helpers (switch_id, user_id, channel, offered_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        |q, c| sqlx::query(q)
            .bind(switch_id)
            .bind(user.as_str())
            .bind(channel)
            .bind(at.timestamp())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(done == 1)
}

pub async fn helpers(tx: &mut Tx<'_>, switch_id: i64) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<String> = on!(
        tx.on(),
        "SELECT user_id FROM staffing_helpers WHERE switch_id = ? ORDER BY offered_at, user_id",
        |q, c| sqlx::query_scalar(q).bind(switch_id).fetch_all(c).await
    )?;
    Ok(ids.iter().filter_map(|id| UserId::parse(id).ok()).collect())
}

/// Where a message needful posted under `key` landed, once delivered.
pub async fn posted_ts(tx: &mut Tx<'_>, key: &str) -> Result<Option<String>, sqlx::Error> {
    on!(
        tx.on(),
        "SELECT ts FROM slack_messages WHERE message_key = ?",
        |q, c| sqlx::query_scalar(q).bind(key).fetch_optional(c).await
    )
}

/// One understaffed period as exported.
#[derive(Debug, Default, Serialize)]
pub struct ExportRow {
    pub pod: String,
    pub reason: String,
    pub switched_on_by: String,
    /// Names are filled in by the export (see [`crate::features::export::Names`]).
    pub switched_on_by_name: String,
    pub started_at: String,
    pub planned_until: Option<String>,
    pub ended_at: Option<String>,
    /// Who switched it off; "until" when `--until` ended it; empty while on.
    pub switched_off_by: String,
    pub switched_off_by_name: String,
    /// How long it lasted; empty while it is still on.
    pub minutes: Option<i64>,
    pub reason_updates: i64,
    pub helpers: String,
    pub helper_names: String,
}

type ExportSql = (
    i64,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    i64,
    Option<String>,
);

/// Periods that overlap `[start, end)`, oldest first.
pub async fn export_rows(
    db: &Db,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    let rows: Vec<ExportSql> = on!(db.on(), "SELECT s.id, s.pod, s.reason, s.started_by, s.started_at, s.until_at, s.ended_at, s.ended_by, s.reason_updates,
                (SELECT string_agg(h.user_id, ' ') FROM staffing_helpers h WHERE h.switch_id = s.id)
         FROM staffing_switches s
         WHERE s.started_at < ? AND (s.ended_at IS NULL OR s.ended_at >= ?)
         ORDER BY s.started_at, s.id", |q, c| sqlx::query_as(q)
    .bind(end.timestamp())
    .bind(start.timestamp())
    .fetch_all(c).await)?;
    let iso = |secs: i64| instant(secs).to_rfc3339();
    Ok(rows
        .into_iter()
        .map(
            |(_, pod, reason, by, started, until, ended, ended_by, updates, helpers)| ExportRow {
                pod,
                reason,
                switched_on_by: by,
                started_at: iso(started),
                planned_until: until.map(iso),
                ended_at: ended.map(iso),
                switched_off_by: match (ended, ended_by) {
                    (None, _) => String::new(),
                    (Some(_), Some(by)) => by,
                    (Some(_), None) => "until".to_string(),
                },
                minutes: ended.map(|e| (e - started).max(0) / 60),
                reason_updates: updates,
                helpers: helpers.unwrap_or_default(),
                ..ExportRow::default()
            },
        )
        .collect())
}
