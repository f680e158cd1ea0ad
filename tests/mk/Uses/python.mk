# Stand-in for Mk/Uses/python.mk (freebsd-ports main), as far as the tests
# of Mk/Uses/pycache.mk and Mk/Uses/python-nobytecode.mk need it, written
# from what the real file documents and does:
#
# - the supported versions, _PYTHON_VERSIONS (preferred first), as the
#   tree has them today;
# - the version used: from FLAVOR (py311, py313t), else PYTHON_DEFAULT;
#   PY_FLAVOR and the PYTHON_* variables derived from it, PLIST_SUB and
#   SUB_LIST; no FLAVORS list is generated, and PYTHON_CMD is not run at
#   parse time (PYTHONBASE is LOCALBASE);
# - USE_PYTHON=distutils, pep517 and autoplist: the commands that stage the
#   modules and record them for the plist, PYDISTUTILS_INSTALLARGS (-c -O1)
#   and PEP517_INSTALL_CMD (installer, which compiles levels 0 and 1), the
#   do-install targets of the post part and add-plist-pymod (934).  The
#   recipes are the real ones, with the framework's commands (tests/mk/
#   framework.mk) and strip_RECORD.py's stand-in (tests/mk/Scripts); the
#   pep517 RECORD rewrite keeps only its bin/ and share/ lines of the
#   ../../../DIR/ kind.  do-build is not modelled: the tests build the
#   wheel themselves.
#
# PYTHON_CMD is the real interpreter the test hands in (a venv of CPython
# 3.11 with PyPI's installer), ${LOCALBASE}/bin/pythonX.Y otherwise.
.if !defined(_INCLUDE_USES_PYTHON_MK)
_INCLUDE_USES_PYTHON_MK=	yes

_PYTHON_VERSIONS=	3.11 3.12 3.13 3.13t 3.14 3.10 2.7	# preferred first
_PYTHON_BASECMD=	${LOCALBASE}/bin/python
PYTHON_DEFAULT?=	3.11

.  for var in ${USE_PYTHON}
_PYTHON_FEATURE_${var:C/=.*$//:tu}=	${var:C/.*=//:S/,/ /g}
.  endfor

_PYTHON_VERSION:=	${PYTHON_DEFAULT}
.  if !empty(FLAVOR:Mpy[23][0-9]) || !empty(FLAVOR:Mpy[23][1-9][0-9]) || !empty(FLAVOR:Mpy31[3-9]t)
_PYTHON_VERSION=	${FLAVOR:S/py//:C/(.)/\1./}
.  endif
PY_FLAVOR=	py${_PYTHON_VERSION:S/.//}
PYTHON_VERSION=	python${_PYTHON_VERSION}
PYTHON_VER=		${_PYTHON_VERSION}
PYTHON_BASEVER=		${PYTHON_VER:S/t$//}
PYTHON_SUFFIX=		${_PYTHON_VERSION:S/.//g}
PYTHON_BASESUFFIX=	${PYTHON_SUFFIX:S/t$//}
PYTHON_MAJOR_VER=	${PYTHON_VER:R}
PYTHON_CMD?=		${_PYTHON_BASECMD}${_PYTHON_VERSION}
.  if ${PYTHON_MAJOR_VER} > 2
PYTHON_TAG=	.cpython-${PYTHON_BASESUFFIX}
.  else
PYTHON_TAG=	# empty
.  endif
PYTHONBASE?=		${LOCALBASE}
PYTHON_LIBDIR=		${PYTHONBASE}/lib/python${_PYTHON_VERSION}
PYTHON_SITELIBDIR=	${PYTHON_LIBDIR}/site-packages
PYTHON_PKGNAMEPREFIX=	py${PYTHON_SUFFIX}-
PYTHONPREFIX_LIBDIR=		${PYTHON_LIBDIR:S;${PYTHONBASE};${PREFIX};}
PYTHONPREFIX_SITELIBDIR=	${PYTHON_SITELIBDIR:S;${PYTHONBASE};${PREFIX};}

# Used for recording the installed files.
_PYTHONPKGLIST=	${WRKDIR}/.PLIST.pymodtmp

# distutils support
PYSETUP?=		setup.py
PYDISTUTILS_SETUP?=	-c \
	"import sys; import setuptools; \
	__file__='${PYSETUP}'; sys.argv[0]='${PYSETUP}'; \
	exec(compile(open(__file__, 'rb').read().replace(b'\\r\\n', b'\\n'), __file__, 'exec'))"
PYDISTUTILS_INSTALLARGS?=	-c -O1 --prefix=${PREFIX}
.  if defined(_PYTHON_FEATURE_DISTUTILS)
PYDISTUTILS_INSTALLARGS+=	--single-version-externally-managed
PYDISTUTILS_INSTALLARGS+=	--root=${STAGEDIR}
.  endif
PYDISTUTILS_INSTALLARGS:=	--record ${_PYTHONPKGLIST} \
		${PYDISTUTILS_INSTALLARGS}

# PEP-517 support
PEP517_INSTALL_CMD?=	${PYTHON_CMD} -m installer --destdir ${STAGEDIR} --prefix ${PREFIX} ${BUILD_WRKSRC}/dist/${PORTNAME:C|[-_]+|_|g}-${DISTVERSION}*.whl

.  if defined(_PYTHON_FEATURE_AUTOPLIST) && (defined(_PYTHON_FEATURE_DISTUTILS) || defined(_PYTHON_FEATURE_PEP517))
_USES_stage+=	934:add-plist-pymod
add-plist-pymod:
	@${SED} -e 's|^"\(.*\)"$$|\1|' \
		-e 's|^${STAGEDIR}${PREFIX}/||' \
		-e 's|^${PREFIX}/||' \
		-e 's|[[:alnum:]|[:space:]]*/\.\./*||g; s|/\./|/|g' \
		${_PYTHONPKGLIST} | ${SORT} >> ${TMPPLIST}
.  endif

SUB_LIST+=	PYTHON_LIBDIR=${PYTHONPREFIX_LIBDIR} \
		PYTHON_SITELIBDIR=${PYTHONPREFIX_SITELIBDIR} \
		PYTHON_SUFFIX=${PYTHON_SUFFIX} \
		PYTHON_TAG=${PYTHON_TAG} \
		PYTHON_VER=${PYTHON_VER} \
		PYTHON_VERSION=${PYTHON_VERSION}
PLIST_SUB+=	PYTHON_LIBDIR=${PYTHONPREFIX_LIBDIR:S;${PREFIX}/;;} \
		PYTHON_SITELIBDIR=${PYTHONPREFIX_SITELIBDIR:S;${PREFIX}/;;} \
		PYTHON_SUFFIX=${PYTHON_SUFFIX} \
		PYTHON_TAG=${PYTHON_TAG} \
		PYTHON_VER=${PYTHON_VER} \
		PYTHON_VERSION=${PYTHON_VERSION}

_USES_POST+=	python
.endif # _INCLUDE_USES_PYTHON_MK

.if defined(_POSTMKINCLUDED) && !defined(_INCLUDE_USES_PYTHON_POST_MK)
_INCLUDE_USES_PYTHON_POST_MK=	yes

PYDISTUTILS_INSTALL_TARGET?=	install

.  if defined(_PYTHON_FEATURE_DISTUTILS)
MAKE_ENV+=	PYTHONDONTWRITEBYTECODE= PYTHONOPTIMIZE=
.    if !target(do-install)
do-install:
	@(cd ${INSTALL_WRKSRC}; ${SETENVI} ${WRK_ENV} ${MAKE_ENV} ${PYTHON_CMD} ${PYDISTUTILS_SETUP} ${PYDISTUTILS_INSTALL_TARGET} ${PYDISTUTILS_INSTALLARGS})
.    endif
.  endif

.  if defined(_PYTHON_FEATURE_PEP517)
.    if !target(do-install)
do-install:
	@${MKDIR} ${STAGEDIR}${PYTHONPREFIX_SITELIBDIR}
	@cd ${INSTALL_WRKSRC} && ${SETENVI} ${WRK_ENV} ${MAKE_ENV} ${PEP517_INSTALL_CMD}
	@${PYTHON_CMD} -B ${SCRIPTSDIR}/strip_RECORD.py \
		${STAGEDIR}${PYTHONPREFIX_SITELIBDIR}/${PORTNAME:C|[-_]+|_|g}-${DISTVERSION}*.dist-info/RECORD >> ${_PYTHONPKGLIST}
	@${REINPLACE_CMD} \
		-e '/\.pyc$$/d' \
		-e 's|^|${PYTHONPREFIX_SITELIBDIR}/|' \
		-e 's|^${PYTHONPREFIX_SITELIBDIR}/../../../bin/|bin/|' \
		-e 's|^${PYTHONPREFIX_SITELIBDIR}/../../../share/|share/|' \
			${_PYTHONPKGLIST}
	@cd ${STAGEDIR}${PREFIX} && ${FIND} lib -name '*.pyc' >> ${_PYTHONPKGLIST}
.    endif
.  endif
.endif # defined(_POSTMKINCLUDED) && !defined(_INCLUDE_USES_PYTHON_POST_MK)
