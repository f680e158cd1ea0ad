# A minimal stand-in for the parts of the ports framework (bsd.port.mk)
# that Mk/Uses/pycache.mk and Mk/Uses/python-nobytecode.mk rely on, in
# bsd.port.mk's order:
#
# 1. the usual paths and commands, and PKGORIGIN (category/port);
# 2. each OVERLAYS directory's Mk/bsd.overlay.mk, after the port's own
#    variables and before USES are read;
# 3. the empty _USES_<phase> lists, the loop that sets every <name>_ARGS,
#    then each USES file in the order of USES, looked up in every
#    OVERLAYS directory's Mk/Uses first, then in USESDIR (tests/mk/Uses:
#    stand-ins for python.mk, lua.mk and cargo.mk, and wrappers that
#    include the real Mk/Uses files);
# 4. the post part: _POSTMKINCLUDED, then the _USES_POST files;
# 5. the stage phase: stage runs, in the order of their numbers, the
#    targets of _STAGE_SEQ (stage-dir, apply-slist, generate-plist,
#    do-install, post-install, compress-man) and of _OPTIONS_install
#    (do-install-OPT-on/-off), _USES_install and _USES_stage, as
#    bsd.port.mk does.  apply-slist renders SUB_FILES through SUB_LIST;
#    generate-plist writes TMPPLIST from PLIST_FILES and the port's
#    pkg-plist (PLIST) through PLIST_SUB; compress-man gzips the manual
#    pages.
#
# make.conf is read before a port's Makefile; tests give its knobs on the
# command line instead.

LOCALBASE?=	/usr/local
PREFIX?=	${LOCALBASE}
WRKDIR?=	/nonexistent/work
STAGEDIR?=	/nonexistent/stage
MKDIR?=		mkdir -p
INSTALL_DATA?=	install -m 0444
FIND?=		find
GREP?=		grep
MV?=		mv -f
RM?=		rm -f
SED?=		sed
SORT?=		sort
SETENV?=	env
SETENVI?=	${SETENV} -i
REINPLACE_ARGS?=	-i.bak
REINPLACE_CMD?=	${SED} ${REINPLACE_ARGS}
ARCH?=		amd64
OPSYS?=		FreeBSD
ECHO_CMD?=	echo
GZIP_CMD?=	gzip -nf9

.if !defined(USESDIR)
USESDIR:=		${.PARSEDIR}/Uses
.endif
.if !defined(SCRIPTSDIR)
SCRIPTSDIR:=		${.PARSEDIR}/Scripts
.endif
MASTERDIR?=		${.CURDIR}
PKGDIR?=		${MASTERDIR}
.for _CATEGORY in ${CATEGORIES}
PKGCATEGORY?=		${_CATEGORY}
.endfor
PORTDIRNAME?=		${.CURDIR:T}
PKGORIGIN?=		${PKGCATEGORY}/${PORTDIRNAME}

.for odir in ${OVERLAYS}
.sinclude "${odir}/Mk/bsd.overlay.mk"
.endfor

.for target in build install stage
_USES_${target}?=
.endfor

.for f in ${USES}
_f:=		${f:C/\:.*//}
.  if !defined(${_f}_ARGS)
${_f}_ARGS:=	${f:C/^[^\:]*(\:|\$)//:S/,/ /g}
.  endif
.endfor
.for f in ${USES}
.undef _usefound
.  for udir in ${OVERLAYS:C,$,/Mk/Uses,} ${USESDIR}
_usefile=	${udir}/${f:C/\:.*//}.mk
.    if exists(${_usefile}) && !defined(_usefound)
_usefound=
.include "${_usefile}"
.    endif
.  endfor
.  if !defined(_usefound)
ERROR+=	"Unknown USES=${f:C/\:.*//}"
.  endif
.endfor

# The post part.
_POSTMKINCLUDED=	yes
WRKSRC?=		${WRKDIR}/${PORTNAME}-${DISTVERSION}
BUILD_WRKSRC?=		${WRKSRC}
INSTALL_WRKSRC?=	${WRKSRC}
WRK_ENV+=		HOME=${WRKDIR} PWD="$${PWD}" PATH=${PATH}
TMPPLIST?=		${WRKDIR}/.PLIST.mktmp
PLIST?=			${PKGDIR}/pkg-plist

.for f in ${_USES_POST}
.undef _usefound
.  for udir in ${OVERLAYS:C,$,/Mk/Uses,} ${USESDIR}
_usefile=	${udir}/${f:C/\:.*//}.mk
.    if exists(${_usefile}) && !defined(_usefound)
_usefound=
.include "${_usefile}"
.    endif
.  endfor
.endfor

# PLIST_SUB as sed arguments: VAR=value becomes s!%%VAR%%!value!g.
_PLIST_SUB_SED=	${PLIST_SUB:C/^([^=]*)=(.*)$/-e s!%%\1%%!\2!g/}

.for t in do-install post-install
.  if !target(${t})
${t}:
.  endif
.endfor
# The options helpers the ports use: do-install-OPT-on, -off.
.for opt in ${OPTIONS_DEFINE}
.  if !empty(PORT_OPTIONS:M${opt}) && target(do-install-${opt}-on)
_OPTIONS_install+=	500:do-install-${opt}-on
.  elif empty(PORT_OPTIONS:M${opt}) && target(do-install-${opt}-off)
_OPTIONS_install+=	500:do-install-${opt}-off
.  endif
.endfor
# stage-dir: like bsd.port.mk's, which lays out BSD.local.dist with mtree,
# the directories of it that the ports here install into.
stage-dir:
	@${MKDIR} ${STAGEDIR}${PREFIX}/bin ${STAGEDIR}${PREFIX}/etc \
		${STAGEDIR}${PREFIX}/lib ${STAGEDIR}${PREFIX}/share/man/man1 \
		${STAGEDIR}${PREFIX}/share/man/man3 ${STAGEDIR}${PREFIX}/share/man/man5 \
		${STAGEDIR}${PREFIX}/share/man/man8
# SUB_FILES: FILESDIR/NAME.in through SUB_LIST (%%VAR%%) into WRKDIR/NAME.
FILESDIR?=	${MASTERDIR}/files
SUB_LIST+=	PREFIX=${PREFIX} LOCALBASE=${LOCALBASE}
_SUB_LIST_SED=	${SUB_LIST:C/^([^=]*)=(.*)$/-e 's!%%\1%%!\2!g'/:S/"//g}
apply-slist:
.for f in ${SUB_FILES}
	@${MKDIR} ${WRKDIR}
	@${SED} ${_SUB_LIST_SED} ${FILESDIR}/${f}.in > ${WRKDIR}/${f}
.endfor
# Manual pages are gzipped, as the plist names them.
compress-man:
	@if [ -d ${STAGEDIR}${PREFIX}/share/man ]; then \
		${FIND} ${STAGEDIR}${PREFIX}/share/man -type f ! -name '*.gz' -exec ${GZIP_CMD} {} + ; \
	fi
generate-plist:
	@${MKDIR} ${TMPPLIST:H}
	@: > ${TMPPLIST}
	@for f in ${PLIST_FILES}; do echo "$$f" >> ${TMPPLIST}; done
	@if [ -f ${PLIST} ]; then ${SED} ${_PLIST_SUB_SED} ${PLIST} >> ${TMPPLIST}; fi

_STAGE_SEQ=	100:stage-dir 200:apply-slist 400:generate-plist 500:do-install \
		700:post-install 850:compress-man \
		${_OPTIONS_install} ${_USES_install} ${_USES_stage}
stage: ${_STAGE_SEQ:O:C/^[0-9]+://}
