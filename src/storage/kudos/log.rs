//! Every write to `kudos_log`, for reactions and `/kudos` alike: direct
//! calls inside the caller's write transaction, on the writer's
//! connection or a sqlx transaction's ([`crate::storage::direct`]).
//!
//! Ids are handed out by the caller from [`next_id_on`], not by SQLite, so
//! a reaction batch can take back a kudos it gave in the same batch. That
//! is safe because every writer holds the write lock from its `BEGIN
//! IMMEDIATE`, and it keeps ids growing in commit order, which the daily
//! counts rely on ([`super::DailyCounts`]).

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

pub fn insert_given_on(db: &rusqlite::Connection, rows: &[GivenRow]) -> rusqlite::Result<()> {
    let mut given = db.prepare_cached(
        "INSERT INTO kudos_log (id, kind, at_ms, giver, receiver, source, channel, message_ts, \
                                reason, delivery) \
         VALUES (?1, 'given', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for g in rows {
        let (source, message_ts, reason) = match &g.via {
            Via::Reaction { message_ts, reason } => ("reaction", Some(message_ts), reason.as_ref()),
            Via::Command { reason } => ("command", None, Some(reason)),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reaction_and_command_kudos_are_written_alike() {
        let pool = crate::storage::connect("sqlite::memory:").await.unwrap();
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
