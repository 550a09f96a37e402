//! Logs go to a rotating file, never to the terminal the TUI owns. They carry requests,
//! statuses, correlation ids, diagnoses and token fingerprints — never a token or secret.

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::EnvFilter;

/// Log lines queued for the writer thread before new ones are dropped.
const LOG_QUEUE_LINES: usize = 4_096;

/// Days of logs kept.
pub const KEEP_FILES: usize = 7;

/// Where logs go by default: the state dir (Linux) or the local data dir.
pub fn default_dir() -> Option<PathBuf> {
    let dirs = crate::config::project_dirs()?;
    Some(dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir()).join("logs"))
}

/// Start logging. `file` names the log file (rotated daily beside it: `qtop.log.2026-11-25`);
/// without it, `<state dir>/logs/qtop.log`. The guard must live until exit (it flushes).
pub fn init(file: Option<&Path>, level: &str) -> Result<(WorkerGuard, PathBuf), String> {
    let filter = EnvFilter::try_new(level)
        .map_err(|e| format!("--log-level {level}: {e}; use error, warn, info, debug or trace"))?;
    let (dir, prefix) = match file {
        Some(f) => (
            f.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
            f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "qtop.log".into()),
        ),
        None => (default_dir().ok_or("no home directory for logs: pass --log-file")?, "qtop.log".to_string()),
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("--log-file: cannot create {}: {e}", dir.display()))?;
    let appender = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix(&prefix)
        .max_log_files(KEEP_FILES)
        .build(&dir)
        .map_err(|e| format!("--log-file: cannot open a log in {}: {e}", dir.display()))?;
    // The default queue is 128 000 lines allocated up front: 4 MB of a ~25 MB process for a log
    // that gets a few lines a minute. 4 096 lines (128 KB) still absorb any burst qtop makes.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .finish(appender);
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer).with_ansi(false).with_target(false).init();
    Ok((guard, dir.join(prefix)))
}
