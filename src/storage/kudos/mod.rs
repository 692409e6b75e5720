//! All kudos SQL. Times are Unix milliseconds of the business clock.
//!
//! The reaction batch reads and writes with direct calls on the event
//! writer's connection ([`snapshot`], [`write_reactions`]); the daily
//! limit's counts are kept in memory between batches ([`DailyCounts`]).
//! Kudos given by reaction or by `/kudos` are written to `kudos_log` by
//! the same direct calls ([`log`]).

mod daily;
mod log;
mod reactions;

use crate::storage::on;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Db, Tx, direct, sql::On};

pub use daily::DailyCounts;
pub use log::{GivenRow, Retraction, Via};
pub use reactions::{
    CommandKudos, LiveKudos, ReactionKeys, ReactionSnapshot, ReactionWrites, command_kudos_on,
    receiver_on, snapshot, write_reactions,
};

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
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Channel => "channel",
            Delivery::Dm => "dm",
            Delivery::None => "none",
        }
    }
}

/// Given and not taken back.
const LIVE: &str =
    "kind = 'given' AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = kudos_log.id)";

/// The id the next `kudos_log` row gets ([`log`]); the caller holds the
/// write lock until it commits the rows it numbers from it.
pub async fn next_id(tx: &mut Tx<'_>) -> Result<i64, sqlx::Error> {
    match tx.on() {
        On::Sqlite(c) => direct::run(c, |db| log::next_id_on(db)).await,
        On::Postgres(c) => log::next_id_pg(c).await,
    }
}

/// Records kudos given with `/kudos`, as the reaction batch records its own.
pub async fn record_given(tx: &mut Tx<'_>, rows: &[GivenRow]) -> Result<(), sqlx::Error> {
    match tx.on() {
        On::Sqlite(c) => direct::run(c, |db| log::insert_given_on(db, rows)).await,
        On::Postgres(c) => {
            log::insert_given_pg(&mut *c, rows).await?;
            if !rows.is_empty() {
                log::sync_ids_pg(c).await?;
            }
            Ok(())
        }
    }
}

/// Standing kudos `giver` gave in `[start, end)`: what the daily limit counts.
pub async fn given_between(
    tx: &mut Tx<'_>,
    giver: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<u32, sqlx::Error> {
    let (start, end) = (start.timestamp_millis(), end.timestamp_millis());
    let n = match tx.on() {
        On::Sqlite(c) => direct::run(c, |db| daily::given_in_day_on(db, giver, start, end)).await?,
        On::Postgres(c) => daily::given_in_day_pg(c, giver, start, end).await?,
    };
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub async fn is_private(tx: &mut Tx<'_>, user: &str) -> Result<bool, sqlx::Error> {
    let private: Option<bool> = on!(
        tx.on(),
        "SELECT private FROM kudos_prefs WHERE user_id = ?",
        |q, c| sqlx::query_scalar(q).bind(user).fetch_optional(c).await
    )?;
    Ok(private.unwrap_or(false))
}

pub async fn set_private(
    tx: &mut Tx<'_>,
    user: &str,
    private: bool,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        "INSERT INTO kudos_prefs (user_id, private, updated_at_ms) VALUES (?, ?, ?) \
         ON CONFLICT (user_id) DO UPDATE SET private = excluded.private, updated_at_ms = excluded.updated_at_ms",
        |q, c| sqlx::query(q)
            .bind(user)
            .bind(private)
            .bind(at.timestamp_millis())
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// When each standing kudos `user` received (or gave) happened.
pub async fn times(
    tx: &mut Tx<'_>,
    user: &str,
    as_receiver: bool,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    let who = if as_receiver { "receiver" } else { "giver" };
    let ms: Vec<i64> = on!(
        tx.on(),
        &format!("SELECT at_ms FROM kudos_log WHERE {who} = ? AND {LIVE} ORDER BY at_ms"),
        |q, c| sqlx::query_scalar(q).bind(user).fetch_all(c).await
    )?;
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
    on!(
        tx.on(),
        &format!(
            "SELECT at_ms, giver, channel, reason FROM kudos_log \
         WHERE receiver = ? AND {LIVE} ORDER BY at_ms DESC, id DESC LIMIT ?"
        ),
        |q, c| sqlx::query_as(q).bind(user).bind(limit).fetch_all(c).await
    )
}

/// The most thanked people since `since`: only the top, never the bottom.
pub async fn top_receivers(
    tx: &mut Tx<'_>,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    on!(
        tx.on(),
        &format!(
            "SELECT receiver, COUNT(*) AS n FROM kudos_log WHERE at_ms >= ? AND {LIVE} \
         GROUP BY receiver ORDER BY n DESC, MIN(at_ms) LIMIT ?"
        ),
        |q, c| sqlx::query_as(q)
            .bind(since.timestamp_millis())
            .bind(limit)
            .fetch_all(c)
            .await
    )
}

/// A celebrated reaction kudos standing on a message.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Standing {
    pub giver: String,
    pub receiver: String,
    /// Set on a kudos that joined in on a `/kudos` celebration (the message).
    pub reason: Option<String>,
}

/// The celebrated reaction kudos standing on a message, oldest first. What
/// its celebration shows.
pub async fn standing_on(db: &Db, channel: &str, ts: &str) -> Result<Vec<Standing>, sqlx::Error> {
    on!(
        db.on(),
        &format!(
            "SELECT giver, receiver, reason FROM kudos_log WHERE channel = ? AND message_ts = ? \
         AND source = 'reaction' AND delivery = 'channel' AND {LIVE} ORDER BY id"
        ),
        |q, c| sqlx::query_as(q).bind(channel).bind(ts).fetch_all(c).await
    )
}

/// The kudos a `/kudos` gave, from its first row's id to before `end`
/// (see [`CommandKudos`]).
pub async fn command_kudos(
    db: &Db,
    first: i64,
    end: i64,
) -> Result<Vec<CommandKudos>, sqlx::Error> {
    on!(db.on(), reactions::COMMAND_KUDOS, |q, c| sqlx::query_as(q)
        .bind(first)
        .bind(end)
        .fetch_all(c)
        .await)
}

/// One line of `needful export kudos`.
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
pub struct ExportRow {
    pub id: i64,
    #[sqlx(skip)]
    pub at: String,
    /// `kudos` or `retraction`.
    pub event: String,
    pub giver: String,
    /// Filled in by the export (see [`crate::features::export::Names`]).
    #[sqlx(skip)]
    pub giver_name: String,
    pub receiver: String,
    #[sqlx(skip)]
    pub receiver_name: String,
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
    let mut rows: Vec<ExportRow> = on!(
        db.on(),
        "SELECT id, at_ms, CASE kind WHEN 'given' THEN 'kudos' ELSE 'retraction' END AS event, \
         giver, receiver, source, channel, message_ts, reason, retracts \
         FROM kudos_log WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms, id",
        |q, c| sqlx::query_as(q)
            .bind(start.timestamp_millis())
            .bind(end.timestamp_millis())
            .fetch_all(c)
            .await
    )?;
    for r in &mut rows {
        r.at = DateTime::<Utc>::from_timestamp_millis(r.at_ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
    }
    Ok(rows)
}
