//! The Needful Trophy: one per workspace, passed on by its holder.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    app::App,
    error::AppError,
    features::{Invocation, Reply, export},
    slack::ids::UserId,
    storage::{Db, Tx},
};

pub async fn command(_app: &App, _tx: &mut Tx<'_>, _inv: &Invocation) -> Result<Reply, AppError> {
    Ok(Reply::ephemeral("The Needful Trophy is not set up yet."))
}

/// The trophy section of a person's App Home.
pub async fn home_blocks(
    _app: &App,
    _tx: &mut Tx<'_>,
    _user: &UserId,
) -> Result<Vec<Value>, AppError> {
    Ok(vec![])
}

/// Scheduled: nudges holders who have kept the trophy too long.
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
