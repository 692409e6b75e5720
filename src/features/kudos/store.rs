//! All kudos SQL. Times are Unix milliseconds of the business clock.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use sqlx::{Row as _, SqliteConnection};

use crate::storage::{self, Db, Tx, outbox::NewRow};

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
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Delivery::Channel => "channel",
            Delivery::Dm => "dm",
            Delivery::None => "none",
        }
    }
}

/// A kudos given with `/kudos` (reaction kudos are written in batches:
/// [`write_reactions`]).
pub struct CommandKudos<'a> {
    pub at: DateTime<Utc>,
    pub giver: &'a str,
    pub receiver: &'a str,
    /// Where the command ran.
    pub channel: &'a str,
    pub reason: &'a str,
    pub delivery: Delivery,
}

/// Given and not taken back.
const LIVE: &str =
    "kind = 'given' AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = kudos_log.id)";

pub async fn insert_command_kudos(
    tx: &mut Tx<'_>,
    k: &CommandKudos<'_>,
) -> Result<i64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO kudos_log (kind, at_ms, giver, receiver, source, channel, reason, delivery) \
         VALUES ('given', ?, ?, ?, 'command', ?, ?, ?)",
    )
    .bind(k.at.timestamp_millis())
    .bind(k.giver)
    .bind(k.receiver)
    .bind(k.channel)
    .bind(k.reason)
    .bind(k.delivery.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.last_insert_rowid())
}

/// SQL for the standing kudos a giver gave in `[start, end)`, what the daily
/// limit counts: the day's given rows less those taken back, both counted
/// from index `kudos_log_giver_kind` (so a prolific giver costs no more). A
/// kudos is taken back after it is given, so its retraction is in the day or
/// later.
fn given_in_day(giver: &str, start: &str, end: &str) -> String {
    format!(
        "((SELECT COUNT(*) FROM kudos_log WHERE giver = {giver} AND kind = 'given' \
           AND at_ms >= {start} AND at_ms < {end}) \
        - (SELECT COUNT(*) FROM kudos_log r JOIN kudos_log g ON g.id = r.retracts \
           WHERE r.giver = {giver} AND r.kind = 'retracted' AND r.at_ms >= {start} \
           AND g.at_ms >= {start} AND g.at_ms < {end}))"
    )
}

/// Standing kudos `giver` gave in `[start, end)`: what the daily limit counts.
pub async fn given_between(
    tx: &mut Tx<'_>,
    giver: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<u32, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!("SELECT {}", given_in_day("?1", "?2", "?3")))
        .bind(giver)
        .bind(start.timestamp_millis())
        .bind(end.timestamp_millis())
        .fetch_one(&mut **tx)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
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
#[derive(Debug, Clone, Default, Serialize, sqlx::FromRow)]
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

/// A value as the JSON text a `json_each(?)` parameter takes.
fn json_param(value: &impl Serialize) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// What a batch of reaction events needs to look at.
#[derive(Debug, Default)]
pub struct ReactionKeys {
    /// Givers and receivers (are they bots? do they prefer private thanks?).
    pub people: Vec<String>,
    /// (giver, channel, ts): the giver's reactions and standing kudos there.
    pub messages: Vec<(String, String, String)>,
    /// (giver, start ms, end ms): the giver's current day, for the limit.
    pub days: Vec<(String, i64, i64)>,
    /// (channel, ts): messages whose celebration may change.
    pub celebrated: Vec<(String, String)>,
    /// How many of the oldest standing kudos per message to read: the names
    /// a celebration shows, plus one for each removal the batch may make.
    pub first: i64,
}

/// A standing reaction kudos.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LiveKudos {
    pub giver: String,
    pub channel: String,
    pub message_ts: String,
    pub kudos_id: i64,
    pub delivery: String,
    pub at_ms: i64,
}

/// The state behind [`ReactionKeys`], read in one query.
#[derive(Debug, Deserialize)]
pub struct ReactionSnapshot {
    pub bots: Vec<String>,
    pub private: Vec<String>,
    /// (giver, channel, ts, emoji, present, event µs)
    pub reactions: Vec<(String, String, String, String, i64, i64)>,
    pub live: Vec<LiveKudos>,
    /// (giver, standing kudos given in their day)
    pub given: Vec<(String, i64)>,
    /// (channel, ts, standing celebrated kudos) per message that has any.
    pub counts: Vec<(String, String, i64)>,
    /// (channel, ts, id, giver, receiver): the oldest standing celebrated
    /// kudos per message, [`ReactionKeys::first`] of them at most.
    pub first: Vec<(String, String, i64, String, String)>,
    /// The id the next kudos_log row gets. Ids are handed out in memory so a
    /// kudos and its retraction can land in one batch; the write lock held
    /// since BEGIN IMMEDIATE keeps them ours.
    pub next_id: i64,
}

/// Starts a batch's write transaction, records its deliveries as applied
/// and reads everything [`ReactionKeys`] names: one round trip. Returns
/// whether each delivery is new (see [`storage::events::mark_applied`]) and
/// the state. The caller ends the transaction with [`write_and_commit`], or
/// [`rollback`] on any error.
pub async fn begin_batch(
    conn: &mut SqliteConnection,
    deliveries: &[(&str, &str)],
    at: DateTime<Utc>,
    keys: &ReactionKeys,
) -> Result<(Vec<bool>, ReactionSnapshot), sqlx::Error> {
    // CROSS JOIN keeps json_each as the outer loop, so every lookup is an
    // index probe whatever the table sizes. The snapshot is the first row
    // back; the ids of the new deliveries follow.
    let rows = sqlx::query(&format!(
        "BEGIN IMMEDIATE; \
         SELECT json_object( \
           'bots', (SELECT json_group_array(b.user_id) FROM json_each(?1) p \
                    CROSS JOIN known_bots b ON b.user_id = p.value), \
           'private', (SELECT json_group_array(f.user_id) FROM json_each(?1) p \
                       CROSS JOIN kudos_prefs f ON f.user_id = p.value WHERE f.private = 1), \
           'reactions', (SELECT json_group_array(json_array(r.giver, r.channel, r.message_ts, \
                                r.reaction, r.present, r.event_ts_us)) \
                         FROM json_each(?2) m CROSS JOIN kudos_reactions r \
                         ON r.giver = m.value->>0 AND r.channel = m.value->>1 \
                         AND r.message_ts = m.value->>2), \
           'live', (SELECT json_group_array(json_object('giver', l.giver, 'channel', l.channel, \
                           'message_ts', l.message_ts, 'kudos_id', k.id, 'delivery', k.delivery, \
                           'at_ms', k.at_ms)) \
                    FROM json_each(?2) m CROSS JOIN kudos_live l \
                    ON l.giver = m.value->>0 AND l.channel = m.value->>1 \
                    AND l.message_ts = m.value->>2 \
                    JOIN kudos_log k ON k.id = l.kudos_id), \
           'given', (SELECT json_group_array(json_array(d.value->>0, {given})) \
                     FROM json_each(?3) d), \
           'counts', (SELECT json_group_array(json_array(c.channel, c.message_ts, c.standing)) \
                      FROM json_each(?4) m CROSS JOIN kudos_message_counts c \
                      ON c.channel = m.value->>0 AND c.message_ts = m.value->>1), \
           'first', (SELECT json_group_array(json_array(k.channel, k.message_ts, k.id, k.giver, \
                            k.receiver)) \
                     FROM json_each(?4) m CROSS JOIN kudos_log k \
                     WHERE k.id IN (SELECT id FROM kudos_log WHERE channel = m.value->>0 \
                                    AND message_ts = m.value->>1 AND source = 'reaction' \
                                    AND delivery = 'channel' AND {LIVE} ORDER BY id LIMIT ?5)), \
           'next_id', 1 + MAX(IFNULL((SELECT seq FROM sqlite_sequence WHERE name = 'kudos_log'), 0), \
                              IFNULL((SELECT MAX(id) FROM kudos_log), 0))); \
         {mark}",
        given = given_in_day("d.value->>0", "d.value->>1", "d.value->>2"),
        mark = storage::events::mark_statement(6, 7),
    ))
    .bind(json_param(&keys.people)?)
    .bind(json_param(&keys.messages)?)
    .bind(json_param(&keys.days)?)
    .bind(json_param(&keys.celebrated)?)
    .bind(keys.first)
    .bind(at)
    .bind(storage::events::events_param(deliveries)?)
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = rows.into_iter();
    let document: String = rows
        .next()
        .ok_or_else(|| sqlx::Error::RowNotFound)?
        .try_get(0)?;
    let inserted = rows
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<Vec<_>, _>>()?;
    let snapshot = serde_json::from_str(&document).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok((storage::events::fresh(deliveries, inserted), snapshot))
}

/// Ends [`begin_batch`]'s transaction without a trace. Safe when it never
/// began (SQLite's complaint that nothing is open is the expected answer).
pub async fn rollback(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    match sqlx::query("ROLLBACK").execute(&mut *conn).await {
        Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => Ok(()),
        other => other.map(|_| ()),
    }
}

/// A new reaction kudos row, with the id [`ReactionSnapshot::next_id`] gave it.
#[derive(Debug, Serialize)]
pub struct GivenRow {
    pub id: i64,
    pub at_ms: i64,
    pub giver: String,
    pub receiver: String,
    pub channel: String,
    pub message_ts: String,
    pub delivery: &'static str,
}

/// A retraction row: its own id, the kudos it takes back, and when.
#[derive(Debug, Serialize)]
pub struct Retraction {
    pub id: i64,
    pub retracts: i64,
    pub at_ms: i64,
}

/// What a batch of reaction events changes.
#[derive(Debug, Default)]
pub struct ReactionWrites {
    /// (giver, channel, ts, emoji, present, event µs), newest state per key.
    pub reactions: Vec<(String, String, String, String, i64, i64)>,
    pub given: Vec<GivenRow>,
    pub retracted: Vec<Retraction>,
    /// Kudos no longer standing (removed first, by key), then the ones
    /// standing anew.
    pub live_removed: Vec<LiveKudos>,
    pub live_added: Vec<LiveKudos>,
    /// (channel, ts, standing) for every message whose count changed.
    pub counts: Vec<(String, String, i64)>,
}

/// Writes a batch's changes and the outbox rows they cause, and commits
/// [`begin_batch`]'s transaction: one round trip.
pub async fn write_and_commit(
    conn: &mut SqliteConnection,
    w: &ReactionWrites,
    outbox: &[NewRow],
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "INSERT INTO kudos_reactions (giver, channel, message_ts, reaction, present, event_ts_us) \
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5 \
         FROM json_each(?) WHERE true \
         ON CONFLICT (giver, channel, message_ts, reaction) DO UPDATE \
         SET present = excluded.present, event_ts_us = excluded.event_ts_us \
         WHERE excluded.event_ts_us > kudos_reactions.event_ts_us; \
         INSERT INTO kudos_log (id, kind, at_ms, giver, receiver, source, channel, message_ts, delivery) \
         SELECT value->>'id', 'given', value->>'at_ms', value->>'giver', value->>'receiver', \
                'reaction', value->>'channel', value->>'message_ts', value->>'delivery' \
         FROM json_each(?) ORDER BY key; \
         INSERT INTO kudos_log (id, kind, retracts, at_ms, giver, receiver, source, channel, \
                                message_ts, reason, delivery) \
         SELECT r.value->>'id', 'retracted', k.id, r.value->>'at_ms', k.giver, k.receiver, \
                k.source, k.channel, k.message_ts, k.reason, k.delivery \
         FROM json_each(?) r JOIN kudos_log k ON k.id = r.value->>'retracts' ORDER BY r.key; \
         DELETE FROM kudos_live WHERE (giver, channel, message_ts, kudos_id) IN \
             (SELECT value->>'giver', value->>'channel', value->>'message_ts', value->>'kudos_id' \
              FROM json_each(?)); \
         INSERT INTO kudos_live (giver, channel, message_ts, kudos_id) \
         SELECT value->>'giver', value->>'channel', value->>'message_ts', value->>'kudos_id' \
         FROM json_each(?); \
         INSERT INTO kudos_message_counts (channel, message_ts, standing) \
         SELECT value->>0, value->>1, value->>2 FROM json_each(?) WHERE true \
         ON CONFLICT (channel, message_ts) DO UPDATE SET standing = excluded.standing; \
         {INSERT}; \
         COMMIT",
        INSERT = storage::outbox::INSERT
    ))
    .bind(json_param(&w.reactions)?)
    .bind(json_param(&w.given)?)
    .bind(json_param(&w.retracted)?)
    .bind(json_param(&w.live_removed)?)
    .bind(json_param(&w.live_added)?)
    .bind(json_param(&w.counts)?)
    .bind(chrono::Utc::now())
    .bind(storage::outbox::rows_param(outbox)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
