//! The one key table. The command bar and the help screen are generated from it.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Refresh,
    Up,
    Down,
    Help,
    /// Move the selection to the error log (and back).
    FocusErrors,
    /// Open the selected item's details.
    Details,
    /// Close the detail view / leave the error log.
    Back,
    ReAuth,
    TokenPane,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Up,
    Down,
    Esc,
    Enter,
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        match (self, ev.code) {
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && k == c,
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Up, KeyCode::Up)
            | (Key::Down, KeyCode::Down)
            | (Key::Esc, KeyCode::Esc)
            | (Key::Enter, KeyCode::Enter) => true,
            _ => false,
        }
    }

    pub fn label(self, ascii: bool) -> String {
        match self {
            Key::Char(c) => c.to_string(),
            Key::Ctrl(c) => format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Up => if ascii { "Up" } else { "↑" }.into(),
            Key::Down => if ascii { "Down" } else { "↓" }.into(),
            Key::Esc => "Esc".into(),
            Key::Enter => "Enter".into(),
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// Word for the command bar; `None` keeps it out of the bar (still in help).
    pub bar: Option<&'static str>,
    pub help: &'static str,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[Key::Char('r')],
        action: Action::Refresh,
        bar: Some("refresh"),
        help: "refresh now (skipped if a refresh is already in flight)",
    },
    Binding { keys: &[Key::Up, Key::Char('k')], action: Action::Up, bar: None, help: "move up" },
    Binding { keys: &[Key::Down, Key::Char('j')], action: Action::Down, bar: None, help: "move down" },
    Binding {
        keys: &[Key::Char('e')],
        action: Action::FocusErrors,
        bar: Some("errors"),
        help: "select in the error log (again: back to the queues)",
    },
    Binding {
        keys: &[Key::Enter],
        action: Action::Details,
        bar: None,
        help: "details of the selected error: diagnosis, fix, ids, raw body",
    },
    Binding { keys: &[Key::Esc], action: Action::Back, bar: None, help: "close details / leave the error log" },
    Binding {
        keys: &[Key::Char('a')],
        action: Action::ReAuth,
        bar: Some("re-auth"),
        help: "sign in again now (a fresh sign-in, or a new token)",
    },
    Binding {
        keys: &[Key::Char('t')],
        action: Action::TokenPane,
        bar: Some("token"),
        help: "show or hide the token pane (who, scopes, expiry)",
    },
    Binding { keys: &[Key::Char('?')], action: Action::Help, bar: Some("help"), help: "show or hide this help" },
    Binding {
        keys: &[Key::Char('q'), Key::Ctrl('c')],
        action: Action::Quit,
        bar: Some("quit"),
        help: "quit (the terminal is restored)",
    },
];

pub fn action_for(ev: &KeyEvent) -> Option<Action> {
    if ev.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS.iter().find(|b| b.keys.iter().any(|k| k.matches(ev))).map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(action_for(&key(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Action::Quit));
        assert_eq!(action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(action_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)), None);
        assert_eq!(action_for(&key(KeyCode::Char('j'), KeyModifiers::NONE)), Some(Action::Down));
        assert_eq!(action_for(&key(KeyCode::Up, KeyModifiers::NONE)), Some(Action::Up));
    }

    #[test]
    fn no_key_is_bound_twice() {
        let all: Vec<Key> = BINDINGS.iter().flat_map(|b| b.keys.iter().copied()).collect();
        for (i, k) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(k), "{k:?} bound twice");
        }
    }
}
