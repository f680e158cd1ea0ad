# The port under test: USES comes from the command line of tests/mk/run.sh.
PORTNAME=	pycache
USES?=		python:env lua:5.4 pycache
.include "${.PARSEDIR}/framework.mk"
