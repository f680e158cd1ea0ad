# The real Mk/Uses/python-nobytecode.mk, under test, in the stand-in USESDIR.
.include "${.PARSEDIR}/../../../Mk/Uses/python-nobytecode.mk"
