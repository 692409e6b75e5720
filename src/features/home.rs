//! The App Home tab: what a person sees when they open needful.

use crate::{
    app::App,
    error::AppError,
    features,
    outbox::{self, Outgoing},
    slack::ids::UserId,
    storage::Tx,
};
use serde_json::json;

/// Publishes `user`'s home (through the outbox, so a Slack outage loses nothing).
pub async fn publish(app: &App, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": "needful"}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text":
            format!("Hi <@{user}>! React with {} to a colleague's message to thank them, or use `/kudos @colleague what they did`.",
                app.settings.team.kudos.reactions.iter().map(|r| format!(":{r}:")).collect::<Vec<_>>().join(" "))}}),
    ];
    // Each feature adds its own section, most personal first.
    blocks.extend(features::staffing::home_blocks(app, tx, user).await?);
    blocks.extend(features::trophy::home_blocks(app, tx, user).await?);
    blocks.extend(features::kudos::home_blocks(app, tx, user).await?);
    blocks.extend(features::checkin::home_blocks(app, tx, user).await?);
    blocks.extend(features::roles::home_blocks(app, tx, user).await?);
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
