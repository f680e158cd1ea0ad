# Render and install the pkg triggers of pycache, which keep the bytecode
# (__pycache__) of each Python flavor's site-packages in sync whenever pkg
# installs, upgrades or removes files there.
#
# Feature:	pycache
# Usage:	USES=pycache
# Valid ARGS:	none
#
# At build time, gen-triggers renders one trigger per flavor from
# python-update-cache.ucl.in into ${WRKDIR}/pycache-triggers; at install time
# they are installed as ${PYCACHE_TRIGGERDIR}/pycache-<flavor>.ucl (e.g.
# pycache-py311.ucl) and added to the plist.  When such a file is removed,
# its cleanup script removes that flavor's orphaned bytecode and empty
# __pycache__ directories and leaves valid bytecode in place.
#
# USES=pycache reads the supported Python versions from USES=python
# (python:env is enough), in whatever order USES lists them, or takes
# PYCACHE_FLAVORS.
#
# Variables a port may set:
#
# PYCACHE_FLAVORS	- Python flavors (pyXY words) to render triggers for.
#			  Duplicates are ignored; anything that is not pyXY
#			  with X.Y >= 3.6, or pyXYt (free-threaded) with
#			  X.Y >= 3.13, sets IGNORE.  Empty: install no
#			  trigger at all.
#			  default: every Python 3 version USES=python supports,
#			  ${_PYTHON_VERSIONS:M3.*} as flavors (py310 py311 ...;
#			  3.13t becomes py313t, with its own trigger, since
#			  its site-packages is lib/python3.13t), and the
#			  free-threaded flavor of each version from 3.13 on
#			  that the list does not name (py314t beside py314):
#			  a trigger whose site-packages never exists never
#			  fires, while a flavor without one is never compiled.
#			  _PYTHON_VERSIONS is python.mk's own list (the only
#			  one the tree has); its absence sets IGNORE.
#
# PYCACHE_GEN		- The gen-triggers program to run at build time.
#			  default: ${PYCACHE_CARGO_OUT}/gen-triggers (the one
#			  the pycache port builds with USES=cargo); another
#			  port sets ${LOCALBASE}/bin/gen-triggers and adds the
#			  build dependency.
#
# PYCACHE_PREFIX	- Where pycache (program and Lua module) is installed.
#			  default: ${PREFIX}
#
# PYCACHE_LUA_MODSHAREDIR
#			- Directory of pycache.lua, which the triggers add to
#			  package.path.
#			  default: ${LUA_MODSHAREDIR} of USES=lua, else
#			  ${PYCACHE_PREFIX}/share/lua/5.4
#
# PYCACHE_CMD		- The pycache program the triggers run.
#			  default: ${PYCACHE_PREFIX}/bin/pycache
#
# Variables a port may read:
#
# PYCACHE_TRIGGERDIR	- Where pkg reads triggers from.
#			  value: ${LOCALBASE}/share/pkg/triggers
#
# PYCACHE_TRIGGERS	- The trigger file names, sorted, e.g.
#			  pycache-py311.ucl pycache-py313t.ucl
#
# PYCACHE_CARGO_OUT	- Where cargo leaves the programs it built:
#			  ${CARGO_TARGET_DIR}/${CARGO_BUILD_TARGET}/release,
#			  or .../debug with WITH_DEBUG (cargo.mk then builds
#			  without --release); without CARGO_BUILD_TARGET,
#			  ${CARGO_TARGET_DIR}/release.
#
# SUB_LIST gets PYCACHE_FLAVORS (the flavors rendered, sorted) and
# PYCACHE_CMD, for a pkg-post-install script that compiles what is already
# installed (see Mk/examples/lang/python-pycache/files/pkg-post-install.in).
#
# The Python interpreters and their site-packages are taken from
# ${LOCALBASE} (${LOCALBASE}/bin/pythonX.Y, ${LOCALBASE}/lib/pythonX.Y/
# site-packages; python3.13t and lib/python3.13t for py313t), like
# PYTHON_CMD and PYTHON_SITELIBDIR of USES=python.
#
# MAINTAINER:	python@FreeBSD.org

.if !defined(_INCLUDE_USES_PYCACHE_MK)
_INCLUDE_USES_PYCACHE_MK=	yes

.  if !empty(pycache_ARGS)
IGNORE=	USES=pycache takes no arguments, got: ${pycache_ARGS}
.  endif

# bsd.port.mk has set every <name>_ARGS before including the first USES
# file: USES=python, listed after pycache (USES kept sorted), is read now,
# with the port's own arguments.
.  if defined(python_ARGS) && !defined(_INCLUDE_USES_PYTHON_MK)
.include "${USESDIR}/python.mk"
.  endif

.  if !defined(PYCACHE_FLAVORS) && !defined(_PYTHON_VERSIONS)
IGNORE=	USES=pycache needs the Python versions of USES=python or PYCACHE_FLAVORS
.  endif

_PYCACHE_PYTHON3=	${_PYTHON_VERSIONS:M3.*:S/.//:S/^/py/}
PYCACHE_FLAVORS?=	${_PYCACHE_PYTHON3} \
			${_PYCACHE_PYTHON3:Mpy31[3-9]:@f@${f}t@} \
			${_PYCACHE_PYTHON3:Mpy3[2-9][0-9]:@f@${f}t@}
PYCACHE_CARGO_OUT=	${CARGO_TARGET_DIR}/${CARGO_BUILD_TARGET:D${CARGO_BUILD_TARGET}/}${WITH_DEBUG:Ddebug:Urelease}
PYCACHE_GEN?=		${PYCACHE_CARGO_OUT}/gen-triggers
PYCACHE_PREFIX?=	${PREFIX}
PYCACHE_LUA_MODSHAREDIR?=	${LUA_MODSHAREDIR:U${PYCACHE_PREFIX}/share/lua/5.4}
PYCACHE_CMD?=		${PYCACHE_PREFIX}/bin/pycache

PYCACHE_TRIGGERDIR=	${LOCALBASE}/share/pkg/triggers

_PYCACHE_FLAVORS:=	${PYCACHE_FLAVORS:O:u}
# Free-threaded builds (PEP 703) exist from 3.13 on: py313t, py314t...
_PYCACHE_BAD_FLAVORS:=	${_PYCACHE_FLAVORS:Npy3[6-9]:Npy3[1-9][0-9]:Npy31[3-9]t:Npy3[2-9][0-9]t}
.  if !empty(_PYCACHE_BAD_FLAVORS)
IGNORE=	invalid PYCACHE_FLAVORS: ${_PYCACHE_BAD_FLAVORS}: expected pyXY such as py39 or py311, or py313t for a free-threaded build
.  endif

PYCACHE_TRIGGERS:=	${_PYCACHE_FLAVORS:@f@pycache-${f}.ucl@}
SUB_LIST+=	PYCACHE_FLAVORS="${_PYCACHE_FLAVORS}" PYCACHE_CMD=${PYCACHE_CMD}
_PYCACHE_WRKDIR=	${WRKDIR}/pycache-triggers

.  for t in ${PYCACHE_TRIGGERS}
PLIST_FILES+=	${PYCACHE_TRIGGERDIR}/${t}
.  endfor

_USES_build+=	750:pycache-build
_USES_install+=	650:pycache-post-install

pycache-build:
.  if !empty(_PYCACHE_FLAVORS)
	${PYCACHE_GEN} --flavors ${_PYCACHE_FLAVORS:ts,} \
	    --prefix ${PYCACHE_PREFIX} --localbase ${LOCALBASE} \
	    --lua-modsharedir ${PYCACHE_LUA_MODSHAREDIR} \
	    --pycache-cmd ${PYCACHE_CMD} --out ${_PYCACHE_WRKDIR}
.  endif

pycache-post-install:
.  if !empty(_PYCACHE_FLAVORS)
	${MKDIR} ${STAGEDIR}${PYCACHE_TRIGGERDIR}
.    for t in ${PYCACHE_TRIGGERS}
	${INSTALL_DATA} ${_PYCACHE_WRKDIR}/${t} ${STAGEDIR}${PYCACHE_TRIGGERDIR}/
.    endfor
.  endif

.endif	# _INCLUDE_USES_PYCACHE_MK
