//! Every slash command, event and interaction needful answers, in one place.
//!
//! The transport ([`crate::slack::answer`]) calls these with what people did,
//! in the team's terms ([`crate::domain::input`]). Each runs one
//! transaction on the writer ([`storage::Writer`]): the state change, the
//! `event_id` it came from and the outbox rows it causes commit together,
//! and only then is Slack acknowledged.

use std::sync::Weak;

use futures::future::BoxFuture;
use sqlx::SqliteConnection;

use crate::{
    domain::{
        input::{Delivery, Event, Interaction, SlashCommand},
        reply::Handled,
    },
    error::{AppError, INTERNAL_ERROR_TEXT},
    features::{self, Answer, Reply},
    registry,
    state::{App, AppState},
    storage::{self, writer::Conn},
};

/// Applies one Events API delivery exactly once; it joins whatever else is
/// waiting in one transaction (see [`storage::writer`]).
pub async fn on_event(app: &App, delivery: Delivery) -> Result<Handled, AppError> {
    app.team.writer.apply(delivery).await
}

/// The handlers, as the writer applies batches of deliveries with them. The
/// app is held weakly: the writer stops once the app is gone.
pub struct Events(pub Weak<AppState>);

impl storage::writer::Applier for Events {
    /// Reactions (nearly all of the load) go on the direct handle
    /// ([`features::kudos::apply_reactions`]); the rest through sqlx, as
    /// every other change does.
    fn is_direct(&self, delivery: &Delivery) -> bool {
        matches!(delivery.event, Event::Reaction(_))
    }

    fn apply<'a>(
        &'a self,
        conn: Conn<'a>,
        events: Vec<Delivery>,
    ) -> BoxFuture<'a, Vec<Result<Handled, AppError>>> {
        Box::pin(async move {
            match self.0.upgrade() {
                Some(app) => apply_events(&app, conn, &events).await,
                None => events
                    .iter()
                    .map(|_| Err(storage::writer::stopping()))
                    .collect(),
            }
        })
    }
}

/// Applies a batch of deliveries of one kind in one transaction, each
/// exactly once, and answers for each in order. If the transaction fails
/// for a reason other than a busy database, the deliveries are tried one by
/// one, so one bad event cannot hold back the others.
async fn apply_events(
    app: &App,
    mut conn: Conn<'_>,
    deliveries: &[Delivery],
) -> Vec<Result<Handled, AppError>> {
    match apply_together(app, &mut conn, deliveries).await {
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
                    apply_together(app, &mut conn, std::slice::from_ref(delivery))
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

/// One transaction for deliveries of one kind: reactions on the direct
/// handle, the others through sqlx.
async fn apply_together(
    app: &App,
    conn: &mut Conn<'_>,
    deliveries: &[Delivery],
) -> Result<Vec<Handled>, AppError> {
    match conn {
        Conn::Direct(db) => {
            let mut ids = Vec::with_capacity(deliveries.len());
            let mut inputs = Vec::with_capacity(deliveries.len());
            for delivery in deliveries {
                let Event::Reaction(input) = &delivery.event else {
                    return Err(AppError::Internal(anyhow::anyhow!(
                        "only reactions are applied on the direct handle"
                    )));
                };
                ids.push((delivery.event_id.as_str(), delivery.event.kind()));
                inputs.push(input);
            }
            let fresh = features::kudos::apply_reactions(&app.team, db, &ids, &inputs)?;
            app.team.outbox.wake();
            Ok(fresh
                .into_iter()
                .map(|new| {
                    if new {
                        Handled::Applied
                    } else {
                        Handled::Duplicate
                    }
                })
                .collect())
        }
        Conn::Sqlx(conn) => apply_others(app, conn, deliveries).await,
    }
}

/// Deliveries other than reactions, in one sqlx transaction: each feature
/// writes through it.
async fn apply_others(
    app: &App,
    conn: &mut SqliteConnection,
    events: &[Delivery],
) -> Result<Vec<Handled>, AppError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let applicable: Vec<(&str, &str)> = events
        .iter()
        .map(|d| (d.event_id.as_str(), d.event.kind()))
        .collect();
    let team = &app.team;
    let mut tx = storage::writer::begin(conn).await?;
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
    match run_command(app, command).await {
        Ok(r) => (r, Handled::Applied),
        Err(AppError::User(message)) => (Reply::ephemeral(message), Handled::Applied),
        Err(AppError::Internal(e)) => {
            tracing::error!(error = ?e, "a command failed");
            (Reply::ephemeral(INTERNAL_ERROR_TEXT), Handled::Failed)
        }
    }
}

/// A command's transaction, on the writer: it runs to its end whatever
/// happens to the request that asked for it.
async fn run_command(app: &App, inv: SlashCommand) -> Result<Reply, AppError> {
    let team = app.team.clone();
    app.team
        .writer
        .transaction(move |tx| {
            Box::pin(async move {
                match registry::command(&team, tx, &inv).await? {
                    Some(reply) => Ok(reply),
                    None => Err(AppError::User(unknown_command(&inv.command))),
                }
            })
        })
        .await
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
/// person in the way the interaction allows. Its transaction runs on the
/// writer, to its end whatever happens to the request.
pub async fn on_interaction(
    app: &App,
    interaction: Interaction,
) -> Result<Option<Answer>, AppError> {
    let team = app.team.clone();
    app.team
        .writer
        .transaction(move |tx| {
            Box::pin(async move {
                match &interaction {
                    Interaction::Buttons(presses) => {
                        let mut answer = None;
                        for press in presses {
                            answer = registry::button(&team, tx, press).await?;
                        }
                        Ok(answer)
                    }
                    Interaction::Form(form) => registry::form(&team, tx, form).await,
                }
            })
        })
        .await
}
