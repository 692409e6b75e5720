//! Injected faults (queued `FailRule`s) and the natural per-channel posting limit.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::types::{FailRule, Failure};

/// Slack allows about one message per second per channel with short bursts (README section 6).
/// The simulator lets 3 through in any sliding second and answers the 4th with a 429.
const BURST: usize = 3;
const WINDOW: Duration = Duration::from_secs(1);
pub(crate) const NATURAL_RETRY_AFTER_SECS: u64 = 1;

/// Methods the natural limit applies to, counted separately per method and channel.
pub(crate) const LIMITED_METHODS: [&str; 2] = ["chat.postMessage", "chat.update"];

#[derive(Debug)]
pub(crate) struct Faults {
    rules: Vec<(FailRule, Option<usize>)>,
    recent: HashMap<(String, String), VecDeque<Instant>>,
    pub natural_enabled: bool,
    /// Every 429 sent, natural or injected.
    pub rate_limited: usize,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            rules: Vec::new(),
            recent: HashMap::new(),
            natural_enabled: true,
            rate_limited: 0,
        }
    }
}

impl Faults {
    pub fn push(&mut self, rule: FailRule) {
        let left = rule.times;
        if left != Some(0) {
            self.rules.push((rule, left));
        }
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    /// The failure for this call, if a rule matches; uses one of the rule's allowance.
    pub fn take(&mut self, method: &str) -> Option<Failure> {
        let idx = self
            .rules
            .iter()
            .position(|(r, _)| r.method.as_deref().is_none_or(|m| m == method))?;
        let failure = self.rules[idx].0.failure.clone();
        if let Some(left) = self.rules[idx].1.as_mut() {
            *left -= 1;
            if *left == 0 {
                self.rules.remove(idx);
            }
        }
        if matches!(failure, Failure::RateLimited { .. }) {
            self.rate_limited += 1;
        }
        Some(failure)
    }

    /// Counts an attempt to post/update in `channel`; false means answer 429.
    pub fn allow_natural(&mut self, method: &str, channel: &str, now: Instant) -> bool {
        if !self.natural_enabled || !LIMITED_METHODS.contains(&method) {
            return true;
        }
        let q = self
            .recent
            .entry((method.to_string(), channel.to_string()))
            .or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.len() >= BURST {
            self.rate_limited += 1;
            return false;
        }
        q.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_and_run_out() {
        let mut f = Faults::default();
        f.push(FailRule::times("chat.update", 2, Failure::Status(500)));
        f.push(FailRule {
            method: None,
            times: Some(1),
            failure: Failure::SlackError("fatal_error".into()),
        });
        assert_eq!(
            f.take("auth.test"),
            Some(Failure::SlackError("fatal_error".into()))
        );
        assert_eq!(f.take("auth.test"), None);
        assert_eq!(f.take("chat.update"), Some(Failure::Status(500)));
        assert_eq!(f.take("chat.update"), Some(Failure::Status(500)));
        assert_eq!(f.take("chat.update"), None);
    }

    #[test]
    fn natural_limit_allows_a_burst_of_three_per_second() {
        let mut f = Faults::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(f.allow_natural("chat.postMessage", "C1", t0));
        }
        assert!(!f.allow_natural("chat.postMessage", "C1", t0));
        assert!(f.allow_natural("chat.postMessage", "C2", t0));
        assert!(f.allow_natural("chat.update", "C1", t0));
        assert!(f.allow_natural("chat.postMessage", "C1", t0 + WINDOW));
        assert_eq!(f.rate_limited, 1);
    }
}
