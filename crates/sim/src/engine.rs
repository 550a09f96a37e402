//! Contact-centre dynamics as a discrete-event simulation on the simulated clock.
//!
//! Calls arrive per queue and media type as a Poisson process whose rate follows a
//! time-of-day curve (thinning against the peak rate); they wait in FIFO order, alert the
//! member agent who has been idle longest, get answered or bounce (NOT_RESPONDING), talk,
//! wrap up, or abandon when the caller's patience runs out. Agents follow shifts with breaks
//! and a meal. Every number the API reports is counted from these events, never drawn at
//! random per field.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, VecDeque};

use jiff::Timestamp;
use jiff::civil::Date;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal, Weibull};

use super::org::Org;

/// Milliseconds since the Unix epoch, simulated time.
pub type Ms = i64;

pub const BUCKET_MS: Ms = 30 * 60 * 1000;
/// Shape of the callers' patience (Weibull), and Γ(1 + 1/shape) to turn a mean into a scale.
const PATIENCE_SHAPE: f64 = 1.5;
const PATIENCE_SHAPE_GAMMA: f64 = 0.902_745_292_950_934;
const MINUTE: Ms = 60_000;
/// Buckets older than this are dropped (two days covers "today" in any time zone).
const KEEP_MS: Ms = 50 * 60 * MINUTE;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoutingStatus {
    OffQueue,
    Idle,
    Interacting,
    NotResponding,
    Communicating,
}

impl RoutingStatus {
    pub const ALL: [RoutingStatus; 5] = [
        RoutingStatus::OffQueue,
        RoutingStatus::Idle,
        RoutingStatus::Interacting,
        RoutingStatus::NotResponding,
        RoutingStatus::Communicating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RoutingStatus::OffQueue => "OFF_QUEUE",
            RoutingStatus::Idle => "IDLE",
            RoutingStatus::Interacting => "INTERACTING",
            RoutingStatus::NotResponding => "NOT_RESPONDING",
            RoutingStatus::Communicating => "COMMUNICATING",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// System presences (the org maps them to presence definition ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Presence {
    Offline,
    Available,
    OnQueue,
    Break,
    Meal,
    Busy,
}

impl Presence {
    pub const ALL: [Presence; 6] =
        [Presence::Offline, Presence::Available, Presence::OnQueue, Presence::Break, Presence::Meal, Presence::Busy];

    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Offline => "OFFLINE",
            Presence::Available => "AVAILABLE",
            Presence::OnQueue => "ON_QUEUE",
            Presence::Break => "BREAK",
            Presence::Meal => "MEAL",
            Presence::Busy => "BUSY",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    Waiting,
    Alerting(u32),
    Connected(u32),
}

/// A conversation in a queue. Small and `Copy`: observations copy the waiting ones out.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    pub id: u64,
    pub conversation_id: uuid::Uuid,
    pub session_id: uuid::Uuid,
    pub queue: u32,
    pub media: u8,
    /// When it entered the queue (a bounce back to the queue keeps it).
    pub arrived: Ms,
    pub connected_at: Option<Ms>,
    /// The caller's number: `tel:+1555` and these seven digits.
    pub ani: u32,
    pub state: CallState,
}

impl Call {
    pub fn ani_uri(&self) -> String {
        format!("tel:+1555{:07}", self.ani)
    }
}

#[derive(Debug, Clone)]
pub struct Agent {
    pub status: RoutingStatus,
    pub presence: Presence,
    pub call: Option<u64>,
    pub idle_since: Ms,
    /// When `status` last changed (the members endpoint's `routingStatus.startTime`).
    pub status_since: Ms,
    /// Wants to go off queue when the current call ends.
    pub pending: Option<Presence>,
}

impl Agent {
    /// On a conversation or wrapping one up (routing status INTERACTING, with or without a
    /// call): breaks and shift ends wait for it.
    fn busy(&self) -> bool {
        self.call.is_some() || self.status == RoutingStatus::Interacting
    }
}

/// A running total: count, sum, min, max (milliseconds for durations).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Agg {
    pub count: u64,
    pub sum: f64,
    pub min: f64,
    pub max: f64,
}

impl Agg {
    fn add(&mut self, v: f64) {
        if self.count == 0 {
            self.min = v;
            self.max = v;
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.count += 1;
        self.sum += v;
    }

    pub fn merge(&mut self, o: &Agg) {
        if o.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *o;
            return;
        }
        self.count += o.count;
        self.sum += o.sum;
        self.min = self.min.min(o.min);
        self.max = self.max.max(o.max);
    }
}

/// Conversation totals for one queue, media type and 30-minute interval.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    pub offered: u64,
    pub answered: Agg,
    pub abandoned: Agg,
    pub wait: Agg,
    pub handle: Agg,
    pub talk: Agg,
    pub acw: Agg,
    pub sl_numerator: u64,
    pub sl_denominator: u64,
    pub over_sla: u64,
}

impl Bucket {
    pub fn merge(&mut self, o: &Bucket) {
        self.offered += o.offered;
        self.answered.merge(&o.answered);
        self.abandoned.merge(&o.abandoned);
        self.wait.merge(&o.wait);
        self.handle.merge(&o.handle);
        self.talk.merge(&o.talk);
        self.acw.merge(&o.acw);
        self.sl_numerator += o.sl_numerator;
        self.sl_denominator += o.sl_denominator;
        self.over_sla += o.over_sla;
    }
}

#[derive(Debug, Clone)]
pub struct QueueState {
    pub waiting: VecDeque<u64>,
    /// Calls alerting or connected (for oAlerting/oInteracting and oLongestInteracting).
    pub active: Vec<u64>,
    /// Bucket start → totals per media index.
    pub buckets: BTreeMap<Ms, Vec<Bucket>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    DayStart,
    Arrival { queue: u32, media: u8 },
    Abandon { call: u64 },
    AlertEnd { agent: u32, call: u64 },
    HangUp { agent: u32, call: u64 },
    WrapEnd { agent: u32, started: Ms },
    ShiftStart { agent: u32 },
    Away { agent: u32, presence: u8, minutes: u16 },
    Back { agent: u32 },
    ShiftEnd { agent: u32 },
    Recover { agent: u32 },
}

/// Observed now for one media type of a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaObs {
    pub media: String,
    pub waiting: u32,
    pub alerting: u32,
    pub interacting: u32,
    pub longest_waiting_ms: Option<Ms>,
    pub longest_interacting_ms: Option<Ms>,
    /// Waiting calls, oldest first.
    pub waiting_calls: Vec<Call>,
}

impl PartialEq for Call {
    fn eq(&self, o: &Self) -> bool {
        self.id == o.id && self.state == o.state && self.arrived == o.arrived
    }
}

/// Observed now for the members of a queue.
#[derive(Debug, Clone, PartialEq)]
pub struct UserObs {
    pub members: u32,
    pub active: u32,
    /// On-queue members by routing status (IDLE, INTERACTING, NOT_RESPONDING, COMMUNICATING).
    pub on_queue: Vec<(RoutingStatus, u32)>,
    pub off_queue: u32,
    /// Active members by routing status, OFF_QUEUE included.
    pub routing: Vec<(RoutingStatus, u32)>,
    pub presences: Vec<(Presence, u32)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueObs {
    pub media: Vec<MediaObs>,
    pub users: UserObs,
}

pub struct Engine {
    now: Ms,
    rng: StdRng,
    heap: BinaryHeap<Reverse<(Ms, u64, Ev)>>,
    seq: u64,
    next_call: u64,
    tz: jiff::tz::TimeZone,
    org: Org,
    pub queues: Vec<QueueState>,
    pub agents: Vec<Agent>,
    pub calls: HashMap<u64, Call>,
    /// Agent → (queue, media, hang-up time) of the call they are wrapping up.
    pending_wrap: HashMap<u32, (u32, u8, Ms)>,
}

/// Share of the peak arrival rate by local hour (piecewise linear between the points).
const CURVE: &[(f64, f64)] = &[
    (0.0, 0.03),
    (6.0, 0.04),
    (7.0, 0.1),
    (8.0, 0.35),
    (9.0, 0.65),
    (10.0, 0.9),
    (11.0, 1.0),
    (12.0, 0.95),
    (13.0, 0.85),
    (14.0, 0.9),
    (15.0, 0.92),
    (16.0, 0.85),
    (17.0, 0.65),
    (18.0, 0.45),
    (19.0, 0.3),
    (20.0, 0.15),
    (22.0, 0.05),
    (24.0, 0.03),
];

pub fn arrival_share(local_hour: f64) -> f64 {
    for w in CURVE.windows(2) {
        let ((h0, v0), (h1, v1)) = (w[0], w[1]);
        if local_hour >= h0 && local_hour <= h1 {
            return v0 + (v1 - v0) * (local_hour - h0) / (h1 - h0);
        }
    }
    CURVE[0].1
}

impl Engine {
    /// Start the org at local midnight of `start`'s day and run the day up to `start`, so
    /// "today" already has history.
    pub fn new(org: Org, start: Timestamp) -> Engine {
        let tz = org.timezone.clone();
        let midnight = start
            .to_zoned_datetime(tz.clone())
            .start_of_day()
            .expect("every day has a start")
            .timestamp()
            .as_millisecond();
        let mut e = Engine {
            now: midnight,
            rng: StdRng::seed_from_u64(org.seed),
            heap: BinaryHeap::new(),
            seq: 0,
            next_call: 1,
            tz,
            queues: org
                .queues
                .iter()
                .map(|_| QueueState { waiting: VecDeque::new(), active: vec![], buckets: BTreeMap::new() })
                .collect(),
            agents: org
                .agents
                .iter()
                .map(|_| Agent {
                    status: RoutingStatus::OffQueue,
                    presence: Presence::Offline,
                    call: None,
                    idle_since: midnight,
                    status_since: midnight,
                    pending: None,
                })
                .collect(),
            calls: HashMap::new(),
            pending_wrap: HashMap::new(),
            org,
        };
        e.schedule(midnight, Ev::DayStart);
        for q in 0..e.org.queues.len() {
            for m in 0..e.org.queues[q].media.len() {
                e.schedule_arrival(q as u32, m as u8);
            }
        }
        e.advance_to(start.as_millisecond());
        e
    }

    pub fn org(&self) -> &Org {
        &self.org
    }

    pub fn now(&self) -> Ms {
        self.now
    }

    fn schedule(&mut self, at: Ms, ev: Ev) {
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, ev)));
    }

    /// Run every event up to `t` (no-op when `t` is in the past: time never goes back).
    pub fn advance_to(&mut self, t: Ms) {
        while let Some(Reverse((at, _, _))) = self.heap.peek() {
            if *at > t {
                break;
            }
            let Reverse((at, _, ev)) = self.heap.pop().expect("peeked");
            self.now = at;
            self.handle(ev);
        }
        self.now = self.now.max(t);
        if let Some(cutoff) = self.now.checked_sub(KEEP_MS) {
            for q in &mut self.queues {
                while q.buckets.first_key_value().is_some_and(|(k, _)| *k < cutoff) {
                    q.buckets.pop_first();
                }
            }
        }
    }

    fn local_date(&self, t: Ms) -> Date {
        Timestamp::from_millisecond(t).expect("sim time in range").to_zoned_datetime(self.tz.clone()).date()
    }

    /// Local seconds since midnight. An offset lookup, not a full zoned date-time: this runs
    /// for every arrival.
    fn local_secs(&self, t: Ms) -> i64 {
        let offset = self.tz.to_offset(Timestamp::from_millisecond(t).expect("sim time in range")).seconds() as i64;
        (t.div_euclid(1000) + offset).rem_euclid(86_400)
    }

    fn local_hour(&self, t: Ms) -> f64 {
        self.local_secs(t) as f64 / 3600.0
    }

    /// When the queue next opens, from a moment it is closed.
    fn next_opening(&self, queue: u32) -> Ms {
        let spec = &self.org.queues[queue as usize];
        let today = self.local_date(self.now);
        let open_today = self.local_ms(today, spec.open_min);
        if open_today > self.now {
            open_today
        } else {
            self.local_ms(today.tomorrow().expect("dates continue"), spec.open_min)
        }
    }

    fn local_ms(&self, date: Date, minutes: i32) -> Ms {
        let day = date.to_zoned_datetime(self.tz.clone()).expect("valid local day");
        day.timestamp().as_millisecond() + minutes as Ms * MINUTE
    }

    fn schedule_arrival(&mut self, queue: u32, media: u8) {
        self.schedule_arrival_from(queue, media, self.now);
    }

    /// Next arrival event of a queue's Poisson process at the peak rate (thinned on arrival).
    fn schedule_arrival_from(&mut self, queue: u32, media: u8, from: Ms) {
        let spec = &self.org.queues[queue as usize];
        let per_ms = spec.peak_per_hour / spec.media.len() as f64 / 3_600_000.0;
        if per_ms <= 0.0 {
            return;
        }
        let gap = Exp::new(per_ms).expect("positive rate").sample(&mut self.rng);
        let at = from + gap.max(1.0) as Ms;
        self.schedule(at, Ev::Arrival { queue, media });
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::DayStart => self.day_start(),
            Ev::Arrival { queue, media } => {
                let spec = &self.org.queues[queue as usize];
                let minute = (self.local_secs(self.now) / 60) as i32;
                if minute < spec.open_min || minute >= spec.close_min {
                    // Closed: the IVR turns callers away; the process resumes at opening.
                    let opening = self.next_opening(queue);
                    self.schedule_arrival_from(queue, media, opening);
                    return;
                }
                self.schedule_arrival(queue, media);
                let share = arrival_share(self.local_hour(self.now));
                if self.rng.random::<f64>() < share {
                    self.arrive(queue, media);
                }
            }
            Ev::Abandon { call } => self.abandon(call),
            Ev::AlertEnd { agent, call } => self.alert_end(agent, call),
            Ev::HangUp { agent, call } => self.hang_up(agent, call),
            Ev::WrapEnd { agent, started } => self.wrap_end(agent, started),
            Ev::ShiftStart { agent } => {
                let a = &mut self.agents[agent as usize];
                if a.presence == Presence::Offline {
                    self.go_on_queue(agent);
                }
            }
            Ev::Away { agent, presence, minutes } => {
                let presence = Presence::ALL[presence as usize];
                let a = &self.agents[agent as usize];
                if a.presence == Presence::Offline {
                    return;
                }
                if a.busy() {
                    // Finish the conversation and its wrap-up first; try again shortly.
                    self.schedule(self.now + MINUTE, Ev::Away { agent, presence: presence.index() as u8, minutes });
                    return;
                }
                self.go_off_queue(agent, presence);
                self.schedule(self.now + minutes as Ms * MINUTE, Ev::Back { agent });
            }
            Ev::Back { agent } => {
                let a = &self.agents[agent as usize];
                if matches!(a.presence, Presence::Break | Presence::Meal | Presence::Busy) {
                    self.go_on_queue(agent);
                }
            }
            Ev::ShiftEnd { agent } => {
                let a = &mut self.agents[agent as usize];
                if a.busy() {
                    a.pending = Some(Presence::Offline);
                } else {
                    self.go_off_queue(agent, Presence::Offline);
                }
            }
            Ev::Recover { agent } => {
                let a = &mut self.agents[agent as usize];
                if a.status == RoutingStatus::NotResponding {
                    if a.status != RoutingStatus::Idle {
                        a.status_since = self.now;
                    }
                    a.status = RoutingStatus::Idle;
                    a.idle_since = self.now;
                    self.route_agent(agent);
                }
            }
        }
    }

    fn day_start(&mut self) {
        let today = self.local_date(self.now);
        let next = today.tomorrow().expect("dates continue");
        let next_midnight = self.local_ms(next, 0);
        self.schedule(next_midnight, Ev::DayStart);
        for i in 0..self.org.agents.len() {
            let spec = &self.org.agents[i];
            let (start_min, end_min) = (spec.shift_start_min, spec.shift_end_min);
            // People arrive a little early or late.
            let jitter = self.rng.random_range(-6..=9);
            let start = self.local_ms(today, start_min + jitter);
            let late = self.rng.random_range(-3..=12);
            let end = self.local_ms(today, end_min + late);
            let agent = i as u32;
            self.schedule(start, Ev::ShiftStart { agent });
            let len = end_min - start_min;
            let breaks = [
                (len / 4, Presence::Break, 15),
                (len / 2, Presence::Meal, 30),
                (len * 3 / 4 + 10, Presence::Break, 15),
            ];
            for (offset, presence, minutes) in breaks {
                let at = start + (offset + self.rng.random_range(-10..=10)) as Ms * MINUTE;
                self.schedule(at, Ev::Away { agent, presence: presence.index() as u8, minutes });
            }
            // Now and then a meeting or training takes someone off queue.
            if self.rng.random::<f64>() < 0.2 {
                let at = start + self.rng.random_range(60..len.max(61)) as Ms * MINUTE;
                self.schedule(at, Ev::Away { agent, presence: Presence::Busy.index() as u8, minutes: 30 });
            }
            self.schedule(end, Ev::ShiftEnd { agent });
        }
    }

    fn bucket(&mut self, queue: u32, media: u8, at: Ms) -> &mut Bucket {
        let n_media = self.org.queues[queue as usize].media.len();
        let key = at.div_euclid(BUCKET_MS) * BUCKET_MS;
        &mut self.queues[queue as usize].buckets.entry(key).or_insert_with(|| vec![Bucket::default(); n_media])
            [media as usize]
    }

    fn arrive(&mut self, queue: u32, media: u8) {
        let id = self.next_call;
        self.next_call += 1;
        // Weibull with shape 1.5: few callers give up in the first seconds, as in call
        // centre data (an exponential would make every fifth abandon a "short abandon").
        let mean_ms = self.org.queues[queue as usize].patience_secs * 1000.0;
        let patience =
            Weibull::new(mean_ms / PATIENCE_SHAPE_GAMMA, PATIENCE_SHAPE).expect("positive").sample(&mut self.rng);
        let ani = self.rng.random_range(0..10_000_000);
        let call = Call {
            id,
            conversation_id: uuid_from(&mut self.rng),
            session_id: uuid_from(&mut self.rng),
            queue,
            media,
            arrived: self.now,
            connected_at: None,
            ani,
            state: CallState::Waiting,
        };
        self.calls.insert(id, call);
        self.queues[queue as usize].waiting.push_back(id);
        let now = self.now;
        self.bucket(queue, media, now).offered += 1;
        self.schedule(self.now + patience.max(1000.0) as Ms, Ev::Abandon { call: id });
        self.route_queue(queue);
    }

    fn abandon(&mut self, id: u64) {
        let Some(call) = self.calls.get(&id) else { return };
        if call.state != CallState::Waiting {
            return;
        }
        let (queue, media, waited) = (call.queue, call.media, (self.now - call.arrived) as f64);
        self.calls.remove(&id);
        self.queues[queue as usize].waiting.retain(|c| *c != id);
        let now = self.now;
        let b = self.bucket(queue, media, now);
        b.abandoned.add(waited);
        b.wait.add(waited);
        b.sl_denominator += 1;
    }

    /// Offer the queue's oldest waiting calls to its longest-idle members.
    fn route_queue(&mut self, queue: u32) {
        loop {
            let Some(&call) = self.queues[queue as usize].waiting.front() else { return };
            let members = &self.org.queues[queue as usize].members;
            let best = members
                .iter()
                .copied()
                .filter(|&a| {
                    let ag = &self.agents[a];
                    ag.presence == Presence::OnQueue && ag.status == RoutingStatus::Idle && ag.call.is_none()
                })
                .min_by_key(|&a| self.agents[a].idle_since);
            let Some(agent) = best else { return };
            self.offer(call, agent as u32);
        }
    }

    /// Give an agent who just became idle the oldest call waiting in any of their queues.
    fn route_agent(&mut self, agent: u32) {
        let spec = &self.org.agents[agent as usize];
        let a = &self.agents[agent as usize];
        if a.presence != Presence::OnQueue || a.status != RoutingStatus::Idle || a.call.is_some() {
            return;
        }
        // Highest routing priority first, then the longest waiting.
        let next = spec
            .queues
            .iter()
            .filter_map(|&q| {
                let c = self.queues[q].waiting.front()?;
                Some((Reverse(self.org.queues[q].priority), self.calls[c].arrived, *c))
            })
            .min();
        if let Some((_, _, call)) = next {
            self.offer(call, agent);
        }
    }

    fn offer(&mut self, id: u64, agent: u32) {
        let call = self.calls.get_mut(&id).expect("waiting call exists");
        let queue = call.queue;
        call.state = CallState::Alerting(agent);
        let media = &self.org.queues[queue as usize].media[call.media as usize];
        let ring_ms = if media == "voice" || media == "callback" {
            self.rng.random_range(2_000..7_000)
        } else {
            self.rng.random_range(500..2_000)
        };
        let q = &mut self.queues[queue as usize];
        q.waiting.retain(|c| *c != id);
        q.active.push(id);
        let a = &mut self.agents[agent as usize];
        if a.status != RoutingStatus::Interacting {
            a.status_since = self.now;
        }
        a.status = RoutingStatus::Interacting;
        a.call = Some(id);
        self.schedule(self.now + ring_ms, Ev::AlertEnd { agent, call: id });
    }

    fn alert_end(&mut self, agent: u32, id: u64) {
        let Some(call) = self.calls.get(&id) else { return };
        if call.state != CallState::Alerting(agent) {
            return;
        }
        let (queue, media, arrived) = (call.queue, call.media, call.arrived);
        if self.rng.random::<f64>() < 0.03 {
            // The agent misses it: back to the front of the line, agent NOT_RESPONDING.
            let call = self.calls.get_mut(&id).expect("exists");
            call.state = CallState::Waiting;
            let q = &mut self.queues[queue as usize];
            q.active.retain(|c| *c != id);
            q.waiting.push_front(id);
            let a = &mut self.agents[agent as usize];
            if a.status != RoutingStatus::NotResponding {
                a.status_since = self.now;
            }
            a.status = RoutingStatus::NotResponding;
            a.call = None;
            let back = self.rng.random_range(20_000..90_000);
            self.schedule(self.now + back, Ev::Recover { agent });
            self.route_queue(queue);
            return;
        }
        let call = self.calls.get_mut(&id).expect("exists");
        call.state = CallState::Connected(agent);
        call.connected_at = Some(self.now);
        let waited = (self.now - arrived) as f64;
        let spec = &self.org.queues[queue as usize];
        let (sl_ms, handle_secs) = (spec.sl_ms, spec.handle_secs);
        let now = self.now;
        let b = self.bucket(queue, media, now);
        b.answered.add(waited);
        b.wait.add(waited);
        b.sl_denominator += 1;
        if waited as Ms <= sl_ms {
            b.sl_numerator += 1;
        } else {
            b.over_sla += 1;
        }
        let talk = lognormal(&mut self.rng, handle_secs * 1000.0, 0.55);
        self.schedule(self.now + talk as Ms, Ev::HangUp { agent, call: id });
    }

    fn hang_up(&mut self, agent: u32, id: u64) {
        let Some(call) = self.calls.remove(&id) else { return };
        let q = &mut self.queues[call.queue as usize];
        q.active.retain(|c| *c != id);
        let talk = (self.now - call.connected_at.unwrap_or(self.now)) as f64;
        let now = self.now;
        self.bucket(call.queue, call.media, now).talk.add(talk);
        let wrap_secs = self.org.queues[call.queue as usize].wrap_secs;
        let wrap = if wrap_secs > 0.0 { lognormal(&mut self.rng, wrap_secs * 1000.0, 0.4) } else { 0.0 };
        // After-call work keeps the agent INTERACTING with no conversation in the queue.
        self.agents[agent as usize].call = None;
        let started = call.connected_at.unwrap_or(self.now);
        self.schedule(self.now + wrap as Ms, Ev::WrapEnd { agent, started });
        // Remember where the handle time goes: the queue and media of the call.
        self.pending_wrap.insert(agent, (call.queue, call.media, self.now));
    }

    fn wrap_end(&mut self, agent: u32, started: Ms) {
        if let Some((queue, media, hung_up)) = self.pending_wrap.remove(&agent) {
            let now = self.now;
            let b = self.bucket(queue, media, now);
            b.acw.add((now - hung_up) as f64);
            b.handle.add((now - started) as f64);
        }
        let a = &mut self.agents[agent as usize];
        if let Some(p) = a.pending.take() {
            self.go_off_queue(agent, p);
            return;
        }
        if a.presence != Presence::OnQueue {
            if a.status != RoutingStatus::OffQueue {
                a.status_since = self.now;
            }
            a.status = RoutingStatus::OffQueue;
            return;
        }
        if a.status != RoutingStatus::Idle {
            a.status_since = self.now;
        }
        a.status = RoutingStatus::Idle;
        a.idle_since = self.now;
        self.route_agent(agent);
    }

    fn go_on_queue(&mut self, agent: u32) {
        let a = &mut self.agents[agent as usize];
        a.presence = Presence::OnQueue;
        if a.status != RoutingStatus::Idle {
            a.status_since = self.now;
        }
        a.status = RoutingStatus::Idle;
        a.idle_since = self.now;
        a.pending = None;
        self.route_agent(agent);
    }

    fn go_off_queue(&mut self, agent: u32, presence: Presence) {
        let a = &mut self.agents[agent as usize];
        a.presence = presence;
        if a.status != RoutingStatus::OffQueue {
            a.status_since = self.now;
        }
        a.status = RoutingStatus::OffQueue;
    }

    /// What the observations endpoint reports for a queue right now.
    pub fn observe(&self, queue: usize) -> QueueObs {
        let spec = &self.org.queues[queue];
        let st = &self.queues[queue];
        let media = spec
            .media
            .iter()
            .enumerate()
            .map(|(mi, name)| {
                let waiting_calls: Vec<Call> =
                    st.waiting.iter().map(|c| self.calls[c]).filter(|c| c.media as usize == mi).collect();
                let active: Vec<&Call> =
                    st.active.iter().map(|c| &self.calls[c]).filter(|c| c.media as usize == mi).collect();
                let alerting = active.iter().filter(|c| matches!(c.state, CallState::Alerting(_))).count() as u32;
                let connected: Vec<&&Call> =
                    active.iter().filter(|c| matches!(c.state, CallState::Connected(_))).collect();
                MediaObs {
                    media: name.clone(),
                    waiting: waiting_calls.len() as u32,
                    alerting,
                    interacting: connected.len() as u32,
                    longest_waiting_ms: waiting_calls.iter().map(|c| self.now - c.arrived).max(),
                    longest_interacting_ms: connected.iter().filter_map(|c| c.connected_at).map(|t| self.now - t).max(),
                    waiting_calls,
                }
            })
            .collect();
        let mut on_queue = [0u32; 5];
        let mut routing = [0u32; 5];
        let mut presences = [0u32; 6];
        let (mut active, mut off_queue) = (0, 0);
        for &m in &spec.members {
            let a = &self.agents[m];
            if a.presence == Presence::Offline {
                continue;
            }
            active += 1;
            presences[a.presence.index()] += 1;
            routing[a.status.index()] += 1;
            if a.presence == Presence::OnQueue {
                on_queue[a.status.index()] += 1;
            } else {
                off_queue += 1;
            }
        }
        QueueObs {
            media,
            users: UserObs {
                members: spec.members.len() as u32,
                active,
                on_queue: RoutingStatus::ALL
                    .iter()
                    .filter(|s| **s != RoutingStatus::OffQueue)
                    .map(|s| (*s, on_queue[s.index()]))
                    .collect(),
                off_queue,
                routing: RoutingStatus::ALL.iter().map(|s| (*s, routing[s.index()])).collect(),
                presences: Presence::ALL.iter().map(|p| (*p, presences[p.index()])).collect(),
            },
        }
    }

    /// Totals for a queue and media index over `[from, to)`, by 30-minute bucket starts.
    pub fn totals(&self, queue: usize, media: usize, from: Ms, to: Ms) -> Bucket {
        let mut out = Bucket::default();
        for (_, per_media) in self.queues[queue].buckets.range(from.div_euclid(BUCKET_MS) * BUCKET_MS..to) {
            if let Some(b) = per_media.get(media) {
                out.merge(b);
            }
        }
        out
    }
}

fn lognormal(rng: &mut StdRng, mean: f64, sigma: f64) -> f64 {
    // mean = exp(mu + sigma^2/2)
    let mu = mean.ln() - sigma * sigma / 2.0;
    LogNormal::new(mu, sigma).expect("valid lognormal").sample(rng)
}

fn uuid_from(rng: &mut StdRng) -> uuid::Uuid {
    let bytes: [u8; 16] = rng.random();
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn arrival_curve_peaks_mid_morning_and_is_quiet_at_night() {
        assert!(arrival_share(11.0) > 0.95);
        assert!(arrival_share(3.0) < 0.1);
        assert!(arrival_share(13.0) < arrival_share(11.0));
    }

    #[test]
    fn a_morning_has_traffic_answers_and_abandons() {
        let e = Engine::new(Org::demo(), at("2026-11-25T11:00:00Z"));
        let morning = at("2026-11-25T00:00:00Z").as_millisecond();
        let mut total = Bucket::default();
        for q in 0..e.queues.len() {
            for m in 0..e.org.queues[q].media.len() {
                total.merge(&e.totals(q, m, morning, e.now()));
            }
        }
        assert!(total.offered > 300, "offered {}", total.offered);
        assert!(total.answered.count > total.offered / 2);
        assert!(total.abandoned.count > 0);
        assert!(total.sl_numerator <= total.sl_denominator);
        let on_queue = e.agents.iter().filter(|a| a.presence == Presence::OnQueue).count();
        assert!(on_queue > 20, "{on_queue} agents on queue at 11:00");
    }

    #[test]
    fn observations_agree_with_the_raw_state() {
        let e = Engine::new(Org::demo(), at("2026-11-25T10:30:00Z"));
        for q in 0..e.queues.len() {
            let obs = e.observe(q);
            let waiting: u32 = obs.media.iter().map(|m| m.waiting).sum();
            assert_eq!(waiting as usize, e.queues[q].waiting.len());
            let members = &e.org.queues[q].members;
            let idle = members
                .iter()
                .filter(|&&m| e.agents[m].presence == Presence::OnQueue && e.agents[m].status == RoutingStatus::Idle)
                .count() as u32;
            let reported_idle = obs.users.on_queue.iter().find(|(s, _)| *s == RoutingStatus::Idle).unwrap().1;
            assert_eq!(idle, reported_idle);
            for m in &obs.media {
                if m.waiting > 0 {
                    let oldest = m.waiting_calls.iter().map(|c| e.now() - c.arrived).max().unwrap();
                    assert_eq!(m.longest_waiting_ms, Some(oldest));
                } else {
                    assert_eq!(m.longest_waiting_ms, None);
                }
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_day() {
        let a = Engine::new(Org::demo(), at("2026-11-25T09:00:00Z"));
        let b = Engine::new(Org::demo(), at("2026-11-25T09:00:00Z"));
        for q in 0..a.queues.len() {
            assert_eq!(a.observe(q), b.observe(q));
        }
    }

    /// Service level, abandon rate and offered for the whole org from midnight to `e.now()`.
    fn day_so_far(e: &Engine) -> (f64, f64, u64) {
        let midnight = e.local_ms(e.local_date(e.now()), 0);
        let mut total = Bucket::default();
        for q in 0..e.queues.len() {
            for m in 0..e.org.queues[q].media.len() {
                total.merge(&e.totals(q, m, midnight, e.now()));
            }
        }
        let sl = total.sl_numerator as f64 / total.sl_denominator.max(1) as f64;
        (sl, total.abandoned.count as f64 / total.offered.max(1) as f64, total.offered)
    }

    #[test]
    fn the_demo_day_is_plausible() {
        // Europe/London is UTC+0 in November: these are local times.
        let mut e = Engine::new(Org::demo(), at("2026-11-25T10:30:00Z"));
        let (morning_sl, _, morning_offered) = day_so_far(&e);
        // Through the busiest hour, queues usually have someone free (not "Idle 0" everywhere).
        let (mut samples, mut with_idle) = (0, 0);
        for _ in 0..12 {
            e.advance_to(e.now() + 5 * MINUTE);
            for q in 0..e.queues.len() {
                samples += 1;
                with_idle +=
                    e.observe(q).users.on_queue.iter().any(|(s, n)| *s == RoutingStatus::Idle && *n > 0) as u32;
            }
        }
        assert!(with_idle * 2 >= samples, "an idle agent in only {with_idle} of {samples} queue samples, 10:30-11:30");
        e.advance_to(at("2026-11-25T19:00:00Z").as_millisecond());
        let (day_sl, day_abandon, day_offered) = day_so_far(&e);
        assert!(day_offered > 3 * morning_offered, "{morning_offered} by 10:30, {day_offered} by 19:00");
        assert!((0.7..0.95).contains(&day_sl), "service level {day_sl:.2} for the day");
        assert!(morning_sl < day_sl, "the morning rush dents the service level ({morning_sl:.2} vs {day_sl:.2})");
        assert!((0.01..0.08).contains(&day_abandon), "abandon rate {day_abandon:.3}");
        let midnight = at("2026-11-25T00:00:00Z").as_millisecond();
        for (q, spec) in e.org.queues.iter().enumerate() {
            let mut b = Bucket::default();
            for m in 0..spec.media.len() {
                b.merge(&e.totals(q, m, midnight, e.now()));
            }
            let sl = b.sl_numerator as f64 / b.sl_denominator.max(1) as f64;
            let abandon = b.abandoned.count as f64 / b.offered.max(1) as f64;
            assert!(sl > 0.55, "{}: service level {sl:.2}", spec.name);
            assert!(abandon < 0.2, "{}: abandon rate {abandon:.2}", spec.name);
        }
    }

    #[test]
    fn presence_and_routing_status_never_disagree() {
        let mut e = Engine::new(Org::demo(), at("2026-11-25T07:00:00Z"));
        for _ in 0..(14 * 12) {
            e.advance_to(e.now() + 5 * MINUTE);
            for (i, a) in e.agents.iter().enumerate() {
                let off = a.presence != Presence::OnQueue;
                assert_eq!(off, a.status == RoutingStatus::OffQueue, "agent {i} at {}: {a:?}", e.now());
                if a.status == RoutingStatus::Idle {
                    assert!(a.call.is_none());
                }
            }
        }
    }

    #[test]
    fn closed_queues_offer_nothing_and_email_arrives_all_night() {
        let e = Engine::new(Org::demo(), at("2026-11-25T07:59:00Z"));
        let midnight = at("2026-11-25T00:00:00Z").as_millisecond();
        for (q, spec) in e.org.queues.iter().enumerate() {
            let offered: u64 = (0..spec.media.len()).map(|m| e.totals(q, m, midnight, e.now()).offered).sum();
            if spec.open_min == 0 {
                assert!(offered > 0, "{} is open all night", spec.name);
            } else {
                assert_eq!(offered, 0, "{} opens at 08:00", spec.name);
            }
        }
    }

    #[test]
    fn small_steps_give_the_same_day_as_one_jump() {
        let mut stepped = Engine::new(Org::demo(), at("2026-11-25T10:30:00Z"));
        let end = at("2026-11-25T12:00:00Z").as_millisecond();
        while stepped.now() < end {
            stepped.advance_to((stepped.now() + 1_000).min(end));
        }
        let jumped = Engine::new(Org::demo(), at("2026-11-25T12:00:00Z"));
        for q in 0..jumped.queues.len() {
            assert_eq!(stepped.observe(q), jumped.observe(q), "queue {q}");
            assert_eq!(stepped.queues[q].buckets, jumped.queues[q].buckets, "queue {q}");
        }
    }

    #[test]
    fn time_moves_the_numbers() {
        let mut e = Engine::new(Org::demo(), at("2026-11-25T10:00:00Z"));
        let before: Vec<_> = (0..e.queues.len()).map(|q| e.observe(q)).collect();
        e.advance_to(e.now() + 60_000);
        let after: Vec<_> = (0..e.queues.len()).map(|q| e.observe(q)).collect();
        assert_ne!(before, after);
    }
}
