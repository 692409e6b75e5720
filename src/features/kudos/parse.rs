//! `/kudos` text → a typed command. Pure, so every shape people type is tested here.

use crate::domain::ids::{UserId, parse_mention};

/// The longest reason a `/kudos` takes: a thank-you, not an essay, and short
/// enough that the celebration always fits in one Slack message.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KudosCommand {
    Help,
    Stats,
    Leaderboard,
    /// `/kudos private` (true) or `/kudos public` (false).
    SetPrivate(bool),
    Give {
        recipients: Vec<UserId>,
        reason: String,
    },
}

/// Why the text is not a command; each becomes a usage line that says what to type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Misuse {
    /// Recipients named but nothing said about what they did.
    MissingReason,
    /// No one named (text that is neither a subcommand nor starts with a mention).
    MissingRecipient,
    /// `@name` typed as plain text (not picked from Slack's suggestions).
    PlainName(String),
    /// A user group such as `@support-leads`.
    Group,
    /// A word that is not a subcommand.
    Unknown(String),
    /// The reason is longer than [`MAX_REASON_CHARS`]: this many characters.
    ReasonTooLong(usize),
}

/// Words that may sit between recipients: `@bob, @carol and @dan`.
const JOINERS: &[&str] = &[",", "&", "and", "+"];

pub fn parse(text: &str) -> Result<KudosCommand, Misuse> {
    let text = text.trim();
    let first = text.split_whitespace().next().unwrap_or_default();
    match first.to_lowercase().as_str() {
        "" | "help" | "?" | "-h" | "--help" => return Ok(KudosCommand::Help),
        "stats" | "me" => return Ok(KudosCommand::Stats),
        "leaderboard" | "top" => return Ok(KudosCommand::Leaderboard),
        "private" | "quiet" => return Ok(KudosCommand::SetPrivate(true)),
        "public" => return Ok(KudosCommand::SetPrivate(false)),
        _ => {}
    }
    if first.starts_with("<!subteam^") {
        return Err(Misuse::Group);
    }
    if first.starts_with('@') {
        return Err(Misuse::PlainName(first.trim_end_matches(',').to_string()));
    }
    if !first.starts_with("<@") {
        // One word is a mistyped subcommand; a sentence forgot the person.
        return Err(if text.split_whitespace().count() == 1 {
            Misuse::Unknown(first.to_string())
        } else {
            Misuse::MissingRecipient
        });
    }

    let mut recipients: Vec<UserId> = Vec::new();
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        // A mention ends at its `>`, even when glued to `,` or `:`.
        let token_end = if trimmed.starts_with('<') {
            trimmed.find('>').map_or(trimmed.len(), |i| i + 1)
        } else {
            trimmed
                .find(|c: char| c.is_whitespace() || c == ',')
                .unwrap_or(trimmed.len())
        };
        let token = &trimmed[..token_end];
        if let Some(user) = parse_mention(token) {
            if !recipients.contains(&user) {
                recipients.push(user);
            }
            rest = &trimmed[token_end..];
            continue;
        }
        if token.starts_with("<!subteam^") {
            return Err(Misuse::Group);
        }
        // A joiner only counts as one when another mention follows it.
        let joiner = if trimmed.starts_with(',') {
            Some(1)
        } else {
            JOINERS
                .iter()
                .find(|j| token.eq_ignore_ascii_case(j))
                .map(|_| token.len())
        };
        if let Some(len) = joiner {
            let after = trimmed[len..].trim_start();
            if after.starts_with("<@") || after.starts_with(',') {
                rest = &trimmed[len..];
                continue;
            }
            if let Some(after_comma) = trimmed.strip_prefix(',') {
                rest = after_comma;
            }
        }
        break;
    }
    if recipients.is_empty() {
        // `<@bob>` or a cut-off `<@`: it looks like a mention but names no one.
        return Err(Misuse::PlainName(first.trim_end_matches(',').to_string()));
    }
    let reason = rest
        .trim()
        .trim_start_matches([':', '-', '—', '–', ','])
        .trim()
        .to_string();
    if reason.is_empty() {
        return Err(Misuse::MissingReason);
    }
    let chars = reason.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(Misuse::ReasonTooLong(chars));
    }
    Ok(KudosCommand::Give { recipients, reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn give(text: &str) -> (Vec<String>, String) {
        match parse(text) {
            Ok(KudosCommand::Give { recipients, reason }) => {
                (recipients.iter().map(|u| u.to_string()).collect(), reason)
            }
            other => panic!("{text:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn subcommands() {
        assert_eq!(parse(""), Ok(KudosCommand::Help));
        assert_eq!(parse("help"), Ok(KudosCommand::Help));
        assert_eq!(parse(" Stats "), Ok(KudosCommand::Stats));
        assert_eq!(parse("private"), Ok(KudosCommand::SetPrivate(true)));
        assert_eq!(parse("PUBLIC"), Ok(KudosCommand::SetPrivate(false)));
        assert_eq!(parse("leaderboard"), Ok(KudosCommand::Leaderboard));
        assert_eq!(parse("statz"), Err(Misuse::Unknown("statz".into())));
    }

    #[test]
    fn one_recipient_in_both_mention_forms() {
        assert_eq!(
            give("<@U0BOB00001|bob> stayed late to fix the refund queue"),
            (
                vec!["U0BOB00001".into()],
                "stayed late to fix the refund queue".into()
            )
        );
        assert_eq!(
            give("<@U0BOB00001>: great call"),
            (vec!["U0BOB00001".into()], "great call".into())
        );
    }

    #[test]
    fn several_recipients_with_joiners_and_duplicates() {
        let (who, why) = give("<@U0BOB00001|bob>, <@U0CAROL001> and <@U0BOB00001> for the launch");
        assert_eq!(who, vec!["U0BOB00001", "U0CAROL001"]);
        assert_eq!(why, "for the launch");
        let (who, why) = give("<@U0BOB00001>,<@U0CAROL001> & <@U0ALICE001> - teamwork");
        assert_eq!(who, vec!["U0BOB00001", "U0CAROL001", "U0ALICE001"]);
        assert_eq!(why, "teamwork");
    }

    #[test]
    fn mentions_inside_the_reason_stay_in_the_reason() {
        let (who, why) = give("<@U0BOB00001> and the team covered for <@U0CAROL001>");
        assert_eq!(who, vec!["U0BOB00001"]);
        assert_eq!(why, "and the team covered for <@U0CAROL001>");
    }

    /// Found by `fuzz_kudos_any_text`: a broken mention parsed as kudos for no one.
    #[test]
    fn regression_a_broken_mention_names_no_one() {
        assert_eq!(parse(" <@ "), Err(Misuse::PlainName("<@".into())));
        assert_eq!(
            parse("<@bob> thanks"),
            Err(Misuse::PlainName("<@bob>".into()))
        );
        assert_eq!(
            parse("<@u0bob|x>, thanks"),
            Err(Misuse::PlainName("<@u0bob|x>".into()))
        );
    }

    #[test]
    fn reasons_have_a_limit() {
        let at_limit = format!("<@U0BOB00001> {}", "x".repeat(MAX_REASON_CHARS));
        assert!(matches!(parse(&at_limit), Ok(KudosCommand::Give { .. })));
        let over = format!("<@U0BOB00001> {}", "é".repeat(MAX_REASON_CHARS + 1));
        assert_eq!(
            parse(&over),
            Err(Misuse::ReasonTooLong(MAX_REASON_CHARS + 1))
        );
    }

    #[test]
    fn misuses_are_named() {
        assert_eq!(parse("<@U0BOB00001|bob>"), Err(Misuse::MissingReason));
        assert_eq!(parse("<@U0BOB00001> , "), Err(Misuse::MissingReason));
        assert_eq!(parse("thanks for the help"), Err(Misuse::MissingRecipient));
        assert_eq!(parse("@bob thanks"), Err(Misuse::PlainName("@bob".into())));
        assert_eq!(
            parse("<!subteam^S0LEADS001|@support-leads> thanks"),
            Err(Misuse::Group)
        );
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::features::kudos::render;
    use crate::fuzzing::{self, any_text, command_text, mention_of, user_id, words};

    /// The reply the command shows for each misuse (as `kudos::command` maps them).
    fn shown(misuse: &Misuse) -> String {
        match misuse {
            Misuse::MissingReason => render::missing_reason(),
            Misuse::MissingRecipient => render::missing_recipient(),
            Misuse::PlainName(name) => render::plain_name(name),
            Misuse::Group => render::group(),
            Misuse::Unknown(word) => render::unknown(word, "trophy", 5, true),
            Misuse::ReasonTooLong(chars) => render::reason_too_long(*chars),
        }
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        match parse(text) {
            Ok(KudosCommand::Give { recipients, reason }) => {
                prop_assert!(!recipients.is_empty());
                prop_assert!(!reason.trim().is_empty());
                prop_assert!(
                    text.contains(reason.as_str()),
                    "reason {reason:?} not in text"
                );
                for (i, user) in recipients.iter().enumerate() {
                    // Every recipient came from a mention in the text, once.
                    let plain = format!("<@{user}>");
                    let named = format!("<@{user}|");
                    prop_assert!(
                        text.contains(&plain) || text.contains(&named),
                        "{user} is not mentioned in {text:?}"
                    );
                    prop_assert!(!recipients[..i].contains(user), "{user} twice");
                }
            }
            Ok(_) => {}
            Err(misuse) => prop_assert!(!shown(&misuse).trim().is_empty()),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(fuzzing::config())]

        #[test]
        fn fuzz_kudos_any_text(text in any_text()) {
            check(&text)?;
        }

        #[test]
        fn fuzz_kudos_mentions_first(
            first in user_id().prop_flat_map(mention_of),
            text in command_text(),
        ) {
            check(&format!("{first} {text}"))?;
        }

        /// `/kudos @a, @b and @c: reason` gives exactly those people that reason.
        #[test]
        fn fuzz_kudos_round_trip(
            people in proptest::collection::vec(user_id().prop_flat_map(|id| (Just(id.clone()), mention_of(id))), 1..5),
            joiners in proptest::collection::vec(proptest::sample::select(&[" ", ", ", ",", " and ", " & ", " + ", " AND ", "  "][..]), 5),
            lead in proptest::sample::select(&["", " ", ": ", " - ", " — ", ", "][..]),
            reason in words(),
        ) {
            let mut text = String::new();
            let mut expected: Vec<String> = Vec::new();
            for (i, (id, shown)) in people.iter().enumerate() {
                if i > 0 {
                    text.push_str(joiners[i]);
                }
                text.push_str(shown);
                if !expected.contains(id) {
                    expected.push(id.clone());
                }
            }
            text.push_str(lead);
            text.push(' ');
            text.push_str(&reason);
            match parse(&text) {
                Ok(KudosCommand::Give { recipients, reason: got }) => {
                    let got_ids: Vec<String> = recipients.iter().map(|u| u.to_string()).collect();
                    prop_assert_eq!(got_ids, expected, "{}", text);
                    prop_assert_eq!(got, reason, "{}", text);
                }
                other => prop_assert!(false, "{text:?} parsed as {other:?}"),
            }
        }
    }
}
