//! Which pod a command is about: named with `--pod`, the pod whose channel it
//! was run in, or the one pod the caller belongs to. Shared with roles.

use crate::{
    config::PodConfig,
    domain::{
        block_kit::Blocks,
        ids::{ChannelId, UserId},
    },
    error::AppError,
    features::Team,
    outbox::{self, Outgoing},
    storage::Tx,
};

/// Whose pods count when the command names none and is run outside a pod channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Belonging {
    /// Pods the caller manages (for changes only managers may make).
    Manages,
    /// Pods the caller manages or works in (for looking).
    WorksIn,
}

pub(crate) fn by_name(app: &Team, name: &str) -> Option<PodConfig> {
    app.setup()
        .pods
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .cloned()
}

pub(crate) fn is_manager(pod: &PodConfig, user: &UserId) -> bool {
    pod.managers.contains(user)
}

pub(crate) fn is_member(pod: &PodConfig, user: &UserId) -> bool {
    pod.members.contains(user)
}

/// The pods `user` works in.
pub(crate) fn member_of(app: &Team, user: &UserId) -> Vec<PodConfig> {
    app.setup()
        .pods
        .iter()
        .filter(|p| is_member(p, user))
        .cloned()
        .collect()
}

/// The pods `user` works in or manages.
pub(crate) fn involving(app: &Team, user: &UserId) -> Vec<PodConfig> {
    app.setup()
        .pods
        .iter()
        .filter(|p| is_member(p, user) || is_manager(p, user))
        .cloned()
        .collect()
}

/// The managers as mentions, for refusals that say whom to ask.
pub(crate) fn managers_text(pod: &PodConfig) -> String {
    if pod.managers.is_empty() {
        return "no managers are set up for it yet".to_string();
    }
    join_people(&pod.managers)
}

/// `<@A>`, `<@A> and <@B>`, `<@A>, <@B> and <@C>`.
pub(crate) fn join_people(people: &[UserId]) -> String {
    let mentions: Vec<String> = people.iter().map(|u| format!("<@{u}>")).collect();
    join_words(&mentions)
}

pub(crate) fn join_words(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Finds the pod a command is about, or says why it can't and what to do.
pub(crate) fn resolve(
    app: &Team,
    user: &UserId,
    channel: &ChannelId,
    named: Option<&str>,
    belonging: Belonging,
    command: &str,
) -> Result<PodConfig, AppError> {
    let setup = app.setup();
    let pods = &setup.pods;
    if pods.is_empty() {
        return Err(AppError::User(
            "No pods are set up yet, so there is nothing to switch. Whoever runs needful can add one to its setup.".to_string(),
        ));
    }
    let names = || {
        pods.iter()
            .map(|p| format!("`{}`", p.name))
            .collect::<Vec<_>>()
    };
    if let Some(name) = named {
        return by_name(app, name).ok_or_else(|| {
            AppError::User(format!(
                "I don't know a pod called `{}`. The pods are {}; try `{command} --pod {}`.",
                crate::domain::mrkdwn::echo(name),
                join_words(&names()),
                pods[0].name
            ))
        });
    }
    if let Some(pod) = pods.iter().find(|p| &p.channel == channel) {
        return Ok(pod.clone());
    }
    let mine: Vec<&PodConfig> = pods
        .iter()
        .filter(|p| match belonging {
            Belonging::Manages => is_manager(p, user),
            Belonging::WorksIn => is_manager(p, user) || is_member(p, user),
        })
        .collect();
    match mine.as_slice() {
        [one] => Ok((*one).clone()),
        [] if pods.len() == 1 => Ok(pods[0].clone()),
        [] => Err(AppError::User(format!(
            "I can't tell which pod you mean here. Run it in the pod's channel, or name it: {}.",
            pods.iter()
                .map(|p| format!("`{command} --pod {}`", p.name))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        several => Err(AppError::User(format!(
            "You are in several pods, so I'm not sure which one you mean. Which one? Run the command again with `--pod` and its name:\n{}",
            several
                .iter()
                .map(|p| format!("• `--pod {}` (<#{}>)", p.name, p.channel))
                .collect::<Vec<_>>()
                .join("\n")
        ))),
    }
}

/// Posts `text` (with `blocks`) in `pod`'s channel under `key`, so later
/// edits find it.
pub(crate) async fn post_in_channel(
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    text: String,
    blocks: &Blocks,
    key: String,
) -> Result<(), sqlx::Error> {
    outbox::enqueue(
        tx,
        &Outgoing::keyed_post(&pod.channel, text, Some(blocks.to_value()), key),
    )
    .await
}

/// Sends each of `pod`'s managers `text` (and `blocks`) by direct message.
pub(crate) async fn tell_managers(
    tx: &mut Tx<'_>,
    pod: &PodConfig,
    text: &str,
    blocks: Option<serde_json::Value>,
) -> Result<(), sqlx::Error> {
    for manager in &pod.managers {
        outbox::enqueue(
            tx,
            &Outgoing::DirectMessage {
                user: manager.to_string(),
                text: text.to_string(),
                blocks: blocks.clone(),
            },
        )
        .await?;
    }
    Ok(())
}
