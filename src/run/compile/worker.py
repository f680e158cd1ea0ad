# pycache compile worker: one long-lived interpreter compiling what the
# engine sends. It never decides what is fresh; it compiles what it is told.
#
# Framing (stdin and stdout are bytes, every field ends with NUL, so any
# file name works):
#   start:    worker writes  GREETING TAG MAGIC_HEX PID
#   request:  engine writes  SOURCE TARGET DEV INO DFILE (LEVEL CFILE)... b""
#   reply:    worker writes  SOURCE b"ok" STARTED  |  SOURCE b"error" MESSAGE
#             (STARTED: interpreters the worker started for the file, see
#             fresh_body)
# GREETING is a marker the engine looks for, skipping whatever a wrapper or
# the interpreter printed before it; after it, file descriptor 1 points at
# stderr and replies go to a private copy of the original stdout, so nothing
# else can write into the protocol.
# TARGET is empty for a source that is a regular file, else the file the
# source (a symlink) led to when the engine judged it; DEV and INO identify
# the file judged, in decimal: the file read must be that very file.
# argv[1] is the invalidation mode (timestamp, checked-hash, unchecked-hash).
# Run with -I -S (no site, no .pth). Runs on CPython 3.6 and later.
import codecs
import errno
import importlib.util
import os
import py_compile
import re
import signal
import stat
import sys
import types
import unicodedata

try:  # the pieces py_compile.compile itself is made of
    from importlib._bootstrap_external import _code_to_hash_pyc, _code_to_timestamp_pyc
except ImportError:  # 3.6: timestamps only, same arguments
    from importlib._bootstrap_external import _code_to_bytecode as _code_to_timestamp_pyc

GREETING = b"\0pycache-worker-ready\0"


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
        target, dev, ino, dfile = next(it), int(next(it)), int(next(it)), next(it)
        levels = []
        while True:
            level = next(it)
            if not level:
                break
            levels.append((int(level), next(it)))
        yield source, target, (dev, ino), dfile, levels


def describe(exc):
    if isinstance(exc, NotJudged):
        return str(exc)
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
    encoding where the bytes are the words. CPython NFKC-normalizes
    identifiers, so `__\U0001d4b9ebug__` is `__debug__`: a source with bytes
    beyond ASCII is normalized whole and looked at again. (Keywords are not
    normalized: `\uff41ssert` is a syntax error on 3.6 to 3.14.)"""
    if b"__debug__" in source or (b"assert" in source and ASSERT_WORD.search(source)):
        return False
    end = source.find(b"\n", source.find(b"\n") + 1)
    head = source if end < 0 else source[:end]
    encoding = "utf-8"
    for name in CODING.findall(head):
        try:
            encoding = codecs.lookup(name.decode()).name
        except LookupError:
            return False
        if encoding not in PLAIN_ENCODINGS:
            return False
    if is_ascii(source):
        return True
    try:
        text = source.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except UnicodeDecodeError:
        return False  # does not compile: the compiles say why
    return "__debug__" not in unicodedata.normalize("NFKC", text)


if hasattr(bytes, "isascii"):  # 3.7+
    is_ascii = bytes.isascii
else:
    NOT_ASCII = re.compile(rb"[\x80-\xff]")

    def is_ascii(data):
        return NOT_ASCII.search(data) is None


# -OO drops docstrings and nothing else. Where CPython keeps them was checked
# for 3.6 to 3.14 (tests/bytecode_oracle.rs; 3.14 in tests/py314.rs against
# pyodide's CPython 3.14); a later version compiles level 2 apart.
VERSION = sys.version_info[:2]
CO_OPTIMIZED = 0x1  # a function's code, as opposed to a module's or class's
# 3.14 marks a function that has a docstring (kept as its first constant);
# -OO leaves the flag out with the docstring.
CO_HAS_DOCSTRING = 0x4000000
# Functions that cannot have a docstring, whatever their first constant
# (these names are not identifiers, so no `def` has them).
NO_DOCSTRING = {"<lambda>", "<listcomp>", "<setcomp>", "<dictcomp>", "<genexpr>"}


def function_docstring_to_3_13(code):
    """Up to 3.13 a function keeps its docstring as its first constant, and
    one without has None there: a leading string may be a docstring."""
    consts = code.co_consts
    return bool(
        code.co_flags & CO_OPTIMIZED
        and code.co_name not in NO_DOCSTRING
        and consts
        and isinstance(consts[0], str)
    )


def function_docstring_3_14(code):
    """3.14 flags a function with a docstring; its first constant is
    anything otherwise."""
    return bool(code.co_flags & CO_HAS_DOCSTRING)


if VERSION <= (3, 13):
    function_docstring = function_docstring_to_3_13
elif VERSION == (3, 14):
    function_docstring = function_docstring_3_14
else:
    function_docstring = None
DOCSTRINGS_KNOWN = function_docstring is not None


def may_hold_docstrings(code):
    """Whether -OO could change this level-1 code object or one nested in
    it: a module or class stores its docstring as `__doc__`, a function
    keeps its own as a constant (function_docstring says how each version
    shows it). Any other `__doc__` or leading string only costs a compile."""
    if "__doc__" in code.co_names or function_docstring(code):
        return True
    return any(may_hold_docstrings(c) for c in code.co_consts if isinstance(c, types.CodeType))


def distinct_codes(data, levels, compile_at):
    """(level, code) for each of `levels`, ascending, calling compile_at(level)
    only where the code is not provably another level's: 0 and 1 share when
    -O changes nothing, 1 and 2 when there is no docstring to drop. A level
    whose code is the previous level's comes with None. No code object is
    kept across a compile: marshal writes an object's references by its
    reference count, so a pyc's bytes are py_compile's only when nothing
    else holds its constants (the caller drops each code once marshalled)."""
    zero_is_one = same_at_levels_0_and_1(data)
    docstrings = None  # whether level 1's code may hold docstrings, once known
    previous = None
    for level in sorted(levels):
        if previous == 0 and level == 1 and zero_is_one:
            code = None
        elif level == 2 and DOCSTRINGS_KNOWN and docstrings is False:
            code = None  # the previous level's is level 1's code
        else:
            code = compile_at(level)
            if level == 1 or (level == 0 and zero_is_one):
                docstrings = may_hold_docstrings(code)
        previous = level
        yield level, code
        del code


# CPython 3.12 (alone among 3.6 to 3.14) makes a module's equal constants
# one object while compiling, then replaces a frozenset of strings by a new
# one in each code object when any of its strings was already interned: a
# frozenset used in two functions is then one object (marshalled once, then
# referenced) when its strings are new to the process and two otherwise.
# Interned strings live as long as the process, so a second compile of a
# source (another level, or another file sharing the strings) marshals to
# other bytes than py_compile in a fresh interpreter: 3.12's ftplib.py at
# level 2 after level 0. Such a code is compiled again by a new interpreter
# (fresh_body): a handful of files in a standard library.
UNMERGES = VERSION == (3, 12)
EMPTY_CODE = compile(b"", "", "exec", dont_inherit=True)
FRESH = (
    "import sys, marshal, py_compile\n"
    "data = sys.stdin.buffer.read()\n"
    "code = compile(data, sys.argv[1], 'exec', dont_inherit=True, optimize=int(sys.argv[2]))\n"
    "sys.stdout.buffer.write(marshal.dumps(code))\n"
)


def unmerged(code):
    """Whether equal frozensets of `code`'s tree are distinct objects (see
    UNMERGES). Keeps no reference once it returns."""
    seen = {}
    stack = [code]
    while stack:
        for const in stack.pop().co_consts:
            if type(const) is frozenset:
                if seen.setdefault(const, id(const)) != id(const):
                    return True
            elif isinstance(const, types.CodeType):
                stack.append(const)
    return False


# Interpreters fresh_body started for the file being compiled.
started = 0


def fresh_body(data, dfile, level):
    """marshal.dumps of the code of `data` at `level`, compiled by a new
    interpreter as py_compile would in a fresh one (`-I -S -B`, like this
    worker; it inherits the worker's memory limit and process group)."""
    import subprocess

    global started
    started += 1
    child = subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", FRESH, dfile, str(level)],
        input=data,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={},
    )
    if child.returncode != 0:
        raise OSError(
            "a fresh interpreter failed to compile it (exit %d): %s"
            % (child.returncode, child.stderr.decode("utf-8", "replace").strip()[-200:])
        )
    return child.stdout


class Terminated(BaseException):
    """SIGTERM: the worker stops where it is, removing what it half wrote."""


def on_sigterm(signum, frame):
    raise Terminated()


# Directories are opened one component at a time, never through a link: a
# name swapped for a symlink meanwhile makes that file fail, it never
# redirects a write. O_CLOEXEC: no descriptor leaks into anything started.
DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
CREATE_FLAGS = os.O_EXCL | os.O_CREAT | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)


def open_directory(path):
    """A descriptor of the absolute directory `path` (as the engine found it,
    links resolved), each component opened relative to the one before
    without following a link."""
    names = [name for name in path.split("/") if name]
    fd = os.open("/", DIR_FLAGS)
    try:
        for i, name in enumerate(names):
            try:
                child = os.open(name, DIR_FLAGS, dir_fd=fd)
            except PermissionError:
                # A directory that can be searched but not read (0711, for
                # a user other than root): opened by its path instead, the
                # link check kept for its last component.
                child = os.open("/" + "/".join(names[: i + 1]), DIR_FLAGS)
            except OSError as err:
                raise not_a_directory(err, path)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def not_a_directory(err, path):
    """The error for a directory that could not be opened: ELOOP (Linux)
    or EMLINK (FreeBSD) for a link, ENOTDIR for another file."""
    if err.errno in (errno.ELOOP, errno.EMLINK, errno.ENOTDIR):
        return OSError(
            err.errno, "%s is a symlink or not a directory; not writing through it" % path
        )
    return err


def open_pycache(dir_fd, parent, name):
    """The `__pycache__` directory `name` in the source's directory
    `dir_fd`, made when missing with `parent`'s permission bits minus
    group and world write, whatever the umask, and the group and
    set-group-ID bit the kernel gives a new directory there."""
    made = False
    try:
        return os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except FileNotFoundError:
        mode = stat.S_IMODE(os.fstat(dir_fd).st_mode) & 0o755
        # The bits are given to mkdir with the umask cleared, not set after
        # by chmod: in a set-group-ID directory of a group the user is not
        # in, FreeBSD refuses (EPERM) a chmod that asks for the bit and
        # Linux strips the bit the new directory inherited. mkdir keeps
        # what the kernel gives: the parent's group (always on FreeBSD; on
        # Linux with the bit, as python's own os.makedirs gets). The worker
        # has one thread: no other file is made while the umask is 0.
        umask = os.umask(0)
        try:
            os.mkdir(name, mode, dir_fd=dir_fd)
            made = True
        except FileExistsError:  # made by someone else meanwhile: only opened
            pass
        finally:
            os.umask(umask)
    except OSError as err:
        raise not_a_directory(err, os.path.join(parent, name))
    try:
        fd = os.open(name, DIR_FLAGS, dir_fd=dir_fd)
    except OSError as err:
        raise not_a_directory(err, os.path.join(parent, name))
    if made:
        try:
            fix_mode(fd, mode)
        except BaseException:
            os.close(fd)
            raise
    return fd


class NotJudged(Exception):
    """The file at a source's name is not the file the engine judged."""


def read_judged(dir_fd, name, target, identity):
    """(fstat, bytes) of the file the engine judged: the source `name` in
    `dir_fd`, or for a symlink its checked `target`, opened without
    following a link and without blocking (a FIFO never hangs the worker),
    and refused unless it is a regular file with the judged device and
    inode (`identity`). A name swapped since the scan, for a link or
    another file, is never read: as root, that could put a file its owner
    cannot read into a pyc everyone can."""
    read_dir = dir_fd
    if target:
        try:
            read_dir = open_directory(os.path.dirname(target))
        except OSError:
            raise NotJudged("its target %s moved since it was judged; not compiled" % target)
        name = os.path.basename(target)
    try:
        fd = os.open(name, FILE_FLAGS | os.O_NOFOLLOW, dir_fd=read_dir)
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.EMLINK):
            raise NotJudged("replaced by a symlink since it was judged; not compiled")
        raise
    finally:
        if read_dir != dir_fd:
            os.close(read_dir)
    with open(fd, "rb") as f:  # as SourceFileLoader.get_data
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise NotJudged("not a regular file since it was judged; not compiled")
        if (st.st_dev, st.st_ino) != identity:
            raise NotJudged(
                "another file since it was judged (device and inode differ); not compiled"
            )
        return st, f.read()


def fix_mode(fd, mode):
    """Gives the new directory `fd` the permission bits `mode` where
    something other than the umask (a default ACL) gave it others. The
    set-group-ID bit the kernel gave is asked for again only where it is
    allowed: a chmod that the kernel refuses for it is made without it."""
    st_mode = os.fstat(fd).st_mode
    if stat.S_IMODE(st_mode) & 0o777 == mode:
        return
    try:
        os.fchmod(fd, mode | (st_mode & stat.S_ISGID))
    except PermissionError:
        os.fchmod(fd, mode)


def compile_levels(source, target, identity, dfile, levels, mode):
    """py_compile.compile(source, cfile, dfile, doraise=True, optimize=level,
    invalidation_mode=mode) for each level, reading the source once,
    compiling it once per distinct code (distinct_codes) and writing each
    distinct pyc once (write_linked). The bytes read are those of the file
    the engine judged (read_judged). Every file is made relative to a
    descriptor of its `__pycache__` opened without following links. Nothing
    is written unless every level compiled."""
    src_dir, src_name = os.path.split(source)
    cache_dir = os.path.dirname(levels[0][1])
    if any(os.path.dirname(cfile) != cache_dir for _, cfile in levels) or os.path.dirname(
        cache_dir
    ) != src_dir:
        raise ValueError("cache files of %s are not in one __pycache__ beside it" % source)
    dir_fd = open_directory(src_dir)
    try:
        st, data = read_judged(dir_fd, src_name, target, identity)
        if mode is None or mode == py_compile.PycInvalidationMode.TIMESTAMP:

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
        groups = []  # (pyc, [name, ...]): consecutive levels with the same bytes
        for level, code in distinct_codes(data, cfiles, compile_at):
            # A shared code object is marshalled once; each is dropped at
            # once (see distinct_codes).
            if code is None:
                pyc = groups[-1][0]
            elif UNMERGES and unmerged(code):
                # The header is this source's, whatever the code (16 bytes
                # from 3.7 on).
                pyc = to_pyc(EMPTY_CODE)[:16] + fresh_body(data, dfile, level)
            else:
                pyc = to_pyc(code)
            del code
            name = os.path.basename(cfiles[level])
            if groups and groups[-1][0] == pyc:
                groups[-1][1].append(name)
            else:
                groups.append((pyc, [name]))
        cache_fd = open_pycache(dir_fd, src_dir, os.path.basename(cache_dir))
    finally:
        os.close(dir_fd)
    try:
        # As py_compile: never write through a link or over a non-file.
        absent = set()
        for _, names in groups:
            for name in names:
                try:
                    if not stat.S_ISREG(os.stat(name, dir_fd=cache_fd, follow_symlinks=False).st_mode):
                        raise FileExistsError(
                            "%s/%s is a symlink or not a regular file" % (cache_dir, name)
                        )
                except FileNotFoundError:
                    absent.add(name)
        # The source's read bits, never group- or world-writable, whatever
        # the umask: every user's Python can use the pyc, none can change it.
        file_mode = (stat.S_IMODE(st.st_mode) & 0o444) | 0o200
        for pyc, names in groups:
            write_linked(cache_fd, names, pyc, file_mode, absent)
    finally:
        os.close(cache_fd)


def write_linked(dir_fd, cfiles, pyc, mode, absent):
    """Writes the bytes `pyc` as every file of `cfiles` (names in the
    directory `dir_fd`), levels that compile to the same pyc: one inode with
    a name per level, as compileall's --hardlink-dupes makes them. A third
    of a site-packages' pycs then cost no inode, data or writeback of their
    own. Each name appears whole, by a link or a rename from a temporary
    file no one else writes, never half written; where a link cannot be
    made the bytes are written again."""
    temp = write_temporary(dir_fd, cfiles[0], pyc, mode)
    try:
        for cfile in cfiles[1:]:
            if not link(dir_fd, temp, cfile, cfile in absent):
                move(dir_fd, write_temporary(dir_fd, cfile, pyc, mode), cfile)
        move(dir_fd, temp, cfiles[0])
    except BaseException:
        discard(dir_fd, temp)
        raise


def write_temporary(dir_fd, name, pyc, mode):
    """A new file in `dir_fd` beside `name` holding `pyc` (named by
    `temporary`), with the permission bits `mode`; returns its name."""
    temp, fd = temporary(name, lambda t: os.open(t, CREATE_FLAGS, 0o600, dir_fd=dir_fd))
    try:
        with open(fd, "wb") as f:
            os.fchmod(fd, mode)
            f.write(pyc)
    except BaseException:
        discard(dir_fd, temp)
        raise
    return temp


def link(dir_fd, existing, cfile, absent):
    """Makes `cfile` another name of `existing`; one already there is
    replaced by a rename. False where the filesystem will not link (or the
    name appeared meanwhile, or this Python has no os.link)."""

    def make(name):
        os.link(existing, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)

    if not hasattr(os, "link"):  # WebAssembly's CPython (pyodide) has none
        return False
    try:
        if absent:
            make(cfile)
        else:
            temp, _ = temporary(cfile, make)
            move(dir_fd, temp, cfile)
        return True
    except OSError:
        return False


def move(dir_fd, temp, name):
    """os.replace(temp, name) in `dir_fd`; the temporary file is removed if
    that fails."""
    try:
        os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        discard(dir_fd, temp)
        raise


def temporary(name, make):
    """(name, make(name)) for a name beside `name` that nothing else uses,
    made with O_EXCL or link: the worker's pid and a counter,
    CACHENAME.PID.N, stepping over a file that a killed worker left behind
    (a name from id(), as importlib's _write_atomic makes, can recur in the
    next worker and fail every run)."""
    for n in range(100):
        temp = "%s.%d.%d" % (name, os.getpid(), n)
        try:
            return temp, make(temp)
        except FileExistsError:
            pass
    raise FileExistsError("%s: 100 temporary files are in the way" % name)


def discard(dir_fd, name):
    try:
        os.unlink(name, dir_fd=dir_fd)
    except OSError:
        pass


def main():
    mode = None  # 3.6: timestamps only, py_compile's default
    if sys.version_info >= (3, 7):
        mode = py_compile.PycInvalidationMode[sys.argv[1].upper().replace("-", "_")]
    elif sys.argv[1] != "timestamp":
        sys.exit("hash-based pycs need CPython 3.7 or later")
    # An interrupt from the terminal reaches the whole process group: the
    # engine decides what it means (it stops sending work and closes stdin,
    # so this worker finishes its files and exits). SIGTERM stops it at
    # once, removing what it half wrote.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, on_sigterm)
    out = open(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print now goes to stderr, never into a reply
    tag = sys.implementation.cache_tag or "None"
    magic = importlib.util.MAGIC_NUMBER.hex()
    pid = str(os.getpid())  # names its temporary files, whoever started it
    out.write(GREETING + b"".join(f.encode() + b"\0" for f in (tag, magic, pid)))
    out.flush()
    global started
    for source, target, identity, dfile, levels in requests(sys.stdin.buffer):
        started = 0
        try:
            compile_levels(
                os.fsdecode(source),
                os.fsdecode(target),
                identity,
                os.fsdecode(dfile),
                [(level, os.fsdecode(cfile)) for level, cfile in levels],
                mode,
            )
        except Exception as exc:
            message = describe(exc).replace("\0", " ")
            reply = [source, b"error", message.encode("utf-8", "backslashreplace")]
        else:
            reply = [source, b"ok", str(started).encode()]
        out.write(b"".join(field + b"\0" for field in reply))
        out.flush()


if __name__ == "__main__":  # run with -c; bench/floor.py imports it
    try:
        main()
    except Terminated:
        sys.exit(128 + signal.SIGTERM)
