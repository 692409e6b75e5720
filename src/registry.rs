//! Every feature needful has, in one list (`features!`, below). Each feature
//! declares what it answers (slash commands, buttons, forms, events, jobs,
//! its App Home section, the messages it renders at delivery) in its
//! `impl Feature`; this list is the only place that wires them. The Slack
//! app manifest, the help list and the tests' command lists are made from
//! it, and `needful features` prints it as a table.
//!
//! Adding a feature is one module with an `impl Feature` plus one line here.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::{
    domain::{
        block_kit::Block,
        ids::UserId,
        input::{ButtonPress, FormSubmission, MessageInput, SlashCommand},
        reply::{Answer, Reply},
    },
    error::AppError,
    features::{
        Team, checkin,
        feature::{CommandSpec, EventKind, Feature},
        home, kudos, roles, setup, staffing, trophy,
    },
    outbox::{Outgoing, Rendered},
    storage::Tx,
};

/// What one feature declares, for tables, help and the manifest.
#[derive(Debug, Clone, Copy)]
pub struct Declared {
    pub name: &'static str,
    pub about: &'static str,
    pub commands: &'static [CommandSpec],
    pub buttons: &'static [&'static str],
    pub forms: &'static [&'static str],
    pub events: &'static [EventKind],
    pub jobs: &'static [&'static str],
    pub home: bool,
    pub renders: &'static [&'static str],
    pub scopes: &'static [&'static str],
}

/// Writes the registry's functions for a list of features. Each function
/// asks the features in list order; the first that claims the input answers.
macro_rules! features {
    ($($feature:ty),+ $(,)?) => {
        /// Every feature, in the order their App Home sections show and
        /// their jobs run.
        pub const FEATURES: &[Declared] = &[$(Declared {
            name: <$feature>::NAME,
            about: <$feature>::ABOUT,
            commands: <$feature>::COMMANDS,
            buttons: <$feature>::BUTTONS,
            forms: <$feature>::FORMS,
            events: <$feature>::EVENTS,
            jobs: <$feature>::JOBS,
            home: <$feature>::HOME,
            renders: <$feature>::RENDERS,
            scopes: <$feature>::SCOPES,
        }),+];

        /// Answers slash command `cmd`; `None` when no feature has it.
        pub async fn command(
            team: &Team,
            tx: &mut Tx<'_>,
            cmd: &SlashCommand,
        ) -> Result<Option<Reply>, AppError> {
            $(if <$feature>::COMMANDS.iter().any(|c| c.name == cmd.command) {
                return <$feature>::command(team, tx, cmd).await.map(Some);
            })+
            Ok(None)
        }

        /// Answers a button press; `None` when it is not one of ours.
        pub async fn button(
            team: &Team,
            tx: &mut Tx<'_>,
            press: &ButtonPress,
        ) -> Result<Option<Answer>, AppError> {
            $(if claims(<$feature>::BUTTONS, &press.action_id) {
                return <$feature>::button(team, tx, press).await;
            })+
            Ok(None)
        }

        /// Answers a modal submitted; `None` when it is not one of ours.
        pub async fn form(
            team: &Team,
            tx: &mut Tx<'_>,
            form: &FormSubmission,
        ) -> Result<Option<Answer>, AppError> {
            $(if claims(<$feature>::FORMS, &form.callback_id) {
                return <$feature>::form(team, tx, form).await;
            })+
            Ok(None)
        }

        /// A person's message, to every feature that wants messages.
        pub async fn message(
            team: &Team,
            tx: &mut Tx<'_>,
            m: &MessageInput,
        ) -> Result<(), AppError> {
            $(if <$feature>::EVENTS.contains(&EventKind::Messages) {
                <$feature>::message(team, tx, m).await?;
            })+
            Ok(())
        }

        /// Runs every feature's due jobs; the failures, by job.
        pub async fn tick(team: &Arc<Team>, now: DateTime<Utc>) -> Vec<(&'static str, anyhow::Error)> {
            let mut failed = Vec::new();
            $(if !<$feature>::JOBS.is_empty() {
                if let Err(e) = <$feature>::tick(team, now).await {
                    failed.push((<$feature>::NAME, e));
                }
            })+
            failed
        }

        /// Every feature's App Home section for `user`, in order.
        pub async fn home_sections(
            team: &Team,
            tx: &mut Tx<'_>,
            user: &UserId,
        ) -> Result<Vec<Block>, AppError> {
            let mut blocks = Vec::new();
            $(if <$feature>::HOME {
                blocks.extend(<$feature>::home(team, tx, user).await?);
            })+
            Ok(blocks)
        }

        /// Renders a marker the outbox stored (an App Home, a celebration)
        /// from the state as it is now, just before it is delivered.
        pub async fn render(team: &Arc<Team>, msg: Outgoing) -> Result<Rendered, AppError> {
            if let Outgoing::RefreshHome { user } = msg {
                let view = home_view(team, &UserId::parse(&user).map_err(anyhow::Error::from)?).await?;
                return Ok(Some((Outgoing::PublishHome { user, view }, None)));
            }
            let kind = msg.marker_kind();
            $(if kind.is_some_and(|k| <$feature>::RENDERS.contains(&k)) {
                return <$feature>::render(team, msg).await;
            })+
            Err(AppError::Internal(anyhow::anyhow!(
                "{} is not rendered at delivery",
                msg.method()
            )))
        }
    };
}

features! {
    staffing::Staffing,
    trophy::Trophy,
    kudos::Kudos,
    roles::Roles,
    checkin::Checkin,
    setup::Manage,
}

/// `user`'s App Home as of now, read in one snapshot on the read-only pool.
/// It holds no write up: a home with a long history takes milliseconds to
/// render, and when homes rendered as writes every event waited that long
/// (p99 at 1,000 events/s went from 2 to 8–11 ms with 150,000 kudos
/// recorded; see BENCHMARKS.md). A feature that fills in lazily kept state
/// while rendering (this week's roster, when the Monday job has not written
/// it yet) cannot write there; the home is then rendered again as a write on
/// the writer, once a week per pod at most.
pub async fn home_view(team: &Arc<Team>, user: &UserId) -> Result<Value, AppError> {
    // Slack's admin flags decide whether the Manage section shows (when
    // NEEDFUL_ADMINS is unset). Asked here, at delivery, not while Slack
    // waits for the event's acknowledgement.
    if team.settings.env.admins.is_empty() {
        team.workspace
            .look_up(std::slice::from_ref(user), &[])
            .await;
    }
    let read = async {
        let mut tx = crate::storage::Tx::read(&team.db, team.clock.now()).await?;
        home_sections(team, &mut tx, user).await
    };
    let sections = match read.await {
        Err(e) if wants_write(&e) => {
            let (writing, user) = (team.clone(), user.clone());
            team.writer
                .transaction(move |tx| {
                    Box::pin(async move { home_sections(&writing, tx, &user).await })
                })
                .await?
        }
        read => read?,
    };
    Ok(home::page(team, user, sections))
}

/// True for a write refused by the read-only pool.
fn wants_write(e: &AppError) -> bool {
    matches!(e, AppError::Internal(e) if e
        .downcast_ref::<sqlx::Error>()
        .is_some_and(crate::storage::is_read_only))
}

/// True when `id` starts with one of a feature's `prefixes`.
fn claims(prefixes: &[&str], id: &str) -> bool {
    prefixes.iter().any(|p| id.starts_with(p))
}

/// Every slash command, in registry order.
pub fn commands() -> impl Iterator<Item = &'static CommandSpec> {
    FEATURES.iter().flat_map(|f| f.commands)
}

/// The manifest's `bot_events`, each once, in registry order; with
/// `app_home_opened` when any feature has an App Home section.
pub fn bot_events() -> Vec<&'static str> {
    let mut events: Vec<&str> = Vec::new();
    let home = FEATURES
        .iter()
        .any(|f| f.home)
        .then_some(&EventKind::HomeOpened);
    for event in FEATURES.iter().flat_map(|f| f.events).chain(home) {
        for name in event.bot_events() {
            if !events.contains(name) {
                events.push(name);
            }
        }
    }
    events
}

/// The bot scopes: what every install needs, then each feature's own.
pub fn scopes() -> Vec<&'static str> {
    // Slash commands, posting, direct messages, and telling people from bots.
    let mut scopes = vec!["commands", "chat:write", "im:write", "users:read"];
    for scope in FEATURES.iter().flat_map(|f| f.scopes) {
        if !scopes.contains(scope) {
            scopes.push(scope);
        }
    }
    scopes
}

/// The registry as a Markdown table: the README's "Architecture" shows it,
/// and `needful features` prints it.
pub fn table() -> String {
    let list = |items: Vec<String>| match items.is_empty() {
        true => "—".to_string(),
        false => items.join(", "),
    };
    let mut out = String::from(
        "| feature | commands | buttons and forms | events | jobs | App Home |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for f in FEATURES {
        let mut ids: Vec<String> = Vec::new();
        for p in f.buttons.iter().chain(f.forms) {
            let id = format!("`{p}…`");
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            f.name,
            list(f.commands.iter().map(|c| format!("`{}`", c.name)).collect()),
            list(ids),
            list(
                f.events
                    .iter()
                    .flat_map(|e| e.bot_events())
                    .map(|e| format!("`{e}`"))
                    .collect()
            ),
            list(f.jobs.iter().map(|j| j.to_string()).collect()),
            if f.home { "yes" } else { "—" },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_command_button_and_form_has_one_owner() {
        let owners = |ids: fn(&Declared) -> &'static [&'static str]| {
            let prefixes: Vec<&str> = FEATURES.iter().flat_map(ids).copied().collect();
            for (i, a) in prefixes.iter().enumerate() {
                for b in &prefixes[i + 1..] {
                    assert!(
                        !a.starts_with(b) && !b.starts_with(a),
                        "{a} and {b} would claim the same ids"
                    );
                }
            }
        };
        owners(|f| f.buttons);
        owners(|f| f.forms);
        let names: Vec<&str> = commands().map(|c| c.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len(), "{names:?}");
        for c in commands() {
            assert!(c.name.starts_with('/') && !c.help.is_empty(), "{c:?}");
        }
    }

    #[test]
    fn the_readme_shows_the_registry_as_it_is() {
        let readme = include_str!("../README.md");
        assert!(
            readme.contains(&table()),
            "README.md's Architecture table is out of date; paste in the output of `needful features`:\n{}",
            table()
        );
    }

    #[test]
    fn every_declared_marker_is_one_the_outbox_stores() {
        let of = crate::outbox::MessageRef {
            channel: "C0SUPPORT1".into(),
            ts: "1.000100".into(),
        };
        let markers = [
            Outgoing::RefreshHome {
                user: "U0ALICE001".into(),
            },
            Outgoing::RefreshCelebration {
                channel: "C0HUMBLEBR".into(),
                of: of.clone(),
                giver: "U0ALICE001".into(),
            },
            Outgoing::CelebrationRoundup {
                channel: "C0HUMBLEBR".into(),
                of: vec![of],
            },
        ];
        let mut kinds = Vec::new();
        for marker in &markers {
            let stored = serde_json::to_value(marker).unwrap();
            let kind = marker.marker_kind().unwrap();
            assert_eq!(stored["kind"], kind);
            kinds.push(kind);
        }
        // Each kind is rendered by exactly one owner: home by the registry,
        // the rest by the feature that declares it.
        for kind in &kinds[1..] {
            let owners = FEATURES.iter().filter(|f| f.renders.contains(kind)).count();
            assert_eq!(owners, 1, "{kind} needs exactly one renderer");
        }
        for f in FEATURES {
            for kind in f.renders {
                assert!(kinds.contains(kind), "{} renders unknown {kind}", f.name);
            }
        }
    }
}
