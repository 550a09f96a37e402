//! The token pane's state: what the API said about the token (and what that means for each
//! call qtop makes), whether the pane shows, and the paste line of a waiting sign-in.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::event::Command;
use genesys::auth::SignInPrompt;
use genesys::secret::Secret;
use genesys::token::{NeedRow, TokenReport, needs};

/// Terminal rows from which the pane shows without being asked.
pub const TALL_ENOUGH: u16 = 36;

/// Longest line the paste prompt takes (a redirect address is a few hundred characters).
const PASTE_LIMIT: usize = 4096;

/// What the user is pasting: it carries an authorization code, so `Debug` shows only its length.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PasteBuffer(String);

impl std::fmt::Debug for PasteBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PasteBuffer({} chars)", self.0.chars().count())
    }
}

impl PasteBuffer {
    pub fn text(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the API said about the token, and what that means for each call qtop makes: the
/// model's part, which the exporter and the diagnosis read too.
#[derive(Debug, Clone, Default)]
pub struct TokenKnown {
    pub report: Option<Box<TokenReport>>,
    /// Derived from the report when it arrives, so drawing does no work.
    pub needs: Vec<NeedRow>,
    pub roles: Option<Vec<String>>,
}

impl TokenKnown {
    pub fn on_report(&mut self, report: Box<TokenReport>) {
        self.needs = needs(&report);
        self.roles = report.roles();
        self.report = Some(report);
    }
}

/// The screen's part: whether the pane shows, and the paste line of a waiting sign-in.
#[derive(Debug, Clone, Default)]
pub struct TokenPane {
    /// `None`: shown when the terminal is tall enough; `t` pins it on or off.
    pub shown: Option<bool>,
    pub paste: PasteBuffer,
    /// The sign-in address was sent to the clipboard (Ctrl-Y) during this prompt.
    pub copied: bool,
}

impl TokenPane {
    pub fn visible(&self, height: u16) -> bool {
        self.shown.unwrap_or(height >= TALL_ENOUGH)
    }

    pub fn toggle(&mut self, height: u16) {
        self.shown = Some(!self.visible(height));
    }

    /// Pasted text for the prompt's line (line breaks dropped: an address is one line).
    pub fn paste_text(&mut self, text: &str) {
        let room = PASTE_LIMIT.saturating_sub(self.paste.0.len());
        self.paste.0.extend(text.chars().filter(|c| !c.is_control()).take(room));
    }

    /// A key while a sign-in waits for the user. `None`: not the prompt's key (let the normal
    /// key table have it).
    pub fn prompt_key(&mut self, prompt: &SignInPrompt, key: &KeyEvent) -> Option<Vec<Command>> {
        if key.kind == KeyEventKind::Release {
            return Some(vec![]);
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => {
                self.paste = PasteBuffer::default();
                Some(vec![Command::CancelSignIn])
            }
            // The address is long and wraps; over SSH a mouse selection breaks it.
            KeyCode::Char('y') if ctrl => {
                self.copied = true;
                Some(vec![Command::CopyToClipboard(prompt.authorize_url.clone())])
            }
            _ if !prompt.accepts_paste => None,
            KeyCode::Char('c') if ctrl => None,
            KeyCode::Char('u') if ctrl => {
                self.paste = PasteBuffer::default();
                Some(vec![])
            }
            KeyCode::Char(c) if !ctrl => {
                if self.paste.0.len() < PASTE_LIMIT {
                    self.paste.0.push(c);
                }
                Some(vec![])
            }
            KeyCode::Backspace => {
                self.paste.0.pop();
                Some(vec![])
            }
            KeyCode::Enter if !self.paste.is_empty() => {
                let line = std::mem::take(&mut self.paste.0);
                Some(vec![Command::SubmitPaste(Secret::new(line))])
            }
            _ => Some(vec![]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn the_paste_line_edits_submits_and_never_debug_prints() {
        let mut p = TokenPane::default();
        let prompt = SignInPrompt { accepts_paste: true, ..Default::default() };
        for c in "code=XYZ".chars() {
            assert_eq!(p.prompt_key(&prompt, &key(KeyCode::Char(c))), Some(vec![]));
        }
        p.prompt_key(&prompt, &key(KeyCode::Backspace));
        assert_eq!(p.paste.text(), "code=XY");
        assert!(!format!("{p:?}").contains("code=XY"));
        let out = p.prompt_key(&prompt, &key(KeyCode::Enter)).unwrap();
        assert_eq!(out, vec![Command::SubmitPaste(Secret::new("code=XY"))]);
        assert!(p.paste.is_empty());
        assert_eq!(p.prompt_key(&prompt, &key(KeyCode::Enter)), Some(vec![]), "nothing to submit");
        assert_eq!(p.prompt_key(&prompt, &key(KeyCode::Esc)), Some(vec![Command::CancelSignIn]));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(p.prompt_key(&prompt, &ctrl_c), None, "Ctrl-C still quits");
    }

    #[test]
    fn pasted_text_joins_the_line_without_line_breaks() {
        let mut p = TokenPane::default();
        p.paste_text("http://127.0.0.1:8085/callback?code=abc\r\n");
        assert_eq!(p.paste.text(), "http://127.0.0.1:8085/callback?code=abc");
    }

    #[test]
    fn without_paste_only_esc_belongs_to_the_prompt() {
        let mut p = TokenPane::default();
        let prompt = SignInPrompt { accepts_paste: false, ..Default::default() };
        assert_eq!(p.prompt_key(&prompt, &key(KeyCode::Char('q'))), None);
        assert_eq!(p.prompt_key(&prompt, &key(KeyCode::Esc)), Some(vec![Command::CancelSignIn]));
    }

    #[test]
    fn ctrl_y_copies_the_address_with_or_without_paste() {
        let ctrl_y = KeyEvent::new(KeyCode::Char('y'), KeyModifiers::CONTROL);
        for accepts_paste in [true, false] {
            let mut p = TokenPane::default();
            let url = "https://login.example/oauth/authorize?client_id=c&code_challenge=x&state=s".to_string();
            let prompt = SignInPrompt { accepts_paste, authorize_url: url.clone(), ..Default::default() };
            assert_eq!(p.prompt_key(&prompt, &ctrl_y), Some(vec![Command::CopyToClipboard(url)]));
            assert!(p.copied && p.paste.is_empty(), "not typed into the paste line");
        }
    }

    #[test]
    fn the_pane_follows_the_height_until_pinned() {
        let mut p = TokenPane::default();
        assert!(!p.visible(24) && p.visible(40));
        p.toggle(24);
        assert!(p.visible(24) && p.visible(40));
        p.toggle(40);
        assert!(!p.visible(40));
    }
}
