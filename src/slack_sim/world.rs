//! The simulated workspace: users, channels, the message store, views and delivery bookkeeping.
//! Everything lives behind one `std::sync::Mutex`; no lock is ever held across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::faults::Faults;
use super::socket::Sockets;
use super::types::{Call, SimMessage, SimUser};
use super::{BOT_USER_ID, OTHER_BOT_USER_ID};

/// Seeded humans: (id, name, real name); all in Europe/Berlin.
pub(crate) const SEEDED_USERS: [(&str, &str, &str); 4] = [
    ("U0ALICE001", "alice", "Alice Archer"),
    ("U0BOB00001", "bob", "Bob Baker"),
    ("U0CAROL001", "carol", "Carol Chen"),
    ("U0MANAGER1", "manager", "Morgan Manager"),
];
/// Seeded public channels, the bot a member of each.
pub(crate) const SEEDED_CHANNELS: [(&str, &str); 3] = [
    ("C0SUPPORT1", "support"),
    ("C0HUMBLEBR", "humblebrag"),
    ("C0SALES001", "sales"),
];

/// First generated message ts, in microseconds. Kept above the fixture timestamps (around
/// 1732600000-1732609000) so generated ts never collide with hand-written ones in tests.
const FIRST_TS_MICROS: u64 = 1_732_610_000_000_100;
/// A `trigger_id` is good for 3 seconds, once (README section 2).
pub(crate) const TRIGGER_LIFETIME: Duration = Duration::from_secs(3);
/// A `response_url` takes at most 5 posts within 30 minutes (README section 4).
pub(crate) const RESPONSE_URL_MAX_USES: u32 = 5;
pub(crate) const RESPONSE_URL_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The DM channel id the simulator uses for a user: `U0ALICE001` -> `D0ALICE001`. Deterministic so
/// payload builders (which have no simulator) agree with `conversations.open`.
pub fn dm_channel_id(user: &str) -> String {
    match user.strip_prefix('U') {
        Some(rest) => format!("D{rest}"),
        None => format!("D{user}"),
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ChannelRec {
    pub name: String,
    pub bot_is_member: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Trigger {
    pub issued: Instant,
    pub used: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ResponseUrl {
    pub channel: Option<String>,
    pub issued: Instant,
    pub uses: u32,
}

pub(crate) struct World {
    pub users: BTreeMap<String, SimUser>,
    pub channels: BTreeMap<String, ChannelRec>,
    /// DM channel id -> the human on the other side.
    pub dm_owner: HashMap<String, String>,
    pub opened_dms: HashSet<String>,
    pub messages: HashMap<String, Vec<SimMessage>>,
    /// Last published Home view per user, as the bot sent it.
    pub home_views: HashMap<String, Value>,
    /// Stable Home view id per user (Slack keeps one Home view per user).
    pub home_view_ids: HashMap<String, String>,
    next_ts_micros: u64,
    next_view: u64,
    /// Calls in arrival order, keyed by a sequence number so late answers can fill their slot.
    pub calls: Vec<(u64, Call)>,
    next_call: u64,
    pub faults: Faults,
    pub triggers: HashMap<String, Trigger>,
    pub response_urls: HashMap<String, ResponseUrl>,
    /// Unused `apps.connections.open` tickets.
    pub tickets: HashSet<String>,
    pub sockets: Sockets,
    /// Set when the bot token was revoked or the app uninstalled: every Web API call is
    /// answered with this error from then on.
    pub revoked: Option<String>,
    /// Counts every change a viewer could see (a call answered, a message stored).
    pub changes: tokio::sync::watch::Sender<u64>,
    /// Where new message timestamps start from, when set (the demo's
    /// business clock, in microseconds); they stay increasing either way.
    pub ts_clock: Option<std::sync::Arc<dyn Fn() -> u64 + Send + Sync>>,
}

impl World {
    pub fn seeded() -> World {
        let mut w = World {
            users: BTreeMap::new(),
            channels: BTreeMap::new(),
            dm_owner: HashMap::new(),
            opened_dms: HashSet::new(),
            messages: HashMap::new(),
            home_views: HashMap::new(),
            home_view_ids: HashMap::new(),
            next_ts_micros: FIRST_TS_MICROS,
            next_view: 1,
            calls: Vec::new(),
            next_call: 1,
            faults: Faults::default(),
            triggers: HashMap::new(),
            response_urls: HashMap::new(),
            tickets: HashSet::new(),
            sockets: Sockets::default(),
            revoked: None,
            changes: tokio::sync::watch::channel(0).0,
            ts_clock: None,
        };
        w.add_user(SimUser {
            id: BOT_USER_ID.into(),
            name: "needful".into(),
            real_name: "Needful".into(),
            is_bot: true,
            tz: "America/Los_Angeles".into(),
            deleted: false,
            is_admin: false,
            is_owner: false,
        });
        for (id, name, real_name) in SEEDED_USERS {
            w.add_user(SimUser::human(id, name, real_name));
        }
        w.add_user(SimUser {
            id: OTHER_BOT_USER_ID.into(),
            name: "dealdesk".into(),
            real_name: "Deal Desk".into(),
            is_bot: true,
            tz: "America/Los_Angeles".into(),
            deleted: false,
            is_admin: false,
            is_owner: false,
        });
        for (id, name) in SEEDED_CHANNELS {
            w.add_channel(id, name, true);
        }
        // The two messages the fixtures refer to (README section 9), so reactions.add and
        // chat.update against them work like they would in the real workspace.
        w.store(SimMessage {
            channel: "C0SUPPORT1".into(),
            ts: "1732600000.000200".into(),
            text: Some("Refund queue is clear again, the CSV export was the culprit.".into()),
            blocks: None,
            thread_ts: None,
            user: "U0ALICE001".into(),
            edits: 0,
            deleted: false,
            reactions: Vec::new(),
        });
        w.store(SimMessage {
            channel: "C0SUPPORT1".into(),
            ts: "1732608000.000100".into(),
            text: Some("Good morning, Support pod! Reply in this thread or press Check in.".into()),
            blocks: None,
            thread_ts: None,
            user: BOT_USER_ID.into(),
            edits: 0,
            deleted: false,
            reactions: Vec::new(),
        });
        w
    }

    pub fn add_user(&mut self, user: SimUser) {
        self.dm_owner
            .insert(dm_channel_id(&user.id), user.id.clone());
        self.users.insert(user.id.clone(), user);
    }

    pub fn add_channel(&mut self, id: &str, name: &str, bot_is_member: bool) {
        self.channels.insert(
            id.to_string(),
            ChannelRec {
                name: name.to_string(),
                bot_is_member,
            },
        );
    }

    /// Monotonic, unique message timestamps in Slack's `seconds.micros` form.
    pub fn next_ts(&mut self) -> String {
        let clock = self.ts_clock.as_ref().map_or(0, |now| now());
        let t = self.next_ts_micros.max(clock);
        self.next_ts_micros = t + 100;
        format!("{}.{:06}", t / 1_000_000, t % 1_000_000)
    }

    pub fn next_view_id(&mut self) -> String {
        let n = self.next_view;
        self.next_view += 1;
        format!("V0SIM{n:06}")
    }

    /// Whether `id` names a view: one this simulator handed out, or any
    /// hand-made `V…` id (test payloads make their own).
    pub fn view_exists(&self, id: &str) -> bool {
        match id.strip_prefix("V0SIM") {
            Some(n) => n.parse::<u64>().is_ok_and(|n| n < self.next_view),
            None => id.starts_with('V') && id.len() > 1,
        }
    }

    /// Maps a channel argument to the stored channel id: `U…` means that user's DM, and
    /// `#name` a channel by name (Slack accepts both).
    pub fn resolve_channel(&self, id: &str) -> Result<String, &'static str> {
        if let Some(name) = id.strip_prefix('#') {
            return self
                .channels
                .iter()
                .find(|(_, c)| c.name == name)
                .map(|(id, _)| id.clone())
                .ok_or("channel_not_found");
        }
        if id.starts_with('U') {
            return if self.users.contains_key(id) {
                Ok(dm_channel_id(id))
            } else {
                Err("channel_not_found")
            };
        }
        if self.dm_owner.contains_key(id) || self.channels.contains_key(id) {
            Ok(id.to_string())
        } else {
            Err("channel_not_found")
        }
    }

    /// `not_in_channel` applies to public channels only; the bot is always in its DMs.
    pub fn bot_can_post(&self, channel: &str) -> bool {
        self.channels.get(channel).is_none_or(|c| c.bot_is_member)
    }

    pub fn channel_name(&self, id: &str) -> Option<String> {
        if let Some(c) = self.channels.get(id) {
            return Some(c.name.clone());
        }
        self.dm_owner
            .contains_key(id)
            .then(|| "directmessage".to_string())
    }

    pub fn store(&mut self, msg: SimMessage) {
        self.messages
            .entry(msg.channel.clone())
            .or_default()
            .push(msg);
        self.changed();
    }

    /// Tells whoever watches ([`super::SlackSim::changes`]) that something changed.
    pub fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    pub fn find_message(&mut self, channel: &str, ts: &str) -> Option<&mut SimMessage> {
        self.messages
            .get_mut(channel)?
            .iter_mut()
            .find(|m| m.ts == ts && !m.deleted)
    }

    pub fn messages_in(&self, channel: &str) -> Vec<SimMessage> {
        let channel = self
            .resolve_channel(channel)
            .unwrap_or_else(|_| channel.to_string());
        self.messages.get(&channel).cloned().unwrap_or_default()
    }

    /// Reserves the call's slot at arrival so `calls()` stays in arrival order.
    pub fn begin_call(&mut self, call: Call) -> u64 {
        let seq = self.next_call;
        self.next_call += 1;
        self.calls.push((seq, call));
        seq
    }

    /// Fills in the answer. A slot removed by `clear_calls` meanwhile stays gone.
    pub fn finish_call(&mut self, seq: u64, status: u16, response: Value) {
        if let Some((_, call)) = self.calls.iter_mut().find(|(s, _)| *s == seq) {
            let ok = status == 200 && response.get("ok").and_then(Value::as_bool) == Some(true);
            call.ok = ok;
            call.status = status;
            call.error = if ok {
                None
            } else {
                Some(
                    response
                        .get("error")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("http_{status}")),
                )
            };
            call.response = response;
        }
        self.changed();
    }

    pub fn record_call(&mut self, mut call: Call, status: u16, response: Value) {
        call.status = 0;
        let seq = self.begin_call(call);
        self.finish_call(seq, status, response);
    }

    pub fn register_trigger(&mut self, trigger_id: &str, now: Instant) {
        self.triggers.insert(
            trigger_id.to_string(),
            Trigger {
                issued: now,
                used: false,
            },
        );
    }

    pub fn register_response_url(&mut self, id: &str, channel: Option<String>, now: Instant) {
        self.response_urls.insert(
            id.to_string(),
            ResponseUrl {
                channel,
                issued: now,
                uses: 0,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_is_monotonic_and_well_formed() {
        let mut w = World::seeded();
        let a = w.next_ts();
        let b = w.next_ts();
        assert_eq!(a, "1732610000.000100");
        assert_eq!(b, "1732610000.000200");
    }

    #[test]
    fn user_ids_resolve_to_their_dm() {
        let w = World::seeded();
        assert_eq!(w.resolve_channel("U0ALICE001"), Ok("D0ALICE001".into()));
        assert_eq!(w.resolve_channel("D0ALICE001"), Ok("D0ALICE001".into()));
        assert_eq!(w.resolve_channel("C0NOPE0001"), Err("channel_not_found"));
        assert_eq!(w.resolve_channel("U0NOBODY01"), Err("channel_not_found"));
        assert_eq!(w.resolve_channel("#support"), Ok("C0SUPPORT1".into()));
    }
}
