//! The reaction batch's SQL: direct calls on the writer's connection,
//! inside the batch's write transaction ([`crate::storage::direct`]).

use crate::storage::direct::Batch;

use super::{
    DailyCounts,
    log::{self, GivenRow, Retraction},
};

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
    batch: &Batch<'_>,
    keys: &ReactionKeys,
    daily: &DailyCounts,
    now_ms: i64,
) -> rusqlite::Result<ReactionSnapshot> {
    let db = batch.db();
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
    s.next_id = log::next_id_on(db)?;
    s.given = daily.given(db, &keys.days, s.next_id - 1, now_ms)?;
    Ok(s)
}

/// Who the reaction kudos on a message thank (its author), from any kudos
/// ever given there: one probe of index `kudos_log_message`. What a
/// reaction on the message's celebration joins in on.
pub fn receiver_on(batch: &Batch<'_>, channel: &str, ts: &str) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension as _;
    batch
        .db()
        .prepare_cached(
            "SELECT receiver FROM kudos_log INDEXED BY kudos_log_message \
             WHERE channel = ?1 AND message_ts = ?2 AND source = 'reaction' AND kind = 'given' \
             LIMIT 1",
        )?
        .query_row((channel, ts), |row| row.get(0))
        .optional()
}

/// One kudos a `/kudos` gave: what its celebration was made of.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CommandKudos {
    pub giver: String,
    pub receiver: String,
    pub reason: Option<String>,
    pub at_ms: i64,
    pub delivery: String,
}

/// The `/kudos` kudos with ids in `[?1, ?2)`, oldest first: a range of the
/// primary key.
pub(super) const COMMAND_KUDOS: &str = "SELECT giver, receiver, reason, at_ms, delivery FROM kudos_log \
     WHERE id >= ?1 AND id < ?2 AND kind = 'given' AND source = 'command' ORDER BY id";

/// [`super::command_kudos`] inside a write transaction (the reaction batch).
pub fn command_kudos_on(
    batch: &Batch<'_>,
    first: i64,
    end: i64,
) -> rusqlite::Result<Vec<CommandKudos>> {
    batch
        .db()
        .prepare_cached(COMMAND_KUDOS)?
        .query_map((first, end), |row| {
            Ok(CommandKudos {
                giver: row.get(0)?,
                receiver: row.get(1)?,
                reason: row.get(2)?,
                at_ms: row.get(3)?,
                delivery: row.get(4)?,
            })
        })?
        .collect()
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
pub fn write_reactions(batch: &Batch<'_>, w: &ReactionWrites) -> rusqlite::Result<()> {
    let db = batch.db();
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
    log::insert_given_on(db, &w.given)?;
    log::insert_retractions_on(db, &w.retracted)?;
    let mut notice = db.prepare_cached(
        "INSERT INTO refusal_notices (user_id, reason, last_at_ms) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id, reason) DO UPDATE SET last_at_ms = excluded.last_at_ms",
    )?;
    for (user, reason, at_ms) in &w.notices {
        notice.execute((user, reason, at_ms))?;
    }
    Ok(())
}
