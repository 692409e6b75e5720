//! Which Slack deliveries have been applied: the key to applying each exactly once.

use super::Tx;

/// Records `event_id` as applied. Returns false if it already was, in which case
/// the caller must change nothing (a Slack retry or a concurrent duplicate).
pub async fn mark_applied(
    tx: &mut Tx<'_>,
    event_id: &str,
    kind: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO processed_events (event_id, kind, received_at) VALUES (?, ?, ?) \
         ON CONFLICT (event_id) DO NOTHING",
    )
    .bind(event_id)
    .bind(kind)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
