#!/bin/sh
# Runs the daily periodic(8) script of the example port
# (Mk/examples/lang/python-pycache/files/411.pycache.in) under Debian's dash,
# as periodic runs it: configuration read from periodic.conf through
# /etc/defaults/periodic.conf's source_periodic_confs, stdin from /dev/null,
# stdout and stderr together, periodic's PATH.  The script is rendered as
# the port renders it (SUB_LIST), with /etc/defaults/periodic.conf replaced
# by a stand-in in a temporary directory, PREFIX by a directory holding the
# built pycache and LOCALBASE by a prefix of real CPython interpreters
# (links to the newest 3.11 and 3.13 in ~/.pyenv/versions).
#
# Usage: tests/periodic/run.sh   Last line: "periodic: N passed, N failed".
# $PYCACHE: the program to test (default: cargo build's debug one).

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
passed=0
failed=0

finish() {
	echo "periodic: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

if ! command -v dash >/dev/null 2>&1; then
	fail "dash is missing: apt-get install -y dash"
	finish
fi
pycache=${PYCACHE:-}
if [ -z "$pycache" ]; then
	(cd "$root" && cargo build --quiet --bin pycache) || { fail "cargo build --bin pycache failed"; finish; }
	pycache=${CARGO_TARGET_DIR:-$root/target}/debug/pycache
fi
# newest MINOR: the directory name of the newest CPython 3.MINOR.PATCH
# under ~/.pyenv/versions (highest PATCH; names with more than digits after
# it, such as 3.13.0t or 3.13.0rc1, are other builds), or nothing.
newest() {
	for dir in "$HOME/.pyenv/versions/3.$1."*; do
		case ${dir##*/} in
		"3.$1."*[!0-9]*) continue ;;
		esac
		[ -x "$dir/bin/python3.$1" ] && echo "${dir##*/}"
	done | sort -t . -k 3,3n | tail -n 1
}
v311=$(newest 11)
v313=$(newest 13)
missing=
[ -n "$v311" ] || missing="$missing 3.11"
[ -n "$v313" ] || missing="$missing 3.13"
if [ -n "$missing" ]; then
	fail "needs CPython 3.11 and 3.13 in ~/.pyenv/versions, missing:$missing (pyenv install$missing)"
	finish
fi
py311=$HOME/.pyenv/versions/$v311/bin/python3.11
py313=$HOME/.pyenv/versions/$v313/bin/python3.13
echo "periodic: CPython $v311 and $v313 from ~/.pyenv/versions"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The stand-in of /etc/defaults/periodic.conf: FreeBSD's own way of reading
# the admin's files (periodic_conf_files, source_periodic_confs, each file
# read once), and nothing of pycache's: the script sets its own defaults.
mkdir -p "$tmp/defaults"
cat >"$tmp/defaults/periodic.conf" <<EOF
periodic_conf_files="$tmp/periodic.conf $tmp/periodic.conf.local"
if [ -z "\${source_periodic_confs_defined}" ]; then
	source_periodic_confs_defined=yes
	source_periodic_confs() {
		local i sourced_files
		for i in \${periodic_conf_files}; do
			case \${sourced_files} in
			*:\$i:*) ;;
			*)
				sourced_files="\${sourced_files}:\$i:"
				[ -r \$i ] && . \$i
				;;
			esac
		done
	}
fi
EOF

# PREFIX: where the port installs pycache; LOCALBASE: where Python lives.
mkdir -p "$tmp/prefix/bin"
ln -s "$pycache" "$tmp/prefix/bin/pycache"
lb=$tmp/localbase
mkdir -p "$lb/bin"
ln -s "$py311" "$lb/bin/python3.11"
ln -s "$py313" "$lb/bin/python3.13"
for v in 3.11 3.13; do
	mkdir -p "$lb/lib/python$v/site-packages/pkg"
	printf 'x = 1\n' >"$lb/lib/python$v/site-packages/pkg/__init__.py"
	printf 'import os\n' >"$lb/lib/python$v/site-packages/top.py"
done

sed -e "s!%%PREFIX%%!$tmp/prefix!g" -e "s!%%LOCALBASE%%!$lb!g" \
	-e "s!/etc/defaults/periodic.conf!$tmp/defaults/periodic.conf!g" \
	"$root/Mk/examples/lang/python-pycache/files/411.pycache.in" >"$tmp/411.pycache"
if grep -q '%%' "$tmp/411.pycache"; then
	fail "411.pycache.in has a placeholder SUB_LIST does not fill: $(grep -o '%%[A-Z_]*%%' "$tmp/411.pycache" | sort -u)"
fi
if dash -n "$tmp/411.pycache"; then passed=$((passed + 1)); else fail "dash -n 411.pycache"; fi

# conf TEXT: the admin's /etc/periodic.conf.
conf() { printf '%s\n' "$1" >"$tmp/periodic.conf"; }

# daily: runs the script as periodic does; sets $out and $rc.
daily() {
	out=$(cd / && env -i PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/nonexistent \
		dash "$tmp/411.pycache" </dev/null 2>&1)
	rc=$?
}

# expect NAME RC PATTERN-OF-OUTPUT ('' = no output at all)
expect() {
	name=$1 want_rc=$2 want=$3
	if [ "$rc" != "$want_rc" ]; then
		fail "$name: exit $rc, expected $want_rc; output:"
		printf '%s\n' "$out" | sed 's/^/  | /'
		return
	fi
	if [ -z "$want" ]; then
		if [ -n "$out" ]; then
			fail "$name: expected no output, got:"
			printf '%s\n' "$out" | sed 's/^/  | /'
			return
		fi
	elif ! printf '%s\n' "$out" | grep -Eq -- "$want"; then
		fail "$name: output does not match /$want/:"
		printf '%s\n' "$out" | sed 's/^/  | /'
		return
	fi
	passed=$((passed + 1))
	echo "ok: $name"
}

# in_sync VERSION: exit 0 when that flavor's tree is in sync.
in_sync() {
	"$pycache" check --flavor "py$(echo "$1" | tr -d .)" --prefix "$lb" >/dev/null 2>&1
}

HEAD='^$
^Checking Python bytecode \(pycache\):$'

# --- off by default, and off when set so ----------------------------------
conf ''
daily
expect "not enabled: silent, 0" 0 ''
conf 'daily_pycache_enable="NO"'
daily
expect "daily_pycache_enable=NO: silent, 0" 0 ''

# --- out of sync: heading, one line per flavor with something to say, 1 ----
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py311 py313"'
daily
expect "out of sync: exit 1" 1 '^>=> Python 3.11: 2 sources to compile \(6 pycs missing, 0 stale\)$'
expect "out of sync: both flavors" 1 '^>=> Python 3.13: 2 sources to compile'
if [ "$(printf '%s\n' "$out" | sed -n '1p;2p')" = "
Checking Python bytecode (pycache):" ]; then
	passed=$((passed + 1)); echo "ok: out of sync: one heading, first"
else
	fail "out of sync: output does not start with an empty line and the heading:"
	printf '%s\n' "$out" | sed 's/^/  | /'
fi
if [ "$(printf '%s\n' "$out" | grep -c '^Checking')" = 1 ]; then
	passed=$((passed + 1)); echo "ok: out of sync: the heading once"
else
	fail "out of sync: heading not exactly once"
fi
in_sync 3.11 && fail "check mode changed the 3.11 tree"

# --- in sync: nothing to say -----------------------------------------------
"$pycache" update --flavor py311 --prefix "$lb" >/dev/null 2>&1
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py311"'
daily
expect "in sync: silent, 0" 0 ''

# Only the flavor with something to say is shown.
conf 'daily_pycache_enable="yes"
daily_pycache_flavors="py311 py313"'
daily
expect "one flavor out of sync: exit 1" 1 '^>=> Python 3.13: 2 sources to compile'
if printf '%s\n' "$out" | grep -q 'Python 3.11'; then
	fail "one flavor out of sync: the in-sync flavor was shown"
else
	passed=$((passed + 1)); echo "ok: one flavor out of sync: only it is shown"
fi

# --- fix mode: updates what is out of sync, says so once --------------------
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py311 py313"
daily_pycache_fix="YES"'
daily
expect "fix: exit 1 with the update's line" 1 '^>=> Python 3.13: wrote 6 pycs'
if in_sync 3.13; then passed=$((passed + 1)); echo "ok: fix: 3.13 is in sync afterwards"; else fail "fix: 3.13 still out of sync"; fi
daily
expect "fix: the next day is silent" 0 ''

# An orphan (its source removed) is out of sync too, and fix removes it.
rm "$lb/lib/python3.11/site-packages/top.py"
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py311"
daily_pycache_fix="YES"'
daily
expect "fix: orphans are removed" 1 '^>=> Python 3.11: .*removed 3 orphaned files'
[ -e "$lb/lib/python3.11/site-packages/__pycache__/top.cpython-311.pyc" ] && fail "fix: orphan still there"

# --- periodic.conf.local overrides periodic.conf, as source_periodic_confs does
printf 'daily_pycache_enable="NO"\n' >"$tmp/periodic.conf.local"
rm -f "$lb/lib/python3.11/site-packages/__pycache__/"*
daily
expect "periodic.conf.local wins" 0 ''
rm -f "$tmp/periodic.conf.local"

# --- default: every flavor installed (pycache --all) ------------------------
"$pycache" update --all --prefix "$lb" >/dev/null 2>&1
conf 'daily_pycache_enable="YES"'
daily
expect "every flavor, all in sync: silent, 0" 0 ''
rm -r "$lb/lib/python3.13/site-packages/pkg/__pycache__"
daily
expect "every flavor, one out of sync: exit 1" 1 '^>=> Python 3.13: 1 source to compile \(3 pycs missing, 0 stale\)$'
conf 'daily_pycache_enable="YES"
daily_pycache_fix="YES"'
daily
expect "every flavor, fix: exit 1" 1 '^>=> Python 3.13: wrote 3 pycs'
daily
expect "every flavor, fixed: silent the next day" 0 ''

# --- bad configuration: 2, said under the heading ---------------------------
conf 'daily_pycache_enable="maybe"'
daily
expect "bad daily_pycache_enable: exit 2" 2 'daily_pycache_enable must be YES or NO, not "maybe"'
conf 'daily_pycache_enable="YES"
daily_pycache_fix="1"'
daily
expect "bad daily_pycache_fix: exit 2" 2 'daily_pycache_fix must be YES or NO, not "1"'
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py3"'
daily
expect "bad flavor: exit 2 with pycache's message" 2 'invalid flavor "py3"'
printf '%s\n' "$out" | grep -Eq "$(echo "$HEAD" | sed -n 2p)" || fail "bad flavor: no heading"

# --- pycache could not work: 3 ---------------------------------------------
conf 'daily_pycache_enable="YES"
daily_pycache_flavors="py39"'
daily
expect "flavor not installed: exit 3 naming the directory" 3 "$lb/lib/python3.9/site-packages: site-packages directory does not exist"
rm "$tmp/prefix/bin/pycache"
conf 'daily_pycache_enable="YES"'
daily
expect "program missing: exit 3" 3 "$tmp/prefix/bin/pycache: program not found; reinstall lang/python-pycache"
ln -s "$pycache" "$tmp/prefix/bin/pycache"

finish
