//! The fault matrix: qtop's real monitor and app against the simulator, one test per fault.
//! Each switches the fault on, checks what the header says (the status word and why), what
//! the error log holds (with the diagnosis' cause), that qtop does not hammer, then switches
//! it off and checks that the table recovers by itself.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::watch::{self, Watch};
use common::{TestSim, start_sim_extras};
use genesys::auth::{AuthMethod, Session};
use genesys::client::{Client, ClientOptions};
use genesys::regions;
use jiff::Timestamp;
use qtop::app::{App, Health, Severity};
use qtop::diagnose::Cause;
use qtop::event::{Activity, LiveSource};
use serde_json::{Value, json};
use sim::SimExtras;
use sim::faults::FaultKind;
use sim::org::Org;

const REFRESH: Duration = Duration::from_millis(200);
/// Generous liveness bound: recovery is by backoff timers of at most a second here.
const RECOVER: Duration = Duration::from_secs(10);
const OBSERVATIONS: &str = "/api/v2/analytics/queues/observations";

/// A simulator with faults switchable and a rate limit high enough for a 200 ms refresh (the
/// budget tests set their own).
async fn sim() -> TestSim {
    start_sim_extras(Org::demo(), SimExtras { faults: true, rate_limit: Some(60_000), ..Default::default() }).await
}

async fn fault_on(t: &TestSim, body: Value) {
    let resp = common::http().post(t.url("/sim/faults")).json(&body).send().await.unwrap();
    assert_eq!(resp.status(), 201, "{body}");
}

async fn faults_off(t: &TestSim) {
    let resp = common::http().delete(t.url("/sim/faults")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
}

/// Requests a fault has hit so far.
fn hits(t: &TestSim, kind: FaultKind) -> u64 {
    t.sim.shared.faults.lock().unwrap().active.iter().filter(|f| f.kind == kind).map(|f| f.hits).sum()
}

fn live(a: &App) -> bool {
    a.health() == Health::Live && a.queues_loaded && !a.queues.is_empty()
}

/// Live, with every row's numbers younger than a second: the table has recovered.
fn fresh(a: &App) -> bool {
    live(a) && a.queues.iter().all(|r| r.age(a.now).is_some_and(|age| age < Duration::from_secs(1)))
}

fn reconnecting(a: &App) -> bool {
    matches!(a.health(), Health::Retrying { .. })
}

/// The header's status word while retrying: it names the cause.
fn why(a: &App) -> String {
    match a.health() {
        h @ Health::Retrying { .. } => h.word().to_string(),
        other => format!("{other:?}"),
    }
}

/// The newest error-log entry of `activity`, with its cause.
fn entry(a: &App, activity: Activity) -> Option<(Severity, Cause, Option<u16>, u32)> {
    a.errors.iter().find(|e| e.activity == activity).map(|e| (e.severity, e.diagnosis.cause, e.status(), e.count))
}

/// Wait (bounded) until more token reports than `n` came in.
async fn reports_above(w: &mut Watch, n: usize) -> bool {
    for _ in 0..100 {
        if w.reports > n {
            return true;
        }
        w.run_for(Duration::from_millis(100)).await;
    }
    false
}

async fn watching(t: &TestSim, persona: &str) -> Watch {
    let mut w = Watch::start(t.session(persona), t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(RECOVER, fresh).await, "never live: {:?}", w.app.health());
    w
}

#[tokio::test]
async fn latency_makes_the_numbers_stale_and_they_come_back() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    fault_on(&t, json!({"fault": "latency", "ms": 1500, "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, |a| matches!(a.health(), Health::Stale { .. })).await, "{:?}", w.app.health());
    assert!(w.app.skipped_ticks > 0, "a slow batch is never asked twice at once");
    assert!(w.app.errors.is_empty(), "slow is not an error: {:?}", w.app.errors.get(0).map(|e| &e.diagnosis.summary));
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    w.stop().await;
}

#[tokio::test]
async fn a_timeout_is_a_network_problem_retried_with_backoff() {
    let t = sim().await;
    let hosts = regions::override_hosts(&t.sim.base_url(), None).unwrap();
    let client = Client::new(
        hosts,
        ClientOptions { timeout: Duration::from_millis(600), connect_timeout: Duration::from_millis(600) },
    );
    let (client_id, secret) = t.persona_client("wallboard");
    let session = Arc::new(Session::new(client, AuthMethod::ClientCredentials { client_id, secret }));
    let mut w = Watch::start(session, t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(RECOVER, fresh).await);
    fault_on(&t, json!({"fault": "latency", "ms": 1500, "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, reconnecting).await, "{:?}", w.app.health());
    assert_eq!(why(&w.app), "Network");
    let (sev, cause, status, _) = entry(&w.app, Activity::Observations).expect("logged");
    assert_eq!((sev, cause, status), (Severity::Error, Cause::Network, None));
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    w.stop().await;
}

#[tokio::test]
async fn server_errors_back_off_and_count_attempts_then_recover() {
    let t = sim().await;
    let mut tuning = watch::tuning();
    tuning.backoff_cap = Duration::from_millis(1600);
    let mut w = Watch::start(t.session("wallboard"), t.org.timezone.clone(), REFRESH, tuning);
    assert!(w.until(RECOVER, fresh).await);
    fault_on(&t, json!({"fault": "errors", "status": 503, "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, reconnecting).await);
    assert_eq!(why(&w.app), "Server error");
    assert!(
        w.until(RECOVER, |a| matches!(a.health(), Health::Retrying { attempt, .. } if attempt >= 3)).await,
        "attempts are counted"
    );
    w.run_for(Duration::from_secs(3)).await;
    // The regular schedule would have asked 15 times in 3 s; backoff asks a handful.
    let asked = hits(&t, FaultKind::Errors);
    assert!(asked <= 12, "{asked} requests while the server failed");
    let (_, cause, status, count) = entry(&w.app, Activity::Observations).unwrap();
    assert_eq!((cause, status), (Cause::Unavailable, Some(503)));
    assert_eq!(count as u64, asked, "every failure is in the log, folded into one row");
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    assert!(w.app.retries.is_empty());
    w.stop().await;
}

#[tokio::test]
async fn retry_after_is_honoured_to_the_second() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    fault_on(&t, json!({"fault": "unavailable", "retry_after": 2, "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, reconnecting).await);
    let Health::Retrying { next, .. } = w.app.health() else { unreachable!() };
    let wait = next.duration_since(Timestamp::now()).as_secs_f64();
    assert!((1.0..=2.1).contains(&wait), "retry in {wait}s, Retry-After said 2");
    let asked = hits(&t, FaultKind::Unavailable);
    w.run_for(Duration::from_millis(1200)).await;
    assert_eq!(hits(&t, FaultKind::Unavailable), asked, "nothing sent before Retry-After");
    assert_eq!(entry(&w.app, Activity::Observations).unwrap().1, Cause::Unavailable);
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    w.stop().await;
}

#[tokio::test]
async fn connection_resets_reconnect() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    fault_on(&t, json!({"fault": "reset", "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, reconnecting).await);
    assert_eq!(why(&w.app), "Network");
    assert_eq!(entry(&w.app, Activity::Observations).unwrap().1, Cause::Network);
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    w.stop().await;
}

#[tokio::test]
async fn dropped_notification_sockets_stay_down_for_the_fault_then_stream_again() {
    let t = sim().await;
    let mut tuning = watch::tuning();
    tuning.stream.backoff_base = Duration::from_millis(100);
    tuning.stream.backoff_cap = Duration::from_millis(400);
    let session = t.session("wallboard");
    let observations = || {
        let stats = session.client().stats().snapshot();
        stats.iter().filter(|(e, ..)| *e == genesys::catalog::EndpointId::QueueObservations).map(|s| s.2).sum::<u64>()
    };
    let mut w = Watch::start_source(
        session.clone(),
        t.org.timezone.clone(),
        REFRESH,
        REFRESH * 3,
        tuning,
        qtop::config::SourceMode::Stream,
    );
    let streaming = |a: &App| a.live_source == Some(LiveSource::Stream);
    assert!(w.until(RECOVER, |a| streaming(a) && fresh(a)).await, "{:?}", w.app.live_source);
    let notifications = &t.sim.shared.notifications;
    let (opened, channels) = (notifications.sockets_opened(), notifications.channels_opened());
    let queried = observations();
    // Counted over 2 s of a 3-s fault, so no socket can have come back inside the window.
    fault_on(&t, json!({"fault": "socket-drop", "for": "3s"})).await;
    assert!(w.until(RECOVER, |a| a.live_source == Some(LiveSource::StreamReconnecting)).await);
    // While the fault lasts every new socket is closed at once: each try backs off further
    // (100, 200, 400 ms, …), it does not reopen and resync as fast as it can.
    w.run_for(Duration::from_secs(2)).await;
    let tries = notifications.sockets_opened() - opened;
    assert!((2..=10).contains(&tries), "{tries} sockets opened during 2 s of dropped sockets");
    // Reconnects reuse the channel; only sockets that keep closing unheard (three in a row)
    // make qtop take the channel for gone and open another.
    let new_channels = notifications.channels_opened() - channels;
    assert!(new_channels <= tries / 3, "{new_channels} channels for {tries} sockets");
    // A socket closed as it opens proved nothing: no resync query is spent on it (one may
    // still be the first socket's, answered after the count was taken; each try used to cost one).
    let spent = observations() - queried;
    assert!(spent <= 1, "{spent} observation queries for {tries} sockets that never carried anything");
    // After it the stream is back.
    assert!(w.until(RECOVER, streaming).await, "{:?}", w.app.live_source);
    w.stop().await;
}

#[tokio::test]
async fn truncated_bodies_are_unreadable_and_retried() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    fault_on(&t, json!({"fault": "truncate", "path": OBSERVATIONS})).await;
    assert!(w.until(RECOVER, reconnecting).await);
    assert_eq!(why(&w.app), "Bad answer");
    let (_, cause, status, _) = entry(&w.app, Activity::Observations).unwrap();
    assert_eq!((cause, status), (Cause::Unreadable, Some(200)));
    // The last good numbers stay on screen, marked old.
    assert!(w.app.queues.iter().all(|r| r.numbers.is_some()));
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    w.stop().await;
}

#[tokio::test]
async fn a_revoked_token_costs_one_sign_in_and_no_gap() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    let before = w.app.auth.sign_ins;
    fault_on(&t, json!({"fault": "revoke"})).await;
    assert!(w.until(RECOVER, |a| a.auth.sign_ins > before).await, "signed in again");
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    assert!(
        w.app.errors.iter().all(|e| e.status() != Some(401)),
        "the 401 was answered by one re-authentication and a retry, not shown"
    );
    w.run_for(Duration::from_millis(600)).await;
    assert_eq!(w.app.health(), Health::Live);
    w.stop().await;
}

#[tokio::test]
async fn a_role_taken_mid_run_refuses_then_access_restored_is_logged() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    let reports = w.reports;
    fault_on(&t, json!({"fault": "role-removed", "client": "wallboard", "role": "Queue Wallboard"})).await;
    assert!(w.until(RECOVER, |a| matches!(a.health(), Health::Failing(_))).await, "{:?}", w.app.health());
    let Health::Failing(problem) = w.app.health() else { unreachable!() };
    assert_eq!((problem.word(), problem.cause), ("Refused", Cause::MissingPermission));
    assert!(problem.detail.contains("analytics:queueObservation:view"), "{}", problem.detail);
    let (sev, cause, status, _) = entry(&w.app, Activity::Observations).unwrap();
    assert_eq!((sev, cause, status), (Severity::Error, Cause::MissingPermission, Some(403)));
    assert!(reports_above(&mut w, reports).await, "the token pane is asked again when access changes");
    faults_off(&t).await;
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    let restored = w.app.errors.iter().find(|e| e.severity == Severity::Info).expect("access restored entry");
    assert!(restored.diagnosis.summary.starts_with("access restored"), "{}", restored.diagnosis.summary);
    w.stop().await;
}

#[tokio::test]
async fn a_permission_taken_mid_run_blanks_the_totals_only() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    assert!(w.until(RECOVER, |a| a.queues.iter().all(|r| r.today.is_some())).await);
    fault_on(&t, json!({"fault": "permission-removed"})).await;
    assert!(w.until(RECOVER, |a| a.queues.iter().all(|r| r.today.is_none())).await);
    let (_, cause, status, _) = entry(&w.app, Activity::Totals).unwrap();
    assert_eq!((cause, status), (Cause::MissingAnyPermission, Some(403)));
    assert!(fresh(&w.app), "live numbers carry on: {:?}", w.app.health());
    faults_off(&t).await;
    assert!(w.until(RECOVER, |a| a.queues.iter().all(|r| r.today.is_some())).await);
    let restored = w.app.errors.iter().find(|e| e.severity == Severity::Info).expect("access restored entry");
    assert_eq!(restored.activity, Activity::Totals);
    assert!(reports_above(&mut w, 1).await, "the token pane was asked again on each change ({})", w.reports);
    w.stop().await;
}

#[tokio::test]
async fn a_queue_moved_out_of_reach_leaves_the_table_and_comes_back() {
    let t = sim().await;
    let mut w = watching(&t, "home-division").await;
    let has = |a: &App| a.queues.iter().any(|r| r.info.name == "Sales - Upgrades");
    assert!(has(&w.app));
    fault_on(&t, json!({"fault": "queue-moved", "queue": "Sales - Upgrades", "division": "Finance"})).await;
    assert!(w.until(RECOVER, |a| !has(a)).await, "the queue list no longer has it");
    assert!(fresh(&w.app), "{:?}", w.app.health());
    faults_off(&t).await;
    assert!(w.until(RECOVER, |a| has(a) && fresh(a)).await);
    w.stop().await;
}

#[tokio::test]
async fn a_skewed_server_clock_changes_nothing_on_screen() {
    let t = sim().await;
    let mut w = watching(&t, "wallboard").await;
    assert!(w.until(RECOVER, |a| a.queues.iter().all(|r| r.today.is_some())).await);
    fault_on(&t, json!({"fault": "clock-skew", "seconds": -43200})).await;
    let since = Timestamp::now();
    assert!(w.until(RECOVER, |a| a.queues.iter().all(|r| r.today_at.is_some_and(|at| at > since))).await);
    assert!(fresh(&w.app) && w.app.errors.is_empty(), "{:?}", w.app.errors.get(0).map(|e| &e.diagnosis.summary));
    assert!(w.app.queues.iter().any(|r| r.today.as_ref().is_some_and(|t| t.offered > 0)), "the server's today");
    faults_off(&t).await;
    w.run_for(Duration::from_millis(800)).await;
    assert!(fresh(&w.app));
    w.stop().await;
}

#[tokio::test]
async fn a_lower_limit_is_learned_from_the_headers_and_never_exceeded() {
    let t = start_sim_extras(Org::demo(), SimExtras { faults: true, ..Default::default() }).await;
    fault_on(&t, json!({"fault": "rate-limit", "per_minute": 30})).await;
    let mut tuning = watch::tuning();
    tuning.relist_every = Duration::from_secs(300);
    // Asked for five rounds a second: 300 a minute, ten times what this token may send.
    let mut w = Watch::start(t.session("wallboard"), t.org.timezone.clone(), REFRESH, tuning);
    assert!(w.until(RECOVER, |a| a.plan.as_ref().is_some_and(|p| p.allowed == 30)).await);
    let plan = w.app.plan.clone().unwrap();
    assert!(plan.live_every >= Duration::from_secs(2), "{plan:?}");
    assert!(plan.short.as_deref().is_some_and(|s| s.starts_with("live every")), "{plan:?}");
    assert!(w.until(RECOVER, live).await, "{:?}", w.app.health());
    w.run_for(Duration::from_secs(4)).await;
    let stats = t.sim.shared.limiter.lock().unwrap().stats();
    assert_eq!(stats.refused, 0, "no 429: {stats:?}");
    assert!(stats.max_per_minute <= 30, "{stats:?}");
    assert_eq!(w.app.budget.map(|b| b.allowed), Some(30));
    assert!(live(&w.app), "live at the stretched pace: {:?}", w.app.health());
    faults_off(&t).await;
    // Back to 300 a minute: still too few for 200 ms rounds, but five times the pace.
    assert!(w.until(RECOVER, |a| a.plan.as_ref().is_some_and(|p| p.allowed == 300)).await);
    assert!(w.app.plan.as_ref().unwrap().live_every < plan.live_every);
    assert!(w.until(RECOVER, live).await);
    let stats = t.sim.shared.limiter.lock().unwrap().stats();
    assert_eq!(stats.refused, 0, "{stats:?}");
    w.stop().await;
}

/// A simulator whose per-token window is four seconds, so a `Retry-After` is seconds.
async fn short_windows() -> TestSim {
    let t =
        start_sim_extras(Org::demo(), SimExtras { faults: true, rate_limit: Some(600), ..Default::default() }).await;
    t.sim.shared.limiter.lock().unwrap().window = Duration::from_secs(4);
    t
}

/// Requests qtop can have in flight at once here: one batch of live numbers, one of totals,
/// the queue list and a token inspection. Each may meet the same 429 before the first answer
/// holds the rest.
const IN_FLIGHT: usize = 4;

/// Another program with the same token spends the whole allowance at once (an explicit
/// hand-off with the simulator: racing a second client against qtop's polling made it
/// undecidable whether qtop met a 429 or held itself first, and on which poller). Whatever
/// qtop sends next — live numbers, totals or the queue list — meets the 429.
#[tokio::test]
async fn a_429_holds_every_request_until_retry_after_then_resumes() {
    let t = short_windows().await;
    let session = t.session("wallboard");
    let mut w = Watch::start(session.clone(), t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(RECOVER, fresh).await);
    let token = session.token().await.unwrap();
    let token = token.access.expose().to_string();
    let window_end = {
        let mut limiter = t.sim.shared.limiter.lock().unwrap();
        limiter.spend(&token, 600);
        limiter.window_end(&token).unwrap()
    };
    assert!(w.until(RECOVER, |a| matches!(a.health(), Health::RateLimited { .. })).await, "{:?}", w.app.health());
    // The 429 is in the log, diagnosed, on whichever poller met it first.
    let met = w.app.errors.iter().find(|e| e.status() == Some(429)).expect("the 429 is logged");
    assert_eq!(met.diagnosis.cause, Cause::RateLimited);
    assert!(
        [Activity::Observations, Activity::Totals, Activity::QueueList].contains(&met.activity),
        "{:?}",
        met.activity
    );
    assert!(w.until(RECOVER, fresh).await, "resumes by itself: {:?}", w.app.health());
    // The server's account: the 429s came at once (requests already in flight when the first
    // was answered), then nothing until the window its Retry-After named was over.
    let arrivals = t.sim.shared.limiter.lock().unwrap().arrivals(&token);
    let refused: Vec<_> = arrivals.iter().filter(|(_, r)| *r).map(|(at, _)| *at).collect();
    assert!((1..=IN_FLIGHT).contains(&refused.len()), "qtop met {} 429s: it did not hammer", refused.len());
    // A second is plenty for requests sent before the first 429 came back to arrive.
    let in_flight_until = refused[0] + Duration::from_secs(1);
    let during_hold: Vec<_> = arrivals
        .iter()
        .filter(|(at, _)| *at > in_flight_until && *at < window_end)
        .map(|(at, _)| *at - refused[0])
        .collect();
    assert!(during_hold.is_empty(), "sent during the Retry-After (after the first 429): {during_hold:?}");
    // Every 429 qtop met is in the log: a row per poller that met one, counted.
    let logged: u32 = w.app.errors.iter().filter(|e| e.status() == Some(429)).map(|e| e.count).sum();
    assert_eq!(logged as usize, refused.len());
    w.stop().await;
}

/// The other legal order: qtop learns from a response's `inin-ratelimit-count` that the
/// token is nearly spent before any request is refused. Polling then waits for the window to
/// reset without meeting a 429, the header says rate limited, and the log says why — another
/// program — since no refusal would.
#[tokio::test]
async fn a_token_spent_by_another_program_holds_polling_before_any_429() {
    let t = short_windows().await;
    let session = t.session("wallboard");
    let mut w = Watch::start(session.clone(), t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(RECOVER, fresh).await);
    let token = session.token().await.unwrap();
    let token = token.access.expose().to_string();
    // Polling never takes the last tenth (60); this leaves the reserve with room for the
    // IN_FLIGHT requests that may already be on their way and the queue list.
    t.sim.shared.limiter.lock().unwrap().spend(&token, 600 - 60 - 2 * IN_FLIGHT as u32);
    assert!(w.until(RECOVER, |a| matches!(a.health(), Health::RateLimited { .. })).await, "{:?}", w.app.health());
    let warned = w.app.errors.iter().find(|e| e.severity == Severity::Warning).expect("the log says why");
    assert_eq!(warned.diagnosis.cause, Cause::RateLimited);
    assert!(warned.diagnosis.summary.starts_with("another program"), "{}", warned.diagnosis.summary);
    assert!(w.until(RECOVER, fresh).await, "resumes by itself: {:?}", w.app.health());
    assert_eq!(t.sim.shared.limiter.lock().unwrap().stats().refused, 0, "held itself: no 429");
    assert!(w.app.errors.iter().all(|e| e.status().is_none()), "nothing was refused");
    w.stop().await;
}

/// A browser that signs the supervisor in the first time it is opened; later the person has
/// walked away (the prompt must wait for them without holding up the screen).
struct FirstTimeBrowser {
    inner: qtop::demo::PersonaBrowser,
    opened: std::sync::atomic::AtomicUsize,
}

impl genesys::browser::Opener for FirstTimeBrowser {
    fn open(&self, url: &str) -> Result<(), String> {
        if self.opened.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 { self.inner.open(url) } else { Ok(()) }
    }
}

#[tokio::test]
async fn a_revoked_user_token_asks_the_user_without_stopping_the_screen() {
    use genesys::auth::{AuthPhase, PkceMode, PkceSettings};
    use sim::org::Persona;
    let t = sim().await;
    let Some(Persona::User(u)) = t.org.persona("supervisor") else { panic!("no supervisor") };
    let user = t.org.users[u].clone();
    let client_id = t.org.clients[user.client.unwrap()].id.clone();
    let browser = Arc::new(FirstTimeBrowser {
        inner: qtop::demo::PersonaBrowser::new(&user.email, &user.password),
        opened: Default::default(),
    });
    let settings = PkceSettings { client_id, redirect_port: 0, mode: PkceMode::Loopback, cache: None, secret: None };
    let session = Arc::new(Session::new(t.client(), AuthMethod::Pkce(settings)).with_opener(browser));
    let mut w = Watch::start(session, t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    // The access token and the refresh token both revoked: only the person can help.
    t.sim.shared.grants.lock().unwrap().revoke_refresh(|_| true);
    fault_on(&t, json!({"fault": "revoke"})).await;
    assert!(w.until(RECOVER, |a| matches!(a.auth.phase, AuthPhase::AwaitingUser(_))).await, "{:?}", w.app.auth.phase);
    // The screen keeps going: the clock ticks, the old numbers stay and turn stale, the
    // header says why.
    assert!(
        w.until(RECOVER, |a| matches!(a.health(), Health::Failing(p) if p.cause == Cause::SignInIncomplete)).await,
        "{:?}",
        w.app.health()
    );
    assert!(w.app.queues.iter().all(|r| r.numbers.is_some()), "last good data stays on screen");
    let AuthPhase::AwaitingUser(prompt) = w.app.auth.phase.clone() else { unreachable!() };
    // The supervisor comes back and signs in in the browser.
    let url = reqwest::Url::parse(&prompt.authorize_url).unwrap();
    let mut form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    form.extend([("username".into(), user.email.clone()), ("password".into(), user.password.clone())]);
    form.push(("consent".into(), "allow".into()));
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = http.post(t.url("/oauth/authorize")).form(&form).send().await.unwrap();
    let back = resp.headers()["location"].to_str().unwrap().to_string();
    let callback = tokio::spawn(async move { reqwest::get(back).await.map(|r| r.status().as_u16()) });
    assert!(w.until(RECOVER, fresh).await, "{:?}", w.app.health());
    assert_eq!(w.app.auth.phase, AuthPhase::SignedIn);
    assert_eq!(callback.await.unwrap().unwrap(), 200);
    w.stop().await;
}
