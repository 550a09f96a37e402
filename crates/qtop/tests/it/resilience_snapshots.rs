//! Rendered screens for every status the header can show when things go wrong, at 80x24 and
//! 120x40: Reconnecting, Rate limited, Stale, Auth failed (retrying), Frozen over trouble, the
//! budget stretching the plan, "access restored" in the error log, and the wall.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::errors::{forbidden, too_many, unavailable};
use common::fixtures;
use genesys::auth::{AuthPhase, AuthStatus, Grant, TokenFacts};
use genesys::budget::BudgetUse;
use genesys::catalog::EndpointId;
use genesys::client::{ApiError, ErrorKind, Request};
use genesys::models::OAuthErrorBody;
use genesys::queries::QueueNumbers;
use jiff::{SignedDuration, Timestamp};
use qtop::app::{App, UiSettings, Wall};
use qtop::event::{Activity, Event, LiveSource, MonitorEvent, PollPlan};
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// Eight queues: few enough that the error log fits under them at 80x24.
const NAMES: &[&str] = fixtures::NAMES.split_at(8).0;

fn t0() -> Timestamp {
    "2026-11-25T10:30:00Z".parse().unwrap()
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

fn signed_in(now: Timestamp) -> AuthStatus {
    AuthStatus {
        phase: AuthPhase::SignedIn,
        token: Some(TokenFacts {
            grant: Grant::ClientCredentials,
            fingerprint: "sha256:1a2b3c4d".into(),
            obtained_at: now,
            expires_at: Some(now + secs(86_399)),
            renewable: true,
            ..Default::default()
        }),
        signed_in_at: Some(now),
        sign_ins: 1,
        ..Default::default()
    }
}

fn ev(m: MonitorEvent) -> Event {
    Event::Monitor(m)
}

/// Queues with numbers observed at 10:30:00, a budget report, the token pane hidden.
fn live() -> App {
    let now = t0();
    let mut app = App::new("us-west-2".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.update(ev(MonitorEvent::Auth(Box::new(signed_in(now)))));
    app.token_pane.shown = Some(false);
    let queues = fixtures::queues(NAMES);
    app.update(ev(MonitorEvent::Queues { queues, unmatched: vec![], at: now }));
    let numbers: BTreeMap<String, QueueNumbers> = (0..NAMES.len() as u32)
        .map(|i| {
            let n = QueueNumbers {
                waiting: Some(i % 3),
                longest_waiting_ms: Some(if i % 3 == 0 { 0 } else { 20_000 + 9_000 * i as u64 }),
                interacting: Some(i + 2),
                alerting: Some(0),
                on_queue: Some(i + 5),
                idle: Some(i % 2),
                off_queue: Some(1),
                ..Default::default()
            };
            (fixtures::id(i as usize), n)
        })
        .collect();
    let ids = fixtures::ids(NAMES);
    app.update(ev(MonitorEvent::Observations { queue_ids: ids, numbers, at: now }));
    app.update(ev(MonitorEvent::Plan(PollPlan {
        live_every: Duration::from_secs(1),
        totals_every: Duration::from_secs(30),
        allowed: 300,
        short: None,
        note: None,
    })));
    app.update(ev(MonitorEvent::Budget { usage: BudgetUse { used: 62, allowed: 300, ours: 62 }, resume: None }));
    app.update(Event::Tick(now + SignedDuration::from_millis(400)));
    app
}

fn failed(activity: Activity, error: ApiError, at: Timestamp) -> Event {
    ev(MonitorEvent::Failed { activity, error: Box::new(error), at })
}

/// 25 s after the last good numbers, the fourth attempt after a run of 503s is 8 s away.
fn reconnecting() -> App {
    let mut app = live();
    let at = t0() + secs(17);
    app.update(failed(Activity::Observations, unavailable(), at));
    app.update(ev(MonitorEvent::Retrying {
        activity: Activity::Observations,
        attempt: 4,
        next: t0() + secs(33),
        rate_limited: false,
    }));
    app.update(Event::Tick(t0() + secs(25)));
    app
}

fn rate_limited() -> App {
    let mut app = live();
    app.update(failed(Activity::Observations, too_many(), t0() + secs(3)));
    app.update(ev(MonitorEvent::Retrying {
        activity: Activity::Observations,
        attempt: 1,
        next: t0() + secs(45),
        rate_limited: true,
    }));
    app.update(ev(MonitorEvent::Budget {
        usage: BudgetUse { used: 300, allowed: 300, ours: 300 },
        resume: Some(t0() + secs(45)),
    }));
    app.update(Event::Tick(t0() + secs(3)));
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut app = app.clone();
    app.update(Event::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::draw(f, &app);
    })
    .unwrap();
    term.backend().to_string()
}

fn both(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(app, 120, 40));
}

#[test]
fn reconnecting_counts_down_to_the_next_attempt() {
    let app = reconnecting();
    let wide = render(&app, 120, 40);
    assert!(wide.contains("Server error – retrying in 8s (attempt 4)"), "{wide}");
    let narrow = render(&app, 80, 24);
    assert!(narrow.contains("Server error in 8s #4"), "{narrow}");
    let mut later = app.clone();
    later.update(Event::Tick(t0() + secs(30)));
    assert!(render(&later, 120, 40).contains("retrying in 3s"), "the countdown ticks");
    both("reconnecting", &app);
}

#[test]
fn rate_limited_says_when_it_resumes() {
    let app = rate_limited();
    assert!(render(&app, 120, 40).contains("Rate limited – resuming in 42s"));
    both("rate_limited", &app);
}

#[test]
fn stale_rows_are_marked_with_their_age() {
    let mut app = live();
    app.update(Event::Tick(t0() + secs(12)));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("Stale – numbers 12s old"), "{screen}");
    assert!(screen.contains("Collections ~12s"), "{screen}");
    both("stale", &app);
}

#[test]
fn auth_failed_keeps_retrying() {
    let mut app = live();
    let mut status = signed_in(t0());
    status.phase = AuthPhase::Failed("400 invalid_client: authentication failed".into());
    app.update(ev(MonitorEvent::Auth(Box::new(status))));
    let e = ApiError {
        request: Request::new(EndpointId::OAuthToken).line(),
        kind: ErrorKind::OAuth {
            status: 400,
            body: Some(OAuthErrorBody {
                error: "invalid_client".into(),
                description: Some("authentication failed".into()),
                error_description: Some("authentication failed".into()),
            }),
            raw: String::new(),
        },
        meta: None,
    };
    app.update(failed(Activity::SignIn, e, t0() + secs(5)));
    app.update(ev(MonitorEvent::Retrying {
        activity: Activity::Observations,
        attempt: 3,
        next: t0() + secs(30),
        rate_limited: false,
    }));
    app.update(Event::Tick(t0() + secs(10)));
    let wide = render(&app, 120, 40);
    assert!(wide.contains("Sign-in refused – retrying in 20s (attempt 3)"), "{wide}");
    both("auth_failed_retrying", &app);
}

#[test]
fn frozen_still_says_how_the_data_underneath_is() {
    let mut app = reconnecting();
    app.update(Event::Key(ratatui::crossterm::event::KeyEvent::new(
        ratatui::crossterm::event::KeyCode::Char('f'),
        ratatui::crossterm::event::KeyModifiers::NONE,
    )));
    app.update(Event::Tick(t0() + secs(27)));
    let wide = render(&app, 120, 40);
    assert!(wide.contains("FROZEN") && wide.contains("Server error"), "{wide}");
    both("frozen_reconnecting", &app);
}

#[test]
fn a_stretched_plan_is_named_in_the_header() {
    let mut app = live();
    app.update(ev(MonitorEvent::Plan(PollPlan {
        live_every: Duration::from_secs(4),
        totals_every: Duration::from_secs(300),
        allowed: 20,
        short: Some("live every 4s, totals 300s".into()),
        note: Some("rate budget 20/min: live numbers every 4s instead of 1s, daily totals every 300s".into()),
    })));
    app.update(ev(MonitorEvent::Budget { usage: BudgetUse { used: 15, allowed: 20, ours: 15 }, resume: None }));
    app.update(Event::Tick(t0() + secs(2)));
    let wide = render(&app, 120, 40);
    assert!(wide.contains("15/20") && wide.contains("live every 4s, totals 300s (budget)"), "{wide}");
    assert!(wide.contains("Live"), "2 s is fresh when live numbers come every 4 s: {wide}");
    both("budget_stretched", &app);
}

#[test]
fn the_header_says_when_numbers_stream_and_when_the_stream_reconnects() {
    let mut app = live();
    app.update(ev(MonitorEvent::Source(LiveSource::Stream)));
    app.update(Event::Tick(t0() + secs(1)));
    let wide = render(&app, 120, 40);
    assert!(wide.lines().next().unwrap().contains(" stream "), "{wide}");
    both("stream_live", &app);
    app.update(ev(MonitorEvent::Source(LiveSource::StreamReconnecting)));
    let wide = render(&app, 120, 40);
    assert!(wide.lines().next().unwrap().contains("stream: reconnecting"), "{wide}");
    both("stream_reconnecting", &app);
    // Polling is the ordinary case: the header does not mention it.
    app.update(ev(MonitorEvent::Source(LiveSource::Poll)));
    let wide = render(&app, 120, 40);
    assert!(
        !wide.lines().next().unwrap().contains("stream") && !wide.lines().next().unwrap().contains("poll"),
        "{wide}"
    );
}

#[test]
fn access_restored_is_in_the_error_log() {
    let mut app = live();
    app.update(failed(Activity::Observations, forbidden(), t0() + secs(1)));
    let numbers = BTreeMap::new();
    let ids = fixtures::ids(NAMES);
    app.update(ev(MonitorEvent::Observations { queue_ids: ids, numbers, at: t0() + secs(9) }));
    app.update(Event::Tick(t0() + secs(9)));
    let wide = render(&app, 120, 40);
    assert!(wide.contains("info") && wide.contains("access restored: live numbers answer again"), "{wide}");
    both("access_restored", &app);
}

#[test]
fn the_wall_says_reconnecting_too() {
    let mut app = reconnecting();
    app.configure(UiSettings { start_wall: true, ..UiSettings::default() }, jiff::tz::TimeZone::UTC);
    app.ui.wall = Some(Wall { kiosk: true, since: t0() });
    app.update(Event::Tick(t0() + secs(25)));
    let wide = render(&app, 120, 40);
    assert!(wide.contains("Server error – retrying in 8s (attempt 4)"), "{wide}");
    both("wall_reconnecting", &app);
}
