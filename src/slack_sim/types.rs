//! Public data types of the simulator: configuration, workspace records, recorded calls and faults.

use std::time::{Duration, Instant};

use serde_json::Value;

/// Credentials the simulator expects from the bot (and signs outgoing requests with).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    pub bot_token: String,
    pub app_token: String,
    pub signing_secret: String,
    /// The Enterprise Grid org the workspace belongs to, if any (`auth.test` reports it).
    pub enterprise_id: Option<String>,
    /// Installed org-wide (`auth.test`'s `is_enterprise_install`).
    pub is_enterprise_install: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bot_token: "xoxb-test-token".to_string(),
            app_token: "xapp-test-token".to_string(),
            signing_secret: "test-signing-secret".to_string(),
            enterprise_id: None,
            is_enterprise_install: false,
        }
    }
}

/// A workspace member as `users.info` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUser {
    pub id: String,
    pub name: String,
    pub real_name: String,
    pub is_bot: bool,
    /// IANA zone name, e.g. `Europe/Berlin`.
    pub tz: String,
    pub deleted: bool,
    /// A workspace admin (`is_admin` in users.info).
    pub is_admin: bool,
    /// A workspace owner (`is_owner` in users.info).
    pub is_owner: bool,
}

impl SimUser {
    /// A live human in `Europe/Berlin`, the seeded workspace's zone.
    pub fn human(id: &str, name: &str, real_name: &str) -> SimUser {
        SimUser {
            id: id.to_string(),
            name: name.to_string(),
            real_name: real_name.to_string(),
            is_bot: false,
            tz: "Europe/Berlin".to_string(),
            deleted: false,
            is_admin: false,
            is_owner: false,
        }
    }

    /// The same person as a workspace admin.
    pub fn admin(self) -> SimUser {
        SimUser {
            is_admin: true,
            ..self
        }
    }

    /// The same person as a workspace owner.
    pub fn owner(self) -> SimUser {
        SimUser {
            is_owner: true,
            ..self
        }
    }
}

/// One Web API request as the simulator saw it.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Query, form and JSON arguments merged into one object (the `token` argument is dropped).
    /// JSON-string fields such as `blocks` or `view` sent form-encoded are parsed to JSON.
    pub params: Value,
    pub ok: bool,
    /// HTTP status sent back; 0 while the answer is still pending (a `Slow` or `Hang` fault).
    pub status: u16,
    pub error: Option<String>,
    pub response: Value,
    /// Arrival time.
    pub at: Instant,
    /// `params.channel` when it is a string.
    pub channel: Option<String>,
}

/// A message in the simulator's per-channel store (bot posts and `post_as_user` messages).
#[derive(Debug, Clone, PartialEq)]
pub struct SimMessage {
    pub channel: String,
    pub ts: String,
    pub text: Option<String>,
    pub blocks: Option<Value>,
    pub thread_ts: Option<String>,
    pub user: String,
    /// Number of successful `chat.update` calls on this message.
    pub edits: u32,
    pub deleted: bool,
    /// Reaction names the bot added with `reactions.add`, in order.
    pub reactions: Vec<String>,
}

/// A queued fault. Rules are checked in the order they were added; the first one that matches a
/// call and still has uses left decides that call's fate.
#[derive(Debug, Clone, PartialEq)]
pub struct FailRule {
    /// `None` matches every Web API method.
    pub method: Option<String>,
    /// How many calls the rule affects; `None` = until `clear_faults`.
    pub times: Option<usize>,
    pub failure: Failure,
}

impl FailRule {
    /// Fail the next `times` calls to `method`.
    pub fn once(method: &str, failure: Failure) -> FailRule {
        FailRule::times(method, 1, failure)
    }

    pub fn times(method: &str, times: usize, failure: Failure) -> FailRule {
        FailRule {
            method: Some(method.to_string()),
            times: Some(times),
            failure,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429 with `Retry-After` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited { retry_after_secs: u64 },
    /// A bare HTTP status (e.g. 500, 503) with a short plain-text body.
    Status(u16),
    /// HTTP 200 `{"ok":false,"error":"<name>"}`.
    SlackError(String),
    /// The call takes effect at once, but the answer is held back this long (a late answer, the
    /// case where a client times out although Slack did the work).
    Slow(Duration),
    /// The call never takes effect and is never answered (held until shutdown).
    Hang,
}

/// Errors from the Socket Mode helpers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("no Socket Mode connection is open")]
    NoSocket,
    #[error("no ack for envelope {envelope_id} within {waited:?}")]
    AckTimeout {
        envelope_id: String,
        waited: Duration,
    },
    #[error("the Socket Mode connection closed before envelope {envelope_id} was acked")]
    ConnectionClosed { envelope_id: String },
}
