//! Rotating roles: the Monday rotation, `/roles`, swaps and sets by managers,
//! and the moves understaffed mode makes and undoes.

use std::{collections::HashMap, time::Duration};

use chrono::{TimeZone, Utc};
use needful::slack_sim::{SimMessage, SimUser, payloads};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, event_id, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(10);
const MANAGER: &str = "U0MANAGER1";
const SUPPORT: &str = "C0SUPPORT1";
const TEAM: [&str; 3] = ["U0ALICE001", "U0BOB00001", "U0CAROL001"];

/// Four people, four roles, two of them supporting.
fn small_roles() -> String {
    DEFAULT_CONFIG
        .replace(
            r#"members = ["U0ALICE001", "U0BOB00001", "U0CAROL001"]"#,
            r#"members = ["U0ALICE001", "U0BOB00001", "U0CAROL001", "U0DAVE0001"]
roles = ["triage", "chat", "training", "knowledge-manager"]"#,
        )
        .replace("help_channels = [\"C0SALES001\"]", "")
}

async fn bot_posts_eventually(
    app: &TestApp,
    channel: &str,
    needle: &str,
    n: usize,
) -> Vec<SimMessage> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let found: Vec<SimMessage> = app
            .sim
            .messages(channel)
            .into_iter()
            .filter(|m| {
                m.user == "U0NEEDFUL1" && m.text.as_deref().is_some_and(|t| t.contains(needle))
            })
            .collect();
        if found.len() >= n {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} posts containing {needle:?} in {channel}:\n{}",
            found.len(),
            app.sim.describe_calls()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// "• *Triage*: <@U…>, <@U…>" lines → role label → people.
fn roster_of(text: &str) -> HashMap<String, Vec<String>> {
    let mut roster = HashMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("• *") else {
            continue;
        };
        let Some((label, people)) = rest.split_once("*: ") else {
            continue;
        };
        let ids = people
            .split("<@")
            .skip(1)
            .filter_map(|p| p.split('>').next())
            .map(str::to_string)
            .collect();
        roster.insert(label.to_string(), ids);
    }
    roster
}

fn role_of(roster: &HashMap<String, Vec<String>>, user: &str) -> Option<String> {
    roster
        .iter()
        .find(|(_, people)| people.iter().any(|p| p == user))
        .map(|(role, _)| role.clone())
}

/// Monday 00:00 in Berlin, `weeks` after 30 Nov 2026.
fn monday(weeks: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 29, 23, 0, 0)
        .single()
        .unwrap()
        + chrono::Duration::weeks(weeks)
}

#[tokio::test]
async fn every_monday_the_roles_rotate_fairly_and_are_posted() {
    let app = spawn_app().await;
    // Mid-week start: no roster post, but /roles already answers.
    let now = app.command("/roles", "U0ALICE001", SUPPORT, "").await;
    assert!(roster_of(&now).len() == 3, "{now}");
    assert!(
        now.contains("Not filled this week"),
        "more roles than people: {now}"
    );

    let mut weeks = Vec::new();
    for week in 0..4 {
        app.advance_to(monday(week)).await;
        let posts = bot_posts_eventually(&app, SUPPORT, "New week", week as usize + 1).await;
        let text = posts[week as usize].text.clone().unwrap();
        let roster = roster_of(&text);
        let mut labels: Vec<&String> = roster.keys().collect();
        labels.sort();
        // Three people fill the three most critical roles.
        assert_eq!(
            labels,
            ["Phone coordinator", "Ticket tank", "Triage"],
            "{text}"
        );
        let asked = app.command("/roles", "U0BOB00001", SUPPORT, "").await;
        assert_eq!(roster_of(&asked), roster, "/roles shows the posted roster");
        weeks.push(roster);
    }
    // A second tick on the same Monday posts nothing more.
    app.advance_to(monday(3) + chrono::Duration::hours(2)).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(
        bot_posts_eventually(&app, SUPPORT, "New week", 4)
            .await
            .len(),
        4
    );

    for person in TEAM {
        let held: Vec<String> = weeks.iter().map(|w| role_of(w, person).unwrap()).collect();
        for pair in held.windows(2) {
            assert_ne!(
                pair[0], pair[1],
                "{person} kept a role two weeks running: {held:?}"
            );
        }
        let mut first_cycle = held[..3].to_vec();
        first_cycle.sort();
        first_cycle.dedup();
        assert_eq!(
            first_cycle.len(),
            3,
            "{person} held every role once in three weeks: {held:?}"
        );
    }

    // App Home shows the person's role this week.
    app.slack
        .event(&payloads::app_home_opened(&event_id(), "U0CAROL001"))
        .await;
    app.outbox_drained(WAIT).await;
    let home = app.sim.home_view("U0CAROL001").unwrap().to_string();
    let role = role_of(&weeks[3], "U0CAROL001").unwrap();
    assert!(home.contains(&format!("you're on *{role}*")), "{home}");
}

#[tokio::test]
async fn managers_swap_and_set_roles_and_others_are_refused() {
    let app = spawn_app().await;
    let before = roster_of(&app.command("/roles", "U0ALICE001", SUPPORT, "").await);
    let alice = role_of(&before, "U0ALICE001").unwrap();
    let bob = role_of(&before, "U0BOB00001").unwrap();

    let refused = app
        .command(
            "/roles",
            "U0ALICE001",
            SUPPORT,
            "swap <@U0ALICE001|alice> <@U0BOB00001|bob>",
        )
        .await;
    assert!(refused.contains("Only"), "{refused}");
    assert!(
        refused.contains("<@U0MANAGER1>"),
        "names the managers: {refused}"
    );
    let refused = app
        .command("/roles", "U0BOB00001", SUPPORT, "set <@U0BOB00001> triage")
        .await;
    assert!(refused.contains("<@U0MANAGER1>"), "{refused}");

    let done = app
        .command(
            "/roles",
            MANAGER,
            SUPPORT,
            "swap <@U0ALICE001|alice> <@U0BOB00001|bob>",
        )
        .await;
    assert!(done.contains("Done"), "{done}");
    let post = bot_posts_eventually(&app, SUPPORT, "Role change", 1).await[0]
        .text
        .clone()
        .unwrap();
    assert!(
        post.contains(&format!("<@U0ALICE001> is now on *{bob}*")),
        "{post}"
    );
    assert!(
        post.contains(&format!("<@U0BOB00001> is now on *{alice}*")),
        "{post}"
    );
    let after = roster_of(&app.command("/roles", "U0CAROL001", SUPPORT, "").await);
    assert_eq!(role_of(&after, "U0ALICE001"), Some(bob.clone()));
    assert_eq!(role_of(&after, "U0BOB00001"), Some(alice.clone()));

    // Set: the role's holder takes over the role Carol leaves.
    let carol = role_of(&after, "U0CAROL001").unwrap();
    let target = if carol == "Triage" { "chat" } else { "triage" };
    let holder = after.get("Triage").and_then(|p| p.first()).cloned();
    app.command(
        "/roles",
        MANAGER,
        SUPPORT,
        &format!("set <@U0CAROL001> {target}"),
    )
    .await;
    let set = roster_of(&app.command("/roles", "U0CAROL001", SUPPORT, "").await);
    if target == "triage" {
        assert_eq!(role_of(&set, "U0CAROL001").as_deref(), Some("Triage"));
        assert_eq!(role_of(&set, &holder.unwrap()), Some(carol));
    } else {
        assert_eq!(role_of(&set, "U0CAROL001").as_deref(), Some("Chat"));
    }
    bot_posts_eventually(&app, SUPPORT, "Role change", 2).await;

    let unknown = app
        .command("/roles", MANAGER, SUPPORT, "set <@U0CAROL001> juggler")
        .await;
    assert!(
        unknown.contains("juggler") && unknown.contains("`triage`"),
        "{unknown}"
    );
    let outsider = app
        .command(
            "/roles",
            MANAGER,
            SUPPORT,
            "swap <@U0ALICE001> <@U0OTHERBOT>",
        )
        .await;
    assert!(outsider.contains("isn't a member"), "{outsider}");
    let unchanged = roster_of(&app.command("/roles", "U0CAROL001", SUPPORT, "").await);
    assert_eq!(unchanged, set, "refusals change nothing");
}

#[tokio::test]
async fn understaffed_pauses_supporting_roles_and_the_all_clear_restores_them() {
    let app = spawn_app_with(TestOptions {
        config: small_roles(),
        ..TestOptions::default()
    })
    .await;
    app.sim
        .add_user(SimUser::human("U0DAVE0001", "dave", "Dave Support"));
    let base = roster_of(&app.command("/roles", "U0ALICE001", SUPPORT, "").await);
    let km = base["Knowledge manager"][0].clone();
    let training = base["Training"][0].clone();

    app.command("/understaffed", MANAGER, SUPPORT, "on two out sick")
        .await;
    let announcement = bot_posts_eventually(&app, SUPPORT, "understaffed", 1).await[0]
        .text
        .clone()
        .unwrap();
    // Least critical first: the knowledge manager moves first, to triage.
    let km_move = announcement
        .find(&format!("<@{km}>: Knowledge manager → Triage"))
        .expect(&announcement);
    let training_move = announcement
        .find(&format!("<@{training}>: Training → Chat"))
        .expect(&announcement);
    assert!(km_move < training_move, "{announcement}");

    let during = app.command("/roles", "U0ALICE001", SUPPORT, "").await;
    assert!(
        during.contains("Paused while we're understaffed"),
        "{during}"
    );
    let roster = roster_of(&during);
    assert_eq!(role_of(&roster, &km).as_deref(), Some("Triage"), "{during}");
    assert_eq!(
        role_of(&roster, &training).as_deref(),
        Some("Chat"),
        "{during}"
    );
    assert!(!roster.contains_key("Training") && !roster.contains_key("Knowledge manager"));
    app.outbox_drained(WAIT).await;
    let home = app.sim.home_view(&km).unwrap().to_string();
    assert!(home.contains("moved from Knowledge manager"), "{home}");

    app.command("/understaffed", MANAGER, SUPPORT, "off").await;
    let clear = bot_posts_eventually(&app, SUPPORT, "All clear", 1).await[0]
        .text
        .clone()
        .unwrap();
    assert!(
        clear.contains(&format!("<@{km}> back to Knowledge manager")),
        "{clear}"
    );
    assert!(
        clear.contains(&format!("<@{training}> back to Training")),
        "{clear}"
    );
    let after = roster_of(&app.command("/roles", "U0ALICE001", SUPPORT, "").await);
    assert_eq!(after, base, "the roster is restored");
}

#[tokio::test]
async fn people_away_on_monday_sit_the_rotation_out() {
    let app = spawn_app().await;
    // Alice is on vacation through Tuesday 1 December.
    let reply = app
        .command(
            "/checkin",
            "U0ALICE001",
            SUPPORT,
            "away until 2026-12-01 vacation",
        )
        .await;
    assert!(reply.contains("1 Dec"), "{reply}");
    app.advance_to(monday(0)).await;
    let posts = bot_posts_eventually(&app, SUPPORT, "New week", 1).await;
    let roster = roster_of(posts[0].text.as_deref().unwrap_or_default());
    assert_eq!(
        role_of(&roster, "U0ALICE001"),
        None,
        "alice is away: {roster:?}"
    );
    assert!(role_of(&roster, "U0BOB00001").is_some() && role_of(&roster, "U0CAROL001").is_some());
    // Back the week after: she rotates in again.
    app.advance_to(monday(1)).await;
    let posts = bot_posts_eventually(&app, SUPPORT, "New week", 2).await;
    let roster = roster_of(posts[1].text.as_deref().unwrap_or_default());
    assert!(role_of(&roster, "U0ALICE001").is_some(), "{roster:?}");
}
