//! The request budget: Genesys allows about 300 requests a minute per token
//! (`inin-ratelimit-allowed` says exactly). qtop plans its polling to stay under it —
//! stretching the slower data first — and refuses to send past it.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::client::RateHeaders;

pub const DEFAULT_ALLOWED: u32 = 300;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Requests are remembered this much longer than the window: the server starts its window
/// when a request arrives, a moment after qtop counted it as sent.
const GUARD: Duration = Duration::from_secs(1);
/// Share of the allowed rate polling may never touch: it is for sign-in follow-ups, the queue
/// list, the `r` key and the detail views.
pub const POLL_RESERVE_SHARE: f64 = 0.1;
/// Share of the budget planned for polling; the rest is kept for sign-in, queue lists, the
/// `r` key and the detail views.
pub const PLAN_SHARE: f64 = 0.8;
/// The slower data is never stretched beyond this.
pub const SLOWEST: Duration = Duration::from_secs(300);

/// How often each kind of data is fetched, after fitting the plan into the budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub live_every: Duration,
    pub slow_every: Duration,
    /// Why the plan differs from what was asked, for the log and the help.
    pub note: Option<String>,
    /// The same in a few words for the header: `totals every 90s`.
    pub short: Option<String>,
}

/// Requests per minute a poller makes: `batches` requests every `every`.
fn per_minute(batches: usize, every: Duration) -> f64 {
    if batches == 0 || every.is_zero() { 0.0 } else { batches as f64 * 60.0 / every.as_secs_f64() }
}

/// Fit live polling (`live_batches` requests every `live_every`) and the slower data
/// (`slow_batches` every `slow_every`) into `allowed` requests a minute. The slower data is
/// stretched first; live polling only when that is not enough.
pub fn plan(
    allowed: u32,
    live_batches: usize,
    live_every: Duration,
    slow_batches: usize,
    slow_every: Duration,
) -> Plan {
    let budget = allowed as f64 * PLAN_SHARE;
    let live = per_minute(live_batches, live_every);
    let slow = per_minute(slow_batches, slow_every);
    if live + slow <= budget {
        return Plan { live_every, slow_every, note: None, short: None };
    }
    // Stretch the slower data into what live polling leaves, but not beyond SLOWEST.
    let slowest_rate = per_minute(slow_batches, SLOWEST);
    let room = budget - live;
    if room >= slowest_rate {
        let stretched = secs_ceil(slow_batches as f64 * 60.0 / room.max(f64::MIN_POSITIVE)).clamp(slow_every, SLOWEST);
        return Plan {
            live_every,
            slow_every: stretched,
            note: Some(format!(
                "rate budget {allowed}/min: daily totals every {}s instead of {}s",
                stretched.as_secs(),
                slow_every.as_secs()
            )),
            short: Some(format!("totals every {}s", stretched.as_secs())),
        };
    }
    let live_stretched = secs_ceil(live_batches as f64 * 60.0 / (budget - slowest_rate)).max(live_every);
    let slow_stretched = SLOWEST.max(slow_every);
    Plan {
        live_every: live_stretched,
        slow_every: slow_stretched,
        note: Some(format!(
            "rate budget {allowed}/min: live numbers every {}s instead of {}s, daily totals every {}s",
            live_stretched.as_secs(),
            live_every.as_secs(),
            slow_stretched.as_secs()
        )),
        short: Some(format!("live every {}s, totals {}s", live_stretched.as_secs(), slow_stretched.as_secs())),
    }
}

fn secs_ceil(secs: f64) -> Duration {
    Duration::from_secs(secs.ceil().max(1.0) as u64)
}

/// A sliding one-minute window of the requests this token sent. Never sending more than the
/// limit in any sliding minute keeps every fixed window the server counts under it too.
#[derive(Debug, Clone)]
pub struct RateBudget {
    allowed: u32,
    sent: VecDeque<Instant>,
    /// The server's last word: (count, allowed, when that was).
    server: Option<(RateHeaders, Instant)>,
}

impl Default for RateBudget {
    fn default() -> Self {
        RateBudget { allowed: DEFAULT_ALLOWED, sent: VecDeque::new(), server: None }
    }
}

impl RateBudget {
    pub fn allowed(&self) -> u32 {
        self.allowed
    }

    fn expire(&mut self, now: Instant) {
        while self.sent.front().is_some_and(|t| now.duration_since(*t) >= WINDOW + GUARD) {
            self.sent.pop_front();
        }
    }

    /// Requests qtop itself sent in the last minute.
    pub fn ours(&mut self, now: Instant) -> u32 {
        self.expire(now);
        self.sent.len() as u32
    }

    /// Requests counted in the last minute: ours, or the server's when it said more.
    pub fn used(&mut self, now: Instant) -> u32 {
        self.expire(now);
        let ours = self.sent.len() as u32;
        match self.server {
            Some((r, at)) if now.duration_since(at) < Duration::from_secs(r.reset_secs.max(1) as u64) => {
                ours.max(r.count)
            }
            _ => ours,
        }
    }

    /// Take one request from the budget, or say how long until one is free. `reserve` keeps
    /// that many requests back for more important calls.
    pub fn try_take(&mut self, now: Instant, reserve: u32) -> Result<(), Duration> {
        match self.wait_for(now, reserve) {
            None => {
                self.sent.push_back(now);
                Ok(())
            }
            Some(wait) => Err(wait),
        }
    }

    /// How long until a request may go, or `None` when one may go now (nothing is taken).
    pub fn wait_for(&mut self, now: Instant, reserve: u32) -> Option<Duration> {
        let limit = self.allowed.saturating_sub(reserve).max(1);
        if self.used(now) < limit {
            return None;
        }
        // Free again when our oldest request leaves the window, or when the server's window
        // (which said it was fuller) resets, whichever comes first.
        let ours = self.sent.front().map(|t| (WINDOW + GUARD).saturating_sub(now.duration_since(*t)));
        let servers = self.server_reset_in(now);
        let wait = match (ours, servers) {
            (Some(a), Some(b)) if (self.sent.len() as u32) < limit => b.min(a),
            (Some(a), _) => a,
            (None, Some(b)) => b,
            (None, None) => WINDOW,
        };
        Some(wait.max(Duration::from_millis(100)))
    }

    /// While the server's last count is current: how long until its window resets.
    fn server_reset_in(&self, now: Instant) -> Option<Duration> {
        let (r, at) = self.server?;
        let reset = Duration::from_secs(r.reset_secs.max(1) as u64);
        let gone = now.duration_since(at);
        reset.checked_sub(gone).filter(|left| !left.is_zero())
    }

    /// Learn from `inin-ratelimit-*` headers (the limit may differ from 300).
    pub fn observe(&mut self, rate: RateHeaders, now: Instant) {
        if rate.allowed > 0 {
            self.allowed = rate.allowed;
        }
        self.server = Some((rate, now));
    }
}

/// Who is asking. Polling gives way: it never takes the last [`POLL_RESERVE_SHARE`] of the
/// budget, so a key press, the queue list or a detail view always finds room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Poll,
    Other,
}

/// What the header shows: requests in the last minute against the allowed rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BudgetUse {
    /// The server's count when it said more than qtop sent, else qtop's own.
    pub used: u32,
    pub allowed: u32,
    /// What qtop itself sent: less than `used` when another program spends the same token's
    /// allowance.
    pub ours: u32,
}

impl BudgetUse {
    /// Requests the server counted for this token that qtop did not send, when they are
    /// more than a moment's difference in counting (a tenth of the allowance, at least 3).
    pub fn others(&self) -> Option<u32> {
        let margin = (self.allowed / 10).max(3);
        let others = self.used.saturating_sub(self.ours);
        (others >= margin).then_some(others)
    }
}

#[derive(Debug, Default)]
struct Shared {
    rate: RateBudget,
    /// A 429's `Retry-After`: nothing is sent with this token before then.
    held_until: Option<Instant>,
    /// Requests that had to wait for room (the soak reports it).
    waited: u64,
}

/// The per-token request budget every API call through the session draws from, shared by
/// all pollers (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct Budget(Arc<Mutex<Shared>>);

impl Budget {
    fn lock(&self) -> std::sync::MutexGuard<'_, Shared> {
        // A panic elsewhere while holding the lock leaves counts that are still usable.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Take one request from the budget, or say how long until one may be free.
    pub fn try_acquire(&self, priority: Priority, now: Instant) -> Result<(), Duration> {
        let mut s = self.lock();
        if let Some(until) = s.held_until {
            if until > now {
                return Err(until - now);
            }
            s.held_until = None;
        }
        let reserve = match priority {
            Priority::Poll => ((s.rate.allowed() as f64 * POLL_RESERVE_SHARE).ceil() as u32).max(1),
            Priority::Other => 0,
        };
        s.rate.try_take(now, reserve)
    }

    /// How long until polling may send again (a 429's hold or a full budget); `None` when
    /// it may send now. Nothing is taken.
    pub fn poll_wait(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut s = self.lock();
        if let Some(until) = s.held_until.filter(|u| *u > now) {
            return Some(until - now);
        }
        let reserve = ((s.rate.allowed() as f64 * POLL_RESERVE_SHARE).ceil() as u32).max(1);
        s.rate.wait_for(now, reserve)
    }

    /// Wait for room, then take it. Cancel-safe: nothing is taken until it returns.
    pub async fn acquire(&self, priority: Priority) {
        let mut waited = false;
        loop {
            match self.try_acquire(priority, Instant::now()) {
                Ok(()) => break,
                Err(wait) => {
                    waited = true;
                    // Short naps: a higher limit learned meanwhile frees room sooner.
                    tokio::time::sleep(wait.min(Duration::from_secs(1))).await;
                }
            }
        }
        if waited {
            self.lock().waited += 1;
        }
    }

    /// Learn from a response's `inin-ratelimit-*` headers.
    pub fn observe(&self, rate: RateHeaders) {
        self.lock().rate.observe(rate, Instant::now());
    }

    /// A 429 said to come back after `wait`: hold every request until then.
    pub fn hold(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut s = self.lock();
        s.held_until = Some(s.held_until.map_or(until, |u| u.max(until)));
    }

    pub fn allowed(&self) -> u32 {
        self.lock().rate.allowed()
    }

    pub fn usage(&self) -> BudgetUse {
        let mut s = self.lock();
        let now = Instant::now();
        let allowed = s.rate.allowed();
        BudgetUse { used: s.rate.used(now), allowed, ours: s.rate.ours(now) }
    }

    /// How many requests had to wait for room so far.
    pub fn waited(&self) -> u64 {
        self.lock().waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_small_org_fits_as_asked() {
        let p = plan(300, 1, S(1), 1, S(30));
        assert_eq!((p.live_every, p.slow_every, p.note), (S(1), S(30), None));
    }

    #[test]
    fn the_slower_data_is_stretched_first() {
        // 3 batches/s = 180/min live, 3 batches/10 s = 18/min slow: 198 > 0.8 × 240 = 192.
        let p = plan(240, 3, S(1), 3, S(10));
        assert_eq!(p.live_every, S(1));
        assert!(p.slow_every > S(10));
        assert!(p.note.as_deref().unwrap().contains("daily totals every"));
        let total = per_minute(3, p.live_every) + per_minute(3, p.slow_every);
        assert!(total <= 240.0 * PLAN_SHARE + 0.01, "{total}");
    }

    #[test]
    fn live_polling_slows_only_when_it_must() {
        // 10 batches (1 000 queues) every second = 600/min on a 300 budget.
        let p = plan(300, 10, S(1), 10, S(30));
        assert!(p.live_every >= S(3), "{p:?}");
        let total = per_minute(10, p.live_every) + per_minute(10, p.slow_every);
        assert!(total <= 300.0 * PLAN_SHARE + 0.01, "{total}");
        assert!(p.note.unwrap().contains("live numbers every"));
    }

    #[tokio::test(start_paused = true)]
    async fn never_more_than_allowed_in_any_minute() {
        let mut b = RateBudget::default();
        b.observe(RateHeaders { count: 0, allowed: 10, reset_secs: 60 }, Instant::now());
        let mut sent = vec![];
        for _ in 0..300 {
            let now = Instant::now();
            if b.try_take(now, 2).is_ok() {
                sent.push(now);
            }
            tokio::time::advance(Duration::from_millis(700)).await;
        }
        for (i, t) in sent.iter().enumerate() {
            let in_window = sent[i..].iter().take_while(|u| u.duration_since(*t) < WINDOW).count();
            assert!(in_window <= 8, "{in_window} requests within a minute");
        }
        assert!(sent.len() > 20, "the budget refills as the window slides");
    }

    #[tokio::test(start_paused = true)]
    async fn the_servers_count_wins_when_higher() {
        let mut b = RateBudget::default();
        let now = Instant::now();
        b.observe(RateHeaders { count: 299, allowed: 300, reset_secs: 20 }, now);
        assert_eq!(b.used(now), 299);
        assert!(b.try_take(now, 5).is_err());
        tokio::time::advance(S(21)).await;
        assert_eq!(b.used(Instant::now()), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn requests_the_server_counted_that_qtop_did_not_send_are_anothers() {
        let b = Budget::default();
        b.try_acquire(Priority::Poll, Instant::now()).unwrap();
        b.observe(RateHeaders { count: 2, allowed: 300, reset_secs: 60 });
        assert_eq!(b.usage().others(), None, "a request or two counted apart is not another program");
        b.observe(RateHeaders { count: 290, allowed: 300, reset_secs: 60 });
        assert_eq!(b.usage(), BudgetUse { used: 290, allowed: 300, ours: 1 });
        assert_eq!(b.usage().others(), Some(289));
    }

    #[tokio::test(start_paused = true)]
    async fn polling_leaves_a_reserve_and_a_hold_stops_everyone() {
        let b = Budget::default();
        b.observe(RateHeaders { count: 0, allowed: 20, reset_secs: 60 });
        let now = Instant::now();
        let polls = (0..30).filter(|_| b.try_acquire(Priority::Poll, now).is_ok()).count();
        assert_eq!(polls, 18, "polling stops short of the last tenth");
        assert!(b.try_acquire(Priority::Other, now).is_ok(), "the reserve is there for the rest");
        assert_eq!(b.usage(), BudgetUse { used: 19, allowed: 20, ours: 19 });
        tokio::time::advance(S(62)).await;
        b.hold(S(5));
        assert!(b.try_acquire(Priority::Other, Instant::now()).is_err());
        tokio::time::advance(S(5)).await;
        assert!(b.try_acquire(Priority::Poll, Instant::now()).is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn acquire_waits_for_room_instead_of_sending() {
        let b = Budget::default();
        b.observe(RateHeaders { count: 0, allowed: 2, reset_secs: 60 });
        b.acquire(Priority::Other).await;
        b.acquire(Priority::Other).await;
        let started = Instant::now();
        b.acquire(Priority::Other).await;
        assert!(started.elapsed() >= WINDOW, "{:?}", started.elapsed());
        assert_eq!(b.waited(), 1);
    }

    #[test]
    fn a_stretched_plan_says_so_in_a_few_words() {
        let p = plan(20, 1, S(1), 1, S(30));
        assert_eq!(p.short.as_deref(), Some("live every 4s, totals 300s"));
        let p = plan(240, 3, S(1), 3, S(10));
        assert!(p.short.unwrap().starts_with("totals every "));
    }
}
