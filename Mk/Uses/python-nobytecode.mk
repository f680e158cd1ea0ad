# Package a Python port's modules without their bytecode: the pycache
# trigger of the port's flavor compiles every optimization level on the
# installing machine after each pkg transaction, and removes it again with
# the package.
#
# Feature:	python-nobytecode
# Usage:	USES=python python-nobytecode
# Valid ARGS:	none
#
# For a port that installs modules into the flavor's site-packages, with
# USE_PYTHON=pep517 or distutils (autoplist or not) or a hand-written
# pkg-plist, this:
#
# - compiles nothing at stage: PEP517_INSTALL_CMD gets installer's
#   --no-compile-bytecode (installer compiles levels 0 and 1 by default),
#   and PYDISTUTILS_INSTALLARGS loses -c/--compile and -O1/--optimize and
#   gets --no-compile (setuptools compiles level 0 unless told not to);
# - removes, after post-install, every __pycache__ directory the build or
#   the port left in ${STAGEDIR}${PYTHONPREFIX_SITELIBDIR} (a port's own
#   compileall, bytecode shipped inside a wheel);
# - drops every plist line naming such a directory or a file in it, once
#   python.mk has written its lines (autoplist, the installer's RECORD,
#   py3kplist) and the hand-written pkg-plist has been substituted: lines
#   such as %%PYTHON_SITELIBDIR%%/foo/__pycache__/bar%%PYTHON_TAG%%.pyc,
#   their @dir, and @comment forms of them;
# - adds a run dependency on the pycache trigger of the port's flavor
#   (${PYCACHE_TRIGGER}), so that nobody installs such a package without
#   what compiles it.
#
# Left in the package on purpose: a .pyc outside __pycache__ (a sourceless
# module, importable only from that file: the trigger cannot make it),
# and bytecode outside site-packages (in lib/pythonX.Y itself, share/...),
# where no pycache trigger looks.  A Python 2.7 flavor has no pycache
# trigger: such a port is left as it was (PYTHON_BYTECODE=yes).
#
# Why a USES file and not USE_PYTHON=nobytecode: USE_PYTHON features are
# python.mk's own list, which a port outside it cannot extend; USES is the
# framework's way to add a feature with one line.  python.mk is read
# first (whatever the order of USES), since the commands changed here are
# its own.
#
# Variables a port may set:
#
# PYCACHE_PORT		- Origin of the port that installs the pycache
#			  triggers, for the run dependency.
#			  default: lang/python-pycache
#
# Variables a port may read:
#
# PYTHON_BYTECODE	- "no" when the package ships no bytecode (all of
#			  the above applies), "yes" when it still ships it:
#			  the origin is in WITH_PYTHON_BYTECODE_PORTS, or the
#			  flavor has no pycache trigger (python 2.7).  A port
#			  that compiles in its own post-install may skip that
#			  step when it is "no".
#
# PYCACHE_TRIGGER	- The trigger file of the port's flavor.
#			  value: ${LOCALBASE}/share/pkg/triggers/pycache-${PY_FLAVOR}.ucl
#			  (pycache-py311.ucl; pycache-py313t.ucl for py313t)
#
# Variables a user may set (make.conf), in the manner of bsd.port.mk's
# WITH_<feature>_PORTS and WITHOUT_<feature>_PORTS:
#
# WITHOUT_PYTHON_BYTECODE
#			- When defined (whatever its value), every port that
#			  installs Python modules (USES=python with
#			  USE_PYTHON=pep517 or distutils, or a pkg-plist
#			  listing __pycache__ or .pyc files) is built as if
#			  it had USES=python-nobytecode: a tree-wide switch,
#			  e.g. for an exp-run.  Read by Mk/bsd.overlay.mk,
#			  which adds this file to such a port's USES: the
#			  directory holding Mk/ (this project's tree, or its
#			  copy in the ports tree) must be in OVERLAYS.
#
# WITHOUT_PYTHON_BYTECODE_PORTS
#			- Origins (category/port) built that way without
#			  WITHOUT_PYTHON_BYTECODE, through the same overlay.
#
# WITH_PYTHON_BYTECODE_PORTS
#			- Origins that keep shipping bytecode, even with
#			  WITHOUT_PYTHON_BYTECODE or USES=python-nobytecode.
#
# MAINTAINER:	python@FreeBSD.org

.if !defined(_INCLUDE_USES_PYTHON_NOBYTECODE_MK)
_INCLUDE_USES_PYTHON_NOBYTECODE_MK=	yes

.  if !empty(python-nobytecode_ARGS)
IGNORE=	USES=python-nobytecode takes no arguments, got: ${python-nobytecode_ARGS}
.  endif

# bsd.port.mk has set every <name>_ARGS before including the first USES
# file: USES=python, even when listed after this file, is read now.
.  if defined(python_ARGS) && !defined(_INCLUDE_USES_PYTHON_MK)
.include "${USESDIR}/python.mk"
.  endif

.  if !defined(_INCLUDE_USES_PYTHON_MK)
IGNORE=	USES=python-nobytecode needs USES=python
.  else

PYCACHE_PORT?=		lang/python-pycache
PYCACHE_TRIGGER=	${LOCALBASE}/share/pkg/triggers/pycache-${PY_FLAVOR}.ucl

# pycache has a trigger for CPython 3.6 and later, pyXYt from 3.13 on.
_PYNOBYTECODE_FLAVOR=	${PY_FLAVOR:Mpy3[6-9]}${PY_FLAVOR:Mpy3[1-9][0-9]}${PY_FLAVOR:Mpy31[3-9]t}${PY_FLAVOR:Mpy3[2-9][0-9]t}
.    if !empty(WITH_PYTHON_BYTECODE_PORTS:M${PKGORIGIN}) || empty(_PYNOBYTECODE_FLAVOR)
PYTHON_BYTECODE=	yes
.    else
PYTHON_BYTECODE=	no

RUN_DEPENDS+=	${PYCACHE_TRIGGER}:${PYCACHE_PORT}

# Appended, not inserted: installer takes its options after the wheel too,
# and PEP517_INSTALL_CMD keeps its lazy ${STAGEDIR} and wheel glob.  A
# port's own install command that is not installer is left alone: what it
# compiles is removed below.
.      if !empty(PEP517_INSTALL_CMD:Minstaller)
PEP517_INSTALL_CMD+=	--no-compile-bytecode
.      endif

# python.mk has already assigned PYDISTUTILS_INSTALLARGS with :=, keeping
# the framework's later variables (${STAGEDIR}) unexpanded; the copy keeps
# them so too, and the words are dropped when the install command runs.
_PYNOBYTECODE_INSTALLARGS:=	${PYDISTUTILS_INSTALLARGS}
PYDISTUTILS_INSTALLARGS=	${_PYNOBYTECODE_INSTALLARGS:N-c:N--compile:N-O[0-9]:N--optimize=*} --no-compile

# A plist line for the flavor's site-packages, relative to PREFIX or not,
# after any keyword (@dir, @comment, @(owner,group,mode)), that names a
# __pycache__ directory or something in one.
_PYNOBYTECODE_SITELIB=	${PYTHONPREFIX_SITELIBDIR:S;^${PREFIX}/;;}
_PYNOBYTECODE_PLIST_RE=	^(@[^ ]+ +)?(${PREFIX:C/\./[.]/g}/)?${_PYNOBYTECODE_SITELIB:C/\./[.]/g}/(.*/)?__pycache__(/|$$)

# After python.mk's plist steps (933-935) and the port's post-install.
_USES_stage+=	936:python-nobytecode-post-stage
python-nobytecode-post-stage:
	@if [ -d ${STAGEDIR}${PYTHONPREFIX_SITELIBDIR} ]; then \
		${FIND} ${STAGEDIR}${PYTHONPREFIX_SITELIBDIR} -type d -name __pycache__ \
			-prune -exec ${RM} -r {} + ; \
	fi
	@${SED} -E -e '\%${_PYNOBYTECODE_PLIST_RE}%d' ${TMPPLIST} > ${TMPPLIST}.nobytecode
	@${MV} ${TMPPLIST}.nobytecode ${TMPPLIST}
.    endif
.  endif

.endif	# _INCLUDE_USES_PYTHON_NOBYTECODE_MK
