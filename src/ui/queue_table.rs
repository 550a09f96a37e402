//! The live queue table: the active view's columns (fewer when narrow), sorted and
//! filtered, each number with its threshold marker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::columns::{Column, ColumnId, column};
use super::format::fit;
use super::theme::Theme;
use crate::app::{App, Pane, QueueRow, Sort};
use crate::genesys::auth::AuthPhase;

/// The name column never gets narrower than this; columns go first.
pub const MIN_NAME: u16 = 16;

/// Cell width: the column's own, room for a sort arrow on the title, and a marker slot.
pub fn cell_width(c: &Column) -> u16 {
    c.width.max(c.title.chars().count() as u16 + 1) + 1
}

/// The columns that fit in `width`, dropping the lowest `priority` first.
pub fn fitting(cols: &[ColumnId], width: u16) -> Vec<&'static Column> {
    let mut kept: Vec<&Column> = cols.iter().map(|c| column(*c)).collect();
    let used = |k: &[&Column]| k.iter().map(|c| cell_width(c) + 1).sum::<u16>();
    while !kept.is_empty() && width.saturating_sub(used(&kept)) < MIN_NAME {
        let weakest = kept.iter().enumerate().min_by_key(|(_, c)| c.priority).map(|(i, _)| i).expect("non-empty");
        kept.remove(weakest);
    }
    kept
}

fn number_cells(row: &QueueRow, cols: &[&Column], app: &App, theme: &Theme) -> Vec<Cell<'static>> {
    cols.iter()
        .map(|c| {
            let text = (c.text)(row, app.data_now()).unwrap_or_else(|| theme.unknown().to_string());
            let level = app.level(row, c);
            Cell::from(
                Line::from(vec![
                    Span::styled(text, theme.level(level)),
                    Span::styled(theme.marker(level), theme.level(level)),
                ])
                .right_aligned(),
            )
        })
        .collect()
}

/// Nothing to tabulate yet (or any more): say why, in words.
fn empty_message(app: &App, theme: &Theme) -> Option<Vec<Line<'static>>> {
    if !app.queues_loaded {
        let listing_refused = app
            .errors
            .iter()
            .find(|e| e.activity == crate::event::Activity::QueueList && e.severity == crate::app::Severity::Error);
        let msg = match (&app.auth.phase, listing_refused) {
            (AuthPhase::Failed(why), _) => format!(" Sign-in failed: {why}"),
            (AuthPhase::SignedIn, Some(e)) => {
                format!(" Cannot list queues: {} - see Errors below (Tab, Enter)", e.diagnosis.summary)
            }
            (AuthPhase::SignedIn, None) => format!(" Loading queues{}", theme.ellipsis()),
            _ => format!(" Signing in{}", theme.ellipsis()),
        };
        return Some(vec![Line::from(msg)]);
    }
    if app.queues.is_empty() {
        let mut lines = vec![Line::from(" No queues to show.")];
        if app.unmatched.is_empty() {
            lines.push(Line::from(" This token sees no queues: it needs routing:queue:view in the queues' divisions."));
        }
        for s in &app.unmatched {
            lines.push(Line::styled(format!(" No visible queue matches '{s}'."), theme.warn()));
        }
        return Some(lines);
    }
    if app.visible_len() == 0 {
        let mut lines = vec![];
        if app.ui.filter.is_active() {
            lines.push(Line::from(format!(
                " No queue name matches '{}' (Esc clears the filter).",
                app.ui.filter.text()
            )));
        }
        if let Some(v) = app.active_view() {
            lines.push(Line::from(format!(" View '{}' matches none of the monitored queues (0 shows all).", v.name)));
        }
        return Some(lines);
    }
    None
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(lines) = empty_message(app, theme) {
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    let cols = fitting(app.columns(), area.width);
    let numbers_width: u16 = cols.iter().map(|c| cell_width(c) + 1).sum();
    // Numbers sit next to the names on wide screens, not across an empty gulf.
    let longest = app.visible_rows().map(|r| r.info.name.chars().count()).max().unwrap_or(0) as u16 + 2;
    let name_width = area.width.saturating_sub(numbers_width).min(longest.max(MIN_NAME)).max(8);
    let sort = app.ui.sort;
    // The usual order (by name, A-Z) needs no arrow; any other order shows where and which way.
    let arrow = |on: bool| if on && sort != Sort::NAME { theme.sort_arrow(sort.descending) } else { "" };
    let header =
        Row::new(std::iter::once(Cell::from(format!("Queue{}", arrow(sort.column.is_none())))).chain(cols.iter().map(
            |c| Cell::from(Line::from(format!("{}{} ", arrow(sort.column == Some(c.id)), c.title)).right_aligned()),
        )))
        .style(theme.column_header());
    let now = app.data_now();
    let rows = app.visible_rows().map(|r| {
        let stale = app.ui.frozen.is_none() && r.age(now).is_some_and(|a| a > app.refresh * 3);
        let mut cells = vec![Cell::from(fit(&r.info.name, name_width as usize, theme.ascii))];
        cells.extend(number_cells(r, &cols, app, theme));
        let row = Row::new(cells);
        if stale { row.style(theme.dim()) } else { row }
    });
    let widths = std::iter::once(Constraint::Length(name_width))
        .chain(cols.iter().map(|c| Constraint::Length(cell_width(c))))
        .chain(std::iter::once(Constraint::Fill(1)));
    let highlight =
        if app.ui.focus == Pane::Queues { theme.selected() } else { Style::new().add_modifier(Modifier::UNDERLINED) };
    let table = Table::new(rows, widths).header(header).column_spacing(1).row_highlight_style(highlight);
    let mut state = TableState::default().with_selected(Some(app.ui.selected));
    f.render_stateful_widget(table, area, &mut state);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::columns::COLUMNS;

    #[test]
    fn narrow_terminals_drop_the_least_important_columns() {
        let all: Vec<ColumnId> = COLUMNS.iter().map(|c| c.id).collect();
        assert_eq!(fitting(&all, 120).len(), all.len());
        let narrow = fitting(&all, 50);
        let kept: Vec<ColumnId> = narrow.iter().map(|c| c.id).collect();
        assert!(kept.contains(&ColumnId::Waiting) && kept.contains(&ColumnId::Longest), "{kept:?}");
        assert!(!kept.contains(&ColumnId::Alerting), "{kept:?}");
        let used: u16 = narrow.iter().map(|c| cell_width(c) + 1).sum();
        assert!(50 - used >= MIN_NAME);
    }
}
