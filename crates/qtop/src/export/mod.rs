//! `qtop export`: the monitor without a screen, its state served to Prometheus.
//!
//! The same path as the TUI: [`Monitor`] polls through the session's one client and budget,
//! its events go into the same [`Model`] the TUI shows (without a screen or a keymap), and
//! `/metrics` reads it. Nothing here calls the
//! API itself, so numbers, staleness and diagnoses are the TUI's.

pub mod metrics;
pub mod server;
pub mod snapshot;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::Model;
use crate::auth_tasks;
use crate::config::{Config, SourceMode};
use crate::event::{Command, Event, MonitorEvent};
use crate::monitor::{Monitor, Tuning};
use crate::supervise::{Restart, Task, supervise, supervise_commanded};
use genesys::auth::Session;
use genesys::queries::{Selector, Shard};
use metrics::{Ages, Inputs, Refusals};

/// What the exporter's monitor watches and how often.
#[derive(Debug, Clone)]
pub struct Settings {
    pub org_label: String,
    pub refresh: Duration,
    pub totals_refresh: Duration,
    pub timezone: jiff::tz::TimeZone,
    pub selectors: Vec<Selector>,
    pub shard: Option<Shard>,
    /// Poll, stream, or let the rate budget decide (`[monitor] source`).
    pub source: SourceMode,
    pub tuning: Tuning,
    /// How the supervisor restarts a task that panicked.
    pub restart: Restart,
}

impl Settings {
    pub fn from_config(config: &Config, shard: Option<Shard>) -> Settings {
        Settings {
            org_label: config.hosts.label.clone(),
            refresh: config.refresh,
            totals_refresh: config.totals_refresh,
            timezone: config.timezone.clone(),
            selectors: config.queues.clone(),
            shard,
            source: config.live_source,
            tuning: Tuning::default(),
            restart: Restart::default(),
        }
    }
}

struct State {
    model: Model,
    ages: Ages,
    refusals: Refusals,
}

/// What the event loop writes and the HTTP handlers read: one short lock each way.
pub struct Shared {
    state: Mutex<State>,
    session: Arc<Session>,
    shard: Option<(u32, u32)>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic mid-update leaves a usable app: serve it rather than fail every scrape.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn with_model<R>(&self, f: impl FnOnce(&Model, &Ages) -> R) -> R {
        let st = self.lock();
        f(&st.model, &st.ages)
    }

    /// The `/metrics` body as of `now`.
    pub fn render(&self, now: Timestamp) -> String {
        let api = self.session.client().stats().snapshot();
        let budget = self.session.budget().usage();
        let st = self.lock();
        metrics::render(&Inputs {
            model: &st.model,
            now,
            ages: &st.ages,
            api: &api,
            budget,
            shard: self.shard,
            refusals: &st.refusals,
        })
    }

    fn update(&self, events: impl IntoIterator<Item = Event>) -> Vec<Command> {
        let mut st = self.lock();
        let mut commands = vec![];
        for ev in events {
            if let Event::Monitor(m) = &ev {
                match m {
                    MonitorEvent::Queues { at, .. } => st.ages.queue_list = Some(*at),
                    MonitorEvent::Observations { at, .. } => st.ages.observations = Some(*at),
                    MonitorEvent::Totals { at, .. } => st.ages.totals = Some(*at),
                    MonitorEvent::Failed { activity, error, .. } if error.status() == Some(403) => {
                        let facts = crate::diagnose::ErrorFacts::from_api_error(error);
                        let d = crate::diagnose::diagnose(&facts, &st.model.knowledge);
                        st.refusals.count(activity, error.request.endpoint, d.cause, &d.missing);
                    }
                    _ => {}
                }
            }
            commands.extend(st.model.apply(ev));
        }
        commands
    }
}

/// A running exporter; dropping it stops everything it started.
pub struct Exporter {
    pub addr: SocketAddr,
    pub shared: Arc<Shared>,
    tasks: JoinSet<()>,
}

impl Exporter {
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }

    /// Until SIGINT or SIGTERM.
    pub async fn run_until_signal(self) {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            let why = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            tracing::info!(signal = why, "export: leaving");
        } else {
            let _ = tokio::signal::ctrl_c().await;
        }
        self.stop().await;
    }
}

/// Start the monitor, the app and the HTTP server on `listener` (already bound: a bad
/// `--listen` fails before anything signs in).
pub fn start(settings: Settings, session: Arc<Session>, listener: TcpListener) -> std::io::Result<Exporter> {
    let addr = listener.local_addr()?;
    let (ev_tx, mut ev_rx) = mpsc::channel::<Event>(1024);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(16);
    let mut selectors = settings.selectors.clone();
    selectors.extend(settings.shard.map(Selector::shard));
    let monitor = Monitor {
        session: session.clone(),
        refresh: settings.refresh,
        totals_refresh: settings.totals_refresh,
        timezone: settings.timezone.clone(),
        selectors,
        events: ev_tx.clone(),
        source: settings.source,
    };
    let model = Model::new(settings.org_label.clone(), session.method().grant(), settings.refresh, Timestamp::now())
        .with_totals_refresh(settings.totals_refresh)
        .with_timezone(settings.timezone.clone())
        .with_knowledge(crate::diagnose::Knowledge::of_session(&session));
    let shared = Arc::new(Shared {
        state: Mutex::new(State { model, ages: Ages::default(), refusals: Refusals::default() }),
        session: session.clone(),
        shard: settings.shard.map(|s| (s.k, s.n)),
    });

    // Every task runs under a supervisor: a panic is logged and the task started again; one
    // given up fails `/healthz`, so nothing serves numbers with no poller behind them.
    let mut tasks = JoinSet::new();
    let policy = settings.restart.clone();
    let tuning = settings.tuning.clone();
    tasks.spawn(supervise_commanded(Task::Monitor, ev_tx.clone(), policy.clone(), cmd_rx, move |rx| {
        monitor.clone().run_with(rx, tuning.clone())
    }));
    let s = session.clone();
    tasks.spawn(supervise(Task::KeepAlive, ev_tx.clone(), policy.clone(), move || auth_tasks::keep_alive(s.clone())));
    let (s, events) = (session.clone(), ev_tx.clone());
    tasks.spawn(supervise(Task::TokenReports, ev_tx.clone(), policy.clone(), move || {
        auth_tasks::report_tokens(s.clone(), events.clone())
    }));
    let events = ev_tx.clone();
    tasks.spawn(supervise(Task::Clock, ev_tx.clone(), policy, move || tick(events.clone())));
    drop(ev_tx);
    let state = shared.clone();
    tasks.spawn(async move {
        while let Some(ev) = ev_rx.recv().await {
            let mut batch = vec![ev];
            while let Ok(ev) = ev_rx.try_recv() {
                batch.push(ev);
            }
            for c in state.update(batch) {
                // Headless: no keys, so only the app's own requests (InspectToken) matter;
                // a full queue means the same request is already waiting.
                let _ = cmd_tx.try_send(c);
            }
        }
    });
    let router = server::router(shared.clone());
    tasks.spawn(async move {
        if let Err(e) = axum::serve(listener, router).await {
            tracing::error!(error = %e, "export: the HTTP server stopped");
        }
    });
    tracing::info!(%addr, "export: serving /metrics");
    Ok(Exporter { addr, shared, tasks })
}

async fn tick(tx: mpsc::Sender<Event>) {
    let mut every = tokio::time::interval(Duration::from_secs(1));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        every.tick().await;
        if tx.send(Event::Tick(Timestamp::now())).await.is_err() {
            return;
        }
    }
}
