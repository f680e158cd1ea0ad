#!/usr/bin/env bash
# Side by side: is pycache itself faster or slower at REV than at others?
#
#   bash bench/compare.sh [REV...]          (default: HEAD~1 HEAD)
#
# Builds `pycache` (release) at each REV, a commit of THIS repository, in a
# temporary detached git worktree (removed again; nothing is committed, no
# other project is built), then runs bench/compare.py: every case runs every
# binary once per round on the same compiled copy of the benchmark corpus
# (bench/corpus.txt, installed into bench/.cache by bench.py if missing), the
# order reversed each round, and prints median, min, user, sys and the ratio
# to the first REV. The cases are `pycache` run directly, no emulator:
# check/update (case 1, no-op), delete (case 5), install (case 3), datafile
# (case 4); see bench/compare.py.
#
# Knobs (environment):
#   COMPARE_RUNS=7        rounds per case (one warm-up round more, dropped)
#   COMPARE_CASES=check,update,delete,install,datafile
#   COMPARE_CALLGRIND=1   also count instructions (valgrind --tool=callgrind,
#                         one run per binary and case; minutes, not seconds)
#   COMPARE_STRACE=1      also count system calls (strace -f -c, one run each)
#   COMPARE_BINS=DIR      where built binaries are kept, one per commit
#                         (default bench/.cache/compare-bins; a commit already
#                         built there is not built again)
#   COMPARE_WORK=DIR      the trees (default bench/.cache/compare-work, kept
#                         between runs: delete it after changing the corpus)
#   CARGO_TARGET_DIR      the build directory shared by the revisions
#                         (default bench/.cache/compare-target)
#   COMPARE_SYNTHETIC=1   a tiny generated tree instead of the corpus (smoke)
# Needs hyperfine (and valgrind, strace for their knobs); python3.11 with pip.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

[ $# -gt 0 ] || set -- HEAD~1 HEAD
bins=${COMPARE_BINS:-$repo/bench/.cache/compare-bins}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/bench/.cache/compare-target}
mkdir -p "$bins"

args=()
for rev in "$@"; do
    sha=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") ||
        { echo "compare: $rev is not a commit of this repository" >&2; exit 2; }
    short=$(git -C "$repo" rev-parse --short "$sha")
    bin=$bins/pycache-$sha
    if [ ! -x "$bin" ]; then
        tree=$(mktemp -d "${TMPDIR:-/tmp}/pycache-compare-$short.XXXXXX")
        echo "compare: building $rev ($short)" >&2
        git -C "$repo" worktree add --quiet --detach "$tree/src" "$sha"
        # The build directory is shared, and cargo judges freshness by
        # mtimes, not by path: without the clean, a revision checked out
        # before the last build finished would get the last one's binary.
        # --locked: the revision's own Cargo.lock, nothing resolved anew.
        if ! (cd "$tree/src" && cargo clean --quiet --release -p pycache &&
            cargo build --quiet --locked --release --bin pycache); then
            git -C "$repo" worktree remove --force "$tree/src"; rm -rf "$tree"
            echo "compare: $rev does not build" >&2; exit 1
        fi
        cp "$CARGO_TARGET_DIR/release/pycache" "$bin.partial" && mv "$bin.partial" "$bin"
        git -C "$repo" worktree remove --force "$tree/src"
        rm -rf "$tree"
    fi
    args+=("$short=$bin")
done

opts=(--runs "${COMPARE_RUNS:-7}" --cases "${COMPARE_CASES:-check,update,delete,install,datafile}")
[ "${COMPARE_CALLGRIND:-}" = 1 ] && opts+=(--callgrind)
[ "${COMPARE_STRACE:-}" = 1 ] && opts+=(--strace)
[ "${COMPARE_SYNTHETIC:-}" = 1 ] && opts+=(--synthetic)
[ -n "${COMPARE_WORK:-}" ] && opts+=(--work "$COMPARE_WORK")
exec /usr/bin/python3.11 bench/compare.py "${opts[@]}" "${args[@]}"
