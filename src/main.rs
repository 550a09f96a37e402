use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use qtop::cli::{Cli, Command, SimArgs, SimFaultArgs};
use qtop::config::{self, Config, Env};
use qtop::genesys::auth::Session;
use qtop::genesys::client::{Client, ClientOptions};
use qtop::genesys::regions::REGIONS;
use qtop::sim::admin::FaultScript;
use qtop::sim::{self, SimExtras, SimOptions, org::Org};
use qtop::{demo, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("qtop: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("qtop: {msg}");
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Some(Command::Regions) => {
            for r in REGIONS {
                println!("{:<16} api.{:<28} login.{}", r.name, r.domain, r.domain);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sim(args)) => run_sim(args).await,
        Some(Command::SimFault(args)) => run_sim_fault(args).await,
        None => run_tui(cli).await,
    }
}

async fn run_tui(cli: Cli) -> Result<ExitCode, String> {
    let mut flags = cli.global;
    let (mut file, source) = config::load_file(flags.config.as_deref()).map_err(|e| e.to_string())?;
    let mut env = Env::from_process();
    let _demo = if flags.demo { Some(demo::start(&mut flags, &mut file, &mut env).await?) } else { None };
    let config = Config::resolve(file, source, &flags, &env).map_err(|e| e.to_string())?;
    let client = Client::new(config.hosts.clone(), ClientOptions::default());
    let session = Arc::new(Session::new(client, config.auth.clone()));
    tui::install_panic_hook();
    tui::run(&config, session).await.map_err(|e| format!("terminal error: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn run_sim_fault(args: SimFaultArgs) -> Result<ExitCode, String> {
    let cmd = sim::fault_cli::parse(&args.words)?;
    let out = sim::fault_cli::run(args.port, cmd).await?;
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

async fn run_sim(args: SimArgs) -> Result<ExitCode, String> {
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
    if !(args.speed > 0.0 && args.speed <= 3600.0) {
        return Err(format!("--speed {}: use a number above 0 and at most 3600", args.speed));
    }
    if args.rate_limit == Some(0) {
        return Err("--rate-limit 0: use at least 1 request per minute".into());
    }
    let fault_script = match &args.fault_script {
        Some(path) => {
            let script = FaultScript::load(path)?;
            sim::check_script(&script, &org).map_err(|e| format!("--fault-script {}: {e}", path.display()))?;
            Some(script)
        }
        None => None,
    };
    let extras = SimExtras { rate_limit: args.rate_limit, faults: args.faults, fault_script };
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
