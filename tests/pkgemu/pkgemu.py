"""An emulation of how FreeBSD pkg runs Lua triggers (tests only).

Faithful to ../../../shared/reference/pkg-triggers.md (pkg 2.8), as far as
pycache's tests need:

* trigger files: every regular, non-hidden ``*.ucl`` in each triggers
  directory (symlinks skipped), read with the strict reader
  tests/support/ucl.lua; a file without ``path``/``path_glob``/
  ``path_regexp`` or without a ``trigger`` block of ``type: lua`` is
  rejected; ``sandbox`` defaults to true.
* ``arg``: the parent directory of every file a transaction installs or
  removes, de-duplicated, matched with ``path`` (exact), ``path_glob``
  (fnmatch without FNM_PATHNAME: ``*`` matches ``/``) and ``path_regexp``
  (extended regex, unanchored). An upgrade records only the new version's
  files; what it drops is removed unrecorded.
* each script runs in a new ``lua5.4`` process (pkg forks a child with a
  fresh Lua 5.4 state) with the globals ``pkg``, ``rootfd`` and ``arg``;
  see runtime.lua for the ``pkg`` table, the root-relative ``io.open``/
  ``os.remove``/``os.rename``, ``os.exit`` raising and C modules that cannot
  load ("dynamic libraries not enabled; check your Lua installation").
  ``pkg.exec_capture`` can be left out to emulate pkg < 2.8, and C modules
  allowed to emulate a pkg built with LUA_USE_DLOPEN (``dlopen=True``).
* a script that raises prints ``Failed to execute lua trigger: MSG``; one
  that returns a non-zero number fails silently; either way every later
  trigger of the transaction is skipped and the transaction still succeeds.
* ``cleanup`` of a trigger file that the transaction removed runs first,
  with an empty ``arg``.

Deviations, all harmless for these tests: Lua's stdout/stderr are flushed
before each ``pkg`` call (so the order of lines is stable), the emulator does
the filesystem work for ``pkg.stat``/``pkg.readdir``/``pkg.exec`` itself
(Debian's lua-posix has no 5.4 build), there is no Capsicum (as pkg on
Linux), ``pkg.copy`` returns true / nil, msg, errno and ``pkg.filecmp``
0 (same), 1 (different) or 2 (error). When the program cannot be spawned,
``pkg.exec_capture`` returns nil, nil, errno, as libpkg/lua.c does.

Use as a library (tests/e2e) or from the command line:

    python3.11 tests/pkgemu/pkgemu.py --triggers DIR [--no-exec-capture] FILE...

runs the triggers of DIR for a transaction that touched FILE... and prints
what ran as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import shutil
import stat as st
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "runtime.lua"
LUA = os.environ.get("PKGEMU_LUA", "lua5.4")


class TriggerFileError(Exception):
    """A trigger file pkg would reject."""


@dataclasses.dataclass
class Script:
    script: str
    sandbox: bool


@dataclasses.dataclass
class Trigger:
    file: Path
    description: str
    paths: list[str]
    globs: list[str]
    regexps: list[str]
    trigger: Script
    cleanup: Script | None

    def matches(self, directory: str) -> bool:
        return (
            directory in self.paths
            or any(fnmatch(g, directory) for g in self.globs)
            or any(re.search(r, directory) for r in self.regexps)
        )


@dataclasses.dataclass
class Run:
    """One script run (or skipped) in a transaction."""

    file: str
    kind: str  # "cleanup" | "trigger"
    arg: list[str]
    status: str  # "ok" | "error" | "nonzero" | "skipped"
    message: str = ""
    stdout: str = ""
    stderr: str = ""
    fd0: str = ""


def fnmatch(pattern: str, name: str) -> bool:
    """fnmatch(3) with flags 0: `*` and `?` match `/` too, `\\` escapes."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 1
            if j >= len(pattern):
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : j]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), name, re.DOTALL) is not None


def _strings(value, key: str, file: Path) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    raise TriggerFileError(f"{file}: {key} must be a string or an array of strings")


def _script(block, key: str, file: Path) -> Script | None:
    if block is None:
        return None
    if not isinstance(block, dict):
        raise TriggerFileError(f"{file}: {key} must be an object")
    if str(block.get("type", "")).lower() != "lua":
        raise TriggerFileError(f"{file}: {key}: type must be lua")
    if not isinstance(block.get("script"), str):
        raise TriggerFileError(f"{file}: {key}: no script")
    sandbox = block.get("sandbox", True)
    return Script(block["script"], sandbox is not False)


def load_trigger(file: Path) -> Trigger:
    out = subprocess.run(
        [LUA, str(RUNTIME), "parse", str(file)], capture_output=True, check=False
    )
    if out.returncode != 0:
        raise TriggerFileError(f"{file}: {out.stderr.decode(errors='replace').strip()}")
    parsed = json.loads(out.stdout.decode("utf-8", "surrogateescape"))
    if "error" in parsed:
        raise TriggerFileError(f"{file}: {parsed['error']}")
    t = parsed["ok"]
    paths = _strings(t.get("path"), "path", file)
    globs = _strings(t.get("path_glob"), "path_glob", file)
    regexps = _strings(t.get("path_regexp"), "path_regexp", file)
    if not (paths or globs or regexps):
        raise TriggerFileError(f"{file}: no path, path_glob or path_regexp")
    trigger = _script(t.get("trigger"), "trigger", file)
    if trigger is None:
        raise TriggerFileError(f"{file}: no trigger block")
    return Trigger(
        file=file,
        description=str(t.get("description", "")),
        paths=paths,
        globs=globs,
        regexps=regexps,
        trigger=trigger,
        cleanup=_script(t.get("cleanup"), "cleanup", file),
    )


def load_triggers(dirs: list[Path]) -> tuple[list[Trigger], list[str]]:
    """The triggers of every directory, and the files pkg would reject."""
    triggers, rejected = [], []
    for d in dirs:
        try:
            names = os.listdir(d)
        except OSError:
            continue
        for name in names:
            f = Path(d) / name
            if name.startswith(".") or not name.endswith(".ucl"):
                continue
            if not st.S_ISREG(f.lstat().st_mode):
                continue  # symlinks and others are skipped
            try:
                triggers.append(load_trigger(f))
            except TriggerFileError as e:
                rejected.append(str(e))
    return triggers, rejected


def _stat_type(mode: int) -> str:
    for test, name in (
        (st.S_ISREG, "reg"),
        (st.S_ISDIR, "dir"),
        (st.S_ISLNK, "lnk"),
        (st.S_ISCHR, "chr"),
        (st.S_ISBLK, "blk"),
        (st.S_ISSOCK, "sock"),
        (st.S_ISFIFO, "fifo"),
    ):
        if test(mode):
            return name
    return "unknown"


def _read_message(f) -> list[bytes] | None:
    line = f.readline()
    if not line:
        return None
    fields = []
    for _ in range(int(line)):
        n = int(f.readline())
        fields.append(f.read(n) if n else b"")
    return fields


def _write_message(f, fields) -> None:
    out = [b"%d\n" % len(fields)]
    for x in fields:
        b = x if isinstance(x, bytes) else str(x).encode()
        out.append(b"%d\n" % len(b))
        out.append(b)
    f.write(b"".join(out))
    f.flush()


def _err(e: OSError) -> list:
    return ["err", os.strerror(e.errno or 0), e.errno or 0]


class Emulator:
    """Runs trigger scripts as pkg does. `env` is pkg's environment (what
    `pkg.exec` children and `require` see)."""

    def __init__(self, root: str = "/", exec_capture: bool = True, env: dict | None = None,
                 dlopen: bool = False):
        self.root = root
        self.dlopen = dlopen  # True: a pkg built with LUA_USE_DLOPEN (C modules load)
        self.exec_capture = exec_capture
        self.env = dict(os.environ if env is None else env)
        self.env.pop("LUA_INIT", None)
        self.env.pop("LUA_INIT_5_4", None)

    def run_script(self, script: Script, arg: list[str], file: str = "", kind: str = "trigger") -> Run:
        with tempfile.TemporaryDirectory(prefix="pkgemu-") as tmp:
            req, resp = Path(tmp, "req"), Path(tmp, "resp")
            os.mkfifo(req)
            os.mkfifo(resp)
            out_path, err_path, fd0_path = (Path(tmp, n) for n in ("out", "err", "fd0"))
            env = dict(self.env, PKGEMU_REQ=str(req), PKGEMU_RESP=str(resp))
            with open(out_path, "ab") as out, open(err_path, "ab") as err:
                child = subprocess.Popen(
                    [LUA, str(RUNTIME), "run"],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=err,
                    env=env,
                )
                status, message = "error", "the Lua process ended without a result"
                with open(req, "rb") as r, open(resp, "wb") as w:
                    while True:
                        msg = _read_message(r)
                        if msg is None:
                            break
                        op, args = msg[0].decode(), msg[1:]
                        if op == "done":
                            status, message = args[0].decode(), args[1].decode(errors="replace")
                            break
                        _write_message(w, self._answer(op, args, script, arg, out, err, fd0_path))
                child.wait()
            if status == "error" and message == "the Lua process ended without a result":
                message += f" (exit status {child.returncode})"
            return Run(
                file=file,
                kind=kind,
                arg=arg,
                status=status,
                message=message,
                stdout=out_path.read_bytes().decode(errors="surrogateescape"),
                stderr=err_path.read_bytes().decode(errors="surrogateescape"),
                fd0=fd0_path.read_bytes().decode(errors="surrogateescape") if fd0_path.exists() else "",
            )

    def _answer(self, op, args, script, arg, out, err, fd0_path) -> list:
        p = [os.fsdecode(a) for a in args]
        try:
            if op == "job":
                return [
                    script.script.encode("utf-8", "surrogateescape"),
                    "true" if script.sandbox else "false",
                    self.root,
                    "true" if self.exec_capture else "false",
                    "true" if self.dlopen else "false",
                    *[os.fsencode(a) for a in arg],
                ]
            if op == "stat":
                s = os.lstat(p[0])
                return ["ok", s.st_size, s.st_uid, s.st_gid, _stat_type(s.st_mode)]
            if op == "readdir":
                return ["ok", *[os.fsencode(n) for n in os.listdir(p[0])]]
            if op == "exec":
                out.flush()
                err.flush()
                child = subprocess.Popen(p, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=self.env)
                code = child.wait()
                return ["ok", child.pid] if code == 0 else ["err", "Abnormal termination", 0]
            if op == "exec_capture":
                done = subprocess.run(p, stdin=subprocess.DEVNULL, capture_output=True, env=self.env)
                return ["ok", done.stdout, done.stderr, done.returncode]
            if op == "fd0":
                with open(fd0_path, "ab") as f:
                    f.write(args[0])
                return ["ok"]
            if op == "copy":
                shutil.copyfile(p[0], p[1])
                return ["ok", "true"]
            if op == "filecmp":
                try:
                    return ["ok", 0 if Path(p[0]).read_bytes() == Path(p[1]).read_bytes() else 1]
                except OSError:
                    return ["ok", 2]
            if op == "symlink":
                os.symlink(p[0], p[1])
                return ["ok", "true"]
        except OSError as e:
            return _err(e)
        return ["err", f"unknown request {op}", 0]


class System:
    """A simulated pkg database over real directories: packages are file
    lists; each operation changes the files as pkg does and then runs the
    transaction's triggers (re-read from `triggers_dirs`)."""

    def __init__(self, triggers_dirs: list[Path], emulator: Emulator, keep: Path):
        self.triggers_dirs = [Path(d) for d in triggers_dirs]
        self.emu = emulator
        self.keep = Path(keep)  # empty parents are removed up to here, not beyond

    def _rmdir_empty_parents(self, path: Path) -> None:
        d = path.parent
        while d != self.keep and self.keep in d.parents:
            try:
                d.rmdir()
            except OSError:
                return
            d = d.parent

    @staticmethod
    def _write(files: dict, mtime: int | None) -> None:
        """Extracts files as pkg does: to a temporary name, renamed into
        place, with the mtime recorded in the package (when given)."""
        for path, content in files.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name("." + path.name + ".pkgtemp")
            tmp.write_bytes(content)
            if mtime is not None:
                os.utime(tmp, (mtime, mtime))
            os.replace(tmp, path)

    def install(self, files: dict, mtime: int | None = None) -> list[Run]:
        before = self._snapshot()
        self._write(files, mtime)
        return self.transaction(before, [Path(f) for f in files])

    def upgrade(self, old: dict, new: dict, mtime: int | None = None) -> list[Run]:
        before = self._snapshot()
        for f in old:
            if f not in new:  # dropped: removed without being recorded
                Path(f).unlink(missing_ok=True)
                self._rmdir_empty_parents(Path(f))
        self._write(new, mtime)
        return self.transaction(before, [Path(f) for f in new])

    def delete(self, files) -> list[Run]:
        before = self._snapshot()
        for f in files:
            Path(f).unlink(missing_ok=True)
            self._rmdir_empty_parents(Path(f))
        return self.transaction(before, [Path(f) for f in files])

    def _snapshot(self) -> list[Trigger]:
        return load_triggers(self.triggers_dirs)[0]

    def transaction(self, before: list[Trigger], touched_files: list[Path]) -> list[Run]:
        runs: list[Run] = []
        for t in before:
            if t.cleanup is not None and not t.file.exists():
                runs.append(self.emu.run_script(t.cleanup, [], str(t.file), "cleanup"))
        triggers, _ = load_triggers(self.triggers_dirs)
        dirs = list(dict.fromkeys(str(f.parent) for f in touched_files))
        failed = False
        for t in triggers:
            arg = [d for d in dirs if t.matches(d)]
            if not arg:
                continue
            if failed:
                runs.append(Run(str(t.file), "trigger", arg, "skipped"))
                continue
            run = self.emu.run_script(t.trigger, arg, str(t.file), "trigger")
            runs.append(run)
            failed = run.status != "ok"
        return runs


def main() -> int:
    ap = argparse.ArgumentParser(description="Run pkg triggers for a transaction that touched FILE...")
    ap.add_argument("--triggers", action="append", required=True, metavar="DIR")
    ap.add_argument("--root", default="/")
    ap.add_argument("--no-exec-capture", action="store_true", help="emulate pkg < 2.8")
    ap.add_argument("--cleanup", metavar="UCL", help="run this file's cleanup block instead")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    emu = Emulator(a.root, not a.no_exec_capture)
    if a.cleanup:
        t = load_trigger(Path(a.cleanup))
        runs = [emu.run_script(t.cleanup, [], a.cleanup, "cleanup")] if t.cleanup else []
    else:
        system = System([Path(d) for d in a.triggers], emu, Path("/"))
        runs = system.transaction([], [Path(f) for f in a.files])
    print(json.dumps([dataclasses.asdict(r) for r in runs], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
