# Stand-in for Mk/Uses/python.mk: only the list of supported versions.
.if !defined(_INCLUDE_USES_PYTHON_MK)
_INCLUDE_USES_PYTHON_MK=	yes
_PYTHON_VERSIONS=	3.11 3.12 3.13 3.10 3.9 2.7	# preferred first
.endif
