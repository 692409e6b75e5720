//! Several replicas on one PostgreSQL database: whichever replica Slack
//! reaches, every event is applied once, every scheduled job runs once,
//! every message is sent once and in order, and a setup change reaches the
//! others. The replicas here run in this process (their own ports,
//! writers, outbox workers and schedulers); `tests/e2e/rollout.rs` runs
//! real processes for kill -9 and rolling restarts.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use needful::slack_sim::{SimUser, payloads};
use serde_json::{Value, json};

use crate::helpers::{
    DEFAULT_CONFIG, TestApp, TestOptions, event_id, first_binary_only, posts_in, spawn_on_postgres,
    wait_until,
};

const WAIT: Duration = Duration::from_secs(15);
const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const MANAGER: &str = "U0MANAGER1";
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";

fn utc(h: u32, min: u32) -> DateTime<Utc> {
    // Wednesday 2026-11-25; Berlin is UTC+1.
    Utc.with_ymd_and_hms(2026, 11, 25, h, min, 0).unwrap()
}

/// The first replica, on a fresh PostgreSQL database; None (the tests
/// skip, saying why) in the PostgreSQL binary or without PostgreSQL.
async fn first(options: TestOptions) -> Option<TestApp> {
    if first_binary_only() {
        return None;
    }
    spawn_on_postgres(options).await
}

fn celebrations(app: &TestApp) -> Vec<String> {
    posts_in(app, HUMBLEBRAG)
        .into_iter()
        .map(|(text, _)| text)
        .collect()
}

#[tokio::test]
async fn a_retry_landing_on_another_replica_is_applied_once() {
    let Some(a) = first(TestOptions::without_pods()).await else {
        return;
    };
    let b = a.replica().await;
    let ts = a
        .sim
        .post_as_user(SUPPORT, BOB, "Refund sorted for the Nakamura account");
    let id = event_id();
    let kudos = payloads::reaction_added(&id, ALICE, "trophy", Some(BOB), SUPPORT, &ts);
    assert_eq!(a.slack.event(&kudos).await.status(), 200);
    // Slack did not hear the 200 in time and retries; the load balancer
    // sends the retry to the other replica.
    assert_eq!(
        b.slack
            .event_retry(&kudos, 1, "http_timeout")
            .await
            .status(),
        200
    );
    // And once more to the first, while the second replica applies a new
    // kudos of its own.
    assert_eq!(
        a.slack
            .event_retry(&kudos, 2, "http_timeout")
            .await
            .status(),
        200
    );
    let other = a.sim.post_as_user(SUPPORT, CAROL, "Closed the backlog");
    let second =
        payloads::reaction_added(&event_id(), ALICE, "trophy", Some(CAROL), SUPPORT, &other);
    assert_eq!(b.slack.event(&second).await.status(), 200);

    assert_eq!(
        a.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
            .await,
        2
    );
    a.outbox_drained(WAIT).await;
    b.outbox_drained(WAIT).await;
    assert_eq!(celebrations(&a).len(), 2, "{}", a.sim.describe_calls());
    // The daily limit counts both, whichever replica wrote them.
    let stats = b.command("/kudos", ALICE, SUPPORT, "stats").await;
    assert!(stats.contains('2'), "{stats}");
    b.stop().await;
}

#[tokio::test]
async fn three_replicas_post_one_morning_prompt_and_one_summary() {
    // 08:50 in Berlin: all three are up before the window opens.
    let Some(a) = first(TestOptions {
        start: utc(7, 50),
        ..TestOptions::default()
    })
    .await
    else {
        return;
    };
    let b = a.replica().await;
    let c = a.replica().await;
    for at in [utc(8, 0), utc(8, 1), utc(8, 2)] {
        for app in [&a, &b, &c] {
            app.advance_to(at).await;
        }
    }
    a.sim.wait_for("chat.postMessage", 1, WAIT).await;
    for app in [&a, &b, &c] {
        app.outbox_drained(WAIT).await;
    }
    let prompts = |app: &TestApp| {
        posts_in(app, SUPPORT)
            .into_iter()
            .filter(|(_, blocks)| blocks.to_string().contains("checkin_open"))
            .count()
    };
    assert_eq!(prompts(&a), 1, "{}", a.sim.describe_calls());
    assert_eq!(
        a.count("SELECT COUNT(*) FROM job_runs WHERE kind = 'checkin_prompt'")
            .await,
        1
    );
    // The window closes at 11:00 in Berlin: one summary, from one of them.
    for app in [&a, &b, &c] {
        app.advance_to(utc(10, 1)).await;
    }
    for app in [&a, &b, &c] {
        app.outbox_drained(WAIT).await;
    }
    assert_eq!(
        a.count("SELECT COUNT(*) FROM job_runs WHERE kind = 'checkin_summary'")
            .await,
        1
    );
    b.stop().await;
    c.stop().await;
}

/// `{block: value}` into state.values (each block's action id is its own).
fn state(fields: &[(&str, Value)]) -> Value {
    let mut values = serde_json::Map::new();
    for (block, value) in fields {
        values.insert(block.to_string(), json!({ *block: value }));
    }
    Value::Object(values)
}

#[tokio::test]
async fn a_setup_change_made_through_one_replica_reaches_the_other_within_a_tick() {
    let Some(a) = first(TestOptions::default()).await else {
        return;
    };
    let b = a.replica().await;
    a.sim
        .add_user(SimUser::human("U0DAVE0001", "dave", "Dave Diaz"));
    let before = b.command("/needful", ALICE, SUPPORT, "pods").await;
    assert!(!before.contains("U0DAVE0001"), "{before}");
    let form = state(&[
        (
            "name",
            json!({"type": "plain_text_input", "value": "support"}),
        ),
        (
            "channel",
            json!({"type": "conversations_select", "selected_conversation": SUPPORT}),
        ),
        (
            "managers",
            json!({"type": "multi_users_select", "selected_users": [MANAGER]}),
        ),
        (
            "members",
            json!({"type": "multi_users_select", "selected_users": [ALICE, BOB, CAROL, "U0DAVE0001"]}),
        ),
        (
            "help_channels",
            json!({"type": "multi_conversations_select", "selected_conversations": ["C0SALES001"]}),
        ),
        (
            "overtime_note",
            json!({"type": "plain_text_input", "value": ""}),
        ),
    ]);
    let submitted = payloads::view_submission(MANAGER, "setup_pod:support", "", form);
    let answer = a.slack.interaction(&submitted).await;
    assert_eq!(answer.status(), 200);
    assert!(
        answer.text().await.unwrap_or_default().contains("Saved"),
        "the first replica saved it"
    );
    // The other replica reads the setup's version every second.
    let started = std::time::Instant::now();
    wait_until("the other replica to see the new member", async || {
        b.command("/needful", ALICE, SUPPORT, "pods")
            .await
            .contains("U0DAVE0001")
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    b.stop().await;
}

#[tokio::test]
async fn messages_go_out_once_in_order_and_paced_per_channel_across_replicas() {
    let Some(a) = first(TestOptions::without_pods()).await else {
        return;
    };
    let b = a.replica().await;
    // Twelve kudos, alternately through each replica, each celebrated in
    // #humblebrag: both outbox workers compete for the same channel.
    let mut sent = Vec::new();
    for i in 0..12 {
        let author = [BOB, CAROL][i % 2];
        let ts = a
            .sim
            .post_as_user(SUPPORT, author, &format!("Ticket {i} closed"));
        let giver = format!("U0FAN{i:05}");
        let kudos =
            payloads::reaction_added(&event_id(), &giver, "trophy", Some(author), SUPPORT, &ts);
        let app = [&a, &b][i % 2];
        assert_eq!(app.slack.event(&kudos).await.status(), 200);
        sent.push(ts);
    }
    wait_until("every celebration to be posted or merged", async || {
        a.count("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
            .await
            == 0
    })
    .await;
    // Each kudos is celebrated once (a roundup may carry several).
    let posted: Vec<String> = a
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(HUMBLEBRAG))
        .map(|c| c.params.to_string())
        .collect();
    for ts in &sent {
        let link = format!("p{}", ts.replace('.', ""));
        let times = posted.iter().filter(|p| p.contains(&link)).count();
        assert_eq!(times, 1, "{link} celebrated {times} times: {posted:?}");
    }
    // One channel, one post at a time: Slack's pace of about one a second
    // holds across both replicas.
    let times: Vec<_> = a
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(HUMBLEBRAG))
        .map(|c| c.at)
        .collect();
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= Duration::from_millis(900),
            "two posts {gap:?} apart: {posted:?}"
        );
    }
    b.stop().await;
}

#[tokio::test]
async fn the_whole_default_setup_runs_on_two_replicas() {
    // A smoke run of a day's commands through both replicas.
    let Some(a) = first(TestOptions::default()).await else {
        return;
    };
    let b = a.replica().await;
    let reply = a
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}> calmed an angry caller"),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    let reply = b
        .command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    assert!(!reply.contains("went wrong"), "{reply}");
    let status = a.command("/understaffed", MANAGER, SUPPORT, "status").await;
    assert!(status.contains("two out sick"), "{status}");
    b.stop().await;
}

/// The hardening storm (`dropped.rs`) over two replicas: connections reset
/// part-way on both, writes abandoned behind the other's lock, Slack's
/// retries landing on the other replica; nothing acknowledged is lost and
/// nothing is applied twice.
#[tokio::test]
async fn connections_reset_mid_flight_on_two_replicas_lose_nothing_acked() {
    let Some(a) = first(TestOptions {
        config: DEFAULT_CONFIG.replace("daily_limit = 5", "daily_limit = 10000"),
        ..TestOptions::default()
    })
    .await
    else {
        return;
    };
    let b = a.replica().await;
    crate::dropped::storm(&[&a, &b]).await;
    b.stop().await;
}

/// Two replicas, each with its own Socket Mode connection: Slack spreads
/// envelopes over them (the simulator in turn), and a retry may reach the
/// other one. Each kudos is applied once, and both answer commands.
#[tokio::test]
async fn socket_mode_replicas_share_the_envelopes_and_apply_each_once() {
    let Some(a) = first(TestOptions {
        mode: needful::Mode::SocketMode,
        ..TestOptions::without_pods()
    })
    .await
    else {
        return;
    };
    let b = a.replica().await;
    a.sim.wait_socket_connected(2, WAIT).await;
    for i in 0..6 {
        let ts = a
            .sim
            .post_as_user(SUPPORT, BOB, &format!("Ticket {i} closed"));
        let giver = format!("U0FAN{i:05}");
        let kudos =
            payloads::reaction_added(&event_id(), &giver, "trophy", Some(BOB), SUPPORT, &ts);
        a.sim
            .socket_send("events_api", kudos.clone(), WAIT)
            .await
            .expect("acked");
        // Slack's retry goes to whichever connection is next: the other one.
        a.sim
            .socket_send_retry("events_api", kudos, 1, "timeout", WAIT)
            .await
            .expect("acked");
    }
    assert_eq!(
        a.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
            .await,
        6
    );
    for _ in 0..2 {
        let reply = a
            .sim
            .socket_send(
                "slash_commands",
                payloads::command_json("/kudos", ALICE, SUPPORT, "stats"),
                WAIT,
            )
            .await
            .expect("acked");
        assert!(
            !reply["payload"]["text"]
                .as_str()
                .unwrap_or_default()
                .contains("went wrong"),
            "{reply}"
        );
    }
    b.stop().await;
}
