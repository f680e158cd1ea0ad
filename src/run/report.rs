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
//!                 site_packages PATH (running system), stdlib PATH|null (the standard
//!                 library on the running system when the run covers it), directory PATH
//!                 (the tree on disk), root PATH|null, magic "a70d0d0a"|null,
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
//! error_kind     string                  only with an error: its kind (pycache(8), "Error kinds")
//! warnings       [string]
//! notes          [string]                what verbose output adds
//! interpreters_started  int             every interpreter the run started: compile
//!                                        workers, one asked about itself or for its
//!                                        magic number, fresh ones of a 3.12 worker
//! elapsed_ms     int
//! levels         [int]                   the optimization levels kept
//! lines          [string]                the human summary, as printed (control
//!                                        characters escaped: src/text.rs); with an
//!                                        error, its line is the last
//! exit_code      0 | 1 | 3 (130 | 143 from the program when interrupted)
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::bytecode::magic::MagicFrom;
use crate::bytecode::pyc::Verdict;
use crate::error::{Error, Failure};
use crate::exit::ExitCode;
use crate::run::scan::Plan;
use crate::text::shown;

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

impl Command {
    /// `check`, `update`, `clean` or `compile`, as fronts and JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            Command::Check => "check",
            Command::Update => "update",
            Command::Clean => "clean",
            Command::Compile => "compile",
        }
    }
}

/// The interpreter and tree a report is about.
#[derive(Clone, Debug)]
pub struct PythonInfo {
    /// `3.11`.
    pub version: String,
    /// `cpython-311`.
    pub tag: String,
    /// The interpreter that compiles (or would).
    pub interpreter: PathBuf,
    /// site-packages on the running system.
    pub site_packages: PathBuf,
    /// The standard library on the running system, when the run covers it
    /// (`stdlib`): then it is the tree, site-packages included.
    pub stdlib: Option<PathBuf>,
    /// The tree on disk (below the root, symlinks resolved): site-packages,
    /// or the standard library.
    pub directory: PathBuf,
    /// The root, if any.
    pub root: Option<PathBuf>,
    /// The magic number freshness was judged with, as the first four bytes
    /// of a pyc in hex (`a70d0d0a`); `None` when none was needed (`clean`)
    /// or none could be had.
    pub magic: Option<String>,
    /// Where [`PythonInfo::magic`] came from.
    pub magic_from: Option<MagicFrom>,
}

/// A source that needs compiling.
#[derive(Clone, Debug)]
pub struct Pending {
    /// The source.
    pub path: PathBuf,
    /// The levels that need it, and why.
    pub levels: Vec<JudgedLevel>,
}

/// One level of a source as judged: fresh, missing or stale, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JudgedLevel {
    /// 0, 1 or 2.
    pub level: u8,
    /// Whether its pyc is fresh, missing or stale.
    pub state: LevelState,
    /// Why stale; empty otherwise.
    pub reason: String,
}

impl Pending {
    /// The sources `plan` compiles, as a report lists them (sorted).
    pub(crate) fn of(plan: &Plan) -> Vec<Pending> {
        let mut to_compile: Vec<Pending> = (plan.to_compile.iter())
            .map(|task| Pending {
                path: task.source.clone(),
                levels: (task.levels.iter())
                    .map(|l| JudgedLevel::of(l.level, &l.verdict))
                    .collect(),
            })
            .collect();
        to_compile.sort_by(|a, b| a.path.cmp(&b.path));
        to_compile
    }
}

impl JudgedLevel {
    /// `level` judged `verdict`.
    pub(crate) fn of(level: u8, verdict: &Verdict) -> JudgedLevel {
        let (state, reason) = match verdict {
            Verdict::Fresh => (LevelState::Fresh, String::new()),
            Verdict::Missing => (LevelState::Missing, String::new()),
            Verdict::Stale(why) => (LevelState::Stale, why.to_string()),
        };
        JudgedLevel {
            level,
            state,
            reason,
        }
    }
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
    /// What happened, what it left undone, then what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = &self.error;
        let undone = match (&self.undone, &self.error) {
            (Undone::Judging, _) => "cannot judge or compile bytecode".to_string(),
            (
                Undone::Compiling { sources, version },
                Error::InterpreterNotFound { hint: None, .. },
            ) => {
                return write!(
                    f,
                    "{what}; {sources} source(s) not compiled, cleaning was still done; \
                     unless the Python {version} package is being removed, reinstall it"
                );
            }
            // A name PATH does not have: its hint, the advice, stays with
            // the name it is about (scripts match that wording).
            (Undone::Compiling { sources, .. }, e @ Error::InterpreterNotFound { .. }) => {
                return write!(
                    f,
                    "{}; {sources} source(s) not compiled, cleaning was still done",
                    e.message()
                );
            }
            (Undone::Compiling { sources, .. }, _) => format!("{sources} source(s) not compiled"),
        };
        match self.error.advice() {
            Some(advice) => write!(f, "{what}; {undone}; {advice}"),
            None => write!(f, "{what}; {undone}"),
        }
    }
}

/// A source compiled.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The source.
    pub path: PathBuf,
    /// Levels written.
    pub levels: Vec<u8>,
}

/// Everything one run found and did.
#[derive(Debug)]
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
    pub config: Option<PathBuf>,
    /// Directories scanned (`None`: the whole tree).
    pub touched: Option<Vec<PathBuf>>,
    /// Sources judged.
    pub sources: usize,
    /// Sources fresh at every level.
    pub fresh: usize,
    /// Sources found missing or stale.
    pub to_compile: Vec<Pending>,
    /// Sources compiled.
    pub compiled: Vec<Compiled>,
    /// Orphaned bytecode found.
    pub orphans: Vec<PathBuf>,
    /// Caches and directories found to be (or become) empty.
    pub empty_dirs: Vec<PathBuf>,
    /// Files removed.
    pub removed_files: Vec<PathBuf>,
    /// Directories removed.
    pub removed_dirs: Vec<PathBuf>,
    /// With pruning: this tag's bytecode of levels not kept, found.
    pub to_prune: Vec<PathBuf>,
    /// Of those, removed.
    pub pruned: Vec<PathBuf>,
    /// Bytes the pruning freed (a file that was a hard link of a kept one
    /// frees none).
    pub pruned_bytes: u64,
    /// Per-path problems.
    pub failures: Vec<Failure>,
    /// What kept the run from finishing (e.g. no interpreter); the string
    /// `error` in JSON and Lua.
    pub stop: Option<Stop>,
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
    /// 0 ok, 1 failures or out of sync, 3 environment; a signal's when one
    /// stopped the run.
    pub exit_code: ExitCode,
}

impl Report {
    /// Finishes a report: computes the exit code and the summary lines.
    pub(crate) fn finish(mut self, elapsed: Duration) -> Report {
        self.elapsed_ms = elapsed.as_millis();
        self.exit_code = if self.stop.is_some() {
            ExitCode::Environment
        } else if !self.failures.is_empty()
            || ((self.command == Command::Check || self.dry_run) && !self.in_sync())
        {
            ExitCode::Failed
        } else {
            ExitCode::Ok
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
    /// `verbose`, what was found or done file by file and the notes. Each
    /// line is text for a terminal ([`crate::text::shown`]): file names,
    /// compiler messages and interpreter output have their control
    /// characters escaped.
    pub fn render(&self, verbose: bool) -> Vec<String> {
        let mut lines = self.lines(verbose);
        for line in &mut lines {
            if let Cow::Owned(escaped) = shown(line) {
                *line = escaped;
            }
        }
        lines
    }

    fn lines(&self, verbose: bool) -> Vec<String> {
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
        if let Some(stop) = &self.stop {
            lines.push(format!("pycache: {stop}"));
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
        if parts.is_empty() && failed == 0 && self.stop.is_none() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_pkg_prints_them() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(34_500), "33.7 KiB");
        assert_eq!(bytes(5 << 20), "5.0 MiB");
        assert_eq!(bytes(3 << 30), "3.0 GiB");
    }
}
