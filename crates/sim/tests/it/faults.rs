//! Every fault, switched on through `/sim/faults`, does what it says to requests (as qtop's
//! client sees them), and switching it off restores normal service.

use crate::common;

use std::time::{Duration, Instant};

use common::{start_sim, start_sim_extras, start_sim_with_faults};
use genesys::aggregates;
use genesys::catalog::EndpointId;
use genesys::client::{Auth, ErrorKind, Request};
use genesys::queries;
use genesys::secret::Secret;
use serde_json::{Value, json};
use sim::SimExtras;
use sim::admin::FaultScript;
use sim::org::Org;

async fn fault_on(t: &common::TestSim, body: Value) -> Value {
    let resp = common::http().post(t.url("/sim/faults")).json(&body).send().await.unwrap();
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(status, 201, "{body} → {v}");
    v
}

async fn faults_off(t: &common::TestSim) {
    let resp = common::http().delete(t.url("/sim/faults")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = common::http().get(t.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["faults"], json!([]), "all off");
}

fn ids(t: &common::TestSim) -> Vec<String> {
    t.org.queues.iter().map(|q| q.id.clone()).collect()
}

async fn queues_request(t: &common::TestSim, token: &Secret) -> Result<serde_json::Value, genesys::client::ApiError> {
    let req = Request::new(EndpointId::RoutingQueues).query("pageSize", 100);
    t.client().send::<Value>(&req, Auth::Bearer(token)).await.map(|r| r.body)
}

#[tokio::test]
async fn the_admin_endpoint_is_off_unless_asked_for() {
    let t = start_sim().await;
    let resp = common::http().post(t.url("/sim/faults")).json(&json!({"fault": "errors"})).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn bad_fault_requests_are_refused_with_the_field_named() {
    let t = start_sim_with_faults().await;
    for (body, needle) in [
        (json!({"fault": "errors", "status": 404}), "status 404"),
        (json!({"fault": "fire"}), "fire"),
        (json!({"fault": "queue-moved", "queue": "Nowhere"}), "queue 'Nowhere'"),
    ] {
        let resp = common::http().post(t.url("/sim/faults")).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 400);
        let v: Value = resp.json().await.unwrap();
        assert!(v["message"].as_str().unwrap().contains(needle), "{v}");
        assert_eq!(v["details"][0]["fieldName"], "fault");
    }
    let v: Value = common::http().get(t.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    let kinds = v["kinds"].as_array().unwrap();
    assert_eq!(kinds.len(), 13, "every kind is listed, socket-drop and socket-closing included");
    assert!(kinds.iter().any(|k| k["fault"] == "socket-closing"));
}

#[tokio::test]
async fn server_errors_come_as_error_bodies_or_gateway_pages_then_stop() {
    let t = start_sim_with_faults().await;
    let token = Secret::new(t.token("wallboard").await);
    fault_on(&t, json!({"fault": "errors", "status": 500, "count": 2})).await;
    for _ in 0..2 {
        let e = queues_request(&t, &token).await.unwrap_err();
        assert_eq!((e.status(), e.code()), (Some(500), Some("internal.server.error")));
        assert_eq!(e.error_body().unwrap().context_id.as_deref(), e.correlation_id(), "contextId is the header's");
        assert!(e.is_transient());
    }
    assert!(queues_request(&t, &token).await.is_ok(), "a counted burst ends by itself");

    fault_on(&t, json!({"fault": "errors", "status": 502})).await;
    let e = queues_request(&t, &token).await.unwrap_err();
    match &e.kind {
        ErrorKind::Api { status: 502, body: None, raw } => assert!(raw.contains("502 Bad Gateway"), "{raw}"),
        other => panic!("{other:?}"),
    }
    assert!(e.correlation_id().is_some(), "the gateway page still carries the correlation id header");
    faults_off(&t).await;
    assert!(queues_request(&t, &token).await.is_ok());
}

#[tokio::test]
async fn unavailable_says_when_to_come_back() {
    let t = start_sim_with_faults().await;
    let token = Secret::new(t.token("wallboard").await);
    fault_on(&t, json!({"fault": "unavailable", "retry_after": 7})).await;
    let e = queues_request(&t, &token).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(503), Some("service.unavailable")));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    faults_off(&t).await;
    assert!(queues_request(&t, &token).await.is_ok());
}

#[tokio::test]
async fn latency_delays_answers_until_switched_off() {
    let t = start_sim_with_faults().await;
    let token = Secret::new(t.token("wallboard").await);
    fault_on(&t, json!({"fault": "latency", "ms": 400})).await;
    let started = Instant::now();
    assert!(queues_request(&t, &token).await.is_ok());
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
    // Token requests go to the login host's path and are not delayed by an /api/ fault.
    let started = Instant::now();
    t.token("wallboard").await;
    assert!(started.elapsed() < Duration::from_millis(400));
    faults_off(&t).await;
}

#[tokio::test]
async fn resets_and_truncated_bodies_reach_the_client_as_transport_and_decode_errors() {
    let t = start_sim_with_faults().await;
    let token = Secret::new(t.token("wallboard").await);
    fault_on(&t, json!({"fault": "reset", "count": 1})).await;
    let e = queues_request(&t, &token).await.unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Transport { .. }), "{:?}", e.kind);
    assert!(e.is_transient());
    fault_on(&t, json!({"fault": "truncate", "count": 1})).await;
    let e = queues_request(&t, &token).await.unwrap_err();
    match &e.kind {
        ErrorKind::Decode { status: 200, raw, .. } => assert!(raw.starts_with("{\"entities\""), "{raw}"),
        other => panic!("{other:?}"),
    }
    assert!(queues_request(&t, &token).await.is_ok());
}

#[tokio::test]
async fn revocation_costs_one_401_and_a_fresh_sign_in() {
    let t = start_sim_with_faults().await;
    let session = t.session("wallboard");
    let first = session.token().await.unwrap();
    let v = fault_on(&t, json!({"fault": "revoke", "client": "wallboard"})).await;
    assert_eq!(v["revoked"], 1);
    let e = queues_request(&t, &first.access).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(401), Some("bad.credentials")));
    // qtop's session re-authenticates once and carries on.
    assert!(queries::list_queues(&session).await.is_ok());
    assert_eq!(session.status().borrow().sign_ins, 2);
    let v: Value = common::http().get(t.url("/sim/faults")).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["faults"], json!([]), "revocation is a one-off, not a state");
}

#[tokio::test]
async fn a_role_taken_from_the_client_refuses_and_restoring_it_serves_again() {
    let t = start_sim_with_faults().await;
    let session = t.session("wallboard");
    fault_on(&t, json!({"fault": "role-removed", "client": "wallboard", "role": "Queue Wallboard"})).await;
    let e = queries::observe(&session, &ids(&t)).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(403), Some("missing.permissions")));
    assert!(e.error_body().unwrap().message.as_deref().unwrap().contains("analytics:queueObservation:view"));
    // What the token may read about itself agrees with what it is refused.
    let roles = |v: &Value| -> Vec<String> {
        v["grants"].as_array().unwrap().iter().map(|g| g["role"]["name"].as_str().unwrap().to_string()).collect()
    };
    let token = t.token("wallboard").await;
    let me = || async {
        let r =
            common::http().get(t.url("/api/v2/authorization/subjects/me")).bearer_auth(&token).send().await.unwrap();
        r.json::<Value>().await.unwrap()
    };
    assert!(!roles(&me().await).contains(&"Queue Wallboard".to_string()), "{}", me().await);
    faults_off(&t).await;
    assert!(queries::observe(&session, &ids(&t)).await.is_ok());
    assert!(roles(&me().await).contains(&"Queue Wallboard".to_string()));
}

#[tokio::test]
async fn a_permission_taken_from_roles_refuses_only_what_needs_it() {
    let t = start_sim_with_faults().await;
    let session = t.session("wallboard");
    let interval = aggregates::today_interval(common::T0.parse().unwrap(), &t.org.timezone);
    fault_on(&t, json!({"fault": "permission-removed"})).await;
    let e = aggregates::today(&session, &ids(&t), interval.clone()).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(403), Some("missing.any.permissions")));
    assert!(queries::observe(&session, &ids(&t)).await.is_ok(), "live numbers carry on");
    faults_off(&t).await;
    assert!(aggregates::today(&session, &ids(&t), interval).await.is_ok());
}

#[tokio::test]
async fn a_queue_moved_out_of_the_callers_divisions_disappears_everywhere_and_comes_back() {
    let t = start_sim_with_faults().await;
    let home = t.session("home-division");
    let all = t.session("wallboard");
    let q = t.org.queues.iter().find(|q| q.name == "Sales - Upgrades").unwrap().id.clone();
    let interval = aggregates::today_interval(common::T0.parse().unwrap(), &t.org.timezone);
    let visible = |home: std::sync::Arc<genesys::auth::Session>, q: String, interval: String| async move {
        let listed = queries::list_queues(&home).await.unwrap().0.iter().any(|x| x.id == q);
        let observed = queries::parse_observations(&queries::observe(&home, std::slice::from_ref(&q)).await.unwrap().0)
            .contains_key(&q);
        let totals = aggregates::today(&home, std::slice::from_ref(&q), interval).await.unwrap().0[&q].offered > 0;
        (listed, observed, totals)
    };
    assert_eq!(visible(home.clone(), q.clone(), interval.clone()).await, (true, true, true));
    fault_on(&t, json!({"fault": "queue-moved", "queue": "Sales - Upgrades", "division": "Finance"})).await;
    assert_eq!(visible(home.clone(), q.clone(), interval.clone()).await, (false, false, false));
    // A client with every division still sees it, now in Finance.
    let listed = queries::list_queues(&all).await.unwrap().0;
    let moved = listed.iter().find(|x| x.id == q).unwrap();
    assert_eq!(moved.division.as_ref().and_then(|d| d.name.as_deref()), Some("Finance"));
    faults_off(&t).await;
    assert_eq!(visible(home, q, interval).await, (true, true, true));
}

#[tokio::test]
async fn clock_skew_moves_every_reported_time_and_the_servers_today_still_adds_up() {
    let t = start_sim_with_faults().await;
    let token = t.token("wallboard").await;
    let session = t.session("wallboard");
    let t0: jiff::Timestamp = common::T0.parse().unwrap();
    let skewed = t0 + jiff::SignedDuration::from_hours(2);
    let before =
        aggregates::today(&session, &ids(&t), aggregates::today_interval(t0, &t.org.timezone)).await.unwrap().0;
    fault_on(&t, json!({"fault": "clock-skew", "seconds": 7200})).await;
    let resp = common::http().get(t.url("/api/v2/routing/queues")).bearer_auth(&token).send().await.unwrap();
    let date = genesys::client::parse_http_date(resp.headers()["date"].to_str().unwrap()).unwrap();
    assert_eq!(date, skewed);
    // Asking for "today" by the server's clock gives the same day's totals.
    let (after, meta) =
        aggregates::today(&session, &ids(&t), aggregates::today_interval(skewed, &t.org.timezone)).await.unwrap();
    assert_eq!(meta.server_date, Some(skewed));
    assert_eq!(before, after);
    // Waiting conversations are dated in the server's (skewed) time.
    let body = json!({"filter": {"type": "or", "predicates": ids(&t).iter().map(|q| json!({"dimension": "queueId", "value": q})).collect::<Vec<_>>()},
                      "metrics": ["oWaiting"], "detailMetrics": ["oWaiting"]});
    let v: Value = common::http()
        .post(t.url("/api/v2/analytics/queues/observations/query"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dates: Vec<jiff::Timestamp> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["data"].as_array().unwrap().iter())
        .flat_map(|d| d["observations"].as_array().cloned().unwrap_or_default())
        .map(|o| o["observationDate"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(!dates.is_empty(), "someone is waiting mid-morning");
    assert!(dates.iter().all(|d| *d > t0 && *d <= skewed), "{dates:?}");
    faults_off(&t).await;
    let resp = common::http().get(t.url("/api/v2/routing/queues")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(genesys::client::parse_http_date(resp.headers()["date"].to_str().unwrap()), Some(t0));
}

#[tokio::test]
async fn a_lower_rate_limit_answers_429_with_retry_after() {
    let t = start_sim_with_faults().await;
    fault_on(&t, json!({"fault": "rate-limit", "per_minute": 3})).await;
    let token = Secret::new(t.token("wallboard").await);
    for _ in 0..3 {
        assert!(queues_request(&t, &token).await.is_ok());
    }
    let e = queues_request(&t, &token).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(429), Some("too.many.requests.retry.after")));
    assert!(e.retry_after().is_some_and(|d| d > Duration::ZERO && d <= Duration::from_secs(60)));
    assert_eq!(e.meta.as_ref().and_then(|m| m.rate).map(|r| r.allowed), Some(3));
    faults_off(&t).await;
    let ok = t.client().send::<Value>(&Request::new(EndpointId::RoutingQueues), Auth::Bearer(&token)).await.unwrap();
    assert_eq!(ok.meta.rate.map(|r| r.allowed), Some(300));
}

#[tokio::test]
async fn a_rate_limit_flag_overrides_the_org_file() {
    let t = start_sim_extras(Org::demo(), SimExtras { rate_limit: Some(2), ..Default::default() }).await;
    let token = Secret::new(t.token("wallboard").await);
    assert!(queues_request(&t, &token).await.is_ok());
    assert!(queues_request(&t, &token).await.is_ok());
    assert_eq!(queues_request(&t, &token).await.unwrap_err().status(), Some(429));
}

#[tokio::test]
async fn a_fault_script_switches_faults_on_and_off_on_time() {
    let script = FaultScript::parse(
        r#"
[[step]]
at = "0s"
fault = "errors"
status = 503

[[step]]
at = "600ms"
clear = "all"
"#,
    )
    .unwrap();
    let t = start_sim_extras(Org::demo(), SimExtras { fault_script: Some(script), ..Default::default() }).await;
    let token = Secret::new(t.token("wallboard").await);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(queues_request(&t, &token).await.unwrap_err().status(), Some(503));
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(queues_request(&t, &token).await.is_ok());
}
