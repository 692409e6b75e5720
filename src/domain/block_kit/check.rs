//! The checker: which of Slack's Block Kit limits a JSON payload breaks.
//! The simulator refuses what it refuses, as Slack would, and renderers'
//! unit tests hold their output to it.

use serde_json::Value;

use super::{
    ACTIONS_ELEMENTS, BUTTON_TEXT_CHARS, BUTTON_VALUE_CHARS, CONTEXT_ELEMENTS, FIELD_CHARS,
    HEADER_CHARS, ID_CHARS, INPUT_CHARS, LABEL_CHARS, MESSAGE_BLOCKS, METADATA_CHARS,
    OPTION_VALUE_CHARS, OPTIONS, PLACEHOLDER_CHARS, SECTION_FIELDS, TEXT_CHARS, VIEW_BLOCKS,
    VIEW_TITLE_CHARS,
};

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
    use serde_json::json;

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
        let fine = json!({"type": "home", "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}, {"type": "divider"}]});
        assert_eq!(check_view(&fine), Ok(()));
    }
}
