//! The token pane (who the token is, its grant and scopes, roles, expiry and renewal, JWT
//! claims; and for each call qtop makes, ✓/✗/? for permission and scope) and the sign-in prompt
//! shown while the authorization-code flow waits for the user.

use std::time::Duration;

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table};

use super::theme::Theme;
use crate::app::App;
use crate::text::format::{fit, span, wrap};
use genesys::auth::{AuthPhase, Grant, SessionKind, SignInPrompt, TokenFacts, TokenSource};
use genesys::pkce::masked;
use genesys::token::{Check, Principal, TokenReport};

/// Below this the pane says too little to be worth the rows.
const MIN_ROWS: u16 = 4;
/// The queue table keeps at least this many rows.
const TABLE_MIN: u16 = 7;
/// From this width the facts and the calls sit side by side.
const SIDE_BY_SIDE: u16 = 150;
const LABEL: usize = 9;

fn needs_rows(app: &App) -> u16 {
    if app.token.needs.is_empty() { 1 } else { app.token.needs.len() as u16 + 1 }
}

/// Rows to give the pane: everything when the queue table can spare them, else the facts and
/// a one-line summary of the calls, else nothing.
pub fn height(app: &App, total: u16, taken: u16) -> u16 {
    if !app.token_pane.visible(total) {
        return 0;
    }
    let facts = fact_lines(app, &Theme::new(false, false), usize::MAX).len() as u16;
    let full = 1 + facts + needs_rows(app);
    let table_wants = (app.queues.len() as u16 + 1).max(TABLE_MIN);
    let free = total.saturating_sub(taken);
    let rows = if free >= full + table_wants { full } else { (facts + 2).min(free.saturating_sub(TABLE_MIN)) };
    if rows < MIN_ROWS { 0 } else { rows }
}

/// `10:31:00 UTC`, with the date when it is not today.
fn time(app: &App, t: Timestamp) -> String {
    let at = t.to_zoned_datetime(app.timezone.clone());
    let today = app.now.to_zoned_datetime(app.timezone.clone()).date();
    let format = if at.date() == today { "%H:%M:%S %Z" } else { "%Y-%m-%d %H:%M:%S %Z" };
    at.strftime(format).to_string()
}

fn left(app: &App, t: Timestamp) -> Option<Duration> {
    Duration::try_from(t.duration_since(app.now)).ok()
}

fn row(label: &str, spans: Vec<Span<'static>>, theme: &Theme) -> Line<'static> {
    let mut out = vec![Span::styled(format!(" {label:<LABEL$}"), theme.label())];
    out.extend(spans);
    Line::from(out)
}

fn plain(s: impl Into<String>) -> Vec<Span<'static>> {
    vec![Span::raw(s.into())]
}

fn who(app: &App, report: Option<&TokenReport>) -> String {
    let Some(r) = report else {
        return match app.grant {
            Grant::Provided => "a provided token (asking the API who it is…)".into(),
            _ => "asking the API…".into(),
        };
    };
    match (r.principal(), &r.user) {
        (Principal::User, Some(Ok(u))) => {
            let name = u.name.clone().unwrap_or_else(|| "(no name)".into());
            match &u.email {
                Some(e) => format!("{name} <{e}>"),
                None => name,
            }
        }
        (Principal::User, Some(Err(e))) => format!("a user (users/me: {})", e.summary()),
        (Principal::Client, _) => {
            let name = r.info.as_ref().ok().and_then(|i| i.oauth_client.as_ref()).and_then(|c| c.name.clone());
            format!("OAuth client {}", name.unwrap_or_else(|| "(unnamed)".into()))
        }
        _ => "unknown: the API did not say".into(),
    }
}

fn expiry(app: &App, facts: &TokenFacts, theme: &Theme) -> Vec<Span<'static>> {
    let Some(exp) = facts.expires_at else {
        let why = if facts.grant == Grant::Provided {
            "unknown (an opaque token says nothing about its lifetime)"
        } else {
            "unknown"
        };
        return vec![Span::styled(why.to_string(), theme.warn())];
    };
    match left(app, exp) {
        None => vec![Span::styled(format!("{} · expired", time(app, exp)), theme.bad())],
        Some(d) => {
            let style = match d.as_secs() {
                0..120 => theme.bad(),
                120..600 => theme.warn(),
                _ => Style::new(),
            };
            vec![Span::raw(format!("{} · ", time(app, exp))), Span::styled(format!("in {}", span(d)), style)]
        }
    }
}

/// What kind of session this is, and for the kinds that end, when.
fn session(app: &App, facts: &TokenFacts) -> Vec<Span<'static>> {
    let kind = app.auth.kind;
    let mut text = kind.to_string();
    if !kind.renews_alone()
        && let Some(end) = facts.expires_at
    {
        text.push_str(&format!(" · ends {}", time(app, end)));
    }
    plain(text)
}

fn renewal(app: &App, facts: &TokenFacts, theme: &Theme) -> Vec<Span<'static>> {
    let r = &app.auth.renewal;
    if let AuthPhase::Expired(fix) = &app.auth.phase {
        return vec![Span::styled(format!("ended: {fix}; nothing is sent until then"), theme.bad())];
    }
    match app.auth.kind {
        SessionKind::Provided => {
            let how = match &facts.source {
                TokenSource::File(p) => format!(
                    "none: qtop cannot renew a provided token; write a new one to {} (read again when it changes)",
                    p.display()
                ),
                _ => "none: a provided token cannot be renewed; give qtop a new one before it expires".into(),
            };
            return vec![Span::styled(how, theme.warn())];
        }
        SessionKind::PublicCode if matches!(app.auth.phase, AuthPhase::AwaitingUser(_)) => {
            let until = facts.expires_at.map(|e| format!(" before {}", time(app, e))).unwrap_or_default();
            return vec![Span::styled(format!("sign-in prompt open: sign in again{until}"), theme.warn())];
        }
        _ => {}
    }
    let how = match (app.auth.kind, &facts.refresh_fingerprint) {
        (SessionKind::PublicCode, _) => "no refresh (a public client): sign in again".into(),
        (SessionKind::ConfidentialCode, Some(fp)) => format!("refresh token {fp}"),
        (SessionKind::ConfidentialCode, None) => "no refresh token: sign in again".into(),
        _ => "ask again with the client secret".into(),
    };
    let mut out = vec![];
    if r.in_progress {
        out.push(Span::styled("renewing… ".to_string(), theme.warn()));
    }
    if let Some((at, why)) = &r.last_failure {
        out.push(Span::styled(format!("failed {}: {why}", time(app, *at)), theme.bad()));
        return out;
    }
    match &r.last_ok {
        Some((at, source)) if app.auth.sign_ins > 1 => {
            out.push(Span::raw(format!("{source} {} · ", time(app, *at))));
        }
        _ => {}
    }
    out.push(Span::raw(how));
    if let Some(at) = facts.renew_at {
        let when = if app.auth.kind == SessionKind::PublicCode { "asks" } else { "renews" };
        match left(app, at) {
            Some(d) => out.push(Span::raw(format!(" · {when} in {}", span(d)))),
            None if app.auth.kind == SessionKind::PublicCode => out.push(Span::raw(" · asking".to_string())),
            None => out.push(Span::raw(" · renewal due".to_string())),
        }
    }
    out
}

fn fact_lines(app: &App, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let report = app.token.report.as_deref();
    let mut lines = vec![row("who", plain(who(app, report)), theme)];
    if let Some(Ok(info)) = report.map(|r| &r.info) {
        let org = info.organization.as_ref().and_then(|o| o.name.clone()).unwrap_or_else(|| "(unnamed)".into());
        lines.push(row("org", plain(org), theme));
    }
    let Some(facts) = &app.auth.token else {
        lines.push(row("token", plain("none yet"), theme));
        return lines;
    };
    lines.push(row("grant", plain(format!("{} · {} · {}", facts.grant, facts.fingerprint, facts.source)), theme));
    lines.push(row("session", session(app, facts), theme));
    lines.push(row("expires", expiry(app, facts, theme), theme));
    lines.push(row("renewal", renewal(app, facts, theme), theme));
    let scopes = match (report.map(TokenReport::principal), report.map(|r| &r.info)) {
        (Some(Principal::Client), _) => {
            vec![Span::styled("do not limit client credentials: the client's roles do".to_string(), theme.label())]
        }
        (_, Some(Ok(info))) if info.authorized_scope.is_empty() => plain("(none listed)"),
        (_, Some(Ok(info))) => plain(info.authorized_scope.join(" ")),
        (_, Some(Err(e))) => vec![Span::styled(format!("unknown: {}", e.summary()), theme.warn())],
        _ => plain("…"),
    };
    lines.push(row("scopes", scopes, theme));
    let roles = match (&app.token.roles, report) {
        (Some(r), _) if r.is_empty() => plain("none"),
        (Some(r), _) => plain(r.join(", ")),
        (None, Some(rep)) => {
            let why = rep.subject.as_ref().err().map(|e| e.summary()).unwrap_or_default();
            vec![Span::styled(format!("cannot be read: {why}"), theme.warn())]
        }
        (None, None) => plain("…"),
    };
    lines.push(row("roles", roles, theme));
    if let Some(rep) = report {
        let client = rep.info.as_ref().ok().and_then(|i| i.oauth_client.as_ref());
        let text = match (rep.principal(), client, &rep.client) {
            (Principal::Client, Some(c), Some(Err(e))) => {
                let why = [e.status().map(|s| s.to_string()), e.code().map(str::to_string)];
                let why: Vec<String> = why.into_iter().flatten().collect();
                format!("{} · details refused: {}", c.id.clone().unwrap_or_default(), why.join(" "))
            }
            (_, Some(c), _) => {
                format!("{} · {}", c.name.clone().unwrap_or_default(), c.id.clone().unwrap_or_default())
            }
            _ => "—".into(),
        };
        lines.push(row("client", plain(text), theme));
    }
    if facts.jwt.is_empty() {
        lines.push(row("jwt", plain("no: an opaque token (ask tokens/me, not the token)"), theme));
    }
    for j in &facts.jwt {
        let claims: Vec<String> = j.claims.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let verified = if j.verified { "verified" } else { "unverified" };
        lines.push(row("jwt", plain(format!("{} {} ({verified}): {}", j.which, j.alg, claims.join(" "))), theme));
    }
    if let Some(p) = &app.auth.cache_problem {
        lines.push(row("cache", vec![Span::styled(p.clone(), theme.warn())], theme));
    }
    // Cut each line to the column so nothing wraps into the next row.
    lines
        .into_iter()
        .map(|l| {
            let mut used = 0usize;
            let spans = l
                .spans
                .into_iter()
                .filter_map(|s| {
                    let room = width.saturating_sub(used);
                    if room == 0 {
                        return None;
                    }
                    let text = fit(&s.content, room, theme.ascii);
                    used += text.chars().count();
                    Some(Span::styled(text, s.style))
                })
                .collect::<Vec<_>>();
            Line::from(spans)
        })
        .collect()
}

fn mark(check: &Check, theme: &Theme, width: u16) -> Cell<'static> {
    let (glyph, ascii, style, note) = match check {
        Check::Yes(n) => ("✓", "+", theme.good(), n.clone().unwrap_or_default()),
        Check::No(n) => ("✗", "x", theme.bad(), n.clone()),
        Check::Unknown(n) => ("?", "?", theme.warn(), n.clone()),
        Check::NotApplicable(n) => ("–", "-", theme.dim(), n.clone()),
    };
    let glyph = if theme.ascii { ascii } else { glyph };
    let note = fit(&note, (width as usize).saturating_sub(2), theme.ascii);
    Cell::from(Line::from(vec![Span::styled(glyph.to_string(), style), Span::raw(format!(" {note}"))]))
}

fn needs_table(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    // Line up with the facts' labels.
    let area = Rect { x: area.x + 1, width: area.width.saturating_sub(1), ..area };
    if app.token.needs.is_empty() {
        let msg = if app.auth.token.is_some() { " asking the API what this token can do…" } else { "" };
        f.render_widget(Paragraph::new(msg), area);
        return;
    }
    let note = |c: &Check| match c {
        Check::Yes(n) => n.as_ref().map_or(0, |n| n.chars().count()),
        Check::No(n) | Check::Unknown(n) | Check::NotApplicable(n) => n.chars().count(),
    } as u16
        + 2;
    let perm_w = app.token.needs.iter().map(|n| note(&n.permission)).max().unwrap_or(3).clamp(10, 44);
    let scope_w = app.token.needs.iter().map(|n| note(&n.scope)).max().unwrap_or(3).clamp(5, 40);
    let label_w = app.token.needs.iter().map(|n| n.label.chars().count() as u16).max().unwrap_or(10);
    // Labels keep at least 24 columns; the notes share what is left.
    let room = area.width.saturating_sub(label_w.min(24) + 2);
    let (perm_w, scope_w) = if perm_w + scope_w <= room {
        (perm_w, scope_w)
    } else {
        let p = (room * perm_w / (perm_w + scope_w)).max(3);
        (p, room.saturating_sub(p).max(3))
    };
    let label_w = area.width.saturating_sub(perm_w + scope_w + 2).min(label_w + 1);
    let note_w = (perm_w, scope_w);
    let header = Row::new(vec![Cell::from("qtop calls"), Cell::from("permission"), Cell::from("scope")])
        .style(theme.column_header());
    let rows = app.token.needs.iter().map(|n| {
        Row::new(vec![
            Cell::from(fit(&n.label, label_w as usize, theme.ascii)),
            mark(&n.permission, theme, note_w.0),
            mark(&n.scope, theme, note_w.1),
        ])
    });
    let widths = [Constraint::Length(label_w), Constraint::Length(note_w.0), Constraint::Length(note_w.1)];
    f.render_widget(Table::new(rows, widths).header(header).column_spacing(1), area);
}

/// One line for the calls when there is no room for the list: how many pass, the first refusal.
fn needs_summary(app: &App, theme: &Theme, width: usize) -> Line<'static> {
    let needs = &app.token.needs;
    if needs.is_empty() {
        return row("calls", plain("asking the API what this token can do…"), theme);
    }
    let bad = |c: &Check| matches!(c, Check::No(_));
    let unknown = |c: &Check| matches!(c, Check::Unknown(_));
    let ok = needs.iter().filter(|n| !bad(&n.permission) && !bad(&n.scope) && !unknown(&n.permission)).count();
    let (yes, no, q) = if theme.ascii { ("+", "x", "?") } else { ("✓", "✗", "?") };
    let mut spans = vec![Span::styled(format!("{yes} {ok} of {}", needs.len()), theme.good())];
    if let Some(n) = needs.iter().find(|n| bad(&n.permission) || bad(&n.scope)) {
        let why = match (&n.permission, &n.scope) {
            (Check::No(w), _) | (_, Check::No(w)) => w.clone(),
            _ => String::new(),
        };
        spans.push(Span::styled(format!(" · {no} {}: {why}", n.label), theme.bad()));
    }
    let unknowns = needs.iter().filter(|n| unknown(&n.permission) || unknown(&n.scope)).count();
    if unknowns > 0 {
        spans.push(Span::styled(format!(" · {q} {unknowns} unknown"), theme.warn()));
    }
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    let style = spans.last().map(|s| s.style).unwrap_or_default();
    let room = width.saturating_sub(LABEL + 1);
    if text.chars().count() > room {
        return row("calls", vec![Span::styled(fit(&text, room, theme.ascii), style)], theme);
    }
    row("calls", spans, theme)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let block = Block::new()
        .borders(Borders::TOP)
        .border_set(theme.border())
        .title(Span::styled(" Token ", theme.title()))
        .title(Span::styled(" t hides ", theme.dim()).into_right_aligned_line());
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.width >= SIDE_BY_SIDE {
        let [facts, needs] = Layout::horizontal([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(inner);
        f.render_widget(Paragraph::new(fact_lines(app, theme, facts.width as usize)), facts);
        needs_table(f, needs, app, theme);
        return;
    }
    let mut lines = fact_lines(app, theme, inner.width as usize);
    let fact_rows = lines.len() as u16;
    if inner.height >= fact_rows + needs_rows(app) {
        let [facts, needs] = Layout::vertical([Constraint::Length(fact_rows), Constraint::Min(1)]).areas(inner);
        f.render_widget(Paragraph::new(lines), facts);
        needs_table(f, needs, app, theme);
        return;
    }
    lines.truncate(inner.height.saturating_sub(1) as usize);
    lines.push(needs_summary(app, theme, inner.width as usize));
    f.render_widget(Paragraph::new(lines), inner);
}

/// The sign-in prompt over the screen while the browser or a paste is awaited.
pub fn draw_prompt(f: &mut Frame, area: Rect, app: &App, p: &SignInPrompt, theme: &Theme) {
    let width = area.width.saturating_sub(4).min(110);
    let inner_w = width.saturating_sub(2) as usize;
    let mut lines = vec![Line::styled("Open this address in a browser and sign in:", theme.title())];
    // An address has no spaces: wrap cuts it into full lines.
    lines.extend(wrap(&p.authorize_url, inner_w).into_iter().map(Line::raw));
    lines.push(Line::raw(""));
    lines.push(match &p.browser_problem {
        None => Line::raw("A browser was opened on this machine."),
        Some(why) => Line::styled(format!("No browser was opened: {why}."), theme.label()),
    });
    if let Some(uri) = &p.listening {
        lines.push(Line::raw(format!("Waiting for the browser to return to {uri} …")));
    }
    if p.accepts_paste {
        lines.push(Line::raw("Or paste the address the browser ends on (it may not load), or its code:"));
        let shown = masked(app.token_pane.paste.text(), theme.ascii);
        lines.push(Line::from(vec![
            Span::styled("> ", theme.key()),
            Span::raw(fit(&shown, inner_w.saturating_sub(3), theme.ascii)),
            Span::styled("_", theme.dim()),
        ]));
    }
    if let Some(problem) = &p.paste_problem {
        lines.push(Line::styled(fit(problem, inner_w, theme.ascii), theme.bad()));
    }
    if app.token_pane.copied {
        lines.push(Line::styled(
            "Copied to your clipboard (terminals without OSC 52 ignore it: then select the address).",
            theme.label(),
        ));
    }
    let keys = if p.accepts_paste {
        "Enter sign in   Ctrl-Y copy address   Esc cancel"
    } else {
        "Ctrl-Y copy address   Esc cancel"
    };
    lines.push(Line::styled(keys, theme.dim()));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    f.render_widget(Clear, popup);
    let block = Block::bordered().border_set(theme.border()).title(" Sign in ");
    f.render_widget(Paragraph::new(lines).block(block), popup);
}
