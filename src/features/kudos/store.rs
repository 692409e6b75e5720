//! All kudos SQL. Times are Unix milliseconds of the business clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::storage::{Db, Tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Reaction,
    Command,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Reaction => "reaction",
            Source::Command => "command",
        }
    }
}

/// How the receiver hears of a kudos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Celebrated in the kudos channel.
    Channel,
    /// A direct message (the receiver prefers quiet thanks).
    Dm,
    /// Recorded only (no kudos channel configured).
    None,
}

impl Delivery {
    fn as_str(self) -> &'static str {
        match self {
            Delivery::Channel => "channel",
            Delivery::Dm => "dm",
            Delivery::None => "none",
        }
    }
}

pub struct NewKudos<'a> {
    pub at: DateTime<Utc>,
    pub giver: &'a str,
    pub receiver: &'a str,
    pub source: Source,
    pub channel: &'a str,
    pub message_ts: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub delivery: Delivery,
}

/// Given and not taken back.
const LIVE: &str =
    "kind = 'given' AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = kudos_log.id)";

/// Records the newest state of one reaction. False when an event at least as
/// new was already applied (a late or repeated delivery): then nothing changes.
pub async fn record_reaction(
    tx: &mut Tx<'_>,
    giver: &str,
    channel: &str,
    ts: &str,
    reaction: &str,
    present: bool,
    event_ts_us: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO kudos_reactions (giver, channel, message_ts, reaction, present, event_ts_us) \
         VALUES (?, ?, ?, ?, ?, ?) \
         ON CONFLICT (giver, channel, message_ts, reaction) DO UPDATE \
         SET present = excluded.present, event_ts_us = excluded.event_ts_us \
         WHERE excluded.event_ts_us > kudos_reactions.event_ts_us",
    )
    .bind(giver)
    .bind(channel)
    .bind(ts)
    .bind(reaction)
    .bind(present)
    .bind(event_ts_us)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// True while the giver still has some kudos emoji on the message.
pub async fn any_reaction_present(
    tx: &mut Tx<'_>,
    giver: &str,
    channel: &str,
    ts: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM kudos_reactions WHERE giver = ? AND channel = ? AND message_ts = ? AND present = 1",
    )
    .bind(giver)
    .bind(channel)
    .bind(ts)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}

/// The standing reaction kudos of `giver` on a message, if any.
pub async fn live_reaction_kudos(
    tx: &mut Tx<'_>,
    giver: &str,
    channel: &str,
    ts: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.kudos_id, k.delivery FROM kudos_live l JOIN kudos_log k ON k.id = l.kudos_id \
         WHERE l.giver = ? AND l.channel = ? AND l.message_ts = ?",
    )
    .bind(giver)
    .bind(channel)
    .bind(ts)
    .fetch_optional(&mut **tx)
    .await
}

pub async fn insert_given(tx: &mut Tx<'_>, k: &NewKudos<'_>) -> Result<i64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO kudos_log (kind, at_ms, giver, receiver, source, channel, message_ts, reason, delivery) \
         VALUES ('given', ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(k.at.timestamp_millis())
    .bind(k.giver)
    .bind(k.receiver)
    .bind(k.source.as_str())
    .bind(k.channel)
    .bind(k.message_ts)
    .bind(k.reason)
    .bind(k.delivery.as_str())
    .execute(&mut **tx)
    .await?;
    let id = done.last_insert_rowid();
    if let (Source::Reaction, Some(ts)) = (k.source, k.message_ts) {
        sqlx::query(
            "INSERT INTO kudos_live (giver, channel, message_ts, kudos_id) VALUES (?, ?, ?, ?) \
             ON CONFLICT (giver, channel, message_ts) DO NOTHING",
        )
        .bind(k.giver)
        .bind(k.channel)
        .bind(ts)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(id)
}

/// Takes a kudos back: a retraction row copying what it retracts. False if it
/// was already taken back.
pub async fn retract(
    tx: &mut Tx<'_>,
    kudos_id: i64,
    at: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO kudos_log (kind, retracts, at_ms, giver, receiver, source, channel, message_ts, reason, delivery) \
         SELECT 'retracted', id, ?, giver, receiver, source, channel, message_ts, reason, delivery \
         FROM kudos_log WHERE id = ? AND kind = 'given' \
         ON CONFLICT (retracts) DO NOTHING",
    )
    .bind(at.timestamp_millis())
    .bind(kudos_id)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM kudos_live WHERE kudos_id = ?")
        .bind(kudos_id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Standing kudos `giver` gave in `[start, end)`: what the daily limit counts.
pub async fn given_between(
    tx: &mut Tx<'_>,
    giver: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<u32, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM kudos_log WHERE giver = ? AND at_ms >= ? AND at_ms < ? AND {LIVE}"
    ))
    .bind(giver)
    .bind(start.timestamp_millis())
    .bind(end.timestamp_millis())
    .fetch_one(&mut **tx)
    .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// The standing celebrated kudos on a message, oldest first: (giver, receiver).
pub async fn celebrated_on(
    tx: &mut Tx<'_>,
    channel: &str,
    ts: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT giver, receiver FROM kudos_log WHERE channel = ? AND message_ts = ? \
         AND source = 'reaction' AND delivery = 'channel' AND {LIVE} ORDER BY at_ms, id"
    ))
    .bind(channel)
    .bind(ts)
    .fetch_all(&mut **tx)
    .await
}

pub async fn is_private(tx: &mut Tx<'_>, user: &str) -> Result<bool, sqlx::Error> {
    let private: Option<bool> =
        sqlx::query_scalar("SELECT private FROM kudos_prefs WHERE user_id = ?")
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    Ok(private.unwrap_or(false))
}

pub async fn set_private(
    tx: &mut Tx<'_>,
    user: &str,
    private: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO kudos_prefs (user_id, private, updated_at_ms) VALUES (?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET private = excluded.private, updated_at_ms = excluded.updated_at_ms",
    )
    .bind(user)
    .bind(private)
    .bind(at.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// When each standing kudos `user` received (or gave) happened.
pub async fn times(
    tx: &mut Tx<'_>,
    user: &str,
    as_receiver: bool,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let who = if as_receiver { "receiver" } else { "giver" };
    let ms: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT at_ms FROM kudos_log WHERE {who} = ? AND {LIVE} ORDER BY at_ms"
    ))
    .bind(user)
    .fetch_all(&mut **tx)
    .await?;
    Ok(ms
        .into_iter()
        .filter_map(DateTime::<Utc>::from_timestamp_millis)
        .collect())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Received {
    pub at_ms: i64,
    pub giver: String,
    pub channel: String,
    pub reason: Option<String>,
}

/// The newest standing kudos `user` received.
pub async fn recent_received(
    tx: &mut Tx<'_>,
    user: &str,
    limit: i64,
) -> Result<Vec<Received>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT at_ms, giver, channel, reason FROM kudos_log \
         WHERE receiver = ? AND {LIVE} ORDER BY at_ms DESC, id DESC LIMIT ?"
    ))
    .bind(user)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// The most thanked people since `since`: only the top, never the bottom.
pub async fn top_receivers(
    tx: &mut Tx<'_>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT receiver, COUNT(*) AS n FROM kudos_log WHERE at_ms >= ? AND {LIVE} \
         GROUP BY receiver ORDER BY n DESC, MIN(at_ms) LIMIT ?"
    ))
    .bind(since.timestamp_millis())
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// One line of `needful export kudos`.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    #[sqlx(skip)]
    pub at: String,
    /// `kudos` or `retraction`.
    pub event: String,
    pub giver: String,
    pub receiver: String,
    pub source: String,
    pub channel: String,
    pub message_ts: Option<String>,
    pub reason: Option<String>,
    /// On a retraction: the id of the kudos taken back.
    pub retracts: Option<i64>,
    #[serde(skip)]
    pub at_ms: i64,
}

pub async fn export_rows(
    db: &Db,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<ExportRow>, sqlx::Error> {
    let mut rows: Vec<ExportRow> = sqlx::query_as(
        "SELECT id, at_ms, CASE kind WHEN 'given' THEN 'kudos' ELSE 'retraction' END AS event, \
         giver, receiver, source, channel, message_ts, reason, retracts \
         FROM kudos_log WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id",
    )
    .bind(start.timestamp_millis())
    .bind(end.timestamp_millis())
    .fetch_all(db)
    .await?;
    for r in &mut rows {
        r.at = DateTime::<Utc>::from_timestamp_millis(r.at_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
    }
    Ok(rows)
}
