//! Reading directories, the only way the engine looks at a tree.
//!
//! Each directory is read once through its [`Handle`] (opened relative to
//! its parent, links never followed) and its entries sorted into what the
//! rules care about ([`Listing`]). A trigger run reads only the directories
//! pkg touched and a few below them, one [`list`] each; a scan of a whole
//! site-packages walks each top-level subtree depth first ([`walk_tree`]),
//! handing each directory over after everything below it, so that whether it
//! can go is known from its children. Both use the one reader, [`list`].

use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::fs::dir::{self, Handle, Kind};

/// The name CPython gives its cache directories (PEP 3147).
pub const PYCACHE: &str = "__pycache__";

/// One directory's entries, sorted by what they mean for bytecode.
#[derive(Debug, Default)]
pub struct Listing {
    /// `*.py` files, regular or symlinks.
    pub sources: Vec<Entry>,
    /// Real subdirectories other than `__pycache__`, by name.
    pub subdirs: Vec<OsString>,
    /// Whether anything else is here: data files, sourceless `mod.pyc`,
    /// symlinks to directories, sockets... Such a directory is never removed.
    pub others: bool,
    /// The `__pycache__` entry, if any.
    pub cache: Option<Cache>,
}

/// A file entry: its name and whether it is a regular file (not a
/// symlink, FIFO, socket, device or directory).
#[derive(Debug)]
pub struct Entry {
    pub name: OsString,
    pub regular: bool,
}

/// What the `__pycache__` entry is.
#[derive(Debug)]
pub enum Cache {
    /// A real directory, with its entries (`regular` is false for links
    /// and anything else that is not a regular file).
    Dir(Vec<Entry>),
    /// A symlink or a non-directory named `__pycache__`: never read, never
    /// written through.
    NotDir,
}

impl Listing {
    /// Sorts in an entry other than `__pycache__`.
    fn add(&mut self, name: OsString, kind: Kind) {
        if kind == Kind::Dir {
            self.subdirs.push(name);
        } else if is_source_name(&name) && matches!(kind, Kind::File | Kind::Symlink) {
            self.sources.push(Entry {
                name,
                regular: kind == Kind::File,
            });
        } else {
            self.others = true;
        }
    }

    /// Whether the directory holds no file of its own (only subdirectories
    /// and perhaps a cache).
    pub fn holds_no_files(&self) -> bool {
        self.sources.is_empty() && !self.others
    }
}

/// Reads the directory `handle` (the one at `path`) and its `__pycache__`,
/// links listed, never followed.
pub fn list(handle: &Handle) -> io::Result<Listing> {
    let mut listing = Listing::default();
    for (name, kind) in handle.entries()? {
        if name != PYCACHE {
            listing.add(name, kind);
            continue;
        }
        listing.cache = Some(match kind {
            Kind::Dir => match handle.open_dir(&name) {
                Ok(cache) => Cache::Dir(
                    cache
                        .into_entries()?
                        .into_iter()
                        .map(|(name, kind)| Entry {
                            name,
                            regular: kind == Kind::File,
                        })
                        .collect(),
                ),
                // Removed since it was listed.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                // Swapped for a link or a file since it was listed.
                Err(e) if dir::is_not_dir(&e) => Cache::NotDir,
                Err(e) => return Err(e),
            },
            _ => Cache::NotDir,
        });
    }
    Ok(listing)
}

/// `NAME.py` with a non-empty NAME: what importlib's `SOURCE_SUFFIXES`
/// accepts on FreeBSD.
pub fn is_source_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 3 && bytes.ends_with(b".py")
}

/// What [`walk_tree`] calls for each directory: its path, its handle and
/// listing (or why it could not be read), and the values returned for its
/// subdirectories.
pub type Visit<'a, T> = dyn FnMut(&Path, Result<(&Handle, &Listing), io::Error>, Vec<T>) -> T + 'a;

/// Deepest nesting below a walk's top that is read. Each level holds one
/// descriptor open while the levels below it are read; a hostile tree
/// nested deeper is reported, not followed until descriptors run out.
pub const MAX_DEPTH: usize = 64;

/// Walks the directory `name` of `parent` (at `path`) and everything below
/// it, each directory opened relative to its parent without following
/// links, and calls `visit` once per directory, children before parents,
/// with its handle and listing (or why it could not be read) and what
/// `visit` returned for its subdirectories. Returns `visit`'s value for
/// the top. Directories inside a `__pycache__` are never entered.
pub fn walk_tree<T>(parent: &Handle, name: &OsStr, path: &Path, visit: &mut Visit<'_, T>) -> T {
    walk_at(parent, name, path, 0, visit)
}

fn walk_at<T>(
    parent: &Handle,
    name: &OsStr,
    path: &Path,
    depth: usize,
    visit: &mut Visit<'_, T>,
) -> T {
    if depth > MAX_DEPTH {
        let e = io::Error::other(format!("nested deeper than {MAX_DEPTH} directories"));
        return visit(path, Err(e), Vec::new());
    }
    let handle = match parent.open_dir(name) {
        Ok(handle) => handle,
        Err(e) => return visit(path, Err(e), Vec::new()),
    };
    let listing = match list(&handle) {
        Ok(listing) => listing,
        Err(e) => return visit(path, Err(e), Vec::new()),
    };
    let children = listing
        .subdirs
        .iter()
        .map(|sub| walk_at(&handle, sub, &path.join(sub), depth + 1, visit))
        .collect();
    visit(path, Ok((&handle, &listing)), children)
}
