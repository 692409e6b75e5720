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
//! about 15 MB). Past that, keys are not added and are checked in SQL, which
//! is always right; the set only saves the look-up.

use std::{collections::HashSet, sync::Mutex};

use super::Outgoing;

/// The most keys kept: enough for every App Home and message a busy team has
/// waiting at once.
pub const CAPACITY: usize = 10_000;

#[derive(Debug)]
pub struct Waiting {
    keys: Mutex<HashSet<String>>,
    capacity: usize,
}

impl Default for Waiting {
    fn default() -> Self {
        Self {
            keys: Mutex::default(),
            capacity: CAPACITY,
        }
    }
}

impl Waiting {
    /// A set that keeps nothing: every key is checked in SQL.
    pub fn off() -> Self {
        Self {
            keys: Mutex::default(),
            capacity: 0,
        }
    }

    fn keys(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Leaves out of `messages` the markers known to be waiting.
    pub fn drop_covered(&self, messages: &mut Vec<(Outgoing, Option<Outgoing>)>) {
        let keys = self.keys();
        messages.retain(|(msg, _)| msg.render_key().is_none_or(|k| !keys.contains(&k)));
    }

    /// Markers this writer inserted, before its commit.
    pub fn inserted<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut known = self.keys();
        for key in keys {
            if known.len() >= self.capacity {
                break;
            }
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
    fn past_its_capacity_it_keeps_no_more_and_covers_none_of_those() {
        let waiting = Waiting::default();
        let keys: Vec<String> = (0..CAPACITY + 5).map(|i| format!("home:U{i}")).collect();
        waiting.inserted(keys.iter().map(String::as_str));
        assert_eq!(waiting.keys().len(), CAPACITY);
        let mut messages = vec![home("U0"), home(&format!("U{}", CAPACITY + 1))];
        waiting.drop_covered(&mut messages);
        // The first is known to wait; the one over capacity goes to the SQL check.
        assert_eq!(messages, [home(&format!("U{}", CAPACITY + 1))]);
    }
}
