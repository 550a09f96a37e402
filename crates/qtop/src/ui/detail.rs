//! Queue detail (Enter on a queue): the queue's numbers, then its members with routing
//! status, how long they have been in it, and presence.

use std::time::Duration;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::theme::Theme;
use crate::app::{App, MEMBERS_REFRESH, Members, QueueDetail};
use crate::text::columns::column;
use crate::text::format::{clock, fit, span};
use genesys::queries::Member;

/// Display order and words for the routing statuses (the API's spelling first).
const STATUSES: &[(&str, &str)] = &[
    ("INTERACTING", "Interacting"),
    ("COMMUNICATING", "Communicating"),
    ("IDLE", "Idle"),
    ("NOT_RESPONDING", "Not responding"),
    ("OFF_QUEUE", "Off queue"),
];

fn rank(status: Option<&str>) -> usize {
    status.and_then(|s| STATUSES.iter().position(|(k, _)| *k == s)).unwrap_or(STATUSES.len())
}

fn word(status: Option<&str>) -> String {
    match status {
        Some(s) => STATUSES.iter().find(|(k, _)| *k == s).map(|(_, w)| w.to_string()).unwrap_or_else(|| s.to_string()),
        None => "unknown".into(),
    }
}

fn status_style(status: Option<&str>, theme: &Theme) -> Style {
    match status {
        Some("IDLE") => theme.good(),
        Some("NOT_RESPONDING") => theme.bad(),
        Some("OFF_QUEUE") | None => theme.label(),
        _ => Style::new(),
    }
}

/// `10:31:02` in the org's time zone.
fn local(app: &App, t: jiff::Timestamp) -> String {
    t.to_zoned_datetime(app.timezone.clone()).strftime("%H:%M:%S").to_string()
}

/// Members in display order: busy first, then free, then away; by name within a status.
pub fn ordered(members: &[Member]) -> Vec<&Member> {
    let mut v: Vec<&Member> = members.iter().collect();
    v.sort_by(|a, b| {
        rank(a.routing_status.as_deref())
            .cmp(&rank(b.routing_status.as_deref()))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    v
}

/// Draws the queue detail; returns how many member rows its list had room for (`None` while
/// there is no list).
pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme, d: &QueueDetail) -> Option<usize> {
    // The same rows and clock as the table: frozen numbers stay frozen here too.
    let row = app.shown_rows().iter().find(|r| r.info.id == d.queue_id);
    let name = row.map(|r| r.info.name.clone()).unwrap_or_else(|| d.queue_id.clone());
    let [top, numbers, summary, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Length(2), Constraint::Min(1)])
            .areas(area);

    let mut head = vec![Span::styled(format!(" {name}"), theme.title())];
    if let Some(r) = row {
        if let Some(div) = &r.info.division {
            head.push(Span::styled(format!("  division {div}"), theme.label()));
        }
        if let Some((pct, secs)) = r.info.sl_target {
            let within = span(Duration::from_secs(secs));
            head.push(Span::styled(format!("  SL goal {:.0}% in {within}", pct * 100.0), theme.label()));
        }
    }
    f.render_widget(Paragraph::new(Line::from(head)), top);

    if let Some(r) = row {
        let mut spans = vec![Span::raw(" ")];
        for id in app.columns() {
            let c = column(*id);
            let (text, level) = super::value_text(app, r, c, theme);
            spans.push(Span::styled(format!("{} ", c.title), theme.label()));
            spans.push(Span::styled(format!("{text}{}", theme.marker(level)), theme.level(level)));
            spans.push(Span::raw("  "));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), numbers);
    }

    let members = match &d.members {
        Members::Loading => {
            f.render_widget(
                Paragraph::new(Line::styled(format!(" Loading members{}", theme.ellipsis()), theme.warn())),
                summary,
            );
            return None;
        }
        Members::Failed { why, at } => {
            let lines = vec![
                Line::styled(format!("Members could not be loaded: {why}"), theme.bad()),
                Line::styled(
                    format!("at {} - r tries again; the error log has the details", local(app, *at)),
                    theme.label(),
                ),
            ];
            let room = Rect { height: summary.height + list.height, ..summary }.inner(Margin::new(1, 0));
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), room);
            return None;
        }
        Members::Loaded { members, at } => {
            let mut counts = vec![Span::styled(format!(" {} members", members.len()), theme.title())];
            for (key, label) in STATUSES {
                let n = members.iter().filter(|m| m.routing_status.as_deref() == Some(key)).count();
                // "Idle 0" is news (nobody free); other empty statuses only take room.
                if n == 0 && *key != "IDLE" {
                    continue;
                }
                counts.push(Span::raw(format!("  {label} ")));
                counts.push(Span::styled(n.to_string(), status_style(Some(key), theme)));
            }
            let age = span(app.since(*at));
            let fetching = if d.fetching { ", refreshing" } else { "" };
            let every = MEMBERS_REFRESH.as_secs();
            let when =
                format!(" as of {} ({age} ago{fetching}); fetched again every {every}s while open", local(app, *at));
            f.render_widget(Paragraph::new(vec![Line::from(counts), Line::styled(when, theme.label())]), summary);
            members
        }
    };

    let block = Block::new().borders(Borders::TOP).border_set(theme.border());
    let inner = block.inner(list);
    f.render_widget(block, list);
    let name_w = inner.width.saturating_sub(16 + 10 + 14 + 8 + 8).clamp(10, 32);
    let header = Row::new(vec!["Member", "Routing status", "For", "Presence", "Joined"]).style(theme.column_header());
    let ordered = ordered(members);
    let visible = inner.height.saturating_sub(1) as usize;
    let scroll = d.scroll.min(ordered.len().saturating_sub(visible));
    let rows = ordered.iter().skip(scroll).take(visible).map(|m| {
        let status = m.routing_status.as_deref();
        let marker = if status == Some("NOT_RESPONDING") { " !" } else { "" };
        let since = m
            .status_since
            .map(|t| clock(Duration::try_from(app.now.duration_since(t)).unwrap_or_default()))
            .unwrap_or_else(|| theme.unknown().to_string());
        let joined = match m.joined {
            Some(true) => "yes",
            Some(false) => "no",
            None => theme.unknown(),
        };
        Row::new(vec![
            Cell::from(fit(&m.name, name_w as usize, theme.ascii)),
            Cell::from(Span::styled(format!("{}{marker}", word(status)), status_style(status, theme))),
            Cell::from(Line::from(since).right_aligned()),
            Cell::from(m.presence.clone().unwrap_or_else(|| theme.unknown().to_string())),
            Cell::from(joined.to_string()),
        ])
        .style(if status == Some("OFF_QUEUE") {
            Style::new().add_modifier(Modifier::DIM)
        } else {
            Style::new()
        })
    });
    let widths = [
        Constraint::Length(name_w),
        Constraint::Length(16),
        Constraint::Length(8),
        Constraint::Length(14),
        Constraint::Length(6),
        Constraint::Fill(1),
    ];
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(2), inner);
    Some(visible)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(name: &str, status: Option<&str>) -> Member {
        Member {
            id: name.into(),
            name: name.into(),
            routing_status: status.map(String::from),
            status_since: None,
            presence: None,
            joined: Some(true),
        }
    }

    #[test]
    fn busy_members_come_first_then_idle_then_away() {
        let all =
            vec![m("Zoe", Some("OFF_QUEUE")), m("Ava", Some("IDLE")), m("Ben", Some("INTERACTING")), m("Cat", None)];
        let names: Vec<&str> = ordered(&all).iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Ben", "Ava", "Zoe", "Cat"]);
    }
}
