//! Who needful has seen posting as a bot (`known_bots`).

use crate::storage::on;
use chrono::{DateTime, Utc};

use super::Tx;
use crate::domain::ids::UserId;

/// True for a user seen posting as a bot.
pub async fn is_known_bot(tx: &mut Tx<'_>, user: &UserId) -> Result<bool, sqlx::Error> {
    let known: Option<String> = on!(
        tx.on(),
        "SELECT user_id FROM known_bots WHERE user_id = ?",
        |q, c| sqlx::query_scalar(q)
            .bind(user.as_str())
            .fetch_optional(c)
            .await
    )?;
    Ok(known.is_some())
}

/// Remembers that `user` posts as a bot.
pub async fn learn_bot(
    tx: &mut Tx<'_>,
    user: &UserId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        "INSERT INTO known_bots (user_id, learned_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
        |q, c| sqlx::query(q)
            .bind(user.as_str())
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
    )?;
    Ok(())
}

/// The names kept for `ids`: id → (name, when looked up, Unix ms).
pub async fn names(
    tx: &mut Tx<'_>,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, i64)>, sqlx::Error> {
    let mut found = std::collections::HashMap::new();
    for id in ids {
        let row: Option<(String, i64)> = on!(
            tx.on(),
            "SELECT name, looked_up_at FROM people_names WHERE user_id = ?",
            |q, c| sqlx::query_as(q).bind(id).fetch_optional(c).await
        )?;
        if let Some(row) = row {
            found.insert(id.clone(), row);
        }
    }
    Ok(found)
}

/// Keeps `names` (id, name), looked up at `at_ms`.
pub async fn save_names(
    tx: &mut Tx<'_>,
    names: &[(String, String)],
    at_ms: i64,
) -> Result<(), sqlx::Error> {
    for (id, name) in names {
        on!(
            tx.on(),
            "INSERT INTO people_names (user_id, name, looked_up_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, looked_up_at = excluded.looked_up_at",
            |q, c| sqlx::query(q)
                .bind(id)
                .bind(name)
                .bind(at_ms)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
        )?;
    }
    Ok(())
}
