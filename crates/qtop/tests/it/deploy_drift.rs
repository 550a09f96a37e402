//! deploy/ cannot drift from the exporter: every metric the Grafana dashboard and the alert
//! rules query is one `/metrics` serves, and the list they are checked against is exactly
//! what the exporter renders when every family has something to say.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use genesys::aggregates::TodayNumbers;
use genesys::auth::{AuthPhase, AuthStatus, Grant, TokenFacts};
use genesys::budget::BudgetUse;
use genesys::catalog::EndpointId;
use genesys::client::Outcome;
use genesys::queries::QueueNumbers;
use jiff::Timestamp;
use qtop::app::Model;
use qtop::diagnose::Cause;
use qtop::event::{Activity, Event, LiveSource, MonitorEvent, QueueInfo};
use qtop::export::metrics::{self, Ages, EXPORTED, Inputs};

fn root(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every `qtop_…` identifier in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut out = vec![];
    let mut rest = expr;
    while let Some(i) = rest.find("qtop_") {
        let tail = &rest[i..];
        let end = tail.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(tail.len());
        // Not a label or a word inside a longer identifier.
        let before = rest[..i].chars().last();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    out
}

fn exprs_in(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("expr" | "query", serde_json::Value::String(s)) => out.push(s.clone()),
                    _ => exprs_in(v, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|v| exprs_in(v, out)),
        _ => {}
    }
}

/// A model (what the exporter holds) with something in every family: numbers, totals, a
/// refusal, a token.
fn full_model(now: Timestamp) -> Model {
    let mut app = Model::new("test".into(), Grant::ClientCredentials, std::time::Duration::from_secs(2), now);
    let info = QueueInfo { id: "q1".into(), name: "Sales".into(), division: None, sl_target: Some((0.8, 20)) };
    app.apply(Event::Monitor(MonitorEvent::Queues { queues: vec![info], unmatched: vec![], at: now }));
    let numbers = QueueNumbers {
        waiting: Some(3),
        longest_waiting_ms: Some(42_000),
        interacting: Some(5),
        alerting: Some(1),
        on_queue: Some(9),
        idle: Some(2),
        off_queue: Some(1),
        not_responding: Some(0),
        ..Default::default()
    };
    app.apply(Event::Monitor(MonitorEvent::Observations {
        queue_ids: vec!["q1".into()],
        numbers: BTreeMap::from([("q1".to_string(), numbers)]),
        at: now,
    }));
    let today = TodayNumbers {
        offered: 10,
        answered: 8,
        abandoned: 2,
        answer_wait_ms: 80_000.0,
        sl_numerator: 6.0,
        sl_denominator: 8.0,
        ..Default::default()
    };
    app.apply(Event::Monitor(MonitorEvent::Totals {
        queue_ids: vec!["q1".into()],
        today: BTreeMap::from([("q1".to_string(), today)]),
        at: now,
    }));
    // Refused live numbers leave the last ones shown (a refused total would blank the totals).
    let refused = Box::new(common::errors::forbidden());
    app.apply(Event::Monitor(MonitorEvent::Failed { activity: Activity::Observations, error: refused, at: now }));
    let token = TokenFacts { expires_at: Some(now + jiff::SignedDuration::from_hours(1)), ..Default::default() };
    let auth = AuthStatus { phase: AuthPhase::SignedIn, token: Some(token), ..Default::default() };
    app.apply(Event::Monitor(MonitorEvent::Auth(Box::new(auth))));
    app.apply(Event::Monitor(MonitorEvent::Source(LiveSource::Stream)));
    app
}

fn rendered_names() -> (String, BTreeSet<String>) {
    let now: Timestamp = common::T0.parse().unwrap();
    let model = full_model(now);
    let ages = Ages { observations: Some(now), totals: Some(now), queue_list: Some(now) };
    let api = [
        (EndpointId::QueueObservations, Outcome::Status(200), 5),
        (EndpointId::QueueObservations, Outcome::Status(429), 1),
        (EndpointId::ConversationAggregates, Outcome::Timeout, 1),
    ];
    let mut refusals = metrics::Refusals::default();
    let missing = ["analytics:queueObservation:view".to_string()];
    refusals.count(&Activity::Observations, EndpointId::QueueObservations, Cause::MissingPermission, &missing);
    let body = metrics::render(&Inputs {
        model: &model,
        now,
        ages: &ages,
        api: &api,
        budget: BudgetUse { used: 7, allowed: 300, ours: 7 },
        shard: Some((1, 2)),
        refusals: &refusals,
    });
    let parsed = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).unwrap();
    let names = parsed.samples.iter().map(|s| s.metric.clone()).collect();
    (body, names)
}

#[test]
fn the_exported_list_is_exactly_what_metrics_renders() {
    let (body, names) = rendered_names();
    let listed: BTreeSet<String> = EXPORTED.iter().map(std::string::ToString::to_string).collect();
    assert_eq!(names, listed, "\n{body}");
    // The refusal carries the diagnosis' labels, the timeout its own status.
    assert!(body.contains(r#"cause="missing_permission",permission="analytics:queueObservation:view""#), "{body}");
    assert!(body.contains(r#"status="timeout""#), "{body}");
    assert!(
        body.contains("qtop_queue_longest_wait_seconds{queue_id=\"q1\",queue_name=\"Sales\",media_type=\"all\"} 42.0")
    );
}

#[test]
fn the_grafana_dashboard_queries_only_exported_metrics() {
    let dash: serde_json::Value = serde_json::from_str(&root("deploy/grafana-dashboard.json")).expect("valid JSON");
    let mut exprs = vec![];
    exprs_in(&dash, &mut exprs);
    assert!(exprs.len() >= 10, "the dashboard's panels were found: {exprs:?}");
    let mut used = BTreeSet::new();
    for e in &exprs {
        for name in metric_names(e) {
            assert!(
                EXPORTED.contains(&name.as_str()),
                "dashboard queries {name} (in `{e}`), which qtop does not export"
            );
            used.insert(name);
        }
    }
    for core in ["qtop_queue_waiting", "qtop_access_refused", "qtop_rate_budget_used", "qtop_data_age_seconds"] {
        assert!(used.contains(core), "the dashboard shows {core}");
    }
}

#[test]
fn the_alert_rules_query_only_exported_metrics() {
    let rules = root("deploy/alerts.yml");
    let exprs: Vec<&str> = rules.lines().filter_map(|l| l.trim_start().strip_prefix("expr:")).map(str::trim).collect();
    assert_eq!(exprs.len(), 2, "{exprs:?}");
    for e in &exprs {
        let names = metric_names(e);
        assert!(!names.is_empty(), "{e}");
        for name in names {
            assert!(
                EXPORTED.contains(&name.as_str()),
                "alert rule queries {name} (in `{e}`), which qtop does not export"
            );
        }
    }
    assert!(rules.contains("qtop_access_refused"), "the 403 alert");
    let prom = root("deploy/prometheus.yml");
    assert!(prom.contains("alerts.yml") && prom.contains("9464"));
}

#[test]
fn drift_is_caught() {
    assert_eq!(
        metric_names("sum(rate(qtop_api_requests_total[5m])) / qtop_nope"),
        ["qtop_api_requests_total", "qtop_nope"]
    );
    assert!(!EXPORTED.contains(&"qtop_nope"));
    assert!(metric_names(r#"x{label_qtop_x="1"}"#).is_empty());
}
