//! Slack's Block Kit limits, the builders every renderer uses to stay inside
//! them, and a checker that says which limit a payload breaks.
//!
//! Slack refuses a whole message or view when one field is over its limit
//! (`invalid_blocks`, `invalid_arguments`), so the builders shorten text
//! with an ellipsis rather than let one long field lose the message.

use serde_json::{Value, json};

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

// ---- the checker ----

/// What breaks Slack's limits in a message's `blocks`, if anything.
pub fn check_message_blocks(blocks: &Value) -> Result<(), String> {
    check_blocks(blocks, MESSAGE_BLOCKS)
}

/// What breaks Slack's limits in a view (modal or home), if anything.
pub fn check_view(view: &Value) -> Result<(), String> {
    for key in ["title", "submit", "close"] {
        if let Some(t) = view.get(key) {
            text_object(t, VIEW_TITLE_CHARS, key)?;
        }
    }
    max_chars(view, "private_metadata", METADATA_CHARS, "view")?;
    max_chars(view, "callback_id", ID_CHARS, "view")?;
    match view.get("blocks") {
        Some(blocks) => check_blocks(blocks, VIEW_BLOCKS),
        None => Err("view: no blocks".into()),
    }
}

/// Panics naming the broken limit: for renderers' unit tests. Takes a view
/// (an object with `type`) or a message's blocks (an array).
pub fn assert_within_limits(payload: &Value) {
    let checked = if payload.is_array() {
        check_message_blocks(payload)
    } else {
        check_view(payload)
    };
    if let Err(e) = checked {
        panic!("outside Slack's Block Kit limits: {e}");
    }
}

fn check_blocks(blocks: &Value, max: usize) -> Result<(), String> {
    let Some(blocks) = blocks.as_array() else {
        return Err("blocks: not an array".into());
    };
    if blocks.len() > max {
        return Err(format!("{} blocks, over {max}", blocks.len()));
    }
    for (i, block) in blocks.iter().enumerate() {
        check_block(block).map_err(|e| format!("blocks[{i}]: {e}"))?;
    }
    Ok(())
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn max_chars(v: &Value, key: &str, max: usize, at: &str) -> Result<(), String> {
    match v.get(key) {
        Some(s) if chars(s) > max => {
            Err(format!("{at}.{key}: {} characters, over {max}", chars(s)))
        }
        _ => Ok(()),
    }
}

fn text_object(t: &Value, max: usize, at: &str) -> Result<(), String> {
    match t.get("type").and_then(Value::as_str) {
        Some("plain_text" | "mrkdwn") => {}
        other => return Err(format!("{at}: text object of type {other:?}")),
    }
    let n = chars(&t["text"]);
    if n == 0 {
        return Err(format!("{at}: empty text"));
    }
    if n > max {
        return Err(format!("{at}: {n} characters, over {max}"));
    }
    Ok(())
}

fn count(v: &Value, key: &str, min: usize, max: usize) -> Result<(), String> {
    let n = v.get(key).and_then(Value::as_array).map_or(0, Vec::len);
    if n < min || n > max {
        return Err(format!("{n} {key}, allowed {min} to {max}"));
    }
    Ok(())
}

fn check_block(b: &Value) -> Result<(), String> {
    max_chars(b, "block_id", ID_CHARS, "block")?;
    match b.get("type").and_then(Value::as_str) {
        Some("section") => {
            match (b.get("text"), b.get("fields")) {
                (None, None) => return Err("section without text or fields".into()),
                (Some(t), _) => text_object(t, TEXT_CHARS, "text")?,
                _ => {}
            }
            if b.get("fields").is_some() {
                count(b, "fields", 1, SECTION_FIELDS)?;
                for f in b["fields"].as_array().into_iter().flatten() {
                    text_object(f, FIELD_CHARS, "fields")?;
                }
            }
            if let Some(a) = b.get("accessory") {
                check_element(a).map_err(|e| format!("accessory: {e}"))?;
            }
            Ok(())
        }
        Some("header") => text_object(&b["text"], HEADER_CHARS, "header"),
        Some("context") => {
            count(b, "elements", 1, CONTEXT_ELEMENTS)?;
            for e in b["elements"].as_array().into_iter().flatten() {
                if e.get("type").and_then(Value::as_str) != Some("image") {
                    text_object(e, TEXT_CHARS, "context")?;
                }
            }
            Ok(())
        }
        Some("actions") => {
            count(b, "elements", 1, ACTIONS_ELEMENTS)?;
            for e in b["elements"].as_array().into_iter().flatten() {
                check_element(e)?;
            }
            Ok(())
        }
        Some("input") => {
            text_object(&b["label"], LABEL_CHARS, "label")?;
            if let Some(h) = b.get("hint") {
                text_object(h, LABEL_CHARS, "hint")?;
            }
            check_element(&b["element"])
        }
        Some(_) => Ok(()),
        None => Err("block without a type".into()),
    }
}

fn check_element(e: &Value) -> Result<(), String> {
    max_chars(e, "action_id", ID_CHARS, "element")?;
    if let Some(p) = e.get("placeholder") {
        text_object(p, PLACEHOLDER_CHARS, "placeholder")?;
    }
    match e.get("type").and_then(Value::as_str) {
        Some("button") => {
            text_object(&e["text"], BUTTON_TEXT_CHARS, "button")?;
            max_chars(e, "value", BUTTON_VALUE_CHARS, "button")?;
            max_chars(e, "url", TEXT_CHARS, "button")
        }
        Some("plain_text_input") => {
            let limit = e.get("max_length").and_then(Value::as_u64);
            if limit.is_some_and(|m| m == 0 || m > INPUT_CHARS as u64) {
                return Err(format!("max_length {limit:?}, allowed 1 to {INPUT_CHARS}"));
            }
            let max = limit.map_or(INPUT_CHARS, |m| m as usize);
            max_chars(e, "initial_value", max, "plain_text_input")
        }
        Some("static_select" | "overflow" | "radio_buttons" | "checkboxes") => {
            count(e, "options", 1, OPTIONS)?;
            for o in e["options"].as_array().into_iter().flatten() {
                text_object(&o["text"], BUTTON_TEXT_CHARS, "option")?;
                max_chars(o, "value", OPTION_VALUE_CHARS, "option")?;
            }
            Ok(())
        }
        Some(_) => Ok(()),
        None => Err("element without a type".into()),
    }
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

    #[test]
    fn the_checker_names_the_broken_limit() {
        let long = "x".repeat(3_001);
        let bad = json!([{"type": "section", "text": {"type": "mrkdwn", "text": long}}]);
        let e = check_message_blocks(&bad).unwrap_err();
        assert!(e.contains("blocks[0]") && e.contains("over 3000"), "{e}");
        let empty = json!([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]);
        assert!(check_message_blocks(&empty).is_err());
        let header =
            json!([{"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}}]);
        assert!(check_message_blocks(&header).is_err());
        let button = json!([{"type": "actions", "elements": [{"type": "button",
            "text": {"type": "plain_text", "text": "ok"}, "action_id": "a", "value": "v".repeat(2_001)}]}]);
        assert!(check_message_blocks(&button).unwrap_err().contains("value"));
        let eleven = json!([{"type": "context", "elements": vec![json!({"type": "mrkdwn", "text": "a"}); 11]}]);
        assert!(check_message_blocks(&eleven).is_err());
        let fifty_one = Value::Array(vec![json!({"type": "divider"}); 51]);
        assert!(check_message_blocks(&fifty_one).is_err());
        let modal = json!({"type": "modal", "title": {"type": "plain_text", "text": "t".repeat(25)}, "blocks": []});
        assert!(check_view(&modal).unwrap_err().contains("title"));
        let input = json!({"type": "modal", "title": {"type": "plain_text", "text": "ok"}, "blocks": [{
            "type": "input", "label": {"type": "plain_text", "text": "Note"},
            "element": {"type": "plain_text_input", "action_id": "n", "max_length": 10, "initial_value": "x".repeat(11)}}]});
        assert!(check_view(&input).unwrap_err().contains("initial_value"));
        let fine = json!({"type": "home", "blocks": [section("hi"), {"type": "divider"}]});
        assert_eq!(check_view(&fine), Ok(()));
    }
}
