//! Slack's Block Kit as needful sends it: the limits, a typed builder that
//! cannot make a block outside them, and a checker that says which limit a
//! JSON payload breaks.
//!
//! Slack refuses a whole message or view when one field is over its limit
//! (`invalid_blocks`, `invalid_arguments`), so the builder shortens text
//! with an ellipsis and caps lists rather than let one long field lose the
//! message. Features build blocks only through [`build`]'s types; the outbox
//! stores them as JSON (`to_value`), and the checker is what the simulator
//! and the renderers' unit tests hold that JSON to.

mod build;
mod check;

pub use build::{
    Actions, Block, Blocks, Button, Choice, Context, Element, Header, Home, Input, Modal, Picker,
    Section, Style, TextInput, View, context, fit, header, section, sections,
};
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

/// A message's top-level text, shortened to fit.
pub fn message_text(text: &str) -> String {
    truncate(text, MESSAGE_TEXT_CHARS)
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
        assert_eq!(
            message_text(&"y".repeat(50_000)).chars().count(),
            MESSAGE_TEXT_CHARS
        );
    }
}
