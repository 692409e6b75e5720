//! `needful copy --from sqlite://… --to postgres://…`: a team's whole
//! database (history, the trophy chain, check-ins, roles, the setup, the
//! outbox) moved to PostgreSQL.
//!
//! The source is read in one snapshot (a stopped bot's file, or a backup:
//! what a running bot writes after the snapshot is not copied). The target
//! must hold no data; everything goes in one PostgreSQL transaction, so a
//! copy that fails part-way leaves the target as it was and can simply be
//! run again. Identity sequences are moved past the copied ids, and the row
//! counts are compared table by table before it says it is done.

use std::collections::HashMap;

use anyhow::{Context as _, anyhow, bail};
use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::{
    Column as _, Row as _, TypeInfo as _, ValueRef as _, postgres::PgArguments, query::Query,
};

use super::engine::{self, Engine};

/// Every table, parents before the tables that refer to them.
pub const TABLES: &[&str] = &[
    "processed_events",
    "outbox",
    "slack_messages",
    "dm_channels",
    "job_runs",
    "known_bots",
    "trophy_passes",
    "checkin_prompts",
    "checkins",
    "checkin_away",
    "staffing_switches",
    "staffing_helpers",
    "role_rosters",
    "kudos_log",
    "kudos_reactions",
    "kudos_prefs",
    "refusal_notices",
    "setup",
    "setup_changes",
    "people_names",
];

/// Rows per INSERT: well under PostgreSQL's 65,535 parameters.
const BATCH: usize = 500;

/// One value read from SQLite, as SQLite typed it.
#[derive(Debug, Clone)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Copies everything from the SQLite database `from` into the empty
/// PostgreSQL database `to` (migrated first). The verified count of each
/// table, in order.
pub async fn copy(from: &str, to: &str) -> anyhow::Result<Vec<(&'static str, i64)>> {
    if Engine::of(from)? != Engine::Sqlite {
        bail!("--from must be a SQLite database (sqlite://needful.db, or a backup file)");
    }
    if Engine::of(to)? != Engine::Postgres {
        bail!("--to must be a PostgreSQL database (postgres://USER:PASSWORD@HOST:5432/DATABASE)");
    }
    let path = from
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    if !std::path::Path::new(path).exists() {
        bail!("{path} does not exist; --from names the SQLite file to copy");
    }
    // Migrated like any other, so an old file gets this binary's schema.
    let source = super::connect(from).await?;
    let Some(source) = source.as_sqlite() else {
        bail!("needful copy reads from SQLite (--from sqlite://needful.db)");
    };
    let target = engine::connect_postgres(to, 2).await?;
    for table in TABLES {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&target)
            .await?;
        if rows > 0 {
            bail!(
                "{} already holds data ({rows} rows in {table}); copy into an empty database",
                engine::redact(to)
            );
        }
    }
    let mut snapshot = source.begin().await?;
    let mut tx = target.begin().await?;
    let mut counts = Vec::new();
    for table in TABLES {
        let types = column_types(&mut tx, table).await?;
        // A roster reads back in the order it was stored (PostgreSQL numbers
        // the copied rows in the order they arrive).
        let order = if *table == "role_rosters" {
            " ORDER BY rowid"
        } else {
            ""
        };
        let rows = sqlx::query(&format!("SELECT * FROM {table}{order}"))
            .fetch_all(&mut *snapshot)
            .await
            .with_context(|| format!("could not read {table}"))?;
        let columns: Vec<String> = match rows.first() {
            Some(row) => row.columns().iter().map(|c| c.name().to_string()).collect(),
            None => {
                counts.push((*table, 0));
                continue;
            }
        };
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|row| (0..columns.len()).map(|i| cell(row, i)).collect())
            .collect::<anyhow::Result<_>>()?;
        for chunk in cells.chunks(BATCH) {
            insert(&mut tx, table, &columns, &types, chunk).await?;
        }
        counts.push((*table, rows.len() as i64));
    }
    for table in TABLES {
        // Identity columns continue after the copied ids.
        let has_identity: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES')",
        )
        .bind(table)
        .fetch_one(&mut *tx)
        .await?;
        if has_identity {
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit()
        .await
        .context("the copy could not be committed")?;
    snapshot.rollback().await?;
    for (table, copied) in &counts {
        let there: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&target)
            .await?;
        if there != *copied {
            bail!("{table}: {copied} rows read but {there} found after the copy");
        }
    }
    // The planner's statistics describe the tables as they are now, not as
    // the empty ones they were: the first replicas plan with them.
    sqlx::query("ANALYZE").execute(&target).await?;
    target.close().await;
    source.close().await;
    Ok(counts)
}

/// PostgreSQL's type of each column of `table`.
async fn column_types(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
) -> anyhow::Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await?;
    if rows.is_empty() {
        bail!("the PostgreSQL schema has no table {table}; is it migrated by this needful?");
    }
    Ok(rows.into_iter().collect())
}

fn cell(row: &sqlx::sqlite::SqliteRow, i: usize) -> anyhow::Result<Cell> {
    let raw = row.try_get_raw(i)?;
    if raw.is_null() {
        return Ok(Cell::Null);
    }
    let kind = raw.type_info().name().to_string();
    Ok(match kind.as_str() {
        "INTEGER" | "BOOLEAN" => Cell::Int(row.try_get(i)?),
        "REAL" => Cell::Real(row.try_get(i)?),
        "BLOB" => Cell::Bytes(row.try_get(i)?),
        _ => Cell::Text(row.try_get(i)?),
    })
}

/// A time as sqlx keeps it in SQLite (RFC 3339, or `YYYY-MM-DD HH:MM:SS…`).
fn time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| anyhow!("{text:?} is not a time"))
}

fn bind<'q>(
    query: Query<'q, sqlx::Postgres, PgArguments>,
    kind: &str,
    value: &Cell,
    at: &str,
) -> anyhow::Result<Query<'q, sqlx::Postgres, PgArguments>> {
    Ok(match (kind, value) {
        ("bigint" | "integer" | "smallint", Cell::Null) => query.bind(None::<i64>),
        ("bigint" | "integer" | "smallint", Cell::Int(n)) => query.bind(*n),
        ("boolean", Cell::Null) => query.bind(None::<bool>),
        ("boolean", Cell::Int(n)) => query.bind(*n != 0),
        ("double precision" | "real", Cell::Null) => query.bind(None::<f64>),
        ("double precision" | "real", Cell::Real(x)) => query.bind(*x),
        ("double precision" | "real", Cell::Int(n)) => query.bind(*n as f64),
        ("timestamp with time zone", Cell::Null) => query.bind(None::<DateTime<Utc>>),
        ("timestamp with time zone", Cell::Text(t)) => {
            query.bind(time(t).with_context(|| at.to_string())?)
        }
        ("bytea", Cell::Null) => query.bind(None::<Vec<u8>>),
        ("bytea", Cell::Bytes(b)) => query.bind(b.clone()),
        ("text", Cell::Null) => query.bind(None::<String>),
        ("text", Cell::Text(t)) => query.bind(t.clone()),
        ("text", Cell::Int(n)) => query.bind(n.to_string()),
        ("text", Cell::Real(x)) => query.bind(x.to_string()),
        (kind, value) => bail!("{at}: cannot copy {value:?} into a {kind} column"),
    })
}

async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    table: &str,
    columns: &[String],
    types: &HashMap<String, String>,
    rows: &[Vec<Cell>],
) -> anyhow::Result<()> {
    let width = columns.len();
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let params: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
            format!("({})", params.join(", "))
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) OVERRIDING SYSTEM VALUE VALUES {}",
        columns.join(", "),
        values.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for row in rows {
        for (column, value) in columns.iter().zip(row) {
            let kind = types
                .get(column)
                .ok_or_else(|| anyhow!("{table}.{column} is not in the PostgreSQL schema"))?;
            query = bind(query, kind, value, &format!("{table}.{column}"))?;
        }
    }
    query
        .execute(&mut **tx)
        .await
        .with_context(|| format!("could not copy rows into {table}"))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_every_form_sqlx_wrote_them() {
        let want = "2026-11-25T08:30:00Z";
        for text in [
            "2026-11-25T08:30:00+00:00",
            "2026-11-25 08:30:00+00:00",
            "2026-11-25 08:30:00.000000+00:00",
            "2026-11-25 09:30:00+01:00",
            "2026-11-25 08:30:00",
        ] {
            assert_eq!(
                time(text)
                    .unwrap()
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                want,
                "{text}"
            );
        }
        assert!(time("yesterday").is_err());
    }
}
