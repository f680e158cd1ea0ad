#!/usr/bin/env bash
# FreeBSD build check: type-checks the crate, its tests and the Lua module
# against FreeBSD's std and libc bindings, for x86_64 and aarch64, with
# warnings and clippy's lints denied. rustup's toolchain here has no FreeBSD
# standard library, so Debian's Rust (rustc-web, cargo-web) builds one from
# its sources (rust-web-src) with cargo's -Zbuild-std. Nothing is linked
# (there is no FreeBSD system root here) and nothing is run: this proves the
# code compiles for FreeBSD, not that it behaves right there.
#
# Installs the Debian packages it needs when missing. Uses its own target
# directory, target/freebsd, so the normal build is not disturbed.
#
# Usage: tests/freebsd/run.sh   Last line: "freebsd: N passed, N failed";
# exit 1 on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

# rustc-web and cargo-web: Rust 1.96 as /usr/bin/rustc and /usr/bin/cargo.
# rust-web-src: std's sources for -Zbuild-std. rust-web-clippy:
# /usr/bin/cargo-clippy and clippy-driver of the same version (rustup's
# clippy cannot read a std built by another rustc).
pkgs=(rustc-web cargo-web rust-web-src rust-web-clippy)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
missing=()
for p in "${pkgs[@]}"; do
    installed "$p" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "freebsd: installing ${missing[*]}"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null; then
        echo "FAIL: could not install ${missing[*]}: run apt-get install -y ${missing[*]}"
        echo "freebsd: 0 passed, 1 failed"
        exit 1
    fi
fi
# -Zbuild-std compiles the sources of rust-web-src with /usr/bin/rustc, and
# clippy-driver reads what that rustc built: packages of different versions
# fail with errors that do not say so.
version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }
for p in rust-web-src rust-web-clippy; do
    if [ "$(version "$p")" != "$(version rustc-web)" ]; then
        echo "FAIL: $p $(version "$p") differs from rustc-web $(version rustc-web): run apt-get install -y ${pkgs[*]}"
        echo "freebsd: 0 passed, 1 failed"
        exit 1
    fi
done

# Debian's toolchain throughout, whatever rustup puts first on PATH: cargo
# runs $RUSTC, and cargo-clippy runs $CARGO (default: `cargo` on PATH, the
# rustup one here) with its sibling clippy-driver as the workspace wrapper.
export RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo
# -Zbuild-std is unstable; Debian's compiler is a stable release.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=target/freebsd
# With --target, RUSTFLAGS reach the crates built for FreeBSD only (std, the
# dependencies, pycache), not build scripts or proc-macros. Dependencies and
# std are built with --cap-lints allow, so it is pycache's warnings that fail
# the check.
export RUSTFLAGS=-Dwarnings
# Nothing built here is run or debugged: no debug info, which saves about a
# tenth of the time of building std.
export CARGO_PROFILE_DEV_DEBUG=false
unset CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER
# std,panic_abort: the crates cargo's build-std documentation names (cargo
# adds `test` itself for the test targets). --locked: the lock file is the
# one the normal build uses; a newer cargo must not rewrite it.
common=(--quiet --locked -Zbuild-std=std,panic_abort)

passed=0
failed=0
run() { # NAME COMMAND...
    local name=$1
    shift
    local start=$SECONDS
    echo "freebsd: $name"
    if "$@"; then
        echo "freebsd: ok in $((SECONDS - start)) s"
        passed=$((passed + 1))
    else
        echo "FAIL: $name"
        failed=$((failed + 1))
    fi
}

# clippy-driver is rustc with clippy's lints added: `cargo clippy` type-checks
# every unit `cargo check` would and reports the same errors and warnings,
# so a separate `cargo check` would only repeat that work. mlua's `module`
# feature links no Lua (the host program provides it): its build script
# probes nothing and needs no FreeBSD Lua headers.
for target in x86_64-unknown-freebsd aarch64-unknown-freebsd; do
    run "cargo clippy --all-targets ($target)" \
        /usr/bin/cargo-clippy clippy "${common[@]}" --target "$target" --all-targets -- -D warnings
    run "cargo clippy --lib --features lua-module ($target)" \
        /usr/bin/cargo-clippy clippy "${common[@]}" --target "$target" --lib --features lua-module -- -D warnings
done

echo "freebsd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
