//! The transport: everything that knows Slack's wire formats.

pub mod block_kit;
pub mod client;
pub mod decode;
pub mod http;
pub mod ids;
pub mod mrkdwn;
pub mod socket;
pub mod verify;
