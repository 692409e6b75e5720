//! The database: SQLite in WAL mode by default. All SQL lives under this module.

pub mod checkpoint;
pub mod direct;
pub mod events;
pub mod outbox;
pub mod write_lock;

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
        .connect_with(options)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .context("could not apply database migrations")?;
    Ok(pool)
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

/// The event writer's own connection ([`crate::group_commit`]), next to the
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
        // 1–100 ms sleeps.
        .after_connect(|conn, _| {
            Box::pin(async move {
                direct::run(conn, |db| db.busy_handler(Some(write_lock::wait))).await
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
pub async fn begin_write(db: &Db) -> Result<Tx<'static>, sqlx::Error> {
    db.begin_with("BEGIN IMMEDIATE").await
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
