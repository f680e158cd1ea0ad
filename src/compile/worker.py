# pycache compile worker: one long-lived interpreter compiling what the
# engine sends. It never decides what is fresh; it compiles what it is told.
#
# Framing (stdin and stdout are bytes, every field ends with NUL, so any
# file name works):
#   start:    worker writes  b"ready" TAG MAGIC_HEX
#   request:  engine writes  SOURCE DFILE (LEVEL CFILE)... b""
#   reply:    worker writes  SOURCE b"ok"  |  SOURCE b"error" MESSAGE
# argv[1] is the invalidation mode (timestamp, checked-hash, unchecked-hash).
# Runs on CPython 3.6 and later.
import codecs
import importlib.util
import os
import py_compile
import re
import stat
import sys
import types

try:  # CPython 3.7+: the pieces py_compile.compile itself is made of
    from importlib._bootstrap_external import _code_to_hash_pyc, _code_to_timestamp_pyc
except ImportError:  # 3.6, or a CPython without them: py_compile per level
    _code_to_timestamp_pyc = None


def fields(stream):
    pending = b""
    while True:
        chunk = stream.read1(65536)
        if not chunk:
            return
        pending += chunk
        *done, pending = pending.split(b"\0")
        for field in done:
            yield field


def requests(stream):
    it = fields(stream)
    for source in it:
        dfile = next(it)
        levels = []
        while True:
            level = next(it)
            if not level:
                break
            levels.append((int(level), next(it)))
        yield source, dfile, levels


def describe(exc):
    if isinstance(exc, py_compile.PyCompileError):
        exc = exc.exc_value
    if isinstance(exc, SyntaxError):
        where = " (line %s)" % exc.lineno if exc.lineno else ""
        return "%s: %s%s" % (type(exc).__name__, exc.msg, where)
    return "%s: %s" % (type(exc).__name__, exc)


# -O drops `assert` statements and folds `__debug__`; nothing else changes.
# (Found with `in` first: a regular expression alone costs several times more.)
ASSERT_WORD = re.compile(rb"\bassert\b")
# PEP 263 declarations, found as loosely as the tokenizer could find them.
CODING = re.compile(rb"coding[:=][ \t]*([-\w.]*)")
# Encodings in which those words can only be spelled as their ASCII bytes
# (utf-7 and unicode_escape, for two, can spell them otherwise).
PLAIN_ENCODINGS = {"utf-8", "ascii", "iso8859-1"}


def same_at_levels_0_and_1(source):
    """Whether -O provably cannot change this source's code, so that levels
    0 and 1 can share one compile: no word `assert` or `__debug__` in it (a
    mention in a comment or a string only costs a compile), read in an
    encoding where the bytes are the words."""
    if b"__debug__" in source or (b"assert" in source and ASSERT_WORD.search(source)):
        return False
    end = source.find(b"\n", source.find(b"\n") + 1)
    head = source if end < 0 else source[:end]
    for name in CODING.findall(head):
        try:
            if codecs.lookup(name.decode()).name not in PLAIN_ENCODINGS:
                return False
        except LookupError:
            return False
    return True


# -OO drops docstrings and nothing else. Where CPython keeps them was checked
# for 3.6 to 3.13 (tests/engine.rs); a later version compiles level 2 apart.
DOCSTRINGS_KNOWN = sys.version_info[:2] <= (3, 13)
CO_OPTIMIZED = 0x1  # a function's code, as opposed to a module's or class's
# Functions that cannot have a docstring, whatever their first constant
# (these names are not identifiers, so no `def` has them).
NO_DOCSTRING = {"<lambda>", "<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"}


def may_hold_docstrings(code):
    """Whether -OO could change this level-1 code object or one nested in
    it: a module or class stores its docstring as `__doc__`, a function
    keeps its own as its first constant (None when it has none). Any other
    `__doc__` or leading string only costs a compile."""
    if "__doc__" in code.co_names:
        return True
    consts = code.co_consts
    if (
        code.co_flags & CO_OPTIMIZED
        and code.co_name not in NO_DOCSTRING
        and consts
        and isinstance(consts[0], str)
    ):
        return True
    return any(may_hold_docstrings(c) for c in consts if isinstance(c, types.CodeType))


def distinct_codes(data, levels, compile_at):
    """(level, code) for each of `levels`, ascending, calling compile_at(level)
    only where the code is not provably another level's: 0 and 1 share when
    -O changes nothing, 1 and 2 when there is no docstring to drop."""
    zero_is_one = same_at_levels_0_and_1(data)
    codes = {}
    for level in sorted(levels):
        one = codes.get(1, codes.get(0) if zero_is_one else None)
        if zero_is_one and level < 2 and 1 - level in codes:
            code = codes[1 - level]
        elif level == 2 and DOCSTRINGS_KNOWN and one is not None and not may_hold_docstrings(one):
            code = one
        else:
            code = compile_at(level)
        codes[level] = code
        yield level, code


def compile_levels(source, dfile, levels, mode):
    """py_compile.compile(source, cfile, dfile, doraise=True, optimize=level,
    invalidation_mode=mode) for each level, reading the source once,
    compiling it once per distinct code (distinct_codes) and writing each
    distinct pyc once (write_linked). Nothing is written unless every level
    compiled."""
    if _code_to_timestamp_pyc is None or mode is None:
        options = {} if mode is None else {"invalidation_mode": mode}
        for level, cfile in levels:
            py_compile.compile(
                source, cfile=cfile, dfile=dfile, doraise=True, optimize=level, **options
            )
        return
    # As py_compile: never write through a link or over a non-file.
    absent = set()
    for _, cfile in levels:
        try:
            if not stat.S_ISREG(os.lstat(cfile).st_mode):
                raise FileExistsError("%s is a symlink or not a regular file" % cfile)
        except FileNotFoundError:
            absent.add(cfile)
    with open(source, "rb") as f:  # as SourceFileLoader.get_data
        st = os.fstat(f.fileno())
        data = f.read()
    if mode == py_compile.PycInvalidationMode.TIMESTAMP:

        def to_pyc(code):
            return _code_to_timestamp_pyc(code, st.st_mtime, st.st_size)

    else:
        digest = importlib.util.source_hash(data)
        checked = mode == py_compile.PycInvalidationMode.CHECKED_HASH

        def to_pyc(code):
            return _code_to_hash_pyc(code, digest, checked)

    def compile_at(level):  # as SourceLoader.source_to_code
        try:
            return compile(data, dfile, "exec", dont_inherit=True, optimize=level)
        except Exception as err:
            raise py_compile.PyCompileError(err.__class__, err, dfile)

    cfiles = dict(levels)
    groups = []  # (pyc, [cfile, ...]): consecutive levels with the same bytes
    last = None, None  # a shared code object is marshalled once
    for level, code in distinct_codes(data, cfiles, compile_at):
        pyc = last[1] if code is last[0] else to_pyc(code)
        if groups and groups[-1][0] == pyc:
            groups[-1][1].append(cfiles[level])
        else:
            groups.append((pyc, [cfiles[level]]))
        last = code, pyc
    file_mode = st.st_mode | 0o200  # as _calc_mode: the source's, writable
    for pyc, names in groups:
        write_linked(names, pyc, file_mode, absent)


def write_linked(cfiles, pyc, mode, absent):
    """Writes the bytes `pyc` as every file of `cfiles`, levels that compile
    to the same pyc: one inode with a name per level, as compileall's
    --hardlink-dupes makes them. A third of a site-packages' pycs then cost
    no inode, data or writeback of their own. Each name appears whole, by a
    link or a rename from a temporary file no one else writes, never half
    written; where a link cannot be made the bytes are written again."""
    temp = write_temporary(cfiles[0], pyc, mode)
    try:
        for cfile in cfiles[1:]:
            if not link(temp, cfile, cfile in absent):
                move(write_temporary(cfile, pyc, mode), cfile)
        move(temp, cfiles[0])
    except OSError:
        discard(temp)
        raise


def write_temporary(path, pyc, mode):
    """A new file beside `path` holding `pyc` (named by `temporary`), its
    `__pycache__` made when missing; returns its name."""
    flags = os.O_EXCL | os.O_CREAT | os.O_WRONLY

    def create(name):
        return os.open(name, flags, mode & 0o666)

    try:
        temp, fd = temporary(path, create)
    except FileNotFoundError:  # no __pycache__ yet
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp, fd = temporary(path, create)
    try:
        with open(fd, "wb") as f:
            f.write(pyc)
    except OSError:
        discard(temp)
        raise
    return temp


def link(existing, cfile, absent):
    """Makes `cfile` another name of `existing`; one already there is
    replaced by a rename. False where the filesystem will not link (or the
    name appeared meanwhile)."""
    try:
        if absent:
            os.link(existing, cfile)
        else:
            temp, _ = temporary(cfile, lambda name: os.link(existing, name))
            move(temp, cfile)
        return True
    except OSError:
        return False


def move(temp, path):
    """os.replace(temp, path); the temporary file is removed if that fails."""
    try:
        os.replace(temp, path)
    except OSError:
        discard(temp)
        raise


def temporary(path, make):
    """(name, make(name)) for a name beside `path` that nothing else uses,
    made with O_EXCL or link: the worker's pid and a counter, stepping over a
    file that a killed worker left behind (a name from id(), as
    importlib's _write_atomic makes, can recur in the next worker and fail
    every run)."""
    for n in range(100):
        name = "%s.%d.%d" % (path, os.getpid(), n)
        try:
            return name, make(name)
        except FileExistsError:
            pass
    raise FileExistsError("%s: 100 temporary files are in the way" % path)


def discard(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def main():
    mode = None  # 3.6: timestamps only, py_compile's default
    if sys.version_info >= (3, 7):
        mode = py_compile.PycInvalidationMode[sys.argv[1].upper().replace("-", "_")]
    elif sys.argv[1] != "timestamp":
        sys.exit("hash-based pycs need CPython 3.7 or later")
    out = sys.stdout.buffer
    tag = sys.implementation.cache_tag or "None"
    magic = importlib.util.MAGIC_NUMBER.hex()
    out.write(b"ready\0" + tag.encode() + b"\0" + magic.encode() + b"\0")
    out.flush()
    for source, dfile, levels in requests(sys.stdin.buffer):
        try:
            compile_levels(
                os.fsdecode(source),
                os.fsdecode(dfile),
                [(level, os.fsdecode(cfile)) for level, cfile in levels],
                mode,
            )
        except Exception as exc:
            message = describe(exc).replace("\0", " ")
            reply = [source, b"error", message.encode("utf-8", "backslashreplace")]
        else:
            reply = [source, b"ok"]
        out.write(b"".join(field + b"\0" for field in reply))
        out.flush()


if __name__ == "__main__":  # run with -c; bench/floor.py imports it
    main()
