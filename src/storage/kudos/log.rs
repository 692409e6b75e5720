//! Every write to `kudos_log`, for reactions and `/kudos` alike: direct
//! calls inside the caller's write transaction, on the writer's
//! connection or a sqlx transaction's ([`crate::storage::direct`]).
//!
//! Ids are handed out by the caller from [`next_id_on`] (on PostgreSQL
//! [`next_id_pg`]), not by the database, so a reaction batch can take back
//! a kudos it gave in the same batch. That is safe because every writer
//! holds the write lock from its `BEGIN IMMEDIATE` (on PostgreSQL, the
//! advisory lock every write transaction takes first, across replicas), and
//! it keeps ids growing in commit order, which the daily counts rely on
//! ([`super::DailyCounts`]).

use sqlx::PgConnection;

use super::Delivery;

/// How a kudos was given.
#[derive(Debug)]
pub enum Via {
    /// A reaction on the message at `message_ts` in the row's channel. One
    /// that joined in on a `/kudos` celebration (the message) carries the
    /// command's reason.
    Reaction {
        message_ts: String,
        reason: Option<String>,
    },
    /// `/kudos`, with what for.
    Command { reason: String },
}

impl Via {
    /// (source, message_ts, reason) as `kudos_log` holds them.
    fn columns(&self) -> (&'static str, Option<&str>, Option<&str>) {
        match self {
            Via::Reaction { message_ts, reason } => {
                ("reaction", Some(message_ts.as_str()), reason.as_deref())
            }
            Via::Command { reason } => ("command", None, Some(reason.as_str())),
        }
    }
}

/// A new kudos row, with the id [`next_id_on`] gave it.
#[derive(Debug)]
pub struct GivenRow {
    pub id: i64,
    pub at_ms: i64,
    pub giver: String,
    pub receiver: String,
    /// The reacted message's channel, or where the command ran.
    pub channel: String,
    pub via: Via,
    pub delivery: Delivery,
}

/// A retraction row: its own id, the kudos it takes back, and when.
#[derive(Debug)]
pub struct Retraction {
    pub id: i64,
    pub retracts: i64,
    pub at_ms: i64,
}

/// The id the next `kudos_log` row gets, for a caller holding the write lock.
pub fn next_id_on(db: &rusqlite::Connection) -> rusqlite::Result<i64> {
    db.prepare_cached("SELECT 1 + IFNULL(MAX(id), 0) FROM kudos_log")?
        .query_row([], |row| row.get(0))
}

/// [`next_id_on`] on PostgreSQL. The identity column's sequence is not
/// consulted: every id is given here, and [`sync_ids_pg`] keeps the
/// sequence after them for any row inserted without one.
pub async fn next_id_pg(c: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT 1 + COALESCE(MAX(id), 0) FROM kudos_log")
        .fetch_one(c)
        .await
}

pub fn insert_given_on(db: &rusqlite::Connection, rows: &[GivenRow]) -> rusqlite::Result<()> {
    let mut given = db.prepare_cached(
        "INSERT INTO kudos_log (id, kind, at_ms, giver, receiver, source, channel, message_ts, \
                                reason, delivery) \
         VALUES (?1, 'given', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for g in rows {
        let (source, message_ts, reason) = g.via.columns();
        given.execute((
            g.id,
            g.at_ms,
            &g.giver,
            &g.receiver,
            source,
            &g.channel,
            message_ts,
            reason,
            g.delivery.as_str(),
        ))?;
    }
    Ok(())
}

/// [`insert_given_on`] on PostgreSQL: one statement for all the rows (one
/// round trip, under the write lock), from arrays of their columns. Call
/// [`sync_ids_pg`] once the transaction's rows are in.
pub async fn insert_given_pg(c: &mut PgConnection, rows: &[GivenRow]) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let n = rows.len();
    let (mut ids, mut at, mut givers, mut receivers) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut sources, mut channels, mut messages, mut reasons, mut deliveries) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for g in rows {
        let (source, message_ts, reason) = g.via.columns();
        ids.push(g.id);
        at.push(g.at_ms);
        givers.push(g.giver.as_str());
        receivers.push(g.receiver.as_str());
        sources.push(source);
        channels.push(g.channel.as_str());
        messages.push(message_ts);
        reasons.push(reason);
        deliveries.push(g.delivery.as_str());
    }
    sqlx::query(
        "INSERT INTO kudos_log (id, kind, at_ms, giver, receiver, source, channel, message_ts, \
                                reason, delivery) \
         SELECT id, 'given', at_ms, giver, receiver, source, channel, message_ts, reason, delivery \
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], \
                     $7::TEXT[], $8::TEXT[], $9::TEXT[]) \
              AS g (id, at_ms, giver, receiver, source, channel, message_ts, reason, delivery)",
    )
    .bind(ids)
    .bind(at)
    .bind(givers)
    .bind(receivers)
    .bind(sources)
    .bind(channels)
    .bind(messages)
    .bind(reasons)
    .bind(deliveries)
    .execute(c)
    .await
    .map(drop)
}

/// Each retraction copies the kudos it takes back, so the log reads whole.
pub fn insert_retractions_on(
    db: &rusqlite::Connection,
    rows: &[Retraction],
) -> rusqlite::Result<()> {
    let mut retracted = db.prepare_cached(
        "INSERT INTO kudos_log (id, kind, retracts, at_ms, giver, receiver, source, channel, \
                                message_ts, reason, delivery) \
         SELECT ?1, 'retracted', id, ?3, giver, receiver, source, channel, message_ts, reason, delivery \
         FROM kudos_log WHERE id = ?2",
    )?;
    for r in rows {
        retracted.execute((r.id, r.retracts, r.at_ms))?;
    }
    Ok(())
}

/// [`insert_retractions_on`] on PostgreSQL, in one statement. A retraction
/// of a kudos that is not there adds nothing, as on SQLite. Call
/// [`sync_ids_pg`] once the transaction's rows are in.
pub async fn insert_retractions_pg(
    c: &mut PgConnection,
    rows: &[Retraction],
) -> Result<(), sqlx::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let retracts: Vec<i64> = rows.iter().map(|r| r.retracts).collect();
    let at: Vec<i64> = rows.iter().map(|r| r.at_ms).collect();
    sqlx::query(
        "INSERT INTO kudos_log (id, kind, retracts, at_ms, giver, receiver, source, channel, \
                                message_ts, reason, delivery) \
         SELECT r.id, 'retracted', g.id, r.at_ms, g.giver, g.receiver, g.source, g.channel, \
                g.message_ts, g.reason, g.delivery \
         FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]) AS r (id, retracts, at_ms) \
         JOIN kudos_log g ON g.id = r.retracts",
    )
    .bind(ids)
    .bind(retracts)
    .bind(at)
    .execute(c)
    .await
    .map(drop)
}

/// After ids given by [`next_id_pg`] are inserted: moves `kudos_log`'s
/// identity sequence on past them. PostgreSQL's sequence does not advance
/// on explicit ids, so without this a row inserted without an id (by hand,
/// a tool) would be given one already taken. Under the write lock nothing
/// else inserts meanwhile, so setting it from MAX(id) is exact; setval is
/// not undone by a rollback, which leaves at worst a gap. (As
/// [`crate::storage::copy`] does after a copy.)
pub async fn sync_ids_pg(c: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('kudos_log', 'id'), \
                       COALESCE((SELECT MAX(id) FROM kudos_log), 0) + 1, false)",
    )
    .execute(c)
    .await
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reaction_and_command_kudos_are_written_alike() {
        let crate::storage::Db::Sqlite(pool) =
            crate::storage::connect("sqlite::memory:").await.unwrap()
        else {
            unreachable!("a SQLite URL")
        };
        let mut conn = pool.acquire().await.unwrap();
        let rows = crate::storage::direct::run(&mut conn, |db| {
            let first = next_id_on(db)?;
            let row = |id, via, delivery| GivenRow {
                id,
                at_ms: 1_000,
                giver: "UA".into(),
                receiver: "UB".into(),
                channel: "C1".into(),
                via,
                delivery,
            };
            insert_given_on(
                db,
                &[
                    row(
                        first,
                        Via::Reaction {
                            message_ts: "1.2".into(),
                            reason: None,
                        },
                        Delivery::Channel,
                    ),
                    row(
                        first + 1,
                        Via::Command {
                            reason: "fixed it".into(),
                        },
                        Delivery::Dm,
                    ),
                ],
            )?;
            insert_retractions_on(
                db,
                &[Retraction {
                    id: first + 2,
                    retracts: first,
                    at_ms: 2_000,
                }],
            )?;
            assert_eq!(next_id_on(db)?, first + 3);
            let mut read = db.prepare(
                "SELECT id - ?1, kind, retracts - ?1, at_ms, source, message_ts, reason, delivery \
                 FROM kudos_log ORDER BY id",
            )?;
            let rows = read
                .query_map([first], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<i64>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<String>>(6)?,
                        r.get::<_, String>(7)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await
        .unwrap();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            rows,
            vec![
                (
                    0,
                    "given".into(),
                    None,
                    1_000,
                    "reaction".into(),
                    s("1.2"),
                    None,
                    "channel".into()
                ),
                (
                    1,
                    "given".into(),
                    None,
                    1_000,
                    "command".into(),
                    None,
                    s("fixed it"),
                    "dm".into()
                ),
                // A retraction copies the kudos it takes back.
                (
                    2,
                    "retracted".into(),
                    Some(0),
                    2_000,
                    "reaction".into(),
                    s("1.2"),
                    None,
                    "channel".into()
                ),
            ]
        );
    }
}
