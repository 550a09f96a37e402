//! Today's totals per queue: offered, answered, abandoned, speed of answer and service
//! level, from `POST /api/v2/analytics/conversations/aggregates/query`.
//!
//! "Today" is the org's day: from local midnight in the configured time zone to now, where
//! now is the server's clock (the `Date` header) when qtop has seen one, because the org's
//! clock may differ from this machine's.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::auth::Session;
use super::catalog::EndpointId;
use super::client::{ApiError, Request, ResponseMeta};
use super::models::{AggregateQuery, AggregateResponse, QueryFilter};
use crate::budget::Priority;

pub const TOTALS_METRICS: &[&str] = &["nOffered", "tAnswered", "tAbandon", "oServiceLevel"];

/// Today's numbers for one queue.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TodayNumbers {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Sum of the answered conversations' waits (for the average speed of answer).
    pub answer_wait_ms: f64,
    /// Answered within the service-level threshold / conversations that count for it.
    pub sl_numerator: f64,
    pub sl_denominator: f64,
    /// The ratio as the API gave it, when it gave no numerator and denominator.
    pub sl_ratio_reported: Option<f64>,
    /// The queue's service-level target (fraction), as the API reports it.
    pub sl_target: Option<f64>,
}

impl TodayNumbers {
    /// Average speed of answer; `None` before the first answer.
    pub fn asa_ms(&self) -> Option<u64> {
        (self.answered > 0).then(|| (self.answer_wait_ms / self.answered as f64).round() as u64)
    }

    pub fn abandon_ratio(&self) -> Option<f64> {
        (self.offered > 0).then(|| self.abandoned as f64 / self.offered as f64)
    }

    pub fn sl_ratio(&self) -> Option<f64> {
        if self.sl_denominator > 0.0 { Some(self.sl_numerator / self.sl_denominator) } else { self.sl_ratio_reported }
    }
}

pub type TodayById = BTreeMap<String, TodayNumbers>;

/// The org's "today so far" as an ISO-8601 interval, in UTC.
pub fn today_interval(now: Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let start = now
        .to_zoned_datetime(tz.clone())
        .start_of_day()
        .map(|z| z.timestamp())
        .unwrap_or(now - SignedDuration::from_hours(24));
    // The API wants a non-empty interval; a second past midnight is the shortest "today".
    let end = if now > start { now } else { start + SignedDuration::from_secs(1) };
    let f = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    format!("{}/{}", f(start), f(end))
}

pub fn totals_query<'a>(interval: String, queue_ids: impl IntoIterator<Item = &'a str>) -> AggregateQuery {
    AggregateQuery {
        interval,
        group_by: vec!["queueId".into()],
        filter: Some(QueryFilter::queues(queue_ids)),
        metrics: TOTALS_METRICS.iter().map(std::string::ToString::to_string).collect(),
    }
}

pub async fn today(
    session: &Session,
    queue_ids: &[String],
    interval: String,
) -> Result<(TodayById, ResponseMeta), ApiError> {
    today_as(session, queue_ids, interval, Priority::Poll).await
}

/// [`today`] with an explicit place in the rate budget (a key press is not polling).
pub async fn today_as(
    session: &Session,
    queue_ids: &[String],
    interval: String,
    priority: Priority,
) -> Result<(TodayById, ResponseMeta), ApiError> {
    let query = totals_query(interval, queue_ids.iter().map(String::as_str));
    let req = Request::new(EndpointId::ConversationAggregates).json(&query);
    let resp = session.call_as::<AggregateResponse>(&req, priority).await?;
    Ok((parse_totals(&resp.body, queue_ids), resp.meta))
}

/// Fold a response into numbers per asked-for queue. A queue the API left out of a
/// successful answer had no conversations in the interval: zeros, not unknown.
pub fn parse_totals(resp: &AggregateResponse, asked: &[String]) -> TodayById {
    let mut out: TodayById = asked.iter().map(|id| (id.clone(), TodayNumbers::default())).collect();
    for result in &resp.results {
        let Some(qid) = result.group.get("queueId") else { continue };
        let n = out.entry(qid.clone()).or_default();
        for m in result.data.iter().flat_map(|d| &d.metrics) {
            let s = &m.stats;
            let count = s.count.unwrap_or(0).max(0) as u64;
            match m.metric.as_str() {
                "nOffered" => n.offered += count,
                "tAnswered" => {
                    n.answered += count;
                    n.answer_wait_ms += s.sum.unwrap_or(0.0);
                }
                "tAbandon" => n.abandoned += count,
                "oServiceLevel" => {
                    match (s.numerator, s.denominator) {
                        (Some(num), Some(den)) => {
                            n.sl_numerator += num;
                            n.sl_denominator += den;
                        }
                        _ => n.sl_ratio_reported = s.ratio.or(n.sl_ratio_reported),
                    }
                    n.sl_target = s.target.or(n.sl_target);
                }
                _ => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_starts_at_the_orgs_midnight() {
        let tz = jiff::tz::TimeZone::get("America/Chicago").unwrap();
        let now: Timestamp = "2026-11-25T16:30:00Z".parse().unwrap();
        assert_eq!(today_interval(now, &tz), "2026-11-25T06:00:00.000Z/2026-11-25T16:30:00.000Z");
        // 03:00 UTC is still the 24th in Chicago.
        let early: Timestamp = "2026-11-25T03:00:00Z".parse().unwrap();
        assert_eq!(today_interval(early, &tz), "2026-11-24T06:00:00.000Z/2026-11-25T03:00:00.000Z");
        let midnight: Timestamp = "2026-11-25T06:00:00Z".parse().unwrap();
        assert!(today_interval(midnight, &tz).ends_with("/2026-11-25T06:00:01.000Z"));
    }

    #[test]
    fn totals_add_up_per_queue_and_silent_queues_are_zero() {
        let body = r#"{"results":[
          {"group":{"queueId":"a"},"data":[{"interval":"x","metrics":[
            {"metric":"nOffered","stats":{"count":10}},
            {"metric":"tAnswered","stats":{"max":30000,"min":1000,"count":8,"sum":80000}},
            {"metric":"tAbandon","stats":{"max":90000,"min":5000,"count":2,"sum":95000}},
            {"metric":"oServiceLevel","stats":{"ratio":0.7,"numerator":7,"denominator":10,"target":0.8}}]}]}]}"#;
        let r: AggregateResponse = serde_json::from_str(body).unwrap();
        let t = parse_totals(&r, &["a".into(), "b".into()]);
        let a = &t["a"];
        assert_eq!((a.offered, a.answered, a.abandoned), (10, 8, 2));
        assert_eq!(a.asa_ms(), Some(10_000));
        assert_eq!(a.abandon_ratio(), Some(0.2));
        assert_eq!(a.sl_ratio(), Some(0.7));
        assert_eq!(a.sl_target, Some(0.8));
        assert_eq!(t["b"], TodayNumbers::default());
        assert_eq!((t["b"].asa_ms(), t["b"].sl_ratio()), (None, None));
        let empty: AggregateResponse = serde_json::from_str("{}").unwrap();
        assert_eq!(parse_totals(&empty, &["a".into()])["a"].offered, 0);
    }

    #[test]
    fn the_query_is_shaped_as_documented() {
        let q = totals_query("2026-11-25T00:00:00.000Z/2026-11-25T10:00:00.000Z".into(), ["q1"]);
        let v = serde_json::to_value(&q).unwrap();
        assert_eq!(v["groupBy"], serde_json::json!(["queueId"]));
        assert_eq!(v["filter"]["predicates"][0]["dimension"], "queueId");
        assert_eq!(v["metrics"][0], "nOffered");
    }
}
