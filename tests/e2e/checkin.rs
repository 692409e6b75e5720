//! Morning check-ins: the prompt's schedule (DST, holidays, restarts, two
//! instances), the three ways to check in, away members, the managers'
//! summary and status.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use needful::{
    Application, Mode,
    clock::ManualClock,
    config::{EnvSettings, Secret, Settings, TeamConfig},
    slack_sim::{Call, SimUser, SlackSim, payloads},
    state::App,
};
use serde_json::json;
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::helpers::{
    DEFAULT_CONFIG, TestApp, TestOptions, ephemerals_to, event_id, spawn_app, spawn_app_with,
};

const WAIT: Duration = Duration::from_secs(15);
const SUPPORT: &str = "C0SUPPORT1";
const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const MANAGER: &str = "U0MANAGER1";
/// A workspace member who is on no pod.
const DAVE: &str = "U0DAVE0001";

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid instant")
}

fn starting(start: DateTime<Utc>) -> TestOptions {
    TestOptions {
        start,
        ..TestOptions::default()
    }
}

/// Successful prompt posts in #support (the fixture's old prompt is not a call).
fn prompts(sim: &SlackSim) -> Vec<Call> {
    sim.calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(SUPPORT))
        .filter(|c| c.params["blocks"].to_string().contains("checkin_open"))
        .collect()
}

/// Waits (bounded) until `n` prompts were posted in #support. Other posts
/// (e.g. Monday's roster) share the channel, so counting posts is not enough.
async fn wait_prompts(sim: &SlackSim, n: usize) -> Vec<Call> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = prompts(sim);
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} prompt(s) posted, wanted {n}: {}",
            found.len(),
            sim.describe_calls()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn button_value(call: &Call) -> String {
    let blocks = call.params["blocks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    blocks
        .iter()
        .filter_map(|b| b["elements"].as_array())
        .flatten()
        .find(|e| e["action_id"] == "checkin_open")
        .and_then(|e| e["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Waits for today's prompt and returns its ts.
async fn prompt_ts(app: &TestApp) -> String {
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    let calls = prompts(&app.sim);
    assert_eq!(calls.len(), 1, "{}", app.sim.describe_calls());
    let ts = calls[0].response["ts"]
        .as_str()
        .expect("the post has a ts")
        .to_string();
    app.post_recorded(&ts, WAIT).await;
    ts
}

/// Successful direct messages to `user`, as text + blocks.
fn dms(sim: &SlackSim, user: &str) -> Vec<String> {
    let dm = sim.dm_channel(user);
    sim.calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(dm.as_str()))
        .map(|c| format!("{} {}", c.params["text"], c.params["blocks"]))
        .collect()
}

async fn wait_dms(sim: &SlackSim, user: &str, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found = dms(sim, user);
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "waited {WAIT:?} for {n} DM(s) to {user}:\n{}",
            sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reply_in_thread(app: &TestApp, user: &str, thread_ts: &str, text: &str) -> String {
    let event = app
        .sim
        .post_as_user_event(&event_id(), SUPPORT, user, text, Some(thread_ts));
    let ts = event["event"]["ts"].as_str().expect("ts").to_string();
    assert_eq!(app.slack.event(&event).await.status(), 200);
    ts
}

fn add_dave(sim: &SlackSim) {
    sim.add_user(SimUser::human(DAVE, "dave", "Dave Outsider"));
}

/// A second needful on the same database, simulator and clock (as a second
/// replica, or the same bot coming back after being down).
struct Instance {
    state: App,
    shutdown: CancellationToken,
    handle: JoinHandle<anyhow::Result<()>>,
}

impl Instance {
    async fn start(sim: &SlackSim, dir: &TempDir, clock: Arc<ManualClock>, config: &str) -> Self {
        let db_url = crate::helpers::database_url(dir).await;
        let api_url = sim.api_url();
        let mut env = EnvSettings::from_lookup(|key| match key {
            "SLACK_API_URL" => Some(api_url.clone()),
            "DATABASE_URL" => Some(db_url.clone()),
            "NEEDFUL_LISTEN" => Some("127.0.0.1:0".to_string()),
            _ => None,
        })
        .expect("env parses");
        env.bot_token = Secret::new(sim.config().bot_token.clone());
        env.signing_secrets = vec![Secret::new(sim.config().signing_secret.clone())];
        let team = TeamConfig::parse(config, "test.toml").expect("config parses");
        let app = Application::build(Settings { env, team }, Some(clock), None, Mode::Http)
            .await
            .expect("second instance builds");
        let state = app.state();
        let shutdown = app.shutdown_token();
        let handle = tokio::spawn(app.run_until_stopped());
        Self {
            state,
            shutdown,
            handle,
        }
    }

    /// Waits (bounded) until this instance's scheduler ran at `to` or later.
    async fn ticked(&self, to: DateTime<Utc>) {
        let mut ticks = self.state.ticks.subscribe();
        tokio::time::timeout(Duration::from_secs(10), ticks.wait_for(|t| *t >= to))
            .await
            .expect("the second scheduler ran within 10 s")
            .expect("the second instance is running");
    }

    /// Waits (bounded) until this instance's outbox has nothing left to send.
    async fn drained(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = needful::storage::outbox::depth(&self.state.team.db)
                .await
                .expect("count runs");
            if left == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{left} rows undelivered"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .expect("stops within 15 s")
            .expect("joins")
            .expect("exits cleanly");
    }
}

#[tokio::test]
async fn checkin_prompt_keeps_nine_oclock_berlin_across_dst_changes() {
    // Friday 23 October 2026, 08:00 in Berlin (summer time, UTC+2).
    let app = spawn_app_with(starting(utc(2026, 10, 23, 6, 0))).await;
    app.advance_to(utc(2026, 10, 23, 6, 59)).await;
    assert!(prompts(&app.sim).is_empty(), "no prompt before 09:00");
    app.advance_to(utc(2026, 10, 23, 7, 0)).await;
    wait_prompts(&app.sim, 1).await;
    assert_eq!(button_value(&prompts(&app.sim)[0]), "support:2026-10-23");

    // Clocks went back on Sunday 25 October: 09:00 is now 08:00 UTC.
    app.advance_to(utc(2026, 10, 26, 7, 0)).await;
    app.advance_to(utc(2026, 10, 26, 7, 59)).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(&app.sim).len(), 1, "07:59 UTC is 08:59 in Berlin");
    app.advance_to(utc(2026, 10, 26, 8, 0)).await;
    wait_prompts(&app.sim, 2).await;
    assert_eq!(button_value(&prompts(&app.sim)[1]), "support:2026-10-26");

    // Clocks go forward on Sunday 28 March 2027: 09:00 is 07:00 UTC again.
    app.advance_to(utc(2027, 3, 29, 6, 59)).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(&app.sim).len(), 2, "06:59 UTC is 08:59 in Berlin");
    app.advance_to(utc(2027, 3, 29, 7, 0)).await;
    let calls = wait_prompts(&app.sim, 3).await;
    let all = prompts(&app.sim);
    assert_eq!(all.len(), 3, "{calls:?}");
    assert_eq!(button_value(&all[2]), "support:2027-03-29");
    let text = all[2].params["text"].as_str().unwrap_or_default();
    assert!(text.contains("Monday 29 March"), "{text}");
}

#[tokio::test]
async fn checkin_prompt_is_posted_once_across_a_restart() {
    // 09:30 in Berlin: the window is open at start, so the prompt goes out at once.
    let app = spawn_app().await;
    prompt_ts(&app).await;
    let app = app.restart().await;
    app.advance_to(utc(2026, 11, 25, 8, 45)).await;
    let app = app.restart().await;
    app.advance_to(utc(2026, 11, 25, 9, 0)).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(&app.sim).len(), 1, "{}", app.sim.describe_calls());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM job_runs WHERE kind = 'checkin_prompt'")
            .await,
        1
    );
}

#[tokio::test]
async fn checkin_prompt_waits_for_a_bot_that_was_down_if_the_window_is_open() {
    // Tuesday 24 November, 08:00 in Berlin: before the window.
    let app = spawn_app_with(starting(utc(2026, 11, 24, 7, 0))).await;
    let (sim, dir, clock, config, _) = app.stop().await;
    assert!(prompts(&sim).is_empty());

    // Down through 09:00; back at 09:40, the window (until 11:00) is open.
    clock.set(utc(2026, 11, 24, 8, 40));
    let back = Instance::start(&sim, &dir, clock.clone(), &config).await;
    back.ticked(utc(2026, 11, 24, 8, 40)).await;
    sim.wait_for("chat.postMessage", 1, WAIT).await;
    assert_eq!(button_value(&prompts(&sim)[0]), "support:2026-11-24");
    back.stop().await;

    // Down through all of Wednesday's window: back at 11:30, no stale prompt.
    clock.set(utc(2026, 11, 25, 10, 30));
    let back = Instance::start(&sim, &dir, clock.clone(), &config).await;
    back.ticked(utc(2026, 11, 25, 10, 30)).await;
    back.drained().await;
    assert_eq!(prompts(&sim).len(), 1, "{}", sim.describe_calls());
    back.stop().await;
}

#[tokio::test]
async fn checkin_prompt_is_posted_once_by_two_instances_on_one_database() {
    // 08:50 in Berlin: both instances are up before the window opens.
    let app = spawn_app_with(starting(utc(2026, 11, 25, 7, 50))).await;
    let second = Instance::start(&app.sim, &app.dir, app.clock.clone(), DEFAULT_CONFIG).await;
    let nine = utc(2026, 11, 25, 8, 0);
    app.advance_to(nine).await;
    second.ticked(nine).await;
    // And both keep ticking while the window is open.
    let later = utc(2026, 11, 25, 8, 1);
    app.advance_to(later).await;
    second.ticked(later).await;
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(&app.sim).len(), 1, "{}", app.sim.describe_calls());
    second.stop().await;
}

#[tokio::test]
async fn checkin_holidays_and_weekends_have_no_prompt() {
    let config = DEFAULT_CONFIG.replace(
        "help_channels = [\"C0SALES001\"]",
        "help_channels = [\"C0SALES001\"]\nholidays = [\"2026-11-26\"]",
    );
    let app = spawn_app_with(TestOptions {
        config,
        start: utc(2026, 11, 26, 7, 0),
        ..TestOptions::default()
    })
    .await;
    // Thursday 26 November is a holiday.
    app.advance_to(utc(2026, 11, 26, 8, 30)).await;
    let reply = app.command("/checkin", ALICE, SUPPORT, "inbox zero").await;
    assert!(reply.contains("holiday"), "{reply}");
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 0);
    // Saturday 28 November is not a workday.
    app.advance_to(utc(2026, 11, 28, 8, 30)).await;
    let reply = app.command("/checkin", ALICE, SUPPORT, "").await;
    assert!(reply.contains("Saturday"), "{reply}");
    app.outbox_drained(WAIT).await;
    assert!(prompts(&app.sim).is_empty(), "{}", app.sim.describe_calls());
    // Monday 30 November is an ordinary workday again.
    app.advance_to(utc(2026, 11, 30, 8, 0)).await;
    wait_prompts(&app.sim, 1).await;
    assert_eq!(button_value(&prompts(&app.sim)[0]), "support:2026-11-30");
}

#[tokio::test]
async fn checkin_by_thread_reply_is_acknowledged_and_updates_the_note() {
    let app = spawn_app().await;
    add_dave(&app.sim);
    let prompt = prompt_ts(&app).await;

    let first = reply_in_thread(
        &app,
        ALICE,
        &prompt,
        "Refund queue, then the billing training",
    )
    .await;
    let reactions = app.sim.wait_for("reactions.add", 1, WAIT).await;
    assert_eq!(reactions[0].params["timestamp"], first.as_str());
    assert_eq!(reactions[0].params["name"], "white_check_mark");

    let second = reply_in_thread(&app, ALICE, &prompt, "Refund queue only; training moved").await;
    app.sim.wait_for("reactions.add", 2, WAIT).await;
    assert_eq!(
        app.sim.calls_to("reactions.add")[1].params["timestamp"],
        second.as_str()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkins").await,
        1,
        "counted once"
    );
    let status = app.command("/checkin", MANAGER, SUPPORT, "status").await;
    assert!(status.contains("training moved"), "{status}");
    assert!(
        !status.contains("billing training"),
        "the note was replaced: {status}"
    );

    // A reply to the fixture's old prompt (not one of ours) and a manager's
    // comment in the thread are not check-ins.
    reply_in_thread(&app, BOB, "1732608000.000100", "here").await;
    reply_in_thread(&app, MANAGER, &prompt, "Thanks all!").await;
    // Someone on no pod is told why their reply did not count.
    reply_in_thread(&app, DAVE, &prompt, "morning!").await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let told = ephemerals_to(&app.sim, DAVE);
    assert!(
        told[0].contains("support") && told[0].contains("member"),
        "{told:?}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 1);
    assert_eq!(app.sim.calls_to("reactions.add").len(), 2);
    assert!(ephemerals_to(&app.sim, MANAGER).is_empty());

    // The prompt shows the progress.
    let shown = app
        .sim
        .messages(SUPPORT)
        .into_iter()
        .find(|m| m.ts == prompt)
        .expect("the prompt is in #support");
    assert!(shown.edits >= 1);
    assert!(
        shown
            .blocks
            .unwrap_or_default()
            .to_string()
            .contains("1 checked in, 2 to go"),
        "progress line"
    );
}

#[tokio::test]
async fn checkin_by_button_and_modal() {
    let app = spawn_app().await;
    add_dave(&app.sim);
    let prompt = prompt_ts(&app).await;
    let value = button_value(&prompts(&app.sim)[0]);
    assert_eq!(value, "support:2026-11-25");

    let press = payloads::block_actions(BOB, SUPPORT, &prompt, "checkin_open", &value);
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    let opened = app.sim.wait_for("views.open", 1, WAIT).await;
    let view = &opened[0].params["view"];
    assert_eq!(view["callback_id"], "checkin_modal");
    let metadata = view["private_metadata"]
        .as_str()
        .expect("metadata")
        .to_string();

    let note = "Billing escalations; blocked on the refunds API";
    let submit = payloads::view_submission(
        BOB,
        "checkin_modal",
        &metadata,
        json!({"note": {"note": {"type": "plain_text_input", "value": note}}}),
    );
    let resp = app.slack.interaction(&submit).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap_or_default();
    assert!(!body.contains("errors"), "the modal closes: {body}");
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let acks = ephemerals_to(&app.sim, BOB);
    assert!(
        acks[0].contains("checked in") && acks[0].contains(note),
        "{acks:?}"
    );

    // Pressing again opens the modal with today's note, ready to edit.
    let again = payloads::block_actions(BOB, SUPPORT, &prompt, "checkin_open", &value);
    app.slack.interaction(&again).await;
    let opened = app.sim.wait_for("views.open", 2, WAIT).await;
    assert!(opened[1].params["view"].to_string().contains(note));
    let resubmit = payloads::view_submission(
        BOB,
        "checkin_modal",
        &metadata,
        json!({"note": {"note": {"type": "plain_text_input", "value": null}}}),
    );
    app.slack.interaction(&resubmit).await;
    app.sim.wait_for("chat.postEphemeral", 2, WAIT).await;
    let acks = ephemerals_to(&app.sim, BOB);
    assert!(
        acks[1].contains("Updated") && acks[1].contains(note),
        "an empty note keeps the old one: {acks:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 1);

    // Someone on no pod gets an explanation instead of a modal.
    let outsider = payloads::block_actions(DAVE, SUPPORT, &prompt, "checkin_open", &value);
    app.slack.interaction(&outsider).await;
    app.sim.wait_for("chat.postEphemeral", 3, WAIT).await;
    let told = ephemerals_to(&app.sim, DAVE);
    assert!(told[0].contains("support"), "{told:?}");
    assert_eq!(app.sim.calls_to("views.open").len(), 2);
}

#[tokio::test]
async fn checkin_by_command_updates_the_note_and_explains_to_non_members() {
    let app = spawn_app().await;
    add_dave(&app.sim);
    let reply = app
        .command("/checkin", CAROL, "C0SALES001", "Chats all morning")
        .await;
    assert!(
        reply.contains("checked in") && reply.contains("support"),
        "{reply}"
    );
    let reply = app
        .command("/checkin", CAROL, "C0SALES001", "Chats, then calls")
        .await;
    assert!(
        reply.contains("Updated") && reply.contains("Chats, then calls"),
        "{reply}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 1);

    let reply = app.command("/checkin", DAVE, SUPPORT, "hello").await;
    assert!(reply.contains("not on any pod"), "{reply}");
    assert_eq!(app.count("SELECT COUNT(*) FROM checkins").await, 1);

    let help = app.command("/checkin", DAVE, SUPPORT, "help").await;
    assert!(help.contains("/checkin away until"), "{help}");
    let reply = app
        .command("/checkin", CAROL, SUPPORT, "away until next week")
        .await;
    assert!(reply.contains("YYYY-MM-DD"), "{reply}");
}

#[tokio::test]
async fn checkin_summary_lists_checked_in_missing_away_and_late() {
    let app = spawn_app().await;
    prompt_ts(&app).await;
    app.command("/checkin", ALICE, SUPPORT, "Refund queue")
        .await;
    let away = app
        .command("/checkin", CAROL, SUPPORT, "away until 2026-11-27 vacation")
        .await;
    assert!(away.contains("Fri 27 Nov"), "{away}");

    // 11:00 in Berlin: the window closes and the manager hears how it went.
    app.advance_to(utc(2026, 11, 25, 10, 0)).await;
    let summary = wait_dms(&app.sim, MANAGER, 1).await.remove(0);
    assert!(
        summary.contains("<@U0ALICE001> at 09:30: Refund queue"),
        "{summary}"
    );
    assert!(
        summary.contains("Not checked in (1)") && summary.contains("<@U0BOB00001>"),
        "{summary}"
    );
    assert!(
        summary.contains("Away (1)") && summary.contains("vacation"),
        "{summary}"
    );

    // Bob checks in after the window: late, and the manager is told.
    app.advance_to(utc(2026, 11, 25, 10, 20)).await;
    let reply = app
        .command("/checkin", BOB, SUPPORT, "Overslept, on it now")
        .await;
    assert!(reply.contains("late"), "{reply}");
    let follow_up = wait_dms(&app.sim, MANAGER, 2).await.remove(1);
    assert!(
        follow_up.contains("<@U0BOB00001>") && follow_up.contains("late"),
        "{follow_up}"
    );
    let status = app.command("/checkin", MANAGER, SUPPORT, "status").await;
    assert!(
        status.contains("Late (1)") && status.contains("Overslept"),
        "{status}"
    );

    // The next day, a missing member and one back early; Carol's away still counts.
    app.advance_to(utc(2026, 11, 26, 8, 0)).await;
    app.command("/checkin", ALICE, SUPPORT, "").await;
    app.advance_to(utc(2026, 11, 26, 10, 30)).await;
    let summary = wait_dms(&app.sim, MANAGER, 3).await.remove(2);
    assert!(summary.contains("Thursday 26 November"), "{summary}");
    assert!(
        summary.contains("Away (1)") && summary.contains("<@U0CAROL001>"),
        "{summary}"
    );
    assert!(
        summary.contains("Not checked in (1)") && summary.contains("<@U0BOB00001>"),
        "{summary}"
    );
    app.outbox_drained(WAIT).await;
    assert_eq!(dms(&app.sim, MANAGER).len(), 3, "one summary a day");

    let back = app.command("/checkin", CAROL, SUPPORT, "back").await;
    assert!(back.contains("Welcome back"), "{back}");
    let status = app.command("/checkin", MANAGER, SUPPORT, "status").await;
    assert!(!status.contains("Away"), "{status}");
}

#[tokio::test]
async fn checkin_status_is_for_managers_and_refused_kindly_to_others() {
    let app = spawn_app().await;
    app.command("/checkin", ALICE, SUPPORT, "Phones").await;
    let status = app.command("/checkin", MANAGER, SUPPORT, "status").await;
    assert!(
        status.contains("support") && status.contains("1 checked in"),
        "{status}"
    );
    assert!(
        status.contains("Phones") && status.contains("open until 11:00"),
        "{status}"
    );
    let refused = app.command("/checkin", ALICE, SUPPORT, "status").await;
    assert!(
        refused.contains("managers") && refused.contains("<@U0MANAGER1>"),
        "{refused}"
    );
    assert!(
        refused.contains("`/checkin`"),
        "says what to do instead: {refused}"
    );
}

#[tokio::test]
async fn checkin_state_shows_in_app_home() {
    let app = spawn_app().await;
    app.slack
        .event(&payloads::app_home_opened(&event_id(), ALICE))
        .await;
    app.sim.wait_for("views.publish", 1, WAIT).await;
    let home = app.sim.home_view(ALICE).expect("published").to_string();
    assert!(home.contains("haven't checked in yet"), "{home}");

    app.command("/checkin", ALICE, SUPPORT, "Escalations").await;
    app.sim.wait_for("views.publish", 2, WAIT).await;
    app.outbox_drained(WAIT).await;
    let home = app.sim.home_view(ALICE).expect("published").to_string();
    assert!(
        home.contains("you checked in at 09:30") && home.contains("Escalations"),
        "{home}"
    );
}

#[tokio::test]
async fn checkin_prompt_carries_todays_roles_and_the_understaffed_banner() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/understaffed",
            "U0MANAGER1",
            SUPPORT,
            "on two people out sick",
        )
        .await;
    assert!(reply.contains("understaffed"), "{reply}");
    // Thursday 26 November, 09:00 in Berlin.
    app.advance_to(utc(2026, 11, 26, 8, 0)).await;
    let all = wait_prompts(&app.sim, 1).await;
    let prompt = all
        .iter()
        .find(|c| button_value(c) == "support:2026-11-26")
        .cloned();
    let prompt = match prompt {
        Some(p) => p,
        None => wait_prompts(&app.sim, all.len() + 1)
            .await
            .pop()
            .expect("a prompt"),
    };
    let blocks = prompt.params["blocks"].to_string();
    assert!(
        blocks.contains("understaffed") && blocks.contains("two people out sick"),
        "banner: {blocks}"
    );
    assert!(
        blocks.contains("Roles today") && blocks.contains("U0ALICE001"),
        "roles: {blocks}"
    );
    assert_eq!(blocks.matches(":rotating_light:").count(), 1, "{blocks}");
}
