//! `POST /api/v2/analytics/conversations/aggregates/query`: totals counted by the
//! simulation, in the shape of the official `ConversationAggregateQueryResponse`.
//!
//! Choices where no public source shows the real behaviour (UNCONFIRMED):
//! - no `granularity`: one `data` item whose `interval` is the requested one;
//! - a group with no conversations in the interval is left out, and a response with no
//!   groups is `{}` (no `results` key);
//! - `oServiceTarget` carries the queue's target in `stats.target`;
//! - the engine counts in 30-minute buckets: the interval's start rounds down to one, the
//!   bucket in progress counts up to the simulation's "now", and `granularity` must be a
//!   whole number of 30-minute steps;
//! - metrics are attributed to the interval where they happen (offered at arrival,
//!   answered and abandoned at that moment, handle time when wrap-up ends), as the API does.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use jiff::{Span, Timestamp};
use serde_json::{Map, Value, json};

use super::authz::{Caller, DivScope};
use super::engine::{Agg, BUCKET_MS, Bucket, Engine, Ms};
use super::errors::ApiFault;
use super::org::Org;
use super::query::{self, CONVERSATION_DIMENSIONS, Filter, MODELLED_CONVERSATION_DIMENSIONS, Subject};
use super::server::{Shared, json};
use genesys::catalog::EndpointId;

/// `ConversationAggregationQuery.metrics` (official SDK enum).
pub const CONVERSATION_METRICS: &[&str] = &[
    "nBlindTransferred",
    "nBotInteractions",
    "nCallbackAttempts",
    "nCallbackOverSla",
    "nCallbackScheduled",
    "nCfcOffered",
    "nCobrowseSessions",
    "nConnected",
    "nConsult",
    "nConsultTransferred",
    "nConversations",
    "nError",
    "nOffered",
    "nOutbound",
    "nOutboundAbandoned",
    "nOutboundAttempted",
    "nOutboundConnected",
    "nOverSla",
    "nStateTransitionError",
    "nTakeover",
    "nTransferred",
    "oAudioMessageCount",
    "oCallbackServiceLevel",
    "oExternalAudioMessageCount",
    "oExternalMediaCount",
    "oMediaCount",
    "oMessageCount",
    "oMessageSegmentCount",
    "oMessageTurn",
    "oServiceLevel",
    "oServiceTarget",
    "oSkillExpressionApplications",
    "tAbandon",
    "tAcd",
    "tActiveCallback",
    "tActiveCallbackComplete",
    "tAcw",
    "tAgentResponseTime",
    "tAgentVideoConnected",
    "tAlert",
    "tAnswered",
    "tAverageAgentResponseTime",
    "tAverageCustomerResponseTime",
    "tBarging",
    "tCallbackAbandon",
    "tCallbackConnect",
    "tCallbackNotReached",
    "tCallbackVirtualWait",
    "tCfcAbandon",
    "tCfcAcd",
    "tCfcAnswered",
    "tCfcFlowOut",
    "tCoaching",
    "tCoachingComplete",
    "tConnected",
    "tContacting",
    "tDialing",
    "tFirstConnect",
    "tFirstDial",
    "tFirstEngagement",
    "tFirstResponse",
    "tFlowOut",
    "tHandle",
    "tHeld",
    "tHeldComplete",
    "tIvr",
    "tMonitoring",
    "tMonitoringComplete",
    "tNotResponding",
    "tPark",
    "tParkComplete",
    "tScreenMonitoring",
    "tShortAbandon",
    "tSnippetRecord",
    "tTalk",
    "tTalkComplete",
    "tTransmitting",
    "tUserResponseTime",
    "tVoicemail",
    "tWait",
];

/// Dimensions the simulator groups by; other valid `groupBy` values are refused by name.
const MODELLED_GROUP_BY: &[&str] = &["queueId", "mediaType"];

/// Metrics the simulation counts. Other valid metrics have no data here, so (as the API
/// does for metrics without data) they are left out of the results.
pub const MODELLED_METRICS: &[&str] = &[
    "nOffered",
    "nConnected",
    "nOverSla",
    "oServiceLevel",
    "oServiceTarget",
    "tAbandon",
    "tAcd",
    "tAcw",
    "tAnswered",
    "tHandle",
    "tTalk",
    "tTalkComplete",
    "tWait",
];

/// An ISO-8601 `start/end` interval as epoch milliseconds, both ends in the request's terms.
fn parse_interval(text: &str, tz: &jiff::tz::TimeZone) -> Result<(Ms, Ms), ApiFault> {
    let bad = |why: &str| {
        ApiFault::invalid_value(
            "interval",
            format!(
                "Invalid interval [{text}]: {why}. Use ISO-8601 start/end, e.g. 2026-11-24T00:00:00.000Z/2026-11-24T10:00:00.000Z"
            ),
        )
    };
    let (a, b) = text.split_once('/').ok_or_else(|| bad("no '/' between start and end"))?;
    let point = |s: &str| -> Result<Ms, ApiFault> {
        if let Ok(t) = s.parse::<Timestamp>() {
            return Ok(t.as_millisecond());
        }
        // No offset: a local date-time in the query's time zone (UTC unless timeZone says).
        let dt: jiff::civil::DateTime = s.parse().map_err(|_| bad(&format!("'{s}' is not a date-time")))?;
        dt.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .map_err(|_| bad(&format!("'{s}' does not exist in the time zone")))
    };
    let (start, end) = (point(a)?, point(b)?);
    if end <= start {
        return Err(bad("the end must be after the start"));
    }
    Ok((start, end))
}

fn parse_granularity(text: &str) -> Result<Ms, ApiFault> {
    let span: Span = text.parse().map_err(|_| {
        ApiFault::invalid_value(
            "granularity",
            format!("Invalid granularity [{text}]: use an ISO-8601 period like PT30M, PT1H or P1D"),
        )
    })?;
    let ms = span
        .total((jiff::Unit::Millisecond, jiff::civil::date(2000, 1, 1)))
        .map_err(|_| ApiFault::invalid_value("granularity", format!("Invalid granularity [{text}]")))?
        as Ms;
    if ms <= 0 || ms % BUCKET_MS != 0 {
        return Err(ApiFault::invalid_value(
            "granularity",
            format!(
                "Granularity [{text}] is not a whole number of 30-minute steps, which is all the simulated org keeps"
            ),
        ));
    }
    Ok(ms)
}

fn string_list(body: &Value, key: &str) -> Result<Vec<String>, ApiFault> {
    match body.get(key) {
        None => Ok(vec![]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .ok_or_else(|| ApiFault::invalid_value(key, format!("{key} must list strings")))
            })
            .collect(),
        Some(_) => Err(ApiFault::invalid_value(key, format!("{key} must be an array"))),
    }
}

/// One result group: its dimensions, totals per slice of the interval, and the SL target.
type GroupTotals = (Map<String, Value>, Vec<Bucket>, Option<f64>);

struct AggQuery {
    start: Ms,
    end: Ms,
    step: Option<Ms>,
    group_by: Vec<String>,
    filter: Option<Filter>,
    metrics: Vec<String>,
}

fn parse_query(body: &Value) -> Result<AggQuery, ApiFault> {
    let tz = match body.get("timeZone") {
        None => jiff::tz::TimeZone::UTC,
        Some(v) => {
            let name = v.as_str().unwrap_or("");
            jiff::tz::TimeZone::get(name).map_err(|_| {
                ApiFault::invalid_value(
                    "timeZone",
                    format!("Invalid timeZone [{name}]: use an IANA zone such as Europe/London"),
                )
            })?
        }
    };
    let interval = body
        .get("interval")
        .ok_or_else(|| ApiFault::invalid_value("interval", "interval is required"))?
        .as_str()
        .ok_or_else(|| ApiFault::invalid_value("interval", "interval must be a string"))?;
    let (start, end) = parse_interval(interval, &tz)?;
    let step = match body.get("granularity") {
        None => None,
        Some(v) => Some(parse_granularity(v.as_str().unwrap_or(""))?),
    };
    let group_by = string_list(body, "groupBy")?;
    for g in &group_by {
        if !CONVERSATION_DIMENSIONS.contains(&g.as_str()) {
            return Err(ApiFault::invalid_value(
                "groupBy",
                format!("Invalid groupBy [{g}]. Allowable values are: {}", CONVERSATION_DIMENSIONS.join(", ")),
            ));
        }
        if !MODELLED_GROUP_BY.contains(&g.as_str()) {
            return Err(ApiFault::invalid_value(
                "groupBy",
                format!(
                    "The simulated org does not model groupBy [{g}]; it groups by {}",
                    MODELLED_GROUP_BY.join(", ")
                ),
            ));
        }
    }
    let filter = match body.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(query::parse_filter(f, "filter", CONVERSATION_DIMENSIONS, MODELLED_CONVERSATION_DIMENSIONS)?),
    };
    let metrics = query::metric_list(body, "metrics", CONVERSATION_METRICS, true)?;
    match body.get("queryType").and_then(Value::as_str) {
        None | Some("groupBy") => {}
        Some(q @ ("topN" | "bottomN")) => {
            return Err(ApiFault::invalid_value(
                "queryType",
                format!("The simulated org answers groupBy queries only, not [{q}]"),
            ));
        }
        Some(q) => {
            return Err(ApiFault::invalid_value(
                "queryType",
                format!("Invalid queryType [{q}]. Allowable values are: groupBy, topN, bottomN"),
            ));
        }
    }
    if body.get("views").and_then(Value::as_array).is_some_and(|v| !v.is_empty()) {
        return Err(ApiFault::invalid_value("views", "The simulated org does not compute custom views"));
    }
    if let Some(alt) = body.get("alternateTimeDimension").and_then(Value::as_str)
        && alt != "eventTime"
    {
        return Err(ApiFault::invalid_value(
            "alternateTimeDimension",
            format!("Invalid alternateTimeDimension [{alt}]. Allowable values are: eventTime"),
        ));
    }
    Ok(AggQuery { start, end, step, group_by, filter, metrics })
}

/// `POST /api/v2/analytics/conversations/aggregates/query`.
pub async fn conversation_aggregates(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let run = || -> Result<Response, ApiFault> {
        let org = shared.org_now();
        let visible = caller.require(&org, EndpointId::ConversationAggregates)?;
        let body: Value = serde_json::from_slice(&body)
            .map_err(|e| ApiFault::bad_request(format!("The request body could not be parsed as JSON: {e}")))?;
        let q = parse_query(&body)?;
        let results =
            shared.with_engine(|e| aggregate(e, &org, &visible, &q, |t| shared.read_ms(t), |t| shared.report_ms(t)));
        Ok(json(if results.is_empty() { json!({}) } else { json!({"results": results}) }))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// The groups and their data for a parsed query. `read`/`report` translate between the
/// server's reported clock (skewed by a fault) and simulation time.
fn aggregate(
    e: &Engine,
    org: &Org,
    visible: &DivScope,
    q: &AggQuery,
    read: impl Fn(Ms) -> Ms,
    report: impl Fn(Ms) -> Ms,
) -> Vec<Value> {
    let (start, end) = (read(q.start), read(q.end));
    let slices: Vec<(Ms, Ms)> = match q.step {
        None => vec![(start, end)],
        Some(step) => {
            let mut out = vec![];
            let mut t = start;
            while t < end {
                out.push((t, (t + step).min(end)));
                t += step;
            }
            out
        }
    };
    let bound: Option<HashSet<String>> = q.filter.as_ref().and_then(Filter::queue_bound);
    let candidates: Vec<usize> = match &bound {
        Some(ids) => {
            let mut v: Vec<usize> = ids.iter().filter_map(|id| org.queue_by_id(id)).collect();
            v.sort_unstable();
            v
        }
        None => (0..org.queues.len()).collect(),
    };
    let by_queue = q.group_by.iter().any(|g| g == "queueId");
    let by_media = q.group_by.iter().any(|g| g == "mediaType");
    // Group key (queue, media) → per-slice totals, in a stable order.
    let mut groups: BTreeMap<(Option<usize>, Option<usize>), GroupTotals> = BTreeMap::new();
    for qi in candidates {
        let spec = &org.queues[qi];
        // Conversations in queues outside the caller's divisions are not counted, as the
        // API leaves out what the caller may not see.
        if !visible.contains(spec.division) {
            continue;
        }
        for (mi, media) in spec.media.iter().enumerate() {
            let subject = Subject { queue_id: &spec.id, media, division_id: &org.divisions[spec.division].id };
            if q.filter.as_ref().is_some_and(|f| !f.holds(&subject)) {
                continue;
            }
            let key = (by_queue.then_some(qi), by_media.then_some(mi_key(media)));
            let entry = groups.entry(key).or_insert_with(|| {
                let mut g = Map::new();
                if by_queue {
                    g.insert("queueId".into(), json!(spec.id));
                }
                if by_media {
                    g.insert("mediaType".into(), json!(media));
                }
                (g, vec![Bucket::default(); slices.len()], None)
            });
            for (i, (a, b)) in slices.iter().enumerate() {
                entry.1[i].merge(&e.totals(qi, mi, *a, *b));
            }
            // One target per group: the queue's (the first queue's, when queues are merged).
            entry.2.get_or_insert(spec.sl_percentage);
        }
    }
    groups
        .into_values()
        .filter_map(|(group, buckets, target)| {
            let data: Vec<Value> = slices
                .iter()
                .zip(&buckets)
                .filter(|(_, b)| has_data(b))
                .map(|((a, b), bucket)| {
                    json!({
                        "interval": format!("{}/{}", super::api::iso_ms(report(*a)), super::api::iso_ms(report(*b))),
                        "metrics": metrics_json(bucket, &q.metrics, target.unwrap_or(0.8)),
                    })
                })
                .collect();
            if data.is_empty() {
                return None;
            }
            let mut out = Map::new();
            if !group.is_empty() {
                out.insert("group".into(), Value::Object(group));
            }
            out.insert("data".into(), Value::Array(data));
            Some(Value::Object(out))
        })
        .collect()
}

/// Interval metrics a queue-observation event carries for the current bucket.
pub const EVENT_BUCKET_METRICS: &[&str] = &["nOffered", "oServiceLevel"];

/// One queue's interval metrics for one media type over `[from, to)` (simulation time), as
/// the aggregates query computes them; empty when nothing happened.
pub fn bucket_metrics(e: &Engine, org: &Org, queue: usize, media: &str, from: Ms, to: Ms) -> Vec<Value> {
    let spec = &org.queues[queue];
    let Some(mi) = spec.media.iter().position(|m| m == media) else { return vec![] };
    let bucket = e.totals(queue, mi, from, to);
    if !has_data(&bucket) {
        return vec![];
    }
    let metrics: Vec<String> = EVENT_BUCKET_METRICS.iter().map(std::string::ToString::to_string).collect();
    metrics_json(&bucket, &metrics, spec.sl_percentage)
}

fn mi_key(media: &str) -> usize {
    super::org::MEDIA.iter().position(|m| *m == media).unwrap_or(usize::MAX)
}

fn has_data(b: &Bucket) -> bool {
    b.offered > 0 || b.answered.count > 0 || b.abandoned.count > 0 || b.handle.count > 0 || b.talk.count > 0
}

/// `StatisticalSummary` of a duration metric (whole milliseconds), or nothing without data.
fn timing(metric: &str, a: &Agg) -> Option<Value> {
    (a.count > 0).then(|| {
        json!({"metric": metric, "stats": {
            "max": a.max.round() as i64, "min": a.min.round() as i64, "count": a.count, "sum": a.sum.round() as i64}})
    })
}

fn metrics_json(b: &Bucket, metrics: &[String], target: f64) -> Vec<Value> {
    metrics
        .iter()
        .filter_map(|m| match m.as_str() {
            "nOffered" => (b.offered > 0).then(|| json!({"metric": m, "stats": {"count": b.offered}})),
            "nConnected" => (b.answered.count > 0).then(|| json!({"metric": m, "stats": {"count": b.answered.count}})),
            "nOverSla" => (b.sl_denominator > 0).then(|| json!({"metric": m, "stats": {"count": b.over_sla}})),
            "oServiceLevel" => (b.sl_denominator > 0).then(|| {
                json!({"metric": m, "stats": {
                    "ratio": b.sl_numerator as f64 / b.sl_denominator as f64,
                    "numerator": b.sl_numerator,
                    "denominator": b.sl_denominator,
                    "target": target}})
            }),
            "oServiceTarget" => Some(json!({"metric": m, "stats": {"target": target}})),
            "tAnswered" => timing(m, &b.answered),
            "tAbandon" => timing(m, &b.abandoned),
            "tWait" | "tAcd" => timing(m, &b.wait),
            "tHandle" => timing(m, &b.handle),
            "tTalk" | "tTalkComplete" => timing(m, &b.talk),
            "tAcw" => timing(m, &b.acw),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_parse_with_offsets_and_zones() {
        let utc = jiff::tz::TimeZone::UTC;
        let (a, b) = parse_interval("2026-11-24T00:00:00.000Z/2026-11-24T10:00:00.000Z", &utc).unwrap();
        assert_eq!(b - a, 10 * 3_600_000);
        let (c, _) = parse_interval("2026-11-24T01:00:00+01:00/2026-11-24T10:00:00Z", &utc).unwrap();
        assert_eq!(c, a);
        let london = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let (d, _) = parse_interval("2026-07-01T00:00:00/2026-07-01T10:00:00", &london).unwrap();
        assert_eq!(iso(d), "2026-06-30T23:00:00.000Z", "naive times are in timeZone");
        for bad in ["2026-11-24T00:00:00Z", "yesterday/today", "2026-11-24T10:00:00Z/2026-11-24T09:00:00Z"] {
            let e = parse_interval(bad, &utc).unwrap_err();
            assert_eq!(e.code, "invalid.value");
            assert!(e.message.contains("Invalid interval"), "{}", e.message);
        }
    }

    fn iso(ms: Ms) -> String {
        super::super::api::iso_ms(ms)
    }

    #[test]
    fn granularity_must_fit_the_buckets() {
        assert_eq!(parse_granularity("PT30M").unwrap(), BUCKET_MS);
        assert_eq!(parse_granularity("PT1H").unwrap(), 2 * BUCKET_MS);
        assert_eq!(parse_granularity("P1D").unwrap(), 48 * BUCKET_MS);
        assert!(parse_granularity("PT15M").unwrap_err().message.contains("30-minute"));
        assert!(parse_granularity("often").is_err());
    }

    #[test]
    fn queries_are_validated_by_field() {
        let ok = json!({"interval": "2026-11-24T00:00:00Z/2026-11-24T10:00:00Z", "groupBy": ["queueId"], "metrics": ["nOffered"]});
        assert!(parse_query(&ok).is_ok());
        for (patch, field) in [
            (json!({"interval": null}), "interval"),
            (json!({"metrics": ["nOffered", "nBogus"]}), "metrics"),
            (json!({"metrics": []}), "metrics"),
            (json!({"groupBy": ["colour"]}), "groupBy"),
            (json!({"groupBy": ["userId"]}), "groupBy"),
            (json!({"timeZone": "Mars/Base"}), "timeZone"),
            (json!({"queryType": "topN"}), "queryType"),
            (json!({"filter": {"type": "or", "predicates": [{"dimension": "queueId"}]}}), "filter.predicates[0].value"),
        ] {
            let mut body = ok.clone();
            for (k, v) in patch.as_object().unwrap() {
                if v.is_null() {
                    body.as_object_mut().unwrap().remove(k);
                } else {
                    body[k] = v.clone();
                }
            }
            let e = parse_query(&body).err().unwrap_or_else(|| panic!("{body} accepted"));
            assert_eq!(e.details[0]["fieldName"], field, "{body}: {}", e.message);
        }
    }
}
