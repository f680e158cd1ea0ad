//! `pycache explain PATH...`: what pycache makes of each file, for the
//! admin asking about a pyc that `pkg which` knows nothing of (once the
//! trigger makes the bytecode, packages ship none).
//!
//! Explain judges nothing of its own. It runs `check`'s scan on the
//! directories that hold the paths, each as a touched directory, keeping
//! every judgement (`ScanOptions::details`, src/run/scan.rs), so
//! the verdict it explains is the one `check` gives, made from the same
//! header read ([`pyc::examine`]). It adds what the scan leaves out: each
//! header field against what the source asks, whose a file is (this
//! interpreter's tag, another interpreter's, a sourceless module, a
//! leftover temporary file), and what `update` and `clean` do with it. It
//! reads the tree as the scan does, through directory handles: no link is
//! followed, no FIFO opened.
//!
//! A PATH is given as on the running system or on disk (below `--root`),
//! absolute or from the working directory. A directory stands for its own
//! sources, sourceless modules and `__pycache__` files, not for its
//! subdirectories (each is a PATH of its own); its other files (data,
//! extension modules) are not listed. A cache file named for a level of a
//! source that is not there yet is explained as that level, missing.
//!
//! # The explanation as JSON (`"schema": 1`, `"command": "explain"`)
//! Paths as in the report (`\udcXX` for bytes that are not UTF-8); a field
//! not read or not applying is `null`.
//! ```text
//! schema, command      1, "explain"
//! python               as in the report
//! levels               [int]        the levels kept
//! files                [File]       in the order of the PATHs, each file once
//! failures             [{path, reason}]   PATHs not explained
//! warnings, notes      [string]
//! interpreters_started int
//! exit_code            0 | 1 | 2
//!
//! File: path, type "file"|"directory"|"symlink"|"fifo"|"socket"|"device"|"absent",
//!   kind "source"|"bytecode"|"leftover"|"sourceless"|"cache"|"directory"|"other",
//!   state "fresh"|"missing"|"stale"|"orphan"|"prune"|"not_kept"|"empty"|"excluded"
//!         |"skipped"|"ignored"|"failed",
//!   reason string, in_sync bool, source PATH|null, tag string|null,
//!   owner "this"|"other"|null, version "3.12"|null, installed [flavor]|null,
//!   level int|null, header Header|null,
//!   levels [{level, path, type, state, reason, in_sync, header}]  a source's,
//!   notes [string]
//! Header: magic hex|null, magic_number int|null, magic_release "3.11"|null,
//!   expected_magic hex|null, flags int|null,
//!   mode "timestamp"|"checked-hash"|"unchecked-hash"|null,
//!   mtime, source_mtime, size, source_size int|null, hash, source_hash hex|null
//! ```

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use crate::bytecode::magic;
use crate::bytecode::pyc::{self, Header, InvalidationMode, Judgement, Magic, Verdict};
use crate::bytecode::pyc::{PYCACHE, is_source_name};
use crate::error::Failure;
use crate::exit::ExitCode;
use crate::fs::dir::{self, Cursor, Handle};
use crate::fs::path::join_name;
use crate::python::location::Location;
use crate::run::report::PythonInfo;
use crate::run::scan::{Judged, Plan, Skipped};
use crate::settings::flavor::Flavor;

/// What `explain` found: one entry per file, and the PATHs it could not
/// explain.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The interpreter and tree the files were judged for.
    pub python: PythonInfo,
    /// The optimization levels kept (those `check` judges).
    pub levels: Vec<u8>,
    /// One entry per file, in the order of the PATHs (a directory's in
    /// name order), each once.
    pub files: Vec<Explained>,
    /// PATHs that name nothing to explain (outside the tree, not there,
    /// behind a symlink), each with why and what to do.
    pub failures: Vec<Failure>,
    /// Worth saying (a configuration file ignored).
    pub warnings: Vec<String>,
    /// What verbose output adds (where the magic number came from...).
    pub notes: Vec<String>,
    /// Interpreters started: 0, or 1 when the magic number had to be asked,
    /// where `check` would ask too.
    pub interpreters_started: usize,
    /// As `check`'s: 0 everything explained is in sync, 1 something is
    /// missing, stale, orphaned, to prune or to remove, 2 a PATH names
    /// nothing to explain.
    pub exit_code: ExitCode,
}

/// One file explained.
#[derive(Clone, Debug)]
pub struct Explained {
    /// The file on disk.
    pub path: PathBuf,
    /// What the directory entry is (links never followed).
    pub file_type: FileType,
    /// What the file is to Python.
    pub kind: Kind,
    /// What `check` says of it, and so what `update` and `clean` do.
    pub state: State,
    /// Why, in words; empty when `state` says it all.
    pub reason: String,
    /// Bytecode and leftovers: the source the name belongs to (whether or
    /// not it is there); a sourceless module: the source that shadows it.
    pub source: Option<PathBuf>,
    /// The cache tag the name carries.
    pub tag: Option<String>,
    /// Whose the tag is.
    pub owner: Option<Owner>,
    /// The Python version the tag names (`3.12` for `cpython-312`).
    pub version: Option<String>,
    /// For another CPython's tag: the flavors of its version installed
    /// under the prefix (none is an empty list).
    pub installed: Option<Vec<String>>,
    /// The optimization level the name says.
    pub level: Option<u8>,
    /// The header as read, against what the source asks.
    pub header: Option<Fields>,
    /// A source: each level kept.
    pub levels: Vec<LevelExplained>,
    /// What happens to it next, and what to do.
    pub notes: Vec<String>,
}

/// One level of a source.
#[derive(Clone, Debug)]
pub struct LevelExplained {
    /// 0, 1 or 2.
    pub level: u8,
    /// Its cache file.
    pub path: PathBuf,
    /// What is at that name.
    pub file_type: FileType,
    /// `Fresh`, `Missing` or `Stale`.
    pub state: State,
    /// Why stale, or what stands at the name of a missing one.
    pub reason: String,
    /// The header as read, against what the source asks.
    pub header: Option<Fields>,
}

/// A pyc's header fields and what they were compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fields {
    /// The first four bytes, when the file has them.
    pub magic: Option<[u8; 4]>,
    /// The interpreter's magic number, when the file was judged for it.
    pub expected_magic: Option<[u8; 4]>,
    /// The whole header, when its magic number is the expected one.
    pub header: Option<Header>,
    /// What a timestamp header's mtime must be for the source (`None`:
    /// nothing matches, a 3.6 source dated outside 1970-2106).
    pub source_mtime: Option<u32>,
    /// What a timestamp header's size must be for the source.
    pub source_size: Option<u32>,
    /// The source's hash keyed with the magic number: what a hash-based
    /// header was compared with.
    pub source_hash: Option<[u8; 8]>,
}

/// What a directory entry is; links are never followed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// A symbolic link.
    Symlink,
    /// A FIFO.
    Fifo,
    /// A socket.
    Socket,
    /// A character or block device.
    Device,
    /// Nothing has the name.
    Absent,
}

impl FileType {
    /// `file`, `directory`, `symlink`, `fifo`, `socket`, `device` or
    /// `absent`, as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            FileType::File => "file",
            FileType::Directory => "directory",
            FileType::Symlink => "symlink",
            FileType::Fifo => "fifo",
            FileType::Socket => "socket",
            FileType::Device => "device",
            FileType::Absent => "absent",
        }
    }

    /// The entry `name` of `dir`, without following a link.
    fn of(dir: &Handle, name: &OsStr) -> io::Result<FileType> {
        use rustix::fs::FileType as T;
        let stat = match dir.stat(name) {
            Ok(stat) => stat,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(FileType::Absent),
            Err(e) => return Err(e),
        };
        Ok(match T::from_raw_mode(stat.st_mode as _) {
            T::RegularFile => FileType::File,
            T::Directory => FileType::Directory,
            T::Symlink => FileType::Symlink,
            T::Fifo => FileType::Fifo,
            T::Socket => FileType::Socket,
            _ => FileType::Device,
        })
    }

    /// `a symlink`, `a FIFO`...
    fn noun(self) -> &'static str {
        match self {
            FileType::File => "a regular file",
            FileType::Directory => "a directory",
            FileType::Symlink => "a symlink",
            FileType::Fifo => "a FIFO",
            FileType::Socket => "a socket",
            FileType::Device => "a device",
            FileType::Absent => "nothing",
        }
    }

    /// What an admin reads for a file that is not a regular one.
    fn words(self) -> &'static str {
        match self {
            FileType::File => "a regular file",
            FileType::Directory => "a directory",
            FileType::Symlink => "a symlink, never followed",
            FileType::Fifo => "a FIFO, never opened",
            FileType::Socket => "a socket, never opened",
            FileType::Device => "a device, never opened",
            FileType::Absent => "not there",
        }
    }
}

/// What a file is to Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `NAME.py`.
    Source,
    /// `__pycache__/NAME.TAG[.opt-N].pyc`.
    Bytecode,
    /// `__pycache__/NAME.TAG[.opt-N].pyc.DIGITS[.DIGITS]`: a temporary
    /// file an interrupted write left.
    Leftover,
    /// `NAME.pyc` outside `__pycache__`: a module without source.
    Sourceless,
    /// A `__pycache__` directory (or what has its name).
    Cache,
    /// A directory.
    Directory,
    /// Anything else.
    Other,
}

impl Kind {
    /// `source`, `bytecode`, `leftover`, `sourceless`, `cache`,
    /// `directory` or `other`, as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Source => "source",
            Kind::Bytecode => "bytecode",
            Kind::Leftover => "leftover",
            Kind::Sourceless => "sourceless",
            Kind::Cache => "cache",
            Kind::Directory => "directory",
            Kind::Other => "other",
        }
    }
}

/// Whose a cache tag is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// This interpreter's.
    This,
    /// Another interpreter's.
    Other,
}

impl Owner {
    /// `this` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Owner::This => "this",
            Owner::Other => "other",
        }
    }
}

/// What `check` says of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// importlib uses it (a source: at every level kept).
    Fresh,
    /// A level's pyc is not there (or is not a regular file).
    Missing,
    /// importlib would compile the source again.
    Stale,
    /// This interpreter's bytecode (or leftover) whose source is gone:
    /// `update` and `clean` remove it.
    Orphan,
    /// This interpreter's bytecode of a level not kept, with
    /// `prune_levels`: `update` and `clean` remove it.
    Prune,
    /// This interpreter's bytecode of a level not kept: left alone.
    NotKept,
    /// A cache or directory `update` and `clean` remove, as it holds
    /// nothing else.
    Empty,
    /// A source `exclude` keeps from being compiled.
    Excluded,
    /// A source the scan does not judge: a symlink leading outside the
    /// tree or to nothing.
    Skipped,
    /// Not this interpreter's to manage: left alone.
    Ignored,
    /// `check` reports a problem with it.
    Failed,
}

impl State {
    /// As JSON spells it: `fresh`, `missing`, `stale`, `orphan`, `prune`,
    /// `not_kept`, `empty`, `excluded`, `skipped`, `ignored`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Fresh => "fresh",
            State::Missing => "missing",
            State::Stale => "stale",
            State::Orphan => "orphan",
            State::Prune => "prune",
            State::NotKept => "not_kept",
            State::Empty => "empty",
            State::Excluded => "excluded",
            State::Skipped => "skipped",
            State::Ignored => "ignored",
            State::Failed => "failed",
        }
    }

    /// Whether `check` counts it as in sync (exit 0).
    pub fn in_sync(self) -> bool {
        !matches!(
            self,
            State::Missing
                | State::Stale
                | State::Orphan
                | State::Prune
                | State::Empty
                | State::Failed
        )
    }

    /// The words a block starts with.
    fn words(self) -> &'static str {
        match self {
            State::Fresh => "fresh",
            State::Missing => "missing",
            State::Stale => "stale",
            State::Orphan => "orphan",
            State::Prune => "to prune",
            State::NotKept => "not kept",
            State::Empty => "to remove",
            State::Excluded => "excluded",
            State::Skipped => "not judged",
            State::Ignored => "left alone",
            State::Failed => "failed",
        }
    }
}

impl Explained {
    fn new(path: PathBuf, file_type: FileType, kind: Kind) -> Explained {
        Explained {
            path,
            file_type,
            kind,
            state: State::Ignored,
            reason: String::new(),
            source: None,
            tag: None,
            owner: None,
            version: None,
            installed: None,
            level: None,
            header: None,
            levels: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn set(&mut self, state: State, reason: impl Into<String>) {
        self.state = state;
        self.reason = reason.into();
    }
}

/// A PATH, resolved inside the tree.
pub(crate) enum Asked {
    /// A directory (on disk): its files and its cache's.
    Dir(PathBuf),
    /// The `__pycache__` of this directory: its files.
    Cache(PathBuf),
    /// One file of `dir`, or of its `__pycache__` (`in_cache`).
    File {
        dir: PathBuf,
        name: OsString,
        in_cache: bool,
        file_type: FileType,
    },
    /// Something inside a directory below a `__pycache__`, which Python
    /// never reads.
    Inside { path: PathBuf, file_type: FileType },
}

impl Asked {
    /// The directory the scan must examine for it.
    fn dir(&self) -> Option<&Path> {
        match self {
            Asked::Dir(dir) | Asked::Cache(dir) | Asked::File { dir, .. } => Some(dir),
            Asked::Inside { .. } => None,
        }
    }
}

/// A PATH that names nothing to explain.
pub(crate) struct Unexplained {
    failure: Failure,
    /// A PATH that is wrong (outside the tree, not there): exit 2; else a
    /// directory on the way could not be read: exit 1, as `check`.
    usage: bool,
}

impl Unexplained {
    fn usage(path: &Path, reason: String) -> Unexplained {
        Unexplained {
            failure: Failure::new(path, reason),
            usage: true,
        }
    }
}

/// What explaining needs of the run.
pub(crate) struct Context<'a> {
    /// The tree.
    pub location: &'a Location,
    /// This interpreter's cache tag.
    pub tag: &'a str,
    /// Its version, `3.11`.
    pub version: String,
    /// Its magic number.
    pub magic: Magic,
    /// The levels kept.
    pub levels: &'a [u8],
    /// The prefix flavors are installed under, as the running system
    /// spells it, and on disk.
    pub prefix: (&'a Path, PathBuf),
}

/// Resolves each PATH: the directories on the way are opened from the
/// site-packages one at a time without following links.
pub(crate) fn resolve(ctx: &Context, paths: &[PathBuf]) -> Vec<Result<Asked, Unexplained>> {
    let root_path = &ctx.location.dir;
    let root = match Handle::open_root(root_path) {
        Ok(root) => root,
        Err(e) => {
            let reason = format!("cannot open {}: {e}", root_path.display());
            return (paths.iter())
                .map(|p| {
                    Err(Unexplained {
                        failure: Failure::new(p, reason.clone()),
                        usage: false,
                    })
                })
                .collect();
        }
    };
    let mut cursor = Cursor::new(&root, root_path);
    paths
        .iter()
        .map(|given| resolve_one(ctx, &mut cursor, given))
        .collect()
}

fn resolve_one(ctx: &Context, cursor: &mut Cursor, given: &Path) -> Result<Asked, Unexplained> {
    let location = ctx.location;
    let abs = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
    let below = |path: &Path| -> Option<PathBuf> {
        let rel = (path.strip_prefix(&location.runtime))
            .or_else(|_| path.strip_prefix(&location.dir))
            .ok()?;
        let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
        plain.then(|| rel.to_path_buf())
    };
    // As written, so that a symlink inside the tree is met (and named)
    // below; else with `..` and the symlinks outside the tree resolved
    // (`/home` on FreeBSD), the last component kept as it is.
    let rel = below(&abs).or_else(|| {
        let parent = abs.parent()?.canonicalize().ok()?;
        below(&join_name(&parent, abs.file_name()?))
    });
    let Some(rel) = rel else {
        return Err(Unexplained::usage(given, not_in_tree(ctx, &abs)));
    };
    let rel = rel.as_path();
    let on_disk = location.dir.join(rel);
    let names: Vec<&OsStr> = rel.iter().collect();
    let Some((last, parents)) = names.split_last() else {
        return Ok(Asked::Dir(on_disk));
    };
    let parent = on_disk.parent().unwrap_or(&location.dir).to_path_buf();
    let handle = cursor
        .open(&parent)
        .map_err(|e| on_the_way(ctx, given, rel, &e))?;
    let file_type = FileType::of(handle, last).map_err(|e| Unexplained {
        failure: Failure::new(given, format!("cannot stat: {e}")),
        usage: false,
    })?;
    let in_cache = parents.last() == Some(&OsStr::new(PYCACHE));
    let deeper = parents
        .iter()
        .rev()
        .skip(1)
        .any(|n| *n == OsStr::new(PYCACHE));
    if deeper || (in_cache && file_type == FileType::Directory) {
        return Ok(Asked::Inside {
            path: on_disk,
            file_type,
        });
    }
    if file_type == FileType::Directory {
        return Ok(if *last == OsStr::new(PYCACHE) {
            Asked::Cache(parent)
        } else {
            Asked::Dir(on_disk)
        });
    }
    let dir = if in_cache {
        parent.parent().unwrap_or(&location.dir).to_path_buf()
    } else {
        parent
    };
    Ok(Asked::File {
        dir,
        name: last.to_os_string(),
        in_cache,
        file_type,
    })
}

/// Why a PATH outside the tree is not explained, and what to do: with
/// the flavor whose site-packages it is in, when its path says.
fn not_in_tree(ctx: &Context, abs: &Path) -> String {
    let names: Vec<&OsStr> = abs.iter().collect();
    let flavor = names.windows(2).find_map(|pair| {
        let lib = pair[0].to_str()?.strip_prefix("python")?;
        (pair[1] == "site-packages")
            .then(|| Flavor::parse(&format!("py{}", lib.replacen('.', "", 1))).ok())
            .flatten()
    });
    let hint = match flavor {
        Some(flavor) if flavor.version() != ctx.version => {
            format!("; it is in a site-packages of {flavor}: give --flavor {flavor}")
        }
        _ => "; give a path below it, or select the tree that holds it \
              (--flavor, --python, --site-packages, --root)"
            .to_string(),
    };
    format!(
        "not in {} (Python {}'s site-packages){hint}",
        ctx.location.runtime.display(),
        ctx.version
    )
}

/// Why a PATH whose directories cannot be opened one by one is not
/// explained: a symlink on the way (named, never followed), a file, or
/// nothing.
fn on_the_way(ctx: &Context, given: &Path, rel: &Path, e: &io::Error) -> Unexplained {
    if dir::is_not_dir(e) {
        // Which component: looked up by path only to say so.
        let mut at = ctx.location.dir.clone();
        for name in rel.parent().into_iter().flat_map(Path::iter) {
            at.push(name);
            match at.symlink_metadata() {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Unexplained::usage(
                        given,
                        format!(
                            "behind the symlink {}, which pycache never follows; \
                             give the path it leads to",
                            at.display()
                        ),
                    );
                }
                Ok(meta) if !meta.is_dir() => {
                    return Unexplained::usage(
                        given,
                        format!("{} is not a directory", at.display()),
                    );
                }
                _ => {}
            }
        }
    }
    if e.kind() == io::ErrorKind::NotFound {
        return Unexplained::usage(given, "no such file or directory".into());
    }
    Unexplained {
        failure: Failure::new(given, format!("cannot open its directory: {e}")),
        usage: false,
    }
}

/// The directories the scan examines for `asked`.
pub(crate) fn touched(asked: &[Result<Asked, Unexplained>]) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = (asked.iter())
        .filter_map(|a| a.as_ref().ok()?.dir().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

/// The entries of a directory and of its `__pycache__`, read through
/// handles.
struct View {
    entries: Vec<(OsString, FileType)>,
    cache: CacheView,
}

enum CacheView {
    Absent,
    NotDir(FileType),
    Dir(Vec<(OsString, FileType)>),
    Unreadable(String),
}

impl View {
    fn read(cursor: &mut Cursor, dir: &Path) -> io::Result<View> {
        let handle = cursor.open(dir)?;
        let mut entries = typed(handle, handle.entries()?)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let at = entries.iter().find(|(n, _)| n == PYCACHE).map(|(_, t)| *t);
        let cache = match at {
            None => CacheView::Absent,
            Some(FileType::Directory) => match handle.open_dir(OsStr::new(PYCACHE)) {
                Ok(cache) => match cache.entries().and_then(|e| typed(&cache, e)) {
                    Ok(mut files) => {
                        files.sort_by(|a, b| a.0.cmp(&b.0));
                        CacheView::Dir(files)
                    }
                    Err(e) => CacheView::Unreadable(e.to_string()),
                },
                Err(e) if dir::is_not_dir(&e) => CacheView::NotDir(FileType::Symlink),
                Err(e) => CacheView::Unreadable(e.to_string()),
            },
            Some(other) => CacheView::NotDir(other),
        };
        Ok(View { entries, cache })
    }

    /// Whether `name` is a source here as the scan sees one: `NAME.py`,
    /// a regular file or a symlink.
    fn is_source(&self, name: &OsStr) -> bool {
        (self
            .entries
            .binary_search_by(|(n, _)| n.as_os_str().cmp(name)))
        .is_ok_and(|at| matches!(self.entries[at].1, FileType::File | FileType::Symlink))
    }

    /// What is at `name` in the cache.
    fn cached(&self, name: &OsStr) -> FileType {
        match &self.cache {
            CacheView::Dir(files) => files
                .binary_search_by(|(n, _)| n.as_os_str().cmp(name))
                .map_or(FileType::Absent, |at| files[at].1),
            _ => FileType::Absent,
        }
    }
}

/// Entries with precise types: the listing's kinds, a FIFO or socket
/// told apart by a `stat` that follows no link.
fn typed(
    dir: &Handle,
    entries: Vec<(OsString, dir::Kind)>,
) -> io::Result<Vec<(OsString, FileType)>> {
    entries
        .into_iter()
        .map(|(name, kind)| {
            let t = match kind {
                dir::Kind::Dir => FileType::Directory,
                dir::Kind::File => FileType::File,
                dir::Kind::Symlink => FileType::Symlink,
                dir::Kind::Other => FileType::of(dir, &name)?,
            };
            Ok((name, t))
        })
        .collect()
}

/// What the scan found, looked up by path.
struct Found<'p> {
    judged: HashMap<&'p Path, &'p Judged>,
    skipped: HashMap<&'p Path, Skipped>,
    problems: HashMap<&'p Path, &'p str>,
    orphans: HashSet<&'p Path>,
    unkept: HashSet<&'p Path>,
    empty: HashSet<&'p Path>,
}

impl<'p> Found<'p> {
    fn new(plan: &'p Plan) -> Found<'p> {
        Found {
            judged: (plan.judged.iter())
                .map(|j| (j.source.as_path(), j))
                .collect(),
            skipped: (plan.skipped.iter())
                .map(|(p, why)| (p.as_path(), *why))
                .collect(),
            problems: (plan.problems.iter())
                .map(|f| (f.path.as_path(), f.reason.as_str()))
                .collect(),
            orphans: plan.orphans.iter().map(PathBuf::as_path).collect(),
            unkept: plan.unkept.iter().map(PathBuf::as_path).collect(),
            empty: (plan.empty_caches.iter())
                .chain(&plan.empty_dirs)
                .map(PathBuf::as_path)
                .collect(),
        }
    }
}

/// The explanation of every PATH, from the scan of [`touched`]
/// directories: files, the PATHs not explained, and the exit code.
pub(crate) fn explain(
    ctx: &Context,
    asked: Vec<Result<Asked, Unexplained>>,
    plan: &Plan,
) -> (Vec<Explained>, Vec<Failure>, ExitCode) {
    let root_path = &ctx.location.dir;
    let root = Handle::open_root(root_path);
    let mut explainer = Explainer {
        ctx,
        found: Found::new(plan),
        cursor: root.as_ref().ok().map(|root| Cursor::new(root, root_path)),
        views: HashMap::new(),
        installed: None,
        files: Vec::new(),
        seen: HashSet::new(),
    };
    let mut failures = Vec::new();
    let mut usage = false;
    for asked in asked {
        match asked {
            Ok(Asked::Dir(dir)) => explainer.dir(&dir),
            Ok(Asked::Cache(dir)) => explainer.cache_dir(&dir, false),
            Ok(Asked::File {
                dir,
                name,
                in_cache,
                file_type,
            }) => {
                let explained = if in_cache {
                    explainer.cache_file(&dir, &name, file_type)
                } else {
                    explainer.file(&dir, &name, file_type)
                };
                match explained {
                    Some(explained) => explainer.push(explained),
                    None => {
                        let path = match in_cache {
                            true => dir.join(PYCACHE).join(&name),
                            false => dir.join(&name),
                        };
                        usage = true;
                        failures.push(Failure::new(&path, "no such file or directory".into()));
                    }
                }
            }
            Ok(Asked::Inside { path, file_type }) => {
                let mut e = Explained::new(path, file_type, Kind::Other);
                e.set(
                    State::Ignored,
                    "inside a directory below __pycache__, which Python never reads",
                );
                explainer.push(e);
            }
            Err(unexplained) => {
                usage |= unexplained.usage;
                failures.push(unexplained.failure);
            }
        }
    }
    let files = explainer.files;
    let exit_code = if usage {
        ExitCode::Usage
    } else if !failures.is_empty() || files.iter().any(|f| !f.state.in_sync()) {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    };
    (files, failures, exit_code)
}

struct Explainer<'c, 'p, 'r> {
    ctx: &'c Context<'c>,
    found: Found<'p>,
    /// `None` when the site-packages cannot be opened (the scan said so
    /// first).
    cursor: Option<Cursor<'r>>,
    views: HashMap<PathBuf, Result<View, String>>,
    /// The flavors installed under the prefix, once asked.
    installed: Option<Vec<Flavor>>,
    files: Vec<Explained>,
    seen: HashSet<PathBuf>,
}

impl Explainer<'_, '_, '_> {
    fn push(&mut self, explained: Explained) {
        if self.seen.insert(explained.path.clone()) {
            self.files.push(explained);
        }
    }

    /// The listing of `dir`, read once.
    fn view(&mut self, dir: &Path) -> Result<&View, &str> {
        if !self.views.contains_key(dir) {
            let view = match &mut self.cursor {
                Some(cursor) => View::read(cursor, dir).map_err(|e| e.to_string()),
                None => Err("the site-packages cannot be opened".into()),
            };
            self.views.insert(dir.to_path_buf(), view);
        }
        self.views[dir].as_ref().map_err(String::as_str)
    }

    /// A directory: its own entry when it is to go, its sources and
    /// sourceless modules, then its cache and the cache's files that no
    /// source's levels cover.
    fn dir(&mut self, dir: &Path) {
        let view = match self.view(dir) {
            Ok(view) => view,
            Err(e) => {
                let mut explained =
                    Explained::new(dir.into(), FileType::Directory, Kind::Directory);
                explained.set(State::Failed, format!("cannot read directory: {e}"));
                return self.push(explained);
            }
        };
        let names: Vec<(OsString, FileType)> = view.entries.clone();
        if self.found.empty.contains(dir) {
            let mut explained = Explained::new(dir.into(), FileType::Directory, Kind::Directory);
            explained.set(
                State::Empty,
                "it holds nothing but caches that go, and goes with them",
            );
            explained
                .notes
                .push("pycache update and pycache clean remove it".into());
            self.push(explained);
        }
        for (name, file_type) in &names {
            let bytes = name.as_bytes();
            let listed = (is_source_name(name)
                && matches!(file_type, FileType::File | FileType::Symlink))
                || (bytes.len() > 4
                    && bytes.ends_with(b".pyc")
                    && *file_type != FileType::Directory);
            if listed {
                if let Some(explained) = self.file(dir, name, *file_type) {
                    self.push(explained);
                }
            }
        }
        self.cache_dir(dir, true);
    }

    /// The `__pycache__` of `dir`: its own entry when it is not a
    /// directory or is to go, then its files; `of_dir`: as part of `dir`,
    /// leaving out the files its sources' levels cover.
    fn cache_dir(&mut self, dir: &Path, of_dir: bool) {
        let path = dir.join(PYCACHE);
        let (files, problem) = match self.view(dir) {
            Ok(view) => match &view.cache {
                CacheView::Absent if of_dir => return,
                CacheView::Absent => (None, Some((FileType::Absent, String::new()))),
                CacheView::NotDir(t) => (None, Some((*t, String::new()))),
                CacheView::Dir(files) => (Some(files.clone()), None),
                CacheView::Unreadable(e) => (None, Some((FileType::Directory, e.clone()))),
            },
            Err(e) => (None, Some((FileType::Absent, e.to_string()))),
        };
        if let Some((file_type, error)) = problem {
            let mut explained = Explained::new(path.clone(), file_type, Kind::Cache);
            match (file_type, self.found.problems.get(path.as_path())) {
                (FileType::Absent, _) if error.is_empty() => {
                    explained.set(State::Ignored, "not there: no source here is compiled yet");
                }
                (_, Some(problem)) => explained.set(State::Failed, *problem),
                _ if !error.is_empty() => {
                    explained.set(State::Failed, format!("cannot read directory: {error}"));
                }
                _ => explained.set(
                    State::Ignored,
                    format!(
                        "{}, not a directory: nothing is compiled into it",
                        file_type.words()
                    ),
                ),
            }
            return self.push(explained);
        }
        if self.found.empty.contains(path.as_path()) {
            let mut explained = Explained::new(path.clone(), FileType::Directory, Kind::Cache);
            explained.set(
                State::Empty,
                "it holds nothing but this interpreter's orphans, and no source is beside it",
            );
            explained
                .notes
                .push("pycache update and pycache clean remove it".into());
            self.push(explained);
        }
        for (name, file_type) in files.unwrap_or_default() {
            if of_dir && self.covered(dir, &name) {
                continue;
            }
            if let Some(explained) = self.cache_file(dir, &name, file_type) {
                self.push(explained);
            }
        }
    }

    /// Whether the cache file `name` of `dir` is a level kept of a source
    /// of `dir`, which the source's entry explains.
    fn covered(&mut self, dir: &Path, name: &OsStr) -> bool {
        let tag = self.ctx.tag;
        let (Some(stem), Some(level)) = (pyc::cache_stem(name, tag), pyc::cache_level(name, tag))
        else {
            return false;
        };
        let source = source_name(stem);
        self.ctx.levels.contains(&level) && self.view(dir).is_ok_and(|v| v.is_source(&source))
    }

    /// A file outside `__pycache__`: a source, a sourceless module, or
    /// something else; `None` when nothing has the name.
    fn file(&mut self, dir: &Path, name: &OsStr, file_type: FileType) -> Option<Explained> {
        let path = join_name(dir, name);
        let bytes = name.as_bytes();
        if is_source_name(name) && matches!(file_type, FileType::File | FileType::Symlink) {
            return Some(self.source(dir, path));
        }
        let mut explained = Explained::new(path.clone(), file_type, Kind::Other);
        if file_type == FileType::Absent {
            return None;
        }
        if let Some(stem) = bytes.strip_suffix(b".pyc").filter(|s| !s.is_empty()) {
            let stem = OsStr::from_bytes(stem);
            let source = source_name(stem);
            explained.kind = Kind::Sourceless;
            let shadowed = self.view(dir).is_ok_and(|v| v.is_source(&source));
            if shadowed {
                explained.set(
                    State::Ignored,
                    format!(
                        "a module without source, shadowed by {}: Python imports that instead",
                        Path::new(&source).display()
                    ),
                );
                explained.source = Some(join_name(dir, &source));
            } else {
                explained.set(
                    State::Ignored,
                    format!(
                        "a module without source: Python imports it as {}",
                        Path::new(stem).display()
                    ),
                );
            }
            if file_type != FileType::File {
                explained.reason = format!("{}; {}", file_type.words(), explained.reason);
            }
            explained.header = self.magic_only(dir, name, file_type);
            explained
                .notes
                .push("not bytecode pycache manages (that is only in __pycache__)".into());
            return Some(explained);
        }
        let what = if is_source_name(name) {
            format!(
                "named like a source but {}: nothing Python imports",
                file_type.words()
            )
        } else if file_type == FileType::File {
            "not a Python source or bytecode".to_string()
        } else {
            format!("{}: not a Python source or bytecode", file_type.words())
        };
        explained.set(State::Ignored, what);
        Some(explained)
    }

    /// A source: each level kept, as the scan judged it.
    fn source(&mut self, dir: &Path, path: PathBuf) -> Explained {
        let file_type = self
            .view(dir)
            .ok()
            .and_then(|v| {
                let name = path.file_name()?;
                let at = v
                    .entries
                    .binary_search_by(|(n, _)| n.as_os_str().cmp(name))
                    .ok()?;
                Some(v.entries[at].1)
            })
            .unwrap_or(FileType::File);
        let mut explained = Explained::new(path.clone(), file_type, Kind::Source);
        explained.tag = Some(self.ctx.tag.to_string());
        explained.owner = Some(Owner::This);
        explained.version = Some(self.ctx.version.clone());
        if let Some(why) = self.found.skipped.get(path.as_path()) {
            match why {
                Skipped::Excluded => explained.set(
                    State::Excluded,
                    "its path matches an exclude pattern: check and update leave it alone",
                ),
                Skipped::LinkOutside => explained.set(
                    State::Skipped,
                    "a symlink to outside the tree or to nothing: check and update leave it alone",
                ),
                Skipped::Uncompiled => explained.set(
                    State::Excluded,
                    "CPython's own install leaves it uncompiled (test data): check and update \
                     leave it alone",
                ),
            }
            return explained;
        }
        if let Some(problem) = self.found.problems.get(path.as_path()) {
            explained.set(State::Failed, *problem);
            return explained;
        }
        let Some(judged) = self.found.judged.get(path.as_path()).copied() else {
            explained.set(
                State::Failed,
                "not judged: it changed while it was looked at",
            );
            return explained;
        };
        let mut compiled = Vec::new();
        for (level, cfile, judgement) in &judged.levels {
            let at = self.view(dir).map_or(FileType::Absent, |v| {
                v.cached(cfile.file_name().unwrap_or_default())
            });
            let level = self.level(judged, *level, cfile, judgement, at);
            if level.state != State::Fresh {
                compiled.push(level.level);
            }
            explained.levels.push(level);
        }
        // `stale at levels 0 and 1, missing at level 2`: the worst first.
        let at = |state: State| -> Vec<u8> {
            (explained.levels.iter())
                .filter(|l| l.state == state)
                .map(|l| l.level)
                .collect()
        };
        let (stale, missing) = (at(State::Stale), at(State::Missing));
        let mut parts = Vec::new();
        for (state, levels) in [(State::Stale, &stale), (State::Missing, &missing)] {
            if !levels.is_empty() {
                parts.push(format!("{} at {}", state.words(), levels_words(levels)));
            }
        }
        let worst = match (stale.is_empty(), missing.is_empty()) {
            (false, _) => State::Stale,
            (true, false) => State::Missing,
            (true, true) => State::Fresh,
        };
        explained.set(worst, parts.join(", "));
        let cache = dir.join(PYCACHE);
        let blocking: Vec<String> = (explained.levels.iter())
            .filter(|l| !matches!(l.file_type, FileType::File | FileType::Absent))
            .map(|l| blocked(l.level, l.file_type))
            .collect();
        if let Some(problem) = self.found.problems.get(cache.as_path()) {
            explained
                .notes
                .push(format!("{}: {problem}", cache.display()));
        } else if !blocking.is_empty() {
            explained.notes.extend(blocking);
        } else if !compiled.is_empty() {
            explained.notes.push(format!(
                "pycache update compiles {}",
                levels_words(&compiled)
            ));
        }
        explained
    }

    /// One level of a judged source.
    fn level(
        &mut self,
        judged: &Judged,
        level: u8,
        cfile: &Path,
        judgement: &Judgement,
        file_type: FileType,
    ) -> LevelExplained {
        // The reason is `check`'s to the letter; what stands at the name
        // of a missing one is its type (and the words say it).
        let (state, reason) = match &judgement.verdict {
            Verdict::Fresh => (State::Fresh, String::new()),
            Verdict::Missing => (State::Missing, String::new()),
            Verdict::Stale(why) => (State::Stale, why.to_string()),
        };
        LevelExplained {
            level,
            path: cfile.to_path_buf(),
            file_type,
            state,
            reason,
            header: self.fields(judged, judgement),
        }
    }

    /// The fields of a judged pyc against its source.
    fn fields(&self, judged: &Judged, judgement: &Judgement) -> Option<Fields> {
        let magic = self.ctx.magic;
        judgement.magic?;
        let mut fields = Fields {
            magic: judgement.magic,
            expected_magic: Some(magic.bytes),
            header: judgement.header,
            source_mtime: None,
            source_size: None,
            source_hash: judgement.source_hash,
        };
        if judgement.header.and_then(|h| h.mode()) == Some(InvalidationMode::Timestamp) {
            fields.source_mtime = judged.stamp.mtime_field(magic.minor);
            fields.source_size = Some(judged.stamp.size_field());
        }
        Some(fields)
    }

    /// The magic number of a pyc not judged for this interpreter (another
    /// tag's, a sourceless module), read through its directory's handle
    /// when it is a regular file.
    fn magic_only(&mut self, dir: &Path, name: &OsStr, file_type: FileType) -> Option<Fields> {
        if file_type != FileType::File {
            return None;
        }
        let handle = self.cursor.as_mut()?.open(dir).ok()?;
        let (mut file, _) = handle.open_file(name, false).ok()?;
        let mut buf = [0u8; 4];
        let got = pyc::read_up_to(&mut file, &mut buf).ok()?;
        (got == 4).then_some(Fields {
            magic: Some(buf),
            expected_magic: None,
            header: None,
            source_mtime: None,
            source_size: None,
            source_hash: None,
        })
    }

    /// A file in `dir`'s `__pycache__`; `None` when nothing has the name
    /// and it names no level of a source here.
    fn cache_file(&mut self, dir: &Path, name: &OsStr, file_type: FileType) -> Option<Explained> {
        let ctx = self.ctx;
        let cache = dir.join(PYCACHE);
        let path = join_name(&cache, name);
        let mut explained = Explained::new(path.clone(), file_type, Kind::Bytecode);
        if let Some(stem) = pyc::cache_stem(name, ctx.tag) {
            let source = join_name(dir, &source_name(stem));
            let there = self
                .view(dir)
                .is_ok_and(|v| v.is_source(&source_name(stem)));
            let level = pyc::cache_level(name, ctx.tag);
            explained.source = Some(source.clone());
            explained.tag = Some(ctx.tag.to_string());
            explained.owner = Some(Owner::This);
            explained.version = Some(ctx.version.clone());
            explained.level = level;
            if self.found.orphans.contains(path.as_path()) {
                explained.set(
                    State::Orphan,
                    format!("its source {} is not there", source.display()),
                );
                explained
                    .notes
                    .push("pycache update and pycache clean remove it".into());
                return Some(explained);
            }
            if file_type == FileType::Absent
                && !level.is_some_and(|l| ctx.levels.contains(&l) && there)
            {
                return None;
            }
            if !there {
                explained.set(
                    State::Ignored,
                    format!(
                        "{}; its source {} is not there, but only regular files are removed",
                        file_type.words(),
                        source.display()
                    ),
                );
                return Some(explained);
            }
            match level {
                Some(level) if ctx.levels.contains(&level) => {
                    self.judged_level(&mut explained, &source, level);
                }
                Some(level) if self.found.unkept.contains(path.as_path()) => {
                    explained.set(
                        State::Prune,
                        format!("level {level} is not kept ({})", levels_words(ctx.levels)),
                    );
                    explained
                        .notes
                        .push("pycache update and pycache clean remove it (prune_levels)".into());
                }
                Some(level) => {
                    explained.set(
                        State::NotKept,
                        format!(
                            "level {level} is not kept ({}): check and update leave it alone",
                            levels_words(ctx.levels)
                        ),
                    );
                    if file_type == FileType::File {
                        explained
                            .notes
                            .push("with --prune-levels, update and clean remove it".into());
                    }
                }
                None => explained.set(
                    State::Ignored,
                    "its optimization string names no level CPython writes (opt-1, opt-2)",
                ),
            }
            if !matches!(file_type, FileType::File | FileType::Absent)
                && explained.state != State::Missing
            {
                explained.reason = format!("{}; {}", file_type.words(), explained.reason);
            }
            return Some(explained);
        }
        if file_type == FileType::Absent {
            return None;
        }
        let pkgsave = pyc::pkgsave_of(name, ctx.tag);
        if pkgsave.is_some() || pyc::is_leftover(name, ctx.tag) {
            let what = match pkgsave {
                Some(_) => "a copy pkg saved of a cache file before it installed a package's own",
                None => "a temporary file an interrupted write left",
            };
            explained.kind = Kind::Leftover;
            explained.tag = Some(ctx.tag.to_string());
            explained.owner = Some(Owner::This);
            explained.version = Some(ctx.version.clone());
            let cache = pkgsave.unwrap_or(name);
            if let Some((stem, _, _)) = other_tag(cache) {
                explained.source = Some(join_name(dir, &source_name(&stem)));
                explained.level = other_level(&written(cache));
            }
            if self.found.orphans.contains(path.as_path()) {
                explained.set(
                    State::Orphan,
                    format!("{what} (removed whatever its source)"),
                );
                explained
                    .notes
                    .push("pycache update and pycache clean remove it".into());
            } else {
                explained.set(
                    State::Ignored,
                    format!("named like {what}, but {}", file_type.words()),
                );
            }
            return Some(explained);
        }
        if let Some((stem, tag, leftover)) = other_tag(name) {
            explained.source = Some(join_name(dir, &source_name(&stem)));
            explained.owner = Some(Owner::Other);
            let minor = tag
                .strip_prefix("cpython-3")
                .and_then(|m| m.parse::<u8>().ok())
                .filter(|m| m.to_string() == tag["cpython-3".len()..]);
            explained.version = minor.map(|m| format!("3.{m}"));
            explained.level = other_level(&written(name));
            if leftover {
                explained.kind = Kind::Leftover;
            }
            let whose = match minor {
                Some(minor) => {
                    let installed: Vec<String> = self
                        .installed()
                        .iter()
                        .filter(|f| f.minor() == minor)
                        .map(|f| f.name())
                        .collect();
                    let prefix = ctx.prefix.0.display();
                    explained.notes.push(match installed.as_slice() {
                        [] => format!("no Python 3.{minor} is installed under {prefix}"),
                        names => format!("{} installed under {prefix}", names.join(" and ")),
                    });
                    if let (Some(first), false) = (installed.first(), leftover) {
                        explained.notes.push(format!(
                            "pycache explain --flavor {first} judges it for Python 3.{minor}"
                        ));
                    }
                    explained.installed = Some(installed);
                    format!("Python 3.{minor}'s")
                }
                None => "not CPython's".to_string(),
            };
            explained.set(
                State::Ignored,
                format!(
                    "another interpreter's {} ({whose})",
                    if leftover {
                        "temporary file"
                    } else {
                        "bytecode"
                    },
                ),
            );
            if file_type != FileType::File {
                explained.reason = format!("{}; {}", file_type.words(), explained.reason);
            }
            explained.tag = Some(tag);
            if !leftover {
                explained.header = self.magic_only(&cache, name, file_type);
            }
            return Some(explained);
        }
        explained.kind = Kind::Other;
        explained.set(
            State::Ignored,
            match file_type {
                FileType::File => "not bytecode (not NAME.TAG.pyc)".to_string(),
                t => format!("{}: not bytecode", t.words()),
            },
        );
        Some(explained)
    }

    /// The explanation of a cache file of a level kept of `source`, from
    /// the source's judgement.
    fn judged_level(&mut self, explained: &mut Explained, source: &Path, level: u8) {
        if let Some(why) = self.found.skipped.get(source) {
            let state = match why {
                Skipped::Excluded | Skipped::Uncompiled => State::Excluded,
                Skipped::LinkOutside => State::Skipped,
            };
            explained.set(
                state,
                format!(
                    "its source is {}: check and update leave it alone",
                    match why {
                        Skipped::Excluded => "excluded",
                        Skipped::LinkOutside => "a symlink to outside the tree or to nothing",
                        Skipped::Uncompiled => "left uncompiled by CPython's own install",
                    }
                ),
            );
            return;
        }
        if let Some(problem) = self.found.problems.get(source) {
            explained.set(State::Failed, format!("its source: {problem}"));
            return;
        }
        let Some(judged) = self.found.judged.get(source).copied() else {
            explained.set(
                State::Failed,
                "not judged: it changed while it was looked at",
            );
            return;
        };
        let Some((_, cfile, judgement)) = judged.levels.iter().find(|(l, _, _)| *l == level) else {
            return;
        };
        let judged_level = self.level(judged, level, cfile, judgement, explained.file_type);
        explained.set(judged_level.state, judged_level.reason);
        explained.header = judged_level.header;
        let cache = source.parent().unwrap_or(source).join(PYCACHE);
        if let Some(problem) = self.found.problems.get(cache.as_path()) {
            explained
                .notes
                .push(format!("{}: {problem}", cache.display()));
        } else if !matches!(explained.file_type, FileType::File | FileType::Absent) {
            explained.notes.push(blocked(level, explained.file_type));
        } else if explained.state == State::Missing {
            explained.notes.push("pycache update writes it".into());
        } else if explained.state == State::Stale {
            explained
                .notes
                .push("pycache update compiles it again".into());
        }
    }

    /// The flavors installed under the prefix, read once; none when the
    /// prefix cannot be read (that is only for the words).
    fn installed(&mut self) -> &[Flavor] {
        let prefix = &self.ctx.prefix.1;
        self.installed
            .get_or_insert_with(|| crate::python::installed::installed(prefix).unwrap_or_default())
    }
}

/// `: a symlink is there, not a regular file` for a level missing because
/// something else has its name; nothing otherwise.
fn at_the_name(state: State, file_type: FileType) -> String {
    match (state, file_type) {
        (State::Missing, FileType::File | FileType::Absent) | (_, FileType::File) => String::new(),
        (State::Missing, t) => format!(": {} is there, not a regular file", t.noun()),
        _ => String::new(),
    }
}

/// What `update` does with a level whose name a non-file holds: it
/// writes over nothing but regular files, and fails the whole source.
fn blocked(level: u8, file_type: FileType) -> String {
    format!(
        "pycache update fails on this source while {} has the name of level {level}, \
         as it writes over nothing but regular files: remove it",
        file_type.noun()
    )
}

/// `levels 1 and 2`, `level 0`.
fn levels_words(levels: &[u8]) -> String {
    let names: Vec<String> = levels.iter().map(u8::to_string).collect();
    match names.as_slice() {
        [one] => format!("level {one}"),
        [rest @ .., last] => format!("levels {} and {last}", rest.join(", ")),
        [] => "no level".to_string(),
    }
}

/// `stem.py`.
fn source_name(stem: &OsStr) -> OsString {
    let mut name = stem.to_os_string();
    name.push(".py");
    name
}

/// `(stem, tag, leftover)` of a cache file name of any tag:
/// `STEM.TAG[.opt-X].pyc`, or a temporary file of one
/// (`....pyc.DIGITS[.DIGITS]`). The tag is ASCII letters, digits, `-` and
/// `_`, as every implementation's is.
fn other_tag(name: &OsStr) -> Option<(OsString, String, bool)> {
    let mut rest = name.as_bytes();
    let mut leftover = false;
    for _ in 0..2 {
        if rest.ends_with(b".pyc") {
            break;
        }
        let dot = rest.iter().rposition(|&b| b == b'.')?;
        let digits = &rest[dot + 1..];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        rest = &rest[..dot];
        leftover = true;
    }
    let mut rest = rest.strip_suffix(b".pyc")?;
    if let Some(dot) = rest.iter().rposition(|&b| b == b'.') {
        if rest[dot + 1..].starts_with(b"opt-") {
            rest = &rest[..dot];
        }
    }
    let dot = rest.iter().rposition(|&b| b == b'.')?;
    let (stem, tag) = (&rest[..dot], &rest[dot + 1..]);
    let tag_ok = !tag.is_empty()
        && tag
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_');
    (!stem.is_empty() && tag_ok).then(|| {
        (
            OsStr::from_bytes(stem).to_os_string(),
            String::from_utf8_lossy(tag).into_owned(),
            leftover,
        )
    })
}

/// The cache file name a temporary file is written for: `NAME.pyc` of
/// `NAME.pyc.DIGITS[.DIGITS]`; other names as they are.
fn written(name: &OsStr) -> OsString {
    let bytes = name.as_bytes();
    let end = bytes
        .windows(4)
        .rposition(|w| w == b".pyc")
        .map_or(bytes.len(), |at| at + 4);
    OsStr::from_bytes(&bytes[..end]).to_os_string()
}

/// The level of `STEM.TAG[.opt-N].pyc`, any tag.
fn other_level(name: &OsStr) -> Option<u8> {
    let rest = name.as_bytes().strip_suffix(b".pyc")?;
    match rest.rsplit(|&b| b == b'.').next()? {
        b"opt-1" => Some(1),
        b"opt-2" => Some(2),
        part if part.starts_with(b"opt-") => None,
        _ => Some(0),
    }
}

impl Explanation {
    /// The text the program prints: one block per file (with `quiet`, only
    /// the first line of those out of sync), then a line per PATH not
    /// explained; with `verbose`, the notes.
    pub fn render(&self, verbose: bool, quiet: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for file in &self.files {
            if quiet && file.state.in_sync() {
                continue;
            }
            let block = self.block(file);
            match quiet {
                true => lines.push(block[0].clone()),
                false => lines.extend(block),
            }
        }
        if verbose {
            for note in &self.notes {
                lines.push(format!("  note: {note}"));
            }
            lines.push(format!(
                "  started {} interpreter(s)",
                self.interpreters_started
            ));
        }
        for w in &self.warnings {
            lines.push(format!("pycache: warning: {w}"));
        }
        for f in &self.failures {
            lines.push(format!("pycache: {}: {}", f.path.display(), f.reason));
        }
        lines
    }

    /// One file's lines.
    fn block(&self, file: &Explained) -> Vec<String> {
        // A judged source's reason says its state level by level.
        let head = match (file.kind, file.reason.is_empty()) {
            (_, true) => file.state.words().to_string() + &at_the_name(file.state, file.file_type),
            (Kind::Source, false) if !file.levels.is_empty() => file.reason.clone(),
            (_, false) => format!("{}: {}", file.state.words(), file.reason),
        };
        let mut lines = vec![format!("{}: {head}", file.path.display())];
        let tag_words = |file: &Explained| match (&file.tag, file.owner, &file.version) {
            (Some(tag), Some(Owner::This), _) => {
                format!(
                    "tag {tag}: this interpreter's (Python {})",
                    self.python.version
                )
            }
            (Some(tag), _, Some(version)) => format!("tag {tag}: Python {version}'s"),
            (Some(tag), _, None) => format!("tag {tag}: not CPython's"),
            (None, _, _) => String::new(),
        };
        match file.kind {
            Kind::Source => {
                if !file.levels.is_empty() {
                    let what = match file.file_type {
                        FileType::Symlink => "a source (a symlink inside the tree, read through)",
                        _ => "a source",
                    };
                    lines.push(format!(
                        "  {what}; its bytecode for this interpreter (Python {}, tag {}):",
                        self.python.version,
                        file.tag.as_deref().unwrap_or_default()
                    ));
                }
                for level in &file.levels {
                    let name = level.path.file_name().unwrap_or_default();
                    let mut line = format!(
                        "  level {}: {PYCACHE}/{}: {}{}",
                        level.level,
                        Path::new(name).display(),
                        level.state.words(),
                        at_the_name(level.state, level.file_type)
                    );
                    if !level.reason.is_empty() {
                        line.push_str(": ");
                        line.push_str(&level.reason);
                    }
                    lines.push(line);
                    if let Some(fields) = &level.header {
                        lines.extend(
                            self.field_lines(fields)
                                .into_iter()
                                .map(|l| format!("  {l}")),
                        );
                    }
                }
            }
            Kind::Bytecode | Kind::Leftover if file.tag.is_some() => {
                let mut line = match &file.source {
                    Some(source) => format!("  bytecode of {}", source.display()),
                    None => "  bytecode".to_string(),
                };
                if file.kind == Kind::Leftover {
                    let file_name = file.path.file_name().unwrap_or_default();
                    let tag = file.tag.as_deref().unwrap_or_default();
                    let how = match pyc::pkgsave_of(file_name, tag) {
                        Some(_) => "saved by pkg from",
                        None => "left by an interrupted write of",
                    };
                    let name = written(file_name);
                    line = format!("  {how} {}:{}", Path::new(&name).display(), &line[1..]);
                }
                if let Some(level) = file.level {
                    line.push_str(&format!(", level {level}"));
                }
                line.push_str(&format!(", {}", tag_words(file)));
                lines.push(line);
                if let Some(fields) = &file.header {
                    lines.extend(self.field_lines(fields));
                }
            }
            _ => {
                if let Some(fields) = &file.header {
                    lines.extend(self.field_lines(fields));
                }
            }
        }
        lines.extend(file.notes.iter().map(|n| format!("  {n}")));
        lines
    }

    /// A pyc's header, one field a line, each against what the source
    /// asks.
    fn field_lines(&self, fields: &Fields) -> Vec<String> {
        let mut lines = Vec::new();
        let Some(found) = fields.magic else {
            return lines;
        };
        let number =
            |m: &[u8; 4]| format!("{} ({})", magic::hex(m), u16::from_le_bytes([m[0], m[1]]));
        let whose = |m: &[u8; 4]| match magic::release(m) {
            Some(minor) => format!("Python 3.{minor}'s"),
            None if m[2..] == *b"\r\n" => {
                "no final CPython release's (a pre-release's, or a newer Python's)".into()
            }
            None => "not a magic number".into(),
        };
        lines.push(match fields.expected_magic {
            Some(expected) if expected == found => {
                format!("  magic  {} = expected", number(&found))
            }
            Some(expected) => format!(
                "  magic  {}, {} != expected {}, Python {}'s",
                number(&found),
                whose(&found),
                number(&expected),
                self.python.version
            ),
            None => format!("  magic  {}: {}", number(&found), whose(&found)),
        });
        let Some(header) = fields.header else {
            return lines;
        };
        lines.push(match (header.flags, header.mode()) {
            (None, _) => "  flags  none: a 3.6 header, timestamp-based".to_string(),
            (Some(0), _) => "  flags  0: timestamp-based".to_string(),
            (Some(f), Some(InvalidationMode::Timestamp)) => {
                format!("  flags  {f}: timestamp-based (bit 1 alone means nothing)")
            }
            (Some(f), Some(InvalidationMode::CheckedHash)) => {
                format!("  flags  {f}: hash-based, checked at every import")
            }
            (Some(f), Some(InvalidationMode::UncheckedHash)) => {
                format!("  flags  {f}: hash-based, unchecked by importlib, compared by pycache")
            }
            (Some(f), None) => format!("  flags  {f}: unknown bits (importlib knows 0 to 3)"),
        });
        let compare = |name: &str, found: String, expected: Option<String>| match expected {
            Some(e) if e == found => format!("  {name}{found} = source"),
            Some(e) => format!("  {name}{found} != source {e}"),
            None => format!("  {name}{found}"),
        };
        match header.mode() {
            Some(InvalidationMode::Timestamp) => {
                let date = |t: u32| format!("{t} ({})", utc(i64::from(t)));
                let expected = match fields.source_mtime {
                    Some(t) => Some(date(t)),
                    None => {
                        Some("(none: Python 3.6 matches no mtime before 1970 or from 2106)".into())
                    }
                };
                lines.push(compare("mtime  ", date(header.mtime()), expected));
                lines.push(compare(
                    "size   ",
                    header.size().to_string(),
                    fields.source_size.map(|s| s.to_string()),
                ));
            }
            Some(_) => {
                let hex = |h: &[u8; 8]| h.iter().map(|b| format!("{b:02x}")).collect::<String>();
                lines.push(compare(
                    "hash   ",
                    hex(&header.stamp),
                    fields.source_hash.as_ref().map(hex),
                ));
            }
            None => {}
        }
        lines
    }
}

/// `2024-05-01 12:00:00 UTC`: seconds since the epoch as a UTC date (the
/// civil calendar, proleptic Gregorian).
fn utc(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since 1970-01-01 to a date: the era algorithm (400-year eras of
    // 146,097 days, years starting in March).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        // `date -u -d @N '+%F %T'`.
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_714_564_800), "2024-05-01 12:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(4_294_967_295), "2106-02-07 06:28:15 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
    }

    #[test]
    fn other_tags_are_read_from_names() {
        let t =
            |n: &str| other_tag(OsStr::new(n)).map(|(s, t, l)| (s.into_string().unwrap(), t, l));
        assert_eq!(
            t("m.cpython-312.pyc"),
            Some(("m".into(), "cpython-312".into(), false))
        );
        assert_eq!(
            t("a.b.pypy39.opt-2.pyc"),
            Some(("a.b".into(), "pypy39".into(), false))
        );
        assert_eq!(
            t("m.cpython-39.pyc.1234.5"),
            Some(("m".into(), "cpython-39".into(), true))
        );
        assert_eq!(t("m.pyc"), None);
        assert_eq!(t("README"), None);
        assert_eq!(t("m.cpython-312.pyc.x"), None);
        assert_eq!(other_level(OsStr::new("m.cpython-312.opt-2.pyc")), Some(2));
        assert_eq!(other_level(OsStr::new("m.cpython-312.pyc")), Some(0));
        assert_eq!(other_level(OsStr::new("m.cpython-312.opt-x.pyc")), None);
        assert_eq!(levels_words(&[0]), "level 0");
        assert_eq!(levels_words(&[0, 1, 2]), "levels 0, 1 and 2");
    }
}
