"""An emulation of how FreeBSD pkg runs Lua triggers (tests only).

Faithful to ../../../shared/reference/pkg-triggers.md (pkg 2.8, libpkg's
triggers.c, lua.c, pkg_add.c, scripts.c), as far as pycache's tests need:

* trigger files: every regular, non-hidden ``*.ucl`` in each triggers
  directory (symlinks skipped), read with the strict reader
  tests/support/ucl.lua; a file without ``path``/``path_glob``/
  ``path_regexp`` or without a ``trigger`` block of ``type: lua`` is
  rejected; ``sandbox`` defaults to true.
* ``arg``: the parent directory of every file a transaction installs or
  removes, plus every ``@dir`` entry, de-duplicated, matched with ``path``
  (exact), ``path_glob`` (fnmatch without FNM_PATHNAME: ``*`` matches ``/``)
  and ``path_regexp`` (extended regex, unanchored). An upgrade records only
  the new version's files; what it drops is removed unrecorded.
* packages (``System``, libpkg's pkg_add.c, pkg_delete.c, pkgdb.c): a
  database of installed packages, their files' checksums and ``@dir``
  entries. Installing over a file no package owns saves it as
  ``FILE.pkgsave`` when its contents differ (always before pkg 1.20.9);
  an upgrade extracts the new version, removes what it lacks, then renames
  the new files into place; a delete removes the files, then each file's
  directory and ``@dir`` entry with its parents while empty, up to the
  prefix, sparing another package's ``@dir``; ``check_sums`` is
  ``pkg check -s``.
* each script runs in a new ``lua5.4`` process (pkg forks a child with a
  fresh Lua 5.4 state) with the globals ``pkg``, ``rootfd``, ``arg`` and
  ``pkg_upgrade`` (false; pkg >= 2.7); see runtime.lua for the ``pkg`` table, the
  root-relative ``io.open``/``os.remove``/``os.rename``, ``os.exit`` raising
  and C modules that cannot load ("dynamic libraries not enabled; check
  your Lua installation"). C modules can be allowed to emulate a pkg built
  with LUA_USE_DLOPEN (``dlopen=True``).
* versions: ``pkg_version`` (default 2.8.4) gates what changed since
  triggers could run programs, as pkg's history shows (PKG_VERSIONS below):
  ``pkg.exec_capture`` from 2.8.0, the global ``pkg_upgrade`` from 2.7.0,
  ``pkg.symlink`` from 1.18.4, and the message of a failed ``pkg.exec``,
  spelled "Abnormal terminaison" before 1.20.7 (fixed on the 1.20 branch
  and in 1.21.0). Versions before 1.17.4 are refused: their ``pkg.exec``
  returned without waiting for its child (and 1.16 gave triggers no
  ``pkg`` table at all).
* children: ``pkg.exec`` gives its child a stdin pipe whose write end stays
  open until the child is reaped, passes stdout/stderr through, returns the
  pid on exit 0 *and* on death by a signal, ``nil, "Abnormal termination",
  0`` otherwise. ``pkg.exec_capture``'s child inherits pkg's stdin (here a
  pipe nobody writes to or closes); its stdout is read to EOF before its
  stderr is read at all, and its status is WEXITSTATUS (0 after a signal).
  Where real pkg would block forever (stderr filled before stdout closed, a
  child reading stdin, a child that never ends), the emulator raises
  ``WouldHang`` instead, within ``hang_timeout`` (one second once the
  stderr pipe is full).
* a script that raises prints ``pkg: Failed to execute lua trigger: MSG``
  and ``pkg: lua script failed``; one that returns a non-zero number prints
  ``pkg: lua script failed``; either way, like a failing ``cleanup``, every
  later script of the transaction is skipped and the transaction still
  succeeds.
* ``cleanup`` of a trigger file that the transaction removed runs first,
  with an empty ``arg`` (an upgrade that keeps the file runs none).
* roots: ``System(root=ROOT)`` is ``pkg -r ROOT``: files land below ROOT,
  ``arg`` holds the package paths, sandboxed scripts run at once against
  the root, ``sandbox: false`` ones are saved under ROOT/var/db/pkg/triggers
  in libpkg's format. ``run_deferred`` is ``pkg -r ROOT triggers`` (each
  saved again with ``arg`` ``(null)``, as libpkg prints the NULL values of
  its hash) or, with ``Emulator(chroot=ROOT)``, ``pkg -c ROOT triggers``:
  the Lua script and every program it runs are really chrooted in ROOT (in
  a mount namespace of their own, ``unshare -m``; needs root), with the
  host's /usr/bin, /usr/lib, /usr/lib64, /dev and ld.so.cache bind-mounted
  in so that lua5.4 and the interpreters run.
* package scripts: ``install(..., install_script=...)`` runs a pkg-install
  at POST-INSTALL (``set -- NAME-VERSION POST-INSTALL``, PKG_PREFIX and
  PKG_ROOTDIR set) after extraction and before the triggers; a failure
  prints ``pkg: POST-INSTALL script failed`` and the installation stands.

What it cannot model: Capsicum (as pkg on Linux, sandboxed scripts may
still open absolute paths; ``pkg.exec`` is refused); FreeBSD's pipe sizes
(a pipe starts at 16 KiB and grows to 64 KiB there; 64 KiB is used as the
limit); pkg's ~14 inherited descriptors; per-package triggers
(``post_install/`` ...); the order of trigger files (readdir order, here
listdir order); ``Running trigger: NAME`` lines; conflicts between packages, ``@config``
files, links and file flags in packages, split upgrades; an old pkg's own Lua
(1.17 and 1.18 vendored 5.4.2, 1.20 5.4.4: the scripts run on the host's
lua5.4) and its ``pkg.prefixed_path`` (before 2.0; it needs a package,
which a trigger has not); a chroot's own /usr (the
host's is bind-mounted over it) and package scripts under ``-r``, which are
run unchrooted. Deviations harmless for these tests: Lua's stdout/stderr
are flushed before each ``pkg`` call (so the order of lines is stable), and
the emulator does the filesystem work for ``pkg.stat``/``pkg.readdir``/
``pkg.exec`` itself (Debian's lua-posix has no 5.4 build); ``pkg.copy``
returns true / nil, msg, errno and ``pkg.filecmp`` 0 (same), 1 (different)
or 2 (error). When the program cannot be spawned, ``pkg.exec_capture``
returns nil, nil, errno, as libpkg/lua.c does.

Use as a library (tests/e2e) or from the command line:

    python3.11 tests/pkgemu/pkgemu.py --triggers DIR [--pkg-version X.Y.Z] FILE...

runs the triggers of DIR for a transaction that touched FILE... and prints
what ran as JSON.
"""

from __future__ import annotations

import argparse
import array
import collections
import fcntl
import functools
import hashlib
import json
import os
import random
import re
import select
import shlex
import shutil
import stat as st
import string
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNTIME = HERE / "runtime.lua"
LUA = os.environ.get("PKGEMU_LUA", "lua5.4")


class TriggerFileError(Exception):
    """A trigger file pkg would reject."""


# Records are named tuples, not dataclasses: importing dataclasses (and
# inspect with it) was a sixth of the emulator's start-up, which every
# benchmarked trigger run pays and real pkg does not.


class Script(collections.namedtuple("Script", "script sandbox")):
    """A trigger's `trigger` or `cleanup` block: Lua text, and whether it runs
    sandboxed."""

    __slots__ = ()


class Trigger(
    collections.namedtuple("Trigger", "file description paths globs regexps trigger cleanup")
):
    """A trigger file as pkg loads it: `file` (Path), `paths`/`globs`/
    `regexps` (lists of str), `trigger` (Script), `cleanup` (Script or None)."""

    __slots__ = ()

    def matches(self, directory: str) -> bool:
        return (
            directory in self.paths
            or any(fnmatch(g, directory) for g in self.globs)
            or any(re.search(r, directory) for r in self.regexps)
        )


class Run(
    collections.namedtuple(
        "Run", "file kind arg status message stdout stderr fd0", defaults=("", "", "", "")
    )
):
    """One script run (or skipped) in a transaction: `kind` is "cleanup",
    "trigger" or "script"; `status` "ok", "error", "nonzero", "skipped" or
    "deferred"."""

    __slots__ = ()


def fnmatch(pattern: str, name: str) -> bool:
    """fnmatch(3) with flags 0: `*` and `?` match `/` too, `\\` escapes."""
    return _glob_regex(pattern).fullmatch(name) is not None


@functools.lru_cache(maxsize=None)
def _glob_regex(pattern: str) -> re.Pattern:
    """A glob translated once: a transaction matches every `arg` entry
    against the same few patterns, and pkg's C fnmatch costs nothing next
    to the scripts it runs, so neither should the emulator's."""
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
    return re.compile("".join(out), re.DOTALL)


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


class WouldHang(Exception):
    """Real pkg would block forever here; the emulator stops and says why."""


# A pipe's worth: Linux's default capacity, and FreeBSD's once a pipe has
# grown to its "big pipe" size. A child that writes more than this to
# stderr before closing stdout blocks, and pkg, reading stdout to EOF
# first, blocks with it.
PIPE_SIZE = 65536


def _unread(fd: int) -> int:
    buf = array.array("i", [0])
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    return buf[0]


def _capacity(fd: int) -> int:
    try:
        return fcntl.fcntl(fd, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    except OSError:
        return PIPE_SIZE


# What a chrooted script and its programs need from the host: the
# interpreters (lua5.4, python3.X), their libraries, /dev/null. The image's
# own /usr/local stays the image's. Top-level links (/lib -> usr/lib) are
# made again inside the root.
CHROOT_BINDS = ("/usr/bin", "/usr/lib", "/usr/lib64", "/usr/share/lua", "/dev", "/etc/ld.so.cache")


def chroot_argv(root: Path, argv: list[str], binds=()) -> list[str]:
    """argv run chrooted in `root` (`pkg -c ROOT`), in a mount namespace of
    its own where the host's runtime is bind-mounted into the root."""
    root = Path(root)
    mounts = []
    for host in (*CHROOT_BINDS, *binds):
        if not os.path.exists(host):
            continue
        inside = root / host.lstrip("/")
        if os.path.isdir(host):
            inside.mkdir(parents=True, exist_ok=True)
        elif not inside.exists():
            inside.parent.mkdir(parents=True, exist_ok=True)
            inside.touch()
        q = shlex.quote(str(inside))
        mounts.append(f"mount --bind {shlex.quote(host)} {q}")
        if host != "/dev":  # the host's files stay out of the tests' reach
            mounts.append(f"mount -o remount,bind,ro {q}")
    for top in ("bin", "sbin", "lib", "lib32", "lib64"):
        link = Path("/", top)
        if link.is_symlink() and not (root / top).is_symlink() and not (root / top).exists():
            (root / top).symlink_to(os.readlink(link))
    script = " && ".join(mounts + [f'exec chroot {shlex.quote(str(root))} "$@"'])
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *argv]


# What a trigger sees of each pkg release, read from freebsd/pkg's history
# (libpkg/lua.c, libpkg/triggers.c): the first version of each change.
PKG_VERSIONS = {
    # lua_exec waits for its child (023bb9f0f on main, 7374c1793 on the 1.17
    # branch): before, pkg.exec returned the pid at once and the program ran
    # on in the background, its exit status lost. The oldest pkg emulated.
    "exec_waits": (1, 17, 4),
    "symlink": (1, 18, 4),          # pkg.symlink (7b2f93d17; 9bf1a55fa in 1.19.0)
    # "Abnormal terminaison" -> "Abnormal termination" ("lua: fix frenglish",
    # 21b8518d2 in 1.20.7, 6720b9952 in 1.21.0)
    "termination_spelled": (1, 20, 7),
    "pkg_upgrade": (2, 7, 0),       # the global pkg_upgrade (4b9ba4986)
    "exec_capture": (2, 8, 0),      # pkg.exec_capture (bd9cf0356)
    # An untracked file an installed package replaces is saved as
    # FILE.pkgsave only when its contents differ from the package's
    # ("add: only create pkgsave if the files are actually differents",
    # f169036f5 in 1.21.0, 0b98cb894 in 1.20.9); before, always (since
    # 1.13.0, 88eb0b221). libpkg/pkg_add.c, backup_file_if_needed.
    "pkgsave_if_different": (1, 20, 9),
}
PKG_VERSION = "2.8.4"  # what shared/reference/pkg-triggers.md was read from


def parse_pkg_version(text: str) -> tuple[int, int, int]:
    """"X.Y.Z" as a tuple; a version before 1.17.4 is refused with why."""
    m = re.fullmatch(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        raise ValueError(f"pkg version {text!r}: expected X.Y.Z, such as 1.20.6")
    v = (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    if v < PKG_VERSIONS["exec_waits"]:
        raise ValueError(f"pkg {text} is not emulated: before 1.17.4 pkg.exec returned without "
                         "waiting for its child (and before 1.17.0 triggers had no pkg table)")
    return v


class Emulator:
    """Runs trigger scripts as pkg does. `env` is pkg's environment (what
    `pkg.exec` children and `require` see).

    `root`: `pkg -r ROOT` (scripts see the root through `rootfd`; `System`
    defers the `sandbox: false` ones). `chroot`: `pkg -c ROOT` (the script
    and every program it runs are chrooted in ROOT). `hang_timeout`: how long
    a child may run before the emulator calls it a hang. `pkg_version`: the
    pkg release to behave as (PKG_VERSIONS says what it changes)."""

    def __init__(self, root: str = "/", env: dict | None = None, dlopen: bool = False,
                 chroot: Path | None = None, hang_timeout: float = 300.0, binds=(),
                 pkg_version: str = PKG_VERSION):
        self.root = str(root)
        self.dlopen = dlopen  # True: a pkg built with LUA_USE_DLOPEN (C modules load)
        self.pkg_version = pkg_version
        v = parse_pkg_version(pkg_version)
        self.exec_capture = v >= PKG_VERSIONS["exec_capture"]
        self.has_symlink = v >= PKG_VERSIONS["symlink"]
        self.has_pkg_upgrade = v >= PKG_VERSIONS["pkg_upgrade"]
        self.exec_failure = ("Abnormal termination" if v >= PKG_VERSIONS["termination_spelled"]
                             else "Abnormal terminaison")
        self.chroot = Path(chroot) if chroot else None
        self.binds = tuple(binds)
        self.hang_timeout = hang_timeout
        # What each exec_capture child wrote: {argv, stdout, stderr, status}.
        self.captures: list[dict] = []
        self.env = dict(os.environ if env is None else env)
        self.env.pop("LUA_INIT", None)
        self.env.pop("LUA_INIT_5_4", None)

    def _host(self, path: str) -> str:
        """Where a path of the chrooted script is on the host."""
        if self.chroot is None:
            return path
        return str(self.chroot / path.lstrip("/"))

    def _argv(self, argv: list[str]) -> list[str]:
        return chroot_argv(self.chroot, argv, self.binds) if self.chroot else argv

    def run_script(self, script: Script, arg: list[str], file: str = "", kind: str = "trigger") -> Run:
        if self.chroot is not None:
            (self.chroot / "tmp").mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="pkgemu-", dir=self._host("/tmp") if self.chroot else None) as tmp:
            runtime = RUNTIME
            if self.chroot is not None:
                runtime = Path(tmp, "runtime.lua")
                shutil.copyfile(RUNTIME, runtime)
            req, resp = Path(tmp, "req"), Path(tmp, "resp")
            os.mkfifo(req)
            os.mkfifo(resp)
            inside = (lambda p: "/" + str(Path(p).relative_to(self.chroot))) if self.chroot else str
            out_path, err_path, fd0_path = (Path(tmp, n) for n in ("out", "err", "fd0"))
            env = dict(self.env, PKGEMU_REQ=inside(req), PKGEMU_RESP=inside(resp))
            # pkg's own stdin: a pipe nobody ever writes to or closes, the
            # worst a terminal or a parent can do. The forked script and
            # exec_capture's children inherit it.
            stdin_r, stdin_w = os.pipe()
            try:
                with open(out_path, "ab") as out, open(err_path, "ab") as err:
                    child = subprocess.Popen(
                        self._argv([LUA, inside(runtime), "run"]),
                        stdin=stdin_r,
                        stdout=out,
                        stderr=err,
                        env=env,
                    )
                    status, message = "error", "the Lua process ended without a result"
                    try:
                        with open(req, "rb") as r, open(resp, "wb") as w:
                            while True:
                                msg = _read_message(r)
                                if msg is None:
                                    break
                                op, args = msg[0].decode(), msg[1:]
                                if op == "done":
                                    status, message = args[0].decode(), args[1].decode(errors="replace")
                                    break
                                answer = self._answer(op, args, script, arg, out, err, fd0_path, stdin_r)
                                _write_message(w, answer)
                    except BaseException:
                        child.kill()
                        child.wait()
                        raise
                    child.wait()
            finally:
                os.close(stdin_r)
                os.close(stdin_w)
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

    def _wait(self, child: subprocess.Popen, argv: list[str], why: str) -> int:
        try:
            return child.wait(timeout=self.hang_timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            raise WouldHang(f"would hang pkg: {argv[0]} still running after "
                            f"{self.hang_timeout:g} s ({why})") from None

    def _exec(self, argv: list[str], out, err) -> list:
        """pkg.exec: posix_spawn with a stdin pipe whose write end pkg keeps
        open until the child is reaped; output straight to pkg's."""
        out.flush()
        err.flush()
        stdin_r, stdin_w = os.pipe()
        try:
            child = subprocess.Popen(self._argv(argv), stdin=stdin_r, stdout=out, stderr=err, env=self.env)
        finally:
            os.close(stdin_r)
        try:
            code = self._wait(child, argv, "pkg.exec gives it a stdin pipe that is never closed: does it read stdin?")
        finally:
            os.close(stdin_w)
        # A signal is not an exit status: pkg returns the pid, as for success.
        return ["ok", child.pid] if code <= 0 else ["err", self.exec_failure, 0]

    def _exec_capture(self, argv: list[str], stdin_r: int) -> list:
        """pkg.exec_capture: stdout read to EOF, only then stderr; the child
        inherits pkg's stdin; the status is WEXITSTATUS (0 after a signal)."""
        child = subprocess.Popen(self._argv(argv), stdin=stdin_r, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=self.env)
        out_fd, err_fd = child.stdout.fileno(), child.stderr.fileno()
        capacity = _capacity(err_fd)
        chunks, deadline, full_since = [], time.monotonic() + self.hang_timeout, None
        try:
            while True:
                ready, _, _ = select.select([out_fd], [], [], 0.05)
                if ready:
                    data = os.read(out_fd, 1 << 16)
                    if not data:
                        break
                    chunks.append(data)
                    full_since = None
                    continue
                if _unread(err_fd) >= capacity:
                    full_since = full_since or time.monotonic()
                    if time.monotonic() - full_since > 1.0:
                        raise WouldHang(
                            f"would hang pkg: {argv[0]} filled its stderr pipe ({capacity} bytes) "
                            "before closing stdout; pkg.exec_capture reads stdout to EOF first")
                if time.monotonic() > deadline:
                    raise WouldHang(
                        f"would hang pkg: {argv[0]} kept stdout open for {self.hang_timeout:g} s "
                        "(it inherits pkg's stdin, never closed: does it read stdin?)")
            errtext = child.stderr.read()
            code = self._wait(child, argv, "it closed stdout but did not exit")
        except BaseException:
            child.kill()
            child.wait()
            raise
        finally:
            child.stdout.close()
            child.stderr.close()
        outtext = b"".join(chunks)
        self.captures.append({"argv": argv, "stdout": len(outtext), "stderr": len(errtext),
                              "status": code})
        return ["ok", outtext, errtext, max(code, 0)]

    def _answer(self, op, args, script, arg, out, err, fd0_path, stdin_r) -> list:
        p = [os.fsdecode(a) for a in args]
        try:
            if op == "job":
                return [
                    script.script.encode("utf-8", "surrogateescape"),
                    "true" if script.sandbox else "false",
                    "/" if self.chroot else self.root,
                    "true" if self.exec_capture else "false",
                    "true" if self.dlopen else "false",
                    "true" if self.has_symlink else "false",
                    "true" if self.has_pkg_upgrade else "false",
                    *[os.fsencode(a) for a in arg],
                ]
            if op == "stat":
                s = os.lstat(self._host(p[0]))
                return ["ok", s.st_size, s.st_uid, s.st_gid, _stat_type(s.st_mode)]
            if op == "readdir":
                return ["ok", *[os.fsencode(n) for n in os.listdir(self._host(p[0]))]]
            if op == "exec":
                return self._exec(p, out, err)
            if op == "exec_capture":
                return self._exec_capture(p, stdin_r)
            if op == "fd0":
                with open(fd0_path, "ab") as f:
                    f.write(args[0])
                return ["ok"]
            if op == "copy":
                shutil.copyfile(self._host(p[0]), self._host(p[1]))
                return ["ok", "true"]
            if op == "filecmp":
                try:
                    same = Path(self._host(p[0])).read_bytes() == Path(self._host(p[1])).read_bytes()
                    return ["ok", 0 if same else 1]
                except OSError:
                    return ["ok", 2]
            if op == "symlink":
                os.symlink(p[0], self._host(p[1]))
                return ["ok", "true"]
        except OSError as e:
            return _err(e)
        return ["err", f"unknown request {op}", 0]


# Deferred triggers, in libpkg/triggers.c's format (save_trigger): an
# optional `--sandbox` line, the args between `--begin args` and
# `--end args`, one `-- DIR` line each, then `--` and the script. The file
# name is ten random letters.
DEFERRED_DIR = "var/db/pkg/triggers"


def save_deferred(root: Path, script: Script, arg: list[str]) -> Path:
    d = Path(root) / DEFERRED_DIR
    d.mkdir(parents=True, exist_ok=True)
    while True:
        name = d / "".join(random.choice(string.ascii_letters + string.digits) for _ in range(10))
        try:
            fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            continue
    with os.fdopen(fd, "wb") as f:
        if script.sandbox:
            f.write(b"--sandbox\n")
        f.write(b"--begin args\n")
        for a in arg:
            f.write(b"-- " + os.fsencode(a) + b"\n")
        f.write(b"--end args\n--\n")
        f.write(script.script.encode("utf-8", "surrogateescape") + b"\n")
    return name


def load_deferred(file: Path) -> tuple[Script, list[str]]:
    """Reads a saved trigger as exec_deferred does (args de-duplicated)."""
    sandbox, inargs, args, script = False, False, {}, None
    for line in Path(file).read_bytes().splitlines(keepends=True):
        walk = line[2:]
        if walk.startswith(b"sandbox"):
            sandbox = True
            continue
        if walk.startswith(b"begin args"):
            inargs = True
            continue
        if walk.startswith(b"end args"):
            inargs, script = False, []
            continue
        if inargs:
            args[os.fsdecode(walk[1:].rstrip(b"\n"))] = None
        if script is not None:
            script.append(line)
    return Script(b"".join(script or []).decode("utf-8", "surrogateescape"), sandbox), list(args)


def run_deferred(root: Path, emu: Emulator) -> list[Run]:
    """`pkg -c ROOT triggers` (emu chrooted in ROOT: each saved trigger runs
    and is removed when it succeeded) or `pkg -r ROOT triggers` (emu with
    root=ROOT: each is saved again, its args written as `(null)`, libpkg
    printing the NULL hash values, and the old file removed)."""
    d = Path(root) / DEFERRED_DIR
    runs = []
    for name in sorted(os.listdir(d)) if d.is_dir() else []:
        if name.startswith("."):
            continue
        script, arg = load_deferred(d / name)
        if emu.chroot is None and emu.root != "/" and not script.sandbox:
            save_deferred(Path(emu.root), script, ["(null)"] * len(arg))
            run = Run(str(d / name), "trigger", arg, "deferred")
        else:
            run = emu.run_script(script, arg, str(d / name), "trigger")
        runs.append(run)
        if run.status in ("ok", "deferred"):
            (d / name).unlink()
    return runs


class File(collections.namedtuple("File", "data mtime mode", defaults=(None, None))):
    """A file in a package: its bytes, and the mtime (seconds) and permission
    bits the package records, which pkg gives the extracted file. A package's
    files may also be plain bytes (no mtime or mode recorded)."""

    __slots__ = ()


class Package(collections.namedtuple("Package", "name version files dirs", defaults=((),))):
    """A package: `files` maps each path to bytes or a `File`; `dirs` are its
    `@dir` entries."""

    __slots__ = ()


def _bytes(content) -> bytes:
    return content.data if isinstance(content, File) else content


def _sum(data: bytes) -> str:
    """The checksum pkg records for a regular file and compares in `pkg
    check -s` (libpkg/pkg_checksum.c: SHA-256 of the contents)."""
    return hashlib.sha256(data).hexdigest()


class System:
    """A simulated pkg database over real directories: each operation
    changes the files as pkg's libpkg does (pkg_add.c, pkg_delete.c) and then
    runs the transaction's triggers (re-read from `triggers_dirs`).

    The database records, for each installed package, its version, the
    checksum of each file and its `@dir` entries:

    * install (`pkg_add_common`): each file of the package that already
      exists and belongs to no installed package is an untracked file; the
      files are extracted to temporary names, then renamed into place, an
      untracked file being renamed first to `FILE.pkgsave` when its contents
      differ from the package's (`backup_file_if_needed`; from pkg 1.20.9,
      whatever the contents before). Files get the mtime and mode the
      package records. The parent of each file and every `@dir` are touched.
    * upgrade (the same, with the installed version): the new files are
      extracted to temporary names; then every file of the old version that
      the new one lacks is removed, unrecorded, and its directories are
      removed as a delete does (`pkg_add_cleanup_old`); then the new files
      are renamed into place (`pkg_extract_finalize`).
    * delete (`pkg_delete`): every file removed, its parent recorded as
      touched; then each file's directory and `@dir` entry is removed when
      empty, and its parents up to `keep` (pkg's prefix, never removed),
      stopping at the first that is not empty or that another package has
      as an `@dir` (`rmdir_p`, `pkgdb_is_dir_used`). `@dir` entries are not
      touched: only files are (`append_touched_file`).
    * `check_sums()` is `pkg check -s`: each file of each installed package
      whose contents differ from the checksum recorded at install
      (`pkg_check_files`, `pkg_checksum_validate_fileat`).

    `install`, `upgrade` and `delete` take file lists; the package they act
    on is found by its files (or named), so a test needs no names.
    `install_package`, `upgrade_package` and `delete_package` take a
    `Package`. Not modelled: conflicts between packages, config files
    (`@config`), symlinks and hard links in packages, file flags, owners,
    split upgrades.

    With `root` (`pkg -r ROOT`), package paths are the target's
    (`/usr/local/...`, what `arg` holds) and files land below ROOT;
    `triggers_dirs` are host paths. The emulator should then have the same
    root, so `sandbox: false` scripts are deferred."""

    def __init__(self, triggers_dirs: list[Path], emulator: Emulator, keep: Path,
                 root: Path | None = None):
        self.triggers_dirs = [Path(d) for d in triggers_dirs]
        self.emu = emulator
        self.root = Path(root) if root else None
        self.keep = self._disk(keep)  # pkg's prefix: empty parents are removed up to here, not beyond
        # name -> {"version": str, "files": {path: sha256}, "dirs": tuple}
        self.db: dict[str, dict] = {}
        v = parse_pkg_version(emulator.pkg_version)
        self.pkgsave_if_different = v >= PKG_VERSIONS["pkgsave_if_different"]

    def _disk(self, path) -> Path:
        return self.root / str(path).lstrip("/") if self.root else Path(path)

    # -- the database ---------------------------------------------------

    def _register(self, name: str, version: str, files: dict, dirs=()) -> None:
        self.db[name] = {"version": version,
                         "files": {os.fspath(p): _sum(_bytes(c)) for p, c in files.items()},
                         "dirs": tuple(os.fspath(d) for d in dirs)}

    def _find(self, files) -> str | None:
        """The installed package whose files are exactly `files`."""
        want = {os.fspath(f) for f in files}
        for name, rec in self.db.items():
            if set(rec["files"]) == want:
                return name
        return None

    def _new_name(self) -> str:
        n = len(self.db) + 1
        while f"pkg{n}" in self.db:
            n += 1
        return f"pkg{n}"

    def _owned(self, path: str) -> bool:
        """pkgdb_file_exists: whether an installed package has this file."""
        return any(path in rec["files"] for rec in self.db.values())

    def _dir_used(self, path: str, but: str | None) -> bool:
        """pkgdb_is_dir_used: whether a package other than `but` has this
        directory as an `@dir`."""
        return any(path in rec["dirs"] for name, rec in self.db.items() if name != but)

    def check_sums(self, name: str | None = None) -> list[str]:
        """`pkg check -s [NAME]`: one line per file of an installed package
        that is missing or whose contents differ from its recorded checksum,
        as pkg prints them (src/event.c); empty when everything matches."""
        out = []
        for n in sorted(self.db) if name is None else [name]:
            rec = self.db[n]
            for path, want in sorted(rec["files"].items()):
                disk = self._disk(path)
                try:
                    if disk.is_symlink():
                        got = _sum(os.fsencode(os.readlink(disk)))
                    else:
                        got = _sum(disk.read_bytes())
                except FileNotFoundError:
                    out.append(f"{n}-{rec['version']}: missing file {path}")
                    continue
                if got != want:
                    out.append(f"{n}-{rec['version']}: checksum mismatch for {path}")
        return out

    # -- the files -------------------------------------------------------

    def _write(self, files: dict, mtime: int | None) -> None:
        """Writes files at once, each to a temporary name renamed into place
        (for tests that build a tree by hand; no database change)."""
        self._finalize(self._extract(files, mtime), {}, {})

    def _extract(self, files: dict, mtime: int | None) -> list[tuple[str, Path, Path]]:
        """do_extract: each file written to a temporary name beside its
        place, with the mtime and mode recorded in the package (`mtime`
        stands for a package that records one for every file)."""
        extracted = []
        for path, content in files.items():
            disk = self._disk(path)
            disk.parent.mkdir(parents=True, exist_ok=True)
            tmp = disk.with_name(".pkgtemp." + disk.name)
            tmp.write_bytes(_bytes(content))
            when = content.mtime if isinstance(content, File) and content.mtime is not None else mtime
            if isinstance(content, File) and content.mode is not None:
                os.chmod(tmp, content.mode)
            if when is not None:
                os.utime(tmp, (when, when))
            extracted.append((os.fspath(path), disk, tmp))
        return extracted

    def _finalize(self, extracted, untracked: dict, files: dict) -> None:
        """pkg_extract_finalize: each temporary file renamed into place; an
        untracked file in the way is first saved as FILE.pkgsave
        (backup_file_if_needed) unless, from pkg 1.20.9, it has the
        package's contents."""
        for path, disk, tmp in extracted:
            if untracked.get(path) and os.path.lexists(disk) and not disk.is_symlink():
                same = disk.is_file() and _sum(disk.read_bytes()) == _sum(_bytes(files[path]))
                if not (same and self.pkgsave_if_different):
                    os.rename(disk, disk.with_name(disk.name + ".pkgsave"))
            os.replace(tmp, disk)

    def _rmdir_p(self, path: str, owner: str | None) -> None:
        """rmdir_p: removes `path` and then its parents while each is empty,
        never `keep` (the prefix), never a directory another package has as
        an `@dir`; a directory outside the prefix is tried alone."""
        d = self._disk(path)
        inside = self.keep in d.parents
        while True:
            if d == self.keep or self._dir_used(self._pkg_path(d), owner):
                return
            try:
                d.rmdir()
            except FileNotFoundError:
                pass  # already gone: pkg goes on with the parents
            except OSError:
                return
            if not inside:
                return
            d = d.parent
            if self.keep not in d.parents and d != self.keep:
                return

    def _pkg_path(self, disk: Path) -> str:
        """The package path of a path on disk (undoes `_disk`)."""
        if self.root is None:
            return os.fspath(disk)
        return "/" + os.fspath(disk.relative_to(self.root))

    def _remove(self, files, dirs, owner: str | None) -> None:
        """pkg_delete_files then pkg_delete_dirs: unlink every file, then
        remove the directory of each file inside the prefix and each `@dir`
        entry, with their empty parents."""
        queued = []
        for f in files:
            disk = self._disk(f)
            try:
                disk.unlink()
            except FileNotFoundError:
                pass  # pkg warns of a missing file and goes on
            if self.keep in disk.parents:
                queued.append(os.path.dirname(os.fspath(f)))
        queued += [os.fspath(d) for d in sorted(dirs, reverse=True)]
        for d in dict.fromkeys(queued):
            self._rmdir_p(d, owner)

    # -- transactions ------------------------------------------------------

    def _script(self, name: str, text: str, arg: str | None = None) -> Run:
        """A package script (pkg-install, pkg-post-install): `/bin/sh` with
        `set -- NAME-VERSION [POST-INSTALL]` first and PKG_PREFIX/PKG_ROOTDIR
        set, as libpkg/scripts.c; its output goes to pkg's. A failure is
        reported and the installation stands."""
        body = f"set -- pkg-1.0{' ' + arg if arg else ''}\n{text}"
        env = dict(self.emu.env, PKG_PREFIX="/usr/local")
        if self.root:
            env["PKG_ROOTDIR"] = str(self.root)
        done = subprocess.run(["/bin/sh", "-c", body], stdin=subprocess.DEVNULL,
                              capture_output=True, env=env, timeout=self.emu.hang_timeout)
        status = "ok" if done.returncode == 0 else "error"
        err = done.stderr.decode(errors="surrogateescape")
        if status == "error":
            err += f"pkg: {arg or name} script failed\n"
        return Run(name, "script", [], status, "", done.stdout.decode(errors="surrogateescape"), err)

    def _add(self, name: str, version: str, files: dict, dirs=(), mtime=None,
             scripts=()) -> tuple[list[Run], list[str]]:
        """pkg_add_common for a package not installed, or replacing the
        installed version of `name` (an upgrade). Returns the package
        scripts' runs and the touched paths."""
        old = self.db.get(name)
        untracked = {os.fspath(p): os.path.exists(self._disk(p)) and not self._owned(os.fspath(p))
                     for p in files}
        extracted = self._extract(files, mtime)
        for d in dirs:
            self._disk(d).mkdir(parents=True, exist_ok=True)
        if old is not None:
            # pkg_add_cleanup_old: what the new version lacks goes, unrecorded.
            gone = [f for f in old["files"] if os.fspath(f) not in {os.fspath(p) for p in files}]
            gone_dirs = [d for d in old["dirs"] if d not in {os.fspath(x) for x in dirs}]
            self._register(name, version, files, dirs)
            self._remove(gone, gone_dirs, None)  # the new version's @dir entries count
        else:
            self._register(name, version, files, dirs)
        self._finalize(extracted, untracked, {os.fspath(p): c for p, c in files.items()})
        runs = [self._script(*s) for s in scripts]
        return runs, [os.fspath(p) for p in files]

    def install_package(self, pkg: Package, mtime: int | None = None) -> list[Run]:
        """`pkg install` of a package not installed yet."""
        if pkg.name in self.db:
            raise ValueError(f"{pkg.name} is installed: upgrade_package replaces it")
        before = self._snapshot()
        runs, touched = self._add(pkg.name, pkg.version, pkg.files, pkg.dirs, mtime)
        return runs + self.transaction(before, touched, pkg.dirs)

    def upgrade_package(self, pkg: Package, mtime: int | None = None) -> list[Run]:
        """`pkg upgrade` (or install of another version) of an installed
        package."""
        if pkg.name not in self.db:
            raise ValueError(f"{pkg.name} is not installed")
        before = self._snapshot()
        runs, touched = self._add(pkg.name, pkg.version, pkg.files, pkg.dirs, mtime)
        return runs + self.transaction(before, touched, pkg.dirs)

    def delete_package(self, name: str) -> list[Run]:
        """`pkg delete NAME`."""
        before = self._snapshot()
        rec = self.db[name]
        files = list(rec["files"])
        self._remove(files, rec["dirs"], name)
        del self.db[name]
        return self.transaction(before, files)

    def install(self, files: dict, mtime: int | None = None, dirs=(), install_script: str | None = None,
                post_install: str | None = None, name: str | None = None) -> list[Run]:
        """Installs a package of these files (named `name`, or pkgN): its
        files, its `@dir` entries (created and, as in pkg_add.c, recorded as
        touched) and its scripts, then the transaction's triggers."""
        before = self._snapshot()
        scripts = []
        if install_script is not None:
            scripts.append(("pkg-install", install_script, "POST-INSTALL"))
        if post_install is not None:
            scripts.append(("pkg-post-install", post_install))
        runs, touched = self._add(name or self._new_name(), "1.0", files, dirs, mtime, scripts)
        return runs + self.transaction(before, touched, dirs)

    def upgrade(self, old: dict, new: dict, mtime: int | None = None) -> list[Run]:
        """Upgrades the installed package whose files are `old` (one not
        installed through this System is taken as installed) to `new`."""
        name = self._find(old)
        if name is None:
            name = self._new_name()
            self._register(name, "1.0", old)
        before = self._snapshot()
        runs, touched = self._add(name, "2.0", new, (), mtime)
        return runs + self.transaction(before, touched)

    def delete(self, files, dirs=()) -> list[Run]:
        """Deletes the installed package whose files are `files`; files of
        no installed package (and `dirs`, as its `@dir` entries) are removed
        all the same, as if such a package were installed."""
        name = self._find(files)
        if name is not None:
            return self.delete_package(name)
        before = self._snapshot()
        self._remove(files, dirs, None)
        return self.transaction(before, [os.fspath(f) for f in files])

    def _snapshot(self) -> list[Trigger]:
        return load_triggers(self.triggers_dirs)[0]

    def _run(self, script: Script, arg: list[str], file: str, kind: str) -> Run:
        # Under -r, pkg saves the scripts it cannot run against rootfd.
        if self.root is not None and not script.sandbox:
            save_deferred(self.root, script, arg)
            return Run(file, kind, arg, "deferred")
        return self.emu.run_script(script, arg, file, kind)

    def transaction(self, before: list[Trigger], touched_files: list, touched_dirs=()) -> list[Run]:
        """triggers_execute: cleanups of removed trigger files first, then
        every matching trigger; the first failure skips all the rest."""
        runs: list[Run] = []
        failed = False
        for t in before:
            if t.cleanup is not None and not t.file.exists():
                if failed:
                    runs.append(Run(str(t.file), "cleanup", [], "skipped"))
                    continue
                run = self._run(t.cleanup, [], str(t.file), "cleanup")
                runs.append(run)
                failed = run.status not in ("ok", "deferred")
        triggers, _ = load_triggers(self.triggers_dirs)
        # As libpkg: the dirname of each file (os.path, not pathlib: a large
        # package's thousands of Path objects were the emulator's cost).
        parents = [os.path.dirname(os.fspath(f)) for f in touched_files]
        dirs = list(dict.fromkeys(parents + [os.fspath(d) for d in touched_dirs]))
        for t in triggers:
            arg = [d for d in dirs if t.matches(d)]
            if not arg:
                continue
            if failed:
                runs.append(Run(str(t.file), "trigger", arg, "skipped"))
                continue
            run = self._run(t.trigger, arg, str(t.file), "trigger")
            runs.append(run)
            failed = run.status not in ("ok", "deferred")
        return runs


def main() -> int:
    ap = argparse.ArgumentParser(description="Run pkg triggers for a transaction that touched FILE...")
    ap.add_argument("--triggers", action="append", required=True, metavar="DIR")
    ap.add_argument("--root", default="/")
    ap.add_argument("--pkg-version", default=PKG_VERSION, metavar="X.Y.Z",
                    help=f"behave as this pkg release (default {PKG_VERSION}; 1.17.4 or newer)")
    ap.add_argument("--cleanup", metavar="UCL", help="run this file's cleanup block instead")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    try:
        emu = Emulator(a.root, pkg_version=a.pkg_version)
    except ValueError as e:
        ap.error(str(e))
    if a.cleanup:
        t = load_trigger(Path(a.cleanup))
        runs = [emu.run_script(t.cleanup, [], a.cleanup, "cleanup")] if t.cleanup else []
    else:
        system = System([Path(d) for d in a.triggers], emu, Path("/"))
        runs = system.transaction([], a.files)
    print(json.dumps([r._asdict() for r in runs], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
