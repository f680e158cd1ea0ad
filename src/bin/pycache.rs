//! `pycache`: the command-line front of the engine.
//!
//! Builds its flags from the engine's option definitions
//! ([`pycache::options::OPTIONS`]), hands each flag's text to the engine's
//! [`Options`] (which checks it), makes one engine call and prints its
//! report. Nothing is decided here.

use std::ffi::{OsStr, OsString};
use std::io::{IsTerminal, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Arg, ArgAction, ArgMatches, value_parser};
use pycache::options::{self, Kind, OPTIONS, Value};
use pycache::{Engine, Error, Options, Report};

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

const ABOUT: &str = "Keep CPython bytecode (__pycache__) in sync with a site-packages.

Bytecode is judged by reading pyc headers (no Python is started when
everything is fresh); only bytecode carrying the interpreter's own cache
tag is ever removed.";

/// The command line: the engine's options ([`OPTIONS`], one flag each),
/// then the program's own flags.
fn cli() -> clap::Command {
    let dirs = options::def("dirs").expect("dirs is an option");
    let scope = |name: &'static str, about: &'static str| {
        clap::Command::new(name).about(about).arg(
            Arg::new(dirs.key)
                .value_name(dirs.value_name)
                .help(format!(
                    "{}. Without any, and without --dirs-from: {}",
                    capitalized(dirs.help),
                    dirs.default
                ))
                .value_parser(value_parser!(OsString))
                .action(ArgAction::Append),
        )
    };
    let mut cmd = clap::Command::new("pycache")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .after_help(EXIT_CODES)
        .subcommand_required(true)
        .subcommand(scope(
            "check",
            "Report missing, stale and orphaned bytecode; change nothing",
        ))
        .subcommand(scope(
            "update",
            "Remove orphaned bytecode, then compile what is missing or stale",
        ))
        .subcommand(scope(
            "clean",
            "Remove orphaned bytecode and empty caches only (no Python needed)",
        ))
        .subcommand(
            clap::Command::new("config")
                .about(
                    "Print the settings in effect (pycache.conf(5) applied for the flavor \
                     given, under the flags given) and where each comes from; with KEY, \
                     only its value (an array: one element per line)",
                )
                .arg(Arg::new("key").value_name("KEY").value_parser(
                    clap::builder::PossibleValuesParser::new(pycache::config::KEYS),
                )),
        );
    for def in OPTIONS.iter().filter(|d| !d.flag.is_empty()) {
        let mut arg = Arg::new(def.key)
            .long(def.flag)
            .global(true)
            .help(match def.default {
                "—" => capitalized(def.help),
                default => format!(
                    "{} [default: {}]",
                    capitalized(def.help),
                    default.replace('`', "")
                ),
            });
        if let Some(short) = def.short {
            arg = arg.short(short);
        }
        arg = match def.kind {
            Kind::Switch => arg.action(ArgAction::SetTrue),
            Kind::Globs => arg
                .value_name(def.value_name)
                .value_parser(value_parser!(OsString))
                .action(ArgAction::Append),
            _ => arg
                .value_name(def.value_name)
                .value_parser(value_parser!(OsString))
                .allow_hyphen_values(true)
                .action(ArgAction::Set),
        };
        cmd = cmd.arg(arg);
    }
    cmd.arg(
        Arg::new("dirs_from")
            .long("dirs-from")
            .global(true)
            .value_name("FILE")
            .value_parser(value_parser!(PathBuf))
            .help("Read directories to look at from FILE, NUL-separated ('-': stdin). An empty list means nothing was touched"),
    )
    .arg(
        Arg::new("all")
            .long("all")
            .global(true)
            .action(ArgAction::SetTrue)
            .conflicts_with_all(["flavor", "python", "site_packages"])
            .help("Every flavor installed under --prefix (PREFIX/bin/python3.X, PREFIX/lib/python3.X/site-packages), one after the other; exit status: the worst of them"),
    )
    .arg(
        Arg::new("json")
            .long("json")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Print the report as JSON (schema: see README)"),
    )
    .arg(
        Arg::new("json_summary")
            .long("json-summary")
            .global(true)
            .action(ArgAction::SetTrue)
            .conflicts_with("json")
            .help("Print the report as JSON without its lists of paths (what pkg triggers read)"),
    )
    .arg(
        Arg::new("quiet")
            .short('q')
            .long("quiet")
            .global(true)
            .action(ArgAction::SetTrue)
            .conflicts_with("verbose")
            .help("Print only failures"),
    )
    .arg(
        Arg::new("verbose")
            .short('v')
            .long("verbose")
            .global(true)
            .action(ArgAction::SetTrue)
            .help("Also list every file found or changed, and notes"),
    )
}

fn capitalized(text: &str) -> String {
    let text = text.replace('`', "");
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// How the report is printed.
struct Output {
    /// JSON (`--json` or `--json-summary`) instead of lines.
    json: bool,
    /// `--json-summary`: without the lists of paths.
    summary: bool,
    quiet: bool,
    verbose: bool,
}

impl Output {
    fn report_json(&self, report: &Report) -> String {
        if self.summary {
            report.to_json_summary()
        } else {
            report.to_json()
        }
    }
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let (command, sub) = matches.subcommand().expect("a subcommand is required");
    let output = Output {
        json: sub.get_flag("json") || sub.get_flag("json_summary"),
        summary: sub.get_flag("json_summary"),
        quiet: sub.get_flag("quiet"),
        verbose: sub.get_flag("verbose"),
    };
    if let Err(e) = pycache::interrupt::install() {
        eprintln!("pycache: cannot catch SIGINT and SIGTERM: {e}");
    }
    let result = run(command, sub, &output);
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
            if output.json {
                let msg = serde_json::json!({
                    "schema": 1, "error": e.to_string(), "kind": e.kind(), "exit_code": code
                });
                println!("{msg}");
            }
            eprintln!("pycache: {e}{}", hint(&e));
            ExitCode::from(code as u8)
        }
    }
}

/// The flag an option error is about, for the reader of the command line.
fn hint(e: &Error) -> String {
    match e {
        Error::Option(e) => match e.def() {
            Some(def) if !def.flag.is_empty() => format!(" (--{})", def.flag),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

fn run(command: &str, m: &ArgMatches, output: &Output) -> Result<u8, Error> {
    if command == "config" {
        return show_config(m, output);
    }
    if m.get_flag("all") {
        return run_all(command, m, output);
    }
    let mut report = run_one(command, Engine::from_options(configure(m)?)?, output)?;
    if let Some(signal) = pycache::interrupt::received() {
        report.exit_code = 128 + signal; // what the program exits with
    }
    print(&report, output);
    Ok(report.exit_code as u8)
}

/// `--all`: the command on each installed flavor in turn, each reported
/// as alone (`--json`: an array of the reports, or of `{flavor, error}`).
fn run_all(command: &str, m: &ArgMatches, output: &Output) -> Result<u8, Error> {
    let options = configure(m)?;
    if options.dirs().is_some() {
        // Directories belong to one site-packages; each flavor would find
        // none of its own among them.
        cli()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--all works on whole site-packages: it takes no DIR and no --dirs-from",
            )
            .exit();
    }
    let prefix = installed_prefix(&options);
    let flavors = pycache::installed(&prefix)?;
    if flavors.is_empty() && !output.json {
        println!(">=> no Python flavor installed under {}", prefix.display());
    }
    let (mut worst, mut json) = (0, Vec::new());
    for flavor in flavors {
        let mut options = options.clone();
        let result = options
            .set("flavor", Value::Str(flavor.name().into_bytes()))
            .map_err(Error::from)
            .and_then(|()| Engine::from_options(options))
            .and_then(|engine| run_one(command, engine, output));
        let code = match result {
            Ok(report) => {
                if output.json {
                    json.push(output.report_json(&report));
                } else {
                    print(&report, output);
                }
                report.exit_code as u8
            }
            Err(e) => {
                let code = exit_code(&e);
                if output.json {
                    let msg = serde_json::json!({"schema": 1, "flavor": flavor.name(),
                        "error": e.to_string(), "kind": e.kind(), "exit_code": code});
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
    if output.json {
        let _ = writeln!(std::io::stdout().lock(), "[{}]", json.join(",\n"));
    }
    Ok(worst)
}

/// `pycache config [KEY]`: the settings in effect, for each installed
/// flavor with `--all`.
fn show_config(m: &ArgMatches, output: &Output) -> Result<u8, Error> {
    let options = configure(m)?;
    let mut each = Vec::new();
    if m.get_flag("all") {
        for flavor in pycache::installed(&installed_prefix(&options))? {
            let mut options = options.clone();
            options.set("flavor", Value::Str(flavor.name().into_bytes()))?;
            each.push(pycache::config::Effective::of(options)?);
        }
    } else {
        each.push(pycache::config::Effective::of(options)?);
    }
    let key = m.get_one::<String>("key");
    let text = if output.json {
        let json: Vec<String> = each
            .iter()
            .map(|e| e.to_json(key.map(String::as_str)))
            .collect();
        match json.len() {
            1 => json[0].clone() + "\n",
            _ => format!("[{}]\n", json.join(",\n")),
        }
    } else {
        each.iter()
            .map(|e| match key {
                Some(key) => e.value(key).expect("clap allows only known keys"),
                None => e.render(),
            })
            .collect()
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    Ok(0)
}

/// The prefix `--all` looks for flavors under, inside `--root` if given.
fn installed_prefix(options: &Options) -> PathBuf {
    let selection = options.selection();
    let prefix = selection
        .prefix
        .clone()
        .unwrap_or_else(|| PathBuf::from(pycache::Selection::PREFIX));
    match &selection.root {
        Some(root) => root.join(prefix.strip_prefix("/").unwrap_or(&prefix)),
        None => prefix,
    }
}

fn exit_code(e: &Error) -> i32 {
    if e.is_environment() {
        pycache::EXIT_ENVIRONMENT
    } else {
        pycache::EXIT_USAGE
    }
}

fn run_one(command: &str, engine: Engine, output: &Output) -> Result<Report, Error> {
    Ok(match command {
        "check" => engine.check()?,
        "clean" => engine.clean()?,
        _ => {
            let show = !output.quiet && !output.json && std::io::stderr().is_terminal();
            let progress = Progress::new(show);
            let report = engine.update(&|done, total| progress.show(done, total))?;
            progress.clear();
            report
        }
    })
}

/// The engine's options from the flags, each checked by the engine.
fn configure(m: &ArgMatches) -> Result<Options, Error> {
    let mut options = Options::default();
    for def in OPTIONS {
        if def.kind == Kind::Switch {
            if m.get_flag(def.key) {
                options.set_text(def.key, &[OsStr::new("")])?;
            }
            continue;
        }
        // `config` has no directories: its matches have no such argument.
        let mut texts: Vec<&OsStr> = m
            .try_get_many::<OsString>(def.key)
            .ok()
            .flatten()
            .map(|v| v.map(OsString::as_os_str).collect())
            .unwrap_or_default();
        let listed;
        if def.kind == Kind::Dirs {
            if let Some(file) = m.get_one::<PathBuf>("dirs_from") {
                listed = read_dirs(file)?;
                texts.splice(0..0, listed.iter().map(OsString::as_os_str));
            } else if texts.is_empty() {
                continue;
            }
        }
        if !texts.is_empty() || def.kind == Kind::Dirs {
            options.set_text(def.key, &texts)?;
        }
    }
    Ok(options)
}

/// A NUL-separated list of paths: any byte but NUL survives.
fn read_dirs(file: &Path) -> Result<Vec<OsString>, Error> {
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|source| Error::Io {
        path: file.to_path_buf(),
        source,
    })?;
    Ok(bytes
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| OsString::from_vec(p.to_vec()))
        .collect())
}

fn print(report: &Report, output: &Output) {
    let mut out = std::io::stdout().lock();
    let text = if output.json {
        output.report_json(report)
    } else {
        let mut lines = report.render(output.verbose);
        if output.quiet {
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
