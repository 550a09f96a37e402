//! The token pane against the simulator: for every demo persona the pane's ✓/✗ must agree
//! with the simulator's own authorization rules; rendered snapshots of each pane state; and no
//! frame, event or error ever shows a token, code, verifier, password or client secret.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestSim, start_sim, start_sim_with};
use genesys::auth::{
    AuthMethod, AuthPhase, AuthStatus, Grant, PkceMode, PkceSettings, ProvidedToken, RenewalState, Session,
    SessionKind, SignInPrompt, TokenFacts, TokenSource, client_credentials,
};
use genesys::browser::NoBrowser;
use genesys::catalog::{self, EndpointId};
use genesys::secret::Secret;
use genesys::token::{Check, TokenReport, inspect, needs};
use genesys::token_cache::TokenCache;
use jiff::{SignedDuration, Timestamp};
use qtop::app::App;
use qtop::auth_tasks::{self, AuthCommands};
use qtop::demo::PersonaBrowser;
use qtop::event::{Command, Event, MonitorEvent, QueueInfo};
use qtop::monitor::Monitor;
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sim::authz::{DivScope, Lookup};
use sim::org::{Org, Persona};
use tokio::sync::mpsc;

fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    term.backend().to_string()
}

/// A signed-in session for any persona, the way `--demo --as <persona>` signs in.
async fn persona_session(t: &TestSim, persona: &str) -> Arc<Session> {
    let session = match t.org.persona(persona).unwrap() {
        Persona::Client(c) => {
            let client = &t.org.clients[c];
            let secret = Secret::new(client.secret.clone());
            if client.demo_sign_in.as_deref() == Some("provided_token") {
                let made = client_credentials(&t.client(), &client.id, &secret).await.unwrap();
                Session::new(t.client(), AuthMethod::Token(ProvidedToken::from_env(made.access.expose())))
            } else {
                Session::new(t.client(), AuthMethod::ClientCredentials { client_id: client.id.clone(), secret })
            }
        }
        Persona::User(u) => {
            let user = &t.org.users[u];
            let client = &t.org.clients[user.client.unwrap()];
            let settings = PkceSettings {
                client_id: client.id.clone(),
                redirect_port: 0,
                mode: PkceMode::Loopback,
                cache: None,
                secret: (!client.is_public()).then(|| Secret::new(client.secret.clone())),
            };
            Session::new(t.client(), AuthMethod::Pkce(settings))
                .with_opener(Arc::new(PersonaBrowser::new(&user.email, &user.password)))
        }
    };
    let session = Arc::new(session);
    session.token().await.unwrap_or_else(|e| panic!("{persona}: {e}"));
    session
}

fn division_names(org: &Org, scope: &DivScope) -> Vec<String> {
    match scope {
        DivScope::All => vec![],
        DivScope::Some(ds) => {
            let mut names: Vec<String> = ds.iter().map(|&d| org.divisions[d].name.clone()).collect();
            names.sort();
            names
        }
    }
}

#[tokio::test]
async fn each_personas_pane_agrees_with_what_the_sim_grants_it() {
    let t = start_sim().await;
    let personas: Vec<String> = t.org.personas().into_iter().map(|(p, _)| p).collect();
    assert!(personas.len() >= 8, "{personas:?}");
    for persona in personas {
        let session = persona_session(&t, &persona).await;
        let token = session.token().await.unwrap();
        let report = inspect(&session).await.unwrap();
        let Lookup::Valid(caller) = t.sim.shared.tokens.lock().unwrap().lookup(token.access.expose()) else {
            panic!("{persona}: the sim does not know its token")
        };
        for row in needs(&report) {
            let spec = catalog::spec(row.endpoint);
            let verdict = caller.require(&t.org, row.endpoint);
            match (&verdict, &row.permission) {
                (Ok(_), Check::Yes(_)) => {}
                (Err(f), Check::No(_)) if f.status.as_u16() == 403 => {}
                (Err(f), Check::NotApplicable(_)) if f.status.as_u16() == 400 => {}
                other => panic!(
                    "{persona} {}: sim says {:?}, pane says {:?}",
                    row.label,
                    other.0.as_ref().map(|_| ()),
                    other.1
                ),
            }
            if let (Ok(scope), Check::Yes(Some(note)), true) = (&verdict, &row.permission, spec.division_filtered) {
                match scope {
                    DivScope::All => assert_eq!(note, "all divisions", "{persona} {}", row.label),
                    s => {
                        for name in division_names(&t.org, s) {
                            assert!(note.contains(&name), "{persona} {}: {note} lacks {name}", row.label);
                        }
                        for d in &t.org.divisions {
                            if !s.contains(t.org.divisions.iter().position(|x| x.id == d.id).unwrap()) {
                                assert!(note.contains(&format!("not {}", d.name)) || note.contains(&d.name), "{note}");
                            }
                        }
                    }
                }
            }
            let user_token = caller.is_user();
            let scope_ok =
                spec.scopes.is_empty() || spec.scopes.iter().any(|s| caller.record.scopes.contains(&s.to_string()));
            match (&row.scope, user_token, scope_ok) {
                (Check::NotApplicable(_), false, _) | (Check::Yes(_), true, true) | (Check::No(_), true, false) => {}
                other => panic!("{persona} {}: scope {:?} for user={} ok={}", row.label, other.0, other.1, other.2),
            }
        }
        // Identity: the pane names who the sim issued the token to.
        let info = report.info.as_ref().unwrap();
        let client = &t.org.clients[caller.record.subject.client()];
        assert_eq!(info.oauth_client.as_ref().unwrap().id.as_deref(), Some(client.id.as_str()), "{persona}");
        assert_eq!(report.user.as_ref().is_some_and(std::result::Result::is_ok), caller.is_user(), "{persona}");
    }
}

// --- snapshots -------------------------------------------------------------------------------

const NOW: &str = "2026-11-25T10:30:00Z";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A report from the sim with the random parts (fingerprints) made stable, and the kind of
/// session the persona signs in with.
async fn report_for(sim: &TestSim, persona: &str) -> (Box<TokenReport>, SessionKind) {
    let session = persona_session(sim, persona).await;
    let mut report = inspect(&session).await.unwrap();
    report.fingerprint = "sha256:5e55a10e".into();
    (Box::new(report), session.kind())
}

fn grant_of(kind: SessionKind) -> Grant {
    match kind {
        SessionKind::ClientCredentials => Grant::ClientCredentials,
        SessionKind::ConfidentialCode | SessionKind::PublicCode => Grant::AuthorizationCode,
        SessionKind::Provided => Grant::Provided,
    }
}

fn facts(kind: SessionKind, lifetime: Option<i64>, source: TokenSource) -> TokenFacts {
    let now = t(NOW);
    let obtained = now - SignedDuration::from_secs(30);
    let grant = grant_of(kind);
    // As the session does: a minute before expiry, or a third of the lifetime when shorter; a
    // public session asks 5 minutes before its end, or a fifth of the lifetime.
    let margin = |l: i64| if kind == SessionKind::PublicCode { (l / 5).min(300) } else { (l / 3).min(60) };
    TokenFacts {
        grant,
        fingerprint: "sha256:5e55a10e".into(),
        obtained_at: obtained,
        expires_at: lifetime.map(|l| obtained + SignedDuration::from_secs(l)),
        renewable: kind.renews_alone(),
        source,
        // The sim sends public clients one too; the pane must not claim it is used.
        refresh_fingerprint: (grant == Grant::AuthorizationCode).then(|| "sha256:0f0f0f0f".into()),
        renew_at: lifetime
            .filter(|_| grant != Grant::Provided)
            .map(|l| obtained + SignedDuration::from_secs(l - margin(l))),
        jwt: vec![],
    }
}

fn app_with(label: &str, kind: SessionKind, facts: TokenFacts, report: Box<TokenReport>) -> App {
    let grant = grant_of(kind);
    let now = t(NOW);
    let mut app = App::new(label.into(), grant, Duration::from_secs(1), now);
    let queues = ["Billing & Payments", "Customer Care", "Sales - New Customers"]
        .iter()
        .enumerate()
        .map(|(i, n)| QueueInfo { id: format!("q{i}"), name: n.to_string(), division: None, sl_target: None })
        .collect();
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: now }));
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(AuthStatus {
        phase: AuthPhase::SignedIn,
        kind,
        signed_in_at: Some(facts.obtained_at),
        sign_ins: 1,
        renewal: RenewalState { last_ok: Some((facts.obtained_at, facts.source.clone())), ..Default::default() },
        token: Some(facts),
        ..Default::default()
    }))));
    app.update(Event::Monitor(MonitorEvent::TokenReport(report)));
    app.update(Event::Resize(120, 40));
    app
}

#[tokio::test]
async fn pane_for_a_user() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "supervisor").await;
    let app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Sam Supervisor <sam.supervisor@acme.example>"), "{screen}");
    assert!(
        screen.contains("session  public code grant: one token lifetime, then sign in again · ends 10:31:00 UTC"),
        "{screen}"
    );
    assert!(!screen.contains("refresh token"), "a public client never claims to refresh: {screen}");
    assert!(screen.contains("no refresh (a public client): sign in again · asks in 42s"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_for_a_confidential_user() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "confidential").await;
    assert_eq!(kind, SessionKind::ConfidentialCode);
    let app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("session  confidential code grant: refreshes"), "{screen}");
    assert!(screen.contains("refresh token sha256:0f0f0f0f · renews in 30s"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_when_a_public_session_ended() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "supervisor").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    let mut status = app.auth.clone();
    status.phase = AuthPhase::Expired("press a to sign in again".into());
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
    app.update(Event::Tick(t(NOW) + SignedDuration::from_secs(75)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("ended: press a to sign in again; nothing is sent until then"), "{screen}");
    assert!(screen.contains("10:31:00 UTC · expired"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_while_a_public_session_asks_to_sign_in_again() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "supervisor").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    let mut status = app.auth.clone();
    status.phase = AuthPhase::AwaitingUser(Box::default());
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
    app.update(Event::Tick(t(NOW) + SignedDuration::from_secs(15)));
    // The pane under the prompt, as it shows when the prompt is dismissed or wide screens.
    let mut term = Terminal::new(TestBackend::new(200, 60)).unwrap();
    term.draw(|f| ui::token_pane::draw(f, f.area(), &app, &ui::theme::Theme::new(false, false))).unwrap();
    let screen = term.backend().to_string();
    assert!(screen.contains("sign-in prompt open: sign in again before 10:31:00 UTC"), "{screen}");
}

#[tokio::test]
async fn pane_for_client_credentials() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "home-division").await;
    let app = app_with("us-west-2", kind, facts(kind, Some(86_400), TokenSource::SignIn), report);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("do not limit client credentials"), "{screen}");
    assert!(screen.contains("Home only; not EMEA Support, Finance"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_for_an_env_token() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "env-token").await;
    let app = app_with("us-west-2", kind, facts(kind, None, TokenSource::Env), report);
    let screen = render(&app, 120, 40);
    assert!(screen.contains("cannot be renewed") && screen.contains("GENESYSCLOUD_ACCESS_TOKEN"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_for_an_expiring_token() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "expiring").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::Reissue), report);
    app.update(Event::Tick(t(NOW) + SignedDuration::from_secs(45)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("in 15s") && screen.contains("renewal due"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_for_an_expired_token() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "confidential").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::Refresh), report);
    app.update(Event::Tick(t(NOW) + SignedDuration::from_secs(75)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("expired"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_when_the_refresh_failed() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "confidential").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::Refresh), report);
    let mut status = app.auth.clone();
    status.renewal.last_failure = Some((
        t(NOW) + SignedDuration::from_secs(30),
        "400 invalid_grant: refresh token is invalid, expired or revoked".into(),
    ));
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
    app.update(Event::Tick(t(NOW) + SignedDuration::from_secs(31)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("failed 10:30:30 UTC: 400 invalid_grant"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn pane_at_80x24_is_a_summary() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "agent").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    app.update(Event::Resize(80, 24));
    assert!(!render(&app, 80, 24).contains("Token"), "hidden by default on a short terminal");
    app.update(Event::Key(KeyEvent::new(KeyCode::Char('t'), KeyModifiers::NONE)));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("calls") && screen.contains("✗"), "{screen}");
    insta::assert_snapshot!(screen);
    app.ascii = true;
    let ascii = render(&app, 80, 24);
    assert!(ascii.is_ascii() || !ascii.contains('✓'), "{ascii}");
}

#[tokio::test]
async fn a_jwt_is_decoded_shown_unverified_and_dates_the_token() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let exp = Timestamp::now().as_second() + 3600;
    let jwt = format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(&format!(r#"{{"iss":"https://idp.example","sub":"user-42","exp":{exp}}}"#)),
        b64("signature")
    );
    let sim = start_sim().await;
    let session = Session::new(sim.client(), AuthMethod::Token(ProvidedToken::from_env(&jwt)));
    session.token().await.unwrap();
    let facts = session.status().borrow().token.clone().unwrap();
    assert_eq!(facts.expires_at, Some(Timestamp::from_second(exp).unwrap()), "exp dates a provided JWT");
    assert_eq!(facts.jwt.len(), 1);
    let (report, _) = report_for(&sim, "env-token").await;
    let mut app = app_with("us-west-2", SessionKind::Provided, facts, report);
    app.update(Event::Tick(Timestamp::now()));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("access token RS256 (unverified): iss=https://idp.example sub=user-42 exp="), "{screen}");
    assert!(screen.contains("in 59m") || screen.contains("in 1h00m"), "{screen}");
    let payload = jwt.split('.').nth(1).unwrap();
    assert!(!screen.contains(&payload[..24]), "the token itself is never shown, only its decoded claims");
}

#[tokio::test]
async fn sign_in_prompt_masks_the_pasted_code() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "supervisor").await;
    let mut app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    let mut status = app.auth.clone();
    status.phase = AuthPhase::AwaitingUser(Box::new(SignInPrompt {
        authorize_url: "https://login.usw2.pure.cloud/oauth/authorize?response_type=code&client_id=7de3af06-c0b3-4f9f-b2ce-1f3f3c1d0a04&redirect_uri=http%3A%2F%2F127.0.0.1%3A8085%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&state=xyz".into(),
        listening: Some("http://127.0.0.1:8085/callback".into()),
        browser_problem: Some("no display here (an SSH session?)".into()),
        accepts_paste: true,
        paste_problem: Some("the pasted address has no code= in it; paste the address the browser shows after you sign in".into()),
    }));
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(status))));
    for c in "http://127.0.0.1:8085/callback?code=SECRETCODE123&state=xyz".chars() {
        app.update(Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
    let screen = render(&app, 120, 40);
    assert!(!screen.contains("SECRETCODE123"), "{screen}");
    assert!(screen.contains("> http://127.0.0.1:8085/callback?"), "{screen}");
    insta::assert_snapshot!(screen);

    // Ctrl-Y sends the whole address to the clipboard and says so; the paste line is untouched.
    let out = app.update(Event::Key(KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL)));
    assert!(matches!(&out[..], [Command::CopyToClipboard(u)] if u.ends_with("&state=xyz")), "{out:?}");
    let copied = render(&app, 120, 40);
    assert!(copied.contains("Copied to your clipboard"), "{copied}");
    assert!(copied.contains("> http://127.0.0.1:8085/callback?"), "{copied}");
}

// --- secrets ---------------------------------------------------------------------------------

fn every_secret(t: &TestSim) -> Vec<String> {
    let mut out: Vec<String> = t.sim.shared.tokens.lock().unwrap().records().map(|(k, _)| k.clone()).collect();
    out.extend(t.sim.shared.grants.lock().unwrap().all_secrets());
    out.extend(t.org.clients.iter().map(|c| c.secret.clone()));
    out.extend(t.org.users.iter().map(|u| u.password.clone()));
    out
}

fn key(c: KeyCode) -> Event {
    Event::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

/// Feed `ev` to the app like the TUI loop does; return the frames and the event as text.
fn step(app: &mut App, ev: Event, auth: &AuthCommands, cmds: &mpsc::Sender<qtop::event::Command>) -> String {
    let mut seen = format!("{ev:?}\n");
    for c in app.update(ev) {
        seen.push_str(&format!("{c:?}\n"));
        if let Some(c) = auth.handle(c) {
            let _ = cmds.try_send(c);
        }
    }
    for (w, h) in [(120, 40), (80, 24)] {
        seen.push_str(&render(app, w, h));
    }
    for e in app.errors.iter() {
        let summary = e.error.as_ref().map(genesys::client::ApiError::summary).unwrap_or_default();
        seen.push_str(&format!("{summary}\n{:?}\n{:?}\n", e.error, e.diagnosis));
    }
    seen
}

#[tokio::test]
async fn no_frame_event_or_error_shows_a_secret() {
    let mut org = Org::demo();
    org.clients.iter_mut().find(|c| c.name == "qtop cli (confidential)").unwrap().token_lifetime_secs = 3;
    let t = start_sim_with(org).await;
    let dir = tempfile::tempdir().unwrap();
    // The confidential client: it refreshes, and qtop holds its secret too.
    let Some(Persona::User(u)) = t.org.persona("confidential") else { panic!() };
    let user = t.org.users[u].clone();
    let client = t.org.clients[user.client.unwrap()].clone();
    let client_id = client.id.clone();
    let settings = PkceSettings {
        client_id: client_id.clone(),
        redirect_port: 0,
        mode: PkceMode::Auto,
        cache: Some(TokenCache::new(dir.path(), "sim", &client_id)),
        secret: Some(Secret::new(client.secret.clone())),
    };
    let session = Arc::new(
        Session::new(t.client(), AuthMethod::Pkce(settings))
            .with_opener(Arc::new(PersonaBrowser::new(&user.email, &user.password)))
            .with_renew_margin(Duration::from_secs(2)),
    );
    session.token().await.unwrap();

    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: session.clone(),
        refresh: Duration::from_secs(1),
        totals_refresh: Duration::from_secs(30),
        timezone: jiff::tz::TimeZone::UTC,
        selectors: vec![],
        events: ev_tx.clone(),
    };
    let tasks = [
        tokio::spawn(monitor.run(cmd_rx)),
        tokio::spawn(auth_tasks::keep_alive(session.clone())),
        tokio::spawn(auth_tasks::report_tokens(session.clone(), ev_tx.clone())),
    ];
    let auth = AuthCommands::new(session.clone(), ev_tx.clone());
    let mut app = App::new("sim".into(), Grant::AuthorizationCode, Duration::from_secs(1), Timestamp::now());
    let mut seen = String::new();
    let start = tokio::time::Instant::now();
    let mut pressed = false;
    while start.elapsed() < Duration::from_millis(3500) {
        if !pressed && start.elapsed() > Duration::from_millis(800) {
            pressed = true;
            seen.push_str(&step(&mut app, key(KeyCode::Char('a')), &auth, &cmd_tx));
        }
        if let Ok(Some(ev)) = tokio::time::timeout(Duration::from_millis(200), ev_rx.recv()).await {
            seen.push_str(&step(&mut app, ev, &auth, &cmd_tx));
        }
        seen.push_str(&step(&mut app, Event::Tick(Timestamp::now()), &auth, &cmd_tx));
    }
    // The run went through a sign-in, a re-auth and a refresh, and the pane described the token.
    assert!(app.auth.sign_ins >= 3, "sign-ins seen: {}", app.auth.sign_ins);
    assert!(app.token.report.is_some());

    // A paste-mode sign-in typed into the prompt, a wrong client secret in the error log.
    let paste = Arc::new(
        Session::new(
            t.client(),
            AuthMethod::Pkce(PkceSettings {
                client_id: client_id.clone(),
                redirect_port: 0,
                mode: PkceMode::Paste,
                cache: None,
                secret: Some(Secret::new(client.secret.clone())),
            }),
        )
        .with_opener(Arc::new(NoBrowser)),
    );
    let paste_auth = AuthCommands::new(paste.clone(), ev_tx.clone());
    let waiting = tokio::spawn({
        let s = paste.clone();
        async move { s.token().await }
    });
    let mut rx = paste.status();
    let prompt = loop {
        if let AuthPhase::AwaitingUser(p) = &rx.borrow_and_update().phase {
            break (**p).clone();
        }
        rx.changed().await.unwrap();
    };
    let mut app = App::new("sim".into(), Grant::AuthorizationCode, Duration::from_secs(1), Timestamp::now());
    seen.push_str(&step(
        &mut app,
        Event::Monitor(MonitorEvent::Auth(Box::new(paste.status().borrow().clone()))),
        &paste_auth,
        &cmd_tx,
    ));
    let browser = PersonaBrowser::new(&user.email, &user.password);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut form: Vec<(String, String)> =
        reqwest::Url::parse(&prompt.authorize_url).unwrap().query_pairs().into_owned().collect();
    form.extend([("username".into(), user.email.clone()), ("password".into(), user.password.clone())]);
    let location = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap().headers()["location"]
        .to_str()
        .unwrap()
        .to_string();
    drop(browser);
    for c in location.chars() {
        seen.push_str(&step(&mut app, key(KeyCode::Char(c)), &paste_auth, &cmd_tx));
    }
    seen.push_str(&step(&mut app, key(KeyCode::Enter), &paste_auth, &cmd_tx));
    waiting.await.unwrap().unwrap();
    let (id, _) = t.persona_client("wallboard");
    let wrong = Session::new(
        t.client(),
        AuthMethod::ClientCredentials { client_id: id, secret: Secret::new("demo-secret-home") },
    );
    let err = wrong.token().await.unwrap_err();
    seen.push_str(&step(
        &mut app,
        Event::Monitor(MonitorEvent::Failed {
            activity: qtop::event::Activity::SignIn,
            error: Box::new(err),
            at: Timestamp::now(),
        }),
        &paste_auth,
        &cmd_tx,
    ));
    for task in tasks {
        task.abort();
    }

    let secrets = every_secret(&t);
    assert!(secrets.len() > 20, "{} secrets collected", secrets.len());
    for s in &secrets {
        assert!(!seen.contains(s.as_str()), "a secret ({} chars) appeared on screen or in an event", s.len());
    }
    assert!(seen.contains("sha256:"), "fingerprints stand in for tokens");
}

#[tokio::test]
async fn the_token_report_names_the_endpoints_qtop_calls() {
    let t = start_sim().await;
    let session = persona_session(&t, "wallboard").await;
    let report = inspect(&session).await.unwrap();
    let rows = needs(&report);
    assert!(rows.iter().any(|r| r.endpoint == EndpointId::QueueObservations));
    assert!(rows.iter().all(|r| catalog::spec(r.endpoint).used_by_qtop));
}

#[tokio::test]
async fn the_header_names_the_org_once_the_token_says_it() {
    let sim = start_sim().await;
    let (report, kind) = report_for(&sim, "supervisor").await;
    let name = report.info.as_ref().unwrap().organization.as_ref().unwrap().name.clone().unwrap();
    let before = App::new("us-west-2".into(), grant_of(kind), Duration::from_secs(1), t(NOW));
    let top = |app: &App, w| render(app, w, 40).lines().next().unwrap().to_string();
    assert!(top(&before, 120).contains("org us-west-2") && !top(&before, 120).contains(&name));
    let app = app_with("us-west-2", kind, facts(kind, Some(90), TokenSource::SignIn), report);
    assert!(top(&app, 120).contains(&format!("{name}, us-west-2")), "{}", top(&app, 120));
    // Narrow: the name stays, the region goes.
    let narrow = render(&app, 80, 24).lines().next().unwrap().to_string();
    assert!(narrow.contains(&name[..10]) && !narrow.contains("us-west-2"), "{narrow}");
}
