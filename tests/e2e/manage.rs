//! Setting up the team from Slack: `/needful setup` and the App Home's
//! Manage section open forms (views.open, views.push); a saved form
//! (view_submission) is checked, stored with who and when, and applies at
//! once; a forged or stale one changes nothing.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use needful::slack_sim::{SimUser, payloads};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestOptions, posts_in, spawn_app, spawn_app_with, wait_until};

const WAIT: Duration = Duration::from_secs(15);
const SUPPORT: &str = "C0SUPPORT1";
const MANAGER: &str = "U0MANAGER1";
const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
/// Named in NEEDFUL_ADMINS where a test asks for it.
const ADMIN: &str = "U0ADMIN001";

fn with_admin() -> TestOptions {
    TestOptions {
        env: vec![("NEEDFUL_ADMINS", ADMIN.to_string())],
        ..TestOptions::default()
    }
}

async fn admin_app() -> TestApp {
    let app = spawn_app_with(with_admin()).await;
    app.sim.add_user(SimUser::human(ADMIN, "ada", "Ada Admin"));
    app
}

// ---- what a person picks, in Slack's state.values shape

fn text(value: &str) -> Value {
    json!({"type": "plain_text_input", "value": value})
}
fn people(ids: &[&str]) -> Value {
    json!({"type": "multi_users_select", "selected_users": ids})
}
fn channel(id: &str) -> Value {
    json!({"type": "conversations_select", "selected_conversation": id})
}
fn channels(ids: &[&str]) -> Value {
    json!({"type": "multi_conversations_select", "selected_conversations": ids})
}
fn time(at: &str) -> Value {
    json!({"type": "timepicker", "selected_time": at})
}
fn date(day: Option<&str>) -> Value {
    json!({"type": "datepicker", "selected_date": day})
}
fn option(value: &str) -> Value {
    json!({"type": "static_select", "selected_option": {
        "text": {"type": "plain_text", "text": value}, "value": value}})
}
fn ticked(values: &[&str]) -> Value {
    let options: Vec<Value> = values
        .iter()
        .map(|v| json!({"text": {"type": "plain_text", "text": v}, "value": v}))
        .collect();
    json!({"type": "checkboxes", "selected_options": options})
}

/// `{block: value}` into state.values (each block's action id is its own).
fn state(fields: &[(&str, Value)]) -> Value {
    let mut values = serde_json::Map::new();
    for (block, value) in fields {
        values.insert(block.to_string(), json!({ *block: value }));
    }
    Value::Object(values)
}

/// Submits a form; Slack's answer (response_action), or Null when empty.
async fn submit(app: &TestApp, user: &str, callback_id: &str, fields: &[(&str, Value)]) -> Value {
    let payload = payloads::view_submission(user, callback_id, "", state(fields));
    let resp = app.slack.interaction(&payload).await;
    assert_eq!(resp.status(), 200);
    let body = resp.text().await.unwrap_or_default();
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

fn saved(answer: &Value) -> bool {
    answer["response_action"] == "update" && answer["view"].to_string().contains("Saved")
}

fn support_form(name: &str, members: &[&str]) -> Vec<(&'static str, Value)> {
    vec![
        ("name", text(name)),
        ("channel", channel(SUPPORT)),
        ("managers", people(&[MANAGER])),
        ("members", people(members)),
        ("help_channels", channels(&["C0SALES001"])),
        ("overtime_note", text("")),
    ]
}

fn checkin_form(
    zone: &str,
    at: &str,
    holidays: &str,
    add: Option<&str>,
) -> Vec<(&'static str, Value)> {
    vec![
        ("timezone", text(zone)),
        ("checkin_at", time(at)),
        ("window", option("2h")),
        ("workdays", ticked(&["Mon", "Tue", "Wed", "Thu", "Fri"])),
        ("holidays", text(holidays)),
        ("add_holiday", date(add)),
    ]
}

async fn changes(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM setup_changes").await
}

async fn stored_has(app: &TestApp, needle: &str) -> bool {
    let sql = format!(
        "SELECT COUNT(*) FROM setup WHERE config LIKE '%{}%'",
        needle.replace('\'', "''")
    );
    app.count(&sql).await == 1
}

/// Direct messages `user` got, as text.
fn dms_to(app: &TestApp, user: &str) -> Vec<String> {
    let dm = app.sim.dm_channel(user);
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| {
            c.ok && c
                .channel
                .as_deref()
                .is_some_and(|ch| ch == dm || ch == user)
        })
        .map(|c| c.params["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn wait_dm(app: &TestApp, user: &str, containing: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(found) = dms_to(app, user)
            .into_iter()
            .find(|t| t.contains(containing))
        {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no DM to {user} with {containing:?}: {}",
            app.sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Buttons (action id, value) in a view's blocks.
fn buttons(view: &Value) -> Vec<(String, String)> {
    view["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["elements"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            (
                e["action_id"].as_str().unwrap_or_default().to_string(),
                e["value"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn needful_setup_opens_what_each_person_may_change() {
    let app = admin_app().await;

    // A manager: their pod, without the admins' buttons.
    let reply = app.command("/needful", MANAGER, SUPPORT, "setup").await;
    assert!(reply.contains("Opening"), "{reply}");
    let opened = app.sim.wait_for("views.open", 1, WAIT).await;
    let menu = &opened[0].params["view"];
    let pressed = buttons(menu);
    assert!(
        pressed.contains(&("setup_open".into(), "checkin:support".into())),
        "{pressed:?}"
    );
    assert!(pressed.contains(&("setup_open".into(), "pod:support".into())));
    assert!(
        !pressed.iter().any(|(_, v)| v == "new_pod" || v == "kudos"),
        "{pressed:?}"
    );
    assert!(!pressed.iter().any(|(a, _)| a == "setup_remove"));

    // An admin: everything.
    app.command("/needful", ADMIN, SUPPORT, "setup").await;
    let opened = app.sim.wait_for("views.open", 2, WAIT).await;
    let pressed = buttons(&opened[1].params["view"]);
    for value in ["new_pod", "kudos", "trophy", "roles:support"] {
        assert!(
            pressed.iter().any(|(_, v)| v == value),
            "{value}: {pressed:?}"
        );
    }
    assert!(pressed.contains(&("setup_remove".into(), "support".into())));

    // Anyone else is told who can.
    let refused = app.command("/needful", ALICE, SUPPORT, "setup").await;
    assert!(
        refused.contains("<@U0MANAGER1>") && refused.contains("admins"),
        "{refused}"
    );
    assert_eq!(app.sim.calls_to("views.open").len(), 2);

    // A button in the menu pushes its form on top; in the App Home it opens one.
    let press = payloads::block_actions_in_view(MANAGER, true, "setup_open", "checkin:support");
    app.slack.interaction(&press).await;
    let pushed = app.sim.wait_for("views.push", 1, WAIT).await;
    let form = &pushed[0].params["view"];
    assert_eq!(form["callback_id"], "setup_checkin:support");
    assert!(form.to_string().contains("Europe/Berlin"), "{form}");
    assert!(pushed[0].ok, "{:?}", pushed[0].response);

    // Saving the pushed form redraws the menu under it.
    let submit_on_top = payloads::view_submission_on_top(
        MANAGER,
        "setup_checkin:support",
        state(&checkin_form("Europe/Berlin", "08:45", "", None)),
        "V0MENU0001",
    );
    app.slack.interaction(&submit_on_top).await;
    let redrawn = app.sim.wait_for("views.update", 1, WAIT).await;
    assert_eq!(redrawn[0].params["view_id"], "V0MENU0001");
    assert!(
        redrawn[0].params["view"]
            .to_string()
            .contains("Check-in 08:45")
    );

    let press = payloads::block_actions_in_view(MANAGER, false, "setup_open", "pod:support");
    app.slack.interaction(&press).await;
    let opened = app.sim.wait_for("views.open", 3, WAIT).await;
    let form = &opened[2].params["view"];
    assert_eq!(form["callback_id"], "setup_pod:support");
    assert!(
        form.to_string().contains(ALICE),
        "the members are picked: {form}"
    );
}

#[tokio::test]
async fn the_app_home_has_a_manage_section_for_managers_and_admins_only() {
    let app = admin_app().await;
    for user in [MANAGER, ALICE, ADMIN] {
        let opened = payloads::app_home_opened(&crate::helpers::event_id(), user);
        app.slack.event(&opened).await;
    }
    wait_until("the homes", async || {
        [MANAGER, ALICE, ADMIN]
            .iter()
            .all(|u| app.sim.home_view(u).is_some())
    })
    .await;
    let home = |u: &str| app.sim.home_view(u).unwrap_or_default();
    assert!(buttons(&home(MANAGER)).contains(&("setup_open".into(), "roles:support".into())));
    assert!(!buttons(&home(MANAGER)).iter().any(|(_, v)| v == "new_pod"));
    assert!(buttons(&home(ADMIN)).iter().any(|(_, v)| v == "new_pod"));
    assert!(
        !home(ALICE).to_string().contains("setup_open"),
        "{}",
        home(ALICE)
    );
}

#[tokio::test]
async fn a_manager_changes_people_and_channels_and_it_is_recorded() {
    let app = spawn_app().await;
    app.sim
        .add_user(SimUser::human("U0DAVE0001", "dave", "Dave Diaz"));
    let before = changes(&app).await;
    let answer = submit(
        &app,
        MANAGER,
        "setup_pod:support",
        &support_form("support", &[ALICE, BOB, CAROL, "U0DAVE0001"]),
    )
    .await;
    assert!(saved(&answer), "{answer}");
    assert_eq!(changes(&app).await, before + 1);
    assert!(stored_has(&app, "U0DAVE0001").await);

    // Who and when, in the audit list.
    let listed = app.command("/needful", MANAGER, SUPPORT, "changes").await;
    assert!(
        listed.contains("<@U0MANAGER1>: changed the people and channels of support"),
        "{listed}"
    );
    // The new member is told, and `/needful pods` shows them at once.
    wait_dm(&app, "U0DAVE0001", "added you to *support*").await;
    let pods = app.command("/needful", ALICE, SUPPORT, "pods").await;
    assert!(pods.contains("<@U0DAVE0001>"), "{pods}");

    // A rename keeps the pod's history: today's prompt is not posted again.
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    let prompts_before = app
        .count("SELECT COUNT(*) FROM checkin_prompts WHERE pod = 'support'")
        .await;
    assert_eq!(prompts_before, 1);
    let answer = submit(
        &app,
        MANAGER,
        "setup_pod:support",
        &support_form("frontline", &[ALICE, BOB]),
    )
    .await;
    assert!(saved(&answer), "{answer}");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM checkin_prompts WHERE pod = 'frontline'")
            .await,
        1
    );
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 25, 8, 35, 0).unwrap())
        .await;
    app.outbox_drained(WAIT).await;
    assert_eq!(app.count("SELECT COUNT(*) FROM checkin_prompts").await, 1);
    let reply = app
        .command("/understaffed", MANAGER, SUPPORT, "status")
        .await;
    assert!(reply.contains("frontline"), "{reply}");
}

#[tokio::test]
async fn mistakes_are_shown_beside_their_fields_and_change_nothing() {
    let app = admin_app().await;
    app.sim.add_channel("C0NOTIN001", "escalations", false);
    let mut gone = SimUser::human("U0GONE0001", "gus", "Gus Gone");
    gone.deleted = true;
    app.sim.add_user(gone);
    // A second pod, so a duplicate name can be tried.
    let answer = submit(
        &app,
        ADMIN,
        "setup_new_pod",
        &[
            ("name", text("billing")),
            ("channel", channel("C0SALES001")),
            ("managers", people(&[MANAGER])),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");

    let answer = submit(
        &app,
        MANAGER,
        "setup_pod:support",
        &[
            ("name", text("billing")),
            ("channel", channel("C0NOTIN001")),
            ("managers", people(&[MANAGER])),
            ("members", people(&[ALICE, "U0GONE0001"])),
        ],
    )
    .await;
    assert_eq!(answer["response_action"], "errors", "{answer}");
    let errors = &answer["errors"];
    assert!(
        errors["name"]
            .as_str()
            .unwrap_or_default()
            .contains("two pods"),
        "{answer}"
    );
    assert!(
        errors["channel"]
            .as_str()
            .unwrap_or_default()
            .contains("/invite @needful in #escalations"),
        "{answer}"
    );
    assert!(
        errors["members"]
            .as_str()
            .unwrap_or_default()
            .contains("gus is deactivated"),
        "{answer}"
    );

    // Names used in commands are words; free text pings nobody.
    let answer = submit(
        &app,
        ADMIN,
        "setup_new_pod",
        &[
            ("name", text("<!channel>")),
            ("channel", channel("C0SALES001")),
        ],
    )
    .await;
    assert!(
        answer["errors"]["name"]
            .as_str()
            .unwrap_or_default()
            .contains("one word"),
        "{answer}"
    );
    let answer = submit(
        &app,
        ADMIN,
        "setup_trophy",
        &[
            ("trophy_name", text("Cup <!channel>")),
            ("nudge", text("14")),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    assert!(!stored_has(&app, "<!channel>").await);
    let answer = submit(
        &app,
        ADMIN,
        "setup_kudos",
        &[("reactions", text("<!here>")), ("daily_limit", text("5"))],
    )
    .await;
    assert!(
        answer["errors"]["reactions"]
            .as_str()
            .unwrap_or_default()
            .contains("emoji"),
        "{answer}"
    );
    let before = changes(&app).await;

    // A pod with no channel.
    let answer = submit(
        &app,
        ADMIN,
        "setup_new_pod",
        &[("name", text("chat")), ("managers", people(&[MANAGER]))],
    )
    .await;
    assert!(
        answer["errors"]["channel"]
            .as_str()
            .unwrap_or_default()
            .contains("Choose the pod's channel"),
        "{answer}"
    );

    // A malformed time, an unknown zone, a new holiday in the past.
    let answer = submit(
        &app,
        MANAGER,
        "setup_checkin:support",
        &checkin_form("Berlin", "9 o'clock", "", Some("2026-01-06")),
    )
    .await;
    let errors = &answer["errors"];
    assert!(
        errors["timezone"]
            .as_str()
            .unwrap_or_default()
            .contains("Europe/Berlin"),
        "{answer}"
    );
    assert!(
        errors["checkin_at"]
            .as_str()
            .unwrap_or_default()
            .contains("09:00"),
        "{answer}"
    );
    assert!(
        errors["add_holiday"]
            .as_str()
            .unwrap_or_default()
            .contains("past"),
        "{answer}"
    );

    assert_eq!(changes(&app).await, before, "nothing was saved");

    // Invited, the same channel is taken.
    app.sim.add_channel("C0NOTIN001", "escalations", true);
    let mut fixed = support_form("support", &[ALICE]);
    fixed[1] = ("channel", channel("C0NOTIN001"));
    let answer = submit(&app, MANAGER, "setup_pod:support", &fixed).await;
    assert!(saved(&answer), "{answer}");
}

#[tokio::test]
async fn a_new_check_in_time_applies_to_the_next_prompt_without_a_restart() {
    let app = spawn_app().await;
    // Wednesday's prompt (09:00 Berlin) went out at start.
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    let prompts = || {
        posts_in(&app, SUPPORT)
            .into_iter()
            .filter(|(_, p)| p.to_string().contains("checkin_open"))
            .count()
    };
    assert_eq!(prompts(), 1);

    // Thursday's moves to 11:15; Friday is a holiday now.
    let answer = submit(
        &app,
        MANAGER,
        "setup_checkin:support",
        &checkin_form("Europe/Berlin", "11:15", "", Some("2026-11-27")),
    )
    .await;
    assert!(saved(&answer), "{answer}");

    // Thursday 09:30 in Berlin: nothing yet.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 26, 8, 30, 0).unwrap())
        .await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(), 1, "not at the old time");
    // 11:15 in Berlin: the prompt.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 26, 10, 16, 0).unwrap())
        .await;
    wait_until("the prompt at the new time", async || prompts() == 2).await;
    // Friday, the new holiday: none.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 27, 10, 30, 0).unwrap())
        .await;
    app.outbox_drained(WAIT).await;
    assert_eq!(prompts(), 2, "no prompt on the holiday");
}

#[tokio::test]
async fn roles_and_people_changed_apply_from_the_next_rotation() {
    let app = spawn_app().await;
    let answer = submit(
        &app,
        MANAGER,
        "setup_roles:support",
        &[("roles", text("Triage\nChat\nKnowledge manager"))],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    assert!(stored_has(&app, r#""roles":["triage","chat","knowledge-manager"]"#).await);
    // Carol leaves the pod; Dave joins.
    app.sim
        .add_user(SimUser::human("U0DAVE0001", "dave", "Dave Diaz"));
    let answer = submit(
        &app,
        MANAGER,
        "setup_pod:support",
        &support_form("support", &[ALICE, BOB, "U0DAVE0001"]),
    )
    .await;
    assert!(saved(&answer), "{answer}");
    // This week's roster stays (nobody loses a role mid-week); Monday's
    // rotation uses the new list, and the pod's people as they are now.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 30, 8, 30, 0).unwrap())
        .await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let roster = app.command("/roles", ALICE, SUPPORT, "").await;
        if roster.contains("week of Mon 30 Nov") {
            assert!(
                roster.contains("Knowledge manager") && !roster.contains("Ticket tank"),
                "{roster}"
            );
            assert!(
                roster.contains("<@U0DAVE0001>") && !roster.contains("<@U0CAROL001>"),
                "{roster}"
            );
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{roster}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn admins_create_and_remove_pods_and_change_kudos_and_the_trophy() {
    let app = admin_app().await;
    let answer = submit(
        &app,
        ADMIN,
        "setup_new_pod",
        &[
            ("name", text("billing")),
            ("channel", channel("C0SALES001")),
            ("managers", people(&[BOB])),
            ("members", people(&[CAROL])),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let pods = app.command("/needful", ALICE, SUPPORT, "pods").await;
    assert!(pods.contains("*billing* in <#C0SALES001>"), "{pods}");
    wait_dm(&app, CAROL, "added you to *billing*").await;

    let answer = submit(
        &app,
        ADMIN,
        "setup_kudos",
        &[
            ("channel", channel("C0HUMBLEBR")),
            ("reactions", text(":trophy:, tada")),
            ("daily_limit", text("3")),
            ("leaderboard", ticked(&[])),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    assert!(stored_has(&app, r#""reactions":["trophy","tada"],"daily_limit":3"#).await);

    let answer = submit(
        &app,
        ADMIN,
        "setup_trophy",
        &[
            ("trophy_name", text("Golden Headset")),
            ("nudge", text("7")),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let help = app.command("/trophy", ALICE, SUPPORT, "help").await;
    assert!(help.contains("Golden Headset"), "{help}");

    // Remove, from the menu: the menu is redrawn without it.
    let press = payloads::block_actions_in_view(ADMIN, true, "setup_remove", "billing");
    app.slack.interaction(&press).await;
    let updated = app.sim.wait_for("views.update", 1, WAIT).await;
    assert!(updated[0].ok, "{:?}", updated[0].response);
    assert!(!updated[0].params["view"].to_string().contains("billing"));
    wait_dm(&app, ADMIN, "Removed *billing*").await;
    let pods = app.command("/needful", ALICE, SUPPORT, "pods").await;
    assert!(!pods.contains("billing"), "{pods}");
    let listed = app.command("/needful", ADMIN, SUPPORT, "changes").await;
    for what in [
        "created the pod billing",
        "changed the kudos settings",
        "changed the trophy settings",
        "removed the pod billing",
    ] {
        assert!(listed.contains(what), "{what}: {listed}");
    }

    // A pod in understaffed mode is not removed from under its team.
    app.command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    let press = payloads::block_actions_in_view(ADMIN, false, "setup_remove", "support");
    app.slack.interaction(&press).await;
    wait_dm(&app, ADMIN, "Switch it off first").await;
    assert!(
        app.command("/needful", ALICE, SUPPORT, "pods")
            .await
            .contains("*support*")
    );
}

#[tokio::test]
async fn workspace_admins_are_admins_when_needful_admins_is_unset() {
    let app = spawn_app().await;
    app.sim
        .add_user(SimUser::human("U0OWNER001", "olga", "Olga Owner").owner());
    app.sim
        .add_user(SimUser::human("U0WSADMIN1", "wes", "Wes Admin").admin());
    for admin in ["U0OWNER001", "U0WSADMIN1"] {
        let answer = submit(
            &app,
            admin,
            "setup_trophy",
            &[
                ("trophy_name", text(&format!("Cup of {admin}"))),
                ("nudge", text("14")),
            ],
        )
        .await;
        assert!(saved(&answer), "{admin}: {answer}");
    }
    // Their App Home has the admins' Manage buttons (Slack's flags are
    // asked when the Home is rendered, not while the event is acknowledged).
    let opened = payloads::app_home_opened(&crate::helpers::event_id(), "U0OWNER001");
    assert_eq!(app.slack.event(&opened).await.status(), 200);
    wait_until("the owner's home", async || {
        app.sim
            .home_view("U0OWNER001")
            .is_some_and(|home| buttons(&home).iter().any(|(_, v)| v == "new_pod"))
    })
    .await;
    // A manager is not an admin: the team-wide forms are refused.
    let answer = submit(
        &app,
        MANAGER,
        "setup_trophy",
        &[("trophy_name", text("Mine")), ("nudge", text("14"))],
    )
    .await;
    assert!(
        answer["errors"]
            .to_string()
            .contains("Only needful's admins"),
        "{answer}"
    );
    assert!(!stored_has(&app, "Mine").await);
}

/// A second pod, managed by Bob: a manager, but not of support.
const BILLING: &str = "
[[pods]]
name = \"billing\"
channel = \"C0SALES001\"
managers = [\"U0BOB00001\"]
members = [\"U0CAROL001\"]
";

/// Submits `form` as people who may not (Alice, in no pod's lead; Bob, who
/// manages another pod; for the admins' forms, support's manager too) and
/// checks each is refused beside the form and nothing is stored.
async fn forged(callback: &str, fields: &[(&str, Value)]) {
    let app = spawn_app_with(TestOptions {
        config: format!("{}{BILLING}", crate::helpers::DEFAULT_CONFIG),
        ..with_admin()
    })
    .await;
    let before = changes(&app).await;
    let stored = app.count("SELECT version FROM setup").await;
    let mut forgers = vec![ALICE, BOB];
    if !callback.contains(':') {
        forgers.push(MANAGER);
    }
    for who in forgers {
        let answer = submit(&app, who, callback, fields).await;
        assert_eq!(
            answer["response_action"], "errors",
            "{who}, {callback}: {answer}"
        );
        assert!(answer["errors"].to_string().contains("Only"), "{answer}");
    }
    app.outbox_drained(WAIT).await;
    assert_eq!(changes(&app).await, before, "{callback}");
    assert_eq!(app.count("SELECT version FROM setup").await, stored);
}

#[tokio::test]
async fn a_forged_people_and_channels_form_changes_nothing() {
    forged("setup_pod:support", &support_form("support", &[BOB])).await;
}

#[tokio::test]
async fn a_forged_check_in_form_changes_nothing() {
    forged(
        "setup_checkin:support",
        &checkin_form("UTC", "07:00", "", None),
    )
    .await;
}

#[tokio::test]
async fn a_forged_roles_form_changes_nothing() {
    forged("setup_roles:support", &[("roles", text("chat"))]).await;
}

#[tokio::test]
async fn a_forged_new_pod_form_changes_nothing() {
    forged(
        "setup_new_pod",
        &[("name", text("rogue")), ("channel", channel("C0SALES001"))],
    )
    .await;
}

#[tokio::test]
async fn a_forged_kudos_form_changes_nothing() {
    forged(
        "setup_kudos",
        &[("reactions", text("tada")), ("daily_limit", text("99"))],
    )
    .await;
}

#[tokio::test]
async fn a_forged_trophy_form_changes_nothing() {
    forged(
        "setup_trophy",
        &[("trophy_name", text("Rogue")), ("nudge", text("1"))],
    )
    .await;
}

#[tokio::test]
async fn a_form_for_a_pod_that_does_not_exist_changes_nothing() {
    forged("setup_pod:nosuchpod", &support_form("nosuchpod", &[ALICE])).await;
}

#[tokio::test]
async fn forged_buttons_open_nothing_and_remove_nothing() {
    let app = spawn_app_with(TestOptions {
        config: format!("{}{BILLING}", crate::helpers::DEFAULT_CONFIG),
        ..with_admin()
    })
    .await;
    let before = changes(&app).await;
    for (who, action, value) in [
        (ALICE, "setup_open", "pod:support"),
        (BOB, "setup_open", "checkin:support"),
        (BOB, "setup_open", "roles:support"),
        (MANAGER, "setup_open", "new_pod"),
        (MANAGER, "setup_open", "kudos"),
        (MANAGER, "setup_open", "trophy"),
        (BOB, "setup_remove", "support"),
        (MANAGER, "setup_remove", "support"),
        (ALICE, "setup_open", "pod:"),
    ] {
        let press = payloads::block_actions_in_view(who, false, action, value);
        assert_eq!(app.slack.interaction(&press).await.status(), 200);
    }
    app.outbox_drained(WAIT).await;
    assert_eq!(changes(&app).await, before);
    assert!(app.sim.calls_to("views.open").is_empty());
    assert!(app.sim.calls_to("views.push").is_empty());
    assert!(
        app.command("/needful", ALICE, SUPPORT, "pods")
            .await
            .contains("*support*")
    );
    wait_dm(&app, ALICE, "managers (<@U0MANAGER1>)").await;
    wait_dm(&app, BOB, "managers (<@U0MANAGER1>)").await;
    wait_dm(&app, MANAGER, "Only needful's admins can add pods").await;
    wait_dm(&app, MANAGER, "Only needful's admins can remove pods").await;
    wait_dm(&app, ALICE, "older version of needful").await;
}

#[tokio::test]
async fn an_install_without_needful_toml_is_set_up_entirely_from_slack() {
    let outbox = crate::helpers::DEFAULT_CONFIG
        .split_once("[outbox]")
        .map(|(_, o)| format!("[outbox]{o}"))
        .unwrap_or_default();
    let app = spawn_app_with(TestOptions {
        config: outbox,
        ..with_admin()
    })
    .await;
    app.sim.add_user(SimUser::human(ADMIN, "ada", "Ada Admin"));
    let pods = app.command("/needful", ALICE, SUPPORT, "pods").await;
    assert!(pods.contains("/needful setup"), "{pods}");

    app.command("/needful", ADMIN, SUPPORT, "setup").await;
    let opened = app.sim.wait_for("views.open", 1, WAIT).await;
    assert!(opened[0].params["view"].to_string().contains("No pods yet"));

    let answer = submit(
        &app,
        ADMIN,
        "setup_new_pod",
        &[
            ("name", text("support")),
            ("channel", channel(SUPPORT)),
            ("managers", people(&[MANAGER])),
            ("members", people(&[ALICE, BOB])),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let answer = submit(
        &app,
        ADMIN,
        "setup_kudos",
        &[
            ("channel", channel("C0HUMBLEBR")),
            ("reactions", text("trophy")),
            ("daily_limit", text("5")),
        ],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let answer = submit(
        &app,
        MANAGER,
        "setup_checkin:support",
        &checkin_form("Europe/Berlin", "10:00", "", None),
    )
    .await;
    assert!(saved(&answer), "{answer}");

    // The next workday's prompt comes, in the pod's channel, at its time.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 25, 9, 1, 0).unwrap())
        .await;
    wait_until("the first prompt", async || {
        posts_in(&app, SUPPORT)
            .iter()
            .any(|(_, p)| p.to_string().contains("checkin_open"))
    })
    .await;
    // And kudos are celebrated in the channel chosen.
    app.command(
        "/kudos",
        ALICE,
        SUPPORT,
        "<@U0BOB00001|bob> stayed late for a customer",
    )
    .await;
    wait_until("the celebration", async || {
        !posts_in(&app, "C0HUMBLEBR").is_empty()
    })
    .await;
}

#[tokio::test]
async fn a_form_opened_before_someone_elses_change_saves_nothing_unseen() {
    let app = admin_app().await;
    // Maria (the manager) opens the check-in form ...
    let press = payloads::block_actions_in_view(MANAGER, false, "setup_open", "checkin:support");
    app.slack.interaction(&press).await;
    let opened = app.sim.wait_for("views.open", 1, WAIT).await;
    let metadata = opened[0].params["view"]["private_metadata"]
        .as_str()
        .expect("metadata")
        .to_string();
    assert!(!metadata.is_empty());
    // ... an admin changes the same pod meanwhile ...
    let answer = submit(
        &app,
        ADMIN,
        "setup_checkin:support",
        &checkin_form("Europe/Berlin", "08:00", "", None),
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let before = changes(&app).await;
    // ... and her save is refused, beside the form, instead of undoing it.
    let stale = payloads::view_submission(
        MANAGER,
        "setup_checkin:support",
        &metadata,
        state(&checkin_form("Europe/Berlin", "09:30", "", None)),
    );
    let resp = app.slack.interaction(&stale).await;
    let answer: Value = resp.json().await.expect("JSON");
    assert!(
        answer["errors"]
            .to_string()
            .contains("changed the setup while you had this open"),
        "{answer}"
    );
    assert_eq!(changes(&app).await, before);
    assert!(stored_has(&app, "08:00").await);
    // A change elsewhere (the trophy) does not get in the way of this pod's form.
    let fresh = payloads::block_actions_in_view(MANAGER, false, "setup_open", "roles:support");
    app.slack.interaction(&fresh).await;
    let opened = app.sim.wait_for("views.open", 2, WAIT).await;
    let metadata = opened[1].params["view"]["private_metadata"]
        .as_str()
        .expect("metadata")
        .to_string();
    let answer = submit(
        &app,
        ADMIN,
        "setup_trophy",
        &[("trophy_name", text("Cup")), ("nudge", text("14"))],
    )
    .await;
    assert!(saved(&answer), "{answer}");
    let roles = payloads::view_submission(
        MANAGER,
        "setup_roles:support",
        &metadata,
        state(&[("roles", text("triage\nchat"))]),
    );
    let answer: Value = app
        .slack
        .interaction(&roles)
        .await
        .json()
        .await
        .expect("JSON");
    assert!(saved(&answer), "{answer}");
}
