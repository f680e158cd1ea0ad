"""End-to-end trigger runs: triggers rendered by the real gen-triggers, run by
the pkg emulator (tests/pkgemu) once per backend, against real CPython.

  native  the trigger's lua5.4 may load C modules (a pkg built with dlopen);
          PYCACHE_LUA_BACKEND=native, so pycache.core does the work in-process.
  exec    C modules cannot load, as in every stock pkg; pycache.lua falls back
          to the pycache program through pkg.exec_capture (and pkg.exec).

Run by tests/e2e/run.sh, which builds what is needed and sets
PYCACHE_PROGRAM, PYCACHE_GEN_TRIGGERS and PYCACHE_CORE_SO. Interpreters:
/usr/bin/python3.11 plus pyenv's (PYCACHE_E2E_PYTHONS=path:path overrides);
at least two versions are required.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pkgemu"))
import pkgemu  # noqa: E402

PROGRAM = os.environ.get("PYCACHE_PROGRAM", "")
GEN = os.environ.get("PYCACHE_GEN_TRIGGERS", "")
CORE_SO = os.environ.get("PYCACHE_CORE_SO", "")


def pythons() -> list[str]:
    given = os.environ.get("PYCACHE_E2E_PYTHONS")
    if given:
        return [p for p in given.split(":") if p]
    found = ["/usr/bin/python3.11"]
    versions = {}
    for p in glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3.*")):
        m = re.search(r"python3\.(\d+)$", p)
        if m and int(m.group(1)) >= 8 and int(m.group(1)) != 11:
            versions[int(m.group(1))] = p
    # The oldest and the newest besides 3.11 keep the suite short.
    for minor in sorted(versions)[:1] + sorted(versions)[-1:]:
        if versions[minor] not in found:
            found.append(versions[minor])
    return found


def minor_of(python: str) -> int:
    out = subprocess.run([python, "-c", "import sys; print(sys.version_info[1])"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout)


# Build times of the packages: pkg gives extracted files the mtime recorded
# in the package, so freshness does not depend on the wall clock.
T0, T1, T2 = 1_600_000_000, 1_700_000_000, 1_700_000_100

# A package as a file list: path below site-packages -> content.
DEMO_1 = {
    "demo/__init__.py": b"VERSION = 1\n",
    "demo/a.py": b"def a():\n    return 1\n",
    "demo/old.py": b"OLD = True\n",
    "demo/drop/__init__.py": b"",
    "demo/drop/deep/d.py": b"D = 4\n",
    "demo_mod.py": b"TOP = 1\n",
}
DEMO_2 = {
    "demo/__init__.py": b"VERSION = 2\n",
    "demo/a.py": b"def a():\n    return 2  # changed in 2.0\n",
    "demo/newsub/__init__.py": b"",
    "demo/newsub/c.py": b"C = 3\n",
    "demo_mod.py": b"TOP = 1\n",
}
OTHER = {
    "other/__init__.py": b"",
    "other/mod.py": b"M = 1\n",
}


class Env:
    """A LOCALBASE with one interpreter, its site-packages and triggers."""

    def __init__(self, tmp: Path, python: str, backend: str, program: str | None = None,
                 pkg_version: str = pkgemu.PKG_VERSION):
        self.minor = minor_of(python)
        self.flavor = f"py3{self.minor}"
        self.tag = f"cpython-3{self.minor}"
        self.lb = tmp / "lb"
        self.bin = self.lb / "bin" / f"python3.{self.minor}"
        self.sp = self.lb / "lib" / f"python3.{self.minor}" / "site-packages"
        self.triggers = tmp / "triggers"
        self.bin.parent.mkdir(parents=True)
        self.sp.mkdir(parents=True)
        self.bin.symlink_to(python)
        self.python = python
        subprocess.run([GEN, "--flavors", self.flavor, "--localbase", str(self.lb),
                        "--lua-modsharedir", str(REPO / "lua"),
                        "--pycache-cmd", program or PROGRAM, "--out", str(self.triggers)],
                       check=True, capture_output=True)
        self.trigger_file = self.triggers / f"pycache-{self.flavor}.ucl"
        assert self.trigger_file.is_file(), self.trigger_file
        cpath = tmp / "cpath"
        (cpath / "pycache").mkdir(parents=True)
        shutil.copy(CORE_SO, cpath / "pycache" / "core.so")
        env = dict(os.environ, LUA_CPATH_5_4=f"{cpath}/?.so;;", PYCACHE_LUA_BACKEND=backend)
        if backend == "exec":
            env["PYCACHE_LUA_BACKEND"] = "auto"  # core.so is there but cannot load
        # native: a pkg built with LUA_USE_DLOPEN; exec: a stock pkg.
        self.emu = pkgemu.Emulator(env=env, dlopen=backend == "native", pkg_version=pkg_version)
        self.system = pkgemu.System([self.triggers], self.emu, self.sp)

    def files(self, pkg: dict) -> dict:
        return {str(self.sp / k): v for k, v in pkg.items()}

    def pycs(self, rel: str) -> list[Path]:
        src = self.sp / rel
        cache = src.parent / "__pycache__"
        stem = src.name[:-3]
        return [cache / f"{stem}.{self.tag}.pyc", cache / f"{stem}.{self.tag}.opt-1.pyc",
                cache / f"{stem}.{self.tag}.opt-2.pyc"]

    def verify(self, rels: list[str]) -> None:
        """The interpreter's own importlib judges the written pycs valid."""
        code = r"""
import importlib.util, marshal, os, sys
bad = []
for src in sys.argv[1:]:
    for opt in ("", 1, 2):
        pyc = importlib.util.cache_from_source(src, optimization=opt)
        data = open(pyc, "rb").read()
        st = os.stat(src)
        ok = (data[:4] == importlib.util.MAGIC_NUMBER
              and int.from_bytes(data[4:8], "little") == 0
              and int.from_bytes(data[8:12], "little") == int(st.st_mtime) & 0xFFFFFFFF
              and int.from_bytes(data[12:16], "little") == st.st_size & 0xFFFFFFFF
              and marshal.loads(data[16:]).co_filename == src)
        if not ok:
            bad.append(pyc)
print("\n".join(bad))
"""
        out = subprocess.run([self.python, "-I", "-c", code, *[str(self.sp / r) for r in rels]],
                             capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "", "invalid pycs:\n" + out.stdout


def tree(root: Path) -> dict:
    """Relative path -> content (None for dirs, b"<pyc>" for bytecode)."""
    out = {}
    for dirpath, dirs, names in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(dirpath, d), root) + "/"] = None
        for n in names:
            p = os.path.join(dirpath, n)
            out[os.path.relpath(p, root)] = b"<pyc>" if n.endswith(".pyc") else Path(p).read_bytes()
    return out


def plain(runs) -> str:
    return "".join(r.stdout + r.stderr for r in runs)


class Scenarios:
    """Mixed into one TestCase class per (interpreter, backend)."""

    python = ""
    backend = ""

    def setUp(self):
        missing = [n for n, v in (("PYCACHE_PROGRAM", PROGRAM), ("PYCACHE_GEN_TRIGGERS", GEN),
                                  ("PYCACHE_CORE_SO", CORE_SO)) if not v or not Path(v).exists()]
        if missing:
            self.fail(f"{', '.join(missing)} not set or missing: run tests/e2e/run.sh")
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-e2e-")
        self.tmp = Path(self._tmp.name)
        self.env = Env(self.tmp / "a", self.python, self.backend)
        self.other_tag = "cpython-39" if self.env.minor != 9 else "cpython-310"
        runs = self.env.system.install(self.env.files(OTHER), mtime=T0)
        self.assert_ok(runs)

    def tearDown(self):
        self._tmp.cleanup()

    def assert_ok(self, runs, triggers=1):
        self.assertEqual(len([r for r in runs if r.kind == "trigger"]), triggers, runs)
        for r in runs:
            self.assertEqual(r.status, "ok", r)
            self.assertNotIn("Failed to execute lua trigger", r.stderr)
            self.assertEqual(r.fd0, "", "nothing may be written to fd 0")
            if self.backend == "native":
                self.assertNotIn("pycache.core cannot be loaded", r.stderr)

    def test_1_install_compiles_every_level_and_nothing_else(self):
        before = tree(self.env.sp)
        runs = self.env.system.install(self.env.files(DEMO_1), mtime=T1)
        self.assert_ok(runs)
        self.assertIn(f">=> Python 3.{self.env.minor}: wrote 18 pycs (6 .pyc, 6 .opt-1.pyc, 6 .opt-2.pyc) for 6 sources", runs[0].stdout)
        after = tree(self.env.sp)
        expected = dict(before)
        for rel, content in DEMO_1.items():
            expected[rel] = content
            parent = os.path.dirname(rel)
            for d in (parent, os.path.join(parent, "__pycache__")) if parent else ("__pycache__",):
                expected[d + "/"] = None
            for pyc in self.env.pycs(rel):
                expected[str(pyc.relative_to(self.env.sp))] = b"<pyc>"
        expected["demo/drop/deep/"] = None
        self.assertEqual(sorted(after), sorted(expected))
        self.assertEqual(after, expected)
        self.env.verify(list(DEMO_1))

    def test_2_upgrade_recompiles_removes_orphans_and_dropped_subpackages(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        runs = self.env.system.upgrade(self.env.files(DEMO_1), self.env.files(DEMO_2), mtime=T2)
        self.assert_ok(runs)
        # pkg reports only the new version's directories.
        self.assertNotIn(str(self.env.sp / "demo/drop"), runs[0].arg)
        self.assertIn(str(self.env.sp / "demo/newsub"), runs[0].arg)
        self.env.verify(list(DEMO_2))
        for pyc in self.env.pycs("demo/old.py"):
            self.assertFalse(pyc.exists(), pyc)
        self.assertFalse((self.env.sp / "demo/drop").exists(), "dropped subpackage left behind")
        demo = sorted(k for k in tree(self.env.sp) if k.startswith("demo/"))
        expected = {"demo/", "demo/__pycache__/", "demo/newsub/", "demo/newsub/__pycache__/"}
        for rel in DEMO_2:
            if rel.startswith("demo/"):
                expected.add(rel)
                expected.update(str(p.relative_to(self.env.sp)) for p in self.env.pycs(rel))
        self.assertEqual(demo, sorted(expected))
        self.assertIn("wrote 15 pycs (5 .pyc, 5 .opt-1.pyc, 5 .opt-2.pyc) for 5 sources", runs[0].stdout)

    def test_3_delete_leaves_nothing_and_other_packages_untouched(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        self.assert_ok(self.env.system.upgrade(self.env.files(DEMO_1), self.env.files(DEMO_2), mtime=T2))
        other_before = {k: v for k, v in tree(self.env.sp).items() if k.startswith("other/")}
        other_mtimes = {p: p.stat().st_mtime_ns for p in (self.env.sp / "other").rglob("*")}
        runs = self.env.system.delete(self.env.files(DEMO_2))
        self.assert_ok(runs)
        after = tree(self.env.sp)
        self.assertEqual([k for k in after if k.startswith("demo")], [])
        self.assertEqual({k: v for k, v in after.items() if k.startswith("other/")}, other_before)
        self.assertEqual({p: p.stat().st_mtime_ns for p in (self.env.sp / "other").rglob("*")},
                         other_mtimes)
        self.assertNotIn("__pycache__/", after, "top-level cache of demo_mod left")

    def test_3b_pycache_conf_is_honoured_and_a_broken_one_changes_nothing(self):
        # The admin keeps only levels 0 and 1 and prunes the rest: the
        # trigger honours it, through either backend.
        conf = self.tmp / "pycache.conf"
        conf.write_text("levels = [0, 1];\nprune_levels = true;\n")
        self.env.emu.env["PYCACHE_CONF"] = str(conf)
        runs = self.env.system.install(self.env.files(DEMO_1), mtime=T1)
        self.assert_ok(runs)
        self.assertIn("wrote 12 pycs (6 .pyc, 6 .opt-1.pyc) for 6 sources", runs[0].stdout)
        for rel in DEMO_1:
            self.assertEqual([p.exists() for p in self.env.pycs(rel)], [True, True, False], rel)
        # A broken file (line 3) beside a prune_levels: the whole file is
        # ignored with one line, the upgrade is done as without the file
        # (orphans cleaned, every level written), and nothing is pruned.
        conf.write_text("levels = [0];\nprune_levels = true;\ntimeout = soon;\n")
        runs = self.env.system.upgrade(self.env.files(DEMO_1), self.env.files(DEMO_2), mtime=T2)
        self.assert_ok(runs)
        out = plain(runs)
        lines = [l for l in out.splitlines() if "pycache.conf" in l]
        self.assertEqual(lines, [f"pycache: warning: {conf}:3: timeout: must be a number of seconds > 0 "
                                 f"and <= 86400, "
                                 f"got \"soon\"; the file is ignored"], out)
        self.assertNotIn("bytecode not updated", out)
        for pyc in self.env.pycs("demo/old.py"):
            self.assertFalse(pyc.exists(), pyc)
        self.assertFalse((self.env.sp / "demo/drop").exists(), "dropped subpackage left behind")
        self.env.verify(list(DEMO_2))
        for rel in OTHER:
            if rel.endswith(".py"):
                self.assertTrue(all(p.exists() for p in self.env.pycs(rel)), rel)

    def test_4_other_versions_bytecode_and_sourceless_modules_survive(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        foreign = {
            f"demo/__pycache__/a.{self.other_tag}.pyc": b"other python",
            f"demo/__pycache__/old.{self.other_tag}.opt-1.pyc": b"other python",
            f"demo/drop/deep/__pycache__/d.{self.other_tag}.pyc": b"other python",
            "demo/plugin.pyc": b"sourceless",
            "demo/__pycache__/notes.txt": b"not bytecode",
            f"__pycache__/demo_mod.{self.other_tag}.pyc": b"other python",
        }
        for rel, content in foreign.items():
            (self.env.sp / rel).parent.mkdir(parents=True, exist_ok=True)
            (self.env.sp / rel).write_bytes(content)
        self.assert_ok(self.env.system.upgrade(self.env.files(DEMO_1), self.env.files(DEMO_2), mtime=T2))
        self.assert_ok(self.env.system.delete(self.env.files(DEMO_2)))
        left = {k: v for k, v in tree(self.env.sp).items()
                if (k.startswith("demo") or k.startswith("__pycache__")) and v is not None}
        self.assertEqual({k: (self.env.sp / k).read_bytes() for k in left}, foreign)

    def test_5_syntax_error_is_reported_and_the_rest_compiles(self):
        bad = {"py2/__init__.py": b"", "py2/bad.py": b'print "python 2"\n', "py2/good.py": b"G = 1\n"}
        runs = self.env.system.install(self.env.files(bad))
        self.assert_ok(runs)
        out = plain(runs)
        self.assertIn(f"pycache: {self.env.sp / 'py2/bad.py'}: ", out)
        self.assertIn("1 failed", out)
        self.env.verify(["py2/__init__.py", "py2/good.py"])
        for pyc in self.env.pycs("py2/bad.py"):
            self.assertFalse(pyc.exists(), pyc)

    def test_5b_file_names_reach_no_terminal_raw(self):
        # Issue 27: a package names its files to act on root's terminal (a
        # title, a cleared screen, a line printed over, C1, a name read
        # backwards); the trigger shows each as an escape.
        evil = "evil\x1b]2;title\x07"
        hostile = {f"{evil}/__init__.py": b"", f"{evil}/clear\x1b[2J.py": b"X = 1\n",
                   f"{evil}/cr\rFAKE\n>=> fake.py": b"print 'x'\n", f"{evil}/c1\x9b\u202eyp.py": b"Y = 2\n"}
        runs = self.env.system.install(self.env.files(hostile), mtime=T1)
        self.assert_ok(runs)
        out = plain(runs)
        acts = [c for c in out if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f
                                                  or c in "\u061c\u200e\u200f"
                                                  or 0x2028 <= ord(c) <= 0x202e or 0x2066 <= ord(c) <= 0x2069)]
        self.assertEqual(acts, [], repr(out))
        self.assertIn(f"\npycache: {self.env.sp}/evil\\x1b]2;title\\x07/cr\\rFAKE\\n>=> fake.py: SyntaxError", out)
        self.assertEqual(len(out.splitlines()), 2, out)
        self.assertIn("wrote 9 pycs (3 .pyc, 3 .opt-1.pyc, 3 .opt-2.pyc) for 3 sources", out)

    def test_6_interpreter_gone_still_cleans_with_one_plain_message(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        self.env.bin.unlink()
        runs = self.env.system.upgrade(self.env.files(DEMO_1), self.env.files(DEMO_2), mtime=T2)
        self.assert_ok(runs)
        out = plain(runs)
        for pyc in self.env.pycs("demo/old.py"):
            self.assertFalse(pyc.exists(), "orphans must be cleaned without an interpreter")
        self.assertFalse((self.env.sp / "demo/drop").exists())
        messages = [line for line in out.splitlines() if line.startswith("pycache:")]
        self.assertEqual(len(messages), 1, out)
        self.assertIn("interpreter not found", messages[0])
        # The one failure shape, on stderr; what was done on stdout.
        self.assertEqual(plain(runs).count(f"pycache: {self.env.flavor} bytecode not updated: "), 1, out)
        self.assertIn(messages[0], "".join(r.stderr for r in runs))
        self.assertNotIn("pycache:", "".join(r.stdout for r in runs))
        self.assertNotIn("lua", out.lower().replace("pycache.lua", ""))
        self.assertIn("removed 9 orphaned files, 4 empty dirs", out)

    def test_7_program_missing_or_not_executable(self):
        for name, make in (("missing", lambda p: None),
                           ("not executable", lambda p: p.write_text("#!/bin/sh\nexit 0\n"))):
            with self.subTest(name):
                tmp = self.tmp / name.replace(" ", "-")
                program = tmp / "bin" / "pycache"
                program.parent.mkdir(parents=True)
                make(program)
                env = Env(tmp, self.python, self.backend, program=str(program))
                runs = env.system.install(env.files(DEMO_1), mtime=T1)
                self.assert_ok(runs)
                out = plain(runs)
                if self.backend == "native":
                    self.assertIn("for 6 sources in", out)  # the program is not needed
                    continue
                self.assertEqual(len(out.strip().splitlines()), 1, out)
                self.assertEqual(runs[0].stdout, "", out)
                self.assertTrue(out.startswith(f"pycache: {env.flavor} bytecode not updated: {program}: "), out)
                self.assertIn("not found" if name == "missing" else "Permission denied", out)
                self.assertTrue(out.rstrip().endswith("; reinstall pycache"), out)

    def test_8_removing_the_trigger_file_runs_its_cleanup(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        orphan = self.env.sp / "other" / "__pycache__" / f"gone.{self.env.tag}.pyc"
        orphan.write_bytes(b"orphan")
        empty = self.env.sp / "other" / "empty" / "__pycache__"
        empty.mkdir(parents=True)
        foreign = self.env.sp / "other" / "__pycache__" / f"gone.{self.other_tag}.pyc"
        foreign.write_bytes(b"other python")
        trigger_file = self.env.trigger_file
        runs = self.env.system.delete([str(trigger_file)])
        self.assertEqual([(r.kind, r.status, r.arg) for r in runs], [("cleanup", "ok", [])])
        self.assertFalse(orphan.exists())
        self.assertFalse((self.env.sp / "other" / "empty").exists())
        self.assertTrue(foreign.exists())
        self.env.verify(list(DEMO_1) + list(OTHER))
        self.assertIn(f">=> Python 3.{self.env.minor}: removed 1 orphaned file, 2 empty dirs", runs[0].stdout)

    def test_9_tens_of_thousands_of_touched_dirs(self):
        self.assert_ok(self.env.system.install(self.env.files(DEMO_1), mtime=T1))
        for pyc in self.env.pycs("demo/a.py"):
            pyc.unlink()
        trig = pkgemu.load_trigger(self.env.trigger_file)
        arg = [str(self.env.sp / f"gone{i:05d}" / ("x" * 40)) for i in range(30000)]
        arg.append(str(self.env.sp / "demo"))
        run = self.env.emu.run_script(trig.trigger, arg, str(self.env.trigger_file))
        self.assertEqual(run.status, "ok", run)
        self.assertIn("wrote 3 pycs (1 .pyc, 1 .opt-1.pyc, 1 .opt-2.pyc) for 1 source", run.stdout, run)
        self.env.verify(["demo/a.py"])


class SameResults(unittest.TestCase):
    """Both backends leave identical trees (apart from pyc bytes) and print
    the same lines (apart from timings)."""

    python = ""

    def run_all(self, backend: str, tmp: Path):
        env = Env(tmp, self.python, backend)
        out = []
        for step in (lambda: env.system.install(env.files(OTHER), mtime=T0),
                     lambda: env.system.install(env.files(DEMO_1), mtime=T1),
                     lambda: env.system.install(env.files({"py2/bad.py": b"print 'x' 1\n"})),
                     lambda: env.system.upgrade(env.files(DEMO_1), env.files(DEMO_2), mtime=T2),
                     lambda: env.system.delete(env.files(OTHER))):
            out.append(re.sub(r" in \d+\.\d s", " in T s", plain(step()).replace(str(tmp), "TMP")))
            out.append(tree(env.sp))
        return out

    def test_native_and_exec_agree(self):
        with tempfile.TemporaryDirectory(prefix="pycache-e2e-") as tmp:
            native = self.run_all("native", Path(tmp) / "n")
            exec_ = self.run_all("exec", Path(tmp) / "e")
        self.assertEqual(native, exec_)
        self.assertIn("wrote", native[2])


class OldPkg(unittest.TestCase):
    """pkg < 2.8 has no exec_capture: the program prints its own lines
    (pkgemu's pkg_version; the oldest supported is 1.17.4)."""

    def test_exec_without_capture(self):
        with tempfile.TemporaryDirectory(prefix="pycache-e2e-") as tmp:
            env = Env(Path(tmp), "/usr/bin/python3.11", "exec", pkg_version="2.7.5")
            runs = env.system.install(env.files(DEMO_1), mtime=T1)
            self.assertEqual([r.status for r in runs], ["ok"])
            self.assertIn(">=> Python 3.11: wrote 18 pycs (6 .pyc, 6 .opt-1.pyc, 6 .opt-2.pyc) for 6 sources", runs[0].stdout)
            env.verify(list(DEMO_1))
            env.bin.unlink()
            runs = env.system.upgrade(env.files(DEMO_1), env.files(DEMO_2), mtime=T2)
            self.assertEqual([r.status for r in runs], ["ok"])
            self.assertIn("interpreter not found", runs[0].stdout + runs[0].stderr)

    def test_some_files_failed_reads_as_such_in_every_spelling(self):
        # Exit status 1 (a file failed to compile) comes back from pkg.exec as
        # "Abnormal terminaison" in pkg 1.17.4-1.20.6, "Abnormal termination"
        # since: either way the program's own lines are all there is, never
        # a line saying it cannot run.
        broken = dict(DEMO_1, **{"demo/py2.py": b"print 'python 2'\n"})
        for version in ("1.17.4", "1.20.6", "1.20.7", "2.7.5"):
            with self.subTest(pkg_version=version), tempfile.TemporaryDirectory(prefix="pycache-e2e-") as tmp:
                env = Env(Path(tmp), "/usr/bin/python3.11", "exec", pkg_version=version)
                runs = env.system.install(env.files(broken), mtime=T1)
                self.assertEqual([r.status for r in runs], ["ok"], runs)
                out = runs[0].stdout + runs[0].stderr
                self.assertRegex(out, r">=> Python 3\.11: wrote 18 pycs \(6 \.pyc, 6 \.opt-1\.pyc, "
                                      r"6 \.opt-2\.pyc\) for 6 sources in \d+\.\d s; 1 failed\n")
                self.assertIn(f"pycache: {env.sp}/demo/py2.py: SyntaxError: ", out)
                self.assertNotIn("cannot run the pycache program", out)
                self.assertNotIn("bytecode not updated", out)
                env.verify(list(DEMO_1))


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    found = pythons()
    if len(found) < 2:
        class NeedTwo(unittest.TestCase):
            def test_two_interpreters(self):
                self.fail(f"need at least two CPython versions, found {found}: "
                          "install one with pyenv or set PYCACHE_E2E_PYTHONS")
        suite.addTests(loader.loadTestsFromTestCase(NeedTwo))
    for python in found:
        for backend in ("native", "exec"):
            name = f"Scenarios_{Path(python).name.replace('.', '')}_{backend}"
            cls = type(name, (Scenarios, unittest.TestCase), {"python": python, "backend": backend})
            suite.addTests(loader.loadTestsFromTestCase(cls))
        cls = type(f"SameResults_{Path(python).name.replace('.', '')}", (SameResults,), {"python": python})
        suite.addTests(loader.loadTestsFromTestCase(cls))
    suite.addTests(loader.loadTestsFromTestCase(OldPkg))
    return suite


if __name__ == "__main__":
    unittest.main()
