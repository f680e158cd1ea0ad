//! One worker: a target interpreter running `worker.py`, started, greeted,
//! fed requests, waited on with bounds, and always reaped.
//!
//! A worker runs `-I -S` (no `.pth` file runs, no environment) in its own
//! process group, so that killing it kills whatever it started (a
//! wrapper's interpreter). Its stdout and stderr are read by threads of
//! their own into channels, so every wait has a deadline: start-up and each
//! file by the timeout, its exit once its input is closed by [`GRACE`]
//! (then it is killed). A killed worker's temporary files are removed, and
//! what it wrote to stderr last says why it died.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::cancel::Cancel;
use crate::error::Error;
use crate::fs::dir::Handle;
use crate::python::child::{kill_group, limit_memory, quoted, spawn_error};
use crate::run::compile::CompileOptions;
use crate::run::compile::protocol::{self, Answer, Hello};
use crate::run::scan::ToCompile;

/// The worker program, run with `python FLAGS WORKER_PY MODE`.
const WORKER_PY: &str = include_str!("worker.py");

/// No site (so no `.pth`), no environment, no bytecode of its own imports
/// written (as root, into a standard library that may ship none: outside
/// the tree pycache was given), UTF-8 mode, unbuffered. The pycs it is
/// asked for it writes itself.
const FLAGS: [&str; 7] = ["-I", "-S", "-B", "-X", "utf8", "-u", "-c"];

/// How long a worker may take to exit once its input is closed, and how
/// long files in flight may take to finish after an interrupt; it is then
/// killed.
pub const GRACE: Duration = Duration::from_secs(2);

/// How often a wait for a reply looks for an interrupt.
const POLL: Duration = Duration::from_millis(50);

/// What became of one request.
pub(super) enum Reply {
    /// Compiled; the interpreters the worker started for it (a fresh one
    /// for CPython 3.12, worker.py's `fresh_body`).
    Ok(usize),
    /// The file did not compile; the worker goes on.
    Error(String),
    /// The worker timed out or died on this file.
    Lost(String),
    /// A signal arrived, and the file did not finish within [`GRACE`] or
    /// the worker ended with it.
    Stopped,
}

/// One running interpreter.
pub(super) struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Vec<Vec<u8>>>,
    /// What the child wrote to stderr, once it closed it.
    stderr: Receiver<Vec<u8>>,
    mode: &'static str,
    /// The interpreter's own pid, as it names its temporary files (it
    /// differs from the child's behind a wrapper that does not exec).
    pid: u32,
    /// Whether the run was cancelled, which ends a wait within [`GRACE`].
    cancel: Cancel,
}

impl Worker {
    /// Starts a worker and waits for its greeting.
    pub fn start(python: &Path, options: &CompileOptions) -> Result<(Worker, Hello), Error> {
        let mode = options.mode.as_str();
        let mut command = Command::new(python);
        if let Some(mib) = options.memory_limit {
            limit_memory(&mut command, mib);
        }
        let mut child = command
            .args(FLAGS)
            .args([WORKER_PY, mode])
            .env_clear()
            // Its own process group, so that killing it kills whatever it
            // started (a wrapper's interpreter); an interrupt from the
            // terminal reaches the engine, which stops the workers.
            .process_group(0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(python, e))?;
        let stdout = child.stdout.take().expect("piped");
        let mut stderr_pipe = child.stderr.take().expect("piped");
        let (send, replies) = mpsc::channel();
        let (send_err, stderr) = mpsc::channel();
        // The readers are never joined: a child's child could hold a pipe
        // open forever. They end with the pipe.
        let readers = thread::Builder::new()
            .spawn(move || protocol::read_messages(stdout, send))
            .and_then(|_| {
                thread::Builder::new().spawn(move || {
                    let mut buf = Vec::new();
                    let _ = stderr_pipe.read_to_end(&mut buf);
                    let _ = send_err.send(buf);
                })
            });
        let stdin = child.stdin.take();
        let pid = child.id();
        let mut worker = Worker {
            child,
            stdin,
            replies,
            stderr,
            mode,
            pid,
            cancel: options.cancel.clone(),
        };
        if let Err(e) = readers {
            worker.kill();
            return Err(Error::io(
                python,
                io::Error::new(
                    e.kind(),
                    format!("no thread could be started to read a compile worker: {e}"),
                ),
            ));
        }
        match worker.replies.recv_timeout(options.startup_timeout) {
            Ok(msg) if Hello::is_one(&msg) => match Hello::parse(&msg) {
                Some(hello) => {
                    worker.pid = hello.pid;
                    Ok((worker, hello))
                }
                None => {
                    worker.kill();
                    Err(Error::InterpreterBadAnswer {
                        interpreter: python.to_path_buf(),
                        detail: "compile worker sent a malformed greeting".into(),
                    })
                }
            },
            Err(RecvTimeoutError::Timeout) => {
                worker.kill();
                Err(Error::StartupTimeout {
                    interpreter: python.to_path_buf(),
                    after: options.startup_timeout,
                })
            }
            _ => {
                let why = worker.kill();
                Err(Error::InterpreterBadAnswer {
                    interpreter: python.to_path_buf(),
                    detail: format!("compile worker did not start ({why})"),
                })
            }
        }
    }

    /// Writes one request; the reply is read by `receive`.
    pub fn send(&mut self, task: &ToCompile) -> io::Result<()> {
        let frame = protocol::request(task);
        self.stdin
            .as_mut()
            .map_or(Err(io::ErrorKind::BrokenPipe.into()), |s| {
                s.write_all(&frame).and_then(|()| s.flush())
            })
    }

    /// Waits for the reply to `task`, the oldest request not yet answered;
    /// `timeout` runs from now, when the worker starts on it. After a
    /// signal, the wait ends within [`GRACE`].
    pub fn receive(&mut self, task: &ToCompile, timeout: Duration) -> Reply {
        let mut deadline = Instant::now() + timeout;
        let mut interrupted = false;
        let received = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break Err(RecvTimeoutError::Timeout);
            }
            match self.replies.recv_timeout(left.min(POLL)) {
                Err(RecvTimeoutError::Timeout) => {
                    if !interrupted && self.cancel.is_cancelled() {
                        interrupted = true;
                        deadline = deadline.min(Instant::now() + GRACE);
                    }
                }
                other => break other,
            }
        };
        match received {
            Ok(msg) => match protocol::answer(&msg, &task.source) {
                Ok(Answer::Compiled(started)) => Reply::Ok(started),
                Ok(Answer::Failed(reason)) => Reply::Error(reason),
                Err(why) => Reply::Lost(why),
            },
            Err(RecvTimeoutError::Timeout) if interrupted => Reply::Stopped,
            Err(RecvTimeoutError::Timeout) => Reply::Lost(format!(
                "timed out after {} s; worker restarted",
                timeout.as_secs()
            )),
            Err(RecvTimeoutError::Disconnected) => {
                let words = self.last_words();
                // A signal to the process group ends the workers too; by the
                // time this one is reaped, the engine has seen it.
                if self.cancel.is_cancelled() {
                    Reply::Stopped
                } else {
                    Reply::Lost(format!(
                        "compile worker crashed ({words}); worker restarted"
                    ))
                }
            }
        }
    }

    /// Closes stdin and lets the worker exit; one still running after
    /// [`GRACE`] is killed.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.wait_within(GRACE);
    }

    /// Kills the worker and removes what it may have left of the cache
    /// files of `tasks`, those it was given: its temporary files.
    pub fn stop<'t>(mut self, tasks: impl IntoIterator<Item = &'t ToCompile>) {
        let pid = self.pid;
        drop(self.stdin.take());
        self.kill_group();
        let _ = self.child.wait();
        for task in tasks {
            remove_temporaries(pid, task);
        }
    }

    /// Ends the worker; returns its exit status and what it said.
    pub fn kill(mut self) -> String {
        drop(self.stdin.take());
        self.kill_group();
        self.last_words()
    }

    /// SIGKILL to the worker's process group while the worker is not
    /// reaped (its pid cannot have been reused).
    fn kill_group(&mut self) {
        kill_group(&mut self.child);
    }

    /// Waits up to `grace` for the child to exit, then kills it.
    fn wait_within(&mut self, grace: Duration) -> io::Result<std::process::ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            if started.elapsed() >= grace {
                self.kill_group();
                return self.child.wait();
            }
            thread::sleep(Duration::from_millis(2));
        }
    }

    /// Waits for the (ending) child: `STATUS` or `STATUS; stderr: LAST
    /// LINE`. A line that only repeats the worker's own command line (a
    /// program that is not CPython, echoing its arguments) is not quoted as
    /// if it were the error.
    fn last_words(&mut self) -> String {
        let status = match self.wait_within(GRACE) {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        };
        let err = self.stderr.recv_timeout(GRACE).unwrap_or_default();
        let text = String::from_utf8_lossy(&err);
        // Compared by their letters (a line with none says nothing), an
        // escape dropped: `echo` turns the program's `\t` into a tab.
        let letters = |s: &str| {
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => drop(chars.next()),
                    c if c.is_ascii_alphabetic() => out.push(c),
                    _ => {}
                }
            }
            out
        };
        let command = letters(&format!("{} {WORKER_PY} {}", FLAGS.join(" "), self.mode));
        let own = |line: &str| line == self.mode || command.contains(&letters(line));
        let said = text.lines().any(|l| !l.trim().is_empty());
        match quoted(&text, own) {
            Some(words) => format!("{status}; stderr: {words}"),
            None if said => format!(
                "{status}; it printed only its own arguments, which CPython 3.6 or later never does"
            ),
            None => status,
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A worker is never left running or unreaped.
        if let Ok(None) = self.child.try_wait() {
            self.kill_group();
            let _ = self.child.wait();
        }
    }
}

/// Removes the temporary files (`CFILE.PID.N`, worker.py's `temporary`)
/// that the killed worker `pid` may have left of `task`'s cache files,
/// through a handle of their `__pycache__` reached from `/` without
/// following links, as the worker wrote them.
fn remove_temporaries(pid: u32, task: &ToCompile) {
    let Some(dir) = task.levels.first().and_then(|l| l.cfile.parent()) else {
        return;
    };
    let Ok(dir) = Handle::open_path(dir) else {
        return; // never made, or not a directory now: nothing of ours there
    };
    for level in &task.levels {
        let Some(name) = level.cfile.file_name() else {
            continue;
        };
        // The worker counts up from 0, stepping over names in the way.
        for n in 0..100 {
            let mut temp = OsString::from(name);
            temp.push(format!(".{pid}.{n}"));
            if let Err(e) = dir.remove_file(&temp) {
                if e.kind() == io::ErrorKind::NotFound {
                    break;
                }
            }
        }
    }
}
