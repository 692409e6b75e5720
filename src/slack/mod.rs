//! The transport: everything that knows Slack's wire formats.

pub mod access;
pub mod block_kit;
pub mod body;
pub mod client;
pub mod decode;
pub mod gate;
pub mod http;
pub mod ids;
pub mod installation;
pub mod mrkdwn;
pub mod origin;
mod render;
pub mod response_url;
pub mod socket;
pub mod verify;
