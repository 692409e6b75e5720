//! What the features can reach of the running app: the team's settings, the
//! business clock, the database (read-only, and the writer every write goes
//! through), the outbox's waiting markers and what the workspace told us about itself. The
//! transport and the HTTP limits stay in [`crate::state`], out of the
//! features' sight.

use std::sync::Arc;

use crate::{
    clock::SharedClock,
    config::Settings,
    domain::{ids::UserId, workspace::Workspace},
    outbox::waiting::Waiting,
    storage::{Db, Writer, health::WriteHealth, kudos::DailyCounts},
};

pub struct Team {
    /// Read-only: a write there fails. Writes go through `writer`.
    pub db: Db,
    /// The one connection that writes ([`crate::storage::writer`]).
    pub writer: Writer,
    /// The environment and needful.toml as read at start. The team's setup
    /// is [`Team::setup`]'s, which changes while needful runs.
    pub settings: Settings,
    pub setup: super::setup::Setup,
    pub clock: SharedClock,
    /// The outbox's markers known to be waiting: a kudos whose App Home
    /// refresh or celebration is already queued adds none.
    pub waiting: Arc<Waiting>,
    pub workspace: Arc<dyn Workspace>,
    /// Whether writes are getting through, for `/healthz`.
    pub writes: Arc<WriteHealth>,
    /// Each giver's kudos in their day, kept by the writer's reaction batches.
    pub kudos_today: DailyCounts,
}

impl Team {
    /// The team's setup now (pods, people, channels, kudos, the trophy).
    pub fn setup(&self) -> std::sync::Arc<crate::config::TeamConfig> {
        self.setup.get()
    }

    /// needful's own user id, once it knows its installation.
    pub fn bot_user(&self) -> Option<UserId> {
        self.workspace.bot_user()
    }

    /// A link to message `ts` in `channel`, once the workspace's address is known.
    pub fn message_link(&self, channel: &str, ts: &str) -> Option<String> {
        self.workspace.message_link(channel, ts)
    }
}
