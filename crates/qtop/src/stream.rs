//! Live numbers from the Notifications API instead of polling: one channel per 1 000 queues
//! (at most 20), each subscribed to its queues' observation topics.
//!
//! Each channel runs as a lane: open and subscribe a channel, connect its socket, then one
//! observations query once the socket proves alive (so the picture is whole, and again after
//! every reconnect), then read events. No message for `heartbeat_timeout` means the socket is
//! dead: reconnect with backoff, to the same channel (its subscriptions stay): a user+app holds
//! at most 20 channels and a 21st removes the least recently used, so a channel per reconnect
//! would evict other tools' channels (or another qtop's). A new channel is opened only when the
//! old one is gone. Before the channel expires a new one is opened, subscribed and connected,
//! and only then is the old one dropped, so events never stop.
//!
//! An event carries only the metrics that changed: each is folded into what is held, metric by
//! metric. The app gets, at most once per `coalesce`, the numbers of every queue whose picture
//! is complete (its resync query answered on a socket that is still up): a queue left out of
//! a batch simply ages on screen, it is never blanked.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::event::{Activity, Event, LiveSource, MonitorEvent};
use genesys::auth::Session;
use genesys::backoff::Backoff;
use genesys::budget::Priority;
use genesys::client::{ApiError, ErrorKind};
use genesys::models::ObservationResult;
use genesys::notifications::{self as notif, MAX_CHANNELS, SocketMessage, TOPICS_PER_CHANNEL};
use genesys::queries::{self, GroupObs, OBSERVATION_BATCH, QueueNumbers};

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
    /// What one event says of one queue's group: only what changed.
    Event(Part),
    /// A resync answer for these queues, asked by this lane: the whole picture of them.
    Resync(usize, Vec<String>, Vec<Part>),
    Up(usize, bool),
    Failed(Activity, ApiError),
    /// This queue's topic was refused: the stream carries nothing for it.
    Refused(String),
}

/// How long a new socket must stay open (if it says nothing) before the resync query.
const RESYNC_GRACE: Duration = Duration::from_secs(2);

/// Attempts a lane makes to bring its first socket up before `auto` gives streaming up.
pub const FIRST_CONNECT_TRIES: u32 = 3;

/// Sockets in a row on one channel that fail to connect or close without a word before the
/// channel is taken for gone and a new one opened. How the streaming host treats a socket of
/// a removed channel is UNCONFIRMED (a refused upgrade, or one accepted and closed): this
/// covers the second; a 404 on a channel that worked is taken as gone at once.
const STRIKES: u32 = 3;

/// A result read as soon as it arrives: a thousand queues' events a second are kept as a
/// few dozen bytes each, not as the JSON-shaped results they came in.
struct Part {
    queue: String,
    media: Option<String>,
    obs: GroupObs,
}

impl Part {
    fn of(r: &ObservationResult) -> Option<Part> {
        Some(Part {
            queue: r.group.get("queueId")?.clone(),
            media: r.group.get("mediaType").cloned(),
            obs: GroupObs::read(r),
        })
    }
}

/// What the stream holds of one result group.
struct Group {
    obs: GroupObs,
    /// When the longest wait held was reported. It is a duration as of that moment, and
    /// whether a real org sends it again every second or only when the longest-waiting
    /// conversation changes is UNCONFIRMED: so the time since is added when it is sent on.
    longest_at: Instant,
}

/// What the stream holds of its queues: per queue and result group (media type, or none),
/// the last word on each metric.
#[derive(Default)]
struct Held {
    groups: HashMap<String, BTreeMap<Option<String>, Group>>,
    /// Queues whose picture is complete: a resync answer, and every event since, on a socket
    /// that is still up. Only these are sent to the app.
    synced: HashSet<String>,
}

impl Held {
    /// A query answer is a full picture: it replaces what is held of these queues (a group
    /// it leaves out had nothing to report).
    fn resync(&mut self, ids: &[String], parts: Vec<Part>, at: Instant) {
        for q in ids {
            self.groups.remove(q);
        }
        for p in parts {
            self.groups.entry(p.queue).or_default().insert(p.media, Group { obs: p.obs, longest_at: at });
        }
        self.synced.extend(ids.iter().cloned());
    }

    /// An event is a delta: what it reports replaces what is held; what it leaves out is
    /// unchanged (not zero, not unknown).
    fn event(&mut self, p: Part, at: Instant) {
        let held = self.groups.entry(p.queue).or_default();
        let g = held.entry(p.media).or_insert_with(|| Group { obs: GroupObs::default(), longest_at: at });
        if p.obs.longest_waiting_ms.is_some() {
            g.longest_at = at;
        }
        g.obs.apply(&p.obs);
    }

    fn unsync(&mut self, ids: &[String]) {
        for q in ids {
            self.synced.remove(q);
        }
    }

    fn numbers(&self, queue: &str, now: Instant) -> Option<QueueNumbers> {
        let groups = self.groups.get(queue)?;
        Some(queries::combine(groups.iter().map(|(media, g)| {
            let mut n = g.obs.numbers();
            if let Some(ms) = &mut n.longest_waiting_ms
                && *ms > 0
                && n.waiting != Some(0)
            {
                *ms += now.saturating_duration_since(g.longest_at).as_millis() as u64;
            }
            (media.is_some(), n)
        })))
    }
}

/// Stream `queue_ids` until the task is dropped. With `may_give_up` (source `auto`), a lane
/// that cannot bring its first socket up — the API refuses the channel (no `notifications`
/// scope), or the socket never connects (a proxy without WebSockets) — ends the stream with
/// the reason, so the monitor can poll instead of showing nothing.
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
    let lane_ids: Vec<Vec<String>> = chunks.into_iter().take(MAX_CHANNELS).collect();
    for (i, ids) in lane_ids.iter().enumerate() {
        lanes.spawn(lane(i, session.clone(), ids.clone(), tx.clone(), tuning.clone(), may_give_up));
    }
    drop(tx);
    let send = |ev: MonitorEvent| {
        let events = events.clone();
        async move { events.send(Event::Monitor(ev)).await.is_ok() }
    };
    let mut held = Held::default();
    let mut up: HashMap<usize, bool> = HashMap::new();
    // The streamed queues whose topics were not refused.
    let mut carried: Vec<String> = lane_ids.concat();
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
                Some(Update::Event(p)) => held.event(p, Instant::now()),
                Some(Update::Resync(lane, ids, parts)) => {
                    held.resync(&ids, parts, Instant::now());
                    // Answered after its socket went down: whole, but no longer kept current.
                    if up.get(&lane) != Some(&true) {
                        held.unsync(&ids);
                    }
                }
                Some(Update::Up(lane, is_up)) => {
                    up.insert(lane, is_up);
                    if !is_up {
                        // Events may be missed until the next socket's resync answers.
                        held.unsync(&lane_ids[lane]);
                    }
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
                // Events come on change only: what is held of a synced queue is current, so
                // every synced queue is sent (else unchanged rows would age as if stale). The
                // rest are left out, to age on screen: naming a queue says "these numbers are
                // current", and a queue without a complete picture would be blanked.
                let ids: Vec<String> = carried.iter().filter(|q| held.synced.contains(*q)).cloned().collect();
                if ids.is_empty() {
                    continue;
                }
                let now = Instant::now();
                let numbers = ids.iter().filter_map(|q| Some((q.clone(), held.numbers(q, now)?))).collect();
                if !send(MonitorEvent::Observations { queue_ids: ids, numbers, at: Timestamp::now() }).await {
                    return None;
                }
            }
        }
    }
}

/// The channel a lane holds, kept across reconnects.
struct Channel {
    id: String,
    connect_uri: String,
    /// When to open the next one.
    rollover_at: Instant,
    /// A socket on it has carried something: a 404 now means it is gone.
    worked: bool,
    /// Sockets in a row that failed or closed without a word.
    strikes: u32,
}

/// How a socket's reading ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Closed or silent after carrying something.
    Heard,
    /// Closed before it said anything.
    Silent,
    /// The service said `v2.system.socket_closing`: reconnect at once.
    Closing,
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
    // Each refused queue is logged once, not again on every new channel.
    let mut refused: HashSet<String> = HashSet::new();
    let mut held: Option<Channel> = None;
    // socket_closing messages since the last socket that ended otherwise: only the first
    // reconnects at once, so a service that says it on every new socket is not hammered.
    let mut closings = 0;
    loop {
        // A failure to report (and count against a first connection), with the server's wait.
        let mut failure: Option<ApiError> = None;
        let mut at_once = false;
        let channel = match held.take() {
            Some(c) => Some(c),
            None => match open_channel(&session, &ids, &tx, &tuning, &mut refused).await {
                Ok(c) => Some(c),
                Err(e) => {
                    failure = Some(e);
                    None
                }
            },
        };
        if let Some(mut channel) = channel {
            match connect(&channel).await {
                Ok(mut socket) => {
                    ever_up = true;
                    if tx.send(Update::Up(i, true)).await.is_err() {
                        return None;
                    }
                    let end = read(i, &session, &ids, &tx, &tuning, &mut refused, &mut channel, &mut socket).await;
                    let _ = socket.close(None).await;
                    match end {
                        // Only a socket that carried something counts as a recovery: one closed
                        // as soon as it opens must not be reopened (and resynced) every second.
                        End::Heard => {
                            backoff.succeed();
                            channel.worked = true;
                            channel.strikes = 0;
                            closings = 0;
                        }
                        End::Closing => {
                            channel.worked = true;
                            channel.strikes = 0;
                            at_once = closings == 0;
                            closings += 1;
                            if at_once {
                                backoff.succeed();
                            }
                        }
                        End::Silent => channel.strikes += 1,
                    }
                    held = Some(channel);
                }
                Err(e) if e.no_channel && channel.worked => {
                    tracing::info!(lane = i, channel = %channel.id, "notification channel gone; opening a new one");
                    at_once = true;
                }
                Err(e) => {
                    channel.strikes += 1;
                    failure = Some(socket_error(&channel.id, e.detail));
                    held = Some(channel);
                }
            }
        }
        if held.as_ref().is_some_and(|c| c.strikes >= STRIKES) {
            tracing::info!(lane = i, "notification sockets keep failing on this channel; opening a new one");
            held = None;
        }
        let mut retry_after = None;
        if let Some(e) = failure {
            tries += 1;
            retry_after = e.retry_after();
            let give_up = may_give_up && !ever_up && (!e.worth_retrying() || tries >= FIRST_CONNECT_TRIES);
            let reason = give_up.then(|| format!("streaming unavailable ({}): polling instead", e.summary()));
            if tx.send(Update::Failed(Activity::Observations, e)).await.is_err() {
                return None;
            }
            if reason.is_some() {
                return reason;
            }
        }
        if tx.send(Update::Up(i, false)).await.is_err() {
            return None;
        }
        if at_once {
            tracing::info!(lane = i, "notification socket closed; reconnecting now");
            continue;
        }
        let wait = backoff.fail(retry_after, &mut rand::rng());
        tracing::info!(lane = i, wait_ms = wait.as_millis() as u64, "notification socket down; reconnecting");
        tokio::time::sleep(wait).await;
    }
}

/// Read events until the socket dies; roll over to a fresh channel before this one expires.
#[allow(clippy::too_many_arguments)]
async fn read(
    lane: usize,
    session: &Session,
    ids: &[String],
    tx: &mpsc::Sender<Update>,
    tuning: &StreamTuning,
    refused: &mut HashSet<String>,
    channel: &mut Channel,
    socket: &mut notif::Socket,
) -> End {
    let mut heard = false;
    // The resync waits for the socket to prove itself (its first message, or a moment
    // without closing): a socket dropped as it opens must not cost a query per 100 queues
    // on every try. Batches whose query failed are asked again, backing off.
    let mut resync_at = Some(Instant::now() + RESYNC_GRACE);
    let mut unsynced: Vec<String> = ids.to_vec();
    let mut resync_backoff = Backoff::new(tuning.backoff_base, tuning.backoff_cap);
    let ended = |heard: bool| if heard { End::Heard } else { End::Silent };
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(resync_at.unwrap_or_else(Instant::now)), if resync_at.is_some() => {
                resync_at = None;
                unsynced = resync(lane, session, &unsynced, tx).await;
                if !unsynced.is_empty() {
                    resync_at = Some(Instant::now() + resync_backoff.fail(None, &mut rand::rng()));
                }
            }
            msg = tokio::time::timeout(tuning.heartbeat_timeout, socket.next()) => {
                let text = match msg {
                    Err(_) => {
                        tracing::warn!("no heartbeat from the notification socket; reconnecting");
                        return ended(heard);
                    }
                    Ok(None | Some(Err(_) | Ok(Message::Close(_)))) => return ended(heard),
                    Ok(Some(Ok(Message::Text(t)))) => t,
                    Ok(Some(Ok(_))) => continue,
                };
                if !heard {
                    heard = true;
                    // The socket proved itself before the grace ran out: resync now.
                    if resync_backoff.attempt == 0 && resync_at.is_some() {
                        resync_at = Some(Instant::now());
                    }
                }
                match notif::parse_message(text.as_str()) {
                    SocketMessage::Observation(r) => {
                        if let Some(part) = Part::of(&r)
                            && tx.send(Update::Event(part)).await.is_err()
                        {
                            return End::Heard;
                        }
                    }
                    SocketMessage::Closing => {
                        tracing::info!("the notification service is closing the socket; reconnecting now");
                        return End::Closing;
                    }
                    _ => {}
                }
            }
            () = tokio::time::sleep_until(channel.rollover_at) => {
                let next = match open_channel(session, ids, tx, tuning, refused).await {
                    Ok(next) => match connect(&next).await {
                        Ok(s) => Ok((next, s)),
                        Err(e) => Err(socket_error(&next.id, e.detail)),
                    },
                    Err(e) => Err(e),
                };
                match next {
                    Ok((next, s)) => {
                        tracing::info!("notification channel rolled over");
                        *channel = next;
                        let mut old = std::mem::replace(socket, s);
                        let _ = old.close(None).await;
                        // Events sent between the two sockets were missed: ask again at once.
                        heard = false;
                        unsynced = ids.to_vec();
                        resync_backoff.succeed();
                        resync_at = Some(Instant::now());
                    }
                    Err(e) => {
                        // Keep the old channel while it lasts and try again shortly.
                        channel.rollover_at = Instant::now() + tuning.backoff_base.max(Duration::from_secs(1));
                        let _ = tx.send(Update::Failed(Activity::Observations, e)).await;
                    }
                }
            }
        }
    }
}

/// Open a channel and subscribe it to the lane's queues.
async fn open_channel(
    session: &Session,
    ids: &[String],
    tx: &mpsc::Sender<Update>,
    tuning: &StreamTuning,
    refused: &mut HashSet<String>,
) -> Result<Channel, ApiError> {
    let (channel, meta) = notif::create_channel(session).await?;
    // A 404 here (the channel removed at once by another program opening a 21st) fails this
    // try; the next opens another channel.
    for (queue, e) in notif::subscribe(session, &channel.id, ids).await? {
        if refused.insert(queue.clone()) {
            let _ = tx.send(Update::Refused(queue)).await;
            let _ = tx.send(Update::Failed(Activity::Observations, e)).await;
        }
    }
    // The server's own clock dates `expires`; `Date` has whole seconds, so keep a second spare.
    let left = match (channel.expires, meta.server_date) {
        (Some(exp), Some(server)) => exp.duration_since(server).unsigned_abs(),
        (Some(exp), None) => exp.duration_since(Timestamp::now()).unsigned_abs(),
        _ => Duration::from_secs(24 * 3600),
    };
    let lead = tuning.rollover_before.min(left / 5) + Duration::from_secs(1);
    let rollover_at = Instant::now() + left.saturating_sub(lead).max(Duration::from_secs(1));
    Ok(Channel { id: channel.id, connect_uri: channel.connect_uri, rollover_at, worked: false, strikes: 0 })
}

async fn connect(channel: &Channel) -> Result<notif::Socket, notif::ConnectError> {
    match tokio::time::timeout(Duration::from_secs(10), notif::connect(&channel.connect_uri)).await {
        Ok(r) => r,
        Err(_) => Err(notif::ConnectError { detail: "timed out".into(), no_channel: false }),
    }
}

fn socket_error(channel: &str, detail: String) -> ApiError {
    use genesys::catalog::EndpointId;
    use genesys::client::Request;
    ApiError {
        request: Request::with_params(EndpointId::NotificationSubscriptions, &[channel]).line(),
        kind: ErrorKind::Connect { detail: format!("notification socket: {detail}") },
        meta: None,
    }
}

/// One observations query per batch of the lane's queues, so the picture is whole after a
/// (re)connect. Returns the queues whose query failed.
async fn resync(lane: usize, session: &Session, ids: &[String], tx: &mpsc::Sender<Update>) -> Vec<String> {
    let mut failed = vec![];
    for batch in ids.chunks(OBSERVATION_BATCH) {
        let update = match queries::observe_as(session, batch, Priority::Poll).await {
            Ok((resp, _)) => Update::Resync(lane, batch.to_vec(), resp.results.iter().filter_map(Part::of).collect()),
            Err(e) => {
                failed.extend_from_slice(batch);
                Update::Failed(Activity::Observations, e)
            }
        };
        if tx.send(update).await.is_err() {
            return vec![];
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use genesys::models::ObservationResponse;

    fn parts(body: &str) -> Vec<Part> {
        let r: ObservationResponse = serde_json::from_str(body).unwrap();
        r.results.iter().filter_map(Part::of).collect()
    }

    fn event(text: &str) -> Part {
        let SocketMessage::Observation(r) = notif::parse_message(text) else { panic!("not an event: {text}") };
        Part::of(&r).unwrap()
    }

    fn ids() -> Vec<String> {
        vec!["q1".into()]
    }

    const ANSWER: &str = r#"{"results":[
        {"group":{"queueId":"q1","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":2}},
            {"metric":"oInteracting","stats":{"count":4}},{"metric":"oAlerting","stats":{"count":1}},
            {"metric":"oLongestWaiting","stats":{"count":2,"calculatedMetricValue":61000}}]},
        {"group":{"queueId":"q1"},"data":[{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":3}},
            {"metric":"oOnQueueUsers","qualifier":"INTERACTING","stats":{"count":4}},
            {"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":3}},
            {"metric":"oUserRoutingStatuses","qualifier":"NOT_RESPONDING","stats":{"count":1}},
            {"metric":"oActiveUsers","stats":{"count":9}},{"metric":"oMemberUsers","stats":{"count":12}}]}]}"#;

    fn topic(group: &str, interval: &str, metrics: &str) -> String {
        format!(
            r#"{{"topicName":"v2.analytics.queues.q1.observations","version":"2","eventBody":{{"group":{group},"data":[{{"interval":"{interval}","metrics":[{metrics}]}}]}}}}"#
        )
    }

    const NOW: &str = "2024-12-30T09:46:54.839Z/2024-12-30T09:46:54.839Z";
    const BUCKET: &str = "2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z";
    const VOICE: &str = r#"{"queueId":"q1","mediaType":"voice"}"#;

    #[test]
    fn events_change_only_the_metrics_they_carry() {
        let t0 = Instant::now();
        let mut held = Held::default();
        held.resync(&ids(), parts(ANSWER), t0);
        let before = held.numbers("q1", t0).unwrap();
        assert_eq!(
            (before.waiting, before.interacting, before.idle, before.not_responding),
            (Some(2), Some(4), Some(3), Some(1))
        );

        // The instantaneous message: only the o-metrics that changed (counts as the SDK's floats).
        held.event(
            event(&topic(
                VOICE,
                NOW,
                r#"{"metric":"oAlerting","stats":{"count":0.0}},{"metric":"oWaiting","stats":{"count":3}}"#,
            )),
            t0,
        );
        let n = held.numbers("q1", t0).unwrap();
        assert_eq!(
            n,
            QueueNumbers { waiting: Some(3), alerting: Some(0), ..before.clone() },
            "interacting and longest stay"
        );

        // The interval message: nothing live in it, so nothing changes.
        let interval = r#"{"metric":"nOffered","stats":{"count":2}},{"metric":"tAbandon","stats":{"count":1,"sum":8277,"min":8277,"max":8277}},{"metric":"oServiceLevel","stats":{"ratio":0,"numerator":0,"denominator":2,"target":0.5}}"#;
        held.event(event(&topic(VOICE, BUCKET, interval)), t0);
        assert_eq!(held.numbers("q1", t0).unwrap(), n, "waiting and alerting stay");

        // One routing status changed: the others are unchanged, not zero.
        held.event(event(&topic(r#"{"queueId":"q1"}"#, NOW, r#"{"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":2}},{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":2}}"#)), t0);
        let m = held.numbers("q1", t0).unwrap();
        assert_eq!((m.idle, m.not_responding, m.on_queue, m.active), (Some(2), Some(1), Some(6), Some(9)));

        // A status nobody held before: the answer said none were in it, so the rest is 0.
        held.event(
            event(&topic(
                r#"{"queueId":"q1"}"#,
                NOW,
                r#"{"metric":"oUserRoutingStatuses","qualifier":"NOT_RESPONDING","stats":{"count":0}}"#,
            )),
            t0,
        );
        assert_eq!(held.numbers("q1", t0).unwrap().not_responding, Some(0));

        // A resync answer is a full picture again: a group it leaves out is gone.
        held.resync(
            &ids(),
            parts(r#"{"results":[{"group":{"queueId":"q1","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":0}}]}]}"#),
            t0,
        );
        let r = held.numbers("q1", t0).unwrap();
        assert_eq!((r.waiting, r.interacting, r.idle), (Some(0), None, None));
    }

    #[test]
    fn only_queues_with_a_whole_picture_are_synced() {
        let t0 = Instant::now();
        let mut held = Held::default();
        held.event(event(&topic(VOICE, NOW, r#"{"metric":"oWaiting","stats":{"count":3}}"#)), t0);
        assert!(held.synced.is_empty(), "an event alone is not a picture");
        held.resync(&ids(), parts(ANSWER), t0);
        assert!(held.synced.contains("q1"));
        held.unsync(&ids());
        assert!(held.synced.is_empty());
    }

    /// Users in a group of their own, or repeated in each media type's group (UNCONFIRMED
    /// which): streamed events never multiply agents by media types either.
    #[test]
    fn streamed_agents_never_multiply_with_media_types() {
        let users = r#"{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":3}},{"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":3}},{"metric":"oActiveUsers","stats":{"count":5}}"#;
        let chat = r#"{"queueId":"q1","mediaType":"chat"}"#;
        let own = [
            topic(VOICE, NOW, r#"{"metric":"oWaiting","stats":{"count":2}}"#),
            topic(chat, NOW, r#"{"metric":"oWaiting","stats":{"count":1}}"#),
            topic(r#"{"queueId":"q1"}"#, NOW, users),
        ];
        let repeated = [
            topic(VOICE, NOW, &format!(r#"{{"metric":"oWaiting","stats":{{"count":2}}}},{users}"#)),
            topic(chat, NOW, &format!(r#"{{"metric":"oWaiting","stats":{{"count":1}}}},{users}"#)),
        ];
        let t0 = Instant::now();
        for shape in [&own[..], &repeated[..]] {
            let mut held = Held::default();
            held.resync(&ids(), vec![], t0);
            for e in shape {
                held.event(event(e), t0);
            }
            let n = held.numbers("q1", t0).unwrap();
            assert_eq!((n.waiting, n.on_queue, n.idle, n.active), (Some(3), Some(3), Some(3), Some(5)), "{shape:?}");
            // One media group's agents change: still the larger, never the sum.
            held.event(event(&topic(chat, NOW, r#"{"metric":"oActiveUsers","stats":{"count":4}}"#)), t0);
            assert_eq!(held.numbers("q1", t0).unwrap().active, Some(5));
        }
    }

    /// A longest wait not sent again has kept growing since it was reported.
    #[test]
    fn a_held_longest_wait_ages_until_the_next_word_on_it() {
        let t0 = Instant::now();
        let mut held = Held::default();
        held.resync(&ids(), parts(ANSWER), t0);
        let later = t0 + Duration::from_secs(5);
        assert_eq!(held.numbers("q1", later).unwrap().longest_waiting_ms, Some(66_000));
        // Another metric changes: the longest wait still dates from the answer.
        held.event(event(&topic(VOICE, NOW, r#"{"metric":"oWaiting","stats":{"count":3}}"#)), later);
        assert_eq!(held.numbers("q1", later).unwrap().longest_waiting_ms, Some(66_000));
        // A new word on it dates from then.
        let lw = r#"{"metric":"oLongestWaiting","stats":{"count":3,"calculatedMetricValue":2000}}"#;
        held.event(event(&topic(VOICE, NOW, lw)), later);
        assert_eq!(held.numbers("q1", later + Duration::from_secs(1)).unwrap().longest_waiting_ms, Some(3_000));
        // Nobody waiting: 0, however old.
        held.event(
            event(&topic(
                VOICE,
                NOW,
                r#"{"metric":"oWaiting","stats":{"count":0}},{"metric":"oLongestWaiting","stats":{"count":0}}"#,
            )),
            later,
        );
        assert_eq!(held.numbers("q1", later + Duration::from_secs(9)).unwrap().longest_waiting_ms, Some(0));
    }
}
