//! The live queue table: the active view's columns (fewer when narrow), sorted and
//! filtered, each number with its threshold marker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::theme::Theme;
use crate::app::{App, Pane, QueueRow, Sort};
use crate::text::columns::{Column, ColumnId, column};
use crate::text::format::{fit, span};
use genesys::auth::AuthPhase;

/// The name column never gets narrower than this; columns go first.
pub const MIN_NAME: u16 = 14;
/// Minor columns make room until names get this much.
pub const NAME_COMFORT: u16 = 22;
pub const MINOR: u8 = 5;

/// Cell width: the column's own, room for a sort arrow on the title, and a marker slot.
pub fn cell_width(c: &Column) -> u16 {
    c.width.max(c.title.chars().count() as u16 + 1) + 1
}

/// The columns that fit in `width`, dropping the lowest `priority` first.
/// Minor columns (priority at or below `MINOR`) also give way so names get `NAME_COMFORT`
/// characters: two queues that differ only at the end stay tellable apart.
pub fn fitting(cols: &[ColumnId], width: u16) -> Vec<&'static Column> {
    let mut kept: Vec<&Column> = cols.iter().map(|c| column(*c)).collect();
    let used = |k: &[&Column]| k.iter().map(|c| cell_width(c) + 1).sum::<u16>();
    // The lowest priority goes first; among equals, the later one.
    let weakest = |k: &[&Column]| {
        k.iter().enumerate().min_by_key(|(i, c)| (c.priority, std::cmp::Reverse(*i))).map(|(i, c)| (i, c.priority))
    };
    while width.saturating_sub(used(&kept)) < NAME_COMFORT
        && let Some((i, p)) = weakest(&kept)
        && p <= MINOR
    {
        kept.remove(i);
    }
    while width.saturating_sub(used(&kept)) < MIN_NAME
        && let Some((i, _)) = weakest(&kept)
    {
        kept.remove(i);
    }
    kept
}

fn number_cells(row: &QueueRow, cols: &[&Column], app: &App, theme: &Theme) -> Vec<Cell<'static>> {
    // Totals that missed three fetches are shown dimmed: old, not current.
    let totals_stale = row.today_at.is_some_and(|t| app.since(t) > app.totals_every() * 3);
    cols.iter()
        .map(|c| {
            let (text, level) = super::value_text(app, row, c, theme);
            let style = theme.level(level);
            let style = if totals_stale && c.is_totals() { style.patch(theme.dim()) } else { style };
            Cell::from(
                Line::from(vec![Span::styled(text, style), Span::styled(theme.marker(level), style)]).right_aligned(),
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
        // A failure is said in the status line's words (one mapping from cause to word).
        let failure = match app.live_health() {
            crate::app::Health::Failing(p) | crate::app::Health::Retrying { problem: p, .. }
                if !p.detail.is_empty() =>
            {
                Some(format!(" {}: {}", p.word(), p.detail))
            }
            _ => None,
        };
        let msg = match (&app.auth.phase, listing_refused) {
            (AuthPhase::Failed(_) | AuthPhase::Expired(_), _) if failure.is_some() => failure.unwrap_or_default(),
            (AuthPhase::Failed(why), _) => format!(" Sign-in failed: {why}"),
            (AuthPhase::Expired(fix), _) => format!(" Token expired: {fix}"),
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

/// How old a row's live numbers are, when older than three refreshes (never while frozen:
/// the whole screen is then a snapshot and the header says so).
pub fn stale_age(app: &App, row: &QueueRow) -> Option<std::time::Duration> {
    if app.ui.frozen.is_some() {
        return None;
    }
    row.age(app.now).filter(|a| *a > app.stale_after())
}

/// `~12s`: how old a stale row is, in words as well as dim (dim alone is lost without colour).
pub fn stale_marker(age: std::time::Duration) -> String {
    format!(" ~{}", span(age))
}

/// The queue name, and for a stale row its age at the end of the cell.
fn name_cell(name: &str, stale: Option<std::time::Duration>, width: u16, theme: &Theme) -> Cell<'static> {
    match stale {
        None => Cell::from(fit(name, width as usize, theme.ascii)),
        Some(age) => {
            let marker = stale_marker(age);
            let room = (width as usize).saturating_sub(marker.chars().count());
            Cell::from(Line::from(vec![
                Span::raw(fit(name, room, theme.ascii)),
                Span::styled(marker, theme.warn().add_modifier(Modifier::DIM)),
            ]))
        }
    }
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(lines) = empty_message(app, theme) {
        f.render_widget(Paragraph::new(lines), area);
        return;
    }
    let cols = fitting(app.columns(), area.width);
    let numbers_width: u16 = cols.iter().map(|c| cell_width(c) + 1).sum();
    // Numbers sit next to the names on wide screens, not across an empty gulf.
    // A stale row's age goes after its name: room for it where the screen has room.
    let longest = app
        .visible_rows()
        .map(|r| r.info.name.chars().count() + stale_age(app, r).map_or(0, |a| stale_marker(a).chars().count()))
        .max()
        .unwrap_or(0) as u16
        + 2;
    let name_width = area.width.saturating_sub(numbers_width).min(longest.max(MIN_NAME)).max(8);
    let sort = app.ui.sort;
    // The usual order (by name, A-Z) needs no arrow; any other order shows where and which way.
    let arrow = |on: bool| if on && sort != Sort::NAME { theme.sort_arrow(sort.descending) } else { "" };
    let header =
        Row::new(std::iter::once(Cell::from(format!("Queue{}", arrow(sort.column.is_none())))).chain(cols.iter().map(
            |c| Cell::from(Line::from(format!("{}{} ", arrow(sort.column == Some(c.id)), c.title)).right_aligned()),
        )))
        .style(theme.column_header());
    // Only the rows that fit are built: the table shows the window that keeps the selection on
    // screen (what ratatui's Table picks for a fresh state with rows one line high), and with
    // 1 000 queues building every row cost 2 ms and 2.7 MB a frame for 39 lines.
    let body = area.height.saturating_sub(1) as usize;
    let selected = app.ui.selected.min(app.visible_len().saturating_sub(1));
    let first = (selected + 1).saturating_sub(body);
    let rows = app.visible_rows().skip(first).take(body).map(|r| {
        let stale = stale_age(app, r);
        let mut cells = vec![name_cell(&r.info.name, stale, name_width, theme)];
        cells.extend(number_cells(r, &cols, app, theme));
        let row = Row::new(cells);
        if stale.is_some() { row.style(theme.dim()) } else { row }
    });
    let widths = std::iter::once(Constraint::Length(name_width))
        .chain(cols.iter().map(|c| Constraint::Length(cell_width(c))))
        .chain(std::iter::once(Constraint::Fill(1)));
    let highlight =
        if app.ui.focus == Pane::Queues { theme.selected() } else { Style::new().add_modifier(Modifier::UNDERLINED) };
    let table = Table::new(rows, widths).header(header).column_spacing(1).row_highlight_style(highlight);
    let mut state = TableState::default().with_selected(Some(selected - first));
    f.render_stateful_widget(table, area, &mut state);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::columns::COLUMNS;

    fn all() -> Vec<ColumnId> {
        COLUMNS.iter().map(|c| c.id).collect()
    }

    #[test]
    fn narrow_terminals_drop_the_least_important_columns_first() {
        let width: u16 = COLUMNS.iter().map(|c| cell_width(c) + 1).sum();
        assert_eq!(fitting(&all(), width + NAME_COMFORT).len(), COLUMNS.len());
        assert_eq!(fitting(&all(), width + MIN_NAME).len(), COLUMNS.len() - 1, "a minor column makes room for names");
        let at80: Vec<ColumnId> = fitting(&all(), 80).iter().map(|c| c.id).collect();
        for keep in [ColumnId::Waiting, ColumnId::Longest, ColumnId::ServiceLevel, ColumnId::Offered] {
            assert!(at80.contains(&keep), "{keep:?} dropped at 80: {at80:?}");
        }
        assert!(!at80.contains(&ColumnId::SlTarget));
        let used: u16 = fitting(&all(), 80).iter().map(|c| cell_width(c) + 1).sum();
        assert!(used + MIN_NAME <= 80);
        // Order is the registry's, whatever was dropped.
        let pos = |id| COLUMNS.iter().position(|c| c.id == id).unwrap();
        assert!(at80.windows(2).all(|w| pos(w[0]) < pos(w[1])));
        assert!(fitting(&all(), 10).is_empty());
    }
}
