//! Queue detail end to end: a `FetchMembers` command to the monitor comes back as a
//! `Members` event with the simulator's routing statuses, and "for how long" is measured on
//! this machine's clock even though the simulator's clock is somewhere else entirely.

use crate::common;

use std::time::Duration;

use common::{TestSim, start_sim};
use jiff::Timestamp;
use qtop::event::{Command, Event, MonitorEvent};
use qtop::monitor::Monitor;
use tokio::sync::mpsc;

/// The wallboard's monitor, polling so seldom that only the commands sent to it happen.
fn quiet_monitor(t: &TestSim) -> (mpsc::Receiver<Event>, mpsc::Sender<Command>) {
    let (ev_tx, ev_rx) = mpsc::channel(256);
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let monitor = Monitor {
        source: qtop::config::SourceMode::Poll,
        session: t.session("wallboard"),
        refresh: Duration::from_secs(3600),
        totals_refresh: Duration::from_secs(3600),
        timezone: jiff::tz::TimeZone::UTC,
        selectors: vec![],
        events: ev_tx,
    };
    tokio::spawn(monitor.run(cmd_rx));
    (ev_rx, cmd_tx)
}

#[tokio::test]
async fn fetch_members_answers_with_statuses_on_our_clock() {
    let t = start_sim().await;
    let (mut ev_rx, cmd_tx) = quiet_monitor(&t);
    let q = &t.org.queues[0];
    cmd_tx.send(Command::FetchMembers(q.id.clone())).await.unwrap();

    let (queue_id, members) = loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), ev_rx.recv()).await.expect("an answer").unwrap();
        if let Event::Monitor(MonitorEvent::Members { queue_id, result, .. }) = ev {
            break (queue_id, result.expect("members load"));
        }
    };
    assert_eq!(queue_id, q.id);
    assert_eq!(members.len(), q.members.len());
    let sim_now = t.sim.shared.now();
    let local_now = Timestamp::now();
    t.sim.shared.with_engine(|e| {
        for m in &members {
            let idx = t.org.agents.iter().position(|a| a.id == m.id).unwrap();
            let agent = &e.agents[idx];
            assert_eq!(m.routing_status.as_deref(), Some(agent.status.as_str()), "{}", m.name);
            let sim_for = sim_now.as_millisecond() - agent.status_since;
            let local_for = local_now.duration_since(m.status_since.unwrap()).as_millis() as i64;
            assert!((sim_for - local_for).abs() < 3_000, "{}: {sim_for} ms in the sim, {local_for} ms here", m.name);
        }
    });
    cmd_tx.send(Command::Quit).await.unwrap();
}

#[tokio::test]
async fn a_refused_members_call_comes_back_as_an_error_for_the_log() {
    let t = start_sim().await;
    let (mut ev_rx, cmd_tx) = quiet_monitor(&t);
    cmd_tx.send(Command::FetchMembers("no-such-queue".into())).await.unwrap();
    let err = loop {
        let ev = tokio::time::timeout(Duration::from_secs(20), ev_rx.recv()).await.expect("an answer").unwrap();
        if let Event::Monitor(MonitorEvent::Members { queue_id, result, .. }) = ev {
            assert_eq!(queue_id, "no-such-queue");
            break result.expect_err("an unknown queue is refused");
        }
    };
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert_eq!(err.request.endpoint, genesys::catalog::EndpointId::QueueMembers);
    cmd_tx.send(Command::Quit).await.unwrap();
}
