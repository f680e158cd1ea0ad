#!/usr/bin/env bash
# Runs every test of pycache: formatting and lints, the FreeBSD build check
# (crate, tests and Lua module type-checked and linted for x86_64 and
# aarch64 FreeBSD, tests/freebsd/run.sh), the Rust tests (engine against
# every CPython found and against CPython 3.14 under pyodide, gen-triggers
# snapshots, manual pages against --help), mandoc's lint of the manual
# pages, the Lua specs and end-to-end trigger runs (busted on lua5.4, pkg
# emulator), the ports glue (bmake), the daily periodic(8) script under dash
# and a smoke run of the benchmark. Installs what it needs when it is
# missing: the Debian packages below (the FreeBSD check its own: rustc-web,
# cargo-web, rust-web-src, rust-web-clippy), and node, npm and pyodide
# (CPython 3.14 compiled to WebAssembly, the version pinned in
# tests/py314/package.json) by tests/py314/install.sh. Ends with one line:
# `total: N passed, N failed`.
set -uo pipefail
cd "$(dirname "$0")/.."

need=()
command -v lua5.4 >/dev/null || need+=(lua5.4)
command -v luac5.4 >/dev/null || need+=(lua5.4)
command -v busted >/dev/null || need+=(lua-busted)
command -v bmake >/dev/null || need+=(bmake)
command -v hyperfine >/dev/null || need+=(hyperfine)
command -v setpriv >/dev/null || need+=(util-linux)
command -v mandoc >/dev/null || need+=(mandoc)
command -v dash >/dev/null || need+=(dash)
command -v setfacl >/dev/null || need+=(acl)
[ -x /usr/bin/python3.11 ] || need+=(python3.11)
if [ ${#need[@]} -gt 0 ]; then
    echo ">=> installing ${need[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null \
        || { echo "run.sh: could not install ${need[*]} (apt-get install -y ${need[*]})" >&2; exit 1; }
fi

bash tests/py314/install.sh || exit 1

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() { # NAME COMMAND...: runs a step that passes or fails as a whole
    local name=$1
    shift
    echo ">=> $name"
    if "$@"; then passed=$((passed + 1)); else echo "FAILED: $name"; failed=$((failed + 1)); fi
}

counted() { # NAME COMMAND...: runs a step whose output has 'N passed, N failed' lines
    local name=$1
    shift
    echo ">=> $name"
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local p f
    p=$(grep -Eo '([0-9]+) passed' "$log" | awk '{s += $1} END {print s + 0}')
    f=$(grep -Eo '([0-9]+) failed' "$log" | awk '{s += $1} END {print s + 0}')
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAILED: $name (exit $status)"
        failed=$((failed + 1))
    fi
}

step "cargo fmt --check" cargo fmt --check
step "cargo clippy" cargo clippy --all-targets -- -D warnings
step "cargo clippy (lua-module)" cargo clippy --lib --features lua-module -- -D warnings
# Type-checks only: nothing is linked or run for FreeBSD (see README,
# Portability).
counted "FreeBSD build check (x86_64, aarch64)" bash tests/freebsd/run.sh
counted "cargo test" cargo test
# The README quick start is `cargo run --release -- update`: cargo run must
# pick the program among the crate's binaries.
step "quick start: cargo run runs pycache" cargo run -q -- --version
# -Wwarning: STYLE notes (a referenced page not installed here) are not errors.
step "manual pages (mandoc -Tlint)" mandoc -Tlint -Wwarning man/*.[0-9]
counted "lua specs (busted on lua5.4)" bash tests/lua/run.sh
counted "end-to-end trigger runs (pkg emulator)" bash tests/e2e/run.sh
counted "ports glue (bmake)" bash tests/mk/run.sh
counted "daily periodic script (dash)" sh tests/periodic/run.sh
if [ -f bench/smoke.sh ]; then
    step "benchmark smoke run" bash bench/smoke.sh
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
