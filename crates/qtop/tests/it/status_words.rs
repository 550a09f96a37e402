//! The header's status word names the real cause, end to end: qtop's monitor against the
//! simulator (or against nothing at all), its events fed into a real `App`, the header drawn.
//! One row per cause a user meets before any number arrives; the mapping itself is unit-tested
//! in `app::health` for every cause.

use crate::common;

use std::sync::Arc;
use std::time::Duration;

use common::watch::{self, Watch};
use common::{TestSim, start_sim_with_faults};
use genesys::auth::{AuthMethod, Session};
use genesys::client::{Client, ClientOptions};
use genesys::regions;
use genesys::secret::Secret;
use qtop::app::{App, Health};
use qtop::diagnose::Cause;
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const REFRESH: Duration = Duration::from_millis(200);
const WAIT: Duration = Duration::from_secs(10);

fn header(app: &App, width: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(width, 24)).unwrap();
    let mut app = app.clone();
    app.update(qtop::event::Event::Resize(width, 24));
    term.draw(|f| {
        ui::draw(f, &app);
    })
    .unwrap();
    term.backend().to_string().lines().next().unwrap_or_default().to_string()
}

/// A session against `base` that no server answers the way qtop hopes.
fn unreachable_session(base: &str) -> Arc<Session> {
    let hosts = regions::override_hosts(base, None).unwrap();
    let client =
        Client::new(hosts, ClientOptions { timeout: Duration::from_secs(2), connect_timeout: Duration::from_secs(2) });
    let method = AuthMethod::ClientCredentials { client_id: "c".into(), secret: Secret::new("s") };
    Arc::new(Session::new(client, method))
}

fn problem(a: &App) -> Option<(Cause, String)> {
    match a.health() {
        Health::Retrying { problem, .. } | Health::Failing(problem) => Some((problem.cause, problem.detail)),
        _ => None,
    }
}

#[tokio::test]
async fn a_refused_queue_list_says_refused_and_names_the_permission_not_reconnecting() {
    let t: TestSim = start_sim_with_faults().await;
    let on = json!({"fault": "role-removed", "client": "wallboard", "role": "Queue Wallboard"});
    let resp = common::http().post(t.url("/sim/faults")).json(&on).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let mut w = Watch::start(t.session("wallboard"), t.org.timezone.clone(), REFRESH, watch::tuning());
    assert!(w.until(WAIT, |a| problem(a).is_some()).await, "{:?}", w.app.health());
    let (cause, detail) = problem(&w.app).unwrap();
    assert_eq!(cause, Cause::MissingPermission);
    assert!(detail.contains("routing:queue:view"), "{detail}");
    let line = header(&w.app, 200);
    assert!(line.contains("● Refused: missing permission routing:queue:view"), "{line}");
    assert!(!line.contains("Reconnecting"), "{line}");
    w.stop().await;
}

#[tokio::test]
async fn a_closed_port_says_network_and_names_the_host() {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    let mut w =
        Watch::start(unreachable_session("http://127.0.0.1:1"), jiff::tz::TimeZone::UTC, REFRESH, watch::tuning());
    assert!(w.until(WAIT, |a| problem(a).is_some()).await, "{:?}", w.app.health());
    let (cause, detail) = problem(&w.app).unwrap();
    assert_eq!(cause, Cause::Network);
    assert_eq!(detail, "cannot reach 127.0.0.1: connection refused");
    let line = header(&w.app, 200);
    assert!(line.contains("● Network: cannot reach 127.0.0.1: connection refused"), "{line}");
    assert!(
        !line.contains("Auth failed") && !line.contains("Sign-in"),
        "a network fault is not a sign-in refusal: {line}"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_name_that_does_not_resolve_says_network_dns() {
    // `.invalid` never resolves (RFC 6761): the resolver answers at once.
    let mut w = Watch::start(
        unreachable_session("http://qtop-test.invalid:8080"),
        jiff::tz::TimeZone::UTC,
        REFRESH,
        watch::tuning(),
    );
    assert!(w.until(WAIT, |a| problem(a).is_some()).await, "{:?}", w.app.health());
    let (cause, detail) = problem(&w.app).unwrap();
    assert_eq!((cause, detail.as_str()), (Cause::Network, "cannot reach qtop-test.invalid: DNS lookup failed"));
    let line = header(&w.app, 200);
    assert!(line.contains("● Network: cannot reach qtop-test.invalid: DNS lookup failed"), "{line}");
    w.stop().await;
}

#[tokio::test]
async fn a_token_that_sees_no_queues_says_no_queues_and_why() {
    let t: TestSim = common::start_sim().await;
    let session = t.session("home-division");
    // Ask for queues of a division this client cannot see: the list answers, with none of them.
    let mut w = Watch::start_selecting(
        session,
        t.org.timezone.clone(),
        REFRESH,
        watch::tuning(),
        vec![genesys::queries::Selector::parse("Billing*").unwrap()],
    );
    assert!(w.until(WAIT, |a| matches!(a.health(), Health::NoQueues(_))).await, "{:?}", w.app.health());
    let line = header(&w.app, 200);
    assert!(line.contains("● No queues: the queue asked for is not visible to this token"), "{line}");
    assert!(line.contains("1 hidden"), "{line}");
    assert!(header(&w.app, 80).contains("1 hidden"), "counted at every size");
    w.stop().await;
}
