//! The database: SQLite in WAL mode by default. All SQL lives under this
//! module, behind functions in the domain's terms, one module per group of
//! tables:
//!
//! - [`kudos`]: kudos given and taken back, reactions, how people like to be
//!   thanked, refusal notices; the reaction batch's direct reads and writes,
//!   and the daily limit's counts kept between batches.
//! - [`trophy`]: the chain of trophy passes.
//! - [`checkin`]: check-in prompts, check-ins and away times.
//! - [`staffing`]: understaffed periods and offers of help.
//! - [`roles`]: each pod's weekly roster.
//! - [`people`]: users seen posting as bots.
//! - [`jobs`]: claimed runs of scheduled jobs.
//! - [`events`]: Slack deliveries applied; [`outbox`]: messages to send and
//!   where the sent ones landed.
//! - [`direct`], [`write_lock`], [`checkpoint`], [`health`]: running SQLite
//!   itself (the event writer's direct calls, who writes when, WAL
//!   checkpoints, whether writes get through).
//!
//! Features call in here; nothing here calls features. Its modules take
//! and return plain values and [`crate::domain`] types, so that another
//! engine can offer the same functions.

pub mod checkin;
pub mod checkpoint;
pub mod direct;
pub mod events;
pub mod health;
pub mod jobs;
pub mod kudos;
pub mod outbox;
pub mod people;
pub mod roles;
pub mod staffing;
pub mod trophy;
pub mod write_lock;
pub mod writer;

use std::{str::FromStr, time::Duration};

use anyhow::Context as _;
use sqlx::{
    SqliteConnection, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

pub type Db = SqlitePool;
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if missing) the database and applies pending migrations.
/// Commits never run a WAL checkpoint: [`checkpoint::run`] does them on a
/// connection of its own, and the last connection to close does a final one.
pub async fn connect(database_url: &str) -> anyhow::Result<Db> {
    let options = writer_options(database_url)?;
    // One connection: SQLite has one writer anyway, and waiting in sqlx's
    // FIFO queue is cheaper and fairer than SQLite's sleeping busy handler
    // (measured with examples/loadgen: 1,800 → 2,000 events/s, peak RSS
    // 34 → 26 MB). Waiting stays inside Slack's 3-second deadline. The
    // event writer's connection is the one other writer ([`write_lock`]).
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(2500))
        .after_connect(|conn, _| {
            Box::pin(async move {
                direct::run(conn, |db| db.busy_handler(Some(write_lock::pool_waits))).await
            })
        })
        // A connection is never handed out inside a transaction, whatever the
        // last user left behind: see [`fit_for_use`]. Every connection comes
        // back through here, so checking again on the way out would only
        // repeat the round trip to its thread.
        .after_release(|conn, _| Box::pin(async move { Ok(fit_for_use(conn).await) }))
        .connect_with(options)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .context("could not apply database migrations")?;
    Ok(pool)
}

/// False for a pooled connection still inside a transaction, by SQLite's
/// account or sqlx's: the pool then closes it, which rolls back whatever it
/// held, and opens a fresh one. Two things leave one behind in sqlx 0.8: a
/// task dropped between `BEGIN IMMEDIATE` and its transaction being handed
/// over (a client hanging up mid-request), and a COMMIT that failed (disk
/// full), after which sqlx may go on counting a transaction.
async fn fit_for_use(conn: &mut SqliteConnection) -> bool {
    use sqlx::Connection as _;
    // Through the connection's own thread first, so any rollback still
    // queued for it has run before we look.
    let autocommit = direct::run(conn, |db| Ok(db.is_autocommit())).await;
    let fit = matches!(autocommit, Ok(true)) && !conn.is_in_transaction();
    if !fit {
        metrics::counter!("needful_db_connections_replaced_total").increment(1);
        tracing::warn!(
            "a database connection was left inside a transaction; closing it (which rolls the transaction back) and opening a fresh one"
        );
    }
    fit
}

/// How every connection that may write opens the database.
fn writer_options(database_url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(database_url)
        .with_context(|| {
            format!("DATABASE_URL {database_url:?} is not a SQLite URL (e.g. sqlite://needful.db)")
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // A checkpoint in a commit held every event behind it for up to 15 ms
        // (an fsync): p99 at 1,000 events/s was 17 ms. See BENCHMARKS.md.
        .pragma("wal_autocheckpoint", "0")
        // NORMAL in WAL mode keeps every commit durable against a process crash,
        // which is the failure that matters here; FULL only adds power-loss safety.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // Short enough that a request blocked by a lock still answers (503, so
        // Slack retries) inside Slack's 3-second deadline.
        .busy_timeout(Duration::from_secs(2)))
}

/// True for a database that lives in this process only: another connection
/// would open another database.
fn in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}

/// The event writer's own connection ([`crate::storage::writer`]), next to the
/// pool's. Refused for an in-memory database: another connection would open
/// another database (and a bot that forgets every kudos at restart is not
/// one to run).
pub async fn connect_event_writer(database_url: &str) -> anyhow::Result<SqliteConnection> {
    if in_memory(database_url) {
        anyhow::bail!(
            "DATABASE_URL {database_url:?} is an in-memory database; needful keeps its data in a file (e.g. sqlite://needful.db)"
        );
    }
    // 8 MB of page cache instead of SQLite's 2 MB: every kudos touches index
    // pages all over the file (measured 1,442 → 1,833 events/s). Not more:
    // since this connection is the only one writing kudos, nothing empties
    // its cache, and 16 MB took the peak with 256 requests in flight from
    // 56 to 64 MB for no throughput that runs could tell apart. The other
    // connections keep SQLite's 2 MB.
    let options = writer_options(database_url)?.pragma("cache_size", "-8192");
    let mut conn: SqliteConnection = sqlx::ConnectOptions::connect(&options)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    direct::run(&mut conn, |db| db.busy_handler(Some(write_lock::wait))).await?;
    Ok(conn)
}

/// A pool of one for [`checkpoint::run`]; None for an in-memory database,
/// which has no WAL.
pub async fn connect_checkpointer(database_url: &str) -> anyhow::Result<Option<Db>> {
    if in_memory(database_url) {
        return Ok(None);
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        // A RESTART checkpoint waits for the pool's writer and the readers
        // while the event writer waits for it: look often, not in SQLite's
        // 1–100 ms sleeps, and not for long.
        .after_connect(|conn, _| {
            Box::pin(async move {
                direct::run(conn, |db| db.busy_handler(Some(write_lock::wait_briefly))).await
            })
        })
        .connect_with(writer_options(database_url)?)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    Ok(Some(pool))
}

/// A second pool for reads that may be long and need not block the writer
/// (WAL readers never do): the outbox worker's scans. For an in-memory
/// database (another connection would see another database) it is `db`.
pub async fn connect_reader(database_url: &str, db: &Db) -> anyhow::Result<Db> {
    if in_memory(database_url) {
        return Ok(db.clone());
    }
    let options = SqliteConnectOptions::from_str(database_url)?
        .read_only(true)
        .busy_timeout(Duration::from_secs(2));
    SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(2500))
        .connect_with(options)
        .await
        .with_context(|| format!("could not open the database at {database_url} for reading"))
}

/// Starts a write transaction that takes the write lock at once, so two writers
/// wait for each other (busy timeout) instead of failing on a lock upgrade.
/// Call it inside [`detached`] work, so that the request waiting for the
/// write can go away without taking the write with it.
pub async fn begin_write(db: &Db) -> Result<Tx<'static>, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
}

/// Runs `write` to its end on a task of its own and waits for its result.
/// A caller that is dropped (Slack gave up, a proxy reset the connection)
/// stops waiting, but the write still commits or rolls back as a whole: it
/// is never cut off between two awaits.
pub async fn detached<T, F>(write: F) -> anyhow::Result<T>
where
    T: Send + 'static,
    F: std::future::Future<Output = T> + Send + 'static,
{
    tokio::spawn(write)
        .await
        .map_err(|e| anyhow::anyhow!("a write stopped part-way: {e}"))
}

/// True when the database answers a trivial query.
pub async fn is_healthy(db: &Db) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(db)
        .await
        .is_ok()
}

/// Writes a consistent copy of the live database to `path` (which must not exist).
pub async fn backup(db: &Db, path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} already exists; choose a new file name", path.display());
    }
    let target = path
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::Connection as _;

    use super::*;

    async fn one_write(db: &Db) -> Result<(), sqlx::Error> {
        let mut tx = tokio::time::timeout(Duration::from_secs(5), begin_write(db))
            .await
            .expect("a write does not hang")?;
        sqlx::query(
            "INSERT INTO dm_channels (user_id, channel) VALUES ('U1', 'D1') ON CONFLICT DO NOTHING",
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await
    }

    /// What a request dropped mid-`BEGIN` or a failed COMMIT leaves behind,
    /// made on purpose: the pool must not hand that connection out again.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let db = connect(&format!("sqlite://{}", dir.path().join("t.db").display()))
            .await
            .unwrap();

        // sqlx counts a transaction that nothing will ever end (its
        // `Transaction` is gone without a rollback).
        let mut conn = db.acquire().await.unwrap();
        std::mem::forget(conn.begin().await.unwrap());
        assert!(conn.is_in_transaction());
        drop(conn);
        one_write(&db)
            .await
            .expect("a fresh connection after sqlx's leftover");

        // SQLite holds a transaction sqlx does not know of.
        let mut conn = db.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO dm_channels (user_id, channel) VALUES ('U9', 'D9')")
            .execute(&mut *conn)
            .await
            .unwrap();
        drop(conn);
        one_write(&db)
            .await
            .expect("a fresh connection after SQLite's leftover");
        // What the leftover held was rolled back, never committed by chance.
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dm_channels WHERE user_id = 'U9'")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(kept, 0);
    }
}
