//! Hand-drawn 3x5 glyphs for the wall's numbers. Small enough that a 80x24 wall still fits
//! a few queues per page, and in ASCII mode they are drawn with `#`. (An external big-text
//! crate would add an 8x8 font without an ASCII form or a colon narrow enough for clocks.)

pub const HEIGHT: u16 = 5;
/// Columns between two glyphs.
const GAP: u16 = 1;

/// Rows of a glyph, `#` = ink. Unknown characters have no glyph.
fn glyph(c: char) -> Option<[&'static str; 5]> {
    Some(match c {
        '0' => ["###", "# #", "# #", "# #", "###"],
        '1' => [" # ", "## ", " # ", " # ", "###"],
        '2' => ["###", "  #", "###", "#  ", "###"],
        '3' => ["###", "  #", " ##", "  #", "###"],
        '4' => ["# #", "# #", "###", "  #", "  #"],
        '5' => ["###", "#  ", "###", "  #", "###"],
        '6' => ["###", "#  ", "###", "# #", "###"],
        '7' => ["###", "  #", " # ", " # ", " # "],
        '8' => ["###", "# #", "###", "# #", "###"],
        '9' => ["###", "# #", "###", "  #", "###"],
        ':' => [" ", "#", " ", "#", " "],
        '-' => ["   ", "   ", "###", "   ", "   "],
        '%' => ["# #", "  #", " # ", "#  ", "# #"],
        'h' => ["#  ", "#  ", "###", "# #", "# #"],
        'm' => ["   ", "## ", "###", "# #", "# #"],
        '+' => ["   ", " # ", "###", " # ", "   "],
        _ => return None,
    })
}

/// True when every character of `text` has a glyph.
pub fn drawable(text: &str) -> bool {
    text.chars().all(|c| glyph(c).is_some())
}

/// Width in cells of `text` drawn big.
pub fn width(text: &str) -> u16 {
    let glyphs: Vec<u16> = text.chars().filter_map(glyph).map(|g| g[0].len() as u16).collect();
    glyphs.iter().sum::<u16>() + GAP * glyphs.len().saturating_sub(1) as u16
}

/// The five rows of `text` drawn big with `ink`.
pub fn render(text: &str, ink: char) -> [String; 5] {
    let mut rows: [String; 5] = Default::default();
    for (i, g) in text.chars().filter_map(glyph).enumerate() {
        for (row, bits) in rows.iter_mut().zip(g) {
            if i > 0 {
                row.push(' ');
            }
            row.extend(bits.chars().map(|b| if b == '#' { ink } else { ' ' }));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_line_up() {
        let rows = render("10:07", '#');
        assert_eq!(rows[0], " #  ###   ### ###");
        assert_eq!(rows[4], "### ###   ###  # ");
        assert!(rows.iter().all(|r| r.chars().count() as u16 == width("10:07")));
        assert!(drawable("99%") && drawable("1h05") && !drawable("x"));
    }

    #[test]
    fn every_glyph_is_five_rows_of_equal_width() {
        for c in "0123456789:-%hm+".chars() {
            let g = glyph(c).unwrap();
            assert!(g.iter().all(|r| r.len() == g[0].len()), "{c}");
        }
    }
}
