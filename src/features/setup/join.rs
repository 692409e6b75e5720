//! Joining a pod from Slack: someone in no pod asks with a button, the
//! pod's managers are asked by direct message, and one click of theirs adds
//! the person to the pod's members (a setup change, in the audit list).

use crate::{
    config::PodConfig,
    domain::{
        block_kit::{Actions, Block, Blocks, Button, Style, section},
        ids::UserId,
    },
    error::AppError,
    features::{Answer, ButtonPress, Reply, Team, pods},
    outbox::{self, Outgoing},
    storage::Tx,
};

use super::{manage::tell, render};

/// The requester's button; its value is the pod's name.
pub const ASK: &str = "setup_join_ask";
/// A manager's button; its value is `pod:user`.
pub const APPROVE: &str = "setup_join_approve";
/// Slack shows at most 25 elements in one actions block.
const MOST_BUTTONS: usize = 25;

/// For someone in no pod: `text`, and a button per pod to ask to join it.
pub fn offer(app: &Team, text: &str) -> Reply {
    let setup = app.setup();
    let mut buttons = setup
        .pods
        .iter()
        .take(MOST_BUTTONS)
        .map(|pod| Button::new(ASK, &render::ask_button(&pod.name)).value(&pod.name));
    let Some(first) = buttons.next() else {
        return Reply::ephemeral(format!("{text} {}", render::no_pods_to_join()));
    };
    let actions = buttons.fold(Actions::new("setup_join", first), Actions::button);
    let text = format!("{text} {}", render::ask_below());
    Reply {
        blocks: Some(Blocks::new(vec![section(&text), Block::Actions(actions)])),
        text,
        in_channel: false,
    }
}

/// "Ask to join": asks the pod's managers.
pub async fn ask(app: &Team, tx: &mut Tx<'_>, press: &ButtonPress) -> Result<Answer, AppError> {
    let setup = app.setup();
    let Some(pod) = setup.pods.iter().find(|p| p.name == press.value) else {
        return tell(tx, press, render::pod_gone()).await;
    };
    if pod.members.contains(&press.user) {
        return tell(tx, press, render::already_in(&pod.name)).await;
    }
    if pod.managers.is_empty() {
        return tell(tx, press, render::no_managers_to_ask(&pod.name)).await;
    }
    let (text, approve) = render::join_request(&press.user, &pod.name);
    let value = format!("{}:{}", pod.name, press.user);
    let blocks = Blocks::new(vec![
        section(&text),
        Block::Actions(Actions::new(
            "setup_join",
            Button::new(APPROVE, &approve)
                .value(&value)
                .style(Style::Primary),
        )),
    ]);
    pods::tell_managers(tx, pod, &text, Some(blocks.to_value())).await?;
    tell(tx, press, render::asked(&pod.managers, &pod.name)).await
}

/// A manager's "Add": adds the person to the pod, if the one pressing
/// manages it. A press by anyone else (or forged) changes nothing.
pub async fn approve(tx: &mut Tx<'_>, press: &ButtonPress) -> Result<Answer, AppError> {
    let Some((pod_name, user)) = press
        .value
        .rsplit_once(':')
        .and_then(|(pod, user)| Some((pod, UserId::parse(user).ok()?)))
    else {
        return tell(tx, press, render::pod_gone()).await;
    };
    let (version, setup) = super::live::stored(tx).await?;
    let Some(index) = setup.pods.iter().position(|p| p.name == pod_name) else {
        return tell(tx, press, render::pod_gone()).await;
    };
    let pod: &PodConfig = &setup.pods[index];
    if !pod.managers.contains(&press.user) {
        return tell(
            tx,
            press,
            render::only_managers_add(&pod.managers, &pod.name),
        )
        .await;
    }
    if pod.members.contains(&user) {
        return tell(tx, press, render::already_added(&user, &pod.name)).await;
    }
    let mut next = setup.clone();
    next.pods[index].members.push(user.clone());
    let what = format!("added {user} to {} (asked to join)", pod.name);
    if !super::live::replace(tx, version, &next, press.user.as_str(), &what).await? {
        return tell(tx, press, render::setup_moved()).await;
    }
    outbox::enqueue(
        tx,
        &Outgoing::DirectMessage {
            user: user.to_string(),
            text: render::you_were_added(&press.user, &pod.name),
            blocks: None,
        },
    )
    .await?;
    tell(tx, press, render::added(&user, &pod.name)).await
}
