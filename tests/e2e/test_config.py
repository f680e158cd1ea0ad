"""pycache.conf inside pkg triggers, through the emulator, once per backend
(native: pycache.core in the trigger's Lua; exec: the pycache program, as
in every stock pkg). The file is named by $PYCACHE_CONF, which both
backends read through the engine.

- A valid file is honoured by the trigger (levels, exclude).
- A broken file is one line naming the file, the line and the key; the
  trigger does exactly what it does without the file (cleaning included,
  and nothing pruned although the broken file asks for pruning), and pkg
  sees no failure.

Run by tests/e2e/run.sh with the environment of test_scenarios.py.
"""

from __future__ import annotations

import os
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import test_scenarios as sc  # noqa: E402

PY = "/usr/bin/python3.11"
PKG = {
    "cfg/__init__.py": b"A = 1\n",
    "cfg/tests/test_x.py": b"B = 2\n",
}


class Config:
    backend = ""

    def setUp(self):
        missing = [n for n, v in (("PYCACHE_PROGRAM", sc.PROGRAM), ("PYCACHE_GEN_TRIGGERS", sc.GEN),
                                  ("PYCACHE_CORE_SO", sc.CORE_SO)) if not v or not Path(v).exists()]
        if missing:
            self.fail(f"{', '.join(missing)} not set or missing: run tests/e2e/run.sh")
        self._tmp = tempfile.TemporaryDirectory(prefix="pycache-e2e-conf-")
        self.tmp = Path(self._tmp.name)
        self.conf = self.tmp / "pycache.conf"
        self._saved = os.environ.get("PYCACHE_CONF")
        os.environ["PYCACHE_CONF"] = str(self.conf)

    def tearDown(self):
        if self._saved is None:
            os.environ.pop("PYCACHE_CONF", None)
        else:
            os.environ["PYCACHE_CONF"] = self._saved
        self._tmp.cleanup()

    def env(self, text: str) -> sc.Env:
        self.conf.write_text(text)
        return sc.Env(self.tmp / "lb", PY, self.backend)

    def assert_pkg_happy(self, runs):
        self.assertEqual([r.status for r in runs], ["ok"] * len(runs), runs)
        for r in runs:
            self.assertNotIn("pkg: ", r.stderr, r)
            self.assertNotIn("Failed to execute lua trigger", r.stderr, r)

    def test_the_trigger_honours_the_file(self):
        env = self.env('levels = [0, 1];\nexclude = "*/tests/*"\npy39 { levels = [2] }\n')
        runs = env.system.install(env.files(PKG), mtime=sc.T1)
        self.assert_pkg_happy(runs)
        pycs = env.pycs("cfg/__init__.py")
        self.assertEqual([p.exists() for p in pycs], [True, True, False], sc.plain(runs))
        self.assertEqual([p.exists() for p in env.pycs("cfg/tests/test_x.py")], [False] * 3)

    def test_a_flavor_section_counts_over_the_top_level(self):
        env = self.env(f"levels = [0];\n{'py311'} {{ levels = [1, 2]; }}\n")
        runs = env.system.install(env.files(PKG), mtime=sc.T1)
        self.assert_pkg_happy(runs)
        self.assertEqual([p.exists() for p in env.pycs("cfg/__init__.py")], [False, True, True],
                         sc.plain(runs))

    def test_a_broken_file_is_one_line_and_changes_nothing(self):
        # Valid bytecode of every level is there first (made without the file),
        # and an orphan whose source the upgrade drops.
        os.environ["PYCACHE_CONF"] = str(self.tmp / "absent-but-named")
        self.conf.write_text("")
        env = sc.Env(self.tmp / "lb", PY, self.backend)
        old = dict(PKG, **{"cfg/old.py": b"OLD = 1\n"})
        runs = env.system.install(env.files(old), mtime=sc.T1)
        text = sc.plain(runs)
        # A named file that is missing is the same kind of problem: one line, work done.
        self.assertEqual(text.count("absent-but-named"), 1, text)
        self.assert_pkg_happy(runs)
        levels = env.pycs("cfg/__init__.py")
        self.assertTrue(all(p.exists() for p in levels), text)
        before = {p: p.stat().st_ino for p in levels}

        # Line 3 gives level 3; the file also asks to prune opt-2 files.
        self.conf.write_text("prune_levels = true\njobs = 1\nlevels = [0, 1, 3]\n")
        env.emu.env["PYCACHE_CONF"] = str(self.conf)
        runs = env.system.upgrade(env.files(old), env.files(PKG), mtime=sc.T2)
        text = sc.plain(runs)
        self.assert_pkg_happy(runs)
        warning = [line for line in text.splitlines() if str(self.conf) in line]
        self.assertEqual(len(warning), 1, text)
        self.assertIn(f"{self.conf}:3: levels[3]: must be 0, 1 or 2, got 3", warning[0])
        self.assertIn("the file is ignored", warning[0])
        # Cleaning ran (the dropped module's bytecode is gone) and nothing
        # valid was pruned: the opt-2 files are still the same files.
        self.assertFalse(any(p.exists() for p in env.pycs("cfg/old.py")), text)
        self.assertEqual({p: p.stat().st_ino for p in levels}, before, text)
        self.assertTrue(all(p.exists() for p in env.pycs("cfg/tests/test_x.py")), text)


def load_tests(loader, tests, pattern):
    suite = unittest.TestSuite()
    for backend in ("native", "exec"):
        cls = type(f"Config_{backend}", (Config, unittest.TestCase), {"backend": backend})
        suite.addTests(loader.loadTestsFromTestCase(cls))
    return suite
