//! Erlang C: how many agents a queue needs to meet a service level. Used to size the
//! generated org's teams (so a large org is neither idle nor drowning) and by tests that
//! check the demo org's staffing is plausible.

/// Probability that an arrival waits, with `agents` servers and `load` erlangs offered.
pub fn prob_wait(agents: u32, load: f64) -> f64 {
    let n = agents as f64;
    if n <= load {
        return 1.0;
    }
    // Erlang B by its recurrence (stable for large n), then C from B.
    let mut b = 1.0;
    for k in 1..=agents {
        b = load * b / (k as f64 + load * b);
    }
    n * b / (n - load * (1.0 - b))
}

/// Share of arrivals answered within `sl_secs`.
pub fn service_level(agents: u32, load: f64, aht_secs: f64, sl_secs: f64) -> f64 {
    if agents as f64 <= load {
        return 0.0;
    }
    let pw = prob_wait(agents, load);
    1.0 - pw * (-(agents as f64 - load) * sl_secs / aht_secs).exp()
}

/// Fewest agents that answer `target` of arrivals within `sl_secs`.
pub fn agents_needed(arrivals_per_hour: f64, aht_secs: f64, sl_secs: f64, target: f64) -> u32 {
    let load = arrivals_per_hour * aht_secs / 3600.0;
    if load <= 0.0 {
        return 0;
    }
    let mut n = load.floor() as u32 + 1;
    while service_level(n, load, aht_secs, sl_secs) < target && n < 1_000_000 {
        n += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_example() {
        // 200 calls an hour of 3 minutes each (10 erlangs): with 13 agents 28.5% of callers
        // wait and 79.6% are answered in 20 s, just short; 14 agents reach 88.8%.
        let pw = prob_wait(13, 10.0);
        assert!((pw - 0.2853).abs() < 0.0005, "{pw}");
        assert!((service_level(13, 10.0, 180.0, 20.0) - 0.7956).abs() < 0.0005);
        assert!((service_level(14, 10.0, 180.0, 20.0) - 0.8884).abs() < 0.0005);
        assert_eq!(agents_needed(200.0, 180.0, 20.0, 0.8), 14);
    }

    #[test]
    fn more_agents_never_hurt() {
        let mut last = 0.0;
        for n in 11..30 {
            let sl = service_level(n, 10.0, 180.0, 20.0);
            assert!(sl >= last);
            last = sl;
        }
        assert_eq!(service_level(10, 10.0, 180.0, 20.0), 0.0);
    }
}
