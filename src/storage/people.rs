//! Who needful has seen posting as a bot (`known_bots`).

use chrono::{DateTime, Utc};

use super::Tx;
use crate::domain::ids::UserId;

/// True for a user seen posting as a bot.
pub async fn is_known_bot(tx: &mut Tx<'_>, user: &UserId) -> Result<bool, sqlx::Error> {
    let known: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM known_bots WHERE user_id = ?")
            .bind(user.as_str())
            .fetch_optional(tx.conn())
            .await?;
    Ok(known.is_some())
}

/// Remembers that `user` posts as a bot.
pub async fn learn_bot(
    tx: &mut Tx<'_>,
    user: &UserId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO known_bots (user_id, learned_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING")
        .bind(user.as_str())
        .bind(at)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The names kept for `ids`: id → (name, when looked up, Unix ms).
pub async fn names(
    tx: &mut Tx<'_>,
    ids: &[String],
) -> Result<std::collections::HashMap<String, (String, i64)>, sqlx::Error> {
    let mut found = std::collections::HashMap::new();
    for id in ids {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT name, looked_up_at FROM people_names WHERE user_id = ?")
                .bind(id)
                .fetch_optional(tx.conn())
                .await?;
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
        sqlx::query(
            "INSERT INTO people_names (user_id, name, looked_up_at) VALUES (?, ?, ?) \
             ON CONFLICT (user_id) DO UPDATE SET name = excluded.name, looked_up_at = excluded.looked_up_at",
        )
        .bind(id)
        .bind(name)
        .bind(at_ms)
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}
