"""Real PyPI distributions for the end-to-end tests, at pinned versions.

Wheels are downloaded once by pip (`pip download --no-deps
--only-binary=:all:`, for the CPython version that will install them) into
a cache under cargo's target directory, and found there on later runs,
which then need no network. A download that fails ends the test with the
command to run and where to put the files.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIP_PYTHON = "/usr/bin/python3.11"


def cache_dir() -> Path:
    target = os.environ.get("CARGO_TARGET_DIR")
    base = Path(target) if target else REPO / "target"
    if not base.is_absolute():
        base = REPO / base
    return base / "e2e-pypi"


def _normal(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427, PEP 503)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_in(directory: Path, pin: str, minor: int) -> Path | None:
    """The cached wheel of `pin` (NAME==VERSION) that CPython 3.`minor`
    installs: a pure one, or one built for cp3`minor`."""
    name, version = pin.split("==")
    for whl in sorted(directory.glob("*.whl")) if directory.is_dir() else []:
        parts = whl.name[:-4].split("-")
        if len(parts) < 5 or _normal(parts[0]) != _normal(name) or parts[1] != version:
            continue
        python_tag, abi = parts[-3], parts[-2]
        if abi == "none" or python_tag == f"cp3{minor}":
            return whl
    return None


class DownloadFailed(Exception):
    """pip could not download a pinned wheel; the message says what to do."""


def wheels(pins: list[str], minor: int) -> list[Path]:
    """The wheels of `pins` for CPython 3.`minor`, downloaded into the
    cache when one is missing."""
    directory = cache_dir() / "wheels"
    missing = [p for p in pins if _wheel_in(directory, p, minor) is None]
    if missing:
        directory.mkdir(parents=True, exist_ok=True)
        base = [PIP_PYTHON, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                "--no-deps", "--only-binary=:all:", "--implementation", "cp",
                "--python-version", f"3.{minor}", "--abi", f"cp3{minor}",
                "--platform", "manylinux2014_x86_64", "--dest", str(directory)]
        detail = []
        # One pin per call: pip resolves one version of a name at a time, so
        # two versions of one distribution (an upgrade's old and new) in one
        # call are "ResolutionImpossible".
        for pin in missing:
            try:
                done = subprocess.run([*base, pin], capture_output=True, text=True, timeout=600)
                if done.returncode:
                    detail += (done.stderr or done.stdout).strip().splitlines()[-1:]
            except (OSError, subprocess.TimeoutExpired) as e:
                detail.append(str(e))
        still = [p for p in pins if _wheel_in(directory, p, minor) is None]
        if still:
            raise DownloadFailed(
                f"the PyPI wheels {', '.join(still)} for CPython 3.{minor} are not in {directory} and "
                f"pip could not download them ({' '.join(detail) or 'no wheel found'}): with network "
                f"access to PyPI run `{' '.join(base)} PIN` for each, or copy those wheels into {directory}")
    return [_wheel_in(directory, p, minor) for p in pins]
