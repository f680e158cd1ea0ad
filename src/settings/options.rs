//! The options of a run (one command on one target), typed: the engine's
//! only input.
//!
//! Each field holds a value as a front gave it, checked where it came in
//! ([`crate::settings::defs`]): `None` when the front did not give it, so
//! that the configuration file may fill it in. One resolution step turns
//! them into the settings a run works with ([`crate::settings::resolve`]:
//! the file merged, defaults taken, `jobs` 0 made the cores). The library's
//! setters write the fields directly and cannot fail: a value out of range
//! is brought within it, as walkdir's `max_open(0)` becomes 1.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use glob::Pattern;

use crate::bytecode::pyc::InvalidationMode;
use crate::settings::flavor::Flavor;

/// The longest `timeout`: a day. A file that takes longer to compile is
/// not compiling; the bound keeps every deadline (now + timeout) a time the
/// clock can hold, so no timeout given can overflow one.
pub const TIMEOUT_MAX: Duration = Duration::from_secs(86_400);

/// The environment variable naming the configuration file to read when
/// no `config` option is given.
pub const CONFIG_ENV: &str = "PYCACHE_CONF";

/// How a front names its target: the flags of the program, the options of
/// the Lua module. [`Target::select`](crate::Target::select) is the one
/// place they are resolved.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// A flavor: layout, tag and magic follow from it.
    pub flavor: Option<Flavor>,
    /// Where the flavor is installed; `/usr/local` when `None`.
    pub prefix: Option<PathBuf>,
    /// The interpreter. With a flavor, only the one that compiles; alone,
    /// it is asked for everything.
    pub python: Option<PathBuf>,
    /// Overrides the site-packages.
    pub site_packages: Option<PathBuf>,
    /// Works below this root.
    pub root: Option<PathBuf>,
}

impl Selection {
    /// The default prefix of a flavor.
    pub const PREFIX: &'static str = "/usr/local";

    /// The prefix flavors are installed under, as the running system
    /// spells it (`/usr/local` unless given).
    pub fn prefix(&self) -> &Path {
        self.prefix
            .as_deref()
            .unwrap_or(Path::new(Selection::PREFIX))
    }

    /// [`Selection::prefix`] on disk: inside the root if given. Where
    /// `all` looks for installed flavors.
    pub fn prefix_on_disk(&self) -> PathBuf {
        let prefix = self.prefix();
        match &self.root {
            Some(root) => root.join(prefix.strip_prefix("/").unwrap_or(prefix)),
            None => prefix.to_path_buf(),
        }
    }
}

/// Optimization levels to keep: sorted, each once, at least one, each
/// 0, 1 or 2.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Levels(Vec<u8>);

impl Levels {
    /// `levels` sorted and without duplicates; `None` when one is above 2
    /// or there is none.
    pub fn new(levels: &[u8]) -> Option<Levels> {
        let mut levels = levels.to_vec();
        levels.sort_unstable();
        levels.dedup();
        (!levels.is_empty() && levels.iter().all(|&l| l <= 2)).then_some(Levels(levels))
    }

    /// The levels, ascending.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// The levels, ascending.
    pub fn iter(&self) -> std::slice::Iter<'_, u8> {
        self.0.iter()
    }

    /// Whether `level` is kept.
    pub fn contains(&self, level: &u8) -> bool {
        self.0.contains(level)
    }
}

/// All three levels: what CPython writes with `-O`, `-OO` and neither.
impl Default for Levels {
    fn default() -> Levels {
        Levels(vec![0, 1, 2])
    }
}

/// The most memory one compile worker may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLimit {
    /// No limit (`memory_limit = 0`).
    Unlimited,
    /// This many MiB, within [`MemoryLimit::RANGE`].
    Mib(u64),
}

impl MemoryLimit {
    /// The limits a run takes, in MiB: an interpreter must start under the
    /// least; the most, 1 TiB, keeps the bytes within every `rlim_t`.
    pub const RANGE: std::ops::RangeInclusive<i64> = 64..=1 << 20;

    /// The limit in MiB, `None` for none.
    pub fn mebibytes(self) -> Option<u64> {
        match self {
            MemoryLimit::Unlimited => None,
            MemoryLimit::Mib(n) => Some(n),
        }
    }

    /// `mib` MiB brought within [`MemoryLimit::RANGE`]; 0 is no limit.
    pub fn clamped(mib: u64) -> MemoryLimit {
        let (least, most) = (*Self::RANGE.start() as u64, *Self::RANGE.end() as u64);
        match mib {
            0 => MemoryLimit::Unlimited,
            n => MemoryLimit::Mib(n.clamp(least, most)),
        }
    }
}

/// Many times what the largest real sources need (a 2.4 MB module of
/// 40,000 functions takes 410 MiB at CPython 3.11's peak), far below what
/// a generated one can take (a 20 MB list literal: 7.5 GiB).
impl Default for MemoryLimit {
    fn default() -> MemoryLimit {
        MemoryLimit::Mib(2048)
    }
}

/// The options of one run as a front gave them: `None` (or `false`) for
/// what it did not give.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Which interpreter and tree.
    pub selection: Selection,
    /// Levels to keep fresh.
    pub levels: Option<Levels>,
    /// How written pycs are validated.
    pub invalidation_mode: Option<InvalidationMode>,
    /// Compile workers at most (0: one per core).
    pub jobs: Option<usize>,
    /// Sources never compiled, matched below the tree.
    pub exclude: Option<Vec<Pattern>>,
    /// The directories pkg touched, to look at only; `None`: the whole
    /// tree, an empty list: nothing was touched.
    pub touched: Option<Vec<PathBuf>>,
    /// Longest time one file may take to compile.
    pub timeout: Option<Duration>,
    /// Most memory one compile worker may use.
    pub memory_limit: Option<MemoryLimit>,
    /// Read each pyc's body too, not only its header.
    pub verify: Option<bool>,
    /// Remove this tag's bytecode of levels not kept.
    pub prune_levels: Option<bool>,
    /// Work on the standard library too (site-packages included).
    pub stdlib: Option<bool>,
    /// Report only.
    pub dry_run: bool,
    /// The configuration file to read, named by the front (`--config`).
    pub config: Option<PathBuf>,
    /// Read no configuration file.
    pub no_config: bool,
    /// `$PYCACHE_CONF`, as the front read it ([`Options::set_environment`]).
    pub config_env: Option<PathBuf>,
}

impl Options {
    /// Takes what the engine reads from a front's environment: only
    /// [`CONFIG_ENV`], the file read when no `config` is given. A front that
    /// has an environment (the program, `pycache.core`) passes its lookup;
    /// the library reads none.
    pub fn set_environment(&mut self, var: impl Fn(&str) -> Option<OsString>) {
        self.config_env = var(CONFIG_ENV).map(PathBuf::from);
    }

    /// Keeps these levels fresh. By default `0, 1, 2`.
    pub fn levels(mut self, levels: Levels) -> Options {
        self.levels = Some(levels);
        self
    }

    /// Writes pycs validated so. By default timestamps.
    pub fn invalidation_mode(mut self, mode: InvalidationMode) -> Options {
        self.invalidation_mode = Some(mode);
        self
    }

    /// Starts at most this many compile workers, and never more than the
    /// cores or the files. By default (and with 0) one per core.
    pub fn jobs(mut self, jobs: usize) -> Options {
        self.jobs = Some(jobs);
        self
    }

    /// Never compiles sources whose path below the tree matches one of
    /// `globs` (`*` also matches `/`). By default nothing is excluded.
    pub fn exclude(mut self, globs: Vec<Pattern>) -> Options {
        self.exclude = Some(globs);
        self
    }

    /// Looks only at these directories (pkg's touched directories, on the
    /// running system or on disk; missing ones are fine). By default the
    /// whole tree.
    pub fn touched(mut self, dirs: &[PathBuf]) -> Options {
        self.touched = Some(dirs.to_vec());
        self
    }

    /// Longest time one file may take to compile, and a worker to start;
    /// brought within 1 ns and a day ([`TIMEOUT_MAX`]). By default 120 s.
    pub fn timeout(mut self, timeout: Duration) -> Options {
        self.timeout = Some(timeout.clamp(Duration::from_nanos(1), TIMEOUT_MAX));
        self
    }

    /// Most memory one compile worker may use, in MiB, brought within
    /// [`MemoryLimit::RANGE`]; 0 for no limit. By default 2048.
    pub fn memory_limit(mut self, mib: u64) -> Options {
        self.memory_limit = Some(MemoryLimit::clamped(mib));
        self
    }

    /// Also reads the body of every pyc whose header is fresh and judges
    /// it stale when the body would not load. Off by default.
    pub fn verify(mut self, verify: bool) -> Options {
        self.verify = Some(verify);
        self
    }

    /// Also removes this interpreter's bytecode of levels not kept. Off by
    /// default.
    pub fn prune_levels(mut self, prune: bool) -> Options {
        self.prune_levels = Some(prune);
        self
    }

    /// Works on the standard library too (`PREFIX/lib/pythonX.Y`,
    /// site-packages included). Off by default.
    pub fn stdlib(mut self, stdlib: bool) -> Options {
        self.stdlib = Some(stdlib);
        self
    }

    /// Reports what would change, changes nothing. Off by default.
    pub fn dry_run(mut self, dry_run: bool) -> Options {
        self.dry_run = dry_run;
        self
    }
}

/// The settings a run works with: the options given, the configuration
/// file's where none was given, defaults for the rest
/// ([`crate::settings::resolve`]).
#[derive(Clone, Debug)]
pub struct Settings {
    /// Levels to keep fresh.
    pub levels: Levels,
    /// How written pycs are validated.
    pub invalidation_mode: InvalidationMode,
    /// Compile workers at most, as set (0: one per core); a run starts no
    /// more than the cores ([`Settings::workers`]).
    pub jobs: usize,
    /// Sources never compiled.
    pub exclude: Vec<Pattern>,
    /// The directories pkg touched; `None`: the whole tree.
    pub touched: Option<Vec<PathBuf>>,
    /// Longest time one file may take.
    pub timeout: Duration,
    /// Most memory one compile worker may use.
    pub memory_limit: MemoryLimit,
    /// Read each pyc's body too.
    pub verify: bool,
    /// Remove this tag's bytecode of levels not kept.
    pub prune_levels: bool,
    /// Work on the standard library too.
    pub stdlib: bool,
    /// Report only.
    pub dry_run: bool,
}

/// The cores this process may run on: std asks the system for the CPU
/// affinity mask and, on Linux, the cgroup quota too (`cpuset_getaffinity`
/// on FreeBSD); more workers than these only wait for one another.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Settings {
    /// The compile workers a run may start: `jobs` (0: the cores), but no
    /// more than the cores (more only wait for one another, each an
    /// interpreter in memory); with the note verbose output gives when
    /// `jobs` was lowered. The setting itself stays as given, as `pycache
    /// config` shows it.
    pub fn workers(&self) -> (usize, Option<String>) {
        let cores = cores();
        match self.jobs {
            0 => (cores, None),
            jobs if jobs <= cores => (jobs, None),
            jobs => {
                let note = format!("jobs: {jobs} lowered to {cores}, the cores pycache may use");
                (cores, Some(note))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_s_setters_bring_values_within_range() {
        let o = Options::default()
            .timeout(Duration::ZERO)
            .memory_limit(1)
            .jobs(0);
        assert_eq!(o.timeout, Some(Duration::from_nanos(1)));
        assert_eq!(o.memory_limit, Some(MemoryLimit::Mib(64)));
        let o = Options::default()
            .timeout(Duration::from_secs(u64::MAX))
            .memory_limit(u64::MAX);
        assert_eq!(o.timeout, Some(TIMEOUT_MAX));
        assert_eq!(o.memory_limit, Some(MemoryLimit::Mib(1 << 20)));
        assert_eq!(Levels::new(&[2, 0, 2]).unwrap().as_slice(), [0, 2]);
        assert_eq!(Levels::new(&[3]), None);
        assert_eq!(Levels::new(&[]), None);
    }
}
