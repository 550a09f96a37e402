//! The error log pane: newest first, identical errors folded with a count.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::format::fit;
use super::theme::Theme;
use crate::app::{App, Pane};

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(Span::styled(format!(" Errors ({}) ", app.errors.len()), theme.title()));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    if app.errors.is_empty() {
        f.render_widget(Paragraph::new(Line::styled(" No errors since qtop started.", theme.label())), inner);
        return;
    }
    let focused = app.ui.focus == Pane::Errors;
    // Keep the selected row in view when the log is taller than the pane.
    let skip = app.ui.error_selected.saturating_sub(inner.height.saturating_sub(1) as usize);
    let lines: Vec<Line> = app
        .errors
        .iter()
        .enumerate()
        .skip(skip)
        .take(inner.height as usize)
        .map(|(i, e)| {
            let time = e.last_seen.strftime("%H:%M:%S").to_string();
            let status = e.error.status().map(|s| s.to_string()).unwrap_or_else(|| "---".into());
            let count = if e.count > 1 { format!(" ×{}", e.count) } else { String::new() };
            let count = if theme.ascii { count.replace('×', "x") } else { count };
            let head = format!(" {time} {status}{count} {} ", e.error.request);
            let rest = width.saturating_sub(head.chars().count());
            let line = Line::from(vec![
                Span::styled(head, theme.bad()),
                Span::raw(fit(&e.error.summary(), rest, theme.ascii)),
            ]);
            if focused && i == app.ui.error_selected { line.style(theme.selected()) } else { line }
        })
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}
