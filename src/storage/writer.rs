//! The event writer: group commit for Events API deliveries.
//!
//! Deliveries that arrive while a batch is being written wait and go
//! together in the next one: one transaction for all of them, and each is
//! still acknowledged only after its commit. Under light load a batch is a
//! single event and nothing waits for company.
//!
//! The writer has a thread and a database connection of its own. Its SQLite
//! calls are direct ([`crate::storage::direct`]) and block, so they stay off
//! the threads that serve HTTP, and its statements stay prepared from one
//! batch to the next. The outbox worker writes through it too ([`Writer`]):
//! each commit by another connection makes SQLite drop this connection's
//! page cache and read it back, and hands the write lock over and back.
//! The pool's connection is the one other writer (commands, interactions);
//! the two take turns at SQLite's write lock ([`storage::write_lock`]). See
//! BENCHMARKS.md for what each step bought.

use std::sync::Arc;
#[cfg(test)]
use std::time::Duration;

use futures::{FutureExt as _, future::BoxFuture};
use sqlx::SqliteConnection;
use tokio::sync::{Mutex, MutexGuard, mpsc, oneshot};

use crate::{
    domain::input::Delivery,
    domain::reply::Handled,
    error::AppError,
    storage::{
        self,
        direct::Borrowed,
        health::{InFlight, WriteHealth},
        write_lock,
    },
};

/// The most events one transaction takes. Big enough that the per-batch
/// costs stop mattering, small enough that a batch stays a few milliseconds.
const MAX_BATCH: usize = 256;
/// Deliveries waiting for a batch; beyond this, senders wait (backpressure).
const QUEUE: usize = 8192;
/// Prepared statements the writer keeps (a reaction batch runs 16).
const STATEMENTS: usize = 64;

type Reply = oneshot::Sender<Result<Handled, AppError>>;
/// A write other than events: one short transaction of its own, between
/// batches. It answers through a channel it holds, so dropping it unrun
/// tells its caller the writer is gone.
type Work = Box<dyn FnOnce(&mut rusqlite::Connection) + Send>;

enum Job {
    Event(Delivery, Reply, InFlight),
    Write(Work),
}

/// The door to the batch writer (held by the app state).
pub struct EventQueue {
    writer: Writer,
    turn: Arc<Mutex<()>>,
}

/// Writes on the event writer's connection, for the outbox worker and
/// housekeeping.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Job>,
    health: Arc<WriteHealth>,
}

impl Writer {
    /// Runs `work` on the writer's connection, in its turn between event
    /// batches, and returns what it returned. `work` must end any
    /// transaction it begins, and be short: every event waits for it.
    pub async fn write<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let in_flight = self.health.start();
        let health = self.health.clone();
        let job: Work = Box::new(move |db| {
            let _in_flight = in_flight;
            let result = work(db).map_err(|e| anyhow::Error::from(storage::direct::into_sqlx(e)));
            let result = health.record(result);
            // The writer rolls such a write back by reopening its connection.
            let result = match db.is_autocommit() {
                true => result,
                false => Err(anyhow::anyhow!(
                    "a write left its transaction open; it was rolled back"
                )),
            };
            let _ = reply.send(result);
        });
        let gone = || anyhow::anyhow!("the database writer is stopping or reconnecting");
        self.sender
            .send(Job::Write(job))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// The batch writer's end; give it to [`start`].
pub struct Receiver {
    jobs: mpsc::Receiver<Job>,
    turn: Arc<Mutex<()>>,
    health: Arc<WriteHealth>,
}

/// Applies a batch of deliveries in order on the writer's connection and
/// answers for each. The app gives the handlers' own
/// ([`crate::handlers::apply_events`]); the writer only knows how to batch.
pub type Applier = Arc<
    dyn for<'a> Fn(
            &'a mut rusqlite::Connection,
            Vec<Delivery>,
        ) -> BoxFuture<'a, Vec<Result<Handled, AppError>>>
        + Send
        + Sync,
>;

impl EventQueue {
    /// `health` hears how every write through the queue went.
    pub fn new(health: Arc<WriteHealth>) -> (Self, Receiver) {
        let (sender, jobs) = mpsc::channel(QUEUE);
        let turn = Arc::new(Mutex::new(()));
        (
            Self {
                writer: Writer {
                    sender,
                    health: health.clone(),
                },
                turn: turn.clone(),
            },
            Receiver { jobs, turn, health },
        )
    }

    /// A handle for writes other than events.
    pub fn writer(&self) -> Writer {
        self.writer.clone()
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
    pub async fn apply(&self, delivery: Delivery) -> Result<Handled, AppError> {
        let (reply, answer) = oneshot::channel();
        // Under way until the writer has answered it, even if the request
        // that asked stops waiting.
        let in_flight = self.writer.health.start();
        self.writer
            .sender
            .send(Job::Event(delivery, reply, in_flight))
            .await
            .map_err(|_| stopping())?;
        answer.await.map_err(|_| stopping())?
    }
}

/// Starts the writer on a thread of its own, writing through `conn` (from
/// [`storage::connect_event_writer`]; reopened from `database_url` if a
/// failure leaves it unusable). It stops once the [`EventQueue`] and every
/// [`Writer`] are gone.
pub fn start(
    receiver: Receiver,
    conn: SqliteConnection,
    database_url: String,
    apply: Applier,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("needful-writer".into())
        .spawn(move || runtime.block_on(run(receiver, conn, database_url, apply)))?;
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
        health,
    }: Receiver,
    mut conn: SqliteConnection,
    database_url: String,
    apply: Applier,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let why = match write_batches(&mut receiver, &turn, &mut jobs, &mut conn, &apply, &health)
            .await
        {
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
                    tracing::warn!(error = %why, count = jobs.len(), "no database connection for a batch of writes");
                    for job in jobs.drain(..) {
                        // A dropped write tells its caller the writer is gone.
                        if let Job::Event(_, reply, _) = job {
                            let _ = reply.send(Err(AppError::Internal(anyhow::anyhow!("{why}"))));
                        }
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
    apply: &Applier,
    health: &WriteHealth,
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
        let turn = turn.lock().await;
        if write_lock::pool_is_waiting() {
            // A command waits for the lock: let it in.
            std::thread::sleep(write_lock::STEP_ASIDE);
        }
        let mut events = Vec::with_capacity(jobs.len());
        let mut replies = Vec::with_capacity(jobs.len());
        let mut in_flight = Vec::with_capacity(jobs.len());
        let mut writes = Vec::new();
        for job in jobs.drain(..) {
            match job {
                Job::Event(event, reply, counted) => {
                    events.push(event);
                    replies.push(reply);
                    in_flight.push(counted);
                }
                Job::Write(work) => writes.push(work),
            }
        }
        if !events.is_empty() {
            let count = events.len();
            let results = apply_guarded(apply, &mut db, events).await;
            metrics::histogram!("needful_event_batch_size").record(count as f64);
            match results.iter().find_map(|r| r.as_ref().err()) {
                Some(e) => health.failed(&format!("{e:#}")),
                None => health.succeeded(),
            }
            drop(in_flight);
            for (reply, result) in replies.into_iter().zip(results) {
                // The request may have given up (deadline); the commit stands.
                let _ = reply.send(result);
            }
        }
        for work in writes {
            if !db.is_autocommit() {
                break; // dropped unrun: their callers hear the writer is gone
            }
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&mut db))).is_err() {
                tracing::error!("a write on the event writer's connection panicked");
            }
        }
        drop(turn);
        if !db.is_autocommit() {
            return Ended::Broken("a failed write left its transaction open".into());
        }
    }
}

pub fn stopping() -> AppError {
    AppError::Internal(anyhow::anyhow!("needful is stopping"))
}

/// Applies one batch; a bug must not take the writer down with it: the batch
/// fails (Slack retries it) and the next one goes on.
async fn apply_guarded(
    apply: &Applier,
    db: &mut rusqlite::Connection,
    events: Vec<Delivery>,
) -> Vec<Result<Handled, AppError>> {
    let count = events.len();
    std::panic::AssertUnwindSafe(apply(db, events))
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn started() -> (EventQueue, Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        drop(storage::connect(&url).await.unwrap()); // migrated
        let conn = storage::connect_event_writer(&url).await.unwrap();
        let (queue, receiver) = EventQueue::new(Default::default());
        let gone: Applier = Arc::new(|_, events| {
            Box::pin(async move { events.iter().map(|_| Err(stopping())).collect() })
        });
        start(receiver, conn, url, gone).unwrap();
        let writer = queue.writer();
        (queue, writer, dir)
    }

    fn remember(db: &mut rusqlite::Connection, user: &str) -> rusqlite::Result<i64> {
        storage::outbox::remember_dm_channel(db, user, "D1")?;
        db.query_row("SELECT COUNT(*) FROM dm_channels", [], |r| r.get(0))
    }

    #[tokio::test]
    async fn writes_run_on_the_writer_and_a_broken_one_does_not_stop_it() {
        let (_queue, writer, _dir) = started().await;
        assert_eq!(writer.write(|db| remember(db, "U1")).await.unwrap(), 1);

        // SQLite's code comes back with a failed write.
        let err = writer
            .write(|db| db.execute("INSERT INTO no_such_table VALUES (1)", []))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err:#}");

        // A write that leaves its transaction open: the writer starts again
        // on a new connection, and what it left is rolled back.
        let err = writer
            .write(|db| {
                db.execute_batch("BEGIN IMMEDIATE")?;
                remember(db, "U2")
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("rolled back"), "{err:#}");
        let after = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Ok(n) = writer.write(|db| remember(db, "U3")).await {
                    break n;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the writer came back");
        assert_eq!(after, 2, "U1 and U3; U2's transaction was rolled back");
    }

    #[tokio::test]
    async fn events_without_an_app_are_refused_and_writes_still_run() {
        let (queue, writer, _dir) = started().await;
        let delivery = Delivery {
            event_id: "Ev1".into(),
            event: crate::domain::input::Event::HomeOpened(
                crate::domain::ids::UserId::parse("U0000001").unwrap(),
            ),
        };
        let refused = queue.apply(delivery).await.unwrap_err();
        assert!(refused.to_string().contains("stopping"), "{refused}");
        assert_eq!(writer.write(|db| remember(db, "U1")).await.unwrap(), 1);
    }
}
