//! Today's totals: qtop's aggregates query against the simulator, compared with the engine's
//! own buckets at the same instant; divisions; permissions; the monitor's totals poller.

use crate::common;

use std::time::Duration;

use common::{T0, start_sim};
use genesys::aggregates::{self, TodayNumbers};
use genesys::queries;
use jiff::Timestamp;
use qtop::event::{Event, MonitorEvent};
use qtop::monitor::Monitor;
use serde_json::{Value, json};
use sim::engine::Bucket;
use tokio::sync::mpsc;

/// The engine's totals for one queue from the org's midnight to its "now".
fn truth(t: &common::TestSim, qi: usize) -> Bucket {
    t.sim.shared.with_engine(|e| {
        let now = e.now();
        let midnight =
            Timestamp::from_millisecond(now).unwrap().to_zoned_datetime(t.org.timezone.clone()).start_of_day().unwrap();
        let mut b = Bucket::default();
        for m in 0..t.org.queues[qi].media.len() {
            b.merge(&e.totals(qi, m, midnight.timestamp().as_millisecond(), now));
        }
        b
    })
}

fn assert_matches(got: &TodayNumbers, want: &Bucket, target: f64, name: &str) {
    assert_eq!(got.offered, want.offered, "{name} offered");
    assert_eq!(got.answered, want.answered.count, "{name} answered");
    assert_eq!(got.abandoned, want.abandoned.count, "{name} abandoned");
    assert_eq!(got.answer_wait_ms, want.answered.sum.round(), "{name} answer waits");
    assert_eq!(got.sl_numerator, want.sl_numerator as f64, "{name} within SL");
    assert_eq!(got.sl_denominator, want.sl_denominator as f64, "{name} counted for SL");
    if want.sl_denominator > 0 {
        assert_eq!(got.sl_target, Some(target), "{name} target");
    }
}

#[tokio::test]
async fn todays_totals_equal_the_engines_buckets() {
    let t = start_sim().await;
    let session = t.session("wallboard");
    let ids: Vec<String> = t.org.queues.iter().map(|q| q.id.clone()).collect();
    let now: Timestamp = T0.parse().unwrap();
    let interval = aggregates::today_interval(now, &t.org.timezone);
    let (today, meta) = aggregates::today(&session, &ids, interval).await.unwrap();
    assert_eq!(meta.server_date, Some(now));
    let mut offered = 0;
    for (qi, spec) in t.org.queues.iter().enumerate() {
        assert_matches(&today[&spec.id], &truth(&t, qi), spec.sl_percentage, &spec.name);
        offered += today[&spec.id].offered;
    }
    assert!(offered > 500, "a demo morning has traffic: {offered}");
    // Half an hour later the day has moved on, and the answer with it.
    t.clock.advance(jiff::SignedDuration::from_mins(30));
    let later = aggregates::today_interval(now + jiff::SignedDuration::from_mins(30), &t.org.timezone);
    let (today2, _) = aggregates::today(&session, &ids, later).await.unwrap();
    let offered2: u64 = today2.values().map(|n| n.offered).sum();
    assert!(offered2 > offered);
    for (qi, spec) in t.org.queues.iter().enumerate() {
        assert_matches(&today2[&spec.id], &truth(&t, qi), spec.sl_percentage, &spec.name);
    }
}

async fn post(t: &common::TestSim, token: &str, body: &Value) -> (u16, Value) {
    let resp = common::http()
        .post(t.url("/api/v2/analytics/conversations/aggregates/query"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

#[tokio::test]
async fn granularity_splits_the_day_into_intervals_that_add_up() {
    let t = start_sim().await;
    let token = t.token("wallboard").await;
    let q = &t.org.queues[2];
    let filter = json!({"type": "or", "predicates": [{"dimension": "queueId", "value": q.id}]});
    let interval = "2026-11-25T08:00:00.000Z/2026-11-25T10:30:00.000Z";
    let whole = json!({"interval": interval, "groupBy": ["queueId"], "filter": filter, "metrics": ["nOffered"]});
    let (status, v) = post(&t, &token, &whole).await;
    assert_eq!(status, 200, "{v}");
    let total = v["results"][0]["data"][0]["metrics"][0]["stats"]["count"].as_u64().unwrap();
    let mut sliced = whole.clone();
    sliced["granularity"] = json!("PT30M");
    let (_, v) = post(&t, &token, &sliced).await;
    let data = v["results"][0]["data"].as_array().unwrap();
    assert_eq!(data.len(), 5, "08:00 to 10:30 in half hours");
    assert_eq!(data[0]["interval"], "2026-11-25T08:00:00.000Z/2026-11-25T08:30:00.000Z");
    let sum: u64 = data.iter().map(|d| d["metrics"][0]["stats"]["count"].as_u64().unwrap()).sum();
    assert_eq!(sum, total);
}

#[tokio::test]
async fn totals_leave_out_queues_outside_the_callers_divisions() {
    let t = start_sim().await;
    let token = t.token("home-division").await;
    let interval = aggregates::today_interval(T0.parse().unwrap(), &t.org.timezone);
    // No filter at all: every queue the caller may see, and no other.
    let body = json!({"interval": interval, "groupBy": ["queueId"], "metrics": ["nOffered"]});
    let (status, v) = post(&t, &token, &body).await;
    assert_eq!(status, 200, "{v}");
    let seen: Vec<&str> =
        v["results"].as_array().unwrap().iter().map(|r| r["group"]["queueId"].as_str().unwrap()).collect();
    for q in &t.org.queues {
        assert_eq!(seen.contains(&q.id.as_str()), q.division == 0, "{}", q.name);
    }
    // Asking for every queue by id gives the same.
    let session = t.session("home-division");
    let ids: Vec<String> = t.org.queues.iter().map(|q| q.id.clone()).collect();
    let (today, _) = aggregates::today(&session, &ids, interval).await.unwrap();
    for (qi, q) in t.org.queues.iter().enumerate() {
        let expected = if q.division == 0 { truth(&t, qi).offered } else { 0 };
        assert_eq!(today[&q.id].offered, expected, "{}", q.name);
    }
}

#[tokio::test]
async fn without_the_aggregate_permission_totals_are_refused_and_live_numbers_still_flow() {
    let t = start_sim().await;
    let session = t.session("no-observations");
    let ids = vec![t.org.queues[0].id.clone()];
    let e = aggregates::today(&session, &ids, aggregates::today_interval(T0.parse().unwrap(), &t.org.timezone))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(403), Some("missing.any.permissions")));
    assert!(e.error_body().unwrap().message.as_deref().unwrap().contains("analytics:conversationAggregate:view"));
    // The catalogue says AnyOf: the sim's refusal names the permission qtop's diagnosis will.
    assert!(queries::list_queues(&session).await.is_ok());
}

#[tokio::test]
async fn the_monitor_polls_totals_for_the_servers_day() {
    let t = start_sim().await;
    let (tx, mut rx) = mpsc::channel(256);
    let (_cmd_tx, cmd_rx) = mpsc::channel(4);
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: t.session("wallboard"),
        refresh: Duration::from_millis(300),
        totals_refresh: Duration::from_millis(400),
        timezone: t.org.timezone.clone(),
        selectors: vec![],
        events: tx,
    };
    let task = tokio::spawn(monitor.run(cmd_rx));
    // The simulated day is 2026-11-25 whatever this machine's date: only the server's
    // clock (the Date header) gives totals that match the engine.
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Some(Event::Monitor(MonitorEvent::Totals { today, .. })) => return today,
                Some(Event::Monitor(MonitorEvent::Failed { error, .. })) => panic!("{error}"),
                Some(_) => {}
                None => panic!("monitor stopped"),
            }
        }
    })
    .await
    .expect("totals within 20 s");
    task.abort();
    assert_eq!(got.len(), t.org.queues.len());
    for (qi, spec) in t.org.queues.iter().enumerate() {
        assert_matches(&got[&spec.id], &truth(&t, qi), spec.sl_percentage, &spec.name);
    }
}

/// The first totals must already be the server's day: seen on an org in another time zone,
/// the table showed the wrong day's totals for one totals period after start. Live numbers are
/// slowed here so that no observations answer has come back when the first totals go: only
/// the queue list, the first request, can have told qtop the server's clock.
#[tokio::test]
async fn the_first_totals_are_for_the_servers_day_even_before_any_live_numbers() {
    let t = common::start_sim_with_faults().await;
    let slow = json!({"fault": "latency", "ms": 3000, "path": "/api/v2/analytics/queues/observations"});
    let resp = common::http().post(t.url("/sim/faults")).json(&slow).send().await.unwrap();
    assert_eq!(resp.status(), 201);
    let (tx, mut rx) = mpsc::channel(256);
    let (_cmd_tx, cmd_rx) = mpsc::channel(4);
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: t.session("wallboard"),
        refresh: Duration::from_millis(300),
        totals_refresh: Duration::from_secs(30),
        timezone: t.org.timezone.clone(),
        selectors: vec![],
        events: tx,
    };
    let task = tokio::spawn(monitor.run(cmd_rx));
    let mut observed_first = false;
    let got = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match rx.recv().await {
                Some(Event::Monitor(MonitorEvent::Totals { today, .. })) => return today,
                Some(Event::Monitor(MonitorEvent::Observations { .. })) => observed_first = true,
                Some(Event::Monitor(MonitorEvent::Failed { error, .. })) => panic!("{error}"),
                Some(_) => {}
                None => panic!("monitor stopped"),
            }
        }
    })
    .await
    .expect("totals within 20 s");
    task.abort();
    assert!(!observed_first, "the test must send the totals before any live numbers");
    for (qi, spec) in t.org.queues.iter().enumerate() {
        assert_matches(&got[&spec.id], &truth(&t, qi), spec.sl_percentage, &spec.name);
    }
}
