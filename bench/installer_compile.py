"""Compiles sources the way pypa/installer does when a FreeBSD py-* port is staged.

    python3.X -I bench/installer_compile.py STAGEDIR LEVEL... < PATHS

PATHS: NUL-separated source files below STAGEDIR. For each file and each
level in turn this calls compileall.compile_file(path, optimize=level,
stripdir=STAGEDIR), as installer's SchemeDictionaryDestination._compile_bytecode
does (src/installer/destinations.py; `python -m installer` compiles levels 0
and 1 unless told otherwise), so the code objects record the installed path
(/usr/local/...). quiet=1: installer prints every file, which we do not need;
what is written is the same. Prints how many (file, level) pairs did not
compile.
"""

import compileall
import sys


def main() -> int:
    stage, levels = sys.argv[1], [int(x) for x in sys.argv[2:]]
    failed = 0
    for raw in sys.stdin.buffer.read().split(b"\0"):
        if not raw:
            continue
        path = raw.decode("utf-8", "surrogateescape")
        for level in levels:
            if not compileall.compile_file(path, optimize=level, quiet=1, stripdir=stage):
                failed += 1
    print(failed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
