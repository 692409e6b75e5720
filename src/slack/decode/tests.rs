//! Property tests of the decoders (`fuzz_*`; `scripts/fuzz.sh` runs a million
//! cases each): arbitrary bytes, and Slack's real payloads with fields dropped,
//! replaced, retyped and blown up. Decoding may fail; it must never panic, and
//! what decodes must survive what the handlers do first with it.

use std::sync::OnceLock;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::fuzzing::{self, any_text, command_text};
use crate::slack_sim::payloads;

// ---- the real payloads, built once ----

const ALICE: &str = "U0ALICE001";
const BOB: &str = "U0BOB00001";
const SUPPORT: &str = "C0SUPPORT1";

fn events() -> &'static [Value] {
    static EVENTS: OnceLock<Vec<Value>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        vec![
            payloads::reaction_added(
                "Ev0FUZZ0001",
                ALICE,
                "trophy",
                Some(BOB),
                SUPPORT,
                "1764000000.000100",
            ),
            payloads::reaction_removed(
                "Ev0FUZZ0002",
                ALICE,
                "trophy",
                Some(BOB),
                SUPPORT,
                "1764000000.000100",
            ),
            payloads::reaction_added_file("Ev0FUZZ0003", ALICE, "trophy", BOB),
            payloads::message(
                "Ev0FUZZ0004",
                ALICE,
                SUPPORT,
                "1764000000.000200",
                "hi <@U0BOB00001|bob> in <#C0SUPPORT1|support>",
                None,
            ),
            payloads::message(
                "Ev0FUZZ0005",
                ALICE,
                SUPPORT,
                "1764000000.000300",
                "done",
                Some("1764000000.000200"),
            ),
            payloads::app_home_opened("Ev0FUZZ0006", ALICE),
            payloads::user_deactivated("Ev0FUZZ0007", ALICE),
            payloads::url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"),
            json!({
                "token": payloads::VERIFICATION_TOKEN,
                "team_id": "T0TEAM0001",
                "minute_rate_limited": 1518467820,
                "api_app_id": "A0NEEDFUL1",
                "type": "app_rate_limited"
            }),
        ]
    })
}

fn interactions() -> &'static [Value] {
    static INTERACTIONS: OnceLock<Vec<Value>> = OnceLock::new();
    INTERACTIONS.get_or_init(|| {
        vec![
            payloads::block_actions(
                ALICE,
                SUPPORT,
                "1764000000.000200",
                "checkin_now",
                "support",
            ),
            payloads::view_submission(
                ALICE,
                "checkin_note",
                "{\"pod\":\"support\"}",
                json!({"note": {"note": {"type": "plain_text_input", "value": "refunds"}}}),
            ),
        ]
    })
}

// ---- mutations ----

/// Values of every JSON type, nested a little.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        any_text().prop_map(Value::String),
        "[UCWDGT][A-Z0-9]{1,12}".prop_map(Value::String),
        "[0-9]{1,12}\\.[0-9]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Numbers serde_json's `Value` cannot hold, spliced into the text after serialising.
const RAW_NUMBERS: &[&str] = &[
    "1e999",
    "-1e999",
    "18446744073709551616",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "-0",
    "0.000000000000000000000001",
    "1E2",
    "1.5e-400",
];

/// Event types Slack sends or might send.
const TYPES: &[&str] = &[
    "event_callback",
    "url_verification",
    "app_rate_limited",
    "message",
    "reaction_added",
    "reaction_removed",
    "app_home_opened",
    "app_mention",
    "member_joined_channel",
    "team_join",
    "user_change",
    "channel_created",
    "file_shared",
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
    "interactive_message",
    "bot_message",
    "message_changed",
    "message_deleted",
    "thread_broadcast",
    "",
    "EVENT_CALLBACK",
    "something_new_from_slack",
];

#[derive(Debug, Clone)]
enum Mutation {
    Remove,
    Replace(Value),
    Stringify,
    Huge(usize),
    Retype(&'static str),
    Insert(String, Value),
    RawNumber(&'static str),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => Just(Mutation::Remove),
        4 => json_value().prop_map(Mutation::Replace),
        2 => Just(Mutation::Stringify),
        1 => prop_oneof![9 => 1usize..4096, 1 => 4096usize..200_000].prop_map(Mutation::Huge),
        3 => proptest::sample::select(TYPES).prop_map(Mutation::Retype),
        2 => ("[a-z_]{1,12}", json_value()).prop_map(|(k, v)| Mutation::Insert(k, v)),
        1 => proptest::sample::select(RAW_NUMBERS).prop_map(Mutation::RawNumber),
    ]
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

fn paths(value: &Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                here.push(Seg::Key(k.clone()));
                paths(v, here, out);
                here.pop();
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                here.push(Seg::Index(i));
                paths(v, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Seg]) -> Option<&'a mut Value> {
    path.iter().try_fold(value, |v, seg| match seg {
        Seg::Key(k) => v.get_mut(k.as_str()),
        Seg::Index(i) => v.get_mut(*i),
    })
}

/// Applies `mutation` at the `pick`-th node (pre-order) of `value`; the raw
/// numbers to splice in are collected in `raws`.
fn mutate(value: &mut Value, pick: usize, mutation: &Mutation, raws: &mut Vec<&'static str>) {
    let mut all = Vec::new();
    paths(value, &mut Vec::new(), &mut all);
    let path = &all[pick % all.len()];
    match mutation {
        Mutation::Remove => {
            if let Some((last, parent)) = path.split_last()
                && let Some(parent) = at(value, parent)
            {
                match (parent, last) {
                    (Value::Object(map), Seg::Key(k)) => {
                        map.remove(k);
                    }
                    (Value::Array(items), Seg::Index(i)) if *i < items.len() => {
                        items.remove(*i);
                    }
                    _ => {}
                }
            }
        }
        Mutation::Retype(kind) => {
            // Change the nearest `type` field: an event type Slack may not have sent before.
            let mut target = path.clone();
            loop {
                if let Some(Value::Object(map)) = at(value, &target)
                    && map.contains_key("type")
                {
                    map.insert("type".into(), Value::String((*kind).into()));
                    break;
                }
                if target.pop().is_none() {
                    break;
                }
            }
        }
        Mutation::Insert(key, v) => {
            if let Some(Value::Object(map)) = at(value, path) {
                map.insert(key.clone(), v.clone());
            }
        }
        other => {
            if let Some(node) = at(value, path) {
                *node = match other {
                    Mutation::Replace(v) => v.clone(),
                    Mutation::Stringify => Value::String(node.to_string()),
                    Mutation::Huge(n) => Value::String("é".repeat(*n)),
                    Mutation::RawNumber(raw) => {
                        raws.push(raw);
                        Value::String(format!("@@RAW{}@@", raws.len() - 1))
                    }
                    _ => unreachable!("handled above"),
                };
            }
        }
    }
}

/// Byte-level damage after serialising: malformed JSON and forms.
#[derive(Debug, Clone)]
enum Damage {
    None,
    Truncate(usize),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        6 => Just(Damage::None),
        1 => any::<usize>().prop_map(Damage::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Damage::Flip(i, b)),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Damage::Insert(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, damage: &Damage) {
    let len = bytes.len().max(1);
    match damage {
        Damage::None => {}
        Damage::Truncate(i) => bytes.truncate(i % len),
        Damage::Flip(i, b) => {
            if !bytes.is_empty() {
                bytes[i % len] ^= b | 1;
            }
        }
        Damage::Insert(i, extra) => {
            let at = i % (bytes.len() + 1);
            bytes.splice(at..at, extra.iter().copied());
        }
    }
}

fn mutated(base: &Value, mutations: &[(usize, Mutation)], damage: &Damage) -> Vec<u8> {
    let mut value = base.clone();
    let mut raws = Vec::new();
    for (pick, m) in mutations {
        mutate(&mut value, *pick, m, &mut raws);
    }
    let mut text = value.to_string();
    for (i, raw) in raws.iter().enumerate() {
        text = text.replace(&format!("\"@@RAW{i}@@\""), raw);
    }
    let mut bytes = text.into_bytes();
    apply(&mut bytes, damage);
    bytes
}

// ---- what the server does first with a decoded payload ----

/// Decodes an events body and turns it into the team's terms, as
/// `http::events` does before touching the database.
fn exercise_event(body: &[u8]) {
    let Ok(push) = event(body) else { return };
    match push {
        SlackPushEvent::UrlVerification(v) => {
            let _ = json!({ "challenge": v.challenge }).to_string();
        }
        SlackPushEvent::AppRateLimited(e) => {
            let _ = format!("{:?}", e.minute_rate_limited);
        }
        SlackPushEvent::EventCallback(callback) => {
            let _ = callback.event_id.to_string();
            if let Some(event) = crate::slack::inbound::event(&callback.event) {
                let _ = event.kind();
            }
        }
    }
}

/// Decodes a slash-command body and reads it as `slack::answer::command` does.
fn exercise_command(body: &[u8]) {
    let _ = form_field(body, "ssl_check");
    let Ok(command) = command(body) else { return };
    let _ = crate::slack::inbound::command(&command);
}

fn exercise_interaction(body: &[u8]) {
    if let Some(event) = interaction(body) {
        let _ = format!("{:?}", crate::slack::inbound::interaction(&event));
    }
}

fn form(pairs: &[(String, String)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
        .into_bytes()
}

// ---- properties ----

proptest! {
    #![proptest_config(fuzzing::config())]

    #[test]
    fn fuzz_decode_event_arbitrary_bytes(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        any_text().prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
    ]) {
        exercise_event(&body);
    }

    #[test]
    fn fuzz_decode_event_mutated_payloads(
        base in proptest::sample::select(events()),
        mutations in proptest::collection::vec((any::<usize>(), mutation()), 1..5),
        damage in damage(),
    ) {
        exercise_event(&mutated(&base, &mutations, &damage));
    }

    #[test]
    fn fuzz_decode_interaction_arbitrary(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        any_text().prop_map(|t| format!("payload={t}").into_bytes()),
        json_value().prop_map(|v| form(&[("payload".into(), v.to_string())])),
    ]) {
        exercise_interaction(&body);
    }

    #[test]
    fn fuzz_decode_interaction_mutated_payloads(
        base in proptest::sample::select(interactions()),
        mutations in proptest::collection::vec((any::<usize>(), mutation()), 1..5),
        damage in damage(),
        form_damage in damage(),
    ) {
        let payload = String::from_utf8_lossy(&mutated(&base, &mutations, &damage)).into_owned();
        let mut body = form(&[("payload".into(), payload)]);
        apply(&mut body, &form_damage);
        exercise_interaction(&body);
    }

    #[test]
    fn fuzz_decode_command_arbitrary(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        any_text().prop_map(String::into_bytes),
        proptest::collection::vec(("[a-z_]{1,12}", any_text()), 0..16).prop_map(|p| form(&p)),
    ]) {
        exercise_command(&body);
    }

    /// Slack's own fields with some dropped, duplicated, replaced or added, and
    /// command text of every kind: decodes or is refused, and never panics.
    #[test]
    fn fuzz_decode_command_mutated_fields(
        command in proptest::sample::select(&["/kudos", "/trophy", "/checkin", "/understaffed", "/roles", "/nope", "", "kudos"][..]),
        text in prop_oneof![any_text(), command_text()],
        edits in proptest::collection::vec((any::<usize>(), 0u8..4, any_text()), 0..4),
        damage in damage(),
    ) {
        let mut fields = payloads::command_fields(command, ALICE, SUPPORT, &text);
        for (pick, kind, value) in edits {
            let i = pick % fields.len().max(1);
            match kind {
                0 if !fields.is_empty() => { fields.remove(i); }
                1 if !fields.is_empty() => fields[i].1 = value,
                2 if !fields.is_empty() => { let copy = (fields[i].0.clone(), value); fields.push(copy); }
                _ => fields.push((format!("x_{}", pick % 7), value)),
            }
        }
        let mut body = form(&fields);
        apply(&mut body, &damage);
        exercise_command(&body);
    }
}

// ---- examples ----

#[test]
fn the_real_payloads_decode() {
    for base in events() {
        let body = base.to_string();
        assert!(event(body.as_bytes()).is_ok(), "{body}");
    }
    for base in interactions() {
        assert!(
            interaction(&form(&[("payload".into(), base.to_string())])).is_some(),
            "{base}"
        );
    }
    let fields = payloads::command_fields("/kudos", ALICE, SUPPORT, "<@U0BOB00001|bob> thanks");
    let decoded = command(&form(&fields)).expect("a real command decodes");
    assert_eq!(decoded.text.as_deref(), Some("<@U0BOB00001|bob> thanks"));
}

#[test]
fn mutations_reach_every_node() {
    let base = &events()[0];
    let mut all = Vec::new();
    paths(base, &mut Vec::new(), &mut all);
    assert!(all.len() > 10);
    let mut raws = Vec::new();
    let mut v = base.clone();
    mutate(
        &mut v,
        0,
        &Mutation::Retype("something_new_from_slack"),
        &mut raws,
    );
    assert_eq!(v["type"], "something_new_from_slack");
    let body = mutated(base, &[(1, Mutation::RawNumber("1e999"))], &Damage::None);
    assert!(String::from_utf8(body).unwrap().contains("1e999"));
}

/// A deactivation is read as one; any other profile change is not needful's.
#[test]
fn user_change_means_deactivated_only_when_deleted() {
    use crate::domain::input::Event;
    let read = |payload: &Value| match event(payload.to_string().as_bytes()).expect("decodes") {
        SlackPushEvent::EventCallback(callback) => crate::slack::inbound::event(&callback.event),
        other => panic!("not an event callback: {other:?}"),
    };
    let mut gone = payloads::user_deactivated("Ev0USER0001", ALICE);
    assert!(matches!(read(&gone), Some(Event::UserDeactivated(u)) if u.as_str() == ALICE));
    gone["event"]["user"]["deleted"] = json!(false);
    assert!(read(&gone).is_none());
    gone["event"]["user"]
        .as_object_mut()
        .unwrap()
        .remove("deleted");
    assert!(read(&gone).is_none());
}
