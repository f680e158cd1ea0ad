# The tree-wide switch of USES=python-nobytecode (Mk/Uses/python-nobytecode.mk):
# packages of Python modules without bytecode, for every port or for
# chosen ones, without editing a port.
#
# bsd.port.mk includes Mk/bsd.overlay.mk of each directory in OVERLAYS
# after a port's Makefile has set its variables and before USES are read,
# and looks USES files up in those directories' Mk/Uses first.  With the
# directory holding this Mk/ in OVERLAYS, in make.conf:
#
#	OVERLAYS+=	/path/to/pycache	# where this Mk/ is
#	WITHOUT_PYTHON_BYTECODE=	yes	# every port
#	WITHOUT_PYTHON_BYTECODE_PORTS=	devel/py-foo	# or these only
#	WITH_PYTHON_BYTECODE_PORTS=	devel/py-bar	# never these
#
# a port that installs Python modules gets USES+=python-nobytecode: one
# with USES=python and USE_PYTHON=pep517 or distutils, or whose pkg-plist
# lists __pycache__ or .pyc files.  Other ports (Python at build time only,
# say) are left alone, and so is a port that already lists the USES.
# poudriere: the directory as a ports tree, `poudriere bulk -O NAME`, and
# the variables in the jail's make.conf.
#
# MAINTAINER:	python@FreeBSD.org

.if !defined(_PYCACHE_OVERLAY_MK)
_PYCACHE_OVERLAY_MK=	yes

.  if (defined(WITHOUT_PYTHON_BYTECODE) || !empty(WITHOUT_PYTHON_BYTECODE_PORTS:M${PKGORIGIN})) && \
	(!empty(USES:Mpython) || !empty(USES:Mpython\:*)) && empty(USES:Mpython-nobytecode)
.    if !empty(USE_PYTHON:Mpep517) || !empty(USE_PYTHON:Mdistutils)
USES+=	python-nobytecode
.    else
# A hand-written plist that lists bytecode (PLIST is set by bsd.port.mk
# after this file: the port's own value, or pkg-plist in PKGDIR).
_PYCACHE_OVERLAY_PLIST_PYC!=	${GREP:Ugrep} -Eqs '__pycache__|\.pyc$$' ${PLIST:U${PKGDIR}/pkg-plist} && echo yes || :
.      if !empty(_PYCACHE_OVERLAY_PLIST_PYC)
USES+=	python-nobytecode
.      endif
.    endif
.  endif

.endif	# _PYCACHE_OVERLAY_MK
