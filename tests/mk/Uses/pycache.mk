# The real Mk/Uses/pycache.mk, under test, in the stand-in USESDIR.
.include "${.PARSEDIR}/../../../Mk/Uses/pycache.mk"
