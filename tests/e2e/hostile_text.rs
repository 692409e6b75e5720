//! Hostile text: broadcasts people type are repeated as words, never as
//! pings, and every free-text field has a limit that is said out loud when
//! passed. The simulator refuses blocks outside Block Kit's limits as Slack
//! does, so every post here also proves the rendering fits.

use std::time::Duration;

use needful::domain::block_kit;
use needful::slack_sim::{FailRule, Failure, payloads};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestOptions, ephemerals_to, event_id, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(15);

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const MANAGER: &str = "U0MANAGER1";
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";

/// Every broadcast form Slack sends in command and message text.
const BROADCASTS: &str = "<!channel> <!here> <!everyone> <!subteam^S0LEADS001|@support-leads>";

/// Tokens that would notify a channel or a group if needful posted them.
const PINGS: &[&str] = &["<!channel", "<!here", "<!everyone", "<!subteam"];

/// Asserts that nothing needful sent Slack (any method: posts, edits,
/// ephemerals, App Homes, modals) carries a broadcast token.
fn assert_nothing_pings(app: &TestApp) {
    for call in app.sim.calls() {
        let sent = call.params.to_string();
        for ping in PINGS {
            assert!(
                !sent.contains(ping),
                "{} carried {ping}: {sent}",
                call.method
            );
        }
    }
}

use crate::helpers::posts_in as posts;

async fn wait_posts(app: &TestApp, channel: &str, n: usize) -> Vec<(String, Value)> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = posts(app, channel);
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited for {n} post(s) in {channel}:\n{}",
            app.sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ts of today's check-in prompt (due at the default start).
async fn prompt_ts(app: &TestApp) -> String {
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    let ts = app
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .find(|c| c.ok && c.params["blocks"].to_string().contains("checkin_open"))
        .and_then(|c| c.response["ts"].as_str().map(str::to_string))
        .expect("the prompt was posted");
    app.post_recorded(&ts, WAIT).await;
    ts
}

/// Shown as "@channel" (with an invisible joiner), so people still read it.
fn spoken(word: &str) -> String {
    format!("@\u{2060}{word}")
}

#[tokio::test]
async fn kudos_broadcasts_are_celebrated_as_words_and_ping_no_one() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}|bob> {BROADCASTS} free pizza, with <@{CAROL}> too"),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    let (text, blocks) = wait_posts(&app, HUMBLEBRAG, 1).await.remove(0);
    let shown = format!("{text} {blocks}");
    for word in ["channel", "here", "everyone", "support-leads"] {
        assert!(shown.contains(&spoken(word)), "{word} not shown: {shown}");
    }
    assert!(
        shown.contains(&format!("<@{BOB}>")) && shown.contains(&format!("<@{CAROL}>")),
        "person mentions keep working: {shown}"
    );
    assert!(shown.contains("free pizza"), "{shown}");
    // The reason as typed is kept (for the export); only its repetition is quiet.
    let stored: String = app.scalar("SELECT reason FROM kudos_log").await;
    assert!(stored.contains("<!channel>"), "{stored}");
    app.outbox_drained(WAIT).await;
    assert_nothing_pings(&app);
}

/// No one types a NUL, but a client can send one: it is dropped, and the
/// kudos is kept as on any other day (PostgreSQL's text cannot hold a NUL,
/// so keeping it would fail the write).
#[tokio::test]
async fn a_nul_in_typed_text_is_dropped_and_the_rest_is_kept() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}> fixed\0 the queue"),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    let stored: String = app.scalar("SELECT reason FROM kudos_log").await;
    assert_eq!(stored, "fixed the queue");
    let note = app.command("/checkin", ALICE, SUPPORT, "in\0 early").await;
    assert!(!note.contains("went wrong"), "{note}");
}

#[tokio::test]
async fn an_overlong_kudos_reason_is_refused_with_the_limit_and_nothing_is_kept() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    for len in [3_500, 900_000] {
        let reply = app
            .command(
                "/kudos",
                ALICE,
                SUPPORT,
                &format!("<@{BOB}> {}", "x".repeat(len)),
            )
            .await;
        assert!(
            reply.contains(&len.to_string()) && reply.contains("up to 500"),
            "the refusal names the limit and the length: {reply}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM kudos_log").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await, 0);
    // At the limit it goes through.
    let reply = app
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}> {}", "y".repeat(500)),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    wait_posts(&app, HUMBLEBRAG, 1).await;
    app.outbox_drained(WAIT).await;
    assert!(
        app.sim.calls().iter().all(|c| c.ok),
        "{}",
        app.sim.describe_calls()
    );
}

/// Replies that quote a mistyped word back keep it short and quiet.
#[tokio::test]
async fn mistyped_words_are_quoted_back_short_and_quiet() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    for (command, text) in [
        ("/kudos", "<!channel>".to_string()),
        ("/kudos", "w".repeat(900_000)),
        ("/trophy", format!("pass {}", "<!here>".repeat(1_000))),
        ("/trophy", format!("history {}", "9".repeat(500_000))),
        (
            "/checkin",
            format!("away until <!everyone>{}", "d".repeat(9_000)),
        ),
        (
            "/understaffed",
            format!("on sick --until <!here>{}", "t".repeat(9_000)),
        ),
        ("/roles", format!("swap <!channel> {}", "r".repeat(9_000))),
    ] {
        let reply = app.command(command, ALICE, SUPPORT, &text).await;
        assert!(!reply.is_empty(), "{command}: a reply");
        assert!(
            reply.chars().count() < 2_000 && !reply.contains("<!"),
            "{command} {}: {reply}",
            &text[..20]
        );
    }
    app.outbox_drained(WAIT).await;
    assert_nothing_pings(&app);
}

#[tokio::test]
async fn a_reaction_on_a_huge_message_quotes_it_shortened_and_quietly() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    // Slack allows 40,000 characters in a message.
    let huge = format!("<!channel> {}", "long story ".repeat(4_000));
    let huge = &huge[..40_000];
    let ts = app.sim.post_as_user(SUPPORT, ALICE, huge);
    let event = payloads::reaction_added(&event_id(), BOB, "trophy", Some(ALICE), SUPPORT, &ts);
    assert_eq!(app.slack.event(&event).await.status(), 200);
    let (text, blocks) = wait_posts(&app, HUMBLEBRAG, 1).await.remove(0);
    assert!(
        text.contains(&spoken("channel")) && text.contains("long story") && text.contains('…'),
        "{text}"
    );
    assert!(text.chars().count() < 1_000, "the quote is shortened");
    block_kit::assert_within_limits(&blocks);
    app.outbox_drained(WAIT).await;
    let home = app.sim.home_view(ALICE).expect("alice's home is published");
    block_kit::assert_within_limits(&home);
    assert!(
        app.sim.calls().iter().all(|c| c.ok),
        "{}",
        app.sim.describe_calls()
    );
    assert_nothing_pings(&app);
}

/// A reason stored before the limit existed (here: made long in the
/// database) must not break the receiver's App Home.
#[tokio::test]
async fn an_old_overlong_reason_no_longer_breaks_app_home() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    app.command("/kudos", ALICE, SUPPORT, &format!("<@{BOB}> the refunds"))
        .await;
    app.outbox_drained(WAIT).await;
    let old = format!("{BROADCASTS} {}", "z".repeat(3_500));
    app.execute("UPDATE kudos_log SET reason = ?", &old).await;
    app.sim.clear_calls();
    let opened = payloads::app_home_opened(&event_id(), BOB);
    assert_eq!(app.slack.event(&opened).await.status(), 200);
    let published = app.sim.wait_for("views.publish", 1, WAIT).await;
    let home = &published[0].params["view"];
    block_kit::assert_within_limits(home);
    assert!(home.to_string().contains("zzz…"), "{home}");
    assert_nothing_pings(&app);
}

#[tokio::test]
async fn trophy_and_understaffed_reasons_are_repeated_without_pinging() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/trophy",
            MANAGER,
            SUPPORT,
            &format!("pass <@{BOB}> {BROADCASTS} saved the Acme renewal"),
        )
        .await;
    assert!(reply.contains("Done"), "{reply}");
    let (announced, _) = wait_posts(&app, HUMBLEBRAG, 1).await.remove(0);
    assert!(
        announced.contains(&spoken("here")) && announced.contains("Acme"),
        "{announced}"
    );

    let too_long = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            &format!("on {}", "w".repeat(301)),
        )
        .await;
    assert!(
        too_long.contains("301") && too_long.contains("up to 300"),
        "{too_long}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staffing_switches").await, 0);
    let reply = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            &format!("on {BROADCASTS} two agents out sick"),
        )
        .await;
    assert!(reply.contains("Done"), "{reply}");
    let deadline = tokio::time::Instant::now() + WAIT;
    let announcement = loop {
        let found = posts(&app, SUPPORT)
            .into_iter()
            .find(|(t, _)| t.contains("understaffed"));
        if let Some(found) = found {
            break found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{}",
            app.sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        announcement.0.contains(&spoken("everyone")) && announcement.0.contains("out sick"),
        "{}",
        announcement.0
    );
    let status = app.command("/understaffed", BOB, SUPPORT, "").await;
    assert!(!status.contains("<!"), "{status}");
    app.outbox_drained(WAIT).await;
    assert_nothing_pings(&app);
}

#[tokio::test]
async fn checkin_notes_and_away_reasons_are_repeated_without_pinging() {
    let app = spawn_app().await;
    let prompt = prompt_ts(&app).await;

    let ack = app
        .command("/checkin", ALICE, SUPPORT, &format!("{BROADCASTS} refunds"))
        .await;
    assert!(
        ack.contains(&spoken("channel")) && !ack.contains("<!"),
        "{ack}"
    );
    // Typed `<` arrives escaped; unescaped for storage, it must stay quiet too.
    let away = app
        .command(
            "/checkin",
            CAROL,
            SUPPORT,
            "away until 2026-11-27 &lt;!here&gt; vacation",
        )
        .await;
    assert!(
        away.contains(&spoken("here")) && !away.contains("<!"),
        "{away}"
    );
    let event = app.sim.post_as_user_event(
        &event_id(),
        SUPPORT,
        BOB,
        &format!("{BROADCASTS} billing"),
        Some(&prompt),
    );
    assert_eq!(app.slack.event(&event).await.status(), 200);
    app.sim.wait_for("reactions.add", 1, WAIT).await;
    let status = app.command("/checkin", MANAGER, SUPPORT, "status").await;
    assert!(
        status.contains("refunds") && status.contains("billing") && status.contains("vacation"),
        "{status}"
    );
    assert!(!status.contains("<!"), "{status}");
    // The window closes: the managers' summary repeats every note.
    app.advance_to(
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 25, 10, 0, 0).unwrap(),
    )
    .await;
    let dm = app.sim.dm_channel(MANAGER);
    let (_, summary) = wait_posts(&app, &dm, 1).await.remove(0);
    assert!(summary.to_string().contains("billing"), "{summary}");
    app.outbox_drained(WAIT).await;
    assert_nothing_pings(&app);
}

#[tokio::test]
async fn overlong_checkin_notes_are_refused_by_command_thread_and_modal() {
    let app = spawn_app().await;
    let prompt = prompt_ts(&app).await;
    let long = "n".repeat(1_001);

    let by_command = app.command("/checkin", ALICE, SUPPORT, &long).await;
    assert!(
        by_command.contains("1001") && by_command.contains("up to 1000"),
        "{by_command}"
    );
    let away = app
        .command(
            "/checkin",
            CAROL,
            SUPPORT,
            &format!("away until 2026-11-27 {}", "v".repeat(201)),
        )
        .await;
    assert!(away.contains("201") && away.contains("up to 200"), "{away}");

    let event = app
        .sim
        .post_as_user_event(&event_id(), SUPPORT, BOB, &long, Some(&prompt));
    assert_eq!(app.slack.event(&event).await.status(), 200);
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let told = ephemerals_to(&app.sim, BOB);
    assert!(told[0].contains("up to 1000"), "{told:?}");

    // The modal's input stops at the limit, and a submission over it is
    // refused on the field, the modal staying open.
    let press = payloads::block_actions(
        ALICE,
        SUPPORT,
        &prompt,
        "checkin_open",
        "support:2026-11-25",
    );
    app.slack.interaction(&press).await;
    let opened = app.sim.wait_for("views.open", 1, WAIT).await;
    let view = &opened[0].params["view"];
    assert!(view.to_string().contains("\"max_length\":1000"), "{view}");
    let submit = payloads::view_submission(
        ALICE,
        "checkin_modal",
        view["private_metadata"].as_str().unwrap_or_default(),
        json!({"note": {"note": {"type": "plain_text_input", "value": long}}}),
    );
    let resp = app.slack.interaction(&submit).await;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.expect("a JSON answer");
    assert_eq!(body["response_action"], "errors", "{body}");
    assert!(
        body["errors"]["note"]
            .as_str()
            .unwrap_or_default()
            .contains("up to 1000"),
        "{body}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM checkin_away").await, 0);

    // Modal text arrives unescaped; its broadcasts are repeated as words.
    let submit = payloads::view_submission(
        ALICE,
        "checkin_modal",
        view["private_metadata"].as_str().unwrap_or_default(),
        json!({"note": {"note": {"type": "plain_text_input", "value": format!("{BROADCASTS} calls")}}}),
    );
    let resp = app.slack.interaction(&submit).await;
    assert_eq!(resp.status(), 200);
    app.sim.wait_for("chat.postEphemeral", 2, WAIT).await;
    let acks = ephemerals_to(&app.sim, ALICE);
    assert!(
        acks[0].contains(&spoken("everyone")) && acks[0].contains("calls"),
        "{acks:?}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 1);
    assert_nothing_pings(&app);
}

/// Slack refusing a celebration for a reason that is not about access (a
/// malformed message) must not tell the giver to invite needful.
#[tokio::test]
async fn a_refused_celebration_only_gets_the_invite_hint_for_access_trouble() {
    let app = spawn_app_with(TestOptions::without_pods()).await;
    app.sim.fail(FailRule::once(
        "chat.postMessage",
        Failure::SlackError("invalid_blocks".into()),
    ));
    app.command("/kudos", ALICE, SUPPORT, &format!("<@{BOB}> the refunds"))
        .await;
    app.outbox_drained(WAIT).await;
    let refused = app.sim.calls_to("chat.postMessage");
    assert_eq!(refused.len(), 1, "{}", app.sim.describe_calls());
    assert_eq!(refused[0].error.as_deref(), Some("invalid_blocks"));
    let alice_dm = app.sim.dm_channel(ALICE);
    assert!(
        posts(&app, &alice_dm).is_empty(),
        "no misleading 'not a member' DM: {}",
        app.sim.describe_calls()
    );
}
