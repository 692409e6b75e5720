//! Group commit for Events API deliveries.
//!
//! Deliveries that arrive while a batch is being written wait and go
//! together in the next one: one transaction and a handful of statements for
//! all of them, and each is still acknowledged only after its commit. Under
//! light load a batch is a single event and nothing waits for company.
//! (With sqlx every statement is a hand-off to the connection's thread; doing
//! a dozen per event capped needful near 2,000 events/s. See BENCHMARKS.md.)

use std::{
    sync::Weak,
    time::{Duration, Instant},
};

use futures::FutureExt as _;
use slack_morphism::prelude::SlackPushEventCallback;
use sqlx::{Sqlite, pool::PoolConnection};
use tokio::sync::{mpsc, oneshot};

use crate::{
    app::AppState,
    error::AppError,
    handlers::{self, Handled},
};

/// The most events one transaction takes. Big enough that the statement
/// hand-offs stop mattering, small enough that a batch stays well under a
/// millisecond of SQLite work.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a batch; beyond this, senders wait (backpressure).
const QUEUE: usize = 8192;
/// How long the writer keeps the database connection while deliveries keep
/// coming. Giving it back to the pool costs a round trip to SQLite's thread
/// and a wait for the runtime to run the hand-back (1.9 ms p50 per batch,
/// flat out); keeping it for good would starve commands and the outbox.
const HOLD: Duration = Duration::from_millis(20);

type Reply = oneshot::Sender<Result<Handled, AppError>>;
type Job = (SlackPushEventCallback, Reply);

/// The door to the batch writer (held by the app state).
pub struct EventQueue {
    sender: mpsc::Sender<Job>,
}

/// The batch writer's end; give it to [`run`].
pub struct Receiver(mpsc::Receiver<Job>);

impl EventQueue {
    pub fn new() -> (Self, Receiver) {
        let (sender, receiver) = mpsc::channel(QUEUE);
        (Self { sender }, Receiver(receiver))
    }

    /// Applies one delivery (with whatever else is waiting) and returns once
    /// it is committed, or why it was not.
    pub async fn apply(&self, callback: SlackPushEventCallback) -> Result<Handled, AppError> {
        let (reply, answer) = oneshot::channel();
        let stopping = || AppError::Internal(anyhow::anyhow!("needful is stopping"));
        self.sender
            .send((callback, reply))
            .await
            .map_err(|_| stopping())?;
        answer.await.map_err(|_| stopping())?
    }
}

/// Writes batches until the app state is gone (its [`EventQueue`] with it).
pub async fn run(Receiver(mut receiver): Receiver, app: Weak<AppState>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut held: Option<(PoolConnection<Sqlite>, Instant)> = None;
    loop {
        if receiver.is_empty() {
            // Nothing waiting: give the connection back before sleeping.
            held = None;
        }
        if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            break;
        }
        let Some(app) = app.upgrade() else { break };
        let (events, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        let count = events.len();
        let results = match connection(&app, held.take()).await {
            Ok((mut conn, since)) => {
                let results = apply(&app, &mut conn, events).await;
                if results.iter().all(Result::is_ok) {
                    held = Some((conn, since));
                } else {
                    // A failure (or a panic) may have left a transaction open
                    // on it; closing the connection rolls that back for sure.
                    conn.close_on_drop();
                }
                results
            }
            // The database is locked or gone: these fail (Slack retries them).
            Err(e) => {
                let why = format!("{e:#}");
                tracing::warn!(error = %why, count, "no database connection for a batch of events");
                (0..count)
                    .map(|_| Err(AppError::Internal(anyhow::anyhow!("{why}"))))
                    .collect()
            }
        };
        metrics::histogram!("needful_event_batch_size").record(count as f64);
        for (reply, result) in replies.into_iter().zip(results) {
            // The request may have given up (deadline); the commit stands.
            let _ = reply.send(result);
        }
    }
}

/// The connection the writer holds, or a fresh one once it has held it for
/// [`HOLD`]: handing it back lets whoever waits in the pool's queue go first.
async fn connection(
    app: &AppState,
    held: Option<(PoolConnection<Sqlite>, Instant)>,
) -> Result<(PoolConnection<Sqlite>, Instant), sqlx::Error> {
    match held {
        Some((conn, since)) if since.elapsed() < HOLD => Ok((conn, since)),
        held => {
            drop(held);
            Ok((app.db.acquire().await?, Instant::now()))
        }
    }
}

/// Applies one batch; a bug must not take the writer down with it: the batch
/// fails (Slack retries it) and the next one goes on.
async fn apply(
    app: &crate::app::App,
    conn: &mut PoolConnection<Sqlite>,
    events: Vec<SlackPushEventCallback>,
) -> Vec<Result<Handled, AppError>> {
    let count = events.len();
    std::panic::AssertUnwindSafe(handlers::apply_events(app, conn, events))
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!(count, "applying a batch of events panicked");
            (0..count)
                .map(|_| {
                    Err(AppError::Internal(anyhow::anyhow!(
                        "applying the batch panicked"
                    )))
                })
                .collect()
        })
}
