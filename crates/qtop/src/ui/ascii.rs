//! The ASCII promise, kept in one place: after a frame is drawn for an ASCII terminal, any
//! symbol that slipped through (a glyph in a message, a name from the API) is replaced by
//! its nearest ASCII look-alike, or `?`. Panes still pick ASCII forms themselves where a
//! better one exists ("..." for "…"); this catches the rest.

use ratatui::buffer::Buffer;

/// The ASCII stand-in for one symbol.
pub fn fold(symbol: &str) -> &str {
    if symbol.is_ascii() {
        return symbol;
    }
    match symbol {
        "·" | "•" | "…" => ".",
        "—" | "–" | "─" | "━" | "═" => "-",
        "│" | "┃" | "║" => "|",
        "┌" | "┐" | "└" | "┘" | "├" | "┤" | "┬" | "┴" | "┼" | "╭" | "╮" | "╰" | "╯" => "+",
        "✓" | "✔" => "+",
        "✗" | "✘" | "×" => "x",
        "▲" | "↑" => "^",
        "▼" | "↓" => "v",
        "→" | "↳" | "›" => ">",
        "←" | "‹" => "<",
        "●" | "█" | "▉" | "▊" | "▋" | "▌" | "▍" | "▎" | "▏" => "#",
        "≥" => ">",
        "≤" => "<",
        _ => "?",
    }
}

/// The same promise for text printed without a frame (`qtop doctor --ascii`).
pub fn fold_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        out.push_str(fold(c.encode_utf8(&mut buf)));
    }
    out
}

pub fn sanitize(buf: &mut Buffer) {
    for cell in buf.content.iter_mut() {
        let symbol = cell.symbol();
        if !symbol.is_ascii() {
            let folded = fold(symbol).to_string();
            cell.set_symbol(&folded);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;

    #[test]
    fn every_cell_ends_up_ascii() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        buf.set_string(0, 0, "a·b…✓✗▲é中", ratatui::style::Style::new());
        sanitize(&mut buf);
        let text: String = buf.content.iter().map(|c| c.symbol()).collect();
        assert!(text.is_ascii(), "{text}");
        assert!(text.starts_with("a.b.+x^?"), "{text}");
    }

    #[test]
    fn text_folds_the_same_way() {
        assert_eq!(fold_text("403 — missing ✓ é"), "403 - missing + ?");
    }
}
