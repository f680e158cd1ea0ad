//! The pool: one thread per worker, each feeding its worker files from a
//! shared index and replacing it when it dies while work is left; what
//! each file came to is gathered into the [`Outcome`].
//!
//! Every file is known before the pool starts, so threads pull tasks by
//! index; a file a dead worker never started goes back for another. A
//! worker holds [`IN_FLIGHT`] requests at once, so the next file waits in
//! its pipe when one is done. A thread or worker that cannot be started
//! leaves a smaller pool and a warning; files no worker could take are
//! failures, or left uncompiled when the run was cancelled.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crate::error::Failure;
use crate::run::compile::worker::{Reply, Worker};
use crate::run::compile::{CompileOptions, Outcome};
use crate::run::scan::ToCompile;

/// Compiles `tasks` with `python` on at most `options.workers` threads,
/// `first` (started and greeted) the first thread's worker, into
/// `outcome`. `progress(done, total)` is called after each file.
pub(super) fn run(
    python: &Path,
    options: &CompileOptions,
    tasks: &[ToCompile],
    first: Worker,
    progress: &(dyn Fn(usize, usize) + Sync),
    outcome: &mut Outcome,
) {
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
