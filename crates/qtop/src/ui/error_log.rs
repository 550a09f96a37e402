//! The error log pane: newest first, identical errors folded with a count, each with its
//! diagnosis in one line; the selected (or newest) entry also shows the fix.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::theme::Theme;
use crate::app::{App, ErrorEntry, Severity};
use crate::text::format::fit;

/// `POST analytics/queues/observations/query`: the request without the `/api/v2/` noise.
pub fn short_request(e: &ErrorEntry) -> String {
    match &e.error {
        Some(err) => format!("{} {}", err.request.method, err.request.path.trim_start_matches("/api/v2/")),
        None => match e.activity {
            crate::event::Activity::QueueList => "queue list".into(),
            crate::event::Activity::Observations => "live numbers".into(),
            crate::event::Activity::Totals => "today's totals".into(),
            crate::event::Activity::Internal => "qtop task".into(),
            _ => "monitor".into(),
        },
    }
}

fn head(e: &ErrorEntry, theme: &Theme) -> String {
    let time = e.last_seen.strftime("%H:%M:%S").to_string();
    let status = match (e.severity, e.status()) {
        (Severity::Warning, _) => "warn".to_string(),
        (Severity::Info, _) => "info".to_string(),
        (_, Some(s)) => s.to_string(),
        (_, None) if e.activity == crate::event::Activity::Internal => "bug".to_string(),
        (_, None) => "net".to_string(),
    };
    let times = if theme.ascii { "x" } else { "×" };
    let count = if e.count > 1 { format!(" {times}{}", e.count) } else { String::new() };
    format!(" {time} {status}{count} {}", short_request(e))
}

/// How many screen lines an entry takes (the selected one shows its fix too).
pub fn entry_height(selected: bool) -> u16 {
    if selected { 3 } else { 2 }
}

/// ` Errors (2) ` when every row is a refusal; otherwise what the rows are, so that good news
/// ("access restored") is not counted as an error.
fn title(app: &App) -> String {
    let count = |s: Severity| app.errors.iter().filter(|e| e.severity == s).count();
    let (errors, warnings, infos) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
    if warnings + infos == 0 {
        return format!(" Errors ({errors}) ");
    }
    let mut parts = vec![];
    if errors > 0 {
        parts.push(format!("{errors} error{}", if errors == 1 { "" } else { "s" }));
    }
    if warnings > 0 {
        parts.push(format!("{warnings} warning{}", if warnings == 1 { "" } else { "s" }));
    }
    if infos > 0 {
        parts.push(format!("{infos} restored"));
    }
    format!(" Errors ({}) ", parts.join(", "))
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, focused: bool) {
    let title = title(app);
    let hint = if focused { "Enter details, Tab next pane " } else { "Tab to select " };
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(Span::styled(title, theme.title()))
        .title(Line::styled(hint, theme.dim()).right_aligned());
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    if app.errors.is_empty() {
        f.render_widget(Paragraph::new(Line::styled(" No errors since qtop started.", theme.label())), inner);
        return;
    }
    let selected = if focused { app.ui.error_selected } else { 0 };
    let mut lines: Vec<Line> = vec![];
    // Keep the selection in view: skip whole entries from the top as needed.
    let mut first = 0;
    while first < selected {
        let used: u16 = (first..=selected).map(|i| entry_height(i == selected)).sum();
        if used <= inner.height {
            break;
        }
        first += 1;
    }
    for (i, e) in app.errors.iter().enumerate().skip(first) {
        let is_sel = i == selected;
        let style = match e.severity {
            Severity::Error => theme.bad(),
            Severity::Warning => theme.warn(),
            Severity::Info => theme.good(),
        };
        let head_style = if focused && is_sel { style.patch(theme.selected()) } else { style };
        lines.push(Line::from(Span::styled(fit(&head(e, theme), width, theme.ascii), head_style)));
        let arrow = if theme.ascii { "->" } else { "↳" };
        lines.push(Line::from(Span::raw(fit(&format!("   {arrow} {}", e.diagnosis.summary), width, theme.ascii))));
        if is_sel {
            lines.push(Line::from(Span::styled(
                fit(&format!("     fix: {}", e.diagnosis.fix), width, theme.ascii),
                Style::new().patch(theme.label()),
            )));
        }
        if lines.len() >= inner.height as usize {
            break;
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
