//! What a run found and did: a [`Report`] prints as a few lines in pkg's
//! style, or as JSON for scripts (schema below), and says the exit code.
//!
//! # JSON schema (`"schema": 1`)
//! Paths are strings; bytes that are not UTF-8 are written as `\udcXX`
//! escapes (Python's `surrogateescape`), so `os.fsencode(value)` gives back
//! the exact bytes. Levels are integers 0 to 2. The summary form
//! (`--json-summary`, what pkg triggers read) leaves out the fields marked
//! `*`, the lists of paths; every other field is the same.
//! ```text
//! schema         1
//! command        "check" | "update" | "clean" | "compile"
//! dry_run        bool
//! python         {version "3.11", tag "cpython-311", interpreter PATH,
//!                 site_packages PATH (running system), directory PATH (on disk),
//!                 root PATH|null, magic "a70d0d0a"|null,
//!                 magic_from "table"|"stdlib"|"interpreter"|null}
//! config         PATH | null            the configuration file whose settings count
//! touched        [PATH] | null           null: the whole tree was scanned  *
//! sources        int                     sources judged
//! fresh          int                     of those, fresh at every level
//! to_compile     [{path, levels: [{level, state "missing"|"stale", reason}]}]  *
//! compiled       [{path, levels: [int]}]  *
//! orphans        [PATH]                  this tag's bytecode without source  *
//! empty_dirs     [PATH]                  caches and directories left empty  *
//! removed_files  [PATH]  *
//! removed_dirs   [PATH]  *
//! to_prune       [PATH]                  with prune_levels: this tag's bytecode of unkept levels  *
//! pruned         [PATH]                  of those, removed  *
//! pruned_bytes   int                     bytes the pruning freed
//! failures       [{path, reason}]        per-file problems
//! error          string|null             what kept the run from finishing
//! warnings       [string]
//! notes          [string]                what verbose output adds
//! interpreters_started  int             compile workers, and the interpreter asked
//!                                        for its magic number by this command
//! elapsed_ms     int
//! lines          [string]                the human summary, as printed
//! exit_code      0 | 1 | 3 (130 | 143 from the program when interrupted)
//! ```

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::Error;
use crate::magic::MagicFrom;

use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// The exit code when everything went well.
pub const EXIT_OK: i32 = 0;
/// Some files failed, or (`check`) something is out of sync.
pub const EXIT_FAILED: i32 = 1;
/// Bad usage: flags, flavor, level, glob.
pub const EXIT_USAGE: i32 = 2;
/// The environment: interpreter not runnable, site-packages unreadable...
pub const EXIT_ENVIRONMENT: i32 = 3;

/// A problem with one path that did not stop the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The file or directory.
    #[serde(serialize_with = "path")]
    pub path: PathBuf,
    /// What went wrong, in plain words.
    pub reason: String,
}

impl Failure {
    pub(crate) fn new(path: &Path, reason: String) -> Failure {
        Failure {
            path: path.to_path_buf(),
            reason,
        }
    }
}

/// Which command produced a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Command {
    /// Report only.
    Check,
    /// Clean, then compile.
    Update,
    /// Remove orphans and empty caches only.
    Clean,
    /// Compile only, remove nothing (library and Lua use).
    Compile,
}

/// The interpreter and tree a report is about.
#[derive(Clone, Debug, Serialize)]
pub struct PythonInfo {
    /// `3.11`.
    pub version: String,
    /// `cpython-311`.
    pub tag: String,
    /// The interpreter that compiles (or would).
    #[serde(serialize_with = "path")]
    pub interpreter: PathBuf,
    /// site-packages on the running system.
    #[serde(serialize_with = "path")]
    pub site_packages: PathBuf,
    /// site-packages on disk (below the root, symlinks resolved).
    #[serde(serialize_with = "path")]
    pub directory: PathBuf,
    /// The root, if any.
    #[serde(serialize_with = "opt_path")]
    pub root: Option<PathBuf>,
    /// The magic number freshness was judged with, as the first four bytes
    /// of a pyc in hex (`a70d0d0a`); `None` when none was needed (`clean`)
    /// or none could be had.
    pub magic: Option<String>,
    /// Where [`PythonInfo::magic`] came from.
    pub magic_from: Option<MagicFrom>,
}

/// A source that needs compiling.
#[derive(Clone, Debug, Serialize)]
pub struct Pending {
    /// The source.
    #[serde(serialize_with = "path")]
    pub path: PathBuf,
    /// The levels that need it, and why.
    pub levels: Vec<PendingLevel>,
}

/// One level of a [`Pending`] source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingLevel {
    /// 0, 1 or 2.
    pub level: u8,
    /// Whether its pyc is fresh, missing or stale.
    pub state: LevelState,
    /// Why stale; empty otherwise.
    pub reason: String,
}

/// The state of one level's pyc.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelState {
    /// importlib would use it.
    Fresh,
    /// There is none.
    Missing,
    /// importlib would compile the source again.
    Stale,
}

impl LevelState {
    /// `fresh`, `missing` or `stale`, as JSON and Lua spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            LevelState::Fresh => "fresh",
            LevelState::Missing => "missing",
            LevelState::Stale => "stale",
        }
    }
}

impl fmt::Display for LevelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kept a run from finishing, and what was left undone because of it.
#[derive(Debug)]
pub struct Stop {
    /// The error, as the engine met it.
    pub error: Error,
    /// What it left undone.
    pub undone: Undone,
}

/// What a [`Stop`] left undone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undone {
    /// No pyc could be judged or written (the interpreter could not say its
    /// magic number).
    Judging,
    /// This many sources were not compiled; cleaning was still done.
    Compiling {
        /// Sources left uncompiled.
        sources: usize,
        /// The Python version, for the hint of a missing interpreter.
        version: String,
    },
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.undone, &self.error) {
            (Undone::Judging, e) => write!(f, "{e}; cannot judge or compile bytecode"),
            (
                Undone::Compiling { sources, version },
                Error::InterpreterNotFound {
                    interpreter,
                    hint: None,
                },
            ) => {
                write!(
                    f,
                    "{}: interpreter not found; {sources} source(s) not compiled, cleaning was \
                     still done; unless the Python {version} package is being removed, reinstall it",
                    interpreter.display()
                )
            }
            // A name PATH does not have: the hint says what to do.
            (Undone::Compiling { sources, .. }, e @ Error::InterpreterNotFound { .. }) => {
                write!(
                    f,
                    "{e}; {sources} source(s) not compiled, cleaning was still done"
                )
            }
            (Undone::Compiling { sources, .. }, e) => {
                write!(f, "{e}; {sources} source(s) not compiled")
            }
        }
    }
}

impl Serialize for Stop {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A source compiled.
#[derive(Clone, Debug, Serialize)]
pub struct Compiled {
    /// The source.
    #[serde(serialize_with = "path")]
    pub path: PathBuf,
    /// Levels written.
    pub levels: Vec<u8>,
}

/// Everything one run found and did.
#[derive(Debug, Serialize)]
pub struct Report {
    /// Version of this layout.
    pub schema: u32,
    /// The command.
    pub command: Command,
    /// Whether changes were only reported.
    pub dry_run: bool,
    /// Interpreter and tree.
    pub python: PythonInfo,
    /// The configuration file whose settings count, if any.
    #[serde(serialize_with = "opt_path")]
    pub config: Option<PathBuf>,
    /// Directories scanned (`None`: the whole tree).
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "opt_paths")]
    pub touched: Option<Vec<PathBuf>>,
    /// Sources judged.
    pub sources: usize,
    /// Sources fresh at every level.
    pub fresh: usize,
    /// Sources found missing or stale.
    #[serde(skip_serializing_if = "in_summary")]
    pub to_compile: Vec<Pending>,
    /// Sources compiled.
    #[serde(skip_serializing_if = "in_summary")]
    pub compiled: Vec<Compiled>,
    /// Orphaned bytecode found.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub orphans: Vec<PathBuf>,
    /// Caches and directories found to be (or become) empty.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub empty_dirs: Vec<PathBuf>,
    /// Files removed.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub removed_files: Vec<PathBuf>,
    /// Directories removed.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub removed_dirs: Vec<PathBuf>,
    /// With pruning: this tag's bytecode of levels not kept, found.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub to_prune: Vec<PathBuf>,
    /// Of those, removed.
    #[serde(skip_serializing_if = "in_summary")]
    #[serde(serialize_with = "paths")]
    pub pruned: Vec<PathBuf>,
    /// Bytes the pruning freed (a file that was a hard link of a kept one
    /// frees none).
    pub pruned_bytes: u64,
    /// Per-path problems.
    pub failures: Vec<Failure>,
    /// What kept the run from finishing (e.g. no interpreter); a string in
    /// JSON and Lua.
    pub error: Option<Stop>,
    /// Worth saying, not failures.
    pub warnings: Vec<String>,
    /// What verbose output adds.
    pub notes: Vec<String>,
    /// Interpreters started by this command: compile workers, and the
    /// interpreter asked for its magic number (a flavor of a version the
    /// table does not know, whose standard library could not tell it).
    pub interpreters_started: usize,
    /// Wall time in milliseconds.
    pub elapsed_ms: u128,
    /// The optimization levels kept.
    pub levels: Vec<u8>,
    /// The human summary at normal verbosity.
    pub lines: Vec<String>,
    /// 0 ok, 1 failures or out of sync, 3 environment.
    pub exit_code: i32,
}

impl Report {
    /// Finishes a report: computes the exit code and the summary lines.
    pub(crate) fn finish(mut self, elapsed: Duration) -> Report {
        self.elapsed_ms = elapsed.as_millis();
        self.exit_code = if self.error.is_some() {
            EXIT_ENVIRONMENT
        } else if !self.failures.is_empty() || (self.command == Command::Check && !self.in_sync()) {
            EXIT_FAILED
        } else {
            EXIT_OK
        };
        self.lines = self.render(false);
        self
    }

    /// Whether the scan found nothing to compile, orphaned or left empty.
    pub fn in_sync(&self) -> bool {
        self.to_compile.is_empty()
            && self.orphans.is_empty()
            && self.empty_dirs.is_empty()
            && self.to_prune.is_empty()
    }

    /// The human output: a summary line, then one line per failure; with
    /// `verbose`, what was found or done file by file and the notes.
    pub fn render(&self, verbose: bool) -> Vec<String> {
        let mut lines = vec![format!(
            ">=> Python {}: {}",
            self.python.version,
            self.summary()
        )];
        if verbose {
            lines.extend(self.details());
        }
        for w in &self.warnings {
            lines.push(format!("pycache: warning: {w}"));
        }
        for f in &self.failures {
            lines.push(format!("pycache: {}: {}", f.path.display(), f.reason));
        }
        if let Some(e) = &self.error {
            lines.push(format!("pycache: {e}"));
        }
        lines
    }

    /// The summary: what was (or would be) written, per kind of pyc, and
    /// removed; one line whatever happened.
    fn summary(&self) -> String {
        let removal = |files: usize, dirs: usize| {
            let mut parts = Vec::new();
            if files > 0 {
                parts.push(plural(files, "orphaned file", "orphaned files"));
            }
            if dirs > 0 {
                parts.push(plural(dirs, "empty dir", "empty dirs"));
            }
            parts.join(", ")
        };
        let unkept = |n: usize| plural(n, "file of unkept levels", "files of unkept levels");
        let mut parts: Vec<String> = Vec::new();
        match (self.command, self.dry_run) {
            (Command::Check, _) => {
                if !self.to_compile.is_empty() {
                    let (missing, stale) = self.pending_counts();
                    parts.push(format!(
                        "{} to compile ({} missing, {stale} stale)",
                        plural(self.to_compile.len(), "source", "sources"),
                        plural(missing, "pyc", "pycs"),
                    ));
                }
                let found = removal(self.orphans.len(), self.empty_dirs.len());
                if !found.is_empty() {
                    parts.push(found);
                }
                if !self.to_prune.is_empty() {
                    parts.push(format!("{} to prune", unkept(self.to_prune.len())));
                }
            }
            (_, true) => {
                if !self.to_compile.is_empty() {
                    let levels = self
                        .to_compile
                        .iter()
                        .map(|p| p.levels.iter().map(|l| l.level));
                    parts.push(format!(
                        "would write {} for {}",
                        pycs_by_level(levels.flatten()),
                        plural(self.to_compile.len(), "source", "sources")
                    ));
                }
                let found = removal(self.orphans.len(), self.empty_dirs.len());
                if !found.is_empty() {
                    parts.push(format!("would remove {found}"));
                }
                if !self.to_prune.is_empty() {
                    parts.push(format!("would prune {}", unkept(self.to_prune.len())));
                }
            }
            (_, false) => {
                if !self.compiled.is_empty() {
                    let levels = self.compiled.iter().map(|c| c.levels.iter().copied());
                    parts.push(format!(
                        "wrote {} for {} in {:.1} s",
                        pycs_by_level(levels.flatten()),
                        plural(self.compiled.len(), "source", "sources"),
                        self.elapsed_ms as f64 / 1000.0
                    ));
                }
                let done = removal(self.removed_files.len(), self.removed_dirs.len());
                if !done.is_empty() {
                    parts.push(format!("removed {done}"));
                }
                if !self.pruned.is_empty() {
                    parts.push(format!(
                        "pruned {} ({} freed)",
                        unkept(self.pruned.len()),
                        bytes(self.pruned_bytes)
                    ));
                }
            }
        }
        let failed = self.failures.len();
        if parts.is_empty() && failed == 0 && self.error.is_none() {
            return match self.command {
                Command::Clean => "nothing to remove".to_string(),
                _ => format!(
                    "bytecode up to date ({})",
                    plural(self.sources, "source", "sources")
                ),
            };
        }
        if failed > 0 {
            parts.push(format!("{failed} failed"));
        }
        if parts.is_empty() {
            parts.push("not done".to_string());
        }
        parts.join("; ")
    }

    fn pending_counts(&self) -> (usize, usize) {
        let all = self.to_compile.iter().flat_map(|p| &p.levels);
        let missing = all
            .clone()
            .filter(|l| l.state == LevelState::Missing)
            .count();
        (missing, all.count() - missing)
    }

    fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let levels = |ls: &[u8]| ls.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
        for note in &self.notes {
            lines.push(format!("  note: {note}"));
        }
        for p in &self.to_compile {
            let mut line = format!("  {}:", p.path.display());
            for l in &p.levels {
                let _ = write!(line, " opt-{} {}", l.level, l.state.as_str());
                if !l.reason.is_empty() {
                    let _ = write!(line, " ({})", l.reason);
                }
            }
            lines.push(line);
        }
        for c in &self.compiled {
            lines.push(format!(
                "  compiled {} [{}]",
                c.path.display(),
                levels(&c.levels)
            ));
        }
        let (orphans, empties) = if self.command == Command::Check || self.dry_run {
            (&self.orphans, &self.empty_dirs)
        } else {
            (&self.removed_files, &self.removed_dirs)
        };
        for f in orphans {
            lines.push(format!("  orphan {}", f.display()));
        }
        for d in empties {
            lines.push(format!("  empty {}", d.display()));
        }
        let unkept = if self.command == Command::Check || self.dry_run {
            &self.to_prune
        } else {
            &self.pruned
        };
        for f in unkept {
            lines.push(format!("  prune {}", f.display()));
        }
        if self.interpreters_started > 0 {
            lines.push(format!(
                "  started {} interpreter(s)",
                self.interpreters_started
            ));
        }
        lines
    }

    /// The report as one line of JSON (schema in the module docs).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report always serializes")
    }

    /// The report as JSON without its lists of paths (the fields marked
    /// `*` in the module docs): what a pkg trigger reads, which needs only
    /// the lines, the error and the exit code. Removing a large package
    /// would otherwise send every removed path through pkg's pipe and
    /// Lua's JSON reader, for nothing.
    pub fn to_json_summary(&self) -> String {
        with_set(&SUMMARY, || self.to_json())
    }
}

/// `512 B`, `33.7 KiB`, `1.2 MiB`: binary units, as pkg prints sizes.
fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The pycs of these levels (one entry per pyc), named as the files an
/// admin sees: `6 .opt-2.pyc`, or `18 pycs (6 .pyc, 6 .opt-1.pyc, 6
/// .opt-2.pyc)` when there are several kinds.
fn pycs_by_level(levels: impl Iterator<Item = u8>) -> String {
    let mut counts = [0usize; 3];
    for level in levels {
        counts[usize::from(level.min(2))] += 1;
    }
    let kinds: Vec<String> = (0..3)
        .filter(|&l| counts[l] > 0)
        .map(|l| match l {
            0 => format!("{} .pyc", counts[0]),
            l => format!("{} .opt-{l}.pyc", counts[l]),
        })
        .collect();
    match kinds.as_slice() {
        [one] => one.clone(),
        _ => format!(
            "{} pycs ({})",
            counts.iter().sum::<usize>(),
            kinds.join(", ")
        ),
    }
}

thread_local! {
    /// Set while a report is turned into a Lua table: paths are then the
    /// raw bytes (a Lua string holds any byte) instead of JSON strings
    /// with `\udcXX` escapes. Everything else serializes the same way.
    static RAW_PATHS: Cell<bool> = const { Cell::new(false) };
    /// Set while a summary report is serialized
    /// ([`Report::to_json_summary`]): its lists of paths are left out.
    static SUMMARY: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` (a serialization for Lua) with paths serialized as raw bytes.
#[cfg(feature = "lua-module")]
pub(crate) fn with_raw_paths<T>(f: impl FnOnce() -> T) -> T {
    with_set(&RAW_PATHS, f)
}

/// Runs `f` with the flag `key` set, restoring it afterwards (even when
/// `f` panics).
fn with_set<T>(key: &'static std::thread::LocalKey<Cell<bool>>, f: impl FnOnce() -> T) -> T {
    struct Reset(&'static std::thread::LocalKey<Cell<bool>>, bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            self.0.with(|r| r.set(self.1));
        }
    }
    let _reset = Reset(key, key.with(|r| r.replace(true)));
    f()
}

/// serde's `skip_serializing_if` for the lists of paths: true while a
/// summary report is serialized.
fn in_summary<T>(_: &T) -> bool {
    SUMMARY.with(Cell::get)
}

/// A path as a JSON string, non-UTF-8 bytes as `\udcXX`.
fn json_string(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let mut out = String::with_capacity(path.as_os_str().len() + 2);
    out.push('"');
    for chunk in path.as_os_str().as_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\udc{b:02x}");
        }
    }
    out.push('"');
    out
}

fn path<S: Serializer>(p: &Path, s: S) -> Result<S::Ok, S::Error> {
    use std::os::unix::ffi::OsStrExt;
    if RAW_PATHS.with(Cell::get) {
        return s.serialize_bytes(p.as_os_str().as_bytes());
    }
    RawValue::from_string(json_string(p))
        .map_err(S::Error::custom)?
        .serialize(s)
}

#[allow(clippy::ptr_arg)] // serde passes `&Vec<PathBuf>`
fn paths<S: Serializer>(ps: &Vec<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(ps.len()))?;
    struct One<'a>(&'a Path);
    impl Serialize for One<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            path(self.0, s)
        }
    }
    for p in ps {
        seq.serialize_element(&One(p))?;
    }
    seq.end()
}

fn opt_path<S: Serializer>(p: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => path(p, s),
        None => s.serialize_none(),
    }
}

fn opt_paths<S: Serializer>(ps: &Option<Vec<PathBuf>>, s: S) -> Result<S::Ok, S::Error> {
    match ps {
        Some(ps) => paths(ps, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn sizes_read_as_pkg_prints_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(34_500), "33.7 KiB");
        assert_eq!(bytes(5 << 20), "5.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }

    #[test]
    fn json_paths_keep_every_byte() {
        let p = Path::new(OsStr::from_bytes(b"/a\"b\\c\nd\xff\xc3\xa9"));
        assert_eq!(json_string(p), r#""/a\"b\\c\u000ad\udcffé""#);
    }
}
