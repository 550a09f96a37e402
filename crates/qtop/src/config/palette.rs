//! The `[ui] theme` setting. The screen maps each palette to its colours (`ui::theme`).

/// `[ui] theme`. `dark` keeps to the 16 ANSI colours, so it looks the same on 16- and
/// 256-colour terminals; the others use the 256-colour cube.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Palette {
    #[default]
    Dark,
    /// Dark text colours for light backgrounds (ANSI yellow is unreadable on white).
    Light,
    /// Dark background, finer amber and red from the 256-colour cube.
    Ansi256,
}

impl Palette {
    pub fn parse(text: &str) -> Result<Palette, String> {
        match text {
            "dark" | "16" => Ok(Palette::Dark),
            "light" => Ok(Palette::Light),
            "256" => Ok(Palette::Ansi256),
            other => Err(format!("[ui] theme = \"{other}\" is not one of \"dark\" (16 colours), \"light\", \"256\"")),
        }
    }
}
