//! Removing what a [`Plan`](crate::Plan) found: orphaned bytecode, then the
//! caches it leaves empty, then the directories those leave empty.
//!
//! Only names the scan saw as regular files carrying this interpreter's tag
//! are unlinked (`unlink` never follows a link), and directories go with
//! `rmdir`, which removes nothing but an empty directory. A removal that
//! fails because something changed since the scan is reported, not retried.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::report::Failure;
use crate::scan::Plan;

/// What a clean did.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// Files removed.
    pub files: Vec<PathBuf>,
    /// Directories removed, deepest first.
    pub dirs: Vec<PathBuf>,
    /// Removals that failed.
    pub failures: Vec<Failure>,
}

/// Removes the plan's orphans, empty caches and empty directories.
pub fn clean(plan: &Plan) -> Cleaned {
    let mut done = Cleaned::default();
    let removed = crate::parallel::map(&plan.orphans, 256, |file| remove_file(file));
    for (file, removed) in plan.orphans.iter().zip(removed) {
        match removed {
            Ok(true) => done.files.push(file.clone()),
            Ok(false) => {}
            Err(e) => done
                .failures
                .push(Failure::new(file, format!("not removed: {e}"))),
        }
    }
    let mut dirs: Vec<&PathBuf> = plan.empty_caches.iter().chain(&plan.empty_dirs).collect();
    // Children before parents, whatever order the scan found them in.
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        match fs::remove_dir(dir) {
            Ok(()) => done.dirs.push(dir.clone()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => done
                .failures
                .push(Failure::new(dir, format!("not removed: {e}"))),
        }
    }
    done
}

/// Removes the file `path`; `false` when it is already gone. `unlink`
/// never follows a link: what is removed is the name the scan saw as a
/// regular file, never anything it might point to.
fn remove_file(path: &Path) -> io::Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}
