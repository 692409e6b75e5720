//! The typed builder: the blocks, elements and views needful sends, and
//! nothing else. Fields are private and every constructor shortens text and
//! caps lists to Slack's limits, so whatever a feature builds, Slack takes.
//! Serialising gives exactly Slack's JSON. There is no `Deserialize`: JSON
//! read back would skip the constructors, and the outbox keeps JSON anyway.

use serde::Serialize;
use serde_json::Value;

use super::{
    ACTIONS_ELEMENTS, BUTTON_TEXT_CHARS, BUTTON_VALUE_CHARS, FIELD_CHARS, HEADER_CHARS, ID_CHARS,
    INPUT_CHARS, LABEL_CHARS, MESSAGE_BLOCKS, METADATA_CHARS, OPTION_VALUE_CHARS, OPTIONS,
    PLACEHOLDER_CHARS, SECTION_FIELDS, TEXT_CHARS, VIEW_BLOCKS, VIEW_TITLE_CHARS, truncate,
};

/// What stands in for blocks cut by a constructor's cap. Renderers with
/// long lists call [`fit`] first with a note saying where the rest is.
const MORE: &str = "There is more than fits here.";

/// Slack refuses empty text objects; a blank keeps the block valid.
fn nonempty(text: String) -> String {
    if text.trim().is_empty() {
        " ".to_string()
    } else {
        text
    }
}

/// An optional string (an id, a value, metadata): left out when empty,
/// which Slack may refuse, and shortened to `max`.
fn optional(text: &str, max: usize) -> Option<String> {
    (!text.is_empty()).then(|| truncate(text, max))
}

fn json(value: &impl Serialize) -> Value {
    // These types hold only strings, numbers, booleans, lists and structs,
    // which serde_json always represents.
    serde_json::to_value(value).expect("Block Kit types serialise to JSON")
}

/// A `mrkdwn` text object.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "mrkdwn")]
struct Mrkdwn {
    text: String,
}

impl Mrkdwn {
    fn new(text: &str, max: usize) -> Self {
        Self {
            text: nonempty(truncate(text, max)),
        }
    }
}

/// A `plain_text` text object, showing `:shortcodes:` as emoji.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "plain_text")]
struct Plain {
    text: String,
    emoji: bool,
}

impl Plain {
    fn new(text: &str, max: usize) -> Self {
        Self {
            text: nonempty(truncate(text, max)),
            emoji: true,
        }
    }
}

/// One block of a message or view.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Section(Section),
    Context(Context),
    Header(Header),
    Divider,
    Actions(Actions),
    Input(Input),
}

/// A section: mrkdwn text, up to ten fields under it and a button beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    text: Mrkdwn,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Mrkdwn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    accessory: Option<Button>,
}

impl Section {
    pub fn new(text: &str) -> Self {
        Self {
            text: Mrkdwn::new(text, TEXT_CHARS),
            fields: Vec::new(),
            accessory: None,
        }
    }

    /// Adds a field; past Slack's ten, fields are left out.
    pub fn field(mut self, text: &str) -> Self {
        if self.fields.len() < SECTION_FIELDS {
            self.fields.push(Mrkdwn::new(text, FIELD_CHARS));
        }
        self
    }

    pub fn accessory(mut self, button: Button) -> Self {
        self.accessory = Some(button);
        self
    }
}

impl From<Section> for Block {
    fn from(section: Section) -> Self {
        Block::Section(section)
    }
}

/// A line of small mrkdwn, built with [`context`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Context {
    elements: Vec<Mrkdwn>,
}

/// A header, built with [`header`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Header {
    text: Plain,
}

/// A row of buttons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Actions {
    #[serde(skip_serializing_if = "Option::is_none")]
    block_id: Option<String>,
    elements: Vec<Button>,
}

impl Actions {
    /// Starts with one button: Slack refuses an actions block without any.
    pub fn new(block_id: &str, button: Button) -> Self {
        Self {
            block_id: optional(block_id, ID_CHARS),
            elements: vec![button],
        }
    }

    /// Adds a button; past Slack's 25, buttons are left out.
    pub fn button(mut self, button: Button) -> Self {
        if self.elements.len() < ACTIONS_ELEMENTS {
            self.elements.push(button);
        }
        self
    }
}

impl From<Actions> for Block {
    fn from(actions: Actions) -> Self {
        Block::Actions(actions)
    }
}

/// A labelled text input, for modals. Its `block_id` and the element's
/// `action_id` are where the submission's value is found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Input {
    #[serde(skip_serializing_if = "Option::is_none")]
    block_id: Option<String>,
    label: Plain,
    element: Element,
    #[serde(skip_serializing_if = "Option::is_none")]
    hint: Option<Plain>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    optional: bool,
}

impl Input {
    pub fn new(block_id: &str, label: &str, element: impl Into<Element>) -> Self {
        Self {
            block_id: optional(block_id, ID_CHARS),
            label: Plain::new(label, LABEL_CHARS),
            element: element.into(),
            hint: None,
            optional: false,
        }
    }

    /// The modal can be submitted with the input left empty.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// A line of help under the input.
    pub fn hint(mut self, text: &str) -> Self {
        self.hint = Some(Plain::new(text, LABEL_CHARS));
        self
    }
}

/// What an input holds: typed text or a picker.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Element {
    Text(TextInput),
    Pick(Box<Picker>),
}

impl From<TextInput> for Element {
    fn from(input: TextInput) -> Self {
        Element::Text(input)
    }
}

impl From<Picker> for Element {
    fn from(picker: Picker) -> Self {
        Element::Pick(Box::new(picker))
    }
}

/// One choice of a static select or of checkboxes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    text: Plain,
    value: String,
}

impl Choice {
    pub fn new(value: &str, text: &str) -> Self {
        Self {
            text: Plain::new(text, BUTTON_TEXT_CHARS),
            value: truncate(value, OPTION_VALUE_CHARS),
        }
    }
}

/// One of Slack's pickers: people, channels, a list, checkboxes, a time or
/// a date. Each constructor sets the fields its kind takes; the submission
/// carries the picks (see [`crate::domain::input::FormSubmission`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Picker {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<Plain>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    initial_users: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_conversation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    initial_conversations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<Vec<Choice>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_option: Option<Choice>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    initial_options: Vec<Choice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    filter: Option<Value>,
}

impl Picker {
    fn of(kind: &'static str, action_id: &str) -> Self {
        Self {
            kind,
            action_id: optional(action_id, ID_CHARS),
            placeholder: None,
            initial_users: Vec::new(),
            initial_conversation: None,
            initial_conversations: Vec::new(),
            initial_time: None,
            initial_date: None,
            options: None,
            initial_option: None,
            initial_options: Vec::new(),
            filter: None,
        }
    }

    /// Several people, starting with `initial`.
    pub fn people(action_id: &str, initial: &[String]) -> Self {
        Self {
            initial_users: initial.to_vec(),
            ..Self::of("multi_users_select", action_id)
        }
    }

    /// One public channel.
    pub fn channel(action_id: &str, initial: Option<&str>) -> Self {
        Self {
            initial_conversation: initial.map(str::to_string),
            filter: Some(public_channels()),
            ..Self::of("conversations_select", action_id)
        }
    }

    /// Several public channels.
    pub fn channels(action_id: &str, initial: &[String]) -> Self {
        Self {
            initial_conversations: initial.to_vec(),
            filter: Some(public_channels()),
            ..Self::of("multi_conversations_select", action_id)
        }
    }

    /// One of `choices` (Slack shows at most 100).
    pub fn select(action_id: &str, choices: Vec<Choice>, initial: Option<&str>) -> Self {
        let choices: Vec<Choice> = choices.into_iter().take(OPTIONS).collect();
        Self {
            initial_option: choices
                .iter()
                .find(|c| Some(c.value.as_str()) == initial)
                .cloned(),
            options: Some(choices),
            ..Self::of("static_select", action_id)
        }
    }

    /// Checkboxes, those whose value is in `checked` ticked.
    pub fn checkboxes(action_id: &str, choices: Vec<Choice>, checked: &[String]) -> Self {
        let choices: Vec<Choice> = choices.into_iter().take(OPTIONS).collect();
        Self {
            initial_options: choices
                .iter()
                .filter(|c| checked.contains(&c.value))
                .cloned()
                .collect(),
            options: Some(choices),
            ..Self::of("checkboxes", action_id)
        }
    }

    /// A time of day, `HH:MM`.
    pub fn time(action_id: &str, initial: &str) -> Self {
        Self {
            initial_time: optional(initial, 5),
            ..Self::of("timepicker", action_id)
        }
    }

    /// A date, `YYYY-MM-DD`.
    pub fn date(action_id: &str, initial: Option<&str>) -> Self {
        Self {
            initial_date: initial.map(str::to_string),
            ..Self::of("datepicker", action_id)
        }
    }

    pub fn placeholder(mut self, text: &str) -> Self {
        self.placeholder = Some(Plain::new(text, PLACEHOLDER_CHARS));
        self
    }
}

/// Conversation pickers offer public channels only: needful reads public
/// channels' membership (`channels:read`) and nothing private.
fn public_channels() -> Value {
    serde_json::json!({"include": ["public"], "exclude_bot_users": true})
}

impl From<Input> for Block {
    fn from(input: Input) -> Self {
        Block::Input(input)
    }
}

/// How a button stands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    Primary,
    Danger,
}

/// A button: its press comes back as a block action with `action_id` and `value`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "button")]
pub struct Button {
    #[serde(skip_serializing_if = "Option::is_none")]
    action_id: Option<String>,
    text: Plain,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    style: Option<Style>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirm: Option<Confirm>,
}

/// The "are you sure?" dialog Slack shows before a button acts.
#[derive(Debug, Clone, PartialEq, Serialize)]
struct Confirm {
    title: Plain,
    text: Plain,
    confirm: Plain,
    deny: Plain,
    style: Style,
}

impl Button {
    pub fn new(action_id: &str, text: &str) -> Self {
        Self {
            action_id: optional(action_id, ID_CHARS),
            text: Plain::new(text, BUTTON_TEXT_CHARS),
            value: None,
            style: None,
            confirm: None,
        }
    }

    /// Asks "are you sure?" first (`question`), with a red `yes` button.
    pub fn confirm(mut self, title: &str, question: &str, yes: &str) -> Self {
        self.confirm = Some(Confirm {
            title: Plain::new(title, 100),
            text: Plain::new(question, 300),
            confirm: Plain::new(yes, 30),
            deny: Plain::new("Cancel", 30),
            style: Style::Danger,
        });
        self
    }

    pub fn value(mut self, value: &str) -> Self {
        self.value = optional(value, BUTTON_VALUE_CHARS);
        self
    }

    pub fn style(mut self, style: Style) -> Self {
        self.style = Some(style);
        self
    }
}

/// A `plain_text_input` element.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename = "plain_text_input")]
pub struct TextInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    action_id: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    multiline: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    placeholder: Option<Plain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_value: Option<String>,
}

impl TextInput {
    pub fn new(action_id: &str) -> Self {
        Self {
            action_id: optional(action_id, ID_CHARS),
            multiline: false,
            max_length: None,
            placeholder: None,
            initial_value: None,
        }
    }

    pub fn multiline(mut self) -> Self {
        self.multiline = true;
        self
    }

    /// At most `max` characters, within Slack's 1 to 3,000. An initial
    /// value longer than that is shortened: Slack would refuse the view.
    pub fn max_length(mut self, max: usize) -> Self {
        let max = max.clamp(1, INPUT_CHARS);
        self.max_length = Some(max);
        self.initial_value = self.initial_value.map(|v| truncate(&v, max));
        self
    }

    pub fn placeholder(mut self, text: &str) -> Self {
        self.placeholder = Some(Plain::new(text, PLACEHOLDER_CHARS));
        self
    }

    /// What the input starts with, shortened to its `max_length`.
    pub fn initial_value(mut self, text: &str) -> Self {
        self.initial_value = optional(text, self.max_length.unwrap_or(INPUT_CHARS));
        self
    }
}

/// A message's blocks: at most Slack's 50, the tail giving way to a note.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Blocks(Vec<Block>);

impl Blocks {
    pub fn new(blocks: Vec<Block>) -> Self {
        Self(fit(blocks, MESSAGE_BLOCKS, MORE))
    }

    /// The JSON Slack takes (and the outbox stores).
    pub fn to_value(&self) -> Value {
        json(self)
    }
}

/// A view: someone's App Home or a modal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum View {
    Home(Home),
    Modal(Modal),
}

impl View {
    /// An App Home of at most Slack's 100 blocks, the tail giving way to a note.
    pub fn home(blocks: Vec<Block>) -> Self {
        View::Home(Home {
            blocks: fit(blocks, VIEW_BLOCKS, MORE),
        })
    }

    /// The JSON Slack takes (and the outbox stores).
    pub fn to_value(&self) -> Value {
        json(self)
    }
}

/// An App Home, built with [`View::home`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Home {
    blocks: Vec<Block>,
}

/// A modal. Its submission comes back with `callback_id` and `private_metadata`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Modal {
    title: Plain,
    #[serde(skip_serializing_if = "Option::is_none")]
    submit: Option<Plain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    close: Option<Plain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    callback_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    private_metadata: Option<String>,
    blocks: Vec<Block>,
}

impl Modal {
    /// At most Slack's 100 blocks, the tail giving way to a note.
    pub fn new(title: &str, callback_id: &str, blocks: Vec<Block>) -> Self {
        Self {
            title: Plain::new(title, VIEW_TITLE_CHARS),
            submit: None,
            close: None,
            callback_id: optional(callback_id, ID_CHARS),
            private_metadata: None,
            blocks: fit(blocks, VIEW_BLOCKS, MORE),
        }
    }

    pub fn submit(mut self, label: &str) -> Self {
        self.submit = Some(Plain::new(label, VIEW_TITLE_CHARS));
        self
    }

    pub fn close(mut self, label: &str) -> Self {
        self.close = Some(Plain::new(label, VIEW_TITLE_CHARS));
        self
    }

    pub fn private_metadata(mut self, metadata: &str) -> Self {
        self.private_metadata = optional(metadata, METADATA_CHARS);
        self
    }
}

impl From<Modal> for View {
    fn from(modal: Modal) -> Self {
        View::Modal(modal)
    }
}

/// A section of mrkdwn, shortened to fit.
pub fn section(text: &str) -> Block {
    Section::new(text).into()
}

/// A long list of lines as as many sections as it takes, each inside the
/// limit, split between lines (a single line too long is shortened).
pub fn sections(text: &str) -> Vec<Block> {
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
pub fn context(text: &str) -> Block {
    Block::Context(Context {
        elements: vec![Mrkdwn::new(text, TEXT_CHARS)],
    })
}

/// A header, shortened to fit.
pub fn header(text: &str) -> Block {
    Block::Header(Header {
        text: Plain::new(text, HEADER_CHARS),
    })
}

/// Keeps at most `max` blocks: the tail gives way to a note saying where the
/// rest is, so a long list never costs the whole message or view.
pub fn fit(mut blocks: Vec<Block>, max: usize, rest: &str) -> Vec<Block> {
    if blocks.len() > max {
        blocks.truncate(max.saturating_sub(1));
        blocks.push(context(rest));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::super::assert_within_limits;
    use super::*;
    use serde_json::json;

    fn one(block: Block) -> Value {
        Blocks::new(vec![block]).to_value()[0].clone()
    }

    #[test]
    fn blocks_serialise_to_slacks_json() {
        assert_eq!(
            one(section("hi")),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "hi"}})
        );
        assert_eq!(
            one(context("small")),
            json!({"type": "context", "elements": [{"type": "mrkdwn", "text": "small"}]})
        );
        assert_eq!(
            one(header("Kudos")),
            json!({"type": "header", "text": {"type": "plain_text", "text": "Kudos", "emoji": true}})
        );
        assert_eq!(one(Block::Divider), json!({"type": "divider"}));
        let button = Button::new("go", "Go").value("v").style(Style::Primary);
        let button_json = json!({"type": "button", "action_id": "go", "value": "v", "style": "primary",
            "text": {"type": "plain_text", "text": "Go", "emoji": true}});
        assert_eq!(
            one(Section::new("a")
                .field("f")
                .accessory(button.clone())
                .into()),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": "a"},
                "fields": [{"type": "mrkdwn", "text": "f"}], "accessory": button_json})
        );
        assert_eq!(
            one(Actions::new("row", button).into()),
            json!({"type": "actions", "block_id": "row", "elements": [button_json]})
        );
        let input = TextInput::new("note")
            .multiline()
            .max_length(10)
            .placeholder("Say")
            .initial_value("hello");
        assert_eq!(
            one(Input::new("note", "Note", input).optional().into()),
            json!({"type": "input", "block_id": "note", "optional": true,
                "label": {"type": "plain_text", "text": "Note", "emoji": true},
                "element": {"type": "plain_text_input", "action_id": "note", "multiline": true,
                    "max_length": 10, "initial_value": "hello",
                    "placeholder": {"type": "plain_text", "text": "Say", "emoji": true}}})
        );
    }

    #[test]
    fn views_serialise_to_slacks_json() {
        assert_eq!(
            View::home(vec![Block::Divider]).to_value(),
            json!({"type": "home", "blocks": [{"type": "divider"}]})
        );
        let modal = Modal::new("Title", "cb", vec![Block::Divider])
            .submit("Go")
            .close("Stop")
            .private_metadata("m");
        let plain = |t: &str| json!({"type": "plain_text", "text": t, "emoji": true});
        assert_eq!(
            View::from(modal).to_value(),
            json!({"type": "modal", "title": plain("Title"), "submit": plain("Go"),
                "close": plain("Stop"), "callback_id": "cb", "private_metadata": "m",
                "blocks": [{"type": "divider"}]})
        );
    }

    #[test]
    fn constructors_keep_everything_inside_the_limits() {
        let long = "x".repeat(10_000);
        let button = || Button::new(&long, &long).value(&long).style(Style::Danger);
        let mut section = Section::new(&long).accessory(button());
        let mut actions = Actions::new(&long, button());
        for _ in 0..40 {
            section = section.field(&long);
            actions = actions.button(button());
        }
        let input = TextInput::new(&long)
            .initial_value(&long)
            .max_length(usize::MAX)
            .placeholder(&long);
        let blocks = vec![
            section.into(),
            actions.into(),
            context(&long),
            header(&long),
            Input::new(&long, &long, input).into(),
        ];
        assert_within_limits(&Blocks::new(blocks.clone()).to_value());
        assert_within_limits(&View::home(blocks.clone()).to_value());
        let modal = Modal::new(&long, &long, blocks)
            .submit(&long)
            .close(&long)
            .private_metadata(&long);
        assert_within_limits(&View::from(modal).to_value());
        // A value set before a shorter limit is shortened to it.
        let late = TextInput::new("n").initial_value(&long).max_length(5);
        let input = View::from(Modal::new(
            "t",
            "c",
            vec![Input::new("n", "l", late).into()],
        ));
        assert_eq!(
            input.to_value()["blocks"][0]["element"]["initial_value"],
            "xxxx…"
        );
        assert_within_limits(&input.to_value());
    }

    #[test]
    fn empty_text_stays_valid_and_empty_ids_are_left_out() {
        let b = Button::new("", "").value("");
        let input = TextInput::new("").initial_value("").max_length(0);
        let modal = Modal::new("", "", vec![section(""), context(" "), header("")])
            .private_metadata("")
            .submit("");
        let blocks = vec![Actions::new("", b).into(), Input::new("", "", input).into()];
        let json = Blocks::new(blocks).to_value();
        assert_within_limits(&json);
        assert_eq!(
            json[0],
            json!({"type": "actions", "elements": [{"type": "button",
                "text": {"type": "plain_text", "text": " ", "emoji": true}}]})
        );
        assert_eq!(json[1]["element"]["max_length"], 1);
        let view = View::from(modal).to_value();
        assert_within_limits(&view);
        assert!(view.get("private_metadata").is_none() && view.get("callback_id").is_none());
    }

    #[test]
    fn long_lists_are_split_and_capped() {
        let list: Vec<String> = (0..500)
            .map(|i| format!("• line {i} {}", "z".repeat(40)))
            .collect();
        let split = sections(&list.join("\n"));
        assert!(split.len() > 1);
        let json = Blocks::new(split).to_value();
        assert_within_limits(&json);
        let rejoined: Vec<&str> = json
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["text"]["text"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(rejoined.join("\n"), list.join("\n"), "no line lost");
        assert_within_limits(&Blocks::new(sections(&"x".repeat(10_000))).to_value());
        let many = fit(vec![section("a"); 120], VIEW_BLOCKS, "more in `/kudos`");
        assert_eq!(many.len(), VIEW_BLOCKS);
        assert_eq!(many[VIEW_BLOCKS - 1], context("more in `/kudos`"));
        let message = Blocks::new(vec![Block::Divider; 80]).to_value();
        assert_eq!(message.as_array().map(Vec::len), Some(MESSAGE_BLOCKS));
        let home = View::home(vec![Block::Divider; 150]).to_value();
        assert_eq!(home["blocks"].as_array().map(Vec::len), Some(VIEW_BLOCKS));
        let modal = View::from(Modal::new("t", "c", vec![Block::Divider; 150])).to_value();
        assert_eq!(modal["blocks"].as_array().map(Vec::len), Some(VIEW_BLOCKS));
    }
}
