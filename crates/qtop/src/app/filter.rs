//! The `/` name filter: a case-insensitive substring, or a glob when the text has `*`, `?`
//! or `[`. The glob is compiled when the text changes, never while drawing.

use globset::{GlobBuilder, GlobMatcher};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    text: String,
    lower: String,
    glob: Option<GlobMatcher>,
    bad_glob: bool,
    /// The prompt is open and takes the keyboard.
    pub editing: bool,
}

impl Filter {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_active(&self) -> bool {
        !self.text.is_empty()
    }

    /// The text looks like a glob but does not compile; it is matched as plain text.
    pub fn bad_glob(&self) -> bool {
        self.bad_glob
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.to_string();
        self.lower = text.to_lowercase();
        self.bad_glob = false;
        self.glob = None;
        if text.contains(['*', '?', '[']) {
            match GlobBuilder::new(text).case_insensitive(true).literal_separator(false).build() {
                Ok(g) => self.glob = Some(g.compile_matcher()),
                Err(_) => self.bad_glob = true,
            }
        }
    }

    pub fn push(&mut self, c: char) {
        let mut t = std::mem::take(&mut self.text);
        t.push(c);
        self.set(&t);
    }

    pub fn pop(&mut self) {
        let mut t = std::mem::take(&mut self.text);
        t.pop();
        self.set(&t);
    }

    pub fn clear(&mut self) {
        self.set("");
        self.editing = false;
    }

    pub fn matches(&self, name: &str) -> bool {
        match &self.glob {
            Some(g) => g.is_match(name),
            None => self.lower.is_empty() || name.to_lowercase().contains(&self.lower),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(text: &str) -> Filter {
        let mut f = Filter::default();
        f.set(text);
        f
    }

    #[test]
    fn substring_or_glob() {
        assert!(f("").matches("anything"));
        assert!(f("care").matches("Customer Care - Chat"));
        assert!(!f("care").matches("Sales"));
        assert!(f("sales*").matches("Sales - Upgrades"));
        assert!(!f("sales*").matches("Inside Sales"), "a glob is anchored");
        assert!(f("*l?").matches("Tech Support L1"));
    }

    #[test]
    fn a_broken_glob_matches_as_text() {
        let g = f("[L1");
        assert!(g.bad_glob());
        assert!(g.matches("Tech [L1] desk"));
        assert!(!g.matches("Tech Support L1"));
    }

    #[test]
    fn typing_and_deleting() {
        let mut g = Filter::default();
        for c in "sal".chars() {
            g.push(c);
        }
        assert_eq!(g.text(), "sal");
        g.pop();
        assert_eq!(g.text(), "sa");
        g.clear();
        assert!(!g.is_active());
    }
}
