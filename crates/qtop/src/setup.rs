//! From flags, config file and environment to a signed-in session: the same path for the
//! TUI, `doctor` and tests (with `--demo`, the simulated org is started first).

use std::sync::Arc;

use crate::cli::GlobalArgs;
use crate::config::{Config, Env, FileConfig};
use crate::console_sign_in;
use crate::demo::{self, Demo};
use genesys::auth::Session;
use genesys::browser::{Opener, SystemBrowser};
use genesys::client::{Client, ClientOptions};

/// The demo handle must live as long as the session uses it.
pub async fn prepare(
    mut flags: GlobalArgs,
    mut file: FileConfig,
    source: Option<std::path::PathBuf>,
    mut env: Env,
) -> Result<(Config, Arc<Session>, Option<Demo>), String> {
    let demo = if flags.demo { Some(demo::start(&mut flags, &mut file, &mut env).await?) } else { None };
    let config = Config::resolve(file, source, &flags, &env).map_err(|e| e.to_string())?;
    let client = Client::new(config.hosts.clone(), ClientOptions::default());
    let opener: Arc<dyn Opener> =
        demo.as_ref().and_then(|d| d.opener.clone()).unwrap_or_else(|| Arc::new(SystemBrowser));
    let session = Arc::new(Session::new(client, config.auth.clone()).with_opener(opener));
    // A user signs in before the TUI takes the terminal: the browser prompt and a pasted
    // answer need a plain terminal.
    if config.auth.is_interactive() {
        console_sign_in::sign_in(session.clone(), &config.hosts.label).await?;
    }
    Ok((config, session, demo))
}
