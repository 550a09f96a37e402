//! The ASCII promise, kept in one place: any symbol that slipped through (a glyph in a
//! message, a name from the API) becomes its nearest ASCII look-alike, or `?`. The screen
//! folds each drawn frame with it (`ui::ascii`); printed reports fold their text.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_folds_the_same_way() {
        assert_eq!(fold_text("403 — missing ✓ é"), "403 - missing + ?");
    }
}
