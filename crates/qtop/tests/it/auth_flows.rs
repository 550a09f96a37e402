//! Every sign-in flow end to end against the simulator, over real HTTP: PKCE through a
//! (scripted) browser and through a pasted address, the checks that must refuse (wrong
//! verifier, wrong state, revoked refresh token), renewal before expiry (a confidential
//! client refreshes; a public one never does and asks the person early), one re-auth per 401,
//! provided tokens that end (no request after), the token cache and `qtop logout`.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::watch::{self, Watch};
use common::{TestSim, start_sim, start_sim_with};
use genesys::auth::{
    AuthMethod, AuthPhase, AuthStatus, Grant, PkceMode, PkceSettings, ProvidedToken, Session, SessionKind,
    SignInPrompt, Token, TokenSource, client_credentials, exchange_code, refresh_token,
};
use genesys::browser::{NoBrowser, Opener};
use genesys::client::{ApiError, ErrorKind};
use genesys::pkce::{Attempt, loopback_redirect};
use genesys::queries;
use genesys::secret::Secret;
use genesys::token_cache::TokenCache;
use qtop::app::Health;
use qtop::demo::PersonaBrowser;
use reqwest::Url;
use sim::authz::Subject;
use sim::org::{Org, Persona};

struct User {
    email: String,
    password: String,
    client_id: String,
    /// The client's secret when it is confidential (qtop is then given it).
    secret: Option<Secret>,
}

fn user(org: &Org, persona: &str) -> User {
    let Some(Persona::User(u)) = org.persona(persona) else { panic!("no user persona {persona}") };
    let u = &org.users[u];
    let client = &org.clients[u.client.unwrap()];
    User {
        email: u.email.clone(),
        password: u.password.clone(),
        client_id: client.id.clone(),
        secret: (!client.is_public()).then(|| Secret::new(client.secret.clone())),
    }
}

/// A code-grant session as `persona`: public for `supervisor`, confidential for `confidential`.
fn pkce(t: &TestSim, persona: &str, mode: PkceMode, cache: Option<TokenCache>, opener: Arc<dyn Opener>) -> Session {
    let u = user(&t.org, persona);
    let settings = PkceSettings { client_id: u.client_id, redirect_port: 0, mode, cache, secret: u.secret };
    Session::new(t.client(), AuthMethod::Pkce(settings)).with_opener(opener)
}

fn refresh_requests(t: &TestSim) -> usize {
    t.sim.shared.grants.lock().unwrap().refresh_requests
}

fn requests(t: &TestSim) -> u64 {
    t.sim.shared.requests.load(Ordering::SeqCst)
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

/// A browser whose person signs in only once told to (they come back to the keyboard).
struct PersonAway {
    inner: Arc<PersonaBrowser>,
    back: AtomicBool,
    opened: AtomicUsize,
}

impl PersonAway {
    fn new(inner: Arc<PersonaBrowser>) -> Arc<PersonAway> {
        Arc::new(PersonAway { inner, back: AtomicBool::new(false), opened: AtomicUsize::new(0) })
    }
}

impl Opener for PersonAway {
    fn open(&self, url: &str) -> Result<(), String> {
        let first = self.opened.fetch_add(1, Ordering::SeqCst) == 0;
        if first || self.back.load(Ordering::SeqCst) { self.inner.open(url) } else { Ok(()) }
    }
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

/// Wait until the session's status satisfies `cond`; false when `within` passes first.
async fn wait_status(session: &Session, within: Duration, cond: impl Fn(&AuthStatus) -> bool) -> bool {
    let mut rx = session.status();
    tokio::time::timeout(within, async {
        loop {
            if cond(&rx.borrow_and_update()) {
                return;
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .is_ok()
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
    assert!(token.refresh.is_some(), "the answer may carry a refresh token even for a public client");
    let status = session.status().borrow().clone();
    assert_eq!(status.phase, AuthPhase::SignedIn);
    assert_eq!(status.sign_ins, 1);
    assert_eq!(status.kind, SessionKind::PublicCode);
    assert!(!status.token.unwrap().renewable, "a public session does not renew by itself");
    // The token works and is the supervisor's.
    let (queues, _) = queries::list_queues(&session).await.unwrap();
    assert_eq!(queues.len(), t.org.queues.len());
    let report = genesys::token::inspect(&session).await.unwrap();
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
    let err = exchange_code(&t.client(), &u.client_id, None, &code, &wrong, &attempt.redirect_uri).await.unwrap_err();
    match &err.kind {
        ErrorKind::OAuth { status: 400, body: Some(b), .. } => {
            assert_eq!(b.error, "invalid_grant");
            assert!(b.text().contains("code_verifier"), "{}", b.text());
        }
        other => panic!("{other:?}"),
    }
    // The right verifier is too late now: the code was presented once.
    let err = exchange_code(&t.client(), &u.client_id, None, &code, &attempt.verifier, &attempt.redirect_uri).await;
    assert_eq!(err.unwrap_err().code(), Some("invalid_grant"));
    let shown = format!("{err:?}", err = exchange_code(&t.client(), &u.client_id, None, &code, &wrong, "x").await);
    assert!(!shown.contains(code.expose()) && !shown.contains(wrong.expose()), "{shown}");
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_what_it_bought() {
    let t = start_sim().await;
    // A confidential client: its refresh token is worth revoking.
    let u = user(&t.org, "confidential");
    let secret = u.secret.as_ref();
    let attempt = Attempt::new(loopback_redirect(41234));
    let url = attempt.authorize_url(t.client().hosts(), &u.client_id);
    let location = login_redirect(&t, url.as_str(), "confidential").await;
    let code = Secret::new(Url::parse(&location).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1);
    let first = exchange_code(&t.client(), &u.client_id, secret, &code, &attempt.verifier, &attempt.redirect_uri)
        .await
        .unwrap();
    let replay =
        exchange_code(&t.client(), &u.client_id, secret, &code, &attempt.verifier, &attempt.redirect_uri).await;
    assert_eq!(replay.unwrap_err().code(), Some("invalid_grant"));
    let req = genesys::client::Request::new(genesys::catalog::EndpointId::TokensMe);
    let e = t.client().send::<serde_json::Value>(&req, genesys::client::Auth::Bearer(&first.access)).await;
    assert_eq!(e.unwrap_err().status(), Some(401), "the replay revoked the first exchange's token");
    let r = refresh_token(&t.client(), &u.client_id, secret.unwrap(), first.refresh.as_ref().unwrap()).await;
    assert_eq!(r.unwrap_err().code(), Some("invalid_grant"));
}

#[tokio::test]
async fn a_confidential_client_refreshes_silently_before_expiry() {
    let t = start_sim_with(org_with_lifetime("qtop cli (confidential)", 3)).await;
    let opener = CountingOpener::with(browser(&t, "confidential"));
    let session = Arc::new(
        pkce(&t, "confidential", PkceMode::Loopback, None, opener.clone()).with_renew_margin(Duration::from_secs(2)),
    );
    let first = session.token().await.unwrap();
    assert_eq!(session.status().borrow().kind, SessionKind::ConfidentialCode);
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    let mut rx = session.status();
    let prompted = tokio::spawn(async move {
        loop {
            if matches!(rx.borrow_and_update().phase, AuthPhase::AwaitingUser(_)) {
                return true;
            }
            if rx.changed().await.is_err() {
                return false;
            }
        }
    });
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
    assert_eq!(refresh_requests(&t), 1, "one refresh (with the secret: the sim refuses it without)");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 1, "silent: no sign-in page after the first");
    prompted.abort();
    assert!(!prompted.await.unwrap_or(false), "no prompt was shown");
    // Refresh tokens rotate: the first one is spent.
    let u = user(&t.org, "confidential");
    let reuse =
        refresh_token(&t.client(), &u.client_id, u.secret.as_ref().unwrap(), first.refresh.as_ref().unwrap()).await;
    assert_eq!(reuse.unwrap_err().code(), Some("invalid_grant"));
    assert!(queries::list_queues(&session).await.is_ok());
}

#[tokio::test]
async fn a_public_client_never_refreshes_and_asks_the_person_before_the_session_ends() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 5)).await;
    let opener = CountingOpener::with(browser(&t, "supervisor"));
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Loopback, None, opener.clone()));
    let first = session.token().await.unwrap();
    assert!(first.refresh.is_some(), "the sim sends a refresh token anyway");
    let facts = session.status().borrow().token.clone().unwrap();
    // A fifth of a short lifetime: the prompt opens 1 s before the end.
    assert_eq!(facts.renew_at, first.expires_at.map(|e| e - jiff::SignedDuration::from_secs(1)));
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    // Calls before the prompt use the token and renew nothing.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(queries::list_queues(&session).await.is_ok());
    assert_eq!(opener.opened.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    let status = session.status().borrow().clone();
    keep_alive.abort();
    let facts = status.token.unwrap();
    assert_ne!(facts.fingerprint, first.access.fingerprint(), "signed in again");
    assert_eq!(facts.source, TokenSource::SignIn, "a new sign-in, not a refresh");
    assert!(facts.obtained_at < first.expires_at.unwrap(), "before the first session ended");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 2, "the sign-in page, opened early");
    assert_eq!(refresh_requests(&t), 0, "a public client never offers its refresh token");
    assert_eq!(status.phase, AuthPhase::SignedIn);
}

#[tokio::test]
async fn a_refreshed_token_is_not_described_again() {
    let t = start_sim_with(org_with_lifetime("qtop cli (confidential)", 3)).await;
    let session = Arc::new(
        pkce(&t, "confidential", PkceMode::Loopback, None, browser(&t, "confidential"))
            .with_renew_margin(Duration::from_secs(2)),
    );
    session.token().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let tasks = [
        tokio::spawn(qtop::auth_tasks::keep_alive(session.clone())),
        tokio::spawn(qtop::auth_tasks::report_tokens(session.clone(), tx)),
    ];
    tokio::time::sleep(Duration::from_millis(2600)).await;
    tasks.iter().for_each(tokio::task::JoinHandle::abort);
    assert_eq!(session.status().borrow().token.as_ref().unwrap().source, TokenSource::Refresh, "it was refreshed");
    let mut reports = 0;
    while let Ok(ev) = rx.try_recv() {
        reports += matches!(ev, qtop::event::Event::Monitor(qtop::event::MonitorEvent::TokenReport(_))) as usize;
    }
    assert_eq!(reports, 1, "the first token is described; its refresh is the same user and scopes");
}

#[tokio::test]
async fn a_revoked_refresh_token_falls_back_to_a_full_sign_in() {
    let t = start_sim_with(org_with_lifetime("qtop cli (confidential)", 3)).await;
    let opener = CountingOpener::with(browser(&t, "confidential"));
    let session = Arc::new(
        pkce(&t, "confidential", PkceMode::Loopback, None, opener.clone()).with_renew_margin(Duration::from_secs(2)),
    );
    let first = session.token().await.unwrap();
    assert_eq!(opener.opened.load(Ordering::SeqCst), 1);
    assert_eq!(t.sim.shared.grants.lock().unwrap().revoke_refresh(|_| true), 1);
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    assert!(wait_status(&session, Duration::from_secs(5), |s| s.sign_ins == 2).await, "signed in again");
    let second = session.token().await.unwrap();
    keep_alive.abort();
    assert_ne!(second.access, first.access);
    assert_eq!(second.source, TokenSource::SignIn, "not a refresh: a new sign-in");
    assert!(second.obtained_at < first.expires_at.unwrap(), "early, while the first token worked");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 2, "the browser was needed again");
}

#[tokio::test]
async fn a_revoked_refresh_token_with_nobody_at_the_keyboard_tries_the_browser_once_then_ends() {
    let t = start_sim_with(org_with_lifetime("qtop cli (confidential)", 3)).await;
    let opener = Arc::new(CountingOpener {
        opened: AtomicUsize::new(0),
        inner: Some(browser(&t, "confidential")),
        only_first: true,
    });
    let session = Arc::new(
        pkce(&t, "confidential", PkceMode::Loopback, None, opener.clone()).with_renew_margin(Duration::from_secs(2)),
    );
    let first = session.token().await.unwrap();
    t.sim.shared.grants.lock().unwrap().revoke_refresh(|_| true);
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    // Due, refresh refused, the prompt is open and nobody answers: the token carries on.
    let prompt = |s: &AuthStatus| matches!(s.phase, AuthPhase::AwaitingUser(_));
    assert!(wait_status(&session, Duration::from_secs(3), prompt).await, "the prompt opens early");
    let still = session.token().await.unwrap();
    assert_eq!(still.access, first.access);
    let status = session.status().borrow().clone();
    let (_, why) = status.renewal.last_failure.expect("the refused refresh is reported");
    assert!(why.contains("refresh refused") && why.contains("invalid_grant"), "{why}");
    // Past expiry: the prompt closes, the session has ended, and nothing is sent.
    let ended = |s: &AuthStatus| s.phase == AuthPhase::Expired("press a to sign in again".into());
    assert!(wait_status(&session, Duration::from_secs(5), ended).await, "{:?}", session.status().borrow().phase);
    let sent = requests(&t);
    for _ in 0..5 {
        let e = queries::list_queues(&session).await.unwrap_err();
        assert!(genesys::auth::is_session_ended(&e), "{e}");
    }
    keep_alive.abort();
    assert_eq!(requests(&t), sent, "no request after the session ended");
    assert_eq!(opener.opened.load(Ordering::SeqCst), 2, "one sign-in, one early prompt, no loop");
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
    let hosts = genesys::regions::override_hosts(&base, None).unwrap();
    let client = genesys::client::Client::new(hosts, Default::default());
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
    let status = session.status().borrow().clone();
    assert_eq!(status.kind, SessionKind::Provided);
    let facts = status.token.unwrap();
    assert!(!facts.renewable);
    assert_eq!(facts.source, TokenSource::Env);
    t.sim.shared.tokens.lock().unwrap().revoke(made.access.expose());
    let err = queries::list_queues(&session).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.meta.is_some(), "the first refusal is the server's own answer");
    assert_eq!(t.sim.shared.tokens.lock().unwrap().records().count(), before, "no token was requested");
    assert_eq!(session.status().borrow().phase, AuthPhase::Expired("start qtop with a new token".into()));
    let sent = requests(&t);
    let again = session.reauthenticate().await.unwrap_err();
    assert!(genesys::auth::is_session_ended(&again), "{again}");
    assert!(queries::list_queues(&session).await.is_err());
    assert_eq!(requests(&t), sent, "nothing sent once it ended");
}

/// A monitor on the simulator with the TUI's background tasks: keep-alive, and `a` carried out.
fn watch_with_keep_alive(t: &TestSim, session: Arc<Session>) -> (Watch, tokio::task::JoinHandle<()>) {
    let w = Watch::start(session.clone(), t.org.timezone.clone(), Duration::from_millis(200), watch::tuning());
    (w, tokio::spawn(qtop::auth_tasks::keep_alive(session)))
}

/// New live numbers arrive (twice, so not one already on its way) and the header says Live.
async fn flows_again(w: &mut Watch) {
    let seen = w.observation_events;
    let fresh = |w: &Watch| w.observation_events >= seen + 2 && w.app.health() == Health::Live;
    let end = tokio::time::Instant::now() + Duration::from_secs(5);
    while !fresh(w) && tokio::time::Instant::now() < end {
        w.run_for(Duration::from_millis(100)).await;
    }
    assert!(fresh(w), "numbers flow again: {} events, {:?}", w.observation_events - seen, w.app.health());
}

/// A simulator whose rate limit lets a 200 ms refresh stand (the budget would stretch it).
async fn fast_sim(org: Org) -> TestSim {
    common::start_sim_extras(org, sim::SimExtras { rate_limit: Some(60_000), ..Default::default() }).await
}

/// Requests that reach the simulator while the watch runs for `d`.
async fn sent_during(t: &TestSim, w: &mut Watch, d: Duration) -> u64 {
    let before = requests(t);
    w.run_for(d).await;
    requests(t) - before
}

#[tokio::test]
async fn an_expired_env_token_stops_the_calls_and_a_keeps_it_stopped() {
    let mut org = Org::demo();
    org.clients.iter_mut().find(|c| c.persona.as_deref() == Some("env-token")).unwrap().token_lifetime_secs = 2;
    let t = fast_sim(org).await;
    let (id, secret) = t.persona_client("env-token");
    let made = client_credentials(&t.client(), &id, &secret).await.unwrap();
    let session = Arc::new(Session::new(t.client(), AuthMethod::Token(ProvidedToken::from_env(made.access.expose()))));
    let (mut w, keep_alive) = watch_with_keep_alive(&t, session.clone());
    assert!(w.until(Duration::from_secs(5), |a| a.health() == Health::Live).await, "{:?}", w.app.health());
    // The token dies at the server (its expiry was unknown here): the first 401 ends it.
    let ended = |a: &qtop::app::App| a.auth.phase == AuthPhase::Expired("start qtop with a new token".into());
    assert!(w.until(Duration::from_secs(5), ended).await, "{:?}", w.app.auth.phase);
    w.run_for(Duration::from_millis(400)).await;
    // The header names it and what to do, with no retry countdown (nothing will be tried).
    match w.app.health() {
        Health::Failing(p) => {
            assert_eq!((p.word(), p.detail.as_str()), ("Token expired", "start qtop with a new token"));
        }
        other => panic!("the header says {other:?}"),
    }
    let retries = w.retrying_events;
    assert_eq!(sent_during(&t, &mut w, Duration::from_secs(2)).await, 0, "no request reaches the sim");
    assert_eq!(w.retrying_events, retries, "no backoff spinning");
    let last = w.app.errors.get(0).expect("the stop is in the error log");
    assert_eq!(last.diagnosis.cause, qtop::diagnose::Cause::TokenExpired, "{:?}", last.diagnosis);
    // `a`: the token is what it was, so the session stays ended, and still nothing is sent.
    let before = requests(&t);
    assert!(session.reauthenticate().await.is_err());
    w.run_for(Duration::from_millis(600)).await;
    assert!(ended(&w.app), "{:?}", w.app.auth.phase);
    assert_eq!(requests(&t), before);
    keep_alive.abort();
    w.stop().await;
}

#[cfg(unix)]
fn write_token_file(path: &std::path::Path, token: &str, expires_in: u64) {
    use std::os::unix::fs::PermissionsExt;
    let text = format!(r#"{{"access_token":"{token}","token_type":"bearer","expires_in":{expires_in}}}"#);
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_token_file_that_expires_stops_the_calls_until_the_file_is_rewritten() {
    let t = fast_sim(Org::demo()).await;
    let (id, secret) = t.persona_client("wallboard");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let one = client_credentials(&t.client(), &id, &secret).await.unwrap();
    // The file dates the token: it says 2 s (the sim would accept it longer).
    write_token_file(&path, one.access.expose(), 2);
    let session = Arc::new(Session::new(t.client(), AuthMethod::Token(ProvidedToken::from_file(&path).unwrap())));
    let (mut w, keep_alive) = watch_with_keep_alive(&t, session.clone());
    assert!(w.until(Duration::from_secs(5), |a| a.health() == Health::Live).await, "{:?}", w.app.health());
    let fix = format!("write a new token to {}", path.display());
    let ended = |a: &qtop::app::App| a.auth.phase == AuthPhase::Expired(fix.clone());
    assert!(w.until(Duration::from_secs(5), ended).await, "{:?}", w.app.auth.phase);
    w.run_for(Duration::from_millis(300)).await;
    assert_eq!(sent_during(&t, &mut w, Duration::from_secs(1)).await, 0, "no request reaches the sim");
    // `a` with the file unchanged: still ended.
    assert!(session.reauthenticate().await.is_err());
    assert!(ended(&w.app) || w.until(Duration::from_secs(1), ended).await);
    // Another tool writes the next token: qtop notices by itself and the numbers flow again.
    let two = client_credentials(&t.client(), &id, &secret).await.unwrap();
    write_token_file(&path, two.access.expose(), 600);
    assert!(w.until(Duration::from_secs(5), |a| a.auth.phase == AuthPhase::SignedIn).await, "{:?}", w.app.auth.phase);
    flows_again(&mut w).await;
    assert_eq!(session.token().await.unwrap().access, two.access);
    keep_alive.abort();
    w.stop().await;
}

#[tokio::test]
async fn a_public_session_prompts_early_while_the_table_keeps_updating_then_ends() {
    let t = fast_sim(org_with_lifetime("qtop cli", 10)).await;
    let opener = PersonAway::new(browser(&t, "supervisor"));
    let session = Arc::new(pkce(&t, "supervisor", PkceMode::Loopback, None, opener.clone()));
    let first = session.token().await.unwrap();
    let mut w = Watch::start(session.clone(), t.org.timezone.clone(), Duration::from_millis(200), watch::tuning());
    assert!(w.until(Duration::from_secs(5), |a| a.health() == Health::Live).await, "{:?}", w.app.health());
    // A fifth of 10 s before the end the session is due. The pollers meet that first: they
    // must not open the prompt themselves (and wait on a person), only keep polling.
    let due = first.expires_at.unwrap() - jiff::SignedDuration::from_secs(2);
    let past_due = Duration::try_from(due.duration_since(jiff::Timestamp::now())).unwrap() + Duration::from_millis(300);
    w.run_for(past_due).await;
    let prompt = |a: &qtop::app::App| matches!(a.auth.phase, AuthPhase::AwaitingUser(_));
    assert!(!prompt(&w.app), "a poller opened the prompt");
    // The keep-alive task opens it; nobody answers.
    let keep_alive = tokio::spawn(qtop::auth_tasks::keep_alive(session.clone()));
    assert!(w.until(Duration::from_secs(1), prompt).await, "{:?}", w.app.auth.phase);
    let seen = w.observation_events;
    w.run_for(Duration::from_millis(700)).await;
    assert!(prompt(&w.app), "still asking");
    assert!(w.observation_events > seen, "the table keeps updating under the prompt");
    assert_eq!(w.app.health(), Health::Live);
    // The session ends unanswered: qtop says so and stops calling the API.
    let ended = |a: &qtop::app::App| a.auth.phase == AuthPhase::Expired("press a to sign in again".into());
    assert!(w.until(Duration::from_secs(3), ended).await, "{:?}", w.app.auth.phase);
    w.run_for(Duration::from_millis(300)).await;
    assert_eq!(sent_during(&t, &mut w, Duration::from_secs(1)).await, 0, "no request after the end");
    assert_eq!(refresh_requests(&t), 0);
    // The person comes back and presses a: the prompt, a sign-in, numbers again.
    opener.back.store(true, Ordering::SeqCst);
    let reauth = tokio::spawn({
        let s = session.clone();
        async move { s.reauthenticate().await.map(|_| ()) }
    });
    assert!(w.until(Duration::from_secs(5), |a| a.auth.phase == AuthPhase::SignedIn).await, "{:?}", w.app.auth.phase);
    reauth.await.unwrap().unwrap();
    flows_again(&mut w).await;
    keep_alive.abort();
    w.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_token_file_is_read_again_on_reauth() {
    let t = start_sim().await;
    let (id, secret) = t.persona_client("wallboard");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("token.json");
    let one = client_credentials(&t.client(), &id, &secret).await.unwrap();
    write_token_file(&path, one.access.expose(), 600);
    let provided = ProvidedToken::from_file(&path).unwrap();
    assert!(provided.expires_at.is_some(), "a token response in the file dates the token");
    let session = Session::new(t.client(), AuthMethod::Token(provided));
    assert_eq!(session.token().await.unwrap().access, one.access);
    let two = client_credentials(&t.client(), &id, &secret).await.unwrap();
    write_token_file(&path, two.access.expose(), 600);
    assert_eq!(session.reauthenticate().await.unwrap().access, two.access);
    // A refused token that the file still holds ends the session, not a retry loop.
    t.sim.shared.tokens.lock().unwrap().revoke(two.access.expose());
    let err = queries::list_queues(&session).await.unwrap_err();
    assert_eq!(err.status(), Some(401));
    let fix = format!("write a new token to {}", path.display());
    assert_eq!(session.status().borrow().phase, AuthPhase::Expired(fix));
    let sent = requests(&t);
    assert!(genesys::auth::is_session_ended(&queries::list_queues(&session).await.unwrap_err()));
    assert_eq!(requests(&t), sent);
}

#[cfg(unix)]
#[tokio::test]
async fn the_cache_is_private_keeps_no_client_secret_and_spares_the_browser() {
    use std::os::unix::fs::PermissionsExt;
    let t = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    // A confidential client: qtop holds a secret the cache must not.
    let u = user(&t.org, "confidential");
    let cache = TokenCache::new(dir.path(), "sim", &u.client_id);
    let session = pkce(&t, "confidential", PkceMode::Loopback, Some(cache.clone()), browser(&t, "confidential"));
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
    let again = pkce(&t, "confidential", PkceMode::Loopback, Some(cache.clone()), opener.clone());
    let cached = again.token().await.unwrap();
    assert_eq!(cached.source, TokenSource::Cache);
    assert_eq!(cached.access, token.access);
    assert_eq!(opener.opened.load(Ordering::SeqCst), 0);
    assert!(queries::list_queues(&again).await.is_ok());
}

#[cfg(unix)]
#[tokio::test]
async fn an_expired_cached_token_is_refreshed_not_signed_in_again() {
    let t = start_sim_with(org_with_lifetime("qtop cli (confidential)", 2)).await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "confidential");
    let cache = TokenCache::new(dir.path(), "sim", &u.client_id);
    let first = pkce(&t, "confidential", PkceMode::Loopback, Some(cache.clone()), browser(&t, "confidential"));
    let token = first.token().await.unwrap();
    drop(first);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let opener = CountingOpener::none();
    let second = pkce(&t, "confidential", PkceMode::Loopback, Some(cache.clone()), opener.clone());
    let fresh = second.token().await.unwrap();
    assert_eq!(fresh.source, TokenSource::Refresh);
    assert_ne!(fresh.access, token.access);
    assert_eq!(opener.opened.load(Ordering::SeqCst), 0);
    assert_eq!(cache.load().unwrap().access, fresh.access, "the cache follows the refresh");
}

#[cfg(unix)]
#[tokio::test]
async fn a_public_clients_expired_cached_token_means_signing_in_again() {
    let t = start_sim_with(org_with_lifetime("qtop cli", 2)).await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "supervisor");
    let cache = TokenCache::new(dir.path(), "sim", &u.client_id);
    let first = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), browser(&t, "supervisor"));
    let token = first.token().await.unwrap();
    drop(first);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let opener = CountingOpener::with(browser(&t, "supervisor"));
    let second = pkce(&t, "supervisor", PkceMode::Loopback, Some(cache.clone()), opener.clone());
    let fresh = second.token().await.unwrap();
    assert_eq!(fresh.source, TokenSource::SignIn);
    assert_ne!(fresh.access, token.access);
    assert_eq!(opener.opened.load(Ordering::SeqCst), 1, "the browser, not the cached refresh token");
    assert_eq!(refresh_requests(&t), 0);
}

#[cfg(unix)]
#[tokio::test]
async fn qtop_logout_revokes_the_cached_token_and_deletes_the_file() {
    let t = start_sim().await;
    let dir = tempfile::tempdir().unwrap();
    let u = user(&t.org, "supervisor");
    let base = t.sim.base_url();
    let label = genesys::regions::override_hosts(&base, None).unwrap().label;
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
    let req = genesys::client::Request::new(genesys::catalog::EndpointId::TokensMe);
    let e = t.client().send::<serde_json::Value>(&req, genesys::client::Auth::Bearer(&token.access)).await;
    assert_eq!(e.unwrap_err().status(), Some(401), "DELETE /api/v2/tokens/me revoked it");
}
