//! The transport: everything that knows Slack's wire formats.

pub mod body;
pub mod client;
pub mod decode;
pub mod http;
pub mod ids;
pub mod socket;
pub mod verify;
