//! The one connection that writes, and the one path every write takes.
//!
//! Whatever a write comes from (Events API deliveries, slash commands,
//! interactions, scheduled jobs, the outbox worker, housekeeping, the log's
//! restart), it is a job on this writer: the jobs run one after another on
//! its thread, each to its end, so a caller that stops waiting (Slack gave
//! up, a proxy reset the connection) only loses the answer, never half a
//! write. With one writer nothing waits for SQLite's write lock but an
//! outside process, and readers (WAL mode) never hold a write up.
//!
//! The writer begins every transaction, commits it or rolls it back;
//! callers only get an opaque handle for its length ([`Tx`], [`Batch`]) to
//! pass to storage's functions. Three kinds of job:
//! - deliveries ([`Writer::apply`]), in batches (group commit): those that
//!   arrive while a batch is being written wait and go together in the
//!   next one, one transaction for all of them, and each is still
//!   acknowledged only after its commit. The writer records each
//!   `event_id`, so a redelivery changes nothing, and asks the [`Applier`]
//!   only what the new ones change. Under light load a batch is a single
//!   event and nothing waits for company;
//! - transactions the features write through a [`Tx`]
//!   ([`Writer::transaction`]): commands, interactions, scheduled jobs;
//! - short direct writes through a [`Batch`] ([`Writer::write`]): the
//!   outbox worker's claims and results, housekeeping.
//!
//! The writer has a thread and a connection of its own. Reactions and the
//! direct writes call SQLite directly ([`super::direct`]): those calls
//! block, so they stay off the threads that serve HTTP, and their
//! statements stay prepared from one batch to the next. A sqlx transaction
//! needs the connection back from the direct handle, and the direct
//! statements are prepared again after it; so the jobs taken off the queue
//! together run the direct ones first, then the sqlx ones. A job waits for
//! at most the jobs queued before it (first come, first served). See
//! BENCHMARKS.md for what each step bought.

use std::sync::Arc;
use std::time::Duration;

use futures::{FutureExt as _, future::BoxFuture};
use sqlx::{Connection as _, PgConnection, PgPool, SqliteConnection};
use tokio::sync::{Notify, mpsc, oneshot};

use chrono::{DateTime, Utc};

use super::{
    BUSY_TIMEOUT, Open, Tx,
    checkpoint::Log,
    direct::{self, Batch, Borrowed},
    events,
    health::{InFlight, WriteHealth},
    sql::On,
};
use crate::{
    clock::{Clock, SharedClock},
    domain::{
        input::{Delivery, Event},
        reply::Handled,
    },
    error::AppError,
};

/// The most jobs taken off the queue together (and so the most events one
/// transaction takes). Big enough that the per-batch costs stop mattering,
/// small enough that a batch stays a few milliseconds.
const MAX_BATCH: usize = 256;
/// Jobs waiting; beyond this, senders wait (backpressure).
const QUEUE: usize = 8192;
/// Prepared statements the direct handle keeps (a reaction batch runs 16).
const STATEMENTS: usize = 64;

type Reply = oneshot::Sender<Result<Handled, AppError>>;
/// A direct write: one short transaction of its own. It answers through a
/// channel it holds, so dropping it unrun tells its caller the writer is gone.
type Direct = Box<dyn FnOnce(On<&mut rusqlite::Connection, &mut PgConnection>) + Send>;
/// A sqlx transaction, answering the same way; true when it ended cleanly
/// (committed, or rolled back by its own failure).
type Transaction = Box<dyn for<'c> FnOnce(Writing<'c>) -> BoxFuture<'c, bool> + Send>;
/// The writer's connection, as a sqlx transaction takes it.
type Writing<'c> = On<&'c mut SqliteConnection, &'c mut PgConnection>;

enum Job {
    Event(Delivery, Reply, InFlight),
    Direct(Direct),
    Transaction(Transaction),
}

/// What a batch of deliveries is applied on.
enum Conn<'a> {
    /// The direct handle, its statements kept prepared between batches.
    Direct(&'a mut rusqlite::Connection),
    /// sqlx's side of the connection.
    Sqlx(&'a mut SqliteConnection),
    /// PostgreSQL, for reactions ([`Batch`]).
    PgDirect(&'a mut PgConnection),
    /// PostgreSQL, for the other deliveries ([`Tx`]).
    PgSqlx(&'a mut PgConnection),
}

/// What the writer applies deliveries with: the handlers
/// ([`crate::handlers::Events`]). The writer begins each batch's
/// transaction, records which deliveries are new (each is applied once),
/// hands the new ones over, and commits; the applier only says what they
/// change, through storage's functions.
pub trait Applier: Send + Sync {
    /// Applies new reactions, inside `batch` (nearly all of the load: on
    /// the direct handle, see [`super::direct`]).
    fn apply_reactions(&self, batch: &Batch<'_>, reactions: &[&Delivery]) -> Result<(), AppError>;
    /// Applies the other new deliveries, inside `tx`.
    fn apply<'a>(
        &'a self,
        tx: &'a mut Tx<'_>,
        deliveries: Vec<&'a Delivery>,
    ) -> BoxFuture<'a, Result<(), AppError>>;
}

/// An error a transaction's work may end in. `/healthz` counts it as writes
/// failing unless it only says the input was refused.
pub trait WriteError: From<sqlx::Error> + std::fmt::Display + Send + 'static {
    /// False for a refusal of the person's input (nothing failed).
    fn is_failure(&self) -> bool {
        true
    }
}

impl WriteError for sqlx::Error {}
impl WriteError for anyhow::Error {}

/// A refusal of the person's input is not a write failing (`/healthz`).
impl WriteError for AppError {
    fn is_failure(&self) -> bool {
        matches!(self, AppError::Internal(_))
    }
}

/// The door to the writer, held by whatever writes.
#[derive(Clone)]
pub struct Writer {
    sender: mpsc::Sender<Job>,
    health: Arc<WriteHealth>,
    committed: Arc<Notify>,
    setup_saved: Arc<Notify>,
    clock: SharedClock,
}

/// The writer's end; give it to [`start`].
pub struct Receiver {
    jobs: mpsc::Receiver<Job>,
    health: Arc<WriteHealth>,
    committed: Arc<Notify>,
    setup_saved: Arc<Notify>,
    clock: SharedClock,
}

impl Writer {
    /// `health` hears how every write went; `clock` gives the business
    /// time each transaction begins at ([`Tx::now`]).
    pub fn new(health: Arc<WriteHealth>, clock: SharedClock) -> (Self, Receiver) {
        let (sender, jobs) = mpsc::channel(QUEUE);
        let committed = Arc::new(Notify::new());
        let setup_saved = Arc::new(Notify::new());
        (
            Self {
                sender,
                health: health.clone(),
                committed: committed.clone(),
                setup_saved: setup_saved.clone(),
                clock: clock.clone(),
            },
            Receiver {
                jobs,
                health,
                committed,
                setup_saved,
                clock,
            },
        )
    }

    /// Notified after each batch of deliveries and each
    /// [`Self::transaction`] that changed something, on the writer's thread,
    /// whether or not its caller still waits: the outbox worker's wake-up,
    /// since such a commit may have queued messages.
    pub fn commits(&self) -> Arc<Notify> {
        self.committed.clone()
    }

    /// Notified after a commit that changed the team's setup
    /// ([`super::setup::save`]), whichever transaction made it: the
    /// instance's cue to read the setup again.
    pub fn setup_changes(&self) -> Arc<Notify> {
        self.setup_saved.clone()
    }

    /// Applies one delivery (with whatever else is waiting) and returns once
    /// it is committed, or why it was not.
    pub async fn apply(&self, delivery: Delivery) -> Result<Handled, AppError> {
        let (reply, answer) = oneshot::channel();
        // Under way until the writer has answered it, even if the request
        // that asked stops waiting.
        let in_flight = self.health.start();
        self.sender
            .send(Job::Event(delivery, reply, in_flight))
            .await
            .map_err(|_| stopping())?;
        answer.await.map_err(|_| stopping())?
    }

    /// Runs `work` in a write transaction (`BEGIN IMMEDIATE`) on the
    /// writer's connection, in its turn, and returns what it returned:
    /// committed if that is `Ok`, rolled back if not. It runs to its end on
    /// the writer whatever happens to the caller. `work` must not wait for
    /// another write: it would wait for itself.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: WriteError,
        F: for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let in_flight = self.health.start();
        let health = self.health.clone();
        let committed = self.committed.clone();
        let setup_saved = self.setup_saved.clone();
        let clock = self.clock.clone();
        let job: Transaction = Box::new(move |conn| {
            Box::pin(async move {
                let _in_flight = in_flight;
                let result = in_transaction(conn, clock.now(), &setup_saved, work).await;
                let clean = match &result {
                    Ok(changed) => {
                        // A transaction that changed nothing says nothing
                        // about whether writes get through.
                        if changed.1 {
                            health.succeeded();
                            committed.notify_one();
                        }
                        true
                    }
                    Err((e, clean)) => {
                        if e.is_failure() {
                            health.failed(&format!("{e:#}"));
                        }
                        *clean
                    }
                };
                let _ = reply.send(result.map(|(value, _)| value).map_err(|(e, _)| e));
                clean
            })
        });
        self.sender
            .send(Job::Transaction(job))
            .await
            .map_err(|_| E::from(gone()))?;
        answer.await.map_err(|_| E::from(gone()))?
    }

    /// Runs `work` in a write transaction on the direct handle, in its
    /// turn: committed if it returns `Ok`, rolled back if not, and what it
    /// returned comes back. Storage's direct functions write through the
    /// [`Batch`]. `work` must be short: every event waits for it.
    pub async fn write<T, E, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        E: Into<anyhow::Error>,
        F: FnOnce(&Batch<'_>) -> Result<T, E> + Send + 'static,
    {
        let in_flight = self.health.start();
        let health = self.health.clone();
        self.on_handle(move |db| {
            let _in_flight = in_flight;
            let work = |batch: &Batch<'_>| work(batch).map_err(|e| as_sqlx(e.into()));
            let result = match db {
                On::Sqlite(db) => {
                    let changes = db.total_changes();
                    in_batch(db, work).map(|value| (value, db.total_changes() != changes))
                }
                On::Postgres(conn) => in_pg_batch(conn, work),
            };
            match &result {
                Ok((_, true)) => health.succeeded(),
                Ok(_) => {}
                Err(e) => health.failed(&format!("{e:#}")),
            }
            result.map(|(value, _)| value)
        })
        .await
    }

    /// Copies the whole write-ahead log into the database and lets the next
    /// commit write from its start (a RESTART checkpoint), in the writer's
    /// turn, so that no write is under way. It waits about 2 ms for readers
    /// still on the old log, then gives up until the checkpointer's next
    /// round rather than hold every write off while a long read finishes.
    pub async fn restart_log(&self) -> anyhow::Result<Log> {
        self.on_handle(|db| {
            let On::Sqlite(db) = db else {
                anyhow::bail!("the write-ahead log is SQLite's");
            };
            db.busy_handler(Some(briefly))?;
            let log = db.query_row("PRAGMA wal_checkpoint(RESTART)", [], |row| {
                Ok(Log {
                    frames: row.get(1)?,
                    copied: row.get(2)?,
                })
            });
            db.busy_timeout(BUSY_TIMEOUT)?;
            log.map_err(|e| anyhow::Error::from(direct::into_sqlx(e)))
        })
        .await
    }

    /// Runs `work` on the direct handle in its turn.
    async fn on_handle<T, F>(&self, work: F) -> anyhow::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(On<&mut rusqlite::Connection, &mut PgConnection>) -> anyhow::Result<T>
            + Send
            + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Direct = Box::new(move |db| {
            let result = match db {
                On::Sqlite(db) => {
                    let result = work(On::Sqlite(&mut *db));
                    // The writer rolls such a write back by reopening its connection.
                    match db.is_autocommit() {
                        true => result,
                        false => Err(anyhow::anyhow!(
                            "a write left its transaction open; it was rolled back"
                        )),
                    }
                }
                On::Postgres(conn) => work(On::Postgres(conn)),
            };
            let _ = reply.send(result);
        });
        self.sender
            .send(Job::Direct(job))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// `work` in a transaction on `conn`, and whether it changed any row. On
/// failure, also whether the transaction ended (false: the connection may
/// still be inside it).
async fn in_transaction<T, E, F>(
    conn: Writing<'_>,
    now: DateTime<Utc>,
    setup_saved: &Notify,
    work: F,
) -> Result<(T, bool), (E, bool)>
where
    E: WriteError,
    F: for<'t> FnOnce(&'t mut Tx<'_>) -> BoxFuture<'t, Result<T, E>>,
{
    let mut tx = begin(conn, now).await.map_err(|e| (E::from(e), false))?;
    let before = total_changes(&mut tx)
        .await
        .map_err(|e| (E::from(e), false))?;
    match work(&mut tx).await {
        Ok(value) => {
            let changed = total_changes(&mut tx)
                .await
                .map_err(|e| (E::from(e), false))?;
            commit(tx, setup_saved)
                .await
                .map_err(|e| (E::from(e), false))?;
            Ok((value, changed != before))
        }
        Err(e) => {
            let ended = tx.rollback().await.is_ok();
            Err((e, ended))
        }
    }
}

/// Commits `tx`; if it changed the team's setup, says so once committed.
async fn commit(tx: Tx<'_>, setup_saved: &Notify) -> Result<(), sqlx::Error> {
    let saved = tx.saved_setup;
    tx.commit().await?;
    if saved {
        setup_saved.notify_one();
    }
    Ok(())
}

/// A count that moves when the transaction changes a row: SQLite's total
/// changes; on PostgreSQL, 1 once the transaction has written anything
/// (it then has an id of its own).
async fn total_changes(tx: &mut Tx<'_>) -> Result<i64, sqlx::Error> {
    match tx.on() {
        On::Sqlite(c) => {
            sqlx::query_scalar("SELECT total_changes()")
                .fetch_one(c)
                .await
        }
        On::Postgres(c) => pg_changed(c).await.map(i64::from),
    }
}

async fn pg_changed(c: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_xact_id_if_assigned() IS NOT NULL")
        .fetch_one(c)
        .await
}

/// Every replica's writes take this lock first, so they run one after
/// another as SQLite's do: what one transaction reads stays true until it
/// commits, whichever replica writes next. ("needful" in ASCII.)
pub const WRITE_LOCK: i64 = 0x006e_6565_6466_756c;

pub(super) async fn write_lock(c: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(WRITE_LOCK)
        .execute(c)
        .await
        .map(drop)
}

/// Begins a write transaction on the writer's connection, taking the write
/// lock at once (SQLite's, or on PostgreSQL [`WRITE_LOCK`]): another process
/// holding it is waited for here, before anything is done.
async fn begin(conn: Writing<'_>, now: DateTime<Utc>) -> Result<Tx<'_>, sqlx::Error> {
    let tx = match conn {
        On::Sqlite(conn) => Open::Sqlite(conn.begin_with("BEGIN IMMEDIATE").await?),
        On::Postgres(conn) => {
            let mut tx = conn.begin().await?;
            write_lock(&mut tx).await?;
            Open::Postgres(tx)
        }
    };
    Ok(Tx {
        tx,
        now,
        saved_setup: false,
    })
}

/// [`in_batch`] on PostgreSQL; also whether it changed anything.
fn in_pg_batch<T, E: From<sqlx::Error>>(
    conn: &mut PgConnection,
    work: impl FnOnce(&Batch<'_>) -> Result<T, E>,
) -> Result<(T, bool), E> {
    // Whatever fails after BEGIN (the lock's wait running out included)
    // is rolled back here, so the connection is out of the transaction for
    // the next job. (A rollback that fails too leaves it inside one: the
    // writer then closes it.)
    let rollback = |conn: &mut PgConnection| {
        let _ = direct::wait(sqlx::query("ROLLBACK").execute(conn));
    };
    let begun = direct::wait(async {
        sqlx::query("BEGIN").execute(&mut *conn).await?;
        write_lock(conn).await
    });
    if let Err(e) = begun {
        rollback(conn);
        return Err(e.into());
    }
    let batch = Batch::postgres(&mut *conn);
    let result = work(&batch);
    let ended = batch.end();
    let result = result.and_then(|value| {
        direct::wait(async {
            let changed = pg_changed(&mut *conn).await?;
            sqlx::query("COMMIT").execute(&mut *conn).await?;
            Ok::<_, sqlx::Error>((value, changed))
        })
        .map_err(E::from)
    });
    if result.is_err() {
        rollback(conn);
    }
    ended.run(result.is_ok());
    result
}

/// `work` in a write transaction on the direct handle: committed if it
/// returns `Ok`, rolled back if not; then what it asked to run after the
/// commit, or after the rollback, runs.
fn in_batch<T, E: From<sqlx::Error>>(
    db: &mut rusqlite::Connection,
    work: impl FnOnce(&Batch<'_>) -> Result<T, E>,
) -> Result<T, E> {
    let tx = db
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(direct::into_sqlx)?;
    let batch = Batch::new(&tx);
    let result = work(&batch);
    let ended = batch.end();
    let result = result.and_then(|value| {
        tx.commit().map_err(direct::into_sqlx)?;
        Ok(value)
    });
    // A failed work's transaction was rolled back as `tx` was dropped.
    ended.run(result.is_ok());
    result
}

/// A failed direct write's SQLite error as sqlx's, so that every write's
/// failure reads the same (see [`is_busy`]).
fn as_sqlx(e: anyhow::Error) -> anyhow::Error {
    match e.downcast::<rusqlite::Error>() {
        Ok(e) => direct::into_sqlx(e).into(),
        Err(e) => e,
    }
}

/// The RESTART checkpoint's busy handler: 40 looks 50 µs apart, about 2 ms.
fn briefly(looks: i32) -> bool {
    if looks >= 40 {
        return false;
    }
    std::thread::sleep(Duration::from_micros(50));
    true
}

/// Starts the writer on a thread of its own, writing through `conn` (from
/// [`super::connect_writer`]; reopened from `database_url` if a failure
/// leaves it unusable). It stops once every [`Writer`] is gone.
pub fn start(
    receiver: Receiver,
    conn: SqliteConnection,
    database_url: String,
    apply: Arc<dyn Applier>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("needful-writer".into())
        .spawn(move || runtime.block_on(run(receiver, conn, database_url, apply)))?;
    Ok(())
}

/// Starts the writer on PostgreSQL: the same jobs, in the same order, as
/// on SQLite, each transaction taking [`WRITE_LOCK`] first. It writes
/// through a pool of one connection, opened here on the writer's own
/// runtime; one that breaks is closed and the next job opens a fresh one.
/// The runtime is multi-threaded so a [`Batch`]'s synchronous statements
/// can wait on the writer's thread ([`direct::wait`]).
pub fn start_postgres(
    receiver: Receiver,
    options: sqlx::postgres::PgConnectOptions,
    apply: Arc<dyn Applier>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("needful-writer-io")
        .enable_all()
        .build()?;
    std::thread::Builder::new()
        .name("needful-writer".into())
        .spawn(move || {
            // A write waits for another's lock as long as SQLite's would,
            // then fails as busy (Slack retries the event). Every statement
            // is planned for its values and the tables as they are now: the
            // writer's connection lives for days, and a plan cached while
            // kudos_log was empty scanned it whole for each daily count
            // (a batch took 250 ms at 10,000 rows; planned fresh, 0.2 ms).
            let options = options.options([
                ("lock_timeout", format!("{}ms", BUSY_TIMEOUT.as_millis())),
                ("plan_cache_mode", "force_custom_plan".to_string()),
            ]);
            let pool = runtime.block_on(async {
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(BUSY_TIMEOUT)
                    .connect_lazy_with(options)
            });
            runtime.block_on(run_postgres(receiver, pool, apply))
        })?;
    Ok(())
}

async fn run_postgres(
    Receiver {
        jobs: mut receiver,
        health,
        committed,
        setup_saved,
        clock,
    }: Receiver,
    pool: PgPool,
    apply: Arc<dyn Applier>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        if receiver.recv_many(&mut jobs, MAX_BATCH).await == 0 {
            return;
        }
        let done = Done {
            health: &health,
            committed: &committed,
            setup_saved: &setup_saved,
            clock: &*clock,
        };
        let mut conn = match pool.acquire().await {
            Ok(conn) => conn,
            Err(e) => {
                let why = format!("{e:#}");
                tracing::warn!(error = %why, count = jobs.len(), "no database connection for a batch of writes");
                health.failed(&why);
                for job in jobs.drain(..) {
                    // A dropped write tells its caller the writer is gone.
                    if let Job::Event(_, reply, _) = job {
                        let _ = reply.send(Err(AppError::Internal(anyhow::anyhow!("{why}"))));
                    }
                }
                continue;
            }
        };
        let (reactions, writes, later) = sorted(&mut jobs);
        apply_batch(&*apply, Conn::PgDirect(&mut conn), reactions, done).await;
        apply_batch(&*apply, Conn::PgSqlx(&mut conn), later.events, done).await;
        for work in writes {
            let run = std::panic::AssertUnwindSafe(|| work(On::Postgres(&mut *conn)));
            if std::panic::catch_unwind(run).is_err() {
                tracing::error!("a write on the writer's connection panicked");
            }
        }
        for work in later.transactions {
            let clean = std::panic::AssertUnwindSafe(work(On::Postgres(&mut *conn)))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    tracing::error!("a transaction on the writer's connection panicked");
                    false
                });
            if !clean {
                break;
            }
        }
        if conn.is_in_transaction() {
            metrics::counter!("needful_db_connections_replaced_total").increment(1);
            tracing::warn!("the writer's connection was left inside a transaction; closing it");
            conn.close_on_drop();
        }
    }
}

/// Why the writer stopped writing on a connection.
enum Ended {
    Stopped,
    /// The connection may hold a transaction it could not end.
    Broken(String),
}

/// Jobs taken off the queue that need sqlx, in order.
#[derive(Default)]
struct Later {
    events: Vec<(Delivery, Reply, InFlight)>,
    transactions: Vec<Transaction>,
}

async fn run(
    Receiver {
        jobs: mut receiver,
        health,
        committed,
        setup_saved,
        clock,
    }: Receiver,
    mut conn: SqliteConnection,
    database_url: String,
    apply: Arc<dyn Applier>,
) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        let done = Done {
            health: &health,
            committed: &committed,
            setup_saved: &setup_saved,
            clock: &*clock,
        };
        let why = match serve(&mut receiver, &mut jobs, &mut conn, &*apply, done).await {
            Ended::Stopped => return,
            Ended::Broken(why) => why,
        };
        tracing::warn!(error = %why, "reopening the writer's database connection");
        // Closing the old connection rolls back whatever it still held.
        drop(conn);
        conn = loop {
            match super::connect_writer(&database_url).await {
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

/// Who hears how writes went: `/healthz`, and the outbox worker after a
/// commit.
#[derive(Clone, Copy)]
struct Done<'a> {
    health: &'a WriteHealth,
    committed: &'a Notify,
    /// Told when a delivery changed the team's setup.
    setup_saved: &'a Notify,
    /// The business time deliveries are recorded at.
    clock: &'a dyn Clock,
}

/// Runs jobs on `conn` until the app stops or the connection breaks.
async fn serve(
    receiver: &mut mpsc::Receiver<Job>,
    jobs: &mut Vec<Job>,
    conn: &mut SqliteConnection,
    apply: &dyn Applier,
    done: Done<'_>,
) -> Ended {
    loop {
        let later = match direct_jobs(receiver, jobs, conn, apply, done).await {
            Ok(later) => later,
            Err(ended) => return ended,
        };
        if let Err(ended) = sqlx_jobs(later, conn, apply, done).await {
            return ended;
        }
    }
}

/// Takes jobs off the queue and runs the direct ones, holding the direct
/// handle (and its prepared statements) until some job needs sqlx: those
/// are returned, to run next.
async fn direct_jobs(
    receiver: &mut mpsc::Receiver<Job>,
    jobs: &mut Vec<Job>,
    conn: &mut SqliteConnection,
    apply: &dyn Applier,
    done: Done<'_>,
) -> Result<Later, Ended> {
    let mut db = Borrowed::lock(conn)
        .await
        .map_err(|e| Ended::Broken(format!("{e:#}")))?;
    // Room for every statement a batch runs (rusqlite keeps 16 by default).
    db.set_prepared_statement_cache_capacity(STATEMENTS);
    loop {
        if receiver.recv_many(jobs, MAX_BATCH).await == 0 {
            return Err(Ended::Stopped);
        }
        let (reactions, writes, later) = sorted(jobs);
        apply_batch(apply, Conn::Direct(&mut db), reactions, done).await;
        for work in writes {
            if !db.is_autocommit() {
                break; // dropped unrun: their callers hear the writer is gone
            }
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(On::Sqlite(&mut db))))
                .is_err()
            {
                tracing::error!("a write on the writer's connection panicked");
            }
        }
        if !db.is_autocommit() {
            return Err(Ended::Broken(
                "a failed write left its transaction open".into(),
            ));
        }
        if !later.events.is_empty() || !later.transactions.is_empty() {
            return Ok(later);
        }
    }
}

/// The jobs taken off the queue, by how they run: reactions, direct
/// writes, and the jobs that need sqlx (other events, transactions), each
/// in the order they came.
fn sorted(jobs: &mut Vec<Job>) -> (Vec<(Delivery, Reply, InFlight)>, Vec<Direct>, Later) {
    let mut reactions = Vec::new();
    let mut writes = Vec::new();
    let mut later = Later::default();
    for job in jobs.drain(..) {
        match job {
            Job::Event(delivery, reply, in_flight) if is_direct(&delivery) => {
                reactions.push((delivery, reply, in_flight))
            }
            Job::Event(delivery, reply, in_flight) => {
                later.events.push((delivery, reply, in_flight))
            }
            Job::Direct(work) => writes.push(work),
            Job::Transaction(work) => later.transactions.push(work),
        }
    }
    (reactions, writes, later)
}

/// Reactions (nearly all of the load) are applied on the direct handle;
/// the other deliveries through sqlx, as every other change is.
fn is_direct(delivery: &Delivery) -> bool {
    matches!(delivery.event, Event::Reaction(_))
}

/// Runs the jobs that need sqlx, in order, on `conn`.
async fn sqlx_jobs(
    later: Later,
    conn: &mut SqliteConnection,
    apply: &dyn Applier,
    done: Done<'_>,
) -> Result<(), Ended> {
    if !later.events.is_empty() {
        apply_batch(apply, Conn::Sqlx(conn), later.events, done).await;
        if !fit_for_use(conn).await {
            return Err(Ended::Broken(
                "a batch of events left its transaction open".into(),
            ));
        }
    }
    for work in later.transactions {
        let clean = std::panic::AssertUnwindSafe(work(On::Sqlite(&mut *conn)))
            .catch_unwind()
            .await
            .unwrap_or_else(|_| {
                tracing::error!("a transaction on the writer's connection panicked");
                false
            });
        // Dropped unrun if this one broke the connection: their callers hear
        // the writer is gone.
        if !clean && !fit_for_use(conn).await {
            return Err(Ended::Broken("a transaction was left open".into()));
        }
    }
    Ok(())
}

/// False for a connection still inside a transaction, by SQLite's account
/// or sqlx's: the writer then closes it, which rolls back whatever it held,
/// and opens a fresh one. Two things leave one behind in sqlx 0.8: a
/// transaction cut off between two awaits (a panic in a job), and a COMMIT
/// that failed (disk full), after which sqlx may go on counting a
/// transaction.
async fn fit_for_use(conn: &mut SqliteConnection) -> bool {
    // Through the connection's own thread first, so any rollback still
    // queued for it has run before we look.
    let autocommit = direct::run(conn, |db| Ok(db.is_autocommit())).await;
    let fit = matches!(autocommit, Ok(true)) && !conn.is_in_transaction();
    if !fit {
        metrics::counter!("needful_db_connections_replaced_total").increment(1);
        tracing::warn!(
            "the writer's connection was left inside a transaction; closing it (which rolls the transaction back) and opening a fresh one"
        );
    }
    fit
}

/// Applies a batch of deliveries and answers each; `/healthz` and the
/// outbox worker hear how it went.
async fn apply_batch(
    apply: &dyn Applier,
    conn: Conn<'_>,
    events: Vec<(Delivery, Reply, InFlight)>,
    done: Done<'_>,
) {
    if events.is_empty() {
        return;
    }
    let count = events.len();
    let mut deliveries = Vec::with_capacity(count);
    let mut replies = Vec::with_capacity(count);
    let mut in_flight = Vec::with_capacity(count);
    for (delivery, reply, counted) in events {
        deliveries.push(delivery);
        replies.push(reply);
        in_flight.push(counted);
    }
    let results = apply_guarded(apply, conn, &deliveries, done).await;
    metrics::histogram!("needful_event_batch_size").record(count as f64);
    match results.iter().find_map(|r| r.as_ref().err()) {
        Some(e) => done.health.failed(&format!("{e:#}")),
        None => done.health.succeeded(),
    }
    if results.iter().any(|r| matches!(r, Ok(Handled::Applied))) {
        done.committed.notify_one();
    }
    drop(in_flight);
    for (reply, result) in replies.into_iter().zip(results) {
        // The request may have given up (deadline); the commit stands.
        let _ = reply.send(result);
    }
}

/// Applies one batch; a bug must not take the writer down with it: the batch
/// fails (Slack retries it) and the next one goes on.
async fn apply_guarded(
    apply: &dyn Applier,
    conn: Conn<'_>,
    deliveries: &[Delivery],
    done: Done<'_>,
) -> Vec<Result<Handled, AppError>> {
    let count = deliveries.len();
    std::panic::AssertUnwindSafe(apply_events(apply, conn, deliveries, done))
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

/// Applies a batch of deliveries of one kind in one transaction, each
/// exactly once, and answers for each in order. If the transaction fails
/// for a reason other than a busy database, the deliveries are tried one by
/// one, so one bad event cannot hold back the others.
async fn apply_events(
    apply: &dyn Applier,
    mut conn: Conn<'_>,
    deliveries: &[Delivery],
    done: Done<'_>,
) -> Vec<Result<Handled, AppError>> {
    match apply_together(apply, &mut conn, deliveries, done).await {
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
                    apply_together(apply, &mut conn, std::slice::from_ref(delivery), done)
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
        // PostgreSQL's lock_not_available: the write lock's wait ran out.
        Some(sqlx::Error::Database(db)) if db.code().as_deref() == Some("55P03") => true,
        // SQLITE_BUSY (5) or SQLITE_LOCKED (6), also as extended codes
        // (SQLITE_BUSY_TIMEOUT is 773): the primary code is the low byte.
        Some(sqlx::Error::Database(db)) => db
            .code()
            .and_then(|code| code.parse::<i32>().ok())
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        _ => false,
    }
}

/// One transaction for deliveries of one kind: each is recorded as applied
/// (so a redelivery changes nothing), the new ones are applied, and it
/// commits.
async fn apply_together(
    apply: &dyn Applier,
    conn: &mut Conn<'_>,
    deliveries: &[Delivery],
    done: Done<'_>,
) -> Result<Vec<Handled>, AppError> {
    let now = done.clock.now();
    let ids: Vec<(&str, &str)> = deliveries
        .iter()
        .map(|d| (d.event_id.as_str(), d.event.kind()))
        .collect();
    let fresh = match conn {
        Conn::Direct(db) => in_batch(db, |batch| reactions(apply, batch, deliveries, &ids, now))?,
        Conn::PgDirect(conn) => {
            in_pg_batch(conn, |batch| reactions(apply, batch, deliveries, &ids, now))?.0
        }
        Conn::Sqlx(conn) => others(apply, On::Sqlite(&mut **conn), deliveries, &ids, done).await?,
        Conn::PgSqlx(conn) => {
            others(apply, On::Postgres(&mut **conn), deliveries, &ids, done).await?
        }
    };
    Ok(fresh
        .into_iter()
        .map(|new| match new {
            true => Handled::Applied,
            false => Handled::Duplicate,
        })
        .collect())
}

/// Records reaction deliveries as applied and applies the new ones.
fn reactions(
    apply: &dyn Applier,
    batch: &Batch<'_>,
    deliveries: &[Delivery],
    ids: &[(&str, &str)],
    now: DateTime<Utc>,
) -> Result<Vec<bool>, AppError> {
    let fresh = events::mark_applied_in(batch, ids, now)?;
    apply.apply_reactions(batch, &only_new(deliveries, &fresh))?;
    Ok(fresh)
}

/// Records other deliveries as applied and applies the new ones, in a
/// transaction of their own.
async fn others(
    apply: &dyn Applier,
    conn: Writing<'_>,
    deliveries: &[Delivery],
    ids: &[(&str, &str)],
    done: Done<'_>,
) -> Result<Vec<bool>, AppError> {
    let now = done.clock.now();
    let mut tx = begin(conn, now).await?;
    let fresh = events::mark_applied(&mut tx, ids, now).await?;
    apply.apply(&mut tx, only_new(deliveries, &fresh)).await?;
    commit(tx, done.setup_saved).await?;
    Ok(fresh)
}

fn only_new<'a>(deliveries: &'a [Delivery], fresh: &[bool]) -> Vec<&'a Delivery> {
    let new: Vec<&Delivery> = deliveries
        .iter()
        .zip(fresh)
        .filter_map(|(delivery, &new)| new.then_some(delivery))
        .collect();
    if new.len() < deliveries.len() {
        tracing::debug!(
            duplicates = deliveries.len() - new.len(),
            "duplicate deliveries; already applied"
        );
    }
    new
}

pub fn stopping() -> AppError {
    AppError::Internal(anyhow::anyhow!("needful is stopping"))
}

/// What a caller hears when the writer dropped its job unrun.
fn gone() -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(
        "the database writer is stopping or reconnecting",
    ))
}

/// A writer on a fresh connection to `url` (migrated), refusing deliveries.
#[cfg(test)]
pub(crate) async fn started(url: &str) -> Writer {
    started_with(url, Default::default()).await
}

/// [`started`], telling `health` how writes go.
#[cfg(test)]
pub(crate) async fn started_with(url: &str, health: Arc<WriteHealth>) -> Writer {
    struct Refuse;
    impl Applier for Refuse {
        fn apply_reactions(&self, _: &Batch<'_>, _: &[&Delivery]) -> Result<(), AppError> {
            Err(stopping())
        }
        fn apply<'a>(
            &'a self,
            _: &'a mut Tx<'_>,
            _: Vec<&'a Delivery>,
        ) -> BoxFuture<'a, Result<(), AppError>> {
            Box::pin(async { Err(stopping()) })
        }
    }
    let conn = super::connect_writer(url).await.unwrap();
    let (writer, receiver) = Writer::new(health, Arc::new(crate::clock::SystemClock::default()));
    start(receiver, conn, url.to_string(), Arc::new(Refuse)).unwrap();
    writer
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh() -> (Writer, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        (started(&url).await, dir)
    }

    fn remember(batch: &Batch<'_>, user: &str) -> direct::Result<i64> {
        super::super::outbox::remember_dm_channel(batch, user, "D1")?;
        count(batch)
    }

    fn count(batch: &Batch<'_>) -> direct::Result<i64> {
        batch
            .sqlite()
            .query_row("SELECT COUNT(*) FROM dm_channels", [], |r| r.get(0))
            .map_err(direct::into_sqlx)
    }

    async fn remembered(writer: &Writer) -> i64 {
        writer.write(count).await.unwrap()
    }

    /// Remembers `user`'s DM channel in a sqlx transaction, then `then`.
    async fn remember_then(
        writer: &Writer,
        user: &'static str,
        then: Result<(), AppError>,
    ) -> Result<(), AppError> {
        writer
            .transaction(move |tx| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO dm_channels (user_id, channel) VALUES (?, 'D1')")
                        .bind(user)
                        .execute(tx.sqlite())
                        .await?;
                    then
                })
            })
            .await
    }

    #[tokio::test]
    async fn writes_run_on_the_writer_and_a_broken_one_does_not_stop_it() {
        let (writer, _dir) = fresh().await;
        assert_eq!(
            writer.write(|batch| remember(batch, "U1")).await.unwrap(),
            1
        );

        // SQLite's code comes back with a failed write.
        let err = writer
            .write(|batch| {
                batch
                    .sqlite()
                    .execute("INSERT INTO no_such_table VALUES (1)", [])
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("no_such_table"), "{err:#}");

        // A write that fails is rolled back whole, and what it kept in
        // memory for after the commit never runs.
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let told = ran.clone();
        let err = writer
            .write(move |batch| {
                remember(batch, "U2")?;
                batch.after_commit(move || told.store(true, std::sync::atomic::Ordering::SeqCst));
                Err::<(), _>(anyhow::anyhow!("a bug after the write"))
            })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("a bug"), "{err:#}");
        assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(remembered(&writer).await, 1, "U2 was rolled back");

        // After a commit it runs, on the writer, before the next write.
        let told = ran.clone();
        writer
            .write(move |batch| {
                batch.after_commit(move || told.store(true, std::sync::atomic::Ordering::SeqCst));
                remember(batch, "U3")
            })
            .await
            .unwrap();
        assert!(ran.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(remembered(&writer).await, 2, "U1 and U3");
    }

    #[tokio::test]
    async fn events_without_an_app_are_refused_and_writes_still_run() {
        let (writer, _dir) = fresh().await;
        let delivery = Delivery {
            event_id: "Ev1".into(),
            event: crate::domain::input::Event::HomeOpened(
                crate::domain::ids::UserId::parse("U0000001").unwrap(),
            ),
        };
        let refused = writer.apply(delivery).await.unwrap_err();
        assert!(refused.to_string().contains("stopping"), "{refused}");
        assert_eq!(
            writer.write(|batch| remember(batch, "U1")).await.unwrap(),
            1
        );
    }

    #[tokio::test]
    async fn a_transaction_commits_on_ok_and_rolls_back_otherwise() {
        let (writer, _dir) = fresh().await;
        remember_then(&writer, "U1", Ok(())).await.unwrap();
        let refused = remember_then(&writer, "U2", Err(AppError::User("no".into()))).await;
        assert!(matches!(refused, Err(AppError::User(_))), "{refused:?}");
        let failed = remember_then(&writer, "U3", Err(anyhow::anyhow!("bug").into())).await;
        assert!(matches!(failed, Err(AppError::Internal(_))), "{failed:?}");
        assert_eq!(remembered(&writer).await, 1, "only U1 committed");
        // The direct handle and sqlx take turns on the one connection.
        assert_eq!(
            writer.write(|batch| remember(batch, "U4")).await.unwrap(),
            2
        );
        remember_then(&writer, "U5", Ok(())).await.unwrap();
        assert_eq!(remembered(&writer).await, 3);
    }

    #[tokio::test]
    async fn a_transaction_runs_to_its_end_when_its_caller_goes_away() {
        let (writer, _dir) = fresh().await;
        // Holds the writer, so the next one waits in the queue.
        let (release, released) = oneshot::channel::<()>();
        let holding = tokio::spawn({
            let writer = writer.clone();
            async move {
                writer
                    .transaction(move |_| {
                        Box::pin(async move {
                            let _ = released.await;
                            Ok::<_, AppError>(())
                        })
                    })
                    .await
            }
        });
        let caller = tokio::spawn({
            let writer = writer.clone();
            async move { remember_then(&writer, "U1", Ok(())).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        caller.abort();
        let _ = release.send(());
        holding.await.unwrap().unwrap();
        assert_eq!(remembered(&writer).await, 1, "committed without its caller");
    }

    #[tokio::test]
    async fn a_transaction_that_panics_is_rolled_back_and_the_writer_goes_on() {
        let (writer, _dir) = fresh().await;
        let panicked = writer
            .transaction(|tx| {
                Box::pin(async move {
                    sqlx::query("INSERT INTO dm_channels (user_id, channel) VALUES ('U1', 'D1')")
                        .execute(tx.sqlite())
                        .await?;
                    if std::hint::black_box(true) {
                        panic!("a bug in a feature");
                    }
                    Ok::<_, AppError>(())
                })
            })
            .await;
        assert!(panicked.is_err());
        remember_then(&writer, "U2", Ok(())).await.unwrap();
        assert_eq!(remembered(&writer).await, 1, "U1 was rolled back");
    }

    #[tokio::test]
    async fn health_counts_writes_that_changed_something_and_failures() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let health = Arc::new(WriteHealth::default());
        let writer = started_with(&url, health.clone()).await;
        let problem = || health.problem(Duration::from_secs(60));

        let _ = remember_then(&writer, "U1", Err(anyhow::anyhow!("disk full").into())).await;
        assert!(problem().is_some_and(|p| p.contains("disk full")));
        // Neither a refusal nor a transaction that wrote nothing says writes work.
        let _ = remember_then(&writer, "U1", Err(AppError::User("no".into()))).await;
        writer
            .transaction(|_| Box::pin(async { Ok::<_, AppError>(()) }))
            .await
            .unwrap();
        assert!(problem().is_some());
        remember_then(&writer, "U1", Ok(())).await.unwrap();
        assert_eq!(problem(), None);

        let _ = writer
            .write(|batch| {
                batch
                    .sqlite()
                    .execute("INSERT INTO no_such_table VALUES (1)", [])
            })
            .await;
        assert!(problem().is_some());
        writer.write(|batch| remember(batch, "U2")).await.unwrap();
        assert_eq!(problem(), None);
    }
}
