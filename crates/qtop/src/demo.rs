//! `--demo`: start the embedded simulated org and point an ordinary config at it. Nothing
//! past this point knows it is a demo: qtop reaches the sim by HTTP at a base URL.
//!
//! A user persona signs in with the real authorization-code + PKCE flow; the only stand-in is
//! the browser: [`PersonaBrowser`] fills in the sim's login form as the persona and follows
//! the redirect to qtop's loopback listener, as a person at a browser would.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::LOCATION;

use crate::cli::GlobalArgs;
use crate::config::{Env, FileConfig};
use genesys::auth::client_credentials;
use genesys::browser::Opener;
use genesys::client::{self, Client, ClientOptions};
use genesys::regions;
use genesys::secret::Secret;
use sim::org::{Org, Persona};
use sim::{self, SimExtras, SimHandle, SimOptions};

pub const DEFAULT_PERSONA: &str = "wallboard";

/// How long the demo's scripted person takes to notice a sign-in prompt opened inside the
/// TUI: long enough to see it while the table keeps updating.
const DEMO_NOTICE: Duration = Duration::from_secs(6);

pub struct Demo {
    pub sim: SimHandle,
    pub persona: String,
    /// The browser a user persona signs in with (`None` for client personas).
    pub opener: Option<Arc<dyn Opener>>,
    /// The demo's token cache lives and dies with the demo.
    _cache_dir: Option<tempfile::TempDir>,
    /// A second region's login host, for the wrong-region persona.
    _other_region: Option<SimHandle>,
}

/// A scripted browser: opens the sign-in page, submits the form as one user, follows the
/// redirect. Used by the demo and by tests; sign-in code cannot tell it from a person.
#[derive(Clone)]
pub struct PersonaBrowser {
    email: String,
    password: Secret,
    http: reqwest::Client,
    /// Sign-ins after the first wait this long (a person noticing the prompt).
    later_delay: Duration,
    opened: Arc<AtomicUsize>,
}

impl PersonaBrowser {
    pub fn new(email: &str, password: &str) -> PersonaBrowser {
        client::ensure_tls();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client builds with static settings");
        PersonaBrowser {
            email: email.to_string(),
            password: Secret::new(password),
            http,
            later_delay: Duration::ZERO,
            opened: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The first sign-in at once (the person just started qtop), later ones after `delay`.
    pub fn answering_later_after(mut self, delay: Duration) -> PersonaBrowser {
        self.later_delay = delay;
        self
    }

    /// Sign in on the page at `authorize_url` and take the answer back to the redirect URI.
    pub async fn sign_in(&self, authorize_url: &str) -> Result<(), String> {
        let url = Url::parse(authorize_url).map_err(|e| format!("bad sign-in URL: {e}"))?;
        let page = self.http.get(url.clone()).send().await.map_err(|e| e.to_string())?;
        if let Some(to) = page.headers().get(LOCATION).and_then(|v| v.to_str().ok()) {
            // The server refused the request outright and sent the browser back with an error.
            let to = to.to_string();
            self.http.get(&to).send().await.map_err(|e| e.to_string())?;
            return Ok(());
        }
        if !page.status().is_success() {
            return Err(format!("the sign-in page answered {}", page.status()));
        }
        // The login form posts the request's own parameters back with the credentials.
        let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        form.push(("username".into(), self.email.clone()));
        form.push(("password".into(), self.password.expose().into()));
        form.push(("consent".into(), "allow".into()));
        let mut action = url.clone();
        action.set_query(None);
        let resp = self.http.post(action).form(&form).send().await.map_err(|e| e.to_string())?;
        let to = resp
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| format!("the sign-in page did not redirect ({}): wrong password?", resp.status()))?
            .to_string();
        self.http.get(&to).send().await.map_err(|e| format!("cannot reach the redirect target: {e}"))?;
        Ok(())
    }
}

impl Opener for PersonaBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        let handle = tokio::runtime::Handle::try_current().map_err(|_| "no async runtime".to_string())?;
        let me = self.clone();
        let url = url.to_string();
        let delay = if self.opened.fetch_add(1, Ordering::SeqCst) == 0 { Duration::ZERO } else { self.later_delay };
        handle.spawn(async move {
            tokio::time::sleep(delay).await;
            // A failure leaves the sign-in waiting, as a person giving up in the browser would.
            let _ = me.sign_in(&url).await;
        });
        Ok(())
    }
}

fn persona_list(org: &Org) -> String {
    org.personas().into_iter().map(|(n, _)| n).collect::<Vec<_>>().join(", ")
}

/// Start the sim and rewrite file/flags/env so the normal path signs in as the persona.
pub async fn start(flags: &mut GlobalArgs, file: &mut FileConfig, env: &mut Env) -> Result<Demo, String> {
    let mut org = Org::demo();
    let persona = flags.persona.clone().unwrap_or_else(|| DEFAULT_PERSONA.to_string());
    let Some(found) = org.persona(&persona) else {
        return Err(format!("--as {persona}: no such demo persona; use one of: {}", persona_list(&org)));
    };
    // Some personas show what an org with "Enforce scopes" turned on refuses.
    org.enforce_scopes |= match found {
        Persona::Client(c) => org.clients[c].demo_enforce_scopes,
        Persona::User(u) => org.users[u].demo_enforce_scopes,
    };
    let timezone = org.timezone_name.clone();
    let fault_script = sim::load_fault_script(flags.fault_script.as_deref(), &org)?;
    let extras = SimExtras { rate_limit: None, faults: flags.sim_faults, fault_script, notifications: None };
    let opts = SimOptions { org: org.clone(), start: None, speed: flags.speed.unwrap_or(1.0), clock: None };
    let bind = std::net::SocketAddr::from(([127, 0, 0, 1], flags.sim_port.unwrap_or(0)));
    let sim = sim::start_with(opts, extras, bind)
        .await
        .map_err(|e| format!("cannot start the demo org on {bind}: {e}; pick another --sim-port"))?;
    flags.base_url = Some(sim.base_url());
    flags.login_url = None;
    flags.region = None;
    flags.token_file = None;
    flags.auth_mode = None;
    flags.redirect_port = None;
    file.org.base_url = None;
    file.org.timezone = Some(timezone);
    file.auth = Default::default();
    env.access_token = None;
    env.client_secret = None;
    let mut demo = Demo { sim, persona, opener: None, _cache_dir: None, _other_region: None };
    match found {
        Persona::Client(c) => {
            let client = &org.clients[c];
            if client.demo_sign_in.as_deref() == Some("provided_token") {
                // Another tool signs in and hands the token over; qtop only ever sees the token.
                let hosts = regions::override_hosts(&demo.sim.base_url(), None).map_err(|e| e.to_string())?;
                let other_tool = Client::new(hosts, ClientOptions::default());
                let token = client_credentials(&other_tool, &client.id, &Secret::new(client.secret.clone()))
                    .await
                    .map_err(|e| format!("the demo could not make a token for --as {}: {e}", demo.persona))?;
                flags.auth = Some("token".into());
                flags.client_id = None;
                env.access_token = Some(token.access.expose().to_string());
            } else if client.demo_sign_in.as_deref() == Some("other_region") {
                // The same credentials, sent to a region where this client does not exist: the
                // login host answers exactly as for a wrong secret.
                let elsewhere = Org::from_toml("[org]\nname = \"Another region (simulated)\"\n")
                    .map_err(|e| format!("the demo's second region: {e}"))?;
                let opts = SimOptions { org: elsewhere, start: None, speed: 1.0, clock: None };
                let other = sim::start(opts, sim::loopback())
                    .await
                    .map_err(|e| format!("cannot start the demo's second region on 127.0.0.1: {e}"))?;
                flags.login_url = Some(other.base_url());
                flags.auth = Some("client_credentials".into());
                flags.client_id = Some(client.id.clone());
                env.client_secret = Some(client.secret.clone());
                demo._other_region = Some(other);
            } else {
                flags.auth = Some("client_credentials".into());
                flags.client_id = Some(client.id.clone());
                env.client_secret = Some(client.secret.clone());
            }
        }
        Persona::User(u) => {
            let user = &org.users[u];
            let ci = user.client.ok_or_else(|| format!("--as {}: the persona names no OAuth client", demo.persona))?;
            let dir = tempfile::Builder::new()
                .prefix("qtop-demo-")
                .tempdir()
                .map_err(|e| format!("cannot create the demo's token cache: {e}"))?;
            flags.auth = Some("pkce".into());
            flags.client_id = Some(org.clients[ci].id.clone());
            // A confidential client's secret, as a person would set it: then the session
            // refreshes; a public client's persona shows the session ending instead.
            if !org.clients[ci].is_public() {
                env.client_secret = Some(org.clients[ci].secret.clone());
            }
            file.auth.redirect_port = Some(0);
            file.auth.mode = Some("loopback".into());
            file.auth.cache_dir = Some(dir.path().to_path_buf());
            let browser = PersonaBrowser::new(&user.email, &user.password).answering_later_after(DEMO_NOTICE);
            demo.opener = Some(Arc::new(browser));
            demo._cache_dir = Some(dir);
        }
    }
    Ok(demo)
}
