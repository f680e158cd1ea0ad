//! Reading one directory, the only way the engine looks at a tree.
//!
//! Each directory is read once (walkdir, one level, links never followed)
//! and its entries sorted into what the rules care about. A scan of a whole
//! site-packages reads each directory once; a trigger run reads only the
//! directories pkg touched and a few below them.

use std::ffi::{OsStr, OsString};
use std::io;
use std::path::Path;

use walkdir::WalkDir;

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

/// A file entry: its name and whether it is a symlink.
#[derive(Debug)]
pub struct Entry {
    pub name: OsString,
    pub symlink: bool,
}

/// What the `__pycache__` entry is.
#[derive(Debug)]
pub enum Cache {
    /// A real directory, with its entries (`symlink` marks links and
    /// anything that is not a regular file).
    Dir(Vec<Entry>),
    /// A symlink or a non-directory named `__pycache__`: never read, never
    /// written through.
    NotDir,
}

impl Listing {
    /// Whether the directory holds no file of its own (only subdirectories
    /// and perhaps a cache).
    pub fn holds_no_files(&self) -> bool {
        self.sources.is_empty() && !self.others
    }
}

/// Reads `dir`. A directory that does not exist (pkg's touched directories
/// after a delete) reads as `Ok(None)`.
pub fn list(dir: &Path) -> io::Result<Option<Listing>> {
    let mut listing = Listing::default();
    for entry in read(dir) {
        let Some(entry) = entry? else { return Ok(None) };
        let name = entry.file_name().to_os_string();
        let kind = entry.file_type();
        if name == PYCACHE {
            listing.cache = Some(if kind.is_dir() {
                let path = dir.join(PYCACHE);
                let mut files = Vec::new();
                for cached in read(&path) {
                    let Some(cached) = cached? else { break };
                    files.push(Entry {
                        name: cached.file_name().to_os_string(),
                        symlink: !cached.file_type().is_file(),
                    });
                }
                Cache::Dir(files)
            } else {
                Cache::NotDir
            });
        } else if kind.is_dir() {
            listing.subdirs.push(name);
        } else if is_source_name(&name) && (kind.is_file() || kind.is_symlink()) {
            listing.sources.push(Entry {
                name,
                symlink: kind.is_symlink(),
            });
        } else {
            listing.others = true;
        }
    }
    Ok(Some(listing))
}

/// `NAME.py` with a non-empty NAME: what importlib's `SOURCE_SUFFIXES`
/// accepts on FreeBSD.
pub fn is_source_name(name: &OsStr) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let bytes = name.as_bytes();
    bytes.len() > 3 && bytes.ends_with(b".py")
}

/// The entries of `dir`, one level, links not followed; `None` once when
/// `dir` does not exist.
fn read(dir: &Path) -> impl Iterator<Item = io::Result<Option<walkdir::DirEntry>>> {
    let mut missing = false;
    let walk = WalkDir::new(dir)
        .min_depth(1)
        .max_depth(1)
        .follow_links(false)
        .follow_root_links(false)
        .into_iter();
    walk.map_while(move |entry| {
        if missing {
            return None;
        }
        Some(match entry {
            Ok(entry) => Ok(Some(entry)),
            Err(e)
                if e.depth() == 0
                    && e.io_error().map(io::Error::kind) == Some(io::ErrorKind::NotFound) =>
            {
                missing = true;
                Ok(None)
            }
            Err(e) => Err(e
                .into_io_error()
                .unwrap_or_else(|| io::Error::other("file system loop"))),
        })
    })
}
