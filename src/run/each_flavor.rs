//! `--all`: a request answered for every flavor installed under the prefix,
//! one after the other, each with the request's options and its own
//! flavor; one flavor's error is its entry, not the end of the others.

use crate::error::Error;
use crate::python::installed::installed;
use crate::run::engine::Engine;
use crate::run::request::{Failed, Job, Request, Response};
use crate::settings::config::Effective;
use crate::settings::flavor::Flavor;
use crate::settings::options::Options;

/// Answers `request` (its `all` set) for each installed flavor.
pub(crate) fn answer(
    request: Request,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Response, Error> {
    let Request {
        job,
        options,
        cancel,
        ..
    } = request;
    let prefix = options.selection.prefix_on_disk();
    let flavors = installed(&prefix)?;
    let of = |flavor: Flavor| {
        let mut options: Options = options.clone();
        options.selection.flavor = Some(flavor);
        options
    };
    match job {
        Job::Config { key } => {
            let each = (flavors.into_iter())
                .map(|flavor| Effective::of(&of(flavor), Some(flavor)))
                .collect::<Result<_, _>>()?;
            Ok(Response::Settings { each, key })
        }
        Job::Run(command) => {
            let mut each = Vec::new();
            for flavor in flavors {
                let report = Engine::from_options(of(flavor), &cancel)
                    .and_then(|engine| engine.run(command, progress))
                    .map_err(|error| Failed::new(error, None));
                each.push((flavor, report));
                // What was done is reported; no other flavor starts.
                if cancel.is_cancelled() {
                    break;
                }
            }
            let signal = cancel.signal();
            Ok(Response::Each {
                prefix,
                each,
                signal,
            })
        }
        Job::Info | Job::Freshness { .. } | Job::Explain { .. } => Err(Error::Request {
            problem: "all: only check, update, clean, compile and config are run for every \
                      flavor"
                .into(),
        }),
    }
}
