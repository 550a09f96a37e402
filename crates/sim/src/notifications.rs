//! The Notifications API: channels, their topic subscriptions, and the WebSocket at a
//! channel's `connectUri` that carries heartbeats and queue-observation events.
//!
//! Shapes follow `docs/genesys-api.md` ("Notifications"): a channel is `{id, connectUri,
//! expires}`; a subscription list is `{"entities":[ChannelTopic]}`; an event is
//! `{topicName, version:"2", eventBody:{group, data:[{interval, metrics}]}}`, sent as a real
//! org sends it: per queue and media group, an instantaneous message with only the o-metrics
//! that changed (zero-width interval) and, in a message of its own, the current half hour's
//! interval metrics when they changed. Event numbers come from [`observations::queue_groups`],
//! the code that answers the observations query.
//!
//! A user+app holds at most 20 channels: opening a 21st removes the one used longest ago,
//! channels without a connected socket first (documented; there is no "limit reached" error).

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use futures::SinkExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, watch};

use super::api::iso_ms;
use super::authz::{Caller, Subject};
use super::engine::BUCKET_MS;
use super::errors::ApiFault;
use super::server::{Shared, json};
use super::{aggregates, observations};
use genesys::catalog::{EndpointId, OBSERVATION_TOPIC_PERMISSIONS};

/// Channels one user (or client) may hold per OAuth client.
pub const MAX_CHANNELS: usize = 20;
/// Topics one channel may carry.
pub const MAX_TOPICS: usize = 1000;
const TOPIC_PREFIX: &str = "v2.analytics.queues.";
const TOPIC_SUFFIX: &str = ".observations";

/// Per result group of one queue: media type, instantaneous metrics, current-bucket metrics.
type EventGroups = Vec<(Option<String>, Value, Vec<Value>)>;

/// How long a socket told `v2.system.socket_closing` stays open before the service closes it.
/// UNCONFIRMED: the documentation says only that the message comes before maintenance.
pub const SOCKET_CLOSING_GRACE: Duration = Duration::from_secs(10);

/// Heartbeat period and channel lifetime; tests shorten both.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub heartbeat: Duration,
    /// On the org's clock.
    pub lifetime: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing { heartbeat: Duration::from_secs(30), lifetime: Duration::from_secs(24 * 3600) }
    }
}

struct Channel {
    owner: Subject,
    caller: Caller,
    /// Org-clock milliseconds.
    expires: i64,
    topics: BTreeSet<String>,
    /// Sockets connected to it now.
    sockets: usize,
    /// When it was last used, as a sequence number (only the order matters). Creating it,
    /// changing or listing its subscriptions, and connecting or disconnecting a socket count
    /// as use; what the real service counts is UNCONFIRMED.
    last_used: u64,
    /// Dropped with the channel: its sockets see the sender go and close.
    gone: watch::Sender<()>,
}

/// What the faults tell every open socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    /// Close now (`socket-drop`).
    Drop,
    /// Say `v2.system.socket_closing`, close a little later (`socket-closing`).
    Closing,
}

pub struct Notifications {
    channels: Mutex<HashMap<String, Channel>>,
    timing: RwLock<Timing>,
    signal_tx: broadcast::Sender<Signal>,
    /// Channels opened since start (tests watch rollover and reuse).
    opened: AtomicUsize,
    /// Sockets connected since start (tests watch reconnects).
    sockets: AtomicUsize,
    /// Channels removed to make room for a 21st.
    evicted: AtomicUsize,
    uses: AtomicU64,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications {
            channels: Mutex::new(HashMap::new()),
            timing: RwLock::new(Timing::default()),
            signal_tx: broadcast::channel(4).0,
            opened: AtomicUsize::new(0),
            sockets: AtomicUsize::new(0),
            evicted: AtomicUsize::new(0),
            uses: AtomicU64::new(0),
        }
    }
}

impl Notifications {
    pub fn timing(&self) -> Timing {
        *self.timing.read().expect("timing lock")
    }

    pub fn set_timing(&self, t: Timing) {
        *self.timing.write().expect("timing lock") = t;
    }

    /// Close every open notification socket now.
    pub fn drop_sockets(&self) {
        let _ = self.signal_tx.send(Signal::Drop);
    }

    /// Tell every open notification socket `v2.system.socket_closing`; each is closed
    /// [`SOCKET_CLOSING_GRACE`] later if its client has not gone by then.
    pub fn closing_sockets(&self) {
        let _ = self.signal_tx.send(Signal::Closing);
    }

    pub fn channels_opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// Sockets connected since start.
    pub fn sockets_opened(&self) -> usize {
        self.sockets.load(Ordering::Relaxed)
    }

    /// Whether the channel is held (without counting as a use of it).
    pub fn channel_exists(&self, id: &str) -> bool {
        self.channels.lock().expect("channels lock").contains_key(id)
    }

    /// Channels removed because their user+app opened a 21st.
    pub fn channels_evicted(&self) -> usize {
        self.evicted.load(Ordering::Relaxed)
    }

    fn next_use(&self) -> u64 {
        self.uses.fetch_add(1, Ordering::Relaxed) + 1
    }

    fn touch(&self, channel: &str, sockets: isize) {
        let used = self.next_use();
        if let Some(c) = self.channels.lock().expect("channels lock").get_mut(channel) {
            c.last_used = used;
            c.sockets = c.sockets.saturating_add_signed(sockets);
        }
    }

    /// Channels alive now (tests watch rollover).
    pub fn channel_count(&self) -> usize {
        self.channels.lock().expect("channels lock").len()
    }

    fn forget_expired(&self, now_ms: i64) {
        self.channels.lock().expect("channels lock").retain(|_, c| c.expires > now_ms);
    }
}

/// The topic for a queue's live numbers.
pub fn topic_of(queue_id: &str) -> String {
    format!("{TOPIC_PREFIX}{queue_id}{TOPIC_SUFFIX}")
}

fn queue_of(topic: &str) -> Option<&str> {
    topic.strip_prefix(TOPIC_PREFIX)?.strip_suffix(TOPIC_SUFFIX).filter(|q| !q.is_empty() && !q.contains('.'))
}

fn subscriptions_uri(channel: &str) -> String {
    format!("/api/v2/notifications/channels/{channel}/subscriptions")
}

/// `POST /api/v2/notifications/channels`.
pub async fn create_channel(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
) -> Response {
    let org = shared.org_now();
    if let Err(e) = caller.require_scope(&org, EndpointId::NotificationChannels) {
        return e.into_response();
    }
    let now = shared.now().as_millisecond();
    let n = &shared.notifications;
    n.forget_expired(now);
    let owner = caller.record.subject;
    let last_used = n.next_use();
    let mut channels = n.channels.lock().expect("channels lock");
    let held: Vec<(&String, &Channel)> = channels.iter().filter(|(_, c)| c.owner == owner).collect();
    if held.len() >= MAX_CHANNELS {
        // The documented rule: the oldest last-used date goes, channels without an active
        // connection first. Its sockets are closed (dropping it drops `gone`); what the real
        // service does to the socket of a removed channel is UNCONFIRMED.
        let victim = held.iter().min_by_key(|(_, c)| (c.sockets > 0, c.last_used)).map(|(id, _)| (*id).clone());
        if let Some(victim) = victim {
            channels.remove(&victim);
            n.evicted.fetch_add(1, Ordering::Relaxed);
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let expires = now + n.timing().lifetime.as_millis() as i64;
    n.opened.fetch_add(1, Ordering::Relaxed);
    let channel =
        Channel { owner, caller, expires, topics: BTreeSet::new(), sockets: 0, last_used, gone: watch::channel(()).0 };
    channels.insert(id.clone(), channel);
    drop(channels);
    // The sim serves the socket itself, on the host the caller reached (real orgs answer
    // with a wss:// streaming host).
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    json(
        json!({"id": id, "connectUri": format!("ws://{host}/channels/{id}"), "expires": iso_ms(shared.report_ms(expires))}),
    )
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct SubscribeParams {
    #[serde(default)]
    ignore_errors: bool,
}

#[derive(Deserialize)]
struct TopicIn {
    id: String,
}

/// One topic's verdict.
struct Verdict {
    topic: String,
    refusal: Option<(ApiFault, Vec<String>)>,
}

/// `PUT` (replace) and `POST` (add) `/api/v2/notifications/channels/{id}/subscriptions`.
pub async fn put_subscriptions(
    state: State<Arc<Shared>>,
    caller: Extension<Caller>,
    path: Path<String>,
    params: Query<SubscribeParams>,
    body: Bytes,
) -> Response {
    subscribe(state, caller, path, params, body, true)
}

pub async fn post_subscriptions(
    state: State<Arc<Shared>>,
    caller: Extension<Caller>,
    path: Path<String>,
    params: Query<SubscribeParams>,
    body: Bytes,
) -> Response {
    subscribe(state, caller, path, params, body, false)
}

fn subscribe(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(channel): Path<String>,
    Query(params): Query<SubscribeParams>,
    body: Bytes,
    replace: bool,
) -> Response {
    let run = || -> Result<Response, ApiFault> {
        let org = shared.org_now();
        caller.require_scope(&org, EndpointId::NotificationSubscriptions)?;
        let topics: Vec<TopicIn> = serde_json::from_slice(&body)
            .map_err(|e| ApiFault::bad_request(format!("The request body could not be parsed as a topic list: {e}")))?;
        owned(&shared, &channel, &caller)?;
        let mut verdicts = vec![];
        for t in topics {
            let Some(qid) = queue_of(&t.id) else {
                return Err(ApiFault::invalid_value("id", format!("Unsupported topic: {}", t.id)));
            };
            // An unknown queue is refused like one the caller may not see: the answer must
            // not tell the two apart.
            let division = org.queue_by_id(qid).map(|q| org.queues[q].division);
            let refusal = if let Some(d) = division {
                caller.refusal_in(&org, OBSERVATION_TOPIC_PERMISSIONS, d)
            } else {
                let all: Vec<String> =
                    OBSERVATION_TOPIC_PERMISSIONS.list().iter().map(std::string::ToString::to_string).collect();
                Some((ApiFault::missing_permissions(&all), all))
            };
            verdicts.push(Verdict { topic: t.id, refusal });
        }
        if !params.ignore_errors
            && let Some(v) = verdicts.iter().find(|v| v.refusal.is_some())
        {
            return Err(v.refusal.clone().expect("found a refusal").0);
        }
        let permitted: Vec<&str> = verdicts.iter().filter(|v| v.refusal.is_none()).map(|v| v.topic.as_str()).collect();
        let mut channels = shared.notifications.channels.lock().expect("channels lock");
        let ch = channels.get_mut(&channel).ok_or_else(|| ApiFault::not_found(&subscriptions_uri(&channel)))?;
        let mut next = if replace { BTreeSet::new() } else { ch.topics.clone() };
        next.extend(permitted.iter().map(std::string::ToString::to_string));
        if next.len() > MAX_TOPICS {
            return Err(ApiFault::too_many_topics(MAX_TOPICS));
        }
        ch.topics = next;
        ch.last_used = shared.notifications.next_use();
        let self_uri = subscriptions_uri(&channel);
        let entities: Vec<Value> = if params.ignore_errors {
            verdicts
                .iter()
                .map(|v| match &v.refusal {
                    None => json!({"id": v.topic, "state": "Permitted", "selfUri": self_uri}),
                    Some((fault, missing)) => json!({
                        "id": v.topic,
                        "state": "Rejected",
                        "rejectionReason": fault.message,
                        "missingPermissions": missing,
                        "selfUri": self_uri,
                    }),
                })
                .collect()
        } else {
            ch.topics.iter().map(|t| json!({"id": t, "selfUri": self_uri})).collect()
        };
        Ok(json(json!({ "entities": entities })))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// `GET /api/v2/notifications/channels/{id}/subscriptions`.
pub async fn list_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(channel): Path<String>,
) -> Response {
    let run = || -> Result<Response, ApiFault> {
        caller.require_scope(&shared.org_now(), EndpointId::NotificationSubscriptions)?;
        owned(&shared, &channel, &caller)?;
        shared.notifications.touch(&channel, 0);
        let channels = shared.notifications.channels.lock().expect("channels lock");
        let self_uri = subscriptions_uri(&channel);
        let entities: Vec<Value> = channels
            .get(&channel)
            .map(|c| c.topics.iter().map(|t| json!({"id": t, "selfUri": self_uri})).collect())
            .unwrap_or_default();
        Ok(json(json!({ "entities": entities })))
    };
    run().unwrap_or_else(IntoResponse::into_response)
}

/// The channel exists, is alive and belongs to the caller; otherwise 404 (someone else's
/// channel is not admitted to exist).
fn owned(shared: &Shared, channel: &str, caller: &Caller) -> Result<(), ApiFault> {
    shared.notifications.forget_expired(shared.now().as_millisecond());
    let channels = shared.notifications.channels.lock().expect("channels lock");
    match channels.get(channel) {
        Some(c) if c.owner == caller.record.subject => Ok(()),
        _ => Err(ApiFault::not_found(&subscriptions_uri(channel))),
    }
}

/// `GET /channels/{id}` upgraded to a WebSocket (the channel's `connectUri`). The channel id
/// is the credential, as on the real streaming host.
pub async fn socket(
    State(shared): State<Arc<Shared>>,
    Path(channel): Path<String>,
    upgrade: WebSocketUpgrade,
) -> Response {
    shared.notifications.forget_expired(shared.now().as_millisecond());
    // A removed or expired channel's socket is refused. UNCONFIRMED: what the real streaming
    // host answers for a channel it no longer has (qtop also copes with an accepted socket
    // that is closed at once).
    let Some(gone) =
        shared.notifications.channels.lock().expect("channels lock").get(&channel).map(|c| c.gone.subscribe())
    else {
        return ApiFault::not_found(&format!("/channels/{channel}")).into_response();
    };
    upgrade.on_upgrade(move |ws| async move {
        let n = &shared.notifications;
        n.sockets.fetch_add(1, Ordering::Relaxed);
        n.touch(&channel, 1);
        serve_socket(&shared, &channel, ws, gone).await;
        n.touch(&channel, -1);
    })
}

/// UNCONFIRMED body: the documentation shows only the topic name.
fn socket_closing() -> Message {
    Message::text(json!({"topicName": "v2.system.socket_closing", "eventBody": {}}).to_string())
}

fn metadata(message: &str) -> Message {
    Message::text(json!({"topicName": "channel.metadata", "eventBody": {"message": message}}).to_string())
}

async fn close(mut ws: WebSocket, reason: &'static str) {
    let _ = ws.send(Message::Close(Some(CloseFrame { code: 1000, reason: reason.into() }))).await;
}

async fn serve_socket(shared: &Shared, channel: &str, mut ws: WebSocket, mut gone: watch::Receiver<()>) {
    let n = &shared.notifications;
    let mut signals = n.signal_tx.subscribe();
    if shared.socket_drop_active() {
        return close(ws, "socket dropped").await;
    }
    let timing = n.timing();
    let start = tokio::time::Instant::now();
    let mut heartbeat = tokio::time::interval_at(start + timing.heartbeat, timing.heartbeat);
    // The topic publishes at most once a second per queue.
    let mut publish = tokio::time::interval(Duration::from_secs(1));
    publish.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // What this socket has sent of each (queue, media group): events carry only changes.
    let mut sent = Sent::default();
    let mut closing_at: Option<tokio::time::Instant> = None;
    if shared.socket_closing_active() {
        if ws.send(socket_closing()).await.is_err() {
            return;
        }
        closing_at = Some(start + SOCKET_CLOSING_GRACE);
    }
    loop {
        tokio::select! {
            _ = heartbeat.tick() => {
                if ws.send(metadata("WebSocket Heartbeat")).await.is_err() {
                    return;
                }
            }
            () = tokio::time::sleep_until(closing_at.unwrap_or(start)), if closing_at.is_some() => {
                return close(ws, "socket closing").await;
            }
            _ = gone.changed() => return close(ws, "channel removed").await,
            _ = publish.tick() => {
                let now = shared.now().as_millisecond();
                let Some(events) = events(shared, channel, now, &mut sent) else {
                    n.forget_expired(now);
                    return close(ws, "channel expired").await;
                };
                // A second's events go out as one write, not one flush (and syscall) each.
                for ev in events {
                    if ws.feed(Message::text(ev.to_string())).await.is_err() {
                        return;
                    }
                }
                if ws.flush().await.is_err() {
                    return;
                }
            }
            signal = signals.recv() => match signal {
                Ok(Signal::Drop) => return close(ws, "socket dropped").await,
                Ok(Signal::Closing) if closing_at.is_none() => {
                    if ws.send(socket_closing()).await.is_err() {
                        return;
                    }
                    closing_at = Some(tokio::time::Instant::now() + SOCKET_CLOSING_GRACE);
                }
                Ok(Signal::Closing) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            msg = ws.recv() => match msg {
                Some(Ok(Message::Text(text))) => {
                    if let Some(reply) = on_message(shared, channel, text.as_str())
                        && ws.send(reply).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// `ping` and `subscribe` sent over the socket.
fn on_message(shared: &Shared, channel: &str, text: &str) -> Option<Message> {
    let v: Value = serde_json::from_str(text).ok()?;
    match v.get("message").and_then(Value::as_str)? {
        "ping" => Some(metadata("pong")),
        "subscribe" => {
            let topics: Vec<String> = v
                .get("topics")
                .and_then(Value::as_array)?
                .iter()
                .filter_map(|t| t.as_str().or_else(|| t.get("id").and_then(Value::as_str)))
                .map(str::to_string)
                .collect();
            let org = shared.org_now();
            let mut channels = shared.notifications.channels.lock().expect("channels lock");
            let ch = channels.get_mut(channel)?;
            ch.last_used = shared.notifications.next_use();
            // Refused topics are left out silently, as with ignoreErrors.
            for t in topics {
                let ok = queue_of(&t).and_then(|q| org.queue_by_id(q)).is_some_and(|q| {
                    ch.caller.refusal_in(&org, OBSERVATION_TOPIC_PERMISSIONS, org.queues[q].division).is_none()
                });
                if ok && ch.topics.len() < MAX_TOPICS {
                    ch.topics.insert(t);
                }
            }
            None
        }
        _ => None,
    }
}

/// A queue and one of its result groups (a media type, or none for the users).
type GroupKey = (String, Option<String>);
/// A metric and its qualifier.
type MetricKey = (String, Option<String>);

/// What one socket has sent: events carry only what changed since.
#[derive(Default)]
struct Sent {
    /// Per group: each instantaneous metric's stats.
    live: HashMap<GroupKey, HashMap<MetricKey, Value>>,
    /// Per group: the bucket interval and its metrics as last sent.
    bucket: HashMap<GroupKey, (String, Vec<Value>)>,
    /// Messages sent, to vary how counts are written.
    messages: u64,
}

impl Sent {
    /// The instantaneous metrics that differ from what this socket last sent of the group.
    /// The first message after a connect carries them all (UNCONFIRMED: a real socket's first
    /// event may carry only a change; qtop's resync query covers either).
    fn changed(&mut self, key: &GroupKey, data: &Value) -> Vec<Value> {
        let held = self.live.entry(key.clone()).or_default();
        let mut out = vec![];
        for m in data.as_array().into_iter().flatten() {
            let Some(metric) = m["metric"].as_str() else { continue };
            let k = (metric.to_string(), m["qualifier"].as_str().map(str::to_string));
            if held.get(&k) != Some(&m["stats"]) {
                held.insert(k, m["stats"].clone());
                out.push(m.clone());
            }
        }
        out
    }

    /// One message, with counts written as floats in every other one: the SDK types event
    /// stats as `dict(str, float)` while captured events show integers, so a client must read
    /// both (`2` and `2.0`).
    fn message(&mut self, qid: &str, media: &Option<String>, interval: String, metrics: Vec<Value>) -> Value {
        self.messages += 1;
        let mut group = json!({"queueId": qid});
        if let Some(m) = media {
            group["mediaType"] = json!(m);
        }
        let mut metrics = metrics;
        if self.messages.is_multiple_of(2) {
            for m in &mut metrics {
                if let Some(stats) = m.get_mut("stats").and_then(Value::as_object_mut) {
                    for v in stats.values_mut() {
                        if let Some(i) = v.as_i64() {
                            *v = json!(i as f64);
                        }
                    }
                }
            }
        }
        json!({
            "topicName": topic_of(qid),
            "version": "2",
            "eventBody": {"group": group, "data": [{"interval": interval, "metrics": metrics}]},
        })
    }
}

/// Events for what changed since this socket last said it; `None` when the channel is gone
/// or expired. Per (queue, media group): an instantaneous message with the o-metrics that
/// changed, and one with the current bucket's interval metrics when those changed, as a real
/// org sends them (two messages, not one with two data entries).
fn events(shared: &Shared, channel: &str, now: i64, sent: &mut Sent) -> Option<Vec<Value>> {
    // Topics stay subscribed when the caller later loses a permission or a division, and
    // keep publishing. UNCONFIRMED: whether the real service stops (or drops the topic).
    let topics: Vec<String> = {
        let channels = shared.notifications.channels.lock().expect("channels lock");
        let ch = channels.get(channel).filter(|c| c.expires > now)?;
        ch.topics.iter().cloned().collect()
    };
    if topics.is_empty() {
        return Some(vec![]);
    }
    let skew = shared.skew_secs() * 1000;
    let org = shared.org_now();
    let at = iso_ms(now + skew);
    // Interval metrics cover the current half hour, as the documented event shows.
    let bucket = now - now.rem_euclid(BUCKET_MS);
    let bucket_interval = format!("{}/{}", iso_ms(bucket + skew), iso_ms(bucket + BUCKET_MS + skew));
    let groups: Vec<(String, EventGroups)> = shared.with_engine(|e| {
        topics
            .iter()
            .filter_map(|t| queue_of(t))
            .filter_map(|q| org.queue_by_id(q).map(|qi| (q, qi)))
            .map(|(q, qi)| {
                let groups = observations::queue_groups(e, &org, q, skew)
                    .into_iter()
                    .map(|(media, data)| {
                        let interval = media
                            .as_deref()
                            .map(|m| aggregates::bucket_metrics(e, &org, qi, m, bucket, now))
                            .unwrap_or_default();
                        (media, data, interval)
                    })
                    .collect();
                (q.to_string(), groups)
            })
            .collect()
    });
    let mut out = vec![];
    for (qid, groups) in groups {
        for (media, data, interval) in groups {
            let key = (qid.clone(), media.clone());
            let changed = sent.changed(&key, &data);
            if !changed.is_empty() {
                out.push(sent.message(&qid, &media, format!("{at}/{at}"), changed));
            }
            if interval.is_empty() {
                continue;
            }
            let bucket_now = (bucket_interval.clone(), interval);
            if sent.bucket.get(&key) != Some(&bucket_now) {
                let (interval, metrics) = bucket_now.clone();
                out.push(sent.message(&qid, &media, interval, metrics));
                sent.bucket.insert(key, bucket_now);
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_name_one_queue() {
        assert_eq!(queue_of(&topic_of("q-1")), Some("q-1"));
        assert_eq!(queue_of("v2.analytics.queues..observations"), None);
        assert_eq!(queue_of("v2.users.u1.presence"), None);
    }
}
