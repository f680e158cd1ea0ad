//! Compiling with the target interpreter, as a pool of long-lived workers.
//!
//! Starting CPython costs 30-80 ms and compiling a file about 3 ms per
//! level, so each worker is started once and fed files over stdin
//! (`compile/worker.py`, framed with NUL bytes so that any file name
//! works). Workers pull tasks from a shared index and hold two at a time, so
//! the next file is waiting in the pipe when one is done; each file gets
//! every level it needs in one visit, and levels whose pycs are the same
//! bytes become one file with a name per level; replies stream back per
//! file. A file that times out or crashes its worker is reported and the
//! worker replaced, so one bad file never stops the rest. No interpreter is
//! started when there is nothing to compile.
//!
//! Workers run `-I -S`: no `.pth` file runs, and a marker starts the
//! protocol, so whatever a wrapper prints first is skipped. Every wait on a
//! worker is bounded: start-up and each file by the timeout, the exit of a
//! worker whose input is closed by [`GRACE`] (then it is killed). A thread
//! or worker that cannot be started leaves a smaller pool and a warning.
//! Once cancelled ([`Cancel`]: SIGINT or SIGTERM in the program) no more work is sent, the
//! files in flight get [`GRACE`] to finish, and whatever a killed worker
//! left of its temporary files is removed.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::bytecode::pyc::InvalidationMode;
use crate::cancel::Cancel;
use crate::error::{Error, Failure};
use crate::fs::dir::Handle;
use crate::python::child::{kill_group, limit_memory, quoted, spawn_error};
use crate::run::scan::ToCompile;

/// The worker program, run with `python FLAGS WORKER_PY MODE`.
const WORKER_PY: &str = include_str!("compile/worker.py");

/// No site (so no `.pth`), no environment, no bytecode of its own imports
/// written (as root, into a standard library that may ship none: outside
/// the tree pycache was given), UTF-8 mode, unbuffered. The pycs it is
/// asked for it writes itself.
const FLAGS: [&str; 7] = ["-I", "-S", "-B", "-X", "utf8", "-u", "-c"];

/// What the worker writes first (`GREETING` in worker.py): bytes before it
/// are not the worker's and are skipped.
const GREETING: &[u8] = b"\0pycache-worker-ready\0";

/// How long a worker may take to exit once its input is closed, and how
/// long files in flight may take to finish after an interrupt; it is then
/// killed.
pub const GRACE: Duration = Duration::from_secs(2);

/// How often a wait for a reply looks for an interrupt.
const POLL: Duration = Duration::from_millis(50);

/// How the pool runs.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Workers at most (never more than there are files).
    pub workers: usize,
    /// How written pycs are validated.
    pub mode: InvalidationMode,
    /// Longest time one file may take.
    pub timeout: Duration,
    /// Longest time a worker may take to start (to send its greeting).
    pub startup_timeout: Duration,
    /// Most memory a worker may use, in MiB; `None`: no limit.
    pub memory_limit: Option<u64>,
    /// Stops the feeding of work when set.
    pub cancel: Cancel,
}

/// What the pool did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Sources compiled, with the levels written, sorted by path.
    pub compiled: Vec<(PathBuf, Vec<u8>)>,
    /// Sources that failed, with the reason, sorted by path.
    pub failures: Vec<Failure>,
    /// Interpreters started (replacements included).
    pub started: usize,
    /// Things worth saying that are not failures.
    pub warnings: Vec<String>,
    /// Set when the run was cancelled: the number of files left
    /// uncompiled.
    pub interrupted: Option<usize>,
    /// Set when [`Expect::rejudge`] stopped the pool before its first file:
    /// the magic number the interpreter greeted with.
    pub magic_differs: Option<[u8; 4]>,
}

/// What the interpreter expected to compile must report of itself.
pub struct Expect<'a> {
    /// Cache tag, e.g. `cpython-311`.
    pub tag: &'a str,
    /// Magic number the freshness check assumed.
    pub magic: Option<[u8; 4]>,
    /// What a greeting with another magic number does: `false`, a warning
    /// (the number is the table's, the interpreter a pre-release given
    /// with a flavor); `true`, nothing is compiled and
    /// [`Outcome::magic_differs`] says the interpreter's number, so that
    /// the engine judges the tree again with it (a number learned without
    /// asking, which the interpreter overrules).
    pub rejudge: bool,
}

/// Compiles `tasks` with `python`. `progress(done, total)` is called after
/// each file. Errs only when no worker can start at all.
pub fn compile(
    python: &Path,
    expect: &Expect<'_>,
    tasks: &[ToCompile],
    options: &CompileOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::default();
    if tasks.is_empty() {
        return Ok(outcome);
    }
    if options.cancel.is_cancelled() {
        outcome.interrupted = Some(tasks.len());
        return Ok(outcome);
    }
    let (first, hello) = Worker::start(python, options)?;
    if hello.tag != expect.tag {
        first.kill();
        return Err(Error::InterpreterMismatch {
            interpreter: python.to_path_buf(),
            expected: expect.tag.to_string(),
            found: hello.tag,
        });
    }
    if let Some(magic) = expect.magic.filter(|m| *m != hello.magic) {
        if expect.rejudge {
            first.finish();
            outcome.started = 1;
            outcome.magic_differs = Some(hello.magic);
            return Ok(outcome);
        }
        outcome.warnings.push(format!(
            "{}: magic number {} differs from {} expected for {} (a pre-release?); \
             give the interpreter (python) without a flavor so that freshness uses its own",
            python.display(),
            crate::bytecode::magic::hex(&hello.magic),
            crate::bytecode::magic::hex(&magic),
            expect.tag
        ));
    }
    let workers = options.workers.clamp(1, tasks.len());
    let pool = Pool {
        python,
        options,
        tasks,
        next: AtomicUsize::new(0),
        returned: Mutex::new(Vec::new()),
        done: AtomicUsize::new(0),
        started: AtomicUsize::new(1),
        results: Mutex::new(Results::default()),
        progress,
    };
    let first = Mutex::new(Some(first));
    let run = || {
        let worker = first.lock().expect("not poisoned").take();
        pool.run(worker)
    };
    let mut threads = 0;
    thread::scope(|s| {
        for _ in 0..workers {
            match thread::Builder::new().spawn_scoped(s, run) {
                Ok(_) => threads += 1,
                Err(e) => {
                    outcome.warnings.push(format!(
                        "started {threads} of {workers} compile threads ({e}); compiling with fewer"
                    ));
                    break;
                }
            }
        }
        if threads == 0 {
            run(); // this thread is the pool
        }
    });
    let taken = pool.next.load(Ordering::SeqCst).min(tasks.len());
    let mut left = pool.returned.into_inner().expect("not poisoned");
    left.extend(taken..tasks.len());
    let mut results = pool.results.into_inner().expect("not poisoned");
    if options.cancel.is_cancelled() {
        outcome.interrupted = Some(left.len());
    } else {
        for task in left.into_iter().map(|i| &tasks[i]) {
            results.failures.push(Failure::new(
                &task.source,
                "not compiled: no worker could be started".into(),
            ));
        }
    }
    if let Some((count, first)) = results.start_failures.take() {
        outcome.warnings.push(format!(
            "{count} compile worker(s) failed to start ({first}); compiled with the others"
        ));
    }
    results.compiled.sort();
    results.failures.sort_by(|a, b| a.path.cmp(&b.path));
    outcome.compiled = results.compiled;
    outcome.failures = results.failures;
    outcome.warnings.extend(results.warnings);
    outcome.started = pool.started.load(Ordering::SeqCst);
    Ok(outcome)
}

#[derive(Default)]
struct Results {
    compiled: Vec<(PathBuf, Vec<u8>)>,
    failures: Vec<Failure>,
    warnings: Vec<String>,
    /// Workers that failed to start, and the first one's error.
    start_failures: Option<(usize, String)>,
}

/// Requests a worker holds at once: when it finishes a file the next one is
/// already in its pipe, so it never idles while the engine reads a reply.
const IN_FLIGHT: usize = 2;

struct Pool<'a> {
    python: &'a Path,
    options: &'a CompileOptions,
    tasks: &'a [ToCompile],
    next: AtomicUsize,
    /// Jobs sent to a worker that died before starting them.
    returned: Mutex<Vec<usize>>,
    done: AtomicUsize,
    started: AtomicUsize,
    results: Mutex<Results>,
    progress: &'a (dyn Fn(usize, usize) + Sync),
}

impl Pool<'_> {
    /// One pool thread: owns one worker at a time, replaces it when it dies
    /// while there is work left. Each thread starts its first worker
    /// whatever is left, so a pool always has as many workers as threads.
    fn run(&self, mut worker: Option<Worker>) {
        let mut replacing = false;
        loop {
            let mut current = match worker.take() {
                Some(w) => w,
                None if self.options.cancel.is_cancelled() => return,
                None if replacing && !self.work_left() => return,
                None => match Worker::start(self.python, self.options) {
                    Ok((w, _)) => {
                        self.started.fetch_add(1, Ordering::SeqCst);
                        w
                    }
                    Err(e) => {
                        self.record(|r| {
                            let (count, _) = r.start_failures.get_or_insert((0, e.to_string()));
                            *count += 1;
                        });
                        return;
                    }
                },
            };
            replacing = true;
            // Jobs in this worker's pipe, in the order it takes them.
            let mut queued = VecDeque::with_capacity(IN_FLIGHT);
            loop {
                while queued.len() < IN_FLIGHT {
                    let Some(index) = self.take() else { break };
                    if current.send(&self.tasks[index]).is_ok() {
                        queued.push_back(index);
                    } else if queued.is_empty() {
                        queued.push_back(index); // its reply says how the worker died
                        break;
                    } else {
                        self.give_back([index]); // the worker died on an earlier one
                        break;
                    }
                }
                let Some(index) = queued.pop_front() else {
                    current.finish();
                    return;
                };
                let task = &self.tasks[index];
                let reply = current.receive(task, self.options.timeout);
                if !matches!(reply, Reply::Stopped) {
                    let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                    (self.progress)(n, self.tasks.len());
                }
                match reply {
                    Reply::Ok(started) => {
                        self.started.fetch_add(started, Ordering::SeqCst);
                        let levels = task.levels.iter().map(|l| l.level).collect();
                        self.record(|r| r.compiled.push((task.source.clone(), levels)));
                    }
                    Reply::Error(reason) => {
                        let reason = self.explained(reason);
                        self.record(|r| r.failures.push(Failure::new(&task.source, reason)))
                    }
                    Reply::Lost(reason) => {
                        self.record(|r| r.failures.push(Failure::new(&task.source, reason)));
                        // The worker is gone: what it had not started goes
                        // back, and another worker is started.
                        current.stop(
                            [task]
                                .into_iter()
                                .chain(queued.iter().map(|&i| &self.tasks[i])),
                        );
                        self.give_back(queued.drain(..));
                        break;
                    }
                    Reply::Stopped => {
                        current.stop(
                            [task]
                                .into_iter()
                                .chain(queued.iter().map(|&i| &self.tasks[i])),
                        );
                        self.give_back([index].into_iter().chain(queued.drain(..)));
                        return;
                    }
                }
            }
        }
    }

    /// A worker's reason for a file that did not compile, with what to do
    /// when the memory limit stopped it (CPython raises `MemoryError`).
    fn explained(&self, reason: String) -> String {
        match self.options.memory_limit {
            Some(mib) if reason.starts_with("MemoryError") => format!(
                "needs more memory than a compile worker may use (memory_limit {mib} MiB); \
                 raise memory_limit to compile it"
            ),
            _ => reason,
        }
    }

    /// The next task: one given back first, else the next never taken; none
    /// once a signal arrived.
    fn take(&self) -> Option<usize> {
        if self.options.cancel.is_cancelled() {
            return None;
        }
        if let Some(index) = self.returned.lock().expect("not poisoned").pop() {
            return Some(index);
        }
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        (index < self.tasks.len()).then_some(index)
    }

    /// Whether a worker started now could get a task.
    fn work_left(&self) -> bool {
        !self.options.cancel.is_cancelled()
            && (self.next.load(Ordering::SeqCst) < self.tasks.len()
                || !self.returned.lock().expect("not poisoned").is_empty())
    }

    fn give_back(&self, tasks: impl IntoIterator<Item = usize>) {
        self.returned.lock().expect("not poisoned").extend(tasks);
    }

    fn record(&self, f: impl FnOnce(&mut Results)) {
        f(&mut self.results.lock().expect("not poisoned"));
    }
}

/// The worker's greeting.
struct Hello {
    tag: String,
    magic: [u8; 4],
}

enum Reply {
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
struct Worker {
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
    fn start(python: &Path, options: &CompileOptions) -> Result<(Worker, Hello), Error> {
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
            .spawn(move || read_messages(stdout, send))
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
            Ok(msg) if msg.len() == 4 && msg[0] == b"ready" => {
                let tag = String::from_utf8_lossy(&msg[1]).into_owned();
                let magic = std::str::from_utf8(&msg[2])
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .map(u32::to_be_bytes);
                let pid = std::str::from_utf8(&msg[3])
                    .ok()
                    .and_then(|p| p.parse().ok());
                match (magic, pid) {
                    (Some(magic), Some(pid)) => {
                        worker.pid = pid;
                        Ok((worker, Hello { tag, magic }))
                    }
                    _ => {
                        worker.kill();
                        Err(Error::InterpreterBadAnswer {
                            interpreter: python.to_path_buf(),
                            detail: "compile worker sent a malformed greeting".into(),
                        })
                    }
                }
            }
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
    fn send(&mut self, task: &ToCompile) -> io::Result<()> {
        let mut frame = Vec::with_capacity(512);
        let mut field = |bytes: &[u8]| {
            frame.extend_from_slice(bytes);
            frame.push(0);
        };
        field(task.source.as_os_str().as_bytes());
        field(
            task.target
                .as_deref()
                .map_or(b"", |t| t.as_os_str().as_bytes()),
        );
        field(task.id.dev.to_string().as_bytes());
        field(task.id.ino.to_string().as_bytes());
        field(task.dfile.as_os_str().as_bytes());
        for level in &task.levels {
            field(level.level.to_string().as_bytes());
            field(level.cfile.as_os_str().as_bytes());
        }
        field(b"");
        self.stdin
            .as_mut()
            .map_or(Err(io::ErrorKind::BrokenPipe.into()), |s| {
                s.write_all(&frame).and_then(|()| s.flush())
            })
    }

    /// Waits for the reply to `task`, the oldest request not yet answered;
    /// `timeout` runs from now, when the worker starts on it. After a
    /// signal, the wait ends within [`GRACE`].
    fn receive(&mut self, task: &ToCompile, timeout: Duration) -> Reply {
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
            Ok(msg)
                if msg.first().map(Vec::as_slice) != Some(task.source.as_os_str().as_bytes()) =>
            {
                Reply::Lost(format!(
                    "worker answered for another file ({} fields)",
                    msg.len()
                ))
            }
            Ok(msg) if msg.len() == 3 && msg[1] == b"ok" => Reply::Ok(
                std::str::from_utf8(&msg[2])
                    .ok()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
            ),
            Ok(msg) if msg.len() == 3 && msg[1] == b"error" => {
                Reply::Error(String::from_utf8_lossy(&msg[2]).into_owned())
            }
            Ok(_) => Reply::Lost("worker sent a malformed reply".into()),
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
    fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.wait_within(GRACE);
    }

    /// Kills the worker and removes what it may have left of the cache
    /// files of `tasks`, those it was given: its temporary files.
    fn stop<'t>(mut self, tasks: impl IntoIterator<Item = &'t ToCompile>) {
        let pid = self.pid;
        drop(self.stdin.take());
        self.kill_group();
        let _ = self.child.wait();
        for task in tasks {
            remove_temporaries(pid, task);
        }
    }

    /// Ends the worker; returns its exit status and what it said.
    fn kill(mut self) -> String {
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

/// Reads NUL-framed messages from a worker and groups them: a greeting has
/// four fields, `ok` and `error` replies three. Bytes before the
/// [`GREETING`] marker are skipped.
fn read_messages(mut stdout: impl Read, send: mpsc::Sender<Vec<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    let mut before: Vec<u8> = Vec::new();
    let mut greeted = false;
    let mut field = Vec::new();
    let mut message: Vec<Vec<u8>> = Vec::new();
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut data = &buf[..n];
        if !greeted {
            before.extend_from_slice(data);
            let Some(at) = before.windows(GREETING.len()).position(|w| w == GREETING) else {
                // Only a marker's length is kept: a tail it may start in.
                let keep = before.len().min(GREETING.len() - 1);
                before.drain(..before.len() - keep);
                continue;
            };
            greeted = true;
            message.push(b"ready".to_vec());
            before.drain(..at + GREETING.len());
            data = &before;
        }
        for &byte in data {
            if byte != 0 {
                field.push(byte);
                continue;
            }
            message.push(std::mem::take(&mut field));
            let complete = match message.as_slice() {
                [first, ..] if first == b"ready" => message.len() == 4,
                [_, _, _] => true,
                _ => false,
            };
            if complete && send.send(std::mem::take(&mut message)).is_err() {
                return;
            }
        }
        before.clear();
    }
}
