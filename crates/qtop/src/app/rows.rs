//! Which rows are shown, in what order, and how each number is judged. Worked out in
//! `update` (when data, sort, filter or view change) so drawing only reads the result.

use std::cmp::Ordering;

use jiff::Timestamp;

use super::settings::ViewDef;
use super::thresholds::Level;
use super::{App, QueueRow};
use crate::text::columns::{Column, ColumnId, Unit, column};

impl App {
    /// The rows on screen: the frozen snapshot while frozen, else the live rows.
    pub fn shown_rows(&self) -> &[QueueRow] {
        match &self.ui.frozen {
            Some(f) => &f.rows,
            None => &self.queues,
        }
    }

    /// The time the shown numbers are for (stops while frozen, so clocks stop too).
    pub fn data_now(&self) -> Timestamp {
        self.ui.frozen.as_ref().map(|f| f.at).unwrap_or(self.now)
    }

    /// Visible rows, filtered and sorted.
    pub fn visible_rows(&self) -> impl Iterator<Item = &QueueRow> + '_ {
        let rows = self.shown_rows();
        self.ui.visible.iter().filter_map(move |i| rows.get(*i))
    }

    pub fn visible_len(&self) -> usize {
        self.ui.visible.len()
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        self.ui.visible.get(self.ui.selected).and_then(|i| self.shown_rows().get(*i))
    }

    pub fn active_view(&self) -> Option<&ViewDef> {
        self.ui.view.and_then(|v| self.settings.views.get(v))
    }

    /// The table's columns: the view's, else the configured ones.
    pub fn columns(&self) -> &[ColumnId] {
        self.active_view().and_then(|v| v.columns.as_deref()).unwrap_or(&self.settings.columns)
    }

    /// How a number compares with its threshold.
    pub fn level(&self, row: &QueueRow, col: &Column) -> Level {
        let Some(value) = (col.value)(row, self.data_now()) else { return Level::Normal };
        let over = self.overrides.get(&row.info.id).copied().flatten();
        let Some(rule) = self.settings.thresholds.rule(col.id, over) else { return Level::Normal };
        let target = match col.unit {
            Unit::Percent => crate::text::columns::sl_target(row).map(|fraction| (fraction * 1000.0).round() as i64),
            _ => None,
        };
        rule.level(value, target)
    }

    /// The worst level across some columns (the wall's card border).
    pub fn worst_level(&self, row: &QueueRow, cols: &[ColumnId]) -> Level {
        cols.iter().map(|c| self.level(row, column(*c))).max().unwrap_or_default()
    }

    pub(super) fn refresh_overrides(&mut self) {
        let t = &self.settings.thresholds;
        self.overrides =
            self.queues.iter().map(|r| (r.info.id.clone(), t.override_for(&r.info.id, &r.info.name))).collect();
    }

    /// Filter and sort the shown rows; keep the cursor on the same queue.
    pub(super) fn recompute(&mut self) {
        let now = self.data_now();
        let rows = self.shown_rows();
        let view = self.active_view();
        let filter = &self.ui.filter;
        let mut visible: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                let info = &rows[i].info;
                view.is_none_or(|v| v.takes(&info.id, &info.name)) && filter.matches(&info.name)
            })
            .collect();
        let sort = self.ui.sort;
        // The rows are kept in name order (case-insensitive) when the list arrives, so the
        // index is the name order.
        visible.sort_by(|&ia, &ib| {
            let (a, b) = (&rows[ia], &rows[ib]);
            let primary = match sort.column {
                None => ia.cmp(&ib),
                Some(id) => {
                    let c = column(id);
                    match ((c.value)(a, now), (c.value)(b, now)) {
                        (Some(x), Some(y)) => x.cmp(&y),
                        // Unknown values go last whichever way the sort runs.
                        (Some(_), None) => return Ordering::Less,
                        (None, Some(_)) => return Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    }
                }
            };
            let primary = if sort.descending { primary.reverse() } else { primary };
            primary.then_with(|| ia.cmp(&ib))
        });
        let ids: Vec<&str> = visible.iter().map(|&i| rows[i].info.id.as_str()).collect();
        let selected = match &self.ui.selected_id {
            Some(id) => ids.iter().position(|x| x == id).unwrap_or(self.ui.selected),
            None => self.ui.selected,
        }
        .min(visible.len().saturating_sub(1));
        let selected_id = ids.get(selected).map(std::string::ToString::to_string);
        self.ui.visible = visible;
        self.ui.selected = selected;
        self.ui.selected_id = selected_id;
    }

    /// Move the cursor to visible row `i` (clamped).
    pub(super) fn select(&mut self, i: usize) {
        let i = i.min(self.ui.visible.len().saturating_sub(1));
        self.ui.selected = i;
        self.ui.selected_id = self.selected_row().map(|r| r.info.id.clone());
    }
}
