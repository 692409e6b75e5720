//! Someone deactivated in Slack leaves the setup: every pod's members and
//! managers, so they get no more prompts and take no more roles. If they
//! held the trophy, it goes back to one of their managers, with a note.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    domain::ids::UserId,
    error::AppError,
    features::{Team, trophy},
    outbox::{self, Outgoing},
    storage::Tx,
};

use super::render;

/// Applies Slack's word that `user` was deactivated, inside the delivery's
/// transaction (so it happens once, whichever instance gets it).
pub async fn deactivated(app: &Team, tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    // The stored setup, read under the write lock: nothing can change it
    // between this read and the write below.
    let (version, mut setup) = super::live::stored(tx).await?;
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
        let what = format!("{user} left {} (deactivated in Slack)", left.join(", "));
        // Read under this transaction's write lock: nothing came first.
        super::live::replace(tx, version, &setup, "Slack", &what).await?;
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

/// Scheduled: a `user_change` can be missed (needful was down, or the
/// event was lost), so once a minute needful asks Slack (`users.info`)
/// about one person in the pods, in turn, and someone Slack says is
/// deactivated leaves as if the event had come. One call a minute is far
/// inside the method's limit; a team of 200 is swept every few hours.
pub async fn sweep(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
    let setup = app.setup();
    let mut people: Vec<UserId> = setup
        .pods
        .iter()
        .flat_map(|p| p.members.iter().chain(&p.managers))
        .cloned()
        .collect();
    people.sort();
    people.dedup();
    let minute = now.timestamp() / 60;
    let person = {
        let mut sweep = app.setup.sweep.lock().unwrap_or_else(|e| e.into_inner());
        if people.is_empty() || sweep.minute == minute {
            return Ok(());
        }
        sweep.minute = minute;
        sweep.next = sweep.next.wrapping_add(1);
        people[sweep.next % people.len()].clone()
    };
    app.workspace
        .look_up(std::slice::from_ref(&person), &[])
        .await;
    if !app.workspace.person(&person).is_some_and(|p| p.deleted) {
        return Ok(());
    }
    tracing::info!(user = %person, "Slack says this person is deactivated; they leave their pods");
    let team = app.clone();
    team.writer
        .clone()
        .transaction(move |tx| Box::pin(async move { deactivated(&team, tx, &person).await }))
        .await?;
    Ok(())
}
