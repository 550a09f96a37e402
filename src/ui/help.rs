//! The help overlay, generated from the key table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use crate::keys::BINDINGS;

pub fn draw(f: &mut Frame, area: Rect, theme: &Theme) {
    let mut lines = vec![Line::styled("Keys", theme.title())];
    for b in BINDINGS {
        let keys: Vec<String> = b.keys.iter().map(|k| k.label(theme.ascii)).collect();
        lines.push(Line::from(vec![Span::styled(format!("  {:<12}", keys.join(" ")), theme.key()), Span::raw(b.help)]));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let width = 70.min(area.width);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    f.render_widget(Clear, popup);
    let block = Block::bordered().border_set(theme.border()).title(" help ");
    f.render_widget(Paragraph::new(lines).block(block), popup);
}

/// The bottom command bar: the bindings that have a bar word.
pub fn command_bar(theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for b in BINDINGS.iter().filter(|b| b.bar.is_some()) {
        spans.push(Span::styled(b.keys[0].label(theme.ascii), theme.key()));
        spans.push(Span::raw(format!(" {}  ", b.bar.unwrap_or_default())));
    }
    Line::from(spans)
}
