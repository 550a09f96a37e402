//! The soak: qtop's monitor and app watch a generated org of 240 queues on a fast simulated
//! clock while random faults come and go on a seeded schedule. It checks what a wall needs
//! for weeks: never more requests in any minute than the token may send (counted by the
//! server), no 429 except while the server's limit is lowered, no panic, memory that stays
//! put, and recovery — live, fresh numbers — after every fault, by itself. The short form
//! streams its live numbers (events as a real org sends them: each with only some metrics);
//! the long form lets `auto` choose, so the rate-limit faults switch it between polling and
//! streaming. At the end the clock stops and every row must show the sim's own answer.
//!
//! ```sh
//! cargo test --release -p qtop --test it -- --ignored --nocapture soak::soak_24_hours   # 24 simulated hours (~4 min)
//! cargo test -p qtop --test it -- --nocapture soak::soak_short                         # the short form CI runs
//! ```
//! The soak counts every panic of its process and watches its RSS, so each form runs in a
//! process of its own (the short form starts one; the long form is run alone by its filter).
//! `QTOP_SOAK_SECS` sets the real duration of the long form.

use crate::common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::watch::Watch;
use genesys::queries;
use jiff::Timestamp;
use qtop::app::{App, Health};
use qtop::config::SourceMode;
use qtop::monitor::Tuning;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use sim::clock::{ManualClock, today_at};
use sim::org::Org;
use sim::{self, SimExtras, SimHandle, SimOptions};

const LARGE: &str = include_str!("../../../sim/orgs/large.toml");
const QUEUES: usize = 240;
const REFRESH: Duration = Duration::from_secs(1);
const TOTALS: Duration = Duration::from_secs(10);

static PANICS: AtomicUsize = AtomicUsize::new(0);

struct Soak {
    simulated: Duration,
    real: Duration,
    seed: u64,
    /// The rate-limit fault needs up to two minutes to come and go; the short form leaves it
    /// to the fault matrix.
    rate_limit_fault: bool,
    quiet: (u64, u64),
    fault_for: (u64, u64),
    source: SourceMode,
}

#[derive(Debug, Default)]
struct Report {
    simulated_hours: f64,
    real_secs: f64,
    queues: usize,
    requests: u64,
    refused_429: u64,
    refused_429_outside_rate_limit: u64,
    max_per_minute: u32,
    max_per_minute_all: u32,
    faults: Vec<(String, f64)>,
    sign_ins: u32,
    /// Requests that waited in qtop's budget for room instead of going out.
    waited: u64,
    rss_kb: Vec<(&'static str, u64, u64)>,
    panics: usize,
    /// Batches of live numbers the app took in.
    batches: usize,
    /// Rows that lost a number they had, at any event the app took in.
    blanked: Vec<String>,
    /// Rows whose numbers differ from a direct query once the clock stood still.
    differ: Vec<String>,
}

/// `(VmRSS, VmHWM)` of this process in kB: the simulator and qtop together.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (kb("VmRSS:"), kb("VmHWM:"))
}

fn org() -> Org {
    let text = LARGE.replace("queues = 1000", &format!("queues = {QUEUES}")).replace("agents = 10000", "agents = 2400");
    let mut org = Org::from_toml(&text).expect("the generated org loads");
    // Short-lived tokens: client credentials are asked for again many times over the run.
    for c in &mut org.clients {
        c.token_lifetime_secs = 40;
    }
    org
}

async fn fault_on(sim: &SimHandle, body: &Value) {
    let url = format!("{}/sim/faults", sim.base_url());
    let resp = common::http().post(url).json(body).send().await.expect("the admin endpoint answers");
    assert_eq!(resp.status(), 201, "{body}");
}

/// Live, every row younger than three refreshes of the current plan, and (when asked) today's
/// totals back on every row.
fn recovered(a: &App, totals: bool) -> bool {
    a.health() == Health::Live
        && a.queues.len() == QUEUES
        && a.queues.iter().all(|r| r.age(a.now).is_some_and(|age| age <= a.stale_after()))
        && (!totals || a.queues.iter().all(|r| r.today.is_some()))
}

const KINDS: &[&str] = &[
    "latency",
    "errors",
    "unavailable",
    "reset",
    "truncate",
    "revoke",
    "role-removed",
    "permission-removed",
    "queue-moved",
    "clock-skew",
    "rate-limit",
    "socket-drop",
    "socket-closing",
];

/// Every kind once per round, in a seeded random order.
fn next_kind(rng: &mut StdRng, cfg: &Soak, round: &mut Vec<&'static str>) -> &'static str {
    if round.is_empty() {
        *round = KINDS.iter().copied().filter(|k| cfg.rate_limit_fault || *k != "rate-limit").collect();
        round.shuffle(rng);
    }
    round.pop().expect("refilled")
}

fn pick_fault(rng: &mut StdRng, kind: &str, secs: u64) -> (Value, Duration) {
    let for_ = format!("{secs}s");
    let mut v = match kind {
        "latency" => json!({"fault": kind, "ms": rng.random_range(300..2500), "jitter_ms": 300}),
        "errors" => {
            let status = [500, 502, 503, 504][rng.random_range(0..4)];
            json!({"fault": kind, "status": status})
        }
        "unavailable" => json!({"fault": kind, "retry_after": rng.random_range(1..6)}),
        "reset" | "truncate" => json!({"fault": kind, "probability": rng.random_range(0.3..1.0)}),
        "revoke" => json!({"fault": kind}),
        "role-removed" => json!({"fault": kind, "client": "wallboard", "role": "Queue Wallboard"}),
        "permission-removed" => json!({"fault": kind}),
        "queue-moved" => json!({"fault": kind}),
        "clock-skew" => json!({"fault": kind, "seconds": rng.random_range(-7200..7200)}),
        "rate-limit" => json!({"fault": kind, "per_minute": rng.random_range(60..150)}),
        "socket-drop" | "socket-closing" => json!({"fault": kind}),
        _ => unreachable!(),
    };
    // One-off kinds act once; a socket drop with `for` keeps closing new sockets.
    if !["revoke", "socket-closing"].contains(&kind) {
        v["for"] = json!(for_);
    }
    (v, Duration::from_secs(secs))
}

async fn soak(cfg: Soak) -> Report {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        previous(info);
    }));
    let org = org();
    assert!(org.queues.len() >= 200);
    let speed = cfg.simulated.as_secs_f64() / cfg.real.as_secs_f64();
    let start = today_at(&org.timezone, 0, 0);
    // The org's clock runs `speed` times real time until the end, when it stops so that what
    // qtop shows can be compared with what the sim answers.
    let clock = std::sync::Arc::new(ManualClock::new(start));
    let ticker = {
        let clock = clock.clone();
        tokio::spawn(async move {
            let step = Duration::from_millis(50);
            loop {
                tokio::time::sleep(step).await;
                clock.advance(jiff::SignedDuration::try_from(step.mul_f64(speed)).unwrap());
            }
        })
    };
    let opts = SimOptions { org: org.clone(), start: Some(start), speed, clock: Some(clock.clone()) };
    let extras = SimExtras { faults: true, ..Default::default() };
    let sim = sim::start_with(opts, extras, sim::loopback()).await.expect("sim starts");
    let t = common::TestSim { clock, sim, org: org.clone() };
    let tuning = Tuning { relist_every: Duration::from_secs(60), ..Tuning::default() };
    let session = t.session("wallboard");
    let mut w = Watch::start_source(session.clone(), org.timezone.clone(), REFRESH, TOTALS, tuning, cfg.source);
    let blanked = never_blanked(&mut w);
    assert!(w.until(Duration::from_secs(60), |a| recovered(a, true)).await, "never live: {:?}", w.app.health());

    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut report = Report { queues: org.queues.len(), ..Default::default() };
    let (rss, hwm) = memory();
    report.rss_kb.push(("start", rss, hwm));
    let began = Instant::now();
    let limiter = || t.sim.shared.limiter.lock().unwrap().stats();
    let mut middle = false;
    let mut round = vec![];
    while began.elapsed() < cfg.real {
        w.run_for(Duration::from_secs(rng.random_range(cfg.quiet.0..=cfg.quiet.1))).await;
        let before = limiter().refused;
        let secs = rng.random_range(cfg.fault_for.0..=cfg.fault_for.1);
        let kind = next_kind(&mut rng, &cfg, &mut round);
        let (fault, lasts) = pick_fault(&mut rng, kind, secs);
        let kind = fault["fault"].as_str().unwrap().to_string();
        fault_on(&t.sim, &fault).await;
        w.run_for(lasts + Duration::from_millis(200)).await;
        let off = Instant::now();
        // After a lowered limit the server's window and qtop's own minute must both drain.
        let bound = if kind == "rate-limit" { Duration::from_secs(180) } else { Duration::from_secs(60) };
        let totals = kind == "permission-removed";
        assert!(
            w.until(bound, |a| recovered(a, totals)).await,
            "no recovery within {bound:?} after {fault}: {:?}, {:?}",
            w.app.health(),
            w.app.errors.get(0).map(|e| &e.diagnosis.summary)
        );
        let refused = limiter().refused - before;
        if kind != "rate-limit" {
            report.refused_429_outside_rate_limit += refused;
        }
        report.faults.push((kind, off.elapsed().as_secs_f64()));
        if !middle && began.elapsed() >= cfg.real / 2 {
            middle = true;
            let (rss, hwm) = memory();
            report.rss_kb.push(("middle", rss, hwm));
        }
    }
    let (rss, hwm) = memory();
    report.rss_kb.push(("end", rss, hwm));
    assert!(!w.task.is_finished(), "the monitor is still running");
    // The clock stops: after the last events (or poll), every row shows the sim's answer.
    ticker.abort();
    assert!(
        w.until(Duration::from_secs(60), |a| recovered(a, false)).await,
        "not live at the end: {:?}",
        w.app.health()
    );
    w.run_for(Duration::from_secs(3)).await;
    report.differ = differences(&t, &w.app).await;
    report.blanked = blanked.lock().unwrap().clone();
    report.batches = w.observation_events;
    let stats = limiter();
    report.requests = stats.requests;
    report.refused_429 = stats.refused;
    report.max_per_minute = stats.max_per_minute;
    report.max_per_minute_all = stats.max_per_minute_all;
    report.sign_ins = w.app.auth.sign_ins;
    report.waited = session.budget().waited();
    report.real_secs = began.elapsed().as_secs_f64();
    let now: Timestamp = t.sim.shared.now();
    report.simulated_hours = now.duration_since(start).as_secs_f64() / 3600.0;
    report.panics = PANICS.load(Ordering::SeqCst);
    w.stop().await;
    print_report(&report);
    report
}

/// Rows that lose a number they had, checked at every event the app takes in. A fault that
/// takes the live numbers away (a role removed, a queue moved out of sight) does blank them:
/// that is the truth, so only a row that had its numbers and lost some of them while the
/// batch still named it counts.
fn never_blanked(w: &mut Watch) -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let lost = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let l = lost.clone();
    w.after_each = Some(Box::new(move |a: &App| {
        for r in &a.queues {
            if let Some(n) = &r.numbers {
                let known =
                    [n.waiting, n.interacting, n.alerting, n.on_queue, n.idle].iter().filter(|c| c.is_some()).count();
                if known > 0 && known < 5 {
                    let mut l = l.lock().unwrap();
                    let name = format!("{} ", r.info.name);
                    if l.len() < 20 && !l.iter().any(|x| x.starts_with(&name)) {
                        l.push(format!("{name}({:?}): {n:?}", a.live_source));
                    }
                }
            }
        }
    }));
    lost
}

/// The app's rows against a direct query to the stopped sim. The longest wait may have grown
/// by the real time since it was reported (the sim's clock stands still).
async fn differences(t: &common::TestSim, a: &App) -> Vec<String> {
    let ids: Vec<String> = a.queues.iter().map(|r| r.info.id.clone()).collect();
    let s = t.session("wallboard");
    let mut truth = queries::QueueNumbersById::new();
    for batch in ids.chunks(queries::OBSERVATION_BATCH) {
        truth.extend(queries::parse_observations(&queries::observe(&s, batch).await.unwrap().0));
    }
    let mut out = vec![];
    for r in &a.queues {
        let want = truth.get(&r.info.id).cloned().unwrap_or_default();
        let got = r.numbers.clone().unwrap_or_default();
        let grew = match (got.longest_waiting_ms, want.longest_waiting_ms) {
            (Some(g), Some(w)) => g >= w && g <= w + 10_000,
            (g, w) => g == w,
        };
        let same = queries::QueueNumbers { longest_waiting_ms: want.longest_waiting_ms, ..got.clone() } == want;
        if !same || !grew || got.waiting.is_none() || got.idle.is_none() || got.on_queue.is_none() {
            out.push(format!("{}: shown {got:?}, sim says {want:?}", r.info.name));
        }
    }
    out
}

fn print_report(r: &Report) {
    println!("soak: {:.1} simulated hours in {:.0} s, {} queues", r.simulated_hours, r.real_secs, r.queues);
    println!(
        "  requests {} (server's count); most in any sliding minute: {} for one token, {} for all of qtop's tokens (allowed 300 per token)",
        r.requests, r.max_per_minute, r.max_per_minute_all
    );
    println!("  429s: {} in all, {} outside rate-limit faults", r.refused_429, r.refused_429_outside_rate_limit);
    println!("  requests held back by qtop's budget until there was room: {}", r.waited);
    println!("  sign-ins {}; panics {}", r.sign_ins, r.panics);
    println!(
        "  batches of live numbers {}; rows blanked {}; rows unlike the sim's answer at the end {}",
        r.batches,
        r.blanked.len(),
        r.differ.len()
    );
    let mut kinds: Vec<&str> = r.faults.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    println!("  faults injected: {} ({} kinds)", r.faults.len(), kinds.len());
    for k in kinds {
        let times: Vec<f64> = r.faults.iter().filter(|(x, _)| x == k).map(|(_, s)| *s).collect();
        let worst = times.iter().copied().fold(0.0, f64::max);
        println!("    {k:<20} ×{:<3} recovered within {worst:.1} s (worst)", times.len());
    }
    for (when, rss, hwm) in &r.rss_kb {
        println!("  memory at {when:<6}: RSS {:.1} MB, peak RSS {:.1} MB", *rss as f64 / 1024.0, *hwm as f64 / 1024.0);
    }
}

fn check(r: &Report) {
    assert_eq!(r.panics, 0, "no panic");
    assert!(r.blanked.is_empty(), "rows lost numbers: {:?}", r.blanked);
    assert!(r.differ.is_empty(), "rows unlike the sim's answer:\n{}", r.differ.join("\n"));
    assert!(r.max_per_minute <= 300, "over budget: {} requests in a minute", r.max_per_minute);
    // qtop's budget outlives its tokens: even all of them together stay under one token's limit.
    assert!(r.max_per_minute_all <= 300, "over budget: {} requests in a minute", r.max_per_minute_all);
    assert_eq!(r.refused_429_outside_rate_limit, 0, "a 429 without a lowered limit");
    assert!(r.faults.len() >= 2, "faults were injected");
    // Memory stays put: the end is within a margin of the middle (the first minutes fill
    // caches, pools and the simulation's day).
    let middle = r.rss_kb.iter().find(|(w, ..)| *w == "middle").map(|(_, rss, _)| *rss);
    let end = r.rss_kb.iter().find(|(w, ..)| *w == "end").map(|(_, rss, _)| *rss).unwrap();
    if let Some(middle) = middle {
        assert!(end <= middle + middle / 2 + 16 * 1024, "RSS grew from {middle} kB to {end} kB");
    }
}

/// The panic hook and the RSS are the process's: run where no other test shares them.
#[test]
fn soak_short() {
    common::in_own_process("soak::soak_short_in_own_process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by soak_short in a process of its own"]
async fn soak_short_in_own_process() {
    let r = soak(Soak {
        simulated: Duration::from_secs(2 * 3600),
        real: Duration::from_secs(30),
        seed: 7,
        rate_limit_fault: false,
        quiet: (2, 4),
        fault_for: (1, 3),
        source: SourceMode::Stream,
    })
    .await;
    check(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "24 simulated hours; run alone in release: cargo test --release -p qtop --test it -- --ignored --nocapture soak::soak_24_hours"]
async fn soak_24_hours() {
    let real = std::env::var("QTOP_SOAK_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(240);
    let r = soak(Soak {
        simulated: Duration::from_secs(24 * 3600),
        real: Duration::from_secs(real),
        seed: 2026,
        rate_limit_fault: true,
        quiet: (3, 10),
        fault_for: (2, 8),
        source: SourceMode::Auto,
    })
    .await;
    check(&r);
}
