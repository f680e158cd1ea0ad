#!/usr/bin/python3.11
"""Side-by-side comparison of pycache binaries on the benchmark corpus.
Run it through bench/compare.sh, which builds the revisions; see there for
every knob.

  compare.py [--runs N] [--cases LIST] [--callgrind] [--strace] [--synthetic]
             [--cache DIR] [--work DIR] LABEL=PYCACHE...

Every case runs each binary once per round, the order reversed every round
(bench.py's `compare`, one `hyperfine -N --runs 1` call a round), on the same
tree, restored by hyperfine's --prepare where the case changes it. Prints
median, min, user and sys per binary and the ratio of its median to the
first binary's; --callgrind adds instructions executed (the pycache process
and its threads, not the interpreters it starts), --strace system calls
(`strace -f -c`: total and the most frequent).

Cases (all run `pycache` directly, no trigger emulator):
  check    no-op `pycache check` of the whole compiled site-packages (case 1)
  update   no-op `pycache update` of the whole compiled site-packages (case 1)
  delete   `pycache update --dirs-from` the 1,351 directories pkg touches
           when it deletes `django` (case 5; tree restored before each run)
  install  `pycache update DIRS` after installing `requests` (case 3; compiles
           18 sources, so it includes starting one interpreter)
  datafile `pycache update DIR` after installing one data file (case 4)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  (the corpus, trees and timing of the benchmark)
from bench import FLAVOR, log, prep_argv, run  # noqa: E402

CASES = ("check", "update", "delete", "install", "datafile")


def layout(cfg: dict, pycache: Path, work: Path) -> tuple[Path, Path, Path]:
    """The compiled 1x tree WORK/lb/..., and a compiled copy to restore from
    (WORK/compiled); reused while WORK/.compiled exists."""
    lb = work / "lb"
    site = bench.make_localbase(lb)
    stash = work / "compiled"
    marker = work / ".compiled"
    if marker.exists() and site.is_dir() and stash.is_dir():
        return lb, site, stash
    log(f"laying out and compiling {site}")
    if bench.pyc_snapshot(cfg["site"]):
        bench.remove_bytecode(cfg["site"])
    bench.copy_tree(cfg["site"], site, work)
    rep = bench.pycache_json([pycache, "update", "--flavor", FLAVOR, "--prefix", lb, "-q"])
    if rep.get("exit_code") not in (0, 1):
        raise SystemExit(f"compare: compiling the corpus failed: {rep.get('lines')}")
    bench.copy_tree(site, stash, work)
    marker.write_text("ok\n")
    return lb, site, stash


def case_setup(case: str, cfg: dict, lb: Path, site: Path, stash: Path, work: Path):
    """(extra pycache arguments, hyperfine --prepare argv or None, cleanup argv or None)."""
    base = ["update", "--flavor", FLAVOR, "--prefix", lb, "-q"]
    if case == "check":
        return ["check", *base[1:]], None, None
    if case == "update":
        return base, None, None
    if case == "delete":
        top = cfg["delete_top"]
        names = [top] + sorted(p.name for p in stash.glob(f"{top}-*.dist-info"))
        files = [site / f.relative_to(stash) for n in names
                 for f in bench.package_files(stash / n)]
        manifest = work / "delete-manifest.txt"
        manifest.write_text("".join(f"{f}\n" for f in files))
        dirs = work / "delete-dirs"
        dirs.write_bytes(b"".join(os.fsencode(d) + b"\0"
                                  for d in sorted({str(f.parent) for f in files})))
        prepare = prep_argv(["restore", stash, site, *names], ["delete-files", manifest, site])
        return [*base, "--dirs-from", dirs], prepare, prep_argv(["restore", stash, site, *names])
    if case == "install":
        small = cfg["small"]
        tops = sorted(p.name for p in small.iterdir())
        files = [site / f.relative_to(small) for f in bench.package_files(small)]
        prepare = prep_argv(["remove", *[site / n for n in tops]], ["restore", small, site, *tops])
        return ([*base, *sorted({str(f.parent) for f in files})], prepare,
                prep_argv(["remove", *[site / n for n in tops]]))
    if case == "datafile":
        data = site / "benchdata" / "data.txt"
        prepare = prep_argv(["remove", data.parent], ["datafile", data])
        return [*base, data.parent], prepare, prep_argv(["remove", data.parent])
    raise SystemExit(f"compare: unknown case {case} (one of {', '.join(CASES)})")


def instructions(argv: list, prepare: list | None) -> int | None:
    if prepare:
        run(prepare)
    with tempfile.TemporaryDirectory(prefix="compare-cg-") as tmp:
        out = Path(tmp) / "cg.out"
        run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        m = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), re.M) if out.exists() else None
    return int(m.group(1)) if m else None


def syscalls(argv: list, prepare: list | None, top: int = 5) -> tuple[int, str]:
    if prepare:
        run(prepare)
    with tempfile.NamedTemporaryFile(prefix="compare-strace-", suffix=".txt") as tmp:
        run(["strace", "-f", "-c", "-o", tmp.name, *argv], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, check=False)
        rows = []
        total = 0
        for line in Path(tmp.name).read_text().splitlines():
            f = line.split()
            if len(f) >= 5 and f[-1] == "total":
                total = int(f[3])
            elif len(f) >= 5 and re.match(r"[\d.]+$", f[0]) and f[3].isdigit():
                rows.append((int(f[3]), f[-1]))
    rows.sort(reverse=True)
    return total, " ".join(f"{name} {n}" for n, name in rows[:top])


def main() -> None:
    ap = argparse.ArgumentParser(description="compare pycache binaries; see bench/compare.sh")
    ap.add_argument("bins", nargs="+", help="LABEL=PATH of a pycache binary; the first is the base")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cases", default="check,update,delete,install,datafile")
    ap.add_argument("--callgrind", action="store_true")
    ap.add_argument("--strace", action="store_true")
    ap.add_argument("--synthetic", action="store_true", help="tiny generated tree (smoke run)")
    ap.add_argument("--cache", type=Path, default=bench.BENCH / ".cache")
    ap.add_argument("--work", type=Path, help="trees (default: CACHE/compare-work, kept)")
    args = ap.parse_args()
    bins = {}
    for b in args.bins:
        label, _, path = b.partition("=")
        if not path or not os.access(path, os.X_OK):
            sys.exit(f"compare: {b}: not LABEL=PATH of an executable")
        bins[label] = Path(path).resolve()
    cache = args.cache.resolve()
    work = (args.work or cache / "compare-work").resolve()
    work.mkdir(parents=True, exist_ok=True)
    cfg = (bench.synthetic_corpus(cache) if args.synthetic
           else bench.real_corpus(bench.BENCH / "corpus.txt", cache))
    lb, site, stash = layout(cfg, list(bins.values())[-1], work)
    bench.purge(work)
    labels = list(bins)
    width = max(len(label) for label in labels)
    lines = [f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {args.runs} rounds"]
    for case in args.cases.split(","):
        extra, prepare, cleanup = case_setup(case, cfg, lb, site, stash, work)
        cmds = {label: [path, *extra] for label, path in bins.items()}
        log(f"case {case}")
        if prepare:
            run(prepare)
        t = bench.compare(cmds, runs=args.runs, warmup=1, prepare=prepare)
        base = t[labels[0]].median
        lines.append(f"\n{case}: {' '.join(map(str, extra[:1]))} ...")
        lines.append(f"  {'':{width}}  {'median':>9} {'min':>9} {'user':>8} {'sys':>8} {'ratio':>6}"
                     + ("  instructions" if args.callgrind else "")
                     + ("  syscalls (most frequent)" if args.strace else ""))
        for label in labels:
            d = t[label].as_dict()
            row = (f"  {label:{width}}  {d['median'] * 1e3:7.1f}ms {d['min'] * 1e3:7.1f}ms "
                   f"{d['user_median'] * 1e3:6.0f}ms {d['sys_median'] * 1e3:6.0f}ms "
                   f"{d['median'] / base:6.2f}")
            if args.callgrind:
                n = instructions(cmds[label], prepare)
                row += f"  {n:>12,}" if n is not None else "  (no count)"
            if args.strace:
                total, most = syscalls(cmds[label], prepare)
                row += f"  {total:>7,} ({most})"
            lines.append(row)
        if cleanup:
            run(cleanup)
        elif prepare:
            run(prepare)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
