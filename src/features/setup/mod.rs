//! The team's setup: what the features read ([`live`]), and `/needful`,
//! which shows it (the pods, their people, channels and check-in) and, to
//! managers and admins, every change made to it.

mod forms;
mod join;
mod leave;
mod live;
mod manage;
mod render;
mod views;

pub use join::offer as join_offer;
pub use leave::deactivated;
pub use live::{Seeded, Setup, decode, save, seed, watch};

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::{
    domain::{block_kit::Block, ids::UserId, input::FormSubmission},
    error::AppError,
    features::{
        Answer, ButtonPress, Reply, SlashCommand, Team,
        feature::{CommandSpec, EventKind, Feature},
    },
    storage::{self, Tx},
};

/// How many changes `/needful changes` lists.
const CHANGES_SHOWN: i64 = 10;

/// `/needful`: the team's setup, in Slack.
pub struct Manage;

impl Feature for Manage {
    const NAME: &'static str = "setup";
    const ABOUT: &'static str = "*Setup*: the team's pods, their people, channels and check-in times, and who changed what.";
    const COMMANDS: &'static [CommandSpec] = &[CommandSpec {
        name: "/needful",
        usage: "[setup | pods | changes | help]",
        help: "Set up the team from Slack: pods, people, channels, check-in, roles, kudos and the trophy; see who changed what.",
    }];
    const BUTTONS: &'static [&'static str] = &["setup_"];
    const FORMS: &'static [&'static str] = &[forms::PREFIX];
    const EVENTS: &'static [EventKind] = &[EventKind::UserChanges];
    const JOBS: &'static [&'static str] = &["deactivated sweep"];
    const HOME: bool = true;
    /// conversations.info: whether needful is in a channel a form names.
    const SCOPES: &'static [&'static str] = &["channels:read"];

    async fn button(
        app: &Team,
        tx: &mut Tx<'_>,
        press: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        match press.action_id.as_str() {
            join::ASK => join::ask(app, tx, press).await.map(Some),
            join::APPROVE => join::approve(tx, press).await.map(Some),
            views::OPEN => manage::open(app, tx, press).await.map(Some),
            views::REMOVE => manage::remove(app, tx, press).await.map(Some),
            _ => Ok(None),
        }
    }

    async fn tick(app: &Arc<Team>, now: DateTime<Utc>) -> anyhow::Result<()> {
        leave::sweep(app, now).await
    }

    async fn form(
        app: &Team,
        tx: &mut Tx<'_>,
        form: &FormSubmission,
    ) -> Result<Option<Answer>, AppError> {
        manage::submit(app, tx, form).await
    }

    async fn home(app: &Team, _tx: &mut Tx<'_>, user: &UserId) -> Result<Vec<Block>, AppError> {
        Ok(manage::home(app, user))
    }

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let setup = app.setup();
        match inv.text.trim().to_lowercase().as_str() {
            "" | "help" => Ok(Reply::ephemeral(render::help())),
            "setup" | "manage" => manage::command(app, tx, inv).await,
            "pods" => Ok(Reply::ephemeral(render::pods(&setup.pods))),
            "changes" => {
                if !may_see_changes(app, &inv.user) {
                    return Err(AppError::User(render::changes_refused(&setup.pods)));
                }
                let changes = storage::setup::changes(tx, CHANGES_SHOWN).await?;
                Ok(Reply::ephemeral(render::changes(&changes)))
            }
            other => Err(AppError::User(render::unknown(other))),
        }
    }
}

/// Managers of any pod, and admins.
fn may_see_changes(app: &Team, user: &UserId) -> bool {
    manage::is_admin(app, user) || app.setup().pods.iter().any(|p| p.managers.contains(user))
}
