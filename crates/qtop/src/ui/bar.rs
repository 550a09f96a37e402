//! The bottom line: the filter prompt while typing, otherwise the keys of the components
//! that take keys now (from the key tables) and, on the right, the view, sort and filter.

use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::App;
use crate::keys::Binding;
use crate::text::columns::column;

pub fn line(app: &App, theme: &Theme, width: u16) -> Line<'static> {
    if app.ui.filter.editing {
        return prompt(app, theme);
    }
    let state = state_spans(app, theme);
    let state_width: usize = state.iter().map(ratatui::prelude::Span::width).sum();
    let stack = app.key_stack();
    let mut items: Vec<&Binding> = app.keymap.bar_items(&stack);
    let item_width = |b: &Binding| b.keys[0].label(theme.ascii).chars().count() + b.bar.unwrap_or("").len() + 3;
    // Drop the least important hints until the hints and the state fit.
    while items.len() > 1 && 1 + items.iter().map(|b| item_width(b)).sum::<usize>() + state_width > width as usize {
        let weakest = items.iter().enumerate().min_by_key(|(_, b)| b.rank).map(|(i, _)| i).expect("non-empty");
        items.remove(weakest);
    }
    let mut spans = vec![Span::raw(" ")];
    for b in &items {
        spans.push(Span::styled(b.keys[0].label(theme.ascii), theme.key()));
        spans.push(Span::raw(format!(" {}  ", b.bar.unwrap_or_default())));
    }
    let used: usize = spans.iter().map(ratatui::prelude::Span::width).sum();
    let pad = (width as usize).saturating_sub(used + state_width);
    spans.push(Span::raw(" ".repeat(pad)));
    spans.extend(state);
    Line::from(spans)
}

fn prompt(app: &App, theme: &Theme) -> Line<'static> {
    let f = &app.ui.filter;
    let cursor = if theme.ascii { "_" } else { "▏" };
    let mut spans = vec![
        Span::styled(" / ", theme.key()),
        Span::raw(f.text().to_string()),
        Span::styled(cursor, theme.key()),
        Span::styled(format!("  {}/{} queues", app.visible_len(), app.shown_rows().len()), theme.label()),
    ];
    if f.bad_glob() {
        spans.push(Span::styled("  (not a valid glob: matching as text)", theme.warn()));
    }
    spans.push(Span::styled("   Enter keep  Esc clear", theme.label()));
    Line::from(spans)
}

/// `[1 sales]  sort Wait↓  filter "care" 3/13`.
fn state_spans(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    let mut out = vec![];
    if let (Some(i), Some(v)) = (app.ui.view, app.active_view()) {
        out.push(Span::styled(format!("[{} {}] ", i + 1, v.name), theme.title()));
    }
    if let Some(c) = app.ui.sort.column {
        out.push(Span::styled(
            format!("sort {}{} ", column(c).title, theme.sort_arrow(app.ui.sort.descending)),
            theme.label(),
        ));
    }
    if app.ui.filter.is_active() {
        out.push(Span::styled(
            format!("filter \"{}\" {}/{} ", app.ui.filter.text(), app.visible_len(), app.shown_rows().len()),
            theme.warn(),
        ));
    }
    out
}
