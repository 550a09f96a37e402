//! `[ui]`, `[wall]`, `[thresholds]` and `[views.NAME]`: resolved into [`UiSettings`]. Every
//! error is one line that names the key.

use std::time::Duration;

use serde::Deserialize;

use super::{ConfigError, FileConfig};
use crate::app::{BigDigits, MAX_VIEWS, Sort, Thresholds, UiSettings, ViewDef, WallSettings};
use crate::cli::GlobalArgs;
use crate::config::Palette;
use crate::keys::Key;
use crate::text::columns::{self, COLUMNS};
use genesys::queries::Selector;

/// Pages turning faster than this cannot be read from across a room.
pub const MIN_PAGE_INTERVAL: Duration = Duration::from_secs(2);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WallSection {
    pub columns: Option<Vec<String>>,
    pub page_interval: Option<String>,
    pub quit_keys: Option<Vec<String>>,
    /// true, false or "auto".
    pub big_digits: Option<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ViewSection {
    #[serde(default)]
    queues: Vec<String>,
    columns: Option<Vec<String>>,
    sort: Option<String>,
}

fn fail<T>(msg: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError(msg.into()))
}

pub fn resolve(file: &FileConfig, flags: &GlobalArgs) -> Result<UiSettings, ConfigError> {
    let e = |m: String| ConfigError(m);
    let palette = Palette::parse(file.ui.theme.as_deref().unwrap_or("dark")).map_err(e)?;
    let columns = match (&flags.columns, &file.ui.columns) {
        (Some(c), _) => columns::parse_list(c, "--columns").map_err(e)?,
        (None, Some(c)) => columns::parse_list(c, "[ui] columns").map_err(e)?,
        (None, None) => COLUMNS.iter().map(|c| c.id).collect(),
    };
    let sort = match &file.ui.sort {
        Some(s) => Sort::parse(s, "[ui] sort").map_err(e)?,
        None => Sort::NAME,
    };
    let thresholds = Thresholds::parse(&file.thresholds).map_err(e)?;
    let views = views(&file.views)?;
    let start_view = match &flags.view {
        None => None,
        Some(name) => match views.iter().position(|v| v.name.eq_ignore_ascii_case(name)) {
            Some(i) => Some(i),
            None if views.is_empty() => {
                return fail(format!("--view {name}: no views are configured; add [views.{name}] to the config"));
            }
            None => {
                let names: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
                return fail(format!("--view {name}: no such view; the config has {}", names.join(", ")));
            }
        },
    };
    let wall = wall(&file.wall)?;
    Ok(UiSettings { palette, columns, sort, thresholds, views, wall, start_view, start_wall: flags.wall })
}

fn views(table: &toml::Table) -> Result<Vec<ViewDef>, ConfigError> {
    if table.len() > MAX_VIEWS {
        return fail(format!("[views] has {} views; the number keys reach {MAX_VIEWS}: remove some", table.len()));
    }
    let mut out = vec![];
    for (name, value) in table {
        let at = format!("[views.{name}]");
        let section: ViewSection = value.clone().try_into().map_err(|err: toml::de::Error| {
            let msg = err.message().split_whitespace().collect::<Vec<_>>().join(" ");
            ConfigError(format!("{at}: {msg}; a view has queues, columns and sort"))
        })?;
        let queues = section
            .queues
            .iter()
            .map(|s| Selector::parse(s).map_err(|m| ConfigError(format!("{at} queues: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let columns = match &section.columns {
            Some(c) => Some(columns::parse_list(c, &format!("{at} columns")).map_err(ConfigError)?),
            None => None,
        };
        let sort = match &section.sort {
            Some(s) => Some(Sort::parse(s, &format!("{at} sort")).map_err(ConfigError)?),
            None => None,
        };
        out.push(ViewDef { name: name.clone(), queues, columns, sort });
    }
    Ok(out)
}

fn wall(w: &WallSection) -> Result<WallSettings, ConfigError> {
    let mut out = WallSettings::default();
    if let Some(c) = &w.columns {
        out.columns = columns::parse_list(c, "[wall] columns").map_err(ConfigError)?;
    }
    if let Some(text) = &w.page_interval {
        let d = humantime::parse_duration(text.trim()).map_err(|_| {
            ConfigError(format!("[wall] page_interval = \"{text}\" is not a duration; write it like \"10s\""))
        })?;
        if d < MIN_PAGE_INTERVAL {
            return fail(format!("[wall] page_interval = \"{text}\" is too fast to read; use \"2s\" or more"));
        }
        out.page_interval = d;
    }
    if let Some(keys) = &w.quit_keys {
        out.quit_keys = keys
            .iter()
            .map(|k| Key::parse(k).map_err(|m| ConfigError(format!("[wall] quit_keys: {m}"))))
            .collect::<Result<Vec<_>, _>>()?;
    }
    out.big_digits = match &w.big_digits {
        None => BigDigits::Auto,
        Some(toml::Value::Boolean(true)) => BigDigits::Always,
        Some(toml::Value::Boolean(false)) => BigDigits::Never,
        Some(toml::Value::String(s)) if s == "auto" => BigDigits::Auto,
        Some(other) => return fail(format!("[wall] big_digits = {other} is not true, false or \"auto\"")),
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_file;
    use crate::text::columns::ColumnId;
    use std::path::Path;

    fn settings(text: &str, flags: GlobalArgs) -> Result<UiSettings, ConfigError> {
        resolve(&parse_file(text, Path::new("qtop.toml"))?, &flags)
    }

    #[test]
    fn views_keep_file_order_and_resolve() {
        let s = settings(
            r#"
            [views.support]
            queues = ["Tech*", "Customer Care"]
            [views.sales]
            queues = ["Sales*"]
            columns = ["waiting", "longest"]
            sort = "waiting desc"
            "#,
            GlobalArgs { view: Some("sales".into()), ..Default::default() },
        )
        .unwrap();
        let names: Vec<&str> = s.views.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["support", "sales"]);
        assert_eq!(s.start_view, Some(1));
        assert_eq!(s.views[1].columns.as_deref(), Some(&[ColumnId::Waiting, ColumnId::Longest][..]));
        assert_eq!(s.views[1].sort, Some(Sort::by(ColumnId::Waiting)));
        assert!(s.views[0].takes("x", "Tech Support L2") && !s.views[0].takes("x", "Sales"));
    }

    #[test]
    fn wall_settings_resolve() {
        let s = settings(
            "[wall]\ncolumns = [\"waiting\"]\npage_interval = \"15s\"\nquit_keys = [\"x\", \"ctrl-q\"]\nbig_digits = false\n",
            GlobalArgs { wall: true, ..Default::default() },
        )
        .unwrap();
        assert_eq!(s.wall.columns, [ColumnId::Waiting]);
        assert_eq!(s.wall.page_interval, Duration::from_secs(15));
        assert_eq!(s.wall.quit_keys, [Key::Char('x'), Key::Ctrl('q')]);
        assert_eq!(s.wall.big_digits, BigDigits::Never);
        assert!(s.start_wall);
    }

    #[test]
    fn errors_are_one_line_and_name_the_key() {
        let cases = [
            ("[ui]\ntheme = \"neon\"\n", "[ui] theme = \"neon\""),
            ("[ui]\ncolumns = [\"wait\"]\n", "[ui] columns: no column \"wait\""),
            ("[ui]\nsort = \"waiting sideways\"\n", "[ui] sort = \"waiting sideways\""),
            ("[wall]\npage_interval = \"1s\"\n", "[wall] page_interval = \"1s\" is too fast"),
            ("[wall]\nquit_keys = [\"f10\"]\n", "[wall] quit_keys: key \"f10\""),
            ("[wall]\nbig_digits = \"yes\"\n", "[wall] big_digits"),
            ("[wall]\nrotate = true\n", "rotate"),
            ("[views.x]\nqueue = [\"a\"]\n", "[views.x]: unknown field `queue`"),
            ("[views.x]\ncolumns = []\n", "[views.x] columns is empty"),
            ("[thresholds]\nwaiting = { amber = 9, red = 3 }\n", "[thresholds] waiting: amber must be below red"),
        ];
        for (text, needle) in cases {
            let e = settings(text, GlobalArgs::default()).unwrap_err().0;
            assert!(e.contains(needle), "{text:?} → {e}");
            assert!(!e.contains('\n'), "multi-line: {e}");
        }
        let e = settings("", GlobalArgs { view: Some("ops".into()), ..Default::default() }).unwrap_err().0;
        assert!(e.contains("--view ops") && e.contains("[views.ops]"), "{e}");
        let e = settings("", GlobalArgs { columns: Some(vec!["nope".into()]), ..Default::default() }).unwrap_err().0;
        assert!(e.starts_with("--columns: no column \"nope\""), "{e}");
    }

    #[test]
    fn the_example_config_resolves() {
        let s = settings(include_str!("../../../../config.example.toml"), GlobalArgs::default()).unwrap();
        assert_eq!(s.wall, WallSettings::default(), "the example shows the defaults");
        assert!(s.views.is_empty());
    }

    #[test]
    fn too_many_views() {
        let text: String = (1..=10).map(|i| format!("[views.v{i}]\n")).collect();
        assert!(settings(&text, GlobalArgs::default()).unwrap_err().0.contains("number keys reach 9"));
    }
}
