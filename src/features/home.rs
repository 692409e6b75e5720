//! The App Home tab: what a person sees when they open needful.

use crate::domain::block_kit::{self, Block, VIEW_BLOCKS, View};
use crate::{
    domain::ids::UserId,
    error::AppError,
    features::Team,
    outbox::{self, Outgoing},
    storage::Tx,
};
use serde_json::Value;

/// Publishes `user`'s home (through the outbox, so a Slack outage loses nothing).
/// Call it after any change that shows on someone's home. Only a marker is
/// written here; the view is rendered from the newest state when the outbox
/// delivers it, so waiting refreshes of one person's home coalesce and the
/// request that caused it stays fast.
pub async fn publish(_app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    outbox::enqueue(tx, &refresh(user)).await?;
    Ok(())
}

/// The outbox message behind [`publish`], for callers that enqueue in bulk.
pub fn refresh(user: &UserId) -> Outgoing {
    Outgoing::RefreshHome {
        user: user.to_string(),
    }
}

/// `user`'s home page around the features' `sections`
/// ([`crate::registry::home_view`] reads them in one snapshot).
pub fn page(app: &Team, user: &UserId, sections: Vec<Block>) -> Value {
    let mut blocks = vec![
        block_kit::header("needful"),
        block_kit::section(&greeting(app, user)),
    ];
    blocks.extend(sections);
    View::home(fit(blocks)).to_value()
}

fn greeting(app: &Team, user: &UserId) -> String {
    let emoji = app
        .setup()
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
