//! API host endpoints. Request validation and response shapes follow the official API
//! (see `shared/genesys-api.md`); bodies carry no keys the real models do not have.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::authz::{Caller, DivScope};
use super::engine::{Engine, Ms, QueueObs};
use super::errors::ApiFault;
use super::org::{Org, QueueSpec, derive_id};
use super::query::{self, OBSERVATION_DIMENSIONS};
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
        let org = &*shared.org_now();
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

/// `POST /api/v2/analytics/queues/observations/query`.
pub async fn queue_observations(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    respond((|| {
        let org = shared.org_now();
        let visible = caller.require(&org, EndpointId::QueueObservations)?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiFault::bad_request(format!("The request body could not be parsed as JSON: {e}")))?;
        let filter = body.get("filter").ok_or_else(|| ApiFault::invalid_value("filter", "filter is required"))?;
        let filter = query::parse_filter(filter, "filter", OBSERVATION_DIMENSIONS, OBSERVATION_DIMENSIONS)?;
        let wanted = Wanted { queues: filter.queue_ids(), media: filter.media_types() };
        let metrics = query::metric_list(&body, "metrics", OBSERVATION_METRICS, true)?;
        let detail = query::metric_list(&body, "detailMetrics", OBSERVATION_DETAIL_METRICS, false)?;
        let skew = shared.skew_secs() * 1000;
        let view = View { org: &org, visible: &visible, wanted: &wanted, metrics: &metrics, detail: &detail, skew };
        let results = shared.with_engine(|e| observation_results(e, &view));
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

/// What a filter asks for: queue ids (in request order) and media types.
struct Wanted {
    queues: Vec<String>,
    media: Vec<String>,
}

/// One observations request, as the handler understood it.
struct View<'a> {
    /// The org as the caller sees it now (divisions after faults).
    org: &'a Org,
    visible: &'a DivScope,
    wanted: &'a Wanted,
    metrics: &'a [String],
    detail: &'a [String],
    /// Clock-skew fault, added to every date reported.
    skew: Ms,
}

fn observation_results(e: &Engine, v: &View) -> Vec<Value> {
    let mut seen = std::collections::HashSet::new();
    let mut results = vec![];
    let want = |m: &str| v.metrics.iter().any(|x| x == m);
    // Queues outside the caller's divisions are left out, as the real API does.
    for qid in &v.wanted.queues {
        let Some(qi) = v.org.queue_by_id(qid) else { continue };
        if !v.visible.contains(v.org.queues[qi].division) || !seen.insert(qi) {
            continue;
        }
        let obs = e.observe(qi);
        results.extend(media_results(qid, &obs, v));
        let users = user_data(&obs, &want);
        if !users.is_empty() {
            results.push(json!({"group": {"queueId": qid}, "data": users}));
        }
    }
    results
}

fn media_results(qid: &str, obs: &QueueObs, v: &View) -> Vec<Value> {
    let mut out = vec![];
    if !v.metrics.iter().any(|m| MEDIA_METRICS.contains(&m.as_str())) {
        return out;
    }
    for m in &obs.media {
        if !v.wanted.media.is_empty() && !v.wanted.media.contains(&m.media) {
            continue;
        }
        let mut data = vec![];
        for metric in v.metrics.iter().filter(|x| MEDIA_METRICS.contains(&x.as_str())) {
            let mut d = match metric.as_str() {
                "oWaiting" => json!({"metric": "oWaiting", "stats": {"count": m.waiting}}),
                "oInteracting" => json!({"metric": "oInteracting", "stats": {"count": m.interacting}}),
                "oAlerting" => json!({"metric": "oAlerting", "stats": {"count": m.alerting}}),
                "oLongestWaiting" => longest("oLongestWaiting", m.waiting, m.longest_waiting_ms),
                _ => longest("oLongestInteracting", m.interacting, m.longest_interacting_ms),
            };
            if metric == "oWaiting" && v.detail.iter().any(|x| x == "oWaiting") {
                let calls: Vec<Value> = m
                    .waiting_calls
                    .iter()
                    .take(MAX_OBSERVATIONS)
                    .map(|c| {
                        json!({
                            "observationDate": iso_ms(c.arrived + v.skew),
                            "conversationId": c.conversation_id.to_string(),
                            "sessionId": c.session_id.to_string(),
                            "requestedRoutingSkillIds": [],
                            "routingPriority": v.org.queues[c.queue as usize].priority,
                            "direction": "inbound",
                            "ani": c.ani_uri(),
                        })
                    })
                    .collect();
                d["observations"] = json!(calls);
                d["truncated"] = json!(m.waiting_calls.len() > MAX_OBSERVATIONS);
            }
            data.push(d);
        }
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
    fn long_metrics_are_rejected_as_detail_metrics() {
        let body = json!({"detailMetrics": ["oLongestWaiting"]});
        assert!(query::metric_list(&body, "detailMetrics", OBSERVATION_DETAIL_METRICS, false).is_err());
    }
}
