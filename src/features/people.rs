//! Who is a person and who is a bot, answered from what needful has seen, so
//! no Slack call runs before the ack.

use crate::{domain::ids::UserId, error::AppError, features::Team, storage::Tx};

/// True for needful itself and for any user seen posting as a bot.
pub async fn is_bot(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<bool, AppError> {
    if app.bot_user().as_ref() == Some(user) {
        return Ok(true);
    }
    let known: Option<String> =
        sqlx::query_scalar("SELECT user_id FROM known_bots WHERE user_id = ?")
            .bind(user.as_str())
            .fetch_optional(&mut **tx)
            .await?;
    Ok(known.is_some())
}

/// Remembers that `user` posts as a bot.
pub async fn learn_bot(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    sqlx::query("INSERT INTO known_bots (user_id, learned_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING")
        .bind(user.as_str())
        .bind(app.clock.now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
