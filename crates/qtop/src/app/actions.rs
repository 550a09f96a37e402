//! What each key action does to the state. `top` is the component that took the key, so
//! the same action (up, down, refresh, close) can mean different things in different places.

use super::App;
use super::settings::{MAX_VIEWS, Sort};
use super::view::{Detail, Frozen, Members, Pane, QueueDetail, Wall};
use crate::event::Command;
use crate::keys::{Action, Component};

/// Rows of chrome around the queue table (header, column titles, bar) with no pane open: the
/// page before the first frame says how tall the table really is.
const TABLE_CHROME: u16 = 3;

impl App {
    pub(super) fn act(&mut self, top: Component, action: Action) -> Vec<Command> {
        // Keys that change nothing do not cost a frame.
        self.dirty = true;
        match action {
            Action::Quit => {
                self.should_quit = true;
                return vec![Command::Quit];
            }
            Action::Refresh if top == Component::Detail => return self.refetch_members(),
            Action::Refresh => return vec![Command::RefreshNow],
            Action::ReAuth => return vec![Command::ReAuth],
            Action::Help => {
                self.ui.show_help = true;
                self.ui.help_scroll = 0;
            }
            Action::Close if top == Component::Help => self.ui.show_help = false,
            Action::Close => self.ui.detail = None,
            Action::Freeze => {
                self.ui.frozen = match self.ui.frozen {
                    Some(_) => None,
                    None => Some(Frozen { rows: self.queues.clone(), at: self.now }),
                };
                self.recompute();
            }
            Action::ToggleWall => self.ui.wall = Some(Wall { kiosk: false, since: self.now }),
            Action::LeaveWall => match self.ui.wall {
                Some(w) if !w.kiosk => self.ui.wall = None,
                _ => self.dirty = false,
            },
            Action::ToggleTokenPane => {
                self.token_pane.toggle(self.size.1);
                self.keep_focus_visible();
            }
            Action::ToggleErrorLog => {
                self.ui.show_error_log = !self.ui.show_error_log;
                self.ui.error_log_touched = true;
                self.keep_focus_visible();
            }
            Action::FocusNext => {
                let panes = self.ui.focusable(self.token_pane.visible(self.size.1));
                let at = panes.iter().position(|p| *p == self.ui.focus).unwrap_or(0);
                self.ui.focus = panes[(at + 1) % panes.len()];
            }
            Action::View(n) => self.switch_view(n),
            Action::Up => self.move_by(top, -1),
            Action::Down => self.move_by(top, 1),
            Action::PageUp => self.move_by(top, -(self.page_len(top) as isize)),
            Action::PageDown => self.move_by(top, self.page_len(top) as isize),
            Action::Top => self.move_by(top, isize::MIN / 2),
            Action::Bottom => self.move_by(top, isize::MAX / 2),
            Action::SortNext => {
                let cols = self.columns();
                let next = match self.ui.sort.column {
                    None => cols.first().copied(),
                    Some(c) => cols.iter().position(|x| *x == c).and_then(|i| cols.get(i + 1)).copied(),
                };
                self.ui.sort = next.map(Sort::by).unwrap_or(Sort::NAME);
                self.recompute();
            }
            Action::SortReverse => {
                self.ui.sort.descending = !self.ui.sort.descending;
                self.recompute();
            }
            Action::Filter => self.ui.filter.editing = true,
            Action::ClearFilter | Action::FilterCancel => {
                self.ui.filter.clear();
                self.recompute();
            }
            Action::FilterApply => self.ui.filter.editing = false,
            Action::FilterBackspace => {
                self.ui.filter.pop();
                self.recompute();
            }
            Action::FilterType(c) => {
                self.ui.filter.push(c);
                self.recompute();
            }
            Action::Details if top == Component::ErrorLog => {
                if self.ui.error_selected < self.errors.len() {
                    self.ui.detail = Some(Detail::Error { index: self.ui.error_selected, scroll: 0 });
                }
            }
            Action::Details => return self.open_detail(),
        }
        vec![]
    }

    fn keep_focus_visible(&mut self) {
        if !self.ui.focusable(self.token_pane.visible(self.size.1)).contains(&self.ui.focus) {
            self.ui.focus = Pane::Queues;
        }
    }

    fn switch_view(&mut self, n: u8) {
        let n = n as usize;
        if n == 0 {
            self.ui.view = None;
            self.ui.sort = self.settings.sort;
        } else if n <= self.settings.views.len().min(MAX_VIEWS) {
            self.ui.view = Some(n - 1);
            self.ui.sort = self.settings.views[n - 1].sort.unwrap_or(self.settings.sort);
        } else {
            self.dirty = false;
            return;
        }
        self.recompute();
    }

    fn page_len(&self, top: Component) -> usize {
        let drawn = if top == Component::Detail { self.ui.viewport.detail_rows } else { self.ui.viewport.table_rows };
        let guess = || self.size.1.saturating_sub(TABLE_CHROME + if top == Component::Detail { 5 } else { 0 }) as usize;
        drawn.unwrap_or_else(guess).max(1)
    }

    fn move_by(&mut self, top: Component, delta: isize) {
        let shift = |at: usize, len: usize| at.saturating_add_signed(delta).min(len.saturating_sub(1));
        match top {
            Component::Help => {
                // Help keys arrive only after a frame showed the help.
                let max = self.ui.viewport.help_max_scroll.unwrap_or(0);
                self.ui.help_scroll = self.ui.help_scroll.saturating_add_signed(delta).min(max);
            }
            Component::Detail => match &mut self.ui.detail {
                Some(Detail::Queue(d)) => {
                    let len = match &d.members {
                        Members::Loaded { members, .. } => members.len(),
                        _ => 0,
                    };
                    d.scroll = shift(d.scroll, len);
                }
                // The renderer clamps the scroll to the text it lays out.
                Some(Detail::Error { scroll, .. }) => *scroll = scroll.saturating_add_signed(delta).min(1000),
                None => {}
            },
            Component::ErrorLog => self.ui.error_selected = shift(self.ui.error_selected, self.errors.len()),
            _ => self.select(shift(self.ui.selected, self.visible_len())),
        }
    }

    fn open_detail(&mut self) -> Vec<Command> {
        let Some(row) = self.selected_row() else { return vec![] };
        let queue_id = row.info.id.clone();
        self.ui.detail = Some(Detail::Queue(QueueDetail {
            queue_id: queue_id.clone(),
            members: Members::Loading,
            fetching: true,
            scroll: 0,
        }));
        vec![Command::FetchMembers(queue_id)]
    }

    fn refetch_members(&mut self) -> Vec<Command> {
        match &mut self.ui.detail {
            Some(Detail::Queue(d)) if !d.fetching => {
                d.fetching = true;
                vec![Command::FetchMembers(d.queue_id.clone())]
            }
            _ => vec![],
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use jiff::{SignedDuration, Timestamp};
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::{Level, UiSettings, ViewDef};
    use crate::event::{Activity, Event, MonitorEvent, QueueInfo};
    use crate::keys::Key;
    use crate::text::columns::{ColumnId, column};
    use genesys::auth::Grant;
    use genesys::catalog::EndpointId;
    use genesys::client::{ApiError, ErrorKind, Request};
    use genesys::queries::{Member, QueueNumbers, Selector};

    const T0: &str = "2026-11-25T10:00:00Z";

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Four queues: (name, waiting, longest seconds).
    fn app_with(settings: UiSettings) -> App {
        let mut a = App::new("test".into(), Grant::ClientCredentials, Duration::from_secs(1), t(T0));
        a.configure(settings, jiff::tz::TimeZone::UTC);
        let data = [("Billing", 2, 30), ("Accounts", 12, 200), ("Sales EN", 6, 70), ("Sales FR", 0, 0)];
        let queues = data
            .iter()
            .enumerate()
            .map(|(i, (n, ..))| QueueInfo { id: format!("q{i}"), name: n.to_string(), division: None, sl_target: None })
            .collect();
        a.update(Event::Monitor(MonitorEvent::Queues { queues, unmatched: vec![], at: t(T0) }));
        let numbers: BTreeMap<String, QueueNumbers> = data
            .iter()
            .enumerate()
            .map(|(i, (_, w, l))| {
                let n = QueueNumbers { waiting: Some(*w), longest_waiting_ms: Some(l * 1000), ..Default::default() };
                (format!("q{i}"), n)
            })
            .collect();
        let ids = (0..data.len()).map(|i| format!("q{i}")).collect();
        a.update(Event::Monitor(MonitorEvent::Observations { queue_ids: ids, numbers, at: t(T0) }));
        a
    }

    fn app() -> App {
        app_with(UiSettings::default())
    }

    fn press(a: &mut App, code: KeyCode) -> Vec<Command> {
        a.update(Event::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn typed(a: &mut App, text: &str) {
        for c in text.chars() {
            press(a, KeyCode::Char(c));
        }
    }

    fn names(a: &App) -> Vec<String> {
        a.visible_rows().map(|r| r.info.name.clone()).collect()
    }

    #[test]
    fn sort_cycles_through_columns_and_reverses() {
        let mut a = app();
        assert_eq!(names(&a), ["Accounts", "Billing", "Sales EN", "Sales FR"]);
        typed(&mut a, "s");
        assert_eq!(a.ui.sort, Sort::by(ColumnId::Waiting));
        assert_eq!(names(&a), ["Accounts", "Sales EN", "Billing", "Sales FR"]);
        typed(&mut a, "S");
        assert_eq!(names(&a), ["Sales FR", "Billing", "Sales EN", "Accounts"]);
        // Past the last column the sort goes back to the name.
        for _ in 0..a.columns().len() {
            typed(&mut a, "s");
        }
        assert_eq!(a.ui.sort, Sort::NAME);
    }

    #[test]
    fn the_cursor_follows_its_queue_when_the_order_changes() {
        let mut a = app();
        press(&mut a, KeyCode::Down);
        assert_eq!(a.selected_row().unwrap().info.name, "Billing");
        typed(&mut a, "s");
        assert_eq!(a.selected_row().unwrap().info.name, "Billing");
        assert_eq!(a.ui.selected, 2);
    }

    #[test]
    fn filter_types_narrows_and_esc_clears() {
        let mut a = app();
        typed(&mut a, "/sal");
        assert!(a.ui.filter.editing);
        assert_eq!(names(&a), ["Sales EN", "Sales FR"]);
        // q is a letter in the prompt, not quit.
        typed(&mut a, "q");
        assert!(!a.should_quit);
        assert!(names(&a).is_empty());
        press(&mut a, KeyCode::Backspace);
        press(&mut a, KeyCode::Enter);
        assert!(!a.ui.filter.editing && a.ui.filter.is_active());
        assert_eq!(names(&a).len(), 2);
        press(&mut a, KeyCode::Esc);
        assert_eq!(names(&a).len(), 4);
        typed(&mut a, "/*fr");
        assert_eq!(names(&a), ["Sales FR"], "globs work too");
        press(&mut a, KeyCode::Esc);
        assert!(!a.ui.filter.is_active() && !a.ui.filter.editing);
    }

    #[test]
    fn freeze_holds_the_rows_while_data_keeps_arriving() {
        let mut a = app();
        typed(&mut a, "f");
        assert!(a.ui.frozen.is_some());
        let mut numbers = BTreeMap::new();
        numbers.insert("q0".to_string(), QueueNumbers { waiting: Some(99), ..Default::default() });
        a.update(Event::Monitor(MonitorEvent::Observations {
            queue_ids: vec!["q0".into()],
            numbers,
            at: t("2026-11-25T10:00:05Z"),
        }));
        let waiting = column(ColumnId::Waiting);
        let shown = a.visible_rows().find(|r| r.info.name == "Billing").unwrap();
        assert_eq!((waiting.value)(shown, a.data_now()), Some(2), "frozen");
        assert_eq!(a.queues.iter().find(|r| r.info.id == "q0").unwrap().numbers.as_ref().unwrap().waiting, Some(99));
        assert_eq!(a.last_update, Some(t("2026-11-25T10:00:05Z")), "live data still arrives");
        typed(&mut a, "f");
        let shown = a.visible_rows().find(|r| r.info.name == "Billing").unwrap();
        assert_eq!((waiting.value)(shown, a.data_now()), Some(99));
    }

    #[test]
    fn enter_opens_the_detail_and_asks_for_members() {
        let mut a = app();
        let cmds = press(&mut a, KeyCode::Enter);
        assert_eq!(cmds, vec![Command::FetchMembers("q1".into())], "Accounts is first by name");
        assert_eq!(a.key_stack(), [Component::Detail, Component::Global]);
        // r in the detail refetches members, but not while a fetch is on its way.
        assert!(typed_cmds(&mut a, 'r').is_empty());
        let m = Member {
            id: "u".into(),
            name: "Ava".into(),
            routing_status: Some("IDLE".into()),
            status_since: None,
            presence: None,
            joined: Some(true),
        };
        a.update(Event::Monitor(MonitorEvent::Members { queue_id: "q1".into(), result: Ok(vec![m]), at: t(T0) }));
        assert!(matches!(&a.ui.queue_detail().unwrap().members, Members::Loaded { members, .. } if members.len() == 1));
        assert_eq!(typed_cmds(&mut a, 'r'), vec![Command::FetchMembers("q1".into())]);
        press(&mut a, KeyCode::Esc);
        assert!(a.ui.detail.is_none());
    }

    fn typed_cmds(a: &mut App, c: char) -> Vec<Command> {
        press(a, KeyCode::Char(c))
    }

    #[test]
    fn an_open_detail_refreshes_itself_and_records_failures() {
        let mut a = app();
        press(&mut a, KeyCode::Enter);
        a.update(Event::Monitor(MonitorEvent::Members { queue_id: "q1".into(), result: Ok(vec![]), at: t(T0) }));
        assert!(a.update(Event::Tick(t("2026-11-25T10:00:05Z"))).is_empty());
        assert_eq!(a.update(Event::Tick(t("2026-11-25T10:00:10Z"))), vec![Command::FetchMembers("q1".into())]);
        let e = ApiError {
            request: Request::with_params(EndpointId::QueueMembers, &["q1"]).line(),
            kind: ErrorKind::Api { status: 403, body: None, raw: String::new() },
            meta: None,
        };
        a.update(Event::Monitor(MonitorEvent::Members {
            queue_id: "q1".into(),
            result: Err(Box::new(e)),
            at: t("2026-11-25T10:00:11Z"),
        }));
        assert!(matches!(a.ui.queue_detail().unwrap().members, Members::Failed { .. }));
        assert_eq!(a.errors.get(0).unwrap().activity, Activity::Members);
        assert!(a.ui.show_error_log, "the error log opens by itself");
    }

    #[test]
    fn answers_for_a_closed_detail_are_dropped() {
        let mut a = app();
        press(&mut a, KeyCode::Enter);
        press(&mut a, KeyCode::Esc);
        a.update(Event::Monitor(MonitorEvent::Members { queue_id: "q1".into(), result: Ok(vec![]), at: t(T0) }));
        assert!(a.ui.detail.is_none());
    }

    #[test]
    fn wall_mode_ignores_keys_but_quit() {
        let mut a = app();
        typed(&mut a, "w");
        assert!(a.ui.wall.is_some());
        a.take_dirty();
        for c in "rsf/?e1".chars() {
            assert!(typed_cmds(&mut a, c).is_empty(), "{c}");
        }
        assert!(!a.take_dirty(), "ignored keys do not even redraw");
        assert!(a.ui.frozen.is_none() && !a.ui.show_help);
        typed(&mut a, "w");
        assert!(a.ui.wall.is_none(), "w leaves a wall entered with w");

        let kiosk = UiSettings { start_wall: true, ..Default::default() };
        let mut k = app_with(kiosk);
        typed(&mut k, "w");
        press(&mut k, KeyCode::Esc);
        assert!(k.ui.wall.is_some(), "--wall stays");
        assert_eq!(typed_cmds(&mut k, 'q'), vec![Command::Quit]);
    }

    #[test]
    fn wall_quit_keys_are_configurable() {
        let mut s = UiSettings { start_wall: true, ..Default::default() };
        s.wall.quit_keys = vec![Key::Char('x')];
        let mut a = app_with(s);
        assert!(typed_cmds(&mut a, 'q').is_empty());
        assert_eq!(typed_cmds(&mut a, 'x'), vec![Command::Quit]);
    }

    #[test]
    fn number_keys_switch_views() {
        let view = ViewDef {
            name: "sales".into(),
            queues: vec![Selector::parse("Sales*").unwrap()],
            columns: Some(vec![ColumnId::Waiting]),
            sort: Some(Sort::by(ColumnId::Waiting)),
        };
        let mut a = app_with(UiSettings { views: vec![view], ..Default::default() });
        typed(&mut a, "1");
        assert_eq!(names(&a), ["Sales EN", "Sales FR"]);
        assert_eq!(a.columns(), [ColumnId::Waiting]);
        a.take_dirty();
        typed(&mut a, "5");
        assert!(!a.take_dirty() && a.ui.view == Some(0), "no such view: nothing happens");
        typed(&mut a, "0");
        assert_eq!(names(&a).len(), 4);
        assert_eq!(a.ui.sort, Sort::NAME);
    }

    #[test]
    fn panes_toggle_and_tab_cycles_the_visible_ones() {
        let mut a = app();
        assert_eq!(typed_cmds(&mut a, 'a'), vec![Command::ReAuth]);
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.ui.focus, Pane::Queues, "only the table is visible");
        typed(&mut a, "e");
        typed(&mut a, "t");
        assert!(a.ui.show_error_log && a.token_pane.visible(a.size.1));
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.ui.focus, Pane::Errors);
        press(&mut a, KeyCode::Tab);
        assert_eq!(a.ui.focus, Pane::Token);
        typed(&mut a, "t");
        assert_eq!(a.ui.focus, Pane::Queues, "hiding the focused pane moves the focus back");
        // The log the user closed stays closed when errors come.
        typed(&mut a, "e");
        a.update(Event::Monitor(MonitorEvent::Failed {
            activity: Activity::Observations,
            error: Box::new(ApiError {
                request: Request::new(EndpointId::QueueObservations).line(),
                kind: ErrorKind::Api { status: 403, body: None, raw: String::new() },
                meta: None,
            }),
            at: t(T0),
        }));
        assert!(!a.ui.show_error_log);
    }

    #[test]
    fn help_opens_scrolls_and_closes() {
        let mut a = app();
        a.update(Event::Resize(80, 24));
        typed(&mut a, "?");
        assert_eq!(a.key_stack(), [Component::Help]);
        // What the frame that showed the help recorded (tests/it/paging.rs draws it for real).
        a.ui.viewport.help_max_scroll = Some(30);
        press(&mut a, KeyCode::PageDown);
        assert!(a.ui.help_scroll > 0);
        press(&mut a, KeyCode::End);
        assert_eq!(a.ui.help_scroll, 30);
        assert!(typed_cmds(&mut a, 'r').is_empty(), "help is modal");
        press(&mut a, KeyCode::Esc);
        assert!(!a.ui.show_help);
    }

    #[test]
    fn thresholds_judge_each_number() {
        let a = app();
        let row = |name: &str| a.queues.iter().find(|r| r.info.name == name).unwrap();
        let (w, l) = (column(ColumnId::Waiting), column(ColumnId::Longest));
        assert_eq!(a.level(row("Accounts"), w), Level::Red);
        assert_eq!(a.level(row("Sales EN"), w), Level::Amber);
        assert_eq!(a.level(row("Billing"), w), Level::Normal);
        assert_eq!(a.level(row("Accounts"), l), Level::Red);
        assert_eq!(a.level(row("Sales EN"), l), Level::Amber);
        let mut later = a.clone();
        later.now = t(T0) + SignedDuration::from_secs(40);
        assert_eq!(later.level(row("Billing"), l), Level::Amber, "the longest wait ticks into amber");
    }
}
