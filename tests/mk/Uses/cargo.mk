# Stand-in for Mk/Uses/cargo.mk: only the guard (framework.mk sets
# CARGO_TARGET_DIR and CARGO_BUILD_TARGET).
.if !defined(_INCLUDE_USES_CARGO_MK)
_INCLUDE_USES_CARGO_MK=	yes
.endif
