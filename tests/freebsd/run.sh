#!/usr/bin/env bash
# FreeBSD build check: type-checks the crate, its tests and the Lua module
# against FreeBSD's std and libc bindings, for x86_64 and aarch64, with
# warnings and clippy's lints denied; then links pycache, gen-triggers and
# the Lua module as the port builds them (--features lua-module) against
# FreeBSD 14.0's C library, and checks each artifact (check_artifact.py): a
# FreeBSD 14.0 ELF, needing only base libraries, every symbol it takes from
# them one that FreeBSD 14.0 has. Last, a program and a library calling a
# function FreeBSD 14.0 lacks (too-new.c) must fail the link or the check.
#
# rustup's toolchain here has no FreeBSD standard library, so Debian's Rust
# (rustc-web, cargo-web) builds one from its sources (rust-web-src) with
# cargo's -Zbuild-std. The linker is PyPI's ziglang: `zig cc` links against
# stub C libraries it generates from FreeBSD's symbol lists, with FreeBSD's
# real symbol versions (zig-cc wraps it). Nothing is run: this proves the
# code compiles and links for FreeBSD 14.0, not that it behaves right there.
#
# Installs the Debian packages it needs when missing, and ziglang into
# target/freebsd/ziglang. Uses its own target directory, target/freebsd, so
# the normal build is not disturbed; zig's cache is in it too.
#
# Usage: tests/freebsd/run.sh   Last line: "freebsd: N passed, N failed";
# exit 1 on failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

# rustc-web and cargo-web: Rust 1.96 as /usr/bin/rustc and /usr/bin/cargo.
# rust-web-src: std's sources for -Zbuild-std. rust-web-clippy:
# /usr/bin/cargo-clippy and clippy-driver of the same version (rustup's
# clippy cannot read a std built by another rustc). binutils: readelf, which
# check_artifact.py reads the artifacts with. python3.11: check_artifact.py,
# and the pip that installs ziglang.
pkgs=(rustc-web cargo-web rust-web-src rust-web-clippy binutils python3.11)
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

# zig, from PyPI's ziglang wheel, pinned: its FreeBSD symbol lists are what
# the links and check_artifact.py trust. About 410 MB, in the target
# directory; its cache (the C library stubs, compiler-rt and libunwind it
# builds per target) too.
zig_version=0.17.0
zig_start=$SECONDS
zig_home=$PWD/target/freebsd/ziglang
export ZIG=$zig_home/ziglang/zig
if [ "$("$ZIG" version 2>/dev/null)" != "$zig_version" ]; then
    echo "freebsd: installing ziglang $zig_version from PyPI into $zig_home"
    if ! /usr/bin/python3.11 -m pip --version >/dev/null 2>&1; then
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip; } >/dev/null; then
            echo "FAIL: could not install python3-pip (for ziglang): run apt-get install -y python3-pip"
            echo "freebsd: 0 passed, 1 failed"
            exit 1
        fi
    fi
    rm -rf "$zig_home"
    if ! /usr/bin/python3.11 -m pip install --quiet --root-user-action=ignore --no-deps \
        --target "$zig_home" "ziglang==$zig_version" || [ "$("$ZIG" version 2>/dev/null)" != "$zig_version" ]; then
        echo "FAIL: could not install ziglang $zig_version: run /usr/bin/python3.11 -m pip install --no-deps --target $zig_home ziglang==$zig_version"
        echo "freebsd: 0 passed, 1 failed"
        exit 1
    fi
fi
export ZIG_GLOBAL_CACHE_DIR=$PWD/target/freebsd/zig-cache ZIG_LOCAL_CACHE_DIR=$PWD/target/freebsd/zig-cache

# std asks the linker for libkvm, libmemstat, libprocstat and libdevstat
# (base libraries zig has no lists for) and uses none of their functions in
# what pycache calls. Empty libraries satisfy -lkvm...; --as-needed, which
# rustc passes, leaves them out of NEEDED, and a function taken from one
# would fail the link as undefined.
export FREEBSD_STUBS=$PWD/target/freebsd/stubs
bin=$PWD/target/freebsd/bin
mkdir -p "$bin"
for arch in x86_64 aarch64; do
    mkdir -p "$FREEBSD_STUBS/$arch"
    for lib in kvm memstat procstat devstat; do
        [ -f "$FREEBSD_STUBS/$arch/lib$lib.so" ] && continue
        if ! "$ZIG" cc -target "$arch-freebsd.14.0-none" -shared -nostdlib -x c /dev/null \
            -o "$FREEBSD_STUBS/$arch/lib$lib.so"; then
            echo "FAIL: zig could not build an empty lib$lib.so for $arch (its message is above)"
            echo "freebsd: 0 passed, 1 failed"
            exit 1
        fi
    done
    ln -sfn "$PWD/tests/freebsd/zig-cc" "$bin/$arch-unknown-freebsd-cc"
done
# The linker and C compiler for each FreeBSD target (zig-cc). The linker is
# part of cargo's fingerprint of every unit, std's too: set for every step
# alike, the type checks and the builds share one build of std per target.
# No crate compiles C for FreeBSD today (mlua's `module` feature compiles no
# Lua); one that did would get zig, not the host's compiler, and the host's
# ar makes archives of any ELF objects.
export CARGO_TARGET_X86_64_UNKNOWN_FREEBSD_LINKER=$bin/x86_64-unknown-freebsd-cc
export CARGO_TARGET_AARCH64_UNKNOWN_FREEBSD_LINKER=$bin/aarch64-unknown-freebsd-cc
export CC_x86_64_unknown_freebsd=$bin/x86_64-unknown-freebsd-cc
export CC_aarch64_unknown_freebsd=$bin/aarch64-unknown-freebsd-cc
echo "freebsd: zig $zig_version and the empty libraries ready in $((SECONDS - zig_start)) s"

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

# links TARGET: builds what the port builds, with --features lua-module:
# the lib (its cdylib is the Lua module) and both programs, linked by
# zig-cc, linted by clippy as they compile; then checks the three files.
# clippy-driver is rustc with clippy's lints added, and `cargo clippy` runs
# it as the workspace wrapper in check mode; run so in a build, it lints the
# same code (-D warnings comes from RUSTFLAGS) and compiles it too, so the
# dependencies are compiled once, not checked and then compiled.
links() {
    local target=$1 arch=${1%%-*}
    local out=target/freebsd/$target/debug
    # std's process spawning looks up posix_spawn_file_actions_addchdir,
    # which FreeBSD 14.0 lacks, as a weak symbol, and uses the _np one
    # FreeBSD 14.0 has, or none, when it is null
    # (library/std/src/sys/process/unix/unix.rs, get_posix_spawn_addchdir).
    local check=(/usr/bin/python3.11 tests/freebsd/check_artifact.py "$zig_home/ziglang/lib" "$arch"
        --may-lack posix_spawn_file_actions_addchdir)
    RUSTC_WORKSPACE_WRAPPER=/usr/bin/clippy-driver \
        /usr/bin/cargo build "${common[@]}" --target "$target" --features lua-module || return 1
    "${check[@]}" "$out/pycache" "$out/gen-triggers" || return 1
    # The Lua C API is the interpreter's, which loads the module.
    "${check[@]}" --library --host-provides lua_ --host-provides luaL_ \
        --defines luaopen_pycache_core "$out/libpycache.so"
}

# must_fail WHAT TEXT COMMAND...: COMMAND must fail, its output saying TEXT.
must_fail() {
    local what=$1 text=$2 output
    shift 2
    if output=$("$@" 2>&1); then
        printf '%s\n' "$output"
        echo "FAIL: $what: succeeded"
        return 1
    fi
    printf '%s\n' "$output" | sed 's/^/  | /'
    if ! grep -qF -- "$text" <<<"$output"; then
        echo "FAIL: $what: failed without saying \"$text\""
        return 1
    fi
    echo "freebsd: $what: fails, saying \"$text\""
}

# too_new: a function FreeBSD 14.0 lacks (too-new.c calls inotify_init1,
# FreeBSD 15.0's) fails the link of a program; a shared library may leave a
# symbol undefined (the Lua module leaves Lua's), so for one
# check_artifact.py must fail, whether the symbol is left unbound or bound
# to FreeBSD 15.0's version. And a Linux program is no FreeBSD 14.0 ELF.
too_new() {
    local dir=target/freebsd/too-new cc=$bin/x86_64-unknown-freebsd-cc
    local check=(/usr/bin/python3.11 tests/freebsd/check_artifact.py "$zig_home/ziglang/lib" x86_64)
    mkdir -p "$dir" || return 1
    # Compiled as the cc crate calls a clang-like compiler (--target=).
    "$cc" --target=x86_64-unknown-freebsd -O2 -c tests/freebsd/too-new.c -o "$dir/too-new.o" || return 1
    # Linked with the flags of rustc's links that choose which start files
    # and runtime libraries zig links in: zig then reuses what it built for
    # the links, where other flags cost a minute building other variants.
    local as_rustc=(-nodefaultlibs -lc -Wl,--strip-debug)
    must_fail "a program calling inotify_init1, linked for FreeBSD 14.0" "undefined symbol: inotify_init1" \
        "$cc" -pie "${as_rustc[@]}" "$dir/too-new.o" -o "$dir/too-new" || return 1
    "$cc" -shared "${as_rustc[@]}" "$dir/too-new.o" -o "$dir/libtoo-new-14.so" || return 1
    must_fail "a library calling inotify_init1, linked for FreeBSD 14.0" \
        "inotify_init1 is undefined and unversioned" "${check[@]}" --library "$dir/libtoo-new-14.so" || return 1
    "$ZIG" cc -target x86_64-freebsd.15.0-none -shared -nostdlib -lc "$dir/too-new.o" \
        -o "$dir/libtoo-new-15.so" || return 1
    must_fail "a library calling inotify_init1, linked for FreeBSD 15.0" \
        "inotify_init1@FBSD_1.8 from libc.so.7: FreeBSD 14.0's libc.so.7 has no such symbol" \
        "${check[@]}" --library "$dir/libtoo-new-15.so" || return 1
    must_fail "a Linux program ($(command -v readelf))" \
        "no FreeBSD ABI note" "${check[@]}" "$(command -v readelf)"
}

# `cargo clippy` type-checks every unit `cargo check` would and reports the
# same errors and warnings, so a separate `cargo check` would only repeat
# that work. mlua's `module` feature links no Lua (the host program provides
# it): its build script probes nothing, compiles no C and needs no FreeBSD
# Lua headers.
for target in x86_64-unknown-freebsd aarch64-unknown-freebsd; do
    run "cargo clippy --all-targets ($target)" \
        /usr/bin/cargo-clippy clippy "${common[@]}" --target "$target" --all-targets -- -D warnings
    run "cargo build --features lua-module, linted by clippy, linked for FreeBSD 14.0 and checked ($target)" \
        links "$target"
done
run "a function FreeBSD 14.0 lacks fails the link or the check" too_new

echo "freebsd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
