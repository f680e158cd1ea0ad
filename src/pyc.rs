//! The `.pyc` file: its name in `__pycache__`, its header, and whether it is
//! fresh for its source, decided as importlib decides it, without Python.
//!
//! importlib (`SourceLoader.get_code`) accepts a cached file when its magic
//! number is the interpreter's, its flags are known, and then:
//! - timestamp pyc: the recorded mtime and size equal the source's, both
//!   truncated to 32 bits;
//! - checked-hash pyc: the recorded SipHash of the source bytes, keyed with
//!   the magic number, equals the source's;
//! - unchecked-hash pyc: always (it is never revalidated).
//!
//! Anything else (short file, garbage, wrong magic) makes importlib compile
//! the source again, so it is stale here.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::{self, File};
use std::hash::Hasher;
use std::io::{self, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde::Serialize;

/// How a written pyc is validated at import time (PEP 552), as
/// `py_compile.PycInvalidationMode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InvalidationMode {
    /// Record the source's mtime and size (the default of CPython).
    #[default]
    Timestamp,
    /// Record a hash of the source, checked at every import.
    CheckedHash,
    /// Record a hash of the source, never checked.
    UncheckedHash,
}

impl std::str::FromStr for InvalidationMode {
    type Err = String;

    /// Parses `timestamp`, `checked-hash` or `unchecked-hash`.
    fn from_str(s: &str) -> Result<InvalidationMode, String> {
        [
            InvalidationMode::Timestamp,
            InvalidationMode::CheckedHash,
            InvalidationMode::UncheckedHash,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
        .ok_or_else(|| {
            format!("invalid invalidation mode {s:?}: expected timestamp, checked-hash or unchecked-hash")
        })
    }
}

impl InvalidationMode {
    /// The name used on the command line and by `py_compile`.
    pub fn as_str(self) -> &'static str {
        match self {
            InvalidationMode::Timestamp => "timestamp",
            InvalidationMode::CheckedHash => "checked-hash",
            InvalidationMode::UncheckedHash => "unchecked-hash",
        }
    }
}

/// Everything about the target interpreter the freshness rules need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Magic {
    /// The first four bytes of every pyc this interpreter writes.
    pub bytes: [u8; 4],
    /// Minor version of CPython 3 (header layout and hash function differ).
    pub minor: u8,
}

impl Magic {
    /// Header length: 12 bytes before 3.7, 16 from 3.7 on (PEP 552).
    pub fn header_len(self) -> usize {
        if self.minor < 7 { 12 } else { 16 }
    }

    /// `_imp.source_hash(RAW_MAGIC_NUMBER, source)`: SipHash-2-4 up to 3.10,
    /// SipHash-1-3 from 3.11 on, keyed with the magic read as a little-endian
    /// integer, stored in native byte order.
    pub fn source_hash(self, source: &[u8]) -> [u8; 8] {
        let key = u64::from(u32::from_le_bytes(self.bytes));
        let hash = if self.minor >= 11 {
            let mut h = siphasher::sip::SipHasher13::new_with_keys(key, 0);
            h.write(source);
            h.finish()
        } else {
            let mut h = siphasher::sip::SipHasher24::new_with_keys(key, 0);
            h.write(source);
            h.finish()
        };
        hash.to_ne_bytes()
    }
}

/// File name of the cache of `stem.py` at optimization `level` for `tag`:
/// `stem.cpython-311.pyc`, `stem.cpython-311.opt-1.pyc`, ...
pub fn cache_name(stem: &OsStr, tag: &str, level: u8) -> OsString {
    let mut name = stem.as_bytes().to_vec();
    name.push(b'.');
    name.extend_from_slice(tag.as_bytes());
    if level > 0 {
        name.extend_from_slice(format!(".opt-{level}").as_bytes());
    }
    name.extend_from_slice(b".pyc");
    OsString::from_vec(name)
}

/// The source stem of a cache file name carrying `tag`, or `None` when the
/// name is not `STEM.TAG.pyc` / `STEM.TAG.opt-X.pyc` (X alphanumeric, as
/// `importlib.util.cache_from_source` allows). Only names that parse here are
/// ever candidates for removal.
pub fn cache_stem<'a>(name: &'a OsStr, tag: &str) -> Option<&'a OsStr> {
    let mut rest = name.as_bytes().strip_suffix(b".pyc")?;
    if let Some(dot) = rest.iter().rposition(|&b| b == b'.') {
        if let Some(opt) = rest[dot + 1..].strip_prefix(b"opt-") {
            if !opt.is_empty() && opt.iter().all(u8::is_ascii_alphanumeric) {
                rest = &rest[..dot];
            }
        }
    }
    let stem = rest.strip_suffix(tag.as_bytes())?.strip_suffix(b".")?;
    (!stem.is_empty()).then(|| OsStr::from_bytes(stem))
}

/// What the source looks like to importlib: `path_stats` of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceStamp {
    /// `int(st_mtime) & 0xFFFFFFFF`.
    pub mtime: u32,
    /// `st_size & 0xFFFFFFFF`.
    pub size: u32,
}

impl SourceStamp {
    /// Stamp of a source from its (followed) metadata.
    pub fn from_metadata(meta: &fs::Metadata) -> SourceStamp {
        // Python's float st_mtime truncates toward zero; tv_sec floors.
        let mut secs = meta.mtime();
        if secs < 0 && meta.mtime_nsec() > 0 {
            secs += 1;
        }
        SourceStamp {
            mtime: secs as u32,
            size: meta.size() as u32,
        }
    }
}

/// Why a cached file does not do for its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stale {
    /// Shorter than a header plus the start of a code object.
    Truncated,
    /// Another interpreter's (or no) magic number.
    Magic,
    /// Flags importlib does not know.
    Flags,
    /// Recorded mtime differs from the source's.
    Mtime,
    /// Recorded size differs from the source's.
    Size,
    /// Recorded hash differs from the source's.
    Hash,
    /// Could not be read.
    Unreadable(String),
    /// Does not start a code object after the header.
    Garbage,
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stale::Truncated => f.write_str("truncated"),
            Stale::Magic => f.write_str("wrong magic number"),
            Stale::Flags => f.write_str("unknown flags"),
            Stale::Mtime => f.write_str("source mtime changed"),
            Stale::Size => f.write_str("source size changed"),
            Stale::Hash => f.write_str("source hash changed"),
            Stale::Unreadable(e) => write!(f, "unreadable: {e}"),
            Stale::Garbage => f.write_str("no code object after the header"),
        }
    }
}

/// The state of one cache file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// importlib would use it.
    Fresh,
    /// There is no cache file.
    Missing,
    /// importlib would compile the source again.
    Stale(Stale),
}

/// marshal's type byte of a code object, with and without `FLAG_REF`.
const CODE_TYPES: [u8; 2] = [b'c', b'c' | 0x80];

/// Judges the cache file `pyc` of `source` as importlib would.
///
/// `source` is read only for a checked-hash pyc. The caller knows the file
/// exists and is a regular file (from the directory listing); a file gone
/// since is `Missing`.
pub fn judge(pyc: &Path, source: &Path, stamp: SourceStamp, magic: Magic) -> Verdict {
    let header_len = magic.header_len();
    let mut buf = [0u8; 17];
    let want = header_len + 1;
    // The directory listing showed a regular file: no fstat needed.
    let got = match File::open(pyc).and_then(|mut f| read_up_to(&mut f, &mut buf[..want])) {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Verdict::Missing,
        Err(e) => return Verdict::Stale(Stale::Unreadable(e.to_string())),
    };
    if got < header_len {
        return Verdict::Stale(Stale::Truncated);
    }
    if buf[..4] != magic.bytes {
        return Verdict::Stale(Stale::Magic);
    }
    if got < want {
        return Verdict::Stale(Stale::Truncated);
    }
    if !CODE_TYPES.contains(&buf[header_len]) {
        return Verdict::Stale(Stale::Garbage);
    }
    let word = |at: usize| u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"));
    let (flags, fields) = if header_len == 12 {
        (0, 4)
    } else {
        (word(4), 8)
    };
    match flags {
        0 => {
            if word(fields) != stamp.mtime {
                Verdict::Stale(Stale::Mtime)
            } else if word(fields + 4) != stamp.size {
                Verdict::Stale(Stale::Size)
            } else {
                Verdict::Fresh
            }
        }
        0b01 => Verdict::Fresh,
        0b11 => match fs::read(source) {
            Ok(bytes) if magic.source_hash(&bytes) == buf[8..16] => Verdict::Fresh,
            Ok(_) => Verdict::Stale(Stale::Hash),
            Err(e) => Verdict::Stale(Stale::Unreadable(format!("{}: {e}", source.display()))),
        },
        _ => Verdict::Stale(Stale::Flags),
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn magic(minor: u8, number: u16) -> Magic {
        let [lo, hi] = number.to_le_bytes();
        Magic {
            bytes: [lo, hi, b'\r', b'\n'],
            minor,
        }
    }

    #[test]
    fn source_hash_matches_imp_source_hash() {
        // Values printed by each interpreter's `_imp.source_hash(key, b"hello")`.
        let cases = [
            (7, 3394, "39ae048169105238"),
            (8, 3413, "608550514225d8bf"),
            (9, 3425, "b70feb3c359861fa"),
            (10, 3439, "3c80f1191ea979cb"),
            (11, 3495, "7c360be58bb7a2aa"),
            (12, 3531, "9bca4702dbaedbed"),
            (13, 3571, "aa4d9968b297cf0d"),
        ];
        for (minor, number, hex) in cases {
            let got: String = magic(minor, number)
                .source_hash(b"hello")
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(got, hex, "3.{minor}");
        }
    }

    #[test]
    fn cache_names_round_trip() {
        let tag = "cpython-311";
        for level in 0..3 {
            let name = cache_name(OsStr::new("mod.v2"), tag, level);
            assert_eq!(cache_stem(&name, tag), Some(OsStr::new("mod.v2")));
        }
        assert_eq!(
            cache_name(OsStr::new("m"), tag, 2),
            "m.cpython-311.opt-2.pyc"
        );
        assert_eq!(
            cache_stem(OsStr::new("m.cpython-311.opt-x1.pyc"), tag),
            Some(OsStr::new("m"))
        );
        for other in [
            "m.cpython-39.pyc",
            "m.cpython-3111.pyc",
            "m.pyc",
            ".cpython-311.pyc",
            "m.cpython-311.pyc.12345",
            "m.cpython-311.opt-.pyc",
            "m.cpython-311.txt",
            "m.xcpython-311.pyc",
        ] {
            assert_eq!(cache_stem(OsStr::new(other), tag), None, "{other}");
        }
    }
}
