//! Rotating roles' SQL: one row per person holding a role in a pod's week.

use crate::storage::on;
use chrono::NaiveDate;

use super::{Tx, engine::Engine};
use crate::domain::ids::UserId;

fn week_key(week: NaiveDate) -> String {
    week.format("%Y-%m-%d").to_string()
}

/// The stored roster, (role, holder) pairs (unordered; the caller sorts by
/// the pod's role order).
pub async fn roster(
    tx: &mut Tx<'_>,
    pod: &str,
    week: NaiveDate,
) -> Result<Vec<(String, UserId)>, sqlx::Error> {
    // In the order the roster was stored: SQLite's rowid, PostgreSQL's seq.
    let order = match tx.on().engine() {
        Engine::Sqlite => "rowid",
        Engine::Postgres => "seq",
    };
    let rows: Vec<(String, String)> = on!(
        tx.on(),
        format!(
            "SELECT role, user_id FROM role_rosters WHERE pod = ? AND week = ? ORDER BY {order}"
        ),
        |q, c| sqlx::query_as(q)
            .bind(pod)
            .bind(week_key(week))
            .fetch_all(c)
            .await
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(role, user)| UserId::parse(&user).ok().map(|u| (role, u)))
        .collect())
}

/// Stores a freshly rotated roster; a concurrent writer's rows win.
pub async fn record_roster(
    tx: &mut Tx<'_>,
    pod: &str,
    week: NaiveDate,
    roster: &[(String, UserId)],
) -> Result<(), sqlx::Error> {
    for (role, user) in roster {
        put(tx, "ON CONFLICT DO NOTHING", pod, week, role, user).await?;
    }
    Ok(())
}

/// Inserts one holder, `conflict` saying what a row already there does.
async fn put(
    tx: &mut Tx<'_>,
    conflict: &str,
    pod: &str,
    week: NaiveDate,
    role: &str,
    user: &UserId,
) -> Result<(), sqlx::Error> {
    on!(
        tx.on(),
        format!(
            "INSERT INTO role_rosters (pod, week, role, user_id) VALUES (?, ?, ?, ?) {conflict}"
        ),
        |q, c| sqlx::query(q)
            .bind(pod)
            .bind(week_key(week))
            .bind(role)
            .bind(user.as_str())
            .execute(c)
            .await
            .map(drop)
    )
}

/// Gives `user` `role` this week (None: no fixed role).
pub async fn assign(
    tx: &mut Tx<'_>,
    pod: &str,
    week: NaiveDate,
    user: &UserId,
    role: Option<&str>,
) -> Result<(), sqlx::Error> {
    match role {
        Some(role) => {
            let replace = "ON CONFLICT (pod, week, user_id) DO UPDATE SET role = excluded.role";
            put(tx, replace, pod, week, role, user).await?;
        }
        None => {
            on!(
                tx.on(),
                "DELETE FROM role_rosters WHERE pod = ? AND week = ? AND user_id = ?",
                |q, c| sqlx::query(q)
                    .bind(pod)
                    .bind(week_key(week))
                    .bind(user.as_str())
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
            )?;
        }
    }
    Ok(())
}
