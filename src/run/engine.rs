//! The commands `check`, `update`, `clean` (and `compile`, for library and
//! Lua use), `explain` and `freshness`, each one call on an [`Engine`]:
//! prepare (src/run/prepare.rs), scan, then clean and compile as the
//! command says (src/run/update.rs), and report.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::bytecode::pyc::{self, InvalidationMode, Magic, SourceStamp, Verdict};
use crate::cancel::Cancel;
use crate::error::Error;
use crate::exit::ExitCode;
use crate::python::location::Location;
use crate::python::target::Target;
use crate::run::clean;
use crate::run::explain::{self, Explanation};
use crate::run::prepare::{Prepared, prepare, python_info};
use crate::run::report::{Command, JudgedLevel, Pending, PythonInfo, Report, Stop, Undone};
use crate::run::scan::{Plan, ScanOptions};
use crate::run::update::{Compiling, compile_plan};
use crate::settings::config::Loaded;
use crate::settings::options::{Levels, Options, Settings};
use crate::settings::resolve::resolve;

/// Runs commands on one [`Target`], with [`Options`] as a front gave them:
/// an engine resolves them once into the [`Settings`] it works with
/// (pycache.conf's values where none was given, defaults for the rest,
/// [`crate::settings::resolve`]). However it is made, it reads pycache.conf
/// the same way: the file its options name (`config`, else `$PYCACHE_CONF`
/// when a front passed its environment, [`Options::set_environment`]), else
/// the default file; `no_config` reads none. Its setters write the options
/// directly and cannot fail; each states its default.
///
/// ```no_run
/// use pycache::settings::options::Levels;
/// use pycache::{Engine, Flavor, Target};
/// let target = Target::from_flavor(Flavor::parse("py311")?, "/usr/local".as_ref());
/// let levels = Levels::new(&[0, 1]).expect("levels 0 to 2");
/// let report = Engine::new(target).levels(levels).update(&|_, _| {})?;
/// println!("{}", report.lines.join("\n"));
/// # Ok::<(), pycache::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    target: Target,
    /// As given.
    options: Options,
    /// The configuration file its options name, read once.
    config: Loaded,
    /// Resolved from the two.
    settings: Settings,
    /// Set to stop the run.
    cancel: Cancel,
}

impl Engine {
    /// An engine for `target` with every default (pycache.conf applied).
    pub fn new(target: Target) -> Engine {
        Engine::with_options(target, Options::default())
    }

    /// An engine for `target` with `options` (pycache.conf filling in what
    /// they do not give; a file that cannot be used is ignored whole, and
    /// the report's warning says why).
    pub fn with_options(target: Target, options: Options) -> Engine {
        let config = Loaded::read(&options);
        let file = config.for_flavor(Some(target.flavor()));
        let (settings, _) = resolve(&options, &file);
        Engine {
            target,
            options,
            config,
            settings,
            cancel: Cancel::new(),
        }
    }

    /// An engine for the options a front gathered: the target they select
    /// is resolved here (with neither a flavor nor an interpreter, `python3`
    /// on `PATH`), then the configuration file fills in what the front did
    /// not set, its flavor's section first. `cancel` stops the run (and the
    /// asking of an interpreter).
    ///
    /// A file the options name themselves (`config`, `--config`) that cannot
    /// be used is an error instead: the caller asked for that very file. The
    /// default file and `$PYCACHE_CONF` are only warned about, so that a bad
    /// pycache.conf never stops a trigger.
    pub fn from_options(options: Options, cancel: &Cancel) -> Result<Engine, Error> {
        let named = options.config.is_some();
        let target = Target::select(&options.selection, cancel)?;
        let engine = Engine::with_options(target, options).cancel(cancel);
        match engine.config.error() {
            Some(e) if named => Err(e.clone().into()),
            _ => Ok(engine),
        }
    }

    /// Stops the run when `cancel` is set. By default nothing stops it.
    pub fn cancel(mut self, cancel: &Cancel) -> Engine {
        self.cancel = cancel.clone();
        self
    }

    /// The options changed by `change`, resolved again.
    fn with(mut self, change: impl FnOnce(Options) -> Options) -> Engine {
        self.options = change(self.options);
        let file = self.config.for_flavor(Some(self.target.flavor()));
        self.settings = resolve(&self.options, &file).0;
        self
    }

    /// Optimization levels to keep fresh. By default `0, 1, 2`.
    pub fn levels(self, levels: Levels) -> Engine {
        self.with(|o| o.levels(levels))
    }

    /// How written pycs are validated. By default timestamps.
    pub fn invalidation_mode(self, mode: InvalidationMode) -> Engine {
        self.with(|o| o.invalidation_mode(mode))
    }

    /// Compile workers at most. By default (and with 0) the cores pycache
    /// may use; more than the cores count as the cores.
    pub fn jobs(self, jobs: usize) -> Engine {
        self.with(|o| o.jobs(jobs))
    }

    /// Never compiles sources whose path below the tree matches one of
    /// `globs` (`*` also matches `/`). By default nothing is excluded.
    pub fn exclude(self, globs: Vec<glob::Pattern>) -> Engine {
        self.with(|o| o.exclude(globs))
    }

    /// Looks only at these directories (pkg's touched directories, on the
    /// running system or on disk; missing ones are fine). By default the
    /// whole tree.
    pub fn touched(self, dirs: &[PathBuf]) -> Engine {
        self.with(|o| o.touched(dirs))
    }

    /// Reports what would change, changes nothing. Off by default.
    pub fn dry_run(self, dry_run: bool) -> Engine {
        self.with(|o| o.dry_run(dry_run))
    }

    /// Also reads the body of every pyc whose header is fresh and judges
    /// it stale when the body would not load (truncated, garbage after the
    /// header); `update` then compiles it again. Off by default: the fast
    /// path reads only each pyc's header and first byte.
    pub fn verify(self, verify: bool) -> Engine {
        self.with(|o| o.verify(verify))
    }

    /// Longest time one file may take to compile, and a worker to start;
    /// brought within 1 ns and a day. By default 120 s.
    pub fn timeout(self, timeout: Duration) -> Engine {
        self.with(|o| o.timeout(timeout))
    }

    /// Most memory one compile worker may use, in MiB (0: no limit),
    /// brought within 64 MiB and 1 TiB. By default 2048.
    pub fn memory_limit(self, mib: u64) -> Engine {
        self.with(|o| o.memory_limit(mib))
    }

    /// Also removes this interpreter's bytecode of levels not kept. Off by
    /// default.
    pub fn prune_levels(self, prune: bool) -> Engine {
        self.with(|o| o.prune_levels(prune))
    }

    /// Works on the standard library too. Off by default.
    pub fn stdlib(self, stdlib: bool) -> Engine {
        self.with(|o| o.stdlib(stdlib))
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The options as given.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The target.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Reports what is missing, stale, orphaned or empty; changes nothing.
    pub fn check(&self) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(true)?;
        let plan = self.scan(&prepared, prepared.magic(), true)?;
        let mut report = self.report(Command::Check, &prepared, &plan);
        report.stop = prepared.unjudged.map(|error| Stop {
            error,
            undone: Undone::Judging,
        });
        Ok(report.finish(started.elapsed()))
    }

    /// Removes orphaned bytecode and empty caches. Never starts Python.
    pub fn clean(&self) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(false)?;
        // Nothing is compiled, so no cache file is opened to judge it.
        let plan = self.scan(&prepared, None, false)?;
        let mut report = self.report(Command::Clean, &prepared, &plan);
        report.to_compile.clear();
        self.remove(&prepared.location, &plan, &mut report);
        Ok(report.finish(started.elapsed()))
    }

    /// Compiles what is missing or stale; removes nothing.
    pub fn compile(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Report, Error> {
        self.run_update(Command::Compile, progress)
    }

    /// The state of one source at each level, as `check` would judge it:
    /// `fresh`, `missing` or `stale` with the reason. Starts no interpreter
    /// for a flavor of a version the table knows, or whose standard
    /// library's bytecode tells its magic number (src/bytecode/magic.rs).
    pub fn freshness(&self, source: &Path) -> Result<Vec<JudgedLevel>, Error> {
        let prepared = self.prepare(true)?;
        let magic = prepared.magic();
        if let (None, Some(error)) = (magic, prepared.unjudged) {
            return Err(error);
        }
        let meta = std::fs::metadata(source).map_err(|e| Error::io(source, e))?;
        let stamp = SourceStamp::from_metadata(&meta);
        let (dir, name) = match (source.parent(), source.file_name()) {
            (Some(dir), Some(name)) if pyc::is_source_name(name) => (dir, name),
            _ => {
                return Err(Error::io(
                    source,
                    std::io::Error::other("not a Python source (NAME.py)"),
                ));
            }
        };
        let stem = std::ffi::OsStr::from_bytes(&name.as_bytes()[..name.len() - 3]);
        Ok((self.settings.levels.iter())
            .map(|&level| {
                let cfile =
                    dir.join(pyc::PYCACHE)
                        .join(pyc::cache_name(stem, self.target.tag(), level));
                let verdict = match magic {
                    _ if cfile.symlink_metadata().is_err() => Verdict::Missing,
                    Some(magic) => {
                        pyc::judge_path(&cfile, source, stamp, magic, self.settings.verify)
                    }
                    None => Verdict::Stale(pyc::Stale::Magic),
                };
                JudgedLevel::of(level, &verdict)
            })
            .collect())
    }

    /// Explains each of `paths` (files or directories, as on the running
    /// system or on disk below the root): what it is, whose, and `check`'s
    /// verdict with every header field against its source
    /// ([`crate::run::explain`]). Starts no interpreter where `check` would
    /// start none.
    pub fn explain(&self, paths: &[PathBuf]) -> Result<Explanation, Error> {
        let prepared = self.prepare(true)?;
        let magic = match prepared.magic() {
            Some(magic) => magic,
            None => {
                return Err(prepared
                    .unjudged
                    .unwrap_or_else(|| Error::InterpreterBadAnswer {
                        interpreter: self.target.interpreter().to_path_buf(),
                        detail: "did not say its magic number".into(),
                    }));
            }
        };
        let location = &prepared.location;
        let selection = &self.options.selection;
        let ctx = explain::Context {
            location,
            tag: self.target.tag(),
            version: self.target.version(),
            magic,
            levels: self.settings.levels.as_slice(),
            prefix: (selection.prefix(), selection.prefix_on_disk()),
        };
        let asked = explain::resolve(&ctx, paths);
        let mut scan = self.scanner(location, Some(magic), true);
        scan.details = true;
        let plan = scan.run(Some(&explain::touched(&asked)))?;
        let (files, failures, exit_code) = explain::explain(&ctx, asked, &plan);
        let notes = (location.note.iter())
            .chain(&prepared.notes)
            .chain(&plan.notes)
            .cloned()
            .collect();
        Ok(Explanation {
            python: prepared.python_info(&self.target),
            levels: self.settings.levels.as_slice().to_vec(),
            files,
            failures,
            warnings: self.config.warning().into_iter().collect(),
            notes,
            interpreters_started: prepared.interpreters_started(&self.target),
            exit_code,
        })
    }

    /// Cleans, then compiles what is missing or stale. `progress(done,
    /// total)` is called after each compiled file. When the interpreter is
    /// missing, cleaning still happens and the report says so.
    pub fn update(&self, progress: &(dyn Fn(usize, usize) + Sync)) -> Result<Report, Error> {
        self.run_update(Command::Update, progress)
    }

    fn run_update(
        &self,
        command: Command,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let prepared = self.prepare(true)?;
        let plan = self.scan(&prepared, prepared.magic(), true)?;
        let mut report = self.report(command, &prepared, &plan);
        if command == Command::Update {
            self.remove(&prepared.location, &plan, &mut report);
        }
        if self.settings.dry_run || plan.to_compile.is_empty() {
            return Ok(report.finish(started.elapsed()));
        }
        if let Some(error) = prepared.unjudged {
            report.stop = Some(Stop {
                error,
                undone: Undone::Judging,
            });
            return Ok(report.finish(started.elapsed()));
        }
        let rescan = |magic: Magic| self.scan(&prepared, Some(magic), true);
        let compiling = Compiling {
            target: &self.target,
            settings: &self.settings,
            cancel: &self.cancel,
            rescan: &rescan,
        };
        compile_plan(&compiling, plan, prepared.magic, &mut report, progress)?;
        Ok(report.finish(started.elapsed()))
    }

    fn prepare(&self, judge: bool) -> Result<Prepared, Error> {
        prepare(&self.target, &self.settings, &self.cancel, judge)
    }

    fn scan(
        &self,
        prepared: &Prepared,
        magic: Option<Magic>,
        sources: bool,
    ) -> Result<Plan, Error> {
        let location = &prepared.location;
        let touched = prepared.touched(&self.settings);
        let mut plan = self.scanner(location, magic, sources).run(touched)?;
        if prepared.misdirected {
            for dir in self.settings.touched.iter().flatten() {
                plan.notes.push(format!(
                    "{}: not below {}; ignored",
                    dir.display(),
                    location.runtime.display()
                ));
            }
        }
        if let Some(note) = &location.note {
            plan.notes.insert(0, note.clone());
        }
        Ok(plan)
    }

    /// The scan of `location` these options make.
    fn scanner<'a>(
        &'a self,
        location: &'a Location,
        magic: Option<Magic>,
        sources: bool,
    ) -> ScanOptions<'a> {
        ScanOptions {
            location,
            uncompiled: match location.site_packages {
                Some(_) => crate::python::stdlib::uncompiled(self.target.minor()),
                None => &[],
            },
            tag: self.target.tag(),
            magic,
            levels: self.settings.levels.as_slice(),
            excludes: &self.settings.exclude,
            sources,
            verify: self.settings.verify,
            prune: self.settings.prune_levels,
            details: false,
        }
    }

    fn remove(&self, location: &Location, plan: &Plan, report: &mut Report) {
        if self.settings.dry_run {
            return;
        }
        let mut cleaned = clean::clean(plan, &location.dir);
        cleaned.files.sort();
        cleaned.dirs.sort();
        report.removed_files = cleaned.files;
        report.removed_dirs = cleaned.dirs;
        cleaned.pruned.sort();
        report.pruned = cleaned.pruned;
        report.pruned_bytes = cleaned.pruned_bytes;
        report.failures.extend(cleaned.failures);
    }

    fn report(&self, command: Command, prepared: &Prepared, plan: &Plan) -> Report {
        let to_compile = Pending::of(plan);
        let mut empty_dirs: Vec<PathBuf> = plan
            .empty_caches
            .iter()
            .chain(&plan.empty_dirs)
            .cloned()
            .collect();
        empty_dirs.sort();
        let mut orphans = plan.orphans.clone();
        orphans.sort();
        let mut to_prune = plan.unkept.clone();
        to_prune.sort();
        let mut failures = plan.problems.clone();
        failures.sort_by(|a, b| a.path.cmp(&b.path));
        Report {
            schema: 1,
            command,
            dry_run: self.settings.dry_run,
            python: prepared.python_info(&self.target),
            touched: self.settings.touched.clone(),
            sources: plan.sources,
            fresh: plan.fresh,
            to_compile,
            compiled: Vec::new(),
            orphans,
            empty_dirs,
            removed_files: Vec::new(),
            removed_dirs: Vec::new(),
            to_prune,
            pruned: Vec::new(),
            pruned_bytes: 0,
            failures,
            stop: None,
            config: self.config.file(),
            warnings: (self.config.warning().into_iter())
                .chain(prepared.misdirected_warning(command, &self.settings))
                .collect(),
            notes: prepared.notes.iter().chain(&plan.notes).cloned().collect(),
            interpreters_started: prepared.interpreters_started(&self.target),
            elapsed_ms: 0,
            levels: self.settings.levels.as_slice().to_vec(),
            lines: Vec::new(),
            exit_code: ExitCode::Ok,
        }
    }
}

impl Engine {
    /// Runs `command` ([`Job::Run`](crate::run::request::Job::Run)).
    pub fn run(
        &self,
        command: Command,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Report, Error> {
        match command {
            Command::Check => self.check(),
            Command::Clean => self.clean(),
            Command::Compile => self.compile(progress),
            Command::Update => self.update(progress),
        }
    }

    /// The target resolved and located
    /// ([`Job::Info`](crate::run::request::Job::Info)).
    pub fn info(&self) -> Result<PythonInfo, Error> {
        let target = self.target();
        let location = target.locate_tree(self.settings.stdlib)?;
        let magic = target.magic().map(|m| (m, target.magic_from()));
        Ok(python_info(target, &location, magic))
    }
}
