//! What the user is looking at, apart from the data: focus, overlays, detail view, wall
//! mode, freeze, sort, filter, saved view, selection.

use jiff::Timestamp;

use super::QueueRow;
use super::filter::Filter;
use super::settings::Sort;
use genesys::queries::Member;

/// What the last frame had room for. Drawing returns it and the loop stores it here, so the
/// update pages and scrolls by what the person sees (an open error log or token pane makes
/// the table shorter) without doing layout itself. `None` until a frame showed that part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewport {
    /// Queue rows the table showed.
    pub table_rows: Option<usize>,
    /// Member rows the queue detail showed.
    pub detail_rows: Option<usize>,
    /// How far the help could scroll.
    pub help_max_scroll: Option<usize>,
}

/// Panes that can take the focus (`Tab` cycles through the visible ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Queues,
    Errors,
    Token,
}

/// A full-screen detail view, opened with Enter.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    Queue(QueueDetail),
    /// Row of the error log (newest first), and how far the view is scrolled.
    Error {
        index: usize,
        scroll: usize,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct QueueDetail {
    pub queue_id: String,
    pub members: Members,
    /// A fetch is on its way; another is not started.
    pub fetching: bool,
    pub scroll: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Members {
    Loading,
    Loaded { members: Vec<Member>, at: Timestamp },
    Failed { why: String, at: Timestamp },
}

/// Wall mode. `kiosk` (started with `--wall`): only the quit keys work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wall {
    pub kiosk: bool,
    pub since: Timestamp,
}

/// The rows as they were when `f` was pressed; live data keeps arriving underneath.
#[derive(Debug, Clone)]
pub struct Frozen {
    pub rows: Vec<QueueRow>,
    pub at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct UiState {
    pub focus: Pane,
    /// What the last frame had room for (set by the loop after each draw).
    pub viewport: Viewport,
    pub show_help: bool,
    pub help_scroll: usize,
    pub show_error_log: bool,
    /// The user toggled the error log; it no longer opens by itself on the first error.
    pub error_log_touched: bool,
    pub error_selected: usize,
    pub detail: Option<Detail>,
    pub wall: Option<Wall>,
    pub frozen: Option<Frozen>,
    pub sort: Sort,
    pub filter: Filter,
    /// Index into the configured views; `None` = all queues.
    pub view: Option<usize>,
    /// Index into the visible rows.
    pub selected: usize,
    /// The selected queue, so the cursor follows it when the order changes.
    pub selected_id: Option<String>,
    /// Indices into the shown rows (live or frozen), filtered and sorted.
    pub visible: Vec<usize>,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            focus: Pane::Queues,
            viewport: Viewport::default(),
            show_help: false,
            help_scroll: 0,
            show_error_log: false,
            error_log_touched: false,
            error_selected: 0,
            detail: None,
            wall: None,
            frozen: None,
            sort: Sort::NAME,
            filter: Filter::default(),
            view: None,
            selected: 0,
            selected_id: None,
            visible: vec![],
        }
    }
}

impl UiState {
    /// Focusable panes that are on screen, in `Tab` order.
    pub fn focusable(&self, token_pane_shown: bool) -> Vec<Pane> {
        let mut out = vec![Pane::Queues];
        if self.show_error_log {
            out.push(Pane::Errors);
        }
        if token_pane_shown {
            out.push(Pane::Token);
        }
        out
    }

    pub fn queue_detail(&self) -> Option<&QueueDetail> {
        match &self.detail {
            Some(Detail::Queue(d)) => Some(d),
            _ => None,
        }
    }
}
