//! Scale: the large org (1 000 queues, 10 000 agents) starts in seconds and serves qtop's
//! requests fast. A measurement, not a pass/fail timing: run it in release and read the
//! report.
//!
//! ```sh
//! cargo test --release --test sim_scale -- --ignored --nocapture
//! ```

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use genesys::aggregates;
use genesys::queries;
use jiff::Timestamp;
use sim::SimExtras;
use sim::engine::Engine;
use sim::org::Org;

const LARGE: &str = include_str!("../../orgs/large.toml");
const MEDIUM: &str = include_str!("../../orgs/medium.toml");

/// scripts/bench-tty.sh measures qtop against this org: it must stay the size it says.
#[test]
fn medium_org_is_200_queues_and_2000_agents() {
    let org = Org::from_toml(MEDIUM).unwrap();
    assert_eq!(org.queues.len(), 200);
    assert_eq!(org.agents.len(), 2000);
    assert!(org.persona("wallboard").is_some(), "bench-tty.sh signs in as the wallboard client");
}

#[test]
#[ignore = "measurement; run in release with --ignored --nocapture"]
fn large_org_startup() {
    let started = Instant::now();
    let org = Org::from_toml(LARGE).unwrap();
    let built = started.elapsed();
    let noon = "2026-11-25T18:00:00Z".parse::<Timestamp>().unwrap(); // 12:00 in Chicago
    let started = Instant::now();
    let e = Engine::new(org.clone(), noon);
    let day = started.elapsed();
    let calls: usize = e.queues.iter().map(|q| q.waiting.len() + q.active.len()).sum();
    println!(
        "large org: {} queues, {} agents; org built in {:.2}s; midnight to noon simulated in {:.2}s ({} conversations in queues at noon)",
        org.queues.len(),
        org.agents.len(),
        built.as_secs_f64(),
        day.as_secs_f64(),
        calls
    );
}

/// Run `workers` loops of `f` for `secs`; returns requests per second.
async fn hammer<F, Fut>(workers: usize, secs: u64, f: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let f = Arc::new(f);
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = vec![];
    for _ in 0..workers {
        let (f, done, failed) = (f.clone(), done.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < until {
                if f().await {
                    done.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(failed.load(Ordering::Relaxed), 0, "requests failed under load");
    done.load(Ordering::Relaxed) as f64 / secs as f64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement; run in release with --ignored --nocapture"]
async fn large_org_throughput() {
    let org = Org::from_toml(LARGE).unwrap();
    let t = common::start_sim_extras(org, SimExtras { rate_limit: Some(1_000_000), ..Default::default() }).await;
    // Noon in Chicago: the first request runs the day from midnight, as a sim started at noon would.
    let noon: Timestamp = "2026-11-25T18:00:00Z".parse().unwrap();
    t.clock.set(noon);
    let session = t.session("wallboard");
    let started = Instant::now();
    let (queues, _) = queries::list_queues(&session).await.unwrap();
    println!("sign-in and routing/queues: {} queues in 10 pages in {:?}", queues.len(), started.elapsed());
    assert_eq!(queues.len(), 1000);
    let ids: Arc<Vec<Vec<String>>> =
        Arc::new(queues.chunks(100).map(|c| c.iter().map(|q| q.id.clone()).collect()).collect());
    let started = Instant::now();
    queries::observe(&session, &ids[0]).await.unwrap();
    println!("first observations request, running the day from 04:30 to noon first: {:?}", started.elapsed());
    // The simulated clock moves while we measure, as it would for a live monitor.
    let clock = t.clock.clone();
    let ticker = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            clock.advance(jiff::SignedDuration::from_millis(100));
        }
    });
    let secs = 5;
    let token = t.token("wallboard").await;
    let http = common::http();
    let obs_url = t.url("/api/v2/analytics/queues/observations/query");
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        ids.iter()
            .map(|b| serde_json::to_vec(&queries::observation_query(b.iter().map(String::as_str))).unwrap())
            .collect(),
    );
    // The simulator's own capacity: the load generator reads the bytes and does not parse them.
    for workers in [1, 4, 16] {
        let (http, url, token, bodies) = (http.clone(), obs_url.clone(), token.clone(), bodies.clone());
        let n = Arc::new(AtomicU64::new(0));
        let rps = hammer(workers, secs, move || {
            let (http, url, token, bodies, n) = (http.clone(), url.clone(), token.clone(), bodies.clone(), n.clone());
            async move {
                let body = bodies[n.fetch_add(1, Ordering::Relaxed) as usize % bodies.len()].clone();
                let resp = http
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match resp {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok_and(|b| b.len() > 1000),
                    _ => false,
                }
            }
        })
        .await;
        println!("observations/query, 100 queues each, {workers:>2} raw clients: {rps:>7.0} requests/s");
    }
    // Through qtop's own client, which parses every answer.
    for workers in [4] {
        let (s, ids) = (session.clone(), ids.clone());
        let n = Arc::new(AtomicU64::new(0));
        let rps = hammer(workers, secs, move || {
            let (s, ids, n) = (s.clone(), ids.clone(), n.clone());
            async move {
                let batch = &ids[n.fetch_add(1, Ordering::Relaxed) as usize % ids.len()];
                queries::observe(&s, batch).await.is_ok()
            }
        })
        .await;
        println!("observations/query via qtop's client (parsed), {workers:>2} clients: {rps:>7.0} requests/s");
    }
    let interval = aggregates::today_interval(noon, &t.org.timezone);
    for workers in [4] {
        let (s, ids, iv) = (session.clone(), ids.clone(), interval.clone());
        let n = Arc::new(AtomicU64::new(0));
        let rps = hammer(workers, secs, move || {
            let (s, ids, n, iv) = (s.clone(), ids.clone(), n.clone(), iv.clone());
            async move {
                let batch = &ids[n.fetch_add(1, Ordering::Relaxed) as usize % ids.len()];
                aggregates::today(&s, batch, iv).await.is_ok_and(|(t, _)| t.values().any(|n| n.offered > 0))
            }
        })
        .await;
        println!(
            "conversations/aggregates/query via qtop's client, 100 queues each, {workers:>2} clients: {rps:>7.0} requests/s"
        );
    }
    let url = t.url("/api/v2/routing/queues?pageSize=100&pageNumber=3");
    let rps = hammer(4, secs, move || {
        let (http, url, token) = (http.clone(), url.clone(), token.clone());
        async move { http.get(&url).bearer_auth(&token).send().await.is_ok_and(|r| r.status() == 200) }
    })
    .await;
    println!("routing/queues page of 100, 4 raw clients: {rps:.0} requests/s");
    ticker.abort();
}
