//! The pollers: sign in, resolve the queue list, then poll live observations and today's
//! totals, one request per batch of queues, never two in flight for the same batch.
//!
//! Every request draws from the session's per-token budget, and the polling intervals come
//! from [`budget::plan`] (the slower data is stretched first), planned again whenever the
//! number of batches or the learned limit changes. A passing failure (5xx, timeout, reset,
//! unreadable body, sign-in trouble) puts that poller into exponential backoff with jitter —
//! `Retry-After` wins — and each retry is a single request, so recovery is never a burst. A
//! refusal (403, 400) keeps the poller's pace: it is how qtop notices access coming back.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio::task::{Id, JoinSet};
use tokio::time::{Instant, sleep_until};

use crate::config::SourceMode;
use crate::event::{Activity, Command, Event, LiveSource, MonitorEvent, PollPlan, QueueInfo};
use crate::stream::{self, StreamTuning};
use crate::supervise::Task;
use genesys::aggregates::{self, TodayById};
use genesys::auth::{self, Session};
use genesys::backoff::Backoff;
use genesys::budget::{self, BudgetUse, Priority};
use genesys::catalog::EndpointId;
use genesys::client::{ApiError, ResponseMeta};
use genesys::models::Queue;
use genesys::queries::{self, OBSERVATION_BATCH, QueueNumbersById, Selector};
use genesys::token;

/// How often the queue list is fetched again (new queues, renamed, moved divisions).
pub const QUEUE_LIST_EVERY: Duration = Duration::from_secs(300);

#[derive(Clone)]
pub struct Monitor {
    pub session: Arc<Session>,
    pub refresh: Duration,
    /// How often today's totals are fetched.
    pub totals_refresh: Duration,
    /// The org's time zone: where "today" starts.
    pub timezone: jiff::tz::TimeZone,
    pub selectors: Vec<Selector>,
    /// Poll live numbers, stream them, or pick by the rate budget.
    pub source: SourceMode,
    pub events: mpsc::Sender<Event>,
}

/// Timings a wall keeps for weeks; tests and the soak shorten them.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub relist_every: Duration,
    /// First retry after a passing failure (then doubling, with jitter).
    pub backoff_base: Duration,
    /// Retries never wait longer than this (a wall retries forever).
    pub backoff_cap: Duration,
    /// How often the budget's use is reported to the app.
    pub report_every: Duration,
    /// Heartbeat watch, rollover lead and coalescing of the notification stream.
    pub stream: StreamTuning,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            relist_every: QUEUE_LIST_EVERY,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            report_every: Duration::from_secs(1),
            stream: StreamTuning::default(),
        }
    }
}

/// The server's clock as last seen: its `Date` minus ours at that moment.
#[derive(Debug, Clone, Copy, Default)]
struct ServerClock(Option<SignedDuration>);

impl ServerClock {
    fn learn(&mut self, meta: Option<&ResponseMeta>) {
        if let Some(m) = meta
            && let Some(date) = m.server_date
        {
            self.0 = Some(date.duration_since(m.received_at));
        }
    }

    /// The server's "now"; ours until a response has told us better.
    fn now(&self) -> Timestamp {
        let ours = Timestamp::now();
        self.0.and_then(|off| ours.checked_add(off).ok()).unwrap_or(ours)
    }
}

pub fn queue_info(q: &Queue) -> QueueInfo {
    let sl = q
        .media_settings
        .as_ref()
        .and_then(|m| m.values().find_map(|s| s.service_level))
        .map(|s| (s.percentage, s.duration_ms / 1000));
    QueueInfo {
        id: q.id.clone(),
        name: q.name.clone(),
        division: q.division.as_ref().and_then(|d| d.name.clone()),
        sl_target: sl,
    }
}

fn activity_of(e: &ApiError, otherwise: Activity) -> Activity {
    match e.request.endpoint {
        EndpointId::OAuthToken | EndpointId::OAuthAuthorize => Activity::SignIn,
        _ => otherwise,
    }
}

/// One kind of polling: its interval, its backoff and its requests in flight.
#[derive(Debug)]
struct Poller {
    every: Duration,
    /// The next regular round; `None` while there is nothing to poll yet.
    next_due: Option<Instant>,
    backoff: Backoff,
    /// While backing off: when the single retry goes out (`None` once it has).
    retry_at: Option<Instant>,
    /// When the last failure was counted. Requests sent before it belong to the wave of
    /// failures already counted, so ten batches failing together are one attempt, not ten.
    failed_at: Option<Instant>,
    in_flight: HashSet<usize>,
}

impl Poller {
    fn new(every: Duration, tuning: &Tuning) -> Poller {
        Poller {
            every,
            next_due: None,
            backoff: Backoff::new(tuning.backoff_base, tuning.backoff_cap),
            retry_at: None,
            failed_at: None,
            in_flight: HashSet::new(),
        }
    }

    fn backing_off(&self) -> bool {
        self.backoff.attempt > 0
    }

    /// When this poller next wants to act.
    fn wake(&self) -> Option<Instant> {
        if self.backing_off() { self.retry_at.filter(|_| self.in_flight.is_empty()) } else { self.next_due }
    }

    /// The batches to send now (of `count`): every batch on a regular round, one on a retry.
    fn due(&mut self, count: usize, now: Instant) -> Vec<usize> {
        if count == 0 {
            // Nothing to poll (every queue filtered out): keep the schedule moving, so the
            // loop sleeps instead of spinning on a round that can never go out.
            if self.next_due.is_some_and(|t| t <= now) {
                self.next_due = Some(now + self.every);
            }
            if self.retry_at.is_some_and(|t| t <= now) {
                self.backoff.succeed();
                self.retry_at = None;
            }
            return vec![];
        }
        if self.backing_off() {
            if self.retry_at.is_some_and(|t| t <= now) && self.in_flight.is_empty() {
                self.retry_at = None;
                return vec![(self.backoff.attempt as usize) % count];
            }
            return vec![];
        }
        match self.next_due {
            Some(t) if t <= now => {
                // A round missed (a slow machine, a long wait for the budget) is skipped, not
                // made up with a burst.
                let next = t + self.every;
                self.next_due = Some(if next <= now { now + self.every } else { next });
                (0..count).collect()
            }
            _ => vec![],
        }
    }

    /// A passing failure of a request sent at `sent`. Returns the wait when it starts a new
    /// attempt (a failure of the same wave returns `None`).
    fn failed(&mut self, sent: Instant, retry_after: Option<Duration>, now: Instant) -> Option<Duration> {
        if self.failed_at.is_some_and(|f| sent < f) {
            return None;
        }
        let wait = self.backoff.fail(retry_after, &mut rand::rng());
        self.failed_at = Some(now);
        self.retry_at = Some(now + wait);
        Some(wait)
    }

    /// The server answered a request sent at `sent` (data or a refusal): backoff is over.
    /// Returns true when this ends a backoff.
    fn answered(&mut self, sent: Instant, now: Instant) -> bool {
        if self.failed_at.is_some_and(|f| sent < f) || !self.backing_off() {
            return false;
        }
        self.backoff.succeed();
        self.retry_at = None;
        // The data is old by now: the next regular round goes at once.
        self.next_due = Some(now);
        true
    }

    /// Try now instead of waiting out the backoff (the `r` key). A `Retry-After` still holds:
    /// the budget keeps the request until then.
    fn hurry(&mut self, now: Instant) {
        if self.backing_off() && self.retry_at.is_some() {
            self.retry_at = Some(now);
        }
    }

    /// Take a new interval; an earlier round than planned moves up.
    fn set_every(&mut self, every: Duration, now: Instant) {
        self.every = every;
        if let Some(t) = self.next_due {
            self.next_due = Some(t.min(now + every));
        }
    }
}

enum Data {
    Live(Result<(QueueNumbersById, ResponseMeta), ApiError>),
    Totals(Result<(TodayById, ResponseMeta), ApiError>),
}

struct Done {
    batch: usize,
    ids: Vec<String>,
    sent: Instant,
    data: Data,
}

struct Listed {
    queues: Vec<QueueInfo>,
    unmatched: Vec<String>,
    batches: Vec<Vec<String>>,
    /// The last page's answer: its `Date` is the first word qtop hears of the server's clock.
    meta: Option<ResponseMeta>,
}

/// The loop's state, so each kind of work is a method rather than one long `select!`.
struct Run<'m> {
    m: &'m Monitor,
    tuning: Tuning,
    batches: Vec<Vec<String>>,
    live: Poller,
    totals: Poller,
    list: Poller,
    plan: Option<PollPlan>,
    server_clock: ServerClock,
    data: JoinSet<Done>,
    /// Which poller and batch each data task belongs to (for a task that panicked).
    tasks: HashMap<Id, (Activity, usize)>,
    lists: JoinSet<(Instant, Result<Listed, ApiError>)>,
    members: JoinSet<MonitorEvent>,
    inspecting: JoinSet<Option<MonitorEvent>>,
    reported: Option<(BudgetUse, Option<i64>)>,
    /// The number of batches the current plan was made for.
    planned_batches: usize,
    /// The notification stream, while live numbers come from it: the queues it carries.
    streaming: Option<(Vec<String>, AbortOnDrop)>,
    /// `auto` gave streaming up (the API refused the channel, or no socket came up): poll
    /// until then, and try streaming again after it.
    stream_refused_until: Option<Instant>,
    /// The rate limit `auto` last chose between polling and streaming for.
    source_chosen_for: Option<u32>,
    /// The source last told to the app.
    source_told: Option<LiveSource>,
}

/// What the stream task's end says (`Err` with the panic's text), or never while there is none.
async fn stream_end(streaming: &mut Option<(Vec<String>, AbortOnDrop)>) -> Result<Option<String>, String> {
    match streaming {
        Some((_, task)) => match (&mut task.0).await {
            Ok(reason) => Ok(reason),
            Err(e) if e.is_panic() => Err(crate::supervise::panic_text(&*e.into_panic())),
            Err(_) => Ok(None),
        },
        None => std::future::pending().await,
    }
}

/// How long `auto` polls after streaming was refused before it tries streaming again.
const STREAM_RETRY_AFTER: Duration = Duration::from_secs(600);

/// A task that ends when its handle is dropped (the stream must not outlive the monitor).
struct AbortOnDrop(tokio::task::JoinHandle<Option<String>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Monitor {
    /// Run until the UI goes away or a Quit command arrives.
    pub async fn run(self, commands: mpsc::Receiver<Command>) {
        self.run_with(commands, Tuning::default()).await;
    }

    pub async fn run_with(self, mut commands: mpsc::Receiver<Command>, tuning: Tuning) {
        let mut background = JoinSet::new();
        background.spawn(forward_auth(self.session.clone(), self.events.clone()));
        let now = Instant::now();
        let mut run = Run {
            m: &self,
            live: Poller::new(self.refresh, &tuning),
            totals: Poller::new(self.totals_refresh, &tuning),
            list: Poller::new(tuning.relist_every, &tuning),
            tuning,
            batches: vec![],
            plan: None,
            server_clock: ServerClock::default(),
            data: JoinSet::new(),
            tasks: HashMap::new(),
            lists: JoinSet::new(),
            members: JoinSet::new(),
            inspecting: JoinSet::new(),
            reported: None,
            planned_batches: 0,
            streaming: None,
            stream_refused_until: None,
            source_chosen_for: None,
            source_told: None,
        };
        // Sign-in and the queue list come first; polling starts when the list is in.
        run.list.next_due = Some(now);
        let mut report = tokio::time::interval(run.tuning.report_every);
        report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            let wake = [run.live.wake(), run.totals.wake(), run.list.wake()].into_iter().flatten().min();
            let ok = tokio::select! {
                () = wait_until(wake) => run.fire(Instant::now()).await,
                cmd = commands.recv() => match cmd {
                    Some(Command::Quit) | None => false,
                    Some(cmd) => run.command(cmd).await,
                },
                end = stream_end(&mut run.streaming) => match end {
                    Ok(reason) => run.stream_ended(reason, Instant::now()).await,
                    Err(why) => run.panicked(Task::Stream, why).await && run.stream_ended(None, Instant::now()).await,
                },
                Some(done) = run.data.join_next_with_id(), if !run.data.is_empty() => match done {
                    Ok((id, done)) => {
                        run.tasks.remove(&id);
                        run.on_data(done).await
                    }
                    Err(e) => {
                        let id = e.id();
                        let why = if e.is_panic() { crate::supervise::panic_text(&*e.into_panic()) } else { "cancelled".into() };
                        run.lost(id);
                        run.panicked(Task::Poll, why).await
                    }
                },
                Some(done) = run.lists.join_next(), if !run.lists.is_empty() => match done {
                    Ok((sent, result)) => run.on_list(sent, result).await,
                    Err(e) => {
                        tracing::error!(error = %e, "the queue-list task ended without an answer");
                        run.list.in_flight.clear();
                        let why = if e.is_panic() { crate::supervise::panic_text(&*e.into_panic()) } else { "cancelled".into() };
                        run.panicked(Task::Poll, why).await
                    }
                },
                Some(done) = run.members.join_next(), if !run.members.is_empty() => match done {
                    Ok(ev) => self.send(ev).await,
                    Err(e) => {
                        tracing::error!(error = %e, "a queue-members task ended without an answer");
                        true
                    }
                },
                Some(done) = run.inspecting.join_next(), if !run.inspecting.is_empty() => match done {
                    Ok(Some(ev)) => self.send(ev).await,
                    _ => true,
                },
                _ = report.tick() => run.report().await,
            };
            if !ok {
                break;
            }
        }
        // Dropping the JoinSets aborts whatever is still in flight: nothing outlives the monitor.
        background.abort_all();
    }

    async fn send(&self, ev: MonitorEvent) -> bool {
        self.events.send(Event::Monitor(ev)).await.is_ok()
    }

    /// Fetch and resolve the queue list.
    async fn load_queues(&self) -> Result<Listed, ApiError> {
        let (all, meta) = queries::list_queues(&self.session).await?;
        let (picked, unmatched) = queries::select_queues(all, &self.selectors);
        let queues: Vec<QueueInfo> = picked.iter().map(queue_info).collect();
        let batches = queues.chunks(OBSERVATION_BATCH).map(|c| c.iter().map(|q| q.id.clone()).collect()).collect();
        Ok(Listed { queues, unmatched, batches, meta })
    }
}

impl Run<'_> {
    fn poller(&mut self, activity: &Activity) -> &mut Poller {
        match activity {
            Activity::Totals => &mut self.totals,
            Activity::QueueList | Activity::SignIn => &mut self.list,
            _ => &mut self.live,
        }
    }

    /// Start whatever is due.
    async fn fire(&mut self, now: Instant) -> bool {
        if let [batch] = self.list.due(1, now)[..]
            && self.list.in_flight.insert(batch)
        {
            let me = self.m.clone();
            self.lists.spawn(async move {
                let sent = Instant::now();
                (sent, me.load_queues().await)
            });
        }
        for batch in self.live.due(self.batches.len(), now) {
            if !self.start(Activity::Observations, batch, Priority::Poll).await {
                return false;
            }
        }
        for batch in self.totals.due(self.batches.len(), now) {
            if !self.start(Activity::Totals, batch, Priority::Poll).await {
                return false;
            }
        }
        true
    }

    /// Send one batch's request unless it is still waiting for the last one.
    async fn start(&mut self, activity: Activity, batch: usize, priority: Priority) -> bool {
        let Some(ids) = self.batches.get(batch).filter(|ids| !ids.is_empty()).cloned() else { return true };
        if !self.poller(&activity).in_flight.insert(batch) {
            // Live numbers say so (the header counts skipped rounds); totals move slowly
            // enough that a skipped round is nothing to report.
            if activity == Activity::Observations {
                return self.m.send(MonitorEvent::Skipped { batch, at: Timestamp::now() }).await;
            }
            return true;
        }
        let session = self.m.session.clone();
        let handle = match activity {
            Activity::Totals => {
                let interval = aggregates::today_interval(self.server_clock.now(), &self.m.timezone);
                self.data.spawn(async move {
                    let sent = Instant::now();
                    let r = aggregates::today_as(&session, &ids, interval, priority).await;
                    Done { batch, ids, sent, data: Data::Totals(r) }
                })
            }
            _ => self.data.spawn(async move {
                let sent = Instant::now();
                let r = queries::observe_as(&session, &ids, priority)
                    .await
                    .map(|(resp, meta)| (queries::parse_observations(&resp), meta));
                Done { batch, ids, sent, data: Data::Live(r) }
            }),
        };
        self.tasks.insert(handle.id(), (activity, batch));
        true
    }

    /// A task inside the monitor panicked: the monitor starts it again by itself (the next
    /// round, the next stream); the app logs why.
    async fn panicked(&mut self, task: Task, why: String) -> bool {
        tracing::error!(task = task.name(), %why, "task panicked");
        let at = Timestamp::now();
        self.m.send(MonitorEvent::TaskFailed { task, why, in_a_row: 1, restart_in: Some(Duration::ZERO), at }).await
    }

    /// A data task panicked: free its batch so polling goes on.
    fn lost(&mut self, id: Id) {
        if let Some((activity, batch)) = self.tasks.remove(&id) {
            tracing::error!(?activity, batch, "a polling task ended without an answer");
            self.poller(&activity).in_flight.remove(&batch);
        }
    }

    async fn command(&mut self, cmd: Command) -> bool {
        let now = Instant::now();
        match cmd {
            Command::RefreshNow => {
                if self.batches.is_empty() {
                    self.list.hurry(now);
                    return true;
                }
                for p in [&mut self.live, &mut self.totals] {
                    p.hurry(now);
                }
                // A key press is not polling: it may use the reserve.
                for activity in [Activity::Observations, Activity::Totals] {
                    if self.poller(&activity).backing_off() {
                        continue;
                    }
                    for batch in 0..self.batches.len() {
                        if !self.start(activity.clone(), batch, Priority::Other).await {
                            return false;
                        }
                    }
                }
                true
            }
            Command::FetchMembers(queue_id) => {
                // One detail view at a time asks; a second request for it waits its turn.
                if self.members.len() < 2 {
                    let session = self.m.session.clone();
                    self.members.spawn(async move {
                        let result = queries::queue_members(&session, &queue_id).await.map_err(Box::new);
                        MonitorEvent::Members { queue_id, result, at: Timestamp::now() }
                    });
                }
                true
            }
            Command::InspectToken => {
                if self.inspecting.is_empty() {
                    let session = self.m.session.clone();
                    self.inspecting.spawn(async move {
                        token::inspect(&session).await.ok().map(|r| MonitorEvent::TokenReport(Box::new(r)))
                    });
                }
                true
            }
            // Sign-in commands go to the session directly (see auth_tasks).
            _ => true,
        }
    }

    async fn on_list(&mut self, sent: Instant, result: Result<Listed, ApiError>) -> bool {
        let now = Instant::now();
        self.list.in_flight.clear();
        match result {
            Ok(listed) => {
                // "Today" is the server's day in the org's time zone: the first totals must
                // not be asked for this machine's day (the org may be hours away).
                self.server_clock.learn(listed.meta.as_ref());
                self.list.answered(sent, now);
                self.list.next_due = Some(now + self.tuning.relist_every);
                let first = self.batches.is_empty();
                self.batches = listed.batches;
                if first {
                    // The list's answer has told the server's clock: totals may go at once.
                    self.live.next_due = Some(now);
                    self.totals.next_due = Some(now);
                }
                let ev =
                    MonitorEvent::Queues { queues: listed.queues, unmatched: listed.unmatched, at: Timestamp::now() };
                self.m.send(ev).await && self.pick_source(now).await && self.replan().await
            }
            Err(e) => {
                self.server_clock.learn(e.meta.as_ref());
                let activity = activity_of(&e, Activity::QueueList);
                // Until the first list is in, every failure is retried with backoff (a wall
                // never gives up); later a refusal waits for the next regular listing.
                // An ended session sends nothing: no backoff to climb, just ask again at the live
                // pace (free) so the list comes as soon as the person renews it.
                let ended = auth::is_session_ended(&e);
                let retry = !ended && (e.worth_retrying() || self.batches.is_empty());
                let rate_limited = e.status() == Some(429);
                let retry_after = e.retry_after();
                let failed = MonitorEvent::Failed { activity, error: Box::new(e), at: Timestamp::now() };
                if !self.m.send(failed).await {
                    return false;
                }
                if retry {
                    if let Some(wait) = self.list.failed(sent, retry_after, now) {
                        return self.retrying(Activity::QueueList, wait, rate_limited).await;
                    }
                } else {
                    self.list.answered(sent, now);
                    if ended && self.batches.is_empty() {
                        self.list.next_due = Some(now + self.live.every);
                    }
                }
                true
            }
        }
    }

    async fn on_data(&mut self, done: Done) -> bool {
        let now = Instant::now();
        let at = Timestamp::now();
        let Done { batch, ids, sent, data } = done;
        let (poller_activity, outcome) = match data {
            Data::Live(r) => {
                self.live.in_flight.remove(&batch);
                match r {
                    Ok((numbers, meta)) => {
                        self.server_clock.learn(Some(&meta));
                        (Activity::Observations, Ok(MonitorEvent::Observations { queue_ids: ids, numbers, at }))
                    }
                    Err(e) => (Activity::Observations, Err(e)),
                }
            }
            Data::Totals(r) => {
                self.totals.in_flight.remove(&batch);
                match r {
                    Ok((today, meta)) => {
                        self.server_clock.learn(Some(&meta));
                        (Activity::Totals, Ok(MonitorEvent::Totals { queue_ids: ids, today, at }))
                    }
                    Err(e) => (Activity::Totals, Err(e)),
                }
            }
        };
        let ok = match outcome {
            Ok(ev) => {
                if self.poller(&poller_activity).answered(sent, now) {
                    tracing::info!(activity = ?poller_activity, "recovered");
                }
                self.m.send(ev).await
            }
            Err(e) => {
                self.server_clock.learn(e.meta.as_ref());
                // Not sent (the session ended): keep the pace, which costs nothing and notices at
                // once when the person has renewed it.
                let retry = e.worth_retrying() && !auth::is_session_ended(&e);
                let rate_limited = e.status() == Some(429);
                let retry_after = e.retry_after();
                let failed =
                    MonitorEvent::Failed { activity: activity_of(&e, poller_activity.clone()), error: Box::new(e), at };
                if !self.m.send(failed).await {
                    return false;
                }
                if retry {
                    match self.poller(&poller_activity).failed(sent, retry_after, now) {
                        Some(wait) => self.retrying(poller_activity, wait, rate_limited).await,
                        None => true,
                    }
                } else {
                    self.poller(&poller_activity).answered(sent, now);
                    true
                }
            }
        };
        // A response may have taught the budget a new limit.
        ok && self.replan().await
    }

    async fn retrying(&mut self, activity: Activity, wait: Duration, rate_limited: bool) -> bool {
        let attempt = self.poller(&activity).backoff.attempt;
        tracing::info!(?activity, attempt, wait_ms = wait.as_millis() as u64, rate_limited, "retrying later");
        let next = Timestamp::now().checked_add(wait).unwrap_or_else(|_| Timestamp::now());
        self.m.send(MonitorEvent::Retrying { activity, attempt, next, rate_limited }).await
    }

    /// Stream or poll live numbers, as configured or as the budget demands (`auto`: polling
    /// every queue at the configured refresh would not fit). Totals are polled either way.
    async fn pick_source(&mut self, now: Instant) -> bool {
        let batches = self.batches.len();
        let stream = match self.m.source {
            SourceMode::Poll => false,
            SourceMode::Stream => batches > 0,
            SourceMode::Auto if self.stream_refused_until.is_some_and(|t| now < t) => false,
            SourceMode::Auto => {
                let allowed = self.m.session.budget().allowed();
                self.source_chosen_for = Some(allowed);
                let p = budget::plan(allowed, batches, self.m.refresh, batches, self.m.totals_refresh);
                batches > 0 && p.live_every > self.m.refresh
            }
        };
        if stream {
            let ids: Vec<String> = self.batches.concat();
            if self.streaming.as_ref().is_none_or(|(had, _)| *had != ids) {
                tracing::info!(queues = ids.len(), "live numbers from the notification stream");
                let task = tokio::spawn(stream::run(
                    self.m.session.clone(),
                    ids.clone(),
                    self.m.events.clone(),
                    self.tuning.stream.clone(),
                    self.m.source == SourceMode::Auto,
                ));
                self.streaming = Some((ids, AbortOnDrop(task)));
                self.planned_batches = usize::MAX;
            }
            // The stream carries live numbers: the live poller rests.
            self.live.next_due = None;
            self.live.retry_at = None;
            self.live.backoff.succeed();
            // The stream says `stream` once its first socket is up.
            return true;
        }
        if self.streaming.take().is_some() {
            self.live.next_due = Some(now);
            self.planned_batches = usize::MAX;
        }
        if self.source_told != Some(LiveSource::Poll) {
            self.source_told = Some(LiveSource::Poll);
            return self.m.send(MonitorEvent::Source(LiveSource::Poll)).await;
        }
        true
    }

    /// The stream ended by itself: `auto` could not stream, so poll (within the budget) and
    /// try streaming again later.
    async fn stream_ended(&mut self, reason: Option<String>, now: Instant) -> bool {
        let reason = reason.unwrap_or_else(|| "the notification stream stopped: polling instead".into());
        tracing::warn!(%reason, retry_in_s = STREAM_RETRY_AFTER.as_secs(), "live numbers by polling");
        self.stream_refused_until = Some(now + STREAM_RETRY_AFTER);
        self.pick_source(now).await && self.replan().await
    }

    /// Fit the pollers into the budget; tell the app and the log when the plan changes.
    async fn replan(&mut self) -> bool {
        let allowed = self.m.session.budget().allowed();
        let batches = self.batches.len();
        // A limit learned after `auto` chose (the first answers teach it) may change the choice.
        if self.m.source == SourceMode::Auto
            && !self.batches.is_empty()
            && self.source_chosen_for.is_some_and(|a| a != allowed)
            && !self.pick_source(Instant::now()).await
        {
            return false;
        }
        if self.plan.as_ref().is_some_and(|p| p.allowed == allowed) && !self.batches_changed(batches) {
            return true;
        }
        // While streaming, live numbers cost no polling requests.
        let live_batches = if self.streaming.is_some() { 0 } else { batches };
        let p = budget::plan(allowed, live_batches, self.m.refresh, batches, self.m.totals_refresh);
        let plan =
            PollPlan { live_every: p.live_every, totals_every: p.slow_every, allowed, short: p.short, note: p.note };
        self.planned_batches = batches;
        if self.plan.as_ref() == Some(&plan) {
            return true;
        }
        tracing::info!(
            allowed,
            batches,
            live_every_s = plan.live_every.as_secs_f64(),
            totals_every_s = plan.totals_every.as_secs_f64(),
            note = plan.note.as_deref().unwrap_or("as configured"),
            "polling plan"
        );
        let now = Instant::now();
        self.live.set_every(plan.live_every, now);
        self.totals.set_every(plan.totals_every, now);
        self.plan = Some(plan.clone());
        self.m.send(MonitorEvent::Plan(plan)).await
    }

    fn batches_changed(&self, batches: usize) -> bool {
        self.planned_batches != batches
    }

    /// The budget's use, when it changed.
    async fn report(&mut self) -> bool {
        let budget = self.m.session.budget();
        let u = budget.usage();
        let resume = budget.poll_wait().map(|w| {
            // Whole seconds: the header counts down in seconds, and an unchanged estimate
            // is not news.
            let secs = w.as_millis().div_ceil(1000) as u64;
            Timestamp::now().checked_add(Duration::from_secs(secs)).unwrap_or_else(|_| Timestamp::now())
        });
        let key = (u, resume.map(jiff::Timestamp::as_second));
        if self.reported == Some(key) {
            return true;
        }
        self.reported = Some(key);
        // The limit may have been learned from a response nobody here saw (sign-in, detail).
        self.replan().await && self.m.send(MonitorEvent::Budget { usage: u, resume }).await
    }
}

async fn wait_until(t: Option<Instant>) {
    match t {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn forward_auth(session: Arc<Session>, events: mpsc::Sender<Event>) {
    let mut rx = session.status();
    loop {
        let status = rx.borrow_and_update().clone();
        if events.send(Event::Monitor(MonitorEvent::Auth(Box::new(status)))).await.is_err() {
            return;
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poller() -> Poller {
        let tuning =
            Tuning { backoff_base: Duration::from_secs(1), backoff_cap: Duration::from_secs(8), ..Default::default() };
        Poller::new(Duration::from_secs(1), &tuning)
    }

    #[tokio::test(start_paused = true)]
    async fn a_wave_of_failures_is_one_attempt_and_the_retry_is_one_request() {
        let mut p = poller();
        let t0 = Instant::now();
        p.next_due = Some(t0);
        assert_eq!(p.due(3, t0), vec![0, 1, 2]);
        let now = t0 + Duration::from_millis(100);
        let wait = p.failed(t0, None, now).expect("a new attempt");
        assert!(p.failed(t0, None, now).is_none(), "the same wave");
        assert!(p.failed(t0, None, now + Duration::from_millis(5)).is_none());
        assert_eq!(p.backoff.attempt, 1);
        assert!(p.due(3, now).is_empty(), "nothing before the retry");
        let retry = now + wait;
        assert_eq!(p.due(3, retry).len(), 1, "one request, not a burst");
        assert!(p.due(3, retry + Duration::from_secs(30)).is_empty(), "waits for that one's answer");
        let wait2 = p.failed(retry, None, retry + Duration::from_millis(10)).unwrap();
        assert_eq!(p.backoff.attempt, 2);
        assert!(wait2 <= Duration::from_secs(2));
        assert!(!p.answered(t0, retry), "an old request's answer does not end the backoff");
        let later = retry + wait2;
        p.due(3, later);
        assert!(p.answered(later, later));
        assert_eq!(p.due(3, later), vec![0, 1, 2], "the regular round resumes at once");
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_wins_over_the_backoff() {
        let mut p = poller();
        let now = Instant::now();
        assert_eq!(p.failed(now, Some(Duration::from_secs(42)), now), Some(Duration::from_secs(42)));
        assert_eq!(p.wake(), Some(now + Duration::from_secs(42)));
    }

    #[tokio::test(start_paused = true)]
    async fn missed_rounds_are_skipped_not_made_up() {
        let mut p = poller();
        let t0 = Instant::now();
        p.next_due = Some(t0);
        p.due(1, t0);
        let late = t0 + Duration::from_secs(10);
        assert_eq!(p.due(1, late), vec![0]);
        assert_eq!(p.next_due, Some(late + Duration::from_secs(1)));
        assert!(p.due(1, late).is_empty());
    }

    #[test]
    fn sign_in_trouble_and_401_back_off_refusals_do_not() {
        use genesys::client::{ErrorKind, Request};
        let e = |id, status| ApiError {
            request: Request::new(id).line(),
            kind: ErrorKind::Api { status, body: None, raw: String::new() },
            meta: None,
        };
        assert!(e(EndpointId::QueueObservations, 503).worth_retrying());
        assert!(e(EndpointId::QueueObservations, 429).worth_retrying());
        assert!(e(EndpointId::QueueObservations, 401).worth_retrying());
        assert!(e(EndpointId::OAuthToken, 400).worth_retrying());
        assert!(!e(EndpointId::QueueObservations, 403).worth_retrying());
        assert!(!e(EndpointId::QueueObservations, 400).worth_retrying());
    }
}
