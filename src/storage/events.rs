//! Which Slack deliveries have been applied: the key to applying each exactly once.

use std::collections::HashSet;

use super::Tx;

/// The statement behind [`mark_applied`], for a caller that sends it in a
/// statement list of its own: `?{at}` is the time, `?{events}` the
/// [`events_param`]. It returns the `event_id` of each delivery that is new.
pub fn mark_statement(at: usize, events: usize) -> String {
    format!(
        "INSERT INTO processed_events (event_id, kind, received_at) \
         SELECT value->>0, value->>1, ?{at} FROM json_each(?{events}) WHERE true \
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
    )
}

/// `(event_id, kind)` pairs as [`mark_statement`]'s list.
pub fn events_param(events: &[(&str, &str)]) -> Result<String, sqlx::Error> {
    serde_json::to_string(events).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// In the order of `events`: whether each is new, given the ids
/// [`mark_statement`] returned. A second delivery with the same id in one
/// list is not new.
pub fn fresh(events: &[(&str, &str)], inserted: Vec<String>) -> Vec<bool> {
    let mut fresh: HashSet<String> = inserted.into_iter().collect();
    events.iter().map(|(id, _)| fresh.remove(*id)).collect()
}

/// Records each `(event_id, kind)` as applied, in one statement. Returns, in
/// the same order, whether it is new: false if it was applied before (a
/// Slack retry) or appears earlier in `events` (a duplicate arriving at the
/// same time). The caller must change nothing for those.
pub async fn mark_applied(
    tx: &mut Tx<'_>,
    events: &[(&str, &str)],
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<bool>, sqlx::Error> {
    let inserted: Vec<String> = sqlx::query_scalar(&mark_statement(1, 2))
        .bind(at)
        .bind(events_param(events)?)
        .fetch_all(&mut **tx)
        .await?;
    Ok(fresh(events, inserted))
}
