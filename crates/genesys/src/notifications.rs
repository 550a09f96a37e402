//! The Notifications API as qtop uses it: open a channel, subscribe it to queue-observation
//! topics, and read what its WebSocket says. Channel and subscription requests go through the
//! [`Session`] like every other call (same budget, same errors); the socket is
//! tokio-tungstenite (rustls with ring for `wss://`, plain for the simulator's `ws://`).

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

use super::auth::Session;
use super::catalog::EndpointId;
use super::client::{ApiError, ErrorKind, Request, ResponseMeta, ensure_tls};
use super::models::{ErrorBody, MetricData, ObservationResult};

/// Topics one channel may carry (documented limit).
pub const TOPICS_PER_CHANNEL: usize = 1000;
/// Channels one user (or client) may hold per OAuth client (documented limit).
pub const MAX_CHANNELS: usize = 20;

const TOPIC_PREFIX: &str = "v2.analytics.queues.";
const TOPIC_SUFFIX: &str = ".observations";

pub fn topic_of(queue_id: &str) -> String {
    format!("{TOPIC_PREFIX}{queue_id}{TOPIC_SUFFIX}")
}

pub fn queue_of(topic: &str) -> Option<&str> {
    topic.strip_prefix(TOPIC_PREFIX)?.strip_suffix(TOPIC_SUFFIX).filter(|q| !q.is_empty())
}

/// `POST /api/v2/notifications/channels` answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    pub id: String,
    pub connect_uri: String,
    pub expires: Option<Timestamp>,
}

/// One `ChannelTopic` of a subscription answer (`?ignoreErrors=true` adds the verdict).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ChannelTopic {
    pub id: String,
    pub state: Option<String>,
    pub rejection_reason: Option<String>,
    pub missing_permissions: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
struct TopicListing {
    entities: Vec<ChannelTopic>,
}

/// Open a channel. Returns it with the response's metadata (its `Date` dates `expires`).
pub async fn create_channel(session: &Session) -> Result<(Channel, ResponseMeta), ApiError> {
    let resp = session.call::<Channel>(&Request::new(EndpointId::NotificationChannels)).await?;
    Ok((resp.body, resp.meta))
}

/// Replace the channel's topics with these queues' observation topics. Refused topics do not
/// fail the request (`ignoreErrors=true`): each comes back as an [`ApiError`] the diagnosis
/// explains, with the queue it was for.
pub async fn subscribe(
    session: &Session,
    channel_id: &str,
    queue_ids: &[String],
) -> Result<Vec<(String, ApiError)>, ApiError> {
    let topics: Vec<Value> = queue_ids.iter().map(|q| serde_json::json!({"id": topic_of(q)})).collect();
    let req = Request::with_params(EndpointId::NotificationSubscriptions, &[channel_id])
        .query("ignoreErrors", "true")
        .json(&topics);
    let resp = session.call::<TopicListing>(&req).await?;
    Ok(resp
        .body
        .entities
        .iter()
        .filter(|t| t.state.as_deref() == Some("Rejected"))
        .map(|t| (queue_of(&t.id).unwrap_or(&t.id).to_string(), rejection_error(&req, t, &resp.meta)))
        .collect())
}

/// A rejected topic as the 403 the same refusal gets without `ignoreErrors`, so the error log
/// and the diagnosis treat it like any other missing permission.
pub fn rejection_error(req: &Request, topic: &ChannelTopic, meta: &ResponseMeta) -> ApiError {
    let raw = serde_json::json!({
        "id": topic.id, "state": topic.state, "rejectionReason": topic.rejection_reason,
        "missingPermissions": topic.missing_permissions,
    })
    .to_string();
    let body = if topic.missing_permissions.is_empty() {
        ErrorBody {
            message: Some(topic.rejection_reason.clone().unwrap_or_else(|| format!("topic {} rejected", topic.id))),
            code: Some("not.authorized".into()),
            status: Some(403),
            ..Default::default()
        }
    } else {
        let list = format!("[{}]", topic.missing_permissions.join(", "));
        ErrorBody {
            message: Some(format!(
                "Unable to perform the requested action. You are missing the following permission(s): {list}"
            )),
            code: Some("missing.permissions".into()),
            status: Some(403),
            ..Default::default()
        }
    };
    ApiError {
        request: req.line(),
        kind: ErrorKind::Api { status: 403, body: Some(Box::new(body)), raw },
        meta: Some(meta.clone()),
    }
}

/// What a socket message says.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketMessage {
    Heartbeat,
    Pong,
    /// One queue's numbers for one group (a media type, or the users group), in the shape an
    /// observations query result has, so the same parser reads both.
    Observation(ObservationResult),
    /// `v2.system.socket_closing`: the service is about to close the socket (maintenance).
    Closing,
    Other,
}

/// One typed pass over a message: a thousand queues send about a thousand events a second,
/// so no `Value` tree is built on the way.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    topic_name: String,
    #[serde(default)]
    event_body: EventBody,
}

/// An observation event's body, or the metadata channel's `{"message": …}`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct EventBody {
    message: Option<String>,
    group: std::collections::BTreeMap<String, String>,
    data: Vec<EventData>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EventData {
    metrics: Vec<MetricData>,
}

pub fn parse_message(text: &str) -> SocketMessage {
    let Ok(env) = serde_json::from_str::<Envelope>(text) else { return SocketMessage::Other };
    if env.topic_name == "channel.metadata" {
        return match env.event_body.message.as_deref() {
            Some("WebSocket Heartbeat") => SocketMessage::Heartbeat,
            Some("pong") => SocketMessage::Pong,
            _ => SocketMessage::Other,
        };
    }
    // The body of socket_closing is UNCONFIRMED: the topic name alone says it.
    if env.topic_name == "v2.system.socket_closing" {
        return SocketMessage::Closing;
    }
    let Some(qid) = queue_of(&env.topic_name) else { return SocketMessage::Other };
    let body = env.event_body;
    let mut group = body.group;
    group.entry("queueId".into()).or_insert_with(|| qid.to_string());
    // A real org sends instantaneous o-metrics and the current bucket's interval metrics as
    // separate messages, each with only some metrics; a message with both kinds of entry is
    // read the same way. The parser picks the metrics it knows from any entry.
    let data = body.data.into_iter().flat_map(|d| d.metrics).collect();
    SocketMessage::Observation(ObservationResult { group, data })
}

/// Bytes read from the socket at a time.
const READ_BUFFER: usize = 16 * 1024;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Why a socket did not connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectError {
    pub detail: String,
    /// The streaming host answered the upgrade with 404 or 410: it knows no such channel
    /// (expired, or removed when the user+app opened a 21st).
    pub no_channel: bool,
}

/// Connect to a channel's `connectUri`.
pub async fn connect(uri: &str) -> Result<Socket, ConnectError> {
    use tokio_tungstenite::tungstenite::Error;
    ensure_tls();
    // tungstenite zeroes its whole read buffer (128 KiB by default) on reads; events are a
    // kilobyte or two, so a small buffer saves that work a thousand times a second.
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    match tokio_tungstenite::connect_async_with_config(uri, Some(config), false).await {
        Ok((ws, _)) => Ok(ws),
        Err(e) => {
            let no_channel = matches!(&e, Error::Http(r) if [404, 410].contains(&r.status().as_u16()));
            Err(ConnectError { detail: e.to_string(), no_channel })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_as_observation_results() {
        let text = r#"{"topicName":"v2.analytics.queues.q1.observations","version":"2","eventBody":{"group":{"queueId":"q1","mediaType":"voice"},"data":[{"interval":"2024-12-30T09:46:54.839Z/2024-12-30T09:46:54.839Z","metrics":[{"metric":"oWaiting","stats":{"count":3}},{"metric":"oAlerting","stats":{"count":0}}]},{"interval":"2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z","metrics":[{"metric":"nOffered","stats":{"count":2}},{"metric":"oServiceLevel","stats":{"ratio":0,"numerator":0,"denominator":2,"target":0.5}}]}]}}"#;
        let SocketMessage::Observation(r) = parse_message(text) else { panic!("not an observation") };
        assert_eq!(r.group["queueId"], "q1");
        assert_eq!(r.group["mediaType"], "voice");
        assert_eq!(r.data.len(), 4);
        let resp =
            super::super::models::ObservationResponse { system_to_organization_mappings: None, results: vec![r] };
        assert_eq!(super::super::queries::parse_observations(&resp)["q1"].waiting, Some(3));
    }

    #[test]
    fn metadata_messages_are_told_apart() {
        let hb = r#"{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}"#;
        assert_eq!(parse_message(hb), SocketMessage::Heartbeat);
        assert_eq!(
            parse_message(r#"{"topicName":"channel.metadata","eventBody":{"message":"pong"}}"#),
            SocketMessage::Pong
        );
        assert_eq!(parse_message("not json"), SocketMessage::Other);
        // The body is UNCONFIRMED: any body (or none) means the same.
        for body in [r#","eventBody":{"message":"closing"}"#, r#","eventBody":{}"#, ""] {
            let text = format!(r#"{{"topicName":"v2.system.socket_closing"{body}}}"#);
            assert_eq!(parse_message(&text), SocketMessage::Closing, "{text}");
        }
    }

    #[test]
    fn separate_instantaneous_and_interval_messages_carry_only_their_metrics() {
        let inst = r#"{"topicName":"v2.analytics.queues.q1.observations","version":"2","eventBody":{"group":{"queueId":"q1","mediaType":"voice"},"data":[{"interval":"2024-12-30T09:46:54.839Z/2024-12-30T09:46:54.839Z","metrics":[{"metric":"oAlerting","stats":{"count":0}},{"metric":"oWaiting","stats":{"count":2.0}}]}]}}"#;
        let SocketMessage::Observation(r) = parse_message(inst) else { panic!("not an observation") };
        let g = super::super::queries::GroupObs::read(&r);
        assert_eq!((g.waiting, g.alerting, g.interacting), (Some(2), Some(0), None));
        let interval = r#"{"topicName":"v2.analytics.queues.q1.observations","version":"2","eventBody":{"group":{"queueId":"q1","mediaType":"voice"},"data":[{"interval":"2024-12-30T09:30:00.000Z/2024-12-30T10:00:00.000Z","metrics":[{"metric":"tAlert","stats":{"count":1,"sum":8277,"min":8277,"max":8277}},{"metric":"nOffered","stats":{"count":2}},{"metric":"oServiceLevel","stats":{"ratio":0,"numerator":0,"denominator":2,"target":0.5}}]}]}}"#;
        let SocketMessage::Observation(r) = parse_message(interval) else { panic!("not an observation") };
        assert_eq!(super::super::queries::GroupObs::read(&r), Default::default(), "no live metric in it");
    }

    #[test]
    fn a_rejected_topic_becomes_a_missing_permission_403() {
        let req = Request::with_params(EndpointId::NotificationSubscriptions, &["c1"]);
        let topic = ChannelTopic {
            id: topic_of("q1"),
            state: Some("Rejected".into()),
            rejection_reason: Some("no".into()),
            missing_permissions: vec!["analytics:queueObservation:view".into()],
        };
        let meta = ResponseMeta {
            status: 200,
            correlation_id: None,
            rate: None,
            retry_after: None,
            server_date: None,
            received_at: Timestamp::UNIX_EPOCH,
        };
        let e = rejection_error(&req, &topic, &meta);
        assert_eq!((e.status(), e.code()), (Some(403), Some("missing.permissions")));
        assert!(e.summary().contains("analytics:queueObservation:view"));
    }
}
