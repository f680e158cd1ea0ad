//! One directory's entries, sorted by what they mean for bytecode: sources,
//! subdirectories, its `__pycache__` (read along with it) and anything
//! else. The scan reads every directory it looks at this way, one
//! [`Listing`] each, alone or in a walk ([`walk::walk_tree`]).

use std::ffi::OsString;
use std::io;

use crate::bytecode::pyc::{PYCACHE, is_source_name};
use crate::fs::dir::{self, Handle, Kind};
use crate::fs::walk;

/// One directory's entries, sorted by what they mean for bytecode.
#[derive(Debug, Default)]
pub(super) struct Listing {
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
pub(super) struct Entry {
    pub name: OsString,
    pub regular: bool,
}

/// What the `__pycache__` entry is.
#[derive(Debug)]
pub(super) enum Cache {
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

impl walk::Contents for Listing {
    /// Reads the directory `handle` and its `__pycache__`, links listed,
    /// never followed.
    fn read(handle: &Handle) -> io::Result<Listing> {
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

    /// Real subdirectories but `__pycache__`: a walk never enters a cache.
    fn subdirs(&self) -> &[OsString] {
        &self.subdirs
    }
}
