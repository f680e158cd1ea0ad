//! The one resolution step: the options a front gave, the configuration
//! file's values where it gave none, the defaults for the rest, into the
//! [`Settings`] a run works with; and where each setting of the file's keys
//! came from, for `pycache config`.

use std::fmt;

use crate::settings::defs::OPTIONS;
use crate::settings::flavor::Flavor;
use crate::settings::options::{Options, Settings};

/// Where the value of a setting in effect comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Nobody set it.
    Default,
    /// The run's own options (a flag, a Lua option).
    Given,
    /// The file, at this line, in this flavor's section or at the top.
    File {
        /// The line of the value.
        line: usize,
        /// The section, when not the top level.
        section: Option<Flavor>,
    },
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::Given => f.write_str("command line"),
            Origin::File {
                line,
                section: None,
            } => write!(f, "line {line}"),
            Origin::File {
                line,
                section: Some(flavor),
            } => write!(f, "line {line}, section {flavor}"),
        }
    }
}

/// What the configuration file says for one flavor: its values, checked,
/// as [`Options`], and the line (and section) of each.
#[derive(Clone, Debug, Default)]
pub struct FileOptions {
    /// The values the file sets.
    pub options: Options,
    /// Each key the file sets, with its line and section.
    pub lines: Vec<(&'static str, usize, Option<Flavor>)>,
}

/// The settings of `given` over `file`'s over the defaults, with where
/// each key of the file's comes from, in the order of [`OPTIONS`].
pub fn resolve(given: &Options, file: &FileOptions) -> (Settings, Vec<(&'static str, Origin)>) {
    let f = &file.options;
    let settings = Settings {
        levels: (given.levels.clone())
            .or_else(|| f.levels.clone())
            .unwrap_or_default(),
        invalidation_mode: (given.invalidation_mode)
            .or(f.invalidation_mode)
            .unwrap_or_default(),
        jobs: given.jobs.or(f.jobs).unwrap_or(0),
        exclude: (given.exclude.clone())
            .or_else(|| f.exclude.clone())
            .unwrap_or_default(),
        touched: given.touched.clone(),
        timeout: (given.timeout)
            .or(f.timeout)
            .unwrap_or(std::time::Duration::from_secs(120)),
        memory_limit: given.memory_limit.or(f.memory_limit).unwrap_or_default(),
        verify: given.verify.unwrap_or(false),
        prune_levels: given.prune_levels.or(f.prune_levels).unwrap_or(false),
        stdlib: given.stdlib.or(f.stdlib).unwrap_or(false),
        dry_run: given.dry_run,
    };
    let origins = OPTIONS
        .iter()
        .filter(|def| def.in_config())
        .map(|def| {
            let origin = if (def.given)(given) {
                Origin::Given
            } else if let Some(&(_, line, section)) =
                file.lines.iter().find(|(key, ..)| *key == def.key)
            {
                Origin::File { line, section }
            } else {
                Origin::Default
            };
            (def.key, origin)
        })
        .collect();
    (settings, origins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::options::{Levels, MemoryLimit};

    #[test]
    fn given_over_the_file_over_the_defaults() {
        let given = Options::default().jobs(3);
        let file = FileOptions {
            options: Options::default()
                .jobs(5)
                .levels(Levels::new(&[0]).unwrap())
                .memory_limit(0),
            lines: vec![
                ("jobs", 2, None),
                ("levels", 1, None),
                ("memory_limit", 3, None),
            ],
        };
        let (settings, origins) = resolve(&given, &file);
        assert_eq!(settings.jobs, 3);
        assert_eq!(settings.levels.as_slice(), [0]);
        assert_eq!(settings.memory_limit, MemoryLimit::Unlimited);
        assert_eq!(settings.timeout, std::time::Duration::from_secs(120));
        let origin = |key| origins.iter().find(|(k, _)| *k == key).unwrap().1.clone();
        assert_eq!(origin("jobs"), Origin::Given);
        assert_eq!(
            origin("levels"),
            Origin::File {
                line: 1,
                section: None
            }
        );
        assert_eq!(origin("timeout"), Origin::Default);
    }
}
