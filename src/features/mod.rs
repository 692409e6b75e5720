//! What needful does for the team. Features know the team, not Slack's wire
//! format: they get typed input and a transaction, change state, and enqueue
//! what should be said.

pub mod home;
pub mod kudos;

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::{
    app::App,
    error::AppError,
    slack::ids::{ChannelId, UserId},
    storage::Tx,
};

/// A slash command as the features see it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub user: UserId,
    pub channel: ChannelId,
    pub command: String,
    /// The command's text, trimmed; mentions still escaped (`<@U…|name>`).
    pub text: String,
    pub trigger_id: String,
}

/// The immediate answer to a slash command.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub text: String,
    pub blocks: Option<Value>,
    /// Shown to the whole channel (with the command) instead of only the caller.
    pub in_channel: bool,
}

impl Reply {
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// A message written by a person (not a bot, not an edit or a join notice).
pub fn is_human_message(m: &SlackMessageEvent) -> bool {
    m.subtype.is_none() && m.sender.bot_id.is_none() && m.sender.user.is_some()
}

/// Human messages: today only thread replies to check-in prompts matter.
pub async fn on_message(
    _app: &App,
    _tx: &mut Tx<'_>,
    _message: &SlackMessageEvent,
) -> Result<(), AppError> {
    Ok(())
}

/// Buttons and modals. `None` when the interaction is not one of ours.
pub async fn on_interaction(
    app: &App,
    tx: &mut Tx<'_>,
    event: &SlackInteractionEvent,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    if let SlackInteractionEvent::BlockActions(actions) = event {
        return home::on_block_actions(app, tx, actions).await;
    }
    Ok(None)
}
