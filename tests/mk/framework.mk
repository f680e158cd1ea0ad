# A minimal stand-in for the parts of the ports framework (bsd.port.mk) that
# Mk/Uses/pycache.mk relies on: the usual paths and commands, the empty
# _USES_<phase> lists, and bsd.port.mk's loop that sets every <name>_ARGS,
# then includes each ${USESDIR}/<name>.mk in the order of USES. USESDIR is
# tests/mk/Uses: stand-ins for python.mk, lua.mk and cargo.mk, and a
# pycache.mk that includes the real Mk/Uses/pycache.mk.

LOCALBASE?=	/usr/local
PREFIX?=	${LOCALBASE}
WRKDIR?=	/nonexistent/work
STAGEDIR?=	/nonexistent/stage
MKDIR?=		mkdir -p
INSTALL_DATA?=	install -m 0444
CARGO_TARGET_DIR?=	${WRKDIR}/target
CARGO_BUILD_TARGET?=	amd64-unknown-freebsd

.if !defined(USESDIR)
USESDIR:=		${.PARSEDIR}/Uses
.endif

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
.include "${USESDIR}/${f:C/\:.*//}.mk"
.endfor
