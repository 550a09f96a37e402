//! The pollers: sign in, resolve the queue list, then poll live observations every
//! `refresh` and today's totals every `totals_refresh`, one request per batch of queues,
//! never two in flight for the same batch of the same poller.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval, interval_at, sleep_until};

use crate::event::{Activity, Command, Event, MonitorEvent, QueueInfo};
use crate::genesys::aggregates::{self, TodayById};
use crate::genesys::auth::Session;
use crate::genesys::catalog::EndpointId;
use crate::genesys::client::{ApiError, ResponseMeta};
use crate::genesys::models::Queue;
use crate::genesys::queries::{self, OBSERVATION_BATCH, Selector};

/// How often the queue list is fetched again (new queues, renamed, moved divisions).
pub const QUEUE_LIST_EVERY: Duration = Duration::from_secs(300);

pub struct Monitor {
    pub session: Arc<Session>,
    pub refresh: Duration,
    /// How often today's totals are fetched.
    pub totals_refresh: Duration,
    /// The org's time zone: where "today" starts.
    pub timezone: jiff::tz::TimeZone,
    pub selectors: Vec<Selector>,
    pub events: mpsc::Sender<Event>,
}

type PollResult = (usize, Vec<String>, Result<(queries::QueueNumbersById, ResponseMeta), ApiError>);
type TotalsResult = (usize, Vec<String>, Result<(TodayById, ResponseMeta), ApiError>);

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

impl Monitor {
    /// Run until the UI goes away or a Quit command arrives.
    pub async fn run(self, mut commands: mpsc::Receiver<Command>) {
        let mut background = JoinSet::new();
        background.spawn(forward_auth(self.session.clone(), self.events.clone()));

        // Sign in and load the queue list, retrying (a wall never gives up).
        let mut attempt = 0u32;
        let mut batches = loop {
            match self.load_queues().await {
                Ok(b) => break b,
                Err(e) => {
                    attempt += 1;
                    let activity = activity_of(&e, Activity::QueueList);
                    let wait = e.retry_after().unwrap_or_else(|| backoff(attempt));
                    if !self.send(MonitorEvent::Failed { activity, error: Box::new(e), at: Timestamp::now() }).await {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        cmd = commands.recv() => match cmd {
                            Some(Command::FetchMembers(id)) => self.fetch_members(id),
                            Some(Command::Quit) | None => return,
                            // "Try now" while the first load keeps failing. Sign-in commands
                            // go to the session directly (see auth_tasks).
                            Some(_) => {}
                        },
                    }
                }
            }
        };

        let mut ticker = interval(self.refresh);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut relist = interval(QUEUE_LIST_EVERY);
        relist.set_missed_tick_behavior(MissedTickBehavior::Skip);
        relist.tick().await;
        let mut in_flight: HashSet<usize> = HashSet::new();
        let mut polls: JoinSet<PollResult> = JoinSet::new();
        // The first totals wait for the first observations, so "today" is the server's day.
        let mut totals_ticker =
            interval_at(Instant::now() + self.refresh.min(self.totals_refresh), self.totals_refresh);
        totals_ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
        let mut totals_in_flight: HashSet<usize> = HashSet::new();
        let mut totals: JoinSet<TotalsResult> = JoinSet::new();
        let mut server_clock = ServerClock::default();
        let mut lists: JoinSet<Result<Vec<Vec<String>>, ApiError>> = JoinSet::new();
        let mut paused_until: Option<Instant> = None;

        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    if !self.poll_all(&batches, &mut in_flight, &mut polls, paused_until).await { return; }
                }
                _ = totals_ticker.tick() => {
                    if paused_until.is_none_or(|t| t <= Instant::now()) {
                        self.totals_all(&batches, &mut totals_in_flight, &mut totals, server_clock.now());
                    }
                }
                cmd = commands.recv() => match cmd {
                    Some(Command::RefreshNow) => {
                        paused_until = None;
                        if !self.poll_all(&batches, &mut in_flight, &mut polls, None).await { return; }
                        self.totals_all(&batches, &mut totals_in_flight, &mut totals, server_clock.now());
                    }
                    Some(Command::FetchMembers(id)) => self.fetch_members(id),
                    // Owned by the sign-in work (Session::reauthenticate); not wired on this branch.
                    Some(Command::ReAuth) => {}
                    Some(Command::Quit) | None => return,
                    Some(_) => {}
                },
                Some(done) = totals.join_next(), if !totals.is_empty() => {
                    let Ok((batch, ids, result)) = done else { continue };
                    totals_in_flight.remove(&batch);
                    let at = Timestamp::now();
                    let ev = match result {
                        Ok((today, meta)) => {
                            server_clock.learn(Some(&meta));
                            MonitorEvent::Totals { queue_ids: ids, today, at }
                        }
                        Err(e) => {
                            server_clock.learn(e.meta.as_ref());
                            if let Some(wait) = e.retry_after() {
                                paused_until = Some(Instant::now() + wait);
                            }
                            MonitorEvent::Failed { activity: activity_of(&e, Activity::Totals), error: Box::new(e), at }
                        }
                    };
                    if !self.send(ev).await { return; }
                }
                Some(done) = polls.join_next(), if !polls.is_empty() => {
                    let Ok((batch, ids, result)) = done else { continue };
                    in_flight.remove(&batch);
                    let at = Timestamp::now();
                    let ev = match result {
                        Ok((numbers, meta)) => {
                            server_clock.learn(Some(&meta));
                            if let Some(rate) = meta.rate && !self.send(MonitorEvent::Rate { rate, at }).await {
                                return;
                            }
                            MonitorEvent::Observations { queue_ids: ids, numbers, at }
                        }
                        Err(e) => {
                            server_clock.learn(e.meta.as_ref());
                            if let Some(wait) = e.retry_after() {
                                paused_until = Some(Instant::now() + wait);
                            }
                            if let Some(rate) = e.meta.as_ref().and_then(|m| m.rate) && !self.send(MonitorEvent::Rate { rate, at }).await {
                                return;
                            }
                            MonitorEvent::Failed { activity: activity_of(&e, Activity::Observations), error: Box::new(e), at }
                        }
                    };
                    if !self.send(ev).await { return; }
                }
                _ = relist.tick() => {
                    if lists.is_empty() {
                        let me = self.clone_for_task();
                        lists.spawn(async move { me.load_queues().await });
                    }
                }
                Some(done) = lists.join_next(), if !lists.is_empty() => {
                    match done {
                        Ok(Ok(b)) => batches = b,
                        Ok(Err(e)) => {
                            let activity = activity_of(&e, Activity::QueueList);
                            if !self.send(MonitorEvent::Failed { activity, error: Box::new(e), at: Timestamp::now() }).await { return; }
                        }
                        Err(_) => {}
                    }
                }
                _ = wait_until(paused_until), if paused_until.is_some() => paused_until = None,
            }
        }
    }

    fn clone_for_task(&self) -> Monitor {
        Monitor {
            session: self.session.clone(),
            refresh: self.refresh,
            totals_refresh: self.totals_refresh,
            timezone: self.timezone.clone(),
            selectors: self.selectors.clone(),
            events: self.events.clone(),
        }
    }

    /// Fetch one queue's members on demand (queue detail); the answer comes back as an event.
    /// Runs on its own so a slow members call never holds up the live numbers.
    fn fetch_members(&self, queue_id: String) {
        let session = self.session.clone();
        let events = self.events.clone();
        tokio::spawn(async move {
            let result = queries::queue_members(&session, &queue_id).await.map_err(Box::new);
            let ev = MonitorEvent::Members { queue_id, result, at: Timestamp::now() };
            let _ = events.send(Event::Monitor(ev)).await;
        });
    }

    async fn send(&self, ev: MonitorEvent) -> bool {
        self.events.send(Event::Monitor(ev)).await.is_ok()
    }

    /// Fetch and resolve the queue list; tell the UI; return the id batches to poll.
    async fn load_queues(&self) -> Result<Vec<Vec<String>>, ApiError> {
        let (all, meta) = queries::list_queues(&self.session).await?;
        let (picked, unmatched) = queries::select_queues(all, &self.selectors);
        let infos: Vec<QueueInfo> = picked.iter().map(queue_info).collect();
        let batches = infos.chunks(OBSERVATION_BATCH).map(|c| c.iter().map(|q| q.id.clone()).collect()).collect();
        let at = Timestamp::now();
        if let Some(rate) = meta.and_then(|m| m.rate) {
            self.send(MonitorEvent::Rate { rate, at }).await;
        }
        self.send(MonitorEvent::Queues { queues: infos, unmatched, at }).await;
        Ok(batches)
    }

    /// Start a request for every batch not already in flight; report the others as skipped.
    async fn poll_all(
        &self,
        batches: &[Vec<String>],
        in_flight: &mut HashSet<usize>,
        polls: &mut JoinSet<PollResult>,
        paused_until: Option<Instant>,
    ) -> bool {
        if paused_until.is_some_and(|t| t > Instant::now()) {
            return true;
        }
        for (i, ids) in batches.iter().enumerate() {
            if ids.is_empty() {
                continue;
            }
            if in_flight.contains(&i) {
                if !self.send(MonitorEvent::Skipped { batch: i, at: Timestamp::now() }).await {
                    return false;
                }
                continue;
            }
            in_flight.insert(i);
            let session = self.session.clone();
            let ids = ids.clone();
            polls.spawn(async move {
                let r = queries::observe(&session, &ids)
                    .await
                    .map(|(resp, meta)| (queries::parse_observations(&resp), meta));
                (i, ids, r)
            });
        }
        true
    }
}

impl Monitor {
    /// Start a totals request for every batch not already waiting for one. A batch still in
    /// flight is simply left alone: totals are slow-moving, a skipped tick costs nothing.
    fn totals_all(
        &self,
        batches: &[Vec<String>],
        in_flight: &mut HashSet<usize>,
        tasks: &mut JoinSet<TotalsResult>,
        server_now: Timestamp,
    ) {
        let interval = aggregates::today_interval(server_now, &self.timezone);
        for (i, ids) in batches.iter().enumerate() {
            if ids.is_empty() || !in_flight.insert(i) {
                continue;
            }
            let session = self.session.clone();
            let (ids, interval) = (ids.clone(), interval.clone());
            tasks.spawn(async move {
                let r = aggregates::today(&session, &ids, interval).await;
                (i, ids, r)
            });
        }
    }
}

async fn wait_until(t: Option<Instant>) {
    match t {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// 1 s, 2 s, 4 s … capped at 60 s.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(Duration::from_secs(60))
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

    #[test]
    fn backoff_doubles_and_caps() {
        let secs: Vec<u64> = (1..=9).map(|a| backoff(a).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
