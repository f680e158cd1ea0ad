#!/usr/bin/env bash
# The pycache benchmark (issue 5): bash bench/run.sh
#
# Installs what it needs (hyperfine, lua5.4, pip for python3.11) with apt-get
# when missing, and pyodide (CPython 3.14, for case 7) with
# tests/py314/install.sh, builds pycache and gen-triggers (release; BENCH_PROFILE=debug
# for a debug build), installs the pinned corpus of bench/corpus.txt into
# bench/.cache/ (reused when present), runs every case and writes
# BENCHMARKS.md (results as JSON in bench/.cache/results.json).
# Takes about 25 minutes on the project's 2-core machines and about 12 GiB
# under bench/.cache/ (deleted again when it ends, see bench.py discard), plus
# cases 8-10 (issue 28; `--cases 8,9,10` runs only them): about 8 minutes, and
# the first time on a machine about 20 more to measure the package sizes, kept
# in bench/.cache/sizes/ (see bench/packages.py). Options are bench/bench.py's
# (--help); bench/smoke.sh runs it on a tiny generated tree.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v lua5.4 >/dev/null || need+=(lua5.4)
[ -x /usr/bin/python3.11 ] || need+=(python3.11)
/usr/bin/python3.11 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
command -v strace >/dev/null || need+=(strace)
command -v zstd >/dev/null || need+=(zstd)                  # case 8: pkg's compression
command -v bsdtar >/dev/null || need+=(libarchive-tools)    # case 9: libarchive, as pkg extracts
[ -x /usr/bin/py3compile ] || need+=(python3-minimal)      # case 10: Debian's py3compile
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    echo "bench: installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

bash tests/py314/install.sh

profile=${BENCH_PROFILE:-release}
target=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$profile" = release ]; then
    CARGO_TARGET_DIR=$target cargo build --quiet --release --bin pycache --bin gen-triggers
else
    CARGO_TARGET_DIR=$target cargo build --quiet --bin pycache --bin gen-triggers
fi
exec /usr/bin/python3.11 bench/bench.py --bin-dir "$target/$profile" --profile-name "$profile" "$@"
