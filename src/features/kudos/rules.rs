//! The kudos rules, one set for `/kudos` and reactions alike: who can be
//! thanked, the giver's daily allowance, and how each receiver hears of it.
//!
//! Pure: a caller gathers the facts (from the database for a command, from
//! the batch's memory for a reaction), asks [`decide`], and acts on the
//! answer. A reaction is a list of one.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{period, render};
use crate::{domain::ids::UserId, storage::kudos::Delivery};

/// The giver's local day, `[start, reset)`: what the daily limit counts.
pub fn day(now: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    period::day_bounds(now, tz)
}

/// How many kudos the giver has used of today's allowance, and when it
/// resets (midnight in their zone).
#[derive(Debug, Clone, Copy)]
pub struct Allowance {
    limit: u32,
    /// Standing kudos the giver gave in their day so far.
    used: u32,
    now: DateTime<Utc>,
    tz: Tz,
    start: DateTime<Utc>,
    reset: DateTime<Utc>,
}

impl Allowance {
    /// `used` of `limit` at `now`, in a giver's day counted in `tz`.
    pub fn new(limit: u32, used: u32, now: DateTime<Utc>, tz: Tz) -> Self {
        let (start, reset) = day(now, tz);
        Self {
            limit,
            used,
            now,
            tz,
            start,
            reset,
        }
    }

    fn allows(&self, n: u32) -> bool {
        self.used.saturating_add(n) <= self.limit
    }

    fn left_after(&self, n: u32) -> u32 {
        self.limit.saturating_sub(self.used.saturating_add(n))
    }

    /// Why `asked` more kudos are refused, and when the allowance resets.
    pub fn refusal(&self, asked: u32) -> String {
        render::refuse_limit(self.limit, self.used, asked, self.reset, self.now, self.tz)
    }

    /// Whether a kudos given at `at` counts against today's allowance, so
    /// taking it back gives one back. One from an earlier day does not.
    pub fn counts(&self, at: DateTime<Utc>) -> bool {
        (self.start..self.reset).contains(&at)
    }
}

/// The giver's side of a decision.
#[derive(Debug, Clone, Copy)]
pub struct Giver<'a> {
    pub user: &'a UserId,
    /// needful itself, which takes no kudos.
    pub needful: Option<&'a UserId>,
    pub allowance: Allowance,
    /// Whether the team has a channel to celebrate kudos in.
    pub kudos_channel: bool,
}

/// One would-be receiver, with what is known of them.
#[derive(Debug, Clone, Copy)]
pub struct Receiver<'a> {
    pub user: &'a UserId,
    /// Seen posting as a bot.
    pub bot: bool,
    /// Prefers quiet thanks: a direct message instead of a celebration.
    pub private: bool,
}

/// Why someone gets no kudos whatever the allowance says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The giver named themselves (or reacted on their own message).
    Yourself,
    /// needful, the bot.
    Needful,
    /// Another bot: no one to thank there.
    Bot,
}

/// What happens to one receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Skipped(Skip),
    /// Thanking everyone not skipped would pass the daily limit, so nobody
    /// is thanked.
    OverLimit,
    Given(Delivery),
}

/// The answer for the list as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Everyone named was skipped.
    NobodyLeft,
    /// `asked` kudos would pass the daily limit: none are given.
    OverLimit { asked: u32 },
    /// `count` kudos are given; `left` remain today.
    Give { count: u32, left: u32 },
}

/// What [`decide`] found: the verdict, and each receiver's outcome.
#[derive(Debug, Clone, Copy)]
pub struct Decision<'a> {
    pub verdict: Verdict,
    giver: Giver<'a>,
    receivers: &'a [Receiver<'a>],
}

/// Decides what `giver`'s kudos to `receivers` come to. Skipped people do
/// not count against the allowance; the rest are thanked all together or,
/// past the daily limit, not at all.
pub fn decide<'a>(giver: Giver<'a>, receivers: &'a [Receiver<'a>]) -> Decision<'a> {
    let asked = receivers
        .iter()
        .filter(|r| skip(&giver, r).is_none())
        .count();
    let asked = u32::try_from(asked).unwrap_or(u32::MAX);
    let verdict = if asked == 0 {
        Verdict::NobodyLeft
    } else if !giver.allowance.allows(asked) {
        Verdict::OverLimit { asked }
    } else {
        Verdict::Give {
            count: asked,
            left: giver.allowance.left_after(asked),
        }
    };
    Decision {
        verdict,
        giver,
        receivers,
    }
}

fn skip(giver: &Giver<'_>, r: &Receiver<'_>) -> Option<Skip> {
    if r.user == giver.user {
        Some(Skip::Yourself)
    } else if giver.needful == Some(r.user) {
        Some(Skip::Needful)
    } else if r.bot {
        Some(Skip::Bot)
    } else {
        None
    }
}

impl<'a> Decision<'a> {
    /// Every receiver with their outcome, in the order asked.
    pub fn outcomes(&self) -> impl Iterator<Item = (&'a UserId, Outcome)> + use<'a> {
        let (giver, verdict) = (self.giver, self.verdict);
        self.receivers.iter().map(move |r| {
            let outcome = match (skip(&giver, r), verdict) {
                (Some(why), _) => Outcome::Skipped(why),
                (None, Verdict::Give { .. }) => Outcome::Given(if r.private {
                    Delivery::Dm
                } else if giver.kudos_channel {
                    Delivery::Channel
                } else {
                    Delivery::None
                }),
                (None, _) => Outcome::OverLimit,
            };
            (r.user, outcome)
        })
    }

    /// Who is skipped, and why.
    pub fn skipped(&self) -> impl Iterator<Item = (&'a UserId, Skip)> + use<'a> {
        self.outcomes().filter_map(|(user, o)| match o {
            Outcome::Skipped(why) => Some((user, why)),
            _ => None,
        })
    }

    /// Who gets kudos, and how they hear of it.
    pub fn given(&self) -> impl Iterator<Item = (&'a UserId, Delivery)> + use<'a> {
        self.outcomes().filter_map(|(user, o)| match o {
            Outcome::Given(delivery) => Some((user, delivery)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    /// Someone named in a case: `!` marks a known bot, `~` someone who
    /// prefers private thanks.
    fn receiver<'a>(users: &'a [UserId], tag: &str) -> Receiver<'a> {
        let name = tag.trim_start_matches(['!', '~']);
        Receiver {
            user: users.iter().find(|u| u.as_str() == name).unwrap(),
            bot: tag.starts_with('!'),
            private: tag.starts_with('~'),
        }
    }

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    use Delivery::{Channel, Dm, None as Quiet};
    use Outcome::{Given, OverLimit, Skipped};
    use Skip::{Bot, Needful, Yourself};

    /// What it shows, kudos used of 5 today, whether there is a kudos
    /// channel, the receivers named, the verdict and each one's outcome.
    type Case<'a> = (&'a str, u32, bool, &'a [&'a str], Verdict, &'a [Outcome]);

    #[test]
    fn decides_who_is_thanked_how_and_what_the_allowance_says() {
        let cases: &[Case] = &[
            (
                "one colleague, public",
                0,
                true,
                &["UBOB"],
                Verdict::Give { count: 1, left: 4 },
                &[Given(Channel)],
            ),
            (
                "private thanks are a DM, with or without a channel",
                0,
                false,
                &["~UBOB"],
                Verdict::Give { count: 1, left: 4 },
                &[Given(Dm)],
            ),
            (
                "public thanks without a kudos channel are only recorded",
                0,
                false,
                &["UBOB"],
                Verdict::Give { count: 1, left: 4 },
                &[Given(Quiet)],
            ),
            (
                "yourself",
                0,
                true,
                &["UALICE"],
                Verdict::NobodyLeft,
                &[Skipped(Yourself)],
            ),
            (
                "needful, the bot",
                0,
                true,
                &["UNEEDFUL"],
                Verdict::NobodyLeft,
                &[Skipped(Needful)],
            ),
            (
                "needful, even when also seen posting as a bot",
                0,
                true,
                &["!UNEEDFUL"],
                Verdict::NobodyLeft,
                &[Skipped(Needful)],
            ),
            (
                "another bot",
                0,
                true,
                &["!UBOT"],
                Verdict::NobodyLeft,
                &[Skipped(Bot)],
            ),
            (
                "skipped before the limit is looked at",
                5,
                true,
                &["UALICE", "!UBOT"],
                Verdict::NobodyLeft,
                &[Skipped(Yourself), Skipped(Bot)],
            ),
            (
                "under the limit",
                3,
                true,
                &["UBOB"],
                Verdict::Give { count: 1, left: 1 },
                &[Given(Channel)],
            ),
            (
                "up to the limit exactly",
                3,
                true,
                &["UBOB", "UCAROL"],
                Verdict::Give { count: 2, left: 0 },
                &[Given(Channel), Given(Channel)],
            ),
            (
                "at the limit",
                5,
                true,
                &["UBOB"],
                Verdict::OverLimit { asked: 1 },
                &[OverLimit],
            ),
            (
                "over the limit already",
                7,
                true,
                &["UBOB"],
                Verdict::OverLimit { asked: 1 },
                &[OverLimit],
            ),
            (
                "a list past the limit is refused whole",
                4,
                true,
                &["UBOB", "~UCAROL"],
                Verdict::OverLimit { asked: 2 },
                &[OverLimit, OverLimit],
            ),
            (
                "the skipped don't count against the limit",
                4,
                true,
                &["UALICE", "UBOB", "!UBOT"],
                Verdict::Give { count: 1, left: 0 },
                &[Skipped(Yourself), Given(Channel), Skipped(Bot)],
            ),
            (
                "a mixed list keeps its order",
                0,
                true,
                &["~UBOB", "UALICE", "UCAROL", "UNEEDFUL", "!UBOT", "UDAN"],
                Verdict::Give { count: 3, left: 2 },
                &[
                    Given(Dm),
                    Skipped(Yourself),
                    Given(Channel),
                    Skipped(Needful),
                    Skipped(Bot),
                    Given(Channel),
                ],
            ),
            (
                "a mixed list past the limit still says who was skipped",
                4,
                true,
                &["UALICE", "UBOB", "UCAROL"],
                Verdict::OverLimit { asked: 2 },
                &[Skipped(Yourself), OverLimit, OverLimit],
            ),
        ];
        let users: Vec<UserId> = ["UALICE", "UBOB", "UCAROL", "UDAN", "UNEEDFUL", "UBOT"]
            .into_iter()
            .map(user)
            .collect();
        for (what, used, channel, tags, verdict, outcomes) in cases {
            let receivers: Vec<Receiver> = tags.iter().map(|t| receiver(&users, t)).collect();
            let giver = Giver {
                user: &users[0],
                needful: Some(&users[4]),
                allowance: Allowance::new(5, *used, noon(), chrono_tz::Tz::UTC),
                kudos_channel: *channel,
            };
            let d = decide(giver, &receivers);
            assert_eq!(d.verdict, *verdict, "{what}");
            let got: Vec<Outcome> = d.outcomes().map(|(_, o)| o).collect();
            assert_eq!(got, *outcomes, "{what}");
            // The outcomes name the receivers in the order asked, and the
            // views agree with them.
            let named: Vec<&UserId> = d.outcomes().map(|(u, _)| u).collect();
            let asked: Vec<&UserId> = receivers.iter().map(|r| r.user).collect();
            assert_eq!(named, asked, "{what}");
            let given = d.given().count();
            let skipped = d.skipped().count();
            assert_eq!(
                given,
                outcomes.iter().filter(|o| matches!(o, Given(_))).count(),
                "{what}"
            );
            assert_eq!(
                skipped,
                outcomes.iter().filter(|o| matches!(o, Skipped(_))).count(),
                "{what}"
            );
            if let Verdict::Give { count, .. } = d.verdict {
                assert_eq!(count as usize, given, "{what}");
            }
        }
    }

    #[test]
    fn no_receivers_and_a_limit_of_zero() {
        let alice = user("UALICE");
        let bob = user("UBOB");
        let giver = |limit| Giver {
            user: &alice,
            needful: None,
            allowance: Allowance::new(limit, 0, noon(), chrono_tz::Tz::UTC),
            kudos_channel: true,
        };
        assert_eq!(decide(giver(5), &[]).verdict, Verdict::NobodyLeft);
        let bob = [Receiver {
            user: &bob,
            bot: false,
            private: false,
        }];
        assert_eq!(
            decide(giver(0), &bob).verdict,
            Verdict::OverLimit { asked: 1 }
        );
        // Without needful's id known, nobody is taken for it.
        assert_eq!(
            decide(giver(5), &bob).verdict,
            Verdict::Give { count: 1, left: 4 }
        );
    }

    #[test]
    fn the_allowance_follows_the_givers_day_not_utcs() {
        let berlin = chrono_tz::Europe::Berlin;
        // 22:30 UTC is 23:30 in Berlin: the day resets in 30 minutes.
        let late = Utc.with_ymd_and_hms(2026, 11, 25, 22, 30, 0).unwrap();
        let a = Allowance::new(2, 2, late, berlin);
        let refusal = a.refusal(1);
        assert!(
            refusal.contains("all 2 kudos")
                && refusal.contains("Europe/Berlin")
                && refusal.contains("30 min"),
            "{refusal}"
        );
        assert_eq!(
            day(late, berlin),
            (
                Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0).unwrap()
            )
        );
        // Kudos given since Berlin's midnight count; earlier ones don't,
        // though UTC still calls them the same day.
        assert!(a.counts(Utc.with_ymd_and_hms(2026, 11, 24, 23, 0, 0).unwrap()));
        assert!(a.counts(late));
        assert!(!a.counts(Utc.with_ymd_and_hms(2026, 11, 24, 22, 59, 59).unwrap()));
        assert!(!a.counts(Utc.with_ymd_and_hms(2026, 11, 25, 23, 0, 0).unwrap()));

        // 23:05 UTC is already tomorrow in Berlin: the count starts again
        // (the caller counts the new day) and the old kudos no longer count.
        let tomorrow = Utc.with_ymd_and_hms(2026, 11, 25, 23, 5, 0).unwrap();
        let b = Allowance::new(2, 0, tomorrow, berlin);
        assert!(!b.counts(late));
        let alice = user("UALICE");
        let bob = user("UBOB");
        let receivers = [Receiver {
            user: &bob,
            bot: false,
            private: false,
        }];
        let giver = |allowance| Giver {
            user: &alice,
            needful: None,
            allowance,
            kudos_channel: true,
        };
        assert_eq!(
            decide(giver(a), &receivers).verdict,
            Verdict::OverLimit { asked: 1 }
        );
        assert_eq!(
            decide(giver(b), &receivers).verdict,
            Verdict::Give { count: 1, left: 1 }
        );

        // In UTC the same instant is mid-evening: the reset is an hour off.
        let utc = Allowance::new(2, 2, late, chrono_tz::Tz::UTC);
        assert!(utc.refusal(1).contains("1 h 30 min"), "{}", utc.refusal(1));
    }

    #[test]
    fn a_refusal_for_several_says_how_many_are_left() {
        let a = Allowance::new(5, 4, noon(), chrono_tz::Tz::UTC);
        let text = a.refusal(2);
        assert!(
            text.contains("thank 2 people") && text.contains("1 kudos left"),
            "{text}"
        );
    }
}
