//! `POST /api/v2/analytics/queues/observations/query`: what the engine sees now, per queue,
//! in the shape of the official `QueueObservationQueryResponse`.
//!
//! The body is built from typed structs (serialised once, outside the engine lock) rather
//! than `serde_json::Value` trees: a 100-queue answer is over a thousand objects, and this
//! is the endpoint a wallboard calls every second.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use super::api::iso_ms;
use super::authz::{Caller, DivScope};
use super::engine::{Engine, Ms, Presence, QueueObs};
use super::errors::ApiFault;
use super::org::{Org, derive_id};
use super::query::{self, OBSERVATION_DIMENSIONS};
use super::server::{Shared, json_body};
use genesys::catalog::EndpointId;

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

/// The org's presence definition id for a system presence. Hashed once: observations ask
/// for it per agent, under the engine lock.
pub fn presence_id(p: Presence) -> &'static str {
    static IDS: LazyLock<Vec<String>> =
        LazyLock::new(|| Presence::ALL.iter().map(|p| derive_id("presence", p.as_str())).collect());
    &IDS[p as usize]
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    system_to_organization_mappings: Option<BTreeMap<&'static str, Vec<String>>>,
    results: Vec<ResultOut<'a>>,
}

#[derive(Serialize)]
struct ResultOut<'a> {
    group: Group<'a>,
    data: Vec<Data>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Group<'a> {
    queue_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
}

/// `QueueObservationDataContainer.data[]`.
#[derive(Serialize)]
struct Data {
    metric: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    qualifier: Option<Cow<'static, str>>,
    stats: Stats,
    #[serde(skip_serializing_if = "Option::is_none")]
    truncated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observations: Option<Vec<Observation>>,
}

/// The `StatisticalSummary` fields an observation uses.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Stats {
    count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    calculated_metric_value: Option<Ms>,
}

/// `ObservationValue`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Observation {
    observation_date: String,
    conversation_id: String,
    session_id: String,
    requested_routing_skill_ids: [(); 0],
    routing_priority: i32,
    direction: &'static str,
    ani: String,
}

fn count(metric: &'static str, n: u32) -> Data {
    Data {
        metric,
        qualifier: None,
        stats: Stats { count: n, calculated_metric_value: None },
        truncated: None,
        observations: None,
    }
}

fn qualified(metric: &'static str, qualifier: Cow<'static, str>, n: u32) -> Data {
    Data { qualifier: Some(qualifier), ..count(metric, n) }
}

fn longest(metric: &'static str, n: u32, ms: Option<Ms>) -> Data {
    match ms {
        Some(v) if n > 0 => Data { stats: Stats { count: n, calculated_metric_value: Some(v) }, ..count(metric, n) },
        _ => count(metric, 0),
    }
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

impl View<'_> {
    fn wants(&self, m: &str) -> bool {
        self.metrics.iter().any(|x| x == m)
    }
}

/// `POST /api/v2/analytics/queues/observations/query`.
pub async fn queue_observations(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let run = || -> Result<Response, ApiFault> {
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
        let results = shared.with_engine(|e| results(e, &view));
        let mappings = view.wants("oUserPresences").then(|| {
            Presence::ALL.iter().map(|p| (p.as_str(), vec![presence_id(*p).to_string()])).collect::<BTreeMap<_, _>>()
        });
        Ok(json_body(&Body { system_to_organization_mappings: mappings, results }))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// Presences are left out of notification events: their qualifiers need the query's
/// `systemToOrganizationMappings`, which an event has no place for.
const NOT_IN_EVENTS: &str = "oUserPresences";

/// `(mediaType, data[])` per result group of one queue.
pub type QueueGroups = Vec<(Option<String>, Value)>;

/// One queue's observation results, group by group (per media type, then the users group),
/// as JSON: `(mediaType, data[])`. The notification topic publishes these, so an event and a
/// query answer are computed by the same code from the same engine numbers.
pub fn queue_groups(e: &Engine, org: &Org, queue_id: &str, skew: Ms) -> QueueGroups {
    let wanted = Wanted { queues: vec![queue_id.to_string()], media: vec![] };
    let metrics: Vec<String> =
        OBSERVATION_METRICS.iter().filter(|m| **m != NOT_IN_EVENTS).map(std::string::ToString::to_string).collect();
    let view = View { org, visible: &DivScope::All, wanted: &wanted, metrics: &metrics, detail: &[], skew };
    results(e, &view)
        .into_iter()
        .map(|r| (r.group.media_type, serde_json::to_value(&r.data).expect("observation data serialises")))
        .collect()
}

fn results<'a>(e: &Engine, v: &View<'a>) -> Vec<ResultOut<'a>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = vec![];
    // Queues outside the caller's divisions are left out, as the real API does.
    for qid in &v.wanted.queues {
        let Some(qi) = v.org.queue_by_id(qid) else { continue };
        if !v.visible.contains(v.org.queues[qi].division) || !seen.insert(qi) {
            continue;
        }
        let obs = e.observe(qi);
        media_results(e, qid, &obs, v, &mut out);
        // Agent metrics in a group of their own, without a media type. UNCONFIRMED: a real
        // answer may instead repeat them in every media type's group; qtop reads both shapes
        // without counting an agent once per media type.
        let users = user_data(&obs, v);
        if !users.is_empty() {
            out.push(ResultOut { group: Group { queue_id: qid, media_type: None }, data: users });
        }
    }
    out
}

fn media_results<'a>(e: &Engine, qid: &'a str, obs: &QueueObs, v: &View, out: &mut Vec<ResultOut<'a>>) {
    if !v.metrics.iter().any(|m| MEDIA_METRICS.contains(&m.as_str())) {
        return;
    }
    for m in &obs.media {
        if !v.wanted.media.is_empty() && !v.wanted.media.contains(&m.media) {
            continue;
        }
        let mut data = vec![];
        for metric in v.metrics.iter().filter(|x| MEDIA_METRICS.contains(&x.as_str())) {
            let mut d = match metric.as_str() {
                "oWaiting" => count("oWaiting", m.waiting),
                "oInteracting" => count("oInteracting", m.interacting),
                "oAlerting" => count("oAlerting", m.alerting),
                "oLongestWaiting" => longest("oLongestWaiting", m.waiting, m.longest_waiting_ms),
                _ => longest("oLongestInteracting", m.interacting, m.longest_interacting_ms),
            };
            if metric == "oWaiting" && v.detail.iter().any(|x| x == "oWaiting") {
                let calls = m
                    .waiting_calls
                    .iter()
                    .take(MAX_OBSERVATIONS)
                    .map(|c| Observation {
                        observation_date: iso_ms(c.arrived + v.skew),
                        conversation_id: c.conversation_id.to_string(),
                        session_id: c.session_id.to_string(),
                        requested_routing_skill_ids: [],
                        routing_priority: e.org().queues[c.queue as usize].priority,
                        direction: "inbound",
                        ani: c.ani_uri(),
                    })
                    .collect();
                d.observations = Some(calls);
                d.truncated = Some(m.waiting_calls.len() > MAX_OBSERVATIONS);
            }
            data.push(d);
        }
        out.push(ResultOut { group: Group { queue_id: qid, media_type: Some(m.media.clone()) }, data });
    }
}

fn user_data(obs: &QueueObs, v: &View) -> Vec<Data> {
    let u = &obs.users;
    let mut data = vec![];
    if v.wants("oOnQueueUsers") {
        data.extend(u.on_queue.iter().map(|(s, n)| qualified("oOnQueueUsers", Cow::Borrowed(s.as_str()), *n)));
    }
    if v.wants("oOffQueueUsers") {
        data.push(count("oOffQueueUsers", u.off_queue));
    }
    if v.wants("oUserRoutingStatuses") {
        data.extend(u.routing.iter().map(|(s, n)| qualified("oUserRoutingStatuses", Cow::Borrowed(s.as_str()), *n)));
    }
    if v.wants("oUserPresences") {
        data.extend(u.presences.iter().map(|(p, n)| qualified("oUserPresences", Cow::Borrowed(presence_id(*p)), *n)));
    }
    if v.wants("oActiveUsers") {
        data.push(count("oActiveUsers", u.active));
    }
    if v.wants("oMemberUsers") {
        data.push(count("oMemberUsers", u.members));
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn long_metrics_are_rejected_as_detail_metrics() {
        let body = json!({"detailMetrics": ["oLongestWaiting"]});
        assert!(query::metric_list(&body, "detailMetrics", OBSERVATION_DETAIL_METRICS, false).is_err());
    }

    #[test]
    fn stats_carry_a_value_only_when_someone_waits() {
        let v = serde_json::to_value(longest("oLongestWaiting", 2, Some(61_000))).unwrap();
        assert_eq!(v, json!({"metric": "oLongestWaiting", "stats": {"count": 2, "calculatedMetricValue": 61000}}));
        let v = serde_json::to_value(longest("oLongestWaiting", 0, Some(5))).unwrap();
        assert_eq!(v, json!({"metric": "oLongestWaiting", "stats": {"count": 0}}));
    }
}
