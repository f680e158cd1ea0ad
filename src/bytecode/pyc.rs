//! The `.pyc` file: its name in `__pycache__` (and what a source's name is),
//! its header, and whether it is fresh for its source, decided as importlib
//! decides it, without Python.
//!
//! importlib (`SourceLoader.get_code`) accepts a cached file when its magic
//! number is the interpreter's, its flags are known, and then:
//! - timestamp pyc (flags 0 or 0b10): the recorded mtime equals
//!   `int(st_mtime)` of the source, the float Python computes, truncated to
//!   32 bits from 3.7 on (3.6 compares it unmasked), and the recorded size
//!   equals the source's truncated to 32 bits;
//! - checked-hash pyc (flags 0b11): the recorded SipHash of the source bytes, keyed with
//!   the magic number, equals the source's;
//! - unchecked-hash pyc (flags 0b01): always (it is never revalidated).
//!
//! Anything else (short file, garbage, wrong magic) makes importlib compile
//! the source again, so it is stale here. One deliberate difference: an
//! unchecked-hash pyc is judged as a checked-hash one. importlib leaves it
//! unchecked because the tool that updates the tree is to check it, and
//! pycache is that tool: otherwise a package upgrade that changes a source
//! leaves the old bytecode in use for good.

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

/// The name CPython gives its cache directories (PEP 3147).
pub const PYCACHE: &str = "__pycache__";

/// `NAME.py` with a non-empty NAME: what importlib's `SOURCE_SUFFIXES`
/// accepts on FreeBSD.
pub fn is_source_name(name: &OsStr) -> bool {
    let bytes = name.as_bytes();
    bytes.len() > 3 && bytes.ends_with(b".py")
}

/// File name of the cache of `stem.py` at optimization `level` for `tag`:
/// `stem.cpython-311.pyc`, `stem.cpython-311.opt-1.pyc`, ...
pub fn cache_name(stem: &OsStr, tag: &str, level: u8) -> OsString {
    // Made for every level of every source a scan looks at: one
    // allocation, no formatting machinery.
    let mut name = Vec::with_capacity(stem.len() + tag.len() + 14);
    name.extend_from_slice(stem.as_bytes());
    name.push(b'.');
    name.extend_from_slice(tag.as_bytes());
    if level > 0 {
        name.extend_from_slice(b".opt-");
        if level >= 100 {
            name.push(b'0' + level / 100);
        }
        if level >= 10 {
            name.push(b'0' + level / 10 % 10);
        }
        name.push(b'0' + level % 10);
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

/// The optimization level of the cache file `name` of `tag`: 0 for
/// `NAME.TAG.pyc`, 1 and 2 for `NAME.TAG.opt-1.pyc` and `.opt-2.pyc`;
/// `None` for any other name (another tag, an `opt-` string CPython never
/// writes for a level, not a cache file).
pub fn cache_level(name: &OsStr, tag: &str) -> Option<u8> {
    cache_stem(name, tag)?;
    let rest = name.as_bytes().strip_suffix(b".pyc")?;
    if rest.ends_with(tag.as_bytes()) {
        return Some(0);
    }
    match rest.rsplit(|&b| b == b'.').next()? {
        b"opt-1" => Some(1),
        b"opt-2" => Some(2),
        _ => None,
    }
}

/// Whether `name` is a temporary file left behind while writing a cache
/// file of `tag`: `CACHENAME.DIGITS` (CPython's `_write_atomic`, which
/// appends `id(path)`) or `CACHENAME.DIGITS.DIGITS` (pycache's workers,
/// `PID.N`), where `CACHENAME` is a name [`cache_stem`] accepts. A finished
/// write renames such a file over its cache file within one run, so one
/// seen by a later run is litter of an interrupted one, whatever the source.
pub fn is_leftover(name: &OsStr, tag: &str) -> bool {
    let digits = |part: &[u8]| !part.is_empty() && part.iter().all(u8::is_ascii_digit);
    let mut rest = name.as_bytes();
    for _ in 0..2 {
        let Some(dot) = rest.iter().rposition(|&b| b == b'.') else {
            return false;
        };
        if !digits(&rest[dot + 1..]) {
            return false;
        }
        rest = &rest[..dot];
        if cache_stem(OsStr::from_bytes(rest), tag).is_some() {
            return true;
        }
    }
    false
}

/// Whether `name` is pkg's saved copy of a cache file of `tag`:
/// `CACHENAME.pkgsave`, where `CACHENAME` is a name [`cache_stem`] accepts.
/// pkg renames a file no package owns to `FILE.pkgsave` before it installs
/// a package's own `FILE` (libpkg's `backup_file_if_needed`): bytecode the
/// trigger made, when a package that ships bytecode replaces one that did
/// not. No importer reads the copy and no package owns it, so it is litter
/// of this interpreter whatever its source, as [`is_leftover`]'s files are.
pub fn is_pkgsave(name: &OsStr, tag: &str) -> bool {
    pkgsave_of(name, tag).is_some()
}

/// The cache file name `name` is pkg's saved copy of ([`is_pkgsave`]).
pub fn pkgsave_of<'a>(name: &'a OsStr, tag: &str) -> Option<&'a OsStr> {
    let cache = OsStr::from_bytes(name.as_bytes().strip_suffix(b".pkgsave")?);
    cache_stem(cache, tag).map(|_| cache)
}

/// What the source looks like to importlib: `path_stats` of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceStamp {
    /// `st_mtime`: seconds and nanoseconds as the kernel gives them.
    pub mtime_sec: i64,
    /// Nanoseconds of `st_mtime`, 0 to 999,999,999.
    pub mtime_nsec: i64,
    /// `st_size`.
    pub size: u64,
}

impl SourceStamp {
    /// Stamp of a source from its (followed) metadata.
    pub fn from_metadata(meta: &fs::Metadata) -> SourceStamp {
        SourceStamp {
            mtime_sec: meta.mtime(),
            mtime_nsec: meta.mtime_nsec(),
            size: meta.size(),
        }
    }

    /// Stamp of a source from a `stat` of it.
    // The field types differ between platforms and rustix backends.
    #[allow(clippy::unnecessary_cast)]
    pub fn from_stat(stat: &rustix::fs::Stat) -> SourceStamp {
        SourceStamp {
            mtime_sec: stat.st_mtime as i64,
            mtime_nsec: stat.st_mtime_nsec as i64,
            size: stat.st_size as u64,
        }
    }

    /// `int(st.st_mtime)`: Python's float `st_mtime` is `sec + nsec * 1e-9`
    /// (posixmodule's `fill_time`, 3.6 to 3.13), which rounds up to the next
    /// second when the nanoseconds are within about 120 ns of it (for
    /// present-day times); `int()` then truncates toward zero.
    pub fn python_mtime(self) -> i64 {
        (self.mtime_sec as f64 + self.mtime_nsec as f64 * 1e-9).trunc() as i64
    }

    /// The value a timestamp pyc's mtime field must hold for importlib of
    /// CPython 3.`minor` to accept it: from 3.7, `int(st_mtime) &
    /// 0xFFFFFFFF`; 3.6 compares the unsigned field with the unmasked
    /// `int(st_mtime)`, so an mtime before 1970 or from 2106 on never
    /// matches (`None`).
    pub fn mtime_field(self, minor: u8) -> Option<u32> {
        let mtime = self.python_mtime();
        if minor >= 7 {
            Some(mtime as u32)
        } else {
            u32::try_from(mtime).ok()
        }
    }

    /// `st_size & 0xFFFFFFFF`, what every version compares.
    pub fn size_field(self) -> u32 {
        self.size as u32
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
    /// The body after a valid header would not load (`--verify`).
    Body(String),
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
            Stale::Body(why) => write!(f, "broken body: {why}"),
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

/// A pyc's header as read, in the layout of the interpreter it is judged
/// for (12 bytes before 3.7, 16 from 3.7 on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Bytes 0-3: the magic number.
    pub magic: [u8; 4],
    /// The PEP 552 flags (bytes 4-7); `None` in a 12-byte header, which
    /// has none (always a timestamp pyc).
    pub flags: Option<u32>,
    /// The 8 bytes after the flags: the source's mtime and size (each a
    /// little-endian u32) in a timestamp pyc, the source's hash in a
    /// hash-based one.
    pub stamp: [u8; 8],
}

impl Header {
    /// How importlib validates this pyc; `None` for flags it does not know
    /// (`_classify_pyc` rejects any bit outside `0b11`; bit 1 alone is a
    /// timestamp pyc).
    pub fn mode(&self) -> Option<InvalidationMode> {
        match self.flags.unwrap_or(0) {
            0b00 | 0b10 => Some(InvalidationMode::Timestamp),
            0b01 => Some(InvalidationMode::UncheckedHash),
            0b11 => Some(InvalidationMode::CheckedHash),
            _ => None,
        }
    }

    /// The recorded mtime of a timestamp pyc.
    pub fn mtime(&self) -> u32 {
        u32::from_le_bytes(self.stamp[..4].try_into().expect("4 bytes"))
    }

    /// The recorded size of a timestamp pyc.
    pub fn size(&self) -> u32 {
        u32::from_le_bytes(self.stamp[4..].try_into().expect("4 bytes"))
    }
}

/// A verdict with what it was made from, for `explain` to show field by
/// field; `check` keeps only the verdict. There is one judgement
/// ([`examine`]): both read the same fields the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// What importlib would do with the file.
    pub verdict: Verdict,
    /// The first four bytes, when the file has them.
    pub magic: Option<[u8; 4]>,
    /// The whole header, when the file holds one and its magic number is
    /// the one expected (another version's header may be laid out
    /// otherwise, and importlib reads no further).
    pub header: Option<Header>,
    /// What a checked-hash header was compared with: the source's hash
    /// keyed with the magic number.
    pub source_hash: Option<[u8; 8]>,
}

impl Judgement {
    /// A verdict reached without reading a header (missing, unreadable).
    pub fn of(verdict: Verdict) -> Judgement {
        Judgement {
            verdict,
            magic: None,
            header: None,
            source_hash: None,
        }
    }
}

/// marshal's type byte of a code object, with and without `FLAG_REF`.
const CODE_TYPES: [u8; 2] = [b'c', b'c' | 0x80];

/// Judges the cache file `pyc` (opened through a directory handle, src/fs/dir.rs, so known to be
/// a regular file) of a source stamped `stamp` as importlib would (but
/// for unchecked-hash pycs, see the module documentation): [`examine`]'s
/// verdict.
pub fn judge(
    pyc: io::Result<File>,
    stamp: SourceStamp,
    magic: Magic,
    verify: bool,
    source: impl FnOnce() -> io::Result<Vec<u8>>,
) -> Verdict {
    examine(pyc, stamp, magic, verify, source).verdict
}

/// Judges the cache file `pyc` of a source stamped `stamp` as importlib
/// would, keeping the fields read. `source` reads the source's bytes,
/// asked for only by a checked-hash pyc.
///
/// By default only the header and the first byte of the body are read
/// (the fast path: one short read). With `verify`, a pyc whose header is
/// fresh has its whole body walked (src/bytecode/marshal.rs) and is stale when
/// the body would not load.
pub fn examine(
    pyc: io::Result<File>,
    stamp: SourceStamp,
    magic: Magic,
    verify: bool,
    source: impl FnOnce() -> io::Result<Vec<u8>>,
) -> Judgement {
    let header_len = magic.header_len();
    let mut buf = [0u8; 17];
    let want = header_len + 1;
    let mut body = Vec::new();
    let read = pyc.and_then(|mut f| {
        let n = read_up_to(&mut f, &mut buf[..want])?;
        if verify && n == want {
            body.extend_from_slice(&buf[header_len..want]);
            f.read_to_end(&mut body)?;
        }
        Ok(n)
    });
    let got = match read {
        Ok(n) => n,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Judgement::of(Verdict::Missing),
        Err(e) => return Judgement::of(Verdict::Stale(Stale::Unreadable(e.to_string()))),
    };
    let mut judgement = examine_header(&buf[..got], stamp, magic, source);
    if verify && judgement.verdict == Verdict::Fresh {
        if let Err(broken) = crate::bytecode::marshal::check_code(&body, magic.minor) {
            judgement.verdict = Verdict::Stale(Stale::Body(broken.to_string()));
        }
    }
    judgement
}

/// Judges a pyc from its first bytes (`buf`: the header and the first
/// byte of the body, or what there was of them), as [`judge`] does.
pub(crate) fn judge_header(
    buf: &[u8],
    stamp: SourceStamp,
    magic: Magic,
    source: impl FnOnce() -> io::Result<Vec<u8>>,
) -> Verdict {
    examine_header(buf, stamp, magic, source).verdict
}

/// [`examine`] once the first bytes are read: the fields in importlib's
/// order, the first that does not do deciding the verdict.
fn examine_header(
    buf: &[u8],
    stamp: SourceStamp,
    magic: Magic,
    source: impl FnOnce() -> io::Result<Vec<u8>>,
) -> Judgement {
    let header_len = magic.header_len();
    let want = header_len + 1;
    let got = buf.len();
    let mut judgement = Judgement::of(Verdict::Fresh);
    judgement.magic = buf.get(..4).map(|m| m.try_into().expect("4 bytes"));
    let stale = |mut judgement: Judgement, why: Stale| {
        judgement.verdict = Verdict::Stale(why);
        judgement
    };
    if got < header_len {
        return stale(judgement, Stale::Truncated);
    }
    if buf[..4] != magic.bytes {
        return stale(judgement, Stale::Magic);
    }
    let (flags, fields) = if header_len == 12 {
        (None, 4)
    } else {
        (
            Some(u32::from_le_bytes(buf[4..8].try_into().expect("4 bytes"))),
            8,
        )
    };
    let header = Header {
        magic: magic.bytes,
        flags,
        stamp: buf[fields..fields + 8].try_into().expect("8 bytes"),
    };
    judgement.header = Some(header);
    if got < want {
        return stale(judgement, Stale::Truncated);
    }
    if !CODE_TYPES.contains(&buf[header_len]) {
        return stale(judgement, Stale::Garbage);
    }
    match header.mode() {
        None => stale(judgement, Stale::Flags),
        Some(InvalidationMode::Timestamp) => {
            if stamp.mtime_field(magic.minor) != Some(header.mtime()) {
                stale(judgement, Stale::Mtime)
            } else if stamp.size_field() != header.size() {
                stale(judgement, Stale::Size)
            } else {
                judgement
            }
        }
        // Checked or not: see the module documentation.
        Some(InvalidationMode::UncheckedHash | InvalidationMode::CheckedHash) => match source() {
            Ok(bytes) => {
                let hash = magic.source_hash(&bytes);
                judgement.source_hash = Some(hash);
                if hash == header.stamp {
                    judgement
                } else {
                    stale(judgement, Stale::Hash)
                }
            }
            Err(e) => stale(judgement, Stale::Unreadable(format!("source: {e}"))),
        },
    }
}

/// Judges the cache file at `pyc` of the source at `source`, paths the
/// caller chose: both must be regular files, and the pyc's last component
/// is never followed (the source's is, as its stamp was taken).
pub fn judge_path(
    pyc: &Path,
    source: &Path,
    stamp: SourceStamp,
    magic: Magic,
    verify: bool,
) -> Verdict {
    let read_all = |path: &Path| {
        let (mut file, _) = crate::fs::dir::open_file_path(path, true)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    };
    judge(
        crate::fs::dir::open_file_path(pyc, false).map(|(f, _)| f),
        stamp,
        magic,
        verify,
        || read_all(source),
    )
}

pub(crate) fn read_up_to(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
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
    fn a_judgement_keeps_the_fields_it_compared() {
        let m = magic(11, 3495);
        let stamp = SourceStamp {
            mtime_sec: 100,
            mtime_nsec: 0,
            size: 7,
        };
        let mut pyc = m.bytes.to_vec();
        pyc.extend([0, 0, 0, 0, 100, 0, 0, 0, 8, 0, 0, 0, b'c']);
        let j = examine_header(&pyc, stamp, m, || unreachable!("no hash asked"));
        assert_eq!(j.verdict, Verdict::Stale(Stale::Size));
        let header = j.header.unwrap();
        assert_eq!(
            (header.flags, header.mtime(), header.size()),
            (Some(0), 100, 8)
        );
        assert_eq!(header.mode(), Some(InvalidationMode::Timestamp));
        // A checked-hash header: what it was compared with is kept.
        pyc[4] = 0b11;
        let j = examine_header(&pyc, stamp, m, || Ok(b"X = 1\n".to_vec()));
        assert_eq!(j.verdict, Verdict::Stale(Stale::Hash));
        assert_eq!(j.source_hash, Some(m.source_hash(b"X = 1\n")));
        // Another magic number: only it is read.
        let j = examine_header(&[0xcb, 0x0d, 0x0d, 0x0a, 0, 0], stamp, m, || unreachable!());
        assert_eq!(j.verdict, Verdict::Stale(Stale::Truncated));
        assert_eq!((j.magic, j.header), (Some([0xcb, 0x0d, 0x0d, 0x0a]), None));
        pyc[..4].copy_from_slice(&[0xcb, 0x0d, 0x0d, 0x0a]);
        let j = examine_header(&pyc, stamp, m, || unreachable!());
        assert_eq!((j.verdict, j.header), (Verdict::Stale(Stale::Magic), None));
    }

    #[test]
    fn pkg_s_saved_copies_are_recognised() {
        let yes = |n: &str| is_pkgsave(OsStr::new(n), "cpython-311");
        assert!(yes("m.cpython-311.pyc.pkgsave"));
        assert!(yes("m.cpython-311.opt-2.pyc.pkgsave"));
        assert!(!yes("m.cpython-312.pyc.pkgsave"), "another tag's");
        assert!(!yes("m.cpython-311.pyc"), "the cache file itself");
        assert!(!yes("m.py.pkgsave"), "a source's copy is no bytecode");
        assert!(!yes("m.cpython-311.pyc.pkgsave.1"));
        assert_eq!(
            pkgsave_of(OsStr::new("m.cpython-311.opt-1.pyc.pkgsave"), "cpython-311"),
            Some(OsStr::new("m.cpython-311.opt-1.pyc"))
        );
    }

    #[test]
    fn leftovers_are_recognised() {
        let tag = "cpython-311";
        for name in [
            "m.cpython-311.pyc.140233",
            "m.cpython-311.opt-2.pyc.12345.7",
            "a.b.cpython-311.pyc.1",
        ] {
            assert!(is_leftover(OsStr::new(name), tag), "{name}");
        }
        for name in [
            "m.cpython-311.pyc",
            "m.cpython-39.pyc.1234",
            "m.cpython-311.pyc.1.2.3",
            "m.cpython-311.pyc.12a",
            "m.cpython-311.pyc.",
            "m.pyc.1234",
        ] {
            assert!(!is_leftover(OsStr::new(name), tag), "{name}");
        }
    }

    #[test]
    fn python_mtime_rounds_as_the_float_does() {
        let stamp = |sec, nsec| SourceStamp {
            mtime_sec: sec,
            mtime_nsec: nsec,
            size: 0,
        };
        assert_eq!(
            stamp(1_700_000_000, 999_999_999).python_mtime(),
            1_700_000_001
        );
        assert_eq!(
            stamp(1_700_000_000, 999_999_000).python_mtime(),
            1_700_000_000
        );
        assert_eq!(stamp(-1, 500_000_000).python_mtime(), 0);
        assert_eq!(stamp(1 << 32, 0).mtime_field(6), None);
        assert_eq!(stamp(1 << 32, 0).mtime_field(7), Some(0));
        assert_eq!(stamp(-5, 0).mtime_field(6), None);
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
        for level in [0u8, 1, 9, 10, 42, 100, 255] {
            let expected = match level {
                0 => format!("m.{tag}.pyc"),
                _ => format!("m.{tag}.opt-{level}.pyc"),
            };
            assert_eq!(cache_name(OsStr::new("m"), tag, level), *expected);
        }
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
