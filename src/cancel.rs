//! Cancellation: a handle a front passes in with its request, and sets to
//! stop the run (the program from its SIGINT/SIGTERM handler, a Lua host
//! through `pycache.core.cancel`). No library code reads a process-wide
//! flag: the compile pool and the interpreter being asked look at the
//! handle they were given. A cancelled run stops feeding work, lets the
//! workers finish or stops them, removes their temporary files and still
//! reports what was done.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};

/// What a cancelled run was stopped by, when no signal stopped it.
const BY_CALLER: usize = usize::MAX;

/// A cancellation handle; clones share it.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    /// 0: not cancelled; a signal number; or [`BY_CALLER`].
    why: Arc<AtomicUsize>,
}

impl Cancel {
    /// A handle nobody has cancelled.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the run to stop, as the caller's own decision.
    pub fn cancel(&self) {
        let _ = self
            .why
            .compare_exchange(0, BY_CALLER, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// The counter a signal handler sets to its signal's number
    /// (`signal_hook::flag::register_usize`): the first signal counts.
    pub fn signal_slot(&self) -> Arc<AtomicUsize> {
        Arc::clone(&self.why)
    }

    /// Whether the run was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.why.load(Ordering::Relaxed) != 0
    }

    /// The signal that stopped the run, if one did: a program exits with
    /// 128 + it.
    pub fn signal(&self) -> Option<i32> {
        match self.why.load(Ordering::Relaxed) {
            0 | BY_CALLER => None,
            signal => i32::try_from(signal).ok(),
        }
    }

    /// What stopped the run, for the report: `SIGINT`, `SIGTERM`, `a
    /// signal`, or `a request to stop`.
    pub fn cause(&self) -> &'static str {
        match self.why.load(Ordering::Relaxed) {
            BY_CALLER => "a request to stop",
            why if why == SIGINT as usize => "SIGINT",
            why if why == SIGTERM as usize => "SIGTERM",
            _ => "a signal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_cause_counts_and_clones_share_it() {
        let cancel = Cancel::new();
        let seen = cancel.clone();
        assert!(!seen.is_cancelled());
        cancel
            .signal_slot()
            .store(SIGTERM as usize, Ordering::Relaxed);
        assert_eq!((seen.signal(), seen.cause()), (Some(SIGTERM), "SIGTERM"));
        let by_caller = Cancel::new();
        by_caller.cancel();
        assert_eq!(
            (by_caller.signal(), by_caller.cause()),
            (None, "a request to stop")
        );
        assert!(by_caller.is_cancelled());
    }
}
