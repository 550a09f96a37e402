//! The full story of one error: request, status, diagnosis, evidence, fix, ids, raw body.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use crate::app::{App, ErrorEntry};
use crate::diagnose::permission_rule;
use crate::text::format::wrap;

const LABEL: usize = 10;

struct Fields<'t> {
    out: Vec<Line<'static>>,
    width: usize,
    theme: &'t Theme,
}

impl Fields<'_> {
    /// A labelled value, wrapped under itself (a hanging indent keeps the labels readable).
    fn add(&mut self, label: &str, value: &str, style: Style) {
        for (i, part) in wrap(value, self.width.saturating_sub(LABEL)).into_iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            self.out.push(Line::from(vec![
                Span::styled(format!("{label:<LABEL$}"), self.theme.label()),
                Span::styled(part, style),
            ]));
        }
    }
}

pub fn lines(e: &ErrorEntry, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let d = &e.diagnosis;
    let plain = Style::new();
    let mut f = Fields { out: vec![], width, theme };
    let when = if e.count > 1 {
        format!(
            "{} first, {} last, {} times",
            e.first_seen.strftime("%H:%M:%S"),
            e.last_seen.strftime("%H:%M:%S"),
            e.count
        )
    } else {
        e.last_seen.strftime("%Y-%m-%d %H:%M:%S").to_string()
    };
    f.add("when", &when, plain);
    if let Some(err) = &e.error {
        f.add("request", &err.request.to_string(), plain);
        f.add("answer", &err.summary(), plain);
    }
    f.add("cause", d.cause.label(), theme.bad());
    f.add("diagnosis", &d.summary, plain);
    if !d.missing.is_empty() {
        f.add("missing", &d.missing.join(", "), theme.bad());
    }
    if !d.divisions.is_empty() {
        f.add("divisions", &d.divisions.join(", "), plain);
    }
    if let Some(ep) = d.endpoint {
        let scopes = if ep.scopes.is_empty() { "any".to_string() } else { ep.scopes.join(" or ") };
        f.add("endpoint", &format!("{} needs {}; user-token scopes: {scopes}", ep.label(), permission_rule(ep)), plain);
    }
    for (i, ev) in d.evidence.iter().enumerate() {
        f.add(if i == 0 { "evidence" } else { "" }, ev, plain);
    }
    f.add("fix", &d.fix, theme.good());
    if let Some(err) = &e.error {
        if let Some(cid) = err.correlation_id() {
            f.add("corr. id", cid, plain);
        }
        if let Some(ctx) = err.error_body().and_then(|b| b.context_id.as_deref()) {
            f.add("contextId", ctx, plain);
        }
        if let Some(raw) = err.raw().filter(|r| !r.is_empty()) {
            f.out.push(Line::styled("raw body", theme.label()));
            let shown = e.raw_pretty.as_deref().unwrap_or(raw);
            let body_width = width.saturating_sub(2);
            f.out
                .extend(shown.lines().take(80).flat_map(|l| wrap(l, body_width)).map(|l| Line::from(format!("  {l}"))));
        }
    }
    f.out
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, index: usize, scroll: usize) {
    let Some(e) = app.errors.get(index) else { return };
    let popup = Rect {
        x: area.x + 1,
        y: area.y + 1,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(2),
    };
    // The whole screen: a cell left uncovered at the edge would show the table behind.
    f.render_widget(Clear, area);
    let title = format!(" error {} of {} ", index + 1, app.errors.len());
    let hint = if theme.ascii { " Esc close  Up/Down scroll " } else { " Esc close  ↑↓ scroll " };
    let block = Block::bordered()
        .border_set(theme.border())
        .title(Span::styled(title, theme.title()))
        .title_bottom(Line::styled(hint, theme.dim()).right_aligned());
    let inner = block.inner(popup);
    let text = lines(e, theme, inner.width as usize);
    let overflow = text.len().saturating_sub(inner.height as usize);
    let scroll = scroll.min(overflow) as u16;
    f.render_widget(Paragraph::new(text).block(block).scroll((scroll, 0)), popup);
}
