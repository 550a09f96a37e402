//! Rendering: `&App` in, frame out. No I/O, no parsing.

pub mod columns;
pub mod error_detail;
pub mod error_log;
pub mod format;
pub mod header;
pub mod help;
pub mod queue_table;
pub mod theme;
pub mod token_pane;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};
use ratatui::widgets::Paragraph;

use crate::app::App;
use crate::genesys::auth::AuthPhase;
use theme::Theme;

/// Smallest terminal the layout is built for.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub fn draw(f: &mut Frame, app: &App) {
    let theme = Theme::new(app.color, app.ascii);
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!("enlarge to {MIN_WIDTH}x{MIN_HEIGHT} (now {}x{})", area.width, area.height);
        f.render_widget(Paragraph::new(msg), area);
        return;
    }
    let error_rows = match (app.errors.len() as u16, app.errors_focused) {
        (0, _) => 0,
        // Focused: room for several entries and the selected one's fix.
        (n, true) => (n * 2 + 2).min(area.height / 2),
        (n, false) => (n * 2 + 1).min(6) + 1,
    };
    let token_rows = token_pane::height(app, area.height, 2 + error_rows);
    let [header, table, errors, token, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(error_rows),
        Constraint::Length(token_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    f.render_widget(Paragraph::new(header::line(app, &theme, header.width)), header);
    queue_table::draw(f, table, app, &theme);
    if error_rows > 0 {
        error_log::draw(f, errors, app, &theme, app.errors_focused);
    }
    if token_rows > 0 {
        token_pane::draw(f, token, app, &theme);
    }
    f.render_widget(Paragraph::new(help::command_bar(&theme)), bar);
    if app.error_detail {
        error_detail::draw(f, area, app, &theme);
    }
    if app.show_help {
        help::draw(f, area, &theme);
    }
    if let AuthPhase::AwaitingUser(prompt) = &app.auth.phase {
        token_pane::draw_prompt(f, area, app, prompt, &theme);
    }
}
