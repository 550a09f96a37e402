//! Small text formatters shared by the panes.

use std::time::Duration;

/// `03:41`, or `1:02:03` past an hour.
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{:02}:{:02}", s / 60, s % 60)
    }
}

/// `45s`, `12m05s`, `3h20m`, `2d04h`.
pub fn span(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, s / 60 % 60),
        _ => format!("{}d{:02}h", s / 86400, s / 3600 % 24),
    }
}

pub fn count(n: Option<u32>, unknown: &str) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| unknown.to_string())
}

/// Cut to `width` characters, marking the cut.
pub fn fit(s: &str, width: usize, ascii: bool) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let keep = width.saturating_sub(1);
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(if ascii { "~" } else { "…" });
    out
}

/// Greedy word wrap to `width` columns; words longer than a line are split.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = vec![];
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ') {
            let mut word = word.to_string();
            while word.chars().count() > width {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            }
            let needed =
                if line.is_empty() { word.chars().count() } else { line.chars().count() + 1 + word.chars().count() };
            if needed > width && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(clock(Duration::from_secs(221)), "03:41");
        assert_eq!(clock(Duration::from_secs(3723)), "1:02:03");
        assert_eq!(span(Duration::from_secs(59)), "59s");
        assert_eq!(span(Duration::from_secs(725)), "12m05s");
        assert_eq!(span(Duration::from_secs(86399)), "23h59m");
        assert_eq!(count(None, "–"), "–");
        assert_eq!(fit("Customer Care", 8, false), "Custome…");
        assert_eq!(fit("abc", 8, true), "abc");
    }

    #[test]
    fn wraps_on_words_and_splits_long_ones() {
        assert_eq!(
            wrap("add a role with analytics:queueObservation:view to it", 20),
            ["add a role with", "analytics:queueObser", "vation:view to it"]
        );
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
    }
}
