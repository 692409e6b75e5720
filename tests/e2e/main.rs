//! End-to-end tests: one binary, one module per capability.

mod checkin;
mod helpers;
mod spine;
