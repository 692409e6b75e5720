//! `/roles` text → a typed command.

use crate::domain::ids::{UserId, parse_mention};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Show,
    Swap(UserId, UserId),
    /// The role name is normalised ("Knowledge Manager" → "knowledge-manager").
    Set(UserId, String),
    Help,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    pub pod: Option<String>,
}

fn mention(word: Option<&str>, example: &str) -> Result<UserId, String> {
    let word = word.ok_or_else(|| format!("Please mention who you mean, e.g. `{example}`."))?;
    parse_mention(word).ok_or_else(|| {
        format!(
            "I couldn't read `{}` as a person. Mention them with @, e.g. `{example}`.",
            crate::domain::mrkdwn::echo(word)
        )
    })
}

pub fn parse(text: &str) -> Result<Command, String> {
    let mut pod = None;
    let mut words = Vec::new();
    let mut tokens = text.split_whitespace();
    while let Some(token) = tokens.next() {
        if token == "--pod" {
            pod = Some(
                tokens
                    .next()
                    .ok_or("`--pod` needs a pod name, e.g. `/roles --pod support`.")?
                    .to_string(),
            );
        } else {
            words.push(token);
        }
    }
    let action = match words.split_first() {
        None => Action::Show,
        Some((verb, rest)) => match verb.to_lowercase().as_str() {
            "swap" => {
                let example = "/roles swap @alice @bob";
                if rest.len() > 2 {
                    return Err(format!("`swap` takes two people, e.g. `{example}`."));
                }
                let a = mention(rest.first().copied(), example)?;
                let b = mention(rest.get(1).copied(), example)?;
                if a == b {
                    return Err(
                        "Those are the same person; mention two different people to swap.".into(),
                    );
                }
                Action::Swap(a, b)
            }
            "set" => {
                let example = "/roles set @alice triage";
                let who = mention(rest.first().copied(), example)?;
                let role: Vec<&str> = rest.iter().skip(1).copied().collect();
                if role.is_empty() {
                    return Err(format!("Which role? e.g. `{example}`."));
                }
                Action::Set(who, role.join("-").to_lowercase().replace('_', "-"))
            }
            "help" => Action::Help,
            other => {
                return Err(format!(
                    "I don't know `/roles {other}`. Here is what it does:\n{}",
                    super::render::USAGE
                ));
            }
        },
    };
    Ok(Command { action, pod })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[test]
    fn reads_every_form() {
        assert_eq!(parse("").unwrap().action, Action::Show);
        assert_eq!(
            parse("--pod support").unwrap(),
            Command {
                action: Action::Show,
                pod: Some("support".into())
            }
        );
        assert_eq!(
            parse("swap <@U0ALICE001|alice> <@U0BOB00001>")
                .unwrap()
                .action,
            Action::Swap(user("U0ALICE001"), user("U0BOB00001"))
        );
        assert_eq!(
            parse("set <@U0ALICE001> Knowledge Manager").unwrap().action,
            Action::Set(user("U0ALICE001"), "knowledge-manager".into())
        );
    }

    #[test]
    fn refusals_say_what_to_do() {
        assert!(
            parse("swap <@U0ALICE001>")
                .unwrap_err()
                .contains("/roles swap")
        );
        assert!(parse("swap @alice @bob").unwrap_err().contains("Mention"));
        assert!(
            parse("swap <@U0ALICE001> <@U0ALICE001>")
                .unwrap_err()
                .contains("same person")
        );
        assert!(
            parse("set <@U0ALICE001>")
                .unwrap_err()
                .contains("Which role")
        );
        assert!(parse("rotate").unwrap_err().contains("/roles swap"));
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{self, any_text, command_text, mention_of, user_id, words};

    fn mentioned(text: &str, user: &UserId) -> bool {
        text.contains(&format!("<@{user}>")) || text.contains(&format!("<@{user}|"))
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        match parse(text) {
            Ok(Command { action, pod }) => {
                if let Some(pod) = pod {
                    prop_assert!(!pod.is_empty() && text.contains(pod.as_str()));
                }
                match action {
                    Action::Swap(a, b) => {
                        prop_assert!(a != b);
                        prop_assert!(mentioned(text, &a) && mentioned(text, &b));
                    }
                    Action::Set(who, role) => {
                        prop_assert!(mentioned(text, &who));
                        prop_assert!(!role.is_empty());
                        prop_assert!(!role.contains(char::is_whitespace));
                    }
                    Action::Show | Action::Help => {}
                }
            }
            Err(message) => prop_assert!(!message.trim().is_empty()),
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(fuzzing::config())]

        #[test]
        fn fuzz_roles_any_text(text in any_text()) {
            check(&text)?;
        }

        #[test]
        fn fuzz_roles_verbs_first(
            verb in proptest::sample::select(&["swap", "set", "help", "--pod", "SWAP", ""][..]),
            text in command_text(),
        ) {
            check(&format!("{verb} {text}"))?;
        }

        /// `swap @a @b --pod P` and `set @a Role Name` round-trip.
        #[test]
        fn fuzz_roles_round_trip(
            a in user_id().prop_flat_map(|id| (Just(id.clone()), mention_of(id))),
            b in user_id().prop_flat_map(|id| (Just(id.clone()), mention_of(id))),
            pod in proptest::option::of("[a-z][a-z0-9-]{0,12}"),
            role in words(),
        ) {
            let flag = pod.as_ref().map(|p| format!(" --pod {p}")).unwrap_or_default();
            let swap = parse(&format!("swap {}{flag} {}", a.1, b.1));
            if a.0 == b.0 {
                prop_assert!(swap.is_err());
            } else {
                let expected = Command {
                    action: Action::Swap(UserId::parse(&a.0).unwrap(), UserId::parse(&b.0).unwrap()),
                    pod: pod.clone(),
                };
                prop_assert_eq!(swap, Ok(expected));
            }
            let set = parse(&format!("set {} {role}{flag}", a.1));
            let expected = Command {
                action: Action::Set(
                    UserId::parse(&a.0).unwrap(),
                    role.split(' ').collect::<Vec<_>>().join("-").to_lowercase(),
                ),
                pod,
            };
            prop_assert_eq!(set, Ok(expected));
        }
    }
}
