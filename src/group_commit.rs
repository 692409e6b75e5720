//! Group commit for Events API deliveries.
//!
//! Deliveries that arrive while a batch is being written wait and go
//! together in the next one: one transaction for all of them, and each is
//! still acknowledged only after its commit. Under light load a batch is a
//! single event and nothing waits for company.
//!
//! The writer has a thread and a database connection of its own. Its SQLite
//! calls are direct ([`crate::storage::direct`]) and block, so they stay off
//! the threads that serve HTTP, and its statements stay prepared from one
//! batch to the next. The pool's connection is the other writer (commands,
//! the outbox worker); the two take turns at SQLite's write lock
//! ([`storage::write_lock`]). See
//! BENCHMARKS.md for what each step bought.

use std::sync::{Arc, Weak};

use futures::FutureExt as _;
use slack_morphism::prelude::SlackPushEventCallback;
use sqlx::SqliteConnection;
use tokio::sync::{Mutex, MutexGuard, mpsc, oneshot};

use crate::{
    app::AppState,
    error::AppError,
    handlers::{self, Handled},
    storage::{self, direct::Borrowed, write_lock},
};

/// The most events one transaction takes. Big enough that the per-batch
/// costs stop mattering, small enough that a batch stays a few milliseconds.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a batch; beyond this, senders wait (backpressure).
const QUEUE: usize = 8192;
/// Prepared statements the writer keeps (a reaction batch runs 16).
const STATEMENTS: usize = 64;

type Reply = oneshot::Sender<Result<Handled, AppError>>;
type Job = (SlackPushEventCallback, Reply);

/// The door to the batch writer (held by the app state).
pub struct EventQueue {
    sender: mpsc::Sender<Job>,
    turn: Arc<Mutex<()>>,
}

/// The batch writer's end; give it to [`start`].
pub struct Receiver {
    jobs: mpsc::Receiver<Job>,
    turn: Arc<Mutex<()>>,
}

impl EventQueue {
    pub fn new() -> (Self, Receiver) {
        let (sender, jobs) = mpsc::channel(QUEUE);
        let turn = Arc::new(Mutex::new(()));
        (
            Self {
                sender,
                turn: turn.clone(),
            },
            Receiver { jobs, turn },
        )
    }

    /// Waits for the batch being written, then holds the next one off until
    /// dropped. A slash command or an interaction takes it around its
    /// transaction, so it gets the write lock in its turn (the queue is
    /// first come, first served) instead of looking for a gap between
    /// batches: flat out with 5 % commands, p99 150 → 31–35 ms.
    pub async fn write_turn(&self) -> MutexGuard<'_, ()> {
        self.turn.lock().await
    }

    /// The same turns, for a task that outlives a borrow of the queue (the
    /// checkpointer takes one to let the log start again).
    pub fn turns(&self) -> Arc<Mutex<()>> {
        self.turn.clone()
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

/// Starts the writer on a thread of its own, writing through `conn` (from
/// [`storage::connect_event_writer`]; reopened from `database_url` if a
/// failure leaves it unusable). It stops once the app state, and with it
/// the [`EventQueue`], is gone.
pub fn start(
    receiver: Receiver,
    conn: SqliteConnection,
    database_url: String,
    app: Weak<AppState>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("needful-writer".into())
        .spawn(move || runtime.block_on(run(receiver, conn, database_url, app)))?;
    Ok(())
}

/// Why [`write_batches`] returned.
enum Ended {
    Stopped,
    /// The connection may hold a transaction it could not end.
    Broken(String),
}

async fn run(
    Receiver {
        jobs: mut receiver,
        turn,
    }: Receiver,
    mut conn: SqliteConnection,
    database_url: String,
    app: Weak<AppState>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let why = match write_batches(&mut receiver, &turn, &mut jobs, &mut conn, &app).await {
            Ended::Stopped => return,
            Ended::Broken(why) => why,
        };
        tracing::warn!(error = %why, "reopening the event writer's database connection");
        // Closing the old connection rolls back whatever it still held.
        drop(conn);
        conn = loop {
            match storage::connect_event_writer(&database_url).await {
                Ok(conn) => break conn,
                Err(e) => {
                    // Deliveries fail until it opens again (Slack retries them).
                    if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
                        return;
                    }
                    let why = format!("{e:#}");
                    tracing::warn!(error = %why, count = jobs.len(), "no database connection for a batch of events");
                    for (_, reply) in jobs.drain(..) {
                        let _ = reply.send(Err(AppError::Internal(anyhow::anyhow!("{why}"))));
                    }
                }
            }
        };
    }
}

/// Writes batches on `conn` until the app stops or the connection breaks.
async fn write_batches(
    receiver: &mut mpsc::Receiver<Job>,
    turn: &Mutex<()>,
    jobs: &mut Vec<Job>,
    conn: &mut SqliteConnection,
    app: &Weak<AppState>,
) -> Ended {
    let mut db = match Borrowed::lock(conn).await {
        Ok(db) => db,
        Err(e) => return Ended::Broken(format!("{e:#}")),
    };
    // Room for every statement a batch runs (rusqlite keeps 16 by default).
    db.set_prepared_statement_cache_capacity(STATEMENTS);
    loop {
        if receiver.recv_many(jobs, MAX_BATCH).await == 0 {
            return Ended::Stopped;
        }
        let Some(app) = app.upgrade() else {
            return Ended::Stopped;
        };
        let turn = turn.lock().await;
        if write_lock::pool_is_waiting() {
            // The outbox worker waits for the lock: let it in.
            std::thread::sleep(write_lock::STEP_ASIDE);
        }
        let (events, replies): (Vec<_>, Vec<_>) = jobs.drain(..).unzip();
        let count = events.len();
        let results = apply(&app, &mut db, events).await;
        metrics::histogram!("needful_event_batch_size").record(count as f64);
        for (reply, result) in replies.into_iter().zip(results) {
            // The request may have given up (deadline); the commit stands.
            let _ = reply.send(result);
        }
        drop(turn);
        if !db.is_autocommit() {
            return Ended::Broken("a failed batch left its transaction open".into());
        }
    }
}

/// Applies one batch; a bug must not take the writer down with it: the batch
/// fails (Slack retries it) and the next one goes on.
async fn apply(
    app: &crate::app::App,
    db: &mut rusqlite::Connection,
    events: Vec<SlackPushEventCallback>,
) -> Vec<Result<Handled, AppError>> {
    let count = events.len();
    std::panic::AssertUnwindSafe(handlers::apply_events(app, db, events))
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
