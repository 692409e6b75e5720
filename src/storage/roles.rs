//! Rotating roles' SQL: one row per person holding a role in a pod's week.

use chrono::NaiveDate;

use super::Tx;
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
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT role, user_id FROM role_rosters WHERE pod = ? AND week = ? ORDER BY rowid",
    )
    .bind(pod)
    .bind(week_key(week))
    .fetch_all(tx.conn())
    .await?;
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
        sqlx::query(
            "INSERT INTO role_rosters (pod, week, role, user_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(pod)
        .bind(week_key(week))
        .bind(role)
        .bind(user.as_str())
        .execute(tx.conn())
        .await?;
    }
    Ok(())
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
            sqlx::query(
                "INSERT INTO role_rosters (pod, week, role, user_id) VALUES (?, ?, ?, ?)
                 ON CONFLICT (pod, week, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(pod)
            .bind(week_key(week))
            .bind(role)
            .bind(user.as_str())
            .execute(tx.conn())
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM role_rosters WHERE pod = ? AND week = ? AND user_id = ?")
                .bind(pod)
                .bind(week_key(week))
                .bind(user.as_str())
                .execute(tx.conn())
                .await?;
        }
    }
    Ok(())
}
