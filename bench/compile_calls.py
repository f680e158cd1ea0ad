"""Case 7 of the benchmark (bench/bench.py): compile() calls per source.

    python3.X -I bench/compile_calls.py SITE K JOBS

Runs the worker's own rule for which levels share one compile
(src/run/compile/worker.py, distinct_codes) on every K-th of each JOBS `.py`
files under SITE, sorted by path, for levels 0, 1 and 2, with a
compile_at that counts its calls, and prints one line of JSON: the
version and, for each file (relative to SITE), its compile() calls, or
null where it does not compile on this version. Counts, not times: it runs as well under pyodide's CPython 3.14
(tests/py314/python3.14.mjs), where the benchmark asks 3.14 for its
figure, as under a native 3.13.
"""
import importlib.util
import json
import os
import sys
import warnings
from pathlib import Path

WORKER = Path(__file__).resolve().parent.parent / "src" / "run" / "compile" / "worker.py"


def sources(site):
    found = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        found += [os.path.join(dirpath, n) for n in filenames if n.endswith(".py")]
    return sorted(found)


def main():
    site, k, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    spec = importlib.util.spec_from_file_location("pycache_worker", WORKER)
    worker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(worker)
    # Old sources warn on newer versions (invalid escapes...): not counted.
    warnings.simplefilter("ignore")
    calls = {}
    for path in sources(site)[k::jobs]:
        with open(path, "rb") as f:
            data = f.read()
        made = []

        def compile_at(level):
            made.append(level)
            return compile(data, path, "exec", dont_inherit=True, optimize=level)

        rel = os.path.relpath(path, site)
        try:
            for _ in worker.distinct_codes(data, [0, 1, 2], compile_at):
                pass
        except (SyntaxError, ValueError):
            calls[rel] = None
            continue
        calls[rel] = len(made)
    version = "%d.%d" % sys.version_info[:2]
    print(json.dumps({"version": version, "calls": calls}))


if __name__ == "__main__":
    main()
