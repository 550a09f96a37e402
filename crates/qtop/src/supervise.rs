//! Every background task runs under a supervisor: a panic is logged, reported to the app
//! (error log and status line) with its cause, and the task is started again after a backoff.
//! A task that panics again at once, time after time, is given up, and the app says so: a
//! screen that keeps drawing while the pollers behind it are gone would be lying.

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::event::{Event, MonitorEvent};
use genesys::backoff::Backoff;

/// The tasks qtop runs behind the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// Sign-in, the queue list, live numbers and totals.
    Monitor,
    /// Renews the token before it expires.
    KeepAlive,
    /// Describes each new token for the token pane.
    TokenReports,
    /// Reads keys and resizes.
    Input,
    /// The clock that ages the numbers.
    Clock,
    /// The notification stream (inside the monitor).
    Stream,
    /// One request of live numbers or totals (inside the monitor).
    Poll,
}

impl Task {
    pub fn label(self) -> &'static str {
        match self {
            Task::Monitor => "monitor (sign-in, queue list, live numbers, totals)",
            Task::KeepAlive => "token renewal",
            Task::TokenReports => "token pane",
            Task::Input => "keyboard input",
            Task::Clock => "clock",
            Task::Stream => "notification stream",
            Task::Poll => "a polling request",
        }
    }

    /// Short, for metrics labels and the log.
    pub fn name(self) -> &'static str {
        match self {
            Task::Monitor => "monitor",
            Task::KeepAlive => "keep_alive",
            Task::TokenReports => "token_reports",
            Task::Input => "input",
            Task::Clock => "clock",
            Task::Stream => "stream",
            Task::Poll => "poll",
        }
    }
}

/// How a supervisor restarts a task.
#[derive(Debug, Clone)]
pub struct Restart {
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// A task that panics within this long of starting failed "at once".
    pub quick: Duration,
    /// Give up after this many quick panics in a row.
    pub give_up_after: u32,
}

impl Default for Restart {
    fn default() -> Self {
        Restart {
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            quick: Duration::from_secs(30),
            give_up_after: 5,
        }
    }
}

/// The text a panic carried.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(std::string::ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Aborts the task when dropped: aborting a supervisor must not leave its task running.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Run `make()` as a task until it ends by itself, restarting it after a panic.
pub async fn supervise<F, Fut>(task: Task, events: mpsc::Sender<Event>, policy: Restart, mut make: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (_keep, commands) = mpsc::channel::<()>(1);
    supervise_commanded(task, events, policy, commands, move |_| make()).await;
}

/// [`supervise`] for a task that takes commands: they are forwarded to whichever incarnation
/// runs, so a restart loses none of what the user asks for next.
pub async fn supervise_commanded<C, F, Fut>(
    task: Task,
    events: mpsc::Sender<Event>,
    policy: Restart,
    mut commands: mpsc::Receiver<C>,
    mut make: F,
) where
    C: Send + 'static,
    F: FnMut(mpsc::Receiver<C>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut backoff = Backoff::new(policy.backoff_base, policy.backoff_cap);
    let mut quick_panics = 0u32;
    let mut incarnation = 0u32;
    let mut commands_open = true;
    loop {
        let (tx, rx) = mpsc::channel::<C>(16);
        let mut tx = Some(tx);
        let started = Instant::now();
        incarnation += 1;
        let inject = injected_panic(task, incarnation);
        let fut = make(rx);
        let mut handle = AbortOnDrop(tokio::spawn(async move {
            assert!(!inject, "QTOP_TEST_PANIC_TASK: a test asked for this panic");
            fut.await;
        }));
        let ended = loop {
            tokio::select! {
                r = &mut handle.0 => break r,
                c = commands.recv(), if commands_open => match (c, &tx) {
                    (Some(c), Some(to)) => {
                        // The task reads its commands promptly; one that is gone gets none.
                        let _ = to.send(c).await;
                    }
                    (Some(_), None) => {}
                    (None, _) => {
                        // The app is leaving: the task sees its commands end, as before.
                        commands_open = false;
                        tx = None;
                    }
                },
            }
        };
        let why = match ended {
            Ok(()) => return,
            Err(e) if e.is_cancelled() => return,
            Err(e) => panic_text(&*e.into_panic()),
        };
        if started.elapsed() < policy.quick {
            quick_panics += 1;
        } else {
            quick_panics = 1;
            backoff.succeed();
        }
        let restart_in = (quick_panics < policy.give_up_after).then(|| backoff.fail(None, &mut rand::rng()));
        match restart_in {
            Some(wait) => {
                tracing::error!(task = task.name(), %why, restart_in_ms = wait.as_millis() as u64, "task panicked; restarting");
            }
            None => {
                tracing::error!(task = task.name(), %why, panics = quick_panics, "task panicked again at once; giving up");
            }
        }
        let report = MonitorEvent::TaskFailed { task, why, in_a_row: quick_panics, restart_in, at: Timestamp::now() };
        if events.send(Event::Monitor(report)).await.is_err() {
            return;
        }
        let Some(wait) = restart_in else { return };
        tokio::time::sleep(wait).await;
        if events.send(Event::Monitor(MonitorEvent::TaskRestarted { task, at: Timestamp::now() })).await.is_err() {
            return;
        }
    }
}

/// Debug builds only: `QTOP_TEST_PANIC_TASK=monitor:2` makes the first two incarnations of
/// that task panic as they start, so a test of the real binary can watch the supervisor work
/// (release builds ignore it).
fn injected_panic(task: Task, incarnation: u32) -> bool {
    if !cfg!(debug_assertions) {
        return false;
    }
    let Ok(spec) = std::env::var("QTOP_TEST_PANIC_TASK") else { return false };
    let (name, count) = spec.split_once(':').unwrap_or((spec.as_str(), "1"));
    name == task.name() && count.parse::<u32>().is_ok_and(|n| incarnation <= n)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn quick_policy() -> Restart {
        Restart {
            backoff_base: Duration::from_millis(100),
            backoff_cap: Duration::from_millis(400),
            quick: Duration::from_secs(30),
            give_up_after: 3,
        }
    }

    async fn next_report(rx: &mut mpsc::Receiver<Event>) -> MonitorEvent {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(Event::Monitor(m))) => m,
            other => panic!("no report: {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_panic_is_reported_with_its_cause_and_the_task_restarts_with_its_commands() {
        let (ev_tx, mut ev_rx) = mpsc::channel(16);
        let (cmd_tx, cmd_rx) = mpsc::channel::<u32>(4);
        let runs = Arc::new(AtomicU32::new(0));
        let (seen_tx, mut seen_rx) = mpsc::channel::<u32>(4);
        let r = runs.clone();
        let sup = tokio::spawn(supervise_commanded(Task::Monitor, ev_tx, quick_policy(), cmd_rx, move |mut rx| {
            let n = r.fetch_add(1, Ordering::SeqCst);
            let seen = seen_tx.clone();
            async move {
                assert!(n != 0, "Instant + Duration overflowed");
                while let Some(c) = rx.recv().await {
                    let _ = seen.send(c).await;
                }
            }
        }));
        match next_report(&mut ev_rx).await {
            MonitorEvent::TaskFailed { task, why, restart_in, .. } => {
                assert_eq!(task, Task::Monitor);
                assert_eq!(why, "Instant + Duration overflowed");
                assert!(restart_in.is_some_and(|w| w <= Duration::from_millis(100)), "{restart_in:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(next_report(&mut ev_rx).await, MonitorEvent::TaskRestarted { task: Task::Monitor, .. }));
        cmd_tx.send(7).await.unwrap();
        assert_eq!(tokio::time::timeout(Duration::from_secs(5), seen_rx.recv()).await.unwrap(), Some(7));
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        // The app leaving ends the commands, and with them the task and its supervisor.
        drop(cmd_tx);
        tokio::time::timeout(Duration::from_secs(5), sup).await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_panics_at_once_every_time_is_given_up_and_that_is_said() {
        let (ev_tx, mut ev_rx) = mpsc::channel(16);
        let sup = tokio::spawn(supervise(Task::Stream, ev_tx, quick_policy(), || async { panic!("always") }));
        let mut failures = vec![];
        loop {
            match next_report(&mut ev_rx).await {
                MonitorEvent::TaskFailed { restart_in, .. } => {
                    failures.push(restart_in);
                    if restart_in.is_none() {
                        break;
                    }
                }
                MonitorEvent::TaskRestarted { .. } => {}
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(failures.len(), 3, "{failures:?}");
        assert!(failures[..2].iter().all(Option::is_some));
        tokio::time::timeout(Duration::from_secs(5), sup).await.unwrap().unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn aborting_the_supervisor_stops_its_task() {
        let (ev_tx, _ev_rx) = mpsc::channel(16);
        let alive = Arc::new(AtomicU32::new(0));
        let a = alive.clone();
        let sup = tokio::spawn(supervise(Task::Clock, ev_tx, quick_policy(), move || {
            let a = a.clone();
            async move {
                loop {
                    a.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }));
        tokio::time::sleep(Duration::from_millis(50)).await;
        sup.abort();
        let _ = sup.await;
        let after = alive.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(alive.load(Ordering::SeqCst), after, "the task ended with its supervisor");
    }
}
