//! Every slash command, event and interaction needful answers, in one place.
//!
//! Both transports (HTTP and Socket Mode) call these three functions with
//! slack-morphism's typed payloads; only the envelope differs. Each runs one
//! transaction: the state change, the `event_id` it came from and the outbox
//! rows it causes commit together, and only then is Slack acknowledged.

use slack_morphism::prelude::*;

use crate::{
    app::App,
    domain::ids::{ChannelId, UserId},
    error::{AppError, INTERNAL_ERROR_TEXT},
    features::{self, Invocation, Reply, kudos::ReactionInput},
    storage,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    Applied,
    Duplicate,
    Ignored,
    Failed,
}

/// The slash commands, with the one line of help each gets.
pub const COMMANDS: &[(&str, &str)] = &[
    (
        "/kudos",
        "thank a colleague: `/kudos @colleague what they did`",
    ),
    ("/trophy", "see or pass the Needful Trophy"),
    ("/checkin", "check in for today"),
    ("/understaffed", "switch a pod's understaffed mode"),
    ("/roles", "this week's roles"),
];

/// Applies one Events API delivery exactly once; it joins whatever else is
/// waiting in one transaction (see [`crate::group_commit`]).
pub async fn on_event(app: &App, callback: SlackPushEventCallback) -> Result<Handled, AppError> {
    app.events.apply(callback).await
}

/// What needful does with a delivery, by kind; None for what it ignores.
fn event_kind(event: &SlackEventCallbackBody) -> Option<&'static str> {
    Some(match event {
        SlackEventCallbackBody::ReactionAdded(_) => "reaction_added",
        SlackEventCallbackBody::ReactionRemoved(_) => "reaction_removed",
        SlackEventCallbackBody::AppHomeOpened(e) if e.tab.as_deref() != Some("messages") => {
            "app_home_opened"
        }
        SlackEventCallbackBody::Message(m) if features::is_human_message(m) => "message",
        SlackEventCallbackBody::Message(m) if features::bot_author(m).is_some() => "bot_message",
        _ => return None,
    })
}

/// Applies a batch of deliveries, each exactly once, and answers for each in
/// order. Reactions (nearly all of the load) go in one transaction on the
/// event writer's connection `db` ([`features::kudos::apply_reactions`]);
/// the rest in another, through the pool, as every other change does. If a
/// transaction fails for a reason other than a busy database, its
/// deliveries are tried one by one, so one bad event cannot hold back the
/// others.
pub async fn apply_events(
    app: &App,
    db: &mut rusqlite::Connection,
    events: Vec<SlackPushEventCallback>,
) -> Vec<Result<Handled, AppError>> {
    let mut reactions = Vec::new();
    let mut others = Vec::new();
    let mut order = Vec::with_capacity(events.len());
    for event in &events {
        let reaction: Option<ReactionInput> = match &event.event {
            SlackEventCallbackBody::ReactionAdded(e) => Some(e.into()),
            SlackEventCallbackBody::ReactionRemoved(e) => Some(e.into()),
            _ => None,
        };
        order.push(reaction.is_some());
        match reaction {
            Some(input) => reactions.push(Delivery::Reaction(event, input)),
            None => others.push(Delivery::Other(event)),
        }
    }
    let mut from_reactions = apply_or_split(app, db, &reactions).await.into_iter();
    let mut from_others = apply_or_split(app, db, &others).await.into_iter();
    order
        .into_iter()
        .map(|is_reaction| {
            let next = if is_reaction {
                from_reactions.next()
            } else {
                from_others.next()
            };
            next.unwrap_or_else(|| {
                Err(AppError::Internal(anyhow::anyhow!(
                    "a delivery got no answer"
                )))
            })
        })
        .collect()
}

/// A delivery as the batch writer applies it: one list holds one kind.
enum Delivery<'a> {
    Reaction(&'a SlackPushEventCallback, ReactionInput),
    Other(&'a SlackPushEventCallback),
}

/// [`apply_together`], or one by one if that fails for a reason other than a
/// busy database.
async fn apply_or_split(
    app: &App,
    db: &mut rusqlite::Connection,
    deliveries: &[Delivery<'_>],
) -> Vec<Result<Handled, AppError>> {
    match apply_together(app, db, deliveries).await {
        Ok(handled) => handled.into_iter().map(Ok).collect(),
        Err(e) if deliveries.len() == 1 || is_busy(&e) => {
            let why = format!("{e:#}");
            std::iter::once(Err(e))
                .chain(
                    (1..deliveries.len())
                        .map(|_| Err(AppError::Internal(anyhow::anyhow!("{why}")))),
                )
                .collect()
        }
        Err(e) => {
            tracing::warn!(error = ?e, count = deliveries.len(), "a batch of events failed; applying them one by one");
            let mut results = Vec::with_capacity(deliveries.len());
            for delivery in deliveries {
                results.push(
                    apply_together(app, db, std::slice::from_ref(delivery))
                        .await
                        .map(|handled| handled[0]),
                );
            }
            results
        }
    }
}

/// True when the database was locked or the connection busy past its wait:
/// trying again at once would only wait again.
fn is_busy(e: &AppError) -> bool {
    let AppError::Internal(e) = e else {
        return false;
    };
    match e.downcast_ref::<sqlx::Error>() {
        Some(sqlx::Error::PoolTimedOut) => true,
        // SQLITE_BUSY (5) or SQLITE_LOCKED (6), also as extended codes
        // (SQLITE_BUSY_TIMEOUT is 773): the primary code is the low byte.
        Some(sqlx::Error::Database(db)) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

/// One transaction for deliveries of one kind (see [`Delivery`]).
async fn apply_together(
    app: &App,
    db: &mut rusqlite::Connection,
    deliveries: &[Delivery<'_>],
) -> Result<Vec<Handled>, AppError> {
    let mut ids = Vec::new();
    let mut inputs = Vec::new();
    let mut others = Vec::new();
    for delivery in deliveries {
        match delivery {
            Delivery::Reaction(callback, input) => {
                ids.push((
                    callback.event_id.as_ref(),
                    event_kind(&callback.event).unwrap_or("reaction"),
                ));
                inputs.push(input);
            }
            Delivery::Other(callback) => others.push(*callback),
        }
    }
    if !inputs.is_empty() {
        let fresh = features::kudos::apply_reactions(&app.team, db, &ids, &inputs)?;
        app.team.outbox.wake();
        return Ok(fresh
            .into_iter()
            .map(|new| {
                if new {
                    Handled::Applied
                } else {
                    Handled::Duplicate
                }
            })
            .collect());
    }
    apply_others(app, &others).await
}

/// Deliveries other than reactions, in one sqlx transaction: each feature
/// writes through it.
async fn apply_others(
    app: &App,
    events: &[&SlackPushEventCallback],
) -> Result<Vec<Handled>, AppError> {
    let kinds: Vec<Option<&str>> = events.iter().map(|e| event_kind(&e.event)).collect();
    let applicable: Vec<(&str, &str)> = events
        .iter()
        .zip(&kinds)
        .filter_map(|(e, kind)| Some((e.event_id.as_ref(), (*kind)?)))
        .collect();
    if applicable.is_empty() {
        return Ok(vec![Handled::Ignored; events.len()]);
    }
    let mut tx = storage::begin_write(&app.team.db).await?;
    let mut fresh = storage::events::mark_applied(&mut tx, &applicable, app.team.clock.now())
        .await?
        .into_iter();
    let mut handled = Vec::with_capacity(events.len());
    for (callback, kind) in events.iter().zip(&kinds) {
        if kind.is_none() {
            handled.push(Handled::Ignored);
            continue;
        }
        if fresh.next() != Some(true) {
            tracing::debug!(event_id = %callback.event_id, "duplicate delivery; already applied");
            handled.push(Handled::Duplicate);
            continue;
        }
        handled.push(Handled::Applied);
        match &callback.event {
            SlackEventCallbackBody::AppHomeOpened(e) => {
                if let Ok(user) = UserId::parse(e.user.as_ref()) {
                    features::home::publish(&app.team, &mut tx, &user).await?;
                }
            }
            SlackEventCallbackBody::Message(m) => match features::bot_author(m) {
                Some(bot) => features::people::learn_bot(&app.team, &mut tx, &bot).await?,
                None => features::on_message(&app.team, &mut tx, m).await?,
            },
            _ => {}
        }
    }
    tx.commit().await?;
    app.team.outbox.wake();
    Ok(handled)
}

/// Answers a slash command. The reply is the immediate (ephemeral unless said
/// otherwise) answer; anything else it causes goes through the outbox.
#[tracing::instrument(skip_all, fields(command = %command.command, user = %command.user_id))]
pub async fn on_command(
    app: &App,
    command: SlackCommandEvent,
) -> (SlackCommandEventResponse, Handled) {
    let (Ok(user), Ok(channel)) = (
        UserId::parse(command.user_id.as_ref()),
        ChannelId::parse(command.channel_id.as_ref()),
    ) else {
        return (
            reply(Reply::ephemeral(
                "I could not tell who sent this or from which channel, so I did nothing. Please run the command again from a channel or from your direct messages with me.",
            )),
            Handled::Ignored,
        );
    };
    let invocation = Invocation {
        user,
        channel,
        command: command.command.to_string(),
        text: command.text.clone().unwrap_or_default().trim().to_string(),
        trigger_id: command.trigger_id.to_string(),
    };
    let result = owned_write(app, move |app| async move {
        run_command(&app, &invocation).await
    })
    .await;
    match result {
        Ok(r) => (reply(r), Handled::Applied),
        Err(AppError::User(message)) => (reply(Reply::ephemeral(message)), Handled::Applied),
        Err(AppError::Internal(e)) => {
            tracing::error!(error = ?e, "a command failed");
            (
                reply(Reply::ephemeral(INTERNAL_ERROR_TEXT)),
                Handled::Failed,
            )
        }
    }
}

async fn run_command(app: &App, inv: &Invocation) -> Result<Reply, AppError> {
    let _turn = app.events.write_turn().await;
    let mut tx = storage::begin_write(&app.team.db).await?;
    let reply = match inv.command.as_str() {
        "/kudos" => features::kudos::command(&app.team, &mut tx, inv).await?,
        "/trophy" => features::trophy::command(&app.team, &mut tx, inv).await?,
        "/checkin" => features::checkin::command(&app.team, &mut tx, inv).await?,
        "/understaffed" => features::staffing::command(&app.team, &mut tx, inv).await?,
        "/roles" => features::roles::command(&app.team, &mut tx, inv).await?,
        other => return Err(AppError::User(unknown_command(other))),
    };
    tx.commit().await?;
    app.team.outbox.wake();
    Ok(reply)
}

/// Runs a command's or an interaction's transaction to its end whatever
/// happens to the request that asked for it ([`storage::detached`]), and
/// tells `/healthz` how it went.
async fn owned_write<T, F, Fut>(app: &App, work: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce(App) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
{
    let in_flight = app.team.writes.start();
    let writes = app.team.writes.clone();
    let write = work(app.clone());
    storage::detached(async move {
        let _in_flight = in_flight;
        let result = write.await;
        match &result {
            Ok(_) => writes.succeeded(),
            Err(AppError::Internal(e)) => writes.failed(&format!("{e:#}")),
            // The person's mistake: the write was never meant to happen.
            Err(AppError::User(_)) => {}
        }
        result
    })
    .await?
}

fn unknown_command(name: &str) -> String {
    let list: Vec<String> = COMMANDS
        .iter()
        .map(|(c, what)| format!("• `{c}`: {what}"))
        .collect();
    format!(
        "I don't know `{name}`. Here is what I can do:\n{}",
        list.join("\n")
    )
}

/// Handles a button press or a modal submission. When it fails on our side
/// the person is still told: a modal stays open with the error on its first
/// field (so nothing typed is lost), and a button press gets an ephemeral
/// note through its response_url (not the outbox: the database just failed).
pub async fn on_interaction(
    app: &App,
    event: SlackInteractionEvent,
) -> (SlackInteractionResponse, Handled) {
    let owned = event.clone();
    let result = owned_write(app, move |app| async move {
        let _turn = app.events.write_turn().await;
        let mut tx = storage::begin_write(&app.team.db).await?;
        let response = features::on_interaction(&app.team, &mut tx, &owned).await?;
        tx.commit().await?;
        app.team.outbox.wake();
        Ok::<_, AppError>(response)
    })
    .await;
    match result {
        Ok(Some(response)) => (response, Handled::Applied),
        Ok(None) => (SlackInteractionResponse::Empty, Handled::Ignored),
        Err(e) => {
            let message = match &e {
                AppError::User(message) => message.clone(),
                AppError::Internal(cause) => {
                    tracing::error!(error = ?cause, "an interaction failed");
                    INTERNAL_ERROR_TEXT.to_string()
                }
            };
            (failure_response(app, &event, message), Handled::Failed)
        }
    }
}

pub(crate) fn failure_response(
    app: &App,
    event: &SlackInteractionEvent,
    message: String,
) -> SlackInteractionResponse {
    match event {
        SlackInteractionEvent::ViewSubmission(submission) => {
            let first_block = submission
                .view
                .state_params
                .state
                .as_ref()
                .and_then(|state| state.values.keys().next())
                .map(|block| block.to_string());
            match first_block {
                Some(block) => SlackInteractionResponse::ViewSubmission(
                    SlackViewSubmissionResponse::Errors(SlackViewSubmissionErrorsResponse::new(
                        [(block, message)].into_iter().collect(),
                    )),
                ),
                None => SlackInteractionResponse::Empty,
            }
        }
        SlackInteractionEvent::BlockActions(actions) => {
            if let Some(url) = actions.response_url.clone() {
                let slack = app.slack.clone();
                tokio::spawn(async move {
                    let request = SlackApiPostWebhookMessageRequest::new(
                        SlackMessageContent::new().with_text(message),
                    )
                    .with_replace_original(false);
                    if let Err(e) = slack.respond(&url, &request).await {
                        tracing::warn!(error = %e, "could not tell the person their button press failed");
                    }
                });
            }
            SlackInteractionResponse::Empty
        }
        _ => SlackInteractionResponse::Empty,
    }
}

fn reply(r: Reply) -> SlackCommandEventResponse {
    let mut content = SlackMessageContent::new().with_text(r.text);
    if let Some(blocks) = r
        .blocks
        .and_then(|b| serde_json::from_value::<Vec<SlackBlock>>(b).ok())
    {
        content = content.with_blocks(blocks);
    }
    SlackCommandEventResponse::new(content).with_response_type(if r.in_channel {
        SlackMessageResponseType::InChannel
    } else {
        SlackMessageResponseType::Ephemeral
    })
}
