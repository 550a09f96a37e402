//! After a frame is drawn for an ASCII terminal, every cell goes through the one folding
//! table (`text::ascii`). Panes still pick ASCII forms themselves where a better one exists
//! ("..." for "…"); this catches the rest.

use ratatui::buffer::Buffer;

use crate::text::ascii::fold;

pub fn sanitize(buf: &mut Buffer) {
    for cell in &mut buf.content {
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
        let text: String = buf.content.iter().map(ratatui::buffer::Cell::symbol).collect();
        assert!(text.is_ascii(), "{text}");
        assert!(text.starts_with("a.b.+x^?"), "{text}");
    }
}
