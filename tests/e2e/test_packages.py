"""pkg stays right (issue 28, item 4): py-* packages built as today's ports
build them (levels 0 and 1 of bytecode in the package) and built with
USES=python-nobytecode (sources only), installed, upgraded in both
directions and deleted through the pkg emulator's package database
(tests/pkgemu, System: libpkg's pkg_add.c and pkg_delete.c) and the
flavor's trigger rendered by gen-triggers (exec backend: a stock pkg).

The packages are real: PyPI's `packaging` 21.3 and 24.2 (24.2 adds the
subpackage `licenses` and four modules; 21.3 has `__about__.py`, which
24.2 dropped), staged the way Mk/Uses/python.mk stages a USE_PYTHON=pep517
port: `python3.11 -m installer --destdir STAGEDIR --prefix PREFIX WHEEL`
(PyPI's installer 0.7.0, as tests/mk; it compiles levels 0 and 1), and
with the knob `--no-compile-bytecode` appended and every `__pycache__` of
the staged site-packages removed (Mk/Uses/python-nobytecode.mk); the
package holds every staged file with its staged mtime and mode, as
`pkg create` records them. The staging interpreter is a stock CPython 3.11
(pyenv's: Debian's own installs into local/.../dist-packages); the
installed system's is Debian's python3.11, as on a machine other than the
builder. The wheels are cached under target/e2e-pypi (tests/e2e/pypi.py).

After each step: every level of every module is there and fresh
(`pycache check` exits 0, and importlib's own rules accept each pyc) and
no other bytecode is (no stale, no orphan); `pkg check -s` is clean; a pyc
the package ships is the package's file, untouched by the trigger (same
bytes, mtime and inode as pkg extracted it).
"""

from __future__ import annotations

import hashlib
import os
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
PY = "/usr/bin/python3.11"
INSTALLER = "installer==0.7.0"
OLD, NEW = "packaging==21.3", "packaging==24.2"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def stock_python311() -> str | None:
    found = sorted(Path.home().glob(".pyenv/versions/3.11.*/bin/python3.11"))
    return str(found[-1]) if found else None


class Recording(pkgemu.System):
    """Records, when a transaction's triggers are about to run (the files
    are in place), the inode and mtime of every pyc an installed package
    owns."""

    def transaction(self, before, touched_files, touched_dirs=()):
        self.extracted = {}
        for rec in self.db.values():
            for path in rec["files"]:
                if path.endswith(".pyc"):
                    s = os.lstat(path)
                    self.extracted[path] = (s.st_ino, s.st_mtime_ns)
        return super().transaction(before, touched_files, touched_dirs)


class PackageLife(unittest.TestCase):
    def setUp(self):
        missing = [n for n, v in (("PYCACHE_PROGRAM", sc.PROGRAM), ("PYCACHE_GEN_TRIGGERS", sc.GEN))
                   if not v or not Path(v).exists()]
        if missing:
            self.fail(f"{', '.join(missing)} not set or missing: run tests/e2e/run.sh")
        self.stager = stock_python311()
        if self.stager is None:
            self.fail("a stock CPython 3.11 is needed to stage packages as the ports do: pyenv install 3.11")
        try:
            self.installer, self.old_whl, self.new_whl = pypi.wheels([INSTALLER, OLD, NEW], 11)
        except pypi.DownloadFailed as e:
            self.fail(str(e))
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-packages-")
        self.tmp = Path(self._tmp.name)
        self.lb = self.tmp / "lb"
        self.sp = self.lb / "lib/python3.11/site-packages"
        (self.lb / "bin").mkdir(parents=True)
        (self.lb / "bin/python3.11").symlink_to(PY)
        triggers = self.tmp / "triggers"
        subprocess.run([sc.GEN, "--flavors", "py311", "--localbase", str(self.lb),
                        "--lua-modsharedir", str(sc.REPO / "lua"), "--pycache-cmd", sc.PROGRAM,
                        "--out", str(triggers)], check=True, capture_output=True)
        emu = pkgemu.Emulator(env=dict(os.environ, PYCACHE_LUA_BACKEND="auto"))
        self.system = Recording([triggers], emu, self.lb)
        # The interpreter's package holds site-packages/README.txt, as
        # CPython installs it: site-packages is never left empty.
        readme = {str(self.sp / "README.txt"): pkgemu.File(b"third-party packages\n", sc.T0, 0o644)}
        self.assertEqual(self.ok(self.system.install_package(pkgemu.Package("python311", "3.11", readme))),
                         ">=> Python 3.11: bytecode up to date (0 sources)\n")

    def tearDown(self):
        self._tmp.cleanup()

    # -- packages as the ports build them ----------------------------------

    def build(self, wheel: Path, version: str, knob: bool) -> pkgemu.Package:
        """The package of `wheel`: staged by installer, as python.mk's
        PEP517_INSTALL_CMD, and with the knob as python-nobytecode.mk."""
        stage = self.tmp / f"stage-{version}-{'nobytecode' if knob else 'bytecode'}"
        # Two builds are never staged in the same second, as on a real
        # builder: a source both versions share byte for byte then has
        # another mtime in each package, and so other bytecode.
        while int(time.time()) <= getattr(self, "_built", 0):
            time.sleep(0.05)
        argv = [self.stager, "-m", "installer", "--destdir", str(stage), "--prefix", str(self.lb), str(wheel)]
        if knob:
            argv.append("--no-compile-bytecode")
        done = subprocess.run(argv, capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(self.installer)))
        self.assertEqual(done.returncode, 0, done.stderr)
        staged_sp = stage / str(self.sp).lstrip("/")
        self.assertTrue(staged_sp.is_dir(), f"installer staged elsewhere: {sorted(stage.rglob('*'))[:5]}")
        if knob:  # python-nobytecode-post-stage
            for cache in sorted(staged_sp.rglob("__pycache__"), reverse=True):
                shutil.rmtree(cache)
        self._built = int(time.time())
        files = {}
        for p in sorted(stage.rglob("*")):
            if p.is_file():
                s = p.stat()
                files["/" + str(p.relative_to(stage))] = pkgemu.File(p.read_bytes(), int(s.st_mtime),
                                                                     stat.S_IMODE(s.st_mode))
        shipped = sorted(f for f in files if f.endswith(".pyc"))
        sources = sorted(f for f in files if f.endswith(".py"))
        if knob:
            self.assertEqual(shipped, [], "the knob ships no bytecode")
        else:  # levels 0 and 1, as installer writes them
            want = sorted(str(self.pyc(s, level)) for s in sources for level in (0, 1))
            self.assertEqual(shipped, want)
        return pkgemu.Package("py311-packaging", version, files)

    def pyc(self, source: str, level: int) -> Path:
        p = Path(source)
        opt = "" if level == 0 else f".opt-{level}"
        return p.parent / "__pycache__" / f"{p.stem}.cpython-311{opt}.pyc"

    # -- what must hold ----------------------------------------------------

    def ok(self, runs) -> str:
        """The runs went well; the trigger's stdout."""
        self.assertEqual([(r.kind, r.status) for r in runs], [("trigger", "ok")], runs)
        self.assertEqual(runs[0].stderr, "", runs[0])
        return runs[0].stdout

    def pycache_check(self) -> None:
        run = subprocess.run([sc.PROGRAM, "check", "--stdlib", "--no-config", "--flavor", "py311",
                              "--prefix", str(self.lb)], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, "pycache check: " + run.stdout + run.stderr)

    def assert_exactly_valid_bytecode(self, pkg: pkgemu.Package) -> None:
        """Every level of each of pkg's sources, fresh by importlib's rules
        in the installed interpreter; no other bytecode in site-packages;
        pkg's own pycs as pkg extracted them; pkg check -s clean."""
        sources = sorted(f for f in pkg.files if f.endswith(".py"))
        want = sorted(str(self.pyc(s, level)) for s in sources for level in (0, 1, 2))
        have = sorted(str(p) for p in self.sp.rglob("*.pyc"))
        self.assertEqual(have, want)
        self.pycache_check()
        env = sc.Env.__new__(sc.Env)  # only verify() and what it reads
        env.python, env.sp = PY, self.sp
        env.verify([str(Path(s).relative_to(self.sp)) for s in sources])
        for path, content in pkg.files.items():
            if path.endswith(".pyc"):
                s = os.lstat(path)
                self.assertEqual(Path(path).read_bytes(), content.data, path)
                self.assertEqual((s.st_ino, s.st_mtime_ns), self.system.extracted[path],
                                 f"{path}: the package's pyc was rewritten")
                self.assertEqual(s.st_mtime_ns, content.mtime * 10**9, path)
        self.assertEqual(self.system.check_sums(), [])

    def left_of_packaging(self) -> list[str]:
        return sorted(str(p.relative_to(self.sp)) + ("/" if p.is_dir() else "")
                      for p in self.sp.rglob("*") if p.name != "README.txt")

    # -- the steps -----------------------------------------------------------

    def test_without_bytecode_install_then_delete_leaves_nothing(self):
        new = self.build(self.new_whl, "24.2", knob=True)
        out = self.ok(self.system.install_package(new))
        sources = [f for f in new.files if f.endswith(".py")]
        self.assertIn(f"wrote {3 * len(sources)} pycs ({len(sources)} .pyc, {len(sources)} .opt-1.pyc, "
                      f"{len(sources)} .opt-2.pyc) for {len(sources)} sources", out)
        self.assert_exactly_valid_bytecode(new)
        self.assertIn(str(self.sp / "packaging/licenses/__pycache__/_spdx.cpython-311.opt-2.pyc"),
                      [str(p) for p in self.sp.rglob("*.pyc")])
        # pkg delete: pkg removes the sources and dist-info, then fails to
        # remove each directory still holding a __pycache__; the trigger
        # removes the bytecode, the caches and those directories.
        out = self.ok(self.system.delete_package("py311-packaging"))
        self.assertIn(f"removed {3 * len(sources)} orphaned files", out)
        self.assertEqual(self.left_of_packaging(), [])
        self.assertTrue(self.sp.is_dir())
        self.assertEqual(self.system.check_sums(), [])

    def test_with_bytecode_install_keeps_the_packages_pycs_and_delete_leaves_nothing(self):
        old = self.build(self.old_whl, "21.3", knob=False)
        out = self.ok(self.system.install_package(old))
        sources = [f for f in old.files if f.endswith(".py")]
        self.assertIn(f"wrote {len(sources)} .opt-2.pyc for {len(sources)} sources", out)
        self.assert_exactly_valid_bytecode(old)
        out = self.ok(self.system.delete_package("py311-packaging"))
        self.assertIn(f"removed {len(sources)} orphaned files", out)
        self.assertEqual(self.left_of_packaging(), [])

    def test_upgrade_to_no_bytecode_and_back(self):
        old = self.build(self.old_whl, "21.3", knob=False)
        new = self.build(self.new_whl, "24.2", knob=True)
        self.ok(self.system.install_package(old))
        self.assert_exactly_valid_bytecode(old)
        # 21.3 (levels 0 and 1 shipped) -> 24.2 (none shipped): pkg removes
        # the old version's pycs with its other files; the trigger writes
        # every level of 24.2 and removes what pkg left of 21.3 (the
        # .opt-2.pyc of the dropped __about__.py).
        runs = self.system.upgrade_package(new)
        out = self.ok(runs)
        self.assertNotIn(str(self.sp / "packaging/__pycache__"), runs[0].arg)
        new_sources = [f for f in new.files if f.endswith(".py")]
        n = len(new_sources)
        self.assertIn(f"wrote {3 * n} pycs ({n} .pyc, {n} .opt-1.pyc, {n} .opt-2.pyc) for {n} sources", out)
        self.assertIn("removed 1 orphaned file", out)
        self.assert_exactly_valid_bytecode(new)
        # 24.2 -> 21.3 (levels 0 and 1 shipped again, a downgrade or a port
        # that leaves the knob): pkg replaces the trigger's .pyc and
        # .opt-1.pyc with the package's, but first saves each one (a file no
        # package owns, with other contents) as FILE.pkgsave
        # (libpkg/pkg_add.c, backup_file_if_needed); it drops licenses/ and
        # four modules without reporting them.
        made = {p: p.read_bytes() for p in self.sp.rglob("*.pyc")}
        saved = {Path(f + ".pkgsave"): made[Path(f)] for f, c in old.files.items()
                 if f.endswith(".pyc") and Path(f) in made and made[Path(f)] != c.data}
        self.assertEqual(len(saved), 2 * 10, "10 modules in both versions, levels 0 and 1")
        runs = self.system.upgrade_package(old)
        out = self.ok(runs)
        self.assertNotIn(str(self.sp / "packaging/licenses"), runs[0].arg)
        self.assertFalse((self.sp / "packaging/licenses").exists(), "dropped subpackage left behind")
        self.assert_exactly_valid_bytecode(old)
        # What pycache leaves of it: pkg's .pkgsave copies of the trigger's
        # bytecode, which pycache does not take for bytecode
        # (docs/triggers-and-ports.md, "pkg and packages without bytecode",
        # and "Known gaps"); they then outlive the
        # package.
        self.assertEqual({p: digest(p.read_bytes()) for p in self.sp.rglob("*.pkgsave")},
                         {p: digest(data) for p, data in saved.items()})
        self.ok(self.system.delete_package("py311-packaging"))
        left = sorted(str(p.relative_to(self.sp)) for p in saved)
        self.assertEqual(self.left_of_packaging(), ["packaging/", "packaging/__pycache__/", *left])


if __name__ == "__main__":
    unittest.main()
