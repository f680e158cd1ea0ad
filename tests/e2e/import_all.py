# Imports modules one after the other in this interpreter and says how each
# went (tests/e2e/test_imports.py). Run by the interpreter under test as
#
#   python -I [-O|-OO] -X frozen_modules=off import_all.py NAMES FD [SITEDIR]
#
# NAMES is a file of module names, one a line; FD a descriptor open for
# writing, where each module gets a line "begin NAME" before its import and
# "end NAME ok" or "end NAME error TYPE: MESSAGE" after it (tab-separated,
# the message on one line); "done" ends the run. Whatever the modules print
# goes to stdout and stderr, never into FD. SITEDIR, when given and not on
# sys.path yet, is added as site.addsitedir adds a site-packages: the way a
# stock CPython's site.py adds PREFIX/lib/pythonX.Y/site-packages, which a
# Debian-patched site.py (Debian's python3.11, copied with its library)
# replaces with dist-packages directories.
#
# Modules may change the interpreter's state on import: what would change
# later imports (the import system, the flags that decide whether bytecode
# is written, the working directory, warnings turned into errors, output
# streams, an alarm) is put back after each one, so that a module cannot
# hide the writes of the next ones. Runs on CPython 3.6 and later.
import builtins
import os
import signal
import sys
import warnings


def one_line(text):
    return " ".join(str(text).split())[:300]


def main():
    names_file, fd = sys.argv[1], int(sys.argv[2])
    if len(sys.argv) > 3 and sys.argv[3] not in sys.path:
        import site

        site.addsitedir(sys.argv[3])
    # Modules that are scripts read sys.argv on import (3.13's
    # test.tf_inherit_check writes to the descriptor argv[2] names): they
    # see no arguments.
    del sys.argv[1:]
    out = os.fdopen(fd, "w", buffering=1)
    with open(names_file) as f:
        names = [line.strip() for line in f if line.strip()]
    saved = {
        "path": list(sys.path),
        "meta_path": list(sys.meta_path),
        "path_hooks": list(sys.path_hooks),
        "path_importer_cache": dict(sys.path_importer_cache),
        "cwd": os.getcwd(),
        "environ": dict(os.environ),
        "filters": list(warnings.filters),
        "streams": (sys.stdin, sys.stdout, sys.stderr),
        "import": builtins.__import__,
        "recursion": sys.getrecursionlimit(),
    }
    for name in names:
        out.write("begin\t%s\n" % name)
        try:
            __import__(name)
            result = "ok"
        except BaseException as e:  # SystemExit, KeyboardInterrupt too: a module's own doing
            result = "error\t%s: %s" % (type(e).__name__, one_line(e))
        signal.alarm(0)
        sys.settrace(None)
        sys.setprofile(None)
        sys.path[:] = saved["path"]
        sys.meta_path[:] = saved["meta_path"]
        sys.path_hooks[:] = saved["path_hooks"]
        sys.path_importer_cache.clear()
        sys.path_importer_cache.update(saved["path_importer_cache"])
        sys.dont_write_bytecode = False
        if hasattr(sys, "pycache_prefix"):
            sys.pycache_prefix = None
        os.chdir(saved["cwd"])
        if dict(os.environ) != saved["environ"]:
            os.environ.clear()
            os.environ.update(saved["environ"])
        warnings.filters[:] = saved["filters"]
        sys.stdin, sys.stdout, sys.stderr = saved["streams"]
        builtins.__import__ = saved["import"]
        sys.setrecursionlimit(saved["recursion"])
        out.write("end\t%s\t%s\n" % (name, result))
    out.write("done\n")
    out.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    # Threads a module started must not keep the process alive.
    os._exit(0)


main()
