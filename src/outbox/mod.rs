//! Everything the bot says to Slack is a row before it is a message.
//!
//! Features call [`enqueue`] inside the transaction that changes state; the
//! [`worker`] delivers rows afterwards, paced, in order per conversation, and
//! retried until Slack takes them or says no for good.

mod deliver;
pub mod waiting;
pub mod worker;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::storage::{self, Tx};

/// How every App Home's order key (and message key) starts.
pub(crate) const HOME_KEYS: &str = "home:";

/// One thing to tell Slack. Blocks are Block Kit JSON (rendered by the feature).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// chat.postMessage. `key` names the message so later rows can edit it.
    /// With `link_to`, the message's permalink (chat.getPermalink) replaces
    /// every [`PERMALINK`] in the text and blocks just before sending.
    Post {
        channel: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_ts: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_to: Option<MessageRef>,
    },
    /// chat.update of the message posted under `key`. When several updates of
    /// one message are waiting, only the newest is sent.
    Update {
        channel: String,
        key: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        link_to: Option<MessageRef>,
    },
    /// chat.delete of the message posted under `key`.
    Delete { channel: String, key: String },
    /// chat.postEphemeral: seen only by `user`.
    Ephemeral {
        channel: String,
        user: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
    },
    /// conversations.open (once per person, cached) then chat.postMessage.
    DirectMessage {
        user: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
    },
    /// reactions.add
    React {
        channel: String,
        ts: String,
        name: String,
    },
    /// views.publish of a user's App Home. Only the newest waiting one is sent.
    PublishHome { user: String, view: Value },
    /// views.publish of a user's App Home, rendered from the database when it
    /// is delivered (so the hot path only writes this marker, and a burst of
    /// changes publishes the newest state once).
    RefreshHome { user: String },
    /// views.open of a modal. Slack's trigger_id lives 3 s, so the worker is
    /// woken as soon as the row commits.
    OpenView { trigger_id: String, view: Value },
    /// views.push of a modal on top of the open one the trigger came from.
    PushView { trigger_id: String, view: Value },
    /// views.update of an open modal.
    UpdateView { view_id: String, view: Value },
    /// The one celebration in `channel` of the kudos standing on message
    /// `of`, rendered from the database when it is delivered: posted, edited
    /// to the new count, or deleted once none stand. `giver` (whose kudos
    /// wrote this row) hears if Slack refuses it. One waiting per message
    /// is enough, so a flood of kudos on a message writes one row.
    RefreshCelebration {
        channel: String,
        of: MessageRef,
        giver: String,
    },
    /// Several waiting celebrations in `channel`, merged by the worker into
    /// one post when the channel's queue is long (see
    /// [`worker`]'s backlog policy); rendered at delivery like them.
    CelebrationRoundup {
        channel: String,
        of: Vec<MessageRef>,
    },
}

impl Outgoing {
    /// A modal for the person behind `trigger_id`: on top of the modal they
    /// pressed a button in (`on_top`), else opened alone.
    pub fn modal(trigger_id: &str, view: Value, on_top: bool) -> Self {
        let trigger_id = trigger_id.to_string();
        if on_top {
            Outgoing::PushView { trigger_id, view }
        } else {
            Outgoing::OpenView { trigger_id, view }
        }
    }
}

/// How every channel's order key starts (see [`Outgoing::order_key`]).
pub(crate) const CHANNEL_KEYS: &str = "channel:";

/// How every celebration's render key starts (see [`celebration_key`]).
pub(crate) const CELEBRATION_KEYS: &str = "kudos:";

/// The key a message's celebration is posted under (see [`Outgoing::Post`]).
pub fn celebration_key(of: &MessageRef) -> String {
    format!("{CELEBRATION_KEYS}{}:{}", of.channel, of.ts)
}

/// The placeholder a [`Outgoing::Post`] or [`Outgoing::Update`] with `link_to`
/// gets its permalink in.
pub const PERMALINK: &str = "{permalink}";

/// The placeholder that gets the linked message's text (trimmed), read with
/// conversations.history at delivery. Unknown text becomes an ellipsis.
pub const QUOTE: &str = "{quote}";

/// How much of a quoted message is shown.
pub const QUOTE_CHARS: usize = 200;

/// A message in a channel, by channel id and ts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageRef {
    pub channel: String,
    pub ts: String,
}

/// What is stored: the message, and what to say instead if Slack refuses it
/// for good (e.g. tell the person who caused it how to invite the bot).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Stored {
    #[serde(flatten)]
    pub message: Outgoing,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_refusal: Option<Box<Outgoing>>,
}

impl Outgoing {
    /// A plain post in `channel`: not threaded, not named for later edits.
    pub fn post(channel: impl ToString, text: String, blocks: Option<Value>) -> Self {
        Outgoing::Post {
            channel: channel.to_string(),
            text,
            blocks,
            thread_ts: None,
            key: None,
            link_to: None,
        }
    }

    /// A post named `key`, so later rows can edit or delete it.
    pub fn keyed_post(
        channel: impl ToString,
        text: String,
        blocks: Option<Value>,
        key: impl ToString,
    ) -> Self {
        Outgoing::Post {
            channel: channel.to_string(),
            text,
            blocks,
            thread_ts: None,
            key: Some(key.to_string()),
            link_to: None,
        }
    }

    /// Rows with the same order key are delivered strictly one after another.
    /// (Every App Home's key starts with [`HOME_KEYS`].)
    pub fn order_key(&self) -> String {
        match self {
            Outgoing::Post { channel, .. }
            | Outgoing::Update { channel, .. }
            | Outgoing::Delete { channel, .. }
            | Outgoing::RefreshCelebration { channel, .. }
            | Outgoing::CelebrationRoundup { channel, .. } => format!("{CHANNEL_KEYS}{channel}"),
            Outgoing::Ephemeral { user, .. } => format!("ephemeral:{user}"),
            Outgoing::DirectMessage { user, .. } => format!("dm:{user}"),
            Outgoing::React { channel, .. } => format!("reactions:{channel}"),
            Outgoing::PublishHome { user, .. } | Outgoing::RefreshHome { user } => {
                format!("{HOME_KEYS}{user}")
            }
            Outgoing::OpenView { trigger_id, .. } | Outgoing::PushView { trigger_id, .. } => {
                format!("view:{trigger_id}")
            }
            Outgoing::UpdateView { view_id, .. } => format!("view:{view_id}"),
        }
    }

    /// The Slack method this row is mainly delivered with (for limits and metrics).
    pub fn method(&self) -> &'static str {
        match self {
            Outgoing::Post { .. }
            | Outgoing::DirectMessage { .. }
            | Outgoing::CelebrationRoundup { .. } => "chat.postMessage",
            // A celebration is posted once and then edited.
            Outgoing::Update { .. } | Outgoing::RefreshCelebration { .. } => "chat.update",
            Outgoing::Delete { .. } => "chat.delete",
            Outgoing::Ephemeral { .. } => "chat.postEphemeral",
            Outgoing::React { .. } => "reactions.add",
            Outgoing::PublishHome { .. } | Outgoing::RefreshHome { .. } => "views.publish",
            Outgoing::OpenView { .. } => "views.open",
            Outgoing::PushView { .. } => "views.push",
            Outgoing::UpdateView { .. } => "views.update",
        }
    }

    /// The message a row names or edits, if any.
    fn message_key(&self) -> Option<String> {
        match self {
            Outgoing::Post { key, .. } => key.clone(),
            Outgoing::Update { key, .. } | Outgoing::Delete { key, .. } => Some(key.clone()),
            Outgoing::PublishHome { user, .. } | Outgoing::RefreshHome { user } => {
                Some(format!("{HOME_KEYS}{user}"))
            }
            Outgoing::RefreshCelebration { of, .. } => Some(celebration_key(of)),
            _ => None,
        }
    }

    /// What a message rendered at delivery renders; None for the others,
    /// which carry their content.
    pub fn render_key(&self) -> Option<String> {
        match self {
            Outgoing::RefreshHome { .. } | Outgoing::RefreshCelebration { .. } => {
                self.message_key()
            }
            _ => None,
        }
    }

    /// True for a marker the worker renders from the current state when it
    /// delivers it.
    pub fn rendered_at_delivery(&self) -> bool {
        self.marker_kind().is_some()
    }

    /// A marker's `kind` as stored (what a feature's `RENDERS` names); None
    /// for messages that carry their content.
    pub fn marker_kind(&self) -> Option<&'static str> {
        Some(match self {
            Outgoing::RefreshHome { .. } => "refresh_home",
            Outgoing::RefreshCelebration { .. } => "refresh_celebration",
            Outgoing::CelebrationRoundup { .. } => "celebration_roundup",
            _ => return None,
        })
    }
}

/// What a message rendered at delivery becomes: the message to send and
/// what to send instead if Slack refuses it; None when there is nothing to
/// say any more.
pub type Rendered = Option<(Outgoing, Option<Outgoing>)>;

/// Writes `msg` to the outbox as part of `tx`. Nothing is sent until the
/// transaction commits and the worker picks the row up.
pub async fn enqueue(tx: &mut Tx<'_>, msg: &Outgoing) -> Result<(), sqlx::Error> {
    enqueue_with_fallback(tx, msg, None).await
}

/// Like [`enqueue`]; if Slack refuses `msg` for good (`not_in_channel`,
/// `channel_not_found`, …), `on_refusal` is sent instead.
pub async fn enqueue_with_fallback(
    tx: &mut Tx<'_>,
    msg: &Outgoing,
    on_refusal: Option<Outgoing>,
) -> Result<(), sqlx::Error> {
    enqueue_many(tx, &[(msg.clone(), on_refusal)]).await
}

/// [`enqueue_with_fallback`] for many messages, in this order, with one
/// statement (a batch of events costs one round trip, not one per message).
pub async fn enqueue_many(
    tx: &mut Tx<'_>,
    messages: &[(Outgoing, Option<Outgoing>)],
) -> Result<(), sqlx::Error> {
    if messages.is_empty() {
        return Ok(());
    }
    let rows = rows(messages).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    storage::outbox::insert(tx, &rows).await
}

/// The outbox rows [`enqueue_many`] writes, for a caller that writes them
/// in a transaction of its own ([`storage::outbox::insert_on`]). App Homes
/// and celebrations render at delivery, so one waiting of each is enough:
/// later ones in the list, or while one is pending, are left out.
pub fn rows(
    messages: &[(Outgoing, Option<Outgoing>)],
) -> serde_json::Result<Vec<storage::outbox::NewRow>> {
    let mut rendered = std::collections::HashSet::new();
    messages
        .iter()
        .map(|(msg, on_refusal)| (msg, on_refusal, msg.render_key()))
        .filter(|(_, _, render_key)| {
            render_key
                .as_ref()
                .is_none_or(|k| rendered.insert(k.clone()))
        })
        .map(|(msg, on_refusal, render_key)| {
            let stored = Stored {
                message: msg.clone(),
                on_refusal: on_refusal.clone().map(Box::new),
            };
            Ok(storage::outbox::NewRow {
                order_key: msg.order_key(),
                method: msg.method(),
                payload: serde_json::to_string(&stored)?,
                message_key: msg.message_key(),
                render_key,
            })
        })
        .collect()
}
