//! Every sign-in flow end to end against the simulator, over real HTTP: PKCE through a
//! (scripted) browser and through a pasted address, the checks that must refuse (wrong
//! verifier, wrong state, revoked refresh token), renewal before expiry, one re-auth per 401,
//! provided tokens, the token cache and `qtop logout`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{TestSim, start_sim, start_sim_with};
use qtop::demo::PersonaBrowser;
use qtop::genesys::auth::{
    AuthMethod, AuthPhase, Grant, PkceMode, PkceSettings, ProvidedToken, Session, SignInPrompt, Token, TokenSource,
    client_credentials, exchange_code, refresh_token,
};
use qtop::genesys::browser::{NoBrowser, Opener};
use qtop::genesys::client::{ApiError, ErrorKind};
use qtop::genesys::pkce::{Attempt, loopback_redirect};
use qtop::genesys::queries;
use qtop::genesys::secret::Secret;
use qtop::genesys::token_cache::TokenCache;
use qtop::sim::authz::Subject;
use qtop::sim::org::{Org, Persona};
use reqwest::Url;

struct User {
    email: String,
    password: String,
    client_id: String,
}

fn user(org: &Org, persona: &str) -> User {
    let Some(Persona::User(u)) = org.persona(persona) else { panic!("no user persona {persona}") };
    let u = &org.users[u];
    User { email: u.email.clone(), password: u.password.clone(), client_id: org.clients[u.client.unwrap()].id.clone() }
}

fn pkce(t: &TestSim, persona: &str, mode: PkceMode, cache: Option<TokenCache>, opener: Arc<dyn Opener>) -> Session {
    let u = user(&t.org, persona);
    let settings = PkceSettings { client_id: u.client_id, redirect_port: 0, mode, cache };
    Session::new(t.client(), AuthMethod::Pkce(settings)).with_opener(opener)
}

fn browser(t: &TestSim, persona: &str) -> Arc<PersonaBrowser> {
    let u = user(&t.org, persona);
    Arc::new(PersonaBrowser::new(&u.email, &u.password))
}

/// Counts how often the sign-in page was opened, and opens it with `inner` if given.
struct CountingOpener {
    opened: AtomicUsize,
    inner: Option<Arc<PersonaBrowser>>,
    /// The browser signs in the first time only (then the person has walked away).
    only_first: bool,
}

impl CountingOpener {
    fn none() -> Arc<CountingOpener> {
        Arc::new(CountingOpener { opened: AtomicUsize::new(0), inner: None, only_first: false })
    }

    fn with(b: Arc<PersonaBrowser>) -> Arc<CountingOpener> {
        Arc::new(CountingOpener { opened: AtomicUsize::new(0), inner: Some(b), only_first: false })
    }
}

impl Opener for CountingOpener {
    fn open(&self, url: &str) -> Result<(), String> {
        let n = self.opened.fetch_add(1, Ordering::SeqCst);
        match &self.inner {
            Some(b) if n == 0 || !self.only_first => b.open(url),
            // A browser that opened but where nobody signs in.
            Some(_) => Ok(()),
            None => Err("no browser in this test".into()),
        }
    }
}

async fn wait_for_prompt(session: &Session) -> SignInPrompt {
    let mut rx = session.status();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let AuthPhase::AwaitingUser(p) = &rx.borrow_and_update().phase {
                return (**p).clone();
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("the flow asks the user")
}

/// Start the sign-in in the background and wait until it asks the user: the prompt, and the
/// sign-in's eventual outcome.
async fn begin(session: &Arc<Session>) -> (SignInPrompt, tokio::task::JoinHandle<Result<Arc<Token>, ApiError>>) {
    let waiting = tokio::spawn({
        let s = session.clone();
        async move { s.token().await }
    });
    (wait_for_prompt(session).await, waiting)
}

/// Sign in on the sim's page as `persona` and return where the browser is sent (not followed).
async fn login_redirect(t: &TestSim, authorize_url: &str, persona: &str) -> String {
    let u = user(&t.org, persona);
    let url = Url::parse(authorize_url).unwrap();
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.extend([("username".into(), u.email), ("password".into(), u.password), ("consent".into(), "allow".into())]);
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    resp.headers()["location"].to_str().unwrap().to_string()
}

fn user_tokens_issued(t: &TestSim) -> usize {
    t.sim.shared.tokens.lock().unwrap().records().filter(|(_, r)| matches!(r.subject, Subject::User { .. })).count()
}

fn org_with_lifetime(client_name: &str, secs: u64) -> Org {
    let mut org = Org::demo();
    let c = org.clients.iter_mut().find(|c| c.name == client_name).unwrap();
    c.token_lifetime_secs = secs;
    org
}

#[tokio::test]
async fn pkce_through_the_loopback_signs_the_user_in() {
    let t = start_sim().await;
    let session = pkce(&t, "supervisor", PkceMode::Loopback, None, browser(&t, "supervisor"));
    let token = session.token().await.unwrap();
    assert_eq!(token.grant, Grant::AuthorizationCode);
    assert!(token.refresh.is_some(), "the code grant comes with a refresh token");
    let status = session.status().borrow().clone();
    assert_eq!(status.phase, AuthPhase::SignedIn);
    assert_eq!(status.sign_ins, 1);
    // The token works and is the supervisor's.
    let (queues, _) = queries::list_queues(&session).await.unwrap();
    assert_eq!(queues.len(), t.org.queues.len());
    let report = qtop::genesys::token::inspect(&session).await.unwrap();
    let me = report.user.unwrap().unwrap();
    assert_eq!(me.email.as_deref(), Some("sam.supervisor@acme.example"));
}

#[tokio::test]
async fn pkce_in_paste_mode_takes_the_address_the_browser_ended_on() {
    let t = start_sim().await;
    let opener = CountingOpener::none();
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Paste, None, opener.clone()));
    let (prompt, waiting) = begin(&session).await;
    assert!(prompt.accepts_paste && prompt.listening.is_none(), "{prompt:?}");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 0, "paste mode opens no browser");
    let location = login_redirect(&t, &prompt.authorize_url, "supervisor").await;
    assert!(location.starts_with("http://127.0.0.1:") && location.contains("/callback?code="), "{location}");

    // Something unusable first: the flow says why and keeps waiting.
    session.paste(Secret::new("http://127.0.0.1:8085/callback?state=only"));
    let mut rx = session.status();
    let problem = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let AuthPhase::AwaitingUser(p) = &rx.borrow_and_update().phase
                && let Some(problem) = &p.paste_problem
            {
                return problem.clone();
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .unwrap();
    assert!(problem.contains("code="), "{problem}");

    session.paste(Secret::new(location));
    let token = waiting.await.unwrap().unwrap();
    assert_eq!(token.grant, Grant::AuthorizationCode);
    assert!(queries::list_queues(&session).await.is_ok());
}

#[tokio::test]
async fn a_refused_pasted_code_keeps_the_prompt_open() {
    let t = start_sim().await;
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Paste, None, Arc::new(NoBrowser)));
    let (prompt, waiting) = begin(&session).await;
    session.paste(Secret::new("ThisIsNotARealCodeButLongEnough"));
    let mut rx = session.status();
    let problem = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if let AuthPhase::AwaitingUser(p) = &rx.borrow_and_update().phase
                && let Some(problem) = &p.paste_problem
            {
                return problem.clone();
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("still waiting, with a reason");
    assert!(problem.contains("refused that code") && problem.contains("invalid_grant"), "{problem}");
    // The same sign-in address gives a new code for the same verifier.
    let location = login_redirect(&t, &prompt.authorize_url, "supervisor").await;
    session.paste(Secret::new(location));
    assert!(waiting.await.unwrap().is_ok());
}

#[tokio::test]
async fn a_bare_pasted_code_is_accepted() {
    let t = start_sim().await;
    let session = Arc::new(pkce(&t, "agent", PkceMode::Paste, None, Arc::new(NoBrowser)));
    let (prompt, waiting) = begin(&session).await;
    let location = login_redirect(&t, &prompt.authorize_url, "agent").await;
    let code = Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    session.paste(Secret::new(code));
    assert!(waiting.await.unwrap().is_ok());
}

#[tokio::test]
async fn a_wrong_state_is_refused_and_nothing_is_exchanged() {
    let t = start_sim().await;
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Paste, None, Arc::new(NoBrowser)));
    let (prompt, waiting) = begin(&session).await;
    let location = login_redirect(&t, &prompt.authorize_url, "supervisor").await;
    let mut url = Url::parse(&location).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .map(|(k, v)| if k == "state" { (k, "forged-state".to_string()) } else { (k, v) })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    session.paste(Secret::new(url.to_string()));
    let err = waiting.await.unwrap().unwrap_err();
    assert!(matches!(&err.kind, ErrorKind::SignIn { detail } if detail.contains("state does not match")), "{err}");
    assert_eq!(user_tokens_issued(&t), 0, "the code was never exchanged");
    assert!(matches!(session.status().borrow().phase, AuthPhase::Failed(_)));
    // The failed flow does not restart by itself: only the user (a) starts another.
    let again = session.token().await.unwrap_err();
    assert_eq!(user_tokens_issued(&t), 0);
    assert!(again.summary().contains("sign-in"), "{again}");
}

#[tokio::test]
async fn the_loopback_listener_refuses_a_wrong_state_and_tells_the_browser() {
    let t = start_sim().await;
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Loopback, None, Arc::new(NoBrowser)));
    let (prompt, waiting) = begin(&session).await;
    let listening = prompt.listening.clone().expect("loopback mode listens");
    let location = login_redirect(&t, &prompt.authorize_url, "supervisor").await;
    assert!(location.starts_with(&listening), "{location} vs {listening}");
    let forged = location.replace("state=", "state=x");
    let page = common::http().get(&forged).send().await.unwrap();
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("state does not match"));
    assert!(waiting.await.unwrap().is_err());
    assert_eq!(user_tokens_issued(&t), 0);
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_with_invalid_grant_and_burns_the_code() {
    let t = start_sim().await;
    let u = user(&t.org, "supervisor");
    let attempt = Attempt::new(loopback_redirect(41234));
    let url = attempt.authorize_url(t.client().hosts(), &u.client_id);
    let location = login_redirect(&t, url.as_str(), "supervisor").await;
    let code = Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let code = Secret::new(code);
    let wrong = Attempt::new(loopback_redirect(41234)).verifier;
    let err = exchange_code(&t.client(), &u.client_id, &code, &wrong, &attempt.redirect_uri).await.unwrap_err();
    match &err.kind {
        ErrorKind::OAuth { status: 400, body: Some(b), .. } => {
            assert_eq!(b.error, "invalid_grant");
            assert!(b.text().contains("code_verifier"), "{}", b.text());
        }
        other => panic!("{other:?}"),
    }
    // The right verifier is too late now: the code was presented once.
    let err = exchange_code(&t.client(), &u.client_id, &code, &attempt.verifier, &attempt.redirect_uri).await;
    assert_eq!(err.unwrap_err().code(), Some("invalid_grant"));
    let shown = format!("{err:?}", err = exchange_code(&t.client(), &u.client_id, &code, &wrong, "x").await);
    assert!(!shown.contains(code.expose()) && !shown.contains(wrong.expose()), "{shown}");
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_what_it_bought() {
    let t = start_sim().await;
    let u = user(&t.org, "supervisor");
    let attempt = Attempt::new(loopback_redirect(41234));
    let url = attempt.authorize_url(t.client().hosts(), &u.client_id);
    let location = login_redirect(&t, url.as_str(), "supervisor").await;
    let code = Secret::new(Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1);
    let first =
        exchange_code(&t.client(), &u.client_id, &code, &attempt.verifier, &attempt.redirect_uri).await.unwrap();
    let replay = exchange_code(&t.client(), &u.client_id, &code, &attempt.verifier, &attempt.redirect_uri).await;
    assert_eq!(replay.unwrap_err().code(), Some("invalid_grant"));
    let req = qtop::genesys::client::Request::new(qtop::genesys::catalog::EndpointId::TokensMe);
    let e = t.client().send::<serde_json::Value>(&req, qtop::genesys::client::Auth::Bearer(&first.access)).await;
    assert_eq!(e.unwrap_err().status(), Some(401), "the replay revoked the first exchange's token");
    let r = refresh_token(&t.client(), &u.client_id, first.refresh.as_ref().unwrap()).await;
    assert_eq!(r.unwrap_err().code(), Some("invalid_grant"));
}

#[tokio::test]
async fn user_tokens_are_refreshed_before_expiry_without_anyone_asking() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 3)).await;
    let session = Arc::new(
        pkce(&t, "supervisor", PkceMode::Loopback, None, browser(&t, "supervisor"))
            .with_renew_margin(Duration::from_secs(2)),
    );
    let first = session.token().await.unwrap();
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    // Renewal is due a third of the lifetime before expiry (1 s before): wait past it, not past expiry.
    tokio::time::sleep(Duration::from_millis(2600)).await;
    let status = session.status().borrow().clone();
    keep_alive.abort();
    let facts = status.token.unwrap();
    assert_ne!(facts.fingerprint, first.access.fingerprint(), "a new token");
    assert_eq!(facts.source, TokenSource::Refresh);
    assert!(facts.obtained_at < first.expires_at.unwrap(), "renewed before the old one expired");
    assert_eq!(status.renewal.last_ok.as_ref().map(|(_, s)| s.clone()), Some(TokenSource::Refresh));
    assert_eq!(status.sign_ins, 2);
    // Refresh tokens rotate: the first one is spent.
    let u = user(&t.org, "supervisor");
    let reuse = refresh_token(&t.client(), &u.client_id, first.refresh.as_ref().unwrap()).await;
    assert_eq!(reuse.unwrap_err().code(), Some("invalid_grant"));
    assert!(queries::list_queues(&session).await.is_ok());
}

#[tokio::test]
async fn a_refreshed_token_is_not_described_again() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 3)).await;
    let session = Arc::new(
        pkce(&t, "supervisor", PkceMode::Loopback, None, browser(&t, "supervisor"))
            .with_renew_margin(Duration::from_secs(2)),
    );
    session.token().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let tasks = [
        tokio::spawn(qtop::auth_tasks::keep_alive(session.clone())),
        tokio::spawn(qtop::auth_tasks::report_tokens(session.clone(), tx)),
    ];
    tokio::time::sleep(Duration::from_millis(2600)).await;
    tasks.iter().for_each(|t| t.abort());
    assert_eq!(session.status().borrow().token.as_ref().unwrap().source, TokenSource::Refresh, "it was refreshed");
    let mut reports = 0;
    while let Ok(ev) = rx.try_recv() {
        reports += matches!(ev, qtop::event::Event::Monitor(qtop::event::MonitorEvent::TokenReport(_))) as usize;
    }
    assert_eq!(reports, 1, "the first token is described; its refresh is the same user and scopes");
}

#[tokio::test]
async fn a_revoked_refresh_token_falls_back_to_a_full_sign_in() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 3)).await;
    let opener = CountingOpener::with(browser(&t, "supervisor"));
    let session =
        pkce(&t, "supervisor", PkceMode::Loopback, None, opener.clone()).with_renew_margin(Duration::from_secs(2));
    let first = session.token().await.unwrap();
    assert_eq!(opener.opened.load(Ordering::SeqCst), 1);
    assert_eq!(t.sim.shared.grants.lock().unwrap().revoke_refresh(|_| true), 1);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let second = session.token().await.unwrap();
    assert_ne!(second.access, first.access);
    assert_eq!(second.source, TokenSource::SignIn, "not a refresh: a new sign-in");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 2, "the browser was needed again");
}

#[tokio::test]
async fn a_revoked_refresh_token_with_nobody_at_the_keyboard_tries_the_browser_once() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 3)).await;
    let opener = Arc::new(CountingOpener {
        opened: AtomicUsize::new(0),
        inner: Some(browser(&t, "supervisor")),
        only_first: true,
    });
    let session = pkce(&t, "supervisor", PkceMode::Loopback, None, opener.clone())
        .with_renew_margin(Duration::from_secs(2))
        .with_flow_timeout(Duration::from_millis(300));
    let first = session.token().await.unwrap();
    t.sim.shared.grants.lock().unwrap().revoke_refresh(|_| true);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    // Due, refresh refused, the browser flow finds nobody: the still-valid token carries on.
    let still = session.token().await.unwrap();
    assert_eq!(still.access, first.access);
    let status = session.status().borrow().clone();
    assert_eq!(status.phase, AuthPhase::SignedIn);
    let (_, why) = status.renewal.last_failure.expect("the failed renewal is reported");
    assert!(why.contains("sign-in"), "{why}");
    // Past expiry: an error, and no new browser window however often qtop asks.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for _ in 0..5 {
        assert!(session.token().await.is_err());
    }
    assert_eq!(opener.opened.load(Ordering::SeqCst), 2, "one sign-in, one fallback attempt, no loop");
}

#[tokio::test]
async fn client_credentials_are_re_requested_before_expiry() {
    let t = start_sim_with(org_with_lifetime("qtop wallboard", 3)).await;
    let (id, secret) = t.persona_client("wallboard");
    let session = Arc::new(
        Session::new(t.client(), AuthMethod::ClientCredentials { client_id: id, secret })
            .with_renew_margin(Duration::from_secs(2)),
    );
    let first = session.token().await.unwrap();
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    tokio::time::sleep(Duration::from_millis(2600)).await;
    keep_alive.abort();
    let facts = session.status().borrow().token.clone().unwrap();
    assert_ne!(facts.fingerprint, first.access.fingerprint());
    assert_eq!(facts.source, TokenSource::Reissue);
    assert!(facts.obtained_at < first.expires_at.unwrap());
}

#[tokio::test]
async fn a_401_earns_one_reauth_and_one_retry_never_a_loop() {
    use axum::Router;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    // A server that signs anyone in and then refuses every token.
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = issued.clone();
    let app = Router::new()
        .route(
            "/oauth/token",
            post(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    axum::Json(serde_json::json!({"access_token": format!("t{n}"), "token_type": "bearer", "expires_in": 3600}))
                }
            }),
        )
        .route(
            "/api/v2/routing/queues",
            get(|| async {
                (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"message": "Invalid login credentials.", "code": "bad.credentials", "status": 401})))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let hosts = qtop::genesys::regions::override_hosts(&base, None).unwrap();
    let client = qtop::genesys::client::Client::new(hosts, Default::default());
    let session =
        Session::new(client, AuthMethod::ClientCredentials { client_id: "c".into(), secret: Secret::new("s") });
    let err = queries::list_queues(&session).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(issued.load(Ordering::SeqCst), 2, "the first sign-in and exactly one re-auth");
    let _ = queries::list_queues(&session).await;
    assert_eq!(issued.load(Ordering::SeqCst), 3, "each call re-authenticates at most once");
}

#[tokio::test]
async fn a_provided_token_works_cannot_be_renewed_and_says_so() {
    let t = start_sim().await;
    let (id, secret) = t.persona_client("wallboard");
    let made = client_credentials(&t.client(), &id, &secret).await.unwrap();
    let before = t.sim.shared.tokens.lock().unwrap().records().count();
    let provided = ProvidedToken::from_env(made.access.expose());
    assert_eq!(provided.expires_at, None, "an opaque token tells nothing about its expiry");
    let session = Session::new(t.client(), AuthMethod::Token(provided));
    assert!(queries::list_queues(&session).await.is_ok());
    let facts = session.status().borrow().token.clone().unwrap();
    assert!(!facts.renewable);
    assert_eq!(facts.source, TokenSource::Env);
    t.sim.shared.tokens.lock().unwrap().revoke(made.access.expose());
    let err = queries::list_queues(&session).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(t.sim.shared.tokens.lock().unwrap().records().count(), before, "no token was requested");
    match &session.status().borrow().phase {
        AuthPhase::Failed(why) => assert!(why.contains("cannot be renewed"), "{why}"),
        other => panic!("{other:?}"),
    }
    let again = session.reauthenticate().await.unwrap_err();
    assert!(again.summary().contains("cannot be renewed"), "{again}");
}

#[cfg(unix)]
#[tokio::test]
async fn a_token_file_is_read_again_on_reauth() {
    use std::os::unix::fs::PermissionsExt;
    let t = start_sim().await;
    let (id, secret) = t.persona_client("wallboard");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let write = |token: &str| {
        std::fs::write(&path, format!(r#"{{"access_token":"{token}","token_type":"bearer","expires_in":600}}"#))
            .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    };
    let one = client_credentials(&t.client(), &id, &secret).await.unwrap();
    write(one.access.expose());
    let provided = ProvidedToken::from_file(&path).unwrap();
    assert!(provided.expires_at.is_some(), "a token response in the file dates the token");
    let session = Session::new(t.client(), AuthMethod::Token(provided));
    assert_eq!(session.token().await.unwrap().access, one.access);
    let two = client_credentials(&t.client(), &id, &secret).await.unwrap();
    write(two.access.expose());
    assert_eq!(session.reauthenticate().await.unwrap().access, two.access);
    // A refused token that the file still holds is reported, not retried forever.
    t.sim.shared.tokens.lock().unwrap().revoke(two.access.expose());
    let err = queries::list_queues(&session).await.unwrap_err();
    assert!(err.summary().contains("still holds it"), "{err}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_cache_is_private_keeps_no_client_secret_and_spares_the_browser() {
    use std::os::unix::fs::PermissionsExt;
    let t = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "supervisor");
    let cache = TokenCache::new(dir.path(), "sim", &u.client_id);
    let session = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), browser(&t, "supervisor"));
    let token = session.token().await.unwrap();
    let mode = std::fs::metadata(&cache.path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let text = std::fs::read_to_string(&cache.path).unwrap();
    for c in &t.org.clients {
        assert!(!text.contains(&c.secret), "the cache holds a client secret");
    }
    for u in &t.org.users {
        assert!(!text.contains(&u.password));
    }
    assert!(
        text.contains(token.refresh.as_ref().unwrap().expose()),
        "the refresh token is what makes the cache useful"
    );

    // A second start: no browser, the cached token is used as it is.
    let opener = CountingOpener::none();
    let again = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), opener.clone());
    let cached = again.token().await.unwrap();
    assert_eq!(cached.source, TokenSource::Cache);
    assert_eq!(cached.access, token.access);
    assert_eq!(opener.opened.load(Ordering::SeqCst), 0);
    assert!(queries::list_queues(&again).await.is_ok());
}

#[cfg(unix)]
#[tokio::test]
async fn an_expired_cached_token_is_refreshed_not_signed_in_again() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 2)).await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "supervisor");
    let cache = TokenCache::new(dir.path(), "sim", &u.client_id);
    let first = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), browser(&t, "supervisor"));
    let token = first.token().await.unwrap();
    drop(first);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let opener = CountingOpener::none();
    let second = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), opener.clone());
    let fresh = second.token().await.unwrap();
    assert_eq!(fresh.source, TokenSource::Refresh);
    assert_ne!(fresh.access, token.access);
    assert_eq!(opener.opened.load(Ordering::SeqCst), 0);
    assert_eq!(cache.load().unwrap().access, fresh.access, "the cache follows the refresh");
}

#[cfg(unix)]
#[tokio::test]
async fn qtop_logout_revokes_the_cached_token_and_deletes_the_file() {
    let t = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "supervisor");
    let base = t.sim.base_url();
    let label = qtop::genesys::regions::override_hosts(&base, None).unwrap().label;
    let cache = TokenCache::new(dir.path(), &label, &u.client_id);
    let session = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), browser(&t, "supervisor"));
    let token = session.token().await.unwrap();
    let config = dir.path().join("qtop.toml");
    std::fs::write(
        &config,
        format!(
            "[org]\nbase_url = \"{base}\"\n[auth]\nmethod = \"pkce\"\nclient_id = \"{}\"\ncache_dir = \"{}\"\n",
            u.client_id,
            dir.path().display()
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_qtop"))
        .args(["logout", "--config", config.to_str().unwrap()])
        .env_remove("GENESYSCLOUD_ACCESS_TOKEN")
        .env_remove("GENESYSCLOUD_OAUTHCLIENT_ID")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("revoked the cached token"), "{stdout}");
    assert!(!cache.path.exists());
    assert!(!stdout.contains(token.access.expose()));
    let req = qtop::genesys::client::Request::new(qtop::genesys::catalog::EndpointId::TokensMe);
    let e = t.client().send::<serde_json::Value>(&req, qtop::genesys::client::Auth::Bearer(&token.access)).await;
    assert_eq!(e.unwrap_err().status(), Some(401), "DELETE /api/v2/tokens/me revoked it");
}
