//! The magic number a target's pycs must carry, and where it comes from.
//!
//! 1. **The table** ([`table`]): the number of every CPython version whose
//!    final release is known, with where each comes from. No file is read,
//!    no interpreter started.
//! 2. **The standard library's own bytecode** ([`from_stdlib`]), for a
//!    flavor of a version the table does not know (a CPython newer than
//!    this pycache, or a pre-release of one): the pycs its Python package
//!    installed for a few modules every CPython has. FreeBSD's Python
//!    packages ship them (`lib/python3.X/__pycache__/os.cpython-3X.pyc` is
//!    in their pkg-plist), as do pyenv's builds and Debian's (compiled at
//!    install). They are trusted only when no user but root can have made
//!    them ([`from_stdlib`] says how), so a trigger with nothing to do
//!    starts no interpreter. An upgrade of the Python package replaces them,
//!    so the number follows a pre-release to the next one (3.14 changed its
//!    number at rc2 and again at rc3).
//! 3. **The interpreter**, asked (`importlib.util.MAGIC_NUMBER`, see
//!    target.rs) when the evidence is missing, not trusted or in doubt: it
//!    stays the authority. A number learned from the standard library is
//!    checked against it whenever something is compiled: a compile worker
//!    that greets with another number is right, and the engine judges the
//!    tree again with that one before compiling (engine.rs).
//!
//! Nothing is remembered between runs: a place to keep a number would have
//! to be one no other user can write and be tied to the interpreter's
//! identity, and the standard library's bytecode already is such a record,
//! written by the Python package itself and replaced with it. A Python
//! installed without it is asked every run, as before.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::bytecode::pyc::{self, Magic, SourceStamp, Verdict};
use crate::fs::trust;

/// Where a target's magic number came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MagicFrom {
    /// The table of final releases.
    Table,
    /// The bytecode the flavor's Python package installed for its
    /// standard library.
    Stdlib,
    /// The interpreter, asked (or its compile worker's greeting).
    Interpreter,
}

impl MagicFrom {
    /// `table`, `stdlib` or `interpreter`, as JSON and Lua spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            MagicFrom::Table => "table",
            MagicFrom::Stdlib => "stdlib",
            MagicFrom::Interpreter => "interpreter",
        }
    }
}

/// The magic number of the final releases of CPython 3.`minor`; the
/// comment of each names the release it was read from and the first
/// pre-release that had it (earlier pre-releases had other numbers). Up to 3.13 the number is the literal of
/// `Lib/importlib/_bootstrap_external.py` (`MAGIC_NUMBER = (N).to_bytes(2,
/// 'little') + b'\r\n'`); from 3.14 it is `PYC_MAGIC_NUMBER` of
/// `Include/internal/pycore_magic_number.h`, which Python shows as
/// `_imp.pyc_magic_number_token`. Every entry was read from the release
/// named and checked against its `importlib.util.MAGIC_NUMBER` (the test
/// `the_table_is_each_interpreters_own_number` does so for every CPython
/// on the test machine).
const FINAL: [(u8, u16); 9] = [
    // 3.6.15 (pyenv); since 3.6rc1.
    (6, 3379),
    // 3.7.16 (pyenv); since 3.7b5.
    (7, 3394),
    // 3.8.18 (pyenv); since 3.8b4.
    (8, 3413),
    // 3.9.18 (pyenv); since 3.9a2.
    (9, 3425),
    // 3.10.13 (pyenv); since 3.10b1.
    (10, 3439),
    // 3.11.7 (pyenv) and Debian's 3.11.2; since 3.11b4.
    (11, 3495),
    // 3.12.1 (pyenv); since 3.12b1.
    (12, 3531),
    // 3.13.0 (pyenv); since 3.13b1.
    (13, 3571),
    // 3.14.2 (pycore_magic_number.h; pyodide 314.0.7); since 3.14rc3
    // (rc2 had 3626).
    (14, 3627),
];

/// The magic number of CPython `major.minor`'s final releases, when the
/// table knows it (see [`FINAL`] for where each comes from).
pub fn table(major: u8, minor: u8) -> Option<[u8; 4]> {
    if major != 3 || crate::testing::forgets_magic(minor) {
        return None;
    }
    let &(_, number) = FINAL.iter().find(|(m, _)| *m == minor)?;
    let [lo, hi] = number.to_le_bytes();
    Some([lo, hi, b'\r', b'\n'])
}

/// The minor version of the CPython 3 whose final releases write pycs
/// starting with `bytes`, when the table knows one (`explain` names the
/// Python a pyc is for).
pub fn release(bytes: &[u8; 4]) -> Option<u8> {
    if bytes[2..] != *b"\r\n" {
        return None;
    }
    let number = u16::from_le_bytes([bytes[0], bytes[1]]);
    FINAL
        .iter()
        .find(|(_, n)| *n == number)
        .map(|(minor, _)| *minor)
}

/// Modules every CPython 3 has as `NAME.py` in its standard library, whose
/// level-0 pycs are the evidence.
const PROBES: [&str; 4] = ["os", "abc", "codecs", "types"];

/// Probes that must agree before a number is taken from them.
const ENOUGH: usize = 2;

/// A magic number read from the standard library's bytecode.
#[derive(Clone, Debug)]
pub struct Learned {
    /// The number.
    pub bytes: [u8; 4],
    /// The standard library directory read, on disk.
    pub dir: PathBuf,
    /// The probes whose pycs agreed on it.
    pub probes: Vec<&'static str>,
}

/// Reads the magic number of CPython 3.`minor` (cache tag `tag`) from the
/// bytecode its Python package installed in `stdlib` (`PREFIX/lib/python3.X`
/// as the running system spells it, found below `root` when given), or
/// says why it cannot be trusted.
///
/// It is trusted only when a user other than root cannot have made it:
/// - every directory from `/` to `stdlib` is owned by root and writable by
///   no one else (sticky directories such as `/tmp` excepted on the way,
///   where only root may rename root's entries), `stdlib` and its
///   `__pycache__` without exception; each is opened relative to its
///   parent without following a link;
/// - each probe's source and pyc are regular files owned by root that no
///   one else may write, opened without following a link and without
///   blocking (a FIFO is refused, never waited on);
/// - each pyc is fresh for its source under the number it carries:
///   timestamp pycs by mtime and size, checked-hash pycs by the source's
///   SipHash keyed with that number; an unchecked-hash pyc proves nothing
///   and is refused;
/// - at least [`ENOUGH`] probes are found and all agree. A probe whose
///   source or pyc is absent is skipped (a Python without them); one that
///   is there but fails any rule refuses the whole evidence.
pub fn from_stdlib(
    stdlib: &Path,
    root: Option<&Path>,
    tag: &str,
    minor: u8,
) -> Result<Learned, String> {
    let dir = on_disk(stdlib, root)?;
    let lib = trust::open_dir(&dir)?;
    let cache_dir = dir.join(pyc::PYCACHE);
    let cache = match lib.open_dir(OsStr::new(pyc::PYCACHE)) {
        Ok(cache) => cache,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(format!("{}: no such directory", cache_dir.display()));
        }
        Err(e) => return Err(trust::refused(&cache_dir, &e)),
    };
    let stat = cache
        .metadata()
        .map_err(|e| trust::refused(&cache_dir, &e))?;
    trust::check(&cache_dir, &stat, false)?;
    let mut agreed: Option<[u8; 4]> = None;
    let mut probes = Vec::new();
    for probe in PROBES {
        let source_name = format!("{probe}.py");
        let source_path = dir.join(&source_name);
        let pyc_name = pyc::cache_name(OsStr::new(probe), tag, 0);
        let pyc_path = cache_dir.join(&pyc_name);
        let (source, source_stat) = match lib.open_file(OsStr::new(&source_name), false) {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(trust::refused(&source_path, &e)),
        };
        let (mut file, stat) = match cache.open_file(&pyc_name, false) {
            Ok(opened) => opened,
            Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
            Err(e) => return Err(trust::refused(&pyc_path, &e)),
        };
        trust::check(&source_path, &source_stat, false)?;
        trust::check(&pyc_path, &stat, false)?;
        // The header and the body's first byte, read once: the number,
        // then the judgement under it.
        let mut buf = [0u8; 17];
        let got =
            pyc::read_up_to(&mut file, &mut buf).map_err(|e| trust::refused(&pyc_path, &e))?;
        let bytes = header_number(&buf[..got], &pyc_path, minor)?;
        let magic = Magic { bytes, minor };
        let verdict = pyc::judge_header(
            &buf[..got.min(magic.header_len() + 1)],
            SourceStamp::from_stat(&source_stat),
            magic,
            || read_all(source),
        );
        if verdict != Verdict::Fresh {
            let why = match verdict {
                Verdict::Stale(why) => why.to_string(),
                _ => "missing".into(),
            };
            return Err(format!(
                "{}: not fresh for its source ({why})",
                pyc_path.display()
            ));
        }
        match agreed {
            Some(first) if first != bytes => {
                return Err(format!(
                    "the probes disagree: {} carries {}, {} before it {}",
                    pyc_path.display(),
                    hex_and_number(&bytes),
                    probes.join(", "),
                    hex(&first)
                ));
            }
            _ => agreed = Some(bytes),
        }
        probes.push(probe);
    }
    match agreed {
        Some(bytes) if probes.len() >= ENOUGH => Ok(Learned { bytes, dir, probes }),
        _ => Err(format!(
            "{}: {} of the pycs of {} found, {ENOUGH} needed",
            cache_dir.display(),
            probes.len(),
            PROBES.join(", ")
        )),
    }
}

/// The number at the start of `head`, the first bytes of the pyc `path`
/// (of CPython 3.`minor`): its first four bytes, which end in `\r\n` for
/// every CPython; refused when the pyc is an unchecked-hash one, which
/// nothing ever compares with its source.
fn header_number(head: &[u8], path: &Path, minor: u8) -> Result<[u8; 4], String> {
    if head.len() < 8 || head[2..4] != *b"\r\n" {
        return Err(format!("{}: not a pyc header", path.display()));
    }
    let flags = u32::from_le_bytes(head[4..8].try_into().expect("4 bytes"));
    if minor >= 7 && flags & 0b11 == 0b01 {
        return Err(format!(
            "{}: an unchecked-hash pyc, never compared with its source",
            path.display()
        ));
    }
    Ok(head[..4].try_into().expect("4 bytes"))
}

/// Where `stdlib` is on disk: below `root` as the site-packages is
/// (symlinks resolved inside it), else with its symlinks resolved.
fn on_disk(stdlib: &Path, root: Option<&Path>) -> Result<PathBuf, String> {
    let resolved = match root {
        Some(root) => root
            .canonicalize()
            .map_err(|e| format!("{}: {e}", root.display()))
            .and_then(|root| {
                crate::fs::path::resolve_in_root(&root, stdlib)
                    .map_err(|(path, e)| format!("{}: {e}", path.display()))
            }),
        None => stdlib
            .canonicalize()
            .map_err(|e| format!("{}: {e}", stdlib.display())),
    }?;
    Ok(resolved)
}

fn read_all(mut file: File) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `a70d0d0a`: a magic number as the report shows it and a pyc starts.
pub fn hex(bytes: &[u8; 4]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `a70d0d0a (3495)`: the bytes, and the number CPython's sources use.
pub fn hex_and_number(bytes: &[u8; 4]) -> String {
    let number = u16::from_le_bytes([bytes[0], bytes[1]]);
    format!("{} ({number})", hex(bytes))
}

/// What verbose output says of a number learned from `learned`.
pub fn note(learned: &Learned, tag: &str) -> String {
    format!(
        "magic number {}: from the standard library's bytecode ({}/{}/{{{}}}.{tag}.pyc)",
        hex(&learned.bytes),
        learned.dir.display(),
        pyc::PYCACHE,
        learned.probes.join(",")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_reference() {
        assert_eq!(table(3, 6), Some([0x33, 0x0d, 0x0d, 0x0a]));
        assert_eq!(table(3, 11), Some([0xa7, 0x0d, 0x0d, 0x0a]));
        assert_eq!(table(3, 13), Some([0xf3, 0x0d, 0x0d, 0x0a]));
        assert_eq!(table(3, 14), Some([0x2b, 0x0e, 0x0d, 0x0a]));
        assert_eq!(table(3, 15), None);
        assert_eq!(table(2, 7), None);
        // Sorted, one entry per version, numbers rising with versions.
        for pair in FINAL.windows(2) {
            assert_eq!(pair[0].0 + 1, pair[1].0);
            assert!(pair[0].1 < pair[1].1);
        }
        assert_eq!(hex(&[0xa7, 0x0d, 0x0d, 0x0a]), "a70d0d0a");
        assert_eq!(hex_and_number(&[0xa7, 0x0d, 0x0d, 0x0a]), "a70d0d0a (3495)");
        for &(minor, _) in &FINAL {
            assert_eq!(release(&table(3, minor).unwrap()), Some(minor));
        }
        assert_eq!(release(&[0x2a, 0x0e, 0x0d, 0x0a]), None, "3.14rc2's 3626");
        assert_eq!(release(&[0xa7, 0x0d, 0x00, 0x00]), None);
    }
}
