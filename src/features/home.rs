//! The App Home tab: what a person sees when they open needful.

use crate::domain::block_kit::{self, Block, VIEW_BLOCKS, View};
use crate::{
    app::App,
    domain::ids::UserId,
    error::AppError,
    features,
    outbox::{self, Outgoing},
    storage::Tx,
};
use serde_json::Value;

/// Publishes `user`'s home (through the outbox, so a Slack outage loses nothing).
/// Call it after any change that shows on someone's home. Only a marker is
/// written here; the view is rendered from the newest state when the outbox
/// delivers it, so waiting refreshes of one person's home coalesce and the
/// request that caused it stays fast.
pub async fn publish(_app: &App, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    outbox::enqueue(tx, &refresh(user)).await?;
    Ok(())
}

/// The outbox message behind [`publish`], for callers that enqueue in bulk.
pub fn refresh(user: &UserId) -> Outgoing {
    Outgoing::RefreshHome {
        user: user.to_string(),
    }
}

/// `user`'s home view as of now, read in one snapshot. It takes no write
/// lock: a home with a long history takes milliseconds to render, and under
/// the write lock every event waited that long (p99 at 1,000 events/s went
/// from 2 to 8–11 ms with 150,000 kudos recorded; see BENCHMARKS.md). A
/// feature that fills in lazily kept state while rendering (this week's
/// roster, when the Monday job has not written it yet) upgrades the
/// transaction; if a write came first, SQLite refuses that and the outbox
/// renders the home again shortly.
pub async fn render(app: &App, user: &UserId) -> Result<Value, AppError> {
    let mut tx = app.db.begin().await?;
    let mut blocks = vec![
        block_kit::header("needful"),
        block_kit::section(&greeting(app, user)),
    ];
    // Each feature adds its own section, most personal first.
    blocks.extend(features::staffing::home_blocks(app, &mut tx, user).await?);
    blocks.extend(features::trophy::home_blocks(app, &mut tx, user).await?);
    blocks.extend(features::kudos::home_blocks(app, &mut tx, user).await?);
    blocks.extend(features::checkin::home_blocks(app, &mut tx, user).await?);
    blocks.extend(features::roles::home_blocks(app, &mut tx, user).await?);
    tx.commit().await?;
    Ok(View::home(fit(blocks)).to_value())
}

fn greeting(app: &App, user: &UserId) -> String {
    let emoji = app
        .settings
        .team
        .kudos
        .reactions
        .iter()
        .map(|r| format!(":{r}:"))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "Hi <@{user}>! React with {emoji} to a colleague's message to thank them, or use `/kudos @colleague what they did`."
    )
}

/// Keeps the view within Slack's block limit: a home that is too long would
/// be refused whole, so the tail gives way with a note.
fn fit(blocks: Vec<Block>) -> Vec<Block> {
    block_kit::fit(
        blocks,
        VIEW_BLOCKS,
        "There is more than fits here; the slash commands show the rest.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_homes_are_cut_to_slacks_limit() {
        let fitted = fit(vec![Block::Divider; 150]);
        assert_eq!(fitted.len(), VIEW_BLOCKS);
        assert_eq!(
            fitted[VIEW_BLOCKS - 1],
            block_kit::context("There is more than fits here; the slash commands show the rest.")
        );
        assert_eq!(fit(vec![Block::Divider; 3]).len(), 3);
    }
}
