//! The spine: verification, dedupe, the outbox against a misbehaving Slack,
//! restarts, Socket Mode, health and metrics.

use std::time::Duration;

use needful::{
    Mode,
    outbox::{self, Outgoing},
    slack_sim::{FailRule, Failure, payloads},
    storage,
};
use serde_json::json;

use crate::helpers::{TestApp, TestOptions, event_id, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);

/// No pod (nothing else posts), and pacing and Retry-After on a manual timer.
fn timed() -> TestOptions {
    TestOptions {
        manual_timer: true,
        ..TestOptions::without_pods()
    }
}

/// The posts this app made in `channel` that Slack took.
fn posts_in(app: &TestApp, channel: &str) -> Vec<needful::slack_sim::Call> {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .collect()
}

#[tokio::test]
async fn url_verification_echoes_the_challenge() {
    let app = spawn_app().await;
    let resp = app
        .slack
        .event(&payloads::url_verification(
            "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        ))
        .await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        body["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn forged_stale_and_unsigned_requests_get_401_and_change_nothing() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let event = payloads::app_home_opened(&event_id(), "U0ALICE001");
    let body = serde_json::to_vec(&event).unwrap();
    let now = chrono::Utc::now().timestamp();

    let forged = app
        .slack
        .clone()
        .with_secret("not-the-secret")
        .event(&event)
        .await;
    assert_eq!(forged.status(), 401);

    let stale_sig = app.slack.sign(now - 301, &body);
    let stale = app
        .slack
        .raw(
            "/slack/events",
            body.clone(),
            "application/json",
            vec![
                ("X-Slack-Request-Timestamp".into(), (now - 301).to_string()),
                ("X-Slack-Signature".into(), stale_sig),
            ],
        )
        .await;
    assert_eq!(stale.status(), 401);

    let future_sig = app.slack.sign(now + 301, &body);
    let future = app
        .slack
        .raw(
            "/slack/events",
            body.clone(),
            "application/json",
            vec![
                ("X-Slack-Request-Timestamp".into(), (now + 301).to_string()),
                ("X-Slack-Signature".into(), future_sig),
            ],
        )
        .await;
    assert_eq!(future.status(), 401);

    let unsigned = app
        .slack
        .raw("/slack/events", body.clone(), "application/json", vec![])
        .await;
    assert_eq!(unsigned.status(), 401);

    let command = app
        .slack
        .raw(
            "/slack/commands",
            b"command=%2Fkudos&text=stats&user_id=U0ALICE001&channel_id=C0SUPPORT1".to_vec(),
            "application/x-www-form-urlencoded",
            vec![],
        )
        .await;
    assert_eq!(command.status(), 401);

    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("needful_rejected_signatures_total"),
        "{metrics}"
    );
}

#[tokio::test]
async fn ssl_check_is_answered_without_a_signature() {
    let app = spawn_app().await;
    let resp = app
        .slack
        .raw(
            "/slack/commands",
            b"ssl_check=1&token=Nf7kQ2xLm9RtVb4WcZp8YdHs".to_vec(),
            "application/x-www-form-urlencoded",
            vec![],
        )
        .await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = spawn_app().await;
    let big = vec![b'a'; 1024 * 1024 + 1];
    // Signed, since an unsigned request is refused (401) before its size matters.
    let ts = chrono::Utc::now().timestamp();
    let headers = vec![
        ("x-slack-request-timestamp".to_string(), ts.to_string()),
        ("x-slack-signature".to_string(), app.slack.sign(ts, &big)),
    ];
    let resp = app
        .slack
        .raw("/slack/events", big, "application/json", headers)
        .await;
    assert_eq!(resp.status(), 413);
}

#[tokio::test]
async fn malformed_bodies_never_500() {
    let app = spawn_app().await;
    for (path, body) in [
        ("/slack/events", "{not json"),
        ("/slack/events", "{\"type\":\"event_callback\"}"),
        ("/slack/commands", "%%%&&&=="),
        ("/slack/interactions", "payload=%7Bnope"),
        ("/slack/interactions", "nothing=here"),
    ] {
        let bytes = body.as_bytes().to_vec();
        let ts = chrono::Utc::now().timestamp();
        let sig = app.slack.sign(ts, &bytes);
        let resp = app
            .slack
            .raw(
                path,
                bytes,
                "application/x-www-form-urlencoded",
                vec![
                    ("X-Slack-Request-Timestamp".into(), ts.to_string()),
                    ("X-Slack-Signature".into(), sig),
                ],
            )
            .await;
        // A body that will never parse: 400, and Slack is told not to retry it.
        assert_eq!(resp.status(), 400, "{path} {body}");
        assert_eq!(
            resp.headers().get("x-slack-no-retry").map(|v| v.as_bytes()),
            Some(&b"1"[..]),
            "{path} {body}"
        );
    }
    // An event type needful does not handle is acknowledged quietly.
    let unknown = json!({"type":"event_callback","team_id":"T0TEAM0001","api_app_id":"A0NEEDFUL1","event_id":event_id(),"event_time":1732600000,
        "event":{"type":"pin_added","user":"U0ALICE001","channel_id":"C0SUPPORT1","event_ts":"1732600000.000100"}});
    assert_eq!(app.slack.event(&unknown).await.status(), 200);
}

#[tokio::test]
async fn a_redelivered_event_changes_nothing() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let event = payloads::app_home_opened(&event_id(), "U0ALICE001");
    assert_eq!(app.slack.event(&event).await.status(), 200);
    assert_eq!(
        app.slack
            .event_retry(&event, 1, "http_timeout")
            .await
            .status(),
        200
    );
    // A retry racing the first delivery: both at once.
    let racing = payloads::app_home_opened(&event_id(), "U0BOB00001");
    let (a, b) = tokio::join!(
        app.slack.event(&racing),
        app.slack.event_retry(&racing, 1, "http_timeout")
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));

    app.sim.wait_for("views.publish", 2, WAIT).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 2);
    assert_eq!(app.sim.calls_to("views.publish").len(), 2);
}

async fn enqueue_all(app: &crate::helpers::TestApp, messages: &[Outgoing]) {
    let messages = messages.to_vec();
    app.writer
        .transaction(move |tx| {
            Box::pin(async move {
                for m in &messages {
                    outbox::enqueue(tx, m).await?;
                }
                Ok::<_, sqlx::Error>(())
            })
        })
        .await
        .unwrap();
}

fn post(channel: &str, text: &str) -> Outgoing {
    Outgoing::Post {
        channel: channel.into(),
        text: text.into(),
        blocks: None,
        thread_ts: None,
        key: None,
        link_to: None,
    }
}

fn texts(app: &crate::helpers::TestApp, channel: &str) -> Vec<String> {
    // What this app posted (the simulator's channels hold seeded messages too).
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .filter_map(|c| c.params["text"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn the_outbox_honours_a_429_storm_per_method() {
    let app = spawn_app_with(timed()).await;
    app.sim.fail(FailRule::times(
        "chat.postMessage",
        3,
        Failure::RateLimited {
            retry_after_secs: 1,
        },
    ));
    enqueue_all(
        &app,
        &[post("C0SUPPORT1", "one"), post("C0SUPPORT1", "two")],
    )
    .await;
    app.calls_answered("chat.postMessage", 1).await;
    // views.publish is another method: Slack's limit on chat.postMessage
    // must not hold it up. The timer has not moved at all.
    app.slack
        .event(&payloads::app_home_opened(&event_id(), "U0CAROL001"))
        .await;
    app.sim.wait_for("views.publish", 1, WAIT).await;

    app.drain_by_timer(Duration::from_millis(100), Duration::from_secs(10))
        .await;
    assert_eq!(texts(&app, "C0SUPPORT1"), vec!["one", "two"]);
    let calls = app.sim.calls_to("chat.postMessage");
    let limited: Vec<_> = calls.iter().filter(|c| c.status == 429).collect();
    assert_eq!(
        limited.len(),
        3,
        "each 429 is tried again once, not hammered"
    );
    // Each retry waited at least the Retry-After second.
    for pair in calls.windows(2) {
        if pair[0].status == 429 {
            assert!(
                pair[1].at - pair[0].at >= Duration::from_secs(1),
                "retried after {:?}",
                pair[1].at - pair[0].at
            );
        }
    }
}

#[tokio::test]
async fn the_outbox_outlasts_an_outage_and_keeps_channel_order() {
    let app = spawn_app_with(timed()).await;
    app.sim.fail(FailRule {
        method: None,
        times: None,
        failure: Failure::Status(500),
    });
    let mut batch = Vec::new();
    for i in 0..4 {
        batch.push(post("C0SUPPORT1", &format!("support {i}")));
        batch.push(post("C0SALES001", &format!("sales {i}")));
    }
    enqueue_all(&app, &batch).await;
    // A second and a half of outage, retried with backoff all along.
    app.calls_answered("chat.postMessage", 2).await;
    for _ in 0..15 {
        app.advance_timer(Duration::from_millis(100)).await;
    }
    let health: serde_json::Value = app.get("/healthz").await.json().await.unwrap();
    assert_eq!(health["outbox_pending"], 8, "{health}");
    let calls = app.sim.calls_to("chat.postMessage");
    assert!(
        calls.len() > 2,
        "retried during the outage: {}",
        calls.len()
    );
    assert!(calls.iter().all(|c| c.status == 500));
    app.sim.clear_faults();

    // Paced: exactly one post a second in each channel.
    for second in 1..=4 {
        app.advance_timer(Duration::from_secs(1)).await;
        for channel in ["C0SUPPORT1", "C0SALES001"] {
            assert_eq!(posts_in(&app, channel).len(), second, "{channel}");
        }
    }
    app.outbox_drained(WAIT).await;
    assert_eq!(
        texts(&app, "C0SUPPORT1"),
        (0..4).map(|i| format!("support {i}")).collect::<Vec<_>>()
    );
    assert_eq!(
        texts(&app, "C0SALES001"),
        (0..4).map(|i| format!("sales {i}")).collect::<Vec<_>>()
    );
    let posts = posts_in(&app, "C0SUPPORT1");
    for pair in posts.windows(2) {
        assert_eq!(pair[1].at - pair[0].at, Duration::from_secs(1));
    }
    assert_eq!(app.sim.rate_limited_count(), 0);
}

/// Business time and Slack's time part: moving the app's clock a month on
/// (a rehearsal, a test) releases neither a paced post nor one held by a
/// Retry-After; the timer running on does.
#[tokio::test]
async fn a_clock_jump_releases_nothing_early_and_the_timer_does() {
    let app = spawn_app_with(timed()).await;
    let month = chrono::Duration::days(30);
    // Paced: the first post goes at once, the second waits its second.
    enqueue_all(
        &app,
        &[post("C0SUPPORT1", "first"), post("C0SUPPORT1", "paced")],
    )
    .await;
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.clock.advance(month);
    app.advance_timer(Duration::from_millis(900)).await;
    assert_eq!(
        texts(&app, "C0SUPPORT1"),
        ["first"],
        "released by the clock"
    );
    app.advance_timer(Duration::from_millis(100)).await;
    assert_eq!(texts(&app, "C0SUPPORT1"), ["first", "paced"]);

    // Held by a Retry-After of a minute.
    app.sim.fail(FailRule::once(
        "chat.postMessage",
        Failure::RateLimited {
            retry_after_secs: 60,
        },
    ));
    enqueue_all(&app, &[post("C0SALES001", "held")]).await;
    app.calls_answered("chat.postMessage", 3).await;
    app.clock.advance(month);
    app.advance_timer(Duration::from_secs(59)).await;
    assert_eq!(
        app.sim.calls_to("chat.postMessage").len(),
        3,
        "called early"
    );
    assert!(texts(&app, "C0SALES001").is_empty());
    app.advance_timer(Duration::from_secs(2)).await;
    assert_eq!(texts(&app, "C0SALES001"), ["held"]);
    app.outbox_drained(WAIT).await;
}

#[tokio::test]
async fn permanent_errors_are_given_up_with_the_reason() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    enqueue_all(
        &app,
        &[post("C0NOSUCH01", "lost"), post("C0SUPPORT1", "fine")],
    )
    .await;
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    let reason: String = app
        .scalar::<String>("SELECT last_error FROM outbox WHERE status = 'failed'")
        .await;
    assert_eq!(reason, "channel_not_found");
    assert_eq!(texts(&app, "C0SUPPORT1"), vec!["fine"]);
}

#[tokio::test]
async fn pending_messages_are_delivered_after_a_restart() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let (sim, dir, clock, config, mode) = app.stop().await;
    // Rows written while the bot was down (as if it crashed after committing).
    let db = storage::connect(&crate::helpers::app_database_url(&dir))
        .await
        .unwrap();
    let mut tx = storage::Tx::write(&db, chrono::Utc::now()).await.unwrap();
    for i in 0..3 {
        outbox::enqueue(&mut tx, &post("C0SUPPORT1", &format!("after restart {i}")))
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    db.close().await;
    let _ = (clock, mode);
    let app = crate::helpers::restart_on(sim, dir, config).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(
        texts(&app, "C0SUPPORT1"),
        vec!["after restart 0", "after restart 1", "after restart 2"]
    );
}

#[tokio::test]
async fn socket_mode_round_trip() {
    let app = spawn_app_with(TestOptions {
        mode: Mode::SocketMode,
        ..TestOptions::default()
    })
    .await;
    let event = payloads::app_home_opened(&event_id(), "U0ALICE001");
    let ack = app
        .sim
        .socket_send("events_api", event.clone(), WAIT)
        .await
        .expect("acked");
    assert!(ack["envelope_id"].is_string());
    app.sim.wait_for("views.publish", 1, WAIT).await;
    // Redelivered over the socket: acknowledged, applied once.
    app.sim
        .socket_send("events_api", event, WAIT)
        .await
        .expect("acked");
    let reply = app
        .sim
        .socket_send(
            "slash_commands",
            payloads::command_json("/nosuch", "U0ALICE001", "C0SUPPORT1", ""),
            WAIT,
        )
        .await
        .expect("acked");
    assert!(
        reply["payload"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("/kudos"),
        "{reply}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(app.sim.calls_to("views.publish").len(), 1);
    // In Socket Mode nobody should be POSTing Slack requests to us.
    assert_eq!(
        app.slack
            .event(&payloads::url_verification("x"))
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn health_and_metrics_report_state() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    app.slack
        .event(&payloads::app_home_opened(&event_id(), "U0ALICE001"))
        .await;
    app.sim.wait_for("views.publish", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    // SQLite's WAL checkpointer reports after its first round (every 100 ms);
    // PostgreSQL has none.
    let wal = !crate::helpers::on_postgres();
    let deadline = tokio::time::Instant::now() + WAIT;
    let metrics = loop {
        let metrics = app.get("/metrics").await.text().await.unwrap();
        if !wal
            || metrics.contains("needful_wal_frames_waiting")
            || tokio::time::Instant::now() > deadline
        {
            break metrics;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let names = [
        "needful_requests_total",
        "needful_ack_seconds_bucket",
        "needful_outbox_depth",
        "needful_slack_api_calls_total",
    ];
    for name in names
        .iter()
        .chain(wal.then_some(&"needful_wal_frames_waiting"))
    {
        assert!(metrics.contains(name), "{name} missing from:\n{metrics}");
    }
    assert!(metrics.contains("method=\"views.publish\""), "{metrics}");
    app.db.close().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 503);
}

#[tokio::test]
async fn unknown_commands_get_help() {
    let app = spawn_app().await;
    let text = app.command("/nosuch", "U0ALICE001", "C0SUPPORT1", "").await;
    assert!(
        text.contains("/kudos") && text.contains("/trophy"),
        "{text}"
    );
}

#[tokio::test]
async fn a_refused_message_sends_its_fallback_and_links_resolve() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    app.writer
        .transaction(|tx| {
            Box::pin(async move {
                outbox::enqueue_with_fallback(
                    tx,
                    &post("C0NOSUCH01", "celebration"),
                    Some(Outgoing::Ephemeral {
                        channel: "C0SUPPORT1".into(),
                        user: "U0BOB00001".into(),
                        text: "I could not post there; invite me with /invite @needful".into(),
                        blocks: None,
                    }),
                )
                .await?;
                outbox::enqueue(
                    tx,
                    &Outgoing::Post {
                        channel: "C0HUMBLEBR".into(),
                        text: format!("\"{}\" see {}", outbox::QUOTE, outbox::PERMALINK),
                        blocks: None,
                        thread_ts: None,
                        key: None,
                        link_to: Some(outbox::MessageRef {
                            channel: "C0SUPPORT1".into(),
                            ts: "1732600000.000200".into(),
                        }),
                    },
                )
                .await
            })
        })
        .await
        .unwrap();
    let notices = app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert!(
        notices[0].params["text"]
            .as_str()
            .unwrap()
            .contains("/invite")
    );
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    let text = texts(&app, "C0HUMBLEBR").pop().unwrap();
    assert!(
        text.contains("see https://") && text.contains("/archives/C0SUPPORT1/p1732600000000200"),
        "{text}"
    );
    assert!(
        text.starts_with("\"Refund queue is clear again"),
        "the quote is the message's text: {text}"
    );
}

#[tokio::test]
async fn bots_are_learned_from_their_messages() {
    let app = spawn_app().await;
    let mut event = payloads::message(
        &event_id(),
        "U0OTHERBOT",
        "C0SALES001",
        "1732600100.000100",
        "Deal closed",
        None,
    );
    event["event"]["bot_id"] = json!("B0DEALDESK");
    assert_eq!(app.slack.event(&event).await.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM known_bots WHERE user_id = 'U0OTHERBOT'")
            .await,
        1
    );
    // needful learns its own user id from auth.test at start-up.
    assert!(app.sim.calls_to("auth.test").iter().any(|c| c.ok));
}

#[tokio::test]
async fn failed_interactions_still_tell_the_person() {
    let app = spawn_app().await;
    let locker = app.lock_database().await;

    // A modal submission keeps the modal open with the error on its field.
    let submit = payloads::view_submission(
        "U0BOB00001",
        "checkin_modal",
        "{\"pod\":\"support\",\"day\":\"2026-11-25\"}",
        json!({"note": {"note": {"type": "plain_text_input", "value": "Billing queue"}}}),
    );
    let resp = app.slack.interaction(&submit).await;
    assert_eq!(resp.status(), 200);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("try again"),
        "{body}"
    );

    // A button press gets an ephemeral note through its response_url.
    let press = payloads::block_actions(
        "U0BOB00001",
        "C0SUPPORT1",
        "1732608000.000100",
        "checkin_open",
        "support:2026-11-25",
    );
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    let notes = app.sim.wait_for("response_url", 1, WAIT).await;
    assert!(
        notes[0].params["text"]
            .as_str()
            .unwrap_or_default()
            .contains("try again"),
        "{:?}",
        notes[0].params
    );
    locker.release().await;
}

#[tokio::test]
async fn a_signing_secret_can_be_rotated() {
    // SLACK_SIGNING_SECRET=new,old while Slack switches over.
    let app = spawn_app_with(TestOptions {
        extra_secrets: vec!["the-old-secret".into()],
        ..TestOptions::without_pods()
    })
    .await;
    let event = |user| payloads::app_home_opened(&event_id(), user);
    assert_eq!(app.slack.event(&event("U0ALICE001")).await.status(), 200);
    let old = app.slack.clone().with_secret("the-old-secret");
    assert_eq!(old.event(&event("U0BOB00001")).await.status(), 200);
    let neither = app.slack.clone().with_secret("a-third-secret");
    assert_eq!(neither.event(&event("U0CAROL001")).await.status(), 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 2);
}

#[tokio::test]
async fn delivery_ids_are_forgotten_after_a_week_and_waiting_messages_never() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let start = needful::clock::Clock::now(app.clock.as_ref());
    let ids = || async {
        let ids: Vec<String> = app
            .rows::<(String,)>(
                "SELECT event_id FROM processed_events ORDER BY event_id",
                &[],
            )
            .await
            .into_iter()
            .map(|(id,)| id)
            .collect();
        ids
    };
    let first = event_id();
    let event = payloads::app_home_opened(&first, "U0ALICE001");
    assert_eq!(app.slack.event(&event).await.status(), 200);
    app.sim.wait_for("views.publish", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    // Slack is down: this post waits, whatever housekeeping does.
    app.sim.fail(FailRule {
        method: Some("chat.postMessage".into()),
        times: None,
        failure: Failure::Status(500),
    });
    enqueue_all(&app, &[post("C0SUPPORT1", "waiting out the outage")]).await;
    let waiting = "SELECT COUNT(*) FROM outbox \
                   WHERE method = 'chat.postMessage' AND status IN ('pending', 'sending')";
    let sent = "SELECT COUNT(*) FROM outbox WHERE status = 'sent'";
    assert_eq!(app.count(waiting).await, 1);
    assert_eq!(app.count(sent).await, 1);

    app.advance_to(start + chrono::Duration::days(6)).await;
    assert_eq!(ids().await, std::slice::from_ref(&first), "kept for a week");
    let second = event_id();
    let event = payloads::app_home_opened(&second, "U0BOB00001");
    assert_eq!(app.slack.event(&event).await.status(), 200);
    assert_eq!(ids().await, [first, second.clone()]);

    let tries = || {
        app.sim
            .calls_to("chat.postMessage")
            .iter()
            .filter(|c| !c.ok)
            .count()
    };
    let before = tries();
    app.advance_to(start + chrono::Duration::days(8)).await;
    assert_eq!(ids().await, [second], "only the older id is forgotten");
    // Tried again after the jump, and still waiting: eight days of business
    // time are not eight days of retrying (the outage is seconds old).
    let deadline = tokio::time::Instant::now() + WAIT;
    while tries() < before + 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no retry after the jump"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.count(waiting).await, 1, "a waiting message stays");
    // Finished rows are kept a month of business time, then forgotten. (By
    // when they finished, not by id: a row delivered late finishes late.)
    let cutoff =
        (start + chrono::Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let finished_in_the_first_day = format!("{sent} AND finished_at < '{cutoff}'");
    assert!(app.count(&finished_in_the_first_day).await >= 1);
    app.advance_to(start + chrono::Duration::days(31)).await;
    assert_eq!(
        app.count(&finished_in_the_first_day).await,
        0,
        "kept past a month"
    );
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("needful_pruned_rows_total{table=\"processed_events\"}"),
        "{metrics}"
    );
}

/// Rows are stamped with the app's clock, not the machine's: a rehearsal
/// that runs years ahead ages (and expires) its messages by its own time.
#[tokio::test]
async fn queued_messages_are_stamped_with_the_app_clock() {
    use chrono::TimeZone as _;
    let start = chrono::Utc.with_ymd_and_hms(2031, 3, 4, 9, 0, 0).unwrap();
    let app = spawn_app_with(TestOptions {
        start,
        ..TestOptions::without_pods()
    })
    .await;
    app.command(
        "/kudos",
        "U0ALICE001",
        "C0SUPPORT1",
        "<@U0BOB00001> the refunds",
    )
    .await;
    app.outbox_drained(WAIT).await;
    let queued = app.count("SELECT COUNT(*) FROM outbox").await;
    assert!(queued >= 1, "the kudos queued its messages");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE created_at >= '2031-03-04T00:00:00Z' AND created_at < '2031-03-05T00:00:00Z'")
            .await,
        queued,
        "every row carries the app clock's date"
    );
}

#[tokio::test]
async fn a_stop_first_answers_503_on_healthz_while_requests_still_drain() {
    let app = spawn_app_with(TestOptions {
        env: vec![("NEEDFUL_DRAIN", "1s".to_string())],
        ..TestOptions::default()
    })
    .await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.begin_stop();
    // The load balancer hears "stopping" ...
    crate::helpers::wait_until("healthz to say stopping", async || {
        app.get("/healthz").await.status() == 503
    })
    .await;
    let health: serde_json::Value = app.get("/healthz").await.json().await.expect("JSON");
    assert_eq!(health["status"], "stopping");
    // ... while what still arrives is served.
    let reply = app.command("/trophy", "U0ALICE001", "C0SUPPORT1", "").await;
    assert!(!reply.is_empty());
    assert!(!app.stopped());
    // Then it stops.
    crate::helpers::wait_until("the app to stop", async || app.stopped()).await;
}
