//! Wall mode: a read-only kiosk for an ops wall. Big digits when they fit, only the
//! configured columns, pages that turn by themselves, a header with clock and status. It
//! never prompts; trouble shows as words in the header and dimmed numbers.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::bigdigits;
use super::header;
use super::theme::Theme;
use crate::app::{App, BigDigits, Health, Level, QueueRow};
use crate::text::columns::{Column, ColumnId, Unit, column};
use crate::text::format::fit;

/// Card: top border with the name, digits, labels, bottom border.
const CARD_HEIGHT: u16 = bigdigits::HEIGHT + 3;
/// Columns between two numbers on a card; wide enough that `1 01:51` never reads as one.
const SLOT_GAP: u16 = 4;
/// In auto mode big digits are used when at least this many queues fit on a page.
const MIN_BIG_PER_PAGE: usize = 4;

/// How the queues are laid out on the wall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Cards { across: u16, down: u16 },
    Table { rows: u16 },
}

impl Plan {
    pub fn per_page(self) -> usize {
        match self {
            Plan::Cards { across, down } => across as usize * down as usize,
            Plan::Table { rows } => rows as usize,
        }
        .max(1)
    }
}

/// Widest value a slot must hold, drawn big.
fn slot_width(c: &Column) -> u16 {
    let sample = match c.unit {
        Unit::Count => "888",
        Unit::Duration => "88:88",
        Unit::Percent => "100%",
    };
    bigdigits::width(sample).max(c.title.chars().count() as u16 + 2)
}

fn card_width(cols: &[ColumnId]) -> u16 {
    let slots: u16 = cols.iter().map(|c| slot_width(column(*c))).sum();
    slots + SLOT_GAP * cols.len().saturating_sub(1) as u16 + 4
}

pub fn plan(body: Rect, cols: &[ColumnId], queues: usize, big: BigDigits) -> Plan {
    let table = Plan::Table { rows: body.height.saturating_sub(1).max(1) };
    let across = body.width / card_width(cols).max(1);
    let down = body.height / CARD_HEIGHT;
    let fits = across as usize * down as usize;
    match big {
        BigDigits::Never => table,
        _ if fits == 0 => table,
        BigDigits::Always => Plan::Cards { across, down },
        BigDigits::Auto if fits >= MIN_BIG_PER_PAGE || fits >= queues => Plan::Cards { across, down },
        BigDigits::Auto => table,
    }
}

/// Which page shows now: pages turn every `page_interval` since wall mode began.
pub fn page(app: &App, pages: usize) -> usize {
    let Some(wall) = app.ui.wall else { return 0 };
    let elapsed = app.now.duration_since(wall.since).as_secs().max(0) as u64;
    let every = app.settings.wall.page_interval.as_secs().max(1);
    (elapsed / every) as usize % pages.max(1)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let cols = &app.settings.wall.columns;
    let rows: Vec<&QueueRow> = app.visible_rows().collect();
    let plan = plan(body, cols, rows.len(), app.settings.wall.big_digits);
    let pages = rows.len().div_ceil(plan.per_page()).max(1);
    let page = page(app, pages);
    f.render_widget(Paragraph::new(header_line(app, theme, page, pages, head.width)), head);

    if let Some(msg) = waiting_message(app, theme) {
        let [_, mid, _] =
            Layout::vertical([Constraint::Fill(1), Constraint::Length(1), Constraint::Fill(1)]).areas(body);
        f.render_widget(Paragraph::new(msg).alignment(Alignment::Center).style(theme.warn()), mid);
        return;
    }
    let shown: Vec<&QueueRow> = rows.iter().skip(page * plan.per_page()).take(plan.per_page()).copied().collect();
    match plan {
        Plan::Cards { across, down } => draw_cards(f, body, app, theme, &shown, across, down),
        Plan::Table { .. } => draw_table(f, body, app, theme, &shown),
    }
}

/// What to say instead of numbers; a wall keeps retrying and says so, in the header's words.
fn waiting_message(app: &App, theme: &Theme) -> Option<String> {
    if app.queues_loaded && app.visible_len() > 0 {
        return None;
    }
    if app.queues_loaded && !app.queues.is_empty() {
        return Some("No queue matches this view".to_string());
    }
    let retrying = app
        .retry_shown()
        .map(|r| format!(" (retrying {}, attempt {})", header::countdown(app, r.next), r.attempt))
        .unwrap_or_default();
    Some(match app.live_health() {
        Health::Connecting => format!("Connecting{}", theme.ellipsis()),
        Health::NoQueues(why) => format!("No queues: {why}"),
        Health::Retrying { problem, .. } | Health::Failing(problem) if !problem.detail.is_empty() => {
            format!("{}: {}{retrying}", problem.word(), problem.detail)
        }
        other => format!("{}{retrying}", other.word()),
    })
}

fn header_line(app: &App, theme: &Theme, page: usize, pages: usize, width: u16) -> Line<'static> {
    let clock = app.now.to_zoned_datetime(app.timezone.clone()).strftime("%H:%M:%S").to_string();
    let sep = Span::styled(format!(" {} ", theme.sep()), theme.dim());
    let mut spans = vec![Span::raw(" "), Span::styled("qtop", theme.title()), sep.clone()];
    spans.push(Span::raw(app.org_name().unwrap_or(&app.org_label).to_string()));
    spans.push(sep.clone());
    spans.push(Span::styled(clock, Style::new().add_modifier(Modifier::BOLD)));
    spans.push(sep.clone());
    let mut tail = vec![];
    if let Some(v) = app.active_view() {
        tail.push(sep.clone());
        tail.push(Span::raw(format!("view {}", v.name)));
    }
    if pages > 1 {
        tail.push(sep);
        tail.push(Span::raw(format!("page {}/{pages}", page + 1)));
    }
    // The status gets what the clock, view and page leave: its long form on a wide wall,
    // `Reconnecting in 8s #4` on a narrow one.
    let used: usize = spans.iter().chain(tail.iter()).map(Span::width).sum();
    spans.extend(header::health_within(app, theme, (width as usize).saturating_sub(used)));
    spans.extend(tail);
    Line::from(spans)
}

/// The value drawn big: `12`, `03:41` (or `1h05` past an hour), `87%`, `-` when unknown.
fn big_text(c: &Column, row: &QueueRow, app: &App) -> String {
    let Some(v) = (c.value)(row, app.data_now()) else { return "-".into() };
    match c.unit {
        Unit::Count => v.to_string(),
        Unit::Percent => format!("{v}%"),
        Unit::Duration => {
            let s = v.max(0) / 1000;
            if s >= 3600 { format!("{}h{:02}", s / 3600, s / 60 % 60) } else { format!("{:02}:{:02}", s / 60, s % 60) }
        }
    }
}

fn draw_cards(f: &mut Frame, body: Rect, app: &App, theme: &Theme, shown: &[&QueueRow], across: u16, down: u16) {
    let cols = &app.settings.wall.columns;
    let card_w = body.width / across.max(1);
    for (i, row) in shown.iter().enumerate() {
        let (cx, cy) = (i as u16 % across, i as u16 / across);
        if cy >= down {
            break;
        }
        let area = Rect::new(body.x + cx * card_w, body.y + cy * CARD_HEIGHT, card_w, CARD_HEIGHT);
        draw_card(f, area, app, theme, row, cols);
    }
}

/// Numbers never observed, or older than three refreshes, are dimmed.
fn stale(app: &App, row: &QueueRow) -> bool {
    app.ui.frozen.is_none() && row.age(app.now).is_none_or(|a| a > app.stale_after())
}

/// ` ~12s` after the name of a row whose numbers are old (not for never-observed rows:
/// their numbers read `-`).
fn stale_marker(app: &App, row: &QueueRow) -> Option<String> {
    super::queue_table::stale_age(app, row).map(super::queue_table::stale_marker)
}

fn draw_card(f: &mut Frame, area: Rect, app: &App, theme: &Theme, row: &QueueRow, cols: &[ColumnId]) {
    let worst = app.worst_level(row, cols);
    let marker = stale_marker(app, row);
    let name_room = area.width.saturating_sub(8 + marker.as_ref().map_or(0, |m| m.chars().count() as u16)) as usize;
    let mut title = vec![Span::raw(" ")];
    if worst != Level::Normal {
        title.push(Span::styled(format!("{} ", theme.marker(worst)), theme.level(worst)));
    }
    title.push(Span::styled(fit(&row.info.name, name_room, theme.ascii), Style::new().add_modifier(Modifier::BOLD)));
    if let Some(m) = marker {
        title.push(Span::styled(m, theme.warn()));
    }
    title.push(Span::raw(" "));
    let border = if worst == Level::Normal { theme.label() } else { theme.level(worst) };
    let block = Block::bordered().border_set(theme.border()).border_style(border).title(Line::from(title));
    let inner = block.inner(area);
    f.render_widget(block, area);

    let dim = stale(app, row);
    let slots: Vec<u16> = cols.iter().map(|c| slot_width(column(*c))).collect();
    let used: u16 = slots.iter().sum::<u16>() + SLOT_GAP * slots.len().saturating_sub(1) as u16;
    let mut x = inner.x + inner.width.saturating_sub(used) / 2;
    for (c, w) in cols.iter().map(|c| column(*c)).zip(slots) {
        let level = app.level(row, c);
        let mut style = theme.level(level).add_modifier(Modifier::BOLD);
        if dim {
            style = style.add_modifier(Modifier::DIM);
        }
        let text = big_text(c, row, app);
        let slot = Rect::new(x, inner.y, w.min(inner.right().saturating_sub(x)), inner.height);
        if bigdigits::drawable(&text) && bigdigits::width(&text) <= slot.width {
            let lines: Vec<Line> = bigdigits::render(&text, theme.big_fill())
                .into_iter()
                .map(|r| Line::styled(r, style).centered())
                .collect();
            f.render_widget(Paragraph::new(lines), Rect { height: bigdigits::HEIGHT.min(slot.height), ..slot });
        } else {
            let y = Rect { y: slot.y + 2, height: 1, ..slot };
            f.render_widget(Paragraph::new(Line::styled(text, style).centered()), y);
        }
        if slot.height > bigdigits::HEIGHT {
            let label = Rect { y: slot.y + bigdigits::HEIGHT, height: 1, ..slot };
            let marker = Span::styled(theme.marker(level), theme.level(level));
            let words = Line::from(vec![Span::styled(c.title, theme.label()), Span::raw(" "), marker]).centered();
            f.render_widget(Paragraph::new(words), label);
        }
        x = x.saturating_add(w + SLOT_GAP);
    }
}

/// No room for big digits: one queue per line, bold numbers, wide gaps.
fn draw_table(f: &mut Frame, body: Rect, app: &App, theme: &Theme, shown: &[&QueueRow]) {
    let cols: Vec<&Column> = app.settings.wall.columns.iter().map(|c| column(*c)).collect();
    let widths_sum: u16 = cols.iter().map(|c| c.width + 3 + 2).sum();
    let longest = shown.iter().map(|r| r.info.name.chars().count()).max().unwrap_or(0) as u16 + 2;
    let name_w = body.width.saturating_sub(widths_sum).min(longest).max(8);
    let header = Row::new(
        std::iter::once(Cell::from("Queue"))
            .chain(cols.iter().map(|c| Cell::from(Line::from(format!("{} ", c.title)).right_aligned()))),
    )
    .style(theme.column_header());
    let rows = shown.iter().map(|r| {
        let dim = stale(app, r);
        let marker = stale_marker(app, r);
        let room = (name_w as usize).saturating_sub(marker.as_ref().map_or(0, |m| m.chars().count()));
        let mut name =
            vec![Span::styled(fit(&r.info.name, room, theme.ascii), Style::new().add_modifier(Modifier::BOLD))];
        if let Some(m) = marker {
            name.push(Span::styled(m, theme.warn()));
        }
        let mut cells = vec![Cell::from(Line::from(name))];
        for c in &cols {
            let (text, level) = super::value_text(app, r, c, theme);
            let mut style = theme.level(level).add_modifier(Modifier::BOLD);
            if dim {
                style = style.add_modifier(Modifier::DIM);
            }
            cells.push(Cell::from(Line::styled(format!("{text}{}", theme.marker(level)), style).right_aligned()));
        }
        Row::new(cells)
    });
    let widths = std::iter::once(Constraint::Length(name_w))
        .chain(cols.iter().map(|c| Constraint::Length(c.width + 3)))
        .chain(std::iter::once(Constraint::Fill(1)));
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(2), body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::WallSettings;

    #[test]
    fn plans_use_big_digits_only_when_enough_fits() {
        let cols = WallSettings::default().columns;
        let big = plan(Rect::new(0, 1, 160, 47), &cols, 13, BigDigits::Auto);
        assert!(matches!(big, Plan::Cards { .. }), "{big:?}");
        assert!(big.per_page() >= 8);
        let small = plan(Rect::new(0, 1, 40, 23), &cols, 13, BigDigits::Auto);
        assert!(matches!(small, Plan::Table { .. }), "{small:?}");
        let never = plan(Rect::new(0, 1, 200, 60), &cols, 13, BigDigits::Never);
        assert!(matches!(never, Plan::Table { rows: 59 }));
    }
}
