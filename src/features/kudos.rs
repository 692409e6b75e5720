//! Kudos by reaction and by command.

use serde_json::Value;
use slack_morphism::prelude::*;

use crate::{
    app::App,
    error::AppError,
    features::{BlockAction, Invocation, Reply, export},
    slack::ids::UserId,
    storage::{Db, Tx},
};

/// A kudos reaction added or removed, as Slack reported it.
#[derive(Debug, Clone)]
pub struct ReactionInput {
    pub added: bool,
    pub reactor: String,
    pub reaction: String,
    pub author: Option<String>,
    /// (channel, ts) of the message; None for files.
    pub message: Option<(String, String)>,
}

impl From<&SlackReactionAddedEvent> for ReactionInput {
    fn from(e: &SlackReactionAddedEvent) -> Self {
        Self {
            added: true,
            reactor: e.user.to_string(),
            reaction: e.reaction.to_string(),
            author: e.item_user.as_ref().map(|u| u.to_string()),
            message: message_of(&e.item),
        }
    }
}

impl From<&SlackReactionRemovedEvent> for ReactionInput {
    fn from(e: &SlackReactionRemovedEvent) -> Self {
        Self {
            added: false,
            reactor: e.user.to_string(),
            reaction: e.reaction.to_string(),
            author: e.item_user.as_ref().map(|u| u.to_string()),
            message: message_of(&e.item),
        }
    }
}

fn message_of(item: &SlackReactionsItem) -> Option<(String, String)> {
    match item {
        SlackReactionsItem::Message(m) => Some((
            m.origin.channel.as_ref()?.to_string(),
            m.origin.ts.to_string(),
        )),
        SlackReactionsItem::File(_) => None,
    }
}

pub async fn on_reaction(
    _app: &App,
    _tx: &mut Tx<'_>,
    _input: ReactionInput,
) -> Result<(), AppError> {
    Ok(())
}

pub async fn command(_app: &App, _tx: &mut Tx<'_>, _inv: &Invocation) -> Result<Reply, AppError> {
    Ok(Reply::ephemeral("Usage: `/kudos @colleague what they did`"))
}

pub async fn home_blocks(
    _app: &App,
    _tx: &mut Tx<'_>,
    _user: &UserId,
) -> Result<Vec<Value>, AppError> {
    Ok(vec![])
}

/// Buttons in the App Home (`home_…`) and on kudos messages (`kudos_…`).
pub async fn on_block_action(
    _app: &App,
    _tx: &mut Tx<'_>,
    _action: &BlockAction,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    Ok(None)
}

pub async fn export(
    _db: &Db,
    _range: &export::Range,
    format: export::Format,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    export::write::<()>(&[], format, out)
}
