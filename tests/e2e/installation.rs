//! needful serves its own installation only, waits to learn it when Slack is
//! down at start, stops calling Slack when its access is revoked, and posts
//! response_urls only to Slack's hooks host (here: the simulator).

use std::{sync::Arc, time::Duration};

use needful::{
    Mode,
    slack_sim::{FailRule, Failure, SimConfig, SlackSim, payloads},
};
use serde_json::{Value, json};

use crate::authorization::snapshot;
use crate::helpers::{TestApp, TestOptions, event_id, restart_on, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
const MANAGER: &str = "U0MANAGER1";
const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const SUPPORT: &str = "C0SUPPORT1";
/// Alice's pre-loaded message in #support.
const ALICES_MESSAGE: &str = "1732600000.000200";
const OTHER_TEAM: &str = "T0OTHER001";
const OTHER_APP: &str = "A0OTHERAPP";

/// A settled app: the scheduler has run at the start time and the outbox is empty.
async fn settled() -> TestApp {
    let app = spawn_app().await;
    app.advance_to(TestOptions::default().start).await;
    app.outbox_drained(WAIT).await;
    app
}

/// Runs a command with some fields overridden and returns the reply body.
async fn command_with(
    app: &TestApp,
    command: &str,
    text: &str,
    overrides: &[(&str, &str)],
) -> Value {
    let resp = app
        .slack
        .command_with(command, MANAGER, SUPPORT, text, overrides)
        .await;
    assert_eq!(resp.status(), 200, "{command} {text}");
    resp.json().await.expect("a JSON reply")
}

/// The manager's `command text`, sent once for another workspace and once
/// for another app: refused with an ephemeral reply, nothing changes and
/// nothing is posted. Then the same request for this installation does
/// change something, so the refusals are not vacuous.
async fn refused_for_other_installations(app: &TestApp, command: &str, text: &str) {
    for (overrides, says) in [
        (
            [("team_id", OTHER_TEAM)],
            "workspace needful is not installed in",
        ),
        (
            [("api_app_id", OTHER_APP)],
            "meant for a different Slack app",
        ),
    ] {
        app.outbox_drained(WAIT).await;
        let before = snapshot(app).await;
        let calls = app.sim.calls().len();
        let body = command_with(app, command, text, &overrides).await;
        assert_eq!(body["response_type"], "ephemeral", "{body}");
        assert!(
            body["text"].as_str().unwrap_or_default().contains(says),
            "{command} {text} {overrides:?}: {body}"
        );
        // Anything the command queued would be in the outbox by now.
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(snapshot(app).await, before, "{command} {overrides:?}");
        assert_eq!(
            app.sim.calls().len(),
            calls,
            "{command} {overrides:?} called Slack:\n{}",
            app.sim.describe_calls()
        );
    }
    let before = snapshot(app).await;
    command_with(app, command, text, &[]).await;
    assert_ne!(
        snapshot(app).await,
        before,
        "{command} {text} from this installation changes something"
    );
}

#[tokio::test]
async fn understaffed_on_is_refused_for_other_installations() {
    let app = settled().await;
    refused_for_other_installations(&app, "/understaffed", "on two out sick").await;
}

#[tokio::test]
async fn trophy_pass_is_refused_for_other_installations() {
    let app = settled().await;
    refused_for_other_installations(&app, "/trophy", "pass <@U0BOB00001|bob> fixed the outage")
        .await;
}

#[tokio::test]
async fn roles_set_is_refused_for_other_installations() {
    let app = settled().await;
    app.command("/roles", ALICE, SUPPORT, "").await;
    refused_for_other_installations(&app, "/roles", "set <@U0BOB00001> triage").await;
}

fn kudos_on_alices_message(giver: &str) -> Value {
    payloads::reaction_added(
        &event_id(),
        giver,
        "trophy",
        Some(ALICE),
        SUPPORT,
        ALICES_MESSAGE,
    )
}

async fn kudos_count(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM kudos_log").await
}

#[tokio::test]
async fn events_for_other_installations_change_nothing_but_slack_connect_works() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    for foreign in [
        payloads::from_workspace(kudos_on_alices_message(BOB), OTHER_TEAM),
        payloads::from_app(kudos_on_alices_message(BOB), OTHER_APP),
    ] {
        // Acknowledged so Slack does not retry what will never be served.
        assert_eq!(app.slack.event(&foreign).await.status(), 200);
    }
    assert_eq!(kudos_count(&app).await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM processed_events").await, 0);

    // A Slack Connect channel: the event is the partner's, but
    // authorizations[] names this installation.
    let shared = payloads::via_slack_connect(kudos_on_alices_message(BOB), "T0PARTNER1");
    assert_eq!(app.slack.event(&shared).await.status(), 200);
    assert_eq!(kudos_count(&app).await, 1);
}

#[tokio::test]
async fn socket_mode_refuses_other_installations_too() {
    let app = spawn_app_with(TestOptions {
        mode: Mode::SocketMode,
        ..TestOptions::without_pods()
    })
    .await;
    let foreign = payloads::from_workspace(kudos_on_alices_message(BOB), OTHER_TEAM);
    app.sim
        .socket_send("events_api", foreign, WAIT)
        .await
        .expect("a refused event is acknowledged");
    assert_eq!(kudos_count(&app).await, 0);

    let before = snapshot(&app).await;
    let command = payloads::from_workspace(
        app.sim
            .command_payload("/understaffed", MANAGER, SUPPORT, "on two out sick"),
        OTHER_TEAM,
    );
    let reply = app
        .sim
        .socket_send("slash_commands", command, WAIT)
        .await
        .expect("acked");
    assert!(
        reply["payload"]["text"]
            .as_str()
            .unwrap_or_default()
            .contains("workspace needful is not installed in"),
        "{reply}"
    );
    assert_eq!(snapshot(&app).await, before);

    let shared = payloads::via_slack_connect(kudos_on_alices_message(BOB), "T0PARTNER1");
    app.sim
        .socket_send("events_api", shared, WAIT)
        .await
        .expect("acked");
    assert_eq!(kudos_count(&app).await, 1);
}

#[tokio::test]
async fn a_button_press_from_another_workspace_is_told_why() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let press = payloads::from_workspace(
        payloads::block_actions(
            BOB,
            SUPPORT,
            "1732608000.000100",
            "checkin_open",
            "support:2026-11-25",
        ),
        OTHER_TEAM,
    );
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    let notes = app.sim.wait_for("response_url", 1, WAIT).await;
    assert!(
        notes[0].params["text"]
            .as_str()
            .unwrap_or_default()
            .contains("not installed in"),
        "{:?}",
        notes[0].params
    );
    assert!(app.sim.calls_to("views.open").is_empty());
}

#[tokio::test]
async fn a_workspace_install_in_an_org_does_not_serve_its_siblings() {
    let sim = SlackSim::start(SimConfig {
        enterprise_id: Some("E0ORG00001".into()),
        ..SimConfig::default()
    })
    .await;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = restart_on(sim, dir, TestOptions::default().config).await;
    app.advance_to(TestOptions::default().start).await;
    app.outbox_drained(WAIT).await;
    let before = snapshot(&app).await;
    let sibling = [("team_id", "T0SIBLING1"), ("enterprise_id", "E0ORG00001")];
    let body = command_with(&app, "/understaffed", "on two out sick", &sibling).await;
    assert!(
        body["text"]
            .as_str()
            .unwrap_or_default()
            .contains("not installed in"),
        "{body}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(snapshot(&app).await, before);
    // Its own workspace, which names the org too, is served.
    let ours = [("enterprise_id", "E0ORG00001")];
    command_with(&app, "/understaffed", "on two out sick", &ours).await;
    assert_ne!(snapshot(&app).await, before);
}

#[tokio::test]
async fn an_org_wide_install_serves_every_workspace_of_its_org_only() {
    let sim = SlackSim::start(SimConfig {
        enterprise_id: Some("E0ORG00001".into()),
        is_enterprise_install: true,
        ..SimConfig::default()
    })
    .await;
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = restart_on(sim, dir, TestOptions::without_pods().config).await;
    let from_org = |org: &str| {
        let mut event = payloads::from_workspace(kudos_on_alices_message(BOB), "T0SIBLING1");
        event["authorizations"][0]["enterprise_id"] = json!(org);
        event["authorizations"][0]["is_enterprise_install"] = json!(true);
        event
    };
    assert_eq!(app.slack.event(&from_org("E0OTHERORG")).await.status(), 200);
    assert_eq!(kudos_count(&app).await, 0);
    assert_eq!(app.slack.event(&from_org("E0ORG00001")).await.status(), 200);
    assert_eq!(kudos_count(&app).await, 1);
}

/// Sends `event` until it is answered 200 (bounded), returning the statuses seen.
async fn deliver_until_ok(app: &TestApp, event: &Value) -> Vec<u16> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut statuses = Vec::new();
    loop {
        let status = app.slack.event(event).await.status().as_u16();
        statuses.push(status);
        if status == 200 {
            return statuses;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never served: {statuses:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn health(app: &TestApp) -> (u16, Value) {
    let resp = app.get("/healthz").await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn slack_down_at_start_holds_requests_until_the_installation_is_known() {
    let sim = SlackSim::start(SimConfig::default()).await;
    sim.fail(FailRule::times("auth.test", 3, Failure::Status(503)));
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = restart_on(sim, dir, TestOptions::without_pods().config).await;

    // Listening, but not yet serving: Slack will retry the event.
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["slack"]
            .as_str()
            .unwrap_or_default()
            .starts_with("starting"),
        "{body}"
    );
    let kudos = kudos_on_alices_message(BOB);
    assert_eq!(app.slack.event(&kudos).await.status(), 503);
    let reply = app.command("/trophy", MANAGER, SUPPORT, "").await;
    assert!(reply.contains("starting up"), "{reply}");
    assert_eq!(kudos_count(&app).await, 0);

    // Slack's retries get through once needful has learned who it is.
    let statuses = deliver_until_ok(&app, &kudos).await;
    assert!(statuses.len() > 1, "{statuses:?}");
    assert_eq!(kudos_count(&app).await, 1);
    assert_eq!(health(&app).await.1["slack"], "ok");
    assert!(app.sim.calls_to("bots.info").iter().any(|c| c.ok));
}

/// Delivers a kudos, waits for its celebration, then returns how many Web
/// API calls the simulator has seen.
async fn celebrated_once(app: &TestApp) -> usize {
    assert_eq!(
        app.slack
            .event(&kudos_on_alices_message(BOB))
            .await
            .status(),
        200
    );
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    app.sim.calls().len()
}

/// With access revoked: /healthz says why with a 503, a new kudos is still
/// recorded and its messages wait, and Slack is not called.
async fn revoked_and_quiet(app: &TestApp, why: &str, calls_before: usize) {
    let (status, body) = health(app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["slack"], format!("revoked: {why}"), "{body}");
    assert_eq!(
        app.slack
            .event(&kudos_on_alices_message(CAROL))
            .await
            .status(),
        200
    );
    assert_eq!(kudos_count(app).await, 2);
    // The worker polls every 20 ms: it would have called by now.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let waiting = app
        .count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
        .await;
    assert!(waiting > 0, "the new kudos's messages wait");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .await,
        0
    );
    assert_eq!(
        app.sim.calls().len(),
        calls_before,
        "Slack was called after access was revoked:\n{}",
        app.sim.describe_calls()
    );
}

#[tokio::test]
async fn app_uninstalled_stops_calling_slack_and_keeps_what_waits() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let calls = celebrated_once(&app).await;
    assert_eq!(health(&app).await.0, 200);
    let uninstalled = payloads::app_uninstalled(&event_id());
    assert_eq!(app.slack.event(&uninstalled).await.status(), 200);
    revoked_and_quiet(&app, "app_uninstalled", calls).await;

    // After a reinstall the operator restarts with the (new) token: what
    // waited is delivered.
    let app = app.restart().await;
    assert_eq!(health(&app).await.0, 200);
    app.outbox_drained(WAIT).await;
    assert!(app.sim.calls().len() > calls);
}

#[tokio::test]
async fn an_invalid_auth_answer_revokes_access() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    celebrated_once(&app).await;
    app.sim.revoke_token("invalid_auth");
    // The next delivery is answered invalid_auth; nothing is sent after it.
    assert_eq!(
        app.slack
            .event(&kudos_on_alices_message(CAROL))
            .await
            .status(),
        200
    );
    let deadline = tokio::time::Instant::now() + WAIT;
    while health(&app).await.0 != 503 {
        assert!(tokio::time::Instant::now() < deadline, "never revoked");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, body) = health(&app).await;
    assert_eq!(body["slack"], "revoked: invalid_auth", "{body}");
    let calls = app.sim.calls().len();
    // Only what was already in flight when the first answer came was tried.
    let refused = app.sim.calls().iter().filter(|c| !c.ok).count();
    assert!((1..=3).contains(&refused), "{}", app.sim.describe_calls());
    // Nothing failed for good: it waits for a new token.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.sim.calls().len(), calls);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .await,
        0
    );
    assert!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .await
            > 0
    );
}

#[tokio::test]
async fn tokens_revoked_for_the_bot_revokes_access_but_a_users_does_not() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let users_only = payloads::tokens_revoked(&event_id(), &[ALICE], &[]);
    assert_eq!(app.slack.event(&users_only).await.status(), 200);
    assert_eq!(health(&app).await.0, 200);
    let calls = celebrated_once(&app).await;
    let bots = payloads::tokens_revoked(&event_id(), &[], &["U0NEEDFUL1"]);
    assert_eq!(app.slack.event(&bots).await.status(), 200);
    revoked_and_quiet(&app, "tokens_revoked", calls).await;
}

#[tokio::test]
async fn a_dead_token_at_start_is_revoked_not_retried() {
    let sim = SlackSim::start(SimConfig::default()).await;
    sim.revoke_token("account_inactive");
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let app = restart_on(sim, dir, TestOptions::without_pods().config).await;
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["slack"], "revoked: account_inactive");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        app.sim.calls_to("auth.test").len(),
        1,
        "{}",
        app.sim.describe_calls()
    );
}

#[tokio::test]
async fn socket_mode_closes_its_connection_when_uninstalled() {
    let app = spawn_app_with(TestOptions {
        mode: Mode::SocketMode,
        ..TestOptions::without_pods()
    })
    .await;
    // slack-morphism keeps two connections, the second opened a second later.
    app.sim.wait_socket_connected(2, WAIT).await;
    let opened = app.sim.calls_to("apps.connections.open").len();
    app.sim
        .socket_send("events_api", payloads::app_uninstalled(&event_id()), WAIT)
        .await
        .expect("acked");
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.sim.socket_connections() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "still connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // It does not reconnect.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.sim.socket_connections(), 0);
    assert_eq!(app.sim.calls_to("apps.connections.open").len(), opened);
    assert_eq!(health(&app).await.0, 503);
}

/// A button press that fails on needful's side (the database is locked)
/// tells the person through its response_url: only if that is Slack's.
#[tokio::test]
async fn a_response_url_outside_slack_is_not_called() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    let elsewhere = SlackSim::start(SimConfig::default()).await;
    let locker = app.lock_database().await;
    let press = |response_url: Option<String>| {
        let mut p = payloads::block_actions(
            BOB,
            SUPPORT,
            "1732608000.000100",
            "checkin_open",
            "support:2026-11-25",
        );
        if let Some(url) = response_url {
            p["response_url"] = json!(url);
        }
        p
    };
    let foreign = format!("{}/response_url/1234-abcd", elsewhere.base_url());
    assert_eq!(
        app.slack.interaction(&press(Some(foreign))).await.status(),
        200
    );
    // The same press with Slack's own response_url is answered there, so the
    // foreign one would have been called by then too.
    assert_eq!(app.slack.interaction(&press(None)).await.status(), 200);
    app.sim.wait_for("response_url", 1, WAIT).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        elsewhere.calls().is_empty(),
        "{}",
        elsewhere.describe_calls()
    );
    locker.release().await;
}
