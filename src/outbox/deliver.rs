//! One outbox row to one (or two) Slack Web API calls, and what came of it.

use std::time::Duration;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::Outgoing;
use crate::group_commit::Writer;
use crate::slack::client::SlackApi;
use crate::storage::{self, Db};

/// What a delivery attempt came to.
#[derive(Debug)]
pub enum Outcome {
    /// Slack took it. For a keyed post: where it landed.
    Sent {
        posted: Option<(String, String, String)>,
    },
    /// Slack asked us to slow down: wait, then try again (not a failure).
    RateLimited {
        method: &'static str,
        retry_after: Duration,
    },
    /// Network trouble, a 5xx or a Slack-side hiccup: back off and try again.
    Transient(String),
    /// Slack said no for good (`channel_not_found`, `msg_too_long`, …).
    Permanent(String),
}

/// Slack error codes that mean "try again later", not "never".
const TRANSIENT_CODES: &[&str] = &[
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
    "ratelimited",
    "team_added_to_org",
];

/// Refusals that mean needful cannot reach the conversation or message: the
/// only ones a fallback ("invite me there") explains. Anything else (e.g.
/// `invalid_blocks`) is needful's own mistake, and "invite me" would mislead.
const ACCESS_CODES: &[&str] = &[
    "not_in_channel",
    "channel_not_found",
    "is_archived",
    "message_not_found",
    "restricted_action",
    "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel",
    "team_access_not_granted",
    "ekm_access_denied",
];

pub(super) fn is_access_refusal(code: &str) -> bool {
    ACCESS_CODES.contains(&code)
}

pub(super) fn classify(method: &'static str, err: SlackClientError) -> Outcome {
    match err {
        SlackClientError::RateLimitError(e) => Outcome::RateLimited {
            method,
            retry_after: e.retry_after.unwrap_or(Duration::from_secs(1)),
        },
        // A dead token: the row waits for a restart with a new one.
        SlackClientError::ApiError(e)
            if TRANSIENT_CODES.contains(&e.code.as_str())
                || crate::slack::access::is_revoking(&e.code) =>
        {
            Outcome::Transient(e.code)
        }
        SlackClientError::ApiError(e) => Outcome::Permanent(e.code),
        SlackClientError::HttpError(e) if e.status_code.is_server_error() => {
            Outcome::Transient(format!("HTTP {}", e.status_code.as_u16()))
        }
        SlackClientError::HttpError(e) if e.status_code.as_u16() == 429 => Outcome::RateLimited {
            method,
            retry_after: Duration::from_secs(1),
        },
        SlackClientError::HttpError(e) => {
            Outcome::Permanent(format!("HTTP {}", e.status_code.as_u16()))
        }
        other => Outcome::Transient(other.to_string()),
    }
}

fn content(text: &str, blocks: &Option<serde_json::Value>) -> Result<SlackMessageContent, String> {
    let mut content = SlackMessageContent::new().with_text(text.to_string());
    if let Some(blocks) = blocks {
        let blocks: Vec<SlackBlock> = serde_json::from_value(blocks.clone())
            .map_err(|e| format!("blocks do not parse as Block Kit: {e}"))?;
        content = content.with_blocks(blocks);
    }
    Ok(content)
}

/// Runs one Slack call with a deadline, counting it by method and outcome.
async fn timed<T>(
    method: &'static str,
    call: impl std::future::Future<Output = Result<T, SlackClientError>>,
    timeout: Duration,
) -> Result<T, Outcome> {
    match tokio::time::timeout(timeout, call).await {
        Err(_) => {
            record(method, "timeout");
            Err(Outcome::Transient(format!("{method} timed out")))
        }
        Ok(Err(e)) => {
            let outcome = classify(method, e);
            record(method, outcome.label());
            Err(outcome)
        }
        Ok(Ok(resp)) => {
            record(method, "ok");
            Ok(resp)
        }
    }
}

/// [`timed`], returning from the delivery with its outcome on failure.
macro_rules! call {
    ($method:literal, $fut:expr, $timeout:expr) => {
        match timed($method, $fut, $timeout).await {
            Ok(resp) => resp,
            Err(outcome) => return outcome,
        }
    };
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Sent { .. } => "ok",
            Outcome::RateLimited { .. } => "rate_limited",
            Outcome::Transient(_) => "transient_error",
            Outcome::Permanent(_) => "permanent_error",
        }
    }
}

fn record(method: &'static str, outcome: &'static str) {
    metrics::counter!("needful_slack_api_calls_total", "method" => method, "outcome" => outcome)
        .increment(1);
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
    let session = api.session();
    match msg {
        Outgoing::Post {
            channel,
            text,
            blocks,
            thread_ts,
            key,
            link_to,
        } => {
            let (text, blocks) =
                match linked(&session, text, blocks, link_to.as_ref(), timeout).await {
                    Ok(linked) => linked,
                    Err(outcome) => return outcome,
                };
            let content = match content(&text, &blocks) {
                Ok(c) => c,
                Err(e) => return Outcome::Permanent(e),
            };
            let mut req = SlackApiChatPostMessageRequest::new(channel.clone().into(), content);
            if let Some(ts) = thread_ts {
                req = req.with_thread_ts(ts.clone().into());
            }
            let resp = call!("chat.postMessage", session.chat_post_message(&req), timeout);
            Outcome::Sent {
                posted: key
                    .as_ref()
                    .map(|k| (k.clone(), resp.channel.to_string(), resp.ts.to_string())),
            }
        }
        Outgoing::Update {
            key,
            text,
            blocks,
            link_to,
            ..
        } => {
            let (channel, ts) = match lookup(db, key).await {
                Ok(found) => found,
                Err(outcome) => return outcome,
            };
            let (text, blocks) =
                match linked(&session, text, blocks, link_to.as_ref(), timeout).await {
                    Ok(linked) => linked,
                    Err(outcome) => return outcome,
                };
            let content = match content(&text, &blocks) {
                Ok(c) => c,
                Err(e) => return Outcome::Permanent(e),
            };
            let req = SlackApiChatUpdateRequest::new(channel.into(), content, ts.into());
            call!("chat.update", session.chat_update(&req), timeout);
            Outcome::Sent { posted: None }
        }
        Outgoing::Delete { key, .. } => {
            let (channel, ts) = match lookup(db, key).await {
                Ok(found) => found,
                Err(outcome) => return outcome,
            };
            let req = SlackApiChatDeleteRequest::new(channel.into(), ts.into());
            call!("chat.delete", session.chat_delete(&req), timeout);
            // A message gone from Slack is forgotten, so a later post under
            // its key (a celebration that comes back) is posted anew.
            let forgotten = key.clone();
            if let Err(e) = writer
                .write(move |db| storage::outbox::forget_message(db, &forgotten))
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
            let content = match content(text, blocks) {
                Ok(c) => c,
                Err(e) => return Outcome::Permanent(e),
            };
            let req = SlackApiChatPostEphemeralRequest::new(
                channel.clone().into(),
                user.clone().into(),
                content,
            );
            call!(
                "chat.postEphemeral",
                session.chat_post_ephemeral(&req),
                timeout
            );
            Outcome::Sent { posted: None }
        }
        Outgoing::DirectMessage { user, text, blocks } => {
            let content = match content(text, blocks) {
                Ok(c) => c,
                Err(e) => return Outcome::Permanent(e),
            };
            let channel = match storage::outbox::dm_channel(db, user).await {
                Ok(Some(channel)) => channel,
                Ok(None) => {
                    let req = SlackApiConversationsOpenRequest::new()
                        .with_users(vec![user.clone().into()]);
                    let resp = call!(
                        "conversations.open",
                        session.conversations_open(&req),
                        timeout
                    );
                    let channel = resp.channel.id.to_string();
                    let (user, opened) = (user.clone(), channel.clone());
                    if let Err(e) = writer
                        .write(move |db| storage::outbox::remember_dm_channel(db, &user, &opened))
                        .await
                    {
                        return Outcome::Transient(format!("database: {e}"));
                    }
                    channel
                }
                Err(e) => return Outcome::Transient(format!("database: {e}")),
            };
            let req = SlackApiChatPostMessageRequest::new(channel.into(), content);
            call!("chat.postMessage", session.chat_post_message(&req), timeout);
            Outcome::Sent { posted: None }
        }
        Outgoing::React { channel, ts, name } => {
            let req = SlackApiReactionsAddRequest::new(
                channel.clone().into(),
                name.clone().into(),
                ts.clone().into(),
            );
            match timed("reactions.add", session.reactions_add(&req), timeout).await {
                // Someone (or an earlier attempt) already added it: that is the goal.
                Ok(_) => Outcome::Sent { posted: None },
                Err(Outcome::Permanent(code)) if code == "already_reacted" => {
                    Outcome::Sent { posted: None }
                }
                Err(outcome) => outcome,
            }
        }
        Outgoing::OpenView { trigger_id, view } => {
            let view: SlackView = match serde_json::from_value(view.clone()) {
                Ok(v) => v,
                Err(e) => return Outcome::Permanent(format!("view does not parse: {e}")),
            };
            let req = SlackApiViewsOpenRequest::new(trigger_id.clone().into(), view);
            call!("views.open", session.views_open(&req), timeout);
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
            let view: SlackView = match serde_json::from_value(view.clone()) {
                Ok(v) => v,
                Err(e) => return Outcome::Permanent(format!("view does not parse: {e}")),
            };
            let req = SlackApiViewsPublishRequest::new(user.clone().into(), view);
            call!("views.publish", session.views_publish(&req), timeout);
            Outcome::Sent { posted: None }
        }
    }
}

/// Fills in the permalink of `link_to` (if any) wherever [`PERMALINK`] stands.
async fn linked(
    session: &SlackClientSession<'_, crate::slack::client::Connector>,
    text: &str,
    blocks: &Option<serde_json::Value>,
    link_to: Option<&super::MessageRef>,
    timeout: Duration,
) -> Result<(String, Option<serde_json::Value>), Outcome> {
    let Some(target) = link_to else {
        return Ok((text.to_string(), blocks.clone()));
    };
    let req = SlackApiChatGetPermalinkRequest::new(
        target.channel.clone().into(),
        target.ts.clone().into(),
    );
    let link = timed(
        "chat.getPermalink",
        session.chat_get_permalink(&req),
        timeout,
    )
    .await?
    .permalink
    .to_string();
    let wants_quote = text.contains(super::QUOTE)
        || blocks
            .as_ref()
            .is_some_and(|b| b.to_string().contains(super::QUOTE));
    let quote = if wants_quote {
        quote_of(session, target, timeout).await?
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

/// The text of the message `target`, trimmed, or "…" when Slack has no such
/// top-level message. `not_in_channel` is a refusal: the bot cannot read there.
async fn quote_of(
    session: &SlackClientSession<'_, crate::slack::client::Connector>,
    target: &super::MessageRef,
    timeout: Duration,
) -> Result<String, Outcome> {
    let req = SlackApiConversationsHistoryRequest::new()
        .with_channel(target.channel.clone().into())
        .with_latest(target.ts.clone().into())
        .with_inclusive(true)
        .with_limit(1);
    let resp = timed(
        "conversations.history",
        session.conversations_history(&req),
        timeout,
    )
    .await?;
    let text = resp
        .messages
        .iter()
        .find(|m| m.origin.ts.to_string() == target.ts)
        .and_then(|m| m.content.text.clone())
        // Kept escaped (&amp; &lt; &gt;): it goes back into Slack mrkdwn as is.
        .filter(|t| !t.trim().is_empty());
    // Someone else's words, repeated by needful: shortened, pinging no one.
    Ok(match text {
        Some(t) => crate::domain::mrkdwn::said(&t, super::QUOTE_CHARS),
        None => "…".to_string(),
    })
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
