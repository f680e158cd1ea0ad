//! Walking a subtree depth first through directory handles.
//!
//! Each directory is opened relative to its parent's [`Handle`], links never
//! followed, read once by the caller's [`Contents`], and handed over after
//! everything below it, so that whether it can go is known from its
//! children. What a directory's entries mean, and which subdirectories are
//! entered, is the caller's to say.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::Path;

use crate::fs::dir::Handle;

/// What [`walk_tree`] reads of each directory, through its handle, and
/// which of its subdirectories it then enters.
pub trait Contents: Sized {
    /// Reads the directory `handle`.
    fn read(handle: &Handle) -> io::Result<Self>;

    /// The subdirectories to walk into, by name.
    fn subdirs(&self) -> &[OsString];
}

/// What [`walk_tree`] calls for each directory: its path, its handle and
/// contents (or why it could not be read), and the values returned for its
/// subdirectories.
pub type Visit<'a, C, T> = dyn FnMut(&Path, Result<(&Handle, &C), io::Error>, Vec<T>) -> T + 'a;

/// Deepest nesting below a walk's top that is read. Each level holds one
/// descriptor open while the levels below it are read; a hostile tree
/// nested deeper is reported, not followed until descriptors run out.
pub const MAX_DEPTH: usize = 64;

/// Walks the directory `name` of `parent` (at `path`) and everything below
/// it, each directory opened relative to its parent without following
/// links, and calls `visit` once per directory, children before parents,
/// with its handle and contents (or why it could not be read) and what
/// `visit` returned for its subdirectories. Returns `visit`'s value for
/// the top. Only the subdirectories [`Contents::subdirs`] names are
/// entered.
pub fn walk_tree<C: Contents, T>(
    parent: &Handle,
    name: &OsStr,
    path: &Path,
    visit: &mut Visit<'_, C, T>,
) -> T {
    walk_at(parent, name, path, 0, visit)
}

fn walk_at<C: Contents, T>(
    parent: &Handle,
    name: &OsStr,
    path: &Path,
    depth: usize,
    visit: &mut Visit<'_, C, T>,
) -> T {
    if depth > MAX_DEPTH {
        let e = io::Error::other(format!("nested deeper than {MAX_DEPTH} directories"));
        return visit(path, Err(e), Vec::new());
    }
    let handle = match parent.open_dir(name) {
        Ok(handle) => handle,
        Err(e) => return visit(path, Err(e), Vec::new()),
    };
    let contents = match C::read(&handle) {
        Ok(contents) => contents,
        Err(e) => return visit(path, Err(e), Vec::new()),
    };
    let children = contents
        .subdirs()
        .iter()
        .map(|sub| walk_at(&handle, sub, &path.join(sub), depth + 1, visit))
        .collect();
    visit(path, Ok((&handle, &contents)), children)
}
