//! Reading directories, the only way the engine looks at a tree.
//!
//! Each directory is read once, links never followed, and its entries sorted
//! into what the rules care about ([`Listing`]). A trigger run reads only the
//! directories pkg touched and a few below them, one `read_dir` each
//! ([`list`]); a scan of a whole site-packages walks each top-level subtree
//! in one walkdir pass ([`walk_tree`]), handing each directory over after
//! everything below it, so that whether it can go is known from its children.

use std::ffi::{OsStr, OsString};
use std::fs::FileType;
use std::io;
use std::path::{Path, PathBuf};

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
    /// Sorts in an entry other than `__pycache__`.
    fn add(&mut self, name: OsString, kind: FileType) {
        if kind.is_dir() {
            self.subdirs.push(name);
        } else if is_source_name(&name) && (kind.is_file() || kind.is_symlink()) {
            self.sources.push(Entry {
                name,
                symlink: kind.is_symlink(),
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

/// Reads the one directory `dir` (links are listed, never followed). A
/// directory that does not exist (pkg's touched directories after a delete)
/// reads as `Ok(None)`.
pub fn list(dir: &Path) -> io::Result<Option<Listing>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut listing = Listing::default();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let kind = entry.file_type()?;
        if name != PYCACHE {
            listing.add(name, kind);
        } else if kind.is_dir() {
            let mut files = Vec::new();
            match std::fs::read_dir(entry.path()) {
                Ok(cached) => {
                    for file in cached {
                        let file = file?;
                        files.push(Entry {
                            name: file.file_name(),
                            symlink: !file.file_type()?.is_file(),
                        });
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            listing.cache = Some(Cache::Dir(files));
        } else {
            listing.cache = Some(Cache::NotDir);
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

/// What [`walk_tree`] calls for each directory: its path, its listing (or
/// why it could not be read), and the values returned for its subdirectories.
pub type Visit<'a, T> = dyn FnMut(&Path, Result<&Listing, io::Error>, Vec<T>) -> T + 'a;

/// A directory being read by [`walk_tree`].
struct Frame<T> {
    path: PathBuf,
    depth: usize,
    listing: Listing,
    /// What `visit` returned for each subdirectory, in walk order.
    children: Vec<T>,
    /// A `__pycache__` frame: its entries go to the parent's listing.
    cache: Option<Vec<Entry>>,
    /// The directory could not be read.
    error: Option<io::Error>,
}

impl<T> Frame<T> {
    fn new(path: PathBuf, depth: usize, cache: bool) -> Frame<T> {
        Frame {
            path,
            depth,
            listing: Listing::default(),
            children: Vec::new(),
            cache: cache.then(Vec::new),
            error: None,
        }
    }
}

/// Walks the directory `top` and everything below it in one walkdir pass,
/// links never followed, and calls `visit` once per directory, children
/// before parents, with its listing (or why it could not be read) and what
/// `visit` returned for its subdirectories. Returns `visit`'s value for
/// `top`. Directories inside a `__pycache__` are never entered.
pub fn walk_tree<T: Default>(top: &Path, visit: &mut Visit<'_, T>) -> T {
    let mut stack: Vec<Frame<T>> = Vec::new();
    let mut top_value = None;
    let mut finish = |frame: Frame<T>, stack: &mut Vec<Frame<T>>| {
        let Frame {
            path,
            listing,
            children,
            cache,
            error,
            ..
        } = frame;
        let parent = stack.last_mut();
        if let Some(files) = cache {
            if let Some(parent) = parent {
                parent.listing.cache = Some(Cache::Dir(files));
            }
            return;
        }
        let value = match error {
            Some(e) => visit(&path, Err(e), children),
            None => visit(&path, Ok(&listing), children),
        };
        match parent {
            Some(parent) => parent.children.push(value),
            None => top_value = Some(value),
        }
    };
    let mut walk = WalkDir::new(top)
        .follow_links(false)
        .follow_root_links(false)
        .into_iter();
    while let Some(next) = walk.next() {
        let depth = match &next {
            Ok(entry) => entry.depth(),
            // An unreadable directory reports at its own depth, after its entry.
            Err(e)
                if e.path()
                    .is_some_and(|p| stack.last().is_some_and(|f| f.path == p)) =>
            {
                let frame = stack.last_mut().expect("checked");
                frame.error = next.err().and_then(|e| e.into_io_error());
                if frame.error.is_none() {
                    frame.error = Some(io::Error::other("file system loop"));
                }
                continue;
            }
            Err(e) => e.depth(),
        };
        while stack.last().is_some_and(|f| f.depth >= depth) {
            let frame = stack.pop().expect("checked");
            finish(frame, &mut stack);
        }
        let entry = match next {
            Ok(entry) => entry,
            Err(_) => {
                // An entry that could not even be typed: keep its directory.
                if let Some(parent) = stack.last_mut() {
                    parent.listing.others = true;
                }
                continue;
            }
        };
        let kind = entry.file_type();
        let Some(parent) = stack.last_mut() else {
            if !kind.is_dir() {
                return T::default(); // `top` was swapped for a link or a file
            }
            stack.push(Frame::new(entry.into_path(), depth, false));
            continue;
        };
        let name = entry.file_name().to_os_string();
        if let Some(files) = &mut parent.cache {
            files.push(Entry {
                name,
                symlink: !kind.is_file(),
            });
            if kind.is_dir() {
                walk.skip_current_dir();
            }
        } else if name == PYCACHE {
            if kind.is_dir() {
                stack.push(Frame::new(entry.into_path(), depth, true));
            } else {
                parent.listing.cache = Some(Cache::NotDir);
            }
        } else if kind.is_dir() {
            parent.listing.subdirs.push(name);
            stack.push(Frame::new(entry.into_path(), depth, false));
        } else {
            parent.listing.add(name, kind);
        }
    }
    while let Some(frame) = stack.pop() {
        finish(frame, &mut stack);
    }
    top_value.unwrap_or_default()
}
