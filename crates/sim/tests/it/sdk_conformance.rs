//! Every body the simulator serves, checked against the official SDK model it stands for:
//! each endpoint's answer, each error body, each socket message. Both ways: no key the model
//! lacks (with the model's type and enum values), and every key the real service always sends
//! present (`sdk_always_sent.rs`, with its sources).
//!
//! The model tables are `sdk_models.json`, generated from the Python SDK by
//! `scripts/sdk-models.py` (its header says which version and how to regenerate); this test
//! needs no Python. A new endpoint in the catalogue fails `every_endpoint_is_covered` until a
//! check for it is added here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use genesys::catalog::{self, EndpointId, Host};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth_conformance::user_token_answer;
use crate::common::{self, TestSim};
use crate::sdk_always_sent::{ALWAYS_SENT, HAND_WRITTEN, HAND_WRITTEN_ENUMS};

#[derive(Deserialize)]
struct Tables {
    models: BTreeMap<String, Model>,
}

#[derive(Deserialize, Default)]
struct Model {
    fields: BTreeMap<String, String>,
    #[serde(default)]
    enums: BTreeMap<String, Vec<String>>,
}

/// The generated tables plus the hand-written ones.
fn tables() -> BTreeMap<String, Model> {
    let mut t: Tables = serde_json::from_str(include_str!("sdk_models.json")).expect("sdk_models.json parses");
    for (name, fields, _) in HAND_WRITTEN {
        let m =
            Model { fields: fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(), ..Default::default() };
        assert!(t.models.insert((*name).into(), m).is_none(), "{name} is generated and hand-written");
    }
    for (name, key, values, _) in HAND_WRITTEN_ENUMS {
        let m = t.models.get_mut(*name).expect("enum of a hand-written model");
        m.enums.insert((*key).into(), values.iter().map(|v| (*v).to_string()).collect());
    }
    t.models
}

/// Checks bodies and remembers what was checked.
struct Checker {
    models: BTreeMap<String, Model>,
    always: BTreeMap<&'static str, &'static [&'static str]>,
    errors: Vec<String>,
    /// Models seen at the top of a body, and every model met anywhere.
    roots: BTreeSet<String>,
    met: BTreeSet<String>,
    endpoints: BTreeSet<EndpointId>,
    events: BTreeSet<&'static str>,
    statuses: BTreeSet<u16>,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            models: tables(),
            always: ALWAYS_SENT.iter().map(|(m, keys, _)| (*m, *keys)).collect(),
            errors: vec![],
            roots: BTreeSet::new(),
            met: BTreeSet::new(),
            endpoints: BTreeSet::new(),
            events: BTreeSet::new(),
            statuses: BTreeSet::new(),
        }
    }

    /// `v` is a `model`, as the real service would send it.
    fn body(&mut self, what: &str, model: &str, v: &Value) {
        self.roots.insert(model.to_string());
        self.model(&format!("{what}: {model}"), model, v);
    }

    fn endpoint(&mut self, id: EndpointId, what: &str, model: &str, v: &Value) {
        self.endpoints.insert(id);
        self.body(what, model, v);
    }

    fn error(&mut self, what: &str, status: u16, v: &Value) {
        self.statuses.insert(status);
        if v["status"] != status {
            self.errors.push(format!("{what}: status {status} but the body says {}", v["status"]));
        }
        self.body(what, "ErrorBody", v);
    }

    fn model(&mut self, at: &str, model: &str, v: &Value) {
        self.met.insert(model.to_string());
        let Some(m) = self.models.get(model) else {
            self.errors.push(format!("{at}: model {model} is not in the tables (add it to scripts/sdk-models.py)"));
            return;
        };
        let Some(obj) = v.as_object() else {
            self.errors.push(format!("{at}: a {model} must be an object, got {v}"));
            return;
        };
        let mut nested = vec![];
        for (k, val) in obj {
            match m.fields.get(k) {
                None => self.errors.push(format!("{at}: key '{k}' is not in {model}")),
                Some(t) => {
                    if let (Some(allowed), Some(s)) = (m.enums.get(k), val.as_str())
                        && !allowed.iter().any(|a| a == s)
                    {
                        self.errors.push(format!("{at}.{k}: '{s}' is not one of {model}.{k}'s values {allowed:?}"));
                    }
                    nested.push((format!("{at}.{k}"), t.clone(), val.clone()));
                }
            }
        }
        for k in self.always.get(model).copied().unwrap_or_default() {
            if !obj.contains_key(*k) {
                self.errors.push(format!("{at}: key '{k}', always sent by the real service, is missing"));
            }
        }
        for (at, t, val) in nested {
            self.typed(&at, &t, &val);
        }
    }

    /// `v` has the SDK type `t` (`str`, `int`, `list[T]`, `dict(str, T)`, a model name, …).
    fn typed(&mut self, at: &str, t: &str, v: &Value) {
        let ok = match t {
            _ if v.is_null() => false,
            "str" => v.is_string(),
            "int" => v.is_i64() || v.is_u64(),
            "float" => v.is_number(),
            "bool" => v.is_boolean(),
            "datetime" => v.as_str().is_some_and(|s| s.ends_with('Z') && s.parse::<jiff::Timestamp>().is_ok()),
            "date" => v.as_str().is_some_and(|s| s.parse::<jiff::civil::Date>().is_ok()),
            "object" => true,
            _ => {
                if let Some(inner) = t.strip_prefix("list[").and_then(|r| r.strip_suffix(']')) {
                    let Some(items) = v.as_array() else {
                        self.errors.push(format!("{at}: a {t} must be an array, got {v}"));
                        return;
                    };
                    for (i, item) in items.iter().enumerate() {
                        self.typed(&format!("{at}[{i}]"), inner, item);
                    }
                    return;
                }
                if let Some(inner) = t.strip_prefix("dict(str, ").and_then(|r| r.strip_suffix(')')) {
                    let Some(map) = v.as_object() else {
                        self.errors.push(format!("{at}: a {t} must be an object, got {v}"));
                        return;
                    };
                    for (k, item) in map {
                        self.typed(&format!("{at}.{k}"), inner, item);
                    }
                    return;
                }
                self.model(at, t, v);
                return;
            }
        };
        if !ok {
            self.errors.push(format!("{at}: {v} is not a {t}"));
        }
    }

    fn finish(self) {
        assert!(
            self.errors.is_empty(),
            "{} drift(s) from the SDK models:\n{}",
            self.errors.len(),
            self.errors.join("\n")
        );
        // Every table was used: a model no body reaches is a check that no longer runs.
        let unused: Vec<&&str> = self.always.keys().filter(|m| !self.met.contains(**m)).collect();
        assert!(unused.is_empty(), "always-sent lists of models no body reached: {unused:?}");
        let every_api = catalog::CATALOG
            .iter()
            .filter(|s| s.host == Host::Api || s.id == EndpointId::OAuthToken)
            .map(|s| s.id)
            .collect::<BTreeSet<_>>();
        let missed: Vec<_> = every_api.difference(&self.endpoints).collect();
        assert!(missed.is_empty(), "catalogue endpoints the simulator serves but no check covers: {missed:?}");
        for ev in ["observation (instantaneous)", "observation (interval)", "heartbeat", "pong", "socket_closing"] {
            assert!(self.events.contains(ev), "no {ev} message was checked");
        }
        for status in [400, 401, 403, 404, 405, 429, 500, 503] {
            assert!(self.statuses.contains(&status), "no {status} error body was checked");
        }
    }
}

async fn send(rb: reqwest::RequestBuilder) -> (u16, Value) {
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    (status, if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
}

fn get(t: &TestSim, token: &str, path: &str) -> reqwest::RequestBuilder {
    common::http().get(t.url(path)).bearer_auth(token)
}

fn post(t: &TestSim, token: &str, path: &str, body: &Value) -> reqwest::RequestBuilder {
    common::http().post(t.url(path)).bearer_auth(token).json(body)
}

fn queue_filter(ids: &[&str]) -> Value {
    json!({"type": "or", "predicates": ids.iter()
        .map(|id| json!({"type": "dimension", "dimension": "queueId", "operator": "matches", "value": id}))
        .collect::<Vec<_>>()})
}

/// Bodies from every endpoint on the API host and the token endpoint, success and refusal.
async fn check_http(c: &mut Checker, t: &TestSim) {
    use EndpointId as E;
    let wallboard = t.token("wallboard").await;
    let home = t.token("home-division").await;
    let ids: Vec<&str> = t.org.queues.iter().map(|q| q.id.as_str()).collect();

    // Queues, paged: a middle page has every link.
    for path in ["/api/v2/routing/queues?pageSize=2&pageNumber=2", "/api/v2/routing/queues?pageSize=100"] {
        let (s, v) = send(get(t, &wallboard, path)).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::RoutingQueues, path, "QueueEntityListing", &v);
    }

    // Members, with and without the expansions; a middle page.
    let q = t.org.queues.iter().max_by_key(|q| q.members.len()).unwrap();
    for query in ["?pageSize=2&pageNumber=2&expand=routingStatus,presence", "?pageSize=100"] {
        let path = format!("/api/v2/routing/queues/{}/members{query}", q.id);
        let (s, v) = send(get(t, &wallboard, &path)).await;
        assert_eq!(s, 200, "{v}");
        assert!(v["entities"].as_array().is_some_and(|e| !e.is_empty()), "{v}");
        c.endpoint(E::QueueMembers, &path, "QueueMemberEntityListing", &v);
    }

    // Observations with every metric, detail observations and presences.
    let obs = json!({"filter": queue_filter(&ids), "metrics": [
        "oActiveUsers", "oAlerting", "oInteracting", "oLongestInteracting", "oLongestWaiting", "oMemberUsers",
        "oOffQueueUsers", "oOnQueueUsers", "oUserPresences", "oUserRoutingStatuses", "oWaiting"],
        "detailMetrics": ["oWaiting", "oInteracting"]});
    let (s, v) = send(post(t, &wallboard, "/api/v2/analytics/queues/observations/query", &obs)).await;
    assert_eq!(s, 200, "{v}");
    assert!(v.to_string().contains("observationDate"), "someone is waiting mid-morning: {v}");
    c.endpoint(E::QueueObservations, "observations query", "QueueObservationQueryResponse", &v);

    // Aggregates: a morning's traffic, and an hour with none.
    let agg = |interval: &str| {
        json!({"interval": interval, "groupBy": ["queueId", "mediaType"], "filter": queue_filter(&ids), "metrics": [
            "nOffered", "nConnected", "nOverSla", "tAnswered", "tAbandon", "tWait", "tAcd", "tHandle", "tTalk",
            "tTalkComplete", "tAcw", "oServiceLevel", "oServiceTarget"]})
    };
    for interval in
        ["2026-11-25T00:00:00.000Z/2026-11-25T10:30:00.000Z", "2026-11-25T02:00:00.000Z/2026-11-25T02:01:00.000Z"]
    {
        let (s, v) =
            send(post(t, &wallboard, "/api/v2/analytics/conversations/aggregates/query", &agg(interval))).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::ConversationAggregates, interval, "ConversationAggregateQueryResponse", &v);
    }

    // Who the token is: a client and a user, narrow and wide.
    let user = user_token_answer(t, "supervisor").await;
    c.endpoint(E::OAuthToken, "code exchange", "OAuthTokenResponse", &user);
    let supervisor = user["access_token"].as_str().unwrap().to_string();
    for (who, token) in [("wallboard", &wallboard), ("supervisor", &supervisor)] {
        let (s, v) = send(get(t, token, "/api/v2/tokens/me?preserveIdleTTL=true")).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::TokensMe, who, "TokenInfo", &v);
    }
    for (who, token) in [("home-division", &home), ("wallboard", &wallboard), ("supervisor", &supervisor)] {
        let (s, v) = send(get(t, token, "/api/v2/authorization/subjects/me")).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::SubjectsMe, who, "AuthzSubject", &v);
    }
    for path in ["/api/v2/users/me", "/api/v2/users/me?expand=authorization"] {
        let (s, v) = send(get(t, &supervisor, path)).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::UsersMe, path, "UserMe", &v);
    }
    for (who, token, perm) in [
        ("home-division", &home, "routing:queue:view"),
        ("wallboard", &wallboard, "analytics:queueObservation:view"),
        ("supervisor", &supervisor, "routing:queue:view"),
        ("home-division (not held)", &home, "oauth:client:view"),
    ] {
        let path = format!("/api/v2/authorization/divisionspermitted/paged/me?permission={perm}&pageSize=1");
        let (s, v) = send(get(t, token, &path)).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::DivisionsPermittedMe, who, "DivsPermittedEntityListing", &v);
    }
    for path in ["/api/v2/authorization/divisions?pageSize=1&pageNumber=2", "/api/v2/authorization/divisions"] {
        let (s, v) = send(get(t, &home, path)).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::Divisions, path, "AuthzDivisionEntityListing", &v);
    }
    for cli in &t.org.clients {
        let (s, v) = send(get(t, &supervisor, &format!("/api/v2/oauth/clients/{}", cli.id))).await;
        assert_eq!(s, 200, "{v}");
        c.endpoint(E::OAuthClient, &cli.name, "OAuthClient", &v);
    }

    // The client-credentials token answer and the token endpoint's refusals.
    let (id, secret) = t.persona_client("wallboard");
    let form = [("grant_type", "client_credentials")];
    let token = common::http().post(t.url("/oauth/token")).basic_auth(&id, Some(secret.expose())).form(&form);
    let (s, v) = send(token).await;
    assert_eq!(s, 200, "{v}");
    c.endpoint(E::OAuthToken, "client credentials", "OAuthTokenResponse", &v);
    let no_cc = t.org.clients.iter().find(|c| !c.grants.iter().any(|g| g == "client_credentials")).unwrap();
    let refusals = [
        ("wrong secret", id.as_str(), "wrong", "client_credentials"),
        ("unknown client", "no-such-client", "x", "client_credentials"),
        ("grant not allowed", no_cc.id.as_str(), no_cc.secret.as_str(), "client_credentials"),
        ("unsupported grant", id.as_str(), secret.expose(), "password"),
    ];
    for (what, user, pass, grant) in refusals {
        let rb = common::http().post(t.url("/oauth/token")).basic_auth(user, Some(pass)).form(&[("grant_type", grant)]);
        let (s, v) = send(rb).await;
        assert!(s == 400 || s == 401, "{what}: {s} {v}");
        c.body(what, "OAuthError", &v);
    }
    let bad_refresh = [("grant_type", "refresh_token"), ("refresh_token", "nope")];
    let (_, v) =
        send(common::http().post(t.url("/oauth/token")).basic_auth(&id, Some(secret.expose())).form(&bad_refresh))
            .await;
    c.body("bad refresh token", "OAuthError", &v);

    // Error bodies on the API host.
    let (s, v) = send(common::http().get(t.url("/api/v2/routing/queues"))).await;
    c.error("no token", s, &v);
    let (s, v) = send(get(t, "nope", "/api/v2/routing/queues")).await;
    c.error("unknown token", s, &v);
    let refused = t.token("no-observations").await;
    let one = json!({"filter": queue_filter(&ids[..1]), "metrics": ["oWaiting"]});
    let (s, v) = send(post(t, &refused, "/api/v2/analytics/queues/observations/query", &one)).await;
    assert_eq!(s, 403);
    c.error("missing.permissions", s, &v);
    let (s, v) = send(post(
        t,
        &refused,
        "/api/v2/analytics/conversations/aggregates/query",
        &agg("2026-11-25T00:00:00Z/2026-11-25T10:00:00Z"),
    ))
    .await;
    assert_eq!(s, 403);
    c.error("missing.any.permissions", s, &v);
    let (s, v) = send(get(t, &wallboard, "/api/v2/users/me")).await;
    assert_eq!(s, 400);
    c.error("user context required", s, &v);
    let (s, v) = send(get(t, &wallboard, "/api/v2/routing/queues?pageSize=abc")).await;
    assert_eq!(s, 400);
    c.error("invalid.value", s, &v);
    let (s, v) = send(
        common::http()
            .post(t.url("/api/v2/analytics/queues/observations/query"))
            .bearer_auth(&wallboard)
            .header("content-type", "application/json")
            .body("{not json"),
    )
    .await;
    assert_eq!(s, 400);
    c.error("bad.request", s, &v);
    let (s, v) = send(get(t, &home, "/api/v2/authorization/divisionspermitted/paged/me")).await;
    assert_eq!(s, 400);
    c.error("divisionspermitted without permission", s, &v);
    for path in ["/api/v2/analytics/queues/realtime", "/api/v2/routing/queues/no-such-queue/members"] {
        let (s, v) = send(get(t, &wallboard, path)).await;
        assert_eq!(s, 404);
        c.error(path, s, &v);
    }
    let (s, v) = send(get(t, &supervisor, "/api/v2/oauth/clients/00000000-0000-0000-0000-000000000000")).await;
    assert_eq!(s, 404);
    c.error("unknown OAuth client", s, &v);
    let (s, v) = send(common::http().delete(t.url("/api/v2/routing/queues")).bearer_auth(&wallboard)).await;
    assert_eq!(s, 405);
    c.error("method not allowed", s, &v);

    // Revoking answers no body; the revoked token's next call is a 401.
    let gone = t.token("wallboard").await;
    let (s, v) = send(common::http().delete(t.url("/api/v2/tokens/me")).bearer_auth(&gone)).await;
    assert!((200..300).contains(&s) && v.is_null(), "{s} {v}");
    c.endpoints.insert(E::TokensMeDelete);
    let (s, v) = send(get(t, &gone, "/api/v2/tokens/me")).await;
    c.error("revoked token", s, &v);
}

/// Channel, subscriptions (plain, ignoreErrors with a rejection, refused) and every message
/// the socket sends.
async fn check_notifications(c: &mut Checker, t: &TestSim) {
    use EndpointId as E;
    let wallboard = t.token("wallboard").await;
    let home = t.token("home-division").await;
    let (s, ch) = send(post(t, &wallboard, "/api/v2/notifications/channels", &json!({}))).await;
    assert_eq!(s, 200, "{ch}");
    c.endpoint(E::NotificationChannels, "channel", "Channel", &ch);
    let subs = format!("/api/v2/notifications/channels/{}/subscriptions", ch["id"].as_str().unwrap());
    let topics: Vec<Value> =
        t.org.queues.iter().map(|q| json!({"id": genesys::notifications::topic_of(&q.id)})).collect();
    let (s, v) = send(common::http().put(t.url(&subs)).bearer_auth(&wallboard).json(&topics)).await;
    assert_eq!(s, 200, "{v}");
    c.endpoint(E::NotificationSubscriptions, "PUT subscriptions", "ChannelTopicEntityListing", &v);
    let (s, v) = send(post(t, &wallboard, &subs, &json!(topics[..1]))).await;
    assert_eq!(s, 200, "{v}");
    c.body("POST subscriptions", "ChannelTopicEntityListing", &v);
    let (s, v) = send(get(t, &wallboard, &subs)).await;
    assert_eq!(s, 200, "{v}");
    c.body("GET subscriptions", "ChannelTopicEntityListing", &v);

    // A narrow caller: one topic permitted and one rejected, then the same refused whole.
    let (_, own) = send(post(t, &home, "/api/v2/notifications/channels", &json!({}))).await;
    let own_subs = format!("/api/v2/notifications/channels/{}/subscriptions", own["id"].as_str().unwrap());
    let ignore = format!("{own_subs}?ignoreErrors=true");
    let (s, v) = send(common::http().put(t.url(&ignore)).bearer_auth(&home).json(&topics)).await;
    assert_eq!(s, 200, "{v}");
    let states: BTreeSet<&str> = v["entities"].as_array().unwrap().iter().filter_map(|e| e["state"].as_str()).collect();
    assert_eq!(states, BTreeSet::from(["Permitted", "Rejected"]), "{v}");
    c.body("subscriptions with ignoreErrors", "ChannelTopicEntityListing", &v);
    let (s, v) = send(common::http().put(t.url(&own_subs)).bearer_auth(&home).json(&topics)).await;
    assert_eq!(s, 403);
    c.error("a refused topic", s, &v);

    // The socket: events from a morning's traffic, heartbeats every few hundred ms.
    t.sim
        .shared
        .notifications
        .set_timing(sim::notifications::Timing { heartbeat: Duration::from_millis(300), ..Default::default() });
    t.clock.advance(jiff::SignedDuration::from_mins(10));
    let mut ws = genesys::notifications::connect(ch["connectUri"].as_str().unwrap()).await.expect("socket connects");
    let mut pinged = false;
    let mut closing_asked = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while c.events.len() < 5 {
        if c.events.contains("observation (instantaneous)") && !pinged {
            ws.send(r#"{"message":"ping"}"#.into()).await.unwrap();
            pinged = true;
        }
        if ["observation (interval)", "heartbeat", "pong"].iter().all(|e| c.events.contains(e)) && !closing_asked {
            t.sim.shared.notifications.closing_sockets();
            closing_asked = true;
        }
        let msg = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("only {:?} arrived in 20 s", c.events))
            .expect("socket open")
            .expect("socket readable");
        let Ok(text) = msg.to_text() else { continue };
        if text.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        let topic = v["topicName"].as_str().unwrap_or_default().to_string();
        c.body(&topic, "NotificationEvent", &v);
        let body = &v["eventBody"];
        match topic.as_str() {
            "channel.metadata" => {
                c.body(&topic, "ChannelMetadataNotification", body);
                c.events.insert(if body["message"] == "pong" { "pong" } else { "heartbeat" });
            }
            "v2.system.socket_closing" => {
                c.body(&topic, "SystemMessageSystemMessage", body);
                c.events.insert("socket_closing");
            }
            _ if genesys::notifications::queue_of(&topic).is_some() => {
                assert_eq!(v["version"], "2", "{v}");
                c.body(&topic, "StatEventQueueTopicStatsNotification", body);
                let interval = body["data"][0]["interval"].as_str().unwrap_or_default();
                let instant = interval.split_once('/').is_some_and(|(a, b)| a == b);
                c.events.insert(if instant { "observation (instantaneous)" } else { "observation (interval)" });
            }
            other => panic!("unexpected topic {other}: {v}"),
        }
    }
}

/// 429 and the 5xx bodies, through the fault switches.
async fn check_faults(c: &mut Checker, t: &TestSim) {
    let token = t.token("wallboard").await;
    for fault in [
        json!({"fault": "errors", "status": 500, "count": 1}),
        json!({"fault": "errors", "status": 503, "count": 1}),
        json!({"fault": "unavailable", "retry_after": 9, "count": 1}),
        json!({"fault": "rate-limit", "per_minute": 1}),
    ] {
        let on = common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap();
        assert_eq!(on.status(), 201);
        let (mut s, mut v) = send(get(t, &token, "/api/v2/routing/queues")).await;
        if fault["fault"] == "rate-limit" {
            // The first request of the window is allowed; the second is over the limit.
            (s, v) = send(get(t, &token, "/api/v2/routing/queues")).await;
            assert_eq!(s, 429);
        }
        c.error(&fault.to_string(), s, &v);
        common::http().delete(t.url("/sim/faults")).send().await.unwrap();
    }
    // An org that enforces scopes refuses a user token without the call's scope.
    let mut org = sim::org::Org::demo();
    org.enforce_scopes = true;
    let strict = common::start_sim_with(org).await;
    let narrow = crate::auth_conformance::user_token(&strict, "narrow-scopes").await;
    let one = json!({"filter": queue_filter(&[strict.org.queues[0].id.as_str()]), "metrics": ["oWaiting"]});
    let (s, v) = send(post(&strict, &narrow, "/api/v2/analytics/queues/observations/query", &one)).await;
    assert_eq!(s, 403, "{v}");
    assert_eq!(v["code"], "not.authorized");
    c.error("scope not granted", s, &v);
}

#[tokio::test]
async fn every_body_the_simulator_serves_matches_its_sdk_model() {
    let t = common::start_sim_with_faults().await;
    let mut c = Checker::new();
    check_http(&mut c, &t).await;
    check_faults(&mut c, &t).await;
    check_notifications(&mut c, &t).await;
    c.finish();
}

#[test]
fn the_always_sent_lists_name_keys_their_models_have() {
    let models = tables();
    for (model, keys, source) in ALWAYS_SENT {
        assert!(!source.is_empty(), "{model} needs a source");
        let m = models.get(*model).unwrap_or_else(|| panic!("{model} is not in the tables"));
        for k in *keys {
            assert!(m.fields.contains_key(*k), "{model} has no key {k}");
        }
    }
}

#[test]
fn the_checker_catches_each_kind_of_drift() {
    let mut c = Checker::new();
    let good = json!({"userId": "u", "status": "IDLE", "startTime": "2026-11-25T10:00:00.000Z"});
    c.body("good", "RoutingStatus", &good);
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let cases = [
        (
            json!({"userId": "u", "status": "IDLE", "startTime": "2026-11-25T10:00:00.000Z", "extra": 1}),
            "'extra' is not in",
        ),
        (json!({"userId": "u", "status": "BUSY", "startTime": "2026-11-25T10:00:00.000Z"}), "not one of"),
        (json!({"userId": "u", "status": "IDLE", "startTime": "yesterday"}), "is not a datetime"),
        (json!({"userId": 7, "status": "IDLE", "startTime": "2026-11-25T10:00:00.000Z"}), "is not a str"),
        (json!({"userId": "u", "status": "IDLE"}), "always sent"),
    ];
    for (body, want) in cases {
        let mut c = Checker::new();
        c.body("bad", "RoutingStatus", &body);
        assert!(c.errors.iter().any(|e| e.contains(want)), "{body}: {:?}", c.errors);
    }
    let mut c = Checker::new();
    c.body(
        "nested",
        "QueueMemberEntityListing",
        &json!({"entities": [{"id": "u", "name": "n", "joined": "yes"}],
        "pageSize": 1, "pageNumber": 1, "firstUri": "/x", "selfUri": "/x", "total": 1}),
    );
    assert!(c.errors.iter().any(|e| e.contains("entities[0].joined")), "{:?}", c.errors);
    assert!(c.errors.iter().any(|e| e.contains("'total' is not in QueueMemberEntityListing")), "{:?}", c.errors);
}
