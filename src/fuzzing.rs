//! Shared pieces of the property tests (the `fuzz_*` tests beside each parser and
//! decoder): the case count and generators of text that looks like what Slack sends.
//!
//! `cargo test` runs [`DEFAULT_CASES`] cases per property; `scripts/fuzz.sh` sets
//! `PROPTEST_CASES=1000000` and runs the same properties in release mode.

use proptest::prelude::*;

/// Cases per property when `PROPTEST_CASES` is not set: keeps `cargo test` fast.
pub const DEFAULT_CASES: u32 = 2_000;

/// The config every `fuzz_*` property runs with.
pub fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // Shrinking a million-case find can take long; a few thousand steps is plenty.
        max_shrink_iters: 4_096,
        ..ProptestConfig::default()
    }
}

/// A user id as Slack writes it (`U…`, or `W…` on Enterprise Grid).
pub fn user_id() -> impl Strategy<Value = String> {
    "[UW][A-Z0-9]{1,12}"
}

/// A user mention in either escaped form: `<@U…>` or `<@U…|name>`.
pub fn mention_of(id: String) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(format!("<@{id}>")),
        "[a-z][a-z0-9._-]{0,10}".prop_map(move |name| format!("<@{id}|{name}>")),
    ]
}

pub fn mention() -> impl Strategy<Value = String> {
    user_id().prop_flat_map(mention_of)
}

/// Words every parser gives meaning to, so generated text hits the real branches.
const KEYWORDS: &[&str] = &[
    "help",
    "?",
    "-h",
    "--help",
    "stats",
    "me",
    "leaderboard",
    "top",
    "private",
    "quiet",
    "public",
    "status",
    "who",
    "history",
    "chain",
    "pass",
    "give",
    "reassign",
    "back",
    "away",
    "until",
    "today",
    "tomorrow",
    "on",
    "off",
    "swap",
    "set",
    "--pod",
    "--until",
    "and",
    "AND",
    ",",
    "&",
    "+",
    ":",
    "-",
    "—",
    "–",
    "Status",
    "PASS",
    "ON",
    "Away",
    "UNTIL",
];

/// One token of command text: mentions, Slack's other escapes, dates, times,
/// keywords, unicode, control characters, and the broken halves of escapes.
pub fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => mention(),
        3 => proptest::sample::select(KEYWORDS).prop_map(str::to_string),
        1 => "[CGD][A-Z0-9]{1,10}".prop_map(|c| format!("<#{c}|support>")),
        1 => "[CGD][A-Z0-9]{1,10}".prop_map(|c| format!("<#{c}>")),
        1 => "S[A-Z0-9]{1,10}".prop_map(|s| format!("<!subteam^{s}|@support-leads>")),
        1 => prop_oneof![Just("<!here>".to_string()), Just("<!channel>".to_string()), Just("<!everyone>".to_string())],
        1 => "[a-z]{1,8}".prop_map(|h| format!("<https://{h}.example.com/x?a=1&amp;b=2|{h}>")),
        1 => Just("<mailto:bob@example.com|bob@example.com>".to_string()),
        2 => (1900i32..2200, 0u32..14, 0u32..33).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}")),
        1 => "[+-]?[0-9]{1,7}-[0-9]{1,3}-[0-9]{1,3}",
        1 => prop_oneof![Just("+262142-12-31".to_string()), Just("-262143-01-01".to_string()), Just("262143-12-31".to_string()), Just("9999-12-31".to_string()), Just("0000-01-01".to_string())],
        2 => (0u32..30, 0u32..70).prop_map(|(h, m)| format!("{h}:{m:02}")),
        1 => "[0-9]{1,12}",
        1 => "-?[0-9]{1,25}",
        2 => "[a-zA-Z]{1,10}",
        1 => "@[a-z]{1,8},?",
        1 => "\\PC{1,8}",
        1 => "[\\x00-\\x1f\\x7f\u{85}\u{a0}\u{200b}\u{200e}\u{2028}\u{2029}\u{3000}\u{feff}]{1,3}",
        1 => prop_oneof![
            Just("<@".to_string()), Just("<@U".to_string()), Just("<".to_string()),
            Just(">".to_string()), Just("|".to_string()), Just("<@>".to_string()),
            Just("<@|>".to_string()), Just("<@u0bob|x>".to_string()), Just("<@U0BOB".to_string()),
        ],
        1 => user_id().prop_map(|id| format!("&lt;@{id}&gt;")),
        1 => Just(":trophy:".to_string()),
        1 => (1usize..3000).prop_map(|n| "é".repeat(n)),
        1 => (400usize..700).prop_map(|n| "x".repeat(n)),
    ]
}

/// What people and Slack put between tokens, including nothing at all.
pub fn separator() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(
        &[
            " ", " ", " ", "  ", "\t", "\n", ", ", ",", "", ": ", " - ", "\u{a0}", "\u{3000}",
        ][..],
    )
}

/// Text that looks like a real slash command's text.
pub fn command_text() -> impl Strategy<Value = String> {
    (
        separator(),
        proptest::collection::vec((token(), separator()), 0..10),
    )
        .prop_map(|(lead, parts)| {
            let mut text = lead.to_string();
            for (token, sep) in parts {
                text.push_str(&token);
                text.push_str(sep);
            }
            text
        })
}

/// Any text: arbitrary strings (every char), printable unicode, and command-like text.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        1 => "\\PC{0,64}",
        4 => command_text(),
    ]
}

/// Plain words for the free-text part of a command (reasons, notes).
pub fn words() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-zA-Z][a-zA-Z0-9']{0,9}", 1..8).prop_map(|w| w.join(" "))
}
