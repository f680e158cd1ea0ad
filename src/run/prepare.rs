//! What every command settles before it scans: where the tree is on disk,
//! the magic number pycs are judged with, and whether the touched
//! directories a front gave are in the tree at all.

use std::path::Path;

use crate::bytecode::magic::{self, MagicFrom};
use crate::bytecode::pyc::Magic;
use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::location::Location;
use crate::python::target::Target;
use crate::run::report::{Command, PythonInfo};
use crate::settings::options::Settings;

/// What [`prepare`] settled.
pub(crate) struct Prepared {
    /// The tree, on disk and as the running system spells it.
    pub location: Location,
    /// The magic number to judge with, and where it came from.
    pub magic: Option<(Magic, MagicFrom)>,
    /// Why there is no magic number when one was needed (the interpreter
    /// could not be asked): the report's stop, since cleaning needs none.
    pub unjudged: Option<Error>,
    /// What verbose output says of how the interpreter and the number were
    /// found.
    pub notes: Vec<String>,
    /// Whether an interpreter was started to ask for the number.
    pub asked: bool,
    /// Whether the touched directories given are none of the tree's
    /// ([`misdirected`]): the whole tree is then worked on.
    pub misdirected: bool,
}

impl Prepared {
    /// The magic number, without where it came from.
    pub fn magic(&self) -> Option<Magic> {
        self.magic.map(|(magic, _)| magic)
    }

    /// The touched directories the scan looks at: `None` for the whole tree.
    pub fn touched<'a>(&self, settings: &'a Settings) -> Option<&'a [std::path::PathBuf]> {
        match self.misdirected {
            true => None,
            false => settings.touched.as_deref(),
        }
    }

    /// The interpreter and tree a report is about.
    pub fn python_info(&self, target: &Target) -> PythonInfo {
        python_info(target, &self.location, self.magic)
    }

    /// Interpreters started to prepare, the target's own asking included.
    pub fn interpreters_started(&self, target: &Target) -> usize {
        usize::from(self.asked) + target.interpreters_started()
    }

    /// The warning of a run whose touched list is [misdirected].
    pub fn misdirected_warning(&self, command: Command, settings: &Settings) -> Option<String> {
        if !self.misdirected {
            return None;
        }
        let dirs = settings.touched.as_deref().unwrap_or_default();
        let more = match dirs.len() {
            1 => String::new(),
            n => format!(" and {} more", n - 1),
        };
        let doing = match command {
            Command::Check => "checking",
            Command::Update => "updating",
            Command::Clean => "cleaning",
            Command::Compile => "compiling",
        };
        let tree = match self.location.site_packages {
            Some(_) => "standard library",
            None => "site-packages",
        };
        Some(format!(
            "no touched directory is in {} (got \"{}\"{more}); {doing} the whole {tree}",
            self.location.runtime.display(),
            dirs[0].display()
        ))
    }
}

/// Locates the tree and settles the magic number: the table's; for a
/// flavor of a version the table does not know, the one its standard
/// library's bytecode carries when that can be trusted
/// ([`crate::bytecode::magic`]); else the interpreter is asked, and when
/// that fails the error is kept for the report (cleaning needs no
/// interpreter). `judge`: a number is needed at all.
pub(crate) fn prepare(
    target: &Target,
    settings: &Settings,
    cancel: &Cancel,
    judge: bool,
) -> Result<Prepared, Error> {
    let location = target.locate_tree(settings.stdlib)?;
    let misdirected = misdirected(settings, &location);
    let mut prepared = Prepared {
        location,
        magic: None,
        unjudged: None,
        notes: target.interpreter_note().into_iter().collect(),
        asked: false,
        misdirected,
    };
    if let Some(magic) = target.magic() {
        prepared.magic = Some((magic, target.magic_from()));
        return Ok(prepared);
    }
    if !judge {
        return Ok(prepared);
    }
    let (minor, tag) = (target.minor(), target.tag());
    let mut refused = None;
    if let Some(stdlib) = target.stdlib() {
        match magic::from_stdlib(stdlib, target.root(), tag, minor) {
            Ok(learned) => {
                prepared.notes.push(magic::note(&learned, tag));
                let bytes = learned.bytes;
                prepared.magic = Some((Magic { bytes, minor }, MagicFrom::Stdlib));
                return Ok(prepared);
            }
            Err(why) => refused = Some(why),
        }
    }
    let asked = (target.runnable()).and_then(|python| Target::from_interpreter(python, cancel));
    // Counted when a process ran, whatever it answered.
    prepared.asked = !matches!(
        asked,
        Err(Error::InterpreterNotFound { .. }
            | Error::InterpreterNotRunnable { .. }
            | Error::Io { .. })
    );
    match asked {
        Ok(asked) => {
            if let Some(number) = asked.magic() {
                let why = refused
                    .map(|why| format!(" (the standard library's bytecode was not used: {why})"))
                    .unwrap_or_default();
                prepared.notes.push(format!(
                    "magic number {}: asked {}{why}",
                    magic::hex_and_number(&number.bytes),
                    target.interpreter().display()
                ));
                prepared.magic = Some((number, MagicFrom::Interpreter));
            }
        }
        Err(e) => prepared.unjudged = Some(e),
    }
    Ok(prepared)
}

/// Whether the touched list names directories of which none is in the
/// tree, which is then worked on whole. pkg runs the trigger only when it
/// matched a directory of the tree, so such a list is a wrong `arg`, not an
/// empty transaction: `pkg -r ROOT triggers` re-saves deferred triggers
/// with `arg` = `(null)`. An empty list stays "nothing was touched".
fn misdirected(settings: &Settings, location: &Location) -> bool {
    (settings.touched.as_deref())
        .is_some_and(|dirs| !dirs.is_empty() && !dirs.iter().any(|d| location.contains(d)))
}

/// The interpreter and tree a report is about.
pub(crate) fn python_info(
    target: &Target,
    location: &Location,
    magic: Option<(Magic, MagicFrom)>,
) -> PythonInfo {
    PythonInfo {
        version: target.version(),
        tag: target.tag().to_string(),
        interpreter: target.interpreter().to_path_buf(),
        site_packages: location.site_runtime.clone(),
        stdlib: (location.site_packages.as_ref()).map(|_| location.runtime.clone()),
        directory: location.dir.clone(),
        root: target.root().map(Path::to_path_buf),
        magic: magic.map(|(m, _)| magic::hex(&m.bytes)),
        magic_from: magic.map(|(_, from)| from),
    }
}
