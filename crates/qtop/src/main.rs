use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use std::io::{IsTerminal, Read};

use genesys::auth::{AuthMethod, Grant, Session};
use genesys::client::{Client, ClientOptions};
use genesys::queries::{Selector, Shard};
use genesys::regions::REGIONS;
use qtop::cli::{Cli, Command, DoctorArgs, ExplainArgs, ExportArgs, GlobalArgs, SnapshotArgs};
use qtop::config::{self, Config, Env};
use qtop::{demo, doctor, explain, export, sim_cmd, tui};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The simulator alone serves many connections at once and keeps glibc's arena per thread.
    if !matches!(cli.command, Some(Command::Sim(_))) {
        one_malloc_arena();
    }
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

/// One malloc arena instead of one per thread: qtop allocates little and rarely, and the
/// per-thread arenas of its runtime, log and blocking threads held on to freed memory (peak RSS
/// watching 1 000 queues: 20.4 MB with them, 18.7 MB without; scripts/bench-tty.sh). Called
/// before any thread starts.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn one_malloc_arena() {
    // SAFETY: mallopt only sets a malloc parameter; no other thread exists yet to race with.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn one_malloc_arena() {}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    // Explain and regions are offline one-shots; everything else logs to its file.
    let _log = match cli.command {
        Some(Command::Explain(_) | Command::Regions) => None,
        _ => Some(qtop::logging::init(cli.global.log_file.as_deref(), &cli.global.log_level)?),
    };
    match cli.command {
        Some(Command::Regions) => {
            for r in REGIONS {
                println!("{:<16} api.{:<28} login.{}", r.name, r.domain, r.domain);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Sim(args)) => sim_cmd::run_sim(args).await,
        Some(Command::Doctor(args)) => run_doctor(cli.global, args).await,
        Some(Command::Explain(args)) => run_explain(args),
        Some(Command::Logout) => run_logout(cli.global).await,
        Some(Command::SimFault(args)) => sim_cmd::run_sim_fault(args).await,
        Some(Command::Export(args)) => run_export(cli.global, args).await,
        Some(Command::Snapshot(args)) => run_snapshot(cli.global, args).await,
        None => run_tui(cli.global).await,
    }
}

/// Config and a session, from file, environment and flags (and the demo org with --demo).
async fn prepare(flags: GlobalArgs) -> Result<(Config, Arc<Session>, Option<demo::Demo>), String> {
    let (file, source) = config::load_file(flags.config.as_deref()).map_err(|e| e.to_string())?;
    qtop::setup::prepare(flags, file, source, Env::from_process()).await
}

async fn run_tui(flags: GlobalArgs) -> Result<ExitCode, String> {
    if let Some(problem) = tui::terminal_problem() {
        return Err(problem);
    }
    let (config, session, _demo) = prepare(flags).await?;
    tui::install_panic_hook();
    tui::run(&config, session).await.map_err(|e| format!("terminal error: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

async fn run_doctor(flags: GlobalArgs, args: DoctorArgs) -> Result<ExitCode, String> {
    let (config, session, _demo) = prepare(flags).await?;
    let report = doctor::run(&config, &session).await;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    } else {
        let width = std::io::stdout().is_terminal().then(|| ratatui::crossterm::terminal::size().ok()).flatten();
        print!("{}", doctor::render_width(&report, config.ascii, width.map(|(w, _)| w)));
    }
    Ok(ExitCode::from(report.exit_code()))
}

fn parse_shard(text: Option<&str>) -> Result<Option<Shard>, String> {
    text.map(Shard::parse).transpose()
}

/// `qtop export`: flags checked and the port bound before anything signs in.
async fn run_export(flags: GlobalArgs, args: ExportArgs) -> Result<ExitCode, String> {
    let shard = parse_shard(args.shard.as_deref())?;
    let listener = export::server::bind(&args.listen).await?;
    let (config, session, _demo) = prepare(flags).await?;
    let settings = export::Settings::from_config(&config, shard);
    let exporter = export::start(settings, session, listener).map_err(|e| format!("--listen {}: {e}", args.listen))?;
    eprintln!(
        "qtop export: serving http://{}/metrics (/healthz, /readyz) for {}; Ctrl-C to stop",
        exporter.addr, config.hosts.label
    );
    exporter.run_until_signal().await;
    Ok(ExitCode::SUCCESS)
}

/// `qtop snapshot`: one refresh printed; with --watch, again every interval. A refusal
/// prints its diagnosis and exits 1 (as `qtop doctor` does for a failed check).
async fn run_snapshot(flags: GlobalArgs, args: SnapshotArgs) -> Result<ExitCode, String> {
    let format = export::snapshot::Format::parse(&args.format)?;
    let shard = parse_shard(args.shard.as_deref())?;
    let every = match args.watch.as_deref() {
        None => None,
        Some(text) => match humantime::parse_duration(text) {
            Ok(d) if d >= std::time::Duration::from_secs(1) => Some(d),
            _ => return Err(format!("--watch {text}: use a duration of at least 1s, e.g. --watch 30s")),
        },
    };
    let (config, session, _demo) = prepare(flags).await?;
    let mut selectors = config.queues.clone();
    selectors.extend(shard.map(Selector::shard));
    loop {
        match export::snapshot::take(&session, &selectors, &config.timezone, &config.hosts.label).await {
            Ok(s) => {
                use std::io::Write;
                print!("{}", export::snapshot::render(&s, format));
                let _ = std::io::stdout().flush();
            }
            Err(f) => {
                eprintln!("qtop snapshot: {}", f.line());
                return Ok(ExitCode::from(1));
            }
        }
        let Some(every) = every else { return Ok(ExitCode::SUCCESS) };
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            _ = tokio::signal::ctrl_c() => return Ok(ExitCode::SUCCESS),
        }
    }
}

fn run_explain(args: ExplainArgs) -> Result<ExitCode, String> {
    let text = match args.input.as_deref() {
        Some("-") => read_stdin()?,
        // A file name that cannot be read is a mistake to report, not an error to explain.
        Some(arg) if explain::looks_like_path(arg) => {
            std::fs::read_to_string(arg).map_err(|e| explain::unreadable(arg, &e))?
        }
        Some(arg) => arg.to_string(),
        None if !std::io::stdin().is_terminal() => read_stdin()?,
        None => {
            return Err(
                "explain needs an error: a file, the text as an argument, or piped input (qtop explain - < error.json)"
                    .into(),
            );
        }
    };
    if text.trim().is_empty() {
        return Err("explain got empty input: paste the error body, status line or message".into());
    }
    let grant = match args.grant.as_deref() {
        None => None,
        Some("client_credentials") => Some(Grant::ClientCredentials),
        Some("pkce" | "authorization_code") => Some(Grant::AuthorizationCode),
        Some("token") => Some(Grant::Provided),
        Some(other) => return Err(format!("--grant {other}: use client_credentials, pkce or token")),
    };
    let e = explain::explain(&text, grant);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&e).map_err(|e| e.to_string())?);
    } else {
        print!("{}", explain::render(&e));
    }
    Ok(ExitCode::SUCCESS)
}

fn read_stdin() -> Result<String, String> {
    let mut s = String::new();
    std::io::stdin().take(1 << 20).read_to_string(&mut s).map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(s)
}

/// `qtop logout`: revoke the cached user token (or a provided one) and delete the cache file.
async fn run_logout(flags: GlobalArgs) -> Result<ExitCode, String> {
    if flags.demo {
        return Err("logout: the demo keeps no tokens after it exits; nothing to do".into());
    }
    let (file, source) = config::load_file(flags.config.as_deref()).map_err(|e| e.to_string())?;
    let config = Config::resolve(file, source, &flags, &Env::from_process()).map_err(|e| e.to_string())?;
    let client = Client::new(config.hosts.clone(), ClientOptions::default());
    let session = Session::new(client, config.auth.clone());
    match &config.auth {
        AuthMethod::ClientCredentials { .. } => {
            println!("qtop: client-credentials tokens are never cached; nothing to forget");
        }
        AuthMethod::Token(_) => {
            session.token().await.map_err(|e| e.summary())?;
            revoke(&session, "the provided token", &config.hosts.label).await;
        }
        AuthMethod::Pkce(settings) => {
            let Some(cache) = &settings.cache else {
                println!("qtop: the token cache is off ([auth] token_cache = false); nothing to forget");
                return Ok(ExitCode::SUCCESS);
            };
            if session.adopt_cached() {
                revoke(&session, "the cached token", &config.hosts.label).await;
            } else {
                println!("qtop: no cached token for client {} at {}", settings.client_id, config.hosts.label);
            }
            match cache.delete() {
                Ok(true) => println!("qtop: deleted {}", cache.path.display()),
                Ok(false) => {}
                Err(e) => return Err(format!("cannot delete {}: {e}", cache.path.display())),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn revoke(session: &Session, what: &str, org: &str) {
    match session.revoke().await {
        Ok(()) => println!("qtop: revoked {what} at {org}"),
        Err(e) if e.status() == Some(401) => println!("qtop: {what} had already expired or been revoked"),
        Err(e) => println!("qtop: could not revoke {what}: {}", e.summary()),
    }
}
