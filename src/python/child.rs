//! Running an interpreter as a child: the error for one that cannot be
//! started, reading its pipes without ever blocking the run, and killing
//! its whole process group (what a wrapper script started goes too).

use std::io::Read;
use std::path::Path;
use std::process::Child;
use std::sync::mpsc::{self, Receiver};

use rustix::process::{Pid, Signal};

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
            source: e,
        }
    }
}
