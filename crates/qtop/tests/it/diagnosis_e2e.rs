//! Each under-privileged persona, end to end over HTTP: the error log row and `doctor` name
//! the exact missing item.

use crate::common;

use std::time::Duration;

use common::start_sim;
use genesys::auth::Grant;
use genesys::regions;
use qtop::app::App;
use qtop::config::Config;
use qtop::diagnose::Cause;
use qtop::doctor::{self, Status};
use qtop::event::Command;
use qtop::monitor::Monitor;
use tokio::sync::mpsc;

fn config_for(t: &common::TestSim, s: &genesys::auth::Session) -> Config {
    Config {
        hosts: regions::override_hosts(&t.sim.base_url(), None).unwrap(),
        timezone: jiff::tz::TimeZone::UTC,
        auth: s.method().clone(),
        refresh: Duration::from_secs(1),
        totals_refresh: Duration::from_secs(30),
        queues: vec![],
        live_source: qtop::config::SourceMode::Poll,
        ascii: false,
        color: false,
        source: None,
        ui: Default::default(),
    }
}

/// Run the real monitor against the sim until the app has logged an error.
async fn first_logged_error(t: &common::TestSim, persona: &str) -> App {
    let session = t.session(persona);
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: session.clone(),
        refresh: Duration::from_secs(1),
        totals_refresh: Duration::from_secs(30),
        timezone: jiff::tz::TimeZone::UTC,
        selectors: vec![],
        events: ev_tx,
    };
    let task = tokio::spawn(monitor.run(cmd_rx));
    let mut app = App::new("sim".into(), Grant::ClientCredentials, Duration::from_secs(1), jiff::Timestamp::now());
    app.knowledge.client_id = session.method().client_id().map(String::from);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.errors.is_empty() {
        let ev = tokio::time::timeout_at(deadline, ev_rx.recv())
            .await
            .expect("an error within 10 s")
            .expect("monitor alive");
        app.update(ev);
    }
    let _ = cmd_tx.send(Command::Quit).await;
    let _ = task.await;
    app
}

#[tokio::test]
async fn no_observations_persona_error_log_names_the_permission() {
    let t = start_sim().await;
    let app = first_logged_error(&t, "no-observations").await;
    let e = app.errors.get(0).unwrap();
    assert_eq!(e.status(), Some(403));
    assert_eq!(e.diagnosis.cause, Cause::MissingPermission);
    assert_eq!(e.diagnosis.missing, ["analytics:queueObservation:view"]);
    assert!(
        e.diagnosis.fix.contains("add a role with analytics:queueObservation:view to OAuth client"),
        "{}",
        e.diagnosis.fix
    );
    // The queue list still loaded: the client has routing:queue:view.
    assert_eq!(app.queues.len(), t.org.queues.len());
}

#[tokio::test]
async fn doctor_fails_the_observation_probe_for_the_same_persona() {
    let t = start_sim().await;
    let session = t.session("no-observations");
    let report = doctor::run(&config_for(&t, &session), &session).await;
    assert_eq!(report.exit_code(), 1);
    let obs = report.checks.iter().find(|c| c.name == "observations").unwrap();
    assert_eq!(obs.status, Status::Fail);
    let roles = report.checks.iter().find(|c| c.name == "roles").unwrap();
    assert!(roles.detail.contains("missing analytics:queueObservation:view"), "{}", roles.detail);
    assert!(obs.diagnosis.as_ref().unwrap().fix.contains("OAuth client 'qtop reporting (no observations)'"));
    assert_eq!(obs.diagnosis.as_ref().unwrap().missing, ["analytics:queueObservation:view"]);
    let text = doctor::render(&report, false);
    assert!(text.contains("✗ observations") && text.contains("missing      analytics:queueObservation:view"), "{text}");
    // ASCII marks are two wide: the name keeps its space and the lines under it line up.
    let ascii = doctor::render_width(&report, true, Some(100));
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("XX observations 403"), "{ascii}");
    assert!(ascii.contains("\n   missing      analytics:queueObservation:view"), "{ascii}");
    assert!(ascii.lines().all(|l| l.chars().count() <= 100), "{ascii}");
    for c in report.checks.iter().filter(|c| c.name != "observations" && c.name != "roles") {
        assert_ne!(c.status, Status::Fail, "{} should pass: {}", c.name, c.detail);
    }
}

#[tokio::test]
async fn doctor_passes_for_the_wallboard() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let report = doctor::run(&config_for(&t, &session), &session).await;
    assert_eq!(report.exit_code(), 0);
    for c in &report.checks {
        assert_eq!(c.status, Status::Ok, "{}: {}", c.name, c.detail);
    }
    let token = report.checks.iter().find(|c| c.name == "token").unwrap();
    assert!(token.detail.contains("OAuth client 'qtop wallboard'"), "{}", token.detail);
}

#[tokio::test]
async fn doctor_names_the_hidden_divisions() {
    let t = start_sim().await;
    let session = t.session("home-division");
    let report = doctor::run(&config_for(&t, &session), &session).await;
    assert_eq!(report.exit_code(), 0);
    let queues = report.checks.iter().find(|c| c.name == "queues").unwrap();
    assert!(queues.detail.contains("Home only") && queues.detail.contains("Finance"), "{}", queues.detail);
}

#[tokio::test]
async fn doctor_reports_a_wrong_secret_as_a_refused_sign_in() {
    let t = start_sim().await;
    let (id, _) = t.persona_client("wallboard");
    let session = std::sync::Arc::new(genesys::auth::Session::new(
        t.client(),
        genesys::auth::AuthMethod::ClientCredentials { client_id: id, secret: genesys::secret::Secret::new("nope") },
    ));
    let report = doctor::run(&config_for(&t, &session), &session).await;
    assert_eq!(report.exit_code(), 1);
    let c = report.checks.iter().find(|c| c.name == "sign-in").unwrap();
    assert_eq!(c.diagnosis.as_ref().unwrap().cause, Cause::BadClientCredentials);
    assert!(report.checks.iter().filter(|c| c.status == Status::Skip).count() >= 3);
}

#[tokio::test]
async fn doctor_reports_an_expired_provided_token_without_sending_it() {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let exp = jiff::Timestamp::now().as_second() - 60;
    let jwt = format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64(&format!(r#"{{"sub":"x","exp":{exp}}}"#)));
    let t = start_sim().await;
    let session = std::sync::Arc::new(genesys::auth::Session::new(
        t.client(),
        genesys::auth::AuthMethod::Token(genesys::auth::ProvidedToken::from_env(&jwt)),
    ));
    let report = doctor::run(&config_for(&t, &session), &session).await;
    assert_eq!(report.exit_code(), 1, "{}", doctor::render(&report, true));
    let c = report.checks.iter().find(|c| c.name == "sign-in").unwrap();
    let d = c.diagnosis.as_ref().unwrap();
    assert_eq!(d.cause, Cause::TokenExpired, "{d:#?}");
    assert!(d.fix.contains("fresh one") || d.fix.contains("new token"), "{}", d.fix);
    assert!(c.detail.contains("not sent") && c.detail.contains("start qtop with a new token"), "{}", c.detail);
    let sent = t.sim.shared.requests.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(sent, 1, "only the region probe (no token) reached the sim");
}

#[tokio::test]
async fn doctor_cannot_run_without_a_server() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let config = config_for(&t, &session);
    t.sim.stop().await;
    let report = doctor::run(&config, &session).await;
    assert_eq!(report.exit_code(), 2);
    assert_eq!(report.checks.iter().find(|c| c.name == "region").unwrap().status, Status::Fail);
}

#[tokio::test]
async fn a_queue_hidden_by_division_is_a_warning_that_names_the_divisions() {
    let t = start_sim().await;
    let session = t.session("home-division");
    let (ev_tx, mut ev_rx) = mpsc::channel(256);
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let selectors = vec![genesys::queries::Selector::parse("Billing*").unwrap()];
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: session.clone(),
        refresh: Duration::from_secs(1),
        totals_refresh: Duration::from_secs(30),
        timezone: jiff::tz::TimeZone::UTC,
        selectors,
        events: ev_tx,
    };
    let task = tokio::spawn(monitor.run(cmd_rx));
    let mut app = App::new("sim".into(), Grant::ClientCredentials, Duration::from_secs(1), jiff::Timestamp::now());
    // What the token pane learns about the token (the TUI gets it from auth_tasks).
    let report = genesys::token::inspect(&session).await.unwrap();
    app.update(qtop::event::Event::Monitor(qtop::event::MonitorEvent::TokenReport(Box::new(report))));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app.queues_loaded {
        let ev = tokio::time::timeout_at(deadline, ev_rx.recv()).await.expect("queues within 10 s").unwrap();
        app.update(ev);
    }
    let _ = cmd_tx.send(Command::Quit).await;
    let _ = task.await;
    assert!(app.queues.is_empty(), "Billing & Payments is in Finance: hidden");
    let w = app.errors.iter().find(|e| e.severity == qtop::app::Severity::Warning).expect("a warning");
    assert_eq!(w.diagnosis.cause, Cause::Division);
    assert!(
        w.diagnosis.summary.contains("'Billing*'") && w.diagnosis.summary.contains("Finance"),
        "{}",
        w.diagnosis.summary
    );
    assert!(w.diagnosis.fix.contains("OAuth client 'qtop home wallboard'"), "{}", w.diagnosis.fix);
}
