//! Retry timing after failures: exponential with full jitter, capped, forever (a wall never
//! gives up). `Retry-After` from the server always wins.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub struct Backoff {
    pub attempt: u32,
    base: Duration,
    cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(60))
    }
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff { attempt: 0, base, cap }
    }

    /// The ceiling for the current attempt: base × 2^(attempt-1), capped.
    pub fn ceiling(&self) -> Duration {
        let exp = self.attempt.saturating_sub(1).min(16);
        self.base.saturating_mul(1 << exp).min(self.cap)
    }

    /// Count a failure and return how long to wait: uniformly between half the ceiling and
    /// the ceiling (so retries from many walls spread out but never come back too soon), or
    /// the server's `Retry-After`.
    pub fn fail(&mut self, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        self.attempt = self.attempt.saturating_add(1);
        if let Some(wait) = retry_after {
            return wait;
        }
        let ceiling = self.ceiling().as_millis() as u64;
        Duration::from_millis(rng.random_range(ceiling / 2..=ceiling.max(1)))
    }

    pub fn succeed(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn grows_doubles_caps_and_resets() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut b = Backoff::default();
        let mut ceilings = vec![];
        for _ in 0..9 {
            let wait = b.fail(None, &mut rng);
            let c = b.ceiling();
            assert!(wait <= c && wait >= c / 2, "{wait:?} outside [{:?}, {c:?}]", c / 2);
            ceilings.push(c.as_secs());
        }
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        b.succeed();
        assert_eq!(b.attempt, 0);
    }

    #[test]
    fn retry_after_wins() {
        let mut b = Backoff::default();
        let wait = b.fail(Some(Duration::from_secs(42)), &mut StdRng::seed_from_u64(2));
        assert_eq!(wait, Duration::from_secs(42));
        assert_eq!(b.attempt, 1);
    }
}
