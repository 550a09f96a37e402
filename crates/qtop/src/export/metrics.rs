//! `/metrics`: the model's state as OpenMetrics text. Pure: the same inputs give the same text.
//!
//! The numbers are the ones the TUI shows (the same `Model`, fed by the same monitor), so a
//! queue's waiting count, staleness and diagnosis cannot differ between the wall and Grafana.
//! Live numbers are summed across media types by the app, so every queue series carries
//! `media_type="all"`; a per-media breakdown would need the monitor to keep it first.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use jiff::Timestamp;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use crate::app::{Health, Model};
use crate::event::{Activity, LiveSource};
use genesys::auth::AuthPhase;
use genesys::budget::BudgetUse;
use genesys::catalog::{self, EndpointId};
use genesys::client::Outcome;

/// The value of `media_type` on every queue series (see the module comment).
pub const MEDIA_ALL: &str = "all";

/// OpenMetrics 1.0 text, which Prometheus asks for and parses.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The Prometheus text format, for a scraper that does not ask for OpenMetrics (curl,
/// `promtool check metrics`).
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header asks for OpenMetrics (Prometheus sends it first; a plain client
/// sends `*/*` or nothing).
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.split(',').any(|t| t.trim().starts_with("application/openmetrics-text")))
}

/// [`render`]'s OpenMetrics text in the Prometheus text format (0.0.4). The two differ where
/// a classic parser would misread: a counter's family is named without `_total` in
/// OpenMetrics but its samples carry it, so its HELP and TYPE must name `…_total` here or the
/// samples stand alone without help; `# UNIT` and `# EOF` exist only in OpenMetrics. Every
/// HELP text here is plain words, so the two formats' escaping rules do not differ for it.
pub fn to_text_format(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// Every metric family `/metrics` carries, as Prometheus sees the names (counters with
/// `_total`). The dashboard and alert rules are checked against this list.
pub const EXPORTED: &[&str] = &[
    "qtop_queue_waiting",
    "qtop_queue_interacting",
    "qtop_queue_alerting",
    "qtop_queue_agents",
    "qtop_queue_longest_wait_seconds",
    "qtop_queue_service_level_target_ratio",
    "qtop_queue_offered_today",
    "qtop_queue_answered_today",
    "qtop_queue_abandoned_today",
    "qtop_queue_asa_seconds",
    "qtop_queue_service_level_ratio",
    "qtop_queues_watched",
    "qtop_api_requests_total",
    "qtop_api_rate_limited_total",
    "qtop_api_refusals_total",
    "qtop_access_refused",
    "qtop_rate_budget_used",
    "qtop_rate_budget_allowed",
    "qtop_token_expires_in_seconds",
    "qtop_data_age_seconds",
    "qtop_source",
    "qtop_signed_in",
    "qtop_ready",
    "qtop_skipped_polls_total",
    "qtop_shard",
];

/// When each kind of data last arrived (the app keeps the live numbers' time only).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ages {
    pub observations: Option<Timestamp>,
    pub totals: Option<Timestamp>,
    pub queue_list: Option<Timestamp>,
}

/// Everything one scrape reads, gathered under the exporter's lock.
pub struct Inputs<'a> {
    pub model: &'a Model,
    pub now: Timestamp,
    pub ages: &'a Ages,
    /// Requests sent through the client so far: (endpoint, outcome, count).
    pub api: &'a [(EndpointId, Outcome, u64)],
    pub budget: BudgetUse,
    /// `--shard K/N`, when this exporter watches a share of the queues.
    pub shard: Option<(u32, u32)>,
    /// Every 403 answered so far, as diagnosed when it came.
    pub refusals: &'a Refusals,
}

/// 403s counted as they arrive, so the counter only grows (the app's error log drops old
/// entries and merges repeats, which would make a counter built from it go down).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Refusals(BTreeMap<Labels, u64>);

impl Refusals {
    pub fn count(
        &mut self,
        activity: &Activity,
        endpoint: EndpointId,
        cause: crate::diagnose::Cause,
        missing: &[String],
    ) {
        for l in refusal_labels(activity, endpoint, cause, missing) {
            *self.0.entry(l).or_default() += 1;
        }
    }
}

type Labels = Vec<(String, String)>;
type GaugeF = Gauge<f64, AtomicU64>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Registers metric families on a fresh registry built for one scrape.
struct Builder {
    registry: Registry,
}

impl Builder {
    fn gauges(&mut self, name: &str, help: &str, unit: Option<Unit>, samples: Vec<(Labels, f64)>) {
        let family = Family::<Labels, GaugeF>::default();
        for (l, v) in samples {
            family.get_or_create(&l).set(v);
        }
        match unit {
            Some(u) => self.registry.register_with_unit(name, help, u, family),
            None => self.registry.register(name, help, family),
        }
    }

    /// `name` without `_total`: the encoder adds it.
    fn counters(&mut self, name: &str, help: &str, samples: Vec<(Labels, u64)>) {
        let family = Family::<Labels, Counter>::default();
        for (l, v) in samples {
            family.get_or_create(&l).inc_by(v);
        }
        self.registry.register(name, help, family);
    }
}

/// The path template and method of a catalogue entry, as labels.
fn endpoint_labels(id: EndpointId) -> [(String, String); 2] {
    let spec = catalog::spec(id);
    [("endpoint".into(), spec.path.to_string()), ("method".into(), spec.method.to_string())]
}

fn activity_label(a: &Activity) -> &'static str {
    match a {
        Activity::SignIn => "sign_in",
        Activity::QueueList => "queue_list",
        Activity::Observations => "observations",
        Activity::Members => "members",
        Activity::Totals => "totals",
        Activity::Internal => "internal",
    }
}

fn cause_label(c: crate::diagnose::Cause) -> String {
    serde_json::to_value(c).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_else(|| "unknown".into())
}

fn secs_between(earlier: Timestamp, later: Timestamp) -> f64 {
    (later.duration_since(earlier).as_millis() as f64 / 1000.0).max(0.0)
}

/// Signed in, and every watched queue's numbers are fresh: what `/readyz` waits for. The
/// reason otherwise is the header's status word and detail, so a probe and a wall agree.
pub fn ready(app: &Model) -> Result<(), String> {
    match &app.auth.phase {
        AuthPhase::SignedIn => {}
        AuthPhase::Failed(why) => return Err(format!("not signed in: {why}")),
        AuthPhase::Expired(fix) => return Err(format!("token expired: {fix}")),
        _ => return Err("not signed in yet".into()),
    }
    let fresh = app.freshness();
    if fresh.all_fresh() {
        return Ok(());
    }
    let health = app.live_health();
    let why = match &health {
        Health::Retrying { problem, .. } | Health::Failing(problem) if !problem.detail.is_empty() => {
            format!("{}: {}", problem.word(), problem.detail)
        }
        Health::NoQueues(why) => format!("no queues: {why}"),
        other => other.word().to_lowercase(),
    };
    Err(if fresh.observed == 0 {
        format!("no observations yet: {why}")
    } else {
        format!("{} of {} queues without fresh numbers: {why}", fresh.stale(), fresh.of)
    })
}

/// The whole `/metrics` body.
pub fn render(i: &Inputs) -> String {
    let mut b = Builder { registry: Registry::with_prefix("qtop") };
    queue_series(&mut b, i);
    health_series(&mut b, i);
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, &b.registry);
    out
}

fn queue_series(b: &mut Builder, i: &Inputs) {
    let mut waiting = vec![];
    let mut interacting = vec![];
    let mut alerting = vec![];
    let mut agents = vec![];
    let mut longest = vec![];
    let mut target = vec![];
    let mut offered = vec![];
    let mut answered = vec![];
    let mut abandoned = vec![];
    let mut asa = vec![];
    let mut sl = vec![];
    for row in &i.model.queues {
        let q = labels(&[("queue_id", &row.info.id), ("queue_name", &row.info.name), ("media_type", MEDIA_ALL)]);
        if let Some((fraction, _secs)) = row.info.sl_target {
            target.push((q.clone(), fraction));
        }
        // Unknown stays absent: a series shows 0 only when the API said 0.
        if let Some(n) = &row.numbers {
            let put = |into: &mut Vec<(Labels, f64)>, v: Option<u32>| {
                if let Some(v) = v {
                    into.push((q.clone(), v as f64));
                }
            };
            put(&mut waiting, n.waiting);
            put(&mut interacting, n.interacting);
            put(&mut alerting, n.alerting);
            for (status, v) in [
                ("on_queue", n.on_queue),
                ("idle", n.idle),
                ("not_responding", n.not_responding),
                ("off_queue", n.off_queue),
            ] {
                if let Some(v) = v {
                    let mut l = q.clone();
                    l.push(("status".into(), status.into()));
                    agents.push((l, v as f64));
                }
            }
            // The observed value: Prometheus stamps its own scrape time, and the app's ticking
            // clock between polls would only add the scrape's jitter.
            if let Some(ms) = n.longest_waiting_ms {
                let ms = if n.waiting == Some(0) { 0 } else { ms };
                longest.push((q.clone(), ms as f64 / 1000.0));
            }
        }
        if let Some(t) = &row.today {
            offered.push((q.clone(), t.offered as f64));
            answered.push((q.clone(), t.answered as f64));
            abandoned.push((q.clone(), t.abandoned as f64));
            if let Some(ms) = t.asa_ms() {
                asa.push((q.clone(), ms as f64 / 1000.0));
            }
            if let Some(r) = t.sl_ratio() {
                sl.push((q.clone(), r));
            }
        }
    }
    b.gauges("queue_waiting", "Conversations waiting in the queue now (all media)", None, waiting);
    b.gauges("queue_interacting", "Conversations being handled now (all media)", None, interacting);
    b.gauges("queue_alerting", "Conversations ringing at an agent now (all media)", None, alerting);
    b.gauges(
        "queue_agents",
        "Queue members by routing status (on_queue, idle, not_responding, off_queue)",
        None,
        agents,
    );
    b.gauges(
        "queue_longest_wait",
        "Longest current wait, as observed (0 when nobody waits)",
        Some(Unit::Seconds),
        longest,
    );
    b.gauges("queue_service_level_target_ratio", "The queue's configured service-level target", None, target);
    b.gauges("queue_offered_today", "Conversations offered since midnight (org time zone)", None, offered);
    b.gauges("queue_answered_today", "Conversations answered since midnight", None, answered);
    b.gauges("queue_abandoned_today", "Conversations abandoned since midnight", None, abandoned);
    b.gauges("queue_asa", "Average speed of answer today", Some(Unit::Seconds), asa);
    b.gauges("queue_service_level_ratio", "Service level today (answered within target / counted)", None, sl);
    b.gauges(
        "queues_watched",
        "Queues this exporter watches (after --queues and --shard)",
        None,
        vec![(vec![], i.model.queues.len() as f64)],
    );
}

fn health_series(b: &mut Builder, i: &Inputs) {
    let app = i.model;
    let mut requests = vec![];
    let mut limited: BTreeMap<EndpointId, u64> = BTreeMap::new();
    for (id, outcome, n) in i.api {
        let mut l: Labels = endpoint_labels(*id).into();
        l.push(("status".into(), outcome.label()));
        requests.push((l, *n));
        if *outcome == Outcome::Status(429) {
            *limited.entry(*id).or_default() += n;
        }
    }
    b.counters("api_requests", "API requests sent, by endpoint and HTTP status (or transport failure)", requests);
    b.counters(
        "api_rate_limited",
        "API requests answered 429 (rate limited), by endpoint",
        limited.into_iter().map(|(id, n)| (endpoint_labels(id).into(), n)).collect(),
    );

    // Refusals as diagnosed: one series per permission the diagnosis names as missing.
    b.counters(
        "api_refusals",
        "403 answers by activity, endpoint, diagnosed cause and missing permission",
        i.refusals.0.iter().map(|(l, n)| (l.clone(), *n)).collect(),
    );
    let mut refused = vec![];
    for r in app.refusals() {
        for l in refusal_labels(&r.activity, r.endpoint, r.cause, &r.missing) {
            refused.push((l, 1.0));
        }
    }
    b.gauges(
        "access_refused",
        "1 while the API refuses this kind of data with a 403 (cleared when it answers again)",
        None,
        refused,
    );

    b.gauges(
        "rate_budget_used",
        "Requests sent with this token in the last minute",
        None,
        vec![(vec![], i.budget.used as f64)],
    );
    b.gauges(
        "rate_budget_allowed",
        "Requests per minute this token may send (learned from the API)",
        None,
        vec![(vec![], i.budget.allowed as f64)],
    );
    let expiry = app.auth.token.as_ref().and_then(|t| t.expires_at).map(|exp| {
        let secs = exp.duration_since(i.now).as_millis() as f64 / 1000.0;
        (vec![], secs)
    });
    b.gauges(
        "token_expires_in",
        "Time until the access token expires (negative once it has)",
        Some(Unit::Seconds),
        expiry.into_iter().collect(),
    );
    let ages = [("observations", i.ages.observations), ("totals", i.ages.totals), ("queue_list", i.ages.queue_list)]
        .into_iter()
        .filter_map(|(source, at)| Some((labels(&[("source", source)]), secs_between(at?, i.now))))
        .collect();
    b.gauges("data_age", "Time since each kind of data last arrived", Some(Unit::Seconds), ages);
    // Until the monitor has chosen (the queue list is not in yet) there is no mode to tell.
    let mode = app.live_source.map(|s| match s {
        LiveSource::Poll => "poll",
        LiveSource::Stream => "stream",
        LiveSource::StreamReconnecting => "stream_reconnecting",
    });
    b.gauges(
        "source",
        "How live numbers reach qtop: mode=poll, stream, or stream_reconnecting (a socket is down)",
        None,
        mode.map(|m| (labels(&[("mode", m)]), 1.0)).into_iter().collect(),
    );
    let signed_in = matches!(app.auth.phase, AuthPhase::SignedIn);
    b.gauges("signed_in", "1 while qtop holds a working token", None, vec![(vec![], f64::from(u8::from(signed_in)))]);
    b.gauges(
        "ready",
        "1 once signed in and the first observations are in (as /readyz)",
        None,
        vec![(vec![], f64::from(u8::from(ready(app).is_ok())))],
    );
    b.counters(
        "skipped_polls",
        "Polls skipped because the previous one was still in flight",
        vec![(vec![], app.skipped_ticks)],
    );
    let shard = i.shard.map(|(k, n)| (labels(&[("shard", &k.to_string()), ("of", &n.to_string())]), 1.0));
    b.gauges("shard", "This exporter's share of the queues (--shard K/N)", None, shard.into_iter().collect());
}

fn refusal_labels(
    activity: &Activity,
    endpoint: EndpointId,
    cause: crate::diagnose::Cause,
    missing: &[String],
) -> Vec<Labels> {
    let base = |permission: &str| {
        let mut l: Labels = vec![("activity".into(), activity_label(activity).into())];
        l.extend(endpoint_labels(endpoint));
        l.push(("cause".into(), cause_label(cause)));
        l.push(("permission".into(), permission.into()));
        l
    };
    if missing.is_empty() { vec![base("")] } else { missing.iter().map(|p| base(p)).collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_gets_openmetrics_and_plain_clients_the_text_format() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(None));
    }

    #[test]
    fn counters_are_named_by_their_samples_in_the_text_format() {
        let om = "# HELP qtop_api_requests API requests sent.\n# TYPE qtop_api_requests counter\nqtop_api_requests_total{status=\"200\"} 3\n# HELP qtop_data_age_seconds Time since.\n# TYPE qtop_data_age_seconds gauge\n# UNIT qtop_data_age_seconds seconds\nqtop_data_age_seconds 1.5\n# EOF\n";
        assert_eq!(
            to_text_format(om),
            "# HELP qtop_api_requests_total API requests sent.\n# TYPE qtop_api_requests_total counter\nqtop_api_requests_total{status=\"200\"} 3\n# HELP qtop_data_age_seconds Time since.\n# TYPE qtop_data_age_seconds gauge\nqtop_data_age_seconds 1.5\n"
        );
    }
}
