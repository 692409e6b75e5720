//! What the features know of the workspace needful is installed in.

use futures::future::BoxFuture;

use super::ids::{ChannelId, UserId};

/// A person as Slack describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The name people see: the display name, else the real name.
    pub name: String,
    /// A workspace admin or owner.
    pub admin: bool,
    /// Deactivated in Slack.
    pub deleted: bool,
    pub bot: bool,
}

/// Whether needful can work in a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelAccess {
    /// needful is a member.
    Member,
    /// needful must be invited first; the channel's name.
    NotMember(String),
    /// The channel's name.
    Archived(String),
    /// Slack does not know it (deleted, or private and needful not in it).
    NotFound,
}

/// What features learn about the workspace needful is installed in. The
/// transport keeps it current (it learns it from Slack's `auth.test`, and
/// people and channels from `users.info` and `conversations.info`).
///
/// Lookups happen before a request's transaction ([`Workspace::look_up`]),
/// so no transaction waits on Slack; inside it, features read what was
/// found.
pub trait Workspace: Send + Sync {
    /// needful's own user id, once known.
    fn bot_user(&self) -> Option<UserId>;
    /// A link to message `ts` in `channel`, once the workspace's address is known.
    fn message_link(&self, channel: &str, ts: &str) -> Option<String>;
    /// Asks Slack about `people` not known or known for a while, and about
    /// every one of `channels` (membership changes as people invite needful).
    /// Bounded in time; what could not be learned stays unknown.
    fn look_up<'a>(&'a self, people: &'a [UserId], channels: &'a [ChannelId]) -> BoxFuture<'a, ()>;
    /// What was last learned of `user`.
    fn person(&self, user: &UserId) -> Option<Person>;
    /// What was last learned of `channel`.
    fn channel(&self, channel: &ChannelId) -> Option<ChannelAccess>;
}

/// Names for a batch of people, for the exports (run from the command line,
/// away from the running bot): Slack's `users.info`, or nothing when no
/// token is set. What could not be learned is left out.
pub trait NameSource: Send + Sync {
    fn names<'a>(
        &'a self,
        ids: &'a [String],
    ) -> BoxFuture<'a, std::collections::HashMap<String, String>>;
}

/// No names: the exports carry ids alone.
pub struct NoNames;

impl NameSource for NoNames {
    fn names<'a>(
        &'a self,
        _ids: &'a [String],
    ) -> BoxFuture<'a, std::collections::HashMap<String, String>> {
        Box::pin(async { std::collections::HashMap::new() })
    }
}
