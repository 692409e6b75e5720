//! Every privileged action refuses a non-manager and changes nothing: no row
//! in any feature table, no outbox message.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

const MANAGER: &str = "U0MANAGER1";
const ALICE: &str = "U0ALICE001";
const SUPPORT: &str = "C0SUPPORT1";
const WAIT: Duration = Duration::from_secs(10);

/// Tables a privileged action could write to.
const TABLES: &[&str] = &[
    "trophy_passes",
    "checkin_prompts",
    "checkins",
    "checkin_away",
    "staffing_switches",
    "staffing_helpers",
    "role_rosters",
    "kudos_log",
    "slack_messages",
];

/// Every row of the feature tables, plus how many outbox rows exist.
pub async fn snapshot(app: &TestApp) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for table in TABLES {
        let content: Option<String> = if crate::helpers::on_postgres() {
            // Each row as PostgreSQL writes a record, in one order.
            app.scalar(&format!(
                "SELECT string_agg(t::TEXT, ';' ORDER BY t::TEXT) FROM {table} AS t"
            ))
            .await
        } else {
            let columns: Vec<(String,)> = app
                .rows(
                    &format!("SELECT name FROM pragma_table_info('{table}')"),
                    &[],
                )
                .await;
            let row = columns
                .iter()
                .map(|(c,)| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || ',' || ");
            app.scalar(&format!(
                "SELECT group_concat({row}, ';') FROM (SELECT * FROM {table} ORDER BY rowid)"
            ))
            .await
        };
        out.push((table.to_string(), content.unwrap_or_default()));
    }
    let outbox: i64 = app.count("SELECT COUNT(*) FROM outbox").await;
    out.push(("outbox".into(), outbox.to_string()));
    out
}

/// A settled app: the scheduler has run at the start time and the outbox is empty.
async fn settled() -> TestApp {
    let app = spawn_app().await;
    app.advance_to(crate::helpers::TestOptions::default().start)
        .await;
    app.outbox_drained(WAIT).await;
    app
}

/// Runs `command text` as alice (a pod member, not a manager): refused, in an
/// ephemeral reply that says it is for managers, and nothing changes.
async fn refused_for_alice(app: &TestApp, command: &str, text: &str) {
    app.outbox_drained(WAIT).await;
    let before = snapshot(app).await;
    let resp = app.slack.command(command, ALICE, SUPPORT, text).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    let reply = body["text"].as_str().unwrap_or_default();
    assert_eq!(body["response_type"], "ephemeral", "{body}");
    assert!(
        reply.contains(&format!("<@{MANAGER}>")) || reply.to_lowercase().contains("manager"),
        "{command} {text}: {reply}"
    );
    // Anything the command queued would be in the outbox by now.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after = snapshot(app).await;
    for ((table, was), (_, is)) in before.iter().zip(&after) {
        assert_eq!(was, is, "{command} {text} changed {table}");
    }
}

#[tokio::test]
async fn understaffed_on_is_for_managers() {
    let app = settled().await;
    refused_for_alice(&app, "/understaffed", "on two out sick").await;
}

#[tokio::test]
async fn understaffed_off_is_for_managers() {
    let app = settled().await;
    let on = app
        .command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    assert!(!on.to_lowercase().contains("only"), "{on}");
    refused_for_alice(&app, "/understaffed", "off").await;
}

#[tokio::test]
async fn roles_swap_is_for_managers() {
    let app = settled().await;
    // Seeing the roster is for everyone (and makes this week's roster).
    app.command("/roles", ALICE, SUPPORT, "").await;
    refused_for_alice(&app, "/roles", "swap <@U0BOB00001|bob> <@U0CAROL001|carol>").await;
}

#[tokio::test]
async fn roles_set_is_for_managers() {
    let app = settled().await;
    app.command("/roles", ALICE, SUPPORT, "").await;
    refused_for_alice(&app, "/roles", "set <@U0BOB00001> triage").await;
}

#[tokio::test]
async fn trophy_reassign_is_for_managers() {
    let app = settled().await;
    let first = app
        .command(
            "/trophy",
            MANAGER,
            SUPPORT,
            "pass <@U0BOB00001|bob> fixed the Acme outage",
        )
        .await;
    assert!(!first.to_lowercase().contains("only"), "{first}");
    refused_for_alice(
        &app,
        "/trophy",
        "reassign <@U0CAROL001|carol> bob is on leave",
    )
    .await;
}

#[tokio::test]
async fn checkin_status_is_for_managers() {
    let app = settled().await;
    app.command("/checkin", "U0BOB00001", SUPPORT, "Refund queue")
        .await;
    refused_for_alice(&app, "/checkin", "status").await;
}
