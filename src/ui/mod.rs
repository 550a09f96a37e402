//! Rendering: `&App` in, frame out. No I/O, no parsing.

pub mod bar;
pub mod bigdigits;
pub mod columns;
pub mod detail;
pub mod error_log;
pub mod format;
pub mod header;
pub mod help;
pub mod queue_table;
pub mod theme;
pub mod wall;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Paragraph;

use crate::app::{App, Detail};
use theme::Theme;

/// Smallest terminal the layout is built for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;
/// Error rows shown at most; the rest scroll in the pane.
const ERROR_ROWS: u16 = 5;

pub fn draw(f: &mut Frame, app: &App) {
    let theme = Theme::new(app.color, app.ascii).with_palette(app.settings.palette);
    let area = f.area();
    // A wall draws at any size: it is what someone across the room is reading.
    if app.ui.wall.is_some() {
        wall::draw(f, area, app, &theme);
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("enlarge to {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{})", area.width, area.height);
        f.render_widget(Paragraph::new(msg), area);
        return;
    }
    let error_rows = if app.ui.show_error_log { (app.errors.len() as u16).clamp(1, ERROR_ROWS) + 1 } else { 0 };
    let [header, body, errors, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(error_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header::line(app, &theme, header.width)), header);
    match &app.ui.detail {
        Some(Detail::Queue(d)) => detail::draw(f, body, app, &theme, d),
        // The error detail view draws itself; until then the table stays.
        Some(Detail::Error(_)) | None => queue_table::draw(f, body, app, &theme),
    }
    if error_rows > 0 {
        error_log::draw(f, errors, app, &theme);
    }
    f.render_widget(Paragraph::new(bar::line(app, &theme, bar.width)), bar);
    if app.ui.show_help {
        help::draw(f, area, app, &theme);
    }
}
