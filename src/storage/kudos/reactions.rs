//! The reaction batch's SQL: direct calls on the writer's connection,
//! inside the batch's write transaction ([`crate::storage::direct`]).
//!
//! On SQLite, prepared statements kept on the handle, one index probe per
//! key. On PostgreSQL every statement is a round trip made while holding
//! the write lock every replica waits for, so each kind of look-up or
//! write is one statement over all the batch's keys (arrays, `UNNEST`).

use std::collections::HashMap;

use sqlx::PgConnection;

use crate::storage::{
    direct::{self, Batch, Handle},
    sql::numbered,
};

use super::{
    DailyCounts, daily,
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
    /// since BEGIN IMMEDIATE (on PostgreSQL, the advisory lock taken at
    /// BEGIN) keeps them ours.
    pub next_id: i64,
}

/// Reads everything `keys` names, inside the batch's write transaction: one
/// index probe per key (on PostgreSQL, one statement per kind of key).
pub fn snapshot(
    batch: &Batch<'_>,
    keys: &ReactionKeys,
    daily: &DailyCounts,
    now_ms: i64,
) -> direct::Result<ReactionSnapshot> {
    match batch.db() {
        Handle::Sqlite(db) => snapshot_on(db, keys, daily, now_ms).map_err(direct::into_sqlx),
        // No counts kept on PostgreSQL (see `daily`): `daily` is not used.
        Handle::Postgres(pg) => pg.wait(async |c| snapshot_pg(c, keys).await),
    }
}

fn snapshot_on(
    db: &rusqlite::Connection,
    keys: &ReactionKeys,
    daily: &DailyCounts,
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
    s.next_id = log::next_id_on(db)?;
    s.given = daily.given_on(db, &keys.days, s.next_id - 1, now_ms)?;
    Ok(s)
}

/// [`snapshot_on`] on PostgreSQL, with the same results: each kind of key
/// is one statement over all of them, joined with `UNNEST … WITH
/// ORDINALITY` so every row says which key (by its position) it answers.
/// The daily counts are read from the log ([`daily::given_in_days_pg`]).
async fn snapshot_pg(
    c: &mut PgConnection,
    keys: &ReactionKeys,
) -> Result<ReactionSnapshot, sqlx::Error> {
    let mut s = ReactionSnapshot::default();
    if !keys.people.is_empty() {
        let people: Vec<(String, bool, bool)> = sqlx::query_as(
            "SELECT p.user_id, \
                    EXISTS (SELECT 1 FROM known_bots b WHERE b.user_id = p.user_id), \
                    EXISTS (SELECT 1 FROM kudos_prefs k WHERE k.user_id = p.user_id AND k.private) \
             FROM UNNEST($1::TEXT[]) WITH ORDINALITY AS p (user_id, n) \
             ORDER BY p.n",
        )
        .bind(&keys.people)
        .fetch_all(&mut *c)
        .await?;
        for (person, bot, private) in people {
            if bot {
                s.bots.push(person.clone());
            }
            if private {
                s.private.push(person);
            }
        }
        s.notices = sqlx::query_as(
            "SELECT p.user_id, n.reason, n.last_at_ms \
             FROM UNNEST($1::TEXT[]) WITH ORDINALITY AS p (user_id, n) \
             JOIN refusal_notices n ON n.user_id = p.user_id \
             ORDER BY p.n",
        )
        .bind(&keys.people)
        .fetch_all(&mut *c)
        .await?;
    }
    if !keys.messages.is_empty() {
        let givers: Vec<&str> = keys.messages.iter().map(|m| m.0.as_str()).collect();
        let channels: Vec<&str> = keys.messages.iter().map(|m| m.1.as_str()).collect();
        let tss: Vec<&str> = keys.messages.iter().map(|m| m.2.as_str()).collect();
        // The message key a row answers, by its position (1-based) in `keys`.
        let key = |n: i64| {
            usize::try_from(n - 1)
                .ok()
                .and_then(|i| keys.messages.get(i))
                .ok_or_else(|| sqlx::Error::Protocol(format!("no message key at position {n}")))
        };
        let reactions: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT m.n, r.reaction, r.present, r.event_ts_us \
             FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) WITH ORDINALITY \
                  AS m (giver, channel, message_ts, n) \
             JOIN kudos_reactions r \
               ON r.giver = m.giver AND r.channel = m.channel AND r.message_ts = m.message_ts \
             ORDER BY m.n",
        )
        .bind(&givers)
        .bind(&channels)
        .bind(&tss)
        .fetch_all(&mut *c)
        .await?;
        for (n, reaction, present, event_us) in reactions {
            let (giver, channel, ts) = key(n)?;
            s.reactions.push((
                giver.clone(),
                channel.clone(),
                ts.clone(),
                reaction,
                present,
                event_us,
            ));
        }
        // As on SQLite: every reaction kudos the giver gave on the message,
        // and whether it stands.
        let gives: Vec<(i64, i64, String, i64, bool)> = sqlx::query_as(
            "SELECT m.n, g.id, g.delivery, g.at_ms, \
                    NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = g.id) \
             FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[]) WITH ORDINALITY \
                  AS m (giver, channel, message_ts, n) \
             JOIN kudos_log g \
               ON g.channel = m.channel AND g.message_ts = m.message_ts AND g.giver = m.giver \
             WHERE g.source = 'reaction' AND g.kind = 'given' \
             ORDER BY m.n, g.id",
        )
        .bind(&givers)
        .bind(&channels)
        .bind(&tss)
        .fetch_all(&mut *c)
        .await?;
        // Rows come grouped by key: count each group as it ends.
        let mut counting: Option<(i64, u32)> = None;
        for (n, id, delivery, at_ms, standing) in gives {
            let (giver, channel, ts) = key(n)?;
            match &mut counting {
                Some((current, count)) if *current == n => *count += 1,
                _ => {
                    if let Some((done, count)) = counting.replace((n, 1)) {
                        let (g, c, t) = key(done)?;
                        s.gives.push((g.clone(), c.clone(), t.clone(), count));
                    }
                }
            }
            if standing {
                s.live.push(LiveKudos {
                    giver: giver.clone(),
                    channel: channel.clone(),
                    message_ts: ts.clone(),
                    kudos_id: id,
                    delivery,
                    at_ms,
                });
            }
        }
        if let Some((done, count)) = counting {
            let (g, c, t) = key(done)?;
            s.gives.push((g.clone(), c.clone(), t.clone(), count));
        }
    }
    s.next_id = log::next_id_pg(&mut *c).await?;
    s.given = daily::given_in_days_pg(&mut *c, &keys.days).await?;
    Ok(s)
}

/// Who the reaction kudos on a message thank (its author), from any kudos
/// ever given there: one probe of index `kudos_log_message`. What a
/// reaction on the message's celebration joins in on.
pub fn receiver_on(batch: &Batch<'_>, channel: &str, ts: &str) -> direct::Result<Option<String>> {
    match batch.db() {
        Handle::Sqlite(db) => {
            use rusqlite::OptionalExtension as _;
            db.prepare_cached(
                "SELECT receiver FROM kudos_log INDEXED BY kudos_log_message \
                 WHERE channel = ?1 AND message_ts = ?2 AND source = 'reaction' \
                   AND kind = 'given' \
                 LIMIT 1",
            )
            .and_then(|mut receiver| receiver.query_row((channel, ts), |row| row.get(0)))
            .optional()
            .map_err(direct::into_sqlx)
        }
        // PostgreSQL has no INDEXED BY; its planner picks kudos_log_message
        // for the (channel, message_ts) prefix.
        Handle::Postgres(pg) => pg.wait(async |c| receiver_pg(c, channel, ts).await),
    }
}

async fn receiver_pg(
    c: &mut PgConnection,
    channel: &str,
    ts: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT receiver FROM kudos_log \
         WHERE channel = $1 AND message_ts = $2 AND source = 'reaction' AND kind = 'given' \
         LIMIT 1",
    )
    .bind(channel)
    .bind(ts)
    .fetch_optional(c)
    .await
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
) -> direct::Result<Vec<CommandKudos>> {
    match batch.db() {
        Handle::Sqlite(db) => db
            .prepare_cached(COMMAND_KUDOS)
            .and_then(|mut rows| {
                rows.query_map((first, end), |row| {
                    Ok(CommandKudos {
                        giver: row.get(0)?,
                        receiver: row.get(1)?,
                        reason: row.get(2)?,
                        at_ms: row.get(3)?,
                        delivery: row.get(4)?,
                    })
                })?
                .collect()
            })
            .map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| command_kudos_pg(c, first, end).await),
    }
}

async fn command_kudos_pg(
    c: &mut PgConnection,
    first: i64,
    end: i64,
) -> Result<Vec<CommandKudos>, sqlx::Error> {
    sqlx::query_as(&numbered(COMMAND_KUDOS))
        .bind(first)
        .bind(end)
        .fetch_all(c)
        .await
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
pub fn write_reactions(batch: &Batch<'_>, w: &ReactionWrites) -> direct::Result<()> {
    match batch.db() {
        Handle::Sqlite(db) => write_reactions_on(db, w).map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| write_reactions_pg(c, w).await),
    }
}

fn write_reactions_on(db: &rusqlite::Connection, w: &ReactionWrites) -> rusqlite::Result<()> {
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
    let mut notice = db.prepare_cached(NOTICE)?;
    for (user, reason, at_ms) in &w.notices {
        notice.execute((user, reason, at_ms))?;
    }
    Ok(())
}

const NOTICE: &str = "INSERT INTO refusal_notices (user_id, reason, last_at_ms) VALUES (?1, ?2, ?3) \
                      ON CONFLICT (user_id, reason) DO UPDATE SET last_at_ms = excluded.last_at_ms";

/// [`write_reactions_on`] on PostgreSQL: the reactions in one statement,
/// the kudos in one and their retractions in another, then the identity
/// sequence moved past the ids given ([`log::sync_ids_pg`]).
async fn write_reactions_pg(c: &mut PgConnection, w: &ReactionWrites) -> Result<(), sqlx::Error> {
    if !w.reactions.is_empty() {
        // One row per key: PostgreSQL refuses an upsert that meets the same
        // row twice. The row kept is the one that wins on SQLite, where
        // they are applied in turn: the first with the newest event.
        let mut kept: HashMap<(&str, &str, &str, &str), usize> =
            HashMap::with_capacity(w.reactions.len());
        for (i, r) in w.reactions.iter().enumerate() {
            kept.entry((&r.0, &r.1, &r.2, &r.3))
                .and_modify(|k| {
                    if r.5 > w.reactions[*k].5 {
                        *k = i;
                    }
                })
                .or_insert(i);
        }
        let mut rows: Vec<usize> = kept.into_values().collect();
        rows.sort_unstable();
        let (mut givers, mut channels, mut tss, mut emoji) = (
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
            Vec::with_capacity(rows.len()),
        );
        for &i in &rows {
            let r = &w.reactions[i];
            givers.push(r.0.as_str());
            channels.push(r.1.as_str());
            tss.push(r.2.as_str());
            emoji.push(r.3.as_str());
        }
        let present: Vec<i64> = rows.iter().map(|&i| w.reactions[i].4).collect();
        let event_us: Vec<i64> = rows.iter().map(|&i| w.reactions[i].5).collect();
        sqlx::query(
            "INSERT INTO kudos_reactions (giver, channel, message_ts, reaction, present, \
                                          event_ts_us) \
             SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], \
                                  $5::BIGINT[], $6::BIGINT[]) \
             ON CONFLICT (giver, channel, message_ts, reaction) DO UPDATE \
             SET present = excluded.present, event_ts_us = excluded.event_ts_us \
             WHERE excluded.event_ts_us > kudos_reactions.event_ts_us",
        )
        .bind(givers)
        .bind(channels)
        .bind(tss)
        .bind(emoji)
        .bind(present)
        .bind(event_us)
        .execute(&mut *c)
        .await?;
    }
    log::insert_given_pg(&mut *c, &w.given).await?;
    log::insert_retractions_pg(&mut *c, &w.retracted).await?;
    if !w.given.is_empty() || !w.retracted.is_empty() {
        log::sync_ids_pg(&mut *c).await?;
    }
    // Few (at most one per person and reason every ten minutes), and a
    // later one for the same key replaces an earlier, as on SQLite: one at
    // a time.
    let notice = numbered(NOTICE);
    for (user, reason, at_ms) in &w.notices {
        sqlx::query(&notice)
            .bind(user)
            .bind(reason)
            .bind(at_ms)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}
