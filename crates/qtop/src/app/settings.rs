//! What the config says about the screen, resolved and validated: columns, sort, views,
//! thresholds, wall mode, palette. Built once at start; `App` only reads it.

use std::time::Duration;

use super::thresholds::Thresholds;
use crate::config::Palette;
use crate::keys::{DEFAULT_WALL_QUIT, Key};
use crate::text::columns::{self, COLUMNS, ColumnId};
use genesys::queries::Selector;

/// Sort order of the queue table. `column: None` sorts by queue name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub column: Option<ColumnId>,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort::NAME
    }
}

impl Sort {
    pub const NAME: Sort = Sort { column: None, descending: false };

    /// Numbers sort biggest first by default: the busiest queue on top.
    pub fn by(column: ColumnId) -> Sort {
        Sort { column: Some(column), descending: true }
    }

    /// `"waiting desc"`, `"longest"`, `"name"`, `"name desc"`.
    pub fn parse(text: &str, what: &str) -> Result<Sort, String> {
        let mut words = text.split_whitespace();
        let key = words.next().unwrap_or("");
        let mut sort = if key.eq_ignore_ascii_case("name") {
            Sort::NAME
        } else {
            let c = columns::by_key(key).ok_or_else(|| {
                format!("{what} = \"{text}\": no column \"{key}\"; use name or one of: {}", columns::keys())
            })?;
            Sort::by(c.id)
        };
        match words.next().map(str::to_ascii_lowercase).as_deref() {
            None => {}
            Some("desc") => sort.descending = true,
            Some("asc") => sort.descending = false,
            Some(other) => return Err(format!("{what} = \"{text}\": \"{other}\" is not asc or desc")),
        }
        if words.next().is_some() {
            return Err(format!("{what} = \"{text}\": write a column and a direction, e.g. \"waiting desc\""));
        }
        Ok(sort)
    }
}

/// A saved view (`[views.NAME]`), switched with the number keys in file order.
#[derive(Debug, Clone)]
pub struct ViewDef {
    pub name: String,
    /// Empty: every monitored queue.
    pub queues: Vec<Selector>,
    pub columns: Option<Vec<ColumnId>>,
    pub sort: Option<Sort>,
}

impl ViewDef {
    pub fn takes(&self, id: &str, name: &str) -> bool {
        self.queues.is_empty() || self.queues.iter().any(|s| s.matches_queue(id, name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigDigits {
    /// Big digits when at least a few queues fit on a page.
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WallSettings {
    pub columns: Vec<ColumnId>,
    pub page_interval: Duration,
    pub quit_keys: Vec<Key>,
    pub big_digits: BigDigits,
}

pub const DEFAULT_WALL_COLUMNS: &[ColumnId] = &[ColumnId::Waiting, ColumnId::Longest, ColumnId::Idle];
pub const DEFAULT_PAGE_INTERVAL: Duration = Duration::from_secs(10);

impl Default for WallSettings {
    fn default() -> Self {
        WallSettings {
            columns: DEFAULT_WALL_COLUMNS.to_vec(),
            page_interval: DEFAULT_PAGE_INTERVAL,
            quit_keys: DEFAULT_WALL_QUIT.to_vec(),
            big_digits: BigDigits::Auto,
        }
    }
}

#[derive(Debug, Clone)]
pub struct UiSettings {
    pub palette: Palette,
    pub columns: Vec<ColumnId>,
    pub sort: Sort,
    pub thresholds: Thresholds,
    pub views: Vec<ViewDef>,
    pub wall: WallSettings,
    /// Index into `views` to start on (`--view`).
    pub start_view: Option<usize>,
    /// `--wall`: a kiosk that only its quit keys can end.
    pub start_wall: bool,
}

impl Default for UiSettings {
    fn default() -> Self {
        UiSettings {
            palette: Palette::default(),
            columns: COLUMNS.iter().map(|c| c.id).collect(),
            sort: Sort::NAME,
            thresholds: Thresholds::default(),
            views: vec![],
            wall: WallSettings::default(),
            start_view: None,
            start_wall: false,
        }
    }
}

/// The number keys reach views 1-9.
pub const MAX_VIEWS: usize = 9;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_parse() {
        assert_eq!(Sort::parse("waiting desc", "s"), Ok(Sort::by(ColumnId::Waiting)));
        assert_eq!(Sort::parse("longest asc", "s"), Ok(Sort { column: Some(ColumnId::Longest), descending: false }));
        assert_eq!(Sort::parse("name", "s"), Ok(Sort::NAME));
        assert!(Sort::parse("wait", "[ui] sort").unwrap_err().starts_with("[ui] sort = \"wait\": no column"));
        assert!(Sort::parse("waiting down", "s").unwrap_err().contains("\"down\" is not asc or desc"));
    }
}
