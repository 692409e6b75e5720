//! The team's setup: what the features read ([`live`]), and `/needful`,
//! which shows it (the pods, their people, channels and check-in) and, to
//! managers and admins, every change made to it.

mod join;
mod leave;
mod live;
mod render;

pub use join::offer as join_offer;
pub use leave::deactivated;
pub use live::{Seeded, Setup, decode, save, seed, watch};

use crate::{
    domain::ids::UserId,
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
        usage: "[pods | changes | help]",
        help: "See the team's setup: the pods with their people, channels and check-in, and who changed it.",
    }];
    const BUTTONS: &'static [&'static str] = &["setup_"];
    const EVENTS: &'static [EventKind] = &[EventKind::UserChanges];

    async fn button(
        app: &Team,
        tx: &mut Tx<'_>,
        press: &ButtonPress,
    ) -> Result<Option<Answer>, AppError> {
        match press.action_id.as_str() {
            join::ASK => join::ask(app, tx, press).await.map(Some),
            join::APPROVE => join::approve(app, tx, press).await.map(Some),
            _ => Ok(None),
        }
    }

    async fn command(app: &Team, tx: &mut Tx<'_>, inv: &SlashCommand) -> Result<Reply, AppError> {
        let setup = app.setup();
        match inv.text.trim().to_lowercase().as_str() {
            "" | "help" => Ok(Reply::ephemeral(render::help())),
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

/// Managers of any pod, and the admins `NEEDFUL_ADMINS` names.
fn may_see_changes(app: &Team, user: &UserId) -> bool {
    app.settings.env.admins.contains(user)
        || app.setup().pods.iter().any(|p| p.managers.contains(user))
}
