//! Words and numbers as qtop writes them, for the screen and for printed reports alike: the
//! column registry (what each column shows and how it sorts), durations and counts, and the
//! ASCII folding. Model-side code: no terminal, no layout.

pub mod ascii;
pub mod columns;
pub mod format;
