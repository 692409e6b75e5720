//! Everything the bot says to Slack is a row before it is a message.
//!
//! Features call [`enqueue`] inside the transaction that changes state; the
//! [`worker`] delivers rows afterwards, paced, in order per conversation, and
//! retried until Slack takes them or says no for good.

mod deliver;
pub mod worker;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::storage::{self, Tx};

/// One thing to tell Slack. Blocks are Block Kit JSON (rendered by the feature).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// chat.postMessage. `key` names the message so later rows can edit it.
    Post {
        channel: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread_ts: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
    },
    /// chat.update of the message posted under `key`. When several updates of
    /// one message are waiting, only the newest is sent.
    Update {
        channel: String,
        key: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        blocks: Option<Value>,
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
}

impl Outgoing {
    /// Rows with the same order key are delivered strictly one after another.
    pub fn order_key(&self) -> String {
        match self {
            Outgoing::Post { channel, .. }
            | Outgoing::Update { channel, .. }
            | Outgoing::Delete { channel, .. } => format!("channel:{channel}"),
            Outgoing::Ephemeral { user, .. } => format!("ephemeral:{user}"),
            Outgoing::DirectMessage { user, .. } => format!("dm:{user}"),
            Outgoing::React { channel, .. } => format!("reactions:{channel}"),
            Outgoing::PublishHome { user, .. } => format!("home:{user}"),
        }
    }

    /// The Slack method this row is mainly delivered with (for limits and metrics).
    pub fn method(&self) -> &'static str {
        match self {
            Outgoing::Post { .. } | Outgoing::DirectMessage { .. } => "chat.postMessage",
            Outgoing::Update { .. } => "chat.update",
            Outgoing::Delete { .. } => "chat.delete",
            Outgoing::Ephemeral { .. } => "chat.postEphemeral",
            Outgoing::React { .. } => "reactions.add",
            Outgoing::PublishHome { .. } => "views.publish",
        }
    }

    /// The message a row names or edits, if any.
    fn message_key(&self) -> Option<String> {
        match self {
            Outgoing::Post { key, .. } => key.clone(),
            Outgoing::Update { key, .. } | Outgoing::Delete { key, .. } => Some(key.clone()),
            Outgoing::PublishHome { user, .. } => Some(format!("home:{user}")),
            _ => None,
        }
    }
}

/// Writes `msg` to the outbox as part of `tx`. Nothing is sent until the
/// transaction commits and the worker picks the row up.
pub async fn enqueue(tx: &mut Tx<'_>, msg: &Outgoing) -> Result<i64, sqlx::Error> {
    let payload = serde_json::to_string(msg).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    storage::outbox::insert(
        tx,
        &msg.order_key(),
        msg.method(),
        &payload,
        msg.message_key().as_deref(),
    )
    .await
}
