//! The API calls qtop makes, as functions from a [`Session`] to domain values.

use std::collections::BTreeMap;

use globset::{GlobBuilder, GlobMatcher};

use super::auth::Session;
use super::catalog::EndpointId;
use super::client::{ApiError, Request, ResponseMeta};
use super::models::{
    ObservationQuery, ObservationResponse, ObservationResult, QueryFilter, Queue, QueueEntityListing, QueueMember,
    QueueMemberEntityListing,
};
use crate::budget::Priority;

/// `routing/queues` page size; the documented maximum.
pub const QUEUE_PAGE_SIZE: u32 = 100;
/// Queue predicates per observation query (common practice; no documented hard cap).
pub const OBSERVATION_BATCH: usize = 100;

pub const OBSERVATION_METRICS: &[&str] = &[
    "oWaiting",
    "oInteracting",
    "oAlerting",
    "oLongestWaiting",
    "oOnQueueUsers",
    "oOffQueueUsers",
    "oUserRoutingStatuses",
    "oActiveUsers",
    "oMemberUsers",
];

/// Every queue the token can see, all pages. Returns the metadata of the last page too.
pub async fn list_queues(session: &Session) -> Result<(Vec<Queue>, Option<ResponseMeta>), ApiError> {
    let mut all = Vec::new();
    let mut page = 1u32;
    loop {
        let req = Request::new(EndpointId::RoutingQueues).query("pageSize", QUEUE_PAGE_SIZE).query("pageNumber", page);
        let resp = session.call::<QueueEntityListing>(&req).await?;
        let listing = resp.body;
        let got = listing.entities.len();
        all.extend(listing.entities);
        let meta = resp.meta;
        let page_count = listing.page_count.unwrap_or(0);
        // pageCount is authoritative; nextUri and a short page are fallbacks for servers
        // that leave it out. The cap guards against a server that never stops paging.
        let more = if page_count > 0 { page < page_count } else { listing.next_uri.is_some() && got > 0 };
        if !more || page >= 10_000 {
            return Ok((all, Some(meta)));
        }
        page += 1;
    }
}

/// A queue member as the detail view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: String,
    pub name: String,
    /// `IDLE`, `INTERACTING`, … as the API spells it; `None` when not reported.
    pub routing_status: Option<String>,
    pub status_since: Option<jiff::Timestamp>,
    /// The system presence (`On Queue`, `Break`, …).
    pub presence: Option<String>,
    pub joined: Option<bool>,
}

impl From<QueueMember> for Member {
    fn from(m: QueueMember) -> Member {
        let user = m.user.unwrap_or_default();
        Member {
            name: m.name.or(user.name).unwrap_or_else(|| m.id.clone()),
            id: m.id,
            routing_status: m.routing_status.as_ref().and_then(|r| r.status.clone()),
            status_since: m.routing_status.and_then(|r| r.start_time),
            presence: user.presence.and_then(|p| p.presence_definition).and_then(|d| d.system_presence),
            joined: m.joined,
        }
    }
}

/// Every member of a queue with routing status and presence, all pages. Status start times
/// are moved onto this machine's clock (see [`clock_skew`]), so "for how long" is right even
/// when the two clocks disagree.
pub async fn queue_members(session: &Session, queue_id: &str) -> Result<Vec<Member>, ApiError> {
    let mut all = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut page = 1u32;
    loop {
        let req = Request::with_params(EndpointId::QueueMembers, &[queue_id])
            .query("pageSize", QUEUE_PAGE_SIZE)
            .query("pageNumber", page)
            .query("expand", "routingStatus,presence");
        let resp = session.call::<QueueMemberEntityListing>(&req).await?;
        let skew = clock_skew(&resp.meta);
        let listing = resp.body;
        let before = all.len();
        for mut m in listing.entities.into_iter().map(Member::from) {
            if !seen.insert(m.id.clone()) {
                continue;
            }
            m.status_since = m.status_since.map(|t| t - skew);
            all.push(m);
        }
        // `QueueMemberEntityListing` has no pageCount or total: a nextUri says more follow.
        // A page that adds no one new ends it too (a server that ignores pageNumber, or a
        // nextUri on the last page), and the cap stops one that never ends (a queue has at
        // most a few thousand members).
        let more = listing.next_uri.is_some() && all.len() > before;
        if !more || page >= 100 {
            return Ok(all);
        }
        page += 1;
    }
}

/// How far the server's clock (`Date`) is ahead of ours. `Date` has whole seconds, so
/// differences under a few seconds are noise and count as none.
pub fn clock_skew(meta: &ResponseMeta) -> jiff::SignedDuration {
    let Some(server) = meta.server_date else { return jiff::SignedDuration::ZERO };
    let skew = server.duration_since(meta.received_at);
    if skew.abs() < jiff::SignedDuration::from_secs(3) { jiff::SignedDuration::ZERO } else { skew }
}

pub fn observation_query<'a>(queue_ids: impl IntoIterator<Item = &'a str>) -> ObservationQuery {
    ObservationQuery {
        filter: QueryFilter::queues(queue_ids),
        metrics: OBSERVATION_METRICS.iter().map(std::string::ToString::to_string).collect(),
        detail_metrics: vec![],
    }
}

pub async fn observe(session: &Session, queue_ids: &[String]) -> Result<(ObservationResponse, ResponseMeta), ApiError> {
    observe_as(session, queue_ids, Priority::Poll).await
}

/// [`observe`] with an explicit place in the rate budget (a key press is not polling).
pub async fn observe_as(
    session: &Session,
    queue_ids: &[String],
    priority: Priority,
) -> Result<(ObservationResponse, ResponseMeta), ApiError> {
    let req =
        Request::new(EndpointId::QueueObservations).json(&observation_query(queue_ids.iter().map(String::as_str)));
    let resp = session.call_as::<ObservationResponse>(&req, priority).await?;
    Ok((resp.body, resp.meta))
}

/// Live numbers for one queue. `None` means the API did not say (shown as `–`, never 0).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueNumbers {
    pub waiting: Option<u32>,
    pub longest_waiting_ms: Option<u64>,
    pub interacting: Option<u32>,
    pub alerting: Option<u32>,
    pub on_queue: Option<u32>,
    pub idle: Option<u32>,
    pub off_queue: Option<u32>,
    pub not_responding: Option<u32>,
    pub active: Option<u32>,
    pub members: Option<u32>,
}

pub type QueueNumbersById = BTreeMap<String, QueueNumbers>;

/// Fold an observation response into numbers per queue id. Results come per queue and per
/// media type (and possibly a group of the queue's users); see [`combine`] for how the groups
/// of one queue add up.
pub fn parse_observations(resp: &ObservationResponse) -> QueueNumbersById {
    let mut groups: BTreeMap<&str, Vec<(bool, QueueNumbers)>> = BTreeMap::new();
    for result in &resp.results {
        let Some(qid) = result.group.get("queueId") else { continue };
        let media = result.group.contains_key("mediaType");
        groups.entry(qid).or_default().push((media, GroupObs::read(result).numbers()));
    }
    groups.into_iter().map(|(q, g)| (q.to_string(), combine(g))).collect()
}

/// The routing statuses that qualify `oUserRoutingStatuses` and `oOnQueueUsers`.
const STATUSES: [&str; 5] = ["OFF_QUEUE", "IDLE", "INTERACTING", "NOT_RESPONDING", "COMMUNICATING"];

/// One metric's counts per qualifier (a routing status, or none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qualified {
    /// Unqualified first, then [`STATUSES`] in order: the qualifiers the API sends, kept
    /// without an allocation per queue.
    known: [Option<u32>; 6],
    /// Any other qualifier.
    other: Vec<(Box<str>, u32)>,
}

impl Qualified {
    fn slot(q: Option<&str>) -> Option<usize> {
        match q {
            None => Some(0),
            Some(q) => STATUSES.iter().position(|s| *s == q).map(|i| i + 1),
        }
    }

    pub fn get(&self, q: Option<&str>) -> Option<u32> {
        match Qualified::slot(q) {
            Some(i) => self.known[i],
            None => self.other.iter().find(|(k, _)| Some(&**k) == q).map(|(_, n)| *n),
        }
    }

    pub fn set(&mut self, q: Option<&str>, n: u32) {
        match (Qualified::slot(q), q) {
            (Some(i), _) => self.known[i] = Some(n),
            (None, Some(q)) => match self.other.iter_mut().find(|(k, _)| **k == *q) {
                Some(slot) => slot.1 = n,
                None => self.other.push((q.into(), n)),
            },
            (None, None) => unreachable!("no qualifier has a slot"),
        }
    }

    /// Whether any qualifier of the metric was reported.
    pub fn reported(&self) -> bool {
        self.known.iter().any(Option::is_some) || !self.other.is_empty()
    }

    fn total(&self) -> Option<u32> {
        self.reported().then(|| {
            let known = self.known.iter().flatten();
            known.chain(self.other.iter().map(|(_, n)| n)).fold(0u32, |a, n| a.saturating_add(*n))
        })
    }

    /// What `newer` reports replaces what is held, qualifier by qualifier.
    fn apply(&mut self, newer: &Qualified) {
        for (i, n) in newer.known.iter().enumerate() {
            if n.is_some() {
                self.known[i] = *n;
            }
        }
        for (q, n) in &newer.other {
            self.set(Some(q), *n);
        }
    }
}

/// What one result group (a queue's media type, or its users) reports, metric by metric and
/// qualifier by qualifier, as the API said it: a query answer's group in full, or what the
/// events of a notification stream have said of it so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupObs {
    pub waiting: Option<u32>,
    pub interacting: Option<u32>,
    pub alerting: Option<u32>,
    /// Only when the API gave a value (a count of 0 says 0 ms).
    pub longest_waiting_ms: Option<u64>,
    pub on_queue: Qualified,
    pub routing: Qualified,
    pub off_queue: Option<u32>,
    pub active: Option<u32>,
    pub members: Option<u32>,
}

/// A count as a `u32`: negative counts (which the API never means) read as 0.
fn count(n: Option<i64>) -> u32 {
    n.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32
}

impl GroupObs {
    /// The metrics one result (or one event) carries; the rest stay unreported.
    pub fn read(result: &ObservationResult) -> GroupObs {
        let mut g = GroupObs::default();
        for d in &result.data {
            let n = count(d.stats.count);
            let q = d.qualifier.as_deref();
            match d.metric.as_str() {
                "oWaiting" => g.waiting = Some(n),
                "oInteracting" => g.interacting = Some(n),
                "oAlerting" => g.alerting = Some(n),
                "oOnQueueUsers" => g.on_queue.set(q, n),
                "oUserRoutingStatuses" => g.routing.set(q, n),
                "oOffQueueUsers" => g.off_queue = Some(n),
                "oActiveUsers" => g.active = Some(n),
                "oMemberUsers" => g.members = Some(n),
                "oLongestWaiting" => match d.stats.calculated_metric_value {
                    Some(v) if v.is_finite() => g.longest_waiting_ms = Some(v.max(0.0) as u64),
                    None if n == 0 => g.longest_waiting_ms = Some(0),
                    // Someone waits, for an unknown time: leave it unreported.
                    _ => {}
                },
                _ => {}
            }
        }
        g
    }

    /// Fold a delta into what is held: each metric (and qualifier) `newer` reports replaces
    /// the held one; one it does not report is unchanged. This is how notification events
    /// are read: each carries only what changed.
    pub fn apply(&mut self, newer: &GroupObs) {
        let slots = [
            (&mut self.waiting, newer.waiting),
            (&mut self.interacting, newer.interacting),
            (&mut self.alerting, newer.alerting),
            (&mut self.off_queue, newer.off_queue),
            (&mut self.active, newer.active),
            (&mut self.members, newer.members),
        ];
        for (slot, n) in slots {
            if n.is_some() {
                *slot = n;
            }
        }
        if newer.longest_waiting_ms.is_some() {
            self.longest_waiting_ms = newer.longest_waiting_ms;
        }
        self.on_queue.apply(&newer.on_queue);
        self.routing.apply(&newer.routing);
    }

    /// The group's numbers, read as a full picture: once `oUserRoutingStatuses` is reported,
    /// a status without an entry has no one in it (a query answer lists one qualifier per
    /// status present). A notification stream's held state is a full picture too: a query
    /// answer with the events since folded in.
    pub fn numbers(&self) -> QueueNumbers {
        let status = |s: &str| self.routing.get(Some(s)).or(self.routing.reported().then_some(0));
        QueueNumbers {
            waiting: self.waiting,
            longest_waiting_ms: self.longest_waiting_ms,
            interacting: self.interacting,
            alerting: self.alerting,
            on_queue: self.on_queue.total(),
            idle: status("IDLE"),
            off_queue: self.off_queue,
            not_responding: status("NOT_RESPONDING"),
            active: self.active,
            members: self.members,
        }
    }
}

/// One queue's numbers from its result groups (`true`: the group has a media type).
///
/// Conversations are per media type: their counts add up across groups, and the longest wait
/// is the longest of any. Agents are not: a real answer may report them in a group without a
/// media type, or repeat them in every media type's group (UNCONFIRMED which), so adding
/// them up would count each agent once per media type. An agent count comes from the group
/// without a media type where there is one, otherwise from the largest media group (as a
/// community script does), never from a sum.
pub fn combine(groups: impl IntoIterator<Item = (bool, QueueNumbers)>) -> QueueNumbers {
    let groups: Vec<(bool, QueueNumbers)> = groups.into_iter().collect();
    let sum = |f: fn(&QueueNumbers) -> Option<u32>| groups.iter().filter_map(|(_, n)| f(n)).reduce(u32::saturating_add);
    let agents = |f: fn(&QueueNumbers) -> Option<u32>| {
        let of = |media: bool| groups.iter().filter(|(m, _)| *m == media).filter_map(|(_, n)| f(n)).max();
        of(false).or_else(|| of(true))
    };
    QueueNumbers {
        waiting: sum(|n| n.waiting),
        longest_waiting_ms: groups.iter().filter_map(|(_, n)| n.longest_waiting_ms).max(),
        interacting: sum(|n| n.interacting),
        alerting: sum(|n| n.alerting),
        on_queue: agents(|n| n.on_queue),
        idle: agents(|n| n.idle),
        off_queue: agents(|n| n.off_queue),
        not_responding: agents(|n| n.not_responding),
        active: agents(|n| n.active),
        members: agents(|n| n.members),
    }
}

/// A queue selector from config or `--queues`: an id, an exact name, or a glob — or a
/// share of the queues (`--shard K/N`), which narrows whatever the others picked.
#[derive(Debug, Clone)]
pub struct Selector {
    pub text: String,
    matcher: Option<GlobMatcher>,
    shard: Option<Shard>,
}

/// `--shard K/N`: the queues whose id hashes to K of N (1-based), so N exporters split an
/// org's queues between them, each within its own token's budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub k: u32,
    pub n: u32,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text}: use K/N with 1 <= K <= N, e.g. --shard 1/3");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let (k, n) = (k.trim().parse::<u32>().map_err(|_| bad())?, n.trim().parse::<u32>().map_err(|_| bad())?);
        if n == 0 || k == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }

    /// FNV-1a of the id: the same split on every machine, build and version (std's hasher
    /// is seeded per process and may change between releases).
    pub fn holds(&self, queue_id: &str) -> bool {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in queue_id.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        (h % u64::from(self.n)) as u32 == self.k - 1
    }
}

impl Selector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err("an empty queue selector matches nothing; remove it or give a name, glob or id".into());
        }
        let matcher = if text.contains(['*', '?', '[']) {
            let glob = GlobBuilder::new(&text)
                .case_insensitive(true)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("queue pattern '{text}' is not a valid glob: {e}"))?;
            Some(glob.compile_matcher())
        } else {
            None
        };
        Ok(Selector { text, matcher, shard: None })
    }

    pub fn shard(shard: Shard) -> Self {
        Selector { text: format!("shard {}/{}", shard.k, shard.n), matcher: None, shard: Some(shard) }
    }

    pub fn matches(&self, q: &Queue) -> bool {
        self.matches_queue(&q.id, &q.name)
    }

    pub fn matches_queue(&self, id: &str, name: &str) -> bool {
        if let Some(shard) = &self.shard {
            return shard.holds(id);
        }
        match &self.matcher {
            Some(m) => m.is_match(name),
            None => id == self.text || name.eq_ignore_ascii_case(&self.text),
        }
    }
}

/// Pick the queues the user asked for. Empty selectors: every visible queue. Returns the
/// picked queues (sorted by name) and the selectors that matched nothing.
pub fn select_queues(all: Vec<Queue>, selectors: &[Selector]) -> (Vec<Queue>, Vec<String>) {
    let (shards, selectors): (Vec<&Selector>, Vec<&Selector>) = selectors.iter().partition(|s| s.shard.is_some());
    let all = all.into_iter().filter(|q| shards.iter().all(|s| s.matches(q)));
    let mut picked: Vec<Queue> = if selectors.is_empty() {
        all.collect()
    } else {
        all.filter(|q| selectors.iter().any(|s| s.matches(q))).collect()
    };
    picked.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
    picked.dedup_by(|a, b| a.id == b.id);
    let unmatched = selectors.iter().filter(|s| !picked.iter().any(|q| s.matches(q))).map(|s| s.text.clone()).collect();
    (picked, unmatched)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ObservationResponse;

    fn q(id: &str, name: &str) -> Queue {
        Queue { id: id.into(), name: name.into(), division: None, member_count: None, media_settings: None }
    }

    #[test]
    fn shards_split_every_queue_exactly_once_and_narrow_other_selectors() {
        let all: Vec<Queue> = (0..60).map(|i| q(&format!("id-{i}"), &format!("Q{i}"))).collect();
        let mut seen = vec![];
        for k in 1..=3 {
            let (picked, unmatched) = select_queues(all.clone(), &[Selector::shard(Shard { k, n: 3 })]);
            assert!(unmatched.is_empty());
            assert!(!picked.is_empty() && picked.len() < 60, "shard {k}: {}", picked.len());
            seen.extend(picked.into_iter().map(|q| q.id));
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 60, "each queue in exactly one shard");
        let shard = Shard { k: 1, n: 2 };
        let (picked, _) = select_queues(all.clone(), &[Selector::parse("Q1*").unwrap(), Selector::shard(shard)]);
        assert!(picked.iter().all(|q| q.name.starts_with("Q1") && shard.holds(&q.id)));
        assert_eq!(Shard::parse("2/4"), Ok(Shard { k: 2, n: 4 }));
        for bad in ["0/3", "4/3", "1/0", "x", "1-3", ""] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.starts_with("--shard") && !e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn selectors_match_ids_names_and_globs() {
        let all = vec![q("1", "Sales EN"), q("2", "Sales FR"), q("3", "Support"), q("4", "Billing")];
        let sel: Vec<_> = ["sales*", "3", "billing", "Nope"].iter().map(|s| Selector::parse(s).unwrap()).collect();
        let (picked, unmatched) = select_queues(all, &sel);
        let names: Vec<_> = picked.iter().map(|q| q.name.as_str()).collect();
        assert_eq!(names, ["Billing", "Sales EN", "Sales FR", "Support"]);
        assert_eq!(unmatched, ["Nope"]);
        assert!(Selector::parse("  ").is_err());
        assert!(Selector::parse("[unclosed").is_err());
    }

    #[test]
    fn counts_add_across_media_and_missing_metrics_stay_unknown() {
        let body = r#"{"results":[
          {"group":{"queueId":"a","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":2}},{"metric":"oLongestWaiting","stats":{"count":2,"calculatedMetricValue":61000}}]},
          {"group":{"queueId":"a","mediaType":"chat"},"data":[{"metric":"oWaiting","stats":{"count":1}},{"metric":"oLongestWaiting","stats":{"count":1,"calculatedMetricValue":5000}}]},
          {"group":{"queueId":"a"},"data":[{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":3}},{"metric":"oOnQueueUsers","qualifier":"INTERACTING","stats":{"count":4}},
             {"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":3}},{"metric":"oUserRoutingStatuses","qualifier":"OFF_QUEUE","stats":{"count":2}}]},
          {"group":{"queueId":"b","mediaType":"voice"},"data":[{"metric":"oWaiting","stats":{"count":0}},{"metric":"oLongestWaiting","stats":{"count":0}}]}]}"#;
        let r: ObservationResponse = serde_json::from_str(body).unwrap();
        let n = parse_observations(&r);
        let a = &n["a"];
        assert_eq!(a.waiting, Some(3));
        assert_eq!(a.longest_waiting_ms, Some(61000));
        assert_eq!(a.on_queue, Some(7));
        assert_eq!(a.idle, Some(3));
        assert_eq!(a.not_responding, Some(0));
        assert_eq!(a.interacting, None, "not reported: unknown, not zero");
        let b = &n["b"];
        assert_eq!((b.waiting, b.longest_waiting_ms, b.idle), (Some(0), Some(0), None));

        // Each group read alone and combined later (as the stream does): the same numbers.
        let mut groups: BTreeMap<String, Vec<(bool, QueueNumbers)>> = BTreeMap::new();
        for result in &r.results {
            let g = GroupObs::read(result).numbers();
            groups
                .entry(result.group["queueId"].clone())
                .or_default()
                .push((result.group.contains_key("mediaType"), g));
        }
        let combined: QueueNumbersById = groups.into_iter().map(|(q, g)| (q, combine(g))).collect();
        assert_eq!(combined, n);
    }

    /// The two shapes a real answer may have (UNCONFIRMED which): agents in a group of their
    /// own, or repeated in every media type's group. Agents count once either way.
    #[test]
    fn agents_never_multiply_with_media_types() {
        let users = r#"{"metric":"oOnQueueUsers","qualifier":"IDLE","stats":{"count":3}},
            {"metric":"oOnQueueUsers","qualifier":"INTERACTING","stats":{"count":2}},
            {"metric":"oUserRoutingStatuses","qualifier":"IDLE","stats":{"count":3}},
            {"metric":"oUserRoutingStatuses","qualifier":"NOT_RESPONDING","stats":{"count":1}},
            {"metric":"oOffQueueUsers","stats":{"count":1}},
            {"metric":"oActiveUsers","stats":{"count":7}},
            {"metric":"oMemberUsers","stats":{"count":9}}"#;
        let voice = r#"{"metric":"oWaiting","stats":{"count":2}},{"metric":"oInteracting","stats":{"count":1}},
            {"metric":"oLongestWaiting","stats":{"count":2,"calculatedMetricValue":61000}}"#;
        let chat = r#"{"metric":"oWaiting","stats":{"count":1}},{"metric":"oInteracting","stats":{"count":1}},
            {"metric":"oLongestWaiting","stats":{"count":1,"calculatedMetricValue":5000}}"#;
        let own_group = format!(
            r#"{{"results":[{{"group":{{"queueId":"a","mediaType":"voice"}},"data":[{voice}]}},
                {{"group":{{"queueId":"a","mediaType":"chat"}},"data":[{chat}]}},
                {{"group":{{"queueId":"a"}},"data":[{users}]}}]}}"#
        );
        let repeated = format!(
            r#"{{"results":[{{"group":{{"queueId":"a","mediaType":"voice"}},"data":[{voice},{users}]}},
                {{"group":{{"queueId":"a","mediaType":"chat"}},"data":[{chat},{users}]}}]}}"#
        );
        let want = QueueNumbers {
            waiting: Some(3),
            longest_waiting_ms: Some(61000),
            interacting: Some(2),
            alerting: None,
            on_queue: Some(5),
            idle: Some(3),
            off_queue: Some(1),
            not_responding: Some(1),
            active: Some(7),
            members: Some(9),
        };
        for body in [&own_group, &repeated] {
            let r: ObservationResponse = serde_json::from_str(body).unwrap();
            assert_eq!(parse_observations(&r)["a"], want, "{body}");
        }
    }

    #[test]
    fn agent_counts_prefer_the_group_without_a_media_type_then_the_largest() {
        let g = |on_queue: u32| QueueNumbers { on_queue: Some(on_queue), waiting: Some(1), ..Default::default() };
        // Per-media agent counts beside a users group: the users group says it.
        let users = QueueNumbers { on_queue: Some(5), ..Default::default() };
        let n = combine([(true, g(4)), (true, g(6)), (false, users)]);
        assert_eq!((n.on_queue, n.waiting), (Some(5), Some(2)));
        // Only per-media counts that differ: the largest, not the sum.
        let n = combine([(true, g(4)), (true, g(6))]);
        assert_eq!((n.on_queue, n.waiting), (Some(6), Some(2)));
        // Nobody reports agents: unknown, not 0.
        assert_eq!(combine([(true, QueueNumbers { waiting: Some(0), ..Default::default() })]).on_queue, None);
    }

    #[test]
    fn odd_counts_do_not_break_the_fold() {
        let body = r#"{"results":[{"group":{"queueId":"a","mediaType":"voice"},"data":[
            {"metric":"oWaiting","stats":{"count":2.0}},{"metric":"oInteracting","stats":{"count":-3}},
            {"metric":"oAlerting","stats":{"count":1.5}},{"metric":"oLongestWaiting","stats":{"count":2.0,"calculatedMetricValue":-5.0}}]}]}"#;
        let r: ObservationResponse = serde_json::from_str(body).unwrap();
        let a = &parse_observations(&r)["a"];
        assert_eq!((a.waiting, a.interacting, a.alerting, a.longest_waiting_ms), (Some(2), Some(0), Some(2), Some(0)));
    }

    #[test]
    fn members_take_status_and_presence_from_the_expanded_fields() {
        let body = r#"{"entities":[{"id":"u1","name":"Ava Adams","joined":true,"memberBy":"user",
            "user":{"id":"u1","name":"Ava Adams","presence":{"presenceDefinition":{"id":"p","systemPresence":"On Queue"}}},
            "routingStatus":{"userId":"u1","status":"IDLE","startTime":"2026-11-25T10:29:00.000Z"}},
            {"id":"u2","user":{"name":"Ben Brennan"}}],"pageSize":100,"pageNumber":1}"#;
        let l: QueueMemberEntityListing = serde_json::from_str(body).unwrap();
        let m: Vec<Member> = l.entities.into_iter().map(Member::from).collect();
        assert_eq!(m[0].routing_status.as_deref(), Some("IDLE"));
        assert_eq!(m[0].presence.as_deref(), Some("On Queue"));
        assert_eq!(m[0].status_since, Some("2026-11-25T10:29:00Z".parse().unwrap()));
        assert_eq!((m[1].name.as_str(), m[1].routing_status.as_deref()), ("Ben Brennan", None));
    }

    #[test]
    fn clock_skew_ignores_whole_second_noise() {
        let at: jiff::Timestamp = "2026-11-25T10:00:00.700Z".parse().unwrap();
        let meta = |date: &str| ResponseMeta {
            status: 200,
            correlation_id: None,
            rate: None,
            retry_after: None,
            server_date: Some(date.parse().unwrap()),
            received_at: at,
        };
        assert_eq!(clock_skew(&meta("2026-11-25T10:00:00Z")), jiff::SignedDuration::ZERO);
        assert_eq!(clock_skew(&meta("2026-11-25T14:30:00.700Z")), jiff::SignedDuration::from_secs(4 * 3600 + 1800));
    }

    #[test]
    fn query_batches_queue_predicates() {
        let ids: Vec<String> = (0..3).map(|i| format!("q{i}")).collect();
        let qy = observation_query(ids.iter().map(String::as_str));
        assert_eq!(qy.filter.predicates.len(), 3);
        assert!(qy.metrics.iter().any(|m| m == "oLongestWaiting"));
        assert!(qy.detail_metrics.is_empty());
    }
}
