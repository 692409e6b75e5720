//! Weekly rotating roles, per pod.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    app::App,
    error::AppError,
    features::{Invocation, Reply},
    slack::ids::UserId,
    storage::Tx,
};

pub async fn command(_app: &App, _tx: &mut Tx<'_>, _inv: &Invocation) -> Result<Reply, AppError> {
    Ok(Reply::ephemeral("Rotating roles are not set up yet."))
}

/// This week's roster for `pod` as (role, person), in role order.
pub async fn current_roster(
    _app: &App,
    _tx: &mut Tx<'_>,
    _pod: &str,
    _now: DateTime<Utc>,
) -> Result<Vec<(String, UserId)>, AppError> {
    Ok(vec![])
}

pub async fn home_blocks(
    _app: &App,
    _tx: &mut Tx<'_>,
    _user: &UserId,
) -> Result<Vec<Value>, AppError> {
    Ok(vec![])
}

/// Scheduled: rotates each pod's roles on its first workday of the week.
pub async fn tick(_app: &App, _now: DateTime<Utc>) -> anyhow::Result<()> {
    Ok(())
}
