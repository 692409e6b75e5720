//! Every slash command, event and interaction needful answers, in one place.
//!
//! The transport ([`crate::slack::answer`]) calls these with what people did,
//! in the team's terms ([`crate::domain::input`]). Each runs one
//! transaction: the state change, the `event_id` it came from and the outbox
//! rows it causes commit together, and only then is Slack acknowledged.

use crate::{
    domain::{
        input::{Delivery, Event, Interaction, ReactionInput, SlashCommand},
        reply::Handled,
    },
    error::{AppError, INTERNAL_ERROR_TEXT},
    features::{self, Answer, Reply},
    registry,
    state::App,
    storage,
};

/// Applies one Events API delivery exactly once; it joins whatever else is
/// waiting in one transaction (see [`crate::storage::writer`]).
pub async fn on_event(app: &App, delivery: Delivery) -> Result<Handled, AppError> {
    app.events.apply(delivery).await
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
    events: Vec<Delivery>,
) -> Vec<Result<Handled, AppError>> {
    let mut reactions = Vec::new();
    let mut others = Vec::new();
    let mut order = Vec::with_capacity(events.len());
    for delivery in &events {
        let is_reaction = matches!(delivery.event, Event::Reaction(_));
        order.push(is_reaction);
        match &delivery.event {
            Event::Reaction(input) => reactions.push(Batched::Reaction(delivery, input)),
            _ => others.push(Batched::Other(delivery)),
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
enum Batched<'a> {
    Reaction(&'a Delivery, &'a ReactionInput),
    Other(&'a Delivery),
}

/// [`apply_together`], or one by one if that fails for a reason other than a
/// busy database.
async fn apply_or_split(
    app: &App,
    db: &mut rusqlite::Connection,
    deliveries: &[Batched<'_>],
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
    deliveries: &[Batched<'_>],
) -> Result<Vec<Handled>, AppError> {
    let mut ids = Vec::new();
    let mut inputs = Vec::new();
    let mut others = Vec::new();
    for delivery in deliveries {
        match delivery {
            Batched::Reaction(delivery, input) => {
                ids.push((delivery.event_id.as_str(), delivery.event.kind()));
                inputs.push(*input);
            }
            Batched::Other(delivery) => others.push(*delivery),
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
async fn apply_others(app: &App, events: &[&Delivery]) -> Result<Vec<Handled>, AppError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let applicable: Vec<(&str, &str)> = events
        .iter()
        .map(|d| (d.event_id.as_str(), d.event.kind()))
        .collect();
    let team = &app.team;
    let mut tx = storage::begin_write(&team.db).await?;
    let fresh = storage::events::mark_applied(&mut tx, &applicable, team.clock.now()).await?;
    let mut handled = Vec::with_capacity(events.len());
    for (delivery, fresh) in events.iter().zip(fresh) {
        if !fresh {
            tracing::debug!(event_id = %delivery.event_id, "duplicate delivery; already applied");
            handled.push(Handled::Duplicate);
            continue;
        }
        handled.push(Handled::Applied);
        match &delivery.event {
            Event::HomeOpened(user) => features::home::publish(team, &mut tx, user).await?,
            Event::BotPosted(bot) => features::people::learn_bot(team, &mut tx, bot).await?,
            Event::Message(m) => registry::message(team, &mut tx, m).await?,
            Event::Reaction(_) => {}
        }
    }
    tx.commit().await?;
    team.outbox.wake();
    Ok(handled)
}

/// Answers a slash command. The reply is the immediate (ephemeral unless said
/// otherwise) answer; anything else it causes goes through the outbox.
#[tracing::instrument(skip_all, fields(command = %command.command, user = %command.user))]
pub async fn on_command(app: &App, command: SlashCommand) -> (Reply, Handled) {
    let result = owned_write(
        app,
        move |app| async move { run_command(&app, &command).await },
    )
    .await;
    match result {
        Ok(r) => (r, Handled::Applied),
        Err(AppError::User(message)) => (Reply::ephemeral(message), Handled::Applied),
        Err(AppError::Internal(e)) => {
            tracing::error!(error = ?e, "a command failed");
            (Reply::ephemeral(INTERNAL_ERROR_TEXT), Handled::Failed)
        }
    }
}

async fn run_command(app: &App, inv: &SlashCommand) -> Result<Reply, AppError> {
    let _turn = app.events.write_turn().await;
    let mut tx = storage::begin_write(&app.team.db).await?;
    let Some(reply) = registry::command(&app.team, &mut tx, inv).await? else {
        return Err(AppError::User(unknown_command(&inv.command)));
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
    let list: Vec<String> = registry::commands()
        .map(|c| format!("• `{}`: {}", c.name, c.help))
        .collect();
    format!(
        "I don't know `{name}`. Here is what I can do:\n{}",
        list.join("\n")
    )
}

/// Handles a button press or a modal submission: `None` when it is not one
/// of ours. A failure comes back as the error, for the transport to tell the
/// person in the way the interaction allows.
pub async fn on_interaction(
    app: &App,
    interaction: Interaction,
) -> Result<Option<Answer>, AppError> {
    owned_write(app, move |app| async move {
        let _turn = app.events.write_turn().await;
        let team = &app.team;
        let mut tx = storage::begin_write(&team.db).await?;
        let answer = match &interaction {
            Interaction::Buttons(presses) => {
                let mut answer = None;
                for press in presses {
                    answer = registry::button(team, &mut tx, press).await?;
                }
                answer
            }
            Interaction::Form(form) => registry::form(team, &mut tx, form).await?,
        };
        tx.commit().await?;
        team.outbox.wake();
        Ok::<_, AppError>(answer)
    })
    .await
}
