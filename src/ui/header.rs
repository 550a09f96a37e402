//! The status line: org, token, health, budget. Always visible; it drops words, then the
//! least important parts, to fit narrow terminals.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::format::span;
use super::theme::Theme;
use crate::app::{App, Health};
use crate::genesys::auth::AuthPhase;

struct Part {
    spans: Vec<Span<'static>>,
    /// Label words that can go when space is short.
    label: Option<Span<'static>>,
    /// Lower goes first.
    keep: u8,
}

fn parts(app: &App, theme: &Theme) -> Vec<Part> {
    let mut out = vec![Part { spans: vec![Span::styled("qtop", theme.title())], label: None, keep: 9 }];
    out.push(Part {
        spans: vec![Span::raw(app.org_label.clone())],
        label: Some(Span::styled("org ", theme.label())),
        keep: 5,
    });

    let mut token = vec![Span::raw(app.grant.as_str())];
    match (&app.auth.phase, app.token_left()) {
        (AuthPhase::SigningIn, _) => token.push(Span::styled(format!(" signing in{}", theme.ellipsis()), theme.warn())),
        (_, Some(left)) if left.is_negative() => token.push(Span::styled(" expired", theme.bad())),
        (_, Some(left)) => {
            let left = std::time::Duration::try_from(left).unwrap_or_default();
            let style = match left.as_secs() {
                0..120 => theme.bad(),
                120..600 => theme.warn(),
                _ => theme.label(),
            };
            token.push(Span::styled(format!(" exp {}", span(left)), style));
        }
        _ => {}
    }
    out.push(Part { spans: token, label: None, keep: 6 });

    if let Some(f) = &app.ui.frozen {
        out.push(Part { spans: frozen(app, f.at, theme), label: None, keep: 10 });
    }
    out.push(Part { spans: health(app, theme), label: None, keep: 8 });

    if let Some(rate) = app.rate {
        out.push(Part {
            spans: vec![Span::raw(format!("{}/{}", rate.count, rate.allowed))],
            label: Some(Span::styled("budget ", theme.label())),
            keep: 4,
        });
    }
    out
}

/// `● Live 2s`: the status word (never colour alone) and the age of the data.
pub fn health(app: &App, theme: &Theme) -> Vec<Span<'static>> {
    let (word, style) = match app.health() {
        Health::Connecting => ("Connecting", theme.warn()),
        Health::Live => ("Live", theme.good()),
        Health::Stale => ("Stale", theme.warn()),
        Health::AuthFailed(_) => ("Auth failed", theme.bad()),
        Health::Failing(_) => ("Error", theme.bad()),
    };
    let mut out = vec![Span::styled(format!("{} {word}", theme.dot()), style)];
    if let Some(t) = app.last_update {
        out.push(Span::styled(format!(" {}", span(app.since(t))), theme.label()));
    }
    out
}

/// `FROZEN 12s`, reversed so it stands out without colour too.
fn frozen(app: &App, at: jiff::Timestamp, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(" FROZEN ", theme.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        Span::styled(format!(" {} (f resumes)", span(app.since(at))), theme.label()),
    ]
}

fn build(parts: &[Part], theme: &Theme, labels: bool) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(format!(" {} ", theme.sep()), theme.dim()));
        }
        if labels && let Some(l) = &p.label {
            spans.push(l.clone());
        }
        spans.extend(p.spans.iter().cloned());
    }
    Line::from(spans)
}

pub fn line(app: &App, theme: &Theme, width: u16) -> Line<'static> {
    let mut parts = parts(app, theme);
    let full = build(&parts, theme, true);
    if full.width() <= width as usize {
        return full;
    }
    loop {
        let compact = build(&parts, theme, false);
        if compact.width() <= width as usize || parts.len() <= 2 {
            return compact;
        }
        let weakest = parts.iter().enumerate().min_by_key(|(_, p)| p.keep).map(|(i, _)| i).expect("non-empty");
        parts.remove(weakest);
    }
}
