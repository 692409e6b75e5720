//! The transport's side of every request: Slack's payload in, decoded into
//! the team's terms ([`super::inbound`]), handled ([`crate::handlers`]), and
//! the answer put back into Slack's words. Both transports (HTTP and Socket
//! Mode) come through here; only the envelope differs.

use slack_morphism::prelude::*;

use crate::{
    domain::reply::Handled,
    domain::reply::{Answer, Reply},
    error::{AppError, INTERNAL_ERROR_TEXT},
    handlers,
    state::App,
};

use super::inbound;

/// Applies one Events API delivery exactly once (or ignores it).
pub async fn event(app: &App, callback: SlackPushEventCallback) -> Result<Handled, AppError> {
    match inbound::event(&callback.event) {
        Some(event) => {
            let delivery = crate::domain::input::Delivery {
                event_id: callback.event_id.to_string(),
                event,
            };
            handlers::on_event(app, delivery).await
        }
        None => Ok(Handled::Ignored),
    }
}

/// Answers a slash command.
pub async fn command(
    app: &App,
    command: &SlackCommandEvent,
) -> (SlackCommandEventResponse, Handled) {
    match inbound::command(command) {
        Some(command) => {
            let (reply, handled) = handlers::on_command(app, command).await;
            (command_reply(reply), handled)
        }
        None => (
            command_reply(Reply::ephemeral(
                "I could not tell who sent this or from which channel, so I did nothing. Please run the command again from a channel or from your direct messages with me.",
            )),
            Handled::Ignored,
        ),
    }
}

/// Handles a button press or a modal submission. When it fails the person
/// is still told: see [`failure_response`].
pub async fn interaction(
    app: &App,
    event: &SlackInteractionEvent,
) -> (SlackInteractionResponse, Handled) {
    let Some(interaction) = inbound::interaction(event) else {
        return (SlackInteractionResponse::Empty, Handled::Ignored);
    };
    match handlers::on_interaction(app, interaction).await {
        Ok(Some(answer)) => (interaction_reply(answer), Handled::Applied),
        Ok(None) => (SlackInteractionResponse::Empty, Handled::Ignored),
        Err(e) => {
            let message = match &e {
                AppError::User(message) => message.clone(),
                AppError::Internal(cause) => {
                    tracing::error!(error = ?cause, "an interaction failed");
                    INTERNAL_ERROR_TEXT.to_string()
                }
            };
            (failure_response(app, event, message), Handled::Failed)
        }
    }
}

/// Tells the person why an interaction did nothing: a modal stays open
/// with the message on its first field (so nothing typed is lost), and a
/// button press gets an ephemeral note through its response_url (not the
/// outbox: the database may just have failed).
pub(crate) fn failure_response(
    app: &App,
    event: &SlackInteractionEvent,
    message: String,
) -> SlackInteractionResponse {
    match event {
        SlackInteractionEvent::ViewSubmission(submission) => {
            let first_block = submission
                .view
                .state_params
                .state
                .as_ref()
                .and_then(|state| state.values.keys().next())
                .map(|block| block.to_string());
            match first_block {
                Some(block) => interaction_reply(Answer::FieldErrors([(block, message)].into())),
                None => SlackInteractionResponse::Empty,
            }
        }
        SlackInteractionEvent::BlockActions(actions) => {
            if let Some(url) = actions.response_url.clone() {
                let slack = app.slack.clone();
                tokio::spawn(async move {
                    let request = SlackApiPostWebhookMessageRequest::new(
                        SlackMessageContent::new().with_text(message),
                    )
                    .with_replace_original(false);
                    if let Err(e) = slack.respond(&url, &request).await {
                        tracing::warn!(error = %e, "could not tell the person their button press failed");
                    }
                });
            }
            SlackInteractionResponse::Empty
        }
        _ => SlackInteractionResponse::Empty,
    }
}

fn interaction_reply(answer: Answer) -> SlackInteractionResponse {
    match answer {
        Answer::Done => SlackInteractionResponse::Empty,
        Answer::Update(view) => match serde_json::from_value::<SlackView>(view) {
            Ok(view) => SlackInteractionResponse::ViewSubmission(
                SlackViewSubmissionResponse::Update(SlackViewSubmissionUpdateResponse::new(view)),
            ),
            Err(e) => {
                // The checked builder makes views; one that does not parse is a bug.
                tracing::error!(error = %e, "a modal update did not parse; the modal closes");
                SlackInteractionResponse::Empty
            }
        },
        Answer::FieldErrors(errors) => {
            SlackInteractionResponse::ViewSubmission(SlackViewSubmissionResponse::Errors(
                SlackViewSubmissionErrorsResponse::new(errors.into_iter().collect()),
            ))
        }
    }
}

/// A command's reply in Slack's words. Blocks that do not parse are a bug
/// (the checked builder makes them); the reply then goes out as text alone,
/// and the log says so, instead of losing the blocks unnoticed.
pub(crate) fn command_reply(r: Reply) -> SlackCommandEventResponse {
    let mut content = SlackMessageContent::new().with_text(r.text);
    if let Some(blocks) = r.blocks {
        match serde_json::from_value::<Vec<SlackBlock>>(blocks.to_value()) {
            Ok(blocks) => content = content.with_blocks(blocks),
            Err(e) => tracing::error!(error = %e, "a reply's blocks did not parse; sent as text"),
        }
    }
    SlackCommandEventResponse::new(content).with_response_type(if r.in_channel {
        SlackMessageResponseType::InChannel
    } else {
        SlackMessageResponseType::Ephemeral
    })
}
