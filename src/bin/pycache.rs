//! `pycache`: the command-line front of the engine. The command line
//! itself is src/front/cli.rs; here is only what a process has: its
//! arguments, its signals, its terminal (a progress line), its exit status.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pycache::Cancel;
use pycache::front::cli::CommandLine;
use pycache::front::output;
use pycache::run::request::{Failed, Response};
use signal_hook::consts::{SIGINT, SIGTERM};

fn main() -> ExitCode {
    let line = CommandLine::parse(std::env::args_os().collect());
    let cancel = Cancel::new();
    if let Err(e) = catch_signals(&cancel) {
        eprintln!("pycache: cannot catch SIGINT and SIGTERM: {e}");
    }
    let output = line.output();
    let response = match line.request(&cancel) {
        Ok(request) => {
            let show =
                output.json.is_none() && !output.text.quiet && std::io::stderr().is_terminal();
            let progress = Progress::new(show);
            let response = request.run(&|done, total| progress.show(done, total));
            progress.clear();
            response
        }
        Err(e) => Response::Failed(Failed::new(e, cancel.signal())),
    };
    // A closed pipe (`pycache check | head`) is not worth a panic.
    let _ = output::write(
        &response,
        output,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    response.exit_code().into()
}

/// SIGINT and SIGTERM set `cancel`: no more work is fed, the workers finish
/// or are stopped, and the report of what was done is printed; the program
/// exits 128 + the signal. A second signal of the same kind ends the
/// program at once (the default action), for a user who does not want to
/// wait; the workers still see their input end.
fn catch_signals(cancel: &Cancel) -> std::io::Result<()> {
    for signal in [SIGINT, SIGTERM] {
        let again = Arc::new(AtomicBool::new(false));
        // Registered first, so it runs before `again` is set: the first
        // signal only sets the flags, the second one terminates.
        signal_hook::flag::register_conditional_default(signal, Arc::clone(&again))?;
        signal_hook::flag::register(signal, again)?;
        signal_hook::flag::register_usize(signal, cancel.signal_slot(), signal as usize)?;
    }
    Ok(())
}

/// `>=> compiling 120/412` on a terminal, at most ten times a second.
struct Progress {
    on: bool,
    last: Mutex<Option<Instant>>,
}

impl Progress {
    fn new(on: bool) -> Progress {
        Progress {
            on,
            last: Mutex::new(None),
        }
    }

    fn show(&self, done: usize, total: usize) {
        if !self.on {
            return;
        }
        let mut last = self.last.lock().expect("not poisoned");
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && done < total {
            return;
        }
        *last = Some(Instant::now());
        eprint!("\r>=> compiling {done}/{total}");
    }

    fn clear(&self) {
        if self.on && self.last.lock().expect("not poisoned").is_some() {
            eprint!("\r\x1b[K");
        }
    }
}
