//! qtop: a terminal monitor for Genesys Cloud queues that explains every refusal.

pub mod app;
pub mod auth_tasks;
pub mod cli;
pub mod config;
pub mod console_sign_in;
// The simulated org comes with the default `demo` feature; without it these modules keep
// their shape and say in one line that this build has none.
#[cfg(feature = "demo")]
pub mod demo;
#[cfg(not(feature = "demo"))]
#[path = "demo_absent.rs"]
pub mod demo;
pub mod diagnose;
pub mod doctor;
pub mod event;
pub mod explain;
pub mod export;
pub mod keys;
pub mod logging;
pub mod monitor;
pub mod setup;
#[cfg(feature = "demo")]
pub mod sim_cmd;
#[cfg(not(feature = "demo"))]
#[path = "sim_cmd_absent.rs"]
pub mod sim_cmd;
pub mod stream;
pub mod supervise;
pub mod text;
pub mod tui;
pub mod ui;

/// What `--demo`, `qtop sim` and `qtop sim-fault` say in a build without the `demo` feature.
pub const NO_SIMULATOR: &str =
    "this build has no simulator: --demo, sim and sim-fault need qtop built with the default `demo` feature";
