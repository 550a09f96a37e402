//! What one second of qtop costs a terminal: the time to lay out a frame, and the bytes the
//! frame puts on the wire with ratatui's diff against a full repaint, side by side in one run.
//!
//! `cargo bench --bench frame` (std only: no bench framework, so `cargo test` builds nothing
//! extra). Numbers vary with the machine; the ratios are what to compare.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;
use std::io::{self, Write};
use std::rc::Rc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use qtop::app::App;
use qtop::event::QueueInfo;
use qtop::event::{Event, MonitorEvent};
use qtop::genesys::auth::Grant;
use qtop::genesys::queries::QueueNumbers;
use qtop::ui;
use ratatui::backend::{CrosstermBackend, TestBackend};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// Counts what would reach the terminal.
struct Meter(Rc<Cell<usize>>);

impl Write for Meter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

const T0: &str = "2026-11-25T10:30:00Z";

/// An app watching `n` queues, each with live numbers, `waiting` of them with callers.
fn app(n: usize, width: u16, height: u16) -> App {
    let now: Timestamp = T0.parse().unwrap();
    let mut app = App::new("us-east-1".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    let queues: Vec<QueueInfo> = (0..n)
        .map(|i| QueueInfo { id: format!("q{i:04}"), name: format!("Queue {i:04}"), division: None, sl_target: None })
        .collect();
    let ids: Vec<String> = queues.iter().map(|q| q.id.clone()).collect();
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: now }));
    app.update(Event::Resize(width, height));
    poll(&mut app, &ids, now, 0);
    app
}

/// One observation round: a few queues change, the rest hold (as in a real second).
fn poll(app: &mut App, ids: &[String], at: Timestamp, second: usize) {
    let numbers: BTreeMap<String, QueueNumbers> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let busy = (i + second) % 7 == 0;
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
    app.update(Event::Monitor(MonitorEvent::Observations { queue_ids: ids.to_vec(), numbers, at }));
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("q{i:04}")).collect()
}

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn layout_time(n: usize, w: u16, h: u16) -> Duration {
    let app = app(n, w, h);
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    median(301, || {
        term.draw(|f| ui::draw(f, black_box(&app))).unwrap();
    })
}

/// Bytes written over `seconds` simulated seconds of polling, diffed (ratatui's normal path)
/// or repainting every cell each frame.
fn bytes_per_second(n: usize, w: u16, h: u16, seconds: usize, repaint: bool) -> usize {
    let mut app = app(n, w, h);
    let ids = ids(n);
    let written = Rc::new(Cell::new(0));
    // A fixed viewport: the bench's own terminal (or none) must not decide the size.
    let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
    let mut term =
        Terminal::with_options(CrosstermBackend::new(Meter(written.clone())), TerminalOptions { viewport }).unwrap();
    term.draw(|f| ui::draw(f, &app)).unwrap();
    let first = written.get();
    let start: Timestamp = T0.parse().unwrap();
    for s in 1..=seconds {
        let at = start + SignedDuration::from_secs(s as i64);
        app.update(Event::Tick(at));
        poll(&mut app, &ids, at, s);
        if repaint {
            // What a naive loop does: forget the last frame, so every cell is sent again.
            term.swap_buffers();
            term.current_buffer_mut().reset();
        }
        term.draw(|f| ui::draw(f, &app)).unwrap();
    }
    (written.get() - first) / seconds
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once with no flag: keep it short.
    let full = std::env::args().any(|a| a == "--bench");
    let seconds = if full { 120 } else { 5 };
    println!("frame layout (median of 301, TestBackend):");
    for (n, w, h) in [(13, 80, 24), (13, 120, 40), (240, 120, 40), (240, 200, 60), (1000, 200, 60)] {
        println!("  {n:>5} queues at {w}x{h}: {:>8.1} µs", layout_time(n, w, h).as_secs_f64() * 1e6);
    }
    println!("bytes a second over {seconds} simulated seconds (one poll and one clock tick each):");
    for (n, w, h) in [(13, 120, 40), (240, 120, 40), (240, 200, 60)] {
        let diffed = bytes_per_second(n, w, h, seconds, false);
        let repaint = bytes_per_second(n, w, h, seconds, true);
        println!(
            "  {n:>5} queues at {w}x{h}: diffed {diffed:>6} B/s, full repaint {repaint:>6} B/s, ratio 1:{:.0}",
            repaint as f64 / diffed.max(1) as f64
        );
    }
}
