//! `--demo` in a build without the `demo` feature: the same shape as the real module, so the
//! setup path is one, and a start that says in one line that there is no simulator.

use std::sync::Arc;

use genesys::browser::Opener;

use crate::cli::GlobalArgs;
use crate::config::{Env, FileConfig};

/// Never made: [`start`] always refuses.
pub struct Demo {
    pub opener: Option<Arc<dyn Opener>>,
}

pub async fn start(_flags: &mut GlobalArgs, _file: &mut FileConfig, _env: &mut Env) -> Result<Demo, String> {
    Err(crate::NO_SIMULATOR.to_string())
}
