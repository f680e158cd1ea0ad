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
use std::path::{Component, Path, PathBuf};

use crate::dir::{self, Handle, Kind};

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

/// Sorts `items` by the path `path` gives, in `Path`'s own order (component
/// by component), comparing one byte string per item made once. Sorting
/// paths directly parses both paths' components again at every comparison:
/// the sorts of a trigger run's few thousand orphans and directories cost
/// more instructions than the rest of the run. Stable.
pub fn sort_by_path<T>(items: &mut [T], path: impl Fn(&T) -> &Path) {
    items.sort_by_cached_key(|item| path_key(path(item)));
}

/// Bytes that compare as `path` does: each component as a byte for its kind
/// (in `Component`'s order), its name, and a NUL, which no name holds and
/// which sorts a name before every longer name it begins.
fn path_key(path: &Path) -> Vec<u8> {
    let bytes = path.as_os_str().as_bytes();
    let mut key = Vec::with_capacity(bytes.len() + 8);
    // The paths sorted are plain (`/` and names): split at each `/`, the
    // same key without `Components`' parsing, which cost as much again.
    if let Some(parts) = plain_parts(bytes) {
        if bytes.starts_with(b"/") {
            key.extend_from_slice(&[2, 0]);
        }
        for name in parts {
            key.push(5);
            key.extend_from_slice(name);
            key.push(0);
        }
        return key;
    }
    for part in path.components() {
        let (kind, name): (u8, &[u8]) = match part {
            Component::Prefix(prefix) => (1, prefix.as_os_str().as_bytes()),
            Component::RootDir => (2, b""),
            Component::CurDir => (3, b""),
            Component::ParentDir => (4, b""),
            Component::Normal(name) => (5, name.as_bytes()),
        };
        key.push(kind);
        key.extend_from_slice(name);
        key.push(0);
    }
    key
}

/// The names of a path made of `/` and names only (absolute or not): no
/// empty, `.` or `..` component, no trailing `/`. `None` for anything else
/// (then `Path::components` says what it is).
pub fn plain_parts(bytes: &[u8]) -> Option<impl Iterator<Item = &[u8]>> {
    let rest = bytes.strip_prefix(b"/").unwrap_or(bytes);
    let plain = !rest.is_empty()
        && rest
            .split(|&b| b == b'/')
            .all(|name| !name.is_empty() && name != b"." && name != b"..");
    plain.then(|| rest.split(|&b| b == b'/'))
}

/// `dir.join(name)` for a plain file name (no `/`), in one allocation of
/// the right size (`join` grows its buffer as it goes).
pub fn join_name(dir: &Path, name: &OsStr) -> PathBuf {
    let dir = dir.as_os_str();
    let mut path = OsString::with_capacity(dir.len() + 1 + name.len());
    path.push(dir);
    if !dir.is_empty() && !dir.as_bytes().ends_with(b"/") {
        path.push("/");
    }
    path.push(name);
    PathBuf::from(path)
}

/// `path.strip_prefix(root).ok()`, by comparing bytes where both are plain
/// (see [`plain_parts`]); `strip_prefix` compares component by component
/// and was a third of a no-op scan's time in user space.
pub fn below<'p>(path: &'p Path, root: &Path) -> Option<&'p Path> {
    let (bytes, prefix) = (path.as_os_str().as_bytes(), root.as_os_str().as_bytes());
    if let Some(rest) = bytes
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix(b"/"))
    {
        if plain_parts(prefix).is_some() && plain_parts(rest).is_some() {
            return Some(Path::new(OsStr::from_bytes(rest)));
        }
    }
    path.strip_prefix(root).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_name_and_below_agree_with_std() {
        for dir in ["/a/b", "/a/b/", "a", "/", "/a//b", "/a/./b", ""] {
            for name in ["c.py", "__pycache__", ".x"] {
                let ours = join_name(Path::new(dir), OsStr::new(name));
                assert_eq!(ours, Path::new(dir).join(name));
                assert_eq!(ours.as_os_str(), Path::new(dir).join(name).as_os_str());
            }
        }
        for (path, root) in [
            ("/a/b/c", "/a/b"),
            ("/a/b", "/a/b"),
            ("/a/bc", "/a/b"),
            ("/a/b/c/", "/a/b"),
            ("/a//b/c", "/a/b"),
            ("/a/b/./c", "/a/b"),
            ("/a/b/c", "/a/b/"),
            ("/x/c", "/a/b"),
            ("/a/b/../c", "/a/b"),
            ("a/b", "a"),
        ] {
            let (path, root) = (Path::new(path), Path::new(root));
            assert_eq!(
                below(path, root),
                path.strip_prefix(root).ok(),
                "{path:?} {root:?}"
            );
        }
    }

    #[test]
    fn sort_by_path_is_path_order() {
        let names = [
            "/a/b",
            "/a-c",
            "/a",
            "/a/b/c",
            "/ab",
            "/a.b/c",
            "/a/.b",
            "/a//b/",
            "/a/b/",
            "a/b",
            "./a",
            "../a",
            "a/../b",
            "/",
            "/a/b-c",
            "/a/b/-",
            "/a/b\\xff",
            "/\u{e9}/x",
            "/A",
            "/a/b.py",
            "/a/b/__pycache__",
            "/a/b_",
            "",
        ];
        let mut ours: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        ours.reverse();
        let mut std_order = ours.clone();
        std_order.sort();
        sort_by_path(&mut ours, |p| p);
        assert_eq!(ours, std_order);
        for a in &std_order {
            for b in &std_order {
                assert_eq!(path_key(a).cmp(&path_key(b)), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
