//! The simulator's requests and responses against the documented shapes
//! (`docs/genesys-api.md`): field names, nesting, enum strings, paging envelopes, errors.

use crate::common;

use common::shapes::{ERROR_BODY, PAGING, USER, keys_within};

use std::collections::BTreeSet;

use common::start_sim;
use genesys::models::{ErrorBody, OAuthErrorBody, ObservationResponse};
use serde_json::{Value, json};

const OBS_TOP: &[&str] = &["systemToOrganizationMappings", "results"];
const OBS_RESULT: &[&str] = &["group", "data"];
const OBS_GROUP: &[&str] = &["queueId", "mediaType"];
const OBS_DATA: &[&str] = &["metric", "qualifier", "stats", "truncated", "observations"];
const STATS: &[&str] = &[
    "max",
    "min",
    "count",
    "countNegative",
    "countPositive",
    "sum",
    "current",
    "ratio",
    "numerator",
    "denominator",
    "target",
    "p95",
    "p99",
    "calculatedMetricValue",
];
const OBSERVATION_VALUE: &[&str] = &[
    "observationDate",
    "conversationId",
    "sessionId",
    "requestedRoutingSkillIds",
    "requestedLanguageId",
    "routingPriority",
    "participantName",
    "userId",
    "direction",
    "convertedFrom",
    "convertedTo",
    "addressFrom",
    "addressTo",
    "ani",
    "dnis",
    "teamId",
    "requestedRoutings",
    "usedRouting",
    "scoredAgents",
];
const ROUTING_STATUSES: &[&str] = &["OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING"];
const MEDIA: &[&str] = &["voice", "callback", "chat", "email", "message"];

async fn post(t: &common::TestSim, token: &str, path: &str, body: &Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let resp = common::http().post(t.url(path)).bearer_auth(token).json(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.json().await.unwrap())
}

async fn get(t: &common::TestSim, token: &str, path: &str) -> (u16, Value) {
    let resp = common::http().get(t.url(path)).bearer_auth(token).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn check_error_body(v: &Value, status: u16, code: &str) {
    keys_within(v, ERROR_BODY, "ErrorBody");
    assert_eq!(v["status"], status, "{v}");
    assert_eq!(v["code"], code, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(v["contextId"].as_str().is_some());
    serde_json::from_value::<ErrorBody>(v.clone()).unwrap();
}

#[test]
fn documented_examples_parse() {
    let r: ObservationResponse = serde_json::from_str(include_str!("../fixtures/observations-response.json")).unwrap();
    assert_eq!(r.results[0].data[2].stats.calculated_metric_value, Some(215000.0));
    let e: ErrorBody = serde_json::from_str(include_str!("../fixtures/error-429.json")).unwrap();
    assert_eq!(e.code.as_deref(), Some("too.many.requests.retry.after"));
    let o: OAuthErrorBody = serde_json::from_str(include_str!("../fixtures/oauth-invalid-client.json")).unwrap();
    assert_eq!(o.text(), "authentication failed");
}

#[tokio::test]
async fn observation_responses_use_only_documented_fields() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let ids: Vec<&str> = t.org.queues.iter().map(|q| q.id.as_str()).collect();
    let mut body: Value = serde_json::from_str(include_str!("../fixtures/observations-request.json")).unwrap();
    body["filter"]["predicates"] = json!(
        ids.iter()
            .map(|id| json!({"type": "dimension", "dimension": "queueId", "operator": "matches", "value": id}))
            .collect::<Vec<_>>()
    );
    body["metrics"] = json!([
        "oActiveUsers",
        "oAlerting",
        "oInteracting",
        "oLongestInteracting",
        "oLongestWaiting",
        "oMemberUsers",
        "oOffQueueUsers",
        "oOnQueueUsers",
        "oUserPresences",
        "oUserRoutingStatuses",
        "oWaiting"
    ]);
    let (status, headers, v) = post(&t, &token, "/api/v2/analytics/queues/observations/query", &body).await;
    assert_eq!(status, 200, "{v}");
    assert!(headers.contains_key("inin-correlation-id"));
    for h in ["inin-ratelimit-count", "inin-ratelimit-allowed", "inin-ratelimit-reset"] {
        assert!(headers.contains_key(h), "missing {h}");
    }
    keys_within(&v, OBS_TOP, "observation response");
    let mapping = v["systemToOrganizationMappings"].as_object().expect("mappings when oUserPresences asked");
    let presence_ids: BTreeSet<&str> =
        mapping.values().flat_map(|ids| ids.as_array().unwrap()).map(|i| i.as_str().unwrap()).collect();
    let mut observed_any = false;
    for r in v["results"].as_array().unwrap() {
        keys_within(r, OBS_RESULT, "result");
        keys_within(&r["group"], OBS_GROUP, "group");
        assert!(ids.contains(&r["group"]["queueId"].as_str().unwrap()));
        if let Some(m) = r["group"].get("mediaType") {
            assert!(MEDIA.contains(&m.as_str().unwrap()), "{m}");
        }
        for d in r["data"].as_array().unwrap() {
            keys_within(d, OBS_DATA, "metric data");
            keys_within(&d["stats"], STATS, "stats");
            let metric = d["metric"].as_str().unwrap();
            if let Some(q) = d.get("qualifier").and_then(Value::as_str) {
                match metric {
                    "oUserRoutingStatuses" | "oOnQueueUsers" => assert!(ROUTING_STATUSES.contains(&q), "{q}"),
                    "oUserPresences" => {
                        assert!(presence_ids.contains(q), "presence {q} not in systemToOrganizationMappings");
                    }
                    other => panic!("{other} should carry no qualifier"),
                }
            }
            if let Some(obs) = d.get("observations") {
                assert_eq!(metric, "oWaiting", "only detail metrics carry observations");
                for o in obs.as_array().unwrap() {
                    keys_within(o, OBSERVATION_VALUE, "observation value");
                    let date = o["observationDate"].as_str().unwrap();
                    assert!(date.parse::<jiff::Timestamp>().is_ok() && date.ends_with('Z'), "{date}");
                    observed_any = true;
                }
                assert!(d["truncated"].is_boolean());
            }
        }
    }
    assert!(observed_any, "a mid-morning demo org has someone waiting");
}

#[tokio::test]
async fn observation_requests_are_validated_like_the_api() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let q = &t.org.queues[0].id;
    let filter = json!({"type": "or", "predicates": [{"type": "dimension", "dimension": "queueId", "operator": "matches", "value": q}]});
    let cases = [
        json!({"metrics": ["oWaiting"]}),
        json!({"filter": filter}),
        json!({"filter": filter, "metrics": ["oWaiting", "nOffered"]}),
        json!({"filter": filter, "metrics": ["oWaiting"], "detailMetrics": ["oLongestWaiting"]}),
        json!({"filter": {"type": "or", "predicates": [{"dimension": "userId", "value": "x"}]}, "metrics": ["oWaiting"]}),
    ];
    for body in cases {
        let (status, _, v) = post(&t, &token, "/api/v2/analytics/queues/observations/query", &body).await;
        assert_eq!(status, 400, "{body} → {v}");
        keys_within(&v, ERROR_BODY, "ErrorBody");
        assert_eq!(v["status"], 400);
    }
    let resp = common::http()
        .post(t.url("/api/v2/analytics/queues/observations/query"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    check_error_body(&resp.json().await.unwrap(), 400, "bad.request");
}

#[tokio::test]
async fn queue_listing_envelope_and_entities() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let (status, v) = get(&t, &token, "/api/v2/routing/queues?pageSize=4&pageNumber=2").await;
    assert_eq!(status, 200);
    keys_within(&v, PAGING, "paging envelope");
    for k in [
        "entities",
        "pageSize",
        "pageNumber",
        "total",
        "pageCount",
        "firstUri",
        "selfUri",
        "lastUri",
        "nextUri",
        "previousUri",
    ] {
        assert!(v.get(k).is_some(), "page 2 of 4 has {k}");
    }
    assert_eq!(v["pageNumber"], 2);
    for q in v["entities"].as_array().unwrap() {
        assert!(uuid::Uuid::parse_str(q["id"].as_str().unwrap()).is_ok());
        assert!(q["name"].is_string());
        keys_within(&q["division"], &["id", "name", "selfUri"], "division ref");
        assert_eq!(q["selfUri"], format!("/api/v2/routing/queues/{}", q["id"].as_str().unwrap()));
        for (media, setting) in q["mediaSettings"].as_object().unwrap() {
            assert!(["call", "callback", "chat", "email", "message"].contains(&media.as_str()), "{media}");
            let sl = &setting["serviceLevel"];
            assert!(sl["percentage"].as_f64().unwrap() <= 1.0 && sl["durationMs"].as_u64().unwrap() > 0);
        }
    }
    let (_, last) = get(&t, &token, "/api/v2/routing/queues?pageSize=100").await;
    assert!(last.get("nextUri").is_none() && last.get("previousUri").is_none());
    let (status, v) = get(&t, &token, "/api/v2/routing/queues?pageSize=abc").await;
    assert_eq!(status, 400);
    keys_within(&v, ERROR_BODY, "ErrorBody");
}

#[tokio::test]
async fn error_bodies_follow_error_body() {
    let t = start_sim().await;
    let (status, v) = get(&t, "", "/api/v2/routing/queues").await;
    assert_eq!(status, 401);
    check_error_body(&v, 401, "authentication.required");
    assert_eq!(v["message"], "No authentication bearer token specified in authorization header.");

    let (_, v) = get(&t, "nope", "/api/v2/routing/queues").await;
    check_error_body(&v, 401, "bad.credentials");

    let token = t.token("no-observations").await;
    let body = json!({"filter": {"type": "or", "predicates": [{"dimension": "queueId", "value": t.org.queues[0].id}]}, "metrics": ["oWaiting"]});
    let (status, headers, v) = post(&t, &token, "/api/v2/analytics/queues/observations/query", &body).await;
    assert_eq!(status, 403);
    check_error_body(&v, 403, "missing.permissions");
    assert_eq!(
        v["message"],
        "Unable to perform the requested action. You are missing the following permission(s): [analytics:queueObservation:view]"
    );
    assert_eq!(v["contextId"].as_str(), headers.get("inin-correlation-id").and_then(|h| h.to_str().ok()));

    let token = t.token("wallboard").await;
    let (status, v) = get(&t, &token, "/api/v2/analytics/queues/realtime").await;
    assert_eq!(status, 404);
    keys_within(&v, ERROR_BODY, "ErrorBody");
}

#[tokio::test]
async fn token_endpoint_answers_like_the_login_host() {
    let t = start_sim().await;
    let (id, secret) = t.persona_client("wallboard");
    let form = [("grant_type", "client_credentials")];
    let ok = common::http()
        .post(t.url("/oauth/token"))
        .basic_auth(&id, Some(secret.expose()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let v: Value = ok.json().await.unwrap();
    let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["access_token", "token_type", "expires_in"]),
        "no refresh token for client credentials"
    );
    assert_eq!(v["token_type"], "bearer");
    assert!(!v["access_token"].as_str().unwrap().contains('.'), "opaque, not a JWT");

    // The secret may also come in the form body.
    let body_secret =
        [("grant_type", "client_credentials"), ("client_id", id.as_str()), ("client_secret", secret.expose())];
    let ok = common::http().post(t.url("/oauth/token")).form(&body_secret).send().await.unwrap();
    assert_eq!(ok.status(), 200);

    type Case<'a> = (Option<(&'a str, &'a str)>, &'a str, &'a str, &'a str);
    let cases: [Case; 4] = [
        (Some((id.as_str(), "wrong")), "client_credentials", "invalid_client", "authentication failed"),
        (Some(("no-such-client", "x")), "client_credentials", "invalid_client", "authentication failed"),
        (Some((id.as_str(), secret.expose())), "password", "unsupported_grant_type", ""),
        (None, "client_credentials", "invalid_client", "authentication failed"),
    ];
    for (basic, grant, error, description) in cases {
        let mut rb = common::http().post(t.url("/oauth/token")).form(&[("grant_type", grant)]);
        if let Some((u, p)) = basic {
            rb = rb.basic_auth(u, Some(p));
        }
        let resp = rb.send().await.unwrap();
        assert_eq!(resp.status(), 400, "{error}");
        let v: Value = resp.json().await.unwrap();
        let keys: BTreeSet<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, BTreeSet::from(["error", "description", "error_description"]));
        assert_eq!(v["error"], error);
        if !description.is_empty() {
            assert_eq!(v["error_description"], description);
            assert_eq!(v["description"], description);
        }
    }

    // A client without the client-credentials grant.
    let cli = t.org.clients.iter().find(|c| !c.grants.iter().any(|g| g == "client_credentials")).unwrap();
    let resp = common::http()
        .post(t.url("/oauth/token"))
        .basic_auth(&cli.id, Some(&cli.secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["error"], "unauthorized_client");
    assert_eq!(v["error_description"], "client is not authorized to use the client_credential grant type");
}

#[tokio::test]
async fn every_response_has_a_correlation_id_and_a_date() {
    let t = start_sim().await;
    for path in ["/api/v2/routing/queues", "/oauth/token", "/nowhere"] {
        let resp = common::http().get(t.url(path)).send().await.unwrap();
        assert!(resp.headers().contains_key("inin-correlation-id"), "{path}");
        let date = resp.headers()["date"].to_str().unwrap();
        let parsed = genesys::client::parse_http_date(date).unwrap();
        assert_eq!(parsed, common::T0.parse().unwrap(), "Date follows the org's clock");
    }
}

const MEMBER_PAGING: &[&str] = &["entities", "pageSize", "pageNumber", "firstUri", "selfUri", "nextUri", "previousUri"];
const QUEUE_MEMBER: &[&str] = &["id", "name", "user", "ringNumber", "joined", "memberBy", "routingStatus", "selfUri"];
const USER_PRESENCE: &[&str] =
    &["id", "name", "source", "primary", "presenceDefinition", "message", "modifiedDate", "selfUri"];
const PRESENCE_DEFINITION: &[&str] = &["id", "systemPresence", "selfUri"];
const ROUTING_STATUS: &[&str] = &["userId", "status", "startTime"];

#[tokio::test]
async fn queue_members_follow_the_queue_member_model() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let q = t.org.queues.iter().max_by_key(|q| q.members.len()).unwrap();
    let path = format!("/api/v2/routing/queues/{}/members", q.id);
    let (status, v) = get(&t, &token, &format!("{path}?pageSize=5&pageNumber=2&expand=routingStatus,presence")).await;
    assert_eq!(status, 200, "{v}");
    // QueueMemberEntityListing pages by nextUri: no total, pageCount or lastUri.
    keys_within(&v, MEMBER_PAGING, "member paging envelope");
    assert!(v.get("nextUri").is_some() && v.get("previousUri").is_some(), "page 2 of {}: {v}", q.members.len());
    let entities = v["entities"].as_array().unwrap();
    assert_eq!(entities.len(), 5);
    for m in entities {
        keys_within(m, QUEUE_MEMBER, "QueueMember");
        keys_within(&m["user"], USER, "User");
        keys_within(&m["user"]["presence"], USER_PRESENCE, "UserPresence");
        keys_within(&m["user"]["presence"]["presenceDefinition"], PRESENCE_DEFINITION, "PresenceDefinition");
        keys_within(&m["routingStatus"], ROUTING_STATUS, "RoutingStatus");
        assert_eq!(m["id"], m["user"]["id"]);
        assert_eq!(m["routingStatus"]["userId"], m["id"]);
        assert!(ROUTING_STATUSES.contains(&m["routingStatus"]["status"].as_str().unwrap()));
        let start = m["routingStatus"]["startTime"].as_str().unwrap();
        assert!(start.ends_with('Z') && start.parse::<jiff::Timestamp>().is_ok(), "{start}");
        assert_eq!(m["memberBy"], "user");
        assert!(m["joined"].is_boolean() && m["ringNumber"].is_i64());
    }
    // Sorted by name, as documented.
    let (_, all) = get(&t, &token, &format!("{path}?pageSize=100")).await;
    let names: Vec<String> =
        all["entities"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap().to_lowercase()).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    // Without expand there is no routing status or presence.
    let first = &all["entities"][0];
    assert!(first.get("routingStatus").is_none() && first["user"].get("presence").is_none(), "{first}");

    // The client's query reads the same body.
    let members = genesys::queries::queue_members(&t.session("wallboard"), &q.id).await.unwrap();
    assert_eq!(members.len(), q.members.len());
    assert!(members.iter().all(|m| m.routing_status.is_some() && m.presence.is_some()));

    let (status, v) = get(&t, &token, &format!("{path}?expand=nonsense")).await;
    assert_eq!(status, 400);
    check_error_body(&v, 400, "invalid.value");
    let (status, v) = get(&t, &token, "/api/v2/routing/queues/no-such-queue/members").await;
    assert_eq!(status, 404);
    keys_within(&v, ERROR_BODY, "ErrorBody");
    let (status, v) = get(&t, "", &path).await;
    assert_eq!(status, 401);
    check_error_body(&v, 401, "authentication.required");
}

/// The client reads every member of a queue longer than one page, by `nextUri` alone (the
/// members listing has no pageCount), in the API's order and without repeats.
#[tokio::test]
async fn the_client_pages_members_by_next_uri() {
    let mut org = sim::org::Org::from_toml(include_str!("../../orgs/medium.toml")).unwrap();
    // Two full pages and a short one.
    org.queues[0].members = (0..250).collect();
    let t = common::start_sim_with(org).await;
    let q = &t.org.queues[0];
    let before = t.sim.shared.requests.load(std::sync::atomic::Ordering::Relaxed);
    let members = genesys::queries::queue_members(&t.session("wallboard"), &q.id).await.unwrap();
    let requests = t.sim.shared.requests.load(std::sync::atomic::Ordering::Relaxed) - before;
    assert_eq!(members.len(), q.members.len());
    let ids: BTreeSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids.len(), members.len(), "no member twice");
    let pages = q.members.len().div_ceil(genesys::queries::QUEUE_PAGE_SIZE as usize);
    assert_eq!(requests as usize, pages + 1, "one request per page, after the token");
}

const AGG_TOP: &[&str] = &["results"];
const AGG_RESULT: &[&str] = &["group", "data"];
const AGG_DATA: &[&str] = &["interval", "metrics", "views"];
const AGG_METRIC: &[&str] = &["metric", "qualifier", "stats"];

fn iso_interval(s: &str) -> (jiff::Timestamp, jiff::Timestamp) {
    let (a, b) = s.split_once('/').unwrap_or_else(|| panic!("not start/end: {s}"));
    assert!(a.ends_with('Z') && b.ends_with('Z'), "{s}");
    (a.parse().unwrap(), b.parse().unwrap())
}

#[test]
fn documented_aggregate_and_notification_examples_parse() {
    use genesys::aggregates::parse_totals;
    use genesys::models::{AggregateQuery, AggregateResponse, AggregateResult};
    use genesys::notifications::{SocketMessage, parse_message};
    use genesys::queries::GroupObs;
    let q: AggregateQuery = serde_json::from_str(include_str!("../fixtures/aggregates-request.json")).unwrap();
    assert_eq!(q.group_by, ["queueId"]);
    let r: AggregateResponse = serde_json::from_str(include_str!("../fixtures/aggregates-response.json")).unwrap();
    let t = &parse_totals(&r, &[])["<queue-id>"];
    assert_eq!((t.offered, t.answered, t.abandoned, t.asa_ms()), (12, 10, 2, Some(15_000)));
    assert_eq!((t.sl_ratio(), t.sl_target), (Some(0.75), Some(0.8)));
    // The observations topic sends two messages: the instantaneous one carries only the
    // o-metrics that changed; the rest are unreported (unchanged), not zero.
    let ev = include_str!("../fixtures/notification-observation-event.json");
    let SocketMessage::Observation(r) = parse_message(ev) else { panic!("not an observation: {ev}") };
    let g = GroupObs::read(&r);
    assert_eq!((g.waiting, g.alerting, g.interacting, g.longest_waiting_ms), (Some(0), Some(0), None, None));
    // The interval message's body has the aggregates' group/data shape.
    let ev: Value =
        serde_json::from_str(include_str!("../fixtures/notification-observation-event-interval.json")).unwrap();
    let body: AggregateResult = serde_json::from_value(ev["eventBody"].clone()).unwrap();
    let t = &parse_totals(&AggregateResponse { results: vec![body] }, &[])["…"];
    assert_eq!((t.offered, t.sl_ratio(), t.sl_target), (2, Some(0.0), Some(0.5)));
    let SocketMessage::Observation(r) = parse_message(&ev.to_string()) else { panic!("not an observation") };
    assert_eq!(GroupObs::read(&r), GroupObs::default(), "no live metric in the interval message");
    let e: ErrorBody =
        serde_json::from_str(include_str!("../fixtures/error-403-missing-any-permissions.json")).unwrap();
    assert_eq!(e.code.as_deref(), Some("missing.any.permissions"));
    let o: OAuthErrorBody = serde_json::from_str(include_str!("../fixtures/oauth-unauthorized-client.json")).unwrap();
    assert_eq!(o.error, "unauthorized_client");
}

#[tokio::test]
async fn aggregate_responses_use_only_documented_fields() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let mut body: Value = serde_json::from_str(include_str!("../fixtures/aggregates-request.json")).unwrap();
    body["interval"] = json!("2026-11-25T00:00:00.000Z/2026-11-25T10:30:00.000Z");
    body["groupBy"] = json!(["queueId", "mediaType"]);
    body["filter"]["predicates"] = json!(
        t.org
            .queues
            .iter()
            .map(|q| json!({"type": "dimension", "dimension": "queueId", "operator": "matches", "value": q.id}))
            .collect::<Vec<_>>()
    );
    body["metrics"] = json!([
        "nOffered",
        "nConnected",
        "nOverSla",
        "tAnswered",
        "tAbandon",
        "tWait",
        "tAcd",
        "tHandle",
        "tTalk",
        "tTalkComplete",
        "tAcw",
        "oServiceLevel",
        "oServiceTarget",
        "tIvr"
    ]);
    let (status, headers, v) = post(&t, &token, "/api/v2/analytics/conversations/aggregates/query", &body).await;
    assert_eq!(status, 200, "{v}");
    assert!(headers.contains_key("inin-correlation-id"));
    keys_within(&v, AGG_TOP, "aggregate response");
    let results = v["results"].as_array().unwrap();
    assert!(results.len() >= t.org.queues.len(), "one group per queue and media type with traffic");
    let mut service_levels = 0;
    for r in results {
        keys_within(r, AGG_RESULT, "aggregate result");
        keys_within(&r["group"], &["queueId", "mediaType"], "group");
        assert!(MEDIA.contains(&r["group"]["mediaType"].as_str().unwrap()));
        for d in r["data"].as_array().unwrap() {
            keys_within(d, AGG_DATA, "statistical response");
            let (a, b) = iso_interval(d["interval"].as_str().unwrap());
            assert_eq!((a.to_string(), b.to_string()), ("2026-11-25T00:00:00Z".into(), "2026-11-25T10:30:00Z".into()));
            for m in d["metrics"].as_array().unwrap() {
                keys_within(m, AGG_METRIC, "metric data");
                keys_within(&m["stats"], STATS, "stats");
                let name = m["metric"].as_str().unwrap();
                assert_ne!(name, "tIvr", "metrics without data are left out");
                match name {
                    "nOffered" | "nConnected" | "nOverSla" => {
                        assert_eq!(m["stats"].as_object().unwrap().keys().collect::<Vec<_>>(), ["count"]);
                    }
                    "oServiceLevel" => {
                        service_levels += 1;
                        let s = &m["stats"];
                        let (num, den) = (s["numerator"].as_f64().unwrap(), s["denominator"].as_f64().unwrap());
                        assert!((s["ratio"].as_f64().unwrap() - num / den).abs() < 1e-9);
                        assert!(s["target"].as_f64().unwrap() > 0.0);
                    }
                    "oServiceTarget" => assert!(m["stats"]["target"].is_number()),
                    t if t.starts_with('t') => {
                        let s = &m["stats"];
                        for k in ["max", "min", "count", "sum"] {
                            assert!(s[k].is_u64(), "{name}.{k} is whole milliseconds: {s}");
                        }
                        assert!(s["min"].as_u64() <= s["max"].as_u64());
                    }
                    other => panic!("unexpected metric {other}"),
                }
            }
        }
    }
    assert!(service_levels > 0);
    // Nothing happened in a night-time hour: an empty object, no `results`.
    body["interval"] = json!("2026-11-25T02:00:00.000Z/2026-11-25T03:00:00.000Z");
    body["metrics"] = json!(["nOffered"]);
    let email = t.org.queues.iter().position(|q| q.open_min == 0).unwrap();
    body["filter"]["predicates"] = json!(
        t.org
            .queues
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != email)
            .map(|(_, q)| json!({"dimension": "queueId", "value": q.id}))
            .collect::<Vec<_>>()
    );
    let (status, _, v) = post(&t, &token, "/api/v2/analytics/conversations/aggregates/query", &body).await;
    assert_eq!((status, v), (200, json!({})));
}

#[tokio::test]
async fn aggregate_requests_are_validated_like_the_api() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let good: Value = json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z", "groupBy": ["queueId"], "metrics": ["nOffered"]});
    let (status, _, _) = post(&t, &token, "/api/v2/analytics/conversations/aggregates/query", &good).await;
    assert_eq!(status, 200);
    let cases = [
        (json!({"groupBy": ["queueId"], "metrics": ["nOffered"]}), "interval"),
        (json!({"interval": "2026-11-25T00:00:00Z", "metrics": ["nOffered"]}), "interval"),
        (json!({"interval": "2026-11-25T10:00:00Z/2026-11-25T00:00:00Z", "metrics": ["nOffered"]}), "interval"),
        (json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z"}), "metrics"),
        (json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z", "metrics": ["oWaiting"]}), "metrics"),
        (
            json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z", "metrics": ["nOffered"], "groupBy": ["queue"]}),
            "groupBy",
        ),
        (
            json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z", "metrics": ["nOffered"], "granularity": "PT7M"}),
            "granularity",
        ),
        (
            json!({"interval": "2026-11-25T00:00:00Z/2026-11-25T10:00:00Z", "metrics": ["nOffered"],
                "filter": {"type": "or", "predicates": [{"dimension": "queueId", "operator": "is", "value": "x"}]}}),
            "filter.predicates[0].operator",
        ),
    ];
    for (body, field) in cases {
        let (status, _, v) = post(&t, &token, "/api/v2/analytics/conversations/aggregates/query", &body).await;
        assert_eq!(status, 400, "{body} → {v}");
        check_error_body(&v, 400, "invalid.value");
        assert_eq!(v["details"][0]["fieldName"], field, "{body} → {v}");
    }
    let resp = common::http()
        .post(t.url("/api/v2/analytics/conversations/aggregates/query"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"interval\":")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    check_error_body(&resp.json().await.unwrap(), 400, "bad.request");
    // The permission comes from the catalogue: AnyOf → missing.any.permissions.
    let refused = t.token("no-observations").await;
    let (status, _, v) = post(&t, &refused, "/api/v2/analytics/conversations/aggregates/query", &good).await;
    assert_eq!(status, 403);
    check_error_body(&v, 403, "missing.any.permissions");
    assert_eq!(
        v["message"],
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: [analytics:conversationAggregate:view]"
    );
}

#[tokio::test]
async fn fault_error_bodies_follow_error_body() {
    let t = common::start_sim_with_faults().await;
    let token = t.token("wallboard").await;
    for (fault, status, code) in [
        (json!({"fault": "errors", "status": 500, "count": 1}), 500, "internal.server.error"),
        (json!({"fault": "errors", "status": 503, "count": 1}), 503, "service.unavailable"),
        (json!({"fault": "unavailable", "retry_after": 9, "count": 1}), 503, "service.unavailable"),
        (json!({"fault": "rate-limit", "per_minute": 1}), 429, "too.many.requests.retry.after"),
    ] {
        let on = common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap();
        assert_eq!(on.status(), 201);
        let mut resp = common::http().get(t.url("/api/v2/routing/queues")).bearer_auth(&token).send().await.unwrap();
        if status == 429 {
            // The first request of the window is allowed; the second is over the limit.
            resp = common::http().get(t.url("/api/v2/routing/queues")).bearer_auth(&token).send().await.unwrap();
        }
        assert_eq!(resp.status().as_u16(), status, "{fault}");
        let cid = resp.headers()["inin-correlation-id"].to_str().unwrap().to_string();
        let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
        let v: Value = resp.json().await.unwrap();
        check_error_body(&v, status, code);
        assert_eq!(v["contextId"], cid.as_str());
        if fault["fault"] == "unavailable" {
            assert_eq!(retry.as_deref(), Some("9"));
        }
        if status == 429 {
            assert!(retry.is_some());
            common::http().delete(t.url("/sim/faults")).send().await.unwrap();
        }
    }
}
