//! The demo org's queue names and made-up live numbers, for screens built without the sim.

use genesys::queries::QueueNumbers;
use qtop::event::QueueInfo;

/// The demo org's queues, in the order the API lists them.
pub const NAMES: &[&str] = &[
    "Billing & Payments",
    "Collections",
    "Customer Care",
    "Customer Care - Chat",
    "Email Support",
    "Order Status",
    "Returns & Exchanges",
    "Sales - New Customers",
    "Sales - Upgrades",
    "Spanish Line",
    "Tech Support L1",
    "Tech Support L2",
    "VIP Concierge",
];

/// Varied, repeatable numbers for the `i`th queue; `waiting_step` spreads the waiting counts.
pub fn numbers(i: u32, waiting_step: u32) -> QueueNumbers {
    QueueNumbers {
        waiting: Some(i % 4 * waiting_step),
        longest_waiting_ms: Some(if i.is_multiple_of(4) { 0 } else { (i as u64 * 37_000) % 400_000 }),
        interacting: Some(i % 7 + 1),
        alerting: Some(i % 2),
        on_queue: Some(i % 9 + 4),
        idle: Some(i % 3),
        off_queue: Some(i % 5),
        not_responding: Some(0),
        active: Some(i % 9 + 6),
        members: Some(20),
    }
}

/// The queue id the fixtures use for the `i`th name.
pub fn id(i: usize) -> String {
    format!("q{i:02}")
}

/// One queue per name, ids from [`id`], an 80 % in 20 s service-level target, no division.
pub fn queues(names: &[&str]) -> Vec<QueueInfo> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| QueueInfo { id: id(i), name: n.to_string(), division: None, sl_target: Some((0.8, 20)) })
        .collect()
}

/// Every fixture id for `names`.
pub fn ids(names: &[&str]) -> Vec<String> {
    (0..names.len()).map(id).collect()
}
