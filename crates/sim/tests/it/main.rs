//! The sim crate's integration tests, one binary: a module per area, shared helpers in `common/`.

mod common;

mod auth_conformance;
mod conformance;
mod faults;
mod sdk_always_sent;
mod sdk_conformance;
mod sim_integration;
mod sim_scale;
