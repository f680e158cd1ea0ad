#!/usr/bin/env bash
# Runs every test of pycache: formatting and lints (of tests/lua-loader too),
# the FreeBSD build check (crate, tests and Lua module type-checked and
# linted for x86_64 and aarch64 FreeBSD, then linked for FreeBSD 14.0 and
# the artifacts checked, tests/freebsd/run.sh), the Rust tests (engine
# against every CPython found and against CPython 3.14 under pyodide,
# gen-triggers snapshots, manual pages against --help, the Lua module
# loaded by a Lua embedded in Rust), mandoc's lint of the manual
# pages, the Lua specs and end-to-end trigger runs (busted on lua5.4, pkg
# emulator), the ports glue (bmake), the daily periodic(8) script under dash
# and a smoke run of the benchmark. Installs what it needs when it is
# missing: the Debian packages below (the FreeBSD check its own: rustc-web,
# cargo-web, rust-web-src, rust-web-clippy, binutils, and ziglang from
# PyPI), and node, npm and pyodide
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

# summary KIND LOG: prints "PASSED FAILED NOT_RUN" from the test summary
# the tool of KIND prints into LOG, or nothing when LOG has none. Only that
# summary counts: a test's own output may say "N passed" too.
#   cargo     each `test result: ok|FAILED. N passed; N failed; N ignored; ...`
#             line (one per test binary, and the doc-tests), summed
#   busted    the last `N successes / N failures / N errors / N pending : T seconds`
#             (errors fail; pending is not run)
#   unittest  the last `Ran N tests in Ts` and the `OK`, `FAILED` or
#             `NO TESTS RAN` line after it, with its counts in parentheses
#             (failures, errors and unexpected successes fail; skipped is not run)
#   script:X  the last `X: N passed, N failed` line, which tests/X/run.sh prints last
summary() {
    local kind=$1 log=$2
    sed 's/\x1b\[[0-9;]*m//g' "$log" | case $kind in
    cargo) awk '
        /^test result: (ok|FAILED)\. [0-9]+ passed; [0-9]+ failed; [0-9]+ ignored; [0-9]+ measured; [0-9]+ filtered out; finished in / {
            found = 1; p += $4; f += $6; s += $8
        }
        END { if (found) print p, f, s }' ;;
    busted) awk '
        /^[0-9]+ success(es)? \/ [0-9]+ failures? \/ [0-9]+ errors? \/ [0-9]+ pending : [0-9.]+ seconds$/ {
            found = 1; p = $1; f = $4 + $7; s = $10
        }
        END { if (found) print p, f, s }' ;;
    unittest) awk '
        /^Ran [0-9]+ tests? in [0-9.]+s$/ { ran = $2; verdict = ""; next }
        ran != "" && verdict == "" && /^(OK|FAILED|NO TESTS RAN)( \(.*\))?$/ { verdict = $0 }
        END {
            if (verdict == "") exit
            f = 0; s = 0
            if (match(verdict, /\(.*\)$/)) {
                n = split(substr(verdict, RSTART + 1, RLENGTH - 2), counts, ", ")
                for (i = 1; i <= n; i++) {
                    split(counts[i], kv, "=")
                    if (kv[1] == "failures" || kv[1] == "errors" || kv[1] == "unexpected successes") f += kv[2]
                    else if (kv[1] == "skipped") s += kv[2]
                }
            }
            print ran - f - s, f, s
        }' ;;
    script:*) awk -v name="${kind#script:}" '
        $0 ~ ("^" name ": [0-9]+ passed, [0-9]+ failed$") { found = 1; p = $2; f = $4 }
        END { if (found) print p, f, 0 }' ;;
    *) echo "run.sh: unknown summary kind $kind" >&2 ;;
    esac
}

counted() { # NAME KIND COMMAND...: runs a step that prints a test summary of format KIND (see summary)
    local name=$1 kind=$2
    shift 2
    echo ">=> $name"
    "$@" 2>&1 | tee "$log"
    local status=${PIPESTATUS[0]}
    local p='' f='' s=''
    read -r p f s < <(summary "$kind" "$log") || true
    if [ -z "$p" ]; then
        echo "FAILED: $name (exit $status; its output has no $kind test summary)"
        failed=$((failed + 1))
        return
    fi
    echo ">=> $name (counted from its $kind summary: passed $p, failed $f, not run $s)"
    passed=$((passed + p))
    failed=$((failed + f))
    if [ $((p + f)) -eq 0 ]; then
        echo "FAILED: $name (no test ran)"
        failed=$((failed + 1))
    elif [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "FAILED: $name (exit $status)"
        failed=$((failed + 1))
    fi
}

step "cargo fmt --check" cargo fmt --check
step "cargo clippy" cargo clippy --all-targets -- -D warnings
step "cargo clippy (lua-module)" cargo clippy --lib --features lua-module -- -D warnings
# The Lua host tests/lua_module.rs builds (its own crate: pycache links no Lua).
step "cargo fmt --check (tests/lua-loader)" cargo fmt --check --manifest-path tests/lua-loader/Cargo.toml
step "cargo clippy (tests/lua-loader)" cargo clippy --manifest-path tests/lua-loader/Cargo.toml \
    --all-targets --locked --target-dir "${CARGO_TARGET_DIR:-target}/tmp/lua-loader" -- -D warnings
# Type-checks for FreeBSD, links with zig against FreeBSD 14.0's symbol
# lists and checks the artifacts; nothing is run there (see
# docs/portability.md).
counted "FreeBSD build check (x86_64, aarch64)" script:freebsd bash tests/freebsd/run.sh
# --no-fail-fast: every test binary runs and is counted, not only those
# before the first failure.
counted "cargo test" cargo cargo test --no-fail-fast
# The README quick start is `cargo run --release -- update`: cargo run must
# pick the program among the crate's binaries.
step "quick start: cargo run runs pycache" cargo run -q -- --version
# -Wwarning: STYLE notes (a referenced page not installed here) are not errors.
step "manual pages (mandoc -Tlint)" mandoc -Tlint -Wwarning man/*.[0-9]
counted "lua specs (busted on lua5.4)" busted bash tests/lua/run.sh
counted "end-to-end trigger runs (pkg emulator)" unittest bash tests/e2e/run.sh
counted "ports glue (bmake)" script:mk bash tests/mk/run.sh
counted "daily periodic script (dash)" script:periodic sh tests/periodic/run.sh
if [ -f bench/smoke.sh ]; then
    step "benchmark smoke run" bash bench/smoke.sh
fi

echo "total: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
