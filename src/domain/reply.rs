//! What the features answer, before the transport puts it in Slack's words
//! ([`crate::slack::answer`]).

use std::collections::BTreeMap;

use super::block_kit::Blocks;

/// The immediate answer to a slash command.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub text: String,
    pub blocks: Option<Blocks>,
    /// Shown to the whole channel (with the command) instead of only the caller.
    pub in_channel: bool,
}

impl Reply {
    pub fn ephemeral(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// The answer to a button press or a form submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Taken: nothing more to show in place (what follows goes through the outbox).
    Done,
    /// A form stays open with these messages under its fields (block id → message).
    FieldErrors(BTreeMap<String, String>),
    /// A form is replaced by this modal (a view's JSON, from the builder).
    Update(serde_json::Value),
}

/// What became of a request: the transports count them by this, and Slack
/// hears 200 for all but [`Handled::Failed`] events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    /// A redelivery of something already applied.
    Duplicate,
    /// Not one of ours.
    Ignored,
    Failed,
}

impl Handled {
    /// The metrics label.
    pub fn label(&self) -> &'static str {
        match self {
            Handled::Applied => "ok",
            Handled::Duplicate => "duplicate",
            Handled::Ignored => "ignored",
            Handled::Failed => "error",
        }
    }
}
