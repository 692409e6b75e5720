//! Requests whose connections are dropped part-way. Slack abandons a request
//! at its 3-second deadline and proxies reset connections, so whatever happens
//! to a request, its write must finish or roll back, and nothing after it may
//! break. This is also the acceptance test for any new storage engine.

use std::{net::SocketAddr, time::Duration};

use futures::StreamExt as _;
use needful::{error::INTERNAL_ERROR_TEXT, slack_sim::payloads};
use rand::{Rng as _, SeedableRng as _, rngs::StdRng};
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt as _, net::TcpStream};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, event_id, spawn_app_with};

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const SUPPORT: &str = "C0SUPPORT1";

/// Requests in the storm, a third of each kind; every sixth one is left to
/// finish, so there are acknowledgements to check.
const STORM: usize = 360;

fn options() -> TestOptions {
    TestOptions {
        // Every kudos in the storm is within the limit, so each acked one must stay.
        config: DEFAULT_CONFIG.replace("daily_limit = 5", "daily_limit = 10000"),
        ..TestOptions::default()
    }
}

/// Writes `bytes`, waits `after`, then resets the connection (RST, not FIN),
/// as a proxy or an abandoning client does.
async fn send_and_reset(address: SocketAddr, bytes: Vec<u8>, after: Duration) {
    let Ok(mut stream) = TcpStream::connect(address).await else {
        return;
    };
    let _ = stream.write_all(&bytes).await;
    tokio::time::sleep(after).await;
    let _ = stream.set_zero_linger();
}

/// Alice's button on her App Home that keeps her kudos private or public.
fn privacy_press(private: bool) -> Value {
    let (action, value) = if private {
        ("home_kudos_private", "private")
    } else {
        ("home_kudos_public", "public")
    };
    let mut press = payloads::block_actions(ALICE, SUPPORT, "0", action, value);
    press["container"] = json!({"type": "view", "view_id": "V0HOME0001"});
    if let Some(p) = press.as_object_mut() {
        p.remove("channel");
        p.remove("message");
    }
    press
}

enum Acked {
    Command(String),
    Event(String),
    Interaction,
}

async fn healthy(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if app.get("/healthz").await.status() == 200 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/healthz still failing: {}",
            app.get("/healthz").await.text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn connections_reset_mid_flight_break_nothing_and_lose_nothing_acked() {
    let app = spawn_app_with(options()).await;
    storm(&[&app]).await;
    app.stop().await;
}

fn address_of(app: &TestApp) -> SocketAddr {
    app.address
        .trim_start_matches("http://")
        .parse()
        .expect("the app listens on an address")
}

/// The storm, its requests spread over `apps` (replicas of one database,
/// as a load balancer spreads them), Slack's retries of the events it never
/// heard back about sent to the next one.
pub async fn storm(apps: &[&TestApp]) {
    let app = apps[0];
    let address = address_of(app);
    // Bob's messages, one for each reaction in the storm.
    let messages: Vec<String> = (0..STORM / 3)
        .map(|i| {
            app.sim
                .post_as_user(SUPPORT, BOB, &format!("Customer {i} is sorted"))
        })
        .collect();

    // First, while something else holds SQLite's write lock (a backup, a slow
    // disk), commands and button presses wait inside their write and are
    // abandoned there, as Slack abandons a request at its deadline.
    let locker = app.lock_database().await;
    let waiting: Vec<_> = (0..10)
        .map(|i| {
            let bytes = if i % 2 == 0 {
                app.slack
                    .wire_command("/kudos", ALICE, SUPPORT, &format!("<@{BOB}> waited #{i}"))
            } else {
                app.slack.wire_interaction(&privacy_press(i % 4 == 1))
            };
            send_and_reset(address, bytes, Duration::from_millis(100 + 20 * i))
        })
        .collect();
    futures::future::join_all(waiting).await;
    drop(locker);
    // Abandoned, but each write went on to its end once the lock was free:
    // the five kudos are kept, once each.
    let waited = async {
        loop {
            let kept = app
                .count("SELECT COUNT(*) FROM kudos_log WHERE reason LIKE 'waited #%'")
                .await;
            if kept >= 5 {
                return kept;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let kept = tokio::time::timeout(Duration::from_secs(10), waited).await;
    assert_eq!(kept.ok(), Some(5), "each abandoned /kudos finished, once");

    let mut rng = StdRng::seed_from_u64(20261205);
    let mut requests = Vec::new();
    let mut reset_events = Vec::new();
    for i in 0..STORM {
        let app = apps[i % apps.len()];
        let address = address_of(app);
        let finish = i % 5 == 4;
        let after = Duration::from_micros(rng.gen_range(0..20_000));
        let (bytes, acked) = match i % 3 {
            0 => {
                let reason = format!("kept the refund queue moving, #{i}");
                let text = format!("<@{BOB}> {reason}");
                (
                    app.slack.wire_command("/kudos", ALICE, SUPPORT, &text),
                    Acked::Command(reason),
                )
            }
            1 => (
                app.slack.wire_interaction(&privacy_press(i % 2 == 0)),
                Acked::Interaction,
            ),
            _ => {
                let id = event_id();
                let event = payloads::reaction_added(
                    &id,
                    CAROL,
                    "trophy",
                    Some(BOB),
                    SUPPORT,
                    &messages[i / 3],
                );
                if !finish {
                    reset_events.push(event.clone());
                }
                (app.slack.wire_event(&event), Acked::Event(id))
            }
        };
        requests.push((address, bytes, after, finish.then_some(acked)));
    }
    let app = apps[0];

    let finished: Vec<(Acked, u16, String)> = futures::stream::iter(requests)
        .map(|(address, bytes, after, acked)| async move {
            match acked {
                None => {
                    send_and_reset(address, bytes, after).await;
                    None
                }
                Some(acked) => {
                    let (status, body) = send_whole(address, &bytes).await;
                    Some((acked, status, body))
                }
            }
        })
        .buffer_unordered(32)
        .filter_map(|r| async move { r })
        .collect()
        .await;
    assert_eq!(finished.len(), STORM / 5);

    // The bot is healthy again on its own, with no restart.
    for app in apps {
        healthy(app).await;
    }

    // Every feature still works: a command, a button and an event.
    let reply = app
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}> after the storm"),
        )
        .await;
    assert!(!reply.contains(INTERNAL_ERROR_TEXT), "{reply}");
    assert!(reply.contains(BOB), "{reply}");
    let resp = app.slack.interaction(&privacy_press(true)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text().await.unwrap_or_default().is_empty(),
        "a button press answered with an error"
    );
    let last = app.sim.post_as_user(SUPPORT, BOB, "One more sorted");
    let event = payloads::reaction_added(&event_id(), CAROL, "trophy", Some(BOB), SUPPORT, &last);
    assert_eq!(app.slack.event(&event).await.status(), 200);

    // Nothing acknowledged was lost.
    for (acked, status, body) in &finished {
        assert_eq!(*status, 200, "a finished request answered {status}: {body}");
        match acked {
            Acked::Command(reason) => {
                assert!(!body.contains("Something went wrong"), "{body}");
                let kept = app
                    .count(&format!(
                        "SELECT COUNT(*) FROM kudos_log WHERE reason = '{reason}'"
                    ))
                    .await;
                assert_eq!(kept, 1, "acked /kudos {reason:?} was not kept");
            }
            Acked::Event(id) => {
                let kept = app
                    .count(&format!(
                        "SELECT COUNT(*) FROM processed_events WHERE event_id = '{id}'"
                    ))
                    .await;
                assert_eq!(kept, 1, "acked event {id} was not kept");
            }
            Acked::Interaction => assert!(body.is_empty(), "{body}"),
        }
    }

    // Slack retries the events it never heard back about: each applies once.
    for (k, event) in reset_events.iter().enumerate() {
        assert_eq!(
            apps[(k + 1) % apps.len()]
                .slack
                .event_retry(event, 1, "http_timeout")
                .await
                .status(),
            200
        );
    }
    let reactions = app
        .count("SELECT COUNT(*) FROM kudos_log WHERE source = 'reaction' AND kind = 'given'")
        .await;
    assert_eq!(
        reactions as usize,
        STORM / 3 + 1,
        "each reaction counted once"
    );
    // No command was applied twice, whatever happened to its connection.
    let doubled = app
        .count("SELECT COUNT(*) FROM (SELECT reason FROM kudos_log WHERE source = 'command' GROUP BY reason HAVING COUNT(*) > 1) AS repeated")
        .await;
    assert_eq!(doubled, 0);
}

/// Sends `bytes` and reads the answer (status and body, by its content-length).
async fn send_whole(address: SocketAddr, bytes: &[u8]) -> (u16, String) {
    use tokio::io::AsyncReadExt as _;
    let mut stream = TcpStream::connect(address).await.expect("the app accepts");
    stream
        .write_all(bytes)
        .await
        .expect("the request is written");
    let mut answer = Vec::new();
    let read = async {
        let mut chunk = [0u8; 4096];
        loop {
            let n = stream.read(&mut chunk).await.expect("the answer is read");
            answer.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&answer).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length || n == 0 {
                    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok());
                    return (status.unwrap_or(0), body.to_string());
                }
            }
            assert!(n > 0, "the connection closed before the answer");
        }
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("answered within 10 s")
}
