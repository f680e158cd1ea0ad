//! The program's command line: its flags, built from the engine's option
//! definitions ([`OPTIONS`], one flag each), read into one [`Request`],
//! and the flags that say how the response is written ([`Output`]). Each
//! flag's text becomes the value a Lua table would hold ([`Raw`]) and is
//! checked by its option's definition, as every front's values are.

use std::ffi::{OsStr, OsString};
use std::io::Read;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, value_parser};

use crate::cancel::Cancel;
use crate::error::Error;
use crate::front::json_request;
use crate::front::output::{Output, Text};
use crate::front::serialize::Form;
use crate::run::request::{Job, Request};
use crate::settings::defs::{self, Def, Kind, OPTIONS, OptionError};
use crate::settings::raw::Raw;

/// What `--help` ends with.
const EXIT_CODES: &str = "\
Exit codes:
  0  everything in sync (check, explain) or done (update, clean)
  1  some files failed to compile or could not be removed; for check and explain: something is out of sync
  2  usage: bad flags, flavor, level or pattern; for explain: a PATH outside the tree or not there
  3  environment: interpreter not runnable, site-packages missing or unreadable
  130, 143  interrupted by SIGINT or SIGTERM (after printing what was done)

Examples:
  pycache update --flavor py311                  keep /usr/local/lib/python3.11/site-packages in sync
  pycache check --python /usr/local/bin/python3.9 -v
  pycache clean --flavor py39                    remove orphaned 3.9 bytecode (no Python needed)
  pycache update --flavor py311 --root /tmp/image  compile a staged image for /usr/local
  pycache check --all                            every flavor installed under /usr/local
  pycache explain --flavor py311 /usr/local/lib/python3.11/site-packages/six/__pycache__
                                                 what each pyc there is, and why it is fresh or not
  pycache request '{\"job\": \"check\", \"options\": {\"flavor\": \"py311\"}}'
                                                 one request as JSON, what pycache.lua sends
                                                 (pycache request --help)";

/// What `--help` begins with.
const ABOUT: &str = "Keep CPython bytecode (__pycache__) in sync with a site-packages.

Bytecode is judged by reading pyc headers (no Python is started when
everything is fresh); only bytecode carrying the interpreter's own cache
tag is ever removed.";

/// The command line: the engine's options ([`OPTIONS`], one flag each),
/// then the program's own flags.
pub fn command() -> clap::Command {
    let touched = defs::def("touched").expect("touched is an option");
    let scope = |name: &'static str, about: &'static str| {
        clap::Command::new(name)
            .about(about)
            .override_usage(format!(
                "pycache {name} [OPTIONS] [DIR]...\n       pycache {name} [OPTIONS] --all"
            ))
            .arg(
                Arg::new(touched.key)
                    .value_name(touched.value_name)
                    .help(format!(
                        "{}. Without any, and without --dirs-from: {}",
                        capitalized(touched.help),
                        touched.default.unwrap_or_default()
                    ))
                    .value_parser(value_parser!(OsString))
                    .action(ArgAction::Append),
            )
    };
    let mut cmd =
        clap::Command::new("pycache")
            .version(env!("CARGO_PKG_VERSION"))
            .about(ABOUT)
            .after_help(EXIT_CODES)
            // `request` is parsed before this command line is built (main), so
            // it is listed here by hand.
            .help_template(
                "{before-help}{about-with-newline}\n{usage-heading} {usage}\n\n\
             Commands:\n{subcommands}\n  request  Run one request written as JSON, what \
             lua/pycache.lua sends (pycache help request)\n\n{options}{after-help}",
            )
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
                "Remove this interpreter's orphaned bytecode, the caches that leaves empty and \
             the directories that held only those; compile nothing (no Python needed)",
            ))
            .subcommand(
                clap::Command::new("explain")
                    .about(
                        "Say what each file is (source, bytecode of which source, tag and \
                     level; this interpreter's, another's, an orphan, a sourceless module) \
                     and check's verdict on it, every header field against the source; \
                     change nothing",
                    )
                    .arg(
                        Arg::new("paths")
                            .value_name("PATH")
                            .help(
                                "A file, or a directory (its files and its __pycache__'s, \
                             not its subdirectories), as on the running system or below \
                             --root",
                            )
                            .value_parser(value_parser!(OsString))
                            .action(ArgAction::Append)
                            .required(true),
                    ),
            )
            .subcommand(
                clap::Command::new("config")
                    .about(
                        "Print the settings in effect (pycache.conf(5) applied for the flavor \
                     given, under the flags given) and where each comes from; with KEY, \
                     only its value (an array: one element per line)",
                    )
                    .arg(Arg::new("key").value_name("KEY").value_parser(
                        clap::builder::PossibleValuesParser::new(defs::config_keys()),
                    )),
            );
    for def in OPTIONS.iter().filter(|d| !d.flag.is_empty()) {
        let mut arg = Arg::new(def.key)
            .long(def.flag)
            .global(true)
            .help(match def.default {
                None => capitalized(def.help),
                Some(default) => format!(
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
    .args(output_args().map(|arg| arg.global(true)))
}

/// `pycache request`: one request written as JSON, the engine's options in
/// it (docs/how-it-decides.md, "One request as JSON"). A command of its own, parsed before
/// the others are built: it takes none of their flags, and what a trigger
/// runs most parses least.
pub fn request_command() -> clap::Command {
    clap::Command::new("request")
        .bin_name("pycache request")
        .about("Run one request written as JSON, what lua/pycache.lua sends")
        .long_about(
            "Run one request written as JSON, what lua/pycache.lua sends, so that the engine, \
             not the Lua module, reads and checks a Lua table of options:\n\n  \
             {\"job\": \"update\", \"options\": {\"flavor\": \"py311\", \"touched\": \
             [\"/usr/local/lib/python3.11/site-packages/six\"]}}\n\n\
             job: check, update, clean or compile.\n\
             options: the options of pycache.lua(3), as an object or as an array of [key, \
             value] pairs (a Lua key need not be a string); absent or null for every default.\n\
             all: true for every installed flavor, as --all.\n\n\
             A value is a string (bytes that are not UTF-8 as \\udc80 to \\udcff), a number \
             (2 is whole, 2.0 is not, as in Lua), a boolean or an array; {\"number\": \
             \"inf\"} (or -inf, nan) and {\"type\": \"function\"} stand for what JSON has \
             no word for. No option flag is taken: the request is the one source of \
             settings. Output and exit codes are the other commands'; see pycache(8).",
        )
        .arg(
            Arg::new("request")
                .value_name("JSON")
                .help("The request (or --from FILE)")
                .value_parser(value_parser!(OsString))
                .required_unless_present("from")
                .conflicts_with("from"),
        )
        .arg(
            Arg::new("from")
                .long("from")
                .value_name("FILE")
                .value_parser(value_parser!(PathBuf))
                .help("Read the request from FILE ('-': stdin)"),
        )
        .args(output_args())
}

/// How a response is written: the flags every command takes.
fn output_args() -> [Arg; 4] {
    [
        Arg::new("json")
            .long("json")
            .action(ArgAction::SetTrue)
            .help("Print the report as JSON (its schema: pycache(8), JSON OUTPUT)"),
        Arg::new("json_summary")
            .long("json-summary")
            .action(ArgAction::SetTrue)
            .conflicts_with("json")
            .help("Print the report as JSON without its lists of paths (what pkg triggers read)"),
        Arg::new("quiet")
            .short('q')
            .long("quiet")
            .action(ArgAction::SetTrue)
            .conflicts_with("verbose")
            .help("Print only failures"),
        Arg::new("verbose")
            .short('v')
            .long("verbose")
            .action(ArgAction::SetTrue)
            .help("Also list every file found or changed, and notes"),
    ]
}

/// An option's help as a terminal shows it: capitalized, without the
/// definitions' Markdown (backticks; a link `[label](#anchor)` to a section
/// is shown as `label in pycache(8)`, the page the port installs).
fn capitalized(text: &str) -> String {
    let mut text = text.replace('`', "");
    while let Some(open) = text.find("](#") {
        let (Some(start), Some(end)) = (text[..open].rfind('['), text[open..].find(')')) else {
            break;
        };
        let label = text[start + 1..open].to_string();
        text.replace_range(start..open + end + 1, &format!("{label} in pycache(8)"));
    }
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// A command line, parsed: which command, and its flags.
pub struct CommandLine {
    command: String,
    matches: ArgMatches,
}

impl CommandLine {
    /// Parses `args` (the program's name first). As clap does, prints help
    /// or a usage error and exits when the command line asks for help or is
    /// not one; `pycache help request` prints `request`'s.
    pub fn parse(args: Vec<OsString>) -> CommandLine {
        if args.get(1..3).is_some_and(|a| a == ["help", "request"]) {
            let _ = request_command().print_long_help();
            std::process::exit(0);
        }
        // `request` takes none of the other commands' flags: parsed on its
        // own, before they are built (what a trigger runs most parses least).
        if args.get(1).is_some_and(|a| a == "request") {
            let matches = request_command().get_matches_from(&args[1..]);
            return CommandLine {
                command: "request".into(),
                matches,
            };
        }
        let mut matches = command().get_matches_from(args);
        let (command, matches) = matches
            .remove_subcommand()
            .expect("a subcommand is required");
        CommandLine { command, matches }
    }

    /// How the response is to be written: `--json`, `--json-summary`,
    /// `--quiet`, `--verbose`.
    pub fn output(&self) -> Output {
        let m = &self.matches;
        Output {
            json: if m.get_flag("json_summary") {
                Some(Form::JsonSummary)
            } else if m.get_flag("json") {
                Some(Form::Json)
            } else {
                None
            },
            text: Text {
                verbose: m.get_flag("verbose"),
                quiet: m.get_flag("quiet"),
                // A request's options are a Lua table's: no flag to point at.
                spelling: (self.command != "request")
                    .then_some(flag_of as fn(&Def) -> Option<String>),
            },
        }
    }

    /// The request the command line makes: its subcommand and its flags,
    /// each flag's text checked by its option's definition. Reads
    /// `--dirs-from` and `request --from` here, after the program has
    /// caught its signals.
    pub fn request(&self, cancel: &Cancel) -> Result<Request, Error> {
        let m = &self.matches;
        if self.command == "request" {
            return written_request(m, cancel);
        }
        let job = match self.command.as_str() {
            "config" => Job::Config {
                key: m.get_one::<String>("key").cloned(),
            },
            "explain" => Job::Explain {
                paths: (m.get_many::<OsString>("paths").into_iter().flatten())
                    .map(PathBuf::from)
                    .collect(),
            },
            name => Job::named(name).expect("clap allows only the engine's job names"),
        };
        let mut values = Vec::new();
        for def in OPTIONS {
            if def.kind == Kind::Switch {
                if m.get_flag(def.key) {
                    values.push((def.key, Raw::Bool(true)));
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
                match m.get_one::<PathBuf>("dirs_from") {
                    Some(file) => {
                        listed = read_dirs(file)?;
                        texts.splice(0..0, listed.iter().map(OsString::as_os_str));
                    }
                    None if texts.is_empty() => continue,
                    None => {}
                }
            }
            if let Some(value) = raw_of_texts(def.kind, &texts) {
                values.push((def.key, value));
            }
        }
        let mut options = defs::read(values, |_| true)?;
        options.set_environment(|name| std::env::var_os(name));
        let mut request = Request::new(job, options, cancel.clone());
        request.all = m.get_flag("all");
        Ok(request)
    }
}

/// The value of a flag given `texts`, one per occurrence: a list for globs
/// and directories (an empty list of directories: nothing was touched),
/// else the last text as [`raw_of_text`] reads it; `None` when the flag was
/// not given.
fn raw_of_texts(kind: Kind, texts: &[&OsStr]) -> Option<Raw> {
    match kind {
        Kind::Globs if texts.is_empty() => None,
        Kind::Globs | Kind::Dirs => Some(Raw::List(
            (texts.iter())
                .map(|t| Raw::Str(t.as_bytes().to_vec()))
                .collect(),
        )),
        kind => texts.last().map(|text| raw_of_text(kind, text)),
    }
}

/// The value a flag's text stands for, as an option of `kind` reads it:
/// a number for numeric kinds (whole when it reads as one, as Lua reads
/// `2`, else a float, as `2.5`), a comma-separated list of numbers for
/// levels, the bytes as they are for the others.
fn raw_of_text(kind: Kind, text: &OsStr) -> Raw {
    match kind {
        Kind::Jobs | Kind::Seconds | Kind::Mebibytes => number(text.as_bytes()),
        Kind::Levels if text.is_empty() => Raw::List(Vec::new()),
        Kind::Levels => Raw::List(text.as_bytes().split(|&b| b == b',').map(number).collect()),
        Kind::Switch => Raw::Bool(true),
        _ => Raw::Str(text.as_bytes().to_vec()),
    }
}

fn number(text: &[u8]) -> Raw {
    let s = std::str::from_utf8(text).unwrap_or("");
    if let Ok(n) = s.parse::<i64>() {
        Raw::Int(n)
    } else if let Ok(n) = s.parse::<f64>() {
        Raw::Num(n)
    } else {
        Raw::Str(text.to_vec())
    }
}

/// An option's flag, as the reader of the command line wrote it; `None`
/// for the positional directories.
fn flag_of(def: &Def) -> Option<String> {
    (!def.flag.is_empty()).then(|| format!("--{}", def.flag))
}

/// `pycache request`: the request as JSON, from the argument or a file,
/// read as [`json_request::read`] reads it.
fn written_request(m: &ArgMatches, cancel: &Cancel) -> Result<Request, Error> {
    let text = match (
        m.get_one::<OsString>("request"),
        m.get_one::<PathBuf>("from"),
    ) {
        (Some(text), _) => text.as_bytes().to_vec(),
        (None, Some(file)) => read_file(file)?,
        (None, None) => unreachable!("clap requires one"),
    };
    let mut request = json_request::read(&text, cancel)?;
    request
        .options
        .set_environment(|name| std::env::var_os(name));
    Ok(request)
}

/// The bytes of `file` (`-`: stdin).
fn read_file(file: &Path) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let read = if file.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut bytes)
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes))
    };
    read.map_err(|e| Error::io(file, e))?;
    Ok(bytes)
}

/// A NUL-separated list of paths: any byte but NUL survives. A list with
/// newlines and no NUL at all is refused rather than read as one name: it
/// is a newline-separated list (`find` without `-print0`), which would look
/// at no directory and say all is well.
fn read_dirs(file: &Path) -> Result<Vec<OsString>, Error> {
    let bytes = read_file(file)?;
    if !bytes.contains(&0) && bytes.contains(&b'\n') {
        let problem = format!(
            "--dirs-from {}: a list separated by newlines, where one separated by NUL bytes \
             is read (find ... -print0); a name may hold a newline, so a list is never split \
             at them",
            file.display()
        );
        return Err(OptionError::new("touched", problem).into());
    }
    Ok(bytes
        .split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| OsString::from_vec(p.to_vec()))
        .collect())
}
