//! All kudos SQL. Times are Unix milliseconds of the business clock.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::storage::{Db, Tx};

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

/// Standing kudos `giver` gave in `[start, end)`: what the daily limit counts.
pub async fn given_between(
    tx: &mut Tx<'_>,
    giver: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<u32, sqlx::Error> {
    let (start, end) = (start.timestamp_millis(), end.timestamp_millis());
    let n = crate::storage::direct::run(tx, |db| given_in_day_on(db, giver, start, end)).await?;
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

/// The celebrated reaction kudos standing on a message, oldest first:
/// (giver, receiver). What its celebration shows.
pub async fn standing_on(
    db: &Db,
    channel: &str,
    ts: &str,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT giver, receiver FROM kudos_log WHERE channel = ? AND message_ts = ? \
         AND source = 'reaction' AND delivery = 'channel' AND {LIVE} ORDER BY id"
    ))
    .bind(channel)
    .bind(ts)
    .fetch_all(db)
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

/// What a batch of reaction events needs to look at.
#[derive(Debug, Default)]
pub struct ReactionKeys {
    /// Givers and receivers (are they bots? do they prefer private thanks?).
    pub people: Vec<String>,
    /// (giver, channel, ts): the giver's reactions and standing kudos there.
    pub messages: Vec<(String, String, String)>,
    /// (giver, start ms, end ms): the giver's current day, for the limit.
    pub days: Vec<(String, i64, i64)>,
}

/// A standing reaction kudos.
#[derive(Debug, Clone)]
pub struct LiveKudos {
    pub giver: String,
    pub channel: String,
    pub message_ts: String,
    pub kudos_id: i64,
    pub delivery: String,
    pub at_ms: i64,
}

/// The state behind [`ReactionKeys`].
#[derive(Debug, Default)]
pub struct ReactionSnapshot {
    pub bots: Vec<String>,
    pub private: Vec<String>,
    /// (giver, channel, ts, emoji, present, event µs)
    pub reactions: Vec<(String, String, String, String, i64, i64)>,
    pub live: Vec<LiveKudos>,
    /// (giver, standing kudos given in their day)
    pub given: Vec<(String, i64)>,
    /// (giver, channel, ts, reaction kudos ever given there by the giver,
    /// taken back or not): what bounds a giver toggling one reaction.
    pub gives: Vec<(String, String, String, u32)>,
    /// (person, reason, ms) of the last refusal notice each was sent.
    pub notices: Vec<(String, String, i64)>,
    /// The id the next kudos_log row gets. Ids are handed out in memory so a
    /// kudos and its retraction can land in one batch; the write lock held
    /// since BEGIN IMMEDIATE keeps them ours.
    pub next_id: i64,
}

/// Reads everything `keys` names, inside the batch's write transaction: one
/// index probe per key.
pub fn snapshot(
    db: &rusqlite::Connection,
    keys: &ReactionKeys,
    daily: &super::daily::DailyCounts,
    now_ms: i64,
) -> rusqlite::Result<ReactionSnapshot> {
    let mut s = ReactionSnapshot::default();
    let mut bot = db.prepare_cached("SELECT 1 FROM known_bots WHERE user_id = ?1")?;
    let mut private =
        db.prepare_cached("SELECT 1 FROM kudos_prefs WHERE user_id = ?1 AND private = 1")?;
    for person in &keys.people {
        if bot.exists([person])? {
            s.bots.push(person.clone());
        }
        if private.exists([person])? {
            s.private.push(person.clone());
        }
    }
    let mut reactions = db.prepare_cached(
        "SELECT reaction, present, event_ts_us FROM kudos_reactions \
         WHERE giver = ?1 AND channel = ?2 AND message_ts = ?3",
    )?;
    // Every reaction kudos the giver gave on the message, standing or not:
    // the standing one is the live kudos, and how many there were bounds
    // how often they may change it.
    let mut gives = db.prepare_cached(
        "SELECT id, delivery, at_ms, \
                NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = kudos_log.id) \
         FROM kudos_log INDEXED BY kudos_log_message \
         WHERE channel = ?2 AND message_ts = ?3 AND giver = ?1 AND source = 'reaction' \
           AND kind = 'given'",
    )?;
    for (giver, channel, ts) in &keys.messages {
        let mut rows = reactions.query((giver, channel, ts))?;
        while let Some(row) = rows.next()? {
            s.reactions.push((
                giver.clone(),
                channel.clone(),
                ts.clone(),
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
            ));
        }
        let mut rows = gives.query((giver, channel, ts))?;
        let mut count = 0;
        while let Some(row) = rows.next()? {
            count += 1;
            if row.get::<_, bool>(3)? {
                s.live.push(LiveKudos {
                    giver: giver.clone(),
                    channel: channel.clone(),
                    message_ts: ts.clone(),
                    kudos_id: row.get(0)?,
                    delivery: row.get(1)?,
                    at_ms: row.get(2)?,
                });
            }
        }
        if count > 0 {
            s.gives
                .push((giver.clone(), channel.clone(), ts.clone(), count));
        }
    }
    let mut notices =
        db.prepare_cached("SELECT reason, last_at_ms FROM refusal_notices WHERE user_id = ?1")?;
    for person in &keys.people {
        let mut rows = notices.query([person])?;
        while let Some(row) = rows.next()? {
            s.notices.push((person.clone(), row.get(0)?, row.get(1)?));
        }
    }
    s.next_id = db
        .prepare_cached("SELECT 1 + IFNULL(MAX(id), 0) FROM kudos_log")?
        .query_row([], |row| row.get(0))?;
    s.given = daily.given(db, &keys.days, s.next_id - 1, now_ms)?;
    Ok(s)
}

/// The standing kudos `giver` gave in `[start_ms, end_ms)`, what the daily
/// limit counts: the day's given rows less those taken back, both counted
/// from index `kudos_log_giver_kind`, one step per kudos (the event writer
/// reads it once per giver's day and keeps it: [`super::daily`]). A kudos is
/// taken back after it is given, so its retraction is in the day or later.
pub fn given_in_day_on(
    db: &rusqlite::Connection,
    giver: &str,
    start_ms: i64,
    end_ms: i64,
) -> rusqlite::Result<i64> {
    db.prepare_cached(
        "SELECT (SELECT COUNT(*) FROM kudos_log WHERE giver = ?1 AND kind = 'given' \
                 AND at_ms >= ?2 AND at_ms < ?3) \
              - (SELECT COUNT(*) FROM kudos_log r JOIN kudos_log g ON g.id = r.retracts \
                 WHERE r.giver = ?1 AND r.kind = 'retracted' AND r.at_ms >= ?2 \
                 AND g.at_ms >= ?2 AND g.at_ms < ?3)",
    )?
    .query_row((giver, start_ms, end_ms), |row| row.get(0))
}

/// A `kudos_log` row as the daily counts see it.
pub struct Added {
    pub giver: String,
    pub at_ms: i64,
    /// For a retraction: when the kudos it takes back was given.
    pub retracted_at_ms: Option<i64>,
}

/// The rows with ids in `(after, upto]`, oldest first.
pub fn added_between(
    db: &rusqlite::Connection,
    after: i64,
    upto: i64,
) -> rusqlite::Result<Vec<Added>> {
    db.prepare_cached(
        "SELECT r.giver, r.at_ms, g.at_ms FROM kudos_log r \
         LEFT JOIN kudos_log g ON g.id = r.retracts AND r.kind = 'retracted' \
         WHERE r.id > ?1 AND r.id <= ?2 AND (r.kind = 'given' OR g.id IS NOT NULL) \
         ORDER BY r.id",
    )?
    .query_map((after, upto), |row| {
        Ok(Added {
            giver: row.get(0)?,
            at_ms: row.get(1)?,
            retracted_at_ms: row.get(2)?,
        })
    })?
    .collect()
}

/// A new reaction kudos row, with the id [`ReactionSnapshot::next_id`] gave it.
#[derive(Debug)]
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
#[derive(Debug)]
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
    /// (person, reason, ms): refusal notices sent.
    pub notices: Vec<(String, String, i64)>,
}

/// Writes a batch's changes inside its write transaction.
pub fn write(db: &rusqlite::Connection, w: &ReactionWrites) -> rusqlite::Result<()> {
    let mut reaction = db.prepare_cached(
        "INSERT INTO kudos_reactions (giver, channel, message_ts, reaction, present, event_ts_us) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (giver, channel, message_ts, reaction) DO UPDATE \
         SET present = excluded.present, event_ts_us = excluded.event_ts_us \
         WHERE excluded.event_ts_us > kudos_reactions.event_ts_us",
    )?;
    for r in &w.reactions {
        reaction.execute((&r.0, &r.1, &r.2, &r.3, r.4, r.5))?;
    }
    let mut given = db.prepare_cached(
        "INSERT INTO kudos_log (id, kind, at_ms, giver, receiver, source, channel, message_ts, delivery) \
         VALUES (?1, 'given', ?2, ?3, ?4, 'reaction', ?5, ?6, ?7)",
    )?;
    for g in &w.given {
        given.execute((
            g.id,
            g.at_ms,
            &g.giver,
            &g.receiver,
            &g.channel,
            &g.message_ts,
            g.delivery,
        ))?;
    }
    let mut retracted = db.prepare_cached(
        "INSERT INTO kudos_log (id, kind, retracts, at_ms, giver, receiver, source, channel, \
                                message_ts, reason, delivery) \
         SELECT ?1, 'retracted', id, ?3, giver, receiver, source, channel, message_ts, reason, delivery \
         FROM kudos_log WHERE id = ?2",
    )?;
    for r in &w.retracted {
        retracted.execute((r.id, r.retracts, r.at_ms))?;
    }
    let mut notice = db.prepare_cached(
        "INSERT INTO refusal_notices (user_id, reason, last_at_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id, reason) DO UPDATE SET last_at_ms = excluded.last_at_ms",
    )?;
    for (user, reason, at_ms) in &w.notices {
        notice.execute((user, reason, at_ms))?;
    }
    Ok(())
}
