//! The simulator's requests and responses against the documented shapes
//! (`shared/genesys-api.md`): field names, nesting, enum strings, paging envelopes, errors.

mod common;

use std::collections::BTreeSet;

use common::start_sim;
use qtop::genesys::models::{ErrorBody, OAuthErrorBody, ObservationResponse};
use serde_json::{Value, json};

const ERROR_BODY: &[&str] = &[
    "message",
    "code",
    "status",
    "entityId",
    "entityName",
    "messageWithParams",
    "messageParams",
    "contextId",
    "details",
    "errors",
    "limit",
];
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
const PAGING: &[&str] = &[
    "entities",
    "pageSize",
    "pageNumber",
    "total",
    "pageCount",
    "firstUri",
    "selfUri",
    "nextUri",
    "previousUri",
    "lastUri",
];
const MEDIA: &[&str] = &["voice", "callback", "chat", "email", "message"];

fn keys_within(v: &Value, allowed: &[&str], what: &str) {
    let obj = v.as_object().unwrap_or_else(|| panic!("{what} is not an object: {v}"));
    for k in obj.keys() {
        assert!(allowed.contains(&k.as_str()), "{what} has undocumented key '{k}': {v}");
    }
}

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
    let r: ObservationResponse = serde_json::from_str(include_str!("fixtures/observations-response.json")).unwrap();
    assert_eq!(r.results[0].data[2].stats.calculated_metric_value, Some(215000.0));
    let e: ErrorBody = serde_json::from_str(include_str!("fixtures/error-429.json")).unwrap();
    assert_eq!(e.code.as_deref(), Some("too.many.requests.retry.after"));
    let o: OAuthErrorBody = serde_json::from_str(include_str!("fixtures/oauth-invalid-client.json")).unwrap();
    assert_eq!(o.text(), "authentication failed");
}

#[tokio::test]
async fn observation_responses_use_only_documented_fields() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let ids: Vec<&str> = t.org.queues.iter().map(|q| q.id.as_str()).collect();
    let mut body: Value = serde_json::from_str(include_str!("fixtures/observations-request.json")).unwrap();
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
                        assert!(presence_ids.contains(q), "presence {q} not in systemToOrganizationMappings")
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
        let parsed = qtop::genesys::client::parse_http_date(date).unwrap();
        assert_eq!(parsed, common::T0.parse().unwrap(), "Date follows the org's clock");
    }
}

const QUEUE_MEMBER: &[&str] = &["id", "name", "user", "ringNumber", "joined", "memberBy", "routingStatus", "selfUri"];
const USER: &[&str] = &[
    "id",
    "name",
    "division",
    "chat",
    "department",
    "email",
    "primaryContactInfo",
    "addresses",
    "state",
    "title",
    "username",
    "manager",
    "images",
    "version",
    "certifications",
    "biography",
    "employerInfo",
    "preferredName",
    "routingStatus",
    "presence",
    "integrationPresence",
    "conversationSummary",
    "outOfOffice",
    "geolocation",
    "station",
    "authorization",
    "profileSkills",
    "locations",
    "groups",
    "team",
    "workPlanBidRanks",
    "skills",
    "languages",
    "acdAutoAnswer",
    "languagePreference",
    "lastTokenIssued",
    "dateLastLogin",
    "dateWelcomeSent",
    "selfUri",
];
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
    keys_within(&v, PAGING, "paging envelope");
    assert_eq!(v["total"], q.members.len());
    assert!(v.get("nextUri").is_some() && v.get("previousUri").is_some(), "page 2 of {}", v["pageCount"]);
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
    let members = qtop::genesys::queries::queue_members(&t.session("wallboard"), &q.id).await.unwrap();
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
