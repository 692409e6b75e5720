//! Slack's Block Kit limits, the builders every renderer uses to stay inside
//! them, and a checker that says which limit a payload breaks.
//!
//! Slack refuses a whole message or view when one field is over its limit
//! (`invalid_blocks`, `invalid_arguments`), so the builders shorten text
//! with an ellipsis rather than let one long field lose the message.

use serde_json::{Value, json};

mod check;

pub use check::{assert_within_limits, check_message_blocks, check_view};

/// Characters per text object in a section, context or input (mrkdwn or plain).
pub const TEXT_CHARS: usize = 3_000;
/// Characters per section field.
pub const FIELD_CHARS: usize = 2_000;
/// Characters of a header's text.
pub const HEADER_CHARS: usize = 150;
/// Characters of a button's text and of an option's text.
pub const BUTTON_TEXT_CHARS: usize = 75;
/// Characters of a button's value.
pub const BUTTON_VALUE_CHARS: usize = 2_000;
/// Characters of an option's value.
pub const OPTION_VALUE_CHARS: usize = 150;
/// Characters of an `action_id`, `block_id` or `callback_id`.
pub const ID_CHARS: usize = 255;
/// Characters of a placeholder.
pub const PLACEHOLDER_CHARS: usize = 150;
/// Characters of an input's label or hint.
pub const LABEL_CHARS: usize = 2_000;
/// The most a `plain_text_input` may allow (`max_length`).
pub const INPUT_CHARS: usize = 3_000;
/// Characters of a modal's title, submit and close labels.
pub const VIEW_TITLE_CHARS: usize = 24;
/// Characters of a view's `private_metadata`.
pub const METADATA_CHARS: usize = 3_000;
/// Elements in a context block.
pub const CONTEXT_ELEMENTS: usize = 10;
/// Elements in an actions block.
pub const ACTIONS_ELEMENTS: usize = 25;
/// Fields in a section.
pub const SECTION_FIELDS: usize = 10;
/// Options in a select.
pub const OPTIONS: usize = 100;
/// Blocks in a message.
pub const MESSAGE_BLOCKS: usize = 50;
/// Blocks in a modal or an App Home.
pub const VIEW_BLOCKS: usize = 100;
/// Characters of a message's top-level `text`.
pub const MESSAGE_TEXT_CHARS: usize = 40_000;

/// `text` cut to at most `max` characters, ending in "…" when cut. The cut
/// never splits a character, and never leaves half a `<…>` token (a mention
/// or link) for Slack to misread with whatever follows.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let Some(keep) = max.checked_sub(1) else {
        return String::new();
    };
    let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let mut cut = &text[..end];
    if let Some(open) = cut.rfind('<')
        && !cut[open..].contains('>')
    {
        cut = &cut[..open];
    }
    format!("{}…", cut.trim_end())
}

/// A section of mrkdwn, shortened to fit.
pub fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": nonempty(truncate(text, TEXT_CHARS))}})
}

/// A long list of lines as as many sections as it takes, each inside the
/// limit, split between lines (a single line too long is shortened).
pub fn sections(text: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut chunk = String::new();
    let mut len = 0;
    for line in text.lines() {
        let line = truncate(line, TEXT_CHARS);
        let n = line.chars().count();
        if !chunk.is_empty() && len + 1 + n > TEXT_CHARS {
            out.push(section(&chunk));
            chunk.clear();
            len = 0;
        }
        if !chunk.is_empty() {
            chunk.push('\n');
            len += 1;
        }
        chunk.push_str(&line);
        len += n;
    }
    if !chunk.is_empty() || out.is_empty() {
        out.push(section(&chunk));
    }
    out
}

/// A context line of mrkdwn, shortened to fit.
pub fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": nonempty(truncate(text, TEXT_CHARS))}]})
}

/// A header, shortened to fit.
pub fn header(text: &str) -> Value {
    json!({"type": "header", "text": {"type": "plain_text", "text": nonempty(truncate(text, HEADER_CHARS)), "emoji": true}})
}

/// Slack refuses empty text objects; a blank line keeps the block valid.
fn nonempty(text: String) -> String {
    if text.trim().is_empty() {
        " ".to_string()
    } else {
        text
    }
}

/// A message's top-level text, shortened to fit.
pub fn message_text(text: &str) -> String {
    truncate(text, MESSAGE_TEXT_CHARS)
}

/// Keeps at most `max` blocks: the tail gives way to a note saying where the
/// rest is, so a long list never costs the whole message or view.
pub fn fit(mut blocks: Vec<Value>, max: usize, rest: &str) -> Vec<Value> {
    if blocks.len() > max {
        blocks.truncate(max.saturating_sub(1));
        blocks.push(context(rest));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_characters_whole_and_says_so() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("ééééé", 3), "éé…");
        assert_eq!(truncate("abcdef", 4).chars().count(), 4);
        assert_eq!(truncate("x", 0), "");
        // Never half a mention that the next text could complete.
        assert_eq!(truncate("thanks <@U0BOB00001> a lot", 12), "thanks…");
        assert_eq!(truncate("a <@U0BOB00001> b", 16), "a <@U0BOB00001>…");
    }

    #[test]
    fn builders_stay_inside_the_limits() {
        let long = "x".repeat(10_000);
        let blocks = Value::Array(vec![
            section(&long),
            context(&long),
            header(&long),
            section(""),
        ]);
        assert_within_limits(&blocks);
        assert_eq!(
            message_text(&"y".repeat(50_000)).chars().count(),
            MESSAGE_TEXT_CHARS
        );
        let list: Vec<String> = (0..500)
            .map(|i| format!("• line {i} {}", "z".repeat(40)))
            .collect();
        let split = sections(&list.join("\n"));
        assert!(split.len() > 1);
        assert_within_limits(&Value::Array(split.clone()));
        let rejoined: Vec<String> = split
            .iter()
            .map(|s| s["text"]["text"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(rejoined.join("\n"), list.join("\n"), "no line lost");
        assert_within_limits(&Value::Array(sections(&long)));
        let many = fit(vec![section("a"); 120], VIEW_BLOCKS, "more in `/kudos`");
        assert_eq!(many.len(), VIEW_BLOCKS);
        assert_eq!(many[VIEW_BLOCKS - 1]["type"], "context");
    }
}
