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
import importlib.util
import os
import py_compile
import sys


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


def main():
    mode = sys.argv[1]
    options = {}
    if sys.version_info >= (3, 7):
        name = mode.upper().replace("-", "_")
        options["invalidation_mode"] = py_compile.PycInvalidationMode[name]
    elif mode != "timestamp":
        sys.exit("hash-based pycs need CPython 3.7 or later")
    out = sys.stdout.buffer
    tag = sys.implementation.cache_tag or "None"
    magic = importlib.util.MAGIC_NUMBER.hex()
    out.write(b"ready\0" + tag.encode() + b"\0" + magic.encode() + b"\0")
    out.flush()
    for source, dfile, levels in requests(sys.stdin.buffer):
        try:
            for level, cfile in levels:
                py_compile.compile(
                    os.fsdecode(source),
                    cfile=os.fsdecode(cfile),
                    dfile=os.fsdecode(dfile),
                    doraise=True,
                    optimize=level,
                    **options
                )
        except Exception as exc:
            message = describe(exc).replace("\0", " ")
            reply = [source, b"error", message.encode("utf-8", "backslashreplace")]
        else:
            reply = [source, b"ok"]
        out.write(b"".join(field + b"\0" for field in reply))
        out.flush()


main()
