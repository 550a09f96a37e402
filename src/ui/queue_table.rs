//! The live queue table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::columns::{COLUMNS, ColumnId};
use super::format::fit;
use super::theme::Theme;
use crate::app::{App, QueueRow};
use crate::genesys::auth::AuthPhase;

fn number_cells(row: &QueueRow, app: &App, theme: &Theme) -> Vec<Cell<'static>> {
    COLUMNS
        .iter()
        .map(|c| {
            let text = (c.text)(row, app.now).unwrap_or_else(|| theme.unknown().to_string());
            let style = match (c.id, (c.value)(row, app.now)) {
                (ColumnId::Waiting, Some(w)) if w > 0 => theme.warn(),
                _ => Style::new(),
            };
            Cell::from(Line::styled(text, style).right_aligned())
        })
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if !app.queues_loaded {
        let listing_refused = app
            .errors
            .iter()
            .find(|e| e.activity == crate::event::Activity::QueueList && e.severity == crate::app::Severity::Error);
        let msg = match (&app.auth.phase, listing_refused) {
            (AuthPhase::Failed(why), _) => format!(" Sign-in failed: {why}"),
            (AuthPhase::SignedIn, Some(e)) => {
                format!(" Cannot list queues: {} — see Errors below (e, Enter)", e.diagnosis.summary)
            }
            (AuthPhase::SignedIn, None) => " Loading queues…".to_string(),
            _ => " Signing in…".to_string(),
        };
        f.render_widget(Paragraph::new(msg), area);
        return;
    }
    if app.queues.is_empty() {
        let mut lines = vec![Line::from(" No queues to show.")];
        if app.unmatched.is_empty() {
            lines.push(Line::from(" This token sees no queues: it needs routing:queue:view in the queues' divisions."));
        }
        for s in &app.unmatched {
            lines.push(Line::styled(format!(" No visible queue matches '{s}'."), theme.warn()));
        }
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    let numbers_width: u16 = COLUMNS.iter().map(|c| c.width + 1).sum();
    let name_width = area.width.saturating_sub(numbers_width).max(8) as usize;
    let header = Row::new(
        std::iter::once(Cell::from("Queue"))
            .chain(COLUMNS.iter().map(|c| Cell::from(Line::from(c.title).right_aligned()))),
    )
    .style(theme.column_header());
    let rows = app.queues.iter().map(|r| {
        let stale = r.age(app.now).is_some_and(|a| a > app.refresh * 3);
        let mut cells = vec![Cell::from(fit(&r.info.name, name_width, theme.ascii))];
        cells.extend(number_cells(r, app, theme));
        let row = Row::new(cells);
        if stale { row.style(theme.dim()) } else { row }
    });
    let widths = std::iter::once(Constraint::Min(8)).chain(COLUMNS.iter().map(|c| Constraint::Length(c.width)));
    let table = Table::new(rows, widths).header(header).column_spacing(1).row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(Some(app.selected.min(app.queues.len() - 1)));
    f.render_stateful_widget(table, area, &mut state);
}
