//! `--all`: a job done for every flavor installed under the prefix, one
//! after the other, each with the request's options and its own flavor;
//! one flavor's error is its entry, not the end of the others.

use std::path::PathBuf;

use crate::cancel::Cancel;
use crate::error::Error;
use crate::python::installed::installed;
use crate::run::engine::Engine;
use crate::run::report::{Command, Report};
use crate::settings::config::Effective;
use crate::settings::flavor::Flavor;
use crate::settings::options::Options;

/// One flavor's outcome: its report, or the error that kept it from one.
pub(crate) type Outcome = (Flavor, Result<Report, Error>);

/// Each installed flavor's report of `command`, or the error that kept it
/// from one, in order, and the prefix they were looked for under (on
/// disk). A signal stops the flavors after the one it came during.
pub(crate) fn reports(
    command: Command,
    options: &Options,
    cancel: &Cancel,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(PathBuf, Vec<Outcome>), Error> {
    let (prefix, flavors) = flavors(options)?;
    let mut each = Vec::new();
    for flavor in flavors {
        let report = Engine::from_options(with_flavor(options, flavor), cancel)
            .and_then(|engine| engine.run(command, progress));
        each.push((flavor, report));
        // What was done is reported; no other flavor starts.
        if cancel.is_cancelled() {
            break;
        }
    }
    Ok((prefix, each))
}

/// The settings in effect for each installed flavor (`pycache config --all`).
pub(crate) fn settings(options: &Options) -> Result<Vec<Effective>, Error> {
    let (_, flavors) = flavors(options)?;
    (flavors.into_iter())
        .map(|flavor| Ok(Effective::of(&with_flavor(options, flavor), Some(flavor))?))
        .collect()
}

fn flavors(options: &Options) -> Result<(PathBuf, Vec<Flavor>), Error> {
    let prefix = options.selection.prefix_on_disk();
    let flavors = installed(&prefix)?;
    Ok((prefix, flavors))
}

fn with_flavor(options: &Options, flavor: Flavor) -> Options {
    let mut options = options.clone();
    options.selection.flavor = Some(flavor);
    options
}
