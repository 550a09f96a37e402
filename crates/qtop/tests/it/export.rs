//! `qtop export` against the in-process sim: scraped over HTTP and parsed with a real
//! Prometheus text parser, compared with what the sim answers a direct query at that moment
//! (the sim's clock is frozen, so its numbers hold still).

use crate::common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestSim, start_sim, start_sim_with_faults};
use genesys::aggregates;
use genesys::queries;
use qtop::config::SourceMode;
use qtop::export::{self, Settings};
use serde_json::json;

fn settings(t: &TestSim) -> Settings {
    Settings {
        org_label: "sim".into(),
        refresh: Duration::from_millis(200),
        totals_refresh: Duration::from_millis(600),
        timezone: t.org.timezone.clone(),
        selectors: vec![],
        shard: None,
        source: SourceMode::Poll,
        tuning: common::watch::tuning(),
        restart: Default::default(),
    }
}

async fn start(t: &TestSim, persona: &str, settings: Settings) -> export::Exporter {
    let listener = export::server::bind("127.0.0.1:0").await.expect("binds");
    export::start(settings, t.session(persona), listener).expect("starts")
}

struct Scraped {
    samples: Vec<prometheus_parse::Sample>,
}

impl Scraped {
    fn find(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        self.samples
            .iter()
            .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .map(|s| match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                ref other => panic!("{name}: {other:?}"),
            })
            .collect()
    }

    fn one(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found = self.find(name, labels);
        assert!(found.len() <= 1, "{name} {labels:?}: {found:?}");
        found.first().copied()
    }
}

/// What Prometheus sends: OpenMetrics first, the text format as a fallback.
const PROMETHEUS_ACCEPT: &str = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

async fn scrape(e: &export::Exporter) -> (String, Scraped) {
    let url = format!("http://{}/metrics", e.addr);
    let resp = common::http().get(url).header("accept", PROMETHEUS_ACCEPT).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let body = resp.text().await.unwrap();
    assert!(body.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    let parsed = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("parses");
    (body, Scraped { samples: parsed.samples })
}

async fn get(e: &export::Exporter, path: &str) -> (u16, String) {
    let resp = common::http().get(format!("http://{}{path}", e.addr)).send().await.unwrap();
    (resp.status().as_u16(), resp.text().await.unwrap())
}

/// Scrape until `ok` holds (the monitor polls in the background).
async fn scrape_until(e: &export::Exporter, what: &str, ok: impl Fn(&Scraped) -> bool) -> Scraped {
    for _ in 0..100 {
        let (_, s) = scrape(e).await;
        if ok(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (body, _) = scrape(e).await;
    panic!("never saw {what}:\n{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_queue_series_equal_the_sims_answer_and_health_series_are_there() {
    let t = start_sim().await;
    let e = start(&t, "wallboard", settings(&t)).await;
    let s = scrape_until(&e, "observations and totals", |s| {
        !s.find("qtop_queue_waiting", &[]).is_empty() && !s.find("qtop_queue_offered_today", &[]).is_empty()
    })
    .await;

    // The sim's own answer to the same questions, asked directly with another token.
    let direct = t.session("wallboard");
    let (all, _) = queries::list_queues(&direct).await.unwrap();
    let ids: Vec<String> = all.iter().map(|q| q.id.clone()).collect();
    let (resp, meta) = queries::observe(&direct, &ids).await.unwrap();
    let numbers = queries::parse_observations(&resp);
    let interval = aggregates::today_interval(meta.server_date.unwrap(), &t.org.timezone);
    let (today, _) = aggregates::today(&direct, &ids, interval).await.unwrap();

    assert_eq!(s.one("qtop_queues_watched", &[]), Some(all.len() as f64));
    let mut busy = 0;
    for q in &all {
        let l = [("queue_id", q.id.as_str()), ("queue_name", q.name.as_str()), ("media_type", "all")];
        let n = &numbers[&q.id];
        let as_f = |v: Option<u32>| v.map(f64::from);
        assert_eq!(s.one("qtop_queue_waiting", &l), as_f(n.waiting), "{} waiting", q.name);
        assert_eq!(s.one("qtop_queue_interacting", &l), as_f(n.interacting), "{} interacting", q.name);
        assert_eq!(s.one("qtop_queue_alerting", &l), as_f(n.alerting), "{} alerting", q.name);
        let idle = [l[0], l[1], l[2], ("status", "idle")];
        assert_eq!(s.one("qtop_queue_agents", &idle), as_f(n.idle), "{} idle", q.name);
        let on = [l[0], l[1], l[2], ("status", "on_queue")];
        assert_eq!(s.one("qtop_queue_agents", &on), as_f(n.on_queue), "{} on queue", q.name);
        let longest = n.longest_waiting_ms.map(|ms| if n.waiting == Some(0) { 0.0 } else { ms as f64 / 1000.0 });
        assert_eq!(s.one("qtop_queue_longest_wait_seconds", &l), longest, "{} longest", q.name);
        let d = &today[&q.id];
        assert_eq!(s.one("qtop_queue_offered_today", &l), Some(d.offered as f64), "{} offered", q.name);
        assert_eq!(s.one("qtop_queue_answered_today", &l), Some(d.answered as f64), "{} answered", q.name);
        assert_eq!(s.one("qtop_queue_abandoned_today", &l), Some(d.abandoned as f64), "{} abandoned", q.name);
        assert_eq!(s.one("qtop_queue_service_level_ratio", &l), d.sl_ratio(), "{} SL", q.name);
        busy += usize::from(n.waiting.unwrap_or(0) > 0 || d.offered > 0);
    }
    assert!(busy > 0, "a sim at 10:30 has traffic: the comparison is not all zeros");

    // qtop's own health.
    let obs = [("endpoint", "/api/v2/analytics/queues/observations/query"), ("method", "POST"), ("status", "200")];
    assert!(s.one("qtop_api_requests_total", &obs).unwrap() >= 1.0);
    assert_eq!(s.one("qtop_rate_budget_allowed", &[]), Some(300.0));
    assert!(s.one("qtop_rate_budget_used", &[]).unwrap() >= 3.0);
    let left = s.one("qtop_token_expires_in_seconds", &[]).unwrap();
    assert!(left > 3600.0, "{left}");
    for source in ["observations", "totals", "queue_list"] {
        let age = s.one("qtop_data_age_seconds", &[("source", source)]).unwrap_or_else(|| panic!("{source} age"));
        assert!((0.0..30.0).contains(&age), "{source}: {age}");
    }
    assert_eq!(s.one("qtop_source", &[("mode", "poll")]), Some(1.0));
    assert_eq!(s.one("qtop_signed_in", &[]), Some(1.0));
    assert_eq!(s.one("qtop_ready", &[]), Some(1.0));
    assert!(s.find("qtop_access_refused", &[]).is_empty(), "nothing refused");
    assert_eq!(get(&e, "/healthz").await.0, 200);
    e.stop().await;
}

/// A scraper that does not ask for OpenMetrics (curl, `promtool check metrics`) gets the
/// Prometheus text format: the same series, every sample under a HELP and TYPE of its own
/// name (what promtool lints), and no OpenMetrics-only lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_scrape_gets_the_text_format_with_every_sample_under_its_help() {
    let t = start_sim().await;
    let e = start(&t, "wallboard", settings(&t)).await;
    // Once live numbers and totals are in, every family the demo fills has samples, so both
    // scrapes list the same ones.
    let om = scrape_until(&e, "observations and totals", |s| {
        !s.find("qtop_queue_waiting", &[]).is_empty() && !s.find("qtop_queue_offered_today", &[]).is_empty()
    })
    .await;
    let resp = common::http().get(format!("http://{}/metrics", e.addr)).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let body = resp.text().await.unwrap();
    assert!(!body.contains("# EOF") && !body.contains("# UNIT"), "{body}");
    let helped: std::collections::HashSet<&str> =
        body.lines().filter_map(|l| l.strip_prefix("# HELP ")?.split(' ').next()).collect();
    let typed: std::collections::HashSet<&str> =
        body.lines().filter_map(|l| l.strip_prefix("# TYPE ")?.split(' ').next()).collect();
    let mut names = std::collections::BTreeSet::new();
    for line in body.lines().filter(|l| !l.starts_with('#')) {
        let name = line.split(['{', ' ']).next().unwrap();
        assert!(helped.contains(name) && typed.contains(name), "{name} has no HELP or TYPE of its own:\n{body}");
        names.insert(name.to_string());
    }
    assert!(names.contains("qtop_api_requests_total") && names.contains("qtop_queue_waiting"), "{names:?}");
    let parsed = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string()))).expect("parses");
    let plain: std::collections::BTreeSet<String> = parsed.samples.iter().map(|s| s.metric.clone()).collect();
    let open: std::collections::BTreeSet<String> = om.samples.iter().map(|s| s.metric.clone()).collect();
    assert_eq!(plain, open, "the same series in both formats");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_403_persona_gives_the_labelled_refusal_naming_the_permission() {
    let t = start_sim().await;
    let e = start(&t, "no-observations", settings(&t)).await;
    let labels = [
        ("activity", "observations"),
        ("endpoint", "/api/v2/analytics/queues/observations/query"),
        ("cause", "missing_permission"),
        ("permission", "analytics:queueObservation:view"),
    ];
    let s = scrape_until(&e, "the refusal", |s| s.one("qtop_access_refused", &labels) == Some(1.0)).await;
    assert!(s.one("qtop_api_refusals_total", &labels).unwrap() >= 1.0);
    let forbidden = [("endpoint", "/api/v2/analytics/queues/observations/query"), ("status", "403")];
    assert!(s.one("qtop_api_requests_total", &forbidden).unwrap() >= 1.0);
    assert!(s.find("qtop_queue_waiting", &[]).is_empty(), "no numbers shown as 0 when refused");
    assert_eq!(s.one("qtop_ready", &[]), Some(0.0));
    let (status, body) = get(&e, "/readyz").await;
    assert_eq!(status, 503);
    assert!(
        body.starts_with("not ready: no observations yet: Refused: missing permission analytics:queueObservation:view"),
        "{body}"
    );
    e.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_with_a_reason_before_data_and_200_after() {
    let t = start_sim_with_faults().await;
    let on = common::http().post(t.url("/sim/faults")).json(&json!({"fault": "unavailable"})).send().await.unwrap();
    assert_eq!(on.status(), 201);
    let e = start(&t, "wallboard", settings(&t)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (status, body) = get(&e, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready: ") && body.trim_end().lines().count() == 1, "{body}");
    assert_eq!(get(&e, "/healthz").await.0, 200, "the process is up all the same");
    common::http().delete(t.url("/sim/faults")).send().await.unwrap();
    for _ in 0..100 {
        if get(&e, "/readyz").await.0 == 200 {
            e.stop().await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never ready: {}", get(&e, "/readyz").await.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shards_split_the_queues_between_exporters() {
    let t = start_sim().await;
    let mut seen: HashMap<String, u32> = HashMap::new();
    for k in 1..=2 {
        let shard = genesys::queries::Shard { k, n: 2 };
        let e = start(&t, "wallboard", Settings { shard: Some(shard), ..settings(&t) }).await;
        let s = scrape_until(&e, "observations", |s| !s.find("qtop_queue_waiting", &[]).is_empty()).await;
        assert_eq!(s.one("qtop_shard", &[("shard", &k.to_string()), ("of", "2")]), Some(1.0));
        for sample in s.samples.iter().filter(|s| s.metric == "qtop_queue_waiting") {
            *seen.entry(sample.labels.get("queue_id").unwrap().to_string()).or_default() += 1;
        }
        e.stop().await;
    }
    assert_eq!(seen.len(), t.org.queues.len(), "every queue in some shard");
    assert!(seen.values().all(|n| *n == 1), "and in one only: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tight_rate_limit_is_learned_and_429s_are_counted() {
    use sim::SimExtras;
    let org = sim::org::Org::demo();
    let t = common::start_sim_extras(org, SimExtras { rate_limit: Some(40), faults: true, ..Default::default() }).await;
    let e = start(&t, "wallboard", settings(&t)).await;
    // The budget learns the limit from the headers and keeps under it: no 429 of qtop's making.
    let s = scrape_until(&e, "the learned limit and numbers", |s| {
        s.one("qtop_rate_budget_allowed", &[]) == Some(40.0) && !s.find("qtop_queue_waiting", &[]).is_empty()
    })
    .await;
    assert!(s.find("qtop_api_rate_limited_total", &[]).is_empty());
    // A limit the headers did not announce (another tool on the same token) does answer 429.
    let fault = json!({"fault": "rate-limit", "per_minute": 1});
    assert_eq!(common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    let s = scrape_until(&e, "a 429", |s| !s.find("qtop_api_rate_limited_total", &[]).is_empty()).await;
    let limited: f64 = s.find("qtop_api_rate_limited_total", &[]).iter().sum();
    let counted: f64 = s.find("qtop_api_requests_total", &[("status", "429")]).iter().sum();
    assert!(limited >= 1.0 && limited == counted, "{limited} vs {counted}");
    e.stop().await;
}

/// The streamed series after many events (each carrying only some metrics, counts sometimes
/// as floats): every queue still has every number, and it is the sim's own answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_exporter_says_so_and_serves_every_queue() {
    let t = start_sim().await;
    // The org's clock runs ten times faster than real time while events flow.
    let clock = t.clock.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            clock.advance(jiff::SignedDuration::from_secs(1));
        }
    });
    let e = start(&t, "wallboard", Settings { source: SourceMode::Stream, ..settings(&t) }).await;
    let queues = t.org.queues.len();
    let s = scrape_until(&e, "streamed numbers for every queue", |s| {
        s.one("qtop_source", &[("mode", "stream")]) == Some(1.0) && s.find("qtop_queue_waiting", &[]).len() == queues
    })
    .await;
    assert!(s.find("qtop_source", &[("mode", "poll")]).is_empty(), "one mode at a time");
    tokio::time::sleep(Duration::from_secs(8)).await;
    ticker.abort();
    // The sim's clock stands still now: the last events arrive, then the series hold still.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let (_, s) = scrape(&e).await;

    let direct = t.session("wallboard");
    let (all, _) = queries::list_queues(&direct).await.unwrap();
    let ids: Vec<String> = all.iter().map(|q| q.id.clone()).collect();
    let numbers = queries::parse_observations(&queries::observe(&direct, &ids).await.unwrap().0);
    let mut busy = 0;
    for q in &all {
        let l = [("queue_id", q.id.as_str()), ("queue_name", q.name.as_str()), ("media_type", "all")];
        let n = &numbers[&q.id];
        let as_f = |v: Option<u32>| v.map(f64::from);
        assert_eq!(s.one("qtop_queue_waiting", &l), as_f(n.waiting), "{} waiting", q.name);
        assert_eq!(s.one("qtop_queue_interacting", &l), as_f(n.interacting), "{} interacting", q.name);
        assert_eq!(s.one("qtop_queue_alerting", &l), as_f(n.alerting), "{} alerting", q.name);
        for (status, want) in [
            ("idle", n.idle),
            ("on_queue", n.on_queue),
            ("off_queue", n.off_queue),
            ("not_responding", n.not_responding),
        ] {
            let labels = [l[0], l[1], l[2], ("status", status)];
            assert_eq!(s.one("qtop_queue_agents", &labels), as_f(want), "{} {status}", q.name);
            assert!(want.is_some(), "{} {status}: the sim reports it", q.name);
        }
        // The sim's clock stands still but real time does not: a longest wait reported a
        // moment ago has grown by that moment.
        let want = n.longest_waiting_ms.map(|ms| if n.waiting == Some(0) { 0.0 } else { ms as f64 / 1000.0 });
        let got = s.one("qtop_queue_longest_wait_seconds", &l);
        assert!(
            matches!((got, want), (Some(g), Some(w)) if g >= w && g <= w + 5.0),
            "{} longest: {got:?}, sim says {want:?}",
            q.name
        );
        busy += usize::from(n.waiting.unwrap_or(0) > 0);
    }
    assert!(busy > 0, "someone waits somewhere: the comparison is not all zeros");
    let channel = [("endpoint", "/api/v2/notifications/channels"), ("method", "POST"), ("status", "200")];
    assert_eq!(s.one("qtop_api_requests_total", &channel), Some(1.0), "one channel carries the demo org");
    e.stop().await;
}
