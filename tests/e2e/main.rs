//! End-to-end tests: one binary, one module per capability.

mod cli;
mod faults;
mod helpers;
mod spine;
mod trophy;
