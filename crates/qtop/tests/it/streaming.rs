//! Live numbers through the Notifications API, against the simulator over real HTTP and
//! WebSocket: auto mode on a 1 000-queue org, a dropped socket, channel rollover, refused
//! topics, and poll mode left as it was. The simulator sends events as a real org does (each
//! message with only some metrics, counts sometimes as floats), so every test here also
//! checks that qtop folds them right.

use crate::common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::watch::{Watch, tuning};
use common::{TestSim, start_sim_extras};
use futures::{SinkExt, StreamExt};
use genesys::queries::{self, QueueNumbers};
use jiff::Timestamp;
use qtop::app::App;
use qtop::config::SourceMode;
use qtop::event::LiveSource;
use qtop::monitor::Tuning;
use serde_json::{Value, json};
use sim::SimExtras;
use sim::faults::{FaultKind, FaultSpec};
use sim::notifications::Timing;
use sim::org::Org;
use tokio_tungstenite::tungstenite::Message;

const LARGE: &str = include_str!("../../../sim/orgs/large.toml");
const WAIT: Duration = Duration::from_secs(20);

/// The org clock moves with real time, so the engine changes and events flow.
fn tick_clock(t: &TestSim) -> tokio::task::JoinHandle<()> {
    tick_clock_at(t, 1)
}

/// The org clock `speed` times faster than real time (more changes, more events).
fn tick_clock_at(t: &TestSim, speed: i64) -> tokio::task::JoinHandle<()> {
    let clock = t.clock.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            clock.advance(jiff::SignedDuration::from_millis(100 * speed));
        }
    })
}

/// Every live column has a number.
fn whole(n: &QueueNumbers) -> bool {
    let QueueNumbers {
        waiting,
        longest_waiting_ms,
        interacting,
        alerting,
        on_queue,
        idle,
        off_queue,
        not_responding,
        active,
        members,
    } = n;
    [waiting, interacting, alerting, on_queue, idle, off_queue, not_responding, active, members]
        .iter()
        .all(|c| c.is_some())
        && longest_waiting_ms.is_some()
}

/// After every event the app takes in, no row that had all its numbers has lost one: the
/// descriptions of any that did.
fn never_blanked(w: &mut Watch) -> Arc<Mutex<Vec<String>>> {
    let lost = Arc::new(Mutex::new(vec![]));
    let seen_whole: Mutex<std::collections::HashSet<String>> = Default::default();
    let l = lost.clone();
    w.after_each = Some(Box::new(move |a: &App| {
        let mut seen = seen_whole.lock().unwrap();
        for r in &a.queues {
            let is_whole = r.numbers.as_ref().is_some_and(whole);
            if is_whole {
                seen.insert(r.info.id.clone());
            } else if seen.remove(&r.info.id) {
                // Once per row: the first loss says it.
                l.lock().unwrap().push(format!("{} ({:?}): {:?}", r.info.name, a.live_source, r.numbers));
            }
        }
    }));
    lost
}

/// A direct observations query to the sim, as another program would ask it.
async fn direct(t: &TestSim, ids: &[String]) -> genesys::queries::QueueNumbersById {
    let s = t.session("wallboard");
    queries::parse_observations(&queries::observe(&s, ids).await.unwrap().0)
}

/// The app's rows against a direct query to the (frozen) sim: the differences. The longest
/// wait may have grown by the real time since it was reported (the sim's clock stands still).
async fn differences(t: &TestSim, a: &App) -> Vec<String> {
    let ids: Vec<String> = a.queues.iter().map(|r| r.info.id.clone()).collect();
    let truth = direct(t, &ids).await;
    let mut out = vec![];
    for r in &a.queues {
        let want = truth.get(&r.info.id).cloned().unwrap_or_default();
        let Some(got) = r.numbers.clone() else {
            out.push(format!("{}: no numbers", r.info.name));
            continue;
        };
        let grew = got.longest_waiting_ms.zip(want.longest_waiting_ms).map(|(g, w)| g >= w && g <= w + 5_000);
        let same = QueueNumbers { longest_waiting_ms: want.longest_waiting_ms, ..got.clone() } == want;
        if !same || grew == Some(false) || !whole(&got) {
            out.push(format!("{}: shown {got:?}, sim says {want:?}", r.info.name));
        }
    }
    out
}

fn watch(t: &TestSim, persona: &str, source: SourceMode) -> Watch {
    watch_tuned(t, persona, source, tuning())
}

fn watch_tuned(t: &TestSim, persona: &str, source: SourceMode, tuning: Tuning) -> Watch {
    let tz = t.org.timezone.clone();
    Watch::start_source(t.session(persona), tz, Duration::from_secs(1), Duration::from_secs(30), tuning, source)
}

fn with_numbers(a: &App) -> usize {
    a.queues.iter().filter(|r| r.numbers.is_some()).count()
}

fn streaming(a: &App) -> bool {
    a.live_source == Some(LiveSource::Stream)
}

async fn sim_with(org: Org, timing: Option<Timing>) -> TestSim {
    start_sim_extras(org, SimExtras { faults: true, notifications: timing, ..Default::default() }).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_streams_a_thousand_queues_within_the_budget() {
    // The large org with fewer agents: the test is about queue count, not engine load.
    let org = Org::from_toml(&LARGE.replace("agents = 10000", "agents = 2000")).unwrap();
    let t = sim_with(org, None).await;
    let ticker = tick_clock(&t);
    // The queue list at its usual pace: ten pages a second would swamp the count.
    let tuning = Tuning { relist_every: Duration::from_secs(300), ..tuning() };
    let mut w = watch_tuned(&t, "wallboard", SourceMode::Auto, tuning);
    assert!(
        w.until(Duration::from_secs(60), |a| a.queues.len() == 1000 && with_numbers(a) == 1000 && streaming(a)).await,
        "queues {} with numbers {} source {:?}",
        w.app.queues.len(),
        with_numbers(&w.app),
        w.app.live_source
    );
    // Numbers keep coming from the stream, and the minute's requests stay inside the budget
    // (polling 1 000 queues every second would be 600 a minute).
    let before = w.app.last_update;
    let batches = w.observation_events;
    w.run_for(Duration::from_secs(4)).await;
    assert!(w.app.last_update > before, "events keep updating the table");
    // Thousands of events a second from the socket reach the app as one batch a second.
    let batches = w.observation_events - batches;
    assert!((2..=6).contains(&batches), "{batches} batches of numbers in 4 s");
    let budget = w.app.budget.expect("budget reported");
    println!("requests in the last minute while streaming 1 000 queues: {}/{}", budget.used, budget.allowed);
    assert!(budget.used <= budget.allowed, "{} requests in the last minute, allowed {}", budget.used, budget.allowed);
    assert!(budget.used < 60, "streaming needs a few dozen requests, not hundreds: {}", budget.used);
    assert_eq!(t.sim.shared.notifications.channels_opened(), 1, "1 000 topics fit one channel");
    ticker.abort();
    w.stop().await;
}

/// Events carry only some metrics each (instantaneous and interval messages apart, counts
/// sometimes floats): after many of them every column still has its number, and it is the
/// number a direct query gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_many_events_every_column_still_matches_a_direct_query() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock_at(&t, 10);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    let lost = never_blanked(&mut w);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) == a.queues.len() && !a.queues.is_empty()).await);
    // A minute and a half of the org's time: every queue's numbers change, many times.
    w.run_for(Duration::from_secs(9)).await;
    ticker.abort();
    // The sim's clock stands still now: let the last events arrive, then compare.
    w.run_for(Duration::from_millis(2500)).await;
    let diff = differences(&t, &w.app).await;
    assert!(diff.is_empty(), "{} of {} rows differ:\n{}", diff.len(), w.app.queues.len(), diff.join("\n"));
    assert!(lost.lock().unwrap().is_empty(), "rows lost numbers: {:?}", lost.lock().unwrap());
    assert!(w.app.queues.iter().any(|r| r.numbers.as_ref().is_some_and(|n| n.waiting > Some(0))), "traffic to compare");
    w.stop().await;
}

/// Switching from polling to streaming (the budget shrinks, so `auto` streams) must not blank
/// the table: a batch from the stream names only queues it has a whole picture of, so no row
/// loses a number at any event the app takes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_from_polling_to_streaming_never_blanks_a_row() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Auto);
    assert!(
        w.until(WAIT, |a| a.live_source == Some(LiveSource::Poll)
            && !a.queues.is_empty()
            && with_numbers(a) == a.queues.len())
            .await
    );
    let lost = never_blanked(&mut w);
    // As in the issue: `qtop sim-fault rate-limit on per_minute=20`.
    let fault = json!({"fault": "rate-limit", "per_minute": 20});
    assert_eq!(common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    let switched = Timestamp::now();
    assert!(
        w.until(Duration::from_secs(40), |a| streaming(a)
            && a.queues.iter().all(|r| r.observed_at.is_some_and(|at| at > switched)))
            .await,
        "source {:?}",
        w.app.live_source
    );
    w.run_for(Duration::from_secs(3)).await;
    assert!(lost.lock().unwrap().is_empty(), "rows lost numbers across the switch: {:?}", lost.lock().unwrap());
    ticker.abort();
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_reconnects_resyncs_and_numbers_flow_again() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) == a.queues.len() && !a.queues.is_empty()).await);
    let opened = t.sim.shared.notifications.channels_opened();
    t.sim
        .shared
        .add_fault(FaultSpec { fault: Some(FaultKind::SocketDrop), ..Default::default() })
        .expect("socket-drop switches on");
    assert!(
        w.until(WAIT, |a| a.live_source == Some(LiveSource::StreamReconnecting)).await,
        "the header says the stream is reconnecting"
    );
    let dropped_at = Timestamp::now();
    let sockets = t.sim.shared.notifications.sockets_opened();
    assert!(w.until(WAIT, streaming).await, "reconnected");
    assert!(w.until(WAIT, |a| a.last_update.is_some_and(|u| u > dropped_at)).await, "numbers flow again");
    assert!(t.sim.shared.notifications.sockets_opened() > sockets, "a new socket after the drop");
    assert_eq!(t.sim.shared.notifications.channels_opened(), opened, "on the same channel: its subscriptions stay");
    ticker.abort();
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_lived_channel_rolls_over_without_a_gap() {
    let timing = Timing { heartbeat: Duration::from_secs(1), lifetime: Duration::from_secs(6) };
    let t = sim_with(Org::demo(), Some(timing)).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) > 0).await);
    let reconnecting = Arc::new(AtomicBool::new(false));
    let gaps = Arc::new(Mutex::new((Timestamp::now(), jiff::SignedDuration::ZERO)));
    let (r, g) = (reconnecting.clone(), gaps.clone());
    w.until(Duration::from_secs(14), move |a| {
        if a.live_source != Some(LiveSource::Stream) {
            r.store(true, Ordering::Relaxed);
        }
        let mut g = g.lock().unwrap();
        if let Some(u) = a.last_update
            && u > g.0
        {
            g.1 = g.1.max(u.duration_since(g.0));
            g.0 = u;
        }
        g.1 = g.1.max(Timestamp::now().duration_since(g.0));
        false
    })
    .await;
    let opened = t.sim.shared.notifications.channels_opened();
    assert!(opened >= 3, "two rollovers in 14 s of 6 s channels: {opened} channels opened");
    assert!(!reconnecting.load(Ordering::Relaxed), "a rollover is not a reconnect");
    let worst = gaps.lock().unwrap().1;
    assert!(worst < jiff::SignedDuration::from_millis(2500), "longest time without numbers: {worst:?}");
    assert!(t.sim.shared.notifications.channel_count() <= 2, "old channels are dropped");
    ticker.abort();
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_topics_are_logged_with_the_missing_permission() {
    let t = sim_with(Org::demo(), None).await;
    let mut w = watch(&t, "no-observations", SourceMode::Stream);
    assert!(
        w.until(WAIT, |a| a.errors.iter().any(|e| e
            .diagnosis
            .missing
            .iter()
            .any(|m| m == "analytics:queueObservation:view")))
            .await,
        "no diagnosis naming the permission: {:?}",
        w.app.errors.iter().map(|e| e.diagnosis.summary.clone()).collect::<Vec<_>>()
    );
    // The topic's refusal, not whichever came first: this persona's totals are refused too
    // (analytics:conversationAggregate:view), and the two race to the log at start.
    let e = w
        .app
        .errors
        .iter()
        .find(|e| e.diagnosis.missing.iter().any(|m| m == "analytics:queueObservation:view"))
        .unwrap();
    assert!(e.diagnosis.fix.contains("analytics:queueObservation:view"), "{}", e.diagnosis.fix);
    // Refused topics carry nothing: no batch of (empty) numbers may pass for access restored.
    w.run_for(Duration::from_secs(3)).await;
    assert!(
        !w.app.errors.iter().any(|e| e.diagnosis.summary.starts_with("access restored")),
        "{:?}",
        w.app.errors.iter().map(|e| e.diagnosis.summary.clone()).collect::<Vec<_>>()
    );
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_mode_never_opens_a_channel() {
    let t = sim_with(Org::demo(), None).await;
    let mut w = watch(&t, "wallboard", SourceMode::Poll);
    assert!(w.until(WAIT, |a| !a.queues.is_empty() && with_numbers(a) == a.queues.len()).await);
    w.run_for(Duration::from_secs(2)).await;
    assert_eq!(w.app.live_source, Some(LiveSource::Poll));
    assert_eq!(t.sim.shared.notifications.channels_opened(), 0);
    w.stop().await;
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

/// Channel, subscription and event bodies carry exactly the documented fields.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_shapes_match_the_documentation() {
    let t = sim_with(Org::demo(), Some(Timing { heartbeat: Duration::from_millis(500), ..Default::default() })).await;
    let token = t.token("wallboard").await;
    let http = common::http();
    let channel: Value = http
        .post(t.url("/api/v2/notifications/channels"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&channel), ["connectUri", "expires", "id"]);
    let id = channel["id"].as_str().unwrap();
    let uri = channel["connectUri"].as_str().unwrap();
    assert!(uri.starts_with("ws://127.0.0.1:"), "{uri}");
    let expires: Timestamp = channel["expires"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.duration_since(common::T0.parse().unwrap()), jiff::SignedDuration::from_hours(24));

    let queue = &t.org.queues[0].id;
    let subs = t.url(&format!("/api/v2/notifications/channels/{id}/subscriptions"));
    let body = json!([{"id": format!("v2.analytics.queues.{queue}.observations")}]);
    let r: Value = http.put(&subs).bearer_auth(&token).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys(&r), ["entities"]);
    assert_eq!(keys(&r["entities"][0]), ["id", "selfUri"]);
    let r: Value = http
        .put(format!("{subs}?ignoreErrors=true"))
        .bearer_auth(&token)
        .json(&json!([{"id": format!("v2.analytics.queues.{queue}.observations")}, {"id": "v2.analytics.queues.nope.observations"}]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(keys(&r["entities"][0]), ["id", "selfUri", "state"]);
    assert_eq!(r["entities"][0]["state"], "Permitted");
    assert_eq!(keys(&r["entities"][1]), ["id", "missingPermissions", "rejectionReason", "selfUri", "state"]);
    assert_eq!(r["entities"][1]["state"], "Rejected");
    let listed: Value = http.get(&subs).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["entities"].as_array().unwrap().len(), 1, "the rejected topic is not subscribed");
    // Without ignoreErrors one refused topic fails the whole request.
    let refused = http
        .post(&subs)
        .bearer_auth(&token)
        .json(&json!([{"id": "v2.analytics.queues.nope.observations"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let err: Value = refused.json().await.unwrap();
    assert_eq!(err["code"], "missing.permissions");

    // Ten minutes into the half hour: the current bucket has interval metrics to send.
    t.clock.advance(jiff::SignedDuration::from_mins(10));
    let (mut ws, _) = tokio_tungstenite::connect_async(uri).await.unwrap();
    ws.send(Message::text(r#"{"message":"ping"}"#)).await.unwrap();
    let media = |v: &Value| v["eventBody"]["group"]["mediaType"].is_string();
    let zero_width = |v: &Value| {
        let (from, to) = v["eventBody"]["data"][0]["interval"].as_str().unwrap().split_once('/').unwrap();
        from == to
    };
    let (mut live, mut bucket, mut heartbeat, mut pong) = (None, None, None, None);
    while live.is_none() || bucket.is_none() || heartbeat.is_none() || pong.is_none() {
        let msg = tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap().unwrap().unwrap();
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        match v["eventBody"]["message"].as_str() {
            Some("WebSocket Heartbeat") => heartbeat = Some(v),
            Some("pong") => pong = Some(v),
            // A media group's messages (the users group has no interval metrics).
            _ if media(&v) && zero_width(&v) => live = Some(v),
            _ if media(&v) => bucket = Some(v),
            _ => {}
        }
    }
    assert_eq!(
        heartbeat.unwrap(),
        json!({"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}})
    );
    assert_eq!(pong.unwrap(), json!({"topicName":"channel.metadata","eventBody":{"message":"pong"}}));
    // Two messages, as a real org sends them: the instantaneous o-metrics (zero-width
    // interval), and the current half-hour bucket's interval metrics on their own.
    for event in [live.as_ref().unwrap(), bucket.as_ref().unwrap()] {
        assert_eq!(keys(event), ["eventBody", "topicName", "version"]);
        assert_eq!(event["version"], "2");
        assert_eq!(event["topicName"], format!("v2.analytics.queues.{queue}.observations"));
        assert_eq!(keys(&event["eventBody"]), ["data", "group"]);
        assert_eq!(event["eventBody"]["group"]["queueId"], queue.as_str());
        assert_eq!(event["eventBody"]["data"].as_array().unwrap().len(), 1, "one kind of metric per message: {event}");
        assert_eq!(keys(&event["eventBody"]["data"][0]), ["interval", "metrics"]);
    }
    let metric_keys = ["metric", "qualifier", "stats"];
    for m in live.as_ref().unwrap()["eventBody"]["data"][0]["metrics"].as_array().unwrap() {
        assert!(keys(m).iter().all(|k| metric_keys.contains(k)), "{m}");
        assert!(m["metric"].as_str().unwrap().starts_with('o'), "instantaneous metrics only: {m}");
    }
    // The current half-hour bucket: nOffered and oServiceLevel (ratio, numerator, denominator, target).
    let bucket = &bucket.as_ref().unwrap()["eventBody"]["data"][0];
    assert_eq!(bucket["interval"], "2026-11-25T10:30:00.000Z/2026-11-25T11:00:00.000Z");
    let names: Vec<&str> =
        bucket["metrics"].as_array().unwrap().iter().map(|m| m["metric"].as_str().unwrap()).collect();
    assert!(
        names.iter().all(|n| ["nOffered", "oServiceLevel"].contains(n)) && names.contains(&"nOffered"),
        "{names:?}"
    );
    for m in bucket["metrics"].as_array().unwrap() {
        assert!(keys(m).iter().all(|k| metric_keys.contains(k)), "{m}");
        if m["metric"] == "oServiceLevel" {
            assert_eq!(keys(&m["stats"]), ["denominator", "numerator", "ratio", "target"]);
        }
    }
}

/// After the first message (which carries everything), an instantaneous message carries only
/// the o-metrics that changed since the last one on that socket, and the bucket's message
/// comes only when the bucket changed; counts come as integers and as floats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_carry_only_what_changed_with_counts_as_integers_or_floats() {
    let t = sim_with(Org::demo(), None).await;
    let token = t.token("wallboard").await;
    let http = common::http();
    let channel: Value = http
        .post(t.url("/api/v2/notifications/channels"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let subs = t.url(&format!("/api/v2/notifications/channels/{}/subscriptions", channel["id"].as_str().unwrap()));
    let topics: Vec<Value> =
        t.org.queues.iter().map(|q| json!({"id": format!("v2.analytics.queues.{}.observations", q.id)})).collect();
    assert_eq!(http.put(&subs).bearer_auth(&token).json(&topics).send().await.unwrap().status(), 200);
    let ticker = tick_clock(&t);
    let (mut ws, _) = tokio_tungstenite::connect_async(channel["connectUri"].as_str().unwrap()).await.unwrap();
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let (mut partial, mut full_repeat, mut floats, mut ints, mut live, mut buckets) = (0, 0, 0, 0, 0, 0);
    let end = tokio::time::Instant::now() + Duration::from_secs(6);
    while let Ok(Some(Ok(msg))) = tokio::time::timeout_at(end, ws.next()).await {
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(text.as_str()).unwrap();
        let Some(data) = v["eventBody"]["data"].as_array() else { continue };
        assert_eq!(data.len(), 1, "{v}");
        let (from, to) = data[0]["interval"].as_str().unwrap().split_once('/').unwrap();
        let group = v["eventBody"]["group"].to_string();
        let metrics = data[0]["metrics"].as_array().unwrap();
        assert!(!metrics.is_empty(), "no empty messages: {v}");
        for m in metrics {
            let count = &m["stats"]["count"];
            if count.is_f64() {
                floats += 1;
            } else if count.is_u64() {
                ints += 1;
            }
        }
        if from != to {
            buckets += 1;
            continue;
        }
        live += 1;
        match seen.get(&group) {
            // Not the group's first message on this socket: a change, not a full picture.
            Some(all) if metrics.len() < *all => partial += 1,
            Some(_) => full_repeat += 1,
            None => {
                let all = if v["eventBody"]["group"]["mediaType"].is_string() { 5 } else { 12 };
                assert_eq!(metrics.len(), all, "the first message carries the whole group: {v}");
                seen.insert(group, all);
            }
        }
    }
    ticker.abort();
    println!(
        "{live} instantaneous, {buckets} bucket messages; {partial} partial, {full_repeat} whole; {ints} integer and {floats} float counts"
    );
    assert!(partial > 0 && partial > full_repeat, "changes come alone: {partial} partial, {full_repeat} whole");
    assert!(floats > 0 && ints > 0, "{ints} integer and {floats} float counts");
    // Bucket metrics change with arrivals, not every second for every group.
    assert!(buckets < live, "{buckets} bucket messages for {live} instantaneous ones");
}

/// With scope enforcement on, a user token needs the `notifications` scope to open a channel
/// and to subscribe; client credentials are not limited by scopes.
#[tokio::test]
async fn channels_need_the_notifications_scope_when_scopes_are_enforced() {
    let mut org = Org::demo();
    org.enforce_scopes = true;
    let t = sim_with(org, None).await;
    let Some(sim::org::Persona::User(user)) = t.org.persona("supervisor") else { panic!("supervisor is a user") };
    let client = t.org.users[user].client.unwrap();
    let issue = |scopes: &[&str]| {
        let subject = sim::authz::Subject::User { user, client };
        let scopes = scopes.iter().map(std::string::ToString::to_string).collect();
        t.sim.shared.tokens.lock().unwrap().issue(subject, scopes, Duration::from_secs(600))
    };
    let http = common::http();
    let open = |token: String| {
        let req = http.post(t.url("/api/v2/notifications/channels")).bearer_auth(token);
        async move { req.send().await.unwrap() }
    };
    let refused = open(issue(&["analytics"])).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "not.authorized");
    assert_eq!(open(issue(&["analytics", "notifications"])).await.status(), 200);
    assert_eq!(open(t.token("wallboard").await).await.status(), 200, "client credentials: scopes do not apply");
}

/// 20 channels per user and app: a 21st removes the one used longest ago, channels without a
/// connected socket first, and closes the removed channel's socket (documented; what happens
/// to that socket is UNCONFIRMED). 1 000 topics per channel (error body UNCONFIRMED).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_21st_channel_removes_the_least_recently_used_and_topics_are_limited() {
    let org =
        Org::from_toml(&LARGE.replace("queues = 1000", "queues = 1001").replace("agents = 10000", "agents = 1000"))
            .unwrap();
    let t = sim_with(org, None).await;
    let token = t.token("wallboard").await;
    let http = common::http();
    let open = || async {
        let r = http.post(t.url("/api/v2/notifications/channels")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "no 'limit reached' error");
        let v: Value = r.json().await.unwrap();
        (v["id"].as_str().unwrap().to_string(), v["connectUri"].as_str().unwrap().to_string())
    };
    let subs = |id: &str| t.url(&format!("/api/v2/notifications/channels/{id}/subscriptions"));
    let alive = |id: String| {
        let req = http.get(subs(&id)).bearer_auth(&token);
        async move { req.send().await.unwrap().status() == 200 }
    };
    // Asking the API would count as using the channel.
    let exists = |id: &str| t.sim.shared.notifications.channel_exists(id);
    let mut channels = vec![];
    for _ in 0..20 {
        channels.push(open().await);
    }
    // The oldest channel has a socket; the second oldest is idle.
    let (mut oldest_socket, _) = tokio_tungstenite::connect_async(&channels[0].1).await.unwrap();
    open().await;
    assert!(exists(&channels[0].0), "a channel with a socket goes last");
    assert!(!alive(channels[1].0.clone()).await, "the least recently used idle channel went");
    assert_eq!(t.sim.shared.notifications.channel_count(), 20);
    // Using a channel (listing its topics) makes it recent: the next oldest idle one goes.
    assert!(alive(channels[2].0.clone()).await);
    open().await;
    assert!(alive(channels[2].0.clone()).await, "used a moment ago");
    assert!(!alive(channels[3].0.clone()).await);
    // With every channel connected, the least recently used connected one goes, and its
    // socket is closed.
    let mut sockets = vec![];
    for (id, uri) in &channels[4..] {
        if alive(id.clone()).await {
            sockets.push(tokio_tungstenite::connect_async(uri).await.unwrap().0);
        }
    }
    // Three idle channels are left (two opened above, and channels[2]): they go first.
    let mut busy = vec![];
    for _ in 0..3 {
        let (_, uri) = open().await;
        busy.push(tokio_tungstenite::connect_async(&uri).await.unwrap().0);
        assert!(exists(&channels[0].0), "idle channels go before connected ones");
    }
    open().await;
    assert_eq!(t.sim.shared.notifications.channel_count(), 20);
    assert_eq!(t.sim.shared.notifications.channels_evicted(), 6);
    assert!(!exists(&channels[0].0), "all connected: the least recently used went");
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(5), oldest_socket.next()).await.expect("closed in time") {
            Some(Ok(Message::Close(_)) | Err(_)) | None => break true,
            Some(Ok(_)) => {}
        }
    };
    assert!(closed, "a removed channel's socket is closed");
    assert!(
        tokio_tungstenite::connect_async(&channels[0].1).await.is_err(),
        "a removed channel's connectUri refuses a socket"
    );

    let topics: Vec<Value> =
        t.org.queues.iter().map(|q| json!({"id": format!("v2.analytics.queues.{}.observations", q.id)})).collect();
    assert_eq!(topics.len(), 1001);
    let (id, _) = open().await;
    let r = http.put(subs(&id)).bearer_auth(&token).json(&topics).send().await.unwrap();
    assert_eq!(r.status(), 400, "1 001 topics");
    let r = http.put(subs(&id)).bearer_auth(&token).json(&topics[..1000]).send().await.unwrap();
    assert_eq!(r.status(), 200, "1 000 topics fit");
    let r = http.post(subs(&id)).bearer_auth(&token).json(&topics[1000..]).send().await.unwrap();
    assert_eq!(r.status(), 400, "adding the 1 001st");
}

/// A socket that goes quiet for longer than the heartbeat watch allows is taken for dead and
/// replaced; one that keeps its heartbeat is left alone, however quiet the queues are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_socket_is_replaced_and_a_heartbeat_keeps_it() {
    let mut tuning = tuning();
    tuning.stream.heartbeat_timeout = Duration::from_millis(600);
    // The org clock stands still: after the first events nothing changes, only heartbeats speak.
    for (heartbeat, quiet) in [(Duration::from_millis(200), false), (Duration::from_secs(30), true)] {
        let t = sim_with(Org::demo(), Some(Timing { heartbeat, ..Default::default() })).await;
        let mut w = watch_tuned(&t, "wallboard", SourceMode::Stream, tuning.clone());
        assert!(w.until(WAIT, streaming).await);
        w.run_for(Duration::from_secs(3)).await;
        let sockets = t.sim.shared.notifications.sockets_opened();
        if quiet {
            assert!(sockets >= 2, "no heartbeat for 600 ms: the socket is replaced ({sockets} sockets)");
        } else {
            assert_eq!(sockets, 1, "heartbeats every 200 ms keep the socket");
        }
        assert_eq!(t.sim.shared.notifications.channels_opened(), 1, "a new socket, on the same channel");
        w.stop().await;
    }
}

/// `auto` must not leave the table empty when the API will not stream: the channel request
/// keeps failing, so qtop polls within the budget instead, and the refusal is in the error log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_polls_when_the_api_refuses_a_channel() {
    let mut org = Org::demo();
    // A tight budget: polling every second would not fit, so auto wants to stream.
    org.rate_limit_per_minute = 20;
    let t = sim_with(org, None).await;
    let fault = json!({"fault": "errors", "status": 503, "path": "/api/v2/notifications/channels"});
    t.sim.shared.add_fault(sim::faults::FaultSpec::from_json(&fault).unwrap()).expect("fault on");
    let mut tuning = tuning();
    tuning.stream.backoff_base = Duration::from_millis(100);
    let mut w = watch_tuned(&t, "wallboard", SourceMode::Auto, tuning);
    let visible = t.org.queues.len();
    assert!(
        w.until(WAIT, |a| refused_channel(a) && a.live_source == Some(LiveSource::Poll) && with_numbers(a) == visible)
            .await,
        "source {:?}, {} of {visible} queues with numbers, errors {:?}",
        w.app.live_source,
        with_numbers(&w.app),
        w.app.errors.iter().map(|e| e.diagnosis.summary.clone()).collect::<Vec<_>>()
    );
    assert_eq!(t.sim.shared.notifications.channels_opened(), 0);
}

fn refused_channel(a: &App) -> bool {
    a.errors
        .iter()
        .any(|e| e.status() == Some(503) && e.error.as_ref().is_some_and(|x| x.request.path.ends_with("/channels")))
}

/// `v2.system.socket_closing` (before maintenance): qtop reconnects at once, to the same
/// channel, without waiting for the socket to close or the heartbeat watch to fire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_closing_reconnects_at_once_on_the_same_channel() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) == a.queues.len() && !a.queues.is_empty()).await);
    let n = &t.sim.shared.notifications;
    let (sockets, channels) = (n.sockets_opened(), n.channels_opened());
    // Through the admin endpoint, as `qtop sim-fault socket-closing` sends it.
    let fault = json!({"fault": "socket-closing"});
    assert_eq!(common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    let told = Timestamp::now();
    // The sim closes a told socket only 10 s later, and the heartbeat watch waits 65 s.
    assert!(
        w.until(Duration::from_secs(3), |_| n.sockets_opened() > sockets).await,
        "no new socket within 3 s of socket_closing"
    );
    assert_eq!(n.channels_opened(), channels, "the same channel");
    assert!(w.until(WAIT, |a| streaming(a) && a.last_update.is_some_and(|u| u > told)).await, "numbers flow again");
    ticker.abort();
    w.stop().await;
}

/// A service that says socket_closing on every new socket (a long maintenance) is not
/// hammered: only the first reconnect is at once, the next ones back off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_closing_on_every_socket_backs_off() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) == a.queues.len() && !a.queues.is_empty()).await);
    let n = &t.sim.shared.notifications;
    let sockets = n.sockets_opened();
    let fault = json!({"fault": "socket-closing", "for": "3s"});
    assert_eq!(common::http().post(t.url("/sim/faults")).json(&fault).send().await.unwrap().status(), 201);
    w.run_for(Duration::from_millis(2500)).await;
    let tries = n.sockets_opened() - sockets;
    assert!((1..=5).contains(&tries), "{tries} sockets in 2.5 s of socket_closing on each");
    let after = Timestamp::now();
    assert!(w.until(WAIT, |a| streaming(a) && a.last_update.is_some_and(|u| u > after)).await, "streams again");
    ticker.abort();
    w.stop().await;
}

/// A channel removed by someone else's 21st (its socket closed, its connectUri refused) is
/// noticed: qtop opens a new channel, subscribes it and streams again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicted_channel_is_replaced() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let mut w = watch(&t, "wallboard", SourceMode::Stream);
    assert!(w.until(WAIT, |a| streaming(a) && with_numbers(a) == a.queues.len() && !a.queues.is_empty()).await);
    // Another tool on the same client opens 19 channels and connects to each: all 20 are
    // connected, and its next one removes qtop's, the least recently used.
    let token = t.token("wallboard").await;
    let mut sockets = vec![];
    for _ in 0..20 {
        let r = common::http().post(t.url("/api/v2/notifications/channels")).bearer_auth(&token).send().await.unwrap();
        let uri = r.json::<Value>().await.unwrap()["connectUri"].as_str().unwrap().to_string();
        sockets.push(tokio_tungstenite::connect_async(uri).await.unwrap().0);
    }
    let n = &t.sim.shared.notifications;
    assert_eq!(n.channels_evicted(), 1);
    let evicted = Timestamp::now();
    assert!(
        w.until(WAIT, |a| streaming(a) && a.last_update.is_some_and(|u| u > evicted) && n.channels_opened() == 22)
            .await,
        "source {:?}, {} channels opened",
        w.app.live_source,
        n.channels_opened()
    );
    w.run_for(Duration::from_secs(2)).await;
    assert_eq!(n.channels_opened(), 22, "one new channel, not one per try");
    ticker.abort();
    w.stop().await;
}

/// Two qtop monitors on one OAuth client (a wall and an exporter): side by side through
/// socket drops, neither evicts the other into a loop. Another tool holds 17 of the client's
/// 20 channels, so every channel opened beyond the three spare removes one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_monitors_on_one_client_do_not_evict_each_other() {
    let t = sim_with(Org::demo(), None).await;
    let ticker = tick_clock(&t);
    let token = t.token("wallboard").await;
    for _ in 0..17 {
        let r = common::http().post(t.url("/api/v2/notifications/channels")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let mut tuning = tuning();
    tuning.stream.backoff_base = Duration::from_millis(200);
    tuning.stream.backoff_cap = Duration::from_secs(2);
    let mut wall = watch_tuned(&t, "wallboard", SourceMode::Stream, tuning.clone());
    let mut exporter = watch_tuned(&t, "wallboard", SourceMode::Stream, tuning);
    let live = |a: &App| streaming(a) && !a.queues.is_empty() && with_numbers(a) == a.queues.len();
    assert!(wall.until(WAIT, live).await && exporter.until(WAIT, live).await);
    let n = &t.sim.shared.notifications;
    let opened = n.channels_opened();
    assert_eq!(opened, 19, "one channel each");
    for round in 0..6 {
        n.drop_sockets();
        let dropped = Timestamp::now();
        for w in [&mut wall, &mut exporter] {
            assert!(
                w.until(WAIT, |a| live(a) && a.last_update.is_some_and(|u| u > dropped)).await,
                "round {round}: source {:?}",
                w.app.live_source
            );
        }
        // Side by side for a while: both keep their numbers fresh.
        for _ in 0..4 {
            wall.run_for(Duration::from_millis(250)).await;
            exporter.run_for(Duration::from_millis(250)).await;
        }
    }
    for w in [&wall, &exporter] {
        let age = w.app.last_update.map(|u| Timestamp::now().duration_since(u));
        assert!(live(&w.app) && age.is_some_and(|a| a < jiff::SignedDuration::from_secs(3)), "{age:?}");
    }
    // Six drops each: reconnects to the same channels, no channel per try.
    assert!(n.channels_opened() - opened <= 2, "{} channels opened for 12 reconnects", n.channels_opened() - opened);
    assert!(n.channels_evicted() <= 2, "{} channels evicted", n.channels_evicted());
    assert!(n.sockets_opened() >= 2 + 12, "{} sockets", n.sockets_opened());
    ticker.abort();
    wall.stop().await;
    exporter.stop().await;
}
