//! Finding what a scan looks at: the directories (those pkg touched and
//! probes below them, or the whole tree), the sources in them with what
//! their caches hold, the orphans, and which directories will be left
//! empty. No pyc is opened here: the sources found are judged afterwards,
//! all at once ([`judge`](crate::run::scan::judge)).

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::bytecode::pyc::{self, PYCACHE, SourceStamp};
use crate::error::{Error, Failure};
use crate::fs::dir::{self, Cursor, FileId, Handle};
use crate::fs::path;
use crate::fs::walk::{self, Contents};
use crate::run::scan::judge::Candidate;
use crate::run::scan::listing::{Cache, Entry, Listing};
use crate::run::scan::{Plan, ScanOptions, Skipped};

/// How a directory is looked at.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Examine; probe untouched subdirectories.
    Touched,
    /// Examine only when the directory holds no files of its own.
    Probe,
}

/// One scan's finding: the directories looked at, and what the plan gets
/// from them before anything is judged. A full scan runs one per thread
/// and merges them ([`Scanner::full`]).
pub(super) struct Scanner<'s, 'a> {
    scan: &'s ScanOptions<'a>,
    root: &'s Path,
    /// The site-packages, opened once.
    handle: &'s Handle,
    /// Opens touched directories component by component (trigger runs).
    cursor: Option<Cursor<'s>>,
    plan: Plan,
    // The sets below are keyed by the paths' bytes, not by `Path`: hashing
    // a `Path` feeds the hasher one component at a time, and these lookups
    // were a third of a trigger run's instructions. Every path here is
    // built from the site-packages' path by `join` and `parent` of plain
    // components (`on_disk` rebuilds touched ones that way), so equal
    // paths have equal bytes.
    /// Directories visited, and whether each is to be removed.
    visited: HashMap<OsString, bool>,
    touched: HashSet<OsString>,
    /// Directories known not to be symlinks (see `on_disk`).
    real_dirs: HashSet<OsString>,
    /// Paths known not to exist: pkg deleted them, and the touched
    /// directories below one each lead back to it.
    gone: HashSet<OsString>,
    candidates: Vec<Candidate>,
}

impl<'s, 'a> Scanner<'s, 'a> {
    pub fn new(scan: &'s ScanOptions<'a>, handle: &'s Handle) -> Scanner<'s, 'a> {
        Scanner {
            scan,
            root: &scan.location.dir,
            handle,
            cursor: None,
            plan: Plan::default(),
            visited: HashMap::new(),
            touched: HashSet::new(),
            real_dirs: HashSet::new(),
            gone: HashSet::new(),
            candidates: Vec::new(),
        }
    }

    /// The directories pkg touched ([`ScanOptions::run`]): each examined, its
    /// untouched subdirectories probed, and its parents when it is to be
    /// removed.
    pub fn touched(&mut self, dirs: &[PathBuf]) {
        self.cursor = Some(Cursor::new(self.handle, self.root));
        let mut dirs: Vec<PathBuf> = dirs.iter().filter_map(|d| self.on_disk(d)).collect();
        path::sort_by_path(&mut dirs, |d| d);
        dirs.dedup();
        self.touched = dirs.iter().map(|d| d.as_os_str().to_owned()).collect();
        for dir in &dirs {
            if self.visit(dir.clone(), Mode::Touched) {
                self.climb(dir);
            }
        }
    }

    /// What was found: the plan so far (nothing judged yet) and the
    /// sources to judge.
    pub fn found(self) -> (Plan, Vec<Candidate>) {
        (self.plan, self.candidates)
    }

    /// The on-disk path of a touched directory, when it is inside the tree
    /// and no component below the site-packages is a symlink.
    fn on_disk(&mut self, dir: &Path) -> Option<PathBuf> {
        let location = self.scan.location;
        // pkg gives absolute paths; a relative one is taken from here.
        let dir = &std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let rel = dir
            .strip_prefix(&location.runtime)
            .or_else(|_| dir.strip_prefix(&location.dir))
            .ok();
        let Some(rel) = rel.filter(|r| r.components().all(|c| matches!(c, Component::Normal(_))))
        else {
            self.plan.notes.push(format!(
                "{}: not below {}; ignored",
                dir.display(),
                location.runtime.display()
            ));
            return None;
        };
        let mut path = self.root.to_path_buf();
        for part in rel.components() {
            path.push(part);
            // Touched directories share their parents: each is checked once.
            if self.real_dirs.contains(path.as_os_str()) {
                continue;
            }
            match self.lstat(&path) {
                Some(meta) if meta.file_type().is_symlink() => {
                    self.plan.notes.push(format!(
                        "{}: behind the symlink {}; ignored",
                        dir.display(),
                        path.display()
                    ));
                    return None;
                }
                Some(_) => {
                    self.real_dirs.insert(path.as_os_str().to_owned());
                }
                // Gone (pkg deleted it); its parents are looked at by climb.
                // Another error is left for the listing to report.
                // Rebuilt from its components, as the paths of the sets are.
                None => {
                    let mut gone = self.root.to_path_buf();
                    gone.extend(rel.components());
                    return Some(gone);
                }
            }
        }
        Some(path)
    }

    /// Whether `path` exists (as anything, a symlink too), asking the file
    /// system only about paths not already known either way.
    fn exists(&mut self, path: &Path) -> bool {
        self.real_dirs.contains(path.as_os_str()) || self.lstat(path).is_some()
    }

    /// `path`'s own metadata, or `None` where it cannot be had. A path not
    /// found is remembered as gone and never asked about again.
    fn lstat(&mut self, path: &Path) -> Option<fs::Metadata> {
        if self.gone.contains(path.as_os_str()) {
            return None;
        }
        match path.symlink_metadata() {
            Ok(meta) => Some(meta),
            Err(e) => {
                if e.kind() == std::io::ErrorKind::NotFound {
                    self.gone.insert(path.as_os_str().to_owned());
                }
                None
            }
        }
    }

    /// After `dir` was found removable, looks at its parents: a parent that
    /// held only what is being removed goes too.
    fn climb(&mut self, dir: &Path) {
        self.climb_from(dir.parent());
    }

    /// Probes `from` and its parents below the site-packages, up to the
    /// first that is not to be removed.
    fn climb_from(&mut self, from: Option<&Path>) {
        let mut current = from;
        while let Some(dir) = current {
            if dir == self.root
                || !dir.starts_with(self.root)
                || !self.visit(dir.to_path_buf(), Mode::Probe)
            {
                break;
            }
            current = dir.parent();
        }
    }

    /// Examines `dir` as `mode` says; returns whether it is to be removed.
    fn visit(&mut self, dir: PathBuf, mode: Mode) -> bool {
        if let Some(&removable) = self.visited.get(dir.as_os_str()) {
            return removable;
        }
        let removable = self.examine(&dir, mode);
        self.visited.insert(dir.into_os_string(), removable);
        removable
    }

    fn examine(&mut self, dir: &Path, mode: Mode) -> bool {
        let mut cursor = self.cursor.take().expect("a touched scan has a cursor");
        let gone = !self.gone.is_empty()
            && dir
                .ancestors()
                .take_while(|p| *p != self.root)
                .any(|p| self.gone.contains(p.as_os_str()));
        let listing = if gone {
            Ok(None)
        } else {
            match cursor
                .open(dir)
                .and_then(|h| Listing::read(h).map(|l| (h, l)))
            {
                Ok((handle, listing)) => {
                    // A probe stops at a directory with files of its own.
                    if mode == Mode::Touched || listing.holds_no_files() {
                        self.collect_sources(dir, handle, &listing);
                    }
                    Ok(Some(listing))
                }
                // Gone, or swapped for a file: as if pkg had deleted it.
                Err(e) if dir::is_gone(&e) => Ok(None),
                Err(e) => Err(e),
            }
        };
        self.cursor = Some(cursor);
        let listing = match listing {
            Ok(Some(listing)) => listing,
            Ok(None) => {
                // A touched directory that no longer exists: its parent may
                // now hold only caches.
                if mode == Mode::Touched {
                    let existing = dir.ancestors().skip(1).find(|p| self.exists(p));
                    self.climb_from(existing);
                }
                return false;
            }
            Err(e) => {
                self.plan
                    .problems
                    .push(Failure::new(dir, format!("cannot read directory: {e}")));
                return false;
            }
        };
        if mode == Mode::Probe && !listing.holds_no_files() {
            return false;
        }
        let mut subdirs_go = true;
        for name in &listing.subdirs {
            let child = dir.join(name);
            let child_mode = if self.touched.contains(child.as_os_str()) {
                Mode::Touched
            } else {
                Mode::Probe
            };
            // Every subdirectory is visited, even after one is found live.
            subdirs_go &= self.visit(child, child_mode);
        }
        self.settle(dir, &listing, subdirs_go)
    }

    /// Collects `dir`'s orphans once its subdirectories are settled
    /// (`subdirs_go`: all of them are to be removed); returns whether `dir`
    /// itself is to be removed.
    fn settle(&mut self, dir: &Path, listing: &Listing, subdirs_go: bool) -> bool {
        let cache_empties = self.sort_cache(dir, listing);
        let removable = dir != self.root
            && self.scan.location.site_packages.as_deref() != Some(dir)
            && listing.holds_no_files()
            && cache_empties
            && subdirs_go
            && (listing.cache.is_some() || !listing.subdirs.is_empty());
        if removable {
            self.plan.empty_dirs.push(dir.to_path_buf());
        }
        removable
    }

    /// The whole tree: the site-packages itself, then each top-level
    /// subdirectory in one walk, several subtrees at a time.
    pub fn full(&mut self) -> Result<(), Error> {
        let root = self.root;
        let handle = self.handle;
        let listing = Listing::read(handle).map_err(|e| Error::io(root, e))?;
        self.collect_sources(root, handle, &listing);
        let tops = &listing.subdirs;
        let threads = crate::run::parallel::threads().min(tops.len()).max(1);
        let next = AtomicUsize::new(0);
        let parts = crate::run::parallel::run_on(threads, || {
            let mut part = Scanner::new(self.scan, handle);
            while let Some(top) = tops.get(next.fetch_add(1, Ordering::Relaxed)) {
                part.subtree(top);
            }
            part
        });
        for part in parts {
            self.absorb(part);
        }
        self.settle(root, &listing, false);
        Ok(())
    }

    /// One subtree of a full scan, in one walk.
    fn subtree(&mut self, top: &OsStr) {
        let handle = self.handle;
        let path = self.root.join(top);
        let mut visit =
            |dir: &Path, listing: Result<(&Handle, &Listing), io::Error>, children: Vec<bool>| {
                match listing {
                    Ok((handle, listing)) => {
                        self.collect_sources(dir, handle, listing);
                        self.settle(dir, listing, children.iter().all(|&go| go))
                    }
                    Err(e) => {
                        self.plan
                            .problems
                            .push(Failure::new(dir, format!("cannot read directory: {e}")));
                        false
                    }
                }
            };
        walk::walk_tree(handle, top, &path, &mut visit);
    }

    /// Takes over what another scanner found.
    fn absorb(&mut self, other: Scanner) {
        let plan = other.plan;
        self.plan.orphans.extend(plan.orphans);
        self.plan.unkept.extend(plan.unkept);
        self.plan.empty_caches.extend(plan.empty_caches);
        self.plan.empty_dirs.extend(plan.empty_dirs);
        self.plan.problems.extend(plan.problems);
        self.plan.notes.extend(plan.notes);
        self.plan.skipped.extend(plan.skipped);
        self.candidates.extend(other.candidates);
    }

    /// Collects every source of `dir` with what its cache holds; judging
    /// the cache files (the costly part: one open and read each) is done
    /// afterwards, in parallel, by
    /// [`judge_all`](crate::run::scan::judge::judge_all).
    fn collect_sources(&mut self, dir: &Path, handle: &Handle, listing: &Listing) {
        if !self.scan.sources {
            return;
        }
        // Sorted, looked up by bisection: cheaper than hashing every name.
        let mut cached: Vec<&OsStr> = match &listing.cache {
            Some(Cache::Dir(files)) => files
                .iter()
                .filter(|f| f.regular)
                .map(|f| f.name.as_os_str())
                .collect(),
            _ => Vec::new(),
        };
        cached.sort_unstable();
        let writable = !matches!(listing.cache, Some(Cache::NotDir));
        for entry in &listing.sources {
            if let Some(candidate) = self.candidate(dir, handle, entry, &cached, writable) {
                self.candidates.push(candidate);
            }
        }
    }

    fn candidate(
        &mut self,
        dir: &Path,
        handle: &Handle,
        entry: &Entry,
        cached: &[&OsStr],
        writable: bool,
    ) -> Option<Candidate> {
        let source = path::join_name(dir, &entry.name);
        let rel = path::below(&source, self.root).unwrap_or(&source);
        let rel_text = match_text(rel.as_os_str().as_bytes());
        if self.scan.excludes.iter().any(|p| p.matches(&rel_text)) {
            self.plan
                .notes
                .push(format!("{}: excluded", source.display()));
            self.skip(&source, Skipped::Excluded);
            return None;
        }
        let in_stdlib = |site: &Path| path::below(&source, site).is_none();
        if !self.scan.uncompiled.is_empty()
            && self
                .scan
                .location
                .site_packages
                .as_deref()
                .is_some_and(in_stdlib)
            && crate::python::stdlib::is_uncompiled(
                self.scan.uncompiled,
                rel.as_os_str().as_bytes(),
            )
        {
            self.plan.notes.push(format!(
                "{}: excluded: CPython's own install leaves it uncompiled",
                source.display()
            ));
            self.skip(&source, Skipped::Uncompiled);
            return None;
        }
        // A source entry is a regular file or a symlink (listing::Listing).
        // Either way the file judged is recorded by identity, so that the
        // one compiled (or hashed) can be checked to be it.
        let (stat, target) = if entry.regular {
            match handle.stat(&entry.name) {
                Ok(stat) if rustix::fs::FileType::from_raw_mode(stat.st_mode as _).is_file() => {
                    (stat, None)
                }
                Ok(_) => {
                    self.plan.problems.push(Failure::new(
                        &source,
                        "not a regular file any more; not compiled".into(),
                    ));
                    return None;
                }
                // Removed since the directory was read.
                Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
                Err(e) => {
                    self.plan
                        .problems
                        .push(Failure::new(&source, format!("cannot stat: {e}")));
                    return None;
                }
            }
        } else {
            // A link is resolved by path (inside the root, under one) to
            // learn where it leads; its target, a regular file inside the
            // tree, is what is read and compiled from then on.
            let resolved = self.scan.location.resolve_link(&source).and_then(|real| {
                let stat = rustix::fs::lstat(&real).ok()?;
                let file = rustix::fs::FileType::from_raw_mode(stat.st_mode as _).is_file();
                (file && real.starts_with(self.root)).then_some((stat, Some(real)))
            });
            match resolved {
                Some(found) => found,
                None => {
                    self.plan.notes.push(format!(
                        "{}: symlink to outside the tree or to nothing; not compiled",
                        source.display()
                    ));
                    self.skip(&source, Skipped::LinkOutside);
                    return None;
                }
            }
        };
        let stamp = SourceStamp::from_stat(&stat);
        let stem = source_stem(&entry.name);
        let cache_dir = path::join_name(dir, OsStr::new(PYCACHE));
        let levels = self
            .scan
            .levels
            .iter()
            .map(|&level| {
                let name = pyc::cache_name(stem, self.scan.tag, level);
                let present = cached.binary_search(&name.as_os_str()).is_ok();
                (level, path::join_name(&cache_dir, &name), present)
            })
            .collect();
        Some(Candidate {
            dfile: self.scan.location.runtime.join(rel),
            source,
            target,
            id: FileId::of(&stat),
            stamp,
            size: stamp.size,
            writable,
            levels,
        })
    }

    fn skip(&mut self, source: &Path, why: Skipped) {
        if self.scan.details {
            self.plan.skipped.push((source.to_path_buf(), why));
        }
    }

    /// Finds the orphans in `dir`'s cache; returns whether the cache will be
    /// empty (or is absent) once they are gone. A cache beside sources stays:
    /// they are about to be compiled into it.
    fn sort_cache(&mut self, dir: &Path, listing: &Listing) -> bool {
        let files = match &listing.cache {
            None => return true,
            Some(Cache::NotDir) => {
                if !self.scan.sources {
                    self.plan.notes.push(format!(
                        "{}: a symlink or not a directory; left alone",
                        dir.join(PYCACHE).display()
                    ));
                }
                return false;
            }
            Some(Cache::Dir(files)) => files,
        };
        let stems: HashSet<&OsStr> = listing
            .sources
            .iter()
            .map(|s| source_stem(&s.name))
            .collect();
        let cache_dir = dir.join(PYCACHE);
        let mut all_orphans = true;
        for file in files {
            let orphan = file.regular
                && match pyc::cache_stem(&file.name, self.scan.tag) {
                    Some(stem) => !stems.contains(stem),
                    None => {
                        pyc::is_leftover(&file.name, self.scan.tag)
                            || pyc::is_pkgsave(&file.name, self.scan.tag)
                    }
                };
            if orphan {
                self.plan.orphans.push(cache_dir.join(&file.name));
                continue;
            }
            all_orphans = false;
            let unkept = self.scan.prune
                && file.regular
                && pyc::cache_level(&file.name, self.scan.tag)
                    .is_some_and(|level| !self.scan.levels.contains(&level));
            if unkept {
                self.plan.unkept.push(cache_dir.join(&file.name));
            }
        }
        let empties = all_orphans && listing.sources.is_empty();
        if empties {
            self.plan.empty_caches.push(cache_dir);
        }
        empties
    }
}

/// The text `--exclude` patterns are matched against: the path's bytes,
/// UTF-8 as it is, each byte that is not valid UTF-8 as one character
/// U+10FF00 + byte (Supplementary Private Use Area-B; no file name of a
/// Python package uses it), so that `*` and `?` match such bytes as they
/// match any other (`?` one byte) and a non-UTF-8 path is never silently
/// skipped by a pattern that covers it.
fn match_text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.into();
    }
    let mut text = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for &b in chunk.invalid() {
            text.push(char::from_u32(0x10FF00 + u32::from(b)).expect("a valid code point"));
        }
    }
    text.into()
}

/// `mod` for `mod.py`.
fn source_stem(name: &OsString) -> &OsStr {
    let bytes = name.as_bytes();
    OsStr::from_bytes(&bytes[..bytes.len() - 3])
}
