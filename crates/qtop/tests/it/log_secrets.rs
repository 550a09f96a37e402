//! The log file may be read by anyone with a shell on the wall's machine: a run with a user
//! sign-in, refreshes, a client-credentials sign-in, a 403 and a re-authentication after a
//! 401 logs what happened, by fingerprint, and never a token, secret, refresh token, code or
//! verifier.

use crate::common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::watch::{self, Watch};
use common::{TestSim, start_sim_extras};
use genesys::auth::{AuthMethod, PkceMode, PkceSettings, Session};
use qtop::app::Health;
use sim::SimExtras;
use sim::org::{Org, Persona};

/// Everything logged, in memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

/// A user through the confidential client: its sessions refresh (a public client's cannot).
fn supervisor_session(t: &TestSim) -> Arc<Session> {
    let Some(Persona::User(u)) = t.org.persona("confidential") else { panic!("no confidential persona") };
    let user = &t.org.users[u];
    let client = &t.org.clients[user.client.unwrap()];
    let settings = PkceSettings {
        client_id: client.id.clone(),
        redirect_port: 0,
        mode: PkceMode::Loopback,
        cache: None,
        secret: Some(genesys::secret::Secret::new(client.secret.clone())),
    };
    let browser = Arc::new(qtop::demo::PersonaBrowser::new(&user.email, &user.password));
    Arc::new(
        Session::new(t.client(), AuthMethod::Pkce(settings))
            .with_opener(browser)
            .with_renew_margin(Duration::from_secs(2)),
    )
}

/// The subscriber is global: in this test binary's own process, it would log every other
/// test too. So the test runs in a child process, alone.
#[test]
fn logs_name_tokens_by_fingerprint_only() {
    common::in_own_process("log_secrets::logs_name_tokens_by_fingerprint_only_in_own_process");
}

#[tokio::test]
#[ignore = "run by logs_name_tokens_by_fingerprint_only in a process of its own"]
async fn logs_name_tokens_by_fingerprint_only_in_own_process() {
    let buffer = Buffer::default();
    // Installed as qtop's main installs it (global, with `log` records from the HTTP stack
    // forwarded), at the most talkative level. This process runs this one test.
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(buffer.clone())
        .with_ansi(false)
        .try_init()
        .expect("the only subscriber in this process");

    // User tokens live 3 s here, so they are refreshed (with the refresh token) during the run.
    let mut org = Org::demo();
    org.clients.iter_mut().find(|c| c.name == "qtop cli (confidential)").unwrap().token_lifetime_secs = 3;
    let t = start_sim_extras(org, SimExtras { faults: true, rate_limit: Some(60_000), ..Default::default() }).await;
    let refresh = Duration::from_millis(200);

    let mut user = Watch::start(supervisor_session(&t), t.org.timezone.clone(), refresh, watch::tuning());
    assert!(user.until(Duration::from_secs(10), |a| a.health() == Health::Live).await);
    assert!(user.until(Duration::from_secs(10), |a| a.auth.sign_ins >= 3).await, "refreshed twice");

    // A client without the observation permission: 403s, diagnosed and logged.
    let mut refused = Watch::start(t.session("no-observations"), t.org.timezone.clone(), refresh, watch::tuning());
    assert!(refused.until(Duration::from_secs(10), |a| !a.errors.is_empty()).await);

    // A client whose token is revoked: one 401, one re-authentication.
    let mut wall = Watch::start(t.session("wallboard"), t.org.timezone.clone(), refresh, watch::tuning());
    assert!(wall.until(Duration::from_secs(10), |a| a.health() == Health::Live).await);
    let resp = common::http().post(t.url("/sim/faults")).json(&serde_json::json!({"fault": "revoke"})).send().await;
    assert_eq!(resp.unwrap().status(), 201);
    assert!(wall.until(Duration::from_secs(10), |a| a.auth.sign_ins >= 2).await);

    for w in [user, refused, wall] {
        w.stop().await;
    }
    let log = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    for needle in ["signed in", "refused: missing permission", "401: signing in again once", "request", "sha256:"] {
        assert!(log.contains(needle), "the log says {needle:?}:\n{}", &log[..log.len().min(4000)]);
    }
    let mut secrets: Vec<String> = t.sim.shared.tokens.lock().unwrap().records().map(|(tok, _)| tok.clone()).collect();
    assert!(secrets.len() >= 5, "tokens were issued: {}", secrets.len());
    secrets.extend(t.sim.shared.grants.lock().unwrap().all_secrets());
    secrets.extend(t.org.clients.iter().map(|c| c.secret.clone()));
    secrets.extend(t.org.users.iter().map(|u| u.password.clone()));
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(!log.contains(s.as_str()), "a secret ({}…) is in the log", &s[..4]);
    }
}
