//! Test hooks, in debug builds only (`cfg(debug_assertions)`, what `cargo
//! test` builds): the one place the library reads its own environment
//! variables, so that tests can steer a run from outside the process.
//! Release builds contain no trace of them.
//!
//! - `PYCACHE_TEST_PAUSE=POINT:DIR`: the run stops at the named point,
//!   creates `DIR/POINT.paused` and waits until `DIR/POINT.go` exists (at
//!   most 60 s), so that a test can change the tree at exactly that moment.
//!   The points are `before-judge` (the walk is done, no pyc has been
//!   opened), `before-remove` (the scan is done, nothing removed yet) and
//!   `before-compile` (the tree is judged and cleaned, no worker started).
//! - `PYCACHE_TEST_FORGET_MAGIC=3.11,3.13`: the magic number table does not
//!   know these versions, so that tests can run a version it does not know
//!   with the interpreters at hand.

/// The test-only pause at `point` (see the module documentation).
#[cfg(debug_assertions)]
pub fn pause(point: &str) {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    let Some(spec) = std::env::var_os("PYCACHE_TEST_PAUSE") else {
        return;
    };
    let spec = spec.as_bytes();
    let Some(colon) = spec.iter().position(|&b| b == b':') else {
        return;
    };
    if &spec[..colon] != point.as_bytes() {
        return;
    }
    let dir = PathBuf::from(OsStr::from_bytes(&spec[colon + 1..]));
    let _ = std::fs::File::create(dir.join(format!("{point}.paused")));
    let go = dir.join(format!("{point}.go"));
    let until = Instant::now() + Duration::from_secs(60);
    while !go.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Release builds never pause.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn pause(_point: &str) {}

/// Whether the magic number table is to forget Python 3.`minor` (see the
/// module documentation).
#[cfg(debug_assertions)]
pub fn forgets_magic(minor: u8) -> bool {
    let Some(list) = std::env::var_os("PYCACHE_TEST_FORGET_MAGIC") else {
        return false;
    };
    let version = format!("3.{minor}");
    list.to_string_lossy()
        .split(',')
        .any(|v| v.trim() == version)
}

/// Release builds forget nothing.
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn forgets_magic(_minor: u8) -> bool {
    false
}
