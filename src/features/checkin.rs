//! Morning check-ins, per pod.

use chrono::{DateTime, Utc};
use serde_json::Value;
use slack_morphism::prelude::SlackInteractionResponse;

use crate::{
    app::App,
    error::AppError,
    features::{BlockAction, Invocation, MessageInput, Reply, ViewSubmission},
    slack::ids::UserId,
    storage::Tx,
};

pub async fn command(_app: &App, _tx: &mut Tx<'_>, _inv: &Invocation) -> Result<Reply, AppError> {
    Ok(Reply::ephemeral("Check-ins are not set up yet."))
}

/// Thread replies to a check-in prompt are check-ins.
pub async fn on_message(
    _app: &App,
    _tx: &mut Tx<'_>,
    _message: &MessageInput,
) -> Result<(), AppError> {
    Ok(())
}

pub async fn on_block_action(
    _app: &App,
    _tx: &mut Tx<'_>,
    _action: &BlockAction,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    Ok(None)
}

pub async fn on_view_submission(
    _app: &App,
    _tx: &mut Tx<'_>,
    _view: &ViewSubmission,
) -> Result<Option<SlackInteractionResponse>, AppError> {
    Ok(None)
}

pub async fn home_blocks(
    _app: &App,
    _tx: &mut Tx<'_>,
    _user: &UserId,
) -> Result<Vec<Value>, AppError> {
    Ok(vec![])
}

/// Scheduled: posts prompts at each pod's check-in time and sends managers the summary.
pub async fn tick(_app: &App, _now: DateTime<Utc>) -> anyhow::Result<()> {
    Ok(())
}
