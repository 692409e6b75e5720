//! Which Slack deliveries have been applied: the key to applying each exactly once.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{
    Db, Tx,
    direct::{self, Batch, Handle},
    on,
    sql::On,
};

/// Records each `(event_id, kind)` as applied, inside `batch`. Returns, in
/// the same order, whether it is new: false if it was applied before (a
/// Slack retry) or appears earlier in `events` (a duplicate arriving at the
/// same time). The caller must change nothing for those.
pub fn mark_applied_in(
    batch: &Batch<'_>,
    events: &[(&str, &str)],
    at: DateTime<Utc>,
) -> direct::Result<Vec<bool>> {
    match batch.db() {
        Handle::Sqlite(db) => mark_applied_on(db, events, at).map_err(direct::into_sqlx),
        Handle::Postgres(pg) => pg.wait(async |c| mark_applied_pg(c, events, at).await),
    }
}

const MARK: &str = "INSERT INTO processed_events (event_id, kind, received_at) VALUES (?1, ?2, ?3) \
                    ON CONFLICT (event_id) DO NOTHING";

fn mark_applied_on(
    db: &rusqlite::Connection,
    events: &[(&str, &str)],
    at: DateTime<Utc>,
) -> rusqlite::Result<Vec<bool>> {
    let mut insert = db.prepare_cached(MARK)?;
    let at = direct::time_text(at);
    events
        .iter()
        .map(|(id, kind)| Ok(insert.execute((id, kind, &at))? == 1))
        .collect()
}

async fn mark_applied_pg(
    c: &mut PgConnection,
    events: &[(&str, &str)],
    at: DateTime<Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    // One statement (each is a round trip under the write lock); an id
    // twice in `events` is new the first time only, as one at a time.
    let ids: Vec<&str> = events.iter().map(|(id, _)| *id).collect();
    let kinds: Vec<&str> = events.iter().map(|(_, kind)| *kind).collect();
    let added: Vec<String> = sqlx::query_scalar(
        "INSERT INTO processed_events (event_id, kind, received_at) \
         SELECT e.id, e.kind, $3 FROM UNNEST($1::TEXT[], $2::TEXT[]) AS e (id, kind) \
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    )
    .bind(&ids)
    .bind(&kinds)
    .bind(at)
    .fetch_all(&mut *c)
    .await?;
    let mut added: std::collections::HashSet<String> = added.into_iter().collect();
    Ok(ids.iter().map(|id| added.remove(*id)).collect())
}

/// [`mark_applied_in`] in a sqlx transaction.
pub async fn mark_applied(
    tx: &mut Tx<'_>,
    events: &[(&str, &str)],
    at: DateTime<Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    match tx.on() {
        On::Sqlite(c) => direct::run(c, |db| mark_applied_on(db, events, at)).await,
        On::Postgres(c) => mark_applied_pg(c, events, at).await,
    }
}

/// Ids of deliveries applied before `before`, at most `limit` of them. A
/// scan: an index on the time would cost every event one more b-tree write,
/// and housekeeping keeps the table to about a week of deliveries.
pub async fn applied_before(
    db: &Db,
    before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    on!(
        db.on(),
        "SELECT event_id FROM processed_events WHERE received_at < ? LIMIT ?",
        |q, c| sqlx::query_scalar(q)
            .bind(before)
            .bind(limit)
            .fetch_all(c)
            .await
    )
}

/// Forgets these deliveries (in the caller's transaction); returns how many
/// there were.
pub fn forget(batch: &Batch<'_>, ids: &[String]) -> direct::Result<u64> {
    match batch.db() {
        Handle::Sqlite(db) => {
            let mut forget = db
                .prepare_cached("DELETE FROM processed_events WHERE event_id = ?1")
                .map_err(direct::into_sqlx)?;
            let mut forgotten = 0;
            for id in ids {
                forgotten += forget.execute([id]).map_err(direct::into_sqlx)? as u64;
            }
            Ok(forgotten)
        }
        Handle::Postgres(pg) => pg.wait(async |c| {
            sqlx::query("DELETE FROM processed_events WHERE event_id = ANY($1)")
                .bind(ids)
                .execute(&mut *c)
                .await
                .map(|done| done.rows_affected())
        }),
    }
}
