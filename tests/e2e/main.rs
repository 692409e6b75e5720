//! End-to-end tests: one binary, one module per capability.

mod helpers;
mod roles;
mod spine;
mod staffing;
