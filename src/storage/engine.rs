//! Which database `DATABASE_URL` names, and what a person is told when it
//! cannot be used: the schema is newer than this binary, the server cannot
//! be reached, the credentials are refused, the database does not exist.
//!
//! SQLite (`sqlite://`) is the default; PostgreSQL (`postgres://`) is for
//! several replicas on one database. Its migrations run under the lock sqlx
//! holds while migrating, so replicas starting together apply each one
//! once.

use anyhow::anyhow;
use sqlx::{
    migrate::{MigrateError, Migrator},
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};
use std::{str::FromStr, time::Duration};

/// The PostgreSQL schema, kept beside SQLite's (`migrations/`): a migration
/// is added to both, and each engine's only ever adds (expand now, contract
/// in a later release), so a running replica keeps working while a newer
/// one migrates.
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations-postgres");

/// The database engines needful knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine `url` names, or what to write instead.
    pub fn of(url: &str) -> anyhow::Result<Engine> {
        // `sqlite:needful.db` and `sqlite::memory:` are SQLite URLs too.
        let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Engine::Sqlite),
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            _ => Err(anyhow!(
                "DATABASE_URL {:?} names no database needful knows; use sqlite://needful.db (the default) or postgres://USER:PASSWORD@HOST:5432/DATABASE",
                redact(url)
            )),
        }
    }
}

/// `url` without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

/// What a failed migration means, in words a person can act on.
pub fn migrate_error(e: MigrateError) -> anyhow::Error {
    match e {
        MigrateError::VersionMissing(version) => anyhow!(
            "this database's schema is newer than this needful: it has migration {version}, which this binary does not know. Run the needful version that migrated it (or a newer one), or restore a backup taken before that upgrade."
        ),
        MigrateError::VersionMismatch(version) => anyhow!(
            "migration {version} in this database differs from the one this needful has; the database was migrated by a different build. Run that build, or restore a backup."
        ),
        other => anyhow!("could not apply database migrations: {other}"),
    }
}

/// `url`'s connection options, or what is wrong with it.
pub fn options(url: &str) -> anyhow::Result<PgConnectOptions> {
    PgConnectOptions::from_str(url).map_err(|e| {
        anyhow!(
            "DATABASE_URL {:?} is not a PostgreSQL URL: {e}",
            redact(url)
        )
    })
}

/// How long a first connection to PostgreSQL may take before needful says
/// the server cannot be reached.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to PostgreSQL at `url` and applies its migrations (once,
/// whichever replica comes first). Errors say what to do.
pub async fn connect_postgres(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let pool = open_postgres(url, max_connections).await?;
    POSTGRES_MIGRATOR.run(&pool).await.map_err(migrate_error)?;
    Ok(pool)
}

/// Connects to PostgreSQL at `url` without migrating: for looking only.
pub async fn open_postgres(url: &str, max_connections: u32) -> anyhow::Result<PgPool> {
    let options = options(url)?;
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(CONNECT_TIMEOUT)
        .connect_with(options.clone())
        .await
        .map_err(|e| postgres_error(&options, url, e))
}

/// A failed connection, said as what to check.
fn postgres_error(options: &PgConnectOptions, url: &str, e: sqlx::Error) -> anyhow::Error {
    let server = format!("{}:{}", options.get_host(), options.get_port());
    let code = match &e {
        sqlx::Error::Database(db) => db.code().map(|c| c.to_string()),
        _ => None,
    };
    match (code.as_deref(), &e) {
        // invalid_password, invalid_authorization_specification
        (Some("28P01" | "28000"), _) => anyhow!(
            "PostgreSQL at {server} refused the user {:?} or its password. Check the user and password in DATABASE_URL.",
            options.get_username()
        ),
        // invalid_catalog_name
        (Some("3D000"), _) => anyhow!(
            "PostgreSQL at {server} has no database {:?}. Create it (createdb {}), or fix the database name in DATABASE_URL.",
            options.get_database().unwrap_or_default(),
            options.get_database().unwrap_or_default()
        ),
        (_, sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut) => anyhow!(
            "could not reach PostgreSQL at {server} ({e}). Is the server running, and are the host and port in DATABASE_URL right?"
        ),
        _ => anyhow!("could not connect to {}: {e}", redact(url)),
    }
}

/// `needful backup` on PostgreSQL: `pg_dump` in its custom format (what
/// `pg_restore` reads), with the password passed in the environment, not
/// on the command line where others could read it.
pub async fn pg_dump(url: &str, to: &std::path::Path) -> anyhow::Result<()> {
    let found = std::iter::once(std::path::PathBuf::from("pg_dump"))
        .chain(
            ["17", "16", "15"]
                .iter()
                .map(|v| std::path::PathBuf::from(format!("/usr/lib/postgresql/{v}/bin/pg_dump"))),
        )
        .find(|p| {
            std::process::Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(pg_dump) = found else {
        return Err(anyhow!(
            "pg_dump is not installed here. Install PostgreSQL's client (apt-get install postgresql-client), or back up from a machine that has it: pg_dump --format=custom --file={} '{}'",
            to.display(),
            redact(url)
        ));
    };
    let mut parsed = url::Url::parse(url).map_err(|e| anyhow!("DATABASE_URL is not a URL: {e}"))?;
    let password = parsed.password().map(str::to_string);
    let _ = parsed.set_password(None);
    let mut dump = tokio::process::Command::new(&pg_dump);
    dump.arg("--format=custom")
        .arg(format!("--file={}", to.display()))
        .arg(format!("--dbname={parsed}"));
    if let Some(password) = password {
        dump.env("PGPASSWORD", password);
    }
    let out = dump
        .output()
        .await
        .map_err(|e| anyhow!("could not run {}: {e}", pg_dump.display()))?;
    if !out.status.success() {
        return Err(anyhow!(
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_engine_and_passwords_stay_hidden() {
        assert_eq!(Engine::of("sqlite://needful.db").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of("sqlite::memory:").unwrap(), Engine::Sqlite);
        assert_eq!(Engine::of("postgres://u:p@h/db").unwrap(), Engine::Postgres);
        assert_eq!(Engine::of("postgresql://h/db").unwrap(), Engine::Postgres);
        let refused = Engine::of("mysql://root:hunter2@h/db")
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("sqlite://") && !refused.contains("hunter2"),
            "{refused}"
        );
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
    }

    /// PostgreSQL's migrations only add (expand now, contract in a later
    /// release), so a replica still running the older binary keeps working
    /// while a newer one migrates.
    #[test]
    fn postgres_migrations_only_add() {
        for migration in POSTGRES_MIGRATOR.iter() {
            let code: String = migration
                .sql
                .to_uppercase()
                .lines()
                .map(|l| l.split("--").next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(" ");
            for taking_away in ["DROP ", "RENAME ", " TYPE ", "TRUNCATE ", "DELETE "] {
                assert!(
                    !code.contains(taking_away),
                    "migration {} ({}) takes something away ({taking_away:?}); add instead, and remove in a later release",
                    migration.version,
                    migration.description
                );
            }
        }
    }
}
