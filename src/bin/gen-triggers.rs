//! `gen-triggers`: render one pkg trigger file per Python flavor from the
//! pycache trigger template.
//!
//! clap parses the flags, [`Config::resolve`] checks and types them, every
//! file is rendered in memory, and only then is anything written, each file
//! atomically (temporary file, then rename). Exit codes: 0 ok, 2 usage (bad
//! flag, flavor, path or template), 3 environment (template unreadable,
//! output not writable).

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use pycache::Flavor;
use pycache::front::template::{
    TRIGGER_TEMPLATE, TRIGGER_TEMPLATE_NAME, Template, TemplateError, TriggerSettings,
    trigger_file_name,
};

const AFTER_HELP: &str = "\
Output:
  One file per flavor, named pycache-<flavor>.ucl (pycache-py311.ucl), written
  atomically into --out (default: the current directory, created if missing);
  a ports build installs them into ${LOCALBASE}/share/pkg/triggers/. With
  --stdout, the single flavor's file is printed instead. The paths written
  are printed one per line. Flavors given twice are rendered once (with a
  note on stderr); output does not depend on the order of --flavors.

Rendered paths (what each trigger calls):
  interpreter     LOCALBASE/bin/pythonX.Y
  site-packages   LOCALBASE/lib/pythonX.Y/site-packages
  Lua module dir  --lua-modsharedir, default PREFIX/share/lua/5.4
  program         --pycache-cmd, default PREFIX/bin/pycache

Exit status:
  0  every file written
  2  usage: bad option, flavor, path, or a template that cannot render
  3  environment: template unreadable, output directory or file not writable

Example:
  gen-triggers --flavors py39,py311 --out work/triggers";

/// Render pkg triggers that keep CPython bytecode (__pycache__) in sync.
#[derive(Debug, Parser)]
#[command(name = "gen-triggers", version, after_help = AFTER_HELP)]
struct Cli {
    /// Python flavors to render, comma-separated or repeated (py39,py311,py313t).
    #[arg(long, value_delimiter = ',', required = true, value_name = "LIST")]
    flavors: Vec<String>,

    /// Where pycache (program and Lua module) is installed.
    #[arg(long, value_name = "DIR", default_value = "/usr/local")]
    prefix: PathBuf,

    /// Where the Python interpreters live [default: PREFIX].
    #[arg(long, value_name = "DIR")]
    localbase: Option<PathBuf>,

    /// Directory holding pycache.lua [default: PREFIX/share/lua/5.4].
    #[arg(long, value_name = "DIR")]
    lua_modsharedir: Option<PathBuf>,

    /// The pycache program the Lua module runs [default: PREFIX/bin/pycache].
    #[arg(long, value_name = "PATH")]
    pycache_cmd: Option<PathBuf>,

    /// Render this template instead of the built-in python-update-cache.ucl.in.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,

    /// Directory to write the trigger files to [default: .].
    #[arg(long, value_name = "DIR", conflicts_with = "stdout")]
    out: Option<PathBuf>,

    /// Print the trigger of the one flavor given instead of writing a file.
    #[arg(long)]
    stdout: bool,
}

/// Where the rendered files go.
enum Output {
    Stdout,
    Dir(PathBuf),
}

/// Checked, typed settings: everything that can be wrong with the command
/// line is found here, before any file is read or written.
struct Config {
    flavors: BTreeSet<Flavor>,
    settings: TriggerSettings,
    template: Option<PathBuf>,
    output: Output,
}

/// A failure with its exit code; the message is printed after `gen-triggers: `.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl ToString) -> Failure {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }

    fn environment(path: &Path, what: &str, err: io::Error) -> Failure {
        Failure {
            code: 3,
            message: format!("{}: {what}: {err}", path.display()),
        }
    }
}

impl From<pycache::Error> for Failure {
    fn from(err: pycache::Error) -> Failure {
        Failure {
            code: if err.is_environment() { 3 } else { 2 },
            message: err.to_string(),
        }
    }
}

/// Template errors are gen-triggers' own: the engine's error does not
/// know templates (error.rs does not depend on template.rs).
impl From<TemplateError> for Failure {
    fn from(err: TemplateError) -> Failure {
        Failure::usage(err)
    }
}

impl Config {
    fn resolve(cli: Cli) -> Result<Config, Failure> {
        let mut flavors = BTreeSet::new();
        for name in &cli.flavors {
            if name.is_empty() {
                return Err(Failure::usage(
                    "empty flavor name in --flavors (a stray comma?); expected pyXY such as py39 or py311, or py313t for a free-threaded build",
                ));
            }
            let flavor = Flavor::parse(name).map_err(Failure::usage)?;
            if !flavors.insert(flavor) {
                eprintln!("gen-triggers: {flavor} given more than once; rendering it once");
            }
        }
        let output = if cli.stdout {
            if flavors.len() != 1 {
                return Err(Failure::usage(format!(
                    "--stdout prints one trigger, but {} flavors were given ({}); use --out DIR",
                    flavors.len(),
                    flavors
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(",")
                )));
            }
            Output::Stdout
        } else {
            Output::Dir(cli.out.unwrap_or_else(|| PathBuf::from(".")))
        };
        let settings = TriggerSettings::new(&cli.prefix)
            .localbase(cli.localbase.as_deref())
            .lua_modsharedir(cli.lua_modsharedir.as_deref())
            .pycache_cmd(cli.pycache_cmd.as_deref());
        Ok(Config {
            flavors,
            settings,
            template: cli.template,
            output,
        })
    }
}

fn run(config: &Config) -> Result<(), Failure> {
    let (name, text) = match &config.template {
        None => (
            TRIGGER_TEMPLATE_NAME.to_string(),
            TRIGGER_TEMPLATE.to_string(),
        ),
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|e| Failure::environment(path, "cannot read template", e))?;
            (path.display().to_string(), text)
        }
    };
    let template = Template::parse(&name, &text)?;
    // Render everything first: a problem with any flavor writes nothing.
    let mut rendered = Vec::new();
    for &flavor in &config.flavors {
        let values = config.settings.values(flavor)?;
        let text = template.render(&values)?;
        rendered.push((trigger_file_name(flavor), text));
    }
    match &config.output {
        Output::Stdout => {
            let mut out = io::stdout().lock();
            for (_, text) in &rendered {
                out.write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|e| Failure::environment(Path::new("<stdout>"), "cannot write", e))?;
            }
        }
        Output::Dir(dir) => {
            fs::create_dir_all(dir)
                .map_err(|e| Failure::environment(dir, "cannot create output directory", e))?;
            for (file, text) in &rendered {
                let path = dir.join(file);
                write_atomically(&path, text.as_bytes())
                    .map_err(|e| Failure::environment(&path, "cannot write trigger", e))?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to a temporary file next to `path`, syncs it and renames it
/// over `path`, so readers (pkg among them) see the old file or the new one,
/// never a part. The temporary file is removed when anything fails.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let result = (|| {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match Config::resolve(cli).and_then(|config| run(&config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("gen-triggers: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
