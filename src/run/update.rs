//! Compiling what a scan found missing or stale, for `update` and
//! `compile`: the workers started as the settings say, and, when the
//! interpreter's magic number differs from the one its standard library's
//! bytecode gave, the tree judged again with the interpreter's before
//! anything is written.

use crate::bytecode::magic::{self, MagicFrom};
use crate::bytecode::pyc::Magic;
use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::target::Target;
use crate::run::compile::{self, CompileOptions, Expect};
use crate::run::report::{Compiled, Pending, Report, Stop, Undone};
use crate::run::scan::Plan;
use crate::settings::options::Settings;

/// What compiling needs of the engine.
pub(crate) struct Compiling<'a> {
    /// The interpreter and its tag.
    pub target: &'a Target,
    /// The run's settings.
    pub settings: &'a Settings,
    /// Stops the workers.
    pub cancel: &'a Cancel,
    /// Judges the tree again with another magic number.
    pub rescan: &'a dyn Fn(Magic) -> Result<Plan, Error>,
}

/// Compiles `plan.to_compile` and writes what happened into `report`: the
/// files compiled, per-file failures, warnings; a [`Stop`] when no worker
/// could be had. `magic` is the number the plan was judged with.
pub(crate) fn compile_plan(
    how: &Compiling,
    mut plan: Plan,
    mut magic: Option<(Magic, MagicFrom)>,
    report: &mut Report,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(), Error> {
    let undone = |plan: &Plan| Undone::Compiling {
        sources: plan.to_compile.len(),
        version: how.target.version(),
    };
    let python = match how.target.runnable() {
        Ok(python) => python,
        Err(error) => {
            report.stop = Some(Stop {
                error,
                undone: undone(&plan),
            });
            return Ok(());
        }
    };
    let (workers, lowered) = how.settings.workers();
    report.notes.extend(lowered);
    let options = CompileOptions {
        workers,
        mode: how.settings.invalidation_mode,
        timeout: how.settings.timeout,
        startup_timeout: how.settings.timeout,
        memory_limit: how.settings.memory_limit.mebibytes(),
        cancel: how.cancel.clone(),
    };
    crate::testing::pause("before-compile");
    loop {
        let expect = Expect {
            tag: how.target.tag(),
            magic: magic.map(|(m, _)| m.bytes),
            // A number learned without asking gives way to the
            // interpreter's own.
            rejudge: matches!(magic, Some((_, MagicFrom::Stdlib))),
        };
        let outcome = match compile::compile(python, &expect, &plan.to_compile, &options, progress)
        {
            Ok(outcome) => outcome,
            Err(error) => {
                report.stop = Some(Stop {
                    error,
                    undone: undone(&plan),
                });
                return Ok(());
            }
        };
        report.interpreters_started += outcome.started;
        if let (Some(found), Some((learned, _))) = (outcome.magic_differs, magic) {
            // The interpreter is right: the tree is judged again with its
            // number before anything is compiled.
            report.warnings.push(format!(
                "{}: magic number {} differs from {} of its standard library's bytecode; \
                 judged again with the interpreter's",
                python.display(),
                magic::hex_and_number(&found),
                magic::hex_and_number(&learned.bytes),
            ));
            let asked = Magic {
                bytes: found,
                minor: learned.minor,
            };
            magic = Some((asked, MagicFrom::Interpreter));
            report.python.magic = Some(magic::hex(&found));
            report.python.magic_from = Some(MagicFrom::Interpreter);
            plan = (how.rescan)(asked)?;
            report.sources = plan.sources;
            report.fresh = plan.fresh;
            report.to_compile = Pending::of(&plan);
            if plan.to_compile.is_empty() {
                return Ok(());
            }
            continue;
        }
        report.compiled = (outcome.compiled.into_iter())
            .map(|(path, levels)| Compiled { path, levels })
            .collect();
        report.failures.extend(outcome.failures);
        report.warnings.extend(outcome.warnings);
        if let Some(left) = outcome.interrupted {
            report.warnings.push(format!(
                "interrupted by {}: {left} of {} files not compiled; run again to finish",
                options.cancel.cause(),
                plan.to_compile.len()
            ));
        }
        return Ok(());
    }
}
