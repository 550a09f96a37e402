//! Command-line flags and subcommands. Environment variables follow the Genesys Cloud
//! CLI / terraform convention (`GENESYSCLOUD_*`).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "qtop",
    version,
    about = "Live Genesys Cloud queue monitor that explains every 403",
    long_about = "Live Genesys Cloud queue monitor that explains every 403.\n\n\
Try it without an org: `qtop --demo` runs against an embedded simulated org.\n\
Point it at a real org with a region and an OAuth client:\n  \
GENESYSCLOUD_REGION=eu-west-1 GENESYSCLOUD_OAUTHCLIENT_ID=… GENESYSCLOUD_OAUTHCLIENT_SECRET=… qtop"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Config file (default: the qtop config dir, e.g. ~/.config/qtop/config.toml).
    #[arg(long, global = true, env = "QTOP_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Region name (us-east-1, eu-west-1, …) or domain (mypurecloud.ie, usw2.pure.cloud).
    #[arg(long, global = true, env = "GENESYSCLOUD_REGION", value_name = "REGION")]
    pub region: Option<String>,

    /// Send API and login requests to this origin instead of a region (a proxy, the simulator).
    #[arg(long, global = true, env = "QTOP_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,

    /// Login origin when it differs from --base-url.
    #[arg(long, global = true, value_name = "URL", requires = "base_url")]
    pub login_url: Option<String>,

    /// OAuth client id. The secret is read only from GENESYSCLOUD_OAUTHCLIENT_SECRET or [auth] secret_file.
    #[arg(long, global = true, env = "GENESYSCLOUD_OAUTHCLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Sign-in method: client_credentials, pkce (a user, in a browser) or token (one another tool made).
    #[arg(long, global = true, value_name = "METHOD")]
    pub auth: Option<String>,

    /// pkce: auto (loopback and paste), loopback, or paste (SSH: print the URL, paste the answer back).
    #[arg(long, global = true, value_name = "MODE")]
    pub auth_mode: Option<String>,

    /// pkce: port of the loopback redirect http://127.0.0.1:<port>/callback (default 8085; 0 = any).
    #[arg(long, global = true, value_name = "PORT")]
    pub redirect_port: Option<u16>,

    /// token: read the access token from this file (first line, or a token endpoint's JSON answer).
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,

    /// Queues to watch: names, globs or ids, comma-separated (default: all visible).
    #[arg(long, global = true, value_delimiter = ',', value_name = "LIST")]
    pub queues: Option<Vec<String>>,

    /// How often to poll live numbers (e.g. 1s, 2s, 500ms is refused).
    #[arg(long, global = true, value_name = "DURATION")]
    pub refresh: Option<String>,

    /// How often today's totals (offered, abandoned, SL%) are fetched (default 30s, minimum 10s).
    #[arg(long, global = true, value_name = "DURATION")]
    pub totals_refresh: Option<String>,

    /// Where live numbers come from: auto (stream when polling every queue would exceed the
    /// rate budget), poll, or stream (the Notifications API).
    #[arg(long, global = true, value_name = "auto|poll|stream")]
    pub source: Option<String>,

    /// Run against an embedded simulated org on 127.0.0.1 (no account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Demo identity: wallboard, supervisor, agent, expiring, env-token, … (`qtop sim --personas`).
    #[arg(long = "as", global = true, value_name = "PERSONA", requires = "demo")]
    pub persona: Option<String>,

    /// Simulated seconds per real second in the demo.
    #[arg(long, global = true, value_name = "X", requires = "demo", value_parser = parse_speed)]
    pub speed: Option<f64>,

    /// Serve the demo org on this 127.0.0.1 port (default: any free port), e.g. for curl or `qtop sim-fault`.
    #[arg(long, global = true, value_name = "PORT", requires = "demo")]
    pub sim_port: Option<u16>,

    /// Let `qtop sim-fault` (or curl to /sim/faults) switch the demo org's faults while qtop runs.
    #[arg(long, global = true, requires = "demo")]
    pub sim_faults: bool,

    /// Play a fault timeline against the demo org (TOML [[step]] at/fault/…; see sim/faults/).
    #[arg(long, global = true, value_name = "FILE", requires = "demo")]
    pub fault_script: Option<PathBuf>,

    /// ASCII borders and markers (for terminals without UTF-8).
    #[arg(long, global = true)]
    pub ascii: bool,

    /// No colours (also: NO_COLOR set to anything non-empty).
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Log file, rotated daily (default: ~/.local/state/qtop/logs/qtop.log). Never the terminal.
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// Log level or filter: error, warn, info, debug, trace.
    #[arg(long, global = true, env = "QTOP_LOG", default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

    /// Start in wall mode: big numbers, rotating pages, only [wall] quit_keys work.
    #[arg(long, global = true)]
    pub wall: bool,

    /// Start on a saved view ([views.NAME] in the config).
    #[arg(long, global = true, value_name = "NAME")]
    pub view: Option<String>,

    /// Queue table columns, comma-separated (waiting,longest,alerting,interacting,on_queue,idle,off_queue).
    #[arg(long, global = true, value_delimiter = ',', value_name = "LIST")]
    pub columns: Option<Vec<String>>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the simulated org alone (for curl, scripts or a second qtop).
    Sim(SimArgs),
    /// Switch a running simulator's faults: `qtop sim-fault errors on status=503 for=20s`, `… off`, `list`, `clear`.
    SimFault(SimFaultArgs),
    /// List the regions and their hosts.
    Regions,
    /// Forget the cached user token and revoke it (DELETE /api/v2/tokens/me).
    Logout,
    /// Check config, region, sign-in and every endpoint qtop needs; print what to fix.
    Doctor(DoctorArgs),
    /// Explain an error: a Genesys error body, an OAuth error, a status line or a pasted snippet.
    Explain(ExplainArgs),
    /// Serve /metrics for Prometheus: headless, the same polling, budget and diagnosis as the screen.
    Export(ExportArgs),
    /// One refresh (queue list, live numbers, today's totals) printed as json, csv or a table.
    Snapshot(SnapshotArgs),
}

#[derive(Debug, Args, Clone)]
pub struct ExportArgs {
    /// Address and port for /metrics, /healthz and /readyz.
    #[arg(long, default_value = "127.0.0.1:9464", value_name = "HOST:PORT")]
    pub listen: String,

    /// Watch only share K of N of the queues (stable hash of the queue id), e.g. 1/3.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct SnapshotArgs {
    /// Output: json (stable shape with a version field), csv or table.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,

    /// Repeat every DURATION (e.g. 30s) until interrupted.
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,

    /// Only share K of N of the queues (as `qtop export --shard`).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct DoctorArgs {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct ExplainArgs {
    /// A file holding the error, the error text itself, or - for standard input (the default
    /// when input is piped).
    pub input: Option<String>,

    /// How the refused token was obtained, to tailor the fix: client_credentials, pkce, token.
    #[arg(long, value_name = "GRANT")]
    pub grant: Option<String>,

    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args, Clone)]
pub struct SimArgs {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 8089)]
    pub port: u16,

    /// Org model (TOML); default: the built-in demo org.
    #[arg(long, value_name = "FILE")]
    pub org: Option<PathBuf>,

    /// Simulated seconds per real second.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,

    /// Local time of day the simulation starts at (HH:MM, org time zone).
    #[arg(long, default_value = "10:30", value_name = "HH:MM")]
    pub start: String,

    /// List the org's personas (for `qtop --demo --as`) and exit.
    #[arg(long)]
    pub personas: bool,

    /// Requests per token per minute before 429 (default: the org file's rate_limit_per_minute, 300).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,

    /// Serve /sim/faults (loopback only) so faults can be switched while clients run.
    #[arg(long)]
    pub faults: bool,

    /// Play a fault timeline (TOML [[step]] entries: at, fault, parameters; or clear).
    #[arg(long, value_name = "FILE")]
    pub fault_script: Option<PathBuf>,

    /// Notification channels expire after this much org time (default 24h, as in Genesys), to
    /// watch a client roll over (e.g. 2m).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub channel_lifetime: Option<std::time::Duration>,
}

#[derive(Debug, Args, Clone)]
pub struct SimFaultArgs {
    /// Port of the simulator on 127.0.0.1.
    #[arg(long, default_value_t = 8089)]
    pub port: u16,

    /// `<fault> [on|off] [key=value…]`, `list` or `clear`. Faults: latency, errors, unavailable,
    /// reset, truncate, revoke, role-removed, permission-removed, queue-moved, clock-skew, rate-limit.
    #[arg(required = true, num_args = 1.., value_name = "WORDS", allow_hyphen_values = true)]
    pub words: Vec<String>,
}

/// `--speed`: simulated seconds per real second.
fn parse_speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if x > 0.0 && x <= 3600.0 => Ok(x),
        _ => Err(format!("{text}: use a number above 0 and at most 3600")),
    }
}
