# Stand-in for bsd.port.mk, so the example port in Mk/examples can be read
# by bmake: the framework stand-in plus the install commands it uses.
INSTALL_PROGRAM?=	install -m 0555
INSTALL_LIB?=		install -m 0444
INSTALL_SCRIPT?=	install -m 0555
INSTALL_MAN?=		install -m 0444
WRKSRC?=		${WRKDIR}/${PORTNAME}-${DISTVERSIONPREFIX}${DISTVERSION}
.include "${.PARSEDIR}/bsd.port.options.mk"
.include "${.PARSEDIR}/../framework.mk"
