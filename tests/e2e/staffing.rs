//! Understaffed mode: switching on and off, the playbook, asking other
//! departments for help, `--until`, the state of every pod, and the export.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use needful::slack_sim::{SimMessage, SimUser, payloads};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
const MANAGER: &str = "U0MANAGER1";
const SUPPORT: &str = "C0SUPPORT1";
const SALES: &str = "C0SALES001";
const OVERTIME: &str = "Extra hours are voluntary and paid; log them in the timesheet";

fn with_overtime_note() -> String {
    DEFAULT_CONFIG.replace(
        "help_channels = [\"C0SALES001\"]",
        &format!("help_channels = [\"C0SALES001\"]\novertime_note = \"{OVERTIME}\""),
    )
}

/// Two pods, both managed by the manager, for pod resolution.
fn two_pods() -> String {
    DEFAULT_CONFIG.replace(
        "[outbox]",
        r#"[[pods]]
name = "billing"
channel = "C0HUMBLEBR"
managers = ["U0MANAGER1"]
members = ["U0CAROL001"]
timezone = "Europe/Berlin"

[outbox]"#,
    )
}

/// Waits (bounded) for a message from the bot in `channel` whose text contains `needle`.
async fn bot_post(app: &TestApp, channel: &str, needle: &str) -> SimMessage {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(m) = app.sim.messages(channel).into_iter().find(|m| {
            m.user == "U0NEEDFUL1" && m.text.as_deref().is_some_and(|t| t.contains(needle))
        }) {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no bot post containing {needle:?} in {channel}:\n{}",
            app.sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn bot_posts(app: &TestApp, channel: &str, needle: &str) -> Vec<SimMessage> {
    app.sim
        .messages(channel)
        .into_iter()
        .filter(|m| m.user == "U0NEEDFUL1" && m.text.as_deref().is_some_and(|t| t.contains(needle)))
        .collect()
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().unwrap()
}

#[tokio::test]
async fn switching_on_tells_the_team_why_with_the_playbook_and_asks_for_help() {
    let app = spawn_app_with(TestOptions {
        config: with_overtime_note(),
        ..TestOptions::default()
    })
    .await;
    let reply = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            "on two agents out sick and the phone queue is at 40 --until 17:00",
        )
        .await;
    assert!(reply.contains("understaffed"), "{reply}");
    assert!(reply.contains("17:00 today"), "{reply}");
    assert!(reply.contains(SALES), "says where help was asked: {reply}");

    let announcement = bot_post(&app, SUPPORT, "understaffed").await;
    let text = announcement.text.unwrap();
    assert!(
        text.contains("two agents out sick and the phone queue is at 40"),
        "{text}"
    );
    assert!(text.contains("17:00"), "{text}");
    assert!(
        text.contains("Meetings and non-priority work are off"),
        "{text}"
    );
    assert!(text.contains("deferred"), "{text}");
    assert!(text.contains("other departments"), "{text}");
    assert!(text.contains(OVERTIME), "{text}");
    assert!(text.contains("Thank you"), "{text}");
    assert!(text.contains("recognition"), "{text}");
    assert!(announcement.blocks.is_some());

    let help = bot_post(&app, SALES, "short-handed").await;
    assert!(
        !help.text.as_deref().unwrap_or_default().contains("sick"),
        "the reason stays in the pod"
    );
    let blocks = help.blocks.unwrap().to_string();
    assert!(blocks.contains("staffing_help"), "{blocks}");
    assert!(blocks.contains("I can help"), "{blocks}");

    // The pod's App Home carries the banner.
    app.outbox_drained(WAIT).await;
    let home = app
        .sim
        .home_view("U0ALICE001")
        .expect("alice's home")
        .to_string();
    assert!(home.contains("understaffed"), "{home}");
    assert!(home.contains("two agents out sick"), "{home}");
    let sales_home = app.sim.home_view("U0OTHERBOT");
    assert!(sales_home.is_none(), "only the pod's people are refreshed");
}

#[tokio::test]
async fn without_an_overtime_note_the_announcement_says_nothing_about_extra_hours() {
    let app = spawn_app().await;
    app.command("/understaffed", MANAGER, SUPPORT, "on launch day")
        .await;
    let text = bot_post(&app, SUPPORT, "understaffed").await.text.unwrap();
    assert!(!text.contains("Extra hours"), "{text}");
    assert!(text.contains("until a manager switches it off"), "{text}");
}

#[tokio::test]
async fn every_refusal_says_why_and_what_to_do() {
    let app = spawn_app_with(TestOptions {
        config: two_pods(),
        ..TestOptions::default()
    })
    .await;
    let not_manager = app
        .command("/understaffed", "U0ALICE001", SUPPORT, "on I am tired")
        .await;
    assert!(not_manager.contains("Only"), "{not_manager}");
    assert!(
        not_manager.contains("<@U0MANAGER1>"),
        "names the managers: {not_manager}"
    );

    let no_reason = app
        .command("/understaffed", MANAGER, SUPPORT, "on --until 17:00")
        .await;
    assert!(no_reason.contains("reason"), "{no_reason}");

    let unknown = app
        .command("/understaffed", MANAGER, SUPPORT, "on sick --pod nowhere")
        .await;
    assert!(unknown.contains("nowhere"), "{unknown}");
    assert!(
        unknown.contains("`support`") && unknown.contains("`billing`"),
        "{unknown}"
    );

    // Outside a pod channel, a manager of two pods is asked which one.
    let several = app
        .command("/understaffed", MANAGER, SALES, "on sick")
        .await;
    assert!(several.contains("Which one"), "{several}");
    assert!(
        several.contains("--pod support") && several.contains("--pod billing"),
        "{several}"
    );

    let past = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            "on sick --until 2026-11-01",
        )
        .await;
    assert!(past.contains("passed"), "{past}");

    let off = app.command("/understaffed", MANAGER, SUPPORT, "off").await;
    assert!(off.contains("isn't understaffed"), "{off}");

    assert_eq!(app.count("SELECT COUNT(*) FROM staffing_switches").await, 0);
    app.outbox_drained(WAIT).await;
    assert!(bot_posts(&app, SUPPORT, "understaffed").is_empty());
    assert!(bot_posts(&app, SALES, "short-handed").is_empty());

    // With --pod it works from anywhere.
    let named = app
        .command("/understaffed", MANAGER, SALES, "on sick --pod billing")
        .await;
    assert!(named.contains("billing pod is understaffed"), "{named}");
}

#[tokio::test]
async fn i_can_help_tells_the_managers_and_thanks_the_helper_in_the_thread_once() {
    let app = spawn_app().await;
    app.sim
        .add_user(SimUser::human("U0DANA0001", "dana", "Dana Sales"));
    app.command("/understaffed", MANAGER, SUPPORT, "on flu season")
        .await;
    let help = bot_post(&app, SALES, "short-handed").await;
    let blocks = help.blocks.clone().unwrap();
    let value = blocks[1]["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();

    let press = || payloads::block_actions("U0DANA0001", SALES, &help.ts, "staffing_help", &value);
    let resp = app.slack.interaction(&press()).await;
    assert_eq!(resp.status(), 200);

    let thanks = bot_post(&app, SALES, "Thank you, <@U0DANA0001>").await;
    assert_eq!(
        thanks.thread_ts.as_deref(),
        Some(help.ts.as_str()),
        "in the thread"
    );
    let manager_dm = app.sim.dm_channel(MANAGER);
    let dm = bot_post(&app, &manager_dm, "<@U0DANA0001>").await;
    assert!(dm.text.unwrap().contains("offered"));

    // A second press changes nothing.
    let resp = app.slack.interaction(&press()).await;
    assert_eq!(resp.status(), 200);
    app.outbox_drained(WAIT).await;
    assert_eq!(bot_posts(&app, SALES, "Thank you, <@U0DANA0001>").len(), 1);
    assert_eq!(bot_posts(&app, &manager_dm, "<@U0DANA0001>").len(), 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM staffing_helpers").await, 1);

    // The all-clear names the helper and nudges kudos; the request closes.
    let reply = app.command("/understaffed", MANAGER, SUPPORT, "off").await;
    assert!(reply.contains("back to normal"), "{reply}");
    let clear = bot_post(&app, SUPPORT, "All clear").await.text.unwrap();
    assert!(clear.contains("<@U0DANA0001>"), "{clear}");
    assert!(clear.contains("kudos"), "{clear}");
    app.sim.wait_for("chat.update", 1, WAIT).await;
    let closed = app
        .sim
        .messages(SALES)
        .into_iter()
        .find(|m| m.ts == help.ts)
        .unwrap();
    assert!(closed.text.unwrap().contains("back to full strength"));
    assert!(!closed.blocks.unwrap().to_string().contains("staffing_help"));

    // Pressing an old button after the all-clear is answered kindly, privately.
    app.sim
        .add_user(SimUser::human("U0ERIN0001", "erin", "Erin Sales"));
    let late = payloads::block_actions("U0ERIN0001", SALES, &help.ts, "staffing_help", &value);
    app.slack.interaction(&late).await;
    let ephemeral = app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert!(
        ephemeral[0].params["text"]
            .as_str()
            .unwrap()
            .contains("no help is needed")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staffing_helpers").await, 1);
}

#[tokio::test]
async fn until_switches_it_off_by_itself_with_the_same_all_clear() {
    let app = spawn_app().await;
    app.command(
        "/understaffed",
        MANAGER,
        SUPPORT,
        "on two out sick --until 17:00",
    )
    .await;
    bot_post(&app, SUPPORT, "understaffed").await;

    app.advance_to(utc(2026, 11, 25, 15, 59)).await;
    let state = app
        .command("/understaffed", "U0ALICE001", SUPPORT, "")
        .await;
    assert!(state.contains("understaffed for 7 h 29 min"), "{state}");
    assert!(bot_posts(&app, SUPPORT, "All clear").is_empty());

    app.advance_to(utc(2026, 11, 25, 16, 0)).await;
    let clear = bot_post(&app, SUPPORT, "All clear").await.text.unwrap();
    assert!(clear.contains("7 h 30 min"), "{clear}");
    assert!(clear.contains("kudos"), "{clear}");
    let state = app
        .command("/understaffed", "U0ALICE001", SUPPORT, "")
        .await;
    assert!(state.contains("fully staffed"), "{state}");

    // Later ticks do not repeat it.
    app.advance_to(utc(2026, 11, 25, 16, 30)).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(bot_posts(&app, SUPPORT, "All clear").len(), 1);
}

#[tokio::test]
async fn until_a_date_runs_through_the_end_of_that_day() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            "on offsite --until 2026-11-26",
        )
        .await;
    assert!(reply.contains("23:59 tomorrow"), "{reply}");
    app.advance_to(utc(2026, 11, 26, 22, 58)).await;
    assert!(
        app.command("/understaffed", MANAGER, SUPPORT, "")
            .await
            .contains("offsite")
    );
    app.advance_to(utc(2026, 11, 26, 22, 59)).await;
    bot_post(&app, SUPPORT, "All clear").await;
}

#[tokio::test]
async fn state_of_every_pod_and_switching_on_again_updates_the_reason() {
    let app = spawn_app_with(TestOptions {
        config: two_pods(),
        ..TestOptions::default()
    })
    .await;
    let state = app.command("/understaffed", "U0BOB00001", SALES, "").await;
    assert!(state.contains("*support*: fully staffed"), "{state}");
    assert!(state.contains("*billing*: fully staffed"), "{state}");

    app.command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    bot_post(&app, SUPPORT, "two out sick").await;
    let again = app
        .command(
            "/understaffed",
            MANAGER,
            SUPPORT,
            "on three out sick now --until 18:00",
        )
        .await;
    assert!(again.contains("already"), "{again}");
    assert!(again.contains("three out sick now"), "{again}");
    let updated = app.sim.wait_for("chat.update", 1, WAIT).await;
    let text = updated[0].params["text"].as_str().unwrap();
    assert!(
        text.contains("three out sick now") && text.contains("18:00"),
        "{text}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM staffing_switches").await, 1);

    app.advance_to(utc(2026, 11, 25, 10, 0)).await;
    let state = app.command("/understaffed", "U0BOB00001", SALES, "").await;
    assert!(state.contains("understaffed for 1 h 30 min"), "{state}");
    assert!(state.contains("three out sick now"), "{state}");
    assert!(state.contains("<@U0MANAGER1>"), "{state}");
    assert!(state.contains("*billing*: fully staffed"), "{state}");

    // The check-in engineer's prompt reads the banner; it shows on App Home too.
    app.slack
        .event(&payloads::app_home_opened(
            &crate::helpers::event_id(),
            "U0BOB00001",
        ))
        .await;
    app.outbox_drained(WAIT).await;
    let home = app.sim.home_view("U0BOB00001").unwrap().to_string();
    assert!(home.contains("three out sick now"), "{home}");
}

#[tokio::test]
async fn export_lists_every_switch_with_who_when_why_and_how_long() {
    let app = spawn_app().await;
    app.sim
        .add_user(SimUser::human("U0DANA0001", "dana", "Dana Sales"));
    app.command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    let help = bot_post(&app, SALES, "short-handed").await;
    let value = help.blocks.unwrap()[1]["elements"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    app.slack
        .interaction(&payloads::block_actions(
            "U0DANA0001",
            SALES,
            &help.ts,
            "staffing_help",
            &value,
        ))
        .await;
    app.advance_to(utc(2026, 11, 25, 11, 0)).await;
    app.command("/understaffed", MANAGER, SUPPORT, "off").await;
    app.command(
        "/understaffed",
        MANAGER,
        SUPPORT,
        "on launch day --until 17:00",
    )
    .await;
    app.advance_to(utc(2026, 11, 25, 17, 0)).await;
    app.outbox_drained(WAIT).await;

    let run = |format: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_needful"))
            .args(["export", "staffing", "--format", format])
            .env("DATABASE_URL", crate::helpers::app_database_url(&app.dir))
            .env("NEEDFUL_CONFIG", app.dir.path().join("absent.toml"))
            .output()
            .expect("the binary runs")
    };
    let csv = run("csv");
    assert!(
        csv.status.success(),
        "{}",
        String::from_utf8_lossy(&csv.stderr)
    );
    let csv = String::from_utf8(csv.stdout).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header and two periods:\n{csv}");
    assert!(
        lines[0].contains("reason") && lines[0].contains("minutes"),
        "{csv}"
    );
    assert!(
        lines[1].contains("two out sick") && lines[1].contains(MANAGER),
        "{csv}"
    );
    assert!(
        lines[1].contains(",150,"),
        "08:30 to 11:00 is 150 minutes:\n{csv}"
    );
    assert!(lines[1].contains("U0DANA0001"), "helpers:\n{csv}");
    assert!(
        lines[2].contains("launch day") && lines[2].contains(",until,"),
        "{csv}"
    );

    let json = run("json");
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(rows[1]["minutes"], 300, "11:00 to 17:00 Berlin (16:00 UTC)");
    assert_eq!(rows[0]["switched_off_by"], MANAGER);
}
