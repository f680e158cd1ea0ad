#!/usr/bin/python3.11
"""pycache benchmark driver (issue 5). Run it through bench/run.sh.

Builds (or reuses) a pinned corpus of real PyPI distributions, lays it out as
the site-packages of a throw-away LOCALBASE (bin/python3.11 -> /usr/bin/python3.11),
times pycache against its comparisons side by side with hyperfine (one run of
each per hyperfine call, the order swapped every round, so the two commands
alternate), and writes BENCHMARKS.md plus a JSON twin of the results.

Internal sub-commands (used by hyperfine's --prepare and by bench/smoke.sh):
  bench.py _prep ACTION ARGS...     restore a tree between timed runs
  bench.py _validate MARKDOWN JSON [--smoke]  check a report is well formed
                                    (--smoke: say it is a smoke run's, whose
                                    figures and verdicts mean nothing)
  bench.py _render JSON MARKDOWN    rewrite a report from a run's JSON
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import packages

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
PYTHON = "/usr/bin/python3.11"
FLAVOR = "py311"
PYVER = "3.11"
TAG = "cpython-311"
MIB = 1024 * 1024

TARGETS = {
    1: ("ratio", 3.0, ">= 3x faster, no interpreter started"),
    2: ("fraction", 0.7, "<= 0.7x compileall's wall time"),
    3: ("ratio", 8.0, ">= 8x faster"),
    4: ("ratio", 40.0, ">= 40x faster"),
    5: ("ratio", 20.0, ">= 20x faster, nothing of the package left"),
    6: ("mib", 30.0, "<= 30 MiB"),
    7: ("calls", None, "3.14's no higher than 3.13's"),
    # Issue 28: figures to show (what packages without bytecode save and
    # cost); the issue sets no target for them.
    8: ("figure", None, "none: figures to show"),
    9: ("figure", None, "none: figures to show"),
    10: ("figure", None, "none: figures to show"),
}
FIGURES = {8, 9, 10}
# Case 7 asks these for their compile() calls (bench/compile_calls.py):
# pyenv's 3.13, and 3.14 as the tests run it (pyodide, tests/py314/).
PY313_GLOB = ".pyenv/versions/3.13*/bin/python3.13"
PY314 = REPO / "tests" / "py314" / "python3.14.mjs"


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def run(argv, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    return subprocess.run([str(a) for a in argv], **kw)


# --------------------------------------------------------------------------
# Machine and load


def cpu_busy_seconds() -> float:
    """Busy CPU time of the whole machine so far (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class LoadMeter:
    """How many cores other processes kept busy while a case ran: machine busy
    time minus the CPU time of our own (waited-for) children, over wall time."""

    def __enter__(self):
        self.t0 = time.monotonic()
        self.busy0 = cpu_busy_seconds()
        t = os.times()
        self.own0 = t.children_user + t.children_system + t.user + t.system
        self.load0 = os.getloadavg()[0]
        return self

    def __exit__(self, *exc):
        self.wall = time.monotonic() - self.t0
        t = os.times()
        own = t.children_user + t.children_system + t.user + t.system - self.own0
        busy = cpu_busy_seconds() - self.busy0
        self.other_cores = max(0.0, (busy - own) / self.wall) if self.wall > 0 else 0.0
        self.load1 = os.getloadavg()[0]
        return False

    def describe(self) -> str:
        return (f"other processes kept {self.other_cores:.2f} of {os.cpu_count()} cores busy "
                f"(load average {self.load0:.2f} -> {self.load1:.2f}), {self.wall:.0f} s")


def machine_info(bins: dict) -> dict:
    model = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / MIB:.1f} GiB"
    except OSError:
        pass

    def out(argv):
        try:
            return run(argv, capture_output=True, text=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "unknown"

    commit = out(["git", "-C", REPO, "rev-parse", "--short", "HEAD"])
    dirty = out(["git", "-C", REPO, "status", "--porcelain", "--", "src", "lua", "templates", "Cargo.toml"])
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory": mem,
        "kernel": platform.release(),
        "python": out([PYTHON, "-c", "import sys; print(sys.version.split()[0])"]),
        "hyperfine": out(["hyperfine", "--version"]),
        "pycache": out([bins["pycache"], "--version"]),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
        "build": bins["profile"],
        "loadavg_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --------------------------------------------------------------------------
# Corpus


def parse_corpus(path: Path) -> tuple[list[str], list[str]]:
    main: list[str] = []
    extra: list[str] = []
    target = main
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line == "[extra]":
            target = extra
            continue
        if "==" not in line:
            sys.exit(f"bench: {path}: '{line}' is not pinned (NAME==VERSION)")
        target.append(line)
    return main, extra


def pip_install(reqs: list[str], dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    log(f"pip install --no-compile --no-deps --target {tmp} ({len(reqs)} distributions)")
    run([PYTHON, "-m", "pip", "install", "--quiet", "--no-compile", "--no-deps",
         "--disable-pip-version-check", "--target", tmp, *reqs],
        env={**os.environ, "PIP_NO_WARN_SCRIPT_LOCATION": "1", "PIP_ROOT_USER_ACTION": "ignore"})
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def real_corpus(corpus_file: Path, cache: Path) -> dict:
    """Installs (or reuses) the pinned corpus; returns its description."""
    main, extra = parse_corpus(corpus_file)
    key = hashlib.sha256(("\n".join(main + ["--"] + extra) + PYVER).encode()).hexdigest()[:12]
    base = cache / f"corpus-{key}"
    if not (base / ".complete").exists():
        base.mkdir(parents=True, exist_ok=True)
        pip_install(main, base / "site")
        for req in extra:
            pip_install([req], base / "extra" / req.split("==")[0].lower())
        (base / ".complete").write_text("ok\n")
    else:
        log(f"reusing corpus {base}")
    return {
        "kind": "real",
        "key": key,
        "site": base / "site",
        "pins": main,
        "extra_pins": extra,
        "small": base / "extra" / "requests",   # case 3: installed into the compiled corpus
        "small_name": "requests",
        "delete_top": "django",                 # case 5: deleted from the compiled corpus
        "install_dists": ["idna", "rich", "django"],  # case 9: small, medium, large
    }


SYNTH_MODULE = '''"""Generated module {n} for the pycache benchmark smoke run."""

import os


def f{n}(x):
    return [x * i for i in range({n} + 3)]


class C{n}:
    value = {n}

    def m(self):
        return os.sep.join(str(i) for i in range(self.value))
'''


def synthetic_corpus(cache: Path) -> dict:
    """A tiny generated tree for the smoke run (no network)."""
    base = cache / "corpus-synthetic"
    if (base / ".complete").exists():
        shutil.rmtree(base)
    site = base / "site"
    n = 0

    def module(path: Path) -> None:
        nonlocal n
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SYNTH_MODULE.format(n=n))
        n += 1

    for pkg, subs, mods in (("bigpkg", ("core", "core/deep", "contrib", "locale/fr"), 6),
                            ("alpha", ("", "util"), 4), ("beta", ("",), 5)):
        for sub in subs:
            d = site / pkg / sub
            module(d / "__init__.py")
            for i in range(mods):
                module(d / f"mod{i}.py")
        (site / pkg / "data.txt").write_text("data\n")
        dist = site / f"{pkg}-1.0.dist-info"
        dist.mkdir(parents=True)
        (dist / "METADATA").write_text(f"Name: {pkg}\nVersion: 1.0\n")
        # RECORD, as pip writes it (without hashes): case 8 builds a package from it.
        owned = sorted(str(p.relative_to(site)) for d in (site / pkg, dist) for p in d.rglob("*")
                       if p.is_file()) + [f"{dist.name}/RECORD"]
        (dist / "RECORD").write_text("".join(f"{r},,\n" for r in owned))
    module(site / "single.py")
    small = base / "extra" / "smallpkg"
    for i in range(5):
        module(small / "smallpkg" / f"m{i}.py")
    module(small / "smallpkg" / "__init__.py")
    (base / ".complete").write_text("ok\n")
    return {
        "kind": "synthetic",
        "key": "synthetic",
        "site": site,
        "pins": ["bigpkg==1.0 (generated)", "alpha==1.0 (generated)", "beta==1.0 (generated)"],
        "extra_pins": ["smallpkg==1.0 (generated)"],
        "small": small,
        "small_name": "smallpkg",
        "delete_top": "bigpkg",
        "install_dists": ["beta", "bigpkg"],
    }


def describe_tree(site: Path, pins: list[str]) -> dict:
    py = files = dirs = size = 0
    per_top: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(site):
        dirs += len(dirnames)
        rel = Path(dirpath).relative_to(site)
        top = rel.parts[0] if rel.parts else None
        for name in filenames:
            files += 1
            try:
                size += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
            if name.endswith(".py") and len(name) > 3:
                py += 1
                key = top or name
                per_top[key] = per_top.get(key, 0) + 1
    return {"py": py, "files": files, "dirs": dirs, "bytes": size, "per_top": per_top}


def dist_py_counts(site: Path) -> dict[str, int]:
    """Per installed distribution (from its RECORD): how many .py files."""
    counts = {}
    for rec in sorted(site.glob("*.dist-info/RECORD")):
        name = rec.parent.name[: -len(".dist-info")]
        n = 0
        for line in rec.read_text(errors="replace").splitlines():
            path = line.split(",", 1)[0]
            if path.endswith(".py") and not path.startswith(".."):
                n += 1
        counts[name] = n
    return counts


# --------------------------------------------------------------------------
# Trees


def trash_dir(work: Path) -> Path:
    return work / "trash"


def discard(path: Path, work: Path) -> None:
    """Moves a tree the run is done with into WORK/trash, deleted when the
    run ends (purge). Deleting tens of thousands of files just before a
    timed round slows that round: on ext4 without a journal, as on this
    machine, every new inode first scans past the inodes deleted in the last
    minutes (the kernel's recently_deleted check)."""
    if not (path.exists() or path.is_symlink()):
        return
    trash_dir(work).mkdir(parents=True, exist_ok=True)
    path.rename(Path(tempfile.mkdtemp(prefix=path.name + "-", dir=trash_dir(work))) / path.name)


def purge(work: Path) -> None:
    trash = trash_dir(work)
    if trash.exists():
        log(f"deleting {trash}")
        shutil.rmtree(trash, ignore_errors=True)  # e.g. another run purging it too
        if trash.exists():
            log(f"could not delete all of {trash}; delete it by hand")


def copy_tree(src: Path, dst: Path, work: Path) -> None:
    """cp -a: keeps mtimes, so copied bytecode stays fresh."""
    discard(dst, work)
    dst.parent.mkdir(parents=True, exist_ok=True)
    run(["cp", "-a", src, dst])


def make_localbase(lb: Path) -> Path:
    (lb / "bin").mkdir(parents=True, exist_ok=True)
    link = lb / "bin" / f"python{PYVER}"
    if not link.is_symlink():
        link.symlink_to(PYTHON)
    site = lb / "lib" / f"python{PYVER}" / "site-packages"
    site.parent.mkdir(parents=True, exist_ok=True)
    return site


def remove_bytecode(site: Path) -> None:
    for dirpath, dirnames, _ in os.walk(site):
        if "__pycache__" in dirnames:
            shutil.rmtree(os.path.join(dirpath, "__pycache__"))
            dirnames.remove("__pycache__")


def pyc_snapshot(site: Path) -> dict[str, int]:
    snap = {}
    for dirpath, dirnames, filenames in os.walk(site):
        if os.path.basename(dirpath) == "__pycache__":
            for name in filenames:
                p = os.path.join(dirpath, name)
                snap[p] = os.lstat(p).st_mtime_ns
    return snap


def scaled_site(base_site: Path, lb: Path, factor: int, work: Path) -> Path:
    """A compiled site-packages `factor` times the corpus: the corpus plus
    factor-1 copies of every top-level directory under another name."""
    site = make_localbase(lb)
    marker = lb / f".scaled-{factor}"
    if marker.exists() and site.exists():
        return site
    log(f"building the {factor}x tree in {lb}")
    copy_tree(base_site, site, work)
    tops = [p for p in sorted(base_site.iterdir()) if p.is_dir() and not p.is_symlink()
            and p.name not in ("__pycache__", "bin")]
    for k in range(2, factor + 1):
        for top in tops:
            if top.name.endswith(".dist-info"):
                name = top.name.replace("-", f"_x{k}-", 1)
            else:
                name = f"{top.name}_x{k}"
            run(["cp", "-a", top, site / name])
    marker.write_text("ok\n")
    return site


# --------------------------------------------------------------------------
# Timing


class Timing:
    def __init__(self):
        self.wall: list[float] = []
        self.user: list[float] = []
        self.sys: list[float] = []

    def add(self, r: dict, i: int = 0) -> None:
        self.wall.append(r["times"][i])
        self.user.append(r["user"])
        self.sys.append(r["system"])

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    def as_dict(self) -> dict:
        return {"median": self.median, "runs": self.wall,
                "user_median": statistics.median(self.user),
                "sys_median": statistics.median(self.sys),
                "min": min(self.wall), "max": max(self.wall)}


def compare(cmds: dict[str, list], runs: int, warmup: int, prepare: list | None,
            env: dict | None = None, ignore_failure: bool = False) -> dict[str, Timing]:
    """Times the commands with hyperfine, alternating: every round is one
    hyperfine call running each command once (after `prepare`, when given),
    in the order of the previous round reversed. Warm-up rounds are dropped.
    IGNORE_FAILURE: a command's non-zero exit does not stop the round (the
    caller checks what it did)."""
    names = list(cmds)
    timings = {n: Timing() for n in names}
    with tempfile.TemporaryDirectory(prefix="bench-hf-") as tmp:
        out = Path(tmp) / "hf.json"
        for i in range(warmup + runs):
            order = names if i % 2 == 0 else names[::-1]
            argv = ["hyperfine", "-N", "--runs", "1", "--style", "none", "--export-json", out]
            if ignore_failure:
                argv.append("--ignore-failure")
            if prepare:
                argv += ["--prepare", shlex.join(str(a) for a in prepare)]
            for n in order:
                argv += ["--command-name", n, shlex.join(str(a) for a in cmds[n])]
            p = run(argv, capture_output=True, text=True, check=False, env=env)
            if p.returncode != 0:
                raise RuntimeError(f"hyperfine failed ({p.returncode}):\n{shlex.join(map(str, argv))}\n"
                                   f"{p.stdout[-3000:]}{p.stderr[-3000:]}")
            if i < warmup:
                continue
            for r in json.loads(out.read_text())["results"]:
                timings[r["command"]].add(r)
            log(f"  round {i - warmup + 1}/{runs}: " + ", ".join(
                f"{n} {timings[n].wall[-1]:.3f} s" for n in names))
    return timings


def rss_run(argv: list, env: dict | None = None) -> dict:
    """Runs argv once under /usr/bin/time (a small C program: the fork before
    exec does not inherit a large RSS). Peak RSS of the process itself:
    exact (time's ru_maxrss) when it started no children or when that
    exceeds every child's; otherwise its sampled VmHWM. Children (compile
    workers) are sampled and reported separately."""
    with tempfile.NamedTemporaryFile(prefix="bench-time-") as tf:
        p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", tf.name, *[str(a) for a in argv]],
                             stdout=subprocess.DEVNULL, env=env)
        own_hwm = 0
        workers: dict[int, int] = {}

        def hwm(pid: int) -> int | None:
            try:
                with open(f"/proc/{pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            return int(line.split()[1])
            except OSError:
                return None
            return None

        def children(pid: int) -> list[int]:
            kids = []
            try:
                for tid in os.listdir(f"/proc/{pid}/task"):
                    with open(f"/proc/{pid}/task/{tid}/children") as f:
                        kids += [int(x) for x in f.read().split()]
            except OSError:
                pass
            return kids

        while p.poll() is None:
            for me in children(p.pid):
                h = hwm(me)
                if h:
                    own_hwm = max(own_hwm, h)
                for kid in children(me):
                    h = hwm(kid)
                    if h:
                        workers[kid] = max(workers.get(kid, 0), h)
            time.sleep(0.002)
        try:
            total = int(Path(tf.name).read_text().split()[-1])
        except (ValueError, IndexError):
            total = own_hwm
    worker_peak = max(workers.values(), default=0)
    exact = not workers or total > worker_peak
    own = total if exact else own_hwm
    return {"exit": p.returncode, "own_kib": own, "own_exact": exact,
            "own_sampled_kib": own_hwm, "workers": len(workers), "worker_peak_kib": worker_peak,
            "tree_maxrss_kib": total}


# --------------------------------------------------------------------------
# Profiles (where the time goes)


def strace_summary(argv: list, top: int = 8) -> str:
    if not shutil.which("strace"):
        return "(strace not installed)"
    with tempfile.NamedTemporaryFile(prefix="bench-strace-", suffix=".txt") as tmp:
        run(["strace", "-f", "-c", "-o", tmp.name, *argv], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, check=False)
        lines = Path(tmp.name).read_text().splitlines()
    body = [l for l in lines if re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+\d+", l)]
    head = lines[:2]
    total = [l for l in lines if l.strip().endswith("total")]
    return "\n".join(head + body[:top] + total)


def pycache_json(argv: list, env=None) -> dict:
    p = run([*argv, "--json"], capture_output=True, text=True, check=False, env=env)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"{shlex.join(map(str, argv))}: no JSON report (exit {p.returncode}):\n"
                           f"{p.stdout[-2000:]}{p.stderr[-2000:]}")


# --------------------------------------------------------------------------
# The pkg trigger emulator (tests/pkgemu, owned by the Lua helper)

EMU_DIR = REPO / "tests" / "pkgemu"


def emulator() -> tuple[list | None, str]:
    """The command that runs the triggers of a directory for a transaction
    that touched FILE... (as pkg does), or None and why it is not usable."""
    script = EMU_DIR / "pkgemu.py"
    if not script.exists() or not (EMU_DIR / "runtime.lua").exists():
        return None, f"the pkg emulator ({EMU_DIR.relative_to(REPO)}) is not there"
    if not shutil.which("lua5.4"):
        return None, "lua5.4 is not installed (the pkg emulator runs scripts with it)"
    return [PYTHON, script], ""


EMPTY_TRIGGER = """description: "bench: an empty trigger (measures the emulator's own cost)"
path_glob: [ "%(site)s", "%(site)s/*" ]
trigger: {
	type: lua
	sandbox: false
	script: <<EOS
-- nothing
EOS
}
"""


# --------------------------------------------------------------------------
# Internal: _prep actions (run by hyperfine between timed runs)


def prep(args: list[str]) -> None:
    action = args[0]
    if action == "nocache":          # SITE: remove every __pycache__
        remove_bytecode(Path(args[1]))
    elif action == "swap":           # SITE FRESH: SITE := the next tree of FRESH/spares
        swap_in(Path(args[1]), Path(args[2]))
    elif action == "remove":         # PATH...: remove trees/files
        for a in args[1:]:
            p = Path(a)
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            elif p.exists() or p.is_symlink():
                p.unlink()
    elif action == "restore":        # STASH SITE NAME...: put stashed trees back
        stash, site = Path(args[1]), Path(args[2])
        for name in args[3:]:
            dst = site / name
            if dst.exists():
                shutil.rmtree(dst)
            run(["cp", "-a", stash / name, dst])
    elif action == "delete-files":   # MANIFEST KEEP: remove a package's files as pkg delete
        keep = Path(args[2])         # does, and the parents left empty, up to KEEP
        for line in Path(args[1]).read_text().splitlines():
            if not line:
                continue
            f = Path(line)
            try:
                f.unlink()
            except FileNotFoundError:
                pass
            d = f.parent
            while d != keep and keep in d.parents:
                try:
                    d.rmdir()
                except OSError:
                    break
                d = d.parent
    elif action == "sync":           # write dirty pages back: no round pays for the last one's
        run(["sync"])
    elif action == "datafile":       # PATH: install one data file
        p = Path(args[1])
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("benchmark data file\n")
    elif action == "pycs":           # SITE OUTDIR: list SITE's pycs in OUTDIR/<next number>
        site, outdir = Path(args[1]), Path(args[2])
        outdir.mkdir(parents=True, exist_ok=True)
        names = sorted(os.path.relpath(p, site) for p in pyc_snapshot(site)) if site.is_dir() else []
        (outdir / f"{len(list(outdir.iterdir())):04d}").write_text("".join(f"{n}\n" for n in names))
    elif action == "aside":          # ROOT TRASH: move ROOT into TRASH (nothing deleted, see discard)
        root, trash = Path(args[1]), Path(args[2])
        if root.exists() or root.is_symlink():
            trash.mkdir(parents=True, exist_ok=True)
            root.rename(Path(tempfile.mkdtemp(prefix=root.name + "-", dir=trash)) / root.name)
    elif action == "localbase":      # LB: an empty LOCALBASE (bin/python3.11, its lib directory)
        make_localbase(Path(args[1]))
    elif action == "chain":          # ACTION ARGS -- ACTION ARGS ...
        part: list[str] = []
        for a in args[1:] + ["--"]:
            if a == "--":
                if part:
                    prep(part)
                part = []
            else:
                part.append(a)
    else:
        sys.exit(f"bench: unknown prep action {action}")


def make_fresh(src: Path, size: int, fresh: Path, count: int, work: Path) -> None:
    """COUNT copies of the bytecode-free corpus SRC (SIZE bytes) in
    FRESH/spares, made before the cold rounds so that no round follows a
    mass deletion (see discard)."""
    discard(fresh, work)
    spares = fresh / "spares"
    spares.mkdir(parents=True)
    need = count * 2 * size
    free = shutil.disk_usage(fresh).free
    if free < need:
        raise RuntimeError(f"{fresh}: the cold rounds need {need / MIB:,.0f} MiB free for {count} "
                           f"copies of the corpus and their bytecode, {free / MIB:,.0f} MiB are "
                           f"free; free some space or pass --cold-runs 1")
    log(f"making {count} bytecode-free copies of the corpus in {spares}")
    for k in range(count):
        run(["cp", "-a", src, spares / f"{k:03d}"])
    run(["sync"])  # written back now, not during the rounds


def swap_in(site: Path, fresh: Path) -> None:
    """Puts the next fresh tree at SITE; the tree that was there moves to
    FRESH/used. Two renames: nothing is deleted."""
    spares = sorted((fresh / "spares").iterdir()) if (fresh / "spares").is_dir() else []
    if not spares:
        sys.exit(f"bench: no fresh tree left in {fresh / 'spares'}")
    used = fresh / "used"
    used.mkdir(exist_ok=True)
    if site.exists():
        site.rename(used / spares[0].name)
    spares[0].rename(site)


def prep_argv(*actions: list) -> list:
    argv = [PYTHON, Path(__file__).resolve(), "_prep", "chain"]
    for a in actions:
        argv += [*a, "--"]
    return argv


# --------------------------------------------------------------------------
# Cases


def pycache_argv(bins, lb: Path, *extra) -> list:
    return [bins["pycache"], "update", "--flavor", FLAVOR, "--prefix", lb, *extra]


def compileall_argv(site: Path, *extra) -> list:
    return [PYTHON, "-I", "-m", "compileall", "-q", *extra, "-o0", "-o1", "-o2", site]


def verdict(case_id: int, value: float | None, extra_ok: bool = True) -> str:
    if value is None:
        return "not run"
    kind, target, _ = TARGETS[case_id]
    ok = value >= target if kind == "ratio" else value <= target
    return "met" if ok and extra_ok else "missed"


def case_noop(cfg, bins, lb, site, factor, runs) -> dict:
    log(f"case 1 (no-op, whole site-packages) at {factor}x")
    report = pycache_json(pycache_argv(bins, lb, "-q"))
    if report.get("exit_code") != 0 or report.get("to_compile"):
        raise RuntimeError(f"{site} is not in sync before the no-op case: {report.get('lines')}")
    before = pyc_snapshot(site)
    with LoadMeter() as load:
        t = compare({"pycache": pycache_argv(bins, lb, "-q"),
                     "compileall": compileall_argv(site)}, runs=runs, warmup=1, prepare=None)
    after = pyc_snapshot(site)
    report = pycache_json(pycache_argv(bins, lb, "-q"))
    notes = []
    if before != after:
        notes.append(f"bytecode changed during the no-op runs ({len(set(before.items()) ^ set(after.items()))} entries)")
    ratio = t["compileall"].median / t["pycache"].median
    started = report.get("interpreters_started")
    return {"id": 1, "factor": factor, "pycache": t["pycache"].as_dict(),
            "other": t["compileall"].as_dict(), "ratio": ratio,
            "interpreters_started": started, "sources": report.get("sources"),
            "pycs": len(after), "load": load.describe(), "notes": notes,
            "status": verdict(1, ratio, started == 0 and before == after)}


def cold_rounds(runs: int) -> int:
    """Fresh trees case 2 uses: one per tool for the untimed check, one per
    command and round (the floor's too: every command gets the same start)."""
    return 2 + 3 * runs


def floor_argv(site: Path) -> list:
    return [PYTHON, "-I", BENCH / "floor.py", site, str(os.cpu_count())]


def case_cold(cfg, bins, lb, site, fresh: Path, runs) -> dict:
    log("case 2 (cold compile, 3 levels)")
    # Untimed check first: both tools produce the same set of bytecode files.
    swap_in(site, fresh)
    rep = pycache_json(pycache_argv(bins, lb, "-q"))
    ours = set(pyc_snapshot(site))
    files = len({os.lstat(p).st_ino for p in ours})  # levels with the same bytes are linked
    swap_in(site, fresh)
    ca = run(compileall_argv(site, "-j0"), check=False, capture_output=True, text=True)
    theirs = set(pyc_snapshot(site))
    notes = []
    if ours != theirs:
        notes.append(f"pycache and compileall wrote different bytecode sets: "
                     f"{len(ours - theirs)} only by pycache, {len(theirs - ours)} only by compileall")
    if rep.get("failures"):
        notes.append(f"pycache reported {len(rep['failures'])} files that do not compile "
                     f"(e.g. {rep['failures'][0]['path']})")
    if ca.returncode != 0:
        notes.append(f"compileall exited {ca.returncode} (files that do not compile)")
    tools = {"pycache": pycache_argv(bins, lb, "-q"), "compileall -j0": compileall_argv(site, "-j0")}
    with LoadMeter() as load:
        t = compare({**tools, "compile floor": floor_argv(site)},
                    runs=runs, warmup=0, prepare=prep_argv(["swap", site, fresh], ["sync"]))
    # For comparison, one round the way that drowns the difference: the
    # bytecode deleted in place just before each command.
    log("  one more round, the bytecode deleted just before each command")
    deleted = compare(tools, runs=1, warmup=0, prepare=prep_argv(["nocache", site], ["sync"]))
    frac = t["pycache"].median / t["compileall -j0"].median
    cpu = statistics.median(u + s for u, s in zip(t["pycache"].user, t["pycache"].sys))
    cpu_ca = statistics.median(u + s for u, s in zip(t["compileall -j0"].user, t["compileall -j0"].sys))
    describe = [
        "- Every round compiles a fresh copy of the corpus, made before the first round; the "
        "tree a round leaves is moved aside, and nothing is deleted until the run ends. On ext4 "
        "without a journal, as here, every new file first scans past the inodes deleted in the "
        "last minutes (`perf` shows the kernel in `recently_deleted` and "
        "`find_get_block_common`), so deleting the bytecode just before a round adds system "
        "time to both tools that neither causes. Case 2 runs after the other cases, which "
        "delete trees of their own, for the same reason. Before every command the page cache is "
        "written back (`sync`, not timed), so that no command pays for the previous one's "
        "writeback.",
    ]
    return {"id": 2, "factor": 1, "pycache": t["pycache"].as_dict(),
            "other": t["compileall -j0"].as_dict(), "ratio": frac,
            "pycache_cores_busy": cpu / t["pycache"].median,
            "compileall_cores_busy": cpu_ca / t["compileall -j0"].median,
            "floor": t["compile floor"].as_dict(),
            "pycs": len(ours), "pyc_files": files, "compiled": len(rep.get("compiled", [])),
            "deleted_round": {n: {"wall": t.wall[0], "user": t.user[0], "sys": t.sys[0]}
                              for n, t in deleted.items()},
            "describe": describe, "load": load.describe(), "notes": notes,
            "status": verdict(2, frac)}


def cold_profile(c: dict) -> str:
    """Where the cold compile's time goes, from the case's own figures."""
    ours, theirs = c["pycache"], c["other"]
    cores = os.cpu_count()
    cpu = ours["user_median"] + ours["sys_median"]
    cpu_ca = theirs["user_median"] + theirs["sys_median"]
    user_saving = 1 - ours["user_median"] / theirs["user_median"]
    lines = [
        f"Both pools keep the machine full: pycache {c['pycache_cores_busy']:.2f} cores busy on "
        f"average (CPU time / wall), compileall -j0 {c['compileall_cores_busy']:.2f}, on {cores} "
        f"cores. The wall time is therefore the CPU time divided by the cores: pycache "
        f"{fmt_t(cpu)}, compileall {fmt_t(cpu_ca)} ({cpu / cpu_ca:.2f}x).",
        "",
        f"- user CPU: pycache {fmt_t(ours['user_median'])}, compileall "
        f"{fmt_t(theirs['user_median'])} ({user_saving:.0%} less): the workers live for the whole "
        f"run, nothing is pickled, each source is read once, and levels share one compile where "
        f"they provably get the same code (0 and 1 without asserts or `__debug__`, 1 and 2 "
        f"without docstrings). What is left is CPython's own parser and compiler.",
        f"- system CPU: pycache {fmt_t(ours['sys_median'])}, compileall "
        f"{fmt_t(theirs['sys_median'])}, for {c['pycs']:,} pycs each, every file written to a "
        f"temporary name and renamed. pycache writes {c.get('pyc_files', c['pycs']):,} files: "
        f"levels whose pycs are the same bytes are one file, the other names hard links. "
        f"compileall writes {c['pycs']:,}, reads each source once per "
        f"level, and its workers take neighbouring files, so both write into the same "
        f"`__pycache__` at once and wait on its lock; pycache's take the largest files first, "
        f"spread over the tree.",
    ]
    d = c.get("deleted_round")
    if d:
        p, o = d["pycache"], d["compileall -j0"]
        lines.append(
            f"- with the bytecode deleted just before each command (one extra round): pycache "
            f"{fmt_t(p['wall'])} (sys {fmt_t(p['sys'])}), compileall {fmt_t(o['wall'])} (sys "
            f"{fmt_t(o['sys'])}), {p['wall'] / o['wall']:.2f}x: system time both tools spend in "
            f"the file system's scan of recently deleted inodes.")
    f = c.get("floor")
    if f:
        lines.append(
            f"- the compile floor (`bench/floor.py`: {cores} interpreters compiling the same "
            f"levels with the same sharing, in memory, nothing written or sent over a pipe): "
            f"{fmt_t(f['median'])}, {f['median'] / theirs['median']:.2f}x compileall's time; "
            f"pycache takes {ours['median'] / f['median'] - 1:.0%} more than that floor, for "
            f"reading the sources, marshalling and writing the pycs and running the pool.")
        if f["median"] > 0.7 * theirs["median"]:
            lines.append(
                f"- the floor alone is above 0.7x compileall's time: here no tool that writes "
                f"these levels with this interpreter's compiler can meet the target. It assumed "
                f"compileall's pool keeps only about 1.2 of 2 cores busy; it keeps "
                f"{c['compileall_cores_busy']:.2f} busy here.")
    if c["status"] == "missed":
        budget = 0.7 * cpu_ca
        lines.append(
            f"- to reach 0.7x on {cores} saturated cores, pycache's CPU time would have to be at "
            f"most {fmt_t(budget)} (0.7x compileall's {fmt_t(cpu_ca)}); it was {fmt_t(cpu)}.")
    return "\n".join(lines)


def compile_calls(python: Path, site: Path, jobs: int) -> dict[str, int | None]:
    """compile() calls per file of SITE with the worker's sharing rules, as
    PYTHON counts them (bench/compile_calls.py, JOBS processes at once)."""
    script = BENCH / "compile_calls.py"
    procs = [subprocess.Popen([str(python), "-I", "-B", str(script), str(site), str(k), str(jobs)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for k in range(jobs)]
    calls: dict[str, int | None] = {}
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"{python} bench/compile_calls.py failed (exit {p.returncode}): "
                               f"{err.decode(errors='replace').strip().splitlines()[-1:]}")
        calls.update(json.loads(out.decode().strip().splitlines()[-1])["calls"])
    return calls


def case_calls(site: Path) -> dict:
    """Case 7: compile() calls per source for 3.13 and 3.14 (the issue's
    figure: 3.14's no higher than 3.13's), counted, not timed, over the
    sources that compile on both."""
    log("case 7 (compile() calls per source, 3.13 and 3.14)")
    py313 = sorted(Path.home().glob(PY313_GLOB))
    if not py313:
        return not_run([7], f"no CPython 3.13 (~/{PY313_GLOB}): pyenv install 3.13")[0]
    if not (PY314.parent / "node_modules" / "pyodide" / "pyodide.mjs").exists():
        return not_run([7], "pyodide (CPython 3.14) is not installed: bash tests/py314/install.sh")[0]
    jobs = max(1, min(2, os.cpu_count() or 1))
    t0 = time.monotonic()
    counts = {"3.13": compile_calls(py313[-1], site, jobs), "3.14": compile_calls(PY314, site, jobs)}
    both = [f for f, n in counts["3.13"].items()
            if n is not None and counts["3.14"].get(f) is not None]
    per = {v: sum(c[f] for f in both) / max(1, len(both)) for v, c in counts.items()}
    hist = {v: {n: sum(1 for f in both if c[f] == n) for n in (1, 2, 3)} for v, c in counts.items()}
    skipped = {v: sum(1 for n in c.values() if n is None) for v, c in counts.items()}
    status = "met" if both and per["3.14"] <= per["3.13"] else "missed"
    describe = [
        f"{len(both):,} sources of the corpus that compile on both versions, levels 0, 1 and 2, "
        "the worker's own rules (`distinct_codes`) with a `compile()` that counts its calls "
        f"(`bench/compile_calls.py`; 3.13 is `{py313[-1]}`, 3.14 is CPython 3.14.2 under pyodide, "
        "`tests/py314/python3.14.mjs`). Counts, not times.",
        "",
        "| version | compile() calls per source | sources with 1 / 2 / 3 calls | sources that do not compile |",
        "|---|---:|---|---:|",
    ]
    for v in ("3.13", "3.14"):
        describe.append(f"| {v} | {per[v]:.3f} | {hist[v][1]:,} / {hist[v][2]:,} / {hist[v][3]:,} | "
                        f"{skipped[v]:,} |")
    describe.append("")
    return {"id": 7, "status": status, "sources": len(both), "per_source": per, "histogram": hist,
            "skipped": skipped, "elapsed_s": time.monotonic() - t0, "describe": describe,
            "notes": []}


def case_rss(bins, lb, site, fresh: Path) -> dict:
    log("case 6 (peak RSS)")
    pycache_json(pycache_argv(bins, lb, "-q"))  # make sure it is compiled
    noop = rss_run(pycache_argv(bins, lb, "-q"))
    swap_in(site, fresh)
    cold = rss_run(pycache_argv(bins, lb, "-q"))
    peak = max(noop["own_kib"], cold["own_kib"]) / 1024
    return {"id": 6, "noop": noop, "cold": cold, "peak_mib": peak,
            "status": verdict(6, peak), "notes": []}


def render_triggers(bins, work: Path, lb: Path, site: Path, factor: int) -> dict[str, Path]:
    """Trigger directories for one LOCALBASE: pycache's generated trigger,
    the re-created ports trigger, and an empty one."""
    dirs = {k: work / f"triggers-{k}-x{factor}" for k in ("pycache", "ports", "empty")}
    for d in dirs.values():
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    run([bins["gen-triggers"], "--flavors", FLAVOR, "--localbase", lb,
         "--lua-modsharedir", REPO / "lua", "--pycache-cmd", bins["pycache"],
         "--out", dirs["pycache"]], stdout=subprocess.DEVNULL)
    text = (BENCH / "ports-trigger.ucl.in").read_text()
    text = text.replace("%%PYTHON_SITELIBDIR%%", str(site)).replace("%%PYTHON_VERSION%%", f"python{PYVER}")
    (dirs["ports"] / f"python{PYVER}.ucl").write_text(text)
    (dirs["empty"] / "empty.ucl").write_text(EMPTY_TRIGGER % {"site": site})
    return dirs


def one_per_dir(files: list[Path]) -> list[Path]:
    """pkg records the parent directory of every file: one file per directory
    gives the same `arg`."""
    seen = {}
    for f in files:
        seen.setdefault(f.parent, f)
    return list(seen.values())


def emu_check(emu, trig: Path, files: list[Path], env) -> list[dict]:
    p = run([*emu, "--triggers", trig, *files], capture_output=True, text=True, env=env)
    runs = json.loads(p.stdout)
    bad = [r for r in runs if r["status"] != "ok"]
    if not runs or bad:
        raise RuntimeError(f"trigger run in {trig} did not succeed: {json.dumps(runs)[:2000]}")
    return runs


def trigger_case(case_id, bins, emu, lb: Path, site: Path, dirs: dict, files: list[Path],
                 prepare: list, runs: int, factor: int, env) -> dict:
    touched = one_per_dir(files)
    arg_dirs = sorted({str(f.parent) for f in files})
    # One argv element may not exceed 128 KiB (and hyperfine takes each
    # command as one): long file lists go through a NUL-separated file.
    lst = dirs["pycache"].parent / f"touched-{case_id}-x{factor}"
    lst.write_bytes(b"".join(os.fsencode(str(f)) + b"\0" for f in touched))
    dirs_list = dirs["pycache"].parent / f"dirs-{case_id}-x{factor}"
    dirs_list.write_bytes(b"".join(os.fsencode(d) + b"\0" for d in arg_dirs))
    if len(touched) > 20:
        def emu_cmd(d):
            return ["xargs", "-0", "-x", "-s", "1900000", "-a", lst, *emu, "--triggers", d]
        alone = pycache_argv(bins, lb, "-q", "--dirs-from", dirs_list)
    else:
        def emu_cmd(d):
            return [*emu, "--triggers", d, *touched]
        alone = pycache_argv(bins, lb, "-q", *arg_dirs)
    cmds = {
        "pycache trigger": emu_cmd(dirs["pycache"]),
        "ports trigger": emu_cmd(dirs["ports"]),
        "empty trigger": emu_cmd(dirs["empty"]),
        "pycache alone": alone,
        "compileall alone": compileall_argv(site),
    }
    with LoadMeter() as load:
        t = compare(cmds, runs=runs, warmup=1, prepare=prepare, env=env)
    ours, ports = t["pycache trigger"], t["ports trigger"]
    empty, alone, ca = t["empty trigger"].median, t["pycache alone"].median, t["compileall alone"].median
    ratio = ports.median / ours.median
    net = max(ours.median - empty, 1e-4)
    describe = [
        f"- {len(files)} package files in {len(arg_dirs)} directories (`arg` has {len(arg_dirs)} entries); "
        f"every run starts from the same tree (hyperfine `--prepare`).",
        f"- Emulator's own cost, measured with an empty trigger and the same `arg`: {fmt_t(empty)} "
        f"(a Python process, a Lua parse and a Lua run; real pkg forks a Lua state in well under that). "
        f"Net of it, pycache's trigger takes {fmt_t(net)}; `pycache update DIRS` run directly takes "
        f"{fmt_t(alone)}.",
        f"- The ports trigger's `pkg.stat`/`pkg.readdir` calls go over a pipe to the Python emulator, "
        f"so its walk costs more here than in real pkg. Its compileall pass alone takes {fmt_t(ca)}: "
        f"against that floor (no walk at all) and pycache net of the emulator, the ratio is "
        f"{ca / net:.1f}x (a conservative estimate for real pkg).",
    ]
    return {"id": case_id, "factor": factor, "pycache": ours.as_dict(), "other": ports.as_dict(),
            "ratio": ratio, "conservative_ratio": ca / net, "emulator_empty": empty,
            "pycache_alone": alone, "compileall_alone": ca, "arg_dirs": len(arg_dirs),
            "files": len(files), "load": load.describe(), "describe": describe, "notes": []}


def package_files(root: Path) -> list[Path]:
    """The files a package owns below `root` (bytecode is not in packages)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        out += [Path(dirpath, n) for n in sorted(filenames)]
    return sorted(out)


def trigger_cases(cfg, bins, work: Path, stash: Path, scale_sites: dict, want: set,
                  runs: int, scale_runs: int, emu) -> list[dict]:
    """Cases 3, 4 (at every scale) and 5: the generated trigger vs the
    re-created ports trigger, both run by the pkg emulator."""
    out = []
    lb, site = scale_sites[1]
    env = dict(os.environ, PATH=f"{lb / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    dirs = render_triggers(bins, work, lb, site, 1)

    if 3 in want:
        log("case 3 (trigger: install a small package)")
        small = cfg["small"]
        tops = sorted(p.name for p in small.iterdir())
        files = [site / f.relative_to(small) for f in package_files(small)]
        prepare = prep_argv(["remove", *[site / n for n in tops]], ["restore", small, site, *tops])
        run(prepare)
        emu_check(emu, dirs["pycache"], one_per_dir(files), env)
        check = pycache_json([bins["pycache"], "check", "--flavor", FLAVOR, "--prefix", lb, "-q",
                              *sorted({str(f.parent) for f in files})])
        c = trigger_case(3, bins, emu, lb, site, dirs, files, prepare, runs, 1, env)
        if check.get("exit_code") != 0:
            c["notes"].append(f"after pycache's trigger the package is not in sync: {check.get('lines')}")
        c["status"] = verdict(3, c["ratio"], check.get("exit_code") == 0)
        run(prep_argv(["remove", *[site / n for n in tops]]))
        out.append(c)

    if 5 in want:
        log("case 5 (trigger: delete a large package)")
        top = cfg["delete_top"]
        names = [top] + sorted(p.name for p in stash.glob(f"{top}-*.dist-info"))
        files = [site / f.relative_to(stash) for n in names for f in package_files(stash / n)]
        manifest = work / "delete-manifest.txt"
        manifest.write_text("".join(f"{f}\n" for f in files))
        prepare = prep_argv(["restore", stash, site, *names], ["delete-files", manifest, site])
        run(prepare)
        emu_check(emu, dirs["pycache"], one_per_dir(files), env)
        left = [n for n in names if (site / n).exists() or (site / n).is_symlink()]
        leftover = sum(1 for n in left for _ in (site / n).rglob("*"))
        run(prepare)
        emu_check(emu, dirs["ports"], one_per_dir(files), env)
        ports_left = [n for n in names if (site / n).exists()]
        c = trigger_case(5, bins, emu, lb, site, dirs, files, prepare, runs, 1, env)
        c["pycs_left_behind"] = 3 * describe_tree(stash / top, [])["py"]
        if left:
            c["notes"].append(f"after pycache's trigger {leftover} entries of {', '.join(left)} remain")
        else:
            c["describe"].insert(0, f"- Asserted: after pycache's trigger nothing of `{top}` remains "
                                    f"(no file, no `__pycache__`, no directory).")
        if ports_left:
            c["notes"].append(f"after the ports trigger {', '.join(ports_left)} still exist")
        c["status"] = verdict(5, c["ratio"], not left)
        run(prep_argv(["restore", stash, site, *names]))
        out.append(c)

    if 4 in want:
        for factor, (lb_f, site_f) in sorted(scale_sites.items()):
            log(f"case 4 (trigger: one data file) at {factor}x")
            dirs_f = dirs if factor == 1 else render_triggers(bins, work, lb_f, site_f, factor)
            env_f = dict(os.environ, PATH=f"{lb_f / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}")
            data = site_f / "benchdata" / "data.txt"
            prepare = prep_argv(["remove", data.parent], ["datafile", data])
            c = trigger_case(4, bins, emu, lb_f, site_f, dirs_f, [data], prepare,
                             runs if factor == 1 else scale_runs, factor, env_f)
            c["status"] = verdict(4, c["ratio"])
            run(prep_argv(["remove", data.parent]))
            out.append(c)
    return out


# --------------------------------------------------------------------------
# Issue 28: packages without bytecode (cases 8-10, figures to show)

# The smoke run measures only these parts of each standard library: a
# package, compileall itself and the test data make install's -x excludes.
SMOKE_STDLIB = ["json", "compileall.py", "test/bad_coding*.py", "test/badsyntax_*.py",
                "lib2to3/tests/data"]


def find_dist(names, want: str) -> str | None:
    """The dist-info name (NAME-VERSION) of distribution WANT among NAMES."""
    norm = want.lower().replace("-", "_")
    for n in names:
        if n.lower().rsplit("-", 1)[0].replace("-", "_") == norm:
            return n
    return None


def fmt_b(b: float) -> str:
    if b < 1024:
        return f"{b:.0f} B"
    if b < MIB:
        return f"{b / 1024:.0f} KiB"
    return f"{b / MIB:.1f} MiB"


def case_sizes(cfg, work: Path, cache: Path, keep: list[str], synthetic: bool,
               stdlibs_wanted: str) -> tuple[dict, dict]:
    """Case 8: package sizes with and without bytecode, for every
    distribution of the corpus and every CPython's standard library
    (STDLIBS_WANTED: all, none, or versions X.Y,...)."""
    log("case 8 (package size with and without bytecode)")
    t0 = time.monotonic()
    corpus = packages.corpus_sizes(cfg["site"], PYTHON, PYVER, TAG, work, cache, keep)
    stdlibs = []
    for label, python in packages.interpreters():
        version = re.search(r"3\.\d+", label).group(0)
        if stdlibs_wanted == "none" or (stdlibs_wanted != "all"
                                        and version not in stdlibs_wanted.split(",")):
            continue
        try:
            stdlibs.append(packages.stdlib_sizes(label, python, work, cache,
                                                 SMOKE_STDLIB if synthetic else None))
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            stdlibs.append({"label": label, "python": python, "error": str(e).splitlines()[0][:200]})
    tot = corpus["total"]
    notes = []
    if corpus["failed_compiles"]:
        notes.append(f"{corpus['failed_compiles']} (source, level) pairs of the corpus did not "
                     f"compile; those packages hold no pyc for them, as installer leaves none")
    for s in stdlibs:
        if "error" in s:
            notes.append(f"{s['label']} ({s['python']}): not measured: {s['error']}")
    c = {"id": 8, "status": "shown", "corpus": {k: v for k, v in corpus.items() if k != "packages"},
         "stdlibs": stdlibs, "ratio": tot["sources"]["zst"] / tot["bytecode"]["zst"],
         "elapsed_s": time.monotonic() - t0, "notes": notes}
    c["describe"] = sizes_describe(c)
    return c, corpus


def sizes_describe(c: dict) -> list[str]:
    corpus, lv = c["corpus"], packages.PKG_ZSTD_LEVEL
    L = [
        f"A FreeBSD package is a tar (pax, restricted) compressed with zstd at level {lv}, pkg's "
        "default (freebsd/pkg: `COMPRESSION_LEVEL` -1 in `libpkg/pkg_config.c`, which "
        "`packing_set_format()` in `libpkg/packing.c` makes 19 for tzst; tzst is "
        "`DEFAULT_COMPRESSION` in `configure.def`; no threads). Each package here is a tar of its "
        "files in sorted order (member names under `usr/local/`, owner root:wheel, whole-second "
        f"times, written by Python's `tarfile` in pax format) compressed with {corpus['zstd']} "
        f"(`zstd -{lv} --single-thread`). Sizes: flat = the sum of the file sizes; tar = the "
        "archive before compression; `.pkg` = the tar.zst. \"Saved\" is what the sources-only "
        "package saves on the `.pkg`.",
        "",
        f"**py-\\* ports: the corpus, one package per distribution** (its RECORD's files: what "
        f"pip put in site-packages, scripts in `usr/local/bin`, data in `usr/local/share`). With "
        f"bytecode = as a port ships it today: the staged tree compiled at levels 0 and 1 the way "
        f"`python -m installer` does (`bench/installer_compile.py`: "
        f"`compileall.compile_file(path, optimize=level, stripdir=STAGEDIR)` per file and level, "
        f"Python {corpus['python']}); sources only = the same package without its "
        f"`__pycache__`. {corpus['py']:,} `.py` files, {corpus['pycs']:,} pycs"
        + (f"; {corpus['unowned_files']:,} files of the tree are in no distribution's RECORD "
           f"and in no package" if corpus["unowned_files"] else "") + "."
        + (" Measured " + corpus["computed"] + f" in {corpus['seconds']:.0f} s"
           + (" (reused from `bench/.cache/sizes/`)." if corpus.get("cached") else ".")),
        "",
        "| distribution | `.py` | pycs | flat: with bytecode | flat: sources | tar: with bytecode "
        "| tar: sources | `.pkg`: with bytecode | `.pkg`: sources | saved |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]

    def row(name, py, pycs, b, s):
        return (f"| {name} | {py:,} | {pycs:,} | {fmt_b(b['bytes'])} | {fmt_b(s['bytes'])} | "
                f"{fmt_b(b['tar'])} | {fmt_b(s['tar'])} | {fmt_b(b['zst'])} | {fmt_b(s['zst'])} | "
                f"{1 - s['zst'] / b['zst']:.0%} |")

    for name, d in sorted(corpus["dists"].items(), key=lambda kv: -kv[1]["bytecode"]["zst"]):
        L.append(row(name, d["py"], d["pycs"], d["bytecode"], d["sources"]))
    t = corpus["total"]
    L.append(row(f"**all {len(corpus['dists'])}**", corpus["py"], corpus["pycs"], t["bytecode"], t["sources"]))
    L.append("")
    L.append("**lang/pythonXY: each CPython's standard library as its `make install` writes it**: "
             "`lib/pythonX.Y` copied without `site-packages` (and Debian's `dist-packages`), "
             "without its bytecode and without `config-X.Y*` (the static libpython and build "
             "files that `make install` puts there for embedding: no Python code), then "
             "compiled with the interpreter itself as CPython's `Makefile.pre.in` (target "
             "`libinstall`) does: `compileall.py -f -d /usr/local/lib/pythonX.Y -x EXCLUDE`, "
             "levels 0, 1 and 2 (one run per level before 3.12, `-j0` from 3.8; one run with "
             "`-o 0 -o 1 -o 2 -j0` from 3.12), `PYTHONPATH` the copied library. EXCLUDE is the "
             "Makefile's, read in each pyenv build's installed Makefile: "
             "`bad_coding|badsyntax|site-packages|lib2to3/tests/data` (3.6-3.11), "
             "`...|test/test_lib2to3/data` (3.12), `bad_coding|badsyntax|site-packages` (3.13). "
             "Debian's `/usr/lib/python3.11` is Debian's split of the library (most of `test/` is "
             "in another package), compiled by the same 3.11 rule.")
    L.append("")
    L.append("| CPython | `.py` | pycs | flat: with bytecode | flat: sources | tar: with bytecode "
             "| tar: sources | `.pkg`: with bytecode | `.pkg`: sources | saved | measured |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for s in c["stdlibs"]:
        if "error" in s:
            L.append(f"| {s['label']} | - | - | - | - | - | - | - | - | - | not measured |")
            continue
        r = row(f"{s['label']} ({s['version']})", s["py"], s["pycs"], s["bytecode"], s["sources"])
        L.append(r + f" {s['computed']}, {s['seconds']:.0f} s{' (reused)' if s.get('cached') else ''} |")
    if not c["stdlibs"]:
        L.append("| (none measured in this run: `--stdlibs`) | | | | | | | | | | |")
    if any(s.get("subset") for s in c["stdlibs"]):
        L.append("")
        L.append("(Smoke run: only " + ", ".join(f"`{g}`" for g in SMOKE_STDLIB) + " of each library.)")
    L.append("")
    return L


def case_install(cfg, bins, work: Path, corpus: dict, dists: list[str], runs: int) -> dict:
    """Case 9: installing a package: extracting the package with bytecode
    against extracting the sources-only package and compiling it with
    pycache, as the trigger does after pkg extracts."""
    log("case 9 (install: extract with bytecode vs extract sources + pycache)")
    bsdtar = shutil.which("bsdtar")
    if not bsdtar:
        return not_run([9], "bsdtar is not installed (apt-get install libarchive-tools)")[0]
    rows, notes = [], []
    trash = work / "install-aside"
    with LoadMeter() as load:
        for dist in dists:
            pk = corpus["packages"][dist]
            root = work / f"install-{dist}"
            lb = root / packages.LOCALBASE
            site = lb / "lib" / f"python{PYVER}" / "site-packages"
            sitearc = f"{packages.LOCALBASE}/lib/python{PYVER}/site-packages"
            names = [n for n in run([bsdtar, "-tf", pk["sources"]], capture_output=True,
                                    text=True).stdout.split("\n") if n]
            dirs = sorted({str(root / os.path.dirname(n)) for n in names
                           if n.startswith(sitearc + "/")})
            lst = work / f"install-{dist}.dirs"
            lst.write_bytes(b"".join(os.fsencode(d) + b"\0" for d in dirs))
            want = sorted(n[len(sitearc) + 1:] for n in run([bsdtar, "-tf", pk["bytecode"]],
                          capture_output=True, text=True).stdout.split("\n")
                          if "/__pycache__/" in n and n.startswith(sitearc + "/"))
            cmds = {"extract with bytecode": ["sh", "-c", shlex.join([bsdtar, "-xpf", pk["bytecode"],
                                                                      "-C", str(root)])]}
            for levels in ("0,1", "0,1,2"):
                ours = pycache_argv(bins, lb, "-q", "-O", levels, "--dirs-from", lst)
                cmds[f"sources + pycache {levels}"] = [
                    "sh", "-c", shlex.join([bsdtar, "-xpf", pk["sources"], "-C", str(root)]) + " && exec "
                    + shlex.join(map(str, ours))]
            prepare = prep_argv(["aside", root, trash], ["localbase", lb], ["sync"])
            # Untimed check: the trigger's pycache makes the pycs the port ships.
            run(prepare)
            run(cmds["sources + pycache 0,1"])
            got = sorted(os.path.relpath(p, site) for p in pyc_snapshot(site))
            if got != want:
                notes.append(f"{dist}: pycache made {len(got)} pycs at levels 0, 1, the package "
                             f"ships {len(want)} (e.g. "
                             f"{sorted(set(got) ^ set(want))[:3]})")
            log(f"  {dist}: {len(names)} files, {len(want)} pycs, {len(dirs)} directories")
            t = compare(cmds, runs=runs, warmup=1, prepare=prepare)
            run(prep_argv(["aside", root, trash]))
            size = {v: os.stat(pk[v]).st_size for v in ("sources", "bytecode")}
            rows.append({"dist": dist, "files": len(names), "pycs": len(want),
                         "py": corpus["dists"][dist]["py"], "dirs": len(dirs), "pkg_bytes": size,
                         "timings": {n: x.as_dict() for n, x in t.items()}})
    base = rows[-1]["timings"]
    c = {"id": 9, "status": "shown", "rows": rows, "load": load.describe(), "notes": notes,
         "pycache": base["sources + pycache 0,1"], "other": base["extract with bytecode"],
         "ratio": base["sources + pycache 0,1"]["median"] / base["extract with bytecode"]["median"]}
    c["describe"] = install_describe(c, runs)
    return c


def install_describe(c: dict, runs: int) -> list[str]:
    L = [
        "Installing a package as pkg does it, into an empty `usr/local` (a `bin/python3.11` link "
        "only): extracting the `.pkg` with bytecode (case 8's, levels 0 and 1) against extracting "
        "the sources-only `.pkg` and then running what the trigger runs after the transaction, "
        "`pycache update --flavor py311 --prefix ROOT/usr/local -q -O LEVELS --dirs-from LIST` "
        "(LIST: every directory of site-packages the package has files in, as pkg's `arg`; inside "
        "pkg the trigger runs this program, since pkg's Lua loads no native module). Extraction is "
        "`bsdtar -xpf PKG -C ROOT`: libarchive, the library pkg extracts with (pkg writes each "
        "file itself through it). Each command runs under `sh -c`; before each run the last tree "
        "is moved aside (nothing deleted) and the page cache written back (`sync`, not timed). "
        f"Medians of {runs} alternating rounds (plus one dropped warm-up). Asserted first (untimed): "
        "pycache at levels 0, 1 makes exactly the pycs the package ships.",
        "",
        "| distribution | files | `.py` | directories | `.pkg` with bytecode | `.pkg` sources "
        "| extract with bytecode | extract sources + pycache 0,1 | ratio | extract sources + "
        "pycache 0,1,2 | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in c["rows"]:
        t = r["timings"]
        a = t["extract with bytecode"]["median"]
        b = t["sources + pycache 0,1"]["median"]
        d = t["sources + pycache 0,1,2"]["median"]
        L.append(f"| {r['dist']} | {r['files']:,} | {r['py']:,} | {r['dirs']:,} | "
                 f"{fmt_b(r['pkg_bytes']['bytecode'])} | {fmt_b(r['pkg_bytes']['sources'])} | "
                 f"{fmt_t(a)} | {fmt_t(b)} | {b / a:.1f}x | {fmt_t(d)} | {d / a:.1f}x |")
    L.append("")
    for r in c["rows"]:
        L.append(f"- {r['dist']}: " + "; ".join(
            f"{n}: {', '.join(f'{x:.3f}' for x in v['runs'])} s (user {fmt_t(v['user_median'])}, "
            f"sys {fmt_t(v['sys_median'])})" for n, v in r["timings"].items()))
    return L


def case_py3compile(cfg, bins, work: Path, tree: dict, runs: int, noop_runs: int) -> dict:
    """Case 10: Debian's install-time compiler, py3compile, against pycache
    on the same cold trees at the same levels, and the no-op re-run."""
    log("case 10 (py3compile vs pycache)")
    py3c = shutil.which("py3compile")
    if not py3c:
        return not_run([10], "py3compile is not installed (apt-get install python3-minimal)")[0]
    version = run([py3c, "--version"], capture_output=True, text=True).stdout.strip()
    lb = work / "lb-py3compile"
    discard(lb, work)
    site = make_localbase(lb)
    fresh = work / "fresh-py3compile"
    make_fresh(cfg["site"], tree["bytes"], fresh, 2 * 2 * runs + 1, work)
    # py3compile's -O runs its worker as `python3.11 -O -m py_compile -`: level 1 only.
    # Nothing makes it write level 2 (no -OO).
    sets = {"0": [py3c, "-V", PYVER, site],
            "0,1": ["sh", "-c", shlex.join([py3c, "-V", PYVER, str(site)]) + " && exec "
                    + shlex.join([py3c, "-V", PYVER, "-O", str(site)])]}
    levels_of = {"0": {"": "0"}, "0,1": {"": "0", ".opt-1": "1"}}
    cold, notes = {}, []

    def by_level(names):
        out = {}
        for n in names:
            m = re.search(r"\.cpython-\d+(\.opt-\d)?\.pyc$", n)
            out.setdefault((m.group(1) or "") if m else "?", set()).add(n)
        return out

    with LoadMeter() as load:
        for levels, py3 in sets.items():
            log(f"  cold, levels {levels}")
            outdir = work / f"py3compile-pycs-{levels}"
            discard(outdir, work)
            cmds = {"py3compile": py3, "pycache": pycache_argv(bins, lb, "-q", "-O", levels)}
            prepare = prep_argv(["pycs", site, outdir], ["swap", site, fresh], ["sync"])
            t = compare(cmds, runs=runs, warmup=0, prepare=prepare, ignore_failure=True)
            run(prep_argv(["pycs", site, outdir]))
            # The list taken before command k is the tree command k-1 left.
            order = [n for i in range(runs) for n in (list(cmds) if i % 2 == 0 else list(cmds)[::-1])]
            lists = sorted(outdir.iterdir())[1:]
            made = {n: [] for n in cmds}
            for n, f in zip(order, lists):
                made[n].append(set(f.read_text().splitlines()))
            counts = {}
            for n, sets_ in made.items():
                if any(s != sets_[0] for s in sets_):
                    notes.append(f"levels {levels}: {n} wrote different pycs in different rounds: "
                                 f"{[len(s) for s in sets_]}")
                counts[n] = {name: len(by_level(sets_[0]).get(lv, ())) for lv, name in levels_of[levels].items()}
                extra = set().union(*by_level(sets_[0]).values()) - set().union(
                    *(by_level(sets_[0]).get(lv, set()) for lv in levels_of[levels]))
                if extra:
                    notes.append(f"levels {levels}: {n} also wrote {len(extra)} pycs of other "
                                 f"levels (e.g. {sorted(extra)[0]})")
            a, b = made["py3compile"][0], made["pycache"][0]
            if a != b:
                notes.append(f"levels {levels}: only py3compile wrote {len(a - b)} pycs (e.g. "
                             f"{sorted(a - b)[:2]}), only pycache {len(b - a)} (e.g. {sorted(b - a)[:2]})")
            cold[levels] = {"timings": {n: x.as_dict() for n, x in t.items()}, "pycs": counts,
                            "same_pycs": a == b}
        log("  no-op re-runs")
        swap_in(site, fresh)
        pycache_json(pycache_argv(bins, lb, "-q", "-O", "0,1"))
        noop, rewritten = {}, {}
        for levels, py3 in sets.items():
            cmds = {"py3compile": py3, "pycache": pycache_argv(bins, lb, "-q", "-O", levels)}
            # Untimed: how many pycs one no-op run of each rewrites.
            rewritten[levels] = {}
            for n in ("pycache", "py3compile"):
                before = pyc_snapshot(site)
                run(cmds[n], stdout=subprocess.DEVNULL)
                after = pyc_snapshot(site)
                rewritten[levels][n] = sum(1 for p, m in after.items() if before.get(p) != m)
            # py3compile -O is no no-op (see py3compile_describe): as many
            # rounds as cold, no warm-up.
            slow = rewritten[levels]["py3compile"] > 0
            t = compare(cmds, runs=runs if slow else noop_runs, warmup=0 if slow else 1, prepare=None)
            noop[levels] = {n: x.as_dict() for n, x in t.items()}
    discard(fresh, work)
    main = cold["0"]["timings"]
    c = {"id": 10, "status": "shown", "py3compile_version": version, "cold": cold, "noop": noop,
         "noop_rewritten": rewritten,
         "pycache": main["pycache"], "other": main["py3compile"],
         "ratio": main["py3compile"]["median"] / main["pycache"]["median"],
         "load": load.describe(), "notes": notes, "runs": runs, "noop_runs": noop_runs}
    c["describe"] = py3compile_describe(c, tree)
    return c


def py3compile_describe(c: dict, tree: dict) -> list[str]:
    L = [
        f"Debian's install-time compiler, `py3compile` ({c['py3compile_version']}, from "
        "python3-minimal; it runs one `python3.11 -m py_compile -` worker and feeds it every "
        "`.py` whose pyc header is not fresh) against `pycache update --flavor py311 -O LEVELS` "
        f"on the whole corpus ({tree['py']:,} `.py` files), cold: each run on a fresh copy "
        "without bytecode, made before the rounds (as in case 2), the page cache written back "
        f"before each run. Levels 0: `py3compile -V 3.11 SITE` (what Debian runs); levels 0 "
        "and 1: `py3compile -V 3.11 SITE && py3compile -V 3.11 -O SITE` (its `-O` runs the "
        "worker under `python -O`: level 1). py3compile cannot write level 2 (there is no "
        "`-OO`), so level 2 is not compared; pycache's default is all three. Each run's pycs are "
        "listed afterwards and compared by name. No-op: the same commands on a tree compiled "
        "at levels 0 and 1 (by pycache); one untimed run of each first counts the pycs it "
        "rewrites. py3compile `-O` looks for a fresh level-1 pyc under the name Python 3.4 "
        "and older used, `NAME.cpython-311.pyo` (debpython's `Interpreter.cache_file`), which "
        "no Python 3.5+ writes or reads, so it compiles level 1 again on every run. "
        f"Medians of {c['runs']} alternating rounds cold, {c['noop_runs']} no-op (plus one "
        f"dropped warm-up) where neither tool compiles, else {c['runs']}.",
        "",
        "| levels | run | py3compile | pycache | py3compile / pycache | pycs written: py3compile | pycache |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for levels, d in c["cold"].items():
        t = d["timings"]
        a, b = t["py3compile"]["median"], t["pycache"]["median"]
        fmt = lambda cnt: ", ".join(f"level {k}: {v:,}" for k, v in cnt.items())
        L.append(f"| {levels} | cold | {fmt_t(a)} | {fmt_t(b)} | {a / b:.1f}x | "
                 f"{fmt(d['pycs']['py3compile'])} | {fmt(d['pycs']['pycache'])}"
                 f"{'' if d['same_pycs'] else ' (different sets, see notes)'} |")
    for levels, t in c["noop"].items():
        a, b = t["py3compile"]["median"], t["pycache"]["median"]
        rw = c["noop_rewritten"][levels]
        L.append(f"| {levels} | no-op | {fmt_t(a)} | {fmt_t(b)} | {a / b:.1f}x | "
                 f"rewrote {rw['py3compile']:,} | rewrote {rw['pycache']:,} |")
    L.append("| 2 | - | not possible | - | - | - | - |")
    L.append("")
    for levels, d in c["cold"].items():
        L.append(f"- cold {levels}: " + "; ".join(
            f"{n} {', '.join(f'{x:.2f}' for x in v['runs'])} s (user {fmt_t(v['user_median'])}, "
            f"sys {fmt_t(v['sys_median'])})" for n, v in d["timings"].items()))
    return L


def not_run(case_ids, reason) -> list[dict]:
    return [{"id": i, "status": "not run", "reason": reason, "notes": []} for i in case_ids]


# --------------------------------------------------------------------------
# Report


def fmt_t(s: float) -> str:
    return f"{s * 1000:.0f} ms" if s < 10 else f"{s:.1f} s"


TITLES = {
    1: "No-op, whole site-packages",
    2: "Cold compile, 3 levels",
    3: "Trigger: install a small package",
    4: "Trigger: nothing to compile (one data file)",
    5: "Trigger: delete a large package",
    6: "Peak RSS of the pycache process",
    7: "compile() calls per source, 3.13 and 3.14",
    8: "Package size with and without bytecode",
    9: "Install: extract with bytecode vs extract sources + compile",
    10: "py3compile (Debian) vs pycache",
}
COMPARISONS = {
    1: "`python3.11 -I -m compileall -q -o0 -o1 -o2 SITE`",
    2: "`python3.11 -I -m compileall -q -j0 -o0 -o1 -o2 SITE`",
    3: "re-created reverted ports trigger",
    4: "re-created reverted ports trigger",
    5: "re-created reverted ports trigger",
    6: "-",
    7: "3.13, same rules",
    8: "the corpus' `.pkg`s with bytecode (levels 0, 1), as ports ship them",
    9: "extracting the `.pkg` with bytecode",
    10: "`py3compile -V 3.11 SITE`, level 0, cold",
}


def ratio_text(c: dict) -> str:
    if c["id"] == 2:
        return f"{c['ratio']:.2f}x its time"
    if c["id"] == 8:
        return f"{c['ratio']:.2f}x the size"
    if c["id"] == 9:
        return f"{c['ratio']:.1f}x its time"
    return f"{c['ratio']:.1f}x faster"


def write_report(path: Path, data: dict) -> None:
    m, corpus, cases = data["machine"], data["corpus"], data["cases"]
    L = []
    L.append("# pycache benchmarks")
    L.append("")
    L.append(f"Generated by `bench/run.sh` on {m['date']} ({data['mode']} run, "
             f"{data['elapsed_s'] / 60:.1f} min). Do not edit: re-run the command. "
             "What each case measures, and how to run it: bench/README.md.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append(f"- {m['cores']} cores, {m['cpu']}, {m['memory']} RAM, Linux {m['kernel']}")
    L.append(f"- Python {m['python']} (`{PYTHON}`), hyperfine {m['hyperfine'].split()[-1]}")
    L.append(f"- {m['pycache']}, {m['build']} build, commit {m['commit']}")
    L.append(f"- Load average when the run started: {m['loadavg_start']}. Other engineers "
             "compile on this machine concurrently; the load measured during each case is "
             "given with it.")
    L.append("")
    L.append("## Corpus")
    L.append("")
    if corpus["kind"] == "real":
        L.append(f"{len(corpus['pins'])} real PyPI distributions, pinned in `bench/corpus.txt`, "
                 f"installed with `pip install --no-compile --no-deps --target` into "
                 f"`bench/.cache/corpus-{corpus['key']}/` (reused while the list is unchanged): "
                 f"**{corpus['tree']['py']:,} `.py` files**, {corpus['tree']['files']:,} files "
                 f"in all, {corpus['tree']['dirs']:,} directories, "
                 f"{corpus['tree']['bytes'] / MIB:.0f} MiB.")
    else:
        L.append(f"Synthetic smoke-test tree (generated): {corpus['tree']['py']} `.py` files, "
                 f"{corpus['tree']['files']} files, {corpus['tree']['dirs']} directories.")
    L.append("")
    L.append("| distribution | `.py` files |")
    L.append("|---|---:|")
    for pin in corpus["pins"]:
        L.append(f"| {pin} | {corpus['dist_py'].get(pin, '-')} |")
    L.append("")
    L.append(f"Not in the corpus: {', '.join(corpus['extra_pins'])} — case 3 installs it "
             f"({corpus['small_py']} `.py` files). Case 5 deletes `{corpus['delete_top']}` "
             f"({corpus['delete_py']} `.py` files, {corpus['delete_files']} files).")
    L.append("")
    L.append("Scale trees (cases 1 and 4): the compiled corpus plus N-1 copies (`cp -a`, so the "
             "bytecode stays fresh) of every top-level directory under another name "
             "(`django_x2`, ...): " + ", ".join(
                 f"{f}x = {n:,} `.py`" for f, n in sorted(data["scales"].items())) + ".")
    L.append("")
    L.append("## Results")
    L.append("")
    L.append(f"Medians of alternating runs, measured side by side in one run: {data['runs']} rounds "
             f"for case 1, {data['cold_runs']} for the cold compile (case 2), {data['trigger_runs']} "
             f"for cases 3-5 at 1x, {data['scale_runs']} for case 4 above 1x (plus one dropped "
             "warm-up round, except for case 2); "
             "every round is one `hyperfine -N --runs 1` call running each command once, "
             "the order reversed each round."
             + (f" Cases 8-10 (issue 28: packages without bytecode) are figures to show, with no "
                f"target: sizes, then {data['install_runs']} rounds for case 9 and "
                f"{data['py3compile_runs']} cold rounds for case 10 (its no-op: as case 1)."
                if any(c["id"] in FIGURES for c in cases) else ""))
    L.append("")
    L.append("| case | scale | pycache | comparison | comparison median | ratio | target | met? |")
    L.append("|---|---|---:|---|---:|---:|---|---|")
    for c in cases:
        cid = c["id"]
        target = TARGETS[cid][2]
        if c["status"] == "not run":
            L.append(f"| {cid}. {TITLES[cid]} | - | - | {COMPARISONS[cid]} | - | - | {target} | "
                     f"**not run**: {c['reason']} |")
        elif cid == 6:
            L.append(f"| 6. {TITLES[6]} | 1x | {c['peak_mib']:.1f} MiB | - | - | - | {target} | "
                     f"**{c['status']}** |")
        elif cid == 7:
            per = c["per_source"]
            L.append(f"| 7. {TITLES[7]} | 1x | 3.14: {per['3.14']:.3f} | {COMPARISONS[7]} | "
                     f"3.13: {per['3.13']:.3f} | - | {target} | **{c['status']}** |")
        elif cid == 8:
            t = c["corpus"]["total"]
            L.append(f"| 8. {TITLES[8]} | 1x | sources only: {fmt_b(t['sources']['zst'])} | "
                     f"{COMPARISONS[8]} | {fmt_b(t['bytecode']['zst'])} | {ratio_text(c)} | "
                     f"{target} | **{c['status']}** |")
        elif cid == 9:
            dist = c["rows"][-1]["dist"]
            L.append(f"| 9. {TITLES[9]} | {dist} | sources + pycache 0,1: "
                     f"{fmt_t(c['pycache']['median'])} | {COMPARISONS[9]} | "
                     f"{fmt_t(c['other']['median'])} | {ratio_text(c)} | {target} | "
                     f"**{c['status']}** |")
        else:
            L.append(f"| {cid}. {TITLES[cid]} | {c.get('factor', 1)}x | {fmt_t(c['pycache']['median'])} | "
                     f"{COMPARISONS[cid]} | {fmt_t(c['other']['median'])} | {ratio_text(c)} | "
                     f"{target} | **{c['status']}** |")
    L.append("")
    L.append("## Details")
    for c in cases:
        cid = c["id"]
        L.append("")
        L.append(f"### Case {cid}: {TITLES[cid]}" + (f" ({c['factor']}x)" if c.get("factor", 1) != 1 else "")
                 + (" (figures to show, no target)" if cid in FIGURES else ""))
        L.append("")
        if c["status"] == "not run":
            L.append(f"Not run: {c['reason']}.")
            continue
        for line in c.get("describe", []):
            L.append(line)
        if cid in FIGURES:
            if c.get("load"):
                L.append(f"- load: {c['load']}")
            if c.get("elapsed_s"):
                L.append(f"- took {fmt_t(c['elapsed_s'])}")
        elif cid == 7:
            L.append(f"- counted in {fmt_t(c['elapsed_s'])}")
        elif cid == 6:
            for name in ("noop", "cold"):
                r = c[name]
                L.append(f"- {'case 1 (no-op)' if name == 'noop' else 'case 2 (cold compile)'}: "
                         f"pycache process {r['own_kib'] / 1024:.1f} MiB"
                         f"{'' if r['own_exact'] else ' (sampled VmHWM)'}; "
                         f"{r['workers']} worker processes, largest {r['worker_peak_kib'] / 1024:.1f} MiB "
                         f"(reported separately, not counted against the target); exit {r['exit']}.")
        else:
            p, o = c["pycache"], c["other"]
            L.append(f"- pycache: median {fmt_t(p['median'])} (min {fmt_t(p['min'])}, max {fmt_t(p['max'])}; "
                     f"user {fmt_t(p['user_median'])}, sys {fmt_t(p['sys_median'])})")
            L.append(f"- comparison: median {fmt_t(o['median'])} (min {fmt_t(o['min'])}, max {fmt_t(o['max'])}; "
                     f"user {fmt_t(o['user_median'])}, sys {fmt_t(o['sys_median'])})")
            L.append(f"- runs (s): pycache {', '.join(f'{x:.3f}' for x in p['runs'])}; "
                     f"comparison {', '.join(f'{x:.3f}' for x in o['runs'])}")
            L.append(f"- load: {c['load']}")
        for n in c.get("notes", []):
            L.append(f"- note: {n}")
        if c.get("profile"):
            L.append("")
            L.append("Where the time goes:")
            L.append("")
            L.append(c["profile"])
    missed = [c for c in cases if c["status"] == "missed"]
    notrun = [c for c in cases if c["status"] == "not run"]
    L.append("")
    L.append("## Summary")
    L.append("")
    if not missed and not notrun:
        L.append("Every target is met.")
    for c in missed:
        L.append(f"- **Missed**: case {c['id']} ({TITLES[c['id']]}"
                 f"{', %dx' % c['factor'] if c.get('factor', 1) != 1 else ''}): target "
                 f"{TARGETS[c['id']][2]}, got "
                 + (f"{c['peak_mib']:.1f} MiB" if c['id'] == 6
                    else "3.14 %.3f, 3.13 %.3f per source" % (c["per_source"]["3.14"],
                                                             c["per_source"]["3.13"])
                    if c['id'] == 7 else ratio_text(c))
                 + ". See its details above for where the time goes.")
    for c in notrun:
        L.append(f"- **Not run**: case {c['id']} ({TITLES[c['id']]}): {c['reason']}.")
    L.append("")
    path.write_text("\n".join(L))


# --------------------------------------------------------------------------
# Validation (smoke test)


def validate(md_path: Path, json_path: Path, smoke: bool = False) -> None:
    md = md_path.read_text()
    data = json.loads(json_path.read_text())
    problems = []
    for heading in ("# pycache benchmarks", "## Machine", "## Corpus", "## Results", "## Summary"):
        if heading not in md:
            problems.append(f"missing heading {heading!r}")
    ids = sorted({c["id"] for c in data["cases"]})
    requested = sorted(data.get("cases_requested", range(1, 8)))
    if ids != requested:
        problems.append(f"cases present: {ids}, want {requested}")
    for c in data["cases"]:
        allowed = ("shown", "not run") if c["id"] in FIGURES else ("met", "missed", "not run")
        if c["status"] not in allowed:
            problems.append(f"case {c['id']}: status {c['status']!r}")
        if c["status"] == "not run":
            if not c.get("reason"):
                problems.append(f"case {c['id']}: not run without a reason")
            continue
        if c["id"] == 8:
            t = c["corpus"]["total"]
            if not (0 < t["sources"]["zst"] < t["bytecode"]["zst"] and c["corpus"]["pycs"] > 0):
                problems.append(f"case 8: corpus sizes {t}")
            if (data.get("stdlibs_requested", "all") != "none" and not c["stdlibs"]) or any(
                    "error" in s or not 0 < s["sources"]["zst"] < s["bytecode"]["zst"]
                    for s in c["stdlibs"]):
                problems.append("case 8: a standard library was not measured")
            continue
        if c["id"] == 9 and not all(len(r["timings"]) == 3 for r in c["rows"]):
            problems.append("case 9: a distribution lacks a timing")
        if c["id"] == 10 and not (set(c["cold"]) == {"0", "0,1"} and set(c["noop"]) == {"0", "0,1"}
                                  and all(d["pycs"]["pycache"]["0"] > 0 for d in c["cold"].values())):
            problems.append("case 10: a level set is missing or pycache wrote no pyc")
        if c["id"] == 6:
            if not c["peak_mib"] > 0:
                problems.append("case 6: no RSS")
            continue
        if c["id"] == 7:
            if not (c["sources"] > 0 and all(1 <= x <= 3 for x in c["per_source"].values())):
                problems.append(f"case 7: {c['sources']} sources, {c['per_source']} calls each")
            continue
        for side in ("pycache", "other"):
            med = c[side]["median"]
            if not (isinstance(med, float) and med > 0):
                problems.append(f"case {c['id']}: {side} median {med!r}")
        if not c["ratio"] > 0:
            problems.append(f"case {c['id']}: ratio {c['ratio']!r}")
        if c["id"] == 2 and not (c.get("compiled") and c.get("pycs") and c.get("deleted_round")
                                 and c.get("floor", {}).get("median", 0) > 0):
            problems.append("case 2: the untimed check compiled nothing (were the fresh trees "
                            "bytecode-free?) or the deleted-bytecode round is missing")
    for f in data["scales"] if 1 in requested else ():
        if not any(c["id"] == 1 and c.get("factor") == int(f) for c in data["cases"]):
            problems.append(f"case 1 missing at scale {f}x")
    rows = [l for l in md.splitlines() if re.match(r"\| \d+\. ", l)]
    if len(rows) < len(requested):
        problems.append(f"results table has {len(rows)} case rows")
    for l in rows:
        if not re.search(r"\*\*(met|missed|not run|shown)", l):
            problems.append(f"row without a verdict: {l}")
    if problems:
        sys.exit("bench: report is not well formed:\n  " + "\n  ".join(problems))
    if smoke:
        # A smoke run (bench/smoke.sh) times one tiny round of a debug build
        # on a generated tree: its verdicts ("missed" among them) say nothing
        # of pycache, and CI must not read them as a failure.
        print(f"bench: smoke run: the report is well formed ({len(data['cases'])} case "
              "entries); this was one tiny round of a debug build, so its figures mean "
              "nothing and no target is judged (the real run: bash bench/run.sh)")
        return
    print(f"bench: {md_path} is well formed ({len(data['cases'])} case entries, "
          f"{sum(c['status'] == 'met' for c in data['cases'])} met, "
          f"{sum(c['status'] == 'shown' for c in data['cases'])} figures shown, "
          f"{sum(c['status'] == 'missed' for c in data['cases'])} missed, "
          f"{sum(c['status'] == 'not run' for c in data['cases'])} not run)")


# --------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_prep":
        prep(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_validate":
        validate(Path(sys.argv[2]), Path(sys.argv[3]), smoke="--smoke" in sys.argv[4:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "_render":
        # Rewrites the report from a run's JSON (e.g. after the wording of a
        # profile changed); the measurements are the run's own.
        data = json.loads(Path(sys.argv[2]).read_text())
        for c in data["cases"]:
            if c["id"] == 2 and c["status"] != "not run":
                c["profile"] = cold_profile(c)
        write_report(Path(sys.argv[3]), data)
        return
    ap = argparse.ArgumentParser(description="pycache benchmark driver; see bench/run.sh")
    ap.add_argument("--out", type=Path, default=REPO / "BENCHMARKS.md")
    ap.add_argument("--json-out", type=Path, help="results as JSON (default: CACHE/results.json)")
    ap.add_argument("--corpus", type=Path, default=BENCH / "corpus.txt")
    ap.add_argument("--synthetic", action="store_true", help="tiny generated tree (smoke run)")
    ap.add_argument("--cache", type=Path, default=BENCH / ".cache")
    ap.add_argument("--work", type=Path, help="scratch trees (default: CACHE/work)")
    ap.add_argument("--bin-dir", type=Path, required=True, help="where pycache and gen-triggers are")
    ap.add_argument("--profile-name", default="release")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--trigger-runs", type=int, default=5, help="rounds of cases 3-5 at 1x")
    ap.add_argument("--scale-runs", type=int, default=3, help="rounds of case 4 above 1x")
    ap.add_argument("--scales", default="1,3,10")
    ap.add_argument("--install-runs", type=int, default=5, help="rounds of case 9")
    ap.add_argument("--py3compile-runs", type=int, default=2,
                    help="cold rounds of case 10 (each compiles the whole corpus 4 times)")
    ap.add_argument("--stdlibs", default="all",
                    help="standard libraries case 8 measures: all, none, or versions (3.11,3.13)")
    ap.add_argument("--cases", default="1,2,3,4,5,6,7,8,9,10",
                    help="e.g. 8,9,10: only issue 28's cases (sizes are cached, see bench/packages.py)")
    args = ap.parse_args()
    t_start = time.monotonic()
    bins = {"pycache": args.bin_dir / "pycache", "gen-triggers": args.bin_dir / "gen-triggers",
            "profile": args.profile_name}
    for b in ("pycache", "gen-triggers"):
        if not os.access(bins[b], os.X_OK):
            sys.exit(f"bench: {bins[b]} is not built")
    want = {int(x) for x in args.cases.split(",")}
    scales = sorted({int(x) for x in args.scales.split(",")} | {1})
    work = (args.work or args.cache / "work").resolve()
    args.cache.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)

    machine = machine_info(bins)
    corpus = synthetic_corpus(args.cache.resolve()) if args.synthetic else real_corpus(args.corpus, args.cache.resolve())
    tree = describe_tree(corpus["site"], corpus["pins"])
    dist_py = dist_py_counts(corpus["site"])
    pin_py = {}
    for pin in corpus["pins"]:
        name = pin.split("==")[0].lower().replace("-", "_")
        for d, n in dist_py.items():
            if d.lower().rsplit("-", 1)[0].replace("-", "_") == name:
                pin_py[pin] = n
    delete_tree = describe_tree(corpus["site"] / corpus["delete_top"], [])
    corpus_info = {
        "kind": corpus["kind"], "key": corpus["key"], "pins": corpus["pins"],
        "extra_pins": corpus["extra_pins"], "tree": {k: v for k, v in tree.items() if k != "per_top"},
        "dist_py": pin_py, "delete_top": corpus["delete_top"], "delete_py": delete_tree["py"],
        "delete_files": delete_tree["files"],
        "small_py": describe_tree(corpus["small"], [])["py"],
    }

    # Trees a previous run left to delete (it was interrupted) go first, long
    # before case 2 (see discard).
    purge(work)
    stray = pyc_snapshot(corpus["site"])
    if stray:
        # Something imported from the corpus; the cases need it bytecode-free.
        log(f"removing {len(stray)} bytecode files from {corpus['site']}, e.g. {min(stray)}")
        remove_bytecode(corpus["site"])
    cases: list[dict] = []
    scale_sites: dict = {}
    scale_py: dict = {}
    if want & {1, 2, 3, 4, 5, 6}:
        # The 1x tree, compiled: the base of cases 1-6.
        lb1 = work / "lb-x1"
        site1 = make_localbase(lb1)
        log(f"laying out {site1}")
        copy_tree(corpus["site"], site1, work)
        rep = pycache_json(pycache_argv(bins, lb1, "-q"))
        if rep.get("exit_code") not in (0, 1):
            raise RuntimeError(f"compiling the corpus failed: {rep.get('lines')}")
        # Stash the compiled tree: scale copies and restores come from it.
        stash = work / "compiled"
        copy_tree(site1, stash, work)
        scale_sites = {1: (lb1, site1)}
        for f in scales:
            if f != 1 and (1 in want or 4 in want):
                lb = work / f"lb-x{f}"
                discard(lb, work)
                scale_sites[f] = (lb, scaled_site(stash, lb, f, work))
        scale_py = {f: (tree["py"] * f if corpus["kind"] == "real" else describe_tree(s, [])["py"])
                    for f, (_, s) in scale_sites.items()}
    for f, (lb, s) in sorted(scale_sites.items()):
        if 1 in want:
            cases.append(case_noop(corpus, bins, lb, s, f, args.runs))

    trig_ids = [i for i in (3, 4, 5) if i in want]
    if trig_ids:
        emu, why = emulator()
        if emu is None:
            cases += not_run(trig_ids, why)
        else:
            try:
                cases += trigger_cases(corpus, bins, work, stash, scale_sites, want, args.trigger_runs,
                                       args.scale_runs, emu)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
                log(f"trigger cases failed: {e}")
                done = {c["id"] for c in cases}
                cases += not_run([i for i in trig_ids if i not in done],
                                 f"the driver failed: {str(e).splitlines()[0][:200]}")

    # The cold compile last, on fresh trees (see case_cold); then memory.
    fresh = work / "fresh"
    count = (cold_rounds(args.cold_runs) if 2 in want else 0) + (1 if 6 in want else 0)
    if count:
        make_fresh(corpus["site"], tree["bytes"], fresh, count, work)
    if 2 in want:
        cases.append(case_cold(corpus, bins, lb1, site1, fresh, args.cold_runs))
    if 6 in want:
        cases.append(case_rss(bins, lb1, site1, fresh))
    discard(fresh, work)
    if 7 in want:
        cases.append(case_calls(corpus["site"]))
    # Issue 28 (figures): sizes, then the install and py3compile timings.
    if want & {8, 9}:
        dists = [find_dist(dist_py, d) for d in corpus["install_dists"]]
        if None in dists:
            sys.exit(f"bench: the corpus lacks one of {corpus['install_dists']} (case 9)")
        try:
            c8, packaged = case_sizes(corpus, work, args.cache.resolve(), dists, args.synthetic,
                                      args.stdlibs)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
            log(f"case 8 failed: {e}")
            why = f"the driver failed: {str(e).splitlines()[0][:200]}"
            cases += not_run(sorted(want & {8, 9}), why)
        else:
            if 8 in want:
                cases.append(c8)
            if 9 in want:
                cases.append(case_install(corpus, bins, work, packaged, dists, args.install_runs))
    if 10 in want:
        cases.append(case_py3compile(corpus, bins, work, tree, args.py3compile_runs, args.runs))

    # Where the time goes: always for the cold compile, else where a target was missed.
    for c in cases:
        if c["id"] == 2 and c["status"] != "not run":
            c["profile"] = cold_profile(c)
        if c["status"] != "missed" or c["id"] != 1:
            continue
        lb, s = scale_sites[c.get("factor", 1)]
        if c["id"] == 1 and c.get("factor", 1) != 1:
            c["profile"] = "As at 1x (the no-op scan is linear in the tree's size): see the 1x profile."
        elif c["id"] == 1:
            c["profile"] = ("`strace -f -c` of one no-op `pycache update` (syscall counts; "
                            f"user {fmt_t(c['pycache']['user_median'])} / sys "
                            f"{fmt_t(c['pycache']['sys_median'])} median):\n\n```\n"
                            + strace_summary(pycache_argv(bins, lb, "-q")) + "\n```")

    order = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 6, 8: 7, 9: 8, 10: 9}
    cases.sort(key=lambda c: (order[c["id"]], c.get("factor", 1)))
    data = {"mode": "smoke" if args.synthetic else "full", "machine": machine, "corpus": corpus_info,
            "scales": {str(f): n for f, n in scale_py.items()}, "runs": args.runs,
            "cold_runs": args.cold_runs, "trigger_runs": args.trigger_runs,
            "scale_runs": args.scale_runs, "install_runs": args.install_runs,
            "py3compile_runs": args.py3compile_runs, "cases_requested": sorted(want),
            "stdlibs_requested": args.stdlibs, "cases": cases,
            "elapsed_s": time.monotonic() - t_start}
    json_out = args.json_out or (args.cache / "results.json")
    json_out.write_text(json.dumps(data, indent=1, default=str))
    write_report(args.out, data)
    log(f"wrote {args.out} and {json_out} in {(time.monotonic() - t_start) / 60:.1f} min")
    purge(work)


if __name__ == "__main__":
    main()
