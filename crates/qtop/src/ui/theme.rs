//! Colours and glyphs. Colour is never the only signal: every coloured state also has a
//! word or marker, so NO_COLOR and ASCII terminals lose nothing.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::app::Level;
use crate::config::Palette;

struct Colors {
    accent: Color,
    amber: Color,
    red: Color,
    good: Color,
    muted: Color,
}

impl Palette {
    fn colors(self) -> Colors {
        match self {
            Palette::Dark => Colors {
                accent: Color::Cyan,
                amber: Color::Yellow,
                red: Color::Red,
                good: Color::Green,
                muted: Color::Gray,
            },
            Palette::Light => Colors {
                accent: Color::Indexed(25),
                amber: Color::Indexed(130),
                red: Color::Indexed(124),
                good: Color::Indexed(28),
                muted: Color::Indexed(242),
            },
            Palette::Ansi256 => Colors {
                accent: Color::Indexed(45),
                amber: Color::Indexed(214),
                red: Color::Indexed(196),
                good: Color::Indexed(77),
                muted: Color::Indexed(250),
            },
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
    pub palette: Palette,
}

impl Theme {
    pub fn new(color: bool, ascii: bool) -> Self {
        Theme { color, ascii, palette: Palette::Dark }
    }

    pub fn with_palette(mut self, palette: Palette) -> Self {
        self.palette = palette;
        self
    }

    fn fg(&self, c: Color) -> Style {
        if self.color { Style::new().fg(c) } else { Style::new() }
    }

    pub fn title(&self) -> Style {
        self.fg(self.palette.colors().accent).add_modifier(Modifier::BOLD)
    }

    pub fn label(&self) -> Style {
        self.fg(self.palette.colors().muted)
    }

    pub fn good(&self) -> Style {
        self.fg(self.palette.colors().good)
    }

    pub fn warn(&self) -> Style {
        self.fg(self.palette.colors().amber)
    }

    pub fn bad(&self) -> Style {
        self.fg(self.palette.colors().red).add_modifier(Modifier::BOLD)
    }

    /// A threshold level as a style; pair it with [`Theme::marker`].
    pub fn level(&self, level: Level) -> Style {
        match level {
            Level::Normal => Style::new(),
            Level::Amber => self.warn().add_modifier(Modifier::BOLD),
            Level::Red => self.bad(),
        }
    }

    /// The glyph that says the same as the colour: amber ▲, red !.
    pub fn marker(&self, level: Level) -> &'static str {
        match (level, self.ascii) {
            (Level::Normal, _) => " ",
            (Level::Amber, false) => "▲",
            (Level::Amber, true) => "^",
            (Level::Red, _) => "!",
        }
    }

    pub fn sort_arrow(&self, descending: bool) -> &'static str {
        match (descending, self.ascii) {
            (true, false) => "↓",
            (false, false) => "↑",
            (true, true) => "v",
            (false, true) => "^",
        }
    }

    /// The ink of the wall's big digits.
    pub fn big_fill(&self) -> char {
        if self.ascii { '#' } else { '█' }
    }

    pub fn ellipsis(&self) -> &'static str {
        if self.ascii { "..." } else { "…" }
    }

    pub fn dim(&self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }

    pub fn column_header(&self) -> Style {
        self.title()
    }

    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn key(&self) -> Style {
        self.title()
    }

    pub fn border(&self) -> border::Set<'static> {
        if self.ascii {
            border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        } else {
            border::PLAIN
        }
    }

    pub fn unknown(&self) -> &'static str {
        if self.ascii { "-" } else { "–" }
    }

    pub fn dot(&self) -> &'static str {
        if self.ascii { "*" } else { "●" }
    }

    pub fn sep(&self) -> &'static str {
        if self.ascii { "|" } else { "│" }
    }
}
