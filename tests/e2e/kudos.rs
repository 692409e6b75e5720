//! Kudos by reaction and by command, the App Home and the kudos export, driven
//! only the way Slack drives the bot.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use needful::{
    Mode,
    slack_sim::{SimUser, payloads},
};
use serde_json::{Value, json};

use crate::helpers::{DEFAULT_CONFIG, TestApp, TestOptions, event_id, spawn_app, spawn_app_with};

const WAIT: Duration = Duration::from_secs(15);

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const CAROL: &str = "U0CAROL001";
const MANAGER: &str = "U0MANAGER1";
const NEEDFUL: &str = "U0NEEDFUL1";
const OTHER_BOT: &str = "U0OTHERBOT";
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";
const SALES: &str = "C0SALES001";
/// Alice's pre-loaded message in #support ("Refund queue is clear again…").
const ALICES_MESSAGE: &str = "1732600000.000200";
/// needful's own old check-in prompt in #support.
const BOTS_PROMPT: &str = "1732608000.000100";

fn reaction(added: bool, giver: &str, author: Option<&str>, channel: &str, ts: &str) -> Value {
    if added {
        payloads::reaction_added(&event_id(), giver, "trophy", author, channel, ts)
    } else {
        payloads::reaction_removed(&event_id(), giver, "trophy", author, channel, ts)
    }
}

/// A reaction event that Slack says happened at `event_ts`.
fn reaction_at(added: bool, giver: &str, ts: &str, event_ts: &str) -> Value {
    let mut e = reaction(added, giver, Some(ALICE), SUPPORT, ts);
    e["event"]["event_ts"] = json!(event_ts);
    e
}

async fn send(app: &TestApp, event: &Value) {
    let resp = app.slack.event(event).await;
    assert_eq!(resp.status(), 200, "event answered {}", resp.status());
}

async fn react(app: &TestApp, giver: &str, author: &str, channel: &str, ts: &str) {
    send(app, &reaction(true, giver, Some(author), channel, ts)).await;
}

async fn unreact(app: &TestApp, giver: &str, author: &str, channel: &str, ts: &str) {
    send(app, &reaction(false, giver, Some(author), channel, ts)).await;
}

/// Texts the bot successfully posted in `channel`.
fn posted(app: &TestApp, channel: &str) -> Vec<String> {
    app.sim
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.ok && c.channel.as_deref() == Some(channel))
        .filter_map(|c| c.params["text"].as_str().map(str::to_string))
        .collect()
}

/// Ephemeral texts delivered to `user`.
fn ephemerals(app: &TestApp, user: &str) -> Vec<(String, String)> {
    app.sim
        .calls_to("chat.postEphemeral")
        .into_iter()
        .filter(|c| c.ok && c.params["user"] == user)
        .map(|c| {
            (
                c.channel.unwrap_or_default(),
                c.params["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The live (not deleted) celebrations in #humblebrag, newest last.
fn celebrations(app: &TestApp) -> Vec<String> {
    app.sim
        .messages(HUMBLEBRAG)
        .into_iter()
        .filter(|m| !m.deleted)
        .filter_map(|m| m.text)
        .collect()
}

async fn given(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'given'")
        .await
}

async fn standing(app: &TestApp) -> i64 {
    app.count(
        "SELECT COUNT(*) FROM kudos_log g WHERE kind = 'given' \
         AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = g.id)",
    )
    .await
}

async fn learn_other_bot(app: &TestApp) {
    let mut e = payloads::message(
        &event_id(),
        OTHER_BOT,
        SALES,
        "1732600100.000100",
        "Deal closed",
        None,
    );
    e["event"]["bot_id"] = json!("B0DEALDESK");
    send(app, &e).await;
}

fn config_with(replace: &str, with: &str) -> String {
    assert!(DEFAULT_CONFIG.contains(replace));
    DEFAULT_CONFIG.replace(replace, with)
}

#[tokio::test]
async fn a_reaction_is_celebrated_with_a_quote_and_a_link() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    app.outbox_drained(WAIT).await;

    let posts = posted(&app, HUMBLEBRAG);
    assert_eq!(posts.len(), 1, "{posts:?}");
    let text = &posts[0];
    assert!(
        text.contains(&format!("<@{BOB}>")) && text.contains(&format!("<@{ALICE}>")),
        "who thanked whom: {text}"
    );
    assert!(
        text.contains("Refund queue is clear again"),
        "quotes the message: {text}"
    );
    assert!(
        text.contains("/archives/C0SUPPORT1/p1732600000000200"),
        "links the message: {text}"
    );
    assert!(!text.contains("{permalink}") && !text.contains("{quote}"));
    // The record holds everything, so nothing is read back from Slack later.
    let row: (String, String, String, String, Option<String>, String) = app
        .rows(
            "SELECT giver, receiver, channel, message_ts, reason, source FROM kudos_log",
            &[],
        )
        .await
        .remove(0);

    assert_eq!(
        row,
        (
            BOB.into(),
            ALICE.into(),
            SUPPORT.into(),
            ALICES_MESSAGE.into(),
            None,
            "reaction".into()
        )
    );
    // Alice's home is refreshed to show it.
    let home = app.sim.home_view(ALICE).expect("alice's home published");
    assert!(home.to_string().contains(&format!("<@{BOB}>")), "{home}");
    assert_eq!(app.sim.rate_limited_count(), 0);
}

#[tokio::test]
async fn more_reactions_grow_one_celebration_and_removals_shrink_then_delete_it() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(celebrations(&app).len(), 1);
    for giver in [CAROL, MANAGER] {
        react(&app, giver, ALICE, SUPPORT, ALICES_MESSAGE).await;
    }
    app.outbox_drained(WAIT).await;
    assert_eq!(
        posted(&app, HUMBLEBRAG).len(),
        1,
        "one celebration, not three"
    );
    let live = celebrations(&app);
    assert_eq!(live.len(), 1);
    assert!(
        live[0].contains(&format!("<@{BOB}>, <@{CAROL}> and <@{MANAGER}>")),
        "{}",
        live[0]
    );
    assert!(
        !app.sim.calls_to("chat.update").is_empty(),
        "it grew in place"
    );

    unreact(&app, CAROL, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    let live = celebrations(&app);
    assert!(
        live[0].contains(&format!("<@{BOB}> and <@{MANAGER}>")) && !live[0].contains(CAROL),
        "carol's kudos is withdrawn: {}",
        live[0]
    );
    assert_eq!(standing(&app).await, 2);

    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    unreact(&app, MANAGER, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.sim.wait_for("chat.delete", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    assert!(celebrations(&app).is_empty(), "the last removal deletes it");
    assert_eq!(standing(&app).await, 0);
    // Every kudos and every retraction is its own row.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM kudos_log WHERE kind = 'retracted'")
            .await,
        3
    );
    // A remove that has nothing to take back never goes below zero.
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    assert_eq!(standing(&app).await, 0);

    // Thanked again, the message is celebrated anew.
    react(&app, CAROL, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    let live = celebrations(&app);
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(live[0].contains(&format!("<@{CAROL}>")), "{}", live[0]);
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 2);
    assert_eq!(app.sim.rate_limited_count(), 0);
}

/// Someone deletes the celebration by hand in Slack: the next kudos on the
/// message posts it anew (no misleading note to the giver), and taking the
/// last one back needs nothing deleted.
#[tokio::test]
async fn a_celebration_deleted_by_hand_is_posted_anew() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    let first = app.sim.messages(HUMBLEBRAG);
    assert_eq!(first.len(), 1);
    app.sim.delete_by_hand(HUMBLEBRAG, &first[0].ts);

    react(&app, CAROL, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    let live = celebrations(&app);
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(
        live[0].contains(&format!("<@{BOB}> and <@{CAROL}>")),
        "{}",
        live[0]
    );
    assert!(
        app.sim.messages(&app.sim.dm_channel(CAROL)).is_empty(),
        "Carol gets no note: nothing was refused"
    );

    let second = app.sim.messages(HUMBLEBRAG)[1].ts.clone();
    app.sim.delete_by_hand(HUMBLEBRAG, &second);
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    unreact(&app, CAROL, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    assert!(celebrations(&app).is_empty());
    let failed = app
        .count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
        .await;
    assert_eq!(failed, 0, "nothing was given up");
    assert!(app.sim.messages(&app.sim.dm_channel(BOB)).is_empty());
}

#[tokio::test]
async fn a_removal_delivered_before_its_add_leaves_no_kudos() {
    let app = spawn_app().await;
    // Bob added at .000100 and removed at .000200; Slack delivers the removal first.
    send(
        &app,
        &reaction_at(false, BOB, ALICES_MESSAGE, "1764059400.000200"),
    )
    .await;
    send(
        &app,
        &reaction_at(true, BOB, ALICES_MESSAGE, "1764059400.000100"),
    )
    .await;
    assert_eq!(given(&app).await, 0, "the late add must not resurrect it");
    assert_eq!(standing(&app).await, 0);

    // Later he adds it again for real, and a stale removal from before arrives late.
    send(
        &app,
        &reaction_at(true, BOB, ALICES_MESSAGE, "1764059460.000100"),
    )
    .await;
    send(
        &app,
        &reaction_at(false, BOB, ALICES_MESSAGE, "1764059400.000300"),
    )
    .await;
    assert_eq!(
        standing(&app).await,
        1,
        "an older removal does not undo a newer add"
    );
    // The same add delivered again under a new event id changes nothing either.
    send(
        &app,
        &reaction_at(true, BOB, ALICES_MESSAGE, "1764059460.000100"),
    )
    .await;
    assert_eq!(given(&app).await, 1);
    app.outbox_drained(WAIT).await;
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 1);
}

#[tokio::test]
async fn files_authorless_messages_other_emoji_and_duplicates_change_nothing() {
    let app = spawn_app().await;
    send(
        &app,
        &payloads::reaction_added_file(&event_id(), BOB, "trophy", ALICE),
    )
    .await;
    send(&app, &reaction(true, BOB, None, SUPPORT, ALICES_MESSAGE)).await;
    send(
        &app,
        &payloads::reaction_added(
            &event_id(),
            BOB,
            "eyes",
            Some(ALICE),
            SUPPORT,
            ALICES_MESSAGE,
        ),
    )
    .await;
    assert_eq!(given(&app).await, 0);
    // Nothing but the pod's morning check-in prompt (due at the default start).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE order_key <> 'channel:C0SUPPORT1'")
            .await,
        0
    );

    let event = reaction(true, BOB, Some(ALICE), SUPPORT, ALICES_MESSAGE);
    send(&app, &event).await;
    let retry = app.slack.event_retry(&event, 1, "http_timeout").await;
    assert_eq!(retry.status(), 200);
    assert_eq!(given(&app).await, 1, "a redelivery is applied once");
    app.outbox_drained(WAIT).await;
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 1);
}

#[tokio::test]
async fn refused_reactions_tell_the_giver_why() {
    let app = spawn_app().await;
    learn_other_bot(&app).await;
    let deal = app
        .sim
        .post_as_user(SALES, OTHER_BOT, "Deal desk: 3 deals closed");

    // To yourself, to needful, to another bot.
    react(&app, ALICE, ALICE, SUPPORT, ALICES_MESSAGE).await;
    react(&app, BOB, NEEDFUL, SUPPORT, BOTS_PROMPT).await;
    react(&app, CAROL, OTHER_BOT, SALES, &deal).await;
    app.sim.wait_for("chat.postEphemeral", 3, WAIT).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(given(&app).await, 0);
    assert!(posted(&app, HUMBLEBRAG).is_empty());

    let to_alice = ephemerals(&app, ALICE);
    assert_eq!(to_alice.len(), 1);
    assert_eq!(to_alice[0].0, SUPPORT, "said where she reacted");
    assert!(
        to_alice[0].1.contains("your own message") && to_alice[0].1.contains("/kudos"),
        "{}",
        to_alice[0].1
    );
    let to_bob = ephemerals(&app, BOB);
    assert!(
        to_bob[0].1.contains("I'm needful") && to_bob[0].1.contains("colleague"),
        "{}",
        to_bob[0].1
    );
    let to_carol = ephemerals(&app, CAROL);
    assert_eq!(to_carol[0].0, SALES);
    assert!(
        to_carol[0].1.contains(&format!("<@{OTHER_BOT}> is a bot")),
        "{}",
        to_carol[0].1
    );
}

#[tokio::test]
async fn a_message_in_a_channel_needful_is_not_in_gets_an_invite_hint() {
    let app = spawn_app().await;
    app.sim.add_channel("C0SECRET01", "secret", false);
    let ts = app
        .sim
        .post_as_user("C0SECRET01", ALICE, "Closed the escalation");
    react(&app, BOB, ALICE, "C0SECRET01", &ts).await;
    // The quote cannot be read there, so the celebration is refused and Bob is
    // told by direct message (an ephemeral there would be refused too).
    let dm = app.sim.dm_channel(BOB);
    app.outbox_drained(WAIT).await;
    let told = posted(&app, &dm);
    assert_eq!(told.len(), 1, "{}", app.sim.describe_calls());
    assert!(
        told[0].contains("/invite @needful") && told[0].contains("<#C0SECRET01>"),
        "{}",
        told[0]
    );
    assert!(celebrations(&app).is_empty());
    let history = app.sim.calls_to("conversations.history");
    assert!(
        history
            .iter()
            .any(|c| c.error.as_deref() == Some("not_in_channel"))
    );
}

#[tokio::test]
async fn the_daily_limit_follows_the_pods_midnight_not_utcs() {
    let app = spawn_app_with(TestOptions {
        config: config_with("daily_limit = 5", "daily_limit = 2"),
        ..TestOptions::default()
    })
    .await;
    // 22:30 UTC is 23:30 in Berlin, Bob's pod zone.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 25, 22, 30, 0).unwrap())
        .await;
    let first = app
        .command(
            "/kudos",
            BOB,
            SUPPORT,
            &format!("<@{ALICE}|alice> calmed an angry customer"),
        )
        .await;
    assert!(first.contains("1 kudos left"), "{first}");
    let second = app
        .command("/kudos", BOB, SUPPORT, &format!("<@{CAROL}> found the bug"))
        .await;
    assert!(second.contains("last kudos"), "{second}");

    let third = app
        .command(
            "/kudos",
            BOB,
            SUPPORT,
            &format!("<@{MANAGER}> covered my shift"),
        )
        .await;
    assert!(
        third.contains("all 2 kudos")
            && third.contains("Europe/Berlin")
            && third.contains("30 min"),
        "says why and when it resets: {third}"
    );
    // The same limit holds for reactions, told where he reacted.
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let told = ephemerals(&app, BOB);
    assert!(told[0].1.contains("resets at midnight"), "{}", told[0].1);
    assert_eq!(given(&app).await, 2);

    // 23:05 UTC is still Wednesday in UTC but Thursday in Berlin: a new day.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 25, 23, 5, 0).unwrap())
        .await;
    let next_day = app
        .command(
            "/kudos",
            BOB,
            SUPPORT,
            &format!("<@{MANAGER}> covered my shift"),
        )
        .await;
    assert!(next_day.contains("Thanks sent"), "{next_day}");
    // A multi-recipient /kudos counts each person and is refused whole past the limit.
    let too_many = app
        .command(
            "/kudos",
            BOB,
            SUPPORT,
            &format!("<@{ALICE}> <@{CAROL}> great launch"),
        )
        .await;
    assert!(
        too_many.contains("1 kudos left") && too_many.contains("thank 2 people"),
        "{too_many}"
    );
    assert_eq!(given(&app).await, 3);
}

/// Reactions and `/kudos` draw on one allowance, whichever comes first: the
/// event writer's counts kept between batches see the kudos a command
/// recorded in between, and a reaction taken back gives one back to the
/// command path too.
#[tokio::test]
async fn reactions_and_commands_share_one_daily_allowance() {
    let app = spawn_app_with(TestOptions {
        config: config_with("daily_limit = 5", "daily_limit = 2"),
        ..TestOptions::default()
    })
    .await;
    let second = app.sim.post_as_user(SUPPORT, ALICE, "Wrote the runbook");
    // The reaction batch reads Bob's day into its counts.
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    assert_eq!(given(&app).await, 1);
    let last = app
        .command("/kudos", BOB, SUPPORT, &format!("<@{CAROL}> found the bug"))
        .await;
    assert!(last.contains("last kudos"), "{last}");
    // The next batch counts the command's kudos too.
    react(&app, BOB, ALICE, SUPPORT, &second).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let told = ephemerals(&app, BOB);
    assert!(told[0].1.contains("all 2 kudos"), "{}", told[0].1);
    assert_eq!(given(&app).await, 2);

    // Taking the reaction back frees one for a command.
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    assert_eq!(standing(&app).await, 1);
    let again = app
        .command(
            "/kudos",
            BOB,
            SUPPORT,
            &format!("<@{MANAGER}> covered my shift"),
        )
        .await;
    assert!(again.contains("last kudos"), "{again}");
    let refused = app
        .command("/kudos", BOB, SUPPORT, &format!("<@{ALICE}> thanks"))
        .await;
    assert!(refused.contains("all 2 kudos"), "{refused}");
    assert_eq!(standing(&app).await, 2);
}

#[tokio::test]
async fn someone_outside_every_pod_counts_days_in_utc() {
    let app = spawn_app_with(TestOptions {
        config: config_with("daily_limit = 5", "daily_limit = 1"),
        ..TestOptions::default()
    })
    .await;
    app.sim
        .add_user(SimUser::human("U0DANA0001", "dana", "Dana Diaz"));
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 25, 23, 30, 0).unwrap())
        .await;
    let first = app
        .command("/kudos", "U0DANA0001", SALES, &format!("<@{ALICE}> thanks"))
        .await;
    assert!(first.contains("Thanks sent"), "{first}");
    let second = app
        .command("/kudos", "U0DANA0001", SALES, &format!("<@{BOB}> thanks"))
        .await;
    assert!(
        second.contains("UTC") && second.contains("30 min"),
        "{second}"
    );
}

#[tokio::test]
async fn a_burst_of_50_reactions_makes_one_paced_coalesced_celebration() {
    let app = spawn_app_with(TestOptions {
        manual_timer: true,
        ..TestOptions::default()
    })
    .await;
    let ts = app
        .sim
        .post_as_user(SUPPORT, ALICE, "Shipped the refund fix");
    for i in 0..50 {
        let giver = format!("U0FAN{i:05}");
        react(&app, &giver, ALICE, SUPPORT, &ts).await;
    }
    app.drain_by_timer(Duration::from_millis(100), Duration::from_secs(60))
        .await;
    assert_eq!(given(&app).await, 50);
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 1, "one celebration");
    let live = celebrations(&app);
    assert_eq!(live.len(), 1);
    assert!(live[0].contains("and 48 others"), "{}", live[0]);
    let blocks = app.sim.messages(HUMBLEBRAG)[0]
        .blocks
        .clone()
        .unwrap_or_default()
        .to_string();
    assert!(blocks.contains("50 kudos"), "{blocks}");

    let updates = app.sim.calls_to("chat.update");
    assert!(
        updates.len() < 25,
        "waiting updates coalesce: {} updates for 49 reactions",
        updates.len()
    );
    // While one refresh of the celebration waits, later kudos add none:
    // it renders at delivery and shows them all.
    let refreshes = app
        .count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE render_key = 'kudos:{SUPPORT}:{ts}'"
        ))
        .await;
    assert!(
        refreshes <= updates.len() as i64 + 2,
        "{refreshes} refreshes for {} updates",
        updates.len()
    );
    for pair in updates.windows(2) {
        assert!(
            pair[1].at - pair[0].at >= Duration::from_secs(1),
            "updates {:?} apart",
            pair[1].at - pair[0].at
        );
    }
    assert_eq!(app.sim.rate_limited_count(), 0, "no 429s");
}

#[tokio::test]
async fn private_people_get_a_direct_message_and_nothing_is_posted() {
    let app = spawn_app().await;
    let reply = app.command("/kudos", ALICE, SUPPORT, "private").await;
    assert!(reply.contains("direct message"), "{reply}");

    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    let reply = app
        .command(
            "/kudos",
            CAROL,
            SUPPORT,
            &format!("<@{ALICE}|alice> <@{BOB}|bob> handled the outage together"),
        )
        .await;
    assert!(
        reply.contains("direct message") && reply.contains(&format!("<@{BOB}>")),
        "{reply}"
    );
    app.outbox_drained(WAIT).await;

    let dms = posted(&app, &app.sim.dm_channel(ALICE));
    assert_eq!(dms.len(), 2, "one DM per kudos: {dms:?}");
    assert!(dms[0].contains(&format!("<@{BOB}>")), "{}", dms[0]);
    assert!(
        dms[1].contains(&format!("<@{CAROL}>")) && dms[1].contains("handled the outage"),
        "{}",
        dms[1]
    );
    let channel = posted(&app, HUMBLEBRAG);
    assert_eq!(channel.len(), 1, "only bob's public kudos: {channel:?}");
    assert!(channel[0].contains(&format!("<@{BOB}>")));
    assert!(
        !channel[0].contains(ALICE),
        "nothing about alice: {}",
        channel[0]
    );
    // Still counted.
    let stats = app.command("/kudos", ALICE, SUPPORT, "stats").await;
    assert!(stats.contains("Received: 2 this week"), "{stats}");

    // Back to public: celebrated again.
    app.command("/kudos", ALICE, SUPPORT, "public").await;
    app.command(
        "/kudos",
        MANAGER,
        SUPPORT,
        &format!("<@{ALICE}> great week"),
    )
    .await;
    app.outbox_drained(WAIT).await;
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 2);
}

#[tokio::test]
async fn kudos_command_thanks_several_and_skips_the_giver_and_bots() {
    let app = spawn_app().await;
    learn_other_bot(&app).await;
    let reply = app
        .command(
            "/kudos",
            ALICE,
            HUMBLEBRAG,
            &format!("<@{ALICE}|alice>, <@{BOB}|bob> and <@{CAROL}> <@{OTHER_BOT}> stayed late to fix the refund queue"),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    assert!(reply.contains("left you out"), "{reply}");
    assert!(
        reply.contains(&format!("<@{OTHER_BOT}> is a bot")),
        "{reply}"
    );
    assert!(reply.contains("3 kudos left"), "{reply}");
    app.outbox_drained(WAIT).await;
    let posts = posted(&app, HUMBLEBRAG);
    assert_eq!(posts.len(), 1, "one post per command");
    assert!(
        posts[0].contains(&format!("<@{BOB}> and <@{CAROL}>"))
            && posts[0].contains("stayed late to fix the refund queue"),
        "{}",
        posts[0]
    );
    let rows: Vec<(String, String, Option<String>)> = app
        .rows(
            "SELECT receiver, source, reason FROM kudos_log ORDER BY id",
            &[],
        )
        .await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.1 == "command"
                && r.2.as_deref() == Some("stayed late to fix the refund queue"))
    );
}

#[tokio::test]
async fn kudos_command_misuse_gets_usage_with_an_example() {
    let app = spawn_app().await;
    learn_other_bot(&app).await;
    let cases = [
        ("", "/kudos @colleague"),
        ("help", "/kudos stats"),
        (&format!("<@{BOB}|bob>") as &str, "/kudos @bob stayed late"),
        ("thanks for everything", "Who would you like to thank"),
        ("@bob thanks", "Slack's suggestions"),
        ("<!subteam^S0LEADS001|@support-leads> thanks", "one by one"),
        ("statz", "I don't know `/kudos statz`"),
        (&format!("<@{ALICE}> me, myself"), "no one else to thank"),
        (&format!("<@{NEEDFUL}> you rock"), "I'm needful"),
        (&format!("<@{OTHER_BOT}> closed deals"), "is a bot"),
    ];
    for (text, expected) in cases {
        let reply = app.command("/kudos", ALICE, SUPPORT, text).await;
        assert!(
            reply.contains(expected),
            "/kudos {text:?} answered {reply:?}"
        );
    }
    assert_eq!(given(&app).await, 0);
    assert_eq!(
        // The pod's check-in prompt lives in #support; nothing else may be posted.
        app.count(
            "SELECT COUNT(*) FROM outbox WHERE method = 'chat.postMessage' \
             AND order_key <> 'channel:C0SUPPORT1'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn stats_are_personal_bests_and_there_is_no_leaderboard_by_default() {
    let app = spawn_app().await;
    let empty = app.command("/kudos", CAROL, SUPPORT, "stats").await;
    assert!(empty.contains("Nothing yet"), "{empty}");

    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.command("/kudos", CAROL, SUPPORT, &format!("<@{ALICE}> great save"))
        .await;
    app.command("/kudos", ALICE, SUPPORT, &format!("<@{BOB}> thanks back"))
        .await;
    let stats = app.command("/kudos", ALICE, SUPPORT, "stats").await;
    for expected in [
        "Received: 2 this week · 2 this month · 2 in all",
        "Given: 1 this week · 1 this month · 1 in all",
        "Personal best: 2 received in the week of 23 Nov 2026",
        "Giving streak: 1 week",
    ] {
        assert!(
            stats.contains(expected),
            "{expected:?} missing from {stats}"
        );
    }
    assert!(
        !stats.contains(BOB) && !stats.contains(CAROL),
        "only her own numbers: {stats}"
    );
    let board = app.command("/kudos", ALICE, SUPPORT, "leaderboard").await;
    assert!(board.contains("no leaderboard"), "{board}");
}

#[tokio::test]
async fn a_workspace_can_turn_on_a_top_only_leaderboard() {
    let app = spawn_app_with(TestOptions {
        config: config_with("daily_limit = 5", "daily_limit = 5\nleaderboard = true"),
        ..TestOptions::default()
    })
    .await;
    app.command(
        "/kudos",
        BOB,
        SUPPORT,
        &format!("<@{ALICE}> <@{CAROL}> good work"),
    )
    .await;
    app.command("/kudos", MANAGER, SUPPORT, &format!("<@{ALICE}> good work"))
        .await;
    let board = app.command("/kudos", BOB, SUPPORT, "leaderboard").await;
    let alice = board.find(ALICE).expect("alice listed");
    let carol = board.find(CAROL).expect("carol listed");
    assert!(alice < carol, "most thanked first: {board}");
    assert!(
        !board.contains(BOB) && !board.contains(MANAGER),
        "no bottom: {board}"
    );
}

#[tokio::test]
async fn app_home_shows_recent_kudos_bests_and_a_preference_button() {
    let app = spawn_app().await;
    app.command(
        "/kudos",
        BOB,
        SUPPORT,
        &format!("<@{ALICE}> took the hardest ticket"),
    )
    .await;
    send(&app, &payloads::app_home_opened(&event_id(), ALICE)).await;
    app.outbox_drained(WAIT).await;
    let home = app
        .sim
        .home_view(ALICE)
        .expect("home published")
        .to_string();
    for expected in [
        "Received lately",
        "took the hardest ticket",
        "<@U0BOB00001>",
        "<#C0SUPPORT1>",
        "Received: 1 this week",
        "home_kudos_private",
    ] {
        assert!(home.contains(expected), "{expected:?} missing from {home}");
    }

    // Alice presses "Keep them private" on her home tab.
    let mut press = payloads::block_actions(ALICE, SUPPORT, "0", "home_kudos_private", "private");
    press["container"] = json!({"type": "view", "view_id": "V0HOME0001"});
    if let Some(p) = press.as_object_mut() {
        p.remove("channel");
        p.remove("message");
    }
    let publishes = app.sim.calls_to("views.publish").len();
    assert_eq!(app.slack.interaction(&press).await.status(), 200);
    app.sim.wait_for("views.publish", publishes + 1, WAIT).await;
    let home = app.sim.home_view(ALICE).unwrap().to_string();
    assert!(
        home.contains("privately") && home.contains("home_kudos_public"),
        "{home}"
    );
    // And it took effect.
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(posted(&app, &app.sim.dm_channel(ALICE)).len(), 1);
}

#[tokio::test]
async fn kudos_work_over_socket_mode() {
    let app = spawn_app_with(TestOptions {
        mode: Mode::SocketMode,
        ..TestOptions::default()
    })
    .await;
    let event = reaction(true, BOB, Some(ALICE), SUPPORT, ALICES_MESSAGE);
    app.sim
        .socket_send("events_api", event.clone(), WAIT)
        .await
        .expect("acked");
    // Redelivered after a reconnect: applied once.
    app.sim
        .socket_send_retry("events_api", event, 1, "timeout", WAIT)
        .await
        .expect("acked");
    let ack = app
        .sim
        .socket_send(
            "slash_commands",
            app.sim.command_payload(
                "/kudos",
                CAROL,
                SUPPORT,
                &format!("<@{ALICE}|alice> answered every chat today"),
            ),
            WAIT,
        )
        .await
        .expect("acked");
    let reply = ack["payload"]["text"].as_str().unwrap_or_default();
    assert!(reply.contains("Thanks sent"), "{ack}");
    app.outbox_drained(WAIT).await;
    assert_eq!(given(&app).await, 2);
    let posts = posted(&app, HUMBLEBRAG);
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(
        posts
            .iter()
            .any(|p| p.contains("answered every chat today"))
    );
}

#[tokio::test]
async fn export_writes_every_kudos_and_retraction() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    app.command(
        "/kudos",
        CAROL,
        SUPPORT,
        &format!("<@{BOB}> fixed the macro, again"),
    )
    .await;

    let token = app.sim.config().bot_token.clone();
    let run = async |args: &[&str]| crate::helpers::needful_cli(&app, args, &token).await;
    let csv = run(&[
        "export",
        "kudos",
        "--since",
        "2026-11-25",
        "--format",
        "csv",
    ])
    .await;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(
        lines[0].starts_with(
            "id,at,event,giver,giver_name,receiver,receiver_name,source,channel,message_ts,reason"
        ),
        "{csv}"
    );
    assert!(
        lines[1].contains(
            ",kudos,U0BOB00001,bob,U0ALICE001,alice,reaction,C0SUPPORT1,1732600000.000200"
        ),
        "{csv}"
    );
    assert!(
        lines[2].contains(",retraction,U0BOB00001,bob,U0ALICE001,alice,reaction,"),
        "{csv}"
    );
    assert!(lines[3].contains("\"fixed the macro, again\""), "{csv}");
    assert!(lines[1].contains("2026-11-25T08:30:00Z"), "{csv}");

    let json: Value = serde_json::from_str(
        &run(&[
            "export",
            "kudos",
            "--since",
            "2026-11-25",
            "--format",
            "json",
        ])
        .await,
    )
    .expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(3));
    assert_eq!(json[1]["event"], "retraction");
    assert_eq!(json[1]["retracts"], json[0]["id"]);
    assert_eq!(json[2]["receiver_name"], "bob");

    // Names are kept: without a token (or with Slack away) the export still
    // has the names it learned, and asks Slack nothing.
    let users_info = app.sim.calls_to("users.info").len();
    let kept =
        crate::helpers::needful_cli(&app, &["export", "kudos", "--since", "2026-11-25"], "").await;
    assert!(kept.contains("U0BOB00001,bob,U0ALICE001,alice"), "{kept}");
    assert_eq!(app.sim.calls_to("users.info").len(), users_info);

    let none = run(&[
        "export",
        "kudos",
        "--since",
        "2026-11-26",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(serde_json::from_str::<Value>(&none).unwrap(), json!([]));
    let until = run(&["export", "kudos", "--until", "2026-11-24"]).await;
    assert_eq!(
        until.lines().collect::<Vec<_>>(),
        vec![lines[0]],
        "nothing before the 25th, but still the header: {until}"
    );
}

/// Reactions that arrive at the same moment are applied together (group
/// commit) and come out exactly as if they had come one by one: each kudos
/// once, redeliveries ignored, the daily limit exact, one celebration with
/// the right count.
#[tokio::test]
async fn reactions_arriving_together_count_exactly_once() {
    let app = spawn_app().await;
    let ts = app.sim.post_as_user(SUPPORT, ALICE, "Answered 40 tickets");
    let carols: Vec<String> = (0..8)
        .map(|i| {
            app.sim
                .post_as_user(SUPPORT, ALICE, &format!("Fix number {i}"))
        })
        .collect();
    let fan = |i: usize| format!("U0FAN{i:05}");
    // 30 fans on one message, 5 of them redelivered at the same time, and
    // Carol thanking Alice for 8 messages with a limit of 5 a day.
    let mut wave: Vec<Value> = (0..30)
        .map(|i| reaction(true, &fan(i), Some(ALICE), SUPPORT, &ts))
        .collect();
    wave.extend(wave[..5].to_vec());
    wave.extend(
        carols
            .iter()
            .map(|m| reaction(true, CAROL, Some(ALICE), SUPPORT, m)),
    );
    // Other events among them go in a transaction of their own.
    wave.insert(17, payloads::app_home_opened(&event_id(), BOB));
    futures::future::join_all(wave.iter().map(|e| send(&app, e))).await;

    assert_eq!(given(&app).await, 35, "30 fans and Carol's 5");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM kudos_log WHERE giver = '{CAROL}' AND kind = 'given'"
        ))
        .await,
        5,
        "the daily limit holds when the reactions arrive together"
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM processed_events").await,
        39,
        "each delivery applied once"
    );

    // Two fans take theirs back while two more arrive.
    let second: Vec<Value> = vec![
        reaction(false, &fan(0), Some(ALICE), SUPPORT, &ts),
        reaction(false, &fan(1), Some(ALICE), SUPPORT, &ts),
        reaction(true, &fan(30), Some(ALICE), SUPPORT, &ts),
        reaction(true, &fan(31), Some(ALICE), SUPPORT, &ts),
    ];
    futures::future::join_all(second.iter().map(|e| send(&app, e))).await;
    app.outbox_drained(Duration::from_secs(60)).await;
    assert!(app.sim.home_view(BOB).is_some(), "Bob's home was published");

    let on_message = format!(
        "SELECT COUNT(*) FROM kudos_log g WHERE message_ts = '{ts}' AND kind = 'given' \
         AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = g.id)"
    );
    assert_eq!(app.count(&on_message).await, 30);
    // Three refused, one notice: at most one per person and reason every ten minutes.
    let refusals = ephemerals(&app, CAROL);
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert!(
        refusals.iter().all(|(_, text)| text.contains("5")),
        "{refusals:?}"
    );
    // Every message is celebrated, the fans' and Carol's five: alone, or
    // merged into a roundup when several wait in #humblebrag. A roundup is
    // never edited, so a message in one that changes later is celebrated
    // again with its kudos as they stand.
    let celebrations: Vec<String> = app
        .sim
        .messages(HUMBLEBRAG)
        .into_iter()
        .map(|m| m.blocks.unwrap_or_default().to_string())
        .collect();
    let celebrated: usize = celebrations
        .iter()
        .map(|b| b.matches("thanked").count())
        .sum();
    assert!((6..=7).contains(&celebrated), "{celebrations:#?}");
    let fans = celebrations
        .iter()
        .rev()
        .find(|b| b.contains("others"))
        .expect("the fans' celebration");
    assert!(fans.contains("and 28 others"), "{fans}");
    assert!(
        !fans.contains(&fan(0)) && !fans.contains(&fan(1)),
        "those who took theirs back are not named: {fans}"
    );
    assert!(fans.contains("30 kudos"), "{fans}");
}

/// Kudos for someone whose App Home refresh is still waiting add no second
/// refresh: the waiting one renders at delivery and shows them all.
#[tokio::test]
async fn kudos_while_a_home_refresh_waits_share_it() {
    let app = spawn_app_with(TestOptions {
        config: config_with("home_interval = \"20ms\"", "home_interval = \"2s\""),
        ..TestOptions::default()
    })
    .await;
    let messages: Vec<String> = (0..3)
        .map(|i| {
            app.sim
                .post_as_user(SUPPORT, ALICE, &format!("Escalation {i} closed"))
        })
        .collect();
    // The first refresh goes out at once and starts the 2-second pacing.
    react(&app, BOB, ALICE, SUPPORT, &messages[0]).await;
    app.sim.wait_for("views.publish", 1, WAIT).await;
    react(&app, CAROL, ALICE, SUPPORT, &messages[1]).await;
    react(&app, MANAGER, ALICE, SUPPORT, &messages[2]).await;
    let waiting = app
        .count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND order_key = 'home:{ALICE}'"
        ))
        .await;
    assert_eq!(waiting, 1, "one refresh waits for both kudos");
    app.sim.wait_for("views.publish", 2, WAIT).await;
    let home = app
        .sim
        .home_view(ALICE)
        .expect("home published")
        .to_string();
    assert!(home.contains("Received: 3 this week"), "{home}");
}

/// needful's live celebrations in #humblebrag: (ts, text, blocks).
fn celebration_posts(app: &TestApp) -> Vec<(String, String, String)> {
    app.sim
        .messages(HUMBLEBRAG)
        .into_iter()
        .filter(|m| !m.deleted)
        .map(|m| {
            (
                m.ts,
                m.text.unwrap_or_default(),
                m.blocks.unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Where needful's one live celebration in #humblebrag is, once its ts is
/// recorded (a reaction on it is looked up by it).
async fn the_celebration(app: &TestApp) -> String {
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(app);
    assert_eq!(posts.len(), 1, "{posts:?}");
    app.post_recorded(&posts[0].0, WAIT).await;
    posts[0].0.clone()
}

/// Standing kudos as (giver, receiver, channel, message_ts, reason).
async fn standing_rows(app: &TestApp) -> Vec<(String, String, String, String, Option<String>)> {
    app.rows(
        "SELECT giver, receiver, channel, COALESCE(message_ts, ''), reason FROM kudos_log g \
         WHERE kind = 'given' AND NOT EXISTS (SELECT 1 FROM kudos_log r WHERE r.retracts = g.id) \
         ORDER BY id",
        &[],
    )
    .await
}

/// A :trophy: on needful's celebration of a message joins in: a kudos from
/// the person reacting to the author, for that same message, and the same
/// celebration grows. Someone who thanked the author on the message already
/// is not counted twice.
#[tokio::test]
async fn joining_in_on_a_celebration_thanks_the_author_for_the_same_message() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    let celebration = the_celebration(&app).await;

    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(
        standing_rows(&app).await,
        vec![
            (
                BOB.into(),
                ALICE.into(),
                SUPPORT.into(),
                ALICES_MESSAGE.into(),
                None
            ),
            (
                CAROL.into(),
                ALICE.into(),
                SUPPORT.into(),
                ALICES_MESSAGE.into(),
                None
            ),
        ],
        "Carol thanked Alice for her message"
    );
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(&app);
    assert_eq!(posts.len(), 1, "the same celebration, edited: {posts:?}");
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 1);
    let (_, text, blocks) = &posts[0];
    assert!(
        text.contains(&format!("<@{BOB}> and <@{CAROL}> thanked <@{ALICE}>")),
        "{text}"
    );
    assert!(blocks.contains("2 kudos"), "{blocks}");
    let home = app.sim.home_view(ALICE).expect("alice's home").to_string();
    assert!(home.contains(&format!("<@{CAROL}>")), "{home}");

    // Bob thanked Alice on the message already: his trophy on the
    // celebration adds nothing, and his kudos stands while either of his
    // trophies does.
    react(&app, BOB, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(given(&app).await, 2, "not counted twice");
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    assert_eq!(
        standing(&app).await,
        2,
        "his trophy on the celebration holds it"
    );
    unreact(&app, BOB, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(standing(&app).await, 1, "both gone: taken back");
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(&app);
    assert!(
        posts[0]
            .1
            .contains(&format!("<@{CAROL}> thanked <@{ALICE}>"))
            && !posts[0].1.contains(BOB),
        "{posts:?}"
    );
    assert!(
        ephemerals(&app, BOB).is_empty() && ephemerals(&app, CAROL).is_empty(),
        "nothing was refused"
    );
}

/// Removing the reaction from the celebration takes the kudos back, as
/// removing it from the message does.
#[tokio::test]
async fn removing_a_reaction_from_a_celebration_takes_the_kudos_back() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    let celebration = the_celebration(&app).await;
    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(standing(&app).await, 2);

    unreact(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(standing(&app).await, 1);
    let retracted: (String, String, String) = app
        .rows(
            "SELECT giver, receiver, message_ts FROM kudos_log WHERE kind = 'retracted'",
            &[],
        )
        .await
        .remove(0);
    assert_eq!(
        retracted,
        (CAROL.into(), ALICE.into(), ALICES_MESSAGE.into())
    );
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(&app);
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].1.contains(&format!("<@{BOB}> thanked")) && !posts[0].1.contains(CAROL),
        "shrunk back: {}",
        posts[0].1
    );

    // The last kudos taken back from the celebration deletes it, as ever.
    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    unreact(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    unreact(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.sim.wait_for("chat.delete", 1, WAIT).await;
    app.outbox_drained(WAIT).await;
    assert!(celebrations(&app).is_empty());
    assert_eq!(standing(&app).await, 0);
}

/// A :trophy: on a `/kudos` celebration joins in with the command's
/// reason; the post says who joined. The one who gave the `/kudos` has
/// thanked already, and the one it thanks cannot thank themselves.
#[tokio::test]
async fn joining_in_on_a_kudos_command_carries_its_reason() {
    let app = spawn_app().await;
    let reply = app
        .command(
            "/kudos",
            ALICE,
            SUPPORT,
            &format!("<@{BOB}> fixed the refund macro"),
        )
        .await;
    assert!(reply.contains("Thanks sent"), "{reply}");
    let celebration = the_celebration(&app).await;

    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    let rows: Vec<(String, String, String, Option<String>)> = app.rows(
        "SELECT giver, receiver, source, reason FROM kudos_log WHERE kind = 'given' ORDER BY id",
        &[],
    ).await;
    let reason = Some("fixed the refund macro".to_string());
    assert_eq!(
        rows,
        vec![
            (ALICE.into(), BOB.into(), "command".into(), reason.clone()),
            (CAROL.into(), BOB.into(), "reaction".into(), reason.clone()),
        ]
    );
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(&app);
    assert_eq!(posts.len(), 1, "the command's post, edited: {posts:?}");
    let (_, text, blocks) = &posts[0];
    assert!(
        text.contains(&format!("<@{ALICE}> thanked <@{BOB}>"))
            && text.contains("fixed the refund macro")
            && text.contains(&format!("<@{CAROL}> joined in")),
        "{text}"
    );
    assert!(blocks.contains("2 kudos"), "{blocks}");
    let home = app.sim.home_view(BOB).expect("bob's home").to_string();
    assert!(home.contains(&format!("<@{CAROL}>")), "{home}");

    // Alice's /kudos thanks Bob already: her trophy adds nothing.
    react(&app, ALICE, NEEDFUL, HUMBLEBRAG, &celebration).await;
    // Bob's own celebration.
    react(&app, BOB, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(given(&app).await, 2);
    assert!(ephemerals(&app, ALICE).is_empty());
    let to_bob = ephemerals(&app, BOB);
    assert_eq!(to_bob.len(), 1, "{to_bob:?}");
    assert_eq!(to_bob[0].0, HUMBLEBRAG, "said where he reacted");
    assert!(to_bob[0].1.contains("for you"), "{}", to_bob[0].1);

    // Taken back, the post is the command's alone again.
    unreact(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(standing(&app).await, 1);
    app.outbox_drained(WAIT).await;
    let posts = celebration_posts(&app);
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert!(
        posts[0].1.contains("fixed the refund macro") && !posts[0].1.contains("joined in"),
        "{}",
        posts[0].1
    );
}

/// Joining in draws on the same daily allowance, and is refused past it
/// where the giver reacted.
#[tokio::test]
async fn joining_in_counts_against_the_daily_limit() {
    let app = spawn_app_with(TestOptions {
        config: config_with("daily_limit = 5", "daily_limit = 1"),
        ..TestOptions::default()
    })
    .await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    let celebration = the_celebration(&app).await;
    let last = app
        .command(
            "/kudos",
            CAROL,
            SUPPORT,
            &format!("<@{MANAGER}> covered my shift"),
        )
        .await;
    assert!(last.contains("last kudos"), "{last}");

    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let told = ephemerals(&app, CAROL);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, HUMBLEBRAG);
    assert!(told[0].1.contains("all 1 kudos"), "{}", told[0].1);
    assert_eq!(given(&app).await, 2, "Bob's reaction and Carol's command");

    // Another day, the same trophy re-added counts.
    app.advance_to(Utc.with_ymd_and_hms(2026, 11, 26, 8, 30, 0).unwrap())
        .await;
    unreact(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    assert_eq!(given(&app).await, 3);
}

/// The person celebrated reacting on their own celebration is refused as
/// thanking themselves, where they reacted.
#[tokio::test]
async fn the_celebrated_person_cannot_join_in_on_their_own_celebration() {
    let app = spawn_app().await;
    react(&app, BOB, ALICE, SUPPORT, ALICES_MESSAGE).await;
    let celebration = the_celebration(&app).await;

    react(&app, ALICE, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    assert_eq!(given(&app).await, 1);
    let told = ephemerals(&app, ALICE);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, HUMBLEBRAG, "said where she reacted");
    assert!(
        told[0].1.contains("That celebration is for you") && told[0].1.contains("/kudos"),
        "{}",
        told[0].1
    );
    app.outbox_drained(WAIT).await;
    assert!(
        !celebration_posts(&app)[0]
            .1
            .contains(&format!("<@{ALICE}> thanked")),
        "{:?}",
        celebration_posts(&app)
    );
}

/// A :trophy: on a needful post that celebrates no one (a check-in
/// prompt, recorded like a celebration) still thanks the bot, and is
/// refused as before; one on a post for several people cannot say whom.
#[tokio::test]
async fn a_trophy_on_other_needful_posts_is_still_refused() {
    let app = spawn_app().await;
    // The pod's morning check-in prompt, due at the default start.
    app.sim.wait_for("chat.postMessage", 1, WAIT).await;
    let prompt = app
        .sim
        .calls_to("chat.postMessage")
        .into_iter()
        .find(|c| c.ok && c.channel.as_deref() == Some(SUPPORT))
        .and_then(|c| c.response["ts"].as_str().map(str::to_string))
        .expect("the check-in prompt");
    app.post_recorded(&prompt, WAIT).await;
    react(&app, BOB, NEEDFUL, SUPPORT, &prompt).await;
    app.sim.wait_for("chat.postEphemeral", 1, WAIT).await;
    let to_bob = ephemerals(&app, BOB);
    assert_eq!(to_bob.len(), 1, "{to_bob:?}");
    assert_eq!(to_bob[0].0, SUPPORT);
    assert!(to_bob[0].1.contains("I'm needful"), "{}", to_bob[0].1);

    // A /kudos for two: whom a trophy on it means is anyone's guess.
    app.command(
        "/kudos",
        ALICE,
        SUPPORT,
        &format!("<@{BOB}> <@{CAROL}> for the launch"),
    )
    .await;
    let together = the_celebration(&app).await;
    react(&app, MANAGER, NEEDFUL, HUMBLEBRAG, &together).await;
    app.sim.wait_for("chat.postEphemeral", 2, WAIT).await;
    let to_manager = ephemerals(&app, MANAGER);
    assert_eq!(to_manager.len(), 1, "{to_manager:?}");
    assert_eq!(to_manager[0].0, HUMBLEBRAG);
    assert!(
        to_manager[0].1.contains("thanks several people") && to_manager[0].1.contains("/kudos"),
        "{}",
        to_manager[0].1
    );
    assert_eq!(given(&app).await, 2, "only the command's kudos");
}

/// A roundup merges several messages' celebrations into one post: a
/// :trophy: on it cannot say whose message it means, so it is refused with
/// where to react instead.
#[tokio::test]
async fn a_trophy_on_a_roundup_is_refused_with_where_to_react() {
    let app = spawn_app_with(TestOptions {
        manual_timer: true,
        ..TestOptions::without_pods()
    })
    .await;
    // The first celebration goes out at once; those behind it wait for the
    // channel's pace and are merged into one roundup.
    for i in 0..8 {
        let ts = app
            .sim
            .post_as_user(SUPPORT, ALICE, &format!("Closed escalation {i}"));
        react(&app, &format!("U0FAN{i:05}"), ALICE, SUPPORT, &ts).await;
    }
    app.drain_by_timer(Duration::from_millis(100), Duration::from_secs(30))
        .await;
    let roundup = app
        .sim
        .messages(HUMBLEBRAG)
        .into_iter()
        .find(|m| m.text.as_deref().is_some_and(|t| t.contains("together")))
        .unwrap_or_else(|| panic!("a roundup: {}", app.sim.describe_calls()))
        .ts;
    app.post_recorded(&roundup, WAIT).await;

    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &roundup).await;
    app.drain_by_timer(Duration::from_millis(100), Duration::from_secs(30))
        .await;
    let told = ephemerals(&app, CAROL);
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(told[0].0, HUMBLEBRAG);
    assert!(
        told[0].1.contains("roundup") && told[0].1.contains("on the message itself"),
        "{}",
        told[0].1
    );
    assert_eq!(given(&app).await, 8, "the fans', none of Carol's");
}

/// A `/kudos` celebration deleted in Slack by hand is not brought back by
/// a kudos joining in on it, nor celebrated as a message of its own: the
/// kudos stays recorded.
#[tokio::test]
async fn joining_in_on_a_kudos_command_deleted_by_hand_posts_nothing() {
    let app = spawn_app().await;
    app.command(
        "/kudos",
        ALICE,
        SUPPORT,
        &format!("<@{BOB}> fixed the macro"),
    )
    .await;
    let celebration = the_celebration(&app).await;
    app.sim.delete_by_hand(HUMBLEBRAG, &celebration);

    react(&app, CAROL, NEEDFUL, HUMBLEBRAG, &celebration).await;
    app.outbox_drained(WAIT).await;
    assert_eq!(given(&app).await, 2);
    assert!(celebrations(&app).is_empty(), "{:?}", celebrations(&app));
    assert_eq!(posted(&app, HUMBLEBRAG).len(), 1, "only the command's own");
    assert!(app.sim.messages(&app.sim.dm_channel(CAROL)).is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE status = 'failed'")
            .await,
        0
    );
}
