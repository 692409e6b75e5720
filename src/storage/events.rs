//! Which Slack deliveries have been applied: the key to applying each exactly once.

use std::collections::HashSet;

use super::Tx;

/// Records each `(event_id, kind)` as applied, in one statement. Returns, in
/// the same order, whether it is new: false if it was applied before (a
/// Slack retry) or appears earlier in `events` (a duplicate arriving at the
/// same time). The caller must change nothing for those.
pub async fn mark_applied(
    tx: &mut Tx<'_>,
    events: &[(&str, &str)],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    let json = serde_json::to_string(events).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    let inserted: Vec<String> = sqlx::query_scalar(
        "INSERT INTO processed_events (event_id, kind, received_at) \
         SELECT value->>0, value->>1, ?1 FROM json_each(?2) WHERE true \
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    )
    .bind(at)
    .bind(json)
    .fetch_all(&mut **tx)
    .await?;
    let mut fresh: HashSet<String> = inserted.into_iter().collect();
    Ok(events.iter().map(|(id, _)| fresh.remove(*id)).collect())
}
