//! Turning a site-packages (or the directories pkg touched in it) into a
//! [`Plan`]: what to compile, what to remove.
//!
//! A directory is examined when it is the whole tree's (full scan) or pkg
//! touched it: its sources are judged level by level, the files of its
//! `__pycache__` carrying this interpreter's tag and no source are orphans.
//! Below a touched directory, pkg does not report subpackages an upgrade
//! dropped, so each untouched subdirectory is *probed*: one read tells
//! whether it holds files of its own; a live package stops the probe there,
//! and only a directory holding nothing but subdirectories and a cache is
//! looked into further. That finds dropped subtrees at the cost of one read
//! per subdirectory, whatever the size of the packages below.
//!
//! A directory is to be removed only when it would end up empty because
//! everything in it was a cache about to be emptied or a directory removed
//! by the same rule; an empty directory that was already empty is left alone,
//! and so is the site-packages itself.
//!
//! Here: what a scan is asked ([`ScanOptions`]) and what it answers ([`Plan`]).
//! [`collect`] finds the directories to look at, the sources in them and
//! what their caches hold; [`judge`] then reads each cache file's header,
//! spread over the cores; [`listing`] is how a directory is read.

mod collect;
mod judge;
mod listing;

use std::path::PathBuf;

use glob::Pattern;

use crate::bytecode::pyc::{Judgement, Magic, SourceStamp, Verdict};
use crate::error::{Error, Failure};
use crate::fs::dir::{FileId, Handle};
use crate::fs::path;
use crate::python::location::Location;
use crate::run::scan::collect::Scanner;

/// Everything a run found, before anything is changed.
#[derive(Debug, Default)]
pub struct Plan {
    /// Sources judged (not counting excluded ones).
    pub sources: usize,
    /// Of those, sources whose every requested level is fresh.
    pub fresh: usize,
    /// Sources with at least one level missing or stale.
    pub to_compile: Vec<ToCompile>,
    /// This interpreter's bytecode whose source is gone.
    pub orphans: Vec<PathBuf>,
    /// With [`ScanOptions::prune`]: this interpreter's bytecode of levels not kept
    /// whose source is there.
    pub unkept: Vec<PathBuf>,
    /// `__pycache__` directories that will be empty once orphans are gone.
    pub empty_caches: Vec<PathBuf>,
    /// Directories that will be empty once their caches are gone, in path
    /// order (like the other lists).
    pub empty_dirs: Vec<PathBuf>,
    /// Directories or files that could not be examined.
    pub problems: Vec<Failure>,
    /// What verbose output explains (skipped symlinks, excluded sources...).
    pub notes: Vec<String>,
    /// With [`ScanOptions::details`]: every source judged, with the judgement of
    /// each level kept (fresh ones too).
    pub judged: Vec<Judged>,
    /// With [`ScanOptions::details`]: the sources not judged, and why.
    pub skipped: Vec<(PathBuf, Skipped)>,
}

/// A source judged, level by level ([`ScanOptions::details`]).
#[derive(Clone, Debug)]
pub struct Judged {
    /// The source on disk.
    pub source: PathBuf,
    /// Its mtime and size, as its levels were judged against them.
    pub stamp: SourceStamp,
    /// Each level kept: the level, its cache file and the judgement.
    pub levels: Vec<(u8, PathBuf, Judgement)>,
}

/// Why a source was not judged ([`ScanOptions::details`]); the scan's notes say
/// the same in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// Its path below site-packages matches an `exclude` pattern.
    Excluded,
    /// A symlink leading outside the tree, or to nothing.
    LinkOutside,
    /// In the standard library, a file CPython's own install leaves
    /// uncompiled ([`crate::python::stdlib`]).
    Uncompiled,
}

/// One source to compile, with the levels it needs.
#[derive(Clone, Debug)]
pub struct ToCompile {
    /// The source on disk.
    pub source: PathBuf,
    /// For a source that is a symlink, the file it led to when it was
    /// judged (canonical, inside the tree): that file is compiled, never
    /// whatever the link leads to later.
    pub target: Option<PathBuf>,
    /// The file judged (the source, or its target): the one compiled must
    /// be this very file.
    pub id: FileId,
    /// The path compiled code records: the source's path on the running
    /// system (differs from `source` under a root).
    pub dfile: PathBuf,
    /// Source size, to hand out large files first.
    pub size: u64,
    /// The levels to write, each with its cache file and why.
    pub levels: Vec<Level>,
}

/// One cache file to (re)write.
#[derive(Clone, Debug)]
pub struct Level {
    /// Optimization level, 0 to 2.
    pub level: u8,
    /// The cache file to write.
    pub cfile: PathBuf,
    /// `Missing` or `Stale`.
    pub verdict: Verdict,
}

/// What a scan is asked: the tree, whose bytecode, which levels and what
/// else to look for. (The walk itself is `collect::Scanner`.)
pub struct ScanOptions<'a> {
    /// Where the tree is.
    pub location: &'a Location,
    /// With the standard library: what a path outside its site-packages
    /// contains when CPython's own install leaves it uncompiled
    /// ([`crate::python::stdlib`]); such sources are not judged.
    pub uncompiled: &'a [&'static str],
    /// Cache tag whose files are this interpreter's.
    pub tag: &'a str,
    /// Magic number current pycs carry (`None`: every pyc is stale).
    pub magic: Option<Magic>,
    /// Optimization levels to keep.
    pub levels: &'a [u8],
    /// Sources never compiled, matched against the path below site-packages.
    pub excludes: &'a [Pattern],
    /// Whether sources are looked at (`check`, `update`); `clean` compiles
    /// nothing and looks only at caches.
    pub sources: bool,
    /// Walk the body of every pyc whose header is fresh (`--verify`).
    pub verify: bool,
    /// Also plan the removal of this tag's bytecode of levels not in
    /// `levels` (`--prune-levels`); without it nothing valid is removed.
    pub prune: bool,
    /// Keep every judgement and every source skipped ([`Plan::judged`],
    /// [`Plan::skipped`]), for `explain`; a plain run keeps only what is
    /// to be done.
    pub details: bool,
}

impl ScanOptions<'_> {
    /// Scans the whole tree (`touched` = `None`) or the directories pkg
    /// touched, given as paths on the running system or on disk. Touched
    /// directories outside the tree, missing or behind a symlink are noted
    /// and skipped. A site-packages that cannot be opened or read is an
    /// error (the environment's).
    pub fn run(&self, touched: Option<&[PathBuf]>) -> Result<Plan, Error> {
        let root_path = &self.location.dir;
        let root = Handle::open_root(root_path).map_err(|e| Error::io(root_path, e))?;
        let mut scanner = Scanner::new(self, &root);
        match touched {
            None => scanner.full()?,
            Some(dirs) => scanner.touched(dirs),
        }
        let (mut plan, candidates) = scanner.found();
        // In path order, so that sorting them again (the report does, and
        // the clean) only checks that they are.
        path::sort_by_path(&mut plan.orphans, |p| p);
        path::sort_by_path(&mut plan.unkept, |p| p);
        path::sort_by_path(&mut plan.empty_caches, |p| p);
        path::sort_by_path(&mut plan.empty_dirs, |p| p);
        crate::testing::pause("before-judge");
        judge::judge_all(candidates, self, &mut plan, &root);
        // Large sources first: the pool then ends with small files only.
        plan.to_compile
            .sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.source.cmp(&b.source)));
        Ok(plan)
    }
}
