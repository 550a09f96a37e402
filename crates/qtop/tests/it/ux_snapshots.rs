//! Every view and state at 80x24 and 160x48, in colour and in ASCII without colour
//! (TestBackend + insta), plus the properties that make them trustworthy: ASCII screens are
//! pure ASCII, NO_COLOR screens carry no colour, colour never says what the text does not,
//! and the help lists exactly the key tables.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::errors::forbidden;
use common::fixtures::{self, NAMES};
use genesys::auth::{AuthPhase, AuthStatus, Grant, TokenFacts};
use genesys::catalog::EndpointId;
use genesys::client::{RateHeaders, Request};
use genesys::queries::{Member, Selector};
use jiff::{SignedDuration, Timestamp};
use qtop::app::{App, Sort, UiSettings, ViewDef};
use qtop::event::{Activity, Event, MonitorEvent, QueueInfo};
use qtop::keys::{Component, Key, Keymap};
use qtop::text::columns::ColumnId;
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Color;

const T0: &str = "2026-11-25T10:30:00Z";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn settings() -> UiSettings {
    let views = vec![
        ViewDef {
            name: "sales".into(),
            queues: vec![Selector::parse("Sales*").unwrap()],
            columns: Some(vec![ColumnId::Waiting, ColumnId::Longest, ColumnId::Idle]),
            sort: Some(Sort::by(ColumnId::Waiting)),
        },
        ViewDef {
            name: "support".into(),
            queues: vec![Selector::parse("*Support*").unwrap()],
            columns: None,
            sort: None,
        },
    ];
    UiSettings { views, ..Default::default() }
}

fn live_with(settings: UiSettings) -> App {
    let now = t(T0);
    let mut app = App::new("us-west-2".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.configure(settings, jiff::tz::TimeZone::UTC);
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(AuthStatus {
        phase: AuthPhase::SignedIn,
        token: Some(TokenFacts {
            grant: Grant::ClientCredentials,
            fingerprint: "sha256:1a2b3c4d".into(),
            obtained_at: now,
            expires_at: Some(now + SignedDuration::from_secs(86_399)),
            renewable: true,
            ..Default::default()
        }),
        signed_in_at: Some(now),
        sign_ins: 1,
        ..Default::default()
    }))));
    let queues = NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| QueueInfo {
            id: format!("q{i:02}"),
            name: n.to_string(),
            division: Some(if i < 3 { "Finance" } else { "Home" }.into()),
            sl_target: Some((0.8, 20)),
        })
        .collect();
    app.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: now }));
    let mut numbers = BTreeMap::new();
    for i in 0..NAMES.len() - 1 {
        let n = i as u32;
        numbers.insert(format!("q{i:02}"), fixtures::numbers(n, 4));
    }
    let ids = (0..NAMES.len()).map(|i| format!("q{i:02}")).collect();
    app.update(Event::Monitor(MonitorEvent::Observations { queue_ids: ids, numbers, at: now }));
    app.update(Event::Monitor(MonitorEvent::Rate {
        rate: RateHeaders { count: 42, allowed: 300, reset_secs: 31 },
        at: now,
    }));
    app.update(Event::Tick(now + SignedDuration::from_millis(400)));
    app
}

fn live() -> App {
    live_with(settings())
}

fn keys(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            '\t' => KeyCode::Tab,
            '\u{2193}' => KeyCode::Down,
            '\u{21df}' => KeyCode::PageDown,
            c => KeyCode::Char(c),
        };
        app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }
}

fn members(now: Timestamp) -> Vec<Member> {
    let people = [
        ("Ava Adams", Some("INTERACTING"), 185, "On Queue"),
        ("Ben Brennan", Some("IDLE"), 42, "On Queue"),
        ("Chloe Castillo", Some("NOT_RESPONDING"), 12, "On Queue"),
        ("Dev Dubois", Some("OFF_QUEUE"), 900, "Break"),
        ("Elena Eriksen", Some("INTERACTING"), 61, "On Queue"),
        ("Femi Fofana", Some("OFF_QUEUE"), 5400, "Offline"),
        ("Grace Garcia", None, 0, "Available"),
    ];
    people
        .iter()
        .map(|(name, status, secs, presence)| Member {
            id: name.to_lowercase().replace(' ', "-"),
            name: name.to_string(),
            routing_status: status.map(String::from),
            status_since: status.map(|_| now - SignedDuration::from_secs(*secs)),
            presence: Some(presence.to_string()),
            joined: Some(true),
        })
        .collect()
}

/// The states worth a picture, each built by driving `App::update`.
fn state(name: &str) -> App {
    let mut app = live();
    match name {
        "main" => {}
        "help" => keys(&mut app, "?"),
        "help_scrolled" => {
            app.update(Event::Resize(80, 24));
            keys(&mut app, "?");
            // As the TUI's loop does: the frame that shows the help records how far it scrolls.
            drawn(&mut app, 80, 24);
            keys(&mut app, "\u{21df}\u{21df}\u{21df}");
        }
        "filter_typing" => keys(&mut app, "/care"),
        "filtered_sorted" => keys(&mut app, "/s*\nss"),
        "filter_no_match" => keys(&mut app, "/zzz\n"),
        "frozen" => {
            keys(&mut app, "f");
            app.update(Event::Tick(app.now + SignedDuration::from_secs(12)));
        }
        "view_sales" => keys(&mut app, "1"),
        "detail_loading" => keys(&mut app, "\n"),
        "detail_members" => {
            keys(&mut app, "\n");
            let at = app.now;
            app.update(Event::Monitor(MonitorEvent::Members { queue_id: "q00".into(), result: Ok(members(at)), at }));
            app.update(Event::Tick(at + SignedDuration::from_secs(3)));
        }
        "detail_forbidden" => {
            keys(&mut app, "\n");
            let mut e = forbidden();
            e.request = Request::with_params(EndpointId::QueueMembers, &["q00"]).line();
            let at = app.now;
            app.update(Event::Monitor(MonitorEvent::Members { queue_id: "q00".into(), result: Err(Box::new(e)), at }));
        }
        "error_log_focused" => {
            for s in 1..=3 {
                let at = app.now + SignedDuration::from_secs(s);
                app.update(Event::Monitor(MonitorEvent::Failed {
                    activity: Activity::Observations,
                    error: Box::new(forbidden()),
                    at,
                }));
            }
            app.update(Event::Tick(app.now + SignedDuration::from_secs(5)));
            keys(&mut app, "\t");
        }
        "wall" => keys(&mut app, "w"),
        other => panic!("no state {other}"),
    }
    app
}

const STATES: &[&str] = &[
    "main",
    "help",
    "help_scrolled",
    "filter_typing",
    "filtered_sorted",
    "filter_no_match",
    "frozen",
    "view_sales",
    "detail_loading",
    "detail_members",
    "detail_forbidden",
    "error_log_focused",
    "wall",
];

fn terminal(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| {
        ui::draw(f, app);
    })
    .unwrap();
    term
}

/// A frame drawn and its viewport stored in the state, as the TUI's loop does after each draw.
fn drawn(app: &mut App, w: u16, h: u16) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut viewport = None;
    term.draw(|f| viewport = Some(ui::draw(f, app))).unwrap();
    app.ui.viewport = viewport.unwrap();
}

fn render(app: &App, w: u16, h: u16) -> String {
    terminal(app, w, h).backend().to_string()
}

fn plain(mut app: App) -> App {
    app.ascii = true;
    app.color = false;
    app
}

fn snapshot(name: &str, screen: String) {
    insta::assert_snapshot!(name.to_string(), screen);
}

#[test]
fn every_state_at_80x24_and_160x48() {
    for s in STATES {
        snapshot(&format!("{s}_80x24"), render(&state(s), 80, 24));
        snapshot(&format!("{s}_160x48"), render(&state(s), 160, 48));
    }
}

#[test]
fn every_state_in_ascii_without_colour() {
    for s in STATES {
        for (w, h) in [(80, 24), (160, 48)] {
            let screen = render(&plain(state(s)), w, h);
            assert!(screen.is_ascii(), "non-ASCII glyph in {s} {w}x{h}:\n{screen}");
            if w == 80 {
                snapshot(&format!("{s}_ascii_80x24"), screen);
            }
        }
    }
}

#[test]
fn no_color_means_no_colour_and_colour_adds_nothing_the_text_lacks() {
    for s in STATES {
        for (w, h) in [(80, 24), (160, 48)] {
            let mut mono = state(s);
            mono.color = false;
            let term = terminal(&mono, w, h);
            for cell in term.backend().buffer().content() {
                assert!(cell.fg == Color::Reset && cell.bg == Color::Reset, "{s}: colour with NO_COLOR: {cell:?}");
            }
            assert_eq!(term.backend().to_string(), render(&state(s), w, h), "{s}: colour changes the text");
        }
    }
}

#[test]
fn thresholds_show_a_marker_next_to_the_colour() {
    let screen = render(&state("main"), 80, 24);
    // Customer Care - Chat: 12 waiting (red at 10), longest 01:51 (amber at 60s).
    let line = screen.lines().find(|l| l.contains("Customer Care - Chat")).unwrap();
    assert!(line.contains("12!") && line.contains("01:51▲"), "{line}");
    let ascii = render(&plain(state("main")), 80, 24);
    let line = ascii.lines().find(|l| l.contains("Customer Care - Chat")).unwrap();
    assert!(line.contains("12!") && line.contains("01:51^"), "{line}");
    // Collections: 4 waiting, 37 s: below both thresholds, no marker.
    let line = screen.lines().find(|l| l.contains("Collections")).unwrap();
    assert!(!line.contains('▲') && !line.contains('!'), "{line}");
}

#[test]
fn frozen_numbers_stand_still_and_the_header_says_so() {
    let mut app = state("frozen");
    let before = render(&app, 80, 24);
    assert!(before.contains("FROZEN") && before.contains("12s"), "{before}");
    app.update(Event::Tick(app.now + SignedDuration::from_secs(5)));
    let after = render(&app, 80, 24);
    let row = |s: &str| s.lines().find(|l| l.contains("Customer Care ")).unwrap().to_string();
    assert_eq!(row(&before), row(&after), "the longest wait does not tick while frozen");
}

#[test]
fn wall_pages_turn_by_themselves() {
    let mut app = live();
    keys(&mut app, "w");
    let first = render(&app, 120, 40);
    assert!(first.contains("page 1/2"), "{first}");
    app.update(Event::Tick(app.now + SignedDuration::from_secs(10)));
    let second = render(&app, 120, 40);
    assert!(second.contains("page 2/2") && second.contains("Spanish Line"), "{second}");
    app.update(Event::Tick(app.now + SignedDuration::from_secs(10)));
    assert!(render(&app, 120, 40).contains("page 1/2"), "and back to the first");
}

#[test]
fn a_wall_without_data_says_why_and_that_it_retries() {
    let now = t(T0);
    let mut app = App::new("eu-west-1".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    app.configure(UiSettings { start_wall: true, ..Default::default() }, jiff::tz::TimeZone::UTC);
    app.update(Event::Monitor(MonitorEvent::Auth(Box::new(AuthStatus {
        phase: AuthPhase::Failed("400 invalid_client: authentication failed".into()),
        ..Default::default()
    }))));
    let screen = render(&app, 160, 48);
    assert!(screen.contains("Sign-in refused: 400 invalid_client: authentication failed"), "{screen}");
    assert!(screen.contains("● Sign-in refused"), "the header says it in the same words");
}

#[test]
fn names_stay_whole_at_80_columns() {
    let screen = render(&live(), 80, 24);
    for n in NAMES {
        assert!(screen.contains(n), "{n} cut at 80 columns:\n{screen}");
    }
}

/// Turn a help label back into a key press.
fn press_for(label: &str) -> KeyEvent {
    let k = |c| KeyEvent::new(c, KeyModifiers::NONE);
    match label {
        "↑" | "Up" => k(KeyCode::Up),
        "↓" | "Down" => k(KeyCode::Down),
        "PgUp" => k(KeyCode::PageUp),
        "PgDn" => k(KeyCode::PageDown),
        "Home" => k(KeyCode::Home),
        "End" => k(KeyCode::End),
        "Enter" => k(KeyCode::Enter),
        "Esc" => k(KeyCode::Esc),
        "Tab" => k(KeyCode::Tab),
        "Backspace" => k(KeyCode::Backspace),
        "Space" => k(KeyCode::Char(' ')),
        "0-9" => k(KeyCode::Char('5')),
        "text" => k(KeyCode::Char('x')),
        l if l.starts_with("Ctrl-") => {
            KeyEvent::new(KeyCode::Char(l[5..].to_ascii_lowercase().chars().next().unwrap()), KeyModifiers::CONTROL)
        }
        l if l.chars().count() == 1 => k(KeyCode::Char(l.chars().next().unwrap())),
        other => panic!("help shows a key the tables cannot have: {other}"),
    }
}

/// The help's key section, rendered tall enough to need no scrolling, parsed back into
/// (component title, key labels, text).
fn help_entries(ascii: bool) -> Vec<(String, Vec<String>, String)> {
    let mut app = live();
    app.ascii = ascii;
    keys(&mut app, "?");
    let screen = render(&app, 160, 200);
    let mut out = vec![];
    let mut section = String::new();
    for line in screen.lines() {
        let inner = line.trim_matches('"');
        let Some(inner) = inner.split(['│', '|']).nth(1) else { continue };
        if inner.starts_with("Views") {
            break;
        }
        if let Some(title) = inner.strip_prefix(' ').filter(|t| !t.starts_with(' ') && !t.trim().is_empty()) {
            section = title.trim().to_string();
            continue;
        }
        let Some(entry) = inner.strip_prefix("  ") else { continue };
        let key_part: String = entry.chars().take(14).collect();
        let text: String = entry.chars().skip(14).collect();
        if key_part.trim().is_empty() {
            continue;
        }
        let labels = key_part.split_whitespace().map(String::from).collect();
        out.push((section.clone(), labels, text.trim().to_string()));
    }
    out
}

#[test]
fn every_key_in_the_help_is_in_the_tables_and_back() {
    let keymap = Keymap::default();
    for ascii in [false, true] {
        let entries = help_entries(ascii);
        // Help → tables: each shown key dispatches to the action described, in its component.
        for (section, labels, text) in &entries {
            let c = Component::ALL.into_iter().find(|c| c.title() == section).unwrap_or_else(|| panic!("{section}"));
            let b = keymap.bindings(c).iter().find(|b| b.help == text).unwrap_or_else(|| panic!("{section}: {text}"));
            for l in labels {
                let action = keymap.action(&[c], &press_for(l));
                assert!(action.is_some(), "{section}: {l} does nothing");
                assert_eq!(
                    std::mem::discriminant(&action.unwrap()),
                    std::mem::discriminant(&b.action),
                    "{section}: {l} is not '{text}'"
                );
            }
            assert_eq!(labels.len(), b.keys.len(), "{section}: {text}");
        }
        // Tables → help: every binding of every component is listed.
        for c in Component::ALL {
            for b in keymap.bindings(c) {
                let shown = entries.iter().any(|(s, labels, text)| {
                    s == c.title()
                        && text == b.help
                        && *labels == b.keys.iter().map(|k: &Key| k.label(ascii)).collect::<Vec<_>>()
                });
                assert!(shown, "{c:?} {:?} missing from the help", b.keys);
            }
        }
    }
}

#[test]
fn the_bar_shows_the_keys_of_the_tables_in_use() {
    for s in ["main", "detail_members", "help", "error_log_focused"] {
        let app = state(s);
        let screen = render(&app, 160, 48);
        let bar = screen.lines().last().unwrap();
        for b in app.keymap.bar_items(&app.key_stack()) {
            let item = format!("{} {}", b.keys[0].label(false), b.bar.unwrap());
            assert!(bar.contains(&item), "{s}: bar lacks '{item}': {bar}");
        }
    }
    let detail = render(&state("detail_members"), 160, 48);
    assert!(!detail.lines().last().unwrap().contains("/ filter"), "the table's keys are not in the detail's bar");
}

#[test]
fn help_explains_observations_versus_totals() {
    let screen = render(&state("help"), 160, 200);
    assert!(screen.contains("oWaiting (queue observations)"), "{screen}");
    assert!(screen.contains("not the day's offered total"));
    assert!(screen.contains("thresholds: ≥ 5 amber, ≥ 10 red"));
    assert!(screen.contains("sales: Sales*; columns waiting, longest, idle"));
}
