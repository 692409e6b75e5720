//! `needful demo` through its page's API, as the page uses it: the sample
//! team, a kudos celebrated, the trophy passed, a check-in by button and
//! modal, understaffed mode with help from sales, Monday's rotation, the
//! App Home, and what a person may not do. (The page itself is driven in
//! a real browser by the `browser` test.)

use std::time::Duration;

use needful::demo::{Options, Running, start};
use serde_json::{Value, json};

use crate::helpers::wait_until;

const ALICE: &str = "U0ALICE001";
const MARIA: &str = "U0MARIA001";
const BOB: &str = "U0BOB00001";
const SAM: &str = "U0SAM00001";
const SUPPORT: &str = "C0SUPPORT1";
const HUMBLEBRAG: &str = "C0HUMBLEBR";
const SALES: &str = "C0SALES001";

struct Page {
    demo: Running,
    http: reqwest::Client,
}

impl Page {
    async fn open() -> Page {
        let demo = start(Options {
            listen: "127.0.0.1:0".parse().expect("address"),
            db: None,
        })
        .await
        .expect("the demo starts");
        Page {
            demo,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.demo.address)
    }

    async fn state(&self, person: &str) -> Value {
        self.http
            .get(self.url(&format!("/api/state?as={person}")))
            .send()
            .await
            .expect("state")
            .json()
            .await
            .expect("JSON")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("POST");
        resp.json().await.expect("JSON")
    }

    async fn say(&self, person: &str, channel: &str, text: &str) -> Value {
        self.post(
            "/api/message",
            json!({"as": person, "channel": channel, "text": text}),
        )
        .await
    }

    /// Waits until a message in `channel`, as `person` sees it, has `needle`.
    async fn wait_message(&self, person: &str, channel: &str, needle: &str) -> Value {
        let mut found = Value::Null;
        wait_until(&format!("{needle:?} in {channel}"), async || {
            let state = self.state(person).await;
            let all = state["messages"][channel]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let hit = all
                .iter()
                .flat_map(|m| {
                    std::iter::once(m.clone())
                        .chain(m["replies"].as_array().cloned().unwrap_or_default())
                })
                .find(|m| m.to_string().contains(needle));
            match hit {
                Some(m) => {
                    found = m;
                    true
                }
                None => false,
            }
        })
        .await;
        found
    }

    async fn wait_ephemeral(&self, person: &str, needle: &str) {
        wait_until(&format!("an ephemeral {needle:?}"), async || {
            self.state(person).await["ephemerals"]
                .to_string()
                .contains(needle)
        })
        .await;
    }

    async fn wait_modal(&self, person: &str, callback: &str) -> Value {
        let mut found = Value::Null;
        wait_until(&format!("the {callback} modal"), async || {
            let modals = self.state(person).await["modals"].clone();
            match modals.as_array().and_then(|m| m.last()) {
                Some(top) if top["callback_id"] == callback => {
                    found = top.clone();
                    true
                }
                _ => false,
            }
        })
        .await;
        found
    }
}

/// The button with `action_id` in `blocks`: its value.
fn button(message: &Value, action_id: &str) -> String {
    let text = message.to_string();
    let at = text
        .find(&format!("\"action_id\":\"{action_id}\""))
        .unwrap_or_else(|| panic!("no {action_id} button in {message}"));
    let rest = &text[at..];
    let value = rest
        .find("\"value\":\"")
        .map(|i| &rest[i + 9..])
        .unwrap_or("");
    value[..value.find('"').unwrap_or(0)].to_string()
}

#[tokio::test]
async fn the_demo_runs_a_whole_team_day_through_its_page() {
    let page = Page::open().await;
    let index = page.http.get(page.url("/")).send().await.expect("page");
    assert_eq!(index.status(), 200);
    assert!(index.text().await.unwrap_or_default().contains("app.js"));

    // The sample team: a pod with a manager and five agents, three channels.
    let alice = page.state(ALICE).await;
    assert_eq!(alice["people"].as_array().map(Vec::len), Some(8));
    let tz: Vec<&str> = alice["people"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["tz"].as_str())
        .collect();
    assert!(tz.contains(&"America/New_York") && tz.contains(&"Europe/Berlin"));
    let bobs = page.wait_message(ALICE, SUPPORT, "Acme's CSV import").await;

    // Alice reacts :trophy: to Bob's message: celebrated in #humblebrag.
    let ts = bobs["ts"].as_str().expect("ts").to_string();
    let reacted = page
        .post(
            "/api/reaction",
            json!({"as": ALICE, "channel": SUPPORT, "ts": ts, "name": "trophy", "add": true}),
        )
        .await;
    assert_eq!(reacted["ok"], true, "{reacted}");
    page.wait_message(ALICE, HUMBLEBRAG, "thanked <@U0BOB00001>")
        .await;

    // Maria starts the trophy chain; Bob, the holder, passes it on.
    let started = page
        .say(
            MARIA,
            SUPPORT,
            "/trophy pass @bob rebuilt the Acme import by hand",
        )
        .await;
    assert_eq!(started["ok"], true, "{started}");
    page.wait_message(MARIA, HUMBLEBRAG, "first holder: <@U0BOB00001>")
        .await;
    page.say(BOB, SUPPORT, "/trophy pass @alice stayed late for Globex")
        .await;
    page.wait_message(BOB, HUMBLEBRAG, "<@U0ALICE001>").await;

    // The morning prompt: checking in by its button and modal.
    let jumped = page.post("/api/clock", json!({"jump": "checkin"})).await;
    assert_eq!(jumped["ok"], true, "{jumped}");
    let prompt = page.wait_message(ALICE, SUPPORT, "checkin_open").await;
    let pressed = page
        .post(
            "/api/action",
            json!({"as": ALICE, "action_id": "checkin_open", "value": button(&prompt, "checkin_open"),
                   "channel": SUPPORT, "message_ts": prompt["ts"]}),
        )
        .await;
    assert_eq!(pressed["ok"], true, "{pressed}");
    let modal = page.wait_modal(ALICE, "checkin_modal").await;
    let submitted = page
        .post(
            "/api/submit",
            json!({"as": ALICE, "view_id": modal["id"],
                   "values": {"note": {"note": {"type": "plain_text_input", "value": "Globex escalations"}}}}),
        )
        .await;
    assert_eq!(submitted["ok"], true, "{submitted}");
    assert_eq!(submitted["errors"], Value::Null);
    assert!(
        page.state(ALICE).await["modals"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    page.wait_ephemeral(ALICE, "Globex escalations").await;

    // Understaffed: the team hears why; sales is asked and Sam can help.
    page.say(MARIA, SUPPORT, "/understaffed on two agents out sick")
        .await;
    page.wait_message(MARIA, SUPPORT, "two agents out sick")
        .await;
    let ask = page.wait_message(SAM, SALES, "staffing_help").await;
    let helped = page
        .post(
            "/api/action",
            json!({"as": SAM, "action_id": "staffing_help", "value": button(&ask, "staffing_help"),
                   "channel": SALES, "message_ts": ask["ts"]}),
        )
        .await;
    assert_eq!(helped["ok"], true, "{helped}");
    page.wait_message(SAM, SALES, "<@U0SAM00001>").await;

    // Monday: a new roster.
    let rosters = async || {
        page.state(ALICE).await["messages"][SUPPORT]
            .to_string()
            .matches("New week, new roles")
            .count()
    };
    let before = rosters().await;
    let jumped = page.post("/api/clock", json!({"jump": "monday"})).await;
    assert_eq!(jumped["ok"], true, "{jumped}");
    wait_until("Monday's roster", async || rosters().await > before).await;

    // The App Home, once opened.
    page.post("/api/home", json!({"as": ALICE})).await;
    wait_until("Alice's App Home", async || {
        page.state(ALICE).await["home"]
            .to_string()
            .contains("Kudos")
    })
    .await;

    page.demo.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn the_page_refuses_what_a_person_cannot_do_and_stays_up() {
    let page = Page::open().await;
    for (path, body) in [
        (
            "/api/message",
            json!({"as": "U0NOBODY01", "channel": SUPPORT, "text": "hi"}),
        ),
        (
            "/api/message",
            json!({"as": ALICE, "channel": "C0SECRET01", "text": "hi"}),
        ),
        (
            "/api/message",
            json!({"as": ALICE, "channel": SUPPORT, "text": "   "}),
        ),
        (
            "/api/message",
            json!({"as": ALICE, "channel": SUPPORT, "text": "/nosuch thing"}),
        ),
        (
            "/api/message",
            json!({"as": ALICE, "channel": SUPPORT, "text": "x".repeat(5_000)}),
        ),
        (
            "/api/reaction",
            json!({"as": ALICE, "channel": SUPPORT, "ts": "1.000001", "name": "trophy", "add": true}),
        ),
        (
            "/api/submit",
            json!({"as": ALICE, "view_id": "V0NOPE", "values": {}}),
        ),
        ("/api/clock", json!({"jump": "yesterday"})),
        (
            "/api/action",
            json!({"as": ALICE, "action_id": "checkin_open", "value": "x"}),
        ),
    ] {
        let answer = page.post(path, body.clone()).await;
        assert_eq!(answer["ok"], false, "{path} {body}: {answer}");
        assert!(answer["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    // Hostile text is passed on as Slack would, escaped, and pings nobody.
    let said = page
        .say(
            ALICE,
            SUPPORT,
            "<!channel> <script>alert(1)</script> & thanks @bob",
        )
        .await;
    assert_eq!(said["ok"], true);
    let posted = page.wait_message(ALICE, SUPPORT, "alert(1)").await;
    assert_eq!(
        posted["text"],
        "&lt;!channel&gt; &lt;script&gt;alert(1)&lt;/script&gt; &amp; thanks <@U0BOB00001|bob>"
    );
    let state = page
        .http
        .get(page.url("/api/state?as=U0NOBODY01"))
        .send()
        .await
        .expect("state");
    assert_eq!(state.status(), 400);
    tokio::time::sleep(Duration::from_millis(10)).await;
    page.demo.stop().await.expect("the demo stops cleanly");
}

#[tokio::test]
async fn needful_demo_prints_its_address_and_stops_cleanly_on_ctrl_c() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_needful"))
        .args(["demo", "--listen", "127.0.0.1:0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("needful demo starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("it says where the page is in time")
        .expect("stdout")
        .expect("a line");
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    let page = reqwest::get(url).await.expect("the page answers");
    assert_eq!(page.status(), 200);

    // Ctrl-C: a clean stop, said in a line, exit status 0.
    let pid = child.id().expect("a pid").to_string();
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("it stops in time")
        .expect("an exit status");
    assert!(status.success(), "{status}");
    let mut rest = Vec::new();
    while let Ok(Some(line)) = lines.next_line().await {
        rest.push(line);
    }
    assert!(rest.iter().any(|l| l.contains("stopping")), "{rest:?}");
}

#[tokio::test]
async fn a_busy_address_is_refused_with_what_to_do() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let address = taken.local_addr().expect("address");
    let refused = start(Options {
        listen: address,
        db: None,
    })
    .await;
    let error = format!("{:#}", refused.err().expect("refused"));
    assert!(error.contains("--listen 127.0.0.1:8080"), "{error}");
}
