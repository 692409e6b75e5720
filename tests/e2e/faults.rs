//! Faults: a locked database, odd input, and Slack retrying through them.

use std::time::{Duration, Instant};

use needful::slack_sim::payloads;
use sqlx::Connection as _;

use crate::helpers::{event_id, spawn_app};

#[tokio::test]
async fn a_locked_database_fails_cleanly_and_recovers() {
    let app = spawn_app().await;
    let path = app.dir.path().join("needful.db");
    let mut locker = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .await
        .unwrap();

    let event = payloads::app_home_opened(&event_id(), "U0ALICE001");
    let started = Instant::now();
    let resp = app.slack.event(&event).await;
    // A clean, retryable failure, still inside Slack's 3-second deadline.
    assert_eq!(resp.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
    // Reads still work in WAL mode, so health stays up: only writes wait.

    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    // Slack's retry of the same event now goes through, once.
    assert_eq!(
        app.slack
            .event_retry(&event, 1, "http_error")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.slack
            .event_retry(&event, 2, "http_error")
            .await
            .status(),
        200
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 1);
    assert_eq!(app.get("/healthz").await.status(), 200);
    // A command during a lock gets a kind word, not an error page.
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut locker)
        .await
        .unwrap();
    let text = app
        .command("/kudos", "U0ALICE001", "C0SUPPORT1", "stats")
        .await;
    sqlx::query("ROLLBACK").execute(&mut locker).await.unwrap();
    assert!(text.contains("nothing was changed"), "{text}");
}
