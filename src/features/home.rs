//! The App Home tab: what a person sees when they open needful.

use serde_json::json;
use slack_morphism::prelude::*;

use crate::{
    app::App,
    error::AppError,
    outbox::{self, Outgoing},
    slack::ids::UserId,
    storage::Tx,
};

/// Publishes `user`'s home (through the outbox, so a Slack outage loses nothing).
pub async fn publish(app: &App, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": "needful"}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text":
            format!("Hi <@{user}>! React with {} to a colleague's message to thank them, or use `/kudos @colleague what they did`.",
                app.settings.team.kudos.reactions.iter().map(|r| format!(":{r}:")).collect::<Vec<_>>().join(" "))}}),
    ];
    blocks.extend(crate::features::kudos::home_blocks(app, tx, user).await?);
    let view = json!({"type": "home", "blocks": blocks});
    outbox::enqueue(
        tx,
        &Outgoing::PublishHome {
            user: user.to_string(),
            view,
        },
    )
    .await?;
    Ok(())
}

pub async fn on_block_actions(
    _app: &App,
    _tx: &mut Tx<'_>,
    _actions: &SlackInteractionBlockActionsEvent,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    Ok(None)
}
