//! The `?` screen, generated: every component's key table, the saved views, each column's
//! source and meaning with its thresholds, and what the markers say. Scrolls when taller
//! than the terminal.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::theme::Theme;
use crate::app::{App, Level};
use crate::keys::Component;
use crate::text::columns::{COLUMNS, Unit};

const KEY_WIDTH: usize = 14;

/// Word-wrap `text` to `width` columns (at least one word per line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = vec![];
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// `  keys          text` with the text wrapped under itself.
fn entry(lines: &mut Vec<Line<'static>>, key: String, key_style: Style, text: &str, width: usize) {
    let room = width.saturating_sub(KEY_WIDTH + 2).max(10);
    for (i, part) in wrap(text, room).into_iter().enumerate() {
        let lead = if i == 0 { format!("  {key:<KEY_WIDTH$}") } else { " ".repeat(KEY_WIDTH + 2) };
        lines.push(Line::from(vec![Span::styled(lead, key_style), Span::raw(part)]));
    }
}

fn heading(lines: &mut Vec<Line<'static>>, text: &str, theme: &Theme) {
    if !lines.is_empty() {
        lines.push(Line::raw(""));
    }
    lines.push(Line::styled(text.to_string(), theme.title()));
}

/// Every line of the help at `width` columns.
pub fn lines(app: &App, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut out = vec![];
    heading(&mut out, "Keys", theme);
    for c in Component::ALL {
        let bindings = app.keymap.bindings(c);
        if bindings.is_empty() {
            continue;
        }
        out.push(Line::styled(format!(" {}", c.title()), theme.label()));
        for b in bindings {
            let keys: Vec<String> = b.keys.iter().map(|k| k.label(theme.ascii)).collect();
            entry(&mut out, keys.join(" "), theme.key(), b.help, width);
        }
    }

    heading(&mut out, "Views (number keys; [views.NAME] in the config)", theme);
    entry(&mut out, "0".into(), theme.key(), "all monitored queues, the configured columns and sort", width);
    for (i, v) in app.settings.views.iter().enumerate() {
        let queues: Vec<&str> = v.queues.iter().map(|s| s.text.as_str()).collect();
        let mut text =
            format!("{}: {}", v.name, if queues.is_empty() { "all queues".into() } else { queues.join(", ") });
        if let Some(cols) = &v.columns {
            let keys: Vec<&str> = cols.iter().map(|c| crate::text::columns::column(*c).key).collect();
            text.push_str(&format!("; columns {}", keys.join(", ")));
        }
        entry(&mut out, (i + 1).to_string(), theme.key(), &text, width);
    }
    if app.settings.views.is_empty() {
        entry(&mut out, "1-9".into(), theme.label(), "no views configured", width);
    }

    heading(&mut out, "Columns (what each number is, and where it comes from)", theme);
    entry(
        &mut out,
        String::new(),
        theme.label(),
        "Observation metrics (o...) are counts right now, from the queue observations query; \
         aggregate metrics (n..., t...) add up today since midnight in the org's time zone. \
         Waiting is the queue now, not the day's offered total.",
        width,
    );
    for c in COLUMNS {
        entry(&mut out, c.title.to_string(), theme.key(), &format!("{} - {}", c.source, c.meaning), width);
        let rule = app.settings.thresholds.rule(c.id, None);
        if let Some(r) = rule {
            entry(
                &mut out,
                String::new(),
                theme.label(),
                &format!("thresholds: {}", r.describe(c.unit, theme.ascii)),
                width,
            );
        }
        if c.unit == Unit::Duration {
            entry(&mut out, String::new(), theme.label(), "shown as mm:ss (h:mm:ss past an hour)", width);
        }
    }
    if !app.settings.thresholds.queues.is_empty() {
        let sel: Vec<&str> = app.settings.thresholds.queues.iter().map(|(s, _)| s.text.as_str()).collect();
        entry(&mut out, String::new(), theme.label(), &format!("per-queue thresholds for: {}", sel.join(", ")), width);
    }

    heading(&mut out, "Markers", theme);
    let markers = format!("{} / {}", theme.marker(Level::Amber), theme.marker(Level::Red));
    entry(&mut out, markers, theme.key(), "amber / red threshold reached (colour is never the only sign)", width);
    entry(&mut out, theme.unknown().into(), theme.key(), "the API did not report this value (never shown as 0)", width);
    let arrows = format!("{} {}", theme.sort_arrow(true), theme.sort_arrow(false));
    entry(&mut out, arrows, theme.key(), "sort column and direction (s, S)", width);
    entry(
        &mut out,
        "dim, ~12s".into(),
        theme.key(),
        "numbers older than three refresh intervals, with their age; the last good numbers stay",
        width,
    );
    entry(
        &mut out,
        "top line".into(),
        theme.key(),
        "Connecting; Live (data age); Stale; Reconnecting (the next try counts down, attempt n); \
         Rate limited (until Retry-After or room in the budget); Error (a refusal: see the log); \
         Auth failed; FROZEN while f holds the screen",
        width,
    );

    heading(&mut out, "Rate budget", theme);
    let plan = match &app.plan {
        Some(p) => p.note.clone().unwrap_or_else(|| {
            format!(
                "{} requests a minute allowed; live numbers every {}s and totals every {}s, as configured",
                p.allowed,
                p.live_every.as_secs_f64(),
                p.totals_every.as_secs_f64()
            )
        }),
        None => "not planned yet (planned when the queue list is in)".into(),
    };
    entry(
        &mut out,
        "budget n/m".into(),
        theme.key(),
        "requests this token sent in the last minute / the limit (from inin-ratelimit-allowed, else 300). \
         Polling plans for 80% and never takes the last 10%, which stays for the queue list, r and detail \
         views; when the queues need more, today's totals slow down first, then the live numbers.",
        width,
    );
    entry(&mut out, "now".into(), theme.key(), &plan, width);

    heading(&mut out, "Without the TUI", theme);
    for (cmd, what) in [
        ("qtop doctor", "check config, region, sign-in and every call qtop needs; the fix for each refusal"),
        ("qtop explain", "diagnose a pasted error body, status line or forum snippet (corrects folklore)"),
        ("qtop --demo --as", "a simulated org as another identity: no-observations, agent, home-division, ..."),
        ("qtop sim", "the simulated org alone, for curl or a second qtop"),
    ] {
        entry(&mut out, cmd.into(), theme.key(), what, width);
    }
    out
}

/// The screen between the top line and the bar; the help covers all of it.
fn body(area: Rect) -> Rect {
    Rect { y: area.y + 1, height: area.height.saturating_sub(2), ..area }
}

/// The help box: the body's full height, at a readable width.
fn popup(area: Rect) -> Rect {
    let body = body(area);
    body.centered(Constraint::Length(body.width.min(110)), Constraint::Length(body.height))
}

/// Draws the help over `area`; returns how far it can scroll at this size.
pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let popup = popup(area);
    let inner_w = popup.width.saturating_sub(2) as usize;
    let inner_h = popup.height.saturating_sub(2) as usize;
    let all = lines(app, theme, inner_w);
    let max_scroll = all.len().saturating_sub(inner_h);
    let scroll = app.ui.help_scroll.min(max_scroll);
    let last = (scroll + inner_h).min(all.len());
    let block = Block::bordered()
        .border_set(theme.border())
        .title(Span::styled(" help ", theme.title()))
        .title_bottom(Line::from(format!(" lines {}-{} of {} ", scroll + 1, last, all.len())).right_aligned());
    f.render_widget(Clear, body(area));
    f.render_widget(Paragraph::new(all).scroll((scroll as u16, 0)).block(block), popup);
    max_scroll
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(wrap("one two three four", 9), ["one two", "three", "four"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("supercalifragilistic", 5), ["supercalifragilistic"]);
    }
}
