"""The compile floor of case 2 (bench/bench.py): what compiling alone costs.

    python3.X -I bench/floor.py SITE JOBS

JOBS interpreters compile every `.py` file under SITE at levels 0, 1 and 2,
with the worker's own rule for which levels share one compile
(src/run/compile/worker.py, distinct_codes), largest files first, dealt out in
turn. Nothing is written, marshalled or sent over a pipe: the time left is
CPython's parser and compiler, which any tool writing these pycs with this
interpreter pays. Files that do not compile are skipped.

Levers tried against this floor and rejected (python3.11, every tenth file
of the corpus, 1,022 files, 1,990 compiles, one process, CPU time):
- parse once (PyCF_ONLY_AST) and compile the tree per level: 3.8 s against
  3.0 s, and 2,570 of 3,066 marshalled codes differ in bytes from those of
  compiling the source, as compileall does (why was not looked into).
- compile a decoded str instead of the bytes: 1.43 s against 1.39 s per level.
- a tokenizer-exact test for `assert`: 15 of the 269 files that mention it
  would share levels 0 and 1, under 1% of the compiles.
- the worker's own share tests (same_at_levels_0_and_1, may_hold_docstrings):
  0.04 s of the 3.0 s.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

WORKER = Path(__file__).resolve().parent.parent / "src" / "run" / "compile" / "worker.py"


def sources(site):
    found = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith(".py"):
                path = os.path.join(dirpath, name)
                found.append((-os.lstat(path).st_size, path))
    return [path for _, path in sorted(found)]


def compile_share(site, k, jobs):
    spec = importlib.util.spec_from_file_location("pycache_worker", WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    for path in sources(site)[k::jobs]:
        with open(path, "rb") as f:
            data = f.read()

        def compile_at(level):
            return compile(data, path, "exec", dont_inherit=True, optimize=level)

        try:
            for _ in worker.distinct_codes(data, [0, 1, 2], compile_at):
                pass
        except (SyntaxError, ValueError):
            pass


def main():
    if sys.argv[1] == "share":
        compile_share(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    site, jobs = sys.argv[1], int(sys.argv[2])
    children = [
        subprocess.Popen([sys.executable, "-I", __file__, "share", site, str(k), str(jobs)])
        for k in range(jobs)
    ]
    if any([child.wait() != 0 for child in children]):
        sys.exit("floor: a compiling process failed")


if __name__ == "__main__":
    main()
