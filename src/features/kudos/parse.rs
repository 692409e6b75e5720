//! `/kudos` text → a typed command. Pure, so every shape people type is tested here.

use crate::slack::ids::{UserId, parse_mention};

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
    let reason = rest
        .trim()
        .trim_start_matches([':', '-', '—', '–', ','])
        .trim()
        .to_string();
    if reason.is_empty() {
        return Err(Misuse::MissingReason);
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
