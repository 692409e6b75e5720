//! `/checkin` text → a typed command.

use chrono::{Duration, NaiveDate};

use super::render;

pub use super::limits::{MAX_AWAY_CHARS, MAX_NOTE_CHARS};

/// `note` if it is within [`MAX_NOTE_CHARS`], else the refusal to show.
pub fn check_note(note: &str) -> Result<(), String> {
    let chars = note.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(render::note_too_long(chars));
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Check in for today, optionally with a note.
    CheckIn {
        note: Option<String>,
    },
    /// Managers: today's state of their pods.
    Status,
    /// Away (vacation, sick) through `until`, inclusive.
    Away {
        until: NaiveDate,
        reason: Option<String>,
    },
    Back,
    Help,
}

/// Parses the command text. `today` is the caller's local date, to resolve
/// `tomorrow` and to refuse dates already past. Errors are the message to show.
pub fn parse(text: &str, today: NaiveDate) -> Result<Command, String> {
    let text = text.trim();
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or_default().to_lowercase();
    let rest: Vec<&str> = words.collect();
    match (first.as_str(), rest.as_slice()) {
        ("", _) => Ok(Command::CheckIn { note: None }),
        ("status", []) => Ok(Command::Status),
        ("back", []) => Ok(Command::Back),
        ("help", []) => Ok(Command::Help),
        ("away", []) => Err(render::away_usage()),
        // "away until …" or "away 2026-12-04 …"; anything else ("away from my
        // desk after lunch") is an ordinary note.
        ("away", [next, ..]) if next.eq_ignore_ascii_case("until") || looks_like_date(next) => {
            parse_away(&rest, today)
        }
        _ => {
            check_note(text)?;
            Ok(Command::CheckIn {
                note: Some(text.to_string()),
            })
        }
    }
}

fn looks_like_date(word: &str) -> bool {
    word.eq_ignore_ascii_case("tomorrow") || word.starts_with(|c: char| c.is_ascii_digit())
}

fn parse_away(rest: &[&str], today: NaiveDate) -> Result<Command, String> {
    let rest = match rest.first() {
        Some(w) if w.eq_ignore_ascii_case("until") => &rest[1..],
        _ => rest,
    };
    let Some(raw) = rest.first() else {
        return Err(render::away_usage());
    };
    let until = if raw.eq_ignore_ascii_case("today") {
        today
    } else if raw.eq_ignore_ascii_case("tomorrow") {
        today + Duration::days(1)
    } else {
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| render::away_bad_date(raw))?
    };
    if until < today {
        return Err(render::away_date_passed(until));
    }
    let reason = rest[1..].join(" ");
    let chars = reason.chars().count();
    if chars > MAX_AWAY_CHARS {
        return Err(render::away_reason_too_long(chars));
    }
    Ok(Command::Away {
        until,
        reason: (!reason.is_empty()).then_some(reason),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid")
    }

    #[test]
    fn notes_and_subcommands() {
        assert_eq!(parse("", today()), Ok(Command::CheckIn { note: None }));
        assert_eq!(
            parse("  refunds queue, then training ", today()),
            Ok(Command::CheckIn {
                note: Some("refunds queue, then training".into())
            })
        );
        assert_eq!(parse("Status", today()), Ok(Command::Status));
        assert_eq!(parse("back", today()), Ok(Command::Back));
        assert_eq!(parse("help", today()), Ok(Command::Help));
        // A note that merely starts with a subcommand word stays a note.
        assert_eq!(
            parse("status page incident follow-up", today()),
            Ok(Command::CheckIn {
                note: Some("status page incident follow-up".into())
            })
        );
        assert_eq!(
            parse("away from my desk 12-13", today()),
            Ok(Command::CheckIn {
                note: Some("away from my desk 12-13".into())
            })
        );
    }

    #[test]
    fn away_until_a_date_with_a_reason() {
        let until = NaiveDate::from_ymd_opt(2026, 12, 4).expect("valid");
        assert_eq!(
            parse("away until 2026-12-04 vacation in Lisbon", today()),
            Ok(Command::Away {
                until,
                reason: Some("vacation in Lisbon".into())
            })
        );
        assert_eq!(
            parse("away 2026-12-04", today()),
            Ok(Command::Away {
                until,
                reason: None
            })
        );
        assert_eq!(
            parse("away until tomorrow sick", today()),
            Ok(Command::Away {
                until: NaiveDate::from_ymd_opt(2026, 11, 26).expect("valid"),
                reason: Some("sick".into())
            })
        );
    }

    #[test]
    fn notes_and_away_reasons_have_limits() {
        let note = "n".repeat(MAX_NOTE_CHARS);
        assert_eq!(
            parse(&note, today()),
            Ok(Command::CheckIn { note: Some(note) })
        );
        let err = parse(&"n".repeat(MAX_NOTE_CHARS + 1), today()).unwrap_err();
        assert!(err.contains("1001") && err.contains("1000"), "{err}");
        let away = format!("away until tomorrow {}", "r".repeat(MAX_AWAY_CHARS));
        assert!(matches!(parse(&away, today()), Ok(Command::Away { .. })));
        let err = parse(&format!("{away}r"), today()).unwrap_err();
        assert!(err.contains("201") && err.contains("200"), "{err}");
    }

    #[test]
    fn away_mistakes_say_what_to_type() {
        for text in [
            "away",
            "away until",
            "away until next week",
            "away until 2026-11-24",
        ] {
            let err = parse(text, today()).expect_err(text);
            assert!(err.contains("/checkin away until"), "{text}: {err}");
        }
    }
}

/// Property tests (`fuzz_*`; `scripts/fuzz.sh` runs a million cases each).
#[cfg(test)]
mod fuzz {
    use proptest::prelude::*;

    use super::*;
    use crate::fuzzing::{self, any_text, command_text, words};

    /// `today` comes from the clock: any day of the years needful can run in.
    /// The adversarial part is the text, whose dates span all chrono reads.
    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (1970i32..2200, 1u32..=366).prop_map(|(y, d)| {
            NaiveDate::from_yo_opt(y, d).unwrap_or_else(|| NaiveDate::from_yo_opt(y, 1).unwrap())
        })
    }

    fn check(text: &str, today: NaiveDate) -> Result<(), TestCaseError> {
        match parse(text, today) {
            Ok(Command::Away { until, reason }) => {
                prop_assert!(until >= today);
                if let Some(reason) = reason {
                    prop_assert!(!reason.is_empty());
                }
            }
            Ok(Command::CheckIn { note: Some(note) }) => {
                prop_assert_eq!(note.as_str(), text.trim());
                prop_assert!(!note.is_empty());
            }
            Ok(_) => {}
            Err(message) => prop_assert!(!message.trim().is_empty()),
        }
        Ok(())
    }

    use chrono::Datelike;

    proptest! {
        #![proptest_config(fuzzing::config())]

        #[test]
        fn fuzz_checkin_any_text(text in any_text(), today in any_day()) {
            check(&text, today)?;
        }

        #[test]
        fn fuzz_checkin_away(
            verb in proptest::sample::select(&["away", "AWAY", "away until", "Away UNTIL", "status", "back", "help"][..]),
            text in command_text(),
            today in any_day(),
        ) {
            check(&format!("{verb} {text}"), today)?;
        }

        /// `/checkin away until DATE reason` is away through that date.
        #[test]
        fn fuzz_checkin_round_trip(
            today in any_day(),
            ahead in 0i64..4000,
            until_word in proptest::sample::select(&["until ", "UNTIL ", ""][..]),
            reason in proptest::option::of(words()),
        ) {
            let Some(until) = today.checked_add_signed(Duration::days(ahead)) else {
                return Ok(());
            };
            // Only 4-digit years print the way `%Y-%m-%d` reads them back.
            prop_assume!((0..=9999).contains(&until.year()));
            let text = format!(
                "away {until_word}{}{}",
                until.format("%Y-%m-%d"),
                reason.as_ref().map(|r| format!(" {r}")).unwrap_or_default()
            );
            prop_assert_eq!(parse(&text, today), Ok(Command::Away { until, reason }), "{}", text);
        }
    }
}
