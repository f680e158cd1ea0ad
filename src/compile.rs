//! Compiling with the target interpreter, as a pool of long-lived workers.
//!
//! Starting CPython costs 30-80 ms and compiling a file about 3 ms per
//! level, so each worker is started once and fed files over stdin
//! (`compile/worker.py`, framed with NUL bytes so that any file name
//! works). Workers pull jobs from a shared index and hold two at a time, so
//! the next file is waiting in the pipe when one is done; each file gets
//! every level it needs in one visit, and levels whose pycs are the same
//! bytes become one file with a name per level; replies stream back per
//! file. A file that times out or crashes its worker is reported and the
//! worker replaced, so one bad file never stops the rest. No interpreter is
//! started when there is nothing to compile.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use crate::error::Error;
use crate::pyc::InvalidationMode;
use crate::report::Failure;
use crate::scan::Job;
use crate::target::spawn_error;

/// The worker program, run with `python -I -u -c`.
const WORKER_PY: &str = include_str!("compile/worker.py");

/// How the pool runs.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    /// Workers at most (never more than there are files).
    pub jobs: usize,
    /// How written pycs are validated.
    pub mode: InvalidationMode,
    /// Longest time one file may take.
    pub timeout: Duration,
    /// Longest time a worker may take to start.
    pub startup_timeout: Duration,
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
}

/// What the interpreter expected to compile must report of itself.
pub struct Expect<'a> {
    /// Cache tag, e.g. `cpython-311`.
    pub tag: &'a str,
    /// Magic number the freshness check assumed.
    pub magic: Option<[u8; 4]>,
}

/// Compiles `jobs` with `python`. `progress(done, total)` is called after
/// each file. Errs only when no worker can start at all.
pub fn compile(
    python: &Path,
    expect: &Expect<'_>,
    jobs: &[Job],
    options: &CompileOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Outcome, Error> {
    let mut outcome = Outcome::default();
    if jobs.is_empty() {
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
        outcome.warnings.push(format!(
            "{}: magic number {} differs from {} expected for {} (a pre-release?); \
             give the interpreter (python) without a flavor so that freshness uses its own",
            python.display(),
            hex(&hello.magic),
            hex(&magic),
            expect.tag
        ));
    }
    let workers = options.jobs.clamp(1, jobs.len());
    let pool = Pool {
        python,
        options,
        jobs,
        next: AtomicUsize::new(0),
        returned: Mutex::new(Vec::new()),
        done: AtomicUsize::new(0),
        started: AtomicUsize::new(1),
        results: Mutex::new(Results::default()),
        progress,
    };
    let first = Mutex::new(Some(first));
    thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let worker = first.lock().expect("not poisoned").take();
                pool.run(worker)
            });
        }
    });
    let taken = pool.next.load(Ordering::SeqCst).min(jobs.len());
    let mut left = pool.returned.into_inner().expect("not poisoned");
    left.extend(taken..jobs.len());
    let mut results = pool.results.into_inner().expect("not poisoned");
    for job in left.into_iter().map(|i| &jobs[i]) {
        results.failures.push(Failure::new(
            &job.source,
            "not compiled: no worker could be started".into(),
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Default)]
struct Results {
    compiled: Vec<(PathBuf, Vec<u8>)>,
    failures: Vec<Failure>,
    warnings: Vec<String>,
}

/// Requests a worker holds at once: when it finishes a file the next one is
/// already in its pipe, so it never idles while the engine reads a reply.
const IN_FLIGHT: usize = 2;

struct Pool<'a> {
    python: &'a Path,
    options: &'a CompileOptions,
    jobs: &'a [Job],
    next: AtomicUsize,
    /// Jobs sent to a worker that died before starting them.
    returned: Mutex<Vec<usize>>,
    done: AtomicUsize,
    started: AtomicUsize,
    results: Mutex<Results>,
    progress: &'a (dyn Fn(usize, usize) + Sync),
}

impl Pool<'_> {
    /// One pool thread: owns one worker at a time, replaces it when it dies.
    fn run(&self, mut worker: Option<Worker>) {
        loop {
            let mut current = match worker.take() {
                Some(w) => w,
                None => match Worker::start(self.python, self.options) {
                    Ok((w, _)) => {
                        self.started.fetch_add(1, Ordering::SeqCst);
                        w
                    }
                    Err(e) => {
                        self.record(|r| {
                            r.warnings
                                .push(format!("a compile worker failed to start: {e}"))
                        });
                        return;
                    }
                },
            };
            // Jobs in this worker's pipe, in the order it takes them.
            let mut queued = VecDeque::with_capacity(IN_FLIGHT);
            loop {
                while queued.len() < IN_FLIGHT {
                    let Some(index) = self.take() else { break };
                    if current.send(&self.jobs[index]).is_ok() {
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
                let job = &self.jobs[index];
                let reply = current.receive(job, self.options.timeout);
                let n = self.done.fetch_add(1, Ordering::SeqCst) + 1;
                (self.progress)(n, self.jobs.len());
                match reply {
                    Reply::Ok => {
                        let levels = job.levels.iter().map(|l| l.level).collect();
                        self.record(|r| r.compiled.push((job.source.clone(), levels)));
                    }
                    Reply::Error(reason) => {
                        self.record(|r| r.failures.push(Failure::new(&job.source, reason)))
                    }
                    Reply::Lost(reason) => {
                        self.record(|r| r.failures.push(Failure::new(&job.source, reason)));
                        // The worker is gone: what it had not started goes
                        // back, and another worker is started.
                        self.give_back(queued.drain(..));
                        break;
                    }
                }
            }
        }
    }

    /// The next job: one given back first, else the next never taken.
    fn take(&self) -> Option<usize> {
        if let Some(index) = self.returned.lock().expect("not poisoned").pop() {
            return Some(index);
        }
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        (index < self.jobs.len()).then_some(index)
    }

    fn give_back(&self, jobs: impl IntoIterator<Item = usize>) {
        self.returned.lock().expect("not poisoned").extend(jobs);
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
    Ok,
    /// The file did not compile; the worker goes on.
    Error(String),
    /// The worker timed out or died on this file.
    Lost(String),
}

/// One running interpreter.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    replies: Receiver<Vec<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<Vec<u8>>>,
}

impl Worker {
    fn start(python: &Path, options: &CompileOptions) -> Result<(Worker, Hello), Error> {
        let mut child = Command::new(python)
            .args([
                "-I",
                "-X",
                "utf8",
                "-u",
                "-c",
                WORKER_PY,
                options.mode.as_str(),
            ])
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error(python, e))?;
        let stdout = child.stdout.take().expect("piped");
        let mut stderr_pipe = child.stderr.take().expect("piped");
        let (send, replies) = mpsc::channel();
        let reader = thread::spawn(move || read_messages(stdout, send));
        let stderr = thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = stderr_pipe.read_to_end(&mut buf);
            buf
        });
        let stdin = child.stdin.take();
        let worker = Worker {
            child,
            stdin,
            replies,
            reader: Some(reader),
            stderr: Some(stderr),
        };
        match worker.replies.recv_timeout(options.startup_timeout) {
            Ok(msg) if msg.len() == 3 && msg[0] == b"ready" => {
                let tag = String::from_utf8_lossy(&msg[1]).into_owned();
                let magic = std::str::from_utf8(&msg[2])
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .map(u32::to_be_bytes);
                match magic {
                    Some(magic) => Ok((worker, Hello { tag, magic })),
                    None => {
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
                    detail: format!("compile worker did not start: {why}"),
                })
            }
        }
    }

    /// Writes one request; the reply is read by `receive`.
    fn send(&mut self, job: &Job) -> io::Result<()> {
        let mut frame = Vec::with_capacity(512);
        let mut field = |bytes: &[u8]| {
            frame.extend_from_slice(bytes);
            frame.push(0);
        };
        field(job.source.as_os_str().as_bytes());
        field(job.dfile.as_os_str().as_bytes());
        for level in &job.levels {
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

    /// Waits for the reply to `job`, the oldest request not yet answered;
    /// `timeout` runs from now, when the worker starts on it.
    fn receive(&mut self, job: &Job, timeout: Duration) -> Reply {
        match self.replies.recv_timeout(timeout) {
            Ok(msg)
                if msg.first().map(Vec::as_slice) != Some(job.source.as_os_str().as_bytes()) =>
            {
                Reply::Lost(format!(
                    "worker answered for another file ({} fields)",
                    msg.len()
                ))
            }
            Ok(msg) if msg.len() == 2 && msg[1] == b"ok" => Reply::Ok,
            Ok(msg) if msg.len() == 3 && msg[1] == b"error" => {
                Reply::Error(String::from_utf8_lossy(&msg[2]).into_owned())
            }
            Ok(_) => Reply::Lost("worker sent a malformed reply".into()),
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.child.kill();
                Reply::Lost(format!(
                    "timed out after {} s; worker restarted",
                    timeout.as_secs()
                ))
            }
            Err(RecvTimeoutError::Disconnected) => Reply::Lost(self.died()),
        }
    }

    /// Why the worker is gone: its exit status and last line of stderr.
    fn died(&mut self) -> String {
        format!(
            "compile worker crashed ({}); worker restarted",
            self.last_words()
        )
    }

    /// Closes stdin and waits for a clean exit.
    fn finish(mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
        self.join();
    }

    /// Ends the worker; returns its exit status and last line of stderr.
    fn kill(mut self) -> String {
        drop(self.stdin.take());
        let _ = self.child.kill();
        self.last_words()
    }

    /// Waits for the (ending) child: `STATUS: LAST STDERR LINE`.
    fn last_words(&mut self) -> String {
        let status = match self.child.wait() {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        };
        let err = self.join();
        let text = String::from_utf8_lossy(&err);
        match text.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{status}: {}", last.trim()),
            None => status,
        }
    }

    /// Joins the pipe readers; returns what the child wrote to stderr.
    fn join(&mut self) -> Vec<u8> {
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // A worker is never left running or unreaped.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Reads NUL-framed messages from a worker and groups them: a greeting has
/// three fields, `ok` replies two, `error` replies three.
fn read_messages(mut stdout: impl Read, send: mpsc::Sender<Vec<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    let mut field = Vec::new();
    let mut message: Vec<Vec<u8>> = Vec::new();
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        for &byte in &buf[..n] {
            if byte != 0 {
                field.push(byte);
                continue;
            }
            message.push(std::mem::take(&mut field));
            let complete = match message.as_slice() {
                [first, ..] if first == b"ready" => message.len() == 3,
                [_, status] => status == b"ok",
                [_, _, _] => true,
                _ => false,
            };
            if complete && send.send(std::mem::take(&mut message)).is_err() {
                return;
            }
        }
    }
}
