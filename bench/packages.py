"""Packages with and without bytecode, built as FreeBSD's pkg builds them (issue 28).

A FreeBSD package (`.pkg`) is a tar of the package's files, compressed. This
module lays out a tree the way a port stages it, compiles its bytecode the way
the port's build does (pypa/installer for py-* ports, CPython's `make install`
for lang/pythonXY), and measures each package twice: as ports ship it today
(with bytecode) and with sources only (the bytecode made on the installing
machine by pycache's trigger, as Debian's py3compile does). Each size is the
sum of the file sizes, the size of the tar, and the size of the tar
compressed with zstd at pkg's default level.

Sizes are a pure function of the files, the interpreter, zstd and the level,
and compressing a few GiB at level 19 takes long (about 2 MB/s per core here),
so results are kept in CACHE/sizes/, keyed by a fingerprint of all of these
(delete the directory to measure again).
"""

from __future__ import annotations

import concurrent.futures
import csv
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

# pkg's default compression, read in freebsd/pkg at 13f9f986 (2026-08-21):
# COMPRESSION_FORMAT is unset by default, so packing_format_from_string()
# (libpkg/packing.c) returns DEFAULT_COMPRESSION, which configure.def sets to
# TZS (tar.zst); COMPRESSION_LEVEL defaults to -1 (libpkg/pkg_config.c), which
# packing_set_format() (libpkg/packing.c) turns into 19 for TZS (since pkg
# 1.17.0, commit 31000cb4); COMPRESSION_THREADS defaults to -1, so no threads
# option reaches libarchive's zstd filter: one thread (zstd --single-thread).
# The archive is written with archive_write_set_format_pax_restricted().
PKG_ZSTD_LEVEL = 19
# Where a package's files live (pkg's PREFIX), as tar member names.
LOCALBASE = "usr/local"
# Bump when how a package is built or measured changes: cached sizes are then measured again.
METHOD = 1
# Levels a py-* port ships: `python -m installer` compiles 0 and 1 by default.
PORT_LEVELS = (0, 1)
BENCH = Path(__file__).resolve().parent


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def zstd_version() -> str:
    p = subprocess.run(["zstd", "--version"], capture_output=True, text=True, check=True)
    m = re.search(r"v\d+\.\d+\.\d+", p.stdout)
    return f"zstd {m.group(0)}" if m else p.stdout.strip()


# --------------------------------------------------------------------------
# Building and measuring one package


def write_tar(members: list[tuple[str, Path]], out: Path) -> None:
    """A tar of MEMBERS ((name in the archive, file)) as pkg writes one: pax
    headers only where ustar cannot hold a field (whole-second mtimes, so none
    for that), owner root:wheel."""
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for arc, path in members:
            ti = tar.gettarinfo(str(path), arcname=arc)
            ti.mtime = int(ti.mtime)
            ti.uid = ti.gid = 0
            ti.uname, ti.gname = "root", "wheel"
            if ti.isreg():
                with open(path, "rb") as f:
                    tar.addfile(ti, f)
            else:
                tar.addfile(ti)


def compress(tar: Path, out: Path) -> None:
    subprocess.run(["zstd", f"-{PKG_ZSTD_LEVEL}", "--single-thread", "-q", "-f", "--no-progress",
                    str(tar), "-o", str(out)], check=True)


def measure(members: list[tuple[str, Path]], tmp: Path, name: str, keep: Path | None = None) -> dict:
    """Files, their bytes, the tar's bytes and the tar.zst's bytes of one
    package; the tar.zst is kept at KEEP when given."""
    members = sorted(members)  # a port's plist is sorted; pkg archives in its order
    tar = tmp / f"{name}.tar"
    zst = keep or tmp / f"{name}.tar.zst"
    write_tar(members, tar)
    compress(tar, zst)
    out = {"files": len(members), "bytes": sum(os.lstat(p).st_size for _, p in members),
           "tar": tar.stat().st_size, "zst": zst.stat().st_size}
    tar.unlink()
    if keep is None:
        zst.unlink()
    return out


def run_parallel(jobs: list, workers: int) -> list:
    """Runs callables, the first ones first (give the largest first), on
    WORKERS threads (each mostly waits for its zstd); results in order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [pool.submit(j) for j in jobs]
        return [f.result() for f in futures]


# --------------------------------------------------------------------------
# Cache


def tree_fingerprint(root: Path, skip, extra: list[str]) -> str:
    """sha256 over EXTRA and every file's path, size and mtime below ROOT
    (bytecode and what SKIP(relative path) refuses left out)."""
    h = hashlib.sha256()
    for s in extra:
        h.update(s.encode() + b"\0")
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = sorted(d for d in dirnames
                             if d != "__pycache__" and not skip(os.path.normpath(os.path.join(rel, d))))
        for name in sorted(filenames):
            r = os.path.normpath(os.path.join(rel, name))
            if skip(r):
                continue
            st = os.lstat(os.path.join(dirpath, name))
            h.update(f"{r}\0{st.st_size}\0{st.st_mtime_ns}\0".encode(errors="surrogateescape"))
    return h.hexdigest()[:16]


def cached(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("method") == METHOD else None


def store(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.rename(path)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------
# py-* ports: the bench corpus, one package per distribution


def dist_files(site: Path, pyver: str) -> dict[str, list[tuple[str, str]]]:
    """Per distribution (its dist-info name): (member name, path relative to
    SITE) of every file its RECORD lists. `pip --target` puts scripts and data
    in SITE/bin and SITE/share (RECORD: ../../bin/...); a port installs them in
    PREFIX/bin and PREFIX/share."""
    out = {}
    sitearc = f"{LOCALBASE}/lib/python{pyver}/site-packages"
    for rec in sorted(site.glob("*.dist-info/RECORD")):
        files = []
        for row in csv.reader(rec.read_text(errors="surrogateescape").splitlines()):
            if not row or not row[0]:
                continue
            p = os.path.normpath(row[0])
            if p.startswith("../../") and not p.startswith("../../../"):
                files.append((f"{LOCALBASE}/{p[6:]}", p[6:]))
            elif not p.startswith(".."):
                files.append((f"{sitearc}/{p}", p))
        out[rec.parent.name[: -len(".dist-info")]] = files
    return out


def is_module_source(rel: str) -> bool:
    """A source installer compiles: a .py file of site-packages (purelib/platlib)."""
    return rel.endswith(".py") and len(os.path.basename(rel)) > 3 and not rel.startswith(("bin/", "share/"))


def pyc_names(rel: str, tag: str, levels) -> list[str]:
    d, base = os.path.split(rel)
    stem = base[:-3]
    return [os.path.join(d, "__pycache__", f"{stem}.{tag}{'' if lv == 0 else f'.opt-{lv}'}.pyc")
            for lv in levels]


def installer_compile(python: str, stage: Path, sources: list[Path], jobs: int) -> int:
    """Compiles SOURCES (below STAGE) at the port's levels with
    bench/installer_compile.py, JOBS processes at once; how many (file,
    level) pairs failed."""
    chunks = [sources[k::jobs] for k in range(jobs)]
    procs = []
    for chunk in chunks:
        if not chunk:
            continue
        p = subprocess.Popen([python, "-I", str(BENCH / "installer_compile.py"), str(stage),
                              *map(str, PORT_LEVELS)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=clean_env())
        procs.append(p)
        p.stdin.write(b"".join(os.fsencode(str(s)) + b"\0" for s in chunk))
        p.stdin.close()
    failed = 0
    for p in procs:
        out = p.stdout.read()
        err = p.stderr.read()
        if p.wait() != 0:
            raise RuntimeError(f"bench/installer_compile.py failed (exit {p.returncode}): "
                               f"{err.decode(errors='replace')[-2000:]}")
        failed += int(out.decode().split()[-1])
    return failed


def clean_env() -> dict:
    """The environment for an interpreter that writes bytecode: no PYTHON*
    settings, no SOURCE_DATE_EPOCH (it would switch py_compile to hash pycs)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("PYTHON") and k != "SOURCE_DATE_EPOCH"}


def corpus_sizes(site: Path, python: str, pyver: str, tag: str, work: Path, cache: Path,
                 keep_dists: list[str]) -> dict:
    """Case 8's corpus half: every distribution of SITE as a py-* port
    package with levels 0 and 1 (installer's way) and with sources only.
    Keeps the tar.zst of the distributions named in KEEP_DISTS (for case 9)."""
    pyv = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                         capture_output=True, text=True, check=True).stdout.strip()
    key = tree_fingerprint(site, lambda r: False,
                           ["corpus", pyv, zstd_version(), str(PKG_ZSTD_LEVEL), str(METHOD)])
    out_json = cache / "sizes" / f"corpus-{key}.json"
    pkgdir = cache / "sizes" / f"corpus-{key}-packages"
    data = cached(out_json)
    if data and all((pkgdir / f"{d}.{v}.tar.zst").exists()
                    for d in data["keep"] for v in ("sources", "bytecode")) \
            and set(keep_dists) <= set(data["keep"]):
        log(f"case 8: corpus sizes from {out_json} (measured {data['computed']})")
        data["cached"] = True
        data["packages"] = {d: {v: str(pkgdir / f"{d}.{v}.tar.zst") for v in ("sources", "bytecode")}
                            for d in data["keep"]}
        return data
    t0 = time.monotonic()
    stage = work / "size-stage"
    shutil.rmtree(stage, ignore_errors=True)
    stage_site = stage / LOCALBASE / "lib" / f"python{pyver}" / "site-packages"
    stage_site.parent.mkdir(parents=True)
    log(f"case 8: staging the corpus in {stage} and compiling levels 0, 1 as installer does")
    subprocess.run(["cp", "-a", str(site), str(stage_site)], check=True)
    dists = dist_files(stage_site, pyver)
    sources = [stage_site / rel for files in dists.values() for _, rel in files if is_module_source(rel)]
    failed = installer_compile(python, stage, sources, os.cpu_count() or 1)
    shutil.rmtree(pkgdir, ignore_errors=True)
    pkgdir.mkdir(parents=True)
    tmp = work / "size-tmp"
    tmp.mkdir(exist_ok=True)

    def job(dist, variant, members):
        keep = pkgdir / f"{dist}.{variant}.tar.zst" if dist in keep_dists else None
        return lambda: (dist, variant, measure(members, tmp, f"{dist}.{variant}", keep))

    jobs, info = [], {}
    for dist, files in dists.items():
        src = [(arc, stage_site / rel) for arc, rel in files]
        pycs = []
        for arc, rel in files:
            if is_module_source(rel):
                for name in pyc_names(rel, tag, PORT_LEVELS):
                    if (stage_site / name).exists():
                        pycs.append((os.path.join(os.path.dirname(arc), "__pycache__",
                                                  os.path.basename(name)), stage_site / name))
        info[dist] = {"py": sum(1 for _, rel in files if is_module_source(rel)), "pycs": len(pycs)}
        weight = sum(os.lstat(p).st_size for _, p in src)
        jobs.append((weight * 2, job(dist, "bytecode", src + pycs)))
        jobs.append((weight, job(dist, "sources", src)))
    log(f"case 8: building {len(jobs)} packages (tar, zstd -{PKG_ZSTD_LEVEL})")
    results = run_parallel([j for _, j in sorted(jobs, key=lambda x: -x[0])], os.cpu_count() or 1)
    for dist, variant, m in results:
        info[dist][variant] = m
    owned = {rel for files in dists.values() for _, rel in files}
    unowned = sum(1 for dp, dn, fn in os.walk(stage_site) if "__pycache__" not in dp
                  for n in fn if os.path.relpath(os.path.join(dp, n), stage_site) not in owned)
    total = {v: {k: sum(info[d][v][k] for d in info) for k in ("files", "bytes", "tar", "zst")}
             for v in ("sources", "bytecode")}
    data = {"method": METHOD, "key": key, "computed": now(), "seconds": time.monotonic() - t0,
            "python": pyv, "levels": list(PORT_LEVELS), "zstd": zstd_version(),
            "level": PKG_ZSTD_LEVEL, "dists": info, "total": total, "keep": sorted(keep_dists),
            "failed_compiles": failed, "unowned_files": unowned,
            "py": sum(i["py"] for i in info.values()), "pycs": sum(i["pycs"] for i in info.values())}
    store(out_json, data)
    shutil.rmtree(stage, ignore_errors=True)
    data["cached"] = False
    data["packages"] = {d: {v: str(pkgdir / f"{d}.{v}.tar.zst") for v in ("sources", "bytecode")}
                        for d in keep_dists}
    return data


# --------------------------------------------------------------------------
# lang/pythonXY: each CPython's standard library as `make install` writes it


def makefile_exclude(ver: tuple[int, int]) -> str:
    """compileall's -x in CPython's Makefile.pre.in (target libinstall): test
    data that does not compile. Read in the Makefile each pyenv 3.6-3.13 build
    installed (lib/pythonX.Y/config-X.Y*/Makefile, generated from that
    release's Makefile.pre.in): lib2to3's test data moved to
    test/test_lib2to3/data in 3.12 and lib2to3 went in 3.13."""
    if ver >= (3, 13):
        return "bad_coding|badsyntax|site-packages"
    if ver >= (3, 12):
        return "bad_coding|badsyntax|site-packages|test/test_lib2to3/data"
    return "bad_coding|badsyntax|site-packages|lib2to3/tests/data"


def libinstall_argvs(python: str, ver: tuple[int, int], lib: Path, libdest: str) -> list[list[str]]:
    """The compileall runs of `make install` (libinstall) for LIB, as the
    Makefile writes them: -f, -d LIBDEST, -x as above; 3.12 and later one run
    with -o 0 -o 1 -o 2 $(COMPILEALL_OPTS) (-j0 by default), before that one
    run per level (-O, -OO), with -j0 from 3.8 on."""
    tail = ["-d", libdest, "-f", "-x", makefile_exclude(ver), str(lib)]
    script = str(lib / "compileall.py")
    if ver >= (3, 12):
        return [[python, "-Wi", script, "-o", "0", "-o", "1", "-o", "2", "-j0", *tail]]
    jobs = ["-j0"] if ver >= (3, 8) else []
    return [[python, "-Wi", *opt, script, *jobs, *tail] for opt in ([], ["-O"], ["-OO"])]


def stdlib_skip(rel: str) -> bool:
    """Not the standard library: what pip or Debian installs beside it
    (site-packages, dist-packages) and `make install`'s libainstall part
    (config-X.Y*: the static libpython, Makefile and Setup files for
    embedding and building extensions), which holds no Python code."""
    top = rel.split(os.sep, 1)[0]
    return top in ("site-packages", "dist-packages") or top.startswith("config-") \
        or rel.endswith((".pyc", ".pyo"))


def interpreters() -> list[tuple[str, str]]:
    """(label, interpreter) of every CPython 3.6-3.13 here: Debian's
    python3.11 and every pyenv version."""
    out = []
    if os.path.exists("/usr/bin/python3.11"):
        out.append(("Debian 3.11", "/usr/bin/python3.11"))
    versions = []
    for d in Path.home().glob(".pyenv/versions/3.*"):
        m = re.fullmatch(r"3\.(\d+)\.(\d+)", d.name)
        if m and 6 <= int(m.group(1)) <= 13 and (d / "bin" / f"python3.{m.group(1)}").exists():
            versions.append(((3, int(m.group(1)), int(m.group(2))), d))
    for v, d in sorted(versions):
        out.append((f"pyenv {d.name}", str(d / "bin" / f"python3.{v[1]}")))
    return out


ASK = ("import json, sys, sysconfig; print(json.dumps({'version': sys.version.split()[0], "
       "'ver': list(sys.version_info[:2]), 'stdlib': sysconfig.get_path('stdlib')}))")


def stdlib_sizes(label: str, python: str, work: Path, cache: Path, subset: list[str] | None) -> dict:
    """Case 8's standard-library half for one interpreter (SUBSET: only these
    globs of it, for the smoke run)."""
    info = json.loads(subprocess.run([python, "-I", "-c", ASK], capture_output=True, text=True,
                                     check=True, env=clean_env()).stdout)
    ver = tuple(info["ver"])
    src = Path(info["stdlib"])
    xy = f"{ver[0]}.{ver[1]}"
    key = tree_fingerprint(src, stdlib_skip, ["stdlib", label, info["version"], zstd_version(),
                                              str(PKG_ZSTD_LEVEL), str(METHOD), repr(subset)])
    out_json = cache / "sizes" / f"stdlib-{xy}-{key}.json"
    data = cached(out_json)
    if data:
        log(f"case 8: {label} standard library sizes from {out_json} (measured {data['computed']})")
        data["cached"] = True
        return data
    t0 = time.monotonic()
    stage = work / f"stdlib-{label.replace(' ', '-')}"
    shutil.rmtree(stage, ignore_errors=True)
    lib = stage / LOCALBASE / "lib" / f"python{xy}"
    log(f"case 8: {label}: copying {src} to {lib}, compiling it as make install does")

    def ignore(d, names):
        rel = os.path.relpath(d, src)
        return [n for n in names if n == "__pycache__"
                or stdlib_skip(os.path.normpath(os.path.join(rel, n)))]

    if subset is None:
        shutil.copytree(src, lib, symlinks=True, ignore=ignore)
    else:
        lib.mkdir(parents=True)
        for pattern in subset:
            for p in sorted(src.glob(pattern)):
                dst = lib / p.relative_to(src)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if p.is_dir() and not p.is_symlink():
                    shutil.copytree(p, dst, symlinks=True, ignore=ignore)
                else:
                    shutil.copy2(p, dst, follow_symlinks=False)
    env = dict(clean_env(), PYTHONPATH=str(lib))
    argvs = libinstall_argvs(python, ver, lib, f"/{LOCALBASE}/lib/python{xy}")
    for argv in argvs:
        # make install ignores the exit status ("-PYTHONPATH=..."): test data
        # outside the -x pattern may not compile.
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    members_all, members_src = [], []
    py = pycs = 0
    for dirpath, dirnames, filenames in os.walk(lib):
        dirnames.sort()
        in_cache = os.path.basename(dirpath) == "__pycache__"
        for n in filenames:
            p = Path(dirpath, n)
            arc = f"{LOCALBASE}/lib/python{xy}/{p.relative_to(lib)}"
            members_all.append((arc, p))
            if in_cache:
                pycs += n.endswith(".pyc")
            else:
                members_src.append((arc, p))
                py += n.endswith(".py")
    tmp = work / "size-tmp"
    tmp.mkdir(exist_ok=True)
    name = f"stdlib-{xy}-{key}"
    both = run_parallel([lambda: measure(members_all, tmp, name + ".bytecode"),
                         lambda: measure(members_src, tmp, name + ".sources")], 2)
    data = {"method": METHOD, "key": key, "label": label, "python": python,
            "version": info["version"], "stdlib": str(src), "computed": now(),
            "seconds": time.monotonic() - t0, "subset": subset, "exclude": makefile_exclude(ver),
            "commands": [" ".join(a[1:]).replace(str(lib), "LIB") for a in argvs],
            "py": py, "pycs": pycs, "bytecode": both[0], "sources": both[1],
            "zstd": zstd_version(), "level": PKG_ZSTD_LEVEL}
    store(out_json, data)
    shutil.rmtree(stage, ignore_errors=True)
    data["cached"] = False
    return data
