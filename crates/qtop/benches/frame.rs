//! What one second of qtop costs a terminal, in bytes: ratatui's diffed output (what qtop
//! sends), the minimum for the cells that changed, and a full repaint, side by side for the
//! same frame sequence. Time per frame is in `benches/hot_paths.rs` (criterion).
//!
//! `cargo bench --bench frame` (std only: counting bytes needs no statistics). Bytes are
//! deterministic: the same frames give the same numbers on any machine.
//!
//! The minimum for a frame, given the previous one: every maximal run of changed cells on a row
//! (ratatui's `Buffer::diff`, so wide glyphs count once) costs one cursor move
//! `ESC[row;colH`, the UTF-8 bytes of its symbols, and one reset-and-set SGR
//! `ESC[0;…m` wherever the style differs from the pen (the pen carries across runs; every
//! frame starts from the default style, as ratatui leaves it). It sends nothing for unchanged
//! cells and needs no cursor hide/show — a writer that did better would have to bridge short
//! gaps or use relative moves, which saves a few bytes a run at most.

mod common;

use std::cell::Cell as Counter;
use std::io::{self, Write};
use std::rc::Rc;

use jiff::SignedDuration;
use qtop::event::Event;
use qtop::ui;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::{Terminal, TerminalOptions, Viewport};
use unicode_width::UnicodeWidthStr;

/// Counts what would reach the terminal.
struct Meter(Rc<Counter<usize>>);

impl Write for Meter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Digits of `n` in decimal.
fn digits(n: u32) -> usize {
    n.checked_ilog10().unwrap_or(0) as usize + 1
}

/// SGR parameter lengths for a colour (`fg` picks 30s/90s/38, else 40s/100s/48).
fn color_params(c: Color, fg: bool) -> Vec<usize> {
    let base = |n: u32| vec![digits(if fg { n } else { n + 10 })];
    match c {
        Color::Reset => vec![],
        Color::Black | Color::Red | Color::Green | Color::Yellow => base(30),
        Color::Blue | Color::Magenta | Color::Cyan | Color::Gray => base(30),
        Color::DarkGray | Color::LightRed | Color::LightGreen | Color::LightYellow => base(90),
        Color::LightBlue | Color::LightMagenta | Color::LightCyan | Color::White => base(90),
        Color::Indexed(i) => vec![2, 1, digits(i.into())],
        Color::Rgb(r, g, b) => vec![2, 1, digits(r.into()), digits(g.into()), digits(b.into())],
    }
}

/// Length of `ESC[0;…m` setting exactly `style` (or `ESC[0m` for the default style).
fn sgr_len(style: Style) -> usize {
    let mut params = vec![1]; // the reset
    params.extend(std::iter::repeat_n(1, style.add_modifier.bits().count_ones() as usize));
    params.extend(color_params(style.fg.unwrap_or(Color::Reset), true));
    params.extend(color_params(style.bg.unwrap_or(Color::Reset), false));
    2 + params.iter().sum::<usize>() + params.len() - 1 + 1
}

fn style_of(cell: &Cell) -> Style {
    Style::default().fg(cell.fg).bg(cell.bg).add_modifier(cell.modifier)
}

/// The minimum bytes to turn `prev` into `next` on a terminal (see the module comment).
fn minimum_bytes(prev: &Buffer, next: &Buffer) -> usize {
    let mut bytes = 0;
    let mut pen = Style::default().fg(Color::Reset).bg(Color::Reset);
    let mut cursor: Option<(u16, u16)> = None;
    for (x, y, cell) in prev.diff(next) {
        if cursor != Some((x, y)) {
            bytes += 2 + digits(u32::from(y) + 1) + 1 + digits(u32::from(x) + 1) + 1;
        }
        let style = style_of(cell);
        if style != pen {
            bytes += sgr_len(style);
            pen = style;
        }
        bytes += cell.symbol().len();
        // The terminal's cursor moves on by the symbol's width, as ratatui's diff assumes.
        cursor = Some((x + cell.symbol().width().max(1) as u16, y));
    }
    bytes
}

struct Run {
    diffed: usize,
    minimum: usize,
    repaint: usize,
    first_frame: usize,
}

/// Bytes a second over `seconds` simulated seconds (one clock tick and one observation round
/// each, one frame each) for qtop's diffed output and the minimum, plus a full repaint of the
/// same frames.
fn run(n: usize, w: u16, h: u16, seconds: usize) -> Run {
    let mut app = common::app(n, w, h);
    let ids = common::ids(n);
    let written = Rc::new(Counter::new(0));
    // A fixed viewport: the bench's own terminal (or none) must not decide the size.
    let viewport = Viewport::Fixed(Rect::new(0, 0, w, h));
    let mut term =
        Terminal::with_options(CrosstermBackend::new(Meter(written.clone())), TerminalOptions { viewport }).unwrap();
    let mut prev = term
        .draw(|f| {
            ui::draw(f, &app);
        })
        .unwrap()
        .buffer
        .clone();
    let first_frame = written.get();
    let mut minimum = 0;
    let mut repaint = 0;
    let empty = Buffer::empty(prev.area);
    for s in 1..=seconds {
        let at = common::t0() + SignedDuration::from_secs(s as i64);
        app.update(Event::Tick(at));
        app.update(common::observations(&ids, at, s));
        let next = term
            .draw(|f| {
                ui::draw(f, &app);
            })
            .unwrap()
            .buffer
            .clone();
        minimum += minimum_bytes(&prev, &next);
        // A naive loop forgets the last frame, so every cell is sent again.
        repaint += minimum_bytes(&empty, &next);
        prev = next;
    }
    Run {
        diffed: (written.get() - first_frame) / seconds,
        minimum: minimum / seconds,
        repaint: repaint / seconds,
        first_frame,
    }
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it once with no flag: keep it short.
    let full = std::env::args().any(|a| a == "--bench");
    let seconds = if full { 120 } else { 5 };
    // The yardstick itself: nothing to send for an unchanged frame, one cursor move and the
    // text for a single changed cell.
    let a = Buffer::with_lines(["ab"]);
    let b = Buffer::with_lines(["aé"]);
    assert_eq!(minimum_bytes(&a, &a), 0);
    assert_eq!(minimum_bytes(&a, &b), "\x1b[1;2H".len() + "é".len());
    println!("bytes a second over {seconds} simulated seconds (one clock tick and one poll each):");
    println!("  queues  size     first frame  qtop (diffed)  minimum  ratio  full repaint (minimum encoding)");
    for (n, w, h) in [(20, 120, 40), (200, 120, 40), (200, 200, 60), (1000, 120, 40), (1000, 200, 60)] {
        let r = run(n, w, h, seconds);
        println!(
            "  {n:>6}  {w}x{h}  {:>9} B  {:>9} B/s  {:>5} B/s  {:>4.2}x  {:>8} B/s",
            r.first_frame,
            r.diffed,
            r.minimum,
            r.diffed as f64 / r.minimum.max(1) as f64,
            r.repaint
        );
    }
}
