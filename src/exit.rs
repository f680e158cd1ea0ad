//! What a run ends with: the program's exit status, as a type.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | in sync (`check`, `explain`) or done (`update`, `clean`) |
//! | 1 | some files failed; for `check` and `explain`, something is out of sync (`--dry-run`: something to do) |
//! | 2 | usage: an option, a request or a configuration file named that cannot be used |
//! | 3 | environment: the interpreter or the tree |
//! | 128 + N | stopped by signal N (130 for SIGINT, 143 for SIGTERM), after saying what was done |
//!
//! The codes are ordered by how bad they are, so that the worst of several
//! runs (`--all`) is their maximum.

use std::fmt;

/// How a run ended ([module documentation](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ExitCode {
    /// 0: in sync, or done.
    Ok,
    /// 1: some files failed, or something is out of sync.
    Failed,
    /// 2: the request cannot be done as given.
    Usage,
    /// 3: the interpreter or the tree stopped the run.
    Environment,
    /// 128 + the signal that stopped the run.
    Signal(i32),
}

impl ExitCode {
    /// The number a program exits with.
    pub fn code(self) -> i32 {
        match self {
            ExitCode::Ok => 0,
            ExitCode::Failed => 1,
            ExitCode::Usage => 2,
            ExitCode::Environment => 3,
            ExitCode::Signal(signal) => 128 + signal,
        }
    }

    /// What a run that ended as `self` ends with when `signal` (if any)
    /// stopped it: a signal counts over everything else.
    pub fn or_signal(self, signal: Option<i32>) -> ExitCode {
        signal.map_or(self, ExitCode::Signal)
    }
}

impl fmt::Display for ExitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

/// As the number it is: JSON and Lua read `exit_code` as an integer.
impl serde::Serialize for ExitCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(self.code())
    }
}

/// What the program exits with. A code that does not fit a byte cannot
/// happen (signals are below 128); it would read as 255, a failure.
impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> std::process::ExitCode {
        std::process::ExitCode::from(u8::try_from(code.code()).unwrap_or(u8::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_is_the_largest_and_a_signal_counts_over_all() {
        let all = [
            ExitCode::Ok,
            ExitCode::Failed,
            ExitCode::Usage,
            ExitCode::Environment,
            ExitCode::Signal(2),
            ExitCode::Signal(15),
        ];
        let codes: Vec<i32> = all.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 130, 143]);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ExitCode::Failed.or_signal(Some(15)), ExitCode::Signal(15));
        assert_eq!(ExitCode::Failed.or_signal(None), ExitCode::Failed);
    }
}
