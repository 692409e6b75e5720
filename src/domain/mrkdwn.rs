//! People's own words, made safe to repeat in a message needful posts.
//!
//! Slack notifies a whole channel for the tokens `<!channel>`, `<!here>` and
//! `<!everyone>`, and a user group for `<!subteam^…>`; with `link_names` on,
//! plain `@here` text does too. Anyone could otherwise make needful ping a
//! channel by putting one in a kudos reason. [`neutralize`] keeps the words
//! readable ("@channel") but pings no one; person mentions (`<@U…>`),
//! channel links (`<#C…>`), links and dates (`<!date^…>`) keep working.
//!
//! Renderers call it on every text a person typed, when the message is
//! rendered: rows stored before this existed are made safe too.

use std::borrow::Cow;

/// Put between `@` and the word so no client or `link_names` reads it as a
/// broadcast; it shows as nothing.
const WORD_JOINER: char = '\u{2060}';

/// The broadcast words Slack links after a bare `@`.
const BROADCASTS: &[&str] = &["here", "channel", "everyone"];

/// `text` with every broadcast and user-group token replaced by its words.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if !text.contains("<!") && !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(i) = rest.find(['<', '@']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(token) = tail.strip_prefix("<!") {
            match token.find('>') {
                Some(end) => {
                    let inner = &token[..end];
                    if is_date(inner) {
                        // Its fallback text is typed words too.
                        out.push_str("<!");
                        out.push_str(&neutralize(inner));
                        out.push('>');
                    } else {
                        out.push_str(&spoken(inner));
                    }
                    rest = &token[end + 1..];
                }
                // An unclosed `<!` is text; escaped, no later `>` can close it.
                None => {
                    out.push_str("&lt;!");
                    rest = token;
                }
            }
        } else if tail.starts_with('@') && starts_with_broadcast(&tail[1..]) {
            out.push('@');
            out.push(WORD_JOINER);
            rest = &tail[1..];
        } else {
            // A `<` or `@` that is not a broadcast: kept as it is.
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// How much of a mistyped word a reply quotes back.
const ECHO_CHARS: usize = 60;

/// A word someone typed, quoted back in a reply ("I don't know `…`"):
/// quiet, and short however long the word was.
pub fn echo(word: &str) -> String {
    said(word, ECHO_CHARS)
}

/// What a person typed, as needful repeats it: pinging no one, and at most
/// `max` characters.
pub fn said(text: &str, max: usize) -> String {
    crate::domain::block_kit::truncate(&neutralize(text), max)
}

/// `<!date^…>` only formats a time; kept unless it hides another token.
fn is_date(inner: &str) -> bool {
    inner.starts_with("date^") && !inner.contains('<')
}

fn starts_with_broadcast(s: &str) -> bool {
    BROADCASTS.iter().any(|w| {
        s.get(..w.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(w))
            && !s[w.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

/// What a broadcast token says, without pinging: `<!here>` → "@here",
/// `<!subteam^S1|@leads>` → "@leads".
fn spoken(inner: &str) -> String {
    let (name, label) = match inner.split_once('|') {
        Some((name, label)) => (name, label.trim_start_matches('@')),
        None => (inner, ""),
    };
    let word = if !label.trim().is_empty() {
        label
    } else if name.starts_with("subteam^") {
        "group"
    } else {
        name.split('^').next().unwrap_or_default()
    };
    // The label is typed text too: no `<` may start a token in it.
    let word = word.replace('<', "&lt;");
    format!("@{WORD_JOINER}{}", neutralize(&word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        neutralize(s).replace(WORD_JOINER, "")
    }

    #[test]
    fn broadcasts_become_words() {
        assert_eq!(
            n("<!channel> <!here> <!everyone> free pizza"),
            "@channel @here @everyone free pizza"
        );
        assert_eq!(
            n("<!here|here> and <!channel|@channel>"),
            "@here and @channel"
        );
        assert_eq!(
            n("ask <!subteam^S0LEADS001|@support-leads> or <!subteam^S0X>"),
            "ask @support-leads or @group"
        );
        let raw = neutralize("<!channel>");
        assert!(!raw.contains("<!") && raw.contains(WORD_JOINER), "{raw:?}");
    }

    #[test]
    fn typed_at_words_get_a_joiner() {
        let out = neutralize("hey @here and @Channel, mail me@everyone.com, @hereafter");
        assert_eq!(out.matches(WORD_JOINER).count(), 3, "{out:?}");
        assert!(out.contains("@hereafter"));
    }

    #[test]
    fn people_channels_links_and_dates_keep_working() {
        let s = "thanks <@U0BOB00001> and <@U0CAROL001|carol> in <#C0SUPPORT1|support>, see <https://x.test|this> on <!date^1732600000^{date_short}|Nov 26>";
        assert_eq!(neutralize(s), s);
        assert!(matches!(neutralize("plain words"), Cow::Borrowed(_)));
    }

    #[test]
    fn echoes_are_quiet_and_short() {
        assert_eq!(echo("statz"), "statz");
        let long = echo(&format!("<!here>{}", "x".repeat(900_000)));
        assert!(
            long.chars().count() <= ECHO_CHARS && long.ends_with('…'),
            "{long}"
        );
        assert!(!long.contains("<!"));
    }

    #[test]
    fn tricky_tokens_stay_quiet() {
        for s in [
            "<!here",
            "<!<!here>>",
            "<!subteam^S1|<!here> x >",
            "<!date^1|<!here>",
            "<!date^1|x<!channel>",
            "&lt;!here&gt;",
        ] {
            let out = neutralize(s);
            assert!(!has_broadcast(&out), "{s:?} became {out:?}");
        }
    }

    /// True when Slack could read a broadcast in `s`.
    fn has_broadcast(s: &str) -> bool {
        let mut rest = s;
        while let Some(i) = rest.find("<!") {
            let after = &rest[i + 2..];
            let inner = &after[..after.find('>').unwrap_or(after.len())];
            if !is_date(inner) {
                return true;
            }
            rest = after;
        }
        let plain = s.to_lowercase();
        BROADCASTS.iter().any(|w| {
            plain.match_indices(&format!("@{w}")).any(|(i, _)| {
                let next = &plain[i + 1 + w.len()..];
                !next.starts_with(|c: char| c.is_alphanumeric() || c == '_' || c == '-')
            })
        })
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::super::*;
        use super::has_broadcast;
        use crate::fuzzing::{self, any_text, mention};

        fn hostile() -> impl Strategy<Value = String> {
            let piece = prop_oneof![
                Just("<!channel>".to_string()),
                Just("<!here>".to_string()),
                Just("<!everyone|everyone>".to_string()),
                Just("<!subteam^S0LEADS001|@leads>".to_string()),
                Just("<!date^1732600000^{date}|today>".to_string()),
                Just("@here".to_string()),
                Just("<!".to_string()),
                Just("<".to_string()),
                Just(">".to_string()),
                Just("|".to_string()),
                Just("@".to_string()),
                mention(),
                any_text(),
            ];
            proptest::collection::vec(piece, 0..8).prop_map(|p| p.concat())
        }

        proptest! {
            #![proptest_config(fuzzing::config())]

            /// Nothing Slack would read as a broadcast survives, mentions
            /// outside tokens survive, and a second pass changes nothing.
            #[test]
            fn fuzz_neutralize(text in hostile()) {
                let out = neutralize(&text);
                prop_assert!(!has_broadcast(&out), "{text:?} became {out:?}");
                let again = neutralize(&out).into_owned();
                prop_assert_eq!(again.as_str(), out.as_ref());
                if !text.contains("<!") {
                    for (i, _) in text.match_indices("<@") {
                        if let Some(end) = text[i..].find('>') {
                            let m = &text[i..=i + end];
                            if crate::domain::ids::parse_mention(m).is_some() {
                                prop_assert!(out.contains(m), "{m} lost from {out:?}");
                            }
                        }
                    }
                }
            }
        }
    }
}
