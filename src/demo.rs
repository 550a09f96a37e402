//! `--demo`: start the embedded simulated org and point an ordinary config at it. Nothing
//! past this point knows it is a demo: qtop reaches the sim by HTTP at a base URL.

use crate::cli::GlobalArgs;
use crate::config::{Env, FileConfig};
use crate::sim::admin::FaultScript;
use crate::sim::org::{Org, Persona};
use crate::sim::{self, SimExtras, SimHandle, SimOptions};

pub const DEFAULT_PERSONA: &str = "wallboard";

pub struct Demo {
    pub sim: SimHandle,
    pub persona: String,
}

/// Start the sim and rewrite file/flags/env so the normal path signs in as the persona.
pub async fn start(flags: &mut GlobalArgs, file: &mut FileConfig, env: &mut Env) -> Result<Demo, String> {
    let org = Org::demo();
    let persona = flags.persona.clone().unwrap_or_else(|| DEFAULT_PERSONA.to_string());
    let client = match org.persona(&persona) {
        Some(Persona::Client(c)) => org.clients[c].clone(),
        _ => {
            let names: Vec<String> = org.clients.iter().filter_map(|c| c.persona.clone()).collect();
            return Err(format!("--as {persona}: no such demo persona; use one of: {}", names.join(", ")));
        }
    };
    let timezone = org.timezone_name.clone();
    if let Some(speed) = flags.speed
        && !(speed > 0.0 && speed <= 3600.0)
    {
        return Err(format!("--speed {speed}: use a number above 0 and at most 3600"));
    }
    let fault_script = match &flags.fault_script {
        Some(path) => {
            let script = FaultScript::load(path)?;
            sim::check_script(&script, &org).map_err(|e| format!("--fault-script {}: {e}", path.display()))?;
            Some(script)
        }
        None => None,
    };
    let extras = SimExtras { rate_limit: None, faults: flags.sim_faults, fault_script };
    let opts = SimOptions { org, start: None, speed: flags.speed.unwrap_or(1.0), clock: None };
    let bind = std::net::SocketAddr::from(([127, 0, 0, 1], flags.sim_port.unwrap_or(0)));
    let sim = sim::start_with(opts, extras, bind)
        .await
        .map_err(|e| format!("cannot start the demo org on {bind}: {e}; pick another --sim-port"))?;
    flags.base_url = Some(sim.base_url());
    flags.login_url = None;
    flags.region = None;
    flags.client_id = Some(client.id.clone());
    flags.auth = Some("client_credentials".into());
    file.org.base_url = None;
    file.org.timezone = Some(timezone);
    file.auth = Default::default();
    env.client_secret = Some(client.secret.clone());
    Ok(Demo { sim, persona })
}
