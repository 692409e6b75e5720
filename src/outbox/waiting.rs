//! The markers the writer knows to be waiting, so that a kudos whose
//! App Home refresh or celebration is already queued costs no SQL at all.
//!
//! A marker ([`super::Outgoing::render_key`]) is not added while one with
//! the same key is pending; the outbox's SQL checks that for every row, two
//! look-ups per kudos. This set answers most of them from memory, and is
//! only ever sure of a key when it must be:
//! - the writer adds a key when its own transaction inserted a
//!   pending marker with it, before that transaction commits (so the worker
//!   cannot have claimed the row yet), and takes it out again if the
//!   transaction fails;
//! - the worker takes a key out before it claims a row with it.
//!
//! So a key found here, by a writer holding SQLite's write lock, names a row
//! the worker has not begun to claim; its claim waits for that writer's
//! commit, and its rendering, after the claim, shows that commit. A key not
//! found here is checked in SQL as before.
//!
//! On PostgreSQL it is off ([`Waiting::off`]): another replica's worker may
//! claim a row this one knows of, and nothing would tell it. Every key is
//! then checked in SQL.
//!
//! It holds at most [`CAPACITY`] keys: a burst of kudos on many messages
//! would otherwise keep one per waiting celebration in memory (150,000 took
//! about 15 MB). Keys are kept in two generations: new keys and keys just
//! looked up go in the young one, and when it is full the old one is
//! forgotten. So the keys in use stay, and the celebrations of a backlog,
//! hours from delivery and never asked about again, age out. (Refusing new
//! keys once full, as before, left a set of such celebrations while every
//! App Home and celebration of the day's kudos went to SQL: each
//! acknowledgement cost more the longer the backlog.) A key forgotten is
//! checked in SQL, which is always right; the set only saves the look-up.

use std::{collections::HashSet, mem, sync::Mutex};

use super::Outgoing;

/// The most keys kept: enough for every App Home and message a busy team has
/// waiting at once.
pub const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct Waiting {
    keys: Mutex<Generations>,
}

impl Default for Waiting {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl Waiting {
    /// A set that keeps nothing: every key is checked in SQL.
    pub fn off() -> Self {
        Self::with_capacity(0)
    }

    fn with_capacity(capacity: usize) -> Self {
        Self {
            keys: Mutex::new(Generations {
                young: HashSet::new(),
                old: HashSet::new(),
                each: capacity / 2,
            }),
        }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, Generations> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Leaves out of `messages` the markers known to be waiting.
    pub fn drop_covered(&self, messages: &mut Vec<(Outgoing, Option<Outgoing>)>) {
        let mut keys = self.keys();
        messages.retain(|(msg, _)| msg.render_key().is_none_or(|k| !keys.look_up(k)));
    }

    /// Markers this writer inserted, before its commit.
    pub fn inserted<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut known = self.keys();
        for key in keys {
            known.insert(key.to_string());
        }
    }

    /// The transaction that inserted `keys` did not commit.
    pub fn rolled_back<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut known = self.keys();
        for key in keys {
            known.remove(key);
        }
    }

    /// The worker is about to claim a marker with `key`: later changes need
    /// a marker of their own (or the SQL check finds another waiting).
    pub fn claiming(&self, key: &str) {
        self.keys().remove(key);
    }
}

/// Two sets of at most `each` keys: the young one takes new keys and keys
/// looked up; when it is full it becomes the old one, and the old one is
/// dropped.
#[derive(Debug)]
struct Generations {
    young: HashSet<String>,
    old: HashSet<String>,
    each: usize,
}

impl Generations {
    fn look_up(&mut self, key: String) -> bool {
        if self.young.contains(&key) {
            return true;
        }
        if !self.old.remove(&key) {
            return false;
        }
        self.insert(key);
        true
    }

    fn insert(&mut self, key: String) {
        if self.each == 0 {
            return;
        }
        if self.young.len() >= self.each {
            self.old = mem::take(&mut self.young);
        }
        self.old.remove(&key);
        self.young.insert(key);
    }

    fn remove(&mut self, key: &str) {
        self.young.remove(key);
        self.old.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(user: &str) -> (Outgoing, Option<Outgoing>) {
        let refresh = Outgoing::RefreshHome {
            user: user.to_string(),
        };
        (refresh, None)
    }

    #[test]
    fn only_keys_inserted_and_not_claimed_are_covered() {
        let waiting = Waiting::default();
        waiting.inserted(["home:U1", "home:U2", "home:U3"]);
        waiting.claiming("home:U2");
        waiting.rolled_back(["home:U3"]);
        let plain = Outgoing::DirectMessage {
            user: "U1".into(),
            text: "hi".into(),
            blocks: None,
        };
        let mut messages = vec![home("U1"), home("U2"), home("U3"), (plain.clone(), None)];
        waiting.drop_covered(&mut messages);
        assert_eq!(messages, [home("U2"), home("U3"), (plain, None)]);
    }

    #[test]
    fn past_its_capacity_keys_in_use_stay_and_the_rest_age_out() {
        let waiting = Waiting::default();
        waiting.inserted(["home:in-use"]);
        // A backlog's worth of celebrations, while one home is asked about.
        for i in 0..3 * CAPACITY {
            waiting.inserted([format!("celebration:{i}").as_str()]);
            if i % 1_000 == 0 {
                let mut asked = vec![home("in-use")];
                waiting.drop_covered(&mut asked);
                assert_eq!(asked, [], "a key in use is kept");
            }
        }
        assert!(waiting.keys().len() <= CAPACITY);
        waiting.inserted(["home:now"]);
        let mut messages = vec![home("in-use"), home("now"), home("never-inserted")];
        waiting.drop_covered(&mut messages);
        assert_eq!(messages, [home("never-inserted")]);
        // The backlog's oldest keys are gone, to be checked in SQL.
        assert!(!waiting.keys().look_up("celebration:0".into()));
    }

    #[test]
    fn when_off_it_keeps_nothing() {
        let waiting = Waiting::off();
        waiting.inserted(["home:U1"]);
        let mut messages = vec![home("U1")];
        waiting.drop_covered(&mut messages);
        assert_eq!(messages, [home("U1")]);
    }
}
