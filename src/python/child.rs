//! Running an interpreter as a child: the error for one that cannot be
//! started, bounding its memory, reading its pipes without ever blocking the
//! run, and killing its whole process group (what a wrapper script started
//! goes too).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::mpsc::{self, Receiver};

use rustix::process::{Pid, Resource, Rlimit, Signal};

/// The limit that bounds what a child can allocate. FreeBSD enforces
/// `RLIMIT_AS` (`RLIMIT_VMEM`) on every mapping, while its `RLIMIT_DATA`
/// bounds only `brk(2)`, which its malloc does not use. Linux counts every
/// private writable mapping against `RLIMIT_DATA` (since 4.7), whereas its
/// `RLIMIT_AS` also counts address space that is only reserved, which some
/// runtimes reserve by the gigabyte (V8 reserves over 16 GiB for
/// WebAssembly memory).
#[cfg(target_os = "linux")]
const MEMORY: Resource = Resource::Data;
#[cfg(not(target_os = "linux"))]
const MEMORY: Resource = Resource::As;

/// Makes `command`'s process unable to use more than `mib` MiB (see
/// [`MEMORY`]); an allocation beyond fails in the child, which CPython
/// raises as `MemoryError`. Lowers the soft and the hard limit, never
/// raises either, so the child cannot undo it.
pub fn limit_memory(command: &mut Command, mib: u64) {
    let bytes = mib.saturating_mul(1 << 20);
    let lower = move |limit: Option<u64>| Some(limit.map_or(bytes, |l| l.min(bytes)));
    let limit = move || {
        let now = rustix::process::getrlimit(MEMORY);
        let new = Rlimit {
            current: lower(now.current),
            maximum: lower(now.maximum),
        };
        rustix::process::setrlimit(MEMORY, new).map_err(std::io::Error::from)
    };
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe calls are allowed: it makes two system calls
    // (getrlimit, setrlimit), allocates nothing and takes no lock.
    unsafe {
        command.pre_exec(limit);
    }
}

use crate::error::Error;

/// Reads `pipe` to its end in a thread; the bytes arrive on the channel.
/// `None` when no thread can be started (the output is then not read).
/// The thread is never joined: a child's child may hold the pipe open.
pub fn read_in_background(mut pipe: impl Read + Send + 'static) -> Option<Receiver<Vec<u8>>> {
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            let mut out = Vec::new();
            let _ = pipe.read_to_end(&mut out);
            let _ = send.send(out);
        })
        .ok()?;
    Some(receive)
}

/// SIGKILL to `child`'s process group (children are started as group
/// leaders) and to the child, while it is not reaped: its pid cannot have
/// been reused. The caller reaps it.
pub fn kill_group(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        if let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
            let _ = rustix::process::kill_process_group(pid, Signal::KILL);
        }
        let _ = child.kill();
    }
}

/// Whether `python` may be run (src/fs/trust.rs): the file it leads to,
/// every directory and link the lookup passes through, owned by root or
/// the user running pycache and writable by no one else. One that is not
/// there, or cannot be looked up, is left for starting it to report
/// (cleaning needs no interpreter).
pub fn trusted(python: &Path) -> Result<(), Error> {
    match crate::fs::trust::resolve(python) {
        Err(crate::fs::trust::Refusal::Untrusted(why)) => Err(Error::Untrusted {
            interpreter: python.to_path_buf(),
            why,
        }),
        _ => Ok(()),
    }
}

/// What an interpreter's stderr said, quoted in one line: its one line, or
/// its first and last lines (`Traceback ...: ... ModuleNotFoundError: ...`,
/// or a launcher's `pyenv: python3.9: command not found ... to be found.`),
/// each shortened; `None` when it said nothing. `skip` drops lines that are
/// not the interpreter's words.
pub fn quoted(stderr: &str, skip: impl Fn(&str) -> bool) -> Option<String> {
    const LONGEST: usize = 200;
    let short = |line: &str| match line.char_indices().nth(LONGEST) {
        Some((at, _)) => format!("{}...", &line[..at]),
        None => line.to_string(),
    };
    let mut lines = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !skip(l));
    let first = lines.next()?;
    Some(match lines.last() {
        Some(last) => format!("{} ... {}", short(first), short(last)),
        None => short(first),
    })
}

/// The error for an interpreter that could not be started.
pub fn spawn_error(python: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::InterpreterNotFound {
            interpreter: python.to_path_buf(),
            hint: None,
        }
    } else {
        Error::InterpreterNotRunnable {
            interpreter: python.to_path_buf(),
            error: e,
        }
    }
}
