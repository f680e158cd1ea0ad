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
//! worker whose input is closed by [`GRACE`](worker::GRACE) (then it is killed). A thread
//! or worker that cannot be started leaves a smaller pool and a warning.
//! Once cancelled ([`Cancel`]: SIGINT or SIGTERM in the program) no more work is sent, the
//! files in flight get [`GRACE`](worker::GRACE) to finish, and whatever a killed worker
//! left of its temporary files is removed.
//!
//! Here: what the engine asks ([`compile`]) and gets back ([`Outcome`]);
//! [`pool`] hands out the files and gathers the results, [`worker`] runs
//! one interpreter, [`protocol`] is the bytes between the two.

mod pool;
mod protocol;
mod worker;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::bytecode::pyc::InvalidationMode;
use crate::cancel::Cancel;
use crate::error::{Error, Failure};
use crate::run::compile::worker::Worker;
use crate::run::scan::ToCompile;

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
    pool::run(python, options, tasks, first, progress, &mut outcome);
    Ok(outcome)
}
