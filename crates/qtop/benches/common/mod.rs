//! App states for the benches, built the way the TUI builds them: through `App::update` with
//! the monitor's own events (queue list, resize, observation rounds, clock ticks).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::time::Duration;

use genesys::auth::Grant;
use genesys::queries::QueueNumbers;
use jiff::Timestamp;
use qtop::app::App;
use qtop::event::{Event, MonitorEvent, QueueInfo};

pub const T0: &str = "2026-11-25T10:30:00Z";

pub fn t0() -> Timestamp {
    T0.parse().unwrap()
}

pub fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("q{i:04}")).collect()
}

/// An app watching `n` queues at `width`x`height`, after one observation round.
pub fn app(n: usize, width: u16, height: u16) -> App {
    let now = t0();
    let mut app = App::new("us-east-1".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    let queues: Vec<QueueInfo> = (0..n)
        .map(|i| QueueInfo { id: format!("q{i:04}"), name: format!("Queue {i:04}"), division: None, sl_target: None })
        .collect();
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: now }));
    app.update(Event::Resize(width, height));
    app.update(observations(&ids(n), now, 0));
    app
}

/// One observation round for `ids`: a few queues change each second, the rest hold, as in a
/// real contact centre second.
pub fn observations(ids: &[String], at: Timestamp, second: usize) -> Event {
    let numbers: BTreeMap<String, QueueNumbers> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let busy = (i + second).is_multiple_of(7);
            let numbers = QueueNumbers {
                waiting: Some(if busy { 3 } else { 0 }),
                longest_waiting_ms: busy.then_some(40_000),
                interacting: Some((i % 9) as u32),
                alerting: Some(0),
                on_queue: Some(12),
                idle: Some((i % 3) as u32),
                off_queue: Some(2),
                not_responding: Some(0),
                active: Some(14),
                members: Some(16),
            };
            (id.clone(), numbers)
        })
        .collect();
    Event::Monitor(MonitorEvent::Observations { queue_ids: ids.to_vec(), numbers, at })
}
