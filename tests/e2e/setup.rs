//! The team's setup lives in the database: needful.toml is imported into an
//! empty one, and a change (`needful import config`) applies to a running
//! bot within a tick, with no restart.

use std::{process::Command, time::Duration};

use chrono::{DateTime, TimeZone, Utc};
use needful::config::TeamConfig;

use crate::helpers::{
    DEFAULT_CONFIG, TestApp, TestOptions, posts_in, spawn_app, spawn_app_with, wait_until,
};

const WAIT: Duration = Duration::from_secs(15);
const SUPPORT: &str = "C0SUPPORT1";
const MANAGER: &str = "U0MANAGER1";

fn needful(app: &TestApp) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_needful"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "error")
        .env("DATABASE_URL", crate::helpers::app_database_url(&app.dir))
        .current_dir(app.dir.path());
    cmd
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("needful runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn renamed(name: &str) -> String {
    DEFAULT_CONFIG.replace("name = \"Needful Trophy\"", &format!("name = \"{name}\""))
}

#[tokio::test]
async fn the_file_is_imported_once_and_the_database_is_kept_across_restarts() {
    let app = spawn_app().await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_changes WHERE what LIKE 'imported from %'")
            .await,
        1
    );
    let (sim, dir, _, _, _) = app.stop().await;
    // The file changed while the bot was down: the database's setup stays.
    let app = crate::helpers::restart_on(sim, dir, renamed("Golden Headset")).await;
    let reply = app.command("/trophy", MANAGER, SUPPORT, "help").await;
    assert!(reply.contains("Needful Trophy"), "{reply}");
    assert!(!reply.contains("Golden Headset"), "{reply}");
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 1);

    // And the command line says so, and writes out the setup in use.
    std::fs::write(
        app.dir.path().join("needful.toml"),
        renamed("Golden Headset"),
    )
    .unwrap();
    let checked = run(needful(&app).arg("check-config"));
    assert!(checked.contains("kept in the database"), "{checked}");
    let exported = run(needful(&app).args(["export", "config"]));
    let setup = TeamConfig::parse(&exported, "exported.toml").expect("the export parses");
    assert_eq!(setup.trophy.name, "Needful Trophy");
    assert_eq!(setup.pods.len(), 1);
    assert_eq!(setup.pods[0].members.len(), 3, "{exported}");
}

fn utc(h: u32, min: u32) -> DateTime<Utc> {
    // Wednesday 2026-11-25; Berlin is UTC+1.
    Utc.with_ymd_and_hms(2026, 11, 25, h, min, 0).unwrap()
}

fn prompts(app: &TestApp) -> usize {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(SUPPORT))
        .filter(|c| c.params["blocks"].to_string().contains("checkin_open"))
        .count()
}

#[tokio::test]
async fn an_imported_setup_applies_to_the_running_bot_without_a_restart() {
    let app = spawn_app_with(TestOptions {
        start: utc(7, 0), // 08:00 in Berlin, before the 09:00 check-in
        ..TestOptions::default()
    })
    .await;
    let file = app.dir.path().join("new.toml");
    std::fs::write(
        &file,
        renamed("Golden Headset").replace("checkin_at = \"09:00\"", "checkin_at = \"10:30\""),
    )
    .unwrap();
    let said = run(needful(&app).args(["import", "config"]).arg(&file));
    assert!(said.contains("version 2"), "{said}");

    // 09:05 in Berlin: the old time has passed, and no prompt comes.
    app.advance_to(utc(8, 5)).await;
    assert_eq!(prompts(&app), 0, "{}", app.sim.describe_calls());
    let reply = app.command("/trophy", MANAGER, SUPPORT, "help").await;
    assert!(reply.contains("Golden Headset"), "{reply}");

    // 10:30 in Berlin: the new time.
    app.advance_to(utc(9, 31)).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while prompts(&app) == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(prompts(&app), 1, "{}", app.sim.describe_calls());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_changes WHERE changed_by = 'needful import config'")
            .await,
        1
    );
}

#[tokio::test]
async fn an_invalid_file_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let file = app.dir.path().join("bad.toml");
    std::fs::write(
        &file,
        DEFAULT_CONFIG.replace("checkin_at = \"09:00\"", "checkin_at = \"nine\""),
    )
    .unwrap();
    let out = needful(&app)
        .args(["import", "config"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("nine") && err.contains("HH:MM"), "{err}");
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 1);
}

#[tokio::test]
async fn needful_pods_shows_the_setup_to_anyone_and_help_says_what_it_does() {
    let app = spawn_app().await;
    let pods = app.command("/needful", "U0ALICE001", SUPPORT, "pods").await;
    for expected in [
        "*support* in <#C0SUPPORT1>",
        "Managers: <@U0MANAGER1>",
        "Members: <@U0ALICE001>, <@U0BOB00001> and <@U0CAROL001>",
        "Check-in: 09:00 Europe/Berlin on Mon, Tue, Wed, Thu and Fri, open for 2h",
        "Asks for help in: <#C0SALES001>",
    ] {
        assert!(pods.contains(expected), "{expected:?} in {pods}");
    }
    let help = app.command("/needful", "U0ALICE001", SUPPORT, "").await;
    assert!(
        help.contains("`/needful pods`") && help.contains("`/needful changes`"),
        "{help}"
    );
    // Whatever is typed is repeated without pinging anyone.
    let unknown = app
        .command("/needful", "U0ALICE001", SUPPORT, "<!channel> please")
        .await;
    assert!(unknown.contains("I don't know"), "{unknown}");
    assert!(!unknown.contains("<!channel>"), "{unknown}");
}

#[tokio::test]
async fn setup_changes_are_shown_to_managers_and_admins_only() {
    let app = spawn_app_with(TestOptions {
        env: vec![("NEEDFUL_ADMINS", "U0DAVE0001".to_string())],
        ..TestOptions::default()
    })
    .await;
    let file = app.dir.path().join("new.toml");
    std::fs::write(&file, renamed("Golden Headset")).unwrap();
    run(needful(&app).args(["import", "config"]).arg(&file));

    let refused = app
        .command("/needful", "U0ALICE001", SUPPORT, "changes")
        .await;
    assert!(
        refused.contains("for managers and admins") && refused.contains("<@U0MANAGER1>"),
        "{refused}"
    );
    for who in [MANAGER, "U0DAVE0001"] {
        let listed = app.command("/needful", who, SUPPORT, "changes").await;
        let import = listed.find("`needful import config`: imported from");
        let first = listed
            .find("imported from the built-in defaults")
            .or(listed.find("imported from /"));
        assert!(import.is_some(), "{listed}");
        assert!(
            listed.matches("• ").count() == 2 && first.is_some_and(|f| f > import.unwrap()),
            "newest first: {listed}"
        );
    }
}

/// Carol, left out of the pod for these tests.
const DAVE: &str = "U0CAROL001";

#[tokio::test]
async fn someone_in_no_pod_asks_to_join_and_a_manager_adds_them_with_one_click() {
    let app = spawn_app_with(TestOptions {
        config: DEFAULT_CONFIG.replace(", \"U0CAROL001\"]", "]"),
        ..TestOptions::default()
    })
    .await;
    // Dave is in no pod: /checkin offers a button per pod instead of config jargon.
    let resp = app.slack.command("/checkin", DAVE, SUPPORT, "").await;
    assert_eq!(resp.status(), 200);
    let reply: serde_json::Value = resp.json().await.unwrap();
    let text = reply["text"].as_str().unwrap_or_default();
    assert!(!text.contains("config"), "{text}");
    let button = &reply["blocks"][1]["elements"][0];
    assert_eq!(button["action_id"], "setup_join_ask", "{reply}");
    assert_eq!(button["value"], "support", "{reply}");

    let ask = needful::slack_sim::payloads::block_actions(
        DAVE,
        SUPPORT,
        "1.0",
        "setup_join_ask",
        "support",
    );
    assert_eq!(app.slack.interaction(&ask).await.status(), 200);
    // The manager is asked by direct message, with a button.
    let manager_dm = app.sim.dm_channel(MANAGER);
    wait_until("the manager's DM", async || {
        !posts_in(&app, &manager_dm).is_empty()
    })
    .await;
    let (request, blocks) = posts_in(&app, &manager_dm).remove(0);
    assert!(
        request.contains("<@U0CAROL001> asks to join *support*"),
        "{request}"
    );
    let approve = &blocks[1]["elements"][0];
    assert_eq!(approve["action_id"], "setup_join_approve");
    let value = approve["value"].as_str().unwrap().to_string();

    // A forged press by someone who doesn't manage the pod changes nothing.
    let forged = needful::slack_sim::payloads::block_actions(
        "U0ALICE001",
        &manager_dm,
        "1.0",
        "setup_join_approve",
        &value,
    );
    assert_eq!(app.slack.interaction(&forged).await.status(), 200);
    wait_until("the refusal", async || {
        crate::helpers::ephemerals_to(&app.sim, "U0ALICE001")
            .iter()
            .any(|t| t.contains("Only *support*'s managers"))
    })
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 1);
    // So does a manager's press with a made-up value.
    for garbage in ["support", "support:<!channel>", ":", "nopod:U0CAROL001"] {
        let press = needful::slack_sim::payloads::block_actions(
            MANAGER,
            &manager_dm,
            "1.0",
            "setup_join_approve",
            garbage,
        );
        assert_eq!(app.slack.interaction(&press).await.status(), 200);
    }
    wait_until("the answers to made-up presses", async || {
        crate::helpers::ephemerals_to(&app.sim, MANAGER)
            .iter()
            .filter(|t| t.contains("no longer set up"))
            .count()
            == 4
    })
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 1);

    // The manager's one click adds Dave, and both are told.
    let press = needful::slack_sim::payloads::block_actions(
        MANAGER,
        &manager_dm,
        "1.0",
        "setup_join_approve",
        &value,
    );
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    let dave_dm = app.sim.dm_channel(DAVE);
    wait_until("Dave's DM", async || {
        posts_in(&app, &dave_dm)
            .iter()
            .any(|(t, _)| t.contains("<@U0MANAGER1> added you to *support*"))
    })
    .await;
    wait_until("the manager's confirmation", async || {
        crate::helpers::ephemerals_to(&app.sim, MANAGER)
            .iter()
            .any(|t| t.contains("<@U0CAROL001> is in *support* now"))
    })
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_changes WHERE changed_by = 'U0MANAGER1'")
            .await,
        1
    );
    // Within a tick the running bot has Dave in the pod: he can check in.
    wait_until("the new member", async || {
        app.command("/needful", DAVE, SUPPORT, "pods")
            .await
            .contains("<@U0CAROL001>")
    })
    .await;
    let checked_in = app
        .command("/checkin", DAVE, SUPPORT, "on the phones")
        .await;
    assert!(!checked_in.contains("not on any pod"), "{checked_in}");
    // A second press is told it's done already, and changes nothing.
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    wait_until("the repeat answer", async || {
        crate::helpers::ephemerals_to(&app.sim, MANAGER)
            .iter()
            .any(|t| t.contains("already in *support*"))
    })
    .await;
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 2);
}

#[tokio::test]
async fn someone_deactivated_in_slack_leaves_their_pods_and_the_trophy_comes_back() {
    use needful::slack_sim::payloads;
    let app = spawn_app().await;
    let passed = app
        .command(
            "/trophy",
            MANAGER,
            SUPPORT,
            "pass <@U0ALICE001> for the refunds",
        )
        .await;
    assert!(passed.contains("<@U0ALICE001>"), "{passed}");

    let gone = payloads::user_deactivated(&crate::helpers::event_id(), "U0ALICE001");
    assert_eq!(app.slack.event(&gone).await.status(), 200);
    // A redelivery changes nothing more.
    assert_eq!(app.slack.event(&gone).await.status(), 200);

    wait_until("Alice to leave the pod", async || {
        !app.command("/needful", "U0BOB00001", SUPPORT, "pods")
            .await
            .contains("<@U0ALICE001>")
    })
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_changes WHERE changed_by = 'Slack' AND what LIKE '%left support%'")
            .await,
        1
    );
    let holder = app.command("/trophy", "U0BOB00001", SUPPORT, "").await;
    assert!(holder.contains("<@U0MANAGER1>"), "{holder}");
    let manager_dm = app.sim.dm_channel(MANAGER);
    wait_until("the manager's note", async || {
        posts_in(&app, &manager_dm).iter().any(|(t, _)| {
            t.contains("<@U0ALICE001> was deactivated") && t.contains("came back to you")
        })
    })
    .await;
    // Other profile changes are not needful's: nothing more changes.
    assert_eq!(app.count("SELECT COUNT(*) FROM setup_changes").await, 2);
}

#[tokio::test]
async fn someone_deactivated_while_needful_missed_the_event_leaves_within_minutes() {
    use needful::slack_sim::SimUser;
    let app = spawn_app().await;
    // Bob is deactivated, and no user_change reaches needful.
    let mut bob = SimUser::human("U0BOB00001", "bob", "Bob Baker");
    bob.deleted = true;
    app.sim.add_user(bob);

    // One person a minute is asked about, in turn: four people, four minutes.
    let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 31, 0).unwrap();
    for minute in 0..5 {
        app.advance_to(start + chrono::Duration::minutes(minute))
            .await;
    }
    wait_until("Bob to leave the pod", async || {
        !app.command("/needful", "U0ALICE001", SUPPORT, "pods")
            .await
            .contains("<@U0BOB00001>")
    })
    .await;
    let pods = app.command("/needful", "U0ALICE001", SUPPORT, "pods").await;
    assert!(pods.contains("<@U0CAROL001>"), "the others stay: {pods}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM setup_changes WHERE changed_by = 'Slack' AND what LIKE 'U0BOB00001 left support%'")
            .await,
        1
    );
}
