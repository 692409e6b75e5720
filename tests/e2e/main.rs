//! End-to-end tests: one binary, one module per capability.

mod helpers;
mod kudos;
mod spine;
