# The port under test: USES comes from the command line of tests/mk/run.sh.
PORTNAME=	pycache
USES?=		cargo python:env lua:54 pycache
.include "${.PARSEDIR}/framework.mk"
