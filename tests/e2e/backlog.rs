//! A long queue in the kudos channel: Slack takes one post a second there,
//! so celebrations merge when many wait, and one too old to matter is
//! dropped. The kudos themselves are always recorded.

use std::time::Duration;

use needful::slack_sim::{FailRule, Failure, payloads};

use crate::helpers::{TestApp, TestOptions, event_id, spawn_app_with};

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";
const WAIT: Duration = Duration::from_secs(20);

/// No pod, so nothing but kudos posts (the pod's check-in prompt is due at
/// the tests' start); pacing and Retry-After on a manual timer.
fn options(expire: &str) -> TestOptions {
    TestOptions {
        config: TestOptions::without_pods()
            .config
            .replace("daily_limit = 5", "daily_limit = 100")
            .replace(
                "give_up_after = \"1h\"",
                &format!("give_up_after = \"1h\"\ncelebrations_expire_after = \"{expire}\""),
            ),
        manual_timer: true,
        ..TestOptions::without_pods()
    }
}

/// Delivers everything, the timer running on a tenth of a second at a time.
async fn drain(app: &TestApp) {
    app.drain_by_timer(Duration::from_millis(100), Duration::from_secs(60))
        .await;
}

/// Messages `which` in #support by Bob and Carol in turn, each thanked by
/// the other.
async fn kudos_on_messages(app: &TestApp, which: std::ops::Range<usize>) -> Vec<String> {
    let mut messages = Vec::new();
    for i in which {
        let (author, giver) = if i % 2 == 0 {
            (BOB, CAROL)
        } else {
            (CAROL, BOB)
        };
        let ts = app
            .sim
            .post_as_user(SUPPORT, author, &format!("Customer {i} is happy again"));
        let event =
            payloads::reaction_added(&event_id(), giver, "trophy", Some(author), SUPPORT, &ts);
        assert_eq!(app.slack.event(&event).await.status(), 200);
        messages.push(ts);
    }
    messages
}

fn posts_in(app: &TestApp, channel: &str) -> Vec<String> {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .map(|c| c.params.to_string())
        .collect()
}

#[tokio::test]
async fn celebrations_waiting_in_a_long_queue_merge_into_roundups() {
    // The test config paces a channel as Slack does: one post a second.
    let app = spawn_app_with(options("1h")).await;
    // The first is celebrated at once; the other eleven queue behind it
    // while the channel's next turn is a second away.
    let mut messages = kudos_on_messages(&app, 0..1).await;
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    messages.extend(kudos_on_messages(&app, 1..12).await);
    drain(&app).await;

    // The first alone, a roundup of ten, the last alone.
    let posts = posts_in(&app, HUMBLEBRAG);
    assert_eq!(
        posts.len(),
        3,
        "{} posts for 12 celebrations: {posts:#?}",
        posts.len()
    );
    // Every kudos'd message is celebrated once, alone or in a roundup.
    let thanked: usize = posts
        .iter()
        .map(|p| p.matches("thanked").count())
        .sum::<usize>();
    let single_posts_count_twice = posts.iter().filter(|p| !p.contains("together")).count();
    assert_eq!(
        thanked - single_posts_count_twice,
        12,
        "each message once: {posts:#?}"
    );
    // The sixth is in a roundup: the step below relies on it.
    let sixth = format!("/p{}", messages[5].replace('.', ""));
    assert!(
        posts
            .iter()
            .any(|p| p.contains("together") && p.contains(&sixth)),
        "{posts:#?}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
            .await,
        12
    );
    // Later kudos on a merged message get a celebration of their own.
    // The sixth was merged (checked above).
    let merged_message = &messages[5];
    let event = payloads::reaction_added(
        &event_id(),
        ALICE,
        "trophy",
        Some(CAROL),
        SUPPORT,
        merged_message,
    );
    assert_eq!(app.slack.event(&event).await.status(), 200);
    drain(&app).await;
    assert_eq!(posts_in(&app, HUMBLEBRAG).len(), posts.len() + 1);
}

#[tokio::test]
async fn celebrations_too_old_to_matter_are_dropped_and_the_kudos_kept() {
    let app = spawn_app_with(options("1s")).await;
    // Slack holds the kudos channel off for two seconds, so the celebrations
    // are stale by the time it may be posted in again: two seconds of the
    // timer for Slack, and of business time for their age.
    app.sim.fail(FailRule::times(
        "chat.postMessage",
        1,
        Failure::RateLimited {
            retry_after_secs: 2,
        },
    ));
    kudos_on_messages(&app, 0..6).await;
    app.calls_answered("chat.postMessage", 1).await;
    app.clock.advance(chrono::Duration::seconds(2));
    // While they wait, the age of the oldest is there for alerting.
    let waited = async {
        loop {
            let metrics = app.get("/metrics").await.text().await.unwrap_or_default();
            let age = metrics.lines().find_map(|l| {
                l.strip_prefix("needful_outbox_oldest_waiting_seconds{channel=\"C0HUMBLEBR\"} ")?
                    .parse::<f64>()
                    .ok()
            });
            if age.is_some_and(|age| age >= 0.5) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(WAIT, waited)
        .await
        .expect("the oldest waiting celebration's age is reported");
    drain(&app).await;

    assert!(
        posts_in(&app, HUMBLEBRAG).is_empty(),
        "{:#?}",
        posts_in(&app, HUMBLEBRAG)
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
            .await,
        6
    );
    // Nothing about them waits any more: merged or not, they were dropped.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
            .await,
        0
    );
    assert!(
        app.count(
            "SELECT COUNT(*) FROM outbox WHERE status = 'superseded' AND last_error LIKE 'too old%'"
        )
        .await
            >= 1
    );
    // The receivers' App Homes still show their kudos.
    let home = app.sim.home_view(BOB).expect("Bob's home").to_string();
    assert!(home.contains("Received: 3"), "{home}");
    let metrics = app.get("/metrics").await.text().await.unwrap_or_default();
    assert!(
        metrics.contains("needful_celebrations_dropped_total 6"),
        "{metrics}"
    );
}
