# A minimal stand-in for the parts of the ports framework (bsd.port.mk) that
# Mk/Uses/pycache.mk relies on: the usual paths and commands, the empty
# _USES_<phase> lists, and bsd.port.mk's loop that sets <name>_ARGS and
# includes each USES file in order. USES files with a stand-in in
# tests/mk/Uses (python.mk, lua.mk) come from there; the others (pycache.mk)
# from the real Mk/Uses.

LOCALBASE?=	/usr/local
PREFIX?=	${LOCALBASE}
WRKDIR?=	/nonexistent/work
STAGEDIR?=	/nonexistent/stage
MKDIR?=		mkdir -p
INSTALL_DATA?=	install -m 0444
CARGO_TARGET_DIR?=	${WRKDIR}/target
CARGO_BUILD_TARGET?=	amd64-unknown-freebsd

_STANDIN_USESDIR=	${.PARSEDIR}/Uses
USESDIR?=		${.PARSEDIR}/../../Mk/Uses

.for target in build install
_USES_${target}?=
.endfor

.for f in ${USES}
_f:=		${f:C/\:.*//}
.  if !defined(${_f}_ARGS)
${_f}_ARGS:=	${f:C/^[^\:]*(\:|\$)//:S/,/ /g}
.  endif
.endfor
.for f in ${USES}
.  if exists(${_STANDIN_USESDIR}/${f:C/\:.*//}.mk)
.include "${_STANDIN_USESDIR}/${f:C/\:.*//}.mk"
.  else
.include "${USESDIR}/${f:C/\:.*//}.mk"
.  endif
.endfor
