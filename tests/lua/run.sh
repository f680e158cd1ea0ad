#!/bin/sh
# Lua specs: busted on lua5.4 against the built pycache/core.so, the built
# pycache program and lua/pycache.lua. Installs missing Debian packages,
# builds what it needs, runs every *_spec.lua here and prints last
# "lua: N passed, N failed" (exit status non-zero on any failure).
set -eu
cd "$(dirname "$0")/../.."
missing=
command -v lua5.4 >/dev/null 2>&1 || missing="$missing lua5.4"
command -v busted >/dev/null 2>&1 || missing="$missing lua-busted"
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -qq $missing >/dev/null
	else
		echo "lua: missing:$missing (apt-get install -y lua5.4 lua-busted)" >&2
		echo "lua: 0 passed, 1 failed"
		exit 1
	fi
fi
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target="$PWD/$target" ;; esac
cargo build --release --quiet --bin pycache
cargo build --release --quiet --lib --features lua-module
cpath=$(mktemp -d)
out=$(mktemp)
trap 'rm -rf "$cpath" "$out"' EXIT
mkdir "$cpath/pycache"
cp "$target/release/libpycache.so" "$cpath/pycache/core.so"
export PYCACHE_CPATH="$cpath" PYCACHE_PROGRAM="$target/release/pycache"
unset PYCACHE_LUA_BACKEND
status=0
busted --lua=lua5.4 --output=utfTerminal -p _spec tests/lua >"$out" 2>&1 || status=$?
cat "$out"
summary=$(grep -aE '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' "$out" | tail -1)
passed=$(echo "$summary" | sed -E 's/^.*\b([0-9]+) successes?.*$/\1/')
failed=$(echo "$summary" | sed -E 's/^.* ([0-9]+) failures? \/ ([0-9]+) errors?.*$/\1 \2/' | awk '{print $1 + $2}')
if [ -z "$summary" ]; then passed=0; failed=1; fi
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1
echo "lua: $passed passed, $failed failed"
exit $status
