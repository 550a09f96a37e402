//! Paging moves by what the screen shows. The update does no layout: each frame records what
//! it had room for (`ui::draw` returns a `Viewport`, the loop stores it), and PgUp/PgDn, End
//! and the help's scrolling use that, whichever panes are open.

use crate::common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::errors::forbidden;
use common::fixtures;
use genesys::auth::Grant;
use jiff::{SignedDuration, Timestamp};
use qtop::app::App;
use qtop::event::{Activity, Event, MonitorEvent};
use qtop::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const T0: &str = "2026-11-25T10:30:00Z";

/// An app watching `n` queues named "Queue 00"…, all with numbers.
fn watching(n: usize) -> App {
    let now: Timestamp = T0.parse().unwrap();
    let mut app = App::new("us-west-2".into(), Grant::ClientCredentials, Duration::from_secs(1), now);
    let names: Vec<String> = (0..n).map(|i| format!("Queue {i:02}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    app.update(Event::Monitor(MonitorEvent::Queues { queues: fixtures::queues(&names), unmatched: vec![], at: now }));
    let numbers: BTreeMap<_, _> = (0..n).map(|i| (fixtures::id(i), fixtures::numbers(i as u32, 1))).collect();
    let ids = fixtures::ids(&names);
    app.update(Event::Monitor(MonitorEvent::Observations { queue_ids: ids, numbers, at: now }));
    app
}

/// Draws a frame as the TUI's loop does (the viewport goes back into the state) and returns
/// the screen's text.
fn frame(app: &mut App, w: u16, h: u16) -> String {
    app.update(Event::Resize(w, h));
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut viewport = None;
    term.draw(|f| viewport = Some(ui::draw(f, app))).unwrap();
    app.ui.viewport = viewport.unwrap();
    term.backend().to_string()
}

fn press(app: &mut App, code: KeyCode) {
    app.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// Queue rows on the screen (each starts with its queue's name, "Queue " and a number; the
/// column titles start with "Queue" too).
fn rows_shown(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| {
            l.trim_start_matches('"')
                .trim_start()
                .strip_prefix("Queue ")
                .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count()
}

#[test]
fn page_down_moves_by_the_rows_shown_with_the_error_log_open() {
    let mut app = watching(60);
    let at = app.now + SignedDuration::from_secs(1);
    app.update(Event::Monitor(MonitorEvent::Failed { activity: Activity::Totals, error: Box::new(forbidden()), at }));
    assert!(app.ui.show_error_log, "the first error opens the log");
    let screen = frame(&mut app, 80, 24);
    let shown = rows_shown(&screen);
    // A fixed allowance for the chrome (24 - 3 = 21 rows) would jump past rows never seen.
    assert!(shown > 0 && shown < 21, "the error log takes room from the table: {shown} rows\n{screen}");
    assert_eq!(app.ui.selected, 0);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.ui.selected, shown, "PgDn moves by exactly the visible rows\n{screen}");
    frame(&mut app, 80, 24);
    press(&mut app, KeyCode::PageUp);
    assert_eq!(app.ui.selected, 0);
}

#[test]
fn page_down_moves_by_the_rows_shown_with_no_pane_open() {
    let mut app = watching(60);
    let screen = frame(&mut app, 80, 24);
    let shown = rows_shown(&screen);
    press(&mut app, KeyCode::PageDown);
    assert_eq!(app.ui.selected, shown, "{screen}");
}

#[test]
fn the_help_scrolls_to_its_last_line_as_drawn() {
    let mut app = watching(3);
    frame(&mut app, 80, 24);
    press(&mut app, KeyCode::Char('?'));
    frame(&mut app, 80, 24);
    press(&mut app, KeyCode::End);
    let screen = frame(&mut app, 80, 24);
    let max = app.ui.viewport.help_max_scroll.expect("the frame showed the help");
    assert!(max > 0, "the help is longer than 24 rows");
    assert_eq!(app.ui.help_scroll, max);
    // The help's own footer says the last line is on screen: "lines a-b of b".
    let footer = screen.lines().find(|l| l.contains(" lines ")).expect("the help's footer");
    let words: Vec<&str> = footer.split_whitespace().collect();
    let at = words.iter().position(|w| *w == "of").unwrap();
    let last = words[at - 1].rsplit('-').next().unwrap();
    assert_eq!(last, words[at + 1].trim_end_matches(|c: char| !c.is_ascii_digit()), "{footer}");
}
