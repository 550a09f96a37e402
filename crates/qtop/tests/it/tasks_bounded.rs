//! A wall runs for weeks: every refresh must leave nothing behind. The monitor polls every
//! 50 ms through good times and failures; the number of live tasks in the runtime stays flat,
//! and the app's own records stay bounded.

use crate::common;

use std::time::Duration;

use common::start_sim_extras;
use common::watch::{self, Watch};
use qtop::app::{ERROR_LOG_CAP, Health};
use serde_json::json;
use sim::SimExtras;
use sim::org::Org;

fn alive() -> usize {
    tokio::runtime::Handle::current().metrics().num_alive_tasks()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_task_is_left_behind_per_refresh() {
    let t =
        start_sim_extras(Org::demo(), SimExtras { faults: true, rate_limit: Some(60_000), ..Default::default() }).await;
    let mut tuning = watch::tuning();
    tuning.relist_every = Duration::from_millis(500);
    let mut w = Watch::start(t.session("wallboard"), t.org.timezone.clone(), Duration::from_millis(50), tuning);
    assert!(w.until(Duration::from_secs(10), |a| a.health() == Health::Live).await);
    w.run_for(Duration::from_secs(1)).await;
    let settled = alive();
    let mut peak = settled;
    for round in 0..6 {
        // Alternate good service with failures (each fails a request differently).
        let fault = match round % 3 {
            0 => json!({"fault": "errors", "status": 503, "for": "400ms"}),
            1 => json!({"fault": "reset", "for": "400ms"}),
            _ => json!({"fault": "truncate", "for": "400ms"}),
        };
        let resp = common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap();
        assert_eq!(resp.status(), 201);
        for _ in 0..10 {
            w.run_for(Duration::from_millis(100)).await;
            peak = peak.max(alive());
        }
        assert!(w.until(Duration::from_secs(10), |a| a.health() == Health::Live).await, "{:?}", w.app.health());
    }
    w.run_for(Duration::from_secs(1)).await;
    let end = alive();
    let polls = w.app.skipped_ticks;
    eprintln!("tasks alive: {settled} settled, {peak} peak, {end} at the end");
    // A handful of requests may be in flight at any moment; a leak would add one per refresh
    // (over a hundred here).
    assert!(end <= settled + 6, "tasks: {settled} settled, {end} at the end (peak {peak}), {polls} skipped rounds");
    assert!(peak <= settled + 12, "tasks: {settled} settled, peak {peak}");
    assert!(w.app.errors.len() <= ERROR_LOG_CAP);
    assert!(w.app.retries.len() <= 3, "one retry per poller at most: {:?}", w.app.retries);
    let task = w.task.abort_handle();
    w.stop().await;
    assert!(task.is_finished(), "the monitor ends on Quit");
}
