//! The Needful Trophy: passing, refusals, status, history, reassigning,
//! nudges and the export, driven only as Slack would.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use needful::{Mode, slack_sim::payloads};
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, event_id, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
/// Long enough for the paced outbox (1 post/s per channel) after a clock jump.
const DRAIN: Duration = Duration::from_secs(30);

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const MANAGER: &str = "U0MANAGER1";
const KUDOS: &str = "C0HUMBLEBR";

fn mention(user: &str) -> String {
    format!("<@{user}>")
}

async fn trophy(app: &TestApp, user: &str, text: &str) -> String {
    app.command("/trophy", user, "C0SUPPORT1", text).await
}

/// `/trophy pass @to reason` by `by`, asserting it went through.
async fn pass(app: &TestApp, by: &str, to: &str, reason: &str) {
    let reply = trophy(app, by, &format!("pass <@{to}|someone> {reason}")).await;
    assert!(
        reply.contains("now holds") && reply.contains(&mention(to)),
        "{by} passing to {to}: {reply}"
    );
}

/// Texts the bot posted (successfully) to `channel`.
fn posts(app: &TestApp, channel: &str) -> Vec<String> {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .filter_map(|c| c.params["text"].as_str().map(str::to_string))
        .collect()
}

fn dms(app: &TestApp, user: &str) -> Vec<String> {
    posts(app, &app.sim.dm_channel(user))
}

fn nudges(app: &TestApp, user: &str) -> usize {
    dms(app, user)
        .iter()
        .filter(|t| t.contains("No rush"))
        .count()
}

async fn passes(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM trophy_passes").await
}

fn start() -> DateTime<Utc> {
    TestOptions::default().start
}

fn config_without_kudos_channel() -> String {
    DEFAULT_CONFIG.replace("channel = \"C0HUMBLEBR\"\n", "")
}

fn home_text(view: &Value) -> String {
    view.to_string()
}

#[tokio::test]
async fn a_manager_makes_the_first_pass_which_is_announced_and_dmed() {
    let app = spawn_app().await;
    let reply = trophy(
        &app,
        MANAGER,
        "pass <@U0ALICE001|alice> stayed late to clear the refund queue",
    )
    .await;
    assert!(
        reply.contains("now holds") && reply.contains(&mention(ALICE)),
        "{reply}"
    );
    assert!(
        reply.contains(KUDOS),
        "the reply says where it is announced: {reply}"
    );

    app.outbox_drained(WAIT).await;
    let announced = posts(&app, KUDOS);
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert!(
        announced[0].contains(&mention(ALICE))
            && announced[0].contains(&mention(MANAGER))
            && announced[0].contains("refund queue")
            && announced[0].contains("first holder"),
        "{}",
        announced[0]
    );
    let welcome = dms(&app, ALICE);
    assert_eq!(welcome.len(), 1, "{welcome:?}");
    assert!(
        welcome[0].contains("You now hold") && welcome[0].contains("/trophy pass"),
        "{}",
        welcome[0]
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM trophy_passes WHERE kind = 'first' AND from_user IS NULL AND to_user = 'U0ALICE001' AND by_user = 'U0MANAGER1'")
            .await,
        1
    );
    // Alice's home now tells her she holds it and how to pass it on.
    let home = home_text(&app.sim.home_view(ALICE).expect("alice's home published"));
    assert!(
        home.contains("You hold it") && home.contains("/trophy pass"),
        "{home}"
    );
}

#[tokio::test]
async fn without_a_holder_only_a_manager_can_start_the_chain() {
    let app = spawn_app().await;
    let reply = trophy(&app, ALICE, "pass <@U0BOB00001|bob> fixed the Acme outage").await;
    assert!(
        reply.contains("Nobody holds") && reply.contains(&mention(MANAGER)),
        "names the manager who can start it: {reply}"
    );
    assert_eq!(passes(&app).await, 0);
    assert_eq!(
        // The pod's morning check-in prompt (due at the default start) aside.
        app.count("SELECT COUNT(*) FROM outbox WHERE order_key <> 'channel:C0SUPPORT1'")
            .await,
        0,
        "nothing said"
    );
    let status = trophy(&app, BOB, "").await;
    assert!(
        status.contains("Nobody holds") && status.contains("manager"),
        "{status}"
    );
}

#[tokio::test]
async fn only_the_holder_can_pass_and_the_refusal_names_them() {
    let app = spawn_app().await;
    pass(&app, MANAGER, ALICE, "first one").await;

    let reply = trophy(
        &app,
        BOB,
        "pass <@U0CAROL001|carol> calmed an angry customer",
    )
    .await;
    assert!(
        reply.contains("Only the holder") && reply.contains(&mention(ALICE)),
        "{reply}"
    );
    assert!(
        !reply.contains("reassign"),
        "only managers hear about reassign: {reply}"
    );
    // A manager who is not the holder is pointed to reassign.
    let reply = trophy(
        &app,
        MANAGER,
        "pass <@U0CAROL001|carol> calmed an angry customer",
    )
    .await;
    assert!(
        reply.contains(&mention(ALICE)) && reply.contains("/trophy reassign"),
        "{reply}"
    );
    assert_eq!(passes(&app).await, 1);

    pass(&app, ALICE, BOB, "rebuilt the Acme export by hand").await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM trophy_passes WHERE kind = 'pass' AND from_user = 'U0ALICE001' AND to_user = 'U0BOB00001' AND by_user = 'U0ALICE001'")
            .await,
        1
    );
    // Alice no longer holds it.
    let reply = trophy(&app, ALICE, "pass <@U0CAROL001|carol> again").await;
    assert!(reply.contains(&mention(BOB)), "{reply}");

    app.outbox_drained(WAIT).await;
    let to_kudos = posts(&app, KUDOS);
    assert!(
        to_kudos
            .iter()
            .any(|t| t.contains(&format!("{} passed", mention(ALICE)))
                && t.contains(&mention(BOB))
                && t.contains("Acme export")),
        "{to_kudos:?}"
    );
    assert!(
        dms(&app, BOB)
            .iter()
            .any(|t| t.contains("You now hold") && t.contains("Acme export"))
    );
}

#[tokio::test]
async fn a_pass_needs_a_person_a_reason_and_not_yourself_or_a_bot() {
    let app = spawn_app().await;
    pass(&app, MANAGER, ALICE, "first one").await;

    let reply = trophy(&app, ALICE, "pass <@U0BOB00001|bob>").await;
    assert!(
        reply.contains("Please add what") && reply.contains(&mention(BOB)),
        "{reply}"
    );
    let reply = trophy(&app, ALICE, "pass").await;
    assert!(reply.contains("Mention them"), "{reply}");
    let reply = trophy(&app, ALICE, "pass @bob did great").await;
    assert!(
        reply.contains("`@bob`") && reply.contains("mention"),
        "{reply}"
    );
    let reply = trophy(&app, ALICE, "pass <@U0ALICE001|alice> I was great").await;
    assert!(reply.contains("someone else"), "{reply}");
    let reply = trophy(&app, ALICE, "pass <@U0NEEDFUL1|needful> always here").await;
    assert!(reply.contains("is a bot"), "{reply}");

    // A bot needful has seen posting is refused too.
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
    let reply = trophy(&app, ALICE, "pass <@U0OTHERBOT|dealdesk> closed a deal").await;
    assert!(
        reply.contains("is a bot") && reply.contains("U0OTHERBOT"),
        "{reply}"
    );

    let reply = trophy(&app, ALICE, "polish").await;
    assert!(
        reply.contains("/trophy pass"),
        "unknown words get help: {reply}"
    );

    assert_eq!(passes(&app).await, 1, "no refusal changed the chain");
    let status = trophy(&app, BOB, "").await;
    assert!(
        status.contains(&format!("{} holds", mention(ALICE))),
        "{status}"
    );
}

#[tokio::test]
async fn status_shows_holder_since_when_for_what_and_the_last_five() {
    let app = spawn_app_with(TestOptions {
        config: config_without_kudos_channel(),
        ..TestOptions::default()
    })
    .await;
    let people = [ALICE, BOB, CAROL];
    pass(&app, MANAGER, ALICE, "reason number 1").await;
    for i in 2..=7 {
        let (from, to) = (people[(i - 2) % 3], people[(i - 1) % 3]);
        pass(&app, from, to, &format!("reason number {i}")).await;
    }
    // Pass 7 went to Alice; three days later she still holds it.
    app.advance_to(start() + chrono::Duration::days(3)).await;
    let status = trophy(&app, CAROL, "").await;
    assert!(
        status.contains(&format!("{} holds", mention(ALICE)))
            && status.contains("(3 days)")
            && status.contains("reason number 7"),
        "{status}"
    );
    assert!(status.contains("Last 5 passes"), "{status}");
    for shown in 3..=7 {
        assert!(
            status.contains(&format!("*#{shown}* ")),
            "#{shown} missing: {status}"
        );
    }
    for hidden in 1..=2 {
        assert!(
            !status.contains(&format!("*#{hidden}* ")),
            "#{hidden} shown: {status}"
        );
    }
    let newest = status.find("*#7* ").expect("#7");
    let older = status.find("*#6* ").expect("#6");
    assert!(newest < older, "newest first: {status}");
}

#[tokio::test]
async fn history_is_paged_newest_first_with_a_hint() {
    let app = spawn_app_with(TestOptions {
        config: config_without_kudos_channel(),
        ..TestOptions::default()
    })
    .await;
    let reply = trophy(&app, ALICE, "history").await;
    assert!(reply.contains("no history"), "{reply}");

    let people = [ALICE, BOB];
    pass(&app, MANAGER, ALICE, "reason 1").await;
    for i in 2..=12 {
        pass(
            &app,
            people[i % 2],
            people[(i + 1) % 2],
            &format!("reason {i}"),
        )
        .await;
    }
    let first = trophy(&app, CAROL, "history").await;
    assert!(first.contains("page 1 of 2"), "{first}");
    for shown in 3..=12 {
        assert!(first.contains(&format!("*#{shown}* ")), "#{shown}: {first}");
    }
    assert!(
        !first.contains("*#2* ") && !first.contains("*#1* "),
        "{first}"
    );
    assert!(
        first.find("*#12* ") < first.find("*#11* "),
        "newest first: {first}"
    );
    assert!(
        first.contains("/trophy history 2"),
        "next-page hint: {first}"
    );

    let second = trophy(&app, CAROL, "history 2").await;
    assert!(second.contains("page 2 of 2"), "{second}");
    assert!(
        second.contains("*#2* ") && second.contains("*#1* "),
        "{second}"
    );
    assert!(second.contains("started the chain"), "{second}");
    assert!(
        !second.contains("/trophy history 3"),
        "no hint on the last page: {second}"
    );

    let third = trophy(&app, CAROL, "history 3").await;
    assert!(
        third.contains("no page 3") && third.contains("/trophy history 2"),
        "{third}"
    );
}

#[tokio::test]
async fn managers_reassign_and_others_cannot() {
    let app = spawn_app().await;
    let reply = trophy(&app, MANAGER, "reassign <@U0BOB00001|bob> nobody has it").await;
    assert!(reply.contains("nothing to reassign"), "{reply}");
    pass(&app, MANAGER, ALICE, "first one").await;

    let reply = trophy(&app, BOB, "reassign <@U0BOB00001|bob> Alice is on leave").await;
    assert!(
        reply.contains("Only a manager") && reply.contains(&mention(ALICE)),
        "{reply}"
    );
    let reply = trophy(&app, MANAGER, "reassign <@U0CAROL001|carol>").await;
    assert!(reply.contains("Please add why"), "{reply}");
    assert_eq!(passes(&app).await, 1);

    let reply = trophy(
        &app,
        MANAGER,
        "reassign <@U0CAROL001|carol> Alice moved to sales; Carol saved the Acme renewal",
    )
    .await;
    assert!(
        reply.contains("reassigned") && reply.contains(&mention(CAROL)),
        "{reply}"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM trophy_passes WHERE kind = 'reassign' AND from_user = 'U0ALICE001' AND to_user = 'U0CAROL001' AND by_user = 'U0MANAGER1' AND reason LIKE 'Alice moved to sales%'")
            .await,
        1
    );
    let history = trophy(&app, BOB, "history").await;
    assert!(
        history.contains(&format!(
            "{} reassigned it from {}",
            mention(MANAGER),
            mention(ALICE)
        )),
        "{history}"
    );
    // Carol now holds it and can pass it on herself.
    pass(&app, CAROL, BOB, "took over the night shift").await;

    app.outbox_drained(DRAIN).await;
    assert!(
        dms(&app, CAROL)
            .iter()
            .any(|t| t.contains("You now hold") && t.contains("Acme renewal"))
    );
    assert!(
        posts(&app, KUDOS)
            .iter()
            .any(|t| t.contains("reassigned") && t.contains(&mention(CAROL))),
        "{:?}",
        posts(&app, KUDOS)
    );
}

#[tokio::test]
async fn without_a_kudos_channel_nothing_is_announced_and_the_reply_says_so() {
    let app = spawn_app_with(TestOptions {
        config: config_without_kudos_channel(),
        ..TestOptions::default()
    })
    .await;
    let reply = trophy(&app, MANAGER, "pass <@U0ALICE001|alice> stayed late").await;
    assert!(
        reply.contains("now holds") && reply.contains("No kudos channel"),
        "{reply}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(dms(&app, ALICE).len(), 1);
    let elsewhere: Vec<_> = app
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.channel.as_deref() != Some(app.sim.dm_channel(ALICE).as_str()))
        // The pod's morning check-in prompt is due at the default start time.
        .filter(|c| c.channel.as_deref() != Some("C0SUPPORT1"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "only the DM was posted: {elsewhere:?}"
    );
}

#[tokio::test]
async fn the_holder_is_nudged_once_per_period() {
    let app = spawn_app().await;
    pass(&app, MANAGER, ALICE, "first one").await;
    let day = chrono::Duration::days(1);

    app.advance_to(start() + day * 14 - chrono::Duration::minutes(1))
        .await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, ALICE), 0, "not before 14 days");

    app.advance_to(start() + day * 14 + chrono::Duration::hours(1))
        .await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, ALICE), 1);
    let nudge = dms(&app, ALICE).pop().expect("the nudge");
    assert!(
        nudge.contains("14 days") && nudge.contains("/trophy pass"),
        "{nudge}"
    );

    app.advance_to(start() + day * 20).await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, ALICE), 1, "once per period");

    app.advance_to(start() + day * 28 + chrono::Duration::hours(1))
        .await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, ALICE), 2, "again in the next period");

    // A new holding starts its own count.
    let passed_at = start() + day * 28 + chrono::Duration::hours(1);
    pass(&app, ALICE, BOB, "covered the weekend queue").await;
    app.advance_to(passed_at + day * 13).await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, BOB), 0);
    app.advance_to(passed_at + day * 14).await;
    app.outbox_drained(DRAIN).await;
    assert_eq!(nudges(&app, BOB), 1);
    assert_eq!(nudges(&app, ALICE), 2, "the old holder hears no more");
}

#[tokio::test]
async fn the_app_home_shows_who_holds_it() {
    let app = spawn_app().await;
    pass(&app, MANAGER, ALICE, "rescued the Acme migration").await;
    let opened = payloads::app_home_opened(&event_id(), BOB);
    assert_eq!(app.slack.event(&opened).await.status(), 200);
    app.outbox_drained(WAIT).await;
    let home = home_text(&app.sim.home_view(BOB).expect("bob's home"));
    assert!(
        home.contains(&format!("{} holds", mention(ALICE))) && home.contains("Acme migration"),
        "{home}"
    );
    assert!(!home.contains("You hold it"), "{home}");
}

#[tokio::test]
async fn passing_works_over_socket_mode() {
    let app = spawn_app_with(TestOptions {
        mode: Mode::SocketMode,
        ..TestOptions::default()
    })
    .await;
    let ack = app
        .sim
        .socket_send(
            "slash_commands",
            app.sim.command_payload(
                "/trophy",
                MANAGER,
                "C0SUPPORT1",
                "pass <@U0BOB00001|bob> fixed it",
            ),
            WAIT,
        )
        .await
        .expect("acked");
    let text = ack["payload"]["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("now holds") && text.contains(&mention(BOB)),
        "{ack}"
    );
    app.sim.wait_for("chat.postMessage", 2, WAIT).await;
    assert_eq!(passes(&app).await, 1);
}

async fn run_export(app: &TestApp, args: &[&str]) -> String {
    let args: Vec<&str> = ["export", "trophy"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    crate::helpers::needful_cli(app, &args, &app.sim.config().bot_token).await
}

#[tokio::test]
async fn export_writes_the_chain_as_csv_and_json() {
    let app = spawn_app().await;
    pass(&app, MANAGER, ALICE, "stayed late, \"really\" late").await;
    app.advance_to(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap())
        .await;
    pass(&app, ALICE, BOB, "fixed the refund queue").await;
    app.advance_to(Utc.with_ymd_and_hms(2026, 12, 10, 10, 0, 0).unwrap())
        .await;
    let reply = trophy(
        &app,
        MANAGER,
        "reassign <@U0CAROL001|carol> Bob moved teams",
    )
    .await;
    assert!(reply.contains("reassigned"), "{reply}");

    let csv = run_export(&app, &["--format", "csv"]).await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "header and three passes:\n{csv}");
    // Each person's name beside their id, from Slack's users.info.
    assert_eq!(
        lines[0],
        "number,passed_at,kind,from,from_name,to,to_name,reason,by,by_name"
    );
    assert_eq!(
        lines[1],
        "1,2026-11-25T08:30:00Z,first,,,U0ALICE001,alice,\"stayed late, \"\"really\"\" late\",U0MANAGER1,manager"
    );
    assert!(
        lines[2].starts_with("2,2026-12-03T10:00:00Z,pass,U0ALICE001,alice,U0BOB00001,bob,"),
        "{csv}"
    );
    assert!(
        lines[3].contains(
            "reassign,U0BOB00001,bob,U0CAROL001,carol,Bob moved teams,U0MANAGER1,manager"
        ),
        "{csv}"
    );

    let json: Value = serde_json::from_str(
        &run_export(
            &app,
            &[
                "--format",
                "json",
                "--since",
                "2026-12-01",
                "--until",
                "2026-12-05",
            ],
        )
        .await,
    )
    .expect("JSON");
    let rows = json.as_array().expect("an array");
    assert_eq!(rows.len(), 1, "{json}");
    assert_eq!(rows[0]["number"], 2);
    assert_eq!(rows[0]["kind"], "pass");
    assert_eq!(rows[0]["from"], ALICE);
    assert_eq!(rows[0]["to"], BOB);
    assert_eq!(rows[0]["by"], ALICE);
    assert_eq!(rows[0]["reason"], "fixed the refund queue");

    let all: Value =
        serde_json::from_str(&run_export(&app, &["--format", "json"]).await).expect("JSON");
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    assert_eq!(all[0]["from"], Value::Null);
    assert_eq!(all[2]["kind"], "reassign");
}

#[tokio::test]
async fn a_refused_announcement_tells_the_passer_how_to_fix_it() {
    let app = spawn_app_with(TestOptions {
        config: DEFAULT_CONFIG.replace("C0HUMBLEBR", "C0NOSUCH01"),
        ..TestOptions::default()
    })
    .await;
    pass(&app, MANAGER, ALICE, "stayed late").await;
    let notices = app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(notices[0].params["user"], MANAGER);
    let text = notices[0].params["text"].as_str().unwrap_or_default();
    assert!(
        text.contains("recorded") && text.contains("/invite"),
        "{text}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(dms(&app, ALICE).len(), 1, "the new holder still hears");
}
