"""pycache under the parts of real pkg that could hide a hang or a loss
(../shared/reference/pkg-triggers.md): how pkg.exec and pkg.exec_capture
treat stdin, stderr and signals, how failures skip later triggers, `@dir`
entries, deferred triggers under `pkg -r` and their chrooted run under
`pkg -c`, the example port's post-install script, and packages that ship
their own bytecode.

The first class checks the emulator itself against scripts that misbehave
on purpose (each would hang or fail in real pkg); the others run the real
pycache through it. Run by tests/e2e/run.sh with the same environment as
test_scenarios.py.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import test_scenarios as sc  # noqa: E402

pkgemu = sc.pkgemu
REPO = sc.REPO
PY = "/usr/bin/python3.11"


def need_build(test: unittest.TestCase) -> None:
    missing = [n for n, v in (("PYCACHE_PROGRAM", sc.PROGRAM), ("PYCACHE_GEN_TRIGGERS", sc.GEN),
                              ("PYCACHE_CORE_SO", sc.CORE_SO)) if not v or not Path(v).exists()]
    if missing:
        test.fail(f"{', '.join(missing)} not set or missing: run tests/e2e/run.sh")


def lua(script: str, sandbox: bool = False) -> pkgemu.Script:
    return pkgemu.Script(textwrap.dedent(script), sandbox)


class EmulatorIsLikePkg(unittest.TestCase):
    """Each case is something real pkg does; the emulator must do it too."""

    def setUp(self):
        self.emu = pkgemu.Emulator(hang_timeout=5)

    def test_stderr_beyond_a_pipe_before_stdout_closes_would_hang(self):
        script = lua("""
            local out, err, code = pkg.exec_capture({"/bin/sh", "-c", "head -c 70000 /dev/zero >&2; echo done"})
            print(#out, #err, code)
        """)
        with self.assertRaisesRegex(pkgemu.WouldHang, "stderr pipe"):
            self.emu.run_script(script, [])
        # Just under a pipe's worth, or stdout closed first: no hang.
        for cmd in ("head -c 60000 /dev/zero >&2; echo done",
                    "echo done; exec >&-; head -c 200000 /dev/zero >&2"):
            run = self.emu.run_script(lua(f"""
                local out, err, code = pkg.exec_capture({{"/bin/sh", "-c", "{cmd}"}})
                print(out == "done\\n", #err, code)
            """), [])
            self.assertEqual(run.status, "ok", run)
            self.assertRegex(run.stdout, r"^true\t\d+\t0\n$")

    def test_a_child_that_reads_stdin_would_hang_in_exec_and_exec_capture(self):
        for fn in ("exec", "exec_capture"):
            with self.subTest(fn), self.assertRaisesRegex(pkgemu.WouldHang, "stdin"):
                self.emu.run_script(lua(f'pkg.{fn}({{"/bin/cat"}})'), [])

    def test_a_signal_counts_as_success(self):
        run = self.emu.run_script(lua("""
            local pid = pkg.exec({"/bin/sh", "-c", "kill -9 $$"})
            print(math.type(pid), pkg.exec({"/bin/sh", "-c", "exit 3"}))
            print(pkg.exec_capture({"/bin/sh", "-c", "printf cut; kill -9 $$"}))
        """), [])
        self.assertEqual(run.status, "ok", run)
        self.assertEqual(run.stdout, "integer\tnil\tAbnormal termination\t0\ncut\t\t0\n")

    def test_each_pkg_version_has_what_that_release_had(self):
        # freebsd/pkg's libpkg/lua.c and triggers.c at each tag (PKG_VERSIONS).
        script = lua("""
            print(select(2, pkg.exec({"/bin/sh", "-c", "exit 1"})), type(pkg.exec_capture),
                  type(pkg.symlink), tostring(pkg_upgrade))
        """)
        expected = {
            "1.17.4": "Abnormal terminaison\tnil\tnil\tnil\n",
            "1.18.4": "Abnormal terminaison\tnil\tfunction\tnil\n",
            "1.20.6": "Abnormal terminaison\tnil\tfunction\tnil\n",
            "1.20.7": "Abnormal termination\tnil\tfunction\tnil\n",
            "1.21.0": "Abnormal termination\tnil\tfunction\tnil\n",
            "2.7.5": "Abnormal termination\tnil\tfunction\tfalse\n",
            "2.8.4": "Abnormal termination\tfunction\tfunction\tfalse\n",
        }
        for version, line in expected.items():
            with self.subTest(version):
                run = pkgemu.Emulator(hang_timeout=5, pkg_version=version).run_script(script, [])
                self.assertEqual((run.status, run.stdout), ("ok", line), run)
        # Older pkg.exec did not wait for its child: not emulated, and said so.
        with self.assertRaisesRegex(ValueError, "before 1.17.4 pkg.exec returned without waiting"):
            pkgemu.Emulator(pkg_version="1.17.3")

    def test_lua_errors_print_two_lines_a_nonzero_return_one(self):
        run = self.emu.run_script(lua('error("boom", 0)'), [])
        self.assertEqual((run.status, run.stderr),
                         ("error", "pkg: Failed to execute lua trigger: boom\npkg: lua script failed\n"))
        run = self.emu.run_script(lua("return 1"), [])
        self.assertEqual((run.status, run.stderr), ("nonzero", "pkg: lua script failed\n"))

    def test_globals_and_dir_entries(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            trig = tmp / "triggers"
            trig.mkdir()
            (trig / "t.ucl").write_text(textwrap.dedent(f"""\
                path_glob: "{tmp}/sp/*"
                trigger: {{ type: lua, sandbox: false, script: <<EOS
                table.sort(arg)
                print(tostring(pkg_upgrade) .. " " .. table.concat(arg, " "))
                EOS
                }}
                """))
            system = pkgemu.System([trig], self.emu, tmp)
            runs = system.install({str(tmp / "sp/a/f.py"): b""}, dirs=[str(tmp / "sp/empty")])
            self.assertEqual([r.status for r in runs], ["ok"], runs)
            self.assertEqual(runs[0].stdout, f"false {tmp}/sp/a {tmp}/sp/empty\n")

    def test_a_failing_cleanup_skips_every_later_script(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            trig = tmp / "triggers"
            trig.mkdir()
            for name, cleanup in (("a", 'error("cleanup failed", 0)'), ("b", 'print("b cleanup")')):
                (trig / f"{name}.ucl").write_text(textwrap.dedent(f"""\
                    path: "{tmp}/sp"
                    trigger: {{ type: lua, sandbox: false, script: "print('{name}')" }}
                    cleanup: {{ type: lua, sandbox: false, script: <<EOS
                    {cleanup}
                    EOS
                    }}
                    """))
            (trig / "c.ucl").write_text(f'path: "{tmp}/sp"\ntrigger: {{ type: lua, sandbox: false, script: "print(1)" }}\n')
            system = pkgemu.System([trig], self.emu, tmp)
            before = system._snapshot()
            (trig / "a.ucl").unlink()
            (trig / "b.ucl").unlink()
            (tmp / "sp").mkdir()
            (tmp / "sp/x.py").write_text("")
            runs = system.transaction(before, [tmp / "sp/x.py"])
            first = [r.status for r in runs].index("error")
            self.assertEqual(runs[first].kind, "cleanup", runs)
            self.assertEqual([r.status for r in runs[first + 1:]], ["skipped"] * (len(runs) - first - 1))
            self.assertIn(("trigger", "skipped"), [(r.kind, r.status) for r in runs[first + 1:]], runs)

    def test_installing_over_an_untracked_file_saves_it_when_it_differs(self):
        # pkg's tests/frontend/conflicts.sh, fileexists_notinpkg: an existing
        # file no package owns is renamed FILE.pkgsave when its contents
        # differ (from 1.20.9; always before), never when a package owns it.
        for version, same_saved in (("2.8.4", False), ("1.20.9", False), ("1.20.8", True)):
            with self.subTest(pkg_version=version), tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                (tmp / "triggers").mkdir()
                system = pkgemu.System([tmp / "triggers"], pkgemu.Emulator(pkg_version=version), tmp)
                (tmp / "a").write_bytes(b"entry\n")
                (tmp / "b").write_bytes(b"entry 2\n")
                system.install_package(pkgemu.Package("test", "2", {str(tmp / "a"): b"entry 2\n",
                                                                     str(tmp / "b"): b"entry 2\n"}))
                self.assertEqual((tmp / "a.pkgsave").read_bytes(), b"entry\n")
                self.assertEqual((tmp / "b.pkgsave").exists(), same_saved)
                self.assertEqual((tmp / "a").read_bytes(), b"entry 2\n")
                (tmp / "a.pkgsave").unlink()
                (tmp / "b.pkgsave").unlink(missing_ok=True)
                system.upgrade_package(pkgemu.Package("test", "3", {str(tmp / "a"): b"entry 3\n",
                                                                     str(tmp / "b"): b"entry 3\n"}))
                self.assertEqual(sorted(os.listdir(tmp)), ["a", "b", "triggers"], "owned: never saved")

    def test_delete_removes_empty_parents_up_to_the_prefix_and_spares_another_packages_dir(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            prefix = tmp / "local"
            (tmp / "triggers").mkdir()
            system = pkgemu.System([tmp / "triggers"], self.emu, prefix)
            system.install_package(pkgemu.Package("owner", "1", {}, dirs=[str(prefix / "share/a")]))
            system.install_package(pkgemu.Package("deep", "1", {
                str(prefix / "share/a/b/c/f"): b"1", str(prefix / "lib/x/y/g"): b"2",
                str(prefix / "lib/x/keep/h"): b"3"}, dirs=[str(prefix / "lib/x/empty/e")]))
            (prefix / "lib/x/y/stray").write_bytes(b"not the package's")
            self.assertEqual(system.check_sums(), [])
            (prefix / "lib/x/keep/h").write_bytes(b"changed")
            self.assertEqual(system.check_sums(), [f"deep-1: checksum mismatch for {prefix}/lib/x/keep/h"])
            system.delete_package("deep")
            left = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*"))
            # share/a is owner's @dir; lib/x/y holds a file of no package;
            # lib/x/empty/e and lib/x/keep went with their parents up to lib/x.
            self.assertEqual(left, ["lib", "lib/x", "lib/x/y", "lib/x/y/stray", "share", "share/a"])
            system.delete_package("owner")
            (prefix / "lib/x/y/stray").unlink()
            system.install_package(pkgemu.Package("last", "1", {str(prefix / "lib/only"): b""}))
            self.assertEqual(system.check_sums(), [])
            (prefix / "lib/only").unlink()
            self.assertEqual(system.check_sums(), [f"last-1: missing file {prefix}/lib/only"])
            system.delete_package("last")
            self.assertTrue(prefix.is_dir(), "the prefix itself is never removed")

    def test_an_upgrade_removes_what_the_new_version_lacks_and_records_only_the_new(self):
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            prefix = tmp / "local"
            trig = tmp / "triggers"
            trig.mkdir()
            (trig / "t.ucl").write_text(f'path_glob: "{prefix}/*"\ntrigger: {{ type: lua, script: '
                                        '"table.sort(arg) print(table.concat(arg, \\" \\"))" }\n')
            system = pkgemu.System([trig], self.emu, prefix)
            system.install_package(pkgemu.Package("p", "1", {str(prefix / "d/a"): b"1", str(prefix / "d/sub/b"): b"1",
                                                              str(prefix / "e/c"): b"1"}))
            (prefix / "d/sub/untracked").write_bytes(b"")
            runs = system.upgrade_package(pkgemu.Package("p", "2", {str(prefix / "d/a"): b"2",
                                                                     str(prefix / "e/new"): b"2"}))
            self.assertEqual(runs[0].stdout, f"{prefix}/d {prefix}/e\n")
            left = sorted(str(p.relative_to(prefix)) for p in prefix.rglob("*"))
            self.assertEqual(left, ["d", "d/a", "d/sub", "d/sub/untracked", "e", "e/new"])
            self.assertEqual(system.db["p"]["version"], "2")
            self.assertEqual(system.check_sums(), [])

    def test_deferral_under_a_root_and_null_args_on_reruns(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "root"
            trig = root / "usr/local/share/pkg/triggers"
            trig.mkdir(parents=True)
            (trig / "t.ucl").write_text(textwrap.dedent("""\
                path_glob: "/usr/local/lib/*"
                trigger: { type: lua, sandbox: false, script: <<EOS
                table.sort(arg)
                local f = io.open("/ran", "a") f:write(table.concat(arg, " "), "\\n") f:close()
                EOS
                }
                """))
            (trig / "s.ucl").write_text(textwrap.dedent("""\
                path_glob: "/usr/local/lib/*"
                trigger: { type: lua, script: "local f = io.open('/sandboxed', 'w') f:write('now') f:close()" }
                """))
            emu = pkgemu.Emulator(root=str(root))
            system = pkgemu.System([trig], emu, "/usr/local", root=root)
            runs = system.install({"/usr/local/lib/a/x.py": b"", "/usr/local/lib/b/y.py": b""})
            self.assertEqual(sorted(r.status for r in runs), ["deferred", "ok"], runs)
            self.assertEqual((root / "sandboxed").read_text(), "now")  # ran at once, in the root
            self.assertFalse((root / "ran").exists())
            saved = list((root / pkgemu.DEFERRED_DIR).iterdir())
            self.assertEqual(len(saved), 1)
            self.assertEqual(sorted(pkgemu.load_deferred(saved[0])[1]),
                             ["/usr/local/lib/a", "/usr/local/lib/b"])
            # pkg -r ROOT triggers: saved again, with arg (null).
            runs = pkgemu.run_deferred(root, emu)
            self.assertEqual([r.status for r in runs], ["deferred"])
            again = list((root / pkgemu.DEFERRED_DIR).iterdir())
            self.assertEqual(len(again), 1)
            self.assertNotEqual(again, saved)
            self.assertEqual(pkgemu.load_deferred(again[0])[1], ["(null)"])
            # pkg -c ROOT triggers: run chrooted, and removed.
            runs = pkgemu.run_deferred(root, pkgemu.Emulator(chroot=root))
            self.assertEqual([r.status for r in runs], ["ok"], runs)
            self.assertEqual((root / "ran").read_text(), "(null)\n")
            self.assertEqual(list((root / pkgemu.DEFERRED_DIR).iterdir()), [])


class Env(sc.Env):
    """Env of test_scenarios, exec backend (a stock pkg)."""

    def __init__(self, tmp: Path, program: str | None = None, **emu):
        super().__init__(tmp, PY, "exec", program=program)
        self.emu = pkgemu.Emulator(env=self.emu.env, **emu)
        self.system = pkgemu.System([self.triggers], self.emu, self.sp)


def wrapper(tmp: Path, body: str) -> str:
    """A stand-in pycache program: a shell script around the real one."""
    p = tmp / "bin" / "pycache"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text("#!/bin/sh\n" + body)
    p.chmod(0o755)
    return str(p)


class PycacheUnderPkg(unittest.TestCase):
    def setUp(self):
        need_build(self)
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-pkg-")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def test_stderr_stays_far_below_a_pipe_whatever_fails(self):
        env = Env(self.tmp / "a", hang_timeout=120)
        bad = {f"broken/m{i:04d}_{'x' * 60}.py": b"print 'python 2'\n" for i in range(3000)}
        runs = env.system.install(env.files(bad))
        self.assertEqual([r.status for r in runs], ["ok"], runs)
        self.assertIn("3000 failed", runs[0].stdout)
        env.bin.unlink()  # and the interpreter gone
        env.system.install(env.files({"broken/more.py": b"X = 1\n"}))
        shutil.rmtree(env.sp)  # and site-packages gone
        env.emu.run_script(pkgemu.load_trigger(env.trigger_file).trigger, [str(env.sp / "x")])
        # The program's own stderr, each time, in the largest failures.
        self.assertEqual(len(env.emu.captures), 3)
        for c in env.emu.captures:
            self.assertLess(c["stderr"], 4096, c)
        self.assertGreater(env.emu.captures[0]["stdout"], pkgemu.PIPE_SIZE, "the full list is in --json")
        # Outside pkg too: thousands of failing files go to stdout only.
        run = subprocess.run([sc.PROGRAM, "update", "--flavor", env.flavor, "--prefix", str(env.lb),
                              "--python", PY], capture_output=True)
        self.assertLess(len(run.stderr), 4096)

    def test_a_killed_or_cut_program_is_a_failure_not_a_good_run(self):
        real = sc.PROGRAM
        cases = {
            "killed": "kill -9 $$\n",
            "cut": f'"{real}" "$@" | head -c 40; kill -9 $$\n',
            "silent": "exit 0\n",
        }
        for name, body in cases.items():
            with self.subTest(name):
                tmp = self.tmp / name
                env = Env(tmp, program=wrapper(tmp, body))
                runs = env.system.install(env.files(sc.DEMO_1), mtime=sc.T1)
                self.assertEqual([r.status for r in runs], ["ok"], runs)
                self.assertEqual(runs[0].stdout, "", runs)
                self.assertRegex(runs[0].stderr,
                                 rf"^pycache: {env.flavor} bytecode not updated: .*/bin/pycache: no report "
                                 r"from the pycache program \(exit status 0, as pkg shows a program killed "
                                 r"by a signal.*; run it by hand to see why\n$")

    def test_a_trigger_run_never_reads_stdin(self):
        # pkg's stdin (a pipe never closed) and pkg.exec's stdin pipe: a read
        # would block until hang_timeout and raise WouldHang.
        for version in (pkgemu.PKG_VERSION, "2.7.5"):  # exec_capture, then pkg.exec only
            with self.subTest(pkg_version=version):
                tmp = self.tmp / version
                env = Env(tmp, pkg_version=version, hang_timeout=30)
                runs = env.system.install(env.files(sc.DEMO_1), mtime=sc.T1)
                self.assertEqual([r.status for r in runs], ["ok"], runs)
                self.assertIn("for 6 sources in", runs[0].stdout)
                long_arg = [str(env.sp / f"gone{i}") for i in range(100)] + [str(env.sp / "demo")]
                run = env.emu.run_script(pkgemu.load_trigger(env.trigger_file).trigger, long_arg)
                self.assertEqual(run.status, "ok", run)  # --dirs-from FILE, never "-"
        # Only when told to (--dirs-from -) does the program read stdin.
        env = Env(self.tmp / "told")
        (env.sp / "m.py").write_text("M = 1\n")
        run = subprocess.run([sc.PROGRAM, "update", "--flavor", env.flavor, "--prefix", str(env.lb),
                              "--dirs-from", "-"], input=str(env.sp).encode(), capture_output=True)
        self.assertIn(b"for 1 source in", run.stdout, run)

    def test_packages_that_ship_levels_0_and_1_keep_them_byte_for_byte(self):
        env = Env(self.tmp / "a")
        src = {"shipped/__init__.py": b"", "shipped/m.py": b'"""doc"""\ndef f():\n    assert f\n    return 1\n'}
        # What the port built: the py-* package ships .pyc and .opt-1.pyc.
        build = self.tmp / "build"
        for rel, data in src.items():
            (build / rel).parent.mkdir(parents=True, exist_ok=True)
            (build / rel).write_bytes(data)
            os.utime(build / rel, (sc.T1, sc.T1))
        subprocess.run([PY, "-m", "compileall", "-q", "-d", str(env.sp), "-o", "0", "-o", "1", str(build)],
                       check=True)
        package = {rel: data for rel, data in src.items()}
        for pyc in build.rglob("*.pyc"):
            package[str(pyc.relative_to(build))] = pyc.read_bytes()
        # pkg extracts the files, then runs the transaction's triggers.
        before = env.system._snapshot()
        env.system._write(env.files(package), sc.T1)
        shipped = {p: (p.stat().st_ino, p.read_bytes(), p.stat().st_mtime_ns)
                   for p in env.sp.rglob("*.pyc")}
        self.assertEqual(len(shipped), 4)
        runs = env.system.transaction(before, [Path(f) for f in env.files(package)])
        self.assertEqual([r.status for r in runs], ["ok"], runs)
        # The summary says what was written: only the -OO level was missing.
        self.assertIn(">=> Python 3.11: wrote 2 .opt-2.pyc for 2 sources in", runs[0].stdout)
        for p, (ino, data, mtime) in shipped.items():
            self.assertEqual((p.stat().st_ino, p.read_bytes(), p.stat().st_mtime_ns), (ino, data, mtime), p)
        added = sorted(str(p.relative_to(env.sp)) for p in env.sp.rglob("*.pyc") if p not in shipped)
        self.assertEqual(added, ["shipped/__pycache__/__init__.cpython-311.opt-2.pyc",
                                 "shipped/__pycache__/m.cpython-311.opt-2.pyc"])
        env.verify(list(src))
        # Deleting the package (its files: sources and shipped pycs) leaves
        # nothing: the trigger removes the opt-2 files it made.
        runs = env.system.delete(env.files(package))
        self.assertEqual([r.status for r in runs], ["ok"], runs)
        self.assertFalse((env.sp / "shipped").exists(), sc.tree(env.sp))


class FreeThreaded(unittest.TestCase):
    """py313 and py313t triggers side by side (same tag, separate trees),
    python3.13t being a link to a regular 3.13: no free-threaded build is
    installed on the test machine."""

    def test_each_trigger_fires_for_its_own_tree_only(self):
        need_build(self)
        py313 = sorted(Path.home().glob(".pyenv/versions/3.13.*/bin/python3.13"))
        self.assertTrue(py313, "CPython 3.13 is needed: pyenv install 3.13.0")
        with tempfile.TemporaryDirectory(prefix="pycache-ft-") as tmp:
            tmp = Path(tmp)
            lb, triggers = tmp / "lb", tmp / "triggers"
            (lb / "bin").mkdir(parents=True)
            for v in ("3.13", "3.13t"):
                os.symlink(py313[-1], lb / f"bin/python{v}")
                (lb / f"lib/python{v}/site-packages").mkdir(parents=True)
            subprocess.run([sc.GEN, "--flavors", "py313,py313t", "--localbase", str(lb),
                            "--lua-modsharedir", str(REPO / "lua"), "--pycache-cmd", sc.PROGRAM,
                            "--out", str(triggers)], check=True, capture_output=True)
            self.assertEqual(sorted(os.listdir(triggers)), ["pycache-py313.ucl", "pycache-py313t.ucl"])
            system = pkgemu.System([triggers], pkgemu.Emulator(), lb)
            for v in ("3.13t", "3.13"):
                other = "3.13" if v == "3.13t" else "3.13t"
                before = sc.tree(lb / f"lib/python{other}")
                files = {str(lb / f"lib/python{v}/site-packages/{rel}"): data for rel, data in sc.DEMO_1.items()}
                runs = system.install(files, mtime=sc.T1)
                self.assertEqual([(Path(r.file).name, r.status) for r in runs],
                                 [(f"pycache-py{v.replace('.', '')}.ucl", "ok")], runs)
                self.assertRegex(runs[0].stdout, rf"^>=> Python {re.escape(v)}: wrote 18 pycs \(6 \.pyc, 6 \.opt-1\.pyc, 6 \.opt-2\.pyc\) for 6 sources")
                self.assertEqual(sc.tree(lb / f"lib/python{other}"), before)
            runs = system.delete(files)  # the 3.13 package: its pycs go, 3.13t's stay
            self.assertEqual([r.status for r in runs], ["ok"])
            self.assertEqual(len(list((lb / "lib/python3.13t").rglob("*.cpython-313*.pyc"))), 18)
            self.assertEqual(list((lb / "lib/python3.13").rglob("*.pyc")), [])


class ImageBuild(unittest.TestCase):
    """`pkg -r ROOT install` defers the trigger. Either of the two documented
    ways then leaves the same tree: the deferred trigger run chrooted
    (`pkg -c ROOT triggers`) or `pycache update --root ROOT` on the host."""

    FLAVOR = "py311"

    def setUp(self):
        need_build(self)
        probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
        if probe.returncode != 0:
            self.fail("pkg -c ROOT is emulated with a real chroot: run as root with unshare(1) "
                      f"(util-linux) and mount namespaces allowed: {probe.stderr.decode().strip()}")
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-image-")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def image(self, name: str) -> tuple[Path, pkgemu.System]:
        """A staged image with pycache and python3.11 installed at /usr/local."""
        root = self.tmp / name
        lb = root / "usr/local"
        (lb / "bin").mkdir(parents=True)
        (lb / "lib/python3.11/site-packages").mkdir(parents=True)
        (root / "tmp").mkdir()
        (root / "tmp").chmod(0o1777)
        os.symlink(PY, lb / "bin/python3.11")  # the host's /usr/bin, bind-mounted in the chroot
        shutil.copy(sc.PROGRAM, lb / "bin/pycache")
        (lb / "share/lua/5.4").mkdir(parents=True)
        shutil.copy(REPO / "lua/pycache.lua", lb / "share/lua/5.4/pycache.lua")
        subprocess.run([sc.GEN, "--flavors", self.FLAVOR, "--out", str(lb / "share/pkg/triggers")],
                       check=True, capture_output=True)
        emu = pkgemu.Emulator(root=str(root), env=dict(os.environ, PYCACHE_LUA_BACKEND="auto"))
        return root, pkgemu.System([lb / "share/pkg/triggers"], emu, "/usr/local/lib/python3.11/site-packages",
                                   root=root)

    def install(self, system: pkgemu.System) -> None:
        sp = "/usr/local/lib/python3.11/site-packages"
        files = {f"{sp}/{rel}": data for rel, data in {**sc.DEMO_1, **sc.OTHER}.items()}
        runs = system.install(files, mtime=sc.T1)
        self.assertEqual([r.status for r in runs], ["deferred"], runs)

    def test_deferred_trigger_in_a_chroot_and_pycache_root_leave_the_same_tree(self):
        a, sys_a = self.image("a")
        b, sys_b = self.image("b")
        self.install(sys_a)
        self.install(sys_b)
        site = "usr/local/lib/python3.11/site-packages"
        self.assertEqual(list((a / site).rglob("*.pyc")), [], "nothing ran under -r")
        # a: `pkg -r ROOT triggers` (re-saved, arg (null)), then `pkg -c ROOT triggers`.
        self.assertEqual([r.status for r in pkgemu.run_deferred(a, sys_a.emu)], ["deferred"])
        runs = pkgemu.run_deferred(a, pkgemu.Emulator(chroot=a, env=sys_a.emu.env))
        self.assertEqual([r.status for r in runs], ["ok"], runs)
        self.assertEqual(runs[0].arg, ["(null)"])
        self.assertIn('pycache: warning: no touched directory is in /usr/local/lib/python3.11 '
                      '(got "(null)"); updating the whole standard library', runs[0].stdout)
        self.assertIn(">=> Python 3.11: wrote 24 pycs (8 .pyc, 8 .opt-1.pyc, 8 .opt-2.pyc) for 8 sources", runs[0].stdout)
        self.assertEqual(os.listdir(a / pkgemu.DEFERRED_DIR), [])
        # b: pycache on the host, against the root.
        done = subprocess.run([sc.PROGRAM, "update", "--root", str(b), "--flavor", self.FLAVOR,
                               "--python", PY], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done)
        self.assertIn("wrote 24 pycs (8 .pyc, 8 .opt-1.pyc, 8 .opt-2.pyc) for 8 sources", done.stdout)

        def pycs(root):
            return {str(p.relative_to(root)): p.read_bytes() for p in (root / site).rglob("*") if p.is_file()}
        ta, tb = pycs(a), pycs(b)
        self.assertEqual(sorted(ta), sorted(tb))
        self.assertEqual(len([k for k in ta if k.endswith(".pyc")]), 24)
        self.assertEqual(ta, tb, "same bytes: both record /usr/local paths")
        self.assertIn(b"/usr/local/lib/python3.11/site-packages/demo/a.py",
                      ta[f"{site}/demo/__pycache__/a.cpython-311.pyc"])


class FirstInstall(unittest.TestCase):
    """The example port's pkg-post-install: installing pycache on
    a system that already has Python packages compiles every installed
    flavor, one line each, and never fails the installation."""

    def setUp(self):
        need_build(self)
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-first-")
        self.tmp = Path(self._tmp.name)

    def tearDown(self):
        self._tmp.cleanup()

    def render(self, flavors: str, lb: Path) -> str:
        """pkg-post-install.in with the SUB_LIST values the port would give it."""
        text = (REPO / "Mk/examples/lang/python-pycache/files/pkg-post-install.in").read_text()
        for k, v in {"PYCACHE_FLAVORS": flavors, "PYCACHE_CMD": sc.PROGRAM, "LOCALBASE": str(lb)}.items():
            text = text.replace(f"%%{k}%%", v)
        self.assertNotIn("%%", text)
        return text

    def test_post_install_compiles_every_installed_flavor(self):
        lb = self.tmp / "lb"
        py313 = sorted(Path.home().glob(".pyenv/versions/3.13.*/bin/python3.13"))
        self.assertTrue(py313, "CPython 3.13 is needed: pyenv install 3.13.0")
        pythons = {"py311": PY, "py313": str(py313[-1])}
        for flavor, python in pythons.items():
            ver = f"3.{flavor[3:]}"
            (lb / "bin").mkdir(parents=True, exist_ok=True)
            os.symlink(python, lb / f"bin/python{ver}")
            sp = lb / f"lib/python{ver}/site-packages"
            for rel, data in sc.DEMO_1.items():
                (sp / rel).parent.mkdir(parents=True, exist_ok=True)
                (sp / rel).write_bytes(data)
        # py39: in the port's list, not installed here; py312: site-packages
        # left behind without its interpreter.
        (lb / "lib/python3.12/site-packages/x").mkdir(parents=True)
        (lb / "lib/python3.12/site-packages/x/__pycache__").mkdir()
        (lb / "lib/python3.12/site-packages/x/__pycache__/gone.cpython-312.pyc").write_bytes(b"orphan")
        (lb / "lib/python3.12/site-packages/x/m.py").write_text("M = 1\n")
        triggers = self.tmp / "triggers"
        triggers.mkdir()
        script = self.render("py39 py311 py312 py313", lb)
        emu = pkgemu.Emulator()
        system = pkgemu.System([triggers], emu, lb)
        # The pycache package: program, module and triggers (none touches site-packages).
        files = {str(triggers / "pycache-py311.ucl"): b'path: "/nowhere"\ntrigger: { type: lua, script: "" }\n'}
        runs = system.install(files, install_script=script)
        self.assertEqual([(r.kind, r.status) for r in runs], [("script", "ok")], runs)
        lines = runs[0].stdout.splitlines()
        self.assertEqual(len(lines), 3, runs[0])
        self.assertRegex(lines[0], r"^>=> Python 3\.11: wrote 18 pycs \(6 \.pyc, 6 \.opt-1\.pyc, 6 \.opt-2\.pyc\) for 6 sources in [\d.]+ s$")
        self.assertEqual(lines[1], ">=> Python 3.12: removed 1 orphaned file")
        self.assertRegex(lines[2], r"^>=> Python 3\.13: wrote 18 pycs")
        self.assertEqual(runs[0].stderr.count("\n"), 1, runs[0])
        self.assertIn("pycache: py312 bytecode not updated: ", runs[0].stderr)
        # Run again (an upgrade of pycache runs it again): nothing to do.
        again = system._script("pkg-install", script, "POST-INSTALL")
        self.assertEqual(again.status, "ok")
        self.assertRegex(again.stdout, r">=> Python 3\.11: bytecode up to date \(6 sources\)")
        # Never fails the installation, even with the program gone.
        broken = script.replace(sc.PROGRAM, str(self.tmp / "gone"))
        run = system._script("pkg-install", broken, "POST-INSTALL")
        self.assertEqual(run.status, "ok", run)
        self.assertEqual(run.stderr, f"pycache: bytecode not updated: {self.tmp}/gone: program not found; "
                                     "reinstall pycache\n")
        # Under pkg -r IMAGE: nothing compiled with the host's view; it says what to run.
        image = self.tmp / "image"
        (image / str(lb).lstrip("/") / "lib/python3.11/site-packages").mkdir(parents=True)
        run = pkgemu.System([triggers], emu, lb, root=image)._script("pkg-install", script, "POST-INSTALL")
        self.assertEqual((run.status, run.stdout), ("ok", ""), run)
        self.assertEqual(run.stderr, f"pycache: py311 bytecode not updated: installing into {image}; run the "
                                     f"deferred triggers (pkg -c {image} triggers) or pycache update --root "
                                     f"{image} --flavor py311\n")
        # Run as a pkg-install, only POST-INSTALL does anything.
        run = system._script("pkg-install", script, "PRE-INSTALL")
        self.assertEqual((run.status, run.stdout, run.stderr), ("ok", "", ""))

    def test_upgrading_pycache_runs_no_cleanup_and_loses_no_bytecode(self):
        env = Env(self.tmp / "a")
        self.assertEqual([r.status for r in env.system.install(env.files(sc.DEMO_1), mtime=sc.T1)], ["ok"])
        pycs = {p: p.read_bytes() for p in env.sp.rglob("*.pyc")}
        trigger = env.trigger_file
        pkg_v1 = {str(trigger): trigger.read_bytes()}
        # pkg upgrade of pycache: the same trigger file in the new version, so
        # pkg_add.c never calls trigger_is_it_a_cleanup for it.
        runs = env.system.upgrade(pkg_v1, pkg_v1)
        self.assertEqual(runs, [])
        self.assertEqual({p: p.read_bytes() for p in env.sp.rglob("*.pyc")}, pycs)
        # Deinstalling pycache: the cleanup block removes orphans only.
        orphan = env.sp / "demo/__pycache__" / f"gone.{env.tag}.pyc"
        orphan.write_bytes(b"orphan")
        runs = env.system.delete(pkg_v1)
        self.assertEqual([(r.kind, r.status) for r in runs], [("cleanup", "ok")], runs)
        self.assertFalse(orphan.exists())
        self.assertEqual({p: p.read_bytes() for p in env.sp.rglob("*.pyc")}, pycs)


if __name__ == "__main__":
    unittest.main()
