"""Imports write nothing afterwards (issue 28, item 3).

A real tree, installed through the trigger as pkg would run it: a copy of a
real CPython's standard library shipped as sources only under
PREFIX/lib/python3.X (the interpreter's package, as a port built without
bytecode ships it), then real PyPI distributions, each its own package of
sources only in PREFIX/lib/python3.X/site-packages; every package installed
by the pkg emulator, whose transaction runs the flavor's trigger rendered by
gen-triggers (stdlib = true, exec backend: a stock pkg). Then, as root,
every importable module of the tree is imported under `python`,
`python -O` and `python -OO`, and no file or directory below PREFIX may
have been created, removed or changed (path, type, size, mtime, ctime,
inode, mode).

The interpreter is the tree's own: PREFIX/bin/python3.X is a copy of the
real binary (Debian's and pyenv's CPython link their library statically or
by an absolute run path), so it finds PREFIX/lib/python3.X as its library
by its own search (the landmark os.py beside the executable's ../lib), as
the installed interpreter of a FreeBSD package does, and imports nothing of
the original installation. It runs with `-I` (no user site, no PYTHON*
variables, no working directory on sys.path: nothing else gets onto
sys.path) and `-X frozen_modules=off`, so that the modules CPython 3.11+
otherwise takes from the frozen copies in the binary (os, site, codecs...)
are imported from the tree, and their bytecode read and judged too: a
superset of what a default run reads. Debian's site.py (copied with its
library) adds dist-packages directories instead of site-packages; the
importer adds PREFIX/lib/python3.X/site-packages as a stock site.py would.

Each optimization level imports every module in one process (one process
per module would cost minutes); a module that ends the process is noted
and the rest imported in a new one; a module that takes longer than
IMPORT_TIMEOUT fails the test. Modules whose import does something other
than importing are skipped, each with its reason (SKIPPED), and so are the
sources CPython's own install leaves uncompiled on purpose (a module may
still import one: the bytecode that writes is reported apart and allowed,
being what the same import writes on a CPython installed from source).
Modules that
fail to import for their own reasons (a missing C library, the platform, a
missing optional dependency, -OO removing docstrings they read) are
counted as not imported, not as failures: what they wrote before failing
still counts.

Interpreters: interpreters() (Debian's 3.11 and pyenv's 3.12 unless
PYCACHE_E2E_IMPORT_PYTHONS names others). The PyPI wheels are cached under
target/e2e-pypi (tests/e2e/pypi.py). A control test proves the comparison
sees what an import writes.
"""

from __future__ import annotations

import keyword
import os
import re
import select
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import pypi  # noqa: E402
import test_scenarios as sc  # noqa: E402

pkgemu = sc.pkgemu
IMPORTER = HERE / "import_all.py"

# Pure-Python distributions of different shapes, and one with a C
# extension and a pure fallback: a single module (six, typing_extensions),
# a package with large data modules (idna), two top-level packages from one
# distribution (attrs: attr and attrs), a package that imports another
# (jinja2, markupsafe), subpackages (packaging.licenses), a namespace
# package without __init__.py (jaraco) and its dependency (more_itertools).
PINS = ["six==1.16.0", "typing_extensions==4.12.2", "idna==3.10", "attrs==24.2.0",
        "jinja2==3.1.4", "markupsafe==3.0.2", "packaging==24.2", "jaraco.functools==4.1.0",
        "more-itertools==10.5.0"]

IMPORT_TIMEOUT = 120  # seconds one module's import may take before it counts as a hang

# Module name -> why its import is not tried.
SKIPPED = {
    "antigravity": "opens a web browser",
    "idlelib.idle": "starts IDLE, a graphical program",
    "test.autotest": "runs the whole regression test suite",
}
MAIN = "runs its package as a program (python -m)"

# What CPython's `make install` leaves uncompiled (its compileall -x words,
# src/python/stdlib.rs): test data with bad syntax or a bad encoding on
# purpose, and lib2to3's test data. The trigger skips them as CPython
# does; importing one writes bytecode on a CPython installed from source
# too.
UNCOMPILED = "CPython's own install leaves it uncompiled on purpose"


def uncompiled_words(minor: int) -> tuple[str, ...]:
    if minor <= 11:
        return ("bad_coding", "badsyntax", "lib2to3/tests/data")
    if minor == 12:
        return ("bad_coding", "badsyntax", "test/test_lib2to3/data")
    return ("bad_coding", "badsyntax")


def interpreters() -> list[str]:
    """The interpreters whose whole standard library is imported:
    PYCACHE_E2E_IMPORT_PYTHONS (paths, colon-separated), else Debian's 3.11
    (without its test suite, which Debian ships apart) and pyenv's 3.12 (its
    whole test suite; the last version with lib2to3, whose grammar pickles
    the interpreter's package ships and whose test data CPython leaves
    uncompiled). Each takes about a minute here; every pyenv version from
    3.9 on passes the same way when named."""
    given = os.environ.get("PYCACHE_E2E_IMPORT_PYTHONS")
    if given:
        return [p for p in given.split(":") if p]
    found = sorted(Path.home().glob(".pyenv/versions/3.12.*/bin/python3.12"))
    return ["/usr/bin/python3.11", str(found[-1]) if found else "~/.pyenv/versions/3.12.X/bin/python3.12"]


def info(python: str) -> dict:
    code = ("import sys, sysconfig, importlib.machinery as m; print(sys.version_info[1]); "
            "print(sysconfig.get_paths()['stdlib']); print(' '.join(m.EXTENSION_SUFFIXES))")
    out = subprocess.run([python, "-I", "-S", "-B", "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    return {"minor": int(out[0]), "stdlib": Path(out[1]), "ext": out[2].split()}


class Tree:
    """PREFIX with bin/python3.X and lib/python3.X, installed through the
    pkg emulator and the flavor's trigger; `log` collects what ran."""

    def __init__(self, python: str, tmp: Path):
        self.python = python
        got = info(python)
        self.minor, self.ext = got["minor"], got["ext"]
        self.flavor, self.tag = f"py3{self.minor}", f"cpython-3{self.minor}"
        self.tmp = tmp
        self.prefix = tmp / "local"
        self.lib = self.prefix / "lib" / f"python3.{self.minor}"
        self.site = self.lib / "site-packages"
        self.bin = self.prefix / "bin" / f"python3.{self.minor}"
        self.log: list[str] = []
        self.bin.parent.mkdir(parents=True)
        shutil.copy2(os.path.realpath(python), self.bin)
        triggers = tmp / "triggers"
        subprocess.run([sc.GEN, "--flavors", self.flavor, "--localbase", str(self.prefix),
                        "--lua-modsharedir", str(sc.REPO / "lua"), "--pycache-cmd", sc.PROGRAM,
                        "--out", str(triggers)], check=True, capture_output=True)
        emu = pkgemu.Emulator(env=dict(os.environ, PYCACHE_LUA_BACKEND="auto"))
        self.system = pkgemu.System([triggers], emu, self.prefix)
        self.packages: dict[str, dict] = {}
        self.install(f"python3{self.minor}", self.stdlib_files(got["stdlib"]))
        for name, files in self.distributions().items():
            self.install(name, files)

    def stdlib_files(self, stdlib: Path) -> dict:
        """The interpreter's package: its standard library as sources and
        data, without bytecode, site-packages or dist-packages (links
        followed, static libraries left out), and site-packages/README.txt
        as CPython installs it."""
        files = {}
        for dirpath, dirs, names in os.walk(stdlib, followlinks=True):
            dirs[:] = sorted(d for d in dirs if not (d == "__pycache__" or (
                Path(dirpath) == stdlib and d in ("site-packages", "dist-packages"))))
            for n in names:
                src = Path(dirpath, n)
                if n.endswith((".pyc", ".a")) or not src.is_file():
                    continue
                st = src.stat()
                rel = src.relative_to(stdlib)
                files[str(self.lib / rel)] = pkgemu.File(src.read_bytes(), int(st.st_mtime),
                                                         stat.S_IMODE(st.st_mode))
        files[str(self.site / "README.txt")] = pkgemu.File(
            b"This directory exists so that 3rd party packages can be installed\nhere.  "
            b"Read the source for site.py for more details.\n", 1_700_000_000, 0o644)
        return files

    def distributions(self) -> dict[str, dict]:
        """The PyPI distributions, installed by pip as sources only into a
        staging directory and cut into one package each by their RECORD."""
        wheels = pypi.wheels(PINS, self.minor)
        stage = self.tmp / "stage"
        done = subprocess.run(
            [pypi.PIP_PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-compile", "--no-deps", "--no-index", "--target", str(stage),
             "--python-version", f"3.{self.minor}", "--implementation", "cp", "--abi", f"cp3{self.minor}",
             "--platform", "manylinux2014_x86_64", "--only-binary=:all:", *map(str, wheels)],
            capture_output=True, text=True, env=dict(os.environ, PIP_ROOT_USER_ACTION="ignore"))
        assert done.returncode == 0, done.stderr
        out = {}
        for record in sorted(stage.glob("*.dist-info/RECORD")):
            files = {}
            for line in record.read_text().splitlines():
                rel = line.rsplit(",", 2)[0]
                src = (stage / rel).resolve()
                if not line or stage not in src.parents or "__pycache__" in rel:
                    continue
                st = src.stat()
                files[str(self.site / src.relative_to(stage))] = pkgemu.File(
                    src.read_bytes(), int(st.st_mtime), stat.S_IMODE(st.st_mode))
            out["py3%d-%s" % (self.minor, record.parent.name.split("-")[0].lower())] = files
        assert len(out) == len(PINS), sorted(out)
        shutil.rmtree(stage)
        return out

    def install(self, name: str, files: dict) -> None:
        runs = self.system.install_package(pkgemu.Package(name, "1.0", files))
        assert [(r.kind, r.status) for r in runs] == [("trigger", "ok")], runs
        assert runs[0].stderr == "", runs[0].stderr
        self.log.append(f"{name}: {runs[0].stdout.strip()}")
        self.packages[name] = files

    def cpython_leaves(self, change: str) -> bool:
        """Whether `change` (a line of differences()) is an import writing
        the bytecode of a source CPython's own install leaves uncompiled
        (self.uncompiled, set by modules()): its __pycache__, its pycs, and
        the new mtime of the directories they went into. A module outside
        them may import one (3.12's test.test_lib2to3 loads fixers from its
        test data): that writes the same files on a CPython installed from
        source, and pycache leaves those sources alone as CPython does."""
        kind, path = change.split(" ", 1)
        fields = None
        if kind == "changed":
            path, fields = path.rsplit(" (", 1)
            if set(fields.rstrip(")").split(", ")) - {"mtime", "ctime"}:
                return False
        dirs = {os.path.dirname(u) for u in self.uncompiled}
        if kind == "changed":
            return path in dirs or (path.endswith("/__pycache__") and os.path.dirname(path) in dirs)
        if kind != "created":
            return False
        if path.endswith("/__pycache__"):
            return os.path.dirname(path) in dirs
        m = re.fullmatch(rf"(.*)/__pycache__/([^/]+)\.{self.tag}(?:\.opt-[12])?\.pyc", path)
        return bool(m) and f"{m.group(1)}/{m.group(2)}.py" in self.uncompiled

    def pycache(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sc.PROGRAM, *args, "--stdlib", "--no-config", "--flavor", self.flavor,
                               "--prefix", str(self.prefix)], capture_output=True, text=True)

    def modules(self) -> tuple[list[str], dict[str, str]]:
        """Every module name the tree's sources and extension modules give,
        in the standard library, lib-dynload and site-packages; and the
        skipped ones with their reasons."""
        names: dict[str, Path] = {}
        words = uncompiled_words(self.minor)
        skipped = {}

        def ident(part: str) -> bool:
            return part.isidentifier() and not keyword.iskeyword(part)

        def walk(d: Path, dotted: str, top: bool) -> None:
            for entry in sorted(os.scandir(d), key=lambda e: e.name):
                path = Path(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    if not ident(entry.name) or (top and path in (self.site, self.lib / "lib-dynload")):
                        continue
                    walk(path, dotted + entry.name + ".", False)
                    continue
                for suffix in [".py", *self.ext]:
                    if entry.name.endswith(suffix) and entry.is_file(follow_symlinks=False):
                        stem = entry.name[:-len(suffix)]
                        name = dotted[:-1] if stem == "__init__" else dotted + stem
                        if name and all(ident(p) for p in name.split(".")):
                            names.setdefault(name, path)
                        break

        walk(self.lib, "", True)
        walk(self.lib / "lib-dynload", "", True)
        walk(self.site, "", True)
        self.uncompiled = set()
        for dirpath, dirs, files in os.walk(self.lib):
            dirs[:] = [d for d in dirs if Path(dirpath, d) != self.site]
            for f in files:
                rel = str(Path(dirpath, f).relative_to(self.lib))
                if f.endswith(".py") and any(w in rel for w in words):
                    self.uncompiled.add(str(Path(dirpath, f).relative_to(self.prefix)))
        for name, path in names.items():
            rel = str(path.relative_to(self.lib))
            if name in SKIPPED:
                skipped[name] = SKIPPED[name]
            elif name == "__main__" or name.endswith(".__main__"):
                skipped[name] = MAIN
            elif self.site not in path.parents and any(w in rel for w in words):
                skipped[name] = UNCOMPILED
        return [n for n in names if n not in skipped], skipped


def snapshot(top: Path) -> dict:
    """Every entry below `top`: relative path -> (type, size, mtime, ctime,
    inode, mode), links not followed."""
    out = {}
    for dirpath, dirs, names in os.walk(top):
        for n in dirs + names:
            p = os.path.join(dirpath, n)
            s = os.lstat(p)
            out[os.path.relpath(p, top)] = (stat.S_IFMT(s.st_mode), s.st_size, s.st_mtime_ns,
                                            s.st_ctime_ns, s.st_ino, stat.S_IMODE(s.st_mode))
    return out


def differences(before: dict, after: dict) -> list[str]:
    lines = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"removed {p}" for p in sorted(before.keys() - after.keys())]
    fields = ("type", "size", "mtime", "ctime", "inode", "mode")
    for p in sorted(before.keys() & after.keys()):
        if before[p] != after[p]:
            what = [f for f, a, b in zip(fields, before[p], after[p]) if a != b]
            lines.append(f"changed {p} ({', '.join(what)})")
    return lines


class Hang(AssertionError):
    pass


def import_all(tree: Tree, level: int, names: list[str], work: Path) -> dict[str, str]:
    """Imports `names` in tree's interpreter at optimization `level`, as
    root, one process for as many as it survives; returns each module's
    result: "ok", "error TYPE: MESSAGE" or "ended the process ..."."""
    flags = {0: [], 1: ["-O"], 2: ["-OO"]}[level]
    results: dict[str, str] = {}
    pending = list(names)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work), "LANG": "C.UTF-8"}
    while pending:
        listing = work / f"names-{level}"
        listing.write_text("\n".join(pending) + "\n")
        r, w = os.pipe()
        with open(work / f"output-{level}.log", "ab") as log:
            child = subprocess.Popen(
                [str(tree.bin), "-I", *flags, "-X", "frozen_modules=off", str(IMPORTER), str(listing),
                 str(w), str(tree.site)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=work, env=env, pass_fds=(w,),
                start_new_session=True)
        os.close(w)
        current, buffer, done = None, b"", False
        deadline = time.monotonic() + IMPORT_TIMEOUT
        try:
            while True:
                ready, _, _ = select.select([r], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise Hang(f"python3.{tree.minor} level {level}: importing {current or 'nothing yet'} "
                               f"took more than {IMPORT_TIMEOUT} s")
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    fields = line.decode("utf-8", "replace").split("\t")
                    if fields[0] == "begin":
                        current, deadline = fields[1], time.monotonic() + IMPORT_TIMEOUT
                    elif fields[0] == "end":
                        results[fields[1]] = " ".join(fields[2:])
                        current = None
                    elif fields[0] == "done":
                        done = True
                    else:
                        raise AssertionError(f"python3.{tree.minor} level {level}: the importer wrote "
                                             f"{line!r} after {current}: did a module write into its "
                                             "descriptor?")
        finally:
            os.close(r)
            # The importer and whatever its modules started (its own session).
            try:
                os.killpg(child.pid, 9)
            except ProcessLookupError:
                pass
            child.wait()
        if done:
            break
        if current is None:
            raise AssertionError(f"python3.{tree.minor} level {level}: the importer ended (status "
                                 f"{child.returncode}) between two modules; see {work}/output-{level}.log")
        status = child.returncode
        results[current] = (f"ended the process (killed by signal {-status})" if status < 0
                            else f"ended the process (exit status {status})")
        pending = pending[pending.index(current) + 1:]
    return results


def summary(results: dict[str, str]) -> str:
    ok = sum(1 for v in results.values() if v == "ok")
    kinds: dict[str, int] = {}
    for v in results.values():
        if v != "ok":
            k = v.split(":")[0].replace("error ", "") if v.startswith("error") else "ended the process"
            kinds[k] = kinds.get(k, 0) + 1
    top = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    return f"{ok} imported, {len(results) - ok} not ({top})"


def not_imported(results: dict[str, str]) -> None:
    """Prints the modules that did not import, by reason."""
    by: dict[str, list[str]] = {}
    for name, v in sorted(results.items()):
        if v != "ok":
            by.setdefault(v if v.startswith("ended") else v.split(":")[0], []).append(name)
    for reason, which in sorted(by.items()):
        more = f", and {len(which) - 8} more" if len(which) > 8 else ""
        print(f"    not imported, {reason}: {', '.join(which[:8])}{more}", file=sys.stderr)


class ImportsWriteNothing(unittest.TestCase):
    trees: dict[str, Tree] = {}

    @classmethod
    def setUpClass(cls):
        cls._tmp = tempfile.TemporaryDirectory(prefix="pycache-imports-")

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()
        cls.trees = {}

    def setUp(self):
        missing = [n for n, v in (("PYCACHE_PROGRAM", sc.PROGRAM), ("PYCACHE_GEN_TRIGGERS", sc.GEN))
                   if not v or not Path(v).exists()]
        if missing:
            self.fail(f"{', '.join(missing)} not set or missing: run tests/e2e/run.sh")
        if os.geteuid() != 0:
            self.fail("run as root: the test is about what root's imports write "
                      "(as another user importlib cannot write into the tree and nothing would show)")

    def tree(self, python: str) -> Tree:
        if python not in self.trees:
            if not Path(python).exists():
                self.fail(f"{python} is missing: apt-get install python3.11, pyenv install 3.12, "
                          "or name others in PYCACHE_E2E_IMPORT_PYTHONS")
            try:
                started = time.monotonic()
                tree = Tree(python, Path(self._tmp.name) / Path(python).name)
            except pypi.DownloadFailed as e:
                self.fail(str(e))
            print(f"\n{Path(python).name}: tree installed through the trigger in "
                  f"{time.monotonic() - started:.0f} s", file=sys.stderr)
            for line in tree.log:
                print(f"  {line}", file=sys.stderr)
            type(self).trees[python] = tree
        return self.trees[python]

    def check_tree(self, python: str) -> None:
        tree = self.tree(python)
        check = tree.pycache("check")
        self.assertEqual(check.returncode, 0, "the trigger left the tree out of sync:\n" + check.stdout
                         + check.stderr)
        self.assertEqual(tree.system.check_sums(), [], "pkg check -s")
        names, skipped = tree.modules()
        self.assertGreater(len(names), 500, "too few modules found: is the tree complete?")
        for name in ("os", "json.decoder", "six", "attr", "jaraco.functools", "packaging.licenses",
                     "markupsafe._speedups"):
            self.assertIn(name, names)
        # The interpreter imports the tree, not the library it was copied
        # from (asked with -B: this run writes nothing).
        where = subprocess.run(
            [str(tree.bin), "-I", "-B", "-X", "frozen_modules=off", "-c",
             "import importlib.util, site, sys\n"
             "if sys.argv[1] not in sys.path: site.addsitedir(sys.argv[1])\n"
             "print(sys.prefix)\n"
             "for m in ('os', 'json.decoder', '_decimal', 'six', 'markupsafe._speedups', 'jaraco.functools'):\n"
             "    print(importlib.util.find_spec(m).origin)\n", str(tree.site)],
            capture_output=True, text=True, cwd=tree.tmp)
        self.assertEqual(where.returncode, 0, where.stderr)
        for line in where.stdout.splitlines():
            self.assertTrue(line.startswith(str(tree.prefix)), f"outside the tree: {line}")
        work = tree.tmp / "work"
        work.mkdir(exist_ok=True)
        print(f"\n{Path(python).name}: {len(names)} modules, {len(skipped)} skipped:", file=sys.stderr)
        for reason in sorted(set(skipped.values())):
            which = sorted(n for n, r in skipped.items() if r == reason)
            print(f"  {reason}: {len(which)} ({', '.join(which[:4])}{', ...' if len(which) > 4 else ''})",
                  file=sys.stderr)
        problems = []
        for level in (0, 1, 2):
            started = time.monotonic()
            before = snapshot(tree.prefix)
            results = import_all(tree, level, names, work)
            self.assertEqual(sorted(results), sorted(names), "a module without a result")
            diff = differences(before, snapshot(tree.prefix))
            cpython = [d for d in diff if tree.cpython_leaves(d)]
            print(f"  level {level}: {summary(results)} in {time.monotonic() - started:.0f} s; "
                  f"{len(diff) - len(cpython)} changes below the prefix", file=sys.stderr)
            for d in cpython:
                print(f"    {d}: {UNCOMPILED}", file=sys.stderr)
            problems += [f"level {level}: {d}" for d in diff if d not in cpython]
            if level == 0:
                not_imported(results)
            # The modules every level must import: the standard library's
            # core and each distribution.
            for name in ("os", "json", "email.mime.text", "six", "idna", "attr", "attrs", "jinja2",
                         "markupsafe", "packaging.version", "jaraco.functools", "more_itertools",
                         "typing_extensions"):
                if results.get(name) != "ok":
                    problems.append(f"level {level}: {name} did not import: {results.get(name)}")
        if problems:
            more = f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
            self.fail(f"{len(problems)} problems after importing:\n" + "\n".join(problems[:40]) + more)

    def test_the_check_sees_what_an_import_writes(self):
        # Proof that the comparison can fail: one level of one module's
        # bytecode deleted, one source made newer than its bytecode; the
        # imports must then show up as written.
        tree = self.tree("/usr/bin/python3.11")
        work = tree.tmp / "control"
        work.mkdir(exist_ok=True)
        gone = tree.lib / "json" / "__pycache__" / f"decoder.{tree.tag}.opt-1.pyc"
        gone.unlink()
        newer = tree.lib / "textwrap.py"
        os.utime(newer, (newer.stat().st_atime, newer.stat().st_mtime + 10))
        try:
            seen = {}
            for level in (0, 1):
                before = snapshot(tree.prefix)
                results = import_all(tree, level, ["json.decoder", "textwrap"], work)
                self.assertEqual(results, {"json.decoder": "ok", "textwrap": "ok"})
                seen[level] = [d for d in differences(before, snapshot(tree.prefix))
                               if not d.startswith("changed lib/python3.11/json/__pycache__ (")
                               and not d.startswith("changed lib/python3.11/__pycache__ (")]
            self.assertEqual(seen, {
                # Rewritten with the same size: a new file (inode) with the
                # source's new mtime in its header.
                0: ["changed lib/python3.11/__pycache__/textwrap.cpython-311.pyc (mtime, ctime, inode)"],
                1: ["created lib/python3.11/json/__pycache__/decoder.cpython-311.opt-1.pyc",
                    "changed lib/python3.11/__pycache__/textwrap.cpython-311.opt-1.pyc (mtime, ctime, inode)"],
            })
        finally:
            # What the next transaction's trigger would do.
            fixed = tree.pycache("update")
            self.assertEqual(fixed.returncode, 0, fixed.stdout + fixed.stderr)
            self.assertEqual(tree.pycache("check").returncode, 0)


def load_tests(loader, tests, pattern):
    """One test per interpreter (interpreters()), then the control."""
    suite = unittest.TestSuite()
    for python in interpreters():
        name = "test_" + re.sub(r"\W", "_", Path(python).name) + "_stdlib_and_pypi_packages"
        if python.startswith("/usr/"):
            name = name.replace("test_", "test_debian_", 1)
        setattr(ImportsWriteNothing, name, lambda self, python=python: self.check_tree(python))
        suite.addTest(ImportsWriteNothing(name))
    suite.addTest(ImportsWriteNothing("test_the_check_sees_what_an_import_writes"))
    return suite


if __name__ == "__main__":
    unittest.main()
