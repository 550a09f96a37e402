//! The live queue table.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::columns::{self, Column, ColumnId};
use super::format::fit;
use super::theme::Theme;
use crate::app::{App, QueueRow};
use crate::genesys::auth::AuthPhase;

/// The queue name keeps at least this many characters; columns give way first.
pub const NAME_MIN: u16 = 14;

fn is_totals(id: ColumnId) -> bool {
    matches!(
        id,
        ColumnId::Offered
            | ColumnId::Answered
            | ColumnId::Abandoned
            | ColumnId::AbandonRate
            | ColumnId::Asa
            | ColumnId::ServiceLevel
    )
}

fn number_cells(row: &QueueRow, app: &App, theme: &Theme, shown: &[&Column]) -> Vec<Cell<'static>> {
    // Totals that missed three fetches are shown dimmed: old, not current.
    let totals_stale = row.today_at.is_some_and(|t| app.since(t) > app.totals_refresh * 3);
    shown
        .iter()
        .map(|c| {
            let value = (c.value)(row, app.now);
            let text = (c.text)(row, app.now).unwrap_or_else(|| theme.unknown().to_string());
            let style = match (c.id, value) {
                (ColumnId::Waiting, Some(w)) if w > 0 => theme.warn(),
                (ColumnId::ServiceLevel, Some(sl)) => match columns::sl_target(row) {
                    Some(target) if (sl as f64) < target * 1000.0 => theme.bad(),
                    Some(_) => theme.good(),
                    None => Style::new(),
                },
                _ => Style::new(),
            };
            let style = if totals_stale && is_totals(c.id) { style.patch(theme.dim()) } else { style };
            Cell::from(Line::styled(text, style).right_aligned())
        })
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if !app.queues_loaded {
        let msg = match &app.auth.phase {
            AuthPhase::Failed(why) => format!(" Sign-in failed: {why}"),
            AuthPhase::SignedIn => " Loading queues…".to_string(),
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
    let shown = columns::fitting(area.width, NAME_MIN);
    let numbers_width: u16 = shown.iter().map(|c| c.width + 1).sum();
    let name_width = area.width.saturating_sub(numbers_width).max(8) as usize;
    let header = Row::new(
        std::iter::once(Cell::from("Queue"))
            .chain(shown.iter().map(|c| Cell::from(Line::from(c.title).right_aligned()))),
    )
    .style(theme.column_header());
    let rows = app.queues.iter().map(|r| {
        let stale = r.age(app.now).is_some_and(|a| a > app.refresh * 3);
        let mut cells = vec![Cell::from(fit(&r.info.name, name_width, theme.ascii))];
        cells.extend(number_cells(r, app, theme, &shown));
        let row = Row::new(cells);
        if stale { row.style(theme.dim()) } else { row }
    });
    let widths = std::iter::once(Constraint::Min(8)).chain(shown.iter().map(|c| Constraint::Length(c.width)));
    let table = Table::new(rows, widths).header(header).column_spacing(1).row_highlight_style(theme.selected());
    let mut state = TableState::default().with_selected(Some(app.selected.min(app.queues.len() - 1)));
    f.render_stateful_widget(table, area, &mut state);
}
