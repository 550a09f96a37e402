//! The simulator's business clock: what time it is in the simulated org.
//!
//! Token lifetimes and rate-limit windows run on real (tokio) time; the contact-centre day
//! and the `Date` header run on this clock, which can be faster than real time (`--speed`)
//! or stepped by hand in tests.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Real time scaled by `speed` from a chosen starting instant.
pub struct ScaledClock {
    started: std::time::Instant,
    origin: Timestamp,
    speed: f64,
}

impl ScaledClock {
    pub fn new(origin: Timestamp, speed: f64) -> Self {
        ScaledClock { started: std::time::Instant::now(), origin, speed: speed.max(0.0) }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let real = self.started.elapsed().as_secs_f64() * self.speed;
        let nanos = (real * 1e9).min(i64::MAX as f64) as i64;
        self.origin.saturating_add(SignedDuration::from_nanos(nanos)).unwrap_or(self.origin)
    }
}

/// A clock that only moves when told to (tests).
pub struct ManualClock(Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(Mutex::new(at))
    }

    pub fn advance(&self, by: SignedDuration) {
        let mut t = self.0.lock().expect("clock lock");
        *t = t.saturating_add(by).unwrap_or(*t);
    }

    pub fn set(&self, at: Timestamp) {
        *self.0.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().expect("clock lock")
    }
}

/// A time of day today in `tz` (the demo starts mid-morning so there is something to see).
pub fn today_at(tz: &jiff::tz::TimeZone, hour: i8, minute: i8) -> Timestamp {
    let now = Timestamp::now().to_zoned_datetime(tz.clone());
    now.date()
        .at(hour, minute, 0, 0)
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_else(|_| Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let c = ManualClock::new(t0);
        assert_eq!(c.now(), t0);
        c.advance(SignedDuration::from_secs(5));
        assert_eq!(c.now(), "2026-11-25T10:00:05Z".parse().unwrap());
    }

    #[test]
    fn scaled_clock_starts_at_its_origin_and_runs_forward() {
        let t0: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let c = ScaledClock::new(t0, 60.0);
        let a = c.now();
        assert!(a >= t0 && a < t0 + SignedDuration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() > a);
    }
}
