//! Someone deactivated in Slack leaves the setup: every pod's members and
//! managers, so they get no more prompts and take no more roles. If they
//! held the trophy, it goes back to one of their managers, with a note.

use crate::{
    domain::ids::UserId,
    error::AppError,
    features::{Team, trophy},
    outbox::{self, Outgoing},
    storage::{self, Tx},
};

use super::render;

/// Applies Slack's word that `user` was deactivated, inside the delivery's
/// transaction (so it happens once, whichever instance gets it).
pub async fn deactivated(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    // The stored setup, read under the write lock: nothing can change it
    // between this read and the write below.
    let Some((_, json)) = storage::setup::current_in(tx).await? else {
        return Ok(());
    };
    let mut setup = super::decode(&json)?;
    let mut left = Vec::new();
    let mut their_managers = Vec::new();
    for pod in &mut setup.pods {
        let was_member = pod.members.contains(user);
        let was_manager = pod.managers.contains(user);
        if !was_member && !was_manager {
            continue;
        }
        pod.members.retain(|m| m != user);
        pod.managers.retain(|m| m != user);
        left.push(pod.name.clone());
        if was_member {
            their_managers.extend(pod.managers.iter().cloned());
        }
    }
    if !left.is_empty() {
        let json = serde_json::to_string(&setup).map_err(anyhow::Error::from)?;
        let what = format!("{user} left {} (deactivated in Slack)", left.join(", "));
        storage::setup::save(tx, &json, "Slack", &what).await?;
    }
    if let Some(manager) = their_managers.first()
        && trophy::return_from(app, tx, user, manager).await?
    {
        outbox::enqueue(
            tx,
            &Outgoing::DirectMessage {
                user: manager.to_string(),
                text: render::trophy_came_back(user, &app.setup().trophy.name),
                blocks: None,
            },
        )
        .await?;
    }
    Ok(())
}
