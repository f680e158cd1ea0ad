#!/usr/bin/env python3
"""The crates of the pycache port: Makefile.crates and distinfo from Cargo.lock.

What the ports framework's `make cargo-crates > Makefile.crates` and
`make makesum` would write, made on any machine without a ports tree:

    Mk/cargo-crates.py generate   writes PORT/Makefile.crates (CARGO_CRATES:
                                  every registry package of Cargo.lock, in its
                                  order) and PORT/distinfo (each crate's
                                  SHA256, from Cargo.lock, and SIZE, from the
                                  .crate file); the distinfo lines of other
                                  files (the release tarball) are kept
    Mk/cargo-crates.py check      compares both files with Cargo.lock; exits 1
                                  naming each difference, 0 when they agree

Sizes come from cargo's download cache (~/.cargo/registry/cache, or
$CARGO_HOME), which `generate` fills first with `cargo fetch --locked`, else
from crates.io; a file is used only when its SHA-256 is Cargo.lock's
checksum. `check` needs no network:
names, versions and checksums are compared with Cargo.lock, and a size is
compared with the cached crate when there is one (the count of those is
printed).

Options: --lock FILE (default: Cargo.lock beside Mk/), --port DIR (default:
Mk/examples/lang/python-pycache), --timestamp N (distinfo's TIMESTAMP;
default: SOURCE_DATE_EPOCH, else now).

The one step left for a release is the line of the release tarball itself
(DISTFILES of USE_GITHUB): `make makesum` in the port adds it, or this
script keeps it once it is there.
"""

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

REGISTRY = "registry+https://github.com/rust-lang/crates.io-index"
DIST_SUBDIR = "rust/crates"
DOWNLOAD = "https://crates.io/api/v1/crates/{name}/{version}/download"
ROOT = Path(__file__).resolve().parent.parent


class Problem(Exception):
    """Something that keeps the files from being made or checked."""


def crates(lock_path):
    """(name, version, sha256) of every crates.io package, in Cargo.lock's order."""
    try:
        lock = tomllib.loads(lock_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise Problem(f"{lock_path}: cannot read it: {e}") from e
    found = []
    for package in lock.get("package", []):
        source = package.get("source")
        if source is None:
            continue  # the workspace's own crates
        if source != REGISTRY:
            raise Problem(
                f"{lock_path}: {package['name']} {package['version']} comes from "
                f"{source}; only crates.io crates can be listed in CARGO_CRATES"
            )
        if "checksum" not in package:
            raise Problem(f"{lock_path}: {package['name']} {package['version']} has no checksum")
        found.append((package["name"], package["version"], package["checksum"]))
    return found


def distfile(name, version):
    return f"{DIST_SUBDIR}/{name}-{version}.crate"


def makefile_crates(found):
    """Makefile.crates as cargo-crates writes it: one crate a line."""
    names = [f"{name}-{version}" for name, version, _ in found]
    if not names:
        return "CARGO_CRATES=\n"
    lines = [f"CARGO_CRATES=\t{names[0]}"] + [f"\t\t{n}" for n in names[1:]]
    return " \\\n".join(lines) + "\n"


def cache_dirs():
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    cache = home / "registry" / "cache"
    return sorted(p for p in cache.glob("*") if p.is_dir()) if cache.is_dir() else []


def cached_crate(name, version, sha256):
    """The bytes of the crate from cargo's cache, when a copy has the right checksum."""
    for d in cache_dirs():
        path = d / f"{name}-{version}.crate"
        if path.is_file():
            data = path.read_bytes()
            if hashlib.sha256(data).hexdigest() == sha256:
                return data
    return None


def crate_bytes(name, version, sha256):
    data = cached_crate(name, version, sha256)
    if data is not None:
        return data
    url = DOWNLOAD.format(name=name, version=version)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except OSError as e:
        raise Problem(f"{name} {version}: not in cargo's cache and cannot be fetched from {url}: {e}") from e
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise Problem(f"{name} {version}: {url} gave SHA-256 {got}, Cargo.lock says {sha256}")
    return data


DISTINFO_LINE = re.compile(r"^(SHA256|SIZE) \((.+)\) = (\S+)$")


def read_distinfo(path):
    """{file: {"SHA256": ..., "SIZE": ...}} and the order files appear in."""
    entries, order = {}, []
    if not path.exists():
        return entries, order
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("TIMESTAMP = ") or not line:
            continue
        m = DISTINFO_LINE.match(line)
        if not m:
            raise Problem(f"{path}:{number}: not a distinfo line: {line!r}")
        kind, name, value = m.groups()
        if name not in entries:
            entries[name] = {}
            order.append(name)
        entries[name][kind] = value
    return entries, order


def fetch(lock_path):
    """Let cargo download every crate of Cargo.lock into its cache, as a build would."""
    if shutil.which("cargo") is None:
        return
    manifest = lock_path.parent / "Cargo.toml"
    done = subprocess.run(["cargo", "fetch", "--locked", "--quiet", "--manifest-path", str(manifest)], check=False)
    if done.returncode != 0:
        raise Problem(f"cargo fetch --locked --manifest-path {manifest} failed (exit {done.returncode})")


def generate(lock_path, port, timestamp):
    found = crates(lock_path)
    fetch(lock_path)
    old, order = read_distinfo(port / "distinfo")
    lines = [f"TIMESTAMP = {timestamp}"]
    for name, version, sha256 in found:
        size = len(crate_bytes(name, version, sha256))
        lines += [f"SHA256 ({distfile(name, version)}) = {sha256}", f"SIZE ({distfile(name, version)}) = {size}"]
    for other in order:
        if other.startswith(DIST_SUBDIR + "/"):
            continue
        for kind in ("SHA256", "SIZE"):
            if kind in old[other]:
                lines.append(f"{kind} ({other}) = {old[other][kind]}")
    (port / "Makefile.crates").write_text(makefile_crates(found), encoding="utf-8")
    (port / "distinfo").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{port}: {len(found)} crates from {lock_path}")


def check(lock_path, port):
    found = crates(lock_path)
    problems = []
    makefile = port / "Makefile.crates"
    try:
        text = makefile.read_text(encoding="utf-8")
    except OSError as e:
        raise Problem(f"{makefile}: cannot read it: {e}") from e
    if text != makefile_crates(found):
        listed = re.sub(r"^CARGO_CRATES=|\\", " ", text).split()
        wanted = [f"{n}-{v}" for n, v, _ in found]
        extra = sorted(set(listed) - set(wanted))
        missing = sorted(set(wanted) - set(listed))
        problems.append(
            f"{makefile}: not what Cargo.lock gives"
            + (f"; missing {' '.join(missing)}" if missing else "")
            + (f"; not in Cargo.lock {' '.join(extra)}" if extra else "")
            + ("; same crates, other order or layout" if not extra and not missing else "")
        )
    entries, _ = read_distinfo(port / "distinfo")
    if not (port / "distinfo").exists():
        problems.append(f"{port / 'distinfo'}: missing")
    wanted_files = {distfile(n, v) for n, v, _ in found}
    for f in sorted(set(e for e in entries if e.startswith(DIST_SUBDIR + "/")) - wanted_files):
        problems.append(f"distinfo: {f} is not in Cargo.lock")
    verified = 0
    for name, version, sha256 in found:
        f = distfile(name, version)
        entry = entries.get(f)
        if entry is None:
            problems.append(f"distinfo: no line for {f}")
            continue
        if entry.get("SHA256") != sha256:
            problems.append(f"distinfo: SHA256 of {f} is {entry.get('SHA256')}, Cargo.lock says {sha256}")
        size = entry.get("SIZE")
        if size is None or not size.isdigit():
            problems.append(f"distinfo: no SIZE for {f}")
            continue
        data = cached_crate(name, version, sha256)
        if data is not None:
            verified += 1
            if len(data) != int(size):
                problems.append(f"distinfo: SIZE of {f} is {size}, the crate has {len(data)} bytes")
    for problem in problems:
        print(f"cargo-crates: {problem}", file=sys.stderr)
    if problems:
        print(f"cargo-crates: run {Path(__file__).name} generate to rewrite them", file=sys.stderr)
        return 1
    print(f"{port}: {len(found)} crates agree with {lock_path} ({verified} sizes checked against cargo's cache)")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "check"])
    parser.add_argument("--lock", type=Path, default=ROOT / "Cargo.lock")
    parser.add_argument("--port", type=Path, default=ROOT / "Mk/examples/lang/python-pycache")
    parser.add_argument("--timestamp", type=int, default=int(os.environ.get("SOURCE_DATE_EPOCH", time.time())))
    args = parser.parse_args()
    try:
        if args.command == "generate":
            generate(args.lock, args.port, args.timestamp)
            return 0
        return check(args.lock, args.port)
    except Problem as e:
        print(f"cargo-crates: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
