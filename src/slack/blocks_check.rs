//! Every block, element and view the typed builder in `domain::block_kit`
//! can make, read back as slack-morphism reads Block Kit (the types the
//! outbox and the handlers send with) and held to Slack's limits. A shape
//! Slack would not take fails here, in a unit test, instead of being
//! dropped or refused in production.

use serde::Serialize;
use serde_json::{Value, json};
use slack_morphism::prelude::{SlackBlock, SlackView};

use crate::domain::block_kit::{
    self, Actions, Block, Blocks, Button, Input, Modal, Section, Style, TextInput, View,
};

/// slack-morphism keeps a block it cannot read as `Unknown` instead of
/// failing, so a parse alone would let a malformed block through.
fn known(block: &SlackBlock) -> Result<(), String> {
    match block {
        SlackBlock::Unknown(v) => Err(format!("not a block slack-morphism can read: {v}")),
        _ => Ok(()),
    }
}

/// Nothing lost on the way: a field slack-morphism does not know (a typo,
/// a field on the wrong element) is dropped when read, so the JSON read
/// back differs from what was sent.
fn same(sent: &Value, parsed: &impl Serialize) -> Result<(), String> {
    let back = serde_json::to_value(parsed).map_err(|e| e.to_string())?;
    if &back == sent {
        Ok(())
    } else {
        Err(format!("sent {sent}\nread back as {back}"))
    }
}

fn parse_blocks(blocks: &Value) -> Result<(), String> {
    let parsed: Vec<SlackBlock> =
        serde_json::from_value(blocks.clone()).map_err(|e| e.to_string())?;
    for (i, block) in parsed.iter().enumerate() {
        known(block).map_err(|e| format!("blocks[{i}]: {e}"))?;
    }
    same(blocks, &parsed)
}

fn parse_view(view: &Value) -> Result<(), String> {
    let parsed: SlackView = serde_json::from_value(view.clone()).map_err(|e| e.to_string())?;
    let blocks = match &parsed {
        SlackView::Home(home) => &home.blocks,
        SlackView::Modal(modal) => &modal.blocks,
    };
    for (i, block) in blocks.iter().enumerate() {
        known(block).map_err(|e| format!("blocks[{i}]: {e}"))?;
    }
    same(view, &parsed)
}

/// A message's blocks: slack-morphism's types, then the limits.
fn check_blocks(blocks: &Blocks) {
    let json = blocks.to_value();
    if let Err(e) = parse_blocks(&json).and_then(|()| block_kit::check_message_blocks(&json)) {
        panic!("invalid message blocks: {e}");
    }
}

/// A view: slack-morphism's types, then the limits.
fn check_view(view: &View) {
    let json = view.to_value();
    if let Err(e) = parse_view(&json).and_then(|()| block_kit::check_view(&json)) {
        panic!("invalid view: {e}");
    }
}

/// Text as it comes: ordinary, empty, blank, hostile, far too long.
fn texts() -> Vec<String> {
    let hostile = "<!channel> <!here> <!subteam^S1|@t> <@U0BOB00001> <#C0SUPPORT1> <https://example.com|a link> *b* _i_ `c` \"q\" \\ ";
    vec![
        "Check in".to_string(),
        String::new(),
        " \n\t".to_string(),
        hostile.to_string(),
        hostile.repeat(500),
        "x".repeat(10_000),
        "é🏆".repeat(5_000),
        format!("{}<@U0BOB00001>", "y".repeat(2_990)),
    ]
}

fn buttons(t: &str) -> Vec<Button> {
    vec![
        Button::new(t, t),
        Button::new("go", t).value(t),
        Button::new(t, "Go").value("v").style(Style::Primary),
        Button::new("stop", t).style(Style::Danger),
    ]
}

fn inputs(t: &str) -> Vec<Input> {
    let limits = [None, Some(0), Some(1), Some(300), Some(usize::MAX)];
    limits
        .into_iter()
        .map(|max| {
            let mut element = TextInput::new(t).placeholder(t).initial_value(t);
            if let Some(max) = max {
                element = element.max_length(max).multiline();
            }
            Input::new(t, t, element)
        })
        .chain([Input::new("note", t, TextInput::new("note")).optional()])
        .collect()
}

/// Every kind of block, with every option, from text `t`.
fn blocks(t: &str) -> Vec<Block> {
    let mut out = vec![
        block_kit::section(t),
        block_kit::context(t),
        block_kit::header(t),
        Block::Divider,
    ];
    out.extend(block_kit::sections(t));
    for button in buttons(t) {
        out.push(Section::new(t).accessory(button.clone()).into());
        out.push(Actions::new(t, button).into());
    }
    let many = (0..30).fold(Section::new(t), |s, _| s.field(t));
    out.push(many.accessory(Button::new("a", t)).into());
    let row = (0..30).fold(Actions::new("row", Button::new("b0", t)), |a, i| {
        a.button(Button::new(&format!("b{i}"), t).value(t))
    });
    out.push(row.into());
    out.extend(inputs(t).into_iter().map(Block::from));
    out
}

fn kind(block: &Block) -> &'static str {
    // No wildcard: a new kind of block does not compile until it is named
    // here, and the test below fails until it is sampled.
    match block {
        Block::Section(_) => "section",
        Block::Context(_) => "context",
        Block::Header(_) => "header",
        Block::Divider => "divider",
        Block::Actions(_) => "actions",
        Block::Input(_) => "input",
    }
}

const KINDS: [&str; 6] = [
    "section", "context", "header", "divider", "actions", "input",
];

#[test]
fn every_block_the_builder_makes_is_valid_block_kit() {
    let mut seen: Vec<&str> = Vec::new();
    for t in texts() {
        let all = blocks(&t);
        seen.extend(all.iter().map(kind));
        for block in &all {
            check_blocks(&Blocks::new(vec![block.clone()]));
        }
        check_blocks(&Blocks::new(all.clone()));
        check_blocks(&Blocks::new(vec![block_kit::section(&t); 200]));
    }
    seen.sort_unstable();
    seen.dedup();
    let mut kinds = KINDS.to_vec();
    kinds.sort_unstable();
    assert_eq!(seen, kinds, "every kind of block is sampled");
}

#[test]
fn every_view_the_builder_makes_is_valid_block_kit() {
    for t in texts() {
        let all = blocks(&t);
        check_view(&View::home(all.clone()));
        check_view(&View::home(vec![Block::Divider; 300]));
        check_view(&View::home(vec![]));
        let modals = [
            Modal::new(&t, &t, all.clone()),
            Modal::new(&t, "cb", all.clone())
                .submit(&t)
                .close(&t)
                .private_metadata(&t),
            Modal::new("Title", &t, vec![Block::Divider; 300]).private_metadata("m"),
        ];
        for modal in modals {
            let view = View::from(modal);
            // No wildcard, as for blocks: a new kind of view must be checked.
            match &view {
                View::Home(_) | View::Modal(_) => check_view(&view),
            }
        }
    }
}

#[test]
fn the_check_catches_what_a_parse_alone_lets_through() {
    let text = json!({"type": "mrkdwn", "text": "a"});
    // slack-morphism reads a header without its text as an unknown block.
    assert!(parse_blocks(&json!([{"type": "header"}])).is_err());
    // A button's text must be plain text.
    let button = json!([{"type": "actions", "elements": [{"type": "button", "text": text}]}]);
    assert!(parse_blocks(&button).is_err());
    // A misspelled field is dropped without a word.
    let typo = json!([{"type": "section", "text": text, "acessory": {"type": "button",
        "text": {"type": "plain_text", "text": "b"}}}]);
    assert!(parse_blocks(&typo).unwrap_err().contains("read back"));
    let modal = json!({"type": "modal", "title": {"type": "plain_text", "text": "t"},
        "blocks": [], "callback": "c"});
    assert!(parse_view(&modal).is_err());
    // And what is right passes.
    let fine = json!([{"type": "section", "text": text}, {"type": "divider"}]);
    assert_eq!(parse_blocks(&fine), Ok(()));
}
