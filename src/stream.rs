//! Live numbers from the Notifications API instead of polling: one channel per 1 000 queues
//! (at most 20), each subscribed to its queues' observation topics.
//!
//! Each channel runs as a lane: open, subscribe, connect, then one observations query once the
//! socket proves alive (so the table is right at once, and again after every reconnect), then
//! read events. No message for `heartbeat_timeout` means the socket is dead: reconnect with
//! backoff. Before the channel expires a new one is opened, subscribed and connected, and only
//! then is the old one dropped, so events never stop. Events from all lanes are folded into per-queue
//! groups and sent to the app as the poller's `MonitorEvent::Observations`, at most once per
//! `coalesce`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::backoff::Backoff;
use crate::budget::Priority;
use crate::event::{Activity, Event, LiveSource, MonitorEvent};
use crate::genesys::auth::Session;
use crate::genesys::client::ApiError;
use crate::genesys::models::ObservationResult;
use crate::genesys::notifications::{self as notif, MAX_CHANNELS, SocketMessage, TOPICS_PER_CHANNEL};
use crate::genesys::queries::{self, OBSERVATION_BATCH, QueueNumbers};

#[derive(Debug, Clone)]
pub struct StreamTuning {
    /// Silence (no heartbeat, no event) this long means the socket is dead. Genesys sends a
    /// heartbeat about every 30 s.
    pub heartbeat_timeout: Duration,
    /// Open the next channel this long before the current one expires.
    pub rollover_before: Duration,
    /// At most one batch of numbers to the app per this.
    pub coalesce: Duration,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

impl Default for StreamTuning {
    fn default() -> Self {
        StreamTuning {
            heartbeat_timeout: Duration::from_secs(65),
            rollover_before: Duration::from_secs(600),
            coalesce: Duration::from_secs(1),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

enum Update {
    /// One queue's numbers for one media type (or its users group), read off an event.
    Group(Part),
    /// A resync answer for these queues: it replaces what the events said of them.
    Resync(Vec<String>, Vec<Part>),
    Up(usize, bool),
    Failed(Activity, ApiError),
    /// This queue's topic was refused: the stream carries nothing for it.
    Refused(String),
}

/// How long a new socket must stay open (if it says nothing) before the resync query.
const RESYNC_GRACE: Duration = Duration::from_secs(2);

/// Attempts a lane makes to bring its first socket up before `auto` gives streaming up.
pub const FIRST_CONNECT_TRIES: u32 = 3;

/// A result folded into numbers as soon as it is read: a thousand queues' events a second
/// are kept as a few hundred bytes each, not as the JSON-shaped results they came in.
struct Part {
    queue: String,
    media: Option<String>,
    numbers: QueueNumbers,
}

impl Part {
    fn of(r: &ObservationResult) -> Option<Part> {
        let mut numbers = QueueNumbers::default();
        queries::fold_result(&mut numbers, r);
        Some(Part { queue: r.group.get("queueId")?.clone(), media: r.group.get("mediaType").cloned(), numbers })
    }
}

/// Stream `queue_ids` until the task is dropped. With `may_give_up` (source `auto`), a lane
/// that cannot bring its first socket up — the API refuses the channel (no `notifications`
/// scope, the channel limit), or the socket never connects (a proxy without WebSockets) —
/// ends the stream with the reason, so the monitor can poll instead of showing nothing.
pub async fn run(
    session: Arc<Session>,
    queue_ids: Vec<String>,
    events: mpsc::Sender<Event>,
    tuning: StreamTuning,
    may_give_up: bool,
) -> Option<String> {
    let (tx, mut rx) = mpsc::channel::<Update>(1024);
    let mut lanes = JoinSet::new();
    let chunks: Vec<Vec<String>> = queue_ids.chunks(TOPICS_PER_CHANNEL).map(<[String]>::to_vec).collect();
    if chunks.len() > MAX_CHANNELS {
        tracing::warn!(
            queues = queue_ids.len(),
            streamed = MAX_CHANNELS * TOPICS_PER_CHANNEL,
            "more queues than 20 channels carry; the rest get no live numbers"
        );
    }
    for (i, ids) in chunks.into_iter().take(MAX_CHANNELS).enumerate() {
        lanes.spawn(lane(i, session.clone(), ids, tx.clone(), tuning.clone(), may_give_up));
    }
    drop(tx);
    let send = |ev: MonitorEvent| {
        let events = events.clone();
        async move { events.send(Event::Monitor(ev)).await.is_ok() }
    };
    let mut groups: HashMap<String, BTreeMap<Option<String>, QueueNumbers>> = HashMap::new();
    let mut dirty: BTreeSet<String> = BTreeSet::new();
    let mut up: HashMap<usize, bool> = HashMap::new();
    // What a whole batch carries: the streamed queues whose topics were not refused.
    let mut carried: Vec<String> = queue_ids.iter().take(MAX_CHANNELS * TOPICS_PER_CHANNEL).cloned().collect();
    let mut shown: Option<LiveSource> = None;
    let mut flush = tokio::time::interval(tuning.coalesce);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            Some(Ok(Some(reason))) = lanes.join_next(), if !lanes.is_empty() => {
                // The refusal that made the lane give up is still queued: it must reach the
                // error log, or the switch to polling would go unexplained.
                while let Ok(u) = rx.try_recv() {
                    if let Update::Failed(activity, e) = u {
                        send(MonitorEvent::Failed { activity, error: Box::new(e), at: Timestamp::now() }).await;
                    }
                }
                return Some(reason);
            }
            u = rx.recv() => match u {
                None => return None,
                Some(Update::Group(p)) => {
                    if !dirty.contains(&p.queue) {
                        dirty.insert(p.queue.clone());
                    }
                    groups.entry(p.queue).or_default().insert(p.media, p.numbers);
                }
                Some(Update::Resync(ids, parts)) => {
                    for q in &ids {
                        groups.remove(q);
                    }
                    for p in parts {
                        groups.entry(p.queue).or_default().insert(p.media, p.numbers);
                    }
                    dirty.extend(ids);
                }
                Some(Update::Up(lane, is_up)) => {
                    up.insert(lane, is_up);
                    let now = if up.values().all(|u| *u) { LiveSource::Stream } else { LiveSource::StreamReconnecting };
                    if shown != Some(now) {
                        shown = Some(now);
                        if !send(MonitorEvent::Source(now)).await {
                            return None;
                        }
                    }
                }
                Some(Update::Refused(q)) => carried.retain(|c| *c != q),
                Some(Update::Failed(activity, e)) => {
                    if !send(MonitorEvent::Failed { activity, error: Box::new(e), at: Timestamp::now() }).await {
                        return None;
                    }
                }
            },
            _ = flush.tick() => {
                // Events come on change only: while every socket is up, what we hold is current
                // for every queue, so all of them are sent (else unchanged rows would age as
                // if stale). While one is down, only what changed.
                let all_up = !up.is_empty() && up.values().all(|u| *u);
                if dirty.is_empty() && !all_up {
                    continue;
                }
                let ids: Vec<String> = if all_up {
                    dirty.clear();
                    carried.clone()
                } else {
                    std::mem::take(&mut dirty).into_iter().collect()
                };
                if ids.is_empty() {
                    continue;
                }
                let numbers = ids
                    .iter()
                    .filter_map(|q| {
                        let parts = groups.get(q)?;
                        let mut n = QueueNumbers::default();
                        parts.values().for_each(|p| n.merge(p));
                        Some((q.clone(), n))
                    })
                    .collect();
                if !send(MonitorEvent::Observations { queue_ids: ids, numbers, at: Timestamp::now() }).await {
                    return None;
                }
            }
        }
    }
}

/// A channel subscribed and connected.
struct Open {
    socket: notif::Socket,
    /// When to open the next one.
    rollover_at: Instant,
}

/// Ends only when giving up is allowed and the first socket cannot be had: the reason.
async fn lane(
    i: usize,
    session: Arc<Session>,
    ids: Vec<String>,
    tx: mpsc::Sender<Update>,
    tuning: StreamTuning,
    may_give_up: bool,
) -> Option<String> {
    let mut backoff = Backoff::new(tuning.backoff_base, tuning.backoff_cap);
    let mut ever_up = false;
    let mut tries = 0;
    // Each refused queue is logged once, not again on every reconnect.
    let mut refused: HashSet<String> = HashSet::new();
    loop {
        let retry_after = match open(&session, &ids, &tx, &tuning, &mut refused).await {
            Ok(mut conn) => {
                ever_up = true;
                if tx.send(Update::Up(i, true)).await.is_err() {
                    return None;
                }
                let heard = read(&session, &ids, &tx, &tuning, &mut refused, &mut conn).await;
                let _ = conn.socket.close(None).await;
                // Only a socket that carried something counts as a recovery: one closed as
                // soon as it opens must not be reopened (and resynced) every second.
                if heard {
                    backoff.succeed();
                }
                None
            }
            Err(e) => {
                tries += 1;
                let after = e.retry_after();
                let give_up = may_give_up && !ever_up && (!e.worth_retrying() || tries >= FIRST_CONNECT_TRIES);
                let reason = give_up.then(|| format!("streaming unavailable ({}): polling instead", e.summary()));
                if tx.send(Update::Failed(Activity::Observations, e)).await.is_err() {
                    return None;
                }
                if reason.is_some() {
                    return reason;
                }
                after
            }
        };
        if tx.send(Update::Up(i, false)).await.is_err() {
            return None;
        }
        let wait = backoff.fail(retry_after, &mut rand::rng());
        tracing::info!(lane = i, wait_ms = wait.as_millis() as u64, "notification socket down; reconnecting");
        tokio::time::sleep(wait).await;
    }
}

/// Read events until the socket dies; roll over to a fresh channel before this one expires.
/// Returns whether any message arrived.
async fn read(
    session: &Session,
    ids: &[String],
    tx: &mpsc::Sender<Update>,
    tuning: &StreamTuning,
    refused: &mut HashSet<String>,
    conn: &mut Open,
) -> bool {
    let mut heard = false;
    // The resync waits for the socket to prove itself (its first message, or a moment
    // without closing): a socket dropped as it opens must not cost a query per 100 queues
    // on every try.
    let mut resync_at = Some(Instant::now() + RESYNC_GRACE);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(resync_at.unwrap_or_else(Instant::now)), if resync_at.is_some() => {
                resync_at = None;
                resync(session, ids, tx).await;
            }
            msg = tokio::time::timeout(tuning.heartbeat_timeout, conn.socket.next()) => {
                let text = match msg {
                    Err(_) => {
                        tracing::warn!("no heartbeat from the notification socket; reconnecting");
                        return heard;
                    }
                    Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return heard,
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                };
                heard = true;
                if resync_at.take().is_some() {
                    resync(session, ids, tx).await;
                }
                if let SocketMessage::Observation(r) = notif::parse_message(text.as_str())
                    && let Some(part) = Part::of(&r)
                    && tx.send(Update::Group(part)).await.is_err()
                {
                    return heard;
                }
            }
            _ = tokio::time::sleep_until(conn.rollover_at) => {
                match open(session, ids, tx, tuning, refused).await {
                    Ok(next) => {
                        tracing::info!("notification channel rolled over");
                        let mut old = std::mem::replace(conn, next);
                        let _ = old.socket.close(None).await;
                        resync(session, ids, tx).await;
                    }
                    Err(e) => {
                        // Keep the old channel while it lasts and try again shortly.
                        conn.rollover_at = Instant::now() + tuning.backoff_base.max(Duration::from_secs(1));
                        let _ = tx.send(Update::Failed(Activity::Observations, e)).await;
                    }
                }
            }
        }
    }
}

async fn open(
    session: &Session,
    ids: &[String],
    tx: &mpsc::Sender<Update>,
    tuning: &StreamTuning,
    refused: &mut HashSet<String>,
) -> Result<Open, ApiError> {
    let (channel, meta) = notif::create_channel(session).await?;
    for (queue, e) in notif::subscribe(session, &channel.id, ids).await? {
        if refused.insert(queue.clone()) {
            let _ = tx.send(Update::Refused(queue)).await;
            let _ = tx.send(Update::Failed(Activity::Observations, e)).await;
        }
    }
    let socket = match tokio::time::timeout(Duration::from_secs(10), notif::connect(&channel.connect_uri)).await {
        Ok(Ok(s)) => s,
        Ok(Err(detail)) => return Err(socket_error(&channel.id, detail)),
        Err(_) => return Err(socket_error(&channel.id, "timed out".into())),
    };
    // The server's own clock dates `expires`; `Date` has whole seconds, so keep a second spare.
    let left = match (channel.expires, meta.server_date) {
        (Some(exp), Some(server)) => exp.duration_since(server).unsigned_abs(),
        (Some(exp), None) => exp.duration_since(Timestamp::now()).unsigned_abs(),
        _ => Duration::from_secs(24 * 3600),
    };
    let lead = tuning.rollover_before.min(left / 5) + Duration::from_secs(1);
    let rollover_at = Instant::now() + left.saturating_sub(lead).max(Duration::from_secs(1));
    Ok(Open { socket, rollover_at })
}

fn socket_error(channel: &str, detail: String) -> ApiError {
    use crate::genesys::catalog::EndpointId;
    use crate::genesys::client::{ErrorKind, Request};
    ApiError {
        request: Request::with_params(EndpointId::NotificationSubscriptions, &[channel]).line(),
        kind: ErrorKind::Connect { detail: format!("notification socket: {detail}") },
        meta: None,
    }
}

/// One observations query for the lane's queues, so the table is whole after a (re)connect.
async fn resync(session: &Session, ids: &[String], tx: &mpsc::Sender<Update>) {
    for batch in ids.chunks(OBSERVATION_BATCH) {
        let update = match queries::observe_as(session, batch, Priority::Poll).await {
            Ok((resp, _)) => Update::Resync(batch.to_vec(), resp.results.iter().filter_map(Part::of).collect()),
            Err(e) => Update::Failed(Activity::Observations, e),
        };
        if tx.send(update).await.is_err() {
            return;
        }
    }
}
