//! Changing the setup from Slack: who may change what, the Manage list,
//! opening a form, saving it, and removing a pod.
//!
//! Every check is made again when a form is saved, against the setup as
//! stored in that transaction: a button or a submission can be forged or
//! stale, and then changes nothing.

use super::{
    forms::{self, Checks, Form},
    live, render, views,
    views::Scope,
};
use crate::{
    config::TeamConfig,
    domain::{
        block_kit::Block,
        ids::UserId,
        input::{ButtonPress, FormSubmission, SlashCommand},
    },
    error::AppError,
    features::{Answer, Reply, Team},
    outbox::{self, Outgoing},
    storage::{self, Tx},
};

/// An admin: named in `NEEDFUL_ADMINS`, or, when that is unset, a
/// workspace admin or owner as Slack says (looked up before the request).
pub fn is_admin(app: &Team, user: &UserId) -> bool {
    let admins = &app.settings.env.admins;
    if !admins.is_empty() {
        return admins.contains(user);
    }
    app.workspace
        .person(user)
        .is_some_and(|p| p.admin && !p.deleted)
}

/// What `user` may change in `setup`.
pub fn scope<'a>(app: &Team, setup: &'a TeamConfig, user: &UserId) -> Scope<'a> {
    let admin = is_admin(app, user);
    Scope {
        admin,
        pods: setup
            .pods
            .iter()
            .filter(|p| admin || p.managers.contains(user))
            .collect(),
    }
}

/// Whether `user` may use `form` on `setup`.
fn may_use(app: &Team, setup: &TeamConfig, user: &UserId, form: &Form) -> bool {
    if is_admin(app, user) {
        return true;
    }
    match form.pod() {
        Some(name) if !form.for_admins() => setup
            .pods
            .iter()
            .any(|p| p.name == name && p.managers.contains(user)),
        _ => false,
    }
}

/// `/needful setup`: the Manage list, in a modal.
pub async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
    let setup = app.setup();
    let scope = scope(app, &setup, &inv.user);
    if scope.is_empty() {
        return Err(AppError::User(render::setup_refused(&setup.pods)));
    }
    let view = views::menu(&setup, &scope).to_value();
    outbox::enqueue(tx, &Outgoing::modal(&inv.trigger_id, view, false)).await?;
    Ok(Reply::ephemeral(render::opening()))
}

/// The App Home's Manage section, for managers and admins.
pub fn home(app: &Team, user: &UserId) -> Vec<Block> {
    let setup = app.setup();
    let scope = scope(app, &setup, user);
    if scope.is_empty() {
        return Vec::new();
    }
    views::home(&setup, &scope)
}

/// A button that opens a form.
pub async fn open(app: &Team, tx: &mut Tx<'_>, press: &ButtonPress) -> Result<Answer, AppError> {
    let setup = app.setup();
    let Some(form) = Form::from_value(&press.value) else {
        return tell(tx, press, render::stale_button()).await;
    };
    if !may_use(app, &setup, &press.user, &form) {
        return tell(tx, press, render::form_refused(form.pod(), &setup)).await;
    }
    let Some(view) = views::form(&form, &setup) else {
        return tell(tx, press, render::pod_gone()).await;
    };
    let view = view.to_value();
    let on_top = press.modal.is_some();
    outbox::enqueue(tx, &Outgoing::modal(&press.trigger_id, view, on_top)).await?;
    Ok(Answer::Done)
}

/// A form saved: checked, stored with who and what, applied at once.
pub async fn submit(
    app: &Team,
    tx: &mut Tx<'_>,
    sub: &FormSubmission,
) -> Result<Option<Answer>, AppError> {
    let Some(form) = Form::from_callback(&sub.callback_id) else {
        return Ok(None);
    };
    let (version, setup) = live::stored(tx).await?;
    if !may_use(app, &setup, &sub.user, &form) {
        return Err(AppError::User(render::form_refused(form.pod(), &setup)));
    }
    // Opened on a setup someone has changed since: save nothing unseen.
    if !sub.private_metadata.is_empty() && sub.private_metadata != forms::fingerprint(&form, &setup)
    {
        return Ok(Some(Answer::FieldErrors(forms::first_field(
            &form,
            render::changed_meanwhile(),
        ))));
    }
    let person = |u: &UserId| app.workspace.person(u);
    let channel = |c: &crate::domain::ids::ChannelId| app.workspace.channel(c);
    let checked = forms::apply(
        &form,
        &setup,
        sub,
        &Checks {
            now: tx.now(),
            person: &person,
            channel: &channel,
            bot: app.bot_user(),
        },
    );
    let changed = match checked {
        Ok(changed) => changed,
        Err(errors) => return Ok(Some(Answer::FieldErrors(errors))),
    };
    let json = serde_json::to_string(&changed.next).map_err(anyhow::Error::from)?;
    let saved =
        storage::setup::replace(tx, version, &json, sub.user.as_str(), &changed.what).await?;
    if saved.is_none() {
        return Ok(Some(Answer::FieldErrors(forms::first_field(
            &form,
            render::changed_meanwhile(),
        ))));
    }
    if let Some((old, new)) = &changed.renamed {
        storage::setup::rename_pod(tx, old, new).await?;
    }
    let pod = changed.pod.as_deref().unwrap_or_default();
    for user in changed.added.iter().filter(|u| **u != sub.user) {
        outbox::enqueue(
            tx,
            &Outgoing::DirectMessage {
                user: user.to_string(),
                text: render::you_were_added(&sub.user, pod),
                blocks: None,
            },
        )
        .await?;
    }
    if let Some(view_id) = &sub.previous_view {
        // Closing the note goes back to the menu: it shows the change.
        redraw_menu(app, tx, &changed.next, &sub.user, view_id).await?;
    }
    refresh_home(tx, &sub.user).await?;
    Ok(Some(Answer::Update(views::saved(&changed.what).to_value())))
}

/// An admin's "Remove" of a pod.
pub async fn remove(app: &Team, tx: &mut Tx<'_>, press: &ButtonPress) -> Result<Answer, AppError> {
    let (version, setup) = live::stored(tx).await?;
    if !is_admin(app, &press.user) {
        return tell(tx, press, render::remove_refused()).await;
    }
    let Some(index) = setup.pods.iter().position(|p| p.name == press.value) else {
        return tell(tx, press, render::pod_gone()).await;
    };
    let name = setup.pods[index].name.clone();
    if storage::staffing::open_switch(tx, &name).await?.is_some() {
        return tell(tx, press, render::remove_understaffed(&name)).await;
    }
    let mut next = setup.clone();
    next.pods.remove(index);
    let what = format!("removed the pod {name}");
    if !live::replace(tx, version, &next, press.user.as_str(), &what).await? {
        return tell(tx, press, render::changed_meanwhile()).await;
    }
    if let Some(view_id) = &press.modal {
        // The menu it was pressed in shows the pods as they are now.
        redraw_menu(app, tx, &next, &press.user, view_id).await?;
    }
    refresh_home(tx, &press.user).await?;
    tell(tx, press, render::removed(&name)).await
}

/// Redraws the Manage menu open as `view_id` from `setup`.
async fn redraw_menu(
    app: &Team,
    tx: &mut Tx<'_>,
    setup: &TeamConfig,
    user: &UserId,
    view_id: &str,
) -> Result<(), AppError> {
    let scope = scope(app, setup, user);
    let update = Outgoing::UpdateView {
        view_id: view_id.to_string(),
        view: views::menu(setup, &scope).to_value(),
    };
    outbox::enqueue(tx, &update).await?;
    Ok(())
}

async fn refresh_home(tx: &mut Tx<'_>, user: &UserId) -> Result<(), AppError> {
    let refresh = Outgoing::RefreshHome {
        user: user.to_string(),
    };
    outbox::enqueue(tx, &refresh).await?;
    Ok(())
}

/// Answers the person who pressed, where they pressed it: in the channel,
/// else by direct message (App Home and modal buttons have no channel).
pub async fn tell(tx: &mut Tx<'_>, press: &ButtonPress, text: String) -> Result<Answer, AppError> {
    let msg = match &press.channel {
        Some(channel) => Outgoing::Ephemeral {
            channel: channel.to_string(),
            user: press.user.to_string(),
            text,
            blocks: None,
        },
        None => Outgoing::DirectMessage {
            user: press.user.to_string(),
            text,
            blocks: None,
        },
    };
    outbox::enqueue(tx, &msg).await?;
    Ok(Answer::Done)
}
