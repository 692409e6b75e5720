//! needful: a Slack bot for customer-support teams.

// `unsafe` only in `sys`, beside the measurements that keep it.
#![deny(unsafe_code)]

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
#[cfg(feature = "simulator")]
pub mod demo;
pub mod domain;
pub mod error;
pub mod features;
#[cfg(test)]
pub(crate) mod fuzzing;
pub mod handlers;
pub mod manifest;
pub mod outbox;
pub mod registry;
pub mod scheduler;
pub mod server;
pub mod slack;
#[cfg(feature = "simulator")]
pub mod slack_sim;
pub mod state;
pub mod storage;
#[allow(unsafe_code)]
pub mod sys;
pub mod telemetry;

pub use app::Application;
pub use state::Mode;
