//! What the features know of the workspace needful is installed in.

use super::ids::UserId;

/// What features learn about the workspace needful is installed in. The
/// transport keeps it current (it learns it from Slack's `auth.test`).
pub trait Workspace: Send + Sync {
    /// needful's own user id, once known.
    fn bot_user(&self) -> Option<UserId>;
    /// A link to message `ts` in `channel`, once the workspace's address is known.
    fn message_link(&self, channel: &str, ts: &str) -> Option<String>;
}
