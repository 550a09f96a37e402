//! API host endpoints. Request validation and response shapes follow the official API
//! (see `shared/genesys-api.md`); bodies carry no keys the real models do not have.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::authz::{Caller, DivScope};
use super::engine::{Engine, Ms, Presence, QueueObs};
use super::errors::ApiFault;
use super::org::{Org, QueueSpec, derive_id};
use super::server::{Shared, json};
use crate::genesys::catalog::EndpointId;

type ApiResult = Result<Response, ApiFault>;

fn respond(r: ApiResult) -> Response {
    r.unwrap_or_else(IntoResponse::into_response)
}

pub fn iso_ms(ms: Ms) -> String {
    Timestamp::from_millisecond(ms).map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()).unwrap_or_default()
}

fn media_settings_key(media: &str) -> &'static str {
    match media {
        "voice" => "call",
        "callback" => "callback",
        "chat" => "chat",
        "email" => "email",
        _ => "message",
    }
}

pub fn division_json(org: &Org, d: usize) -> Value {
    let div = &org.divisions[d];
    json!({"id": div.id, "name": div.name, "selfUri": format!("/api/v2/authorization/divisions/{}", div.id)})
}

pub fn queue_json(org: &Org, q: &QueueSpec) -> Value {
    let mut media = serde_json::Map::new();
    for m in &q.media {
        media.insert(
            media_settings_key(m).into(),
            json!({
                "alertingTimeoutSeconds": if m == "voice" { 8 } else { 30 },
                "serviceLevel": {"percentage": q.sl_percentage, "durationMs": q.sl_ms},
            }),
        );
    }
    let mut v = json!({
        "id": q.id,
        "name": q.name,
        "division": division_json(org, q.division),
        "dateCreated": "2024-03-04T09:12:00.000Z",
        "dateModified": "2026-10-01T14:30:00.000Z",
        "memberCount": q.members.len(),
        "userMemberCount": q.members.len(),
        "joinedMemberCount": q.members.len(),
        "mediaSettings": media,
        "acwSettings": {"wrapupPrompt": "OPTIONAL", "timeoutMs": (q.wrap_secs * 2000.0) as i64},
        "skillEvaluationMethod": "BEST",
        "autoAnswerOnly": false,
        "enableTranscription": false,
        "enableManualAssignment": false,
        "selfUri": format!("/api/v2/routing/queues/{}", q.id),
    });
    if let Some(d) = &q.description {
        v["description"] = json!(d);
    }
    v
}

fn parse_num(params: &HashMap<String, String>, key: &str, default: u32) -> Result<u32, ApiFault> {
    match params.get(key) {
        None => Ok(default),
        Some(s) => s.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiFault::invalid_value(
                key,
                format!("Value [{s}] is not valid for field type [Integer]. Allowable values are: positive integers"),
            )
        }),
    }
}

/// `GET /api/v2/routing/queues`: queues in the divisions where the caller holds
/// `routing:queue:view`, sorted by name, paged.
pub async fn routing_queues(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    respond((|| {
        let org = &shared.org;
        let visible = caller.require(org, EndpointId::RoutingQueues)?;
        let page_size = parse_num(&params, "pageSize", 25)?.min(100);
        let page_number = parse_num(&params, "pageNumber", 1)?;
        let name = params.get("name").map(|n| n.to_lowercase());
        let division = params.get("divisionId");
        let mut queues: Vec<&QueueSpec> = org
            .queues
            .iter()
            .filter(|q| visible.contains(q.division))
            .filter(|q| match &name {
                // The API matches a name prefix; `*` is a wildcard.
                Some(n) => glob_prefix(n, &q.name.to_lowercase()),
                None => true,
            })
            .filter(|q| division.is_none_or(|d| &org.divisions[q.division].id == d))
            .collect();
        queues.sort_by_key(|q| q.name.to_lowercase());
        let total = queues.len() as u64;
        let page_count = total.div_ceil(page_size as u64).max(1) as u32;
        let start = ((page_number - 1) as usize).saturating_mul(page_size as usize);
        let entities: Vec<Value> =
            queues.iter().skip(start).take(page_size as usize).map(|q| queue_json(org, q)).collect();
        let uri = |p: u32| format!("/api/v2/routing/queues?pageSize={page_size}&pageNumber={p}");
        let mut body = json!({
            "entities": entities,
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "selfUri": uri(page_number),
            "lastUri": uri(page_count),
        });
        if page_number < page_count {
            body["nextUri"] = json!(uri(page_number + 1));
        }
        if page_number > 1 {
            body["previousUri"] = json!(uri(page_number - 1));
        }
        Ok(json(body))
    })())
}

/// `expand` values the members endpoint accepts (official SDK docs).
pub const MEMBER_EXPANDS: &[&str] = &[
    "routingStatus",
    "presence",
    "integrationPresence",
    "conversationSummary",
    "outOfOffice",
    "geolocation",
    "station",
    "authorization",
    "lasttokenissued",
    "authorization.unusedRoles",
    "team",
    "workPlanBidRanks",
    "externalContactsSettings",
    "profileSkills",
    "certifications",
    "locations",
    "groups",
    "skills",
    "languages",
    "languagePreference",
    "employerInfo",
    "biography",
    "dateLastLogin",
];

/// `PresenceDefinition.systemPresence` as user presences spell it (UNCONFIRMED: seen as
/// "On Queue" in presence definitions; the observation mappings use the upper-case keys).
fn system_presence(p: Presence) -> &'static str {
    match p {
        Presence::Offline => "Offline",
        Presence::Available => "Available",
        Presence::OnQueue => "On Queue",
        Presence::Break => "Break",
        Presence::Meal => "Meal",
        Presence::Busy => "Busy",
    }
}

/// Values of a query parameter that may repeat (`expand=a&expand=b`) or list (`expand=a,b`).
fn multi<'a>(params: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    params
        .iter()
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// `GET /api/v2/routing/queues/{id}/members`: the queue's user members sorted by name,
/// paged like the queue list. `expand=routingStatus` adds `routingStatus`,
/// `expand=presence` adds `user.presence`. Entities carry only `QueueMember` keys.
pub async fn queue_members(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(queue_id): Path<String>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    respond((|| {
        let org = &shared.org;
        let visible = caller.require(org, EndpointId::QueueMembers)?;
        let path = format!("/api/v2/routing/queues/{queue_id}/members");
        // UNCONFIRMED: a queue outside the caller's divisions is answered like an unknown one.
        let Some(q) = org.queues.iter().find(|q| q.id == queue_id && visible.contains(q.division)) else {
            return Err(ApiFault::not_found(&path));
        };
        let single: HashMap<String, String> = params.iter().cloned().collect();
        let page_size = parse_num(&single, "pageSize", 25)?.min(100);
        let page_number = parse_num(&single, "pageNumber", 1)?;
        let expand = multi(&params, "expand");
        if let Some(bad) = expand.iter().find(|e| !MEMBER_EXPANDS.contains(e)) {
            return Err(ApiFault::invalid_value(
                "expand",
                format!("Invalid expand value [{bad}]. Allowable values are: {}", MEMBER_EXPANDS.join(", ")),
            ));
        }
        let descending = match single.get("sortOrder").map(String::as_str) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiFault::invalid_value(
                    "sortOrder",
                    format!("Invalid sortOrder [{other}]. Allowable values are: asc, desc"),
                ));
            }
        };
        let name = single.get("name").map(|n| n.to_lowercase());
        let statuses = multi(&params, "routingStatus");
        let joined = single.get("joined").map(|j| j == "true");
        let groups_only = single.get("memberBy").is_some_and(|m| m == "group");
        let (with_status, with_presence) = (expand.contains(&"routingStatus"), expand.contains(&"presence"));
        let entities_all: Vec<Value> = shared.with_engine(|e| {
            let mut members: Vec<usize> = q
                .members
                .iter()
                .copied()
                .filter(|_| !groups_only && joined != Some(false))
                .filter(|&m| name.as_ref().is_none_or(|n| org.agents[m].name.to_lowercase().contains(n)))
                .filter(|&m| {
                    statuses.is_empty() || statuses.iter().any(|s| s.eq_ignore_ascii_case(e.agents[m].status.as_str()))
                })
                .collect();
            members.sort_by_key(|&m| org.agents[m].name.to_lowercase());
            if descending {
                members.reverse();
            }
            members.iter().map(|&m| member_json(org, e, &q.id, m, with_status, with_presence)).collect()
        });
        let total = entities_all.len() as u64;
        let page_count = total.div_ceil(page_size as u64).max(1) as u32;
        let start = ((page_number - 1) as usize).saturating_mul(page_size as usize);
        let entities: Vec<Value> = entities_all.into_iter().skip(start).take(page_size as usize).collect();
        let uri = |p: u32| format!("{path}?pageSize={page_size}&pageNumber={p}");
        let mut body = json!({
            "entities": entities,
            "pageSize": page_size,
            "pageNumber": page_number,
            "total": total,
            "pageCount": page_count,
            "firstUri": uri(1),
            "selfUri": uri(page_number),
            "lastUri": uri(page_count),
        });
        if page_number < page_count {
            body["nextUri"] = json!(uri(page_number + 1));
        }
        if page_number > 1 {
            body["previousUri"] = json!(uri(page_number - 1));
        }
        Ok(json(body))
    })())
}

fn member_json(org: &Org, e: &Engine, queue_id: &str, m: usize, with_status: bool, with_presence: bool) -> Value {
    let spec = &org.agents[m];
    let agent = &e.agents[m];
    let mut user = json!({
        "id": spec.id,
        "name": spec.name,
        "division": division_json(org, spec.division),
        "email": spec.email,
        "state": "active",
        "username": spec.email,
        "selfUri": format!("/api/v2/users/{}", spec.id),
    });
    if with_presence {
        let def = presence_id(agent.presence.as_str());
        user["presence"] = json!({
            "source": "PURECLOUD",
            "primary": true,
            "presenceDefinition": {
                "id": def,
                "systemPresence": system_presence(agent.presence),
                "selfUri": format!("/api/v2/presencedefinitions/{def}"),
            },
        });
    }
    let mut v = json!({
        "id": spec.id,
        "name": spec.name,
        "user": user,
        "ringNumber": 1,
        "joined": true,
        "memberBy": "user",
        // UNCONFIRMED: no public source shows a member's selfUri; this follows the PATCH path.
        "selfUri": format!("/api/v2/routing/queues/{queue_id}/members/{}", spec.id),
    });
    if with_status {
        v["routingStatus"] = json!({
            "userId": spec.id,
            "status": agent.status.as_str(),
            "startTime": iso_ms(agent.status_since),
        });
    }
    v
}

fn glob_prefix(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

pub const OBSERVATION_METRICS: &[&str] = &[
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
    "oWaiting",
];

pub const OBSERVATION_DETAIL_METRICS: &[&str] = &[
    "oActiveUsers",
    "oAlerting",
    "oInteracting",
    "oMemberUsers",
    "oOffQueueUsers",
    "oOnQueueUsers",
    "oUserPresences",
    "oUserRoutingStatuses",
    "oWaiting",
];

const MEDIA_METRICS: &[&str] = &["oWaiting", "oInteracting", "oAlerting", "oLongestWaiting", "oLongestInteracting"];
/// Observation values listed per metric before `truncated` is set.
const MAX_OBSERVATIONS: usize = 100;

/// What a filter asks for: queue ids (in order) and media types.
#[derive(Debug, Default)]
struct Wanted {
    queues: Vec<String>,
    media: Vec<String>,
}

fn read_filter(f: &Value, path: &str, out: &mut Wanted) -> Result<(), ApiFault> {
    let obj = f.as_object().ok_or_else(|| ApiFault::invalid_value(path, format!("{path} must be an object")))?;
    match obj.get("type").and_then(Value::as_str) {
        Some("and" | "or") => {}
        Some(other) => {
            return Err(ApiFault::invalid_value(
                &format!("{path}.type"),
                format!("Invalid filter type [{other}]. Allowable values are: and, or"),
            ));
        }
        None => return Err(ApiFault::invalid_value(&format!("{path}.type"), format!("{path}.type is required"))),
    }
    let preds = obj.get("predicates").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    let clauses = obj.get("clauses").and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[]);
    if preds.is_empty() && clauses.is_empty() {
        return Err(ApiFault::invalid_value(path, format!("{path} needs predicates or clauses")));
    }
    for (i, p) in preds.iter().enumerate() {
        let at = format!("{path}.predicates[{i}]");
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("dimension");
        if kind != "dimension" {
            return Err(ApiFault::invalid_value(
                &at,
                format!("Invalid predicate type [{kind}] for queue observations. Allowable values are: dimension"),
            ));
        }
        let dim = p.get("dimension").and_then(Value::as_str).unwrap_or("");
        let op = p.get("operator").and_then(Value::as_str).unwrap_or("matches");
        if !["matches", "exists", "notExists"].contains(&op) {
            return Err(ApiFault::invalid_value(
                &at,
                format!("Invalid operator [{op}]. Allowable values are: matches, exists, notExists"),
            ));
        }
        let value = p.get("value").and_then(Value::as_str);
        match (dim, op, value) {
            ("queueId", "matches", Some(v)) => out.queues.push(v.to_string()),
            ("mediaType", "matches", Some(v)) => out.media.push(v.to_string()),
            ("queueId" | "mediaType", "matches", None) => {
                return Err(ApiFault::invalid_value(
                    &format!("{at}.value"),
                    "A value is required for the matches operator",
                ));
            }
            ("queueId" | "mediaType", _, _) => {}
            _ => {
                return Err(ApiFault::invalid_value(
                    &format!("{at}.dimension"),
                    format!("Invalid dimension [{dim}]. Allowable values are: queueId, mediaType"),
                ));
            }
        }
    }
    for (i, c) in clauses.iter().enumerate() {
        read_filter(c, &format!("{path}.clauses[{i}]"), out)?;
    }
    Ok(())
}

fn metric_list(body: &Value, key: &str, allowed: &[&str], required: bool) -> Result<Vec<String>, ApiFault> {
    let Some(v) = body.get(key) else {
        return if required { Err(ApiFault::invalid_value(key, format!("{key} is required"))) } else { Ok(vec![]) };
    };
    let arr = v.as_array().ok_or_else(|| ApiFault::invalid_value(key, format!("{key} must be an array")))?;
    if required && arr.is_empty() {
        return Err(ApiFault::invalid_value(key, format!("{key} must list at least one metric")));
    }
    arr.iter()
        .map(|m| {
            let m = m.as_str().unwrap_or("");
            if allowed.contains(&m) {
                Ok(m.to_string())
            } else {
                Err(ApiFault::invalid_value(
                    key,
                    format!("Invalid metric [{m}] in {key}. Allowable values are: {}", allowed.join(", ")),
                ))
            }
        })
        .collect()
}

/// `POST /api/v2/analytics/queues/observations/query`.
pub async fn queue_observations(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    respond((|| {
        let org = &shared.org;
        let visible = caller.require(org, EndpointId::QueueObservations)?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiFault::bad_request(format!("The request body could not be parsed as JSON: {e}")))?;
        let filter = body.get("filter").ok_or_else(|| ApiFault::invalid_value("filter", "filter is required"))?;
        let mut wanted = Wanted::default();
        read_filter(filter, "filter", &mut wanted)?;
        let metrics = metric_list(&body, "metrics", OBSERVATION_METRICS, true)?;
        let detail = metric_list(&body, "detailMetrics", OBSERVATION_DETAIL_METRICS, false)?;
        let (results, now) =
            shared.with_engine(|e| (observation_results(e, &visible, &wanted, &metrics, &detail), e.now()));
        let _ = now;
        let mut out = json!({"results": results});
        if metrics.iter().any(|m| m == "oUserPresences") {
            let mapping: BTreeMap<&str, Vec<String>> =
                super::engine::Presence::ALL.iter().map(|p| (p.as_str(), vec![presence_id(p.as_str())])).collect();
            out["systemToOrganizationMappings"] = json!(mapping);
        }
        Ok(json(out))
    })())
}

pub fn presence_id(system: &str) -> String {
    derive_id("presence", system)
}

fn observation_results(
    e: &Engine,
    visible: &DivScope,
    wanted: &Wanted,
    metrics: &[String],
    detail: &[String],
) -> Vec<Value> {
    let org = e.org();
    let index: HashMap<&str, usize> = org.queues.iter().enumerate().map(|(i, q)| (q.id.as_str(), i)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut results = vec![];
    let want = |m: &str| metrics.iter().any(|x| x == m);
    // Queues outside the caller's divisions are left out, as the real API does.
    for qid in &wanted.queues {
        let Some(&qi) = index.get(qid.as_str()) else { continue };
        if !visible.contains(org.queues[qi].division) || !seen.insert(qi) {
            continue;
        }
        let obs = e.observe(qi);
        results.extend(media_results(e, qid, &obs, wanted, metrics, detail));
        let users = user_data(&obs, &want);
        if !users.is_empty() {
            results.push(json!({"group": {"queueId": qid}, "data": users}));
        }
    }
    results
}

fn media_results(
    e: &Engine,
    qid: &str,
    obs: &QueueObs,
    wanted: &Wanted,
    metrics: &[String],
    detail: &[String],
) -> Vec<Value> {
    let mut out = vec![];
    if !metrics.iter().any(|m| MEDIA_METRICS.contains(&m.as_str())) {
        return out;
    }
    for m in &obs.media {
        if !wanted.media.is_empty() && !wanted.media.contains(&m.media) {
            continue;
        }
        let mut data = vec![];
        for metric in metrics.iter().filter(|x| MEDIA_METRICS.contains(&x.as_str())) {
            let mut d = match metric.as_str() {
                "oWaiting" => json!({"metric": "oWaiting", "stats": {"count": m.waiting}}),
                "oInteracting" => json!({"metric": "oInteracting", "stats": {"count": m.interacting}}),
                "oAlerting" => json!({"metric": "oAlerting", "stats": {"count": m.alerting}}),
                "oLongestWaiting" => longest("oLongestWaiting", m.waiting, m.longest_waiting_ms),
                _ => longest("oLongestInteracting", m.interacting, m.longest_interacting_ms),
            };
            if metric == "oWaiting" && detail.iter().any(|x| x == "oWaiting") {
                let calls: Vec<Value> = m
                    .waiting_calls
                    .iter()
                    .take(MAX_OBSERVATIONS)
                    .map(|c| {
                        json!({
                            "observationDate": iso_ms(c.arrived),
                            "conversationId": c.conversation_id,
                            "sessionId": c.session_id,
                            "requestedRoutingSkillIds": [],
                            "routingPriority": 0,
                            "direction": "inbound",
                            "ani": c.ani,
                        })
                    })
                    .collect();
                d["observations"] = json!(calls);
                d["truncated"] = json!(m.waiting_calls.len() > MAX_OBSERVATIONS);
            }
            data.push(d);
        }
        let _ = e;
        out.push(json!({"group": {"queueId": qid, "mediaType": m.media}, "data": data}));
    }
    out
}

fn longest(metric: &str, count: u32, ms: Option<Ms>) -> Value {
    match ms {
        Some(v) if count > 0 => json!({"metric": metric, "stats": {"count": count, "calculatedMetricValue": v}}),
        _ => json!({"metric": metric, "stats": {"count": 0}}),
    }
}

fn user_data(obs: &QueueObs, want: &dyn Fn(&str) -> bool) -> Vec<Value> {
    let u = &obs.users;
    let mut data = vec![];
    if want("oOnQueueUsers") {
        for (s, n) in &u.on_queue {
            data.push(json!({"metric": "oOnQueueUsers", "qualifier": s.as_str(), "stats": {"count": n}}));
        }
    }
    if want("oOffQueueUsers") {
        data.push(json!({"metric": "oOffQueueUsers", "stats": {"count": u.off_queue}}));
    }
    if want("oUserRoutingStatuses") {
        for (s, n) in &u.routing {
            data.push(json!({"metric": "oUserRoutingStatuses", "qualifier": s.as_str(), "stats": {"count": n}}));
        }
    }
    if want("oUserPresences") {
        for (p, n) in &u.presences {
            data.push(json!({"metric": "oUserPresences", "qualifier": presence_id(p.as_str()), "stats": {"count": n}}));
        }
    }
    if want("oActiveUsers") {
        data.push(json!({"metric": "oActiveUsers", "stats": {"count": u.active}}));
    }
    if want("oMemberUsers") {
        data.push(json!({"metric": "oMemberUsers", "stats": {"count": u.members}}));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_filter_is_a_prefix_with_wildcards() {
        assert!(glob_prefix("sales", "sales - upgrades"));
        assert!(glob_prefix("*care", "customer care"));
        assert!(!glob_prefix("care", "customer care"));
    }

    #[test]
    fn filters_are_validated_like_the_api() {
        let mut w = Wanted::default();
        let f = json!({"type":"or","predicates":[{"type":"dimension","dimension":"queueId","operator":"matches","value":"q1"},
                                                 {"dimension":"mediaType","value":"voice"}]});
        read_filter(&f, "filter", &mut w).unwrap();
        assert_eq!(w.queues, ["q1"]);
        assert_eq!(w.media, ["voice"]);
        for bad in [
            json!({"type":"xor","predicates":[{"dimension":"queueId","value":"q"}]}),
            json!({"type":"or","predicates":[{"dimension":"userId","value":"q"}]}),
            json!({"type":"or","predicates":[]}),
            json!({"type":"or","predicates":[{"dimension":"queueId","operator":"like","value":"q"}]}),
        ] {
            let e = read_filter(&bad, "filter", &mut Wanted::default()).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{bad}");
        }
    }

    #[test]
    fn long_metrics_are_rejected_as_detail_metrics() {
        let body = json!({"detailMetrics": ["oLongestWaiting"]});
        assert!(metric_list(&body, "detailMetrics", OBSERVATION_DETAIL_METRICS, false).is_err());
        let body = json!({"metrics": ["oWaiting", "nOffered"]});
        let e = metric_list(&body, "metrics", OBSERVATION_METRICS, true).unwrap_err();
        assert!(e.message.contains("nOffered"));
    }
}
