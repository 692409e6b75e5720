//! Clients that hold connections open, trickle requests or flood the
//! monitoring endpoints: the listener bounds what each can hold, and Slack's
//! requests and the health checks are still answered.

use std::time::{Duration, Instant};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::*;

/// Long enough that a loaded machine does not trip it, short enough to keep
/// the tests quick.
const TIMEOUT: Duration = Duration::from_millis(1500);
/// Slack for scheduling on a busy test machine.
const MARGIN: Duration = Duration::from_secs(2);

fn with_timeout(timeout: Duration) -> TestOptions {
    TestOptions {
        env: vec![(
            "NEEDFUL_REQUEST_TIMEOUT",
            format!("{}ms", timeout.as_millis()),
        )],
        ..TestOptions::without_pods()
    }
}

async fn connect(address: &str) -> TcpStream {
    let host = address.trim_start_matches("http://");
    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(host))
        .await
        .expect("connects within 5 s")
        .expect("connects")
}

/// Reads until the server closes the connection or `limit` passes; returns
/// what was read and when the connection closed (None: still open).
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&seen).into(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&seen).into(),
                    Some(started.elapsed()),
                );
            }
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads until a whole status line has arrived, within `limit`.
async fn status_within(stream: &mut TcpStream, limit: Duration) -> Option<u16> {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !seen.windows(2).any(|w| w == b"\r\n") {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => seen.extend_from_slice(&buf[..n]),
            _ => return None,
        }
    }
    let line = String::from_utf8_lossy(&seen);
    line.split(' ').nth(1)?.parse().ok()
}

/// Headers Slack would send for a body of `length` bytes, signed with a
/// well-formed signature that need not match.
fn slack_headers(app: &TestApp, path: &str, length: usize, timestamp: i64) -> String {
    let signature = app.slack.sign(timestamp, b"not the body");
    format!(
        "POST {path} HTTP/1.1\r\nHost: needful\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\nX-Slack-Request-Timestamp: {timestamp}\r\n\
         X-Slack-Signature: {signature}\r\n\r\n"
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn idle_and_half_sent_connections_are_closed_after_the_timeout() {
    let app = spawn_app_with(with_timeout(TIMEOUT)).await;
    let mut idle = connect(&app.address).await;
    let mut partial = connect(&app.address).await;
    partial
        .write_all(b"POST /slack/events HTTP/1.1\r\nHost: needful\r\nContent-Le")
        .await
        .unwrap();
    // A keep-alive connection that has had its answer and then sits idle.
    let mut kept = connect(&app.address).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: needful\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(status_within(&mut kept, MARGIN).await, Some(200));

    for (what, stream) in [
        ("idle", &mut idle),
        ("partial headers", &mut partial),
        ("idle keep-alive", &mut kept),
    ] {
        let (_, closed) = read_until_closed(stream, TIMEOUT + MARGIN).await;
        assert!(
            closed.is_some(),
            "the {what} connection is still open {:?} after it began",
            TIMEOUT + MARGIN
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408() {
    let app = spawn_app_with(with_timeout(TIMEOUT)).await;
    let mut stream = connect(&app.address).await;
    let head = slack_headers(&app, "/slack/events", 1000, now());
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(b"{\"type\":").await.unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, TIMEOUT + MARGIN).await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "answered {answer:?} after {:?}",
        started.elapsed()
    );
    assert!(closed.is_some(), "the connection is closed after the 408");
    app.stop().await;
}

#[tokio::test]
async fn requests_without_good_signature_headers_are_refused_unread() {
    // A long timeout: reading the body would take it whole, refusing does not.
    let app = spawn_app_with(with_timeout(Duration::from_secs(20))).await;
    let fresh = now();
    let signature = app.slack.sign(fresh, b"anything");
    let cases = [
        ("no signature headers", "/slack/events", String::new()),
        (
            "an expired timestamp",
            "/slack/interactions",
            format!(
                "X-Slack-Request-Timestamp: {}\r\nX-Slack-Signature: {signature}\r\n",
                fresh - 600
            ),
        ),
        (
            "a malformed signature",
            "/slack/commands",
            format!("X-Slack-Request-Timestamp: {fresh}\r\nX-Slack-Signature: v0=zz\r\n"),
        ),
        (
            "an unsigned body too big for an ssl_check",
            "/slack/commands",
            String::new(),
        ),
    ];
    for (what, path, signature_headers) in cases {
        let mut stream = connect(&app.address).await;
        // A million bytes declared, none sent.
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: needful\r\nContent-Length: 1000000\r\n{signature_headers}\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        assert_eq!(
            status_within(&mut stream, Duration::from_secs(2)).await,
            Some(401),
            "{what} on {path} is refused before the body is read"
        );
    }
    // Slack's own requests still go through.
    let reply = app
        .command("/kudos", "U0ALICE001", "C0SUPPORT1", "stats")
        .await;
    assert!(!reply.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn bodies_being_read_share_one_memory_budget() {
    // 32 MiB shared: 32 bodies of 1 MiB take it all; the rest get 503 in
    // about a second instead of each buffering up to 1 MiB.
    const TAKERS: usize = 32;
    const MORE: usize = 8;
    let app = spawn_app_with(with_timeout(Duration::from_secs(20))).await;
    let mut streams = Vec::new();
    for _ in 0..TAKERS + MORE {
        let mut stream = connect(&app.address).await;
        let head = slack_headers(&app, "/slack/events", 1024 * 1024, now());
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(b"{\"type\":").await.unwrap();
        streams.push(stream);
    }
    let statuses = futures::future::join_all(
        streams
            .iter_mut()
            .map(|s| status_within(s, Duration::from_secs(4))),
    )
    .await;
    let busy = statuses.iter().filter(|s| **s == Some(503)).count();
    assert_eq!(
        busy, MORE,
        "the bodies past the budget are turned away at once: {statuses:?}"
    );
    // Once the clients leave, their shares come back for Slack.
    drop(streams);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let resp = app
            .slack
            .command("/kudos", "U0ALICE001", "C0SUPPORT1", "stats")
            .await;
        if resp.status() == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "still {}", resp.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn slacks_unsigned_ssl_check_is_still_answered() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let form = "application/x-www-form-urlencoded";
    let check = app
        .slack
        .raw(
            "/slack/commands",
            b"ssl_check=1&token=Nf7kQ2xLm9RtVb4WcZp8YdHs".to_vec(),
            form,
            vec![],
        )
        .await;
    assert_eq!(check.status(), 200);
    let forged = app
        .slack
        .raw(
            "/slack/commands",
            b"command=%2Fkudos&text=stats&user_id=U0ALICE001".to_vec(),
            form,
            vec![],
        )
        .await;
    assert_eq!(forged.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn the_connection_cap_holds_and_frees() {
    const CAP: usize = 8;
    let mut options = with_timeout(TIMEOUT);
    options
        .env
        .push(("NEEDFUL_MAX_CONNECTIONS", CAP.to_string()));
    let app = spawn_app_with(options).await;
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(connect(&app.address).await);
    }
    let opened = Instant::now();
    // One more: the kernel's backlog takes it, but needful does not until a
    // held connection times out.
    let mut extra = connect(&app.address).await;
    extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: needful\r\n\r\n")
        .await
        .unwrap();
    let status = status_within(&mut extra, TIMEOUT + MARGIN).await;
    let waited = opened.elapsed();
    assert_eq!(status, Some(200), "answered once a slot freed");
    assert!(
        waited >= TIMEOUT / 2,
        "answered after {waited:?}: the cap of {CAP} did not hold"
    );
    // Slack's requests are answered after the flood.
    let reply = app
        .command("/kudos", "U0ALICE001", "C0SUPPORT1", "stats")
        .await;
    assert!(!reply.is_empty());
    drop(held);
    app.stop().await;
}

#[tokio::test]
async fn metrics_and_healthz_do_not_wait_behind_a_write() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let locker = app.lock_database().await;
    // A command's write starts on the writer and waits for the lock.
    let slack = app.slack.clone();
    let command = tokio::spawn(async move {
        slack
            .command(
                "/kudos",
                "U0ALICE001",
                "C0SUPPORT1",
                "<@U0BOB00001|bob> thanks",
            )
            .await
            .status()
    });
    let deadline = Instant::now() + Duration::from_secs(2);
    while app.writes.in_flight() == 0 {
        assert!(
            Instant::now() < deadline,
            "the command's write never started"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let requests = (0..200).map(|i| {
        let path = if i % 4 == 0 { "/healthz" } else { "/metrics" };
        let request = client.get(format!("{}{path}", app.address)).send();
        async move { (path, request.await.map(|r| r.status().as_u16())) }
    });
    let answers =
        tokio::time::timeout(Duration::from_secs(10), futures::future::join_all(requests))
            .await
            .expect("answered within 10 s");
    let took = started.elapsed();
    for (path, status) in &answers {
        assert_eq!(status.as_ref().ok(), Some(&200), "{path}");
    }
    assert!(
        took < Duration::from_secs(1),
        "200 health and metrics requests took {took:?} while a write waited"
    );
    locker.release().await;
    let status = command.await.unwrap();
    assert!(
        status == 200 || status == 503,
        "the command answered {status}"
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_can_be_served_on_an_internal_address_only() {
    let mut options = TestOptions::without_pods();
    options
        .env
        .push(("NEEDFUL_METRICS_LISTEN", "127.0.0.1:0".to_string()));
    let app = spawn_app_with(options).await;
    let internal = app.metrics_address.clone().expect("a metrics address");
    let metrics = reqwest::get(format!("{internal}/metrics")).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("needful_outbox_depth"), "{text}");
    assert_eq!(app.get("/metrics").await.status(), 404);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let health_inside = reqwest::get(format!("{internal}/healthz")).await.unwrap();
    assert_eq!(health_inside.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn stopping_lets_a_request_in_flight_finish() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    // An idle connection must not hold the stop up.
    let _idle = connect(&app.address).await;
    let body = br#"{"token":"x","challenge":"still-here","type":"url_verification"}"#;
    let ts = now();
    let head = format!(
        "POST /slack/events HTTP/1.1\r\nHost: needful\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nX-Slack-Request-Timestamp: {ts}\r\n\
         X-Slack-Signature: {}\r\n\r\n",
        body.len(),
        app.slack.sign(ts, body)
    );
    let mut stream = connect(&app.address).await;
    stream.write_all(head.as_bytes()).await.unwrap();
    // needful asks for the body once its handler reads it: the request is in flight.
    assert_eq!(
        status_within(&mut stream, Duration::from_secs(5)).await,
        Some(100)
    );
    let host = app.address.trim_start_matches("http://").to_string();
    let stopping = tokio::spawn(app.stop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(&host).await.is_ok() {
        assert!(Instant::now() < deadline, "still listening");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The stop waits for the request in flight.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!stopping.is_finished(), "stopped with a request in flight");
    stream.write_all(body).await.unwrap();
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.contains("HTTP/1.1 200") && answer.contains("still-here"),
        "{answer:?}"
    );
    tokio::time::timeout(Duration::from_secs(15), stopping)
        .await
        .expect("stops within 15 s")
        .expect("the app stops cleanly");
}
