//! `qtop sim` and `qtop sim-fault`: the simulated org served on its own, and its faults
//! switched from another terminal. The engine is the sim crate's; this is the command line.

use std::process::ExitCode;

use sim::org::Org;
use sim::{SimExtras, SimOptions};

use crate::cli::{SimArgs, SimFaultArgs};

pub async fn run_sim_fault(args: SimFaultArgs) -> Result<ExitCode, String> {
    let cmd = sim::fault_cli::parse(&args.words)?;
    let out = sim::fault_cli::run(args.port, cmd).await?;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

pub async fn run_sim(args: SimArgs) -> Result<ExitCode, String> {
    let org = match &args.org {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("--org {}: {e}", path.display()))?;
            Org::from_toml(&text).map_err(|e| format!("--org {}: {e}", path.display()))?
        }
        None => Org::demo(),
    };
    if args.personas {
        for (name, what) in org.personas() {
            println!("{name:<18} {what}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (h, m) = args
        .start
        .split_once(':')
        .and_then(|(h, m)| Some((h.parse::<i8>().ok()?, m.parse::<i8>().ok()?)))
        .filter(|(h, m)| (0..24).contains(h) && (0..60).contains(m))
        .ok_or_else(|| format!("--start {}: use HH:MM, e.g. 09:00", args.start))?;
    if args.rate_limit == Some(0) {
        return Err("--rate-limit 0: use at least 1 request per minute".into());
    }
    let fault_script = sim::load_fault_script(args.fault_script.as_deref(), &org)?;
    if args.channel_lifetime.is_some_and(|d| d < std::time::Duration::from_secs(5)) {
        return Err("--channel-lifetime: use at least 5s, e.g. 2m".into());
    }
    let notifications =
        args.channel_lifetime.map(|lifetime| sim::notifications::Timing { lifetime, ..Default::default() });
    let extras = SimExtras { rate_limit: args.rate_limit, faults: args.faults, fault_script, notifications };
    let start = sim::clock::today_at(&org.timezone, h, m);
    let opts = SimOptions { org: org.clone(), start: Some(start), speed: args.speed, clock: None };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], args.port));
    let started = std::time::Instant::now();
    let handle = sim::start_with(opts, extras, addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!(
        "qtop sim: {} serving '{}' ({} queues, {} agents; day simulated up to {} in {:.1}s)",
        handle.base_url(),
        org.name,
        org.queues.len(),
        org.agents.len(),
        args.start,
        started.elapsed().as_secs_f64()
    );
    println!("  rate limit: {} requests per token per minute", args.rate_limit.unwrap_or(org.rate_limit_per_minute));
    if args.faults {
        println!(
            "  faults: switch with `qtop sim-fault --port {} <fault> on|off` (or curl {}/sim/faults)",
            handle.addr.port(),
            handle.base_url()
        );
    }
    println!("  OAuth clients (secrets are in the org file):");
    for c in &org.clients {
        println!("    {:<36} {:<34} grants: {}", c.id, c.name, c.grants.join(","));
    }
    println!(
        "  try: qtop --base-url {} --client-id {}   (with GENESYSCLOUD_OAUTHCLIENT_SECRET set)",
        handle.base_url(),
        org.clients[0].id
    );
    println!("  Ctrl-C to stop");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    handle.stop().await;
    Ok(ExitCode::SUCCESS)
}
