//! The options of a run (one command on one target), defined once.
//!
//! [`OPTIONS`] lists every option with its name (the Lua key, and the name
//! messages use), its program flag, what a value must be and its default.
//! [`Options::set`] is the one place a value is checked: the program turns
//! each flag's text into a [`Value`] ([`Value::from_text`]), `pycache.core`
//! turns each Lua value into one, and both hand it here, so the same bad
//! value gives the same message from every front. `lua/pycache.lua` passes
//! a Lua table on unread, as JSON (`pycache request`), so the program reads
//! it as `pycache.core` does ([`Options::read_given`]); a test keeps the
//! program's flags and README's tables equal to this one.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use glob::Pattern;

use crate::bytecode::pyc::InvalidationMode;
use crate::settings::flavor::Flavor;

/// What kind of value an option takes; decides how a value is checked,
/// how the program parses a flag and what Lua type a Lua module takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A flavor name such as `py311`.
    Flavor,
    /// A path (any bytes but NUL, not empty).
    Path,
    /// A list of optimization levels, `0,1,2` on the command line.
    Levels,
    /// An invalidation mode name.
    Mode,
    /// A whole number of workers, 0 for one per core; more than the
    /// cores count as the cores (`Options::workers`).
    Workers,
    /// A number of seconds, fractions allowed, up to [`TIMEOUT_MAX`].
    Seconds,
    /// A whole number of mebibytes, 0 for no limit.
    Mebibytes,
    /// On or off; a flag without a value on the command line.
    Switch,
    /// Glob patterns; a repeatable flag, one string or an array in Lua.
    Globs,
    /// Directories: the program's positional arguments, an array in Lua.
    Dirs,
    /// The configuration file to read (a path).
    Config,
}

impl Kind {
    /// The Lua type(s) a value of this kind has, as README and
    /// `pycache.core.options` name them.
    pub fn lua_type(self) -> &'static str {
        match self {
            Kind::Flavor | Kind::Path | Kind::Mode | Kind::Config => "string",
            Kind::Workers | Kind::Seconds | Kind::Mebibytes => "number",
            Kind::Switch => "boolean",
            Kind::Levels => "number array",
            Kind::Globs => "string or string array",
            Kind::Dirs => "string array",
        }
    }

    /// Whether options of this kind say which interpreter and
    /// site-packages (the only ones `pycache.core.info` takes).
    pub fn selects_target(self) -> bool {
        matches!(self, Kind::Flavor | Kind::Path)
    }

    /// What one element of a list must be, for list kinds.
    pub fn element(self) -> Option<&'static str> {
        match self {
            Kind::Levels => Some("0, 1 or 2"),
            Kind::Globs => Some("a glob"),
            Kind::Dirs => Some("a path"),
            _ => None,
        }
    }
}

/// One option of a run.
#[derive(Clone, Copy, Debug)]
pub struct Def {
    /// The Lua key and the name every message uses: `jobs`.
    pub key: &'static str,
    /// The program's long flag without dashes (`jobs`), or `""` for the
    /// positional directories.
    pub flag: &'static str,
    /// The program's short flag, if any.
    pub short: Option<char>,
    /// The placeholder of the flag's value in help (`N`).
    pub value_name: &'static str,
    /// What kind of value.
    pub kind: Kind,
    /// What a value must be, as messages say it: `jobs: must be EXPECTED, got 2.5`.
    pub expected: &'static str,
    /// The default, in words.
    pub default: &'static str,
    /// What the option does.
    pub help: &'static str,
    /// Which commands it means something to; the others refuse it.
    pub applies: Applies,
}

/// Which commands an option means something to. A command refuses an
/// option that does nothing for it, rather than take it silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// Every command.
    Always,
    /// Those that judge pyc files: not `clean`.
    Judging,
    /// Those that compile: `update` and `compile`.
    Compiling,
}

/// The longest `timeout`: a day. A file that takes longer to compile is
/// not compiling; the bound keeps every deadline (now + timeout) a time the
/// clock can hold, so no timeout given can overflow one.
pub const TIMEOUT_MAX: Duration = Duration::from_secs(86_400);

/// The environment variable naming the configuration file to read when
/// no `config` option is given.
pub const CONFIG_ENV: &str = "PYCACHE_CONF";

/// Every option of a run, in the order help and README list them.
pub const OPTIONS: &[Def] = &[
    Def {
        key: "flavor",
        flag: "flavor",
        short: Some('f'),
        value_name: "pyXY",
        kind: Kind::Flavor,
        expected: "a flavor such as py311, or py313t (free-threaded)",
        default: "—",
        help: "the flavor: interpreter `PREFIX/bin/pythonX.Y`, site-packages \
               `PREFIX/lib/pythonX.Y/site-packages`, tag `cpython-XY`; `pyXYt` (3.13 or \
               newer) is the free-threaded build, `pythonX.Yt` and `lib/pythonX.Yt`, same \
               tag; no interpreter is started to know this",
        applies: Applies::Always,
    },
    Def {
        key: "prefix",
        flag: "prefix",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: "`/usr/local`",
        help: "where a flavor is installed",
        applies: Applies::Always,
    },
    Def {
        key: "python",
        flag: "python",
        short: Some('p'),
        value_name: "PATH",
        kind: Kind::Path,
        expected: "a path",
        default: "`python3` on `PATH` when neither is given",
        help: "interpreter to compile with: a path, or a name looked up once in the \
               absolute directories of `PATH`; without a flavor it is asked for its \
               version, cache tag, magic number and site-packages",
        applies: Applies::Always,
    },
    Def {
        key: "site_packages",
        flag: "site-packages",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: "the interpreter's",
        help: "work on this directory instead",
        applies: Applies::Always,
    },
    Def {
        key: "root",
        flag: "root",
        short: None,
        value_name: "DIR",
        kind: Kind::Path,
        expected: "a path",
        default: "—",
        help: "work on `DIR/<site-packages>` (a staged image); code objects record \
               the runtime path; symlinks resolve inside `DIR`",
        applies: Applies::Always,
    },
    Def {
        key: "levels",
        flag: "optimize",
        short: Some('O'),
        value_name: "0,1,2",
        kind: Kind::Levels,
        expected: "a list of levels 0, 1 or 2",
        default: "`0,1,2`",
        help: "levels to keep",
        applies: Applies::Always,
    },
    Def {
        key: "invalidation_mode",
        flag: "invalidation-mode",
        short: None,
        value_name: "MODE",
        kind: Kind::Mode,
        expected: "timestamp, checked-hash or unchecked-hash",
        default: "`timestamp`",
        help: "`timestamp`, `checked-hash` or `unchecked-hash` for written pycs",
        applies: Applies::Compiling,
    },
    Def {
        key: "jobs",
        flag: "jobs",
        short: Some('j'),
        value_name: "N",
        kind: Kind::Workers,
        expected: "a whole number >= 0 (0: one per core)",
        default: "cores",
        help: "compile workers: at most one per file and one per core pycache may use (CPU \
               affinity, cpusets and cgroup quotas count); a larger number is lowered to that",
        applies: Applies::Compiling,
    },
    Def {
        key: "exclude",
        flag: "exclude",
        short: Some('x'),
        value_name: "GLOB",
        kind: Kind::Globs,
        expected: "a glob or an array of globs",
        default: "—",
        help: "never compile sources whose path below site-packages matches \
               (`*` matches `/` too); repeatable. Paths that are not UTF-8 match byte \
               for byte: `*` and `?` match any byte (`?` exactly one)",
        applies: Applies::Judging,
    },
    Def {
        key: "dirs",
        flag: "",
        short: None,
        value_name: "DIR",
        kind: Kind::Dirs,
        expected: "an array of paths",
        default: "the whole site-packages",
        help: "look only at these directories, as pkg reports them after a \
               transaction (missing ones are fine)",
        applies: Applies::Always,
    },
    Def {
        key: "timeout",
        flag: "timeout",
        short: None,
        value_name: "SECS",
        kind: Kind::Seconds,
        expected: "a number of seconds > 0 and <= 86400",
        default: "120",
        help: "longest time one file may take to compile, and a compile worker to start \
               (to greet); at most a day",
        applies: Applies::Compiling,
    },
    Def {
        key: "memory_limit",
        flag: "memory-limit",
        short: None,
        value_name: "MIB",
        kind: Kind::Mebibytes,
        expected: "a whole number of MiB from 64 to 1048576, or 0 for no limit",
        default: "2048",
        help: "most memory one compile worker may use, in MiB; a source that needs more \
               fails alone and the rest still compiles (0: no limit)",
        applies: Applies::Compiling,
    },
    Def {
        key: "verify",
        flag: "verify",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: "off (headers only)",
        help: "`check`/`update`: also read the whole body of every pyc whose header is \
               fresh; one that would not load (truncated, garbage) is stale and `update` \
               compiles it again",
        applies: Applies::Judging,
    },
    Def {
        key: "prune_levels",
        flag: "prune-levels",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: "off: nothing valid is ever removed",
        help: "also remove this interpreter's bytecode of levels not kept (its tag only; \
               see [Pruning levels](#pruning-levels))",
        applies: Applies::Always,
    },
    Def {
        key: "stdlib",
        flag: "stdlib",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: "off (triggers: on)",
        help: "also the standard library: work on the flavor's whole `PREFIX/lib/pythonX.Y`, \
               site-packages included, except the files CPython's own install leaves \
               uncompiled (its test data with bad syntax or encodings)",
        applies: Applies::Always,
    },
    Def {
        key: "config",
        flag: "config",
        short: None,
        value_name: "FILE",
        kind: Kind::Config,
        expected: "a path",
        default: "`$PYCACHE_CONF`, else `/usr/local/etc/pycache.conf`",
        help: "read settings from FILE (pycache.conf(5)); flags and Lua options \
               override them",
        applies: Applies::Always,
    },
    Def {
        key: "no_config",
        flag: "no-config",
        short: None,
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: "off",
        help: "read no configuration file",
        applies: Applies::Always,
    },
    Def {
        key: "dry_run",
        flag: "dry-run",
        short: Some('n'),
        value_name: "",
        kind: Kind::Switch,
        expected: "true or false",
        default: "off",
        help: "say what would be done",
        applies: Applies::Always,
    },
];

/// The definition of `key`.
pub fn def(key: &str) -> Option<&'static Def> {
    OPTIONS.iter().find(|d| d.key == key)
}

/// An option's value as a front received it, before it is checked: the
/// shapes a Lua value can take, which also hold whatever a flag's text
/// says.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A whole number.
    Int(i64),
    /// Any other number.
    Num(f64),
    /// A string: file-system bytes, never decoded unless the option needs text.
    Str(Vec<u8>),
    /// A boolean.
    Bool(bool),
    /// An array.
    List(Vec<Value>),
    /// Something else (a Lua function, userdata...), by its type name.
    Other(&'static str),
}

/// The options a Lua module was called with, as a front received them:
/// `pycache.core` from Lua itself, the program from what `lua/pycache.lua`
/// sent it (`pycache request`). [`Options::read_given`] reads both alike.
#[derive(Clone, Debug, PartialEq)]
pub enum Given {
    /// No options (`nil`): every default.
    Nothing,
    /// A table's key–value pairs, keys as given (a key that is not a
    /// string names no option).
    Table(Vec<(Value, Value)>),
    /// Something that is not a table.
    Not(Value),
}

impl Value {
    /// The name of its type, as Lua's `math.type`/`type` would say it
    /// (`integer` for a whole number).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Int(_) => "integer",
            Value::Num(_) => "number",
            Value::Str(_) => "string",
            Value::Bool(_) => "boolean",
            Value::List(_) => "table",
            Value::Other(t) => t,
        }
    }

    /// The value of a program flag given `texts`, one per occurrence: a
    /// list for globs and directories (an empty list of directories:
    /// nothing was touched), else the last text as [`Value::from_text`]
    /// reads it; `None` when the flag was not given.
    pub fn from_texts(kind: Kind, texts: &[&OsStr]) -> Option<Value> {
        match kind {
            Kind::Globs if texts.is_empty() => None,
            Kind::Globs | Kind::Dirs => Some(Value::List(
                texts
                    .iter()
                    .map(|t| Value::Str(t.as_bytes().to_vec()))
                    .collect(),
            )),
            kind => texts.last().map(|text| Value::from_text(kind, text)),
        }
    }

    /// The value a flag's text stands for, as an option of `kind` reads it:
    /// numbers for numeric kinds, a comma-separated list of numbers for
    /// levels, the bytes as they are for the others.
    pub fn from_text(kind: Kind, text: &OsStr) -> Value {
        match kind {
            Kind::Workers | Kind::Seconds | Kind::Mebibytes => number(text.as_bytes()),
            Kind::Levels if text.is_empty() => Value::List(Vec::new()),
            Kind::Levels => {
                Value::List(text.as_bytes().split(|&b| b == b',').map(number).collect())
            }
            Kind::Switch => Value::Bool(true),
            _ => Value::Str(text.as_bytes().to_vec()),
        }
    }
}

fn number(text: &[u8]) -> Value {
    let s = std::str::from_utf8(text).unwrap_or("");
    if let Ok(n) = s.parse::<i64>() {
        Value::Int(n)
    } else if let Ok(n) = s.parse::<f64>() {
        Value::Num(n)
    } else {
        Value::Str(text.to_vec())
    }
}

/// How a message shows a value: as Lua's `tostring` would for numbers and
/// booleans, between quotes for strings, by type for anything else. A
/// string is shown as it is: the line it ends up in is escaped for the
/// terminal as a whole (src/text.rs), and a message given as data (JSON,
/// a Lua error) keeps the value as given.
impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(n) => write!(f, "{n}"),
            Value::Num(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{n:.1}"),
            // As it was most likely written: `1e19`, not twenty digits.
            Value::Num(n) if n.is_finite() && (n.abs() >= 1e15 || n.abs() < 1e-4) => {
                write!(f, "{n:e}")
            }
            Value::Num(n) => write!(f, "{n}"),
            Value::Str(s) => write!(f, "\"{}\"", String::from_utf8_lossy(s)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::List(_) => f.write_str("a table"),
            Value::Other(t) => write!(f, "a {t}"),
        }
    }
}

/// A value an option does not take, or an option that does not exist.
/// Its message names the option by its key and shows the value; a problem
/// with the options as a whole has no key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{problem}", if key.is_empty() { String::new() } else { format!("{key}: ") })]
pub struct OptionError {
    /// The option (with `[i]` for an element of a list).
    pub key: String,
    /// What is wrong, and what would do.
    pub problem: String,
}

impl OptionError {
    fn new(key: impl Into<String>, problem: impl Into<String>) -> OptionError {
        OptionError {
            key: key.into(),
            problem: problem.into(),
        }
    }

    /// A key that is no option (of this function).
    pub(crate) fn unknown(key: &str) -> OptionError {
        OptionError::new(key, "unknown option")
    }

    fn expected(def: &Def, got: &Value) -> OptionError {
        OptionError::new(def.key, format!("must be {}, got {got}", def.expected))
    }

    /// An element of a list option that the option does not take. The
    /// value says which one it is; an index would count from 1 on Lua's
    /// fronts and mean nothing on the command line.
    fn element(def: &Def, got: &Value) -> OptionError {
        let element = def.kind.element().unwrap_or(def.expected);
        OptionError::new(def.key, format!("must be {element}, got {got}"))
    }

    /// The option's definition, when the key is a known option.
    pub fn def(&self) -> Option<&'static Def> {
        def(self.key.split('[').next().unwrap_or_default())
    }
}

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

/// The options of one run, each checked, with its default.
#[derive(Clone, Debug)]
pub struct Options {
    /// Which interpreter and site-packages.
    pub(crate) selection: Selection,
    /// Levels to keep fresh, sorted, without duplicates.
    pub(crate) levels: Vec<u8>,
    /// How written pycs are validated.
    pub(crate) invalidation_mode: InvalidationMode,
    /// Compile workers at most, as given (0: the cores); a run starts no
    /// more than the cores ([`Options::workers`]).
    pub(crate) workers: usize,
    /// Sources never compiled.
    pub(crate) exclude: Vec<Pattern>,
    /// Directories to look at; `None`: the whole tree.
    pub(crate) dirs: Option<Vec<PathBuf>>,
    /// Longest time one file may take.
    pub(crate) timeout: Duration,
    /// Most memory one compile worker may use, in MiB; `None`: no limit.
    pub(crate) memory_limit: Option<u64>,
    /// Report only.
    pub(crate) dry_run: bool,
    /// Read each pyc's body too, not only its header.
    pub(crate) verify: bool,
    /// Remove this tag's bytecode of levels not kept.
    pub(crate) prune_levels: bool,
    /// Work on the standard library too (site-packages included).
    pub(crate) stdlib: bool,
    /// The configuration file named by the front (`--config`).
    pub(crate) config: Option<PathBuf>,
    /// Read no configuration file.
    pub(crate) no_config: bool,
    /// `$PYCACHE_CONF`, as the front read it ([`Options::set_environment`]).
    pub(crate) config_env: Option<PathBuf>,
    /// The options a front set, which the file does not override.
    pub(crate) given: Vec<&'static str>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            selection: Selection::default(),
            levels: vec![0, 1, 2],
            invalidation_mode: InvalidationMode::Timestamp,
            workers: cores(),
            exclude: Vec::new(),
            dirs: None,
            timeout: Duration::from_secs(120),
            memory_limit: Some(DEFAULT_MEMORY_LIMIT),
            dry_run: false,
            verify: false,
            prune_levels: false,
            stdlib: false,
            config: None,
            no_config: false,
            config_env: None,
            given: Vec::new(),
        }
    }
}

/// The memory limit of a compile worker when none is set, in MiB: many
/// times what the largest real sources need (a 2.4 MB module of 40,000
/// functions takes 410 MiB at CPython 3.11's peak), far below what a
/// generated one can take (a 20 MB list literal: 7.5 GiB).
pub const DEFAULT_MEMORY_LIMIT: u64 = 2048;
/// The least a limit may be: an interpreter must start under it.
const MIN_MEMORY_LIMIT: i64 = 64;
/// The most a limit may be, 1 TiB, so that the bytes fit every `rlim_t`.
const MAX_MEMORY_LIMIT: i64 = 1 << 20;

/// The cores this process may run on: std asks the system for the CPU
/// affinity mask and, on Linux, the cgroup quota too (`cpuset_getaffinity`
/// on FreeBSD); more workers than these only wait for one another.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Options {
    /// Sets option `key` to `value`, checked; an unknown key, a value of the
    /// wrong type or out of range is an error naming the key. An option set
    /// here counts over the configuration file's.
    pub fn set(&mut self, key: &str, value: Value) -> Result<(), OptionError> {
        let def = self.assign(key, value)?;
        if !self.given.contains(&def.key) {
            self.given.push(def.key);
        }
        Ok(())
    }

    /// Whether a front set option `key` (so the file's value does not count).
    pub fn is_given(&self, key: &str) -> bool {
        self.given.contains(&key)
    }

    /// Sets option `key` as [`set`](Options::set) does, without counting
    /// it as the front's: how the configuration file's values come in.
    pub(crate) fn assign(&mut self, key: &str, value: Value) -> Result<&'static Def, OptionError> {
        let def = def(key).ok_or_else(|| OptionError::unknown(key))?;
        let bad = || OptionError::expected(def, &value);
        match (def.kind, &value) {
            (Kind::Flavor, Value::Str(s)) => {
                let name = std::str::from_utf8(s).map_err(|_| bad())?;
                let flavor =
                    Flavor::parse(name).map_err(|e| OptionError::new(key, e.to_string()))?;
                self.selection.flavor = Some(flavor);
            }
            (Kind::Path, Value::Str(s)) if !s.is_empty() && !s.contains(&0) => {
                let path = Some(PathBuf::from(OsString::from_vec(s.clone())));
                match key {
                    "prefix" => self.selection.prefix = path,
                    "python" => self.selection.python = path,
                    "site_packages" => self.selection.site_packages = path,
                    _ => self.selection.root = path,
                }
            }
            (Kind::Config, Value::Str(s)) if !s.is_empty() && !s.contains(&0) => {
                self.config = Some(PathBuf::from(OsString::from_vec(s.clone())));
            }
            (Kind::Levels, Value::List(items)) => {
                let mut levels = Vec::with_capacity(items.len());
                for item in items {
                    match whole(item) {
                        Some(n @ 0..=2) => levels.push(n as u8),
                        _ => return Err(OptionError::element(def, item)),
                    }
                }
                self.levels = checked_levels(&levels)?;
            }
            (Kind::Mode, Value::Str(s)) => {
                self.invalidation_mode = std::str::from_utf8(s)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(bad)?;
            }
            (Kind::Workers, _) => match whole(&value) {
                Some(0) => self.workers = cores(),
                Some(n) if n > 0 => self.workers = usize::try_from(n).unwrap_or(usize::MAX),
                _ => return Err(bad()),
            },
            (Kind::Seconds, Value::Int(_) | Value::Num(_)) => {
                let secs = match value {
                    Value::Int(n) => n as f64,
                    Value::Num(n) => n,
                    _ => unreachable!("matched above"),
                };
                // NaN fails both comparisons. A positive time too short for
                // the clock is its shortest, never zero.
                if !(secs > 0.0 && secs <= TIMEOUT_MAX.as_secs_f64()) {
                    return Err(bad());
                }
                self.timeout = Duration::from_secs_f64(secs).max(Duration::from_nanos(1));
            }
            (Kind::Mebibytes, _) => match whole(&value) {
                Some(0) => self.memory_limit = None,
                Some(n @ MIN_MEMORY_LIMIT..=MAX_MEMORY_LIMIT) => self.memory_limit = Some(n as u64),
                _ => return Err(bad()),
            },
            (Kind::Switch, Value::Bool(b)) => match key {
                "dry_run" => self.dry_run = *b,
                "verify" => self.verify = *b,
                "prune_levels" => self.prune_levels = *b,
                "stdlib" => self.stdlib = *b,
                "no_config" => self.no_config = *b,
                _ => unreachable!("every switch is handled: {key}"),
            },
            (Kind::Globs, Value::Str(_)) => self.exclude = vec![checked_glob(def, &value)?],
            (Kind::Globs, Value::List(items)) => {
                self.exclude = (items.iter())
                    .map(|item| checked_glob(def, item))
                    .collect::<Result<_, _>>()?;
            }
            (Kind::Dirs, Value::List(items)) => {
                let mut dirs = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Value::Str(s) if !s.contains(&0) => {
                            dirs.push(PathBuf::from(OsString::from_vec(s.clone())))
                        }
                        _ => return Err(OptionError::element(def, item)),
                    }
                }
                self.dirs = Some(dirs);
            }
            _ => return Err(bad()),
        }
        Ok(def)
    }

    /// The options a front gathered, as `(key, value)` pairs: every key is
    /// checked first (one that is no option, or that `allowed` refuses, is
    /// an unknown option), then each value is set in the order of
    /// [`OPTIONS`], so the first problem reported is the same whichever
    /// front read them and in whatever order.
    pub fn read<K: AsRef<str>>(
        values: impl IntoIterator<Item = (K, Value)>,
        allowed: impl Fn(&Def) -> bool,
    ) -> Result<Options, OptionError> {
        let mut given: Vec<(&'static Def, Value)> = Vec::new();
        for (key, value) in values {
            match def(key.as_ref()) {
                Some(def) if allowed(def) => given.push((def, value)),
                _ => return Err(OptionError::unknown(key.as_ref())),
            }
        }
        let mut options = Options::default();
        for def in OPTIONS {
            if let Some(at) = given.iter().rposition(|(d, _)| d.key == def.key) {
                let (_, value) = given.swap_remove(at);
                options.set(def.key, value)?;
            }
        }
        Ok(options)
    }

    /// The options a Lua module was called with ([`Given`]): `nil` is every
    /// default, a table is read as [`Options::read`] reads pairs, and
    /// anything else, or a key that is not a string, is refused with the
    /// same words from every front.
    pub fn read_given(
        given: Given,
        allowed: impl Fn(&Def) -> bool,
    ) -> Result<Options, OptionError> {
        let pairs = match given {
            Given::Nothing => Vec::new(),
            Given::Table(pairs) => pairs,
            Given::Not(value) => {
                return Err(OptionError::new(
                    "",
                    format!("options must be a table, got {}", value.type_name()),
                ));
            }
        };
        let mut keyed = Vec::with_capacity(pairs.len());
        for (key, value) in pairs {
            match key {
                Value::Str(name) => {
                    keyed.push((String::from_utf8_lossy(&name).into_owned(), value))
                }
                other => return Err(OptionError::unknown(&other.to_string())),
            }
        }
        Options::read(keyed, allowed)
    }

    /// Takes what the engine reads from a front's environment: only
    /// [`CONFIG_ENV`], `PYCACHE_CONF`, the file read
    /// when no `config` is given. A front that has an environment (the
    /// program, `pycache.core`) passes its lookup; the library reads none.
    pub fn set_environment(&mut self, var: impl Fn(&str) -> Option<OsString>) {
        self.config_env = var(CONFIG_ENV).map(PathBuf::from);
    }

    /// The compile workers a run may start: `jobs`, but no more than the
    /// cores (more only wait for one another, each an interpreter in
    /// memory); with the note verbose output gives when `jobs` was lowered.
    /// The setting itself stays as given, as `pycache config` shows it.
    pub(crate) fn workers(&self) -> (usize, Option<String>) {
        let cores = cores();
        if self.workers <= cores {
            return (self.workers, None);
        }
        let note = format!(
            "jobs: {} lowered to {cores}, the cores pycache may use",
            self.workers
        );
        (cores, Some(note))
    }

    /// The directories to look at, when only some are (`dirs`).
    pub fn dirs(&self) -> Option<&[PathBuf]> {
        self.dirs.as_deref()
    }

    /// The interpreter and site-packages chosen.
    pub fn selection(&self) -> &Selection {
        &self.selection
    }
}

/// A number with no fraction, as Lua's `math.tointeger` sees it: a float
/// only within an integer's range (-2^63 to 2^63, the last excluded).
fn whole(value: &Value) -> Option<i64> {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    match *value {
        Value::Int(n) => Some(n),
        Value::Num(n) if n.fract() == 0.0 && (-LIMIT..LIMIT).contains(&n) => Some(n as i64),
        _ => None,
    }
}

/// Levels sorted and without duplicates; at least one.
pub(crate) fn checked_levels(levels: &[u8]) -> Result<Vec<u8>, OptionError> {
    let def = def("levels").expect("levels is an option");
    if let Some(&bad) = levels.iter().find(|l| **l > 2) {
        return Err(OptionError::element(def, &Value::Int(bad.into())));
    }
    let mut levels = levels.to_vec();
    levels.sort_unstable();
    levels.dedup();
    if levels.is_empty() {
        return Err(OptionError::new(
            def.key,
            format!("must be {}, got none", def.expected),
        ));
    }
    Ok(levels)
}

/// A glob pattern of `exclude`.
pub(crate) fn checked_glob(def: &Def, value: &Value) -> Result<Pattern, OptionError> {
    let text = match value {
        Value::Str(s) => std::str::from_utf8(s).ok(),
        _ => None,
    };
    let text = text.ok_or_else(|| OptionError::element(def, value))?;
    Pattern::new(text).map_err(|e| {
        OptionError::new(
            def.key,
            format!("\"{text}\" is not a valid glob: {}", e.msg),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str, value: Value) -> Result<Options, String> {
        let mut o = Options::default();
        o.set(key, value).map(|()| o).map_err(|e| e.to_string())
    }

    #[test]
    fn values_are_checked_once_with_the_key_named() {
        assert_eq!(
            set("jobs", Value::Num(2.5)).unwrap_err(),
            "jobs: must be a whole number >= 0 (0: one per core), got 2.5"
        );
        assert_eq!(set("jobs", Value::Num(3.0)).unwrap().workers, 3);
        assert_eq!(
            set("timeout", Value::Num(0.5)).unwrap().timeout,
            Duration::from_millis(500)
        );
        assert_eq!(
            set("timeout", Value::Int(0)).unwrap_err(),
            "timeout: must be a number of seconds > 0 and <= 86400, got 0"
        );
        assert_eq!(
            set("levels", Value::List(vec![Value::Int(0), Value::Int(3)])).unwrap_err(),
            "levels: must be 0, 1 or 2, got 3"
        );
        assert_eq!(
            set("jbos", Value::Int(1)).unwrap_err(),
            "jbos: unknown option"
        );
        assert_eq!(
            set("prefix", Value::Str(Vec::new())).unwrap_err(),
            "prefix: must be a path, got \"\""
        );
    }

    #[test]
    fn every_number_has_a_range() {
        let refused = |key: &str, value: Value| set(key, value).unwrap_err();
        // Instant + 1e19 s overflows: no such timeout gets in.
        for (value, shown) in [
            (Value::Num(1e19), "1e19"),
            (Value::Num(86_400.5), "86400.5"),
            (Value::Int(i64::MAX), "9223372036854775807"),
            (Value::Num(f64::INFINITY), "inf"),
            (Value::Num(f64::NAN), "NaN"),
            (Value::Num(-1e-9), "-1e-9"),
        ] {
            assert_eq!(
                refused("timeout", value),
                format!("timeout: must be a number of seconds > 0 and <= 86400, got {shown}")
            );
        }
        let expected = &def("timeout").unwrap().expected;
        assert!(expected.ends_with(&format!("<= {}", TIMEOUT_MAX.as_secs())));
        assert_eq!(
            set("timeout", Value::Int(86_400)).unwrap().timeout,
            TIMEOUT_MAX
        );
        // Shorter than the clock can tell is its shortest time, never none.
        assert_eq!(
            set("timeout", Value::Num(1e-12)).unwrap().timeout,
            Duration::from_nanos(1)
        );
        // More workers than cores only wait for one another: the cores.
        let cores = cores();
        for n in [i64::MAX, 100_000, cores as i64 + 1] {
            let note = format!("jobs: {n} lowered to {cores}, the cores pycache may use");
            let o = set("jobs", Value::Int(n)).unwrap();
            assert_eq!(o.workers(), (cores, Some(note)));
        }
        for n in [0, cores as i64] {
            assert_eq!(set("jobs", Value::Int(n)).unwrap().workers(), (cores, None));
        }
        let o = set("jobs", Value::Num(2f64.powi(62))).unwrap();
        assert_eq!(o.workers().0, cores);
        assert_eq!(
            refused("jobs", Value::Num(1e19)),
            "jobs: must be a whole number >= 0 (0: one per core), got 1e19"
        );
        assert_eq!(
            refused("jobs", Value::Int(i64::MIN)),
            "jobs: must be a whole number >= 0 (0: one per core), got -9223372036854775808"
        );
        assert_eq!(
            refused("levels", Value::List(vec![Value::Int(i64::MAX)])),
            "levels: must be 0, 1 or 2, got 9223372036854775807"
        );
    }

    #[test]
    fn flag_text_reads_as_the_lua_value_would() {
        let kind = Kind::Levels;
        assert_eq!(
            Value::from_text(kind, OsStr::new("0,1.5")),
            Value::List(vec![Value::Int(0), Value::Num(1.5)])
        );
        assert_eq!(
            Value::from_text(Kind::Workers, OsStr::new("2.5")),
            Value::Num(2.5)
        );
        assert_eq!(
            Value::from_text(Kind::Seconds, OsStr::new("soon")),
            Value::Str(b"soon".to_vec())
        );
    }
}
