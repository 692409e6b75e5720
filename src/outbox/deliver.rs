//! One outbox row to one (or two) Slack Web API calls ([`crate::slack::web_api`]),
//! with the database lookups around them, and what came of it.

use std::time::Duration;

use super::Outgoing;
use crate::slack::{client::SlackApi, web_api};
use crate::storage::{self, Db, Writer};

pub use web_api::{Outcome, is_access_refusal};

/// [`web_api`]'s answer, or return from the delivery with its outcome.
macro_rules! call {
    ($call:expr) => {
        match $call.await {
            Ok(answer) => answer,
            Err(outcome) => return outcome,
        }
    };
}

/// Sends one message, reading from `db` and writing through `writer`.
/// Database trouble on the way is transient.
pub(super) async fn deliver(
    api: &SlackApi,
    db: &Db,
    writer: &Writer,
    msg: &Outgoing,
    timeout: Duration,
) -> Outcome {
    match msg {
        Outgoing::Post {
            channel,
            text,
            blocks,
            thread_ts,
            key,
            link_to,
        } => {
            let (text, blocks) = call!(linked(api, text, blocks, link_to.as_ref(), timeout));
            let (channel, ts) = call!(web_api::post_message(
                api,
                channel,
                &text,
                &blocks,
                thread_ts.as_deref(),
                timeout
            ));
            Outcome::Sent {
                posted: key.as_ref().map(|k| (k.clone(), channel, ts)),
            }
        }
        Outgoing::Update {
            key,
            text,
            blocks,
            link_to,
            ..
        } => {
            let (channel, ts) = call!(lookup(db, key));
            let (text, blocks) = call!(linked(api, text, blocks, link_to.as_ref(), timeout));
            call!(web_api::update_message(
                api, &channel, &ts, &text, &blocks, timeout
            ));
            Outcome::Sent { posted: None }
        }
        Outgoing::Delete { key, .. } => {
            let (channel, ts) = call!(lookup(db, key));
            call!(web_api::delete_message(api, &channel, &ts, timeout));
            // A message gone from Slack is forgotten, so a later post under
            // its key (a celebration that comes back) is posted anew.
            let forgotten = key.clone();
            if let Err(e) = writer
                .write(move |batch| storage::outbox::forget_message(batch, &forgotten))
                .await
            {
                return Outcome::Transient(format!("database: {e}"));
            }
            Outcome::Sent { posted: None }
        }
        Outgoing::Ephemeral {
            channel,
            user,
            text,
            blocks,
        } => {
            call!(web_api::post_ephemeral(
                api, channel, user, text, blocks, timeout
            ));
            Outcome::Sent { posted: None }
        }
        Outgoing::DirectMessage { user, text, blocks } => {
            let channel = match storage::outbox::dm_channel(db, user).await {
                Ok(Some(channel)) => channel,
                Ok(None) => {
                    let channel = call!(web_api::open_dm(api, user, timeout));
                    let (user, opened) = (user.clone(), channel.clone());
                    if let Err(e) = writer
                        .write(move |batch| {
                            storage::outbox::remember_dm_channel(batch, &user, &opened)
                        })
                        .await
                    {
                        return Outcome::Transient(format!("database: {e}"));
                    }
                    channel
                }
                Err(e) => return Outcome::Transient(format!("database: {e}")),
            };
            call!(web_api::post_message(
                api, &channel, text, blocks, None, timeout
            ));
            Outcome::Sent { posted: None }
        }
        Outgoing::React { channel, ts, name } => {
            call!(web_api::react(api, channel, ts, name, timeout));
            Outcome::Sent { posted: None }
        }
        Outgoing::OpenView { trigger_id, view } => {
            call!(web_api::open_view(api, trigger_id, view, timeout));
            Outcome::Sent { posted: None }
        }
        Outgoing::PushView { trigger_id, view } => {
            call!(web_api::push_view(api, trigger_id, view, timeout));
            Outcome::Sent { posted: None }
        }
        Outgoing::UpdateView { view_id, view } => {
            call!(web_api::update_view(api, view_id, view, timeout));
            Outcome::Sent { posted: None }
        }
        // Rendered by the worker before delivery.
        // (Exhaustive, not `rendered_at_delivery()`: a new marker must be
        // named here.)
        Outgoing::RefreshHome { .. }
        | Outgoing::RefreshCelebration { .. }
        | Outgoing::CelebrationRoundup { .. } => {
            Outcome::Permanent(format!("{} was not rendered", msg.method()))
        }
        Outgoing::PublishHome { user, view } => {
            call!(web_api::publish_home(api, user, view, timeout));
            Outcome::Sent { posted: None }
        }
    }
}

/// Fills in the permalink of `link_to` (if any) wherever [`super::PERMALINK`]
/// stands, and the linked message's words wherever [`super::QUOTE`] does.
async fn linked(
    api: &SlackApi,
    text: &str,
    blocks: &Option<serde_json::Value>,
    link_to: Option<&super::MessageRef>,
    timeout: Duration,
) -> Result<(String, Option<serde_json::Value>), Outcome> {
    let Some(target) = link_to else {
        return Ok((text.to_string(), blocks.clone()));
    };
    let link = web_api::permalink(api, &target.channel, &target.ts, timeout).await?;
    let wants_quote = text.contains(super::QUOTE)
        || blocks
            .as_ref()
            .is_some_and(|b| b.to_string().contains(super::QUOTE));
    let quote = if wants_quote {
        let said = web_api::message_text(api, &target.channel, &target.ts, timeout).await?;
        // Someone else's words, repeated by needful: shortened, pinging no one.
        match said.filter(|t| !t.trim().is_empty()) {
            Some(t) => crate::domain::mrkdwn::said(&t, super::QUOTE_CHARS),
            None => "…".to_string(),
        }
    } else {
        String::new()
    };
    // The quote goes inside JSON strings: escape it as one.
    let quote_json = serde_json::to_string(&quote).unwrap_or_default();
    let quote_json = quote_json.trim_matches('"');
    let blocks = match blocks {
        Some(b) => {
            let filled = b
                .to_string()
                .replace(super::PERMALINK, &link)
                .replace(super::QUOTE, quote_json);
            Some(
                serde_json::from_str(&filled)
                    .map_err(|e| Outcome::Permanent(format!("blocks: {e}")))?,
            )
        }
        None => None,
    };
    Ok((
        text.replace(super::PERMALINK, &link)
            .replace(super::QUOTE, &quote),
        blocks,
    ))
}

/// Where the message under `key` was posted.
async fn lookup(db: &Db, key: &str) -> Result<(String, String), Outcome> {
    match storage::outbox::posted_message(db, key).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(Outcome::Permanent(format!(
            "the message {key} was never posted, so it cannot be edited"
        ))),
        Err(e) => Err(Outcome::Transient(format!("database: {e}"))),
    }
}
