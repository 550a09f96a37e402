//! The status line: org, token, health, budget. Always visible; it drops words, then the
//! least important parts, to fit narrow terminals.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::{App, Health};
use crate::event::LiveSource;
use crate::text::format::{fit, span};
use genesys::auth::AuthPhase;

struct Part {
    spans: Vec<Span<'static>>,
    /// Shorter forms for narrow terminals (the status: `Reconnecting – retrying in 8s
    /// (attempt 4)`, then `Reconnecting in 8s #4`).
    medium: Option<Vec<Span<'static>>>,
    compact: Option<Vec<Span<'static>>>,
    /// Label words that can go when space is short.
    label: Option<Span<'static>>,
    /// Lower goes first.
    keep: u8,
}

impl Part {
    fn new(spans: Vec<Span<'static>>, keep: u8) -> Part {
        Part { spans, medium: None, compact: None, label: None, keep }
    }

    fn labelled(mut self, label: Span<'static>) -> Part {
        self.label = Some(label);
        self
    }
}

fn parts(app: &App, theme: &Theme) -> Vec<Part> {
    let mut out = vec![Part::new(vec![Span::styled("qtop", theme.title())], 9)];
    out.push(org(app, theme));

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
    out.push(Part::new(token, 6));

    if let Some(f) = &app.ui.frozen {
        out.push(Part::new(frozen(app, f.at, theme), 10));
    }
    // Frozen or not, the status says how the data underneath is doing.
    let health = app.live_health();
    out.push(Part {
        spans: status(app, &health, theme, Detail::Full),
        medium: Some(status(app, &health, theme, Detail::Medium)),
        compact: Some(status(app, &health, theme, Detail::Compact)),
        label: None,
        keep: 8,
    });

    // Queues asked for that the token cannot see (divisions): counted at every size, since the
    // table cannot show what is missing from it.
    if !app.unmatched.is_empty() {
        out.push(Part::new(vec![Span::styled(format!("{} hidden", app.unmatched.len()), theme.warn())], 9));
    }

    // Polling is the ordinary case and goes unsaid; a stream says so, and says when it is
    // reconnecting (the numbers may lag until it is back).
    match app.live_source {
        Some(s @ LiveSource::Stream) => out.push(Part::new(vec![Span::styled(s.label(), theme.label())], 5)),
        Some(s @ LiveSource::StreamReconnecting) => out.push(Part::new(vec![Span::styled(s.label(), theme.warn())], 7)),
        _ => {}
    }

    let used = app.budget.map(|b| (b.used, b.allowed)).or(app.rate.map(|r| (r.count, r.allowed)));
    if let Some((used, allowed)) = used {
        // Near the limit is worth a glance; polling never takes the last tenth.
        let style = if used * 10 >= allowed * 9 { theme.warn() } else { ratatui::style::Style::new() };
        out.push(
            Part::new(vec![Span::styled(format!("{used}/{allowed}"), style)], 4)
                .labelled(Span::styled("budget ", theme.label())),
        );
    }
    if let Some(short) = app.plan.as_ref().and_then(|p| p.short.clone()) {
        out.push(Part::new(vec![Span::styled(format!("{short} (budget)"), theme.warn())], 3));
    }
    out
}

/// The fullest form of the status that fits in `room` columns (the wall's top line).
pub fn health_within(app: &App, theme: &Theme, room: usize) -> Vec<Span<'static>> {
    let health = app.live_health();
    let width = |spans: &[Span]| spans.iter().map(Span::width).sum::<usize>();
    for detail in [Detail::Full, Detail::Medium] {
        let spans = status(app, &health, theme, detail);
        if width(&spans) <= room {
            return spans;
        }
    }
    status(app, &health, theme, Detail::Compact)
}

/// `in 8s`, or `now` once the moment has come (the retry is on its way).
pub(super) fn countdown(app: &App, at: jiff::Timestamp) -> String {
    let left = at.duration_since(app.now);
    if left.is_positive() {
        // Round up: "in 0s" would read as a promise already broken.
        let secs = (left.as_millis() as u64).div_ceil(1000);
        format!("in {}", span(std::time::Duration::from_secs(secs)))
    } else {
        "now".into()
    }
}

/// Parts below this go before the status is shortened to its compact form.
const KEEP_OVER_COMPACT_STATUS: u8 = 5;

/// How much a status says: everything, the next try without the cause, or a few characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Full,
    Medium,
    Compact,
}

fn status(app: &App, health: &Health, theme: &Theme, detail: Detail) -> Vec<Span<'static>> {
    let dot = theme.dot();
    let fresh = app.freshness();
    // The oldest watched queue's age: "Live 1s" promises every row is at most that old.
    let age = fresh.oldest.filter(|_| fresh.observed > 0).map(span).unwrap_or_default();
    let dash = if theme.ascii { "-" } else { "–" };
    let pick = |full: String, medium: String, compact: String| match detail {
        Detail::Full => full,
        Detail::Medium => medium,
        Detail::Compact => compact,
    };
    // Said only once the numbers are past the stale line: before that they are current.
    let old = if age.is_empty() || fresh.all_fresh() { String::new() } else { format!(", numbers {age} old") };
    let word = health.word();
    let (style, rest) = match health {
        Health::Connecting => (theme.warn(), String::new()),
        Health::Live | Health::Frozen => (theme.good(), if age.is_empty() { String::new() } else { format!(" {age}") }),
        Health::Stale { stale, of } => {
            let full = if stale == of {
                format!(" {dash} numbers {age} old")
            } else {
                format!(" {dash} {stale} of {of} queues, oldest {age}")
            };
            let medium = if stale == of { format!(" {age}") } else { format!(" {stale}/{of} {age}") };
            (theme.warn(), pick(full, medium, format!(" {age}")))
        }
        Health::Retrying { next, attempt, problem } => {
            let when = countdown(app, *next);
            let why = if problem.detail.is_empty() { String::new() } else { format!(": {}", problem.detail) };
            // qtop's own task is started again; anything else is asked again.
            let verb = if problem.cause == crate::diagnose::Cause::Internal { "restarting" } else { "retrying" };
            (
                theme.bad(),
                pick(
                    format!("{why} {dash} {verb} {when} (attempt {attempt}){old}"),
                    format!(" {dash} {verb} {when} (attempt {attempt})"),
                    format!(" {when} #{attempt}"),
                ),
            )
        }
        Health::RateLimited { until } => {
            let when = countdown(app, *until);
            (
                theme.bad(),
                pick(format!(" {dash} resuming {when}{old}"), format!(" {dash} resuming {when}"), format!(" {when}")),
            )
        }
        Health::Failing(problem) => {
            let why = if problem.detail.is_empty() { String::new() } else { format!(": {}", problem.detail) };
            let aged = if old.is_empty() { String::new() } else { format!(" {dash} numbers {age} old") };
            (theme.bad(), pick(format!("{why}{aged}"), why.clone(), String::new()))
        }
        Health::NoQueues(why) => (theme.warn(), pick(format!(": {why}"), format!(": {why}"), String::new())),
    };
    vec![Span::styled(format!("{dot} {word}"), style), Span::styled(rest, theme.label())]
}

fn build(parts: &[&Part], theme: &Theme, labels: bool, detail: Detail) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(format!(" {} ", theme.sep()), theme.dim()));
        }
        if labels && let Some(l) = &p.label {
            spans.push(l.clone());
        }
        let form = match detail {
            Detail::Full => None,
            Detail::Medium => p.medium.as_ref(),
            Detail::Compact => p.compact.as_ref().or(p.medium.as_ref()),
        };
        spans.extend(form.unwrap_or(&p.spans).iter().cloned());
    }
    Line::from(spans)
}

fn weakest(parts: &[&Part]) -> Option<(usize, u8)> {
    parts.iter().enumerate().min_by_key(|(_, p)| p.keep).map(|(i, p)| (i, p.keep))
}

/// Fit the header: drop label words, then the budget (it goes before the status loses the
/// words of its countdown), then shorten the status to its compact form, then drop the least
/// important parts.
pub fn line(app: &App, theme: &Theme, width: u16) -> Line<'static> {
    let fits = |l: &Line| l.width() <= width as usize;
    let all = parts(app, theme);
    let every: Vec<&Part> = all.iter().collect();
    // At each level of detail: with labels, without, then without the least important parts
    // (the budget, the plan): a failure's words matter more than the budget's count.
    for detail in [Detail::Full, Detail::Medium] {
        for labels in [true, false] {
            let l = build(&every, theme, labels, detail);
            if fits(&l) {
                return l;
            }
        }
        let mut parts = every.clone();
        while let Some((i, keep)) = weakest(&parts)
            && keep < KEEP_OVER_COMPACT_STATUS
        {
            parts.remove(i);
            let l = build(&parts, theme, false, detail);
            if fits(&l) {
                return l;
            }
        }
    }
    let mut parts = every;
    let labelled = build(&parts, theme, true, Detail::Compact);
    if fits(&labelled) {
        return labelled;
    }
    loop {
        let compact = build(&parts, theme, false, Detail::Compact);
        if fits(&compact) || parts.len() <= 2 {
            return compact;
        }
        let (i, _) = weakest(&parts).expect("non-empty");
        parts.remove(i);
    }
}

/// The org by name once the token says it, with the region it lives in; narrower forms keep
/// the name, since that is what a supervisor watching two orgs tells them apart by.
fn org(app: &App, theme: &Theme) -> Part {
    let label = Span::styled("org ", theme.label());
    match app.org_name() {
        Some(name) => {
            let name = fit(name, 24, theme.ascii);
            Part {
                spans: vec![Span::raw(name.clone()), Span::styled(format!(", {}", app.org_label), theme.label())],
                medium: Some(vec![Span::raw(name.clone())]),
                compact: Some(vec![Span::raw(fit(&name, 14, theme.ascii))]),
                label: Some(label),
                keep: 5,
            }
        }
        None => Part::new(vec![Span::raw(app.org_label.clone())], 5).labelled(label),
    }
}

/// `FROZEN 12s`, reversed so it stands out without colour too.
fn frozen(app: &App, at: jiff::Timestamp, theme: &Theme) -> Vec<Span<'static>> {
    vec![
        Span::styled(" FROZEN ", theme.warn().add_modifier(Modifier::REVERSED | Modifier::BOLD)),
        Span::styled(format!(" {} (f resumes)", span(app.since(at))), theme.label()),
    ]
}
