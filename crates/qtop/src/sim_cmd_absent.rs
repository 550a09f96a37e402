//! `qtop sim` and `qtop sim-fault` in a build without the `demo` feature: one line that says so.

use std::process::ExitCode;

use crate::cli::{SimArgs, SimFaultArgs};

pub async fn run_sim(_args: SimArgs) -> Result<ExitCode, String> {
    Err(crate::NO_SIMULATOR.to_string())
}

pub async fn run_sim_fault(_args: SimFaultArgs) -> Result<ExitCode, String> {
    Err(crate::NO_SIMULATOR.to_string())
}
