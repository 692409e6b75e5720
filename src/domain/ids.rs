//! Slack ids as types, parsed once at the edge so the rest of the code can trust them.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! slack_id {
    ($(#[$doc:meta])* $name:ident, $what:literal, $prefixes:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                let raw = raw.trim();
                let prefixes: &[char] = $prefixes;
                let valid = raw.len() >= 2
                    && raw.len() <= 32
                    && raw.starts_with(prefixes)
                    && raw.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
                if valid {
                    Ok(Self(raw.to_string()))
                } else {
                    Err(IdError { what: $what, value: raw.to_string() })
                }
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                Self::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slack_id!(
    /// A user id such as `U0ALICE001` (or `W…` on Enterprise Grid).
    UserId, "user id", &['U', 'W']
);
slack_id!(
    /// A conversation id: channel `C…`, private channel `G…`, direct message `D…`.
    ChannelId, "channel id", &['C', 'G', 'D']
);
slack_id!(
    /// A workspace id such as `T0TEAM0001`.
    TeamId, "team id", &['T', 'E']
);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a Slack {what}")]
pub struct IdError {
    pub what: &'static str,
    pub value: String,
}

/// A user mention as Slack escapes it in command text: `<@U123>` or `<@U123|name>`.
pub fn parse_mention(token: &str) -> Option<UserId> {
    let inner = token.strip_prefix("<@")?.strip_suffix('>')?;
    let id = inner.split('|').next()?;
    // Slack writes the id bare; `<@U123 >` is typed text, not a mention.
    if id.trim() != id {
        return None;
    }
    UserId::parse(id).ok()
}

/// Undoes Slack's escaping of `&`, `<` and `>` in message text.
pub fn unescape_text(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_in_both_forms() {
        assert_eq!(
            parse_mention("<@U0BOB00001>").unwrap().as_str(),
            "U0BOB00001"
        );
        assert_eq!(
            parse_mention("<@U0BOB00001|bob>").unwrap().as_str(),
            "U0BOB00001"
        );
        assert_eq!(parse_mention("@bob"), None);
        assert_eq!(parse_mention("<#C0SUPPORT1|support>"), None);
        assert_eq!(parse_mention("<@>"), None);
        assert_eq!(parse_mention("<@u0bob|x>"), None);
    }

    /// Found by `fuzz_kudos_any_text`: `<@U0BOB >` (space inside) was read as a
    /// mention of U0BOB, though Slack never writes one that way.
    #[test]
    fn regression_spaces_inside_a_mention_are_not_a_mention() {
        assert_eq!(parse_mention("<@U0BOB >"), None);
        assert_eq!(parse_mention("<@ U0BOB>"), None);
        assert_eq!(parse_mention("<@U0BOB |bob>"), None);
        assert_eq!(parse_mention("<@U0BOB|bob >").unwrap().as_str(), "U0BOB");
    }

    #[test]
    fn ids_are_checked() {
        assert!(ChannelId::parse("C0SUPPORT1").is_ok());
        assert!(ChannelId::parse("U0SUPPORT1").is_err());
        assert!(UserId::parse("U0ALICE001").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("U0 ALICE").is_err());
    }

    #[test]
    fn text_unescapes_after_mentions() {
        assert_eq!(unescape_text("a &lt;b&gt; &amp;amp;"), "a <b> &amp;");
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{self, any_text, mention, token};

    proptest! {
        #![proptest_config(fuzzing::config())]

        /// A mention is read only from `<@ID>` or `<@ID|…>`, and the id is valid.
        #[test]
        fn fuzz_mentions(text in prop_oneof![any_text(), token(), mention()]) {
            if let Some(user) = parse_mention(&text) {
                prop_assert!(
                    text == format!("<@{user}>") || text.starts_with(&format!("<@{user}|")),
                    "{text:?} read as {user}"
                );
                prop_assert!(text.ends_with('>'));
                prop_assert_eq!(UserId::parse(user.as_str()), Ok(user.clone()));
            }
            let _ = unescape_text(&text);
            for parsed in [
                UserId::parse(&text).map(|u| u.to_string()),
                ChannelId::parse(&text).map(|c| c.to_string()),
                TeamId::parse(&text).map(|t| t.to_string()),
            ] {
                match parsed {
                    Ok(id) => prop_assert_eq!(id.as_str(), text.trim()),
                    Err(e) => prop_assert!(!e.to_string().is_empty()),
                }
            }
        }
    }
}
