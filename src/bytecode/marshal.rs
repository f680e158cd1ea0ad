//! Whether the body of a pyc would load: a bounded walk of the marshal
//! stream after the header, as `marshal.loads` of CPython 3.6 to 3.14 reads
//! it, without building any object and without Python. 3.14 (marshal
//! version 5) adds constant slices (`x[1:2]`); the code object's fields are
//! those of 3.11 to 3.13.
//!
//! It checks what makes importlib's `marshal.loads` fail (and so the import
//! fail with `EOFError` or `ValueError` instead of recompiling): the data
//! ending early, an unknown type code, a reference to an object not read
//! yet, a size out of range, a long integer digit out of range or not
//! normalized, text that does not decode (UTF-8 with `surrogatepass`), a
//! `NULL` where an object must be, nesting deeper than marshal's own limit;
//! and what makes the code object itself invalid: a top-level object that
//! is not a code object, or a code object whose fields are not of the types
//! `PyCode_New` requires (bytecode and line tables bytes, constants and
//! names tuples, names strings, counts not negative). Bytes after the first
//! object are ignored, as `marshal.loads` ignores them.
//!
//! Work is linear in the file size: every length is checked against what
//! is left before anything is skipped, and nesting is bounded.

use std::fmt;

/// Nesting marshal accepts (`MAX_MARSHAL_STACK_DEPTH`, 2000 in 3.6 to 3.14
/// on Linux and FreeBSD): the top-level object is at depth 0 here, so an
/// object at depth `MAX_DEPTH` is one too deep.
const MAX_DEPTH: usize = 2000;

/// Why a body would not load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// Offset in the body where reading failed.
    pub at: usize,
    /// What was wrong there.
    pub what: &'static str,
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {} of the code", self.what, self.at)
    }
}

/// What an object read was, as far as code object fields care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Bytes,
    Str,
    Tuple,
    Code,
    Other,
    /// A reference slot reserved while its object (a code object, a
    /// frozenset or a slice) is being read: referring to it is invalid.
    Pending,
    /// `TYPE_NULL`.
    Null,
}

/// Nesting walked on the calling thread. Real pycs stay far below it; a
/// body nested deeper (up to [`MAX_DEPTH`], which a hostile file can reach)
/// is walked again on a thread of its own with [`DEEP_STACK`], as the walk
/// recurses once per level (some KiB a level in a debug build) and the
/// calling thread may have as little as 2 MiB.
const SHALLOW: usize = 200;

/// The stack of the thread that walks a deeply nested body.
const DEEP_STACK: usize = 64 << 20;

/// What a walk limited to [`SHALLOW`] says when it goes deeper.
const DEEPER: &str = "nested deeper than the walk on this thread goes";

/// Checks that `body` (a pyc without its header) starts with a code object
/// CPython 3.`minor` would load.
pub fn check_code(body: &[u8], minor: u8) -> Result<(), Broken> {
    match walk(body, minor, SHALLOW) {
        Err(broken) if broken.what == DEEPER => std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(DEEP_STACK)
                .spawn_scoped(s, || walk(body, minor, MAX_DEPTH))
                .map_err(|_| Broken {
                    at: broken.at,
                    what: "nested too deep to check here (no thread could be started)",
                })?
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
        verdict => verdict,
    }
}

/// The walk, stopping at nesting `limit` ([`DEEPER`] below [`MAX_DEPTH`]).
fn walk(body: &[u8], minor: u8, limit: usize) -> Result<(), Broken> {
    let mut reader = Reader {
        data: body,
        pos: 0,
        refs: Vec::new(),
        minor,
        limit,
    };
    match reader.object(0)? {
        Kind::Code => Ok(()),
        _ => Err(Broken {
            at: 0,
            what: "not a code object",
        }),
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    refs: Vec<Kind>,
    minor: u8,
    /// Nesting at which the walk stops: [`MAX_DEPTH`] or [`SHALLOW`].
    limit: usize,
}

impl Reader<'_> {
    fn fail<T>(&self, what: &'static str) -> Result<T, Broken> {
        Err(Broken { at: self.pos, what })
    }

    fn take(&mut self, n: usize) -> Result<&[u8], Broken> {
        if self.data.len() - self.pos < n {
            return self.fail("marshal data too short");
        }
        let bytes = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, Broken> {
        Ok(self.take(1)?[0])
    }

    fn long(&mut self) -> Result<i32, Broken> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A size: not negative, and not more than what is left (each item
    /// takes at least `unit` bytes), so that nothing is ever skipped past
    /// the end nor looped over for longer than the file.
    fn size(&mut self, unit: usize) -> Result<usize, Broken> {
        let n = self.long()?;
        let Ok(n) = usize::try_from(n) else {
            return self.fail("bad marshal data (size out of range)");
        };
        if n.saturating_mul(unit) > self.data.len() - self.pos {
            return self.fail("marshal data too short");
        }
        Ok(n)
    }

    fn text(&mut self, n: usize, utf8: bool) -> Result<Kind, Broken> {
        let at = self.pos;
        let bytes = self.take(n)?;
        if utf8 && !valid_surrogatepass(bytes) {
            return Err(Broken {
                at,
                what: "text that does not decode as UTF-8",
            });
        }
        Ok(Kind::Str)
    }

    fn object(&mut self, depth: usize) -> Result<Kind, Broken> {
        if depth >= MAX_DEPTH {
            return self.fail("bad marshal data (nesting too deep)");
        }
        if depth >= self.limit {
            return self.fail(DEEPER);
        }
        let code = self.byte()?;
        let flag_ref = code & 0x80 != 0;
        // Containers register before their items, so items may refer to
        // them; code objects, frozensets and slices reserve a slot filled
        // after.
        let slot = flag_ref.then(|| {
            self.refs.push(Kind::Pending);
            self.refs.len() - 1
        });
        let kind = match code & 0x7f {
            b'0' => Kind::Null,
            b'N' | b'F' | b'T' | b'S' | b'.' => Kind::Other,
            b'i' => {
                self.take(4)?;
                Kind::Other
            }
            b'I' | b'g' => {
                self.take(8)?;
                Kind::Other
            }
            b'y' => {
                self.take(16)?;
                Kind::Other
            }
            b'f' => {
                let n = self.byte()?;
                self.take(n.into())?;
                Kind::Other
            }
            b'x' => {
                for _ in 0..2 {
                    let n = self.byte()?;
                    self.take(n.into())?;
                }
                Kind::Other
            }
            b'l' => {
                self.long_digits()?;
                Kind::Other
            }
            b's' => {
                let n = self.size(1)?;
                self.take(n)?;
                Kind::Bytes
            }
            b'u' | b't' => {
                let n = self.size(1)?;
                self.text(n, true)?
            }
            b'a' | b'A' => {
                let n = self.size(1)?;
                self.text(n, false)?
            }
            b'z' | b'Z' => {
                let n = self.byte()?;
                self.text(n.into(), false)?
            }
            b'r' => {
                let n = self.long()?;
                match usize::try_from(n).ok().and_then(|n| self.refs.get(n)) {
                    Some(&kind) if kind != Kind::Pending => kind,
                    _ => return self.fail("bad marshal data (invalid reference)"),
                }
            }
            b'(' | b')' | b'[' | b'<' | b'>' => {
                let n = if code & 0x7f == b')' {
                    usize::from(self.byte()?)
                } else {
                    self.size(1)?
                };
                let kind = if matches!(code & 0x7f, b'(' | b')') {
                    Kind::Tuple
                } else {
                    Kind::Other
                };
                if let (Some(slot), false) = (slot, code & 0x7f == b'>') {
                    self.refs[slot] = kind;
                }
                for _ in 0..n {
                    self.item(depth)?;
                }
                kind
            }
            b'{' => {
                if let Some(slot) = slot {
                    self.refs[slot] = Kind::Other;
                }
                while self.object(depth + 1)? != Kind::Null {
                    self.item(depth)?;
                }
                Kind::Other
            }
            b'c' => {
                self.code(depth)?;
                Kind::Code
            }
            // TYPE_SLICE (3.14, marshal version 5): start, stop and step.
            b':' if self.minor >= 14 => {
                for _ in 0..3 {
                    self.item(depth)?;
                }
                Kind::Other
            }
            _ => {
                self.pos -= 1;
                return self.fail("bad marshal data (unknown type code)");
            }
        };
        if let Some(slot) = slot {
            self.refs[slot] = kind;
        }
        Ok(kind)
    }

    /// An object that must not be `NULL`.
    fn item(&mut self, depth: usize) -> Result<Kind, Broken> {
        match self.object(depth + 1)? {
            Kind::Null => self.fail("NULL object in marshal data"),
            kind => Ok(kind),
        }
    }

    /// `TYPE_LONG`: a signed count of 15-bit digits, each below 2**15, the
    /// top one not zero.
    fn long_digits(&mut self) -> Result<(), Broken> {
        let n = self.long()?;
        let count = n.unsigned_abs() as usize;
        if count > (self.data.len() - self.pos) / 2 {
            return self.fail("marshal data too short");
        }
        for i in 0..count {
            let b = self.take(2)?;
            let digit = u16::from_le_bytes([b[0], b[1]]);
            if digit >= 1 << 15 {
                return self.fail("bad marshal data (digit out of range in long)");
            }
            if digit == 0 && i == count - 1 {
                return self.fail("bad marshal data (unnormalized long data)");
            }
        }
        Ok(())
    }

    /// The fields of a code object, in the order of the version.
    fn code(&mut self, depth: usize) -> Result<(), Broken> {
        use Kind::{Bytes, Str, Tuple};
        // Leading 32-bit counts: argcount, [posonlyargcount,]
        // kwonlyargcount, [nlocals,] stacksize, flags.
        let counts = match self.minor {
            0..=7 => 5,
            8..=10 => 6,
            _ => 5,
        };
        for i in 0..counts {
            // flags (the last) may use any bit; the counts are not negative.
            if self.long()? < 0 && i + 1 < counts {
                return self.fail("bad code object (negative count)");
            }
        }
        let before_lineno: &[Kind] = if self.minor >= 11 {
            // code, consts, names, localsplusnames, localspluskinds,
            // filename, name, qualname
            &[Bytes, Tuple, Tuple, Tuple, Bytes, Str, Str, Str]
        } else {
            // code, consts, names, varnames, freevars, cellvars, filename,
            // name
            &[Bytes, Tuple, Tuple, Tuple, Tuple, Tuple, Str, Str]
        };
        self.fields(before_lineno, depth)?;
        self.long()?; // firstlineno
        let after_lineno: &[Kind] = if self.minor >= 11 {
            &[Bytes, Bytes] // linetable, exceptiontable
        } else {
            &[Bytes] // lnotab (linetable in 3.10)
        };
        self.fields(after_lineno, depth)
    }

    fn fields(&mut self, kinds: &[Kind], depth: usize) -> Result<(), Broken> {
        for &want in kinds {
            let at = self.pos;
            if self.item(depth)? != want {
                return Err(Broken {
                    at,
                    what: "bad code object (a field of the wrong type)",
                });
            }
        }
        Ok(())
    }
}

/// UTF-8 as Python's `surrogatepass` decodes it: standard UTF-8, plus the
/// three-byte encodings of U+D800 to U+DFFF.
fn valid_surrogatepass(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => return true,
            Err(e) => {
                let bad = &rest[e.valid_up_to()..];
                let surrogate = bad.len() >= 3
                    && bad[0] == 0xED
                    && (0xA0..=0xBF).contains(&bad[1])
                    && (0x80..=0xBF).contains(&bad[2]);
                if !surrogate {
                    return false;
                }
                rest = &bad[3..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_marshal_rejects() {
        assert!(check_code(b"", 11).is_err());
        assert!(check_code(b"N", 11).is_err(), "not a code object");
        assert!(check_code(b"\xe3\x00\x00", 11).is_err(), "too short");
        assert!(check_code(b"q", 11).is_err(), "unknown type");
        assert!(valid_surrogatepass(b"a\xed\xa0\x80b"));
        assert!(!valid_surrogatepass(b"a\xffb"));
    }

    include!("../../tests/common/code_body.rs");

    #[test]
    fn constant_slices_from_3_14() {
        // x[1:2] and x[::2]: start, stop and step.
        let slices = code_with_consts(2, b":i\x01\0\0\0i\x02\0\0\0N:NNi\x02\0\0\0");
        assert_eq!(check_code(&slices, 14), Ok(()));
        assert_eq!(
            check_code(&slices, 13).unwrap_err().what,
            "bad marshal data (unknown type code)"
        );
        // A slice reserves its reference before its items (as a code
        // object or a frozenset): an item cannot be the slice itself, a
        // later object can.
        let later = code_with_consts(2, b"\xbaNNNr\0\0\0\0");
        assert_eq!(check_code(&later, 14), Ok(()));
        let itself = code_with_consts(1, b"\xbaNr\0\0\0\0N");
        assert_eq!(
            check_code(&itself, 14).unwrap_err().what,
            "bad marshal data (invalid reference)"
        );
        let null = code_with_consts(1, b":N0N");
        assert_eq!(
            check_code(&null, 14).unwrap_err().what,
            "NULL object in marshal data"
        );
        let short = code_with_consts(1, b":NN");
        assert!(check_code(&short, 14).is_err());
    }

    #[test]
    fn nesting_stops_where_marshal_stops() {
        // The code object is at depth 0 and its constants at 1: CPython
        // loads an object at depth 1999 (nesting 2000) and refuses one at
        // depth 2000.
        let nested = |k: usize| {
            let mut consts = b")\x01".repeat(k);
            consts.push(b'N');
            code_with_consts(1, &consts)
        };
        assert_eq!(check_code(&nested(1997), 14), Ok(()));
        assert_eq!(
            check_code(&nested(1998), 14).unwrap_err().what,
            "bad marshal data (nesting too deep)"
        );
    }
}
