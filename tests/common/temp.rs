//! Temporary directories for the tests, removed on drop (panics included).

use std::path::{Path, PathBuf};

/// A new directory `tessera-TAG-ID` in the system temp dir, removed with what it holds on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("tessera-{tag}-{}", tessera::ids::new_id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
