//! SIGINT and SIGTERM, for the program: a signal stops the feeding of work
//! (the compile pool asks [`received`]), the workers finish or are stopped,
//! their temporary files are removed and the report of what was done is
//! printed; the program then exits 128 + the signal (130, 143).
//!
//! Nothing is installed unless the program calls [`install`]: the Lua
//! module runs inside pkg, whose signals are its own. A second signal of
//! the same kind ends the program at once (the default action), for a user
//! who does not want to wait; the workers still see their input end.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGINT, SIGTERM};

/// The signal received (0 for none), once [`install`] ran.
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Catches SIGINT and SIGTERM from now on. Errs only if the handlers
/// cannot be installed.
pub fn install() -> std::io::Result<()> {
    let received = RECEIVED.get_or_init(|| Arc::new(AtomicUsize::new(0)));
    for signal in [SIGINT, SIGTERM] {
        let again = Arc::new(std::sync::atomic::AtomicBool::new(false));
        // Registered first, so it runs before `again` is set: the first
        // signal only sets the flags, the second one terminates.
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&again))?;
        signal_hook::flag::register(signal, again)?;
        signal_hook::flag::register_usize(signal, Arc::clone(received), signal as usize)?;
    }
    Ok(())
}

/// The signal received since [`install`], if any.
pub fn received() -> Option<i32> {
    let signal = RECEIVED.get()?.load(Ordering::Relaxed);
    (signal != 0).then_some(signal as i32)
}

/// The signal's name, for the report.
pub fn name(signal: i32) -> &'static str {
    match signal {
        SIGINT => "SIGINT",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}
