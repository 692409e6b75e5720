//! Bad input through the running app: every slash command with random text, and
//! malformed, odd and oversized bodies on every route. Bounded (a few hundred
//! requests per command) so the suite stays fast; the million-case runs of the
//! parsers and decoders themselves are the `fuzz_*` properties (`scripts/fuzz.sh`).

use std::time::{Duration, Instant};

use futures::StreamExt;
use needful::{error::INTERNAL_ERROR_TEXT, slack_sim::payloads};
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, event_id, spawn_app, spawn_app_with};

/// Random texts per slash command.
const TEXTS_PER_COMMAND: usize = 250;
/// Requests in flight at once.
const IN_FLIGHT: usize = 4;

/// Every registered command, and one nobody registered.
fn commands() -> Vec<&'static str> {
    needful::registry::commands()
        .map(|c| c.name)
        .chain(["/needful-unknown"])
        .collect()
}
/// A member, a manager and someone outside every pod.
const USERS: &[&str] = &["U0ALICE001", "U0MANAGER1", "U0BOB00001", "U0NOBODY01"];
const CHANNELS: &[&str] = &["C0SUPPORT1", "C0HUMBLEBR", "C0SALES001", "D0ALICE001"];

const WORDS: &[&str] = &[
    "help",
    "stats",
    "leaderboard",
    "private",
    "public",
    "status",
    "history",
    "pass",
    "reassign",
    "away",
    "until",
    "tomorrow",
    "back",
    "on",
    "off",
    "swap",
    "set",
    "--pod",
    "--until",
    "and",
    ",",
    "support",
    "sales",
    "17:00",
    "2026-12-24",
    "2026-11-24",
    "+262142-12-31",
    "25:99",
    "0",
    "-1",
    "99999999999",
    "<@U0ALICE001>",
    "<@U0BOB00001|bob>",
    "<@U0MANAGER1|manager>",
    "<@U0CAROL001>",
    "<@U0NOBODY01>",
    "<@W0GRID0001|grid>",
    "<@>",
    "<@u0lower|x>",
    "<#C0SUPPORT1|support>",
    "<!subteam^S0LEADS001|@support-leads>",
    "<!here>",
    "<https://example.com|link>",
    "@bob",
    "&lt;@U0BOB00001&gt;",
    "ünïcödé",
    "👍🏽",
    "\u{200b}",
    "\u{0}",
    "\t",
    "\n",
    "x",
];

fn text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        6 => proptest::sample::select(WORDS).prop_map(str::to_string),
        1 => "\\PC{1,12}",
        1 => any::<String>(),
        1 => (400usize..3000).prop_map(|n| "y".repeat(n)),
    ];
    proptest::collection::vec(word, 0..8).prop_map(|w| w.join(" "))
}

fn runner(seed: u8) -> TestRunner {
    TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    )
}

fn sample<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    strategy
        .new_tree(runner)
        .expect("strategy generates")
        .current()
}

async fn check_command(app: &TestApp, command: &str, user: &str, channel: &str, text: &str) {
    let resp = app.slack.command(command, user, channel, text).await;
    let status = resp.status();
    assert_eq!(status, 200, "{command} {text:?} as {user} in {channel}");
    let body: Value = resp.json().await.expect("a command reply is JSON");
    let shown = body["text"].as_str().unwrap_or_default();
    assert!(
        !shown.trim().is_empty(),
        "{command} {text:?} as {user} in {channel}: empty reply {body}"
    );
    assert_ne!(shown, INTERNAL_ERROR_TEXT, "{command} {text:?} as {user}");
    assert_eq!(
        body["response_type"], "ephemeral",
        "{command} {text:?}: {body}"
    );
}

/// Texts the properties found or that sit on an edge, sent as the pod's manager.
const EDGES: &[(&str, &str)] = &[
    // Panicked before 5f760ae: the last date chrono reads, in a zone behind UTC.
    ("/understaffed", "on sick --until +262142-12-31"),
    ("/understaffed", "on sick --until -262143-01-01"),
    ("/understaffed", "on sick --until 00:00"),
    ("/understaffed", "on sick --until 23:59 --pod support"),
    // Parsed as kudos for no one before 02b3a9f.
    ("/kudos", " <@ "),
    ("/kudos", "<@bob> thanks"),
    ("/checkin", "away until +262142-12-31 forever"),
    ("/checkin", "away until -262143-01-01"),
    ("/trophy", "history 4294967295"),
    ("/trophy", "history 4294967296"),
    ("/roles", "set <@U0ALICE001> --pod"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_answers_random_text() {
    // A pod behind UTC, where the date arithmetic near chrono's limits overflows.
    let app = spawn_app_with(TestOptions {
        config: DEFAULT_CONFIG.replace("Europe/Berlin", "America/Adak"),
        ..TestOptions::default()
    })
    .await;
    let started = Instant::now();
    for (command, text) in EDGES {
        check_command(&app, command, "U0MANAGER1", "C0SUPPORT1", text).await;
    }
    let mut runner = runner(7);
    let strategy = (
        text(),
        proptest::sample::select(USERS),
        proptest::sample::select(CHANNELS),
    );
    let mut cases = Vec::new();
    for command in commands() {
        for _ in 0..TEXTS_PER_COMMAND {
            let (text, user, channel) = sample(&mut runner, &strategy);
            cases.push((command, user, channel, text));
        }
    }
    let total = cases.len();
    futures::stream::iter(cases)
        .for_each_concurrent(IN_FLIGHT, |(command, user, channel, text)| {
            let app = &app;
            async move { check_command(app, command, user, channel, &text).await }
        })
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{total} commands took {:?}",
        started.elapsed()
    );
}

/// Sends `body` to `path`, signed, and returns the status and the no-retry header.
async fn signed(app: &TestApp, path: &str, body: Vec<u8>, content_type: &str) -> (u16, bool) {
    let ts = chrono::Utc::now().timestamp();
    let sig = app.slack.sign(ts, &body);
    let resp = app
        .slack
        .raw(
            path,
            body,
            content_type,
            vec![
                ("X-Slack-Request-Timestamp".into(), ts.to_string()),
                ("X-Slack-Signature".into(), sig),
            ],
        )
        .await;
    (
        resp.status().as_u16(),
        resp.headers().get("x-slack-no-retry").is_some(),
    )
}

/// A quiet 200, or a 400 that tells Slack not to retry. Bodies that are not
/// UTF-8 cannot come from Slack, so the verifier refuses them as forged (401).
fn quiet(path: &str, body: &[u8], (status, no_retry): (u16, bool)) {
    let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    let forged = std::str::from_utf8(body).is_err();
    assert!(
        status == 200 || (status == 400 && no_retry) || (status == 401 && forged),
        "{path} {shown:?}: {status} (no-retry: {no_retry})"
    );
}

fn unknown_event(kind: &str) -> Value {
    json!({
        "token": payloads::VERIFICATION_TOKEN, "type": "event_callback", "team_id": "T0TEAM0001",
        "api_app_id": "A0NEEDFUL1", "event_id": event_id(), "event_time": 1764000000,
        "event": {"type": kind, "user": "U0ALICE001", "channel": "C0SUPPORT1", "event_ts": "1764000000.000100"}
    })
}

#[tokio::test]
async fn malformed_and_unknown_bodies_are_refused_without_retry_or_ignored() {
    let app = spawn_app().await;
    let mut runner = runner(11);
    let junk = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        any::<String>().prop_map(String::into_bytes),
        "\\{\"[a-z_]{1,10}\":\\PC{0,20}".prop_map(String::into_bytes),
    ];

    // Unknown event types, and Slack's envelopes with a known type that is not ours.
    for kind in [
        "pin_added",
        "app_mention",
        "team_join",
        "something_new_from_slack",
        "",
        "message_changed",
    ] {
        let body = unknown_event(kind).to_string().into_bytes();
        let answer = signed(&app, "/slack/events", body.clone(), "application/json").await;
        quiet("/slack/events", &body, answer);
    }
    for envelope in [
        json!({"type": "something_new", "token": "x"}),
        json!({"type": "event_callback"}),
        json!({"type": "url_verification"}),
        json!({"type": "event_callback", "event": {"type": "reaction_added"}}),
        json!([]),
        json!(null),
        json!("event_callback"),
    ] {
        let body = envelope.to_string().into_bytes();
        let answer = signed(&app, "/slack/events", body.clone(), "application/json").await;
        quiet("/slack/events", &body, answer);
    }

    // Random bytes on every route, forms that are not Slack's, and payloads that are not JSON.
    for _ in 0..40 {
        let body: Vec<u8> = sample(&mut runner, &junk);
        for (path, content_type) in [
            ("/slack/events", "application/json"),
            ("/slack/commands", "application/x-www-form-urlencoded"),
            ("/slack/interactions", "application/x-www-form-urlencoded"),
        ] {
            let answer = signed(&app, path, body.clone(), content_type).await;
            quiet(path, &body, answer);
        }
        let mut payload = b"payload=".to_vec();
        payload.extend_from_slice(&body);
        let answer = signed(
            &app,
            "/slack/interactions",
            payload.clone(),
            "application/x-www-form-urlencoded",
        )
        .await;
        quiet("/slack/interactions", &payload, answer);
    }
    for form in [
        "command=%2Fkudos",
        "text=hello",
        "command=%2Fkudos&text=%FF%FE&user_id=U0ALICE001&channel_id=C0SUPPORT1",
        "command=%2Fkudos&user_id=nobody&channel_id=C0SUPPORT1&text=stats&team_id=T0TEAM0001&team_domain=x&channel_name=x&user_name=x&api_app_id=A0NEEDFUL1&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=1",
        "payload=%7B%22type%22%3A%22block_actions%22%7D",
        "payload=%7B%22type%22%3A%22shortcut_of_the_future%22%7D",
        "=&=&&&",
    ] {
        let body = form.as_bytes().to_vec();
        for path in ["/slack/commands", "/slack/interactions"] {
            let answer = signed(
                &app,
                path,
                body.clone(),
                "application/x-www-form-urlencoded",
            )
            .await;
            quiet(path, &body, answer);
        }
    }

    // Over the cap: 413 on every route, declared or streamed.
    let big = vec![b'a'; 1024 * 1024 + 1];
    for path in ["/slack/events", "/slack/commands", "/slack/interactions"] {
        let (status, _) = signed(&app, path, big.clone(), "application/json").await;
        assert_eq!(status, 413, "{path}");
    }

    // And the app is still healthy.
    assert_eq!(app.get("/healthz").await.status(), 200);
}
