//! Bounds on what one person can make needful write and say: refused
//! reactions and a reaction toggled over and over leave a handful of rows
//! and messages, not one per event.

use std::time::Duration;

use needful::{clock::Clock as _, slack_sim::payloads};

use crate::helpers::{TestApp, ephemerals_to, event_id, spawn_app};

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const SUPPORT: &str = "C0SUPPORT1";
const WAIT: Duration = Duration::from_secs(15);

async fn react(app: &TestApp, added: bool, giver: &str, ts: &str) {
    let id = event_id();
    let event = if added {
        payloads::reaction_added(&id, giver, "trophy", Some(BOB), SUPPORT, ts)
    } else {
        payloads::reaction_removed(&id, giver, "trophy", Some(BOB), SUPPORT, ts)
    };
    assert_eq!(app.slack.event(&event).await.status(), 200);
}

/// Outbox rows ever queued for `user` as a refusal (ephemeral or its DM fallback).
async fn notices_queued(app: &TestApp) -> i64 {
    app.count(&format!(
        "SELECT COUNT(*) FROM outbox WHERE method = 'chat.postEphemeral' AND payload LIKE '%{ALICE}%'"
    ))
    .await
}

#[tokio::test]
async fn refused_reactions_send_one_notice_per_person_and_reason_every_ten_minutes() {
    let app = spawn_app().await;
    let messages: Vec<String> = (0..205)
        .map(|i| {
            app.sim
                .post_as_user(SUPPORT, BOB, &format!("Ticket {i} closed"))
        })
        .collect();
    // Five kudos (the daily limit), then 200 refused ones.
    for ts in &messages {
        react(&app, true, ALICE, ts).await;
    }
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM kudos_log WHERE giver = '{ALICE}'"
        ))
        .await,
        5
    );
    assert_eq!(notices_queued(&app).await, 1, "one notice for 200 refusals");

    // The limit lives in the database: a restart does not reset it.
    let app = app.restart().await;
    let more: Vec<String> = (0..20)
        .map(|i| {
            app.sim
                .post_as_user(SUPPORT, BOB, &format!("Chat {i} answered"))
        })
        .collect();
    for ts in &more[..10] {
        react(&app, true, ALICE, ts).await;
    }
    assert_eq!(notices_queued(&app).await, 1, "still one after a restart");

    // Ten minutes on, the next refusal is told again, once.
    app.advance_to(app.clock.now() + chrono::Duration::minutes(11))
        .await;
    for ts in &more[10..] {
        react(&app, true, ALICE, ts).await;
    }
    assert_eq!(notices_queued(&app).await, 2);
    app.outbox_drained(WAIT).await;
    let told = ephemerals_to(&app.sim, ALICE).len();
    assert_eq!(told, 2, "Alice heard twice in all");
}

#[tokio::test]
async fn a_reaction_toggled_a_thousand_times_leaves_a_handful_of_rows_and_messages() {
    let app = spawn_app().await;
    let ts = app
        .sim
        .post_as_user(SUPPORT, BOB, "Refund sent to the customer");
    let outbox_before = app.count("SELECT COUNT(*) FROM outbox").await;
    for _ in 0..1000 {
        react(&app, true, ALICE, &ts).await;
        react(&app, false, ALICE, &ts).await;
    }
    let rows = app
        .count(&format!(
            "SELECT COUNT(*) FROM kudos_log WHERE giver = '{ALICE}'"
        ))
        .await;
    assert!(rows <= 6, "{rows} kudos rows for one toggled reaction");
    let queued = app.count("SELECT COUNT(*) FROM outbox").await - outbox_before;
    assert!(
        queued <= 12,
        "{queued} messages queued for one toggled reaction"
    );
    // It settled as given: the kudos still counts, and Bob's stats say so.
    let standing = app
        .count(&format!(
            "SELECT COUNT(*) FROM kudos_log g WHERE giver = '{ALICE}' AND kind = 'given' \
             AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = g.id)"
        ))
        .await;
    assert_eq!(standing, 1);
    let stats = app.command("/kudos", BOB, SUPPORT, "stats").await;
    assert!(
        stats.contains("Received: 1 this week · 1 this month · 1 in all"),
        "{stats}"
    );
    // The history keeps every give and take-back that was recorded.
    let export = app
        .count(&format!(
            "SELECT COUNT(*) FROM kudos_log WHERE giver = '{ALICE}' AND kind = 'retracted'"
        ))
        .await;
    assert_eq!(export, rows - 3, "three gives, the rest take-backs");
    app.outbox_drained(WAIT).await;
    let settled = ephemerals_to(&app.sim, ALICE);
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert!(settled[0].contains("still counts"), "{settled:?}");
}
