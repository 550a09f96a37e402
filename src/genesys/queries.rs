//! The API calls qtop makes, as functions from a [`Session`] to domain values.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use super::auth::Session;
use super::catalog::EndpointId;
use super::client::{ApiError, Request, ResponseMeta};
use super::models::{ObservationQuery, ObservationResponse, QueryFilter, Queue, QueueEntityListing};

/// `routing/queues` page size; the documented maximum.
pub const QUEUE_PAGE_SIZE: u32 = 100;
/// Queue predicates per observation query (common practice; no documented hard cap).
pub const OBSERVATION_BATCH: usize = 100;

pub const OBSERVATION_METRICS: &[&str] = &[
    "oWaiting",
    "oInteracting",
    "oAlerting",
    "oLongestWaiting",
    "oOnQueueUsers",
    "oOffQueueUsers",
    "oUserRoutingStatuses",
    "oActiveUsers",
    "oMemberUsers",
];

/// Every queue the token can see, all pages. Returns the metadata of the last page too.
pub async fn list_queues(session: &Session) -> Result<(Vec<Queue>, Option<ResponseMeta>), ApiError> {
    let mut all = Vec::new();
    let mut page = 1u32;
    loop {
        let req = Request::new(EndpointId::RoutingQueues).query("pageSize", QUEUE_PAGE_SIZE).query("pageNumber", page);
        let resp = session.call::<QueueEntityListing>(&req).await?;
        let listing = resp.body;
        let got = listing.entities.len();
        all.extend(listing.entities);
        let meta = resp.meta;
        let page_count = listing.page_count.unwrap_or(0);
        // pageCount is authoritative; nextUri and a short page are fallbacks for servers
        // that leave it out. The cap guards against a server that never stops paging.
        let more = if page_count > 0 { page < page_count } else { listing.next_uri.is_some() && got > 0 };
        if !more || page >= 10_000 {
            return Ok((all, Some(meta)));
        }
        page += 1;
    }
}

pub fn observation_query<'a>(queue_ids: impl IntoIterator<Item = &'a str>) -> ObservationQuery {
    ObservationQuery {
        filter: QueryFilter::queues(queue_ids),
        metrics: OBSERVATION_METRICS.iter().map(|m| m.to_string()).collect(),
        detail_metrics: vec![],
    }
}

pub async fn observe(session: &Session, queue_ids: &[String]) -> Result<(ObservationResponse, ResponseMeta), ApiError> {
    let req =
        Request::new(EndpointId::QueueObservations).json(&observation_query(queue_ids.iter().map(String::as_str)));
    let resp = session.call::<ObservationResponse>(&req).await?;
    Ok((resp.body, resp.meta))
}

/// Live numbers for one queue. `None` means the API did not say (shown as `–`, never 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueNumbers {
    pub waiting: Option<u32>,
    pub longest_waiting_ms: Option<u64>,
    pub interacting: Option<u32>,
    pub alerting: Option<u32>,
    pub on_queue: Option<u32>,
    pub idle: Option<u32>,
    pub off_queue: Option<u32>,
    pub not_responding: Option<u32>,
    pub active: Option<u32>,
    pub members: Option<u32>,
}

fn add(slot: &mut Option<u32>, n: i64) {
    let n = n.clamp(0, u32::MAX as i64) as u32;
    *slot = Some(slot.unwrap_or(0).saturating_add(n));
}

/// Fold an observation response into numbers per queue id. Results come per queue and per
/// media type; counts add up across media types, the longest wait is the maximum.
pub type QueueNumbersById = BTreeMap<String, QueueNumbers>;

pub fn parse_observations(resp: &ObservationResponse) -> QueueNumbersById {
    let mut out: BTreeMap<String, QueueNumbers> = BTreeMap::new();
    for result in &resp.results {
        let Some(qid) = result.group.get("queueId") else { continue };
        let n = out.entry(qid.clone()).or_default();
        for d in &result.data {
            let count = d.stats.count.unwrap_or(0);
            match (d.metric.as_str(), d.qualifier.as_deref()) {
                ("oWaiting", _) => add(&mut n.waiting, count),
                ("oInteracting", _) => add(&mut n.interacting, count),
                ("oAlerting", _) => add(&mut n.alerting, count),
                ("oOnQueueUsers", _) => add(&mut n.on_queue, count),
                ("oOffQueueUsers", _) => add(&mut n.off_queue, count),
                ("oActiveUsers", _) => add(&mut n.active, count),
                ("oMemberUsers", _) => add(&mut n.members, count),
                ("oUserRoutingStatuses", q) => {
                    // Routing statuses arrive one qualifier per status present; once the
                    // metric is reported, a status without an entry has no one in it.
                    n.idle.get_or_insert(0);
                    n.not_responding.get_or_insert(0);
                    match q {
                        Some("IDLE") => add(&mut n.idle, count),
                        Some("NOT_RESPONDING") => add(&mut n.not_responding, count),
                        _ => {}
                    }
                }
                ("oLongestWaiting", _) => {
                    let ms = match d.stats.calculated_metric_value {
                        Some(v) => Some(v.max(0.0) as u64),
                        None if count == 0 => Some(0),
                        None => None,
                    };
                    if let Some(ms) = ms {
                        n.longest_waiting_ms = Some(n.longest_waiting_ms.unwrap_or(0).max(ms));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// A queue selector from config or `--queues`: an id, an exact name, or a glob.
#[derive(Debug, Clone)]
pub struct Selector {
    pub text: String,
    matcher: Option<GlobMatcher>,
}

impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err("an empty queue selector matches nothing; remove it or give a name, glob or id".into());
        }
        let matcher = if text.contains(['*', '?', '[']) {
            let glob = GlobBuilder::new(&text)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("queue pattern '{text}' is not a valid glob: {e}"))?;
            Some(glob.compile_matcher())
        } else {
            None
        };
        Ok(Selector { text, matcher })
    }

    pub fn matches(&self, q: &Queue) -> bool {
        match &self.matcher {
            Some(m) => m.is_match(&q.name),
            None => q.id == self.text || q.name.eq_ignore_ascii_case(&self.text),
        }
    }
}

/// Pick the queues the user asked for. Empty selectors: every visible queue. Returns the
/// picked queues (sorted by name) and the selectors that matched nothing.
pub fn select_queues(all: Vec<Queue>, selectors: &[Selector]) -> (Vec<Queue>, Vec<String>) {
    let mut picked: Vec<Queue> = if selectors.is_empty() {
        all
    } else {
        all.into_iter().filter(|q| selectors.iter().any(|s| s.matches(q))).collect()
    };
    picked.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    picked.dedup_by(|a, b| a.id == b.id);
    let unmatched = selectors.iter().filter(|s| !picked.iter().any(|q| s.matches(q))).map(|s| s.text.clone()).collect();
    (picked, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesys::models::ObservationResponse;

    fn q(id: &str, name: &str) -> Queue {
        Queue { id: id.into(), name: name.into(), division: None, member_count: None, media_settings: None }
    }

    #[test]
    fn selectors_match_ids_names_and_globs() {
        let all = vec![q("1", "Sales EN"), q("2", "Sales FR"), q("3", "Support"), q("4", "Billing")];
        let sel: Vec<_> = ["sales*", "3", "billing", "Nope"].iter().map(|s| Selector::parse(s).unwrap()).collect();
        let (picked, unmatched) = select_queues(all, &sel);
        let names: Vec<_> = picked.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["Billing", "Sales EN", "Sales FR", "Support"]);
        assert_eq!(unmatched, ["Nope"]);
        assert!(Selector::parse("  ").is_err());
        assert!(Selector::parse("[unclosed").is_err());
    }

    #[test]
    fn counts_add_across_media_and_missing_metrics_stay_unknown() {
        let body = r#"{"results":[
          {"group":{"queueId":"a","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":2}},{"metric":"oLongestWaiting","stats":{"count":2,"calculatedMetricValue":61000}}]},
          {"group":{"queueId":"a","mediaType":"chat"},"data":[{"metric":"oWaiting","stats":{"count":1}},{"metric":"oLongestWaiting","stats":{"count":1,"calculatedMetricValue":5000}}]},
          {"group":{"queueId":"a"},"data":[{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":3}},{"metric":"oOnQueueUsers","qualifier":"INTERACTING","stats":{"count":4}},
             {"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":3}},{"metric":"oUserRoutingStatuses","qualifier":"OFF_QUEUE","stats":{"count":2}}]},
          {"group":{"queueId":"b","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":0}},{"metric":"oLongestWaiting","stats":{"count":0}}]}]}"#;
        let r: ObservationResponse = serde_json::from_str(body).unwrap();
        let n = parse_observations(&r);
        let a = &n["a"];
        assert_eq!(a.waiting, Some(3));
        assert_eq!(a.longest_waiting_ms, Some(61000));
        assert_eq!(a.on_queue, Some(7));
        assert_eq!(a.idle, Some(3));
        assert_eq!(a.not_responding, Some(0));
        assert_eq!(a.interacting, None, "not reported: unknown, not zero");
        let b = &n["b"];
        assert_eq!((b.waiting, b.longest_waiting_ms, b.idle), (Some(0), Some(0), None));
    }

    #[test]
    fn query_batches_queue_predicates() {
        let ids: Vec<String> = (0..3).map(|i| format!("q{i}")).collect();
        let qy = observation_query(ids.iter().map(String::as_str));
        assert_eq!(qy.filter.predicates.len(), 3);
        assert!(qy.metrics.iter().any(|m| m == "oLongestWaiting"));
        assert!(qy.detail_metrics.is_empty());
    }
}
