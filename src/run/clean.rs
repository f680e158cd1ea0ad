//! Removing what a [`Plan`](crate::Plan) found: orphaned bytecode (and, when
//! pruning, this tag's bytecode of levels no longer kept), then the caches
//! it leaves empty, then the directories those leave empty.
//!
//! Only names the scan saw as regular files carrying this interpreter's tag
//! (or its leftover temporary files) are unlinked, and directories go with
//! `rmdir`, which removes nothing but an empty directory. Every removal is
//! made relative to a handle of the directory holding the name, reached
//! from the site-packages handle one component at a time without following
//! links ([`Cursor`]): a directory swapped for a symlink since the scan
//! makes the removal fail and be reported, never land outside the tree. A
//! removal that fails because something changed since the scan is
//! reported, not retried.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::Failure;
use crate::fs::dir::{self, Cursor, Handle};
use crate::fs::path;
use crate::run::scan::Plan;

/// What a clean did.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// Files removed.
    pub files: Vec<PathBuf>,
    /// Bytecode of unkept levels removed (pruned).
    pub pruned: Vec<PathBuf>,
    /// Bytes the pruning freed: the size of each pruned file that was its
    /// inode's last link (levels written as hard links of one another free
    /// their bytes with the last of them).
    pub pruned_bytes: u64,
    /// Directories removed, in path order.
    pub dirs: Vec<PathBuf>,
    /// Removals that failed.
    pub failures: Vec<Failure>,
}

/// Removes the plan's orphans, empty caches and empty directories below
/// the site-packages at `root`.
pub fn clean(plan: &Plan, root: &Path) -> Cleaned {
    let mut done = Cleaned::default();
    crate::testing::pause("before-remove");
    let handle = match Handle::open_root(root) {
        Ok(handle) => handle,
        Err(e) => {
            done.failures.push(Failure::new(
                root,
                format!("not cleaned: cannot open the site-packages: {e}"),
            ));
            return done;
        }
    };
    let (files, failures) = remove_all(&handle, root, &plan.orphans, false);
    done.files = files.into_iter().map(|(file, _)| file).collect();
    done.failures = failures;
    let (pruned, failures) = remove_all(&handle, root, &plan.unkept, true);
    done.pruned_bytes = pruned.iter().map(|(_, bytes)| bytes).sum();
    done.pruned = pruned.into_iter().map(|(file, _)| file).collect();
    done.failures.extend(failures);
    let mut dirs: Vec<&PathBuf> = plan.empty_caches.iter().chain(&plan.empty_dirs).collect();
    // Reverse path order: every directory after everything below it, and
    // neighbours next to each other, so that the cursor keeps their
    // parents open instead of reopening them from the root.
    path::sort_by_path(&mut dirs, |d| d);
    dirs.reverse();
    let mut cursor = Cursor::new(&handle, root);
    for dir in dirs {
        match remove(&mut cursor, dir, true) {
            Ok(true) => done.dirs.push(dir.clone()),
            Ok(false) => {}
            Err(e) => done
                .failures
                .push(Failure::new(dir, format!("not removed: {e}"))),
        }
    }
    // Removed in reverse path order: reversed, they are in path order.
    done.dirs.reverse();
    done
}

/// Removes `files`, those of one cache through one handle of it; returns
/// the files removed (in path order), each with the bytes its removal freed
/// (0 unless `count_bytes`: reading them costs an `fstatat` per file, which
/// only the pruning report uses), and the failures.
fn remove_all(
    handle: &Handle,
    root: &Path,
    files: &[PathBuf],
    count_bytes: bool,
) -> (Vec<(PathBuf, u64)>, Vec<Failure>) {
    let mut files: Vec<&PathBuf> = files.iter().collect();
    path::sort_by_path(&mut files, |f| f);
    let mut groups: Vec<&[&PathBuf]> = Vec::new();
    let mut rest = &files[..];
    while let Some(first) = rest.first() {
        let len = rest
            .iter()
            .take_while(|o| o.parent() == first.parent())
            .count();
        groups.push(&rest[..len]);
        rest = &rest[len..];
    }
    let removed = crate::run::parallel::map_init(
        &groups,
        16,
        || Cursor::new(handle, root),
        |cursor, group| remove_files(cursor, group, count_bytes),
    );
    let (mut done, mut failures) = (Vec::new(), Vec::new());
    for (file, removed) in files.iter().zip(removed.into_iter().flatten()) {
        match removed {
            Ok(Some(bytes)) => done.push((file.to_path_buf(), bytes)),
            Ok(None) => {}
            Err(e) => failures.push(Failure::new(file, format!("not removed: {e}"))),
        }
    }
    (done, failures)
}

/// Removes the files of one group (same directory): for each, the bytes
/// freed when it was removed (with `count_bytes`, else 0), `None` when it
/// was already gone.
fn remove_files(
    cursor: &mut Cursor<'_>,
    group: &[&PathBuf],
    count_bytes: bool,
) -> Vec<io::Result<Option<u64>>> {
    group
        .iter()
        .map(|file| {
            let bytes = if count_bytes {
                freed_bytes(cursor, file)
            } else {
                0
            };
            remove(cursor, file, false).map(|removed| removed.then_some(bytes))
        })
        .collect()
}

/// The bytes removing `file` would free: its size when this is its
/// inode's last link. Read through the same directory handle just before
/// the unlink; a file changed in between is at worst counted wrong, never
/// removed through a link.
fn freed_bytes(cursor: &mut Cursor<'_>, file: &Path) -> u64 {
    let (Some(parent), Some(name)) = (file.parent(), file.file_name()) else {
        return 0;
    };
    cursor
        .open(parent)
        .and_then(|dir| dir.stat(name))
        .map_or(0, |st| {
            if st.st_nlink == 1 {
                st.st_size as u64
            } else {
                0
            }
        })
}

/// Removes `path` (a file, or with `is_dir` an empty directory) through the
/// handle of its parent; `false` when it is already gone.
fn remove(cursor: &mut Cursor<'_>, path: &Path, is_dir: bool) -> io::Result<bool> {
    let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
        return Err(io::Error::other("not below the site-packages"));
    };
    let removed = cursor
        .open(parent)
        .and_then(|dir| unlink(dir, name, is_dir));
    match removed {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) if dir::is_not_dir(&e) => Err(io::Error::other(format!(
            "changed since the scan (a directory on its path replaced by a symlink or a file?): {e}"
        ))),
        Err(e) => Err(e),
    }
}

fn unlink(dir: &Handle, name: &OsStr, is_dir: bool) -> io::Result<()> {
    if is_dir {
        dir.remove_dir(name)
    } else {
        dir.remove_file(name)
    }
}
