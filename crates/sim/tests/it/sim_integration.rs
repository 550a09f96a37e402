//! qtop's client against the simulator over real HTTP: sign in, list queues, poll
//! observations, and compare with the simulator's own state at that instant.

use crate::common;

use std::collections::BTreeSet;

use common::start_sim;
use genesys::auth::client_credentials;
use genesys::catalog::EndpointId;
use genesys::client::{Auth, ErrorKind, Request};
use genesys::queries::{self, Selector};
use genesys::secret::Secret;
use sim::engine::RoutingStatus;

#[tokio::test]
async fn observations_match_the_simulators_state() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let (queues, meta) = queries::list_queues(&session).await.unwrap();
    assert_eq!(queues.len(), t.org.queues.len());
    assert!(meta.unwrap().correlation_id.is_some());
    let ids: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
    let (resp, meta) = queries::observe(&session, &ids).await.unwrap();
    let rate = meta.rate.expect("rate headers");
    assert_eq!(rate.allowed, 300);
    let parsed = queries::parse_observations(&resp);

    let mut busy = 0;
    for (qi, spec) in t.org.queues.iter().enumerate() {
        let truth = t.sim.shared.with_engine(|e| e.observe(qi));
        let got = &parsed[&spec.id];
        let waiting: u32 = truth.media.iter().map(|m| m.waiting).sum();
        let interacting: u32 = truth.media.iter().map(|m| m.interacting).sum();
        let alerting: u32 = truth.media.iter().map(|m| m.alerting).sum();
        let longest = truth.media.iter().filter_map(|m| m.longest_waiting_ms).max().unwrap_or(0) as u64;
        let status =
            |s: RoutingStatus| truth.users.on_queue.iter().find(|(x, _)| *x == s).map(|(_, n)| *n).unwrap_or(0);
        let on_queue: u32 = truth.users.on_queue.iter().map(|(_, n)| n).sum();
        assert_eq!(got.waiting, Some(waiting), "{}", spec.name);
        assert_eq!(got.interacting, Some(interacting), "{}", spec.name);
        assert_eq!(got.alerting, Some(alerting), "{}", spec.name);
        assert_eq!(got.longest_waiting_ms, Some(longest), "{}", spec.name);
        assert_eq!(got.on_queue, Some(on_queue), "{}", spec.name);
        assert_eq!(got.idle, Some(status(RoutingStatus::Idle)), "{}", spec.name);
        assert_eq!(got.off_queue, Some(truth.users.off_queue), "{}", spec.name);
        assert_eq!(got.members, Some(spec.members.len() as u32));
        busy += waiting + interacting;
    }
    assert!(busy > 0, "a mid-morning demo org has traffic");
}

#[tokio::test]
async fn numbers_change_as_simulated_time_passes() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let ids: Vec<String> = t.org.queues.iter().map(|q| q.id.clone()).collect();
    let before = queries::parse_observations(&queries::observe(&session, &ids).await.unwrap().0);
    t.clock.advance(jiff::SignedDuration::from_secs(30));
    let after = queries::parse_observations(&queries::observe(&session, &ids).await.unwrap().0);
    assert_ne!(before, after);
}

#[tokio::test]
async fn a_wrong_secret_is_an_oauth_error_that_names_no_secret() {
    let t = start_sim().await;
    let (id, _) = t.persona_client("wallboard");
    let err = client_credentials(&t.client(), &id, &Secret::new("wrong")).await.unwrap_err();
    match &err.kind {
        ErrorKind::OAuth { status, body: Some(b), .. } => {
            assert_eq!(*status, 400);
            assert_eq!(b.error, "invalid_client");
            assert_eq!(b.text(), "authentication failed");
        }
        other => panic!("{other:?}"),
    }
    assert!(!format!("{err:?}").contains("wrong"));
}

#[tokio::test]
async fn missing_permission_is_a_typed_403_with_matching_correlation_id() {
    let t = start_sim().await;
    let session = t.session("no-observations");
    let ids = vec![t.org.queues[0].id.clone()];
    let err = queries::observe(&session, &ids).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.code(), Some("missing.permissions"));
    let body = err.error_body().unwrap();
    assert!(body.message.as_deref().unwrap().contains("analytics:queueObservation:view"));
    assert_eq!(body.context_id.as_deref(), err.correlation_id());
    assert!(err.correlation_id().is_some());
    // The same client may still list queues: it has routing:queue:view.
    assert!(queries::list_queues(&session).await.is_ok());
}

#[tokio::test]
async fn division_restricted_queues_are_silently_left_out() {
    let t = start_sim().await;
    let session = t.session("home-division");
    let (queues, _) = queries::list_queues(&session).await.unwrap();
    let home: Vec<_> = t.org.queues.iter().filter(|q| q.division == 0).collect();
    assert_eq!(queues.len(), home.len());
    assert!(queues.len() < t.org.queues.len());
    let all: Vec<String> = t.org.queues.iter().map(|q| q.id.clone()).collect();
    let (resp, _) = queries::observe(&session, &all).await.unwrap();
    let seen = queries::parse_observations(&resp);
    for q in &t.org.queues {
        assert_eq!(seen.contains_key(&q.id), q.division == 0, "{}", q.name);
    }
}

#[tokio::test]
async fn missing_and_bad_bearer_tokens_are_401s() {
    let t = start_sim().await;
    let req = Request::new(EndpointId::RoutingQueues);
    let e = t.client().send::<serde_json::Value>(&req, Auth::None).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(401), Some("authentication.required")));
    let bogus = Secret::new("not-a-token");
    let e = t.client().send::<serde_json::Value>(&req, Auth::Bearer(&bogus)).await.unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(401), Some("bad.credentials")));
}

#[tokio::test]
async fn the_queue_list_pages_through_every_page() {
    let t = start_sim().await;
    let token = Secret::new(t.token("wallboard").await);
    let mut names = vec![];
    let mut page = 1;
    loop {
        let req = Request::new(EndpointId::RoutingQueues).query("pageSize", 5).query("pageNumber", page);
        let resp = t.client().send::<serde_json::Value>(&req, Auth::Bearer(&token)).await.unwrap();
        let body = resp.body;
        assert_eq!(body["pageSize"], 5);
        assert_eq!(body["total"], t.org.queues.len());
        names.extend(body["entities"].as_array().unwrap().iter().map(|q| q["name"].as_str().unwrap().to_string()));
        if body.get("nextUri").is_none() {
            assert_eq!(body["pageCount"], page);
            break;
        }
        page += 1;
    }
    assert_eq!(names.len(), t.org.queues.len());
    let mut sorted = names.clone();
    sorted.sort_by_key(|n| n.to_lowercase());
    assert_eq!(names, sorted);
}

#[tokio::test]
async fn selectors_resolve_against_the_live_list() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let (all, _) = queries::list_queues(&session).await.unwrap();
    let sel: Vec<Selector> =
        ["Sales*", "collections", "No Such Queue"].iter().map(|s| Selector::parse(s).unwrap()).collect();
    let (picked, unmatched) = queries::select_queues(all, &sel);
    let names: BTreeSet<_> = picked.iter().map(|q| q.name.as_str()).collect();
    assert_eq!(names.iter().copied().collect::<Vec<_>>(), ["Collections", "Sales - New Customers", "Sales - Upgrades"]);
    assert_eq!(unmatched, ["No Such Queue"]);
}

#[tokio::test]
async fn a_401_mid_session_earns_one_reauth_and_a_retry() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let first = session.token().await.unwrap();
    // Revoke every token behind qtop's back, as an admin would.
    let revoked = t.sim.shared.tokens.lock().unwrap().revoke_all(|_| true);
    assert_eq!(revoked, 1);
    let (queues, _) = queries::list_queues(&session).await.unwrap();
    assert!(!queues.is_empty());
    let second = session.token().await.unwrap();
    assert_ne!(first.access.fingerprint(), second.access.fingerprint());
    assert_eq!(session.status().borrow().sign_ins, 2);
}
