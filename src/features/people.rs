//! Who is a person and who is a bot, answered from what needful has seen, so
//! no Slack call runs before the ack.

use crate::{
    domain::ids::UserId,
    error::AppError,
    features::Team,
    storage::{self, Tx},
};

/// True for needful itself and for any user seen posting as a bot.
pub async fn is_bot(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<bool, AppError> {
    if app.bot_user().as_ref() == Some(user) {
        return Ok(true);
    }
    Ok(storage::people::is_known_bot(tx, user).await?)
}

/// Remembers that `user` posts as a bot.
pub async fn learn_bot(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    Ok(storage::people::learn_bot(tx, user, app.clock.now()).await?)
}
