#!/usr/bin/env bash
# CI smoke run of the benchmark: the whole driver (bench/run.sh) on a tiny
# generated tree, one run per case, debug build; checks that it wrote a
# well-formed report. Never touches BENCHMARKS.md or bench/.cache/.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pycache-bench-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
before=$(sha256sum BENCHMARKS.md 2>/dev/null || echo absent)

BENCH_PROFILE=${BENCH_PROFILE:-debug} bash bench/run.sh --synthetic \
    --cache "$tmp/cache" --out "$tmp/BENCHMARKS.md" --json-out "$tmp/results.json" \
    --runs 1 --cold-runs 1 --trigger-runs 1 --scale-runs 1 --scales 1,2 \
    --install-runs 1 --py3compile-runs 1
/usr/bin/python3.11 bench/bench.py _validate "$tmp/BENCHMARKS.md" "$tmp/results.json" --smoke

after=$(sha256sum BENCHMARKS.md 2>/dev/null || echo absent)
if [ "$before" != "$after" ]; then
    echo "bench/smoke.sh: BENCHMARKS.md was changed by the smoke run" >&2
    exit 1
fi
echo "bench/smoke.sh: ok (smoke run: the benchmark driver works; no figure or target was judged)"
