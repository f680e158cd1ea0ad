//! `pycache`: the command-line front of the engine.
//!
//! Parses flags (clap), resolves them into a [`Target`] and an [`Engine`],
//! makes one engine call and prints its report. Nothing is decided here.

use std::ffi::OsString;
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, CommandFactory, Parser, Subcommand};
use pycache::{Engine, Error, Flavor, InvalidationMode, Report, Selection};

const EXIT_CODES: &str = "\
Exit codes:
  0  everything in sync (check) or done (update, clean)
  1  some files failed to compile or could not be removed; for check: something is out of sync
  2  usage: bad flags, flavor, level or pattern
  3  environment: interpreter not runnable, site-packages missing or unreadable
  130, 143  interrupted by SIGINT or SIGTERM (after printing what was done)

Examples:
  pycache update --flavor py311                  keep /usr/local/lib/python3.11/site-packages in sync
  pycache check --python /usr/local/bin/python3.9 -v
  pycache clean --flavor py39                    remove orphaned 3.9 bytecode (no Python needed)
  pycache update --flavor py311 --root /tmp/image  compile a staged image for /usr/local
  pycache check --all                            every flavor installed under /usr/local";

/// Keep CPython bytecode (__pycache__) in sync with a site-packages.
///
/// Bytecode is judged by reading pyc headers (no Python is started when
/// everything is fresh); only bytecode carrying the interpreter's own cache
/// tag is ever removed.
#[derive(Parser, Debug)]
#[command(name = "pycache", version, after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
    #[command(flatten)]
    common: Common,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Report missing, stale and orphaned bytecode; change nothing.
    Check(Scope),
    /// Remove orphaned bytecode, then compile what is missing or stale.
    Update(Scope),
    /// Remove orphaned bytecode and empty caches only (no Python needed).
    Clean(Scope),
}

#[derive(Args, Debug)]
struct Scope {
    /// Look only at these directories (as pkg's touched directories; missing ones are fine).
    /// Without any, and without --dirs-from, the whole site-packages.
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
}

#[derive(Args, Debug, Clone)]
struct Common {
    /// Python flavor as the ports tree names it: py39, py311, ..., py313t (free-threaded).
    #[arg(short, long, global = true, value_parser = Flavor::parse)]
    flavor: Option<Flavor>,
    /// Every flavor installed under --prefix (PREFIX/bin/python3.X, PREFIX/lib/python3.X/site-packages),
    /// one after the other; exit status: the worst of them.
    #[arg(long, global = true, conflicts_with_all = ["flavor", "python", "site_packages"])]
    all: bool,
    /// Where a flavor is installed.
    #[arg(long, global = true, value_name = "DIR", default_value = "/usr/local")]
    prefix: PathBuf,
    /// Interpreter to compile with. Without --flavor it is asked for its version,
    /// cache tag and site-packages. Default (neither given): python3 on PATH.
    #[arg(short, long, global = true, value_name = "PATH")]
    python: Option<PathBuf>,
    /// Work on this site-packages instead of the interpreter's.
    #[arg(long, global = true, value_name = "DIR")]
    site_packages: Option<PathBuf>,
    /// Work on ROOT/<site-packages> (a staged image); compiled code records the
    /// runtime path. Symlinks resolve inside ROOT.
    #[arg(long, global = true, value_name = "ROOT")]
    root: Option<PathBuf>,
    /// Optimization levels to keep, comma-separated.
    #[arg(
        short = 'O',
        long,
        global = true,
        value_name = "LEVELS",
        value_delimiter = ',',
        default_value = "0,1,2"
    )]
    optimize: Vec<u8>,
    /// How written pycs are validated at import: timestamp, checked-hash or unchecked-hash.
    #[arg(long, global = true, value_name = "MODE", default_value = "timestamp")]
    invalidation_mode: InvalidationMode,
    /// Compile workers (default: number of cores; never more than files).
    #[arg(short, long, global = true, value_name = "N", default_value_t = 0)]
    jobs: usize,
    /// Do not compile sources whose path below site-packages matches GLOB (repeatable).
    #[arg(short = 'x', long, global = true, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Read directories to look at from FILE, NUL-separated ('-': stdin).
    /// An empty list means nothing was touched.
    #[arg(long, global = true, value_name = "FILE")]
    dirs_from: Option<PathBuf>,
    /// Longest time one file may take to compile, and a compile worker to
    /// start, in seconds.
    #[arg(long, global = true, value_name = "SECS", default_value_t = 120)]
    timeout: u64,
    /// Say what would be done; change nothing.
    #[arg(short = 'n', long, global = true)]
    dry_run: bool,
    /// check/update: also read each pyc's body, not only its header; a body
    /// that would not load is stale (and recompiled by update).
    #[arg(long, global = true)]
    verify: bool,
    /// Also remove this interpreter's bytecode of levels not given to --optimize
    /// (its own tag only); without it, nothing valid is ever removed.
    #[arg(long, global = true)]
    prune_levels: bool,
    /// Print the report as JSON (schema: see README).
    #[arg(long, global = true)]
    json: bool,
    /// Print only failures.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also list every file found or changed, and notes.
    #[arg(short, long, global = true)]
    verbose: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.common.json;
    if let Err(e) = pycache::interrupt::install() {
        eprintln!("pycache: cannot catch SIGINT and SIGTERM: {e}");
    }
    let result = run(cli);
    // Interrupted: the report of what was done is out; 128 + the signal.
    if let Some(signal) = pycache::interrupt::received() {
        if let Err(e) = &result {
            eprintln!("pycache: {e}");
        }
        return ExitCode::from(128 + signal as u8);
    }
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let code = exit_code(&e);
            if json {
                let msg =
                    serde_json::json!({"schema": 1, "error": e.to_string(), "exit_code": code});
                println!("{msg}");
            }
            eprintln!("pycache: {e}");
            ExitCode::from(code as u8)
        }
    }
}

fn run(cli: Cli) -> Result<u8, Error> {
    let c = &cli.common;
    if c.all {
        return run_all(&cli);
    }
    let engine = configure(c, &cli.command)?;
    let mut report = run_one(&engine, &cli.command, c)?;
    if let Some(signal) = pycache::interrupt::received() {
        report.exit_code = 128 + signal; // what the program exits with
    }
    print(&report, c);
    Ok(report.exit_code as u8)
}

/// `--all`: the command on each installed flavor in turn, each reported
/// as alone (`--json`: an array of the reports, or of `{flavor, error}`).
fn run_all(cli: &Cli) -> Result<u8, Error> {
    let c = &cli.common;
    let (Cmd::Check(scope) | Cmd::Update(scope) | Cmd::Clean(scope)) = &cli.command;
    if !scope.dirs.is_empty() || c.dirs_from.is_some() {
        // Directories belong to one site-packages; each flavor would find
        // none of its own among them.
        Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--all works on whole site-packages: it takes no DIR and no --dirs-from",
            )
            .exit();
    }
    let prefix = match &c.root {
        Some(root) => root.join(c.prefix.strip_prefix("/").unwrap_or(&c.prefix)),
        None => c.prefix.clone(),
    };
    let flavors = pycache::installed(&prefix)?;
    if flavors.is_empty() && !c.json {
        println!(">=> no Python flavor installed under {}", prefix.display());
    }
    let (mut worst, mut json) = (0, Vec::new());
    for flavor in flavors {
        let common = Common {
            flavor: Some(flavor),
            ..c.clone()
        };
        let result = configure(&common, &cli.command)
            .and_then(|engine| run_one(&engine, &cli.command, &common));
        let code = match result {
            Ok(report) => {
                if c.json {
                    json.push(report.to_json());
                } else {
                    print(&report, c);
                }
                report.exit_code as u8
            }
            Err(e) => {
                let code = exit_code(&e);
                if c.json {
                    let msg = serde_json::json!({"schema": 1, "flavor": flavor.name(),
                        "error": e.to_string(), "exit_code": code});
                    json.push(msg.to_string());
                }
                eprintln!("pycache: {e}");
                code as u8
            }
        };
        worst = worst.max(code);
        // Interrupted: what was done is reported; no other flavor starts
        // (main exits 128 + the signal).
        if pycache::interrupt::received().is_some() {
            break;
        }
    }
    if c.json {
        let _ = writeln!(std::io::stdout().lock(), "[{}]", json.join(",\n"));
    }
    Ok(worst)
}

fn exit_code(e: &Error) -> i32 {
    if e.is_environment() {
        pycache::EXIT_ENVIRONMENT
    } else {
        pycache::EXIT_USAGE
    }
}

fn run_one(engine: &Engine, command: &Cmd, c: &Common) -> Result<Report, Error> {
    Ok(match command {
        Cmd::Check(_) => engine.check()?,
        Cmd::Clean(_) => engine.clean()?,
        Cmd::Update(_) => {
            let progress = Progress::new(!c.quiet && !c.json && std::io::stderr().is_terminal());
            let report = engine.update(&|done, total| progress.show(done, total))?;
            progress.clear();
            report
        }
    })
}

/// Resolves flags into an engine: one place for every look-up.
fn configure(c: &Common, command: &Cmd) -> Result<Engine, Error> {
    let target = Selection {
        flavor: c.flavor,
        prefix: Some(c.prefix.clone()),
        python: c.python.clone(),
        site_packages: c.site_packages.clone(),
        root: c.root.clone(),
    }
    .target()?;
    let (Cmd::Check(scope) | Cmd::Update(scope) | Cmd::Clean(scope)) = command;
    let mut touched = None;
    if let Some(file) = &c.dirs_from {
        touched = Some(read_dirs(file)?);
    }
    if !scope.dirs.is_empty() {
        touched
            .get_or_insert_with(Vec::new)
            .extend(scope.dirs.iter().cloned());
    }
    let mut engine = Engine::new(target)
        .levels(&c.optimize)?
        .invalidation_mode(c.invalidation_mode)
        .jobs(c.jobs)
        .touched(touched)
        .dry_run(c.dry_run)
        .verify(c.verify)
        .prune_levels(c.prune_levels)
        .timeout(Duration::from_secs(c.timeout.max(1)));
    for glob in &c.exclude {
        engine = engine.exclude(glob)?;
    }
    Ok(engine)
}

/// A NUL-separated list of paths: any byte but NUL survives.
fn read_dirs(file: &PathBuf) -> Result<Vec<PathBuf>, Error> {
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    Ok(bytes
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(OsString::from_vec(p.to_vec())))
        .collect())
}

fn print(report: &Report, c: &Common) {
    let mut out = std::io::stdout().lock();
    let text = if c.json {
        report.to_json()
    } else {
        let mut lines = report.render(c.verbose);
        if c.quiet {
            lines.remove(0);
        }
        lines.join("\n")
    };
    if !text.is_empty() {
        // A closed pipe (`pycache check | head`) is not worth a panic.
        let _ = writeln!(out, "{text}");
    }
}

/// `>=> compiling 120/412` on a terminal, at most ten times a second.
struct Progress {
    on: bool,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            last: Mutex::new(None),
        }
    }

    fn show(&self, done: usize, total: usize) {
        if !self.on {
            return;
        }
        let mut last = self.last.lock().expect("not poisoned");
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < total {
            return;
        }
        *last = Some(Instant::now());
        eprint!("\r>=> compiling {done}/{total}");
    }

    fn clear(&self) {
        if self.on && self.last.lock().expect("not poisoned").is_some() {
            eprint!("\r\x1b[K");
        }
    }
}
