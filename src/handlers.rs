//! Every slash command, event and interaction needful answers, in one place.
//!
//! The transport ([`crate::slack::answer`]) calls these with what people did,
//! in the team's terms ([`crate::domain::input`]). Each runs one
//! transaction on the writer ([`storage::Writer`]): the state change, the
//! `event_id` it came from and the outbox rows it causes commit together,
//! and only then is Slack acknowledged.

use std::sync::Weak;

use futures::future::BoxFuture;

use crate::{
    domain::{
        input::{Delivery, Event, Interaction, ReactionInput, SlashCommand},
        reply::Handled,
    },
    error::{AppError, INTERNAL_ERROR_TEXT},
    features::{self, Answer, Reply},
    registry,
    state::{App, AppState},
    storage::{self, Tx, direct::Batch},
};

/// Applies one Events API delivery exactly once; it joins whatever else is
/// waiting in one transaction (see [`storage::writer`]).
pub async fn on_event(app: &App, delivery: Delivery) -> Result<Handled, AppError> {
    app.team.writer.apply(delivery).await
}

/// The handlers, as the writer applies batches of deliveries with them
/// (it begins and commits their transactions, and sees to each being
/// applied once). The app is held weakly: the writer stops once the app is
/// gone.
pub struct Events(pub Weak<AppState>);

impl Events {
    fn app(&self) -> Result<App, AppError> {
        self.0.upgrade().ok_or_else(storage::writer::stopping)
    }
}

impl storage::writer::Applier for Events {
    fn apply_reactions(&self, batch: &Batch<'_>, reactions: &[&Delivery]) -> Result<(), AppError> {
        let app = self.app()?;
        let inputs: Vec<&ReactionInput> = reactions
            .iter()
            .filter_map(|delivery| match &delivery.event {
                Event::Reaction(input) => Some(input),
                _ => None,
            })
            .collect();
        features::kudos::apply_reactions(&app.team, batch, &inputs)
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut Tx<'_>,
        deliveries: Vec<&'a Delivery>,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(async move {
            let app = self.app()?;
            let team = &app.team;
            for delivery in deliveries {
                match &delivery.event {
                    Event::HomeOpened(user) => features::home::publish(team, tx, user).await?,
                    Event::BotPosted(bot) => features::people::learn_bot(team, tx, bot).await?,
                    Event::Message(m) => registry::message(team, tx, m).await?,
                    Event::UserDeactivated(user) => {
                        features::setup::deactivated(team, tx, user).await?
                    }
                    Event::Reaction(_) => {}
                }
            }
            Ok(())
        })
    }
}

/// Answers a slash command. The reply is the immediate (ephemeral unless said
/// otherwise) answer; anything else it causes goes through the outbox.
#[tracing::instrument(skip_all, fields(command = %command.command, user = %command.user))]
pub async fn on_command(app: &App, command: SlashCommand) -> (Reply, Handled) {
    match run_command(app, command).await {
        Ok(r) => (r, Handled::Applied),
        Err(AppError::User(message)) => (Reply::ephemeral(message), Handled::Applied),
        Err(AppError::Internal(e)) => {
            tracing::error!(error = ?e, "a command failed");
            (Reply::ephemeral(INTERNAL_ERROR_TEXT), Handled::Failed)
        }
    }
}

/// A command's transaction, on the writer: it runs to its end whatever
/// happens to the request that asked for it.
async fn run_command(app: &App, inv: SlashCommand) -> Result<Reply, AppError> {
    let team = app.team.clone();
    team.workspace.look_up(actor(&team, &inv.user), &[]).await;
    let reply = app
        .team
        .writer
        .transaction(move |tx| {
            Box::pin(async move {
                match registry::command(&team, tx, &inv).await? {
                    Some(reply) => Ok(reply),
                    None => Err(AppError::User(unknown_command(&inv.command))),
                }
            })
        })
        .await;
    setup_applies(app).await;
    reply
}

/// A change to the setup applies before the request that made it is
/// answered, so the next command already sees it. (Changes made elsewhere
/// arrive within a second: [`crate::features::setup::watch`].) Reading the
/// version is one indexed row.
async fn setup_applies(app: &App) {
    if let Err(e) = app.team.setup.refresh(&app.team.db).await {
        tracing::warn!(error = %format!("{e:#}"), "could not read the team's setup again");
    }
}

/// Whom to ask Slack about for the person acting: only needed when
/// `NEEDFUL_ADMINS` is unset, since Slack's admin flags then decide who is
/// an admin (and cached for a while, so mostly no call at all).
fn actor<'a>(
    team: &crate::features::Team,
    user: &'a crate::domain::ids::UserId,
) -> &'a [crate::domain::ids::UserId] {
    if team.settings.env.admins.is_empty() {
        std::slice::from_ref(user)
    } else {
        &[]
    }
}

/// The most people, and channels, one form may have looked up (a forged
/// form could name thousands). Past it, people are taken unchecked.
const MAX_LOOKUPS: usize = 100;

fn unknown_command(name: &str) -> String {
    let list: Vec<String> = registry::commands()
        .map(|c| format!("• `{}`: {}", c.name, c.help))
        .collect();
    format!(
        "I don't know `{name}`. Here is what I can do:\n{}",
        list.join("\n")
    )
}

/// Handles a button press or a modal submission: `None` when it is not one
/// of ours. A failure comes back as the error, for the transport to tell the
/// person in the way the interaction allows. Its transaction runs on the
/// writer, to its end whatever happens to the request.
pub async fn on_interaction(
    app: &App,
    interaction: Interaction,
) -> Result<Option<Answer>, AppError> {
    let team = app.team.clone();
    // Who is asking (names, admin flags) and the channels a form names,
    // learned before the transaction so it never waits on Slack.
    match &interaction {
        Interaction::Buttons(presses) => {
            if let Some(press) = presses.first() {
                team.workspace.look_up(actor(&team, &press.user), &[]).await;
            }
        }
        Interaction::Form(form) => {
            let people: Vec<_> = actor(&team, &form.user)
                .iter()
                .chain(&form.people)
                .take(MAX_LOOKUPS)
                .cloned()
                .collect();
            let channels: Vec<_> = form.channels.iter().take(MAX_LOOKUPS).cloned().collect();
            team.workspace.look_up(&people, &channels).await;
        }
    }
    let answer = app
        .team
        .writer
        .transaction(move |tx| {
            Box::pin(async move {
                match &interaction {
                    Interaction::Buttons(presses) => {
                        let mut answer = None;
                        for press in presses {
                            answer = registry::button(&team, tx, press).await?;
                        }
                        Ok(answer)
                    }
                    Interaction::Form(form) => registry::form(&team, tx, form).await,
                }
            })
        })
        .await;
    setup_applies(app).await;
    answer
}
