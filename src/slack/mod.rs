//! The transport: everything that knows Slack's wire formats.

pub mod access;
pub mod answer;
#[cfg(test)]
mod blocks_check;
pub mod body;
pub mod client;
pub mod decode;
pub mod directory;
pub mod gate;
pub mod http;
pub mod inbound;
pub mod installation;
pub mod origin;
mod render;
pub mod response_url;
pub mod socket;
pub mod verify;
pub mod web_api;
