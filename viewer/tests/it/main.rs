//! Viewer tests: the window-free logic, and real screenshots under Xvfb.

mod logic;
mod readable;
mod screenshots;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap()
}

/// A golden trace by its path under traces/golden.
pub fn golden(name: &str) -> PathBuf {
    repo().join("traces/golden").join(name)
}
