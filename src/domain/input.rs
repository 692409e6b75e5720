//! What people do in Slack, as the features receive it: a slash command, a
//! message, a reaction, a button press, a form submission. The transport
//! ([`crate::slack::inbound`]) makes these from Slack's payloads; nothing
//! here knows Slack's wire format.

use std::collections::BTreeMap;

use super::ids::{ChannelId, UserId};

/// A slash command as the features see it.
#[derive(Debug, Clone)]
pub struct SlashCommand {
    pub user: UserId,
    pub channel: ChannelId,
    pub command: String,
    /// The command's text, trimmed; mentions still escaped (`<@U…|name>`).
    pub text: String,
    pub trigger_id: String,
}

/// A message a person wrote in a channel needful is in.
#[derive(Debug, Clone)]
pub struct MessageInput {
    pub user: UserId,
    pub channel: ChannelId,
    pub ts: String,
    /// Set on thread replies: the parent message's ts.
    pub thread_ts: Option<String>,
    /// The text with Slack's `&amp;`/`&lt;`/`&gt;` escapes undone.
    pub text: String,
}

/// A button press.
#[derive(Debug, Clone)]
pub struct ButtonPress {
    pub user: UserId,
    /// Where the button's message is (absent for buttons in App Home).
    pub channel: Option<ChannelId>,
    pub message_ts: Option<String>,
    pub action_id: String,
    pub value: String,
    pub trigger_id: String,
    /// The open modal the button is in, by view id: what it opens is pushed
    /// on top of that modal instead of opened alone.
    pub modal: Option<String>,
}

/// A modal submitted.
#[derive(Debug, Clone)]
pub struct FormSubmission {
    pub user: UserId,
    pub callback_id: String,
    pub private_metadata: String,
    /// What was typed or picked, by the input's block id then its action
    /// id: one value for text, a date, a time or a single pick; each pick
    /// of a multi-select or checkboxes.
    pub values: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// Every person and channel picked in the form (looked up before it
    /// is handled).
    pub people: Vec<UserId>,
    pub channels: Vec<ChannelId>,
    /// The modal under this one, when it was pushed on top of another.
    pub previous_view: Option<String>,
}

/// A reaction added or removed, as Slack reported it (the names are Slack's ids).
#[derive(Debug, Clone)]
pub struct ReactionInput {
    pub added: bool,
    pub reactor: String,
    pub reaction: String,
    pub author: Option<String>,
    /// (channel, ts) of the message; None for files.
    pub message: Option<(String, String)>,
    /// When Slack says it happened: orders an add and its removal that arrive
    /// out of order.
    pub event_ts: String,
}

/// An Events API delivery needful acts on, by kind.
#[derive(Debug, Clone)]
pub enum Event {
    Reaction(ReactionInput),
    /// A person's message (thread replies to check-in prompts are check-ins).
    Message(MessageInput),
    /// A bot posted: remember it is one, so no one thanks it.
    BotPosted(UserId),
    /// Someone opened needful's App Home tab.
    HomeOpened(UserId),
    /// Slack reports someone deactivated (`user_change` with `deleted`).
    UserDeactivated(UserId),
}

impl Event {
    /// The kind recorded with the delivery's event id.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Reaction(r) if r.added => "reaction_added",
            Event::Reaction(_) => "reaction_removed",
            Event::Message(_) => "message",
            Event::BotPosted(_) => "bot_message",
            Event::HomeOpened(_) => "app_home_opened",
            Event::UserDeactivated(_) => "user_change",
        }
    }
}

/// A button press or a form submission.
#[derive(Debug, Clone)]
pub enum Interaction {
    /// One or more buttons (Slack sends a list; in practice one).
    Buttons(Vec<ButtonPress>),
    Form(FormSubmission),
}

impl FormSubmission {
    /// The value of the input `action` in block `block`, if given.
    pub fn value(&self, block: &str, action: &str) -> Option<&str> {
        self.picks(block, action).first().map(String::as_str)
    }

    /// Every pick of the input `action` in block `block` (none if not given).
    pub fn picks(&self, block: &str, action: &str) -> &[String] {
        self.values
            .get(block)
            .and_then(|b| b.get(action))
            .map_or(&[], Vec::as_slice)
    }
}

/// One Events API delivery needful acts on: Slack's id for it (its
/// redeliveries carry the same) and what it means.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event: Event,
}
