//! Rendering: `&App` in, frame out. No I/O, no parsing.

pub mod ascii;
pub mod bar;
pub mod bigdigits;
pub mod detail;
pub mod error_detail;
pub mod error_log;
pub mod header;
pub mod help;
pub mod queue_table;
pub mod theme;
pub mod token_pane;
pub mod wall;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Paragraph;

use crate::app::{App, Detail, Level, Pane, QueueRow, Viewport};
use genesys::auth::AuthPhase;
use theme::Theme;

/// A number as every view shows it: its text on the data's clock (frozen or live) or the
/// unknown mark, and its threshold level (the caller adds the marker and style).
pub(crate) fn value_text(
    app: &App,
    row: &QueueRow,
    c: &crate::text::columns::Column,
    theme: &Theme,
) -> (String, Level) {
    let text = (c.text)(row, app.data_now()).unwrap_or_else(|| theme.unknown().to_string());
    (text, app.level(row, c))
}

/// Smallest terminal the layout is built for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the frame and says what it had room for; the loop hands that back to the state
/// (`UiState::viewport`), so paging follows the real layout while drawing stays pure.
pub fn draw(f: &mut Frame, app: &App) -> Viewport {
    let viewport = draw_screen(f, app);
    if app.ascii {
        ascii::sanitize(f.buffer_mut());
    }
    viewport
}

fn draw_screen(f: &mut Frame, app: &App) -> Viewport {
    let mut viewport = Viewport::default();
    let theme = Theme::new(app.color, app.ascii).with_palette(app.settings.palette);
    let area = f.area();
    // A wall draws at any size: it is what someone across the room is reading.
    if app.ui.wall.is_some() {
        wall::draw(f, area, app, &theme);
        return viewport;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("enlarge to {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{})", area.width, area.height);
        f.render_widget(Paragraph::new(msg), area);
        return viewport;
    }
    let focused = app.ui.focus == Pane::Errors;
    let error_rows = match (app.ui.show_error_log, app.errors.len() as u16, focused) {
        (false, ..) => 0,
        (true, 0, _) => 2,
        // Focused: room for several entries and the selected one's fix.
        (true, n, true) => (n * 2 + 2).min(area.height / 2),
        (true, n, false) => (n * 2 + 1).min(6) + 1,
    };
    let token_rows = token_pane::height(app, area.height, 2 + error_rows);
    let [header, body, errors, token, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(error_rows),
        Constraint::Length(token_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header::line(app, &theme, header.width)), header);
    // The table's first line holds the column titles.
    viewport.table_rows = Some(body.height.saturating_sub(1) as usize);
    match &app.ui.detail {
        Some(Detail::Queue(d)) => viewport.detail_rows = detail::draw(f, body, app, &theme, d),
        Some(Detail::Error { .. }) | None => queue_table::draw(f, body, app, &theme),
    }
    if error_rows > 0 {
        error_log::draw(f, errors, app, &theme, focused);
    }
    if token_rows > 0 {
        token_pane::draw(f, token, app, &theme);
    }
    f.render_widget(Paragraph::new(bar::line(app, &theme, bar.width)), bar);
    if let Some(Detail::Error { index, scroll }) = &app.ui.detail {
        error_detail::draw(f, area, app, &theme, *index, *scroll);
    }
    if app.ui.show_help {
        viewport.help_max_scroll = Some(help::draw(f, area, app, &theme));
    }
    if let AuthPhase::AwaitingUser(prompt) = &app.auth.phase {
        token_pane::draw_prompt(f, area, app, prompt, &theme);
    }
    viewport
}
