//! Which Slack deliveries have been applied: the key to applying each exactly once.

use super::{
    Db, Tx,
    direct::{self, Batch},
};

/// Records each `(event_id, kind)` as applied, inside the transaction open on
/// `db`. Returns, in the same order, whether it is new: false if it was
/// applied before (a Slack retry) or appears earlier in `events` (a
/// duplicate arriving at the same time). The caller must change nothing for
/// those.
pub fn mark_applied_on(
    db: &rusqlite::Connection,
    events: &[(&str, &str)],
    at: chrono::DateTime<chrono::Utc>,
) -> rusqlite::Result<Vec<bool>> {
    let mut insert = db.prepare_cached(
        "INSERT INTO processed_events (event_id, kind, received_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (event_id) DO NOTHING",
    )?;
    let at = direct::time_text(at);
    events
        .iter()
        .map(|(id, kind)| Ok(insert.execute((id, kind, &at))? == 1))
        .collect()
}

/// [`mark_applied_on`] in a sqlx transaction.
pub async fn mark_applied(
    tx: &mut Tx<'_>,
    events: &[(&str, &str)],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    direct::run(tx.conn(), |db| mark_applied_on(db, events, at)).await
}

/// Ids of deliveries applied before `before`, at most `limit` of them. A
/// scan: an index on the time would cost every event one more b-tree write,
/// and housekeeping keeps the table to about a week of deliveries.
pub async fn applied_before(
    db: &Db,
    before: chrono::DateTime<chrono::Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT event_id FROM processed_events WHERE received_at < ? LIMIT ?")
        .bind(direct::time_text(before))
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Forgets these deliveries (in the caller's transaction); returns how many
/// there were.
pub fn forget(batch: &Batch<'_>, ids: &[String]) -> rusqlite::Result<u64> {
    let db = batch.db();
    let mut forget = db.prepare_cached("DELETE FROM processed_events WHERE event_id = ?1")?;
    let mut forgotten = 0;
    for id in ids {
        forgotten += forget.execute([id])? as u64;
    }
    Ok(forgotten)
}
