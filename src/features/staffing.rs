//! Understaffed mode, per pod.

use chrono::{DateTime, Utc};
use serde_json::Value;
use slack_morphism::prelude::SlackInteractionResponse;

use crate::{
    app::App,
    error::AppError,
    features::{BlockAction, Invocation, Reply, export},
    slack::ids::UserId,
    storage::{Db, Tx},
};

pub async fn command(_app: &App, _tx: &mut Tx<'_>, _inv: &Invocation) -> Result<Reply, AppError> {
    Ok(Reply::ephemeral("Understaffed mode is not set up yet."))
}

/// The banner check-in prompts and App Home show while `pod` is understaffed.
pub async fn banner(_tx: &mut Tx<'_>, _pod: &str) -> Result<Option<String>, AppError> {
    Ok(None)
}

pub async fn on_block_action(
    _app: &App,
    _tx: &mut Tx<'_>,
    _action: &BlockAction,
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

/// Scheduled: switches understaffed mode off when its `--until` has passed.
pub async fn tick(_app: &App, _now: DateTime<Utc>) -> anyhow::Result<()> {
    Ok(())
}

pub async fn export(
    _db: &Db,
    _range: &export::Range,
    format: export::Format,
    out: &mut dyn std::io::Write,
) -> anyhow::Result<()> {
    export::write::<()>(&[], format, out)
}
