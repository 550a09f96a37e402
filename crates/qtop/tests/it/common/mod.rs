//! Shared helpers for integration tests: a simulator on loopback with a hand-stepped clock.
#![allow(dead_code)]

pub mod errors;
pub mod fixtures;
pub mod pty;
// The simulator helpers and the documented shapes are the sim crate's test helpers: one copy.
#[path = "../../../../sim/tests/it/common/shapes.rs"]
pub mod shapes;
#[path = "../../../../sim/tests/it/common/test_sim.rs"]
mod test_sim;
pub use test_sim::*;

/// Runs one `#[ignore]`d test of this binary in a child process and fails with its output
/// when it fails. For tests that install process-wide state — a global log subscriber, a
/// panic hook, a look at the process's RSS — which every other test of this one binary would
/// otherwise feed or disturb.
pub fn in_own_process(test: &str) {
    let out = std::process::Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([test, "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .output()
        .expect("the test binary starts again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{test} in a process of its own: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// qtop's monitor running against a simulator, its events fed into a real `App` — the same
/// path the TUI takes, minus the terminal.
pub mod watch {
    use std::sync::Arc;
    use std::time::Duration;

    use genesys::auth::Session;
    use jiff::Timestamp;
    use qtop::app::App;
    use qtop::event::{Command, Event, MonitorEvent};
    use qtop::monitor::{Monitor, Tuning};
    use tokio::sync::mpsc;
    use tokio::task::JoinHandle;
    use tokio::time::Instant;

    /// A check run on the app after each event.
    pub type AfterEach = Box<dyn FnMut(&App) + Send>;

    pub struct Watch {
        pub app: App,
        events: mpsc::Receiver<Event>,
        commands: mpsc::Sender<Command>,
        pub task: JoinHandle<()>,
        /// Token reports received (the token pane asked again).
        pub reports: usize,
        /// Every event seen, by kind, for assertions about what the monitor said.
        pub retrying_events: usize,
        /// Batches of live numbers received.
        pub observation_events: usize,
        /// Run on the app after every single event it takes in (not only when `until` looks).
        pub after_each: Option<AfterEach>,
    }

    /// Short timings: a refresh of `refresh`, totals every few refreshes, quick backoff.
    pub fn tuning() -> Tuning {
        Tuning {
            relist_every: Duration::from_secs(1),
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(800),
            report_every: Duration::from_millis(100),
            stream: Default::default(),
        }
    }

    impl Watch {
        pub fn start(session: Arc<Session>, tz: jiff::tz::TimeZone, refresh: Duration, tuning: Tuning) -> Watch {
            Watch::start_with(session, tz, refresh, refresh * 3, tuning)
        }

        pub fn start_with(
            session: Arc<Session>,
            tz: jiff::tz::TimeZone,
            refresh: Duration,
            totals_refresh: Duration,
            tuning: Tuning,
        ) -> Watch {
            Watch::start_source(session, tz, refresh, totals_refresh, tuning, qtop::config::SourceMode::Poll)
        }

        /// [`Watch::start`] watching only the queues `selectors` pick.
        pub fn start_selecting(
            session: Arc<Session>,
            tz: jiff::tz::TimeZone,
            refresh: Duration,
            tuning: Tuning,
            selectors: Vec<genesys::queries::Selector>,
        ) -> Watch {
            Watch::spawn(session, tz, refresh, refresh * 3, tuning, qtop::config::SourceMode::Poll, selectors)
        }

        /// [`Watch::start_with`] with live numbers from `source` (poll, stream or auto).
        pub fn start_source(
            session: Arc<Session>,
            tz: jiff::tz::TimeZone,
            refresh: Duration,
            totals_refresh: Duration,
            tuning: Tuning,
            source: qtop::config::SourceMode,
        ) -> Watch {
            Watch::spawn(session, tz, refresh, totals_refresh, tuning, source, vec![])
        }

        fn spawn(
            session: Arc<Session>,
            tz: jiff::tz::TimeZone,
            refresh: Duration,
            totals_refresh: Duration,
            tuning: Tuning,
            source: qtop::config::SourceMode,
            selectors: Vec<genesys::queries::Selector>,
        ) -> Watch {
            let (ev_tx, events) = mpsc::channel(1024);
            let (commands, cmd_rx) = mpsc::channel(16);
            let monitor = Monitor {
                source,
                session: session.clone(),
                refresh,
                totals_refresh,
                timezone: tz.clone(),
                selectors,
                events: ev_tx,
            };
            let task = tokio::spawn(monitor.run_with(cmd_rx, tuning));
            let mut app = App::new("sim".into(), session.method().grant(), refresh, Timestamp::now());
            // As the TUI and the exporter do: the diagnosis knows the hosts and the client.
            app.knowledge = qtop::diagnose::Knowledge::of_session(&session);
            app.totals_refresh = totals_refresh;
            app.timezone = tz;
            Watch {
                app,
                events,
                commands,
                task,
                reports: 0,
                retrying_events: 0,
                observation_events: 0,
                after_each: None,
            }
        }

        fn feed(&mut self, ev: Event) {
            match &ev {
                Event::Monitor(MonitorEvent::TokenReport(_)) => self.reports += 1,
                Event::Monitor(MonitorEvent::Retrying { .. }) => self.retrying_events += 1,
                Event::Monitor(MonitorEvent::Observations { .. }) => self.observation_events += 1,
                _ => {}
            }
            for c in self.app.update(ev) {
                // The TUI routes sign-in commands elsewhere; the rest go to the monitor.
                let _ = self.commands.try_send(c);
            }
            if let Some(check) = &mut self.after_each {
                check(&self.app);
            }
        }

        /// Feed events (and clock ticks) into the app until `cond` holds; false when `within`
        /// passes first.
        pub async fn until(&mut self, within: Duration, cond: impl Fn(&App) -> bool) -> bool {
            let end = Instant::now() + within;
            loop {
                self.feed(Event::Tick(Timestamp::now()));
                if cond(&self.app) {
                    return true;
                }
                let left = end.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return false;
                }
                if let Ok(Some(ev)) =
                    tokio::time::timeout(left.min(Duration::from_millis(50)), self.events.recv()).await
                {
                    self.feed(ev);
                    while let Ok(ev) = self.events.try_recv() {
                        self.feed(ev);
                    }
                }
            }
        }

        /// Keep the app up to date for `d`.
        pub async fn run_for(&mut self, d: Duration) {
            self.until(d, |_| false).await;
        }

        pub fn command(&self, c: Command) {
            let _ = self.commands.try_send(c);
        }

        pub async fn stop(self) {
            let _ = self.commands.send(Command::Quit).await;
            drop(self.events);
            let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        }
    }
}
