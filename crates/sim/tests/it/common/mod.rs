//! Shared helpers for the sim crate's integration tests.
#![allow(dead_code)]

pub mod shapes;
mod test_sim;
pub use test_sim::*;
