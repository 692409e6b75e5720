//! needful's calls to Slack's Web API, one function per call the outbox
//! makes, each with a deadline, counted by method and outcome, and its
//! error sorted into what the outbox should do next ([`Outcome`]).

use std::time::Duration;

use serde_json::Value;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use super::client::SlackApi;

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

pub fn is_access_refusal(code: &str) -> bool {
    ACCESS_CODES.contains(&code)
}

fn classify(method: &'static str, err: SlackClientError) -> Outcome {
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

/// Blocks that do not parse are needful's own mistake: Slack would refuse
/// them every time, so the row gives up with the reason.
fn content(text: &str, blocks: &Option<Value>) -> Result<SlackMessageContent, Outcome> {
    let mut content = SlackMessageContent::new().with_text(text.to_string());
    if let Some(blocks) = blocks {
        let blocks: Vec<SlackBlock> = serde_json::from_value(blocks.clone())
            .map_err(|e| Outcome::Permanent(format!("blocks do not parse as Block Kit: {e}")))?;
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

impl Outcome {
    pub fn label(&self) -> &'static str {
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

/// Where a posted message landed: (channel, ts).
pub type Posted = (String, String);

/// chat.postMessage, in a thread when `thread_ts` is given.
pub async fn post_message(
    api: &SlackApi,
    channel: &str,
    text: &str,
    blocks: &Option<Value>,
    thread_ts: Option<&str>,
    timeout: Duration,
) -> Result<Posted, Outcome> {
    let mut req = SlackApiChatPostMessageRequest::new(channel.into(), content(text, blocks)?);
    if let Some(ts) = thread_ts {
        req = req.with_thread_ts(ts.into());
    }
    let session = api.session();
    let resp = timed("chat.postMessage", session.chat_post_message(&req), timeout).await?;
    Ok((resp.channel.to_string(), resp.ts.to_string()))
}

/// chat.update of the message at `channel`/`ts`.
pub async fn update_message(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    text: &str,
    blocks: &Option<Value>,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiChatUpdateRequest::new(channel.into(), content(text, blocks)?, ts.into());
    timed("chat.update", api.session().chat_update(&req), timeout).await?;
    Ok(())
}

/// chat.delete of the message at `channel`/`ts`.
pub async fn delete_message(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiChatDeleteRequest::new(channel.into(), ts.into());
    timed("chat.delete", api.session().chat_delete(&req), timeout).await?;
    Ok(())
}

/// chat.postEphemeral: seen by `user` only.
pub async fn post_ephemeral(
    api: &SlackApi,
    channel: &str,
    user: &str,
    text: &str,
    blocks: &Option<Value>,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req =
        SlackApiChatPostEphemeralRequest::new(channel.into(), user.into(), content(text, blocks)?);
    let session = api.session();
    timed(
        "chat.postEphemeral",
        session.chat_post_ephemeral(&req),
        timeout,
    )
    .await?;
    Ok(())
}

/// conversations.open with `user`: the id of their direct-message channel.
pub async fn open_dm(api: &SlackApi, user: &str, timeout: Duration) -> Result<String, Outcome> {
    let req = SlackApiConversationsOpenRequest::new().with_users(vec![user.into()]);
    let session = api.session();
    let resp = timed(
        "conversations.open",
        session.conversations_open(&req),
        timeout,
    )
    .await?;
    Ok(resp.channel.id.to_string())
}

/// reactions.add; a reaction already there counts as added.
pub async fn react(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    name: &str,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiReactionsAddRequest::new(channel.into(), name.into(), ts.into());
    match timed("reactions.add", api.session().reactions_add(&req), timeout).await {
        // Someone (or an earlier attempt) already added it: that is the goal.
        Err(Outcome::Permanent(code)) if code == "already_reacted" => Ok(()),
        other => other.map(drop),
    }
}

/// views.open for the interaction behind `trigger_id`.
pub async fn open_view(
    api: &SlackApi,
    trigger_id: &str,
    view: &Value,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiViewsOpenRequest::new(trigger_id.into(), parse_view(view)?);
    timed("views.open", api.session().views_open(&req), timeout).await?;
    Ok(())
}

/// views.push of a modal on top of the one behind `trigger_id`.
pub async fn push_view(
    api: &SlackApi,
    trigger_id: &str,
    view: &Value,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiViewsPushRequest::new(trigger_id.into(), parse_view(view)?);
    timed("views.push", api.session().views_push(&req), timeout).await?;
    Ok(())
}

/// views.update of the open modal `view_id`.
pub async fn update_view(
    api: &SlackApi,
    view_id: &str,
    view: &Value,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiViewsUpdateRequest::new(parse_view(view)?).with_view_id(view_id.into());
    timed("views.update", api.session().views_update(&req), timeout).await?;
    Ok(())
}

/// users.info: who `user` is.
pub async fn user_info(
    api: &SlackApi,
    user: &str,
    timeout: Duration,
) -> Result<SlackUser, Outcome> {
    let req = SlackApiUsersInfoRequest::new(user.into());
    let resp = timed("users.info", api.session().users_info(&req), timeout).await?;
    Ok(resp.user)
}

/// conversations.info: a channel's name, and whether needful is in it.
pub async fn channel_info(
    api: &SlackApi,
    channel: &str,
    timeout: Duration,
) -> Result<SlackChannelInfo, Outcome> {
    let req = SlackApiConversationsInfoRequest::new(channel.into());
    let resp = timed(
        "conversations.info",
        api.session().conversations_info(&req),
        timeout,
    )
    .await?;
    Ok(resp.channel)
}

/// views.publish of `user`'s App Home.
pub async fn publish_home(
    api: &SlackApi,
    user: &str,
    view: &Value,
    timeout: Duration,
) -> Result<(), Outcome> {
    let req = SlackApiViewsPublishRequest::new(user.into(), parse_view(view)?);
    timed("views.publish", api.session().views_publish(&req), timeout).await?;
    Ok(())
}

/// chat.getPermalink of the message at `channel`/`ts`.
pub async fn permalink(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    timeout: Duration,
) -> Result<String, Outcome> {
    let req = SlackApiChatGetPermalinkRequest::new(channel.into(), ts.into());
    let session = api.session();
    let resp = timed(
        "chat.getPermalink",
        session.chat_get_permalink(&req),
        timeout,
    )
    .await?;
    Ok(resp.permalink.to_string())
}

/// The text of the top-level message at `channel`/`ts` (escaped as Slack
/// keeps it), if Slack has one. `not_in_channel` is a refusal: the bot
/// cannot read there.
pub async fn message_text(
    api: &SlackApi,
    channel: &str,
    ts: &str,
    timeout: Duration,
) -> Result<Option<String>, Outcome> {
    let req = SlackApiConversationsHistoryRequest::new()
        .with_channel(channel.into())
        .with_latest(ts.into())
        .with_inclusive(true)
        .with_limit(1);
    let session = api.session();
    let resp = timed(
        "conversations.history",
        session.conversations_history(&req),
        timeout,
    )
    .await?;
    Ok(resp
        .messages
        .iter()
        .find(|m| m.origin.ts.to_string() == ts)
        .and_then(|m| m.content.text.clone()))
}

fn parse_view(view: &Value) -> Result<SlackView, Outcome> {
    serde_json::from_value(view.clone())
        .map_err(|e| Outcome::Permanent(format!("view does not parse: {e}")))
}
