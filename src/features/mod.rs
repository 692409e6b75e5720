//! What needful does for the team. Features know the team, not Slack's wire
//! format: they get typed input and a transaction, change state, and enqueue
//! what should be said.

pub mod checkin;
pub mod export;
pub mod home;
pub mod kudos;
pub mod people;
pub mod roles;
pub mod staffing;
mod team;
pub mod trophy;

pub use team::{Team, Workspace};

pub use crate::domain::{
    input::{ButtonPress, FormSubmission, Interaction, MessageInput, SlashCommand},
    reply::{Answer, Reply},
};

use crate::{domain::ids::UserId, error::AppError, outbox::Outgoing, storage::Tx};

/// Human messages: thread replies to check-in prompts are check-ins.
pub async fn on_message(app: &Team, tx: &mut Tx<'_>, m: &MessageInput) -> Result<(), AppError> {
    checkin::on_message(app, tx, m).await
}

/// Renders a message the outbox stored as a marker (an App Home, a
/// celebration) from the state as it is now, just before it is delivered.
pub async fn render_for_delivery(
    app: &Team,
    msg: Outgoing,
) -> Result<crate::outbox::worker::Rendered, AppError> {
    match msg {
        Outgoing::RefreshHome { user } => {
            let view =
                home::render(app, &UserId::parse(&user).map_err(anyhow::Error::from)?).await?;
            Ok(Some((Outgoing::PublishHome { user, view }, None)))
        }
        Outgoing::RefreshCelebration { channel, of, giver } => {
            kudos::render_celebration(app, &channel, &of, &giver).await
        }
        Outgoing::CelebrationRoundup { channel, of } => {
            kudos::render_roundup(app, &channel, &of).await
        }
        other => Err(AppError::Internal(anyhow::anyhow!(
            "{} is not rendered at delivery",
            other.method()
        ))),
    }
}

/// Buttons and modals, routed by the prefix of their action or callback id.
/// `None` when the interaction is not one of ours.
pub async fn on_interaction(
    app: &Team,
    tx: &mut Tx<'_>,
    interaction: &Interaction,
) -> Result<Option<Answer>, AppError> {
    match interaction {
        Interaction::Buttons(presses) => {
            let mut answer = None;
            for press in presses {
                let id = press.action_id.as_str();
                answer = if id.starts_with("home_") || id.starts_with("kudos_") {
                    kudos::on_block_action(app, tx, press).await?
                } else if id.starts_with("checkin_") {
                    checkin::on_block_action(app, tx, press).await?
                } else if id.starts_with("staffing_") {
                    staffing::on_block_action(app, tx, press).await?
                } else {
                    None
                };
            }
            Ok(answer)
        }
        Interaction::Form(form) if form.callback_id.starts_with("checkin_") => {
            checkin::on_view_submission(app, tx, form).await
        }
        Interaction::Form(_) => Ok(None),
    }
}
