//! What a feature declares and answers. Each feature implements [`Feature`]
//! once, in its own module; [`crate::registry`] lists them, and that list is
//! the only place that wires commands, buttons, forms, events, jobs, App
//! Home sections and delivery-time renderers to the features.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    domain::{
        block_kit::Block,
        ids::UserId,
        input::{ButtonPress, FormSubmission, MessageInput, SlashCommand},
        reply::{Answer, Reply},
    },
    error::AppError,
    outbox::{Outgoing, Rendered},
    storage::Tx,
};

use super::Team;

/// A slash command, as the manifest and the help list show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandSpec {
    /// With its slash: `/kudos`.
    pub name: &'static str,
    /// The manifest's usage hint.
    pub usage: &'static str,
    /// One line for help lists and the manifest's description.
    pub help: &'static str,
}

/// The Events API events a feature wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `reaction_added` and `reaction_removed`, applied in batches on the
    /// writer's direct handle ([`crate::features::kudos::apply_reactions`]).
    Reactions,
    /// `message.channels`: people's messages in channels needful is in.
    Messages,
    /// `app_home_opened` (wanted when any feature has an App Home section).
    HomeOpened,
    /// `user_change`: to notice people deactivated.
    UserChanges,
}

impl EventKind {
    /// The manifest's `bot_events` for this kind.
    pub fn bot_events(self) -> &'static [&'static str] {
        match self {
            EventKind::Reactions => &["reaction_added", "reaction_removed"],
            EventKind::Messages => &["message.channels"],
            EventKind::HomeOpened => &["app_home_opened"],
            EventKind::UserChanges => &["user_change"],
        }
    }
}

/// One capability of needful. Every constant and method has a default, so a
/// feature states only what it has.
pub(crate) trait Feature {
    /// Its name in the registry's table and in logs.
    const NAME: &'static str;
    /// One line on what it does for the team (the manifest lists them).
    const ABOUT: &'static str;
    const COMMANDS: &'static [CommandSpec] = &[];
    /// Prefixes of the button `action_id`s it answers.
    const BUTTONS: &'static [&'static str] = &[];
    /// Prefixes of the modal `callback_id`s it answers.
    const FORMS: &'static [&'static str] = &[];
    const EVENTS: &'static [EventKind] = &[];
    /// The scheduled jobs its [`Feature::tick`] runs, by name.
    const JOBS: &'static [&'static str] = &[];
    /// Whether it has a section in the App Home.
    const HOME: bool = false;
    /// The outbox markers it renders at delivery (by `kind`).
    const RENDERS: &'static [&'static str] = &[];
    /// Bot scopes its work needs beyond posting messages.
    const SCOPES: &'static [&'static str] = &[];

    async fn command(
        _team: &Team,
        _tx: &mut Tx<'_>,
        cmd: &SlashCommand,
    ) -> Result<Reply, AppError> {
        Err(AppError::Internal(anyhow::anyhow!(
            "{} declares {} but does not answer it",
            Self::NAME,
            cmd.command
        )))
    }

    /// `None` when the button is not one it knows.
    async fn button(
        _team: &Team,
        _tx: &mut Tx<'_>,
        _press: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        Ok(None)
    }

    /// `None` when the form is not one it knows.
    async fn form(
        _team: &Team,
        _tx: &mut Tx<'_>,
        _form: &FormSubmission,
    ) -> Result<Option<Answer>, AppError> {
        Ok(None)
    }

    async fn message(_team: &Team, _tx: &mut Tx<'_>, _m: &MessageInput) -> Result<(), AppError> {
        Ok(())
    }

    /// Runs its jobs that are due at `now`. Each job claims its run in the
    /// database, so running twice does it once. A job's transaction runs on
    /// the writer ([`Team::writer`]), which needs the team for as long as
    /// the job runs: hence the `Arc`.
    async fn tick(_team: &Arc<Team>, _now: DateTime<Utc>) -> anyhow::Result<()> {
        Ok(())
    }

    /// Its App Home section for `user`.
    async fn home(_team: &Team, _tx: &mut Tx<'_>, _user: &UserId) -> Result<Vec<Block>, AppError> {
        Ok(Vec::new())
    }

    /// Renders a marker it declared in [`Feature::RENDERS`].
    async fn render(_team: &Team, msg: Outgoing) -> Result<Rendered, AppError> {
        Err(AppError::Internal(anyhow::anyhow!(
            "{} cannot render {}",
            Self::NAME,
            msg.method()
        )))
    }
}
