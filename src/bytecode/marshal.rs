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

    include!("../../tests/common/code_body.rs");

    /// Where [`code_with_consts`] puts its first constant: `c`, five
    /// counts, the empty bytecode `s\0\0\0\0`, then `)` and the count.
    const CONSTS: usize = 1 + 20 + 5 + 2;

    fn broken(at: usize, what: &'static str) -> Result<(), Broken> {
        Err(Broken { at, what })
    }

    #[test]
    fn rejects_what_marshal_rejects_where_it_rejects_it() {
        let too_short = "marshal data too short";
        assert_eq!(check_code(b"", 11), broken(0, too_short));
        // The code object's argcount ends past the data.
        assert_eq!(check_code(b"\xe3\x00\x00", 11), broken(1, too_short));
        assert_eq!(check_code(b"N", 11), broken(0, "not a code object"));
        assert_eq!(
            check_code(b"q", 11),
            broken(0, "bad marshal data (unknown type code)")
        );
        // Sizes: negative, or more than what is left, are refused before
        // anything is skipped.
        assert_eq!(
            check_code(b"s\xff\xff\xff\xff", 11),
            broken(5, "bad marshal data (size out of range)")
        );
        assert_eq!(check_code(b"s\x10\0\0\0ab", 11), broken(5, too_short));
        assert_eq!(check_code(b"l\x10\0\0\0\x01\0", 11), broken(5, too_short));
        assert_eq!(
            check_code(b"l\x01\0\0\0\x00\x80", 11),
            broken(7, "bad marshal data (digit out of range in long)")
        );
        assert_eq!(
            check_code(b"l\x02\0\0\0\x01\0\0\0", 11),
            broken(9, "bad marshal data (unnormalized long data)")
        );
        // Text of the UTF-8 types is decoded (the error points at its
        // start); the one-byte types are not.
        assert_eq!(
            check_code(b"u\x03\0\0\0a\xffb", 11),
            broken(5, "text that does not decode as UTF-8")
        );
        assert_eq!(
            check_code(b"t\x03\0\0\0a\xffb", 11),
            broken(5, "text that does not decode as UTF-8")
        );
        assert_eq!(
            check_code(b"a\x03\0\0\0a\xffb", 11),
            broken(0, "not a code object")
        );
        assert!(valid_surrogatepass(b"a\xed\xa0\x80b"));
        assert!(!valid_surrogatepass(b"a\xffb"));
        assert!(!valid_surrogatepass(b"a\xed\xa0"));
    }

    #[test]
    fn rejects_bad_constants_of_a_code_object() {
        let at = CONSTS;
        assert_eq!(
            check_code(&code_with_consts(1, b"0"), 11),
            broken(at + 1, "NULL object in marshal data")
        );
        // A dict ends at its NULL key; a NULL value is an error.
        assert_eq!(
            check_code(&code_with_consts(1, b"{N0"), 11),
            broken(at + 3, "NULL object in marshal data")
        );
        // No object was flagged for reference: index 0 is not there yet.
        assert_eq!(
            check_code(&code_with_consts(1, b"r\0\0\0\0"), 11),
            broken(at + 5, "bad marshal data (invalid reference)")
        );
        // A code object reserves its slot while it is read.
        let mut inner = vec![0x80 | b'c'];
        inner.extend_from_slice(&code_with_consts(1, b"r\0\0\0\0")[1..]);
        assert_eq!(
            check_code(&code_with_consts(1, &inner), 11),
            broken(at + CONSTS + 5, "bad marshal data (invalid reference)")
        );
        assert_eq!(
            check_code(&code_with_consts(1, b"q"), 11),
            broken(at, "bad marshal data (unknown type code)")
        );
    }

    #[test]
    fn rejects_code_objects_whose_fields_are_of_the_wrong_kind() {
        let good = code_with_consts(0, b"");
        // argcount -1: counts are not negative.
        let mut negative = good.clone();
        negative[1..5].copy_from_slice(&(-1i32).to_le_bytes());
        assert_eq!(
            check_code(&negative, 11),
            broken(5, "bad code object (negative count)")
        );
        // flags (the fifth 32-bit field) may use any bit.
        let mut flags = good.clone();
        flags[17..21].copy_from_slice(&(-1i32).to_le_bytes());
        assert_eq!(check_code(&flags, 11), Ok(()));
        // The bytecode is None instead of bytes.
        let mut no_bytes = good.clone();
        no_bytes[21] = b'N';
        assert_eq!(
            check_code(&no_bytes, 11),
            broken(21, "bad code object (a field of the wrong type)")
        );
        // The constants are a list instead of a tuple.
        let mut list = good.clone();
        list.splice(26..28, *b"[\0\0\0\0");
        assert_eq!(
            check_code(&list, 11),
            broken(26, "bad code object (a field of the wrong type)")
        );
        // 3.10 reads six counts before the bytecode: the sixth is
        // `s\0\0\0` here, and the next byte, 0, is no type code.
        assert_eq!(
            check_code(&good, 10),
            broken(25, "bad marshal data (unknown type code)")
        );
    }

    #[test]
    fn accepts_every_kind_of_constant() {
        let nested = code_with_consts(0, b"");
        let mut consts = Vec::new();
        let items: &[&[u8]] = &[
            b"N",
            b"F",
            b"T",
            b"S",
            b".",
            b"\xe9\x07\0\0\0", // int 7, flagged for reference 0
            b"r\0\0\0\0",
            b"I\x01\0\0\0\0\0\0\0",
            b"g\0\0\0\0\0\0\xf8\x3f",
            b"y\0\0\0\0\0\0\xf0\x3f\0\0\0\0\0\0\0\0",
            b"f\x031.5",
            b"x\x011\x012",
            b"l\x02\0\0\0\x01\0\x01\0",
            b"l\xfe\xff\xff\xff\xff\x7f\x01\0",
            b"l\0\0\0\0",
            b"s\x02\0\0\0ab",
            b"u\x03\0\0\0\xe2\x82\xac",
            b"t\x03\0\0\0\xed\xa0\x80", // a lone surrogate, as surrogatepass
            b"a\x02\0\0\0\xff\xfe",
            b"A\x01\0\0\0a",
            b"z\x01a",
            b"Z\0",
            b"(\x01\0\0\0N",
            b")\x02NN",
            b"[\x01\0\0\0N",
            b"<\x01\0\0\0N",
            b">\0\0\0\0",
            b"{NT0",
            // A dict (reference 1) whose key is an int (reference 2) and
            // whose value is the dict itself (containers register before
            // their items), then the NULL that ends it.
            b"\xfb\xe9\x01\0\0\0r\x01\0\0\x000",
            &nested,
        ];
        for item in items {
            consts.extend_from_slice(item);
        }
        let n = u8::try_from(items.len()).unwrap();
        assert_eq!(check_code(&code_with_consts(n, &consts), 11), Ok(()));
        for minor in 11..=14 {
            assert_eq!(
                check_code(&code_with_consts(0, b""), minor),
                Ok(()),
                "3.{minor}"
            );
        }
        // Bytes after the code object are ignored, as marshal.loads does.
        let mut trailing = code_with_consts(0, b"");
        trailing.extend_from_slice(b"q\0\xff");
        assert_eq!(check_code(&trailing, 11), Ok(()));
    }

    #[test]
    fn constant_slices_from_3_14() {
        let at = CONSTS;
        // x[1:2] and x[::2]: start, stop and step.
        let slices = code_with_consts(2, b":i\x01\0\0\0i\x02\0\0\0N:NNi\x02\0\0\0");
        assert_eq!(check_code(&slices, 14), Ok(()));
        assert_eq!(
            check_code(&slices, 13),
            broken(at, "bad marshal data (unknown type code)")
        );
        // A slice reserves its reference before its items (as a code
        // object or a frozenset): an item cannot be the slice itself, a
        // later object can.
        let later = code_with_consts(2, b"\xbaNNNr\0\0\0\0");
        assert_eq!(check_code(&later, 14), Ok(()));
        let itself = code_with_consts(1, b"\xbaNr\0\0\0\0N");
        assert_eq!(
            check_code(&itself, 14),
            broken(at + 7, "bad marshal data (invalid reference)")
        );
        let null = code_with_consts(1, b":N0N");
        assert_eq!(
            check_code(&null, 14),
            broken(at + 3, "NULL object in marshal data")
        );
        // The data ends before the slice's step.
        let short = code_with_consts(1, b":NN");
        assert_eq!(
            check_code(&short[..at + 3], 14),
            broken(at + 3, "marshal data too short")
        );
    }

    #[test]
    fn nesting_stops_where_marshal_stops() {
        // The code object is at depth 0 and its constants at 1: CPython
        // loads an object at depth 1999 (nesting 2000) and refuses one at
        // depth 2000, here the `N` inside the 1998 tuples.
        let nested = |k: usize| {
            let mut consts = b")\x01".repeat(k);
            consts.push(b'N');
            code_with_consts(1, &consts)
        };
        assert_eq!(check_code(&nested(1997), 14), Ok(()));
        assert_eq!(
            check_code(&nested(1998), 14),
            broken(CONSTS + 2 * 1998, "bad marshal data (nesting too deep)")
        );
    }

    /// A module using most of what a compiler puts in a pyc: big and
    /// negative longs, floats, complex, bytes, non-ASCII and surrogate
    /// text, frozensets, nested functions, classes, lambdas,
    /// comprehensions, generators and coroutines. Valid from 3.6 on.
    const MODULE: &str = r#""""A module."""
import os
X = 1
BIG = 2 ** 100
NEG = -(2 ** 70)
F = 1.5
C = 2j + 1
B = b"bytes\xff"
S = "text \u00e9 \u20ac"
SUR = "\udc80"
T = (1, "a", None, True, False, ..., (2.5, b""))
def f(a, b=2, *args, c, **kw):
    """Doc."""
    if a in {1, 2, 3}:
        return lambda y: y + a
    return [x * 2 for x in args if x not in {"p", "q"}], {k: v for k, v in kw.items()}
class K(object):
    """Class doc."""
    attr: int = 3
    def m(self):
        return super().m(), f"{self!r:>10}"
async def g(x, y):
    async with x:
        return await y
def gen():
    yield from range(3)
try:
    pass
except ValueError as e:
    raise RuntimeError() from e
finally:
    X = os.sep
"#;

    /// The body (after its header) of the pyc `python` writes for
    /// [`MODULE`] with py_compile, and the interpreter's minor version.
    fn real_body(python: &std::path::Path, dir: &std::path::Path) -> (Vec<u8>, u8) {
        let source = dir.join("module.py");
        let pyc = dir.join("module.pyc");
        std::fs::write(&source, MODULE).unwrap();
        let out = std::process::Command::new(python)
            .args(["-I", "-c"])
            .arg(
                "import py_compile, sys\n\
                 py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)\n\
                 print(sys.version_info[1])",
            )
            .arg(&source)
            .arg(&pyc)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        assert!(
            out.status.success(),
            "{}: {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let minor: u8 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        // 3.7 added the flags word (PEP 552): 16 bytes of header, 12 before.
        let header = if minor >= 7 { 16 } else { 12 };
        (std::fs::read(&pyc).unwrap()[header..].to_vec(), minor)
    }

    #[test]
    fn accepts_the_pyc_python_3_11_writes() {
        let tmp = tempfile::tempdir().unwrap();
        let (body, minor) = real_body(std::path::Path::new("/usr/bin/python3.11"), tmp.path());
        assert_eq!(minor, 11);
        assert_eq!(check_code(&body, 11), Ok(()));
        // Cut inside the code object's first count.
        assert_eq!(
            check_code(&body[..3], 11),
            broken(1, "marshal data too short")
        );
    }

    /// Every CPython 3.6+ that pyenv installed here (the same interpreters
    /// the integration tests use), each walked as its own version.
    #[test]
    fn accepts_the_pycs_every_pyenv_python_writes() {
        let home = std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
        let mut pythons: Vec<_> = std::fs::read_dir(home.join(".pyenv/versions"))
            .into_iter()
            .flatten()
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                let minor: u8 = name.strip_prefix("3.")?.split('.').next()?.parse().ok()?;
                let python = home.join(format!(".pyenv/versions/{name}/bin/python3.{minor}"));
                (minor >= 6 && python.is_file()).then_some((python, minor))
            })
            .collect();
        pythons.sort();
        assert!(
            !pythons.is_empty(),
            "no CPython 3.6+ in ~/.pyenv/versions: pyenv install 3.13 (and others)"
        );
        let tmp = tempfile::tempdir().unwrap();
        for (python, want) in &pythons {
            let (body, minor) = real_body(python, tmp.path());
            assert_eq!(minor, *want, "{}", python.display());
            assert_eq!(check_code(&body, minor), Ok(()), "{}", python.display());
        }
    }
}
