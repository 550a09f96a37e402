//! Rendered screens (ratatui TestBackend + insta) for each pane and state.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::errors::forbidden;
use common::fixtures::{self, NAMES};
use genesys::aggregates::TodayNumbers;
use genesys::auth::{AuthPhase, AuthStatus, Grant, TokenFacts};
use genesys::catalog::EndpointId;
use genesys::client::{ApiError, ErrorKind, RateHeaders, Request};
use genesys::models::ErrorBody;
use jiff::Timestamp;
use qtop::app::App;
use qtop::event::{Activity, Event, MonitorEvent, QueueInfo};
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn signed_in(now: Timestamp) -> AuthStatus {
    AuthStatus {
        phase: AuthPhase::SignedIn,
        token: Some(TokenFacts {
            grant: Grant::ClientCredentials,
            fingerprint: "sha256:1a2b3c4d".into(),
            obtained_at: now,
            expires_at: Some(now + jiff::SignedDuration::from_secs(86_399)),
            renewable: true,
            ..Default::default()
        }),
        signed_in_at: Some(now),
        sign_ins: 1,
        ..Default::default()
    }
}

fn base() -> App {
    let now = t("2026-11-25T10:30:00Z");
    let mut app = App::new("us-west-2".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(signed_in(now)))));
    app
}

fn live() -> App {
    let mut app = base();
    let queues: Vec<QueueInfo> = fixtures::queues(NAMES);
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: app.now }));
    let mut numbers = BTreeMap::new();
    for i in 0..NAMES.len() - 1 {
        let i32 = i as u32;
        numbers.insert(fixtures::id(i), fixtures::numbers(i32, 3));
    }
    let ids: Vec<String> = fixtures::ids(NAMES);
    app.update(Event::Monitor(MonitorEvent::Observations { queue_ids: ids.clone(), numbers, at: app.now }));
    let mut today = BTreeMap::new();
    for i in 0..NAMES.len() - 1 {
        let i64 = i as u64;
        let offered = 40 + i64 * 37 % 400;
        let abandoned = offered * (i64 % 5) / 40;
        let answered = offered - abandoned;
        // Service level 64%..96%, below the 80% target for a few queues.
        let within = answered * (64 + i64 * 8 % 33) / 100;
        today.insert(
            fixtures::id(i),
            TodayNumbers {
                offered,
                answered,
                abandoned,
                answer_wait_ms: (answered * (4_000 + i64 * 9_000 % 70_000)) as f64,
                sl_numerator: within as f64,
                sl_denominator: (answered + abandoned) as f64,
                sl_ratio_reported: None,
                sl_target: Some(0.8),
            },
        );
    }
    app.update(Event::Monitor(MonitorEvent::Totals { queue_ids: ids, today, at: app.now }));
    app.update(Event::Monitor(MonitorEvent::Rate {
        rate: RateHeaders { count: 42, allowed: 300, reset_secs: 31 },
        at: app.now,
    }));
    app.update(Event::Tick(app.now + jiff::SignedDuration::from_millis(400)));
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    term.backend().to_string()
}

#[test]
fn live_table_80x24() {
    insta::assert_snapshot!(render(&live(), 80, 24));
}

#[test]
fn live_table_120x40() {
    insta::assert_snapshot!(render(&live(), 120, 40));
}

#[test]
fn live_table_ascii_80x24() {
    let mut app = live();
    app.ascii = true;
    app.color = false;
    let screen = render(&app, 80, 24);
    assert!(screen.is_ascii(), "non-ASCII glyph in --ascii mode:\n{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn longest_wait_ticks_between_polls() {
    let mut app = live();
    let before = render(&app, 80, 24);
    app.update(Event::Tick(app.now + jiff::SignedDuration::from_secs(5)));
    let after = render(&app, 80, 24);
    // Customer Care (index 2) waits 01:14 at the poll, 01:19 five seconds later.
    assert!(before.contains("01:14") && after.contains("01:19"), "{after}");
}

#[test]
fn signing_in() {
    let now = t("2026-11-25T10:30:00Z");
    let mut app = App::new("us-west-2".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(AuthStatus {
        phase: AuthPhase::SigningIn,
        token: None,
        signed_in_at: None,
        sign_ins: 0,
        ..Default::default()
    }))));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn sign_in_failed() {
    let now = t("2026-11-25T10:30:00Z");
    let mut app = App::new("eu-west-1".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(AuthStatus {
        phase: AuthPhase::Failed("400 invalid_client: authentication failed".into()),
        token: None,
        signed_in_at: None,
        sign_ins: 0,
        ..Default::default()
    }))));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn forbidden_observations_in_the_error_log() {
    let mut app = live();
    for s in 1..=3 {
        let at = app.now + jiff::SignedDuration::from_secs(s);
        app.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(forbidden()),
            at,
        }));
    }
    app.update(Event::Tick(app.now + jiff::SignedDuration::from_secs(5)));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("×3"), "{screen}");
    insta::assert_snapshot!(screen);
}

fn with_errors() -> App {
    let mut app = live();
    for s in 1..=3 {
        let at = app.now + jiff::SignedDuration::from_secs(s);
        app.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(forbidden()),
            at,
        }));
    }
    let unavailable = ApiError {
        request: Request::new(EndpointId::RoutingQueues).line(),
        kind: ErrorKind::Api {
            status: 503,
            body: Some(Box::new(ErrorBody {
                code: Some("service.unavailable".into()),
                message: Some("The service is currently unavailable.".into()),
                status: Some(503),
                ..Default::default()
            })),
            raw: r#"{"message":"The service is currently unavailable.","code":"service.unavailable","status":503}"#
                .into(),
        },
        meta: None,
    };
    let at = app.now + jiff::SignedDuration::from_secs(4);
    app.update(Event::Monitor(MonitorEvent::Failed {
        activity: Activity::QueueList,
        error: Box::new(unavailable),
        at,
    }));
    app.update(Event::Tick(app.now + jiff::SignedDuration::from_secs(5)));
    app
}

fn key_code(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[test]
fn error_log_focused_120x40() {
    let mut app = with_errors();
    app.update(key_code(KeyCode::Tab));
    app.update(key_code(KeyCode::Down));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("fix: add a role with analytics:queueObservation:view"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn error_detail_80x24() {
    let mut app = with_errors();
    app.update(key_code(KeyCode::Tab));
    app.update(key_code(KeyCode::Down));
    app.update(key_code(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("missing   analytics:queueObservation:view"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn error_detail_120x40() {
    let mut app = with_errors();
    app.update(key_code(KeyCode::Tab));
    app.update(key_code(KeyCode::Enter));
    let screen = render(&app, 120, 40);
    assert!(screen.contains("service unavailable") && screen.contains("raw body"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn error_detail_ascii_is_pure_ascii() {
    let mut app = with_errors();
    app.ascii = true;
    app.color = false;
    app.update(key_code(KeyCode::Tab));
    app.update(key_code(KeyCode::Down));
    app.update(key_code(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    assert!(screen.is_ascii(), "{screen}");
}

fn forbidden_aggregates() -> ApiError {
    common::errors::api_error(
        EndpointId::ConversationAggregates,
        403,
        "missing.any.permissions",
        "Unable to perform the requested action. You must have at least one of the following permissions assigned: [analytics:conversationAggregate:view]",
    )
}

#[test]
fn refused_totals_leave_the_live_columns_alone() {
    let mut app = live();
    app.update(Event::Monitor(MonitorEvent::Failed {
        activity: Activity::Totals,
        error: Box::new(forbidden_aggregates()),
        at: app.now,
    }));
    let screen = render(&app, 120, 24);
    assert!(screen.contains("● Live"), "the header still says live:\n{screen}");
    assert!(
        screen.contains("needs at least one of analytics:conversationAggregate:view"),
        "the error log says why:\n{screen}"
    );
    assert!(app.queues.iter().all(|r| r.today.is_none() && r.numbers.is_some()));
    insta::assert_snapshot!(screen);
}

#[test]
fn a_hidden_queue_warning_80x24() {
    let mut app = live();
    let mut queues: Vec<QueueInfo> = app.queues.iter().map(|r| r.info.clone()).collect();
    queues.truncate(6);
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec!["Billing*".into()], at: app.now }));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("warn queue list") && screen.contains("no visible queue matches 'Billing*'"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn no_visible_queues() {
    let mut app = base();
    app.update(Event::Monitor(MonitorEvent::Queues { queues: vec![], unmatched: vec!["Sales*".into()], at: app.now }));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn help_overlay() {
    let mut app = live();
    app.update(Event::Key(KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE)));
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn too_small_terminal_says_so() {
    let screen = render(&live(), 60, 20);
    assert!(screen.contains("enlarge to 80x24 (now 60x20)"), "{screen}");
}

/// The queue numbers (`Queue 042`) on a rendered screen, top to bottom.
fn queue_numbers_shown(screen: &str) -> Vec<usize> {
    screen
        .lines()
        .filter_map(|l| {
            let at = l.find("Queue ")? + "Queue ".len();
            l.get(at..at + 3)?.parse().ok()
        })
        .collect()
}

/// More queues than lines: the table shows the window that keeps the selection on screen, the
/// way ratatui's Table scrolls (qtop builds only those rows, so 1 000 queues cost what 40 do).
#[test]
fn long_lists_scroll_to_keep_the_selection_on_screen() {
    let mut app = base();
    let names: Vec<String> = (0..100).map(|i| format!("Queue {i:03}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    app.update(Event::Monitor(MonitorEvent::Queues {
        queues: fixtures::queues(&names),
        unmatched: vec![],
        at: app.now,
    }));
    let top = queue_numbers_shown(&render(&app, 120, 40));
    let lines = top.len();
    assert!(lines > 10 && lines < 40, "one screen of queues: {top:?}");
    assert_eq!(top, (0..lines).collect::<Vec<_>>());
    for _ in 0..70 {
        app.update(key_code(KeyCode::Down));
    }
    let shown = queue_numbers_shown(&render(&app, 120, 40));
    assert_eq!(shown, (71 - lines..=70).collect::<Vec<_>>(), "the selected queue is the last line");
    for _ in 0..100 {
        app.update(key_code(KeyCode::Down));
    }
    let shown = queue_numbers_shown(&render(&app, 120, 40));
    assert_eq!(shown, (100 - lines..100).collect::<Vec<_>>(), "the end of the list");
    for _ in 0..95 {
        app.update(key_code(KeyCode::Up));
    }
    let shown = queue_numbers_shown(&render(&app, 120, 40));
    // Each frame starts from the top: a selection that fits on the first screen shows it.
    assert_eq!(shown, top, "selection on queue 4");
}
