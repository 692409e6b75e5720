//! The database: SQLite in WAL mode by default, or PostgreSQL for several
//! replicas ([`engine`]). All SQL lives under this module, behind functions
//! in the domain's terms, each statement written once for both engines
//! ([`sql`]), one module per group of tables:
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
//! - [`setup`]: the team's setup and every change made to it.
//! - [`events`]: Slack deliveries applied; [`outbox`]: messages to send and
//!   where the sent ones landed.
//! - [`writer`], [`direct`], [`checkpoint`], [`priority`], [`health`]:
//!   running SQLite itself (the one connection that writes, its direct
//!   calls on the handle borrowed through [`crate::sys`], WAL checkpoints
//!   and the copier's CPU priority, whether writes get through).
//!
//! Every write goes through the [`Writer`]: one connection, on a thread of
//! its own, running each write to its end in turn, whoever asked for it.
//! It begins and ends every transaction; callers hold an opaque [`Tx`] (or
//! a [`direct::Batch`]) for its length, and never the connection.
//! Reads go through read-only pools ([`connect_reader`]); in WAL mode they
//! never wait for the writer nor hold it up.
//!
//! On PostgreSQL each replica has the same writer, and every transaction it
//! begins first takes one advisory lock ([`writer::WRITE_LOCK`]): writes
//! from all replicas run one after another, as SQLite's do, so nothing
//! read in a transaction changes before it commits.
//!
//! Features call in here; nothing here calls features. Its modules take
//! and return plain values and [`crate::domain`] types.

pub mod checkin;
pub mod checkpoint;
pub mod copy;
pub mod direct;
pub mod engine;
pub mod events;
pub mod health;
pub mod jobs;
pub mod kudos;
pub mod outbox;
pub mod people;
pub mod priority;
pub mod roles;
pub mod setup;
pub mod sql;
pub mod staffing;
pub mod trophy;
pub mod writer;

pub use writer::Writer;

use std::{str::FromStr, time::Duration};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{
    PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use sql::On;
pub(crate) use sql::on;

/// A pool of either engine: SQLite's read-only readers, or PostgreSQL's
/// shared pool.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    pub fn engine(&self) -> engine::Engine {
        self.on().engine()
    }

    fn on(&self) -> On<&SqlitePool, &PgPool> {
        match self {
            Db::Sqlite(pool) => On::Sqlite(pool),
            Db::Postgres(pool) => On::Postgres(pool),
        }
    }

    /// The SQLite pool, for what only SQLite has (checkpoints, tests).
    pub fn as_sqlite(&self) -> Option<&SqlitePool> {
        match self {
            Db::Sqlite(pool) => Some(pool),
            Db::Postgres(_) => None,
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Db::Sqlite(pool) => pool.is_closed(),
            Db::Postgres(pool) => pool.is_closed(),
        }
    }

    /// Closes the pool, waiting for its connections to be returned.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

/// A write transaction on the writer, as features hold it: storage's
/// functions take it, and only storage reaches the connection inside. The
/// writer begins and ends it ([`Writer::transaction`]).
pub struct Tx<'c> {
    tx: Open<'c>,
    now: DateTime<Utc>,
    /// Set by [`setup::save`]: the writer tells the instance once committed.
    saved_setup: bool,
}

enum Open<'c> {
    Sqlite(sqlx::Transaction<'c, Sqlite>),
    Postgres(sqlx::Transaction<'c, Postgres>),
}

impl Tx<'static> {
    /// A read on a read-only pool, at business time `now`: one snapshot for
    /// everything read through it (an App Home's sections, a job's look
    /// before it writes).
    pub async fn read(db: &Db, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let mut tx = Self::begin(db, now).await?;
        // PostgreSQL's pool can write: a read that would is refused here, as
        // SQLite's read-only readers refuse it, and goes to the writer.
        if let On::Postgres(c) = tx.on() {
            sqlx::query("SET TRANSACTION READ ONLY").execute(c).await?;
        }
        Ok(tx)
    }

    /// A write transaction on a pool of one ([`connect`]), for the
    /// command-line tools and tests; the running app writes only through
    /// its [`Writer`]. End it with [`Tx::commit`].
    pub async fn write(db: &Db, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let mut tx = Self::begin(db, now).await?;
        // After running replicas' writes, as each of theirs is.
        if let On::Postgres(c) = tx.on() {
            writer::write_lock(c).await?;
        }
        Ok(tx)
    }

    async fn begin(db: &Db, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let tx = match db {
            Db::Sqlite(pool) => Open::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Open::Postgres(pool.begin().await?),
        };
        Ok(Self {
            tx,
            now,
            saved_setup: false,
        })
    }
}

impl Tx<'_> {
    /// The business time (the app's clock) this transaction began at: what
    /// the rows it writes are stamped with.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.tx {
            Open::Sqlite(tx) => tx.commit().await,
            Open::Postgres(tx) => tx.commit().await,
        }
    }

    async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.tx {
            Open::Sqlite(tx) => tx.rollback().await,
            Open::Postgres(tx) => tx.rollback().await,
        }
    }

    /// SQLite's connection, for tests that run SQL of their own.
    #[cfg(test)]
    fn sqlite(&mut self) -> &mut SqliteConnection {
        match &mut self.tx {
            Open::Sqlite(tx) => tx,
            Open::Postgres(_) => panic!("a SQLite transaction"),
        }
    }

    /// The connection, for storage's own statements ([`on!`]).
    fn on(&mut self) -> On<&mut SqliteConnection, &mut PgConnection> {
        match &mut self.tx {
            Open::Sqlite(tx) => On::Sqlite(&mut **tx),
            Open::Postgres(tx) => On::Postgres(&mut **tx),
        }
    }
}

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a write waits for SQLite's write lock when another process
/// holds it: short enough that a request blocked by a lock still answers
/// (503, so Slack retries) inside Slack's 3-second deadline.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens (creating if missing) the database and applies pending migrations,
/// as a pool of one connection: for the command-line tools (`migrate`,
/// `export`, `backup`) and tests. The running app writes only through its
/// [`Writer`] ([`connect_writer`]).
pub async fn connect(database_url: &str) -> anyhow::Result<Db> {
    if engine::Engine::of(database_url)? == engine::Engine::Postgres {
        return Ok(Db::Postgres(
            engine::connect_postgres(database_url, 1).await?,
        ));
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(2500))
        .connect_with(writer_options(database_url)?)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    MIGRATOR.run(&pool).await.map_err(engine::migrate_error)?;
    Ok(Db::Sqlite(pool))
}

/// How every connection that may write opens the database. Commits never
/// run a WAL checkpoint: [`checkpoint::run`] does them, and the last
/// connection to close does a final one.
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
        .busy_timeout(BUSY_TIMEOUT))
}

/// True for a database that lives in this process only: another connection
/// would open another database.
fn in_memory(database_url: &str) -> bool {
    database_url.contains(":memory:") || database_url.contains("mode=memory")
}

/// The [`Writer`]'s connection, the only one the running app writes
/// through; the database is created and migrated here. Refused for an
/// in-memory database: the readers' connections would open other databases
/// (and a bot that forgets every kudos at restart is not one to run).
pub async fn connect_writer(database_url: &str) -> anyhow::Result<SqliteConnection> {
    if in_memory(database_url) {
        anyhow::bail!(
            "DATABASE_URL {database_url:?} is an in-memory database; needful keeps its data in a file (e.g. sqlite://needful.db)"
        );
    }
    // 8 MB of page cache instead of SQLite's 2 MB: every kudos touches index
    // pages all over the file (measured 1,442 → 1,833 events/s). Not more:
    // since this connection is the only one writing, nothing empties its
    // cache, and 16 MB took the peak with 256 requests in flight from 56 to
    // 64 MB for no throughput that runs could tell apart. The readers keep
    // SQLite's 2 MB.
    let options = writer_options(database_url)?.pragma("cache_size", "-8192");
    let mut conn: SqliteConnection = sqlx::ConnectOptions::connect(&options)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))?;
    MIGRATOR
        .run(&mut conn)
        .await
        .map_err(engine::migrate_error)?;
    Ok(conn)
}

/// A pool of one for [`checkpoint::run`]'s copies and the last checkpoint at
/// a clean stop.
pub async fn connect_checkpointer(database_url: &str) -> anyhow::Result<SqlitePool> {
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(writer_options(database_url)?)
        .await
        .with_context(|| format!("could not open the database at {database_url}"))
}

/// A read-only pool of one, for reads that need no transaction of the
/// writer's: App Homes and celebrations rendered for delivery, the outbox
/// worker's scans, the jobs' looks before they write, `/healthz`. WAL
/// readers never block the writer, and a write here fails (SQLite's
/// `SQLITE_READONLY`, see [`is_read_only`]). For a file database (the app
/// refuses in-memory ones: see [`connect_writer`]). On PostgreSQL, a pool
/// of one that does not migrate (the app's own pools are opened in
/// `app.rs`).
pub async fn connect_reader(database_url: &str) -> anyhow::Result<Db> {
    if engine::Engine::of(database_url)? == engine::Engine::Postgres {
        return Ok(Db::Postgres(engine::open_postgres(database_url, 1).await?));
    }
    let options = SqliteConnectOptions::from_str(database_url)?
        .read_only(true)
        .busy_timeout(BUSY_TIMEOUT);
    Ok(Db::Sqlite(
        SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(2500))
            .connect_with(options)
            .await
            .with_context(|| {
                format!("could not open the database at {database_url} for reading")
            })?,
    ))
}

/// True for a write tried on a read-only connection ([`connect_reader`]),
/// or in a read-only transaction on PostgreSQL ([`Tx::read`]).
pub fn is_read_only(e: &sqlx::Error) -> bool {
    // read_only_sql_transaction
    if let sqlx::Error::Database(db) = e
        && db.code().as_deref() == Some("25006")
    {
        return true;
    }
    // SQLITE_READONLY (8), also as extended codes: the primary code is the
    // low byte.
    matches!(e, sqlx::Error::Database(db) if db
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == 8))
}

/// True when the database answers a trivial query.
pub async fn is_healthy(db: &Db) -> bool {
    on!(db.on(), "SELECT 1", |q, c| sqlx::query(q)
        .fetch_one(c)
        .await
        .is_ok())
}

/// Writes a consistent copy of the live database to `path` (which must not exist).
pub async fn backup(db: &Db, path: &std::path::Path) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} already exists; choose a new file name", path.display());
    }
    let target = path
        .to_str()
        .context("the backup path must be valid UTF-8")?;
    let Db::Sqlite(db) = db else {
        anyhow::bail!("VACUUM INTO copies a SQLite database; on PostgreSQL, use pg_dump");
    };
    sqlx::query("VACUUM INTO ?")
        .bind(target)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn readers_cannot_write_and_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("r.db").display());
        let _writer = connect_writer(&url).await.unwrap();
        let reader = connect_reader(&url).await.unwrap();
        let Db::Sqlite(reader) = reader else {
            unreachable!("a SQLite URL")
        };
        let err = sqlx::query("INSERT INTO dm_channels (user_id, channel) VALUES ('U1', 'D1')")
            .execute(&reader)
            .await
            .unwrap_err();
        assert!(is_read_only(&err), "{err:?}");
        assert!(!is_read_only(&sqlx::Error::PoolTimedOut));
    }
}
