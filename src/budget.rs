//! The request budget: Genesys allows about 300 requests a minute per token
//! (`inin-ratelimit-allowed` says exactly). qtop plans its polling to stay under it —
//! stretching the slower data first — and refuses to send past it.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

use crate::genesys::client::RateHeaders;

pub const DEFAULT_ALLOWED: u32 = 300;
pub const WINDOW: Duration = Duration::from_secs(60);
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
    /// Why the plan differs from what was asked, for the header and the log.
    pub note: Option<String>,
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
        return Plan { live_every, slow_every, note: None };
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
        while self.sent.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
            self.sent.pop_front();
        }
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
        let limit = self.allowed.saturating_sub(reserve).max(1);
        if self.used(now) < limit {
            self.sent.push_back(now);
            return Ok(());
        }
        let oldest = self.sent.front().copied().unwrap_or(now);
        Err(WINDOW.saturating_sub(now.duration_since(oldest)).max(Duration::from_millis(100)))
    }

    /// Learn from `inin-ratelimit-*` headers (the limit may differ from 300).
    pub fn observe(&mut self, rate: RateHeaders, now: Instant) {
        if rate.allowed > 0 {
            self.allowed = rate.allowed;
        }
        self.server = Some((rate, now));
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
}
