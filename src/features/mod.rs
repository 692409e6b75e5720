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

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::{
    domain::ids::{ChannelId, UserId},
    error::AppError,
    outbox::Outgoing,
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

/// A message a person wrote in a channel needful is in.
#[derive(Debug, Clone)]
pub struct MessageInput {
    pub user: UserId,
    pub channel: ChannelId,
    pub ts: String,
    /// Set on thread replies: the parent message's ts.
    pub thread_ts: Option<String>,
    /// The text with Slack's `&amp;`/`&lt;`/`&gt;` escapes undone.
    pub text: String,
}

/// A button press.
#[derive(Debug, Clone)]
pub struct BlockAction {
    pub user: UserId,
    /// Where the button's message is (absent for buttons in App Home).
    pub channel: Option<ChannelId>,
    pub message_ts: Option<String>,
    pub action_id: String,
    pub value: String,
    pub trigger_id: String,
}

/// A modal submitted.
#[derive(Debug, Clone)]
pub struct ViewSubmission {
    pub user: UserId,
    pub callback_id: String,
    pub private_metadata: String,
    /// `state.values` as Slack sent it: `{block_id: {action_id: {type, value, …}}}`.
    pub values: Value,
}

/// A person's message (not a bot, not an edit or a join notice).
pub fn is_human_message(m: &SlackMessageEvent) -> bool {
    m.subtype.is_none() && m.sender.bot_id.is_none() && m.sender.user.is_some()
}

/// The user id of a bot that posted `m`, when the message names one.
pub fn bot_author(m: &SlackMessageEvent) -> Option<UserId> {
    m.sender.bot_id.as_ref()?;
    UserId::parse(m.sender.user.as_ref()?.as_ref()).ok()
}

/// Human messages: thread replies to check-in prompts are check-ins.
pub async fn on_message(
    app: &Team,
    tx: &mut Tx<'_>,
    m: &SlackMessageEvent,
) -> Result<(), AppError> {
    let (Some(user), Some(channel)) = (&m.sender.user, &m.origin.channel) else {
        return Ok(());
    };
    let (Ok(user), Ok(channel)) = (
        UserId::parse(user.as_ref()),
        ChannelId::parse(channel.as_ref()),
    ) else {
        return Ok(());
    };
    let input = MessageInput {
        user,
        channel,
        ts: m.origin.ts.to_string(),
        thread_ts: m.origin.thread_ts.as_ref().map(|t| t.to_string()),
        text: crate::domain::ids::unescape_text(
            m.content
                .as_ref()
                .and_then(|c| c.text.as_deref())
                .unwrap_or_default(),
        ),
    };
    checkin::on_message(app, tx, &input).await
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
    event: &SlackInteractionEvent,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    match event {
        SlackInteractionEvent::BlockActions(e) => {
            let Some(user) = e
                .user
                .as_ref()
                .and_then(|u| UserId::parse(u.id.as_ref()).ok())
            else {
                return Ok(None);
            };
            let (channel, message_ts) = match &e.container {
                SlackInteractionActionContainer::Message(m) => (
                    m.channel_id
                        .as_ref()
                        .and_then(|c| ChannelId::parse(c.as_ref()).ok()),
                    Some(m.message_ts.to_string()),
                ),
                _ => (None, None),
            };
            let mut response = None;
            for action in e.actions.iter().flatten() {
                let input = BlockAction {
                    user: user.clone(),
                    channel: channel.clone(),
                    message_ts: message_ts.clone(),
                    action_id: action.action_id.to_string(),
                    value: action.value.clone().unwrap_or_default(),
                    trigger_id: e.trigger_id.to_string(),
                };
                let id = input.action_id.as_str();
                response = if id.starts_with("home_") || id.starts_with("kudos_") {
                    kudos::on_block_action(app, tx, &input).await?
                } else if id.starts_with("checkin_") {
                    checkin::on_block_action(app, tx, &input).await?
                } else if id.starts_with("staffing_") {
                    staffing::on_block_action(app, tx, &input).await?
                } else {
                    None
                };
            }
            Ok(response)
        }
        SlackInteractionEvent::ViewSubmission(e) => {
            let Ok(user) = UserId::parse(e.user.id.as_ref()) else {
                return Ok(None);
            };
            let view = serde_json::to_value(&e.view.view).unwrap_or_default();
            let state = serde_json::to_value(&e.view.state_params).unwrap_or_default();
            let input = ViewSubmission {
                user,
                callback_id: view["callback_id"].as_str().unwrap_or_default().to_string(),
                private_metadata: view["private_metadata"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                values: state["state"]["values"].clone(),
            };
            if input.callback_id.starts_with("checkin_") {
                checkin::on_view_submission(app, tx, &input).await
            } else {
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}
