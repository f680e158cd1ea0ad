//! The bytes between the engine and a worker (`worker.py`, whose header
//! says the same): every field ends with a NUL, so that any file name
//! works, newlines included.
//!
//! - start: the worker writes [`GREETING`] TAG MAGIC_HEX PID;
//! - request: the engine writes SOURCE TARGET DEV INO DFILE (LEVEL CFILE)...
//!   and an empty field ([`request`]);
//! - reply: the worker writes SOURCE `ok` STARTED or SOURCE `error` MESSAGE
//!   ([`answer`]).
//!
//! Bytes before the greeting are not the worker's (a wrapper's, or what an
//! interpreter printed first) and are skipped.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc;

use crate::run::scan::ToCompile;

/// What the worker writes first (`GREETING` in worker.py): bytes before it
/// are not the worker's and are skipped.
pub(super) const GREETING: &[u8] = b"\0pycache-worker-ready\0";

/// The worker's greeting.
pub(super) struct Hello {
    /// Its cache tag, e.g. `cpython-311`.
    pub tag: String,
    /// The magic number its pycs carry.
    pub magic: [u8; 4],
    /// The interpreter's own pid, as it names its temporary files (it
    /// differs from the child's behind a wrapper that does not exec).
    pub pid: u32,
}

impl Hello {
    /// Whether `msg` is a greeting, well-formed or not.
    pub fn is_one(msg: &[Vec<u8>]) -> bool {
        msg.len() == 4 && msg[0] == b"ready"
    }

    /// The greeting `msg` (see [`Hello::is_one`]); `None` when a field
    /// does not parse.
    pub fn parse(msg: &[Vec<u8>]) -> Option<Hello> {
        let tag = String::from_utf8_lossy(&msg[1]).into_owned();
        let magic = std::str::from_utf8(&msg[2])
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .map(u32::to_be_bytes);
        let pid = std::str::from_utf8(&msg[3])
            .ok()
            .and_then(|p| p.parse().ok());
        Some(Hello {
            tag,
            magic: magic?,
            pid: pid?,
        })
    }
}

/// The request to compile `task`, one frame.
pub(super) fn request(task: &ToCompile) -> Vec<u8> {
    let mut frame = Vec::with_capacity(512);
    let mut field = |bytes: &[u8]| {
        frame.extend_from_slice(bytes);
        frame.push(0);
    };
    field(task.source.as_os_str().as_bytes());
    field(
        task.target
            .as_deref()
            .map_or(b"", |t| t.as_os_str().as_bytes()),
    );
    field(task.id.dev.to_string().as_bytes());
    field(task.id.ino.to_string().as_bytes());
    field(task.dfile.as_os_str().as_bytes());
    for level in &task.levels {
        field(level.level.to_string().as_bytes());
        field(level.cfile.as_os_str().as_bytes());
    }
    field(b"");
    frame
}

/// What a worker answered for one file.
pub(super) enum Answer {
    /// Compiled; the interpreters the worker started for it (a fresh one
    /// for CPython 3.12, worker.py's `fresh_body`).
    Compiled(usize),
    /// The file did not compile: why.
    Failed(String),
}

/// What the reply `msg` says of `source`, the file asked about; `Err` says
/// why it is not an answer for it.
pub(super) fn answer(msg: &[Vec<u8>], source: &Path) -> Result<Answer, String> {
    match msg {
        _ if msg.first().map(Vec::as_slice) != Some(source.as_os_str().as_bytes()) => Err(format!(
            "worker answered for another file ({} fields)",
            msg.len()
        )),
        [_, status, started] if status == b"ok" => Ok(Answer::Compiled(
            std::str::from_utf8(started)
                .ok()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        )),
        [_, status, reason] if status == b"error" => {
            Ok(Answer::Failed(String::from_utf8_lossy(reason).into_owned()))
        }
        _ => Err("worker sent a malformed reply".into()),
    }
}

/// Reads NUL-framed messages from a worker and groups them: a greeting has
/// four fields, `ok` and `error` replies three. Bytes before the
/// [`GREETING`] marker are skipped.
pub(super) fn read_messages(mut stdout: impl Read, send: mpsc::Sender<Vec<Vec<u8>>>) {
    let mut buf = [0u8; 8192];
    let mut before: Vec<u8> = Vec::new();
    let mut greeted = false;
    let mut field = Vec::new();
    let mut message: Vec<Vec<u8>> = Vec::new();
    loop {
        let n = match stdout.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let mut data = &buf[..n];
        if !greeted {
            before.extend_from_slice(data);
            let Some(at) = before.windows(GREETING.len()).position(|w| w == GREETING) else {
                // Only a marker's length is kept: a tail it may start in.
                let keep = before.len().min(GREETING.len() - 1);
                before.drain(..before.len() - keep);
                continue;
            };
            greeted = true;
            message.push(b"ready".to_vec());
            before.drain(..at + GREETING.len());
            data = &before;
        }
        for &byte in data {
            if byte != 0 {
                field.push(byte);
                continue;
            }
            message.push(std::mem::take(&mut field));
            let complete = match message.as_slice() {
                [first, ..] if first == b"ready" => message.len() == 4,
                [_, _, _] => true,
                _ => false,
            };
            if complete && send.send(std::mem::take(&mut message)).is_err() {
                return;
            }
        }
        before.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Gives its bytes a few at a time, as a pipe may.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.len().min(buf.len()).min(3);
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn messages_start_at_the_greeting_however_the_bytes_arrive() {
        let mut out = b"a wrapper's \0banner\0".to_vec();
        out.extend_from_slice(GREETING);
        out.extend_from_slice(b"cpython-311\0a70d0d0a\x004242\0");
        out.extend_from_slice(b"/s/a\nb.py\0ok\x001\0/s/c.py\0error\0SyntaxError\0");
        let (send, receive) = mpsc::channel();
        read_messages(Trickle(&out), send);
        let messages: Vec<Vec<Vec<u8>>> = receive.iter().collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(Hello::is_one(&messages[0]));
        let hello = Hello::parse(&messages[0]).unwrap();
        assert_eq!(
            (hello.tag.as_str(), hello.magic, hello.pid),
            ("cpython-311", [0xa7, 0x0d, 0x0d, 0x0a], 4242)
        );
        assert!(matches!(
            answer(&messages[1], Path::new("/s/a\nb.py")),
            Ok(Answer::Compiled(1))
        ));
        assert!(matches!(
            answer(&messages[2], Path::new("/s/c.py")),
            Ok(Answer::Failed(why)) if why == "SyntaxError"
        ));
        assert_eq!(
            answer(&messages[2], Path::new("/s/a\nb.py")).err(),
            Some("worker answered for another file (3 fields)".to_string())
        );
    }
}
