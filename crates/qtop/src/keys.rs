//! Key tables, one per component (gitui style). Dispatch, the command bar and the `?` help
//! screen all read these tables, so there is no second list to keep in step.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// A part of the screen that owns keys. The active ones form a stack (topmost first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Component {
    Global,
    Queues,
    ErrorLog,
    Filter,
    Detail,
    Help,
    Wall,
}

impl Component {
    /// Every component, in the order the help screen lists them.
    pub const ALL: [Component; 7] = [
        Component::Global,
        Component::Queues,
        Component::Filter,
        Component::Detail,
        Component::ErrorLog,
        Component::Help,
        Component::Wall,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Component::Global => "Everywhere",
            Component::Queues => "Queue table",
            Component::ErrorLog => "Error log (Tab to focus)",
            Component::Filter => "Filter prompt (/)",
            Component::Detail => "Detail view (Enter on a queue or an error)",
            Component::Help => "This help (?)",
            Component::Wall => "Wall mode (w or --wall): every other key is ignored",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Refresh,
    ReAuth,
    Help,
    Freeze,
    ToggleWall,
    LeaveWall,
    ToggleTokenPane,
    ToggleErrorLog,
    FocusNext,
    /// Switch to saved view n (`0` = all queues).
    View(u8),
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    SortNext,
    SortReverse,
    Filter,
    ClearFilter,
    Details,
    Close,
    FilterApply,
    FilterCancel,
    FilterBackspace,
    FilterType(char),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Char(char),
    Ctrl(char),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Tab,
    Backspace,
    /// Any of `0`..`9`; the action gets the digit.
    Digit,
    /// Any printable character; the action gets it.
    Text,
}

impl Key {
    fn matches(self, ev: &KeyEvent) -> bool {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let alt = ev.modifiers.contains(KeyModifiers::ALT);
        match (self, ev.code) {
            (Key::Char(c), KeyCode::Char(k)) => !ctrl && !alt && k == c,
            (Key::Ctrl(c), KeyCode::Char(k)) => ctrl && k.eq_ignore_ascii_case(&c),
            (Key::Digit, KeyCode::Char(k)) => !ctrl && !alt && k.is_ascii_digit(),
            (Key::Text, KeyCode::Char(k)) => !ctrl && !alt && !k.is_control(),
            (Key::Up, KeyCode::Up)
            | (Key::Down, KeyCode::Down)
            | (Key::PageUp, KeyCode::PageUp)
            | (Key::PageDown, KeyCode::PageDown)
            | (Key::Home, KeyCode::Home)
            | (Key::End, KeyCode::End)
            | (Key::Enter, KeyCode::Enter)
            | (Key::Esc, KeyCode::Esc)
            | (Key::Tab, KeyCode::Tab)
            | (Key::Backspace, KeyCode::Backspace) => true,
            _ => false,
        }
    }

    pub fn label(self, ascii: bool) -> String {
        let s = match self {
            Key::Char(' ') => "Space",
            Key::Char(c) => return c.to_string(),
            Key::Ctrl(c) => return format!("Ctrl-{}", c.to_ascii_uppercase()),
            Key::Up => pick(ascii, "↑", "Up"),
            Key::Down => pick(ascii, "↓", "Down"),
            Key::PageUp => "PgUp",
            Key::PageDown => "PgDn",
            Key::Home => "Home",
            Key::End => "End",
            Key::Enter => "Enter",
            Key::Esc => "Esc",
            Key::Tab => "Tab",
            Key::Backspace => "Backspace",
            Key::Digit => "0-9",
            Key::Text => "text",
        };
        s.to_string()
    }

    /// Parse a key name from the config (`q`, `ctrl-c`, `esc`, `enter`, `f10` is not
    /// supported on purpose: function keys rarely survive SSH and kiosk keyboards).
    pub fn parse(name: &str) -> Result<Key, String> {
        let lower = name.trim().to_ascii_lowercase();
        let mut chars = name.trim().chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Key::Char(c));
        }
        if let Some(rest) = lower.strip_prefix("ctrl-").or_else(|| lower.strip_prefix("ctrl+")) {
            let mut cs = rest.chars();
            if let (Some(c), None) = (cs.next(), cs.next())
                && c.is_ascii_alphabetic()
            {
                return Ok(Key::Ctrl(c));
            }
        }
        match lower.as_str() {
            "esc" | "escape" => Ok(Key::Esc),
            "enter" | "return" => Ok(Key::Enter),
            "tab" => Ok(Key::Tab),
            "space" => Ok(Key::Char(' ')),
            "backspace" => Ok(Key::Backspace),
            _ => Err(format!(
                "key \"{name}\" is not understood; use a single character (\"q\"), \"ctrl-c\", \"esc\" or \"enter\""
            )),
        }
    }
}

fn pick(ascii: bool, fancy: &'static str, plain: &'static str) -> &'static str {
    if ascii { plain } else { fancy }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub action: Action,
    /// Word for the command bar; `None` keeps it out of the bar (it is still in help).
    pub bar: Option<&'static str>,
    /// When the bar is too narrow, lower ranks go first.
    pub rank: u8,
    pub help: &'static str,
}

impl Binding {
    fn new(keys: &[Key], action: Action, help: &'static str) -> Binding {
        Binding { keys: keys.to_vec(), action, bar: None, rank: 0, help }
    }

    fn bar(mut self, word: &'static str, rank: u8) -> Binding {
        self.bar = Some(word);
        self.rank = rank;
        self
    }

    /// The action for this event, with the typed character filled in.
    fn resolve(&self, ev: &KeyEvent) -> Option<Action> {
        let key = self.keys.iter().find(|k| k.matches(ev))?;
        let typed = match ev.code {
            KeyCode::Char(c) => c,
            _ => ' ',
        };
        Some(match (key, self.action) {
            (Key::Digit, Action::View(_)) => Action::View(typed.to_digit(10).unwrap_or(0) as u8),
            (Key::Text, Action::FilterType(_)) => Action::FilterType(typed),
            (_, a) => a,
        })
    }
}

/// All the tables. Built once; only the wall's quit keys come from the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    tables: Vec<(Component, Vec<Binding>)>,
}

pub const DEFAULT_WALL_QUIT: &[Key] = &[Key::Char('q'), Key::Ctrl('c')];

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(DEFAULT_WALL_QUIT)
    }
}

impl Keymap {
    pub fn new(wall_quit: &[Key]) -> Keymap {
        use Action as A;
        use Key as K;
        let quit = [K::Char('q'), K::Ctrl('c')];
        let global = vec![
            Binding::new(&[K::Char('r')], A::Refresh, "refresh now (a refresh already in flight is not doubled)")
                .bar("refresh", 6),
            Binding::new(&[K::Char('a')], A::ReAuth, "sign in again (new token)").bar("re-auth", 1),
            Binding::new(&[K::Char('f')], A::Freeze, "freeze the screen; data keeps arriving underneath")
                .bar("freeze", 4),
            Binding::new(&[K::Char('w')], A::ToggleWall, "wall mode: big numbers, pages rotate, read-only")
                .bar("wall", 3),
            Binding::new(&[K::Char('t')], A::ToggleTokenPane, "show or hide the token pane"),
            Binding::new(&[K::Char('e')], A::ToggleErrorLog, "show or hide the error log"),
            Binding::new(&[K::Tab], A::FocusNext, "move focus to the next pane (queues, errors, token)"),
            Binding::new(&[K::Digit], A::View(0), "switch to saved view 1-9 ([views] in the config); 0 = all queues"),
            Binding::new(&[K::Char('?')], A::Help, "this help: keys, columns, thresholds").bar("help", 9),
            Binding::new(&quit, A::Quit, "quit (the terminal is always restored)").bar("quit", 10),
        ];
        let queues = vec![
            Binding::new(&[K::Up, K::Char('k')], A::Up, "move up"),
            Binding::new(&[K::Down, K::Char('j')], A::Down, "move down"),
            Binding::new(&[K::PageUp], A::PageUp, "one page up"),
            Binding::new(&[K::PageDown], A::PageDown, "one page down"),
            Binding::new(&[K::Home, K::Char('g')], A::Top, "first queue"),
            Binding::new(&[K::End, K::Char('G')], A::Bottom, "last queue"),
            Binding::new(&[K::Char('s')], A::SortNext, "sort by the next column (name, then each column)")
                .bar("sort", 5),
            Binding::new(&[K::Char('S')], A::SortReverse, "reverse the sort direction"),
            Binding::new(&[K::Char('/')], A::Filter, "filter queues by name: substring, or a glob (* ? [..])")
                .bar("filter", 7),
            Binding::new(&[K::Esc], A::ClearFilter, "clear the filter"),
            Binding::new(&[K::Enter], A::Details, "queue detail: members and their routing status").bar("detail", 2),
        ];
        let errors = vec![
            Binding::new(&[K::Up, K::Char('k')], A::Up, "previous error"),
            Binding::new(&[K::Down, K::Char('j')], A::Down, "next error"),
            Binding::new(&[K::Enter], A::Details, "the error's diagnosis, fix, correlation id and raw body")
                .bar("details", 2),
        ];
        let filter = vec![
            Binding::new(&[K::Text], A::FilterType(' '), "type the pattern; the table filters as you type"),
            Binding::new(&[K::Backspace], A::FilterBackspace, "delete the last character"),
            Binding::new(&[K::Enter], A::FilterApply, "keep the filter and go back to the table").bar("keep", 8),
            Binding::new(&[K::Esc], A::FilterCancel, "clear the filter and go back").bar("clear", 8),
            Binding::new(&[K::Ctrl('c')], A::Quit, "quit"),
        ];
        let detail = vec![
            Binding::new(&[K::Up, K::Char('k')], A::Up, "scroll up"),
            Binding::new(&[K::Down, K::Char('j')], A::Down, "scroll down"),
            Binding::new(&[K::PageUp], A::PageUp, "one page up"),
            Binding::new(&[K::PageDown], A::PageDown, "one page down"),
            Binding::new(&[K::Char('r')], A::Refresh, "queue detail: fetch the members again").bar("refresh", 6),
            Binding::new(&[K::Esc, K::Enter], A::Close, "back to the table").bar("back", 8),
        ];
        let help = vec![
            Binding::new(&[K::Up, K::Char('k')], A::Up, "scroll up"),
            Binding::new(&[K::Down, K::Char('j')], A::Down, "scroll down"),
            Binding::new(&[K::PageUp], A::PageUp, "one page up"),
            Binding::new(&[K::PageDown, K::Char(' ')], A::PageDown, "one page down"),
            Binding::new(&[K::Home, K::Char('g')], A::Top, "top"),
            Binding::new(&[K::End, K::Char('G')], A::Bottom, "bottom"),
            Binding::new(&[K::Esc, K::Char('?')], A::Close, "close the help").bar("close", 8),
            Binding::new(&quit, A::Quit, "quit").bar("quit", 10),
        ];
        let mut wall = vec![];
        if !wall_quit.is_empty() {
            wall.push(Binding::new(wall_quit, A::Quit, "quit (keys set by [wall] quit_keys)").bar("quit", 10));
        }
        wall.push(Binding::new(
            &[K::Char('w'), K::Esc],
            A::LeaveWall,
            "back to the table (only when entered with w; --wall stays)",
        ));
        Keymap {
            tables: vec![
                (Component::Global, global),
                (Component::Queues, queues),
                (Component::ErrorLog, errors),
                (Component::Filter, filter),
                (Component::Detail, detail),
                (Component::Help, help),
                (Component::Wall, wall),
            ],
        }
    }

    pub fn bindings(&self, c: Component) -> &[Binding] {
        self.tables.iter().find(|(k, _)| *k == c).map(|(_, b)| b.as_slice()).unwrap_or(&[])
    }

    /// The first binding in the stack (topmost component first) that takes the key.
    pub fn action(&self, stack: &[Component], ev: &KeyEvent) -> Option<Action> {
        if ev.kind == KeyEventKind::Release {
            return None;
        }
        stack.iter().find_map(|c| self.bindings(*c).iter().find_map(|b| b.resolve(ev)))
    }

    /// Bindings with a bar word for this stack, topmost component first; a key already
    /// taken by a component above is not shown again.
    pub fn bar_items(&self, stack: &[Component]) -> Vec<&Binding> {
        let mut out: Vec<&Binding> = vec![];
        for c in stack {
            for b in self.bindings(*c) {
                let shadowed = out.iter().any(|o| o.keys.iter().any(|k| b.keys.contains(k)));
                if b.bar.is_some() && !shadowed {
                    out.push(b);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    fn ch(c: char) -> KeyEvent {
        key(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn keys_map_to_actions_through_the_stack() {
        let k = Keymap::default();
        let table = [Component::Queues, Component::Global];
        assert_eq!(k.action(&table, &ch('q')), Some(Action::Quit));
        assert_eq!(k.action(&table, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        assert_eq!(k.action(&table, &ch('c')), None);
        assert_eq!(k.action(&table, &ch('j')), Some(Action::Down));
        assert_eq!(k.action(&table, &ch('7')), Some(Action::View(7)));
        assert_eq!(k.action(&table, &ch('S')), Some(Action::SortReverse));
        assert_eq!(k.action(&table, &key(KeyCode::Enter, KeyModifiers::NONE)), Some(Action::Details));
        // The filter prompt takes letters, q included.
        let filter = [Component::Filter];
        assert_eq!(k.action(&filter, &ch('q')), Some(Action::FilterType('q')));
        assert_eq!(k.action(&filter, &key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Action::Quit));
        // The wall ignores everything but its quit keys and its way out.
        let wall = [Component::Wall];
        assert_eq!(k.action(&wall, &ch('r')), None);
        assert_eq!(k.action(&wall, &ch('q')), Some(Action::Quit));
        assert_eq!(k.action(&wall, &ch('w')), Some(Action::LeaveWall));
    }

    #[test]
    fn releases_are_ignored() {
        let mut ev = ch('q');
        ev.kind = KeyEventKind::Release;
        assert_eq!(Keymap::default().action(&[Component::Global], &ev), None);
    }

    #[test]
    fn no_key_is_bound_twice_in_one_component() {
        let k = Keymap::default();
        for c in Component::ALL {
            let all: Vec<Key> = k.bindings(c).iter().flat_map(|b| b.keys.iter().copied()).collect();
            for (i, key) in all.iter().enumerate() {
                assert!(!all[i + 1..].contains(key), "{key:?} bound twice in {c:?}");
            }
        }
    }

    #[test]
    fn component_keys_do_not_shadow_global_ones_by_accident() {
        // Shadowing is allowed only where it is the point (r refreshes members in the
        // detail view, q/Esc/? close the help).
        let k = Keymap::default();
        let global: Vec<Key> = k.bindings(Component::Global).iter().flat_map(|b| b.keys.clone()).collect();
        for b in k.bindings(Component::Queues) {
            for key in &b.keys {
                assert!(!global.contains(key), "{key:?} in the queue table hides a global key");
            }
        }
    }

    #[test]
    fn wall_quit_keys_come_from_the_config() {
        let k = Keymap::new(&[Key::Char('x')]);
        assert_eq!(k.action(&[Component::Wall], &ch('x')), Some(Action::Quit));
        assert_eq!(k.action(&[Component::Wall], &ch('q')), None);
        let none = Keymap::new(&[]);
        assert!(none.bindings(Component::Wall).iter().all(|b| b.action != Action::Quit));
    }

    #[test]
    fn key_names_parse() {
        assert_eq!(Key::parse("q"), Ok(Key::Char('q')));
        assert_eq!(Key::parse("Ctrl-C"), Ok(Key::Ctrl('c')));
        assert_eq!(Key::parse("esc"), Ok(Key::Esc));
        assert!(Key::parse("f10").unwrap_err().contains("f10"));
    }

    #[test]
    fn bar_hides_shadowed_keys() {
        let k = Keymap::default();
        let items = k.bar_items(&[Component::Detail, Component::Global]);
        let refresh: Vec<_> = items.iter().filter(|b| b.keys.contains(&Key::Char('r'))).collect();
        assert_eq!(refresh.len(), 1);
        assert_eq!(refresh[0].help, "queue detail: fetch the members again");
    }
}
