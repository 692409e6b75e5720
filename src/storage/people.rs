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
