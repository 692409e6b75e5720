//! `/trophy` text → a typed command. Pure, so every shape is unit-tested here.

use crate::domain::ids::{UserId, parse_mention};

/// Longest reason kept; announcements and exports stay readable.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrophyCommand {
    /// `/trophy`: who holds it and the last passes.
    Status,
    /// `/trophy history [page]`, pages counted from 1.
    History { page: u32 },
    /// `/trophy pass @user reason` (also `/trophy @user reason`).
    Pass { to: UserId, reason: String },
    /// `/trophy reassign @user reason` (managers).
    Reassign { to: UserId, reason: String },
    /// `/trophy help`.
    Help,
}

/// Which hand-over a mistake was made in, so the hint shows the right command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Pass,
    Reassign,
}

impl Verb {
    pub fn word(self) -> &'static str {
        match self {
            Verb::Pass => "pass",
            Verb::Reassign => "reassign",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No one was mentioned; `got` is what stood where the mention belongs.
    MissingUser {
        verb: Verb,
        got: Option<String>,
    },
    MissingReason {
        verb: Verb,
        to: UserId,
    },
    ReasonTooLong {
        verb: Verb,
        chars: usize,
    },
    BadPage(String),
    Unknown(String),
}

pub fn parse(text: &str) -> Result<TrophyCommand, ParseError> {
    let text = text.trim();
    let (word, rest) = split_first(text);
    match word.to_lowercase().as_str() {
        "" | "status" | "who" => Ok(TrophyCommand::Status),
        "help" | "?" => Ok(TrophyCommand::Help),
        "history" | "chain" => parse_page(rest),
        "pass" | "give" => parse_handover(Verb::Pass, rest),
        "reassign" => parse_handover(Verb::Reassign, rest),
        // People often skip the verb: `/trophy @bob stayed late`.
        _ if word.starts_with("<@") => parse_handover(Verb::Pass, text),
        _ => Err(ParseError::Unknown(word.to_string())),
    }
}

fn split_first(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (text, ""),
    }
}

fn parse_page(rest: &str) -> Result<TrophyCommand, ParseError> {
    if rest.is_empty() {
        return Ok(TrophyCommand::History { page: 1 });
    }
    match rest.parse::<u32>() {
        Ok(page) if page >= 1 => Ok(TrophyCommand::History { page }),
        _ => Err(ParseError::BadPage(rest.to_string())),
    }
}

fn parse_handover(verb: Verb, rest: &str) -> Result<TrophyCommand, ParseError> {
    // A mention ends at its `>`, even when punctuation follows (`<@U1>: thanks`).
    let (who, reason) = match rest.find('>') {
        Some(end) if rest.starts_with("<@") => (&rest[..=end], &rest[end + 1..]),
        _ => split_first(rest),
    };
    let Some(to) = parse_mention(who) else {
        return Err(ParseError::MissingUser {
            verb,
            got: (!who.is_empty()).then(|| who.to_string()),
        });
    };
    // "for …", "-", ":" before the reason are how people write, not the reason.
    let reason = reason
        .trim_start_matches(|c: char| matches!(c, ':' | '-' | '–' | '—') || c.is_whitespace())
        .trim();
    if reason.is_empty() {
        return Err(ParseError::MissingReason { verb, to });
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(ParseError::ReasonTooLong { verb, chars });
    }
    let reason = reason.to_string();
    Ok(match verb {
        Verb::Pass => TrophyCommand::Pass { to, reason },
        Verb::Reassign => TrophyCommand::Reassign { to, reason },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn status_and_help() {
        assert_eq!(parse(""), Ok(TrophyCommand::Status));
        assert_eq!(parse("  "), Ok(TrophyCommand::Status));
        assert_eq!(parse("Status"), Ok(TrophyCommand::Status));
        assert_eq!(parse("help"), Ok(TrophyCommand::Help));
    }

    #[test]
    fn history_pages() {
        assert_eq!(parse("history"), Ok(TrophyCommand::History { page: 1 }));
        assert_eq!(parse("history 3"), Ok(TrophyCommand::History { page: 3 }));
        assert_eq!(
            parse("history 0"),
            Err(ParseError::BadPage("0".to_string()))
        );
        assert_eq!(
            parse("history two"),
            Err(ParseError::BadPage("two".to_string()))
        );
    }

    #[test]
    fn pass_with_mention_and_reason() {
        assert_eq!(
            parse("pass <@U0BOB00001|bob> stayed late for the refund queue"),
            Ok(TrophyCommand::Pass {
                to: user("U0BOB00001"),
                reason: "stayed late for the refund queue".to_string()
            })
        );
        assert_eq!(
            parse("PASS <@U0BOB00001>:  calmed an angry customer "),
            Ok(TrophyCommand::Pass {
                to: user("U0BOB00001"),
                reason: "calmed an angry customer".to_string()
            })
        );
    }

    #[test]
    fn the_verb_may_be_left_out() {
        assert_eq!(
            parse("<@U0BOB00001|bob> fixed it"),
            Ok(TrophyCommand::Pass {
                to: user("U0BOB00001"),
                reason: "fixed it".to_string()
            })
        );
    }

    #[test]
    fn reassign_like_pass() {
        assert_eq!(
            parse("reassign <@U0CAROL001|carol> Alice moved to sales"),
            Ok(TrophyCommand::Reassign {
                to: user("U0CAROL001"),
                reason: "Alice moved to sales".to_string()
            })
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            parse("pass"),
            Err(ParseError::MissingUser {
                verb: Verb::Pass,
                got: None
            })
        );
        assert_eq!(
            parse("pass @bob great work"),
            Err(ParseError::MissingUser {
                verb: Verb::Pass,
                got: Some("@bob".to_string())
            })
        );
        assert_eq!(
            parse("reassign <@U0BOB00001|bob>  - "),
            Err(ParseError::MissingReason {
                verb: Verb::Reassign,
                to: user("U0BOB00001")
            })
        );
        assert_eq!(
            parse("polish"),
            Err(ParseError::Unknown("polish".to_string()))
        );
        let long = format!("pass <@U0BOB00001> {}", "x".repeat(MAX_REASON_CHARS + 1));
        assert_eq!(
            parse(&long),
            Err(ParseError::ReasonTooLong {
                verb: Verb::Pass,
                chars: MAX_REASON_CHARS + 1
            })
        );
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::features::trophy::render;
    use crate::fuzzing::{self, any_text, command_text, mention_of, user_id, words};

    fn check(text: &str) -> Result<(), TestCaseError> {
        match parse(text) {
            Ok(TrophyCommand::Pass { to, reason } | TrophyCommand::Reassign { to, reason }) => {
                let plain = format!("<@{to}>");
                let named = format!("<@{to}|");
                prop_assert!(
                    text.contains(&plain) || text.contains(&named),
                    "{to} not mentioned"
                );
                prop_assert!(!reason.trim().is_empty());
                prop_assert!(reason.chars().count() <= MAX_REASON_CHARS);
                prop_assert!(text.contains(reason.as_str()));
            }
            Ok(TrophyCommand::History { page }) => prop_assert!(page >= 1),
            Ok(_) => {}
            Err(e) => prop_assert!(!render::parse_error("Needful Trophy", &e).trim().is_empty()),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(fuzzing::config())]

        #[test]
        fn fuzz_trophy_any_text(text in any_text()) {
            check(&text)?;
        }

        #[test]
        fn fuzz_trophy_verbs_first(
            verb in proptest::sample::select(&["pass", "give", "reassign", "history", "chain", "PASS", ""][..]),
            text in command_text(),
        ) {
            check(&format!("{verb} {text}"))?;
        }

        /// `/trophy pass @bob: reason` and `/trophy history N` mean what they say.
        #[test]
        fn fuzz_trophy_round_trip(
            verb in proptest::sample::select(&["pass ", "give ", "reassign ", "Reassign ", ""][..]),
            who in user_id().prop_flat_map(|id| (Just(id.clone()), mention_of(id))),
            lead in proptest::sample::select(&[" ", ": ", " - ", " — ", ":", "  "][..]),
            reason in words(),
            page in 1u32..,
        ) {
            let text = format!("{verb}{}{lead}{reason}", who.1);
            let expected = if verb.eq_ignore_ascii_case("reassign ") {
                TrophyCommand::Reassign { to: UserId::parse(&who.0).unwrap(), reason: reason.clone() }
            } else {
                TrophyCommand::Pass { to: UserId::parse(&who.0).unwrap(), reason: reason.clone() }
            };
            prop_assert_eq!(parse(&text), Ok(expected), "{}", text);
            prop_assert_eq!(parse(&format!("history {page}")), Ok(TrophyCommand::History { page }));
        }
    }
}
